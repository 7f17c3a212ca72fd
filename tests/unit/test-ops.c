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
	/* a square, as a written-out LayerNorm takes it: x * x exactly, as
	 * ONNX Runtime and PyTorch compute Pow(x, 2) */
	{
		struct wh_model *m = mini_new(14, 3, (int64_t[]){ 2, 3, 4 });
		int same = 1;

		mini_init(m, "two", 0, NULL, 2);
		mini_node(m, "Pow", "sq", "x,two", "y");
		mini_output(m, "y");
		y = NULL;
		os = 0;
		r = mini_run(m, x, 2, &y, &os, &err);
		for (k = 0; r == 0 && k < 2 * os; k++)
			same &= y[k] == x[k] * x[k];
		ok(r == 0 && os == 24 && same, "Pow(x, 2) is x * x, bit for bit%s%s",
		    err ? ": " : "", err ? err : "");
		free(err);
		err = NULL;
		free(y);
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
			if (cases[i].naxes == 0) {
				/* every axis takes in the batch: one sample at
				 * a time, a scalar without the batch dim */
				ok(r != 0 && err != NULL && strstr(err,
				    "keep the batch first") != NULL, "ReduceMean "
				    "with no axes at opset %d is refused on an "
				    "activation: %s", opset, err ? err : "");
			} else if (ok(r == 0 && os * 2 * sizeof(float) == rb,
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
		/* one sample at a time: each the mean of a batch of one */
		ok(r == 0 && os == 24 && memcmp(y, x, 48 * sizeof *y) == 0,
		    "a mean over the batch runs one sample at a time, each "
		    "sample its own mean%s%s", err ? ": " : "", err ? err : "");
		free(y);
		free(err);
		wh_model_free(m);
	}
	free(x);
}

/* ReduceSum, Max, Min, Prod, L2 and LogSumExp on x: (2, 2, 3, 4), axes as
 * the attribute and as the input (opset 13 for ReduceSum, 18 for the
 * others), against numpy's in double; and folded on a constant */
static void
test_reduce_kinds(void)
{
	static const struct {
		const char *op, *lower;
		int input_since;
	} kinds[] = {
		{ "ReduceSum", "sum", 13 }, { "ReduceMax", "max", 18 },
		{ "ReduceMin", "min", 18 }, { "ReduceProd", "prod", 18 },
		{ "ReduceL2", "l2", 18 }, { "ReduceLogSumExp", "logsumexp", 18 },
	};
	static const struct {
		const char *name;
		int naxes, keep;
		int64_t axes[2];
	} cases[] = { { "hw", 2, 1, { 2, 3 } }, { "c", 1, 0, { 1 } } };
	size_t xb, rb, i, j, os, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *ref, *y;
	char rel[128], *err = NULL;
	int r, pass;

	if (x == NULL)
		return;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		for (j = 0; j < 2 * (sizeof cases / sizeof cases[0]); j++) {
			int c = (int)(j / 2), input = (int)(j % 2);
			int opset = input ? kinds[i].input_since : 11;
			struct wh_model *m = mini_new(opset, 3,
			    (int64_t[]){ 2, 3, 4 });
			struct wh_node *n;
			struct wh_attr *a;
			double worst = 0;

			snprintf(rel, sizeof rel, "tests/fixtures/ref/"
			    "op-reduce%s-%s.npy", kinds[i].lower, cases[c].name);
			ref = fx_npy(rel, &rb);
			if (input) {
				mini_init_ints(m, "axes", (size_t)cases[c].naxes,
				    cases[c].axes);
				n = mini_node(m, kinds[i].op, "rd", "x,axes", "y");
			} else {
				n = mini_node(m, kinds[i].op, "rd", "x", "y");
				mini_attr_ints(n, "axes", cases[c].naxes, 0);
				a = &n->attrs[n->nattrs - 1];
				memcpy(a->ints, cases[c].axes,
				    cases[c].naxes * sizeof *a->ints);
			}
			mini_attr_ints(n, "keepdims", 0, 0);
			a = &n->attrs[n->nattrs - 1];
			a->type = WH_ATTR_INT;
			a->i = cases[c].keep;
			mini_output(m, "y");
			y = NULL;
			os = 0;
			r = ref != NULL ? mini_run(m, x, 2, &y, &os, &err) : -1;
			if (ok(r == 0 && os * 2 * sizeof(float) == rb,
			    "%s %s at opset %d compiles and runs, %zu values "
			    "per sample%s%s", kinds[i].op, cases[c].name, opset,
			    os, err ? ": " : "", err ? err : "")) {
				for (k = 0; k < 2 * os; k++) {
					double d = fabs((double)y[k] - ref[k]) /
					    (fabs(ref[k]) > 1 ? fabs(ref[k]) : 1);

					worst = d > worst || y[k] != y[k] ? d :
					    worst;
				}
				ok(worst <= 1e-7, "%s %s at opset %d equals "
				    "numpy's within 1e-7 (relative max difference "
				    "%g)", kinds[i].op, cases[c].name, opset,
				    worst);
			}
			free(err);
			err = NULL;
			free(y);
			free(ref);
			wh_model_free(m);
		}
	/* folded: x + ReduceMax(c, axes=[0], keepdims=0), c: (2, 3) */
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		static const float cv[6] = { 0.5f, -2, 3, 1.5f, 4, -1 };
		struct wh_model *m = mini_new(kinds[i].input_since, 1,
		    (int64_t[]){ 3 });
		float xs[6] = { 1, 2, 3, -1, -2, -3 };
		struct wh_node *n;
		struct wh_attr *a;
		double worst = 0;

		mini_init(m, "c", 2, (int64_t[]){ 2, 3 }, 0);
		memcpy(m->inits[0].f, cv, sizeof cv);
		mini_init_ints(m, "axes", 1, (int64_t[]){ 0 });
		n = mini_node(m, kinds[i].op, "rd", "c,axes", "r");
		mini_attr_ints(n, "keepdims", 0, 0);
		a = &n->attrs[n->nattrs - 1];
		a->type = WH_ATTR_INT;
		a->i = 0;
		mini_node(m, "Add", "add", "x,r", "y");
		mini_output(m, "y");
		y = NULL;
		os = 0;
		r = mini_run(m, xs, 2, &y, &os, &err);
		pass = r == 0 && os == 3;
		for (k = 0; pass && k < 6; k++) {
			double u = cv[k % 3], v = cv[3 + k % 3], e;

			switch (i) {
			case 0: e = u + v; break;
			case 1: e = u > v ? u : v; break;
			case 2: e = u < v ? u : v; break;
			case 3: e = u * v; break;
			case 4: e = sqrt(u * u + v * v); break;
			default: e = log(exp(u) + exp(v)); break;
			}
			e += xs[k];
			if (fabs(y[k] - e) > worst)
				worst = fabs(y[k] - e);
		}
		ok(pass && worst <= 1e-6, "%s over axis 0 of a constant folds "
		    "(max difference %g)%s%s", kinds[i].op, worst,
		    err ? ": " : "", err ? err : "");
		free(err);
		err = NULL;
		free(y);
		wh_model_free(m);
	}
	{
		struct wh_model *m = mini_new(18, 3, (int64_t[]){ 2, 3, 4 });

		mini_init_ints(m, "axes", 2, (int64_t[]){ 0, 2 });
		mini_node(m, "ReduceMax", "rmax", "x,axes", "y");
		mini_output(m, "y");
		y = NULL;
		r = mini_run(m, x, 2, &y, &os, &err);
		/* one sample at a time: (1, 2, 1, 4), the max over h */
		{
			int good = r == 0 && os == 8, s, ch, h, w;

			for (s = 0; good && s < 2; s++)
				for (ch = 0; ch < 2; ch++)
					for (w = 0; w < 4; w++) {
						float e = x[s * 24 + ch * 12 + w];

						for (h = 1; h < 3; h++)
							if (x[s * 24 + ch * 12 +
							    h * 4 + w] > e)
								e = x[s * 24 +
								    ch * 12 +
								    h * 4 + w];
						good = good && y[s * 8 + ch * 4 +
						    w] == e;
					}
			ok(good, "a maximum over the batch and h runs one sample "
			    "at a time, each the max over its h%s%s",
			    err ? ": " : "", err ? err : "");
		}
		free(y);
		free(err);
		wh_model_free(m);
	}
	free(x);
}

/* Runs m on x: (2, ...) and compares with the reference in rel within tol
 * relative (to 1 or the value); 0 when within */
static int
near_as(const char *what, struct wh_model *m, const float *x, const char *rel,
    double tol)
{
	size_t rb = 0, os = 0, k;
	float *ref = fx_npy(rel, &rb), *y = NULL;
	char *err = NULL;
	double worst = 0;
	int r;

	r = ref != NULL ? mini_run(m, x, 2, &y, &os, &err) : -1;
	if (ok(r == 0 && os * 2 * sizeof(float) == rb, "%s compiles and runs, "
	    "%zu values per sample%s%s", what, os, err ? ": " : "",
	    err ? err : "")) {
		for (k = 0; k < 2 * os; k++) {
			double d = fabs((double)y[k] - ref[k]) /
			    (fabs(ref[k]) > 1 ? fabs(ref[k]) : 1);

			worst = d > worst || y[k] != y[k] ? d : worst;
		}
		ok(worst <= tol, "%s equals numpy's within %g (relative max "
		    "difference %g)", what, tol, worst);
	} else
		worst = 1e30;
	free(err);
	free(y);
	free(ref);
	return worst <= tol ? 0 : -1;
}

/* MatMul that is not a layer on x: (2, 2, 3, 4): of two activations as
 * attention's scores, with a batched constant on either side, and of two
 * constants folded */
static void
test_matmul(void)
{
	size_t xb, os = 0, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *y = NULL;
	struct wh_model *m;
	char *err = NULL;
	int r, same;

	if (x == NULL)
		return;
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_attr_ints(mini_node(m, "Transpose", "tr", "x", "xt"), "perm", 4,
	    0);
	memcpy(m->nodes[0].attrs[0].ints, (int64_t[]){ 0, 1, 3, 2 },
	    4 * sizeof(int64_t));
	mini_node(m, "MatMul", "mm", "x,xt", "y");
	mini_output(m, "y");
	near_as("MatMul (n, 2, 3, 4) . (n, 2, 4, 3)", m, x,
	    "tests/fixtures/ref/op-matmul-self.npy", 1e-6);
	wh_model_free(m);
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init(m, "w", 3, (int64_t[]){ 2, 4, 5 }, 0);
	for (k = 0; k < 40; k++)
		m->inits[0].f[k] = (float)cos((double)k);
	mini_node(m, "MatMul", "mm", "x,w", "y");
	mini_output(m, "y");
	near_as("MatMul (n, 2, 3, 4) . constant (2, 4, 5)", m, x,
	    "tests/fixtures/ref/op-matmul-bconst.npy", 1e-6);
	wh_model_free(m);
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init(m, "v", 2, (int64_t[]){ 3, 3 }, 0);
	for (k = 0; k < 9; k++)
		m->inits[0].f[k] = (float)sin((double)k);
	mini_node(m, "MatMul", "mm", "v,x", "y");
	mini_output(m, "y");
	near_as("MatMul constant (3, 3) . (n, 2, 3, 4)", m, x,
	    "tests/fixtures/ref/op-matmul-aconst.npy", 1e-6);
	wh_model_free(m);
	/* folded: x + a . b, a: (2, 1, 2), b: (2, 3) -> (2, 1, 3) */
	m = mini_new(13, 3, (int64_t[]){ 2, 1, 3 });
	mini_init(m, "a", 3, (int64_t[]){ 2, 1, 2 }, 0);
	mini_init(m, "b", 2, (int64_t[]){ 2, 3 }, 0);
	for (k = 0; k < 4; k++)
		m->inits[0].f[k] = (float)k + 1;	/* [[1, 2]], [[3, 4]] */
	for (k = 0; k < 6; k++)
		m->inits[1].f[k] = (float)k;		/* [0 1 2; 3 4 5] */
	mini_node(m, "MatMul", "mm", "a,b", "ab");
	mini_node(m, "Add", "add", "x,ab", "y");
	mini_output(m, "y");
	{
		float xs[6] = { 0 };
		static const float e[6] = { 6, 9, 12, 12, 19, 26 };

		r = mini_run(m, xs, 1, &y, &os, &err);
		same = r == 0 && os == 6;
		for (k = 0; same && k < 6; k++)
			same = y[k] == e[k];
		ok(same, "MatMul of two constants folds to numpy's matmul%s%s",
		    err ? ": " : "", err ? err : "");
	}
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);
	/* (n, 4) . (n, 4, 3): the left rows would be the samples */
	m = mini_new(13, 2, (int64_t[]){ 4, 3 });
	mini_init_ints(m, "ax", 1, (int64_t[]){ 2 });
	mini_node(m, "ReduceSum", "rs", "x,ax", "xs");
	mini_attr_ints(&m->nodes[0], "keepdims", 0, 0);
	m->nodes[0].attrs[0].type = WH_ATTR_INT;
	m->nodes[0].attrs[0].i = 0;
	mini_node(m, "MatMul", "mm", "xs,x", "y");
	mini_output(m, "y");
	r = mini_run(m, x, 2, &y, &os, &err);
	/* one sample at a time: (1, 4) . (1, 4, 3) -> (1, 1, 3) */
	{
		int good = r == 0 && os == 3, s, i, j;

		for (s = 0; good && s < 2; s++)
			for (j = 0; j < 3; j++) {
				double e = 0;

				for (i = 0; i < 4; i++)
					e += ((double)x[s * 12 + i * 3] +
					    x[s * 12 + i * 3 + 1] +
					    x[s * 12 + i * 3 + 2]) *
					    x[s * 12 + i * 3 + j];
				good = fabs(y[s * 3 + j] - e) <= 1e-5;
			}
		ok(good, "MatMul mixing the samples runs one sample at a "
		    "time%s%s", err ? ": " : "", err ? err : "");
	}
	free(err);
	free(y);
	wh_model_free(m);
	free(x);
}

static int same_as(const char *what, struct wh_model *m, const float *x,
    const char *rel);

/* An int attribute on a node. */
static void
mini_attr_int(struct wh_node *n, const char *name, int64_t v)
{
	mini_attr_ints(n, name, 0, 0);
	n->attrs[n->nattrs - 1].type = WH_ATTR_INT;
	n->attrs[n->nattrs - 1].i = v;
}

/* A Split node of x into outputs y0 and y1 at the opset, sizes (when
 * sizes is not NULL) as the attribute before 13 and the input after;
 * num_outputs at 18 when sizes is NULL */
static struct wh_model *
split_model(int opset, int axis, const int64_t *sizes, int out)
{
	struct wh_model *m = mini_new(opset, 3, (int64_t[]){ 2, 3, 4 });
	struct wh_node *n;
	char name[8];

	if (sizes != NULL && opset >= 13) {
		mini_init_ints(m, "split", 2, sizes);
		n = mini_node(m, "Split", "sp", "x,split", "y0");
	} else
		n = mini_node(m, "Split", "sp", "x", "y0");
	n->outputs = xreallocarray(n->outputs, 2, sizeof *n->outputs);
	n->outputs[1] = xstrdup("y1");
	n->noutputs = 2;
	mini_attr_int(n, "axis", axis);
	if (sizes != NULL && opset < 13) {
		mini_attr_ints(n, "split", 2, 0);
		memcpy(n->attrs[n->nattrs - 1].ints, sizes, 2 * sizeof *sizes);
	}
	if (sizes == NULL && opset >= 18)
		mini_attr_int(n, "num_outputs", 2);
	snprintf(name, sizeof name, "y%d", out);
	mini_output(m, name);
	return m;
}

/* Split, Expand and Tile of activations, and folded on constants */
static void
test_split_tile(void)
{
	static const int64_t w13[2] = { 1, 3 };
	size_t xb, tb, os = 0, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *y = NULL;
	float *xs = fx_npy("tests/fixtures/ref/op-tile-x.npy", &tb);
	struct wh_model *m;
	char what[96], rel[96], *err = NULL;
	int opset, out, r, same;

	if (x == NULL || xs == NULL)
		goto done;
	for (opset = 11; opset <= 18; opset = opset == 11 ? 13 : 18 + 5 *
	    (opset == 18))
		for (out = 0; out < 2; out++) {
			snprintf(what, sizeof what, "Split [1, 3] along the last "
			    "axis at opset %d, output %d", opset, out);
			snprintf(rel, sizeof rel, "tests/fixtures/ref/"
			    "op-split-w-%d.npy", out);
			m = split_model(opset, -1, w13, out);
			same_as(what, m, x, rel);
			wh_model_free(m);
			snprintf(what, sizeof what, "Split in halves along the "
			    "channels at opset %d, output %d", opset, out);
			snprintf(rel, sizeof rel, "tests/fixtures/ref/"
			    "op-split-c-%d.npy", out);
			m = split_model(opset, 1, NULL, out);
			same_as(what, m, x, rel);
			wh_model_free(m);
		}
	m = split_model(13, 0, NULL, 0);
	r = mini_run(m, x, 2, &y, &os, &err);
	/* one sample at a time, its batch dim of 1 has no halves */
	ok(r != 0 && err != NULL && strstr(err, "equal parts") != NULL &&
	    strstr(err, "'sp'") != NULL, "splitting the batch is refused: %s",
	    err ? err : "");
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);

	m = mini_new(13, 3, (int64_t[]){ 2, 1, 4 });
	mini_init_ints(m, "shape", 3, (int64_t[]){ 2, 3, 4 });
	mini_node(m, "Expand", "ex", "x,shape", "y");
	mini_output(m, "y");
	same_as("Expand (n, 2, 1, 4) to [2, 3, 4]", m, xs,
	    "tests/fixtures/ref/op-expand.npy");
	wh_model_free(m);
	m = mini_new(13, 3, (int64_t[]){ 2, 1, 4 });
	mini_init_ints(m, "rep", 4, (int64_t[]){ 1, 2, 2, 3 });
	mini_node(m, "Tile", "ti", "x,rep", "y");
	mini_output(m, "y");
	same_as("Tile (n, 2, 1, 4) by [1, 2, 2, 3]", m, xs,
	    "tests/fixtures/ref/op-tile.npy");
	wh_model_free(m);
	m = mini_new(13, 3, (int64_t[]){ 2, 1, 4 });
	mini_init_ints(m, "rep", 4, (int64_t[]){ 2, 1, 1, 1 });
	mini_node(m, "Tile", "ti", "x,rep", "y");
	mini_output(m, "y");
	r = mini_run(m, xs, 2, &y, &os, &err);
	/* one sample at a time, the output would hold two */
	ok(r != 0 && err != NULL && strstr(err, "keep the batch first") !=
	    NULL && strstr(err, "'y'") != NULL, "tiling the batch is "
	    "refused: %s", err ? err : "");
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);

	/* folded, as ViT's class token: x + Expand(c, [1, 3, 1]) where
	 * c: (1, 1, 2) = [5, 7], and the second half of Split(d, 2) with d
	 * = [0 .. 5] tiled by [2] along the last axis */
	m = mini_new(18, 2, (int64_t[]){ 3, 2 });
	mini_init(m, "c", 3, (int64_t[]){ 1, 1, 2 }, 0);
	m->inits[0].f[0] = 5;
	m->inits[0].f[1] = 7;
	mini_init_ints(m, "shape", 3, (int64_t[]){ 1, 3, 1 });
	mini_node(m, "Expand", "ex", "c,shape", "cls");
	mini_init(m, "d", 1, (int64_t[]){ 6 }, 0);
	for (k = 0; k < 6; k++)
		m->inits[2].f[k] = (float)k;
	{
		struct wh_node *n = mini_node(m, "Split", "sp", "d", "d0");

		n->outputs = xreallocarray(n->outputs, 2, sizeof *n->outputs);
		n->outputs[1] = xstrdup("d1");
		n->noutputs = 2;
		mini_attr_int(n, "num_outputs", 2);
	}
	mini_init_ints(m, "rep", 1, (int64_t[]){ 2 });
	mini_node(m, "Tile", "ti", "d1,rep", "t");	/* 3 4 5 3 4 5 */
	mini_init_ints(m, "sh", 2, (int64_t[]){ 3, 2 });
	mini_node(m, "Reshape", "rs", "t,sh", "t2");
	mini_node(m, "Add", "a1", "x,cls", "y1");
	mini_node(m, "Add", "a2", "y1,t2", "y");
	mini_output(m, "y");
	{
		float in[6] = { 0 };
		static const float e[6] = { 8, 11, 10, 10, 9, 12 };

		r = mini_run(m, in, 1, &y, &os, &err);
		same = r == 0 && os == 6;
		for (k = 0; same && k < 6; k++)
			same = y[k] == e[k];
		ok(same, "Expand, Split and Tile fold on constants%s%s",
		    err ? ": " : "", err ? err : "");
	}
	free(err);
	free(y);
	wh_model_free(m);
done:
	free(x);
	free(xs);
}

/* GlobalMaxPool of x: (2, 2, 3, 4); Size and Range folded on constants */
static void
test_gmp_range(void)
{
	size_t xb, os = 0, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *y = NULL;
	float in[6] = { 0 };
	struct wh_model *m;
	char *err = NULL;
	int r, same;

	if (x == NULL)
		return;
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_node(m, "GlobalMaxPool", "gmp", "x", "y");
	mini_output(m, "y");
	same_as("GlobalMaxPool", m, x, "tests/fixtures/ref/op-globalmaxpool.npy");
	wh_model_free(m);
	/* x + Cast(Range(1, Size(c) + 1, 2)), c: (2, 3): [1, 3, 5] */
	m = mini_new(13, 1, (int64_t[]){ 3 });
	mini_init(m, "c", 2, (int64_t[]){ 2, 3 }, 0);
	mini_init_ints(m, "one", 1, (int64_t[]){ 1 });
	mini_init_ints(m, "two", 1, (int64_t[]){ 2 });
	m->inits[1].ndim = m->inits[2].ndim = 0;
	mini_node(m, "Size", "sz", "c", "n");
	mini_node(m, "Add", "lim", "n,one", "l");
	mini_node(m, "Range", "rg", "one,l,two", "r");
	mini_attr_int(mini_node(m, "Cast", "cast", "r", "rf"), "to", 1);
	mini_node(m, "Add", "add", "x,rf", "y");
	mini_output(m, "y");
	r = mini_run(m, in, 2, &y, &os, &err);
	same = r == 0 && os == 3;
	for (k = 0; same && k < 6; k++)
		same = y[k] == (float)(1 + 2 * (k % 3));
	ok(same, "Size and Range fold on constants: [1, 3, 5]%s%s",
	    err ? ": " : "", err ? err : "");
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);
	/* Range of floats: 0.5, 0.25, 0, -0.25 */
	m = mini_new(13, 1, (int64_t[]){ 4 });
	mini_init(m, "st", 0, NULL, 0.5f);
	mini_init(m, "li", 0, NULL, -0.5f);
	mini_init(m, "de", 0, NULL, -0.25f);
	mini_node(m, "Range", "rg", "st,li,de", "r");
	mini_node(m, "Add", "add", "x,r", "y");
	mini_output(m, "y");
	r = mini_run(m, in, 1, &y, &os, &err);
	same = r == 0 && os == 4;
	for (k = 0; same && k < 4; k++)
		same = y[k] == 0.5f - 0.25f * (float)k;
	ok(same, "a float Range with a negative delta folds%s%s",
	    err ? ": " : "", err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
	free(x);
}

/* InstanceNormalization of x: (2, 2, 3, 4), and GroupNormalization in its
 * opset 18 and 21 forms of the same values read as (2, 4, 3, 2) */
static void
test_instance_group_norm(void)
{
	static const float s2[2] = { 0.5f, 2 }, b2[2] = { 0.1f, -0.3f };
	static const float s4[4] = { 0.5f, 1, 1.5f, 2 };
	static const float b4[4] = { 0.1f, 0.2f, -0.3f, -0.4f };
	size_t xb, os = 0;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *y = NULL;
	struct wh_model *m;
	char *err = NULL;
	int opset, r;

	if (x == NULL)
		return;
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init(m, "s", 1, (int64_t[]){ 2 }, 0);
	mini_init(m, "b", 1, (int64_t[]){ 2 }, 0);
	memcpy(m->inits[0].f, s2, sizeof s2);
	memcpy(m->inits[1].f, b2, sizeof b2);
	mini_node(m, "InstanceNormalization", "in", "x,s,b", "y");
	mini_output(m, "y");
	near_as("InstanceNormalization", m, x,
	    "tests/fixtures/ref/op-instancenorm.npy", 1e-6);
	wh_model_free(m);
	for (opset = 18; opset <= 21; opset += 3) {
		char what[64], rel[64];
		int per = opset == 18 ? 2 : 4;

		m = mini_new(opset, 3, (int64_t[]){ 4, 3, 2 });
		mini_init(m, "s", 1, (int64_t[]){ per }, 0);
		mini_init(m, "b", 1, (int64_t[]){ per }, 0);
		memcpy(m->inits[0].f, per == 2 ? s2 : s4, per * sizeof(float));
		memcpy(m->inits[1].f, per == 2 ? b2 : b4, per * sizeof(float));
		mini_attr_int(mini_node(m, "GroupNormalization", "gn", "x,s,b",
		    "y"), "num_groups", 2);
		mini_output(m, "y");
		snprintf(what, sizeof what, "GroupNormalization at opset %d",
		    opset);
		snprintf(rel, sizeof rel, "tests/fixtures/ref/op-groupnorm-%d.npy",
		    opset);
		near_as(what, m, x, rel, 1e-6);
		wh_model_free(m);
	}
	m = mini_new(18, 3, (int64_t[]){ 4, 3, 2 });
	mini_init(m, "s", 1, (int64_t[]){ 2 }, 1);
	mini_init(m, "b", 1, (int64_t[]){ 2 }, 0);
	mini_attr_int(mini_node(m, "GroupNormalization", "gn", "x,s,b", "y"),
	    "num_groups", 3);
	mini_output(m, "y");
	r = mini_run(m, x, 2, &y, &os, &err);
	ok(r != 0 && err != NULL && strstr(err, "num_groups") != NULL,
	    "3 groups of 4 channels are refused: %s", err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
	free(x);
}

/* An Einsum node with the equation. */
static struct wh_node *
mini_einsum(struct wh_model *m, const char *ins, const char *out,
    const char *eq)
{
	struct wh_node *n = mini_node(m, "Einsum", "es", ins, out);

	mini_attr_str(n, "equation", eq);
	return n;
}

/* Einsum in attention's forms on x: (2, 2, 3, 4), folded on constants,
 * and another form refused */
static void
test_einsum(void)
{
	size_t xb, os = 0, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *y = NULL;
	struct wh_model *m;
	char *err = NULL;
	int r, same;

	if (x == NULL)
		return;
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_einsum(m, "x,x", "y", "bhid,bhjd->bhij");
	mini_output(m, "y");
	near_as("Einsum bhid,bhjd->bhij", m, x,
	    "tests/fixtures/ref/op-matmul-self.npy", 1e-6);
	wh_model_free(m);
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_einsum(m, "x,x", "s", "bhid, bhjd -> bhij");
	m->nodes[0].name[0] = 's';
	mini_einsum(m, "s,x", "y", "bhij,bhjd->bhid");
	mini_output(m, "y");
	near_as("Einsum bhij,bhjd->bhid of the scores", m, x,
	    "tests/fixtures/ref/op-einsum-av.npy", 1e-6);
	wh_model_free(m);
	m = mini_new(13, 2, (int64_t[]){ 6, 4 });
	mini_init(m, "w", 2, (int64_t[]){ 5, 4 }, 0);
	for (k = 0; k < 20; k++)
		m->inits[0].f[k] = (float)cos((double)k);
	mini_einsum(m, "x,w", "y", "bid,jd->bij");
	mini_output(m, "y");
	near_as("Einsum bid,jd->bij with a constant", m, x,
	    "tests/fixtures/ref/op-einsum-lin.npy", 1e-6);
	wh_model_free(m);
	/* folded: x + einsum("bid,jd->bij", a, b), a: (1, 1, 2) = [1, 2],
	 * b: (3, 2) = [0 1; 2 3; 4 5] -> [2, 8, 14] */
	m = mini_new(13, 2, (int64_t[]){ 1, 3 });
	mini_init(m, "a", 3, (int64_t[]){ 1, 1, 2 }, 0);
	mini_init(m, "b", 2, (int64_t[]){ 3, 2 }, 0);
	m->inits[0].f[0] = 1;
	m->inits[0].f[1] = 2;
	for (k = 0; k < 6; k++)
		m->inits[1].f[k] = (float)k;
	mini_einsum(m, "a,b", "ab", "bid,jd->bij");
	mini_node(m, "Add", "add", "x,ab", "y");
	mini_output(m, "y");
	{
		float in[3] = { 0 };

		r = mini_run(m, in, 1, &y, &os, &err);
		same = r == 0 && os == 3 && y[0] == 2 && y[1] == 8 &&
		    y[2] == 14;
		ok(same, "Einsum of two constants folds%s%s", err ? ": " : "",
		    err ? err : "");
	}
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);
	m = mini_new(13, 2, (int64_t[]){ 4, 4 });
	mini_einsum(m, "x", "y", "bii->bi");
	mini_output(m, "y");
	r = mini_run(m, x, 2, &y, &os, &err);
	ok(r != 0 && err != NULL && strstr(err, "'bii->bi'") != NULL &&
	    strstr(err, "'es'") != NULL, "another Einsum form is refused in "
	    "one line: %s", err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
	free(x);
}

/* ArgMax of x: (2, 2, 3, 4) along the channels and the last axis, the
 * first or last of ties, and folded on a constant */
static void
test_argmax(void)
{
	size_t xb, os = 0;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *y = NULL;
	float ties[8] = { 1, 3, 3, 0, 5, 5, -1, 5 };
	struct wh_model *m;
	struct wh_node *n;
	char *err = NULL;
	int last, r;

	if (x == NULL)
		return;
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	n = mini_node(m, "ArgMax", "am", "x", "y");
	mini_attr_int(n, "axis", 1);
	mini_attr_int(n, "keepdims", 0);
	mini_output(m, "y");
	same_as("ArgMax along the channels", m, x,
	    "tests/fixtures/ref/op-argmax-1.npy");
	wh_model_free(m);
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_attr_int(mini_node(m, "ArgMax", "am", "x", "y"), "axis", -1);
	mini_output(m, "y");
	same_as("ArgMax along the last axis, keepdims", m, x,
	    "tests/fixtures/ref/op-argmax-3.npy");
	wh_model_free(m);
	for (last = 0; last < 2; last++) {
		m = mini_new(13, 1, (int64_t[]){ 4 });
		n = mini_node(m, "ArgMax", "am", "x", "y");
		mini_attr_int(n, "axis", 1);
		mini_attr_int(n, "select_last_index", last);
		mini_output(m, "y");
		r = mini_run(m, ties, 2, &y, &os, &err);
		ok(r == 0 && os == 1 && y[0] == (last ? 2 : 1) &&
		    y[1] == (last ? 3 : 0), "ArgMax picks the %s of tied "
		    "maxima%s%s", last ? "last" : "first", err ? ": " : "",
		    err ? err : "");
		free(err);
		err = NULL;
		free(y);
		y = NULL;
		wh_model_free(m);
	}
	/* folded: x + Cast(ArgMax(c, axis 1)), c: (2, 3) */
	m = mini_new(13, 1, (int64_t[]){ 2 });
	mini_init(m, "c", 2, (int64_t[]){ 2, 3 }, 0);
	m->inits[0].f[1] = 4;		/* [0 4 0; 0 0 7] */
	m->inits[0].f[5] = 7;
	n = mini_node(m, "ArgMax", "am", "c", "i");
	mini_attr_int(n, "axis", 1);
	mini_attr_int(n, "keepdims", 0);
	mini_attr_int(mini_node(m, "Cast", "cast", "i", "f"), "to", 1);
	mini_node(m, "Add", "add", "x,f", "y");
	mini_output(m, "y");
	{
		float in[2] = { 0.5f, 0.25f };

		r = mini_run(m, in, 1, &y, &os, &err);
		ok(r == 0 && os == 2 && y[0] == 1.5f && y[1] == 2.25f,
		    "ArgMax of a constant folds to int64 indices%s%s",
		    err ? ": " : "", err ? err : "");
	}
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);
	m = mini_new(13, 1, (int64_t[]){ 4 });
	mini_node(m, "ArgMax", "am", "x", "y");
	mini_output(m, "y");
	r = mini_run(m, ties, 2, &y, &os, &err);
	/* one sample at a time: the index in a batch of one */
	ok(r == 0 && os == 4 && y[0] == 0 && y[3] == 0 && y[4] == 0 &&
	    y[7] == 0, "ArgMax over the batch (axis 0, the default) runs one "
	    "sample at a time, each index 0%s%s", err ? ": " : "",
	    err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
	free(x);
}

/* Concat of six activations along the last axis (chained ops), and of a
 * constant class token with x along an inner axis, as ViT writes it */
static void
test_concat(void)
{
	size_t xb, os = 0, k;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb), *y = NULL;
	struct wh_model *m;
	char *err = NULL;
	int r, same, first;

	if (x == NULL)
		return;
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_attr_int(mini_node(m, "Concat", "cat", "x,x,x,x,x,x", "y"), "axis",
	    -1);
	mini_output(m, "y");
	r = mini_run(m, x, 2, &y, &os, &err);
	same = r == 0 && os == 144;
	for (k = 0; same && k < 2 * 144; k++)
		same = y[k] == x[k / 24 * 4 + k % 4];
	ok(same, "Concat of six activations along the last axis equals "
	    "numpy's concatenate%s%s", err ? ": " : "", err ? err : "");
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);
	/* Concat([token, x], axis=2), token: (1 or 3, 2, 1, 4) = 10 + i */
	for (first = 1; first <= 3; first += 2) {
		m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
		mini_init(m, "tok", 4, (int64_t[]){ first, 2, 1, 4 }, 0);
		for (k = 0; k < (size_t)first * 8; k++)
			m->inits[0].f[k] = 10 + (float)(k % 8);
		mini_attr_int(mini_node(m, "Concat", "cat", "tok,x", "y"),
		    "axis", 2);
		mini_output(m, "y");
		r = mini_run(m, x, 2, &y, &os, &err);
		same = r == 0 && os == 32;
		for (k = 0; same && k < 2 * 32; k++) {
			size_t s = k / 32, ch = k / 16 % 2, h = k / 4 % 4;

			same = y[k] == (h == 0 ? 10 + (float)(ch * 4 + k % 4) :
			    x[s * 24 + ch * 12 + (h - 1) * 4 + k % 4]);
		}
		ok(same, "Concat of a constant of first dim %d before x along "
		    "axis 2%s%s", first, err ? ": " : "", err ? err : "");
		free(err);
		err = NULL;
		free(y);
		y = NULL;
		wh_model_free(m);
	}
	m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
	mini_init(m, "tok", 4, (int64_t[]){ 3, 2, 1, 4 }, 0);
	m->inits[0].f[20] = 1;
	mini_attr_int(mini_node(m, "Concat", "cat", "x,tok", "y"), "axis", 2);
	mini_output(m, "y");
	r = mini_run(m, x, 2, &y, &os, &err);
	ok(r != 0 && err != NULL && strstr(err, "sample to sample") != NULL,
	    "a constant that differs per sample is refused: %s",
	    err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
	free(x);
}

/* Transpose folded on a constant, Unsqueeze with axes as the input (13)
 * and a repeated axis refused */
static void
test_transpose_unsqueeze(void)
{
	size_t os = 0, k;
	float *y = NULL, in[6] = { 0 };
	struct wh_model *m;
	char *err = NULL;
	int r, same;

	/* x + Transpose(c, perm [1, 2, 0]), c: (3, 1, 2) = i -> (1, 2, 3) */
	m = mini_new(13, 2, (int64_t[]){ 2, 3 });
	mini_init(m, "c", 3, (int64_t[]){ 3, 1, 2 }, 0);
	for (k = 0; k < 6; k++)
		m->inits[0].f[k] = (float)k;
	mini_attr_ints(mini_node(m, "Transpose", "tr", "c", "ct"), "perm", 3,
	    0);
	memcpy(m->nodes[0].attrs[0].ints, (int64_t[]){ 1, 2, 0 },
	    3 * sizeof(int64_t));
	mini_node(m, "Add", "add", "x,ct", "y");
	mini_output(m, "y");
	r = mini_run(m, in, 1, &y, &os, &err);
	same = r == 0 && os == 6;
	for (k = 0; same && k < 6; k++)	/* ct[0, j, i] = c[i, 0, j] */
		same = y[k] == (float)(k % 3 * 2 + k / 3);
	ok(same, "Transpose of a constant folds to numpy's transpose%s%s",
	    err ? ": " : "", err ? err : "");
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);
	m = mini_new(13, 2, (int64_t[]){ 2, 3 });
	mini_init_ints(m, "ax", 2, (int64_t[]){ 1, -1 });
	mini_node(m, "Unsqueeze", "us", "x,ax", "u");
	mini_init_ints(m, "sh", 2, (int64_t[]){ 0, -1 });
	mini_node(m, "Reshape", "rs", "u,sh", "y");
	mini_output(m, "y");
	r = mini_run(m, in, 1, &y, &os, &err);
	ok(r == 0 && os == 6, "Unsqueeze with axes [1, -1] as the input%s%s",
	    err ? ": " : "", err ? err : "");
	free(err);
	err = NULL;
	free(y);
	y = NULL;
	wh_model_free(m);
	m = mini_new(13, 2, (int64_t[]){ 2, 3 });
	mini_init_ints(m, "ax", 2, (int64_t[]){ 1, 1 });
	mini_node(m, "Unsqueeze", "us", "x,ax", "y");
	mini_output(m, "y");
	r = mini_run(m, in, 1, &y, &os, &err);
	ok(r != 0 && err != NULL && strstr(err, "repeated") != NULL,
	    "Unsqueeze with a repeated axis is refused: %s", err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
}

/* Softmax and LogSoftmax along an inner axis (opset 13), and Softmax in
 * the coerced-to-2-D form before 13, on x: (2, 2, 3, 4) */
/*
 * Transpose of an activation, x: (n, 3, 17, 20), in every permutation of
 * the sample's axes against the index arithmetic: the fast paths (one
 * 2-D transpose per sample, such as NCHW -> NHWC; a batch of them; rows
 * of the last axis moved whole; a copy where only dims of 1 move) and the
 * general walk.  17 x 20 spans tiles.
 */
static void
test_transpose_perms(void)
{
	static const int perms[6][3] = { { 0, 1, 2 }, { 0, 2, 1 },
	    { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	static const int64_t d[3] = { 3, 17, 20 }, d1[3] = { 1, 17, 20 };
	size_t n = 2, ss = 3 * 17 * 20, k, os;
	float *x = xmalloc(n * ss * sizeof *x), *y;
	int p, ones, bad = 0, i;

	for (k = 0; k < n * ss; k++)
		x[k] = (float)k;
	for (ones = 0; ones <= 1; ones++)
		for (p = 0; p < 6; p++) {
			const int64_t *dims = ones ? d1 : d;
			struct wh_model *m = mini_new(13, 3, dims);
			struct wh_node *nd = mini_node(m, "Transpose", "tr", "x",
			    "y");
			char *err = NULL;
			size_t sss = (size_t)(dims[0] * dims[1] * dims[2]);

			mini_attr_ints(nd, "perm", 4, 0);
			for (i = 0; i < 3; i++)
				nd->attrs[0].ints[i + 1] = perms[p][i] + 1;
			mini_output(m, "y");
			y = NULL;
			if (mini_run(m, x, n, &y, &os, &err) != 0 || os != sss) {
				tap_diag("%s", err ? err : "size");
				free(err);
				bad++;
			} else {
				int64_t od[3], str[3], q, src, idx[3];

				str[2] = 1;
				str[1] = dims[2];
				str[0] = dims[1] * dims[2];
				for (i = 0; i < 3; i++)
					od[i] = dims[perms[p][i]];
				for (q = 0; q < (int64_t)(n * sss); q++) {
					idx[2] = q % od[2];
					idx[1] = q / od[2] % od[1];
					idx[0] = q / (od[2] * od[1]) % od[0];
					src = q / (int64_t)sss * (int64_t)sss;
					for (i = 0; i < 3; i++)
						src += idx[i] * str[perms[p][i]];
					if (y[q] != x[src])
						bad++;
				}
			}
			free(y);
			wh_model_free(m);
		}
	free(x);
	ok(bad == 0, "Transpose in each permutation of (3, 17, 20) and "
	    "(1, 17, 20) moves every value where the index arithmetic says "
	    "(%d misplaced)", bad);
}

static void
test_softmax(void)
{
	static const struct {
		const char *op, *what, *rel;
		int opset;
	} cases[] = {
		{ "Softmax", "Softmax along axis 2 at opset 13",
		    "tests/fixtures/ref/op-softmax-13.npy", 13 },
		{ "LogSoftmax", "LogSoftmax along axis 2 at opset 13",
		    "tests/fixtures/ref/op-logsoftmax-13.npy", 13 },
		{ "Softmax", "Softmax from axis 2, flattened, at opset 11",
		    "tests/fixtures/ref/op-softmax-11.npy", 11 },
	};
	size_t xb, i;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb);

	if (x == NULL)
		return;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wh_model *m = mini_new(cases[i].opset, 3,
		    (int64_t[]){ 2, 3, 4 });

		mini_attr_int(mini_node(m, cases[i].op, "sm", "x", "y"), "axis",
		    2);
		mini_output(m, "y");
		near_as(cases[i].what, m, x, cases[i].rel, 1e-6);
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

/*
 * Slices whose trailing dims copy as one run (a channel split, a band of
 * rows, a partial last dim) against the definition, element by element:
 * x (2, 2, 3, 4), per-sample start and count on each of the three dims.
 */
static void
test_slice_runs(void)
{
	static const struct { int64_t st[3], cnt[3]; const char *what; } c[] = {
		{ { 1, 0, 0 }, { 1, 3, 4 }, "x[:, 1:2]: whole planes" },
		{ { 0, 1, 0 }, { 2, 2, 4 }, "x[:, :, 1:3]: whole rows" },
		{ { 1, 0, 1 }, { 1, 2, 2 }, "x[:, 1:, 0:2, 1:3]: part of a row" },
		{ { 0, 0, 0 }, { 2, 3, 4 }, "x[:, 0:2]: all of it" },
	};
	size_t xb, t;
	float *x = fx_npy("tests/fixtures/ref/op-pad-x.npy", &xb);

	if (x == NULL)
		return;
	for (t = 0; t < sizeof c / sizeof *c; t++) {
		struct wh_model *m = mini_new(13, 3, (int64_t[]){ 2, 3, 4 });
		int64_t en[3];
		float *y = NULL;
		size_t os = 0, k, bad = 0;
		char *err = NULL;
		int s, a, b, d;

		for (k = 0; k < 3; k++)
			en[k] = c[t].st[k] + c[t].cnt[k];
		mini_init_ints(m, "st", 3, c[t].st);
		mini_init_ints(m, "en", 3, en);
		mini_init_ints(m, "ax", 3, (int64_t[]){ 1, 2, 3 });
		mini_node(m, "Slice", "sl", "x,st,en,ax", "y");
		mini_output(m, "y");
		if (mini_run(m, x, 2, &y, &os, &err) != 0 ||
		    os != (size_t)(c[t].cnt[0] * c[t].cnt[1] * c[t].cnt[2])) {
			ok(0, "%s runs: %s", c[t].what, err ? err : "size");
			goto next;
		}
		k = 0;
		for (s = 0; s < 2; s++)
			for (a = 0; a < c[t].cnt[0]; a++)
				for (b = 0; b < c[t].cnt[1]; b++)
					for (d = 0; d < c[t].cnt[2]; d++)
						bad += y[k++] != x[s * 24 +
						    (c[t].st[0] + a) * 12 +
						    (c[t].st[1] + b) * 4 +
						    c[t].st[2] + d];
		ok(bad == 0, "%s equals the definition (%zu differ)",
		    c[t].what, bad);
next:
		free(err);
		free(y);
		wh_model_free(m);
	}
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

/* An activation broadcast along the batch, (n, 2, 3, 4) + (n, 1, 2, 3, 4):
 * one sample at a time each sample is added to itself. */
static void
test_ew_batch(void)
{
	struct wh_model *m = ew_model(13, "Unsqueeze x,ax1 u; Sum x,u y");
	float x[48], *y = NULL;
	char *err = NULL;
	size_t os = 0, k;
	int r, good;

	for (k = 0; k < 48; k++)
		x[k] = 0.1f + 2 * cosf((float)k);
	mini_init_ints(m, "ax1", 1, (int64_t[]){ 1 });
	r = mini_run(m, x, 2, &y, &os, &err);
	good = r == 0 && os == 24;
	for (k = 0; good && k < 48; k++)
		good = y[k] == x[k] + x[k];
	ok(good, "a Sum broadcasting an activation along the batch runs one "
	    "sample at a time, each sample plus itself%s%s", err ? ": " : "",
	    err ? err : "");
	free(err);
	free(y);
	wh_model_free(m);
}

int
main(void)
{
	test_pad();
	test_elementwise();
	test_reduce_mean();
	test_reduce_kinds();
	test_matmul();
	test_split_tile();
	test_gmp_range();
	test_instance_group_norm();
	test_einsum();
	test_argmax();
	test_concat();
	test_transpose_unsqueeze();
	test_transpose_perms();
	test_softmax();
	test_layernorm();
	test_slice_gather();
	test_slice_runs();
	test_slice_to_end();
	test_ew_cases();
	test_ew_bad();
	test_ew_batch();
	return tap_done();
}
