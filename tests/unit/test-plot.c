/* test-plot.c - text plots: braille, histogram, spectrum, scatter, Pareto
 * front, screen layout, Wilson interval */

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "whittle/stats.h"
#include "../../src/tui/plot.h"
#include "tap.h"

static char rowbuf[4096];

static const char *
row(const struct wh_plot *p, int y)
{
	return wh_plot_row(p, y, rowbuf, sizeof rowbuf);
}

static const char *
cell(const struct wh_plot *p, int x, int y)
{
	return p->cell[(size_t)y * p->w + x];
}

static int
color(const struct wh_plot *p, int x, int y)
{
	return p->color[(size_t)y * p->w + x];
}

/* Every row equals want[y]; prints the rows that differ. */
static int
rows_are(const struct wh_plot *p, const char *const *want)
{
	int y, same = 1;

	for (y = 0; y < p->h; y++)
		if (strcmp(row(p, y), want[y]) != 0) {
			tap_diag("row %d: '%s', want '%s'", y, rowbuf, want[y]);
			same = 0;
		}
	return same;
}

/*
 * Decodes the UTF-8 string s as exactly one code point; -1 when it is
 * malformed, overlong, empty or holds more than one.
 */
static long
one_code_point(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	long c;
	int n, i;

	if (u[0] < 0x80) {
		c = u[0];
		n = 1;
	} else if ((u[0] & 0xe0) == 0xc0) {
		c = u[0] & 0x1f;
		n = 2;
	} else if ((u[0] & 0xf0) == 0xe0) {
		c = u[0] & 0x0f;
		n = 3;
	} else if ((u[0] & 0xf8) == 0xf0) {
		c = u[0] & 0x07;
		n = 4;
	} else
		return -1;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (u[n] != '\0' || c == 0)
		return -1;
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000))
		return -1;
	return c;
}

/* ASCII mode: every cell one byte in 0x20..0x7e. */
static int
all_ascii(const struct wh_plot *p)
{
	int x, y;

	for (y = 0; y < p->h; y++)
		for (x = 0; x < p->w; x++) {
			const unsigned char *c =
			    (const unsigned char *)cell(p, x, y);

			if (c[0] < 0x20 || c[0] > 0x7e || c[1] != '\0') {
				tap_diag("cell (%d, %d) is 0x%02x...", x, y,
				    c[0]);
				return 0;
			}
		}
	return 1;
}

/* UTF-8 mode: every cell one code point, one column wide when known. */
static int
all_one_column(const struct wh_plot *p, int check_width)
{
	int x, y;

	for (y = 0; y < p->h; y++)
		for (x = 0; x < p->w; x++) {
			long c = one_code_point(cell(p, x, y));

			if (c < 0x20 || (check_width && wcwidth((wchar_t)c) != 1)) {
				tap_diag("cell (%d, %d) '%s' U+%04lX", x, y,
				    cell(p, x, y), (unsigned long)c);
				return 0;
			}
		}
	return 1;
}

static void
test_braille(void)
{
	static const struct { int dx, dy; uint8_t bit; } want[] = {
		{ 0, 0, 0x01 }, { 0, 1, 0x02 }, { 0, 2, 0x04 }, { 0, 3, 0x40 },
		{ 1, 0, 0x08 }, { 1, 1, 0x10 }, { 1, 2, 0x20 }, { 1, 3, 0x80 }
	};
	char u[4];
	size_t i;
	int same = 1, m;

	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		if (wh_braille_bit(want[i].dx, want[i].dy) != want[i].bit) {
			tap_diag("dot (%d, %d): 0x%02x", want[i].dx,
			    want[i].dy, wh_braille_bit(want[i].dx, want[i].dy));
			same = 0;
		}
	ok(same, "braille: dots 1,2,3,7 / 4,5,6,8 are bits 01,02,04,40 / 08,10,20,80");
	ok(wh_braille_bit(2, 0) == 0 && wh_braille_bit(0, 4) == 0 &&
	    wh_braille_bit(-1, 0) == 0, "braille: no bit outside the cell");
	wh_braille_utf8(0, u);
	ok(strcmp(u, "\xe2\xa0\x80") == 0, "braille: empty mask is U+2800");
	wh_braille_utf8(0x47, u);
	ok(strcmp(u, "\xe2\xa1\x87") == 0, "braille: left column 0x47 is U+2847");
	wh_braille_utf8(0xff, u);
	ok(strcmp(u, "\xe2\xa3\xbf") == 0, "braille: full mask is U+28FF");
	for (m = 0, same = 1; m < 256; m++) {
		wh_braille_utf8((uint8_t)m, u);
		if (one_code_point(u) != 0x2800 + m)
			same = 0;
	}
	ok(same, "braille: all 256 masks decode to U+2800 + mask");
}

static void
test_plot_col(void)
{
	ok(wh_plot_col(0.0, -1, 1, 8) == 4, "col: 0 in [-1, 1) of 8 -> 4");
	ok(wh_plot_col(-1.0, -1, 1, 8) == 0, "col: lo -> 0");
	ok(wh_plot_col(0.99, -1, 1, 8) == 7, "col: 0.99 -> 7");
	ok(wh_plot_col(1.0, -1, 1, 8) == 7, "col: hi clamps to 7");
	ok(wh_plot_col(-0.26, -1, 1, 8) == 2, "col: -0.26 -> floor(2.96) = 2");
	ok(wh_plot_col(-0.25, -1, 1, 8) == 3, "col: -0.25 -> 3");
	ok(wh_plot_col(1e300, -1, 1, 8) == 7 && wh_plot_col(-1e300, -1, 1, 8) == 0,
	    "col: far values clamp");
	ok(wh_plot_col(NAN, -1, 1, 8) == -1 && wh_plot_col(INFINITY, -1, 1, 8) == -1,
	    "col: NaN and inf are skipped");
	ok(wh_plot_col(0.5, 1, 1, 8) == 0 && wh_plot_col(0.5, 2, 1, 8) == 0 &&
	    wh_plot_col(0.5, NAN, 1, 8) == 0, "col: empty range -> 0");
	ok(wh_plot_col(0.5, 0, 1, 0) == -1, "col: no columns -> -1");
}

static void
test_hist_exact(void)
{
	static const uint64_t c[8] = { 0, 1, 2, 4, 8, 4, 2, 1 };
	static const char *const utf[4] = {
		"    \xe2\x96\x88   ",
		"   \xe2\x96\x84\xe2\x96\x88\xe2\x96\x84  ",
		" \xe2\x96\x83\xe2\x96\x86\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88"
		    "\xe2\x96\x86\xe2\x96\x83",
		"-1\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80" "1"
	};
	static const char *const asc[4] = {
		"    #   ",
		"   .#.  ",
		" ..###..",
		"-1-----1"
	};
	struct wh_plot p;

	/* 3 bar rows = 24 eighths; heights round(c / 8 * 24) */
	wh_plot_init(&p, 8, 4, 0);
	wh_plot_hist(&p, c, NULL, 8, -1, 1, 0, NULL, 0);
	ok(rows_are(&p, utf), "hist 8x4 UTF-8: bars 0,3,6,12,24,12,6,3 eighths");
	ok(color(&p, 4, 0) == WH_PC_ORIG && color(&p, 0, 3) == WH_PC_AXIS &&
	    color(&p, 0, 0) == WH_PC_NONE, "hist: bar, axis and empty colours");
	ok(all_one_column(&p, 0), "hist UTF-8: one code point per cell");
	wh_plot_release(&p);

	wh_plot_init(&p, 8, 4, 1);
	wh_plot_hist(&p, c, NULL, 8, -1, 1, 0, NULL, 0);
	ok(rows_are(&p, asc), "hist 8x4 ASCII: '#' cells and '.' tops");
	wh_plot_release(&p);
}

static void
test_hist_log(void)
{
	static const uint64_t c[4] = { 0, 10, 100, 1000 };
	static const char *const lin[4] = {
		"   \xe2\x96\x88",
		"   \xe2\x96\x88",
		" \xe2\x96\x81\xe2\x96\x82\xe2\x96\x88",
		"0\xe2\x94\x80\xe2\x94\x80" "4"
	};
	static const char *const lg[4] = {
		"   #",
		"  ##",
		" ###",
		"0--4"
	};
	struct wh_plot p;

	/* linear: 10 -> 0.24 eighths, shown as the minimum 1; 100 -> 2 */
	wh_plot_init(&p, 4, 4, 0);
	wh_plot_hist(&p, c, NULL, 4, 0, 4, 0, NULL, 0);
	ok(rows_are(&p, lin), "hist linear: 1000 fills, 100 is 2/8, 10 the minimum 1/8");
	wh_plot_release(&p);
	/* log1p: 2.40 / 6.91 * 24 = 8.3 -> 8, 4.62 / 6.91 * 24 = 16.0 -> 16 */
	wh_plot_init(&p, 4, 4, 1);
	wh_plot_hist(&p, c, NULL, 4, 0, 4, 1, NULL, 0);
	ok(rows_are(&p, lg), "hist log(1 + count): 10, 100, 1000 are 1, 2, 3 rows");
	wh_plot_release(&p);
}

static void
test_hist_rebin(void)
{
	uint64_t c16[16], c8[8], c4[4] = { 1, 2, 3, 4 }, c8b[8];
	struct wh_plot a, b;
	int i, y, same = 1;

	for (i = 0; i < 16; i++)
		c16[i] = (uint64_t)i;
	for (i = 0; i < 8; i++) {
		c8[i] = (uint64_t)(4 * i + 1);	/* (2i) + (2i + 1) */
		c8b[i] = c4[i / 2];
	}
	wh_plot_init(&a, 8, 6, 0);
	wh_plot_init(&b, 8, 6, 0);
	wh_plot_hist(&a, c16, NULL, 16, 0, 1, 0, NULL, 0);
	wh_plot_hist(&b, c8, NULL, 8, 0, 1, 0, NULL, 0);
	for (y = 0; y < 6; y++) {
		char t[256];

		strcpy(t, row(&a, y));
		if (strcmp(t, row(&b, y)) != 0)
			same = 0;
	}
	ok(same, "hist: 16 bins on 8 columns sum pairs of bins");
	wh_plot_hist(&a, c4, NULL, 4, 0, 1, 0, NULL, 0);
	wh_plot_hist(&b, c8b, NULL, 8, 0, 1, 0, NULL, 0);
	for (y = 0, same = 1; y < 6; y++) {
		char t[256];

		strcpy(t, row(&a, y));
		if (strcmp(t, row(&b, y)) != 0)
			same = 0;
	}
	ok(same, "hist: 4 bins on 8 columns span 2 columns each");
	wh_plot_release(&a);
	wh_plot_release(&b);

	/*
	 * 3 bins on 8 columns: column c shows bin (2c + 1) * 3 / 16, the bin
	 * under its centre: 0 0 0 1 1 2 2 2.  One bar row of 8 eighths:
	 * 1 -> 3, 2 -> 5, 3 -> 8.
	 */
	wh_plot_init(&a, 8, 2, 0);
	wh_plot_hist(&a, (const uint64_t[]){ 1, 2, 3 }, NULL, 3, 0, 1, 0, NULL, 0);
	ok(strcmp(row(&a, 0), "\xe2\x96\x83\xe2\x96\x83\xe2\x96\x83"
	    "\xe2\x96\x85\xe2\x96\x85\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88") == 0,
	    "hist: 3 bins on 8 columns by column centre");
	wh_plot_release(&a);
}

static void
test_hist_overlay(void)
{
	static const uint64_t o[4] = { 2, 2, 2, 2 }, n[4] = { 4, 0, 2, 1 };
	struct wh_plot p;

	/* max 4 -> 24 eighths; orig 12 each, new 24, 0, 12, 6 */
	wh_plot_init(&p, 4, 4, 0);
	wh_plot_hist(&p, o, n, 4, 0, 1, 0, NULL, 0);
	ok(color(&p, 0, 0) == WH_PC_NEW && color(&p, 0, 1) == WH_PC_NEW &&
	    color(&p, 0, 2) == WH_PC_ORIG,
	    "hist overlay: new above orig is WH_PC_NEW, below it orig");
	ok(strcmp(cell(&p, 0, 0), "\xe2\x96\x88") == 0 &&
	    strcmp(cell(&p, 0, 1), "\xe2\x96\x88") == 0,
	    "hist overlay: the taller new bar fills its column");
	ok(color(&p, 1, 1) == WH_PC_ORIG &&
	    strcmp(cell(&p, 1, 1), "\xe2\x96\x84") == 0 &&
	    color(&p, 2, 1) == WH_PC_ORIG && color(&p, 3, 1) == WH_PC_ORIG,
	    "hist overlay: a lower or equal new series leaves orig in place");
	ok(strcmp(cell(&p, 1, 0), " ") == 0 && strcmp(cell(&p, 3, 0), " ") == 0,
	    "hist overlay: nothing above either series");
	wh_plot_release(&p);
}

static void
test_hist_marks(void)
{
	static const uint64_t zero[8] = { 0 };
	static const uint64_t c[8] = { 8, 8, 8, 8, 8, 8, 8, 8 };
	const double marks[] = { 0.0, -1.0, 0.99, 5, NAN, -0.26, INFINITY };
	static const char *const want[4] = {
		"| | |  |", "| | |  |", "| | |  |", "-1+-+--1"
	};
	struct wh_plot p;
	int x, y, same = 1;

	wh_plot_init(&p, 8, 4, 1);
	wh_plot_hist(&p, zero, NULL, 8, -1, 1, 0, marks, 7);
	ok(rows_are(&p, want), "hist marks: 0 -> col 4, -1 -> 0, 0.99 and 5 -> 7, -0.26 -> 2");
	for (y = 0; y < 3; y++)
		for (x = 0; x < 8; x++) {
			int m = x == 0 || x == 2 || x == 4 || x == 7;

			if ((color(&p, x, y) == WH_PC_MARK) != m)
				same = 0;
		}
	ok(same, "hist marks: WH_PC_MARK exactly in the marker columns");
	ok(color(&p, 2, 3) == WH_PC_MARK && color(&p, 3, 3) == WH_PC_AXIS,
	    "hist marks: ticks on the axis");
	/* a marker over bars recolours them and keeps the bars */
	wh_plot_hist(&p, c, NULL, 8, -1, 1, 0, marks, 1);
	ok(strcmp(cell(&p, 4, 1), "#") == 0 && color(&p, 4, 1) == WH_PC_MARK &&
	    color(&p, 3, 1) == WH_PC_ORIG, "hist marks: a bar under a marker stays");
	wh_plot_release(&p);
}

static void
test_hist_degenerate(void)
{
	static const uint64_t zero[4] = { 0 };
	uint64_t huge[4] = { UINT64_MAX, UINT64_MAX, (uint64_t)1 << 32, 0 };
	const double marks[] = { 0.5 };
	struct wh_plot p;
	int y, blank = 1;

	wh_plot_init(&p, 4, 3, 1);
	wh_plot_hist(&p, zero, zero, 4, 0, 1, 0, marks, 0);
	for (y = 0; y < 2; y++)
		if (strcmp(row(&p, y), "    ") != 0)
			blank = 0;
	ok(blank && strcmp(row(&p, 2), "0--1") == 0,
	    "hist: all counts zero draw only the axis");
	wh_plot_hist(&p, huge, NULL, 4, 0, 1, 0, NULL, 0);
	ok(strcmp(row(&p, 0), "##  ") == 0 && strcmp(row(&p, 1), "##. ") == 0,
	    "hist: counts of 2^64 - 1 scale, 2^32 still shows");
	wh_plot_hist(&p, huge, NULL, 4, 0, 1, 1, NULL, 0);
	ok(strcmp(row(&p, 0), "##  ") == 0 && strcmp(row(&p, 1), "### ") == 0,
	    "hist: log scale, 2^32 is half of 2^64");
	wh_plot_hist(&p, huge, NULL, 4, 2, 2, 0, marks, 1);
	ok(strcmp(row(&p, 2), "2--2") == 0 && color(&p, 0, 0) == WH_PC_MARK &&
	    color(&p, 1, 0) == WH_PC_ORIG,
	    "hist: lo == hi puts markers in column 0");
	wh_plot_hist(&p, NULL, NULL, 0, NAN, INFINITY, 1, marks, 1);
	ok(all_ascii(&p), "hist: no bins, NaN and inf range");
	wh_plot_release(&p);

	wh_plot_init(&p, 3, 1, 1);
	wh_plot_hist(&p, huge, NULL, 4, -0.31, 0.29, 0, NULL, 0);
	ok(strcmp(row(&p, 0), "---") == 0, "hist: one row is the axis, labels too wide left out");
	wh_plot_release(&p);

	wh_plot_init(&p, 16, 2, 1);
	wh_plot_hist(&p, huge, NULL, 4, -0.31, 0.29, 0, NULL, 0);
	ok(strcmp(row(&p, 1), "-0.31-------0.29") == 0,
	    "hist: axis labels lo at the left, hi at the right ('%s')", rowbuf);
	wh_plot_release(&p);

	wh_plot_init(&p, 0, 5, 0);
	ok(p.cell == NULL && p.w == 0, "plot: w 0 allocates nothing");
	wh_plot_hist(&p, huge, huge, 4, 0, 1, 0, marks, 1);
	wh_plot_spectrum(&p, NULL, 0, 3);
	wh_plot_scatter(&p, NULL, NULL, 0, 0);
	ok(strcmp(row(&p, 0), "") == 0, "plot: drawing on no cells does nothing");
	wh_plot_release(&p);
	wh_plot_init(&p, 5, -1, 0);
	ok(p.cell == NULL && p.h == 0, "plot: h < 1 allocates nothing");
	wh_plot_release(&p);
}

static void
test_row(void)
{
	struct wh_plot p;
	char small[8];

	wh_plot_init(&p, 4, 2, 0);
	wh_plot_hist(&p, (const uint64_t[]){ 1, 1, 1, 1 }, NULL, 4, 0, 1, 0,
	    NULL, 0);
	/* each bar cell takes 3 bytes: 2 of them fit in 8 with the NUL */
	ok(strcmp(wh_plot_row(&p, 0, small, sizeof small),
	    "\xe2\x96\x88\xe2\x96\x88") == 0,
	    "row: stops at the last whole cell that fits");
	ok(strcmp(wh_plot_row(&p, 2, small, sizeof small), "") == 0 &&
	    strcmp(wh_plot_row(&p, -1, small, sizeof small), "") == 0,
	    "row: rows outside the plot are empty");
	ok(strcmp(wh_plot_row(&p, 0, small, 0), "") == 0, "row: size 0");
	memset(small, 'x', sizeof small);
	ok(strcmp(wh_plot_row(&p, 0, small, 6), "\xe2\x96\x88") == 0 &&
	    small[6] == 'x', "row: the NUL counts against size");
	wh_plot_release(&p);
}

/* The expected dot mask of cell (cx, cy) of the area for a dot set. */
static uint8_t
mask_of(int cx, int cy, int (*on)(int, int))
{
	uint8_t m = 0;
	int dx, dy;

	for (dx = 0; dx < 2; dx++)
		for (dy = 0; dy < 4; dy++)
			if (on(2 * cx + dx, 4 * cy + dy))
				m |= wh_braille_bit(dx, dy);
	return m;
}

/* s_i = 10^-i, k = 32 on 32 x 32 dots: the diagonal and energy ~1 on top */
static int
diag_or_top(int px, int py)
{
	return py == px || py == 0;
}

static void
test_spectrum_line(void)
{
	float s[32];
	struct wh_plot p;
	int i, x, y, same = 1, diag = 1;
	char want[64];

	/*
	 * 22 x 9: the top row is the label row; the gutter is "1e-31" + a
	 * space = 6 columns, leaving 16 x 8 cells = 32 x 32 dots.
	 */
	for (i = 0; i < 32; i++)
		s[i] = powf(10, (float)-i);
	wh_plot_init(&p, 22, 9, 0);
	wh_plot_spectrum(&p, s, 32, 0);
	for (y = 1; y < 9; y++)
		for (x = 6; x < 22; x++) {
			uint8_t m = mask_of(x - 6, y - 1, diag_or_top);

			if (p.dots[(size_t)y * 22 + x] != m ||
			    one_code_point(cell(&p, x, y)) != (m ? 0x2800 + m : ' ')) {
				tap_diag("cell (%d, %d): 0x%02x, want 0x%02x", x,
				    y, p.dots[(size_t)y * 22 + x], m);
				same = 0;
			}
		}
	ok(same, "spectrum 10^-i: a straight diagonal, energy on the top dot row");
	ok(strncmp(row(&p, 1), "    1 ", 6) == 0, "spectrum: max label '1' on the first plot row");
	ok(strncmp(row(&p, 8), "1e-31 ", 6) == 0, "spectrum: min label '1e-31' on the last row");
	ok(strspn(row(&p, 0), " ") == 22, "spectrum: rank 0 leaves the label row empty");
	ok(color(&p, 6, 8) == WH_PC_NONE && color(&p, 21, 8) == WH_PC_ORIG &&
	    color(&p, 21, 1) == WH_PC_NEW && color(&p, 4, 1) == WH_PC_AXIS &&
	    color(&p, 5, 1) == WH_PC_NONE,
	    "spectrum: ORIG spectrum, NEW energy, AXIS labels");
	ok(all_one_column(&p, 0), "spectrum UTF-8: one code point per cell");
	wh_plot_release(&p);

	wh_plot_init(&p, 22, 9, 1);
	wh_plot_spectrum(&p, s, 32, 0);
	ok(strcmp(row(&p, 1), "    1 **..............") == 0 &&
	    strcmp(row(&p, 4), "            **        ") == 0 &&
	    strcmp(row(&p, 8), "1e-31               **") == 0,
	    "spectrum ASCII: '*' spectrum over the '.' energy curve");
	ok(all_ascii(&p), "spectrum ASCII: printable bytes only");
	wh_plot_release(&p);

	/*
	 * 2^-i: also a straight line, every diagonal dot set; the gutter is
	 * "4.66e-10" and a space, 9 columns, so 25 columns leave 32 dots.
	 */
	for (i = 0; i < 32; i++)
		s[i] = ldexpf(1, -i);
	wh_plot_init(&p, 25, 9, 0);
	wh_plot_spectrum(&p, s, 32, 0);
	for (i = 0; i < 32; i++) {
		size_t c = (size_t)(1 + i / 4) * 25 + 9 + i / 2;

		if (!(p.dots[c] & wh_braille_bit(i & 1, i & 3)))
			diag = 0;
	}
	ok(diag, "spectrum 2^-i: dot (i, i) set for every i");
	snprintf(want, sizeof want, "%.3g", ldexp(1, -31));
	ok(strcmp(want, "4.66e-10") == 0 && strncmp(row(&p, 8), "4.66e-10 ", 9) == 0 &&
	    strncmp(row(&p, 1), "       1 ", 9) == 0,
	    "spectrum: labels '1' and '%s' right-aligned in the gutter", want);
	wh_plot_release(&p);
}

static void
test_spectrum_rank(void)
{
	float s[32], two[2] = { 3, 4 };
	struct wh_plot p;
	char want[64];
	int i, y, line = 1;

	for (i = 0; i < 32; i++)
		s[i] = powf(10, (float)-i);
	/* rank 16: index 15 -> dot 15 -> cell 6 + 7 = 13 */
	wh_plot_init(&p, 22, 9, 1);
	wh_plot_spectrum(&p, s, 32, 16);
	for (y = 1; y < 9; y++)
		if (color(&p, 13, y) != WH_PC_MARK)
			line = 0;
	ok(line, "spectrum: rank 16 is a WH_PC_MARK line in column 13");
	ok(strcmp(cell(&p, 13, 8), "|") == 0, "spectrum: '|' where nothing else is");
	snprintf(want, sizeof want, "r=16 %.1f%%", 100 * wh_energy_kept(s, 32, 16));
	ok(strcmp(want, "r=16 100.0%") == 0 &&
	    strcmp(row(&p, 0), "   r=16 100.0%        ") == 0,
	    "spectrum: label '%s' ends at the rank column when it does not fit",
	    want);
	ok(color(&p, 3, 0) == WH_PC_MARK, "spectrum: the label is WH_PC_MARK");
	wh_plot_spectrum(&p, s, 32, 2);
	ok(strncmp(row(&p, 0), "      r=2 100.0%", 16) == 0,
	    "spectrum: label starts at the rank column when it fits ('%s')", rowbuf);
	wh_plot_spectrum(&p, s, 32, 999);
	ok(strstr(row(&p, 0), "r=32 100.0%") != NULL && color(&p, 21, 1) == WH_PC_MARK,
	    "spectrum: rank above k is clamped to k");
	wh_plot_release(&p);

	/* 3^2 / (3^2 + 4^2) = 36% (the values need not be sorted) */
	wh_plot_init(&p, 30, 5, 0);
	wh_plot_spectrum(&p, two, 2, 1);
	ok(strstr(row(&p, 0), "r=1 36.0%") != NULL, "spectrum: label 'r=1 36.0%%' for s = {3, 4}");
	ok(all_one_column(&p, 0), "spectrum UTF-8 with a rank: one code point per cell");
	wh_plot_release(&p);
}

static void
test_spectrum_degenerate(void)
{
	const float z[5] = { 4, 2, 1, 0, 0 };
	const float bad[5] = { NAN, 1, INFINITY, 0.5f, -INFINITY };
	const float zeros[3] = { 0, 0, 0 };
	const float one = 2;
	struct wh_plot p;
	int i;

	/*
	 * 20 x 6: gutter 2 ("4", "1", "0" and a space), 18 columns = 36
	 * dots; index 3 -> round(3 * 35 / 4) = 26 -> cell 15, 4 -> 35 -> 19
	 */
	wh_plot_init(&p, 20, 6, 1);
	wh_plot_spectrum(&p, z, 5, 0);
	ok(strcmp(row(&p, 5), "0              0   0") == 0,
	    "spectrum: zeros as '0' on the bottom row ('%s')", rowbuf);
	ok(strncmp(row(&p, 1), "4 *", 3) == 0 && strncmp(row(&p, 4), "1 ", 2) == 0,
	    "spectrum: positive values above the zero row");
	wh_plot_spectrum(&p, bad, 5, 5);
	ok(all_ascii(&p) && strstr(row(&p, 0), "r=5 100.0%") != NULL,
	    "spectrum: NaN and inf skipped ('%s')", rowbuf);
	wh_plot_spectrum(&p, zeros, 3, 1);
	ok(all_ascii(&p) && strchr(row(&p, 5), '0') != NULL &&
	    strstr(row(&p, 0), "r=1 100.0%") != NULL,
	    "spectrum: all zero: '0' marks, energy 1");
	wh_plot_spectrum(&p, &one, 1, 1);
	ok(all_ascii(&p) && strstr(row(&p, 0), "r=1 100.0%") != NULL,
	    "spectrum: a single value");
	wh_plot_spectrum(&p, z, 0, 3);
	for (i = 0; i < 6; i++)
		if (strspn(row(&p, i), " ") != 20)
			break;
	ok(i == 6, "spectrum: k = 0 leaves the plot blank");
	wh_plot_release(&p);

	for (i = 1; i <= 4; i++) {
		int w;

		for (w = 1; w <= 5; w++) {
			wh_plot_init(&p, w, i, 1);
			wh_plot_spectrum(&p, z, 5, 3);
			if (!all_ascii(&p))
				break;
			wh_plot_release(&p);
		}
		if (w <= 5)
			break;
	}
	ok(i == 5, "spectrum: tiny plots from 1x1 to 5x4");
	if (i != 5)
		wh_plot_release(&p);
}

static void
test_scatter(void)
{
	/* log scale (1 KiB .. 1000 KiB): 10 KiB is a third of the way */
	const double lx[3] = { 1024, 10240, 1024000 }, ly[3] = { 0.5, 0.75, 0.9 };
	const double nx[3] = { 1000, 2000, 5000 };
	const double hx[6] = { 1024, 10240, 102400, 51200, 102400, 20480 };
	const double hy[6] = { 0.80, 0.85, 0.95, 0.90, 0.95, 0.82 };
	struct wh_plot p;
	int x, y, others = 0, front = 1;

	/*
	 * 30 x 8: gutter "90.0%" + space = 6; 24 columns = 48 dots; 7 plot
	 * rows = 28 dots, then the size axis.
	 */
	wh_plot_init(&p, 30, 8, 1);
	wh_plot_scatter(&p, lx, ly, 3, -1);
	/* 10 KiB: dot round(47 / 3) = 16 -> cell 14; round(10.125) = 10 -> row 2 */
	ok(strcmp(cell(&p, 14, 2), "*") == 0 && strcmp(cell(&p, 12, 2), "*") != 0,
	    "scatter log: 10 KiB a third of the way, column 14");
	ok(strcmp(cell(&p, 6, 6), "*") == 0 && strcmp(cell(&p, 29, 0), "*") == 0,
	    "scatter: corners for the extreme points");
	ok(strncmp(row(&p, 0), "90.0% ", 6) == 0 && strncmp(row(&p, 6), "50.0% ", 6) == 0,
	    "scatter: accuracy labels in percent");
	ok(strcmp(row(&p, 7), "      1.0 KiB- log -1000.0 KiB") == 0,
	    "scatter: size axis '%s'", rowbuf);
	wh_plot_scatter(&p, nx, ly, 3, -1);
	/* linear: round(1000 / 4000 * 47) = 12 -> cell 12 */
	ok(strcmp(cell(&p, 12, 2), "*") == 0 && strcmp(cell(&p, 14, 2), "*") != 0,
	    "scatter linear: a range of 5x stays linear");
	ok(strcmp(row(&p, 7), "      1000 B-----------4.9 KiB") == 0,
	    "scatter: linear axis '%s'", rowbuf);

	/*
	 * The history: index 4 repeats index 2, index 5 (20 KiB, 82%) is
	 * dominated by index 1 (10 KiB, 85%).  Index 5: log(20) / log(100)
	 * * 47 = 30.6 -> 31 -> cell 21; (0.95 - 0.82) / 0.15 * 27 = 23.4 -> 23
	 * -> row 5.
	 */
	wh_plot_scatter(&p, hx, hy, 6, 5);
	ok(strcmp(cell(&p, 21, 5), "O") == 0 && color(&p, 21, 5) == WH_PC_MARK,
	    "scatter: current point 'O' in WH_PC_MARK");
	ok(all_ascii(&p), "scatter ASCII: printable bytes only");
	wh_plot_scatter(&p, hx, hy, 6, -1);
	ok(strcmp(cell(&p, 21, 5), "*") == 0 && color(&p, 21, 5) == WH_PC_ORIG,
	    "scatter: the dominated point is a plain WH_PC_ORIG '*'");
	for (y = 0; y < 7; y++)
		for (x = 6; x < 30; x++) {
			if (color(&p, x, y) == WH_PC_FRONT &&
			    strchr("-|/*", cell(&p, x, y)[0]) == NULL)
				front = 0;
			if (color(&p, x, y) == WH_PC_ORIG &&
			    !(x == 21 && y == 5))
				others++;
		}
	ok(front && others == 0, "scatter: every front cell is WH_PC_FRONT");
	ok(color(&p, 6, 6) == WH_PC_FRONT && color(&p, 29, 0) == WH_PC_FRONT,
	    "scatter: the front runs from the smallest to the most accurate");
	wh_plot_release(&p);

	wh_plot_init(&p, 30, 8, 0);
	wh_plot_scatter(&p, hx, hy, 6, 5);
	ok(strcmp(cell(&p, 21, 5), "\xe2\x97\x8f") == 0, "scatter UTF-8: current point U+25CF");
	ok(p.dots[(size_t)6 * 30 + 6] & wh_braille_bit(0, 3),
	    "scatter: the smallest point is the bottom-left dot");
	ok(p.dots[29] & wh_braille_bit(1, 0), "scatter: the most accurate is the top-right dot");
	ok(all_one_column(&p, 0), "scatter UTF-8: one code point per cell");
	wh_plot_release(&p);
}

static void
test_scatter_degenerate(void)
{
	const double x[4] = { NAN, 1 << 20, INFINITY, 1 << 20 };
	const double y[4] = { 0.5, 0.9, 0.7, 0.9 };
	struct wh_plot p;
	int w, h, good = 1;

	wh_plot_init(&p, 20, 5, 1);
	wh_plot_scatter(&p, x, y, 4, 0);
	ok(all_ascii(&p) && strstr(row(&p, 4), "1.0 MiB") != NULL,
	    "scatter: NaN and inf skipped, one size left ('%s')", rowbuf);
	/* 4 plot rows = 16 dots: (16 - 1) / 2 = 7 -> row 1; 14 columns: dot 13 */
	ok(strcmp(cell(&p, 12, 1), "*") == 0, "scatter: a single position is centred");
	wh_plot_scatter(&p, x, y, 0, 0);
	ok(strspn(row(&p, 0), " ") == 20, "scatter: n = 0 leaves the plot blank");
	wh_plot_scatter(&p, x, y, 1, 0);
	ok(strspn(row(&p, 0), " ") == 20, "scatter: only non-finite points");
	wh_plot_scatter(&p, x, y, 4, 1);
	ok(strcmp(cell(&p, 12, 1), "O") == 0, "scatter: current point drawn");
	wh_plot_scatter(&p, x, y, 4, 99);
	ok(strcmp(cell(&p, 12, 1), "*") == 0, "scatter: current out of range is ignored");
	wh_plot_release(&p);
	for (w = 1; w <= 8; w++)
		for (h = 1; h <= 4; h++) {
			wh_plot_init(&p, w, h, 1);
			wh_plot_scatter(&p, (const double[]){ 100, 1e9 },
			    (const double[]){ 0.1, 1 }, 2, 1);
			if (!all_ascii(&p))
				good = 0;
			wh_plot_release(&p);
		}
	ok(good, "scatter: tiny plots from 1x1 to 8x4");
}

static int
brute_on_front(const double *x, const double *y, int n, int i)
{
	int j;

	if (!isfinite(x[i]) || !isfinite(y[i]))
		return 0;
	for (j = 0; j < n; j++) {
		if (j == i || !isfinite(x[j]) || !isfinite(y[j]))
			continue;
		if (x[j] <= x[i] && y[j] >= y[i] && (x[j] < x[i] || y[j] > y[i]))
			return 0;
		if (x[j] == x[i] && y[j] == y[i] && j < i)
			return 0;
	}
	return 1;
}

static void
test_pareto(void)
{
	int idx[600], m, i, same;

	m = wh_pareto((const double[]){ 1, 2, 3, 4 },
	    (const double[]){ 0.1, 0.3, 0.2, 0.4 }, 4, idx);
	ok(m == 3 && idx[0] == 0 && idx[1] == 1 && idx[2] == 3,
	    "pareto: (3, 0.2) dominated by (2, 0.3) is left out");
	m = wh_pareto((const double[]){ 2, 1, 1 },
	    (const double[]){ 0.6, 0.5, 0.7 }, 3, idx);
	ok(m == 1 && idx[0] == 2, "pareto: same size, the more accurate wins");
	m = wh_pareto((const double[]){ 2, 1 }, (const double[]){ 0.5, 0.5 }, 2, idx);
	ok(m == 1 && idx[0] == 1, "pareto: same accuracy, the smaller wins");
	m = wh_pareto((const double[]){ 3, 3, 3 },
	    (const double[]){ 0.9, 0.9, 0.9 }, 3, idx);
	ok(m == 1 && idx[0] == 0, "pareto: identical points keep one (the first)");
	m = wh_pareto((const double[]){ 5 }, (const double[]){ 0.1 }, 1, idx);
	ok(m == 1 && idx[0] == 0, "pareto: a single point");
	m = wh_pareto((const double[]){ 4, 1, 2 },
	    (const double[]){ 0.9, 0.1, 0.5 }, 3, idx);
	ok(m == 3 && idx[0] == 1 && idx[1] == 2 && idx[2] == 0,
	    "pareto: sorted by size");
	m = wh_pareto((const double[]){ NAN, 1, 0.5 },
	    (const double[]){ 1, 0.5, NAN }, 3, idx);
	ok(m == 1 && idx[0] == 1, "pareto: non-finite points left out");
	ok(wh_pareto(NULL, NULL, 0, idx) == 0, "pareto: n = 0");

	{
		double x[600], yv[600];
		uint32_t seed = 7;
		int on = 0, j;

		for (i = 0; i < 600; i++) {
			seed = seed * 1664525u + 1013904223u;
			x[i] = (seed >> 8) % 40;
			seed = seed * 1664525u + 1013904223u;
			yv[i] = (double)((seed >> 8) % 30) / 30;
		}
		m = wh_pareto(x, yv, 600, idx);
		same = 1;
		for (i = 0; i < 600; i++)
			on += brute_on_front(x, yv, 600, i);
		for (j = 0; j < m; j++) {
			if (!brute_on_front(x, yv, 600, idx[j]))
				same = 0;
			if (j > 0 && !(x[idx[j - 1]] < x[idx[j]] &&
			    yv[idx[j - 1]] < yv[idx[j]]))
				same = 0;
		}
		ok(same && on == m, "pareto: 600 points on a grid agree with the "
		    "O(n^2) definition (%d on the front)", m);
	}
}

#define RECTS(l) { \
	{ (l).table_x, (l).table_y, (l).table_w, (l).table_h }, \
	{ (l).hist_x, (l).hist_y, (l).hist_w, (l).hist_h }, \
	{ (l).spec_x, (l).spec_y, (l).spec_w, (l).spec_h }, \
	{ (l).sum_x, (l).sum_y, (l).sum_w, (l).sum_h }, \
	{ (l).hist2_x, (l).hist2_y, (l).hist2_w, (l).hist2_h } }

static void
test_layout(void)
{
	struct wh_layout l;
	int cols, rows, ci, ri, bad = 0, sizes = 0;

	wh_layout_compute(&l, 80, 24);
	ok(!l.too_small && l.table_w == 45 && l.table_h == 15 && l.sum_h == 8 &&
	    l.hist_w == 34 && l.hist_h == 8 && l.spec_h == 7 && l.hist2_h == 8 &&
	    l.hint_y == 23 && l.hist_x == 46 && l.sum_w == 45,
	    "layout 80x24: table 45x15, summary 8, plots 8 + 7, history 8, "
	    "column 45 blank between them");
	wh_layout_compute(&l, 200, 60);
	ok(l.table_w == 109 && l.table_h == 51 && l.hist2_h == 14 &&
	    l.hist_h == 23 && l.spec_h == 22 && l.hist_x == 110,
	    "layout 200x60: table 55%%, history a quarter of 59 rows");

	/* columns 80, 83, .., 248, 250; rows 24, 27, .., 69, 70 */
	for (ci = 0; ci <= 57; ci++)
		for (ri = 0; ri <= 16; ri++) {
			int i, j, area = 0;

			cols = ci < 57 ? 80 + 3 * ci : 250;
			rows = ri < 16 ? 24 + 3 * ri : 70;
			wh_layout_compute(&l, cols, rows);
			int r[5][4] = RECTS(l);

			sizes++;
			if (l.too_small || l.hint_y != rows - 1) {
				bad++;
				continue;
			}
			for (i = 0; i < 5; i++) {
				if (r[i][0] < 0 || r[i][1] < 0 || r[i][2] < 1 ||
				    r[i][3] < 3 || r[i][0] + r[i][2] > cols ||
				    r[i][1] + r[i][3] > rows - 1)
					bad++;
				area += r[i][2] * r[i][3];
				for (j = i + 1; j < 5; j++)
					if (r[i][0] < r[j][0] + r[j][2] &&
					    r[j][0] < r[i][0] + r[i][2] &&
					    r[i][1] < r[j][1] + r[j][3] &&
					    r[j][1] < r[i][1] + r[i][3])
						bad++;
			}
			/* all but the blank column between the sides */
			if (area != (cols - 1) * (rows - 1) ||
			    l.table_x + l.table_w + 1 != l.hist_x)
				bad++;
			if (l.hist_h < 6 || l.spec_h < 6 || l.table_w < 45 ||
			    l.sum_h != 8 || l.hist2_h < 3)
				bad++;
			if (cols >= 84 && ((l.table_w + 1) * 100 < cols * 54 ||
			    (l.table_w + 1) * 100 > cols * 56))
				bad++;
			/* where the panes sit */
			if (l.sum_x != l.table_x || l.sum_y != l.table_y + l.table_h ||
			    l.hist_x < l.table_x + l.table_w ||
			    l.spec_x != l.hist_x || l.spec_y != l.hist_y + l.hist_h ||
			    l.hist2_x != l.hist_x || l.hist2_y != l.spec_y + l.spec_h)
				bad++;
		}
	ok(bad == 0, "layout: %d sizes 80x24..250x70: inside, no overlap, the "
	    "screen covered, minimum sizes, hint bar last (%d faults)", sizes, bad);

	wh_layout_compute(&l, 79, 24);
	ok(l.too_small && l.hint_y == 23, "layout: 79x24 is too small");
	wh_layout_compute(&l, 80, 23);
	ok(l.too_small, "layout: 80x23 is too small");
	wh_layout_compute(&l, 0, 0);
	ok(l.too_small && l.table_w == 0 && l.hint_y == 0, "layout: 0x0");
	wh_layout_compute(&l, -3, 100);
	ok(l.too_small, "layout: negative columns");
	wh_layout_compute(&l, 100000, 50000);
	ok(!l.too_small && l.hist_x + l.hist_w == 100000 &&
	    l.hist2_y + l.hist2_h == 49999, "layout: a huge screen");
}

static void
test_wilson(void)
{
	double lo, hi;

	wh_wilson(90, 100, &lo, &hi);
	ok_near(lo, 0.8256, 1e-3, "wilson 90/100: lo %.4f (0.8256)", lo);
	ok_near(hi, 0.9448, 1e-3, "wilson 90/100: hi %.4f (0.9448)", hi);
	wh_wilson(50, 100, &lo, &hi);
	ok_near(lo, 0.4038, 1e-4, "wilson 50/100: lo %.4f (0.4038)", lo);
	ok_near(hi, 0.5962, 1e-4, "wilson 50/100: hi %.4f (0.5962)", hi);
	wh_wilson(0, 10, &lo, &hi);
	ok(lo == 0 && fabs(hi - 3.8416 / 13.8416) < 1e-9,
	    "wilson 0/10: [0, z^2 / (n + z^2)] = [0, %.4f]", hi);
	wh_wilson(10, 10, &lo, &hi);
	ok(hi == 1 && fabs(lo - 10 / 13.8416) < 1e-9, "wilson 10/10: [%.4f, 1]", lo);
	wh_wilson(0, 0, &lo, &hi);
	ok(lo == 0 && hi == 1, "wilson: n = 0 gives [0, 1]");
	wh_wilson(7, 5, &lo, &hi);
	ok(hi == 1 && lo > 0.5, "wilson: correct > n is clamped");
	wh_wilson(9000, 10000, &lo, &hi);
	ok(hi - lo < 0.012 && lo < 0.9 && hi > 0.9,
	    "wilson 9000/10000: narrow ([%.4f, %.4f])", lo, hi);
}

static void
test_utf8_width(void)
{
	const float s[6] = { 8, 4, 2, 1, 0, 0 };
	const uint64_t c[5] = { 1, 5, 9, 3, 0 };
	const double m[2] = { -0.1, 0.1 };
	const double x[3] = { 1e3, 1e5, 1e7 }, y[3] = { 0.2, 0.6, 0.9 };
	struct wh_plot p;
	int wide = setlocale(LC_CTYPE, "C.UTF-8") != NULL ||
	    setlocale(LC_CTYPE, "en_US.UTF-8") != NULL;

	wh_plot_init(&p, 40, 9, 0);
	wh_plot_hist(&p, c, c, 5, -0.5, 0.5, 1, m, 2);
	ok(all_one_column(&p, wide), "UTF-8 hist: every cell one column%s",
	    wide ? " (wcwidth)" : "");
	wh_plot_spectrum(&p, s, 6, 3);
	ok(all_one_column(&p, wide), "UTF-8 spectrum: every cell one column");
	wh_plot_scatter(&p, x, y, 3, 1);
	ok(all_one_column(&p, wide), "UTF-8 scatter: every cell one column");
	wh_plot_release(&p);

	wh_plot_init(&p, 40, 9, 1);
	wh_plot_hist(&p, c, c, 5, -0.5, 0.5, 1, m, 2);
	ok(all_ascii(&p), "ASCII hist: bytes 0x20..0x7e only");
	wh_plot_spectrum(&p, s, 6, 3);
	ok(all_ascii(&p), "ASCII spectrum: bytes 0x20..0x7e only");
	wh_plot_scatter(&p, x, y, 3, 1);
	ok(all_ascii(&p), "ASCII scatter: bytes 0x20..0x7e only");
	wh_plot_release(&p);
	setlocale(LC_CTYPE, "C");
}

static void
test_ratio(void)
{
	char b[64];

	ok(strcmp(wh_ratio_label(827688, 36744, b, sizeof b), "22.53x") == 0,
	    "ratio: 22.53x (%s)", b);
	ok(strcmp(wh_ratio_label(827688, 827688, b, sizeof b), "1.00x") == 0,
	    "ratio: equal sizes read 1.00x (%s)", b);
	/* the demo with /3/Conv at rank 31 of 32: 3.3 KiB more than float32 */
	ok(strcmp(wh_ratio_label(827688, 830670, b, sizeof b), "0.996x") == 0,
	    "ratio: a model larger than float32 does not read 1.00x (%s)", b);
	ok(strcmp(wh_ratio_label(827688, 827344, b, sizeof b), "1.0004x") == 0,
	    "ratio: nor one a little smaller (%s)", b);
	ok(strcmp(wh_ratio_label(1000000, 999999, b, sizeof b), "1.000001x") == 0,
	    "ratio: up to six digits (%s)", b);
	ok(strcmp(wh_ratio_label(100, 0, b, sizeof b), "-") == 0,
	    "ratio: nothing stored: '-'");
}

/* Wraps s to w columns, the lines joined by '|'. */
static const char *
wrapped(const char *s, int w)
{
	static char out[1024];
	const char *next;
	size_t len = 0;
	int n, lines = 0;

	out[0] = '\0';
	while (*s != '\0' && lines++ < 100) {
		n = wh_wrap(s, w, &next);
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s",
		    len ? "|" : "", n, s);
		s = next;
	}
	return out;
}

static void
test_wrap(void)
{
	const char *m = "whittle needs a terminal of at least 80x24; this one "
	    "is 60x20.";
	const char *next;

	ok(strcmp(wrapped(m, 80), m) == 0, "wrap: a line that fits stays whole");
	ok(strcmp(wrapped(m, 60), "whittle needs a terminal of at least 80x24; "
	    "this one is|60x20.") == 0, "wrap at 60: '%s'", wrapped(m, 60));
	ok(strcmp(wrapped(m, 20), "whittle needs a|terminal of at least|80x24; "
	    "this one is|60x20.") == 0, "wrap at 20: '%s'", wrapped(m, 20));
	ok(strcmp(wrapped("abcdefghij kl", 4), "abcd|efgh|ij|kl") == 0,
	    "wrap: a word longer than the line is cut: '%s'",
	    wrapped("abcdefghij kl", 4));
	ok(strcmp(wrapped("ab cd", 1), "a|b|c|d") == 0,
	    "wrap at 1: a character a line: '%s'", wrapped("ab cd", 1));
	ok(strcmp(wrapped("a\xcf\x83\xcf\x83 b", 3), "a\xcf\x83\xcf\x83|b") == 0,
	    "wrap: UTF-8 characters count one column each");
	ok(wh_wrap("", 10, &next) == 0 && *next == '\0', "wrap: empty");
	ok(strcmp(wrapped("ab   cd", 3), "ab|cd") == 0,
	    "wrap: the spaces at a break are dropped: '%s'",
	    wrapped("ab   cd", 3));
}

static void
test_labels(void)
{
	/* the demo's baseline and its first int4 point */
	const double x[2] = { 125289, 827688 }, y[2] = { 0.9097, 0.9101 };
	const double xs[3] = { 36744, 125289, 827688 };
	const double ys[3] = { 0.8691, 0.9097, 0.9101 };
	const char *const v[3] = { "int4 symmetric per-channel min/max",
		"int4 sym. per-channel", "int4" };
	struct wh_plot p;

	wh_plot_init(&p, 34, 6, 1);
	wh_plot_scatter(&p, x, y, 2, -1);
	ok(strncmp(row(&p, 0), "91.01% ", 7) == 0 &&
	    strncmp(row(&p, 4), "90.97% ", 7) == 0,
	    "scatter: 91.01%% and 90.97%% do not both read 91.0%% ('%.7s', "
	    "'%.7s')", row(&p, 0), row(&p, 4));
	wh_plot_scatter(&p, xs, ys, 3, -1);
	ok(strncmp(row(&p, 0), "91.0% ", 6) == 0 &&
	    strncmp(row(&p, 4), "86.9% ", 6) == 0,
	    "scatter: one decimal when it tells them apart");
	ok(strstr(row(&p, 5), "-log size-") != NULL,
	    "scatter: the log axis says it is a log of the size: '%s'", rowbuf);
	wh_plot_release(&p);
	wh_plot_init(&p, 60, 6, 1);
	wh_plot_scatter(&p, xs, ys, 3, -1);
	ok(strstr(row(&p, 5), " size, log scale ") != NULL,
	    "scatter: wider, in words: '%s'", rowbuf);
	wh_plot_scatter(&p, xs, (const double[]){ 0.9, 0.9, 0.9 }, 3, -1);
	ok(strncmp(row(&p, 0), "90.0% ", 6) == 0 &&
	    strspn(row(&p, 4), " ") >= 6, "scatter: equal accuracies are "
	    "labelled once");
	wh_plot_release(&p);

	ok(wh_fit(v, 3, 80) == 0 && wh_fit(v, 3, 34) == 0 &&
	    wh_fit(v, 3, 33) == 1 && wh_fit(v, 3, 21) == 1 &&
	    wh_fit(v, 3, 20) == 2 && wh_fit(v, 3, 1) == 2,
	    "fit: the longest caption that fits, else the shortest");
	ok(wh_text_width("\xe2\x96\x88orig \xcf\x83") == 7 &&
	    wh_text_width("\001new") == 4, "text width: a column per character");
}

int
main(void)
{
	test_braille();
	test_plot_col();
	test_hist_exact();
	test_hist_log();
	test_hist_rebin();
	test_hist_overlay();
	test_hist_marks();
	test_hist_degenerate();
	test_row();
	test_spectrum_line();
	test_spectrum_rank();
	test_spectrum_degenerate();
	test_scatter();
	test_scatter_degenerate();
	test_pareto();
	test_layout();
	test_wilson();
	test_utf8_width();
	test_ratio();
	test_wrap();
	test_labels();
	return tap_done();
}
