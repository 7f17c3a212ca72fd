/* test-ops.c - operators on activations against numpy's references
 * (tools/op_refs.py writes them from the ONNX definitions) */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "mini.h"

/* The max |a - b| over n values, or -1 when a count differs. */
static double
max_diff(const float *a, const float *b, size_t n)
{
	double m = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];

		if (d > m || a[i] != a[i])
			m = a[i] != a[i] ? 1e30 : d;
	}
	return m;
}

/* Pad in every mode on x: (2, 2, 3, 4), pads from the second input. */
static void
test_pad(void)
{
	static const struct {
		const char *name, *mode;
		int64_t pads[8];
		float value;
	} cases[] = {
		{ "constant", "constant", { 0, 0, 1, 2, 0, 0, 2, 1 }, 0.5f },
		{ "reflect", "reflect", { 0, 0, 2, 3, 0, 0, 1, 2 }, 0 },
		{ "edge", "edge", { 0, 0, 3, 1, 0, 0, 0, 2 }, 0 },
		{ "crop", "constant", { 0, 0, -1, 1, 0, 0, 1, -2 }, -1.0f },
	};
	size_t xb, rb, i, os;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *ref, *y;
	char rel[128], *err = NULL;
	int r;

	if (!ok(x != NULL && xb == 2 * 24 * sizeof(float),
	    "the Pad input reference is there"))
		return;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wh_model *m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
		struct wh_node *n;

		snprintf(rel, sizeof rel, "tests/fixtures/ref/op-pad-%s.npy",
		    cases[i].name);
		ref = fx_npy(rel, &rb);
		mini_init_ints(m, "pads", 8, cases[i].pads);
		mini_init(m, "value", 0, (int64_t[]){ 1 }, cases[i].value);
		n = mini_node(m, "Pad", "pad", strcmp(cases[i].mode,
		    "constant") == 0 ? "x,pads,value" : "x,pads", "y");
		mini_attr_str(n, "mode", cases[i].mode);
		mini_output(m, "y");
		y = NULL;
		os = 0;
		r = ref != NULL ? mini_run(m, x, 2, &y, &os, &err) : -1;
		if (ok(r == 0 && os * 2 * sizeof(float) == rb, "Pad %s compiles "
		    "and runs, %zu values per sample%s%s", cases[i].name, os,
		    err ? ": " : "", err ? err : ""))
			ok(max_diff(y, ref, 2 * os) == 0, "Pad %s equals numpy's "
			    "(max difference %g)", cases[i].name,
			    max_diff(y, ref, 2 * os));
		free(err);
		err = NULL;
		free(y);
		free(ref);
		wh_model_free(m);
	}
	{
		struct wh_model *m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });

		mini_init_ints(m, "pads", 8, (int64_t[]){ 1, 0, 0, 0, 0, 0, 0,
		    0 });
		mini_node(m, "Pad", "pad", "x,pads", "y");
		mini_output(m, "y");
		y = NULL;
		r = mini_run(m, x, 2, &y, &os, &err);
		ok(r != 0 && err != NULL && strstr(err, "batch") != NULL,
		    "padding the batch is refused: %s", err ? err : "");
		free(y);
		free(err);
		err = NULL;
		wh_model_free(m);
	}
	free(x);
}

static void
mini_attr_float(struct wh_node *n, const char *name, float v)
{
	struct wh_attr *a;

	n->attrs = xreallocarray(n->attrs, n->nattrs + 1, sizeof *n->attrs);
	a = &n->attrs[n->nattrs++];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(name);
	a->type = WH_ATTR_FLOAT;
	a->f = v;
}

/* Elementwise operators on x: (2, 2, 3, 4), within a few float32 ulps
 * of numpy's float32 results. */
static void
test_elementwise(void)
{
	static const char *const names[] = { "HardSigmoid", "HardSwish",
		"Reciprocal", "Pow" };
	size_t xb, rb, i, os, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *ref, *y;
	char rel[128], lower[32], *err = NULL;
	int r;

	if (x == NULL)
		return;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct wh_model *m = mini_new(14, 3, (int64_t[]){ 2, 3, 4 });
		struct wh_node *n;
		double worst = 0;

		for (k = 0; names[i][k] != '\0'; k++)
			lower[k] = (char)(names[i][k] | 0x20);
		lower[k] = '\0';
		snprintf(rel, sizeof rel, "tests/fixtures/ref/op-%s.npy", lower);
		ref = fx_npy(rel, &rb);
		if (strcmp(names[i], "Pow") == 0) {
			static const float e[4] = { 2, 3, -2, 1 };

			mini_init(m, "e", 1, (int64_t[]){ 4 }, 0);
			memcpy(m->inits[0].f, e, sizeof e);
			n = mini_node(m, names[i], "op", "x,e", "y");
		} else
			n = mini_node(m, names[i], "op", "x", "y");
		if (strcmp(names[i], "HardSigmoid") == 0) {
			mini_attr_float(n, "alpha", 0.3f);
			mini_attr_float(n, "beta", 0.4f);
		}
		mini_output(m, "y");
		y = NULL;
		os = 0;
		r = ref != NULL ? mini_run(m, x, 2, &y, &os, &err) : -1;
		if (ok(r == 0 && os * 2 * sizeof(float) == rb, "%s compiles and "
		    "runs%s%s", names[i], err ? ": " : "", err ? err : "")) {
			for (k = 0; k < 2 * os; k++) {
				double d = fabs((double)y[k] - ref[k]) /
				    (fabs(ref[k]) > 1 ? fabs(ref[k]) : 1);

				worst = d > worst || y[k] != y[k] ? d : worst;
			}
			ok(worst <= 4e-7, "%s equals numpy's within 4e-7 "
			    "(relative max difference %g)", names[i], worst);
		}
		free(err);
		err = NULL;
		free(y);
		free(ref);
		wh_model_free(m);
	}
	free(x);
}

/* ReduceMean on x: (2, 2, 3, 4), axes as the attribute (opset 13) and
 * as the input (opset 18), against numpy's mean in double */
static void
test_reduce_mean(void)
{
	static const struct {
		const char *name;
		int naxes, keep;
		int64_t axes[3];
	} cases[] = {
		{ "hw", 2, 1, { 2, 3 } },
		{ "c", 1, 0, { 1 } },
		{ "last", 1, 1, { -1 } },
		{ "all", 0, 0, { 0 } },
	};
	size_t xb, rb, i, os, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *ref, *y;
	char rel[128], *err = NULL;
	int r, opset;

	if (x == NULL)
		return;
	for (opset = 13; opset <= 18; opset += 5)
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			struct wh_model *m = mini_new(opset, 3,
			    (int64_t[]){ 2, 3, 4 });
			struct wh_node *n;
			struct wh_attr *a;
			double worst = 0;

			snprintf(rel, sizeof rel, "tests/fixtures/ref/"
			    "op-reducemean-%s.npy", cases[i].name);
			ref = fx_npy(rel, &rb);
			if (opset >= 18 && cases[i].naxes > 0) {
				mini_init_ints(m, "axes", (size_t)cases[i].naxes,
				    cases[i].axes);
				n = mini_node(m, "ReduceMean", "rm", "x,axes",
				    "y");
			} else
				n = mini_node(m, "ReduceMean", "rm", "x", "y");
			if (opset < 18 && cases[i].naxes > 0) {
				mini_attr_ints(n, "axes", cases[i].naxes, 0);
				a = &n->attrs[n->nattrs - 1];
				memcpy(a->ints, cases[i].axes,
				    cases[i].naxes * sizeof *a->ints);
			}
			mini_attr_ints(n, "keepdims", 0, 0);
			a = &n->attrs[n->nattrs - 1];
			a->type = WH_ATTR_INT;
			a->i = cases[i].keep;
			mini_output(m, "y");
			y = NULL;
			os = 0;
			r = ref != NULL ? mini_run(m, x, 2, &y, &os, &err) : -1;
			if (ok(r == 0 && os * 2 * sizeof(float) == rb,
			    "ReduceMean %s at opset %d compiles and runs, %zu "
			    "values per sample%s%s", cases[i].name, opset, os,
			    err ? ": " : "", err ? err : "")) {
				for (k = 0; k < 2 * os; k++)
					if (fabs((double)y[k] - ref[k]) > worst)
						worst = fabs((double)y[k] - ref[k]);
				ok(worst == 0, "ReduceMean %s at opset %d equals "
				    "numpy's (max difference %g)", cases[i].name,
				    opset, worst);
			}
			free(err);
			err = NULL;
			free(y);
			free(ref);
			wh_model_free(m);
		}
	{
		struct wh_model *m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });

		mini_attr_ints(mini_node(m, "ReduceMean", "rm", "x", "y"),
		    "axes", 1, 0);
		mini_output(m, "y");
		y = NULL;
		r = mini_run(m, x, 2, &y, &os, &err);
		ok(r != 0 && err != NULL && strstr(err, "batch") != NULL,
		    "a mean over the batch is refused: %s", err ? err : "");
		free(y);
		free(err);
		wh_model_free(m);
	}
	free(x);
}

/* LayerNormalization (opset 17) over the last axis and over the last
 * two, against numpy's in double */
static void
test_layernorm(void)
{
	size_t xb, rb, os, k, inner;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *ref, *y;
	char rel[128], *err = NULL;
	int axis, r;

	if (x == NULL)
		return;
	for (axis = 3; axis >= 2; axis--) {
		struct wh_model *m = mini_new(17, 3, (int64_t[]){ 2, 3, 4 });
		int64_t sd[2] = { 3, 4 };
		struct wh_node *n;
		struct wh_attr *a;
		double worst = 0;

		inner = axis == 3 ? 4 : 12;
		snprintf(rel, sizeof rel, "tests/fixtures/ref/op-layernorm-%d.npy",
		    axis);
		ref = fx_npy(rel, &rb);
		mini_init(m, "scale", 4 - axis, axis == 3 ? sd + 1 : sd, 0);
		mini_init(m, "bias", 4 - axis, axis == 3 ? sd + 1 : sd, 0);
		for (k = 0; k < inner; k++) {
			m->inits[0].f[k] = 0.5f + (float)k / 8;
			m->inits[1].f[k] = -0.25f + (float)k / 16;
		}
		n = mini_node(m, "LayerNormalization", "ln", "x,scale,bias", "y");
		mini_attr_ints(n, "axis", 0, 0);
		a = &n->attrs[n->nattrs - 1];
		a->type = WH_ATTR_INT;
		a->i = axis == 3 ? -1 : 2;
		mini_output(m, "y");
		y = NULL;
		os = 0;
		r = ref != NULL ? mini_run(m, x, 2, &y, &os, &err) : -1;
		if (ok(r == 0 && os * 2 * sizeof(float) == rb, "LayerNormalization "
		    "from axis %d compiles and runs%s%s", axis, err ? ": " : "",
		    err ? err : "")) {
			for (k = 0; k < 2 * os; k++)
				if (fabs((double)y[k] - ref[k]) > worst)
					worst = fabs((double)y[k] - ref[k]);
			ok(worst <= 1e-6, "LayerNormalization from axis %d equals "
			    "numpy's within 1e-6 (max difference %g)", axis,
			    worst);
		}
		free(err);
		err = NULL;
		free(y);
		free(ref);
		wh_model_free(m);
	}
	free(x);
}

/* Compares y with the reference in rel exactly: 0, or -1 and a message */
static int
same_as(const char *what, struct wh_model *m, const float *x, const char *rel)
{
	size_t rb, os = 0, k;
	float *ref = fx_npy(rel, &rb), *y = NULL;
	char *err = NULL;
	int r, same = 0;

	r = ref != NULL ? mini_run(m, x, 2, &y, &os, &err) : -1;
	if (ok(r == 0 && os * 2 * sizeof(float) == rb, "%s compiles and runs, "
	    "%zu values per sample%s%s", what, os, err ? ": " : "",
	    err ? err : "")) {
		for (k = 0; k < 2 * os && y[k] == ref[k]; k++)
			;
		same = k == 2 * os;
		ok(same, "%s equals numpy's", what);
	}
	free(err);
	free(y);
	free(ref);
	return same ? 0 : -1;
}

/* Slice and Gather of an activation: x: (2, 2, 3, 4) */
static void
test_slice_gather(void)
{
	size_t xb;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb);
	struct wh_model *m;

	if (x == NULL)
		return;
	/* x[:, :, 1:3, ::2] */
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init_ints(m, "st", 2, (int64_t[]){ 1, 0 });
	mini_init_ints(m, "en", 2, (int64_t[]){ 3, INT64_MAX });
	mini_init_ints(m, "ax", 2, (int64_t[]){ 2, 3 });
	mini_init_ints(m, "sp", 2, (int64_t[]){ 1, 2 });
	mini_node(m, "Slice", "sl", "x,st,en,ax,sp", "y");
	mini_output(m, "y");
	same_as("Slice [:, :, 1:3, ::2]", m, x,
	    "tests/fixtures/ref/op-slice-steps.npy");
	wh_model_free(m);
	/* x[:, ::-1, :, 3:0:-2] */
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init_ints(m, "st", 2, (int64_t[]){ -1, 3 });
	mini_init_ints(m, "en", 2, (int64_t[]){ INT64_MIN, 0 });
	mini_init_ints(m, "ax", 2, (int64_t[]){ 1, -1 });
	mini_init_ints(m, "sp", 2, (int64_t[]){ -1, -2 });
	mini_node(m, "Slice", "sl", "x,st,en,ax,sp", "y");
	mini_output(m, "y");
	same_as("Slice [:, ::-1, :, 3:0:-2]", m, x,
	    "tests/fixtures/ref/op-slice-negative.npy");
	wh_model_free(m);
	/* x[:, [1, 0, 1]] */
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init_ints(m, "ix", 3, (int64_t[]){ 1, 0, 1 });
	mini_attr_ints(mini_node(m, "Gather", "ga", "x,ix", "y"), "axis", 0,
	    0);
	m->nodes[0].attrs[0].type = WH_ATTR_INT;
	m->nodes[0].attrs[0].i = 1;
	mini_output(m, "y");
	same_as("Gather along the channels", m, x,
	    "tests/fixtures/ref/op-gather-c.npy");
	wh_model_free(m);
	/* take(x, [[3, -1], [0, 2]], axis=3) */
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init_ints(m, "ix", 4, (int64_t[]){ 3, -1, 0, 2 });
	m->inits[0].ndim = 2;
	m->inits[0].dims[0] = m->inits[0].dims[1] = 2;
	mini_attr_ints(mini_node(m, "Gather", "ga", "x,ix", "y"), "axis", 0,
	    0);
	m->nodes[0].attrs[0].type = WH_ATTR_INT;
	m->nodes[0].attrs[0].i = -1;
	mini_output(m, "y");
	same_as("Gather of a 2-D index along the last axis", m, x,
	    "tests/fixtures/ref/op-gather-w2d.npy");
	wh_model_free(m);
	free(x);
}

/* A constant sliced to the end with INT64_MAX, as torch writes x[1:]: the
 * end read through a double overflowed and the slice came out empty */
static void
test_slice_to_end(void)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 4 });
	float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, *y = NULL;
	size_t os = 0, k;
	char *err = NULL;
	int r, same = 1;

	mini_init(m, "c", 1, (int64_t[]){ 5 }, 0);
	for (k = 0; k < 5; k++)
		m->inits[0].f[k] = 0.5f * (float)k;
	mini_init_ints(m, "st", 1, (int64_t[]){ 1 });
	mini_init_ints(m, "en", 1, (int64_t[]){ INT64_MAX });
	mini_node(m, "Slice", "sl", "c,st,en", "tail");
	mini_node(m, "Add", "add", "x,tail", "y");
	mini_output(m, "y");
	r = mini_run(m, x, 2, &y, &os, &err);
	for (k = 0; r == 0 && k < 8; k++)
		same &= y[k] == x[k] + 0.5f * (float)(k % 4 + 1);
	ok(r == 0 && os == 4 && same, "a constant sliced from 1 to INT64_MAX "
	    "keeps its tail%s%s", err ? ": " : "", err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
}


/* The initializers of the elementwise cases (tools/op_refs.py's
 * ew_consts): float c4 (4), c31 (3, 1), s2 (2, 1, 1), lo and hi
 * (scalars), k34 (3, 4); int64 i4 (4), m1 and one (scalars), b4 (4,
 * booleans as 0 and 1). */
static void
ew_consts(struct wh_model *m)
{
	static const float c4[4] = { 0.5f, -1, 2, 0.25f };
	static const float c31[3] = { -0.5f, 0.75f, 0 };
	static const float s2[2] = { 0.25f, -2 };
	size_t k;

	mini_init(m, "c4", 1, (int64_t[]){ 4 }, 0);
	memcpy(m->inits[m->ninits - 1].f, c4, sizeof c4);
	mini_init(m, "c31", 2, (int64_t[]){ 3, 1 }, 0);
	memcpy(m->inits[m->ninits - 1].f, c31, sizeof c31);
	mini_init(m, "s2", 3, (int64_t[]){ 2, 1, 1 }, 0);
	memcpy(m->inits[m->ninits - 1].f, s2, sizeof s2);
	mini_init(m, "lo", 0, NULL, -0.5f);
	mini_init(m, "hi", 0, NULL, 1.5f);
	mini_init(m, "k34", 2, (int64_t[]){ 3, 4 }, 0);
	for (k = 0; k < 12; k++)
		m->inits[m->ninits - 1].f[k] = (float)(0.3 * cos((double)k));
	mini_init_ints(m, "i4", 4, (int64_t[]){ 2, -1, 4, -1 });
	mini_init_ints(m, "m1", 1, (int64_t[]){ -1 });
	m->inits[m->ninits - 1].ndim = 0;
	mini_init_ints(m, "one", 1, (int64_t[]){ 1 });
	m->inits[m->ninits - 1].ndim = 0;
	mini_init_ints(m, "b4", 4, (int64_t[]){ 1, 0, 0, 1 });
}

/*
 * A model of x: (2, 3, 4) and the constants above from a list of nodes
 * "Op in,in out [attr=value]; ...", the last writing y.
 */
static struct wh_model *
ew_model(int opset, const char *spec)
{
	struct wh_model *m = mini_new(opset, 3, (int64_t[]){ 2, 3, 4 });
	char buf[512], *save = NULL, *item;
	int k = 0;

	ew_consts(m);
	snprintf(buf, sizeof buf, "%s", spec);
	for (item = strtok_r(buf, ";", &save); item != NULL;
	    item = strtok_r(NULL, ";", &save)) {
		char op[32], ins[64], out[32], attr[32] = "", name[16];
		struct wh_node *n;
		char *eq;

		if (sscanf(item, " %31s %63s %31s %31s", op, ins, out,
		    attr) < 3)
			return NULL;
		if (strcmp(ins, "-") == 0)
			ins[0] = '\0';
		snprintf(name, sizeof name, "n%d", k++);
		n = mini_node(m, op, name, ins, out);
		if ((eq = strchr(attr, '=')) != NULL) {
			*eq = '\0';
			mini_attr_float(n, attr, strtof(eq + 1, NULL));
		}
	}
	mini_output(m, "y");
	return m;
}

/* Elementwise, comparison, logic, Where and variadic operators on x:
 * (2, 2, 3, 4) broadcast with constants, and folded on constants, against
 * numpy's float32 results within tol relative to max(1, |ref|) */
static void
test_ew_cases(void)
{
	static const struct {
		const char *name;
		int opset;
		const char *nodes;
		double tol;
	} cases[] = {
		{ "exp", 13, "Exp x y", 4e-7 },
		{ "log", 13, "Abs x a; Log a y", 4e-7 },
		{ "sign", 13, "Sign x y", 0 },
		{ "neg", 13, "Neg x y", 0 },
		{ "abs", 13, "Abs x y", 0 },
		{ "floor", 13, "Floor x y", 0 },
		{ "ceil", 13, "Ceil x y", 0 },
		{ "round", 13, "Round x y", 0 },
		{ "softplus", 13, "Softplus x y", 4e-7 },
		{ "softsign", 13, "Softsign x y", 4e-7 },
		{ "selu", 13, "Selu x y", 4e-7 },
		{ "elu", 13, "Elu x y alpha=0.5", 4e-7 },
		{ "leakyrelu", 13, "LeakyRelu x y alpha=0.2", 0 },
		{ "clip-min", 13, "Clip x,lo, y", 0 },
		{ "clip-crossed", 11, "Clip x,hi,lo y", 0 },
		{ "prelu", 13, "PRelu x,s2 y", 0 },
		{ "greater", 13, "Greater x,c4 y", 0 },
		{ "lessorequal", 13, "LessOrEqual c31,x y", 0 },
		{ "equal", 13, "Round x r; Equal r,c4 y", 0 },
		{ "and", 13, "Greater x,c4 g; Less x,c31 l; And g,l y", 0 },
		{ "or", 13, "Greater x,c4 g; Less x,c31 l; Or g,l y", 0 },
		{ "xor", 13, "Greater x,c4 g; Less x,c31 l; Xor g,l y", 0 },
		{ "not", 13, "Greater x,c4 g; Not g y", 0 },
		{ "where", 13, "Greater x,c4 g; Where g,x,c31 y", 0 },
		{ "where-const-cond", 16, "Where b4,c31,x y", 0 },
		{ "sum", 13, "Sum x,c4,c31 y", 0 },
		{ "mean", 13, "Mean c4,x,x y", 0 },
		{ "max", 13, "Neg x n; Max x,c4,n y", 0 },
		{ "min", 13, "Min c31,x y", 0 },
		{ "sum-one", 13, "Sum x y", 0 },
		{ "fold-unary", 13, "Selu k34 a; Softsign a b; Clip b,lo,hi c; "
		    "Add x,c y", 4e-7 },
		{ "fold-logic", 17, "Equal i4,m1 eq; Where eq,one,i4 w; "
		    "Add w,i4 s0; Add s0,one s; Greater s,one g; Not g ng; "
		    "Or ng,eq o; "
		    "Mul x,s p; Add p,o y", 0 },
		{ "fold-variadic", 13, "Mean k34,c4,c31 mn; Min mn,k34 lo2; "
		    "Sum i4,one,m1 si; Max si,one mx; Add x,lo2 a; Mul a,mx y",
		    4e-7 },
	};
	size_t xb, rb, i, os, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *ref, *y;
	char rel[128], *err = NULL;
	int r;

	if (x == NULL)
		return;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wh_model *m = ew_model(cases[i].opset, cases[i].nodes);
		double worst = 0;

		snprintf(rel, sizeof rel, "tests/fixtures/ref/op-ew-%s.npy",
		    cases[i].name);
		ref = fx_npy(rel, &rb);
		y = NULL;
		os = 0;
		r = ref != NULL && m != NULL ? mini_run(m, x, 2, &y, &os, &err) :
		    -1;
		if (ok(r == 0 && os * 2 * sizeof(float) == rb, "%s compiles and "
		    "runs%s%s", cases[i].name, err ? ": " : "", err ? err : "")) {
			for (k = 0; k < 2 * os; k++) {
				double d = fabs((double)y[k] - ref[k]) /
				    (fabs(ref[k]) > 1 ? fabs(ref[k]) : 1);

				worst = d > worst || y[k] != y[k] ? d : worst;
			}
			ok(worst <= cases[i].tol, "%s equals numpy's within %g "
			    "(relative max difference %g)", cases[i].name,
			    cases[i].tol, worst);
		}
		free(err);
		err = NULL;
		free(y);
		free(ref);
		if (m != NULL)
			wh_model_free(m);
	}
	free(x);
}

/* Bad elementwise nodes: one line naming the node and the problem. */
static void
test_ew_bad(void)
{
	static const struct {
		const char *what, *nodes, *says;
	} cases[] = {
		{ "a Where whose operands do not broadcast",
		  "Greater x,c4 g; Where g,x,i4x y", "do not broadcast" },
		{ "a PRelu slope wider than the input",
		  "PRelu x,s5 y", "slope does not broadcast" },
		{ "a Clip bound computed from the input",
		  "Clip x,x y", "min bound is computed from the input" },
		{ "a Sum of constants that do not broadcast",
		  "Sum c4,k34,c31,i4x s; Add x,s y", "do not broadcast" },
		{ "a Where with two inputs", "Where x,c4 y",
		  "has 2 inputs; Where takes 3 inputs" },
		{ "a Max with no input", "Max - y", "Max takes 1 or more" },
		{ "a Sum broadcasting an activation over the batch",
		  "Unsqueeze x,ax1 u; Sum x,u y", "batch is broadcast" },
	};
	float x[48] = { 0 }, *y;
	size_t i, os;
	char *err;
	int r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wh_model *m = ew_model(13, cases[i].nodes);

		mini_init(m, "i4x", 1, (int64_t[]){ 5 }, 1);
		mini_init(m, "s5", 5, (int64_t[]){ 2, 1, 1, 1, 1 }, 1);
		mini_init_ints(m, "ax1", 1, (int64_t[]){ 1 });
		y = NULL;
		err = NULL;
		r = mini_run(m, x, 2, &y, &os, &err);
		ok(r != 0 && err != NULL && strchr(err, '\n') == NULL &&
		    strstr(err, cases[i].says) != NULL && strstr(err,
		    "mini.onnx") != NULL, "%s is refused: %s", cases[i].what,
		    err ? err : "(no message)");
		free(y);
		free(err);
		wh_model_free(m);
	}
}

int
main(void)
{
	test_pad();
	test_elementwise();
	test_reduce_mean();
	test_layernorm();
	test_slice_gather();
	test_slice_to_end();
	test_ew_cases();
	test_ew_bad();
	return tap_done();
}
