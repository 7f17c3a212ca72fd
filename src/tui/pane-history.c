/* pane-history.c - every evaluated configuration as a point of size and
 * accuracy, with the Pareto front; left and right pick one, Enter
 * recalls it */
#include <stdio.h>
#include <stdlib.h>

#include "crt.h"
#include "tui.h"
#include "whittle/util.h"

void
tui_draw_history(struct tui *t, int x, int y, int w, int h)
{
	int focus = t->focus == TUI_FOCUS_HISTORY, cur = -1, i;
	double *xs, *ys;
	struct wh_plot p;
	char title[128], a[32];

	snprintf(title, sizeof title, "history: %d evaluation%s%s", t->nhist,
	    t->nhist == 1 ? "" : "s", focus ? " (Tab returns)" : " (Tab)");
	crt_title(y, x, w, title, focus);
	if (h < 3)
		return;
	crt_clear(y + 1, x, h - 1, w);
	if (t->nhist == 0) {
		crt_puts(y + 1, x, w, CRT_DIM, 1, "no evaluation finished yet");
		return;
	}
	xs = xcalloc((size_t)t->nhist, sizeof *xs);
	ys = xcalloc((size_t)t->nhist, sizeof *ys);
	for (i = 0; i < t->nhist; i++) {
		xs[i] = (double)t->hist[i].res.totals.bytes;
		ys[i] = t->hist[i].res.accuracy;
	}
	if (focus)
		cur = t->hsel;
	else if (t->cur_fresh)
		for (i = 0; i < t->nhist; i++) {
			const struct wh_layer_cfg *c = t->hist[i].res.cfg;
			int k;

			for (k = 0; k < t->n; k++)
				if (!wh_layer_cfg_equal(&c[k], &t->cfg[k]))
					break;
			if (k == t->n)
				cur = i;
		}
	wh_plot_init(&p, w, h - 2, crt.ascii);
	wh_plot_scatter(&p, xs, ys, t->nhist, cur);
	crt_put_plot(y + 1, x, &p);
	wh_plot_release(&p);
	free(xs);
	free(ys);
	if (cur >= 0) {
		const struct tui_result *r = &t->hist[cur].res;

		crt_printf(y + h - 1, x, w, focus ? CRT_PROMPT : CRT_NORMAL, 1,
		    "#%d%s: %.2f%%, %s%s", cur + 1, r->baseline ? " baseline" : "",
		    100 * r->accuracy, wh_fmt_bytes((double)r->totals.bytes, a,
		    sizeof a), focus ? "; Enter recalls" : "");
	} else
		crt_puts(y + h - 1, x, w, CRT_DIM, 1, "size (x) against accuracy "
		    "(y)");
}
