/* kernel-avx512.c - the fast convolution and linear-layer paths for x86-64
 * with AVX-512F, chosen at run time by op-conv.c and op-gemm.c */
#include <stdint.h>
#include <string.h>

#include "op.h"

/* the AVX-512 kernels, unless built with -DWH_NO_AVX512 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(WH_NO_AVX512)
#define WH_AVX512 1
#include <immintrin.h>
#define TARGET_AVX512 __attribute__((target("avx512f")))
#endif

/*
 * Dense convolution with the output channels along the vector, for x86-64
 * with AVX-512F (checked at run time; elsewhere the im2col path runs).
 *
 * Each sample is first copied into a zero-padded buffer split by column
 * phase, xp: (sw, c, hp, wq) with xp[r][ci][iy][lo + j] = padded
 * x[ci][iy][j*sw+r] (lo: so that rows copy to aligned places when sw is 1),
 * so that for every kernel tap, stride and dilation P neighbouring outputs
 * of a row read P consecutive floats.  A tile of P outputs x 16 V channels
 * then stays in registers across all c * kh * kw taps: one weight load and
 * P broadcasts per tap.  Every output is a single chain of fused multiply-adds
 * over the taps in (ci, ky, kx) order, whatever the batch or the thread.
 * The epilogue (bias, BN scale and shift, relu) runs on the registers, and a
 * 2 x 2 max pool that alone reads the output can be folded in (fconv_pool).
 */
#define FC_ALIGN 16		/* floats: 64 bytes */

struct fconv {
	const struct wh_op *o;
	int64_t taps;		/* c * kh * kw */
	int64_t ocp;		/* oc rounded up to 16 */
	int64_t hp, wq, lo;	/* padded rows; row stride; first column */
	const float *bias, *scale, *shift;
	float *wt;		/* (taps, ocp): the weight, channel fastest */
	int32_t *off;		/* (taps): where each tap starts after x0 */
	float *xp;		/* (sw, c, hp, wq): one padded sample */
	float *x0;		/* xp + lo */
	float *out;		/* (nout, ocp): finished outputs */
	int64_t nout;		/* max(ow, 256) */
};

static int64_t
round16(int64_t v)
{
	return (v + 15) / 16 * 16;
}

/* The shape of xp for op o: padded rows, row stride, first column. */
static void
fconv_geom(const struct wh_op *o, int64_t *hp, int64_t *wq, int64_t *lo)
{
	*hp = o->h + o->pt + o->pb;
	if (o->sw == 1) {
		*lo = (16 - o->pl % 16) % 16;
		*wq = round16(*lo + o->w + o->pl + o->pr);
	} else {
		*lo = 0;
		*wq = (o->w + o->pl + o->pr + o->sw - 1) / o->sw;
	}
}

/* Floats of scratch the path needs for op o. */
size_t
wh_fconv_scratch(const struct wh_op *o)
{
	int64_t taps = o->c * o->kh * o->kw, ocp = round16(o->oc), hp, wq, lo;

	fconv_geom(o, &hp, &wq, &lo);
	return (size_t)(round16(taps * ocp) + round16(taps) +
	    round16(o->sw * o->c * hp * wq) + (o->ow > 256 ? o->ow : 256) *
	    ocp + FC_ALIGN);
}

/* Whether op o (a convolution) with override lw takes this path. */
int
wh_fconv_ok(const struct wh_op *o, const struct wh_layer_weights *lw)
{
#ifdef WH_AVX512
	int64_t hp = o->h + o->pt + o->pb, wp = o->w + o->pl + o->pr, wq, lo;

	if (o->group != 1 || (lw != NULL && lw->rank > 0) || o->oh < 1 ||
	    o->ow < 1 || o->sh < 1 || o->sw < 1 || o->dh < 1 || o->dw < 1 ||
	    o->pt < 0 || o->pl < 0 || o->pb < 0 || o->pr < 0)
		return 0;
	/* every tap of every output inside the padded input */
	if ((o->oh - 1) * o->sh + (o->kh - 1) * o->dh >= hp ||
	    (o->ow - 1) * o->sw + (o->kw - 1) * o->dw >= wp)
		return 0;
	fconv_geom(o, &hp, &wq, &lo);
	if (o->sw * o->c * hp * wq > INT32_MAX)
		return 0;
	return __builtin_cpu_supports("avx512f");
#else
	(void)o;
	(void)lw;
	return 0;
#endif
}

/* The max pool after convolution o that fconv_run can fold in, or NULL. */
const struct wh_op *
wh_fconv_pool(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw)
{
	const struct wh_op *p = o + 1;
	int q = (int)(o - g->ops);

	if (o->kind != OP_CONV || q + 1 >= g->nops || !wh_fconv_ok(o, lw) ||
	    !wh_is_maxpool_2x2(p))
		return NULL;
	/* the pool is the only reader of the convolution's own buffer */
	if (p->in[0] != o->out || g->t[o->out].alias >= 0 ||
	    g->t[o->out].last != q + 1 || p->c != o->oc || p->h != o->oh ||
	    p->w != o->ow)
		return NULL;
	return p;
}

#ifdef WH_AVX512
/* Lanes of the 16 channels from c0 that exist. */
static inline __mmask16
lanes(int64_t oc, int64_t c0)
{
	int64_t left = oc - c0;

	return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
}

/* Carves scratch and repacks w: (oc, taps) -> wt: (taps, ocp). */
TARGET_AVX512 static void
fconv_setup(struct fconv *f, const struct wh_graph *g, const struct wh_op *o,
    const float *w, float *scratch)
{
	const struct wh_layer *l = &g->layers[o->layer];
	float *s = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
	int64_t t, c, ci, ky, kx, nxp;

	f->o = o;
	f->taps = o->c * o->kh * o->kw;
	f->ocp = round16(o->oc);
	fconv_geom(o, &f->hp, &f->wq, &f->lo);
	f->bias = l->bias;
	f->scale = o->ep_scale;
	f->shift = o->ep_shift;
	f->wt = s;
	s += round16(f->taps * f->ocp);
	f->off = (int32_t *)s;
	s += round16(f->taps);
	f->xp = s;
	f->x0 = s + f->lo;
	nxp = o->sw * o->c * f->hp * f->wq;
	s += round16(nxp);
	f->out = s;
	f->nout = o->ow > 256 ? o->ow : 256;
	for (t = 0; t < f->taps; t++)
		for (c = 0; c < f->ocp; c++)
			f->wt[t * f->ocp + c] = c < o->oc ? w[c * f->taps + t] : 0;
	for (ci = 0; ci < o->c; ci++)
		for (ky = 0; ky < o->kh; ky++)
			for (kx = 0; kx < o->kw; kx++) {
				int64_t col = kx * o->dw;

				f->off[(ci * o->kh + ky) * o->kw + kx] = (int32_t)
				    (((col % o->sw) * o->c + ci) * f->hp * f->wq +
				    ky * o->dh * f->wq + col / o->sw);
			}
	/* the padding stays zero: samples overwrite only the interior */
	memset(f->xp, 0, nxp * sizeof *f->xp);
}

/* x: (c, h, w) -> the interior of xp */
TARGET_AVX512 static void
fconv_load(const struct fconv *f, const float *x)
{
	const struct wh_op *o = f->o;
	int64_t ci, iy, ix, r, j;

	if (o->sw == 1) {
		for (ci = 0; ci < o->c; ci++)
			for (iy = 0; iy < o->h; iy++) {
				const float *src = x + (ci * o->h + iy) * o->w;
				float *dst = f->x0 + (ci * f->hp + iy + o->pt) *
				    f->wq + o->pl;

				/* aligned; the zeros past the row land in
				 * its padding */
				for (ix = 0; ix < o->w; ix += 16)
					_mm512_store_ps(dst + ix,
					    _mm512_maskz_loadu_ps(lanes(o->w, ix),
					    src + ix));
			}
		return;
	}
	for (r = 0; r < o->sw; r++)
		for (ci = 0; ci < o->c; ci++)
			for (iy = 0; iy < o->h; iy++) {
				const float *src = x + (ci * o->h + iy) * o->w;
				float *dst = f->x0 + ((r * o->c + ci) * f->hp + iy +
				    o->pt) * f->wq;

				for (j = 0; j < f->wq; j++) {
					ix = j * o->sw + r - o->pl;
					if (ix >= 0 && ix < o->w)
						dst[j] = src[ix];
				}
			}
}

/* As epilogue_rows: (y + b) * s + t, then relu. */
static inline __attribute__((always_inline)) TARGET_AVX512 __m512
fconv_epilogue(const struct fconv *f, __m512 y, __m512 b, __m512 sc,
    __m512 sh)
{
	if (f->scale)
		y = _mm512_add_ps(_mm512_mul_ps(_mm512_add_ps(y, b), sc), sh);
	else if (f->bias)
		y = _mm512_add_ps(y, b);
	if (f->o->ep_relu)
		y = _mm512_max_ps(y, _mm512_setzero_ps());
	return y;
}

/*
 * One tile: R rows of P outputs x 16 V channels from c0, each the epilogue
 * of the sum over taps t of wt[t][c] * x[r * rs + off[t] + p], x: xp at the
 * tile's first output, w: wt + c0.  R = 1: out: (P, ocp) at channel c0, the
 * outputs.  R = 2 (P even): out: (P / 2, ocp), the max of each 2 x 2
 * window, compared as maxpool_2x2 does.
 */
static inline __attribute__((always_inline)) TARGET_AVX512 void
fconv_tile(const struct fconv *f, const float *x, const float *w, float *out,
    int64_t c0, const int V, const int R, const int P)
{
	__m512 acc[2][2][28], zero = _mm512_setzero_ps();
	int64_t t, rs = f->o->sh * f->wq;
	int p, r, v;

#pragma GCC unroll 28
	for (p = 0; p < P; p++)
#pragma GCC unroll 2
		for (r = 0; r < R; r++)
#pragma GCC unroll 2
			for (v = 0; v < V; v++)
				acc[v][r][p] = zero;
	for (t = 0; t < f->taps; t++) {
		const float *xr[2] = { x + f->off[t], x + f->off[t] + rs };
		__m512 w0 = _mm512_load_ps(w + t * f->ocp);
		__m512 w1 = V > 1 ? _mm512_load_ps(w + t * f->ocp + 16) : zero;

#pragma GCC unroll 2
		for (r = 0; r < R; r++) {
#pragma GCC unroll 28
			for (p = 0; p < P; p++) {
				__m512 b = _mm512_set1_ps(xr[r][p]);

				acc[0][r][p] = _mm512_fmadd_ps(w0, b,
				    acc[0][r][p]);
				if (V > 1)
					acc[1][r][p] = _mm512_fmadd_ps(w1, b,
					    acc[1][r][p]);
			}
		}
	}
#pragma GCC unroll 2
	for (v = 0; v < V; v++) {
		__mmask16 m = lanes(f->o->oc, c0 + 16 * v);
		__m512 b = f->bias ? _mm512_maskz_loadu_ps(m, f->bias + c0 +
		    16 * v) : zero;
		__m512 sc = zero, sh = zero;

		if (f->scale) {
			sc = _mm512_maskz_loadu_ps(m, f->scale + c0 + 16 * v);
			sh = _mm512_maskz_loadu_ps(m, f->shift + c0 + 16 * v);
		}
		if (R == 1) {
#pragma GCC unroll 28
			for (p = 0; p < P; p++)
				_mm512_store_ps(out + p * f->ocp + 16 * v,
				    fconv_epilogue(f, acc[v][0][p], b, sc, sh));
			continue;
		}
#pragma GCC unroll 14
		for (p = 0; p < P; p += 2) {
			__m512 top = _mm512_max_ps(
			    fconv_epilogue(f, acc[v][0][p], b, sc, sh),
			    fconv_epilogue(f, acc[v][0][p + 1], b, sc, sh));
			__m512 bot = _mm512_max_ps(
			    fconv_epilogue(f, acc[v][1][p], b, sc, sh),
			    fconv_epilogue(f, acc[v][1][p + 1], b, sc, sh));

			_mm512_store_ps(out + p / 2 * f->ocp + 16 * v,
			    _mm512_max_ps(top, bot));
		}
	}
}

typedef void (*fconv_tile_fn)(const struct fconv *, const float *,
    const float *, float *, int64_t);

#define FCONV_TILE(V, R, P)						\
TARGET_AVX512 static void						\
fconv_tile_##V##_##R##_##P(const struct fconv *f, const float *x,	\
    const float *w, float *out, int64_t c0)				\
{									\
	fconv_tile(f, x, w, out, c0, V, R, P);				\
}
FCONV_TILE(1, 1, 28) FCONV_TILE(1, 1, 14) FCONV_TILE(1, 1, 8)
FCONV_TILE(1, 1, 7) FCONV_TILE(1, 1, 4) FCONV_TILE(1, 1, 2)
FCONV_TILE(1, 1, 1)
FCONV_TILE(2, 1, 14) FCONV_TILE(2, 1, 8) FCONV_TILE(2, 1, 7)
FCONV_TILE(2, 1, 4) FCONV_TILE(2, 1, 2) FCONV_TILE(2, 1, 1)
FCONV_TILE(1, 2, 14) FCONV_TILE(1, 2, 8) FCONV_TILE(1, 2, 4)
FCONV_TILE(1, 2, 2)
FCONV_TILE(2, 2, 6) FCONV_TILE(2, 2, 4) FCONV_TILE(2, 2, 2)

/* Tile widths, widest first, for one and two channel vectors: one row, or
 * two rows pooled. */
static const struct fconv_tiles {
	int p;
	fconv_tile_fn fn[2];
} fconv_tiles1[] = {
	{ 28, { fconv_tile_1_1_28, NULL } },
	{ 14, { fconv_tile_1_1_14, fconv_tile_2_1_14 } },
	{ 8, { fconv_tile_1_1_8, fconv_tile_2_1_8 } },
	{ 7, { fconv_tile_1_1_7, fconv_tile_2_1_7 } },
	{ 4, { fconv_tile_1_1_4, fconv_tile_2_1_4 } },
	{ 2, { fconv_tile_1_1_2, fconv_tile_2_1_2 } },
	{ 1, { fconv_tile_1_1_1, fconv_tile_2_1_1 } },
}, fconv_tiles2[] = {
	{ 14, { fconv_tile_1_2_14, NULL } },
	{ 8, { fconv_tile_1_2_8, NULL } },
	{ 6, { NULL, fconv_tile_2_2_6 } },
	{ 4, { fconv_tile_1_2_4, fconv_tile_2_2_4 } },
	{ 2, { fconv_tile_1_2_2, fconv_tile_2_2_2 } },
};

/*
 * Output row oy of the loaded sample -> row: (ow, ocp); or with pooled,
 * rows 2 oy and 2 oy + 1 pooled -> row: (pw, ocp).
 */
TARGET_AVX512 static void
fconv_row(const struct fconv *f, int64_t oy, float *row, int64_t pw)
{
	const struct wh_op *o = f->o;
	const struct fconv_tiles *tl = pw ? fconv_tiles2 : fconv_tiles1;
	const float *x = f->x0 + (pw ? 2 : 1) * oy * o->sh * f->wq;
	int64_t c0, ox, n = pw ? 2 * pw : o->ow;
	size_t i;

	for (c0 = 0; c0 < f->ocp; c0 += 32) {
		int v = f->ocp - c0 >= 32 ? 1 : 0;

		for (ox = 0; ox < n; ox += tl[i].p) {
			for (i = 0; tl[i].p > n - ox || tl[i].fn[v] == NULL;
			    i++)
				;
			tl[i].fn[v](f, x + ox, f->wt + c0, row + (pw ? ox / 2 :
			    ox) * f->ocp + c0, c0);
		}
	}
}

/* t: 16 rows of 16 -> its transpose, t[j][i] = t[i][j] */
static inline __attribute__((always_inline)) TARGET_AVX512 void
transpose16(__m512 *t)
{
	__m512 a[16], b[16];
	int i, k;

	for (i = 0; i < 16; i += 2) {
		a[i] = _mm512_unpacklo_ps(t[i], t[i + 1]);
		a[i + 1] = _mm512_unpackhi_ps(t[i], t[i + 1]);
	}
	/* b[4 g + k], 128-bit lane l: column 4 l + k of rows 4 g .. 4 g + 3 */
	for (i = 0; i < 16; i += 4) {
		b[i] = _mm512_shuffle_ps(a[i], a[i + 2], 0x44);
		b[i + 1] = _mm512_shuffle_ps(a[i], a[i + 2], 0xee);
		b[i + 2] = _mm512_shuffle_ps(a[i + 1], a[i + 3], 0x44);
		b[i + 3] = _mm512_shuffle_ps(a[i + 1], a[i + 3], 0xee);
	}
	for (k = 0; k < 4; k++) {
		__m512 v = _mm512_shuffle_f32x4(b[k], b[4 + k], 0x88);
		__m512 w = _mm512_shuffle_f32x4(b[k], b[4 + k], 0xdd);
		__m512 v2 = _mm512_shuffle_f32x4(b[8 + k], b[12 + k], 0x88);
		__m512 w2 = _mm512_shuffle_f32x4(b[8 + k], b[12 + k], 0xdd);

		t[k] = _mm512_shuffle_f32x4(v, v2, 0x88);
		t[4 + k] = _mm512_shuffle_f32x4(w, w2, 0x88);
		t[8 + k] = _mm512_shuffle_f32x4(v, v2, 0xdd);
		t[12 + k] = _mm512_shuffle_f32x4(w, w2, 0xdd);
	}
}

/* buf: (n, ocp) -> y[c * cs + i] for c < oc, i < n */
TARGET_AVX512 static void
fconv_store(const struct fconv *f, const float *buf, int64_t n, float *y,
    int64_t cs)
{
	int64_t i0, c0, oc = f->o->oc;
	int i, j;

	for (i0 = 0; i0 < n; i0 += 16) {
		int64_t m = n - i0 < 16 ? n - i0 : 16;

		if (m <= 4) {
			/* a short tail: not worth a transpose */
			for (c0 = 0; c0 < oc; c0++)
				for (i = 0; i < m; i++)
					y[c0 * cs + i0 + i] = buf[(i0 + i) *
					    f->ocp + c0];
			break;
		}
		for (c0 = 0; c0 < oc; c0 += 16) {
			__m512 t[16];
			int nc = oc - c0 < 16 ? (int)(oc - c0) : 16;

			for (i = 0; i < 16; i++)
				t[i] = i < m ? _mm512_load_ps(buf + (i0 + i) *
				    f->ocp + c0) : _mm512_setzero_ps();
			transpose16(t);
			for (j = 0; j < nc; j++) {
				float *d = y + (c0 + j) * cs + i0;

				if (m == 16)
					_mm512_storeu_ps(d, t[j]);
				else
					_mm512_mask_storeu_ps(d, lanes(n, i0),
					    t[j]);
			}
		}
	}
}

/* Asks for the next sample while this one computes. */
static void
fconv_prefetch(const float *x, int64_t n)
{
	int64_t i;

	for (i = 0; i < n; i += 16)
		__builtin_prefetch(x + i);
}

/*
 * x: (n, c, h, w), w: (oc, c, kh, kw) -> y: (n, oc, oh, ow), or with pool
 * y: (n, oc, oh / 2, ow / 2) of pool's output
 */
TARGET_AVX512 void
wh_fconv_run(const struct wh_graph *g, const struct wh_op *o, const float *w,
    const float *x, float *y, size_t n, float *scratch,
    const struct wh_op *pool)
{
	struct fconv f;
	int64_t in_ss = o->c * o->h * o->w, r0, r, nr, rpf;
	int64_t yh = pool ? pool->oh : o->oh, yw = pool ? pool->ow : o->ow;
	size_t s;

	fconv_setup(&f, g, o, w, scratch);
	/* finished rows gather in f.out; each channel's are contiguous in y */
	rpf = f.nout / yw;
	for (s = 0; s < n; s++) {
		float *ys = y + s * o->oc * yh * yw;

		fconv_load(&f, x + s * in_ss);
		if (s + 1 < n)
			fconv_prefetch(x + (s + 1) * in_ss, in_ss);
		for (r0 = 0; r0 < yh; r0 += rpf) {
			nr = yh - r0 < rpf ? yh - r0 : rpf;
			for (r = 0; r < nr; r++)
				fconv_row(&f, r0 + r, f.out + r * yw * f.ocp,
				    pool ? yw : 0);
			fconv_store(&f, f.out, nr * yw, ys + r0 * yw, yh * yw);
		}
	}
}
#endif

/*
 * Dense linear layer with the rows (samples) along the vector, AVX-512F as
 * fconv: for each block of up to 64 rows of x, xt: (k, 64) is its transpose
 * (zero past the block), and yt: (out, 64) = w (out, k) . xt, so that each
 * weight is read in place and broadcast once per block; R outputs x 64 rows
 * stay in registers across k.  Every output sums k in blocks of FL_BLOCK,
 * each one chain of fused multiply-adds in order, and adds the blocks' sums
 * in order (as BLAS libraries block k), whichever lane its row falls in.
 */
#define FL_ROWS 64
#define FL_BLOCK 256		/* k per partial sum */

/* Floats of scratch flin_run needs for op o. */
size_t
wh_flin_scratch(const struct wh_op *o)
{
	return (size_t)(o->c * FL_ROWS + 6 * FL_ROWS + FC_ALIGN);
}

#ifdef WH_AVX512
/* Whether op o (a linear layer) with override lw takes this path. */
int
wh_flin_ok(const struct wh_op *o, const struct wh_layer_weights *lw)
{
	return (lw == NULL || lw->rank == 0) && o->c > 0 && o->oc > 0 &&
	    __builtin_cpu_supports("avx512f");
}

/* x: (m <= 64, k) -> xt: (k, 64), zero in rows m .. 63 */
TARGET_AVX512 static void
flin_transpose(const float *x, int64_t m, int64_t k, float *xt)
{
	int64_t k0, i0;
	int i, j;

	for (k0 = 0; k0 < k; k0 += 16) {
		__mmask16 km = lanes(k, k0);
		int nk = k - k0 < 16 ? (int)(k - k0) : 16;

		for (i0 = 0; i0 < FL_ROWS; i0 += 16) {
			__m512 t[16];

			for (i = 0; i < 16; i++)
				t[i] = i0 + i < m ? _mm512_maskz_loadu_ps(km,
				    x + (i0 + i) * k + k0) : _mm512_setzero_ps();
			transpose16(t);
			for (j = 0; j < nk; j++)
				_mm512_store_ps(xt + (k0 + j) * FL_ROWS + i0,
				    t[j]);
		}
	}
}

/*
 * out: (R, 64) = the epilogue of w[r] . xt for the R outputs from n0,
 * w: (R, k) rows of the weight.
 */
static inline __attribute__((always_inline)) TARGET_AVX512 void
flin_tile(const struct wh_graph *g, const struct wh_op *o, const float *w,
    const float *xt, int64_t n0, float *out, const int R)
{
	const float *bias = g->layers[o->layer].bias;
	__m512 acc[6][4], zero = _mm512_setzero_ps();
	int64_t k = o->c, k0, t;
	int r, v;

	for (k0 = 0; k0 < k; k0 += FL_BLOCK) {
		int64_t k1 = k - k0 < FL_BLOCK ? k : k0 + FL_BLOCK;

		for (r = 0; r < R; r++)
			for (v = 0; v < 4; v++)
				acc[r][v] = zero;
		for (t = k0; t < k1; t++) {
			const float *xv = xt + t * FL_ROWS;
			__m512 x0 = _mm512_load_ps(xv);
			__m512 x1 = _mm512_load_ps(xv + 16);
			__m512 x2 = _mm512_load_ps(xv + 32);
			__m512 x3 = _mm512_load_ps(xv + 48);

			for (r = 0; r < R; r++) {
				__m512 b = _mm512_set1_ps(w[r * k + t]);

				acc[r][0] = _mm512_fmadd_ps(b, x0, acc[r][0]);
				acc[r][1] = _mm512_fmadd_ps(b, x1, acc[r][1]);
				acc[r][2] = _mm512_fmadd_ps(b, x2, acc[r][2]);
				acc[r][3] = _mm512_fmadd_ps(b, x3, acc[r][3]);
			}
		}
		/* the blocks' sums add up in order in out */
		for (r = 0; r < R; r++)
			for (v = 0; v < 4; v++) {
				float *d = out + r * FL_ROWS + 16 * v;

				_mm512_store_ps(d, k0 == 0 ? acc[r][v] :
				    _mm512_add_ps(_mm512_load_ps(d), acc[r][v]));
			}
	}
	for (r = 0; r < R; r++) {
		/* as epilogue_cols: + bias, * scale + shift, relu */
		__m512 b = bias ? _mm512_set1_ps(bias[n0 + r]) : zero;
		__m512 sc = o->ep_scale ? _mm512_set1_ps(o->ep_scale[n0 + r]) :
		    zero;
		__m512 sh = o->ep_scale ? _mm512_set1_ps(o->ep_shift[n0 + r]) :
		    zero;

		for (v = 0; v < 4; v++) {
			__m512 y = _mm512_load_ps(out + r * FL_ROWS + 16 * v);

			if (bias)
				y = _mm512_add_ps(y, b);
			if (o->ep_scale)
				y = _mm512_add_ps(_mm512_mul_ps(y, sc), sh);
			if (o->ep_relu)
				y = _mm512_max_ps(y, zero);
			_mm512_store_ps(out + r * FL_ROWS + 16 * v, y);
		}
	}
}

#define FLIN_TILE(R)							\
TARGET_AVX512 static void						\
flin_tile_##R(const struct wh_graph *g, const struct wh_op *o,		\
    const float *w, const float *xt, int64_t n0, float *out)		\
{									\
	flin_tile(g, o, w, xt, n0, out, R);				\
}
FLIN_TILE(6) FLIN_TILE(4) FLIN_TILE(2) FLIN_TILE(1)

/* x: (m, k), w: (out, k) -> y: (m, out) = x . w^T and the epilogue */
TARGET_AVX512 void
wh_flin_run(const struct wh_graph *g, const struct wh_op *o, const float *w,
    const float *x, float *y, int64_t m, float *scratch)
{
	float *xt = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
	float *out = xt + o->c * FL_ROWS;
	int64_t k = o->c, nout = o->oc, m0, n0, mb, i;
	int r, R;

	for (m0 = 0; m0 < m; m0 += FL_ROWS) {
		mb = m - m0 < FL_ROWS ? m - m0 : FL_ROWS;
		flin_transpose(x + m0 * k, mb, k, xt);
		for (n0 = 0; n0 < nout; n0 += R) {
			R = nout - n0 >= 6 ? 6 : nout - n0 >= 4 ? 4 :
			    nout - n0 >= 2 ? 2 : 1;
			(R == 6 ? flin_tile_6 : R == 4 ? flin_tile_4 :
			    R == 2 ? flin_tile_2 : flin_tile_1)(g, o,
			    w + n0 * k, xt, n0, out);
			for (r = 0; r < R; r++)
				for (i = 0; i < mb; i++)
					y[(m0 + i) * nout + n0 + r] =
					    out[r * FL_ROWS + i];
		}
	}
}
#endif

#ifndef WH_AVX512
/* never called: wh_fconv_ok and wh_flin_ok are 0 without AVX-512 */
void
wh_fconv_run(const struct wh_graph *g, const struct wh_op *o, const float *w,
    const float *x, float *y, size_t n, float *scratch,
    const struct wh_op *pool)
{
	(void)g; (void)o; (void)w; (void)x; (void)y; (void)n; (void)scratch;
	(void)pool;
}

int
wh_flin_ok(const struct wh_op *o, const struct wh_layer_weights *lw)
{
	(void)o;
	(void)lw;
	return 0;
}

void
wh_flin_run(const struct wh_graph *g, const struct wh_op *o, const float *w,
    const float *x, float *y, int64_t m, float *scratch)
{
	(void)g; (void)o; (void)w; (void)x; (void)y; (void)m; (void)scratch;
}
#endif
