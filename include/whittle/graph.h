/* graph.h - an ONNX model compiled into an executable list of ops */
#ifndef WHITTLE_GRAPH_H
#define WHITTLE_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/model.h"

enum wh_layer_kind {
	WH_LAYER_GEMM,		/* Gemm with a constant weight */
	WH_LAYER_MATMUL,	/* MatMul with a constant 2-D right operand */
	WH_LAYER_CONV		/* Conv with a constant weight */
};

/*
 * A compressible layer.  Its weight is viewed as a matrix w: (out, in) with
 * in = cin_per_group * kh * kw for Conv; every transform works on that view.
 */
struct wh_layer {
	char *name;		/* the node's name */
	enum wh_layer_kind kind;
	int node;		/* index in model->nodes */
	int op;			/* index in the compiled op list (execution order) */
	const char *weight_name;	/* initializer names, owned by the model */
	const char *bias_name;	/* NULL when the layer has no bias */
	int wndim;		/* the weight's dims as the node reads it: the */
	int64_t wdims[WH_MAX_DIMS];	/* initializer's, or what folding made */
	int64_t out, in;	/* matrix view */
	int64_t cin, kh, kw;	/* Conv: input channels per group and kernel; 1 otherwise */
	int group;		/* Conv groups; 1 otherwise */
	int64_t out_h, out_w;	/* Conv output size; 1 otherwise */
	int64_t rows;		/* Gemm/MatMul rows per sample (usually 1) */
	const float *w;		/* (out, in), owned by the graph, read-only */
	const float *bias;	/* (out) or NULL; the model's data */
	uint64_t macs;		/* multiply-accumulates per sample, dense */
	int max_rank;		/* min(out, in); 0 when low-rank is not possible */
	/*
	 * A layer the model stores factored, as two nodes (whittle apply
	 * writes X/lowrank_a then X/lowrank_b): rank > 0, node is the
	 * second's and node_a the first's (else -1), weight_name the
	 * second's weight.  u: (out, rank), vt: (rank, in), or with
	 * spatial u: (out * kh, rank), vt: (rank, cin * kw); w is their
	 * product and runs only when an override asks for a dense weight.
	 * macs_stored counts the two factors' work.
	 */
	int rank, spatial;
	int node_a;
	const float *u, *vt;
	const char *weight_a_name;	/* the first node's weight */
	/* what its compressed weights are named after: weight_name, or P
	 * for a factored layer's weights P.u and P.vt */
	const char *weight_base;
	uint64_t macs_stored;	/* as the model runs it */
};

struct wh_graph;

/*
 * Compiles the model: sorts the nodes, folds constant sub-graphs (the
 * Shape/Gather/Unsqueeze/Concat chains torch emits), infers every shape,
 * fuses BatchNormalization and Relu into the preceding layer where it is
 * their only reader, and lists the compressible layers.  The model must
 * outlive the graph.  NULL and a message on an unsupported operator or an
 * inconsistent shape.
 */
struct wh_graph *wh_graph_new(const struct wh_model *m, char **err);
void wh_graph_free(struct wh_graph *g);

/*
 * How to compile when not as a classifier with one batched input.
 *   input:   the model input (index in m->inputs) that is the batched float
 *            activation, its first dim the batch; -1 for none, when every
 *            graph input is bound below and the whole graph folds.
 *   ndim, dims: when ndim > 0, that input's dims after the batch, which
 *            fill its symbolic dims (and must equal its declared ones).
 *   consts:  graph inputs bound as constants before compiling, matched by
 *            their names; borrowed, they must outlive the graph.
 *   probe:   the batch size shapes are inferred with (0: the default, 3).
 *            A graph that reads the batch size (Shape of the input) is
 *            right only for that batch; run it with exactly that many.
 *   whole:   a graph that moves the batch axis compiles for a batch of
 *            exactly probe samples, run as one sample of them all
 *            (wh_graph_run with n 1), rather than for a batch of one.
 * The graph output may then be a constant (wh_graph_tensor says).
 */
struct wh_graph_opts {
	int input;
	int ndim;
	int64_t dims[WH_MAX_DIMS];
	const struct wh_tensor *consts;
	size_t nconsts;
	int probe;
	int whole;
};
struct wh_graph *wh_graph_new_opts(const struct wh_model *m,
    const struct wh_graph_opts *opts, char **err);

/*
 * The latest tensor called name: -1 when there is none; for a constant 0
 * with *is_const set and its value in *cval (the graph's); for an
 * activation its ndim, with its dims after the batch in dims.
 */
int wh_graph_tensor(const struct wh_graph *g, const char *name, int *is_const,
    const struct wh_tensor **cval, int64_t *dims);

int wh_graph_nlayers(const struct wh_graph *g);
const struct wh_layer *wh_graph_layer(const struct wh_graph *g, int i);
/* Index of the layer with that node name, or -1. */
int wh_graph_find_layer(const struct wh_graph *g, const char *name);

/* Values per sample of the graph input and of the (first) output. */
size_t wh_graph_input_size(const struct wh_graph *g);
size_t wh_graph_output_size(const struct wh_graph *g);
/* The input's per-sample dims (without the batch dim). */
int wh_graph_input_dims(const struct wh_graph *g, int64_t *dims);
/*
 * 1 when the graph runs one sample at a time: it moves the batch axis
 * (transposes it or merges it with other dims, as torch's attention does),
 * so it was compiled for a batch of one and each sample runs as one (or,
 * with wh_graph_opts whole, for the probe batch, run as one sample).
 */
int wh_graph_single(const struct wh_graph *g);

/* Totals over the model: float parameters in use, their float32 bytes,
 * multiply-accumulates per sample (all layers, dense; a layer stored
 * factored as its two factors run). */
uint64_t wh_graph_params(const struct wh_graph *g);
uint64_t wh_graph_bytes(const struct wh_graph *g);
uint64_t wh_graph_macs(const struct wh_graph *g);

#endif
