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

void
tui_prompt_key(struct tui *t, int code, int is_key)
{
	struct tui_line *l = &t->prompt.line;
	char mb[MB_LEN_MAX + 1];
	mbstate_t st;
	size_t k;

	if (is_key) {
		switch (code) {
		case KEY_ENTER:
			tui_prompt_submit(t);
			break;
		case KEY_BACKSPACE:
			tui_line_edit(l, TUI_L_BACKSPACE, NULL);
			break;
		case KEY_DC:
			tui_line_edit(l, TUI_L_DELETE, NULL);
			break;
		case KEY_LEFT:
			tui_line_edit(l, TUI_L_LEFT, NULL);
			break;
		case KEY_RIGHT:
			tui_line_edit(l, TUI_L_RIGHT, NULL);
			break;
		case KEY_HOME:
			tui_line_edit(l, TUI_L_HOME, NULL);
			break;
		case KEY_END:
			tui_line_edit(l, TUI_L_END, NULL);
			break;
		}
		return;
	}
	switch (code) {
	case 27:		/* Esc */
	case 7:			/* C-g */
		t->prompt.kind = TUI_P_NONE;
		tui_message(t, 0, "cancelled");
		return;
	case '\r':
	case '\n':
		tui_prompt_submit(t);
		return;
	case 127:
	case 8:
		tui_line_edit(l, TUI_L_BACKSPACE, NULL);
		return;
	case 1:			/* C-a */
		tui_line_edit(l, TUI_L_HOME, NULL);
		return;
	case 5:			/* C-e */
		tui_line_edit(l, TUI_L_END, NULL);
		return;
	case 2:			/* C-b */
		tui_line_edit(l, TUI_L_LEFT, NULL);
		return;
	case 6:			/* C-f */
		tui_line_edit(l, TUI_L_RIGHT, NULL);
		return;
	case 4:			/* C-d */
		tui_line_edit(l, TUI_L_DELETE, NULL);
		return;
	case 11:		/* C-k */
		tui_line_edit(l, TUI_L_KILL_END, NULL);
		return;
	case 21:		/* C-u */
		tui_line_edit(l, TUI_L_CLEAR, NULL);
		return;
	case 23:		/* C-w */
		tui_line_edit(l, TUI_L_KILL_WORD, NULL);
		return;
	}
	if (code < ' ' || code == 127)
		return;
	memset(&st, 0, sizeof st);
	k = wcrtomb(mb, (wchar_t)code, &st);
	if (k == (size_t)-1)
		return;
	mb[k] = '\0';
	tui_line_edit(l, TUI_L_INSERT, mb);
}

void
tui_draw_bottom(struct tui *t, int y, int w)
{
	struct tui_prompt *p = &t->prompt;
	const struct tui_line *l = &p->line;
	char hint[512], before[sizeof l->buf];
	const char *shown = l->buf;
	int lw, cx;

	if (p->kind != TUI_P_NONE) {
		/* the label may take all but 16 columns */
		lw = crt_width(p->label);
		if (lw > w - 16)
			lw = w - 16 > 0 ? w - 16 : 0;
		memcpy(before, l->buf, (size_t)l->cur);
		before[l->cur] = '\0';
		/* keep the cursor on screen: drop characters from the left */
		while ((int)(shown - l->buf) < l->cur &&
		    lw + crt_width(before + (shown - l->buf)) >= w - 1) {
			const char *s = shown + 1;

			while (((unsigned char)*s & 0xC0) == 0x80)
				s++;
			shown = s;
		}
		crt_puts(y, 0, lw, CRT_PROMPT, 1, p->label);
		/* the value offered for editing shows selected: typing
		 * replaces it */
		cx = crt_puts(y, lw, w - lw, l->sel ? CRT_SEL : CRT_NORMAL, 0,
		    shown);
		crt_puts(y, lw + cx, w - lw - cx, CRT_NORMAL, 1, "");
		cx = lw + crt_width(before + (shown - l->buf));
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
