/* tensor.c - element counts, copies and 16-bit float conversions */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/tensor.h"
#include "whittle/util.h"

int
wh_tensor_count(const int64_t *dims, int ndim, size_t *count)
{
	size_t n = 1;
	int i;

	if (ndim < 0 || ndim > WH_MAX_DIMS)
		return -1;
	for (i = 0; i < ndim; i++) {
		if (dims[i] < 0)
			return -1;
		if ((uint64_t)dims[i] > SIZE_MAX)
			return -1;
		if (wh_mul_size(n, (size_t)dims[i], &n) != 0)
			return -1;
	}
	*count = n;
	return 0;
}

void
wh_tensor_release(struct wh_tensor *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->f);
	free(t->i);
	memset(t, 0, sizeof *t);
}

void
wh_tensor_copy(struct wh_tensor *dst, const struct wh_tensor *src)
{
	size_t n = src->count ? src->count : 1;

	*dst = *src;
	dst->name = src->name != NULL ? xstrdup(src->name) : NULL;
	dst->f = NULL;
	dst->i = NULL;
	if (src->f != NULL) {
		dst->f = xreallocarray(NULL, n, sizeof *dst->f);
		memcpy(dst->f, src->f, src->count * sizeof *dst->f);
	}
	if (src->i != NULL) {
		dst->i = xreallocarray(NULL, n, sizeof *dst->i);
		memcpy(dst->i, src->i, src->count * sizeof *dst->i);
	}
}

const char *
wh_dims_str(const int64_t *dims, int ndim, char *buf, size_t size)
{
	size_t off = 0;
	int i, r;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (ndim < 0 || ndim > WH_MAX_DIMS) {
		snprintf(buf, size, "(?)");
		return buf;
	}
	r = snprintf(buf, size, "(");
	off = r < 0 ? size : (size_t)r;
	for (i = 0; i < ndim && off < size; i++) {
		r = snprintf(buf + off, size - off, "%s%lld", i ? ", " : "",
		    (long long)dims[i]);
		off += r < 0 ? size : (size_t)r;
	}
	if (off < size)
		snprintf(buf + off, size - off, ")");
	return buf;
}

static float
bits_to_float(uint32_t x)
{
	float f;

	memcpy(&f, &x, sizeof f);
	return f;
}

static uint32_t
float_to_bits(float f)
{
	uint32_t x;

	memcpy(&x, &f, sizeof x);
	return x;
}

/* half: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
float
wh_half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f;
	uint32_t mant = h & 0x3ff;

	if (exp == 0x1f)			/* inf, nan: keep the payload */
		return bits_to_float(sign | 0x7f800000 | (mant << 13));
	if (exp != 0)				/* normal */
		return bits_to_float(sign | ((exp + 112) << 23) | (mant << 13));
	if (mant == 0)
		return bits_to_float(sign);
	/* Subnormal: mant * 2^-24; normalise into a float32 normal. */
	exp = 113;
	while ((mant & 0x400) == 0) {
		mant <<= 1;
		exp--;
	}
	mant &= 0x3ff;
	return bits_to_float(sign | (exp << 23) | (mant << 13));
}

uint16_t
wh_float_to_half(float f)
{
	uint32_t x = float_to_bits(f);
	uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
	uint32_t exp = (x >> 23) & 0xff;
	uint32_t mant = x & 0x7fffff;
	uint32_t rem, halfway, shift, h;
	int e;

	if (exp == 0xff) {
		if (mant == 0)
			return sign | 0x7c00;
		/* Quiet nan, keeping the top payload bits. */
		return (uint16_t)(sign | 0x7e00 | (mant >> 13));
	}
	e = (int)exp - 127 + 15;
	if (e >= 0x1f)
		return sign | 0x7c00;
	if (e <= 0) {
		/*
		 * Subnormal half, in units of 2^-24.  Below 2^-25 everything
		 * rounds to zero (float32 subnormals included).
		 */
		if (e < -10)
			return sign;
		mant |= 0x800000;
		shift = (uint32_t)(14 - e);	/* 14 .. 24 */
		h = mant >> shift;
		rem = mant & ((1u << shift) - 1);
		halfway = 1u << (shift - 1);
		if (rem > halfway || (rem == halfway && (h & 1)))
			h++;		/* may carry into the first normal */
		return (uint16_t)(sign | h);
	}
	h = ((uint32_t)e << 10) | (mant >> 13);
	rem = mant & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++;			/* may carry up to inf, rightly */
	return (uint16_t)(sign | h);
}

/* bfloat16: the top half of a float32. */
float
wh_bf16_to_float(uint16_t h)
{
	return bits_to_float((uint32_t)h << 16);
}

uint16_t
wh_float_to_bf16(float f)
{
	uint32_t x = float_to_bits(f);

	if ((x & 0x7f800000) == 0x7f800000 && (x & 0x7fffff) != 0)
		return (uint16_t)((x >> 16) | 0x40);	/* quiet nan */
	x += 0x7fff + ((x >> 16) & 1);
	return (uint16_t)(x >> 16);
}
