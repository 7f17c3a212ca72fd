/* test-sens-table.c - the sensitivity table's JSON, merging and cache path */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
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
	return tap_done();
}
