/* cmd-inspect.c - whittle inspect: per-layer weight statistics and spectra */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "whittle/stats.h"
#include "whittle/util.h"

#define TOP_SV 8

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle inspect [MODEL] [--json]\n"
	    "\n"
	    "Lists every layer with weights (Gemm, MatMul, Conv): name, op, weight\n"
	    "shape, parameters, min, max, mean, std, the fraction of exact zeros,\n"
	    "the largest singular values and the effective rank, with the weight\n"
	    "viewed as out x (in * kh * kw).  A layer stored as two low-rank\n"
	    "factors is one layer: its shape is followed by rR (rRs when\n"
	    "spatial), its parameters are the factors'.  MODEL defaults to the\n"
	    "bundled demo.\n"
	    "\n"
	    "  --json      print one JSON object\n"
	    "  -h, --help  show this help\n");
}

static const char *
op_name(const struct wh_layer *l)
{
	return l->kind == WH_LAYER_CONV ? "Conv" :
	    l->kind == WH_LAYER_GEMM ? "Gemm" : "MatMul";
}

struct layer_info {
	struct wh_wstats st;
	float *sv;
	int k;
	double erank, srank;
	struct wh_powerlaw pl;
	int has_alpha;
	char shape[64];
	size_t params;		/* as stored: a factored layer's factors' */
};

/* A float as the shortest decimal that reads back as it: 0.286, not
 * 0.28600001335144043. */
static cJSON *
json_float(float f)
{
	char buf[32];
	int prec;

	for (prec = 1; prec < 9; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
		if ((float)strtod(buf, NULL) == f)
			break;
	}
	snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
	return cJSON_CreateNumber(strtod(buf, NULL));
}

/*
 * The preprocessing and class names the model's metadata gives, as
 * evaluation uses them: "input" (scale, and mean and std per channel, one
 * value when shared), "labels" and "dataset" (null when not given), and
 * "metadata", every key and value of the model's metadata_props.
 */
static void
json_preproc(cJSON *o, const struct wh_model *m)
{
	const struct wh_preproc *pre = &m->pre;
	cJSON *in, *a;
	size_t z;
	int i;

	in = cJSON_AddObjectToObject(o, "input");
	cJSON_AddItemToObject(in, "scale", json_float(pre->scale));
	a = cJSON_AddArrayToObject(in, "mean");
	for (i = 0; i < pre->nmean; i++)
		cJSON_AddItemToArray(a, json_float(pre->mean[i]));
	if (pre->nmean == 0)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(0));
	a = cJSON_AddArrayToObject(in, "std");
	for (i = 0; i < pre->nstd; i++)
		cJSON_AddItemToArray(a, json_float(pre->std[i]));
	if (pre->nstd == 0)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(1));
	cJSON_AddBoolToObject(in, "from_metadata", m->has_pre);
	if (m->labels != NULL) {
		a = cJSON_AddArrayToObject(o, "labels");
		for (i = 0; i < m->nlabels; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(m->labels[i]));
	} else
		cJSON_AddNullToObject(o, "labels");
	if (m->dataset != NULL)
		cJSON_AddStringToObject(o, "dataset", m->dataset);
	else
		cJSON_AddNullToObject(o, "dataset");
	/* every metadata_props entry as stored, whittle's and others' */
	a = cJSON_AddObjectToObject(o, "metadata");
	for (z = 0; z < m->nmeta; z++)
		cJSON_AddStringToObject(a, m->meta_keys[z], m->meta_values[z]);
}

int
cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_session s;
	struct layer_info *info;
	const char *model = NULL;
	int json = 0, ch, r, i, j, n;
	char *err = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return WH_EXIT_OK;
		case OPT_JSON:
			json = 1;
			break;
		default:
			return cli_bad_option("inspect", ch, argv);
		}
	}
	if ((r = cli_model_arg("inspect", argc, argv, &model)) != 0)
		return r;
	if ((r = cli_load_model(&s, model, NULL)) != 0) {
		cli_session_release(&s);
		return r;
	}
	n = wh_graph_nlayers(s.graph);
	info = xcalloc(n ? n : 1, sizeof *info);
	/* compute everything first: an error prints nothing partial */
	for (i = 0; i < n; i++) {
		const struct wh_layer *l = wh_graph_layer(s.graph, i);
		struct layer_info *li = &info[i];

		wh_wstats_compute(l->w, (size_t)(l->out * l->in), &li->st);
		wh_dims_str(l->wdims, l->wndim, li->shape, sizeof li->shape);
		li->params = li->st.n;
		if (l->rank > 0) {
			/* stored as two factors: say so, and count theirs */
			size_t len = strlen(li->shape);
			int64_t m = l->spatial ? l->out * l->kh : l->out;
			int64_t k = l->spatial ? l->cin * l->kw : l->in;

			snprintf(li->shape + len, sizeof li->shape - len,
			    " r%d%s", l->rank, l->spatial ? "s" : "");
			li->params = (size_t)l->rank * (size_t)(m + k);
		}
		li->k = (int)(l->out < l->in ? l->out : l->in);
		li->sv = xcalloc(li->k ? li->k : 1, sizeof *li->sv);
		if (wh_svals(l->w, l->out, l->in, li->sv, &err) != 0) {
			cli_error("%s: layer %s: %s", s.model_path,
			    WH_QNAME(l->name), err);
			free(err);
			r = WH_EXIT_INPUT;
			goto out;
		}
		li->erank = wh_effective_rank(li->sv, li->k);
		li->srank = wh_stable_rank(li->sv, li->k);
		li->has_alpha = wh_powerlaw_fit(li->sv, li->k, &li->pl) == 0;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject(), *arr;
		char *txt;

		cJSON_AddStringToObject(o, "model", s.model_path);
		cJSON_AddNumberToObject(o, "opset", (double)s.model->opset);
		cJSON_AddNumberToObject(o, "params", (double)wh_graph_params(s.graph));
		cJSON_AddNumberToObject(o, "bytes", (double)wh_graph_bytes(s.graph));
		cJSON_AddNumberToObject(o, "macs", (double)wh_graph_macs(s.graph));
		cJSON_AddBoolToObject(o, "one_sample_at_a_time",
		    wh_graph_single(s.graph));
		json_preproc(o, s.model);
		arr = cJSON_AddArrayToObject(o, "layers");
		for (i = 0; i < n; i++) {
			const struct wh_layer *l = wh_graph_layer(s.graph, i);
			struct layer_info *li = &info[i];
			cJSON *lo = cJSON_CreateObject(), *a;

			cJSON_AddStringToObject(lo, "name", l->name);
			cJSON_AddStringToObject(lo, "op", op_name(l));
			a = cJSON_AddArrayToObject(lo, "shape");
			for (j = 0; j < l->wndim; j++)
				cJSON_AddItemToArray(a, cJSON_CreateNumber(
				    (double)l->wdims[j]));
			cJSON_AddNumberToObject(lo, "rows", (double)l->out);
			cJSON_AddNumberToObject(lo, "cols", (double)l->in);
			cJSON_AddNumberToObject(lo, "params",
			    (double)li->params);
			cJSON_AddNumberToObject(lo, "rank", l->rank);
			cJSON_AddBoolToObject(lo, "spatial", l->spatial);
			cJSON_AddNumberToObject(lo, "min", li->st.min);
			cJSON_AddNumberToObject(lo, "max", li->st.max);
			cJSON_AddNumberToObject(lo, "mean", li->st.mean);
			cJSON_AddNumberToObject(lo, "std", li->st.std);
			cJSON_AddNumberToObject(lo, "zero_fraction", li->st.zero_frac);
			cJSON_AddNumberToObject(lo, "macs", (double)l->macs);
			cJSON_AddNumberToObject(lo, "max_rank", l->max_rank);
			a = cJSON_AddArrayToObject(lo, "singular_values");
			for (j = 0; j < li->k && j < TOP_SV; j++)
				cJSON_AddItemToArray(a, cJSON_CreateNumber(li->sv[j]));
			cJSON_AddNumberToObject(lo, "effective_rank", li->erank);
			cJSON_AddNumberToObject(lo, "stable_rank", li->srank);
			if (li->has_alpha) {
				cJSON_AddNumberToObject(lo, "alpha", li->pl.alpha);
				cJSON_AddNumberToObject(lo, "alpha_xmin",
				    li->pl.xmin);
				cJSON_AddNumberToObject(lo, "alpha_tail",
				    li->pl.ntail);
			} else
				cJSON_AddNullToObject(lo, "alpha");
			cJSON_AddItemToArray(arr, lo);
		}
		cJSON_AddNumberToObject(o, "peak_rss_bytes",
		    (double)wh_peak_rss());
		txt = cJSON_Print(o);
		printf("%s\n", txt);
		free(txt);
		cJSON_Delete(o);
	} else {
		char b1[32], b2[32], b3[32];

		printf("%s: opset %lld, %d layers with weights, %s parameters "
		    "(%s), %s MACs per sample%s\n\n", s.model_path,
		    (long long)s.model->opset, n,
		    wh_fmt_count((double)wh_graph_params(s.graph), b1, sizeof b1),
		    wh_fmt_bytes((double)wh_graph_bytes(s.graph), b2, sizeof b2),
		    wh_fmt_count((double)wh_graph_macs(s.graph), b3, sizeof b3),
		    wh_graph_single(s.graph) ? "; it moves the batch axis, so "
		    "it runs one sample at a time" : "");
		printf("%-18s %-6s %-20s %8s %9s %9s %9s %9s %6s %7s %6s %6s  %s\n",
		    "layer", "op", "shape", "params", "min", "max", "mean", "std",
		    "zeros", "erank", "srank", "alpha", "top singular values");
		for (i = 0; i < n; i++) {
			const struct wh_layer *l = wh_graph_layer(s.graph, i);
			struct layer_info *li = &info[i];

			printf("%-18s %-6s %-20s %8zu %9.4f %9.4f %9.4f %9.4f "
			    "%5.1f%% %7.1f ", l->name, op_name(l), li->shape,
			    li->params, li->st.min, li->st.max, li->st.mean,
			    li->st.std, 100 * li->st.zero_frac, li->erank);
			printf("%6.1f ", li->srank);
			if (li->has_alpha)
				printf("%6.2f ", li->pl.alpha);
			else
				printf("%6s ", "-");
			for (j = 0; j < li->k && j < 4; j++)
				printf(" %.3g", li->sv[j]);
			printf("\n");
		}
	}
out:
	for (i = 0; i < n; i++)
		free(info[i].sv);
	free(info);
	cli_session_release(&s);
	return r;
}
