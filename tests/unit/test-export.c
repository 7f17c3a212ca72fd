/* test-export.c - compressed models written as ONNX load back into whittle
 * with exactly the predictions of the compressed state; safetensors hold
 * the codes that dequantize to the evaluated weights; sparse initializers
 * load, and bad ones fail cleanly */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "whittle/compress.h"
#include "whittle/data.h"
#include "whittle/eval.h"
#include "whittle/export.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/state.h"
#include "whittle/util.h"
#include "fixtures.h"
#include "onnx.pb-c.h"

/* Samples compared per plan. */
#define NCMP 2000

static char tmpdir[400];

struct setup {
	const char *name;
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dataset *d;
};

static const struct wh_eval_opts eval_opts = { 0, 2, 0 };

/* ---- plans --------------------------------------------------------------- */

enum plan {
	P_PRUNE50, P_PRUNE90, P_INT8_TENSOR, P_INT4_CHANNEL, P_UINT8_ASYM,
	P_LOWRANK, P_SPATIAL, P_FP16, P_BF16, P_ACT8, P_COMBINED, P_SPARSE_CODES,
	P_NM, P_ASYM_SPARSE, P_LOWRANK_SPARSE, NPLANS
};

static const struct {
	const char *name;
	int smaller;		/* the file must shrink */
	int int4;		/* opset 21, IR 10 */
} plans[NPLANS] = {
	{ "pruned-50", 1, 0 }, { "pruned-90", 1, 0 },
	{ "int8-tensor", 1, 0 }, { "int4-channel", 1, 1 },
	{ "uint8-asym", 1, 0 }, { "lowrank-8", 1, 0 },
	{ "spatial", 0, 0 }, { "fp16", 1, 0 }, { "bf16", 1, 0 },
	{ "act8", 0, 0 }, { "combined", 1, 1 }, { "sparse-codes", 1, 1 },
	{ "nm-2-4", 1, 1 }, { "asym-sparse", 1, 1 }, { "lowrank-sparse", 1, 0 },
};

static int
can_spatial(const struct wh_layer *l)
{
	return l->kind == WH_LAYER_CONV && l->group == 1 && l->kh > 1 &&
	    wh_lowrank_max_rank(l, 1) >= 2;
}

static void
set_rank(struct wh_layer_cfg *c, const struct wh_layer *l, int rank,
    int spatial)
{
	int max = wh_lowrank_max_rank(l, spatial);

	if (max < 2)
		return;
	c->lr_mode = WH_LR_RANK;
	c->rank = rank < max ? rank : max - 1;
	c->spatial = spatial;
}

static void
set_int(struct wh_layer_cfg *c, int bits, int symmetric, int per_channel)
{
	c->qtype = WH_Q_INT;
	c->bits = bits;
	c->symmetric = symmetric;
	c->per_channel = per_channel;
}

static void
set_prune(struct wh_layer_cfg *c, float sparsity)
{
	c->prune_mode = WH_PRUNE_SPARSITY;
	c->sparsity = sparsity;
}

/* Layer i's settings under plan p. */
static void
plan_cfg(int p, int i, const struct wh_layer *l, struct wh_layer_cfg *c)
{
	wh_layer_cfg_init(c);
	switch (p) {
	case P_PRUNE50:
		set_prune(c, 0.5f);
		break;
	case P_PRUNE90:
		set_prune(c, 0.9f);
		break;
	case P_INT8_TENSOR:
		set_int(c, 8, 1, 0);
		break;
	case P_INT4_CHANNEL:
		set_int(c, 4, 1, 1);
		break;
	case P_UINT8_ASYM:
		set_int(c, 8, 0, i % 2);
		break;
	case P_LOWRANK:
		set_rank(c, l, 8, 0);
		break;
	case P_SPATIAL:
		if (can_spatial(l))
			set_rank(c, l, 8, 1);
		break;
	case P_FP16:
		c->qtype = WH_Q_FP16;
		break;
	case P_BF16:
		c->qtype = WH_Q_BF16;
		break;
	case P_ACT8:
		c->act_bits = i % 2 ? 8 : 0;
		break;
	case P_COMBINED:
		switch (i % 4) {
		case 0:
			set_int(c, 8, 1, 1);
			c->act_bits = 8;
			break;
		case 1:
			set_rank(c, l, 8, can_spatial(l));
			set_prune(c, 0.3f);
			set_int(c, 4, 0, 1);
			break;
		case 2:
			set_rank(c, l, 16, 0);
			set_prune(c, 0.5f);
			set_int(c, 8, 1, 1);
			c->act_bits = 8;
			c->act_calib = WH_ACT_PERCENTILE;
			break;
		default:
			set_prune(c, 0.5f);
			c->qtype = WH_Q_FP16;
			break;
		}
		break;
	case P_SPARSE_CODES:
		set_prune(c, 0.9f);
		if (i % 4 == 0)
			set_int(c, 4, 1, 1);
		else if (i % 4 == 1)
			set_int(c, 8, 1, 0);
		else
			c->qtype = i % 4 == 2 ? WH_Q_FP16 : WH_Q_BF16;
		break;
	case P_NM:
		c->nm_n = 2;
		c->nm_m = 4;
		if (i % 2)
			set_int(c, 4, 1, 1);
		break;
	case P_ASYM_SPARSE:
		set_prune(c, 0.7f);
		set_int(c, i % 2 ? 4 : 8, 0, i % 2);
		break;
	case P_LOWRANK_SPARSE:
		set_rank(c, l, 8, 0);
		set_prune(c, 0.5f);
		if (i % 2)
			c->qtype = WH_Q_BF16;
		break;
	}
}

/* ---- helpers ------------------------------------------------------------- */

static int
setup(struct setup *s, const char *name, const char *images,
    const char *labels)
{
	char *path = fx_model(name), *err = NULL;

	memset(s, 0, sizeof *s);
	s->name = name;
	s->m = wh_model_load(path, &err);
	free(path);
	if (s->m == NULL || (s->g = wh_graph_new(s->m, &err)) == NULL ||
	    (s->d = wh_data_load(images, labels, 10, &err)) == NULL) {
		tap_diag("%s: %s", name, err);
		free(err);
		return -1;
	}
	return 0;
}

static void
teardown(struct setup *s)
{
	wh_data_free(s->d);
	wh_graph_free(s->g);
	wh_model_free(s->m);
}

static long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int
count_op(const struct wh_model *m, const char *op)
{
	size_t i;
	int n = 0;

	for (i = 0; i < m->nnodes; i++)
		n += strcmp(m->nodes[i].op, op) == 0;
	return n;
}

/* Dense and sparse initializers of an ONNX data type in the file. */
static int
count_init_type(const struct wh_model *m, int dt)
{
	const Onnx__GraphProto *g = ((const Onnx__ModelProto *)m->proto)->graph;
	size_t i;
	int n = 0;

	for (i = 0; i < g->n_initializer; i++)
		n += g->initializer[i]->data_type == dt;
	for (i = 0; i < g->n_sparse_initializer; i++)
		n += g->sparse_initializer[i]->values->data_type == dt;
	return n;
}

/* name is the output of an Identity that reads an expanded bitmask. */
static int
expanded(const struct wh_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nnodes; i++)
		if (strcmp(m->nodes[i].op, "Identity") == 0 &&
		    strcmp(m->nodes[i].outputs[0], name) == 0 &&
		    strstr(m->nodes[i].inputs[0], "/expanded") != NULL &&
		    wh_model_init(m, m->nodes[i].inputs[0]) != NULL)
			return 1;
	return 0;
}

/* Nodes of an operator in the file as written (before the loader turns
 * ExpandBitmask into Identity). */
static int
count_proto_op(const struct wh_model *m, const char *op)
{
	const Onnx__GraphProto *g = ((const Onnx__ModelProto *)m->proto)->graph;
	size_t i;
	int n = 0;

	for (i = 0; i < g->n_node; i++)
		n += strcmp(g->node[i]->op_type, op) == 0;
	return n;
}

/* Bytes of data of a tensor in the file: its elements at their widths. */
static size_t
tensor_data(const Onnx__TensorProto *t)
{
	size_t n = 1, k;
	int bits;

	for (k = 0; k < t->n_dims; k++)
		n *= (size_t)t->dims[k];
	switch (t->data_type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT4:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT4:
		return (n + 1) / 2;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
		bits = 8;
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
		bits = 16;
		break;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
		bits = 64;
		break;
	default:
		bits = 32;
	}
	return n * (size_t)(bits / 8);
}

/* The data of every initializer of the file, dense and sparse. */
static size_t
file_data(const struct wh_model *m)
{
	const Onnx__GraphProto *g = ((const Onnx__ModelProto *)m->proto)->graph;
	size_t i, n = 0;

	for (i = 0; i < g->n_initializer; i++)
		n += tensor_data(g->initializer[i]);
	for (i = 0; i < g->n_sparse_initializer; i++)
		n += tensor_data(g->sparse_initializer[i]->values) +
		    tensor_data(g->sparse_initializer[i]->indices);
	return n;
}

static int
nsparse(const struct wh_model *m)
{
	return (int)((const Onnx__ModelProto *)m->proto)->graph->
	    n_sparse_initializer;
}

/* Predictions of the file at path on the first n samples of s->d. */
static int
eval_file(struct setup *s, const char *path, size_t n, int32_t *preds,
    struct wh_model **mout, int *nlayers)
{
	struct wh_model *m;
	struct wh_graph *g = NULL;
	struct wh_eval *e = NULL;
	struct wh_metrics met;
	char *err = NULL;
	int r = -1;

	*mout = NULL;
	if ((m = wh_model_load(path, &err)) == NULL ||
	    (g = wh_graph_new(m, &err)) == NULL ||
	    (e = wh_eval_new(g, s->d, &m->pre, 1, &eval_opts, &err)) == NULL ||
	    wh_eval_run(e, n, NULL, NULL, &met, preds, &err) != 0) {
		tap_diag("%s: %s", path, err);
		free(err);
	} else {
		wh_metrics_release(&met);
		*nlayers = wh_graph_nlayers(g);
		r = 0;
	}
	wh_eval_free(e);
	wh_graph_free(g);
	if (r == 0)
		*mout = m;
	else
		wh_model_free(m);
	return r;
}

/* ---- safetensors --------------------------------------------------------- */

struct st {
	unsigned char *buf;
	size_t len, data;	/* file size, start of the data */
	cJSON *h;
};

static int
st_load(struct st *st, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint64_t hl = 0;
	int k;

	memset(st, 0, sizeof *st);
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	st->len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	st->buf = malloc(st->len + 1);
	if (fread(st->buf, 1, st->len, f) != st->len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if (st->len < 8)
		return -1;
	for (k = 0; k < 8; k++)
		hl |= (uint64_t)st->buf[k] << (8 * k);
	if (hl > st->len - 8)
		return -1;
	st->data = 8 + (size_t)hl;
	st->h = cJSON_ParseWithLength((const char *)st->buf + 8, (size_t)hl);
	return st->h != NULL ? 0 : -1;
}

static void
st_free(struct st *st)
{
	cJSON_Delete(st->h);
	free(st->buf);
}

/* The tensor's bytes, dtype and element count, or NULL when it is absent
 * or its entry is malformed or outside the file. */
static const unsigned char *
st_get(const struct st *st, const char *name, const char **dtype,
    size_t *count, size_t *bytes)
{
	cJSON *t = cJSON_GetObjectItemCaseSensitive(st->h, name), *x, *o;
	size_t b, e;

	if (t == NULL)
		return NULL;
	*dtype = cJSON_GetStringValue(cJSON_GetObjectItem(t, "dtype"));
	*count = 1;
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(t, "shape"))
		*count *= (size_t)x->valuedouble;
	o = cJSON_GetObjectItem(t, "data_offsets");
	if (*dtype == NULL || cJSON_GetArraySize(o) != 2)
		return NULL;
	b = (size_t)cJSON_GetArrayItem(o, 0)->valuedouble;
	e = (size_t)cJSON_GetArrayItem(o, 1)->valuedouble;
	if (e < b || e > st->len - st->data)
		return NULL;
	*bytes = e - b;
	return st->buf + st->data + b;
}

static const char *
st_meta(const struct st *st, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(st->h, "__metadata__"), key));
}

static size_t
dtype_size(const char *dt)
{
	if (strcmp(dt, "F32") == 0 || strcmp(dt, "I32") == 0)
		return 4;
	if (strcmp(dt, "F16") == 0 || strcmp(dt, "BF16") == 0 ||
	    strcmp(dt, "I16") == 0)
		return 2;
	if (strcmp(dt, "I8") == 0 || strcmp(dt, "U8") == 0)
		return 1;
	return 0;
}

static float
get_f32(const unsigned char *p)
{
	uint32_t u = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

static int
cmp_pair(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The structure: header alignment, dtypes, shapes against sizes, and the
 * data offsets tiling the data exactly. */
static int
st_check_layout(const struct st *st, const char *what)
{
	cJSON *t;
	size_t n = 0, k, *pairs, end = 0;
	int good = 1, metaok = 1;

	good &= st->data % 8 == 0;
	pairs = malloc(2 * sizeof *pairs * (size_t)(cJSON_GetArraySize(st->h) + 1));
	cJSON_ArrayForEach(t, st->h) {
		cJSON *x, *off;
		size_t cnt = 1, sz;
		const char *dt;

		if (strcmp(t->string, "__metadata__") == 0) {
			cJSON_ArrayForEach(x, t)
				metaok &= cJSON_IsString(x);
			continue;
		}
		dt = cJSON_GetStringValue(cJSON_GetObjectItem(t, "dtype"));
		sz = dt ? dtype_size(dt) : 0;
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(t, "shape"))
			cnt *= (size_t)x->valuedouble;
		off = cJSON_GetObjectItem(t, "data_offsets");
		if (sz == 0 || cJSON_GetArraySize(off) != 2) {
			good = 0;
			continue;
		}
		pairs[2 * n] = (size_t)cJSON_GetArrayItem(off, 0)->valuedouble;
		pairs[2 * n + 1] = (size_t)cJSON_GetArrayItem(off, 1)->valuedouble;
		good &= pairs[2 * n + 1] - pairs[2 * n] == cnt * sz;
		n++;
	}
	qsort(pairs, n, 2 * sizeof *pairs, cmp_pair);
	for (k = 0; k < n; k++) {
		good &= pairs[2 * k] == end;
		end = pairs[2 * k + 1];
	}
	good &= st->data + end == st->len;
	free(pairs);
	ok(good, "%s: safetensors header aligned, dtypes and shapes match the "
	    "data, offsets tile the data", what);
	ok(metaok && st_meta(st, "format") &&
	    strcmp(st_meta(st, "format"), "whittle-1") == 0,
	    "%s: safetensors metadata is strings, format whittle-1", what);
	return good;
}

/* Factor f under base: codes dequantize to f->w exactly, mask matches. */
static int
st_check_factor(const struct st *st, const char *base,
    const struct wh_cfactor *f, int pruned)
{
	char name[600];
	const char *dt, *bits;
	const unsigned char *q, *sc, *zp = NULL;
	size_t n = (size_t)(f->rows * f->cols), cnt, bytes, qbytes, k;
	size_t ns = (size_t)f->q.nscale;
	int good = 1;

	if (f->qtype == WH_Q_INT) {
		snprintf(name, sizeof name, "%s.q.bits", base);
		bits = st_meta(st, name);
		snprintf(name, sizeof name, "%s.q", base);
		q = st_get(st, name, &dt, &cnt, &qbytes);
		if (q == NULL || qbytes != (bits ? (n + 1) / 2 : n) ||
		    strcmp(dt, bits || !f->q.symmetric ? "U8" : "I8") != 0)
			return 0;
		snprintf(name, sizeof name, "%s.scale", base);
		sc = st_get(st, name, &dt, &cnt, &bytes);
		if (sc == NULL || bytes != 4 * ns || strcmp(dt, "F32") != 0)
			return 0;
		if (!f->q.symmetric) {
			snprintf(name, sizeof name, "%s.zero_point", base);
			zp = st_get(st, name, &dt, &cnt, &bytes);
			if (zp == NULL || bytes != 4 * ns || strcmp(dt, "I32") != 0)
				return 0;
		}
		good &= (f->q.bits <= 4) == (bits != NULL) &&
		    (bits == NULL || strcmp(bits, "4") == 0);
		for (k = 0; k < n && good; k++) {
			size_t row = f->q.nscale > 1 ? k / (size_t)f->cols : 0;
			int v, z = 0;
			float w;

			if (zp) {
				float zf = get_f32(zp + 4 * row);
				int32_t zi;

				memcpy(&zi, &zf, sizeof zi);
				z = zi;
			}
			if (bits != NULL) {
				v = (q[k / 2] >> (k % 2 ? 4 : 0)) & 0xf;
				if (f->q.symmetric && v >= 8)
					v -= 16;
			} else
				v = f->q.symmetric ? (int8_t)q[k] : q[k];
			w = (float)(v - z) * get_f32(sc + 4 * row);
			good &= memcmp(&w, &f->w[k], sizeof w) == 0;
		}
	}
	snprintf(name, sizeof name, "%s.mask", base);
	q = st_get(st, name, &dt, &cnt, &bytes);
	if (pruned) {
		good &= q != NULL && bytes == (n + 7) / 8;
		for (k = 0; q != NULL && k < n && good; k++)
			good &= !!(q[k / 8] >> (k % 8) & 1) == (f->w[k] != 0);
	} else
		good &= q == NULL;
	return good;
}

static void
check_safetensors_copy(struct setup *s, struct wh_state *st,
    const char *plan, const char *path)
{
	static const struct wh_export_opts xo = { 0, 1 };
	const struct wh_compressed *const *res = wh_state_results(st);
	char what[128], name[512], *err = NULL;
	struct st f;
	int i, names = 1, deq = 1, unc = 1;

	snprintf(what, sizeof what, "%s %s --float-copy", s->name, plan);
	if (!ok(wh_export_safetensors_opts(s->m, s->g, res, &xo, path,
	    &err) == 0, "%s: safetensors export", what)) {
		tap_diag("%s", err);
		free(err);
		return;
	}
	if (!ok(st_load(&f, path) == 0, "%s: safetensors header parses",
	    what)) {
		st_free(&f);
		return;
	}
	st_check_layout(&f, what);
	for (i = 0; i < wh_graph_nlayers(s->g); i++) {
		const struct wh_layer *l = wh_graph_layer(s->g, i);
		const struct wh_compressed *c = res[i];
		const char *W = l->weight_name, *dt;
		size_t cnt, bytes;
		int pruned, k;

		if (l->bias_name != NULL)
			names &= st_get(&f, l->bias_name, &dt, &cnt, &bytes) !=
			    NULL && strcmp(dt, "F32") == 0 && cnt == (size_t)l->out;
		if (c == NULL) {
			const struct wh_tensor *t = wh_model_init(s->m, W);
			const unsigned char *p = st_get(&f, W, &dt, &cnt, &bytes);

			unc &= p != NULL && t != NULL && cnt == t->count &&
			    strcmp(dt, "F32") == 0 && memcmp(p, t->f,
			    4 * cnt) == 0;
			continue;
		}
		pruned = c->cfg.prune_mode != WH_PRUNE_NONE || c->cfg.nm_n != 0;
		snprintf(name, sizeof name, "%s.rank", W);
		names &= st_meta(&f, name) != NULL &&
		    atoi(st_meta(&f, name)) == c->rank;
		snprintf(name, sizeof name, "%s.bits", W);
		names &= st_meta(&f, name) != NULL;
		for (k = 0; k < c->nfactors; k++) {
			const struct wh_cfactor *fc = &c->f[k];
			const char *want = fc->qtype == WH_Q_FP16 ? "F16" :
			    fc->qtype == WH_Q_BF16 ? "BF16" : "F32";

			if (c->nfactors == 1)
				snprintf(name, sizeof name, "%s", W);
			else
				snprintf(name, sizeof name, "%s.%s", W,
				    k ? "vt" : "u");
			names &= st_get(&f, name, &dt, &cnt, &bytes) != NULL &&
			    strcmp(dt, want) == 0 &&
			    cnt == (size_t)(fc->rows * fc->cols);
			if (fc->qtype == WH_Q_INT && fc->q.symmetric) {
				char qn[600];

				snprintf(qn, sizeof qn, "%s.zero_point", name);
				names &= st_get(&f, qn, &dt, &cnt, &bytes) == NULL;
			}
			deq &= st_check_factor(&f, name, fc, pruned);
		}
	}
	ok(names, "%s: safetensors names, dtypes, shapes and metadata per layer",
	    what);
	ok(deq, "%s: safetensors codes dequantize to the evaluated weights "
	    "exactly, masks mark the non-zeros", what);
	ok(unc, "%s: uncompressed weights stored as in the model", what);
	st_free(&f);
}

/*
 * The dense patterns of tensor vname of n elements in the compact form:
 * as they are, or the stored ones spread by base.mask or base.indices over
 * fill.  NULL when malformed.
 */
static uint32_t *
st_dense(const struct st *st, const char *vname, const char *base, size_t n,
    uint32_t fill, int *sparse)
{
	char name[600];
	const char *dt, *bits, *idt;
	const unsigned char *v, *mk, *ix;
	size_t cnt, bytes, mbytes, ibytes, es, k, j = 0, nv;
	uint32_t *out, x;
	int four, b;

	snprintf(name, sizeof name, "%s.bits", vname);
	bits = st_meta(st, name);
	four = bits != NULL && strcmp(bits, "4") == 0;
	if ((v = st_get(st, vname, &dt, &cnt, &bytes)) == NULL)
		return NULL;
	es = dtype_size(dt);
	nv = four ? 2 * bytes : bytes / es;
	snprintf(name, sizeof name, "%s.mask", base);
	mk = st_get(st, name, &dt, &cnt, &mbytes);
	snprintf(name, sizeof name, "%s.indices", base);
	ix = st_get(st, name, &idt, &cnt, &ibytes);
	*sparse = mk != NULL || ix != NULL;
	out = calloc(n ? n : 1, sizeof *out);
	for (k = 0; k < n; k++)
		out[k] = fill;
	for (k = 0; k < n; k++) {
		size_t pos = k;

		if (mk != NULL) {
			if (mbytes != (n + 7) / 8)
				goto bad;
			if (!(mk[k / 8] >> (k % 8) & 1))
				continue;
		} else if (ix != NULL) {
			size_t isz = dtype_size(idt);

			if (j >= ibytes / isz)
				break;
			pos = 0;
			for (b = 0; b < (int)isz; b++)
				pos |= (size_t)ix[j * isz + (size_t)b] << (8 * b);
			if (pos >= n)
				goto bad;
		}
		if (j >= nv)
			goto bad;
		if (four)
			x = (v[j / 2] >> (j % 2 ? 4 : 0)) & 0xf;
		else
			for (x = 0, b = 0; b < (int)es; b++)
				x |= (uint32_t)v[j * es + (size_t)b] << (8 * b);
		out[pos] = x;
		j++;
	}
	/* every stored element used (a 4-bit tensor may end in a pad nibble) */
	if (j != nv && !(four && j + 1 == nv))
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

/* The compact form of factor fc under base (weights in the order perm,
 * NULL: their own) holds exactly what whittle evaluates. */
static int
st_check_compact(const struct st *st, const char *base,
    const struct wh_cfactor *fc, const size_t *perm, int *sparse)
{
	size_t n = (size_t)(fc->rows * fc->cols), k, cnt, bytes;
	char name[600];
	const char *dt;
	const unsigned char *sc, *zp = NULL;
	uint32_t *d, fill = 0;
	int good = 1;

	if (fc->qtype != WH_Q_INT) {
		if ((d = st_dense(st, base, base, n, 0, sparse)) == NULL)
			return 0;
		for (k = 0; k < n; k++) {
			size_t s = perm ? perm[k] : k;
			uint32_t want;

			if (fc->qtype == WH_Q_NONE)
				memcpy(&want, &fc->w[s], sizeof want);
			else
				want = fc->h[s];
			good &= d[k] == want;
		}
		free(d);
		return good;
	}
	/* codes: no float copy beside them */
	good &= st_get(st, base, &dt, &cnt, &bytes) == NULL;
	snprintf(name, sizeof name, "%s.scale", base);
	sc = st_get(st, name, &dt, &cnt, &bytes);
	if (sc == NULL || bytes != 4 * (size_t)fc->q.nscale)
		return 0;
	if (!fc->q.symmetric) {
		snprintf(name, sizeof name, "%s.zero_point", base);
		zp = st_get(st, name, &dt, &cnt, &bytes);
		if (zp == NULL || bytes != 4 * (size_t)fc->q.nscale)
			return 0;
		if (fc->q.nscale == 1)
			fill = (uint32_t)(zp[0] | zp[1] << 8 | zp[2] << 16 |
			    (uint32_t)zp[3] << 24);
	}
	snprintf(name, sizeof name, "%s.q", base);
	if ((d = st_dense(st, name, base, n, fill, sparse)) == NULL)
		return 0;
	for (k = 0; k < n && good; k++) {
		size_t row = fc->q.nscale > 1 ? k / (size_t)fc->cols : 0;
		int v = (int)d[k], z = 0;
		float w;

		if (zp != NULL)
			z = (int)(zp[4 * row] | zp[4 * row + 1] << 8);
		if (fc->q.symmetric)
			v = fc->q.bits <= 4 ? (v >= 8 ? v - 16 : v) :
			    (int8_t)(uint8_t)v;
		w = (float)(v - z) * get_f32(sc + 4 * row);
		good &= memcmp(&w, &fc->w[k], sizeof w) == 0;
	}
	free(d);
	return good;
}

/*
 * The default safetensors form: per factor the codes with their scales, or
 * the values, in the ONNX export's encoding, and no float copy; the data
 * is the size whittle reports, but for the activation constants.
 */
static void
check_safetensors(struct setup *s, struct wh_state *st, const char *plan,
    const char *path)
{
	const struct wh_compressed *const *res = wh_state_results(st);
	char what[128], name[512], *err = NULL;
	struct wh_totals t;
	struct st f;
	int i, good = 1, nsp = 0, nact = 0;
	long data;

	snprintf(what, sizeof what, "%s %s", s->name, plan);
	if (!ok(wh_export_safetensors(s->m, s->g, res, path, &err) == 0,
	    "%s: safetensors export", what)) {
		tap_diag("%s", err);
		free(err);
		return;
	}
	if (!ok(st_load(&f, path) == 0, "%s: safetensors header parses",
	    what)) {
		st_free(&f);
		return;
	}
	st_check_layout(&f, what);
	for (i = 0; i < wh_graph_nlayers(s->g); i++) {
		const struct wh_layer *l = wh_graph_layer(s->g, i);
		const struct wh_compressed *c = res[i];
		size_t *perm = NULL;
		int64_t a, b;
		int k, sp;

		if (c == NULL)
			continue;
		nact += c->lw.act_bits != 0;
		if (c->rank == 0 && l->kind == WH_LAYER_MATMUL) {
			/* (in, out): element (b, a) is w[a][b] */
			perm = malloc((size_t)(l->in * l->out) * sizeof *perm);
			for (b = 0; b < l->in; b++)
				for (a = 0; a < l->out; a++)
					perm[b * l->out + a] = (size_t)(a * l->in + b);
		}
		for (k = 0; k < c->nfactors; k++) {
			if (c->nfactors == 1)
				snprintf(name, sizeof name, "%s", l->weight_name);
			else
				snprintf(name, sizeof name, "%s.%s",
				    l->weight_name, k ? "vt" : "u");
			good &= st_check_compact(&f, name, &c->f[k],
			    c->f[k].qtype == WH_Q_INT ? NULL : perm, &sp);
			nsp += sp;
		}
		free(perm);
	}
	ok(good, "%s: safetensors codes and values, spread by their masks and "
	    "indices, are the evaluated weights exactly; no float copy of codes",
	    what);
	wh_state_totals(st, &t);
	data = (long)(f.len - f.data);
	tap_diag("%s: safetensors data %ld bytes, whittle reports %llu, %d "
	    "sparse tensors", what, data, (unsigned long long)t.bytes, nsp);
	ok(data <= (long)t.bytes + 16 * nact && data + 64 * (long)
	    wh_graph_nlayers(s->g) >= (long)t.bytes, "%s: the safetensors data "
	    "(%ld bytes) is the size whittle reports (%llu)", what, data,
	    (unsigned long long)t.bytes);
	st_free(&f);
}

/* ---- ONNX per plan ------------------------------------------------------- */

static struct wh_state *
state_for(struct setup *s, int p)
{
	struct wh_state *st;
	struct wh_layer_cfg c;
	char *err = NULL;
	int i;

	st = wh_state_new(s->g, s->d, &s->m->pre, 1, &eval_opts, &err);
	if (st == NULL) {
		tap_diag("%s", err);
		free(err);
		return NULL;
	}
	for (i = 0; i < wh_graph_nlayers(s->g); i++) {
		plan_cfg(p, i, wh_graph_layer(s->g, i), &c);
		if (wh_state_set(st, i, &c, &err) != 0) {
			tap_diag("%s layer %d: %s", s->name, i, err);
			free(err);
			wh_state_free(st);
			return NULL;
		}
	}
	return st;
}

static void
test_plan(struct setup *s, int p)
{
	const struct wh_compressed *const *res;
	struct wh_state *st;
	struct wh_metrics met;
	struct wh_model *m2 = NULL;
	int32_t *pa = calloc(NCMP, sizeof *pa), *pb = calloc(NCMP, sizeof *pb);
	char path[512], what[128], *err = NULL;
	const char *plan = plans[p].name;
	int i, nl2 = 0, nl = wh_graph_nlayers(s->g), want_layers = nl, nact = 0;
	int nint = 0, nhalf = 0, gone = 1, nbm, nbig;
	struct wh_totals tot;
	size_t k, diff = 0;
	long size, slack;

	snprintf(what, sizeof what, "%s %s", s->name, plan);
	snprintf(path, sizeof path, "%s/%s-%s.onnx", tmpdir, s->name, plan);
	if ((st = state_for(s, p)) == NULL) {
		ok(0, "%s: settings apply", what);
		goto out;
	}
	res = wh_state_results(st);
	if (wh_state_run(st, NCMP, NULL, NULL, &met, pa, &err) != 0) {
		ok(0, "%s: in-memory run: %s", what, err);
		free(err);
		goto out;
	}
	wh_metrics_release(&met);
	if (!ok(wh_export_onnx(s->m, s->g, res, path, &err) == 0,
	    "%s: export", what)) {
		tap_diag("%s", err);
		free(err);
		goto out;
	}
	size = file_size(path);
	tap_diag("%s: %ld bytes, the model %zu", what, size, s->m->file_bytes);
	if (plans[p].smaller)
		ok(size > 0 && (size_t)size < s->m->file_bytes,
		    "%s: file smaller than the original (%ld < %zu)", what,
		    size, s->m->file_bytes);
	else
		ok(size > 0 && (size_t)size < s->m->file_bytes + 2048,
		    "%s: file about the original's size (%ld, %zu)", what,
		    size, s->m->file_bytes);
	if (!ok(eval_file(s, path, NCMP, pb, &m2, &nl2) == 0,
	    "%s: export loads and compiles in whittle", what))
		goto out;
	for (k = 0; k < NCMP; k++)
		diff += pa[k] != pb[k];
	ok(diff == 0, "%s: predictions on %d samples identical to the "
	    "compressed state's (%zu differ)", what, NCMP, diff);

	for (i = 0; i < nl; i++) {
		const struct wh_compressed *c = res[i];
		const struct wh_layer *l = wh_graph_layer(s->g, i);

		if (c == NULL)
			continue;
		nact += c->lw.act_bits != 0;
		for (int f = 0; f < c->nfactors; f++) {
			nint += c->f[f].qtype == WH_Q_INT;
			nhalf += c->f[f].qtype == WH_Q_FP16 ||
			    c->f[f].qtype == WH_Q_BF16;
		}
		/* the original float weight is not in the file any more,
		 * unless only the activations are quantized */
		if (c->rank > 0 || c->f[0].qtype != WH_Q_NONE)
			gone &= wh_model_init(m2, l->weight_name) == NULL;
		else if (p == P_ACT8) {
			const struct wh_tensor *t = wh_model_init(m2,
			    l->weight_name);

			gone &= t != NULL && memcmp(t->f, l->w,
			    (size_t)(l->out * l->in) * sizeof *t->f) == 0;
		}
	}
	ok(nl2 == want_layers, "%s: %d layers after export, as before (%d), "
	    "low-rank ones too", what, nl2, nl);
	{
		/* each layer under its name, low-rank ones at their rank */
		struct wh_graph *g2 = wh_graph_new(m2, &err);
		int same = g2 != NULL && wh_graph_nlayers(g2) == nl;

		for (i = 0; same && i < nl; i++) {
			const struct wh_layer *a = wh_graph_layer(s->g, i);
			const struct wh_layer *b = wh_graph_layer(g2, i);
			const struct wh_compressed *c = res[i];
			int r = c != NULL ? c->rank : 0;

			same = strcmp(a->name, b->name) == 0 &&
			    b->rank == r && a->out == b->out &&
			    a->in == b->in && a->kh == b->kh &&
			    (r == 0 || b->spatial == c->spatial);
		}
		ok(same, "%s: the export's layers are the model's, under their "
		    "names, low-rank ones at their rank", what);
		wh_graph_free(g2);
		free(err);
		err = NULL;
	}
	ok(gone, "%s: replaced float weights are gone from the file", what);
	ok(count_op(m2, "QuantizeLinear") == 0 &&
	    count_op(m2, "DequantizeLinear") == 0, "%s: no QuantizeLinear or "
	    "DequantizeLinear, which runtimes fuse into integer kernels", what);
	ok(count_op(m2, "Div") - count_op(s->m, "Div") == nact &&
	    count_op(m2, "Clip") - count_op(s->m, "Clip") == nact,
	    "%s: a Div and a Clip for each of %d layers with activation "
	    "quantization", what, nact);
	ok(count_op(m2, "Mul") - count_op(s->m, "Mul") == nint + nact &&
	    count_op(m2, "Cast") - count_op(s->m, "Cast") == nint + nhalf,
	    "%s: a Cast and a Mul per integer factor, a Cast per 16-bit one, "
	    "a Mul per quantized activation", what);
	if (p == P_INT8_TENSOR)
		ok(count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__INT8) ==
		    nl, "%s: int8 codes", what);
	if (p == P_UINT8_ASYM)
		ok(count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8) ==
		    nl && count_op(m2, "Sub") - count_op(s->m, "Sub") == nl,
		    "%s: uint8 codes, their zero points subtracted", what);
	if (p == P_INT4_CHANNEL)
		ok(count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__INT4) ==
		    nl, "%s: int4 codes", what);
	if (p == P_FP16)
		ok(count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16) ==
		    nl, "%s: float16 weights", what);
	if (p == P_BF16)
		ok(count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16) ==
		    nl, "%s: bfloat16 weights", what);
	nbm = count_proto_op(m2, "ExpandBitmask");
	for (i = nbig = 0; i < nl; i++)
		nbig += wh_graph_layer(s->g, i)->out *
		    wh_graph_layer(s->g, i)->in >= 1024;
	if (p == P_PRUNE90 || p == P_SPARSE_CODES)
		ok(nsparse(m2) + nbm >= nbig, "%s: the %d weights of 1024 and "
		    "more stored sparse (%d sparse initializers, %d bitmasks)",
		    what, nbig, nsparse(m2), nbm);
	if (p == P_PRUNE50 && strcmp(s->name, "fashion-cnn") == 0)
		ok(nbm == nbig, "%s: half-zero float "
		    "weights of 1024 and more stored as bitmasks (%d of %d), "
		    "smaller than int16 or int32 indices", what, nbm, nbig);
	if (plans[p].int4)
		ok(m2->opset == 21 && m2->ir_version >= 10, "%s: opset %lld, IR "
		    "%lld (21 and 10 for 4-bit codes)", what,
		    (long long)m2->opset, (long long)m2->ir_version);
	else
		ok(m2->opset == s->m->opset && m2->ir_version ==
		    (nbm && s->m->ir_version < 8 ? 8 : s->m->ir_version),
		    "%s: opset %lld kept, IR %lld (8 for the function that "
		    "expands bitmasks)", what, (long long)m2->opset,
		    (long long)m2->ir_version);
	/* the data the file gained or lost is what whittle counted, but for
	 * 16 bytes of constants per quantized activation (scale, bounds,
	 * rounding) */
	wh_state_totals(st, &tot);
	ok((long)file_data(m2) - (long)file_data(s->m) == (long)tot.bytes -
	    (long)tot.orig_bytes + 16 * nact, "%s: the data in the file changed "
	    "by %+ld bytes, whittle counts %+ld (and %d quantized activations)",
	    what, (long)file_data(m2) - (long)file_data(s->m),
	    (long)tot.bytes - (long)tot.orig_bytes, nact);
	slack = size / 20 > 6144 ? size / 20 : 6144;
	tap_diag("%s: whittle reports %llu bytes, the file has %ld (%+ld)",
	    what, (unsigned long long)tot.bytes, size, size - (long)tot.bytes);
	if (strncmp(s->name, "fashion-", 8) == 0)
		ok(size >= (long)tot.bytes && size - (long)tot.bytes <= slack,
		    "%s: the file (%ld bytes) is the size whittle reports "
		    "(%llu), within its framing (5%% or 6 KiB)", what, size,
		    (unsigned long long)tot.bytes);
	ok(wh_model_meta(m2, "whittle.compressed") != NULL &&
	    wh_model_meta(m2, "whittle.dataset") != NULL,
	    "%s: metadata kept, whittle.compressed added", what);

	snprintf(path, sizeof path, "%s/%s-%s.safetensors", tmpdir, s->name,
	    plan);
	check_safetensors(s, st, plan, path);
	snprintf(path, sizeof path, "%s/%s-%s-copy.safetensors", tmpdir,
	    s->name, plan);
	check_safetensors_copy(s, st, plan, path);
out:
	wh_model_free(m2);
	wh_state_free(st);
	free(pa);
	free(pb);
}

/* With qdq the integer weights are DequantizeLinear of their codes, with no
 * Cast and Mul chain, on the output axis (1 for MatMul's (K, N)), and the
 * file still computes the compressed state's predictions. */
static void
test_qdq(struct setup *s, int p)
{
	static const struct wh_export_opts xo = { 1 };
	const struct wh_compressed *const *res;
	struct wh_state *st;
	struct wh_metrics met;
	struct wh_model *m2 = NULL;
	int32_t *pa = calloc(NCMP, sizeof *pa), *pb = calloc(NCMP, sizeof *pb);
	char path[512], what[128], *err = NULL;
	int i, f, nl2 = 0, nl = wh_graph_nlayers(s->g), nact = 0, nint = 0;
	int nchan = 0, nhalf = 0, wdq = 0, axes = 0, zp = 0;
	size_t k, diff = 0;

	snprintf(what, sizeof what, "%s %s qdq", s->name, plans[p].name);
	snprintf(path, sizeof path, "%s/%s-%s-qdq.onnx", tmpdir, s->name,
	    plans[p].name);
	if ((st = state_for(s, p)) == NULL) {
		ok(0, "%s: settings apply", what);
		goto out;
	}
	res = wh_state_results(st);
	if (wh_state_run(st, NCMP, NULL, NULL, &met, pa, &err) != 0) {
		ok(0, "%s: in-memory run: %s", what, err);
		free(err);
		goto out;
	}
	wh_metrics_release(&met);
	if (!ok(wh_export_onnx_opts(s->m, s->g, res, &xo, path, &err) == 0,
	    "%s: export", what)) {
		tap_diag("%s", err);
		free(err);
		goto out;
	}
	if (!ok(eval_file(s, path, NCMP, pb, &m2, &nl2) == 0,
	    "%s: export loads and compiles in whittle", what))
		goto out;
	for (k = 0; k < NCMP; k++)
		diff += pa[k] != pb[k];
	ok(diff == 0, "%s: predictions on %d samples identical to the "
	    "compressed state's (%zu differ)", what, NCMP, diff);

	for (i = 0; i < nl; i++) {
		const struct wh_compressed *c = res[i];

		if (c == NULL)
			continue;
		nact += c->lw.act_bits != 0;
		for (f = 0; f < c->nfactors; f++) {
			nint += c->f[f].qtype == WH_Q_INT;
			nchan += c->f[f].qtype == WH_Q_INT &&
			    c->f[f].q.nscale > 1;
			nhalf += c->f[f].qtype == WH_Q_FP16 ||
			    c->f[f].qtype == WH_Q_BF16;
		}
	}
	/* weight DequantizeLinear: its codes are an initializer */
	for (k = 0; k < m2->nnodes; k++) {
		const struct wh_node *n = &m2->nodes[k];
		const struct wh_tensor *sc;

		if (strcmp(n->op, "DequantizeLinear") != 0 || n->ninputs != 3 ||
		    (wh_model_init(m2, n->inputs[0]) == NULL &&
		    !expanded(m2, n->inputs[0])))
			continue;
		wdq++;
		sc = wh_model_init(m2, n->inputs[1]);
		zp += wh_model_init(m2, n->inputs[2]) != NULL;
		if (sc != NULL && sc->count > 1)
			axes += wh_node_attr_int(n, "axis", -1) ==
			    (strcmp(s->name, "mlp-matmul") == 0 ? 1 : 0);
	}
	ok(nint > 0 && wdq == nint && count_op(m2, "DequantizeLinear") ==
	    nint + nact, "%s: a DequantizeLinear per integer factor (%d of "
	    "%d), one per quantized activation", what, wdq, nint);
	ok(count_op(m2, "QuantizeLinear") == nact, "%s: a QuantizeLinear per "
	    "quantized activation (%d)", what, nact);
	ok(zp == nint && axes == nchan, "%s: zero points given, per-channel "
	    "scales on the output axis (%d of %d)", what, axes, nchan);
	ok(count_op(m2, "Mul") == count_op(s->m, "Mul") &&
	    count_op(m2, "Sub") == count_op(s->m, "Sub") &&
	    count_op(m2, "Cast") - count_op(s->m, "Cast") == nhalf,
	    "%s: no Cast, Sub and Mul chain on the codes", what);
	if (p == P_INT8_TENSOR)
		ok(count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__INT8) ==
		    2 * nl, "%s: int8 codes and zero points", what);
	if (p == P_INT4_CHANNEL) {
		int nbm = count_proto_op(m2, "ExpandBitmask");

		ok(count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__INT4) ==
		    2 * nl - nbm && m2->opset == 21, "%s: int4 codes and zero "
		    "points at opset 21 (zero points of int8 for the %d codes "
		    "a bitmask expands to int8)", what, nbm);
	}
out:
	wh_model_free(m2);
	wh_state_free(st);
	free(pa);
	free(pb);
}

/* An export compressed again: the old codes and nodes go, nothing dangles,
 * and the weights keep their names. */
static void
test_reexport(struct setup *s, const char *base)
{
	struct setup s2 = *s;
	struct wh_state *st = NULL;
	struct wh_metrics met;
	struct wh_model *m3 = NULL;
	int32_t *pa = calloc(NCMP, sizeof *pa), *pb = calloc(NCMP, sizeof *pb);
	char p1[512], p2[512], what[128], name[512], *err = NULL;
	size_t k, diff = 0;
	int i, nl3 = 0, named = 1, nf = 0;

	snprintf(what, sizeof what, "%s %s exported again as fp16", s->name,
	    base);
	snprintf(p1, sizeof p1, "%s/%s-%s.onnx", tmpdir, s->name, base);
	snprintf(p2, sizeof p2, "%s/%s-%s-again.onnx", tmpdir, s->name, base);
	s2.m = wh_model_load(p1, &err);
	s2.g = s2.m ? wh_graph_new(s2.m, &err) : NULL;
	if (!ok(s2.g != NULL, "%s: the first export reloads", what)) {
		tap_diag("%s", err);
		free(err);
		goto out;
	}
	if ((st = state_for(&s2, P_FP16)) == NULL ||
	    wh_state_run(st, NCMP, NULL, NULL, &met, pa, &err) != 0) {
		ok(0, "%s: runs", what);
		goto out;
	}
	wh_metrics_release(&met);
	if (!ok(wh_export_onnx(s2.m, s2.g, wh_state_results(st), p2,
	    &err) == 0, "%s: exports", what)) {
		tap_diag("%s", err);
		free(err);
		goto out;
	}
	if (ok(eval_file(&s2, p2, NCMP, pb, &m3, &nl3) == 0, "%s: loads",
	    what)) {
		for (k = 0; k < NCMP; k++)
			diff += pa[k] != pb[k];
		ok(diff == 0, "%s: predicts as its state (%zu differ)", what,
		    diff);
		/* the activations' Div, Clip, Add, Sub, Mul stay; a
		 * low-rank layer of the first export keeps its two factors,
		 * now fp16 */
		int nact = count_op(s2.m, "Div") - count_op(s->m, "Div");

		for (i = 0; i < wh_graph_nlayers(s2.g); i++)
			nf += 1 + (wh_graph_layer(s2.g, i)->rank > 0);

		ok(count_op(m3, "Mul") == count_op(s->m, "Mul") + nact &&
		    count_op(m3, "Sub") == count_op(s->m, "Sub") + nact &&
		    count_op(m3, "Cast") == count_op(s->m, "Cast") + nf &&
		    count_init_type(m3, ONNX__TENSOR_PROTO__DATA_TYPE__INT8) +
		    count_init_type(m3, ONNX__TENSOR_PROTO__DATA_TYPE__INT4) +
		    count_init_type(m3, ONNX__TENSOR_PROTO__DATA_TYPE__UINT4) == 0,
		    "%s: the earlier codes, their nodes and float weights are "
		    "gone", what);
		for (i = 0; i < wh_graph_nlayers(s2.g); i++) {
			const struct wh_layer *l = wh_graph_layer(s2.g, i);
			static const char *const sfx[] = { "", ".u", ".vt" };
			int k;

			for (k = l->rank > 0; k < (l->rank > 0 ? 3 : 1); k++) {
				snprintf(name, sizeof name, "%.480s%s.fp16",
				    l->weight_base, sfx[k]);
				named &= wh_model_init(m3, name) != NULL ||
				    expanded(m3, name);
			}
		}
		ok(nl3 == wh_graph_nlayers(s2.g) && named, "%s: each weight W "
		    "is stored as W.fp16, a low-rank one's as W.u.fp16 and "
		    "W.vt.fp16", what);
	}
	snprintf(p2, sizeof p2, "%s/%s-%s-again.safetensors", tmpdir, s->name,
	    base);
	if (ok(wh_export_safetensors(s2.m, s2.g, wh_state_results(st), p2,
	    &err) == 0, "%s: safetensors export", what)) {
		struct st f;
		cJSON *t;
		int stale = 0, want = 1 + 4 * (count_op(s2.m, "Div") -
		    count_op(s->m, "Div"));

		/* the metadata, weights, biases and the activations' scale,
		 * bounds and rounding constant */
		for (i = 0; i < wh_graph_nlayers(s2.g); i++)
			want += 1 + (wh_graph_layer(s2.g, i)->rank > 0) +
			    (wh_graph_layer(s2.g, i)->bias_name != NULL);
		if (st_load(&f, p2) == 0) {
			cJSON_ArrayForEach(t, f.h) {
				size_t len = strlen(t->string);

				stale += len > 6 && (strcmp(t->string + len - 6,
				    ".scale") == 0 || strcmp(t->string + len - 2,
				    ".q") == 0);
				/* a sparse weight's positions */
				want += len > 5 && (strcmp(t->string + len - 5,
				    ".mask") == 0 || (len > 8 && strcmp(t->string +
				    len - 8, ".indices") == 0));
			}
			ok(stale == 0 && cJSON_GetArraySize(f.h) == want,
			    "%s: safetensors holds the weights, biases and "
			    "activation constants (%d entries), not the earlier "
			    "export's codes and weight scales", what, want);
		} else
			ok(0, "%s: safetensors parses", what);
		st_free(&f);
	} else {
		tap_diag("%s", err);
		free(err);
	}
out:
	wh_model_free(m3);
	wh_state_free(st);
	wh_graph_free(s2.g);
	wh_model_free(s2.m);
	free(pa);
	free(pb);
}

/* Below opset 13 nothing is raised: 4-bit codes go as 8-bit ones, and what
 * needs opset 13 (bfloat16 Cast) fails with a message naming the layer. */
static void
test_old_opset(struct setup *s)
{
	Onnx__ModelProto *mp = s->m->proto;
	struct wh_state *st;
	struct wh_layer_cfg c;
	struct wh_model *m2 = NULL;
	int64_t saved = mp->opset_import[0]->version, saved_opset = s->m->opset;
	char path[512], *err = NULL;
	int i, r, nl2;

	snprintf(path, sizeof path, "%s/old-opset.onnx", tmpdir);
	mp->opset_import[0]->version = 11;
	s->m->opset = 11;
	st = wh_state_new(s->g, NULL, &s->m->pre, 1, &eval_opts, &err);
	for (i = 0; i < wh_graph_nlayers(s->g); i++) {
		wh_layer_cfg_init(&c);
		set_int(&c, 4, i % 2, 1);
		wh_state_set(st, i, &c, NULL);
	}
	r = wh_export_onnx(s->m, s->g, wh_state_results(st), path, &err);
	ok(r == 0, "opset 11: per-channel 4-bit codes export");
	free(err);
	err = NULL;
	if (r == 0 && eval_file(s, path, 16, (int32_t[16]){ 0 }, &m2,
	    &nl2) == 0) {
		ok(m2->opset == 11 && m2->ir_version == s->m->ir_version &&
		    count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__INT8) +
		    count_init_type(m2, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8) ==
		    nl2 && count_init_type(m2,
		    ONNX__TENSOR_PROTO__DATA_TYPE__INT4) == 0,
		    "opset 11: kept, the 4-bit codes written as 8-bit ones");
		wh_model_free(m2);
	} else
		ok(0, "opset 11: the export loads");
	{
		static const struct wh_export_opts xo = { 1 };

		r = wh_export_onnx_opts(s->m, s->g, wh_state_results(st), &xo,
		    path, &err);
		ok(r != 0 && err != NULL && strstr(err, "opset 13") != NULL &&
		    strstr(err, "DequantizeLinear") != NULL,
		    "opset 11: per-channel DequantizeLinear of weights "
		    "refused: %s", err ? err : "");
		free(err);
		err = NULL;
	}
	wh_layer_cfg_init(&c);
	c.qtype = WH_Q_BF16;
	wh_state_set(st, 1, &c, NULL);
	r = wh_export_onnx(s->m, s->g, wh_state_results(st), path, &err);
	ok(r != 0 && err != NULL && strstr(err, "opset 13") != NULL &&
	    strstr(err, wh_graph_layer(s->g, 1)->name) != NULL,
	    "opset 11: bfloat16 weights refused: %s", err ? err : "");
	free(err);
	wh_state_free(st);
	mp->opset_import[0]->version = saved;
	s->m->opset = saved_opset;
}

/* ---- sparse initializers in the loader ----------------------------------- */

/*
 * A model y = x + c with x: (1, 4) and c a sparse initializer of dims (4)
 * (or (2, 2) when coords), values vals and indices idx (nidx of them).
 */
static unsigned char *
sparse_model(const float *vals, size_t nvals, const int64_t *idx,
    size_t nidx, int coords, size_t *len)
{
	Onnx__ModelProto mp;
	Onnx__GraphProto gp;
	Onnx__OperatorSetIdProto os, *osp = &os;
	Onnx__NodeProto node, *np = &node;
	Onnx__ValueInfoProto vin, vout, *vinp = &vin, *voutp = &vout;
	Onnx__TypeProto tin, tout;
	Onnx__TypeProto__Tensor ttin, ttout;
	Onnx__TensorShapeProto shin, shout;
	Onnx__TensorShapeProto__Dimension d0, d1, *dims[2] = { &d0, &d1 };
	Onnx__SparseTensorProto sp, *spp = &sp;
	Onnx__TensorProto tv, ti;
	char *inputs[2] = { "x", "c" }, *outputs[1] = { "y" };
	int64_t vdims[1], idims[2], cdims1[1] = { 4 }, cdims2[2] = { 2, 2 };
	unsigned char *buf;

	onnx__model_proto__init(&mp);
	onnx__graph_proto__init(&gp);
	onnx__operator_set_id_proto__init(&os);
	onnx__node_proto__init(&node);
	onnx__value_info_proto__init(&vin);
	onnx__value_info_proto__init(&vout);
	onnx__type_proto__init(&tin);
	onnx__type_proto__init(&tout);
	onnx__type_proto__tensor__init(&ttin);
	onnx__type_proto__tensor__init(&ttout);
	onnx__tensor_shape_proto__init(&shin);
	onnx__tensor_shape_proto__init(&shout);
	onnx__tensor_shape_proto__dimension__init(&d0);
	onnx__tensor_shape_proto__dimension__init(&d1);
	onnx__sparse_tensor_proto__init(&sp);
	onnx__tensor_proto__init(&tv);
	onnx__tensor_proto__init(&ti);

	mp.has_ir_version = 1;
	mp.ir_version = 7;
	os.has_version = 1;
	os.version = 13;
	mp.n_opset_import = 1;
	mp.opset_import = &osp;
	mp.graph = &gp;
	node.op_type = "Add";
	node.name = "add";
	node.n_input = 2;
	node.input = inputs;
	node.n_output = 1;
	node.output = outputs;
	gp.n_node = 1;
	gp.node = &np;
	d0.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
	d0.dim_value = 1;
	d1.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
	d1.dim_value = 4;
	shin.n_dim = shout.n_dim = 2;
	shin.dim = shout.dim = dims;
	ttin.has_elem_type = ttout.has_elem_type = 1;
	ttin.elem_type = ttout.elem_type = 1;
	ttin.shape = &shin;
	ttout.shape = &shout;
	tin.value_case = tout.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tin.tensor_type = &ttin;
	tout.tensor_type = &ttout;
	vin.name = "x";
	vin.type = &tin;
	vout.name = "y";
	vout.type = &tout;
	gp.n_input = 1;
	gp.input = &vinp;
	gp.n_output = 1;
	gp.output = &voutp;

	tv.name = "c";
	tv.has_data_type = 1;
	tv.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	vdims[0] = (int64_t)nvals;
	tv.n_dims = 1;
	tv.dims = vdims;
	tv.n_float_data = nvals;
	tv.float_data = (float *)vals;
	ti.has_data_type = 1;
	ti.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
	idims[0] = coords ? (int64_t)nidx / 2 : (int64_t)nidx;
	idims[1] = 2;
	ti.n_dims = coords ? 2 : 1;
	ti.dims = idims;
	ti.n_int64_data = nidx;
	ti.int64_data = (int64_t *)idx;
	sp.values = &tv;
	sp.indices = &ti;
	sp.n_dims = coords ? 2 : 1;
	sp.dims = coords ? cdims2 : cdims1;
	gp.n_sparse_initializer = 1;
	gp.sparse_initializer = &spp;

	*len = onnx__model_proto__get_packed_size(&mp);
	buf = malloc(*len);
	onnx__model_proto__pack(&mp, buf);
	return buf;
}

static void
test_sparse_loader(void)
{
	static const float v2[2] = { 1.5f, -2.0f };
	static const int64_t good[2] = { 1, 3 }, coords[4] = { 0, 1, 1, 1 };
	static const int64_t out[2] = { 1, 4 }, unsorted[2] = { 3, 1 };
	struct {
		const char *what;
		const int64_t *idx;
		size_t nvals, nidx;
		int coords;
		const char *msg;
	} bad[] = {
		{ "index out of range", out, 2, 2, 0, "out of range" },
		{ "more values than indices", good, 2, 1, 0, "2 values but" },
		{ "indices not ascending", unsorted, 2, 2, 0, "ascending" },
	};
	struct wh_model *m;
	const struct wh_tensor *t;
	unsigned char *buf;
	size_t len, i;
	char *err = NULL;

	buf = sparse_model(v2, 2, good, 2, 0, &len);
	m = wh_model_parse("sparse.onnx", buf, len, &err);
	free(buf);
	t = m ? wh_model_init(m, "c") : NULL;
	ok(t != NULL && t->count == 4 && t->f[0] == 0 && t->f[1] == 1.5f &&
	    t->f[2] == 0 && t->f[3] == -2.0f, "sparse initializer with "
	    "linear indices loads as a dense one");
	wh_model_free(m);
	free(err);
	err = NULL;

	buf = sparse_model(v2, 2, coords, 4, 1, &len);
	m = wh_model_parse("sparse.onnx", buf, len, &err);
	free(buf);
	t = m ? wh_model_init(m, "c") : NULL;
	ok(t != NULL && t->count == 4 && t->ndim == 2 && t->f[1] == 1.5f &&
	    t->f[3] == -2.0f && t->f[0] == 0 && t->f[2] == 0,
	    "sparse initializer with (nnz, rank) coordinates loads");
	wh_model_free(m);
	free(err);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		buf = sparse_model(v2, bad[i].nvals, bad[i].idx, bad[i].nidx,
		    bad[i].coords, &len);
		m = wh_model_parse("sparse.onnx", buf, len, &err);
		free(buf);
		ok(m == NULL && err != NULL && strstr(err, "sparse.onnx: "
		    "sparse initializer 'c'") != NULL && strstr(err,
		    bad[i].msg) != NULL, "%s fails naming it: %s", bad[i].what,
		    err ? err : "(loaded)");
		wh_model_free(m);
		free(err);
	}
}

/*
 * A file whose ExpandBitmask does not add up fails to load with one message
 * naming the file and the node: values one short, a mask of another type,
 * a mask that is not an initializer.
 */
static void
test_bitmask_bad(const char *path)
{
	static const char *const what[] = {
		"values one short", "mask of int8", "mask not an initializer"
	};
	static const char *const want[] = {
		"values for a mask of", "1-D uint8 mask", "not an initializer"
	};
	struct wh_model *m, *m2;
	Onnx__ModelProto *mp;
	Onnx__GraphProto *g;
	Onnx__NodeProto *bn = NULL;
	unsigned char *buf;
	size_t len, i, k;
	char *err = NULL, *keep;
	int c;

	if ((m = wh_model_load(path, &err)) == NULL) {
		ok(0, "%s loads: %s", path, err);
		free(err);
		return;
	}
	mp = (Onnx__ModelProto *)m->proto;
	g = mp->graph;
	for (i = 0; i < g->n_node && bn == NULL; i++)
		if (strcmp(g->node[i]->op_type, "ExpandBitmask") == 0)
			bn = g->node[i];
	if (!ok(bn != NULL, "the pruned export has an ExpandBitmask node")) {
		wh_model_free(m);
		return;
	}
	for (c = 0; c < 3; c++) {
		Onnx__TensorProto *t = NULL;

		for (k = 0; k < g->n_initializer; k++)
			if (strcmp(g->initializer[k]->name,
			    bn->input[c == 0 ? 1 : 0]) == 0)
				t = g->initializer[k];
		if (t == NULL)
			break;
		keep = bn->input[0];
		if (c == 0) {
			t->dims[0]--;
			t->raw_data.len = tensor_data(t);
		} else if (c == 1)
			t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
		else
			bn->input[0] = "x_missing";
		len = onnx__model_proto__get_packed_size(mp);
		buf = malloc(len);
		onnx__model_proto__pack(mp, buf);
		err = NULL;
		m2 = wh_model_parse("bitmask.onnx", buf, len, &err);
		ok(m2 == NULL && err != NULL && strstr(err, "bitmask.onnx: ") ==
		    err && strstr(err, "ExpandBitmask") != NULL && strstr(err,
		    want[c]) != NULL, "ExpandBitmask with %s fails naming it: %s",
		    what[c], err ? err : "(loaded)");
		wh_model_free(m2);
		free(err);
		free(buf);
		/* undo */
		if (c == 0) {
			t->dims[0]++;
			t->raw_data.len = tensor_data(t);
		} else if (c == 1)
			t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
		else
			bn->input[0] = keep;
	}
	wh_model_free(m);
}

/*
 * The rounding that exported activation quantization uses in place of a
 * Round operator: (y + 1.5 * 2^23) - 1.5 * 2^23 in float is rint(y), half
 * to even, for every y in the clipped range [-255, 255], ties included.
 */
static void
test_rint_magic(void)
{
	volatile float magic = 12582912.0f, y, r;
	int k, bad = 0;

	for (k = -255 * 64; k <= 255 * 64; k++) {
		y = (float)k / 64;
		r = (y + magic) - magic;
		bad += r != nearbyintf(y);
	}
	y = nextafterf(0.5f, 0);
	r = (y + magic) - magic;
	bad += r != 0;
	ok(bad == 0, "activation rounding by 1.5 * 2^23 is rint on [-255, 255] "
	    "(%d of %d differ)", bad, 2 * 255 * 64 + 2);
}

int
main(void)
{
	static const char *others[] = {
		"fashion-mlp", "resnet-bn", "mlp-matmul", "lenet-op17"
	};
	static const int other_plans[] = {
		P_INT4_CHANNEL, P_UINT8_ASYM, P_LOWRANK, P_PRUNE90, P_COMBINED
	};
	char *images = NULL, *labels = NULL, cmd[600];
	struct setup s;
	size_t i, j;
	int p;

	test_sparse_loader();
	test_rint_magic();
	if (!fx_have_fashion(&images, &labels)) {
		tap_skip("Fashion-MNIST is not installed (Debian's "
		    "dataset-fashion-mnist): exports not evaluated");
		return tap_done();
	}
	snprintf(tmpdir, sizeof tmpdir, "%.300s/whittle-test-export-XXXXXX",
	    getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "temporary directory");
		return tap_done();
	}
	if (setup(&s, "fashion-cnn", images, labels) == 0) {
		for (p = 0; p < NPLANS; p++)
			test_plan(&s, p);
		test_reexport(&s, "combined");
		test_reexport(&s, "pruned-90");
		snprintf(cmd, sizeof cmd, "%s/fashion-cnn-pruned-50.onnx",
		    tmpdir);
		test_bitmask_bad(cmd);
		test_old_opset(&s);
		test_qdq(&s, P_INT8_TENSOR);
		test_qdq(&s, P_INT4_CHANNEL);
		test_qdq(&s, P_UINT8_ASYM);
	} else
		ok(0, "fashion-cnn loads");
	teardown(&s);
	for (i = 0; i < sizeof others / sizeof others[0]; i++) {
		if (setup(&s, others[i], images, labels) != 0) {
			ok(0, "%s loads", others[i]);
			teardown(&s);
			continue;
		}
		for (j = 0; j < sizeof other_plans / sizeof other_plans[0]; j++)
			test_plan(&s, other_plans[j]);
		if (strcmp(others[i], "mlp-matmul") == 0) {
			test_qdq(&s, P_INT4_CHANNEL);
			test_qdq(&s, P_COMBINED);
		}
		teardown(&s);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (getenv("WHITTLE_KEEP_EXPORTS") == NULL && system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	free(images);
	free(labels);
	return tap_done();
}
