/* keys.h - the workbench's key map: one table of key names, actions and
 * help lines, from which the key lookup, the help overlay and the hint
 * bar are all made */
#ifndef WHITTLE_TUI_KEYS_H
#define WHITTLE_TUI_KEYS_H

enum tui_action {
	TUI_A_NONE,
	TUI_A_DOWN, TUI_A_UP, TUI_A_PGDN, TUI_A_PGUP, TUI_A_TOP, TUI_A_BOTTOM,
	TUI_A_RIGHT, TUI_A_LEFT,
	TUI_A_INC, TUI_A_DEC, TUI_A_INC_BIG, TUI_A_DEC_BIG,
	TUI_A_EDIT, TUI_A_TOGGLE, TUI_A_APPLY_ALL, TUI_A_APPLY_KIND,
	TUI_A_PRUNE_MODE, TUI_A_LR_MODE, TUI_A_RESET,
	TUI_A_UNDO, TUI_A_REDO,
	TUI_A_SAVE, TUI_A_OPEN, TUI_A_EXPORT,
	TUI_A_LOG, TUI_A_SENS, TUI_A_SEARCH, TUI_A_LOCK, TUI_A_HISTORY, TUI_A_HELP, TUI_A_REDRAW, TUI_A_CANCEL,
	TUI_A_QUIT,
	TUI_A_COUNT
};

/* One binding: space separated key names, the action, a help line. */
struct tui_keydef {
	const char *keys;
	enum tui_action action;
	const char *help;
};

/* The table, in the order the help overlay lists it. */
extern const struct tui_keydef tui_keydefs[];
extern const int tui_nkeydefs;

/*
 * A key name -> a curses key code: a single character ("j", "+", "?"),
 * C-x for a control key, or one of Up Down Left Right PgUp PgDn Home End
 * Enter Space Tab Esc Backspace F1..F12.  -1 when the name is unknown.
 */
int tui_key_parse(const char *name);

/* Builds the lookup from the table; -1 when a name in it does not parse
 * or a key is bound twice (a bug the unit test catches). */
int tui_keymap_init(void);

/* The action of a key code from get_wch (KEY_* or a character). */
enum tui_action tui_key_action(int code);

/* The hint bar for a terminal width: as many "key action" pairs as fit. */
const char *tui_key_hint(int width, char *buf, int size);

#endif
