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
	char title[256], q[64];
	int ph, pending, on, nmarks, dense = 0;

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
	{
		/* the shape, then the scale, go when the title does not fit */
		char t1[256], t2[256];
		const char *v[3] = { title, t1, t2 };

		snprintf(title, sizeof title, "weights of %s %s%s", L->l->name,
		    L->shape, t->logscale ? ", log counts" : "");
		snprintf(t1, sizeof t1, "weights of %s%s", L->l->name,
		    t->logscale ? ", log counts" : "");
		snprintf(t2, sizeof t2, "weights of %s", L->l->name);
		crt_title(y, x, w, v[wh_fit(v, 3, w - 4)], 0);
	}
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

	/* the legend: what the colours and marks mean, as much as fits */
	if (pending || f == NULL) {
		crt_printf(y + h - 1, x, w, CRT_DIM, 1, "%s", pending ?
		    "compressing" : "float32, as trained");
		if (pending)
			crt_printf(y + h - 1, x, w, CRT_DIM, 1, "compressing%s",
			    crt_sym(CRT_S_ELLIPSIS));
		return;
	}
	{
		char key[64], thr[64] = "", zero[64] = "", ql[64] = "",
		    qm[64] = "", qs[64] = "", ll[96] = "", ls[64] = "";
		char v[8][256];
		const char *vp[8];
		int i;

		snprintf(key, sizeof key, "%sorig %s%s", CRT_K_ORIG, CRT_K_NEW,
		    f->factored ? "u vt" : "new");
		if (f->nthreshold > 0)
			snprintf(thr, sizeof thr, "  |w|<%.3g",
			    f->marks[f->nthreshold - 1]);
		if (f->cost.params > 0)
			snprintf(zero, sizeof zero, "  %.1f%% zero", 100.0 *
			    (double)(f->cost.params - f->cost.nonzero) /
			    (double)f->cost.params);
		if (c->qtype != WH_Q_NONE) {
			snprintf(ql, sizeof ql, "  %s", tui_quant_text(c, q,
			    sizeof q));
			snprintf(qm, sizeof qm, "  %s", tui_quant_text_short(c,
			    0, q, sizeof q));
			snprintf(qs, sizeof qs, "  %s", tui_quant_text_short(c,
			    1, q, sizeof q));
		}
		if (f->mark_kind == TUI_MARK_LEVELS && dense) {
			snprintf(ll, sizeof ll, "  %d levels (too close to mark "
			    "here)", f->nmarks - f->nthreshold);
			snprintf(ls, sizeof ls, "  %d levels",
			    f->nmarks - f->nthreshold);
		} else if (f->mark_kind == TUI_MARK_LEVELS) {
			if (f->level_row >= 0) {
				snprintf(ll, sizeof ll, "  levels marked: row %d "
				    "(the largest range)", f->level_row);
				snprintf(ls, sizeof ls, "  levels: row %d",
				    f->level_row);
			} else {
				snprintf(ll, sizeof ll, "  levels marked");
				snprintf(ls, sizeof ls, "  levels");
			}
		}
		/* most wanted first; every step drops or shortens a piece */
		snprintf(v[0], sizeof v[0], "%s%s%s%s%s", key, thr, zero, ql, ll);
		snprintf(v[1], sizeof v[1], "%s%s%s%s%s", key, thr, zero, ql, ls);
		snprintf(v[2], sizeof v[2], "%s%s%s%s%s", key, thr, zero, qm, ls);
		snprintf(v[3], sizeof v[3], "%s%s%s%s", key, thr, zero, qm);
		snprintf(v[4], sizeof v[4], "%s%s%s%s", key, thr, zero, qs);
		snprintf(v[5], sizeof v[5], "%s%s%s", key, zero, qs);
		snprintf(v[6], sizeof v[6], "%s%s", key, qs);
		snprintf(v[7], sizeof v[7], "%s", key);
		for (i = 0; i < 8; i++)
			vp[i] = v[i];
		crt_legend(y + h - 1, x, w, vp[wh_fit(vp, 8, w)]);
	}
}
