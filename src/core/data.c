/* data.c - validation sets: IDX (MNIST family) and NPY images with labels */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data-int.h"
#include "whittle/data.h"
#include "whittle/util.h"

#ifndef WH_DATADIR
#define WH_DATADIR "/usr/share/datasets"
#endif

/* Bound on one file, inflated: far above any validation set. */
#define DATA_MAX_BYTES	((size_t)1 << (sizeof(size_t) > 4 ? 34 : 30))
/* numpy writes headers of a few hundred bytes; it reads up to 10,000. */
#define NPY_HEAD_MAX	65536
/* What a loader inflates before it parses the header. */
#define HEAD_BYTES	(12 + NPY_HEAD_MAX)
/* Labels above this are taken for a broken file, not a class index. */
#define MAX_LABEL	65535

enum role { IMAGES, LABELS };

enum elem { E_U8, E_I8, E_I32, E_I64, E_F32 };

/* One array as a file describes it; data points into the file's buffer. */
struct array {
	enum elem type;
	int big;		/* multi-byte elements are big-endian */
	size_t esize;
	int ndim;		/* 1 to 4 */
	size_t dims[4];
	size_t count;		/* product of dims */
	const unsigned char *data;	/* count * esize bytes */
};

static const unsigned char npy_magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

static size_t
elem_size(enum elem t)
{
	switch (t) {
	case E_U8:
	case E_I8:
		return 1;
	case E_I32:
	case E_F32:
		return 4;
	case E_I64:
		return 8;
	}
	return 1;
}

/* "10000 images of 28x28", "5 vectors of 784", "10000 labels". */
static void
describe(char *buf, size_t size, enum role role, int ndim, const size_t *dims,
    size_t n)
{
	if (role == LABELS || ndim < 2)
		snprintf(buf, size, "%zu %s", n, role == LABELS ? "labels" :
		    "values");
	else if (ndim == 2)
		snprintf(buf, size, "%zu vectors of %zu", n, dims[1]);
	else if (ndim == 3)
		snprintf(buf, size, "%zu images of %zux%zu", n, dims[1],
		    dims[2]);
	else
		snprintf(buf, size, "%zu images of %zux%zux%zu", n, dims[1],
		    dims[2], dims[3]);
}

/* "4294967295x65536x65536" */
static void
dims_str(char *buf, size_t size, int ndim, const size_t *dims)
{
	size_t used = 0;
	int i, r;

	buf[0] = '\0';
	for (i = 0; i < ndim && used < size; i++) {
		r = snprintf(buf + used, size - used, "%s%zu", i ? "x" : "",
		    dims[i]);
		if (r < 0)
			break;
		used += (size_t)r;
	}
}

/*
 * Checks the dims (role, non-empty, no overflow) and fills a->count and
 * *need, the bytes of values the header promises.
 */
static int
check_dims(const char *path, enum role role, struct array *a, size_t *need,
    char **err)
{
	char shape[128];
	size_t sample, i;

	dims_str(shape, sizeof shape, a->ndim, a->dims);
	if (role == IMAGES && (a->ndim < 2 || a->ndim > 4))
		return wh_error(err, "%s: images need 2 to 4 dimensions, "
		    "(n, features), (n, h, w) or (n, c, h, w); the file has %d "
		    "(%s)", path, a->ndim, shape);
	if (role == LABELS && a->ndim != 1)
		return wh_error(err, "%s: labels need 1 dimension (n), the "
		    "file has %d (%s)", path, a->ndim, shape);
	if (a->dims[0] == 0)
		return wh_error(err, "%s: holds no samples (shape %s)", path,
		    shape);
	sample = a->esize;
	for (i = 1; i < (size_t)a->ndim; i++)
		if (wh_mul_size(sample, a->dims[i], &sample) != 0)
			return wh_error(err, "%s: dimensions %s overflow", path,
			    shape);
	if (wh_mul_size(sample, a->dims[0], need) != 0 ||
	    wh_mul_size(a->dims[0], sample / a->esize, &a->count) != 0)
		return wh_error(err, "%s: dimensions %s overflow", path, shape);
	for (i = 1; i < (size_t)a->ndim; i++)
		if (a->dims[i] == 0 || a->dims[i] > INT_MAX)
			return wh_error(err, "%s: sample shape %s is not "
			    "usable", path, shape);
	return 0;
}

/* Bytes of one sample; check_dims() has checked the product. */
static size_t
sample_bytes(const struct array *a)
{
	size_t s = a->esize;
	int i;

	for (i = 1; i < a->ndim; i++)
		s *= a->dims[i];
	return s;
}

/*
 * Checks that exactly the promised bytes follow the header at off (more
 * says "more", when the stream was stopped before its end); fills a->data.
 */
static int
check_len(const char *path, enum role role, struct array *a,
    const unsigned char *buf, size_t len, size_t off, int more, char **err)
{
	char what[128];
	size_t need = a->count * a->esize, have = len - off;
	size_t sample = sample_bytes(a);

	describe(what, sizeof what, role, a->ndim, a->dims, a->dims[0]);
	if (have < need) {
		if (have % sample == 0)
			return wh_error(err, "%s: header promises %s, the file "
			    "holds %zu", path, what, have / sample);
		return wh_error(err, "%s: header promises %s, the file holds "
		    "%zu and %zu bytes more", path, what, have / sample,
		    have % sample);
	}
	if (more)
		return wh_error(err, "%s: inflates to more than the %s the "
		    "header promises", path, what);
	if (have > need)
		return wh_error(err, "%s: %zu trailing byte%s after the %s the "
		    "header promises", path, have - need,
		    have - need == 1 ? "" : "s", what);
	a->data = buf + off;
	return 0;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | (uint32_t)p[0];
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p + 4) << 32 | le32(p);
}

/*
 * IDX: magic 00 00 <type> <ndims>, ndims big-endian uint32 dims, then the
 * values in row-major order, multi-byte ones big-endian.
 */
static int
parse_idx(const char *path, enum role role, const unsigned char *buf,
    size_t len, struct array *a, size_t *offp, char **err)
{
	int type = buf[2], i;
	size_t off;

	memset(a, 0, sizeof *a);
	a->big = 1;
	switch (type) {
	case 0x08:
		a->type = E_U8;
		break;
	case 0x09:
		a->type = E_I8;
		break;
	case 0x0c:
		a->type = E_I32;
		break;
	case 0x0d:
		a->type = E_F32;
		break;
	case 0x0b:
	case 0x0e:
		return wh_error(err, "%s: IDX element type 0x%02x (%s) is not "
		    "supported", path, type, type == 0x0b ? "int16" : "double");
	default:
		return wh_error(err, "%s: bad IDX magic %02x %02x %02x %02x "
		    "(unknown element type 0x%02x)", path, buf[0], buf[1],
		    buf[2], buf[3], type);
	}
	if (role == IMAGES && a->type != E_U8 && a->type != E_F32)
		return wh_error(err, "%s: IDX images of element type 0x%02x "
		    "are not supported (use 0x08 unsigned byte or 0x0d float)",
		    path, type);
	if (role == LABELS && a->type == E_F32)
		return wh_error(err, "%s: IDX labels are float (0x0d), not "
		    "integers", path);
	a->esize = elem_size(a->type);

	a->ndim = buf[3];
	if (a->ndim < 1 || a->ndim > 4)
		return wh_error(err, "%s: IDX header gives %d dimensions, "
		    "expected 1 to 4", path, a->ndim);
	off = 4 + 4 * (size_t)a->ndim;
	if (len < off)
		return wh_error(err, "%s: IDX header is truncated: %d "
		    "dimensions need %zu bytes, the file holds %zu", path,
		    a->ndim, off, len);
	for (i = 0; i < a->ndim; i++)
		a->dims[i] = be32(buf + 4 + 4 * i);
	*offp = off;
	return 0;
}

/* A strict reader for the Python dict literal in an NPY header. */
struct npy_parser {
	const char *path;
	const char *s, *end, *p;
	char **err;
};

static int
npy_fail(struct npy_parser *ps, const char *why)
{
	char quoted[100];
	size_t n = (size_t)(ps->end - ps->s), i, j = 0;

	/* The header less its padding, control bytes shown as '?', <= 80. */
	while (n > 0 && (ps->s[n - 1] == ' ' || ps->s[n - 1] == '\n'))
		n--;
	for (i = 0; i < n && j < 80; i++) {
		unsigned char c = (unsigned char)ps->s[i];

		quoted[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	quoted[j] = '\0';
	return wh_error(ps->err, "%s: bad NPY header: %s in \"%s%s\"", ps->path,
	    why, quoted, i < n ? "..." : "");
}

static void
npy_space(struct npy_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Skips spaces; -1 (with "unterminated dict") at the end of the header. */
static int
npy_peek(struct npy_parser *ps)
{
	npy_space(ps);
	if (ps->p == ps->end)
		return npy_fail(ps, "unterminated dict");
	return (unsigned char)*ps->p;
}

/* A '...' or "..." string of at most size - 1 bytes into out. */
static int
npy_string(struct npy_parser *ps, char *out, size_t size, const char *what)
{
	char quote, msg[64];
	size_t n = 0;
	int c;

	if ((c = npy_peek(ps)) < 0)
		return -1;
	if (c != '\'' && c != '"') {
		snprintf(msg, sizeof msg, "expected a quoted %s", what);
		return npy_fail(ps, msg);
	}
	quote = *ps->p++;
	while (ps->p < ps->end && *ps->p != quote) {
		if (*ps->p == '\\' || *ps->p == '\n' || n + 1 >= size)
			return npy_fail(ps, "unsupported string");
		out[n++] = *ps->p++;
	}
	if (ps->p == ps->end)
		return npy_fail(ps, "unterminated string");
	ps->p++;
	out[n] = '\0';
	return 0;
}

static int
npy_word(struct npy_parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

/* (n,), (n, h, w), ... with optional Python 2 'L' suffixes. */
static int
npy_shape(struct npy_parser *ps, struct array *a)
{
	uint64_t v;
	int c;

	if ((c = npy_peek(ps)) < 0)
		return -1;
	if (c != '(')
		return npy_fail(ps, "expected a tuple for 'shape'");
	ps->p++;
	a->ndim = 0;
	for (;;) {
		if ((c = npy_peek(ps)) < 0)
			return -1;
		if (c == ')')
			break;
		if (c < '0' || c > '9')
			return npy_fail(ps, "bad 'shape' entry");
		v = 0;
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
			if (v > (UINT64_MAX - 9) / 10 || v * 10 + 9 > SIZE_MAX)
				return npy_fail(ps, "'shape' entry too large");
			v = v * 10 + (uint64_t)(*ps->p++ - '0');
		}
		if (ps->p < ps->end && *ps->p == 'L')
			ps->p++;
		if (a->ndim == 4)
			return npy_fail(ps, "more than 4 dimensions in "
			    "'shape'");
		a->dims[a->ndim++] = (size_t)v;
		if ((c = npy_peek(ps)) < 0)
			return -1;
		if (c == ',')
			ps->p++;
		else if (c != ')')
			return npy_fail(ps, "expected ',' or ')' in 'shape'");
	}
	ps->p++;
	if (a->ndim == 0)
		return npy_fail(ps, "'shape' is () (a scalar)");
	return 0;
}

/*
 * Parses "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 28, 28), }"
 * followed by spaces and a newline.
 */
static int
npy_header(const char *path, const char *s, size_t n, char *descr,
    size_t dsize, int *fortran, struct array *a, char **err)
{
	struct npy_parser ps = { path, s, s + n, s, err };
	int have_descr = 0, have_fortran = 0, have_shape = 0, *seen, c;
	char key[32], msg[96];

	if ((c = npy_peek(&ps)) < 0)
		return -1;
	if (c != '{')
		return npy_fail(&ps, "expected '{'");
	ps.p++;
	for (;;) {
		if ((c = npy_peek(&ps)) < 0)
			return -1;
		if (c == '}')
			break;
		if (npy_string(&ps, key, sizeof key, "key") != 0)
			return -1;
		if (strcmp(key, "descr") == 0)
			seen = &have_descr;
		else if (strcmp(key, "fortran_order") == 0)
			seen = &have_fortran;
		else if (strcmp(key, "shape") == 0)
			seen = &have_shape;
		else {
			snprintf(msg, sizeof msg, "unknown key %s", WH_QNAME(key));
			return npy_fail(&ps, msg);
		}
		if (*seen) {
			snprintf(msg, sizeof msg, "key %s given twice", WH_QNAME(key));
			return npy_fail(&ps, msg);
		}
		*seen = 1;
		if ((c = npy_peek(&ps)) < 0)
			return -1;
		if (c != ':')
			return npy_fail(&ps, "expected ':'");
		ps.p++;
		if (seen == &have_descr) {
			if (npy_string(&ps, descr, dsize, "dtype") != 0)
				return -1;
		} else if (seen == &have_fortran) {
			if (npy_peek(&ps) < 0)
				return -1;
			if (npy_word(&ps, "True"))
				*fortran = 1;
			else if (npy_word(&ps, "False"))
				*fortran = 0;
			else
				return npy_fail(&ps, "'fortran_order' is not "
				    "True or False");
		} else if (npy_shape(&ps, a) != 0)
			return -1;
		if ((c = npy_peek(&ps)) < 0)
			return -1;
		if (c == ',')
			ps.p++;
		else if (c != '}')
			return npy_fail(&ps, "expected ',' or '}'");
	}
	ps.p++;
	npy_space(&ps);
	if (ps.p != ps.end)
		return npy_fail(&ps, "junk after the dict");
	if (!have_descr)
		return npy_fail(&ps, "no 'descr'");
	if (!have_fortran)
		return npy_fail(&ps, "no 'fortran_order'");
	if (!have_shape)
		return npy_fail(&ps, "no 'shape'");
	return 0;
}

/*
 * NPY 1.0, 2.0 and 3.0: magic, version, little-endian header length (2
 * bytes for 1.0, 4 after), the header dict, then the values in C order.
 */
static int
parse_npy(const char *path, enum role role, const unsigned char *buf,
    size_t len, struct array *a, size_t *offp, char **err)
{
	char descr[16];
	size_t hlen, off;
	int fortran = 0, major, minor;
	const char *code;

	memset(a, 0, sizeof *a);
	if (len < 10)
		return wh_error(err, "%s: NPY header is truncated (the file "
		    "holds %zu bytes)", path, len);
	major = buf[6];
	minor = buf[7];
	if (major == 1) {
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
		off = 10;
	} else if (major == 2 || major == 3) {
		if (len < 12)
			return wh_error(err, "%s: NPY header is truncated (the "
			    "file holds %zu bytes)", path, len);
		hlen = le32(buf + 8);
		off = 12;
	} else
		return wh_error(err, "%s: NPY version %d.%d is not supported",
		    path, major, minor);
	if (hlen > NPY_HEAD_MAX)
		return wh_error(err, "%s: NPY header length %zu is over the "
		    "limit of %d bytes", path, hlen, NPY_HEAD_MAX);
	if (hlen > len - off)
		return wh_error(err, "%s: NPY header length %zu runs past the "
		    "end of the file (%zu bytes)", path, hlen, len);
	if (npy_header(path, (const char *)buf + off, hlen, descr,
	    sizeof descr, &fortran, a, err) != 0)
		return -1;
	off += hlen;

	/* Byte order: '<' little, '>' big, '|' not applicable, '=' native. */
	code = descr + 1;
	if (strlen(descr) != 3 || strchr("<>|=", descr[0]) == NULL)
		goto unsupported;
	if (strcmp(code, "u1") == 0)
		a->type = E_U8;
	else if (strcmp(code, "i1") == 0)
		a->type = E_I8;
	else if (strcmp(code, "i4") == 0)
		a->type = E_I32;
	else if (strcmp(code, "i8") == 0)
		a->type = E_I64;
	else if (strcmp(code, "f4") == 0)
		a->type = E_F32;
	else
		goto unsupported;
	a->esize = elem_size(a->type);
	if (a->esize > 1 && descr[0] == '>')
		return wh_error(err, "%s: big-endian data (%s) is not "
		    "supported", path, WH_QNAME(descr));
	if (a->esize > 1 && descr[0] != '<')
		goto unsupported;
	if (role == IMAGES && a->type != E_U8 && a->type != E_F32)
		goto unsupported;
	if (role == LABELS && a->type == E_F32)
		goto unsupported;
	/* For one dimension both orders are the same bytes. */
	if (fortran && a->ndim > 1)
		return wh_error(err, "%s: Fortran-order arrays are not "
		    "supported", path);
	*offp = off;
	return 0;

unsupported:
	if (role == IMAGES)
		return wh_error(err, "%s: dtype %s is not supported for "
		    "images (use uint8 '|u1' or float32 '<f4')", path, WH_QNAME(descr));
	return wh_error(err, "%s: dtype %s is not supported for labels (use "
	    "'<i8', '<i4', '|u1' or '|i1')", path, WH_QNAME(descr));
}

/* Parses a header by its magic: the array's dims and where values start. */
static int
parse_header(const char *path, enum role role, const unsigned char *buf,
    size_t len, struct array *a, size_t *off, char **err)
{
	size_t n;

	if (len == 0)
		return wh_error(err, "%s: file is empty", path);
	n = len < sizeof npy_magic ? len : sizeof npy_magic;
	if (memcmp(buf, npy_magic, n) == 0)
		return parse_npy(path, role, buf, len, a, off, err);
	if (len >= 4 && buf[0] == 0 && buf[1] == 0)
		return parse_idx(path, role, buf, len, a, off, err);
	if (len < 4)
		return wh_error(err, "%s: file is too short for an IDX or NPY "
		    "header (%zu bytes)", path, len);
	return wh_error(err, "%s: bad magic %02x %02x %02x %02x, not an IDX "
	    "or NPY file", path, buf[0], buf[1], buf[2], buf[3]);
}

/*
 * Inflates a gzipped array as a stream: the header first, then the sizes
 * it implies are checked against the limit and against what the
 * compressed bytes can hold, and the values are read into a buffer that
 * grows only as data arrives, up to exactly what the header promises.  A
 * stream that goes on past that stops there.
 */
static int
load_gz(const char *path, enum role role, const unsigned char *raw,
    size_t rawlen, unsigned char **bufp, struct array *a, char **err)
{
	char what[128];
	struct wh_gz g;
	unsigned char *buf, *nb, probe;
	size_t len, off, need, total, cap, got, room;
	int more = 0;

	*bufp = NULL;
	wh_gz_init(&g, path, raw, rawlen);
	buf = xmalloc(HEAD_BYTES + 1);
	if (wh_gz_read(&g, buf, HEAD_BYTES, &len, err) != 0)
		goto fail;
	if (parse_header(path, role, buf, len, a, &off, err) != 0 ||
	    check_dims(path, role, a, &need, err) != 0)
		goto fail;
	describe(what, sizeof what, role, a->ndim, a->dims, a->dims[0]);
	if (wh_add_size(off, need, &total) != 0 || total > DATA_MAX_BYTES) {
		wh_error(err, "%s: header promises %s, over the limit of %zu "
		    "bytes", path, what, (size_t)DATA_MAX_BYTES);
		goto fail;
	}
	if (total > wh_gz_bound(rawlen)) {
		wh_error(err, "%s: header promises %s (%zu bytes), more than "
		    "%zu bytes of gzip can hold", path, what, total, rawlen);
		goto fail;
	}
	if (len >= total) {
		more = len > total;
		len = len > total ? total : len;
	} else {
		/* Grow by doubling, so a lying header costs only what the
		 * stream really holds. */
		cap = HEAD_BYTES + 1;
		while (len < total) {
			if (len == cap) {
				cap = cap > total / 2 ? total : cap * 2;
				if ((nb = realloc(buf, cap + 1)) == NULL) {
					wh_error(err, "%s: out of memory for %s "
					    "(%zu bytes)", path, what, total);
					goto fail;
				}
				buf = nb;
			}
			room = cap - len;
			if (wh_gz_read(&g, buf + len, room, &got, err) != 0)
				goto fail;
			len += got;
			if (got < room)
				break;	/* the stream ended */
		}
	}
	if (len == total && !more) {
		if (wh_gz_read(&g, &probe, 1, &got, err) != 0)
			goto fail;
		more = got > 0;
	}
	if (check_len(path, role, a, buf, len, off, more, err) != 0)
		goto fail;
	wh_gz_release(&g);
	*bufp = buf;
	return 0;

fail:
	wh_gz_release(&g);
	free(buf);
	return -1;
}

/* Reads a file (inflating gzip as a stream) and parses it by its magic. */
static int
load_array(const char *path, enum role role, unsigned char **buf,
    struct array *a, char **err)
{
	unsigned char *raw;
	size_t len, off, need;

	*buf = NULL;
	memset(a, 0, sizeof *a);
	if (wh_read_file(path, 0, DATA_MAX_BYTES, &raw, &len, err) != 0)
		return -1;
	if (len >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		int r = load_gz(path, role, raw, len, buf, a, err);

		free(raw);
		return r;
	}
	if (parse_header(path, role, raw, len, a, &off, err) != 0 ||
	    check_dims(path, role, a, &need, err) != 0 ||
	    check_len(path, role, a, raw, len, off, 0, err) != 0) {
		free(raw);
		return -1;
	}
	*buf = raw;
	return 0;
}

static float
get_f32(const struct array *a, size_t i)
{
	const unsigned char *p = a->data + 4 * i;
	uint32_t u = a->big ? be32(p) : le32(p);
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

static int64_t
get_int(const struct array *a, size_t i)
{
	const unsigned char *p = a->data + a->esize * i;

	switch (a->type) {
	case E_U8:
		return p[0];
	case E_I8:
		return (int8_t)p[0];
	case E_I32:
		return (int32_t)(a->big ? be32(p) : le32(p));
	case E_I64:
		return (int64_t)le64(p);
	case E_F32:
		break;
	}
	return -1;
}

/* Takes the images out of buf (which it frees or keeps). */
static void
take_images(struct wh_dataset *d, struct array *a, unsigned char *buf)
{
	size_t i;

	d->n = a->dims[0];
	switch (a->ndim) {
	case 2:
		d->c = d->h = 1;
		d->w = (int)a->dims[1];
		break;
	case 3:
		d->c = 1;
		d->h = (int)a->dims[1];
		d->w = (int)a->dims[2];
		break;
	default:
		d->c = (int)a->dims[1];
		d->h = (int)a->dims[2];
		d->w = (int)a->dims[3];
		break;
	}
	d->sample_ndim = a->ndim - 1;

	if (a->type == E_U8) {
		/* Keep the buffer: slide the pixels over the header. */
		memmove(buf, a->data, a->count);
		d->u8 = xrealloc(buf, a->count);
		return;
	}
	d->f = xreallocarray(NULL, a->count, sizeof *d->f);
	for (i = 0; i < a->count; i++)
		d->f[i] = get_f32(a, i);
	free(buf);
}

static int
take_labels(struct wh_dataset *d, const char *path, const struct array *a,
    int max_class, char **err)
{
	int64_t v, top = -1, limit;
	size_t i;

	limit = max_class > 0 ? max_class - 1 : MAX_LABEL;
	d->labels = xreallocarray(NULL, a->count, sizeof *d->labels);
	for (i = 0; i < a->count; i++) {
		v = get_int(a, i);
		if (v < 0)
			return wh_error(err, "%s: label %jd at index %zu is "
			    "negative", path, (intmax_t)v, i);
		if (v > limit)
			return wh_error(err, "%s: label %jd at index %zu is "
			    "out of range 0..%jd", path, (intmax_t)v, i,
			    (intmax_t)limit);
		d->labels[i] = (int32_t)v;
		if (v > top)
			top = v;
	}
	d->nclasses = (int)top + 1;
	return 0;
}

struct wh_dataset *
wh_data_load(const char *images, const char *labels, int max_class,
    char **err)
{
	return wh_data_load_opts(images, labels, max_class, NULL, err);
}

/* (n, h, w, c) values become (n, c, h, w). */
static void
to_nchw(struct wh_dataset *d)
{
	size_t hw = (size_t)d->h * (size_t)d->w, ss = hw * (size_t)d->c;
	size_t s, i, ch, esz = d->u8 != NULL ? 1 : sizeof(float);
	unsigned char *src = d->u8 != NULL ? d->u8 : (unsigned char *)d->f;
	unsigned char *dst = xmalloc(ss * esz), *p;

	for (s = 0; s < d->n; s++) {
		p = src + s * ss * esz;
		for (i = 0; i < hw; i++)
			for (ch = 0; ch < (size_t)d->c; ch++)
				memcpy(dst + (ch * hw + i) * esz,
				    p + (i * (size_t)d->c + ch) * esz, esz);
		memcpy(p, dst, ss * esz);
	}
	free(dst);
}

struct wh_dataset *
wh_data_load_opts(const char *images, const char *labels, int max_class,
    const struct wh_data_opts *o, char **err)
{
	struct wh_dataset *d;
	struct array ia, la;
	unsigned char *buf;
	struct stat st;

	if (images != NULL && stat(images, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (labels != NULL) {
			wh_error(err, "%s: an image folder takes its labels from "
			    "its class folders, not from %s", images, labels);
			return NULL;
		}
		return wh_data_open_folder(images, max_class,
		    o != NULL ? &o->img : NULL, err);
	}
	if (images == NULL || labels == NULL) {
		wh_error(err, "a data set needs both an images and a labels "
		    "file");
		return NULL;
	}
	d = xcalloc(1, sizeof *d);
	d->images_path = xstrdup(images);
	d->labels_path = xstrdup(labels);

	if (load_array(images, IMAGES, &buf, &ia, err) != 0)
		goto fail;
	take_images(d, &ia, buf);
	if (o != NULL && o->nhwc) {
		if (ia.ndim != 4) {
			wh_error(err, "%s: NHWC layout needs images of 4 "
			    "dimensions (n, h, w, c), the file has %d", images,
			    ia.ndim);
			goto fail;
		}
		/* The file's dims were (n, h, w, c): c, h, w = h, w, c. */
		d->c = (int)ia.dims[3];
		d->h = (int)ia.dims[1];
		d->w = (int)ia.dims[2];
		to_nchw(d);
	}

	if (load_array(labels, LABELS, &buf, &la, err) != 0)
		goto fail;
	if (take_labels(d, labels, &la, max_class, err) != 0) {
		free(buf);
		goto fail;
	}
	free(buf);

	if (la.dims[0] != d->n) {
		wh_error(err, "sample counts differ: %s has %zu, %s has %zu",
		    images, d->n, labels, la.dims[0]);
		goto fail;
	}
	return d;

fail:
	wh_data_free(d);
	return NULL;
}

void
wh_data_free(struct wh_dataset *d)
{
	size_t i;

	if (d == NULL)
		return;
	if (d->files != NULL)
		for (i = 0; i < d->n; i++)
			free(d->files[i]);
	if (d->classes != NULL)
		for (i = 0; i < (size_t)d->nclasses; i++)
			free(d->classes[i]);
	free(d->files);
	free(d->classes);
	wh_folder_cache_free(d->cache);
	free(d->images_path);
	free(d->labels_path);
	free(d->u8);
	free(d->f);
	free(d->labels);
	free(d);
}

size_t
wh_data_sample_size(const struct wh_dataset *d)
{
	/* Each dim is at most INT_MAX and the product was checked on load. */
	return (size_t)d->c * (size_t)d->h * (size_t)d->w;
}

/*
 * out is (count, c, h, w).  A range past the end of the set is a caller's
 * bug; the missing samples come out as zeros rather than read out of
 * bounds.
 */
void
wh_data_batch(const struct wh_dataset *d, size_t start, size_t count,
    const struct wh_preproc *pre, int scale_set, float *out)
{
	size_t ss = wh_data_sample_size(d), hw = (size_t)d->h * (size_t)d->w;
	size_t have, s, j;
	float scale = 1.0f, m, sd, x;
	int use_scale, ch;

	if (d->files != NULL) {
		/* Image folders read with wh_data_read; here an unreadable
		 * image comes out as zeros. */
		char *err = NULL;

		if (wh_data_read(d, start, count, pre, scale_set, out, &err))
			memset(out, 0, count * ss * sizeof *out);
		free(err);
		return;
	}
	have = start < d->n ? d->n - start : 0;
	if (have > count)
		have = count;
	if (have < count)
		memset(out + have * ss, 0, (count - have) * ss * sizeof *out);

	use_scale = d->u8 != NULL || scale_set;
	if (pre != NULL)
		scale = pre->scale;

	for (s = 0; s < have; s++) {
		size_t base = (start + s) * ss;

		for (ch = 0; ch < d->c; ch++) {
			/* No entry: 0 and 1; one: all channels; else each. */
			m = 0.0f;
			sd = 1.0f;
			if (pre != NULL && pre->nmean == 1)
				m = pre->mean[0];
			else if (pre != NULL && ch < pre->nmean && ch < 16)
				m = pre->mean[ch];
			if (pre != NULL && pre->nstd == 1)
				sd = pre->std[0];
			else if (pre != NULL && ch < pre->nstd && ch < 16)
				sd = pre->std[ch];

			for (j = 0; j < hw; j++) {
				size_t k = base + (size_t)ch * hw + j;

				x = d->u8 != NULL ? (float)d->u8[k] : d->f[k];
				if (use_scale)
					x = x * scale;
				x = x - m;
				x = x / sd;
				out[s * ss + (size_t)ch * hw + j] = x;
			}
		}
	}
}

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/name or dir/name.gz, whichever exists first; NULL if neither. */
static char *
find_file(const char *dir, const char *name)
{
	char *p;

	p = xasprintf("%s/%s", dir, name);
	if (is_file(p))
		return p;
	free(p);
	p = xasprintf("%s/%s.gz", dir, name);
	if (is_file(p))
		return p;
	free(p);
	return NULL;
}

/* Image and label files of a test split, in order of preference. */
static const char *const split_files[][2] = {
	{ "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" },
	{ "test-images.npy", "test-labels.npy" }
};

/* Data sets that Debian packages, for a hint when one is missing. */
static const char *const packages[][2] = {
	{ "fashion-mnist", "dataset-fashion-mnist" }
};

int
wh_data_find_default(const char *name, char **images, char **labels,
    char **err)
{
	const char *env, *dirs[2], *pkg = NULL;
	char *tried = NULL, *dir, *img, *lab, *t;
	size_t i, j, ndirs = 0;

	*images = *labels = NULL;
	if (name == NULL || *name == '\0' || *name == '.' ||
	    strchr(name, '/') != NULL)
		return wh_error(err, "dataset name %s is not valid",
		    WH_QNAME(name != NULL ? name : ""));

	env = getenv("WHITTLE_DATA_DIR");
	if (env != NULL && *env != '\0')
		dirs[ndirs++] = env;
	dirs[ndirs++] = WH_DATADIR;

	for (i = 0; i < ndirs; i++) {
		dir = xasprintf("%s/%s", dirs[i], name);
		for (j = 0; is_dir(dir) &&
		    j < sizeof split_files / sizeof split_files[0]; j++) {
			img = find_file(dir, split_files[j][0]);
			lab = find_file(dir, split_files[j][1]);
			if (img != NULL && lab != NULL) {
				free(dir);
				free(tried);
				*images = img;
				*labels = lab;
				return 0;
			}
			free(img);
			free(lab);
		}
		t = tried == NULL ? xstrdup(dir) :
		    xasprintf("%s or %s", tried, dir);
		free(tried);
		tried = t;
		free(dir);
	}

	for (i = 0; i < sizeof packages / sizeof packages[0]; i++)
		if (strcmp(name, packages[i][0]) == 0)
			pkg = packages[i][1];
	wh_error(err, "dataset %s not found: no t10k-images-idx3-ubyte[.gz] "
	    "with t10k-labels-idx1-ubyte[.gz], nor test-images.npy with "
	    "test-labels.npy, in %s%s%s", WH_QNAME(name), tried,
	    pkg != NULL ? "; install Debian's " : "", pkg != NULL ? pkg : "");
	free(tried);
	return -1;
}

/* "(N, 3, ?, ?)": the batch dim as N when symbolic, others as ?. */
static void
model_dims_str(char *buf, size_t size, const struct wh_value *in)
{
	size_t used = 0;
	int i, r;

	buf[0] = '\0';
	for (i = 0; i < in->ndim && used < size; i++) {
		if (in->dims[i] > 0)
			r = snprintf(buf + used, size - used, "%s%jd",
			    i ? ", " : "(", (intmax_t)in->dims[i]);
		else
			r = snprintf(buf + used, size - used, "%s%s",
			    i ? ", " : "(", i ? "?" : "N");
		if (r < 0)
			return;
		used += (size_t)r;
	}
	if (used < size)
		snprintf(buf + used, size - used, ")");
}

/*
 * The model's sample dims (all but the batch dim) must multiply to the
 * data's sample size, so (n, 784) data fits an (N, 1, 28, 28) input; when
 * the ranks agree, each known dim must match as well.  Symbolic dims match
 * anything that divides evenly.
 */
int
wh_data_check_shape(const struct wh_dataset *d, const struct wh_value *in,
    char **err)
{
	char want[160], have[64];
	size_t ss = wh_data_sample_size(d), known = 1, sdims[3];
	int i, unknown = 0, bad = 0;
	const char *name = in->name != NULL ? in->name : "";

	if (d->sample_ndim == 1)
		snprintf(have, sizeof have, "%d", d->w);
	else if (d->sample_ndim == 2)
		snprintf(have, sizeof have, "%dx%d", d->h, d->w);
	else
		snprintf(have, sizeof have, "%dx%dx%d", d->c, d->h, d->w);
	model_dims_str(want, sizeof want, in);

	if (in->ndim < 2 || in->ndim > WH_MAX_DIMS)
		return wh_error(err, "model input %s %s has %d dimension%s, "
		    "expected (N, C, H, W) or (N, F)", WH_QNAME(name), want, in->ndim,
		    in->ndim == 1 ? "" : "s");

	sdims[0] = (size_t)d->c;
	sdims[1] = (size_t)d->h;
	sdims[2] = (size_t)d->w;
	for (i = 1; i < in->ndim; i++) {
		if (in->dims[i] <= 0) {
			unknown++;
			continue;
		}
		if ((uint64_t)in->dims[i] > SIZE_MAX ||
		    wh_mul_size(known, (size_t)in->dims[i], &known) != 0) {
			bad = 1;
			break;
		}
		if (in->ndim - 1 == d->sample_ndim &&
		    (size_t)in->dims[i] != sdims[3 - d->sample_ndim + i - 1])
			bad = 1;
	}
	if (!bad)
		bad = unknown ? ss % known != 0 : ss != known;
	if (bad)
		return wh_error(err, "sample shape does not fit the model: %s "
		    "holds samples of %s (%zu values), input %s expects %s",
		    d->images_path, have, ss, WH_QNAME(name), want);
	return 0;
}
