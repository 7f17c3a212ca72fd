/* lowrank.c - truncated SVD factors and the spatial view of Conv weights */

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "whittle/compress.h"
#include "whittle/util.h"

/*
 * The row-major (m, n) matrix is the column-major (n, m) matrix w^T, whose
 * SVD is V S U^T: LAPACK's column-major "u" of w^T, (n, k) with leading
 * dimension n, is our row-major vt: (k, n), and its "vt", (k, m) with
 * leading dimension k, is our row-major u: (m, k).  Calling the
 * column-major _work routine this way needs no transposed copies (LAPACKE's
 * row-major path makes three) and never prints: the workspace comes from
 * xmalloc.
 */
int
wh_svd(const float *w, int64_t m, int64_t n, float *u, float *s, float *vt,
    char **err)
{
	float *a, *work, q;
	lapack_int *iwork, info, lwork, k = (lapack_int)(m < n ? m : n);
	size_t cnt, i;
	char jobz = u != NULL && vt != NULL ? 'S' : 'N';

	if (m <= 0 || n <= 0)
		return wh_error(err, "SVD of an empty (%lld, %lld) matrix",
		    (long long)m, (long long)n);
	if (m > INT_MAX / 8 || n > INT_MAX / 8 ||
	    wh_mul_size((size_t)m, (size_t)n, &cnt) == -1)
		return wh_error(err, "matrix (%lld, %lld) is too large for LAPACK",
		    (long long)m, (long long)n);
	for (i = 0; i < cnt; i++)
		if (!isfinite(w[i]))
			return wh_error(err, "matrix (%lld, %lld) holds a non-finite "
			    "value at %zu", (long long)m, (long long)n, i);
	a = xmalloc(cnt * sizeof *a);
	memcpy(a, w, cnt * sizeof *a);
	iwork = xmalloc(8 * (size_t)k * sizeof *iwork);
	info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, jobz, (lapack_int)n,
	    (lapack_int)m, a, (lapack_int)n, s, vt, (lapack_int)n, u, k, &q, -1,
	    iwork);
	if (info == 0) {
		/* the query answers in a float, which may have rounded down */
		double want = ceil((double)q * (1 + 1e-6)) + 1;

		if (want > INT_MAX) {
			free(iwork);
			free(a);
			return wh_error(err, "SVD of a (%lld, %lld) matrix needs more "
			    "workspace than LAPACK can index", (long long)m,
			    (long long)n);
		}
		lwork = (lapack_int)want;
		work = xmalloc((size_t)(lwork > 1 ? lwork : 1) * sizeof *work);
		info = LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, jobz, (lapack_int)n,
		    (lapack_int)m, a, (lapack_int)n, s, vt, (lapack_int)n, u, k,
		    work, lwork, iwork);
		free(work);
	}
	free(iwork);
	free(a);
	if (info != 0)
		return wh_error(err, "SVD of a (%lld, %lld) matrix: LAPACK sgesdd "
		    "failed (info %d)", (long long)m, (long long)n, (int)info);
	return 0;
}

void
wh_lowrank_split(const float *u_full, const float *s, const float *vt_full,
    int64_t m, int64_t n, int k, int r, float *u, float *vt)
{
	int64_t i, j;

	for (i = 0; i < m; i++)
		for (j = 0; j < r; j++)
			u[i * r + j] = u_full[i * k + j] * sqrtf(s[j]);
	for (j = 0; j < r; j++) {
		float g = sqrtf(s[j]);

		for (i = 0; i < n; i++)
			vt[j * n + i] = g * vt_full[j * n + i];
	}
}

int
wh_lowrank(const float *w, int64_t m, int64_t n, int r, float *u, float *vt,
    char **err)
{
	int64_t k = m < n ? m : n;
	float *uf, *s, *vf;

	if (r < 1 || r > k)
		return wh_error(err, "rank %d of a (%lld, %lld) matrix: must be 1 "
		    "to %lld", r, (long long)m, (long long)n, (long long)k);
	uf = xmalloc((size_t)m * (size_t)k * sizeof *uf);
	s = xmalloc((size_t)k * sizeof *s);
	vf = xmalloc((size_t)k * (size_t)n * sizeof *vf);
	if (wh_svd(w, m, n, uf, s, vf, err) == -1) {
		free(uf);
		free(s);
		free(vf);
		return -1;
	}
	wh_lowrank_split(uf, s, vf, m, n, (int)k, r, u, vt);
	free(uf);
	free(s);
	free(vf);
	return 0;
}

void
wh_lowrank_product(const float *u, const float *vt, int64_t m, int64_t n,
    int r, float *w)
{
	if (m <= 0 || n <= 0)
		return;
	if (r <= 0) {
		memset(w, 0, (size_t)m * (size_t)n * sizeof *w);
		return;
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)m,
	    (blasint)n, r, 1.0f, u, r, vt, (blasint)n, 0.0f, w, (blasint)n);
}

void
wh_lowrank_product_ref(const float *u, const float *vt, int64_t m, int64_t n,
    int r, float *w)
{
	int64_t i, j;
	int p;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			double acc = 0;

			for (p = 0; p < r; p++)
				acc += (double)u[i * r + p] * vt[p * n + j];
			w[i * n + j] = (float)acc;
		}
}

void
wh_spatial_from_conv(const float *w, int64_t out, int64_t cin, int64_t kh,
    int64_t kw, float *ws)
{
	int64_t o, c, y, x, cols = cin * kw;

	for (o = 0; o < out; o++)
		for (c = 0; c < cin; c++)
			for (y = 0; y < kh; y++)
				for (x = 0; x < kw; x++)
					ws[(o * kh + y) * cols + c * kw + x] =
					    w[((o * cin + c) * kh + y) * kw + x];
}

void
wh_spatial_to_conv(const float *ws, int64_t out, int64_t cin, int64_t kh,
    int64_t kw, float *w)
{
	int64_t o, c, y, x, cols = cin * kw;

	for (o = 0; o < out; o++)
		for (c = 0; c < cin; c++)
			for (y = 0; y < kh; y++)
				for (x = 0; x < kw; x++)
					w[((o * cin + c) * kh + y) * kw + x] =
					    ws[(o * kh + y) * cols + c * kw + x];
}

int
wh_lowrank_saving_rank(const struct wh_layer *l, int spatial)
{
	int64_t m, n, r;
	int max = wh_lowrank_max_rank(l, spatial);

	if (max == 0)
		return 0;
	m = spatial ? l->out * l->kh : l->out;
	n = spatial ? l->cin * l->kw : l->in;
	/* the largest r with r (m + n) < m n */
	r = (m * n - 1) / (m + n);
	return r < max ? (int)r : max;
}

int
wh_lowrank_max_rank(const struct wh_layer *l, int spatial)
{
	int64_t m, n, k;

	if (!spatial)
		return l->max_rank;
	if (l->kind != WH_LAYER_CONV || l->group != 1 || l->max_rank == 0)
		return 0;
	m = l->out * l->kh;
	n = l->cin * l->kw;
	k = m < n ? m : n;
	return k > INT_MAX ? INT_MAX : (int)k;
}
