/* calc.h - small pure helpers of the workbench: histogram ranges and
 * re-binning, magnitude quantiles, number formatting (no curses) */
#ifndef WHITTLE_TUI_CALC_H
#define WHITTLE_TUI_CALC_H

#include <stddef.h>
#include <stdint.h>

/*
 * The fine histograms the worker computes and the panes re-bin to their
 * width: TUI_NBINS bins over the range of tui_hist_range.
 */
#define TUI_NBINS 2048

/* w: (n).  The histogram range of a layer: symmetric about 0, the largest
 * magnitude plus 2% (so the extremes fall inside); [-1, 1] when every
 * weight is 0. */
void tui_hist_range(const float *w, size_t n, double *lo, double *hi);

/*
 * fine: (nfine) counts over [lo, hi) -> out: (nout) counts over the same
 * range, each fine bin split between the output bins it overlaps in
 * proportion to the overlap (so every output bin covers the same width
 * and no comb pattern appears), rounded to the nearest count.
 */
void tui_rebin(const uint64_t *fine, int nfine, uint64_t *out, int nout);

/* w: (n), k < n.  The k-th smallest magnitude |w| (from 0). */
float tui_mag_select(const float *w, size_t n, size_t k);

/* w: (n).  The fraction of weights with |w| < t. */
double tui_frac_below(const float *w, size_t n, float t);

/* 3072 -> "3,072" */
const char *tui_thousands(uint64_t v, char *buf, size_t size);

#endif
