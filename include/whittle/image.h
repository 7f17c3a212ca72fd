/* image.h - PNG and JPEG decoding and torchvision's evaluation transforms */
#ifndef WHITTLE_IMAGE_H
#define WHITTLE_IMAGE_H

#include <stddef.h>

/* An 8-bit image: h rows of w pixels of c interleaved channels. */
struct wh_image {
	int w, h, c;		/* c: 1 (gray) or 3 (RGB) */
	unsigned char *px;	/* h * w * c bytes, owned */
};

/* Decoded images larger than this many pixels are refused. */
#define WH_IMAGE_MAX_PIXELS	((size_t)1 << 26)

/*
 * Decodes a PNG (libpng) or JPEG (libjpeg) held in buf[0 .. n), chosen by
 * its magic.  channels 1 gives gray, 3 RGB, 0 keeps what the file holds
 * (gray stays gray, everything else becomes RGB).  Palettes and bit depths
 * below 8 are expanded, 16-bit samples keep their high byte, alpha is
 * dropped (as PIL's convert("RGB") does); RGB becomes gray with PIL's
 * weights, L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16.  name names the
 * image in messages.  Fills img (release with wh_image_release) and returns
 * 0, or -1 with a message; never reads past buf + n, whatever the bytes.
 */
int wh_image_decode(const void *buf, size_t n, int channels, const char *name,
    struct wh_image *img, char **err);
void wh_image_release(struct wh_image *img);

/*
 * Scales the image so that its shorter side is size pixels, the longer
 * one int(size * long / short), with PIL's bilinear filter (Pillow's
 * Image.resize with BILINEAR, as torchvision's Resize on PIL images uses):
 * a triangle filter widened by the scale factor when shrinking, weights in
 * 22-bit fixed point, one horizontal then one vertical pass, each rounded
 * to 8 bits.  An image whose shorter side is already size is copied.
 */
void wh_image_resize_short(const struct wh_image *in, int size,
    struct wh_image *out);

/* Scales to exactly w x h with the same filter. */
void wh_image_resize(const struct wh_image *in, int w, int h,
    struct wh_image *out);

/*
 * torchvision's CenterCrop: the h x w window at top = round((H - h) / 2),
 * left = round((W - w) / 2) (halves to even, as Python rounds), padding
 * with zeros where the image is smaller than the window.
 */
void wh_image_center_crop(const struct wh_image *in, int w, int h,
    struct wh_image *out);

/* Converts between gray and RGB (c 1 or 3) as wh_image_decode does. */
void wh_image_convert(const struct wh_image *in, int c, struct wh_image *out);

#endif
