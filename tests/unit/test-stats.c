/* test-stats.c - weight statistics, histogram, order statistics, spectra */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/stats.h"
#include "tap.h"

static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : (x > y);
}

static void
test_wstats(void)
{
	const float w[] = { 1, 2, 3, 4, 0, -0.0f, NAN, -2 };
	struct wh_wstats st;
	double mean = 8.0 / 7, ss = 0, d;
	int i;

	wh_wstats_compute(w, 8, &st);
	for (i = 0; i < 8; i++)
		if (!isnan(w[i])) {
			d = w[i] - mean;
			ss += d * d;
		}
	ok(st.n == 8 && st.nan == 1 && st.zeros == 2,
	    "wstats: n %zu, nan %zu, zeros %zu (8, 1, 2)", st.n, st.nan, st.zeros);
	ok(st.min == -2 && st.max == 4, "wstats: min %g max %g", st.min, st.max);
	ok_near(st.mean, mean, 1e-12, "wstats: mean %.12f", st.mean);
	ok_near(st.std, sqrt(ss / 7), 1e-12, "wstats: population std %.12f", st.std);
	ok_near(st.zero_frac, 0.25, 0, "wstats: zero fraction %g", st.zero_frac);

	{
		/* far from zero: the two-pass std stays exact */
		float big[4] = { 1e6f + 1, 1e6f - 1, 1e6f + 1, 1e6f - 1 };

		wh_wstats_compute(big, 4, &st);
		ok_near(st.std, 1.0, 1e-9, "wstats: std 1 around 1e6 (%.12f)", st.std);
	}
	wh_wstats_compute(NULL, 0, &st);
	ok(st.n == 0 && st.mean == 0 && st.std == 0, "wstats: empty input");
}

static void
test_histogram(void)
{
	const float x[] = { -1, 0, 1.99f, 2, 9.99f, 10, 11, NAN, INFINITY, -INFINITY };
	uint64_t c[5], want[5] = { 4, 1, 0, 0, 4 };
	int i, same = 1;

	memset(c, 0xff, sizeof c);
	wh_histogram(x, 10, 0, 10, 5, c);
	for (i = 0; i < 5; i++)
		same &= c[i] == want[i];
	ok(same, "histogram: counts %llu %llu %llu %llu %llu (4 1 0 0 4)",
	    (unsigned long long)c[0], (unsigned long long)c[1],
	    (unsigned long long)c[2], (unsigned long long)c[3],
	    (unsigned long long)c[4]);

	wh_histogram(x, 10, 3, 3, 5, c);
	ok(c[0] == 9 && c[1] + c[2] + c[3] + c[4] == 0,
	    "histogram: hi <= lo puts every non-NaN value in bin 0 (%llu)",
	    (unsigned long long)c[0]);
	{
		/* interior bin edges: -0.5 + i * 0.25 */
		float e[4] = { -0.5f, -0.25f, 0, 0.25f };
		uint64_t c4[4];

		wh_histogram(e, 4, -0.5, 0.5, 4, c4);
		ok(c4[0] == 1 && c4[1] == 1 && c4[2] == 1 && c4[3] == 1,
		    "histogram: values on bin edges open their bin");
	}
}

static void
test_select(void)
{
	uint32_t a[1000], b[1000], s = 7;
	size_t ks[] = { 0, 1, 499, 500, 998, 999 }, i, j;
	int pass = 1;

	for (j = 0; j < 2; j++) {
		for (i = 0; i < 1000; i++)
			a[i] = j == 0 ? lcg(&s) : lcg(&s) % 7;	/* then many ties */
		memcpy(b, a, sizeof a);
		qsort(b, 1000, sizeof *b, cmp_u32);
		for (i = 0; i < sizeof ks / sizeof *ks; i++) {
			uint32_t c[1000], v;
			size_t t;

			memcpy(c, a, sizeof a);
			v = wh_select_u32(c, 1000, ks[i]);
			if (v != b[ks[i]] || c[ks[i]] != v)
				pass = 0;
			for (t = 0; t < 1000; t++)
				if ((t < ks[i] && c[t] > v) || (t > ks[i] && c[t] < v))
					pass = 0;
		}
	}
	ok(pass, "select: k-th of 1000 (distinct and 7-valued) matches qsort, "
	    "partitioned around k");
}

static void
test_percentile(void)
{
	float x[101], two[2] = { 0, 10 }, withnan[4] = { NAN, 4, NAN, 2 };
	uint32_t s = 3;
	int i;

	for (i = 0; i < 101; i++)
		x[i] = (float)(i + 1);
	for (i = 100; i > 0; i--) {	/* shuffle */
		int j = (int)(lcg(&s) % (uint32_t)(i + 1));
		float t = x[i];

		x[i] = x[j];
		x[j] = t;
	}
	ok(wh_percentile(x, 101, 50) == 51, "percentile: median of 1..101 is 51");
	ok(wh_percentile(x, 101, 0) == 1 && wh_percentile(x, 101, 100) == 101,
	    "percentile: 0 and 100 are min and max");
	ok(wh_percentile(x, 101, 25) == 26, "percentile: 25th of 1..101 is 26");
	ok(wh_percentile(two, 2, 25) == 2.5f, "percentile: linear interpolation "
	    "(25th of {0, 10} is %g)", (double)wh_percentile(two, 2, 25));
	ok(wh_percentile(withnan, 4, 100) == 4 && wh_percentile(withnan, 4, 0) == 2,
	    "percentile: NaN ignored");
	ok(isnan(wh_percentile(withnan, 1, 50)), "percentile: NaN without values");
}

/* w = H1 diag(s) H2 with Householder reflections: known singular values */
static void
make_spectrum(float *w, int m, int n, const float *s)
{
	double v1[16], v2[16], n1 = 0, n2 = 0, a[16][16], b[16][16];
	int i, j, k = m < n ? m : n;

	for (i = 0; i < m; i++) {
		v1[i] = cos(1.3 * i) + 0.2;
		n1 += v1[i] * v1[i];
	}
	for (j = 0; j < n; j++) {
		v2[j] = sin(0.7 * j + 0.3);
		n2 += v2[j] * v2[j];
	}
	/* a = H1 D: (m, n) */
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++)
			a[i][j] = (j < k ? ((i == j) - 2 * v1[i] * v1[j] / n1) * s[j] : 0);
	/* b = a H2 */
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			double acc = 0;
			int p;

			for (p = 0; p < n; p++)
				acc += a[i][p] * ((p == j) - 2 * v2[p] * v2[j] / n2);
			b[i][j] = acc;
		}
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++)
			w[i * n + j] = (float)b[i][j];
}

static void
test_svals(void)
{
	const float s[6] = { 9, 5, 4, 2, 0.5f, 0.25f };
	float w[8 * 6], got[6], bad[4] = { 1, NAN, 0, 1 };
	char *err = NULL;
	double maxd = 0;
	int i;

	make_spectrum(w, 8, 6, s);
	ok(wh_svals(w, 8, 6, got, &err) == 0, "svals: 8x6 runs");
	for (i = 0; i < 6; i++)
		if (fabs(got[i] - s[i]) > maxd)
			maxd = fabs(got[i] - s[i]);
	tap_diag("svals: max difference %.3g", maxd);
	ok(maxd < 1e-5, "svals: constructed spectrum recovered (max diff %.3g)", maxd);
	make_spectrum(w, 6, 6, s);
	ok(wh_svals(w, 6, 6, got, NULL) == 0 && fabsf(got[0] - 9) < 1e-5f &&
	    fabsf(got[5] - 0.25f) < 1e-5f, "svals: square 6x6");
	free(err);
	err = NULL;
	i = wh_svals(bad, 2, 2, got, &err);
	ok(i == -1 && err != NULL && strstr(err, "non-finite") != NULL,
	    "svals: NaN refused (%s)", err ? err : "no message");
	free(err);
}

static void
test_effective_rank(void)
{
	const float eq[5] = { 2, 2, 2, 2, 2 }, one[3] = { 7, 0, 0 },
	    zero[2] = { 0, 0 }, two[2] = { 3, 1 };
	double h = -(0.75 * log(0.75) + 0.25 * log(0.25));

	ok_near(wh_effective_rank(eq, 5), 5, 1e-12, "effective rank: equal values give k");
	ok_near(wh_effective_rank(one, 3), 1, 1e-12, "effective rank: one value gives 1");
	ok(wh_effective_rank(zero, 2) == 0, "effective rank: all zero gives 0");
	ok_near(wh_effective_rank(two, 2), exp(h), 1e-12,
	    "effective rank of {3, 1}: %.6f", wh_effective_rank(two, 2));
}

static void
test_energy(void)
{
	/* squares 16 16 16 4 4 4 4: total 64, all sums exact */
	const float s[7] = { 4, 4, 4, 2, 2, 2, 2 }, tail[3] = { 3, 0, 0 };

	ok(wh_rank_for_energy(s, 7, 0.25) == 1, "energy 0.25 -> rank 1");
	ok(wh_rank_for_energy(s, 7, 0.5) == 2, "energy 0.5 -> rank 2");
	ok(wh_rank_for_energy(s, 7, 0.75) == 3, "energy 0.75 -> rank 3 (exactly reached)");
	ok(wh_rank_for_energy(s, 7, 0.7500001) == 4, "energy just above 0.75 -> rank 4");
	ok(wh_rank_for_energy(s, 7, 0.9375) == 6, "energy 0.9375 -> rank 6");
	ok(wh_rank_for_energy(s, 7, 0.94) == 7, "energy 0.94 -> rank 7");
	ok(wh_rank_for_energy(s, 7, 1) == 7, "energy 1 -> rank 7");
	ok(wh_rank_for_energy(s, 7, 0) == 1, "energy 0 -> rank 1");
	ok(wh_rank_for_energy(tail, 3, 1) == 1, "energy 1 stops at the last non-zero value");
	ok(wh_rank_for_energy(s, 0, 0.5) == 0, "no values -> rank 0");
	ok_near(wh_energy_kept(s, 7, 3), 0.75, 0, "energy kept by rank 3 is 0.75");
	ok_near(wh_energy_kept(s, 7, 7), 1, 0, "energy kept by full rank is 1");
}

/* Eigenvalues drawn from a Pareto law p(x) ~ x^-alpha, x >= xmin, below
 * a bulk of small ones: the fit recovers alpha and finds the tail. */
static void
test_powerlaw(void)
{
	static float s[3000];
	struct wh_powerlaw pl;
	uint32_t rng = 7;
	double alphas[] = { 2.5, 4.0 };
	int i, a;

	for (a = 0; a < 2; a++) {
		for (i = 0; i < 3000; i++) {
			double u, x;

			rng = rng * 1664525u + 1013904223u;
			u = ((rng >> 8) + 0.5) / 16777216.0;
			if (i < 2000)
				x = 10 * pow(1 - u, -1 / (alphas[a] - 1));
			else
				x = 10 * u;	/* the bulk, below xmin */
			s[i] = (float)sqrt(x);
		}
		int rc = wh_powerlaw_fit(s, 3000, &pl);

		ok(rc == 0 && fabs(pl.alpha - alphas[a]) < 0.25, "a tail of exponent %.1f fits as %.3f "
		    "(xmin %.2f, %d in the tail)", alphas[a], pl.alpha, pl.xmin,
		    pl.ntail);
		ok(pl.ntail > 1500 && pl.ntail < 2600, "the tail holds most of "
		    "the 2000 power-law values (%d)", pl.ntail);
	}
	/* scaling the weights does not change the exponent */
	{
		struct wh_powerlaw p2;
		int rc;

		for (i = 0; i < 3000; i++)
			s[i] *= 3.5f;
		rc = wh_powerlaw_fit(s, 3000, &p2);
		ok(rc == 0 && fabs(p2.alpha -
		    pl.alpha) < 1e-6, "alpha is scale invariant");
	}
	{
		float z[3] = { 0, 0, 0 };

		ok(wh_powerlaw_fit(z, 3, &pl) == -1, "no positive eigenvalue: no "
		    "fit");
	}
}

static void
test_stable_rank(void)
{
	float s[3] = { 2, 1, 1 }, z[2] = { 0, 0 };

	ok_near(wh_stable_rank(s, 3), 1.5, 1e-12, "stable rank of (2, 1, 1) "
	    "is 6 / 4");
	ok_near(wh_stable_rank(z, 2), 0, 0, "all zero: 0");
}

int
main(void)
{
	test_powerlaw();
	test_stable_rank();
	test_wstats();
	test_histogram();
	test_select();
	test_percentile();
	test_svals();
	test_effective_rank();
	test_energy();
	return tap_done();
}
