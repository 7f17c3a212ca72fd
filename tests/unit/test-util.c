/* test-util.c - checked sizes, float lists, SHA-256, atomic writes, reads */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "whittle/util.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
/* Let a failed malloc return NULL, so that xmalloc's own path runs. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

static char tmpdir[PATH_MAX];

static const char *
tmp_path(const char *name)
{
	static char path[PATH_MAX + 512];

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return path;
}

static void
make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(tmpdir, sizeof tmpdir, "%s/whittle-test-XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		exit(1);
	}
}

/* Removes a flat directory of files. */
static void
remove_tmpdir(void)
{
	struct dirent *de;
	DIR *dir;

	dir = opendir(tmpdir);
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			unlink(tmp_path(de->d_name));
	closedir(dir);
	rmdir(tmpdir);
}

/* Number of entries in the temp directory. */
static int
count_entries(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir(tmpdir);
	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n;
}

static void
write_raw(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static void
write_gz(const char *path, const void *buf, size_t len)
{
	gzFile gz = gzopen(path, "wb");

	if (gz == NULL || gzwrite(gz, buf, (unsigned)len) != (int)len ||
	    gzclose(gz) != Z_OK) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* Whether err is set and holds both needles. */
static int
err_has(const char *err, const char *a, const char *b)
{
	if (err == NULL)
		return 0;
	if (a != NULL && strstr(err, a) == NULL)
		return 0;
	if (b != NULL && strstr(err, b) == NULL)
		return 0;
	return 1;
}

/*
 * Checks that a call failed with a message holding both needles; the call
 * runs before this does, so the message printed is the one it gave.
 */
static void
expect_fail(int ret, char **err, const char *a, const char *b,
    const char *what)
{
	ok(ret == -1 && err_has(*err, a, b), "%s: %s", what,
	    *err != NULL ? *err : "(no message)");
	free(*err);
	*err = NULL;
}

/*
 * Reads a file of the temp directory that should not load; a failed read
 * must leave the buffer NULL.
 */
static int
read_tmp(const char *name, int gunzip, size_t max, char **err)
{
	unsigned char *buf = (unsigned char *)"x";
	size_t len;
	int ret;

	ret = wh_read_file(name[0] == '/' ? name : tmp_path(name), gunzip, max,
	    &buf, &len, err);
	if (ret == 0)
		free(buf);
	else if (buf != NULL)
		return 0;
	return ret;
}

static void
test_sizes(void)
{
	size_t r = 7;
	char *err = NULL, *s;

	ok(wh_mul_size(SIZE_MAX, 2, &r) == -1 && r == 7,
	    "mul: SIZE_MAX * 2 overflows and leaves the result alone");
	ok(wh_mul_size(SIZE_MAX / 2, 2, &r) == 0 && r == SIZE_MAX - 1,
	    "mul: SIZE_MAX / 2 * 2 fits");
	ok(wh_mul_size(0, SIZE_MAX, &r) == 0 && r == 0, "mul: 0 * SIZE_MAX");
	ok(wh_mul_size((size_t)1 << (sizeof(size_t) * 4),
	    (size_t)1 << (sizeof(size_t) * 4), &r) == -1,
	    "mul: 2^(w/2) squared overflows");
	ok(wh_mul_size(10000, 784, &r) == 0 && r == 7840000,
	    "mul: 10000 * 784");
	ok(wh_add_size(SIZE_MAX, 1, &r) == -1, "add: SIZE_MAX + 1 overflows");
	ok(wh_add_size(SIZE_MAX - 1, 1, &r) == 0 && r == SIZE_MAX,
	    "add: SIZE_MAX - 1 + 1 fits");

	ok(wh_error(NULL, "x %d", 1) == -1, "wh_error without err returns -1");
	ok(wh_error(&err, "%s: header promises %d images", "a.gz", 3) == -1 &&
	    err != NULL && strcmp(err, "a.gz: header promises 3 images") == 0,
	    "wh_error formats into err");
	free(err);
	s = xasprintf("%s-%03d", "w", 7);
	ok(strcmp(s, "w-007") == 0, "xasprintf");
	free(s);
	s = xasprintf("%0300d|%s", 5, "end");
	ok(strlen(s) == 304 && s[0] == '0' && strcmp(s + 299, "5|end") == 0,
	    "xasprintf of a long string");
	free(s);
	s = xstrndup("abcdef", 3);
	ok(strcmp(s, "abc") == 0, "xstrndup cuts");
	free(s);
	s = xstrndup("ab", 10);
	ok(strcmp(s, "ab") == 0, "xstrndup of a shorter string");
	free(s);
}

static void
test_floats(void)
{
	float v[4];
	const char *loc;

	ok(wh_parse_floats("0.5", v, 4) == 1 && v[0] == 0.5f, "floats: one");
	ok(wh_parse_floats("0.485,0.456,0.406", v, 4) == 3 &&
	    v[0] == strtof("0.485", NULL) && v[1] == strtof("0.456", NULL) &&
	    v[2] == strtof("0.406", NULL), "floats: three, exact");
	ok(wh_parse_floats(" 1 , -2.5,3e-2 ", v, 4) == 3 && v[0] == 1.0f &&
	    v[1] == -2.5f && v[2] == 3e-2f, "floats: spaces around values");
	ok(wh_parse_floats("1,2,3,4", v, 4) == 4, "floats: exactly max");
	ok(wh_parse_floats("1,2,3,4,5", v, 4) == -1, "floats: more than max");
	ok(wh_parse_floats("", v, 4) == -1, "floats: empty string");
	ok(wh_parse_floats("  ", v, 4) == -1, "floats: only spaces");
	ok(wh_parse_floats("1,,2", v, 4) == -1, "floats: empty field");
	ok(wh_parse_floats("1,", v, 4) == -1, "floats: trailing comma");
	ok(wh_parse_floats(",1", v, 4) == -1, "floats: leading comma");
	ok(wh_parse_floats("1x", v, 4) == -1, "floats: trailing junk");
	ok(wh_parse_floats("1 2", v, 4) == -1, "floats: missing comma");
	ok(wh_parse_floats("abc", v, 4) == -1, "floats: not a number");
	ok(wh_parse_floats("nan", v, 4) == -1, "floats: nan refused");
	ok(wh_parse_floats("1e40", v, 4) == -1, "floats: overflow to inf");
	ok(wh_parse_floats("1;2", v, 4) == -1, "floats: wrong separator");

	/* A decimal-comma locale must not change the meaning of "0.5". */
	loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
	if (loc == NULL)
		loc = setlocale(LC_NUMERIC, "fr_FR.UTF-8");
	if (loc == NULL)
		tap_skip("no decimal-comma locale installed");
	else
		ok(wh_parse_floats("0.5,0.25", v, 4) == 2 && v[0] == 0.5f &&
		    v[1] == 0.25f, "floats: C numbers under locale %s", loc);
	setlocale(LC_NUMERIC, "C");
}

static void
test_sha256(void)
{
	static const struct {
		const char *what, *msg, *hex;
	} vec[] = {
		{ "empty", "",
		  "e3b0c44298fc1c149afbf4c8996fb924"
		  "27ae41e4649b934ca495991b7852b855" },
		{ "abc", "abc",
		  "ba7816bf8f01cfea414140de5dae2223"
		  "b00361a396177a9cb410ff61f20015ad" },
		{ "448 bits",
		  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039"
		  "a33ce45964ff2167f6ecedd419db06c1" },
		{ "896 bits",
		  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b049237"
		  "0b249b11e8f07a51afac45037afee9d1" }
	};
	static const char million[] =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char out[65], *err = NULL;
	char *a;
	size_t i;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		wh_sha256_hex(vec[i].msg, strlen(vec[i].msg), out);
		ok(strcmp(out, vec[i].hex) == 0, "sha256 %s: %s", vec[i].what,
		    out);
	}

	a = xmalloc(1000000);
	memset(a, 'a', 1000000);
	wh_sha256_hex(a, 1000000, out);
	ok(strcmp(out, million) == 0, "sha256 one million 'a': %s", out);

	/* The file path reads in chunks: the same digest must come out. */
	write_raw(tmp_path("million"), a, 1000000);
	ok(wh_sha256_file(tmp_path("million"), out, &err) == 0 &&
	    strcmp(out, million) == 0, "sha256 of a file of one million 'a'");
	unlink(tmp_path("million"));
	free(a);

	expect_fail(wh_sha256_file(tmp_path("absent"), out, &err), &err,
	    "absent", strerror(ENOENT), "sha256 of a missing file");
	expect_fail(wh_sha256_file(tmpdir, out, &err), &err,
	    tmpdir, "not a regular file", "sha256 of a directory");
}

static void
test_write_atomic(int flags)
{
	const char *how = flags & WH_ATOMIC_NAMED ? "named" : "unnamed";
	char *err = NULL, *missing;
	unsigned char *buf = NULL;
	size_t len = 0;
	struct stat st;
	mode_t mask;
	const char *path = tmp_path("plan.json");

	mask = umask(022);
	umask(mask);

	ok(wh_write_atomic_flags(path, "first\n", 6, flags, &err) == 0,
	    "atomic (%s): write", how);
	ok(wh_read_file(path, 0, 0, &buf, &len, &err) == 0 && len == 6 &&
	    memcmp(buf, "first\n", 6) == 0, "atomic (%s): contents written", how);
	free(buf);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == (0666 & ~mask),
	    "atomic (%s): a new file gets 0666 less the umask, not mkstemp's 0600", how);

	chmod(path, 0640);
	ok(wh_write_atomic_flags(path, "second, longer\n", 15, flags, &err) == 0,
	    "atomic (%s): replace", how);
	ok(wh_read_file(path, 0, 0, &buf, &len, &err) == 0 && len == 15 &&
	    memcmp(buf, "second, longer\n", 15) == 0,
	    "atomic (%s): contents replaced", how);
	free(buf);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640,
	    "atomic (%s): the replaced file keeps its mode", how);
	ok(wh_write_atomic_flags(path, "", 0, flags, &err) == 0 &&
	    stat(path, &st) == 0 && st.st_size == 0, "atomic (%s): empty contents", how);
	ok(count_entries() == 1, "atomic (%s): no temporary files left behind", how);

	missing = xasprintf("%s/no-such-dir/plan.json", tmpdir);
	expect_fail(wh_write_atomic_flags(missing, "x", 1, flags, &err), &err,
	    missing, strerror(ENOENT), flags ? "atomic (named): missing directory fails" :
	    "atomic (unnamed): missing directory fails");
	ok(count_entries() == 1 && stat(missing, &st) == -1,
	    "atomic (%s): a failed write leaves nothing", how);
	free(missing);
	unlink(path);
}

static void
test_read_file(void)
{
	static const char text[] =
	    "The quick brown fox jumps over the lazy dog";
	unsigned char *buf = NULL, *gz = NULL, *cut;
	size_t len = 0, gzlen = 0, i;
	char *err = NULL, *big;
	FILE *f;

	write_raw(tmp_path("plain.txt"), text, strlen(text));
	ok(wh_read_file(tmp_path("plain.txt"), 1, 0, &buf, &len, &err) == 0 &&
	    len == strlen(text) && memcmp(buf, text, len) == 0 &&
	    buf[len] == '\0', "read: plain file, NUL-terminated");
	free(buf);

	expect_fail(read_tmp("plain.txt", 0, 10, &err), &err,
	    "plain.txt", "limit of 10", "read: plain file over max");

	/* Big enough to need several output buffers. */
	big = xmalloc(300000);
	for (i = 0; i < 300000; i++)
		big[i] = (char)('a' + (i * 7 + i / 1000) % 26);
	write_gz(tmp_path("big.gz"), big, 300000);
	ok(wh_read_file(tmp_path("big.gz"), 1, 0, &buf, &len, &err) == 0 &&
	    len == 300000 && memcmp(buf, big, len) == 0 && buf[len] == '\0',
	    "read: gzip file inflated");
	free(buf);
	ok(wh_read_file(tmp_path("big.gz"), 0, 0, &gz, &gzlen, &err) == 0 &&
	    gzlen > 2 && gz[0] == 0x1f && gz[1] == 0x8b && gzlen < 300000,
	    "read: gunzip 0 gives the stored bytes");
	expect_fail(read_tmp("big.gz", 1, 299999, &err), &err,
	    "big.gz", "inflates to more than 299999",
	    "read: inflated size over max");
	ok(wh_read_file(tmp_path("big.gz"), 1, 300000, &buf, &len, &err) == 0 &&
	    len == 300000, "read: inflated size exactly max");
	free(buf);

	/* gzip(1) concatenates members: both must come out. */
	cut = xmalloc(2 * gzlen);
	memcpy(cut, gz, gzlen);
	memcpy(cut + gzlen, gz, gzlen);
	write_raw(tmp_path("twice.gz"), cut, 2 * gzlen);
	ok(wh_read_file(tmp_path("twice.gz"), 1, 0, &buf, &len, &err) == 0 &&
	    len == 600000 && memcmp(buf, big, 300000) == 0 &&
	    memcmp(buf + 300000, big, 300000) == 0,
	    "read: two gzip members");
	free(buf);

	memcpy(cut + gzlen, "junk", 4);
	write_raw(tmp_path("junk.gz"), cut, gzlen + 4);
	expect_fail(read_tmp("junk.gz", 1, 0, &err), &err,
	    "junk.gz", "4 bytes of trailing garbage",
	    "read: garbage after the stream");

	write_raw(tmp_path("cut.gz"), gz, gzlen / 2);
	expect_fail(read_tmp("cut.gz", 1, 0, &err), &err,
	    "cut.gz", "gzip stream is truncated", "read: truncated gzip");
	write_raw(tmp_path("head.gz"), gz, 2);
	expect_fail(read_tmp("head.gz", 1, 0, &err), &err,
	    "head.gz", "gzip stream is truncated", "read: only the gzip magic");

	/* CRC-32 in the trailer: data that inflates but does not match. */
	memcpy(cut, gz, gzlen);
	cut[gzlen - 8] ^= 0xff;
	write_raw(tmp_path("crc.gz"), cut, gzlen);
	expect_fail(read_tmp("crc.gz", 1, 0, &err), &err,
	    "crc.gz", "gzip stream is corrupt", "read: bad gzip CRC");
	/* The first deflate block, after the 10-byte header, of type 3. */
	memcpy(cut, gz, gzlen);
	cut[10] = 0x07;
	write_raw(tmp_path("block.gz"), cut, gzlen);
	expect_fail(read_tmp("block.gz", 1, 0, &err), &err,
	    "block.gz", "gzip stream is corrupt", "read: bad deflate block");
	free(cut);
	free(gz);
	free(big);

	f = fopen(tmp_path("empty"), "wb");
	if (f != NULL)
		fclose(f);
	buf = NULL;
	ok(wh_read_file(tmp_path("empty"), 1, 0, &buf, &len, &err) == 0 &&
	    len == 0 && buf != NULL && buf[0] == '\0', "read: empty file");
	free(buf);

	expect_fail(read_tmp("absent", 1, 0, &err), &err,
	    "absent", strerror(ENOENT), "read: missing file");
	expect_fail(read_tmp(tmpdir, 1, 0, &err), &err,
	    tmpdir, "not a regular file", "read: directory");
}

static int hook_fd = -1;

static void
fatal_hook(void)
{
	ssize_t r = write(hook_fd, "h", 1);

	(void)r;
}

/* xmalloc that cannot succeed: the hook runs, then the process aborts. */
static void
test_fatal(void)
{
	int fds[2], status = 0, null;
	char c = 0;
	pid_t pid;

	if (pipe(fds) != 0) {
		tap_skip("no pipe");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		hook_fd = fds[1];
		wh_set_fatal_hook(fatal_hook);
		/* Past any address space, below 2^63 (fishy to valgrind). */
		free(xmalloc(sizeof(size_t) > 4 ? SIZE_MAX / 4 :
		    SIZE_MAX - 4096));
		_exit(0);
	}
	close(fds[1]);
	ok(pid > 0 && read(fds[0], &c, 1) == 1 && c == 'h',
	    "fatal: the hook runs when allocation fails");
	close(fds[0]);
	ok(pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	    "fatal: then the process aborts");
}

static void
test_now(void)
{
	double a, b;

	a = wh_now();
	b = wh_now();
	ok(a > 0 && b >= a, "wh_now is monotonic");
}

/* Removes every file of the temporary directory. */
static void
clear_tmpdir(void)
{
	struct dirent *de;
	DIR *dir;

	if ((dir = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			unlink(tmp_path(de->d_name));
	closedir(dir);
}

/*
 * Whether the process pid holds open a file of the temporary directory
 * (a save under way: the only files the writer opens there).
 */
static int
saving(pid_t pid)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX + 64];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int found = 0;

	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		snprintf(link, sizeof link, "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = strncmp(target, tmpdir, strlen(tmpdir)) == 0 &&
		    target[strlen(tmpdir)] == '/';
	}
	closedir(d);
	return found;
}

/* The file holds old, or n bytes of 'a' or of 'b': a whole version. */
static int
whole_version(const char *path, const char *old, size_t n)
{
	unsigned char *buf = NULL;
	size_t len = 0, i;
	char *err = NULL;
	int good;

	if (wh_read_file(path, 0, 0, &buf, &len, &err) != 0) {
		free(err);
		return 0;
	}
	good = len == strlen(old) && memcmp(buf, old, len) == 0;
	if (!good && len == n && (buf[0] == 'a' || buf[0] == 'b')) {
		for (i = 0; i < n && buf[i] == buf[0]; i++)
			;
		good = i == n;
	}
	free(buf);
	return good;
}

/*
 * A writer killed in the middle of a save: a child saves 16 MiB over and
 * over while the parent watches /proc for the moment it holds the new
 * file open, then signals it.  Nothing may be left beside the output, and
 * the output must be a whole version.  SIGKILL can only be survived by the
 * unnamed file; the catchable signals by both ways.  SIGXFSZ comes from a
 * file size limit reached mid-write, with no race at all.
 */
static void
test_write_killed(void)
{
	static const struct {
		int sig, flags;
	} cases[] = {
		{ SIGKILL, 0 }, { SIGTERM, 0 }, { SIGINT, 0 },
		{ SIGTERM, WH_ATOMIC_NAMED }, { SIGINT, WH_ATOMIC_NAMED },
		{ SIGHUP, WH_ATOMIC_NAMED }, { SIGQUIT, WH_ATOMIC_NAMED },
		{ SIGXFSZ, WH_ATOMIC_NAMED }, { SIGXFSZ, 0 },
	};
	const char *path = tmp_path("out.onnx"), *old = "the old output\n";
	const size_t n = (size_t)16 << 20;
	size_t c;

	for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int sig = cases[c].sig, flags = cases[c].flags, status = 0;
		int caught = 0, k;
		char *err = NULL;
		pid_t pid;

		if (wh_write_atomic(path, old, strlen(old), &err) != 0) {
			ok(0, "write the old output: %s", err);
			free(err);
			return;
		}
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			char *a = malloc(n), *b = malloc(n);

			if (a == NULL || b == NULL)
				_exit(99);
			memset(a, 'a', n);
			memset(b, 'b', n);
			{
				/* SIGQUIT and SIGXFSZ would dump core */
				struct rlimit nocore = { 0, 0 };

				setrlimit(RLIMIT_CORE, &nocore);
			}
			if (sig == SIGXFSZ) {
				struct rlimit rl = { 1 << 20, 1 << 20 };

				setrlimit(RLIMIT_FSIZE, &rl);
			}
			for (k = 0;; k++)
				if (wh_write_atomic_flags(path, k % 2 ? b : a, n,
				    flags, NULL) != 0)
					_exit(98);
		}
		if (pid < 0) {
			ok(0, "fork: %s", strerror(errno));
			return;
		}
		if (sig != SIGXFSZ) {
			/* no bound but the child's progress: it saves forever */
			while (!(caught = saving(pid)))
				if (waitpid(pid, &status, WNOHANG) == pid)
					break;
			if (caught)
				kill(pid, sig);
		}
		if (caught || sig == SIGXFSZ)
			waitpid(pid, &status, 0);
		ok(WIFSIGNALED(status) && WTERMSIG(status) == sig,
		    "killed mid-save (%s, %s): ended by signal %d (status %#x)",
		    strsignal(sig), flags ? "named" : "unnamed", sig, status);
		ok(count_entries() == 1,
		    "killed mid-save (%s, %s): no temporary file left (%d "
		    "entries)", strsignal(sig), flags ? "named" : "unnamed",
		    count_entries());
		ok(whole_version(path, old, n),
		    "killed mid-save (%s, %s): the output is a whole version",
		    strsignal(sig), flags ? "named" : "unnamed");
		clear_tmpdir();
	}
}

/* Names quoted for messages: escaped, and cut short with their length. */
static void
test_quote_name(void)
{
	char buf[WH_QNAME_SIZE], *big, want[128];
	const char *q;
	size_t n = (size_t)10 << 20, i;
	int good;

	ok(strcmp(wh_quote_name("fc1.weight", buf, sizeof buf),
	    "'fc1.weight'") == 0, "a plain name is quoted: %s", buf);
	ok(strcmp(wh_quote_name(NULL, buf, sizeof buf), "''") == 0,
	    "NULL quotes as ''");
	ok(strcmp(wh_quote_name("a\nb\x01\x7f'\\", buf, sizeof buf),
	    "'a\\x0ab\\x01\\x7f\\'\\\\'") == 0,
	    "control bytes, quote and backslash are escaped: %s", buf);
	ok(strcmp(wh_quote_name("/caf\xc3\xa9/\xe2\x86\x92", buf, sizeof buf),
	    "'/caf\xc3\xa9/\xe2\x86\x92'") == 0, "UTF-8 is kept: %s", buf);
	ok(strcmp(wh_quote_name("x\xc3(\xed\xa0\x80\xc0\xaf", buf, sizeof buf),
	    "'x\\xc3(\\xed\\xa0\\x80\\xc0\\xaf'") == 0,
	    "bytes that are not UTF-8 are escaped: %s", buf);

	/* 10 MiB of name */
	big = xmalloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	q = WH_QNAME(big);
	snprintf(want, sizeof want, "'%.*s...' (%zu bytes)", WH_QNAME_MAX,
	    big, n);
	ok(strcmp(q, want) == 0 && strlen(q) < WH_QNAME_SIZE,
	    "a 10 MiB name is cut to %zu bytes: %s", strlen(q), q);

	/* a cut falls between characters, never inside one */
	for (i = 0; i + 2 <= n; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[n - (n % 2)] = '\0';
	q = WH_QNAME(big);
	good = strlen(q) < WH_QNAME_SIZE && strstr(q, "...' (") != NULL;
	for (i = 1; good && q[i] != '.'; i += 2)
		good = (unsigned char)q[i] == 0xc3 &&
		    (unsigned char)q[i + 1] == 0xa9;
	ok(good && i > 40, "a cut keeps whole characters (%zu bytes)", i - 1);

	/* each escape counts its written bytes */
	memset(big, 1, 1000);
	big[1000] = '\0';
	q = WH_QNAME(big);
	ok(strlen(q) < WH_QNAME_SIZE && strstr(q, "(1000 bytes)") != NULL &&
	    strncmp(q, "'\\x01\\x01", 9) == 0, "escapes are cut too: %s", q);
	free(big);
}

/* The peak resident set grows with memory touched, and is never below
 * what is resident now. */
static void
test_peak_rss(void)
{
	uint64_t before = wh_peak_rss(), after;
	/* more than the peak so far, which freed memory may have set */
	size_t n = (size_t)before + ((size_t)64 << 20);
	char *p = xmalloc(n);

	memset(p, 1, n);
	after = wh_peak_rss();
	ok(before > 0 && after >= before + ((uint64_t)32 << 20), "peak RSS %llu -> %llu "
	    "bytes after touching 64 MiB past it", (unsigned long long)before,
	    (unsigned long long)after);
	free(p);
	ok(wh_peak_rss() >= after, "and stays at its peak after free");
}

int
main(void)
{
	test_quote_name();
	make_tmpdir();
	test_sizes();
	test_floats();
	test_sha256();
	test_write_atomic(0);
	test_write_atomic(WH_ATOMIC_NAMED);
	test_write_killed();
	test_read_file();
	test_fatal();
	test_now();
	test_peak_rss();
	remove_tmpdir();
	return tap_done();
}
