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
	    "viewed as out x (in * kh * kw).  MODEL defaults to the bundled demo.\n"
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
	double erank;
	char shape[64];
};

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
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return WH_EXIT_OK;
		case OPT_JSON:
			json = 1;
			break;
		default:
			return cli_usage_error("inspect", "bad option");
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
		li->k = (int)(l->out < l->in ? l->out : l->in);
		li->sv = xcalloc(li->k ? li->k : 1, sizeof *li->sv);
		if (wh_svals(l->w, l->out, l->in, li->sv, &err) != 0) {
			cli_error("%s: layer '%s': %s", s.model_path, l->name, err);
			free(err);
			r = WH_EXIT_INPUT;
			goto out;
		}
		li->erank = wh_effective_rank(li->sv, li->k);
	}
	if (json) {
		cJSON *o = cJSON_CreateObject(), *arr;
		char *txt;

		cJSON_AddStringToObject(o, "model", s.model_path);
		cJSON_AddNumberToObject(o, "opset", (double)s.model->opset);
		cJSON_AddNumberToObject(o, "params", (double)wh_graph_params(s.graph));
		cJSON_AddNumberToObject(o, "bytes", (double)wh_graph_bytes(s.graph));
		cJSON_AddNumberToObject(o, "macs", (double)wh_graph_macs(s.graph));
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
			cJSON_AddNumberToObject(lo, "params", (double)li->st.n);
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
			cJSON_AddItemToArray(arr, lo);
		}
		txt = cJSON_Print(o);
		printf("%s\n", txt);
		free(txt);
		cJSON_Delete(o);
	} else {
		char b1[32], b2[32], b3[32];

		printf("%s: opset %lld, %d layers with weights, %s parameters "
		    "(%s), %s MACs per sample\n\n", s.model_path,
		    (long long)s.model->opset, n,
		    wh_fmt_count((double)wh_graph_params(s.graph), b1, sizeof b1),
		    wh_fmt_bytes((double)wh_graph_bytes(s.graph), b2, sizeof b2),
		    wh_fmt_count((double)wh_graph_macs(s.graph), b3, sizeof b3));
		printf("%-18s %-6s %-16s %8s %9s %9s %9s %9s %6s %7s  %s\n",
		    "layer", "op", "shape", "params", "min", "max", "mean", "std",
		    "zeros", "erank", "top singular values");
		for (i = 0; i < n; i++) {
			const struct wh_layer *l = wh_graph_layer(s.graph, i);
			struct layer_info *li = &info[i];

			printf("%-18s %-6s %-16s %8zu %9.4f %9.4f %9.4f %9.4f "
			    "%5.1f%% %7.1f ", l->name, op_name(l), li->shape,
			    li->st.n, li->st.min, li->st.max, li->st.mean,
			    li->st.std, 100 * li->st.zero_frac, li->erank);
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
