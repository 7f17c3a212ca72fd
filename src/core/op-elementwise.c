/* op-elementwise.c - elementwise operators and activations: the unary
 * functions (Relu, Sigmoid, Tanh, Erf, Gelu, Clip, HardSigmoid, HardSwish,
 * Reciprocal, ...), the binary arithmetic with numpy broadcasting (Add,
 * Sub, Mul, Div, Pow), Softmax and LogSoftmax */
#include <math.h>
#include <string.h>

#include "op.h"
#include "whittle/util.h"

enum { SM_LOG = 1, SM_COERCED = 2 };	/* compile_softmax's def->arg */

static double
binop(enum wh_binary op, double a, double b, int integer)
{
	switch (op) {
	case B_ADD: return a + b;
	case B_SUB: return a - b;
	case B_MUL: return a * b;
	case B_DIV:
		if (integer)
			return b == 0 ? 0 : (double)((int64_t)a / (int64_t)b);
		return a / b;
	case B_POW:
		if (integer)
			return (double)(int64_t)pow(a, b);
		return (double)powf((float)a, (float)b);
	}
	return 0;
}

/* a, b: numpy-broadcast -> the result; int64 when both are */
static struct wh_tensor *
fold_binary(struct wh_compiler *c, int node)
{
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_tensor *b = wh_in_const(c, node, 1);
	enum wh_binary op = (enum wh_binary)c->def->arg;
	int64_t od[WH_MAX_DIMS] = { 0 }, as[WH_MAX_DIMS], bs[WH_MAX_DIMS];
	int64_t idx[WH_MAX_DIMS];
	struct wh_tensor *o;
	int on, i, integer;
	size_t k;

	if (wh_broadcast(a->ndim, a->dims, b->ndim, b->dims, &on, od) != 0)
		return wh_fold_fail(c, node, "operand shapes do not "
		    "broadcast%s", "");
	integer = a->dtype == WH_INT64 && b->dtype == WH_INT64;
	if ((o = wh_ctensor_new(c, node, integer ? WH_INT64 : WH_FLOAT, on,
	    od)) == NULL)
		return NULL;
	wh_bstrides(a->ndim, a->dims, on, od, as);
	wh_bstrides(b->ndim, b->dims, on, od, bs);
	memset(idx, 0, sizeof idx);
	for (k = 0; k < o->count; k++) {
		int64_t ai = 0, bi = 0;

		for (i = 0; i < on; i++) {
			ai += idx[i] * as[i];
			bi += idx[i] * bs[i];
		}
		if (integer)
			o->i[k] = (int64_t)binop(op, (double)a->i[ai],
			    (double)b->i[bi], 1);
		else
			o->f[k] = (float)binop(op, wh_cget(a, ai), wh_cget(b, bi), 0);
		for (i = on - 1; i >= 0; i--) {
			if (++idx[i] < od[i])
				break;
			idx[i] = 0;
		}
	}
	return o;
}

float
wh_unary_apply(enum wh_unary u, float x, float alpha, float beta)
{
	switch (u) {
	case U_RELU: return x > 0 ? x : 0;
	case U_LEAKY: return x >= 0 ? x : alpha * x;
	case U_SIGMOID: return 1.0f / (1.0f + expf(-x));
	case U_TANH: return tanhf(x);
	case U_ERF: return erff(x);
	case U_GELU: return 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
	case U_GELU_TANH:
		return 0.5f * x * (1.0f + tanhf(0.7978845608028654f *
		    (x + 0.044715f * x * x * x)));
	case U_NEG: return -x;
	case U_EXP: return expf(x);
	case U_SQRT: return sqrtf(x);
	case U_ABS: return fabsf(x);
	case U_CLIP: return x < alpha ? alpha : x > beta ? beta : x;
	case U_HARDSIGMOID: {
		float v = alpha * x + beta;

		return v < 0 ? 0 : v > 1 ? 1 : v;
	}
	case U_HARDSWISH: {
		float v = x * (1.0f / 6) + 0.5f;

		return x * (v < 0 ? 0 : v > 1 ? 1 : v);
	}
	case U_RECIPROCAL: return 1.0f / x;
	case U_QUANT_U8:
	case U_QUANT_I8: {
		/* ONNX QuantizeLinear: round half to even, then saturate */
		float q = nearbyintf(x / alpha) + beta;
		float lo = u == U_QUANT_U8 ? 0 : -128, hi = u == U_QUANT_U8 ? 255 : 127;

		return q < lo ? lo : q > hi ? hi : q;
	}
	case U_DEQUANT:
		return (float)((int)x - (int)beta) * alpha;
	}
	return x;
}

static inline float
relu(float v)
{
	return v > 0.0f ? v : 0.0f;	/* maxss: branch-free, no libm call */
}

static float
bapply(enum wh_binary op, float a, float b)
{
	switch (op) {
	case B_ADD: return a + b;
	case B_SUB: return a - b;
	case B_MUL: return a * b;
	case B_DIV: return a / b;
	case B_POW: return powf(a, b);
	}
	return 0;
}

/* x: (n, ...) -> y: (n, ...), elementwise */
int
wh_compile_unary(struct wh_compiler *c, int node, int x, enum wh_unary u)
{
	const struct wh_node *n = &c->m->nodes[node];
	struct wh_op *o;
	int64_t full[WH_MAX_DIMS];
	int nd, r;

	if (u == U_RELU && (r = wh_try_fuse(c, node, x, NULL, NULL, 1)) != 0)
		return r < 0 ? -1 : 0;
	o = wh_op_add(c, OP_UNARY, node);
	o->in[0] = x;
	o->nin = 1;
	o->unary = u;
	if (u == U_LEAKY)
		o->alpha = wh_node_attr_float(n, "alpha", 0.01f);
	if (u == U_HARDSIGMOID) {
		o->alpha = wh_node_attr_float(n, "alpha", 0.2f);
		o->beta = wh_node_attr_float(n, "beta", 0.5f);
	}
	if (u == U_CLIP) {
		const struct wh_tensor *lo = wh_in_const(c, node, 1);
		const struct wh_tensor *hi = wh_in_const(c, node, 2);

		o->alpha = lo ? (float)wh_cget(lo, 0) :
		    wh_node_attr_float(n, "min", -INFINITY);
		o->beta = hi ? (float)wh_cget(hi, 0) :
		    wh_node_attr_float(n, "max", INFINITY);
	}
	wh_full_dims(&c->g->t[x], &nd, full);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* a, b: numpy-broadcast, one an activation -> y: (n, ...) */
static int
compile_binary(struct wh_compiler *c, int node, int a)
{
	struct wh_graph *g = c->g;
	int b = wh_in_id(c, node, 1);
	int64_t ad[WH_MAX_DIMS], bd[WH_MAX_DIMS], od[WH_MAX_DIMS];
	int an, bn, on, i;
	struct wh_op *o;

	wh_full_dims(&g->t[a], &an, ad);
	wh_full_dims(&g->t[b], &bn, bd);
	if (wh_broadcast(an, ad, bn, bd, &on, od) != 0)
		return wh_fail(c, node, "operand shapes do not broadcast%s", "");
	if (od[0] != WH_PROBE_N)
		return wh_fail(c, node, "the result does not keep the batch "
		    "first%s", "");
	o = wh_op_add(c, OP_BINARY, node);
	o->binary = (enum wh_binary)c->def->arg;
	if (g->t[a].is_const) {
		int t = a;
		a = b;
		b = t;
		o->swapped = 1;
		wh_full_dims(&g->t[a], &an, ad);
		wh_full_dims(&g->t[b], &bn, bd);
	}
	o->in[0] = a;
	o->nin = 1;
	if (g->t[b].is_const) {
		if (g->t[b].cval->dtype != WH_FLOAT) {
			g->nops--;
			return wh_fail(c, node, "integer operand on a float "
			    "tensor%s", "");
		}
		o->bconst = g->t[b].cval->f;
	} else {
		o->in[1] = b;
		o->nin = 2;
	}
	/* strides per sample: drop the batch axis of the broadcast shape */
	o->bnd = on - 1;
	for (i = 1; i < on; i++)
		o->bdims[i - 1] = od[i];
	{
		int64_t as[WH_MAX_DIMS], bs[WH_MAX_DIMS];

		wh_bstrides(an, ad, on, od, as);
		wh_bstrides(bn, bd, on, od, bs);
		for (i = 1; i < on; i++) {
			o->astr[i - 1] = as[i];
			o->bstr[i - 1] = bs[i];
		}
		/* an operand with a leading dim of 1 in the batch position
		 * (or fewer dims than the result) is the same for every sample */
		o->a_batch = an == on && ad[0] != 1;
		o->b_batch = bn == on && bd[0] != 1;
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), on, od,
	    g->nops - 1)) < 0)
		return -1;
	if (!o->a_batch)
		return wh_fail(c, node, "the activation operand is broadcast over "
		    "the batch%s", "");
	return 0;
}

/*
 * x: (n, ...) -> y: (n, ...), softmax or log-softmax along the axis; before
 * opset 13 (def->arg & SM_COERCED) over the input coerced to 2-D at axis.
 */
static int
compile_softmax(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	int log = c->def->arg & SM_LOG, coerced = c->def->arg & SM_COERCED;
	int64_t full[WH_MAX_DIMS];
	struct wh_op *o;
	int nd, axis, i;

	wh_full_dims(&c->g->t[x], &nd, full);
	axis = wh_norm_axis(wh_node_attr_int(n, "axis", coerced ? 1 : -1), nd);
	if (axis < 1)
		return wh_fail(c, node, "softmax over the batch axis is not "
		    "supported%s", "");
	o = wh_op_add(c, log ? OP_LOGSOFTMAX : OP_SOFTMAX, node);
	o->in[0] = x;
	o->nin = 1;
	o->sm_outer = o->sm_inner = 1;
	if (coerced) {
		/* coerced to 2-D: one softmax over dims [axis, end) */
		for (i = 1; i < axis; i++)
			o->sm_outer *= full[i];
		o->sm_axis = 1;
		for (i = axis; i < nd; i++)
			o->sm_axis *= full[i];
	} else {
		for (i = 1; i < axis; i++)
			o->sm_outer *= full[i];
		o->sm_axis = full[axis];
		for (i = axis + 1; i < nd; i++)
			o->sm_inner *= full[i];
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

static void
run_binary(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *a = buf[o->in[0]];
	size_t ssa = g->t[o->in[0]].ss, sso = g->t[o->out].ss;
	size_t ssb = o->in[1] >= 0 ? g->t[o->in[1]].ss : 0;
	float *y = buf[o->out];
	int64_t idx[WH_MAX_DIMS];
	int nd = o->bnd, i, same = 1, scalar = 1;
	size_t s, k;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (i = 0; i < nd; i++) {
		if (o->bstr[i] != 0)
			scalar = 0;
		if (o->bstr[i] != o->astr[i])
			same = 0;
	}
	for (s = 0; s < n; s++) {
		const float *as = a + s * ssa;
		const float *bs = o->in[1] >= 0 ?
		    buf[o->in[1]] + (o->b_batch ? s * ssb : 0) : o->bconst;
		float *ys = y + s * sso;

		if (same && ssa == sso) {
			for (k = 0; k < sso; k++)
				ys[k] = o->swapped ? bapply(o->binary, bs[k], as[k]) :
				    bapply(o->binary, as[k], bs[k]);
			continue;
		}
		if (scalar && ssa == sso) {
			for (k = 0; k < sso; k++)
				ys[k] = o->swapped ? bapply(o->binary, bs[0], as[k]) :
				    bapply(o->binary, as[k], bs[0]);
			continue;
		}
		memset(idx, 0, sizeof idx);
		for (k = 0; k < sso; k++) {
			int64_t ai = 0, bi = 0;

			for (i = 0; i < nd; i++) {
				ai += idx[i] * o->astr[i];
				bi += idx[i] * o->bstr[i];
			}
			ys[k] = o->swapped ? bapply(o->binary, bs[bi], as[ai]) :
			    bapply(o->binary, as[ai], bs[bi]);
			for (i = nd - 1; i >= 0; i--) {
				if (++idx[i] < o->bdims[i])
					break;
				idx[i] = 0;
			}
		}
	}
}

/* x: (n, outer, axis, inner) -> y, over the axis */
static void
run_softmax(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	int64_t out, in, a, ss = o->sm_outer * o->sm_axis * o->sm_inner;
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	size_t s;

	(void)g;
	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (s = 0; s < n; s++)
		for (out = 0; out < o->sm_outer; out++)
			for (in = 0; in < o->sm_inner; in++) {
				const float *xp = x + s * ss + out * o->sm_axis *
				    o->sm_inner + in;
				float *yp = y + (xp - x);
				float mx = -INFINITY;
				double sum = 0;

				for (a = 0; a < o->sm_axis; a++)
					if (xp[a * o->sm_inner] > mx)
						mx = xp[a * o->sm_inner];
				for (a = 0; a < o->sm_axis; a++)
					sum += expf(xp[a * o->sm_inner] - mx);
				for (a = 0; a < o->sm_axis; a++) {
					float v = xp[a * o->sm_inner] - mx;

					yp[a * o->sm_inner] = o->kind == OP_SOFTMAX ?
					    (float)(expf(v) / sum) :
					    (float)(v - log(sum));
				}
			}
}

/* x: (n, ss) -> y: (n, ss) */
static void
run_unary(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	size_t ss = g->t[o->out].ss, k;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	if (o->unary == U_RELU) {
		for (k = 0; k < n * ss; k++)
			y[k] = relu(x[k]);
		return;
	}
	for (k = 0; k < n * ss; k++)
		y[k] = wh_unary_apply(o->unary, x[k], o->alpha, o->beta);
}

const struct wh_kernel wh_kernel_unary = { "unary", run_unary, NULL, NULL };
const struct wh_kernel wh_kernel_binary = { "binary", run_binary, NULL,
    NULL };
static const struct wh_kernel kernel_softmax = { "softmax", run_softmax, NULL,
    NULL };

/* a: any float shape -> the function of each value */
static struct wh_tensor *
fold_unary(struct wh_compiler *c, int node)
{
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	struct wh_tensor *o;
	size_t k;

	if (a->dtype != WH_FLOAT)
		return wh_fold_fail(c, node, "cannot fold this operator on "
		    "integer constants%s", "");
	if ((o = wh_ctensor_new(c, node, WH_FLOAT, a->ndim, a->dims)) == NULL)
		return NULL;
	for (k = 0; k < a->count; k++)
		o->f[k] = wh_unary_apply((enum wh_unary)c->def->arg, a->f[k], 0,
		    0);
	return o;
}

static int
compile_unary(struct wh_compiler *c, int node, int x)
{
	return wh_compile_unary(c, node, x, (enum wh_unary)c->def->arg);
}

/* approximate="tanh" selects the tanh form */
static int
compile_gelu(struct wh_compiler *c, int node, int x)
{
	const struct wh_attr *ap = wh_node_attr(&c->m->nodes[node],
	    "approximate");

	return wh_compile_unary(c, node, x, ap && ap->s &&
	    strcmp(ap->s, "tanh") == 0 ? U_GELU_TANH : U_GELU);
}

#define UNARY(id, name, since, fold, u)					\
const struct wh_opdef wh_def_##id = {					\
	name, since, 0, 1, 1, 1, 1, fold, compile_unary, &wh_kernel_unary, u	\
}
UNARY(abs, "Abs", 1, fold_unary, U_ABS);
UNARY(erf, "Erf", 9, fold_unary, U_ERF);
UNARY(exp, "Exp", 1, fold_unary, U_EXP);
UNARY(hardsigmoid, "HardSigmoid", 6, NULL, U_HARDSIGMOID);
UNARY(hardswish, "HardSwish", 14, fold_unary, U_HARDSWISH);
UNARY(reciprocal, "Reciprocal", 6, fold_unary, U_RECIPROCAL);
UNARY(leakyrelu, "LeakyRelu", 1, NULL, U_LEAKY);
UNARY(neg, "Neg", 1, fold_unary, U_NEG);
UNARY(relu, "Relu", 1, fold_unary, U_RELU);
UNARY(sigmoid, "Sigmoid", 1, fold_unary, U_SIGMOID);
UNARY(sqrt, "Sqrt", 1, fold_unary, U_SQRT);
UNARY(tanh, "Tanh", 1, fold_unary, U_TANH);

/* min and max: attributes before opset 11, optional inputs after */
const struct wh_opdef wh_def_clip = {
	"Clip", 1, 0, 1, 3, 1, 1, NULL, compile_unary, &wh_kernel_unary, U_CLIP
};
const struct wh_opdef wh_def_gelu = {
	"Gelu", 1, 0, 1, 1, 1, 1, NULL, compile_gelu, &wh_kernel_unary, U_GELU
};

#define BINARY(id, name, b)						\
const struct wh_opdef wh_def_##id = {					\
	name, 1, 0, 2, 2, 1, 1, fold_binary, compile_binary, &wh_kernel_binary, b	\
}
BINARY(add, "Add", B_ADD);
BINARY(div, "Div", B_DIV);
BINARY(mul, "Mul", B_MUL);
BINARY(pow, "Pow", B_POW);
BINARY(sub, "Sub", B_SUB);

const struct wh_opdef wh_def_softmax_1 = {
	"Softmax", 1, 12, 1, 1, 1, 1, NULL, compile_softmax, &kernel_softmax,
	SM_COERCED
};
const struct wh_opdef wh_def_softmax_13 = {
	"Softmax", 13, 0, 1, 1, 1, 1, NULL, compile_softmax, &kernel_softmax, 0
};
const struct wh_opdef wh_def_logsoftmax_1 = {
	"LogSoftmax", 1, 12, 1, 1, 1, 1, NULL, compile_softmax, &kernel_softmax,
	SM_LOG | SM_COERCED
};
const struct wh_opdef wh_def_logsoftmax_13 = {
	"LogSoftmax", 13, 0, 1, 1, 1, 1, NULL, compile_softmax,
	&kernel_softmax, SM_LOG
};
