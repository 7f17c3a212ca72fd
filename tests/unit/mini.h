/* mini.h - one-node (or few-node) models built in memory for the unit
 * tests, freed by wh_model_free */
#ifndef WHITTLE_TEST_MINI_H
#define WHITTLE_TEST_MINI_H

#include <stdlib.h>
#include <string.h>

#include "whittle/eval.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/util.h"

/* A model with input x: (batch, dims...) and no nodes yet. */
static inline struct wh_model *
mini_new(int64_t opset, int ndim, const int64_t *dims)
{
	struct wh_model *m = xcalloc(1, sizeof *m);

	m->path = xstrdup("mini.onnx");
	m->opset = opset;
	m->inputs = xcalloc(1, sizeof *m->inputs);
	m->ninputs = 1;
	m->inputs[0].name = xstrdup("x");
	m->inputs[0].elem_type = 1;
	m->inputs[0].ndim = ndim + 1;
	m->inputs[0].dims[0] = -1;
	memcpy(m->inputs[0].dims + 1, dims, ndim * sizeof *dims);
	return m;
}

/* Appends a node; ins is a comma separated list ("" for no inputs, "x,"
 * for x and an unnamed one). */
static inline struct wh_node *
mini_node(struct wh_model *m, const char *op, const char *name,
    const char *ins, const char *out)
{
	struct wh_node *n;
	const char *p = ins;

	m->nodes = xreallocarray(m->nodes, m->nnodes + 1, sizeof *m->nodes);
	n = &m->nodes[m->nnodes++];
	memset(n, 0, sizeof *n);
	n->name = xstrdup(name);
	n->op = xstrdup(op);
	while (*ins != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		n->inputs = xreallocarray(n->inputs, n->ninputs + 1,
		    sizeof *n->inputs);
		n->inputs[n->ninputs++] = xstrndup(p, len);
		if (e == NULL)
			break;
		p = e + 1;
	}
	n->outputs = xcalloc(1, sizeof *n->outputs);
	n->outputs[0] = xstrdup(out);
	n->noutputs = 1;
	return n;
}

/* A new attribute of n, named and typed, its value still zero. */
static inline struct wh_attr *
mini_attr(struct wh_node *n, const char *name, enum wh_attr_type type)
{
	struct wh_attr *a;

	n->attrs = xreallocarray(n->attrs, n->nattrs + 1, sizeof *n->attrs);
	a = &n->attrs[n->nattrs++];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(name);
	a->type = type;
	return a;
}

static inline void
mini_attr_ints(struct wh_node *n, const char *name, int cnt, int64_t v)
{
	struct wh_attr *a = mini_attr(n, name, WH_ATTR_INTS);
	int i;

	a->ints = xcalloc(cnt, sizeof *a->ints);
	for (i = 0; i < cnt; i++)
		a->ints[i] = v;
	a->n = (size_t)cnt;
}

static inline void
mini_attr_float(struct wh_node *n, const char *name, float v)
{
	mini_attr(n, name, WH_ATTR_FLOAT)->f = v;
}

/* A float initializer filled with v. */
static inline void
mini_init(struct wh_model *m, const char *name, int ndim, const int64_t *dims,
    float v)
{
	struct wh_tensor *t;
	size_t k;

	m->inits = xreallocarray(m->inits, m->ninits + 1, sizeof *m->inits);
	t = &m->inits[m->ninits++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->dtype = WH_FLOAT;
	t->elem_type = 1;
	t->ndim = ndim;
	if (ndim > 0)
		memcpy(t->dims, dims, ndim * sizeof *dims);
	wh_tensor_count(dims, ndim, &t->count);
	t->f = xcalloc(t->count, sizeof *t->f);
	for (k = 0; k < t->count; k++)
		t->f[k] = v;
}

static inline void
mini_output(struct wh_model *m, const char *name)
{
	m->outputs = xcalloc(1, sizeof *m->outputs);
	m->noutputs = 1;
	m->outputs[0].name = xstrdup(name);
	m->outputs[0].elem_type = 1;
}

static inline void
mini_attr_str(struct wh_node *n, const char *name, const char *v)
{
	mini_attr(n, name, WH_ATTR_STRING)->s = xstrdup(v);
}

/* An int64 initializer holding v[0 .. count). */
static inline void
mini_init_ints(struct wh_model *m, const char *name, size_t count,
    const int64_t *v)
{
	struct wh_tensor *t;

	m->inits = xreallocarray(m->inits, m->ninits + 1, sizeof *m->inits);
	t = &m->inits[m->ninits++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->dtype = WH_INT64;
	t->elem_type = 7;
	t->ndim = 1;
	t->dims[0] = (int64_t)count;
	t->count = count;
	t->i = xcalloc(count ? count : 1, sizeof *t->i);
	memcpy(t->i, v, count * sizeof *v);
}

/*
 * Compiles m and runs it on n samples of x (each of the input's size):
 * the outputs in y (n x the output size), 0; or -1 with the message in
 * *err.  *outsize is the output size per sample.
 */
static inline int
mini_run(struct wh_model *m, const float *x, size_t n, float **y,
    size_t *outsize, char **err)
{
	struct wh_dataset d = { 0 };
	struct wh_preproc pre = { 0 };
	struct wh_eval_opts opts = { 0 };
	struct wh_graph *g;
	struct wh_eval *e;
	int32_t *labels;
	int r;

	if ((g = wh_graph_new(m, err)) == NULL)
		return -1;
	labels = xcalloc(n, sizeof *labels);
	d.images_path = (char *)"mini";
	d.n = n;
	d.c = d.h = 1;
	d.w = (int)wh_graph_input_size(g);
	d.sample_ndim = 1;
	d.f = (float *)x;
	d.labels = labels;
	d.nclasses = 1;
	opts.batch = (int)n;
	opts.threads = 1;
	*outsize = wh_graph_output_size(g);
	*y = xcalloc(n * *outsize, sizeof **y);
	e = wh_eval_new(g, &d, &pre, 0, &opts, err);
	r = e != NULL ? wh_eval_outputs(e, 0, n, *y, err) : -1;
	wh_eval_free(e);
	wh_graph_free(g);
	free(labels);
	return r;
}

#endif
