/* kernel-math.c - math in loops the compiler vectorizes: erf, the erf
 * form of GELU and the sigmoid, each element computed from polynomials
 * with selects instead of branches (libm's erff and expf are a call per
 * element), and the row sums of LayerNorm and the reductions.
 * One loop body, compiled for the baseline instruction set and again for
 * AVX2 with FMA, which the first call picks when the CPU has them. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "op.h"

/*
 * erf(x) for one float, to within 1.5e-7 of the true value (test-kernel-math
 * checks every float in [0, 4.5]):
 *   |x| < 1:     x P(x^2), P the degree-6 near-minimax (Chebyshev) fit of
 *                erf(s) / s in s^2 on [0, 1];
 *   1 <= |x|:    1 - Q(|x| - C), Q the degree-14 fit of erfc on
 *                [1, 3.9375] centred at C; erfc is small there, so Q's
 *                rounding errors are too;
 *   |x| >= CUT:  1, where erfc(x) < 2^-25 and erf(x) rounds to 1.
 * The sign comes back with copysign; NaN stays NaN.  erf_parts hands back
 * |x|, erf(|x|) by P and erfc(|x|) by Q; GELU needs 1 + erf(x) without the
 * cancellation near -1, which erfc gives.  Both parts are computed and
 * then selected: the compiler vectorizes no arithmetic inside a select,
 * as it might trap.
 */
#define ERF_C 2.46875f
#define ERF_CUT 3.9192059f

/* a b + c: one rounding where the loop is compiled for FMA (ISO C mode
 * keeps GCC from contracting a b + c by itself), else two */
static inline __attribute__((always_inline)) float
madd(float a, float b, float c, int fused)
{
	return fused ? fmaf(a, b, c) : a * b + c;
}

static inline __attribute__((always_inline)) float
erf_parts(float x, float *small, float *big, int fused)
{
	float a = fabsf(x), u = x * x, t, p, q;

	p = 7.875874871e-05f;
	p = madd(p, u, -8.016864303e-04f, fused);
	p = madd(p, u, 5.189087242e-03f, fused);
	p = madd(p, u, -2.685421146e-02f, fused);
	p = madd(p, u, 1.128359437e-01f, fused);
	p = madd(p, u, -3.761262596e-01f, fused);
	p = madd(p, u, 1.128379107e+00f, fused);
	t = (a < ERF_CUT ? a : ERF_CUT) - ERF_C;
	q = -1.050337914e-06f;
	q = madd(q, t, -1.808845980e-07f, fused);
	q = madd(q, t, 1.700787834e-05f, fused);
	q = madd(q, t, -2.320132808e-05f, fused);
	q = madd(q, t, -7.728914352e-05f, fused);
	q = madd(q, t, 2.936681267e-04f, fused);
	q = madd(q, t, -3.336766677e-04f, fused);
	q = madd(q, t, -4.843693750e-04f, fused);
	q = madd(q, t, 2.909050090e-03f, fused);
	q = madd(q, t, -6.645547226e-03f, fused);
	q = madd(q, t, 9.619819932e-03f, fused);
	q = madd(q, t, -9.490762837e-03f, fused);
	q = madd(q, t, 6.280957256e-03f, fused);
	q = madd(q, t, -2.544105519e-03f, fused);
	q = madd(q, t, 4.806047073e-04f, fused);
	*small = a * p;		/* erf(|x|) for |x| < 1 */
	*big = a >= ERF_CUT ? 0.0f : q;	/* erfc(|x|) for |x| >= 1 */
	return a;
}

static inline __attribute__((always_inline)) float
erf1(float x, int fused)
{
	float s, b, a = erf_parts(x, &s, &b, fused), one_b = 1.0f - b;
	float r = a < 1.0f ? s : one_b;

	return x != x ? x : copysignf(r, x);
}

/* 0.5 x (1 + erf(x / sqrt 2)), where 1 + erf(z) for z <= -1 is erfc(-z)
 * itself rather than a difference of nearly equal numbers */
static inline __attribute__((always_inline)) float
gelu1(float x, int fused)
{
	float z = x * (float)M_SQRT1_2, s, b, a = erf_parts(z, &s, &b, fused);
	float lo = 1.0f - s, hi = 1.0f + s, two_b = 2.0f - b, h, y;

	h = a < 1.0f ? (z < 0 ? lo : hi) : (z < 0 ? b : two_b);
	y = 0.5f * x * h;
	return x != x ? x : y;
}

/*
 * exp(v) for one float, within 2 ulps where the result is normal (NaN
 * stays NaN, and is never converted to an integer): v is
 * clamped to [-87, 88] (beyond them the result is 0 or inf for every use
 * here, up to a value below 2^-125 or above 2^126), split as n ln 2 + r with
 * |r| <= ln 2 / 2 in two steps (ln 2's high part exact in float), e^r by
 * its Taylor polynomial to degree 7, and 2^n put into the exponent bits.
 */
static inline __attribute__((always_inline)) float
exp1(float v, int fused)
{
	const float shifter = 12582912.0f;	/* 1.5 * 2^23: rounds to int */
	float n, r, p, sc, v0 = v;
	int32_t bits;

	v = v < -87.0f ? -87.0f : v;
	v = v > 88.0f ? 88.0f : v;
	v = v0 != v0 ? 0.0f : v;	/* NaN: never converted to int */
	n = madd(v, 1.44269504f, shifter, fused) - shifter;
	r = madd(n, -0.693145752f, v, fused);
	r = madd(n, -1.42860677e-6f, r, fused);
	p = 1.98412698e-4f;
	p = madd(p, r, 1.38888889e-3f, fused);
	p = madd(p, r, 8.33333333e-3f, fused);
	p = madd(p, r, 4.16666667e-2f, fused);
	p = madd(p, r, 1.66666667e-1f, fused);
	p = madd(p, r, 0.5f, fused);
	p = madd(p, r, 1.0f, fused);
	p = madd(p, r, 1.0f, fused);
	bits = ((int32_t)n + 127) << 23;
	memcpy(&sc, &bits, sizeof sc);
	return v0 != v0 ? v0 : p * sc;
}

/* 1 / (1 + exp(-x)); NaN stays NaN (the clamps would lose it) */
static inline __attribute__((always_inline)) float
sigmoid1(float x, int fused)
{
	float y = 1.0f / (1.0f + exp1(-x, fused));

	return x != x ? x : y;
}

float
wh_erf(float x)
{
	return erf1(x, 0);
}

float
wh_gelu(float x)
{
	return gelu1(x, 0);
}

float
wh_sigmoid(float x)
{
	return sigmoid1(x, 0);
}

static inline __attribute__((always_inline)) float
silu1(float x, int fused)
{
	return x * sigmoid1(x, fused);
}

#if defined(__x86_64__) && defined(__GNUC__)
static int
have_avx2(void)
{
	static int known = -1;	/* a race writes the same value */

	if (known < 0) {
		__builtin_cpu_init();
		known = __builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("fma");
	}
	return known;
}
#define AVX2_LOOP(name)							\
static __attribute__((target("avx2,fma"))) void				\
name##_loop_avx2(const float *x, float *y, size_t n)			\
{									\
	size_t k;							\
									\
	for (k = 0; k < n; k++)						\
		y[k] = name##1(x[k], 1);				\
}
#else
static int
have_avx2(void)
{
	return 0;
}
#define AVX2_LOOP(name)							\
static void								\
name##_loop_avx2(const float *x, float *y, size_t n)			\
{									\
	name##_loop_base(x, y, n);					\
}
#endif

/*
 * wh_NAME_vec: NAME1 over an array, in a loop built twice, for any x86-64
 * and with AVX2 and FMA, the second taken when simd asks and the CPU has
 * them.
 */
#define VEC(name)							\
static void								\
name##_loop_base(const float *x, float *y, size_t n)			\
{									\
	size_t k;							\
									\
	for (k = 0; k < n; k++)						\
		y[k] = name##1(x[k], 0);				\
}									\
AVX2_LOOP(name)								\
void									\
wh_##name##_vec(const float *x, float *y, size_t n, int simd)		\
{									\
	if (simd && have_avx2())					\
		name##_loop_avx2(x, y, n);				\
	else								\
		name##_loop_base(x, y, n);				\
}

VEC(erf)
VEC(gelu)
VEC(sigmoid)
VEC(silu)
VEC(exp)

/*
 * The sum of x[0 .. m) (the squares of x - mean when sq) in double, in
 * eight running sums that the compiler keeps in vector registers.
 */
double
wh_row_sum(const float *x, int64_t m, int sq, double mean)
{
	double acc[8] = { 0 }, s = 0;
	int64_t i = 0;
	int j;

	if (sq)
		for (; i + 8 <= m; i += 8)
			for (j = 0; j < 8; j++)
				acc[j] += ((double)x[i + j] - mean) *
				    ((double)x[i + j] - mean);
	else
		for (; i + 8 <= m; i += 8)
			for (j = 0; j < 8; j++)
				acc[j] += (double)x[i + j];
	for (; i < m; i++)
		s += sq ? ((double)x[i] - mean) * ((double)x[i] - mean) :
		    (double)x[i];
	for (j = 0; j < 8; j++)
		s += acc[j];
	return s;
}
