/* test-graph-factor.c - a layer stored as two factors (Gemm, MatMul, Conv
 * and the spatial Conv form) compiles into the one layer it is, computing
 * what the dense layer of the factors' product computes; pairs that are
 * not a factorization stay two layers */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "whittle/eval.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/util.h"
#include "fixtures.h"

#include "mini.h"

#define NS 5		/* samples run */

static unsigned rng = 12345;

static float
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (float)((rng >> 9) & 0xffff) / 32768.0f - 1.0f;
}

/* The initializer called name, filled with values in [-1, 1). */
static struct wh_tensor *
fill(struct wh_model *m, const char *name, int ndim, const int64_t *dims)
{
	struct wh_tensor *t;
	size_t k;

	mini_init(m, name, ndim, dims, 0);
	t = &m->inits[m->ninits - 1];
	for (k = 0; k < t->count; k++)
		t->f[k] = rnd();
	return t;
}

static float *
input(size_t n)
{
	float *x = xmalloc(n * sizeof *x);
	size_t k;

	for (k = 0; k < n; k++)
		x[k] = rnd();
	return x;
}

/* Outputs of a and b on the same samples agree within tol. */
static int
same_outputs(struct wh_model *a, struct wh_model *b, size_t insize,
    double tol, double *worst)
{
	float *x = input(NS * insize), *ya = NULL, *yb = NULL;
	size_t na = 0, nb = 0, k;
	char *err = NULL;
	int r = 0;

	*worst = 0;
	if (mini_run(a, x, NS, &ya, &na, &err) == 0 &&
	    mini_run(b, x, NS, &yb, &nb, &err) == 0 && na == nb) {
		r = 1;
		for (k = 0; k < NS * na; k++) {
			double d = fabs((double)ya[k] - yb[k]);

			if (d > *worst)
				*worst = d;
			if (!(d <= tol * (1 + fabs((double)yb[k]))))
				r = 0;
		}
	} else
		tap_diag("%s", err ? err : "output sizes differ");
	free(err);
	free(x);
	free(ya);
	free(yb);
	return r;
}

static struct wh_graph *
compile(struct wh_model *m)
{
	char *err = NULL;
	struct wh_graph *g = wh_graph_new(m, &err);

	if (g == NULL)
		tap_diag("%s", err);
	free(err);
	return g;
}

/* The folded layer's dense weight is the factors' product. */
static int
dense_is_product(const struct wh_layer *l)
{
	int64_t m = l->spatial ? l->out * l->kh : l->out;
	int64_t n = l->spatial ? l->cin * l->kw : l->in;
	float *p = xmalloc((size_t)(m * n) * sizeof *p);
	float *w = xmalloc((size_t)(l->out * l->in) * sizeof *w);
	int64_t k;
	int r = 1;

	wh_lowrank_product_ref(l->u, l->vt, m, n, l->rank, p);
	if (l->spatial)
		wh_spatial_to_conv(p, l->out, l->cin, l->kh, l->kw, w);
	else
		memcpy(w, p, (size_t)(m * n) * sizeof *w);
	for (k = 0; k < l->out * l->in; k++)
		r &= fabsf(w[k] - l->w[k]) <= 1e-5f;
	free(p);
	free(w);
	return r;
}

/* An int attribute (transB). */
static void
attr_int(struct wh_node *n, const char *name, int64_t v)
{
	mini_attr_ints(n, name, 1, v);
	n->attrs[n->nattrs - 1].type = WH_ATTR_INT;
	n->attrs[n->nattrs - 1].i = v;
}

/* Gemm x: (n, 12) -> r -> 7 with a bias, as whittle apply writes it. */
static struct wh_model *
gemm_pair(const char *na, const char *nb, int r, int bias_a)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 12 });
	struct wh_node *n;

	fill(m, "vt", 2, (int64_t[]){ r, 12 });
	fill(m, "u", 2, (int64_t[]){ 7, r });
	fill(m, "b", 1, (int64_t[]){ 7 });
	fill(m, "ba", 1, (int64_t[]){ r });
	n = mini_node(m, "Gemm", na, bias_a ? "x,vt,ba" : "x,vt", "t");
	attr_int(n, "transB", 1);
	n = mini_node(m, "Gemm", nb, "t,u,b", "y");
	attr_int(n, "transB", 1);
	mini_output(m, "y");
	return m;
}

/* The dense model of the same function: one layer of weight w. */
static struct wh_model *
gemm_dense(const struct wh_layer *l)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ l->in });
	struct wh_node *n;

	fill(m, "w", 2, (int64_t[]){ l->out, l->in });
	memcpy(m->inits[0].f, l->w, (size_t)(l->out * l->in) * sizeof(float));
	mini_init(m, "b", 1, (int64_t[]){ l->out }, 0);
	memcpy(m->inits[1].f, l->bias, (size_t)l->out * sizeof(float));
	n = mini_node(m, "Gemm", "fc", "x,w,b", "y");
	attr_int(n, "transB", 1);
	mini_output(m, "y");
	return m;
}

static void
test_gemm(void)
{
	struct wh_model *m = gemm_pair("/7/Gemm/lowrank_a", "/7/Gemm/lowrank_b",
	    3, 0), *d = NULL;
	struct wh_graph *g = compile(m);
	const struct wh_layer *l;
	double worst;
	int same;

	if (!ok(g != NULL && wh_graph_nlayers(g) == 1, "Gemm pair: one layer"))
		goto out;
	l = wh_graph_layer(g, 0);
	ok(strcmp(l->name, "/7/Gemm") == 0, "Gemm pair: named after the "
	    "original layer (%s)", l->name);
	ok(l->kind == WH_LAYER_GEMM && l->out == 7 && l->in == 12 &&
	    l->rank == 3 && !l->spatial && l->max_rank == 7 &&
	    l->wndim == 2 && l->wdims[0] == 7 && l->wdims[1] == 12,
	    "Gemm pair: 7 x 12 at rank 3, max rank 7");
	ok(l->bias != NULL && l->bias[2] == m->inits[2].f[2] &&
	    strcmp(l->bias_name, "b") == 0 &&
	    strcmp(l->weight_name, "u") == 0 &&
	    strcmp(l->weight_a_name, "vt") == 0, "Gemm pair: the second's "
	    "bias and both weights' names");
	ok(dense_is_product(l), "Gemm pair: the dense weight is u vt");
	ok(wh_graph_params(g) == 3 * (12 + 7) + 7, "Gemm pair: %llu "
	    "parameters, the factors' and the bias",
	    (unsigned long long)wh_graph_params(g));
	ok(l->macs == 7 * 12 && l->macs_stored == 3 * (12 + 7) &&
	    wh_graph_macs(g) == 3 * (12 + 7), "Gemm pair: dense and stored "
	    "MACs");
	d = gemm_dense(l);
	same = same_outputs(m, d, 12, 1e-5, &worst);
	ok(same, "Gemm pair: computes the dense "
	    "layer's outputs (worst difference %g)", worst);
out:
	wh_graph_free(g);
	wh_model_free(m);
	wh_model_free(d);
}

/* Pairs that are no factorization of one layer stay two. */
static void
test_not_pairs(void)
{
	struct wh_model *m;
	struct wh_graph *g;

	m = gemm_pair("a/lowrank_a", "b/lowrank_b", 3, 0);
	g = compile(m);
	ok(g != NULL && wh_graph_nlayers(g) == 1 &&
	    strcmp(wh_graph_layer(g, 0)->name, "b/lowrank_b") == 0,
	    "unrelated names: the second's");
	wh_graph_free(g);
	wh_model_free(m);

	m = gemm_pair("fc/lowrank_a", "fc/lowrank_b", 3, 1);
	g = compile(m);
	ok(g != NULL && wh_graph_nlayers(g) == 2, "a first half with a bias: "
	    "two layers");
	wh_graph_free(g);
	wh_model_free(m);

	/* r = 7 = min(12, 7): no smaller than the dense layer */
	m = gemm_pair("fc/lowrank_a", "fc/lowrank_b", 7, 0);
	g = compile(m);
	ok(g != NULL && wh_graph_nlayers(g) == 2, "rank not below min(in, "
	    "out): two layers");
	wh_graph_free(g);
	wh_model_free(m);

	/* a relu between them */
	m = gemm_pair("fc/lowrank_a", "fc/lowrank_b", 3, 0);
	free(m->nodes[1].inputs[0]);
	m->nodes[1].inputs[0] = xstrdup("t2");
	mini_node(m, "Relu", "relu", "t", "t2");
	g = compile(m);
	ok(g != NULL && wh_graph_nlayers(g) == 2, "a Relu after the first: "
	    "two layers");
	wh_graph_free(g);
	wh_model_free(m);

	/* the middle read twice */
	m = gemm_pair("fc/lowrank_a", "fc/lowrank_b", 3, 0);
	free(m->nodes[1].inputs[0]);
	m->nodes[1].inputs[0] = xstrdup("t2");
	mini_node(m, "Add", "add", "t,t", "t2");
	g = compile(m);
	ok(g != NULL && wh_graph_nlayers(g) == 2, "the middle read by "
	    "another node: two layers");
	wh_graph_free(g);
	wh_model_free(m);
}

static void
test_matmul(void)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 10 }), *d = NULL;
	struct wh_graph *g;
	const struct wh_layer *l;
	double worst;
	int same;
	int64_t i, j;

	fill(m, "v", 2, (int64_t[]){ 10, 2 });
	fill(m, "u", 2, (int64_t[]){ 2, 6 });
	mini_node(m, "MatMul", "/MatMul/lowrank_a", "x,v", "t");
	mini_node(m, "MatMul", "/MatMul/lowrank_b", "t,u", "y");
	mini_output(m, "y");
	g = compile(m);
	if (!ok(g != NULL && wh_graph_nlayers(g) == 1, "MatMul pair: one "
	    "layer"))
		goto out;
	l = wh_graph_layer(g, 0);
	ok(strcmp(l->name, "/MatMul") == 0 && l->kind == WH_LAYER_MATMUL &&
	    l->out == 6 && l->in == 10 && l->rank == 2 && l->bias == NULL &&
	    l->wdims[0] == 10 && l->wdims[1] == 6, "MatMul pair: /MatMul, "
	    "(10, 6) at rank 2");
	ok(dense_is_product(l), "MatMul pair: the dense weight is u vt");
	ok(wh_graph_params(g) == 2 * (10 + 6), "MatMul pair: the factors' "
	    "parameters");
	d = mini_new(13, 1, (int64_t[]){ 10 });
	mini_init(d, "w", 2, (int64_t[]){ 10, 6 }, 0);
	for (i = 0; i < 6; i++)
		for (j = 0; j < 10; j++)
			d->inits[0].f[j * 6 + i] = l->w[i * 10 + j];
	mini_node(d, "MatMul", "mm", "x,w", "y");
	mini_output(d, "y");
	same = same_outputs(m, d, 10, 1e-5, &worst);
	ok(same, "MatMul pair: computes the "
	    "dense layer's outputs (worst difference %g)", worst);
out:
	wh_graph_free(g);
	wh_model_free(m);
	wh_model_free(d);
}

/* Conv x: (n, 3, 6, 6) -> the factored 3x3, pads 1, to 5 channels. */
static struct wh_model *
conv_pair(int spatial, int r)
{
	struct wh_model *m = mini_new(13, 3, (int64_t[]){ 3, 6, 6 });
	struct wh_node *n;

	if (spatial) {
		fill(m, "vt", 4, (int64_t[]){ r, 3, 1, 3 });
		fill(m, "u", 4, (int64_t[]){ 5, r, 3, 1 });
	} else {
		fill(m, "vt", 4, (int64_t[]){ r, 3, 3, 3 });
		fill(m, "u", 4, (int64_t[]){ 5, r, 1, 1 });
	}
	fill(m, "b", 1, (int64_t[]){ 5 });
	n = mini_node(m, "Conv", "/3/Conv/lowrank_a", "x,vt", "t");
	mini_attr_ints(n, "pads", 4, 1);
	n = mini_node(m, "Conv", "/3/Conv/lowrank_b", "t,u,b", "y");
	mini_output(m, "y");
	return m;
}

static void
test_conv(int spatial)
{
	const char *what = spatial ? "spatial Conv pair" : "Conv pair";
	struct wh_model *m = conv_pair(spatial, 2), *d = NULL;
	struct wh_graph *g = compile(m);
	const struct wh_layer *l;
	double worst;
	int same;

	if (!ok(g != NULL && wh_graph_nlayers(g) == 1, "%s: one layer", what))
		goto out;
	l = wh_graph_layer(g, 0);
	ok(strcmp(l->name, "/3/Conv") == 0 && l->kind == WH_LAYER_CONV &&
	    l->out == 5 && l->cin == 3 && l->kh == 3 && l->kw == 3 &&
	    l->in == 27 && l->rank == 2 && l->spatial == spatial &&
	    l->out_h == 6 && l->out_w == 6 && l->wndim == 4 &&
	    l->wdims[0] == 5 && l->wdims[1] == 3 && l->wdims[2] == 3 &&
	    l->wdims[3] == 3, "%s: /3/Conv, (5, 3, 3, 3) on 6x6 at rank 2",
	    what);
	ok(dense_is_product(l), "%s: the dense weight is u vt", what);
	ok(wh_graph_params(g) == (uint64_t)(spatial ? 2 * (15 + 9) + 5 :
	    2 * (27 + 5) + 5), "%s: the factors' parameters and the bias "
	    "(%llu)", what, (unsigned long long)wh_graph_params(g));
	d = mini_new(13, 3, (int64_t[]){ 3, 6, 6 });
	mini_init(d, "w", 4, (int64_t[]){ 5, 3, 3, 3 }, 0);
	memcpy(d->inits[0].f, l->w, 135 * sizeof(float));
	mini_init(d, "b", 1, (int64_t[]){ 5 }, 0);
	memcpy(d->inits[1].f, l->bias, 5 * sizeof(float));
	mini_attr_ints(mini_node(d, "Conv", "conv", "x,w,b", "y"), "pads", 4,
	    1);
	mini_output(d, "y");
	same = same_outputs(m, d, 108, 1e-5, &worst);
	ok(same, "%s: computes the dense "
	    "layer's outputs (worst difference %g)", what, worst);
out:
	wh_graph_free(g);
	wh_model_free(m);
	wh_model_free(d);
}

/* An override replaces the factors; none runs them again. */
static void
test_override(void)
{
	struct wh_model *m = gemm_pair("fc/lowrank_a", "fc/lowrank_b", 3, 0);
	struct wh_graph *g = compile(m);
	struct wh_dataset d = { 0 };
	struct wh_preproc pre = { 0 };
	struct wh_eval_opts opts = { NS, 1, 0 };
	struct wh_layer_weights lw = { 0 };
	struct wh_eval *e = NULL;
	float *x = input(NS * 12), y0[NS * 7], y1[NS * 7], y2[NS * 7];
	float y3[NS * 7], *w = NULL;
	int32_t labels[NS] = { 0 };
	char *err = NULL;
	const struct wh_layer *l;
	size_t k;
	int same = 1;

	if (g == NULL)
		goto out;
	l = wh_graph_layer(g, 0);
	d.images_path = (char *)"mini";
	d.n = NS;
	d.c = d.h = 1;
	d.w = 12;
	d.sample_ndim = 1;
	d.f = x;
	d.labels = labels;
	d.nclasses = 1;
	if ((e = wh_eval_new(g, &d, &pre, 0, &opts, &err)) == NULL) {
		ok(0, "override: evaluator: %s", err);
		goto out;
	}
	wh_eval_outputs(e, 0, NS, y0, &err);
	/* the dense product as an override: the same function */
	lw.w = l->w;
	wh_eval_set_layer(e, 0, &lw);
	wh_eval_outputs(e, 0, NS, y1, &err);
	/* another weight: other outputs */
	w = xmalloc(7 * 12 * sizeof *w);
	for (k = 0; k < 7 * 12; k++)
		w[k] = l->w[k] * 2;
	lw.w = w;
	wh_eval_set_layer(e, 0, &lw);
	wh_eval_outputs(e, 0, NS, y2, &err);
	wh_eval_set_layer(e, 0, NULL);
	wh_eval_outputs(e, 0, NS, y3, &err);
	for (k = 0; k < NS * 7; k++)
		same &= fabsf(y0[k] - y1[k]) <= 1e-5f * (1 + fabsf(y0[k]));
	ok(same, "override: the dense product computes as the factors");
	ok(memcmp(y0, y2, sizeof y0) != 0, "override: another weight runs "
	    "in place of the factors");
	ok(memcmp(y0, y3, sizeof y0) == 0, "override: none runs the factors "
	    "again, exactly");
out:
	free(err);
	free(w);
	free(x);
	wh_eval_free(e);
	wh_graph_free(g);
	wh_model_free(m);
}

/* Settings without a rank keep a factored layer's factors (pruned and
 * quantized as a low-rank layer's); a rank factors the product anew. */
static void
test_compress(void)
{
	struct wh_model *m = gemm_pair("fc/lowrank_a", "fc/lowrank_b", 3, 0);
	struct wh_graph *g = compile(m);
	struct wh_lcache *lc = NULL;
	struct wh_layer_cfg cfg;
	struct wh_compressed c;
	const struct wh_layer *l;
	char *err = NULL;

	if (g == NULL)
		goto out;
	l = wh_graph_layer(g, 0);
	lc = wh_lcache_new(l);
	wh_layer_cfg_init(&cfg);
	cfg.act_bits = 8;
	if (ok(wh_compress_layer(lc, &cfg, &c, &err) == 0, "compress: "
	    "activation bits only")) {
		ok(c.rank == 3 && c.nfactors == 2 && c.f[0].rows == 7 &&
		    c.f[1].cols == 12 && memcmp(c.f[0].w, l->u, 21 *
		    sizeof(float)) == 0 && memcmp(c.f[1].w, l->vt, 36 *
		    sizeof(float)) == 0 && c.lw.rank == 3, "compress: the "
		    "stored factors, unchanged");
		ok(c.cost.params == 3 * (12 + 7), "compress: their %llu "
		    "parameters", (unsigned long long)c.cost.params);
		wh_compressed_release(&c);
	}
	wh_layer_cfg_init(&cfg);
	cfg.qtype = WH_Q_INT;
	cfg.bits = 8;
	cfg.symmetric = 1;
	cfg.per_channel = 1;
	if (ok(wh_compress_layer(lc, &cfg, &c, &err) == 0, "compress: int8")) {
		ok(c.rank == 3 && c.f[0].qtype == WH_Q_INT &&
		    c.f[1].qtype == WH_Q_INT, "compress: int8 quantizes the "
		    "two factors");
		wh_compressed_release(&c);
	}
	wh_layer_cfg_init(&cfg);
	cfg.lr_mode = WH_LR_RANK;
	cfg.rank = 2;
	if (ok(wh_compress_layer(lc, &cfg, &c, &err) == 0, "compress: rank "
	    "2")) {
		ok(c.rank == 2 && c.f[0].cols == 2 && c.f[1].rows == 2,
		    "compress: rank 2 factors the product anew");
		wh_compressed_release(&c);
	}
out:
	free(err);
	wh_lcache_free(lc);
	wh_graph_free(g);
	wh_model_free(m);
}

int
main(void)
{
	test_gemm();
	test_not_pairs();
	test_matmul();
	test_conv(0);
	test_conv(1);
	test_override();
	test_compress();
	return tap_done();
}
