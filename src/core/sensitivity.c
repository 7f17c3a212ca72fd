/* sensitivity.c - candidate settings, and measuring each one on its own
 * layer with the rest of the model untouched */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/sensitivity.h"
#include "whittle/util.h"

/* ---- setting names ----------------------------------------------------- */

static const char *const default_settings =
    "int8,int7,int6,int5,int4,int3,int2,fp16,"
    "sp10,sp25,sp50,sp60,sp70,sp80,sp90,sp95,2:4,"
    "ch10,ch25,ch50,ch75,"
    "e0.5,e0.6,e0.7,e0.75,e0.8,e0.85,e0.9,e0.95,e0.99,act8";

/* A whole number or decimal in [lo, hi], nothing after it. */
static int
number(const char *s, double lo, double hi, double *v)
{
	char *end;

	if (*s == '\0' || *s == '+' || *s == '-')
		return -1;
	*v = strtod(s, &end);
	return *end == '\0' && *v >= lo && *v <= hi ? 0 : -1;
}

static int
part_parse(const char *p, struct wh_layer_cfg *c, unsigned *kinds)
{
	enum { K_QUANT = 1, K_PRUNE = 2, K_NM = 4, K_LR = 8, K_ACT = 16 };
	unsigned kind;
	double v;
	int n, m;
	char tail;

	if (strncmp(p, "int", 3) == 0 && number(p + 3, 2, 8, &v) == 0 &&
	    v == floor(v)) {
		kind = K_QUANT;
		c->qtype = WH_Q_INT;
		c->bits = (int)v;
		c->symmetric = 1;
		c->per_channel = 1;
		c->clip = WH_CLIP_MSE;
	} else if (strcmp(p, "fp16") == 0) {
		kind = K_QUANT;
		c->qtype = WH_Q_FP16;
	} else if (strcmp(p, "bf16") == 0) {
		kind = K_QUANT;
		c->qtype = WH_Q_BF16;
	} else if (strncmp(p, "sp", 2) == 0 && number(p + 2, 0, 100, &v) == 0) {
		kind = K_PRUNE;
		c->prune_mode = WH_PRUNE_SPARSITY;
		c->sparsity = (float)(v / 100);
	} else if (strncmp(p, "ch", 2) == 0 && number(p + 2, 0, 100, &v) == 0) {
		kind = K_PRUNE;
		c->prune_mode = WH_PRUNE_CHANNEL;
		c->sparsity = (float)(v / 100);
		c->channel_norm = 2;
	} else if (p[0] == 'e' && number(p + 1, 1e-6, 1, &v) == 0) {
		kind = K_LR;
		c->lr_mode = WH_LR_ENERGY;
		c->energy = (float)v;
	} else if (strcmp(p, "act8") == 0) {
		kind = K_ACT;
		c->act_bits = 8;
	} else if (sscanf(p, "%d:%d%c", &n, &m, &tail) == 2 && n > 0 &&
	    n < m && m <= WH_NM_MAX) {
		kind = K_NM;
		c->nm_n = n;
		c->nm_m = m;
	} else
		return -1;
	if (*kinds & kind)
		return -2;
	*kinds |= kind;
	return 0;
}

int
wh_sens_setting_parse(const char *name, struct wh_layer_cfg *cfg, char **err)
{
	char buf[WH_SENS_NAME_MAX], *p, *save = NULL;
	unsigned kinds = 0;
	int r;

	wh_layer_cfg_init(cfg);
	if (strlen(name) >= sizeof buf || *name == '\0')
		return wh_error(err, "setting '%.*s' is not a setting name", 40,
		    name);
	strcpy(buf, name);
	for (p = strtok_r(buf, "+", &save); p; p = strtok_r(NULL, "+", &save))
		if ((r = part_parse(p, cfg, &kinds)) != 0)
			return wh_error(err, r == -2 ? "setting '%s' has two "
			    "parts of one kind" : "setting '%s' is not a setting "
			    "name (e.g. int4, fp16, sp50, 2:4, ch25, e0.9, act8, "
			    "int4+sp50)", name);
	if (kinds == 0)
		return wh_error(err, "setting '%s' is not a setting name", name);
	return 0;
}

int
wh_sens_settings(const char *list, struct wh_sens_setting **out, char **err)
{
	char *copy = xstrdup(list ? list : default_settings), *p, *save = NULL;
	struct wh_sens_setting *v = NULL;
	int n = 0, i;

	*out = NULL;
	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(v[i].name, p) != 0; i++)
			;
		if (i < n)
			continue;	/* a repeated name counts once */
		v = xreallocarray(v, n + 1, sizeof *v);
		if (wh_sens_setting_parse(p, &v[n].cfg, err) != 0) {
			free(v);
			free(copy);
			return -1;
		}
		strcpy(v[n].name, p);
		n++;
	}
	free(copy);
	if (n == 0)
		return wh_error(err, "no settings to measure");
	*out = v;
	return n;
}

void
wh_sens_rule_default(struct wh_sens_rule *r)
{
	r->min_samples = 512;
	r->negligible = 0.25;
	r->hopeless = 5;
	r->precision = 2;
}

/* ---- the table --------------------------------------------------------- */

void
wh_sens_table_init(struct wh_sens_table *t, const struct wh_graph *g,
    const struct wh_sens_setting *set, int nset)
{
	int i;

	memset(t, 0, sizeof *t);
	t->nlayers = wh_graph_nlayers(g);
	t->layers = xcalloc(t->nlayers ? t->nlayers : 1, sizeof *t->layers);
	t->layer_bytes = xcalloc(t->nlayers ? t->nlayers : 1,
	    sizeof *t->layer_bytes);
	t->layer_macs = xcalloc(t->nlayers ? t->nlayers : 1,
	    sizeof *t->layer_macs);
	for (i = 0; i < t->nlayers; i++) {
		const struct wh_layer *l = wh_graph_layer(g, i);
		struct wh_cost c;

		t->layers[i] = xstrdup(l->name);
		wh_cost_layer_orig(l, &c);
		t->layer_bytes[i] = c.bytes;
		t->layer_macs[i] = c.macs_sparse;
	}
	t->nsettings = nset;
	t->settings = xcalloc(nset ? nset : 1, sizeof *t->settings);
	memcpy(t->settings, set, nset * sizeof *set);
	t->cells = xcalloc((size_t)t->nlayers * nset + 1, sizeof *t->cells);
}

void
wh_sens_table_release(struct wh_sens_table *t)
{
	int i;

	for (i = 0; i < t->nlayers; i++)
		free(t->layers[i]);
	free(t->layers);
	free(t->layer_bytes);
	free(t->layer_macs);
	free(t->settings);
	free(t->cells);
	memset(t, 0, sizeof *t);
}

void
wh_sens_table_copy(struct wh_sens_table *dst, const struct wh_sens_table *src)
{
	size_t nl = src->nlayers ? (size_t)src->nlayers : 1;
	size_t nc = (size_t)src->nlayers * src->nsettings + 1;
	int i;

	*dst = *src;
	dst->layers = xcalloc(nl, sizeof *dst->layers);
	for (i = 0; i < src->nlayers; i++)
		dst->layers[i] = xstrdup(src->layers[i]);
	dst->layer_bytes = xmalloc(nl * sizeof *dst->layer_bytes);
	memcpy(dst->layer_bytes, src->layer_bytes, src->nlayers *
	    sizeof *dst->layer_bytes);
	dst->layer_macs = xmalloc(nl * sizeof *dst->layer_macs);
	memcpy(dst->layer_macs, src->layer_macs, src->nlayers *
	    sizeof *dst->layer_macs);
	dst->settings = xmalloc((src->nsettings ? src->nsettings : 1) *
	    sizeof *dst->settings);
	memcpy(dst->settings, src->settings, src->nsettings *
	    sizeof *dst->settings);
	dst->cells = xmalloc(nc * sizeof *dst->cells);
	memcpy(dst->cells, src->cells, nc * sizeof *dst->cells);
}

struct wh_sens_cell *
wh_sens_cell(struct wh_sens_table *t, int layer, int setting)
{
	return &t->cells[(size_t)layer * t->nsettings + setting];
}

int
wh_sens_layer_index(const struct wh_sens_table *t, const char *name)
{
	int i;

	for (i = 0; i < t->nlayers; i++)
		if (strcmp(t->layers[i], name) == 0)
			return i;
	return -1;
}

int
wh_sens_setting_index(const struct wh_sens_table *t, const char *name)
{
	int i;

	for (i = 0; i < t->nsettings; i++)
		if (strcmp(t->settings[i].name, name) == 0)
			return i;
	return -1;
}

int
wh_sens_add_setting(struct wh_sens_table *t, const char *name, char **err)
{
	struct wh_sens_cell *cells;
	struct wh_layer_cfg cfg;
	int i, s, n;

	if ((s = wh_sens_setting_index(t, name)) >= 0)
		return s;
	if (wh_sens_setting_parse(name, &cfg, err) != 0)
		return -1;
	n = t->nsettings + 1;
	t->settings = xreallocarray(t->settings, n, sizeof *t->settings);
	snprintf(t->settings[n - 1].name, WH_SENS_NAME_MAX, "%s", name);
	t->settings[n - 1].cfg = cfg;
	cells = xcalloc((size_t)t->nlayers * n + 1, sizeof *cells);
	for (i = 0; i < t->nlayers; i++)
		for (s = 0; s < t->nsettings; s++)
			cells[(size_t)i * n + s] =
			    t->cells[(size_t)i * t->nsettings + s];
	free(t->cells);
	t->cells = cells;
	t->nsettings = n;
	return n - 1;
}

int
wh_sens_in_shard(const struct wh_sens_opts *o, int cell)
{
	return o == NULL || o->nshards <= 1 || cell % o->nshards == o->shard;
}

/* ---- statistics -------------------------------------------------------- */

/* Wilson score interval of k successes in n at 95%. */
static void
wilson(uint64_t k, uint64_t n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	double p, d, c, h;

	if (n == 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)k / n;
	d = 1 + z * z / n;
	c = (p + z * z / (2.0 * n)) / d;
	h = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
	*lo = c - h < 0 ? 0 : c - h;
	*hi = c + h > 1 ? 1 : c + h;
}

/*
 * The 95% interval of the paired accuracy change (points) from the
 * samples a setting turned wrong (loss) and right (gain) out of n: the
 * normal approximation of (loss - gain) / n with the variance of paired
 * proportions, one pseudo-count added so that no change seen is not
 * taken as certain.
 */
static void
drop_interval(uint64_t loss, uint64_t gain, uint64_t n, double *lo,
    double *hi)
{
	const double z = 1.959963984540054;
	double d, v, h;

	if (n == 0) {
		*lo = -100;
		*hi = 100;
		return;
	}
	d = ((double)loss - (double)gain) / n;
	v = ((double)loss + (double)gain + 1) / n - d * d;
	h = z * sqrt((v > 0 ? v : 1.0 / n) / n);
	*lo = 100 * (d - h);
	*hi = 100 * (d + h);
}

/*
 * The outputs as log-probabilities: a row that already is a probability
 * distribution (a final Softmax) is logged, one that already sums to 1
 * after exp (a final LogSoftmax) is kept, anything else is taken as logits.
 */
static void
log_probs(const float *x, size_t k, double *out)
{
	double sum = 0, mx = -INFINITY, lse;
	int probs = 1, logp = 1;
	size_t i;

	for (i = 0; i < k; i++) {
		if (!(x[i] >= 0 && x[i] <= 1))
			probs = 0;
		if (!(x[i] <= 0))
			logp = 0;
		sum += x[i];
		if (x[i] > mx)
			mx = x[i];
	}
	if (probs && fabs(sum - 1) < 1e-3) {
		for (i = 0; i < k; i++)
			out[i] = log(x[i] > 1e-30f ? x[i] : 1e-30);
		return;
	}
	for (sum = 0, i = 0; i < k; i++)
		sum += exp(x[i] - mx);
	lse = mx + log(sum);
	if (logp && fabs(lse) < 1e-3)
		lse = 0;
	for (i = 0; i < k; i++)
		out[i] = x[i] - lse;
}

/* KL(p || q) from log-probabilities. */
static double
kl_div(const double *lp, const double *lq, size_t k)
{
	double s = 0;
	size_t i;

	for (i = 0; i < k; i++)
		if (lp[i] > -700)
			s += exp(lp[i]) * (lp[i] - lq[i]);
	return s < 0 ? 0 : s;
}

/* ---- measuring --------------------------------------------------------- */

struct baseline {
	int32_t *preds;
	double *logp;		/* (n, k) */
	const int32_t *labels;
	size_t n, k;
};

/* Fraction of the model's MACs from op `from` on. */
static double
work_from(const struct wh_graph *g, int from)
{
	uint64_t all = 0, part = 0;
	int i;

	for (i = 0; i < wh_graph_nlayers(g); i++) {
		const struct wh_layer *l = wh_graph_layer(g, i);

		all += l->macs;
		if (l->op >= from)
			part += l->macs;
	}
	return all ? (double)part / all : 1;
}

int
wh_sens_decided(const struct wh_sens_rule *rule, uint64_t flips,
    uint64_t loss, uint64_t gain, uint64_t n)
{
	double lo, hi, flo, fhi;

	if (n < rule->min_samples || n == 0)
		return 0;
	wilson(flips, n, &flo, &fhi);
	drop_interval(loss, gain, n, &lo, &hi);
	/* clearly inside what matters: it changes (or costs) almost nothing */
	if (100 * fhi < rule->negligible || hi < rule->negligible)
		return 1;
	/* clearly outside it, or known as well as the table needs */
	return lo > rule->hopeless || hi - lo < rule->precision;
}

/*
 * Runs cell (layer i, cfg) batch by batch until the rule decides or the
 * set is exhausted.
 */
static int
measure_cell(struct wh_state *st, struct wh_sens_table *t, int i,
    const struct wh_sens_setting *set, struct wh_sens_cell *c,
    const struct baseline *b, const struct wh_sens_rule *rule,
    const struct wh_sens_opts *o, char **err)
{
	struct wh_eval *e = wh_state_eval(st);
	const struct wh_graph *g = wh_state_graph(st);
	const struct wh_compressed *res;
	struct wh_layer_cfg off;
	size_t step = 256, done = 0, s;
	uint64_t loss = 0, gain = 0;
	int32_t *preds = xmalloc(step * sizeof *preds);
	float *out = xmalloc(step * b->k * sizeof *out);
	double *lq = xmalloc(b->k * sizeof *lq), kl = 0, work;
	char *why = NULL;
	struct wh_sens_cell orig = *c;
	int r = 0;

	if (c->status == WH_SENS_EARLY) {
		/* refining: go on from where it stopped */
		done = c->samples;
		loss = c->loss;
		gain = c->gain;
		kl = c->kl * (double)c->samples;
	} else
		memset(c, 0, sizeof *c);
	if (wh_state_set(st, i, &set->cfg, &why) != 0) {
		c->status = WH_SENS_SKIPPED;
		snprintf(c->reason, sizeof c->reason, "%s", why);
		free(why);
		goto out;
	}
	res = wh_state_result(st, i);
	c->bytes = res ? res->cost.bytes : t->layer_bytes[i];
	c->macs = res ? res->cost.macs_sparse : t->layer_macs[i];
	if (set->cfg.lr_mode != WH_LR_NONE && c->bytes >= t->layer_bytes[i]) {
		c->status = WH_SENS_SKIPPED;
		snprintf(c->reason, sizeof c->reason, "rank %d saves nothing",
		    res ? res->rank : 0);
		goto restore;
	}
	while (done < b->n) {
		size_t n = b->n - done < step ? b->n - done : step;

		if (o != NULL && o->yield != NULL && o->yield(o->arg)) {
			r = 1;
			goto restore;
		}
		if (wh_eval_range(e, done, n, preds, out, err) != 0) {
			r = -1;
			goto restore;
		}
		work = work_from(g, wh_eval_range_start(e));
		c->passes += work * (double)n / b->n;
		for (s = 0; s < n; s++) {
			size_t idx = done + s;
			int bright = b->preds[idx] == b->labels[idx];
			int right = preds[s] == b->labels[idx];

			log_probs(out + s * b->k, b->k, lq);
			kl += kl_div(b->logp + idx * b->k, lq, b->k);
			c->correct += right;
			c->base_correct += bright;
			c->flips += preds[s] != b->preds[idx];
			loss += bright && !right;
			gain += !bright && right;
		}
		done += n;
		c->samples = done;
		if (done < b->n && wh_sens_decided(rule, c->flips, loss, gain,
		    done))
			break;
	}
	c->status = done >= b->n ? WH_SENS_DONE : WH_SENS_EARLY;
	c->loss = loss;
	c->gain = gain;
	c->kl = done ? kl / done : 0;
	c->drop = 100.0 * ((double)c->base_correct - (double)c->correct) /
	    (double)done;
	drop_interval(loss, gain, done, &c->drop_lo, &c->drop_hi);
restore:
	wh_layer_cfg_init(&off);
	if (wh_state_set(st, i, o != NULL && o->base != NULL ? &o->base[i] :
	    &off, r ? NULL : err) != 0 && r == 0)
		r = -1;
	if (r != 0)
		*c = orig;	/* cancelled or failed: as it was */
out:
	free(preds);
	free(out);
	free(lq);
	return r;
}

/* A cell to measure: not measured yet, or stopped early when refining. */
static int
wanted(const struct wh_sens_opts *o, const struct wh_sens_cell *c)
{
	return c->status == WH_SENS_TODO || (o != NULL && o->refine &&
	    c->status == WH_SENS_EARLY);
}

int
wh_sens_measure(struct wh_state *st, struct wh_sens_table *t,
    const struct wh_sens_opts *o, char **err)
{
	struct wh_eval *e = wh_state_eval(st);
	const struct wh_graph *g = wh_state_graph(st);
	struct baseline b = { 0 };
	struct wh_metrics m;
	struct wh_sens_rule rule;
	float *out = NULL;
	int i, s, total = 0, done = 0, r = 0;
	size_t j;

	if (e == NULL)
		return wh_error(err, "sensitivity needs a validation set");
	if (o != NULL)
		rule = o->rule;
	else
		wh_sens_rule_default(&rule);
	for (i = 0; i < t->nlayers; i++)
		for (s = 0; s < t->nsettings; s++)
			if (wanted(o, &t->cells[(size_t)i * t->nsettings + s]) &&
			    wh_sens_in_shard(o, i *
			    t->nsettings + s) && (o == NULL || o->cell_mask ==
			    NULL || o->cell_mask[i * t->nsettings + s]))
				total++;
	if (total == 0)
		return 0;
	/* the baseline over the whole set fills every activation cache */
	if (wh_state_run(st, 0, NULL, NULL, &m, NULL, err) != 0)
		return -1;
	b.n = m.samples;
	b.k = wh_graph_output_size(g);
	t->samples = b.n;
	t->base_correct = m.correct;
	wh_metrics_release(&m);
	t->passes += 1;
	b.preds = xmalloc(b.n * sizeof *b.preds);
	b.logp = xmalloc(b.n * b.k * sizeof *b.logp);
	out = xmalloc(b.k * 256 * sizeof *out);
	b.labels = wh_state_data(st)->labels;
	for (j = 0; j < b.n; j += 256) {
		size_t n = b.n - j < 256 ? b.n - j : 256, q;

		if (wh_eval_range(e, j, n, b.preds + j, out, err) != 0) {
			r = -1;
			goto out;
		}
		for (q = 0; q < n; q++)
			log_probs(out + q * b.k, b.k, b.logp + (j + q) * b.k);
	}
	/* last layer first: a cell invalidates the caches after its layer,
	 * and the cells still to come need only those before theirs */
	for (i = t->nlayers - 1; i >= 0; i--) {
		for (s = 0; s < t->nsettings; s++) {
			struct wh_sens_cell *c = wh_sens_cell(t, i, s);

			if (!wanted(o, c) ||
			    !wh_sens_in_shard(o, i * t->nsettings + s) ||
			    (o != NULL && o->cell_mask != NULL &&
			    !o->cell_mask[i * t->nsettings + s]))
				continue;
			if (o != NULL && o->progress != NULL &&
			    o->progress(o->arg, done, total, t->layers[i],
			    t->settings[s].name)) {
				r = 1;
				goto out;
			}
			{
				double before = c->status == WH_SENS_EARLY ?
				    c->passes : 0;

				if ((r = measure_cell(st, t, i, &t->settings[s], c,
				    &b, &rule, o, err)) != 0)
					goto out;
				t->passes += c->passes - before;
			}
			t->measured++;
			done++;
		}
	}
	if (o != NULL && o->progress != NULL)
		o->progress(o->arg, done, total, NULL, NULL);
out:
	free(out);
	free(b.preds);
	free(b.logp);
	return r;
}
