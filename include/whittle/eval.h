/* eval.h - batched CPU evaluation of a compiled graph on a validation set */
#ifndef WHITTLE_EVAL_H
#define WHITTLE_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/data.h"
#include "whittle/graph.h"

/*
 * What the evaluator runs for one layer in place of its original weight.
 * All pointers are borrowed: they must stay valid until the layer is set
 * again or the evaluator is freed.
 *
 *   rank == 0:  w: (out, in)
 *   rank  > 0:  u: (out, rank), vt: (rank, in), run as two layers,
 *               x -> vt -> u (+ bias); for Conv the first is a conv with
 *               rank output channels and the layer's kernel, the second a
 *               1x1 conv.
 *   spatial:    Conv only, u: (out * kh, rank), vt: (rank, cin * kw),
 *               run as a 1 x kw conv to rank channels, then kh x 1.
 *   act_bits:   0, or 8 to fake-quantize the layer's input per tensor to
 *               uint8 with act_scale and act_zero, exactly as ONNX's
 *               QuantizeLinear then DequantizeLinear compute it.
 */
struct wh_layer_weights {
	int rank;
	int spatial;
	const float *w;
	const float *u;
	const float *vt;
	int act_bits;
	float act_scale;
	int act_zero;
};

struct wh_eval_opts {
	int batch;		/* samples per batch; 0 for the default (256) */
	int threads;		/* worker threads; 0 for the number of CPUs */
	size_t cache_bytes;	/* activation cache budget; 0: no caching */
};

struct wh_metrics {
	size_t samples, correct;
	double accuracy;
	double precision_macro, recall_macro, f1_macro;
	int nclasses;
	uint64_t *confusion;	/* nclasses x nclasses, [truth][predicted] */
	double *class_acc;	/* recall per class */
};

/*
 * Progress: called after each batch with the samples done and correct so
 * far.  A non-zero return cancels the run between batches.
 */
typedef int (*wh_progress_fn)(void *arg, size_t done, size_t total,
    size_t correct);

struct wh_eval;

/*
 * Prepares evaluation of g on d.  The graph and the data must outlive the
 * evaluator.  pre is copied; scale_set says the scale was given explicitly
 * (it then applies to float data too).
 */
struct wh_eval *wh_eval_new(const struct wh_graph *g, const struct wh_dataset *d,
    const struct wh_preproc *pre, int scale_set,
    const struct wh_eval_opts *opts, char **err);
void wh_eval_free(struct wh_eval *e);

/*
 * Overrides layer i (NULL restores the original weight).  Activation
 * caches after the layer become stale; those before it stay, so the next
 * run restarts at the first changed layer.
 */
void wh_eval_set_layer(struct wh_eval *e, int i, const struct wh_layer_weights *lw);

/*
 * Evaluates samples [0, limit) (limit 0 for all).  Fills m (release with
 * wh_metrics_release) and, when preds is not NULL, the predicted class of
 * each sample.  Returns 0, 1 when cancelled by progress, -1 on error (an
 * image folder's file that cannot be read or decoded, named in *err).
 * Image folders are decoded ahead of the evaluation on two worker threads
 * (wh_data_reader); other sets are read in place.
 */
int wh_eval_run(struct wh_eval *e, size_t limit, wh_progress_fn progress,
    void *arg, struct wh_metrics *m, int32_t *preds, char **err);

/*
 * The layer the last complete run restarted at from cached activations:
 * -1 when it ran from the input.
 */
int wh_eval_last_start(const struct wh_eval *e);

/*
 * The input of layer i for samples [0, count) of the original model (no
 * overrides): count x the layer's input size per sample, in *out (new,
 * caller frees), with that size in *size.  For calibrating activation
 * quantization.
 */
int wh_eval_capture(struct wh_eval *e, int i, size_t count, float **out,
    size_t *size, char **err);

/*
 * Evaluates samples [start, start + count) with the current overrides,
 * resuming from the latest valid activation cache (filled by an earlier
 * complete run) without writing any cache.  preds: (count) predicted
 * classes and outputs: (count, output_size) raw outputs, each when not
 * NULL.  The same samples give the same results as a complete run.
 */
int wh_eval_range(struct wh_eval *e, size_t start, size_t count,
    int32_t *preds, float *outputs, char **err);
/* The op index the last wh_eval_range resumed at (0: from the input). */
int wh_eval_range_start(const struct wh_eval *e);

/* Raw outputs of samples [start, start + count): count x output_size. */
int wh_eval_outputs(struct wh_eval *e, size_t start, size_t count, float *out,
    char **err);

/* Computes metrics from predictions and labels (also used by tests). */
void wh_metrics_compute(struct wh_metrics *m, const int32_t *preds,
    const int32_t *labels, size_t n, int nclasses);
void wh_metrics_release(struct wh_metrics *m);

/* The number of CPUs this process may use. */
int wh_cpu_count(void);

#endif
