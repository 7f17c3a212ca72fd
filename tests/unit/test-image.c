/* test-image.c - PNG and JPEG decoding, torchvision's transforms checked
 * against tensors torchvision computed, image folders and the
 * decode-ahead reader */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <zlib.h>

#include "whittle/data.h"
#include "whittle/image.h"
#include "whittle/util.h"
#include "tap.h"

static const char *fixdir;
static char tmpdir[PATH_MAX];

static char *
fix(const char *name)
{
	return xasprintf("%s/tests/fixtures/images/%s", fixdir, name);
}

static void
write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static unsigned char *
read_bytes(const char *path, size_t *n)
{
	unsigned char *buf;
	char *err = NULL;

	if (wh_read_file(path, 0, 0, &buf, n, &err) != 0) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return buf;
}

/* Copies a fixture into the temporary tree. */
static void
copy_to(const char *name, const char *dst)
{
	char *src = fix(name);
	size_t n;
	unsigned char *b = read_bytes(src, &n);

	write_bytes(dst, b, n);
	free(b);
	free(src);
}

/*
 * The folder read with whittle's transforms against torchvision's tensors
 * (loaded through the NPY reader with ImageFolder's targets as labels).
 */
static void
compare(const char *ref, const struct wh_image_pre *ip,
    const struct wh_preproc *pre, const char *what)
{
	int rc;
	char *folder = fix("folder"), *rp = xasprintf("%s.npy", ref);
	char *rl = xasprintf("%s-labels.npy", ref), *rpath = fix(rp);
	char *rlpath = fix(rl), *err = NULL;
	struct wh_dataset *d, *r;
	float *got;
	double maxd = 0;
	size_t ss, i, far = 0;
	int labels_ok = 1;

	d = wh_data_open_folder(folder, 0, ip, &err);
	r = wh_data_load(rpath, rlpath, 0, &err);
	if (!ok(d != NULL && r != NULL, "%s: folder and reference load: %s",
	    what, err ? err : "ok")) {
		free(err);
		goto out;
	}
	ok(d->n == r->n && d->c == r->c && d->h == r->h && d->w == r->w,
	    "%s: %zu samples of %dx%dx%d, torchvision %zu of %dx%dx%d", what,
	    d->n, d->c, d->h, d->w, r->n, r->c, r->h, r->w);
	for (i = 0; i < d->n && i < r->n; i++)
		if (d->labels[i] != r->labels[i])
			labels_ok = 0;
	ok(labels_ok && d->nclasses == 2 && strcmp(d->classes[0], "bird") == 0
	    && strcmp(d->classes[1], "cat") == 0,
	    "%s: classes in sorted folder order, samples in ImageFolder's "
	    "order", what);
	if (d->n != r->n || wh_data_sample_size(d) != wh_data_sample_size(r))
		goto out;
	ss = wh_data_sample_size(d);
	got = xmalloc(d->n * ss * sizeof *got);
	rc = wh_data_read(d, 0, d->n, pre, 0, got, &err);
	if (ok(rc == 0,
	    "%s: every image decodes: %s", what, err ? err : "ok")) {
		for (i = 0; i < d->n * ss; i++) {
			double e = fabs((double)got[i] - (double)r->f[i]);

			if (e > maxd)
				maxd = e;
			if (e > 1e-6)
				far++;
		}
		/* One level of an 8-bit pixel is 1/255/std, at least 0.017:
		 * 1e-6 leaves only float32 rounding. */
		tap_diag("%s: max |whittle - torchvision| = %.3g over %zu "
		    "values", what, maxd, d->n * ss);
		ok(maxd <= 1e-6, "%s: equal to torchvision's tensors within "
		    "1e-6 (%zu values further off)", what, far);
	}
	free(err);
	free(got);
out:
	wh_data_free(d);
	wh_data_free(r);
	free(folder);
	free(rp);
	free(rl);
	free(rpath);
	free(rlpath);
}

static void
test_torchvision(void)
{
	struct wh_image_pre ip = { 16, 14, 12, 3 };
	struct wh_preproc pre = { 1.0f / 255.0f, 3, 3,
	    { 0.485f, 0.456f, 0.406f }, { 0.229f, 0.224f, 0.225f } };
	struct wh_preproc gpre = { 1.0f / 255.0f, 1, 1, { 0.5f }, { 0.25f } };
	struct wh_preproc none = { 1.0f / 255.0f, 0, 0, { 0 }, { 0 } };

	compare("rgb", &ip, &pre, "Resize(16) CenterCrop(12, 14) RGB");
	ip.channels = 1;
	compare("gray", &ip, &gpre, "Grayscale Resize(16) CenterCrop(12, 14)");
	ip.resize = 9;
	ip.crop_w = ip.crop_h = 11;
	ip.channels = 3;
	ip.pad = 1;
	compare("pad", &ip, &none, "Resize(9) CenterCrop(11), padded");
}

/* Decoding: 16-bit samples, bad bytes. */
static void
test_decode(void)
{
	int rc;
	char *p = fix("gray16.png"), *hp = fix("gray16-high.npy");
	char *err = NULL;
	struct wh_image img;
	unsigned char *b, *hb, *cut;
	size_t n, hn, hl, i;
	int same = 1;

	b = read_bytes(p, &n);
	hb = read_bytes(hp, &hn);
	hl = 10 + (size_t)hb[8] + 256 * (size_t)hb[9];
	rc = wh_image_decode(b, n, 0, "gray16.png", &img, &err);
	if (ok(rc == 0 &&
	    img.w == 5 && img.h == 6 && img.c == 1 && hn == hl + 30,
	    "16-bit gray PNG decodes to 6x5 gray: %s", err ? err : "ok")) {
		for (i = 0; i < 30; i++)
			if (img.px[i] != hb[hl + i])
				same = 0;
		ok(same, "16-bit samples keep their high byte");
	}
	wh_image_release(&img);
	free(err);
	err = NULL;
	rc = wh_image_decode(b, n, 3, "gray16.png", &img, &err);
	if (ok(rc == 0 &&
	    img.c == 3, "gray PNG asked for RGB: 3 channels"))
		ok(img.px[0] == img.px[1] && img.px[1] == img.px[2] &&
		    img.px[0] == hb[hl], "gray to RGB repeats the value");
	wh_image_release(&img);
	free(err);
	err = NULL;
	free(b);
	free(hb);
	free(p);
	free(hp);

	rc = wh_image_decode("", 0, 0, "empty.png", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strcmp(err, "empty.png: file is empty, not an "
	    "image") == 0, "empty input: %s", err ? err : "(decoded)");
	free(err);
	err = NULL;
	rc = wh_image_decode("GIF89a....", 10, 0, "x.gif", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strcmp(err, "x.gif: not a PNG or JPEG image") == 0,
	    "other bytes: %s", err ? err : "(decoded)");
	free(err);
	err = NULL;

	/* Cut in half, and with a damaged byte: never read past n. */
	p = fix("folder/cat/a-rgb.png");
	b = read_bytes(p, &n);
	cut = xmalloc(n / 2);
	memcpy(cut, b, n / 2);
	rc = wh_image_decode(cut, n / 2, 3, "cut.png", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strncmp(err, "cut.png: corrupt PNG: ", 22) == 0,
	    "truncated PNG: %s", err ? err : "(decoded)");
	free(err);
	err = NULL;
	free(cut);
	b[40] ^= 0x40;
	rc = wh_image_decode(b, n, 3, "crc.png", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strncmp(err, "crc.png: corrupt PNG: ", 22) == 0,
	    "PNG with a damaged byte: %s", err ? err : "(decoded)");
	free(err);
	err = NULL;
	free(b);
	free(p);

	p = fix("folder/bird/e-photo.jpg");
	b = read_bytes(p, &n);
	rc = wh_image_decode(b, n / 2, 3, "cut.jpg", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strncmp(err, "cut.jpg: corrupt JPEG: ", 23) == 0,
	    "truncated JPEG: %s", err ? err : "(decoded)");
	free(err);
	err = NULL;
	rc = wh_image_decode(b, 200, 3, "head.jpg", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strstr(err, "head.jpg: corrupt JPEG") != NULL,
	    "JPEG cut in its header: %s", err ? err : "(decoded)");
	free(err);
	free(b);
	free(p);
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

struct membuf {
	unsigned char *p;
	size_t n, cap;
};

static void
mem_write(png_structp png, png_bytep data, size_t len)
{
	struct membuf *m = png_get_io_ptr(png);

	if (m->n + len > m->cap) {
		m->cap = (m->n + len) * 2;
		m->p = xrealloc(m->p, m->cap);
	}
	memcpy(m->p + m->n, data, len);
	m->n += len;
}

static void
mem_flush(png_structp png)
{
	(void)png;
}

/*
 * A PNG written by libpng: w x h samples of `type` at `depth` bits, value
 * of channel k of pixel i given by sample(i, k), optionally interlaced.
 */
static unsigned
sample(size_t i, int k, int depth)
{
	unsigned v = (unsigned)(i * 2654435761u + (unsigned)k * 40503u);

	return (v >> 7) & ((1u << depth) - 1);
}

static struct membuf
make_png(int w, int h, int type, int depth, int interlace)
{
	struct membuf m = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
	    NULL, NULL);
	png_infop info = png_create_info_struct(png);
	int ch = type == PNG_COLOR_TYPE_RGB ? 3 : type ==
	    PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 1, bps = depth == 16 ? 2 : 1;
	size_t stride = (size_t)w * (size_t)ch * (size_t)bps, i;
	unsigned char *px = xcalloc((size_t)h, stride);
	png_bytep *rows = xcalloc((size_t)h, sizeof *rows);
	int y, x, k;

	if (setjmp(png_jmpbuf(png))) {
		printf("Bail out! libpng could not write a test image\n");
		exit(1);
	}
	png_set_write_fn(png, &m, mem_write, mem_flush);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type,
	    interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (type == PNG_COLOR_TYPE_PALETTE) {
		png_color pal[16];

		for (k = 0; k < 16; k++) {
			pal[k].red = (png_byte)(k * 16);
			pal[k].green = (png_byte)(255 - k * 16);
			pal[k].blue = (png_byte)(k * 7);
		}
		png_set_PLTE(png, info, pal, 16);
	}
	for (y = 0; y < h; y++) {
		rows[y] = px + (size_t)y * stride;
		for (x = 0; x < w; x++)
			for (k = 0; k < ch; k++) {
				i = (size_t)y * w + x;
				if (depth == 16) {
					unsigned v = sample(i, k, 16);

					rows[y][(x * ch + k) * 2] = (png_byte)(v >> 8);
					rows[y][(x * ch + k) * 2 + 1] = (png_byte)v;
				} else if (depth == 8)
					rows[y][x * ch + k] = (png_byte)sample(i, k, 8);
				else	/* depth 4, one channel */
					rows[y][x / 2] |= (png_byte)(sample(i, k, 4) <<
					    (x % 2 ? 0 : 4));
			}
	}
	png_write_info(png, info);
	png_write_image(png, rows);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(rows);
	free(px);
	return m;
}

/* libpng's transforms bring every colour type and depth to 8-bit. */
static void
test_png_kinds(void)
{
	struct membuf m;
	struct wh_image img;
	char *err = NULL;
	size_t i;
	int rc, good, k;

	/* 16-bit RGB, interlaced: the high byte of each sample. */
	m = make_png(13, 9, PNG_COLOR_TYPE_RGB, 16, 1);
	rc = wh_image_decode(m.p, m.n, 3, "rgb16.png", &img, &err);
	good = rc == 0 && img.w == 13 && img.h == 9 && img.c == 3;
	for (i = 0; good && i < 13 * 9; i++)
		for (k = 0; k < 3; k++)
			if (img.px[i * 3 + k] != sample(i, k, 16) >> 8)
				good = 0;
	ok(good, "16-bit RGB, Adam7 interlaced: the high bytes: %s",
	    err ? err : "ok");
	wh_image_release(&img);
	free(m.p);
	free(err);
	err = NULL;

	/* RGBA: alpha dropped, colour kept (PIL's convert("RGB")). */
	m = make_png(7, 5, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0);
	rc = wh_image_decode(m.p, m.n, 0, "rgba.png", &img, &err);
	good = rc == 0 && img.c == 3;
	for (i = 0; good && i < 35; i++)
		for (k = 0; k < 3; k++)
			if (img.px[i * 3 + k] != sample(i, k, 8))
				good = 0;
	ok(good, "RGBA: alpha dropped, RGB kept: %s", err ? err : "ok");
	wh_image_release(&img);
	free(m.p);
	free(err);
	err = NULL;

	/* 4-bit palette indices become the palette's colours. */
	m = make_png(6, 4, PNG_COLOR_TYPE_PALETTE, 4, 0);
	rc = wh_image_decode(m.p, m.n, 3, "pal4.png", &img, &err);
	good = rc == 0 && img.c == 3;
	for (i = 0; good && i < 24; i++) {
		unsigned q = sample(i, 0, 4);

		if (img.px[i * 3] != q * 16 || img.px[i * 3 + 1] != 255 - q * 16 ||
		    img.px[i * 3 + 2] != q * 7)
			good = 0;
	}
	ok(good, "4-bit palette: each index becomes its colour: %s",
	    err ? err : "ok");
	wh_image_release(&img);
	free(m.p);
	free(err);
	err = NULL;

	/* 4-bit gray scales to 8 bits as v * 17. */
	m = make_png(5, 3, PNG_COLOR_TYPE_GRAY, 4, 0);
	rc = wh_image_decode(m.p, m.n, 0, "gray4.png", &img, &err);
	good = rc == 0 && img.c == 1;
	for (i = 0; good && i < 15; i++)
		if (img.px[i] != sample(i, 0, 4) * 17)
			good = 0;
	ok(good, "4-bit gray: v * 17: %s", err ? err : "ok");
	wh_image_release(&img);
	free(m.p);
	free(err);
	err = NULL;

	/* RGB asked for gray: PIL's weights, rounded. */
	m = make_png(4, 4, PNG_COLOR_TYPE_RGB, 8, 0);
	rc = wh_image_decode(m.p, m.n, 1, "rgb.png", &img, &err);
	good = rc == 0 && img.c == 1;
	for (i = 0; good && i < 16; i++)
		if (img.px[i] != (sample(i, 0, 8) * 19595 + sample(i, 1, 8) *
		    38470 + sample(i, 2, 8) * 7471 + 0x8000) >> 16)
			good = 0;
	ok(good, "RGB to gray with PIL's weights: %s", err ? err : "ok");
	wh_image_release(&img);
	free(m.p);
	free(err);
}

/*
 * Headers promising more pixels than the file's bytes can code are refused
 * before the pixel buffers are allocated: 8000x8000 is within the pixel
 * limit, but not in a file of a few hundred bytes.
 */
static void
test_bombs(void)
{
	int rc;
	char *p = fix("folder/cat/b-gray.png"), *err = NULL;
	struct wh_image img;
	unsigned char *b;
	size_t n, i;

	b = read_bytes(p, &n);
	put_be32(b + 16, 8000);		/* IHDR width, height */
	put_be32(b + 20, 8000);
	put_be32(b + 29, (uint32_t)crc32(0, b + 12, 17));
	rc = wh_image_decode(b, n, 1, "big.png", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strstr(err, "big.png: corrupt PNG: 8000x8000 pixels "
	    "cannot be held in a file of") != NULL,
	    "PNG header of 8000x8000 in %zu bytes: %s", n,
	    err ? err : "(decoded)");
	free(err);
	err = NULL;
	free(b);
	free(p);

	p = fix("folder/bird/e-photo.jpg");
	b = read_bytes(p, &n);
	for (i = 2; i + 9 < n; i++)
		if (b[i] == 0xff && (b[i + 1] == 0xc0 || b[i + 1] == 0xc2))
			break;
	b[i + 5] = 8000 >> 8;		/* SOF height, width */
	b[i + 6] = 8000 & 0xff;
	b[i + 7] = 8000 >> 8;
	b[i + 8] = 8000 & 0xff;
	rc = wh_image_decode(b, n, 3, "big.jpg", &img, &err);
	ok(rc == -1 &&
	    err != NULL && strstr(err, "big.jpg: corrupt JPEG: 8000x8000 "
	    "pixels cannot be held in a file of") != NULL,
	    "JPEG header of 8000x8000 in %zu bytes: %s", n,
	    err ? err : "(decoded)");
	free(err);
	free(b);
	free(p);
}

/*
 * Pillow's bilinear filter on rows small enough to follow by hand; the
 * expected values are what Pillow 9.4's Image.resize(..., BILINEAR) gives.
 * 4 -> 2: scale 2, the triangle widened to support 2; output 1, centred
 * at 3.0, reads inputs 1..3 at distances 1.5, 0.5, 0.5: triangle
 * weights 1/4, 3/4, 3/4, normalised to 1/7, 3/7, 3/7, so 131.9 -> 132.
 */
static void
test_resize(void)
{
	unsigned char px[4] = { 10, 20, 200, 101 };
	unsigned char px7[7] = { 10, 20, 200, 101, 7, 250, 3 };
	static const unsigned char down[3] = { 55, 106, 110 };
	static const unsigned char up[11] = { 10, 15, 36, 151, 164, 101, 41,
	    73, 228, 115, 3 };
	struct wh_image in = { 4, 1, 1, px }, in7 = { 7, 1, 1, px7 }, out;

	wh_image_resize(&in, 2, 1, &out);
	ok(out.px[0] == 41 && out.px[1] == 132,
	    "bilinear 4 -> 2: %d %d, Pillow 41 132", out.px[0], out.px[1]);
	wh_image_release(&out);
	wh_image_resize(&in7, 3, 1, &out);
	ok(memcmp(out.px, down, 3) == 0, "bilinear 7 -> 3: %d %d %d, Pillow "
	    "55 106 110", out.px[0], out.px[1], out.px[2]);
	wh_image_release(&out);
	wh_image_resize(&in7, 11, 1, &out);
	ok(memcmp(out.px, up, 11) == 0, "bilinear 7 -> 11 equals Pillow's");
	wh_image_release(&out);
	/* the same row as a column: the vertical pass */
	in7.w = 1;
	in7.h = 7;
	wh_image_resize(&in7, 1, 3, &out);
	ok(memcmp(out.px, down, 3) == 0, "bilinear 7 -> 3 down a column");
	wh_image_release(&out);
	wh_image_resize_short(&in, 1, &out);
	ok(out.w == 4 && out.h == 1, "a shorter side already 1 is kept");
	wh_image_release(&out);
}

static char *
tpath(const char *rel)
{
	return xasprintf("%s/%s", tmpdir, rel);
}

static void
mk(const char *rel)
{
	char *p = tpath(rel);

	mkdir(p, 0755);
	free(p);
}

static void
put_fixture(const char *name, const char *rel)
{
	char *p = tpath(rel);

	copy_to(name, p);
	free(p);
}

/* Folders that cannot be read get one line naming the problem. */
static void
test_bad_folders(void)
{
	int rc;
	struct wh_image_pre ip = { 0, 14, 12, 3 }, loose = { 16, 0, 0, 3 };
	struct wh_preproc pre = { 1.0f / 255.0f, 0, 0, { 0 }, { 0 } };
	struct wh_dataset *d;
	char *err = NULL, *p;
	float *out;

	mk("none");
	p = tpath("none");
	d = wh_data_open_folder(p, 0, &ip, &err);
	ok(d == NULL && err != NULL && strstr(err, "none: no class folders"),
	    "no class folders: %s", err ? err : "(opened)");
	free(err);
	err = NULL;
	free(p);

	mk("empty");
	mk("empty/a");
	mk("empty/b");
	put_fixture("folder/cat/a-rgb.png", "empty/a/1.png");
	p = tpath("empty");
	d = wh_data_open_folder(p, 0, &ip, &err);
	ok(d == NULL && err != NULL && strstr(err, "empty/b: class folder "
	    "holds no images"), "an empty class folder: %s",
	    err ? err : "(opened)");
	free(err);
	err = NULL;
	free(p);

	mk("text");
	mk("text/a");
	put_fixture("folder/cat/a-rgb.png", "text/a/1.png");
	p = tpath("text/a/notes.txt");
	write_bytes(p, "hello\n", 6);
	free(p);
	p = tpath("text");
	d = wh_data_open_folder(p, 0, &ip, &err);
	ok(d == NULL && err != NULL && strstr(err, "text/a/notes.txt: not a "
	    "PNG or JPEG image"), "a file that is not an image: %s",
	    err ? err : "(opened)");
	free(err);
	err = NULL;
	free(p);

	p = tpath("text");
	d = wh_data_open_folder(p, 1, &ip, &err);
	wh_data_free(d);
	free(err);
	err = NULL;
	free(p);

	mk("many");
	mk("many/a");
	mk("many/b");
	put_fixture("folder/cat/a-rgb.png", "many/a/1.png");
	put_fixture("folder/cat/a-rgb.png", "many/b/1.png");
	p = tpath("many");
	d = wh_data_open_folder(p, 1, &ip, &err);
	ok(d == NULL && err != NULL && strstr(err, "2 class folders, the "
	    "model has 1 classes"), "more classes than outputs: %s",
	    err ? err : "(opened)");
	free(err);
	err = NULL;
	free(p);

	/* Corrupt in the middle: found when read, named. */
	mk("bad");
	mk("bad/a");
	put_fixture("folder/cat/a-rgb.png", "bad/a/1.png");
	p = tpath("bad/a/2.png");
	write_bytes(p, "\x89PNG\r\n\x1a\n\0\0\0\rIHDRjunk", 20);
	free(p);
	p = tpath("bad");
	d = wh_data_open_folder(p, 0, &ip, &err);
	if (ok(d != NULL && d->n == 2, "a folder with a corrupt second image "
	    "opens: %s", err ? err : "ok")) {
		out = xmalloc(2 * wh_data_sample_size(d) * sizeof *out);
		rc = wh_data_read(d, 0, 2, &pre, 0, out, &err);
		ok(rc == -1 &&
		    err != NULL && strstr(err, "bad/a/2.png: corrupt PNG"),
		    "the corrupt image is named: %s", err ? err : "(read)");
		free(out);
	}
	wh_data_free(d);
	free(err);
	err = NULL;
	free(p);

	/* Smaller than the input, with no crop asked for to pad it. */
	mk("small");
	mk("small/a");
	put_fixture("folder/bird/nested/h-small.png", "small/a/1.png");
	p = tpath("small");
	d = wh_data_open_folder(p, 0, &ip, &err);
	ok(d == NULL && err != NULL && strstr(err, "small/a/1.png: is 9x12 "
	    "after the preprocessing, smaller than the 12x14 input; give "
	    "--resize"), "an image smaller than the input: %s",
	    err ? err : "(opened)");
	wh_data_free(d);
	free(err);
	err = NULL;
	free(p);

	/* Two shapes that a resize alone does not unify. */
	mk("mixed");
	mk("mixed/a");
	put_fixture("folder/cat/a-rgb.png", "mixed/a/1.png");
	put_fixture("folder/cat/b-gray.png", "mixed/a/2.png");
	p = tpath("mixed");
	d = wh_data_open_folder(p, 0, &loose, &err);
	if (ok(d != NULL && d->h == 16 && d->w == 21,
	    "resize only: the first image sets 16x21: %s", err ? err : "ok")) {
		out = xmalloc(2 * wh_data_sample_size(d) * sizeof *out);
		rc = wh_data_read(d, 0, 2, &pre, 0, out, &err);
		ok(rc == -1 &&
		    err != NULL && strstr(err, "mixed/a/2.png: is 21x16 after "
		    "the preprocessing") && strstr(err, "give --crop"),
		    "a size the transforms cannot unify: %s",
		    err ? err : "(read)");
		free(out);
	}
	wh_data_free(d);
	free(err);
	free(p);
}

/* The reader hands out what wh_data_read gives, in and out of order. */
static void
test_reader(void)
{
	struct wh_image_pre ip = { 16, 14, 12, 3 };
	struct wh_preproc pre = { 1.0f / 255.0f, 1, 1, { 0.5f }, { 0.25f } };
	char *folder = fix("folder"), *err = NULL;
	struct wh_data_reader *r;
	struct wh_dataset *d;
	float *all, *got;
	size_t ss, s, order[] = { 0, 3, 6, 0, 3, 6, 2, 5 }, i;
	int same = 1, k;

	d = wh_data_open_folder(folder, 0, &ip, &err);
	if (!ok(d != NULL && d->n == 8, "reader: folder of 8: %s",
	    err ? err : "ok")) {
		free(err);
		free(folder);
		return;
	}
	ss = wh_data_sample_size(d);
	all = xmalloc(d->n * ss * sizeof *all);
	got = xmalloc(3 * ss * sizeof *got);
	wh_data_read(d, 0, d->n, &pre, 0, all, NULL);
	for (k = 1; k <= 3; k++) {
		r = wh_data_reader_new(d, &pre, 0, k);
		for (i = 0; i < sizeof order / sizeof order[0]; i++) {
			s = order[i];
			size_t n = d->n - s < 3 ? d->n - s : 3;

			if (wh_data_reader_get(r, s, n, got, &err) != 0 ||
			    memcmp(got, all + s * ss, n * ss * sizeof *got))
				same = 0;
		}
		wh_data_reader_free(r);
	}
	ok(same, "reader: batches of 3 read ahead 1, 2 and 3 deep, in order "
	    "and out of it, equal wh_data_read");
	free(got);
	free(all);
	wh_data_free(d);
	free(folder);
	free(err);
}

/* Transformed pixels are kept: a second pass decodes nothing. */
static void
test_cache(void)
{
	struct wh_image_pre ip = { 16, 14, 12, 3 };
	struct wh_preproc pre = { 1.0f / 255.0f, 0, 0, { 0 }, { 0 } };
	struct wh_dataset *d;
	char *p, *err = NULL;
	float *a, *b;
	size_t ss;
	int rc;

	mk("kept");
	mk("kept/a");
	put_fixture("folder/cat/a-rgb.png", "kept/a/1.png");
	put_fixture("folder/bird/e-photo.jpg", "kept/a/2.jpg");
	p = tpath("kept");
	d = wh_data_open_folder(p, 0, &ip, &err);
	free(p);
	if (!ok(d != NULL, "cache: folder opens: %s", err ? err : "ok"))
		return;
	ss = wh_data_sample_size(d);
	a = xmalloc(2 * ss * sizeof *a);
	b = xmalloc(2 * ss * sizeof *b);
	rc = wh_data_read(d, 0, 2, &pre, 0, a, &err);
	p = tpath("kept/a/2.jpg");
	unlink(p);
	free(p);
	rc |= wh_data_read(d, 0, 2, &pre, 0, b, &err);
	ok(rc == 0 && memcmp(a, b, 2 * ss * sizeof *a) == 0,
	    "cache: the second pass reads nothing from disk, same values: %s",
	    err ? err : "ok");
	free(a);
	free(b);
	free(err);
	wh_data_free(d);
}

/* NHWC arrays come out as NCHW. */
static void
test_nhwc(void)
{
	/* (2, 2, 3, 2) uint8, values 0..23 */
	char hdr[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '|u1', "
	    "'fortran_order': False, 'shape': (2, 2, 3, 2), }";
	unsigned char file[128 + 24], lab[128 + 2];
	char lhdr[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '|u1', "
	    "'fortran_order': False, 'shape': (2,), }";
	struct wh_data_opts o = { 1, { 0, 0, 0, 0 } };
	struct wh_dataset *d;
	char *ip = tpath("nhwc.npy"), *lp = tpath("nhwc-labels.npy");
	char *err = NULL;
	size_t i, hl = sizeof hdr - 1, ll = sizeof lhdr - 1;
	int good = 1, n, h, w, c;

	memset(file, ' ', 128);
	memcpy(file, hdr, hl);
	file[127] = '\n';
	for (i = 0; i < 24; i++)
		file[128 + i] = (unsigned char)i;
	memset(lab, ' ', 128);
	memcpy(lab, lhdr, ll);
	lab[127] = '\n';
	lab[128] = 0;
	lab[129] = 1;
	write_bytes(ip, file, sizeof file);
	write_bytes(lp, lab, sizeof lab);
	d = wh_data_load_opts(ip, lp, 0, &o, &err);
	if (ok(d != NULL && d->c == 2 && d->h == 2 && d->w == 3,
	    "--layout nhwc: (2, 2, 3, 2) is 2 samples of 2x2x3: %s",
	    err ? err : "ok")) {
		for (n = 0; n < 2; n++)
			for (c = 0; c < 2; c++)
				for (h = 0; h < 2; h++)
					for (w = 0; w < 3; w++)
						if (d->u8[((n * 2 + c) * 2 + h) * 3 + w] !=
						    ((n * 2 + h) * 3 + w) * 2 + c)
							good = 0;
		ok(good, "--layout nhwc: x[n][c][h][w] = file[n][h][w][c]");
	}
	wh_data_free(d);
	free(err);
	free(ip);
	free(lp);
}

static void
remove_tree(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		printf("# could not remove %s\n", path);
	free(cmd);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");

	fixdir = tap_srcdir();
	snprintf(tmpdir, sizeof tmpdir, "%s/whittle-image-XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_decode();
	test_bombs();
	test_png_kinds();
	test_resize();
	test_torchvision();
	test_bad_folders();
	test_reader();
	test_cache();
	test_nhwc();
	remove_tree(tmpdir);
	return tap_done();
}
