/* compress.h - per-layer compression: low-rank, pruning, quantization, cost */
#ifndef WHITTLE_COMPRESS_H
#define WHITTLE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/eval.h"
#include "whittle/graph.h"

/*
 * A layer's weight is viewed as the matrix w: (out, in) of struct wh_layer
 * (in = cin * kh * kw for Conv).  The transforms run in a fixed order:
 *
 *   1. low-rank:      w -> u: (m, r), vt: (r, n), the balanced split of a
 *                    truncated SVD (m, n = out, in, or the spatial view
 *                    out * kh, cin * kw of a Conv, see below);
 *   2. pruning:       on w, or on each of u and vt separately; N:M last;
 *   3. quantization:  on w, or on each of u and vt separately.
 *
 * Biases stay float32 and are never touched.
 *
 * Magnitude order.  Where pruning ranks weights, w_i comes before w_j when
 * |w_i| < |w_j|, or |w_i| == |w_j| and i < j: of equal magnitudes the lower
 * index is pruned first and the higher one kept.  Weights must not be NaN
 * (NaN ranks above infinity).
 */

enum { WH_LR_NONE, WH_LR_RANK, WH_LR_ENERGY };
enum { WH_PRUNE_NONE, WH_PRUNE_THRESHOLD, WH_PRUNE_SPARSITY, WH_PRUNE_CHANNEL };
enum { WH_Q_NONE, WH_Q_INT, WH_Q_FP16, WH_Q_BF16 };
enum { WH_CLIP_MINMAX, WH_CLIP_MSE };
enum { WH_ACT_MINMAX, WH_ACT_PERCENTILE };

/*
 * The calibration of activation quantization when none is chosen, for the
 * plan file, `whittle plan --act-bits 8' and the workbench alike (all
 * three start from wh_layer_cfg_init): the range the inputs reach, as
 * static quantizers do by default.  The percentile used when percentile
 * calibration is chosen without one.
 */
#define WH_ACT_CALIB_DEFAULT WH_ACT_MINMAX
#define WH_ACT_PERCENTILE_DEFAULT 99.99f

/* The largest M of N:M pruning. */
#define WH_NM_MAX 32

/*
 * WH_CLIP_MSE tries the clip ratios 1 - 0.8 * k / 99, k = 0 .. 99 (1.0 down
 * to 0.2), per tensor or per channel, and keeps the first one with the least
 * squared error of the dequantized weights against the input (every weight
 * counts, zeros included).  Ratio 1.0 is min/max, so MSE clipping is never
 * worse than WH_CLIP_MINMAX.
 */
#define WH_CLIP_STEPS 100
#define WH_CLIP_LOW 0.2

/*
 * The settings of one layer, shared by the plan file, the CLI and the TUI.
 * Fields that the chosen modes do not use are ignored.
 */
struct wh_layer_cfg {
	/* low-rank */
	int lr_mode;		/* WH_LR_NONE, WH_LR_RANK, WH_LR_ENERGY */
	int rank;		/* WH_LR_RANK: 1 .. wh_lowrank_max_rank() */
	float energy;		/* WH_LR_ENERGY: in (0, 1], the smallest rank keeping
				 * this fraction of sum s_i^2 */
	int spatial;		/* Conv with group 1: factor the (out*kh, cin*kw) view */

	/* pruning */
	int prune_mode;		/* WH_PRUNE_NONE;
				 * WH_PRUNE_THRESHOLD: |w| < threshold -> 0;
				 * WH_PRUNE_SPARSITY: exactly floor(sparsity * n + 0.5)
				 *   weights, the first in magnitude order, -> 0;
				 * WH_PRUNE_CHANNEL: the floor(sparsity * rows + 0.5)
				 *   rows of least norm -> 0 */
	float threshold;	/* >= 0 */
	float sparsity;		/* in [0, 1] */
	int channel_norm;	/* 1 = L1, 2 = L2 */
	int nm_n, nm_m;		/* N:M: keep the nm_n largest |w| of every nm_m
				 * consecutive weights of a row; 0 = off; applied
				 * after the other pruning */

	/* weight quantization */
	int qtype;		/* WH_Q_NONE, WH_Q_INT, WH_Q_FP16, WH_Q_BF16 */
	int bits;		/* WH_Q_INT: 2 .. 8 */
	int symmetric;		/* 1: signed codes, zero point 0; 0: unsigned, zero point */
	int per_channel;	/* 1: a scale (and zero point) per row; 0: per tensor */
	int clip;		/* WH_CLIP_MINMAX, WH_CLIP_MSE */

	/* activation quantization of the layer's input (the evaluator's) */
	int act_bits;		/* 0 or 8 */
	int act_calib;		/* WH_ACT_MINMAX, WH_ACT_PERCENTILE */
	float act_percentile;	/* WH_ACT_PERCENTILE: in (50, 100], e.g. 99.99 */
};

/*
 * Everything off.  The defaults for when a mode is switched on: rank 0,
 * energy 1, channel_norm 2, bits 8, symmetric 1, per_channel 1,
 * clip WH_CLIP_MINMAX, act_calib WH_ACT_CALIB_DEFAULT, act_percentile
 * WH_ACT_PERCENTILE_DEFAULT.
 */
void wh_layer_cfg_init(struct wh_layer_cfg *c);

/* 1 when every field is equal (floats compared with ==), else 0. */
int wh_layer_cfg_equal(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b);

/*
 * Checks the ranges of the fields the chosen modes use, against layer l
 * (l may be NULL: the checks that need a layer are then skipped).  -1 and a
 * message naming the layer, the setting and its value on the first problem,
 * e.g. "layer 'fc1': rank 40 exceeds the layer's maximum 30".
 */
int wh_layer_cfg_check(const struct wh_layer_cfg *c, const struct wh_layer *l,
    char **err);

/* ---- pruning (prune.c) ------------------------------------------------- */

/*
 * w: (n), in place.  Zeroes every weight with |w| < threshold and returns
 * how many that was (weights already zero included when threshold > 0).
 */
size_t wh_prune_threshold(float *w, size_t n, float threshold);

/*
 * w: (n), in place.  Zeroes exactly k = floor(sparsity * n + 0.5) weights
 * (sparsity clamped to [0, 1]), the first k in magnitude order, and
 * returns k.  The fast version selects the k-th magnitude (quickselect) and
 * breaks ties at it by index; the reference sorts.  Both give the same
 * result.
 */
size_t wh_prune_sparsity(float *w, size_t n, float sparsity);
size_t wh_prune_sparsity_ref(float *w, size_t n, float sparsity);

/*
 * ws[i]: (ns[i]), i < nlayers.  One threshold for several layers: with
 * N = sum ns[i] and k = floor(sparsity * N + 0.5), returns the k-th least
 * magnitude (from 0) over all layers, so that zeroing |w| < threshold in
 * every layer zeroes exactly k weights in total when no other weight has
 * that magnitude (and at most k otherwise).  0 when k == 0; just above the
 * greatest magnitude when k == N.
 */
float wh_prune_global_threshold(const float *const *ws, const size_t *ns,
    int nlayers, float sparsity);

/*
 * w: (out, in), in place.  Zeroes the floor(sparsity * out + 0.5) rows of
 * least norm (norm 1: sum |w|, 2: sum w^2, in double; equal norms: the
 * lower row first).  Returns the number of rows zeroed.
 */
int64_t wh_prune_channels(float *w, int64_t out, int64_t in, float sparsity,
    int norm);
int64_t wh_prune_channels_ref(float *w, int64_t out, int64_t in,
    float sparsity, int norm);

/*
 * w: (out, in), in place, 0 < n < m <= WH_NM_MAX.  In each row, every group
 * of m consecutive columns keeps its n largest weights (magnitude order)
 * and zeroes the rest; a short last group of len < m columns keeps
 * min(n, len).  Weights already zero count as small like any other.
 */
void wh_prune_nm(float *w, int64_t out, int64_t in, int n, int m);
void wh_prune_nm_ref(float *w, int64_t out, int64_t in, int n, int m);

/* w: (n).  The number of exact zeros (-0 included). */
size_t wh_count_zeros(const float *w, size_t n);

/* ---- quantization (quant.c) -------------------------------------------- */

/*
 * Integer-quantized tensor w: (rows, cols) as DequantizeLinear reads it:
 * w[i][j] = (float)(q[i][j] - zero[c]) * scale[c], int subtraction first,
 * then one float multiply, c = i per channel, 0 per tensor.
 *
 *   symmetric:  q in [-(2^(bits-1) - 1), 2^(bits-1) - 1], zero 0,
 *               scale = maxabs * ratio / (2^(bits-1) - 1);
 *   asymmetric: q in [0, 2^bits - 1], lo = min(min w, 0) * ratio,
 *               hi = max(max w, 0) * ratio, scale = (hi - lo) / (2^bits - 1),
 *               zero = rintf(-lo / scale) clamped to the code range;
 *
 * with ratio 1 for WH_CLIP_MINMAX.  Codes are rintf(w / scale) (+ zero),
 * rounding half to even, then clamped.  A scale that would be 0 or not
 * finite (an all-zero row) is 1.  A zero weight is exactly 0 after
 * dequantization.  q holds codes of either signedness in int16_t; the
 * exporter narrows them to int8/uint8 (or int4/uint4).
 */
struct wh_qtensor {
	int bits, symmetric, per_channel;
	int64_t rows, cols;
	int16_t *q;		/* (rows, cols) codes */
	float *scale;		/* (nscale) */
	int32_t *zero;		/* (nscale), all 0 when symmetric */
	int64_t nscale;		/* rows when per_channel, else 1 */
};

/* Frees the buffers and zeroes the struct (which is the caller's). */
void wh_qtensor_release(struct wh_qtensor *q);
/* Deep copy into dst, which is overwritten (not released). */
void wh_qtensor_copy(struct wh_qtensor *dst, const struct wh_qtensor *src);

/* The code range of a bit width and signedness (see struct wh_qtensor). */
void wh_quant_range(int bits, int symmetric, int *qmin, int *qmax);

/*
 * w: (rows, cols) -> q (new buffers owned by q, release with
 * wh_qtensor_release) and, when deq is not NULL, deq: (rows, cols) the
 * dequantized values.  -1 and a message when bits is not 2..8 or clip is
 * unknown.  The reference computes every clip candidate in full and rounds
 * by hand in double; the fast one uses rintf and stops a candidate as soon
 * as its error reaches the best so far.  Both give identical codes, scales
 * and zero points.
 */
int wh_quant_int(const float *w, int64_t rows, int64_t cols, int bits,
    int symmetric, int per_channel, int clip, struct wh_qtensor *q,
    float *deq, char **err);
int wh_quant_int_ref(const float *w, int64_t rows, int64_t cols, int bits,
    int symmetric, int per_channel, int clip, struct wh_qtensor *q,
    float *deq, char **err);

/* q -> w: (rows, cols), (float)(q - zero) * scale. */
void wh_dequant_int(const struct wh_qtensor *q, float *w);

/*
 * w, out: (n) (out may be w).  Rounds to IEEE half / bfloat16, nearest
 * even, through wh_float_to_half / wh_float_to_bf16 and back; bits: (n)
 * receives the 16-bit values when not NULL.  These are already the plain
 * loops; there is no separate reference.
 */
void wh_round_fp16(const float *w, size_t n, float *out, uint16_t *bits);
void wh_round_bf16(const float *w, size_t n, float *out, uint16_t *bits);

/* ---- low-rank (lowrank.c) ---------------------------------------------- */

/*
 * Thin SVD of w: (m, n), row-major, by LAPACK's sgesdd (jobz 'S') on a
 * copy: with k = min(m, n), u: (m, k), s: (k) largest first, vt: (k, n),
 * w = u diag(s) vt.  With u and vt both NULL only s is computed (jobz 'N').
 * -1 and a message when w is empty, not finite, too large for LAPACK, or
 * LAPACK fails.
 */
int wh_svd(const float *w, int64_t m, int64_t n, float *u, float *s,
    float *vt, char **err);

/*
 * From a thin SVD (u_full: (m, k), s: (k), vt_full: (k, n)) the balanced
 * rank-r factors, 1 <= r <= k: u: (m, r) = U_r sqrt(S_r),
 * vt: (r, n) = sqrt(S_r) Vt_r.
 */
void wh_lowrank_split(const float *u_full, const float *s,
    const float *vt_full, int64_t m, int64_t n, int k, int r, float *u,
    float *vt);

/* w: (m, n) -> u: (m, r), vt: (r, n), 1 <= r <= min(m, n); wh_svd then
 * wh_lowrank_split. */
int wh_lowrank(const float *w, int64_t m, int64_t n, int r, float *u,
    float *vt, char **err);

/* u: (m, r), vt: (r, n) -> w: (m, n) = u vt.  Fast: cblas_sgemm; the
 * reference: a plain triple loop accumulating in double. */
void wh_lowrank_product(const float *u, const float *vt, int64_t m,
    int64_t n, int r, float *w);
void wh_lowrank_product_ref(const float *u, const float *vt, int64_t m,
    int64_t n, int r, float *w);

/*
 * The spatial view of a Conv weight w: (out, cin, kh, kw) is the matrix
 * ws: (out * kh, cin * kw) with ws[o*kh + y][c*kw + x] = w[o][c][y][x].
 * A rank-r split u: (out * kh, r), vt: (r, cin * kw) runs as a 1 x kw conv
 * with r output channels, weight vt read as (r, cin, 1, kw), followed by a
 * kh x 1 conv with weight W2[o][j][y][0] = u[o*kh + y][j].
 */
void wh_spatial_from_conv(const float *w, int64_t out, int64_t cin,
    int64_t kh, int64_t kw, float *ws);
void wh_spatial_to_conv(const float *ws, int64_t out, int64_t cin,
    int64_t kh, int64_t kw, float *w);

/*
 * The largest rank for the layer: l->max_rank, or with spatial
 * min(out * kh, cin * kw) (0 when spatial does not apply: not a Conv, or
 * group != 1, or max_rank == 0).
 */
int wh_lowrank_max_rank(const struct wh_layer *l, int spatial);
/*
 * The largest rank whose two factors, u: (m, r) and vt: (r, n), hold
 * fewer weights than the (m, n) view they replace: r (m + n) < m n.  A
 * rank above it stores more than the dense layer.  0 when low-rank does
 * not apply or no rank saves anything.
 */
int wh_lowrank_saving_rank(const struct wh_layer *l, int spatial);

/* ---- cost accounting (compress.c) -------------------------------------- */

/*
 * How a stored weight tensor (the weight, or one low-rank factor) is
 * encoded in the ONNX file that `whittle apply' writes.  Its elements are
 * bit patterns of stored_bits each: 32 float32, 16 float16/bfloat16, and
 * integer codes of 2 to 4 bits as 4 (int4/uint4), of 5 to 8 bits as 8.
 * The fill is the pattern of a zero weight: 0, or the zero point of
 * asymmetric codes per tensor (0 for asymmetric codes per channel, whose
 * zero weights differ from row to row).
 *
 *   dense:    every element, ceil(n * stored_bits / 8) bytes;
 *   bitmask:  a bit per element (1: not the fill), ceil(n / 8) bytes as
 *             uint8, the first element in bit 0 of byte 0; then the fill
 *             and the other elements in order, ceil((nnz + 1) *
 *             stored_bits / 8) bytes; and the shape, 8 bytes a dim.  The
 *             file expands it with whittle.ExpandBitmask, a function of
 *             standard operators that runtimes fold into the dense tensor
 *             at load (opset 13 or later);
 *   index16, index32:  an ONNX sparse initializer, the nnz elements and
 *             their linear indices as int16 (n <= 32768) or int32, for
 *             elements of 8 bits or more whose fill is 0 (ONNX Runtime
 *             1.30 reads no sparse initializer of 4-bit elements).
 *
 * wh_enc_choose takes the smallest, counting a fixed framing for each
 * sparse form (WH_ENC_FRAMING_*) so that a saving of a few bytes keeps
 * the tensor dense; of equal sizes dense comes first, then bitmask.
 * bytes is what the tensor's data takes in the file, without framing.
 */
enum wh_sparse_enc {
	WH_ENC_DENSE,
	WH_ENC_BITMASK,
	WH_ENC_INDEX16,
	WH_ENC_INDEX32
};

#define WH_ENC_FRAMING_BITMASK 160
#define WH_ENC_FRAMING_INDEX 48

struct wh_enc {
	int enc;		/* enum wh_sparse_enc */
	int stored_bits;	/* 32, 16, 8 or 4 */
	uint32_t fill;		/* the pattern of a zero weight */
	uint64_t n, nnz;	/* elements, of which not the fill */
	uint64_t bytes;		/* the data in that encoding */
};

/* "dense", "bitmask", "index16", "index32" */
const char *wh_enc_name(int enc);

/* The file's element width of integer codes of bits 2 .. 8: 4 or 8 (8
 * when int4 is 0: the file cannot hold 4-bit types). */
int wh_code_bits(int bits, int int4);

/*
 * The encoding of n elements of stored_bits, nnz of them not the fill, in a
 * tensor of ndim dims; index_ok: the fill is 0 and elements are at least 8
 * bits (an ONNX sparse initializer may hold them); bitmask_ok: the file
 * may use whittle.ExpandBitmask.  Fills e.
 */
void wh_enc_choose(uint64_t n, uint64_t nnz, int stored_bits, int ndim,
    int index_ok, int bitmask_ok, struct wh_enc *e);

struct wh_cfactor;

/*
 * The encoding of factor f as the exporter writes it, stored in a tensor of
 * ndim dims (2 for Gemm and MatMul, 4 for Conv); int4: 4-bit codes may be
 * written; bitmask_ok as above.  Counts the stored patterns of f (the
 * codes, the 16-bit values, or the float bits of w).
 */
void wh_factor_enc(const struct wh_cfactor *f, int ndim, int int4,
    int bitmask_ok, struct wh_enc *e);

/* The stored cost of the weight or of one low-rank factor. */
struct wh_cost_part {
	int64_t rows, cols;
	uint64_t n, nonzero;	/* weights, of which non-zero */
	int value_bits;		/* 32 float, 16 fp16/bf16, bits for INT */
	int enc;		/* enum wh_sparse_enc, as wh_factor_enc chose */
	uint64_t weight_bits;	/* 8 * struct wh_enc's bytes */
	uint64_t qparam_bits;	/* scales and, asymmetric, zero points:
				 * 32 bits each (float32 in the file) */
	uint64_t macs, macs_sparse;	/* per sample: all weights, non-zero only */
};

/*
 * A layer's stored size and work: bits = the sum of the parts' weight_bits
 * and qparam_bits + bias_bits, bytes = bits / 8, the bytes of data the
 * exported ONNX file holds for the layer (the file adds names, dims and
 * nodes, a few dozen bytes a tensor).  MACs: each weight is used
 * l->macs / (out * in) times per sample (rows for Gemm, output positions
 * for Conv); low-rank factors count the same per weight (for the spatial
 * view the 1 x kw conv is counted at the output's size).
 */
struct wh_cost {
	int nparts;		/* 1 (w) or 2 (u, vt) */
	struct wh_cost_part part[2];
	uint64_t bias_bits;	/* 32 * out, or 0 */
	uint64_t bits, bytes;
	uint64_t params, nonzero;	/* weights stored (dense count) and non-zero */
	uint64_t macs, macs_sparse;
};

/* ---- the per-layer pipeline (compress.c) ------------------------------- */

/* The weight, or one low-rank factor, of a compressed layer. */
struct wh_cfactor {
	int64_t rows, cols;	/* w: (out, in); u: (m, r); vt: (r, n) */
	float *w;		/* (rows, cols) final values, as the evaluator runs them */
	size_t zeros;		/* exact zeros in w */
	int qtype;		/* WH_Q_* */
	struct wh_qtensor q;	/* WH_Q_INT: the codes, scales and zero points */
	uint16_t *h;		/* WH_Q_FP16 / WH_Q_BF16: (rows, cols) raw 16-bit
				 * values; NULL otherwise */
};

/*
 * A compressed layer.  It owns every buffer it points to, independently of
 * the cache that made it; release with wh_compressed_release.
 */
struct wh_compressed {
	struct wh_layer_cfg cfg;	/* as applied: unused fields zeroed,
					 * WH_LR_ENERGY resolved to WH_LR_RANK,
					 * act fields 0 */
	int rank;		/* 0, or the low-rank rank */
	int spatial;		/* 1 when the spatial view was factored */
	double energy;		/* fraction of sum s_i^2 kept by the rank (1 without) */
	int nfactors;		/* 1: f[0] is w; 2: f[0] is u, f[1] is vt */
	struct wh_cfactor f[2];
	/* For wh_eval_set_layer: rank, spatial, w or u and vt point into f[];
	 * act_bits, act_scale, act_zero are 0 for the caller to fill. */
	struct wh_layer_weights lw;
	struct wh_cost cost;	/* wh_cost_layer of this result */
};

/* Frees every buffer and zeroes the struct (which is the caller's). */
void wh_compressed_release(struct wh_compressed *c);
/* Deep copy into dst, which is overwritten (not released); dst->lw points
 * into dst's own buffers. */
void wh_compressed_copy(struct wh_compressed *dst, const struct wh_compressed *src);

/*
 * A layer's cache: singular values, full SVDs (computed on first use and
 * then sliced for any rank), and the last WH_LCACHE_MEMO results keyed by
 * their applied settings.  Not thread-safe: calls on one cache must be
 * serialized by the caller; different caches are independent.
 */
#define WH_LCACHE_MEMO 8

struct wh_lcache;

/* Work done by a cache, for tests and the status line. */
struct wh_lcache_stats {
	unsigned svals;		/* singular-value-only SVDs run (jobz 'N') */
	unsigned svd;		/* full SVDs run */
	unsigned computed;	/* results computed */
	unsigned hits;		/* results served from the memo */
};

/* Borrows l (and l->w), which must outlive the cache. */
struct wh_lcache *wh_lcache_new(const struct wh_layer *l);
void wh_lcache_free(struct wh_lcache *c);

/*
 * The singular values of w: (out, in), largest first, k = min(out, in);
 * computed once with jobz 'N'.  *s is owned by the cache, valid until it is
 * freed.  -1 and a message when the layer has max_rank 0 or LAPACK fails.
 * These (not those of a full SVD) pick the rank for WH_LR_ENERGY, so the
 * choice does not depend on the order of calls.
 */
int wh_lcache_svals(struct wh_lcache *c, const float **s, int *k, char **err);
/* The same for the spatial view (out * kh, cin * kw) of a Conv. */
int wh_lcache_svals_spatial(struct wh_lcache *c, const float **s, int *k,
    char **err);

/*
 * Applies cfg to the layer (low-rank, then pruning, then quantization) and
 * fills out, which the caller owns and releases with wh_compressed_release.
 * The result is memoized: the same applied settings (see
 * struct wh_compressed's cfg) return a copy without recomputation.  -1 and
 * a message when cfg fails wh_layer_cfg_check or LAPACK fails; out is then
 * zeroed.
 */
int wh_compress_layer(struct wh_lcache *c, const struct wh_layer_cfg *cfg,
    struct wh_compressed *out, char **err);

/* Frees the memoized results and the SVD vectors; singular values stay. */
void wh_lcache_trim(struct wh_lcache *c);
void wh_lcache_get_stats(const struct wh_lcache *c, struct wh_lcache_stats *st);

/*
 * uint8 asymmetric per-tensor parameters from observed activations x: (n):
 * lo, hi = min, max (WH_ACT_MINMAX) or the (100 - percentile)-th and
 * percentile-th percentiles (WH_ACT_PERCENTILE, see wh_percentile), then
 * extended to include 0; scale = (hi - lo) / 255, or 1 when that is not
 * positive and finite; zero = rintf(-lo / scale) clamped to 0..255.  NaN
 * is ignored.  -1 when calib is unknown or the percentile not in [0, 100].
 */
int wh_act_calibrate(const float *x, size_t n, int calib, float percentile,
    float *scale, int *zero);

/* The stored cost of the original float32 weight and bias. */
void wh_cost_layer_orig(const struct wh_layer *l, struct wh_cost *out);
/* The stored cost of a compressed layer c of l. */
void wh_cost_layer(const struct wh_layer *l, const struct wh_compressed *c,
    struct wh_cost *out);

#endif
