/* test-sensitivity.c - setting names, and each measured cell against an
 * independent full evaluation with only that layer changed */
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/sensitivity.h"
#include "whittle/state.h"
#include "whittle/util.h"

static void
names(void)
{
	struct wh_layer_cfg c;
	struct wh_sens_setting *v;
	char *err = NULL;
	int n;

	ok(wh_sens_setting_parse("int4", &c, NULL) == 0 && c.qtype == WH_Q_INT &&
	    c.bits == 4 && c.per_channel && c.symmetric && c.clip == WH_CLIP_MSE,
	    "int4 is 4-bit symmetric per-channel weights with MSE clipping");
	ok(wh_sens_setting_parse("sp50", &c, NULL) == 0 &&
	    c.prune_mode == WH_PRUNE_SPARSITY && c.sparsity == 0.5f,
	    "sp50 is 50%% magnitude sparsity");
	ok(wh_sens_setting_parse("ch25", &c, NULL) == 0 &&
	    c.prune_mode == WH_PRUNE_CHANNEL && c.sparsity == 0.25f &&
	    c.channel_norm == 2, "ch25 prunes a quarter of the channels by L2");
	ok(wh_sens_setting_parse("2:4", &c, NULL) == 0 && c.nm_n == 2 &&
	    c.nm_m == 4, "2:4 is N:M pruning");
	ok(wh_sens_setting_parse("e0.9+int4", &c, NULL) == 0 &&
	    c.lr_mode == WH_LR_ENERGY && c.energy == 0.9f && c.bits == 4,
	    "e0.9+int4 combines low rank and quantization");
	ok(wh_sens_setting_parse("act8", &c, NULL) == 0 && c.act_bits == 8,
	    "act8 quantizes the input");
	n = wh_sens_setting_parse("int4+int8", &c, &err);
	ok(n == -1 &&
	    strstr(err, "two parts") != NULL, "two parts of one kind are "
	    "refused: %s", err);
	free(err);
	err = NULL;
	ok(wh_sens_setting_parse("int9", &c, &err) == -1, "int9 is refused");
	free(err);
	err = NULL;
	ok(wh_sens_setting_parse("sp50x", &c, &err) == -1, "trailing text is "
	    "refused");
	free(err);
	err = NULL;
	ok(wh_sens_setting_parse("4:2", &c, &err) == -1, "N:M with N >= M is "
	    "refused");
	free(err);
	n = wh_sens_settings(NULL, &v, NULL);
	ok(n >= 27, "the default candidates number %d", n);
	free(v);
	n = wh_sens_settings("int4,int4,fp16", &v, NULL);
	ok(n == 2, "a repeated name counts once");
	free(v);
}

static void
shards(void)
{
	struct wh_sens_opts o;
	int cell, k, hits, all = 1;

	memset(&o, 0, sizeof o);
	o.nshards = 3;
	for (cell = 0; cell < 100; cell++) {
		for (hits = 0, k = 0; k < 3; k++) {
			o.shard = k;
			hits += wh_sens_in_shard(&o, cell);
		}
		if (hits != 1)
			all = 0;
	}
	ok(all, "three shards take every cell exactly once");
}

/* Correct predictions of a full evaluation with only layer i set. */
static long
full_correct(struct wh_state *st, int i, const struct wh_layer_cfg *cfg)
{
	struct wh_metrics m;
	struct wh_layer_cfg off;
	long c = -1;

	if (wh_state_set(st, i, cfg, NULL) != 0)
		return -1;
	if (wh_state_run(st, 0, NULL, NULL, &m, NULL, NULL) == 0) {
		c = (long)m.correct;
		wh_metrics_release(&m);
	}
	wh_layer_cfg_init(&off);
	wh_state_set(st, i, &off, NULL);
	return c;
}

/* The sequential rule on counts whose intervals are worked out by hand. */
static void
rule(void)
{
	struct wh_sens_rule r;

	wh_sens_rule_default(&r);
	ok(!wh_sens_decided(&r, 0, 0, 0, 256), "nothing is decided on fewer "
	    "than min-samples");
	ok(wh_sens_decided(&r, 0, 0, 0, 2048), "no flip in 2048: the flip "
	    "rate is surely below 0.25%%");
	ok(wh_sens_decided(&r, 0, 0, 0, 512), "no flip in 512: within the "
	    "2-point precision (0.77 wide)");
	r.precision = 0.5;
	ok(!wh_sens_decided(&r, 0, 0, 0, 512), "with a precision of 0.5 "
	    "points not yet sure (Wilson's bound 0.75%%, the drop's 0.38)");
	ok(wh_sens_decided(&r, 0, 0, 0, 1024), "none in 1024: the drop is "
	    "surely below 0.25 points (0.19)");
	r.precision = 2;
	ok(wh_sens_decided(&r, 200, 50, 150, 1024), "10%% flips but 9.8 "
	    "points gained: surely negligible as a loss");
	ok(wh_sens_decided(&r, 100, 100, 0, 1024), "9.8 points lost: surely "
	    "beyond the 5-point hopeless bound");
	ok(!wh_sens_decided(&r, 50, 30, 20, 1024), "30 lost, 20 gained of "
	    "1024: the interval, 2.7 points wide, decides nothing");
	ok(wh_sens_decided(&r, 200, 120, 80, 4096), "the same rates on 4096: "
	    "1.4 points wide, within the precision");
	r.precision = 1;
	ok(!wh_sens_decided(&r, 200, 120, 80, 4096), "but not within a "
	    "precision of 1 point");
}

static void
measure(void)
{
	char *images, *labels, *path = fx_model("fashion-cnn"), *err = NULL;
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dataset *d;
	struct wh_state *st;
	struct wh_eval_opts eo = { 256, 2, (size_t)1 << 30 };
	struct wh_sens_setting *set;
	struct wh_sens_table t;
	struct wh_sens_opts so;
	int n, i, s, exact = 0, done = 0, early = 0, skipped = 0, bounds = 0;

	if (!fx_have_fashion(&images, &labels)) {
		tap_skip("Fashion-MNIST is not installed");
		free(path);
		return;
	}
	m = wh_model_load(path, &err);
	g = m ? wh_graph_new(m, &err) : NULL;
	d = wh_data_load(images, labels, 10, &err);
	st = g && d ? wh_state_new(g, d, &m->pre, 0, &eo, &err) : NULL;
	if (!ok(st != NULL, "the demo model and data load")) {
		tap_diag("%s", err);
		return;
	}
	n = wh_sens_settings("int8,int2,sp50,sp95,2:4,e0.99,e0.8+int4", &set,
	    NULL);
	wh_sens_table_init(&t, g, set, n);
	memset(&so, 0, sizeof so);
	wh_sens_rule_default(&so.rule);
	/* finer than the default, so that some cells run to the end */
	so.rule.precision = 0.5;
	ok(wh_sens_measure(st, &t, &so, &err) == 0, "the table is measured");
	ok(t.samples == 10000 && t.base_correct > 9000, "the baseline is "
	    "%llu of %llu", (unsigned long long)t.base_correct,
	    (unsigned long long)t.samples);
	for (i = 0; i < t.nlayers; i++)
		for (s = 0; s < t.nsettings; s++) {
			struct wh_sens_cell *c = wh_sens_cell(&t, i, s);

			if (c->status == WH_SENS_SKIPPED) {
				skipped++;
				continue;
			}
			if (c->drop_lo <= c->drop + 1e-9 &&
			    c->drop <= c->drop_hi + 1e-9)
				bounds++;
			if (c->status == WH_SENS_EARLY) {
				early += c->samples < t.samples;
				continue;
			}
			done++;
			/* a finished cell is exactly the full evaluation */
			if ((long)c->correct == full_correct(st, i,
			    &set[s].cfg) && c->samples == t.samples &&
			    c->base_correct == t.base_correct)
				exact++;
		}
	ok(done > 0 && exact == done, "each of the %d finished cells counts "
	    "what a full evaluation with only its layer changed counts (%d)",
	    done, exact);
	ok(early > 0, "%d cells stopped early, on fewer samples", early);
	ok(skipped > 0, "%d cells were skipped (a rank that saves nothing)",
	    skipped);
	ok(bounds == done + early, "every drop lies within its interval");
	{
		int li = t.nlayers - 1, si = wh_sens_setting_index(&t, "sp95");
		struct wh_sens_cell *c = wh_sens_cell(&t, li, si);

		ok(c->drop > 5 && c->kl > 0.1, "95%% sparsity on the last layer "
		    "loses %.2f points, KL %.3f", c->drop, c->kl);
		si = wh_sens_setting_index(&t, "int8");
		c = wh_sens_cell(&t, li, si);
		ok(c->kl < 0.01 && c->drop < 0.3, "int8 on it is nearly free: "
		    "%.2f points, KL %.5f", c->drop, c->kl);
	}
	{
		struct wh_metrics mm;

		ok(wh_state_run(st, 0, NULL, NULL, &mm, NULL, NULL) == 0 &&
		    mm.correct == t.base_correct, "afterwards every layer is "
		    "off again");
		wh_metrics_release(&mm);
	}
	ok(t.passes > 1 && t.passes < t.nlayers * t.nsettings,
	    "%.2f full-pass equivalents for %d cells", t.passes,
	    t.nlayers * t.nsettings);
	/* a shard measures only its cells, and together they are the table */
	{
		struct wh_sens_table a, b;
		int k, same = 1;

		for (k = 0; k < 2; k++) {
			struct wh_sens_table *p = k ? &b : &a;

			wh_sens_table_init(p, g, set, n);
			so.shard = k;
			so.nshards = 2;
			wh_sens_measure(st, p, &so, NULL);
		}
		strcpy(a.model_sha256, "x");
		strcpy(b.model_sha256, "x");
		ok(wh_sens_merge(&a, &b, NULL) > 0, "two halves merge");
		for (i = 0; i < t.nlayers * t.nsettings; i++) {
			const struct wh_sens_cell *x = &t.cells[i], *y = &a.cells[i];

			if (x->status != y->status || x->samples != y->samples ||
			    x->correct != y->correct || x->flips != y->flips ||
			    x->bytes != y->bytes || x->kl != y->kl)
				same = 0;
		}
		ok(same, "the merged shards equal the single table cell for "
		    "cell");
		wh_sens_table_release(&a);
		wh_sens_table_release(&b);
	}
	/* around a plan: the other layers stay at the plan's settings while
	 * a cell is measured, and the state is left at the plan */
	{
		struct wh_sens_table a;
		struct wh_layer_cfg *base = xcalloc(t.nlayers, sizeof *base);
		unsigned char *mask = xcalloc((size_t)t.nlayers * n, 1);
		struct wh_metrics mm;
		long plan_correct = -1;
		int k, q = wh_sens_setting_index(&t, "int2"), same = 0, cells = 0;

		for (k = 0; k < t.nlayers; k++) {
			wh_sens_setting_parse("int4", &base[k], NULL);
			wh_state_set(st, k, &base[k], NULL);
		}
		if (wh_state_run(st, 0, NULL, NULL, &mm, NULL, NULL) == 0) {
			plan_correct = (long)mm.correct;
			wh_metrics_release(&mm);
		}
		wh_sens_table_init(&a, g, set, n);
		so.shard = so.nshards = 0;
		for (k = 0; k < t.nlayers; k++)
			mask[(size_t)k * n + q] = 1;
		so.cell_mask = mask;
		so.base = base;
		so.rule.min_samples = 100000;	/* every cell to the end */
		ok(wh_sens_measure(st, &a, &so, &err) == 0 &&
		    (long)a.base_correct == plan_correct, "measured around "
		    "int4 everywhere: its %ld correct are the baseline",
		    plan_correct);
		for (k = 0; k < a.nlayers; k++) {
			const struct wh_sens_cell *c = wh_sens_cell(&a, k, q);
			long want;

			wh_state_set(st, k, &set[q].cfg, NULL);
			want = -1;
			if (wh_state_run(st, 0, NULL, NULL, &mm, NULL, NULL) == 0) {
				want = (long)mm.correct;
				wh_metrics_release(&mm);
			}
			wh_state_set(st, k, &base[k], NULL);
			cells++;
			same += c->status == WH_SENS_DONE &&
			    (long)c->correct == want;
		}
		ok(cells > 0 && same == cells, "each int2 cell counts what the "
		    "plan with that one layer at int2 counts (%d of %d)", same,
		    cells);
		ok(wh_state_run(st, 0, NULL, NULL, &mm, NULL, NULL) == 0 &&
		    (long)mm.correct == plan_correct, "afterwards the state "
		    "holds the plan again");
		wh_metrics_release(&mm);
		for (k = 0; k < t.nlayers; k++) {
			wh_layer_cfg_init(&base[k]);
			wh_state_set(st, k, &base[k], NULL);
		}
		so.base = NULL;
		so.cell_mask = NULL;
		free(mask);
		wh_sens_table_release(&a);
		free(base);
	}
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
}

int
main(void)
{
	rule();
	names();
	shards();
	measure();
	return tap_done();
}
