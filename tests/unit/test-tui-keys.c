/* test-tui-keys.c - the workbench's key map (src/tui/keys.c) */
#include <curses.h>
#include <string.h>

#include "tap.h"
#include "../../src/tui/keys.h"

int
main(void)
{
	int a, i, good;
	char buf[256];

	ok(tui_key_parse("j") == 'j' && tui_key_parse("?") == '?' &&
	    tui_key_parse("+") == '+', "single characters");
	ok(tui_key_parse("C-r") == 18 && tui_key_parse("C-l") == 12,
	    "control keys");
	ok(tui_key_parse("PgUp") == KEY_PPAGE && tui_key_parse("Down") ==
	    KEY_DOWN && tui_key_parse("F5") == KEY_F(5), "named keys");
	ok(tui_key_parse("Enter") == '\n' && tui_key_parse("Space") == ' ' &&
	    tui_key_parse("Esc") == 27 && tui_key_parse("Tab") == '\t',
	    "Enter, Space, Esc, Tab");
	ok(tui_key_parse("Bogus") == -1 && tui_key_parse("") == -1 &&
	    tui_key_parse("C-") == -1 && tui_key_parse("F13") == -1,
	    "unknown names are refused");
	ok(tui_keymap_init() == 0, "every name in the map parses, no key is "
	    "bound twice");
	ok(tui_key_action('j') == TUI_A_DOWN && tui_key_action(KEY_DOWN) ==
	    TUI_A_DOWN && tui_key_action('k') == TUI_A_UP,
	    "j and Down select the next layer, k the previous");
	ok(tui_key_action(18) == TUI_A_REDO && tui_key_action('U') ==
	    TUI_A_REDO && tui_key_action('u') == TUI_A_UNDO,
	    "u undoes, C-r and U redo");
	ok(tui_key_action('\r') == TUI_A_EDIT && tui_key_action(KEY_ENTER) ==
	    TUI_A_EDIT && tui_key_action(':') == TUI_A_EDIT,
	    "Enter in every form, and ':', type a value");
	ok(tui_key_action('=') == TUI_A_INC && tui_key_action(']') ==
	    TUI_A_INC_BIG && tui_key_action('<') == TUI_A_DEC_BIG,
	    "= raises, ] and > raise coarsely, [ and < lower coarsely");
	ok(tui_key_action('Z') == TUI_A_NONE && tui_key_action(-1) ==
	    TUI_A_NONE && tui_key_action(100000) == TUI_A_NONE,
	    "unbound and out-of-range codes do nothing");
	good = 1;
	for (a = TUI_A_NONE + 1; a < TUI_A_COUNT; a++) {
		int found = 0;

		for (i = 0; i < tui_nkeydefs; i++)
			if (tui_keydefs[i].action == (enum tui_action)a)
				found = 1;
		if (!found) {
			good = 0;
			tap_diag("action %d has no key", a);
		}
	}
	ok(good, "every action has a key and a help line");
	tui_key_hint(80, buf, sizeof buf);
	ok(strlen(buf) <= 80 && strstr(buf, "q quit") != NULL &&
	    strstr(buf, "? help") != NULL, "the hint bar fits 80 columns and "
	    "names help and quit: '%s'", buf);
	tui_key_hint(200, buf, sizeof buf);
	ok(strstr(buf, "e export") != NULL, "a wide bar shows more");
	return tap_done();
}
