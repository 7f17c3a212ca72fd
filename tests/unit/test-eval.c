/* test-eval.c - the evaluator against PyTorch's outputs, and the identities
 * behind overrides, low-rank execution, caching and threads */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "whittle/data.h"
#include "whittle/eval.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/util.h"
#include "fixtures.h"

static const char *models[] = {
	"fashion-mlp", "fashion-cnn", "resnet-bn", "mlp-matmul", "lenet-op17"
};

struct setup {
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dataset *d;
};

static int
setup(struct setup *s, const char *name, const char *images,
    const char *labels)
{
	char *path = fx_model(name), *err = NULL;

	memset(s, 0, sizeof *s);
	s->m = wh_model_load(path, &err);
	free(path);
	if (s->m == NULL || (s->g = wh_graph_new(s->m, &err)) == NULL) {
		tap_diag("%s: %s", name, err);
		free(err);
		return -1;
	}
	s->d = wh_data_load(images, labels, 10, &err);
	if (s->d == NULL) {
		tap_diag("%s", err);
		free(err);
		return -1;
	}
	return 0;
}

static void
teardown(struct setup *s)
{
	wh_data_free(s->d);
	wh_graph_free(s->g);
	wh_model_free(s->m);
}

static struct wh_eval *
evaluator(struct setup *s, int threads, size_t cache)
{
	struct wh_eval_opts o = { 0 };

	o.threads = threads;
	o.cache_bytes = cache;
	return wh_eval_new(s->g, s->d, &s->m->pre, 1, &o, NULL);
}

/* Logits of the first 64 images and all 10,000 predictions match PyTorch. */
static void
test_reference(const char *name, const char *images, const char *labels)
{
	struct setup s;
	struct wh_eval *e;
	struct wh_metrics m;
	char rel[256];
	float *ref, out[64 * 10];
	int64_t *pred;
	int32_t *ours;
	size_t bytes, i, mism = 0;
	double maxd = 0;
	long correct = fx_ref_correct(name);

	if (setup(&s, name, images, labels) != 0) {
		ok(0, "%s: loads and compiles", name);
		return;
	}
	e = evaluator(&s, 2, 0);
	ok(e != NULL, "%s: evaluator", name);
	snprintf(rel, sizeof rel, "tests/fixtures/ref/%s.logits64.npy", name);
	ref = fx_npy(rel, &bytes);
	ok(ref != NULL && bytes == sizeof out, "%s: reference logits", name);
	ok(wh_graph_output_size(s.g) == 10, "%s: 10 outputs", name);
	if (ref != NULL && bytes == sizeof out &&
	    wh_eval_outputs(e, 0, 64, out, NULL) == 0) {
		for (i = 0; i < 64 * 10; i++)
			if (fabs(out[i] - ref[i]) > maxd)
				maxd = fabs(out[i] - ref[i]);
		tap_diag("%s: max |logit - PyTorch| = %.3g", name, maxd);
		ok(maxd <= 1e-4, "%s: logits within 1e-4 of PyTorch (%.2g)",
		    name, maxd);
	} else
		ok(0, "%s: outputs", name);
	free(ref);
	snprintf(rel, sizeof rel, "tests/fixtures/ref/%s.pred.npy", name);
	pred = fx_npy(rel, &bytes);
	ours = calloc(s.d->n, sizeof *ours);
	ok(wh_eval_run(e, 0, NULL, NULL, &m, ours, NULL) == 0, "%s: run", name);
	if (pred != NULL && bytes == s.d->n * sizeof *pred) {
		for (i = 0; i < s.d->n; i++)
			if (ours[i] != pred[i])
				mism++;
		ok(mism == 0, "%s: all %zu predictions equal PyTorch's (%zu "
		    "differ)", name, s.d->n, mism);
	} else
		ok(0, "%s: reference predictions", name);
	ok((long)m.correct == correct, "%s: %zu correct, PyTorch %ld", name,
	    m.correct, correct);
	wh_metrics_release(&m);
	free(pred);
	free(ours);
	wh_eval_free(e);
	teardown(&s);
}

/* Rank-r factors of w: (m, n): u = U_r S_r (m, r), vt = V_r^T (r, n). */
static int
factor(const float *w, int m, int n, int r, float *u, float *vt)
{
	int k = m < n ? m : n, i, j;
	float *a = malloc(sizeof(float) * m * n), *s = malloc(sizeof(float) * k);
	float *U = malloc(sizeof(float) * m * k), *VT = malloc(sizeof(float) * k * n);
	int info;

	memcpy(a, w, sizeof(float) * m * n);
	info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', m, n, a, n, s, U, k, VT, n);
	for (i = 0; i < m; i++)
		for (j = 0; j < r; j++)
			u[i * r + j] = U[i * k + j] * s[j];
	for (i = 0; i < r; i++)
		memcpy(vt + (size_t)i * n, VT + (size_t)i * n, sizeof(float) * n);
	free(a);
	free(s);
	free(U);
	free(VT);
	return info;
}

static double
maxdiff(const float *a, const float *b, size_t n)
{
	double d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (fabs(a[i] - b[i]) > d)
			d = fabs(a[i] - b[i]);
	return d;
}

/*
 * Low-rank layers run as two products.  Their outputs must equal those of
 * the dense product u . vt put in as an ordinary weight.
 */
static void
test_lowrank(const char *images, const char *labels)
{
	struct setup s;
	struct wh_eval *e;
	float a[64 * 10], b[64 * 10];
	int li;

	if (setup(&s, "fashion-cnn", images, labels) != 0) {
		ok(0, "cnn loads");
		return;
	}
	e = evaluator(&s, 2, 0);
	for (li = 0; li < wh_graph_nlayers(s.g); li++) {
		const struct wh_layer *l = wh_graph_layer(s.g, li);
		int m = (int)l->out, n = (int)l->in, r = l->max_rank / 2 + 1;
		float *u = malloc(sizeof(float) * m * r);
		float *vt = malloc(sizeof(float) * r * n);
		float *w = malloc(sizeof(float) * m * n);
		struct wh_layer_weights lw = { 0 };
		int i, j, k;

		ok(factor(l->w, m, n, r, u, vt) == 0, "%s: SVD", l->name);
		for (i = 0; i < m; i++)
			for (j = 0; j < n; j++) {
				double acc = 0;

				for (k = 0; k < r; k++)
					acc += (double)u[i * r + k] * vt[k * n + j];
				w[i * n + j] = (float)acc;
			}
		lw.rank = r;
		lw.u = u;
		lw.vt = vt;
		wh_eval_set_layer(e, li, &lw);
		wh_eval_outputs(e, 0, 64, a, NULL);
		memset(&lw, 0, sizeof lw);
		lw.w = w;
		wh_eval_set_layer(e, li, &lw);
		wh_eval_outputs(e, 0, 64, b, NULL);
		ok(maxdiff(a, b, 640) < 1e-3, "%s: rank %d factors give the "
		    "dense product's outputs (%.2g)", l->name, r,
		    maxdiff(a, b, 640));
		wh_eval_set_layer(e, li, NULL);
		free(u);
		free(vt);
		free(w);
	}
	/* spatial factorization of the second convolution: (out*kh, cin*kw) */
	{
		int li2 = 1;
		const struct wh_layer *l = wh_graph_layer(s.g, li2);
		int oc = (int)l->out, c = (int)l->cin, kh = (int)l->kh, kw = (int)l->kw;
		int m = oc * kh, n = c * kw, r = 7, o, y, ci, x;
		float *mat = malloc(sizeof(float) * m * n);
		float *u = malloc(sizeof(float) * m * r), *vt = malloc(sizeof(float) * r * n);
		float *w = malloc(sizeof(float) * oc * c * kh * kw);
		struct wh_layer_weights lw = { 0 };

		for (o = 0; o < oc; o++)
			for (ci = 0; ci < c; ci++)
				for (y = 0; y < kh; y++)
					for (x = 0; x < kw; x++)
						mat[(o * kh + y) * n + ci * kw + x] =
						    l->w[((o * c + ci) * kh + y) * kw + x];
		factor(mat, m, n, r, u, vt);
		for (o = 0; o < oc; o++)
			for (ci = 0; ci < c; ci++)
				for (y = 0; y < kh; y++)
					for (x = 0; x < kw; x++) {
						double acc = 0;
						int k;

						for (k = 0; k < r; k++)
							acc += (double)u[(o * kh + y) * r + k] *
							    vt[k * n + ci * kw + x];
						w[((o * c + ci) * kh + y) * kw + x] =
						    (float)acc;
					}
		lw.rank = r;
		lw.spatial = 1;
		lw.u = u;
		lw.vt = vt;
		wh_eval_set_layer(e, li2, &lw);
		wh_eval_outputs(e, 0, 64, a, NULL);
		memset(&lw, 0, sizeof lw);
		lw.w = w;
		wh_eval_set_layer(e, li2, &lw);
		wh_eval_outputs(e, 0, 64, b, NULL);
		ok(maxdiff(a, b, 640) < 1e-3, "spatial rank %d factors give the "
		    "dense product's outputs (%.2g)", r, maxdiff(a, b, 640));
		wh_eval_set_layer(e, li2, NULL);
		free(mat);
		free(u);
		free(vt);
		free(w);
	}
	wh_eval_free(e);
	teardown(&s);
}

/*
 * A run that restarts from cached activations gives exactly what a fresh
 * evaluator computes from the input with the same overrides.
 */
static void
test_cache(const char *images, const char *labels)
{
	struct setup s;
	struct wh_eval *cached, *fresh;
	struct wh_metrics m1, m2;
	int32_t *p1, *p2;
	int nl, li, step;
	float *w[8];

	if (setup(&s, "fashion-cnn", images, labels) != 0) {
		ok(0, "cnn loads");
		return;
	}
	nl = wh_graph_nlayers(s.g);
	cached = evaluator(&s, 2, (size_t)1 << 30);
	p1 = calloc(s.d->n, sizeof *p1);
	p2 = calloc(s.d->n, sizeof *p2);
	ok(wh_eval_run(cached, 0, NULL, NULL, &m1, p1, NULL) == 0, "first run");
	ok(wh_eval_last_start(cached) == -1, "the first run starts at the input");
	wh_metrics_release(&m1);
	for (li = 0; li < nl && li < 8; li++) {
		const struct wh_layer *l = wh_graph_layer(s.g, li);
		size_t n = (size_t)(l->out * l->in), k;

		w[li] = malloc(n * sizeof *w[li]);
		for (k = 0; k < n; k++)	/* crude 2-bit-like rounding */
			w[li][k] = roundf(l->w[k] * 8) / 8;
	}
	/* change the last layer, then the first, then restore the last */
	for (step = 0; step < 3; step++) {
		struct wh_layer_weights lw = { 0 };
		int target = step == 1 ? 0 : nl - 1;
		size_t i, diff = 0;

		lw.w = w[target];
		wh_eval_set_layer(cached, target, step == 2 ? NULL : &lw);
		ok(wh_eval_run(cached, 0, NULL, NULL, &m1, p1, NULL) == 0,
		    "cached run %d", step);
		/* the first layer runs on the input itself */
		ok(wh_eval_last_start(cached) == (target == 0 ? -1 : target),
		    "step %d restarts at layer %d (got %d)", step, target,
		    wh_eval_last_start(cached));
		fresh = evaluator(&s, 1, 0);
		if (step >= 1) {
			lw.w = w[0];
			wh_eval_set_layer(fresh, 0, &lw);
		}
		if (step == 0 || step == 1) {
			lw.w = w[nl - 1];
			wh_eval_set_layer(fresh, nl - 1, &lw);
		}
		wh_eval_run(fresh, 0, NULL, NULL, &m2, p2, NULL);
		for (i = 0; i < s.d->n; i++)
			diff += p1[i] != p2[i];
		ok(diff == 0 && m1.correct == m2.correct, "step %d: cached and "
		    "fresh runs agree (%zu vs %zu correct, %zu differ)", step,
		    m1.correct, m2.correct, diff);
		wh_metrics_release(&m1);
		wh_metrics_release(&m2);
		wh_eval_free(fresh);
	}
	for (li = 0; li < nl && li < 8; li++)
		free(w[li]);
	free(p1);
	free(p2);
	wh_eval_free(cached);
	teardown(&s);
}

/* Activation quantization with a scale so coarse that every input rounds to
 * zero leaves only the bias: the outputs equal it exactly. */
static void
test_act_quant(const char *images, const char *labels)
{
	struct setup s;
	struct wh_eval *e;
	struct wh_layer_weights lw = { 0 };
	float out[16 * 10], fine[16 * 10], base[16 * 10];
	const struct wh_layer *l;
	int nl, i, same = 1;

	if (setup(&s, "fashion-mlp", images, labels) != 0) {
		ok(0, "mlp loads");
		return;
	}
	e = evaluator(&s, 1, 0);
	nl = wh_graph_nlayers(s.g);
	l = wh_graph_layer(s.g, nl - 1);
	wh_eval_outputs(e, 0, 16, base, NULL);
	lw.act_bits = 8;
	lw.act_scale = 1e6f;
	lw.act_zero = 0;
	wh_eval_set_layer(e, nl - 1, &lw);
	wh_eval_outputs(e, 0, 16, out, NULL);
	for (i = 0; i < 16 * 10; i++)
		if (out[i] != l->bias[i % 10])
			same = 0;
	ok(same, "inputs quantized to zero leave exactly the bias");
	lw.act_scale = 0.05f;
	lw.act_zero = 0;
	wh_eval_set_layer(e, nl - 1, &lw);
	wh_eval_outputs(e, 0, 16, fine, NULL);
	ok(maxdiff(fine, base, 160) > 0 && maxdiff(fine, base, 160) < 1.0,
	    "8-bit inputs move the logits a little (%.3g)",
	    maxdiff(fine, base, 160));
	wh_eval_free(e);
	teardown(&s);
}

static int
cancel_after_one(void *arg, size_t done, size_t total, size_t correct)
{
	(void)done;
	(void)total;
	(void)correct;
	(*(int *)arg)++;
	return 1;
}

static void
test_threads_cancel(const char *images, const char *labels)
{
	struct setup s;
	struct wh_eval *e1, *e2;
	int32_t *p1, *p2;
	size_t i, diff = 0;
	int calls = 0;

	if (setup(&s, "resnet-bn", images, labels) != 0) {
		ok(0, "resnet loads");
		return;
	}
	e1 = evaluator(&s, 1, 0);
	e2 = evaluator(&s, 2, 0);
	p1 = calloc(s.d->n, sizeof *p1);
	p2 = calloc(s.d->n, sizeof *p2);
	wh_eval_run(e1, 2000, NULL, NULL, NULL, p1, NULL);
	wh_eval_run(e2, 2000, NULL, NULL, NULL, p2, NULL);
	for (i = 0; i < 2000; i++)
		diff += p1[i] != p2[i];
	ok(diff == 0, "one and two threads predict the same");
	ok(wh_eval_run(e2, 0, cancel_after_one, &calls, NULL, NULL, NULL) == 1,
	    "a progress callback cancels the run");
	ok(calls == 1, "cancelled after the first batch");
	free(p1);
	free(p2);
	wh_eval_free(e1);
	wh_eval_free(e2);
	teardown(&s);
}

int
main(void)
{
	char *images = NULL, *labels = NULL;
	size_t i;

	if (!fx_have_fashion(&images, &labels)) {
		tap_skip("Fashion-MNIST is not installed (Debian's "
		    "dataset-fashion-mnist)");
		return tap_done();
	}
	for (i = 0; i < sizeof models / sizeof models[0]; i++)
		test_reference(models[i], images, labels);
	test_lowrank(images, labels);
	test_cache(images, labels);
	test_act_quant(images, labels);
	test_threads_cancel(images, labels);
	free(images);
	free(labels);
	return tap_done();
}
