/* test-plan.c - the plan file: writing, parsing, checking, resolving */

#include <sys/stat.h>

#include <dirent.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/plan.h"
#include "whittle/util.h"
#include "fixtures.h"
#include "tap.h"

#define SHA_A "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
#define SHA_B "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"

/* ---- settings builders (canonical: unused fields at their init values) -- */

static struct wh_layer_cfg
cfg_off(void)
{
	struct wh_layer_cfg c;

	wh_layer_cfg_init(&c);
	return c;
}

static struct wh_layer_cfg
cfg_int(int bits, int symmetric, int per_channel, int clip)
{
	struct wh_layer_cfg c = cfg_off();

	c.qtype = WH_Q_INT;
	c.bits = bits;
	c.symmetric = symmetric;
	c.per_channel = per_channel;
	c.clip = clip;
	return c;
}

/* The plan every round-trip test starts from: every kind of setting. */
static void
full_plan(struct wh_plan *p)
{
	struct wh_layer_cfg c;

	wh_plan_init(p);
	p->model_path = xstrdup("share/models/fashion-cnn.onnx");
	strcpy(p->model_sha256, SHA_A);
	p->images = xstrdup(FX_IMAGES);
	strcpy(p->images_sha256, SHA_B);
	p->labels = xstrdup(FX_LABELS);
	strcpy(p->labels_sha256, SHA_A);
	p->defaults = cfg_int(4, 1, 1, WH_CLIP_MSE);

	/* low-rank by rank, spatial; threshold; N:M; bf16; percentile */
	c = cfg_off();
	c.lr_mode = WH_LR_RANK;
	c.rank = 7;
	c.spatial = 1;
	c.prune_mode = WH_PRUNE_THRESHOLD;
	c.threshold = 0.0123456789f;
	c.nm_n = 2;
	c.nm_m = 4;
	c.qtype = WH_Q_BF16;
	c.act_bits = 8;
	c.act_calib = WH_ACT_PERCENTILE;
	c.act_percentile = 99.9f;
	wh_plan_set_layer(p, "/0/Conv", &c);

	/* energy; channel pruning with L1; int3 asymmetric per tensor */
	c = cfg_int(3, 0, 0, WH_CLIP_MINMAX);
	c.lr_mode = WH_LR_ENERGY;
	c.energy = 0.87654321f;
	c.prune_mode = WH_PRUNE_CHANNEL;
	c.sparsity = 0.3f;
	c.channel_norm = 1;
	wh_plan_set_layer(p, "/3/Conv", &c);

	/* sparsity; fp16; activations min/max */
	c = cfg_off();
	c.prune_mode = WH_PRUNE_SPARSITY;
	c.sparsity = 0.5f;
	c.qtype = WH_Q_FP16;
	c.act_bits = 8;
	wh_plan_set_layer(p, "/7/Gemm", &c);

	/* everything off, where the defaults quantize */
	c = cfg_off();
	wh_plan_set_layer(p, "/9/Gemm", &c);

	/* the same as the defaults: left out */
	wh_plan_set_layer(p, "same", &p->defaults);

	/* a name that needs escaping, a tiny threshold, int8 like defaults
	 * but symmetric off */
	c = cfg_int(8, 0, 1, WH_CLIP_MSE);
	c.prune_mode = WH_PRUNE_THRESHOLD;
	c.threshold = 1.17549435e-38f;
	wh_plan_set_layer(p, "we\"ird\tname/\xc3\xa9", &c);

	p->result.has = 1;
	p->result.samples = 10000;
	p->result.base_accuracy = 0.9101;
	p->result.accuracy = 0.9034;
	p->result.precision_macro = 0.9012345678901234;
	p->result.recall_macro = 0.9;
	p->result.f1_macro = 1.0 / 3;
	p->result.original_bytes = 827688;
	p->result.bytes = 120000;
	p->result.ratio = 827688.0 / 119999;
	p->result.macs = 1220000;
	p->result.macs_sparse = 800000;
	strcpy(p->result.date, "2026-11-28T13:00:00Z");
	strcpy(p->result.version, "0.1.0");
}

static const struct wh_layer_cfg *
find(const struct wh_plan *p, const char *name)
{
	int i;

	for (i = 0; i < p->nlayers; i++)
		if (strcmp(p->layers[i].name, name) == 0)
			return &p->layers[i].cfg;
	return NULL;
}

static int
parse_str(struct wh_plan *p, const char *json, char **err)
{
	return wh_plan_parse(p, "plan.json", json, strlen(json), err);
}

static void
test_round_trip(void)
{
	struct wh_plan p, q;
	char *json, *json2, *err = NULL;
	int i, same = 1, rc;

	full_plan(&p);
	json = wh_plan_to_json(&p);
	rc = parse_str(&q, json, &err);
	ok(rc == 0, "round trip: the written plan parses%s%s", err ? ": " : "",
	    err ? err : "");
	free(err);
	err = NULL;
	if (rc != 0) {
		tap_diag("%s", json);
		free(json);
		wh_plan_release(&p);
		return;
	}
	ok(strcmp(q.path, "plan.json") == 0, "round trip: the plan keeps its path");
	ok(strcmp(q.model_path, p.model_path) == 0 &&
	    strcmp(q.model_sha256, p.model_sha256) == 0 &&
	    strcmp(q.images, p.images) == 0 &&
	    strcmp(q.images_sha256, p.images_sha256) == 0 &&
	    strcmp(q.labels, p.labels) == 0 &&
	    strcmp(q.labels_sha256, p.labels_sha256) == 0,
	    "round trip: model and data paths and digests");
	ok(wh_layer_cfg_equal(&q.defaults, &p.defaults),
	    "round trip: defaults equal");
	ok(q.nlayers == p.nlayers - 1 && find(&q, "same") == NULL,
	    "round trip: the layer equal to the defaults is left out (%d layers)",
	    q.nlayers);
	for (i = 0; i < p.nlayers; i++) {
		const struct wh_layer_cfg *c;

		if (strcmp(p.layers[i].name, "same") == 0)
			continue;
		c = find(&q, p.layers[i].name);
		if (c == NULL || !wh_layer_cfg_equal(c, &p.layers[i].cfg)) {
			tap_diag("layer '%s' differs", p.layers[i].name);
			same = 0;
		}
	}
	ok(same, "round trip: every layer's settings equal, the escaped name "
	    "included");
	ok(find(&q, "/0/Conv") != NULL &&
	    find(&q, "/0/Conv")->threshold == 0.0123456789f &&
	    find(&q, "/3/Conv") != NULL &&
	    find(&q, "/3/Conv")->energy == 0.87654321f,
	    "round trip: float32 threshold and energy exactly");
	ok(q.nlayers == 5 && strcmp(q.layers[0].name, "/0/Conv") == 0 &&
	    strcmp(q.layers[3].name, "/9/Gemm") == 0 &&
	    strcmp(q.layers[4].name, "we\"ird\tname/\xc3\xa9") == 0,
	    "round trip: layers keep their order");
	ok(q.result.has && q.result.samples == 10000 &&
	    q.result.base_accuracy == p.result.base_accuracy &&
	    q.result.accuracy == p.result.accuracy &&
	    q.result.precision_macro == p.result.precision_macro &&
	    q.result.recall_macro == p.result.recall_macro &&
	    q.result.f1_macro == p.result.f1_macro &&
	    q.result.original_bytes == 827688 && q.result.bytes == 120000 &&
	    q.result.ratio == p.result.ratio && q.result.macs == 1220000 &&
	    q.result.macs_sparse == 800000 &&
	    strcmp(q.result.date, p.result.date) == 0 &&
	    strcmp(q.result.version, "0.1.0") == 0,
	    "round trip: the result, doubles exactly");
	ok(strstr(json, "\"accuracy_change\": -0.0067,\n") != NULL,
	    "round trip: accuracy_change is derived and tidy");

	json2 = wh_plan_to_json(&q);
	ok(strcmp(json, json2) == 0, "round trip: the parsed plan writes the "
	    "same bytes");
	free(json2);
	json2 = wh_plan_to_json(&p);
	ok(strcmp(json, json2) == 0, "stable: writing twice gives the same bytes");
	free(json2);
	free(json);
	wh_plan_release(&q);
	wh_plan_release(&p);
	ok(p.nlayers == 0 && p.layers == NULL && p.model_path == NULL,
	    "release leaves an empty plan");
	wh_plan_release(&p);
}

/* Many float32 values: each reads back as exactly the float written. */
static void
test_float_exact(void)
{
	struct wh_plan p, q;
	uint32_t seed = 12345, bitsv;
	char *json, *err = NULL;
	int i, bad = 0, n = 0, tidy;
	float f;

	for (i = 0; i < 2000; i++) {
		struct wh_layer_cfg c = cfg_off();

		seed = seed * 1664525u + 1013904223u;
		/* positive finite floats of every magnitude */
		bitsv = seed % 0x7f7fffffu + 1;
		memcpy(&f, &bitsv, sizeof f);
		wh_plan_init(&p);
		c.prune_mode = WH_PRUNE_THRESHOLD;
		c.threshold = f;
		c.lr_mode = WH_LR_ENERGY;
		c.energy = (float)(seed >> 8) / 16777216.0f + 1e-7f;
		if (c.energy > 1)
			c.energy = 1;
		wh_plan_set_layer(&p, "x", &c);
		json = wh_plan_to_json(&p);
		if (parse_str(&q, json, &err) != 0) {
			if (bad++ == 0)
				tap_diag("%s", err);
			free(err);
			err = NULL;
		} else {
			n++;
			if (q.nlayers != 1 || q.layers[0].cfg.threshold != f ||
			    q.layers[0].cfg.energy != c.energy) {
				if (bad++ == 0)
					tap_diag("%.9g / %.9g differ", (double)f,
					    (double)c.energy);
			}
		}
		free(json);
		wh_plan_release(&q);
		wh_plan_release(&p);
	}
	ok(bad == 0 && n == 2000, "2000 random float32 thresholds and energies "
	    "read back exactly (%d bad)", bad);

	/* tidy: the shortest text, not %.9g */
	wh_plan_init(&p);
	p.defaults.prune_mode = WH_PRUNE_SPARSITY;
	p.defaults.sparsity = 0.5f;
	p.defaults.act_bits = 8;
	p.defaults.act_calib = WH_ACT_PERCENTILE;
	p.defaults.act_percentile = 99.99f;
	json = wh_plan_to_json(&p);
	tidy = strstr(json, "\"sparsity\": 0.5,\n") != NULL &&
	    strstr(json, "\"act_percentile\": 99.99\n") != NULL;
	ok(tidy, "numbers are tidy: 0.5 and 99.99");
	if (!tidy)
		tap_diag("%s", json);
	free(json);
	wh_plan_release(&p);
}

static const char small_expected[] =
	"{\n"
	"  \"whittle_plan\": 1,\n"
	"  \"model\": {\n"
	"    \"path\": \"share/models/fashion-cnn.onnx\",\n"
	"    \"sha256\": \"" SHA_A "\"\n"
	"  },\n"
	"  \"defaults\": {\n"
	"    \"bits\": 4,\n"
	"    \"symmetric\": true,\n"
	"    \"granularity\": \"channel\",\n"
	"    \"clip\": \"mse\"\n"
	"  },\n"
	"  \"layers\": {\n"
	"    \"/0/Conv\": {\n"
	"      \"bits\": 8,\n"
	"      \"symmetric\": true,\n"
	"      \"granularity\": \"channel\",\n"
	"      \"clip\": \"mse\"\n"
	"    },\n"
	"    \"/7/Gemm\": {\n"
	"      \"rank\": 32,\n"
	"      \"spatial\": false,\n"
	"      \"sparsity\": 0.5,\n"
	"      \"nm\": \"2:4\",\n"
	"      \"act_bits\": 8,\n"
	"      \"act_calibration\": \"percentile\",\n"
	"      \"act_percentile\": 99.99\n"
	"    },\n"
	"    \"/9/Gemm\": {\n"
	"      \"threshold\": 0.015,\n"
	"      \"bits\": 0\n"
	"    }\n"
	"  }\n"
	"}\n";

static void
small_plan(struct wh_plan *p)
{
	struct wh_layer_cfg c;

	wh_plan_init(p);
	p->model_path = xstrdup("share/models/fashion-cnn.onnx");
	strcpy(p->model_sha256, SHA_A);
	p->defaults = cfg_int(4, 1, 1, WH_CLIP_MSE);
	c = cfg_int(8, 1, 1, WH_CLIP_MSE);
	wh_plan_set_layer(p, "/0/Conv", &c);
	c = cfg_int(4, 1, 1, WH_CLIP_MSE);
	c.lr_mode = WH_LR_RANK;
	c.rank = 32;
	c.prune_mode = WH_PRUNE_SPARSITY;
	c.sparsity = 0.5f;
	c.nm_n = 2;
	c.nm_m = 4;
	c.act_bits = 8;
	c.act_calib = WH_ACT_PERCENTILE;
	c.act_percentile = 99.99f;
	wh_plan_set_layer(p, "/7/Gemm", &c);
	c = cfg_off();
	c.prune_mode = WH_PRUNE_THRESHOLD;
	c.threshold = 0.015f;
	wh_plan_set_layer(p, "/9/Gemm", &c);
}

static void
test_text(void)
{
	struct wh_plan p;
	struct wh_layer_cfg c;
	char *json, *s, *line, *nl;
	int good = 1, lines = 0;

	small_plan(&p);
	/* replacing a layer keeps its place */
	c = cfg_int(8, 1, 1, WH_CLIP_MSE);
	wh_plan_set_layer(&p, "/0/Conv", &c);
	json = wh_plan_to_json(&p);
	ok(strcmp(json, small_expected) == 0, "the small plan's text is exactly "
	    "as expected");
	if (strcmp(json, small_expected) != 0)
		tap_diag("got:\n%s", json);
	ok(strchr(json, '\t') == NULL, "no tabs");

	/* two spaces per level, "key": value with one space, no trailing
	 * blanks, one member per line */
	s = xstrdup(json);
	for (line = s; *line != '\0'; line = nl + 1) {
		size_t ind;
		char *colon;

		nl = strchr(line, '\n');
		if (nl == NULL) {
			good = 0;
			break;
		}
		*nl = '\0';
		lines++;
		ind = strspn(line, " ");
		if (ind % 2 != 0 || line[ind] == '\0' ||
		    line[strlen(line) - 1] == ' ')
			good = 0;
		if (line[ind] == '"' && ((colon = strstr(line, "\": ")) == NULL ||
		    colon[3] == ' '))
			good = 0;
	}
	free(s);
	ok(good && lines == 34, "two-space indent, one member per line, a "
	    "trailing newline (%d lines)", lines);
	free(json);

	/* the top-level order is fixed */
	wh_plan_release(&p);
	full_plan(&p);
	json = wh_plan_to_json(&p);
	{
		const char *k[] = { "\n  \"whittle_plan\"", "\n  \"model\"",
		    "\n  \"data\"", "\n  \"defaults\"", "\n  \"layers\"",
		    "\n  \"result\"" };
		const char *prev = json, *at;
		int i, order = 1;

		for (i = 0; i < 6; i++) {
			at = strstr(json, k[i]);
			if (at == NULL || at < prev)
				order = 0;
			else
				prev = at;
		}
		ok(order, "top-level keys in the fixed order");
	}
	{
		/* settings keys in the documented order within /0/Conv */
		const char *k[] = { "\"rank\"", "\"spatial\"", "\"threshold\"",
		    "\"nm\"", "\"bits\"", "\"float16\"", "\"act_bits\"",
		    "\"act_calibration\"", "\"act_percentile\"" };
		const char *start = strstr(json, "\"/0/Conv\"");
		const char *stop = start ? strstr(start, "}") : NULL;
		const char *prev = start, *at;
		int i, order = start != NULL && stop != NULL;

		for (i = 0; i < 9 && order; i++) {
			at = strstr(prev, k[i]);
			if (at == NULL || at > stop)
				order = 0;
			else
				prev = at;
		}
		ok(order, "settings keys in the documented order");
	}
	free(json);
	wh_plan_release(&p);

	/* an empty plan */
	wh_plan_init(&p);
	json = wh_plan_to_json(&p);
	ok(strcmp(json, "{\n  \"whittle_plan\": 1,\n  \"defaults\": {},\n"
	    "  \"layers\": {}\n}\n") == 0, "an empty plan");
	free(json);
	wh_plan_release(&p);
}

/* The writer does not follow LC_NUMERIC. */
static void
test_locale(void)
{
	const char *names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
	    "nl_NL.UTF-8", NULL };
	struct wh_plan p, q;
	char *json, *err = NULL;
	int i, rc;

	for (i = 0; names[i] != NULL; i++)
		if (setlocale(LC_NUMERIC, names[i]) != NULL &&
		    strcmp(localeconv()->decimal_point, ",") == 0)
			break;
	if (names[i] == NULL) {
		tap_skip("no locale with a decimal comma is installed");
		return;
	}
	small_plan(&p);
	json = wh_plan_to_json(&p);
	rc = parse_str(&q, json, &err);
	setlocale(LC_NUMERIC, "C");
	ok(strcmp(json, small_expected) == 0 && rc == 0,
	    "under %s the text and the parse are the same", names[i]);
	free(err);
	free(json);
	wh_plan_release(&q);
	wh_plan_release(&p);
}

static char tmpdir[] = "/tmp/whittle-test-plan-XXXXXX";

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_save(void)
{
	struct wh_plan p, q;
	char *path, *bad, *json, *err = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	path = xasprintf("%s/plan.json", tmpdir);
	/* an old, longer file is replaced whole */
	f = fopen(path, "w");
	for (int i = 0; f != NULL && i < 1000; i++)
		fputs("old old old old old old old old\n", f);
	if (f != NULL)
		fclose(f);
	full_plan(&p);
	ok(wh_plan_save(&p, path, &err) == 0, "save");
	free(err);
	err = NULL;
	json = wh_plan_to_json(&p);
	ok(wh_read_file(path, 0, 1 << 20, &buf, &len, NULL) == 0 &&
	    len == strlen(json) && memcmp(buf, json, len) == 0,
	    "save: the file holds exactly the plan's text");
	ok(count_entries(tmpdir) == 1, "save: no temporary file is left");
	ok(wh_plan_load(&q, path, &err) == 0 && q.nlayers == 5 &&
	    strcmp(q.path, path) == 0, "load reads it back");
	free(err);
	err = NULL;
	wh_plan_release(&q);

	bad = xasprintf("%s/no-such-dir/plan.json", tmpdir);
	ok(wh_plan_save(&p, bad, &err) == -1 && err != NULL &&
	    strstr(err, "no-such-dir") != NULL && count_entries(tmpdir) == 1,
	    "save into a missing directory fails and leaves nothing: %s",
	    err ? err : "(no message)");
	free(err);
	err = NULL;
	ok(wh_plan_load(&q, bad, &err) == -1 && err != NULL && q.nlayers == 0,
	    "load of a missing file fails");
	free(err);
	err = NULL;

	free(bad);
	free(buf);
	free(json);
	unlink(path);
	free(path);
	rmdir(tmpdir);
	wh_plan_release(&p);
}

/* ---- validation -------------------------------------------------------------- */

#define HEAD "{\"whittle_plan\": 1, "

static const struct bad_case {
	const char *json;
	const char *want[3];	/* substrings of the message */
} bad_cases[] = {
	/* version and shape */
	{ "{\"whittle_plan\": 2}",
	  { "plan.json: whittle_plan is 2, this whittle reads version 1" } },
	{ "{\"model\": {}}", { "whittle_plan is missing" } },
	{ "{\"whittle_plan\": \"1\"}", { "whittle_plan is \"1\"", "expected 1" } },
	{ "[1, 2]", { "the plan is an array", "expected an object" } },
	{ "{\n\"whittle_plan\": 1,\n\"model\": {,\n\"x\": 1}\n}",
	  { "plan.json: not valid JSON near line 3" } },
	{ "", { "plan.json: the plan file is empty" } },
	{ " \n\t\r\n", { "plan.json: the plan file holds only white space" } },
	{ HEAD "\"layers\": {}} trailing", { "not valid JSON near line 1" } },
	/* unknown keys at every level */
	{ HEAD "\"layer\": {}}", { "unknown key layer", "did you mean layers" } },
	{ HEAD "\"model\": {\"pth\": \"m.onnx\"}}", { "unknown key model.pth" } },
	{ HEAD "\"data\": {\"image\": \"x\"}}", { "unknown key data.image" } },
	{ HEAD "\"defaults\": {\"bitz\": 4}}",
	  { "unknown key defaults.bitz", "did you mean bits" } },
	{ HEAD "\"layers\": {\"/7/Gemm\": {\"bitz\": 4}}}",
	  { "plan.json: unknown key layers.\"/7/Gemm\".bitz" } },
	{ HEAD "\"result\": {\"acc\": 0.5}}", { "unknown key result.acc" } },
	{ HEAD "\"defaults\": {\"bits\": 4, \"bits\": 8}}",
	  { "defaults.bits appears twice" } },
	{ HEAD "\"layers\": {\"a\": {}, \"a\": {}}}",
	  { "layers.\"a\" appears twice" } },
	/* types */
	{ HEAD "\"defaults\": {\"bits\": \"4\"}}",
	  { "plan.json: defaults.bits is \"4\", expected a number" } },
	{ HEAD "\"defaults\": []}", { "defaults is an array", "expected an object" } },
	{ HEAD "\"layers\": {\"x\": 3}}",
	  { "layers.\"x\" is 3", "expected an object" } },
	{ HEAD "\"defaults\": {\"bits\": 8, \"symmetric\": \"yes\"}}",
	  { "defaults.symmetric is \"yes\"", "true or false" } },
	{ HEAD "\"model\": {\"path\": \"\"}}",
	  { "model.path is \"\"", "non-empty string" } },
	{ HEAD "\"model\": {\"sha256\": \"abc\"}}",
	  { "model.sha256 is \"abc\"", "64 hexadecimal digits" } },
	/* ranges */
	{ HEAD "\"defaults\": {\"bits\": 9}}", { "defaults.bits is 9", "2..8 or 16" } },
	{ HEAD "\"defaults\": {\"bits\": 1}}", { "defaults.bits is 1" } },
	{ HEAD "\"layers\": {\"/7/Gemm\": {\"sparsity\": 1.5}}}",
	  { "layers.\"/7/Gemm\".sparsity is 1.5", "[0, 1]" } },
	{ HEAD "\"defaults\": {\"channel_sparsity\": -0.1}}",
	  { "defaults.channel_sparsity is -0.1", "[0, 1]" } },
	{ HEAD "\"defaults\": {\"threshold\": -1}}",
	  { "defaults.threshold is -1", ">= 0" } },
	{ HEAD "\"defaults\": {\"threshold\": 1e39}}",
	  { "defaults.threshold is 1e+39", ">= 0" } },
	{ HEAD "\"defaults\": {\"energy\": 0}}", { "defaults.energy is 0", "(0, 1]" } },
	{ HEAD "\"defaults\": {\"energy\": 1.5}}", { "defaults.energy is 1.5" } },
	{ HEAD "\"defaults\": {\"rank\": -1}}", { "defaults.rank is -1", "integer" } },
	{ HEAD "\"defaults\": {\"rank\": 2.5}}", { "defaults.rank is 2.5", "integer" } },
	{ HEAD "\"defaults\": {\"act_bits\": 4}}",
	  { "defaults.act_bits is 4", "expected 8" } },
	{ HEAD "\"defaults\": {\"nm\": \"4:2\"}}", { "defaults.nm is \"4:2\"", "N:M" } },
	{ HEAD "\"defaults\": {\"nm\": \"2:64\"}}", { "defaults.nm is \"2:64\"" } },
	{ HEAD "\"defaults\": {\"nm\": \"2-4\"}}", { "defaults.nm is \"2-4\"" } },
	{ HEAD "\"defaults\": {\"act_bits\": 8, \"act_calibration\": "
	  "\"percentile\", \"act_percentile\": 50}}",
	  { "defaults.act_percentile is 50", "(50, 100]" } },
	{ HEAD "\"defaults\": {\"act_bits\": 8, \"act_calibration\": "
	  "\"percentile\", \"act_percentile\": 100.5}}",
	  { "defaults.act_percentile is 100.5" } },
	{ HEAD "\"defaults\": {\"bits\": 8, \"granularity\": \"row\"}}",
	  { "defaults.granularity is \"row\"", "\"tensor\" or \"channel\"" } },
	{ HEAD "\"defaults\": {\"bits\": 8, \"clip\": \"max\"}}",
	  { "defaults.clip is \"max\"" } },
	{ HEAD "\"defaults\": {\"channel_sparsity\": 0.5, \"channel_norm\": "
	  "\"l3\"}}", { "defaults.channel_norm is \"l3\"" } },
	{ HEAD "\"result\": {\"samples\": -1}}", { "result.samples is -1" } },
	{ HEAD "\"result\": {\"accuracy\": 1.5}}", { "result.accuracy is 1.5" } },
	{ HEAD "\"result\": {\"date\": \"2026-11-28T13:00:00Z and much more\"}}",
	  { "result.date is \"2026-11-28T13:00:00Z and much more\"" } },
	/* combinations */
	{ HEAD "\"layers\": {\"fc\": {\"rank\": 4, \"energy\": 0.9}}}",
	  { "plan.json: layers.\"fc\" sets both rank and energy, but low-rank "
	    "takes only one of them" } },
	{ HEAD "\"defaults\": {\"sparsity\": 0.5, \"threshold\": 0.1}}",
	  { "plan.json: defaults sets both sparsity and threshold, but a layer "
	    "is pruned by only one of sparsity, threshold and channel_sparsity" } },
	{ HEAD "\"layers\": {\"x\": {\"threshold\": 0.1, "
	  "\"channel_sparsity\": 0.5}}}",
	  { "layers.\"x\" sets both threshold and channel_sparsity, but" } },
	{ HEAD "\"defaults\": {\"bits\": 8, \"float16\": \"bf16\"}}",
	  { "defaults.float16 is \"bf16\", but the weights are not 16-bit "
	    "(float16 needs bits 16)" } },
	{ HEAD "\"defaults\": {\"spatial\": true}}",
	  { "defaults.spatial is true, but low-rank is off (spatial needs rank "
	    "or energy)" } },
	{ HEAD "\"defaults\": {\"sparsity\": 0.5, \"channel_norm\": \"l1\"}}",
	  { "defaults.channel_norm is \"l1\", but channel pruning is off "
	    "(channel_norm needs channel_sparsity above 0)" } },
	{ HEAD "\"defaults\": {\"clip\": \"mse\"}}",
	  { "defaults.clip is \"mse\", but integer quantization is off (clip "
	    "needs bits 2 to 8)" } },
	{ HEAD "\"defaults\": {\"act_bits\": 8, \"act_percentile\": 99}}",
	  { "defaults.act_percentile is 99, but the calibration is not "
	    "percentile (act_percentile needs act_bits 8 and act_calibration "
	    "\"percentile\")" } },
	{ HEAD "\"defaults\": {\"bits\": 4}, \"layers\": {\"c\": {\"bits\": 0, "
	  "\"symmetric\": false}}}",
	  { "layers.\"c\".symmetric is false, but integer quantization is "
	    "off" } },
};

static void
test_errors(void)
{
	size_t i;
	int j, good, n = 0;

	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *b = &bad_cases[i];
		struct wh_plan p;
		char *err = NULL;
		int rc = parse_str(&p, b->json, &err);

		good = rc == -1 && err != NULL && strchr(err, '\n') == NULL &&
		    strncmp(err, "plan.json: ", 11) == 0 && p.nlayers == 0 &&
		    p.layers == NULL && p.model_path == NULL && p.path == NULL;
		for (j = 0; j < 3 && good && b->want[j] != NULL; j++)
			if (strstr(err, b->want[j]) == NULL)
				good = 0;
		ok(good, "error %zu: %s", i + 1, err ? err : "(accepted)");
		if (!good)
			tap_diag("input: %s", b->json);
		n++;
		free(err);
		wh_plan_release(&p);
	}
	ok(n >= 20, "%d error cases", n);

	/* a NUL inside the text */
	{
		const char text[] = "{\"whittle_plan\": 1,\n\"defaults\": {}\0}";
		struct wh_plan p;
		char *err = NULL;

		ok(wh_plan_parse(&p, "plan.json", text, sizeof text - 1, &err) ==
		    -1 && err != NULL && strstr(err, "near line 2") != NULL,
		    "a NUL byte: %s", err ? err : "(accepted)");
		free(err);
	}
	/* err may be NULL */
	{
		struct wh_plan p;

		ok(parse_str(&p, "{\"whittle_plan\": 3}", NULL) == -1,
		    "errors without a message pointer");
	}
}

/* What overlaying and switching off mean. */
static void
test_overlay(void)
{
	struct wh_plan p;
	struct wh_layer_cfg want;
	char *err = NULL;
	const char *json = HEAD
	    "\"defaults\": {\"rank\": 8, \"spatial\": true, \"threshold\": 0.01,"
	    " \"nm\": \"2:4\", \"bits\": 16, \"float16\": \"bf16\","
	    " \"act_bits\": 8},"
	    "\"layers\": {"
	    " \"off\": {\"rank\": 0, \"threshold\": 0, \"nm\": \"off\","
	    "  \"bits\": 0, \"act_bits\": 0},"
	    " \"some\": {\"spatial\": false, \"channel_sparsity\": 0.25,"
	    "  \"channel_norm\": \"l1\", \"bits\": 16},"
	    " \"energy\": {\"energy\": 0.5, \"bits\": 6, \"clip\": \"mse\"},"
	    " \"empty\": {}"
	    "}}";
	int rc = parse_str(&p, json, &err);

	ok(rc == 0, "overlay plan parses%s%s", err ? ": " : "", err ? err : "");
	free(err);
	if (rc != 0)
		return;
	want = cfg_off();
	want.lr_mode = WH_LR_RANK;
	want.rank = 8;
	want.spatial = 1;
	want.prune_mode = WH_PRUNE_THRESHOLD;
	want.threshold = 0.01f;
	want.nm_n = 2;
	want.nm_m = 4;
	want.qtype = WH_Q_BF16;
	want.act_bits = 8;
	ok(wh_layer_cfg_equal(&p.defaults, &want), "defaults as written");
	ok(find(&p, "empty") && wh_layer_cfg_equal(find(&p, "empty"), &want),
	    "an empty entry is the defaults");
	want = cfg_off();
	ok(find(&p, "off") && wh_layer_cfg_equal(find(&p, "off"), &want),
	    "0 and \"off\" switch every transform off");
	want = cfg_off();
	want.lr_mode = WH_LR_RANK;
	want.rank = 8;
	want.prune_mode = WH_PRUNE_CHANNEL;
	want.sparsity = 0.25f;
	want.channel_norm = 1;
	want.nm_n = 2;
	want.nm_m = 4;
	want.qtype = WH_Q_BF16;
	want.act_bits = 8;
	ok(find(&p, "some") && wh_layer_cfg_equal(find(&p, "some"), &want),
	    "a layer key replaces the defaults' key; float16 is inherited");
	want = cfg_int(6, 1, 1, WH_CLIP_MSE);
	want.lr_mode = WH_LR_ENERGY;
	want.energy = 0.5f;
	want.spatial = 1;
	want.prune_mode = WH_PRUNE_THRESHOLD;
	want.threshold = 0.01f;
	want.nm_n = 2;
	want.nm_m = 4;
	want.act_bits = 8;
	ok(find(&p, "energy") && wh_layer_cfg_equal(find(&p, "energy"), &want),
	    "energy replaces rank, int bits replace bf16");
	wh_plan_release(&p);
}

/* ---- resolving against the demo model ------------------------------------- */

static void
test_resolve(void)
{
	char *path = fx_model("fashion-cnn"), *err = NULL, *warn = NULL;
	struct wh_model *m = wh_model_load(path, &err);
	struct wh_graph *g = NULL;
	struct wh_layer_cfg cfgs[8], want;
	struct wh_plan p;
	int n, i, rc;

	if (m != NULL)
		g = wh_graph_new(m, &err);
	if (g == NULL) {
		ok(0, "load the demo model: %s", err ? err : "?");
		free(err);
		wh_model_free(m);
		free(path);
		return;
	}
	n = wh_graph_nlayers(g);
	ok(n == 4, "the demo model has 4 layers");

	/* a good plan */
	rc = parse_str(&p, HEAD "\"model\": {\"sha256\": \"" SHA_A "\"},"
	    "\"defaults\": {\"bits\": 8},"
	    "\"layers\": {\"/0/Conv\": {\"rank\": 9, \"spatial\": false},"
	    " \"/7/Gemm\": {\"rank\": 32, \"sparsity\": 0.5, \"bits\": 4}}}", &err);
	ok(rc == 0, "good plan parses");
	free(err);
	err = NULL;
	rc = wh_plan_resolve(&p, g, SHA_A, 1, cfgs, &warn, &err);
	ok(rc == 0 && warn == NULL, "good plan resolves, no warning%s%s",
	    err ? ": " : "", err ? err : "");
	free(err);
	err = NULL;
	if (rc == 0) {
		int good = 1;

		for (i = 0; i < n; i++) {
			const char *name = wh_graph_layer(g, i)->name;

			want = cfg_int(8, 1, 1, WH_CLIP_MINMAX);
			if (strcmp(name, "/0/Conv") == 0) {
				want.lr_mode = WH_LR_RANK;
				want.rank = 9;
			} else if (strcmp(name, "/7/Gemm") == 0) {
				want.lr_mode = WH_LR_RANK;
				want.rank = 32;
				want.prune_mode = WH_PRUNE_SPARSITY;
				want.sparsity = 0.5f;
				want.bits = 4;
			}
			if (!wh_layer_cfg_equal(&cfgs[i], &want)) {
				tap_diag("layer '%s' differs", name);
				good = 0;
			}
		}
		ok(good, "every layer gets the defaults overlaid by its entry");
	}

	/* SHA-256 mismatch: a warning, or an error when strict */
	rc = wh_plan_resolve(&p, g, SHA_B, 0, cfgs, &warn, &err);
	ok(rc == 0 && warn != NULL && strchr(warn, '\n') == NULL &&
	    strstr(warn, "plan.json: the plan was made for a model of SHA-256 "
	    "ab12ab12ab12ab12..., not for ") != NULL &&
	    strstr(warn, "fashion-cnn.onnx (SHA-256 00ff00ff00ff00ff...)") != NULL,
	    "sha mismatch warns: %s", warn ? warn : "(nothing)");
	free(warn);
	warn = NULL;
	free(err);
	err = NULL;
	rc = wh_plan_resolve(&p, g, SHA_B, 1, cfgs, &warn, &err);
	ok(rc == -1 && warn == NULL && err != NULL &&
	    strstr(err, "the plan was made for a model of SHA-256") != NULL,
	    "sha mismatch with strict is an error: %s", err ? err : "(nothing)");
	free(err);
	err = NULL;
	rc = wh_plan_resolve(&p, g, "", 1, cfgs, &warn, &err);
	ok(rc == 0 && warn == NULL, "an unknown model digest is not checked");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	/* made for another model: the messages name it and its digest */
	parse_str(&p, HEAD "\"model\": {\"path\": \"models/resnet.onnx\", "
	    "\"sha256\": \"" SHA_A "\"}, \"layers\": {\"/stem/Conv\": "
	    "{\"bits\": 8}}}", NULL);
	rc = wh_plan_resolve(&p, g, SHA_B, 0, cfgs, &warn, &err);
	ok(rc == -1 && warn == NULL && err != NULL && strstr(err,
	    "plan.json: layer '/stem/Conv' is not in ") != NULL && strstr(err,
	    "fashion-cnn.onnx; the plan was made for 'models/resnet.onnx' "
	    "(SHA-256 ab12ab12ab12ab12...)") != NULL,
	    "a layer of another model: %s", err ? err : "(nothing)");
	free(err);
	err = NULL;
	wh_plan_release(&p);
	parse_str(&p, HEAD "\"model\": {\"path\": \"models/resnet.onnx\", "
	    "\"sha256\": \"" SHA_A "\"}}", NULL);
	rc = wh_plan_resolve(&p, g, SHA_B, 1, cfgs, &warn, &err);
	ok(rc == -1 && err != NULL && strstr(err, "plan.json: the plan was made "
	    "for 'models/resnet.onnx' (SHA-256 ab12ab12ab12ab12...), not for ") !=
	    NULL, "another model, strict: %s", err ? err : "(nothing)");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	/* an unknown layer */
	parse_str(&p, HEAD "\"layers\": {\"fc9\": {\"bits\": 8}}}", NULL);
	rc = wh_plan_resolve(&p, g, NULL, 0, cfgs, &warn, &err);
	ok(rc == -1 && err != NULL && strchr(err, '\n') == NULL &&
	    strstr(err, "plan.json: layer 'fc9' is not in ") != NULL &&
	    strstr(err, "fashion-cnn.onnx") != NULL,
	    "unknown layer: %s", err ? err : "(accepted)");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	/* a rank above the maximum (conv1: 16 x 9) */
	parse_str(&p, HEAD "\"layers\": {\"/0/Conv\": {\"rank\": 10}}}", NULL);
	rc = wh_plan_resolve(&p, g, NULL, 0, cfgs, &warn, &err);
	ok(rc == -1 && err != NULL && strncmp(err, "plan.json: ", 11) == 0 &&
	    strstr(err, "/0/Conv") != NULL && strstr(err, "rank 10") != NULL &&
	    strstr(err, "maximum 9") != NULL,
	    "rank above the maximum: %s", err ? err : "(accepted)");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	/* the defaults apply to every layer: rank 12 is too much for conv1 */
	parse_str(&p, HEAD "\"defaults\": {\"rank\": 12}}", NULL);
	rc = wh_plan_resolve(&p, g, NULL, 0, cfgs, &warn, &err);
	ok(rc == -1 && err != NULL && strstr(err, "/0/Conv") != NULL &&
	    strstr(err, "maximum 9") != NULL,
	    "defaults checked against every layer: %s", err ? err : "(accepted)");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	/* spatial on a Gemm */
	parse_str(&p, HEAD "\"layers\": {\"/9/Gemm\": {\"rank\": 4, "
	    "\"spatial\": true}}}", NULL);
	rc = wh_plan_resolve(&p, g, NULL, 0, cfgs, &warn, &err);
	ok(rc == -1 && err != NULL && strstr(err, "/9/Gemm") != NULL &&
	    strstr(err, "spatial") != NULL,
	    "spatial on a Gemm: %s", err ? err : "(accepted)");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	/* spatial rank maximum on a Conv: /3/Conv is (32*3, 16*3) = 48 */
	parse_str(&p, HEAD "\"layers\": {\"/3/Conv\": {\"rank\": 48, "
	    "\"spatial\": true}}}", NULL);
	rc = wh_plan_resolve(&p, g, NULL, 0, cfgs, &warn, &err);
	ok(rc == 0, "spatial rank 48 on /3/Conv resolves%s%s", err ? ": " : "",
	    err ? err : "");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	/* a plan made in memory has no path: messages say "plan" */
	wh_plan_init(&p);
	want = cfg_int(8, 1, 1, WH_CLIP_MINMAX);
	wh_plan_set_layer(&p, "nope", &want);
	rc = wh_plan_resolve(&p, g, NULL, 0, cfgs, NULL, &err);
	ok(rc == -1 && err != NULL && strncmp(err, "plan: layer 'nope'", 18) == 0,
	    "a plan without a path: %s", err ? err : "(accepted)");
	free(err);
	wh_plan_release(&p);

	wh_graph_free(g);
	wh_model_free(m);
	free(path);
}

/* ---- fuzz ---------------------------------------------------------------------- */

/* Parses and, when it parsed, writes and parses again: no crash, no leak. */
static int
fuzz_one(const char *text, size_t len, int *parsed)
{
	struct wh_plan p, q;
	char *err = NULL, *json;
	int rc = wh_plan_parse(&p, "plan.json", text, len, &err);

	if (rc == -1) {
		int good = err != NULL && strchr(err, '\n') == NULL;

		free(err);
		wh_plan_release(&p);
		return good;
	}
	(*parsed)++;
	json = wh_plan_to_json(&p);
	rc = parse_str(&q, json, &err);
	free(json);
	free(err);
	wh_plan_release(&q);
	wh_plan_release(&p);
	return rc == 0;
}

static void
test_fuzz(void)
{
	struct wh_plan p;
	char *json, *m;
	size_t len, i;
	uint32_t seed = 2463534242u;
	int good = 1, parsed = 0, k, j;

	full_plan(&p);
	json = wh_plan_to_json(&p);
	wh_plan_release(&p);
	len = strlen(json);

	for (i = 0; i < len; i++) {
		m = xmalloc(i ? i : 1);	/* exactly i bytes, no NUL */
		memcpy(m, json, i);
		if (!fuzz_one(m, i, &parsed))
			good = 0;
		free(m);
	}
	/* only the one without the final newline parses */
	ok(good && parsed == 1, "every truncation of a valid plan (%zu) fails "
	    "cleanly with one line, but the one without the last newline",
	    len);

	good = 1;
	parsed = 0;
	for (k = 0; k < 2000; k++) {
		m = xstrdup(json);
		for (j = 0; j < 1 + k % 4; j++) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			switch (seed % 4) {
			case 0:	/* a random byte */
				m[(seed >> 8) % len] = (char)(seed >> 24);
				break;
			case 1:	/* a digit */
				m[(seed >> 8) % len] = (char)('0' + (seed >> 24) % 10);
				break;
			case 2:	/* JSON punctuation */
				m[(seed >> 8) % len] = "{}[]:,\"-.e0 \\"[(seed >> 24) % 13];
				break;
			default:	/* a letter that may turn a key into another */
				m[(seed >> 8) % len] = (char)('a' + (seed >> 24) % 26);
				break;
			}
		}
		if (!fuzz_one(m, len, &parsed))
			good = 0;
		free(m);
	}
	ok(good, "2000 random mutations parse or fail cleanly (%d parsed, and "
	    "their plans write and read back)", parsed);
	free(json);
}

/*
 * 100,000 layers: the repeated name at the end is found, the rest parse in
 * order.  (Comparing each name with every one before it, as the parser
 * once did, takes minutes here.)
 */
static void
test_many_layers(void)
{
	const int n = 100000;
	struct wh_plan p;
	char *json, *err = NULL, *w;
	size_t cap = (size_t)n * 40 + 256;
	int i, rc, good;

	json = xmalloc(cap);
	w = json + sprintf(json, HEAD "\"layers\": {");
	for (i = 0; i < n; i++)
		w += sprintf(w, "%s\"/block%d/Conv\": {\"bits\": %d}",
		    i ? ", " : "", i, 2 + i % 7);
	strcpy(w, ", \"/block31337/Conv\": {}}}");
	rc = parse_str(&p, json, &err);
	ok(rc == -1 && err != NULL &&
	    strstr(err, "layers.\"/block31337/Conv\" appears twice") != NULL,
	    "a name repeated after %d layers: %s", n, err ? err : "(accepted)");
	free(err);
	err = NULL;
	wh_plan_release(&p);

	strcpy(w, "}}");
	rc = parse_str(&p, json, &err);
	good = rc == 0 && p.nlayers == n;
	for (i = 0; good && i < n; i += 997) {
		char name[32];

		snprintf(name, sizeof name, "/block%d/Conv", i);
		good = strcmp(p.layers[i].name, name) == 0 &&
		    p.layers[i].cfg.bits == 2 + i % 7;
	}
	ok(good, "%d distinct layers parse, in order (%s)", n,
	    err ? err : "no error");
	free(err);

	/* settings for a layer of the parsed plan replace its entry; a new
	 * name is appended (both found through the table of names) */
	{
		struct wh_layer_cfg c = cfg_int(8, 1, 1, WH_CLIP_MINMAX);

		wh_plan_set_layer(&p, "/block77777/Conv", &c);
		wh_plan_set_layer(&p, "/head/Gemm", &c);
		ok(p.nlayers == n + 1 && p.layers[77777].cfg.bits == 8 &&
		    strcmp(p.layers[n].name, "/head/Gemm") == 0,
		    "set_layer on the parsed plan replaces and appends (%d)",
		    p.nlayers);
	}
	wh_plan_release(&p);
	free(json);

	/* a plan made layer by layer, as the commands and the workbench do */
	wh_plan_init(&p);
	for (i = 0; i < n; i++) {
		struct wh_layer_cfg c = cfg_int(2 + i % 7, 1, 1, WH_CLIP_MINMAX);
		char name[32];

		snprintf(name, sizeof name, "/block%d/Conv", i);
		wh_plan_set_layer(&p, name, &c);
	}
	for (i = 0; i < n; i += 3) {
		struct wh_layer_cfg c = cfg_off();
		char name[32];

		snprintf(name, sizeof name, "/block%d/Conv", i);
		wh_plan_set_layer(&p, name, &c);
	}
	good = p.nlayers == n;
	for (i = 0; good && i < n; i++)
		good = p.layers[i].cfg.qtype == (i % 3 ? WH_Q_INT : WH_Q_NONE);
	ok(good, "%d layers set one by one, a third of them set again (%d)",
	    n, p.nlayers);
	wh_plan_release(&p);
}

/* A plan of 10 MiB names: every message quotes them cut short. */
static void
test_huge_names(void)
{
	size_t n = (size_t)10 << 20;
	char *name = xmalloc(n + 1), *json, *err = NULL, *warn = NULL;
	char *path = fx_model("fashion-cnn"), want[64];
	struct wh_model *m;
	struct wh_graph *g = NULL;
	struct wh_layer_cfg cfgs[8];
	struct wh_plan p;
	int rc;

	memset(name, 'n', n);
	name[n] = '\0';
	snprintf(want, sizeof want, "...\" (%zu bytes)", n);

	json = xasprintf(HEAD "\"layers\": {\"%s\": {\"bits\": 3.5}}}", name);
	rc = parse_str(&p, json, &err);
	ok(rc == -1 && err != NULL && strlen(err) < 200 &&
	    strstr(err, want) != NULL && strstr(err, ".bits is 3.5") != NULL,
	    "a bad value in a layer of a 10 MiB name: %s", err ? err : "?");
	free(json);
	free(err);
	err = NULL;

	json = xasprintf(HEAD "\"defaults\": {\"%s\": 1}}", name);
	rc = parse_str(&p, json, &err);
	ok(rc == -1 && err != NULL && strlen(err) < 200 &&
	    strstr(err, "unknown key defaults.\"nnn") != NULL &&
	    strstr(err, want) != NULL, "an unknown key of 10 MiB: %s",
	    err ? err : "?");
	free(json);
	free(err);
	err = NULL;

	json = xasprintf(HEAD "\"model\": {\"sha256\": \"%s\"}}", name);
	rc = parse_str(&p, json, &err);
	ok(rc == -1 && err != NULL && strlen(err) < 200 &&
	    strstr(err, "model.sha256 is \"nnn") != NULL &&
	    strstr(err, want) != NULL, "a 10 MiB value: %s", err ? err : "?");
	free(json);
	free(err);
	err = NULL;

	m = wh_model_load(path, &err);
	if (m != NULL)
		g = wh_graph_new(m, &err);
	json = xasprintf(HEAD "\"layers\": {\"%s\": {\"bits\": 4}}}", name);
	rc = parse_str(&p, json, &err);
	ok(rc == 0 && g != NULL, "a plan naming a 10 MiB layer parses (%s)",
	    err ? err : "no error");
	free(err);
	err = NULL;
	if (rc == 0 && g != NULL) {
		rc = wh_plan_resolve(&p, g, NULL, 0, cfgs, &warn, &err);
		snprintf(want, sizeof want, "...' (%zu bytes) is not in", n);
		ok(rc == -1 && err != NULL && strlen(err) < 200 &&
		    strstr(err, "layer 'nnnn") != NULL && strstr(err, want) != NULL,
		    "resolving it: %s", err ? err : "?");
		free(err);
		wh_plan_release(&p);
	}
	free(json);
	wh_graph_free(g);
	wh_model_free(m);
	free(path);
	free(name);
}

int
main(void)
{
	setlocale(LC_ALL, "C");
	test_round_trip();
	test_float_exact();
	test_text();
	test_locale();
	test_save();
	test_errors();
	test_many_layers();
	test_overlay();
	test_resolve();
	test_huge_names();
	test_fuzz();
	return tap_done();
}
