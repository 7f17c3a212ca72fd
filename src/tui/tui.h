/* tui.h - the interactive workbench: its state, shared by the event loop
 * (loop.c), the actions (ui.c), the prompt (prompt.c) and one file per
 * pane (pane-*.c).  Only the UI thread touches struct tui. */
#ifndef WHITTLE_TUI_H
#define WHITTLE_TUI_H

#include <stddef.h>
#include <stdint.h>

#include "calc.h"
#include "edit.h"
#include "line.h"
#include "undo.h"
#include "sens.h"
#include "worker.h"
#include "whittle/compress.h"
#include "whittle/data.h"
#include "whittle/graph.h"
#include "whittle/model.h"

/* What the command line hands the workbench; all borrowed. */
struct tui_opts {
	const struct wh_model *model;
	const struct wh_graph *graph;
	const struct wh_dataset *data;
	struct wh_preproc pre;
	int scale_set;
	const char *model_path, *images, *labels;
	const char *plan_path;		/* --plan, or NULL */
	const struct wh_layer_cfg *plan_cfg;	/* its resolved settings */
	const char *plan_warn;		/* a warning from resolving it */
	int ascii;
	int threads;			/* evaluator threads, 0: the CPUs */
	int batch;
	size_t cache_bytes;		/* activation cache budget */
	size_t limit;			/* samples to evaluate, 0: all */
	struct wh_sens_setting *settings;	/* the sensitivity candidates */
	int nsettings;
};

/*
 * Runs the workbench until the user quits; the terminal is restored on
 * every way out.  Returns the exit status: 0, 130 after SIGINT, 128 + the
 * signal after SIGTERM, SIGHUP or SIGQUIT, or WH_EXIT_* when it cannot
 * start (a message is printed then).
 */
int tui_run(const struct tui_opts *o);

/* ---- inside the workbench -------------------------------------------- */

struct tui_layer {
	const struct wh_layer *l;
	double std;			/* of the original weights */
	double lo, hi;			/* histogram range */
	uint64_t hist[TUI_NBINS];	/* the original weights */
	struct tui_linfo *info;		/* the newest report, or NULL */
	float *sv;			/* (nsv) singular values, NULL: pending */
	int nsv;
	float *sv_sp;			/* the spatial view's, for a Conv */
	int nsv_sp;
	char *sv_err;			/* why they could not be computed */
	struct tui_prefs prefs;
	struct wh_cost orig;		/* the float32 cost */
	char shape[40];			/* "(16, 1, 3, 3)" */
};

/* An evaluated configuration. */
struct tui_point {
	struct tui_result res;		/* owns res.cfg */
};

enum { TUI_FOCUS_TABLE, TUI_FOCUS_HISTORY };

/* An evaluation under way, as its last progress message told. */
struct tui_prog {
	int on;
	size_t done, total, correct;
};
enum { TUI_P_NONE, TUI_P_VALUE, TUI_P_SAVE, TUI_P_OPEN, TUI_P_EXPORT,
	TUI_P_SEARCH };

struct tui_prompt {
	int kind;			/* TUI_P_*, NONE when closed */
	int col;			/* TUI_P_VALUE: the column */
	char label[160];
	struct tui_line line;		/* the text, offered value selected */
};

struct tui {
	const struct tui_opts *o;
	const struct wh_graph *g;
	int n;
	struct tui_layer *L;
	struct wh_layer_cfg *cfg;	/* (n) the settings on screen */
	struct wh_layer_cfg *saved;	/* (n) as last saved or opened */
	struct tui_undo undo;
	unsigned long gen;		/* bumped by every change */
	struct tui_worker *w;

	/* evaluation */
	int have_base;
	struct tui_result base;		/* cfg NULL: owned by the history */
	int have_cur, cur_fresh;	/* cur describes cfg */
	int cur_remembered;		/* cur came from the history */
	struct tui_result cur;		/* the last adopted result (cfg NULL) */
	struct tui_prog prog;		/* the run of gen */
	struct tui_prog bprog;		/* the baseline's run */
	char eval_err[512];
	struct tui_point *hist;
	int nhist, hsel;		/* hsel: index into hist, -1 none */

	/* the screen */
	int sel, top, col, focus, logscale, quit_armed;
	int help;			/* 0, or the page of help shown: 1, 2 */
	int table_y, table_h;		/* rows of layers, for the mouse */
	char msg[512];
	int msg_bad;
	struct tui_prompt prompt;
	int exporting;
	char *default_plan;		/* what `s` offers */
	char model_sha[65], images_sha[65], labels_sha[65];
	int done, exit_code;

	/* sensitivity and search (sens.c's thread) */
	struct tui_sens *sens;
	struct wh_sens_table st;	/* the cells as they arrive */
	int sens_on;			/* the heat map replaces the plots */
	int scol;			/* its setting column */
	int searching;
	int *spoints;			/* history index of each verified plan
					 * of the running search */
	int nspoints;
	unsigned char *locked;		/* (n) layers a search must keep */
};

/* ui.c: actions */
void tui_init_state(struct tui *t, const struct tui_opts *o);
void tui_release_state(struct tui *t);
/* Applies the --plan settings (once the worker runs) as an undoable change. */
void tui_open_initial(struct tui *t);
void tui_key(struct tui *t, int code);
void tui_mouse(struct tui *t);
void tui_message(struct tui *t, int bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tui_handle_msg(struct tui *t, struct tui_msg *m);
/* The layer context for the edit rules. */
void tui_lctx(const struct tui *t, int i, struct tui_lctx *x);
/* The report matching layer i's settings, or NULL (off, or pending). */
const struct tui_linfo *tui_info(const struct tui *t, int i);
/* Model totals with the current settings; *pending when some layer's
 * report has not come yet (its original cost is counted then). */
void tui_totals(const struct tui *t, struct wh_totals *tot, int *pending);
int tui_dirty(const struct tui *t);
/* Completes a prompt (Enter). */
void tui_prompt_submit(struct tui *t);
/* Opens a prompt. */
void tui_prompt_open(struct tui *t, int kind, int col, const char *label,
    const char *init);

/* prompt.c: the prompt line and the hint bar */
void tui_prompt_key(struct tui *t, int code, int is_key);
void tui_draw_bottom(struct tui *t, int y, int w);

/* the panes */
void tui_draw_table(struct tui *t, int x, int y, int w, int h);
void tui_draw_hist(struct tui *t, int x, int y, int w, int h);
void tui_draw_spectrum(struct tui *t, int x, int y, int w, int h);
void tui_draw_summary(struct tui *t, int x, int y, int w, int h);
void tui_draw_history(struct tui *t, int x, int y, int w, int h);
void tui_draw_help(struct tui *t);
void tui_draw_sens(struct tui *t, int x, int y, int w, int h);
/* Whether layer i can be made 8x smaller at no measured cost. */
int tui_sens_free_layer(const struct tui *t, int i);
/* ui.c: a message of the sensitivity thread. */
void tui_handle_sens(struct tui *t, struct tui_sens_msg *m);

#endif
