/* test-data.c - IDX and NPY loading, preprocessing, corrupt files */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "whittle/data.h"
#include "whittle/util.h"
#include "tap.h"

#ifndef WH_DATADIR
#define WH_DATADIR "/usr/share/datasets"
#endif

static char tmpdir[PATH_MAX];

/* A path in the temp directory; each call gets a fresh string to free. */
static char *
tmp(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void
make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(tmpdir, sizeof tmpdir, "%s/whittle-test-XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		exit(1);
	}
}

static void
remove_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	char *sub;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	dir = opendir(path);
	if (dir != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = xasprintf("%s/%s", path, de->d_name);
			remove_tree(sub);
			free(sub);
		}
		closedir(dir);
	}
	rmdir(path);
}

/* A growable byte buffer for building files. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
put_be32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { v >> 24, v >> 16, v >> 8, v };

	put(b, c, 4);
}

/* n bytes of v, little-endian. */
static void
put_le(struct buf *b, uint64_t v, int n)
{
	unsigned char c[8];
	int i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	put(b, c, (size_t)n);
}

static void
put_f32(struct buf *b, float f, int big)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	if (big)
		put_be32(b, u);
	else
		put_le(b, u, 4);
}

static void
idx_header(struct buf *b, int type, int ndims, const uint32_t *dims)
{
	unsigned char magic[4] = { 0, 0, (unsigned char)type,
	    (unsigned char)ndims };
	int i;

	put(b, magic, 4);
	for (i = 0; i < ndims; i++)
		put_be32(b, dims[i]);
}

/*
 * NPY magic, version major.0, header length (2 bytes for 1.0, else 4), the
 * dict padded with spaces and a newline to a multiple of 64 bytes; hlen,
 * when not 0, overrides the stored length.
 */
static void
npy_header(struct buf *b, int major, const char *dict, uint32_t hlen)
{
	static const unsigned char magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };
	size_t pre = major == 1 ? 10 : 12, n = strlen(dict), pad;
	unsigned char ver[2] = { (unsigned char)major, 0 };

	pad = 64 - (pre + n + 1) % 64;
	if (pad == 64)
		pad = 0;
	put(b, magic, 6);
	put(b, ver, 2);
	put_le(b, hlen != 0 ? hlen : n + pad + 1, major == 1 ? 2 : 4);
	put(b, dict, n);
	while (pad-- > 0)
		put(b, " ", 1);
	put(b, "\n", 1);
}

/* In-memory gzip of p. */
static void
gzip_bytes(const unsigned char *p, size_t n, struct buf *out)
{
	z_stream zs;
	unsigned char chunk[4096];
	int ret;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		printf("Bail out! deflateInit2\n");
		exit(1);
	}
	zs.next_in = (unsigned char *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof chunk;
		ret = deflate(&zs, Z_FINISH);
		put(out, chunk, sizeof chunk - zs.avail_out);
	} while (ret == Z_OK);
	deflateEnd(&zs);
}

enum gz { PLAIN, GZ, GZ_CUT, GZ_CRC };

/* Writes b to tmpdir/name, plain or gzipped (or a damaged gzip). */
static char *
write_file(const char *name, const struct buf *b, enum gz gz)
{
	struct buf z = { 0 };
	const struct buf *w = b;
	char *path = tmp(name);
	FILE *f;

	if (gz != PLAIN) {
		gzip_bytes(b->p, b->len, &z);
		if (gz == GZ_CUT)
			z.len /= 2;
		else if (gz == GZ_CRC)
			z.p[z.len - 8] ^= 0x55;
		w = &z;
	}
	f = fopen(path, "wb");
	if (f == NULL || (w->len > 0 && fwrite(w->p, 1, w->len, f) != w->len) ||
	    fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	free(z.p);
	return path;
}

/* The value of pixel i in generated uint8 sets. */
static unsigned char
pix(size_t i)
{
	return (unsigned char)((i * 37 + 11) % 256);
}

/* Deterministic float data, as in ggml's tests. */
static float
fval(size_t i)
{
	return 0.1f + 2.0f * cosf((float)i);
}

/* The preprocessing formula in float32, in the documented order. */
static float
expect_pre(float v, float scale, int use_scale, float m, float s)
{
	volatile float x = v;

	if (use_scale)
		x = x * scale;
	x = x - m;
	x = x / s;
	return x;
}

/* A uint8 IDX file of the given dims, values pix(i). */
static char *
make_idx_u8(const char *name, int ndims, const uint32_t *dims, enum gz gz)
{
	struct buf b = { 0 };
	size_t n = 1, i;
	char *path;
	int d;

	for (d = 0; d < ndims; d++)
		n *= dims[d];
	idx_header(&b, 0x08, ndims, dims);
	for (i = 0; i < n; i++) {
		unsigned char c = pix(i);

		put(&b, &c, 1);
	}
	path = write_file(name, &b, gz);
	free(b.p);
	return path;
}

/* IDX labels 0, 1, ..., k-1, 0, 1, ... for n samples. */
static char *
make_idx_labels(const char *name, uint32_t n, int k, enum gz gz)
{
	struct buf b = { 0 };
	uint32_t i;
	char *path;

	idx_header(&b, 0x08, 1, &n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(i % (uint32_t)k);

		put(&b, &c, 1);
	}
	path = write_file(name, &b, gz);
	free(b.p);
	return path;
}

static void
test_idx_u8(void)
{
	static const uint32_t dims[3] = { 5, 4, 3 };
	struct wh_preproc pre = { 0 };
	struct wh_dataset *d;
	char *img, *lab, *err = NULL;
	float out[5 * 12], e;
	size_t i;
	int same = 1, labels_ok = 1;

	img = make_idx_u8("u8-images-idx3-ubyte.gz", 3, dims, GZ);
	lab = make_idx_labels("u8-labels-idx1-ubyte", 5, 3, PLAIN);
	d = wh_data_load(img, lab, 0, &err);
	ok(d != NULL, "idx3 uint8 gz + idx1 plain loads: %s",
	    err ? err : "ok");
	if (d == NULL) {
		free(err);
		free(img);
		free(lab);
		return;
	}
	ok(d->n == 5 && d->c == 1 && d->h == 4 && d->w == 3 &&
	    d->sample_ndim == 2 && wh_data_sample_size(d) == 12,
	    "idx3: 5 samples of 1x4x3");
	ok(d->u8 != NULL && d->f == NULL, "idx3: stored as uint8");
	for (i = 0; i < 60; i++)
		if (d->u8[i] != pix(i))
			same = 0;
	ok(same, "idx3: pixel values");
	for (i = 0; i < 5; i++)
		if (d->labels[i] != (int32_t)(i % 3))
			labels_ok = 0;
	ok(labels_ok && d->nclasses == 3, "idx1: labels 0 1 2 0 1, 3 classes");
	ok(strcmp(d->images_path, img) == 0 && strcmp(d->labels_path, lab) == 0,
	    "paths kept");

	pre.scale = 1.0f / 255.0f;
	pre.nmean = pre.nstd = 1;
	pre.mean[0] = 0.2860f;
	pre.std[0] = 0.3530f;
	wh_data_batch(d, 1, 4, &pre, 0, out);
	same = 1;
	for (i = 0; i < 48; i++) {
		e = expect_pre((float)pix(12 + i), pre.scale, 1, pre.mean[0],
		    pre.std[0]);
		if (out[i] != e)
			same = 0;
	}
	ok(same, "batch: (pixel * scale - mean) / std, exact in float32");

	pre.nmean = pre.nstd = 0;
	wh_data_batch(d, 0, 1, &pre, 0, out);
	ok(out[5] == (float)pix(5) * pre.scale, "batch: no mean or std");

	/* Past the end: the missing sample is zeros, nothing read. */
	for (i = 0; i < 24; i++)
		out[i] = 7.0f;
	wh_data_batch(d, 4, 2, NULL, 0, out);
	ok(out[0] == (float)pix(48) && out[11] == (float)pix(59) &&
	    out[12] == 0.0f && out[23] == 0.0f,
	    "batch: without preprocessing, and zeros past the end");
	wh_data_free(d);

	d = wh_data_load(img, lab, 3, &err);
	ok(d != NULL, "labels 0..2 fit max_class 3");
	wh_data_free(d);
	free(img);
	free(lab);
}

static void
test_idx4_channels(void)
{
	static const uint32_t dims[4] = { 3, 2, 2, 2 };
	struct wh_preproc pre = { 0 };
	struct wh_dataset *d;
	char *img, *lab, *err = NULL;
	float out[3 * 8];
	size_t i;
	int same = 1, ch;

	img = make_idx_u8("rgb.idx", 4, dims, PLAIN);
	lab = make_idx_labels("rgb-labels.idx", 3, 10, GZ);
	d = wh_data_load(img, lab, 10, &err);
	ok(d != NULL && d->n == 3 && d->c == 2 && d->h == 2 && d->w == 2 &&
	    d->sample_ndim == 3 && d->nclasses == 3,
	    "idx4: 3 samples of 2x2x2: %s", err ? err : "ok");
	if (d == NULL) {
		free(err);
		free(img);
		free(lab);
		return;
	}
	pre.scale = 1.0f / 255.0f;
	pre.nmean = pre.nstd = 2;
	pre.mean[0] = 0.485f;
	pre.mean[1] = 0.456f;
	pre.std[0] = 0.229f;
	pre.std[1] = 0.224f;
	wh_data_batch(d, 0, 3, &pre, 0, out);
	for (i = 0; i < 24; i++) {
		ch = (int)(i / 4 % 2);
		if (out[i] != expect_pre((float)pix(i), pre.scale, 1,
		    pre.mean[ch], pre.std[ch]))
			same = 0;
	}
	ok(same, "batch: per-channel mean and std in NCHW order");
	wh_data_free(d);
	free(img);
	free(lab);
}

static void
test_idx_float(void)
{
	static const uint32_t dims[3] = { 4, 2, 3 }, fdims[2] = { 4, 6 };
	struct wh_preproc pre = { 0 };
	struct buf b = { 0 };
	struct wh_dataset *d;
	char *img, *lab, *err = NULL;
	float out[24];
	size_t i;
	int same = 1, scaled = 1, stored = 1;

	idx_header(&b, 0x0d, 3, dims);
	for (i = 0; i < 24; i++)
		put_f32(&b, fval(i), 1);
	img = write_file("float-images.idx", &b, PLAIN);
	free(b.p);
	lab = make_idx_labels("float-labels.idx", 4, 4, PLAIN);
	d = wh_data_load(img, lab, 0, &err);
	ok(d != NULL && d->f != NULL && d->u8 == NULL && d->n == 4 &&
	    d->c == 1 && d->h == 2 && d->w == 3,
	    "idx3 big-endian float32 loads: %s", err ? err : "ok");
	if (d == NULL) {
		free(err);
		free(img);
		free(lab);
		return;
	}
	for (i = 0; i < 24; i++)
		if (d->f[i] != fval(i))
			stored = 0;
	ok(stored, "idx float: values bit-exact");

	pre.scale = 1.0f / 255.0f;
	pre.nmean = pre.nstd = 1;
	pre.mean[0] = 0.5f;
	pre.std[0] = 0.25f;
	wh_data_batch(d, 0, 4, &pre, 0, out);
	for (i = 0; i < 24; i++)
		if (out[i] != expect_pre(fval(i), 0, 0, 0.5f, 0.25f))
			same = 0;
	ok(same, "float data skips the scale unless it was set");
	wh_data_batch(d, 0, 4, &pre, 1, out);
	for (i = 0; i < 24; i++)
		if (out[i] != expect_pre(fval(i), pre.scale, 1, 0.5f, 0.25f))
			scaled = 0;
	ok(scaled, "float data with an explicit scale");
	wh_data_free(d);
	free(img);

	/* (n, features): flat vectors, c = h = 1. */
	memset(&b, 0, sizeof b);
	idx_header(&b, 0x0d, 2, fdims);
	for (i = 0; i < 24; i++)
		put_f32(&b, fval(i), 1);
	img = write_file("vectors.idx.gz", &b, GZ);
	free(b.p);
	d = wh_data_load(img, lab, 0, &err);
	ok(d != NULL && d->n == 4 && d->c == 1 && d->h == 1 && d->w == 6 &&
	    d->sample_ndim == 1 && d->f[23] == fval(23),
	    "idx2 (n, features) loads as c = h = 1: %s", err ? err : "ok");
	if (d == NULL)
		free(err);
	wh_data_free(d);
	free(img);
	free(lab);
}

/* NPY files of every version, dtype and rank the loader takes. */
static void
test_npy(void)
{
	struct wh_preproc pre = { 0 };
	struct wh_dataset *d;
	struct buf b = { 0 };
	char *img, *lab, *err = NULL;
	float out[2 * 12];
	size_t i;
	int same = 1;

	/* 1.0, '|u1' (n, h, w), labels '<i8'. */
	npy_header(&b, 1, "{'descr': '|u1', 'fortran_order': False, "
	    "'shape': (6, 2, 5), }", 0);
	for (i = 0; i < 60; i++) {
		unsigned char c = pix(i);

		put(&b, &c, 1);
	}
	img = write_file("test-images.npy", &b, PLAIN);
	b.len = 0;
	npy_header(&b, 1, "{'descr': '<i8', 'fortran_order': False, "
	    "'shape': (6,), }", 0);
	for (i = 0; i < 6; i++)
		put_le(&b, i == 4 ? 9 : i, 8);
	lab = write_file("test-labels.npy", &b, PLAIN);
	d = wh_data_load(img, lab, 10, &err);
	ok(d != NULL && d->n == 6 && d->c == 1 && d->h == 2 && d->w == 5 &&
	    d->u8 != NULL && d->u8[59] == pix(59) && d->labels[4] == 9 &&
	    d->labels[5] == 5 && d->nclasses == 10,
	    "npy 1.0 '|u1' (6, 2, 5) with '<i8' labels: %s", err ? err : "ok");
	if (d == NULL)
		free(err);
	err = NULL;
	wh_data_free(d);
	free(img);
	free(lab);

	/* 2.0, '<f4' (n, c, h, w), labels '<i4', both gzipped. */
	b.len = 0;
	npy_header(&b, 2, "{\"descr\": \"<f4\", \"fortran_order\": False, "
	    "\"shape\": (2, 3, 2, 2)}", 0);
	for (i = 0; i < 24; i++)
		put_f32(&b, fval(i), 0);
	img = write_file("rgb.npy.gz", &b, GZ);
	b.len = 0;
	npy_header(&b, 2, "{'descr': '<i4', 'fortran_order': False, "
	    "'shape': (2,)}", 0);
	put_le(&b, 1, 4);
	put_le(&b, 0, 4);
	lab = write_file("rgb-labels.npy.gz", &b, GZ);
	d = wh_data_load(img, lab, 0, &err);
	ok(d != NULL && d->n == 2 && d->c == 3 && d->h == 2 && d->w == 2 &&
	    d->sample_ndim == 3 && d->f != NULL && d->labels[0] == 1 &&
	    d->nclasses == 2,
	    "npy 2.0 '<f4' (2, 3, 2, 2) gz with '<i4' labels: %s",
	    err ? err : "ok");
	if (d == NULL) {
		free(err);
		err = NULL;
	} else {
		pre.scale = 2.0f;
		pre.nmean = 3;
		pre.nstd = 1;
		pre.mean[0] = 0.1f;
		pre.mean[1] = 0.2f;
		pre.mean[2] = 0.3f;
		pre.std[0] = 0.7f;
		wh_data_batch(d, 0, 2, &pre, 1, out);
		for (i = 0; i < 24; i++)
			if (out[i] != expect_pre(fval(i), 2.0f, 1,
			    pre.mean[i / 4 % 3], 0.7f))
				same = 0;
		ok(same, "npy float: per-channel mean, one std, scale set");
	}
	wh_data_free(d);
	free(img);
	free(lab);

	/* 3.0, '<u1' (n, features), labels '|u1' stored Fortran-order 1-D. */
	b.len = 0;
	npy_header(&b, 3, "{'descr': '<u1', 'fortran_order': False, "
	    "'shape': (3L, 4L), }", 0);
	for (i = 0; i < 12; i++) {
		unsigned char c = pix(i);

		put(&b, &c, 1);
	}
	img = write_file("flat.npy", &b, PLAIN);
	b.len = 0;
	npy_header(&b, 1, "{'shape': (3,), 'fortran_order': True, "
	    "'descr': '|u1'}", 0);
	put(&b, "\x02\x00\x01", 3);
	lab = write_file("flat-labels.npy", &b, PLAIN);
	d = wh_data_load(img, lab, 0, &err);
	ok(d != NULL && d->n == 3 && d->c == 1 && d->h == 1 && d->w == 4 &&
	    d->sample_ndim == 1 && d->labels[0] == 2 && d->nclasses == 3,
	    "npy 3.0 '<u1' (3, 4), keys in any order, 1-D Fortran labels: %s",
	    err ? err : "ok");
	if (d == NULL)
		free(err);
	wh_data_free(d);
	free(img);
	free(lab);
	free(b.p);
}

static void
test_check_shape(void)
{
	static const uint32_t dims[3] = { 2, 4, 3 };
	struct wh_value in = { 0 };
	struct wh_dataset *d;
	char *img, *lab, *err = NULL;
	int r;

	img = make_idx_u8("shape-images.idx", 3, dims, PLAIN);
	lab = make_idx_labels("shape-labels.idx", 2, 2, PLAIN);
	d = wh_data_load(img, lab, 0, NULL);
	if (d == NULL) {
		ok(0, "shape test set loads");
		free(img);
		free(lab);
		return;
	}
	in.name = "input";
	in.ndim = 4;
	in.dims[0] = -1;
	in.dims[1] = 1;
	in.dims[2] = 4;
	in.dims[3] = 3;
	ok(wh_data_check_shape(d, &in, &err) == 0, "(N, 1, 4, 3) fits 4x3");
	in.dims[0] = 8;
	in.dims[2] = -1;
	ok(wh_data_check_shape(d, &in, &err) == 0, "(8, 1, ?, 3) fits 4x3");
	in.ndim = 2;
	in.dims[1] = 12;
	ok(wh_data_check_shape(d, &in, &err) == 0, "(N, 12) fits 4x3");
	in.ndim = 3;
	in.dims[1] = 4;
	in.dims[2] = 3;
	ok(wh_data_check_shape(d, &in, &err) == 0, "(N, 4, 3) fits 4x3");
	in.dims[1] = 3;
	in.dims[2] = 4;
	r = wh_data_check_shape(d, &in, &err);
	ok(r == -1 && err != NULL && strstr(err, "(8, 3, 4)") != NULL,
	    "(8, 3, 4) does not fit 4x3 of the same rank: %s",
	    err ? err : "(no message)");
	free(err);
	err = NULL;

	in.ndim = 4;
	in.dims[0] = -1;
	in.dims[1] = 3;
	in.dims[2] = 4;
	in.dims[3] = 3;
	r = wh_data_check_shape(d, &in, &err);
	ok(r == -1 && err != NULL && strstr(err, "(N, 3, 4, 3)") != NULL &&
	    strstr(err, "4x3") != NULL && strstr(err, "shape-images.idx") &&
	    strstr(err, "'input'") != NULL,
	    "(N, 3, 4, 3) does not fit, both shapes quoted: %s",
	    err ? err : "(no message)");
	free(err);
	err = NULL;
	in.dims[1] = -1;
	in.dims[2] = 5;
	r = wh_data_check_shape(d, &in, &err);
	ok(r == -1, "(N, ?, 5, 3) cannot fit 12 values: %s",
	    err ? err : "(no message)");
	free(err);
	err = NULL;
	in.ndim = 1;
	r = wh_data_check_shape(d, &in, &err);
	ok(r == -1 && err != NULL && strstr(err, "(N, C, H, W)") != NULL,
	    "a 1-D input is refused: %s", err ? err : "(no message)");
	free(err);
	wh_data_free(d);
	free(img);
	free(lab);
}

/*
 * A file that must not load.  kind IDX writes an IDX header (type, ndims,
 * dims); NPY a header of version major with dict and, when hlen is not 0,
 * that length; RAW nothing.  Then body (bodylen bytes) or, when body is
 * NULL, bodylen bytes of pixels.  The other file of the pair is a good
 * 5-sample one.
 */
struct bad {
	const char *file;
	int labels;		/* the bad file is the labels file */
	enum { RAW, IDX, NPY } kind;
	int type, ndims;
	uint32_t dims[9];
	int major;
	const char *dict;
	uint32_t hlen;
	const char *body;
	size_t bodylen;
	enum gz gz;
	int max_class;
	const char *expect;
};

#define U8_LABELS(n)	.kind = NPY, .major = 1, .dict = \
	"{'descr': '|u1', 'fortran_order': False, 'shape': (" #n ",), }"

static const struct bad bad[] = {
	{ .file = "short-idx3-ubyte", .kind = IDX, .type = 8, .ndims = 3,
	  .dims = { 10, 4, 3 }, .bodylen = 7 * 12,
	  .expect = "header promises 10 images of 4x3, the file holds 7" },
	{ .file = "partial-idx3-ubyte", .kind = IDX, .type = 8, .ndims = 3,
	  .dims = { 10, 4, 3 }, .bodylen = 7 * 12 + 5,
	  .expect = "the file holds 7 and 5 bytes more" },
	{ .file = "trailing-idx3-ubyte", .kind = IDX, .type = 8, .ndims = 3,
	  .dims = { 5, 2, 2 }, .bodylen = 5 * 4 + 3,
	  .expect = "3 trailing bytes after the 5 images of 2x2" },
	{ .file = "trailing-labels-idx1", .labels = 1, .kind = IDX, .type = 8,
	  .ndims = 1, .dims = { 5 }, .body = "\0\1\2\3\4\5", .bodylen = 6,
	  .expect = "1 trailing byte after the 5 labels" },
	{ .file = "magic.idx", .kind = RAW, .body = "GIF89a\1\0\1\0",
	  .bodylen = 10, .expect = "bad magic 47 49 46 38" },
	{ .file = "ndims0.idx", .kind = IDX, .type = 8, .ndims = 0,
	  .expect = "IDX header gives 0 dimensions, expected 1 to 4" },
	{ .file = "ndims9.idx", .kind = IDX, .type = 8, .ndims = 9,
	  .dims = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, .bodylen = 1,
	  .expect = "IDX header gives 9 dimensions" },
	{ .file = "header-cut.idx", .kind = RAW, .body = "\0\0\x08\x03\0\0\0\5",
	  .bodylen = 8, .expect = "IDX header is truncated: 3 dimensions "
	  "need 16 bytes, the file holds 8" },
	{ .file = "overflow.idx", .kind = IDX, .type = 8, .ndims = 3,
	  .dims = { 0xffffffff, 0xffffffff, 0xffffffff }, .bodylen = 16,
	  .expect = "dimensions 4294967295x4294967295x4294967295 overflow" },
	{ .file = "double.idx", .kind = IDX, .type = 0x0e, .ndims = 3,
	  .dims = { 5, 1, 1 }, .bodylen = 40,
	  .expect = "element type 0x0e (double) is not supported" },
	{ .file = "1d-images.idx", .kind = IDX, .type = 8, .ndims = 1,
	  .dims = { 5 }, .bodylen = 5,
	  .expect = "images need 2 to 4 dimensions" },
	{ .file = "no-samples.idx", .kind = IDX, .type = 8, .ndims = 3,
	  .dims = { 0, 28, 28 }, .expect = "holds no samples" },
	{ .file = "cut-idx3-ubyte.gz", .kind = IDX, .type = 8, .ndims = 3,
	  .dims = { 5, 8, 8 }, .bodylen = 5 * 64, .gz = GZ_CUT,
	  .expect = "gzip stream is truncated" },
	{ .file = "crc-idx3-ubyte.gz", .kind = IDX, .type = 8, .ndims = 3,
	  .dims = { 5, 8, 8 }, .bodylen = 5 * 64, .gz = GZ_CRC,
	  .expect = "gzip stream is corrupt" },
	{ .file = "empty.idx", .kind = RAW, .expect = "file is empty" },
	{ .file = "tiny.idx", .kind = RAW, .body = "\0\0", .bodylen = 2,
	  .expect = "too short" },
	{ .file = "magic.npy", .kind = RAW, .body = "\x93NUMPX\1\0\0\0",
	  .bodylen = 10, .expect = "bad magic 93 4e 55 4d" },
	{ .file = "cut-magic.npy", .kind = RAW, .body = "\x93NUMPY\1",
	  .bodylen = 7, .expect = "NPY header is truncated" },
	{ .file = "version.npy", .kind = NPY, .major = 4,
	  .dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 4)}",
	  .bodylen = 20, .expect = "NPY version 4.0 is not supported" },
	{ .file = "hlen.npy", .kind = NPY, .major = 1, .hlen = 5000,
	  .dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 4)}",
	  .bodylen = 20, .expect = "header length 5000 runs past the end" },
	{ .file = "unterminated.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 4), ",
	  .bodylen = 20, .expect = "unterminated dict" },
	{ .file = "string.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1, 'fortran_order': False, 'shape': (5, 4)}",
	  .expect = "bad NPY header" },
	{ .file = "key.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 4), "
	  "'extra': 1}", .bodylen = 20, .expect = "unknown key 'extra'" },
	{ .file = "twice.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'descr': '|u1', 'shape': (5, 4)}",
	  .bodylen = 20, .expect = "key 'descr' given twice" },
	{ .file = "no-shape.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False}",
	  .expect = "no 'shape'" },
	{ .file = "junk.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 4)} x",
	  .bodylen = 20, .expect = "junk after the dict" },
	{ .file = "fortran.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': True, 'shape': (5, 4)}",
	  .bodylen = 20, .expect = "Fortran-order arrays are not supported" },
	{ .file = "big-endian.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '>f4', 'fortran_order': False, 'shape': (5, 4)}",
	  .bodylen = 80, .expect = "big-endian data ('>f4') is not supported" },
	{ .file = "complex.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '<c8', 'fortran_order': False, 'shape': (5, 4)}",
	  .bodylen = 160, .expect = "dtype '<c8' is not supported for images" },
	{ .file = "mismatch.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False, "
	  "'shape': (5, 2, 2)}",
	  .bodylen = 18,
	  .expect = "header promises 5 images of 2x2, the file holds 4 and 2 "
	  "bytes more" },
	{ .file = "scalar.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False, 'shape': ()}",
	  .bodylen = 1, .expect = "'shape' is () (a scalar)" },
	{ .file = "rank5.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False, "
	  "'shape': (5, 1, 1, 1, 1)}", .bodylen = 5,
	  .expect = "more than 4 dimensions" },
	{ .file = "huge.npy", .kind = NPY, .major = 1,
	  .dict = "{'descr': '<f4', 'fortran_order': False, "
	  "'shape': (4611686018427387904, 4)}", .bodylen = 80,
	  .expect = "overflow" },
	{ .file = "range-labels-idx1", .labels = 1, .kind = IDX, .type = 8,
	  .ndims = 1, .dims = { 5 }, .body = "\0\1\2\x0c\4", .bodylen = 5,
	  .max_class = 10,
	  .expect = "label 12 at index 3 is out of range 0..9" },
	{ .file = "negative-labels.npy", .labels = 1, .kind = NPY, .major = 1,
	  .dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (5,)}",
	  .body = "\1\0\0\0\0\0\0\0" "\xfd\xff\xff\xff\xff\xff\xff\xff"
	  "\0\0\0\0\0\0\0\0" "\0\0\0\0\0\0\0\0" "\0\0\0\0\0\0\0\0",
	  .bodylen = 40, .expect = "label -3 at index 1 is negative" },
	{ .file = "large-labels.npy", .labels = 1, .kind = NPY, .major = 1,
	  .dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (5,)}",
	  .body = "\0\0\0\0" "\0\0\0\0" "\0\0\0\0" "\0\0\0\0" "\0\0\0\x40",
	  .bodylen = 20, .expect = "label 1073741824 at index 4 is out of "
	  "range 0..65535" },
	{ .file = "float-labels.npy", .labels = 1, .kind = NPY, .major = 1,
	  .dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (5,)}",
	  .bodylen = 20, .expect = "dtype '<f4' is not supported for labels" },
	{ .file = "2d-labels.npy", .labels = 1, .kind = NPY, .major = 1,
	  .dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 1)}",
	  .bodylen = 5, .expect = "labels need 1 dimension (n)" },
	{ .file = "count-labels.npy", .labels = 1, U8_LABELS(4),
	  .bodylen = 4, .expect = "sample counts differ" },
};

/* Builds one bad file; returns its path (to free). */
static char *
make_bad(const struct bad *c)
{
	struct buf b = { 0 };
	size_t i;
	char *path;

	if (c->kind == IDX)
		idx_header(&b, c->type, c->ndims, c->dims);
	else if (c->kind == NPY)
		npy_header(&b, c->major, c->dict, c->hlen);
	if (c->body != NULL)
		put(&b, c->body, c->bodylen);
	else
		for (i = 0; i < c->bodylen; i++) {
			unsigned char v = pix(i) % 3;

			put(&b, &v, 1);
		}
	path = write_file(c->file, &b, c->gz);
	free(b.p);
	return path;
}

static void
test_bad_files(void)
{
	static const uint32_t good_dims[3] = { 5, 2, 2 };
	struct wh_dataset *d;
	char *good_img, *good_lab, *path, *err;
	const char *name;
	size_t i;
	int good;

	good_img = make_idx_u8("good-images", 3, good_dims, PLAIN);
	good_lab = make_idx_labels("good-labels", 5, 3, PLAIN);
	d = wh_data_load(good_img, good_lab, 10, NULL);
	ok(d != NULL, "the good pair loads");
	wh_data_free(d);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		path = make_bad(&bad[i]);
		err = NULL;
		if (bad[i].labels)
			d = wh_data_load(good_img, path, bad[i].max_class,
			    &err);
		else
			d = wh_data_load(path, good_lab, bad[i].max_class,
			    &err);
		name = strrchr(path, '/') + 1;
		good = d == NULL && err != NULL && strstr(err, name) != NULL &&
		    strstr(err, bad[i].expect) != NULL;
		ok(good, "%s refused: %s", bad[i].file,
		    err ? err : "(no message)");
		if (!good)
			tap_diag("expected a message with '%s'", bad[i].expect);
		wh_data_free(d);
		free(err);
		free(path);
	}

	/* Missing file, and the count message names both files. */
	path = tmp("absent.idx");
	err = NULL;
	d = wh_data_load(path, good_lab, 0, &err);
	ok(d == NULL && err != NULL && strstr(err, "absent.idx") != NULL &&
	    strstr(err, strerror(ENOENT)) != NULL, "missing file: %s",
	    err ? err : "(no message)");
	free(err);
	free(path);
	path = tmp("count-labels.npy");
	err = NULL;
	d = wh_data_load(good_img, path, 0, &err);
	ok(d == NULL && err != NULL && strstr(err, "good-images has 5") &&
	    strstr(err, "count-labels.npy has 4"),
	    "count mismatch names both files: %s", err ? err : "(no message)");
	free(err);
	free(path);
	free(good_img);
	free(good_lab);
}

/* Writes an empty-content directory tree for the default lookup. */
static void
mkdirs(const char *a, const char *b)
{
	char *p;

	p = tmp(a);
	mkdir(p, 0755);
	free(p);
	if (b != NULL) {
		p = xasprintf("%s/%s/%s", tmpdir, a, b);
		mkdir(p, 0755);
		free(p);
	}
}

static void
test_find_default(void)
{
	static const uint32_t dims[3] = { 2, 2, 2 };
	struct buf b = { 0 };
	char *root, *images = NULL, *labels = NULL, *err = NULL, *p, *q;
	int r;

	mkdirs("data", "toy");
	mkdirs("data", "npyset");
	mkdirs("data", "empty-set");
	p = make_idx_u8("data/toy/t10k-images-idx3-ubyte.gz", 3, dims, GZ);
	q = make_idx_labels("data/toy/t10k-labels-idx1-ubyte", 2, 2, PLAIN);
	free(p);
	free(q);
	put(&b, "x", 1);
	p = write_file("data/npyset/test-images.npy", &b, PLAIN);
	q = write_file("data/npyset/test-labels.npy", &b, PLAIN);
	free(p);
	free(q);
	free(b.p);

	root = tmp("data");
	setenv("WHITTLE_DATA_DIR", root, 1);

	r = wh_data_find_default("toy", &images, &labels, &err);
	p = xasprintf("%s/toy/t10k-images-idx3-ubyte.gz", root);
	q = xasprintf("%s/toy/t10k-labels-idx1-ubyte", root);
	ok(r == 0 && strcmp(images, p) == 0 && strcmp(labels, q) == 0,
	    "default: IDX pair, .gz or plain, in $WHITTLE_DATA_DIR");
	free(p);
	free(q);
	free(images);
	free(labels);
	images = labels = NULL;

	r = wh_data_find_default("npyset", &images, &labels, &err);
	p = xasprintf("%s/npyset/test-labels.npy", root);
	ok(r == 0 && strcmp(labels, p) == 0, "default: NPY pair");
	free(p);
	free(images);
	free(labels);
	images = labels = NULL;

	r = wh_data_find_default("empty-set", &images, &labels, &err);
	ok(r == -1 && err != NULL && strstr(err, "'empty-set'") != NULL &&
	    strstr(err, root) != NULL && strstr(err, WH_DATADIR) != NULL &&
	    images == NULL,
	    "default: an empty directory, both places named: %s",
	    err ? err : "(no message)");
	free(err);
	err = NULL;

	r = wh_data_find_default("../etc", &images, &labels, &err);
	ok(r == -1 && err != NULL && strstr(err, "'../etc'") != NULL,
	    "default: a name with a path is refused: %s",
	    err ? err : "(no message)");
	free(err);
	err = NULL;

	/* fashion-mnist: the system copy when installed, else a hint. */
	r = wh_data_find_default("fashion-mnist", &images, &labels, &err);
	p = xasprintf("%s/fashion-mnist/t10k-images-idx3-ubyte", WH_DATADIR);
	if (r == 0)
		ok(strncmp(images, p, strlen(p)) == 0 &&
		    strstr(labels, "t10k-labels-idx1-ubyte") != NULL,
		    "default: fashion-mnist from %s", WH_DATADIR);
	else
		ok(err != NULL && strstr(err, "'fashion-mnist'") != NULL &&
		    strstr(err, "install Debian's dataset-fashion-mnist"),
		    "default: missing fashion-mnist names its package: %s",
		    err ? err : "(no message)");
	free(p);
	free(err);
	free(images);
	free(labels);
	unsetenv("WHITTLE_DATA_DIR");
	free(root);
}

#if defined(__SANITIZE_ADDRESS__)
#define WH_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WH_TEST_ASAN 1
#endif
#endif

/*
 * A gzip bomb: a member holding head, then copies of one member of
 * `zeros` zero bytes, to `total` inflated bytes in all.  5,000 members of
 * 1 MiB make a file of about 5 MB that inflates to 5 GiB.
 */
static char *
write_bomb(const char *name, const struct buf *head, size_t zeros,
    size_t copies)
{
	struct buf z = { 0 }, one = { 0 };
	unsigned char *zero = xcalloc(zeros, 1);
	char *path = tmp(name);
	FILE *f;
	size_t i;

	gzip_bytes(head->p, head->len, &z);
	gzip_bytes(zero, zeros, &one);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(z.p, 1, z.len, f) != z.len) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	for (i = 0; i < copies; i++)
		if (fwrite(one.p, 1, one.len, f) != one.len) {
			printf("Bail out! cannot write %s\n", path);
			exit(1);
		}
	if (fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	free(zero);
	free(z.p);
	free(one.p);
	return path;
}

/*
 * Loads images in a child whose address space is capped at 1 GiB, so that
 * inflating a bomb in full cannot pass unseen: the child writes the message
 * to a pipe and exits 0 when the load fails cleanly.  Returns the message,
 * or NULL when the child crashed or the load succeeded.
 */
static char *
load_capped(const char *images, const char *labels)
{
	char msg[512];
	int fds[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)1 << 30, (rlim_t)1 << 30 };
		struct wh_dataset *d;
		char *err = NULL;

		close(fds[0]);
#ifndef WH_TEST_ASAN
		setrlimit(RLIMIT_AS, &rl);
#else
		(void)rl;
#endif
		d = wh_data_load(images, labels, 0, &err);
		if (d != NULL || err == NULL)
			_exit(1);
		if (write(fds[1], err, strlen(err)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof msg - 1);
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0 || n <= 0)
		return NULL;
	msg[n] = '\0';
	return xstrdup(msg);
}

/* Gzip is inflated as a stream: the header is checked first. */
static void
test_gzip_stream(void)
{
	static const uint32_t dims[3] = { 100, 28, 28 };
	static const uint32_t many[3] = { 60000, 28, 28 };
	static const uint32_t fifty[3] = { 50, 28, 28 };
	struct buf b = { 0 };
	char *img, *lab, *msg, *err = NULL;
	struct wh_dataset *d;
	size_t i;

	lab = make_idx_labels("bomb-labels", 100, 10, PLAIN);

	/* 100 images the header promises, then 5 GiB of zeros. */
	idx_header(&b, 0x08, 3, dims);
	for (i = 0; i < 100 * 28 * 28; i++) {
		unsigned char c = pix(i);

		put(&b, &c, 1);
	}
	img = write_bomb("bomb-idx3-ubyte.gz", &b, (size_t)1 << 20, 5000);
	msg = load_capped(img, lab);
	ok(msg != NULL && strstr(msg, "bomb-idx3-ubyte.gz: inflates to more "
	    "than the 100 images of 28x28 the header promises") != NULL,
	    "gzip bomb after an IDX header: stops at the promised size in "
	    "1 GiB: %s", msg ? msg : "(crashed or loaded)");
	free(msg);
	free(img);

	/* The same behind an NPY header. */
	b.len = 0;
	npy_header(&b, 1, "{'descr': '|u1', 'fortran_order': False, "
	    "'shape': (100, 28, 28), }", 0);
	for (i = 0; i < 100 * 28 * 28; i++) {
		unsigned char c = pix(i);

		put(&b, &c, 1);
	}
	img = write_bomb("bomb.npy.gz", &b, (size_t)1 << 20, 5000);
	msg = load_capped(img, lab);
	ok(msg != NULL && strstr(msg, "bomb.npy.gz: inflates to more than "
	    "the 100 images of 28x28 the header promises") != NULL,
	    "gzip bomb after an NPY header: stops at the promised size in "
	    "1 GiB: %s", msg ? msg : "(crashed or loaded)");
	free(msg);
	free(img);

	/* A header promising more than the compressed bytes can hold. */
	b.len = 0;
	idx_header(&b, 0x08, 3, many);
	img = write_file("liar-idx3-ubyte.gz", &b, GZ);
	d = wh_data_load(img, lab, 0, &err);
	ok(d == NULL && err != NULL && strstr(err, "header promises 60000 "
	    "images of 28x28 (47040016 bytes), more than ") != NULL &&
	    strstr(err, "bytes of gzip can hold") != NULL,
	    "gzip: a header promising more than deflate's ratio allows: %s",
	    err ? err : "(loaded)");
	wh_data_free(d);
	free(err);
	err = NULL;
	free(img);

	/* Plausible header, short stream: named with what it holds. */
	b.len = 0;
	idx_header(&b, 0x08, 3, fifty);
	for (i = 0; i < 10 * 28 * 28; i++) {
		unsigned char c = (unsigned char)((i * 2654435761u) >> 13);

		put(&b, &c, 1);
	}
	img = write_file("short-idx3-ubyte.gz", &b, GZ);
	d = wh_data_load(img, lab, 0, &err);
	ok(d == NULL && err != NULL && strstr(err, "short-idx3-ubyte.gz: "
	    "header promises 50 images of 28x28, the file holds 10") != NULL,
	    "gzip: a stream shorter than its header: %s",
	    err ? err : "(loaded)");
	wh_data_free(d);
	free(err);
	err = NULL;
	free(img);

	/* The limit on one set, before anything is allocated. */
	b.len = 0;
	{
		static const uint32_t huge[4] = { 0xffffffffu, 64, 256, 256 };

		idx_header(&b, 0x08, 4, huge);
	}
	img = write_file("huge-idx3-ubyte.gz", &b, GZ);
	d = wh_data_load(img, lab, 0, &err);
	ok(d == NULL && err != NULL && strstr(err, "over the limit of") !=
	    NULL, "gzip: a header over the size limit: %s",
	    err ? err : "(loaded)");
	wh_data_free(d);
	free(err);
	free(img);
	free(lab);
	free(b.p);
}

/* Fashion-MNIST's test split: 10000 images, 1000 of each of 10 classes. */
static void
test_real(void)
{
	const char *dir = WH_DATADIR "/fashion-mnist";
	struct wh_dataset *d;
	char *img, *lab, *err = NULL;
	int count[10] = { 0 }, balanced = 1, k;
	size_t i;
	struct stat st;

	img = xasprintf("%s/t10k-images-idx3-ubyte.gz", dir);
	lab = xasprintf("%s/t10k-labels-idx1-ubyte.gz", dir);
	if (stat(img, &st) != 0 || stat(lab, &st) != 0) {
		tap_skip("Fashion-MNIST is not installed "
		    "(Debian's dataset-fashion-mnist)");
		free(img);
		free(lab);
		return;
	}
	d = wh_data_load(img, lab, 10, &err);
	ok(d != NULL && d->n == 10000 && d->c == 1 && d->h == 28 &&
	    d->w == 28 && d->u8 != NULL && d->nclasses == 10,
	    "fashion-mnist t10k: 10000 samples of 1x28x28, 10 classes: %s",
	    err ? err : "ok");
	if (d != NULL) {
		for (i = 0; i < d->n; i++)
			count[d->labels[i]]++;
		for (k = 0; k < 10; k++)
			if (count[k] != 1000)
				balanced = 0;
		ok(balanced, "fashion-mnist t10k: 1000 samples of each class");
	}
	free(err);
	wh_data_free(d);
	free(img);
	free(lab);
}

int
main(void)
{
	make_tmpdir();
	test_idx_u8();
	test_idx4_channels();
	test_idx_float();
	test_npy();
	test_check_shape();
	test_bad_files();
	test_gzip_stream();
	test_find_default();
	test_real();
	remove_tree(tmpdir);
	return tap_done();
}
