/* op-elementwise.c - elementwise operators and activations: the unary
 * functions (Relu, Sigmoid, Tanh, Erf, Gelu, Clip, HardSigmoid, HardSwish,
 * Reciprocal, Exp, Log, Elu, Selu, Softplus, ...), the binary arithmetic,
 * comparisons and logic with numpy broadcasting (Add, Sub, Mul, Div, Pow,
 * PRelu, Equal, Less, And, ...), Where, the variadic Sum, Mean, Min and Max,
 * Softmax and LogSoftmax.
 *
 * Booleans: a folded constant holds them as int64 0 and 1 (elem_type
 * BOOL); an activation as float 0 and 1, so that a comparison can feed
 * arithmetic.  Logic and Where read any nonzero value as true. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "whittle/util.h"

enum { SM_LOG = 1, SM_COERCED = 2 };	/* compile_softmax's def->arg */

/* The comparisons and logic, whose results are booleans. */
static int
is_bool_op(enum wh_binary op)
{
	switch (op) {
	case B_AND: case B_EQUAL: case B_GREATER: case B_GREATEREQ:
	case B_LESS: case B_LESSEQ: case B_OR: case B_XOR:
		return 1;
	default:
		return 0;
	}
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
	case B_AND: return a != 0 && b != 0;
	case B_EQUAL: return a == b;
	case B_GREATER: return a > b;
	case B_GREATEREQ: return a >= b;
	case B_LESS: return a < b;
	case B_LESSEQ: return a <= b;
	case B_MAX: return a != a ? a : b != b ? b : a > b ? a : b;
	case B_MIN: return a != a ? a : b != b ? b : a < b ? a : b;
	case B_OR: return a != 0 || b != 0;
	case B_PRELU: return a < 0 ? a * b : a;
	case B_XOR: return (a != 0) != (b != 0);
	}
	return 0;
}

/* int64 operands, exactly: division truncates, by zero gives 0 */
static int64_t
ibinop(enum wh_binary op, int64_t a, int64_t b)
{
	switch (op) {
	case B_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
	case B_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
	case B_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
	case B_DIV:
		return b == 0 || (a == INT64_MIN && b == -1) ? 0 : a / b;
	case B_POW: return wh_sat_i64(pow((double)a, (double)b));
	case B_AND: return a != 0 && b != 0;
	case B_EQUAL: return a == b;
	case B_GREATER: return a > b;
	case B_GREATEREQ: return a >= b;
	case B_LESS: return a < b;
	case B_LESSEQ: return a <= b;
	case B_MAX: return a > b ? a : b;
	case B_MIN: return a < b ? a : b;
	case B_OR: return a != 0 || b != 0;
	case B_PRELU: return a < 0 ? a * b : a;
	case B_XOR: return (a != 0) != (b != 0);
	}
	return 0;
}

/*
 * a, b: numpy-broadcast -> a op b; int64 when both are, booleans (int64,
 * elem_type BOOL) for comparisons and logic, float otherwise.  PRelu's
 * slope b broadcasts to a's shape only.
 */
static struct wh_tensor *
fold_pair(struct wh_compiler *c, int node, const struct wh_tensor *a,
    const struct wh_tensor *b, enum wh_binary op)
{
	int64_t od[WH_MAX_DIMS] = { 0 }, as[WH_MAX_DIMS], bs[WH_MAX_DIMS];
	int64_t idx[WH_MAX_DIMS];
	struct wh_tensor *o;
	int on, i, integer;
	size_t k;

	if (wh_broadcast(a->ndim, a->dims, b->ndim, b->dims, &on, od) != 0 ||
	    (op == B_PRELU && (on != a->ndim ||
	    memcmp(od, a->dims, on * sizeof *od) != 0)))
		return wh_fold_fail(c, node, "operand shapes do not "
		    "broadcast%s", "");
	integer = a->dtype == WH_INT64 && b->dtype == WH_INT64;
	if ((o = wh_ctensor_new(c, node, integer || is_bool_op(op) ? WH_INT64 :
	    WH_FLOAT, on, od)) == NULL)
		return NULL;
	if (is_bool_op(op))
		o->elem_type = 9;	/* BOOL */
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
			o->i[k] = ibinop(op, a->i[ai], b->i[bi]);
		else if (is_bool_op(op))
			o->i[k] = (int64_t)bapply(op, (float)wh_cget(a, ai),
			    (float)wh_cget(b, bi));
		else
			o->f[k] = bapply(op, (float)wh_cget(a, ai),
			    (float)wh_cget(b, bi));
		for (i = on - 1; i >= 0; i--) {
			if (++idx[i] < od[i])
				break;
			idx[i] = 0;
		}
	}
	return o;
}

static struct wh_tensor *
fold_binary(struct wh_compiler *c, int node)
{
	return fold_pair(c, node, wh_in_const(c, node, 0),
	    wh_in_const(c, node, 1), (enum wh_binary)c->def->arg);
}

static inline float
relu(float v)
{
	return v > 0.0f ? v : 0.0f;	/* maxss: branch-free, no libm call */
}

/* numpy's clip: min(max(v, lo), hi), so hi where lo > hi */
static inline float
clip(float v, float lo, float hi)
{
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

float
wh_unary_apply(enum wh_unary u, float x, float alpha, float beta)
{
	switch (u) {
	case U_RELU: return relu(x);
	case U_LEAKY: return x >= 0 ? x : alpha * x;
	case U_SIGMOID: return wh_sigmoid(x);
	case U_SILU: return x * wh_sigmoid(x);
	case U_TANH: return tanhf(x);
	case U_ERF: return wh_erf(x);
	case U_GELU: return wh_gelu(x);
	case U_GELU_TANH:
		return 0.5f * x * (1.0f + tanhf(0.7978845608028654f *
		    (x + 0.044715f * x * x * x)));
	case U_NEG: return -x;
	case U_EXP: return expf(x);
	case U_SQRT: return sqrtf(x);
	case U_ABS: return fabsf(x);
	case U_CLIP: return clip(x, alpha, beta);
	case U_HARDSIGMOID: return clip(alpha * x + beta, 0.0f, 1.0f);
	case U_HARDSWISH: return x * clip(x * (1.0f / 6) + 0.5f, 0.0f, 1.0f);
	case U_RECIPROCAL: return 1.0f / x;
	case U_CEIL: return ceilf(x);
	case U_ELU: return x < 0 ? alpha * expm1f(x) : x;
	case U_FLOOR: return floorf(x);
	case U_LOG: return logf(x);
	case U_NOT: return x == 0;
	case U_ROUND: return nearbyintf(x);
	case U_SELU: return x > 0 ? beta * x : beta * alpha * expm1f(x);
	case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : x;
	case U_SOFTPLUS: return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x));
	case U_SOFTSIGN: return x / (1 + fabsf(x));
	case U_QUANT_U8:
	case U_QUANT_I8: {
		/* ONNX QuantizeLinear: round half to even, then saturate */
		float q = nearbyintf(x / alpha) + beta;
		float lo = u == U_QUANT_U8 ? 0 : -128, hi = u == U_QUANT_U8 ? 255 : 127;

		return q < lo ? lo : q > hi ? hi : q;
	}
	case U_DEQUANT:
		/* x and beta hold 8-bit codes, so the float difference is exact */
		return (x - beta) * alpha;
	}
	return x;
}

/*
 * The parameters of unary u at node: the attributes (LeakyRelu, Elu and
 * Selu's alpha and gamma, HardSigmoid's alpha and beta), Clip's bounds
 * from its attributes (before opset 11) or its optional inputs, which must
 * then be constant scalars.  0, or -1 with the message set.
 */
static int
unary_params(struct wh_compiler *c, int node, enum wh_unary u, float *alpha,
    float *beta)
{
	const struct wh_node *n = &c->m->nodes[node];
	int k;

	*alpha = *beta = 0;
	switch (u) {
	case U_LEAKY:
		*alpha = wh_node_attr_float(n, "alpha", 0.01f);
		break;
	case U_ELU:
		*alpha = wh_node_attr_float(n, "alpha", 1.0f);
		break;
	case U_SELU:
		*alpha = wh_node_attr_float(n, "alpha", 1.67326319217681884765625f);
		*beta = wh_node_attr_float(n, "gamma", 1.05070102214813232421875f);
		break;
	case U_HARDSIGMOID:
		*alpha = wh_node_attr_float(n, "alpha", 0.2f);
		*beta = wh_node_attr_float(n, "beta", 0.5f);
		break;
	case U_CLIP:
		*alpha = wh_node_attr_float(n, "min", -INFINITY);
		*beta = wh_node_attr_float(n, "max", INFINITY);
		for (k = 1; k <= 2; k++) {
			const struct wh_tensor *b = wh_in_const(c, node, k);

			if (wh_in_id(c, node, k) < 0)
				continue;
			if (b == NULL)
				return wh_fail(c, node, "the %s bound is computed "
				    "from the input; whittle needs a constant",
				    k == 1 ? "min" : "max");
			if (b->count != 1)
				return wh_fail(c, node, "the %s bound is not a "
				    "scalar", k == 1 ? "min" : "max");
			if (k == 1)
				*alpha = (float)wh_cget(b, 0);
			else
				*beta = (float)wh_cget(b, 0);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* x: (n, ...) -> y: (n, ...), elementwise */
int
wh_compile_unary(struct wh_compiler *c, int node, int x, enum wh_unary u)
{
	struct wh_op *o;
	int64_t full[WH_MAX_DIMS];
	float alpha, beta;
	int nd, r;

	if (unary_params(c, node, u, &alpha, &beta) != 0)
		return -1;
	if (u == U_RELU && (r = wh_try_fuse(c, node, x, NULL, NULL, 1)) != 0)
		return r < 0 ? -1 : 0;
	o = wh_op_add(c, OP_UNARY, node);
	o->in[0] = x;
	o->nin = 1;
	o->unary = u;
	o->alpha = alpha;
	o->beta = beta;
	wh_full_dims(c, &c->g->t[x], &nd, full);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/*
 * A name for step k of a node that several ops compute, "<output>#k";
 * NULL with the message set when the model reads a tensor of that name.
 */
static char *
step_name(struct wh_compiler *c, int node, int k)
{
	char *name = xasprintf("%s#%d", wh_out_name(c, node), k);

	if (wh_readers(c, name) > 0) {
		wh_fail(c, node, "the model reads a tensor called %s, which "
		    "whittle names a step of this node", WH_QNAME(name));
		free(name);
		return NULL;
	}
	return name;
}

/*
 * The float values of constant tensor id: its own, or (int64 and boolean
 * constants) a float copy the graph keeps, called step_name(k); NULL with
 * the message set.
 */
static const float *
const_floats(struct wh_compiler *c, int node, int id, int k)
{
	const struct wh_tensor *t = c->g->t[id].cval;
	struct wh_tensor *f;
	char *name;
	size_t i;

	if (t->dtype == WH_FLOAT)
		return t->f;
	if ((name = step_name(c, node, k)) == NULL)
		return NULL;
	if ((f = wh_ctensor_new(c, node, WH_FLOAT, t->ndim, t->dims)) == NULL) {
		free(name);
		return NULL;
	}
	for (i = 0; i < t->count; i++)
		f->f[i] = (float)t->i[i];
	wh_const_add(c, name, f, 1);
	free(name);
	return f->f;
}

/*
 * The operands of an elementwise op with full dims d[k] (nd[k] of them)
 * against the broadcast result od (on dims): an activation must have all
 * the result's dims, so that its batch is the result's, and a constant
 * must not vary along the batch.  0, or -1 with the message set.
 */
static int
check_operand(struct wh_compiler *c, int node, int id, int nd,
    const int64_t *d, int on)
{
	if (c->nb == 0)		/* one sample: every operand is per sample */
		return 0;
	if (!c->g->t[id].is_const && nd != on)
		return wh_batch_fail(c, node, "an activation operand has fewer "
		    "dims than the result, so its batch is broadcast%s", "");
	if (c->g->t[id].is_const && nd == on && d[0] != 1)
		return wh_batch_fail(c, node, "a constant operand varies along "
		    "the batch%s", "");
	return 0;
}

/*
 * y = a op b: numpy-broadcast, at least one of them an activation -> the
 * new activation called name (PRelu: the slope b broadcasts to a's shape).
 * Its id, or -1 with the message set.
 */
static int
add_binary(struct wh_compiler *c, int node, int a, int b, enum wh_binary op,
    const char *name)
{
	struct wh_graph *g = c->g;
	int64_t ad[WH_MAX_DIMS], bd[WH_MAX_DIMS], od[WH_MAX_DIMS];
	int64_t as[WH_MAX_DIMS], bs[WH_MAX_DIMS];
	const float *bconst = NULL;
	int an, bn, on, i, swapped = 0;
	struct wh_op *o;

	wh_full_dims(c, &g->t[a], &an, ad);
	wh_full_dims(c, &g->t[b], &bn, bd);
	if (wh_broadcast(an, ad, bn, bd, &on, od) != 0)
		return wh_fail(c, node, "operand shapes do not broadcast%s", "");
	if (op == B_PRELU && (on != an || memcmp(od, ad, on * sizeof *od) != 0))
		return wh_fail(c, node, "the slope does not broadcast to the "
		    "input's shape%s", "");
	if (c->nb > 0 && od[0] != WH_PROBE_N)
		return wh_batch_fail(c, node, "the result does not keep the "
		    "batch first%s", "");
	if (check_operand(c, node, a, an, ad, on) != 0 ||
	    check_operand(c, node, b, bn, bd, on) != 0)
		return -1;
	if (g->t[a].is_const) {
		int t = a;

		a = b;
		b = t;
		swapped = 1;
		wh_full_dims(c, &g->t[a], &an, ad);
		wh_full_dims(c, &g->t[b], &bn, bd);
	}
	if (g->t[b].is_const && (bconst = const_floats(c, node, b, 0)) == NULL)
		return -1;
	o = wh_op_add(c, OP_BINARY, node);
	o->binary = op;
	o->swapped = swapped;
	o->in[0] = a;
	o->nin = 1;
	if (bconst != NULL)
		o->bconst = bconst;
	else {
		o->in[1] = b;
		o->nin = 2;
	}
	/* strides per sample: drop the batch axis of the broadcast shape */
	o->bnd = on - c->nb;
	wh_bstrides(an, ad, on, od, as);
	wh_bstrides(bn, bd, on, od, bs);
	for (i = c->nb; i < on; i++) {
		o->bdims[i - c->nb] = od[i];
		o->astr[i - c->nb] = as[i];
		o->bstr[i - c->nb] = bs[i];
	}
	o->a_batch = 1;
	o->b_batch = bconst == NULL;
	return o->out = wh_act_add(c, node, name, on, od, g->nops - 1);
}

/* a, b: numpy-broadcast, one an activation -> y: (n, ...) */
static int
compile_binary(struct wh_compiler *c, int node, int a)
{
	return add_binary(c, node, a, wh_in_id(c, node, 1),
	    (enum wh_binary)c->def->arg, wh_out_name(c, node)) < 0 ? -1 : 0;
}

/*
 * x0, x1, ...: numpy-broadcast, at least one an activation -> y: (n, ...),
 * x0 op x1 op ... in input order (Mean: their sum, divided by the count),
 * one binary op per step; leading constants fold first.
 */
static int
compile_variadic(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	enum wh_binary op = (enum wh_binary)c->def->arg;
	int mean = op == B_DIV, nin = (int)n->ninputs, acc, k, last;
	int64_t full[WH_MAX_DIMS];
	char *name;
	int nd;

	for (k = 0; k < nin; k++)
		if (wh_in_id(c, node, k) < 0)
			return wh_fail(c, node, "an input is unnamed%s", "");
	if (nin == 1) {
		wh_full_dims(c, &c->g->t[x], &nd, full);
		return wh_alias_add(c, wh_out_name(c, node), x, nd, full) < 0 ?
		    -1 : 0;
	}
	if (mean)
		op = B_ADD;
	acc = wh_in_id(c, node, 0);
	for (k = 1; k < nin; k++) {
		int b = wh_in_id(c, node, k);

		last = k == nin - 1 && !mean;
		name = last ? xstrdup(wh_out_name(c, node)) :
		    step_name(c, node, k);
		if (name == NULL)
			return -1;
		if (c->g->t[acc].is_const && c->g->t[b].is_const) {
			struct wh_tensor *t = fold_pair(c, node,
			    c->g->t[acc].cval, c->g->t[b].cval, op);

			acc = t != NULL ? wh_const_add(c, name, t, 1) : -1;
		} else
			acc = add_binary(c, node, acc, b, op, name);
		free(name);
		if (acc < 0)
			return -1;
	}
	if (mean) {
		struct wh_tensor *t = wh_ctensor_new(c, node, WH_FLOAT, 0, NULL);
		int cnt;

		if (t == NULL || (name = step_name(c, node, nin)) == NULL) {
			wh_ctensor_free(t);
			return -1;
		}
		t->f[0] = (float)nin;
		cnt = wh_const_add(c, name, t, 1);
		free(name);
		if (add_binary(c, node, acc, cnt, B_DIV,
		    wh_out_name(c, node)) < 0)
			return -1;
	}
	return 0;
}

/* x0, x1, ...: constants, numpy-broadcast -> x0 op x1 op ... (Mean: the
 * sum divided by the count, float) */
static struct wh_tensor *
fold_variadic(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	enum wh_binary op = (enum wh_binary)c->def->arg;
	int mean = op == B_DIV, nin = (int)n->ninputs, k;
	struct wh_tensor *acc = NULL, *t;
	const struct wh_tensor *a;
	size_t i;

	for (k = 0; k < nin; k++)
		if (wh_in_const(c, node, k) == NULL)
			return wh_fold_fail(c, node, "an input is unnamed%s", "");
	a = wh_in_const(c, node, 0);
	if ((acc = wh_ctensor_new(c, node, mean ? WH_FLOAT : a->dtype, a->ndim,
	    a->dims)) == NULL)
		return NULL;
	for (i = 0; i < a->count; i++)
		wh_cset(acc, i, wh_cget(a, i));
	for (k = 1; k < nin; k++) {
		t = fold_pair(c, node, acc, wh_in_const(c, node, k),
		    mean ? B_ADD : op);
		wh_ctensor_free(acc);
		if ((acc = t) == NULL)
			return NULL;
	}
	if (mean)
		for (i = 0; i < acc->count; i++)
			acc->f[i] /= (float)nin;
	return acc;
}

/*
 * Where(cond, x, y): numpy-broadcast, at least one an activation -> y:
 * (n, ...), x where cond is nonzero, else y.
 */
static int
compile_where(struct wh_compiler *c, int node, int x0)
{
	struct wh_graph *g = c->g;
	int64_t d[3][WH_MAX_DIMS], od[WH_MAX_DIMS], str[WH_MAX_DIMS];
	const float *cv[3] = { NULL, NULL, NULL };
	int id[3], nd[3], on, k, i;
	struct wh_op *o;

	(void)x0;
	for (k = 0; k < 3; k++) {
		id[k] = wh_in_id(c, node, k);
		wh_full_dims(c, &g->t[id[k]], &nd[k], d[k]);
	}
	if (wh_broadcast(nd[0], d[0], nd[1], d[1], &on, str) != 0 ||
	    wh_broadcast(on, str, nd[2], d[2], &on, od) != 0)
		return wh_fail(c, node, "operand shapes do not broadcast%s", "");
	if (c->nb > 0 && od[0] != WH_PROBE_N)
		return wh_batch_fail(c, node, "the result does not keep the "
		    "batch first%s", "");
	for (k = 0; k < 3; k++) {
		if (check_operand(c, node, id[k], nd[k], d[k], on) != 0)
			return -1;
		if (g->t[id[k]].is_const &&
		    (cv[k] = const_floats(c, node, id[k], k)) == NULL)
			return -1;
	}
	o = wh_op_add(c, OP_BINARY, node);
	o->nin = 3;
	o->bnd = on - c->nb;
	for (i = c->nb; i < on; i++)
		o->bdims[i - c->nb] = od[i];
	for (k = 0; k < 3; k++) {
		o->wconst[k] = cv[k];
		o->wbatch[k] = cv[k] == NULL;
		if (cv[k] == NULL)
			o->in[k] = id[k];
		wh_bstrides(nd[k], d[k], on, od, str);
		for (i = c->nb; i < on; i++)
			o->wstr[k][i - c->nb] = str[i];
	}
	return (o->out = wh_act_add(c, node, wh_out_name(c, node), on, od,
	    g->nops - 1)) < 0 ? -1 : 0;
}

/* cond, x, y: constants, numpy-broadcast -> x where cond is nonzero, else
 * y; int64 (booleans when x is) when x and y are, else float */
static struct wh_tensor *
fold_where(struct wh_compiler *c, int node)
{
	const struct wh_tensor *t[3];
	int64_t od[WH_MAX_DIMS], str[3][WH_MAX_DIMS], idx[WH_MAX_DIMS];
	struct wh_tensor *o;
	int on, k, i, integer;
	size_t j;

	for (k = 0; k < 3; k++)
		t[k] = wh_in_const(c, node, k);
	if (wh_broadcast(t[0]->ndim, t[0]->dims, t[1]->ndim, t[1]->dims, &on,
	    idx) != 0 || wh_broadcast(on, idx, t[2]->ndim, t[2]->dims, &on,
	    od) != 0)
		return wh_fold_fail(c, node, "operand shapes do not "
		    "broadcast%s", "");
	integer = t[1]->dtype == WH_INT64 && t[2]->dtype == WH_INT64;
	if ((o = wh_ctensor_new(c, node, integer ? WH_INT64 : WH_FLOAT, on,
	    od)) == NULL)
		return NULL;
	if (integer && t[1]->elem_type == 9 && t[2]->elem_type == 9)
		o->elem_type = 9;
	for (k = 0; k < 3; k++)
		wh_bstrides(t[k]->ndim, t[k]->dims, on, od, str[k]);
	memset(idx, 0, sizeof idx);
	for (j = 0; j < o->count; j++) {
		int64_t off[3] = { 0, 0, 0 };
		const struct wh_tensor *s;

		for (k = 0; k < 3; k++)
			for (i = 0; i < on; i++)
				off[k] += idx[i] * str[k][i];
		k = wh_cget(t[0], (size_t)off[0]) != 0 ? 1 : 2;
		s = t[k];
		if (integer)
			o->i[j] = s->i[off[k]];
		else
			o->f[j] = (float)wh_cget(s, (size_t)off[k]);
		for (i = on - 1; i >= 0; i--) {
			if (++idx[i] < od[i])
				break;
			idx[i] = 0;
		}
	}
	return o;
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

	wh_full_dims(c, &c->g->t[x], &nd, full);
	axis = wh_norm_axis(wh_node_attr_int(n, "axis", coerced ? 1 : -1), nd);
	if (axis < c->nb || axis < 0)
		return wh_batch_fail(c, node, "softmax over the batch axis is "
		    "not supported%s", "");
	o = wh_op_add(c, log ? OP_LOGSOFTMAX : OP_SOFTMAX, node);
	o->in[0] = x;
	o->nin = 1;
	o->sm_outer = o->sm_inner = 1;
	if (coerced) {
		/* coerced to 2-D: one softmax over dims [axis, end) */
		for (i = c->nb; i < axis; i++)
			o->sm_outer *= full[i];
		o->sm_axis = 1;
		for (i = axis; i < nd; i++)
			o->sm_axis *= full[i];
	} else {
		for (i = c->nb; i < axis; i++)
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

/*
 * One row of a binary op: y[k] = a[k * sa] op b[k * sb], strides 0 or 1
 * (a broadcast operand repeats its element).  The common arithmetic gets
 * loops of its own, which the compiler vectorizes; each element is the
 * same single operation bapply computes, so results are identical.
 */
static void
binary_row(enum wh_binary op, const float *a, size_t sa, const float *b,
    size_t sb, float *y, size_t len)
{
	size_t k;

#define ROW(expr) do {							\
	if (sa == 1 && sb == 1)						\
		for (k = 0; k < len; k++) {				\
			float x_ = a[k], z_ = b[k];			\
			y[k] = (expr);					\
			(void)z_;					\
		}							\
	else								\
		for (k = 0; k < len; k++) {				\
			float x_ = a[k * sa], z_ = b[k * sb];		\
			y[k] = (expr);					\
			(void)z_;					\
		}							\
} while (0)
	switch (op) {
	case B_ADD: ROW(x_ + z_); break;
	case B_SUB: ROW(x_ - z_); break;
	case B_MUL: ROW(x_ * z_); break;
	case B_DIV: ROW(x_ / z_); break;
	case B_POW:
		/* x^2 (a written-out LayerNorm's variance) as x * x, as
		 * ONNX Runtime and PyTorch compute a square */
		if (sb == 0 && b[0] == 2.0f)
			ROW(x_ * x_);
		else
			ROW(powf(x_, z_));
		break;
	default: ROW(bapply(op, x_, z_)); break;
	}
#undef ROW
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
	int64_t idx[WH_MAX_DIMS], dims[WH_MAX_DIMS], as[WH_MAX_DIMS],
	    bs[WH_MAX_DIMS];
	int nd = 0, i;
	size_t s, k, len;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	/*
	 * The sample's axes, with each run of axes that both operands walk
	 * alike (each contiguous, or each broadcast) joined into one, so that
	 * the last is a long row: one row for same-shaped operands or a
	 * scalar, (C, H * W) for a per-channel scale.
	 */
	for (i = 0; i < o->bnd; i++) {
		if (o->bdims[i] == 1)
			continue;
		if (nd > 0 && as[nd - 1] == o->astr[i] * o->bdims[i] &&
		    bs[nd - 1] == o->bstr[i] * o->bdims[i]) {
			dims[nd - 1] *= o->bdims[i];
			as[nd - 1] = o->astr[i];
			bs[nd - 1] = o->bstr[i];
			continue;
		}
		dims[nd] = o->bdims[i];
		as[nd] = o->astr[i];
		bs[nd] = o->bstr[i];
		nd++;
	}
	if (nd == 0) {
		dims[0] = 1;
		as[0] = bs[0] = 0;
		nd = 1;
	}
	len = (size_t)dims[nd - 1];
	for (s = 0; s < n; s++) {
		const float *ap = a + s * ssa;
		const float *bp = o->in[1] >= 0 ?
		    buf[o->in[1]] + (o->b_batch ? s * ssb : 0) : o->bconst;
		float *ys = y + s * sso;

		memset(idx, 0, sizeof idx);
		for (k = 0; k < sso; k += len) {
			int64_t ai = 0, bi = 0;

			for (i = 0; i < nd - 1; i++) {
				ai += idx[i] * as[i];
				bi += idx[i] * bs[i];
			}
			if (o->swapped)
				binary_row(o->binary, bp + bi,
				    (size_t)bs[nd - 1], ap + ai,
				    (size_t)as[nd - 1], ys + k, len);
			else
				binary_row(o->binary, ap + ai,
				    (size_t)as[nd - 1], bp + bi,
				    (size_t)bs[nd - 1], ys + k, len);
			for (i = nd - 2; i >= 0; i--) {
				if (++idx[i] < dims[i])
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
				if (o->kind == OP_SOFTMAX && o->sm_inner == 1) {
					/* a contiguous row (attention's):
					 * the exponentials vectorized */
					for (a = 0; a < o->sm_axis; a++)
						yp[a] = xp[a] - mx;
					wh_exp_vec(yp, yp, (size_t)o->sm_axis, 1);
					for (a = 0; a < o->sm_axis; a++)
						sum += yp[a];
					for (a = 0; a < o->sm_axis; a++)
						yp[a] = (float)(yp[a] / sum);
					continue;
				}
				if (o->kind == OP_SOFTMAX) {
					/* each exponential once: kept in y, then
					 * divided (in place is safe: y[a] is
					 * written after x[a] is read) */
					for (a = 0; a < o->sm_axis; a++) {
						float e = expf(xp[a * o->sm_inner] -
						    mx);

						sum += e;
						yp[a * o->sm_inner] = e;
					}
					for (a = 0; a < o->sm_axis; a++)
						yp[a * o->sm_inner] = (float)(
						    yp[a * o->sm_inner] / sum);
					continue;
				}
				for (a = 0; a < o->sm_axis; a++)
					sum += expf(xp[a * o->sm_inner] - mx);
				for (a = 0; a < o->sm_axis; a++)
					yp[a * o->sm_inner] = (float)(
					    xp[a * o->sm_inner] - mx - log(sum));
			}
}

/*
 * x -> y over len floats.  The common functions get loops of their own,
 * which the compiler vectorizes (erf, GELU and sigmoid in kernel-math.c);
 * each element is what wh_unary_apply computes.
 */
void
wh_unary_flat(const struct wh_op *o, const float *x, float *y, size_t len)
{
	float al = o->alpha, be = o->beta;
	size_t k;

#define LOOP(expr) do {							\
	for (k = 0; k < len; k++) {					\
		float v_ = x[k];					\
		y[k] = (expr);						\
	}								\
} while (0)
	switch (o->unary) {
	case U_RELU: LOOP(relu(v_)); break;
	case U_LEAKY: LOOP(v_ >= 0 ? v_ : al * v_); break;
	case U_CLIP: LOOP(clip(v_, al, be)); break;
	case U_HARDSIGMOID: LOOP(clip(al * v_ + be, 0.0f, 1.0f)); break;
	case U_HARDSWISH:
		LOOP(v_ * clip(v_ * (1.0f / 6) + 0.5f, 0.0f, 1.0f));
		break;
	case U_SIGMOID: wh_sigmoid_vec(x, y, len, 1); break;
	case U_SILU: wh_silu_vec(x, y, len, 1); break;
	case U_TANH: LOOP(tanhf(v_)); break;
	case U_NEG: LOOP(-v_); break;
	case U_ABS: LOOP(fabsf(v_)); break;
	case U_ERF: wh_erf_vec(x, y, len, 1); break;
	case U_GELU: wh_gelu_vec(x, y, len, 1); break;
	default: LOOP(wh_unary_apply(o->unary, v_, al, be)); break;
	}
#undef LOOP
}

static void
run_unary(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	(void)lw;
	(void)lwaux;
	(void)scratch;
	wh_unary_flat(o, buf[o->in[0]], buf[o->out], n * g->t[o->out].ss);
}

void
wh_binary_flat(const struct wh_op *o, const float *a, const float *b,
    float *y, size_t len)
{
	binary_row(o->binary, a, 1, b, 1, y, len);
}

/* cond, x, y: broadcast into (n, bdims) -> y */
static void
run_where(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t sso = g->t[o->out].ss, ss[3], s, k;
	int64_t idx[WH_MAX_DIMS];
	const float *p[3];
	float *y = buf[o->out];
	int nd = o->bnd, i, j;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (j = 0; j < 3; j++)
		ss[j] = o->wconst[j] == NULL ? g->t[o->in[j]].ss : 0;
	for (s = 0; s < n; s++) {
		float *ys = y + s * sso;

		for (j = 0; j < 3; j++)
			p[j] = o->wconst[j] != NULL ? o->wconst[j] :
			    buf[o->in[j]] + s * ss[j];
		memset(idx, 0, sizeof idx);
		for (k = 0; k < sso; k++) {
			int64_t off[3] = { 0, 0, 0 };

			for (i = 0; i < nd; i++)
				for (j = 0; j < 3; j++)
					off[j] += idx[i] * o->wstr[j][i];
			ys[k] = p[0][off[0]] != 0 ? p[1][off[1]] : p[2][off[2]];
			for (i = nd - 1; i >= 0; i--) {
				if (++idx[i] < o->bdims[i])
					break;
				idx[i] = 0;
			}
		}
	}
}

const struct wh_kernel wh_kernel_unary = { "unary", run_unary, NULL, NULL };
static const struct wh_kernel kernel_where = { "where", run_where, NULL,
    NULL };
const struct wh_kernel wh_kernel_binary = { "binary", run_binary, NULL,
    NULL };
static const struct wh_kernel kernel_softmax = { "softmax", run_softmax, NULL,
    NULL };

/* The unaries that map integers to integers, folded exactly on int64. */
static int
unary_int(enum wh_unary u, int64_t x, float alpha, float beta, int64_t *y)
{
	switch (u) {
	case U_NEG: *y = (int64_t)(0 - (uint64_t)x); return 0;
	case U_ABS: *y = x < 0 ? (int64_t)(0 - (uint64_t)x) : x; return 0;
	case U_SIGN: *y = x > 0 ? 1 : x < 0 ? -1 : 0; return 0;
	case U_RELU: *y = x > 0 ? x : 0; return 0;
	case U_NOT: *y = x == 0; return 0;
	case U_CEIL: case U_FLOOR: case U_ROUND: *y = x; return 0;
	case U_CLIP:
		*y = (double)x < alpha ? wh_sat_i64(alpha) : x;
		*y = (double)*y > beta ? wh_sat_i64(beta) : *y;
		return 0;
	default:
		return -1;
	}
}

/* a: any shape -> the function of each value; int64 stays int64 where
 * the function maps integers to integers (Not: booleans) */
static struct wh_tensor *
fold_unary(struct wh_compiler *c, int node)
{
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	enum wh_unary u = (enum wh_unary)c->def->arg;
	struct wh_tensor *o;
	float alpha, beta;
	int64_t v;
	size_t k;

	if (unary_params(c, node, u, &alpha, &beta) != 0)
		return NULL;
	if (a->dtype != WH_FLOAT && unary_int(u, 0, alpha, beta, &v) != 0)
		return wh_fold_fail(c, node, "cannot fold this operator on "
		    "integer constants%s", "");
	if ((o = wh_ctensor_new(c, node, a->dtype, a->ndim, a->dims)) == NULL)
		return NULL;
	if (a->dtype != WH_FLOAT) {
		for (k = 0; k < a->count; k++)
			unary_int(u, a->i[k], alpha, beta, &o->i[k]);
		if (u == U_NOT)
			o->elem_type = 9;	/* BOOL */
		return o;
	}
	for (k = 0; k < a->count; k++)
		o->f[k] = wh_unary_apply(u, a->f[k], alpha, beta);
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

#define UNARY(id, name, since, u)					\
const struct wh_opdef wh_def_##id = {					\
	name, since, 0, 1, 1, 1, 1, fold_unary, compile_unary,		\
	&wh_kernel_unary, u						\
}
UNARY(abs, "Abs", 1, U_ABS);
UNARY(ceil, "Ceil", 6, U_CEIL);
UNARY(elu, "Elu", 6, U_ELU);
UNARY(erf, "Erf", 9, U_ERF);
UNARY(exp, "Exp", 1, U_EXP);
UNARY(floor, "Floor", 6, U_FLOOR);
UNARY(hardsigmoid, "HardSigmoid", 6, U_HARDSIGMOID);
UNARY(hardswish, "HardSwish", 14, U_HARDSWISH);
UNARY(leakyrelu, "LeakyRelu", 1, U_LEAKY);
UNARY(log, "Log", 6, U_LOG);
UNARY(neg, "Neg", 1, U_NEG);
UNARY(not, "Not", 1, U_NOT);
UNARY(reciprocal, "Reciprocal", 6, U_RECIPROCAL);
UNARY(relu, "Relu", 1, U_RELU);
UNARY(round, "Round", 11, U_ROUND);
UNARY(selu, "Selu", 6, U_SELU);
UNARY(sigmoid, "Sigmoid", 1, U_SIGMOID);
UNARY(sign, "Sign", 9, U_SIGN);
UNARY(softplus, "Softplus", 1, U_SOFTPLUS);
UNARY(softsign, "Softsign", 1, U_SOFTSIGN);
UNARY(sqrt, "Sqrt", 1, U_SQRT);
UNARY(tanh, "Tanh", 1, U_TANH);

/* min and max: attributes before opset 11, optional inputs (constant
 * scalars, or unnamed) from 11 */
const struct wh_opdef wh_def_clip_6 = {
	"Clip", 6, 10, 1, 1, 1, 1, fold_unary, compile_unary, &wh_kernel_unary,
	U_CLIP
};
const struct wh_opdef wh_def_clip_11 = {
	"Clip", 11, 0, 1, 3, 1, 1, fold_unary, compile_unary,
	&wh_kernel_unary, U_CLIP
};
const struct wh_opdef wh_def_gelu = {
	"Gelu", 1, 0, 1, 1, 1, 1, NULL, compile_gelu, &wh_kernel_unary, U_GELU
};

#define BINARY(id, name, since, b)					\
const struct wh_opdef wh_def_##id = {					\
	name, since, 0, 2, 2, 1, 1, fold_binary, compile_binary,	\
	&wh_kernel_binary, b						\
}
BINARY(add, "Add", 1, B_ADD);
BINARY(and, "And", 7, B_AND);
BINARY(div, "Div", 1, B_DIV);
BINARY(equal, "Equal", 11, B_EQUAL);
BINARY(greater, "Greater", 9, B_GREATER);
BINARY(greaterorequal, "GreaterOrEqual", 12, B_GREATEREQ);
BINARY(less, "Less", 9, B_LESS);
BINARY(lessorequal, "LessOrEqual", 12, B_LESSEQ);
BINARY(mul, "Mul", 1, B_MUL);
BINARY(or, "Or", 7, B_OR);
BINARY(pow, "Pow", 1, B_POW);
BINARY(prelu, "PRelu", 7, B_PRELU);
BINARY(sub, "Sub", 1, B_SUB);
BINARY(xor, "Xor", 7, B_XOR);

/* 1 or more inputs, multidirectional broadcasting from opset 8; Mean's
 * arg B_DIV: the sum divided by the count */
#define VARIADIC(id, name, b)						\
const struct wh_opdef wh_def_##id = {					\
	name, 8, 0, 1, WH_ANY, 1, 1, fold_variadic, compile_variadic,	\
	&wh_kernel_binary, b						\
}
VARIADIC(max, "Max", B_MAX);
VARIADIC(mean, "Mean", B_DIV);
VARIADIC(min, "Min", B_MIN);
VARIADIC(sum, "Sum", B_ADD);

const struct wh_opdef wh_def_where = {
	"Where", 9, 0, 3, 3, 1, 1, fold_where, compile_where, &kernel_where, 0
};

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
