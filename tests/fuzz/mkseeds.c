/*
 * mkseeds.c - writes the fuzzers' seed inputs
 *
 *   mkseeds DIR
 *
 * Writes DIR/onnx (small models, one per family of operators), DIR/idx and
 * DIR/npy (image and label pairs in the harnesses' input layout, see
 * fuzz.h) and DIR/plan (plans using every key).  The files are small on
 * purpose: the fuzzer mutates structure, not weights.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "onnx.pb-c.h"

static const char *dir;

/* Every allocation, freed at exit (the models point into each other). */
static void **pool;
static size_t npool;

static void *
alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1), **np;

	np = realloc(pool, (npool + 1) * sizeof *pool);
	if (p == NULL || np == NULL) {
		fprintf(stderr, "mkseeds: out of memory\n");
		exit(1);
	}
	pool = np;
	pool[npool++] = p;
	return p;
}

/* An array of n + 1 elements of size sz, the first n copied from old. */
static void *
grow(void *old, size_t n, size_t sz)
{
	void *p = alloc((n + 1) * sz);

	if (n > 0)
		memcpy(p, old, n * sz);
	return p;
}

static void
pool_free(void)
{
	while (npool > 0)
		free(pool[--npool]);
	free(pool);
}

static void
put(const char *sub, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* ---- models ------------------------------------------------------------ */

/* A model under construction; every part is heap memory never freed. */
struct mb {
	Onnx__ModelProto m;
	Onnx__GraphProto g;
	Onnx__OperatorSetIdProto opset;
	Onnx__OperatorSetIdProto *opsets[1];
};

static Onnx__ValueInfoProto *
value(const char *name, int ndim, const int64_t *dims)
{
	Onnx__ValueInfoProto *v = alloc(sizeof *v);
	Onnx__TypeProto *t = alloc(sizeof *t);
	Onnx__TypeProto__Tensor *tt = alloc(sizeof *tt);
	Onnx__TensorShapeProto *s = alloc(sizeof *s);
	int i;

	onnx__value_info_proto__init(v);
	onnx__type_proto__init(t);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(s);
	v->name = (char *)name;
	s->n_dim = ndim;
	s->dim = alloc(ndim * sizeof *s->dim);
	for (i = 0; i < ndim; i++) {
		Onnx__TensorShapeProto__Dimension *d = alloc(sizeof *d);

		onnx__tensor_shape_proto__dimension__init(d);
		if (dims[i] < 0) {
			d->value_case =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = (char *)"batch";
		} else {
			d->value_case =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = dims[i];
		}
		s->dim[i] = d;
	}
	tt->has_elem_type = 1;
	tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	tt->shape = s;
	t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	t->tensor_type = tt;
	v->type = t;
	return v;
}

static void
mb_init(struct mb *b, int opset, const char *in, int ndim,
    const int64_t *dims)
{
	memset(b, 0, sizeof *b);
	onnx__model_proto__init(&b->m);
	b->m.has_ir_version = 1;
	b->m.ir_version = 8;
	b->m.producer_name = (char *)"mkseeds";
	onnx__operator_set_id_proto__init(&b->opset);
	b->opset.domain = (char *)"";
	b->opset.has_version = 1;
	b->opset.version = opset;
	b->opsets[0] = &b->opset;
	b->m.n_opset_import = 1;
	b->m.opset_import = b->opsets;
	onnx__graph_proto__init(&b->g);
	b->g.name = (char *)"seed";
	b->m.graph = &b->g;
	b->g.input = alloc(sizeof *b->g.input);
	b->g.input[0] = value(in, ndim, dims);
	b->g.n_input = 1;
}

static void
mb_output(struct mb *b, const char *name, int ndim, const int64_t *dims)
{
	b->g.output = grow(b->g.output, b->g.n_output, sizeof *b->g.output);
	b->g.output[b->g.n_output++] = value(name, ndim, dims);
}

static Onnx__TensorProto *
tensor(const char *name, int type, int ndim, const int64_t *dims)
{
	Onnx__TensorProto *t = alloc(sizeof *t);

	onnx__tensor_proto__init(t);
	t->name = (char *)name;
	t->has_data_type = 1;
	t->data_type = type;
	t->n_dims = ndim;
	t->dims = alloc(ndim * sizeof *t->dims);
	if (ndim > 0)
		memcpy(t->dims, dims, ndim * sizeof *t->dims);
	return t;
}

static size_t
count(int ndim, const int64_t *dims)
{
	size_t n = 1;
	int i;

	for (i = 0; i < ndim; i++)
		n *= (size_t)dims[i];
	return n;
}

static void
mb_add_init(struct mb *b, Onnx__TensorProto *t)
{
	b->g.initializer = grow(b->g.initializer, b->g.n_initializer,
	    sizeof *b->g.initializer);
	b->g.initializer[b->g.n_initializer++] = t;
}

/* A float initializer with deterministic values, as raw data. */
static void
mb_weight(struct mb *b, const char *name, int ndim, const int64_t *dims)
{
	Onnx__TensorProto *t = tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
	    ndim, dims);
	size_t n = count(ndim, dims), i;
	float *v = alloc(n * sizeof *v);

	for (i = 0; i < n; i++)
		v[i] = 0.1f + 0.5f * (float)((i * 7 + strlen(name)) % 13) / 13.0f -
		    0.25f;
	t->has_raw_data = 1;
	t->raw_data.len = n * sizeof *v;
	t->raw_data.data = (uint8_t *)v;
	mb_add_init(b, t);
}

/* An int64 initializer (shapes, axes), as int64_data. */
static void
mb_ints(struct mb *b, const char *name, int n, ...)
{
	int64_t dims[1] = { n };
	Onnx__TensorProto *t = tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
	    1, dims);
	va_list ap;
	int i;

	t->n_int64_data = n;
	t->int64_data = alloc(n * sizeof *t->int64_data);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		t->int64_data[i] = va_arg(ap, int64_t);
	va_end(ap);
	mb_add_init(b, t);
}

/* A scalar float initializer, as float_data. */
static void
mb_scalar(struct mb *b, const char *name, float v)
{
	Onnx__TensorProto *t = tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
	    0, NULL);

	t->n_float_data = 1;
	t->float_data = alloc(sizeof *t->float_data);
	t->float_data[0] = v;
	mb_add_init(b, t);
}

/* Splits "a,b,c" into a new array of strings; "" stays an empty name. */
static char **
names(const char *list, size_t *n)
{
	char **v, *s, *p;
	size_t k = 1;

	for (p = (char *)list; *p != '\0'; p++)
		k += *p == ',';
	if (*list == '\0')
		k = 0;
	v = alloc((k ? k : 1) * sizeof *v);
	*n = k;
	if (k == 0)
		return v;
	s = alloc(strlen(list) + 1);
	memcpy(s, list, strlen(list) + 1);
	for (k = 0; s != NULL; k++)
		v[k] = strsep(&s, ",");
	return v;
}

static Onnx__NodeProto *
mb_node(struct mb *b, const char *op, const char *name, const char *in,
    const char *out)
{
	Onnx__NodeProto *n = alloc(sizeof *n);

	onnx__node_proto__init(n);
	n->op_type = (char *)op;
	n->name = (char *)name;
	n->input = names(in, &n->n_input);
	n->output = names(out, &n->n_output);
	b->g.node = grow(b->g.node, b->g.n_node, sizeof *b->g.node);
	b->g.node[b->g.n_node++] = n;
	return n;
}

static Onnx__AttributeProto *
attr(Onnx__NodeProto *n, const char *name, int type)
{
	Onnx__AttributeProto *a = alloc(sizeof *a);

	onnx__attribute_proto__init(a);
	a->name = (char *)name;
	a->has_type = 1;
	a->type = type;
	n->attribute = grow(n->attribute, n->n_attribute, sizeof *n->attribute);
	n->attribute[n->n_attribute++] = a;
	return a;
}

static void
attr_i(Onnx__NodeProto *n, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = attr(n, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);

	a->has_i = 1;
	a->i = v;
}

static void
attr_f(Onnx__NodeProto *n, const char *name, float v)
{
	Onnx__AttributeProto *a = attr(n, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);

	a->has_f = 1;
	a->f = v;
}

static void
attr_ints(Onnx__NodeProto *n, const char *name, int k, ...)
{
	Onnx__AttributeProto *a = attr(n, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	va_list ap;
	int i;

	a->n_ints = k;
	a->ints = alloc(k * sizeof *a->ints);
	va_start(ap, k);
	for (i = 0; i < k; i++)
		a->ints[i] = va_arg(ap, int64_t);
	va_end(ap);
}

static void
mb_meta(struct mb *b, const char *key, const char *value)
{
	Onnx__StringStringEntryProto *e = alloc(sizeof *e);

	onnx__string_string_entry_proto__init(e);
	e->key = (char *)key;
	e->value = (char *)value;
	b->m.metadata_props = grow(b->m.metadata_props,
	    b->m.n_metadata_props, sizeof *b->m.metadata_props);
	b->m.metadata_props[b->m.n_metadata_props++] = e;
}

static void
mb_put(struct mb *b, const char *name)
{
	size_t len = onnx__model_proto__get_packed_size(&b->m);
	uint8_t *buf = alloc(len);

	onnx__model_proto__pack(&b->m, buf);
	put("onnx", name, buf, len);
}

#define D(...)	(const int64_t[]){ __VA_ARGS__ }

static void
models(void)
{
	struct mb b;
	Onnx__NodeProto *n;

	/* Conv, Relu, MaxPool, Flatten, Gemm, Softmax: the demo CNN's shape */
	mb_init(&b, 13, "x", 4, D(-1, 1, 6, 6));
	mb_weight(&b, "c.w", 4, D(2, 1, 3, 3));
	mb_weight(&b, "c.b", 1, D(2));
	n = mb_node(&b, "Conv", "/0/Conv", "x,c.w,c.b", "c");
	attr_ints(n, "kernel_shape", 2, (int64_t)3, (int64_t)3);
	attr_ints(n, "pads", 4, (int64_t)1, (int64_t)1, (int64_t)1, (int64_t)1);
	attr_ints(n, "strides", 2, (int64_t)1, (int64_t)1);
	mb_node(&b, "Relu", "/1/Relu", "c", "r");
	n = mb_node(&b, "MaxPool", "/2/MaxPool", "r", "p");
	attr_ints(n, "kernel_shape", 2, (int64_t)2, (int64_t)2);
	attr_ints(n, "strides", 2, (int64_t)2, (int64_t)2);
	n = mb_node(&b, "Flatten", "/3/Flatten", "p", "f");
	attr_i(n, "axis", 1);
	mb_weight(&b, "g.w", 2, D(3, 18));
	mb_weight(&b, "g.b", 1, D(3));
	n = mb_node(&b, "Gemm", "/4/Gemm", "f,g.w,g.b", "g");
	attr_i(n, "transB", 1);
	attr_f(n, "alpha", 1.0f);
	mb_node(&b, "Softmax", "/5/Softmax", "g", "y");
	mb_output(&b, "y", 2, D(-1, 3));
	mb_meta(&b, "whittle.dataset", "fashion-mnist");
	mb_meta(&b, "whittle.labels", "a,b,c");
	mb_meta(&b, "whittle.preprocess.scale", "0.00392156862745098");
	mb_meta(&b, "whittle.preprocess.mean", "0.5");
	mb_meta(&b, "whittle.preprocess.std", "0.25");
	mb_put(&b, "cnn.onnx");

	/* a residual block: Conv, BatchNormalization, Add, pooling */
	mb_init(&b, 13, "x", 4, D(1, 2, 4, 4));
	mb_weight(&b, "c.w", 4, D(2, 2, 3, 3));
	n = mb_node(&b, "Conv", "/conv", "x,c.w", "c");
	attr_ints(n, "pads", 4, (int64_t)1, (int64_t)1, (int64_t)1, (int64_t)1);
	attr_ints(n, "dilations", 2, (int64_t)1, (int64_t)1);
	attr_i(n, "group", 1);
	mb_weight(&b, "bn.s", 1, D(2));
	mb_weight(&b, "bn.b", 1, D(2));
	mb_weight(&b, "bn.m", 1, D(2));
	mb_weight(&b, "bn.v", 1, D(2));
	n = mb_node(&b, "BatchNormalization", "/bn", "c,bn.s,bn.b,bn.m,bn.v",
	    "n");
	attr_f(n, "epsilon", 1e-5f);
	mb_node(&b, "Relu", "/relu", "n", "r");
	mb_node(&b, "Add", "/add", "r,x", "a");
	mb_weight(&b, "d.w", 4, D(2, 1, 3, 3));
	n = mb_node(&b, "Conv", "/dw", "a,d.w", "d");
	attr_i(n, "group", 2);
	attr_ints(n, "pads", 4, (int64_t)1, (int64_t)1, (int64_t)1, (int64_t)1);
	n = mb_node(&b, "AveragePool", "/avg", "d", "v");
	attr_ints(n, "kernel_shape", 2, (int64_t)2, (int64_t)2);
	attr_ints(n, "strides", 2, (int64_t)2, (int64_t)2);
	mb_node(&b, "GlobalAveragePool", "/gap", "v", "gp");
	n = mb_node(&b, "Flatten", "/flat", "gp", "f");
	mb_weight(&b, "fc.w", 2, D(2, 4));
	mb_node(&b, "MatMul", "/fc", "f,fc.w", "y");
	mb_output(&b, "y", 2, D(1, 4));
	mb_put(&b, "resnet.onnx");

	/* MatMul with a bias Add and every activation */
	mb_init(&b, 13, "x", 2, D(-1, 8));
	mb_weight(&b, "w", 2, D(8, 4));
	mb_weight(&b, "b", 1, D(4));
	mb_node(&b, "MatMul", "/mm", "x,w", "m");
	mb_node(&b, "Add", "/bias", "m,b", "a");
	mb_node(&b, "Sigmoid", "/sig", "a", "s");
	mb_node(&b, "Tanh", "/tanh", "s", "t");
	n = mb_node(&b, "LeakyRelu", "/lrelu", "t", "l");
	attr_f(n, "alpha", 0.01f);
	mb_scalar(&b, "lo", -0.5f);
	mb_scalar(&b, "hi", 0.5f);
	mb_node(&b, "Clip", "/clip", "l,lo,hi", "c");
	mb_node(&b, "Gelu", "/gelu", "c", "g");
	mb_node(&b, "Abs", "/abs", "g", "ab");
	mb_node(&b, "Neg", "/neg", "ab", "ng");
	mb_node(&b, "Exp", "/exp", "ng", "e");
	mb_node(&b, "Sqrt", "/sqrt", "e", "q");
	mb_node(&b, "Erf", "/erf", "q", "er");
	mb_scalar(&b, "two", 2.0f);
	mb_node(&b, "Mul", "/mul", "er,two", "mu");
	mb_node(&b, "Div", "/div", "mu,two", "dv");
	mb_node(&b, "Sub", "/sub", "dv,b", "sb");
	n = mb_node(&b, "Dropout", "/drop", "sb", "dr");
	mb_node(&b, "Identity", "/id", "dr", "id");
	n = mb_node(&b, "LogSoftmax", "/lsm", "id", "y");
	attr_i(n, "axis", -1);
	mb_output(&b, "y", 2, D(-1, 4));
	mb_put(&b, "mlp.onnx");

	/* the shape chain torch emits for x.view(x.size(0), -1) */
	mb_init(&b, 13, "x", 4, D(-1, 1, 2, 3));
	mb_node(&b, "Shape", "/shape", "x", "sh");
	n = mb_node(&b, "Constant", "/zero", "", "z");
	{
		Onnx__AttributeProto *a = attr(n, "value",
		    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);

		a->t = tensor("", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 0, NULL);
		a->t->n_int64_data = 1;
		a->t->int64_data = alloc(sizeof(int64_t));
	}
	n = mb_node(&b, "Gather", "/gather", "sh,z", "n0");
	attr_i(n, "axis", 0);
	mb_ints(&b, "ax0", 1, (int64_t)0);
	mb_node(&b, "Unsqueeze", "/unsq", "n0,ax0", "n1");
	mb_ints(&b, "minus1", 1, (int64_t)-1);
	n = mb_node(&b, "Concat", "/concat", "n1,minus1", "shp");
	attr_i(n, "axis", 0);
	n = mb_node(&b, "Transpose", "/tr", "x", "t");
	attr_ints(n, "perm", 4, (int64_t)0, (int64_t)1, (int64_t)3, (int64_t)2);
	mb_node(&b, "Reshape", "/reshape", "t,shp", "r");
	mb_ints(&b, "ax2", 1, (int64_t)2);
	mb_node(&b, "Unsqueeze", "/unsq2", "r,ax2", "u");
	mb_node(&b, "Squeeze", "/sq", "u,ax2", "s");
	n = mb_node(&b, "Cast", "/cast", "s", "c");
	attr_i(n, "to", 1);
	mb_ints(&b, "st", 1, (int64_t)2);
	mb_ints(&b, "en", 1, (int64_t)4);
	mb_node(&b, "Slice", "/slice", "sh,st,en,ax0,", "hw");
	n = mb_node(&b, "ConstantOfShape", "/cos", "hw", "k");
	mb_weight(&b, "fc.w", 2, D(6, 2));
	n = mb_node(&b, "Gemm", "/fc", "c,fc.w", "y");
	attr_i(n, "transB", 0);
	mb_output(&b, "y", 2, D(-1, 2));
	mb_put(&b, "shapes.onnx");

	/* an exported int8 layer: DequantizeLinear feeding Gemm */
	mb_init(&b, 13, "x", 2, D(1, 4));
	{
		Onnx__TensorProto *t = tensor("q", ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
		    2, D(3, 4));
		static const int8_t codes[12] = { -3, 5, 7, -127, 0, 1, 2, 3,
			127, -1, -2, 9 };

		t->has_raw_data = 1;
		t->raw_data.len = sizeof codes;
		t->raw_data.data = (uint8_t *)codes;
		mb_add_init(&b, t);
		t = tensor("zp", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, D(3));
		t->n_int32_data = 3;
		t->int32_data = alloc(3 * sizeof *t->int32_data);
		mb_add_init(&b, t);
	}
	mb_weight(&b, "sc", 1, D(3));
	n = mb_node(&b, "DequantizeLinear", "/dq", "q,sc,zp", "w");
	attr_i(n, "axis", 0);
	n = mb_node(&b, "Gemm", "/fc", "x,w", "g");
	attr_i(n, "transB", 1);
	mb_scalar(&b, "xs", 0.02f);
	{
		Onnx__TensorProto *t = tensor("xz", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8,
		    0, NULL);

		t->n_int32_data = 1;
		t->int32_data = alloc(sizeof *t->int32_data);
		t->int32_data[0] = 128;
		mb_add_init(&b, t);
	}
	mb_node(&b, "QuantizeLinear", "/q", "g,xs,xz", "gq");
	mb_node(&b, "DequantizeLinear", "/dq2", "gq,xs,xz", "y");
	mb_output(&b, "y", 2, D(1, 3));
	mb_put(&b, "qdq.onnx");

	/* a factored layer: two Gemm nodes with a small inner rank */
	mb_init(&b, 11, "x", 2, D(-1, 6));
	mb_weight(&b, "vt", 2, D(2, 6));
	mb_weight(&b, "u", 2, D(5, 2));
	mb_weight(&b, "bias", 1, D(5));
	n = mb_node(&b, "Gemm", "/fc/vt", "x,vt", "h");
	attr_i(n, "transB", 1);
	n = mb_node(&b, "Gemm", "/fc", "h,u,bias", "g");
	attr_i(n, "transB", 1);
	n = mb_node(&b, "Unsqueeze", "/u", "g", "gu");
	attr_ints(n, "axes", 1, (int64_t)1);
	n = mb_node(&b, "Squeeze", "/s", "gu", "y");
	attr_ints(n, "axes", 1, (int64_t)1);
	mb_output(&b, "y", 2, D(-1, 5));
	mb_put(&b, "lowrank.onnx");
}

/* ---- data sets --------------------------------------------------------- */

/*
 * The data harnesses read one input as: a flags byte, the images file's
 * length (4 bytes, little-endian), the images file, then the labels file
 * (see fuzz-data.h).
 */
static void
pair(const char *sub, const char *name, int flags, const void *img,
    size_t ilen, const void *lab, size_t llen)
{
	size_t len = 5 + ilen + llen;
	unsigned char *b = alloc(len);

	b[0] = (unsigned char)flags;
	b[1] = ilen & 0xff;
	b[2] = (ilen >> 8) & 0xff;
	b[3] = (ilen >> 16) & 0xff;
	b[4] = (ilen >> 24) & 0xff;
	memcpy(b + 5, img, ilen);
	memcpy(b + 5 + ilen, lab, llen);
	put(sub, name, b, len);
}

static size_t
idx(unsigned char *b, int type, int nd, const uint32_t *dims, size_t esize)
{
	size_t n = 1, i, off;
	int k;

	b[0] = b[1] = 0;
	b[2] = (unsigned char)type;
	b[3] = (unsigned char)nd;
	off = 4;
	for (k = 0; k < nd; k++, off += 4) {
		b[off] = dims[k] >> 24;
		b[off + 1] = dims[k] >> 16;
		b[off + 2] = dims[k] >> 8;
		b[off + 3] = dims[k];
		n *= dims[k];
	}
	/* element i is i % 10, big-endian */
	memset(b + off, 0, n * esize);
	for (i = 0; i < n; i++)
		b[off + (i + 1) * esize - 1] = (unsigned char)(i % 10);
	return off + n * esize;
}

static size_t
gzip(unsigned char *out, size_t cap, const void *in, size_t len)
{
	z_stream z;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		exit(1);
	deflateEnd(&z);
	return z.total_out;
}

static size_t
npy(unsigned char *b, const char *dict, const void *data, size_t len)
{
	size_t hl = strlen(dict), pad = (64 - (10 + hl + 1) % 64) % 64;

	memcpy(b, "\x93NUMPY\x01\x00", 8);
	b[8] = (hl + pad + 1) & 0xff;
	b[9] = (hl + pad + 1) >> 8;
	memcpy(b + 10, dict, hl);
	memset(b + 10 + hl, ' ', pad);
	b[10 + hl + pad] = '\n';
	memcpy(b + 11 + hl + pad, data, len);
	return 11 + hl + pad + len;
}

static void
datasets(void)
{
	static unsigned char img[4096], lab[256], gi[8192], gl[512];
	static unsigned char vals[1024];
	size_t il, ll, gil, gll, i;

	/* IDX: uint8 images of 3x4, uint8 labels; plain, gzip, flags */
	il = idx(img, 0x08, 3, (const uint32_t[]){ 5, 3, 4 }, 1);
	ll = idx(lab, 0x08, 1, (const uint32_t[]){ 5 }, 1);
	pair("idx", "u8.bin", 0, img, il, lab, ll);
	pair("idx", "u8-gzip-flags.bin", 3, img, il, lab, ll);
	gil = gzip(gi, sizeof gi, img, il);
	gll = gzip(gl, sizeof gl, lab, ll);
	pair("idx", "u8.gz.bin", 0, gi, gil, gl, gll);
	pair("idx", "u8-cut.gz.bin", 0, gi, gil / 2, gl, gll);
	/* float images of 2x2x2 (big-endian), int32 labels */
	il = idx(img, 0x0d, 4, (const uint32_t[]){ 3, 2, 2, 2 }, 4);
	ll = idx(lab, 0x0c, 1, (const uint32_t[]){ 3 }, 4);
	pair("idx", "f32.bin", 0, img, il, lab, ll);
	/* flat vectors, int8 and short labels */
	il = idx(img, 0x08, 2, (const uint32_t[]){ 4, 6 }, 1);
	ll = idx(lab, 0x09, 1, (const uint32_t[]){ 4 }, 1);
	pair("idx", "vectors.bin", 2, img, il, lab, ll);

	/* NPY: uint8 and float32 images, int64/int32/uint8 labels */
	for (i = 0; i < sizeof vals; i++)
		vals[i] = (unsigned char)(i * 3 % 10);
	il = npy(img, "{'descr': '|u1', 'fortran_order': False, "
	    "'shape': (4, 2, 3), }", vals, 24);
	ll = npy(lab, "{'descr': '<i8', 'fortran_order': False, "
	    "'shape': (4,), }", (const int64_t[]){ 1, 0, 3, 2 }, 32);
	pair("npy", "u8-i8.bin", 0, img, il, lab, ll);
	il = npy(img, "{'descr': '<f4', 'fortran_order': False, "
	    "'shape': (2, 1, 2, 2), }",
	    (const float[]){ 0.5f, 1, 2, 3, -1, 0, 0.25f, 9 }, 32);
	ll = npy(lab, "{'descr': '<i4', 'fortran_order': False, "
	    "'shape': (2,), }", (const int32_t[]){ 1, 0 }, 8);
	pair("npy", "f4-i4.bin", 0, img, il, lab, ll);
	il = npy(img, "{'descr': '|u1', 'fortran_order': False, "
	    "'shape': (3, 5), }", vals, 15);
	ll = npy(lab, "{'descr': '|u1', 'fortran_order': False, "
	    "'shape': (3,), }", vals, 3);
	pair("npy", "vectors.bin", 0, img, il, lab, ll);
	gil = gzip(gi, sizeof gi, img, il);
	pair("npy", "vectors.gz.bin", 0, gi, gil, lab, ll);
	/* NPY images with IDX labels, and Fortran order (refused) */
	ll = idx(lab, 0x08, 1, (const uint32_t[]){ 3 }, 1);
	pair("npy", "npy-idx.bin", 0, img, il, lab, ll);
	il = npy(img, "{'descr': '|u1', 'fortran_order': True, "
	    "'shape': (3, 5), }", vals, 15);
	pair("npy", "fortran.bin", 0, img, il, lab, ll);
}

/* ---- plans ------------------------------------------------------------- */

static void
plan(const char *name, const char *json)
{
	put("plan", name, json, strlen(json));
}

static void
plans(void)
{
	plan("every-key.json",
	    "{\n"
	    "  \"whittle_plan\": 1,\n"
	    "  \"model\": {\"path\": \"m.onnx\", \"sha256\": "
	    "\"091da46d82aca792ac112fae03fa880358281cbf7665d6ed8ae2ae05cffeedd4\"},\n"
	    "  \"data\": {\"images\": \"i.gz\", \"images_sha256\": "
	    "\"cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa\", "
	    "\"labels\": \"l.gz\", \"labels_sha256\": "
	    "\"8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05\"},\n"
	    "  \"defaults\": {\"bits\": 8, \"symmetric\": false, "
	    "\"granularity\": \"tensor\", \"clip\": \"minmax\", "
	    "\"act_bits\": 8, \"act_calibration\": \"percentile\", "
	    "\"act_percentile\": 99.9},\n"
	    "  \"layers\": {\n"
	    "    \"/0/Conv\": {\"rank\": 3, \"spatial\": true, \"threshold\": 0.01},\n"
	    "    \"/3/Conv\": {\"energy\": 0.9, \"channel_sparsity\": 0.25, "
	    "\"channel_norm\": \"l1\"},\n"
	    "    \"/7/Gemm\": {\"sparsity\": 0.5, \"nm\": \"2:4\", \"bits\": 16},\n"
	    "    \"/9/Gemm\": {\"bits\": 16, \"float16\": \"bf16\", "
	    "\"act_bits\": 0, \"rank\": 0, \"nm\": \"off\"}\n"
	    "  },\n"
	    "  \"result\": {\"samples\": 10000, \"baseline_accuracy\": 0.9101, "
	    "\"accuracy\": 0.912, \"accuracy_change\": 0.0019, "
	    "\"precision_macro\": 0.91, \"recall_macro\": 0.9, \"f1_macro\": 0.9, "
	    "\"original_bytes\": 827688, \"bytes\": 104856, "
	    "\"compression_ratio\": 7.89, \"macs\": 1218048, "
	    "\"macs_sparse\": 1050048, \"date\": \"2026-11-28T13:39:21Z\", "
	    "\"whittle_version\": \"0.1.0\"}\n"
	    "}\n");
	plan("minimal.json", "{\"whittle_plan\": 1}");
	plan("off.json",
	    "{\"whittle_plan\": 1, \"defaults\": {\"bits\": 0, "
	    "\"sparsity\": 0, \"rank\": 0}, \"layers\": {\"fc\": {}}}");
	plan("escapes.json",
	    "{\"whittle_plan\": 1, \"model\": {\"path\": \"a\\\"b\\\\c\\u00e9\\n\"},"
	    " \"layers\": {\"\\u0000x\": {\"bits\": 2}, \"fc\": {\"bits\": 3.0}}}");
}

int
main(int argc, char **argv)
{
	static const char *subs[] = { "onnx", "idx", "npy", "plan" };
	char path[4096];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	dir = argv[1];
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, subs[i]);
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			perror(path);
			return 1;
		}
	}
	models();
	datasets();
	plans();
	pool_free();
	return 0;
}
