/* test-optable.c - the operator table: one sorted list, sane opset ranges
 * and counts, something to run for every row, and lookups by opset */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "op.h"
#include "tap.h"

static void
test_rows(void)
{
	const struct wh_opdef *const *t;
	size_t n, i;
	int sorted = 1, ranges = 1, counts = 1, runs = 1, kernels = 1;

	t = wh_op_table(&n);
	ok(n >= 40, "the table lists %zu operators", n);
	for (i = 0; i < n; i++) {
		const struct wh_opdef *d = t[i];

		if (d->since < 1 || (d->until != 0 && d->until < d->since)) {
			ranges = 0;
			tap_diag("%s: opsets %d to %d", d->name, d->since,
			    d->until);
		}
		if (d->min_in < 0 || d->min_in > d->max_in || d->min_out < 1 ||
		    d->min_out > d->max_out) {
			counts = 0;
			tap_diag("%s: inputs %d to %d, outputs %d to %d",
			    d->name, d->min_in, d->max_in, d->min_out,
			    d->max_out);
		}
		if (d->fold == NULL && d->compile == NULL) {
			runs = 0;
			tap_diag("%s: neither folds nor compiles", d->name);
		}
		if (d->kernel == NULL && d->fold == NULL) {
			runs = 0;
			tap_diag("%s: neither a kernel nor a fold", d->name);
		}
		if (d->kernel != NULL && (d->kernel->run == NULL ||
		    d->kernel->name == NULL))
			kernels = 0;
		if (i > 0) {
			const struct wh_opdef *p = t[i - 1];
			int c = strcmp(p->name, d->name);

			/* by name; one name's ranges in order, disjoint */
			if (c > 0 || (c == 0 && (p->until == 0 ||
			    p->until >= d->since))) {
				sorted = 0;
				tap_diag("%s (from %d) before %s (from %d)",
				    p->name, p->since, d->name, d->since);
			}
		}
	}
	ok(sorted, "sorted by name, each name's opset ranges disjoint and "
	    "in order");
	ok(ranges, "every opset range starts at 1 or later and ends after "
	    "it starts");
	ok(counts, "input and output counts are ranges, at least one output");
	ok(runs, "every row folds constants or has a kernel");
	ok(kernels, "every kernel has a name and a run function");
}

static void
test_find(void)
{
	const struct wh_opdef *d;
	int known;

	d = wh_op_find("Softmax", 11, &known);
	ok(d != NULL && known && d->since == 1 && d->until == 12,
	    "Softmax at opset 11: the coerced-to-2-D definition");
	d = wh_op_find("Softmax", 13, NULL);
	ok(d != NULL && d->since == 13, "Softmax at opset 13: the axis one");
	d = wh_op_find("Softmax", 21, NULL);
	ok(d != NULL && d->since == 13 && d->until == 0,
	    "Softmax at opset 21: the open range");
	d = wh_op_find("Reshape", 4, &known);
	ok(d == NULL && known, "Reshape at opset 4 (shape attribute) is known "
	    "but not run");
	d = wh_op_find("FancyPool", 13, &known);
	ok(d == NULL && !known, "an unknown operator is not found");
	d = wh_op_find("Abs", 13, NULL);
	ok(d != NULL && strcmp(d->name, "Abs") == 0, "the first row is found");
	d = wh_op_find("Unsqueeze", 13, NULL);
	ok(d != NULL && strcmp(d->name, "Unsqueeze") == 0,
	    "the last row is found");
	d = wh_op_find("Relu", 13, NULL);
	ok(d != NULL && d->min_in == 1 && d->max_in == 1 && d->min_out == 1,
	    "Relu takes one input and gives one output");
	d = wh_op_find("Conv", 13, NULL);
	ok(d != NULL && d->min_in == 2 && d->max_in == 3,
	    "Conv takes 2 or 3 inputs");
	d = wh_op_find("Concat", 13, NULL);
	ok(d != NULL && d->max_in == WH_ANY, "Concat is variadic");
}

/*
 * Non-finite and out-of-range floats reach the integer conversions from any
 * model (0/0 upstream of DequantizeLinear, Clip's infinite default bounds
 * on an int64 shape): each gives a defined value, which UBSan checks in
 * 'make check-asan'.
 */
static void
test_nonfinite(void)
{
	float y[3];
	const float x[3] = { NAN, INFINITY, -INFINITY };

	ok(wh_sat_i64(NAN) == 0, "NaN saturates to 0");
	ok(wh_sat_i64(INFINITY) == INT64_MAX && wh_sat_i64(1e30) == INT64_MAX,
	    "+inf and 1e30 saturate to INT64_MAX");
	ok(wh_sat_i64(-INFINITY) == INT64_MIN, "-inf saturates to INT64_MIN");
	ok(wh_sat_i64(-2.75) == -2 && wh_sat_i64(3.5) == 3,
	    "in range, the conversion truncates");
	ok(isnan(wh_unary_apply(U_DEQUANT, NAN, 0.5f, 3)),
	    "DequantizeLinear of NaN is NaN");
	ok(wh_unary_apply(U_DEQUANT, 7, 0.5f, 3) == 2.0f,
	    "DequantizeLinear of code 7, zero 3, scale 0.5 is 2");
	wh_fake_quant(x, y, 3, 0.1f, 128);
	ok(isnan(y[0]) && y[1] == (255 - 128) * 0.1f && y[2] == -128 * 0.1f,
	    "fake quantization keeps NaN and saturates the infinities "
	    "(%g %g %g)", y[0], y[1], y[2]);
}

int
main(void)
{
	test_rows();
	test_find();
	test_nonfinite();
	return tap_done();
}
