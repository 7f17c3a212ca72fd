/*
 * fuzz-image.c - the PNG and JPEG decoders (libpng, libjpeg) behind image
 * folders, and the transforms that follow them
 *
 * Input layout: one byte of flags (bits 0-1: the channels asked for, 0, 1
 * or 3), then the file.  Seeds: the image fixtures.  A decoded image must
 * have a sane size and hold every pixel it claims; a refusal must say why.
 * Decoded images are resized and cropped as torchvision's transforms do,
 * to small sizes chosen by the flags.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "whittle/image.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int chans[4] = { 0, 1, 3, 3 };
	struct wh_image img = { 0 }, r = { 0 }, c = { 0 }, g = { 0 };
	char *err = NULL;
	size_t n, i;
	unsigned sum = 0;
	int ch, side;

	if (size < 1)
		return 0;
	ch = chans[data[0] & 3];
	side = 1 + (data[0] >> 2);	/* 1 .. 64 */
	if (wh_image_decode(data + 1, size - 1, ch, "fuzz.img", &img,
	    &err) != 0) {
		if (err == NULL || err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();	/* a refusal is one line saying why */
		free(err);
		return 0;
	}
	if (img.w < 1 || img.h < 1 || (img.c != 1 && img.c != 3) ||
	    (ch != 0 && img.c != ch) || img.px == NULL ||
	    (size_t)img.w * img.h > WH_IMAGE_MAX_PIXELS)
		abort();
	/* every pixel is there to read */
	n = (size_t)img.w * img.h * img.c;
	for (i = 0; i < n; i++)
		sum += img.px[i];
	if ((size_t)img.w * img.h <= 1u << 20) {
		wh_image_resize(&img, side, side, &r);
		wh_image_center_crop(&r, side / 2 + 1, side / 2 + 1, &c);
		wh_image_convert(&c, c.c == 1 ? 3 : 1, &g);
		if (r.w != side || r.h != side || c.w != side / 2 + 1)
			abort();
	}
	wh_image_release(&g);
	wh_image_release(&c);
	wh_image_release(&r);
	wh_image_release(&img);
	return (int)(sum & 0);
}
