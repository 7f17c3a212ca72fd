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
	char title[256], info[3][128], v[7][256];
	const char *ip[3], *vp[7];
	static const char *const leg[3] = {
		CRT_K_SPEC "singular values (log scale)  " CRT_K_ENERGY
		    "energy kept",
		CRT_K_SPEC "values (log)  " CRT_K_ENERGY "energy kept",
		CRT_K_SPEC "values, log " CRT_K_ENERGY "energy",
	};
	int k, spatial, rank = 0, two, i, n;

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
	{
		char t1[256], t2[256];
		const char *v[3] = { title, t1, t2 };

		snprintf(title, sizeof title, "singular values of %s%s",
		    L->l->name, spatial ? " (spatial view)" : "");
		snprintf(t1, sizeof t1, "singular values of %s%s", L->l->name,
		    spatial ? ", spatial" : "");
		snprintf(t2, sizeof t2, "spectrum of %s", L->l->name);
		crt_title(y, x, w, v[wh_fit(v, 3, w - 4)], 0);
	}
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
	/* what the two curves are, and the rank: on two rows when the pane
	 * has them, else on one, as much as fits */
	two = h >= 9;
	wh_plot_init(&p, w, h - 2 - two, crt.ascii);
	wh_plot_spectrum(&p, sv, k, rank);
	crt_put_plot(y + 1, x, &p);
	wh_plot_release(&p);
	if (rank > 0) {
		double e = 100 * wh_energy_kept(sv, k, rank);

		snprintf(info[0], sizeof info[0], "rank %d/%d keeps %.1f%% of the "
		    "energy", rank, k, e);
		snprintf(info[1], sizeof info[1], "rank %d/%d keeps %.1f%%", rank,
		    k, e);
		snprintf(info[2], sizeof info[2], "r=%d/%d: %.1f%%", rank, k, e);
	} else {
		double er = wh_effective_rank(sv, k);

		snprintf(info[0], sizeof info[0], "full rank %d; effective rank "
		    "%.1f", k, er);
		snprintf(info[1], sizeof info[1], "effective rank %.1f of %d", er,
		    k);
		snprintf(info[2], sizeof info[2], "eff. rank %.1f/%d", er, k);
	}
	for (i = 0; i < 3; i++)
		ip[i] = info[i];
	if (two) {
		crt_legend(y + h - 2, x, w, leg[wh_fit(leg, 3, w)]);
		crt_puts(y + h - 1, x, w, CRT_NORMAL, 1, ip[wh_fit(ip, 3, w)]);
		return;
	}
	/* one row: the legend first (a chosen rank shows on the plot's top
	 * row anyway), the effective rank in the shortest words */
	n = 0;
	snprintf(v[n++], sizeof v[0], "%s  %s", leg[0], info[0]);
	snprintf(v[n++], sizeof v[0], "%s  %s", leg[1], info[0]);
	snprintf(v[n++], sizeof v[0], "%s  %s", leg[1], info[1]);
	snprintf(v[n++], sizeof v[0], "%s  %s", leg[2], info[2]);
	if (rank == 0)
		snprintf(v[n++], sizeof v[0], CRT_K_SPEC "log %s " CRT_K_ENERGY
		    "energy  %s", crt.ascii ? "sv" : "\xcf\x83", info[2]);
	snprintf(v[n++], sizeof v[0], "%s", leg[1]);
	snprintf(v[n++], sizeof v[0], "%s", leg[2]);
	for (i = 0; i < n; i++)
		vp[i] = v[i];
	crt_legend(y + h - 1, x, w, vp[wh_fit(vp, n, w)]);
}
