/* test-graph-fuse.c - LayerNorm and GELU written out as chains of ops
 * (as torch exports them before opset 17 and 20) compile into one op
 * each, computing what the chain computes; chains with an intermediate
 * read elsewhere, or not quite the pattern, stay as they are */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "whittle/util.h"

#include "mini.h"
#include "tap.h"

#define NS 5		/* samples run */

static unsigned rng = 4242;

static float
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (float)((rng >> 9) & 0xffff) / 8192.0f - 4.0f;
}

/* A float initializer of the dims holding v, or (vary) values near 0.5
 * that differ with the position and the initializer. */
static void
init(struct wh_model *m, const char *name, int ndim, const int64_t *dims,
    float v, int vary)
{
	struct wh_tensor *t;
	size_t k;

	mini_init(m, name, ndim, dims, v);
	t = &m->inits[m->ninits - 1];
	for (k = 0; vary && k < t->count; k++)
		t->f[k] = 0.5f + 0.4f * cosf((float)(k + 7 * m->ninits));
}

/* Another graph output: the tensor stays computed. */
static void
add_output(struct wh_model *m, const char *name)
{
	m->outputs = xreallocarray(m->outputs, m->noutputs + 1,
	    sizeof *m->outputs);
	memset(&m->outputs[m->noutputs], 0, sizeof *m->outputs);
	m->outputs[m->noutputs].name = xstrdup(name);
	m->outputs[m->noutputs].elem_type = 1;
	m->noutputs++;
}

/* ReduceMean over the last nax axes, keeping them */
static struct wh_node *
reduce_mean(struct wh_model *m, const char *name, const char *in,
    const char *out, int nax)
{
	struct wh_node *n = mini_node(m, "ReduceMean", name, in, out);
	int i;

	mini_attr_ints(n, "axes", nax, -1);
	for (i = 0; i < nax; i++)
		n->attrs[n->nattrs - 1].ints[i] = i - nax;
	return n;
}

/*
 * x: (batch, 4, 6) -> the written-out LayerNorm over the last nax axes:
 * ReduceMean, Sub, Pow (exponent pw), ReduceMean, Add eps, Sqrt, Div,
 * Mul gamma, Add beta; gamma and beta of the normalized shape.
 */
static struct wh_model *
layernorm_model(int nax, float pw)
{
	static const int64_t dims[] = { 4, 6 };
	struct wh_model *m = mini_new(13, 2, dims);

	init(m, "two", 0, NULL, pw, 0);
	init(m, "eps", 0, NULL, 1e-5f, 0);
	init(m, "gamma", nax, dims + 2 - nax, 0, 1);
	init(m, "beta", nax, dims + 2 - nax, 0, 1);
	reduce_mean(m, "mean", "x", "m", nax);
	mini_node(m, "Sub", "sub", "x,m", "d");
	mini_node(m, "Pow", "pow", "d,two", "p");
	reduce_mean(m, "var", "p", "v", nax);
	mini_node(m, "Add", "add_eps", "v,eps", "ve");
	mini_node(m, "Sqrt", "sqrt", "ve", "s");
	mini_node(m, "Div", "div", "d,s", "q");
	mini_node(m, "Mul", "mul", "q,gamma", "r");
	mini_node(m, "Add", "add", "r,beta", "y");
	mini_output(m, "y");
	return m;
}

/*
 * x: (batch, 8) -> GELU written out in one of the orders exporters use:
 *   0: (x * (1 + erf(x / sqrt2))) * 0.5   (torch)
 *   1: x * ((1 + erf(x * 1/sqrt2)) * 0.5)
 *   2: (0.5 * x) * (erf(x / sqrt2) + 1)
 */
static struct wh_model *
gelu_model(int order)
{
	static const int64_t dims[] = { 8 };
	struct wh_model *m = mini_new(13, 1, dims);

	init(m, "sqrt2", 0, NULL, order == 1 ? (float)M_SQRT1_2 :
	    (float)M_SQRT2, 0);
	init(m, "one", 0, NULL, 1, 0);
	init(m, "half", 0, NULL, 0.5f, 0);
	mini_node(m, order == 1 ? "Mul" : "Div", "div", "x,sqrt2", "a");
	mini_node(m, "Erf", "erf", "a", "e");
	mini_node(m, "Add", "add", order == 2 ? "e,one" : "one,e", "b");
	switch (order) {
	case 0:
		mini_node(m, "Mul", "mul", "x,b", "c");
		mini_node(m, "Mul", "mul_half", "c,half", "y");
		break;
	case 1:
		mini_node(m, "Mul", "mul_half", "b,half", "c");
		mini_node(m, "Mul", "mul", "c,x", "y");
		break;
	default:
		mini_node(m, "Mul", "mul_half", "half,x", "c");
		mini_node(m, "Mul", "mul", "c,b", "y");
		break;
	}
	mini_output(m, "y");
	return m;
}

/* The number of ops of kind k (unary u when k is OP_UNARY, else any). */
static int
count_ops(const struct wh_graph *g, enum wh_opkind k, int u)
{
	int i, n = 0;

	for (i = 0; i < g->nops; i++)
		if (g->ops[i].kind == k && (k != OP_UNARY ||
		    (int)g->ops[i].unary == u))
			n++;
	return n;
}

static struct wh_graph *
compile(struct wh_model *m)
{
	char *err = NULL;
	struct wh_graph *g = wh_graph_new(m, &err);

	if (g == NULL) {
		tap_diag("compile: %s", err);
		free(err);
	}
	return g;
}

/* The first output of a and b on the same NS inputs: max |a - b|, or
 * 1e30 when either fails. */
static double
compare(struct wh_model *a, struct wh_model *b, float **ya_out)
{
	size_t insz = 1, na = 0, nb = 0, k;
	float *x, *ya = NULL, *yb = NULL;
	char *err = NULL;
	double worst = 0;
	int i;

	for (i = 1; i < a->inputs[0].ndim; i++)
		insz *= (size_t)a->inputs[0].dims[i];
	x = xmalloc(NS * insz * sizeof *x);
	for (k = 0; k < NS * insz; k++)
		x[k] = rnd();
	if (mini_run(a, x, NS, &ya, &na, &err) != 0 ||
	    mini_run(b, x, NS, &yb, &nb, &err) != 0 || na != nb) {
		tap_diag("run: %s", err ? err : "sizes differ");
		free(err);
		worst = 1e30;
	}
	for (k = 0; worst < 1e30 && k < NS * na; k++) {
		double d = fabs((double)ya[k] - yb[k]);

		if (!(d <= worst))
			worst = d;
	}
	free(x);
	if (ya_out != NULL && worst < 1e30)
		*ya_out = ya;
	else
		free(ya);
	free(yb);
	return worst;
}

static void
test_layernorm(void)
{
	static const struct { int nax; const char *what; } c[] = {
		{ 1, "the last axis" }, { 2, "the last two axes" } };
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct wh_model *a = layernorm_model(c[i].nax, 2);
		struct wh_model *b = layernorm_model(c[i].nax, 2);
		struct wh_graph *ga = compile(a), *gb;
		double d;

		/* b keeps the difference from the mean: nothing fuses */
		add_output(b, "d");
		gb = compile(b);
		ok(ga != NULL && ga->nops == 1 && ga->ops[0].kind ==
		    OP_LAYERNORM && ga->ops[0].ln_inner == (c[i].nax == 1 ?
		    6 : 24) && !ga->ops[0].ln_sc1 && !ga->ops[0].ln_b1,
		    "LayerNorm written out over %s is one LayerNorm op",
		    c[i].what);
		ok(gb != NULL && gb->nops == 9 &&
		    count_ops(gb, OP_LAYERNORM, 0) == 0,
		    "... and not when an intermediate is a graph output");
		d = compare(a, b, NULL);
		ok(d <= 1e-5, "... the fused op computes what the chain does "
		    "(max diff %.3g)", d);
		wh_graph_free(ga);
		wh_graph_free(gb);
		wh_model_free(a);
		wh_model_free(b);
	}
}

/* the square written d * d, as some exporters do */
static void
test_layernorm_square(void)
{
	struct wh_model *a = layernorm_model(1, 2), *b = layernorm_model(1, 2);
	struct wh_graph *g;
	double d;

	free(a->nodes[2].op);
	a->nodes[2].op = xstrdup("Mul");
	free(a->nodes[2].inputs[1]);
	a->nodes[2].inputs[1] = xstrdup("d");
	add_output(b, "d");	/* b: the chain, unfused */
	g = compile(a);
	ok(g != NULL && g->nops == 1 && g->ops[0].kind == OP_LAYERNORM,
	    "LayerNorm with its square as d * d is one LayerNorm op");
	d = compare(a, b, NULL);
	ok(d <= 1e-5, "... computing what the unfused chain does (max diff "
	    "%.3g)", d);
	wh_graph_free(g);
	wh_model_free(a);
	wh_model_free(b);
}

static void
test_layernorm_refused(void)
{
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_node *n;

	/* a second reader of the difference from the mean */
	m = layernorm_model(1, 2);
	mini_node(m, "Relu", "other", "d", "z");
	g = compile(m);
	ok(g != NULL && count_ops(g, OP_LAYERNORM, 0) == 0 && g->nops == 10,
	    "a chain whose intermediate has another reader is not fused");
	wh_graph_free(g);
	wh_model_free(m);

	/* a second reader of the variance */
	m = layernorm_model(1, 2);
	mini_node(m, "Relu", "other", "v", "z");
	g = compile(m);
	ok(g != NULL && count_ops(g, OP_LAYERNORM, 0) == 0,
	    "... nor one whose variance has another reader");
	wh_graph_free(g);
	wh_model_free(m);

	/* exponent 3 is not a variance */
	m = layernorm_model(1, 3);
	g = compile(m);
	ok(g != NULL && count_ops(g, OP_LAYERNORM, 0) == 0,
	    "an exponent other than 2 is not fused");
	wh_graph_free(g);
	wh_model_free(m);

	/* the mean over the middle axis, not the trailing one */
	m = layernorm_model(1, 2);
	n = &m->nodes[0];
	n->attrs[0].ints[0] = 1;
	m->nodes[3].attrs[0].ints[0] = 1;
	m->inits[2].dims[0] = 1;	/* gamma, beta: (1) */
	m->inits[2].count = 1;
	m->inits[3].dims[0] = 1;
	m->inits[3].count = 1;
	g = compile(m);
	ok(g != NULL && count_ops(g, OP_LAYERNORM, 0) == 0,
	    "a mean over a leading axis is not fused");
	wh_graph_free(g);
	wh_model_free(m);

	/* gamma varying along the batch-free leading axis: (4, 1) */
	m = layernorm_model(1, 2);
	m->inits[2].ndim = 2;
	m->inits[2].dims[0] = 4;
	m->inits[2].dims[1] = 1;
	m->inits[2].count = 4;
	g = compile(m);
	ok(g != NULL && count_ops(g, OP_LAYERNORM, 0) == 1 && g->nops == 3 &&
	    g->ops[0].ln_sc1 && g->ops[0].ln_scale[0] == 1 &&
	    g->ops[0].ln_bias == NULL,
	    "a gamma not of the normalized shape stays a Mul after the "
	    "fused op (%d ops)", g ? g->nops : -1);
	wh_graph_free(g);
	wh_model_free(m);
}

static void
test_gelu(void)
{
	int order;

	for (order = 0; order < 3; order++) {
		struct wh_model *a = gelu_model(order), *b = gelu_model(order);
		struct wh_graph *ga = compile(a), *gb;
		double d;

		add_output(b, "e");
		gb = compile(b);
		ok(ga != NULL && ga->nops == 1 && ga->ops[0].kind == OP_UNARY &&
		    ga->ops[0].unary == U_GELU, "GELU written out (order %d) "
		    "is one GELU op", order);
		ok(gb != NULL && count_ops(gb, OP_UNARY, U_GELU) == 0 &&
		    gb->nops == 5,
		    "... and not when the Erf's output is a graph output");
		d = compare(a, b, NULL);
		ok(d <= 1e-5, "... the fused op computes what the chain does "
		    "(max diff %.3g)", d);
		wh_graph_free(ga);
		wh_graph_free(gb);
		wh_model_free(a);
		wh_model_free(b);
	}
}

static void
test_gelu_refused(void)
{
	struct wh_model *m = gelu_model(0);
	struct wh_graph *g;

	mini_node(m, "Relu", "other", "b", "z");
	g = compile(m);
	ok(g != NULL && count_ops(g, OP_UNARY, U_GELU) == 0 && g->nops == 6,
	    "a GELU chain whose 1 + erf has another reader is not fused");
	wh_graph_free(g);
	wh_model_free(m);

	m = gelu_model(0);
	m->inits[2].f[0] = 0.25f;	/* half */
	g = compile(m);
	ok(g != NULL && count_ops(g, OP_UNARY, U_GELU) == 0,
	    "a chain scaled by 0.25 is not GELU");
	wh_graph_free(g);
	wh_model_free(m);
}

/* x: (batch, 8) -> x * Sigmoid(x), the Mul's operands in either order */
static struct wh_model *
silu_model(int swap)
{
	static const int64_t dims[] = { 8 };
	struct wh_model *m = mini_new(13, 1, dims);

	mini_node(m, "Sigmoid", "sig", "x", "s");
	mini_node(m, "Mul", "mul", swap ? "s,x" : "x,s", "y");
	mini_output(m, "y");
	return m;
}

static void
test_silu(void)
{
	int swap;

	for (swap = 0; swap < 2; swap++) {
		struct wh_model *a = silu_model(swap), *b = silu_model(swap);
		struct wh_graph *ga = compile(a), *gb;
		double d;

		add_output(b, "s");
		gb = compile(b);
		ok(ga != NULL && ga->nops == 1 && ga->ops[0].kind == OP_UNARY &&
		    ga->ops[0].unary == U_SILU, "x * Sigmoid(x) (%s) is one "
		    "SiLU op", swap ? "s * x" : "x * s");
		ok(gb != NULL && count_ops(gb, OP_UNARY, U_SILU) == 0 &&
		    gb->nops == 2,
		    "... and not when the Sigmoid's output is a graph output");
		d = compare(a, b, NULL);
		ok(d == 0, "... the fused op computes what the two do, bit for "
		    "bit (max diff %.3g)", d);
		wh_graph_free(ga);
		wh_graph_free(gb);
		wh_model_free(a);
		wh_model_free(b);
	}
	{
		/* the sigmoid times something else is a gate, not SiLU */
		static const int64_t dims[] = { 8 };
		struct wh_model *m = mini_new(13, 1, dims);
		struct wh_graph *g;

		mini_node(m, "Relu", "r", "x", "z");
		mini_node(m, "Sigmoid", "sig", "x", "s");
		mini_node(m, "Mul", "mul", "z,s", "y");
		mini_output(m, "y");
		g = compile(m);
		ok(g != NULL && count_ops(g, OP_UNARY, U_SILU) == 0,
		    "Relu(x) * Sigmoid(x) is not SiLU");
		wh_graph_free(g);
		wh_model_free(m);
	}
}

/* x * HardSigmoid(x) with alpha a (beta 1/2): HardSwish when a is 1/6 */
static struct wh_model *
hardswish_model(float a)
{
	static const int64_t dims[] = { 8 };
	struct wh_model *m = mini_new(13, 1, dims);
	struct wh_node *n = mini_node(m, "HardSigmoid", "hs", "x", "s");

	mini_attr_float(n, "alpha", a);
	mini_attr_float(n, "beta", 0.5f);
	mini_node(m, "Mul", "mul", "s,x", "y");
	mini_output(m, "y");
	return m;
}

static void
test_hardswish(void)
{
	struct wh_model *a = hardswish_model(1.0f / 6), *b;
	struct wh_graph *ga = compile(a), *gb;
	double d;

	ok(ga != NULL && ga->nops == 1 && ga->ops[0].kind == OP_UNARY &&
	    ga->ops[0].unary == U_HARDSWISH, "x * HardSigmoid(x) with alpha "
	    "1/6 is one HardSwish op");
	b = hardswish_model(1.0f / 6);
	add_output(b, "s");
	d = compare(a, b, NULL);
	ok(d == 0, "... computing what the two do, bit for bit (max diff "
	    "%.3g)", d);
	wh_graph_free(ga);
	wh_model_free(a);
	wh_model_free(b);
	a = hardswish_model(0.2f);	/* ONNX's default alpha */
	gb = compile(a);
	ok(gb != NULL && count_ops(gb, OP_UNARY, U_HARDSWISH) == 0 &&
	    gb->nops == 2, "with alpha 0.2 it is not HardSwish");
	wh_graph_free(gb);
	wh_model_free(a);
}

/*
 * A transformer block's MLP: LayerNorm written out, MatMul, GELU written
 * out, MatMul.  Both chains fuse; the layers' op indices still name
 * their MatMul ops, and the evaluator (activation caches and all) gives
 * the unfused graph's outputs.
 */
static struct wh_model *
mlp_model(void)
{
	struct wh_model *m = layernorm_model(1, 2);
	static const int64_t w1d[] = { 6, 8 }, w2d[] = { 8, 3 };

	free(m->outputs[0].name);
	m->outputs[0].name = xstrdup("out");
	init(m, "w1", 2, w1d, 0, 1);
	init(m, "w2", 2, w2d, 0, 1);
	init(m, "sqrt2", 0, NULL, (float)M_SQRT2, 0);
	init(m, "one", 0, NULL, 1, 0);
	init(m, "half", 0, NULL, 0.5f, 0);
	mini_node(m, "MatMul", "fc1", "y,w1", "h");
	mini_node(m, "Div", "gdiv", "h,sqrt2", "ga");
	mini_node(m, "Erf", "gerf", "ga", "ge");
	mini_node(m, "Add", "gadd", "ge,one", "gb");
	mini_node(m, "Mul", "gmul", "h,gb", "gc");
	mini_node(m, "Mul", "ghalf", "gc,half", "gy");
	mini_node(m, "MatMul", "fc2", "gy,w2", "out");
	return m;
}

static void
test_layers(void)
{
	struct wh_model *a = mlp_model(), *b = mlp_model();
	struct wh_graph *g = compile(a);
	const struct wh_layer *l1, *l2;
	double d;

	ok(g != NULL && g->nops == 4 && count_ops(g, OP_LAYERNORM, 0) == 1 &&
	    count_ops(g, OP_UNARY, U_GELU) == 1,
	    "an MLP block: LayerNorm, MatMul, GELU, MatMul (%d ops)",
	    g ? g->nops : -1);
	l1 = g ? wh_graph_layer(g, 0) : NULL;
	l2 = g ? wh_graph_layer(g, 1) : NULL;
	ok(l1 != NULL && l2 != NULL && l1->op == 1 && l2->op == 3 &&
	    g->ops[l1->op].kind == OP_LINEAR && g->ops[l1->op].layer == 0 &&
	    g->ops[l2->op].kind == OP_LINEAR && g->ops[l2->op].layer == 1,
	    "... the layers' op indices follow their ops");
	add_output(b, "d");
	add_output(b, "ge");
	d = compare(a, b, NULL);
	ok(d <= 1e-5, "... and it computes what the unfused block does "
	    "(max diff %.3g)", d);
	wh_graph_free(g);
	wh_model_free(a);
	wh_model_free(b);
}

int
main(void)
{
	test_layernorm();
	test_layernorm_square();
	test_layernorm_refused();
	test_gelu();
	test_gelu_refused();
	test_silu();
	test_hardswish();
	test_layers();
	return tap_done();
}
