/* data-int.h - what the data loaders share inside the core */
#ifndef WHITTLE_DATA_INT_H
#define WHITTLE_DATA_INT_H

#include <stddef.h>

#include <zlib.h>

/*
 * A gzip stream (one or more members) inflated piece by piece from a
 * buffer the caller owns, so that a header can be read and checked before
 * anything the header implies is allocated.
 */
struct wh_gz {
	const char *path;
	const unsigned char *in;
	size_t inlen, fed;
	z_stream zs;
	int ended;		/* the last member ended, nothing follows */
};

/* Starts inflating in[0 .. inlen); path names the file in messages. */
void wh_gz_init(struct wh_gz *g, const char *path, const unsigned char *in,
    size_t inlen);
/*
 * Inflates up to n bytes into out and sets *got.  *got < n only at the
 * end of the stream.  A truncated or corrupt stream, or garbage after it,
 * is -1 with a message.
 */
int wh_gz_read(struct wh_gz *g, void *out, size_t n, size_t *got, char **err);
void wh_gz_release(struct wh_gz *g);

/*
 * The most that inlen bytes of gzip can inflate to: deflate codes a run
 * of 258 bytes in 2 bits at best (about 1032:1), and every member costs 18
 * bytes of framing.  SIZE_MAX when the product overflows.
 */
size_t wh_gz_bound(size_t inlen);

struct wh_folder_cache;
void wh_folder_cache_free(struct wh_folder_cache *fc);

#endif
