/* worker.h - the workbench's background threads and their messages
 *
 * The UI thread never computes anything slow and never waits on these
 * threads.  It posts snapshots of the settings; an evaluation thread
 * (which owns the struct wh_state, and so the only evaluator) compresses
 * the changed layers, evaluates, and queues messages; a second thread
 * computes every layer's singular values once at start-up.  A byte on a
 * pipe tells the UI's poll() that messages wait.  No curses here.
 */
#ifndef WHITTLE_TUI_WORKER_H
#define WHITTLE_TUI_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "calc.h"
#include "whittle/compress.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/state.h"

#define TUI_MAXMARKS 40

enum { TUI_MARK_NONE, TUI_MARK_THRESHOLD, TUI_MARK_LEVELS };

/* What one layer's settings made of it; the UI keeps the newest one whose
 * cfg equals the layer's current settings. */
struct tui_linfo {
	struct wh_layer_cfg cfg;	/* the settings this describes */
	struct wh_cost cost;
	int rank;			/* the resolved rank, 0 without low-rank */
	int spatial;
	double energy;			/* kept by the rank */
	int factored;			/* hist is of the product u vt */
	uint64_t hist[TUI_NBINS];	/* the compressed weights over the
					 * layer's tui_hist_range */
	double marks[TUI_MAXMARKS];	/* values to mark on the histogram */
	int nmarks;
	int mark_kind;			/* TUI_MARK_* of the last marks */
	int nthreshold;			/* marks[0..nthreshold): +- threshold */
	int level_row;			/* levels: -1 per tensor, else the row */
};

struct tui_result {
	int baseline;			/* every layer off */
	size_t samples, correct;
	double accuracy, precision, recall, f1;
	struct wh_totals totals;
	double seconds;
	int start_layer;		/* where the run restarted from cache, -1 */
	struct wh_layer_cfg *cfg;	/* (nlayers) the settings, owned */
};

enum tui_msg_type {
	TUI_M_LAYER,		/* info */
	TUI_M_PROGRESS,		/* gen, baseline, done, total, correct */
	TUI_M_RESULT,		/* gen, res */
	TUI_M_SVALS,		/* layer, spatial, sv: (k), or text: why not */
	TUI_M_ERROR,		/* gen, layer (or -1), text */
	TUI_M_EXPORT		/* ok, text: the path or the error */
};

struct tui_msg {
	enum tui_msg_type type;
	unsigned long gen;
	int layer;
	int baseline;
	size_t done, total, correct;
	struct tui_linfo *info;
	struct tui_result res;
	float *sv;
	int k, spatial;
	char *text;
	int ok;
	struct tui_msg *next;
};

struct tui_worker;

/*
 * Starts the threads.  The state s (made without activation quantization
 * or any setting: every layer off) passes to the worker, which frees it;
 * m and g must outlive the worker.  lo, hi: (nlayers) the histogram range
 * of each layer (copied).  limit: samples to evaluate, 0 for all.
 * Everything is evaluated first with every layer off: the baseline.
 */
struct tui_worker *tui_worker_start(const struct wh_model *m,
    const struct wh_graph *g, struct wh_state *s, size_t limit,
    const double *lo, const double *hi);

/* Readable when messages wait (poll it with POLLIN). */
int tui_worker_fd(const struct tui_worker *w);

/* Posts generation gen of the settings, cfg: (nlayers), copied.  A
 * snapshot not yet taken is replaced; a run of an older one is cancelled
 * between batches.  With evaluate 0 the worker only brings its state to
 * the settings and reports the layers that change (TUI_M_LAYER): the UI
 * knows their result already (an undo back to an evaluated
 * configuration), so nothing is evaluated again. */
void tui_worker_post(struct tui_worker *w, unsigned long gen,
    const struct wh_layer_cfg *cfg, int evaluate);

/* Exports the model with the settings cfg: (nlayers) to path as ONNX. */
void tui_worker_export(struct tui_worker *w, const struct wh_layer_cfg *cfg,
    const char *path);

/* Asks for layer i's singular values before the others. */
void tui_worker_want_svals(struct tui_worker *w, int i);

/* Takes every queued message, oldest first, as a list; NULL when none. */
struct tui_msg *tui_worker_take(struct tui_worker *w);
void tui_msg_free(struct tui_msg *m);

/* Cancels the work in progress, joins the threads, frees the worker and
 * the state. */
void tui_worker_stop(struct tui_worker *w);

#endif
