/* test-model.c - ONNX models built in memory and parsed; corrupt ones refused */

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* mkstemp */
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whittle/model.h"
#include "whittle/tensor.h"
#include "whittle/util.h"

#include "onnx.pb-c.h"
#include "tap.h"

/*
 * Builders.  Everything is allocated with malloc so that protobuf-c's
 * free_unpacked can free a built model just like an unpacked one.
 */

#define PUSH(arr, n, v) do {						\
	(arr) = xreallocarray((arr), (n) + 1, sizeof *(arr));		\
	(arr)[(n)++] = (v);						\
} while (0)

enum {
	DT_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
	DT_UINT8 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8,
	DT_INT8 = ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
	DT_INT32 = ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
	DT_INT64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
	DT_STRING = ONNX__TENSOR_PROTO__DATA_TYPE__STRING,
	DT_FLOAT16 = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16,
	DT_DOUBLE = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE,
	DT_BFLOAT16 = ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16,
	DT_UINT4 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT4,
	DT_INT4 = ONNX__TENSOR_PROTO__DATA_TYPE__INT4
};

static Onnx__TensorProto *
tensor_new(const char *name, int32_t dt, int ndim, const int64_t *dims)
{
	Onnx__TensorProto *t = xmalloc(sizeof *t);
	int k;

	onnx__tensor_proto__init(t);
	t->name = xstrdup(name);
	t->has_data_type = 1;
	t->data_type = dt;
	for (k = 0; k < ndim; k++)
		PUSH(t->dims, t->n_dims, dims[k]);
	return t;
}

static void
tensor_raw(Onnx__TensorProto *t, const void *p, size_t len)
{
	t->has_raw_data = 1;
	t->raw_data.len = len;
	t->raw_data.data = xmalloc(len ? len : 1);
	memcpy(t->raw_data.data, p, len);
}

/* float32 values as little-endian raw_data. */
static void
tensor_raw_floats(Onnx__TensorProto *t, const float *v, size_t n)
{
	unsigned char *b = xmalloc(4 * n + 1);
	uint32_t x;
	size_t k;

	for (k = 0; k < n; k++) {
		memcpy(&x, &v[k], 4);
		b[4 * k] = x & 0xff;
		b[4 * k + 1] = (x >> 8) & 0xff;
		b[4 * k + 2] = (x >> 16) & 0xff;
		b[4 * k + 3] = x >> 24;
	}
	tensor_raw(t, b, 4 * n);
	free(b);
}

static void
tensor_raw_u16(Onnx__TensorProto *t, const uint16_t *v, size_t n)
{
	unsigned char *b = xmalloc(2 * n + 1);
	size_t k;

	for (k = 0; k < n; k++) {
		b[2 * k] = v[k] & 0xff;
		b[2 * k + 1] = v[k] >> 8;
	}
	tensor_raw(t, b, 2 * n);
	free(b);
}

static void
tensor_raw_u64(Onnx__TensorProto *t, const uint64_t *v, size_t n)
{
	unsigned char *b = xmalloc(8 * n + 1);
	size_t k;
	int j;

	for (k = 0; k < n; k++) {
		for (j = 0; j < 8; j++)
			b[8 * k + j] = (v[k] >> (8 * j)) & 0xff;
	}
	tensor_raw(t, b, 8 * n);
	free(b);
}

static void
tensor_float_data(Onnx__TensorProto *t, const float *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		PUSH(t->float_data, t->n_float_data, v[k]);
}

static void
tensor_int32_data(Onnx__TensorProto *t, const int32_t *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		PUSH(t->int32_data, t->n_int32_data, v[k]);
}

static void
tensor_int64_data(Onnx__TensorProto *t, const int64_t *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		PUSH(t->int64_data, t->n_int64_data, v[k]);
}

/* ins and outs are comma separated; an empty entry is an omitted input. */
static void
split_into(const char *list, char ***arr, size_t *n)
{
	const char *p = list, *c;

	if (*list == '\0')
		return;
	for (;;) {
		c = strchr(p, ',');
		PUSH(*arr, *n, xstrndup(p, c ? (size_t)(c - p) : strlen(p)));
		if (c == NULL)
			break;
		p = c + 1;
	}
}

static Onnx__NodeProto *
node_new(const char *op, const char *name, const char *ins, const char *outs)
{
	Onnx__NodeProto *n = xmalloc(sizeof *n);

	onnx__node_proto__init(n);
	n->op_type = xstrdup(op);
	if (name != NULL)
		n->name = xstrdup(name);
	split_into(ins, &n->input, &n->n_input);
	split_into(outs, &n->output, &n->n_output);
	return n;
}

static Onnx__AttributeProto *
attr_add(Onnx__NodeProto *n, const char *name, int type)
{
	Onnx__AttributeProto *a = xmalloc(sizeof *a);

	onnx__attribute_proto__init(a);
	a->name = xstrdup(name);
	if (type != 0) {
		a->has_type = 1;
		a->type = type;
	}
	PUSH(n->attribute, n->n_attribute, a);
	return a;
}

static void
attr_int(Onnx__NodeProto *n, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = attr_add(n, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);

	a->has_i = 1;
	a->i = v;
}

static void
attr_float(Onnx__NodeProto *n, const char *name, float v)
{
	Onnx__AttributeProto *a = attr_add(n, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);

	a->has_f = 1;
	a->f = v;
}

static void
attr_tensor(Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t)
{
	attr_add(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t = t;
}

static Onnx__ValueInfoProto *
value_new(const char *name, int32_t elem, int ndim, const int64_t *dims)
{
	Onnx__ValueInfoProto *v = xmalloc(sizeof *v);
	Onnx__TypeProto *tp = xmalloc(sizeof *tp);
	Onnx__TypeProto__Tensor *tt = xmalloc(sizeof *tt);
	Onnx__TensorShapeProto *sp = xmalloc(sizeof *sp);
	Onnx__TensorShapeProto__Dimension *d;
	int k;

	onnx__value_info_proto__init(v);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sp);
	v->name = xstrdup(name);
	v->type = tp;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	tt->has_elem_type = 1;
	tt->elem_type = elem;
	tt->shape = sp;
	for (k = 0; k < ndim; k++) {
		d = xmalloc(sizeof *d);
		onnx__tensor_shape_proto__dimension__init(d);
		if (dims[k] < 0) {
			d->value_case =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = xstrdup("N");
		} else {
			d->value_case =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = dims[k];
		}
		PUSH(sp->dim, sp->n_dim, d);
	}
	return v;
}

static Onnx__StringStringEntryProto *
entry_new(const char *key, const char *value)
{
	Onnx__StringStringEntryProto *e = xmalloc(sizeof *e);

	onnx__string_string_entry_proto__init(e);
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	return e;
}

static void
model_meta(Onnx__ModelProto *m, const char *key, const char *value)
{
	PUSH(m->metadata_props, m->n_metadata_props, entry_new(key, value));
}

static void
graph_init(Onnx__ModelProto *m, Onnx__TensorProto *t)
{
	PUSH(m->graph->initializer, m->graph->n_initializer, t);
}

static void
graph_node(Onnx__ModelProto *m, Onnx__NodeProto *n)
{
	PUSH(m->graph->node, m->graph->n_node, n);
}

static Onnx__ModelProto *
model_new(void)
{
	Onnx__ModelProto *m = xmalloc(sizeof *m);
	Onnx__OperatorSetIdProto *op = xmalloc(sizeof *op);
	Onnx__GraphProto *g = xmalloc(sizeof *g);

	onnx__model_proto__init(m);
	onnx__operator_set_id_proto__init(op);
	onnx__graph_proto__init(g);
	m->has_ir_version = 1;
	m->ir_version = 7;
	m->producer_name = xstrdup("whittle-test");
	op->domain = xstrdup("");
	op->has_version = 1;
	op->version = 13;
	PUSH(m->opset_import, m->n_opset_import, op);
	g->name = xstrdup("g");
	m->graph = g;
	return m;
}

/* w: (3, 4) with w[k] = 0.1 + 2 cos(k); b: (3) with b[k] = k / 2. */
static float
w_value(size_t k)
{
	return (float)(0.1 + 2 * cos((double)k));
}

enum { W_RAW, W_FLOAT_DATA };

/*
 * y = Gemm(x, w, b, transB=1): x (N, 4), w (3, 4), b (3), y (N, 3).
 * w is listed as a graph input too, as older exporters do.
 */
static Onnx__ModelProto *
gemm_model(int mode)
{
	Onnx__ModelProto *m = model_new();
	Onnx__TensorProto *w, *b;
	Onnx__NodeProto *n;
	int64_t xd[2] = { -1, 4 }, wd[2] = { 3, 4 }, bd[1] = { 3 };
	int64_t yd[2] = { -1, 3 };
	float wv[12], bv[3];
	size_t k;

	for (k = 0; k < 12; k++)
		wv[k] = w_value(k);
	for (k = 0; k < 3; k++)
		bv[k] = 0.5f * k;
	w = tensor_new("w", DT_FLOAT, 2, wd);
	b = tensor_new("b", DT_FLOAT, 1, bd);
	if (mode == W_RAW) {
		tensor_raw_floats(w, wv, 12);
		tensor_raw_floats(b, bv, 3);
	} else {
		tensor_float_data(w, wv, 12);
		tensor_float_data(b, bv, 3);
	}
	graph_init(m, w);
	graph_init(m, b);

	n = node_new("Gemm", NULL, "x,w,b", "y");
	attr_int(n, "transB", 1);
	attr_float(n, "alpha", 1.0f);
	graph_node(m, n);

	PUSH(m->graph->input, m->graph->n_input, value_new("x", DT_FLOAT, 2, xd));
	PUSH(m->graph->input, m->graph->n_input, value_new("w", DT_FLOAT, 2, wd));
	PUSH(m->graph->output, m->graph->n_output,
	    value_new("y", DT_FLOAT, 2, yd));
	return m;
}

static unsigned char *
pack(const Onnx__ModelProto *m, size_t *len)
{
	unsigned char *buf;

	*len = onnx__model_proto__get_packed_size(m);
	buf = xmalloc(*len ? *len : 1);
	onnx__model_proto__pack(m, buf);
	return buf;
}

/* Packs mp, frees it, and parses the bytes as "model.onnx". */
static struct wh_model *
parse_proto(Onnx__ModelProto *mp, char **err)
{
	struct wh_model *m;
	unsigned char *buf;
	size_t len;

	buf = pack(mp, &len);
	onnx__model_proto__free_unpacked(mp, NULL);
	*err = NULL;
	m = wh_model_parse("model.onnx", buf, len, err);
	free(buf);
	return m;
}

/* A model with one extra initializer t, parsed; NULL with a diagnostic. */
static struct wh_model *
parse_with_init(Onnx__TensorProto *t)
{
	Onnx__ModelProto *mp = gemm_model(W_RAW);
	struct wh_model *m;
	char *err;

	graph_init(mp, t);
	m = parse_proto(mp, &err);
	if (m == NULL) {
		tap_diag("unexpected error: %s", err);
		free(err);
	}
	return m;
}

/* ------------------------------------------------------------------ */

static void
test_gemm(int mode)
{
	const char *how = mode == W_RAW ? "raw_data" : "float_data";
	struct wh_model *m;
	const struct wh_tensor *w, *b;
	const struct wh_node *n;
	char *err;
	size_t k, bad;

	m = parse_proto(gemm_model(mode), &err);
	if (!ok(m != NULL, "%s: Gemm model parses", how)) {
		tap_diag("%s", err);
		free(err);
		return;
	}
	ok(m->opset == 13 && m->ir_version == 7, "%s: opset 13, IR 7", how);
	ok(strcmp(m->producer, "whittle-test") == 0, "%s: producer", how);
	ok(m->ninits == 2 && m->nnodes == 1, "%s: 2 initializers, 1 node", how);
	ok(m->ninputs == 1 && strcmp(m->inputs[0].name, "x") == 0,
	    "%s: the initializer listed as input is not a graph input", how);
	ok(m->inputs[0].ndim == 2 && m->inputs[0].dims[0] == -1 &&
	    m->inputs[0].dims[1] == 4 && m->inputs[0].elem_type == DT_FLOAT,
	    "%s: input x is FLOAT (-1, 4)", how);
	ok(m->noutputs == 1 && strcmp(m->outputs[0].name, "y") == 0 &&
	    m->outputs[0].dims[1] == 3, "%s: output y (-1, 3)", how);

	w = wh_model_init(m, "w");
	b = wh_model_init(m, "b");
	ok(w != NULL && w->dtype == WH_FLOAT && w->ndim == 2 &&
	    w->dims[0] == 3 && w->dims[1] == 4 && w->count == 12,
	    "%s: w is float (3, 4)", how);
	bad = 0;
	for (k = 0; w != NULL && k < 12; k++) {
		if (w->f[k] != w_value(k))
			bad++;
	}
	ok(w != NULL && bad == 0, "%s: w values exact", how);
	ok(b != NULL && b->count == 3 && b->f[2] == 1.0f, "%s: b values", how);
	ok(wh_model_init(m, "nope") == NULL, "%s: missing init is NULL", how);

	n = &m->nodes[0];
	ok(strcmp(n->op, "Gemm") == 0 && strcmp(n->name, "Gemm_0") == 0,
	    "%s: unnamed node becomes 'Gemm_0'", how);
	ok(n->ninputs == 3 && strcmp(n->inputs[1], "w") == 0 &&
	    n->noutputs == 1 && strcmp(n->outputs[0], "y") == 0,
	    "%s: node wiring", how);
	ok(wh_node_attr_int(n, "transB", 0) == 1 &&
	    wh_node_attr_int(n, "transA", 0) == 0 &&
	    wh_node_attr_float(n, "alpha", 2) == 1.0f &&
	    wh_node_attr_float(n, "beta", 2) == 2.0f,
	    "%s: attribute lookups with defaults", how);
	ok(wh_node_attr_int(n, "alpha", -7) == -7,
	    "%s: int lookup of a float attribute gives the default", how);
	ok(m->proto != NULL && m->file_bytes > 0, "%s: proto kept", how);
	ok(m->has_pre == 0 && m->pre.scale == 1.0f / 255.0f &&
	    m->pre.nmean == 0 && m->pre.nstd == 0 && m->nlabels == 0 &&
	    m->labels == NULL && m->dataset == NULL,
	    "%s: default preprocessing, no labels", how);
	wh_model_free(m);
}

static void
test_half_inits(void)
{
	static const uint16_t h[6] = {
		0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00
	};
	static const float want[5] = {
		1.0f, -2.0f, 65504.0f, 5.960464477539063e-08f, 0.333251953125f
	};
	static const uint16_t bh[4] = { 0x3f80, 0xc000, 0x4049, 0xff80 };
	static const float bwant[3] = { 1.0f, -2.0f, 3.140625f };
	int64_t d6[1] = { 6 }, d4[1] = { 4 };
	int32_t i32[6];
	Onnx__TensorProto *t;
	const struct wh_tensor *v;
	struct wh_model *m;
	int pass, k, good;

	for (pass = 0; pass < 2; pass++) {
		const char *how = pass ? "int32_data" : "raw_data";

		t = tensor_new("h", DT_FLOAT16, 1, d6);
		if (pass) {
			for (k = 0; k < 6; k++)
				i32[k] = h[k];
			tensor_int32_data(t, i32, 6);
		} else
			tensor_raw_u16(t, h, 6);
		m = parse_with_init(t);
		v = m ? wh_model_init(m, "h") : NULL;
		good = v != NULL && v->dtype == WH_FLOAT && v->count == 6;
		for (k = 0; good && k < 5; k++)
			good = v->f[k] == want[k];
		ok(good && isinf(v->f[5]) && v->f[5] > 0,
		    "float16 %s widened to float32", how);
		wh_model_free(m);

		t = tensor_new("bf", DT_BFLOAT16, 1, d4);
		if (pass) {
			for (k = 0; k < 4; k++)
				i32[k] = bh[k];
			tensor_int32_data(t, i32, 4);
		} else
			tensor_raw_u16(t, bh, 4);
		m = parse_with_init(t);
		v = m ? wh_model_init(m, "bf") : NULL;
		good = v != NULL && v->dtype == WH_FLOAT && v->count == 4;
		for (k = 0; good && k < 3; k++)
			good = v->f[k] == bwant[k];
		ok(good && isinf(v->f[3]) && v->f[3] < 0,
		    "bfloat16 %s widened to float32", how);
		wh_model_free(m);
	}
}

static void
test_int_inits(void)
{
	int64_t d1[1] = { 1 }, d2[1] = { 2 }, d3[1] = { 3 }, d5[1] = { 5 };
	int64_t shape[2] = { 1, -1 }, sd[1] = { 2 };
	int32_t i32[2] = { -5, 7 }, i8[1] = { -3 }, nib[3] = { 0xe1, 0x87, 0x03 };
	unsigned char b8[3] = { 0xff, 0x7f, 0x80 };
	unsigned char b4[3] = { 0xe1, 0x87, 0x03 };
	unsigned char r32[8] = { 0xfb, 0xff, 0xff, 0xff, 7, 0, 0, 0 };
	uint64_t u64[2] = { 1, (uint64_t)-1 };
	double dd[3] = { 1.5, -2.25, 1e-3 };
	uint64_t draw[1];
	Onnx__TensorProto *t;
	const struct wh_tensor *v;
	struct wh_model *m;

	t = tensor_new("shape", DT_INT64, 1, sd);
	tensor_int64_data(t, shape, 2);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "shape") : NULL;
	ok(v != NULL && v->dtype == WH_INT64 && v->count == 2 &&
	    v->i[0] == 1 && v->i[1] == -1 && v->f == NULL,
	    "int64 shape initializer from int64_data");
	wh_model_free(m);

	t = tensor_new("shape", DT_INT64, 1, d2);
	tensor_raw_u64(t, u64, 2);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "shape") : NULL;
	ok(v != NULL && v->i[0] == 1 && v->i[1] == -1,
	    "int64 shape initializer from raw_data");
	wh_model_free(m);

	t = tensor_new("i32", DT_INT32, 1, d2);
	tensor_int32_data(t, i32, 2);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "i32") : NULL;
	ok(v != NULL && v->dtype == WH_INT64 && v->i[0] == -5 && v->i[1] == 7,
	    "int32 from int32_data widened to int64");
	wh_model_free(m);

	t = tensor_new("i32", DT_INT32, 1, d2);
	tensor_raw(t, r32, 8);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "i32") : NULL;
	ok(v != NULL && v->i[0] == -5 && v->i[1] == 7,
	    "int32 from raw_data widened to int64");
	wh_model_free(m);

	t = tensor_new("q", DT_INT8, 1, d3);
	tensor_raw(t, b8, 3);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "q") : NULL;
	ok(v != NULL && v->dtype == WH_INT64 && v->i[0] == -1 &&
	    v->i[1] == 127 && v->i[2] == -128, "int8 raw_data sign-extended");
	wh_model_free(m);

	t = tensor_new("q", DT_UINT8, 1, d3);
	tensor_raw(t, b8, 3);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "q") : NULL;
	ok(v != NULL && v->i[0] == 255 && v->i[1] == 127 && v->i[2] == 128,
	    "uint8 raw_data");
	wh_model_free(m);

	t = tensor_new("q", DT_INT8, 1, d1);
	tensor_int32_data(t, i8, 1);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "q") : NULL;
	ok(v != NULL && v->i[0] == -3, "int8 from int32_data");
	wh_model_free(m);

	t = tensor_new("q4", DT_INT4, 1, d5);
	tensor_raw(t, b4, 3);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "q4") : NULL;
	ok(v != NULL && v->count == 5 && v->i[0] == 1 && v->i[1] == -2 &&
	    v->i[2] == 7 && v->i[3] == -8 && v->i[4] == 3,
	    "int4 raw_data: low nibble first, sign-extended");
	wh_model_free(m);

	t = tensor_new("q4", DT_UINT4, 1, d5);
	tensor_raw(t, b4, 3);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "q4") : NULL;
	ok(v != NULL && v->i[0] == 1 && v->i[1] == 14 && v->i[2] == 7 &&
	    v->i[3] == 8 && v->i[4] == 3, "uint4 raw_data");
	wh_model_free(m);

	t = tensor_new("q4", DT_INT4, 1, d5);
	tensor_int32_data(t, nib, 3);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "q4") : NULL;
	ok(v != NULL && v->i[1] == -2 && v->i[4] == 3,
	    "int4 from int32_data, two per entry");
	wh_model_free(m);

	t = tensor_new("d", DT_DOUBLE, 1, d3);
	PUSH(t->double_data, t->n_double_data, dd[0]);
	PUSH(t->double_data, t->n_double_data, dd[1]);
	PUSH(t->double_data, t->n_double_data, dd[2]);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "d") : NULL;
	ok(v != NULL && v->dtype == WH_FLOAT && v->f[0] == 1.5f &&
	    v->f[1] == -2.25f && v->f[2] == (float)1e-3,
	    "double_data narrowed to float32");
	wh_model_free(m);

	t = tensor_new("d", DT_DOUBLE, 1, d1);
	memcpy(&draw[0], &dd[1], 8);
	tensor_raw_u64(t, draw, 1);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "d") : NULL;
	ok(v != NULL && v->f[0] == -2.25f, "double raw_data narrowed");
	wh_model_free(m);

	/* A scalar and an empty tensor. */
	t = tensor_new("s", DT_FLOAT, 0, NULL);
	tensor_float_data(t, (const float[]){ 42.0f }, 1);
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "s") : NULL;
	ok(v != NULL && v->ndim == 0 && v->count == 1 && v->f[0] == 42.0f,
	    "scalar initializer");
	wh_model_free(m);

	t = tensor_new("e", DT_INT64, 1, (const int64_t[]){ 0 });
	m = parse_with_init(t);
	v = m ? wh_model_init(m, "e") : NULL;
	ok(v != NULL && v->count == 0 && v->i != NULL,
	    "empty int64 initializer without data");
	wh_model_free(m);
}

static void
test_nodes(void)
{
	Onnx__ModelProto *mp = gemm_model(W_RAW);
	Onnx__NodeProto *n;
	Onnx__AttributeProto *a;
	Onnx__TensorProto *t;
	Onnx__TypeProto__Tensor *tt;
	const struct wh_attr *at;
	const struct wh_node *c;
	struct wh_model *m;
	int64_t d2[1] = { 2 }, zd[2] = { -1, 3 };
	float cv[2] = { 1.5f, 2.5f };
	char *err;

	t = tensor_new("", DT_FLOAT, 1, d2);
	tensor_raw_floats(t, cv, 2);
	n = node_new("Constant", "c0", "", "cst");
	attr_tensor(n, "value", t);
	graph_node(mp, n);

	n = node_new("Constant", "c1", "", "cst2");
	a = attr_add(n, "value_ints",
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	PUSH(a->ints, a->n_ints, 1);
	PUSH(a->ints, a->n_ints, 2);
	PUSH(a->ints, a->n_ints, 3);
	graph_node(mp, n);

	n = node_new("Constant", "c2", "", "lo");
	attr_float(n, "value_float", 0.25f);
	graph_node(mp, n);

	/* Clip(y, "", lo), with an old-style untyped int and a STRINGS attr. */
	n = node_new("Clip", "clip", "y,,lo", "z");
	a = attr_add(n, "legacy", 0);
	a->has_i = 1;
	a->i = 9;
	a = attr_add(n, "names", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
	PUSH(a->strings, a->n_strings, ((ProtobufCBinaryData){ 1,
	    (uint8_t *)xstrdup("a") }));
	a = attr_add(n, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	a->has_s = 1;
	a->s.len = 4;
	a->s.data = (uint8_t *)xstrdup("fast");
	n->domain = xstrdup("ai.onnx");
	graph_node(mp, n);
	PUSH(mp->graph->output, mp->graph->n_output,
	    value_new("z", DT_FLOAT, 2, zd));
	tt = mp->graph->output[1]->type->tensor_type;
	onnx__tensor_shape_proto__free_unpacked(tt->shape, NULL);
	tt->shape = NULL;

	m = parse_proto(mp, &err);
	if (!ok(m != NULL, "model with Constant and Clip nodes parses")) {
		tap_diag("%s", err);
		free(err);
		return;
	}
	ok(m->nnodes == 5 && m->noutputs == 2, "5 nodes, 2 outputs");
	ok(m->outputs[1].ndim == -1 && m->outputs[1].elem_type == DT_FLOAT,
	    "an output without a shape has ndim -1");
	c = &m->nodes[1];
	at = wh_node_attr(c, "value");
	ok(at != NULL && at->type == WH_ATTR_TENSOR && at->t != NULL &&
	    at->t->dtype == WH_FLOAT && at->t->count == 2 &&
	    at->t->f[0] == 1.5f && at->t->f[1] == 2.5f,
	    "Constant value tensor converted");
	at = wh_node_attr(&m->nodes[2], "value_ints");
	ok(at != NULL && at->type == WH_ATTR_INTS && at->n == 3 &&
	    at->ints[2] == 3, "Constant value_ints kept as INTS");
	ok(wh_node_attr_float(&m->nodes[3], "value_float", 0) == 0.25f,
	    "Constant value_float kept as FLOAT");
	c = &m->nodes[4];
	ok(c->ninputs == 3 && strcmp(c->inputs[1], "") == 0 &&
	    strcmp(c->inputs[2], "lo") == 0, "omitted optional input is \"\"");
	ok(wh_node_attr_int(c, "legacy", 0) == 9,
	    "attribute without a type field is inferred as INT");
	at = wh_node_attr(c, "names");
	ok(at != NULL && (int)at->type == 8 && at->n == 0 && at->s == NULL,
	    "STRINGS attribute kept with its type and no value");
	at = wh_node_attr(c, "mode");
	ok(at != NULL && at->type == WH_ATTR_STRING && strcmp(at->s, "fast") == 0,
	    "STRING attribute");
	ok(wh_node_attr(c, "absent") == NULL, "absent attribute is NULL");
	wh_model_free(m);
}

static void
test_meta(void)
{
	Onnx__ModelProto *mp = gemm_model(W_RAW);
	struct wh_model *m;
	char *err;

	model_meta(mp, "whittle.input.scale", "0.5");
	model_meta(mp, "whittle.input.mean", "0.1, 0.2,0.3");
	model_meta(mp, "whittle.input.std", "0.5");
	model_meta(mp, "whittle.labels", "T-shirt/top, b ,c");
	model_meta(mp, "whittle.dataset", "fashion-mnist");
	model_meta(mp, "author", "someone");
	m = parse_proto(mp, &err);
	if (!ok(m != NULL, "model with metadata parses")) {
		tap_diag("%s", err);
		free(err);
		return;
	}
	ok(m->nmeta == 6 && strcmp(wh_model_meta(m, "author"), "someone") == 0,
	    "metadata kept");
	ok(wh_model_meta(m, "missing") == NULL, "missing metadata is NULL");
	ok(m->has_pre && m->pre.scale == 0.5f, "input scale");
	ok(m->pre.nmean == 3 && m->pre.mean[1] == 0.2f && m->pre.mean[2] == 0.3f,
	    "input mean, three channels");
	ok(m->pre.nstd == 1 && m->pre.std[0] == 0.5f, "input std, one value");
	ok(m->nlabels == 3 && strcmp(m->labels[0], "T-shirt/top") == 0 &&
	    strcmp(m->labels[1], "b") == 0 && strcmp(m->labels[2], "c") == 0,
	    "labels split and trimmed");
	ok(m->dataset != NULL && strcmp(m->dataset, "fashion-mnist") == 0,
	    "dataset");
	wh_model_free(m);

	mp = gemm_model(W_RAW);
	model_meta(mp, "whittle.input.std", "0.229,0.224,0.225");
	m = parse_proto(mp, &err);
	ok(m != NULL && m->has_pre && m->pre.scale == 1.0f / 255.0f &&
	    m->pre.nstd == 3 && m->pre.nmean == 0,
	    "std alone sets has_pre and keeps the default scale");
	if (m == NULL)
		free(err);
	wh_model_free(m);
}

static void
test_load_file(void)
{
	char path[] = "/tmp/whittle-test-model-XXXXXX";
	Onnx__ModelProto *mp = gemm_model(W_RAW);
	struct wh_model *m;
	unsigned char *buf;
	size_t len;
	char *err = NULL;
	int fd;

	buf = pack(mp, &len);
	onnx__model_proto__free_unpacked(mp, NULL);
	fd = mkstemp(path);
	if (fd == -1 || write(fd, buf, len) != (ssize_t)len) {
		tap_skip("cannot write a temporary file");
		if (fd != -1)
			close(fd);
		free(buf);
		return;
	}
	close(fd);
	m = wh_model_load(path, &err);
	ok(m != NULL && m->file_bytes == len && strcmp(m->path, path) == 0 &&
	    m->nnodes == 1, "wh_model_load reads a file (%zu bytes)", len);
	if (m == NULL) {
		tap_diag("%s", err);
		free(err);
	}
	wh_model_free(m);
	unlink(path);
	free(buf);

	err = NULL;
	m = wh_model_load("/nonexistent/whittle/model.onnx", &err);
	ok(m == NULL && err != NULL, "a missing file is an error: %s",
	    err ? err : "(none)");
	free(err);
}

/* ------------------------------------------------------------------ */
/* Corrupt models. */

static Onnx__TensorProto *
find_init(Onnx__ModelProto *mp, const char *name)
{
	size_t i;

	for (i = 0; i < mp->graph->n_initializer; i++) {
		if (strcmp(mp->graph->initializer[i]->name, name) == 0)
			return mp->graph->initializer[i];
	}
	abort();
}

static void
raw_short(Onnx__ModelProto *mp)
{
	find_init(mp, "w")->raw_data.len = 40;
}

static void
raw_long(Onnx__ModelProto *mp)
{
	Onnx__TensorProto *w = find_init(mp, "w");

	w->raw_data.data = xrealloc(w->raw_data.data, 52);
	memset(w->raw_data.data + 48, 0, 4);
	w->raw_data.len = 52;
}

static void
typed_count(Onnx__ModelProto *mp)
{
	Onnx__TensorProto *w = find_init(mp, "w");
	float v[11] = { 0 };

	free(w->raw_data.data);
	w->raw_data.data = NULL;
	w->raw_data.len = 0;
	w->has_raw_data = 0;
	tensor_float_data(w, v, 11);
}

static void
negative_dim(Onnx__ModelProto *mp)
{
	find_init(mp, "w")->dims[1] = -4;
}

static void
dims_overflow(Onnx__ModelProto *mp)
{
	Onnx__TensorProto *w = find_init(mp, "w");

	w->dims[0] = w->dims[1] = (int64_t)1 << 40;
	PUSH(w->dims, w->n_dims, (int64_t)1 << 40);
}

static void
bytes_overflow(Onnx__ModelProto *mp)
{
	Onnx__TensorProto *w = find_init(mp, "w");

	w->data_type = DT_INT64;
	w->dims[0] = (int64_t)1 << 31;
	w->dims[1] = (int64_t)1 << 31;	/* 2^62 values, 2^65 bytes */
}

static void
too_many_dims(Onnx__ModelProto *mp)
{
	Onnx__TensorProto *w = find_init(mp, "w");
	int k;

	for (k = 0; k < 7; k++)
		PUSH(w->dims, w->n_dims, 1);
}

static void
missing_input(Onnx__ModelProto *mp)
{
	Onnx__NodeProto *n = mp->graph->node[0];

	free(n->input[2]);
	n->input[2] = xstrdup("x7");
}

static void
duplicate_output(Onnx__ModelProto *mp)
{
	graph_node(mp, node_new("Relu", "relu", "x", "y"));
}

static void
output_shadows_init(Onnx__ModelProto *mp)
{
	graph_node(mp, node_new("Relu", "relu", "x", "b"));
}

static void
string_init(Onnx__ModelProto *mp)
{
	int64_t d[1] = { 1 };
	Onnx__TensorProto *t = tensor_new("names", DT_STRING, 1, d);

	PUSH(t->string_data, t->n_string_data, ((ProtobufCBinaryData){ 1,
	    (uint8_t *)xstrdup("a") }));
	graph_init(mp, t);
}

static void
external_data(Onnx__ModelProto *mp)
{
	Onnx__TensorProto *w = find_init(mp, "w");

	free(w->raw_data.data);
	w->raw_data.data = NULL;
	w->raw_data.len = 0;
	w->has_raw_data = 0;
	w->has_data_location = 1;
	w->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	PUSH(w->external_data, w->n_external_data,
	    entry_new("location", "w.bin"));
}

static void
no_opset(Onnx__ModelProto *mp)
{
	free(mp->opset_import[0]->domain);
	mp->opset_import[0]->domain = xstrdup("ai.onnx.ml");
}

static void
other_domain(Onnx__ModelProto *mp)
{
	mp->graph->node[0]->domain = xstrdup("com.microsoft");
}

static void
std_zero(Onnx__ModelProto *mp)
{
	model_meta(mp, "whittle.input.std", "0");
}

static void
scale_text(Onnx__ModelProto *mp)
{
	model_meta(mp, "whittle.input.scale", "abc");
}

static void
mean_std_mismatch(Onnx__ModelProto *mp)
{
	model_meta(mp, "whittle.input.mean", "0.1,0.2,0.3");
	model_meta(mp, "whittle.input.std", "1,2");
}

static void
no_graph(Onnx__ModelProto *mp)
{
	onnx__graph_proto__free_unpacked(mp->graph, NULL);
	mp->graph = NULL;
}

static void
no_nodes(Onnx__ModelProto *mp)
{
	onnx__node_proto__free_unpacked(mp->graph->node[0], NULL);
	mp->graph->n_node = 0;
}

static void
half_count(Onnx__ModelProto *mp)
{
	int64_t d[1] = { 6 };
	int32_t v[5] = { 0x3c00, 0x3c00, 0x3c00, 0x3c00, 0x3c00 };
	Onnx__TensorProto *t = tensor_new("h", DT_FLOAT16, 1, d);

	tensor_int32_data(t, v, 5);
	graph_init(mp, t);
}

static void
int4_short(Onnx__ModelProto *mp)
{
	int64_t d[1] = { 5 };
	unsigned char b[2] = { 0x11, 0x11 };
	Onnx__TensorProto *t = tensor_new("q4", DT_INT4, 1, d);

	tensor_raw(t, b, 2);
	graph_init(mp, t);
}

static void
constant_short(Onnx__ModelProto *mp)
{
	int64_t d[1] = { 3 };
	float v[2] = { 1, 2 };
	Onnx__TensorProto *t = tensor_new("", DT_FLOAT, 1, d);
	Onnx__NodeProto *n = node_new("Constant", "const", "", "k");

	tensor_raw_floats(t, v, 2);
	attr_tensor(n, "value", t);
	graph_node(mp, n);
}

static void
output_missing(Onnx__ModelProto *mp)
{
	int64_t d[1] = { 3 };

	PUSH(mp->graph->output, mp->graph->n_output,
	    value_new("z", DT_FLOAT, 1, d));
}

static void
unnamed_init(Onnx__ModelProto *mp)
{
	Onnx__TensorProto *b = find_init(mp, "b");

	free(b->name);
	b->name = xstrdup("");
}

static void
duplicate_init(Onnx__ModelProto *mp)
{
	int64_t d[1] = { 1 };
	Onnx__TensorProto *t = tensor_new("b", DT_FLOAT, 1, d);

	tensor_float_data(t, (const float[]){ 1 }, 1);
	graph_init(mp, t);
}

static void
attr_twice(Onnx__ModelProto *mp)
{
	attr_int(mp->graph->node[0], "transB", 0);
}

static void
no_type(Onnx__ModelProto *mp)
{
	find_init(mp, "b")->has_data_type = 0;
}

static const struct corrupt {
	const char *what;
	void (*mutate)(Onnx__ModelProto *);
	const char *expect;
} corrupt[] = {
	{ "raw_data shorter than dims", raw_short,
	  "model.onnx: initializer 'w' holds 40 bytes, its dims (3, 4) need 48" },
	{ "raw_data longer than dims", raw_long,
	  "initializer 'w' holds 52 bytes, its dims (3, 4) need 48" },
	{ "float_data count wrong", typed_count,
	  "initializer 'w' has 11 values in float_data, its dims (3, 4) "
	  "need 12" },
	{ "negative dim", negative_dim, "initializer 'w' has negative dim -4" },
	{ "dims product overflows", dims_overflow, "whose product overflows" },
	{ "byte size overflows", bytes_overflow, "whose size overflows" },
	{ "more dims than WH_MAX_DIMS", too_many_dims, "has 9 dims, at most 8" },
	{ "node reads a missing tensor", missing_input,
	  "model.onnx: node 'Gemm_0' reads tensor 'x7' which no node, input "
	  "or initializer produces" },
	{ "two nodes write one tensor", duplicate_output,
	  "node 'relu' writes tensor 'y', which node 'Gemm_0' also writes" },
	{ "node writes an initializer", output_shadows_init,
	  "writes tensor 'b', which is also a graph initializer" },
	{ "STRING initializer", string_init,
	  "initializer 'names' has data type STRING (8), which is not "
	  "supported" },
	{ "external data", external_data,
	  "initializer 'w' keeps its data in an external file" },
	{ "no default-domain opset", no_opset,
	  "imports no opset for the default ONNX domain" },
	{ "non-default operator domain", other_domain,
	  "model.onnx: node 'Gemm_0' uses operator domain 'com.microsoft', "
	  "only the default ONNX domain is supported" },
	{ "whittle.input.std of 0", std_zero,
	  "metadata 'whittle.input.std' is '0'" },
	{ "non-numeric whittle.input.scale", scale_text,
	  "metadata 'whittle.input.scale' is 'abc'" },
	{ "mean and std counts differ", mean_std_mismatch,
	  "'whittle.input.mean' has 3 values but 'whittle.input.std' has 2" },
	{ "no graph", no_graph, "model has no graph" },
	{ "no nodes", no_nodes, "graph has no nodes" },
	{ "float16 int32_data count wrong", half_count,
	  "initializer 'h' has 5 values in int32_data, its dims (6) need 6" },
	{ "int4 raw_data short", int4_short,
	  "initializer 'q4' holds 2 bytes, its dims (5) need 3" },
	{ "Constant tensor short", constant_short,
	  "node 'const' attribute 'value' holds 8 bytes, its dims (3) need 12" },
	{ "graph output not produced", output_missing,
	  "graph output 'z' is not produced" },
	{ "unnamed initializer", unnamed_init, "initializer 1 has no name" },
	{ "initializer twice", duplicate_init, "initializer 'b' appears twice" },
	{ "attribute twice", attr_twice,
	  "node 'Gemm_0' has attribute 'transB' twice" },
	{ "initializer without data type", no_type,
	  "initializer 'b' has data type UNDEFINED (0)" },
};

static void
expect_fail(const char *what, const unsigned char *buf, size_t len,
    const char *expect)
{
	struct wh_model *m;
	char *err = NULL;

	m = wh_model_parse("model.onnx", buf, len, &err);
	ok(m == NULL && err != NULL && strstr(err, expect) != NULL,
	    "%s: %s", what, err ? err : "(no error)");
	if (m != NULL || err == NULL || strstr(err, expect) == NULL)
		tap_diag("expected \"%s\"", expect);
	wh_model_free(m);
	free(err);
}

static void
test_corrupt(void)
{
	Onnx__ModelProto *mp;
	unsigned char *buf, *noop, *junk;
	size_t len, nolen, k, cuts[4];
	uint32_t x = 12345;
	int c;

	for (k = 0; k < sizeof corrupt / sizeof corrupt[0]; k++) {
		mp = gemm_model(W_RAW);
		corrupt[k].mutate(mp);
		buf = pack(mp, &len);
		onnx__model_proto__free_unpacked(mp, NULL);
		expect_fail(corrupt[k].what, buf, len, corrupt[k].expect);
		free(buf);
	}

	/*
	 * Truncations.  Fields are written in field-number order, so the
	 * model without its opset_import (field 8) is a prefix of the whole:
	 * cutting there leaves a valid message with no opset.
	 */
	mp = gemm_model(W_RAW);
	buf = pack(mp, &len);
	mp->n_opset_import = 0;
	noop = pack(mp, &nolen);
	mp->n_opset_import = 1;
	onnx__model_proto__free_unpacked(mp, NULL);
	ok(nolen < len && memcmp(buf, noop, nolen) == 0,
	    "the model without opset is a prefix of the model");
	expect_fail("cut before opset_import", buf, nolen,
	    "imports no opset");
	free(noop);
	cuts[0] = 1;
	cuts[1] = len / 2;
	cuts[2] = len - 1;
	cuts[3] = nolen - 3;
	for (c = 0; c < 4; c++) {
		char what[64];

		snprintf(what, sizeof what, "truncated to %zu of %zu bytes",
		    cuts[c], len);
		expect_fail(what, buf, cuts[c],
		    "model.onnx: not a valid ONNX file (protobuf parse failed)");
	}
	expect_fail("empty file", buf, 0, "model.onnx: file is empty");
	free(buf);

	/* Garbage; the first byte is a tag with field number 0, never valid. */
	junk = xmalloc(4096);
	for (k = 0; k < 4096; k++) {
		x = x * 1103515245 + 12345;
		junk[k] = (unsigned char)(x >> 16);
	}
	junk[0] = 0x07;
	expect_fail("random garbage", junk, 4096, "not a valid ONNX file");
	free(junk);
}

/* ------------------------------------------------------------------ */

static void
test_fashion(void)
{
	const char *rel[2] = { "share/models/fashion-cnn.onnx",
	    "../../share/models/fashion-cnn.onnx" };
	const struct wh_tensor *t;
	struct wh_model *m;
	char path[4096];
	char *err = NULL;
	size_t i;
	int k, found = -1, conv = 0, gemm = 0, sane;

	for (k = 0; k < 2 && found < 0; k++) {
		snprintf(path, sizeof path, "%s/%s", tap_srcdir(), rel[k]);
		if (access(path, R_OK) == 0)
			found = k;
	}
	if (found < 0) {
		tap_skip("share/models/fashion-cnn.onnx is not there");
		return;
	}
	m = wh_model_load(path, &err);
	if (!ok(m != NULL, "%s loads", path)) {
		tap_diag("%s", err);
		free(err);
		return;
	}
	ok(m->opset == 13, "fashion-cnn: opset 13 (is %lld)",
	    (long long)m->opset);
	for (i = 0; i < m->nnodes; i++) {
		conv += strcmp(m->nodes[i].op, "Conv") == 0;
		gemm += strcmp(m->nodes[i].op, "Gemm") == 0;
	}
	ok(conv > 0 && gemm > 0, "fashion-cnn: %d Conv and %d Gemm nodes",
	    conv, gemm);
	ok(m->dataset != NULL && strcmp(m->dataset, "fashion-mnist") == 0,
	    "fashion-cnn: dataset fashion-mnist");
	ok(m->nlabels == 10, "fashion-cnn: 10 labels (has %d)", m->nlabels);
	ok(m->ninputs == 1 && m->ninits > 0, "fashion-cnn: one input, weights");
	t = m->ninits > 0 ? &m->inits[0] : NULL;
	sane = t != NULL && t->ndim >= 1 && t->ndim <= 4 && t->count > 0 &&
	    t->count < 100000000;
	for (k = 0; sane && k < t->ndim; k++)
		sane = t->dims[k] > 0;
	for (i = 0; sane && t->dtype == WH_FLOAT && i < t->count; i++)
		sane = isfinite(t->f[i]);
	if (t != NULL) {
		char dims[96];

		tap_diag("first initializer '%s' %s", t->name,
		    wh_dims_str(t->dims, t->ndim, dims, sizeof dims));
	}
	ok(sane, "fashion-cnn: first initializer has a sane shape and values");
	wh_model_free(m);
}

int
main(void)
{
	test_gemm(W_RAW);
	test_gemm(W_FLOAT_DATA);
	test_half_inits();
	test_int_inits();
	test_nodes();
	test_meta();
	test_load_file();
	test_corrupt();
	test_fashion();
	return tap_done();
}
