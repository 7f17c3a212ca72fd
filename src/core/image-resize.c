/* image-resize.c - torchvision's evaluation transforms on 8-bit images:
 * Resize (Pillow's bilinear resampling), CenterCrop */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/image.h"
#include "whittle/util.h"

/* Pillow's fixed point for 8-bit images: 32 - 8 - 2 bits of fraction. */
#define PRECISION_BITS	22

static double
triangle(double x)
{
	if (x < 0)
		x = -x;
	return x < 1 ? 1 - x : 0;
}

/*
 * Weights for resampling insize samples to outsize: output sample i reads
 * inputs bounds[2i] .. bounds[2i] + bounds[2i+1] - 1 with weights
 * k[i * ksize ..], as Pillow's precompute_coeffs and normalize_coeffs_8bpc
 * compute them.  Returns ksize; *kp and *bp are new arrays.
 */
static int
coeffs(int insize, int outsize, int32_t **kp, int **bp)
{
	double scale = (double)insize / outsize, fscale, support, center, ww, ss;
	double *kd;
	int ksize, i, x, xmin, xmax;
	int32_t *k;
	int *b;

	fscale = scale < 1.0 ? 1.0 : scale;
	support = 1.0 * fscale;
	ksize = (int)ceil(support) * 2 + 1;
	kd = xcalloc((size_t)outsize * (size_t)ksize, sizeof *kd);
	k = xcalloc((size_t)outsize * (size_t)ksize, sizeof *k);
	b = xcalloc((size_t)outsize * 2, sizeof *b);
	for (i = 0; i < outsize; i++) {
		double *w = kd + (size_t)i * (size_t)ksize;

		center = (i + 0.5) * scale;
		ww = 0.0;
		ss = 1.0 / fscale;
		xmin = (int)(center - support + 0.5);
		if (xmin < 0)
			xmin = 0;
		xmax = (int)(center + support + 0.5);
		if (xmax > insize)
			xmax = insize;
		xmax -= xmin;
		for (x = 0; x < xmax; x++) {
			w[x] = triangle((x + xmin - center + 0.5) * ss);
			ww += w[x];
		}
		for (x = 0; x < xmax; x++)
			if (ww != 0.0)
				w[x] /= ww;
		for (x = 0; x < ksize; x++) {
			double v = w[x] * (1 << PRECISION_BITS);

			k[(size_t)i * (size_t)ksize + (size_t)x] =
			    (int32_t)(v < 0 ? -0.5 + v : 0.5 + v);
		}
		b[2 * i] = xmin;
		b[2 * i + 1] = xmax;
	}
	free(kd);
	*kp = k;
	*bp = b;
	return ksize;
}

static unsigned char
clip8(int64_t v)
{
	v >>= PRECISION_BITS;
	return v < 0 ? 0 : v > 255 ? 255 : (unsigned char)v;
}

/* in: (h, w, c) -> out: (h, ow, c) */
static void
pass_h(const unsigned char *in, int w, int h, int c, int ow,
    unsigned char *out)
{
	int32_t *k;
	int *b, ks, x, y, ch, i;

	ks = coeffs(w, ow, &k, &b);
	for (y = 0; y < h; y++)
		for (x = 0; x < ow; x++) {
			const int32_t *kk = k + (size_t)x * (size_t)ks;
			const unsigned char *row = in + (size_t)y * w * c;

			for (ch = 0; ch < c; ch++) {
				int64_t s = 1 << (PRECISION_BITS - 1);

				for (i = 0; i < b[2 * x + 1]; i++)
					s += (int64_t)row[(size_t)(b[2 * x] + i) *
					    c + ch] * kk[i];
				out[((size_t)y * ow + x) * c + ch] = clip8(s);
			}
		}
	free(k);
	free(b);
}

/* in: (h, w, c) -> out: (oh, w, c) */
static void
pass_v(const unsigned char *in, int w, int h, int c, int oh,
    unsigned char *out)
{
	int32_t *k;
	int *b, ks, x, y, ch, i;
	size_t stride = (size_t)w * c;

	ks = coeffs(h, oh, &k, &b);
	for (y = 0; y < oh; y++) {
		const int32_t *kk = k + (size_t)y * (size_t)ks;

		for (x = 0; x < w; x++)
			for (ch = 0; ch < c; ch++) {
				int64_t s = 1 << (PRECISION_BITS - 1);

				for (i = 0; i < b[2 * y + 1]; i++)
					s += (int64_t)in[(size_t)(b[2 * y] + i) *
					    stride + (size_t)x * c + ch] * kk[i];
				out[(size_t)y * stride + (size_t)x * c + ch] =
				    clip8(s);
			}
	}
	free(k);
	free(b);
}

void
wh_image_resize(const struct wh_image *in, int w, int h, struct wh_image *out)
{
	unsigned char *tmp = NULL;
	const unsigned char *src = in->px;

	out->w = w;
	out->h = h;
	out->c = in->c;
	out->px = xmalloc((size_t)w * (size_t)h * (size_t)in->c);
	if (w == in->w && h == in->h) {
		memcpy(out->px, in->px, (size_t)w * h * in->c);
		return;
	}
	/* Pillow: horizontal first, then vertical; each only when needed. */
	if (w != in->w) {
		if (h == in->h) {
			pass_h(in->px, in->w, in->h, in->c, w, out->px);
			return;
		}
		tmp = xmalloc((size_t)w * (size_t)in->h * (size_t)in->c);
		pass_h(in->px, in->w, in->h, in->c, w, tmp);
		src = tmp;
	}
	pass_v(src, w, in->h, in->c, h, out->px);
	free(tmp);
}

void
wh_image_resize_short(const struct wh_image *in, int size,
    struct wh_image *out)
{
	int w = in->w, h = in->h;
	int s = w <= h ? w : h, l = w <= h ? h : w, nl;

	if (s == size) {
		wh_image_resize(in, w, h, out);
		return;
	}
	/* torchvision: int(size * long / short), in double precision */
	nl = (int)((double)size * l / s);
	if (w <= h)
		wh_image_resize(in, size, nl, out);
	else
		wh_image_resize(in, nl, size, out);
}

/* Python's round(d / 2.0) for an integer d: halves go to even. */
static int
half_even(int d)
{
	int q = d / 2;

	if (d % 2 == 0)
		return q;
	return q % 2 == 0 ? q : q + 1;
}

void
wh_image_center_crop(const struct wh_image *in, int w, int h,
    struct wh_image *out)
{
	int top, left, y, x0, x1, sy;
	size_t c = (size_t)in->c;

	out->w = w;
	out->h = h;
	out->c = in->c;
	out->px = xcalloc((size_t)w * (size_t)h, c);
	/*
	 * torchvision pads a smaller image by ((W' - W) // 2, ...) first and
	 * then crops from the middle; both come to a negative offset here.
	 */
	top = h > in->h ? -((h - in->h) / 2) : half_even(in->h - h);
	left = w > in->w ? -((w - in->w) / 2) : half_even(in->w - w);
	x0 = left < 0 ? -left : 0;
	x1 = in->w - left < w ? in->w - left : w;
	for (y = 0; y < h; y++) {
		sy = y + top;
		if (sy < 0 || sy >= in->h || x1 <= x0)
			continue;
		memcpy(out->px + ((size_t)y * w + x0) * c, in->px +
		    ((size_t)sy * in->w + x0 + left) * c, (size_t)(x1 - x0) * c);
	}
}
