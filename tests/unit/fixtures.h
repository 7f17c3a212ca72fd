/* fixtures.h - paths and small readers for the reference files tests use */
#ifndef WHITTLE_TEST_FIXTURES_H
#define WHITTLE_TEST_FIXTURES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "whittle/data.h"

/* A new path under the source tree. */
static inline char *
fx_path(const char *rel)
{
	const char *s = tap_srcdir();
	char *p = malloc(strlen(s) + strlen(rel) + 2);

	sprintf(p, "%s/%s", s, rel);
	return p;
}

/* The path of a model: demo models in share/models, others in fixtures. */
static inline char *
fx_model(const char *name)
{
	char rel[256];

	if (strncmp(name, "fashion-", 8) == 0)
		snprintf(rel, sizeof rel, "share/models/%s.onnx", name);
	else
		snprintf(rel, sizeof rel, "tests/fixtures/models/%s.onnx", name);
	return fx_path(rel);
}

/*
 * Reads a little-endian NPY file written by numpy.save (version 1.0) and
 * returns its data; *bytes is the data size.  NULL when absent or odd.
 */
static inline void *
fx_npy(const char *rel, size_t *bytes)
{
	char *path = fx_path(rel);
	FILE *f = fopen(path, "rb");
	unsigned char h[10];
	long size;
	size_t hl;
	void *data = NULL;

	free(path);
	if (f == NULL)
		return NULL;
	if (fread(h, 1, 10, f) != 10 || memcmp(h, "\x93NUMPY", 6) != 0)
		goto out;
	hl = h[8] | (size_t)h[9] << 8;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	if (size < (long)(10 + hl))
		goto out;
	*bytes = (size_t)size - 10 - hl;
	data = malloc(*bytes ? *bytes : 1);
	fseek(f, (long)(10 + hl), SEEK_SET);
	if (fread(data, 1, *bytes, f) != *bytes) {
		free(data);
		data = NULL;
	}
out:
	fclose(f);
	return data;
}

/* Reads "correct": N from a ref.json; -1 when absent. */
static inline long
fx_ref_correct(const char *model)
{
	char rel[256], buf[4096], *p;
	char *path;
	FILE *f;
	size_t n;

	snprintf(rel, sizeof rel, "tests/fixtures/ref/%s.ref.json", model);
	path = fx_path(rel);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strstr(buf, "\"correct\":")) == NULL)
		return -1;
	return strtol(p + 10, NULL, 10);
}

#define FX_IMAGES "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
#define FX_LABELS "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"

/* The Fashion-MNIST test split, or NULL paths when it is not installed. */
static inline int
fx_have_fashion(char **images, char **labels)
{
	return wh_data_find_default("fashion-mnist", images, labels, NULL) == 0;
}

#endif
