/* safetensors.c - compressed weights as safetensors for PyTorch users */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "whittle/export.h"
#include "whittle/util.h"

/*
 * The file: an 8-byte little-endian header length N, N bytes of JSON
 * (padded with spaces so that the data starts at a multiple of 8), then
 * the tensors' bytes back to back, little-endian, in the order listed.
 * The JSON maps each tensor name to {"dtype", "shape", "data_offsets":
 * [begin, end)} relative to the data, and "__metadata__" to strings.
 *
 * Per layer with weight initializer NAME (whittle-plan(5)):
 *   uncompressed:   NAME as stored in the model, F32 (a layer stored as
 *                   two factors: both nodes' weights, or when computed
 *                   NAME.u and NAME.vt as for low rank);
 *   rank 0:         NAME, the final weight in the node's ONNX layout
 *                   (Conv (out, cin, kh, kw), Gemm (out, in), MatMul
 *                   (in, out)), F32, or F16 / BF16 for 16-bit weights;
 *   low rank:       NAME.u: (out, r) or (out * kh, r) spatial and
 *                   NAME.vt: (r, in) or (r, cin * kw), F32 or F16 / BF16;
 *   and per factor F (NAME, NAME.u or NAME.vt), over its (rows, cols):
 *     F.q           integer codes (rows, cols), I8 symmetric, U8
 *                   asymmetric; 4 bits or fewer packed two per byte, low
 *                   nibble first, as U8 (ceil(n / 2)) with metadata
 *                   "F.q.bits" = "4";
 *     F.scale       F32 (1) or (rows); weight = (q - zero_point) * scale;
 *     F.zero_point  I32 like scale, asymmetric only;
 *     F.mask        when pruned: U8 (ceil(n / 8)), bit k % 8 of byte k / 8
 *                   set where weight k is non-zero (kept), LSB first.
 *   The bias under its ONNX name, F32, and every other float initializer a
 *   node reads (BatchNormalization, scales), so that the file is complete,
 *   except those only read to compute a layer's weight (an earlier
 *   export's scales), which the weight already holds.
 * Metadata: "format" = "whittle-1", per compressed layer "NAME.rank" and
 * "NAME.bits" (2..8 for integer codes, 16, or 32).
 */

struct st_tensor {
	char *name;
	const char *dtype;
	int64_t shape[4];
	int ndim;
	unsigned char *data;	/* bytes, owned */
	size_t bytes;
};

struct st_file {
	struct st_tensor *t;
	size_t n, cap;
	cJSON *meta;
};

static int
st_has(const struct st_file *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->t[i].name, name) == 0)
			return 1;
	return 0;
}

/* Takes data; -1 (and frees it) when the name is taken. */
static int
st_add(struct st_file *f, const char *name, const char *dtype,
    const int64_t *shape, int ndim, unsigned char *data, size_t bytes)
{
	struct st_tensor *t;

	if (st_has(f, name)) {
		free(data);
		return -1;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 32;
		f->t = xreallocarray(f->t, f->cap, sizeof *f->t);
	}
	t = &f->t[f->n++];
	t->name = xstrdup(name);
	t->dtype = dtype;
	memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
	t->ndim = ndim;
	t->data = data;
	t->bytes = bytes;
	return 0;
}

static void
put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	put_u16(p, (uint16_t)v);
	put_u16(p + 2, (uint16_t)(v >> 16));
}

static void
put_f32(unsigned char *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	put_u32(p, u);
}

/* v: n floats in the order given by perm (NULL: as they are). */
static int
add_f32(struct st_file *f, const char *name, const float *v, size_t n,
    const size_t *perm, const int64_t *shape, int ndim)
{
	unsigned char *d = xmalloc(n ? 4 * n : 1);
	size_t k;

	for (k = 0; k < n; k++)
		put_f32(d + 4 * k, v[perm ? perm[k] : k]);
	return st_add(f, name, "F32", shape, ndim, d, 4 * n);
}

static int
add_u16(struct st_file *f, const char *name, const char *dtype,
    const uint16_t *v, size_t n, const size_t *perm, const int64_t *shape,
    int ndim)
{
	unsigned char *d = xmalloc(n ? 2 * n : 1);
	size_t k;

	for (k = 0; k < n; k++)
		put_u16(d + 2 * k, v[perm ? perm[k] : k]);
	return st_add(f, name, dtype, shape, ndim, d, 2 * n);
}

static void
meta_set(struct st_file *f, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(f->meta, key);
	cJSON_AddStringToObject(f->meta, key, value);
}

static void
meta_int(struct st_file *f, const char *key, const char *suffix, int v)
{
	char *k = xasprintf("%s%s", key, suffix), val[16];

	snprintf(val, sizeof val, "%d", v);
	meta_set(f, k, val);
	free(k);
}

/*
 * The codes, parameters and mask of factor fc named base.  -1 when one of
 * the names is taken.
 */
static int
add_factor_parts(struct st_file *f, const char *base,
    const struct wh_cfactor *fc, int pruned)
{
	size_t n = (size_t)(fc->rows * fc->cols), k;
	unsigned char *d;
	int64_t shape[2];
	char *name;
	int r = 0;

	if (fc->qtype == WH_Q_INT) {
		const struct wh_qtensor *q = &fc->q;

		name = xasprintf("%s.q", base);
		if (q->bits <= 4) {
			d = xcalloc(n / 2 + 1, 1);
			for (k = 0; k < n; k++)
				d[k / 2] |= (unsigned char)((q->q[k] & 0xf) <<
				    (k % 2 ? 4 : 0));
			shape[0] = (int64_t)((n + 1) / 2);
			r |= st_add(f, name, "U8", shape, 1, d, (n + 1) / 2);
			meta_int(f, name, ".bits", 4);
		} else {
			d = xmalloc(n ? n : 1);
			for (k = 0; k < n; k++)
				d[k] = (unsigned char)(q->q[k] & 0xff);
			shape[0] = fc->rows;
			shape[1] = fc->cols;
			r |= st_add(f, name, q->symmetric ? "I8" : "U8", shape,
			    2, d, n);
		}
		free(name);
		shape[0] = q->nscale;
		name = xasprintf("%s.scale", base);
		r |= add_f32(f, name, q->scale, (size_t)q->nscale, NULL, shape,
		    1);
		free(name);
		if (!q->symmetric) {
			d = xmalloc((size_t)q->nscale * 4);
			for (k = 0; k < (size_t)q->nscale; k++)
				put_u32(d + 4 * k, (uint32_t)q->zero[k]);
			name = xasprintf("%s.zero_point", base);
			r |= st_add(f, name, "I32", shape, 1, d,
			    (size_t)q->nscale * 4);
			free(name);
		}
	}
	if (pruned) {
		d = xcalloc(n / 8 + 1, 1);
		for (k = 0; k < n; k++)
			if (fc->w[k] != 0)
				d[k / 8] |= (unsigned char)(1u << (k % 8));
		shape[0] = (int64_t)((n + 7) / 8);
		name = xasprintf("%s.mask", base);
		r |= st_add(f, name, "U8", shape, 1, d, (n + 7) / 8);
		free(name);
	}
	return r;
}

/* The values of factor fc, in the order perm (NULL: its own). */
static int
add_factor_values(struct st_file *f, const char *name,
    const struct wh_cfactor *fc, const size_t *perm, const int64_t *shape,
    int ndim)
{
	size_t n = (size_t)(fc->rows * fc->cols);

	if (fc->qtype == WH_Q_FP16 || fc->qtype == WH_Q_BF16)
		return add_u16(f, name, fc->qtype == WH_Q_FP16 ? "F16" : "BF16",
		    fc->h, n, perm, shape, ndim);
	return add_f32(f, name, fc->w, n, perm, shape, ndim);
}

static int
factor_bits(const struct wh_cfactor *fc)
{
	if (fc->qtype == WH_Q_INT)
		return fc->q.bits;
	if (fc->qtype == WH_Q_FP16 || fc->qtype == WH_Q_BF16)
		return 16;
	return 32;
}

/*
 * The layer's weight (out, in) in its node's ONNX layout: shape, and for
 * MatMul the transposing order (NULL otherwise; the caller frees it).
 */
static size_t *
node_layout(const struct wh_layer *l, int64_t *shape, int *ndim)
{
	size_t *perm = NULL;
	int64_t i, j;

	if (l->kind == WH_LAYER_CONV) {
		shape[0] = l->out;
		shape[1] = l->cin;
		shape[2] = l->kh;
		shape[3] = l->kw;
		*ndim = 4;
	} else if (l->kind == WH_LAYER_GEMM) {
		shape[0] = l->out;
		shape[1] = l->in;
		*ndim = 2;
	} else {
		/* (in, out): element (j, i) is w[i][j] */
		shape[0] = l->in;
		shape[1] = l->out;
		*ndim = 2;
		perm = xmalloc((size_t)(l->in * l->out) * sizeof *perm);
		for (j = 0; j < l->in; j++)
			for (i = 0; i < l->out; i++)
				perm[j * l->out + i] = (size_t)(i * l->in + j);
	}
	return perm;
}

/* A float initializer as the model stores it; 0 when absent or taken. */
static int
add_init(struct st_file *f, const struct wh_model *m, const char *name)
{
	const struct wh_tensor *t = wh_model_init(m, name);

	if (t == NULL || t->dtype != WH_FLOAT || st_has(f, name))
		return 0;
	add_f32(f, name, t->f, t->count, NULL, t->dims, t->ndim);
	return 1;
}

/* Bytes of k elements of sb bits (4: two per byte, low nibble first). */
static size_t
elem_bytes(size_t k, int sb)
{
	return sb == 4 ? (k + 1) / 2 : k * (size_t)(sb / 8);
}

/* Packs the k patterns v of sb bits, little-endian. */
static unsigned char *
pack(const uint32_t *v, size_t k, int sb)
{
	size_t len = elem_bytes(k, sb), j;
	unsigned char *d = xcalloc(len ? len : 1, 1);
	int b;

	for (j = 0; j < k; j++) {
		if (sb == 4) {
			d[j / 2] |= (unsigned char)((v[j] & 0xf) << (j % 2 ? 4 : 0));
			continue;
		}
		for (b = 0; b < sb / 8; b++)
			d[j * (size_t)(sb / 8) + (size_t)b] =
			    (unsigned char)(v[j] >> (8 * b));
	}
	return d;
}

/*
 * The compact form of the n patterns v (sb bits each) of tensor vname in
 * encoding e: dense with its shape, or only the elements that are not the
 * fill (1-D) with base.mask (U8, bit k % 8 of byte k / 8 set where element
 * k is stored) or base.indices (I16 or I32 linear indices), and metadata
 * "vname.shape" (the dense dims, comma separated) and "vname.encoding".
 */
static int
add_values(struct st_file *f, const char *vname, const char *base,
    const char *dtype, const uint32_t *v, size_t n, const int64_t *shape,
    int ndim, const struct wh_enc *e)
{
	int sb = e->stored_bits, r = 0, d, ib;
	uint32_t *kept;
	unsigned char *bits;
	size_t k, j, len;
	int64_t d1;
	char *name, dims[200];

	if (sb == 4)
		meta_int(f, vname, ".bits", 4);
	if (e->enc == WH_ENC_DENSE) {
		if (sb == 4) {
			d1 = (int64_t)elem_bytes(n, 4);
			return st_add(f, vname, dtype, &d1, 1, pack(v, n, sb),
			    elem_bytes(n, sb));
		}
		return st_add(f, vname, dtype, shape, ndim, pack(v, n, sb),
		    elem_bytes(n, sb));
	}
	kept = xmalloc((n ? n : 1) * sizeof *kept);
	for (k = j = 0; k < n; k++)
		if (v[k] != e->fill)
			kept[j++] = v[k];
	d1 = (int64_t)(sb == 4 ? elem_bytes(j, 4) : j);
	r |= st_add(f, vname, dtype, &d1, 1, pack(kept, j, sb),
	    elem_bytes(j, sb));
	if (e->enc == WH_ENC_BITMASK) {
		len = (n + 7) / 8;
		bits = xcalloc(len ? len : 1, 1);
		for (k = 0; k < n; k++)
			if (v[k] != e->fill)
				bits[k / 8] |= (unsigned char)(1u << (k % 8));
		d1 = (int64_t)len;
		name = xasprintf("%s.mask", base);
		r |= st_add(f, name, "U8", &d1, 1, bits, len);
	} else {
		ib = e->enc == WH_ENC_INDEX16 ? 2 : 4;
		bits = xmalloc(j ? j * (size_t)ib : 1);
		for (k = j = 0; k < n; k++)
			if (v[k] != e->fill) {
				for (d = 0; d < ib; d++)
					bits[j * (size_t)ib + (size_t)d] =
					    (unsigned char)(k >> (8 * d));
				j++;
			}
		d1 = (int64_t)j;
		name = xasprintf("%s.indices", base);
		r |= st_add(f, name, ib == 2 ? "I16" : "I32", &d1, 1, bits,
		    j * (size_t)ib);
	}
	free(name);
	free(kept);
	len = 0;
	dims[0] = '\0';
	for (d = 0; d < ndim; d++)
		len += (size_t)snprintf(dims + len, sizeof dims - len, "%s%lld",
		    d ? "," : "", (long long)shape[d]);
	name = xasprintf("%s.shape", vname);
	meta_set(f, name, dims);
	free(name);
	name = xasprintf("%s.encoding", vname);
	meta_set(f, name, wh_enc_name(e->enc));
	free(name);
	return r;
}

/*
 * Factor fc named base in the compact form: integer codes as base.q
 * (rows, cols) with base.scale and, asymmetric, base.zero_point; other
 * values as base itself, in the order perm (NULL: their own) and shape;
 * each in the encoding the ONNX export uses.
 */
static int
add_factor_compact(struct st_file *f, const char *base,
    const struct wh_cfactor *fc, const size_t *perm, const int64_t *shape,
    int ndim)
{
	size_t n = (size_t)(fc->rows * fc->cols), k;
	uint32_t *v = xmalloc((n ? n : 1) * sizeof *v);
	int64_t qs[2];
	struct wh_enc e;
	const char *dt;
	char *name;
	int r = 0;

	wh_factor_enc(fc, ndim, 1, 1, &e);
	if (fc->qtype == WH_Q_INT) {
		const struct wh_qtensor *q = &fc->q;
		unsigned char *d;

		for (k = 0; k < n; k++)
			v[k] = (uint32_t)(int32_t)q->q[k];
		qs[0] = fc->rows;
		qs[1] = fc->cols;
		name = xasprintf("%s.q", base);
		r |= add_values(f, name, base, e.stored_bits == 4 ||
		    !q->symmetric ? "U8" : "I8", v, n, qs, 2, &e);
		free(name);
		qs[0] = q->nscale;
		name = xasprintf("%s.scale", base);
		r |= add_f32(f, name, q->scale, (size_t)q->nscale, NULL, qs, 1);
		free(name);
		if (!q->symmetric) {
			d = xmalloc((size_t)q->nscale * 4);
			for (k = 0; k < (size_t)q->nscale; k++)
				put_u32(d + 4 * k, (uint32_t)q->zero[k]);
			name = xasprintf("%s.zero_point", base);
			r |= st_add(f, name, "I32", qs, 1, d,
			    (size_t)q->nscale * 4);
			free(name);
		}
	} else {
		for (k = 0; k < n; k++) {
			size_t s = perm ? perm[k] : k;

			if (fc->qtype == WH_Q_FP16 || fc->qtype == WH_Q_BF16)
				v[k] = fc->h[s];
			else
				memcpy(&v[k], &fc->w[s], sizeof v[k]);
		}
		dt = fc->qtype == WH_Q_FP16 ? "F16" : fc->qtype == WH_Q_BF16 ?
		    "BF16" : "F32";
		r |= add_values(f, base, base, dt, v, n, shape, ndim, &e);
	}
	free(v);
	return r;
}

static int
add_layer(struct st_file *f, const struct wh_model *m,
    const struct wh_layer *l, const struct wh_compressed *c, int float_copy,
    char **err)
{
	const char *W = l->weight_base;
	int64_t shape[4];
	size_t *perm;
	char *name;
	int ndim, k, r = 0;
	int pruned;

	if (c == NULL && l->rank > 0) {
		/* stored factored: both initializers as they are, or the
		 * factors as a low-rank layer's when computed */
		if (add_init(f, m, l->weight_name) +
		    add_init(f, m, l->weight_a_name) == 2)
			return 0;
		for (k = 0; k < 2; k++) {
			int64_t rows = l->spatial ? l->out * l->kh : l->out;
			int64_t cols = l->spatial ? l->cin * l->kw : l->in;

			name = xasprintf("%s.%s", W, k ? "vt" : "u");
			shape[0] = k ? l->rank : rows;
			shape[1] = k ? cols : l->rank;
			if (!st_has(f, name))
				add_f32(f, name, k ? l->vt : l->u,
				    (size_t)(shape[0] * shape[1]), NULL, shape,
				    2);
			free(name);
		}
		return 0;
	}
	if (c == NULL) {
		if (add_init(f, m, W) || st_has(f, W))
			return 0;
		/* a weight computed from constants: the node's layout */
		perm = node_layout(l, shape, &ndim);
		add_f32(f, W, l->w, (size_t)(l->out * l->in), perm, shape, ndim);
		free(perm);
		return 0;
	}
	pruned = c->cfg.prune_mode != WH_PRUNE_NONE || c->cfg.nm_n != 0;
	if (!float_copy && c->rank == 0) {
		perm = node_layout(l, shape, &ndim);
		r |= add_factor_compact(f, W, &c->f[0], perm, shape, ndim);
		free(perm);
	} else if (!float_copy) {
		for (k = 0; k < 2; k++) {
			name = xasprintf("%s.%s", W, k ? "vt" : "u");
			shape[0] = c->f[k].rows;
			shape[1] = c->f[k].cols;
			r |= add_factor_compact(f, name, &c->f[k], NULL, shape,
			    2);
			free(name);
		}
	} else if (c->rank == 0) {
		perm = node_layout(l, shape, &ndim);
		r |= add_factor_values(f, W, &c->f[0], perm, shape, ndim);
		free(perm);
		r |= add_factor_parts(f, W, &c->f[0], pruned);
	} else {
		for (k = 0; k < 2; k++) {
			name = xasprintf("%s.%s", W, k ? "vt" : "u");
			shape[0] = c->f[k].rows;
			shape[1] = c->f[k].cols;
			r |= add_factor_values(f, name, &c->f[k], NULL, shape, 2);
			r |= add_factor_parts(f, name, &c->f[k], pruned);
			free(name);
		}
	}
	if (r != 0)
		return wh_error(err, "%s: layer %s: the names of its "
		    "compressed weight %s are taken (is the weight shared "
		    "with another layer?)", m->path, WH_QNAME(l->name), WH_QNAME(W));
	meta_int(f, W, ".rank", c->rank);
	meta_int(f, W, ".bits", factor_bits(&c->f[0]));
	return 0;
}

static int
in_list(char **list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Marks in wnode the nodes that compute a layer's weight: those with an
 * output that is a weight or an input of such a node.
 */
static void
weight_nodes(const struct wh_model *m, const struct wh_graph *g, char *wnode)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int li, k, again = 1;

	for (li = 0; li < wh_graph_nlayers(g); li++) {
		const struct wh_layer *l = wh_graph_layer(g, li);

		if (n + 2 > cap) {
			cap = cap ? 2 * cap : 16;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[n++] = (char *)l->weight_name;
		/* a factored layer's first factor is its weight too */
		if (l->weight_a_name != NULL)
			names[n++] = (char *)l->weight_a_name;
	}
	while (again) {
		again = 0;
		for (i = 0; i < m->nnodes; i++) {
			const struct wh_node *nd = &m->nodes[i];

			if (wnode[i])
				continue;
			for (k = 0; k < nd->noutputs; k++)
				if (in_list(names, n, nd->outputs[k]))
					break;
			if (k == nd->noutputs)
				continue;
			wnode[i] = again = 1;
			for (k = 0; k < nd->ninputs; k++) {
				if (n == cap) {
					cap = cap ? 2 * cap : 16;
					names = xreallocarray(names, cap,
					    sizeof *names);
				}
				names[n++] = nd->inputs[k];
			}
		}
	}
	free(names);
}

/* name is a layer's weight, which add_layer wrote in its own form. */
static int
is_weight(const struct wh_graph *g, const char *name)
{
	int li;

	for (li = 0; li < wh_graph_nlayers(g); li++) {
		const struct wh_layer *l = wh_graph_layer(g, li);

		if (strcmp(l->weight_name, name) == 0 ||
		    (l->weight_a_name != NULL &&
		    strcmp(l->weight_a_name, name) == 0))
			return 1;
	}
	return 0;
}

static void
st_release(struct st_file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->t[i].name);
		free(f->t[i].data);
	}
	free(f->t);
	cJSON_Delete(f->meta);
}

int
wh_export_safetensors(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_compressed *const *results, const char *path, char **err)
{
	return wh_export_safetensors_opts(m, g, results, NULL, path, err);
}

int
wh_export_safetensors_opts(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_compressed *const *results,
    const struct wh_export_opts *xo, const char *path, char **err)
{
	struct st_file f;
	cJSON *root, *o, *a;
	char *json = NULL, *wnode;
	unsigned char *buf;
	size_t i, hl, pad, total, off, k;
	int nl = wh_graph_nlayers(g), li, j, r = -1;

	memset(&f, 0, sizeof f);
	f.meta = cJSON_CreateObject();
	meta_set(&f, "format", "whittle-1");
	for (li = 0; li < nl; li++) {
		const struct wh_layer *l = wh_graph_layer(g, li);

		if (add_layer(&f, m, l, results ? results[li] : NULL,
		    xo != NULL && xo->float_copy, err) != 0)
			goto out;
		if (l->bias_name != NULL && !add_init(&f, m, l->bias_name) &&
		    !st_has(&f, l->bias_name) && l->bias != NULL) {
			int64_t d1 = l->out;

			add_f32(&f, l->bias_name, l->bias, (size_t)l->out, NULL,
			    &d1, 1);
		}
	}
	/* the rest of the parameters: float initializers nodes read */
	wnode = xcalloc(m->nnodes ? m->nnodes : 1, 1);
	weight_nodes(m, g, wnode);
	for (i = 0; i < m->nnodes; i++)
		for (j = 0; j < m->nodes[i].ninputs && !wnode[i]; j++)
			if (!is_weight(g, m->nodes[i].inputs[j]))
				add_init(&f, m, m->nodes[i].inputs[j]);
	free(wnode);

	root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "__metadata__", f.meta);
	f.meta = NULL;
	for (i = off = 0; i < f.n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "dtype", f.t[i].dtype);
		a = cJSON_AddArrayToObject(o, "shape");
		for (j = 0; j < f.t[i].ndim; j++)
			cJSON_AddItemToArray(a,
			    cJSON_CreateNumber((double)f.t[i].shape[j]));
		a = cJSON_AddArrayToObject(o, "data_offsets");
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)off));
		off += f.t[i].bytes;
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)off));
		cJSON_AddItemToObject(root, f.t[i].name, o);
	}
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (json == NULL) {
		wh_error(err, "%s: cannot format the safetensors header", path);
		goto out;
	}
	hl = strlen(json);
	pad = (8 - hl % 8) % 8;
	total = 8 + hl + pad + off;
	buf = xmalloc(total);
	for (k = 0; k < 8; k++)
		buf[k] = (unsigned char)((uint64_t)(hl + pad) >> (8 * k));
	memcpy(buf + 8, json, hl);
	memset(buf + 8 + hl, ' ', pad);
	for (i = 0, off = 8 + hl + pad; i < f.n; i++) {
		if (f.t[i].bytes)
			memcpy(buf + off, f.t[i].data, f.t[i].bytes);
		off += f.t[i].bytes;
	}
	r = wh_write_atomic(path, buf, total, err);
	free(buf);
out:
	cJSON_free(json);
	st_release(&f);
	return r;
}
