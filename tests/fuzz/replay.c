/*
 * replay.c - runs a harness on files, without libFuzzer
 *
 *   replay-HARNESS FILE|DIR...
 *
 * Links with one harness (fuzz-*.c) in the normal build and feeds it each
 * file, and each file of each directory in name order (dot files and
 * README skipped).  Prints the name of the file it is about to feed on
 * stderr, so that a crash leaves its reproducer as the log's last line,
 * and the number of files fed on stdout.  Exit 0 when every file went
 * through, 1 when one could not be read; a finding crashes.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int fed;

static int
feed(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (buf == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				exit(1);
			}
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* an exactly sized copy, so that reading past the end is caught */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (exact == NULL)
			exit(1);
		memcpy(exact, buf, len);
		free(buf);
		fprintf(stderr, "replay: %s\n", path);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	fed++;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
feed_dir(const char *dir)
{
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, i;
	int rc = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "README") == 0)
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		if (names == NULL || (names[n] = strdup(e->d_name)) == NULL)
			exit(1);
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, by_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (feed(path) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc |= feed_dir(argv[i]);
		else
			rc |= feed(argv[i]);
	}
	printf("%d\n", fed);
	return rc != 0;
}
