/* op-conv.c - Conv: 2-D convolution, grouped and depthwise included, with
 * the fused bias, BatchNormalization and Relu; the geometry it shares with
 * the pools */
#include <string.h>

#include <cblas.h>

#include "op.h"
#include "whittle/util.h"

/*
 * im2col for one sample and one group.
 * x: (c, h, w) -> cols: (c * kh * kw, oh * ow), zero where the window
 * reaches into the padding.
 */
static void
im2col(const float *x, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
    int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pt, int64_t pl,
    int64_t oh, int64_t ow, float *cols)
{
	int64_t ci, ky, kx, oy, ox;

	for (ci = 0; ci < c; ci++)
		for (ky = 0; ky < kh; ky++)
			for (kx = 0; kx < kw; kx++) {
				float *dst = cols + ((ci * kh + ky) * kw + kx) * oh * ow;

				for (oy = 0; oy < oh; oy++) {
					int64_t iy = oy * sh + ky * dh - pt;
					const float *row = x + (ci * h + iy) * w;
					float *d = dst + oy * ow;

					if (iy < 0 || iy >= h) {
						memset(d, 0, ow * sizeof *d);
						continue;
					}
					if (sw == 1) {
						/* contiguous run, zero at the edges */
						int64_t off = kx * dw - pl;
						int64_t lo = off < 0 ? -off : 0;
						int64_t hi = w - off < ow ? w - off : ow;

						if (hi < lo)
							hi = lo;
						for (ox = 0; ox < lo; ox++)
							d[ox] = 0;
						if (hi > lo)
							memcpy(d + lo, row + lo + off,
							    (hi - lo) * sizeof *d);
						for (ox = hi; ox < ow; ox++)
							d[ox] = 0;
						continue;
					}
					for (ox = 0; ox < ow; ox++) {
						int64_t ix = ox * sw + kx * dw - pl;

						d[ox] = ix >= 0 && ix < w ? row[ix] : 0;
					}
				}
			}
}

static inline float
relu(float v)
{
	return v > 0.0f ? v : 0.0f;	/* maxss: branch-free, no libm call */
}

/* Bias, then the fused BatchNormalization and Relu, on y: (ch, inner). */
static void
epilogue_rows(const struct wh_op *o, const float *bias, float *y, int64_t ch,
    int64_t inner)
{
	int64_t c, i;

	for (c = 0; c < ch; c++) {
		float b = bias ? bias[c] : 0;
		float *r = y + c * inner;

		if (o->ep_scale) {
			float s = o->ep_scale[c], t = o->ep_shift[c];

			for (i = 0; i < inner; i++)
				r[i] = (r[i] + b) * s + t;
			if (o->ep_relu)
				for (i = 0; i < inner; i++)
					r[i] = relu(r[i]);
		} else if (o->ep_relu) {
			for (i = 0; i < inner; i++)
				r[i] = relu(r[i] + b);
		} else if (bias) {
			for (i = 0; i < inner; i++)
				r[i] += b;
		}
	}
}

/* Direct convolution for grouped (e.g. depthwise) layers.
 * x: (c, h, w), w: (oc, c / group, kh, kw), y: (oc, oh, ow) */
static void
conv_direct(const struct wh_op *o, const float *x, const float *w, float *y)
{
	int64_t cg = o->c / o->group, og = o->oc / o->group;
	int64_t oc, ci, ky, kx, oy, ox;

	for (oc = 0; oc < o->oc; oc++) {
		int64_t gbase = (oc / og) * cg;
		float *yo = y + oc * o->oh * o->ow;

		memset(yo, 0, o->oh * o->ow * sizeof *yo);
		for (ci = 0; ci < cg; ci++) {
			const float *xc = x + (gbase + ci) * o->h * o->w;

			for (ky = 0; ky < o->kh; ky++)
				for (kx = 0; kx < o->kw; kx++) {
					float wv = w[((oc * cg + ci) * o->kh + ky) *
					    o->kw + kx];

					for (oy = 0; oy < o->oh; oy++) {
						int64_t iy = oy * o->sh + ky * o->dh - o->pt;

						if (iy < 0 || iy >= o->h)
							continue;
						for (ox = 0; ox < o->ow; ox++) {
							int64_t ix = ox * o->sw +
							    kx * o->dw - o->pl;

							if (ix >= 0 && ix < o->w)
								yo[oy * o->ow + ox] +=
								    wv * xc[iy * o->w + ix];
						}
					}
				}
		}
	}
}

static void
run_conv(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, const float *x,
    float *y, size_t n, float *scratch, const struct wh_op *pool)
{
	const struct wh_layer *l = &g->layers[o->layer];
	int64_t in_ss = o->c * o->h * o->w, out_ss = o->oc * o->oh * o->ow;
	int64_t p = o->oh * o->ow, k = l->in;
	int pointwise = o->kh == 1 && o->kw == 1 && o->sh == 1 && o->sw == 1 &&
	    o->pt == 0 && o->pl == 0 && o->pb == 0 && o->pr == 0;
	size_t s;

	if (lw != NULL && lw->act_bits) {
		wh_fake_quant(x, scratch, n * (size_t)in_ss, lw->act_scale,
		    lw->act_zero);
		x = scratch;
		scratch += n * in_ss;
	}
	if (wh_fconv_ok(o, lw)) {
		wh_fconv_run(g, o, lw != NULL && lw->w != NULL ? lw->w : l->w, x,
		    y, n, scratch, pool);
		return;
	}
	for (s = 0; s < n; s++) {
		const float *xs = x + s * in_ss;
		float *ys = y + s * out_ss;

		if (lw != NULL && lw->rank > 0 && lw->spatial) {
			/* 1 x kw conv to r channels over rows padded top and
			 * bottom: t (r, h + pt + pb, ow); then kh x 1 conv */
			int64_t r = lw->rank, th = o->h + o->pt + o->pb;
			float *cols = scratch, *t, *cols2;

			im2col(xs, o->c, o->h, o->w, 1, o->kw, 1, o->sw, 1, o->dw,
			    o->pt, o->pl, th, o->ow, cols);
			t = cols + o->c * o->kw * th * o->ow;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
			    r, th * o->ow, o->c * o->kw, 1.0f, lw->vt,
			    o->c * o->kw, cols, th * o->ow, 0.0f, t, th * o->ow);
			cols2 = t + r * th * o->ow;
			im2col(t, r, th, o->ow, o->kh, 1, o->sh, 1, o->dh, 1, 0, 0,
			    o->oh, o->ow, cols2);
			/* lwaux: (oc, r * kh) */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
			    o->oc, p, r * o->kh, 1.0f, lwaux, r * o->kh, cols2,
			    p, 0.0f, ys, p);
		} else if (lw != NULL && lw->rank > 0) {
			int64_t r = lw->rank;
			const float *cols = xs;
			float *t;

			if (!pointwise) {
				im2col(xs, o->c, o->h, o->w, o->kh, o->kw, o->sh,
				    o->sw, o->dh, o->dw, o->pt, o->pl, o->oh,
				    o->ow, scratch);
				cols = scratch;
				t = scratch + k * p;
			} else
				t = scratch;
			/* t: (r, p) = vt (r, k) . cols (k, p); y = u (oc, r) . t */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
			    r, p, k, 1.0f, lw->vt, k, cols, p, 0.0f, t, p);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
			    o->oc, p, r, 1.0f, lw->u, r, t, p, 0.0f, ys, p);
		} else {
			const float *w = lw != NULL && lw->w != NULL ? lw->w : l->w;

			if (o->group != 1) {
				conv_direct(o, xs, w, ys);
			} else if (pointwise) {
				cblas_sgemm(CblasRowMajor, CblasNoTrans,
				    CblasNoTrans, o->oc, p, k, 1.0f, w, k, xs, p,
				    0.0f, ys, p);
			} else {
				im2col(xs, o->c, o->h, o->w, o->kh, o->kw, o->sh,
				    o->sw, o->dh, o->dw, o->pt, o->pl, o->oh,
				    o->ow, scratch);
				/* y: (oc, p) = w (oc, k) . cols (k, p) */
				cblas_sgemm(CblasRowMajor, CblasNoTrans,
				    CblasNoTrans, o->oc, p, k, 1.0f, w, k,
				    scratch, p, 0.0f, ys, p);
			}
		}
		epilogue_rows(o, l->bias, ys, o->oc, p);
	}
}

/* pads from auto_pad or the pads attribute, for one spatial axis pair */
int
wh_conv_geom(struct wh_compiler *c, int node, struct wh_op *o)
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
			return wh_fail(c, node, "only 2-D strides are supported%s", "");
		s[0] = a->ints[0];
		s[1] = a->ints[1];
	}
	if ((a = wh_node_attr(n, "dilations")) != NULL) {
		if (a->n != 2)
			return wh_fail(c, node, "only 2-D dilations are supported%s", "");
		d[0] = a->ints[0];
		d[1] = a->ints[1];
	}
	if ((a = wh_node_attr(n, "pads")) != NULL) {
		if (a->n != 4)
			return wh_fail(c, node, "only 2-D pads are supported%s", "");
		p0[0] = a->ints[0];
		p0[1] = a->ints[1];
		p1[0] = a->ints[2];
		p1[1] = a->ints[3];
	}
	if ((a = wh_node_attr(n, "auto_pad")) != NULL && a->s != NULL)
		ap = a->s;
	for (i = 0; i < 2; i++) {
		int64_t ek, padded;

		if (s[i] < 1 || d[i] < 1 || k[i] < 1 || p0[i] < 0 || p1[i] < 0)
			return wh_fail(c, node, "bad kernel, stride, dilation or "
			    "pad%s", "");
		/* every size below fits: in, k, s, d and the pads are checked
		 * so that their sums and products do */
		if (wh_mul_i64(k[i] - 1, d[i], &ek) != 0 ||
		    wh_add_i64(ek, 1, &ek) != 0 || ek > WH_MAX_ELEMS ||
		    s[i] > WH_MAX_ELEMS || p0[i] > WH_MAX_ELEMS ||
		    p1[i] > WH_MAX_ELEMS || in[i] > WH_MAX_ELEMS)
			return wh_fail(c, node, "kernel, stride, dilation or pad "
			    "larger than whittle's limit of %s", WH_MAX_ELEMS_STR);
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
		padded = in[i] + p0[i] + p1[i];
		if (padded < ek)
			return wh_fail(c, node, "kernel larger than the padded "
			    "input%s", "");
		if (ceil_mode) {
			outd[i] = (padded - ek + s[i] - 1) / s[i] + 1;
			/* the last window must start inside the input or left pad */
			if ((outd[i] - 1) * s[i] >= in[i] + p0[i])
				outd[i]--;
		} else
			outd[i] = (padded - ek) / s[i] + 1;
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

/* x: (n, c, h, w), weight: (oc, c / group, kh, kw), bias: (oc) ->
 * y: (n, oc, oh, ow); a compressible layer */
static int
compile_conv(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *W = wh_in_const(c, node, 1), *B = wh_in_const(c, node, 2);
	const struct wh_tinfo *xt = &c->g->t[x];
	struct wh_layer *l;
	struct wh_op *o;
	int64_t full[4], cols, macs, planes;
	float *w, *bias = NULL;
	int group = (int)wh_node_attr_int(n, "group", 1), nd;
	const int64_t *xd = wh_chan_dims(c, xt, &nd, &planes);

	if (xd == NULL || nd != 3)
		return wh_fail(c, node, "only 2-D convolution (N, C, H, W) is "
		    "supported%s", "");
	if (W == NULL || W->dtype != WH_FLOAT || W->ndim != 4)
		return wh_fail(c, node, "the weight must be a 4-D float "
		    "initializer%s", "");
	if (group < 1 || xd[0] % group || W->dims[0] % group ||
	    W->dims[1] * group != xd[0])
		return wh_fail(c, node, "weight channels do not match the input "
		    "and group%s", "");
	if (B != NULL && (B->dtype != WH_FLOAT || B->count != (size_t)W->dims[0]))
		return wh_fail(c, node, "bias must have one value per output "
		    "channel%s", "");
	o = wh_op_add(c, OP_CONV, node);
	o->in[0] = x;
	o->nin = 1;
	o->c = xd[0];
	o->h = xd[1];
	o->w = xd[2];
	o->oc = W->dims[0];
	o->kh = W->dims[2];
	o->kw = W->dims[3];
	o->group = group;
	o->planes = planes;
	if (wh_conv_geom(c, node, o) != 0) {
		c->g->nops--;
		return -1;
	}
	full[0] = c->nb ? WH_PROBE_N : planes;
	full[1] = o->oc;
	full[2] = o->oh;
	full[3] = o->ow;
	/* the unfolded input of a sample (im2col) is the largest scratch */
	if (wh_mul_i64(W->dims[1] * o->kh * o->kw, o->oh * o->ow, &cols) != 0 ||
	    cols > WH_MAX_ELEMS || wh_mul_i64(cols, o->oc, &macs) != 0 ||
	    wh_mul_i64(macs, planes, &macs) != 0) {
		c->g->nops--;
		return wh_fail(c, node, "the unfolded input would hold more "
		    "than %s values per sample, whittle's limit",
		    WH_MAX_ELEMS_STR);
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), 4, full,
	    c->g->nops - 1)) < 0)
		return -1;
	w = xmalloc(W->count * sizeof *w);
	memcpy(w, W->f, W->count * sizeof *w);
	if (B != NULL) {
		bias = xmalloc(B->count * sizeof *bias);
		memcpy(bias, B->f, B->count * sizeof *bias);
	}
	l = wh_layer_add(c, node, WH_LAYER_CONV);
	o->layer = c->g->nlayers - 1;
	l->weight_name = n->inputs[1];
	l->bias_name = B != NULL ? n->inputs[2] : NULL;
	l->wndim = W->ndim;
	memcpy(l->wdims, W->dims, sizeof l->wdims);
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
	l->macs = (uint64_t)macs;
	l->max_rank = group == 1 ? (int)(l->out < l->in ? l->out : l->in) : 0;
	return wh_fold_factored(c);
}

/* the kernel: the convolution, and a 2 x 2 max pool after it on the fast
 * path (then y is the pool's output) */
static void
run(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const struct wh_op *pool = wh_fconv_pool(g, o, lw);

	run_conv(g, o, lw, lwaux, buf[o->in[0]], pool ? buf[pool->out] :
	    buf[o->out], n, scratch, pool);
}

static size_t
scratch(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, size_t n)
{
	const struct wh_layer *l = &g->layers[o->layer];
	size_t p = (size_t)(o->oh * o->ow), need;
	size_t dense = (size_t)l->in * p;

	(void)n;
	/* either path may run (wh_eval_capture ignores lw) */
	need = dense > wh_fconv_scratch(o) ? dense : wh_fconv_scratch(o);
	if (lw != NULL && lw->rank > 0) {
		size_t r = (size_t)lw->rank;
		size_t th = (size_t)(o->h + o->pt + o->pb);

		need += r * p;
		if (lw->spatial)
			need += (size_t)(o->c * o->kw) * th * o->ow +
			    r * th * o->ow + r * o->kh * p;
	}
	return need;
}

static int
fused(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw)
{
	return wh_fconv_pool(g, o, lw) != NULL;
}

const struct wh_kernel wh_kernel_conv = { "conv", run, scratch, fused };

const struct wh_opdef wh_def_conv = {
	"Conv", 1, 0, 2, 3, 1, 1, NULL, compile_conv, &wh_kernel_conv, 0
};
