/* report.c - what eval and plan print about a compressed model */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "whittle/util.h"

const char *
cli_settings_str(const struct wh_layer_cfg *c, char *buf, size_t size)
{
	size_t n = 0;

#define ADD(...) do { \
	if (n < size) \
		n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__); \
} while (0)
	buf[0] = '\0';
	if (c->lr_mode == WH_LR_RANK)
		ADD("%srank %d", c->spatial ? "spatial " : "", c->rank);
	else if (c->lr_mode == WH_LR_ENERGY)
		ADD("%senergy %.3g", c->spatial ? "spatial " : "", c->energy);
	if (c->prune_mode == WH_PRUNE_SPARSITY)
		ADD("%ssparsity %.3g", n ? ", " : "", c->sparsity);
	else if (c->prune_mode == WH_PRUNE_THRESHOLD)
		ADD("%sthreshold %.4g", n ? ", " : "", c->threshold);
	else if (c->prune_mode == WH_PRUNE_CHANNEL)
		ADD("%schannels %.3g L%d", n ? ", " : "", c->sparsity,
		    c->channel_norm);
	if (c->nm_n)
		ADD("%s%d:%d", n ? ", " : "", c->nm_n, c->nm_m);
	if (c->qtype == WH_Q_INT)
		ADD("%sint%d %s %s%s", n ? ", " : "", c->bits,
		    c->symmetric ? "sym" : "asym",
		    c->per_channel ? "channel" : "tensor",
		    c->clip == WH_CLIP_MSE ? " mse" : "");
	else if (c->qtype == WH_Q_FP16)
		ADD("%sfp16", n ? ", " : "");
	else if (c->qtype == WH_Q_BF16)
		ADD("%sbf16", n ? ", " : "");
	if (c->act_bits)
		ADD("%sact%d", n ? ", " : "", c->act_bits);
	if (n == 0)
		ADD("-");
#undef ADD
	return buf;
}

void
cli_iso_date(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
cli_print_compressed(const struct cli_session *s, struct wh_state *st,
    const struct wh_metrics *base, const struct wh_metrics *m,
    const char *plan, double seconds)
{
	const struct wh_graph *g = s->graph;
	struct wh_totals t;
	char b1[32], b2[32], b3[32], b4[32], set[160];
	int i;

	wh_state_totals(st, &t);
	printf("model      %s\n", s->model_path);
	if (plan != NULL)
		printf("plan       %s\n", plan);
	printf("data       %s (%zu samples)\n", s->images, s->data->n);
	printf("accuracy   %.2f%%  (%zu of %zu correct), baseline %.2f%%, "
	    "change %+.2f points\n", 100 * m->accuracy, m->correct, m->samples,
	    100 * base->accuracy, 100 * (m->accuracy - base->accuracy));
	printf("macro      precision %.4f  recall %.4f  F1 %.4f\n",
	    m->precision_macro, m->recall_macro, m->f1_macro);
	printf("size       %s -> %s, %.2fx smaller than float32\n",
	    wh_fmt_bytes((double)t.orig_bytes, b1, sizeof b1),
	    wh_fmt_bytes((double)t.bytes, b2, sizeof b2), t.ratio);
	printf("MACs       %s per sample, %s non-zero\n",
	    wh_fmt_count((double)t.macs, b3, sizeof b3),
	    wh_fmt_count((double)t.macs_sparse, b4, sizeof b4));
	printf("time       %.2f s\n\n", seconds);
	printf("%-18s %-6s %10s %10s  %s\n", "layer", "op", "bytes", "was",
	    "settings");
	for (i = 0; i < wh_graph_nlayers(g); i++) {
		const struct wh_layer *l = wh_graph_layer(g, i);
		const struct wh_compressed *c = wh_state_result(st, i);
		struct wh_cost orig;

		wh_cost_layer_orig(l, &orig);
		printf("%-18s %-6s %10llu %10llu  %s\n", l->name,
		    l->kind == WH_LAYER_CONV ? "Conv" : l->kind == WH_LAYER_GEMM ?
		    "Gemm" : "MatMul",
		    (unsigned long long)(c ? c->cost.bytes : orig.bytes),
		    (unsigned long long)orig.bytes,
		    cli_settings_str(wh_state_cfg(st, i), set, sizeof set));
	}
}

void
cli_json_metrics(cJSON *o, const struct wh_metrics *m)
{
	cJSON *a;
	int c, k;

	a = cJSON_AddArrayToObject(o, "class_accuracy");
	for (c = 0; c < m->nclasses; c++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(m->class_acc[c]));
	a = cJSON_AddArrayToObject(o, "confusion");
	for (c = 0; c < m->nclasses; c++) {
		cJSON *row = cJSON_CreateArray();

		for (k = 0; k < m->nclasses; k++)
			cJSON_AddItemToArray(row, cJSON_CreateNumber((double)
			    m->confusion[(size_t)c * m->nclasses + k]));
		cJSON_AddItemToArray(a, row);
	}
}

/* The JSON object eval --plan and plan print. */
void
cli_json_compressed(const struct cli_session *s, struct wh_state *st,
    const struct wh_metrics *base, const struct wh_metrics *m,
    const char *plan, double seconds)
{
	cJSON *o = cJSON_CreateObject(), *a;
	struct wh_totals t;
	char *txt;
	int c;

	wh_state_totals(st, &t);
	cJSON_AddStringToObject(o, "model", s->model_path);
	if (plan != NULL)
		cJSON_AddStringToObject(o, "plan", plan);
	cJSON_AddStringToObject(o, "images", s->images);
	cJSON_AddStringToObject(o, "labels", s->labels);
	cJSON_AddNumberToObject(o, "samples", (double)m->samples);
	cJSON_AddNumberToObject(o, "correct", (double)m->correct);
	cJSON_AddNumberToObject(o, "accuracy", m->accuracy);
	cJSON_AddNumberToObject(o, "baseline_accuracy", base->accuracy);
	cJSON_AddNumberToObject(o, "accuracy_change", m->accuracy - base->accuracy);
	cJSON_AddNumberToObject(o, "precision_macro", m->precision_macro);
	cJSON_AddNumberToObject(o, "recall_macro", m->recall_macro);
	cJSON_AddNumberToObject(o, "f1_macro", m->f1_macro);
	cJSON_AddNumberToObject(o, "params", (double)t.params);
	cJSON_AddNumberToObject(o, "bytes", (double)t.orig_bytes);
	cJSON_AddNumberToObject(o, "compressed_bytes", (double)t.bytes);
	cJSON_AddNumberToObject(o, "compression_ratio", t.ratio);
	cJSON_AddNumberToObject(o, "macs", (double)t.macs);
	cJSON_AddNumberToObject(o, "macs_sparse", (double)t.macs_sparse);
	cli_json_metrics(o, m);
	a = cJSON_AddArrayToObject(o, "layers");
	for (c = 0; c < wh_graph_nlayers(s->graph); c++) {
		const struct wh_layer *l = wh_graph_layer(s->graph, c);
		const struct wh_compressed *r = wh_state_result(st, c);
		struct wh_cost orig;
		cJSON *lo = cJSON_CreateObject();
		char set[160];

		wh_cost_layer_orig(l, &orig);
		cJSON_AddStringToObject(lo, "name", l->name);
		cJSON_AddStringToObject(lo, "settings",
		    cli_settings_str(wh_state_cfg(st, c), set, sizeof set));
		cJSON_AddNumberToObject(lo, "bytes",
		    (double)(r ? r->cost.bytes : orig.bytes));
		cJSON_AddNumberToObject(lo, "original_bytes", (double)orig.bytes);
		cJSON_AddItemToArray(a, lo);
	}
	cJSON_AddNumberToObject(o, "seconds", seconds);
	cJSON_AddNumberToObject(o, "peak_rss_bytes", (double)wh_peak_rss());
	txt = cJSON_Print(o);
	printf("%s\n", txt);
	free(txt);
	cJSON_Delete(o);
}

/* Fills the plan's model, data and result from a measured state. */
void
cli_plan_record(struct wh_plan *p, const struct cli_session *s,
    struct wh_state *st, const struct wh_metrics *base,
    const struct wh_metrics *m)
{
	struct wh_totals t;
	char *err = NULL;

	wh_state_totals(st, &t);
	free(p->model_path);
	p->model_path = xstrdup(s->model_path);
	if (wh_sha256_file(s->model_path, p->model_sha256, &err) != 0) {
		p->model_sha256[0] = '\0';
		free(err);
		err = NULL;
	}
	free(p->images);
	free(p->labels);
	p->images = xstrdup(s->images);
	p->labels = s->labels != NULL ? xstrdup(s->labels) : NULL;
	if (wh_sha256_file(s->images, p->images_sha256, &err) != 0) {
		p->images_sha256[0] = '\0';
		free(err);
		err = NULL;
	}
	if (s->labels == NULL ||
	    wh_sha256_file(s->labels, p->labels_sha256, &err) != 0) {
		p->labels_sha256[0] = '\0';
		free(err);
	}
	p->result.has = 1;
	p->result.samples = m->samples;
	p->result.base_accuracy = base->accuracy;
	p->result.accuracy = m->accuracy;
	p->result.precision_macro = m->precision_macro;
	p->result.recall_macro = m->recall_macro;
	p->result.f1_macro = m->f1_macro;
	p->result.original_bytes = t.orig_bytes;
	p->result.bytes = t.bytes;
	p->result.ratio = t.ratio;
	p->result.macs = t.macs;
	p->result.macs_sparse = t.macs_sparse;
	cli_iso_date(p->result.date, sizeof p->result.date);
	snprintf(p->result.version, sizeof p->result.version, "%s", WH_VERSION);
}

int
cli_load_plan(struct cli_session *s, const char *path, int strict,
    struct wh_layer_cfg *cfgs, char **warn)
{
	struct wh_plan p;
	char sha[65], *err = NULL;

	if (wh_plan_load(&p, path, &err) != 0) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	if (wh_sha256_file(s->model_path, sha, NULL) != 0)
		sha[0] = '\0';
	if (wh_plan_resolve(&p, s->graph, sha, strict, cfgs, warn,
	    &err) != 0) {
		cli_error("%s", err);
		free(err);
		wh_plan_release(&p);
		return WH_EXIT_INPUT;
	}
	wh_plan_release(&p);
	return 0;
}

int
cli_apply_plan(struct cli_session *s, struct wh_state *st, const char *path,
    int strict, int quiet)
{
	struct wh_layer_cfg *cfgs;
	char *err = NULL, *warn = NULL;
	int i, r, n = wh_graph_nlayers(s->graph);

	cfgs = xcalloc(n ? n : 1, sizeof *cfgs);
	if ((r = cli_load_plan(s, path, strict, cfgs, &warn)) != 0) {
		free(cfgs);
		return r;
	}
	if (warn != NULL) {
		if (!quiet)
			fprintf(stderr, "whittle: warning: %s\n", warn);
		free(warn);
	}
	for (i = 0; i < n; i++)
		if (wh_state_set(st, i, &cfgs[i], &err) != 0) {
			cli_error("%s: %s", path, err);
			free(err);
			free(cfgs);
			return WH_EXIT_INPUT;
		}
	free(cfgs);
	return 0;
}
