/* test-dnnl.c - oneDNN's kernels against the reference kernels (wh_op_run)
 * on small hand-built graphs, in every activation layout the plan can pick */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl-int.h"
#include "op.h"
#include "fixtures.h"
#include "tap.h"
#include "whittle/model.h"

#define MAXT 12
#define MAXO 6

/* A hand-built graph: tensor 0 is the input, the last one the output. */
struct fg {
	struct wh_graph g;
	struct wh_tinfo t[MAXT];
	struct wh_op op[MAXO];
	struct wh_layer ly[MAXO];
	float *mem[4 * MAXO];
	int nmem;
};

static float *
fg_floats(struct fg *f, size_t n, float seed, float amp)
{
	float *v = malloc((n ? n : 1) * sizeof *v);
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = amp * sinf(0.7f * (float)i + seed);
	f->mem[f->nmem++] = v;
	return v;
}

static int
fg_tensor(struct fg *f, int ndim, const int64_t *dims, int prod)
{
	int id = f->g.nt++, i;
	struct wh_tinfo *t = &f->t[id];

	memset(t, 0, sizeof *t);
	t->ndim = ndim;
	t->ss = 1;
	for (i = 0; i < ndim; i++) {
		t->dims[i] = dims[i];
		t->ss *= (size_t)dims[i];
	}
	t->alias = -1;
	t->prod = prod;
	return id;
}

static void
fg_init(struct fg *f, int ndim, const int64_t *dims)
{
	memset(f, 0, sizeof *f);
	f->g.t = f->t;
	f->g.ops = f->op;
	f->g.layers = f->ly;
	f->g.input = fg_tensor(f, ndim, dims, -1);
}

/* Liveness and the output, once every op is in. */
static void
fg_done(struct fg *f)
{
	int q, i;

	for (q = 0; q < f->g.nops; q++)
		for (i = 0; i < f->op[q].nin; i++)
			f->t[f->op[q].in[i]].last = q;
	f->g.output = f->g.nt - 1;
	f->t[f->g.output].last = f->g.nops;
}

static struct wh_op *
fg_op(struct fg *f, enum wh_opkind kind, int x)
{
	struct wh_op *o = &f->op[f->g.nops++];

	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->kern = kind == OP_CONV ? &wh_kernel_conv : kind == OP_LINEAR ?
	    &wh_kernel_linear : kind == OP_UNARY ? &wh_kernel_unary :
	    kind == OP_BINARY ? &wh_kernel_binary : &wh_kernel_pool;
	o->in[0] = x;
	o->in[1] = o->in[2] = o->in[3] = -1;
	o->nin = 1;
	o->layer = -1;
	return o;
}

struct geom {
	int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

static int64_t
outdim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1,
    int ceil)
{
	int64_t ek = (k - 1) * d + 1, o;

	if (!ceil)
		return (in + p0 + p1 - ek) / s + 1;
	o = (in + p0 + p1 - ek + s - 1) / s + 1;
	if ((o - 1) * s >= in + p0)
		o--;
	return o;
}

static void
set_geom(struct wh_op *o, const struct wh_tinfo *x, const struct geom *gm,
    int ceil)
{
	o->c = x->dims[0];
	o->h = x->dims[1];
	o->w = x->dims[2];
	o->kh = gm->kh;
	o->kw = gm->kw;
	o->sh = gm->sh;
	o->sw = gm->sw;
	o->dh = gm->dh;
	o->dw = gm->dw;
	o->pt = gm->pt;
	o->pl = gm->pl;
	o->pb = gm->pb;
	o->pr = gm->pr;
	o->oh = outdim(o->h, o->kh, o->sh, o->dh, o->pt, o->pb, ceil);
	o->ow = outdim(o->w, o->kw, o->sw, o->dw, o->pl, o->pr, ceil);
}

/* Epilogue flags */
#define EP_BIAS 1
#define EP_BN 2
#define EP_RELU 4

/* x: (c, h, w) -> conv with oc outputs; weights (oc, c / group, kh, kw). */
static int
fg_conv(struct fg *f, int x, int64_t oc, const struct geom *gm, int group,
    int ep)
{
	struct wh_op *o = fg_op(f, OP_CONV, x);
	struct wh_layer *l = &f->ly[f->g.nlayers];
	float seed = (float)f->g.nops;

	set_geom(o, &f->t[x], gm, 0);
	o->oc = oc;
	o->group = group;
	o->layer = f->g.nlayers++;
	memset(l, 0, sizeof *l);
	l->kind = WH_LAYER_CONV;
	l->op = f->g.nops - 1;
	l->out = oc;
	l->cin = o->c / group;
	l->kh = o->kh;
	l->kw = o->kw;
	l->in = l->cin * l->kh * l->kw;
	l->group = group;
	l->out_h = o->oh;
	l->out_w = o->ow;
	l->rows = 1;
	l->w = fg_floats(f, (size_t)(oc * l->in), seed, 0.5f);
	if (ep & EP_BIAS)
		l->bias = fg_floats(f, (size_t)oc, seed + 1, 0.3f);
	if (ep & EP_BN) {
		o->ep_scale = fg_floats(f, (size_t)oc, seed + 2, 1.0f);
		o->ep_shift = fg_floats(f, (size_t)oc, seed + 3, 0.5f);
	}
	o->ep_relu = (ep & EP_RELU) != 0;
	o->out = fg_tensor(f, 3, (int64_t[]){ oc, o->oh, o->ow }, f->g.nops - 1);
	return o->out;
}

/* x: (rows, k) per sample, or (k) -> (rows, nout) */
static int
fg_linear(struct fg *f, int x, int64_t nout, int ep)
{
	struct wh_op *o = fg_op(f, OP_LINEAR, x);
	struct wh_layer *l = &f->ly[f->g.nlayers];
	const struct wh_tinfo *xt = &f->t[x];
	float seed = (float)f->g.nops;
	int64_t k = xt->dims[xt->ndim - 1], dims[2];

	o->c = k;
	o->oc = nout;
	o->rows = (int64_t)xt->ss / k;
	o->layer = f->g.nlayers++;
	memset(l, 0, sizeof *l);
	l->kind = o->rows == 1 ? WH_LAYER_GEMM : WH_LAYER_MATMUL;
	l->op = f->g.nops - 1;
	l->out = nout;
	l->in = k;
	l->cin = l->kh = l->kw = 1;
	l->group = 1;
	l->rows = o->rows;
	l->w = fg_floats(f, (size_t)(nout * k), seed, 0.3f);
	if (ep & EP_BIAS)
		l->bias = fg_floats(f, (size_t)nout, seed + 1, 0.3f);
	if (ep & EP_BN) {
		o->ep_scale = fg_floats(f, (size_t)nout, seed + 2, 1.0f);
		o->ep_shift = fg_floats(f, (size_t)nout, seed + 3, 0.5f);
	}
	o->ep_relu = (ep & EP_RELU) != 0;
	dims[0] = o->rows;
	dims[1] = nout;
	o->out = o->rows == 1 ? fg_tensor(f, 1, &nout, f->g.nops - 1) :
	    fg_tensor(f, 2, dims, f->g.nops - 1);
	return o->out;
}

static int
fg_pool(struct fg *f, int x, enum wh_opkind kind, const struct geom *gm,
    int ceil, int count_pad)
{
	struct wh_op *o = fg_op(f, kind, x);

	if (kind == OP_GAP) {
		set_geom(o, &f->t[x], &(struct geom){ 1, 1, 1, 1, 1, 1, 0, 0, 0,
		    0 }, 0);
		o->kh = o->kw = 0;
		o->oh = o->ow = 1;
	} else
		set_geom(o, &f->t[x], gm, ceil);
	o->oc = o->c;
	o->count_pad = count_pad;
	o->out = fg_tensor(f, 3, (int64_t[]){ o->c, o->oh, o->ow },
	    f->g.nops - 1);
	return o->out;
}

static int
fg_unary(struct fg *f, int x, enum wh_unary u, float alpha, float beta)
{
	struct wh_op *o = fg_op(f, OP_UNARY, x);

	o->unary = u;
	o->alpha = alpha;
	o->beta = beta;
	o->out = fg_tensor(f, f->t[x].ndim, f->t[x].dims, f->g.nops - 1);
	return o->out;
}

/* a + b, both (c, h, w) activations */
static int
fg_add(struct fg *f, int a, int b)
{
	struct wh_op *o = fg_op(f, OP_BINARY, a);
	const struct wh_tinfo *t = &f->t[a];

	o->binary = B_ADD;
	o->in[1] = b;
	o->nin = 2;
	o->a_batch = o->b_batch = 1;
	o->bnd = 3;
	memcpy(o->bdims, t->dims, 3 * sizeof *t->dims);
	o->astr[0] = o->bstr[0] = t->dims[1] * t->dims[2];
	o->astr[1] = o->bstr[1] = t->dims[2];
	o->astr[2] = o->bstr[2] = 1;
	o->out = fg_tensor(f, 3, t->dims, f->g.nops - 1);
	return o->out;
}

/* a: (c, h, w) times s: (c, 1, 1), s first when swap. */
static int
fg_chmul(struct fg *f, int a, int s, int swap)
{
	struct wh_op *o = fg_op(f, OP_BINARY, swap ? s : a);
	const struct wh_tinfo *t = &f->t[a];
	int64_t *xs = swap ? o->bstr : o->astr, *ss = swap ? o->astr : o->bstr;

	o->binary = B_MUL;
	o->in[1] = swap ? a : s;
	o->nin = 2;
	o->a_batch = o->b_batch = 1;
	o->bnd = 3;
	memcpy(o->bdims, t->dims, 3 * sizeof *t->dims);
	xs[0] = t->dims[1] * t->dims[2];
	xs[1] = t->dims[2];
	xs[2] = 1;
	ss[0] = 1;
	ss[1] = ss[2] = 0;
	o->out = fg_tensor(f, 3, t->dims, f->g.nops - 1);
	return o->out;
}

/* Concat of a and b along the channels. */
static int
fg_concat(struct fg *f, int a, int b)
{
	struct wh_op *o = fg_op(f, OP_CONCAT, a);
	int64_t dims[3];

	o->kern = &wh_kernel_concat;
	o->in[1] = b;
	o->nin = 2;
	o->cat_outer = 1;
	o->cat_block[0] = (int64_t)f->t[a].ss;
	o->cat_block[1] = (int64_t)f->t[b].ss;
	memcpy(dims, f->t[a].dims, sizeof dims);
	dims[0] += f->t[b].dims[0];
	o->out = fg_tensor(f, 3, dims, f->g.nops - 1);
	return o->out;
}

static void
fg_release(struct fg *f)
{
	int i;

	for (i = 0; i < f->nmem; i++)
		free(f->mem[i]);
}

/* Per-layer overrides for a run (NULL: none). */
struct over {
	const struct wh_layer_weights *lw[MAXO];
	const float *aux[MAXO];
};

static float **
bufs(const struct fg *f, const struct wh_dnnl *d, size_t n)
{
	float **b = calloc(MAXT, sizeof *b);
	int t;

	for (t = 0; t < f->g.nt; t++)
		b[t] = calloc(n * (d ? wh_dnnl_tensor_floats(d, t) :
		    f->t[t].ss) + 16, sizeof **b);
	return b;
}

static void
bufs_free(float **b)
{
	int t;

	for (t = 0; t < MAXT; t++)
		free(b[t]);
	free(b);
}

static size_t
scratch_need(const struct fg *f, const struct over *ov, size_t n)
{
	size_t need = 1, s;
	int q;

	for (q = 0; q < f->g.nops; q++) {
		const struct wh_op *o = &f->op[q];

		s = wh_op_scratch(&f->g, o, o->layer >= 0 ? ov->lw[o->layer] :
		    NULL, n);
		if (s > need)
			need = s;
	}
	return need;
}

/*
 * Runs the graph on n samples with the reference kernels and through plan
 * d; returns the largest difference over every tensor an op writes,
 * relative to max(1, the tensor's largest magnitude).
 */
static double
compare(struct fg *f, struct wh_dnnl *d, const struct over *ov, size_t n)
{
	float **rb = bufs(f, NULL, n), **db = bufs(f, d, n), *tmp, *scratch;
	size_t in_ss = f->t[f->g.input].ss, i, need = scratch_need(f, ov, n);
	double worst = 0;
	int q, t, k, unwritten[MAXT] = { 0 };

	scratch = malloc(need * sizeof *scratch);
	for (i = 0; i < n * in_ss; i++)
		rb[f->g.input][i] = db[f->g.input][i] = 0.1f + 2 *
		    cosf((float)i);
	for (q = 0; q < f->g.nops; q++) {
		const struct wh_op *o = &f->op[q];
		const struct wh_layer_weights *lw = o->layer >= 0 ?
		    ov->lw[o->layer] : NULL;
		const float *aux = o->layer >= 0 ? ov->aux[o->layer] : NULL;

		wh_op_run(&f->g, o, lw, aux, rb, n, scratch);
		if (wh_op_fused(&f->g, o, lw)) {
			/* a pool folded into the convolution: the reference
			 * never wrote the convolution's own output */
			unwritten[o->out] = 1;
			q++;
		}
	}
	for (q = 0; q < f->g.nops; q++) {
		const struct wh_op *o = &f->op[q];
		const struct wh_layer_weights *lw = o->layer >= 0 ?
		    ov->lw[o->layer] : NULL;
		const float *aux = o->layer >= 0 ? ov->aux[o->layer] : NULL;

		/* never materialized */
		for (k = 0; k < wh_dnnl_fused(d, q); k++)
			unwritten[f->op[q + k].out] = 1;
		if (wh_dnnl_sliced(d, q) >= 0)	/* the last slice only */
			unwritten[wh_dnnl_sliced(d, q)] = 1;
		q += wh_dnnl_run(d, q, lw, aux, db, n, scratch, 0);
	}
	for (t = 1; t < f->g.nt; t++) {
		size_t ss = f->t[t].ss;
		double mag = 1, diff = 0;

		if (f->t[t].prod == -2 || unwritten[t])
			continue;
		tmp = malloc(n * ss * sizeof *tmp);
		wh_dnnl_to_plain(d, t, db[t], tmp, n, 0, NULL);
		for (i = 0; i < n * ss; i++) {
			double e = fabs((double)tmp[i] - rb[t][i]);

			if (fabs(rb[t][i]) > mag)
				mag = fabs(rb[t][i]);
			if (e > diff || e != e)
				diff = e != e ? INFINITY : e;
		}
		if (diff / mag > worst)
			worst = diff / mag;
		free(tmp);
	}
	free(scratch);
	bufs_free(rb);
	bufs_free(db);
	return worst;
}

static const char *layout_names[] = { "nchw", "nhwc", "nChw8c", "nChw16c" };
static const size_t batches[] = { 64, 5, 1 };

/* Every layout and batch size: within 1e-4 of the reference. */
static void
check_graph(struct fg *f, const char *what, const struct over *ov)
{
	struct over none = { { NULL }, { NULL } };
	int lay, b, q;

	fg_done(f);
	for (lay = WH_DNNL_NCHW; lay <= WH_DNNL_BLOCK16; lay++) {
		char *err = NULL;
		struct wh_dnnl *d = wh_dnnl_new_layout(&f->g, 1, lay, &err);
		double worst = 0, w;
		int ran = 1;

		if (!ok(d != NULL, "%s, %s: plan (%s)", what,
		    layout_names[lay], err ? err : "ok"))
			continue;
		for (b = 0; b < 3; b++) {
			w = compare(f, d, ov ? ov : &none, batches[b]);
			if (w > worst)
				worst = w;
		}
		for (q = 0; q < f->g.nops; q++)
			if ((f->op[q].kind == OP_CONV ||
			    f->op[q].kind == OP_LINEAR) &&
			    wh_dnnl_impl(d, q, 5)[0] == '\0')
				ran = 0;
		tap_diag("%s, %s: max relative difference %.2g; op 0 ran %s",
		    what, layout_names[lay], worst, wh_dnnl_impl(d, 0, 64));
		ok(worst <= 1e-4, "%s, %s: batches 64, 5, 1 within 1e-4 of the "
		    "reference (%.2g)", what, layout_names[lay], worst);
		ok(ran, "%s, %s: every convolution and linear layer ran in "
		    "oneDNN", what, layout_names[lay]);
		wh_dnnl_free(d);
	}
}

static void
test_convs(void)
{
	static const struct {
		const char *what;
		int64_t c, h, w, oc;
		struct geom gm;
		int group, ep;
	} cases[] = {
		{ "3x3 pad 1", 3, 12, 12, 8, { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		    1, EP_BIAS | EP_RELU },
		{ "5x3 stride 2, dilation 2, uneven pads", 5, 13, 11, 6,
		    { 5, 3, 2, 1, 2, 2, 1, 0, 2, 1 }, 1, EP_BIAS | EP_BN },
		{ "1x1 with BN and relu", 16, 7, 7, 24, { 1, 1, 1, 1, 1, 1, 0,
		    0, 0, 0 }, 1, EP_BN | EP_RELU },
		{ "grouped 3x3 (2 groups)", 8, 9, 9, 12, { 3, 3, 1, 1, 1, 1, 1,
		    1, 1, 1 }, 2, EP_BIAS },
		{ "depthwise 3x3 stride 2", 16, 10, 10, 16, { 3, 3, 2, 2, 1, 1,
		    1, 1, 1, 1 }, 16, EP_BIAS | EP_BN | EP_RELU },
		{ "depthwise, multiplier 2", 8, 8, 8, 16, { 3, 3, 1, 1, 1, 1, 1,
		    1, 1, 1 }, 8, EP_RELU },
		{ "no bias, 7x7 stride 2 pad 3", 1, 28, 28, 16, { 7, 7, 2, 2, 1,
		    1, 3, 3, 3, 3 }, 1, 0 },
		/* kernels cut to the taps that reach the input
		 * (build_cropped): 5 x 5 depthwise on 1 x 1 and strided
		 * from 2 x 2, as EfficientNet has them, and a 3 x 3 on a map
		 * of one row, whose top and bottom rows go */
		{ "depthwise 5x5 pad 2 on 1x1 (cut to 1x1)", 20, 1, 1, 20,
		    { 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 }, 20, EP_BN | EP_RELU },
		{ "depthwise 5x5 stride 2 pad 2, 2x2 to 1x1 (cut to 2x2)", 20,
		    2, 2, 20, { 5, 5, 2, 2, 1, 1, 2, 2, 2, 2 }, 20, EP_BIAS },
		{ "3x3 pad 1 on 1x16 (cut to 1x3)", 6, 1, 16, 8,
		    { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, 1, EP_BIAS | EP_RELU },
		{ "3x3 dilation 2 pad 2 on 2x2 (cut to 1x1)", 6, 2, 2, 8,
		    { 3, 3, 1, 1, 2, 2, 2, 2, 2, 2 }, 2, EP_BIAS },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fg f;
		int x, y;

		/* conv, then a 3x3 conv reading it: the tensor between is
		 * the plan's layout */
		fg_init(&f, 3, (int64_t[]){ cases[i].c, cases[i].h,
		    cases[i].w });
		x = fg_conv(&f, 0, cases[i].oc, &cases[i].gm, cases[i].group,
		    cases[i].ep);
		y = fg_conv(&f, x, 8, &(struct geom){ 3, 3, 1, 1, 1, 1, 1, 1,
		    1, 1 }, 1, EP_BIAS);
		(void)y;
		check_graph(&f, cases[i].what, NULL);
		fg_release(&f);
	}
}

/*
 * Convolutions over maps so small that most taps fall on padding run as
 * an inner product over the samples' buffers (dense_fits): 3 x 3 on 1 x 1
 * and on 2 x 2, strided to 1 x 1, with 20 channels (blocks with padding),
 * BN and ReLU, replaced weights and a quantized input; a 3 x 3 on 6 x 6
 * stays a convolution.
 */
static void
test_dense(void)
{
	static const struct {
		const char *what;
		int64_t hw, oc;
		struct geom gm;
		int ep, dense;
	} cases[] = {
		{ "3x3 pad 1 on 1x1 (dense)", 1, 20, { 3, 3, 1, 1, 1, 1, 1, 1,
		    1, 1 }, EP_BIAS | EP_BN | EP_RELU, 1 },
		{ "3x3 pad 1 on 2x2 (dense)", 2, 20, { 3, 3, 1, 1, 1, 1, 1, 1,
		    1, 1 }, EP_BIAS | EP_RELU, 1 },
		{ "3x3 stride 2 pad 1, 2x2 to 1x1 (dense)", 2, 16, { 3, 3, 2,
		    2, 1, 1, 1, 1, 1, 1 }, EP_BN, 1 },
		{ "3x3 pad 1 on 6x6 (a convolution)", 6, 16, { 3, 3, 1, 1, 1,
		    1, 1, 1, 1, 1 }, EP_BIAS, 0 },
	};
	size_t i;
	int lay;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fg f;
		struct wh_layer_weights aq = { 0 };
		struct over ov = { { NULL }, { NULL } };
		int x, y;

		/* a 1x1 conv makes the input of the one tested a tensor
		 * of the plan's layout, with padding channels in blocks */
		fg_init(&f, 3, (int64_t[]){ 3, cases[i].hw, cases[i].hw });
		x = fg_conv(&f, 0, 12, &(struct geom){ 1, 1, 1, 1, 1, 1, 0, 0,
		    0, 0 }, 1, EP_BIAS | EP_RELU);
		y = fg_conv(&f, x, cases[i].oc, &cases[i].gm, 1, cases[i].ep);
		fg_conv(&f, y, 4, &(struct geom){ 1, 1, 1, 1, 1, 1, 0, 0, 0,
		    0 }, 1, EP_BIAS);
		check_graph(&f, cases[i].what, NULL);
		for (lay = WH_DNNL_NCHW; lay <= WH_DNNL_BLOCK16; lay++) {
			struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, lay,
			    NULL);
			const char *impl;

			wh_dnnl_prepare(d, 5);
			impl = wh_dnnl_impl(d, 1, 5);
			ok((strstr(impl, "gemm") != NULL &&
			    strstr(impl, "reorder") == NULL) == cases[i].dense,
			    "%s, %s: runs as %s", cases[i].what,
			    layout_names[lay], impl);
			wh_dnnl_free(d);
		}
		aq.act_bits = 8;
		aq.act_scale = 0.02f;
		aq.act_zero = 128;
		aq.w = fg_floats(&f, (size_t)(f.ly[1].out * f.ly[1].in), 16,
		    0.3f);
		ov.lw[1] = &aq;
		check_graph(&f, cases[i].dense ? "dense, with replaced "
		    "weights and a quantized input" : "convolution, with "
		    "replaced weights and a quantized input", &ov);
		fg_release(&f);
	}
}

/* Low rank (two convolutions), spatial low rank and a quantized input. */
static void
test_overrides(void)
{
	struct fg f;
	struct wh_layer_weights lr = { 0 }, sp = { 0 }, aq = { 0 };
	struct over ov = { { NULL }, { NULL } };
	const struct wh_layer *l;
	int x, k;

	fg_init(&f, 3, (int64_t[]){ 6, 11, 11 });
	x = fg_conv(&f, 0, 12, &(struct geom){ 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	    1, EP_BIAS | EP_RELU);
	fg_conv(&f, x, 10, &(struct geom){ 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 }, 1,
	    EP_BIAS | EP_BN);
	l = &f.ly[0];
	lr.rank = 4;
	lr.vt = fg_floats(&f, (size_t)(4 * l->in), 11, 0.4f);
	lr.u = fg_floats(&f, (size_t)(l->out * 4), 12, 0.4f);
	ov.lw[0] = &lr;
	l = &f.ly[1];
	sp.rank = 5;
	sp.spatial = 1;
	sp.vt = fg_floats(&f, (size_t)(5 * l->cin * l->kw), 13, 0.4f);
	ov.aux[1] = fg_floats(&f, (size_t)(l->out * 5 * l->kh), 14, 0.4f);
	ov.lw[1] = &sp;
	check_graph(&f, "low rank 4, then spatial low rank 5", &ov);
	/* on the graph's input, which both runs see alike (a rounding
	 * boundary amplifies any difference in the values quantized) */
	aq.act_bits = 8;
	aq.act_scale = 0.02f;
	aq.act_zero = 128;
	aq.w = fg_floats(&f, (size_t)(f.ly[0].out * f.ly[0].in), 15, 0.3f);
	ov.lw[0] = &aq;
	ov.lw[1] = NULL;
	ov.aux[1] = NULL;
	check_graph(&f, "quantized input and replaced weights", &ov);

	/* one plan, the override set and cleared between runs */
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK8,
		    NULL);
		struct over none = { { NULL }, { NULL } };
		double w[3];

		w[0] = compare(&f, d, &none, 5);
		wh_dnnl_set_layer(d, 0);
		w[1] = compare(&f, d, &ov, 5);
		wh_dnnl_set_layer(d, 0);
		w[2] = compare(&f, d, &none, 5);
		for (k = 0; k < 3; k++)
			ok(w[k] <= 1e-4, "one plan, run %d of original, set, "
			    "original weights: within 1e-4 (%.2g)", k + 1, w[k]);
		wh_dnnl_free(d);
	}
	fg_release(&f);
}

static void
test_linear(void)
{
	struct fg f;
	struct wh_layer_weights lr = { 0 };
	struct over ov = { { NULL }, { NULL } };
	int x;

	fg_init(&f, 1, (int64_t[]){ 40 });
	x = fg_linear(&f, 0, 24, EP_BIAS | EP_BN | EP_RELU);
	fg_linear(&f, x, 10, EP_BIAS);
	check_graph(&f, "inner product with BN and relu, then bias", NULL);
	lr.rank = 3;
	lr.vt = fg_floats(&f, 3 * 40, 21, 0.3f);
	lr.u = fg_floats(&f, 24 * 3, 22, 0.3f);
	ov.lw[0] = &lr;
	check_graph(&f, "low-rank inner product", &ov);
	fg_release(&f);

	fg_init(&f, 2, (int64_t[]){ 3, 17 });
	x = fg_linear(&f, 0, 9, EP_BIAS | EP_RELU);
	fg_linear(&f, x, 4, 0);
	check_graph(&f, "matmul, 3 rows per sample", NULL);
	fg_release(&f);
}

static void
test_pools(void)
{
	static const struct {
		const char *what;
		enum wh_opkind kind;
		struct geom gm;
		int ceil, count_pad;
	} cases[] = {
		{ "max 2x2", OP_MAXPOOL, { 2, 2, 2, 2, 1, 1, 0, 0, 0, 0 }, 0, 0 },
		{ "max 3x3 stride 2 pad 1", OP_MAXPOOL,
		    { 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 }, 0, 0 },
		{ "max 3x3 stride 2 ceil mode", OP_MAXPOOL,
		    { 3, 3, 2, 2, 1, 1, 0, 0, 0, 0 }, 1, 0 },
		{ "avg 3x3 pad 1, pads not counted", OP_AVGPOOL,
		    { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, 0, 0 },
		{ "avg 3x3 stride 2 pad 1, pads counted", OP_AVGPOOL,
		    { 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 }, 0, 1 },
		{ "avg 2x2 ceil mode", OP_AVGPOOL,
		    { 2, 2, 2, 2, 1, 1, 0, 0, 0, 0 }, 1, 0 },
		{ "avg 2x2 ceil mode, pads counted (reference)", OP_AVGPOOL,
		    { 2, 2, 2, 2, 1, 1, 0, 0, 0, 0 }, 1, 1 },
		{ "global average", OP_GAP, { 0 }, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fg f;
		int x, p;

		/* conv -> pool -> 1x1 conv: the pool between two layouts */
		fg_init(&f, 3, (int64_t[]){ 3, 11, 11 });
		x = fg_conv(&f, 0, 16, &(struct geom){ 3, 3, 1, 1, 1, 1, 1, 1,
		    1, 1 }, 1, EP_BIAS);
		p = fg_pool(&f, x, cases[i].kind, &cases[i].gm, cases[i].ceil,
		    cases[i].count_pad);
		fg_conv(&f, p, 8, &(struct geom){ 1, 1, 1, 1, 1, 1, 0, 0, 0,
		    0 }, 1, EP_BIAS);
		check_graph(&f, cases[i].what, NULL);
		fg_release(&f);
	}

	/* max pools of 20 channels (blocks with padding; channels last in
	 * lanes of 4 and none left over), dilated, and into the plain graph
	 * output (the input blocked, so oneDNN's pooling runs) */
	for (i = 0; i < 4; i++) {
		static const char *const what[] = {
			"max 2x2 of 20 channels",
			"max 3x3 stride 2 pad 1 ceil mode of 20 channels",
			"max 3x3 dilation 2 pad 2 of 20 channels",
			"max 2x2 of 20 channels into the plain output",
		};
		static const struct geom gms[] = {
			{ 2, 2, 2, 2, 1, 1, 0, 0, 0, 0 },
			{ 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 },
			{ 3, 3, 1, 1, 2, 2, 2, 2, 2, 2 },
			{ 2, 2, 2, 2, 1, 1, 0, 0, 0, 0 },
		};
		struct fg f;
		int x, p;

		fg_init(&f, 3, (int64_t[]){ 3, 10, 10 });
		x = fg_conv(&f, 0, 20, &(struct geom){ 3, 3, 1, 1, 1, 1, 1, 1,
		    1, 1 }, 1, EP_BIAS);
		p = fg_pool(&f, x, OP_MAXPOOL, &gms[i], i == 1, 0);
		if (i < 3)
			fg_conv(&f, p, 8, &(struct geom){ 1, 1, 1, 1, 1, 1, 0,
			    0, 0, 0 }, 1, EP_BIAS);
		check_graph(&f, what[i], NULL);
		fg_release(&f);
	}

	/* the demo's first stage: conv, a ReLU op fused into it, and a max
	 * pool, run five samples a slice (batch 64 in 13 slices, the last
	 * of four) */
	{
		struct fg f;
		int x, r, p, lay;

		fg_init(&f, 3, (int64_t[]){ 1, 28, 28 });
		x = fg_conv(&f, 0, 16, &(struct geom){ 3, 3, 1, 1, 1, 1, 1, 1,
		    1, 1 }, 1, EP_BIAS);
		r = fg_unary(&f, x, U_RELU, 0, 0);
		p = fg_pool(&f, r, OP_MAXPOOL, &(struct geom){ 2, 2, 2, 2, 1, 1,
		    0, 0, 0, 0 }, 0, 0);
		fg_conv(&f, p, 8, &(struct geom){ 3, 3, 1, 1, 1, 1, 1, 1, 1,
		    1 }, 1, EP_BIAS);
		check_graph(&f, "conv, relu and max pool in slices", NULL);
		for (lay = WH_DNNL_NHWC; lay <= WH_DNNL_BLOCK16; lay++) {
			struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, lay,
			    NULL);

			ok(wh_dnnl_sliced(d, 0) == r, "conv, relu and max "
			    "pool, %s: the convolution runs with the pool in "
			    "slices", layout_names[lay]);
			ok(wh_dnnl_written(d, r, 64) == 5 &&
			    wh_dnnl_written(d, x, 64) == 0 &&
			    wh_dnnl_written(d, p, 64) == 64, "conv, relu and "
			    "max pool, %s: of 64 samples the ops write 5 of "
			    "the relu's, none of the convolution's, all of "
			    "the pool's", layout_names[lay]);
			wh_dnnl_free(d);
		}
		fg_release(&f);
	}

	/* the global average of 20 channels (blocks with padding, and
	 * channels last in one group of 16 and one of 4) of 5 x 5 and of
	 * 1 x 1, as squeeze-and-excite has them */
	for (i = 0; i < 3; i++) {
		static const char *const what[] = {
			"global average of 20 channels of 5 x 5",
			"global average of 20 channels of 1 x 1",
			"global average of 20 channels into the plain output",
		};
		struct fg f;
		int x, p;

		fg_init(&f, 3, (int64_t[]){ 3, i == 1 ? 1 : 5, i == 1 ? 1 : 5 });
		x = fg_conv(&f, 0, 20, &(struct geom){ 1, 1, 1, 1, 1, 1, 0, 0,
		    0, 0 }, 1, EP_BIAS);
		p = fg_pool(&f, x, OP_GAP, &(struct geom){ 0 }, 0, 0);
		if (i < 2)
			fg_conv(&f, p, 8, &(struct geom){ 1, 1, 1, 1, 1, 1, 0,
			    0, 0, 0 }, 1, EP_BIAS);
		check_graph(&f, what[i], NULL);
		fg_release(&f);
	}
}

/* A residual block: relu and add run on blocked tensors unchanged. */
static void
test_residual(void)
{
	struct fg f;
	struct geom g3 = { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 };
	int a, b, r, s;

	fg_init(&f, 3, (int64_t[]){ 3, 9, 9 });
	a = fg_conv(&f, 0, 16, &g3, 1, EP_BIAS);
	r = fg_unary(&f, a, U_RELU, 0, 0);
	b = fg_conv(&f, r, 16, &g3, 1, EP_BN);
	s = fg_add(&f, b, a);
	fg_conv(&f, s, 4, &g3, 1, EP_BIAS);
	check_graph(&f, "residual block (relu, add)", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK8,
		    NULL);

		ok(wh_dnnl_tensor_blocked(d, a) && wh_dnnl_tensor_blocked(d, r) &&
		    wh_dnnl_tensor_blocked(d, b) && wh_dnnl_tensor_blocked(d, s),
		    "nChw8c: every tensor inside the block stays blocked");
		ok(!wh_dnnl_tensor_blocked(d, 0) &&
		    !wh_dnnl_tensor_blocked(d, f.g.output),
		    "nChw8c: the graph's input and output stay NCHW");
		ok(wh_dnnl_tensor_floats(d, a) == f.t[a].ss,
		    "16 channels need no padding in nChw8c");
		ok(wh_dnnl_fused(d, 0) == 0 && wh_dnnl_fused(d, 2) == 1,
		    "the add runs as the second convolution's post-op, not "
		    "the relu that the add reads too");
		wh_dnnl_free(d);
	}
	fg_release(&f);

	/* conv, add of the graph's input, relu: the sum would be in NCHW,
	 * where oneDNN adds in its gemm kernels, so the add runs apart */
	fg_init(&f, 3, (int64_t[]){ 16, 8, 8 });
	a = fg_conv(&f, 0, 16, &g3, 1, EP_BN);
	s = fg_add(&f, 0, a);
	r = fg_unary(&f, s, U_RELU, 0, 0);
	fg_conv(&f, r, 4, &g3, 1, EP_BIAS);
	check_graph(&f, "conv, add of the input, relu", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK16,
		    NULL);

		ok(wh_dnnl_fused(d, 0) == 0 && !wh_dnnl_tensor_blocked(d, s),
		    "an add of the NCHW input runs by itself, in NCHW");
		wh_dnnl_free(d);
	}
	fg_release(&f);

	/* conv, conv, add, relu: both post-ops of the second convolution;
	 * then with low-rank factors for it, whose second primitive adds */
	fg_init(&f, 3, (int64_t[]){ 5, 8, 8 });
	a = fg_conv(&f, 0, 16, &g3, 1, EP_BIAS | EP_RELU);
	b = fg_conv(&f, a, 16, &g3, 1, EP_BN);
	s = fg_add(&f, a, b);
	r = fg_unary(&f, s, U_RELU, 0, 0);
	fg_conv(&f, r, 4, &g3, 1, EP_BIAS);
	check_graph(&f, "conv, conv, add, relu", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK16,
		    NULL);

		ok(wh_dnnl_fused(d, 1) == 2 && wh_dnnl_tensor_blocked(d, r),
		    "the add and the relu run as the convolution's post-ops");
		wh_dnnl_free(d);
	}
	{
		struct wh_layer_weights lr = { 0 };
		struct over ov = { { NULL }, { NULL } };
		const struct wh_layer *l = &f.ly[1];

		lr.rank = 5;
		lr.vt = fg_floats(&f, (size_t)(5 * l->in), 21, 0.4f);
		lr.u = fg_floats(&f, (size_t)(l->out * 5), 22, 0.4f);
		ov.lw[1] = &lr;
		check_graph(&f, "low rank 5, then add and relu", &ov);
	}
	fg_release(&f);

	/* ResNet's last block at 32 x 32 inputs: 1 x 1 maps, the
	 * convolution one matrix product that adds the other branch */
	fg_init(&f, 3, (int64_t[]){ 24, 1, 1 });
	a = fg_conv(&f, 0, 24, &g3, 1, EP_BIAS | EP_RELU);
	b = fg_conv(&f, a, 24, &g3, 1, EP_BN);
	s = fg_add(&f, b, a);
	r = fg_unary(&f, s, U_RELU, 0, 0);
	fg_conv(&f, r, 24, &g3, 1, EP_BIAS);
	check_graph(&f, "1 x 1 maps: matrix product, add, relu", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK8,
		    NULL);

		ok(wh_dnnl_fused(d, 1) == 2, "1 x 1 maps: the add and the "
		    "relu run as the matrix product's post-ops");
		wh_dnnl_free(d);
	}
	fg_release(&f);

	/* 6 channels: padded to 8, which the add keeps at 0 */
	fg_init(&f, 3, (int64_t[]){ 3, 9, 9 });
	a = fg_conv(&f, 0, 6, &g3, 1, EP_BIAS);
	b = fg_conv(&f, a, 6, &g3, 1, EP_BN);
	s = fg_add(&f, b, a);
	fg_conv(&f, s, 4, &g3, 1, EP_BIAS);
	check_graph(&f, "residual block, 6 channels", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK8,
		    NULL);

		ok(wh_dnnl_tensor_blocked(d, a) && wh_dnnl_tensor_blocked(d, s) &&
		    wh_dnnl_tensor_floats(d, s) > f.t[s].ss,
		    "nChw8c, 6 channels: the add runs on the padded blocks");
		wh_dnnl_free(d);
	}
	fg_release(&f);
}

/*
 * Winograd's F(4x4, 3x3), which oneDNN has on AVX-512: ResNet's block at
 * 32 channels on 8 x 8 maps, the add of the other branch as a sum into
 * the convolution's dst, the relu after it; then 32 to 16 channels, too
 * few to pay, which stay direct.  Within 1e-4 of the reference either
 * way, in every layout.
 */
static void
test_winograd(void)
{
	struct fg f;
	struct geom g3 = { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 };
	struct over none = { { NULL }, { NULL } };
	struct wh_dnnl *d;
	const char *i0, *i1, *i4;
	double w;
	int a, b, s, r;

	fg_init(&f, 3, (int64_t[]){ 32, 8, 8 });
	a = fg_conv(&f, 0, 32, &g3, 1, EP_BIAS | EP_RELU);
	b = fg_conv(&f, a, 32, &g3, 1, EP_BIAS);
	s = fg_add(&f, b, a);
	r = fg_unary(&f, s, U_RELU, 0, 0);
	fg_conv(&f, r, 16, &g3, 1, EP_BIAS);
	check_graph(&f, "3 x 3, 32 channels, residual block", NULL);

	d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK16, NULL);
	w = compare(&f, d, &none, 64);
	i0 = wh_dnnl_impl(d, 0, 64);
	i1 = wh_dnnl_impl(d, 1, 64);
	i4 = wh_dnnl_impl(d, 4, 64);
	tap_diag("nChw16c: %s; %s; %s (%.2g)", i0, i1, i4, w);
	ok(wh_dnnl_fused(d, 1) == 2, "the add and the relu run as the "
	    "second convolution's post-ops");
	ok(strstr(i4, "wino") == NULL, "32 to 16 channels: direct");
	/* where oneDNN runs its AVX-512 kernels, it has Winograd's */
	if (strstr(i4, "avx512_core") == NULL)
		tap_skip("oneDNN runs no AVX-512 kernels on this CPU, and has "
		    "no Winograd convolution for it");
	else {
		ok(strstr(i0, "wino") != NULL, "32 channels on 8 x 8: "
		    "Winograd's (%s)", i0);
		ok(strstr(i1, "wino") != NULL, "and with the add as its sum "
		    "into dst (%s)", i1);
	}
	wh_dnnl_free(d);

	d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK16, NULL);
	wh_dnnl_set_winograd(d, 0);
	w = compare(&f, d, &none, 64);
	ok(strstr(wh_dnnl_impl(d, 0, 64), "wino") == NULL &&
	    strstr(wh_dnnl_impl(d, 1, 64), "wino") == NULL,
	    "Winograd's off: direct");
	ok(w <= 1e-4, "Winograd's off: within 1e-4 of the reference (%.2g)",
	    w);
	wh_dnnl_free(d);

	/* the workbench's settings of the second convolution: other
	 * weights, as pruning leaves them; low rank 32, whose first factor
	 * is a 3 x 3 of 32 channels too, and whose second adds */
	{
		struct wh_layer_weights pw = { 0 }, lr = { 0 };
		struct over ov = { { NULL }, { NULL } };
		const struct wh_layer *l = &f.ly[1];
		float *nw;
		size_t i;

		nw = fg_floats(&f, (size_t)(l->out * l->in), 31, 0.5f);
		for (i = 0; i < (size_t)(l->out * l->in); i += 2)
			nw[i] = 0;
		pw.w = nw;
		ov.lw[1] = &pw;
		check_graph(&f, "Winograd's layer with half its weights 0", &ov);
		lr.rank = 32;
		lr.vt = fg_floats(&f, (size_t)(32 * l->in), 32, 0.3f);
		lr.u = fg_floats(&f, (size_t)(l->out * 32), 33, 0.3f);
		ov.lw[1] = &lr;
		check_graph(&f, "Winograd's layer at low rank 32", &ov);

		d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK16, NULL);
		w = compare(&f, d, &none, 64);
		wh_dnnl_set_layer(d, 1);
		w = fmax(w, compare(&f, d, &ov, 64));
		tap_diag("low rank 32: %s", wh_dnnl_impl(d, 1, 64));
		wh_dnnl_set_layer(d, 1);
		w = fmax(w, compare(&f, d, &none, 64));
		ok(w <= 1e-4, "one plan: original, low rank, original again, "
		    "within 1e-4 (%.2g)", w);
		wh_dnnl_free(d);
	}
	fg_release(&f);
}

/*
 * SqueezeNet's fire module: two convolutions concatenated along the
 * channels.  With whole blocks the Concat runs on the blocked buffers as
 * they are, with no reorder; 12 channels in blocks of 8 need NCHW.
 */
static void
test_concat(void)
{
	struct fg f;
	struct geom g1 = { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
	    g3 = { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 };
	int s, e1, e3, c;

	fg_init(&f, 3, (int64_t[]){ 5, 7, 7 });
	s = fg_conv(&f, 0, 8, &g1, 1, EP_BIAS | EP_RELU);
	e1 = fg_conv(&f, s, 16, &g1, 1, EP_BIAS | EP_RELU);
	e3 = fg_conv(&f, s, 16, &g3, 1, EP_BIAS | EP_RELU);
	c = fg_concat(&f, e1, e3);
	fg_conv(&f, c, 4, &g1, 1, EP_BIAS);
	check_graph(&f, "fire module (concat of 16 + 16 channels)", NULL);
	{
		struct wh_dnnl *d8 = wh_dnnl_new_layout(&f.g, 1,
		    WH_DNNL_BLOCK8, NULL), *d16 = wh_dnnl_new_layout(&f.g, 1,
		    WH_DNNL_BLOCK16, NULL), *dh = wh_dnnl_new_layout(&f.g, 1,
		    WH_DNNL_NHWC, NULL);

		ok(wh_dnnl_tensor_blocked(d8, e1) && wh_dnnl_tensor_blocked(d8,
		    e3) && wh_dnnl_tensor_blocked(d8, c) &&
		    wh_dnnl_tensor_blocked(d16, c), "nChw8c and nChw16c: the "
		    "concat's inputs and output stay blocked");
		ok(!wh_dnnl_tensor_blocked(dh, c) && !wh_dnnl_tensor_blocked(dh,
		    e1), "channels last: the concat runs on NCHW");
		wh_dnnl_free(d8);
		wh_dnnl_free(d16);
		wh_dnnl_free(dh);
	}
	fg_release(&f);

	fg_init(&f, 3, (int64_t[]){ 5, 7, 7 });
	e1 = fg_conv(&f, 0, 12, &g1, 1, EP_BIAS);
	e3 = fg_conv(&f, 0, 12, &g3, 1, EP_BIAS);
	c = fg_concat(&f, e1, e3);
	fg_conv(&f, c, 4, &g1, 1, EP_BIAS);
	check_graph(&f, "concat of 12 + 12 channels", NULL);
	{
		struct wh_dnnl *d8 = wh_dnnl_new_layout(&f.g, 1,
		    WH_DNNL_BLOCK8, NULL);

		ok(!wh_dnnl_tensor_blocked(d8, c) && !wh_dnnl_tensor_blocked(d8,
		    e1), "nChw8c, 12 channels: the concat's tensors are NCHW");
		wh_dnnl_free(d8);
	}
	fg_release(&f);
}

/*
 * Squeeze-and-excite: a (c, h, w) activation times per-channel scales
 * (c, 1, 1), made here by a convolution over the whole image and a
 * sigmoid.  It runs on the blocked layout, padding channels included (12
 * channels in blocks of 8 or 16), the scales' operand first or second.
 */
static void
test_chscale(void)
{
	static const int chans[2] = { 16, 12 };
	struct geom g3 = { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	    g7 = { 7, 7, 1, 1, 1, 1, 0, 0, 0, 0 },
	    g1 = { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 };
	int i, swap;

	for (i = 0; i < 2; i++)
		for (swap = 0; swap < 2; swap++) {
			struct fg f;
			char what[80];
			int a, sq, sg, m;

			fg_init(&f, 3, (int64_t[]){ 3, 7, 7 });
			a = fg_conv(&f, 0, chans[i], &g3, 1, EP_BIAS | EP_RELU);
			sq = fg_conv(&f, a, chans[i], &g7, 1, EP_BIAS);
			sg = fg_unary(&f, sq, U_SIGMOID, 0, 0);
			m = fg_chmul(&f, a, sg, swap);
			fg_conv(&f, m, 4, &g1, 1, EP_BIAS);
			snprintf(what, sizeof what, "channel scales, %d channels"
			    "%s", chans[i], swap ? ", scales first" : "");
			check_graph(&f, what, NULL);
			{
				struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1,
				    WH_DNNL_BLOCK16, NULL);

				ok(wh_dnnl_tensor_blocked(d, a) &&
				    wh_dnnl_tensor_blocked(d, m), "%s, nChw16c: "
				    "the scaled activation stays blocked", what);
				wh_dnnl_free(d);
			}
			fg_release(&f);
		}
}

/* Activations that alone read a layer's output become its post-ops. */
static void
test_fused_activations(void)
{
	struct fg f;
	struct geom g3 = { 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 };
	int a, b, c, x, k;

	fg_init(&f, 3, (int64_t[]){ 4, 10, 10 });
	a = fg_conv(&f, 0, 16, &g3, 1, EP_BIAS);
	b = fg_unary(&f, a, U_LEAKY, 0.1f, 0);
	c = fg_conv(&f, b, 16, &g3, 1, EP_BN);
	x = fg_unary(&f, c, U_CLIP, -4.0f, 6.0f);
	fg_conv(&f, x, 8, &g3, 1, EP_BIAS | EP_RELU);
	check_graph(&f, "conv, leaky relu, conv, clip, conv", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK16,
		    NULL);

		ok(wh_dnnl_fused(d, 0) == 1 && wh_dnnl_fused(d, 2) == 1 &&
		    wh_dnnl_fused(d, 4) == 0, "leaky relu and clip run as the "
		    "convolutions' post-ops");
		wh_dnnl_free(d);
	}
	fg_release(&f);

	/* the activations of EfficientNet and MobileNetV3, from oneDNN's own
	 * exp and arithmetic: SiLU and HardSwish, then the squeeze-and-
	 * excite gates' sigmoid and HardSigmoid */
	for (k = 0; k < 2; k++) {
		fg_init(&f, 3, (int64_t[]){ 4, 9, 9 });
		a = fg_conv(&f, 0, 16, &g3, 1, EP_BIAS);
		b = fg_unary(&f, a, k ? U_SIGMOID : U_SILU, 0, 0);
		c = fg_conv(&f, b, 16, &g3, 1, EP_BN);
		x = k ? fg_unary(&f, c, U_HARDSIGMOID, 1.0f / 6, 0.5f) :
		    fg_unary(&f, c, U_HARDSWISH, 0, 0);
		fg_conv(&f, x, 8, &g3, 1, EP_BIAS);
		check_graph(&f, k ? "conv, sigmoid, conv, HardSigmoid, conv" :
		    "conv, SiLU, conv, HardSwish, conv", NULL);
		{
			struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1,
			    WH_DNNL_BLOCK16, NULL);

			ok(wh_dnnl_fused(d, 0) && wh_dnnl_fused(d, 2),
			    "%s run as the convolutions' post-ops", k ?
			    "sigmoid and HardSigmoid" : "SiLU and HardSwish");
			wh_dnnl_free(d);
		}
		fg_release(&f);
	}

	/* a sigmoid after 6 channels: not where the padding channels of a
	 * blocked layout would come out 0.5 */
	fg_init(&f, 3, (int64_t[]){ 4, 9, 9 });
	a = fg_conv(&f, 0, 6, &g3, 1, EP_BIAS);
	b = fg_unary(&f, a, U_SIGMOID, 0, 0);
	c = fg_conv(&f, b, 6, &g3, 1, EP_BIAS);
	x = fg_unary(&f, c, U_SILU, 0, 0);
	fg_conv(&f, x, 4, &g3, 1, EP_BIAS);
	check_graph(&f, "conv to 6 channels, sigmoid, conv, SiLU, conv", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK16,
		    NULL);
		struct wh_dnnl *p = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_NCHW,
		    NULL);

		ok(!wh_dnnl_fused(d, 0) && wh_dnnl_fused(d, 2),
		    "nChw16c: the sigmoid after 6 channels runs by itself, the "
		    "SiLU as a post-op");
		ok(wh_dnnl_fused(p, 0), "NCHW: the sigmoid after 6 channels is "
		    "a post-op");
		wh_dnnl_free(d);
		wh_dnnl_free(p);
	}
	fg_release(&f);

	/* padding channels stay 0 through tanh, not through exp: blocked
	 * with padding only where they do */
	fg_init(&f, 3, (int64_t[]){ 3, 9, 9 });
	a = fg_conv(&f, 0, 6, &g3, 1, EP_BIAS);
	b = fg_unary(&f, a, U_TANH, 0, 0);
	c = fg_conv(&f, b, 6, &g3, 1, EP_BN);
	x = fg_unary(&f, c, U_EXP, 0, 0);
	fg_conv(&f, x, 4, &g3, 1, EP_BIAS);
	check_graph(&f, "conv to 6 channels, tanh, conv to 6, exp, conv", NULL);
	{
		struct wh_dnnl *d = wh_dnnl_new_layout(&f.g, 1, WH_DNNL_BLOCK8,
		    NULL);

		ok(wh_dnnl_tensor_blocked(d, a) && wh_dnnl_tensor_blocked(d, b) &&
		    wh_dnnl_tensor_floats(d, b) > f.t[b].ss &&
		    !wh_dnnl_tensor_blocked(d, c) && !wh_dnnl_tensor_blocked(d, x),
		    "nChw8c: tanh on 6 channels runs on the padded blocks, exp "
		    "on NCHW");
		wh_dnnl_free(d);
	}
	fg_release(&f);

	fg_init(&f, 1, (int64_t[]){ 30 });
	a = fg_linear(&f, 0, 20, EP_BIAS);
	b = fg_unary(&f, a, U_RELU, 0, 0);
	fg_linear(&f, b, 5, EP_BIAS);
	check_graph(&f, "inner product, relu, inner product", NULL);
	fg_release(&f);
}

static struct wh_eval *
demo_eval(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_dataset *d, const char *kernels, size_t cache)
{
	struct wh_eval_opts o = { 0 };
	struct wh_eval *e;

	o.threads = 2;
	o.cache_bytes = cache;
	setenv("WHITTLE_KERNELS", kernels, 1);
	e = wh_eval_new(g, d, &m->pre, 1, &o, NULL);
	unsetenv("WHITTLE_KERNELS");
	return e;
}

/*
 * The evaluator on the demo: the second convolution reads a pool's output,
 * which the plan keeps blocked, and its restart point caches it so.  A
 * change there restarts from that cache and must give what a fresh run
 * gives; calibration captures of its input come back as NCHW, equal to the
 * reference kernels' within float rounding.
 */
static void
test_eval_cache(void)
{
	char *images = NULL, *labels = NULL, *path = fx_model("fashion-cnn");
	char *err = NULL;
	struct wh_model *m = NULL;
	struct wh_graph *g = NULL;
	struct wh_dataset *d = NULL;
	struct wh_eval *cached, *fresh, *ref;
	struct wh_layer_weights lw = { 0 };
	const struct wh_layer *l;
	struct wh_metrics m1, m2;
	int32_t *p1, *p2;
	float *w, *cap_d, *cap_r;
	size_t i, n, diff = 0, sz_d, sz_r;
	double worst = 0;

	if (!fx_have_fashion(&images, &labels)) {
		tap_skip("Fashion-MNIST is not installed (Debian's "
		    "dataset-fashion-mnist)");
		free(path);
		return;
	}
	if ((m = wh_model_load(path, &err)) == NULL ||
	    (g = wh_graph_new(m, &err)) == NULL ||
	    (d = wh_data_load(images, labels, 10, &err)) == NULL) {
		ok(0, "demo loads (%s)", err);
		free(err);
		goto out;
	}
	l = wh_graph_layer(g, 1);
	{
		struct wh_dnnl *plan = wh_dnnl_new(g, 1, NULL);

		tap_diag("the plan's layout: %s", layout_names[
		    wh_dnnl_layout(plan)]);
		ok(wh_dnnl_layout(plan) == WH_DNNL_NCHW ||
		    wh_dnnl_tensor_blocked(plan, g->ops[l->op].in[0]),
		    "the second convolution's input is in the plan's layout");
		wh_dnnl_free(plan);
	}
	cached = demo_eval(m, g, d, "dnnl", (size_t)1 << 30);
	p1 = calloc(d->n, sizeof *p1);
	p2 = calloc(d->n, sizeof *p2);
	ok(wh_eval_run(cached, 0, NULL, NULL, &m1, p1, NULL) == 0,
	    "cached evaluator: first run");
	wh_metrics_release(&m1);
	n = (size_t)(l->out * l->in);
	w = malloc(n * sizeof *w);
	for (i = 0; i < n; i++)
		w[i] = roundf(l->w[i] * 8) / 8;
	lw.w = w;
	wh_eval_set_layer(cached, 1, &lw);
	ok(wh_eval_run(cached, 0, NULL, NULL, &m1, p1, NULL) == 0,
	    "cached evaluator: run with layer 1 changed");
	ok(wh_eval_last_start(cached) == 1, "a change in layer 1 restarts at "
	    "layer 1 (%d)", wh_eval_last_start(cached));
	fresh = demo_eval(m, g, d, "dnnl", 0);
	wh_eval_set_layer(fresh, 1, &lw);
	wh_eval_run(fresh, 0, NULL, NULL, &m2, p2, NULL);
	for (i = 0; i < d->n; i++)
		diff += p1[i] != p2[i];
	ok(diff == 0 && m1.correct == m2.correct, "restarted and fresh runs "
	    "agree (%zu vs %zu correct, %zu differ)", m1.correct, m2.correct,
	    diff);
	wh_metrics_release(&m1);
	wh_metrics_release(&m2);

	ref = demo_eval(m, g, d, "ref", 0);
	if (wh_eval_capture(cached, 1, 300, &cap_d, &sz_d, NULL) == 0 &&
	    wh_eval_capture(ref, 1, 300, &cap_r, &sz_r, NULL) == 0) {
		ok(sz_d == sz_r && sz_d == 16 * 14 * 14, "capture: %zu values "
		    "per sample, as NCHW (16, 14, 14)", sz_d);
		for (i = 0; i < 300 * sz_r && sz_d == sz_r; i++)
			if (fabs((double)cap_d[i] - cap_r[i]) > worst)
				worst = fabs((double)cap_d[i] - cap_r[i]);
		ok(sz_d == sz_r && worst <= 1e-4, "capture of layer 1's input "
		    "equals the reference kernels' (max difference %.2g)", worst);
		free(cap_d);
		free(cap_r);
	} else
		ok(0, "capture");
	wh_eval_free(ref);
	wh_eval_free(fresh);
	wh_eval_free(cached);
	free(w);
	free(p1);
	free(p2);
out:
	wh_data_free(d);
	wh_graph_free(g);
	wh_model_free(m);
	free(path);
	free(images);
	free(labels);
}

static void
test_wanted(void)
{
	char *err = NULL;

	unsetenv("WHITTLE_KERNELS");
	ok(wh_dnnl_wanted(&err) == 1, "WHITTLE_KERNELS unset: oneDNN");
	setenv("WHITTLE_KERNELS", "ref", 1);
	ok(wh_dnnl_wanted(&err) == 0, "WHITTLE_KERNELS=ref: the reference");
	setenv("WHITTLE_KERNELS", "dnnl", 1);
	ok(wh_dnnl_wanted(&err) == 1, "WHITTLE_KERNELS=dnnl: oneDNN");
	setenv("WHITTLE_KERNELS", "fast", 1);
	ok(wh_dnnl_wanted(&err) == -1 && err != NULL &&
	    strstr(err, "'fast'") != NULL, "WHITTLE_KERNELS=fast: %s",
	    err ? err : "no message");
	free(err);
	unsetenv("WHITTLE_KERNELS");
}

int
main(void)
{
	test_wanted();
	test_convs();
	test_dense();
	test_overrides();
	test_linear();
	test_pools();
	test_residual();
	test_winograd();
	test_concat();
	test_chscale();
	test_fused_activations();
	test_eval_cache();
	return tap_done();
}
