/* op-shape.c - shapes and tensor manipulation: Constant, Shape, Identity,
 * Dropout, Cast, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Pad,
 * Slice, Gather, Split, Expand, Tile, Size, and the constant-only
 * ConstantOfShape and Range; on constants they
 * fold the shape arithmetic torch exports */
#include <math.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "op.h"
#include "whittle/util.h"

enum { SH_RESHAPE, SH_FLATTEN, SH_SQUEEZE, SH_UNSQUEEZE };	/* def->arg */

/* the value attribute, in any of its forms */
static struct wh_tensor *
fold_constant(struct wh_compiler *c, int node)
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
		if ((t = wh_ctensor_new(c, node, WH_FLOAT, 0, NULL)) != NULL)
			t->f[0] = a->f;
	} else if ((a = wh_node_attr(n, "value_int")) != NULL) {
		if ((t = wh_ctensor_new(c, node, WH_INT64, 0, NULL)) != NULL)
			t->i[0] = a->i;
	} else if ((a = wh_node_attr(n, "value_floats")) != NULL) {
		d1 = (int64_t)a->n;
		if ((t = wh_ctensor_new(c, node, WH_FLOAT, 1, &d1)) != NULL)
			for (i = 0; i < a->n; i++)
				t->f[i] = a->floats[i];
	} else if ((a = wh_node_attr(n, "value_ints")) != NULL) {
		d1 = (int64_t)a->n;
		if ((t = wh_ctensor_new(c, node, WH_INT64, 1, &d1)) != NULL)
			for (i = 0; i < a->n; i++)
				t->i[i] = a->ints[i];
	} else
		return wh_fold_fail(c, node, "Constant without a supported "
		    "value%s", "");
	return t;
}

/* Flatten's axis over r dims, in [-r, r]: the dims before it make the
 * first of the two; -1 outside. */
static int
flatten_axis(int64_t axis, int r)
{
	if (axis < 0)
		axis += r;
	return axis < 0 || axis > r ? -1 : (int)axis;
}

/* x: any -> its dims [start, end) as int64, of a constant or an activation
 * (with the probe batch) alike */
static struct wh_tensor *
fold_shape(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t dims[WH_MAX_DIMS], start, end, len;
	struct wh_tensor *t;
	int nd, i;

	wh_full_dims(c, &c->g->t[wh_in_id(c, node, 0)], &nd, dims);
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
	len = end - start;
	if ((t = wh_ctensor_new(c, node, WH_INT64, 1, &len)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		t->i[i] = dims[start + i];
	return t;
}

static int
compile_shape(struct wh_compiler *c, int node, int x)
{
	struct wh_tensor *t;

	(void)x;
	if ((t = fold_shape(c, node)) == NULL)
		return -1;
	wh_const_add(c, wh_out_name(c, node), t, 1);
	return 0;
}

/* x: any constant -> the number of its values as an int64 scalar (an
 * activation's would depend on the batch) */
static struct wh_tensor *
fold_size(struct wh_compiler *c, int node)
{
	int64_t dims[WH_MAX_DIMS], count;
	struct wh_tensor *t;
	int nd;

	wh_full_dims(c, &c->g->t[wh_in_id(c, node, 0)], &nd, dims);
	if (wh_dims_elems(dims, nd, &count) != 0)
		return wh_fold_fail(c, node, "the size overflows%s", "");
	if ((t = wh_ctensor_new(c, node, WH_INT64, 0, NULL)) != NULL)
		t->i[0] = count;
	return t;
}

/* start, limit, delta: scalars -> start, start + delta, ... before limit,
 * of start's type */
static struct wh_tensor *
fold_range(struct wh_compiler *c, int node)
{
	const struct wh_tensor *ts = wh_in_const(c, node, 0);
	const struct wh_tensor *tl = wh_in_const(c, node, 1);
	const struct wh_tensor *td = wh_in_const(c, node, 2);
	double st, lim, d, cnt;
	struct wh_tensor *t;
	int64_t len;
	size_t k;

	if (ts->count != 1 || tl->count != 1 || td->count != 1)
		return wh_fold_fail(c, node, "start, limit and delta must be "
		    "scalars%s", "");
	st = wh_cget(ts, 0);
	lim = wh_cget(tl, 0);
	d = wh_cget(td, 0);
	if (d == 0 || d != d)
		return wh_fold_fail(c, node, "delta must not be 0%s", "");
	cnt = ceil((lim - st) / d);
	if (!(cnt <= (double)WH_MAX_ELEMS))
		return wh_fold_fail(c, node, "the range holds more than "
		    WH_MAX_ELEMS_STR " values%s", "");
	len = cnt > 0 ? (int64_t)cnt : 0;
	if ((t = wh_ctensor_new(c, node, ts->dtype == WH_FLOAT ? WH_FLOAT :
	    WH_INT64, 1, &len)) == NULL)
		return NULL;
	for (k = 0; k < (size_t)len; k++)
		wh_cset(t, k, ts->dtype == WH_FLOAT ? (double)((float)st +
		    (float)k * (float)d) : st + (double)k * d);
	return t;
}

/* Identity and Dropout (inference): the input itself */
static struct wh_tensor *
fold_identity(struct wh_compiler *c, int node)
{
	struct wh_tensor *o = xcalloc(1, sizeof *o);

	wh_tensor_copy(o, wh_in_const(c, node, 0));
	return o;
}

static int
compile_identity(struct wh_compiler *c, int node, int x)
{
	int64_t full[WH_MAX_DIMS];
	int nd;

	wh_full_dims(c, &c->g->t[x], &nd, full);
	wh_alias_add(c, wh_out_name(c, node), x, nd, full);
	return 0;
}

/*
 * Dropout is the identity at inference, which is all whittle evaluates: a
 * training_mode input (opset 12 on) that is true, or not a constant, is
 * refused rather than ignored, unless the ratio is a constant 0 (which
 * drops nothing).  0, or -1 with the message set.
 */
static int
dropout_inference(struct wh_compiler *c, int node)
{
	const struct wh_tensor *tm, *ratio = wh_in_const(c, node, 1);
	size_t k;

	if (wh_in_id(c, node, 2) < 0 || (ratio != NULL && ratio->count == 1 &&
	    wh_cget(ratio, 0) == 0))
		return 0;
	if ((tm = wh_in_const(c, node, 2)) == NULL)
		return wh_fail(c, node, "training_mode must be a constant%s", "");
	for (k = 0; k < tm->count; k++)
		if (wh_cget(tm, k) != 0)
			return wh_fail(c, node, "Dropout in training mode "
			    "(training_mode true) is not supported%s", "");
	return 0;
}

static struct wh_tensor *
fold_dropout(struct wh_compiler *c, int node)
{
	return dropout_inference(c, node) != 0 ? NULL : fold_identity(c, node);
}

static int
compile_dropout(struct wh_compiler *c, int node, int x)
{
	return dropout_inference(c, node) != 0 ? -1 :
	    compile_identity(c, node, x);
}

/* to float (1), double (11, held as float), int32 (6) or int64 (7) */
static struct wh_tensor *
fold_cast(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	int64_t to = wh_node_attr_int(n, "to", 1);
	struct wh_tensor *o;
	size_t k;

	if (to != 1 && to != 7 && to != 6 && to != 11)
		return wh_fold_fail(c, node, "Cast to an unsupported type%s", "");
	if ((o = wh_ctensor_new(c, node, to == 1 || to == 11 ? WH_FLOAT :
	    WH_INT64, a->ndim, a->dims)) == NULL)
		return NULL;
	for (k = 0; k < a->count; k++)
		wh_cset(o, k, wh_cget(a, k));
	return o;
}

/* activations are float already: only a Cast to float is one */
static int
compile_cast(struct wh_compiler *c, int node, int x)
{
	if (wh_node_attr_int(&c->m->nodes[node], "to", 0) != 1)
		return wh_fail(c, node, "Cast of an activation to a non-float "
		    "type is not supported%s", "");
	return compile_identity(c, node, x);
}

/* data a: (outer, a.dims[axis], inner), indices b: any ->
 * (outer, b.dims, inner) */
static struct wh_tensor *
fold_gather(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_tensor *b = wh_in_const(c, node, 1);
	int axis = wh_norm_axis(wh_node_attr_int(n, "axis", 0), a->ndim);
	int64_t inner = 1, outer = 1, dims[WH_MAX_DIMS];
	struct wh_tensor *o;
	int nd, i;
	size_t k;

	if (axis < 0)
		return wh_fold_fail(c, node, "bad Gather axis%s", "");
	if (a->ndim - 1 + b->ndim > WH_MAX_DIMS)
		return wh_fold_fail(c, node, "too many dims%s", "");
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
	if ((o = wh_ctensor_new(c, node, a->dtype, nd, dims)) == NULL)
		return NULL;
	for (int64_t p = 0; p < outer; p++)
		for (k = 0; k < b->count; k++) {
			int64_t ix = wh_cget_int(b, k);

			if (ix < 0)
				ix += a->dims[axis];
			if (ix < 0 || ix >= a->dims[axis]) {
				wh_ctensor_free(o);
				return wh_fold_fail(c, node, "Gather index out of "
				    "range%s", "");
			}
			for (int64_t q = 0; q < inner; q++)
				wh_cset(o, (p * b->count + k) * inner + q,
				    wh_cget(a, (p * a->dims[axis] + ix) * inner +
				    q));
		}
	return o;
}

/* Squeeze and Unsqueeze (def->arg): axes as an attribute (before opset
 * 13) or the second input */
static struct wh_tensor *
fold_squeeze(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_tensor *b = wh_in_const(c, node, 1);
	const struct wh_attr *aa = wh_node_attr(n, "axes");
	int64_t axes[WH_MAX_DIMS], dims[WH_MAX_DIMS];
	int naxes = 0, nd, i, j;
	struct wh_tensor *o;
	size_t k;

	if (aa != NULL) {
		naxes = (int)aa->n;
		if (aa->n > WH_MAX_DIMS)
			return wh_fold_fail(c, node, "too many axes%s", "");
		if (aa->n > 0)
			memcpy(axes, aa->ints, aa->n * sizeof *axes);
	} else if (b != NULL) {
		if ((naxes = wh_ints_of(b, axes, WH_MAX_DIMS)) < 0)
			return wh_fold_fail(c, node, "too many axes%s", "");
	}
	if (c->def->arg == SH_UNSQUEEZE) {
		int on = a->ndim + naxes, src = 0;
		int mark[WH_MAX_DIMS] = { 0 };

		if (on > WH_MAX_DIMS)
			return wh_fold_fail(c, node, "too many dims%s", "");
		for (i = 0; i < naxes; i++) {
			int ax = wh_norm_axis(axes[i], on);
			if (ax < 0)
				return wh_fold_fail(c, node, "bad axis%s", "");
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
				if (wh_norm_axis(axes[j], a->ndim) == i)
					drop = 1;
			if (naxes == 0 && a->dims[i] == 1)
				drop = 1;
			if (!drop)
				dims[nd++] = a->dims[i];
		}
	}
	if ((o = wh_ctensor_new(c, node, a->dtype, nd, dims)) == NULL)
		return NULL;
	for (k = 0; k < a->count; k++)
		wh_cset(o, k, wh_cget(a, k));
	return o;
}

/* inputs of one rank, equal but along the axis -> joined along it */
static struct wh_tensor *
fold_concat(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	int64_t outer = 1, total = 0, off = 0, dims[WH_MAX_DIMS];
	struct wh_tensor *o;
	int axis, i;

	axis = wh_norm_axis(wh_node_attr_int(n, "axis", 0), a->ndim);
	if (axis < 0)
		return wh_fold_fail(c, node, "bad Concat axis%s", "");
	for (i = 0; i < n->ninputs; i++) {
		const struct wh_tensor *t = wh_in_const(c, node, i);
		if (t == NULL || t->ndim != a->ndim)
			return wh_fold_fail(c, node, "Concat of mixed inputs%s",
			    "");
		total += t->dims[axis];
	}
	memcpy(dims, a->dims, a->ndim * sizeof *dims);
	dims[axis] = total;
	if ((o = wh_ctensor_new(c, node, a->dtype, a->ndim, dims)) == NULL)
		return NULL;
	for (i = 0; i < axis; i++)
		outer *= a->dims[i];
	for (i = 0; i < n->ninputs; i++) {
		const struct wh_tensor *t = wh_in_const(c, node, i);
		int64_t blk = t->count / (outer ? outer : 1);
		int64_t oblk = o->count / (outer ? outer : 1);

		for (int64_t p = 0; p < outer; p++)
			for (int64_t q = 0; q < blk; q++)
				wh_cset(o, p * oblk + off + q, wh_cget(t, p * blk +
				    q));
		off += blk;
	}
	return o;
}

/* a: (d) -> a[start:end], step 1 */
static struct wh_tensor *
fold_slice(struct wh_compiler *c, int node)
{
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_tensor *ts = wh_in_const(c, node, 1);
	const struct wh_tensor *te = wh_in_const(c, node, 2);
	const struct wh_tensor *tp = wh_in_const(c, node, 4);
	int64_t st, en, stp = 1, s, e, len;
	struct wh_tensor *o;
	size_t k;

	if (a->ndim != 1)
		return wh_fold_fail(c, node, "cannot fold this operator on "
		    "constants%s", "");
	if (ts == NULL || te == NULL || ts->count != 1 || te->count != 1)
		return wh_fold_fail(c, node, "unsupported Slice form%s", "");
	st = wh_cget_int(ts, 0);
	en = wh_cget_int(te, 0);
	if (tp != NULL && tp->count == 1)
		stp = wh_cget_int(tp, 0);
	if (stp != 1)
		return wh_fold_fail(c, node, "Slice with a step is not "
		    "supported%s", "");
	s = st < 0 ? st + a->dims[0] : st;
	e = en < 0 ? en + a->dims[0] : en;
	s = s < 0 ? 0 : s > a->dims[0] ? a->dims[0] : s;
	e = e < s ? s : e > a->dims[0] ? a->dims[0] : e;
	len = e - s;
	if ((o = wh_ctensor_new(c, node, a->dtype, 1, &len)) == NULL)
		return NULL;
	for (k = 0; k < (size_t)len; k++)
		wh_cset(o, k, wh_cget(a, s + k));
	return o;
}

/* Reshape (0 copies a dim, -1 infers one) and Flatten (def->arg) */
static struct wh_tensor *
fold_reshape(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_tensor *b = wh_in_const(c, node, 1);
	int64_t dims[WH_MAX_DIMS];
	struct wh_tensor *o;
	int nd, i;
	size_t k;

	if (c->def->arg == SH_FLATTEN) {
		int ax = flatten_axis(wh_node_attr_int(n, "axis", 1), a->ndim);
		int64_t p = 1;

		for (i = 0; i < ax; i++)
			p *= a->dims[i];
		dims[0] = p;
		dims[1] = p ? (int64_t)a->count / p : 0;
		nd = 2;
	} else {
		int64_t known = 1;
		int neg = -1;

		if (b == NULL || (nd = wh_ints_of(b, dims, WH_MAX_DIMS)) < 0)
			return wh_fold_fail(c, node, "bad Reshape shape%s", "");
		for (i = 0; i < nd; i++) {
			if (dims[i] == 0 && i < a->ndim)
				dims[i] = a->dims[i];
			if (dims[i] == -1)
				neg = i;
			else if (dims[i] < 0)
				return wh_fold_fail(c, node, "bad Reshape "
				    "shape%s", "");
			else if (wh_mul_i64(known, dims[i], &known) != 0)
				return wh_fold_fail(c, node, "the Reshape shape "
				    "is too large%s", "");
		}
		if (neg >= 0)
			dims[neg] = known ? (int64_t)a->count / known : 0;
	}
	if ((o = wh_ctensor_new(c, node, a->dtype, nd, dims)) == NULL)
		return NULL;
	if (o->count != a->count) {
		wh_ctensor_free(o);
		return wh_fold_fail(c, node, "Reshape changes the element "
		    "count%s", "");
	}
	for (k = 0; k < a->count; k++)
		wh_cset(o, k, wh_cget(a, k));
	return o;
}

/* shape a: (nd) int64 -> a tensor of those dims filled with value */
static struct wh_tensor *
fold_constant_of_shape(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_attr *v = wh_node_attr(n, "value");
	int64_t dims[WH_MAX_DIMS];
	struct wh_tensor *o;
	int nd;
	size_t k;

	if ((nd = wh_ints_of(a, dims, WH_MAX_DIMS)) < 0)
		return wh_fold_fail(c, node, "bad shape%s", "");
	if ((o = wh_ctensor_new(c, node, v && v->t && v->t->dtype == WH_INT64 ?
	    WH_INT64 : WH_FLOAT, nd, dims)) == NULL)
		return NULL;
	for (k = 0; k < o->count; k++)
		wh_cset(o, k, v && v->t && v->t->count ? wh_cget(v->t, 0) : 0);
	return o;
}

/*
 * Reshape, Flatten, Squeeze and Unsqueeze of an activation (def->arg):
 * x: (n, ...) -> the same values, other dims, the batch still first.
 */
static int
compile_reshape(struct wh_compiler *c, int node, int x)
{
	int kind = c->def->arg;
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tinfo *xt = &c->g->t[x];
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS], known = 1;
	int nin, nout, neg = -1, i;
	size_t total;

	wh_full_dims(c, xt, &nin, in);
	total = xt->ss * (c->nb ? WH_PROBE_N : 1);
	if (kind == SH_FLATTEN) {
		int ax = flatten_axis(wh_node_attr_int(n, "axis", 1), nin);

		if (ax < 0)
			return wh_fail(c, node, "bad axis%s", "");
		if (ax < c->nb)
			return wh_batch_fail(c, node, "Flatten must keep the "
			    "batch axis%s", "");
		out[0] = 1;
		for (i = 0; i < ax; i++)
			out[0] *= in[i];
		out[1] = (int64_t)total / out[0];
		nout = 2;
	} else if (kind == SH_RESHAPE) {
		const struct wh_tensor *s = wh_in_const(c, node, 1);
		int allowzero = (int)wh_node_attr_int(n, "allowzero", 0);

		if (s == NULL || (nout = wh_ints_of(s, out, WH_MAX_DIMS)) < 1)
			return wh_fail(c, node, "the target shape must be a constant "
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
					return wh_fail(c, node, "two -1 dims in "
					    "the target shape%s", "");
				neg = i;
			} else if (out[i] <= 0)
				return wh_fail(c, node, "bad target shape%s", "");
			else if (wh_mul_i64(known, out[i], &known) != 0)
				return wh_fail(c, node, "the target shape is too "
				    "large%s", "");
		}
		if (neg >= 0)
			out[neg] = known ? (int64_t)total / known : 0;
	} else {
		/* Squeeze / Unsqueeze on an activation */
		const struct wh_attr *aa = wh_node_attr(n, "axes");
		const struct wh_tensor *at = wh_in_const(c, node, 1);
		int64_t axes[WH_MAX_DIMS];
		int naxes = 0, mark[WH_MAX_DIMS] = { 0 }, src = 0, j;

		if (aa != NULL && aa->n <= WH_MAX_DIMS) {
			naxes = (int)aa->n;
			if (aa->n > 0)
				memcpy(axes, aa->ints, naxes * sizeof *axes);
		} else if (at != NULL)
			naxes = wh_ints_of(at, axes, WH_MAX_DIMS);
		if (naxes < 0)
			return wh_fail(c, node, "bad axes%s", "");
		if (kind == SH_UNSQUEEZE) {
			nout = nin + naxes;
			if (nout > WH_MAX_DIMS)
				return wh_fail(c, node, "too many dims%s", "");
			for (i = 0; i < naxes; i++) {
				int ax = wh_norm_axis(axes[i], nout);
				if (ax >= 0 && ax < c->nb)
					return wh_batch_fail(c, node, "an axis "
					    "before the batch%s", "");
				if (ax < 0 || mark[ax])
					return wh_fail(c, node, "bad or repeated "
					    "axis%s", "");
				mark[ax] = 1;
			}
			for (i = 0; i < nout; i++)
				out[i] = mark[i] ? 1 : in[src++];
		} else {
			nout = 0;
			for (i = 0; i < nin; i++) {
				int drop = naxes == 0 && in[i] == 1 &&
				    i >= c->nb;
				for (j = 0; j < naxes; j++)
					if (wh_norm_axis(axes[j], nin) == i)
						drop = 1;
				if (drop && i < c->nb)
					return wh_batch_fail(c, node, "cannot "
					    "squeeze the batch axis%s", "");
				if (!drop)
					out[nout++] = in[i];
			}
		}
	}
	{
		size_t cnt;

		if (wh_tensor_count(out, nout, &cnt) != 0 || cnt != total)
			return wh_fail(c, node, "the target shape does not hold the "
			    "input's elements%s", "");
	}
	if (c->nb > 0 && out[0] != WH_PROBE_N)
		return wh_batch_fail(c, node, "the result does not keep the "
		    "batch first%s", "");
	if (wh_alias_add(c, wh_out_name(c, node), x, nout, out) < 0)
		return wh_fail(c, node, "bad reshape%s", "");
	return 0;
}

/*
 * x: (n, ...) -> its dims permuted by perm (reversed without); compiled
 * batched, the perm keeps the batch first
 */
static int
compile_transpose(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_attr *p = wh_node_attr(n, "perm");
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS];
	struct wh_op *o;
	int nd, i, nb = c->nb;

	wh_full_dims(c, &c->g->t[x], &nd, in);
	if (p != NULL && (int)p->n != nd)
		return wh_fail(c, node, "bad permutation%s", "");
	if (nb > 0 && (p != NULL ? p->ints[0] != 0 : nd > 1))
		return wh_batch_fail(c, node, "the permutation must keep the "
		    "batch first%s", "");
	o = wh_op_add(c, OP_TRANSPOSE, node);
	o->in[0] = x;
	o->nin = 1;
	o->tnd = nd - nb;
	for (i = nb; i < nd; i++) {
		int64_t src = p ? p->ints[i] : nd - 1 - i;

		if (src < nb || src >= nd) {
			c->g->nops--;
			return wh_fail(c, node, "bad permutation%s", "");
		}
		o->tdims[i - nb] = in[i];
		o->tperm[i - nb] = (int)src - nb;
		out[i] = in[src];
	}
	if (nb > 0)
		out[0] = in[0];
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, out,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/*
 * x_i: (n, outer..., d_i, inner...) -> (n, outer..., sum d_i, inner...),
 * as ops of up to four inputs each, chained.  A constant input has the
 * activations' dims with a first dim of 1 or of the probe batch holding
 * the same values for every sample (ViT's expanded class token): it is
 * the same block for every sample.
 */
static int
compile_concat(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t d0[WH_MAX_DIMS], d[WH_MAX_DIMS], outer = 1;
	int nd, ndi, axis, i, j, ref = -1, prev = -1, used = 0, part = 0;

	(void)x;
	for (i = 0; i < n->ninputs && ref < 0; i++) {
		int t = wh_in_id(c, node, i);

		if (t >= 0 && !c->g->t[t].is_const)
			ref = t;
	}
	wh_full_dims(c, &c->g->t[ref], &nd, d0);
	axis = wh_norm_axis(wh_node_attr_int(n, "axis", 1), nd);
	if (axis < 0)
		return wh_fail(c, node, "bad axis%s", "");
	if (axis < c->nb)
		return wh_batch_fail(c, node, "Concat along the batch is not "
		    "supported%s", "");
	for (i = c->nb; i < axis; i++)
		outer *= d0[i];
	/* check every input first */
	for (i = 0; i < n->ninputs; i++) {
		int t = wh_in_id(c, node, i);
		const struct wh_tensor *k;
		size_t blk, s;

		if (t < 0)
			return wh_fail(c, node, "an unnamed input%s", "");
		wh_full_dims(c, &c->g->t[t], &ndi, d);
		if (ndi != nd)
			return wh_fail(c, node, "inputs differ in rank%s", "");
		for (j = c->nb; j < nd; j++)
			if (j != axis && d[j] != d0[j])
				return wh_fail(c, node, "inputs differ in "
				    "shape%s", "");
		if (!c->g->t[t].is_const)
			continue;
		k = c->g->t[t].cval;
		if (k->dtype != WH_FLOAT)
			return wh_fail(c, node, "a constant input must be "
			    "float%s", "");
		if (c->nb == 0)		/* one sample: it is that sample's */
			continue;
		if (d[0] != 1 && d[0] != WH_PROBE_N)
			return wh_fail(c, node, "a constant input must be float "
			    "with a first dim of 1 or the batch%s", "");
		blk = k->count / (size_t)d[0];
		for (s = 1; s < (size_t)d[0]; s++)
			if (memcmp(k->f, k->f + s * blk, blk * sizeof *k->f) != 0)
				return wh_fail(c, node, "a constant input differs "
				    "from sample to sample%s", "");
	}
	for (i = 0; i < n->ninputs; ) {
		struct wh_op *o = wh_op_add(c, OP_CONCAT, node);
		char name[64];
		const char *out;

		o->cat_outer = outer;
		o->nin = 0;
		d0[axis] = 0;
		if (prev >= 0) {
			o->in[o->nin] = prev;
			o->cat_block[o->nin++] = (int64_t)(c->g->t[prev].ss /
			    (size_t)outer);
			d0[axis] = used;
		}
		for (; i < n->ninputs && o->nin < 4; i++) {
			int t = wh_in_id(c, node, i);

			wh_full_dims(c, &c->g->t[t], &ndi, d);
			/* one sample's values over outer */
			o->cat_block[o->nin] = (c->g->t[t].is_const ?
			    (int64_t)(c->g->t[t].cval->count /
			    (size_t)(c->nb ? d[0] : 1)) :
			    (int64_t)c->g->t[t].ss) / outer;
			if (c->g->t[t].is_const)
				o->cat_const[o->nin] = c->g->t[t].cval->f;
			else
				o->in[o->nin] = t;
			o->nin++;
			d0[axis] += d[axis];
		}
		used = (int)d0[axis];
		if (i < n->ninputs) {
			snprintf(name, sizeof name, "%.40s:concat%d",
			    wh_out_name(c, node), part++);
			out = name;
		} else
			out = wh_out_name(c, node);
		if ((o->out = prev = wh_act_add(c, node, out, nd, d0,
		    c->g->nops - 1)) < 0)
			return -1;
	}
	return 0;
}

/*
 * The permutation (dims of x, the input axis each output axis takes) in
 * its fewest axes: dims of 1 dropped, and each run of input axes that
 * stays together in the output joined into one.  NCHW -> NHWC per sample
 * is then (C, H * W) -> (H * W, C), perm (1, 0).  Returns the axes left.
 */
static int
perm_reduce(int nd, const int64_t *dims, const int *perm, int64_t *rd,
    int *rp)
{
	int keep[WH_MAX_DIMS], newax[WH_MAX_DIMS], start[WH_MAX_DIMS];
	int64_t gdim[WH_MAX_DIMS];
	int p[WH_MAX_DIMS], i, j, np = 0, ng = 0;

	for (i = 0; i < nd; i++)
		keep[i] = dims[i] != 1;
	/* renumber the kept input axes */
	for (i = 0, j = 0; i < nd; i++)
		newax[i] = keep[i] ? j++ : -1;
	for (i = 0; i < nd; i++)
		if (keep[perm[i]])
			p[np++] = newax[perm[i]];
	/* groups in output order: input axes start[g] .. start[g] + len */
	for (i = 0; i < np; i++) {
		int64_t d = 1;

		for (j = 0; j < nd; j++)
			if (newax[j] == p[i])
				d = dims[j];
		if (ng > 0 && p[i] == p[i - 1] + 1) {
			gdim[ng - 1] *= d;
			continue;
		}
		start[ng] = p[i];
		gdim[ng++] = d;
	}
	/* the groups' input order: rank them by where they start */
	for (i = 0; i < ng; i++) {
		int rank = 0;

		for (j = 0; j < ng; j++)
			if (start[j] < start[i])
				rank++;
		rp[i] = rank;
		rd[rank] = gdim[i];
	}
	return ng;
}

/* x: (r, c) -> y: (c, r), rows [i0, ie) and columns [j0, je), one value
 * at a time */
static void
transpose_part(const float *x, float *y, int64_t r, int64_t c, int64_t i0,
    int64_t ie, int64_t j0, int64_t je)
{
	int64_t i, j;

	for (j = j0; j < je; j++)
		for (i = i0; i < ie; i++)
			y[j * r + i] = x[i * c + j];
}

/* x: (r, c) -> y: (c, r), in tiles that stay in the cache, each in 4 x 4
 * blocks of SSE shuffles (every x86-64 has SSE) */
static void
transpose2d(const float *x, float *y, int64_t r, int64_t c)
{
	enum { TILE = 16 };
	int64_t i0, j0;

	for (i0 = 0; i0 < r; i0 += TILE)
		for (j0 = 0; j0 < c; j0 += TILE) {
			int64_t ie = i0 + TILE < r ? i0 + TILE : r;
			int64_t je = j0 + TILE < c ? j0 + TILE : c;
			int64_t i4 = i0, j4 = j0;
#if defined(__SSE__)
			int64_t i, j;

			i4 = i0 + (ie - i0) / 4 * 4;
			j4 = j0 + (je - j0) / 4 * 4;
			for (i = i0; i < i4; i += 4)
				for (j = j0; j < j4; j += 4) {
					const float *p = x + i * c + j;
					float *q = y + j * r + i;
					__m128 a = _mm_loadu_ps(p);
					__m128 b = _mm_loadu_ps(p + c);
					__m128 d = _mm_loadu_ps(p + 2 * c);
					__m128 e = _mm_loadu_ps(p + 3 * c);

					_MM_TRANSPOSE4_PS(a, b, d, e);
					_mm_storeu_ps(q, a);
					_mm_storeu_ps(q + r, b);
					_mm_storeu_ps(q + 2 * r, d);
					_mm_storeu_ps(q + 3 * r, e);
				}
#endif
			/* what the blocks leave: the last columns, then the
			 * last rows */
			transpose_part(x, y, r, c, i0, ie, j4, je);
			transpose_part(x, y, r, c, i4, ie, j0, j4);
		}
}

/* x: (n, tdims) -> y: (n, tdims permuted by tperm) */
static void
run_transpose(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	size_t ss = g->t[o->out].ss;
	int64_t istr[WH_MAX_DIMS], odims[WH_MAX_DIMS], idx[WH_MAX_DIMS], st = 1;
	int64_t rd[WH_MAX_DIMS], b;
	int nd = o->tnd, i, rp[WH_MAX_DIMS], rn;
	size_t s, k;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	rn = perm_reduce(nd, o->tdims, o->tperm, rd, rp);
	if (rn <= 1) {
		memcpy(y, x, n * ss * sizeof *y);
		return;
	}
	if (rn == 2 || (rn == 3 && rp[0] == 0 && rp[1] == 2)) {
		/* (r, c) -> (c, r), or that for each of (b, r, c) */
		int64_t nb = rn == 3 ? rd[0] : 1;
		int64_t r = rd[rn - 2], c = rd[rn - 1];

		for (s = 0; s < n; s++)
			for (b = 0; b < nb; b++)
				transpose2d(x + s * ss + (size_t)(b * r * c),
				    y + s * ss + (size_t)(b * r * c), r, c);
		return;
	}
	if (rp[rn - 1] == rn - 1) {
		/* the last axis stays last (attention's (L, H, d) -> (H, L,
		 * d)): whole rows of it move */
		int64_t rstr[WH_MAX_DIMS], od[WH_MAX_DIMS], run = rd[rn - 1];

		for (i = rn - 1, st = 1; i >= 0; i--) {
			rstr[i] = st;
			st *= rd[i];
		}
		for (i = 0; i < rn; i++)
			od[i] = rd[rp[i]];
		for (s = 0; s < n; s++) {
			memset(idx, 0, sizeof idx);
			for (k = 0; k < ss; k += (size_t)run) {
				int64_t src = 0;

				for (i = 0; i < rn - 1; i++)
					src += idx[i] * rstr[rp[i]];
				memcpy(y + s * ss + k, x + s * ss + src,
				    (size_t)run * sizeof *y);
				for (i = rn - 2; i >= 0; i--) {
					if (++idx[i] < od[i])
						break;
					idx[i] = 0;
				}
			}
		}
		return;
	}
	for (i = nd - 1; i >= 0; i--) {
		istr[i] = st;
		st *= o->tdims[i];
	}
	for (i = 0; i < nd; i++)
		odims[i] = o->tdims[o->tperm[i]];
	for (s = 0; s < n; s++) {
		memset(idx, 0, sizeof idx);
		for (k = 0; k < ss; k++) {
			int64_t src = 0;

			for (i = 0; i < nd; i++)
				src += idx[i] * istr[o->tperm[i]];
			y[s * ss + k] = x[s * ss + src];
			for (i = nd - 1; i >= 0; i--) {
				if (++idx[i] < odims[i])
					break;
				idx[i] = 0;
			}
		}
	}
}

/*
 * Pad of an activation: x: (n, d1, ..., dk) -> (n, d1 + lo1 + hi1, ...),
 * pads (and the value and axes) as inputs from opset 11, as attributes
 * before; mode constant, reflect or edge; the batch is never padded.
 */
static int
compile_pad(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *tp = wh_in_const(c, node, 1);
	const struct wh_tensor *tv = wh_in_const(c, node, 2);
	const struct wh_tensor *ta = wh_in_const(c, node, 3);
	const struct wh_attr *a;
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS], pads[2 * WH_MAX_DIMS];
	int64_t axes[WH_MAX_DIMS], lo[WH_MAX_DIMS] = { 0 }, hi[WH_MAX_DIMS] = { 0 };
	int nd, np, naxes, i, mode = 0;
	struct wh_op *o;

	wh_full_dims(c, &c->g->t[x], &nd, in);
	if (wh_in_id(c, node, 1) >= 0) {
		if (tp == NULL)
			return wh_fail(c, node, "the pads must be a constant%s",
			    "");
		np = wh_ints_of(tp, pads, 2 * WH_MAX_DIMS);
	} else if ((a = wh_node_attr(n, "pads")) != NULL &&
	    a->n <= 2 * WH_MAX_DIMS) {
		np = (int)a->n;
		if (a->n > 0)
			memcpy(pads, a->ints, a->n * sizeof *pads);
	} else
		np = -1;
	naxes = nd;
	for (i = 0; i < nd; i++)
		axes[i] = i;
	if (wh_in_id(c, node, 3) >= 0) {
		if (ta == NULL || (naxes = wh_ints_of(ta, axes, WH_MAX_DIMS)) < 0)
			return wh_fail(c, node, "the axes must be a constant "
			    "list%s", "");
	}
	if (np != 2 * naxes)
		return wh_fail(c, node, "the pads must hold two values per "
		    "axis%s", "");
	for (i = 0; i < naxes; i++) {
		int ax = wh_norm_axis(axes[i], nd);

		if (ax < 0)
			return wh_fail(c, node, "bad axis%s", "");
		lo[ax] = pads[i];
		hi[ax] = pads[naxes + i];
	}
	if (c->nb > 0 && (lo[0] != 0 || hi[0] != 0))
		return wh_batch_fail(c, node, "padding the batch axis is not "
		    "supported%s", "");
	for (i = 0; i < nd; i++) {
		if (lo[i] < -WH_MAX_ELEMS || lo[i] > WH_MAX_ELEMS ||
		    hi[i] < -WH_MAX_ELEMS || hi[i] > WH_MAX_ELEMS)
			return wh_fail(c, node, "pads larger than whittle's "
			    "limit of %s", WH_MAX_ELEMS_STR);
		out[i] = in[i] + lo[i] + hi[i];
		if (out[i] < 0)
			return wh_fail(c, node, "the pads crop more than the "
			    "input holds%s", "");
	}
	if ((a = wh_node_attr(n, "mode")) != NULL && a->s != NULL) {
		if (strcmp(a->s, "reflect") == 0)
			mode = 1;
		else if (strcmp(a->s, "edge") == 0)
			mode = 2;
		else if (strcmp(a->s, "constant") != 0)
			return wh_fail(c, node, "mode %s is not supported",
			    WH_QNAME(a->s));
	}
	for (i = c->nb; i < nd && mode != 0; i++)
		if (in[i] == 0 && out[i] > 0)
			return wh_fail(c, node, "reflect or edge padding of an "
			    "empty axis%s", "");
	o = wh_op_add(c, OP_PAD, node);
	o->in[0] = x;
	o->nin = 1;
	o->tnd = nd - c->nb;
	for (i = c->nb; i < nd; i++) {
		o->tdims[i - c->nb] = in[i];
		o->pad_odims[i - c->nb] = out[i];
		o->pad_lo[i - c->nb] = lo[i];
	}
	o->pad_mode = mode;
	o->pad_value = tv != NULL && tv->count > 0 ? (float)wh_cget(tv, 0) :
	    wh_node_attr_float(n, "value", 0);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, out,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* The source index along an axis of size d for padded position i - lo;
 * -1 for the constant. */
static int64_t
pad_src(int64_t i, int64_t d, int mode)
{
	int64_t period;

	if (i >= 0 && i < d)
		return i;
	if (mode == 0)
		return -1;
	if (mode == 2 || d == 1)
		return i < 0 ? 0 : d - 1;
	/* reflect, without repeating the edge: period 2 (d - 1) */
	period = 2 * (d - 1);
	i %= period;
	if (i < 0)
		i += period;
	return i < d ? i : period - i;
}

/* x: (n, tdims) -> y: (n, pad_odims) */
static void
run_pad(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	size_t iss = g->t[o->in[0]].ss, oss = g->t[o->out].ss, s, k;
	int64_t idx[WH_MAX_DIMS], istr[WH_MAX_DIMS], st = 1;
	int nd = o->tnd, i;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (i = nd - 1; i >= 0; i--) {
		istr[i] = st;
		st *= o->tdims[i];
	}
	for (s = 0; s < n; s++) {
		memset(idx, 0, sizeof idx);
		for (k = 0; k < oss; k++) {
			int64_t src = 0, j;

			for (i = 0; i < nd && src >= 0; i++) {
				j = pad_src(idx[i] - o->pad_lo[i], o->tdims[i],
				    o->pad_mode);
				src = j < 0 ? -1 : src + j * istr[i];
			}
			y[s * oss + k] = src < 0 ? o->pad_value :
			    x[s * iss + (size_t)src];
			for (i = nd - 1; i >= 0; i--) {
				if (++idx[i] < o->pad_odims[i])
					break;
				idx[i] = 0;
			}
		}
	}
}

/*
 * Slice of an activation: x: (n, ...) -> along each listed axis the
 * indices start, start + step, ... before end (clamped as ONNX does);
 * the batch axis, if listed, must be taken whole.
 */
static int
compile_slice(struct wh_compiler *c, int node, int x)
{
	const struct wh_tensor *ts = wh_in_const(c, node, 1);
	const struct wh_tensor *te = wh_in_const(c, node, 2);
	const struct wh_tensor *ta = wh_in_const(c, node, 3);
	const struct wh_tensor *tp = wh_in_const(c, node, 4);
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS], st[WH_MAX_DIMS];
	int64_t en[WH_MAX_DIMS], ax[WH_MAX_DIMS], sp[WH_MAX_DIMS];
	int64_t start[WH_MAX_DIMS], step[WH_MAX_DIMS];
	int nd, ns, i;
	struct wh_op *o;

	wh_full_dims(c, &c->g->t[x], &nd, in);
	if (ts == NULL || te == NULL || (wh_in_id(c, node, 3) >= 0 &&
	    ta == NULL) || (wh_in_id(c, node, 4) >= 0 && tp == NULL))
		return wh_fail(c, node, "starts, ends, axes and steps must be "
		    "constants%s", "");
	ns = wh_ints_of(ts, st, WH_MAX_DIMS);
	if (ns < 0 || wh_ints_of(te, en, WH_MAX_DIMS) != ns ||
	    (ta != NULL && wh_ints_of(ta, ax, WH_MAX_DIMS) != ns) ||
	    (tp != NULL && wh_ints_of(tp, sp, WH_MAX_DIMS) != ns))
		return wh_fail(c, node, "starts, ends, axes and steps differ in "
		    "length%s", "");
	for (i = 0; i < nd; i++) {
		start[i] = 0;
		step[i] = 1;
		out[i] = in[i];
	}
	for (i = 0; i < ns; i++) {
		int a = wh_norm_axis(ta != NULL ? ax[i] : i, nd);
		int64_t d, s, e, p = tp != NULL ? sp[i] : 1;

		if (a < 0 || p == 0)
			return wh_fail(c, node, "bad axis or step%s", "");
		d = in[a];
		s = st[i] < 0 ? st[i] + d : st[i];
		e = en[i] < 0 ? (en[i] < -d ? -1 : en[i] + d) : en[i];
		if (p > 0) {
			s = s < 0 ? 0 : s > d ? d : s;
			e = e < 0 ? 0 : e > d ? d : e;
			out[a] = e > s ? (e - s + p - 1) / p : 0;
		} else {
			s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
			e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
			out[a] = s > e ? (s - e - p - 1) / -p : 0;
		}
		if (a < c->nb && (s != 0 || p != 1 || out[0] != d))
			return wh_batch_fail(c, node, "slicing the batch axis "
			    "is not supported%s", "");
		start[a] = s;
		step[a] = p;
	}
	o = wh_op_add(c, OP_SLICE, node);
	o->in[0] = x;
	o->nin = 1;
	o->tnd = nd - c->nb;
	for (i = c->nb; i < nd; i++) {
		o->tdims[i - c->nb] = in[i];
		o->pad_odims[i - c->nb] = out[i];
		o->sl_start[i - c->nb] = start[i];
		o->sl_step[i - c->nb] = step[i];
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, out,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/*
 * x: (n, tdims) -> y: (n, pad_odims), y[j] = x[sl_start + j * sl_step].
 * The trailing dims taken whole, and before them one taken with step 1,
 * are one contiguous run, copied at once (a channel split copies whole
 * planes); the dims before it are walked.
 */
static void
run_slice(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t iss = g->t[o->in[0]].ss, oss = g->t[o->out].ss, s, k, run = 1;
	int64_t idx[WH_MAX_DIMS], istr[WH_MAX_DIMS], st = 1, base = 0;
	int nd = o->tnd, i, outer;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (i = nd - 1; i >= 0; i--) {
		istr[i] = st;
		st *= o->tdims[i];
	}
	for (outer = nd; outer > 0 && o->sl_start[outer - 1] == 0 &&
	    o->sl_step[outer - 1] == 1 &&
	    o->pad_odims[outer - 1] == o->tdims[outer - 1]; outer--)
		run *= (size_t)o->tdims[outer - 1];
	if (outer > 0 && o->sl_step[outer - 1] == 1) {
		outer--;
		run *= (size_t)o->pad_odims[outer];
		base = o->sl_start[outer] * istr[outer];
	}
	if (run == 0)
		return;
	for (s = 0; s < n; s++) {
		const float *xs = buf[o->in[0]] + s * iss + base;
		float *ys = buf[o->out] + s * oss;

		memset(idx, 0, sizeof idx);
		for (k = 0; k < oss; k += run) {
			int64_t src = 0;

			for (i = 0; i < outer; i++)
				src += (o->sl_start[i] + idx[i] * o->sl_step[i]) *
				    istr[i];
			if (run == 1)
				ys[k] = xs[src];
			else
				memcpy(ys + k, xs + src, run * sizeof *ys);
			for (i = outer - 1; i >= 0; i--) {
				if (++idx[i] < o->pad_odims[i])
					break;
				idx[i] = 0;
			}
		}
	}
}

/*
 * Gather along an axis of an activation with constant indices:
 * x: (n, outer..., d, inner...) -> (n, outer..., indices..., inner...)
 */
static int
compile_gather(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *ti = wh_in_const(c, node, 1);
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS], outer = 1, inner = 1;
	int nd, axis, nout = 0, i;
	size_t k;
	struct wh_op *o;

	wh_full_dims(c, &c->g->t[x], &nd, in);
	axis = wh_norm_axis(wh_node_attr_int(n, "axis", 0), nd);
	if (ti == NULL)
		return wh_fail(c, node, "the indices must be a constant%s", "");
	if (axis < 0)
		return wh_fail(c, node, "bad axis%s", "");
	if (axis < c->nb)
		return wh_batch_fail(c, node, "gathering along the batch axis "
		    "is not supported%s", "");
	if (nd - 1 + ti->ndim > WH_MAX_DIMS)
		return wh_fail(c, node, "too many dims%s", "");
	for (k = 0; k < ti->count; k++) {
		int64_t ix = wh_cget_int(ti, k);

		if (ix < -in[axis] || ix >= in[axis])
			return wh_fail(c, node, "Gather index out of range%s", "");
	}
	for (i = 0; i < axis; i++) {
		out[nout++] = in[i];
		if (i >= c->nb)
			outer *= in[i];
	}
	for (i = 0; i < ti->ndim; i++)
		out[nout++] = ti->dims[i];
	for (i = axis + 1; i < nd; i++) {
		out[nout++] = in[i];
		inner *= in[i];
	}
	o = wh_op_add(c, OP_GATHER, node);
	o->in[0] = x;
	o->nin = 1;
	o->ga_idx = ti->dtype == WH_INT64 ? ti->i : NULL;
	o->ga_fidx = ti->dtype == WH_FLOAT ? ti->f : NULL;
	o->ga_nidx = (int64_t)ti->count;
	o->ga_outer = outer;
	o->ga_axis = in[axis];
	o->ga_inner = inner;
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nout, out,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* x: (n, outer, axis, inner) -> y: (n, outer, nidx, inner) */
static void
run_gather(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t iss = g->t[o->in[0]].ss, oss = g->t[o->out].ss, s;
	size_t blk = (size_t)o->ga_inner;
	int64_t p, k;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (s = 0; s < n; s++)
		for (p = 0; p < o->ga_outer; p++)
			for (k = 0; k < o->ga_nidx; k++) {
				int64_t ix = o->ga_idx != NULL ? o->ga_idx[k] :
				    (int64_t)o->ga_fidx[k];

				if (ix < 0)
					ix += o->ga_axis;
				memcpy(buf[o->out] + s * oss + (size_t)(p *
				    o->ga_nidx + k) * blk, buf[o->in[0]] + s *
				    iss + (size_t)(p * o->ga_axis + ix) * blk,
				    blk * sizeof(float));
			}
}

/* ys: per sample, for each outer index, each input's block in turn */
static void
run_concat(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t ss = g->t[o->out].ss, s;
	int64_t i;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (s = 0; s < n; s++) {
		float *ys = buf[o->out] + s * ss;

		for (i = 0; i < o->cat_outer; i++) {
			int j;

			for (j = 0; j < o->nin; j++) {
				size_t blk = (size_t)o->cat_block[j];

				memcpy(ys, o->cat_const[j] != NULL ?
				    o->cat_const[j] + i * blk : buf[o->in[j]] +
				    s * g->t[o->in[j]].ss + i * blk,
				    blk * sizeof *ys);
				ys += blk;
			}
		}
	}
}

/*
 * Split sizes along a dim of d into nout parts: the split attribute
 * (before opset 13) or input 1, else num_outputs (18 on) or the outputs'
 * count, in equal parts (the last smaller at 18).  0, or -1 with the
 * message.
 */
static int
split_sizes(struct wh_compiler *c, int node, int64_t d, int nout,
    int64_t *sizes)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_attr *a = wh_node_attr(n, "split");
	int64_t sum = 0, part;
	int k, cnt = -1;

	if (c->def->arg == 0 && a != NULL) {
		if (a->n != (size_t)nout)
			return wh_fail(c, node, "split lists a size per output%s",
			    "");
		if (a->n > 0)
			memcpy(sizes, a->ints, nout * sizeof *sizes);
		cnt = nout;
	} else if (c->def->arg != 0 && wh_in_id(c, node, 1) >= 0) {
		const struct wh_tensor *t = wh_in_const(c, node, 1);

		if (t == NULL || t->count != (size_t)nout)
			return wh_fail(c, node, "split must be a constant with a "
			    "size per output%s", "");
		for (k = 0; k < nout; k++)
			sizes[k] = wh_cget_int(t, (size_t)k);
		cnt = nout;
	}
	if (cnt < 0) {
		int64_t parts = nout;

		if (c->def->arg == 18) {
			parts = wh_node_attr_int(n, "num_outputs", -1);
			if (parts != nout)
				return wh_fail(c, node, "num_outputs must equal "
				    "the outputs' count%s", "");
			part = (d + parts - 1) / parts;
		} else {
			if (d % parts != 0)
				return wh_fail(c, node, "the dim does not split "
				    "into equal parts%s", "");
			part = d / parts;
		}
		for (k = 0; k < nout; k++) {
			sizes[k] = d - sum < part ? d - sum : part;
			sum += sizes[k];
		}
		sum = 0;
	}
	for (k = 0; k < nout; k++)
		if (sizes[k] < 0 || wh_add_i64(sum, sizes[k], &sum) != 0)
			return wh_fail(c, node, "a negative split%s", "");
	if (sum != d)
		return wh_fail(c, node, "the split sizes do not add up to the "
		    "dim%s", "");
	return 0;
}

/* a: (outer..., d, inner...) -> (outer..., sizes[k], inner...) each, the
 * first the result and the rest added as constants of their own */
static struct wh_tensor *
fold_split(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	int axis = wh_norm_axis(wh_node_attr_int(n, "axis", 0), a->ndim);
	int64_t sizes[64], dims[WH_MAX_DIMS], outer = 1, inner = 1, off = 0;
	int64_t p, q;
	struct wh_tensor *first = NULL;
	int k, i;

	if (axis < 0 || n->noutputs > 64)
		return wh_fold_fail(c, node, "bad axis or too many outputs%s",
		    "");
	if (split_sizes(c, node, a->dims[axis], n->noutputs, sizes) != 0)
		return NULL;
	for (i = 0; i < axis; i++)
		outer *= a->dims[i];
	for (i = axis + 1; i < a->ndim; i++)
		inner *= a->dims[i];
	memcpy(dims, a->dims, a->ndim * sizeof *dims);
	for (k = 0; k < n->noutputs; k++) {
		struct wh_tensor *t;

		dims[axis] = sizes[k];
		if ((t = wh_ctensor_new(c, node, a->dtype, a->ndim, dims)) ==
		    NULL)
			return NULL;	/* the earlier ones belong to the graph */
		for (p = 0; p < outer; p++)
			for (q = 0; q < sizes[k] * inner; q++)
				wh_cset(t, (size_t)(p * sizes[k] * inner + q),
				    wh_cget(a, (size_t)((p * a->dims[axis] +
				    off) * inner + q)));
		off += sizes[k];
		if (k == 0)
			first = t;
		else if (n->outputs[k][0] != '\0')
			wh_const_add(c, n->outputs[k], t, 1);
		else
			wh_ctensor_free(t);
	}
	return first;
}

/* x: (n, ..., d, ...) -> one slice op per output: (n, ..., sizes[k], ...) */
static int
compile_split(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS], sizes[64], off = 0;
	int nd, axis, k, i;

	wh_full_dims(c, &c->g->t[x], &nd, in);
	axis = wh_norm_axis(wh_node_attr_int(n, "axis", 0), nd);
	if (axis < 0)
		return wh_fail(c, node, "bad axis%s", "");
	if (axis < c->nb)
		return wh_batch_fail(c, node, "splitting the batch axis is not "
		    "supported%s", "");
	if (n->noutputs > 64)
		return wh_fail(c, node, "more than 64 outputs%s", "");
	if (split_sizes(c, node, in[axis], n->noutputs, sizes) != 0)
		return -1;
	for (k = 0; k < n->noutputs; k++) {
		struct wh_op *o;

		if (n->outputs[k][0] == '\0') {
			off += sizes[k];
			continue;
		}
		o = wh_op_add(c, OP_SLICE, node);
		o->in[0] = x;
		o->nin = 1;
		o->tnd = nd - c->nb;
		memcpy(out, in, nd * sizeof *out);
		out[axis] = sizes[k];
		for (i = c->nb; i < nd; i++) {
			o->tdims[i - c->nb] = in[i];
			o->pad_odims[i - c->nb] = out[i];
			o->sl_start[i - c->nb] = i == axis ? off : 0;
			o->sl_step[i - c->nb] = 1;
		}
		off += sizes[k];
		if ((o->out = wh_act_add(c, node, n->outputs[k], nd, out,
		    c->g->nops - 1)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Expand (def->arg 0) to a shape, numpy-broadcast, and Tile (1) by
 * repeats: both y[i] = x[i mod xd] over dims (nd, xd of x aligned right
 * to y's od).  0, or -1 with the message.
 */
static int
tile_shape(struct wh_compiler *c, int node, int xn, const int64_t *xd,
    int64_t *id, int *ond, int64_t *od)
{
	const struct wh_tensor *t = wh_in_const(c, node, 1);
	int64_t v[WH_MAX_DIMS];
	int nv, i;

	if (t == NULL || (nv = wh_ints_of(t, v, WH_MAX_DIMS)) < 0)
		return wh_fail(c, node, "the shape or repeats must be a constant "
		    "list%s", "");
	if (c->def->arg == 1) {
		if (nv != xn)
			return wh_fail(c, node, "repeats must have one value per "
			    "dim%s", "");
		for (i = 0; i < xn; i++)
			if (v[i] < 0 || wh_mul_i64(xd[i], v[i], &od[i]) != 0)
				return wh_fail(c, node, "bad repeats%s", "");
		*ond = xn;
		memcpy(id, xd, xn * sizeof *id);
		return 0;
	}
	if (wh_broadcast(xn, xd, nv, v, ond, od) != 0)
		return wh_fail(c, node, "the input does not broadcast to the "
		    "shape%s", "");
	for (i = 0; i < *ond; i++)
		id[i] = i < *ond - xn ? 1 : xd[i - (*ond - xn)];
	return 0;
}

/* the source index in x (dims id) of y's index k (dims od) */
static int64_t
tile_src(int nd, const int64_t *id, const int64_t *od, int64_t k)
{
	int64_t src = 0, st = 1;
	int i;

	for (i = nd - 1; i >= 0; i--) {
		src += (k % od[i]) % id[i] * st;
		st *= id[i];
		k /= od[i];
	}
	return src;
}

static struct wh_tensor *
fold_tile(struct wh_compiler *c, int node)
{
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	int64_t id[WH_MAX_DIMS], od[WH_MAX_DIMS];
	struct wh_tensor *y;
	int nd;
	size_t k;

	if (tile_shape(c, node, a->ndim, a->dims, id, &nd, od) != 0)
		return NULL;
	if ((y = wh_ctensor_new(c, node, a->dtype, nd, od)) == NULL)
		return NULL;
	for (k = 0; k < y->count; k++)
		wh_cset(y, k, wh_cget(a, (size_t)tile_src(nd, id, od,
		    (int64_t)k)));
	return y;
}

/* x: (n, ...) -> (n, ...) expanded or tiled, never along the batch */
static int
compile_tile(struct wh_compiler *c, int node, int x)
{
	int64_t in[WH_MAX_DIMS], id[WH_MAX_DIMS], od[WH_MAX_DIMS];
	int nd, ond, i;
	struct wh_op *o;

	wh_full_dims(c, &c->g->t[x], &nd, in);
	if (tile_shape(c, node, nd, in, id, &ond, od) != 0)
		return -1;
	if (c->nb > 0 && (ond != nd || od[0] != in[0]))
		return wh_batch_fail(c, node, "%s the batch axis is not "
		    "supported", c->def->arg == 1 ? "tiling" : "expanding");
	o = wh_op_add(c, OP_SLICE, node);
	o->in[0] = x;
	o->nin = 1;
	o->tnd = ond - c->nb;
	for (i = c->nb; i < ond; i++) {
		o->tdims[i - c->nb] = id[i];
		o->pad_odims[i - c->nb] = od[i];
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), ond, od,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* a: (d0, ..., dk) -> its axes permuted by perm (reversed without) */
static struct wh_tensor *
fold_transpose(struct wh_compiler *c, int node)
{
	const struct wh_attr *p = wh_node_attr(&c->m->nodes[node], "perm");
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	int64_t dims[WH_MAX_DIMS], str[WH_MAX_DIMS], idx[WH_MAX_DIMS] = { 0 };
	int perm[WH_MAX_DIMS], seen[WH_MAX_DIMS] = { 0 }, nd = a->ndim, i;
	struct wh_tensor *y;
	int64_t st = 1;
	size_t k;

	if (p != NULL && (int)p->n != nd)
		return wh_fold_fail(c, node, "perm must list every axis%s", "");
	for (i = 0; i < nd; i++) {
		int64_t v = p != NULL ? p->ints[i] : nd - 1 - i;

		if (v < 0 || v >= nd || seen[v]++)
			return wh_fold_fail(c, node, "bad permutation%s", "");
		perm[i] = (int)v;
	}
	for (i = nd - 1; i >= 0; i--) {
		str[i] = st;
		st *= a->dims[i];
	}
	for (i = 0; i < nd; i++)
		dims[i] = a->dims[perm[i]];
	if ((y = wh_ctensor_new(c, node, a->dtype, nd, dims)) == NULL)
		return NULL;
	for (k = 0; k < y->count; k++) {
		int64_t src = 0;

		for (i = 0; i < nd; i++)
			src += idx[i] * str[perm[i]];
		wh_cset(y, k, wh_cget(a, (size_t)src));
		for (i = nd - 1; i >= 0; i--) {
			if (++idx[i] < dims[i])
				break;
			idx[i] = 0;
		}
	}
	return y;
}

/* x: (n, tdims) -> y: (n, pad_odims), y[i] = x[i mod tdims] */
static void
run_tile(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t iss = g->t[o->in[0]].ss, oss = g->t[o->out].ss, s, k;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (s = 0; s < n; s++)
		for (k = 0; k < oss; k++)
			buf[o->out][s * oss + k] = buf[o->in[0]][s * iss +
			    tile_src(o->tnd, o->tdims, o->pad_odims,
			    (int64_t)k)];
}

static const struct wh_kernel kernel_transpose = { "transpose",
    run_transpose, NULL, NULL };
const struct wh_kernel wh_kernel_concat = { "concat", run_concat, NULL,
    NULL };
static const struct wh_kernel kernel_pad = { "pad", run_pad, NULL, NULL };
static const struct wh_kernel kernel_slice = { "slice", run_slice, NULL,
    NULL };
static const struct wh_kernel kernel_gather = { "gather", run_gather, NULL,
    NULL };
static const struct wh_kernel kernel_tile = { "tile", run_tile, NULL, NULL };

const struct wh_opdef wh_def_cast = {
	"Cast", 1, 0, 1, 1, 1, 1, fold_cast, compile_cast, NULL, 0
};
const struct wh_opdef wh_def_concat = {
	"Concat", 1, 0, 1, WH_ANY, 1, 1, fold_concat, compile_concat,
	&wh_kernel_concat, 0
};
const struct wh_opdef wh_def_constant = {
	"Constant", 1, 0, 0, 0, 1, 1, fold_constant, NULL, NULL, 0
};
const struct wh_opdef wh_def_constantofshape = {
	"ConstantOfShape", 9, 0, 1, 1, 1, 1, fold_constant_of_shape, NULL, NULL,
	0
};
/* inference: the mask output is refused by nothing but never written */
const struct wh_opdef wh_def_dropout = {
	"Dropout", 1, 0, 1, 3, 1, 2, fold_dropout, compile_dropout, NULL, 0
};
const struct wh_opdef wh_def_expand = {
	"Expand", 8, 0, 2, 2, 1, 1, fold_tile, compile_tile, &kernel_tile, 0
};
const struct wh_opdef wh_def_flatten = {
	"Flatten", 1, 0, 1, 1, 1, 1, fold_reshape, compile_reshape, NULL,
	SH_FLATTEN
};
const struct wh_opdef wh_def_gather = {
	"Gather", 1, 0, 2, 2, 1, 1, fold_gather, compile_gather,
	&kernel_gather, 0
};
const struct wh_opdef wh_def_identity = {
	"Identity", 1, 0, 1, 1, 1, 1, fold_identity, compile_identity, NULL, 0
};
/* pads and value as attributes before opset 11, inputs after; axes from
 * opset 18 */
const struct wh_opdef wh_def_pad = {
	"Pad", 2, 0, 1, 4, 1, 1, NULL, compile_pad, &kernel_pad, 0
};
const struct wh_opdef wh_def_range = {
	"Range", 11, 0, 3, 3, 1, 1, fold_range, NULL, NULL, 0
};
/* the shape as an input: opset 5 on */
const struct wh_opdef wh_def_reshape = {
	"Reshape", 5, 0, 2, 2, 1, 1, fold_reshape, compile_reshape, NULL,
	SH_RESHAPE
};
const struct wh_opdef wh_def_shape = {
	"Shape", 1, 0, 1, 1, 1, 1, fold_shape, compile_shape, NULL, 0
};
const struct wh_opdef wh_def_size = {
	"Size", 1, 0, 1, 1, 1, 1, fold_size, NULL, NULL, 0
};
/* starts, ends (and axes, steps) as inputs: opset 10 on */
const struct wh_opdef wh_def_slice = {
	"Slice", 10, 0, 3, 5, 1, 1, fold_slice, compile_slice, &kernel_slice,
	0
};
/* split as an attribute before opset 13, an input from 13, or
 * num_outputs from 18 (def->arg: 0, 13, 18) */
const struct wh_opdef wh_def_split_2 = {
	"Split", 2, 12, 1, 1, 1, 64, fold_split, compile_split, &kernel_slice,
	0
};
const struct wh_opdef wh_def_split_13 = {
	"Split", 13, 17, 1, 2, 1, 64, fold_split, compile_split, &kernel_slice,
	13
};
const struct wh_opdef wh_def_split_18 = {
	"Split", 18, 0, 1, 2, 1, 64, fold_split, compile_split, &kernel_slice,
	18
};
const struct wh_opdef wh_def_squeeze = {
	"Squeeze", 1, 0, 1, 2, 1, 1, fold_squeeze, compile_reshape, NULL,
	SH_SQUEEZE
};
/* repeats as an input: opset 6 on */
const struct wh_opdef wh_def_tile = {
	"Tile", 6, 0, 2, 2, 1, 1, fold_tile, compile_tile, &kernel_tile, 1
};
const struct wh_opdef wh_def_transpose = {
	"Transpose", 1, 0, 1, 1, 1, 1, fold_transpose, compile_transpose,
	&kernel_transpose, 0
};
const struct wh_opdef wh_def_unsqueeze = {
	"Unsqueeze", 1, 0, 1, 2, 1, 1, fold_squeeze, compile_reshape, NULL,
	SH_UNSQUEEZE
};
