/* util.h - memory, strings, errors and files shared by every part of whittle */
#ifndef WHITTLE_UTIL_H
#define WHITTLE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes, documented in whittle(1). */
enum {
	WH_EXIT_OK = 0,
	WH_EXIT_NOFIT = 1,	/* search: no verified plan within the budget */
	WH_EXIT_USAGE = 2,	/* bad command line */
	WH_EXIT_INPUT = 3,	/* a model, data or plan file is unreadable or malformed */
	WH_EXIT_INTERNAL = 4	/* out of memory, failed write, or a bug */
};

/*
 * Allocation that never returns NULL.  On failure the hook set by
 * wh_set_fatal_hook() runs first (the TUI restores the terminal there),
 * then the message is printed and the process aborts.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wh_set_fatal_hook(void (*hook)(void));
void wh_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Error hand-back in the tmux style: core functions return -1 (or NULL) and,
 * when err is not NULL, store a new message there which the caller frees.
 * wh_error() does the storing and returns -1 for convenience.
 */
int wh_error(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A name from an input file (a layer, node, tensor or key), quoted for a
 * message: 'fc1.weight'.  Bytes that are not printable (control bytes,
 * bytes that are not UTF-8) are written as \xNN, a quote or backslash in
 * the name as \' and \\.  A name longer than WH_QNAME_MAX bytes as
 * written is cut there on a character boundary and given its length:
 * 'aaaa...' (10485760 bytes).  NULL quotes as ''.  The result, at most
 * WH_QNAME_SIZE bytes with the NUL, goes into buf; returns buf.
 */
#define WH_QNAME_MAX 60
#define WH_QNAME_SIZE 96
const char *wh_quote_name(const char *name, char *buf, size_t size);
/* wh_quote_name() into a buffer that lives to the end of the enclosing
 * block: wh_error(err, "layer %s: ...", WH_QNAME(name)). */
#define WH_QNAME(name) \
	wh_quote_name((name), (char[WH_QNAME_SIZE]){ 0 }, WH_QNAME_SIZE)

/* a * b and a + b with overflow detection: return 0 on success, -1 on overflow. */
int wh_mul_size(size_t a, size_t b, size_t *out);
int wh_add_size(size_t a, size_t b, size_t *out);

/*
 * Reads a whole file into a new buffer (NUL-terminated, *len excludes the NUL).
 * Files ending in .gz, or starting with the gzip magic, are inflated with
 * zlib; a truncated or corrupt stream is an error.  max bounds the result.
 */
int wh_read_file(const char *path, int gunzip, size_t max, unsigned char **buf,
    size_t *len, char **err);

/*
 * Writes buf to path atomically, the one way every output is written: the
 * whole file, synced, appears at path at once, and path is untouched on
 * failure.  On Linux the file is made with O_TMPFILE in path's directory
 * and has no name until it is complete and linked in, so that a process
 * killed mid-save (even by SIGKILL) leaves nothing beside the output.
 * Where the filesystem cannot do that, a temporary file path.tmpXXXXXX is
 * written and renamed, and a signal that ends the process (SIGINT,
 * SIGTERM, SIGHUP, ... left at their default action) removes it first.
 */
int wh_write_atomic(const char *path, const void *buf, size_t len, char **err);
/* wh_write_atomic() with flags: WH_ATOMIC_NAMED takes the named temporary
 * file even where O_TMPFILE works (the tests cover both ways). */
#define WH_ATOMIC_NAMED 1
int wh_write_atomic_flags(const char *path, const void *buf, size_t len,
    int flags, char **err);

/* SHA-256 of a buffer, as 64 lower-case hex digits plus NUL in out. */
void wh_sha256_hex(const void *buf, size_t len, char out[65]);
/* SHA-256 of a file's bytes (as stored, not inflated). */
int wh_sha256_file(const char *path, char out[65], char **err);

/* Human-readable sizes into buf: 1220000 -> "1.22M", 827392 -> "808.0 KiB". */
const char *wh_fmt_count(double v, char *buf, size_t size);
const char *wh_fmt_bytes(double v, char *buf, size_t size);

/* Monotonic seconds. */
double wh_now(void);

/* The process's peak resident set so far, in bytes (0 if unknown). */
uint64_t wh_peak_rss(void);

/* Parses a comma separated list of floats; returns the count or -1. */
int wh_parse_floats(const char *s, float *out, int max);

#endif
