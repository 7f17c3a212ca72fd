/* test-tensor.c - element counts, copies and 16-bit float conversions */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/tensor.h"
#include "whittle/util.h"

#include "tap.h"

static uint32_t
bits(float f)
{
	uint32_t x;

	memcpy(&x, &f, sizeof x);
	return x;
}

static float
from_bits(uint32_t x)
{
	float f;

	memcpy(&f, &x, sizeof f);
	return f;
}

/*
 * Reference float -> half: try both neighbouring halves and keep the
 * nearer (the even one on a tie), computed in double.  Finite inputs only.
 */
static uint16_t
ref_half(float f)
{
	double d = fabs((double)f), best = INFINITY;
	uint16_t sign = signbit(f) ? 0x8000 : 0, h, pick = 0x7c00;

	for (h = 0; h < 0x7c00; h++) {
		double e = fabs((double)wh_half_to_float(h) - d);

		if (e < best || (e == best && (h & 1) == 0)) {
			best = e;
			pick = h;
		}
	}
	/* Beyond 65504 + half an ulp (65520) the result is inf. */
	if (d >= 65520.0)
		pick = 0x7c00;
	return sign | pick;
}

static void
test_half(void)
{
	uint32_t h, bad;
	int i;
	float f;

	ok(wh_half_to_float(0x3c00) == 1.0f, "half 0x3c00 is 1");
	ok(wh_half_to_float(0xc000) == -2.0f, "half 0xc000 is -2");
	ok(wh_half_to_float(0x7bff) == 65504.0f, "half 0x7bff is 65504");
	ok(wh_half_to_float(0x0001) == 5.960464477539063e-08f,
	    "half 0x0001 is 2^-24");
	ok(wh_half_to_float(0x03ff) == ldexpf(1023.0f, -24),
	    "half 0x03ff is the largest subnormal");
	ok(wh_half_to_float(0x0400) == ldexpf(1.0f, -14),
	    "half 0x0400 is the smallest normal");
	ok(wh_half_to_float(0x3555) == 0.333251953125f, "half 0x3555");
	ok(isinf(wh_half_to_float(0x7c00)) && wh_half_to_float(0x7c00) > 0,
	    "half 0x7c00 is +inf");
	ok(isinf(wh_half_to_float(0xfc00)) && wh_half_to_float(0xfc00) < 0,
	    "half 0xfc00 is -inf");
	ok(isnan(wh_half_to_float(0x7e00)), "half 0x7e00 is nan");
	ok(isnan(wh_half_to_float(0x7c01)), "half 0x7c01 (signalling) is nan");
	ok(bits(wh_half_to_float(0x8000)) == 0x80000000u,
	    "half -0 keeps its sign");

	ok(wh_float_to_half(1.0f) == 0x3c00, "1 to half");
	ok(wh_float_to_half(-2.0f) == 0xc000, "-2 to half");
	ok(wh_float_to_half(65504.0f) == 0x7bff, "65504 to half");
	ok(wh_float_to_half(5.960464477539063e-08f) == 0x0001,
	    "2^-24 to half 0x0001");
	ok(wh_float_to_half(-0.0f) == 0x8000, "-0 to half");
	ok(wh_float_to_half(INFINITY) == 0x7c00, "inf to half");
	ok(wh_float_to_half(-INFINITY) == 0xfc00, "-inf to half");
	h = wh_float_to_half(NAN);
	ok((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0, "nan to half stays nan");
	ok(wh_float_to_half(1e6f) == 0x7c00, "1e6 overflows to inf");
	ok(wh_float_to_half(1e-10f) == 0x0000, "1e-10 underflows to 0");
	ok(wh_float_to_half(-1e-10f) == 0x8000, "-1e-10 underflows to -0");
	ok(wh_float_to_half(from_bits(1)) == 0, "float32 subnormal to 0");

	/* Round to nearest even. */
	ok(wh_float_to_half(1.0f + ldexpf(1.0f, -11)) == 0x3c00,
	    "1 + half ulp ties to even (down)");
	ok(wh_float_to_half(1.0f + 3 * ldexpf(1.0f, -11)) == 0x3c02,
	    "1 + 1.5 ulp ties to even (up)");
	ok(wh_float_to_half(1.0f + ldexpf(1.0f, -11) + ldexpf(1.0f, -20)) ==
	    0x3c01, "just above the tie rounds up");
	ok(wh_float_to_half(65519.0f) == 0x7bff, "65519 rounds to 65504");
	ok(wh_float_to_half(65520.0f) == 0x7c00, "65520 ties up to inf");
	ok(wh_float_to_half(ldexpf(1.0f, -25)) == 0x0000,
	    "2^-25 ties to even zero");
	ok(wh_float_to_half(ldexpf(1.5f, -25)) == 0x0001,
	    "1.5 * 2^-25 rounds up to 0x0001");
	ok(wh_float_to_half(ldexpf(3.0f, -25)) == 0x0002,
	    "3 * 2^-25 ties to even 0x0002");
	ok(wh_float_to_half(ldexpf(2047.0f, -25)) == 0x0400,
	    "largest subnormal plus a half ulp carries into 0x0400");

	/* Every half survives a round trip. */
	bad = 0;
	for (h = 0; h < 0x10000; h++) {
		if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0)
			continue;		/* nans checked above */
		if (wh_float_to_half(wh_half_to_float((uint16_t)h)) != h)
			bad++;
	}
	ok(bad == 0, "all 63490 non-nan halves round trip (%u wrong)", bad);

	/* Deterministic floats against the brute-force reference. */
	bad = 0;
	for (i = 0; i < 400; i++) {
		f = (float)(0.1 + 2 * cos(i)) * ldexpf(1.0f, (i % 40) - 24);
		if (wh_float_to_half(f) != ref_half(f))
			bad++;
	}
	ok(bad == 0, "400 floats round like the reference (%u wrong)", bad);
}

static void
test_bf16(void)
{
	uint32_t h, bad;

	ok(wh_bf16_to_float(0x3f80) == 1.0f, "bf16 0x3f80 is 1");
	ok(wh_bf16_to_float(0xc000) == -2.0f, "bf16 0xc000 is -2");
	ok(wh_bf16_to_float(0x0001) == from_bits(0x00010000),
	    "bf16 0x0001 is a float32 subnormal");
	ok(isinf(wh_bf16_to_float(0x7f80)), "bf16 0x7f80 is inf");
	ok(isnan(wh_bf16_to_float(0x7fc0)), "bf16 0x7fc0 is nan");

	ok(wh_float_to_bf16(1.0f) == 0x3f80, "1 to bf16");
	ok(wh_float_to_bf16(-2.0f) == 0xc000, "-2 to bf16");
	ok(wh_float_to_bf16(INFINITY) == 0x7f80, "inf to bf16");
	h = wh_float_to_bf16(from_bits(0x7f800001));
	ok((h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0,
	    "nan with a low payload stays nan in bf16");
	ok(wh_float_to_bf16(from_bits(0x3f808000)) == 0x3f80,
	    "bf16 tie rounds to even (down)");
	ok(wh_float_to_bf16(from_bits(0x3f818000)) == 0x3f82,
	    "bf16 tie rounds to even (up)");
	ok(wh_float_to_bf16(from_bits(0x3f808001)) == 0x3f81,
	    "bf16 above the tie rounds up");
	ok(wh_float_to_bf16(from_bits(0x7f7fffff)) == 0x7f80,
	    "FLT_MAX rounds to inf in bf16");

	bad = 0;
	for (h = 0; h < 0x10000; h++) {
		if ((h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0)
			continue;
		if (wh_float_to_bf16(wh_bf16_to_float((uint16_t)h)) != h)
			bad++;
	}
	ok(bad == 0, "all non-nan bf16 values round trip (%u wrong)", bad);
}

static void
test_count(void)
{
	int64_t d[WH_MAX_DIMS] = { 256, 784 };
	int64_t big[3] = { (int64_t)1 << 40, (int64_t)1 << 40, (int64_t)1 << 40 };
	int64_t neg[2] = { 3, -1 };
	int64_t zero[2] = { 0, INT64_MAX };
	size_t n = 12345;

	ok(wh_tensor_count(d, 2, &n) == 0 && n == 200704, "256 x 784");
	ok(wh_tensor_count(d, 0, &n) == 0 && n == 1, "a scalar has one value");
	ok(wh_tensor_count(zero, 2, &n) == 0 && n == 0, "a zero dim gives 0");
	n = 7;
	ok(wh_tensor_count(big, 3, &n) == -1 && n == 7,
	    "2^120 overflows and leaves count alone");
	ok(wh_tensor_count(neg, 2, &n) == -1, "negative dim is refused");
	ok(wh_tensor_count(d, WH_MAX_DIMS + 1, &n) == -1, "too many dims");
	ok(wh_tensor_count(d, -1, &n) == -1, "negative ndim");
}

static void
test_copy(void)
{
	struct wh_tensor a, b;
	char buf[64];
	size_t k;

	memset(&a, 0, sizeof a);
	a.name = xstrdup("w");
	a.dtype = WH_FLOAT;
	a.ndim = 2;
	a.dims[0] = 2;
	a.dims[1] = 3;
	a.count = 6;
	a.f = xmalloc(6 * sizeof *a.f);
	for (k = 0; k < 6; k++)
		a.f[k] = 0.1f + 2 * cosf((float)k);

	wh_tensor_copy(&b, &a);
	ok(b.name != a.name && strcmp(b.name, "w") == 0, "copy has its own name");
	ok(b.f != a.f && memcmp(b.f, a.f, 6 * sizeof *a.f) == 0,
	    "copy has its own equal data");
	ok(b.i == NULL && b.ndim == 2 && b.dims[1] == 3 && b.count == 6,
	    "copy keeps shape and dtype");
	a.f[0] = 99;
	ok(b.f[0] != 99, "changing the original leaves the copy");
	wh_tensor_release(&a);
	ok(a.name == NULL && a.f == NULL, "release clears the struct");
	wh_tensor_release(&b);

	memset(&a, 0, sizeof a);
	a.dtype = WH_INT64;
	a.ndim = 1;
	a.dims[0] = 0;
	a.i = xmalloc(sizeof *a.i);
	wh_tensor_copy(&b, &a);
	ok(b.i != NULL && b.count == 0 && b.name == NULL,
	    "empty int64 tensor copies");
	wh_tensor_release(&a);
	wh_tensor_release(&b);

	ok(strcmp(wh_dims_str(a.dims, 0, buf, sizeof buf), "()") == 0,
	    "dims_str of a scalar");
	a.dims[0] = 256;
	a.dims[1] = 784;
	a.dims[2] = -1;
	ok(strcmp(wh_dims_str(a.dims, 3, buf, sizeof buf), "(256, 784, -1)") == 0,
	    "dims_str (256, 784, -1)");
	ok(strcmp(wh_dims_str(a.dims, 3, buf, 8), "(256, 7") == 0,
	    "dims_str truncates within the buffer");
}

int
main(void)
{
	test_half();
	test_bf16();
	test_count();
	test_copy();
	return tap_done();
}
