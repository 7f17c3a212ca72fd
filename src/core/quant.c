/* quant.c - integer (2..8 bit) quantization, fp16 and bf16 rounding */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "whittle/tensor.h"
#include "whittle/util.h"

void
wh_qtensor_release(struct wh_qtensor *q)
{
	free(q->q);
	free(q->scale);
	free(q->zero);
	memset(q, 0, sizeof *q);
}

void
wh_qtensor_copy(struct wh_qtensor *dst, const struct wh_qtensor *src)
{
	size_t n = (size_t)src->rows * (size_t)src->cols;

	*dst = *src;
	dst->q = NULL;
	dst->scale = NULL;
	dst->zero = NULL;
	if (src->q != NULL) {
		dst->q = xmalloc(n * sizeof *dst->q);
		memcpy(dst->q, src->q, n * sizeof *dst->q);
	}
	if (src->scale != NULL) {
		dst->scale = xmalloc((size_t)src->nscale * sizeof *dst->scale);
		memcpy(dst->scale, src->scale, (size_t)src->nscale * sizeof *dst->scale);
	}
	if (src->zero != NULL) {
		dst->zero = xmalloc((size_t)src->nscale * sizeof *dst->zero);
		memcpy(dst->zero, src->zero, (size_t)src->nscale * sizeof *dst->zero);
	}
}

void
wh_quant_range(int bits, int symmetric, int *qmin, int *qmax)
{
	if (symmetric) {
		*qmax = (1 << (bits - 1)) - 1;
		*qmin = -*qmax;
	} else {
		*qmin = 0;
		*qmax = (1 << bits) - 1;
	}
}

/* The clip ratio of candidate k (see WH_CLIP_STEPS). */
static float
clip_ratio(int k)
{
	return (float)(1.0 - (1.0 - WH_CLIP_LOW) * k / (WH_CLIP_STEPS - 1));
}

/*
 * Scale and zero point for a segment whose values lie in [lo, hi] (lo <= 0
 * <= hi) with amax = max(-lo, hi), at clip ratio ratio.
 */
static void
qparams(float lo, float hi, float amax, int bits, int symmetric, float ratio,
    float *scale, int32_t *zero)
{
	int qmin, qmax;
	float s, z;

	wh_quant_range(bits, symmetric, &qmin, &qmax);
	if (symmetric) {
		s = amax * ratio / (float)qmax;
		*zero = 0;
	} else {
		lo *= ratio;
		hi *= ratio;
		s = (hi - lo) / (float)qmax;
	}
	if (!(s > 0) || !isfinite(s)) {
		*scale = 1;
		*zero = 0;
		return;
	}
	*scale = s;
	if (!symmetric) {
		z = rintf(-lo / s);
		*zero = z < qmin ? qmin : (z > qmax ? qmax : (int32_t)z);
	}
}

/* The range of a segment, extended to include 0. */
static void
seg_range(const float *w, size_t n, float *lo, float *hi, float *amax)
{
	float a = 0, b = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (w[i] < a)
			a = w[i];
		if (w[i] > b)
			b = w[i];
	}
	*lo = a;
	*hi = b;
	*amax = -a > b ? -a : b;
}

static int
check_args(int bits, int clip, int64_t rows, int64_t cols, char **err)
{
	if (bits < 2 || bits > 8)
		return wh_error(err, "quantization to %d bits: only 2 to 8 are "
		    "supported", bits);
	if (clip != WH_CLIP_MINMAX && clip != WH_CLIP_MSE)
		return wh_error(err, "unknown clipping method %d", clip);
	if (rows < 0 || cols < 0)
		return wh_error(err, "quantization of a (%lld, %lld) tensor",
		    (long long)rows, (long long)cols);
	return 0;
}

static void
qtensor_alloc(struct wh_qtensor *q, int64_t rows, int64_t cols, int bits,
    int symmetric, int per_channel)
{
	memset(q, 0, sizeof *q);
	q->bits = bits;
	q->symmetric = symmetric != 0;
	q->per_channel = per_channel != 0;
	q->rows = rows;
	q->cols = cols;
	q->nscale = per_channel ? rows : 1;
	q->q = xmalloc((size_t)rows * (size_t)cols * sizeof *q->q);
	q->scale = xcalloc(q->nscale ? (size_t)q->nscale : 1, sizeof *q->scale);
	q->zero = xcalloc(q->nscale ? (size_t)q->nscale : 1, sizeof *q->zero);
}

void
wh_dequant_int(const struct wh_qtensor *q, float *w)
{
	size_t seg, nseg, i, j;

	if (q->rows == 0 || q->cols == 0)
		return;
	nseg = (size_t)q->nscale;
	seg = (size_t)q->rows * (size_t)q->cols / nseg;
	for (i = 0; i < nseg; i++) {
		float s = q->scale[i];
		int32_t z = q->zero[i];

		for (j = 0; j < seg; j++)
			w[i * seg + j] = (float)((int32_t)q->q[i * seg + j] - z) * s;
	}
}

/* ---- fast ---------------------------------------------------------------- */

static inline int16_t
code_fast(float w, float scale, int32_t zero, float qmin, float qmax)
{
	float r = rintf(w / scale) + (float)zero;

	if (!(r >= qmin))
		r = qmin;
	if (r > qmax)
		r = qmax;
	return (int16_t)r;
}

/* The squared error of a segment at (scale, zero), abandoned (returning a
 * partial sum >= best) as soon as it cannot beat best. */
static double
seg_err_fast(const float *w, size_t n, float scale, int32_t zero, float qmin,
    float qmax, double best)
{
	double e = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int16_t q = code_fast(w[i], scale, zero, qmin, qmax);
		double d = (double)((float)((int32_t)q - zero) * scale) - (double)w[i];

		e += d * d;
		if ((i & 255) == 255 && e >= best)
			return e;
	}
	return e;
}

static int
quant_int(const float *w, int64_t rows, int64_t cols, int bits, int symmetric,
    int per_channel, int clip, struct wh_qtensor *q, float *deq, char **err,
    int ref);

int
wh_quant_int(const float *w, int64_t rows, int64_t cols, int bits,
    int symmetric, int per_channel, int clip, struct wh_qtensor *q,
    float *deq, char **err)
{
	return quant_int(w, rows, cols, bits, symmetric, per_channel, clip, q,
	    deq, err, 0);
}

/* ---- reference ----------------------------------------------------------- */

/* Round half to even, by hand. */
static double
round_even(double x)
{
	double f = floor(x), d = x - f;

	if (d > 0.5)
		return f + 1;
	if (d < 0.5)
		return f;
	return fmod(f, 2) == 0 ? f : f + 1;
}

static int16_t
code_ref(float w, float scale, int32_t zero, int qmin, int qmax)
{
	float x = w / scale;
	double r;

	if (isnan(x))
		return (int16_t)qmin;
	r = round_even((double)x) + zero;
	if (r < qmin)
		r = qmin;
	if (r > qmax)
		r = qmax;
	return (int16_t)r;
}

/* Quantizes the segment in full, dequantizes it and sums the error. */
static double
seg_err_ref(const float *w, size_t n, float scale, int32_t zero, int qmin,
    int qmax)
{
	int16_t *q = xmalloc(n * sizeof *q);
	float *d = xmalloc(n * sizeof *d);
	double e = 0;
	size_t i;

	for (i = 0; i < n; i++)
		q[i] = code_ref(w[i], scale, zero, qmin, qmax);
	for (i = 0; i < n; i++)
		d[i] = (float)((int32_t)q[i] - zero) * scale;
	for (i = 0; i < n; i++)
		e += ((double)d[i] - w[i]) * ((double)d[i] - w[i]);
	free(d);
	free(q);
	return e;
}

int
wh_quant_int_ref(const float *w, int64_t rows, int64_t cols, int bits,
    int symmetric, int per_channel, int clip, struct wh_qtensor *q,
    float *deq, char **err)
{
	return quant_int(w, rows, cols, bits, symmetric, per_channel, clip, q,
	    deq, err, 1);
}

/* ---- shared driver --------------------------------------------------------- */

static int
quant_int(const float *w, int64_t rows, int64_t cols, int bits, int symmetric,
    int per_channel, int clip, struct wh_qtensor *q, float *deq, char **err,
    int ref)
{
	size_t nseg, seg, i, j;
	int qmin, qmax, k, nk;

	memset(q, 0, sizeof *q);
	if (check_args(bits, clip, rows, cols, err) == -1)
		return -1;
	symmetric = symmetric != 0;
	qtensor_alloc(q, rows, cols, bits, symmetric, per_channel);
	if (rows == 0 || cols == 0)
		return 0;
	wh_quant_range(bits, symmetric, &qmin, &qmax);
	nseg = (size_t)q->nscale;
	seg = (size_t)rows * (size_t)cols / nseg;
	nk = clip == WH_CLIP_MSE ? WH_CLIP_STEPS : 1;

	for (i = 0; i < nseg; i++) {
		const float *ws = w + i * seg;
		float lo, hi, amax, scale = 1, s;
		int32_t zero = 0, z;
		double best = INFINITY, e;

		seg_range(ws, seg, &lo, &hi, &amax);
		for (k = 0; k < nk; k++) {
			qparams(lo, hi, amax, bits, symmetric, clip_ratio(k), &s, &z);
			if (nk == 1) {
				scale = s;
				zero = z;
				break;
			}
			if (ref)
				e = seg_err_ref(ws, seg, s, z, qmin, qmax);
			else
				e = seg_err_fast(ws, seg, s, z, (float)qmin,
				    (float)qmax, best);
			if (e < best) {
				best = e;
				scale = s;
				zero = z;
			}
		}
		q->scale[i] = scale;
		q->zero[i] = zero;
		for (j = 0; j < seg; j++)
			q->q[i * seg + j] = ref ?
			    code_ref(ws[j], scale, zero, qmin, qmax) :
			    code_fast(ws[j], scale, zero, (float)qmin, (float)qmax);
	}
	if (deq != NULL)
		wh_dequant_int(q, deq);
	return 0;
}

/* ---- 16-bit floats ----------------------------------------------------------- */

void
wh_round_fp16(const float *w, size_t n, float *out, uint16_t *bits)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint16_t h = wh_float_to_half(w[i]);

		if (bits != NULL)
			bits[i] = h;
		if (out != NULL)
			out[i] = wh_half_to_float(h);
	}
}

void
wh_round_bf16(const float *w, size_t n, float *out, uint16_t *bits)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint16_t h = wh_float_to_bf16(w[i]);

		if (bits != NULL)
			bits[i] = h;
		if (out != NULL)
			out[i] = wh_bf16_to_float(h);
	}
}
