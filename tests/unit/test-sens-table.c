/* test-sens-table.c - the sensitivity table's JSON, merging and cache */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "whittle/data.h"
#include "whittle/sensitivity.h"
#include "whittle/util.h"

static const char *const M = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *const D = "2222222222222222222222222222222222222222222222222222222222222222";

static void
fill(struct wh_sens_table *t, int nl, const char *list)
{
	struct wh_sens_setting *set;
	int n = wh_sens_settings(list, &set, NULL), i;

	memset(t, 0, sizeof *t);
	t->nlayers = nl;
	t->layers = calloc(nl, sizeof *t->layers);
	t->layer_bytes = calloc(nl, sizeof *t->layer_bytes);
	t->layer_macs = calloc(nl, sizeof *t->layer_macs);
	for (i = 0; i < nl; i++) {
		t->layers[i] = xasprintf("/l%d/Conv", i);
		t->layer_bytes[i] = 1000 * (i + 1);
		t->layer_macs[i] = 5000 * (i + 1);
	}
	t->nsettings = n;
	t->settings = set;
	t->cells = calloc((size_t)nl * n + 1, sizeof *t->cells);
	strcpy(t->model_sha256, M);
	strcpy(t->data_sha256, D);
	t->samples = 1000;
	t->base_correct = 900;
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * wh_sens_cache_read, what every caller of the cache does first: keys from
 * the files, a miss, a hit, two-part columns on request, a damaged cache
 * and an unreadable model.
 */
static void
test_cache_read(void)
{
	char dir[] = "/tmp/whittle-sens-XXXXXX", model[64], img[64], lbl[64];
	char key[65], *cache = NULL, *warn = NULL, *err = NULL;
	struct wh_sens_table t, saved;
	struct wh_dataset d;
	int n;

	if (mkdtemp(dir) == NULL) {
		ok(0, "a temporary folder");
		return;
	}
	snprintf(model, sizeof model, "%s/m.onnx", dir);
	snprintf(img, sizeof img, "%s/images", dir);
	snprintf(lbl, sizeof lbl, "%s/labels", dir);
	put(model, "model bytes");
	put(img, "image bytes");
	put(lbl, "label bytes");
	memset(&d, 0, sizeof d);
	d.images_path = img;
	d.labels_path = lbl;
	setenv("XDG_CACHE_HOME", dir, 1);

	fill(&t, 3, "int4,sp50");
	n = wh_sens_cache_read(&t, model, &d, 0, 0, &cache, &warn, &err);
	ok(n == 0 && cache != NULL && warn == NULL && strncmp(cache, dir,
	    strlen(dir)) == 0, "no cache yet: nothing read, the path given");
	ok(wh_sha256_file(model, key, NULL) == 0 &&
	    strcmp(t.model_sha256, key) == 0, "the table is keyed by the "
	    "model file's hash");

	/* what an earlier run left: one measured cell and a two-part column */
	fill(&saved, 3, "int4,sp50,sp50+int4");
	strcpy(saved.model_sha256, t.model_sha256);
	strcpy(saved.data_sha256, t.data_sha256);
	wh_sens_cell(&saved, 2, 0)->status = WH_SENS_DONE;
	wh_sens_cell(&saved, 2, 0)->samples = 1000;
	wh_sens_cell(&saved, 2, 0)->correct = 870;
	wh_sens_cell(&saved, 2, 0)->base_correct = 900;
	wh_sens_cell(&saved, 1, 2)->status = WH_SENS_DONE;
	wh_sens_cell(&saved, 1, 2)->samples = 1000;
	wh_sens_cell(&saved, 1, 2)->correct = 850;
	wh_sens_cell(&saved, 1, 2)->base_correct = 900;
	ok(wh_sens_save(&saved, cache, NULL) == 0, "a cache is saved");
	wh_sens_table_release(&t);
	free(cache);

	fill(&t, 3, "int4,sp50");
	n = wh_sens_cache_read(&t, model, &d, 0, 0, &cache, &warn, &err);
	ok(n == 1 && t.nsettings == 2 && wh_sens_cell(&t, 2, 0)->correct ==
	    870, "a hit copies the cells of the table's own columns (%d)", n);
	wh_sens_table_release(&t);
	free(cache);

	fill(&t, 3, "int4,sp50");
	n = wh_sens_cache_read(&t, model, &d, 1, 0, &cache, &warn, &err);
	ok(n == 2 && t.nsettings == 3 && wh_sens_cell(&t, 1, 2)->correct ==
	    850, "with two_part the cache's two-part columns come too (%d)", n);
	wh_sens_table_release(&t);
	free(cache);

	fill(&t, 3, "int4,sp50");
	n = wh_sens_cache_read(&t, model, &d, 0, 1, &cache, &warn, &err);
	ok(n == 0 && cache == NULL && wh_sens_cell(&t, 2, 0)->status ==
	    WH_SENS_TODO, "nocache: keyed, nothing read, no path");
	wh_sens_table_release(&t);

	fill(&t, 3, "int4,sp50");
	ok(wh_sens_cache_read(&t, model, &d, 0, 0, &cache, &warn, &err) == 1 &&
	    warn == NULL, "read again");
	put(cache, "{ damaged");
	wh_sens_table_release(&t);
	free(cache);
	fill(&t, 3, "int4,sp50");
	n = wh_sens_cache_read(&t, model, &d, 0, 0, &cache, &warn, &err);
	ok(n == 0 && warn != NULL && strstr(warn, "ignoring the sensitivity "
	    "cache") != NULL && strchr(warn, '\n') == NULL, "a damaged cache "
	    "is ignored with one line: %s", warn ? warn : "(none)");
	free(warn);
	warn = NULL;
	unlink(cache);
	free(cache);
	wh_sens_table_release(&t);

	fill(&t, 3, "int4,sp50");
	unlink(model);
	n = wh_sens_cache_read(&t, model, &d, 0, 0, &cache, &warn, &err);
	ok(n == -1 && err != NULL && strstr(err, "m.onnx") != NULL,
	    "an unreadable model is an error: %s", err ? err : "(none)");
	free(err);
	wh_sens_table_release(&t);
	wh_sens_table_release(&saved);
	unlink(img);
	unlink(lbl);
	snprintf(model, sizeof model, "%s/whittle/sensitivity", dir);
	rmdir(model);
	snprintf(model, sizeof model, "%s/whittle", dir);
	rmdir(model);
	rmdir(dir);
	unsetenv("XDG_CACHE_HOME");
}

int
main(void)
{
	struct wh_sens_table a, b;
	struct wh_sens_cell *c;
	char *j1, *j2, *err = NULL, *p;
	int n;

	fill(&a, 3, "int4,sp50,e0.9");
	c = wh_sens_cell(&a, 1, 2);
	c->status = WH_SENS_DONE;
	c->samples = 1000;
	c->correct = 880;
	c->base_correct = 900;
	c->flips = 31;
	c->drop = 2;
	c->drop_lo = 1.1;
	c->drop_hi = 3.3;
	c->kl = 0.0123;
	c->bytes = 512;
	c->macs = 2500;
	c->passes = 0.4;
	c = wh_sens_cell(&a, 0, 0);
	c->status = WH_SENS_SKIPPED;
	strcpy(c->reason, "rank 9 saves nothing");
	a.passes = 3.5;
	j1 = wh_sens_to_json(&a);
	ok(wh_sens_parse(&b, "t.json", j1, strlen(j1), &err) == 0,
	    "the JSON parses back");
	j2 = wh_sens_to_json(&b);
	ok(strcmp(j1, j2) == 0, "and writes the same JSON again");
	ok(wh_sens_cell(&b, 1, 2)->kl == 0.0123 &&
	    wh_sens_cell(&b, 0, 0)->status == WH_SENS_SKIPPED,
	    "cells keep their numbers and status");
	free(j2);
	wh_sens_table_release(&b);

	/* broken files: one line each, never a crash */
	{
		static const struct { const char *json, *want; } bad[] = {
			{ "", "empty" },
			{ "{", "not valid JSON" },
			{ "{\"version\": 2}", "version" },
			{ "[]", "version" },
		};
		size_t i;

		for (i = 0; i < sizeof bad / sizeof *bad; i++) {
			int rc = wh_sens_parse(&b, "bad.json", bad[i].json,
			    strlen(bad[i].json), &err);

			ok(rc == -1 && strstr(err,
			    bad[i].want) != NULL && strchr(err, '\n') == NULL,
			    "bad table %zu: %s", i, err);
			free(err);
			err = NULL;
		}
	}
	/* a cell claiming more samples than the set has */
	p = strstr(j1, "\"samples\":\t1000,\n\t\t\t\"correct\"");
	if (p != NULL) {
		char *copy = xstrdup(j1);

		memcpy(copy + (p - j1), "\"samples\":\t9000", 15);
		int rc = wh_sens_parse(&b, "big.json", copy, strlen(copy), &err);

		ok(rc == -1 && strstr(err, "more samples") != NULL, "a cell with more "
		    "samples than the set is refused: %s", err);
		free(err);
		err = NULL;
		free(copy);
	} else
		ok(0, "the cell's samples are where the test expects them");

	/* merging: what the target lacks, and only of the same model */
	fill(&b, 3, "sp50,e0.9,int2");
	n = wh_sens_merge(&b, &a, &err);
	ok(n == 1 && wh_sens_cell(&b, 1, 1)->correct == 880,
	    "a merge copies the measured cells the target lists (%d)", n);
	ok(wh_sens_merge(&b, &a, NULL) == 0, "merging again copies nothing");
	strcpy(b.model_sha256 + 60, "abcd");
	n = wh_sens_merge(&b, &a, &err);
	ok(n == -1 && strstr(err, "different") !=
	    NULL, "a table of another model is refused: %s", err);
	free(err);
	err = NULL;
	wh_sens_table_release(&b);
	ok(wh_sens_add_setting(&a, "sp50+int4", NULL) == 3 &&
	    a.nsettings == 4 && wh_sens_cell(&a, 1, 2)->correct == 880 &&
	    wh_sens_cell(&a, 1, 3)->status == WH_SENS_TODO,
	    "a new column keeps the cells and starts empty");
	ok(wh_sens_add_setting(&a, "bogus", &err) == -1, "a bad column name is "
	    "refused");
	free(err);
	err = NULL;

	setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
	p = wh_sens_cache_path(M, D);
	ok(p != NULL && strncmp(p, "/tmp/xdg/whittle/sensitivity/", 29) == 0 &&
	    strstr(p, M) != NULL && strstr(p, D) != NULL,
	    "the cache lives under XDG_CACHE_HOME, keyed by both hashes");
	free(p);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	p = wh_sens_cache_path(M, D);
	ok(p != NULL && strncmp(p, "/home/u/.cache/whittle/", 23) == 0,
	    "else under ~/.cache");
	free(p);
	{
		char k1[65], k2[65];

		wh_sens_data_key(M, D, k1);
		wh_sens_data_key(D, M, k2);
		ok(strlen(k1) == 64 && strcmp(k1, k2) != 0, "the data key tells "
		    "images from labels");
	}
	free(j1);
	wh_sens_table_release(&a);
	test_cache_read();
	return tap_done();
}
