/* undo.h - the workbench's undo history: whole-model snapshots of the
 * layer settings, each with a label naming the change (no curses) */
#ifndef WHITTLE_TUI_UNDO_H
#define WHITTLE_TUI_UNDO_H

#include "whittle/compress.h"

/* Snapshots kept before the oldest are dropped. */
#define TUI_UNDO_MAX 1000

struct tui_undo_entry {
	struct wh_layer_cfg *cfg;	/* (n), owned */
	char *label;			/* the change that led here, owned */
};

/*
 * e[0 .. count) in order; e[pos] is the current settings.  Undo moves pos
 * back, redo forward; a new change drops everything after pos.
 */
struct tui_undo {
	int n;				/* layers per snapshot */
	struct tui_undo_entry *e;
	int count, pos, cap;
};

/* Starts the history at cfg: (n), copied. */
void tui_undo_init(struct tui_undo *u, int n, const struct wh_layer_cfg *cfg);
void tui_undo_release(struct tui_undo *u);

/* Records cfg: (n), copied, as the change `label` after the current
 * snapshot; what could be redone is dropped. */
void tui_undo_push(struct tui_undo *u, const struct wh_layer_cfg *cfg,
    const char *label);

/*
 * Steps back or forward: returns the snapshot to restore (owned by u,
 * valid until the next push or release) and in *label the change undone
 * or redone; NULL when there is nothing to undo or redo.
 */
const struct wh_layer_cfg *tui_undo_undo(struct tui_undo *u,
    const char **label);
const struct wh_layer_cfg *tui_undo_redo(struct tui_undo *u,
    const char **label);

#endif
