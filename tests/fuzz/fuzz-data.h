/*
 * fuzz-data.h - the data harnesses' shared body (fuzz-idx.c, fuzz-npy.c)
 *
 * One input holds both files of a data set:
 *
 *   byte 0      flags: 1 gzip the images file, 2 gzip the labels file,
 *               4 allow only 10 classes
 *   bytes 1-4   the images file's length n, little-endian (clipped)
 *   bytes 5..   n bytes of images file, then the labels file
 *
 * The gzip flags let the fuzzer change what is inside a valid gzip stream
 * (mutating the stream itself mostly breaks its checksum).  The files are
 * written to memory files and loaded by name, through wh_data_load, as
 * the commands load them.
 */
#ifndef WHITTLE_FUZZ_DATA_H
#define WHITTLE_FUZZ_DATA_H

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "whittle/data.h"
#include "fuzz.h"

/* Replaces the memory file's bytes; 0 or -1.  fd < 0 opens it first. */
static int
fuzz_memfile(int *fd, char *path, size_t size, const uint8_t *data,
    size_t len, int gzip)
{
	unsigned char *z = NULL;
	uLongf zlen;
	ssize_t w;

	if (*fd < 0) {
		*fd = memfd_create("whittle-fuzz", 0);
		if (*fd < 0)
			return -1;
	}
	snprintf(path, size, "/proc/self/fd/%d", *fd);
	if (gzip) {
		z_stream s;

		memset(&s, 0, sizeof s);
		zlen = compressBound(len) + 32;
		z = malloc(zlen);
		if (z == NULL || deflateInit2(&s, 1, Z_DEFLATED, 31, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK) {
			free(z);
			return -1;
		}
		s.next_in = (unsigned char *)data;
		s.avail_in = (uInt)len;
		s.next_out = z;
		s.avail_out = (uInt)zlen;
		if (deflate(&s, Z_FINISH) != Z_STREAM_END) {
			deflateEnd(&s);
			free(z);
			return -1;
		}
		len = s.total_out;
		deflateEnd(&s);
		data = z;
	}
	if (ftruncate(*fd, 0) != 0) {
		free(z);
		return -1;
	}
	w = len ? pwrite(*fd, data, len, 0) : 0;
	free(z);
	return w == (ssize_t)len ? 0 : -1;
}

static int
fuzz_data_pair(const uint8_t *data, size_t size)
{
	static int ifd = -1, lfd = -1;
	char ipath[64], lpath[64], *err = NULL;
	struct wh_dataset *d;
	struct wh_value in;
	size_t n, i;
	int flags;

	if (size < 5)
		return 0;
	flags = data[0];
	n = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 |
	    (size_t)data[4] << 24;
	data += 5;
	size -= 5;
	if (n > size)
		n = size;
	if (fuzz_memfile(&ifd, ipath, sizeof ipath, data, n, flags & 1) != 0 ||
	    fuzz_memfile(&lfd, lpath, sizeof lpath, data + n, size - n,
	    flags & 2) != 0)
		return 0;

	d = wh_data_load(ipath, lpath, flags & 4 ? 10 : 0, &err);
	if (d == NULL) {
		/* every refusal says why */
		if (err == NULL || err[0] == '\0')
			abort();
		free(err);
		return 0;
	}
	if ((d->u8 == NULL) == (d->f == NULL) && d->n > 0)
		abort();
	for (i = 0; i < d->n; i++)
		if (d->labels[i] < 0 || d->labels[i] >= d->nclasses)
			abort();
	/* the first and the last sample through the preprocessing */
	{
		struct wh_preproc pre;
		size_t ss = wh_data_sample_size(d);
		float *out;

		memset(&pre, 0, sizeof pre);
		pre.scale = 1.0f / 255.0f;
		if (d->n > 0 && ss <= ((size_t)1 << 24)) {
			out = malloc(ss * sizeof *out);
			if (out != NULL) {
				wh_data_batch(d, 0, 1, &pre, 0, out);
				wh_data_batch(d, d->n - 1, 1, &pre, 0, out);
				free(out);
			}
		}
	}
	/* and the shape check against a model input of (N, 1, 28, 28) */
	memset(&in, 0, sizeof in);
	in.name = (char *)"input";
	in.elem_type = 1;
	in.ndim = 4;
	in.dims[0] = -1;
	in.dims[1] = 1;
	in.dims[2] = in.dims[3] = 28;
	if (wh_data_check_shape(d, &in, &err) != 0)
		free(err);
	wh_data_free(d);
	return 0;
}

#endif
