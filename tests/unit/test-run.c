/* test-run.c - symbolic input dims, NPY and TensorProto files, and runs
 * on given tensors (whittle run) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "mini.h"
#include "tap.h"
#include "whittle/run.h"

/* x: (?, 3, ?, ?) -> GlobalAveragePool: symbolic dims bound by the caller. */
static void
test_symbolic(void)
{
	struct wh_model *m = mini_new(13, 3, (int64_t[]){ 3, -1, -1 });
	struct wh_graph_opts o = { 0, 3, { 3, 4, 5 }, NULL, 0, 0 };
	struct wh_graph_opts bad = { 0, 3, { 2, 4, 5 }, NULL, 0, 0 };
	struct wh_graph *g;
	struct wh_tensor out;
	float x[2 * 60];
	char *err = NULL;
	double maxd = 0;
	int i, c, k;

	mini_node(m, "GlobalAveragePool", "gap", "x", "y");
	mini_output(m, "y");
	g = wh_graph_new(m, &err);
	ok(g == NULL && err != NULL && strstr(err, "symbolic dim 2") != NULL,
	    "a symbolic dim unbound is refused: %s", err ? err : "");
	free(err);
	err = NULL;
	g = wh_graph_new_opts(m, &bad, &err);
	ok(g == NULL && err != NULL && strstr(err, "declared") != NULL,
	    "a bound dim against the declared one is refused: %s",
	    err ? err : "");
	free(err);
	err = NULL;
	g = wh_graph_new_opts(m, &o, &err);
	if (!ok(g != NULL, "binds 3 x 4 x 5%s%s", err ? ": " : "",
	    err ? err : "")) {
		free(err);
		wh_model_free(m);
		return;
	}
	ok(wh_graph_input_size(g) == 60 && wh_graph_output_size(g) == 3,
	    "input 60 values, output 3 per sample");
	for (i = 0; i < 120; i++)
		x[i] = 0.1f + 2 * cosf((float)i);
	ok(wh_graph_run(g, x, 2, &out, &err) == 0 && out.ndim == 4 &&
	    out.dims[0] == 2 && out.dims[1] == 3 && out.dims[2] == 1,
	    "runs 2 samples to (2, 3, 1, 1)");
	for (i = 0; i < 2; i++)
		for (c = 0; c < 3; c++) {
			double s = 0;

			for (k = 0; k < 20; k++)
				s += x[i * 60 + c * 20 + k];
			s = fabs(s / 20 - out.f[i * 3 + c]);
			if (s > maxd)
				maxd = s;
		}
	ok(maxd < 1e-6, "the means of each channel (max diff %g)", maxd);
	wh_tensor_release(&out);
	wh_graph_free(g);
	wh_model_free(m);
}

static void
test_npy(void)
{
	char path[] = "/tmp/test-run-XXXXXX";
	struct wh_tensor t = { 0 }, r;
	char *err = NULL, *file;
	int fd = mkstemp(path), types[] = { 1, 7, 6, 9 }, k;
	size_t i;

	close(fd);
	unlink(path);
	file = xasprintf("%s.npy", path);
	t.dtype = WH_FLOAT;
	t.ndim = 3;
	t.dims[0] = 2;
	t.dims[1] = 3;
	t.dims[2] = 1;
	t.count = 6;
	t.f = xcalloc(6, sizeof *t.f);
	for (i = 0; i < 6; i++)
		t.f[i] = (float)i - 2.0f;
	for (k = 0; k < 4; k++) {
		int same;

		if (wh_npy_write(file, &t, types[k], &err) != 0 ||
		    wh_tensor_read(file, &r, &err) != 0) {
			ok(0, "type %d round trip: %s", types[k], err);
			free(err);
			err = NULL;
			continue;
		}
		same = r.ndim == 3 && r.dims[1] == 3 && r.count == 6 &&
		    r.elem_type == types[k];
		for (i = 0; same && i < 6; i++) {
			double v = r.dtype == WH_FLOAT ? r.f[i] : (double)r.i[i];

			same = v == (types[k] == 9 ? t.f[i] != 0 : t.f[i]);
		}
		ok(same, "NPY of ONNX type %d round trips", types[k]);
		wh_tensor_release(&r);
	}
	fd = open(file, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && write(fd, "\x93NUMPY\x01\x00\x20\x00{'descr': '<f4'", 26)
	    == 26, "a truncated NPY written");
	close(fd);
	k = wh_tensor_read(file, &r, &err) != 0 && err != NULL &&
	    strstr(err, file) != NULL;
	ok(k, "is refused: %s", err ? err : "");
	free(err);
	unlink(file);
	free(file);
	wh_tensor_release(&t);
}

/* Two graph inputs: a (batched) + b (bound as a constant); and with an
 * axis that reads across the first dim, folded. */
static void
test_run(void)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 3 });
	struct wh_tensor in[2] = { { 0 }, { 0 } }, out;
	const char *how = NULL;
	char *err = NULL;
	int i, good;

	m->inputs = xreallocarray(m->inputs, 2, sizeof *m->inputs);
	m->ninputs = 2;
	memset(&m->inputs[1], 0, sizeof m->inputs[1]);
	m->inputs[1].name = xstrdup("b");
	m->inputs[1].elem_type = 1;
	m->inputs[1].ndim = -1;
	mini_node(m, "Add", "add", "x,b", "y");
	mini_output(m, "y");
	for (i = 0; i < 2; i++) {
		in[i].dtype = WH_FLOAT;
		in[i].ndim = 2;
		in[i].dims[0] = 2;
		in[i].dims[1] = 3;
		in[i].count = 6;
		in[i].f = xcalloc(6, sizeof(float));
	}
	for (i = 0; i < 6; i++) {
		in[0].f[i] = (float)i;
		in[1].f[i] = 10.0f * (float)i;
	}
	/* b: (2, 3) names the first dim, so only this batch can take it */
	good = wh_run(m, in, &out, &how, &err) == 0;
	ok(good && strcmp(how, "the batch as one") == 0, "x + b with b (2, 3) "
	    "runs for this batch only (%s)", good ? how : err);
	for (i = 0; good && i < 6; i++)
		good = out.f[i] == 11.0f * (float)i;
	ok(good && out.ndim == 2 && out.dims[0] == 2, "x + b is right");
	wh_tensor_release(&out);
	/* b: (3) broadcasts along the batch */
	in[1].ndim = 1;
	in[1].dims[0] = 3;
	in[1].count = 3;
	good = wh_run(m, in, &out, &how, &err) == 0;
	ok(good && strcmp(how, "batched") == 0, "x + b with b (3) runs "
	    "batched (%s)", good ? how : err);
	for (i = 0; good && i < 6; i++)
		good = out.f[i] == (float)i + 10.0f * (float)(i % 3);
	ok(good && out.ndim == 2 && out.dims[0] == 2, "x + b is right");
	wh_tensor_release(&out);
	in[0].dtype = WH_INT64;
	in[0].i = xcalloc(6, sizeof(int64_t));
	in[0].elem_type = 7;
	in[1].ndim = 2;
	in[1].dims[0] = 2;
	in[1].count = 6;
	good = wh_run(m, in, &out, &how, &err) != 0 && err != NULL &&
	    strstr(err, "input 'x'") != NULL;
	ok(good, "integers for a float input are refused: %s", err ? err : "");
	free(err);
	for (i = 0; i < 2; i++)
		wh_tensor_release(&in[i]);
	wh_model_free(m);
}

/* Shape of the batched input reports the real batch, and a constant whose
 * first dim lines up with the batch by chance folds instead. */
static void
test_batch(void)
{
	struct wh_model *m = mini_new(13, 1, (int64_t[]){ 3 });
	struct wh_tensor in[2] = { { 0 }, { 0 } }, out;
	const char *how = NULL;
	char *err = NULL;
	int i, good;

	mini_node(m, "Shape", "shape", "x", "s");
	mini_output(m, "s");
	in[0].dtype = WH_FLOAT;
	in[0].ndim = 2;
	in[0].dims[0] = 2;
	in[0].dims[1] = 3;
	in[0].count = 6;
	in[0].f = xcalloc(6, sizeof(float));
	good = wh_run(m, in, &out, &how, &err) == 0;
	ok(good && out.count == 2 && out.dtype == WH_INT64 && out.i[0] == 2 &&
	    out.i[1] == 3, "Shape of a (2, 3) input is [2, 3]%s%s",
	    err ? ": " : "", err ? err : "");
	wh_tensor_release(&out);
	wh_model_free(m);

	/* x: (3, 3) + b: (3, 3), with the old probe batch of 3 */
	m = mini_new(13, 1, (int64_t[]){ 3 });
	m->inputs = xreallocarray(m->inputs, 2, sizeof *m->inputs);
	m->ninputs = 2;
	memset(&m->inputs[1], 0, sizeof m->inputs[1]);
	m->inputs[1].name = xstrdup("b");
	m->inputs[1].elem_type = 1;
	m->inputs[1].ndim = -1;
	mini_node(m, "Add", "add", "x,b", "y");
	mini_output(m, "y");
	wh_tensor_release(&in[0]);
	for (i = 0; i < 2; i++) {
		in[i].dtype = WH_FLOAT;
		in[i].ndim = 2;
		in[i].dims[0] = 3;
		in[i].dims[1] = 3;
		in[i].count = 9;
		in[i].f = xcalloc(9, sizeof(float));
	}
	for (i = 0; i < 9; i++) {
		in[0].f[i] = (float)i;
		in[1].f[i] = 100.0f * (float)i;
	}
	good = wh_run(m, in, &out, &how, &err) == 0;
	for (i = 0; good && i < 9; i++)
		good = out.f[i] == 101.0f * (float)i;
	ok(good, "x (3, 3) + b (3, 3) adds element by element (%s)",
	    good ? how : err ? err : "wrong values");
	wh_tensor_release(&out);
	for (i = 0; i < 2; i++)
		wh_tensor_release(&in[i]);
	free(err);
	wh_model_free(m);
}

int
main(void)
{
	test_batch();
	test_symbolic();
	test_npy();
	test_run();
	return tap_done();
}
