/* search.c - choose one setting per layer from the sensitivity table by an
 * exact knapsack, then verify and back off until the budget holds */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/knapsack.h"
#include "whittle/search.h"
#include "whittle/util.h"

/* Two-part settings measured per layer: structure x quantization. */
#define COMBINE_QUANT 3
#define COMBINE_STRUCT 4
/* Other budgets verified for the front, as multiples of the budget. */
static const double front_scale[] = { 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.25, 1.5,
	2, 3 };

int
wh_search_methods(const char *list, unsigned *methods, char **err)
{
	char *copy = xstrdup(list), *p, *save = NULL;
	unsigned m = 0;
	int r = 0;

	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (strcmp(p, "quant") == 0)
			m |= WH_METHOD_QUANT;
		else if (strcmp(p, "prune") == 0)
			m |= WH_METHOD_PRUNE;
		else if (strcmp(p, "lowrank") == 0)
			m |= WH_METHOD_LOWRANK;
		else if (strcmp(p, "act") == 0)
			m |= WH_METHOD_ACT;
		else {
			r = wh_error(err, "method '%.40s' is not one of quant, "
			    "prune, lowrank, act", p);
			break;
		}
	free(copy);
	if (r == 0 && m == 0)
		r = wh_error(err, "no methods given");
	if (r == 0)
		*methods = m;
	return r;
}

unsigned
wh_setting_methods(const struct wh_layer_cfg *c)
{
	unsigned m = 0;

	if (c->qtype != WH_Q_NONE)
		m |= WH_METHOD_QUANT;
	if (c->prune_mode != WH_PRUNE_NONE || c->nm_n != 0)
		m |= WH_METHOD_PRUNE;
	if (c->lr_mode != WH_LR_NONE)
		m |= WH_METHOD_LOWRANK;
	if (c->act_bits != 0)
		m |= WH_METHOD_ACT;
	return m;
}

void
wh_search_opts_default(struct wh_search_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_drop = 1;
	o->objective = WH_OBJ_SIZE;
	o->methods = WH_METHODS_DEFAULT;
	o->combine = 1;
	wh_sens_rule_default(&o->rule);
}

void
wh_search_result_release(struct wh_search_result *r)
{
	int i;

	for (i = 0; i < r->npoints; i++) {
		free(r->points[i].cfgs);
		wh_metrics_release(&r->points[i].m);
	}
	free(r->points);
	memset(r, 0, sizeof *r);
	r->chosen = -1;
}

/* ---- options per layer ------------------------------------------------- */

struct option {
	int setting;		/* column, or -1 for off / the locked setting */
	uint64_t cost;
	int64_t weight;
	double kl;
};

struct layer_opts {
	struct option *v;
	int n;
};

/* Samples lost: exact for a finished cell, the estimate rounded up for
 * one that stopped early; gains count as no loss. */
static int64_t
cell_weight(const struct wh_sens_table *t, const struct wh_sens_cell *c)
{
	double loss;

	if (c->status == WH_SENS_DONE)
		loss = (double)c->base_correct - (double)c->correct;
	else
		loss = ceil(c->drop / 100 * (double)t->samples - 1e-9);
	return loss > 0 ? (int64_t)loss : 0;
}

static int
usable(const struct wh_sens_cell *c)
{
	return c->status == WH_SENS_DONE || c->status == WH_SENS_EARLY;
}

static uint64_t
objective(const struct wh_search_opts *o, uint64_t bytes, uint64_t macs)
{
	return o->objective == WH_OBJ_MACS ? macs : bytes;
}

static void
opt_add(struct layer_opts *lo, int setting, uint64_t cost, int64_t weight,
    double kl)
{
	lo->v = xreallocarray(lo->v, lo->n + 1, sizeof *lo->v);
	lo->v[lo->n].setting = setting;
	lo->v[lo->n].cost = cost;
	lo->v[lo->n].weight = weight;
	lo->v[lo->n].kl = kl;
	lo->n++;
}

/* The cost of a locked layer's own setting, from the state. */
static int
locked_cost(struct wh_state *st, int i, const struct wh_layer_cfg *cfg,
    const struct wh_search_opts *o, const struct wh_sens_table *t,
    uint64_t *cost, char **err)
{
	const struct wh_compressed *res;
	struct wh_layer_cfg off;

	if (wh_state_set(st, i, cfg, err) != 0)
		return -1;
	res = wh_state_result(st, i);
	*cost = res ? objective(o, res->cost.bytes, res->cost.macs_sparse) :
	    objective(o, t->layer_bytes[i], t->layer_macs[i]);
	wh_layer_cfg_init(&off);
	return wh_state_set(st, i, &off, err);
}

static int
build_options(struct wh_state *st, const struct wh_sens_table *t,
    const struct wh_search_opts *o, struct layer_opts *lo, char **err)
{
	int i, s;

	for (i = 0; i < t->nlayers; i++) {
		lo[i].v = NULL;
		lo[i].n = 0;
		if (o->locked != NULL && o->locked[i]) {
			uint64_t c;

			if (locked_cost(st, i, &o->locked_cfg[i], o, t, &c,
			    err) != 0)
				return -1;
			opt_add(&lo[i], -1, c, 0, 0);
			continue;
		}
		opt_add(&lo[i], -1, objective(o, t->layer_bytes[i],
		    t->layer_macs[i]), 0, 0);
		for (s = 0; s < t->nsettings; s++) {
			const struct wh_sens_cell *c =
			    &t->cells[(size_t)i * t->nsettings + s];
			unsigned m = wh_setting_methods(&t->settings[s].cfg);

			if (!usable(c) || (m & ~o->methods) != 0)
				continue;
			opt_add(&lo[i], s, objective(o, c->bytes, c->macs),
			    cell_weight(t, c), c->kl);
		}
	}
	return 0;
}

static void
options_release(struct layer_opts *lo, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(lo[i].v);
}

/* Least cost within cap: choice[i] indexes lo[i].v.  0, 1 (none), -1. */
static int
solve(const struct layer_opts *lo, int n, int64_t cap, int *choice,
    uint64_t *cost, int64_t *weight)
{
	const struct wh_mck_item **items = xcalloc(n ? n : 1, sizeof *items);
	struct wh_mck_item *all;
	int *nitems = xcalloc(n ? n : 1, sizeof *nitems), i, k, total = 0, r;

	for (i = 0; i < n; i++)
		total += lo[i].n;
	all = xcalloc(total ? total : 1, sizeof *all);
	for (i = 0, total = 0; i < n; i++) {
		items[i] = all + total;
		nitems[i] = lo[i].n;
		for (k = 0; k < lo[i].n; k++) {
			all[total + k].cost = lo[i].v[k].cost;
			all[total + k].weight = lo[i].v[k].weight;
		}
		total += lo[i].n;
	}
	if (cap > WH_MCK_MAX_CAP)
		cap = WH_MCK_MAX_CAP;
	r = wh_mck_solve(items, nitems, n, cap, choice, cost, weight);
	free(all);
	free(items);
	free(nitems);
	return r;
}

/* ---- verification ------------------------------------------------------ */

static void
cfgs_of(const struct wh_sens_table *t, const struct layer_opts *lo,
    const int *choice, const struct wh_search_opts *o,
    struct wh_layer_cfg *cfgs)
{
	int i, s;

	for (i = 0; i < t->nlayers; i++) {
		s = lo[i].v[choice[i]].setting;
		if (o->locked != NULL && o->locked[i])
			cfgs[i] = o->locked_cfg[i];
		else if (s >= 0)
			cfgs[i] = t->settings[s].cfg;
		else
			wh_layer_cfg_init(&cfgs[i]);
	}
}

static int
verify_progress(void *arg, size_t done, size_t total, size_t correct)
{
	const struct wh_search_opts *o = arg;

	(void)done;
	(void)total;
	(void)correct;
	return o->yield != NULL && o->yield(o->arg);
}

static int
verify(struct wh_state *st, const struct wh_sens_table *t,
    const struct wh_layer_cfg *cfgs, int64_t predicted,
    const struct wh_search_opts *o, struct wh_search_result *r, char **err)
{
	struct wh_search_point *p;
	struct wh_metrics m;
	struct wh_totals tot;
	char note[160];
	int i;

	for (i = 0; i < t->nlayers; i++)
		if (wh_state_set(st, i, &cfgs[i], err) != 0)
			return -1;
	switch (wh_state_run(st, 0, verify_progress, (void *)o, &m, NULL, err)) {
	case 0:
		break;
	case 1:
		return 2;	/* cancelled */
	default:
		return -1;
	}
	r->evaluations++;
	r->passes += 1;
	wh_state_totals(st, &tot);
	r->points = xreallocarray(r->points, r->npoints + 1, sizeof *r->points);
	p = &r->points[r->npoints++];
	memset(p, 0, sizeof *p);
	p->cfgs = xmalloc(t->nlayers * sizeof *p->cfgs);
	memcpy(p->cfgs, cfgs, t->nlayers * sizeof *p->cfgs);
	p->predicted = predicted;
	p->correct = m.correct;
	p->samples = m.samples;
	p->drop = 100.0 * ((double)t->base_correct - (double)m.correct) /
	    (double)m.samples;
	p->bytes = tot.bytes;
	p->macs = tot.macs_sparse;
	p->ratio = o->objective == WH_OBJ_MACS ? (p->macs ? (double)tot.macs /
	    p->macs : 0) : tot.ratio;
	p->m = m;
	if (o->note != NULL) {
		snprintf(note, sizeof note, "verified: %.2fx, %+.2f points "
		    "(predicted %+.2f)", p->ratio, -p->drop,
		    -100.0 * (double)predicted / (double)t->samples);
		o->note(o->arg, note);
	}
	return 0;
}

/*
 * One step back (option 0 of each layer is where backing off ends: off,
 * or the plan a later round starts from): of the layers the choice moves
 * from it, the one that loses the
 * most accuracy per unit saved (by the table, the KL divergence where no
 * layer loses a whole sample) takes its cheapest option that loses less.
 * 0 when a layer was backed off, 1 when nothing is left to back off.
 */
static int
back_off(const struct layer_opts *lo, int n, const struct wh_search_opts *o,
    int *choice)
{
	int i, k, best = -1, by_weight = 0, alt;
	double score, top = -1;

	for (i = 0; i < n; i++)
		if (!(o->locked && o->locked[i]) && lo[i].v[choice[i]].weight > 0)
			by_weight = 1;
	for (i = 0; i < n; i++) {
		const struct option *c = &lo[i].v[choice[i]];
		double saved;

		if ((o->locked && o->locked[i]) || choice[i] == 0)
			continue;
		saved = (double)lo[i].v[0].cost - (double)c->cost;
		if (saved < 1)
			saved = 1;
		score = (by_weight ? (double)c->weight : c->kl) / saved;
		if (score > top) {
			top = score;
			best = i;
		}
	}
	if (best < 0)
		return 1;
	alt = 0;	/* off */
	for (k = 1; k < lo[best].n; k++) {
		const struct option *c = &lo[best].v[k],
		    *cur = &lo[best].v[choice[best]];

		if (k == choice[best])
			continue;
		if ((c->weight < cur->weight || (c->weight == cur->weight &&
		    c->kl < cur->kl)) && c->cost > cur->cost &&
		    c->cost < lo[best].v[alt].cost)
			alt = k;
	}
	choice[best] = alt;
	return 0;
}

/*
 * The table's cheap rule stops a cell once its interval is a point wide;
 * the choice within a budget needs more where a cell could be chosen.
 * The rule the search measures with: the budget's precision.
 */
static void
search_rule(const struct wh_search_opts *o, struct wh_sens_rule *r)
{
	*r = o->rule;
	if (r->negligible > o->max_drop / 4)
		r->negligible = o->max_drop / 4;
	if (r->hopeless > o->max_drop)
		r->hopeless = o->max_drop;
	if (r->precision > o->max_drop / 2)
		r->precision = o->max_drop / 2;
}

/* The drop a cell may have: its interval, or the measured drop when the
 * whole set ran. */
static void
cell_bounds(const struct wh_sens_cell *c, double *lo, double *hi)
{
	if (c->status == WH_SENS_DONE)
		*lo = *hi = c->drop;
	else {
		*lo = c->drop_lo;
		*hi = c->drop_hi;
	}
}

/* Whether the search may use column s (its methods, not locked at i). */
static int
allowed(const struct wh_sens_table *t, const struct wh_search_opts *o,
    int i, int s)
{
	unsigned m = wh_setting_methods(&t->settings[s].cfg);

	return (m & ~o->methods) == 0 && !(o->locked && o->locked[i]);
}

/*
 * Whether cell (i, s) can never be chosen: another option of its layer
 * (off included) costs no more and surely loses no more, whatever more
 * samples would show.  The knapsack then takes that one instead.
 */
static int
dominated(const struct wh_sens_table *t, const struct wh_search_opts *o,
    int i, int s)
{
	const struct wh_sens_cell *c = &t->cells[(size_t)i * t->nsettings + s];
	uint64_t cost = objective(o, c->bytes, c->macs);
	double lo, hi, lo2, hi2;
	int k;

	cell_bounds(c, &lo, &hi);
	if (objective(o, t->layer_bytes[i], t->layer_macs[i]) <= cost &&
	    lo >= 0)
		return 1;
	for (k = 0; k < t->nsettings; k++) {
		const struct wh_sens_cell *d =
		    &t->cells[(size_t)i * t->nsettings + k];

		if (k == s || !usable(d) || !allowed(t, o, i, k) ||
		    objective(o, d->bytes, d->macs) > cost)
			continue;
		cell_bounds(d, &lo2, &hi2);
		if (hi2 <= lo && (hi2 < lo || objective(o, d->bytes,
		    d->macs) < cost || k < s))
			return 1;
	}
	return 0;
}

/*
 * Goes on with the cells that stopped early but could be chosen: within
 * the budget, not yet known to the budget's precision, and not dominated
 * in their layer.
 */
static int
refine(struct wh_state *st, struct wh_sens_table *t,
    const struct wh_search_opts *o, char **err)
{
	size_t n = (size_t)t->nlayers * t->nsettings, i;
	unsigned char *mask = xcalloc(n + 1, 1);
	struct wh_sens_opts so;
	int any = 0, r = 0;

	memset(&so, 0, sizeof so);
	search_rule(o, &so.rule);
	for (i = 0; i < n; i++) {
		const struct wh_sens_cell *c = &t->cells[i];
		int layer = (int)(i / t->nsettings), s = (int)(i % t->nsettings);

		if (c->status == WH_SENS_EARLY && c->drop_lo < o->max_drop &&
		    allowed(t, o, layer, s) && !wh_sens_decided(&so.rule,
		    c->flips, c->loss, c->gain, c->samples) &&
		    !dominated(t, o, layer, s))
			any = mask[i] = 1;
	}
	so.cell_mask = mask;
	so.refine = 1;
	so.progress = o->progress;
	so.yield = o->yield;
	so.arg = o->arg;
	if (any)
		r = wh_sens_measure(st, t, &so, err);
	free(mask);
	return r;
}

/* The predicted loss of a choice, in samples. */
static int64_t
choice_weight(const struct layer_opts *lo, int n, const int *choice)
{
	int64_t w = 0;
	int i;

	for (i = 0; i < n; i++)
		w += lo[i].v[choice[i]].weight;
	return w;
}

/*
 * Verifies the knapsack's choice and, while the measured drop exceeds the
 * budget, backs off.  back_off reads only the table, so the back-off
 * steps form a chain fixed in advance: choice 0 is the knapsack's and
 * choice k is k steps back.  Rather than verify it step by step, this
 * verifies steps 1, 3, 7, 15, ... until one holds, then bisects between
 * the last that did not and the first that did: the first step within the
 * budget where the measured drop falls along the chain, in a number of
 * verifications logarithmic in the steps.  choice is left at the chosen
 * step; r->backoffs adds its steps.  offset: the loss, in samples, that
 * the options' weights start from.  *within: whether the step left holds
 * the budget.  0, 2 when cancelled, -1.
 */
static int
verify_chain(struct wh_state *st, const struct wh_sens_table *t,
    const struct layer_opts *lo, int *choice, int64_t offset, int round,
    const struct wh_search_opts *o, struct wh_search_result *r,
    struct wh_layer_cfg *cfgs, int *within, char **err)
{
	int n = t->nlayers, nchain = 1, cap = 16, bad = 0, good = -1, j, step, k;
	int *chain = xmalloc((size_t)cap * (n ? n : 1) * sizeof *chain);
	int *at = xmalloc((size_t)(n ? n : 1) * sizeof *at);
	signed char *held = NULL;
	int rc = 0;

	memcpy(chain, choice, n * sizeof *chain);
	memcpy(at, choice, n * sizeof *at);
	if (o->target_ratio <= 0)
		while (back_off(lo, n, o, at) == 0) {
			if (nchain == cap) {
				cap *= 2;
				chain = xreallocarray(chain, (size_t)cap *
				    (n ? n : 1), sizeof *chain);
			}
			memcpy(chain + (size_t)nchain * n, at, n * sizeof *at);
			nchain++;
		}
	held = xcalloc(nchain, 1);
#define TRY(idx) do { \
		int *c_ = chain + (size_t)(idx) * n; \
		cfgs_of(t, lo, c_, o, cfgs); \
		if ((rc = verify(st, t, cfgs, offset + choice_weight(lo, n, \
		    c_), o, r, err)) != 0) \
			goto out; \
		r->points[r->npoints - 1].step = (idx); \
		r->points[r->npoints - 1].round = round; \
		held[idx] = r->points[r->npoints - 1].drop <= \
		    o->max_drop + 1e-9 ? 1 : -1; \
	} while (0)
	TRY(0);
	if (held[0] > 0 || o->target_ratio > 0) {
		good = 0;
		goto out;
	}
	/* gallop: 1, 3, 7, ... steps back */
	for (step = 1; good < 0 && bad < nchain - 1; step *= 2) {
		j = bad + step < nchain - 1 ? bad + step : nchain - 1;
		TRY(j);
		if (held[j] > 0)
			good = j;
		else
			bad = j;
	}
	/* bisect between the last that did not hold and the first that did */
	while (good >= 0 && good - bad > 1) {
		k = bad + (good - bad) / 2;
		TRY(k);
		if (held[k] > 0)
			good = k;
		else
			bad = k;
	}
#undef TRY
out:
	if (rc == 0) {
		k = good >= 0 ? good : nchain - 1;
		memcpy(choice, chain + (size_t)k * n, n * sizeof *choice);
		r->backoffs += (unsigned)k;
		*within = good >= 0;
	}
	free(held);
	free(at);
	free(chain);
	return rc;
}

/* ---- rounds around a verified plan ------------------------------------- */

/* A setting and its cost, to sort by cost. */
struct pick {
	int setting;
	uint64_t cost;
};

static int
pick_cmp(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return x->cost < y->cost ? -1 : x->cost > y->cost ? 1 :
	    x->setting - y->setting;
}

/* Settings measured per layer around a plan, the nearest below its cost. */
#define ROUND_PER_LAYER 8
#define ROUNDS_MAX 3

/*
 * One round around the plan that choice holds (options lo, verified within
 * the budget): every setting of a layer that would shrink it further is
 * measured again with the other layers at the plan's settings, not off.
 * What a setting loses there is what it adds to the plan, and effects
 * measured next to the plan add up far better than effects measured
 * alone, which the first knapsack had to back off from.  A second
 * knapsack over those losses, within what the plan leaves of the budget,
 * then goes through the same verified back-off.  choice is left at the
 * round's verified plan within the budget (lo2, zeroed by the caller and
 * released by it, then holds its options), or unchanged with 1 when the
 * round found none.  0, 1, 2 when cancelled, -1.
 */
static int
round_around(struct wh_state *st, const struct wh_sens_table *t,
    const struct layer_opts *lo, int *choice, struct layer_opts *lo2,
    int round, int64_t cap, const struct wh_search_opts *o,
    struct wh_search_result *r, struct wh_layer_cfg *cfgs, double *passes,
    char **err)
{
	struct wh_sens_table ctx;
	struct wh_sens_opts so;
	struct wh_layer_cfg *base;
	unsigned char *mask;
	struct pick *cs;
	int n = t->nlayers, i, s, k, nc, any = 0, rc = 1, within = 0;
	int *choice2 = xcalloc(n ? n : 1, sizeof *choice2);
	int64_t loss, weight;
	uint64_t cost;

	base = xcalloc(n ? n : 1, sizeof *base);
	cfgs_of(t, lo, choice, o, base);
	wh_sens_table_copy(&ctx, t);
	memset(ctx.cells, 0, ((size_t)n * t->nsettings + 1) * sizeof *ctx.cells);
	ctx.passes = 0;
	mask = xcalloc((size_t)n * t->nsettings + 1, 1);
	cs = xcalloc(t->nsettings + 1, sizeof *cs);
	for (i = 0; i < n; i++) {
		const struct option *at = &lo[i].v[choice[i]];

		if (o->locked != NULL && o->locked[i])
			continue;
		for (s = 0, nc = 0; s < t->nsettings; s++) {
			const struct wh_sens_cell *c =
			    &t->cells[(size_t)i * t->nsettings + s];
			double dlo, dhi;

			if (s == at->setting || !usable(c) || !allowed(t, o, i, s) ||
			    objective(o, c->bytes, c->macs) >= at->cost ||
			    dominated(t, o, i, s))
				continue;
			cell_bounds(c, &dlo, &dhi);
			if (dlo >= o->max_drop)
				continue;
			cs[nc++] = (struct pick){ s, objective(o, c->bytes,
			    c->macs) };
		}
		qsort(cs, nc, sizeof *cs, pick_cmp);
		for (k = nc - 1; k >= 0 && k >= nc - ROUND_PER_LAYER; k--)
			any = mask[(size_t)i * t->nsettings + cs[k].setting] = 1;
	}
	if (!any)
		goto out;
	for (i = 0; i < n; i++)
		if (wh_state_set(st, i, &base[i], err) != 0) {
			rc = -1;
			goto out;
		}
	memset(&so, 0, sizeof so);
	search_rule(o, &so.rule);
	so.cell_mask = mask;
	so.base = base;
	so.progress = o->progress;
	so.yield = o->yield;
	so.arg = o->arg;
	rc = wh_sens_measure(st, &ctx, &so, err);
	*passes += ctx.passes;
	if (rc != 0) {
		rc = rc < 0 ? -1 : 2;
		goto out;
	}
	/* what the plan leaves of the budget */
	loss = (int64_t)t->base_correct - (int64_t)ctx.base_correct;
	if (loss > cap) {
		rc = 1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct option *at = &lo[i].v[choice[i]];

		opt_add(&lo2[i], at->setting, at->cost, 0, 0);
		for (s = 0; s < t->nsettings; s++) {
			const struct wh_sens_cell *c =
			    &ctx.cells[(size_t)i * t->nsettings + s];

			if (mask[(size_t)i * t->nsettings + s] && usable(c))
				opt_add(&lo2[i], s, objective(o, c->bytes,
				    c->macs), cell_weight(&ctx, c), c->kl);
		}
	}
	rc = 1;
	if (solve(lo2, n, cap - loss, choice2, &cost, &weight) != 0)
		goto out;
	for (i = 0; i < n && choice2[i] == 0; i++)
		;
	if (i == n)
		goto out;	/* nothing fits what is left */
	if ((rc = verify_chain(st, t, lo2, choice2, loss, round, o, r, cfgs,
	    &within, err)) != 0) {
		rc = rc == 2 ? 2 : -1;
		goto out;
	}
	if (within)
		memcpy(choice, choice2, n * sizeof *choice);
	rc = within ? 0 : 1;
out:
	free(choice2);
	free(base);
	free(mask);
	free(cs);
	wh_sens_table_release(&ctx);
	return rc;
}

/* ---- the two-part settings --------------------------------------------- */

static int
combine(struct wh_state *st, struct wh_sens_table *t,
    const struct wh_search_opts *o, int64_t cap, char **err)
{
	struct { int layer; char name[WH_SENS_NAME_MAX]; } *want = NULL;
	int nwant = 0, i, s, k, q, nsingle = t->nsettings, r = 0;
	unsigned char *mask;
	struct wh_sens_opts so;

	for (i = 0; i < t->nlayers; i++) {
		struct pick qs[64], ss[64];
		int nq = 0, ns = 0;

		if (o->locked != NULL && o->locked[i])
			continue;
		for (s = 0; s < nsingle; s++) {
			const struct wh_sens_cell *c = wh_sens_cell(t, i, s);
			unsigned m = wh_setting_methods(&t->settings[s].cfg);

			if (!usable(c) || cell_weight(t, c) > cap ||
			    (m & ~o->methods) != 0 || strchr(t->settings[s].name,
			    '+') != NULL)
				continue;
			if (m == WH_METHOD_QUANT && nq < 64)
				qs[nq++] = (struct pick){ s, c->bytes };
			else if ((m == WH_METHOD_PRUNE || m == WH_METHOD_LOWRANK) &&
			    ns < 64)
				ss[ns++] = (struct pick){ s, c->bytes };
		}
		qsort(qs, nq, sizeof *qs, pick_cmp);
		qsort(ss, ns, sizeof *ss, pick_cmp);
		for (k = 0; k < ns && k < COMBINE_STRUCT; k++)
			for (q = 0; q < nq && q < COMBINE_QUANT; q++) {
				const char *a = t->settings[ss[k].setting].name,
				    *b = t->settings[qs[q].setting].name;

				if (strlen(a) + strlen(b) + 1 >= WH_SENS_NAME_MAX)
					continue;
				want = xreallocarray(want, nwant + 1, sizeof *want);
				want[nwant].layer = i;
				memcpy(want[nwant].name, a, strlen(a));
				want[nwant].name[strlen(a)] = '+';
				strcpy(want[nwant].name + strlen(a) + 1, b);
				nwant++;
			}
	}
	for (k = 0; k < nwant; k++)
		if (wh_sens_add_setting(t, want[k].name, err) < 0) {
			free(want);
			return -1;
		}
	mask = xcalloc((size_t)t->nlayers * t->nsettings + 1, 1);
	for (k = 0; k < nwant; k++)
		mask[(size_t)want[k].layer * t->nsettings +
		    wh_sens_setting_index(t, want[k].name)] = 1;
	memset(&so, 0, sizeof so);
	so.cell_mask = mask;
	search_rule(o, &so.rule);
	so.progress = o->progress;
	so.yield = o->yield;
	so.arg = o->arg;
	if (nwant > 0)
		r = wh_sens_measure(st, t, &so, err);
	free(mask);
	free(want);
	return r;
}

/* ---- the search -------------------------------------------------------- */

static int64_t
budget_samples(const struct wh_sens_table *t, double points)
{
	double v = floor(points / 100 * (double)t->samples + 1e-9);

	return v < 0 ? 0 : v > WH_MCK_MAX_CAP ? WH_MCK_MAX_CAP : (int64_t)v;
}

static void
mark_front(struct wh_search_result *r)
{
	int i, j;

	for (i = 0; i < r->npoints; i++) {
		struct wh_search_point *a = &r->points[i];

		a->on_front = 1;
		for (j = 0; j < r->npoints && a->on_front; j++) {
			const struct wh_search_point *b = &r->points[j];

			if (j != i && b->ratio >= a->ratio &&
			    b->correct >= a->correct &&
			    (b->ratio > a->ratio || b->correct > a->correct ||
			    j < i))
				a->on_front = 0;
		}
	}
}

/* The verified plan within the budget with the largest ratio (the first
 * of equals), or -1. */
static int
best_within(const struct wh_search_result *r, double max_drop)
{
	int i, best = -1;

	for (i = 0; i < r->npoints; i++)
		if (r->points[i].drop <= max_drop + 1e-9 && (best < 0 ||
		    r->points[i].ratio > r->points[best].ratio))
			best = i;
	return best;
}

/* The least cap whose optimum reaches the target objective value. */
static int
solve_target(const struct layer_opts *lo, int n, uint64_t target,
    int *choice, uint64_t *cost, int64_t *weight)
{
	int64_t lo_cap = 0, hi_cap = 0, mid;
	int i, k;

	for (i = 0; i < n; i++) {
		int64_t mx = 0;

		for (k = 0; k < lo[i].n; k++)
			if (lo[i].v[k].weight > mx)
				mx = lo[i].v[k].weight;
		hi_cap += mx;
	}
	if (hi_cap > WH_MCK_MAX_CAP)
		hi_cap = WH_MCK_MAX_CAP;
	if (solve(lo, n, hi_cap, choice, cost, weight) != 0 || *cost > target)
		return 1;
	while (lo_cap < hi_cap) {
		mid = lo_cap + (hi_cap - lo_cap) / 2;
		if (solve(lo, n, mid, choice, cost, weight) == 0 &&
		    *cost <= target)
			hi_cap = mid;
		else
			lo_cap = mid + 1;
	}
	return solve(lo, n, hi_cap, choice, cost, weight);
}

int
wh_search_run(struct wh_state *st, struct wh_sens_table *t,
    const struct wh_search_opts *o, struct wh_search_result *r, char **err)
{
	struct layer_opts *lo = NULL;
	struct wh_layer_cfg *cfgs = NULL;
	struct wh_sens_opts so;
	struct wh_totals tot;
	int *choice = NULL, n = t->nlayers, rc = -1, i, f;
	int64_t cap = budget_samples(t, o->max_drop), weight;
	uint64_t cost, fixed = 0, target = 0;
	double passes0 = t->passes, extra = 0;
	int within = 0;
	char *json;

	memset(r, 0, sizeof *r);
	r->chosen = -1;
	memset(&so, 0, sizeof so);
	so.rule = o->rule;
	so.progress = o->progress;
	so.yield = o->yield;
	so.arg = o->arg;
	if ((rc = wh_sens_measure(st, t, &so, err)) != 0)
		return rc < 0 ? -1 : 2;
	if ((rc = refine(st, t, o, err)) != 0)
		return rc < 0 ? -1 : 2;
	/* the budget in samples, now that the set's size is known */
	cap = budget_samples(t, o->max_drop);
	if (o->combine && (rc = combine(st, t, o, cap, err)) != 0)
		return rc < 0 ? -1 : 2;
	rc = -1;
	json = wh_sens_to_json(t);
	wh_sha256_hex(json, strlen(json), r->table_sha256);
	free(json);
	r->passes = t->passes - passes0;
	lo = xcalloc(n ? n : 1, sizeof *lo);
	choice = xcalloc(n ? n : 1, sizeof *choice);
	cfgs = xcalloc(n ? n : 1, sizeof *cfgs);
	if (build_options(st, t, o, lo, err) != 0)
		goto out;
	if (o->target_ratio > 0) {
		/* what lies outside the layers (biases of other ops, ...) */
		wh_state_totals(st, &tot);
		for (i = 0; i < n; i++)
			fixed += lo[i].v[0].cost;
		fixed = (o->objective == WH_OBJ_MACS ? tot.macs : tot.bytes) -
		    fixed;
		{
			double want = (o->objective == WH_OBJ_MACS ? tot.macs :
			    tot.orig_bytes) / o->target_ratio - (double)fixed;

			target = want > 0 ? (uint64_t)want : 0;
		}
		if (solve_target(lo, n, target, choice, &cost, &weight) != 0) {
			rc = 1;
			goto out;
		}
	} else if (solve(lo, n, cap, choice, &cost, &weight) != 0) {
		rc = 1;
		goto out;
	}
	/* verify, backing off until the budget holds */
	if ((rc = verify_chain(st, t, lo, choice, 0, 0, o, r, cfgs, &within,
	    err)) != 0) {
		rc = rc == 2 ? 2 : -1;
		goto out;
	}
	/* rounds around the verified plan, while each finds a smaller one */
	if (o->target_ratio <= 0 && within) {
		struct layer_opts *cur = lo, *next;
		int *at = xmalloc((n ? n : 1) * sizeof *at);

		memcpy(at, choice, n * sizeof *at);
		for (f = 1; f <= ROUNDS_MAX; f++) {
			int before = best_within(r, o->max_drop), after;

			next = xcalloc(n ? n : 1, sizeof *next);
			rc = round_around(st, t, cur, at, next, f, cap, o, r, cfgs,
			    &extra, err);
			if (rc == 0) {
				if (cur != lo) {
					options_release(cur, n);
					free(cur);
				}
				cur = next;
			} else {
				options_release(next, n);
				free(next);
			}
			after = best_within(r, o->max_drop);
			if (rc != 0 || after == before)
				break;
		}
		if (cur != lo) {
			options_release(cur, n);
			free(cur);
		}
		free(at);
		if (rc == 2 || rc < 0)
			goto out;
	}
	rc = -1;
	if (o->target_ratio > 0)
		r->chosen = r->npoints - 1;
	/* the front: the optima of other budgets, verified as they are */
	if (o->target_ratio <= 0)
		for (f = 0; f < (int)(sizeof front_scale / sizeof *front_scale);
		    f++) {
			int64_t c2 = budget_samples(t, o->max_drop *
			    front_scale[f]);
			int dup = 0, k;

			if (solve(lo, n, c2, choice, &cost, &weight) != 0)
				continue;
			cfgs_of(t, lo, choice, o, cfgs);
			for (k = 0; k < r->npoints && !dup; k++) {
				for (i = 0; i < n && wh_layer_cfg_equal(
				    &r->points[k].cfgs[i], &cfgs[i]); i++)
					;
				dup = i == n;
			}
			if (dup)
				continue;
			if ((k = verify(st, t, cfgs, weight, o, r, err)) != 0) {
				rc = k == 2 ? 2 : -1;
				goto out;
			}
			r->points[r->npoints - 1].step = -1;
		}
	mark_front(r);
	/* with a budget: the best verified plan within it, wherever it
	 * came from (the back-off chain or another budget's optimum) */
	if (o->target_ratio <= 0)
		r->chosen = best_within(r, o->max_drop);
	/* leave the state holding the chosen plan */
	if (r->chosen >= 0)
		for (i = 0; i < n; i++)
			if (wh_state_set(st, i, &r->points[r->chosen].cfgs[i],
			    err) != 0)
				goto out;
	rc = r->chosen >= 0 ? 0 : 1;
out:
	r->passes = t->passes - passes0 + r->evaluations + extra;
	if (lo != NULL)
		options_release(lo, n);
	free(lo);
	free(choice);
	free(cfgs);
	return rc;
}
