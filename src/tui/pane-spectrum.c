/* pane-spectrum.c - the singular value spectrum of the selected layer: log
 * scale, cumulative energy, and the chosen rank with the energy it keeps */
#include <stdio.h>

#include "crt.h"
#include "tui.h"
#include "whittle/stats.h"

void
tui_draw_spectrum(struct tui *t, int x, int y, int w, int h)
{
	const struct tui_layer *L;
	const struct tui_linfo *f;
	const struct wh_layer_cfg *c;
	const float *sv;
	struct wh_plot p;
	char title[256], foot[256];
	int k, spatial, rank = 0;

	if (t->n == 0) {
		crt_title(y, x, w, "singular values", 0);
		return;
	}
	L = &t->L[t->sel];
	f = tui_info(t, t->sel);
	c = &t->cfg[t->sel];
	spatial = c->lr_mode != WH_LR_NONE && c->spatial;
	sv = spatial ? L->sv_sp : L->sv;
	k = spatial ? L->nsv_sp : L->nsv;
	snprintf(title, sizeof title, "singular values of %s%s", L->l->name,
	    spatial ? " (spatial view)" : "");
	crt_title(y, x, w, title, 0);
	if (h < 3)
		return;
	crt_clear(y + 1, x, h - 1, w);
	if (L->l->max_rank == 0) {
		crt_puts(y + 1, x, w, CRT_DIM, 1, "low-rank does not apply here");
		return;
	}
	if (sv == NULL) {
		if (L->sv_err != NULL)
			crt_printf(y + 1, x, w, CRT_BAD, 1, "no spectrum: %s",
			    L->sv_err);
		else
			crt_printf(y + 1, x, w, CRT_DIM, 1,
			    "computing singular values%s",
			    crt_sym(CRT_S_ELLIPSIS));
		return;
	}
	if (c->lr_mode != WH_LR_NONE) {
		if (f != NULL)
			rank = f->rank;
		else if (c->lr_mode == WH_LR_RANK)
			rank = c->rank;
		else
			rank = wh_rank_for_energy(sv, k, c->energy);
	}
	wh_plot_init(&p, w, h - 2, crt.ascii);
	wh_plot_spectrum(&p, sv, k, rank);
	crt_put_plot(y + 1, x, &p);
	wh_plot_release(&p);
	if (rank > 0)
		snprintf(foot, sizeof foot, "rank %d/%d keeps %.1f%% of the "
		    "energy", rank, k, 100 * wh_energy_kept(sv, k, rank));
	else
		snprintf(foot, sizeof foot, "full rank %d; effective rank %.1f",
		    k, wh_effective_rank(sv, k));
	crt_puts(y + h - 1, x, w, CRT_NORMAL, 1, foot);
}
