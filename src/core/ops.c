/* ops.c - the CPU kernels of the compiled graph, NCHW float32 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "graph-int.h"

float wh_unary_apply(enum wh_unary u, float x, float alpha, float beta);

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

/* The same on y: (m, ch), channel along the row. */
static void
epilogue_cols(const struct wh_op *o, const float *bias, float *y, int64_t m,
    int64_t ch)
{
	int64_t r, c;

	for (r = 0; r < m; r++) {
		float *row = y + r * ch;

		if (bias)
			for (c = 0; c < ch; c++)
				row[c] += bias[c];
		if (o->ep_scale)
			for (c = 0; c < ch; c++)
				row[c] = row[c] * o->ep_scale[c] + o->ep_shift[c];
		if (o->ep_relu)
			for (c = 0; c < ch; c++)
				row[c] = relu(row[c]);
	}
}

/*
 * QuantizeLinear then DequantizeLinear to uint8, as ONNX defines them:
 * q = saturate(round_half_even(x / scale) + zero), y = (q - zero) * scale.
 */
static void
fake_quant(const float *x, float *y, size_t n, float scale, int zero)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float q = nearbyintf(x[i] / scale) + (float)zero;

		q = q < 0 ? 0 : q > 255 ? 255 : q;
		y[i] = (float)((int)q - zero) * scale;
	}
}

static void
run_linear(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *x, float *y, size_t n,
    float *scratch)
{
	const struct wh_layer *l = &g->layers[o->layer];
	int64_t m = (int64_t)n * o->rows, k = o->c, nout = o->oc;

	if (lw != NULL && lw->act_bits) {
		fake_quant(x, scratch, (size_t)(m * k), lw->act_scale,
		    lw->act_zero);
		x = scratch;
		scratch += m * k;
	}
	if (lw != NULL && lw->rank > 0) {
		int64_t r = lw->rank;

		/* t: (m, r) = x (m, k) . vt^T;  y: (m, out) = t . u^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, r, k,
		    1.0f, x, k, lw->vt, k, 0.0f, scratch, r);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nout, r,
		    1.0f, scratch, r, lw->u, r, 0.0f, y, nout);
	} else {
		const float *w = lw != NULL && lw->w != NULL ? lw->w : l->w;

		/* y: (m, out) = x (m, k) . w^T, w: (out, k) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nout, k,
		    1.0f, x, k, w, k, 0.0f, y, nout);
	}
	epilogue_cols(o, l->bias, y, m, nout);
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
    float *y, size_t n, float *scratch)
{
	const struct wh_layer *l = &g->layers[o->layer];
	int64_t in_ss = o->c * o->h * o->w, out_ss = o->oc * o->oh * o->ow;
	int64_t p = o->oh * o->ow, k = l->in;
	int pointwise = o->kh == 1 && o->kw == 1 && o->sh == 1 && o->sw == 1 &&
	    o->pt == 0 && o->pl == 0 && o->pb == 0 && o->pr == 0;
	size_t s;

	if (lw != NULL && lw->act_bits) {
		fake_quant(x, scratch, n * (size_t)in_ss, lw->act_scale,
		    lw->act_zero);
		x = scratch;
		scratch += n * in_ss;
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

/* Valid kernel taps [k0, k1) for output position o along one axis. */
static void
taps(int64_t o, int64_t s, int64_t d, int64_t p, int64_t k, int64_t in,
    int64_t *k0, int64_t *k1)
{
	int64_t base = o * s - p, lo = 0, hi = k;

	while (lo < k && base + lo * d < 0)
		lo++;
	while (hi > lo && base + (hi - 1) * d >= in)
		hi--;
	*k0 = lo;
	*k1 = hi;
}

/* x: (c, h, w) per sample -> y: (c, oh, ow), 2 x 2 windows with stride 2 */
static void
maxpool_2x2(const struct wh_op *o, const float *x, float *y, size_t planes)
{
	int64_t oy, ox;
	size_t c;

	for (c = 0; c < planes; c++) {
		const float *xc = x + c * o->h * o->w;
		float *yc = y + c * o->oh * o->ow;

		for (oy = 0; oy < o->oh; oy++) {
			const float *r0 = xc + 2 * oy * o->w, *r1 = r0 + o->w;
			float *d = yc + oy * o->ow;

			for (ox = 0; ox < o->ow; ox++) {
				float a = r0[2 * ox] > r0[2 * ox + 1] ?
				    r0[2 * ox] : r0[2 * ox + 1];
				float b = r1[2 * ox] > r1[2 * ox + 1] ?
				    r1[2 * ox] : r1[2 * ox + 1];

				d[ox] = a > b ? a : b;
			}
		}
	}
}

static void
run_pool(const struct wh_op *o, const float *x, float *y, size_t n)
{
	size_t planes = n * (size_t)o->c, c;
	int64_t oy, ox, ky, kx;

	if (o->kind == OP_MAXPOOL && o->kh == 2 && o->kw == 2 && o->sh == 2 &&
	    o->sw == 2 && o->dh == 1 && o->dw == 1 && o->pt == 0 &&
	    o->pl == 0 && o->oh * 2 <= o->h && o->ow * 2 <= o->w) {
		maxpool_2x2(o, x, y, planes);
		return;
	}
	for (c = 0; c < planes; c++) {
		const float *xc = x + c * o->h * o->w;
		float *yc = y + c * o->oh * o->ow;

		if (o->kind == OP_GAP) {
			double sum = 0;
			int64_t i;

			for (i = 0; i < o->h * o->w; i++)
				sum += xc[i];
			yc[0] = (float)(sum / (double)(o->h * o->w));
			continue;
		}
		for (oy = 0; oy < o->oh; oy++) {
			int64_t ky0, ky1, padh0, padh1;

			taps(oy, o->sh, o->dh, o->pt, o->kh, o->h, &ky0, &ky1);
			/* in padded coordinates, for count_include_pad */
			taps(oy, o->sh, o->dh, 0, o->kh, o->h + o->pt + o->pb,
			    &padh0, &padh1);
			for (ox = 0; ox < o->ow; ox++) {
				int64_t kx0, kx1, padw0, padw1;
				float mx = -FLT_MAX, sum = 0;

				taps(ox, o->sw, o->dw, o->pl, o->kw, o->w, &kx0, &kx1);
				for (ky = ky0; ky < ky1; ky++) {
					const float *row = xc + (oy * o->sh +
					    ky * o->dh - o->pt) * o->w +
					    ox * o->sw - o->pl;

					for (kx = kx0; kx < kx1; kx++) {
						float v = row[kx * o->dw];

						mx = v > mx ? v : mx;
						sum += v;
					}
				}
				if (o->kind == OP_MAXPOOL) {
					yc[oy * o->ow + ox] = mx;
					continue;
				}
				if (o->count_pad) {
					/* pads count, positions beyond them
					 * (ceil mode) do not */
					taps(ox, o->sw, o->dw, 0, o->kw,
					    o->w + o->pl + o->pr, &padw0, &padw1);
					yc[oy * o->ow + ox] = sum / (float)((padh1 -
					    padh0) * (padw1 - padw0));
				} else
					yc[oy * o->ow + ox] = sum / (float)((ky1 -
					    ky0) * (kx1 - kx0));
			}
		}
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
	}
	return 0;
}

static void
run_binary(const struct wh_graph *g, const struct wh_op *o, float **buf,
    size_t n)
{
	const float *a = buf[o->in[0]];
	size_t ssa = g->t[o->in[0]].ss, sso = g->t[o->out].ss;
	size_t ssb = o->in[1] >= 0 ? g->t[o->in[1]].ss : 0;
	float *y = buf[o->out];
	int64_t idx[WH_MAX_DIMS];
	int nd = o->bnd, i, same = 1, scalar = 1;
	size_t s, k;

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

static void
run_softmax(const struct wh_op *o, const float *x, float *y, size_t n)
{
	int64_t out, in, a, ss = o->sm_outer * o->sm_axis * o->sm_inner;
	size_t s;

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

static void
run_transpose(const struct wh_op *o, const float *x, float *y, size_t n,
    size_t ss)
{
	int64_t istr[WH_MAX_DIMS], odims[WH_MAX_DIMS], idx[WH_MAX_DIMS], st = 1;
	int nd = o->tnd, i;
	size_t s, k;

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

size_t
wh_op_scratch(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, size_t n)
{
	size_t need = 0;

	if (lw != NULL && lw->act_bits)
		need += n * g->t[o->in[0]].ss;
	if (o->kind == OP_LINEAR) {
		if (lw != NULL && lw->rank > 0)
			need += n * (size_t)o->rows * (size_t)lw->rank;
	} else if (o->kind == OP_CONV) {
		const struct wh_layer *l = &g->layers[o->layer];
		size_t p = (size_t)(o->oh * o->ow);

		need += (size_t)l->in * p;
		if (lw != NULL && lw->rank > 0) {
			size_t r = (size_t)lw->rank;
			size_t th = (size_t)(o->h + o->pt + o->pb);

			need += r * p;
			if (lw->spatial)
				need += (size_t)(o->c * o->kw) * th * o->ow +
				    r * th * o->ow + r * o->kh * p;
		}
	}
	return need;
}

void
wh_op_run(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = o->in[0] >= 0 ? buf[o->in[0]] : NULL;
	float *y = buf[o->out];
	size_t ss = g->t[o->out].ss, k, s;
	int64_t c, i;

	switch (o->kind) {
	case OP_LINEAR:
		run_linear(g, o, lw, x, y, n, scratch);
		break;
	case OP_CONV:
		run_conv(g, o, lw, lwaux, x, y, n, scratch);
		break;
	case OP_MAXPOOL:
	case OP_AVGPOOL:
	case OP_GAP:
		run_pool(o, x, y, n);
		break;
	case OP_UNARY:
		if (o->unary == U_RELU) {
			for (k = 0; k < n * ss; k++)
				y[k] = relu(x[k]);
			break;
		}
		for (k = 0; k < n * ss; k++)
			y[k] = wh_unary_apply(o->unary, x[k], o->alpha, o->beta);
		break;
	case OP_BINARY:
		run_binary(g, o, buf, n);
		break;
	case OP_SOFTMAX:
	case OP_LOGSOFTMAX:
		run_softmax(o, x, y, n);
		break;
	case OP_AFFINE:
		for (s = 0; s < n; s++)
			for (c = 0; c < o->aff_c; c++) {
				const float *xp = x + (s * o->aff_c + c) * o->aff_inner;
				float *yp = y + (s * o->aff_c + c) * o->aff_inner;

				for (i = 0; i < o->aff_inner; i++)
					yp[i] = xp[i] * o->aff_scale[c] +
					    o->aff_shift[c];
			}
		break;
	case OP_TRANSPOSE:
		run_transpose(o, x, y, n, ss);
		break;
	case OP_CONCAT:
		for (s = 0; s < n; s++) {
			float *ys = y + s * ss;

			for (i = 0; i < o->cat_outer; i++) {
				int j;

				for (j = 0; j < o->nin; j++) {
					size_t blk = (size_t)o->cat_block[j];
					size_t iss = g->t[o->in[j]].ss;

					memcpy(ys, buf[o->in[j]] + s * iss + i * blk,
					    blk * sizeof *ys);
					ys += blk;
				}
			}
		}
		break;
	}
}
