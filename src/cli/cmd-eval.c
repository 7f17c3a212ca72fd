/* cmd-eval.c - whittle eval: accuracy and cost of a model on a validation set */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "whittle/util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle eval [MODEL] [--plan PLAN [--strict]]\n"
	    "                    [--data IMAGES --labels LABELS | --data DIR] [--json]\n"
	    "                    [--predictions FILE] [--limit N] [--threads N]\n"
	    "\n"
	    "Evaluates MODEL (default: the bundled demo CNN) on a validation set\n"
	    "and prints top-1 accuracy, macro precision, recall and F1, per-class\n"
	    "accuracy, the confusion matrix, parameters, bytes and MACs per sample.\n"
	    "With --plan, evaluates the model compressed as the plan says and adds\n"
	    "the compressed size, the compression ratio and the accuracy change;\n"
	    "with no MODEL and no --data, the plan's own model and data are used.\n"
	    "\n"
	    "  --plan PLAN         compress with this plan file (whittle-plan(5))\n"
	    "  --strict            a plan made for another model file is an error\n"
	    "  --data FILE|DIR     images: IDX (gzip or plain) or NPY, or a folder\n"
	    "                      with one subfolder of PNG/JPEG images per class\n"
	    "  --labels FILE       labels: IDX or NPY (none for a folder)\n"
	    "                      (default: the set the model names in whittle.dataset)\n"
	    "  --resize N          folders: scale the shorter side to N pixels\n"
	    "  --crop HxW          folders: center crop (default: the model's size)\n"
	    "  --grayscale, --rgb  folders: 1 or 3 channels (default: the model's)\n"
	    "  --layout nhwc       4-D IDX/NPY images are (n, h, w, c)\n"
	    "  --input-scale S     pixel scale (default: model metadata, else 1/255)\n"
	    "  --input-mean LIST   per-channel mean, comma separated\n"
	    "  --input-std LIST    per-channel std, comma separated\n"
	    "  --json              print one JSON object instead of the report\n"
	    "  --predictions FILE  write the predicted class of each sample, one per line\n"
	    "  --limit N           evaluate only the first N samples\n"
	    "  --threads N         worker threads (default: all CPUs)\n"
	    "  --batch N           samples per batch (default 256)\n"
	    "  --cache-mb N        activation cache of --plan in MiB (default: an\n"
	    "                      eighth of the memory, 256 to 4096; 0: none)\n"
	    "  --quiet             no progress bar\n"
	    "  -h, --help          show this help\n");
}

int
cli_write_predictions(const char *path, const int32_t *preds, size_t n)
{
	size_t cap = n * 12 + 1, len = 0, i;
	char *buf = xmalloc(cap), *err = NULL;
	int r;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%d\n", preds[i]);
	r = wh_write_atomic(path, buf, len, &err);
	free(buf);
	if (r != 0) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INTERNAL;
	}
	return 0;
}

static void
print_json(const struct cli_session *s, const struct wh_metrics *m,
    double seconds)
{
	cJSON *o = cJSON_CreateObject();
	char *txt;

	cJSON_AddStringToObject(o, "model", s->model_path);
	cJSON_AddStringToObject(o, "images", s->images);
	cJSON_AddStringToObject(o, "labels", s->labels);
	cJSON_AddNumberToObject(o, "samples", (double)m->samples);
	cJSON_AddNumberToObject(o, "correct", (double)m->correct);
	cJSON_AddNumberToObject(o, "accuracy", m->accuracy);
	cJSON_AddNumberToObject(o, "precision_macro", m->precision_macro);
	cJSON_AddNumberToObject(o, "recall_macro", m->recall_macro);
	cJSON_AddNumberToObject(o, "f1_macro", m->f1_macro);
	cJSON_AddNumberToObject(o, "params", (double)wh_graph_params(s->graph));
	cJSON_AddNumberToObject(o, "bytes", (double)wh_graph_bytes(s->graph));
	cJSON_AddNumberToObject(o, "macs", (double)wh_graph_macs(s->graph));
	cli_json_metrics(o, m);
	cJSON_AddNumberToObject(o, "seconds", seconds);
	cJSON_AddNumberToObject(o, "peak_rss_bytes", (double)wh_peak_rss());
	txt = cJSON_Print(o);
	printf("%s\n", txt);
	free(txt);
	cJSON_Delete(o);
}

static void
print_report(const struct cli_session *s, const struct wh_metrics *m,
    double seconds)
{
	const struct wh_model *md = s->model;
	char b1[32], b2[32], b3[32];
	int c, k;

	printf("model      %s\n", s->model_path);
	printf("data       %s (%zu samples)\n", s->images, s->data->n);
	printf("accuracy   %.2f%%  (%zu of %zu correct)\n", 100 * m->accuracy,
	    m->correct, m->samples);
	printf("macro      precision %.4f  recall %.4f  F1 %.4f\n",
	    m->precision_macro, m->recall_macro, m->f1_macro);
	printf("size       %s parameters, %s as float32, %s MACs per sample\n",
	    wh_fmt_count((double)wh_graph_params(s->graph), b1, sizeof b1),
	    wh_fmt_bytes((double)wh_graph_bytes(s->graph), b2, sizeof b2),
	    wh_fmt_count((double)wh_graph_macs(s->graph), b3, sizeof b3));
	printf("time       %.2f s, %.0f samples/s\n", seconds,
	    seconds > 0 ? m->samples / seconds : 0);
	printf("\nper class\n");
	for (c = 0; c < m->nclasses; c++)
		printf("  %2d %-14s %6.2f%%\n", c,
		    md->labels && c < md->nlabels ? md->labels[c] : "",
		    100 * m->class_acc[c]);
	printf("\nconfusion (rows: true class, columns: predicted)\n     ");
	for (k = 0; k < m->nclasses; k++)
		printf("%6d", k);
	printf("\n");
	for (c = 0; c < m->nclasses; c++) {
		printf("  %2d ", c);
		for (k = 0; k < m->nclasses; k++)
			printf("%6llu", (unsigned long long)
			    m->confusion[(size_t)c * m->nclasses + k]);
		printf("\n");
	}
}

/* eval --plan: the baseline, then the compressed model from the first
 * changed layer on, reusing the baseline's cached activations. */
static int
eval_plan(struct cli_session *s, const struct cli_data_opts *o,
    struct wh_eval_opts *eo, const char *plan, int strict, int json,
    const char *predfile)
{
	struct wh_state *st;
	struct wh_metrics base, m;
	int32_t *preds;
	char *err = NULL;
	double t0, t1;
	int r, prog = cli_show_progress(o);

	eo->cache_bytes = cli_cache_bytes(o);
	if ((st = wh_state_new(s->graph, s->data, &s->pre, s->scale_set, eo,
	    &err)) == NULL) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	if ((r = cli_apply_plan(s, st, plan, strict, 0)) != 0) {
		wh_state_free(st);
		return r;
	}
	preds = xcalloc(s->data->n ? s->data->n : 1, sizeof *preds);
	/* the baseline first, with every layer off, then the plan again */
	{
		int i, n = wh_graph_nlayers(s->graph);
		struct wh_eval *e = wh_state_eval(st);

		for (i = 0; i < n; i++)
			wh_eval_set_layer(e, i, NULL);
		r = wh_eval_run(e, o->limit, prog ? cli_progress : NULL,
		    (void *)"baseline", &base, NULL, &err);
		for (i = 0; i < n; i++) {
			const struct wh_compressed *c = wh_state_result(st, i);

			wh_eval_set_layer(e, i, c ? &c->lw : NULL);
		}
	}
	t0 = wh_now();
	if (r == 0)
		r = wh_state_run(st, o->limit, prog ? cli_progress : NULL,
		    (void *)"compressed", &m, preds, &err);
	t1 = wh_now();
	cli_progress_done();
	if (r != 0) {
		/* what fails with a message is the data (an image file) */
		r = err != NULL ? WH_EXIT_INPUT : WH_EXIT_INTERNAL;
		cli_error("%s", err ? err : "evaluation failed");
		free(err);
		free(preds);
		wh_state_free(st);
		return r;
	}
	if (predfile == NULL ||
	    (r = cli_write_predictions(predfile, preds, m.samples)) == 0) {
		if (json)
			cli_json_compressed(s, st, &base, &m, plan, t1 - t0);
		else
			cli_print_compressed(s, st, &base, &m, plan, t1 - t0);
	}
	wh_metrics_release(&base);
	wh_metrics_release(&m);
	free(preds);
	wh_state_free(st);
	return r;
}

int
cmd_eval(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DATA_LONGOPTS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "predictions", required_argument, NULL, OPT_PREDICTIONS },
		{ "plan", required_argument, NULL, OPT_PLAN },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_data_opts o = { 0 };
	struct cli_session s;
	struct wh_eval_opts eo = { 0 };
	struct wh_metrics m;
	struct wh_eval *e;
	const char *model = NULL, *predfile = NULL, *plan = NULL;
	int32_t *preds = NULL;
	int json = 0, strict = 0, ch, r;
	double t0, t1;
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
		case OPT_PREDICTIONS:
			predfile = optarg;
			break;
		case OPT_PLAN:
			plan = optarg;
			break;
		case OPT_STRICT:
			strict = 1;
			break;
		case ':':
		case '?':
			return cli_bad_option("eval", ch, argv);
		default:
			if ((r = cli_data_opt(&o, "eval", ch, optarg)) != 0)
				return r;
		}
	}
	if ((r = cli_model_arg("eval", argc, argv, &model)) != 0)
		return r;
	if (strict && plan == NULL)
		return cli_usage_error("eval", "--strict goes with --plan");
	if (plan != NULL) {
		struct cli_plan_inputs pi;

		/* the plan's own model and data, unless others are given */
		if ((r = cli_plan_inputs(plan, &model, &o, &pi)) != 0)
			return r;
		if ((r = cli_load_model(&s, model, &o)) == 0 &&
		    (r = cli_load_data(&s, &o)) == 0) {
			eo.threads = o.threads;
			eo.batch = o.batch;
			r = eval_plan(&s, &o, &eo, plan, strict, json, predfile);
		}
		cli_session_release(&s);
		cli_plan_inputs_release(&pi);
		return r;
	}
	if ((r = cli_load_model(&s, model, &o)) != 0 ||
	    (r = cli_load_data(&s, &o)) != 0) {
		cli_session_release(&s);
		return r;
	}
	eo.threads = o.threads;
	eo.batch = o.batch;
	if ((e = wh_eval_new(s.graph, s.data, &s.pre, s.scale_set, &eo,
	    &err)) == NULL) {
		cli_error("%s", err);
		free(err);
		cli_session_release(&s);
		return WH_EXIT_INPUT;
	}
	preds = xcalloc(s.data->n ? s.data->n : 1, sizeof *preds);
	t0 = wh_now();
	r = wh_eval_run(e, o.limit, cli_show_progress(&o) ? cli_progress : NULL,
	    (void *)"evaluating", &m, preds, &err);
	t1 = wh_now();
	cli_progress_done();
	if (r != 0) {
		cli_error("%s", err ? err : "evaluation failed");
		/* what fails with a message is the data (an image file) */
		r = err != NULL ? WH_EXIT_INPUT : WH_EXIT_INTERNAL;
		free(err);
		goto out;
	}
	if (predfile != NULL && (r = cli_write_predictions(predfile, preds,
	    m.samples)) != 0) {
		wh_metrics_release(&m);
		goto out;
	}
	if (json)
		print_json(&s, &m, t1 - t0);
	else
		print_report(&s, &m, t1 - t0);
	wh_metrics_release(&m);
out:
	free(preds);
	wh_eval_free(e);
	cli_session_release(&s);
	return r;
}
