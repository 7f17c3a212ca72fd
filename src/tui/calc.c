/* calc.c - histogram ranges and re-binning, magnitude quantiles, numbers */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "whittle/stats.h"
#include "whittle/util.h"

void
tui_hist_range(const float *w, size_t n, double *lo, double *hi)
{
	double m = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double a = fabs((double)w[i]);

		if (a > m && isfinite(a))
			m = a;
	}
	if (m == 0)
		m = 1;
	*lo = -m * 1.02;
	*hi = m * 1.02;
}

void
tui_rebin(const uint64_t *fine, int nfine, uint64_t *out, int nout)
{
	double *acc;
	int i, j;

	if (nout < 1)
		return;
	acc = xcalloc((size_t)nout, sizeof *acc);
	for (i = 0; i < nfine; i++) {
		/* fine bin i covers [i, i + 1) * nout / nfine in output units */
		double a = (double)i * nout / nfine, b = (double)(i + 1) * nout / nfine;
		double c = (double)fine[i];

		if (fine[i] == 0)
			continue;
		for (j = (int)a; j < nout && j < b; j++) {
			double l = a > j ? a : j, r = b < j + 1 ? b : j + 1;

			if (r > l)
				acc[j] += c * (r - l) / (b - a);
		}
	}
	for (j = 0; j < nout; j++)
		out[j] = (uint64_t)llround(acc[j]);
	free(acc);
}

float
tui_mag_select(const float *w, size_t n, size_t k)
{
	uint32_t *a = xmalloc(n * sizeof *a), v;
	float f;
	size_t i;

	/* non-negative floats order as their bit patterns do */
	for (i = 0; i < n; i++) {
		f = fabsf(w[i]);
		memcpy(&a[i], &f, sizeof f);
	}
	v = wh_select_u32(a, n, k);
	free(a);
	memcpy(&f, &v, sizeof f);
	return f;
}

double
tui_frac_below(const float *w, size_t n, float t)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (fabsf(w[i]) < t)
			c++;
	return n ? (double)c / (double)n : 0;
}

const char *
tui_thousands(uint64_t v, char *buf, size_t size)
{
	char tmp[32], out[48];
	int len, i, o = 0;

	len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = tmp[i];
	}
	out[o] = '\0';
	snprintf(buf, size, "%s", out);
	return buf;
}


