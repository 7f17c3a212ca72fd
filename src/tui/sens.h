/* sens.h - the workbench's sensitivity and search thread
 *
 * A third background thread with an evaluator of its own fills the
 * sensitivity table (read from and written back to the cache) and runs
 * searches.  It gives way to the user: while the UI says an evaluation of
 * the user's settings is under way it waits between batches.  Messages go
 * onto its own queue with a pipe for the UI's poll().  No curses here.
 */
#ifndef WHITTLE_TUI_SENS_H
#define WHITTLE_TUI_SENS_H

#include "whittle/search.h"
#include "whittle/sensitivity.h"

enum tui_sens_type {
	TUI_S_CELL,		/* layer, setting, cell; done of total */
	TUI_S_TABLE,		/* the table is complete (saved to the cache) */
	TUI_S_NOTE,		/* text: what the search is doing */
	TUI_S_POINT,		/* a verified plan of the search: point */
	TUI_S_SEARCHED,		/* the search ended: chosen (index of the
				 * points posted, or -1), text */
	TUI_S_ERROR		/* text */
};

struct tui_sens_msg {
	enum tui_sens_type type;
	int layer, setting, done, total, chosen;
	struct wh_sens_cell cell;
	struct wh_search_point point;	/* cfgs owned; m not kept */
	char *text;
	struct tui_sens_msg *next;
};

struct tui_sens;

/*
 * Starts the thread on its own state (made here from g, d and pre) and a
 * copy of the empty table init (its settings and layers).  With
 * model_path, the thread first reads the cache of that model and the data
 * (keyed by their SHA-256) and posts the cells it holds; it writes the
 * cache back when the table is complete and after each search.  NULL and a
 * message when the state cannot be made.
 */
struct tui_sens *tui_sens_start(const struct wh_graph *g,
    const struct wh_dataset *d, const struct wh_preproc *pre, int scale_set,
    const struct wh_eval_opts *eo, const struct wh_sens_table *init,
    const char *model_path, char **err);

/* Readable when messages wait. */
int tui_sens_fd(const struct tui_sens *s);

/* While on, the thread waits between batches: the user's work first. */
void tui_sens_pause(struct tui_sens *s, int on);

/*
 * Runs a search within max_drop points; locked: (nlayers) or NULL, with
 * locked_cfg: (nlayers) the settings locked layers keep (copied).  A
 * search already running is cancelled first.
 */
void tui_sens_search(struct tui_sens *s, double max_drop,
    const unsigned char *locked, const struct wh_layer_cfg *locked_cfg);

struct tui_sens_msg *tui_sens_take(struct tui_sens *s);
void tui_sens_msg_free(struct tui_sens_msg *m);

/* Cancels what runs, joins the thread, writes the cache, frees it all. */
void tui_sens_stop(struct tui_sens *s);

#endif
