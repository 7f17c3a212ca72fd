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

	{
		char t1[128], t2[128];
		const char *v[3] = { title, t1, t2 };

		snprintf(title, sizeof title, "history: %d evaluation%s%s",
		    t->nhist, t->nhist == 1 ? "" : "s", focus ?
		    " (Tab returns)" : " (Tab)");
		snprintf(t1, sizeof t1, "history: %d%s", t->nhist, focus ?
		    " (Tab returns)" : " (Tab)");
		snprintf(t2, sizeof t2, "history%s", focus ? " (Tab)" : "");
		crt_title(y, x, w, v[wh_fit(v, 3, w - 4)], focus);
	}
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
		char pt[96], v[5][192];
		const char *vp[5];

		snprintf(pt, sizeof pt, "#%d%s: %.2f%%, %s", cur + 1,
		    r->baseline ? " baseline" : "", 100 * r->accuracy,
		    wh_fmt_bytes((double)r->totals.bytes, a, sizeof a));
		if (focus) {
			snprintf(v[0], sizeof v[0], "%s; Enter recalls it", pt);
			snprintf(v[1], sizeof v[1], "%s; Enter recalls", pt);
			snprintf(v[2], sizeof v[2], "%s, Enter", pt);
		} else {
			snprintf(v[0], sizeof v[0], "%s  " CRT_K_MARK " these "
			    "settings  " CRT_K_FRONT " Pareto front", pt);
			snprintf(v[1], sizeof v[1], "%s  " CRT_K_MARK " now  "
			    CRT_K_FRONT " front", pt);
			snprintf(v[2], sizeof v[2], "%s " CRT_K_MARK "now "
			    CRT_K_FRONT "front", pt);
		}
		snprintf(v[3], sizeof v[3], "%s", pt);
		snprintf(v[4], sizeof v[4], "#%d: %.2f%%", cur + 1,
		    100 * r->accuracy);
		for (i = 0; i < 5; i++)
			vp[i] = v[i];
		crt_legend(y + h - 1, x, w, vp[wh_fit(vp, 5, w)]);
	} else
		crt_legend(y + h - 1, x, w, w >= 43 ? "accuracy (up) against "
		    "size (across); " CRT_K_FRONT " Pareto front" : w >= 30 ?
		    "accuracy against size" : "");
}
