/* test-tui-line.c - the prompt's line editor (src/tui/line.c) */
#include <string.h>

#include "tap.h"
#include "../../src/tui/line.h"

/* Types each byte of s as a character (ASCII only). */
static void
type(struct tui_line *l, const char *s)
{
	char c[2] = { 0, 0 };

	for (; *s; s++) {
		c[0] = *s;
		tui_line_edit(l, TUI_L_INSERT, c);
	}
}

int
main(void)
{
	struct tui_line l;
	char big[TUI_LINE_MAX + 100];
	int i;

	tui_line_set(&l, "off", 1);
	ok(l.sel && l.len == 3 && l.cur == 3 && strcmp(l.buf, "off") == 0,
	    "the offered value is selected, the cursor at its end");
	type(&l, "30");
	ok(strcmp(l.buf, "30") == 0 && !l.sel && l.cur == 2,
	    "typing replaces the offered value: 'off' then 30 is '%s'", l.buf);
	type(&l, "5");
	ok(strcmp(l.buf, "305") == 0, "and further typing appends: '%s'",
	    l.buf);

	tui_line_set(&l, "threshold 0.05", 1);
	tui_line_edit(&l, TUI_L_BACKSPACE, NULL);
	ok(strcmp(l.buf, "threshold 0.0") == 0 && !l.sel,
	    "Backspace edits the offered value: '%s'", l.buf);
	type(&l, "7");
	ok(strcmp(l.buf, "threshold 0.07") == 0,
	    "and typing after it appends: '%s'", l.buf);

	tui_line_set(&l, "30", 1);
	tui_line_edit(&l, TUI_L_LEFT, NULL);
	ok(!l.sel && l.cur == 1 && strcmp(l.buf, "30") == 0,
	    "Left keeps the value and moves the cursor");
	type(&l, "1");
	ok(strcmp(l.buf, "310") == 0, "typing inserts at the cursor: '%s'",
	    l.buf);
	tui_line_edit(&l, TUI_L_HOME, NULL);
	type(&l, "s");
	ok(strcmp(l.buf, "s310") == 0 && l.cur == 1, "Home, then a letter "
	    "goes first: '%s'", l.buf);
	tui_line_edit(&l, TUI_L_END, NULL);
	ok(l.cur == 4, "End goes to the end");
	tui_line_edit(&l, TUI_L_HOME, NULL);
	tui_line_edit(&l, TUI_L_DELETE, NULL);
	ok(strcmp(l.buf, "310") == 0 && l.cur == 0, "Delete takes the "
	    "character under the cursor");
	tui_line_edit(&l, TUI_L_RIGHT, NULL);
	tui_line_edit(&l, TUI_L_KILL_END, NULL);
	ok(strcmp(l.buf, "3") == 0 && l.cur == 1, "C-k cuts to the end");
	tui_line_edit(&l, TUI_L_LEFT, NULL);
	tui_line_edit(&l, TUI_L_LEFT, NULL);
	tui_line_edit(&l, TUI_L_BACKSPACE, NULL);
	ok(strcmp(l.buf, "3") == 0 && l.cur == 0, "Left and Backspace stop "
	    "at the start");

	tui_line_set(&l, "8 p99.99", 1);
	tui_line_edit(&l, TUI_L_CLEAR, NULL);
	ok(l.len == 0 && l.buf[0] == '\0' && l.cur == 0 && !l.sel,
	    "C-u clears the line");
	type(&l, "channels 0.25");
	tui_line_edit(&l, TUI_L_LEFT, NULL);
	tui_line_edit(&l, TUI_L_CLEAR, NULL);
	ok(l.len == 0, "C-u clears all of it wherever the cursor is");

	type(&l, "sparsity  0.5");
	tui_line_edit(&l, TUI_L_KILL_WORD, NULL);
	ok(strcmp(l.buf, "sparsity  ") == 0, "C-w cuts the word before the "
	    "cursor: '%s'", l.buf);
	tui_line_edit(&l, TUI_L_KILL_WORD, NULL);
	ok(l.len == 0, "and then the spaces and the word before them");

	tui_line_set(&l, "model.whittled.onnx", 1);
	tui_line_edit(&l, TUI_L_KILL_WORD, NULL);
	ok(l.len == 0, "C-w on an offered value takes all of it");
	tui_line_set(&l, "", 1);
	ok(!l.sel, "an empty value is not selected");

	/* UTF-8: a character is one step */
	tui_line_set(&l, "2\xcf\x83", 0);
	ok(!l.sel && l.len == 3, "a value set unselected");
	tui_line_edit(&l, TUI_L_LEFT, NULL);
	ok(l.cur == 1, "Left steps over a two-byte character");
	tui_line_edit(&l, TUI_L_DELETE, NULL);
	ok(strcmp(l.buf, "2") == 0, "Delete takes all of its bytes");
	tui_line_edit(&l, TUI_L_INSERT, "\xcf\x83");
	tui_line_edit(&l, TUI_L_BACKSPACE, NULL);
	ok(strcmp(l.buf, "2") == 0 && l.cur == 1, "so does Backspace");

	/* too long */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	tui_line_set(&l, big, 1);
	ok(l.len == TUI_LINE_MAX - 1 && l.buf[l.len] == '\0',
	    "a value too long is cut to fit");
	tui_line_edit(&l, TUI_L_END, NULL);
	tui_line_edit(&l, TUI_L_INSERT, "y");
	ok(l.len == TUI_LINE_MAX - 1 && l.buf[l.len - 1] == 'x',
	    "a full line takes no more");
	for (i = 0; i < TUI_LINE_MAX - 2; i++)
		big[i] = 'a';
	big[TUI_LINE_MAX - 2] = '\xcf';
	big[TUI_LINE_MAX - 1] = '\x83';
	big[TUI_LINE_MAX] = '\0';
	tui_line_set(&l, big, 0);
	ok(l.len == TUI_LINE_MAX - 2, "a cut never splits a character");
	return tap_done();
}
