/* stats.c - weight statistics, histograms, order statistics and spectra */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "whittle/stats.h"
#include "whittle/util.h"

void
wh_wstats_compute(const float *w, size_t n, struct wh_wstats *st)
{
	double sum = 0, ss = 0, mean;
	size_t i, cnt = 0;

	memset(st, 0, sizeof *st);
	st->n = n;
	for (i = 0; i < n; i++) {
		double v = w[i];

		if (isnan(w[i])) {
			st->nan++;
			continue;
		}
		if (w[i] == 0)
			st->zeros++;
		if (cnt == 0 || v < st->min)
			st->min = v;
		if (cnt == 0 || v > st->max)
			st->max = v;
		sum += v;
		cnt++;
	}
	if (n > 0)
		st->zero_frac = (double)st->zeros / (double)n;
	if (cnt == 0)
		return;
	mean = sum / (double)cnt;
	/* Two passes: the deviations from the mean keep std accurate when
	 * the values sit far from zero. */
	for (i = 0; i < n; i++) {
		double d;

		if (isnan(w[i]))
			continue;
		d = (double)w[i] - mean;
		ss += d * d;
	}
	st->mean = mean;
	st->std = sqrt(ss / (double)cnt);
}

void
wh_histogram(const float *x, size_t n, double lo, double hi, int nbins,
    uint64_t *counts)
{
	double width;
	size_t i;

	if (nbins < 1)
		return;
	memset(counts, 0, (size_t)nbins * sizeof *counts);
	width = hi - lo;
	for (i = 0; i < n; i++) {
		double v = x[i], f;
		int b;

		if (isnan(x[i]))
			continue;
		if (!(width > 0) || v < lo)
			b = 0;
		else if (v >= hi)
			b = nbins - 1;
		else {
			f = floor((v - lo) / width * nbins);
			b = f >= nbins ? nbins - 1 : (int)f;
		}
		counts[b]++;
	}
}

static void
swap_u32(uint32_t *a, size_t i, size_t j)
{
	uint32_t t = a[i];

	a[i] = a[j];
	a[j] = t;
}

uint32_t
wh_select_u32(uint32_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		uint32_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1], p;
		size_t lt = lo, i = lo, gt = hi;

		/* median of three */
		if (x > y) {
			uint32_t t = x;
			x = y;
			y = t;
		}
		p = z < x ? x : (z > y ? y : z);

		/* [lo, lt) < p, [lt, i) == p, [gt, hi) > p */
		while (i < gt) {
			if (a[i] < p)
				swap_u32(a, lt++, i++);
			else if (a[i] > p)
				swap_u32(a, i, --gt);
			else
				i++;
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return p;
	}
	return a[k];
}

/* An unsigned key in the order of the float values (-0 just below +0). */
static uint32_t
float_key(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static float
key_float(uint32_t k)
{
	uint32_t u = (k & 0x80000000u) ? (k ^ 0x80000000u) : ~k;
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

float
wh_percentile(const float *x, size_t n, double p)
{
	uint32_t *keys, k0, k1;
	size_t i, cnt = 0, lo;
	double pos, frac, a, b;

	keys = xmalloc((n ? n : 1) * sizeof *keys);
	for (i = 0; i < n; i++)
		if (!isnan(x[i]))
			keys[cnt++] = float_key(x[i]);
	if (cnt == 0) {
		free(keys);
		return NAN;
	}
	if (!(p > 0))
		p = 0;
	if (p > 100)
		p = 100;
	pos = p / 100.0 * (double)(cnt - 1);
	lo = (size_t)floor(pos);
	if (lo > cnt - 1)
		lo = cnt - 1;
	frac = pos - (double)lo;
	k0 = wh_select_u32(keys, cnt, lo);
	a = key_float(k0);
	if (frac == 0 || lo + 1 >= cnt) {
		free(keys);
		return (float)a;
	}
	/* after the selection, the next order statistic is the least key
	 * to the right of lo */
	k1 = keys[lo + 1];
	for (i = lo + 2; i < cnt; i++)
		if (keys[i] < k1)
			k1 = keys[i];
	b = key_float(k1);
	free(keys);
	return (float)(a + frac * (b - a));
}

int
wh_svals(const float *w, int64_t m, int64_t n, float *s, char **err)
{
	if (m <= 0 || n <= 0)
		return 0;
	return wh_svd(w, m, n, NULL, s, NULL, err);
}

double
wh_effective_rank(const float *s, int k)
{
	double sum = 0, h = 0;
	int i;

	for (i = 0; i < k; i++)
		sum += fabs((double)s[i]);
	if (!(sum > 0))
		return 0;
	for (i = 0; i < k; i++) {
		double p = fabs((double)s[i]) / sum;

		if (p > 0)
			h -= p * log(p);
	}
	return exp(h);
}

int
wh_rank_for_energy(const float *s, int k, double energy)
{
	double total = 0, cum = 0, target;
	int r;

	if (k <= 0)
		return 0;
	if (!(energy > 0))
		energy = 0;
	if (energy > 1)
		energy = 1;
	for (r = 0; r < k; r++)
		total += (double)s[r] * s[r];
	target = energy * total;
	for (r = 0; r < k; r++) {
		cum += (double)s[r] * s[r];
		if (cum >= target)
			return r + 1;
	}
	return k;
}

double
wh_energy_kept(const float *s, int k, int r)
{
	double total = 0, cum = 0;
	int i;

	for (i = 0; i < k; i++) {
		total += (double)s[i] * s[i];
		if (i < r)
			cum += (double)s[i] * s[i];
	}
	if (!(total > 0))
		return 1;
	return cum / total > 1 ? 1 : cum / total;
}

double
wh_stable_rank(const float *s, int k)
{
	double sum = 0, mx = 0;
	int i;

	for (i = 0; i < k; i++) {
		double v = (double)s[i] * s[i];

		sum += v;
		if (v > mx)
			mx = v;
	}
	return mx > 0 ? sum / mx : 0;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
wh_powerlaw_fit(const float *s, int k, struct wh_powerlaw *out)
{
	double *x = malloc((k > 0 ? (size_t)k : 1) * sizeof *x);
	int n = 0, i, j, mintail;

	if (x == NULL)
		return -1;
	for (i = 0; i < k; i++)
		if (s[i] > 0 && isfinite(s[i]))
			x[n++] = (double)s[i] * s[i];
	if (n < 2) {
		free(x);
		return -1;
	}
	qsort(x, n, sizeof *x, dcmp);
	mintail = n < 10 ? n : 10;
	out->ks = INFINITY;
	/* xmin = x[j]: the tail is x[j .. n) */
	for (j = 0; j + mintail <= n; j++) {
		double lsum = 0, alpha, d = 0;
		int m = n - j;

		if (j > 0 && x[j] == x[j - 1])
			continue;	/* the same xmin, a larger tail came first */
		for (i = j; i < n; i++)
			lsum += log(x[i] / x[j]);
		if (!(lsum > 0))
			continue;
		alpha = 1 + m / lsum;
		for (i = j; i < n; i++) {
			double cdf = 1 - pow(x[i] / x[j], 1 - alpha);
			double lo = (double)(i - j) / m, hi = (double)(i - j + 1) / m;

			if (fabs(cdf - lo) > d)
				d = fabs(cdf - lo);
			if (fabs(cdf - hi) > d)
				d = fabs(cdf - hi);
		}
		if (d < out->ks) {
			out->ks = d;
			out->alpha = alpha;
			out->xmin = x[j];
			out->ntail = m;
		}
	}
	free(x);
	return isfinite(out->ks) ? 0 : -1;
}
