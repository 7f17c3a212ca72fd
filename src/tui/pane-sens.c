/* pane-sens.c - the sensitivity heat map: layers against settings,
 * coloured by the accuracy each setting alone costs its layer */
#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "tui.h"
#include "whittle/util.h"

/* Columns of one cell: a space and a 3-column glyph. */
#define CELL_W 4

/* How a cell reads: its role and a 3-column glyph. */
static enum crt_role
cell_look(const struct wh_sens_cell *c, char *glyph, size_t size)
{
	double d;

	switch (c->status) {
	case WH_SENS_TODO:
		snprintf(glyph, size, " . ");
		return CRT_DIM;
	case WH_SENS_SKIPPED:
		snprintf(glyph, size, " - ");
		return CRT_DIM;
	default:
		break;
	}
	d = c->drop;
	if (d < 0.1) {
		snprintf(glyph, size, "%s", d < -0.05 ? " + " : " 0 ");
		return CRT_GOOD;
	}
	if (d < 1) {
		snprintf(glyph, size, ".%d ", (int)(d * 10));
		return CRT_NORMAL;
	}
	if (d < 10) {
		snprintf(glyph, size, "%2d%s", (int)d, c->status == WH_SENS_EARLY ?
		    "~" : " ");
		return d < 3 ? CRT_MARK : CRT_BAD;
	}
	snprintf(glyph, size, "%s", c->status == WH_SENS_EARLY ? ">>~" : ">> ");
	return CRT_BAD;
}

int
tui_sens_free_layer(const struct tui *t, int i)
{
	const struct wh_sens_table *st = &t->st;
	int k;

	if (st->nlayers != t->n || st->nsettings == 0)
		return 0;
	for (k = 0; k < st->nsettings; k++) {
		const struct wh_sens_cell *c = &st->cells[(size_t)i *
		    st->nsettings + k];

		/* eight times smaller at no measurable cost */
		if ((c->status == WH_SENS_DONE || c->status == WH_SENS_EARLY) &&
		    c->drop < 0.1 && c->bytes * 8 <= st->layer_bytes[i])
			return 1;
	}
	return 0;
}

void
tui_draw_sens(struct tui *t, int x, int y, int w, int h)
{
	const struct wh_sens_table *st = &t->st;
	int ncols, first, k, r, row, namew = 10, measured = 0, total;
	char title[96], glyph[8];

	total = st->nlayers * st->nsettings;
	for (k = 0; k < total; k++)
		measured += st->cells[k].status != WH_SENS_TODO;
	snprintf(title, sizeof title, "sensitivity: points lost, one layer "
	    "at a time (%d/%d)", measured, total);
	crt_title(y, x, w, title, 1);
	crt_clear(y + 1, x, h - 1, w);
	if (st->nsettings == 0 || h < 6) {
		crt_puts(y + 1, x, w, CRT_DIM, 1, "no sensitivity table");
		return;
	}
	if (namew > w / 3)
		namew = w / 3;
	ncols = (w - namew) / CELL_W;
	if (ncols < 1)
		ncols = 1;
	if (t->scol >= st->nsettings)
		t->scol = st->nsettings - 1;
	first = t->scol - ncols / 2;
	if (first > st->nsettings - ncols)
		first = st->nsettings - ncols;
	if (first < 0)
		first = 0;
	/* the settings' names, two rows: the first three letters, then the rest */
	for (k = first; k < st->nsettings && k < first + ncols; k++) {
		const char *nm = st->settings[k].name;
		enum crt_role role = k == t->scol ? CRT_HEADER_FOCUS : CRT_HEADER;
		char a[8] = "", b[8] = "";

		snprintf(a, sizeof a, "%.3s", nm);
		if (strlen(nm) > 3)
			snprintf(b, sizeof b, "%.3s", nm + 3);
		crt_printf(y + 1, x + namew + (k - first) * CELL_W + 1, CELL_W - 1,
		    role, 1, "%s", a);
		crt_printf(y + 2, x + namew + (k - first) * CELL_W + 1, CELL_W - 1,
		    role, 1, "%s", b);
	}
	row = y + 3;
	for (r = t->top; r < t->n && row < y + h - 2; r++, row++) {
		enum crt_role nrole = r == t->sel ? CRT_SEL : CRT_NORMAL;

		crt_printf(row, x, namew, nrole, 1, "%s", t->L[r].l->name);
		for (k = first; k < st->nsettings && k < first + ncols; k++) {
			const struct wh_sens_cell *c = &st->cells[(size_t)r *
			    st->nsettings + k];
			enum crt_role role = cell_look(c, glyph, sizeof glyph);

			if (r == t->sel && k == t->scol)
				role = CRT_FOCUS;
			crt_puts(row, x + namew + (k - first) * CELL_W + 1,
			    CELL_W - 1, role, 1, glyph);
		}
	}
	/* the selected cell in words */
	if (t->sel >= 0 && t->sel < st->nlayers) {
		const struct wh_sens_cell *c = &st->cells[(size_t)t->sel *
		    st->nsettings + t->scol];
		char sz[32];

		if (c->status == WH_SENS_DONE || c->status == WH_SENS_EARLY)
			crt_printf(y + h - 2, x, w, CRT_NORMAL, 1, "%s: %+.2f "
			    "points (95%%: %+.2f..%+.2f)%s, KL %.4f, %s",
			    st->settings[t->scol].name, -c->drop, -c->drop_hi,
			    -c->drop_lo, c->status == WH_SENS_EARLY ?
			    " est." : "", c->kl, wh_fmt_bytes((double)c->bytes,
			    sz, sizeof sz));
		else if (c->status == WH_SENS_SKIPPED)
			crt_printf(y + h - 2, x, w, CRT_DIM, 1, "%s: %s",
			    st->settings[t->scol].name, c->reason);
		else
			crt_printf(y + h - 2, x, w, CRT_DIM, 1, "%s: not measured "
			    "yet", st->settings[t->scol].name);
	}
	crt_puts(y + h - 1, x, w, CRT_DIM, 1, "0 free  .N tenths  N points  "
	    ">> 10+  ~ estimate  - n/a  Enter applies");
}
