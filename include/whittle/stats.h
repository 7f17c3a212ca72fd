/* stats.h - weight statistics, histograms, order statistics and spectra */
#ifndef WHITTLE_STATS_H
#define WHITTLE_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Summary of a weight tensor.  n counts every value; min, max, mean and std
 * are over the non-NaN values, accumulated in double; std is the population
 * standard deviation (divided by the count, not count - 1).  zero_frac is
 * the fraction of all n values that are exactly zero (-0 included).  With
 * no non-NaN value, min, max, mean and std are 0.
 */
struct wh_wstats {
	size_t n;
	size_t nan;		/* NaN values, left out of the moments */
	size_t zeros;		/* exact zeros */
	double min, max;
	double mean, std;
	double zero_frac;
};

/* w: (n) */
void wh_wstats_compute(const float *w, size_t n, struct wh_wstats *st);

/*
 * x: (n), counts: (nbins), overwritten.  Bin i covers
 * [lo + i * (hi - lo) / nbins, lo + (i + 1) * (hi - lo) / nbins); values
 * below lo land in bin 0, values at or above hi (infinities included) in
 * bin nbins - 1.  NaN is ignored.  When hi <= lo every value lands in
 * bin 0.  Nothing happens when nbins < 1.
 */
void wh_histogram(const float *x, size_t n, double lo, double hi, int nbins,
    uint64_t *counts);

/*
 * Order statistics.  a: (n), n > 0, k < n.  Reorders a so that a[k] is
 * the k-th smallest (from 0), nothing before it is larger and nothing after
 * it smaller, and returns a[k].  Deterministic (three-way quickselect,
 * median-of-three pivot); O(n) on average.
 */
uint32_t wh_select_u32(uint32_t *a, size_t n, size_t k);

/*
 * x: (n).  The p-th percentile (p in [0, 100]) of the non-NaN values, with
 * linear interpolation between the two nearest order statistics (as
 * numpy.percentile's default): position p / 100 * (count - 1) in the sorted
 * values.  NaN when there is no non-NaN value.  Uses a temporary copy.
 */
float wh_percentile(const float *x, size_t n, double p);

/*
 * The singular values of w: (m, n), row-major, in s: (min(m, n)), largest
 * first, by sgesdd with jobz 'N' on a copy (w is not modified; this is
 * wh_svd of compress.h without vectors).  -1 and a message when w holds NaN
 * or infinity, when a dimension does not fit LAPACK's int, or when LAPACK
 * fails; nothing to do (0) when m or n is 0.
 */
int wh_svals(const float *w, int64_t m, int64_t n, float *s, char **err);

/*
 * s: (k) singular values, non-negative.  The entropy effective rank of
 * Roy and Vetterli (2007): exp(H(p)), p_i = s_i / sum s, H = -sum p_i ln p_i
 * (0 ln 0 = 0).  Between 1 and the number of non-zero s_i; 0 when every
 * s_i is 0.
 */
double wh_effective_rank(const float *s, int k);

/*
 * s: (k) singular values, largest first.  The smallest r in 1..k with
 * sum_{i<r} s_i^2 >= energy * sum_i s_i^2, both sums in double in index
 * order.  energy is clamped to [0, 1]: 1 gives the index after the last
 * non-zero s_i, 0 (or an all-zero s) gives 1.  0 when k == 0.
 */
int wh_rank_for_energy(const float *s, int k, double energy);

/* s: (k).  sum_{i<r} s_i^2 / sum_i s_i^2 in [0, 1]; 1 when every s_i is 0. */
double wh_energy_kept(const float *s, int k, int r);

/*
 * s: (k) singular values.  The stable rank sum s_i^2 / max s_i^2, between
 * 1 and the number of non-zero s_i; 0 when every s_i is 0.
 */
double wh_stable_rank(const float *s, int k);

/*
 * The power-law exponent of a layer's empirical spectral density, as
 * WeightWatcher defines it: the eigenvalues x_i = s_i^2 of w^T w, their
 * tail x >= xmin fitted by the continuous maximum-likelihood estimate
 * alpha = 1 + n / sum ln(x_i / xmin) (Clauset, Shalizi and Newman 2009),
 * with xmin the eigenvalue whose fit has the least Kolmogorov-Smirnov
 * distance D between the tail's empirical CDF and 1 - (x / xmin)^(1 - alpha).
 * Tails of fewer than min(k, 10) eigenvalues are not tried.  Fills alpha,
 * xmin, ntail and D; -1 when fewer than 2 eigenvalues are positive.
 */
struct wh_powerlaw {
	double alpha, xmin, ks;
	int ntail;
};
int wh_powerlaw_fit(const float *s, int k, struct wh_powerlaw *out);

#endif
