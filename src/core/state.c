/* state.c - per-layer settings, compressed results and evaluation together */
#include <stdlib.h>
#include <string.h>

#include "whittle/graph.h"
#include "whittle/state.h"
#include "whittle/util.h"

struct lslot {
	struct wh_layer_cfg cfg;
	struct wh_lcache *cache;
	struct wh_compressed *res;	/* NULL while uncompressed */
	float act_scale[2];		/* [0] min/max, [1] percentile */
	int act_zero[2];
	float act_pct;			/* the percentile calibrated for */
	int has_act[2];
};

struct wh_state {
	const struct wh_graph *g;
	const struct wh_dataset *d;
	struct wh_eval *e;
	struct lslot *l;
	const struct wh_compressed **results;
	int n;
};

struct wh_state *
wh_state_new(const struct wh_graph *g, const struct wh_dataset *d,
    const struct wh_preproc *pre, int scale_set,
    const struct wh_eval_opts *opts, char **err)
{
	struct wh_state *s = xcalloc(1, sizeof *s);
	int i;

	s->g = g;
	s->d = d;
	s->n = wh_graph_nlayers(g);
	s->l = xcalloc(s->n ? s->n : 1, sizeof *s->l);
	s->results = xcalloc(s->n ? s->n : 1, sizeof *s->results);
	for (i = 0; i < s->n; i++) {
		wh_layer_cfg_init(&s->l[i].cfg);
		s->l[i].cache = wh_lcache_new(wh_graph_layer(g, i));
	}
	if (d != NULL && (s->e = wh_eval_new(g, d, pre, scale_set, opts,
	    err)) == NULL) {
		wh_state_free(s);
		return NULL;
	}
	return s;
}

void
wh_state_free(struct wh_state *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->l[i].res != NULL) {
			wh_compressed_release(s->l[i].res);
			free(s->l[i].res);
		}
		wh_lcache_free(s->l[i].cache);
	}
	wh_eval_free(s->e);
	free(s->l);
	free(s->results);
	free(s);
}

const struct wh_graph *
wh_state_graph(const struct wh_state *s)
{
	return s->g;
}

struct wh_eval *
wh_state_eval(struct wh_state *s)
{
	return s->e;
}

static int
is_off(const struct wh_layer_cfg *c)
{
	return c->lr_mode == WH_LR_NONE && c->prune_mode == WH_PRUNE_NONE &&
	    c->nm_n == 0 && c->qtype == WH_Q_NONE && c->act_bits == 0;
}

/* The input range of layer i on the calibration samples, memoized. */
static int
calibrate(struct wh_state *s, int i, const struct wh_layer_cfg *cfg,
    float *scale, int *zero, char **err)
{
	struct lslot *ls = &s->l[i];
	int k = cfg->act_calib == WH_ACT_PERCENTILE;
	float *x;
	size_t size, n;

	if (ls->has_act[k] && (!k || ls->act_pct == cfg->act_percentile)) {
		*scale = ls->act_scale[k];
		*zero = ls->act_zero[k];
		return 0;
	}
	if (s->e == NULL)
		return wh_error(err, "layer %s: activation quantization needs "
		    "validation data to calibrate on",
		    WH_QNAME(wh_graph_layer(s->g, i)->name));
	n = s->d->n < WH_CALIB_SAMPLES ? s->d->n : WH_CALIB_SAMPLES;
	if (wh_eval_capture(s->e, i, n, &x, &size, err) != 0)
		return -1;
	if (wh_act_calibrate(x, n * size, cfg->act_calib, cfg->act_percentile,
	    &ls->act_scale[k], &ls->act_zero[k]) != 0) {
		free(x);
		return wh_error(err, "layer %s: cannot calibrate the input "
		    "range", WH_QNAME(wh_graph_layer(s->g, i)->name));
	}
	free(x);
	ls->has_act[k] = 1;
	ls->act_pct = cfg->act_percentile;
	*scale = ls->act_scale[k];
	*zero = ls->act_zero[k];
	return 0;
}

int
wh_state_set(struct wh_state *s, int i, const struct wh_layer_cfg *cfg,
    char **err)
{
	const struct wh_layer *l = wh_graph_layer(s->g, i);
	struct lslot *ls = &s->l[i];
	struct wh_compressed *res = NULL;
	float scale = 0;
	int zero = 0;

	if (wh_layer_cfg_check(cfg, l, err) != 0)
		return -1;
	if (!is_off(cfg)) {
		if (cfg->act_bits && calibrate(s, i, cfg, &scale, &zero,
		    err) != 0)
			return -1;
		res = xcalloc(1, sizeof *res);
		if (wh_compress_layer(ls->cache, cfg, res, err) != 0) {
			free(res);
			return -1;
		}
		res->lw.act_bits = cfg->act_bits;
		res->lw.act_scale = scale;
		res->lw.act_zero = zero;
		res->cfg.act_bits = cfg->act_bits;
		res->cfg.act_calib = cfg->act_calib;
		res->cfg.act_percentile = cfg->act_percentile;
	}
	if (ls->res != NULL) {
		wh_compressed_release(ls->res);
		free(ls->res);
	}
	ls->res = res;
	s->results[i] = res;
	ls->cfg = *cfg;
	if (s->e != NULL)
		wh_eval_set_layer(s->e, i, res ? &res->lw : NULL);
	return 0;
}

const struct wh_dataset *
wh_state_data(const struct wh_state *s)
{
	return s->d;
}

const struct wh_layer_cfg *
wh_state_cfg(const struct wh_state *s, int i)
{
	return &s->l[i].cfg;
}

const struct wh_compressed *
wh_state_result(const struct wh_state *s, int i)
{
	return s->l[i].res;
}

const struct wh_compressed *const *
wh_state_results(const struct wh_state *s)
{
	return s->results;
}

int
wh_state_svals(struct wh_state *s, int i, const float **sv, int *k, char **err)
{
	return wh_lcache_svals(s->l[i].cache, sv, k, err);
}

void
wh_state_totals(const struct wh_state *s, struct wh_totals *t)
{
	uint64_t layer_orig = 0, layer_now = 0, macs = 0, macs_sp = 0;
	int i;

	memset(t, 0, sizeof *t);
	t->params = wh_graph_params(s->g);
	t->orig_bytes = wh_graph_bytes(s->g);
	for (i = 0; i < s->n; i++) {
		const struct wh_layer *l = wh_graph_layer(s->g, i);
		struct wh_cost c;

		wh_cost_layer_orig(l, &c);
		layer_orig += c.bytes;
		if (s->l[i].res != NULL)
			c = s->l[i].res->cost;
		layer_now += c.bytes;
		macs += c.macs;
		macs_sp += c.macs_sparse;
	}
	/* parameters outside the layers (BatchNormalization, constants) stay */
	t->bytes = t->orig_bytes - layer_orig + layer_now;
	t->macs = macs;
	t->macs_sparse = macs_sp;
	t->ratio = t->bytes ? (double)t->orig_bytes / (double)t->bytes : 0;
}

int
wh_state_run(struct wh_state *s, size_t limit, wh_progress_fn progress,
    void *arg, struct wh_metrics *m, int32_t *preds, char **err)
{
	if (s->e == NULL)
		return wh_error(err, "no validation data to evaluate on");
	return wh_eval_run(s->e, limit, progress, arg, m, preds, err);
}
