/* pane-hist.c - the weight histogram of the selected layer: original and
 * compressed together, the pruning threshold and, at low bit widths, the
 * quantization levels marked */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt.h"
#include "tui.h"
#include "whittle/util.h"

void
tui_draw_hist(struct tui *t, int x, int y, int w, int h)
{
	const struct tui_layer *L;
	const struct tui_linfo *f;
	const struct wh_layer_cfg *c;
	uint64_t *orig, *now = NULL;
	struct wh_plot p;
	char title[256], legend[256], q[64];
	int ph, len = 0, pending, on, nmarks, dense = 0;

	if (t->n == 0) {
		crt_title(y, x, w, "weights", 0);
		return;
	}
	L = &t->L[t->sel];
	f = tui_info(t, t->sel);
	c = &t->cfg[t->sel];
	on = tui_col_on(c, TUI_COL_RANK) || tui_col_on(c, TUI_COL_PRUNE) ||
	    tui_col_on(c, TUI_COL_NM) || tui_col_on(c, TUI_COL_BITS) ||
	    tui_col_on(c, TUI_COL_ACT);
	pending = on && f == NULL;
	snprintf(title, sizeof title, "weights of %s %s%s", L->l->name,
	    L->shape, t->logscale ? ", log counts" : "");
	crt_title(y, x, w, title, 0);
	ph = h - 2;
	if (ph < 2 || w < 8)
		return;

	orig = xcalloc((size_t)w, sizeof *orig);
	tui_rebin(L->hist, TUI_NBINS, orig, w);
	if (f != NULL) {
		now = xcalloc((size_t)w, sizeof *now);
		tui_rebin(f->hist, TUI_NBINS, now, w);
	}
	/* quantization levels are marked while they are at least four
	 * columns apart on average; the threshold always */
	nmarks = 0;
	if (f != NULL) {
		nmarks = f->nmarks;
		dense = f->mark_kind == TUI_MARK_LEVELS &&
		    (f->nmarks - f->nthreshold) * 4 > w;
		if (dense)
			nmarks = f->nthreshold;
	}
	wh_plot_init(&p, w, ph, crt.ascii);
	wh_plot_hist(&p, orig, now, w, L->lo, L->hi, t->logscale,
	    f != NULL ? f->marks : NULL, nmarks);
	crt_put_plot(y + 1, x, &p);
	wh_plot_release(&p);
	free(orig);
	free(now);

	/* the legend: what the colours and marks mean */
	legend[0] = '\0';
#define ADD(...) do {							\
	if (len < (int)sizeof legend)					\
		len += snprintf(legend + len, sizeof legend - len, __VA_ARGS__); \
} while (0)
	if (pending)
		ADD("compressing%s", crt_sym(CRT_S_ELLIPSIS));
	else if (f == NULL)
		ADD("float32, as trained");
	else {
		ADD("%s", f->factored ? "u vt" : "new");
		if (f->nthreshold > 0)
			ADD("  |w|<%.3g", f->marks[f->nthreshold - 1]);
		if (f->cost.params > 0)
			ADD("  %.1f%% zero", 100.0 * (double)(f->cost.params -
			    f->cost.nonzero) / (double)f->cost.params);
		if (c->qtype != WH_Q_NONE)
			ADD("  %s", tui_quant_text(c, q, sizeof q));
		if (f->mark_kind == TUI_MARK_LEVELS && dense)
			ADD("  %d levels (too close to mark here)",
			    f->nmarks - f->nthreshold);
		else if (f->mark_kind == TUI_MARK_LEVELS)
			ADD(f->level_row >= 0 ? "  levels marked: row %d (the "
			    "largest range)" : "  levels marked", f->level_row);
	}
#undef ADD
	crt_puts(y + h - 1, x, w, CRT_NORMAL, 1, "");
	if (f != NULL && !pending) {
		int cx = crt_puts(y + h - 1, x, w, CRT_ORIG, 0, crt.ascii ? "#" :
		    "\xe2\x96\x88");

		cx += crt_puts(y + h - 1, x + cx, w - cx, CRT_NORMAL, 0, "orig ");
		cx += crt_puts(y + h - 1, x + cx, w - cx, CRT_NEW, 0, crt.ascii ?
		    "#" : "\xe2\x96\x88");
		crt_puts(y + h - 1, x + cx, w - cx, CRT_NORMAL, 1, legend);
	} else
		crt_puts(y + h - 1, x, w, CRT_DIM, 1, legend);
}
