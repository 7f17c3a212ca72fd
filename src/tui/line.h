/* line.h - the prompt's line editor: a UTF-8 line with a cursor, and a
 * value offered for editing.  Pure (no curses), so every rule is
 * unit-tested. */
#ifndef WHITTLE_TUI_LINE_H
#define WHITTLE_TUI_LINE_H

#define TUI_LINE_MAX 512

/*
 * buf holds len bytes of UTF-8 and a NUL; cur is a byte offset at a
 * character boundary.  With sel set the whole text is the value offered
 * for editing, shown selected: the first character typed replaces it,
 * Enter takes it as it is, and any key that moves the cursor or deletes
 * a character (Backspace, Delete, Left, Right, Home, End) drops the
 * selection and edits the text instead.
 */
struct tui_line {
	char buf[TUI_LINE_MAX];
	int len;
	int cur;
	int sel;
};

enum tui_line_op {
	TUI_L_INSERT,		/* the UTF-8 text given */
	TUI_L_BACKSPACE,	/* the character before the cursor */
	TUI_L_DELETE,		/* the character under the cursor */
	TUI_L_LEFT,
	TUI_L_RIGHT,
	TUI_L_HOME,
	TUI_L_END,
	TUI_L_KILL_END,		/* C-k: from the cursor to the end */
	TUI_L_KILL_WORD,	/* C-w: the word before the cursor */
	TUI_L_CLEAR		/* C-u: the whole line */
};

/* Sets the text (cut to fit) with the cursor at its end; select offers
 * it as a value that the first character typed replaces. */
void tui_line_set(struct tui_line *l, const char *text, int select);

/* Applies op (text: the UTF-8 characters for TUI_L_INSERT, else
 * ignored).  Text that does not fit is left out whole. */
void tui_line_edit(struct tui_line *l, enum tui_line_op op, const char *text);

#endif
