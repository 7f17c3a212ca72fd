/* plot.c - histograms, spectra, scatters and the screen layout as text */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/stats.h"
#include "whittle/util.h"
#include "plot.h"

/* U+2581..U+2588: one to eight eighths of a cell, from the bottom. */
static const char *const eighth[9] = {
	" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"
};
#define G_VLINE		"\xe2\x94\x82"	/* U+2502 light vertical */
#define G_HLINE		"\xe2\x94\x80"	/* U+2500 light horizontal */
#define G_TICK		"\xe2\x94\xb4"	/* U+2534 up and horizontal */
#define G_BULLET	"\xe2\x97\x8f"	/* U+25CF black circle */

void
wh_plot_init(struct wh_plot *p, int w, int h, int ascii)
{
	size_t n;

	memset(p, 0, sizeof *p);
	p->ascii = ascii;
	if (w < 1 || h < 1)
		return;
	p->w = w;
	p->h = h;
	n = (size_t)w * (size_t)h;
	p->cell = xcalloc(n, sizeof *p->cell);
	p->color = xcalloc(n, sizeof *p->color);
	p->dots = xcalloc(n, sizeof *p->dots);
	while (n-- > 0)
		p->cell[n][0] = ' ';
}

void
wh_plot_release(struct wh_plot *p)
{
	free(p->cell);
	free(p->color);
	free(p->dots);
	p->cell = NULL;
	p->color = p->dots = NULL;
	p->w = p->h = 0;
}

const char *
wh_plot_row(const struct wh_plot *p, int y, char *buf, size_t size)
{
	size_t len = 0, n;
	int x;

	if (buf == NULL || size == 0)
		return "";
	buf[0] = '\0';
	if (p->cell == NULL || y < 0 || y >= p->h)
		return buf;
	for (x = 0; x < p->w; x++) {
		const char *c = p->cell[(size_t)y * (size_t)p->w + (size_t)x];

		n = strlen(c);
		if (len + n + 1 > size)
			break;
		memcpy(buf + len, c, n);
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

uint8_t
wh_braille_bit(int dx, int dy)
{
	static const uint8_t bit[2][4] = {
		{ 0x01, 0x02, 0x04, 0x40 },	/* dots 1, 2, 3, 7 */
		{ 0x08, 0x10, 0x20, 0x80 }	/* dots 4, 5, 6, 8 */
	};

	if (dx < 0 || dx > 1 || dy < 0 || dy > 3)
		return 0;
	return bit[dx][dy];
}

void
wh_braille_utf8(uint8_t mask, char out[4])
{
	/* U+2800 + mask: 1110 0010, 10 1000 mm, 10 mmmmmm */
	out[0] = (char)0xe2;
	out[1] = (char)(0xa0 | (mask >> 6));
	out[2] = (char)(0x80 | (mask & 0x3f));
	out[3] = '\0';
}

int
wh_plot_col(double v, double lo, double hi, int w)
{
	double f;

	if (w < 1 || !isfinite(v))
		return -1;
	if (!isfinite(lo) || !isfinite(hi) || !(hi > lo))
		return 0;
	f = floor((v - lo) / (hi - lo) * w);
	if (!(f >= 0))
		return 0;
	if (f >= w)
		return w - 1;
	return (int)f;
}

/* Drawing primitives.  Cells outside the plot are ignored. */

static int
has_cells(const struct wh_plot *p)
{
	return p->cell != NULL && p->w > 0 && p->h > 0;
}

static void
clear(struct wh_plot *p)
{
	size_t i, n = (size_t)p->w * (size_t)p->h;

	for (i = 0; i < n; i++) {
		p->cell[i][0] = ' ';
		p->cell[i][1] = '\0';
		p->color[i] = WH_PC_NONE;
		p->dots[i] = 0;
	}
}

static int
inside(const struct wh_plot *p, int x, int y)
{
	return x >= 0 && y >= 0 && x < p->w && y < p->h;
}

static size_t
at(const struct wh_plot *p, int x, int y)
{
	return (size_t)y * (size_t)p->w + (size_t)x;
}

static int
blank(const struct wh_plot *p, int x, int y)
{
	return strcmp(p->cell[at(p, x, y)], " ") == 0;
}

static void
set_cell(struct wh_plot *p, int x, int y, const char *s, int color)
{
	char *c;
	size_t n = strlen(s);

	if (!inside(p, x, y))
		return;
	c = p->cell[at(p, x, y)];
	if (n > 7)
		n = 7;
	memcpy(c, s, n);
	c[n] = '\0';
	p->color[at(p, x, y)] = (uint8_t)color;
}

static void
set_color(struct wh_plot *p, int x, int y, int color)
{
	if (inside(p, x, y))
		p->color[at(p, x, y)] = (uint8_t)color;
}

/* ASCII text from cell (x, y) rightwards, clipped at the plot's edges. */
static void
put_text(struct wh_plot *p, int x, int y, const char *s, int color)
{
	char c[2] = { 0, 0 };

	for (; *s != '\0' && x < p->w; s++, x++) {
		c[0] = *s;
		if (x >= 0)
			set_cell(p, x, y, c, color);
	}
}

/*
 * Sets dot (px, py) of the canvas (2w x 4h dots).  In ASCII mode the cell
 * shows ach; with keep, a cell already showing something else keeps its
 * character and only takes the colour.
 */
static void
put_dot(struct wh_plot *p, int px, int py, int color, char ach, int keep)
{
	char u[4];
	size_t i;

	if (px < 0 || py < 0 || px / 2 >= p->w || py / 4 >= p->h)
		return;
	i = at(p, px / 2, py / 4);
	p->dots[i] |= wh_braille_bit(px & 1, py & 3);
	p->color[i] = (uint8_t)color;
	if (p->ascii) {
		if (!keep || blank(p, px / 2, py / 4)) {
			u[0] = ach;
			u[1] = '\0';
			set_cell(p, px / 2, py / 4, u, color);
		}
	} else {
		wh_braille_utf8(p->dots[i], u);
		set_cell(p, px / 2, py / 4, u, color);
	}
}

/* Bresenham's line from (x0, y0) to (x1, y1), both ends included. */
static void
put_line(struct wh_plot *p, int x0, int y0, int x1, int y1, int color,
    char ach, int keep)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy, e2;

	for (;;) {
		put_dot(p, x0, y0, color, ach, keep);
		if (x0 == x1 && y0 == y1)
			break;
		e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

/* A vertical marker over rows y0..y1 of column x: bars stay, recoloured. */
static void
put_vline(struct wh_plot *p, int x, int y0, int y1)
{
	int y;

	for (y = y0; y <= y1; y++) {
		if (!inside(p, x, y))
			continue;
		if (blank(p, x, y))
			set_cell(p, x, y, p->ascii ? "|" : G_VLINE, WH_PC_MARK);
		else
			set_color(p, x, y, WH_PC_MARK);
	}
}

/* An axis line over columns x0..w-1 of row y. */
static void
put_hline(struct wh_plot *p, int x0, int y)
{
	int x;

	for (x = x0; x < p->w; x++)
		set_cell(p, x, y, p->ascii ? "-" : G_HLINE, WH_PC_AXIS);
}

static void
fmt_num(char *buf, size_t size, double v)
{
	snprintf(buf, size, "%.3g", v == 0 ? 0 : v);	/* no "-0" */
}

static void
fmt_bytes(char *buf, size_t size, double b)
{
	if (!(b >= 1024) || !isfinite(b))
		snprintf(buf, size, "%.0f B", b);
	else if (b < 1024.0 * 1024)
		snprintf(buf, size, "%.1f KiB", b / 1024);
	else if (b < 1024.0 * 1024 * 1024)
		snprintf(buf, size, "%.1f MiB", b / (1024.0 * 1024));
	else
		snprintf(buf, size, "%.1f GiB", b / (1024.0 * 1024 * 1024));
}

/* Histogram */

/* The count shown in column x of w for bins c (nbins); see plot.h. */
static double
column_count(const uint64_t *c, int nbins, int w, int x)
{
	int64_t b, b0, b1;
	double s = 0;

	if (c == NULL || nbins < 1)
		return 0;
	if (nbins < w)
		return (double)c[(2 * (int64_t)x + 1) * nbins / (2 * (int64_t)w)];
	b0 = (int64_t)x * nbins / w;
	b1 = ((int64_t)x + 1) * nbins / w;
	for (b = b0; b < b1; b++)
		s += (double)c[b];
	return s;
}

static int
eighths(double v, double top, int rows)
{
	double e;

	if (!(v > 0) || !(top > 0))
		return 0;
	e = floor(v / top * rows * 8 + 0.5);
	if (e < 1)
		return 1;
	if (e > rows * 8)
		return rows * 8;
	return (int)e;
}

void
wh_plot_hist(struct wh_plot *p, const uint64_t *orig, const uint64_t *new,
    int nbins, double lo, double hi, int logscale, const double *marks,
    int nmarks)
{
	int w, rows, x, y, i, c;
	double *vo, *vn, top = 0;
	char l0[32], l1[32];
	size_t n0, n1;

	if (!has_cells(p))
		return;
	clear(p);
	w = p->w;
	rows = p->h - 1;	/* bar rows above the axis */
	vo = xcalloc((size_t)w, sizeof *vo);
	vn = xcalloc((size_t)w, sizeof *vn);
	for (x = 0; x < w; x++) {
		vo[x] = column_count(orig, nbins, w, x);
		vn[x] = column_count(new, nbins, w, x);
		if (logscale) {
			vo[x] = log1p(vo[x]);
			vn[x] = log1p(vn[x]);
		}
		if (vo[x] > top)
			top = vo[x];
		if (vn[x] > top)
			top = vn[x];
	}
	for (x = 0; x < w; x++) {
		int eo = eighths(vo[x], top, rows), en = eighths(vn[x], top, rows);

		for (y = 0; y < rows; y++) {
			int base = (rows - 1 - y) * 8;
			int fo = eo - base, fn = en - base, f;

			fo = fo < 0 ? 0 : fo > 8 ? 8 : fo;
			fn = fn < 0 ? 0 : fn > 8 ? 8 : fn;
			f = fo > fn ? fo : fn;
			if (f == 0)
				continue;
			set_cell(p, x, y, p->ascii ? (f == 8 ? "#" : ".") :
			    eighth[f], fn > fo ? WH_PC_NEW : WH_PC_ORIG);
		}
	}
	free(vo);
	free(vn);

	y = p->h - 1;
	put_hline(p, 0, y);
	for (i = 0; marks != NULL && i < nmarks; i++) {
		if ((c = wh_plot_col(marks[i], lo, hi, w)) < 0)
			continue;
		put_vline(p, c, 0, rows - 1);
		set_cell(p, c, y, p->ascii ? "+" : G_TICK, WH_PC_MARK);
	}
	fmt_num(l0, sizeof l0, lo);
	fmt_num(l1, sizeof l1, hi);
	n0 = strlen(l0);
	n1 = strlen(l1);
	if (n0 + 1 + n1 <= (size_t)w) {
		put_text(p, 0, y, l0, WH_PC_AXIS);
		put_text(p, w - (int)n1, y, l1, WH_PC_AXIS);
	} else if (n0 <= (size_t)w)
		put_text(p, 0, y, l0, WH_PC_AXIS);
}

/* Spectrum */

/* Dot column of index i of k on a canvas W dots wide. */
static int
index_dot(int i, int k, int W)
{
	if (k < 2)
		return 0;
	return (int)lround((double)i * (W - 1) / (k - 1));
}

static int
max_i(int a, int b)
{
	return a > b ? a : b;
}

void
wh_plot_spectrum(struct wh_plot *p, const float *s, int k, int rank)
{
	int w, h, top, ar, zrow, prow, g, aw, W, ph, eph, i, have = 0, zeros = 0;
	int prev, px, py, ox, oy, lx, ly;
	double smax = 0, smin = 0, ymax, ymin, total = 0, cum = 0, e;
	char lmax[32] = "", lmin[32] = "", lab[64];
	float *sc;

	if (!has_cells(p))
		return;
	clear(p);
	if (k < 1 || s == NULL)
		return;
	w = p->w;
	h = p->h;
	for (i = 0; i < k; i++) {
		if (!isfinite(s[i]))
			continue;
		if (s[i] > 0) {
			if (!have || s[i] > smax)
				smax = s[i];
			if (!have || s[i] < smin)
				smin = s[i];
			have = 1;
		} else
			zeros = 1;
	}

	/* rows: [0, top) label, [top, top + prow) positive s, then zeros */
	top = h >= 3 ? 1 : 0;
	ar = h - top;
	zrow = zeros && ar >= 2;
	prow = ar - zrow;
	if (have) {
		fmt_num(lmax, sizeof lmax, smax);
		fmt_num(lmin, sizeof lmin, smin);
	}
	g = max_i((int)strlen(lmax), (int)strlen(lmin));
	if (zrow)
		g = max_i(g, 1);
	g = g > 0 ? g + 1 : 0;
	if (w - g < 2)
		g = 0;
	aw = w - g;
	W = 2 * aw;
	ox = 2 * g;
	oy = 4 * top;
	ph = 4 * prow;
	eph = 4 * ar;

	/* energy kept by the first i + 1 values, on the whole area */
	sc = xmalloc((size_t)k * sizeof *sc);
	for (i = 0; i < k; i++) {
		sc[i] = isfinite(s[i]) ? s[i] : 0;
		total += (double)sc[i] * sc[i];
	}
	lx = ly = 0;
	for (i = 0; i < k; i++) {
		cum += (double)sc[i] * sc[i];
		e = total > 0 ? cum / total : 1;
		if (e > 1)
			e = 1;
		px = ox + index_dot(i, k, W);
		py = oy + (int)lround((1 - e) * (eph - 1));
		if (i > 0)
			put_line(p, lx, ly, px, py, WH_PC_NEW, '.', 0);
		else
			put_dot(p, px, py, WH_PC_NEW, '.', 0);
		lx = px;
		ly = py;
	}

	/* the spectrum, log10 from ymax (top) to ymin */
	ymax = have ? log10(smax) : 0;
	ymin = have ? log10(smin) : 0;
	prev = 0;
	for (i = 0; i < k; i++) {
		if (!isfinite(s[i]) || !(s[i] > 0)) {
			prev = 0;
			continue;
		}
		px = ox + index_dot(i, k, W);
		if (ymax > ymin)
			py = (int)lround((ymax - log10(s[i])) / (ymax - ymin) *
			    (ph - 1));
		else
			py = (ph - 1) / 2;
		py += oy;
		if (prev)
			put_line(p, lx, ly, px, py, WH_PC_ORIG, '*', 0);
		else
			put_dot(p, px, py, WH_PC_ORIG, '*', 0);
		lx = px;
		ly = py;
		prev = 1;
	}
	for (i = 0; zeros && i < k; i++) {
		if (!isfinite(s[i]) || s[i] > 0)
			continue;
		px = ox + index_dot(i, k, W);
		if (zrow)
			set_cell(p, px / 2, h - 1, "0", WH_PC_ORIG);
		else
			put_dot(p, px, 4 * h - 1, WH_PC_ORIG, '*', 0);
	}

	if (rank > 0) {
		int r = rank < k ? rank : k, c, len;

		c = (ox + index_dot(r - 1, k, W)) / 2;
		put_vline(p, c, top, h - 1);
		snprintf(lab, sizeof lab, "r=%d %.1f%%", r,
		    100 * wh_energy_kept(sc, k, r));
		len = (int)strlen(lab);
		if (c + len > w)
			c = c - len + 1;
		if (c < 0)
			c = 0;
		put_text(p, c, 0, lab, WH_PC_MARK);
	}
	free(sc);

	if (g > 0) {
		/* right-aligned in g - 1 columns, a space before the plot */
		if (have) {
			put_text(p, g - 1 - (int)strlen(lmax), top, lmax,
			    WH_PC_AXIS);
			if (prow > 1)
				put_text(p, g - 1 - (int)strlen(lmin),
				    top + prow - 1, lmin, WH_PC_AXIS);
		}
		if (zrow)
			put_text(p, g - 2, h - 1, "0", WH_PC_AXIS);
	}
}

/* Scatter */

void
wh_plot_scatter(struct wh_plot *p, const double *x, const double *y,
    int n, int current)
{
	int w, h, ar, g, aw, W, ph, i, m, nv = 0, logx, *idx, two;
	int *dx, *dy, *ok;
	double xmin = 0, xmax = 0, ymin = 0, ymax = 0, t0, t1;
	char ltop[32], lbot[32], s0[32], s1[32];

	if (!has_cells(p))
		return;
	clear(p);
	if (n < 1 || x == NULL || y == NULL)
		return;
	w = p->w;
	h = p->h;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		if (nv == 0 || x[i] < xmin)
			xmin = x[i];
		if (nv == 0 || x[i] > xmax)
			xmax = x[i];
		if (nv == 0 || y[i] < ymin)
			ymin = y[i];
		if (nv == 0 || y[i] > ymax)
			ymax = y[i];
		nv++;
	}
	if (nv == 0)
		return;
	logx = xmin > 0 && xmax > 10 * xmin;

	ar = h >= 2 ? h - 1 : h;	/* plot rows; then the size axis */
	/* as many decimals as it takes for the two labels to differ (up to
	 * 3); equal ones are shown once */
	for (i = 1; i <= 3; i++) {
		snprintf(ltop, sizeof ltop, "%.*f%%", i, 100 * ymax);
		snprintf(lbot, sizeof lbot, "%.*f%%", i, 100 * ymin);
		if (strcmp(ltop, lbot) != 0)
			break;
	}
	two = strcmp(ltop, lbot) != 0 && ar > 1;
	if (!two)
		snprintf(ltop, sizeof ltop, "%.1f%%", 100 * ymax);
	g = max_i((int)strlen(ltop), two ? (int)strlen(lbot) : 0) + 1;
	if (w - g < 2)
		g = 0;
	aw = w - g;
	W = 2 * aw;
	ph = 4 * ar;

	/* dot coordinates of every point (ok[i]: finite, so drawn) */
	dx = xcalloc((size_t)n, sizeof *dx);
	dy = xcalloc((size_t)n, sizeof *dy);
	ok = xcalloc((size_t)n, sizeof *ok);
	t0 = logx ? log(xmin) : xmin;
	t1 = logx ? log(xmax) : xmax;
	for (i = 0; i < n; i++) {
		double t;

		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		ok[i] = 1;
		t = logx ? log(x[i]) : x[i];
		if (t1 > t0 && isfinite(t1 - t0))
			dx[i] = (int)lround((t - t0) / (t1 - t0) * (W - 1));
		else
			dx[i] = (W - 1) / 2;
		if (ymax > ymin && isfinite(ymax - ymin))
			dy[i] = (int)lround((ymax - y[i]) / (ymax - ymin) *
			    (ph - 1));
		else
			dy[i] = (ph - 1) / 2;
		dx[i] += 2 * g;
	}

	for (i = 0; i < n; i++)
		if (ok[i])
			put_dot(p, dx[i], dy[i], WH_PC_ORIG, '*', 0);

	idx = xmalloc((size_t)n * sizeof *idx);
	m = wh_pareto(x, y, n, idx);
	if (m == 1)
		set_color(p, dx[idx[0]] / 2, dy[idx[0]] / 4, WH_PC_FRONT);
	for (i = 1; i < m; i++) {
		int a = idx[i - 1], b = idx[i];
		double cx = abs(dx[b] - dx[a]) / 2.0, cy = abs(dy[b] - dy[a]) / 4.0;
		char ch;

		if (cy <= cx / 2)
			ch = '-';
		else if (cx <= cy / 2)
			ch = '|';
		else
			ch = (dy[b] < dy[a]) == (dx[b] > dx[a]) ? '/' : '\\';
		put_line(p, dx[a], dy[a], dx[b], dy[b], WH_PC_FRONT, ch, 1);
	}
	free(idx);

	if (current >= 0 && current < n && ok[current])
		set_cell(p, dx[current] / 2, dy[current] / 4,
		    p->ascii ? "O" : G_BULLET, WH_PC_MARK);
	free(dx);
	free(dy);
	free(ok);

	if (g > 0) {
		put_text(p, g - 1 - (int)strlen(ltop), 0, ltop, WH_PC_AXIS);
		if (two)
			put_text(p, g - 1 - (int)strlen(lbot), ar - 1, lbot,
			    WH_PC_AXIS);
	}
	if (h >= 2) {
		size_t n0, n1;
		int gap;

		put_hline(p, g, h - 1);
		fmt_bytes(s0, sizeof s0, xmin);
		fmt_bytes(s1, sizeof s1, xmax);
		n0 = strlen(s0);
		n1 = strlen(s1);
		if (xmax > xmin && n0 + 1 + n1 <= (size_t)aw) {
			put_text(p, g, h - 1, s0, WH_PC_AXIS);
			put_text(p, w - (int)n1, h - 1, s1, WH_PC_AXIS);
			/* what the axis is, centred in the gap between the
			 * labels, as long as it fits */
			static const char *const lg[] = { " size, log scale ",
			    " log size ", "log size", " log ", "" };
			const char *t;

			gap = aw - (int)(n0 + n1);
			t = lg[wh_fit(lg, 5, gap - 2)];
			if (logx && t[0] != '\0')
				put_text(p, g + (int)n0 + (gap -
				    (int)strlen(t)) / 2, h - 1, t, WH_PC_AXIS);
		} else if (n0 <= (size_t)aw)
			put_text(p, g, h - 1, s0, WH_PC_AXIS);
	}
}

/* Pareto front */

struct ppoint {
	double x, y;
	int i;
};

static int
cmp_ppoint(const void *va, const void *vb)
{
	const struct ppoint *a = va, *b = vb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->y != b->y)
		return a->y > b->y ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

int
wh_pareto(const double *x, const double *y, int n, int *idx)
{
	struct ppoint *pt;
	double best = -INFINITY;
	int i, m = 0, cnt = 0;

	if (n < 1 || x == NULL || y == NULL || idx == NULL)
		return 0;
	pt = xmalloc((size_t)n * sizeof *pt);
	for (i = 0; i < n; i++)
		if (isfinite(x[i]) && isfinite(y[i])) {
			pt[m].x = x[i];
			pt[m].y = y[i];
			pt[m].i = i;
			m++;
		}
	qsort(pt, (size_t)m, sizeof *pt, cmp_ppoint);
	/*
	 * In (x up, y down, index up) order a point is on the front exactly
	 * when it is more accurate than every point before it: those are
	 * at least as small, and the first of a run of equal x has its
	 * highest y (later ones, identical points included, are dominated
	 * or repeats).
	 */
	for (i = 0; i < m; i++)
		if (pt[i].y > best) {
			idx[cnt++] = pt[i].i;
			best = pt[i].y;
		}
	free(pt);
	return cnt;
}

/* Layout: see plot.h for the arithmetic. */

void
wh_layout_compute(struct wh_layout *l, int cols, int rows)
{
	int H, L, R, S, P;

	memset(l, 0, sizeof *l);
	l->hint_y = rows > 0 ? rows - 1 : 0;
	if (cols < 80 || rows < 24) {
		l->too_small = 1;
		return;
	}
	H = rows - 1;
	L = (int)(((long long)cols * 11 + 10) / 20);	/* 55%, rounded */
	if (L < 46)
		L = 46;
	R = cols - L;

	/* column L - 1 stays blank between the two sides */
	l->table_x = 0;
	l->table_y = 0;
	l->table_w = L - 1;
	l->table_h = H - 8;
	l->sum_x = 0;
	l->sum_y = H - 8;
	l->sum_w = L - 1;
	l->sum_h = 8;

	S = H / 4 > 8 ? H / 4 : 8;
	P = H - S;
	l->hist_x = L;
	l->hist_y = 0;
	l->hist_w = R;
	l->hist_h = (P + 1) / 2;
	l->spec_x = L;
	l->spec_y = l->hist_h;
	l->spec_w = R;
	l->spec_h = P - l->hist_h;
	l->hist2_x = L;
	l->hist2_y = P;
	l->hist2_w = R;
	l->hist2_h = S;
}

/* Wilson score interval */

void
wh_wilson(size_t correct, size_t n, double *lo, double *hi)
{
	const double z = 1.96;
	double p, nn, z2n, centre, half;

	if (n == 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	if (correct > n)
		correct = n;
	nn = (double)n;
	p = (double)correct / nn;
	z2n = z * z / nn;
	centre = (p + z2n / 2) / (1 + z2n);
	half = z / (1 + z2n) * sqrt(p * (1 - p) / nn + z2n / (4 * nn));
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
}

const char *
wh_ratio_label(uint64_t orig, uint64_t bytes, char *buf, size_t size)
{
	double r;
	int d = 2;
	char t[32];

	if (bytes == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	r = (double)orig / (double)bytes;
	/* more digits until the text no longer claims the sizes are equal */
	for (;;) {
		snprintf(t, sizeof t, "%.*f", d, r);
		if (orig == bytes || d >= 6 || fabs(strtod(t, NULL) - 1) > 0)
			break;
		d++;
	}
	snprintf(buf, size, "%sx", t);
	return buf;
}

int
wh_wrap(const char *s, int w, const char **next)
{
	int i = 0, cols = 0, brk = -1;

	if (w < 1)
		w = 1;
	while (s[i] != '\0') {
		int k = 1;

		while (((unsigned char)s[i + k] & 0xC0) == 0x80)
			k++;
		if (s[i] == ' ')
			brk = i;
		if (cols == w)
			break;
		cols++;
		i += k;
	}
	if (s[i] == '\0' || s[i] == ' ')
		brk = i;
	if (brk <= 0)
		brk = i;	/* a word longer than the line: cut it */
	*next = s + brk;
	while (**next == ' ')
		(*next)++;
	/* no spaces at the end of the line */
	while (brk > 0 && s[brk - 1] == ' ')
		brk--;
	return brk;
}

int
wh_text_width(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int
wh_fit(const char *const *v, int n, int w)
{
	int i;

	for (i = 0; i < n; i++)
		if (wh_text_width(v[i]) <= w)
			return i;
	return n > 0 ? n - 1 : 0;
}
