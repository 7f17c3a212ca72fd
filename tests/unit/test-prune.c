/* test-prune.c - magnitude, global, structured and N:M pruning */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "tap.h"

static void
fill(float *w, size_t n, float scale, int phase)
{
	size_t i;

	for (i = 0; i < n; i++)
		w[i] = scale * (0.1f + 2 * cosf((float)(i + (size_t)phase)));
}

static size_t
count_below(const float *w, size_t n, float t)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += fabsf(w[i]) < t;
	return c;
}

static void
test_sparsity(void)
{
	const float sp[] = { 0, 0.1f, 0.25f, 0.333f, 0.5f, 0.9f, 0.999f, 1 };
	enum { N = 1000 };
	float w[N], a[N], b[N];
	size_t i, s;

	fill(w, N, 1, 0);
	for (s = 0; s < sizeof sp / sizeof *sp; s++) {
		size_t want = (size_t)floor(sp[s] * (double)N + 0.5), k, z = 0;
		float maxpruned = 0, minkept = INFINITY;

		memcpy(a, w, sizeof w);
		memcpy(b, w, sizeof w);
		k = wh_prune_sparsity(a, N, sp[s]);
		wh_prune_sparsity_ref(b, N, sp[s]);
		for (i = 0; i < N; i++) {
			if (a[i] == 0) {
				z++;
				if (fabsf(w[i]) > maxpruned)
					maxpruned = fabsf(w[i]);
			} else {
				if (a[i] != w[i])
					z = (size_t)-1;	/* a kept weight changed */
				if (fabsf(w[i]) < minkept)
					minkept = fabsf(w[i]);
			}
		}
		ok(k == want && z == want, "sparsity %g: %zu of %d zeroed (want %zu)",
		    (double)sp[s], z, N, want);
		/* <=: 0.1 + 2 cos(i) is 2.0999999 at i = 0 and at i = 710 */
		ok(z == 0 || z == N || maxpruned <= minkept,
		    "sparsity %g: every kept |w| (min %.9g) >= every pruned one (max %.9g)",
		    (double)sp[s], (double)minkept, (double)maxpruned);
		ok(memcmp(a, b, sizeof a) == 0, "sparsity %g: fast == reference",
		    (double)sp[s]);
	}
}

static void
test_ties(void)
{
	/* |w| cycles 2 1 0 1 2: four zeros and eight ones among 20 */
	float w[20], a[20], b[20];
	const int want_zero[] = { 1, 2, 3, 6, 7, 8, 11, 12, 13, 17 };
	int i, pass = 1;

	for (i = 0; i < 20; i++)
		w[i] = (float)(i % 5 - 2);
	w[7] = -0.0f;
	memcpy(a, w, sizeof w);
	memcpy(b, w, sizeof w);
	/* k = 10: the 4 zeros and the 6 lowest-index ones */
	wh_prune_sparsity(a, 20, 0.5f);
	wh_prune_sparsity_ref(b, 20, 0.5f);
	for (i = 0; i < 20; i++) {
		int j, z = 0;

		for (j = 0; j < 10; j++)
			z |= want_zero[j] == i;
		pass &= (a[i] == 0) == z;
	}
	ok(pass, "sparsity ties: equal magnitudes go lowest index first "
	    "(18 and 16 kept)");
	{
		static float c[1000];

		/* the two largest are a float tie: 0 and 710 */
		fill(c, 1000, 1, 0);
		wh_prune_sparsity(c, 1000, 0.999f);
		ok(c[710] != 0 && wh_count_zeros(c, 1000) == 999,
		    "sparsity ties: of |w[0]| == |w[710]|, 710 stays");
	}
	ok(memcmp(a, b, sizeof a) == 0, "sparsity ties: fast == reference");
}

static void
test_threshold(void)
{
	enum { N = 777 };
	float w[N], a[N];
	size_t want, got, i;
	int kept_ok = 1;

	fill(w, N, 1, 3);
	want = count_below(w, N, 0.5f);
	memcpy(a, w, sizeof w);
	got = wh_prune_threshold(a, N, 0.5f);
	for (i = 0; i < N; i++)
		if (a[i] != 0 && (fabsf(a[i]) < 0.5f || a[i] != w[i]))
			kept_ok = 0;
	ok(got == want && wh_count_zeros(a, N) == want && want > 0,
	    "threshold 0.5: %zu zeroed (want %zu)", got, want);
	ok(kept_ok, "threshold 0.5: the others are untouched and >= 0.5");
	memcpy(a, w, sizeof w);
	ok(wh_prune_threshold(a, N, 0) == 0 && memcmp(a, w, sizeof w) == 0,
	    "threshold 0 prunes nothing");
}

static void
test_global(void)
{
	static float w0[100], w1[250], w2[60];
	const float *ws[3] = { w0, w1, w2 };
	const size_t ns[3] = { 100, 250, 60 };
	const float sps[] = { 0.4f, 0.05f, 0.77f, 0, 1 };
	size_t s;

	fill(w0, 100, 1, 0);
	fill(w1, 250, 0.5f, 1000);
	fill(w2, 60, 3, 5000);
	for (s = 0; s < sizeof sps / sizeof *sps; s++) {
		float t = wh_prune_global_threshold(ws, ns, 3, sps[s]);
		size_t want = (size_t)floor(sps[s] * 410.0 + 0.5);
		size_t z = count_below(w0, 100, t) + count_below(w1, 250, t) +
		    count_below(w2, 60, t);
		size_t per[3] = { count_below(w0, 100, t), count_below(w1, 250, t),
		    count_below(w2, 60, t) };

		ok(z == want, "global sparsity %g: threshold %g zeroes %zu of 410 "
		    "(want %zu; per layer %zu %zu %zu)", (double)sps[s], (double)t,
		    z, want, per[0], per[1], per[2]);
	}
	{
		float t = wh_prune_global_threshold(ws, ns, 3, 0.4f);
		size_t per2 = count_below(w2, 60, t), per1 = count_below(w1, 250, t);

		/* the layer of small weights gives more than the large one */
		ok((double)per1 / 250 > 0.4 && (double)per2 / 60 < 0.4,
		    "global: sparsity lands unevenly (%.2f in the small layer, "
		    "%.2f in the large)", (double)per1 / 250, (double)per2 / 60);
	}
}

static int
row_zero(const float *w, int64_t in, int64_t o)
{
	int64_t i;

	for (i = 0; i < in; i++)
		if (w[o * in + i] != 0)
			return 0;
	return 1;
}

static void
test_channels(void)
{
	enum { OUT = 10, IN = 16 };
	const float scale[OUT] = { 5, 1, 8, 3, 9, 2, 7, 4, 10, 6 };
	float w[OUT * IN], a[OUT * IN], b[OUT * IN];
	int o, norm, pass;

	for (o = 0; o < OUT; o++)
		fill(w + o * IN, IN, scale[o], 0);
	for (norm = 1; norm <= 2; norm++) {
		memcpy(a, w, sizeof w);
		memcpy(b, w, sizeof w);
		/* 0.3 * 10 = 3 rows: scales 1, 2, 3 are rows 1, 5, 3 */
		ok(wh_prune_channels(a, OUT, IN, 0.3f, norm) == 3,
		    "channels L%d: 3 rows", norm);
		wh_prune_channels_ref(b, OUT, IN, 0.3f, norm);
		pass = 1;
		for (o = 0; o < OUT; o++) {
			int gone = o == 1 || o == 5 || o == 3;

			if (gone ? !row_zero(a, IN, o) :
			    memcmp(a + o * IN, w + o * IN, IN * sizeof *w) != 0)
				pass = 0;
		}
		ok(pass, "channels L%d: rows 1, 5, 3 zeroed whole, the rest intact", norm);
		ok(memcmp(a, b, sizeof a) == 0, "channels L%d: fast == reference", norm);
	}
	{
		/* L1 and L2 disagree: row 0 = 3 0 0 0 (L1 3, L2 3),
		 * row 1 = 1 1 1 1 (L1 4, L2 2) */
		float x[8] = { 3, 0, 0, 0, 1, 1, 1, 1 }, y[8];

		memcpy(y, x, sizeof x);
		wh_prune_channels(x, 2, 4, 0.5f, 1);
		wh_prune_channels(y, 2, 4, 0.5f, 2);
		ok(row_zero(x, 4, 0) && !row_zero(x, 4, 1) &&
		    row_zero(y, 4, 1) && !row_zero(y, 4, 0),
		    "channels: L1 drops the peaked row, L2 the flat one");
	}
}

/* Checks the N:M pattern of a against the original w. */
static int
nm_valid(const float *w, const float *a, int64_t out, int64_t in, int n, int m)
{
	int64_t o, c0, i, j;

	for (o = 0; o < out; o++)
		for (c0 = 0; c0 < in; c0 += m) {
			int64_t len = in - c0 < m ? in - c0 : m;
			int64_t keep = n < len ? n : len, nz = 0;

			for (i = c0; i < c0 + len; i++) {
				float x = a[o * in + i];

				if (x != 0) {
					nz++;
					if (x != w[o * in + i])
						return 0;
					/* no pruned weight of the group is larger */
					for (j = c0; j < c0 + len; j++)
						if (a[o * in + j] == 0 &&
						    fabsf(w[o * in + j]) > fabsf(x))
							return 0;
				}
			}
			if (nz != keep)
				return 0;
		}
	return 1;
}

static void
test_nm(void)
{
	const int cases[][3] = {	/* n, m, in */
		{ 2, 4, 24 }, { 1, 4, 24 }, { 4, 8, 24 },
		{ 2, 4, 10 },	/* last group of 2 keeps 2 */
		{ 1, 4, 10 },	/* last group of 2 keeps 1 */
		{ 3, 8, 11 },	/* last group of 3 keeps 3 */
		{ 2, 32, 70 },
	};
	enum { OUT = 8 };
	float w[OUT * 70], a[OUT * 70], b[OUT * 70];
	size_t c;

	for (c = 0; c < sizeof cases / sizeof *cases; c++) {
		int n = cases[c][0], m = cases[c][1];
		int64_t in = cases[c][2];
		size_t cnt = (size_t)(OUT * in);

		fill(w, cnt, 1, (int)c * 100);
		memcpy(a, w, cnt * sizeof *w);
		memcpy(b, w, cnt * sizeof *w);
		wh_prune_nm(a, OUT, in, n, m);
		wh_prune_nm_ref(b, OUT, in, n, m);
		ok(nm_valid(w, a, OUT, in, n, m), "N:M %d:%d, in %lld: every group "
		    "keeps its min(N, len) largest", n, m, (long long)in);
		ok(memcmp(a, b, cnt * sizeof *a) == 0, "N:M %d:%d, in %lld: fast == "
		    "reference", n, m, (long long)in);
	}
	{
		float t[4] = { 1, -1, 1, 1 }, u[4] = { 1, -1, 1, 1 };

		wh_prune_nm(t, 1, 4, 2, 4);
		wh_prune_nm_ref(u, 1, 4, 2, 4);
		ok(t[0] == 0 && t[1] == 0 && t[2] == 1 && t[3] == 1 &&
		    memcmp(t, u, sizeof t) == 0,
		    "N:M ties: equal magnitudes keep the higher index");
	}
}

int
main(void)
{
	test_sparsity();
	test_ties();
	test_threshold();
	test_global();
	test_channels();
	test_nm();
	return tap_done();
}
