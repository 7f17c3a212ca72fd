/* test-search.c - the search's verified plans against independent
 * evaluations, budgets and the methods it may use */
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/search.h"
#include "whittle/state.h"
#include "whittle/util.h"

static long
evaluate(struct wh_graph *g, struct wh_dataset *d, const struct wh_preproc *pre,
    const struct wh_layer_cfg *cfgs)
{
	struct wh_eval_opts eo = { 256, 2, 0 };
	struct wh_state *st = wh_state_new(g, d, pre, 0, &eo, NULL);
	struct wh_metrics m;
	long c = -1;
	int i;

	for (i = 0; i < wh_graph_nlayers(g); i++)
		if (wh_state_set(st, i, &cfgs[i], NULL) != 0)
			goto out;
	if (wh_state_run(st, 0, NULL, NULL, &m, NULL, NULL) == 0) {
		c = (long)m.correct;
		wh_metrics_release(&m);
	}
out:
	wh_state_free(st);
	return c;
}

int
main(void)
{
	char *images, *labels, *path = fx_model("fashion-cnn"), *err = NULL;
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dataset *d;
	struct wh_state *st;
	struct wh_eval_opts eo = { 256, 2, (size_t)1 << 30 };
	struct wh_sens_setting *set;
	struct wh_sens_table t;
	struct wh_search_opts so;
	struct wh_search_result r;
	unsigned meth;
	int n, i, fronts = 0, within;

	ok(wh_search_methods("quant,lowrank", &meth, NULL) == 0 &&
	    meth == (WH_METHOD_QUANT | WH_METHOD_LOWRANK), "methods parse");
	n = wh_search_methods("quant,magic", &meth, &err);
	ok(n == -1 && strstr(err,
	    "magic") != NULL, "an unknown method is named: %s", err);
	free(err);
	err = NULL;
	if (!fx_have_fashion(&images, &labels)) {
		tap_skip("Fashion-MNIST is not installed");
		free(path);
		return tap_done();
	}
	m = wh_model_load(path, &err);
	g = wh_graph_new(m, &err);
	d = wh_data_load(images, labels, 10, &err);
	st = wh_state_new(g, d, &m->pre, 0, &eo, &err);
	n = wh_sens_settings("int8,int4,int3,int2,sp50,sp80,e0.9,e0.8", &set,
	    NULL);
	wh_sens_table_init(&t, g, set, n);
	wh_search_opts_default(&so);
	so.max_drop = 0.5;
	ok(wh_search_run(st, &t, &so, &r, &err) == 0 && r.chosen >= 0,
	    "a plan within half a point is found");
	if (r.chosen < 0)
		return tap_done();
	{
		const struct wh_search_point *p = &r.points[r.chosen];
		long c = evaluate(g, d, &m->pre, p->cfgs);

		ok(p->drop <= 0.5 && p->correct + 50 >= t.base_correct,
		    "its verified drop %.2f is within the budget", p->drop);
		ok(c == (long)p->correct, "an independent evaluation of it counts "
		    "the same %ld correct", c);
		ok(p->ratio > 8, "it is %.2fx smaller, more than int4 alone",
		    p->ratio);
	}
	within = 1;
	for (i = 0; i < r.npoints; i++) {
		fronts += r.points[i].on_front;
		if (r.points[i].drop <= 0.5 &&
		    r.points[i].ratio > r.points[r.chosen].ratio)
			within = 0;
	}
	ok(within, "no verified plan within the budget is smaller than the "
	    "chosen one");
	ok(fronts >= 1 && r.points[r.chosen].on_front, "the chosen plan is on "
	    "the front of %d points", fronts);
	ok(r.evaluations == (unsigned)r.npoints, "%u verifications", 
	    r.evaluations);
	ok(strlen(r.table_sha256) == 64, "the table's hash is recorded");
	{
		struct wh_metrics mm;

		/* the state holds the chosen plan on return */
		ok(wh_state_run(st, 0, NULL, NULL, &mm, NULL, NULL) == 0 &&
		    mm.correct == r.points[r.chosen].correct, "the state holds "
		    "the chosen plan");
		wh_metrics_release(&mm);
	}
	wh_search_result_release(&r);

	/* a tight budget: the back-off chain is verified by galloping and
	 * bisection, and the plan is its first step within the budget */
	for (i = 0; i < wh_graph_nlayers(g); i++) {
		struct wh_layer_cfg off;

		wh_layer_cfg_init(&off);
		wh_state_set(st, i, &off, NULL);
	}
	so.max_drop = 0.1;
	n = wh_search_run(st, &t, &so, &r, &err);
	{
		/* the first chain: round 0's points, b0 its step left */
		int chain = 0, first = 1, prev, k, lg = 0, b0 = -1, around = 0;

		for (k = 0; k < r.npoints; k++) {
			const struct wh_search_point *p = &r.points[k];

			around += p->round > 0;
			if (p->round == 0 && p->step >= 0 && p->drop <= 0.1 &&
			    (b0 < 0 || p->step < b0))
				b0 = p->step;
		}
		prev = b0 == 0;
		for (k = 0; k < r.npoints; k++) {
			const struct wh_search_point *p = &r.points[k];

			if (p->step < 0 || p->round != 0)
				continue;
			chain++;
			if (p->step < b0 && p->drop <= 0.1)
				first = 0;
			if (p->step == b0 - 1 && p->drop > 0.1)
				prev = 1;
		}
		while ((1 << lg) < b0 + 2)
			lg++;
		ok(n == 0 && r.chosen >= 0 && b0 >= 1 &&
		    r.points[r.chosen].drop <= 0.1, "a plan within 0.1 points "
		    "after %d back-offs", b0);
		ok(first && prev, "every verified step before it exceeds the "
		    "budget, the one just before included");
		ok(chain <= 2 * lg + 1, "%d verifications of the chain for %d "
		    "steps", chain, b0);
		ok(r.backoffs >= (unsigned)b0, "%u back-off steps in all, %d "
		    "plans verified around it", r.backoffs, around);
	}
	wh_search_result_release(&r);
	so.max_drop = 0.5;

	/* quantization only: no plan prunes or factors */
	for (i = 0; i < wh_graph_nlayers(g); i++) {
		struct wh_layer_cfg off;

		wh_layer_cfg_init(&off);
		wh_state_set(st, i, &off, NULL);
	}
	so.methods = WH_METHOD_QUANT;
	so.combine = 0;
	ok(wh_search_run(st, &t, &so, &r, &err) == 0, "a quantization-only "
	    "search runs");
	{
		int bad = 0, k;

		for (k = 0; k < r.npoints; k++)
			for (i = 0; i < wh_graph_nlayers(g); i++)
				if (wh_setting_methods(&r.points[k].cfgs[i]) &
				    ~WH_METHOD_QUANT)
					bad++;
		ok(bad == 0, "and uses no other method");
	}
	wh_search_result_release(&r);
	/* a target ratio: the least predicted loss reaching it */
	for (i = 0; i < wh_graph_nlayers(g); i++) {
		struct wh_layer_cfg off;

		wh_layer_cfg_init(&off);
		wh_state_set(st, i, &off, NULL);
	}
	so.methods = WH_METHODS_DEFAULT;
	so.target_ratio = 12;
	n = wh_search_run(st, &t, &so, &r, &err);
	ok(n == 0 && r.chosen >= 0 &&
	    r.points[r.chosen].ratio >= 12, "a target of 12x is reached "
	    "(%.2fx)", r.chosen >= 0 ? r.points[r.chosen].ratio : 0);
	wh_search_result_release(&r);
	wh_sens_table_release(&t);
	free(set);
	wh_state_free(st);
	wh_data_free(d);
	wh_graph_free(g);
	wh_model_free(m);
	free(images);
	free(labels);
	free(path);
	free(err);
	return tap_done();
}
