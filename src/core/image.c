/* image.c - PNG and JPEG decoding from memory with libpng and libjpeg */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "whittle/image.h"
#include "whittle/util.h"

static const unsigned char png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
    0x1a, '\n' };

void
wh_image_release(struct wh_image *img)
{
	free(img->px);
	memset(img, 0, sizeof *img);
}

/* Refuses sizes beyond the limit before anything is allocated. */
static int
check_size(const char *name, const char *kind, size_t w, size_t h,
    char **err)
{
	size_t px;

	if (w == 0 || h == 0)
		return wh_error(err, "%s: %s image of %zux%zu pixels is empty",
		    name, kind, w, h);
	if (wh_mul_size(w, h, &px) != 0 || px > WH_IMAGE_MAX_PIXELS)
		return wh_error(err, "%s: %s image of %zux%zu pixels is over the "
		    "limit of %zu pixels", name, kind, w, h,
		    (size_t)WH_IMAGE_MAX_PIXELS);
	return 0;
}

void
wh_image_convert(const struct wh_image *in, int c, struct wh_image *out)
{
	size_t n = (size_t)in->w * (size_t)in->h, i;
	const unsigned char *p = in->px;

	out->w = in->w;
	out->h = in->h;
	out->c = c;
	out->px = xmalloc(n * (size_t)c);
	if (in->c == c) {
		memcpy(out->px, in->px, n * (size_t)c);
	} else if (c == 1) {
		for (i = 0; i < n; i++, p += 3)
			out->px[i] = (unsigned char)(((uint32_t)p[0] * 19595 +
			    (uint32_t)p[1] * 38470 + (uint32_t)p[2] * 7471 +
			    0x8000) >> 16);
	} else {
		for (i = 0; i < n; i++)
			memset(out->px + 3 * i, p[i], 3);
	}
}

/* The file's pixels become what the caller asked for (0: keep). */
static void
finish(struct wh_image *img, int channels)
{
	struct wh_image t;

	if (channels == 0 || channels == img->c)
		return;
	wh_image_convert(img, channels, &t);
	free(img->px);
	*img = t;
}

/* ------------------------------------------------------------------ */
/* PNG */

struct png_src {
	const unsigned char *p;
	size_t n, off;
	const char *name;
	char msg[200];
};

static void
png_read_mem(png_structp png, png_bytep out, size_t len)
{
	struct png_src *s = png_get_io_ptr(png);

	if (len > s->n - s->off) {
		snprintf(s->msg, sizeof s->msg, "PNG data is truncated");
		png_longjmp(png, 1);
	}
	memcpy(out, s->p + s->off, len);
	s->off += len;
}

static void
png_on_error(png_structp png, png_const_charp msg)
{
	struct png_src *s = png_get_error_ptr(png);

	if (s->msg[0] == '\0')
		snprintf(s->msg, sizeof s->msg, "%s", msg);
	png_longjmp(png, 1);
}

static void
png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int
decode_png(const unsigned char *buf, size_t n, int channels, const char *name,
    struct wh_image *img, char **err)
{
	struct png_src src = { buf, n, 0, name, "" };
	png_structp png;
	png_infop info = NULL;
	png_bytep *volatile rows = NULL;
	unsigned char *volatile px = NULL;
	png_uint_32 w, h, y;
	int depth, type, c;
	size_t stride;

	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error,
	    png_on_warning);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL)
		wh_fatal("out of memory starting libpng");
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		free(rows);
		free(px);
		return wh_error(err, "%s: corrupt PNG: %s", name,
		    src.msg[0] != '\0' ? src.msg : "unknown libpng error");
	}
	/* libpng's own bounds on width, height and chunk sizes. */
	png_set_user_limits(png, 1 << 20, 1 << 20);
	png_set_chunk_malloc_max(png, (png_alloc_size_t)64 << 20);
	png_set_read_fn(png, &src, png_read_mem);
	png_read_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	depth = png_get_bit_depth(png, info);
	type = png_get_color_type(png, info);
	if (check_size(name, "PNG", w, h, err) != 0) {
		png_destroy_read_struct(&png, &info, NULL);
		return -1;
	}
	/* The rows are deflated: they cannot be over 1032 times the file. */
	if ((double)png_get_rowbytes(png, info) * h > 1032.0 * n + 65536) {
		png_destroy_read_struct(&png, &info, NULL);
		return wh_error(err, "%s: corrupt PNG: %ux%u pixels cannot be "
		    "held in a file of %zu bytes", name, (unsigned)w,
		    (unsigned)h, n);
	}

	/* Everything to 8-bit gray or RGB, by libpng's transforms. */
	if (type == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (depth == 16)
		png_set_strip_16(png);
	if (type & PNG_COLOR_MASK_ALPHA)
		png_set_strip_alpha(png);
	c = type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA ?
	    1 : 3;
	if (c == 1 && channels == 3) {
		png_set_gray_to_rgb(png);
		c = 3;
	}
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	stride = png_get_rowbytes(png, info);
	if (stride != (size_t)w * (size_t)c) {
		png_destroy_read_struct(&png, &info, NULL);
		return wh_error(err, "%s: PNG rows of %zu bytes, expected %zu",
		    name, stride, (size_t)w * (size_t)c);
	}
	px = xmalloc((size_t)h * stride);
	rows = xcalloc(h, sizeof *rows);
	for (y = 0; y < h; y++)
		rows[y] = px + (size_t)y * stride;
	png_read_image(png, rows);
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	free(rows);

	img->w = (int)w;
	img->h = (int)h;
	img->c = c;
	img->px = px;
	finish(img, channels);
	return 0;
}

/* ------------------------------------------------------------------ */
/* JPEG */

struct jpeg_fail {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
	char msg[JMSG_LENGTH_MAX];
};

static void
jpeg_on_error(j_common_ptr cinfo)
{
	struct jpeg_fail *f = (struct jpeg_fail *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, f->msg);
	longjmp(f->jmp, 1);
}

/*
 * Warnings do not stop libjpeg; a stream that ends early does stop us, as
 * it stops PIL ("image file is truncated"), rather than grey filler.
 */
static void
jpeg_on_message(j_common_ptr cinfo, int level)
{
	struct jpeg_fail *f = (struct jpeg_fail *)cinfo->err;

	if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
		(*cinfo->err->format_message)(cinfo, f->msg);
		longjmp(f->jmp, 1);
	}
}

static int
decode_jpeg(const unsigned char *buf, size_t n, int channels,
    const char *name, struct wh_image *img, char **err)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_fail fail;
	unsigned char *volatile px = NULL;
	JSAMPROW row;
	size_t stride;
	int c;

	memset(&cinfo, 0, sizeof cinfo);
	memset(&fail, 0, sizeof fail);
	cinfo.err = jpeg_std_error(&fail.pub);
	fail.pub.error_exit = jpeg_on_error;
	fail.pub.emit_message = jpeg_on_message;
	if (setjmp(fail.jmp)) {
		jpeg_destroy_decompress(&cinfo);
		free(px);
		return wh_error(err, "%s: corrupt JPEG: %s", name, fail.msg);
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, buf, (unsigned long)n);
	jpeg_read_header(&cinfo, TRUE);
	if (check_size(name, "JPEG", cinfo.image_width, cinfo.image_height,
	    err) != 0) {
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	/*
	 * Every 8x8 block of a full-resolution component codes its DC value
	 * in at least one bit, progressive or not: a header promising more
	 * blocks than the file has bits is refused before the buffers are.
	 */
	if ((double)cinfo.image_width * cinfo.image_height > 512.0 * n +
	    65536) {
		jpeg_destroy_decompress(&cinfo);
		return wh_error(err, "%s: corrupt JPEG: %ux%u pixels cannot be "
		    "held in a file of %zu bytes", name,
		    (unsigned)cinfo.image_width, (unsigned)cinfo.image_height,
		    n);
	}
	switch (cinfo.jpeg_color_space) {
	case JCS_GRAYSCALE:
		cinfo.out_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		jpeg_destroy_decompress(&cinfo);
		return wh_error(err, "%s: CMYK JPEG images are not supported "
		    "(convert to RGB)", name);
	default:
		cinfo.out_color_space = JCS_RGB;
		break;
	}
	jpeg_start_decompress(&cinfo);
	c = cinfo.output_components;
	if (c != 1 && c != 3) {
		jpeg_destroy_decompress(&cinfo);
		return wh_error(err, "%s: JPEG decodes to %d components", name,
		    c);
	}
	stride = (size_t)cinfo.output_width * (size_t)c;
	px = xmalloc(stride * cinfo.output_height);
	while (cinfo.output_scanline < cinfo.output_height) {
		row = px + (size_t)cinfo.output_scanline * stride;
		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	img->w = (int)cinfo.output_width;
	img->h = (int)cinfo.output_height;
	img->c = c;
	img->px = px;
	jpeg_destroy_decompress(&cinfo);
	finish(img, channels);
	return 0;
}

int
wh_image_decode(const void *buf, size_t n, int channels, const char *name,
    struct wh_image *img, char **err)
{
	const unsigned char *p = buf;

	memset(img, 0, sizeof *img);
	if (name == NULL)
		name = "image";
	if (channels != 0 && channels != 1 && channels != 3)
		return wh_error(err, "%s: %d channels asked for, expected 1 or 3",
		    name, channels);
	if (n >= 8 && memcmp(p, png_magic, 8) == 0)
		return decode_png(p, n, channels, name, img, err);
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return decode_jpeg(p, n, channels, name, img, err);
	if (n == 0)
		return wh_error(err, "%s: file is empty, not an image", name);
	return wh_error(err, "%s: not a PNG or JPEG image", name);
}
