/* op.h - the operator registry: one definition per ONNX operator (op-*.c),
 * the table of them (op-table.c), and the compiler helpers they use */
#ifndef WHITTLE_OP_H
#define WHITTLE_OP_H

#include <stdint.h>

#include "graph-int.h"

/*
 * Sizes a model may ask for.  A tensor (an activation per sample, a folded
 * constant, a kernel's scratch per sample) holds at most WH_MAX_ELEMS
 * values, and all the activations of one sample together at most
 * WH_MAX_SAMPLE_ELEMS: 1 GiB and 4 GiB of float32.  Beyond them the model
 * is bad input, reported before anything is allocated.
 */
#define WH_MAX_ELEMS ((int64_t)1 << 28)
#define WH_MAX_SAMPLE_ELEMS ((int64_t)1 << 30)
#define WH_MAX_ELEMS_STR "268435456"

/* Variadic: no upper bound on the inputs or outputs. */
#define WH_ANY 0x7fff

struct wh_map;

/* The state of one compilation, passed to every definition's functions. */
struct wh_compiler {
	const struct wh_model *m;
	struct wh_graph *g;
	char **err;
	const struct wh_opdef *def;	/* of the node being compiled */
	struct wh_map *ids;		/* tensor name -> latest tensor id */
	struct wh_map *readers;		/* tensor name -> node inputs reading it */
	int cap_t, cap_ops, cap_layers;
	int64_t sample_elems;		/* activation values per sample so far */
	/*
	 * Leading batch axes of an activation's full dims: 1, the probe
	 * batch first; 0 when the graph is compiled one sample at a time
	 * (struct wh_graph single), the full dims then the ONNX dims at
	 * batch 1, all of them stored per sample.
	 */
	int nb;
	int batch_moved;		/* a node refused to move the batch */
};

/*
 * A kernel: what a compiled op runs.  run computes op o for n samples with
 * buf (one buffer per tensor id); lw is the layer override (or NULL) and
 * lwaux its second factor; scratch holds scratch(o, n) floats (beyond the
 * activation quantization's, which the caller adds).  scratch and fused
 * may be NULL (none, 0).  fused says how many of the following ops run
 * computes as well (0 or 1).  A backend replaces an op's kernel at compile
 * time (struct wh_backend); priv is then its per-op state.
 */
struct wh_kernel {
	const char *name;
	void (*run)(const struct wh_graph *g, const struct wh_op *o,
	    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
	    size_t n, float *scratch);
	size_t (*scratch)(const struct wh_graph *g, const struct wh_op *o,
	    const struct wh_layer_weights *lw, size_t n);
	int (*fused)(const struct wh_graph *g, const struct wh_op *o,
	    const struct wh_layer_weights *lw);
};

/*
 * Folds a node whose inputs are all constants: parses its attributes,
 * infers the result's shape and computes it.  Returns the new tensor (the
 * graph owns it), or NULL with the message set (use wh_fold_fail).
 */
typedef struct wh_tensor *wh_fold_fn(struct wh_compiler *c, int node);
/*
 * Compiles a node that reads an activation (x: its first input's tensor
 * id): parses the attributes, checks and infers the shapes, and appends
 * the op (wh_op_add, with the definition's kernel), aliases the input, or
 * fuses into the producer.  0, or -1 with the message set (use wh_fail).
 */
typedef int wh_compile_fn(struct wh_compiler *c, int node, int x);

/* One ONNX operator, in the semantics of opsets [since, until]. */
struct wh_opdef {
	const char *name;		/* op_type, default domain */
	int since, until;		/* until 0: every later opset */
	int min_in, max_in;		/* node inputs; max WH_ANY: variadic */
	int min_out, max_out;		/* node outputs */
	wh_fold_fn *fold;		/* NULL: not on constants */
	wh_compile_fn *compile;		/* NULL: on constants only */
	const struct wh_kernel *kernel;	/* what its ops run; NULL: none */
	int arg;			/* for functions that several share,
					 * e.g. the enum wh_unary */
};

/*
 * A kernel backend (e.g. oneDNN): bind looks at a compiled op and may set
 * o->kern to one of its own kernels and o->priv to its state (freed with
 * o->priv_free); it returns 1 when it took the op, 0 to leave it, -1 with
 * a message on error.  The backends are listed in op-table.c.
 */
struct wh_backend {
	const char *name;
	int (*bind)(const struct wh_graph *g, struct wh_op *o, char **err);
};

/* The table, sorted by name then opset. */
const struct wh_opdef *const *wh_op_table(size_t *n);
/* The definition of op at the opset, or NULL.  *known (may be NULL) says
 * whether some opset has one. */
const struct wh_opdef *wh_op_find(const char *op, int64_t opset, int *known);
/* Offers each compiled op to the backends; -1 with a message on error. */
int wh_backends_bind(struct wh_graph *g, char **err);

/* ---- helpers for the definitions (graph.c) ---------------------------- */

/* fail formats "path: node 'name' (op): " + fmt with a; wh_fold_fail
 * returns NULL. */
int wh_fail(struct wh_compiler *c, int node, const char *fmt, const char *a);
/* wh_fail for a node that would move, merge, slice or reduce the batch
 * axis: the graph is then compiled again one sample at a time. */
int wh_batch_fail(struct wh_compiler *c, int node, const char *fmt,
    const char *a);
struct wh_tensor *wh_fold_fail(struct wh_compiler *c, int node,
    const char *fmt, const char *a);
/* Tensor id of input k of the node, -1 when omitted. */
int wh_in_id(struct wh_compiler *c, int node, int k);
/* Input k when it is a constant, else NULL. */
const struct wh_tensor *wh_in_const(struct wh_compiler *c, int node, int k);
const char *wh_out_name(struct wh_compiler *c, int node);
/* Adds a constant (owned: the graph frees it). */
int wh_const_add(struct wh_compiler *c, const char *name,
    struct wh_tensor *val, int owned);
/* Adds an activation with full dims (c->nb batch axes first), produced by
 * op prod; -1 with a message when it is larger than the limits. */
int wh_act_add(struct wh_compiler *c, int node, const char *name, int ndim,
    const int64_t *full, int prod);
/* An activation sharing src's buffer, with other dims; -1 when the sizes
 * differ. */
int wh_alias_add(struct wh_compiler *c, const char *name, int src, int ndim,
    const int64_t *full);
/* Appends an op running the current definition's kernel. */
struct wh_op *wh_op_add(struct wh_compiler *c, enum wh_opkind kind, int node);
/* Adds the layer of the last op. */
struct wh_layer *wh_layer_add(struct wh_compiler *c, int node,
    enum wh_layer_kind kind);
/* Full dims of a tensor: a constant's, or an activation's with the probe
 * batch first (c->nb 1) or as stored (0). */
void wh_full_dims(const struct wh_compiler *c, const struct wh_tinfo *t,
    int *ndim, int64_t *dims);
/* The per-sample dims of activation t from its channel axis on, for the
 * ops that take (c, h, w), and in *planes (may be NULL) how many of them
 * a sample holds: one sample at a time its ONNX batch dim, else 1.  NULL
 * when planes is NULL and that is not 1. */
const int64_t *wh_chan_dims(const struct wh_compiler *c,
    const struct wh_tinfo *t, int *ndim, int64_t *planes);
/* Node inputs reading the tensor called name. */
int wh_readers(struct wh_compiler *c, const char *name);
/* Fuses a BatchNormalization (scale, shift) or a Relu (relu) into the op
 * producing x when it is x's only reader; 1 when fused. */
int wh_try_fuse(struct wh_compiler *c, int node, int x, const float *scale,
    const float *shift, int relu);

/* graph-factor.c: after a layer's op and layer were added, folds them
 * with the layer before when the two are the factors of one (what `whittle
 * apply' writes for a low-rank layer): one layer, run at its rank.  0, or
 * -1 with the message set. */
int wh_fold_factored(struct wh_compiler *c);

/*
 * graph-fuse.c: rewrites each chain of ops that spells out LayerNorm
 * (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, then Mul and
 * Add by constants) or GELU (Div by sqrt 2, Erf, Add 1, Mul by x and
 * 0.5) into one op, when no intermediate is read outside the chain or
 * pinned (pinned[t] nonzero for tensors that must stay computed, e.g.
 * the graph outputs; may be NULL).  The dropped ops' outputs become
 * unproduced (prod -2), the producers and the layers' op indices are
 * renumbered.  Runs after compiling, before liveness; returns the number
 * of chains fused.
 */
int wh_graph_fuse(struct wh_graph *g, const char *pinned);

/* Tensors: new zeroed (NULL with a message past the limit), freed. */
struct wh_tensor *wh_ctensor_new(struct wh_compiler *c, int node,
    enum wh_dtype dtype, int ndim, const int64_t *dims);
void wh_ctensor_free(struct wh_tensor *t);
double wh_cget(const struct wh_tensor *t, size_t i);
/* An int64 value exactly (a float one saturated), for shapes and indices. */
int64_t wh_cget_int(const struct wh_tensor *t, size_t i);
void wh_cset(struct wh_tensor *t, size_t i, double v);
/*
 * v truncated to int64, saturated at the ends and 0 for NaN: C leaves the
 * plain conversion of an out-of-range float undefined.
 */
int64_t wh_sat_i64(double v);
/* Reads a constant int64 list; its length, -1 past max. */
int wh_ints_of(const struct wh_tensor *t, int64_t *out, int max);
/* axis + ndim when negative; -1 outside [0, ndim). */
int wh_norm_axis(int64_t axis, int ndim);
/* numpy broadcasting of two shapes; -1 when incompatible. */
int wh_broadcast(int an, const int64_t *ad, int bn, const int64_t *bd,
    int *on, int64_t *od);
/* Strides of a tensor of shape (sn, sd) broadcast into (n, od). */
void wh_bstrides(int sn, const int64_t *sd, int n, const int64_t *od,
    int64_t *str);

/* Checked arithmetic on sizes: 0, or -1 on overflow or a negative. */
static inline int
wh_mul_i64(int64_t a, int64_t b, int64_t *out)
{
	return a < 0 || b < 0 || __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

static inline int
wh_add_i64(int64_t a, int64_t b, int64_t *out)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

/* The product of dims, checked against overflow and WH_MAX_ELEMS. */
int wh_dims_elems(const int64_t *dims, int ndim, int64_t *out);

/* ---- shared by the families ------------------------------------------- */

/* op-elementwise.c */
float wh_unary_apply(enum wh_unary u, float x, float alpha, float beta);
/* Unary op o over len floats, binary op o of two same-shaped operands
 * over len floats: what its kernel computes for each, on any layout. */
void wh_unary_flat(const struct wh_op *o, const float *x, float *y,
    size_t len);
void wh_binary_flat(const struct wh_op *o, const float *a, const float *b,
    float *y, size_t len);
extern const struct wh_kernel wh_kernel_unary;
/* The kernels of the layer and pooling ops and of binary arithmetic, for
 * tests that build ops by hand. */
extern const struct wh_kernel wh_kernel_conv, wh_kernel_linear,
    wh_kernel_pool, wh_kernel_binary, wh_kernel_concat;
int wh_compile_unary(struct wh_compiler *c, int node, int x, enum wh_unary u);
/* op-conv.c: strides, dilations, pads or auto_pad of a conv or pool with
 * o->h, o->w, o->kh, o->kw set -> o's geometry and output size. */
int wh_conv_geom(struct wh_compiler *c, int node, struct wh_op *o);
void wh_fake_quant(const float *x, float *y, size_t n, float scale, int zero);
/* op-pool.c: a 2 x 2, stride 2 max pool whose windows stay inside. */
int wh_is_maxpool_2x2(const struct wh_op *o);
/* The kernel taps [k0, k1) of output position o along one axis (stride s,
 * dilation d, leading pad p, kernel k) that fall inside an input of in. */
void wh_pool_taps(int64_t o, int64_t s, int64_t d, int64_t p, int64_t k,
    int64_t in, int64_t *k0, int64_t *k1);

/* op-norm.c: LayerNormalization's kernel, over (n, ln_outer, ln_inner) */
extern const struct wh_kernel wh_kernel_layernorm;
/* op-reduce.c: whether o is a ReduceMean */
int wh_reduce_is_mean(const struct wh_op *o);

/* kernel-math.c: erf and GELU (0.5 x (1 + erf(x / sqrt 2))) of one float,
 * within 2e-7 of the exact value (GELU: 2e-7 |x| beyond 1), and of n
 * floats x -> y; simd 0 keeps to the baseline instruction set (the scalar
 * functions' results), 1 lets the CPU's AVX2 and FMA in when it has them */
float wh_erf(float x);
float wh_gelu(float x);
void wh_erf_vec(const float *x, float *y, size_t n, int simd);
void wh_gelu_vec(const float *x, float *y, size_t n, int simd);
/* The logistic sigmoid alike, within a few ulps of the exact value. */
float wh_sigmoid(float x);
void wh_sigmoid_vec(const float *x, float *y, size_t n, int simd);
/* exp(x) within 2 ulps where the result is normal (below e^-87: about
 * 1e-38, not 0). */
void wh_exp_vec(const float *x, float *y, size_t n, int simd);
/* x times its sigmoid, each product as a Mul of the two would give. */
void wh_silu_vec(const float *x, float *y, size_t n, int simd);
/* The sum of x[0 .. m) in double (sq: of the squares of x - mean), in an
 * order of its own that vectorizes */
double wh_row_sum(const float *x, int64_t m, int sq, double mean);

/* kernel-avx512.c: the fast conv and linear paths (0 where unavailable) */
int wh_fconv_ok(const struct wh_op *o, const struct wh_layer_weights *lw);
size_t wh_fconv_scratch(const struct wh_op *o);
const struct wh_op *wh_fconv_pool(const struct wh_graph *g,
    const struct wh_op *o, const struct wh_layer_weights *lw);
void wh_fconv_run(const struct wh_graph *g, const struct wh_op *o,
    const float *w, const float *x, float *y, size_t n, float *scratch,
    const struct wh_op *pool);
int wh_flin_ok(const struct wh_op *o, const struct wh_layer_weights *lw);
size_t wh_flin_scratch(const struct wh_op *o);
void wh_flin_run(const struct wh_graph *g, const struct wh_op *o,
    const float *w, const float *x, float *y, int64_t m, float *scratch);

#endif
