/* pane-summary.c - accuracy against the baseline, macro precision, recall
 * and F1, size and MACs, and the state of the evaluation */
#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "tui.h"
#include "whittle/util.h"

/* A progress bar of w columns, done / total filled. */
static void
bar(int y, int x, int w, size_t done, size_t total)
{
	int fill = total ? (int)((double)w * (double)done / (double)total) : 0, i;

	for (i = 0; i < w; i++)
		crt_puts(y, x + i, 1, i < fill ? CRT_BAR : CRT_DIM, 0,
		    crt_sym(i < fill ? CRT_S_BAR_FULL : CRT_S_BAR_EMPTY));
}

/* "evaluating 3,072/10,000" and, on the next row, the running accuracy
 * with its Wilson interval. */
static int
progress(int y, int x, int w, int rows, const char *what,
    const struct tui_prog *p)
{
	char a[32], b[32], line[256];
	double lo, hi;
	int n;

	n = crt_printf(y, x, w, CRT_NORMAL, 0, "%s %s/%s ", what,
	    tui_thousands(p->done, a, sizeof a),
	    tui_thousands(p->total, b, sizeof b));
	if (w - n > 3)
		bar(y, x + n, w - n, p->done, p->total);
	if (rows < 2 || p->done == 0)
		return 1;
	wh_wilson(p->correct, p->done, &lo, &hi);
	snprintf(line, sizeof line, "%s %.1f%% %s%.1f (95%% CI, Wilson)",
	    crt_sym(CRT_S_DASH), 100.0 * (double)p->correct / (double)p->done,
	    crt_sym(CRT_S_PLUSMINUS), 100 * (hi - lo) / 2);
	crt_puts(y + 1, x, w, CRT_NORMAL, 1, line);
	return 2;
}

void
tui_draw_summary(struct tui *t, int x, int y, int w, int h)
{
	struct wh_totals tot;
	char a[32], b[32], c[32], r[64];
	int row = y + 1, end = y + h, pending, n, macro;

	crt_title(y, x, w, "accuracy and size", 0);
	crt_clear(y + 1, x, h - 1, w);
	tui_totals(t, &tot, &pending);
	/* rows: baseline, accuracy, macro, size, MACs, eval (2); macro
	 * goes first when short of rows */
	macro = h - 1 >= 7;

	if (t->have_base)
		crt_printf(row, x, w, CRT_NORMAL, 1, "baseline  %.2f%%  (%s/%s)",
		    100 * t->base.accuracy,
		    tui_thousands(t->base.correct, a, sizeof a),
		    tui_thousands(t->base.samples, b, sizeof b));
	else if (t->bprog.on && !(t->prog.on && !t->cur_fresh))
		progress(row, x, w, 1, "baseline", &t->bprog);
	else
		crt_puts(row, x, w, CRT_DIM, 1, "baseline  pending");
	row++;

	if (t->have_cur) {
		double d = 100 * (t->cur.accuracy - (t->have_base ?
		    t->base.accuracy : t->cur.accuracy));
		enum crt_role role = !t->cur_fresh ? CRT_DIM : d < -1 ? CRT_BAD :
		    CRT_NORMAL;

		n = crt_printf(row, x, w, role, 0, "accuracy  %.2f%%  ",
		    100 * t->cur.accuracy);
		if (t->have_base)
			n += crt_printf(row, x + n, w - n, role, 0, "%+.2f %s ", d,
			    d < 0 ? crt_sym(CRT_S_DOWN) : d > 0 ?
			    crt_sym(CRT_S_UP) : "=");
		crt_printf(row, x + n, w - n, role, 1, "(%s/%s)%s",
		    tui_thousands(t->cur.correct, a, sizeof a),
		    tui_thousands(t->cur.samples, b, sizeof b),
		    t->cur_fresh ? "" : " stale");
		row++;
		if (macro && row < end)
			crt_printf(row++, x, w, t->cur_fresh ? CRT_NORMAL : CRT_DIM,
			    1, "macro     P %.4f  R %.4f  F1 %.4f", t->cur.precision,
			    t->cur.recall, t->cur.f1);
	} else {
		crt_puts(row++, x, w, CRT_DIM, 1, "accuracy  pending");
		if (macro && row < end)
			row++;
	}
	if (row < end)
		crt_printf(row++, x, w, tot.bytes > tot.orig_bytes ? CRT_BAD :
		    CRT_NORMAL, 1, "size      %s B (%s), %s%s",
		    tui_thousands(tot.bytes, a, sizeof a),
		    wh_fmt_bytes((double)tot.bytes, b, sizeof b),
		    wh_ratio_label(tot.orig_bytes, tot.bytes, r, sizeof r),
		    pending ? crt_sym(CRT_S_ELLIPSIS) : "");
	if (row < end)
		crt_printf(row++, x, w, CRT_NORMAL, 1, "MACs      %s dense, %s "
		    "non-zero%s", wh_fmt_count((double)tot.macs, b, sizeof b),
		    wh_fmt_count((double)tot.macs_sparse, c, sizeof c),
		    pending ? crt_sym(CRT_S_ELLIPSIS) : "");
	if (row >= end)
		return;
	if (t->eval_err[0] != '\0')
		crt_printf(row, x, w, CRT_BAD, 1, "error: %s", t->eval_err);
	else if (t->cur_fresh)
		crt_printf(row, x, w, CRT_GOOD, 1, "up to date (%.2f s%s)",
		    t->cur.seconds, t->cur_remembered ?
		    ", evaluated before" : "");
	else if (t->prog.on)
		progress(row, x, w, end - row, "evaluating", &t->prog);
	else if (!t->have_base && t->bprog.on && t->gen == 0)
		progress(row, x, w, end - row, "evaluating", &t->bprog);
	else
		crt_printf(row, x, w, CRT_DIM, 1, "stale%s", pending ?
		    " (compressing)" : "");
}
