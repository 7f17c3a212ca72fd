/* prune.c - magnitude, global, structured (row) and N:M pruning */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/compress.h"
#include "whittle/stats.h"
#include "whittle/util.h"

/*
 * The magnitude of a float as an unsigned key: for non-negative floats the
 * bit pattern orders like the value, -0 equals +0 and NaN ranks above
 * infinity.
 */
static inline uint32_t
mag_key(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	return u & 0x7fffffffu;
}

static inline float
key_mag(uint32_t k)
{
	float f;

	memcpy(&f, &k, sizeof f);
	return f;
}

/* floor(frac * n + 0.5) with frac clamped to [0, 1]. */
static size_t
count_of(float frac, size_t n)
{
	double k;

	if (!(frac > 0))
		return 0;
	if (frac >= 1)
		return n;
	k = floor((double)frac * (double)n + 0.5);
	return k >= (double)n ? n : (size_t)k;
}

size_t
wh_count_zeros(const float *w, size_t n)
{
	size_t i, z = 0;

	for (i = 0; i < n; i++)
		z += w[i] == 0;
	return z;
}

size_t
wh_prune_threshold(float *w, size_t n, float threshold)
{
	size_t i, z = 0;

	for (i = 0; i < n; i++)
		if (fabsf(w[i]) < threshold) {
			w[i] = 0;
			z++;
		}
	return z;
}

size_t
wh_prune_sparsity(float *w, size_t n, float sparsity)
{
	size_t k = count_of(sparsity, n), i, below = 0, ties;
	uint32_t *keys, t;

	if (k == 0)
		return 0;
	if (k == n) {
		memset(w, 0, n * sizeof *w);
		return n;
	}
	keys = xmalloc(n * sizeof *keys);
	for (i = 0; i < n; i++)
		keys[i] = mag_key(w[i]);
	/* t: the magnitude of the last weight to go */
	t = wh_select_u32(keys, n, k - 1);
	free(keys);
	for (i = 0; i < n; i++)
		below += mag_key(w[i]) < t;
	/* of the weights at exactly t, the lowest indices go first */
	ties = k - below;
	for (i = 0; i < n; i++) {
		uint32_t m = mag_key(w[i]);

		if (m < t)
			w[i] = 0;
		else if (m == t && ties > 0) {
			w[i] = 0;
			ties--;
		}
	}
	return k;
}

struct mag_rec {
	uint32_t key;
	size_t i;
};

static int
cmp_mag_rec(const void *a, const void *b)
{
	const struct mag_rec *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->i < y->i ? -1 : (x->i > y->i);
}

size_t
wh_prune_sparsity_ref(float *w, size_t n, float sparsity)
{
	size_t k = count_of(sparsity, n), i;
	struct mag_rec *r;

	r = xmalloc((n ? n : 1) * sizeof *r);
	for (i = 0; i < n; i++) {
		r[i].key = mag_key(w[i]);
		r[i].i = i;
	}
	qsort(r, n, sizeof *r, cmp_mag_rec);
	for (i = 0; i < k; i++)
		w[r[i].i] = 0;
	free(r);
	return k;
}

float
wh_prune_global_threshold(const float *const *ws, const size_t *ns,
    int nlayers, float sparsity)
{
	size_t total = 0, k, i, j = 0;
	uint32_t *keys, t, top = 0;
	int l;

	for (l = 0; l < nlayers; l++)
		total += ns[l];
	k = count_of(sparsity, total);
	if (k == 0)
		return 0;
	keys = xmalloc(total * sizeof *keys);
	for (l = 0; l < nlayers; l++)
		for (i = 0; i < ns[l]; i++) {
			keys[j] = mag_key(ws[l][i]);
			if (keys[j] > top)
				top = keys[j];
			j++;
		}
	if (k == total) {
		free(keys);
		return nextafterf(key_mag(top), INFINITY);
	}
	t = wh_select_u32(keys, total, k);
	free(keys);
	return key_mag(t);
}

/* w: (out, in) -> norm: (out), sum |w| or sum w^2 per row in double. */
static void
row_norms(const float *w, int64_t out, int64_t in, int norm, double *nr)
{
	int64_t o, i;

	for (o = 0; o < out; o++) {
		const float *r = w + (size_t)o * (size_t)in;
		double s = 0;

		for (i = 0; i < in; i++)
			s += norm == 1 ? fabs((double)r[i]) : (double)r[i] * r[i];
		nr[o] = s;
	}
}

struct norm_rec {
	double norm;
	int64_t row;
};

static int
cmp_norm_rec(const void *a, const void *b)
{
	const struct norm_rec *x = a, *y = b;

	if (x->norm != y->norm)
		return x->norm < y->norm ? -1 : 1;
	return x->row < y->row ? -1 : (x->row > y->row);
}

int64_t
wh_prune_channels(float *w, int64_t out, int64_t in, float sparsity, int norm)
{
	int64_t k = (int64_t)count_of(sparsity, (size_t)out), o;
	struct norm_rec *r;
	double *nr;

	if (k == 0)
		return 0;
	nr = xmalloc((size_t)out * sizeof *nr);
	r = xmalloc((size_t)out * sizeof *r);
	row_norms(w, out, in, norm, nr);
	for (o = 0; o < out; o++) {
		r[o].norm = nr[o];
		r[o].row = o;
	}
	qsort(r, (size_t)out, sizeof *r, cmp_norm_rec);
	for (o = 0; o < k; o++)
		memset(w + (size_t)r[o].row * (size_t)in, 0, (size_t)in * sizeof *w);
	free(r);
	free(nr);
	return k;
}

int64_t
wh_prune_channels_ref(float *w, int64_t out, int64_t in, float sparsity,
    int norm)
{
	int64_t k = (int64_t)count_of(sparsity, (size_t)out), o, p, before;
	double *nr;
	unsigned char *go;

	if (out <= 0)
		return 0;
	nr = xmalloc((size_t)out * sizeof *nr);
	go = xcalloc((size_t)out, 1);
	row_norms(w, out, in, norm, nr);
	/* a row goes when fewer than k rows come before it */
	for (o = 0; o < out; o++) {
		before = 0;
		for (p = 0; p < out; p++)
			if (nr[p] < nr[o] || (nr[p] == nr[o] && p < o))
				before++;
		go[o] = before < k;
	}
	for (o = 0; o < out; o++)
		if (go[o])
			memset(w + (size_t)o * (size_t)in, 0, (size_t)in * sizeof *w);
	free(go);
	free(nr);
	return k;
}

void
wh_prune_nm(float *w, int64_t out, int64_t in, int n, int m)
{
	uint64_t key[WH_NM_MAX];
	int64_t o, c0;

	if (n <= 0 || m <= n || m > WH_NM_MAX)
		return;
	for (o = 0; o < out; o++) {
		float *r = w + (size_t)o * (size_t)in;

		for (c0 = 0; c0 < in; c0 += m) {
			int len = in - c0 < m ? (int)(in - c0) : m;
			int keep = n < len ? n : len, i, j;

			/* insertion sort of (magnitude, position) */
			for (i = 0; i < len; i++) {
				uint64_t x = (uint64_t)mag_key(r[c0 + i]) << 8 | (uint64_t)i;

				for (j = i; j > 0 && key[j - 1] > x; j--)
					key[j] = key[j - 1];
				key[j] = x;
			}
			for (i = 0; i < len - keep; i++)
				r[c0 + (int64_t)(key[i] & 0xff)] = 0;
		}
	}
}

void
wh_prune_nm_ref(float *w, int64_t out, int64_t in, int n, int m)
{
	unsigned char go[WH_NM_MAX];
	int64_t o, c0;

	if (n <= 0 || m <= n || m > WH_NM_MAX)
		return;
	for (o = 0; o < out; o++) {
		float *r = w + (size_t)o * (size_t)in;

		for (c0 = 0; c0 < in; c0 += m) {
			int len = in - c0 < m ? (int)(in - c0) : m;
			int keep = n < len ? n : len, i, j, after;

			/* a weight stays when fewer than keep weights come
			 * after it in magnitude order */
			for (i = 0; i < len; i++) {
				float a = fabsf(r[c0 + i]);

				after = 0;
				for (j = 0; j < len; j++) {
					float b = fabsf(r[c0 + j]);

					if (b > a || (b == a && j > i))
						after++;
				}
				go[i] = after >= keep;
			}
			for (i = 0; i < len; i++)
				if (go[i])
					r[c0 + i] = 0;
		}
	}
}
