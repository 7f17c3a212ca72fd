/* test-graph.c - compiling real exported models: layers, shapes, costs, and
 * the errors for graphs whittle cannot run */
#include <stdlib.h>
#include <string.h>

#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/util.h"
#include "fixtures.h"

static struct wh_model *
load(const char *name)
{
	char *path = fx_model(name), *err = NULL;
	struct wh_model *m = wh_model_load(path, &err);

	if (m == NULL)
		tap_diag("%s", err);
	free(err);
	free(path);
	return m;
}

static void
test_cnn(void)
{
	struct wh_model *m = load("fashion-cnn");
	struct wh_graph *g;
	const struct wh_layer *l;
	int64_t dims[8];
	char *err = NULL;

	if (!ok(m != NULL, "fashion-cnn loads"))
		return;
	g = wh_graph_new(m, &err);
	ok(g != NULL, "fashion-cnn compiles");
	if (g == NULL) {
		tap_diag("%s", err);
		free(err);
		wh_model_free(m);
		return;
	}
	ok(wh_graph_nlayers(g) == 4, "4 layers with weights");
	l = wh_graph_layer(g, 0);
	ok(l->kind == WH_LAYER_CONV && l->out == 16 && l->in == 9 &&
	    l->kh == 3 && l->out_h == 28 && l->out_w == 28,
	    "conv1: 16 x (1*3*3), output 28x28");
	ok(l->macs == 16ull * 9 * 28 * 28, "conv1 MACs per sample");
	ok(l->max_rank == 9, "conv1 max rank 9");
	l = wh_graph_layer(g, 1);
	ok(l->out == 32 && l->in == 144 && l->out_h == 14,
	    "conv2: 32 x (16*3*3) on 14x14");
	l = wh_graph_layer(g, 2);
	ok(l->kind == WH_LAYER_GEMM && l->out == 128 && l->in == 1568 &&
	    l->macs == 128ull * 1568, "fc1: Gemm 128 x 1568");
	ok(l->bias != NULL && l->bias_name != NULL, "fc1 has a bias");
	ok(wh_graph_params(g) == 160 + 4640 + 200832 + 1290,
	    "parameters %llu", (unsigned long long)wh_graph_params(g));
	ok(wh_graph_bytes(g) == 4 * wh_graph_params(g), "float32 bytes");
	ok(wh_graph_macs(g) == 16ull * 9 * 784 + 32ull * 144 * 196 +
	    128ull * 1568 + 1280, "MACs per sample");
	ok(wh_graph_input_size(g) == 784 && wh_graph_output_size(g) == 10,
	    "784 in, 10 out");
	ok(wh_graph_input_dims(g, dims) == 3 && dims[0] == 1 && dims[1] == 28,
	    "input dims (1, 28, 28)");
	ok(wh_graph_find_layer(g, wh_graph_layer(g, 3)->name) == 3 &&
	    wh_graph_find_layer(g, "nope") == -1, "find by name");
	wh_graph_free(g);
	wh_model_free(m);
}

static void
test_others(void)
{
	static const struct { const char *name; int layers; } cases[] = {
		{ "fashion-mlp", 3 }, { "resnet-bn", -1 }, { "mlp-matmul", -1 },
		{ "lenet-op17", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wh_model *m = load(cases[i].name);
		struct wh_graph *g;
		char *err = NULL;

		if (!ok(m != NULL, "%s loads", cases[i].name))
			continue;
		g = wh_graph_new(m, &err);
		ok(g != NULL, "%s compiles%s%s", cases[i].name, err ? ": " : "",
		    err ? err : "");
		if (g != NULL && cases[i].layers >= 0)
			ok(wh_graph_nlayers(g) == cases[i].layers, "%s: %d layers",
			    cases[i].name, cases[i].layers);
		if (g != NULL && strcmp(cases[i].name, "mlp-matmul") == 0) {
			int k, mm = 0;

			for (k = 0; k < wh_graph_nlayers(g); k++)
				mm += wh_graph_layer(g, k)->kind == WH_LAYER_MATMUL;
			ok(mm >= 2, "mlp-matmul: MatMul layers found (%d)", mm);
		}
		if (g != NULL && strcmp(cases[i].name, "resnet-bn") == 0) {
			int k, grouped = 0;

			for (k = 0; k < wh_graph_nlayers(g); k++)
				if (wh_graph_layer(g, k)->group > 1) {
					grouped++;
					ok(wh_graph_layer(g, k)->max_rank == 0,
					    "grouped conv has no low-rank form");
				}
			ok(grouped >= 1, "resnet-bn: a depthwise conv");
		}
		free(err);
		wh_graph_free(g);
		wh_model_free(m);
	}
}

/* Edits a loaded model in memory and expects compilation to fail naming
 * the node and the problem. */
static void
test_errors(void)
{
	struct wh_model *m = load("fashion-cnn");
	struct wh_graph *g;
	char *err = NULL, *save;
	size_t k;

	if (!ok(m != NULL, "fashion-cnn loads"))
		return;
	for (k = 0; k < m->nnodes && strcmp(m->nodes[k].op, "MaxPool"); k++)
		;
	save = m->nodes[k].op;
	m->nodes[k].op = (char *)"FancyPool";
	g = wh_graph_new(m, &err);
	ok(g == NULL && err && strstr(err, "FancyPool") &&
	    strstr(err, m->nodes[k].name) && strstr(err, "unsupported operator"),
	    "an unknown operator names the node and its op: %s", err);
	free(err);
	err = NULL;
	m->nodes[k].op = save;

	save = m->nodes[k].inputs[0];
	m->nodes[k].inputs[0] = (char *)"ghost";
	g = wh_graph_new(m, &err);
	ok(g == NULL && err && strstr(err, m->nodes[k].name),
	    "a node reading a missing tensor is named: %s", err);
	free(err);
	err = NULL;
	m->nodes[k].inputs[0] = save;

	g = wh_graph_new(m, &err);
	ok(g != NULL, "the restored model compiles again");
	wh_graph_free(g);
	wh_model_free(m);
}

int
main(void)
{
	test_cnn();
	test_others();
	test_errors();
	return tap_done();
}
