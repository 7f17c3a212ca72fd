/* graph.c - compile an ONNX model into a sorted list of ops with shapes */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph-int.h"
#include "whittle/util.h"

struct compiler {
	const struct wh_model *m;
	struct wh_graph *g;
	char **err;
};

static int
tensor_find(const struct wh_graph *g, const char *name)
{
	int i;

	for (i = g->nt - 1; i >= 0; i--)
		if (strcmp(g->t[i].name, name) == 0)
			return i;
	return -1;
}

static int
tensor_add(struct compiler *c, const char *name)
{
	struct wh_graph *g = c->g;
	struct wh_tinfo *t;

	g->t = xreallocarray(g->t, g->nt + 1, sizeof *g->t);
	t = &g->t[g->nt];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->alias = -1;
	t->prod = -2;
	t->last = -1;
	return g->nt++;
}

static int
const_add(struct compiler *c, const char *name, struct wh_tensor *val, int owned)
{
	int id = tensor_add(c, name);

	c->g->t[id].is_const = 1;
	c->g->t[id].cval = val;
	c->g->t[id].cval_owned = owned;
	return id;
}

static struct wh_tensor *
tensor_new(enum wh_dtype dtype, int ndim, const int64_t *dims)
{
	struct wh_tensor *t = xcalloc(1, sizeof *t);
	size_t n;

	t->dtype = dtype;
	t->ndim = ndim;
	if (ndim > 0)
		memcpy(t->dims, dims, ndim * sizeof *dims);
	if (wh_tensor_count(dims, ndim, &n) != 0)
		wh_fatal("tensor dims overflow");
	t->count = n;
	if (dtype == WH_FLOAT)
		t->f = xcalloc(n ? n : 1, sizeof *t->f);
	else
		t->i = xcalloc(n ? n : 1, sizeof *t->i);
	return t;
}

static void
tensor_free(struct wh_tensor *t)
{
	if (t == NULL)
		return;
	wh_tensor_release(t);
	free(t);
}

/* An activation with full dims (batch first). */
static int
act_add(struct compiler *c, const char *name, int ndim, const int64_t *full,
    int prod)
{
	struct wh_graph *g = c->g;
	int id, i;
	size_t ss = 1;

	id = tensor_add(c, name);
	g->t[id].ndim = ndim - 1;
	for (i = 1; i < ndim; i++) {
		g->t[id].dims[i - 1] = full[i];
		ss *= (size_t)full[i];
	}
	g->t[id].ss = ss;
	g->t[id].prod = prod;
	return id;
}

static void
full_dims(const struct wh_tinfo *t, int *ndim, int64_t *dims)
{
	int i;

	if (t->is_const) {
		*ndim = t->cval->ndim;
		memcpy(dims, t->cval->dims, t->cval->ndim * sizeof *dims);
		return;
	}
	*ndim = t->ndim + 1;
	dims[0] = WH_PROBE_N;
	for (i = 0; i < t->ndim; i++)
		dims[i + 1] = t->dims[i];
}

static int
root(const struct wh_graph *g, int id)
{
	return g->t[id].alias >= 0 ? g->t[id].alias : id;
}

static int
alias_add(struct compiler *c, const char *name, int src, int ndim,
    const int64_t *full)
{
	int id = act_add(c, name, ndim, full, c->g->t[src].prod);

	if (c->g->t[id].ss != c->g->t[src].ss)
		return -1;
	c->g->t[id].alias = root(c->g, src);
	return id;
}

static struct wh_op *
op_add(struct compiler *c, enum wh_opkind kind, int node)
{
	struct wh_graph *g = c->g;
	struct wh_op *o;

	g->ops = xreallocarray(g->ops, g->nops + 1, sizeof *g->ops);
	o = &g->ops[g->nops++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->node = node;
	o->layer = -1;
	o->out = -1;
	o->in[0] = o->in[1] = o->in[2] = o->in[3] = -1;
	return o;
}

/* ---- constant folding ---------------------------------------------- */

static double
cget(const struct wh_tensor *t, size_t i)
{
	return t->dtype == WH_FLOAT ? t->f[i] : (double)t->i[i];
}

static void
cset(struct wh_tensor *t, size_t i, double v)
{
	if (t->dtype == WH_FLOAT)
		t->f[i] = (float)v;
	else
		t->i[i] = (int64_t)v;
}

static int
norm_axis(int64_t axis, int ndim)
{
	if (axis < 0)
		axis += ndim;
	if (axis < 0 || axis >= ndim)
		return -1;
	return (int)axis;
}

/* numpy broadcasting of two shapes; -1 when incompatible */
static int
broadcast(int an, const int64_t *ad, int bn, const int64_t *bd, int *on,
    int64_t *od)
{
	int n = an > bn ? an : bn, i;

	if (n > WH_MAX_DIMS)
		return -1;
	for (i = 0; i < n; i++) {
		int64_t a = i < n - an ? 1 : ad[i - (n - an)];
		int64_t b = i < n - bn ? 1 : bd[i - (n - bn)];

		if (a != b && a != 1 && b != 1)
			return -1;
		od[i] = a == 1 ? b : a;
	}
	*on = n;
	return 0;
}

/* Strides of a tensor of shape (sn, sd) broadcast into (n, od). */
static void
bstrides(int sn, const int64_t *sd, int n, const int64_t *od, int64_t *str)
{
	int64_t s = 1;
	int i;

	for (i = n - 1; i >= 0; i--) {
		int j = i - (n - sn);
		int64_t d = j >= 0 ? sd[j] : 1;

		str[i] = (d == 1 && od[i] != 1) ? 0 : s;
		s *= d;
	}
}

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
	}
	return 0;
}

static struct wh_tensor *
fold_binary(enum wh_binary op, const struct wh_tensor *a,
    const struct wh_tensor *b)
{
	int64_t od[WH_MAX_DIMS] = { 0 }, as[WH_MAX_DIMS], bs[WH_MAX_DIMS];
	int64_t idx[WH_MAX_DIMS];
	struct wh_tensor *o;
	int on, i, integer;
	size_t k;

	if (broadcast(a->ndim, a->dims, b->ndim, b->dims, &on, od) != 0)
		return NULL;
	integer = a->dtype == WH_INT64 && b->dtype == WH_INT64;
	o = tensor_new(integer ? WH_INT64 : WH_FLOAT, on, od);
	bstrides(a->ndim, a->dims, on, od, as);
	bstrides(b->ndim, b->dims, on, od, bs);
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
			o->f[k] = (float)binop(op, cget(a, ai), cget(b, bi), 0);
		for (i = on - 1; i >= 0; i--) {
			if (++idx[i] < od[i])
				break;
			idx[i] = 0;
		}
	}
	return o;
}

float wh_unary_apply(enum wh_unary u, float x, float alpha, float beta);

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

/* Reads a constant int64 list (an input or an INTS attribute). */
static int
ints_of(const struct wh_tensor *t, int64_t *out, int max)
{
	size_t i;

	if (t->count > (size_t)max)
		return -1;
	for (i = 0; i < t->count; i++)
		out[i] = (int64_t)cget(t, i);
	return (int)t->count;
}

/* ---- per-op compilation -------------------------------------------- */

static const char *
nname(const struct compiler *c, int node)
{
	return c->m->nodes[node].name;
}

static int
fail(struct compiler *c, int node, const char *fmt, const char *a)
{
	const struct wh_node *n = &c->m->nodes[node];
	char *msg = xasprintf(fmt, a ? a : "");
	int r;

	r = wh_error(c->err, "%s: node '%s' (%s): %s", c->m->path, n->name,
	    n->op, msg);
	free(msg);
	return r;
}

static int
in_id(struct compiler *c, int node, int k)
{
	const struct wh_node *n = &c->m->nodes[node];

	if (k >= n->ninputs || n->inputs[k][0] == '\0')
		return -1;
	return tensor_find(c->g, n->inputs[k]);
}

static const struct wh_tensor *
in_const(struct compiler *c, int node, int k)
{
	int id = in_id(c, node, k);

	if (id < 0 || !c->g->t[id].is_const)
		return NULL;
	return c->g->t[id].cval;
}

static const char *
out_name(struct compiler *c, int node)
{
	return c->m->nodes[node].outputs[0];
}

static int
compile_constant(struct compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_attr *a;
	struct wh_tensor *t = NULL;
	int64_t d1;
	size_t i;

	if ((a = wh_node_attr(n, "value")) != NULL && a->t != NULL) {
		t = xcalloc(1, sizeof *t);
		wh_tensor_copy(t, a->t);
	} else if ((a = wh_node_attr(n, "value_float")) != NULL) {
		t = tensor_new(WH_FLOAT, 0, NULL);
		t->f[0] = a->f;
	} else if ((a = wh_node_attr(n, "value_int")) != NULL) {
		t = tensor_new(WH_INT64, 0, NULL);
		t->i[0] = a->i;
	} else if ((a = wh_node_attr(n, "value_floats")) != NULL) {
		d1 = (int64_t)a->n;
		t = tensor_new(WH_FLOAT, 1, &d1);
		for (i = 0; i < a->n; i++)
			t->f[i] = a->floats[i];
	} else if ((a = wh_node_attr(n, "value_ints")) != NULL) {
		d1 = (int64_t)a->n;
		t = tensor_new(WH_INT64, 1, &d1);
		for (i = 0; i < a->n; i++)
			t->i[i] = a->ints[i];
	} else
		return fail(c, node, "Constant without a supported value%s", "");
	const_add(c, out_name(c, node), t, 1);
	return 0;
}

static int
compile_shape(struct compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t dims[WH_MAX_DIMS], start, end;
	struct wh_tensor *t;
	int nd, i;

	full_dims(&c->g->t[x], &nd, dims);
	start = wh_node_attr_int(n, "start", 0);
	end = wh_node_attr_int(n, "end", nd);
	if (start < 0)
		start += nd;
	if (end < 0)
		end += nd;
	if (start < 0)
		start = 0;
	if (end > nd)
		end = nd;
	if (end < start)
		end = start;
	int64_t len = end - start;
	t = tensor_new(WH_INT64, 1, &len);
	for (i = 0; i < len; i++)
		t->i[i] = dims[start + i];
	const_add(c, out_name(c, node), t, 1);
	return 0;
}

static int
fold_node(struct compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = in_const(c, node, 0), *b = in_const(c, node, 1);
	struct wh_tensor *o = NULL;
	int64_t axes[WH_MAX_DIMS], dims[WH_MAX_DIMS];
	int naxes = 0, nd, i, j;
	size_t k;

	if (strcmp(n->op, "Identity") == 0 || strcmp(n->op, "Dropout") == 0) {
		o = xcalloc(1, sizeof *o);
		wh_tensor_copy(o, a);
	} else if (strcmp(n->op, "Cast") == 0) {
		int64_t to = wh_node_attr_int(n, "to", 1);

		if (to != 1 && to != 7 && to != 6 && to != 11)
			return fail(c, node, "Cast to an unsupported type%s", "");
		o = tensor_new(to == 1 || to == 11 ? WH_FLOAT : WH_INT64,
		    a->ndim, a->dims);
		for (k = 0; k < a->count; k++)
			cset(o, k, cget(a, k));
	} else if (strcmp(n->op, "Add") == 0 || strcmp(n->op, "Sub") == 0 ||
	    strcmp(n->op, "Mul") == 0 || strcmp(n->op, "Div") == 0) {
		enum wh_binary op = n->op[0] == 'A' ? B_ADD : n->op[0] == 'S' ?
		    B_SUB : n->op[0] == 'M' ? B_MUL : B_DIV;

		if (b == NULL || (o = fold_binary(op, a, b)) == NULL)
			return fail(c, node, "operand shapes do not broadcast%s", "");
	} else if (strcmp(n->op, "Gather") == 0) {
		int axis = norm_axis(wh_node_attr_int(n, "axis", 0), a->ndim);
		int64_t inner = 1, outer = 1;

		if (axis < 0 || b == NULL)
			return fail(c, node, "bad Gather axis%s", "");
		for (i = 0; i < axis; i++)
			outer *= a->dims[i];
		for (i = axis + 1; i < a->ndim; i++)
			inner *= a->dims[i];
		nd = 0;
		for (i = 0; i < axis; i++)
			dims[nd++] = a->dims[i];
		for (i = 0; i < b->ndim; i++)
			dims[nd++] = b->dims[i];
		for (i = axis + 1; i < a->ndim; i++)
			dims[nd++] = a->dims[i];
		if (nd > WH_MAX_DIMS)
			return fail(c, node, "too many dims%s", "");
		o = tensor_new(a->dtype, nd, dims);
		for (int64_t p = 0; p < outer; p++)
			for (k = 0; k < b->count; k++) {
				int64_t ix = (int64_t)cget(b, k);

				if (ix < 0)
					ix += a->dims[axis];
				if (ix < 0 || ix >= a->dims[axis]) {
					tensor_free(o);
					return fail(c, node, "Gather index out of range%s", "");
				}
				for (int64_t q = 0; q < inner; q++)
					cset(o, (p * b->count + k) * inner + q,
					    cget(a, (p * a->dims[axis] + ix) * inner + q));
			}
	} else if (strcmp(n->op, "Unsqueeze") == 0 ||
	    strcmp(n->op, "Squeeze") == 0) {
		const struct wh_attr *aa = wh_node_attr(n, "axes");

		if (aa != NULL) {
			naxes = (int)aa->n;
			if (naxes > WH_MAX_DIMS)
				return fail(c, node, "too many axes%s", "");
			memcpy(axes, aa->ints, aa->n * sizeof *axes);
		} else if (b != NULL) {
			if ((naxes = ints_of(b, axes, WH_MAX_DIMS)) < 0)
				return fail(c, node, "too many axes%s", "");
		}
		if (n->op[0] == 'U') {
			int on = a->ndim + naxes, src = 0;
			int mark[WH_MAX_DIMS] = { 0 };

			if (on > WH_MAX_DIMS)
				return fail(c, node, "too many dims%s", "");
			for (i = 0; i < naxes; i++) {
				int ax = norm_axis(axes[i], on);
				if (ax < 0)
					return fail(c, node, "bad axis%s", "");
				mark[ax] = 1;
			}
			for (i = 0; i < on; i++)
				dims[i] = mark[i] ? 1 : a->dims[src++];
			nd = on;
		} else {
			nd = 0;
			for (i = 0; i < a->ndim; i++) {
				int drop = 0;
				for (j = 0; j < naxes; j++)
					if (norm_axis(axes[j], a->ndim) == i)
						drop = 1;
				if (naxes == 0 && a->dims[i] == 1)
					drop = 1;
				if (!drop)
					dims[nd++] = a->dims[i];
			}
		}
		o = tensor_new(a->dtype, nd, dims);
		for (k = 0; k < a->count; k++)
			cset(o, k, cget(a, k));
	} else if (strcmp(n->op, "Concat") == 0) {
		int axis;
		int64_t outer = 1, total = 0, off = 0;

		axis = norm_axis(wh_node_attr_int(n, "axis", 0), a->ndim);
		if (axis < 0)
			return fail(c, node, "bad Concat axis%s", "");
		for (i = 0; i < n->ninputs; i++) {
			const struct wh_tensor *t = in_const(c, node, i);
			if (t == NULL || t->ndim != a->ndim)
				return fail(c, node, "Concat of mixed inputs%s", "");
			total += t->dims[axis];
		}
		memcpy(dims, a->dims, a->ndim * sizeof *dims);
		dims[axis] = total;
		o = tensor_new(a->dtype, a->ndim, dims);
		for (i = 0; i < axis; i++)
			outer *= a->dims[i];
		for (i = 0; i < n->ninputs; i++) {
			const struct wh_tensor *t = in_const(c, node, i);
			int64_t blk = t->count / (outer ? outer : 1);
			int64_t oblk = o->count / (outer ? outer : 1);

			for (int64_t p = 0; p < outer; p++)
				for (int64_t q = 0; q < blk; q++)
					cset(o, p * oblk + off + q, cget(t, p * blk + q));
			off += blk;
		}
	} else if (strcmp(n->op, "Slice") == 0 && a->ndim == 1) {
		int64_t st[1], en[1], stp[1] = { 1 }, s, e, len;
		const struct wh_tensor *ts = in_const(c, node, 1);
		const struct wh_tensor *te = in_const(c, node, 2);
		const struct wh_tensor *tp = in_const(c, node, 4);

		if (ts == NULL || te == NULL || ts->count != 1 || te->count != 1)
			return fail(c, node, "unsupported Slice form%s", "");
		st[0] = (int64_t)cget(ts, 0);
		en[0] = (int64_t)cget(te, 0);
		if (tp != NULL && tp->count == 1)
			stp[0] = (int64_t)cget(tp, 0);
		if (stp[0] != 1)
			return fail(c, node, "Slice with a step is not supported%s", "");
		s = st[0] < 0 ? st[0] + a->dims[0] : st[0];
		e = en[0] < 0 ? en[0] + a->dims[0] : en[0];
		s = s < 0 ? 0 : s > a->dims[0] ? a->dims[0] : s;
		e = e < s ? s : e > a->dims[0] ? a->dims[0] : e;
		len = e - s;
		o = tensor_new(a->dtype, 1, &len);
		for (k = 0; k < (size_t)len; k++)
			cset(o, k, cget(a, s + k));
	} else if (strcmp(n->op, "Reshape") == 0 || strcmp(n->op, "Flatten") == 0) {
		if (n->op[0] == 'F') {
			int ax = norm_axis(wh_node_attr_int(n, "axis", 1), a->ndim + 1);
			int64_t p = 1;
			for (i = 0; i < ax; i++)
				p *= a->dims[i];
			dims[0] = p;
			dims[1] = p ? (int64_t)a->count / p : 0;
			nd = 2;
		} else {
			if (b == NULL || (nd = ints_of(b, dims, WH_MAX_DIMS)) < 0)
				return fail(c, node, "bad Reshape shape%s", "");
			int64_t known = 1;
			int neg = -1;
			for (i = 0; i < nd; i++) {
				if (dims[i] == 0 && i < a->ndim)
					dims[i] = a->dims[i];
				if (dims[i] == -1)
					neg = i;
				else
					known *= dims[i];
			}
			if (neg >= 0)
				dims[neg] = known ? (int64_t)a->count / known : 0;
		}
		o = tensor_new(a->dtype, nd, dims);
		if (o->count != a->count) {
			tensor_free(o);
			return fail(c, node, "Reshape changes the element count%s", "");
		}
		for (k = 0; k < a->count; k++)
			cset(o, k, cget(a, k));
	} else if (strcmp(n->op, "DequantizeLinear") == 0) {
		const struct wh_tensor *zp = in_const(c, node, 2);
		int axis = a->ndim ? norm_axis(wh_node_attr_int(n, "axis", 1),
		    a->ndim) : 0;
		int64_t inner = 1, ch;

		if (b == NULL || axis < 0 || (b->count != 1 &&
		    (a->ndim == 0 || b->count != (size_t)a->dims[axis])) ||
		    (zp != NULL && zp->count != b->count))
			return fail(c, node, "scale or zero point does not match "
			    "the axis%s", "");
		for (i = axis + 1; i < a->ndim; i++)
			inner *= a->dims[i];
		o = tensor_new(WH_FLOAT, a->ndim, a->dims);
		for (k = 0; k < a->count; k++) {
			ch = b->count == 1 ? 0 : (int64_t)(k / inner) % a->dims[axis];
			/* integer subtraction first, then one multiply, as the
			 * operator defines it */
			o->f[k] = (float)((int64_t)cget(a, k) -
			    (zp ? (int64_t)cget(zp, ch) : 0)) * (float)cget(b, ch);
		}
	} else if (strcmp(n->op, "ConstantOfShape") == 0) {
		const struct wh_attr *v = wh_node_attr(n, "value");

		if ((nd = ints_of(a, dims, WH_MAX_DIMS)) < 0)
			return fail(c, node, "bad shape%s", "");
		o = tensor_new(v && v->t && v->t->dtype == WH_INT64 ? WH_INT64 :
		    WH_FLOAT, nd, dims);
		for (k = 0; k < o->count; k++)
			cset(o, k, v && v->t && v->t->count ? cget(v->t, 0) : 0);
	} else {
		static const struct { const char *op; enum wh_unary u; } un[] = {
			{ "Relu", U_RELU }, { "Sigmoid", U_SIGMOID },
			{ "Tanh", U_TANH }, { "Erf", U_ERF }, { "Neg", U_NEG },
			{ "Exp", U_EXP }, { "Sqrt", U_SQRT }, { "Abs", U_ABS },
		};
		for (i = 0; i < (int)(sizeof un / sizeof un[0]); i++)
			if (strcmp(n->op, un[i].op) == 0)
				break;
		if (i == (int)(sizeof un / sizeof un[0]) || a->dtype != WH_FLOAT)
			return fail(c, node, "cannot fold this operator on constants%s", "");
		o = tensor_new(WH_FLOAT, a->ndim, a->dims);
		for (k = 0; k < a->count; k++)
			o->f[k] = wh_unary_apply(un[i].u, a->f[k], 0, 0);
	}
	const_add(c, out_name(c, node), o, 1);
	return 0;
}

/* pads from auto_pad or the pads attribute, for one spatial axis pair */
static int
conv_geom(struct compiler *c, int node, struct wh_op *o)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_attr *a;
	const char *ap = NULL;
	int64_t in[2] = { o->h, o->w }, k[2] = { o->kh, o->kw };
	int64_t s[2] = { 1, 1 }, d[2] = { 1, 1 }, p0[2] = { 0, 0 }, p1[2] = { 0, 0 };
	int64_t outd[2];
	int ceil_mode = (int)wh_node_attr_int(n, "ceil_mode", 0), i;

	if ((a = wh_node_attr(n, "strides")) != NULL) {
		if (a->n != 2)
			return fail(c, node, "only 2-D strides are supported%s", "");
		s[0] = a->ints[0];
		s[1] = a->ints[1];
	}
	if ((a = wh_node_attr(n, "dilations")) != NULL) {
		if (a->n != 2)
			return fail(c, node, "only 2-D dilations are supported%s", "");
		d[0] = a->ints[0];
		d[1] = a->ints[1];
	}
	if ((a = wh_node_attr(n, "pads")) != NULL) {
		if (a->n != 4)
			return fail(c, node, "only 2-D pads are supported%s", "");
		p0[0] = a->ints[0];
		p0[1] = a->ints[1];
		p1[0] = a->ints[2];
		p1[1] = a->ints[3];
	}
	if ((a = wh_node_attr(n, "auto_pad")) != NULL && a->s != NULL)
		ap = a->s;
	for (i = 0; i < 2; i++) {
		int64_t ek = (k[i] - 1) * d[i] + 1;

		if (s[i] < 1 || d[i] < 1 || k[i] < 1 || p0[i] < 0 || p1[i] < 0)
			return fail(c, node, "bad kernel, stride, dilation or pad%s", "");
		if (ap != NULL && (strcmp(ap, "SAME_UPPER") == 0 ||
		    strcmp(ap, "SAME_LOWER") == 0)) {
			int64_t od = (in[i] + s[i] - 1) / s[i];
			int64_t tot = (od - 1) * s[i] + ek - in[i];

			if (tot < 0)
				tot = 0;
			if (strcmp(ap, "SAME_UPPER") == 0) {
				p0[i] = tot / 2;
				p1[i] = tot - tot / 2;
			} else {
				p1[i] = tot / 2;
				p0[i] = tot - tot / 2;
			}
		} else if (ap != NULL && strcmp(ap, "VALID") == 0)
			p0[i] = p1[i] = 0;
		if (in[i] + p0[i] + p1[i] < ek)
			return fail(c, node, "kernel larger than the padded input%s", "");
		if (ceil_mode) {
			outd[i] = (in[i] + p0[i] + p1[i] - ek + s[i] - 1) / s[i] + 1;
			/* the last window must start inside the input or left pad */
			if ((outd[i] - 1) * s[i] >= in[i] + p0[i])
				outd[i]--;
		} else
			outd[i] = (in[i] + p0[i] + p1[i] - ek) / s[i] + 1;
	}
	o->sh = s[0];
	o->sw = s[1];
	o->dh = d[0];
	o->dw = d[1];
	o->pt = p0[0];
	o->pl = p0[1];
	o->pb = p1[0];
	o->pr = p1[1];
	o->oh = outd[0];
	o->ow = outd[1];
	return 0;
}

static struct wh_layer *
layer_add(struct compiler *c, int node, enum wh_layer_kind kind)
{
	struct wh_graph *g = c->g;
	struct wh_layer *l;

	g->layers = xreallocarray(g->layers, g->nlayers + 1, sizeof *g->layers);
	l = &g->layers[g->nlayers++];
	memset(l, 0, sizeof *l);
	l->name = xstrdup(nname(c, node));
	l->kind = kind;
	l->node = node;
	l->op = g->nops - 1;
	l->cin = l->kh = l->kw = 1;
	l->group = 1;
	l->out_h = l->out_w = 1;
	l->rows = 1;
	return l;
}

static int
compile_linear(struct compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *B = in_const(c, node, 1), *C = in_const(c, node, 2);
	const struct wh_tinfo *xt = &c->g->t[x];
	int gemm = strcmp(n->op, "Gemm") == 0;
	int64_t K, N, i, j, full[WH_MAX_DIMS];
	int nd;
	float alpha = 1, beta = 1, *w, *bias = NULL;
	struct wh_layer *l;
	struct wh_op *o;

	if (B == NULL || B->dtype != WH_FLOAT || B->ndim != 2)
		return fail(c, node, "the right operand must be a 2-D float "
		    "initializer%s", "");
	if (xt->ndim < 1)
		return fail(c, node, "the input has no feature dim%s", "");
	K = xt->dims[xt->ndim - 1];
	if (gemm) {
		int tb = (int)wh_node_attr_int(n, "transB", 0);

		if (wh_node_attr_int(n, "transA", 0) != 0)
			return fail(c, node, "transA=1 is not supported%s", "");
		if (xt->ndim != 1)
			return fail(c, node, "Gemm input must be 2-D%s", "");
		alpha = wh_node_attr_float(n, "alpha", 1);
		beta = wh_node_attr_float(n, "beta", 1);
		N = tb ? B->dims[0] : B->dims[1];
		if ((tb ? B->dims[1] : B->dims[0]) != K)
			return fail(c, node, "weight shape does not match the "
			    "input%s", "");
		w = xmalloc((size_t)N * K * sizeof *w);
		for (i = 0; i < N; i++)
			for (j = 0; j < K; j++)
				w[i * K + j] = alpha * (tb ? B->f[i * K + j] :
				    B->f[j * N + i]);
	} else {
		if (B->dims[0] != K)
			return fail(c, node, "weight shape does not match the "
			    "input%s", "");
		N = B->dims[1];
		w = xmalloc((size_t)N * K * sizeof *w);
		for (i = 0; i < N; i++)
			for (j = 0; j < K; j++)
				w[i * K + j] = B->f[j * N + i];
	}
	if (C != NULL) {
		if (C->dtype != WH_FLOAT || (C->count != (size_t)N &&
		    C->count != 1)) {
			free(w);
			return fail(c, node, "bias must have one value per "
			    "output%s", "");
		}
		bias = xmalloc(N * sizeof *bias);
		for (i = 0; i < N; i++)
			bias[i] = beta * C->f[C->count == 1 ? 0 : i];
	}
	o = op_add(c, OP_LINEAR, node);
	o->in[0] = x;
	o->nin = 1;
	o->rows = (int64_t)(xt->ss / (size_t)K);
	o->c = K;
	o->oc = N;
	full_dims(xt, &nd, full);
	full[nd - 1] = N;
	o->out = act_add(c, out_name(c, node), nd, full, c->g->nops - 1);
	l = layer_add(c, node, gemm ? WH_LAYER_GEMM : WH_LAYER_MATMUL);
	o->layer = c->g->nlayers - 1;
	l->weight_name = n->inputs[1];
	l->bias_name = C != NULL ? n->inputs[2] : NULL;
	l->out = N;
	l->in = K;
	l->rows = o->rows;
	l->w = w;
	l->bias = bias;
	l->macs = (uint64_t)o->rows * N * K;
	l->max_rank = (int)(N < K ? N : K);
	return 0;
}

static int
compile_conv(struct compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *W = in_const(c, node, 1), *B = in_const(c, node, 2);
	const struct wh_tinfo *xt = &c->g->t[x];
	struct wh_layer *l;
	struct wh_op *o;
	int64_t full[4];
	float *w, *bias = NULL;
	int group = (int)wh_node_attr_int(n, "group", 1);

	if (xt->ndim != 3)
		return fail(c, node, "only 2-D convolution (N, C, H, W) is "
		    "supported%s", "");
	if (W == NULL || W->dtype != WH_FLOAT || W->ndim != 4)
		return fail(c, node, "the weight must be a 4-D float "
		    "initializer%s", "");
	if (group < 1 || xt->dims[0] % group || W->dims[0] % group ||
	    W->dims[1] * group != xt->dims[0])
		return fail(c, node, "weight channels do not match the input "
		    "and group%s", "");
	if (B != NULL && (B->dtype != WH_FLOAT || B->count != (size_t)W->dims[0]))
		return fail(c, node, "bias must have one value per output "
		    "channel%s", "");
	o = op_add(c, OP_CONV, node);
	o->in[0] = x;
	o->nin = 1;
	o->c = xt->dims[0];
	o->h = xt->dims[1];
	o->w = xt->dims[2];
	o->oc = W->dims[0];
	o->kh = W->dims[2];
	o->kw = W->dims[3];
	o->group = group;
	if (conv_geom(c, node, o) != 0) {
		c->g->nops--;
		return -1;
	}
	full[0] = WH_PROBE_N;
	full[1] = o->oc;
	full[2] = o->oh;
	full[3] = o->ow;
	o->out = act_add(c, out_name(c, node), 4, full, c->g->nops - 1);
	w = xmalloc(W->count * sizeof *w);
	memcpy(w, W->f, W->count * sizeof *w);
	if (B != NULL) {
		bias = xmalloc(B->count * sizeof *bias);
		memcpy(bias, B->f, B->count * sizeof *bias);
	}
	l = layer_add(c, node, WH_LAYER_CONV);
	o->layer = c->g->nlayers - 1;
	l->weight_name = n->inputs[1];
	l->bias_name = B != NULL ? n->inputs[2] : NULL;
	l->out = o->oc;
	l->cin = W->dims[1];
	l->kh = o->kh;
	l->kw = o->kw;
	l->in = l->cin * l->kh * l->kw;
	l->group = group;
	l->out_h = o->oh;
	l->out_w = o->ow;
	l->w = w;
	l->bias = bias;
	l->macs = (uint64_t)o->oc * o->oh * o->ow * l->in;
	l->max_rank = group == 1 ? (int)(l->out < l->in ? l->out : l->in) : 0;
	return 0;
}

static int
compile_pool(struct compiler *c, int node, int x, enum wh_opkind kind)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tinfo *xt = &c->g->t[x];
	const struct wh_attr *ks = wh_node_attr(n, "kernel_shape");
	struct wh_op *o;
	int64_t full[4];

	if (xt->ndim != 3)
		return fail(c, node, "only 2-D pooling (N, C, H, W) is "
		    "supported%s", "");
	if (n->noutputs > 1 && n->outputs[1][0] != '\0')
		return fail(c, node, "the Indices output is not supported%s", "");
	o = op_add(c, kind, node);
	o->in[0] = x;
	o->nin = 1;
	o->c = o->oc = xt->dims[0];
	o->h = xt->dims[1];
	o->w = xt->dims[2];
	if (kind == OP_GAP) {
		o->oh = o->ow = 1;
	} else {
		if (ks == NULL || ks->n != 2) {
			c->g->nops--;
			return fail(c, node, "kernel_shape must have 2 values%s", "");
		}
		o->kh = ks->ints[0];
		o->kw = ks->ints[1];
		o->count_pad = (int)wh_node_attr_int(n, "count_include_pad", 0);
		if (conv_geom(c, node, o) != 0) {
			c->g->nops--;
			return -1;
		}
	}
	full[0] = WH_PROBE_N;
	full[1] = o->oc;
	full[2] = o->oh;
	full[3] = o->ow;
	o->out = act_add(c, out_name(c, node), 4, full, c->g->nops - 1);
	return 0;
}

static int
compile_binary(struct compiler *c, int node, int a, int b)
{
	const struct wh_node *n = &c->m->nodes[node];
	struct wh_graph *g = c->g;
	int64_t ad[WH_MAX_DIMS], bd[WH_MAX_DIMS], od[WH_MAX_DIMS];
	int an, bn, on, i;
	struct wh_op *o;

	full_dims(&g->t[a], &an, ad);
	full_dims(&g->t[b], &bn, bd);
	if (broadcast(an, ad, bn, bd, &on, od) != 0)
		return fail(c, node, "operand shapes do not broadcast%s", "");
	if (od[0] != WH_PROBE_N)
		return fail(c, node, "the result does not keep the batch "
		    "first%s", "");
	o = op_add(c, OP_BINARY, node);
	o->binary = n->op[0] == 'A' ? B_ADD : n->op[0] == 'S' ? B_SUB :
	    n->op[0] == 'M' ? B_MUL : B_DIV;
	if (g->t[a].is_const) {
		int t = a;
		a = b;
		b = t;
		o->swapped = 1;
		full_dims(&g->t[a], &an, ad);
		full_dims(&g->t[b], &bn, bd);
	}
	o->in[0] = a;
	o->nin = 1;
	if (g->t[b].is_const) {
		if (g->t[b].cval->dtype != WH_FLOAT) {
			g->nops--;
			return fail(c, node, "integer operand on a float "
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

		bstrides(an, ad, on, od, as);
		bstrides(bn, bd, on, od, bs);
		for (i = 1; i < on; i++) {
			o->astr[i - 1] = as[i];
			o->bstr[i - 1] = bs[i];
		}
		/* an operand with a leading dim of 1 in the batch position
		 * (or fewer dims than the result) is the same for every sample */
		o->a_batch = an == on && ad[0] != 1;
		o->b_batch = bn == on && bd[0] != 1;
	}
	o->out = act_add(c, out_name(c, node), on, od, g->nops - 1);
	if (!o->a_batch)
		return fail(c, node, "the activation operand is broadcast over "
		    "the batch%s", "");
	return 0;
}

/* The number of node inputs that read the tensor called name. */
static int
name_readers(const struct wh_model *m, const char *name)
{
	size_t i;
	int k, n = 0;

	for (i = 0; i < m->nnodes; i++)
		for (k = 0; k < m->nodes[i].ninputs; k++)
			if (strcmp(m->nodes[i].inputs[k], name) == 0)
				n++;
	return n;
}

/* Fuses BatchNormalization or Relu into the op producing x when possible. */
static int
try_fuse(struct compiler *c, int node, int x, const float *scale,
    const float *shift, int relu)
{
	struct wh_graph *g = c->g;
	struct wh_op *o;
	int64_t ch, k;
	size_t mo;

	if (g->t[x].is_const || g->t[x].alias >= 0 || g->t[x].prod < 0 ||
	    name_readers(c->m, g->t[x].name) != 1)
		return 0;
	for (mo = 0; mo < c->m->noutputs; mo++)
		if (strcmp(c->m->outputs[mo].name, g->t[x].name) == 0)
			return 0;
	o = &g->ops[g->t[x].prod];
	if ((o->kind != OP_LINEAR && o->kind != OP_CONV) || o->out != x ||
	    o->ep_relu)
		return 0;
	if (!relu) {
		if (o->ep_scale != NULL)
			return 0;
		if (o->kind == OP_LINEAR && o->rows != 1)
			return 0;
		ch = o->oc;
		o->ep_scale = xmalloc(ch * sizeof *o->ep_scale);
		o->ep_shift = xmalloc(ch * sizeof *o->ep_shift);
		for (k = 0; k < ch; k++) {
			o->ep_scale[k] = scale[k];
			o->ep_shift[k] = shift[k];
		}
	} else
		o->ep_relu = 1;
	/* the op now writes the fused node's output; x is never produced */
	{
		int y = act_add(c, out_name(c, node), 1, (int64_t[]){ WH_PROBE_N },
		    g->t[x].prod);

		g->t[y].ndim = g->t[x].ndim;
		memcpy(g->t[y].dims, g->t[x].dims, sizeof g->t[y].dims);
		g->t[y].ss = g->t[x].ss;
		g->t[x].prod = -2;
		o->out = y;
	}
	return 1;
}

static int
compile_bn(struct compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *sc = in_const(c, node, 1), *bi = in_const(c, node, 2);
	const struct wh_tensor *mu = in_const(c, node, 3), *va = in_const(c, node, 4);
	const struct wh_tinfo *xt = &c->g->t[x];
	float eps = wh_node_attr_float(n, "epsilon", 1e-5f), *s, *t;
	int64_t ch, k, full[WH_MAX_DIMS];
	struct wh_op *o;
	int nd, r;

	if (xt->ndim < 1)
		return fail(c, node, "input has no channel dim%s", "");
	ch = xt->dims[0];
	if (!sc || !bi || !mu || !va || sc->count != (size_t)ch ||
	    bi->count != (size_t)ch || mu->count != (size_t)ch ||
	    va->count != (size_t)ch || sc->dtype != WH_FLOAT ||
	    bi->dtype != WH_FLOAT || mu->dtype != WH_FLOAT || va->dtype != WH_FLOAT)
		return fail(c, node, "scale, bias, mean and var must be float "
		    "initializers with one value per channel%s", "");
	for (k = 1; k < n->noutputs; k++)
		if (n->outputs[k][0] != '\0')
			return fail(c, node, "training-mode outputs are not "
			    "supported%s", "");
	s = xmalloc(ch * sizeof *s);
	t = xmalloc(ch * sizeof *t);
	for (k = 0; k < ch; k++) {
		s[k] = sc->f[k] / sqrtf(va->f[k] + eps);
		t[k] = bi->f[k] - mu->f[k] * s[k];
	}
	r = try_fuse(c, node, x, s, t, 0);
	if (r) {
		free(s);
		free(t);
		return 0;
	}
	o = op_add(c, OP_AFFINE, node);
	o->in[0] = x;
	o->nin = 1;
	o->aff_scale = s;
	o->aff_shift = t;
	o->aff_c = ch;
	o->aff_inner = (int64_t)(xt->ss / (size_t)ch);
	full_dims(xt, &nd, full);
	o->out = act_add(c, out_name(c, node), nd, full, c->g->nops - 1);
	return 0;
}

static int
compile_unary(struct compiler *c, int node, int x, enum wh_unary u)
{
	const struct wh_node *n = &c->m->nodes[node];
	struct wh_op *o;
	int64_t full[WH_MAX_DIMS];
	int nd;

	if (u == U_RELU && try_fuse(c, node, x, NULL, NULL, 1))
		return 0;
	o = op_add(c, OP_UNARY, node);
	o->in[0] = x;
	o->nin = 1;
	o->unary = u;
	if (u == U_LEAKY)
		o->alpha = wh_node_attr_float(n, "alpha", 0.01f);
	if (u == U_CLIP) {
		const struct wh_tensor *lo = in_const(c, node, 1);
		const struct wh_tensor *hi = in_const(c, node, 2);

		o->alpha = lo ? (float)cget(lo, 0) :
		    wh_node_attr_float(n, "min", -INFINITY);
		o->beta = hi ? (float)cget(hi, 0) :
		    wh_node_attr_float(n, "max", INFINITY);
	}
	full_dims(&c->g->t[x], &nd, full);
	o->out = act_add(c, out_name(c, node), nd, full, c->g->nops - 1);
	return 0;
}

/* Per-tensor QuantizeLinear / DequantizeLinear on an activation.  The
 * quantized codes are kept as floats holding integers. */
static int
compile_qdq(struct compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *sc = in_const(c, node, 1), *zp = in_const(c, node, 2);
	int q = n->op[0] == 'Q', t8 = zp ? zp->elem_type : 2;
	struct wh_op *o;
	int64_t full[WH_MAX_DIMS];
	int nd;

	if (sc == NULL || sc->count != 1 || (zp != NULL && zp->count != 1))
		return fail(c, node, "only per-tensor quantization of activations "
		    "is supported%s", "");
	if (t8 != 2 && t8 != 3)
		return fail(c, node, "only uint8 and int8 activations are "
		    "supported%s", "");
	o = op_add(c, OP_UNARY, node);
	o->in[0] = x;
	o->nin = 1;
	o->unary = !q ? U_DEQUANT : t8 == 2 ? U_QUANT_U8 : U_QUANT_I8;
	o->alpha = (float)cget(sc, 0);
	o->beta = zp ? (float)cget(zp, 0) : 0;
	full_dims(&c->g->t[x], &nd, full);
	o->out = act_add(c, out_name(c, node), nd, full, c->g->nops - 1);
	return 0;
}

static int
compile_softmax(struct compiler *c, int node, int x, int log)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t full[WH_MAX_DIMS];
	struct wh_op *o;
	int nd, axis, i;

	full_dims(&c->g->t[x], &nd, full);
	axis = norm_axis(wh_node_attr_int(n, "axis", c->m->opset < 13 ? 1 : -1),
	    nd);
	if (axis < 1)
		return fail(c, node, "softmax over the batch axis is not "
		    "supported%s", "");
	o = op_add(c, log ? OP_LOGSOFTMAX : OP_SOFTMAX, node);
	o->in[0] = x;
	o->nin = 1;
	o->sm_outer = o->sm_inner = 1;
	if (c->m->opset < 13) {
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
	o->out = act_add(c, out_name(c, node), nd, full, c->g->nops - 1);
	return 0;
}

static int
compile_reshape(struct compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tinfo *xt = &c->g->t[x];
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS], known = 1;
	int nin, nout, neg = -1, i;
	size_t total;

	full_dims(xt, &nin, in);
	total = xt->ss * WH_PROBE_N;
	if (strcmp(n->op, "Flatten") == 0) {
		int ax = norm_axis(wh_node_attr_int(n, "axis", 1), nin + 1);

		if (ax < 1)
			return fail(c, node, "Flatten must keep the batch "
			    "axis%s", "");
		out[0] = 1;
		for (i = 0; i < ax; i++)
			out[0] *= in[i];
		out[1] = (int64_t)total / out[0];
		nout = 2;
	} else if (strcmp(n->op, "Reshape") == 0) {
		const struct wh_tensor *s = in_const(c, node, 1);
		int allowzero = (int)wh_node_attr_int(n, "allowzero", 0);

		if (s == NULL || (nout = ints_of(s, out, WH_MAX_DIMS)) < 1)
			return fail(c, node, "the target shape must be a constant "
			    "(after folding)%s", "");
		/* a fixed leading dim of the exported batch size is the batch */
		if (out[0] != -1 && out[0] != 0 && out[0] != WH_PROBE_N &&
		    c->m->ninputs > 0 && c->m->inputs[0].dims[0] == out[0])
			out[0] = WH_PROBE_N;
		for (i = 0; i < nout; i++) {
			if (out[i] == 0 && !allowzero && i < nin)
				out[i] = in[i];
			if (out[i] == -1) {
				if (neg >= 0)
					return fail(c, node, "two -1 dims in "
					    "the target shape%s", "");
				neg = i;
			} else if (out[i] <= 0)
				return fail(c, node, "bad target shape%s", "");
			else
				known *= out[i];
		}
		if (neg >= 0)
			out[neg] = known ? (int64_t)total / known : 0;
	} else {
		/* Squeeze / Unsqueeze on an activation */
		const struct wh_attr *aa = wh_node_attr(n, "axes");
		const struct wh_tensor *at = in_const(c, node, 1);
		int64_t axes[WH_MAX_DIMS];
		int naxes = 0, mark[WH_MAX_DIMS] = { 0 }, src = 0, j;

		if (aa != NULL && aa->n <= WH_MAX_DIMS) {
			naxes = (int)aa->n;
			memcpy(axes, aa->ints, naxes * sizeof *axes);
		} else if (at != NULL)
			naxes = ints_of(at, axes, WH_MAX_DIMS);
		if (naxes < 0)
			return fail(c, node, "bad axes%s", "");
		if (n->op[0] == 'U') {
			nout = nin + naxes;
			if (nout > WH_MAX_DIMS)
				return fail(c, node, "too many dims%s", "");
			for (i = 0; i < naxes; i++) {
				int ax = norm_axis(axes[i], nout);
				if (ax < 1)
					return fail(c, node, "bad axis%s", "");
				mark[ax] = 1;
			}
			for (i = 0; i < nout; i++)
				out[i] = mark[i] ? 1 : in[src++];
		} else {
			nout = 0;
			for (i = 0; i < nin; i++) {
				int drop = naxes == 0 && in[i] == 1 && i > 0;
				for (j = 0; j < naxes; j++)
					if (norm_axis(axes[j], nin) == i)
						drop = 1;
				if (drop && i == 0)
					return fail(c, node, "cannot squeeze the "
					    "batch axis%s", "");
				if (!drop)
					out[nout++] = in[i];
			}
		}
	}
	{
		size_t cnt;

		if (wh_tensor_count(out, nout, &cnt) != 0 || cnt != total)
			return fail(c, node, "the target shape does not hold the "
			    "input's elements%s", "");
	}
	if (out[0] != WH_PROBE_N)
		return fail(c, node, "the result does not keep the batch "
		    "first%s", "");
	if (alias_add(c, out_name(c, node), x, nout, out) < 0)
		return fail(c, node, "bad reshape%s", "");
	return 0;
}

static int
compile_transpose(struct compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_attr *p = wh_node_attr(n, "perm");
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS];
	struct wh_op *o;
	int nd, i;

	full_dims(&c->g->t[x], &nd, in);
	if (p != NULL && ((int)p->n != nd || p->ints[0] != 0))
		return fail(c, node, "the permutation must keep the batch "
		    "first%s", "");
	o = op_add(c, OP_TRANSPOSE, node);
	o->in[0] = x;
	o->nin = 1;
	o->tnd = nd - 1;
	for (i = 1; i < nd; i++) {
		int64_t src = p ? p->ints[i] : nd - i;

		if (src < 1 || src >= nd) {
			c->g->nops--;
			return fail(c, node, "bad permutation%s", "");
		}
		o->tdims[i - 1] = in[i];
		o->tperm[i - 1] = (int)src - 1;
		out[i] = in[src];
	}
	out[0] = in[0];
	o->out = act_add(c, out_name(c, node), nd, out, c->g->nops - 1);
	return 0;
}

static int
compile_concat(struct compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t d0[WH_MAX_DIMS], d[WH_MAX_DIMS];
	struct wh_op *o;
	int nd, ndi, axis, i, j, x;

	if (n->ninputs < 1 || n->ninputs > 4)
		return fail(c, node, "Concat of activations takes 1 to 4 "
		    "inputs%s", "");
	x = in_id(c, node, 0);
	full_dims(&c->g->t[x], &nd, d0);
	axis = norm_axis(wh_node_attr_int(n, "axis", 1), nd);
	if (axis < 1)
		return fail(c, node, "Concat along the batch is not "
		    "supported%s", "");
	o = op_add(c, OP_CONCAT, node);
	o->cat_outer = 1;
	for (i = 1; i < axis; i++)
		o->cat_outer *= d0[i];
	d0[axis] = 0;
	for (i = 0; i < n->ninputs; i++) {
		int t = in_id(c, node, i);

		if (t < 0 || c->g->t[t].is_const) {
			c->g->nops--;
			return fail(c, node, "Concat of constants and "
			    "activations is not supported%s", "");
		}
		full_dims(&c->g->t[t], &ndi, d);
		if (ndi != nd) {
			c->g->nops--;
			return fail(c, node, "inputs differ in rank%s", "");
		}
		for (j = 0; j < nd; j++)
			if (j != axis && d[j] != d0[j]) {
				c->g->nops--;
				return fail(c, node, "inputs differ in shape%s", "");
			}
		o->in[i] = t;
		o->cat_block[i] = (int64_t)(c->g->t[t].ss / (size_t)o->cat_outer);
		d0[axis] += d[axis];
	}
	o->nin = n->ninputs;
	o->out = act_add(c, out_name(c, node), nd, d0, c->g->nops - 1);
	return 0;
}

static int
compile_node(struct compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	struct wh_graph *g = c->g;
	int allconst = 1, x, i;
	const char *op = n->op;

	if (n->noutputs < 1)
		return fail(c, node, "node has no output%s", "");
	for (i = 0; i < n->ninputs; i++) {
		int id;

		if (n->inputs[i][0] == '\0')
			continue;
		if ((id = tensor_find(g, n->inputs[i])) < 0)
			return fail(c, node, "reads tensor '%s', which nothing "
			    "produces", n->inputs[i]);
		if (!g->t[id].is_const)
			allconst = 0;
	}
	if (strcmp(op, "Constant") == 0)
		return compile_constant(c, node);
	x = in_id(c, node, 0);
	if (x < 0 && n->ninputs > 0)
		return fail(c, node, "the first input is missing%s", "");
	if (strcmp(op, "Shape") == 0)
		return compile_shape(c, node, x);
	if (allconst && n->ninputs > 0)
		return fold_node(c, node);

	if (strcmp(op, "Gemm") == 0 || strcmp(op, "MatMul") == 0)
		return compile_linear(c, node, x);
	if (strcmp(op, "Conv") == 0)
		return compile_conv(c, node, x);
	if (strcmp(op, "MaxPool") == 0)
		return compile_pool(c, node, x, OP_MAXPOOL);
	if (strcmp(op, "AveragePool") == 0)
		return compile_pool(c, node, x, OP_AVGPOOL);
	if (strcmp(op, "GlobalAveragePool") == 0)
		return compile_pool(c, node, x, OP_GAP);
	if (strcmp(op, "BatchNormalization") == 0)
		return compile_bn(c, node, x);
	if (strcmp(op, "Add") == 0 || strcmp(op, "Sub") == 0 ||
	    strcmp(op, "Mul") == 0 || strcmp(op, "Div") == 0) {
		int b = in_id(c, node, 1);

		if (b < 0)
			return fail(c, node, "the second input is missing%s", "");
		return compile_binary(c, node, x, b);
	}
	if (strcmp(op, "Softmax") == 0 || strcmp(op, "LogSoftmax") == 0)
		return compile_softmax(c, node, x, op[0] == 'L');
	if (strcmp(op, "Flatten") == 0 || strcmp(op, "Reshape") == 0 ||
	    strcmp(op, "Squeeze") == 0 || strcmp(op, "Unsqueeze") == 0)
		return compile_reshape(c, node, x);
	if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) {
		int64_t full[WH_MAX_DIMS];
		int nd;

		full_dims(&g->t[x], &nd, full);
		alias_add(c, out_name(c, node), x, nd, full);
		return 0;
	}
	if (strcmp(op, "Cast") == 0) {
		int64_t to = wh_node_attr_int(n, "to", 0), full[WH_MAX_DIMS];
		int nd;

		if (to != 1)
			return fail(c, node, "Cast of an activation to a "
			    "non-float type is not supported%s", "");
		full_dims(&g->t[x], &nd, full);
		alias_add(c, out_name(c, node), x, nd, full);
		return 0;
	}
	if (strcmp(op, "QuantizeLinear") == 0 ||
	    strcmp(op, "DequantizeLinear") == 0)
		return compile_qdq(c, node, x);
	if (strcmp(op, "Transpose") == 0)
		return compile_transpose(c, node, x);
	if (strcmp(op, "Concat") == 0)
		return compile_concat(c, node);
	{
		static const struct { const char *op; enum wh_unary u; } un[] = {
			{ "Relu", U_RELU }, { "LeakyRelu", U_LEAKY },
			{ "Sigmoid", U_SIGMOID }, { "Tanh", U_TANH },
			{ "Erf", U_ERF }, { "Neg", U_NEG }, { "Exp", U_EXP },
			{ "Sqrt", U_SQRT }, { "Abs", U_ABS }, { "Clip", U_CLIP },
		};
		for (i = 0; i < (int)(sizeof un / sizeof un[0]); i++)
			if (strcmp(op, un[i].op) == 0)
				return compile_unary(c, node, x, un[i].u);
		if (strcmp(op, "Gelu") == 0) {
			const struct wh_attr *ap = wh_node_attr(n, "approximate");

			return compile_unary(c, node, x, ap && ap->s &&
			    strcmp(ap->s, "tanh") == 0 ? U_GELU_TANH : U_GELU);
		}
	}
	return fail(c, node, "unsupported operator%s", "");
}

/* Sorts the nodes so that each comes after the producers of its inputs. */
static int *
topo_sort(const struct wh_model *m, char **err)
{
	size_t nn = m->nnodes, done = 0, navail = 0, i;
	int *order = xcalloc(nn ? nn : 1, sizeof *order);
	char *placed = xcalloc(nn ? nn : 1, 1);
	const char **avail;
	int progress = 1, k;

	avail = xcalloc(m->ninits + m->ninputs + 1, sizeof *avail);
	for (i = 0; i < m->ninits; i++)
		avail[navail++] = m->inits[i].name;
	for (i = 0; i < m->ninputs; i++)
		avail[navail++] = m->inputs[i].name;
	while (done < nn && progress) {
		progress = 0;
		for (i = 0; i < nn; i++) {
			const struct wh_node *n = &m->nodes[i];
			int ready = 1;

			if (placed[i])
				continue;
			for (k = 0; k < n->ninputs && ready; k++) {
				size_t a;

				if (n->inputs[k][0] == '\0')
					continue;
				for (a = 0; a < navail; a++)
					if (strcmp(avail[a], n->inputs[k]) == 0)
						break;
				ready = a < navail;
			}
			if (!ready)
				continue;
			placed[i] = 1;
			order[done++] = (int)i;
			progress = 1;
			avail = xreallocarray(avail, navail + n->noutputs + 1,
			    sizeof *avail);
			for (k = 0; k < n->noutputs; k++)
				avail[navail++] = n->outputs[k];
		}
	}
	free(avail);
	if (done < nn) {
		for (i = 0; i < nn && placed[i]; i++)
			;
		wh_error(err, "%s: node '%s' reads a tensor that nothing "
		    "produces, or the graph has a cycle", m->path,
		    m->nodes[i].name);
		free(placed);
		free(order);
		return NULL;
	}
	free(placed);
	return order;
}

struct wh_graph *
wh_graph_new(const struct wh_model *m, char **err)
{
	struct compiler c = { 0 };
	struct wh_graph *g = xcalloc(1, sizeof *g);
	const struct wh_value *in;
	int64_t full[WH_MAX_DIMS];
	int *order, i, k;
	size_t j;
	char *used;

	c.m = m;
	c.g = g;
	c.err = err;
	g->model = m;
	g->input = g->output = -1;
	for (j = 0; j < m->ninits; j++)
		const_add(&c, m->inits[j].name, &m->inits[j], 0);
	if (m->ninputs < 1) {
		wh_error(err, "%s: the graph has no input", m->path);
		goto fail;
	}
	in = &m->inputs[0];
	if (in->ndim < 2) {
		wh_error(err, "%s: input '%s' has %d dims, at least 2 (batch "
		    "first) are needed", m->path, in->name, in->ndim);
		goto fail;
	}
	full[0] = WH_PROBE_N;
	for (i = 1; i < in->ndim; i++) {
		if (in->dims[i] <= 0) {
			wh_error(err, "%s: input '%s' has a symbolic dim %d; only "
			    "the batch may vary", m->path, in->name, i);
			goto fail;
		}
		full[i] = in->dims[i];
	}
	g->input = act_add(&c, in->name, in->ndim, full, -1);
	if ((order = topo_sort(m, err)) == NULL)
		goto fail;
	for (j = 0; j < m->nnodes; j++)
		if (compile_node(&c, order[j]) != 0) {
			free(order);
			goto fail;
		}
	free(order);
	if (m->noutputs < 1 || (g->output = tensor_find(g, m->outputs[0].name)) < 0 ||
	    g->t[g->output].is_const) {
		wh_error(err, "%s: the graph output is missing or constant",
		    m->path);
		goto fail;
	}
	/* liveness on buffer roots */
	for (k = 0; k < g->nops; k++) {
		const struct wh_op *o = &g->ops[k];

		for (i = 0; i < o->nin; i++)
			if (o->in[i] >= 0)
				g->t[root(g, o->in[i])].last = k;
	}
	g->t[root(g, g->output)].last = g->nops;
	/* parameters: float initializers some node reads */
	used = xcalloc(m->ninits ? m->ninits : 1, 1);
	for (j = 0; j < m->nnodes; j++)
		for (k = 0; k < m->nodes[j].ninputs; k++)
			for (size_t q = 0; q < m->ninits; q++)
				if (m->inits[q].dtype == WH_FLOAT &&
				    strcmp(m->inits[q].name,
				    m->nodes[j].inputs[k]) == 0)
					used[q] = 1;
	for (j = 0; j < m->ninits; j++)
		if (used[j])
			g->params += m->inits[j].count;
	free(used);
	for (i = 0; i < g->nlayers; i++)
		g->macs += g->layers[i].macs;
	return g;
fail:
	wh_graph_free(g);
	return NULL;
}

void
wh_graph_free(struct wh_graph *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nt; i++) {
		free(g->t[i].name);
		if (g->t[i].cval_owned)
			tensor_free(g->t[i].cval);
	}
	for (i = 0; i < g->nops; i++) {
		free(g->ops[i].ep_scale);
		free(g->ops[i].ep_shift);
		free(g->ops[i].aff_scale);
		free(g->ops[i].aff_shift);
	}
	for (i = 0; i < g->nlayers; i++) {
		free(g->layers[i].name);
		free((void *)g->layers[i].w);
		free((void *)g->layers[i].bias);
	}
	free(g->t);
	free(g->ops);
	free(g->layers);
	free(g);
}

int
wh_graph_nlayers(const struct wh_graph *g)
{
	return g->nlayers;
}

const struct wh_layer *
wh_graph_layer(const struct wh_graph *g, int i)
{
	return i >= 0 && i < g->nlayers ? &g->layers[i] : NULL;
}

int
wh_graph_find_layer(const struct wh_graph *g, const char *name)
{
	int i;

	for (i = 0; i < g->nlayers; i++)
		if (strcmp(g->layers[i].name, name) == 0)
			return i;
	return -1;
}

size_t
wh_graph_input_size(const struct wh_graph *g)
{
	return g->t[g->input].ss;
}

size_t
wh_graph_output_size(const struct wh_graph *g)
{
	return g->t[g->output].ss;
}

int
wh_graph_input_dims(const struct wh_graph *g, int64_t *dims)
{
	memcpy(dims, g->t[g->input].dims, g->t[g->input].ndim * sizeof *dims);
	return g->t[g->input].ndim;
}

uint64_t
wh_graph_params(const struct wh_graph *g)
{
	return g->params;
}

uint64_t
wh_graph_bytes(const struct wh_graph *g)
{
	return g->params * 4;
}

uint64_t
wh_graph_macs(const struct wh_graph *g)
{
	return g->macs;
}
