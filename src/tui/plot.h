/* plot.h - terminal plots as plain text: no curses here, so every
 * function is unit-tested; the panes copy the rows onto the screen */
#ifndef WHITTLE_PLOT_H
#define WHITTLE_PLOT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A plot is a grid of w x h cells.  Each cell holds one UTF-8 character
 * (braille dots, block elements, or ASCII when ascii is set) and a colour
 * class the pane maps to a curses colour pair.
 */
enum wh_plot_color {
	WH_PC_NONE,	/* default */
	WH_PC_ORIG,	/* the original weights / values */
	WH_PC_NEW,	/* the compressed weights / values */
	WH_PC_MARK,	/* markers: threshold, chosen rank, current point */
	WH_PC_AXIS,	/* axes, labels, grid */
	WH_PC_FRONT	/* the Pareto front */
};

struct wh_plot {
	int w, h;
	int ascii;
	char (*cell)[8];	/* w * h NUL-terminated UTF-8 strings, row-major */
	uint8_t *color;		/* w * h enum wh_plot_color */
	uint8_t *dots;		/* braille canvas: w * h dot masks */
};

void wh_plot_init(struct wh_plot *p, int w, int h, int ascii);
void wh_plot_release(struct wh_plot *p);
/*
 * The text of row y, with cells concatenated (into buf of size).  The
 * text stops at the last whole cell that fits; an empty string for a row
 * outside the plot.  Returns buf ("" when size is 0).
 */
const char *wh_plot_row(const struct wh_plot *p, int y, char *buf, size_t size);

/*
 * Every drawing function below first clears the plot (spaces, WH_PC_NONE,
 * no dots) and does nothing more on a plot of no cells.  Non-finite
 * values are skipped.  Braille dots live on a canvas of 2w x 4h dots;
 * dot (dx, dy) of a cell, dx in 0..1 from the left, dy in 0..3 from the
 * top, is bit wh_braille_bit(dx, dy): dots 1, 2, 3, 7 of the left column
 * are 0x01, 0x02, 0x04, 0x40, dots 4, 5, 6, 8 of the right 0x08, 0x10,
 * 0x20, 0x80; the cell shows U+2800 + mask.  In ASCII mode a cell with
 * dots shows '*' for points and spectra, '.' for the energy curve and
 * '-', '|', '/' or '\\' for the Pareto front.
 */
uint8_t wh_braille_bit(int dx, int dy);		/* 0 outside the cell */
/* The UTF-8 text of the braille cell with dots mask (3 bytes and NUL). */
void wh_braille_utf8(uint8_t mask, char out[4]);
/*
 * The column of value v on an axis of w columns from lo to hi:
 * floor((v - lo) / (hi - lo) * w) clamped to 0..w-1; 0 when hi <= lo or
 * either end is not finite; -1 when v is not finite or w < 1.
 */
int wh_plot_col(double v, double lo, double hi, int w);

/*
 * Histogram bins: counts (nbins) of the values in [lo, hi) (see
 * wh_histogram in whittle/stats.h).  Bars are drawn with the eighth blocks
 * U+2581..U+2588 (ASCII: '#' and '.' tops), linear or log(1 + count)
 * heights.  Two series share the plot: orig drawn in WH_PC_ORIG, and new
 * overlaid in WH_PC_NEW where it is higher (NULL for none).  Vertical
 * markers (e.g. +/- the pruning threshold, quantization levels) are
 * drawn as WH_PC_MARK columns at values marks[0..nmarks).  The bottom row
 * is an axis labelled with lo and hi.
 *
 * Bins to columns: with nbins >= w, column c sums bins
 * [c * nbins / w, (c + 1) * nbins / w) (integer division), so every bin
 * is counted exactly once; with nbins < w, column c shows bin
 * (2c + 1) * nbins / (2w), the bin under the column's centre.  The h - 1
 * bar rows hold 8 (h - 1) eighths; the tallest column (of either series)
 * fills them all, the others get round(value / max * 8 (h - 1)) eighths
 * and at least one when their count is not 0.  Marker columns come from
 * wh_plot_col(); a marker keeps the bars it crosses (recoloured) and
 * draws U+2502 ('|') elsewhere, U+2534 ('+') on the axis.
 */
void wh_plot_hist(struct wh_plot *p, const uint64_t *orig, const uint64_t *new,
    int nbins, double lo, double hi, int logscale, const double *marks,
    int nmarks);

/*
 * Singular value spectrum: s (k, descending) on a log10 y axis as braille
 * dots (ASCII: '*'), the cumulative energy sum_{i<r} s_i^2 / sum s^2 as a
 * second curve on a 0..1 axis, and the chosen rank (0: none) marked with
 * its kept energy in a label on the top row.
 *
 * With h >= 3 the top row holds only the rank label ("r=32 96.1%", from
 * wh_energy_kept, starting at the rank column or ending there when it
 * does not fit) and the curves use the rows below.  A left gutter carries
 * the largest and smallest positive s ("%.3g").  Index i sits at dot
 * column round(i (W - 1) / (k - 1)) of the W = 2 * (w - gutter) dots, so
 * several values share a column when k > W (the segments between
 * neighbours cover their min..max).  log10(s) maps linearly onto the dot
 * rows, largest at the top.  Values s <= 0 are off the log axis: they
 * show as '0' on a bottom row of their own (labelled "0"), or as dots on
 * the bottom dot row when the plot has a single row.  The energy curve is
 * WH_PC_NEW, the spectrum WH_PC_ORIG, the rank line WH_PC_MARK at the
 * column of index rank - 1 (rank is clamped to k).
 */
void wh_plot_spectrum(struct wh_plot *p, const float *s, int k, int rank);

/*
 * Scatter of (x: size in bytes, y: accuracy) points with the Pareto front
 * (smallest size for at least that accuracy) joined, and point `current`
 * highlighted (-1 for none).
 *
 * y is a fraction (0.9 is labelled "90.0%").  x is on a log scale when all
 * sizes are positive and the largest is more than 10 times the smallest,
 * else linear.  Points are WH_PC_ORIG dots (ASCII '*'), the front a
 * WH_PC_FRONT polyline (see wh_pareto), the current point a WH_PC_MARK
 * U+25CF (ASCII 'O').  A left gutter carries the highest and lowest
 * accuracy; the bottom row (when h >= 2) the smallest and largest size in
 * B, KiB, MiB or GiB, and in the middle, on a log scale, " size, log
 * scale ", " log size ", "log size" or " log ", the longest that leaves a
 * column of axis on each side.  The accuracy labels take as many decimals
 * (1 to 3) as they need to differ; equal accuracies get one label.
 */
void wh_plot_scatter(struct wh_plot *p, const double *x, const double *y,
    int n, int current);

/*
 * Indices of the points on the Pareto front (no other point is at least
 * as small and at least as accurate, and better in one), sorted by x;
 * returns their count.  idx holds n entries.  Of identical points only
 * the first is kept; points with a non-finite coordinate are left out.
 * O(n log n): a sort by (x up, y down), then a sweep keeping each point
 * more accurate than all before it.
 */
int wh_pareto(const double *x, const double *y, int n, int *idx);

/*
 * Screen layout for a terminal of cols x rows (80x24 and up).  The last
 * row is the hint bar; the H = rows - 1 rows above it are split in two
 * columns that together cover them exactly, but for one blank column:
 *
 *   left  L = max(46, (cols * 11 + 10) / 20) columns (55% rounded, at
 *         least 46), of which the last stays blank, so that nothing on
 *         the left runs into the plots on the right:
 *         the table, L - 1 wide and rows 0 .. H - 9, and the summary,
 *         the last 8 rows (6 lines in a border);
 *   right R = cols - L columns (34 at 80 columns):
 *         the history scatter, the last S = max(8, H / 4) rows, and above
 *         it P = H - S rows split into the histogram, (P + 1) / 2 rows
 *         on top, and the spectrum, P / 2 rows.
 *
 * At 80x24: table 45x15, summary 45x8, histogram 34x8, spectrum 34x7,
 * history 34x8.  Every pane then has at least 7 rows.  Below 80x24
 * too_small is set, hint_y is the last row and every pane is empty.
 */
struct wh_layout {
	int table_x, table_y, table_w, table_h;
	int hist_x, hist_y, hist_w, hist_h;
	int spec_x, spec_y, spec_w, spec_h;
	int sum_x, sum_y, sum_w, sum_h;
	int hist2_x, hist2_y, hist2_w, hist2_h;	/* history scatter */
	int hint_y;			/* the key hint bar (last row) */
	int too_small;			/* below 80x24: only a message fits */
};
void wh_layout_compute(struct wh_layout *l, int cols, int rows);

/* The columns s takes: one per UTF-8 character (the plots' glyphs, and
 * the legend keys \001..\006 of crt_legend, are all one column wide). */
int wh_text_width(const char *s);

/*
 * Captions that must not be cut: the index of the first of v[0..n) (most
 * wanted, longest first) that fits in w columns; n - 1 when none does
 * (the shortest, which the caller keeps to what matters most).
 */
int wh_fit(const char *const *v, int n, int w);

/*
 * Word wrap: the length in bytes of the first line of s that fits in w
 * columns (one column per UTF-8 character), broken after the last space
 * that lets it fit, or inside a word longer than w.  *next is where the
 * next line starts (spaces at the break skipped).  0 for an empty s; at
 * least one character while w >= 1.
 */
int wh_wrap(const char *s, int w, const char **next);

/*
 * The compression ratio orig / bytes as the size line shows it: "%.2fx",
 * with as many more digits (up to 6) as it takes not to read "1.00x" for
 * a size that differs from orig (so a model larger than float32 reads
 * "0.996x").  "-" when bytes is 0.  Returns buf.
 */
const char *wh_ratio_label(uint64_t orig, uint64_t bytes, char *buf,
    size_t size);

/*
 * Wilson 95% confidence interval (z = 1.96) of an accuracy of correct / n;
 * [0, 1] when n is 0 (correct is clamped to n).
 */
void wh_wilson(size_t correct, size_t n, double *lo, double *hi);

#endif
