/* test-lowrank.c - truncated SVD factors, products and the spatial view */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "tap.h"

/* Deterministic values in [-1, 1) with no low-rank structure. */
static void
fill_rand(float *w, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		w[i] = (float)(seed >> 8) / 8388608.0f - 1;
	}
}

static double
frob_diff(const float *a, const float *b, size_t n)
{
	double e = 0;
	size_t i;

	for (i = 0; i < n; i++)
		e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
	return sqrt(e);
}

static void
test_truncation(int64_t m, int64_t n)
{
	const int ranks[] = { 1, 5, 10, 20, 29, 30 };
	int64_t k = m < n ? m : n;
	float *w, *uf, *s, *vf, *u, *vt, *p, *pr;
	double norm = 0;
	size_t i, j;
	char *err = NULL;

	w = malloc((size_t)(m * n) * sizeof *w);
	uf = malloc((size_t)(m * k) * sizeof *uf);
	s = malloc((size_t)k * sizeof *s);
	vf = malloc((size_t)(k * n) * sizeof *vf);
	u = malloc((size_t)(m * k) * sizeof *u);
	vt = malloc((size_t)(k * n) * sizeof *vt);
	p = malloc((size_t)(m * n) * sizeof *p);
	pr = malloc((size_t)(m * n) * sizeof *pr);
	fill_rand(w, (size_t)(m * n), 42);
	for (i = 0; i < (size_t)(m * n); i++)
		norm += (double)w[i] * w[i];
	norm = sqrt(norm);

	ok(wh_svd(w, m, n, uf, s, vf, &err) == 0, "svd %lldx%lld: runs",
	    (long long)m, (long long)n);
	for (i = 1; i < (size_t)k; i++)
		if (!(s[i] <= s[i - 1] && s[i] >= 0))
			break;
	ok(i == (size_t)k, "svd %lldx%lld: singular values non-negative, "
	    "descending (%.3f .. %.3f)", (long long)m, (long long)n,
	    (double)s[0], (double)s[k - 1]);

	for (j = 0; j < sizeof ranks / sizeof *ranks; j++) {
		int r = ranks[j];
		double dropped = 0, got;
		int64_t t;

		wh_lowrank_split(uf, s, vf, m, n, (int)k, r, u, vt);
		wh_lowrank_product(u, vt, m, n, r, p);
		wh_lowrank_product_ref(u, vt, m, n, r, pr);
		for (t = r; t < k; t++)
			dropped += (double)s[t] * s[t];
		dropped = sqrt(dropped);
		got = frob_diff(w, p, (size_t)(m * n));
		if (r < k)
			ok(fabs(got - dropped) <= 1e-4 * dropped,
			    "svd %lldx%lld rank %d: ||w - u vt|| %.7f == ||dropped s|| "
			    "%.7f", (long long)m, (long long)n, r, got, dropped);
		else
			ok(got <= 1e-5 * norm, "svd %lldx%lld full rank %d reconstructs "
			    "(||w - u vt|| %.3g, ||w|| %.3g)", (long long)m,
			    (long long)n, r, got, norm);
		ok(frob_diff(p, pr, (size_t)(m * n)) <= 1e-5 * norm,
		    "rank %d: sgemm product == reference product", r);
	}

	{
		/* balanced: column j of u and row j of vt both have norm^2 s_j */
		double worst = 0;
		int r = 10;
		int64_t a, b;

		wh_lowrank_split(uf, s, vf, m, n, (int)k, r, u, vt);
		for (b = 0; b < r; b++) {
			double cu = 0, rv = 0;

			for (a = 0; a < m; a++)
				cu += (double)u[a * r + b] * u[a * r + b];
			for (a = 0; a < n; a++)
				rv += (double)vt[b * n + a] * vt[b * n + a];
			worst = fmax(worst, fabs(cu - s[b]) / s[b]);
			worst = fmax(worst, fabs(rv - s[b]) / s[b]);
		}
		ok(worst < 1e-5, "balanced split: ||u_j||^2 == ||vt_j||^2 == s_j "
		    "(worst relative %.2g)", worst);
	}
	{
		float *u2 = malloc((size_t)(m * 7) * sizeof *u2);
		float *v2 = malloc((size_t)(7 * n) * sizeof *v2);
		int rc;

		wh_lowrank_split(uf, s, vf, m, n, (int)k, 7, u, vt);
		rc = wh_lowrank(w, m, n, 7, u2, v2, NULL);
		ok(rc == 0 &&
		    memcmp(u, u2, (size_t)(m * 7) * sizeof *u) == 0 &&
		    memcmp(vt, v2, (size_t)(7 * n) * sizeof *vt) == 0,
		    "wh_lowrank == wh_svd + wh_lowrank_split");
		rc = wh_lowrank(w, m, n, (int)k + 1, u2, v2, &err);
		ok(rc == -1 && err != NULL, "rank above min(m, n) refused (%s)",
		    err ? err : "no message");
		free(err);
		free(u2);
		free(v2);
	}
	free(w);
	free(uf);
	free(s);
	free(vf);
	free(u);
	free(vt);
	free(p);
	free(pr);
}

/* Valid cross-correlation of in: (cin, H, W) with w: (out, cin, kh, kw). */
static void
conv(const float *in, int cin, int h, int wd, const float *w, int out, int kh,
    int kw, float *y)
{
	int oh = h - kh + 1, ow = wd - kw + 1, o, i, j, c, a, b;

	for (o = 0; o < out; o++)
		for (i = 0; i < oh; i++)
			for (j = 0; j < ow; j++) {
				double acc = 0;

				for (c = 0; c < cin; c++)
					for (a = 0; a < kh; a++)
						for (b = 0; b < kw; b++)
							acc += (double)w[((o * cin + c) * kh + a) * kw + b] *
							    in[(c * h + i + a) * wd + j + b];
				y[(o * oh + i) * ow + j] = (float)acc;
			}
}

static void
test_spatial(void)
{
	enum { OUT = 4, CIN = 3, KH = 3, KW = 5, H = 7, W = 9 };
	float w[OUT * CIN * KH * KW], ws[OUT * KH * CIN * KW], back[sizeof w / sizeof *w];
	float in[CIN * H * W], ref[OUT * (H - KH + 1) * (W - KW + 1)];
	float t[sizeof ref / sizeof *ref], y2[sizeof ref / sizeof *ref];
	float *u, *vt, *w1, *w2;
	int r = OUT * KH < CIN * KW ? OUT * KH : CIN * KW;	/* 12 */
	int o, c, y, x, j, pass = 1;
	struct wh_layer l;

	fill_rand(w, sizeof w / sizeof *w, 9);
	wh_spatial_from_conv(w, OUT, CIN, KH, KW, ws);
	wh_spatial_to_conv(ws, OUT, CIN, KH, KW, back);
	ok(memcmp(w, back, sizeof w) == 0, "spatial: round trip is exact");
	for (o = 0; o < OUT; o++)
		for (c = 0; c < CIN; c++)
			for (y = 0; y < KH; y++)
				for (x = 0; x < KW; x++)
					pass &= ws[(o * KH + y) * (CIN * KW) + c * KW + x] ==
					    w[((o * CIN + c) * KH + y) * KW + x];
	ok(pass && ws[(2 * KH + 2) * (CIN * KW) + 1 * KW + 3] ==
	    w[((2 * CIN + 1) * KH + 2) * KW + 3],
	    "spatial: ws[o*kh + y][c*kw + x] == w[o][c][y][x]");

	/* full-rank factors run as a 1 x kw conv then a kh x 1 conv equal
	 * the original conv */
	u = malloc((size_t)(OUT * KH * r) * sizeof *u);
	vt = malloc((size_t)(r * CIN * KW) * sizeof *vt);
	ok(wh_lowrank(ws, OUT * KH, CIN * KW, r, u, vt, NULL) == 0,
	    "spatial: factor (12, 15) at rank 12");
	fill_rand(in, sizeof in / sizeof *in, 5);
	conv(in, CIN, H, W, w, OUT, KH, KW, ref);
	/* first conv: vt read as (r, cin, 1, kw) */
	w1 = malloc((size_t)r * (H) * (W - KW + 1) * sizeof *w1);
	conv(in, CIN, H, W, vt, r, 1, KW, w1);
	/* second conv: W2[o][j][y][0] = u[o*kh + y][j] */
	w2 = malloc((size_t)(OUT * r * KH) * sizeof *w2);
	for (o = 0; o < OUT; o++)
		for (j = 0; j < r; j++)
			for (y = 0; y < KH; y++)
				w2[(o * r + j) * KH + y] = u[(o * KH + y) * r + j];
	conv(w1, r, H, W - KW + 1, w2, OUT, KH, 1, y2);
	memset(t, 0, sizeof t);
	ok(frob_diff(ref, y2, sizeof ref / sizeof *ref) <= 1e-5 *
	    frob_diff(ref, t, sizeof ref / sizeof *ref),
	    "spatial: 1 x kw conv to r channels, then kh x 1 conv == the "
	    "original conv (diff %.3g)",
	    frob_diff(ref, y2, sizeof ref / sizeof *ref));
	free(u);
	free(vt);
	free(w1);
	free(w2);

	memset(&l, 0, sizeof l);
	l.name = "conv";
	l.kind = WH_LAYER_CONV;
	l.out = OUT;
	l.cin = CIN;
	l.kh = KH;
	l.kw = KW;
	l.in = CIN * KH * KW;
	l.group = 1;
	l.max_rank = OUT;
	ok(wh_lowrank_max_rank(&l, 0) == 4 && wh_lowrank_max_rank(&l, 1) == 12,
	    "max rank: 4 plain, 12 spatial");
	l.group = 2;
	ok(wh_lowrank_max_rank(&l, 1) == 0, "max rank: no spatial view for groups");
	l.group = 1;
	l.kind = WH_LAYER_GEMM;
	ok(wh_lowrank_max_rank(&l, 1) == 0, "max rank: no spatial view for Gemm");
}

static void
test_errors(void)
{
	float w[6] = { 1, 2, 3, INFINITY, 5, 6 }, u[6], s[2], vt[6];
	char *err = NULL;
	int rc = wh_svd(w, 2, 3, u, s, vt, &err);

	ok(rc == -1 && err != NULL && strstr(err, "non-finite") != NULL,
	    "svd: infinity refused (%s)", err ? err : "no message");
	free(err);
}

int
main(void)
{
	test_truncation(40, 30);
	test_truncation(30, 40);
	test_spatial();
	test_errors();
	return tap_done();
}
