/* test-graph.c - compiling real exported models: layers, shapes, costs, and
 * the errors for graphs whittle cannot run */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/eval.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/util.h"
#include "fixtures.h"

#include "mini.h"

/* Compiles m, expecting failure with every one of the substrings. */
static void
expect_fail(struct wh_model *m, const char *what, const char *s1,
    const char *s2)
{
	struct wh_graph *g;
	char *err = NULL;

	g = wh_graph_new(m, &err);
	ok(g == NULL && err != NULL && strstr(err, s1) != NULL &&
	    (s2 == NULL || strstr(err, s2) != NULL) && strchr(err, '\n') ==
	    NULL, "%s: one line saying '%s': %s", what, s1, err ? err : "");
	wh_graph_free(g);
	free(err);
}

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

/* Each operator the hardening found reading a missing input, with none. */
static void
test_arity(void)
{
	static const char *const ops[] = { "Relu", "Sigmoid", "Tanh", "Gelu",
		"Clip", "LeakyRelu", "Softmax", "Transpose", "Flatten",
		"Reshape", "Squeeze", "Unsqueeze", "Shape", "Identity",
		"Dropout", "Conv", "Gemm", "MatMul", "Add", "MaxPool",
		"BatchNormalization", "Concat", "Cast", "DequantizeLinear" };
	int64_t d[1] = { 4 }, w[4] = { 1, 1, 1, 1 };
	struct wh_model *m;
	size_t i;
	char what[64];

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		m = mini_new(13, 1, d);
		mini_node(m, ops[i], "n", "", "y");
		mini_output(m, "y");
		snprintf(what, sizeof what, "%s with no input", ops[i]);
		expect_fail(m, what, "has 0 inputs", "node 'n'");
		wh_model_free(m);
	}
	m = mini_new(13, 1, d);
	mini_node(m, "Add", "add", "x", "y");
	mini_output(m, "y");
	expect_fail(m, "Add with one input", "has 1 input; Add takes 2 inputs",
	    NULL);
	wh_model_free(m);

	m = mini_new(13, 1, d);
	mini_node(m, "Relu", "r", "x,x", "y");
	mini_output(m, "y");
	expect_fail(m, "Relu with two inputs", "has 2 inputs; Relu takes 1 "
	    "input", NULL);
	wh_model_free(m);

	d[0] = 1;
	m = mini_new(13, 3, (int64_t[]){ 1, 4, 4 });
	mini_init(m, "w", 4, w, 1);
	mini_node(m, "Conv", "conv", ",w", "y");
	mini_output(m, "y");
	expect_fail(m, "Conv with its data input unnamed", "input 1 is "
	    "required", "node 'conv'");
	wh_model_free(m);

	m = mini_new(13, 1, (int64_t[]){ 4 });
	mini_node(m, "Relu", "r", "x", "y")->noutputs = 0;
	mini_output(m, "x");
	expect_fail(m, "Relu with no output", "has 0 outputs", NULL);
	m->nodes[0].noutputs = 1;
	wh_model_free(m);
}

/* Every unsupported operator at once, with the opset and a node. */
static void
test_unsupported(void)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 4 });

	mini_node(m, "FooA", "a1", "x", "t1");
	mini_node(m, "Relu", "r", "t1", "t2");
	mini_node(m, "FooB", "b1", "t2", "t3");
	mini_node(m, "FooA", "a2", "t3", "y");
	mini_output(m, "y");
	expect_fail(m, "two unknown operators", "2 unsupported operators: "
	    "'FooA' at opset 13 (node 'a1' and 1 more), 'FooB' at opset 13 "
	    "(node 'b1')", NULL);
	wh_model_free(m);

	m = mini_new(4, 1, (int64_t[]){ 4 });
	mini_init(m, "s", 1, (int64_t[]){ 1 }, 4);
	mini_node(m, "Reshape", "rs", "x,s", "y");
	mini_output(m, "y");
	expect_fail(m, "Reshape at opset 4", "1 unsupported operator: 'Reshape' "
	    "at opset 4, which whittle runs at other opsets", NULL);
	wh_model_free(m);
}

/*
 * 100,000 Tanh nodes in a chain stored last first: sorting is linear (the
 * old pass-until-done sort took minutes on 4,000), and the result is tanh
 * applied 100,000 times.
 */
static void
test_long_chain(void)
{
	enum { N = 100000 };
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 4 });
	struct wh_dataset d = { 0 };
	struct wh_preproc pre = { 0 };
	struct wh_eval_opts opts = { 0 };
	struct wh_eval *e;
	struct wh_graph *g;
	char in[32], out[32], name[32], *err = NULL;
	float x[8] = { -2.0f, -0.5f, 0.25f, 3.0f, 1.0f, -1.0f, 0.0f, 0.125f };
	float y[8], ref;
	int32_t labels[2] = { 0, 0 };
	int i, k, same = 1;

	for (i = N - 1; i >= 0; i--) {
		snprintf(in, sizeof in, i == 0 ? "x" : "t%d", i - 1);
		snprintf(out, sizeof out, i == N - 1 ? "y" : "t%d", i);
		snprintf(name, sizeof name, "tanh%d", i);
		mini_node(m, "Tanh", name, in, out);
	}
	mini_output(m, "y");
	g = wh_graph_new(m, &err);
	if (!ok(g != NULL, "a reversed chain of %d nodes compiles%s%s", N,
	    err ? ": " : "", err ? err : "")) {
		free(err);
		wh_model_free(m);
		return;
	}
	d.images_path = (char *)"chain";
	d.n = 2;
	d.c = d.h = 1;
	d.w = 4;
	d.sample_ndim = 1;
	d.f = x;
	d.labels = labels;
	d.nclasses = 1;
	opts.batch = 2;
	opts.threads = 1;
	e = wh_eval_new(g, &d, &pre, 0, &opts, &err);
	ok(e != NULL && wh_eval_outputs(e, 0, 2, y, &err) == 0,
	    "it evaluates%s%s", err ? ": " : "", err ? err : "");
	for (k = 0; k < 8 && e != NULL; k++) {
		ref = x[k];
		for (i = 0; i < N; i++)
			ref = tanhf(ref);
		if (y[k] != ref) {
			same = 0;
			tap_diag("value %d: %.9g, tanh^%d gives %.9g", k, y[k], N,
			    ref);
		}
	}
	ok(e != NULL && same, "every output is tanh applied %d times", N);
	wh_eval_free(e);
	free(err);
	wh_graph_free(g);
	wh_model_free(m);
}

/* Sizes past the limits, or past int64, are bad input, never an abort. */
static void
test_sizes(void)
{
	int64_t w[4] = { 1, 1, 1, 1 };
	struct wh_model *m;

	/* pads of 20,000: an output of 40,028 x 40,028 per channel */
	m = mini_new(13, 3, (int64_t[]){ 1, 28, 28 });
	mini_init(m, "w", 4, w, 1);
	mini_attr_ints(mini_node(m, "Conv", "conv", "x,w", "y"), "pads", 4,
	    20000);
	mini_output(m, "y");
	expect_fail(m, "Conv with pads of 20,000", "would hold more than",
	    "node 'conv'");
	wh_model_free(m);

	m = mini_new(13, 3, (int64_t[]){ 1, 28, 28 });
	mini_init(m, "w", 4, w, 1);
	mini_attr_ints(mini_node(m, "Conv", "conv", "x,w", "y"), "pads", 4,
	    (int64_t)1 << 62);
	mini_output(m, "y");
	expect_fail(m, "Conv with pads of 2^62", "larger than whittle's limit",
	    "node 'conv'");
	wh_model_free(m);

	m = mini_new(13, 3, (int64_t[]){ 1, 28, 28 });
	mini_init(m, "w", 4, (int64_t[]){ 1, 1, 3, 3 }, 1);
	mini_attr_ints(mini_node(m, "Conv", "conv", "x,w", "y"), "dilations",
	    2, (int64_t)1 << 62);
	mini_output(m, "y");
	expect_fail(m, "Conv with dilations of 2^62", "larger than whittle's "
	    "limit", NULL);
	wh_model_free(m);

	m = mini_new(13, 2, (int64_t[]){ (int64_t)1 << 40, (int64_t)1 << 40 });
	mini_node(m, "Relu", "r", "x", "y");
	mini_output(m, "y");
	expect_fail(m, "an input of 2^40 x 2^40", "input 'x' would hold more "
	    "than", NULL);
	wh_model_free(m);

	/* within int64 but far past memory: 2^20 x 2^20 */
	m = mini_new(13, 2, (int64_t[]){ (int64_t)1 << 20, (int64_t)1 << 20 });
	mini_node(m, "Relu", "r", "x", "y");
	mini_output(m, "y");
	expect_fail(m, "an input of 2^20 x 2^20", "input 'x' would hold more "
	    "than", NULL);
	wh_model_free(m);

	/* a constant folded to 2^62 values */
	m = mini_new(13, 1, (int64_t[]){ 4 });
	{
		struct wh_tensor *t;

		m->inits = xcalloc(1, sizeof *m->inits);
		m->ninits = 1;
		t = &m->inits[0];
		t->name = xstrdup("shape");
		t->dtype = WH_INT64;
		t->ndim = 1;
		t->dims[0] = 2;
		t->count = 2;
		t->i = xcalloc(2, sizeof *t->i);
		t->i[0] = t->i[1] = (int64_t)1 << 31;
	}
	mini_node(m, "ConstantOfShape", "cos", "shape", "big");
	mini_node(m, "Add", "add", "x,big", "y");
	mini_output(m, "y");
	expect_fail(m, "ConstantOfShape of 2^31 x 2^31", "would hold more than",
	    "node 'cos'");
	wh_model_free(m);
}

/*
 * Parameters are the float constants from initializers that ops read, as
 * they read them: a weight stored as int codes, cast and scaled, counts as
 * the float weight (4), not as its scale (1) as when initializers were
 * counted.
 */
static void
test_params(void)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 4 });
	struct wh_graph *g;
	struct wh_node *n;
	char *err = NULL;

	mini_init_ints(m, "q", 4, (int64_t[]){ -3, 1, 2, 7 });
	mini_init(m, "s", 1, (int64_t[]){ 1 }, 0.25f);
	n = mini_node(m, "Cast", "cast", "q", "qf");
	mini_attr_ints(n, "to", 0, 0);
	n->attrs[0].type = WH_ATTR_INT;
	n->attrs[0].i = 1;
	mini_node(m, "Mul", "deq", "qf,s", "w");
	mini_node(m, "Mul", "mul", "x,w", "y");
	mini_output(m, "y");
	g = wh_graph_new(m, &err);
	ok(g != NULL && wh_graph_params(g) == 4, "a dequantized weight counts "
	    "as its 4 float values (%llu)%s%s", g ? (unsigned long long)
	    wh_graph_params(g) : 0, err ? ": " : "", err ? err : "");
	free(err);
	wh_graph_free(g);
	wh_model_free(m);
}

/* A perm attribute on n. */
static void
perm_attr(struct wh_node *n, int cnt, const int64_t *p)
{
	mini_attr_ints(n, "perm", cnt, 0);
	memcpy(n->attrs[n->nattrs - 1].ints, p, cnt * sizeof *p);
}

/*
 * A graph that moves the batch, as torch's attention does: x: (n, 4, 3)
 * transposed to (4, n, 3), times w: (3, 2), back to (n, 4, 2), merged with
 * the batch to (n * 4, 2), a Relu, and (n, 8).  It compiles one sample at
 * a time, its MatMul still a layer, and equals the sample-by-sample
 * reference.
 */
static void
test_single(void)
{
	struct wh_model *m = mini_new(13, 2, (int64_t[]){ 4, 3 });
	struct wh_graph *g;
	float x[3 * 12], want[3 * 8], *y = NULL, *w;
	int64_t dims[WH_MAX_DIMS];
	char *err = NULL;
	size_t os = 0;
	int s, i, j, k, nd, good;

	mini_init(m, "w", 2, (int64_t[]){ 3, 2 }, 0);
	w = m->inits[0].f;
	for (k = 0; k < 6; k++)
		w[k] = 0.5f - 0.25f * (float)k;
	mini_init_ints(m, "flat", 2, (int64_t[]){ -1, 2 });
	mini_init_ints(m, "back", 2, (int64_t[]){ -1, 8 });
	perm_attr(mini_node(m, "Transpose", "t1", "x", "xt"), 3,
	    (int64_t[]){ 1, 0, 2 });
	mini_node(m, "MatMul", "mm", "xt,w", "p");
	perm_attr(mini_node(m, "Transpose", "t2", "p", "pt"), 3,
	    (int64_t[]){ 1, 0, 2 });
	mini_node(m, "Reshape", "r1", "pt,flat", "f");
	mini_node(m, "Relu", "relu", "f", "a");
	mini_node(m, "Reshape", "r2", "a,back", "y");
	mini_output(m, "y");

	g = wh_graph_new(m, &err);
	ok(g != NULL && wh_graph_single(g), "a graph that transposes and "
	    "merges the batch compiles one sample at a time%s%s",
	    err ? ": " : "", err ? err : "");
	if (g != NULL) {
		nd = wh_graph_input_dims(g, dims);
		ok(nd == 2 && dims[0] == 4 && dims[1] == 3 &&
		    wh_graph_input_size(g) == 12 &&
		    wh_graph_output_size(g) == 8, "its input is (4, 3) and its "
		    "output 8 values per sample, as batched");
		ok(wh_graph_nlayers(g) == 1 && wh_graph_find_layer(g, "mm") == 0,
		    "its MatMul with a constant is a layer");
	}
	wh_graph_free(g);
	free(err);
	err = NULL;

	for (k = 0; k < 36; k++)
		x[k] = 0.1f + 2 * cosf((float)k);
	for (s = 0; s < 3; s++)
		for (i = 0; i < 4; i++)
			for (j = 0; j < 2; j++) {
				float v = 0;

				for (k = 0; k < 3; k++)
					v += x[s * 12 + i * 3 + k] * w[k * 2 + j];
				want[s * 8 + i * 2 + j] = v > 0 ? v : 0;
			}
	good = mini_run(m, x, 3, &y, &os, &err) == 0 && os == 8;
	for (k = 0; good && k < 24; k++)
		good = fabsf(y[k] - want[k]) <= 1e-6f;
	ok(good, "3 samples one at a time equal the sample-by-sample "
	    "reference%s%s", err ? ": " : "", err ? err : "");
	free(y);
	free(err);
	wh_model_free(m);

	/* the ordinary graph still compiles batched */
	m = mini_new(13, 2, (int64_t[]){ 4, 3 });
	perm_attr(mini_node(m, "Transpose", "t", "x", "y"), 3,
	    (int64_t[]){ 0, 2, 1 });
	mini_output(m, "y");
	err = NULL;
	g = wh_graph_new(m, &err);
	ok(g != NULL && !wh_graph_single(g), "a Transpose keeping the batch "
	    "first compiles batched%s%s", err ? ": " : "", err ? err : "");
	wh_graph_free(g);
	free(err);
	wh_model_free(m);
}

int
main(void)
{
	test_cnn();
	test_others();
	test_errors();
	test_arity();
	test_unsupported();
	test_long_chain();
	test_sizes();
	test_params();
	test_single();
	return tap_done();
}
