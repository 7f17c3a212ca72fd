/* data-gz.c - gzip inflated as a stream, for loaders that check headers
 * before they allocate what the header promises */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "data-int.h"
#include "whittle/util.h"

static int
is_gzip(const unsigned char *p, size_t n)
{
	return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

void
wh_gz_init(struct wh_gz *g, const char *path, const unsigned char *in,
    size_t inlen)
{
	memset(g, 0, sizeof *g);
	g->path = path;
	g->in = in;
	g->inlen = inlen;
	if (inflateInit2(&g->zs, 15 + 16) != Z_OK)	/* gzip wrapper only */
		wh_fatal("out of memory starting zlib");
}

void
wh_gz_release(struct wh_gz *g)
{
	inflateEnd(&g->zs);
}

size_t
wh_gz_bound(size_t inlen)
{
	size_t b;

	if (wh_mul_size(inlen, 1032, &b) != 0 ||
	    wh_add_size(b, 1032, &b) != 0)
		return SIZE_MAX;
	return b;
}

int
wh_gz_read(struct wh_gz *g, void *out, size_t n, size_t *got, char **err)
{
	unsigned char *o = out;
	size_t done = 0, room, left;
	int ret;

	*got = 0;
	while (done < n && !g->ended) {
		/* zlib counts in uInt: feed and drain in pieces. */
		if (g->zs.avail_in == 0 && g->fed < g->inlen) {
			left = g->inlen - g->fed;
			g->zs.next_in = (Bytef *)(uintptr_t)(g->in + g->fed);
			g->zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
			g->fed += g->zs.avail_in;
		}
		room = n - done < UINT_MAX ? n - done : UINT_MAX;
		g->zs.next_out = o + done;
		g->zs.avail_out = (uInt)room;
		ret = inflate(&g->zs, Z_NO_FLUSH);
		done += room - g->zs.avail_out;
		if (ret == Z_OK || ret == Z_BUF_ERROR) {
			if (g->zs.avail_in != 0 || g->fed < g->inlen ||
			    g->zs.avail_out == 0)
				continue;
			return wh_error(err, "%s: gzip stream is truncated",
			    g->path);
		}
		if (ret == Z_MEM_ERROR)
			wh_fatal("out of memory inflating %s", g->path);
		if (ret != Z_STREAM_END)
			return wh_error(err, "%s: gzip stream is corrupt (%s)",
			    g->path, g->zs.msg != NULL ? g->zs.msg :
			    "unknown zlib error");
		/* The end of a member: gzip(1) may have added more. */
		left = (g->inlen - g->fed) + g->zs.avail_in;
		if (left == 0) {
			g->ended = 1;
			break;
		}
		if (!is_gzip(g->in + g->inlen - left, left))
			return wh_error(err, "%s: %zu bytes of trailing garbage "
			    "after the gzip stream", g->path, left);
		if (inflateReset(&g->zs) != Z_OK)
			wh_fatal("zlib cannot reset its stream");
	}
	*got = done;
	return 0;
}
