/* op-reduce.c - reductions over axes: ReduceMean, ReduceSum, ReduceMax,
 * ReduceMin, ReduceProd, ReduceL2, ReduceLogSumExp and ArgMax, of an
 * activation (never over the batch) or of a constant */
#include <math.h>
#include <string.h>

#include "op.h"
#include "whittle/util.h"

/* def->arg: the reduction, and whether the axes are the second input
 * (ReduceSum from opset 13, the others from 18) */
enum { RD_AXES_INPUT = 1 };
enum { RD_MEAN, RD_SUM, RD_MAX, RD_MIN, RD_PROD, RD_L2, RD_LSE,
	RD_ARGMAX, RD_ARGMAX_LAST };	/* the index of the first (last) max */
#define RD_KIND(arg) ((arg) >> 1)
#define RD_ARG(kind, input) ((kind) << 1 | (input))

/* A running reduction: a the accumulator, b a second one (LogSumExp's
 * sum of exp(v - a), ArgMax's index), n the values so far. */
struct acc {
	double a, b;
	int64_t n;
};

static void
acc_init(struct acc *s, int kind)
{
	s->a = kind == RD_PROD ? 1 : kind == RD_MAX || kind == RD_LSE ||
	    kind >= RD_ARGMAX ? -INFINITY : kind == RD_MIN ? INFINITY : 0;
	s->b = 0;
	s->n = 0;
}

static void
acc_add(struct acc *s, int kind, double v)
{
	s->n++;
	switch (kind) {
	case RD_ARGMAX:
	case RD_ARGMAX_LAST:
		/* a NaN is the max, as numpy's argmax has it */
		if (s->a == s->a && (v > s->a || v != v || s->n == 1 ||
		    (kind == RD_ARGMAX_LAST && v == s->a))) {
			s->a = v;
			s->b = (double)(s->n - 1);
		}
		break;
	case RD_MEAN:
	case RD_SUM:
		s->a += v;
		break;
	case RD_MAX:
		s->a = v > s->a || v != v ? v : s->a;
		break;
	case RD_MIN:
		s->a = v < s->a || v != v ? v : s->a;
		break;
	case RD_PROD:
		s->a *= v;
		break;
	case RD_L2:
		s->a += v * v;
		break;
	default:	/* RD_LSE: a the running max, b the sum of exp(v - a) */
		if (v > s->a) {
			s->b = s->b * exp(s->a - v) + 1;
			s->a = v;
		} else
			s->b += exp(v - s->a);
		break;
	}
}

static double
acc_value(const struct acc *s, int kind)
{
	switch (kind) {
	case RD_MEAN:
		return s->a / (double)s->n;
	case RD_L2:
		return sqrt(s->a);
	case RD_LSE:
		return s->n == 0 ? -INFINITY : s->a + log(s->b);
	case RD_ARGMAX:
	case RD_ARGMAX_LAST:
		return s->b;
	default:
		return s->a;
	}
}

/* Whether the axes marked in red are the last ones (at least one). */
static int
trailing(int nd, const int *red)
{
	int i = nd;

	while (i > 0 && red[i - 1])
		i--;
	if (i == nd)
		return 0;
	while (i > 0 && !red[i - 1])
		i--;
	return i == 0;
}

/*
 * Reduces x: (dims, nd of them) over the axes marked in red into y: (dims
 * with those axes 1), in index order.  Floats from xf when given, else
 * from the constant xt; into yf, else the constant yt.
 */
static void
reduce(int kind, int nd, const int64_t *dims, const int *red, int64_t count,
    const float *xf, const struct wh_tensor *xt, float *yf,
    struct wh_tensor *yt, size_t oss)
{
	int64_t istr[WH_MAX_DIMS], oidx[WH_MAX_DIMS], ridx[WH_MAX_DIMS];
	int64_t st = 1, j;
	size_t k;
	int i;

	for (i = nd - 1; i >= 0; i--) {
		istr[i] = st;
		st *= dims[i];
	}
	if (xf != NULL && yf != NULL && (kind == RD_MEAN || kind == RD_SUM) &&
	    trailing(nd, red)) {
		/* each output sums a contiguous run of count values */
		for (k = 0; k < oss; k++) {
			double v = wh_row_sum(xf + k * (size_t)count, count, 0, 0);

			yf[k] = (float)(kind == RD_MEAN ? v / (double)count : v);
		}
		return;
	}
	memset(oidx, 0, sizeof oidx);
	for (k = 0; k < oss; k++) {
		int64_t base = 0;
		struct acc s;

		acc_init(&s, kind);
		for (i = 0; i < nd; i++)
			base += oidx[i] * istr[i];
		memset(ridx, 0, sizeof ridx);
		for (j = 0; j < count; j++) {
			int64_t off = base;

			for (i = 0; i < nd; i++)
				off += ridx[i] * istr[i];
			acc_add(&s, kind, xf != NULL ? xf[off] :
			    wh_cget(xt, (size_t)off));
			for (i = nd - 1; i >= 0; i--) {
				if (!red[i])
					continue;
				if (++ridx[i] < dims[i])
					break;
				ridx[i] = 0;
			}
		}
		if (yf != NULL)
			yf[k] = (float)acc_value(&s, kind);
		else
			wh_cset(yt, k, acc_value(&s, kind));
		for (i = nd - 1; i >= 0; i--) {
			if (red[i])
				continue;
			if (++oidx[i] < dims[i])
				break;
			oidx[i] = 0;
		}
	}
}

/*
 * The axes of a node over a tensor of nd dims (first the batch when act:
 * an activation compiled batched) into red; *noop when there are none and
 * noop_with_empty_axes asks for the input itself.  No axes: all of them,
 * refused when act.  0, or -1 with the message.
 */
static int
reduce_axes(struct wh_compiler *c, int node, int nd, int act, int *red,
    int *noop)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t axes[WH_MAX_DIMS];
	int naxes = -1, i;

	*noop = 0;
	memset(red, 0, WH_MAX_DIMS * sizeof *red);
	if (RD_KIND(c->def->arg) == RD_ARGMAX) {
		naxes = 1;
		axes[0] = wh_node_attr_int(n, "axis", 0);
	} else if (c->def->arg & RD_AXES_INPUT) {
		const struct wh_tensor *t = wh_in_const(c, node, 1);

		if (wh_in_id(c, node, 1) >= 0 && (t == NULL ||
		    (naxes = wh_ints_of(t, axes, WH_MAX_DIMS)) < 0))
			return wh_fail(c, node, "the axes must be a constant "
			    "list%s", "");
	} else {
		const struct wh_attr *a = wh_node_attr(n, "axes");

		if (a != NULL) {
			if (a->n > WH_MAX_DIMS)
				return wh_fail(c, node, "too many axes%s", "");
			naxes = (int)a->n;
			if (a->n > 0)
				memcpy(axes, a->ints, a->n * sizeof *axes);
		}
	}
	if (naxes <= 0) {
		if (wh_node_attr_int(n, "noop_with_empty_axes", 0) != 0 &&
		    (c->def->arg & RD_AXES_INPUT)) {
			*noop = 1;
			return 0;
		}
		/* every axis: for an activation that is the batch too,
		 * which a per-sample reduction cannot give */
		if (act)
			return wh_batch_fail(c, node, "no axes reduces over every "
			    "axis, the batch included, which is not "
			    "supported%s", "");
		for (i = 0; i < nd; i++)
			red[i] = 1;
	}
	for (i = 0; i < naxes; i++) {
		int ax = wh_norm_axis(axes[i], nd);

		if (ax < 0)
			return wh_fail(c, node, "bad axis%s", "");
		if (ax == 0 && act)
			return wh_batch_fail(c, node, "reducing over the batch "
			    "axis is not supported%s", "");
		red[ax] = 1;
	}
	return 0;
}

/* the reduction of the node: ArgMax's select_last_index picks the last */
static int
reduce_kind(struct wh_compiler *c, int node)
{
	int kind = RD_KIND(c->def->arg);

	if (kind == RD_ARGMAX && wh_node_attr_int(&c->m->nodes[node],
	    "select_last_index", 0) != 0)
		kind = RD_ARGMAX_LAST;
	return kind;
}

/* a: (dims) constant -> its reduction, of a's dtype (ArgMax: int64) */
static struct wh_tensor *
fold_reduce(struct wh_compiler *c, int node)
{
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	int keep = (int)wh_node_attr_int(&c->m->nodes[node], "keepdims", 1);
	int red[WH_MAX_DIMS], noop, i, nout = 0;
	int64_t out[WH_MAX_DIMS], count = 1;
	struct wh_tensor *y;

	if (reduce_axes(c, node, a->ndim, 0, red, &noop) != 0)
		return NULL;
	if (noop) {
		y = xcalloc(1, sizeof *y);
		wh_tensor_copy(y, a);
		return y;
	}
	for (i = 0; i < a->ndim; i++) {
		if (red[i])
			count *= a->dims[i];
		if (!red[i] || keep)
			out[nout++] = red[i] ? 1 : a->dims[i];
	}
	if (RD_KIND(c->def->arg) == RD_MEAN && count < 1)
		return wh_fold_fail(c, node, "the mean of no values%s", "");
	if ((y = wh_ctensor_new(c, node, a->dtype == WH_FLOAT &&
	    RD_KIND(c->def->arg) != RD_ARGMAX ? WH_FLOAT : WH_INT64, nout,
	    out)) == NULL)
		return NULL;
	reduce(reduce_kind(c, node), a->ndim, a->dims, red, count, NULL, a,
	    NULL, y, y->count);
	return y;
}

/*
 * x: (n, d1, ..., dk) -> the reduction over the axes, which keep a dim of
 * 1 (keepdims, the default) or are dropped; no axes is refused (it would
 * take in the batch) unless noop_with_empty_axes asks for the input
 * itself.  ArgMax gives
 * the indices along its axis as floats.
 */
static int
compile_reduce(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS];
	int nd, nout = 0, i, red[WH_MAX_DIMS], noop;
	int keep = (int)wh_node_attr_int(n, "keepdims", 1);
	struct wh_op *o;

	if (x < 0 || c->g->t[x].is_const)
		return wh_fail(c, node, "the axes must be a constant list%s", "");
	wh_full_dims(c, &c->g->t[x], &nd, in);
	if (reduce_axes(c, node, nd, c->nb, red, &noop) != 0)
		return -1;
	if (noop) {
		if (wh_alias_add(c, wh_out_name(c, node), x, nd, in) < 0)
			return wh_fail(c, node, "bad reduction%s", "");
		return 0;
	}
	o = wh_op_add(c, OP_REDUCE, node);
	o->in[0] = x;
	o->nin = 1;
	o->tnd = nd - c->nb;
	o->red_count = 1;
	o->red_kind = reduce_kind(c, node);
	for (i = 0; i < nd; i++) {
		if (i >= c->nb) {
			o->tdims[i - c->nb] = in[i];
			o->red_axis[i - c->nb] = red[i];
		}
		if (red[i])
			o->red_count *= in[i];
		if (!red[i] || keep)
			out[nout++] = red[i] ? 1 : in[i];
	}
	if (o->red_count < 1 && o->red_kind == RD_MEAN) {
		c->g->nops--;
		return wh_fail(c, node, "the mean of no values%s", "");
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nout, out,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* x: (n, tdims) -> y: (n, tdims with the reduced axes 1), each output the
 * reduction of its red_count inputs, accumulated in double in index
 * order */
static void
run_reduce(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t iss = g->t[o->in[0]].ss, oss = g->t[o->out].ss, s;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (s = 0; s < n; s++)
		reduce(o->red_kind, o->tnd, o->tdims, o->red_axis, o->red_count,
		    buf[o->in[0]] + s * iss, NULL, buf[o->out] + s * oss, NULL,
		    oss);
}

int
wh_reduce_is_mean(const struct wh_op *o)
{
	return o->kind == OP_REDUCE && o->red_kind == RD_MEAN;
}

static const struct wh_kernel kernel_reduce = { "reduce", run_reduce, NULL,
    NULL };

#define REDUCE_DEF(var, name, since, until, kind, input)		\
const struct wh_opdef var = {						\
	name, since, until, 1, (input) ? 2 : 1, 1, 1, fold_reduce,	\
	compile_reduce, &kernel_reduce, RD_ARG(kind, input)		\
}

/* select_last_index from opset 12 (earlier files never set it) */
const struct wh_opdef wh_def_argmax = {
	"ArgMax", 1, 0, 1, 1, 1, 1, fold_reduce, compile_reduce, &kernel_reduce,
	RD_ARG(RD_ARGMAX, 0)
};
REDUCE_DEF(wh_def_reducel2_1, "ReduceL2", 1, 17, RD_L2, 0);
REDUCE_DEF(wh_def_reducel2_18, "ReduceL2", 18, 0, RD_L2, 1);
REDUCE_DEF(wh_def_reducelogsumexp_1, "ReduceLogSumExp", 1, 17, RD_LSE, 0);
REDUCE_DEF(wh_def_reducelogsumexp_18, "ReduceLogSumExp", 18, 0, RD_LSE, 1);
REDUCE_DEF(wh_def_reducemax_1, "ReduceMax", 1, 17, RD_MAX, 0);
REDUCE_DEF(wh_def_reducemax_18, "ReduceMax", 18, 0, RD_MAX, 1);
REDUCE_DEF(wh_def_reducemean_1, "ReduceMean", 1, 17, RD_MEAN, 0);
REDUCE_DEF(wh_def_reducemean_18, "ReduceMean", 18, 0, RD_MEAN, 1);
REDUCE_DEF(wh_def_reducemin_1, "ReduceMin", 1, 17, RD_MIN, 0);
REDUCE_DEF(wh_def_reducemin_18, "ReduceMin", 18, 0, RD_MIN, 1);
REDUCE_DEF(wh_def_reduceprod_1, "ReduceProd", 1, 17, RD_PROD, 0);
REDUCE_DEF(wh_def_reduceprod_18, "ReduceProd", 18, 0, RD_PROD, 1);
REDUCE_DEF(wh_def_reducesum_1, "ReduceSum", 1, 12, RD_SUM, 0);
REDUCE_DEF(wh_def_reducesum_13, "ReduceSum", 13, 0, RD_SUM, 1);
