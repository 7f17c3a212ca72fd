/* state.h - a model under compression: settings per layer, their
 * compressed weights and the evaluator that measures them */
#ifndef WHITTLE_STATE_H
#define WHITTLE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/compress.h"
#include "whittle/eval.h"

/* Samples of the validation set the activation ranges are calibrated on. */
#define WH_CALIB_SAMPLES 512

struct wh_totals {
	uint64_t params;	/* all float parameters of the original model */
	uint64_t orig_bytes;	/* the original model's float32 bytes */
	uint64_t bytes;		/* stored size with every layer's compression */
	uint64_t macs, macs_sparse;	/* per sample, dense and non-zero only */
	double ratio;		/* orig_bytes / bytes */
};

struct wh_state;

/*
 * Borrows the graph and the data (which must outlive the state).  With d
 * NULL the state compresses and exports but cannot evaluate or calibrate.
 * The evaluator keeps activation caches within opts->cache_bytes.
 */
struct wh_state *wh_state_new(const struct wh_graph *g,
    const struct wh_dataset *d, const struct wh_preproc *pre, int scale_set,
    const struct wh_eval_opts *opts, char **err);
void wh_state_free(struct wh_state *s);

const struct wh_graph *wh_state_graph(const struct wh_state *s);
struct wh_eval *wh_state_eval(struct wh_state *s);
/* The validation set the state evaluates on (NULL without one). */
const struct wh_dataset *wh_state_data(const struct wh_state *s);

/*
 * Sets layer i's settings: checks them, compresses (memoized per layer),
 * calibrates the layer's input range when act_bits is set (on the first
 * WH_CALIB_SAMPLES samples of the original model, as static quantizers do)
 * and hands the result to the evaluator.  On error the layer keeps its
 * previous settings.
 */
int wh_state_set(struct wh_state *s, int i, const struct wh_layer_cfg *cfg,
    char **err);
/* The layer's settings (all off when never set). */
const struct wh_layer_cfg *wh_state_cfg(const struct wh_state *s, int i);
/* The layer's compressed result, or NULL while it is uncompressed. */
const struct wh_compressed *wh_state_result(const struct wh_state *s, int i);
/* The layer's singular values (computed once). */
int wh_state_svals(struct wh_state *s, int i, const float **sv, int *k,
    char **err);

/* Size and cost of the whole model with the current settings. */
void wh_state_totals(const struct wh_state *s, struct wh_totals *t);

/* Evaluates with the current settings (see wh_eval_run). */
int wh_state_run(struct wh_state *s, size_t limit, wh_progress_fn progress,
    void *arg, struct wh_metrics *m, int32_t *preds, char **err);

/* The compressed results of every layer, NULL for uncompressed ones, for
 * the exporters: an array of nlayers pointers owned by the state. */
const struct wh_compressed *const *wh_state_results(const struct wh_state *s);

#endif
