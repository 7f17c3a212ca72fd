/* util.c - allocation, error hand-back, checked sizes, whole-file I/O */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "whittle/util.h"

static void (*fatal_hook)(void);

void
wh_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

/*
 * Runs the hook (once, even if the hook itself fails), prints the message
 * and aborts.  The only place in the core that prints.
 */
void
wh_fatal(const char *fmt, ...)
{
	static volatile int in_fatal;
	va_list ap;

	if (!in_fatal) {
		in_fatal = 1;
		if (fatal_hook != NULL)
			fatal_hook();
	}
	fputs("whittle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p;

	p = malloc(n != 0 ? n : 1);
	if (p == NULL)
		wh_fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	p = calloc(n, size);
	if (p == NULL)
		wh_fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q;

	q = realloc(p, n != 0 ? n : 1);
	if (q == NULL)
		wh_fatal("out of memory reallocating to %zu bytes", n);
	return q;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (wh_mul_size(n, size, &total) != 0)
		wh_fatal("allocation of %zu x %zu bytes overflows", n, size);
	return xrealloc(p, total);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len;
	char *p;

	len = strnlen(s, n);
	if (len == SIZE_MAX)
		wh_fatal("string too long to copy");
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static char *
xvasprintf(const char *fmt, va_list ap)
{
	char small[256], *s;
	va_list aq;
	int n;

	/* Most messages fit the first try. */
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof small, fmt, aq);
	va_end(aq);
	if (n < 0)
		wh_fatal("cannot format '%s'", fmt);
	s = xmalloc((size_t)n + 1);
	if ((size_t)n < sizeof small)
		memcpy(s, small, (size_t)n + 1);
	else
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

int
wh_error(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		*err = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
wh_mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int
wh_add_size(size_t a, size_t b, size_t *out)
{
	if (b > SIZE_MAX - a)
		return -1;
	*out = a + b;
	return 0;
}

/*
 * The length of the UTF-8 character at s (at most n bytes there), or 0
 * when s does not start a well-formed one (overlong forms, surrogates and
 * code points above U+10FFFF are not).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}

const char *
wh_quote_name(const char *name, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)(name != NULL ? name : "");
	size_t total = strlen((const char *)s), i = 0, o = 0, k, n, room;
	char piece[8];
	int cut = 0;

	if (size < 32) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	/* room for the name: the quotes, the "..." and the length go after */
	room = size - 1 - 2 - 3 - 24;
	if (room > WH_QNAME_MAX)
		room = WH_QNAME_MAX;
	buf[o++] = '\'';
	while (i < total) {
		if (s[i] == '\'' || s[i] == '\\') {
			piece[0] = '\\';
			piece[1] = (char)s[i];
			n = 2;
			k = 1;
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			piece[0] = (char)s[i];
			n = k = 1;
		} else if (s[i] >= 0x80 && (k = utf8_len(s + i, total - i)) > 0) {
			memcpy(piece, s + i, k);
			n = k;
		} else {
			piece[0] = '\\';
			piece[1] = 'x';
			piece[2] = hex[s[i] >> 4];
			piece[3] = hex[s[i] & 15];
			n = 4;
			k = 1;
		}
		if (o - 1 + n > room) {
			cut = 1;
			break;
		}
		memcpy(buf + o, piece, n);
		o += n;
		i += k;
	}
	if (cut)
		snprintf(buf + o, size - o, "...' (%zu bytes)", total);
	else {
		buf[o++] = '\'';
		buf[o] = '\0';
	}
	return buf;
}

double
wh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Parses "0.485, 0.456,0.406".  Numbers are read in the C locale whatever
 * the process locale is (the TUI sets LC_ALL, and a decimal comma would
 * clash with the separator).  Empty input, empty fields, non-finite values,
 * trailing junk and more than max values all give -1.
 */
int
wh_parse_floats(const char *s, float *out, int max)
{
	locale_t c_locale, old;
	const char *p;
	char *end;
	int n = 0;
	float v;

	if (s == NULL || max < 0)
		return -1;
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_locale == (locale_t)0)
		return -1;
	old = uselocale(c_locale);

	p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == ',')
			goto fail;	/* empty field */
		errno = 0;
		v = strtof(p, &end);
		if (end == p || !isfinite(v))
			goto fail;
		if (n >= max)
			goto fail;
		out[n++] = v;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p != ',')
			goto fail;
		p++;
	}
	uselocale(old);
	freelocale(c_locale);
	return n;

fail:
	uselocale(old);
	freelocale(c_locale);
	return -1;
}

static int
is_gzip(const unsigned char *buf, size_t len)
{
	return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

/*
 * Inflates one or more concatenated gzip members from in into a new
 * NUL-terminated buffer of at most max bytes.
 */
static int
gunzip_buf(const char *path, const unsigned char *in, size_t inlen, size_t max,
    unsigned char **out, size_t *outlen, char **err)
{
	z_stream zs;
	unsigned char *buf;
	size_t cap, len = 0, fed = 0, left, room;
	int ret;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 15 + 16) != Z_OK)	/* gzip wrapper only */
		wh_fatal("out of memory starting zlib");

	/* Room grows up to max + 1 bytes, so that going over max is seen. */
	if (wh_mul_size(inlen, 4, &cap) != 0 || cap > max)
		cap = max;
	if (cap < 65536)
		cap = max < 65536 ? max : 65536;
	cap++;
	buf = xmalloc(cap + 1);

	for (;;) {
		/* zlib counts in uInt: feed and drain in pieces. */
		if (zs.avail_in == 0 && fed < inlen) {
			left = inlen - fed;
			zs.next_in = (Bytef *)(uintptr_t)(in + fed);
			zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
			fed += zs.avail_in;
		}
		if (len == cap) {
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		room = cap - len < UINT_MAX ? cap - len : UINT_MAX;
		zs.next_out = buf + len;
		zs.avail_out = (uInt)room;

		ret = inflate(&zs, Z_NO_FLUSH);
		len += room - zs.avail_out;
		if (len > max) {
			wh_error(err, "%s: inflates to more than %zu bytes",
			    path, max);
			goto fail;
		}
		if (ret == Z_OK || ret == Z_BUF_ERROR) {
			if (zs.avail_in != 0 || fed < inlen ||
			    zs.avail_out == 0)
				continue;
			wh_error(err, "%s: gzip stream is truncated", path);
			goto fail;
		}
		if (ret == Z_MEM_ERROR)
			wh_fatal("out of memory inflating %s", path);
		if (ret != Z_STREAM_END) {
			wh_error(err, "%s: gzip stream is corrupt (%s)", path,
			    zs.msg != NULL ? zs.msg : "unknown zlib error");
			goto fail;
		}

		/* The end of a member: gzip(1) may have added more. */
		left = (inlen - fed) + zs.avail_in;
		if (left == 0)
			break;
		if (!is_gzip(in + inlen - left, left)) {
			wh_error(err, "%s: %zu bytes of trailing garbage after "
			    "the gzip stream", path, left);
			goto fail;
		}
		if (inflateReset(&zs) != Z_OK)
			wh_fatal("zlib cannot reset its stream");
	}
	inflateEnd(&zs);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;

fail:
	inflateEnd(&zs);
	free(buf);
	return -1;
}

/*
 * Reads the bytes of an open regular file, at most limit of them
 * (a file longer than that is an error).
 */
static int
read_fd(const char *path, int fd, size_t limit, unsigned char **out,
    size_t *outlen, char **err)
{
	struct stat st;
	unsigned char *buf;
	size_t cap, len = 0;
	ssize_t r;

	if (fstat(fd, &st) != 0)
		return wh_error(err, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return wh_error(err, "%s: not a regular file", path);
	if (st.st_size < 0 || (uintmax_t)st.st_size > limit)
		return wh_error(err, "%s: file is %jd bytes, over the limit "
		    "of %zu", path, (intmax_t)st.st_size, limit);

	/* One byte more than expected, to see the end without growing. */
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > limit) {
				free(buf);
				return wh_error(err, "%s: file grew over the "
				    "limit of %zu bytes", path, limit);
			}
			cap = cap > limit / 2 ? limit + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			wh_error(err, "%s: %s", path, strerror(errno));
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > limit) {
		free(buf);
		return wh_error(err, "%s: file grew over the limit of %zu "
		    "bytes", path, limit);
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/*
 * Whether to inflate is decided by the content (the gzip magic 1f 8b), not
 * by the name, so that a file named .gz that holds plain bytes still loads.
 * max 0 means no bound but memory.
 */
int
wh_read_file(const char *path, int gunzip, size_t max, unsigned char **buf,
    size_t *len, char **err)
{
	unsigned char *raw = NULL, *inflated;
	size_t rawlen = 0, limit, outlen;
	int fd, ret;

	*buf = NULL;
	*len = 0;
	if (max == 0 || max >= SIZE_MAX - 1)
		max = SIZE_MAX - 2;

	/* A compressed file may be a little larger than what it holds. */
	limit = max;
	if (gunzip && wh_add_size(max, max / 64 + 1024, &limit) != 0)
		limit = SIZE_MAX - 2;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return wh_error(err, "%s: %s", path, strerror(errno));
	ret = read_fd(path, fd, limit, &raw, &rawlen, err);
	close(fd);
	if (ret != 0)
		return -1;

	if (!gunzip || !is_gzip(raw, rawlen)) {
		if (rawlen > max) {
			free(raw);
			return wh_error(err, "%s: file is %zu bytes, over the "
			    "limit of %zu", path, rawlen, max);
		}
		*buf = raw;
		*len = rawlen;
		return 0;
	}

	ret = gunzip_buf(path, raw, rawlen, max, &inflated, &outlen, err);
	free(raw);
	if (ret != 0)
		return -1;
	*buf = inflated;
	*len = outlen;
	return 0;
}

/* Writes all of buf, retrying short writes and EINTR. */
static int
write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len > SSIZE_MAX ? SSIZE_MAX : len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The directory part of path, new string: "." when it has none. */
static char *
dir_part(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Best effort: makes the rename or link itself durable. */
static void
sync_dir(const char *dir)
{
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Temporary files that a signal must not leave behind.  A save that is
 * interrupted by a signal whose action is to end the process (SIGINT,
 * SIGTERM, SIGHUP, ... at their default disposition) would leave its
 * named temporary file beside the output.  Each one is registered here
 * while it exists under its name, and the handler unlinks every one
 * (unlink is async-signal-safe), then lets the signal end the process as
 * it would have.  Slots are claimed with atomics, never a lock, so the
 * handler can read them at any moment; 16 saves at once is plenty (a
 * save that finds no slot still works, unprotected).
 */
#define PENDING_SLOTS 16
enum { SLOT_FREE, SLOT_FILLING, SLOT_ARMED };
static struct {
	atomic_int state;
	char path[PATH_MAX];
} pending[PENDING_SLOTS];

/* Signals whose default action ends the process while a file may be half
 * written; SIGXFSZ is what a file size limit sends mid-write. */
static const int fatal_sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE,
    SIGALRM, SIGXCPU, SIGXFSZ, SIGUSR1, SIGUSR2 };

static void
on_fatal_signal(int sig)
{
	int i, saved = errno;
	struct sigaction sa;

	for (i = 0; i < PENDING_SLOTS; i++)
		if (atomic_load(&pending[i].state) == SLOT_ARMED)
			unlink(pending[i].path);
	/* then what the signal would have done: blocked until we return */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	raise(sig);
	errno = saved;
}

static void
install_handlers_once(void)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++)
		sigaddset(&sa.sa_mask, fatal_sigs[i]);
	for (i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++) {
		if (sigaction(fatal_sigs[i], NULL, &old) != 0 ||
		    (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		sigaction(fatal_sigs[i], &sa, NULL);
	}
}

/*
 * Installs the handler, once, for each of fatal_sigs still at its default
 * disposition: a program that handles a signal itself (the workbench
 * turns SIGINT into an orderly exit) or ignores it keeps its choice.
 */
static void
install_handlers(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install_handlers_once);
}

/* Blocks the fatal signals in this thread; the old mask goes to *old. */
static void
fatal_sigs_block(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++)
		sigaddset(&set, fatal_sigs[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/* A free slot filled with path and armed, or -1 when none is free. */
static int
pending_add(const char *path)
{
	int i, expect;

	if (strlen(path) >= PATH_MAX)
		return -1;
	install_handlers();
	for (i = 0; i < PENDING_SLOTS; i++) {
		expect = SLOT_FREE;
		if (atomic_compare_exchange_strong(&pending[i].state, &expect,
		    SLOT_FILLING)) {
			strcpy(pending[i].path, path);
			atomic_store(&pending[i].state, SLOT_ARMED);
			return i;
		}
	}
	return -1;
}

static void
pending_drop(int slot)
{
	if (slot >= 0)
		atomic_store(&pending[slot].state, SLOT_FREE);
}

/* A name beside path that is unlikely to exist: path.tmpXXXXXX. */
static char *
tmp_name(const char *path)
{
	static atomic_uint counter;
	struct timespec ts;
	unsigned v;

	clock_gettime(CLOCK_REALTIME, &ts);
	v = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec ^
	    (atomic_fetch_add(&counter, 1) * 40503u);
	return xasprintf("%s.tmp%06x", path, v & 0xffffff);
}

/* The mode a new output gets: the old file's, else 0666 less the umask. */
static mode_t
output_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (stat(path, &st) == 0)
		return st.st_mode & 07777;
	mask = umask(022);
	umask(mask);
	return 0666 & ~mask;
}

/*
 * Gives the unnamed file fd (O_TMPFILE, written and synced) the name path.
 * With no file at path it is linked there directly; otherwise under a
 * temporary name that is then renamed over path, registered for the
 * signal handler for the moment it exists.  Returns 0, or -1 with errno.
 */
static int
link_tmpfile(int fd, const char *path)
{
	char proc[64], *tmp;
	int tries, slot, r, saved;
	sigset_t old;

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0 ||
	    (errno != EEXIST && linkat(AT_FDCWD, proc, AT_FDCWD, path,
	    AT_SYMLINK_FOLLOW) == 0))
		return 0;
	if (errno != EEXIST)
		return -1;
	for (tries = 0; tries < 100; tries++) {
		tmp = tmp_name(path);
		fatal_sigs_block(&old);
		slot = pending_add(tmp);
		r = linkat(fd, "", AT_FDCWD, tmp, AT_EMPTY_PATH);
		if (r != 0 && errno != EEXIST)
			r = linkat(AT_FDCWD, proc, AT_FDCWD, tmp,
			    AT_SYMLINK_FOLLOW);
		saved = errno;
		if (r != 0) {
			pending_drop(slot);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			free(tmp);
			if (saved != EEXIST) {
				errno = saved;
				return -1;
			}
			continue;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		r = rename(tmp, path);
		saved = errno;
		if (r != 0)
			unlink(tmp);
		pending_drop(slot);
		free(tmp);
		errno = saved;
		return r;
	}
	errno = EEXIST;
	return -1;
}

int
wh_write_atomic_flags(const char *path, const void *buf, size_t len,
    int flags, char **err)
{
	char *dir = dir_part(path), *tmp = NULL;
	int fd = -1, slot = -1, saved;
	mode_t mode = output_mode(path);
	sigset_t old;

	/* Linux: a file with no name until it is complete */
	if (!(flags & WH_ATOMIC_NAMED))
		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (fchmod(fd, mode) != 0 || write_all(fd, buf, len) != 0 ||
		    fsync(fd) != 0)
			goto fail;
		if (link_tmpfile(fd, path) == 0) {
			if (close(fd) != 0) {
				fd = -1;
				goto fail;
			}
			sync_dir(dir);
			free(dir);
			return 0;
		}
		/* no way to name it (no /proc, or the filesystem refuses):
		 * write it again the named way */
		close(fd);
		fd = -1;
	}

	/* elsewhere: a named temporary file, removed on a fatal signal */
	tmp = xasprintf("%s.tmpXXXXXX", path);
	fatal_sigs_block(&old);
	fd = mkstemp(tmp);
	saved = errno;
	if (fd >= 0)
		slot = pending_add(tmp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		free(tmp);
		free(dir);
		return wh_error(err, "%s: cannot create a temporary file: %s",
		    path, strerror(saved));
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, buf, len) != 0 ||
	    fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	pending_drop(slot);
	free(tmp);
	sync_dir(dir);
	free(dir);
	return 0;

fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	pending_drop(slot);
	free(tmp);
	free(dir);
	return wh_error(err, "%s: cannot write: %s", path, strerror(saved));
}

int
wh_write_atomic(const char *path, const void *buf, size_t len, char **err)
{
	return wh_write_atomic_flags(path, buf, len, 0, err);
}

const char *
wh_fmt_count(double v, char *buf, size_t size)
{
	if (v >= 1e9)
		snprintf(buf, size, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, size, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, size, "%.1fK", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

const char *
wh_fmt_bytes(double v, char *buf, size_t size)
{
	if (v >= 1 << 30)
		snprintf(buf, size, "%.2f GiB", v / (1 << 30));
	else if (v >= 1 << 20)
		snprintf(buf, size, "%.2f MiB", v / (1 << 20));
	else if (v >= 1 << 10)
		snprintf(buf, size, "%.1f KiB", v / (1 << 10));
	else
		snprintf(buf, size, "%.0f B", v);
	return buf;
}

uint64_t
wh_peak_rss(void)
{
	struct rusage ru;

	/* Linux reports ru_maxrss in KiB */
	if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024;
}
