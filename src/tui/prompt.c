/* prompt.c - the bottom line: a prompt for values and file names, or a
 * message, or the key hint bar */
#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "crt.h"
#include "keys.h"
#include "tui.h"

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

static void
cut(struct tui_prompt *p, int from, int to)
{
	memmove(p->buf + from, p->buf + to, (size_t)(p->len - to) + 1);
	p->len -= to - from;
	if (p->cur > to)
		p->cur -= to - from;
	else if (p->cur > from)
		p->cur = from;
}

void
tui_prompt_key(struct tui *t, int code, int is_key)
{
	struct tui_prompt *p = &t->prompt;
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t k;

	if (is_key) {
		switch (code) {
		case KEY_ENTER:
			tui_prompt_submit(t);
			break;
		case KEY_BACKSPACE:
			cut(p, prev_char(p->buf, p->cur), p->cur);
			break;
		case KEY_DC:
			cut(p, p->cur, next_char(p->buf, p->len, p->cur));
			break;
		case KEY_LEFT:
			p->cur = prev_char(p->buf, p->cur);
			break;
		case KEY_RIGHT:
			p->cur = next_char(p->buf, p->len, p->cur);
			break;
		case KEY_HOME:
			p->cur = 0;
			break;
		case KEY_END:
			p->cur = p->len;
			break;
		}
		return;
	}
	switch (code) {
	case 27:		/* Esc */
	case 7:			/* C-g */
		p->kind = TUI_P_NONE;
		tui_message(t, 0, "cancelled");
		return;
	case '\r':
	case '\n':
		tui_prompt_submit(t);
		return;
	case 127:
	case 8:
		cut(p, prev_char(p->buf, p->cur), p->cur);
		return;
	case 1:			/* C-a */
		p->cur = 0;
		return;
	case 5:			/* C-e */
		p->cur = p->len;
		return;
	case 11:		/* C-k */
		p->buf[p->cur] = '\0';
		p->len = p->cur;
		return;
	case 21:		/* C-u */
		cut(p, 0, p->cur);
		return;
	}
	if (code < ' ' || code == 127)
		return;
	memset(&st, 0, sizeof st);
	k = wcrtomb(mb, (wchar_t)code, &st);
	if (k == (size_t)-1 || p->len + (int)k >= (int)sizeof p->buf)
		return;
	memmove(p->buf + p->cur + k, p->buf + p->cur, (size_t)(p->len - p->cur) + 1);
	memcpy(p->buf + p->cur, mb, k);
	p->len += (int)k;
	p->cur += (int)k;
}

void
tui_draw_bottom(struct tui *t, int y, int w)
{
	struct tui_prompt *p = &t->prompt;
	char hint[512], before[sizeof p->buf];
	const char *shown = p->buf;
	int lw, cx;

	if (p->kind != TUI_P_NONE) {
		/* the label may take all but 16 columns */
		lw = crt_width(p->label);
		if (lw > w - 16)
			lw = w - 16 > 0 ? w - 16 : 0;
		memcpy(before, p->buf, (size_t)p->cur);
		before[p->cur] = '\0';
		/* keep the cursor on screen: drop characters from the left */
		while ((int)(shown - p->buf) < p->cur &&
		    lw + crt_width(before + (shown - p->buf)) >= w - 1)
			shown += next_char(shown, (int)strlen(shown), 0);
		crt_puts(y, 0, lw, CRT_PROMPT, 1, p->label);
		crt_puts(y, lw, w - lw, CRT_NORMAL, 1, shown);
		cx = lw + crt_width(before + (shown - p->buf));
		move(y, cx < w ? cx : w - 1);
		curs_set(1);
		return;
	}
	curs_set(0);
	if (t->msg[0] != '\0') {
		crt_puts(y, 0, w, t->msg_bad ? CRT_BAD : CRT_NORMAL, 1, t->msg);
		return;
	}
	crt_puts(y, 0, w, CRT_HINT, 1, tui_key_hint(w, hint, sizeof hint));
}
