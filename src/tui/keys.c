/* keys.c - the key map */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

const struct tui_keydef tui_keydefs[] = {
	{ "Down j", TUI_A_DOWN, "next layer" },
	{ "Up k", TUI_A_UP, "previous layer" },
	{ "PgDn C-f", TUI_A_PGDN, "page down" },
	{ "PgUp C-b", TUI_A_PGUP, "page up" },
	{ "g Home", TUI_A_TOP, "first layer" },
	{ "G End", TUI_A_BOTTOM, "last layer" },
	{ "Right l", TUI_A_RIGHT, "next column / next point" },
	{ "Left h", TUI_A_LEFT, "previous column / point" },
	{ "+ =", TUI_A_INC, "compress less (fine step)" },
	{ "-", TUI_A_DEC, "compress more: smaller" },
	{ "] >", TUI_A_INC_BIG, "compress less, coarse step" },
	{ "[ <", TUI_A_DEC_BIG, "compress more, coarse step" },
	{ "Enter :", TUI_A_EDIT, "exact value / recall point" },
	{ "Space", TUI_A_TOGGLE, "transform off / back on" },
	{ "a", TUI_A_APPLY_ALL, "setting to all layers" },
	{ "A", TUI_A_APPLY_KIND, "setting to same-op layers" },
	{ "t", TUI_A_PRUNE_MODE, "sparsity/threshold/channel" },
	{ "m", TUI_A_LR_MODE, "rank/energy/spatial mode" },
	{ "x", TUI_A_RESET, "reset the layer: all off" },
	{ "u", TUI_A_UNDO, "undo" },
	{ "C-r U", TUI_A_REDO, "redo" },
	{ "s", TUI_A_SAVE, "save the plan" },
	{ "o", TUI_A_OPEN, "open a plan" },
	{ "e", TUI_A_EXPORT, "export .onnx/.safetensors" },
	{ "L", TUI_A_LOG, "linear/log histogram" },
	{ "S", TUI_A_SENS, "sensitivity heat map / plots" },
	{ "F", TUI_A_SEARCH, "find the smallest plan in a budget" },
	{ "K", TUI_A_LOCK, "lock the layer for the search" },
	{ "Tab", TUI_A_HISTORY, "focus history / table" },
	{ "?", TUI_A_HELP, "this help" },
	{ "C-l", TUI_A_REDRAW, "redraw the screen" },
	{ "Esc", TUI_A_CANCEL, "close help, leave history" },
	{ "q", TUI_A_QUIT, "quit (twice if unsaved)" },
};
const int tui_nkeydefs = sizeof tui_keydefs / sizeof tui_keydefs[0];

/* The hint bar, most wanted first. */
static const char *hints[][2] = {
	{ "j/k", "layer" }, { "h/l", "setting" }, { "-/+", "compress" },
	{ "Enter", "value" }, { "Space", "on/off" }, { "?", "help" },
	{ "q", "quit" }, { "u", "undo" }, { "s", "save" }, { "[/]", "big step" },
	{ "Tab", "history" }, { "e", "export" },
};

static const struct {
	const char *name;
	int code;
} named[] = {
	{ "Up", KEY_UP }, { "Down", KEY_DOWN }, { "Left", KEY_LEFT },
	{ "Right", KEY_RIGHT }, { "PgUp", KEY_PPAGE }, { "PgDn", KEY_NPAGE },
	{ "Home", KEY_HOME }, { "End", KEY_END }, { "Enter", '\n' },
	{ "Space", ' ' }, { "Tab", '\t' }, { "Esc", 27 },
	{ "Backspace", KEY_BACKSPACE },
};

static unsigned char map[KEY_MAX + 1];

int
tui_key_parse(const char *name)
{
	size_t i;
	int f;
	char extra;

	if (name == NULL || name[0] == '\0')
		return -1;
	if (name[1] == '\0')
		return (unsigned char)name[0] < 0x80 ? (unsigned char)name[0] : -1;
	if (name[0] == 'C' && name[1] == '-' && name[2] != '\0' &&
	    name[3] == '\0') {
		char c = name[2];

		if (c >= 'a' && c <= 'z')
			return c - 'a' + 1;
		if (c >= '@' && c <= '_')
			return c - '@';
		return -1;
	}
	if (name[0] == 'F' && sscanf(name + 1, "%d%c", &f, &extra) == 1 &&
	    f >= 1 && f <= 12)
		return KEY_F(f);
	for (i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcmp(name, named[i].name) == 0)
			return named[i].code;
	return -1;
}

static int
bind(int code, enum tui_action a)
{
	if (code < 0 || code > KEY_MAX || (map[code] != TUI_A_NONE &&
	    map[code] != a))
		return -1;
	map[code] = (unsigned char)a;
	return 0;
}

int
tui_keymap_init(void)
{
	char buf[64], *p, *save;
	int i, code, r = 0;

	memset(map, 0, sizeof map);
	for (i = 0; i < tui_nkeydefs; i++) {
		snprintf(buf, sizeof buf, "%s", tui_keydefs[i].keys);
		for (p = strtok_r(buf, " ", &save); p != NULL;
		    p = strtok_r(NULL, " ", &save)) {
			if ((code = tui_key_parse(p)) < 0 ||
			    bind(code, tui_keydefs[i].action) != 0)
				r = -1;
			/* Enter arrives as \n, \r or KEY_ENTER */
			if (code == '\n' && (bind('\r', tui_keydefs[i].action) ||
			    bind(KEY_ENTER, tui_keydefs[i].action)))
				r = -1;
		}
	}
	return r;
}

enum tui_action
tui_key_action(int code)
{
	if (code < 0 || code > KEY_MAX)
		return TUI_A_NONE;
	return (enum tui_action)map[code];
}

const char *
tui_key_hint(int width, char *buf, int size)
{
	size_t i;
	int len = 0, n;

	buf[0] = '\0';
	for (i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		char item[64];

		n = snprintf(item, sizeof item, "%s%s %s", len ? "  " : "",
		    hints[i][0], hints[i][1]);
		if (len + n > width || len + n >= size)
			break;
		memcpy(buf + len, item, (size_t)n + 1);
		len += n;
	}
	return buf;
}
