/* export.c - compressed models as standard ONNX */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph-int.h"
#include "whittle/export.h"
#include "whittle/util.h"

#include "onnx.pb-c.h"

/*
 * The ONNX writer builds a new ModelProto that shares every unchanged
 * sub-message (nodes, initializers, inputs, metadata) with the loaded one
 * and allocates only what changes, from a pool freed after packing.  Node
 * by node, in file order, a compressed layer's node is replaced by:
 *
 *   [Div, Clip, Add, Sub, Mul]                act_bits 8, on the input
 *                                             (QuantizeLinear and
 *                                             DequantizeLinear with qdq)
 *   weight tensors, each one of
 *     float initializer                       dense or sparse
 *     int codes -> Cast [-> Sub zero] -> Mul scale
 *     float16 / bfloat16 -> Cast(to FLOAT)
 *   the layer: one node as before, or two for low rank, the second keeping
 *   the original output name.
 *
 * Every float weight the file computes equals f[].w bit for bit: codes are
 * dequantized as ((float)q - (float)zero) * scale, the subtraction exact on
 * such small integers, then one multiply, as whittle does.
 *
 * Why not DequantizeLinear on the weights: ONNX Runtime (1.30) rewrites
 * DequantizeLinear -> MatMul into MatMulNBits, which quantizes the
 * activations to int8 (accuracy level 4), and an activation's
 * QuantizeLinear/DequantizeLinear plus a DequantizeLinear weight into
 * QGemm or QLinearConv, which accumulate in integers.  Either changes the
 * results.  Cast and Mul of constants it folds into a float weight at load,
 * which leaves nothing to fuse: the runtime computes what whittle measured.
 *
 * On request (struct wh_export_opts, qdq) the weights take the standard
 * QDQ form for toolchains that look for it: codes, scale and zero point
 * initializers read by DequantizeLinear (per tensor, or on the file's
 * output axis), the arithmetic unchanged.  The one exception is a spatial
 * low-rank u quantized per row with kh > 1, whose rows o * kh + y span two
 * axes: it keeps Cast, Sub and Mul.
 */

/* ---- memory ------------------------------------------------------------ */

/* Everything the new message tree allocates, freed together after packing. */
struct pool {
	void **p;
	size_t n, cap;
};

static void *
pool_keep(struct pool *pl, void *p)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? 2 * pl->cap : 64;
		pl->p = xreallocarray(pl->p, pl->cap, sizeof *pl->p);
	}
	pl->p[pl->n++] = p;
	return p;
}

static void *
palloc(struct pool *pl, size_t n, size_t size)
{
	return pool_keep(pl, xcalloc(n ? n : 1, size));
}

static char *
pstrdup(struct pool *pl, const char *s)
{
	return pool_keep(pl, xstrdup(s));
}

static char *
pasprintf(struct pool *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
pasprintf(struct pool *pl, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		wh_fatal("vsnprintf failed");
	s = palloc(pl, (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void
pool_free(struct pool *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		free(pl->p[i]);
	free(pl->p);
	memset(pl, 0, sizeof *pl);
}

#define PUSH(arr, n, cap, x) do {					\
	if ((n) == (cap)) {						\
		(cap) = (cap) ? 2 * (cap) : 16;				\
		(arr) = xreallocarray((arr), (cap), sizeof *(arr));	\
	}								\
	(arr)[(n)++] = (x);						\
} while (0)

/* ---- a set of names (borrowed strings) --------------------------------- */

struct nameset {
	const char **slot;
	size_t mask, n;
};

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
nameset_init(struct nameset *s)
{
	s->mask = 63;
	s->n = 0;
	s->slot = xcalloc(s->mask + 1, sizeof *s->slot);
}

static void
nameset_free(struct nameset *s)
{
	free(s->slot);
	s->slot = NULL;
}

static size_t
nameset_pos(const struct nameset *s, const char *name)
{
	size_t i = (size_t)hash_name(name) & s->mask;

	while (s->slot[i] != NULL && strcmp(s->slot[i], name) != 0)
		i = (i + 1) & s->mask;
	return i;
}

static int
nameset_has(const struct nameset *s, const char *name)
{
	return name != NULL && s->slot[nameset_pos(s, name)] != NULL;
}

static void
nameset_add(struct nameset *s, const char *name)
{
	size_t i, old;
	const char **slot;

	if (name == NULL || nameset_has(s, name))
		return;
	if (2 * (s->n + 1) > s->mask + 1) {
		slot = s->slot;
		old = s->mask + 1;
		s->mask = 2 * old - 1;
		s->slot = xcalloc(s->mask + 1, sizeof *s->slot);
		for (i = 0; i < old; i++)
			if (slot[i] != NULL)
				s->slot[nameset_pos(s, slot[i])] = slot[i];
		free(slot);
	}
	s->slot[nameset_pos(s, name)] = name;
	s->n++;
}

/* ---- element encodings --------------------------------------------------- */

#define T_FLOAT		ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define T_UINT8		ONNX__TENSOR_PROTO__DATA_TYPE__UINT8
#define T_INT8		ONNX__TENSOR_PROTO__DATA_TYPE__INT8
#define T_INT64		ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define T_FLOAT16	ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16
#define T_BFLOAT16	ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16
#define T_UINT4		ONNX__TENSOR_PROTO__DATA_TYPE__UINT4
#define T_INT4		ONNX__TENSOR_PROTO__DATA_TYPE__INT4
#define T_INT16		ONNX__TENSOR_PROTO__DATA_TYPE__INT16
#define T_INT32		ONNX__TENSOR_PROTO__DATA_TYPE__INT32

/* Bits per element in raw_data. */
static int
dtype_bits(int dt)
{
	switch (dt) {
	case T_FLOAT:
	case T_INT32:
		return 32;
	case T_INT16:
	case T_FLOAT16:
	case T_BFLOAT16:
		return 16;
	case T_INT8:
	case T_UINT8:
		return 8;
	case T_INT4:
	case T_UINT4:
		return 4;
	default:
		return 64;
	}
}

static uint32_t
float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	return u;
}

/* Bytes of n elements, each the low bits of v[k], little-endian; 4-bit
 * elements two per byte, the first in the low nibble. */
static unsigned char *
encode(struct pool *pl, const uint32_t *v, size_t n, int dt, size_t *len)
{
	int bits = dtype_bits(dt), b;
	size_t k, es = (size_t)(bits / 8);
	unsigned char *p;

	*len = bits == 4 ? (n + 1) / 2 : n * es;
	p = palloc(pl, *len, 1);
	for (k = 0; k < n; k++) {
		if (bits == 4) {
			p[k / 2] |= (unsigned char)((v[k] & 0xf) <<
			    (k % 2 ? 4 : 0));
			continue;
		}
		for (b = 0; b < bits / 8; b++)
			p[k * es + (size_t)b] = (unsigned char)(v[k] >> (8 * b));
	}
	return p;
}

/* ---- the exporter -------------------------------------------------------- */

/* How a factor (rows, cols) is laid out in the file. */
enum layout {
	LAY_ROWS,	/* as is, row-major: per-row parameters on axis 0 */
	LAY_COLS,	/* transposed to (cols, rows): per-row ones on axis 1 */
	LAY_SPATIAL	/* u: (out * kh, r) as the kh x 1 conv's (out, r, kh, 1) */
};

struct exporter {
	const struct wh_model *m;
	const struct wh_graph *g;
	const struct wh_compressed *const *res;
	int nl;				/* entries in res */
	const Onnx__GraphProto *src;
	struct pool pool;
	struct nameset names;		/* tensor names in use */
	struct nameset node_names;
	Onnx__NodeProto **nodes;
	size_t nnodes, capn;
	Onnx__TensorProto **inits;
	size_t ninits, capi;
	Onnx__SparseTensorProto **sparse;
	size_t nsparse, caps;
	int int4;			/* 4-bit codes may be written */
	int qdq;			/* weights by DequantizeLinear */
	int used_sparse;
	int used_bitmask;		/* whittle.ExpandBitmask is called */
	int64_t opset;			/* the opset written */
};

/* The domain and name of the function that expands bitmask tensors. */
#define FN_DOMAIN "whittle"
#define FN_EXPAND "ExpandBitmask"

static void
add_node(struct exporter *ex, Onnx__NodeProto *n)
{
	PUSH(ex->nodes, ex->nnodes, ex->capn, n);
}

/* base, or base_1, base_2, ... : a tensor name not yet in use. */
static const char *
uniq(struct exporter *ex, struct nameset *set, const char *base)
{
	const char *s = base;
	int k;

	for (k = 1; nameset_has(set, s); k++)
		s = pasprintf(&ex->pool, "%s_%d", base, k);
	if (s == base)
		s = pstrdup(&ex->pool, base);
	nameset_add(set, s);
	return s;
}

/* A new tensor name: base followed by suffix, made unique. */
static const char *
tname(struct exporter *ex, const char *base, const char *suffix)
{
	return uniq(ex, &ex->names, pasprintf(&ex->pool, "%s%s", base, suffix));
}

static Onnx__AttributeProto *
attr_new(struct exporter *ex, const char *name, int type)
{
	Onnx__AttributeProto *a = palloc(&ex->pool, 1, sizeof *a);

	onnx__attribute_proto__init(a);
	a->name = pstrdup(&ex->pool, name);
	a->has_type = 1;
	a->type = type;
	return a;
}

static Onnx__AttributeProto *
attr_int(struct exporter *ex, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = attr_new(ex, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);

	a->has_i = 1;
	a->i = v;
	return a;
}

static Onnx__AttributeProto *
attr_float(struct exporter *ex, const char *name, float v)
{
	Onnx__AttributeProto *a = attr_new(ex, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);

	a->has_f = 1;
	a->f = v;
	return a;
}

static Onnx__AttributeProto *
attr_ints(struct exporter *ex, const char *name, int64_t a0, int64_t a1,
    int64_t a2, int64_t a3, int n)
{
	Onnx__AttributeProto *a = attr_new(ex, name,
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);

	a->n_ints = (size_t)n;
	a->ints = palloc(&ex->pool, 4, sizeof *a->ints);
	a->ints[0] = a0;
	a->ints[1] = a1;
	a->ints[2] = a2;
	a->ints[3] = a3;
	return a;
}

/*
 * A new node of the default domain: nin inputs, one output, nattr
 * attributes (the pointers are taken), named name (made unique) when name
 * is not NULL.  The nodes that only dequantize, expand or round go
 * unnamed, which ONNX allows, to keep the file small.  node_new adds it
 * to the graph.
 */
static Onnx__NodeProto *
node_make(struct exporter *ex, const char *op, const char *name,
    const char *const *in, int nin, const char *out,
    Onnx__AttributeProto *const *attrs, int nattr)
{
	Onnx__NodeProto *n = palloc(&ex->pool, 1, sizeof *n);
	int k;

	onnx__node_proto__init(n);
	n->op_type = pstrdup(&ex->pool, op);
	if (name != NULL)
		n->name = (char *)uniq(ex, &ex->node_names, name);
	n->n_input = (size_t)nin;
	n->input = palloc(&ex->pool, (size_t)nin, sizeof *n->input);
	for (k = 0; k < nin; k++)
		n->input[k] = (char *)in[k];
	n->n_output = 1;
	n->output = palloc(&ex->pool, 1, sizeof *n->output);
	n->output[0] = (char *)out;
	n->n_attribute = (size_t)nattr;
	n->attribute = palloc(&ex->pool, (size_t)nattr, sizeof *n->attribute);
	for (k = 0; k < nattr; k++)
		n->attribute[k] = attrs[k];
	return n;
}

static Onnx__NodeProto *
node_new(struct exporter *ex, const char *op, const char *name,
    const char *const *in, int nin, const char *out,
    Onnx__AttributeProto *const *attrs, int nattr)
{
	Onnx__NodeProto *n = node_make(ex, op, name, in, nin, out, attrs,
	    nattr);

	add_node(ex, n);
	return n;
}

static Onnx__TensorProto *
tensor_new(struct exporter *ex, const char *name, int dt, const int64_t *dims,
    int ndim, const uint32_t *v, size_t n)
{
	Onnx__TensorProto *t = palloc(&ex->pool, 1, sizeof *t);

	onnx__tensor_proto__init(t);
	t->name = (char *)name;
	t->has_data_type = 1;
	t->data_type = dt;
	t->n_dims = (size_t)ndim;
	t->dims = palloc(&ex->pool, (size_t)ndim, sizeof *t->dims);
	if (ndim > 0)
		memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
	t->has_raw_data = 1;
	t->raw_data.data = encode(&ex->pool, v, n, dt, &t->raw_data.len);
	return t;
}

/* A 1-D int64 initializer of the n values v. */
static Onnx__TensorProto *
tensor_i64(struct exporter *ex, const char *name, const int64_t *v, int n)
{
	Onnx__TensorProto *t = palloc(&ex->pool, 1, sizeof *t);
	unsigned char *p = palloc(&ex->pool, (size_t)n, 8);
	int k, b;

	onnx__tensor_proto__init(t);
	t->name = (char *)name;
	t->has_data_type = 1;
	t->data_type = T_INT64;
	t->n_dims = 1;
	t->dims = palloc(&ex->pool, 1, sizeof *t->dims);
	t->dims[0] = n;
	for (k = 0; k < n; k++)
		for (b = 0; b < 8; b++)
			p[8 * k + b] = (unsigned char)((uint64_t)v[k] >> (8 * b));
	t->has_raw_data = 1;
	t->raw_data.data = p;
	t->raw_data.len = (size_t)n * 8;
	return t;
}

/*
 * The index type of a sparse tensor of n elements: the smallest signed
 * type that holds n - 1.  ONNX's checker asks for INT64; ONNX Runtime reads
 * INT16 and INT32 as well (and writes them itself when it saves a model).
 */
static int
index_dtype(size_t n, int *bytes)
{
	if (n <= (size_t)INT16_MAX + 1) {
		*bytes = 2;
		return ONNX__TENSOR_PROTO__DATA_TYPE__INT16;
	}
	if (n <= (size_t)INT32_MAX + 1) {
		*bytes = 4;
		return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
	}
	*bytes = 8;
	return T_INT64;
}

/* Adds a dense initializer of n elements (bit patterns in v). */
static void
add_init(struct exporter *ex, const char *name, int dt, const int64_t *dims,
    int ndim, const uint32_t *v, size_t n)
{
	PUSH(ex->inits, ex->ninits, ex->capi,
	    tensor_new(ex, name, dt, dims, ndim, v, n));
}

/* The elements whose pattern is not fill, as a sparse initializer with
 * their linear indices (the fill is 0). */
static void
add_sparse(struct exporter *ex, const char *name, int dt, const int64_t *dims,
    int ndim, const uint32_t *v, size_t n)
{
	size_t nnz = 0, k, j;
	uint32_t *vals;
	unsigned char *ib;
	Onnx__SparseTensorProto *s;
	Onnx__TensorProto *ti;
	int64_t d1;
	int idt, isize, b;

	for (k = 0; k < n; k++)
		nnz += v[k] != 0;
	idt = index_dtype(n, &isize);
	vals = xmalloc((nnz ? nnz : 1) * sizeof *vals);
	ib = palloc(&ex->pool, nnz, (size_t)isize);
	for (k = j = 0; k < n; k++)
		if (v[k] != 0) {
			vals[j] = v[k];
			for (b = 0; b < isize; b++)
				ib[j * (size_t)isize + (size_t)b] =
				    (unsigned char)((uint64_t)k >> (8 * b));
			j++;
		}
	s = palloc(&ex->pool, 1, sizeof *s);
	onnx__sparse_tensor_proto__init(s);
	d1 = (int64_t)nnz;
	s->values = tensor_new(ex, name, dt, &d1, 1, vals, nnz);
	s->indices = ti = palloc(&ex->pool, 1, sizeof *ti);
	onnx__tensor_proto__init(ti);
	ti->has_data_type = 1;
	ti->data_type = idt;
	ti->n_dims = 1;
	ti->dims = palloc(&ex->pool, 1, sizeof *ti->dims);
	ti->dims[0] = (int64_t)nnz;
	ti->has_raw_data = 1;
	ti->raw_data.data = ib;
	ti->raw_data.len = nnz * (size_t)isize;
	s->n_dims = (size_t)ndim;
	s->dims = palloc(&ex->pool, (size_t)ndim, sizeof *s->dims);
	memcpy(s->dims, dims, (size_t)ndim * sizeof *dims);
	PUSH(ex->sparse, ex->nsparse, ex->caps, s);
	ex->used_sparse = 1;
	free(vals);
}

/* The type ExpandBitmask gives elements of type dt: 4-bit codes widen to
 * 8 bits (runtimes gather no 4-bit elements). */
static int
expanded_dtype(int dt)
{
	return dt == T_INT4 ? T_INT8 : dt == T_UINT4 ? T_UINT8 : dt;
}

/*
 * The tensor called name as a bitmask (name.mask), the fill followed by
 * the other elements (name.values) and the shape (name.shape), expanded
 * by whittle.ExpandBitmask into a tensor of expanded_dtype(dt).
 */
static void
add_bitmask(struct exporter *ex, const char *name, int dt,
    const int64_t *dims, int ndim, const uint32_t *v, size_t n, uint32_t fill)
{
	size_t nm = (n + 7) / 8, k, j;
	uint32_t *mask = xcalloc(nm ? nm : 1, sizeof *mask);
	uint32_t *vals = xmalloc((n + 1) * sizeof *vals);
	int64_t d1;
	const char *in[3];
	Onnx__AttributeProto *at[1];
	Onnx__NodeProto *nd;
	vals[0] = fill;
	for (k = 0, j = 1; k < n; k++)
		if (v[k] != fill) {
			mask[k / 8] |= 1u << (k % 8);
			vals[j++] = v[k];
		}
	in[0] = tname(ex, name, ".mask");
	in[1] = tname(ex, name, ".values");
	in[2] = tname(ex, name, ".shape");
	d1 = (int64_t)nm;
	add_init(ex, in[0], T_UINT8, &d1, 1, mask, nm);
	d1 = (int64_t)j;
	add_init(ex, in[1], dt, &d1, 1, vals, j);
	PUSH(ex->inits, ex->ninits, ex->capi,
	    tensor_i64(ex, in[2], dims, ndim));
	at[0] = attr_int(ex, "to", expanded_dtype(dt));
	nd = node_new(ex, FN_EXPAND, NULL, in, 3, name, at, 1);
	nd->domain = pstrdup(&ex->pool, FN_DOMAIN);
	ex->used_bitmask = 1;
	free(mask);
	free(vals);
}

/*
 * Adds the tensor called name, n elements (patterns in v) of type dt, in
 * encoding e, and returns the type the graph reads it as.
 */
static int
add_encoded(struct exporter *ex, const char *name, int dt,
    const int64_t *dims, int ndim, const uint32_t *v, size_t n,
    const struct wh_enc *e)
{
	switch (e->enc) {
	case WH_ENC_BITMASK:
		add_bitmask(ex, name, dt, dims, ndim, v, n, e->fill);
		return expanded_dtype(dt);
	case WH_ENC_INDEX16:
	case WH_ENC_INDEX32:
		add_sparse(ex, name, dt, dims, ndim, v, n);
		return dt;
	}
	add_init(ex, name, dt, dims, ndim, v, n);
	return dt;
}

/* The position of factor element (i, j) in the file's layout. */
static size_t
dst_index(enum layout lay, int64_t rows, int64_t cols, int64_t kh, int64_t i,
    int64_t j)
{
	switch (lay) {
	case LAY_COLS:
		return (size_t)(j * rows + i);
	case LAY_SPATIAL:
		/* i = o * kh + y, j = channel -> (o, j, y, 0) */
		return (size_t)(((i / kh) * cols + j) * kh + i % kh);
	default:
		return (size_t)(i * cols + j);
	}
}

/* The ONNX type of integer codes. */
static int
codes_dtype(const struct exporter *ex, const struct wh_qtensor *q)
{
	if (ex->int4 && q->bits <= 4)
		return q->symmetric ? T_INT4 : T_UINT4;
	return q->symmetric ? T_INT8 : T_UINT8;
}

/*
 * The QDQ form of stored codes q (type dt): a scale initializer (a scalar
 * per tensor, 1-D per row), a zero point of the codes' type shaped alike,
 * and DequantizeLinear on axis (-1: per tensor) writing the float tensor
 * called name.
 */
static void
emit_dequant(struct exporter *ex, const struct wh_qtensor *q, int dt,
    const char *stored, int axis, const char *name)
{
	int64_t ns = q->nscale, d1 = ns, i;
	uint32_t *sc = xmalloc((size_t)ns * sizeof *sc);
	uint32_t *zp = xmalloc((size_t)ns * sizeof *zp);
	const char *in[3];
	Onnx__AttributeProto *at[1];

	for (i = 0; i < ns; i++) {
		sc[i] = float_bits(q->scale[i]);
		zp[i] = q->symmetric ? 0 : (uint32_t)(int32_t)q->zero[i];
	}
	in[0] = stored;
	in[1] = tname(ex, name, ".scale");
	in[2] = tname(ex, name, ".zero_point");
	add_init(ex, in[1], T_FLOAT, &d1, axis < 0 ? 0 : 1, sc, (size_t)ns);
	add_init(ex, in[2], dt, &d1, axis < 0 ? 0 : 1, zp, (size_t)ns);
	if (axis >= 0)
		at[0] = attr_int(ex, "axis", axis);
	node_new(ex, "DequantizeLinear", pasprintf(&ex->pool,
	    "%s/DequantizeLinear", name), in, 3, name, at, axis >= 0);
	free(sc);
	free(zp);
}

/*
 * Writes factor f: (rows, cols) in layout lay with the file dims, so that
 * the float tensor called name holds f->w in that layout.  kh is the
 * kernel height for LAY_SPATIAL.  Per-row scales and zero points get a
 * shape that broadcasts along the rows' axis: (rows, 1, ...) as is,
 * (rows) transposed, (out, 1, kh, 1) for the spatial u, whose rows are
 * o * kh + y.
 */
static void
emit_factor(struct exporter *ex, const struct wh_cfactor *f, enum layout lay,
    const int64_t *dims, int ndim, const char *name, int64_t kh)
{
	int64_t rows = f->rows, cols = f->cols, i, j;
	size_t n = (size_t)(rows * cols);
	uint32_t *v = xmalloc((n ? n : 1) * sizeof *v);
	const char *stored, *in[3];
	Onnx__AttributeProto *at[1];
	struct wh_enc e;
	int dt;

	/* the encoding the cost accounting counted (compress.c) */
	wh_factor_enc(f, ndim, ex->int4, ex->opset >= 13, &e);
	if (f->qtype == WH_Q_INT) {
		const struct wh_qtensor *q = &f->q;
		int64_t ns = q->nscale, bd[4] = { 1, 1, 1, 1 };
		uint32_t *sc = xmalloc((size_t)ns * sizeof *sc);
		uint32_t *zp = xmalloc((size_t)ns * sizeof *zp);
		const char *cf;
		int nbd = 0;

		for (i = 0; i < rows; i++)
			for (j = 0; j < cols; j++)
				v[dst_index(lay, rows, cols, kh, i, j)] =
				    (uint32_t)(int32_t)q->q[i * cols + j];
		stored = tname(ex, name, ".q");
		dt = add_encoded(ex, stored, codes_dtype(ex, q), dims, ndim, v,
		    n, &e);
		/* per row: a shape that broadcasts along the file's row axis */
		if (ns > 1 && lay == LAY_ROWS) {
			nbd = ndim;
			bd[0] = rows;
		} else if (ns > 1 && lay == LAY_COLS) {
			nbd = 1;
			bd[0] = rows;
		} else if (ns > 1) {
			nbd = 4;	/* (out, 1, kh, 1) */
			bd[0] = rows / kh;
			bd[2] = kh;
		}
		if (ex->qdq && (ns == 1 || lay != LAY_SPATIAL || kh == 1)) {
			emit_dequant(ex, q, dt, stored,
			    ns == 1 ? -1 : lay == LAY_COLS ? 1 : 0, name);
			free(sc);
			free(zp);
			free(v);
			return;
		}
		cf = tname(ex, name, ".q_float");
		in[0] = stored;
		at[0] = attr_int(ex, "to", T_FLOAT);
		node_new(ex, "Cast", NULL, in, 1,
		    cf, at, 1);
		if (!q->symmetric) {
			const char *zn = tname(ex, name, ".zero_point");
			const char *sub = tname(ex, name, ".q_centered");

			for (i = 0; i < ns; i++)
				zp[i] = float_bits((float)q->zero[i]);
			add_init(ex, zn, T_FLOAT, bd, nbd, zp, (size_t)ns);
			in[0] = cf;
			in[1] = zn;
			node_new(ex, "Sub", NULL,
			    in, 2, sub, NULL, 0);
			cf = sub;
		}
		for (i = 0; i < ns; i++)
			sc[i] = float_bits(q->scale[i]);
		in[0] = cf;
		in[1] = tname(ex, name, ".scale");
		add_init(ex, in[1], T_FLOAT, bd, nbd, sc, (size_t)ns);
		node_new(ex, "Mul", NULL, in, 2,
		    name, NULL, 0);
		free(sc);
		free(zp);
	} else if (f->qtype == WH_Q_FP16 || f->qtype == WH_Q_BF16) {
		int half = f->qtype == WH_Q_FP16;

		for (i = 0; i < rows; i++)
			for (j = 0; j < cols; j++)
				v[dst_index(lay, rows, cols, kh, i, j)] =
				    f->h[i * cols + j];
		stored = tname(ex, name, half ? ".fp16" : ".bf16");
		add_encoded(ex, stored, half ? T_FLOAT16 : T_BFLOAT16, dims,
		    ndim, v, n, &e);
		in[0] = stored;
		at[0] = attr_int(ex, "to", T_FLOAT);
		node_new(ex, "Cast", NULL, in,
		    1, name, at, 1);
	} else {
		for (i = 0; i < rows; i++)
			for (j = 0; j < cols; j++)
				v[dst_index(lay, rows, cols, kh, i, j)] =
				    float_bits(f->w[i * cols + j]);
		add_encoded(ex, name, T_FLOAT, dims, ndim, v, n, &e);
	}
	free(v);
}

/*
 * The uint8 fake quantization of x that whittle evaluates,
 * y = (clamp(rint(x / scale) + zero, 0, 255) - zero) * scale, written as
 * plain float arithmetic:
 *
 *   Div scale -> Clip [-zero, 255 - zero] -> Add 1.5*2^23 -> Sub 1.5*2^23
 *   -> Mul scale
 *
 * Clamping before rounding gives the same result, the bounds being
 * integers.  On values of magnitude at most 255, adding 1.5 * 2^23 rounds
 * to an integer, half to even (the sum lies in [2^23, 2^24), where floats
 * are the integers, and 1.5 * 2^23 is even), and subtracting it again is
 * exact: rint without a Round operator.  Every step is one correctly
 * rounded IEEE operation, as in whittle.  Runtimes run this as it stands:
 * ONNX Runtime (1.30) at its default level rewrites QuantizeLinear and
 * DequantizeLinear in front of a Conv, Gemm or MatMul with a float weight
 * into QLinearConv or QGemm, quantizing the weight to int8 as well, which
 * changes the results.  With qdq the standard QuantizeLinear and
 * DequantizeLinear pair is written instead, for toolchains that look for
 * it.
 */
#define RINT_MAGIC 12582912.0f

static const char *
emit_act_quant(struct exporter *ex, const char *node, const char *x,
    float scale, int zero, int64_t opset)
{
	const char *sn = tname(ex, node, "/act_scale");
	const char *in[3];
	uint32_t s = float_bits(scale), v;
	const char *t;

	add_init(ex, sn, T_FLOAT, NULL, 0, &s, 1);
	if (ex->qdq) {
		const char *zn = tname(ex, node, "/act_zero_point");
		const char *qn = tname(ex, node, "/act_quantized");
		const char *dn = tname(ex, node, "/act_dequantized");
		uint32_t z = (uint32_t)zero;

		add_init(ex, zn, T_UINT8, NULL, 0, &z, 1);
		in[0] = x;
		in[1] = sn;
		in[2] = zn;
		node_new(ex, "QuantizeLinear", pasprintf(&ex->pool,
		    "%s/QuantizeLinear", node), in, 3, qn, NULL, 0);
		in[0] = qn;
		node_new(ex, "DequantizeLinear", pasprintf(&ex->pool,
		    "%s/DequantizeLinear", node), in, 3, dn, NULL, 0);
		return dn;
	}
	in[0] = x;
	in[1] = sn;
	t = tname(ex, node, "/act_scaled");
	node_new(ex, "Div", NULL, in, 2,
	    t, NULL, 0);
	in[0] = t;
	t = tname(ex, node, "/act_clipped");
	if (opset >= 11) {
		in[1] = tname(ex, node, "/act_min");
		in[2] = tname(ex, node, "/act_max");
		v = float_bits((float)-zero);
		add_init(ex, in[1], T_FLOAT, NULL, 0, &v, 1);
		v = float_bits((float)(255 - zero));
		add_init(ex, in[2], T_FLOAT, NULL, 0, &v, 1);
		node_new(ex, "Clip", NULL,
		    in, 3, t, NULL, 0);
	} else {
		Onnx__AttributeProto *at[2];

		at[0] = attr_float(ex, "min", (float)-zero);
		at[1] = attr_float(ex, "max", (float)(255 - zero));
		node_new(ex, "Clip", NULL,
		    in, 1, t, at, 2);
	}
	in[0] = t;
	in[1] = tname(ex, node, "/act_rint_magic");
	v = float_bits(RINT_MAGIC);
	add_init(ex, in[1], T_FLOAT, NULL, 0, &v, 1);
	t = tname(ex, node, "/act_rint_biased");
	node_new(ex, "Add", NULL, in, 2,
	    t, NULL, 0);
	in[0] = t;
	t = tname(ex, node, "/act_rounded");
	node_new(ex, "Sub", NULL, in, 2,
	    t, NULL, 0);
	in[0] = t;
	in[1] = sn;
	t = tname(ex, node, "/act_dequantized");
	node_new(ex, "Mul", NULL, in, 2,
	    t, NULL, 0);
	return t;
}

static int
is_initializer(const Onnx__GraphProto *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name != NULL &&
		    strcmp(g->initializer[i]->name, name) == 0)
			return 1;
	for (i = 0; i < g->n_sparse_initializer; i++)
		if (g->sparse_initializer[i]->values != NULL &&
		    g->sparse_initializer[i]->values->name != NULL &&
		    strcmp(g->sparse_initializer[i]->values->name, name) == 0)
			return 1;
	return 0;
}

/* A copy of np whose attributes leave out those named in drop. */
static Onnx__NodeProto *
node_copy(struct exporter *ex, const Onnx__NodeProto *np, const char *drop1,
    const char *drop2, int extra)
{
	Onnx__NodeProto *n = palloc(&ex->pool, 1, sizeof *n);
	size_t k;

	*n = *np;
	n->input = palloc(&ex->pool, np->n_input, sizeof *n->input);
	memcpy(n->input, np->input, np->n_input * sizeof *n->input);
	n->attribute = palloc(&ex->pool, np->n_attribute + (size_t)extra,
	    sizeof *n->attribute);
	n->n_attribute = 0;
	for (k = 0; k < np->n_attribute; k++) {
		const char *an = np->attribute[k]->name;

		if (an != NULL && ((drop1 && strcmp(an, drop1) == 0) ||
		    (drop2 && strcmp(an, drop2) == 0)))
			continue;
		n->attribute[n->n_attribute++] = np->attribute[k];
	}
	return n;
}

static const Onnx__AttributeProto *
find_attr(const Onnx__NodeProto *np, const char *name)
{
	size_t k;

	for (k = 0; k < np->n_attribute; k++)
		if (np->attribute[k]->name != NULL &&
		    strcmp(np->attribute[k]->name, name) == 0)
			return np->attribute[k];
	return NULL;
}

/* The original weight is kept as it is: only activations change. */
static int
weight_unchanged(const struct exporter *ex, const struct wh_layer *l,
    const struct wh_compressed *c, const Onnx__NodeProto *np)
{
	const Onnx__AttributeProto *a;

	if (c->rank != 0 || l->rank != 0 || c->f[0].qtype != WH_Q_NONE ||
	    !is_initializer(ex->src, l->weight_name) ||
	    memcmp(c->f[0].w, l->w, (size_t)(l->out * l->in) * sizeof(float)))
		return 0;
	if (l->kind != WH_LAYER_GEMM)
		return 1;
	a = find_attr(np, "alpha");
	if (a != NULL && a->f != 1.0f)
		return 0;
	a = find_attr(np, "transB");
	return a != NULL && a->i == 1;
}

/* A Conv's geometry as attributes, from its compiled op. */
static void
conv_attrs(struct exporter *ex, const struct wh_op *op,
    Onnx__AttributeProto **at)
{
	at[0] = attr_ints(ex, "kernel_shape", op->kh, op->kw, 0, 0, 2);
	at[1] = attr_ints(ex, "strides", op->sh, op->sw, 0, 0, 2);
	at[2] = attr_ints(ex, "dilations", op->dh, op->dw, 0, 0, 2);
	at[3] = attr_ints(ex, "pads", op->pt, op->pl, op->pb, op->pr, 4);
}

/*
 * Replaces the node of layer li by its compressed form.  A layer the model
 * stores factored replaces both its nodes: np is the second, and what is
 * written reads the first's input under the layer's name.
 */
static void
emit_layer(struct exporter *ex, int li, const Onnx__NodeProto *np)
{
	const struct wh_layer *l = wh_graph_layer(ex->g, li);
	const struct wh_compressed *c = ex->res[li];
	const struct wh_op *op = &ex->g->ops[l->op];
	const char *x = np->input[0], *node = np->name, *W = l->weight_base;
	const char *in[3], *wn, *un, *vn, *t;
	const Onnx__AttributeProto *beta;
	Onnx__AttributeProto *at[4];
	Onnx__NodeProto *n;
	int64_t d[4], r = c->rank;
	int has_bias = np->n_input > 2 && np->input[2][0] != '\0';

	if (node == NULL || *node == '\0' || l->rank > 0)
		node = l->name;
	if (l->rank > 0)
		x = ex->src->node[l->node_a]->input[0];
	if (c->lw.act_bits)
		x = emit_act_quant(ex, node, x, c->lw.act_scale, c->lw.act_zero,
		    ex->opset);

	if (r == 0) {
		int keep = weight_unchanged(ex, l, c, np);

		if (keep)
			wn = W;
		else {
			/* W itself when nothing else reads the old one */
			wn = uniq(ex, &ex->names, W);
			if (l->kind == WH_LAYER_CONV) {
				d[0] = l->out;
				d[1] = l->cin;
				d[2] = l->kh;
				d[3] = l->kw;
				emit_factor(ex, &c->f[0], LAY_ROWS, d, 4, wn, 1);
			} else if (l->kind == WH_LAYER_GEMM) {
				d[0] = l->out;
				d[1] = l->in;
				emit_factor(ex, &c->f[0], LAY_ROWS, d, 2, wn, 1);
			} else {
				d[0] = l->in;
				d[1] = l->out;
				emit_factor(ex, &c->f[0], LAY_COLS, d, 2, wn, 1);
			}
		}
		if (l->kind == WH_LAYER_GEMM && !keep) {
			/* f[0].w is alpha * B as (out, in) */
			n = node_copy(ex, np, "alpha", "transB", 2);
			n->attribute[n->n_attribute++] =
			    attr_float(ex, "alpha", 1);
			n->attribute[n->n_attribute++] =
			    attr_int(ex, "transB", 1);
		} else if (l->kind == WH_LAYER_CONV && l->rank > 0) {
			/* the second factor's attributes are a 1x1's */
			n = node_copy(ex, np, NULL, NULL, 0);
			n->attribute = palloc(&ex->pool, 4,
			    sizeof *n->attribute);
			conv_attrs(ex, op, n->attribute);
			n->n_attribute = 4;
		} else
			n = node_copy(ex, np, NULL, NULL, 0);
		if (l->rank > 0)
			n->name = (char *)uniq(ex, &ex->node_names, node);
		n->input[0] = (char *)x;
		n->input[1] = (char *)wn;
		add_node(ex, n);
		return;
	}

	un = tname(ex, W, ".u");
	vn = tname(ex, W, ".vt");
	t = tname(ex, node, "/lowrank_a_output_0");
	in[0] = x;
	in[1] = vn;
	switch (l->kind) {
	case WH_LAYER_GEMM:
		/* vt: (r, in), u: (out, r), both read with transB=1 */
		d[0] = r;
		d[1] = l->in;
		emit_factor(ex, &c->f[1], LAY_ROWS, d, 2, vn, 1);
		d[0] = l->out;
		d[1] = r;
		emit_factor(ex, &c->f[0], LAY_ROWS, d, 2, un, 1);
		at[0] = attr_int(ex, "transB", 1);
		node_new(ex, "Gemm", pasprintf(&ex->pool, "%s/lowrank_a", node),
		    in, 2, t, at, 1);
		in[0] = t;
		in[1] = un;
		in[2] = has_bias ? np->input[2] : "";
		/* alpha is in u and vt; beta stays with the bias */
		at[0] = attr_int(ex, "transB", 1);
		beta = find_attr(np, "beta");
		at[1] = (Onnx__AttributeProto *)beta;
		node_new(ex, "Gemm", pasprintf(&ex->pool, "%s/lowrank_b", node),
		    in, has_bias ? 3 : 2, np->output[0], at, beta ? 2 : 1);
		break;
	case WH_LAYER_MATMUL:
		/* B = vt^T: (in, r), then u^T: (r, out) */
		d[0] = l->in;
		d[1] = r;
		emit_factor(ex, &c->f[1], LAY_COLS, d, 2, vn, 1);
		d[0] = r;
		d[1] = l->out;
		emit_factor(ex, &c->f[0], LAY_COLS, d, 2, un, 1);
		node_new(ex, "MatMul", pasprintf(&ex->pool, "%s/lowrank_a",
		    node), in, 2, t, NULL, 0);
		in[0] = t;
		in[1] = un;
		node_new(ex, "MatMul", pasprintf(&ex->pool, "%s/lowrank_b",
		    node), in, 2, np->output[0], NULL, 0);
		break;
	case WH_LAYER_CONV:
		if (c->spatial) {
			/* vt: (r, cin * kw) as (r, cin, 1, kw),
			 * u: (out * kh, r) as (out, r, kh, 1) */
			d[0] = r;
			d[1] = l->cin;
			d[2] = 1;
			d[3] = l->kw;
			emit_factor(ex, &c->f[1], LAY_ROWS, d, 4, vn, 1);
			d[0] = l->out;
			d[1] = r;
			d[2] = l->kh;
			d[3] = 1;
			emit_factor(ex, &c->f[0], LAY_SPATIAL, d, 4, un, l->kh);
			at[0] = attr_ints(ex, "kernel_shape", 1, l->kw, 0, 0, 2);
			at[1] = attr_ints(ex, "strides", 1, op->sw, 0, 0, 2);
			at[2] = attr_ints(ex, "dilations", 1, op->dw, 0, 0, 2);
			at[3] = attr_ints(ex, "pads", op->pt, op->pl, op->pb,
			    op->pr, 4);
			node_new(ex, "Conv", pasprintf(&ex->pool,
			    "%s/lowrank_a", node), in, 2, t, at, 4);
			at[0] = attr_ints(ex, "kernel_shape", l->kh, 1, 0, 0, 2);
			at[1] = attr_ints(ex, "strides", op->sh, 1, 0, 0, 2);
			at[2] = attr_ints(ex, "dilations", op->dh, 1, 0, 0, 2);
			at[3] = attr_ints(ex, "pads", 0, 0, 0, 0, 4);
		} else {
			/* vt: (r, cin, kh, kw) with the layer's geometry,
			 * u: (out, r, 1, 1) */
			d[0] = r;
			d[1] = l->cin;
			d[2] = l->kh;
			d[3] = l->kw;
			emit_factor(ex, &c->f[1], LAY_ROWS, d, 4, vn, 1);
			d[0] = l->out;
			d[1] = r;
			d[2] = 1;
			d[3] = 1;
			emit_factor(ex, &c->f[0], LAY_ROWS, d, 4, un, 1);
			n = node_new(ex, "Conv", pasprintf(&ex->pool,
			    "%s/lowrank_a", node), in, 2, t, NULL, 0);
			if (l->rank > 0) {
				/* np is a 1x1: the layer's geometry */
				n->attribute = palloc(&ex->pool, 4,
				    sizeof *n->attribute);
				conv_attrs(ex, op, n->attribute);
				n->n_attribute = 4;
			} else {
				n->n_attribute = np->n_attribute;
				n->attribute = np->attribute;
			}
			at[0] = attr_ints(ex, "kernel_shape", 1, 1, 0, 0, 2);
		}
		in[0] = t;
		in[1] = un;
		in[2] = has_bias ? np->input[2] : "";
		node_new(ex, "Conv", pasprintf(&ex->pool, "%s/lowrank_b", node),
		    in, has_bias ? 3 : 2, np->output[0], at,
		    c->spatial ? 4 : 1);
		break;
	}
}

/* ---- whittle.ExpandBitmask ------------------------------------------------ */

/* A Constant node of the function body: t is its value. */
static Onnx__NodeProto *
fn_const(struct exporter *ex, const char *out, Onnx__TensorProto *t)
{
	Onnx__AttributeProto *a = attr_new(ex, "value",
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);

	a->t = t;
	t->name = pasprintf(&ex->pool, "%s_value", out);
	return node_make(ex, "Constant", NULL, NULL, 0, out, &a, 1);
}

/*
 * out = ExpandBitmask<to>(mask, values, shape): bit k of mask (bit k % 8 of
 * byte k / 8) says whether element k of the dense tensor is the next of
 * values[1 ..] or the fill values[0]; the result, cast to `to', has the
 * dims in shape.  In standard operators of the model's opset (13 or
 * later):
 *
 *   bits = Mod(Div(Unsqueeze(Cast(mask, int32), [1]), [1, 2, .., 128]), 2)
 *   bits = Slice(Reshape(bits, [-1]), [0], ReduceProd(shape))
 *   out  = Reshape(Gather(Cast(values, to), CumSum(bits) * bits), shape)
 */
static Onnx__FunctionProto *
fn_expand_bitmask(struct exporter *ex)
{
	static const char *const in[] = { "mask", "values", "shape" };
	Onnx__FunctionProto *f = palloc(&ex->pool, 1, sizeof *f);
	Onnx__OperatorSetIdProto *os = palloc(&ex->pool, 1, sizeof *os);
	Onnx__NodeProto **b = palloc(&ex->pool, 20, sizeof *b);
	Onnx__AttributeProto *a;
	const char *x[3];
	uint32_t pow2[8], two = 2, zero = 0;
	int64_t d[2] = { 1, 8 }, i64;
	int n = 0, k;

	onnx__function_proto__init(f);
	onnx__operator_set_id_proto__init(os);
	os->domain = pstrdup(&ex->pool, "");
	os->has_version = 1;
	os->version = ex->opset;
	f->name = pstrdup(&ex->pool, FN_EXPAND);
	f->domain = pstrdup(&ex->pool, FN_DOMAIN);
	f->doc_string = pstrdup(&ex->pool, "The dense tensor of a bitmask "
	    "(bit k % 8 of byte k / 8 set: element k is the next of "
	    "values[1..], else values[0]), cast to 'to', with the dims in "
	    "shape.");
	f->n_input = 3;
	f->input = palloc(&ex->pool, 3, sizeof *f->input);
	for (k = 0; k < 3; k++)
		f->input[k] = (char *)in[k];
	f->n_output = 1;
	f->output = palloc(&ex->pool, 1, sizeof *f->output);
	f->output[0] = pstrdup(&ex->pool, "out");
	f->n_attribute = 1;
	f->attribute = palloc(&ex->pool, 1, sizeof *f->attribute);
	f->attribute[0] = pstrdup(&ex->pool, "to");
	f->n_opset_import = 1;
	f->opset_import = palloc(&ex->pool, 1, sizeof *f->opset_import);
	f->opset_import[0] = os;

	for (k = 0; k < 8; k++)
		pow2[k] = 1u << k;
	b[n++] = fn_const(ex, "axes", tensor_i64(ex, NULL, (i64 = 1, &i64), 1));
	b[n++] = fn_const(ex, "pow2", tensor_new(ex, NULL, T_INT32, d, 2,
	    pow2, 8));
	b[n++] = fn_const(ex, "two", tensor_new(ex, NULL, T_INT32, NULL, 0,
	    &two, 1));
	b[n++] = fn_const(ex, "flat_shape", tensor_i64(ex, NULL,
	    (i64 = -1, &i64), 1));
	b[n++] = fn_const(ex, "start", tensor_i64(ex, NULL, (i64 = 0, &i64),
	    1));
	b[n++] = fn_const(ex, "axis", tensor_new(ex, NULL, T_INT32, NULL, 0,
	    &zero, 1));
	a = attr_new(ex, "to", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	a->ref_attr_name = pstrdup(&ex->pool, "to");
	x[0] = "values";
	b[n++] = node_make(ex, "Cast", NULL, x, 1, "v", &a, 1);
	x[0] = "mask";
	a = attr_int(ex, "to", T_INT32);
	b[n++] = node_make(ex, "Cast", NULL, x, 1, "m32", &a, 1);
	x[0] = "m32";
	x[1] = "axes";
	b[n++] = node_make(ex, "Unsqueeze", NULL, x, 2, "m2", NULL, 0);
	x[0] = "m2";
	x[1] = "pow2";
	b[n++] = node_make(ex, "Div", NULL, x, 2, "shifted", NULL, 0);
	x[0] = "shifted";
	x[1] = "two";
	b[n++] = node_make(ex, "Mod", NULL, x, 2, "bits2", NULL, 0);
	x[0] = "bits2";
	x[1] = "flat_shape";
	b[n++] = node_make(ex, "Reshape", NULL, x, 2, "flat", NULL, 0);
	x[0] = "shape";
	a = attr_int(ex, "keepdims", 1);
	b[n++] = node_make(ex, "ReduceProd", NULL, x, 1, "count", &a, 1);
	x[0] = "flat";
	x[1] = "start";
	x[2] = "count";
	b[n++] = node_make(ex, "Slice", NULL, x, 3, "bits", NULL, 0);
	x[0] = "bits";
	x[1] = "axis";
	b[n++] = node_make(ex, "CumSum", NULL, x, 2, "rank", NULL, 0);
	x[0] = "rank";
	x[1] = "bits";
	b[n++] = node_make(ex, "Mul", NULL, x, 2, "index", NULL, 0);
	x[0] = "v";
	x[1] = "index";
	b[n++] = node_make(ex, "Gather", NULL, x, 2, "dense", NULL, 0);
	x[0] = "dense";
	x[1] = "shape";
	b[n++] = node_make(ex, "Reshape", NULL, x, 2, "out", NULL, 0);
	f->n_node = (size_t)n;
	f->node = b;
	return f;
}

/* ---- checks and the opset ------------------------------------------------ */

/* A compressed result must fit its layer. */
static int
check_result(const struct exporter *ex, int li, char **err)
{
	const struct wh_layer *l = wh_graph_layer(ex->g, li);
	const struct wh_compressed *c = ex->res[li];
	int64_t m = l->out, n = l->in;
	int k;

	if (c->rank > 0 && c->spatial) {
		m = l->out * l->kh;
		n = l->cin * l->kw;
	}
	if (c->rank < 0 || (c->rank == 0 && (c->nfactors != 1 || c->spatial)) ||
	    (c->rank > 0 && (c->nfactors != 2 || (c->spatial &&
	    (l->kind != WH_LAYER_CONV || l->group != 1)) ||
	    (l->kind == WH_LAYER_CONV && l->group != 1))))
		goto bad;
	if (c->rank == 0 && (c->f[0].rows != m || c->f[0].cols != n))
		goto bad;
	if (c->rank > 0 && (c->f[0].rows != m || c->f[0].cols != c->rank ||
	    c->f[1].rows != c->rank || c->f[1].cols != n))
		goto bad;
	for (k = 0; k < c->nfactors; k++) {
		const struct wh_cfactor *f = &c->f[k];

		if (f->w == NULL)
			goto bad;
		if (f->qtype == WH_Q_INT && (f->q.q == NULL || f->q.rows !=
		    f->rows || f->q.cols != f->cols || f->q.bits < 2 ||
		    f->q.bits > 8 || (f->q.nscale != 1 && f->q.nscale !=
		    f->rows)))
			goto bad;
		if ((f->qtype == WH_Q_FP16 || f->qtype == WH_Q_BF16) &&
		    f->h == NULL)
			goto bad;
	}
	return 0;
bad:
	return wh_error(err, "%s: layer %s: the compressed weights do not "
	    "fit the layer", ex->m->path, WH_QNAME(l->name));
}

/*
 * Operators whose meaning, in the forms whittle runs, is the same at every
 * opset from 13 to 21, so that a model at opset 13 or later can be raised.
 */
static const char *const stable_ops[] = {
	"Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Conv", "MaxPool",
	"AveragePool", "GlobalAveragePool", "Relu", "LeakyRelu", "Sigmoid",
	"Tanh", "Erf", "Gelu", "Softmax", "LogSoftmax", "Flatten", "Reshape",
	"Transpose", "BatchNormalization", "Identity", "Dropout", "Constant",
	"Shape", "Gather", "Unsqueeze", "Concat", "Squeeze", "Cast",
	"QuantizeLinear", "DequantizeLinear", "Neg", "Exp", "Sqrt", "Abs",
	"Clip", "Slice", "ConstantOfShape"
};

/* NULL when every node may be raised from the model's opset, else the
 * first node that may not. */
static const struct wh_node *
unraisable(const struct wh_model *m)
{
	size_t i, k;

	if (m->opset < 13)
		return m->nnodes ? &m->nodes[0] : NULL;
	for (i = 0; i < m->nnodes; i++) {
		for (k = 0; k < sizeof stable_ops / sizeof stable_ops[0]; k++)
			if (strcmp(m->nodes[i].op, stable_ops[k]) == 0)
				break;
		if (k == sizeof stable_ops / sizeof stable_ops[0])
			return &m->nodes[i];
	}
	return NULL;
}

/*
 * The opset the export needs: with qdq, QuantizeLinear/DequantizeLinear
 * of activations 10, bfloat16 Cast 13, 4-bit codes 21 (Cast from int4); with
 * qdq, DequantizeLinear of weights 10, per channel (its axis) 13.
 * 4-bit codes are a saving, not a need: where the opset cannot be raised
 * to 21 they are written as 8-bit codes, which hold the same values.
 */
static int
plan_opset(struct exporter *ex, int64_t *target, char **err)
{
	const struct wh_model *m = ex->m;
	const struct wh_node *bad;
	const char *why = NULL, *who = NULL;
	int64_t need = 0;
	int i, k, want4 = 0;

	for (i = 0; i < ex->nl; i++) {
		const struct wh_compressed *c = ex->res[i];
		const char *name = wh_graph_layer(ex->g, i)->name;

		if (c == NULL)
			continue;
		if (c->lw.act_bits && ex->qdq && need < 10) {
			need = 10;
			why = "activation quantization";
			who = name;
		}
		for (k = 0; k < c->nfactors; k++) {
			const struct wh_cfactor *f = &c->f[k];

			if (f->qtype == WH_Q_INT && f->q.bits <= 4)
				want4 = 1;
			/* DequantizeLinear 10, its axis 13 */
			if (ex->qdq && f->qtype == WH_Q_INT && need <
			    (f->q.nscale > 1 ? 13 : 10)) {
				need = f->q.nscale > 1 ? 13 : 10;
				why = f->q.nscale > 1 ? "per-channel "
				    "DequantizeLinear of weights" :
				    "DequantizeLinear of weights";
				who = name;
			}
			if (f->qtype == WH_Q_BF16 && need < 13) {
				need = 13;
				why = "bfloat16 weights";
				who = name;
			}
		}
	}
	*target = m->opset;
	if (need > m->opset) {
		if (m->opset < 13)
			return wh_error(err, "%s: layer %s: %s needs opset "
			    "%lld, the model has opset %lld; raising an opset "
			    "below 13 would change what Softmax, Squeeze and "
			    "Unsqueeze mean, so export the model at opset 13 or "
			    "later", m->path, WH_QNAME(who), why, (long long)need,
			    (long long)m->opset);
		if ((bad = unraisable(m)) != NULL)
			return wh_error(err, "%s: layer %s: %s needs opset "
			    "%lld, but node %s (%s) is not known to keep its "
			    "meaning from opset %lld", m->path, WH_QNAME(who), why,
			    (long long)need, WH_QNAME(bad->name), bad->op,
			    (long long)m->opset);
		*target = need;
	}
	ex->int4 = 0;
	if (want4) {
		if (*target >= 21)
			ex->int4 = 1;
		else if (unraisable(m) == NULL) {
			*target = 21;
			ex->int4 = 1;
		}
	}
	return 0;
}

/* The least IR version that carries an opset. */
static int64_t
ir_for_opset(int64_t opset)
{
	if (opset >= 21)
		return 10;
	if (opset >= 19)
		return 9;
	if (opset >= 15)
		return 8;
	if (opset >= 13)
		return 7;
	if (opset >= 10)
		return 5;
	return 4;
}

/* ---- ONNX ---------------------------------------------------------------- */

/*
 * What the rewrite leaves behind, found before anything is written: the
 * replaced weights (input 1 of the rewritten layer nodes) and whatever only
 * they read, back to the initializers (the float weight, or an earlier
 * export's codes with their Cast and Mul).  Marks those loaded nodes in
 * dead and collects the names of those loaded initializers in gone.
 */
static void
find_dead(const struct exporter *ex, const int *layer_of, const char *replace,
    char *dead, struct nameset *gone)
{
	const Onnx__GraphProto *g = ex->src;
	struct nameset cand, live;
	size_t i, k;
	int again = 1;

	nameset_init(&cand);
	for (i = 0; i < g->n_node; i++)
		if (layer_of[i] >= 0 && replace[i])
			nameset_add(&cand, g->node[i]->input[1]);
	while (again) {
		again = 0;
		nameset_init(&live);
		for (i = 0; i < g->n_node; i++)
			for (k = 0; k < g->node[i]->n_input && !dead[i]; k++)
				if (k != 1 || layer_of[i] < 0 || !replace[i])
					nameset_add(&live, g->node[i]->input[k]);
		for (i = 0; i < g->n_output; i++)
			nameset_add(&live, g->output[i]->name);
		for (i = 0; i < g->n_node; i++) {
			const Onnx__NodeProto *n = g->node[i];
			int any = 0, used = 0;

			if (dead[i] || layer_of[i] >= 0)
				continue;
			for (k = 0; k < n->n_output; k++) {
				any |= nameset_has(&cand, n->output[k]);
				used |= nameset_has(&live, n->output[k]);
			}
			if (!any || used)
				continue;
			dead[i] = 1;
			again = 1;
			for (k = 0; k < n->n_input; k++)
				nameset_add(&cand, n->input[k]);
		}
		if (again)
			nameset_free(&live);
	}
	for (i = 0; i < g->n_initializer; i++)
		if (nameset_has(&cand, g->initializer[i]->name) &&
		    !nameset_has(&live, g->initializer[i]->name))
			nameset_add(gone, g->initializer[i]->name);
	for (i = 0; i < g->n_sparse_initializer; i++) {
		const char *name = g->sparse_initializer[i]->values->name;

		if (nameset_has(&cand, name) && !nameset_has(&live, name))
			nameset_add(gone, name);
	}
	nameset_free(&live);
	nameset_free(&cand);
}

/* Every name the loaded graph keeps, so that new ones differ; the names of
 * what goes (dead nodes, gone initializers, replaced weights) are free. */
static void
collect_names(struct exporter *ex, const int *layer_of, const char *dead,
    const char *replace, const struct nameset *gone)
{
	const Onnx__GraphProto *g = ex->src;
	size_t i, k;

	nameset_init(&ex->names);
	nameset_init(&ex->node_names);
	for (i = 0; i < g->n_initializer; i++)
		if (!nameset_has(gone, g->initializer[i]->name))
			nameset_add(&ex->names, g->initializer[i]->name);
	for (i = 0; i < g->n_sparse_initializer; i++)
		if (!nameset_has(gone, g->sparse_initializer[i]->values->name))
			nameset_add(&ex->names,
			    g->sparse_initializer[i]->values->name);
	for (i = 0; i < g->n_input; i++)
		if (!nameset_has(gone, g->input[i]->name))
			nameset_add(&ex->names, g->input[i]->name);
	for (i = 0; i < g->n_output; i++)
		nameset_add(&ex->names, g->output[i]->name);
	for (i = 0; i < g->n_node; i++) {
		const struct wh_layer *l = layer_of[i] >= 0 ?
		    wh_graph_layer(ex->g, layer_of[i]) : NULL;
		int folded = l != NULL && l->rank > 0 && replace[i];

		if (dead[i])
			continue;
		/* a factored layer written anew: its first node goes, the
		 * names of both are free */
		if (folded && (int)i == l->node_a)
			continue;
		for (k = 0; k < g->node[i]->n_input; k++)
			if (!nameset_has(gone, g->node[i]->input[k]) &&
			    (k != 1 || !replace[i]) && (k != 0 || !folded))
				nameset_add(&ex->names, g->node[i]->input[k]);
		for (k = 0; k < g->node[i]->n_output; k++)
			nameset_add(&ex->names, g->node[i]->output[k]);
		if (folded)
			continue;
		nameset_add(&ex->node_names, g->node[i]->name);
		/* the loader names unnamed nodes "<op>_<index>" */
		nameset_add(&ex->node_names, ex->m->nodes[i].name);
	}
}

/* The whittle domain in the opset imports and whittle.ExpandBitmask among
 * the functions of mp, unless the loaded model has them already. */
static void
add_expand_function(struct exporter *ex, const Onnx__ModelProto *src,
    Onnx__ModelProto *mp)
{
	Onnx__OperatorSetIdProto *os;
	size_t k;
	int have = 0;

	for (k = 0; k < src->n_opset_import; k++)
		have |= src->opset_import[k]->domain != NULL &&
		    strcmp(src->opset_import[k]->domain, FN_DOMAIN) == 0;
	if (!have) {
		os = palloc(&ex->pool, 1, sizeof *os);
		onnx__operator_set_id_proto__init(os);
		os->domain = pstrdup(&ex->pool, FN_DOMAIN);
		os->has_version = 1;
		os->version = 1;
		mp->opset_import[mp->n_opset_import++] = os;
	}
	for (k = 0; k < src->n_functions; k++)
		if (src->functions[k]->name != NULL &&
		    src->functions[k]->domain != NULL &&
		    strcmp(src->functions[k]->name, FN_EXPAND) == 0 &&
		    strcmp(src->functions[k]->domain, FN_DOMAIN) == 0)
			return;
	mp->functions = palloc(&ex->pool, src->n_functions + 1,
	    sizeof *mp->functions);
	for (k = 0; k < src->n_functions; k++)
		mp->functions[k] = src->functions[k];
	mp->functions[k] = fn_expand_bitmask(ex);
	mp->n_functions = k + 1;
}

int
wh_export_onnx(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_compressed *const *results, const char *path, char **err)
{
	return wh_export_onnx_opts(m, g, results, NULL, path, err);
}

int
wh_export_onnx_opts(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_compressed *const *results,
    const struct wh_export_opts *o, const char *path, char **err)
{
	const Onnx__ModelProto *src = m->proto;
	Onnx__ModelProto mp;
	Onnx__GraphProto gp;
	struct exporter ex;
	struct nameset gone, weights;
	int *layer_of, nl = wh_graph_nlayers(g), i, r = -1, compressed = 0;
	char *replace, *dead;
	int64_t target;
	size_t k, j;
	unsigned char *buf = NULL;
	size_t len;

	memset(&ex, 0, sizeof ex);
	if (src == NULL || src->graph == NULL)
		return wh_error(err, "%s: the model keeps no parsed ONNX to "
		    "export from", m->path);
	ex.m = m;
	ex.g = g;
	ex.res = results;
	ex.nl = results != NULL ? nl : 0;
	ex.src = src->graph;
	ex.qdq = o != NULL && o->qdq;
	for (i = 0; i < ex.nl; i++) {
		if (results[i] == NULL)
			continue;
		if (check_result(&ex, i, err) != 0)
			return -1;
		compressed = 1;
	}
	if (plan_opset(&ex, &target, err) != 0)
		return -1;
	ex.opset = target;
	nameset_init(&gone);
	nameset_init(&weights);

	/* which nodes are rewritten, and what that leaves unread */
	k = ex.src->n_node ? ex.src->n_node : 1;
	layer_of = xmalloc(k * sizeof *layer_of);
	replace = xcalloc(k, 1);
	dead = xcalloc(k, 1);
	for (k = 0; k < ex.src->n_node; k++)
		layer_of[k] = -1;
	for (i = 0; i < ex.nl; i++)
		if (results[i] != NULL) {
			const struct wh_layer *l = wh_graph_layer(g, i);

			layer_of[l->node] = i;
			if (!weight_unchanged(&ex, l, results[i],
			    ex.src->node[l->node])) {
				replace[l->node] = 1;
				nameset_add(&weights, l->weight_name);
			}
			if (l->node_a >= 0) {
				/* stored factored: both nodes go */
				layer_of[l->node_a] = i;
				replace[l->node_a] = 1;
				nameset_add(&weights, l->weight_a_name);
			}
		}
	find_dead(&ex, layer_of, replace, dead, &gone);
	collect_names(&ex, layer_of, dead, replace, &gone);

	/* the loaded initializers first, then the nodes in file order */
	for (k = 0; k < ex.src->n_initializer; k++)
		if (!nameset_has(&gone, ex.src->initializer[k]->name))
			PUSH(ex.inits, ex.ninits, ex.capi,
			    ex.src->initializer[k]);
	for (k = 0; k < ex.src->n_sparse_initializer; k++)
		if (!nameset_has(&gone,
		    ex.src->sparse_initializer[k]->values->name))
			PUSH(ex.sparse, ex.nsparse, ex.caps,
			    ex.src->sparse_initializer[k]);
	for (k = 0; k < ex.src->n_node; k++) {
		if (layer_of[k] >= 0 && (int)k ==
		    wh_graph_layer(g, layer_of[k])->node_a)
			continue;	/* written with the second */
		if (layer_of[k] >= 0)
			emit_layer(&ex, layer_of[k], ex.src->node[k]);
		else if (!dead[k])
			add_node(&ex, ex.src->node[k]);
	}

	/* the new graph and model, sharing what did not change */
	gp = *ex.src;
	gp.n_node = ex.nnodes;
	gp.node = ex.nodes;
	gp.n_initializer = ex.ninits;
	gp.initializer = ex.inits;
	gp.n_sparse_initializer = ex.nsparse;
	gp.sparse_initializer = ex.sparse;
	/* inputs listing a dropped or rewritten weight (IR version 3) and
	 * shapes recorded for them go */
	gp.input = palloc(&ex.pool, ex.src->n_input, sizeof *gp.input);
	for (k = j = 0; k < ex.src->n_input; k++)
		if (!nameset_has(&gone, ex.src->input[k]->name) &&
		    !nameset_has(&weights, ex.src->input[k]->name))
			gp.input[j++] = ex.src->input[k];
	gp.n_input = j;
	gp.value_info = palloc(&ex.pool, ex.src->n_value_info,
	    sizeof *gp.value_info);
	for (k = j = 0; k < ex.src->n_value_info; k++)
		if (!nameset_has(&gone, ex.src->value_info[k]->name) &&
		    !nameset_has(&weights, ex.src->value_info[k]->name))
			gp.value_info[j++] = ex.src->value_info[k];
	gp.n_value_info = j;

	mp = *src;
	mp.graph = &gp;
	mp.opset_import = palloc(&ex.pool, src->n_opset_import + 1,
	    sizeof *mp.opset_import);
	for (k = 0; k < src->n_opset_import; k++) {
		const Onnx__OperatorSetIdProto *o = src->opset_import[k];
		Onnx__OperatorSetIdProto *no;

		mp.opset_import[k] = (Onnx__OperatorSetIdProto *)o;
		if ((o->domain != NULL && *o->domain != '\0' &&
		    strcmp(o->domain, "ai.onnx") != 0) || o->version >= target)
			continue;
		no = palloc(&ex.pool, 1, sizeof *no);
		*no = *o;
		no->has_version = 1;
		no->version = target;
		mp.opset_import[k] = no;
	}
	if (ex.used_bitmask)
		add_expand_function(&ex, src, &mp);
	{
		int64_t ir = src->has_ir_version ? src->ir_version : 0;
		int64_t need = 4;

		if (target > m->opset && ir_for_opset(target) > need)
			need = ir_for_opset(target);
		if (ex.used_sparse && need < 6)
			need = 6;
		if (ex.used_bitmask && need < 8)
			need = 8;	/* model-local functions */
		if (compressed && ir < need) {
			mp.has_ir_version = 1;
			mp.ir_version = need;
		}
	}
	if (compressed) {
		Onnx__StringStringEntryProto *e = palloc(&ex.pool, 1, sizeof *e);

		onnx__string_string_entry_proto__init(e);
		e->key = pstrdup(&ex.pool, "whittle.compressed");
		e->value = pstrdup(&ex.pool, "1");
		mp.metadata_props = palloc(&ex.pool, src->n_metadata_props + 1,
		    sizeof *mp.metadata_props);
		for (k = j = 0; k < src->n_metadata_props; k++)
			if (src->metadata_props[k]->key == NULL ||
			    strcmp(src->metadata_props[k]->key,
			    "whittle.compressed") != 0)
				mp.metadata_props[j++] = src->metadata_props[k];
		mp.metadata_props[j++] = e;
		mp.n_metadata_props = j;
	}

	len = onnx__model_proto__get_packed_size(&mp);
	buf = xmalloc(len ? len : 1);
	if (onnx__model_proto__pack(&mp, buf) != len)
		wh_error(err, "%s: packing the model failed", path);
	else
		r = wh_write_atomic(path, buf, len, err);
	free(buf);
	free(layer_of);
	free(replace);
	free(dead);
	free(ex.nodes);
	free(ex.inits);
	free(ex.sparse);
	nameset_free(&gone);
	nameset_free(&weights);
	nameset_free(&ex.names);
	nameset_free(&ex.node_names);
	pool_free(&ex.pool);
	return r;
}
