/* model.c - ONNX files into struct wh_model, checking everything it reads */

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/model.h"
#include "whittle/tensor.h"
#include "whittle/util.h"

#include "onnx.pb-c.h"

/*
 * What the loader keeps, and how:
 *  - initializers and TENSOR attributes: float32, float16, bfloat16 and
 *    double as WH_FLOAT; int64, int32, int16, uint16, int8, uint8, int4 and
 *    uint4 as WH_INT64.  Other data types, external data and any mismatch
 *    between dims and data are errors.
 *  - sparse initializers (COO, linear or coordinate indices) expanded to
 *    dense ones, appended after the others.
 *  - graph inputs that are not initializers, and graph outputs; ndim is -1
 *    when the file gives no shape at all, a dim is -1 when symbolic.
 *  - nodes of the default domain only, every input resolved to a producer;
 *    but whittle.ExpandBitmask of initializers (the bitmask encoding that
 *    `whittle apply' writes, see compress.h) is expanded here: its dense
 *    tensor is appended to the initializers and the node becomes an
 *    Identity reading it, so that node indices stay those of the file.
 */

/*
 * Limits on what a model may declare.  The file size bounds the memory
 * protobuf-c allocates; these bound the loops and keep counts inside int.
 */
#define MODEL_MAX_BYTES		((size_t)2 << 30)	/* 2 GiB */
#define MODEL_MAX_NODES		((size_t)1 << 20)
#define MODEL_MAX_INITS		((size_t)1 << 20)
#define MODEL_MAX_VALUES	((size_t)1 << 16)	/* graph in-, outputs */
#define MODEL_MAX_EDGES		((size_t)1 << 16)	/* node in-, outputs */
#define MODEL_MAX_ATTRS		((size_t)1 << 16)
#define MODEL_MAX_META		((size_t)1 << 16)
#define MODEL_MAX_LABELS	((size_t)1 << 16)
#define MODEL_MAX_TENSORS	((size_t)1 << 24)	/* names in one graph */
/* Dense elements of all sparse initializers together: a few bytes of file
 * must not claim gigabytes. */
#define MODEL_MAX_SPARSE_ELEMS	((size_t)1 << 28)

/* What every step needs for its messages. */
struct loader {
	const char *path;
	char **err;
};

/* ------------------------------------------------------------------ */
/* Names of ONNX data types, for messages. */

static const char *
dtype_name(int32_t t)
{
	static const char *names[] = {
		"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16",
		"INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE",
		"UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
		"FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
		"FLOAT8E5M2FNUZ", "UINT4", "INT4"
	};

	if (t >= 0 && (size_t)t < sizeof names / sizeof names[0])
		return names[t];
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* A small open-addressing set of tensor names, for the graph checks. */

enum producer { PROD_INIT, PROD_INPUT, PROD_NODE };

struct name_slot {
	const char *name;	/* NULL for an empty slot; borrowed */
	enum producer kind;
	size_t index;		/* into inits, graph inputs or nodes */
};

struct name_set {
	struct name_slot *slots;
	size_t mask;
};

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Room for at least n names at most half full; n is bounded by the caps. */
static void
name_set_init(struct name_set *set, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap <<= 1;
	set->slots = xcalloc(cap, sizeof *set->slots);
	set->mask = cap - 1;
}

static void
name_set_free(struct name_set *set)
{
	free(set->slots);
	set->slots = NULL;
}

static struct name_slot *
name_set_find(const struct name_set *set, const char *name)
{
	size_t i = (size_t)name_hash(name) & set->mask;

	while (set->slots[i].name != NULL) {
		if (strcmp(set->slots[i].name, name) == 0)
			return &set->slots[i];
		i = (i + 1) & set->mask;
	}
	return &set->slots[i];
}

/* ------------------------------------------------------------------ */
/* Tensors. */

static uint16_t
load_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static uint32_t
load_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
load_u64(const unsigned char *p)
{
	return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

/* Element size in raw_data, 0 for 4-bit types, -1 when not supported. */
static int
dtype_raw_size(int32_t t)
{
	switch (t) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
		return 4;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
		return 2;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		return 8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
		return 1;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT4:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT4:
		return 0;
	default:
		return -1;
	}
}

static int
dtype_is_float(int32_t t)
{
	return t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
	    t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ||
	    t == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16 ||
	    t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
}

/* One element of an integer type from its int32_data entry. */
static int64_t
int32_field_value(int32_t t, int32_t v)
{
	switch (t) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
		return (int8_t)(uint8_t)(v & 0xff);
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
		return (uint8_t)(v & 0xff);
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
		return (int16_t)(uint16_t)(v & 0xffff);
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
		return (uint16_t)(v & 0xffff);
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
		return v != 0;
	default:
		return v;
	}
}

/* Nibble k (low first) of packed 4-bit data, sign-extended for INT4. */
static int64_t
nibble(unsigned byte, size_t k, int is_signed)
{
	int v = (k & 1) ? (byte >> 4) & 0xf : byte & 0xf;

	if (is_signed && v >= 8)
		v -= 16;
	return v;
}

/*
 * Decodes raw_data, whose length has been checked: count elements of type
 * dt, little-endian, into t->f or t->i.
 */
static void
decode_raw(int32_t dt, const unsigned char *p, size_t count,
    struct wh_tensor *t)
{
	size_t k;

	switch (dt) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(t->f, p, count * sizeof(float));
#else
		for (k = 0; k < count; k++) {
			uint32_t x = load_u32(p + 4 * k);
			memcpy(&t->f[k], &x, sizeof x);
		}
#endif
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
		for (k = 0; k < count; k++)
			t->f[k] = wh_half_to_float(load_u16(p + 2 * k));
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
		for (k = 0; k < count; k++)
			t->f[k] = wh_bf16_to_float(load_u16(p + 2 * k));
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
		for (k = 0; k < count; k++) {
			uint64_t x = load_u64(p + 8 * k);
			double d;

			memcpy(&d, &x, sizeof d);
			t->f[k] = (float)d;
		}
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		for (k = 0; k < count; k++)
			t->i[k] = (int64_t)load_u64(p + 8 * k);
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
		for (k = 0; k < count; k++)
			t->i[k] = (int32_t)load_u32(p + 4 * k);
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
		for (k = 0; k < count; k++)
			t->i[k] = (int16_t)load_u16(p + 2 * k);
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
		for (k = 0; k < count; k++)
			t->i[k] = load_u16(p + 2 * k);
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
		for (k = 0; k < count; k++)
			t->i[k] = (int8_t)p[k];
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
		for (k = 0; k < count; k++)
			t->i[k] = p[k];
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
		for (k = 0; k < count; k++)
			t->i[k] = p[k] != 0;
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT4:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT4:
		for (k = 0; k < count; k++)
			t->i[k] = nibble(p[k / 2], k,
			    dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT4);
		break;
	}
}

/*
 * The typed field that holds dt's values when raw_data is absent, and how
 * many entries it has.  ONNX keeps FLOAT16 and BFLOAT16 as 16-bit patterns
 * in int32_data, the 8-bit types one per int32_data entry, and the 4-bit
 * types two per int32_data entry (low nibble first).
 */
static size_t
typed_count(const Onnx__TensorProto *tp, int32_t dt, const char **field)
{
	switch (dt) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
		*field = "float_data";
		return tp->n_float_data;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
		*field = "double_data";
		return tp->n_double_data;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		*field = "int64_data";
		return tp->n_int64_data;
	default:
		*field = "int32_data";
		return tp->n_int32_data;
	}
}

static void
decode_typed(const Onnx__TensorProto *tp, int32_t dt, size_t count,
    struct wh_tensor *t)
{
	size_t k;

	switch (dt) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
		memcpy(t->f, tp->float_data, count * sizeof(float));
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
		for (k = 0; k < count; k++)
			t->f[k] = (float)tp->double_data[k];
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
		for (k = 0; k < count; k++)
			t->f[k] = wh_half_to_float(
			    (uint16_t)(tp->int32_data[k] & 0xffff));
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
		for (k = 0; k < count; k++)
			t->f[k] = wh_bf16_to_float(
			    (uint16_t)(tp->int32_data[k] & 0xffff));
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		memcpy(t->i, tp->int64_data, count * sizeof(int64_t));
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT4:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT4:
		for (k = 0; k < count; k++)
			t->i[k] = nibble((unsigned)tp->int32_data[k / 2] & 0xff,
			    k, dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT4);
		break;
	default:
		for (k = 0; k < count; k++)
			t->i[k] = int32_field_value(dt, tp->int32_data[k]);
		break;
	}
}

/*
 * Converts a TensorProto into t (which the caller releases, also on error).
 * what names the tensor in messages, e.g. "initializer 'fc1.weight'".
 * Floating types become WH_FLOAT, integer types WH_INT64.
 */
static int
tensor_from_proto(struct loader *ld, const char *what,
    const Onnx__TensorProto *tp, struct wh_tensor *t)
{
	char dims[160];
	const char *field;
	size_t count, need, have, k;
	int32_t dt;
	int esize;

	memset(t, 0, sizeof *t);
	t->name = xstrdup(tp->name != NULL ? tp->name : "");

	if (tp->n_dims > WH_MAX_DIMS) {
		return wh_error(ld->err, "%s: %s has %zu dims, at most %d are "
		    "supported", ld->path, what, tp->n_dims, WH_MAX_DIMS);
	}
	t->ndim = (int)tp->n_dims;
	for (k = 0; k < tp->n_dims; k++) {
		if (tp->dims[k] < 0) {
			return wh_error(ld->err, "%s: %s has negative dim %lld",
			    ld->path, what, (long long)tp->dims[k]);
		}
		t->dims[k] = tp->dims[k];
	}
	wh_dims_str(t->dims, t->ndim, dims, sizeof dims);
	if (wh_tensor_count(t->dims, t->ndim, &count) != 0) {
		return wh_error(ld->err, "%s: %s has dims %s whose product "
		    "overflows", ld->path, what, dims);
	}
	t->count = count;

	if ((tp->has_data_location && tp->data_location ==
	    ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
	    tp->n_external_data != 0) {
		return wh_error(ld->err, "%s: %s keeps its data in an external "
		    "file, which is not supported", ld->path, what);
	}

	dt = tp->has_data_type ? tp->data_type : 0;
	esize = dtype_raw_size(dt);
	if (esize < 0) {
		return wh_error(ld->err, "%s: %s has data type %s (%d), which "
		    "is not supported", ld->path, what, dtype_name(dt), (int)dt);
	}

	/* Bytes (or typed entries) the dims call for. */
	if (esize == 0)
		need = count / 2 + count % 2;
	else if (wh_mul_size(count, (size_t)esize, &need) != 0) {
		return wh_error(ld->err, "%s: %s has dims %s whose size "
		    "overflows", ld->path, what, dims);
	}

	if (tp->has_raw_data) {
		have = tp->raw_data.len;
		if (have != need) {
			return wh_error(ld->err, "%s: %s holds %zu bytes, its "
			    "dims %s need %zu", ld->path, what, have, dims, need);
		}
	} else {
		have = typed_count(tp, dt, &field);
		if (esize != 0)
			need = count;
		if (have != need) {
			return wh_error(ld->err, "%s: %s has %zu values in %s, "
			    "its dims %s need %zu", ld->path, what, have, field,
			    dims, need);
		}
	}

	/*
	 * The data is all there, so count is bounded by the file size and
	 * the allocation below by a small multiple of it.
	 */
	t->elem_type = (int)dt;
	if (dtype_is_float(dt)) {
		t->dtype = WH_FLOAT;
		t->f = xreallocarray(NULL, count ? count : 1, sizeof *t->f);
	} else {
		t->dtype = WH_INT64;
		t->i = xreallocarray(NULL, count ? count : 1, sizeof *t->i);
	}
	if (count == 0)
		return 0;	/* and the data pointers may be NULL */
	if (tp->has_raw_data)
		decode_raw(dt, tp->raw_data.data, count, t);
	else
		decode_typed(tp, dt, count, t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Nodes and attributes. */

static void
attr_release(struct wh_attr *a)
{
	free(a->name);
	free(a->s);
	free(a->floats);
	free(a->ints);
	if (a->t != NULL) {
		wh_tensor_release(a->t);
		free(a->t);
	}
	memset(a, 0, sizeof *a);
}

static void
node_release(struct wh_node *n)
{
	int i;

	free(n->name);
	free(n->op);
	for (i = 0; i < n->ninputs; i++)
		free(n->inputs[i]);
	free(n->inputs);
	for (i = 0; i < n->noutputs; i++)
		free(n->outputs[i]);
	free(n->outputs);
	for (i = 0; i < n->nattrs; i++)
		attr_release(&n->attrs[i]);
	free(n->attrs);
	memset(n, 0, sizeof *n);
}

/*
 * The attribute's type: the type field when set, otherwise (files before
 * IR version 2) guessed from which value field is present.
 */
static int
attr_type(const Onnx__AttributeProto *ap)
{
	if (ap->has_type &&
	    ap->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
		return ap->type;
	if (ap->has_f)
		return WH_ATTR_FLOAT;
	if (ap->has_i)
		return WH_ATTR_INT;
	if (ap->has_s)
		return WH_ATTR_STRING;
	if (ap->t != NULL)
		return WH_ATTR_TENSOR;
	if (ap->n_floats != 0)
		return WH_ATTR_FLOATS;
	if (ap->n_ints != 0)
		return WH_ATTR_INTS;
	return 0;
}

/*
 * The attributes the operators read as lists, by name: one of another type
 * (axes given as floats, say) would leave the reader no list, so it is
 * refused here, once for every operator.
 */
static int
attr_check_type(struct loader *ld, const struct wh_node *n,
    const struct wh_attr *a)
{
	static const char *const ints[] = { "axes", "dilations",
	    "kernel_shape", "output_padding", "output_shape", "pads", "perm",
	    "split", "strides", "value_ints" };
	size_t i;

	if (strcmp(a->name, "value_floats") == 0 && a->type != WH_ATTR_FLOATS)
		return wh_error(ld->err, "%s: node %s attribute %s is not a "
		    "list of floats", ld->path, WH_QNAME(n->name),
		    WH_QNAME(a->name));
	for (i = 0; i < sizeof ints / sizeof *ints; i++)
		if (strcmp(a->name, ints[i]) == 0 && a->type != WH_ATTR_INTS)
			return wh_error(ld->err, "%s: node %s attribute %s is "
			    "not a list of integers", ld->path,
			    WH_QNAME(n->name), WH_QNAME(a->name));
	return 0;
}

/*
 * Copies one attribute.  FLOAT, INT, STRING, TENSOR, FLOATS and INTS carry
 * their value.  Any other ONNX type (GRAPH, STRINGS, TENSORS, ...) is kept
 * with its ONNX AttributeType number in a->type and no value, so that the
 * graph compiler can name the node and attribute it cannot run.
 */
static int
attr_from_proto(struct loader *ld, const struct wh_node *n,
    const Onnx__AttributeProto *ap, struct wh_attr *a)
{
	char *what;
	int r;

	memset(a, 0, sizeof *a);
	if (ap->name == NULL || *ap->name == '\0') {
		return wh_error(ld->err, "%s: node %s has an attribute "
		    "without a name", ld->path, WH_QNAME(n->name));
	}
	a->name = xstrdup(ap->name);
	a->type = attr_type(ap);
	switch ((int)a->type) {
	case WH_ATTR_FLOAT:
		a->f = ap->f;
		break;
	case WH_ATTR_INT:
		a->i = ap->i;
		break;
	case WH_ATTR_STRING:
		/* bytes in ONNX; an embedded NUL ends the C string. */
		a->s = xstrndup(ap->s.data != NULL ? (const char *)ap->s.data :
		    "", ap->s.len);
		break;
	case WH_ATTR_TENSOR:
		if (ap->t == NULL) {
			return wh_error(ld->err, "%s: node %s attribute %s "
			    "is a tensor attribute without a tensor", ld->path,
			    WH_QNAME(n->name), WH_QNAME(a->name));
		}
		a->t = xcalloc(1, sizeof *a->t);
		what = xasprintf("node %s attribute %s", WH_QNAME(n->name),
		    WH_QNAME(a->name));
		r = tensor_from_proto(ld, what, ap->t, a->t);
		free(what);
		if (r != 0)
			return -1;
		break;
	case WH_ATTR_FLOATS:
		a->n = ap->n_floats;
		if (a->n != 0) {
			a->floats = xreallocarray(NULL, a->n, sizeof *a->floats);
			memcpy(a->floats, ap->floats, a->n * sizeof *a->floats);
		}
		break;
	case WH_ATTR_INTS:
		a->n = ap->n_ints;
		if (a->n != 0) {
			a->ints = xreallocarray(NULL, a->n, sizeof *a->ints);
			memcpy(a->ints, ap->ints, a->n * sizeof *a->ints);
		}
		break;
	default:
		break;
	}
	return attr_check_type(ld, n, a);
}

static char **
copy_names(char **src, size_t n)
{
	char **dst;
	size_t i;

	if (n == 0)
		return NULL;
	dst = xreallocarray(NULL, n, sizeof *dst);
	for (i = 0; i < n; i++)
		dst[i] = xstrdup(src[i] != NULL ? src[i] : "");
	return dst;
}

static int
node_from_proto(struct loader *ld, size_t index, const Onnx__NodeProto *np,
    struct wh_node *n)
{
	size_t i, j;

	memset(n, 0, sizeof *n);
	if (np->op_type == NULL || *np->op_type == '\0') {
		if (np->name != NULL && *np->name != '\0') {
			return wh_error(ld->err, "%s: node %s has no operator "
			    "type", ld->path, WH_QNAME(np->name));
		}
		return wh_error(ld->err, "%s: node %zu has no operator type",
		    ld->path, index);
	}
	n->op = xstrdup(np->op_type);
	if (np->name != NULL && *np->name != '\0')
		n->name = xstrdup(np->name);
	else
		n->name = xasprintf("%s_%zu", n->op, index);

	if (np->domain != NULL && *np->domain != '\0' &&
	    strcmp(np->domain, "ai.onnx") != 0 &&
	    !(strcmp(np->domain, "whittle") == 0 &&
	    strcmp(n->op, "ExpandBitmask") == 0)) {
		return wh_error(ld->err, "%s: node %s uses operator domain "
		    "%s, only the default ONNX domain is supported", ld->path,
		    WH_QNAME(n->name), WH_QNAME(np->domain));
	}
	if (np->n_input > MODEL_MAX_EDGES || np->n_output > MODEL_MAX_EDGES) {
		return wh_error(ld->err, "%s: node %s has %zu inputs and %zu "
		    "outputs, at most %zu each are supported", ld->path,
		    WH_QNAME(n->name),
		    np->n_input, np->n_output, MODEL_MAX_EDGES);
	}
	if (np->n_attribute > MODEL_MAX_ATTRS) {
		return wh_error(ld->err, "%s: node %s has %zu attributes, at "
		    "most %zu are supported", ld->path, WH_QNAME(n->name),
		    np->n_attribute, MODEL_MAX_ATTRS);
	}
	n->inputs = copy_names(np->input, np->n_input);
	n->ninputs = (int)np->n_input;
	n->outputs = copy_names(np->output, np->n_output);
	n->noutputs = (int)np->n_output;

	if (np->n_attribute != 0) {
		n->attrs = xcalloc(np->n_attribute, sizeof *n->attrs);
		for (i = 0; i < np->n_attribute; i++) {
			n->nattrs = (int)i + 1;
			if (attr_from_proto(ld, n, np->attribute[i],
			    &n->attrs[i]) != 0)
				return -1;
			for (j = 0; j < i; j++) {
				if (strcmp(n->attrs[j].name,
				    n->attrs[i].name) != 0)
					continue;
				return wh_error(ld->err, "%s: node %s has "
				    "attribute %s twice", ld->path,
				    WH_QNAME(n->name),
				    WH_QNAME(n->attrs[i].name));
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Graph inputs and outputs. */

static int
value_from_proto(struct loader *ld, const char *what,
    const Onnx__ValueInfoProto *vp, struct wh_value *v)
{
	const Onnx__TypeProto__Tensor *tt = NULL;
	const Onnx__TensorShapeProto *shape;
	const Onnx__TensorShapeProto__Dimension *d;
	size_t k;

	memset(v, 0, sizeof *v);
	if (vp->name == NULL || *vp->name == '\0')
		return wh_error(ld->err, "%s: a %s has no name", ld->path, what);
	v->name = xstrdup(vp->name);

	if (vp->type != NULL && vp->type->value_case ==
	    ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		tt = vp->type->tensor_type;
	if (tt != NULL && tt->has_elem_type)
		v->elem_type = tt->elem_type;

	/* No shape at all: the rank is unknown. */
	shape = tt != NULL ? tt->shape : NULL;
	if (shape == NULL) {
		v->ndim = -1;
		return 0;
	}
	if (shape->n_dim > WH_MAX_DIMS) {
		return wh_error(ld->err, "%s: %s %s has %zu dims, at most %d "
		    "are supported", ld->path, what, WH_QNAME(v->name),
		    shape->n_dim,
		    WH_MAX_DIMS);
	}
	v->ndim = (int)shape->n_dim;
	for (k = 0; k < shape->n_dim; k++) {
		d = shape->dim[k];
		if (d->value_case ==
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    d->dim_value >= 0)
			v->dims[k] = d->dim_value;
		else
			v->dims[k] = -1;	/* dim_param, unset, or bogus */
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Metadata. */

/* Strips leading and trailing white space in place. */
static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
parse_labels(struct loader *ld, struct wh_model *m, const char *value)
{
	const char *q;
	char *copy, *p, *comma;
	size_t n = 1;

	for (q = value; *q != '\0'; q++) {
		if (*q == ',')
			n++;
	}
	if (*value == '\0')
		return 0;
	if (n > MODEL_MAX_LABELS) {
		return wh_error(ld->err, "%s: metadata 'whittle.labels' has %zu "
		    "labels, at most %zu are supported", ld->path, n,
		    MODEL_MAX_LABELS);
	}
	m->labels = xcalloc(n, sizeof *m->labels);
	copy = xstrdup(value);
	p = copy;
	for (;;) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		m->labels[m->nlabels++] = xstrdup(trim(p));
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(copy);
	return 0;
}

static int
parse_channel_list(struct loader *ld, const char *key, const char *value,
    float *out, int *nout)
{
	int n, k;

	n = wh_parse_floats(value, out, 16);
	if (n <= 0) {
		return wh_error(ld->err, "%s: metadata '%s' is %s, expected "
		    "1 to 16 numbers separated by commas", ld->path, key,
		    WH_QNAME(value));
	}
	for (k = 0; k < n; k++) {
		if (!isfinite(out[k])) {
			return wh_error(ld->err, "%s: metadata '%s' is %s, "
			    "expected finite numbers", ld->path, key,
			    WH_QNAME(value));
		}
	}
	*nout = n;
	return 0;
}

/*
 * Reads whittle.* keys: input preprocessing, class labels and the dataset
 * name.  Other keys are only kept in meta_keys/meta_values.
 */
static int
parse_whittle_meta(struct loader *ld, struct wh_model *m)
{
	struct wh_preproc *pre = &m->pre;
	const char *v;
	int k;

	pre->scale = 1.0f / 255.0f;
	pre->nmean = pre->nstd = 0;

	if ((v = wh_model_meta(m, "whittle.input.scale")) != NULL) {
		/* wh_parse_floats reads in the C locale, whatever the UI set. */
		if (wh_parse_floats(v, &pre->scale, 1) != 1 ||
		    !isfinite(pre->scale) || pre->scale <= 0) {
			return wh_error(ld->err, "%s: metadata "
			    "'whittle.input.scale' is %s, expected a positive "
			    "number", ld->path, WH_QNAME(v));
		}
		m->has_pre = 1;
	}
	if ((v = wh_model_meta(m, "whittle.input.mean")) != NULL) {
		if (parse_channel_list(ld, "whittle.input.mean", v, pre->mean,
		    &pre->nmean) != 0)
			return -1;
		m->has_pre = 1;
	}
	if ((v = wh_model_meta(m, "whittle.input.std")) != NULL) {
		if (parse_channel_list(ld, "whittle.input.std", v, pre->std,
		    &pre->nstd) != 0)
			return -1;
		for (k = 0; k < pre->nstd; k++) {
			if (pre->std[k] <= 0) {
				return wh_error(ld->err, "%s: metadata "
				    "'whittle.input.std' is %s, a standard "
				    "deviation must be positive", ld->path,
				    WH_QNAME(v));
			}
		}
		m->has_pre = 1;
	}
	if (pre->nmean > 1 && pre->nstd > 1 && pre->nmean != pre->nstd) {
		return wh_error(ld->err, "%s: metadata 'whittle.input.mean' has "
		    "%d values but 'whittle.input.std' has %d", ld->path,
		    pre->nmean, pre->nstd);
	}

	if ((v = wh_model_meta(m, "whittle.labels")) != NULL &&
	    parse_labels(ld, m, v) != 0)
		return -1;
	if ((v = wh_model_meta(m, "whittle.dataset")) != NULL)
		m->dataset = xstrdup(v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The graph's wiring: unique names, and every read has a producer. */

static int
check_wiring(struct loader *ld, struct wh_model *m, const Onnx__GraphProto *g)
{
	struct name_set set;
	struct name_slot *s;
	const struct wh_node *n;
	size_t total, i, j;
	const char *name;
	int k, r = -1;

	total = m->ninits + g->n_input;
	for (i = 0; i < m->nnodes; i++)
		total += (size_t)m->nodes[i].noutputs;
	if (total > MODEL_MAX_TENSORS) {
		return wh_error(ld->err, "%s: graph names %zu tensors, at most "
		    "%zu are supported", ld->path, total, MODEL_MAX_TENSORS);
	}
	name_set_init(&set, total);

	for (i = 0; i < m->ninits; i++) {
		s = name_set_find(&set, m->inits[i].name);
		if (s->name != NULL) {
			wh_error(ld->err, "%s: initializer %s appears twice",
			    ld->path, WH_QNAME(m->inits[i].name));
			goto out;
		}
		s->name = m->inits[i].name;
		s->kind = PROD_INIT;
		s->index = i;
	}
	for (i = 0; i < m->ninputs; i++) {
		s = name_set_find(&set, m->inputs[i].name);
		if (s->name != NULL) {
			wh_error(ld->err, "%s: graph input %s appears twice",
			    ld->path, WH_QNAME(m->inputs[i].name));
			goto out;
		}
		s->name = m->inputs[i].name;
		s->kind = PROD_INPUT;
		s->index = i;
	}
	for (i = 0; i < m->nnodes; i++) {
		n = &m->nodes[i];
		for (k = 0; k < n->noutputs; k++) {
			name = n->outputs[k];
			if (*name == '\0')
				continue;	/* an omitted optional output */
			s = name_set_find(&set, name);
			if (s->name == NULL) {
				s->name = name;
				s->kind = PROD_NODE;
				s->index = i;
				continue;
			}
			if (s->kind == PROD_NODE) {
				wh_error(ld->err, "%s: node %s writes tensor "
				    "%s, which node %s also writes",
				    ld->path, WH_QNAME(n->name), WH_QNAME(name),
				    WH_QNAME(m->nodes[s->index].name));
			} else {
				wh_error(ld->err, "%s: node %s writes tensor "
				    "%s, which is also a graph %s", ld->path,
				    WH_QNAME(n->name), WH_QNAME(name), s->kind == PROD_INIT ?
				    "initializer" : "input");
			}
			goto out;
		}
	}
	for (i = 0; i < m->nnodes; i++) {
		n = &m->nodes[i];
		for (k = 0; k < n->ninputs; k++) {
			name = n->inputs[k];
			if (*name == '\0' ||
			    name_set_find(&set, name)->name != NULL)
				continue;
			wh_error(ld->err, "%s: node %s reads tensor %s which "
			    "no node, input or initializer produces", ld->path,
			    WH_QNAME(n->name), WH_QNAME(name));
			goto out;
		}
	}
	for (j = 0; j < m->noutputs; j++) {
		name = m->outputs[j].name;
		if (name_set_find(&set, name)->name != NULL)
			continue;
		wh_error(ld->err, "%s: graph output %s is not produced by any "
		    "node, input or initializer", ld->path, WH_QNAME(name));
		goto out;
	}
	r = 0;
out:
	name_set_free(&set);
	return r;
}

/* ------------------------------------------------------------------ */
/* whittle.ExpandBitmask. */

/* The initializer called name, or NULL. */
static const struct wh_tensor *
init_named(const struct name_set *set, const struct wh_model *m,
    const char *name)
{
	const struct name_slot *s = name_set_find(set, name);

	return s->name != NULL ? &m->inits[s->index] : NULL;
}

/*
 * Expands node i, whittle.ExpandBitmask(mask, values, shape) of
 * initializers, into the dense initializer t: element k is values[r] when
 * bit k % 8 of mask byte k / 8 is set and it is the r-th set bit (from 1),
 * else values[0].  *budget as for sparse initializers.
 */
static int
bitmask_expand(struct loader *ld, const struct wh_model *m,
    const struct name_set *set, const struct wh_node *n, size_t *budget,
    struct wh_tensor *t)
{
	const struct wh_tensor *mask, *vals, *shape;
	const struct wh_attr *to;
	size_t count, k, r = 0, ones = 0;
	int d, isfloat;

	memset(t, 0, sizeof *t);
	if (n->ninputs != 3 || n->noutputs != 1)
		return wh_error(ld->err, "%s: node %s (ExpandBitmask) has %d "
		    "inputs and %d outputs, 3 and 1 are needed", ld->path,
		    WH_QNAME(n->name), n->ninputs, n->noutputs);
	mask = init_named(set, m, n->inputs[0]);
	vals = init_named(set, m, n->inputs[1]);
	shape = init_named(set, m, n->inputs[2]);
	if (mask == NULL || vals == NULL || shape == NULL)
		return wh_error(ld->err, "%s: node %s (ExpandBitmask) reads "
		    "'%s', which is not an initializer", ld->path, WH_QNAME(n->name),
		    n->inputs[mask == NULL ? 0 : vals == NULL ? 1 : 2]);
	if (mask->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__UINT8 ||
	    mask->ndim != 1 || vals->ndim != 1 || vals->count == 0 ||
	    shape->dtype != WH_INT64 || shape->ndim != 1 ||
	    shape->count > WH_MAX_DIMS)
		return wh_error(ld->err, "%s: node %s (ExpandBitmask) needs a "
		    "1-D uint8 mask, 1-D values and a 1-D int64 shape of at "
		    "most %d dims", ld->path, WH_QNAME(n->name), WH_MAX_DIMS);
	t->ndim = (int)shape->count;
	for (d = 0; d < t->ndim; d++) {
		if (shape->i[d] < 0)
			return wh_error(ld->err, "%s: node %s (ExpandBitmask) "
			    "has negative dim %lld", ld->path, WH_QNAME(n->name),
			    (long long)shape->i[d]);
		t->dims[d] = shape->i[d];
	}
	if (wh_tensor_count(t->dims, t->ndim, &count) != 0 || count > *budget)
		return wh_error(ld->err, "%s: node %s (ExpandBitmask) asks for "
		    "more than the %zu dense elements supported", ld->path,
		    WH_QNAME(n->name), *budget);
	if (mask->count != (count + 7) / 8)
		return wh_error(ld->err, "%s: node %s (ExpandBitmask) has a "
		    "mask of %zu bytes for %zu elements, %zu are needed",
		    ld->path, WH_QNAME(n->name), mask->count, count, (count + 7) / 8);
	for (k = 0; k < count; k++)
		ones += (mask->i[k / 8] >> (k % 8)) & 1;
	if (ones + 1 != vals->count)
		return wh_error(ld->err, "%s: node %s (ExpandBitmask) has %zu "
		    "values for a mask of %zu set bits, %zu are needed",
		    ld->path, WH_QNAME(n->name), vals->count, ones, ones + 1);
	to = NULL;
	for (d = 0; d < n->nattrs; d++)
		if (strcmp(n->attrs[d].name, "to") == 0 &&
		    n->attrs[d].type == WH_ATTR_INT)
			to = &n->attrs[d];
	isfloat = vals->dtype == WH_FLOAT;
	/* float32, float16, double, bfloat16; or the integer types */
	if (to == NULL || (isfloat ? to->i != 1 && to->i != 10 &&
	    to->i != 11 && to->i != 16 : (to->i < 2 || to->i > 7) &&
	    to->i != 21 && to->i != 22))
		return wh_error(ld->err, "%s: node %s (ExpandBitmask) needs "
		    "an attribute 'to' of the values' kind of type", ld->path,
		    WH_QNAME(n->name));
	*budget -= count;
	t->count = count;
	t->dtype = vals->dtype;
	t->elem_type = (int)to->i;
	if (isfloat)
		t->f = xmalloc((count ? count : 1) * sizeof *t->f);
	else
		t->i = xmalloc((count ? count : 1) * sizeof *t->i);
	for (k = 0; k < count; k++) {
		size_t j = (mask->i[k / 8] >> (k % 8)) & 1 ? ++r : 0;

		if (isfloat)
			t->f[k] = vals->f[j];
		else
			t->i[k] = vals->i[j];
	}
	return 0;
}

/*
 * Expands every whittle.ExpandBitmask node (see the top of the file).  The
 * dense tensor is called OUTPUT/expanded (with _1, _2, ... when that name
 * is taken).
 */
static int
bitmask_nodes(struct loader *ld, struct wh_model *m,
    const Onnx__GraphProto *g, size_t *budget)
{
	struct name_set inits, names;
	struct wh_tensor t;
	size_t i, k, nexp = 0, total;
	int j, r = -1;

	for (i = 0; i < m->nnodes; i++)
		nexp += strcmp(m->nodes[i].op, "ExpandBitmask") == 0 &&
		    g->node[i]->domain != NULL &&
		    strcmp(g->node[i]->domain, "whittle") == 0;
	if (nexp == 0)
		return 0;
	total = m->ninits + m->ninputs + nexp;
	for (i = 0; i < m->nnodes; i++)
		total += (size_t)m->nodes[i].noutputs;
	if (total > MODEL_MAX_TENSORS)
		return wh_error(ld->err, "%s: graph names %zu tensors, at most "
		    "%zu are supported", ld->path, total, MODEL_MAX_TENSORS);
	m->inits = xreallocarray(m->inits, m->ninits + nexp, sizeof *m->inits);
	name_set_init(&inits, m->ninits);
	name_set_init(&names, total);
	for (i = 0; i < m->ninits; i++) {
		struct name_slot *s = name_set_find(&inits, m->inits[i].name);

		s->name = m->inits[i].name;
		s->index = i;
		name_set_find(&names, m->inits[i].name)->name = m->inits[i].name;
	}
	for (i = 0; i < m->ninputs; i++)
		name_set_find(&names, m->inputs[i].name)->name = m->inputs[i].name;
	for (i = 0; i < m->nnodes; i++)
		for (j = 0; j < m->nodes[i].noutputs; j++)
			name_set_find(&names, m->nodes[i].outputs[j])->name =
			    m->nodes[i].outputs[j];
	for (i = 0; i < m->nnodes; i++) {
		struct wh_node *n = &m->nodes[i];
		char *name;

		if (strcmp(n->op, "ExpandBitmask") != 0 ||
		    g->node[i]->domain == NULL ||
		    strcmp(g->node[i]->domain, "whittle") != 0)
			continue;
		/* reads the initializers of the file (no expanded one) */
		if (bitmask_expand(ld, m, &inits, n, budget, &t) != 0) {
			wh_tensor_release(&t);
			goto out;
		}
		name = xasprintf("%s/expanded", n->outputs[0]);
		for (k = 1; name_set_find(&names, name)->name != NULL; k++) {
			free(name);
			name = xasprintf("%s/expanded_%zu", n->outputs[0], k);
		}
		t.name = name;
		m->inits[m->ninits++] = t;
		name_set_find(&names, name)->name = name;
		/* the node reads it as an Identity */
		free(n->op);
		n->op = xstrdup("Identity");
		for (j = 0; j < n->ninputs; j++)
			free(n->inputs[j]);
		n->inputs[0] = xstrdup(name);
		n->ninputs = 1;
		for (j = 0; j < n->nattrs; j++)
			attr_release(&n->attrs[j]);
		free(n->attrs);
		n->attrs = NULL;
		n->nattrs = 0;
	}
	r = 0;
out:
	name_set_free(&inits);
	name_set_free(&names);
	return r;
}

/* ------------------------------------------------------------------ */
/* Sparse initializers. */

/*
 * Expands a SparseTensorProto into the dense tensor t (which the caller
 * releases, also on error).  *budget is the number of dense elements the
 * sparse initializers may still claim; this one's are taken from it.
 */
static int
sparse_from_proto(struct loader *ld, size_t index,
    const Onnx__SparseTensorProto *sp, size_t *budget, struct wh_tensor *t)
{
	struct wh_tensor vals, idx;
	const char *name;
	char dims[160], idims[160], qname[WH_QNAME_SIZE], *what;
	size_t count, nnz, k, prev = 0;
	int d, coords = 0, r = -1;

	memset(t, 0, sizeof *t);
	memset(&vals, 0, sizeof vals);
	memset(&idx, 0, sizeof idx);
	name = sp->values != NULL ? sp->values->name : NULL;
	if (name == NULL || *name == '\0') {
		return wh_error(ld->err, "%s: sparse initializer %zu has no "
		    "name", ld->path, index);
	}
	t->name = xstrdup(name);
	wh_quote_name(name, qname, sizeof qname);
	if (sp->n_dims == 0 || sp->n_dims > WH_MAX_DIMS) {
		return wh_error(ld->err, "%s: sparse initializer %s has %zu "
		    "dims, 1 to %d are supported", ld->path, qname, sp->n_dims,
		    WH_MAX_DIMS);
	}
	t->ndim = (int)sp->n_dims;
	for (d = 0; d < t->ndim; d++) {
		if (sp->dims[d] < 0) {
			return wh_error(ld->err, "%s: sparse initializer %s "
			    "has negative dim %lld", ld->path, qname,
			    (long long)sp->dims[d]);
		}
		t->dims[d] = sp->dims[d];
	}
	wh_dims_str(t->dims, t->ndim, dims, sizeof dims);
	if (wh_tensor_count(t->dims, t->ndim, &count) != 0 ||
	    count > *budget) {
		return wh_error(ld->err, "%s: sparse initializer %s has dims "
		    "%s, more than the %zu dense elements supported", ld->path,
		    qname, dims, *budget);
	}
	*budget -= count;
	t->count = count;

	what = xasprintf("sparse initializer %s values", qname);
	r = tensor_from_proto(ld, what, sp->values, &vals);
	free(what);
	if (r != 0)
		goto out;
	r = -1;
	if (vals.ndim != 1) {
		wh_dims_str(vals.dims, vals.ndim, idims, sizeof idims);
		wh_error(ld->err, "%s: sparse initializer %s has values of "
		    "dims %s, a 1-D list is needed", ld->path, qname, idims);
		goto out;
	}
	nnz = vals.count;
	if (sp->indices == NULL) {
		if (nnz != 0) {
			wh_error(ld->err, "%s: sparse initializer %s has %zu "
			    "values but no indices", ld->path, qname, nnz);
			goto out;
		}
	} else {
		what = xasprintf("sparse initializer %s indices",
		    qname);
		r = tensor_from_proto(ld, what, sp->indices, &idx);
		free(what);
		if (r != 0)
			goto out;
		r = -1;
		wh_dims_str(idx.dims, idx.ndim, idims, sizeof idims);
		if (idx.dtype != WH_INT64) {
			wh_error(ld->err, "%s: sparse initializer %s has "
			    "indices of type %s, an integer type is needed",
			    ld->path, qname, dtype_name(idx.elem_type));
			goto out;
		}
		coords = idx.ndim == 2 && (size_t)idx.dims[0] == nnz &&
		    idx.dims[1] == t->ndim;
		if (!coords && (idx.ndim != 1 || idx.count != nnz)) {
			wh_error(ld->err, "%s: sparse initializer %s has %zu "
			    "values but indices of dims %s, (%zu) or (%zu, %d) "
			    "are needed", ld->path, qname, nnz, idims, nnz, nnz,
			    t->ndim);
			goto out;
		}
	}

	/* Every index in range and strictly ascending, so none repeats. */
	t->dtype = vals.dtype;
	t->elem_type = vals.elem_type;
	if (t->dtype == WH_FLOAT)
		t->f = xcalloc(count ? count : 1, sizeof *t->f);
	else
		t->i = xcalloc(count ? count : 1, sizeof *t->i);
	for (k = 0; k < nnz; k++) {
		size_t lin = 0;

		if (coords) {
			for (d = 0; d < t->ndim; d++) {
				int64_t c = idx.i[k * (size_t)t->ndim + d];

				if (c < 0 || c >= t->dims[d])
					break;
				lin = lin * (size_t)t->dims[d] + (size_t)c;
			}
			if (d < t->ndim) {
				wh_error(ld->err, "%s: sparse initializer %s "
				    "index %lld of value %zu is out of range "
				    "for dims %s", ld->path, qname, (long long)
				    idx.i[k * (size_t)t->ndim + d], k, dims);
				goto out;
			}
		} else {
			if (idx.i[k] < 0 || (uint64_t)idx.i[k] >= count) {
				wh_error(ld->err, "%s: sparse initializer %s "
				    "index %lld of value %zu is out of range "
				    "for dims %s", ld->path, qname,
				    (long long)idx.i[k], k, dims);
				goto out;
			}
			lin = (size_t)idx.i[k];
		}
		if (k > 0 && lin <= prev) {
			wh_error(ld->err, "%s: sparse initializer %s indices "
			    "are not in ascending order at value %zu",
			    ld->path, qname, k);
			goto out;
		}
		prev = lin;
		if (t->dtype == WH_FLOAT)
			t->f[lin] = vals.f[k];
		else
			t->i[lin] = vals.i[k];
	}
	r = 0;
out:
	wh_tensor_release(&vals);
	wh_tensor_release(&idx);
	return r;
}

/* ------------------------------------------------------------------ */

static int
load_graph(struct loader *ld, struct wh_model *m, const Onnx__GraphProto *g)
{
	struct name_set inits;
	const char *name;
	char *what;
	size_t i, n, ninits, budget = MODEL_MAX_SPARSE_ELEMS;
	int r;

	if (g->n_node == 0)
		return wh_error(ld->err, "%s: graph has no nodes", ld->path);
	if (g->n_node > MODEL_MAX_NODES) {
		return wh_error(ld->err, "%s: graph has %zu nodes, at most %zu "
		    "are supported", ld->path, g->n_node, MODEL_MAX_NODES);
	}
	if (g->n_initializer > MODEL_MAX_INITS ||
	    g->n_sparse_initializer > MODEL_MAX_INITS - g->n_initializer) {
		return wh_error(ld->err, "%s: graph has %zu initializers, at "
		    "most %zu are supported", ld->path, g->n_initializer +
		    g->n_sparse_initializer, MODEL_MAX_INITS);
	}
	if (g->n_input > MODEL_MAX_VALUES || g->n_output > MODEL_MAX_VALUES) {
		return wh_error(ld->err, "%s: graph has %zu inputs and %zu "
		    "outputs, at most %zu each are supported", ld->path,
		    g->n_input, g->n_output, MODEL_MAX_VALUES);
	}
	if (g->n_output == 0)
		return wh_error(ld->err, "%s: graph has no outputs", ld->path);

	/* Initializers, then the sparse ones expanded. */
	ninits = g->n_initializer + g->n_sparse_initializer;
	if (ninits != 0) {
		m->inits = xcalloc(ninits, sizeof *m->inits);
		for (i = 0; i < g->n_initializer; i++) {
			name = g->initializer[i]->name;
			m->ninits = i + 1;
			if (name == NULL || *name == '\0') {
				return wh_error(ld->err, "%s: initializer %zu "
				    "has no name", ld->path, i);
			}
			what = xasprintf("initializer %s", WH_QNAME(name));
			r = tensor_from_proto(ld, what, g->initializer[i],
			    &m->inits[i]);
			free(what);
			if (r != 0)
				return -1;
		}
		for (i = 0; i < g->n_sparse_initializer; i++) {
			m->ninits = g->n_initializer + i + 1;
			if (sparse_from_proto(ld, i, g->sparse_initializer[i],
			    &budget, &m->inits[m->ninits - 1]) != 0)
				return -1;
		}
	}

	/*
	 * Graph inputs, leaving out those that name an initializer (exports
	 * for IR version 3 and older list every weight as an input too).
	 */
	name_set_init(&inits, m->ninits);
	for (i = 0; i < m->ninits; i++)
		name_set_find(&inits, m->inits[i].name)->name = m->inits[i].name;
	for (i = n = 0; i < g->n_input; i++) {
		name = g->input[i]->name;
		if (name == NULL || name_set_find(&inits, name)->name == NULL)
			n++;
	}
	r = 0;
	if (n != 0)
		m->inputs = xcalloc(n, sizeof *m->inputs);
	for (i = 0; i < g->n_input && r == 0; i++) {
		name = g->input[i]->name;
		if (name != NULL && name_set_find(&inits, name)->name != NULL)
			continue;
		r = value_from_proto(ld, "graph input", g->input[i],
		    &m->inputs[m->ninputs++]);
	}
	name_set_free(&inits);
	if (r != 0)
		return -1;

	m->outputs = xcalloc(g->n_output, sizeof *m->outputs);
	for (i = 0; i < g->n_output; i++) {
		m->noutputs = i + 1;
		if (value_from_proto(ld, "graph output", g->output[i],
		    &m->outputs[i]) != 0)
			return -1;
	}

	m->nodes = xcalloc(g->n_node, sizeof *m->nodes);
	for (i = 0; i < g->n_node; i++) {
		m->nnodes = i + 1;
		if (node_from_proto(ld, i, g->node[i], &m->nodes[i]) != 0)
			return -1;
	}
	if (bitmask_nodes(ld, m, g, &budget) != 0)
		return -1;

	return check_wiring(ld, m, g);
}

struct wh_model *
wh_model_parse(const char *path, const unsigned char *buf, size_t len,
    char **err)
{
	struct loader ld;
	struct wh_model *m;
	Onnx__ModelProto *mp;
	const Onnx__OperatorSetIdProto *op;
	size_t i;
	int found = 0;

	if (path == NULL)
		path = "model";
	ld.path = path;
	ld.err = err;

	if (len == 0) {
		wh_error(err, "%s: file is empty", path);
		return NULL;
	}
	if (len > MODEL_MAX_BYTES) {
		wh_error(err, "%s: file is %zu bytes, at most %zu are supported",
		    path, len, MODEL_MAX_BYTES);
		return NULL;
	}
	mp = onnx__model_proto__unpack(NULL, len, buf);
	if (mp == NULL) {
		wh_error(err, "%s: not a valid ONNX file (protobuf parse failed)",
		    path);
		return NULL;
	}

	m = xcalloc(1, sizeof *m);
	m->proto = mp;
	m->path = xstrdup(path);
	m->file_bytes = len;
	m->ir_version = mp->has_ir_version ? mp->ir_version : 0;
	m->producer = xstrdup(mp->producer_name != NULL ? mp->producer_name :
	    "");
	m->pre.scale = 1.0f / 255.0f;

	if (mp->graph == NULL) {
		wh_error(err, "%s: model has no graph (is it an ONNX file?)",
		    path);
		goto fail;
	}
	for (i = 0; i < mp->n_opset_import; i++) {
		op = mp->opset_import[i];
		if (op->domain != NULL && *op->domain != '\0' &&
		    strcmp(op->domain, "ai.onnx") != 0)
			continue;
		if (!found || op->version > m->opset)
			m->opset = op->version;
		found = 1;
	}
	if (!found) {
		wh_error(err, "%s: model imports no opset for the default ONNX "
		    "domain", path);
		goto fail;
	}
	if (m->opset <= 0) {
		wh_error(err, "%s: model imports opset version %lld for the "
		    "default ONNX domain, which is not valid", path,
		    (long long)m->opset);
		goto fail;
	}

	if (mp->n_metadata_props > MODEL_MAX_META) {
		wh_error(err, "%s: model has %zu metadata entries, at most %zu "
		    "are supported", path, mp->n_metadata_props, MODEL_MAX_META);
		goto fail;
	}
	if (mp->n_metadata_props != 0) {
		m->meta_keys = xcalloc(mp->n_metadata_props,
		    sizeof *m->meta_keys);
		m->meta_values = xcalloc(mp->n_metadata_props,
		    sizeof *m->meta_values);
		for (i = 0; i < mp->n_metadata_props; i++) {
			const Onnx__StringStringEntryProto *e;

			e = mp->metadata_props[i];
			m->meta_keys[i] = xstrdup(e->key != NULL ? e->key : "");
			m->meta_values[i] = xstrdup(e->value != NULL ?
			    e->value : "");
			m->nmeta = i + 1;
		}
	}
	if (parse_whittle_meta(&ld, m) != 0)
		goto fail;

	if (load_graph(&ld, m, mp->graph) != 0)
		goto fail;
	return m;

fail:
	wh_model_free(m);
	return NULL;
}

struct wh_model *
wh_model_load(const char *path, char **err)
{
	struct wh_model *m;
	unsigned char *buf;
	size_t len;

	if (wh_read_file(path, 0, MODEL_MAX_BYTES, &buf, &len, err) != 0)
		return NULL;
	m = wh_model_parse(path, buf, len, err);
	free(buf);
	return m;
}

int
wh_tensor_load_pb(const char *path, struct wh_tensor *t, char **err)
{
	struct loader ld = { path, err };
	Onnx__TensorProto *tp;
	unsigned char *buf;
	size_t len;
	int rc;

	memset(t, 0, sizeof *t);
	if (wh_read_file(path, 0, MODEL_MAX_BYTES, &buf, &len, err) != 0)
		return -1;
	tp = onnx__tensor_proto__unpack(NULL, len, buf);
	free(buf);
	if (tp == NULL)
		return wh_error(err, "%s: not a serialized ONNX TensorProto",
		    path);
	rc = tensor_from_proto(&ld, "the tensor", tp, t);
	onnx__tensor_proto__free_unpacked(tp, NULL);
	if (rc != 0)
		wh_tensor_release(t);
	return rc;
}

void
wh_model_free(struct wh_model *m)
{
	size_t i;
	int k;

	if (m == NULL)
		return;
	free(m->path);
	free(m->producer);
	for (i = 0; i < m->ninits; i++)
		wh_tensor_release(&m->inits[i]);
	free(m->inits);
	for (i = 0; i < m->nnodes; i++)
		node_release(&m->nodes[i]);
	free(m->nodes);
	for (i = 0; i < m->ninputs; i++)
		free(m->inputs[i].name);
	free(m->inputs);
	for (i = 0; i < m->noutputs; i++)
		free(m->outputs[i].name);
	free(m->outputs);
	for (i = 0; i < m->nmeta; i++) {
		free(m->meta_keys[i]);
		free(m->meta_values[i]);
	}
	free(m->meta_keys);
	free(m->meta_values);
	for (k = 0; k < m->nlabels; k++)
		free(m->labels[k]);
	free(m->labels);
	free(m->dataset);
	if (m->proto != NULL)
		onnx__model_proto__free_unpacked(m->proto, NULL);
	free(m);
}

/* ------------------------------------------------------------------ */
/* Lookups. */

const struct wh_tensor *
wh_model_init(const struct wh_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ninits; i++) {
		if (strcmp(m->inits[i].name, name) == 0)
			return &m->inits[i];
	}
	return NULL;
}

/* The first entry with this key (ONNX says keys should be distinct). */
const char *
wh_model_meta(const struct wh_model *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->nmeta; i++) {
		if (strcmp(m->meta_keys[i], key) == 0)
			return m->meta_values[i];
	}
	return NULL;
}

const struct wh_attr *
wh_node_attr(const struct wh_node *n, const char *name)
{
	int i;

	for (i = 0; i < n->nattrs; i++) {
		if (strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	}
	return NULL;
}

/* def when the attribute is absent or not an INT. */
int64_t
wh_node_attr_int(const struct wh_node *n, const char *name, int64_t def)
{
	const struct wh_attr *a = wh_node_attr(n, name);

	return a != NULL && a->type == WH_ATTR_INT ? a->i : def;
}

/* def when the attribute is absent or not a FLOAT. */
float
wh_node_attr_float(const struct wh_node *n, const char *name, float def)
{
	const struct wh_attr *a = wh_node_attr(n, name);

	return a != NULL && a->type == WH_ATTR_FLOAT ? a->f : def;
}
