/* dnnl-int.h - the evaluator's kernels from oneDNN, shared by dnnl.c and
 * eval.c (and the tests) */
#ifndef WHITTLE_DNNL_INT_H
#define WHITTLE_DNNL_INT_H

#include <stddef.h>

#include "graph-int.h"

/*
 * A plan for running a compiled graph with oneDNN.  Made once per graph
 * (by the evaluator), it holds:
 *
 *  - a layout per activation: plain NCHW, or the one oneDNN has direct
 *    kernels for on this CPU, asked once (channels blocked by 16 where its
 *    AVX-512 kernels run, by 8 with AVX2, else channels last) for tensors
 *    that only convolutions, pools, layout-blind element-wise ops,
 *    Concat along the channels (in whole blocks) and per-channel scaling
 *    (squeeze-and-excite's Mul by a (c, 1, 1) activation) touch, so that
 *    reorders happen only where an operator needs NCHW;
 *  - per op and batch size, the oneDNN primitives (convolution, inner
 *    product, matmul, pooling) with the fused epilogue as post-ops (bias,
 *    then the BatchNormalization scale and shift as per-channel binary
 *    post-ops, then relu, then a relu, leaky relu or clip op that alone
 *    reads the output), created on first use and reused for every batch,
 *    and the layer's weights reordered into the primitive's layout once per
 *    setting of the layer.  A low-rank layer runs as two primitives.
 *
 * Every other op runs the reference kernel (wh_op_run) on NCHW buffers.
 * Inside each evaluator thread oneDNN runs single-threaded: the evaluator's
 * threads split the batch, so OpenMP never starts threads of its own (none
 * spin beside the workbench) and a sample's result does not depend on the
 * thread count.
 */
struct wh_dnnl;

/*
 * The kernels the environment asks for: WHITTLE_KERNELS=dnnl (the default
 * when unset or empty) gives 1, =ref gives 0; anything else -1 and a message.
 */
int wh_dnnl_wanted(char **err);

/*
 * A plan for g, run by up to threads threads at once (thread ids 0 ..
 * threads - 1).  The graph must outlive it.  NULL and a message when
 * oneDNN cannot run on this machine.
 */
struct wh_dnnl *wh_dnnl_new(const struct wh_graph *g, int threads, char **err);
void wh_dnnl_free(struct wh_dnnl *d);

/* Activation layouts: WH_DNNL_PROBE asks oneDNN which it prefers. */
enum {
	WH_DNNL_PROBE = -1,
	WH_DNNL_NCHW,		/* plain everywhere */
	WH_DNNL_NHWC,		/* channels last */
	WH_DNNL_BLOCK8,		/* nChw8c */
	WH_DNNL_BLOCK16		/* nChw16c */
};
/* The same with the activation layout given (for tests and benchmarks). */
struct wh_dnnl *wh_dnnl_new_layout(const struct wh_graph *g, int threads,
    int layout, char **err);
/* The activation layout the plan chose, WH_DNNL_*. */
int wh_dnnl_layout(const struct wh_dnnl *d);

/* Floats per sample that tensor t takes in the plan's layout (oneDNN's
 * blocked layouts pad the channels to the block). */
size_t wh_dnnl_tensor_floats(const struct wh_dnnl *d, int t);
/* Whether tensor t is kept in the blocked layout. */
int wh_dnnl_tensor_blocked(const struct wh_dnnl *d, int t);

/* For benchmarks: OpenMP threads inside each caller of wh_dnnl_run (1,
 * the default, as the evaluator runs it); before the first run. */
void wh_dnnl_set_omp(struct wh_dnnl *d, int threads);
/* Whether 3 x 3 convolutions may run as Winograd's F(4x4, 3x3) where
 * oneDNN has it and it pays (the default: on); before the first run. */
void wh_dnnl_set_winograd(struct wh_dnnl *d, int on);

/* How many ops after op q its primitives compute as post-ops: an Add of
 * another branch that alone reads q's output, then an activation that
 * alone reads that: 0 to 2.  The outputs of q and of all but the last of
 * them are then never written. */
int wh_dnnl_fused(const struct wh_dnnl *d, int q);
/* The tensor that op q and the max pool that alone reads it leave holding
 * only the last slice of the batch, as they run slice by slice, or -1. */
int wh_dnnl_sliced(const struct wh_dnnl *d, int q);
/* The samples of a job of n whose place in tensor t's buffer (a root) the
 * ops write: n, or fewer for the tensor a convolution and its max pool
 * write a slice at a time, 0 for one that post-ops leave unwritten. */
size_t wh_dnnl_written(const struct wh_dnnl *d, int t, size_t n);

/* Makes every op's primitives for batch n with the layers' own weights
 * now rather than on first use (the evaluator does for its job size). */
void wh_dnnl_prepare(struct wh_dnnl *d, size_t n);

/* Layer i's weights changed: its primitives are rebuilt on next use. */
void wh_dnnl_set_layer(struct wh_dnnl *d, int i);

/*
 * Runs op q for n samples on buf (one buffer per tensor id, each in the
 * plan's layout), in thread `thread`.  lw and aux are the layer's override
 * as for wh_op_run, scratch holds wh_op_scratch(o, lw, n) floats for the
 * reference kernels.  Returns how many of the following ops it computed as
 * well (the caller skips them).  An op oneDNN declines runs the reference.
 */
int wh_dnnl_run(struct wh_dnnl *d, int q, const struct wh_layer_weights *lw,
    const float *aux, float **buf, size_t n, float *scratch, int thread);

/* Tensor t of n samples in the plan's layout (src) -> plain NCHW (dst). */
int wh_dnnl_to_plain(struct wh_dnnl *d, int t, const float *src, float *dst,
    size_t n, int thread, char **err);

/* The implementation oneDNN chose for op q at batch n, e.g.
 * "jit:avx2 conv nChw8c", for benchmarks; "" when q runs no primitive
 * (yet).  The string belongs to the plan. */
const char *wh_dnnl_impl(struct wh_dnnl *d, int q, size_t n);

#endif
