/* graph-int.h - the compiled graph, shared by the compiler (graph.c, op-*.c),
 * the kernels and eval.c */
#ifndef WHITTLE_GRAPH_INT_H
#define WHITTLE_GRAPH_INT_H

#include "whittle/eval.h"
#include "whittle/graph.h"

/*
 * Every float tensor that depends on the input is an activation whose first
 * dim is the batch.  Shapes are inferred with a probe batch of WH_PROBE_N
 * and stored per sample (dims without the batch), so the compiled graph runs
 * any batch size.  Everything else is a constant, folded at compile time.
 * The probe is 3 unless the compilation asks for another (struct
 * wh_graph_opts): it holds for the compiling thread while it compiles.
 *
 * A graph that moves the batch axis (transposes it, merges it with other
 * dims, as torch's attention does) compiles one sample at a time instead
 * (single): with a probe of 1, and its ONNX batch axis kept as a
 * per-sample dim of 1, so that the runtime's samples are an outer axis the
 * ONNX graph never sees.  wh_run compiles it for its whole batch instead
 * (whole: the probe is that batch, run as one sample).
 */
extern _Thread_local int wh_probe_n;
#define WH_PROBE_N wh_probe_n
#define WH_PROBE_DEFAULT 3

enum wh_opkind {
	OP_LINEAR,	/* Gemm / MatMul with a constant weight */
	OP_CONV,
	OP_MAXPOOL,
	OP_AVGPOOL,
	OP_GAP,		/* GlobalAveragePool */
	OP_UNARY,
	OP_BINARY,
	OP_SOFTMAX,
	OP_LOGSOFTMAX,
	OP_AFFINE,	/* unfused BatchNormalization: x * scale[c] + shift[c] */
	OP_TRANSPOSE,
	OP_CONCAT,
	OP_PAD,
	OP_REDUCE,
	OP_LAYERNORM,
	OP_SLICE,
	OP_GATHER,
	OP_MATMUL	/* MatMul not a layer: two activations (attention) */
};

enum wh_unary { U_RELU, U_LEAKY, U_SIGMOID, U_TANH, U_ERF, U_GELU, U_GELU_TANH,
	U_NEG, U_EXP, U_SQRT, U_ABS, U_CLIP,
	U_HARDSIGMOID,		/* clip(alpha x + beta, 0, 1) */
	U_HARDSWISH,		/* x clip(x / 6 + 1 / 2, 0, 1) */
	U_RECIPROCAL,
	U_CEIL,
	U_ELU,			/* x, or alpha (exp(x) - 1) below 0 */
	U_FLOOR,
	U_LOG,
	U_NOT,			/* 1 where x is 0, else 0 */
	U_ROUND,		/* half to even */
	U_SELU,			/* beta x, or beta alpha (exp(x) - 1) at or below 0 */
	U_SIGN,
	U_SOFTPLUS,
	U_SOFTSIGN,
	U_QUANT_U8, U_QUANT_I8,	/* QuantizeLinear: alpha scale, beta zero point */
	U_DEQUANT,		/* DequantizeLinear of such codes */
	U_SILU };		/* x sigmoid(x): Sigmoid and Mul fused */
enum wh_binary { B_ADD, B_SUB, B_MUL, B_DIV, B_POW,
	B_AND,			/* logic and comparisons on activations: */
	B_EQUAL,		/* floats, 1 for true and 0 for false; */
	B_GREATER,		/* any nonzero operand is true */
	B_GREATEREQ,
	B_LESS,
	B_LESSEQ,
	B_MAX,			/* a NaN operand gives NaN */
	B_MIN,
	B_OR,
	B_PRELU,		/* a, or a times the slope b below 0 */
	B_XOR };

struct wh_tinfo {
	char *name;
	int is_const;
	struct wh_tensor *cval;	/* constants: borrowed initializer or owned folded */
	int cval_owned;
	int param;		/* a float constant counted in params */
	int learned;		/* an initializer, or folded from one (not
				 * only from Constant nodes) */
	int ndim;		/* activations: per-sample dims */
	int64_t dims[WH_MAX_DIMS];
	size_t ss;		/* activations: values per sample */
	int alias;		/* activation sharing another's buffer, or -1 */
	int prod;		/* producing op, -1 for the graph input */
	int last;		/* last reading op; nops for graph outputs */
};

struct wh_kernel;

struct wh_op {
	enum wh_opkind kind;
	const struct wh_kernel *kern;	/* what runs it (op.h) */
	void *priv;		/* a backend's state for this op, or NULL */
	void (*priv_free)(void *);
	int node;
	int in[4];		/* activation tensors (-1 where unused) */
	int nin;
	int out;
	int layer;		/* OP_LINEAR / OP_CONV: the layer, else -1 */
	/* a layer stored factored (wh_layer rank > 0): what runs without an
	 * override, the layer's own factors, and for spatial the second
	 * conv's weight (oc, r * kh), owned */
	struct wh_layer_weights dflt;
	float *dflt_aux;

	/* OP_LINEAR: rows per sample, in, out.  OP_CONV and pools: geometry. */
	int64_t rows;
	int64_t c, h, w;	/* input per sample */
	int64_t oc, oh, ow;	/* output per sample */
	int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
	int group;
	int count_pad;		/* AveragePool count_include_pad */
	int64_t planes;		/* OP_CONV and pools compiled one sample at
				 * a time: its ONNX batch dim, each (c, h, w)
				 * of it run as a sample (1, or 0 in ops
				 * built by hand, otherwise) */

	/* epilogue after the bias: y = y * ep_scale[c] + ep_shift[c], then relu */
	float *ep_scale, *ep_shift;
	int ep_relu;

	/* OP_UNARY */
	enum wh_unary unary;
	float alpha, beta;

	/* OP_BINARY: out dims per sample (ndim), and strides of a and b in
	 * out's index space (0 on broadcast dims); b may be a constant. */
	enum wh_binary binary;
	const float *bconst;	/* constant right (or left, swapped) operand */
	int swapped;		/* the constant was the left operand */
	int bnd;
	int64_t bdims[WH_MAX_DIMS];
	int64_t astr[WH_MAX_DIMS], bstr[WH_MAX_DIMS];
	int a_batch, b_batch;	/* operand varies with the sample */
	/* Where (an OP_BINARY with the where kernel): cond, x and y in
	 * in[0..2] or, for a constant, its values in wconst[k]; their strides
	 * in out's index space, and whether each varies with the sample */
	const float *wconst[3];
	int64_t wstr[3][WH_MAX_DIMS];
	int wbatch[3];
	int mm_transb;		/* OP_MATMUL: b is (..., N, K) */

	/* OP_SOFTMAX / OP_LOGSOFTMAX: outer x axis x inner per sample */
	int64_t sm_outer, sm_axis, sm_inner;

	/* OP_AFFINE: channels and spatial size per sample */
	float *aff_scale, *aff_shift;
	int64_t aff_c, aff_inner;

	/* OP_TRANSPOSE: per-sample perm over per-sample input dims */
	int tnd;
	int64_t tdims[WH_MAX_DIMS];	/* input per-sample dims */
	int tperm[WH_MAX_DIMS];

	/* OP_PAD: per-sample input dims in tdims (tnd of them), output
	 * dims, what each axis starts with (negative: cropped) */
	int64_t pad_odims[WH_MAX_DIMS], pad_lo[WH_MAX_DIMS];
	int pad_mode;		/* 0 constant, 1 reflect, 2 edge */
	float pad_value;

	/* OP_SLICE: per-sample input dims in tdims (tnd of them), output
	 * dims in pad_odims, the first index and the step along each axis */
	int64_t sl_start[WH_MAX_DIMS], sl_step[WH_MAX_DIMS];

	/* OP_GATHER: per sample (outer, axis, inner) -> (outer, nidx, inner),
	 * the indices borrowed from their constant (int64, or float holding
	 * integers) */
	const int64_t *ga_idx;
	const float *ga_fidx;
	int64_t ga_nidx, ga_outer, ga_axis, ga_inner;

	/* OP_REDUCE: per-sample input dims in tdims (tnd of them), the axes
	 * reduced, how many values each output reduces, and the reduction
	 * (op-reduce.c) */
	int red_axis[WH_MAX_DIMS];
	int64_t red_count;
	int red_kind;

	/* OP_LAYERNORM: outer x inner per sample, normalized over inner;
	 * scale and bias (inner) or (1) values, borrowed constants */
	const float *ln_scale, *ln_bias;
	int64_t ln_outer, ln_inner;
	int ln_sc1, ln_b1;	/* scale, bias: one value for all */
	float ln_eps;

	/* OP_CONCAT: outer, per-input axis block sizes, and a constant
	 * input's one sample (its in[] -1) */
	int64_t cat_outer;
	int64_t cat_block[4];
	const float *cat_const[4];
};

struct wh_graph {
	const struct wh_model *model;
	struct wh_tinfo *t;
	int nt;
	struct wh_op *ops;
	int nops;
	struct wh_layer *layers;
	int nlayers;
	int input;		/* tensor id of the graph input */
	int output;		/* tensor id of the first graph output */
	int single;		/* compiled one sample at a time: activations'
				 * dims are the ONNX ones at batch 1 */
	int whole;		/* single, for the whole probe batch (their
				 * dims the ONNX ones at that batch) */
	uint64_t params, macs;
};

/* Runs op o for n samples with the given buffers (one per tensor id).
 * lw is the layer override (or NULL), scratch holds at least
 * wh_op_scratch(o, n) floats. */
void wh_op_run(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch);
/* How many of the ops after o wh_op_run(o) computes as well, 0 or 1: a
 * 2 x 2 max pool that alone reads a convolution's output is folded into it
 * on some paths.  The caller then skips that op. */
int wh_op_fused(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw);
size_t wh_op_scratch(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, size_t n);

#endif
