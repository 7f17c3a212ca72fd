/* line.c - the prompt's line editor */
#include <string.h>

#include "line.h"

/* The byte offset of the character before or after byte offset i. */
static int
prev_char(const char *s, int i)
{
	if (i <= 0)
		return 0;
	i--;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	return i;
}

static int
next_char(const char *s, int len, int i)
{
	if (i >= len)
		return len;
	i++;
	while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	return i;
}

/* Removes bytes [from, to). */
static void
cut(struct tui_line *l, int from, int to)
{
	memmove(l->buf + from, l->buf + to, (size_t)(l->len - to) + 1);
	l->len -= to - from;
	if (l->cur > to)
		l->cur -= to - from;
	else if (l->cur > from)
		l->cur = from;
}

void
tui_line_set(struct tui_line *l, const char *text, int select)
{
	size_t n = text != NULL ? strlen(text) : 0;

	if (n >= sizeof l->buf) {
		/* cut at a character boundary */
		n = sizeof l->buf - 1;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(l->buf, text != NULL ? text : "", n);
	l->buf[n] = '\0';
	l->len = (int)n;
	l->cur = l->len;
	l->sel = select && l->len > 0;
}

void
tui_line_edit(struct tui_line *l, enum tui_line_op op, const char *text)
{
	int k, i;

	if (l->sel) {
		l->sel = 0;
		/* typing replaces the offered value; C-w and C-k take all of
		 * it as C-u does */
		if (op == TUI_L_INSERT || op == TUI_L_KILL_WORD ||
		    op == TUI_L_KILL_END)
			tui_line_set(l, "", 0);
	}
	switch (op) {
	case TUI_L_INSERT:
		k = text != NULL ? (int)strlen(text) : 0;
		if (k == 0 || l->len + k >= (int)sizeof l->buf)
			return;
		memmove(l->buf + l->cur + k, l->buf + l->cur,
		    (size_t)(l->len - l->cur) + 1);
		memcpy(l->buf + l->cur, text, (size_t)k);
		l->len += k;
		l->cur += k;
		break;
	case TUI_L_BACKSPACE:
		cut(l, prev_char(l->buf, l->cur), l->cur);
		break;
	case TUI_L_DELETE:
		cut(l, l->cur, next_char(l->buf, l->len, l->cur));
		break;
	case TUI_L_LEFT:
		l->cur = prev_char(l->buf, l->cur);
		break;
	case TUI_L_RIGHT:
		l->cur = next_char(l->buf, l->len, l->cur);
		break;
	case TUI_L_HOME:
		l->cur = 0;
		break;
	case TUI_L_END:
		l->cur = l->len;
		break;
	case TUI_L_KILL_END:
		l->buf[l->cur] = '\0';
		l->len = l->cur;
		break;
	case TUI_L_KILL_WORD:
		/* spaces before the cursor, then the word before them */
		i = l->cur;
		while (i > 0 && l->buf[i - 1] == ' ')
			i--;
		while (i > 0 && l->buf[i - 1] != ' ')
			i--;
		cut(l, i, l->cur);
		break;
	case TUI_L_CLEAR:
		tui_line_set(l, "", 0);
		break;
	}
}
