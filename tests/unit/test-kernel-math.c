/* test-kernel-math.c - the vectorized erf, GELU and sigmoid against erf()
 * and exp() in double: a dense sweep of the floats, the special values,
 * and the baseline and SIMD loops against the scalar functions */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "tap.h"

#define CHUNK 4096

static float
from_bits(uint32_t b)
{
	float f;

	memcpy(&f, &b, sizeof f);
	return f;
}

/* GELU in double, as ONNX's Gelu defines it */
static double
gelu_ref(double x)
{
	return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

/*
 * Every step-th float in [0, 4.5] and its negative, through the loop
 * (simd or not): the worst |erf error| and the worst GELU error relative
 * to max(1, |x|), and where each is.
 */
static void
sweep(int simd, uint32_t step, double *erf_err, float *erf_at,
    double *gelu_err, float *gelu_at)
{
	static float x[CHUNK], y[CHUNK], g[CHUNK];
	uint32_t b = 0, hi;
	float top = 4.5f;
	size_t n, i;

	memcpy(&hi, &top, sizeof hi);
	*erf_err = *gelu_err = 0;
	*erf_at = *gelu_at = 0;
	while (b <= hi) {
		for (n = 0; n < CHUNK / 2 && b <= hi; n++, b += step) {
			x[2 * n] = from_bits(b);
			x[2 * n + 1] = -x[2 * n];
		}
		n *= 2;
		wh_erf_vec(x, y, n, simd);
		wh_gelu_vec(x, g, n, simd);
		for (i = 0; i < n; i++) {
			double e = fabs((double)y[i] - erf(x[i]));
			double s = fabs(x[i]) > 1 ? fabs(x[i]) : 1;
			double d = fabs((double)g[i] - gelu_ref(x[i])) / s;

			if (!(e <= *erf_err)) {
				*erf_err = e;
				*erf_at = x[i];
			}
			if (!(d <= *gelu_err)) {
				*gelu_err = d;
				*gelu_at = x[i];
			}
		}
	}
}

static void
test_sweep(void)
{
	double ee, ge;
	float ea, ga;
	int simd;

	for (simd = 0; simd <= 1; simd++) {
		/* 4.5 is float 0x40900000: about 1.8e7 values a sign */
		sweep(simd, 61, &ee, &ea, &ge, &ga);
		ok(ee <= 2e-7, "erf (%s loop) within 2e-7 of erf() on a dense "
		    "sweep of [-4.5, 4.5]: worst %.3g at %.9g",
		    simd ? "SIMD" : "baseline", ee, ea);
		ok(ge <= 2e-7, "GELU (%s loop) within 2e-7 max(1, |x|): worst "
		    "%.3g at %.9g", simd ? "SIMD" : "baseline", ge, ga);
	}
	/* every float around the branch points 1 and the cut to 1 */
	{
		static float x[CHUNK], y[CHUNK];
		double worst = 0;
		uint32_t b, c[2];
		float one = 1.0f, cut = 3.9192059f;
		int j, k;

		memcpy(&c[0], &one, sizeof c[0]);
		memcpy(&c[1], &cut, sizeof c[1]);
		for (j = 0; j < 2; j++)
			for (simd = 0; simd <= 1; simd++) {
				for (k = 0, b = c[j] - CHUNK / 2; k < CHUNK;
				    k++, b++)
					x[k] = from_bits(b);
				wh_erf_vec(x, y, CHUNK, simd);
				for (k = 0; k < CHUNK; k++) {
					double e = fabs((double)y[k] -
					    erf(x[k]));

					if (e > worst)
						worst = e;
				}
			}
		ok(worst <= 2e-7, "erf within 2e-7 on every float around 1 "
		    "and 3.92: worst %.3g", worst);
	}
}

static void
test_special(void)
{
	float x[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f,
	    3.4028235e38f, 7.0f, -7.0f, 1e-30f, 1e-40f, -1e-40f };
	size_t n = sizeof x / sizeof x[0], k;
	float y[sizeof x / sizeof x[0]], g[sizeof x / sizeof x[0]];
	int simd, bad;

	for (simd = 0; simd <= 1; simd++) {
		wh_erf_vec(x, y, n, simd);
		wh_gelu_vec(x, g, n, simd);
		ok(y[0] == 0 && !signbit(y[0]) && y[1] == 0 && signbit(y[1]),
		    "erf(+-0) = +-0 (%s)", simd ? "SIMD" : "baseline");
		ok(y[2] == 1 && y[3] == -1 && y[5] == 1 && y[6] == -1 &&
		    y[7] == 1 && y[8] == 1 && y[9] == -1,
		    "erf(+-inf) and erf of large |x| = +-1 (%s)",
		    simd ? "SIMD" : "baseline");
		ok(isnan(y[4]) && isnan(g[4]), "erf(NaN) and GELU(NaN) are NaN "
		    "(%s)", simd ? "SIMD" : "baseline");
		bad = 0;
		for (k = 10; k < n; k++)
			if (fabs((double)y[k] - erf(x[k])) > 1e-6 * fabs(x[k]) + 2e-45)
				bad++;
		ok(bad == 0, "erf of tiny and subnormal x is 2x/sqrt(pi) (%s)",
		    simd ? "SIMD" : "baseline");
		ok(g[2] == INFINITY && g[5] == 1e30f && g[6] == 0 &&
		    g[8] == 7.0f && g[9] == 0 && g[0] == 0,
		    "GELU(inf) = inf, x for large x, 0 for large -x (%s)",
		    simd ? "SIMD" : "baseline");
	}
}

/* Sigmoid on every 97th float in [-100, 100], relative to 1 / (1 + e^-x)
 * where that is above 1e-37, and its special values. */
static void
test_sigmoid(void)
{
	static float x[CHUNK], y[CHUNK];
	float sp[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 100, -100 }, so[7];
	uint32_t b, top, s;
	float hundred = 100.0f;
	int simd;
	size_t n, i;

	memcpy(&top, &hundred, sizeof top);
	for (simd = 0; simd <= 1; simd++) {
		double worst = 0;
		float at = 0;

		for (s = 0; s <= 1; s++)
			for (b = 0; b <= top;) {
				for (n = 0; n < CHUNK && b <= top; n++, b += 97)
					x[n] = from_bits(b | s << 31);
				wh_sigmoid_vec(x, y, n, simd);
				for (i = 0; i < n; i++) {
					double r = 1 / (1 + exp(-(double)x[i]));
					double e = fabs((double)y[i] - r) / r;

					if (r > 1e-37 && !(e <= worst)) {
						worst = e;
						at = x[i];
					}
				}
			}
		ok(worst <= 3 * 5.97e-8, "sigmoid (%s loop) within 3 ulps on "
		    "[-100, 100]: worst %.3g at %.9g", simd ? "SIMD" :
		    "baseline", worst, at);
		wh_sigmoid_vec(sp, so, 7, simd);
		ok(so[0] == 0.5f && so[1] == 0.5f && so[2] == 1 &&
		    so[3] >= 0 && so[3] < 1e-37f && isnan(so[4]) &&
		    so[5] == 1 && so[6] < 1e-37f, "sigmoid of +-0, +-inf, NaN "
		    "and +-100 (%s)", simd ? "SIMD" : "baseline");
	}
}

/* exp on [-87, 0] (softmax's range, x - max) and up to 88, every 97th
 * float, against exp() in double; NaN and the clamped ends. */
static void
test_exp(void)
{
	static float x[CHUNK], y[CHUNK];
	float sp[] = { 0.0f, NAN, -INFINITY, INFINITY, -1000, 1000 }, so[6];
	uint32_t b, top[2], s;
	float lim[2] = { 88.0f, 87.0f };
	int simd, bad;
	size_t n, i;

	memcpy(&top[0], &lim[0], sizeof top[0]);
	memcpy(&top[1], &lim[1], sizeof top[1]);
	for (simd = 0; simd <= 1; simd++) {
		double worst = 0;
		float at = 0;

		for (s = 0; s <= 1; s++)
			for (b = 0; b <= top[s];) {
				for (n = 0; n < CHUNK && b <= top[s]; n++, b += 97)
					x[n] = from_bits(b | s << 31);
				wh_exp_vec(x, y, n, simd);
				for (i = 0; i < n; i++) {
					double r = exp((double)x[i]);
					double e = fabs((double)y[i] - r) / r;

					if (r > 1.2e-38 && !(e <= worst)) {
						worst = e;
						at = x[i];
					}
				}
			}
		ok(worst <= 3 * 5.97e-8, "exp (%s loop) within 3 ulps on "
		    "[-87, 88]: worst %.3g at %.9g", simd ? "SIMD" : "baseline",
		    worst, at);
		wh_exp_vec(sp, so, 6, simd);
		bad = !(so[0] == 1 && isnan(so[1]) && so[2] >= 0 &&
		    so[2] < 2e-38f && so[3] > 1e38f && so[4] < 2e-38f &&
		    so[5] > 1e38f);
		ok(!bad, "exp of 0, NaN, -inf, inf and +-1000 (%s)", simd ?
		    "SIMD" : "baseline");
	}
}

/* The baseline loop computes what the scalar functions do, element for
 * element, so that a folded constant and a computed activation agree. */
static void
test_scalar(void)
{
	float x[1000], y[1000], g[1000], sg[1000];
	int k, bad = 0;

	for (k = 0; k < 1000; k++)
		x[k] = 0.1f + 2 * cosf((float)k) * (float)(k % 7);
	wh_erf_vec(x, y, 1000, 0);
	wh_gelu_vec(x, g, 1000, 0);
	wh_sigmoid_vec(x, sg, 1000, 0);
	for (k = 0; k < 1000; k++)
		if (y[k] != wh_erf(x[k]) || g[k] != wh_gelu(x[k]) ||
		    sg[k] != wh_sigmoid(x[k]))
			bad++;
	ok(bad == 0, "the baseline loops equal wh_erf, wh_gelu and "
	    "wh_sigmoid (%d differ)", bad);
}

int
main(void)
{
	test_sweep();
	test_special();
	test_sigmoid();
	test_exp();
	test_scalar();
	return tap_done();
}
