/* compress.c - layer settings, the per-layer pipeline and its caches, cost */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "whittle/stats.h"
#include "whittle/util.h"

/* ---- settings ------------------------------------------------------------ */

void
wh_layer_cfg_init(struct wh_layer_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->lr_mode = WH_LR_NONE;
	c->energy = 1;
	c->prune_mode = WH_PRUNE_NONE;
	c->channel_norm = 2;
	c->qtype = WH_Q_NONE;
	c->bits = 8;
	c->symmetric = 1;
	c->per_channel = 1;
	c->clip = WH_CLIP_MINMAX;
	c->act_bits = 0;
	c->act_calib = WH_ACT_CALIB_DEFAULT;
	c->act_percentile = WH_ACT_PERCENTILE_DEFAULT;
}

int
wh_layer_cfg_equal(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b)
{
	return a->lr_mode == b->lr_mode && a->rank == b->rank &&
	    a->energy == b->energy && a->spatial == b->spatial &&
	    a->prune_mode == b->prune_mode && a->threshold == b->threshold &&
	    a->sparsity == b->sparsity && a->channel_norm == b->channel_norm &&
	    a->nm_n == b->nm_n && a->nm_m == b->nm_m &&
	    a->qtype == b->qtype && a->bits == b->bits &&
	    a->symmetric == b->symmetric && a->per_channel == b->per_channel &&
	    a->clip == b->clip && a->act_bits == b->act_bits &&
	    a->act_calib == b->act_calib &&
	    a->act_percentile == b->act_percentile;
}

int
wh_layer_cfg_check(const struct wh_layer_cfg *c, const struct wh_layer *l,
    char **err)
{
	const char *name = l != NULL && l->name != NULL ? l->name : "?";
	int maxr;

#define BAD(...) do {							\
	char *msg_ = xasprintf(__VA_ARGS__);				\
	wh_error(err, "layer %s: %s", WH_QNAME(name), msg_);			\
	free(msg_);							\
	return -1;							\
} while (0)

	if (c->spatial != 0 && c->spatial != 1)
		BAD("spatial %d must be 0 or 1", c->spatial);
	if (c->spatial && l != NULL &&
	    (l->kind != WH_LAYER_CONV || l->group != 1))
		BAD("spatial 1 needs a Conv with group 1");

	switch (c->lr_mode) {
	case WH_LR_NONE:
		break;
	case WH_LR_RANK:
	case WH_LR_ENERGY:
		if (l != NULL && l->max_rank == 0)
			BAD("low-rank is not possible here (max_rank 0)");
		if (c->lr_mode == WH_LR_ENERGY) {
			if (!(c->energy > 0 && c->energy <= 1))
				BAD("energy %g is outside (0, 1]", (double)c->energy);
			break;
		}
		if (c->rank < 1)
			BAD("rank %d must be at least 1", c->rank);
		if (l != NULL) {
			maxr = wh_lowrank_max_rank(l, c->spatial);
			if (c->rank > maxr)
				BAD("rank %d exceeds the layer's maximum %d%s",
				    c->rank, maxr, c->spatial ? " (spatial)" : "");
		}
		break;
	default:
		BAD("low-rank mode %d is unknown", c->lr_mode);
	}

	switch (c->prune_mode) {
	case WH_PRUNE_NONE:
		break;
	case WH_PRUNE_THRESHOLD:
		if (!(c->threshold >= 0) || !isfinite(c->threshold))
			BAD("threshold %g must be finite and at least 0",
			    (double)c->threshold);
		break;
	case WH_PRUNE_CHANNEL:
		if (c->channel_norm != 1 && c->channel_norm != 2)
			BAD("channel_norm %d must be 1 or 2", c->channel_norm);
		/* FALLTHROUGH */
	case WH_PRUNE_SPARSITY:
		if (!(c->sparsity >= 0 && c->sparsity <= 1))
			BAD("sparsity %g is outside [0, 1]", (double)c->sparsity);
		break;
	default:
		BAD("pruning mode %d is unknown", c->prune_mode);
	}
	if ((c->nm_n != 0 || c->nm_m != 0) &&
	    !(c->nm_n > 0 && c->nm_n < c->nm_m && c->nm_m <= WH_NM_MAX))
		BAD("N:M %d:%d must have 0 < N < M <= %d", c->nm_n, c->nm_m,
		    WH_NM_MAX);

	switch (c->qtype) {
	case WH_Q_NONE:
	case WH_Q_FP16:
	case WH_Q_BF16:
		break;
	case WH_Q_INT:
		if (c->bits < 2 || c->bits > 8)
			BAD("bits %d is outside 2..8", c->bits);
		if (c->symmetric != 0 && c->symmetric != 1)
			BAD("symmetric %d must be 0 or 1", c->symmetric);
		if (c->per_channel != 0 && c->per_channel != 1)
			BAD("per_channel %d must be 0 or 1", c->per_channel);
		if (c->clip != WH_CLIP_MINMAX && c->clip != WH_CLIP_MSE)
			BAD("clip %d is unknown", c->clip);
		break;
	default:
		BAD("quantization type %d is unknown", c->qtype);
	}

	switch (c->act_bits) {
	case 0:
		break;
	case 8:
		if (c->act_calib == WH_ACT_MINMAX)
			break;
		if (c->act_calib != WH_ACT_PERCENTILE)
			BAD("act_calib %d is unknown", c->act_calib);
		if (!(c->act_percentile > 50 && c->act_percentile <= 100))
			BAD("act_percentile %g is outside (50, 100]",
			    (double)c->act_percentile);
		break;
	default:
		BAD("act_bits %d must be 0 or 8", c->act_bits);
	}
#undef BAD
	return 0;
}

/*
 * The settings as the pipeline applies them: fields no mode uses are
 * zeroed so that equal results have equal keys.  The rank of WH_LR_ENERGY
 * is filled in by the caller.
 */
static void
cfg_applied(const struct wh_layer_cfg *c, struct wh_layer_cfg *a)
{
	memset(a, 0, sizeof *a);
	a->lr_mode = c->lr_mode;
	if (c->lr_mode != WH_LR_NONE) {
		a->rank = c->rank;
		a->spatial = c->spatial;
	}
	a->prune_mode = c->prune_mode;
	if (c->prune_mode == WH_PRUNE_THRESHOLD)
		a->threshold = c->threshold;
	if (c->prune_mode == WH_PRUNE_SPARSITY || c->prune_mode == WH_PRUNE_CHANNEL)
		a->sparsity = c->sparsity;
	if (c->prune_mode == WH_PRUNE_CHANNEL)
		a->channel_norm = c->channel_norm;
	if (c->nm_n != 0) {
		a->nm_n = c->nm_n;
		a->nm_m = c->nm_m;
	}
	a->qtype = c->qtype;
	if (c->qtype == WH_Q_INT) {
		a->bits = c->bits;
		a->symmetric = c->symmetric;
		a->per_channel = c->per_channel;
		a->clip = c->clip;
	}
}

/* ---- results --------------------------------------------------------------- */

static void
cfactor_release(struct wh_cfactor *f)
{
	free(f->w);
	free(f->h);
	wh_qtensor_release(&f->q);
	memset(f, 0, sizeof *f);
}

void
wh_compressed_release(struct wh_compressed *c)
{
	int i;

	for (i = 0; i < 2; i++)
		cfactor_release(&c->f[i]);
	memset(c, 0, sizeof *c);
}

/* Points lw at the factors. */
static void
set_weights(struct wh_compressed *c)
{
	memset(&c->lw, 0, sizeof c->lw);
	c->lw.rank = c->rank;
	c->lw.spatial = c->spatial;
	if (c->nfactors == 2) {
		c->lw.u = c->f[0].w;
		c->lw.vt = c->f[1].w;
	} else
		c->lw.w = c->f[0].w;
}

void
wh_compressed_copy(struct wh_compressed *dst, const struct wh_compressed *src)
{
	int i;

	*dst = *src;
	for (i = 0; i < 2; i++) {
		const struct wh_cfactor *s = &src->f[i];
		struct wh_cfactor *d = &dst->f[i];
		size_t n = (size_t)s->rows * (size_t)s->cols;

		d->w = NULL;
		d->h = NULL;
		if (s->w != NULL) {
			d->w = xmalloc(n * sizeof *d->w);
			memcpy(d->w, s->w, n * sizeof *d->w);
		}
		if (s->h != NULL) {
			d->h = xmalloc(n * sizeof *d->h);
			memcpy(d->h, s->h, n * sizeof *d->h);
		}
		wh_qtensor_copy(&d->q, &s->q);
	}
	set_weights(dst);
}

/* ---- cost ------------------------------------------------------------------- */

const char *
wh_enc_name(int enc)
{
	switch (enc) {
	case WH_ENC_DENSE:
		return "dense";
	case WH_ENC_BITMASK:
		return "bitmask";
	case WH_ENC_INDEX16:
		return "index16";
	case WH_ENC_INDEX32:
		return "index32";
	}
	return "?";
}

/* Weight uses per sample: l->macs / (out * in). */
static uint64_t
uses_per_weight(const struct wh_layer *l)
{
	uint64_t n = (uint64_t)l->out * (uint64_t)l->in;

	return n ? l->macs / n : 0;
}

int
wh_code_bits(int bits, int int4)
{
	return int4 && bits <= 4 ? 4 : 8;
}

/* Bytes of k elements of b bits, packed. */
static uint64_t
packed_bytes(uint64_t k, int b)
{
	return (k * (uint64_t)b + 7) / 8;
}

void
wh_enc_choose(uint64_t n, uint64_t nnz, int stored_bits, int ndim,
    int index_ok, int bitmask_ok, struct wh_enc *e)
{
	uint64_t best, b, ib;

	memset(e, 0, sizeof *e);
	e->stored_bits = stored_bits;
	e->n = n;
	e->nnz = nnz = nnz < n ? nnz : n;
	e->enc = WH_ENC_DENSE;
	e->bytes = best = packed_bytes(n, stored_bits);
	if (nnz == n || n == 0)
		return;
	if (bitmask_ok) {
		b = (n + 7) / 8 + packed_bytes(nnz + 1, stored_bits) +
		    8 * (uint64_t)ndim;
		if (b + WH_ENC_FRAMING_BITMASK < best) {
			e->enc = WH_ENC_BITMASK;
			e->bytes = b;
			best = b + WH_ENC_FRAMING_BITMASK;
		}
	}
	if (index_ok && stored_bits >= 8) {
		ib = n <= 32768 ? 2 : 4;
		b = nnz * (ib + (uint64_t)stored_bits / 8);
		if (b + WH_ENC_FRAMING_INDEX < best) {
			e->enc = ib == 2 ? WH_ENC_INDEX16 : WH_ENC_INDEX32;
			e->bytes = b;
		}
	}
}

static uint32_t
float_pattern(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	return u;
}

void
wh_factor_enc(const struct wh_cfactor *f, int ndim, int int4, int bitmask_ok,
    struct wh_enc *e)
{
	uint64_t n = (uint64_t)f->rows * (uint64_t)f->cols, nnz = 0, k;
	uint32_t fill = 0;
	int sb = 32, index_ok = 1;

	switch (f->qtype) {
	case WH_Q_INT:
		sb = wh_code_bits(f->q.bits, int4);
		if (!f->q.symmetric) {
			index_ok = 0;
			if (f->q.nscale == 1 && f->q.zero != NULL)
				fill = (uint32_t)f->q.zero[0];
		}
		if (f->q.q == NULL)
			break;
		for (k = 0; k < n; k++)
			nnz += (uint32_t)(int32_t)f->q.q[k] != fill;
		break;
	case WH_Q_FP16:
	case WH_Q_BF16:
		sb = 16;
		if (f->h == NULL)
			break;
		for (k = 0; k < n; k++)
			nnz += f->h[k] != 0;
		break;
	default:
		if (f->w == NULL)
			break;
		for (k = 0; k < n; k++)
			nnz += float_pattern(f->w[k]) != 0;
	}
	/* no values to look at (a cost computed from counts alone) */
	if ((f->qtype == WH_Q_INT && f->q.q == NULL) ||
	    ((f->qtype == WH_Q_FP16 || f->qtype == WH_Q_BF16) &&
	    f->h == NULL) || (f->qtype == WH_Q_NONE && f->w == NULL))
		nnz = n - (f->zeros < n ? f->zeros : n);
	wh_enc_choose(n, nnz, sb, ndim, index_ok, bitmask_ok, e);
	e->fill = fill;
}

static void
cost_part(struct wh_cost_part *p, int64_t rows, int64_t cols, size_t zeros,
    int value_bits, uint64_t qparam_bits, uint64_t uses,
    const struct wh_enc *e)
{
	uint64_t n = (uint64_t)rows * (uint64_t)cols, nnz;

	memset(p, 0, sizeof *p);
	p->rows = rows;
	p->cols = cols;
	p->n = n;
	p->nonzero = nnz = n - (zeros < n ? zeros : n);
	p->value_bits = value_bits;
	p->qparam_bits = qparam_bits;
	p->macs = n * uses;
	p->macs_sparse = nnz * uses;
	p->enc = e->enc;
	p->weight_bits = 8 * e->bytes;
}

/* The dims the exporter gives a layer's tensors. */
static int
layer_ndim(const struct wh_layer *l)
{
	return l->kind == WH_LAYER_CONV ? 4 : 2;
}

static void
cost_total(const struct wh_layer *l, struct wh_cost *c)
{
	int i;

	c->bias_bits = l->bias != NULL || l->bias_name != NULL ?
	    32 * (uint64_t)l->out : 0;
	c->bits = c->bias_bits;
	for (i = 0; i < c->nparts; i++) {
		const struct wh_cost_part *p = &c->part[i];

		c->bits += p->weight_bits + p->qparam_bits;
		c->params += p->n;
		c->nonzero += p->nonzero;
		c->macs += p->macs;
		c->macs_sparse += p->macs_sparse;
	}
	c->bytes = (c->bits + 7) / 8;
}

void
wh_cost_layer_orig(const struct wh_layer *l, struct wh_cost *out)
{
	size_t n = (size_t)l->out * (size_t)l->in;
	uint64_t uses = uses_per_weight(l);
	struct wh_enc e;

	memset(out, 0, sizeof *out);
	if (l->rank > 0) {
		/* stored as two float32 factors, u then vt */
		int64_t m = l->spatial ? l->out * l->kh : l->out;
		int64_t k = l->spatial ? l->cin * l->kw : l->in;
		uint64_t nu = (uint64_t)m * (uint64_t)l->rank;
		uint64_t nv = (uint64_t)l->rank * (uint64_t)k;

		out->nparts = 2;
		wh_enc_choose(nu, nu, 32, layer_ndim(l), 0, 0, &e);
		cost_part(&out->part[0], m, l->rank, 0, 32, 0, uses, &e);
		wh_enc_choose(nv, nv, 32, layer_ndim(l), 0, 0, &e);
		cost_part(&out->part[1], l->rank, k, 0, 32, 0, uses, &e);
		cost_total(l, out);
		return;
	}
	out->nparts = 1;
	/* the model's own float32 initializer, dense */
	wh_enc_choose(n, n, 32, layer_ndim(l), 0, 0, &e);
	cost_part(&out->part[0], l->out, l->in, 0, 32, 0, uses, &e);
	/* stored dense, but the work a sparse kernel would do still counts
	 * the zeros the model came with */
	if (l->w != NULL) {
		out->part[0].nonzero = n - wh_count_zeros(l->w, n);
		out->part[0].macs_sparse = out->part[0].nonzero * uses;
	}
	cost_total(l, out);
}

void
wh_cost_layer(const struct wh_layer *l, const struct wh_compressed *c,
    struct wh_cost *out)
{
	uint64_t uses = uses_per_weight(l);
	int i;

	memset(out, 0, sizeof *out);
	out->nparts = c->nfactors;
	for (i = 0; i < c->nfactors; i++) {
		const struct wh_cfactor *f = &c->f[i];
		int vbits = 32;
		uint64_t qbits = 0;
		struct wh_enc e;

		switch (f->qtype) {
		case WH_Q_INT:
			vbits = f->q.bits;
			qbits = (uint64_t)f->q.nscale * 32;
			if (!f->q.symmetric)
				qbits += (uint64_t)f->q.nscale * 32;
			break;
		case WH_Q_FP16:
		case WH_Q_BF16:
			vbits = 16;
			break;
		}
		wh_factor_enc(f, layer_ndim(l), 1, 1, &e);
		cost_part(&out->part[i], f->rows, f->cols, f->zeros, vbits, qbits,
		    uses, &e);
	}
	cost_total(l, out);
}

/* ---- the cache --------------------------------------------------------------- */

/* One matrix view of the weight: 0 plain (out, in), 1 spatial. */
struct view {
	int64_t m, n;
	int k;			/* min(m, n) */
	float *mat;		/* spatial: the rearranged weight; plain: NULL */
	float *sv;		/* (k) from jobz 'N', or NULL */
	float *u, *s, *vt;	/* full thin SVD, or NULL */
};

struct memo {
	int live;
	uint64_t used;
	struct wh_layer_cfg key;
	struct wh_compressed res;
};

struct wh_lcache {
	const struct wh_layer *l;
	struct view v[2];
	struct memo memo[WH_LCACHE_MEMO];
	uint64_t tick;
	struct wh_lcache_stats st;
};

struct wh_lcache *
wh_lcache_new(const struct wh_layer *l)
{
	struct wh_lcache *c = xcalloc(1, sizeof *c);

	c->l = l;
	c->v[0].m = l->out;
	c->v[0].n = l->in;
	c->v[1].m = l->out * l->kh;
	c->v[1].n = l->cin * l->kw;
	c->v[0].k = (int)(c->v[0].m < c->v[0].n ? c->v[0].m : c->v[0].n);
	c->v[1].k = (int)(c->v[1].m < c->v[1].n ? c->v[1].m : c->v[1].n);
	return c;
}

static void
view_drop_svd(struct view *v)
{
	free(v->u);
	free(v->s);
	free(v->vt);
	v->u = v->s = v->vt = NULL;
}

void
wh_lcache_trim(struct wh_lcache *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		view_drop_svd(&c->v[i]);
		free(c->v[i].mat);
		c->v[i].mat = NULL;
	}
	for (i = 0; i < WH_LCACHE_MEMO; i++)
		if (c->memo[i].live) {
			wh_compressed_release(&c->memo[i].res);
			c->memo[i].live = 0;
		}
}

void
wh_lcache_free(struct wh_lcache *c)
{
	int i;

	if (c == NULL)
		return;
	wh_lcache_trim(c);
	for (i = 0; i < 2; i++)
		free(c->v[i].sv);
	free(c);
}

void
wh_lcache_get_stats(const struct wh_lcache *c, struct wh_lcache_stats *st)
{
	*st = c->st;
}

/* The matrix of a view: the layer's weight, or its spatial rearrangement. */
static const float *
view_matrix(struct wh_lcache *c, int spatial)
{
	const struct wh_layer *l = c->l;
	struct view *v = &c->v[spatial];

	if (!spatial)
		return l->w;
	if (v->mat == NULL) {
		v->mat = xmalloc((size_t)v->m * (size_t)v->n * sizeof *v->mat);
		wh_spatial_from_conv(l->w, l->out, l->cin, l->kh, l->kw, v->mat);
	}
	return v->mat;
}

static int
view_svals(struct wh_lcache *c, int spatial, char **err)
{
	struct view *v = &c->v[spatial];

	if (v->sv != NULL)
		return 0;
	if (wh_lowrank_max_rank(c->l, spatial) <= 0 || v->k <= 0)
		return wh_error(err, "layer %s: low-rank is not possible here%s",
		    WH_QNAME(c->l->name), spatial ? " (spatial)" : "");
	v->sv = xmalloc((size_t)v->k * sizeof *v->sv);
	if (wh_svals(view_matrix(c, spatial), v->m, v->n, v->sv, err) == -1) {
		free(v->sv);
		v->sv = NULL;
		return -1;
	}
	c->st.svals++;
	return 0;
}

static int
view_svd(struct wh_lcache *c, int spatial, char **err)
{
	struct view *v = &c->v[spatial];

	if (v->u != NULL)
		return 0;
	v->u = xmalloc((size_t)v->m * (size_t)v->k * sizeof *v->u);
	v->s = xmalloc((size_t)v->k * sizeof *v->s);
	v->vt = xmalloc((size_t)v->k * (size_t)v->n * sizeof *v->vt);
	if (wh_svd(view_matrix(c, spatial), v->m, v->n, v->u, v->s, v->vt,
	    err) == -1) {
		view_drop_svd(v);
		return -1;
	}
	c->st.svd++;
	return 0;
}

int
wh_lcache_svals(struct wh_lcache *c, const float **s, int *k, char **err)
{
	if (view_svals(c, 0, err) == -1)
		return -1;
	*s = c->v[0].sv;
	*k = c->v[0].k;
	return 0;
}

int
wh_lcache_svals_spatial(struct wh_lcache *c, const float **s, int *k,
    char **err)
{
	if (view_svals(c, 1, err) == -1)
		return -1;
	*s = c->v[1].sv;
	*k = c->v[1].k;
	return 0;
}

/* ---- the pipeline -------------------------------------------------------------- */

static void
prune_factor(struct wh_cfactor *f, const struct wh_layer_cfg *a)
{
	size_t n = (size_t)f->rows * (size_t)f->cols;

	switch (a->prune_mode) {
	case WH_PRUNE_THRESHOLD:
		wh_prune_threshold(f->w, n, a->threshold);
		break;
	case WH_PRUNE_SPARSITY:
		wh_prune_sparsity(f->w, n, a->sparsity);
		break;
	case WH_PRUNE_CHANNEL:
		wh_prune_channels(f->w, f->rows, f->cols, a->sparsity,
		    a->channel_norm);
		break;
	}
	if (a->nm_n > 0)
		wh_prune_nm(f->w, f->rows, f->cols, a->nm_n, a->nm_m);
}

static int
quantize_factor(struct wh_cfactor *f, const struct wh_layer_cfg *a, char **err)
{
	size_t n = (size_t)f->rows * (size_t)f->cols;
	float *deq;

	f->qtype = a->qtype;
	switch (a->qtype) {
	case WH_Q_INT:
		deq = xmalloc(n * sizeof *deq);
		if (wh_quant_int(f->w, f->rows, f->cols, a->bits, a->symmetric,
		    a->per_channel, a->clip, &f->q, deq, err) == -1) {
			free(deq);
			return -1;
		}
		free(f->w);
		f->w = deq;
		break;
	case WH_Q_FP16:
		f->h = xmalloc(n * sizeof *f->h);
		wh_round_fp16(f->w, n, f->w, f->h);
		break;
	case WH_Q_BF16:
		f->h = xmalloc(n * sizeof *f->h);
		wh_round_bf16(f->w, n, f->w, f->h);
		break;
	}
	return 0;
}

static struct memo *
memo_find(struct wh_lcache *c, const struct wh_layer_cfg *key)
{
	int i;

	for (i = 0; i < WH_LCACHE_MEMO; i++)
		if (c->memo[i].live && wh_layer_cfg_equal(&c->memo[i].key, key))
			return &c->memo[i];
	return NULL;
}

static void
memo_store(struct wh_lcache *c, const struct wh_compressed *res)
{
	struct memo *m = NULL;
	int i;

	for (i = 0; i < WH_LCACHE_MEMO; i++) {
		if (!c->memo[i].live) {
			m = &c->memo[i];
			break;
		}
		if (m == NULL || c->memo[i].used < m->used)
			m = &c->memo[i];
	}
	if (m->live)
		wh_compressed_release(&m->res);
	m->live = 1;
	m->used = ++c->tick;
	m->key = res->cfg;
	wh_compressed_copy(&m->res, res);
}

int
wh_compress_layer(struct wh_lcache *c, const struct wh_layer_cfg *cfg,
    struct wh_compressed *out, char **err)
{
	const struct wh_layer *l = c->l;
	struct wh_layer_cfg a;
	struct memo *m;
	double energy = 1;
	int i, sp = 0;

	memset(out, 0, sizeof *out);
	if (wh_layer_cfg_check(cfg, l, err) == -1)
		return -1;
	cfg_applied(cfg, &a);
	if (a.lr_mode != WH_LR_NONE) {
		struct view *v;

		sp = a.spatial;
		if (view_svals(c, sp, err) == -1)
			return -1;
		v = &c->v[sp];
		if (a.lr_mode == WH_LR_ENERGY) {
			a.lr_mode = WH_LR_RANK;
			a.rank = wh_rank_for_energy(v->sv, v->k, cfg->energy);
		}
		energy = wh_energy_kept(v->sv, v->k, a.rank);
	}

	if ((m = memo_find(c, &a)) != NULL) {
		m->used = ++c->tick;
		c->st.hits++;
		wh_compressed_copy(out, &m->res);
		return 0;
	}

	out->cfg = a;
	out->energy = energy;
	if (a.lr_mode != WH_LR_NONE) {
		struct view *v = &c->v[sp];
		int r = a.rank;

		if (view_svd(c, sp, err) == -1) {
			memset(out, 0, sizeof *out);
			return -1;
		}
		out->rank = r;
		out->spatial = sp;
		out->nfactors = 2;
		out->f[0].rows = v->m;
		out->f[0].cols = r;
		out->f[1].rows = r;
		out->f[1].cols = v->n;
		out->f[0].w = xmalloc((size_t)v->m * (size_t)r * sizeof(float));
		out->f[1].w = xmalloc((size_t)r * (size_t)v->n * sizeof(float));
		wh_lowrank_split(v->u, v->s, v->vt, v->m, v->n, v->k, r,
		    out->f[0].w, out->f[1].w);
	} else if (l->rank > 0) {
		/* stored factored and no rank asked for: the layer's own
		 * factors, pruned and quantized as a low-rank layer's */
		int64_t m = l->spatial ? l->out * l->kh : l->out;
		int64_t n = l->spatial ? l->cin * l->kw : l->in;
		int r = l->rank;

		out->rank = r;
		out->spatial = l->spatial;
		out->nfactors = 2;
		out->f[0].rows = m;
		out->f[0].cols = r;
		out->f[1].rows = r;
		out->f[1].cols = n;
		out->f[0].w = xmalloc((size_t)m * (size_t)r * sizeof(float));
		out->f[1].w = xmalloc((size_t)r * (size_t)n * sizeof(float));
		memcpy(out->f[0].w, l->u, (size_t)m * (size_t)r * sizeof(float));
		memcpy(out->f[1].w, l->vt, (size_t)r * (size_t)n * sizeof(float));
	} else {
		size_t n = (size_t)l->out * (size_t)l->in;

		out->nfactors = 1;
		out->f[0].rows = l->out;
		out->f[0].cols = l->in;
		out->f[0].w = xmalloc(n * sizeof(float));
		memcpy(out->f[0].w, l->w, n * sizeof(float));
	}

	for (i = 0; i < out->nfactors; i++) {
		struct wh_cfactor *f = &out->f[i];

		prune_factor(f, &a);
		if (quantize_factor(f, &a, err) == -1) {
			wh_compressed_release(out);
			return -1;
		}
		f->zeros = wh_count_zeros(f->w, (size_t)f->rows * (size_t)f->cols);
	}
	set_weights(out);
	wh_cost_layer(l, out, &out->cost);
	c->st.computed++;
	memo_store(c, out);
	return 0;
}

/* ---- activations ------------------------------------------------------------------ */

int
wh_act_calibrate(const float *x, size_t n, int calib, float percentile,
    float *scale, int *zero)
{
	float lo = 0, hi = 0, s, z;
	size_t i;

	switch (calib) {
	case WH_ACT_MINMAX:
		for (i = 0; i < n; i++) {
			if (x[i] < lo)
				lo = x[i];
			if (x[i] > hi)
				hi = x[i];
		}
		break;
	case WH_ACT_PERCENTILE:
		if (!(percentile >= 0 && percentile <= 100))
			return -1;
		hi = wh_percentile(x, n, percentile);
		lo = wh_percentile(x, n, 100.0 - percentile);
		if (isnan(hi))
			hi = 0;
		if (isnan(lo))
			lo = 0;
		if (lo > 0)
			lo = 0;
		if (hi < 0)
			hi = 0;
		break;
	default:
		return -1;
	}
	s = (hi - lo) / 255.0f;
	if (!(s > 0) || !isfinite(s)) {
		*scale = 1;
		*zero = 0;
		return 0;
	}
	z = rintf(-lo / s);
	*scale = s;
	*zero = z < 0 ? 0 : (z > 255 ? 255 : (int)z);
	return 0;
}
