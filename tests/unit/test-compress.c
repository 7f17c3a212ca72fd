/* test-compress.c - layer settings, the pipeline, its caches, cost, activations */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "whittle/stats.h"
#include "whittle/tensor.h"
#include "tap.h"

static void
fill_rand(float *w, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		w[i] = (float)(seed >> 8) / 8388608.0f - 1;
	}
}

static void
fill_cos(float *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		w[i] = 0.1f + 2 * cosf((float)i);
}

static void
gemm_layer(struct wh_layer *l, const char *name, int64_t out, int64_t in,
    const float *w, const float *bias)
{
	memset(l, 0, sizeof *l);
	l->name = (char *)name;
	l->kind = WH_LAYER_GEMM;
	l->out = out;
	l->in = in;
	l->cin = l->kh = l->kw = 1;
	l->group = 1;
	l->out_h = l->out_w = 1;
	l->rows = 1;
	l->w = w;
	l->bias = bias;
	l->macs = (uint64_t)(out * in);
	l->max_rank = (int)(out < in ? out : in);
}

static void
conv_layer(struct wh_layer *l, const char *name, int64_t out, int64_t cin,
    int64_t kh, int64_t kw, const float *w)
{
	memset(l, 0, sizeof *l);
	l->name = (char *)name;
	l->kind = WH_LAYER_CONV;
	l->out = out;
	l->cin = cin;
	l->kh = kh;
	l->kw = kw;
	l->in = cin * kh * kw;
	l->group = 1;
	l->out_h = 5;
	l->out_w = 6;
	l->rows = 1;
	l->w = w;
	l->macs = (uint64_t)(out * l->in * 30);
	l->max_rank = (int)(out < l->in ? out : l->in);
}

static int
same_compressed(const struct wh_compressed *a, const struct wh_compressed *b)
{
	int i;

	if (a->nfactors != b->nfactors || a->rank != b->rank ||
	    a->spatial != b->spatial || !wh_layer_cfg_equal(&a->cfg, &b->cfg) ||
	    a->cost.bits != b->cost.bits)
		return 0;
	for (i = 0; i < a->nfactors; i++) {
		const struct wh_cfactor *x = &a->f[i], *y = &b->f[i];
		size_t n = (size_t)x->rows * (size_t)x->cols;

		if (x->rows != y->rows || x->cols != y->cols || x->zeros != y->zeros ||
		    x->qtype != y->qtype || memcmp(x->w, y->w, n * sizeof *x->w) != 0)
			return 0;
		if (x->qtype == WH_Q_INT &&
		    (memcmp(x->q.q, y->q.q, n * sizeof *x->q.q) != 0 ||
		    memcmp(x->q.scale, y->q.scale,
		    (size_t)x->q.nscale * sizeof *x->q.scale) != 0))
			return 0;
	}
	return 1;
}

/* Expects wh_layer_cfg_check to fail with a message holding want. */
static void
check_bad(const struct wh_layer_cfg *c, const struct wh_layer *l,
    const char *want)
{
	char *err = NULL;
	int rc = wh_layer_cfg_check(c, l, &err);

	ok(rc == -1 && err != NULL && strstr(err, want) != NULL &&
	    (l == NULL || strstr(err, l->name) != NULL),
	    "check refuses: %s", err ? err : "(no message)");
	free(err);
}

static void
test_cfg(void)
{
	struct wh_layer_cfg c, d;
	struct wh_layer g, cv, nolr;
	static float w[12 * 20], wc[4 * 27];

	wh_layer_cfg_init(&c);
	ok(c.lr_mode == WH_LR_NONE && c.prune_mode == WH_PRUNE_NONE &&
	    c.qtype == WH_Q_NONE && c.act_bits == 0 && c.nm_n == 0 &&
	    c.energy == 1 && c.channel_norm == 2 && c.symmetric == 1 &&
	    c.per_channel == 1 && c.act_percentile == 99.99f,
	    "cfg init: everything off, documented defaults");
	d = c;
	ok(wh_layer_cfg_equal(&c, &d), "cfg equal: copies are equal");
	d.act_percentile = 99.9f;
	ok(!wh_layer_cfg_equal(&c, &d), "cfg equal: a changed percentile differs");
	d = c;
	d.nm_m = 4;
	ok(!wh_layer_cfg_equal(&c, &d), "cfg equal: a changed nm_m differs");

	gemm_layer(&g, "fc1", 12, 20, w, NULL);
	conv_layer(&cv, "conv1", 4, 3, 3, 3, wc);
	ok(wh_layer_cfg_check(&c, &g, NULL) == 0, "check: defaults pass");

	d = c;
	d.lr_mode = WH_LR_RANK;
	d.rank = 13;
	check_bad(&d, &g, "rank 13 exceeds the layer's maximum 12");
	d.rank = 0;
	check_bad(&d, &g, "rank 0");
	d.rank = 12;
	ok(wh_layer_cfg_check(&d, &g, NULL) == 0, "check: rank 12 of 12 passes");
	d.spatial = 1;
	check_bad(&d, &g, "spatial 1 needs a Conv");
	d.rank = 9;
	ok(wh_layer_cfg_check(&d, &cv, NULL) == 0, "check: spatial rank 9 on a "
	    "3x3 Conv (4, 3) passes (maximum min(12, 9))");
	d.rank = 10;
	check_bad(&d, &cv, "rank 10 exceeds the layer's maximum 9 (spatial)");
	d = c;
	d.lr_mode = WH_LR_ENERGY;
	d.energy = 0;
	check_bad(&d, &g, "energy 0 is outside (0, 1]");
	d.energy = 1.5f;
	check_bad(&d, &g, "energy 1.5");
	nolr = g;
	nolr.max_rank = 0;
	d.energy = 0.9f;
	check_bad(&d, &nolr, "low-rank is not possible");

	d = c;
	d.prune_mode = WH_PRUNE_SPARSITY;
	d.sparsity = 1.5f;
	check_bad(&d, &g, "sparsity 1.5 is outside [0, 1]");
	d.prune_mode = WH_PRUNE_THRESHOLD;
	d.threshold = -1;
	check_bad(&d, &g, "threshold -1");
	d.prune_mode = WH_PRUNE_CHANNEL;
	d.sparsity = 0.5f;
	d.channel_norm = 3;
	check_bad(&d, &g, "channel_norm 3");
	d = c;
	d.nm_n = 4;
	d.nm_m = 4;
	check_bad(&d, &g, "N:M 4:4");
	d.nm_n = 2;
	d.nm_m = 64;
	check_bad(&d, &g, "N:M 2:64");
	d.nm_m = 4;
	ok(wh_layer_cfg_check(&d, &g, NULL) == 0, "check: 2:4 passes");

	d = c;
	d.qtype = WH_Q_INT;
	d.bits = 9;
	check_bad(&d, &g, "bits 9 is outside 2..8");
	d.bits = 1;
	check_bad(&d, &g, "bits 1");
	d.bits = 4;
	d.clip = 7;
	check_bad(&d, &g, "clip 7");
	d = c;
	d.qtype = 9;
	check_bad(&d, &g, "quantization type 9");
	d = c;
	d.act_bits = 4;
	check_bad(&d, &g, "act_bits 4 must be 0 or 8");
	d.act_bits = 8;
	d.act_calib = WH_ACT_PERCENTILE;
	d.act_percentile = 40;
	check_bad(&d, &g, "act_percentile 40");
	d.act_percentile = 99.9f;
	ok(wh_layer_cfg_check(&d, &g, NULL) == 0, "check: 8-bit activations at "
	    "the 99.9th percentile pass");
	d = c;
	d.lr_mode = WH_LR_RANK;
	d.rank = 500;
	ok(wh_layer_cfg_check(&d, NULL, NULL) == 0, "check: without a layer, "
	    "the layer's limits are not checked");
}

static void
test_order(void)
{
	enum { OUT = 12, IN = 20, R = 6 };
	static float w[OUT * IN];
	float u[OUT * R], vt[R * IN], du[OUT * R], dv[R * IN];
	struct wh_layer l;
	struct wh_layer_cfg c;
	struct wh_compressed res;
	struct wh_qtensor qu, qv;
	struct wh_lcache *lc;
	char *err = NULL;
	int i, pruned_stay = 1, rc;

	fill_rand(w, OUT * IN, 1);
	gemm_layer(&l, "fc", OUT, IN, w, NULL);
	wh_layer_cfg_init(&c);
	c.lr_mode = WH_LR_RANK;
	c.rank = R;
	c.prune_mode = WH_PRUNE_SPARSITY;
	c.sparsity = 0.5f;
	c.qtype = WH_Q_INT;
	c.bits = 4;

	/* by hand: low-rank, then prune each factor, then quantize each */
	wh_lowrank(w, OUT, IN, R, u, vt, NULL);
	wh_prune_sparsity(u, OUT * R, 0.5f);
	wh_prune_sparsity(vt, R * IN, 0.5f);
	wh_quant_int(u, OUT, R, 4, 1, 1, WH_CLIP_MINMAX, &qu, du, NULL);
	wh_quant_int(vt, R, IN, 4, 1, 1, WH_CLIP_MINMAX, &qv, dv, NULL);

	lc = wh_lcache_new(&l);
	rc = wh_compress_layer(lc, &c, &res, &err);
	ok(rc == 0, "pipeline: rank 6, 50%% sparsity, int4 runs (%s)",
	    err ? err : "ok");
	free(err);
	ok(res.nfactors == 2 && res.rank == R && res.f[0].rows == OUT &&
	    res.f[0].cols == R && res.f[1].rows == R && res.f[1].cols == IN,
	    "pipeline: factors u (12, 6), vt (6, 20)");
	ok(memcmp(res.f[0].w, du, sizeof du) == 0 &&
	    memcmp(res.f[1].w, dv, sizeof dv) == 0 &&
	    memcmp(res.f[0].q.q, qu.q, sizeof du / 2) == 0 &&
	    memcmp(res.f[1].q.q, qv.q, sizeof dv / 2) == 0,
	    "pipeline: equals low-rank, then pruning per factor, then "
	    "quantization per factor, done by hand");
	for (i = 0; i < OUT * R; i++)
		if (u[i] == 0 && (res.f[0].w[i] != 0 || res.f[0].q.q[i] != 0))
			pruned_stay = 0;
	for (i = 0; i < R * IN; i++)
		if (vt[i] == 0 && (res.f[1].w[i] != 0 || res.f[1].q.q[i] != 0))
			pruned_stay = 0;
	ok(pruned_stay, "pipeline: pruned weights stay zero after quantization");
	ok(res.f[0].zeros >= 36 && res.f[1].zeros >= 60 &&
	    res.f[0].zeros == wh_count_zeros(res.f[0].w, OUT * R),
	    "pipeline: factor sparsity counted (%zu of 72, %zu of 120)",
	    res.f[0].zeros, res.f[1].zeros);
	ok(res.f[0].qtype == WH_Q_INT && res.f[0].q.bits == 4 &&
	    res.f[0].q.nscale == OUT && res.f[1].q.nscale == R,
	    "pipeline: each factor quantized per its own rows");
	ok(res.lw.rank == R && res.lw.spatial == 0 && res.lw.w == NULL &&
	    res.lw.u == res.f[0].w && res.lw.vt == res.f[1].w &&
	    res.lw.act_bits == 0, "pipeline: evaluator weights point at the factors");
	ok(res.cost.nparts == 2 && res.cost.part[0].value_bits == 4,
	    "pipeline: cost of both factors");
	wh_compressed_release(&res);
	wh_qtensor_release(&qu);
	wh_qtensor_release(&qv);
	wh_lcache_free(lc);
}

static void
test_cache(void)
{
	enum { OUT = 12, IN = 20 };
	static float w[OUT * IN];
	struct wh_layer l;
	struct wh_layer_cfg c, e;
	struct wh_compressed a, b, r3, en;
	struct wh_lcache_stats st;
	struct wh_lcache *lc;
	const float *s, *s2;
	int k, k2;
	double mid;

	fill_rand(w, OUT * IN, 2);
	gemm_layer(&l, "fc", OUT, IN, w, NULL);
	lc = wh_lcache_new(&l);
	wh_layer_cfg_init(&c);
	c.lr_mode = WH_LR_RANK;
	c.rank = 6;
	c.qtype = WH_Q_INT;
	c.bits = 3;
	c.clip = WH_CLIP_MSE;

	wh_compress_layer(lc, &c, &a, NULL);
	wh_lcache_get_stats(lc, &st);
	ok(st.svals == 1 && st.svd == 1 && st.computed == 1 && st.hits == 0,
	    "cache: first call runs one SVD and computes (svals %u svd %u "
	    "computed %u hits %u)", st.svals, st.svd, st.computed, st.hits);
	wh_compress_layer(lc, &c, &b, NULL);
	wh_lcache_get_stats(lc, &st);
	ok(st.svd == 1 && st.computed == 1 && st.hits == 1,
	    "cache: the same settings again are served from the memo");
	ok(same_compressed(&a, &b) && a.f[0].w != b.f[0].w &&
	    b.lw.u == b.f[0].w, "cache: identical result in its own buffers");

	c.rank = 3;
	wh_compress_layer(lc, &c, &r3, NULL);
	wh_lcache_get_stats(lc, &st);
	ok(st.svd == 1 && st.computed == 2 && r3.rank == 3,
	    "cache: another rank slices the same SVD");

	/* an energy between ranks 5 and 6 resolves to rank 6: a memo hit */
	ok(wh_lcache_svals(lc, &s, &k, NULL) == 0 && k == 12, "cache: 12 "
	    "singular values");
	ok(wh_lcache_svals(lc, &s2, &k2, NULL) == 0 && s2 == s,
	    "cache: singular values computed once");
	mid = (wh_energy_kept(s, k, 5) + wh_energy_kept(s, k, 6)) / 2;
	e = c;
	e.rank = 0;
	e.lr_mode = WH_LR_ENERGY;
	e.energy = (float)mid;
	c.rank = 6;
	wh_compress_layer(lc, &e, &en, NULL);
	wh_lcache_get_stats(lc, &st);
	ok(en.rank == 6 && en.cfg.lr_mode == WH_LR_RANK && en.cfg.rank == 6 &&
	    st.hits == 2 && st.computed == 2 && same_compressed(&en, &a),
	    "cache: energy %.4f resolves to rank 6 and hits the memo", mid);
	ok(fabs(en.energy - wh_energy_kept(s, k, 6)) < 1e-12 && en.energy < 1,
	    "cache: energy kept recorded (%.4f)", en.energy);
	ok(wh_rank_for_energy(s, k, e.energy) == 6, "cache: stats helper agrees");

	/* unused fields do not split the memo */
	c.threshold = 123;
	c.act_bits = 8;
	wh_compressed_release(&b);
	wh_compress_layer(lc, &c, &b, NULL);
	wh_lcache_get_stats(lc, &st);
	ok(st.hits == 3 && st.computed == 2, "cache: fields no mode uses do not "
	    "change the key");

	wh_lcache_trim(lc);
	wh_compressed_release(&b);
	wh_compress_layer(lc, &c, &b, NULL);
	wh_lcache_get_stats(lc, &st);
	ok(st.svd == 2 && st.computed == 3 && st.svals == 1 &&
	    same_compressed(&a, &b), "cache: after trim, recomputed identically");

	wh_compressed_release(&a);
	wh_compressed_release(&b);
	wh_compressed_release(&r3);
	wh_compressed_release(&en);
	wh_lcache_free(lc);
}

static void
test_variants(void)
{
	enum { OUT = 12, IN = 20 };
	static float w[OUT * IN], wc[4 * 3 * 3 * 3], p[OUT * IN], back[4 * 27];
	struct wh_layer l, cv, nolr;
	struct wh_layer_cfg c;
	struct wh_compressed r;
	struct wh_cost orig;
	struct wh_lcache *lc;
	char *err = NULL;
	double e = 0, n = 0;
	int i, o, rc, pass;

	fill_rand(w, OUT * IN, 3);
	gemm_layer(&l, "fc", OUT, IN, w, NULL);
	lc = wh_lcache_new(&l);
	wh_layer_cfg_init(&c);

	wh_compress_layer(lc, &c, &r, NULL);
	wh_cost_layer_orig(&l, &orig);
	ok(r.nfactors == 1 && r.rank == 0 && r.lw.w == r.f[0].w &&
	    r.lw.u == NULL && memcmp(r.f[0].w, w, sizeof w) == 0 &&
	    r.f[0].w != w && r.cost.bytes == orig.bytes,
	    "nothing on: an own copy of w, the original cost (%llu bytes)",
	    (unsigned long long)orig.bytes);
	wh_compressed_release(&r);

	c.lr_mode = WH_LR_RANK;
	c.rank = 12;
	wh_compress_layer(lc, &c, &r, NULL);
	wh_lowrank_product(r.f[0].w, r.f[1].w, OUT, IN, 12, p);
	for (i = 0; i < OUT * IN; i++) {
		e += ((double)p[i] - w[i]) * ((double)p[i] - w[i]);
		n += (double)w[i] * w[i];
	}
	ok(sqrt(e) <= 1e-5 * sqrt(n), "full rank through the pipeline "
	    "reconstructs (%.3g)", sqrt(e / n));
	ok(r.energy == 1 || fabs(r.energy - 1) < 1e-12, "full rank keeps all energy");
	wh_compressed_release(&r);

	wh_layer_cfg_init(&c);
	c.qtype = WH_Q_FP16;
	wh_compress_layer(lc, &c, &r, NULL);
	pass = r.f[0].h != NULL && r.f[0].qtype == WH_Q_FP16;
	for (i = 0; pass && i < OUT * IN; i++)
		pass = r.f[0].w[i] == wh_half_to_float(r.f[0].h[i]) &&
		    fabsf(r.f[0].w[i] - w[i]) <= 0x1p-11f * fabsf(w[i]);
	ok(pass && r.cost.part[0].value_bits == 16, "fp16: values and bits agree");
	wh_compressed_release(&r);
	c.qtype = WH_Q_BF16;
	wh_compress_layer(lc, &c, &r, NULL);
	pass = r.f[0].h != NULL;
	for (i = 0; pass && i < OUT * IN; i++)
		pass = r.f[0].w[i] == wh_bf16_to_float(r.f[0].h[i]);
	ok(pass, "bf16: values and bits agree");
	wh_compressed_release(&r);

	/* channel pruning then 2:4 */
	wh_layer_cfg_init(&c);
	c.prune_mode = WH_PRUNE_CHANNEL;
	c.sparsity = 0.25f;
	c.channel_norm = 1;
	c.nm_n = 2;
	c.nm_m = 4;
	wh_compress_layer(lc, &c, &r, NULL);
	{
		int zrows = 0, groups_ok = 1;

		for (o = 0; o < OUT; o++) {
			int nz = 0, g;

			for (i = 0; i < IN; i++)
				nz += r.f[0].w[o * IN + i] != 0;
			zrows += nz == 0;
			for (g = 0; g < IN; g += 4) {
				int gz = 0;

				for (i = g; i < g + 4; i++)
					gz += r.f[0].w[o * IN + i] != 0;
				if (nz > 0 && gz != 2)
					groups_ok = 0;
			}
		}
		ok(zrows == 3 && groups_ok && r.f[0].zeros == 3 * IN + 9 * IN / 2,
		    "channel 25%% then 2:4: 3 rows gone, 2 of every 4 left in the "
		    "others (%zu zeros)", r.f[0].zeros);
	}
	wh_compressed_release(&r);

	/* errors */
	wh_layer_cfg_init(&c);
	c.lr_mode = WH_LR_RANK;
	c.rank = 13;
	rc = wh_compress_layer(lc, &c, &r, &err);
	ok(rc == -1 && err != NULL && strstr(err, "fc") != NULL && r.nfactors == 0 &&
	    r.f[0].w == NULL, "a bad setting fails cleanly (%s)", err ? err : "");
	free(err);
	err = NULL;
	wh_lcache_free(lc);

	nolr = l;
	nolr.max_rank = 0;
	lc = wh_lcache_new(&nolr);
	{
		const float *s;
		int k;

		rc = wh_lcache_svals(lc, &s, &k, &err);
		ok(rc == -1 && err != NULL, "no singular values when max_rank is 0 "
		    "(%s)", err ? err : "");
		free(err);
		err = NULL;
	}
	wh_lcache_free(lc);

	/* spatial on a Conv (4, 3, 3, 3): view (12, 9), full rank 9 */
	fill_rand(wc, sizeof wc / sizeof *wc, 4);
	conv_layer(&cv, "conv", 4, 3, 3, 3, wc);
	lc = wh_lcache_new(&cv);
	wh_layer_cfg_init(&c);
	c.lr_mode = WH_LR_RANK;
	c.rank = 9;
	c.spatial = 1;
	rc = wh_compress_layer(lc, &c, &r, &err);
	ok(rc == 0 && r.spatial == 1 && r.lw.spatial == 1 && r.rank == 9 &&
	    r.f[0].rows == 12 && r.f[0].cols == 9 && r.f[1].rows == 9 &&
	    r.f[1].cols == 9, "spatial: u (12, 9), vt (9, 9)");
	free(err);
	{
		float prod[12 * 9];
		double d = 0, nn = 0;

		wh_lowrank_product(r.f[0].w, r.f[1].w, 12, 9, 9, prod);
		wh_spatial_to_conv(prod, 4, 3, 3, 3, back);
		for (i = 0; i < 4 * 27; i++) {
			d += ((double)back[i] - wc[i]) * ((double)back[i] - wc[i]);
			nn += (double)wc[i] * wc[i];
		}
		ok(sqrt(d) <= 1e-5 * sqrt(nn), "spatial: full rank reconstructs "
		    "the Conv weight (%.3g)", sqrt(d / nn));
	}
	wh_compressed_release(&r);
	{
		const float *s, *ss;
		int k, ks;

		c.lr_mode = WH_LR_ENERGY;
		c.energy = 0.8f;
		wh_lcache_svals(lc, &s, &k, NULL);
		wh_lcache_svals_spatial(lc, &ss, &ks, NULL);
		wh_compress_layer(lc, &c, &r, NULL);
		ok(k == 4 && ks == 9 && r.rank == wh_rank_for_energy(ss, ks, 0.8f) &&
		    r.spatial == 1, "spatial energy: picked from the spatial "
		    "spectrum (rank %d)", r.rank);
		wh_compressed_release(&r);
	}
	/* plain low-rank of a Conv: MACs of both factors at 30 positions */
	c.lr_mode = WH_LR_RANK;
	c.rank = 2;
	c.spatial = 0;
	wh_compress_layer(lc, &c, &r, NULL);
	ok(r.cost.macs == (uint64_t)(4 * 2 + 2 * 27) * 30 &&
	    r.cost.params == 4 * 2 + 2 * 27, "conv rank 2: %llu MACs, %llu weights",
	    (unsigned long long)r.cost.macs, (unsigned long long)r.cost.params);
	wh_cost_layer_orig(&cv, &orig);
	ok(orig.macs == cv.macs && orig.bytes == 4 * 27 * 4,
	    "conv original: %llu MACs, %llu bytes", (unsigned long long)orig.macs,
	    (unsigned long long)orig.bytes);
	{
		struct wh_compressed cp;

		wh_compressed_copy(&cp, &r);
		ok(same_compressed(&cp, &r) && cp.f[1].w != r.f[1].w &&
		    cp.lw.vt == cp.f[1].w, "compressed copy: deep, lw re-pointed");
		wh_compressed_release(&cp);
		ok(cp.f[0].w == NULL && cp.nfactors == 0, "release zeroes");
	}
	wh_compressed_release(&r);
	wh_lcache_free(lc);
}

/* A hand-made single-factor result for the cost functions. */
static void
fake(struct wh_compressed *c, int64_t rows, int64_t cols, size_t zeros,
    int qtype, int bits, int sym, int per_channel)
{
	memset(c, 0, sizeof *c);
	c->nfactors = 1;
	c->f[0].rows = rows;
	c->f[0].cols = cols;
	c->f[0].zeros = zeros;
	c->f[0].qtype = qtype;
	c->f[0].q.bits = bits;
	c->f[0].q.symmetric = sym;
	c->f[0].q.per_channel = per_channel;
	c->f[0].q.nscale = per_channel ? rows : 1;
}

static void
test_cost(void)
{
	static float w[4 * 8], bias[4], big[300 * 300];
	struct wh_layer l, lb, lbig;
	struct wh_compressed c;
	struct wh_cost k, orig;
	struct wh_layer_cfg cfg;
	struct wh_lcache *lc;

	fill_cos(w, 32);
	gemm_layer(&l, "fc", 4, 8, w, bias);
	gemm_layer(&lb, "fc", 4, 8, w, NULL);

	wh_cost_layer_orig(&l, &orig);
	ok(orig.bits == 32 * 32 + 4 * 32 && orig.bytes == 144 && orig.macs == 32,
	    "orig 4x8 + bias: 1152 bits, 144 bytes, 32 MACs (%llu)",
	    (unsigned long long)orig.bytes);

	/* int4 symmetric per channel, 16 of 32 zero: dense 16 bytes of
	 * codes, as a bitmask 4 + 9 + 16 (the shape) would save less than its
	 * framing; + 4 float scales + the bias */
	fake(&c, 4, 8, 16, WH_Q_INT, 4, 1, 1);
	wh_cost_layer(&l, &c, &k);
	ok(k.part[0].enc == WH_ENC_DENSE && k.part[0].weight_bits == 128 &&
	    k.part[0].qparam_bits == 128 && k.bias_bits == 128 && k.bits == 384 &&
	    k.bytes == 48, "int4 sym/ch 50%%: %s, %llu bits, 48 bytes",
	    wh_enc_name(k.part[0].enc), (unsigned long long)k.bits);
	ok(k.macs == 32 && k.macs_sparse == 16 && k.nonzero == 16,
	    "int4 sym/ch 50%%: 32 MACs dense, 16 sparse");

	/* int2 per tensor: stored as int4, 16 bytes, + 1 scale */
	fake(&c, 4, 8, 8, WH_Q_INT, 2, 1, 0);
	wh_cost_layer(&lb, &c, &k);
	ok(k.part[0].enc == WH_ENC_DENSE && k.bits == 128 + 32 && k.bytes == 20,
	    "int2 sym/tensor 25%%: dense int4, 160 bits, 20 bytes (%s, %llu)",
	    wh_enc_name(k.part[0].enc), (unsigned long long)k.bits);

	/* float, 31 of 32 zero: index16 1 * (2 + 4) bytes */
	fake(&c, 4, 8, 31, WH_Q_NONE, 0, 0, 0);
	wh_cost_layer(&l, &c, &k);
	ok(k.part[0].enc == WH_ENC_INDEX16 && k.bits == 48 + 128 && k.bytes == 22,
	    "float 31/32 zero: index16, 176 bits, 22 bytes (%s)",
	    wh_enc_name(k.part[0].enc));

	/* int3 asymmetric per channel, dense: 32 codes as int4, 16 bytes,
	 * + 4 float scales and 4 float zero points */
	fake(&c, 4, 8, 0, WH_Q_INT, 3, 0, 1);
	wh_cost_layer(&lb, &c, &k);
	ok(k.part[0].enc == WH_ENC_DENSE && k.part[0].qparam_bits == 256 &&
	    k.bits == 384 && k.bytes == 48, "int3 asym/ch: 384 bits, 48 bytes "
	    "(%llu)", (unsigned long long)k.bits);

	/* low-rank fp16 (4, 2) and (2, 8): 24 weights * 16 + bias */
	memset(&c, 0, sizeof c);
	c.nfactors = 2;
	c.rank = 2;
	c.f[0].rows = 4;
	c.f[0].cols = 2;
	c.f[1].rows = 2;
	c.f[1].cols = 8;
	c.f[0].qtype = c.f[1].qtype = WH_Q_FP16;
	wh_cost_layer(&l, &c, &k);
	ok(k.nparts == 2 && k.bits == 24 * 16 + 128 && k.bytes == 64 &&
	    k.macs == 24 && k.params == 24, "low-rank fp16: 512 bits, 64 bytes, "
	    "24 MACs");

	/* more than 65536 weights: 32-bit indices */
	gemm_layer(&lbig, "big", 300, 300, big, NULL);
	fake(&c, 300, 300, 90000 - 10, WH_Q_NONE, 0, 0, 0);
	wh_cost_layer(&lbig, &c, &k);
	ok(k.part[0].enc == WH_ENC_INDEX32 && k.bits == 10 * 64,
	    "90000 weights, 10 kept: index32, 640 bits (%s)",
	    wh_enc_name(k.part[0].enc));

	/* the same 4x8 int4 case through the pipeline */
	lc = wh_lcache_new(&l);
	wh_layer_cfg_init(&cfg);
	cfg.prune_mode = WH_PRUNE_SPARSITY;
	cfg.sparsity = 0.5f;
	cfg.qtype = WH_Q_INT;
	cfg.bits = 4;
	wh_compress_layer(lc, &cfg, &c, NULL);
	ok(c.f[0].zeros == 16 && c.cost.bytes == 48 &&
	    c.cost.part[0].enc == WH_ENC_DENSE,
	    "pipeline 4x8 int4 50%%: 48 bytes (%llu), ratio %.3f",
	    (unsigned long long)c.cost.bytes, (double)orig.bytes / c.cost.bytes);
	wh_compressed_release(&c);
	wh_lcache_free(lc);
}

/* The encodings the exporter writes, by their exact sizes. */
static void
test_enc(void)
{
	struct wh_enc e;
	struct wh_cfactor f;
	int16_t q[64];
	int32_t zero[2] = { 7, 3 };
	float scale[2] = { 1, 1 };
	int k;

	/* 10000 int4 codes, 3000 kept: mask 1250 + fill and values 1501 +
	 * shape 16 beats dense 5000; no index form for 4-bit elements */
	wh_enc_choose(10000, 3000, 4, 2, 1, 1, &e);
	ok(e.enc == WH_ENC_BITMASK && e.bytes == 1250 + 1501 + 16,
	    "int4 30%% kept: bitmask, %llu bytes", (unsigned long long)e.bytes);
	wh_enc_choose(10000, 3000, 4, 2, 1, 0, &e);
	ok(e.enc == WH_ENC_DENSE && e.bytes == 5000,
	    "without the bitmask form: dense 5000 bytes");
	/* float32: bitmask 1250 + 12004 + 16 beats index16 3000 * 6 */
	wh_enc_choose(10000, 3000, 32, 2, 1, 1, &e);
	ok(e.enc == WH_ENC_BITMASK && e.bytes == 13270,
	    "float 30%% kept: bitmask, %llu bytes", (unsigned long long)e.bytes);
	/* int8, 100000 with 1000 kept: index32 1000 * 5 beats the bitmask */
	wh_enc_choose(100000, 1000, 8, 2, 1, 1, &e);
	ok(e.enc == WH_ENC_INDEX32 && e.bytes == 5000,
	    "int8 1%% kept of 100000: index32, %llu bytes",
	    (unsigned long long)e.bytes);
	/* ... but not where the fill is not 0 */
	wh_enc_choose(100000, 1000, 8, 2, 0, 1, &e);
	ok(e.enc == WH_ENC_BITMASK && e.bytes == 12500 + 1001 + 16,
	    "no index form when the fill is not 0: bitmask");
	/* a saving smaller than the framing keeps the tensor dense */
	wh_enc_choose(400, 390, 32, 2, 1, 1, &e);
	ok(e.enc == WH_ENC_DENSE && e.bytes == 1600, "97%% kept: dense");
	ok(wh_code_bits(3, 1) == 4 && wh_code_bits(5, 1) == 8 &&
	    wh_code_bits(4, 0) == 8, "codes of 2-4 bits stored as int4, 5-8 "
	    "(or without int4) as int8");

	/* from a factor: asymmetric codes per tensor fill with the zero
	 * point, per channel with 0 */
	memset(&f, 0, sizeof f);
	f.rows = 2;
	f.cols = 32;
	f.qtype = WH_Q_INT;
	f.q.bits = 8;
	f.q.symmetric = 0;
	f.q.q = q;
	f.q.zero = zero;
	f.q.scale = scale;
	f.q.nscale = 1;
	for (k = 0; k < 64; k++)
		q[k] = k % 4 == 0 ? 200 : 7;
	wh_factor_enc(&f, 2, 1, 1, &e);
	ok(e.fill == 7 && e.nnz == 16 && e.stored_bits == 8,
	    "asymmetric per tensor: the zero point is the fill, 16 of 64 kept");
	f.q.nscale = 2;
	wh_factor_enc(&f, 2, 1, 1, &e);
	ok(e.fill == 0 && e.nnz == 64, "asymmetric per channel: fill 0, all "
	    "64 kept");
}

static void
test_act(void)
{
	const float x[] = { -1, 0, 2, 3, NAN };
	const float pos[] = { 1, 2, 5.1f }, neg[] = { -4, -2 }, zero[] = { 0, 0 };
	float scale, y[1001];
	int z, i, rc;

	rc = wh_act_calibrate(x, 5, WH_ACT_MINMAX, 0, &scale, &z);
	ok(rc == 0 && scale == 4.0f / 255 && z == 64, "act minmax [-1, 3]: scale 4/255, "
	    "zero 64 (%g, %d)", (double)scale, z);
	wh_act_calibrate(pos, 3, WH_ACT_MINMAX, 0, &scale, &z);
	ok(scale == 5.1f / 255 && z == 0, "act minmax positive: range from 0, "
	    "zero 0");
	wh_act_calibrate(neg, 2, WH_ACT_MINMAX, 0, &scale, &z);
	ok(scale == 4.0f / 255 && z == 255, "act minmax negative: zero 255");
	wh_act_calibrate(zero, 2, WH_ACT_MINMAX, 0, &scale, &z);
	ok(scale == 1 && z == 0, "act all zero: scale 1, zero 0");
	wh_act_calibrate(NULL, 0, WH_ACT_PERCENTILE, 99, &scale, &z);
	ok(scale > 0 && z == 0, "act no values: a positive scale");

	/* 0 .. 999 and one outlier: the 99.5th percentile ignores it */
	for (i = 0; i < 1000; i++)
		y[i] = (float)i;
	y[1000] = 1e6f;
	rc = wh_act_calibrate(y, 1001, WH_ACT_PERCENTILE, 99.5f, &scale, &z);
	ok(rc == 0 && scale == 995.0f / 255 && z == 0, "act percentile 99.5: hi 995 "
	    "(scale %g), outlier ignored", (double)scale);
	wh_act_calibrate(y, 1001, WH_ACT_MINMAX, 0, &scale, &z);
	ok(scale == 1e6f / 255, "act minmax keeps the outlier");
	for (i = 0; i < 1001; i++)
		y[i] = (float)(i - 500);
	/* lo = 5th value -495, hi = 995th value 495 */
	wh_act_calibrate(y, 1001, WH_ACT_PERCENTILE, 99.5f, &scale, &z);
	ok(scale == 990.0f / 255 && z == (int)rintf(495 / (990.0f / 255)),
	    "act percentile, both tails: scale 990/255, zero %d", z);
	ok(wh_act_calibrate(y, 10, 7, 0, &scale, &z) == -1 &&
	    wh_act_calibrate(y, 10, WH_ACT_PERCENTILE, 101, &scale, &z) == -1,
	    "act: unknown method and percentile 101 refused");
}

int
main(void)
{
	test_cfg();
	test_order();
	test_cache();
	test_variants();
	test_cost();
	test_enc();
	test_act();
	return tap_done();
}
