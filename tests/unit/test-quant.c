/* test-quant.c - integer quantization, clipping, fp16 and bf16 rounding */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "whittle/tensor.h"
#include "tap.h"

enum { ROWS = 16, COLS = 64, N = ROWS * COLS };

/* w: (ROWS, COLS), rows of growing scale, every 7th weight exactly zero */
static void
fill(float *w)
{
	int i;

	for (i = 0; i < N; i++)
		w[i] = (i % 7 == 3) ? 0 :
		    (1 + (float)(i / COLS)) * (0.1f + 2 * cosf((float)i));
}

static int
same_q(const struct wh_qtensor *a, const struct wh_qtensor *b)
{
	size_t n = (size_t)a->rows * (size_t)a->cols;

	return a->nscale == b->nscale && a->rows == b->rows && a->cols == b->cols &&
	    memcmp(a->q, b->q, n * sizeof *a->q) == 0 &&
	    memcmp(a->scale, b->scale, (size_t)a->nscale * sizeof *a->scale) == 0 &&
	    memcmp(a->zero, b->zero, (size_t)a->nscale * sizeof *a->zero) == 0;
}

static double
sqerr(const float *a, const float *b, size_t n)
{
	double e = 0;
	size_t i;

	for (i = 0; i < n; i++)
		e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
	return e;
}

/* The properties every min/max result must have. */
static void
check_minmax(const float *w, int bits, int sym, int pc, double *maxerr_out,
    double *sq_out)
{
	struct wh_qtensor q, r;
	float deq[N], deq_r[N];
	int qmin, qmax, i, in_range = 1, bound = 1, zeros = 1, formula = 1;
	double maxerr = 0, worst = 0;
	const char *name = sym ? "sym" : "asym", *gran = pc ? "channel" : "tensor";

	ok(wh_quant_int(w, ROWS, COLS, bits, sym, pc, WH_CLIP_MINMAX, &q, deq,
	    NULL) == 0, "int%d %s per %s: runs", bits, name, gran);
	wh_quant_int_ref(w, ROWS, COLS, bits, sym, pc, WH_CLIP_MINMAX, &r,
	    deq_r, NULL);
	wh_quant_range(bits, sym, &qmin, &qmax);
	for (i = 0; i < N; i++) {
		int c = pc ? i / COLS : 0;
		float s = q.scale[c];
		double e = fabs((double)deq[i] - w[i]);

		if (q.q[i] < qmin || q.q[i] > qmax)
			in_range = 0;
		/* half a step, plus the rounding of one float multiply */
		if (e > s / 2 * (1 + 1e-6) + 1e-7 * fabs(w[i]))
			bound = 0;
		if (w[i] == 0 && (deq[i] != 0 || signbit(deq[i])))
			zeros = 0;
		if (deq[i] != (float)((int32_t)q.q[i] - q.zero[c]) * s)
			formula = 0;
		if (e > maxerr)
			maxerr = e;
		if (e / s > worst)
			worst = e / s;
		if (sym && q.zero[c] != 0)
			formula = 0;
	}
	ok(in_range, "int%d %s per %s: codes in [%d, %d]", bits, name, gran,
	    qmin, qmax);
	ok(bound, "int%d %s per %s: |error| <= scale / 2 (worst %.4f scale)",
	    bits, name, gran, worst);
	ok(zeros, "int%d %s per %s: zero weights dequantize to exactly +0",
	    bits, name, gran);
	ok(formula, "int%d %s per %s: deq == (float)(q - zero) * scale", bits,
	    name, gran);
	ok(same_q(&q, &r) && memcmp(deq, deq_r, sizeof deq) == 0,
	    "int%d %s per %s: fast == reference", bits, name, gran);
	*maxerr_out = maxerr;
	*sq_out = sqerr(deq, w, N);
	wh_qtensor_release(&q);
	wh_qtensor_release(&r);
}

static void
test_minmax(void)
{
	float w[N];
	int bits, sym, pc;

	fill(w);
	for (sym = 1; sym >= 0; sym--)
		for (pc = 0; pc <= 1; pc++) {
			double maxerr[9], sq[9], ceiling;
			int dec = 1, under = 1;

			for (bits = 2; bits <= 8; bits++) {
				int qmin, qmax;

				check_minmax(w, bits, sym, pc, &maxerr[bits], &sq[bits]);
				/* ggml-style ceiling per bit width: half a step
				 * of [-33.6, 33.6], which holds every |w| */
				wh_quant_range(bits, sym, &qmin, &qmax);
				ceiling = 2 * 33.6 / (qmax - qmin) / 2;
				if (maxerr[bits] > ceiling * 1.0001)
					under = 0;
				if (bits > 2 && !(maxerr[bits] < maxerr[bits - 1]))
					dec = 0;
				tap_diag("int%d %s per %s: max error %.5f, ceiling %.5f",
				    bits, sym ? "sym" : "asym", pc ? "channel" : "tensor",
				    maxerr[bits], ceiling);
			}
			ok(under, "%s per %s: max error under the ceiling at every "
			    "bit width", sym ? "sym" : "asym", pc ? "channel" : "tensor");
			ok(dec, "%s per %s: max error falls with every added bit",
			    sym ? "sym" : "asym", pc ? "channel" : "tensor");
		}
	/* rows of growing scale: per channel beats per tensor */
	for (bits = 2; bits <= 8; bits += 3) {
		double m, sq_t, sq_c;

		check_minmax(w, bits, 1, 0, &m, &sq_t);
		check_minmax(w, bits, 1, 1, &m, &sq_c);
		ok(sq_c < sq_t, "int%d: per-channel squared error %.4g < per-tensor "
		    "%.4g", bits, sq_c, sq_t);
	}
}

static void
test_mse(void)
{
	float w[N], d_mm[N], d_mse[N], d_ref[N];
	int bits, sym, pc, better = 0;
	size_t i;

	fill(w);
	/* an outlier: clipping it pays at low bit widths */
	w[5 * COLS + 17] = 60;
	w[300] = -45;
	for (sym = 1; sym >= 0; sym--)
		for (pc = 0; pc <= 1; pc++)
			for (bits = 2; bits <= 8; bits++) {
				struct wh_qtensor a, b, r;
				double e_mm, e_mse;

				wh_quant_int(w, ROWS, COLS, bits, sym, pc, WH_CLIP_MINMAX,
				    &a, d_mm, NULL);
				wh_quant_int(w, ROWS, COLS, bits, sym, pc, WH_CLIP_MSE,
				    &b, d_mse, NULL);
				wh_quant_int_ref(w, ROWS, COLS, bits, sym, pc, WH_CLIP_MSE,
				    &r, d_ref, NULL);
				e_mm = sqerr(d_mm, w, N);
				e_mse = sqerr(d_mse, w, N);
				if (e_mse < e_mm * 0.99)
					better++;
				ok(e_mse <= e_mm, "mse clip int%d %s per %s: error %.4g <= "
				    "min/max %.4g", bits, sym ? "sym" : "asym",
				    pc ? "channel" : "tensor", e_mse, e_mm);
				ok(same_q(&b, &r) && memcmp(d_mse, d_ref, sizeof d_ref) == 0,
				    "mse clip int%d %s per %s: fast == reference", bits,
				    sym ? "sym" : "asym", pc ? "channel" : "tensor");
				for (i = 0; i < N; i++)
					if (w[i] == 0 && d_mse[i] != 0)
						break;
				ok(i == N, "mse clip int%d %s per %s: zeros stay zero", bits,
				    sym ? "sym" : "asym", pc ? "channel" : "tensor");
				wh_qtensor_release(&a);
				wh_qtensor_release(&b);
				wh_qtensor_release(&r);
			}
	ok(better >= 8, "mse clip: clearly better than min/max in %d of 28 "
	    "settings with outliers", better);
}

static void
test_exact(void)
{
	/* 8-bit symmetric with maxabs 127: scale is exactly 1 */
	const float w[8] = { 127, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 3.5f, -127 };
	const int16_t want[8] = { 127, 0, 2, 2, 0, -2, 4, -127 };
	float deq[8];
	struct wh_qtensor q, r;
	int i, pass = 1;

	wh_quant_int(w, 1, 8, 8, 1, 0, WH_CLIP_MINMAX, &q, deq, NULL);
	wh_quant_int_ref(w, 1, 8, 8, 1, 0, WH_CLIP_MINMAX, &r, NULL, NULL);
	for (i = 0; i < 8; i++)
		pass &= q.q[i] == want[i] && r.q[i] == want[i];
	ok(q.scale[0] == 1 && pass, "rounding: half to even (0.5 -> 0, 1.5 -> 2, "
	    "2.5 -> 2, -2.5 -> -2, 3.5 -> 4), fast and reference");
	wh_qtensor_release(&q);
	wh_qtensor_release(&r);

	{
		/* asymmetric: all positive -> zero 0; all negative -> zero 2^b-1 */
		float pos[4] = { 0.5f, 1, 2, 1.5f }, neg[4] = { -0.5f, -1, -2, -1.5f };
		float mixed[4] = { -1, 0, 3, 0.7f }, d[4];

		wh_quant_int(pos, 1, 4, 4, 0, 0, WH_CLIP_MINMAX, &q, NULL, NULL);
		ok(q.zero[0] == 0 && q.scale[0] == 2.0f / 15, "asym: positive data, "
		    "zero point 0, scale 2/15");
		wh_qtensor_release(&q);
		wh_quant_int(neg, 1, 4, 4, 0, 0, WH_CLIP_MINMAX, &q, NULL, NULL);
		ok(q.zero[0] == 15, "asym: negative data, zero point 15 (%d)",
		    q.zero[0]);
		wh_qtensor_release(&q);
		/* range [-1, 3]: scale 4/255, zero rint(63.75) = 64 */
		wh_quant_int(mixed, 1, 4, 8, 0, 0, WH_CLIP_MINMAX, &q, d, NULL);
		ok(q.zero[0] == 64 && q.scale[0] == 4.0f / 255 && q.q[1] == 64 &&
		    d[1] == 0, "asym: [-1, 3] at 8 bits, zero point 64, 0 -> code 64 "
		    "-> 0");
		wh_qtensor_release(&q);
	}
	{
		float z[6] = { 0 }, d[6];

		wh_quant_int(z, 2, 3, 4, 0, 1, WH_CLIP_MSE, &q, d, NULL);
		ok(q.scale[0] == 1 && q.scale[1] == 1 && q.zero[0] == 0 &&
		    d[0] == 0 && d[5] == 0, "all-zero rows: scale 1, zero 0");
		wh_qtensor_release(&q);
	}
	{
		char *err = NULL;
		int rc = wh_quant_int(w, 1, 8, 9, 1, 0, WH_CLIP_MINMAX, &q, NULL, &err);

		ok(rc == -1 && err != NULL && strstr(err, "9 bits") != NULL,
		    "9 bits refused (%s)", err ? err : "no message");
		free(err);
		wh_qtensor_release(&q);
	}
	{
		/* wh_qtensor_copy is deep */
		struct wh_qtensor c;
		float deq2[8];

		wh_quant_int(w, 2, 4, 3, 0, 1, WH_CLIP_MSE, &q, NULL, NULL);
		wh_qtensor_copy(&c, &q);
		ok(same_q(&c, &q) && c.q != q.q, "qtensor copy: equal, own buffers");
		wh_dequant_int(&c, deq2);
		wh_qtensor_release(&q);
		wh_qtensor_release(&c);
	}
}

static void
test_half(void)
{
	enum { M = 2000 };
	float w[M], h[M], b[M];
	uint16_t hb[M], bb[M];
	double worst_h = 0, worst_b = 0;
	int i, back = 1;

	for (i = 0; i < M; i++)	/* magnitudes 1e-3 .. 1e4, both signs */
		w[i] = (i & 1 ? -1 : 1) * powf(10, -3 + 7.0f * i / M) *
		    (1.1f + cosf((float)i));
	wh_round_fp16(w, M, h, hb);
	wh_round_bf16(w, M, b, bb);
	for (i = 0; i < M; i++) {
		double eh = fabs((double)h[i] - w[i]) / fabs(w[i]);
		double eb = fabs((double)b[i] - w[i]) / fabs(w[i]);

		if (eh > worst_h)
			worst_h = eh;
		if (eb > worst_b)
			worst_b = eb;
		if (wh_half_to_float(hb[i]) != h[i] || wh_bf16_to_float(bb[i]) != b[i])
			back = 0;
	}
	ok(worst_h <= 0x1p-11, "fp16: relative error %.3g <= 2^-11", worst_h);
	ok(worst_b <= 0x1p-8, "bf16: relative error %.3g <= 2^-8", worst_b);
	ok(worst_h > 0x1p-13 && worst_b > 0x1p-10, "fp16, bf16: they do round");
	ok(back, "fp16, bf16: bits and values agree");
	{
		float x[4] = { 1.5f, -0.25f, 0, 1024 }, y[4];

		memcpy(y, x, sizeof x);
		wh_round_fp16(y, 4, y, NULL);	/* in place */
		ok(memcmp(x, y, sizeof x) == 0, "fp16: representable values unchanged");
		/* 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even is 1 */
		x[0] = 1 + 0x1p-11f;
		x[1] = 1 + 3 * 0x1p-11f;
		wh_round_fp16(x, 2, y, NULL);
		ok(y[0] == 1 && y[1] == 1 + 0x1p-9f, "fp16: ties to even");
		x[0] = 1 + 0x1p-8f;
		x[1] = 1 + 3 * 0x1p-8f;
		wh_round_bf16(x, 2, y, NULL);
		ok(y[0] == 1 && y[1] == 1 + 0x1p-6f, "bf16: ties to even");
	}
}

int
main(void)
{
	test_minmax();
	test_mse();
	test_exact();
	test_half();
	return tap_done();
}
