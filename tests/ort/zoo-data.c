/*
 * zoo-data.c - the validation images of the zoo models: Fashion-MNIST's
 * 28x28 images padded with a zero border to SIZE x SIZE and repeated to
 * CHANNELS channels, written as an uncompressed IDX file of unsigned bytes
 * (N, CHANNELS, SIZE, SIZE).  tools/train_zoo.py writes the same bytes.
 * Given COUNT and the normalization, the first COUNT images go to an NPY
 * file of float32 (COUNT, CHANNELS, SIZE, SIZE) instead, each value
 * (byte * SCALE - MEAN) / STD, as a model input.
 *
 *   zoo-data IN.idx[.gz] OUT.idx [SIZE [CHANNELS]]    (default 32 3)
 *   zoo-data IN.idx[.gz] OUT.npy SIZE CHANNELS COUNT SCALE MEAN STD
 *
 * Exit status 0, 1 on a read or write error, 2 on bad arguments.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "whittle/util.h"

static int
fail(const char *path, const char *what)
{
	fprintf(stderr, "zoo-data: %s: %s\n", path, what);
	return 1;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* The first count images of idx (n, c, size, size) as an NPY file. */
static int
write_npy(const char *path, const unsigned char *idx, uint32_t count,
    long channels, long size, const char *const *norm)
{
	char head[128];
	size_t vals = (size_t)count * (size_t)channels * (size_t)(size * size);
	size_t hl, i;
	unsigned char *buf;
	float v, scale = strtof(norm[0], NULL), mean = strtof(norm[1], NULL);
	float sd = strtof(norm[2], NULL);
	char *err = NULL;
	int r;

	/* version 1.0: magic, version, header length, the header padded
	 * with spaces to a multiple of 64 and ending in a newline */
	memset(head, ' ', sizeof head);
	hl = (size_t)snprintf(head + 10, sizeof head - 10, "{'descr': '<f4', "
	    "'fortran_order': False, 'shape': (%lu, %ld, %ld, %ld), }",
	    (unsigned long)count, channels, size, size) + 10;
	head[hl] = ' ';
	hl = (hl + 1 + 63) / 64 * 64;
	head[hl - 1] = '\n';
	memcpy(head, "\x93NUMPY\x01\x00", 8);
	head[8] = (char)((hl - 10) & 0xff);
	head[9] = (char)((hl - 10) >> 8);
	if ((buf = malloc(hl + vals * sizeof v)) == NULL)
		return fail(path, "out of memory");
	memcpy(buf, head, hl);
	for (i = 0; i < vals; i++) {
		v = ((float)idx[i] * scale - mean) / sd;
		memcpy(buf + hl + i * sizeof v, &v, sizeof v);	/* little-endian
								 * hosts */
	}
	r = wh_write_atomic(path, buf, hl + vals * sizeof v, &err);
	if (r != 0) {
		fprintf(stderr, "zoo-data: %s\n", err);
		free(err);
	}
	free(buf);
	return r != 0;
}

int
main(int argc, char **argv)
{
	unsigned char head[16], *img, *out, *p;
	uint32_t n, h, w, i, c, y;
	long size = 32, channels = 3, count = 0;
	size_t plane, len;
	char *end, *err = NULL;
	gzFile in;

	if ((argc < 3 || argc > 5) && argc != 9) {
		fprintf(stderr, "usage: zoo-data IN.idx[.gz] OUT.idx "
		    "[SIZE [CHANNELS]]\n"
		    "       zoo-data IN.idx[.gz] OUT.npy SIZE CHANNELS COUNT "
		    "SCALE MEAN STD\n");
		return 2;
	}
	if (argc > 3 && ((size = strtol(argv[3], &end, 10)) < 1 ||
	    size > 4096 || *end != '\0'))
		return fail(argv[3], "SIZE must be 1 to 4096"), 2;
	if (argc > 4 && ((channels = strtol(argv[4], &end, 10)) < 1 ||
	    channels > 16 || *end != '\0'))
		return fail(argv[4], "CHANNELS must be 1 to 16"), 2;
	if (argc == 9 && ((count = strtol(argv[5], &end, 10)) < 1 ||
	    count > 1000000 || *end != '\0'))
		return fail(argv[5], "COUNT must be 1 to 1000000"), 2;

	/* gzread reads plain files as they are, too */
	if ((in = gzopen(argv[1], "rb")) == NULL)
		return fail(argv[1], strerror(errno));
	if (gzread(in, head, sizeof head) != (int)sizeof head ||
	    head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] != 3)
		return fail(argv[1], "not an IDX file of (N, H, W) unsigned "
		    "bytes");
	n = be32(head + 4);
	h = be32(head + 8);
	w = be32(head + 12);
	if (n == 0 || n > 1000000 || h == 0 || w == 0 ||
	    h > (uint32_t)size || w > (uint32_t)size)
		return fail(argv[1], "no images, too many, or larger than "
		    "SIZE");
	if (count > (long)n)
		return fail(argv[1], "fewer images than COUNT");
	plane = (size_t)size * (size_t)size;
	len = 20 + (size_t)n * (size_t)channels * plane;
	if ((img = malloc((size_t)h * w)) == NULL ||
	    (out = calloc(len, 1)) == NULL)
		return fail(argv[1], "out of memory");

	/* (n, channels, size, size) unsigned bytes */
	memcpy(out, "\0\0\x08\x04", 4);
	put_be32(out + 4, n);
	put_be32(out + 8, (uint32_t)channels);
	put_be32(out + 12, (uint32_t)size);
	put_be32(out + 16, (uint32_t)size);
	/* the border: (size - h) / 2 rows above, (size - w) / 2 columns left */
	p = out + 20;
	for (i = 0; i < n; i++, p += channels * plane) {
		if (gzread(in, img, h * w) != (int)(h * w))
			return fail(argv[1], "truncated image data");
		for (y = 0; y < h; y++)
			memcpy(p + ((size - h) / 2 + y) * (size_t)size +
			    (size - w) / 2, img + (size_t)y * w, w);
		for (c = 1; c < (uint32_t)channels; c++)
			memcpy(p + c * plane, p, plane);
	}
	gzclose(in);
	if (count > 0) {
		int r = write_npy(argv[2], out + 20, (uint32_t)count, channels,
		    size, (const char *const *)argv + 6);

		free(img);
		free(out);
		return r;
	}
	if (wh_write_atomic(argv[2], out, len, &err) != 0) {
		fprintf(stderr, "zoo-data: %s\n", err);
		return 1;
	}
	free(img);
	free(out);
	return 0;
}
