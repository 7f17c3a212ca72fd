/*
 * fuzz-onnx.c - the ONNX parser and the graph compiler
 *
 * The bytes are a model file: wh_model_parse (what wh_model_load does after
 * reading the file), then wh_graph_new, which sorts, folds constants, infers
 * shapes and lists the layers.  A graph that compiles and is small enough
 * gets an evaluator (which allocates the activations its shapes imply) and,
 * when it is cheap, runs on one sample of zeros, so that the kernels see
 * the shapes the compiler accepted.  Seeds: mkseeds' onnx/, dictionary:
 * onnx.dict.
 */
#include <stdlib.h>
#include <string.h>

#include "whittle/data.h"
#include "whittle/eval.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "fuzz.h"

/* Graphs with larger inputs are only compiled; above RUN_MAX_MACS they
 * get an evaluator but do not run. */
#define RUN_MAX_VALUES	4096
#define RUN_MAX_MACS	((uint64_t)1 << 20)

static void
run_once(const struct wh_model *m, const struct wh_graph *g)
{
	struct wh_eval_opts opts;
	struct wh_dataset d;
	struct wh_metrics mt;
	struct wh_eval *e;
	int64_t dims[WH_MAX_DIMS];
	char *err = NULL;
	size_t n;
	int nd;

	n = wh_graph_input_size(g);
	if (n == 0 || n > RUN_MAX_VALUES || wh_graph_output_size(g) == 0)
		return;
	nd = wh_graph_input_dims(g, dims);
	memset(&d, 0, sizeof d);
	d.images_path = d.labels_path = (char *)"zeros";
	d.n = 1;
	d.c = d.h = 1;
	d.w = (int)n;
	d.sample_ndim = nd == 3 ? 3 : 1;
	if (nd == 3) {
		d.c = (int)dims[0];
		d.h = (int)dims[1];
		d.w = (int)dims[2];
	}
	d.f = calloc(n, sizeof *d.f);
	d.labels = calloc(1, sizeof *d.labels);
	d.nclasses = 1;
	if (d.f == NULL || d.labels == NULL)
		goto out;
	memset(&opts, 0, sizeof opts);
	opts.batch = 1;
	opts.threads = 1;
	e = wh_eval_new(g, &d, &m->pre, 0, &opts, &err);
	if (e == NULL) {
		free(err);
		goto out;
	}
	memset(&mt, 0, sizeof mt);
	if (wh_graph_macs(g) <= RUN_MAX_MACS) {
		if (wh_eval_run(e, 1, NULL, NULL, &mt, NULL, &err) == 0)
			wh_metrics_release(&mt);
		else
			free(err);
	}
	wh_eval_free(e);
out:
	free(d.f);
	free(d.labels);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wh_model *m;
	struct wh_graph *g;
	char *err = NULL;
	int i, n;

	m = wh_model_parse("fuzz.onnx", data, size, &err);
	if (m == NULL) {
		if (err == NULL || err[0] == '\0')
			abort();
		free(err);
		return 0;
	}
	g = wh_graph_new(m, &err);
	if (g == NULL) {
		if (err == NULL || err[0] == '\0')
			abort();
		free(err);
		wh_model_free(m);
		return 0;
	}
	/* a layer does at least out * in multiply-adds per sample; fewer is
	 * an overflowed product (the model's total counts what it runs: a
	 * layer stored as two factors, theirs) */
	n = wh_graph_nlayers(g);
	for (i = 0; i < n; i++) {
		const struct wh_layer *l = wh_graph_layer(g, i);

		if (l == NULL || l->out <= 0 || l->in <= 0 ||
		    wh_graph_find_layer(g, l->name) < 0 ||
		    l->macs < (uint64_t)l->out * (uint64_t)l->in ||
		    l->macs_stored == 0 || wh_graph_macs(g) < l->macs_stored)
			abort();
	}
	(void)wh_graph_params(g);
	(void)wh_graph_bytes(g);
	run_once(m, g);
	wh_graph_free(g);
	wh_model_free(m);
	return 0;
}
