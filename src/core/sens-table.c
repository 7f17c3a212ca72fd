/* sens-table.c - the sensitivity table as JSON, its cache file and the
 * merging of partial tables */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "whittle/sensitivity.h"
#include "whittle/util.h"

#define TABLE_VERSION 1
/* A table file is small: cells of a few hundred bytes. */
#define TABLE_MAX_BYTES ((size_t)256 << 20)
#define TABLE_MAX_CELLS 10000000

static const char *const status_names[] = { "todo", "done", "early",
	"skipped" };

static void
add_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddNumberToObject(o, k, (double)v);
}

char *
wh_sens_to_json(const struct wh_sens_table *t)
{
	cJSON *root = cJSON_CreateObject(), *a, *o;
	char *txt;
	int i, s;

	cJSON_AddNumberToObject(root, "version", TABLE_VERSION);
	cJSON_AddStringToObject(root, "model_sha256", t->model_sha256);
	cJSON_AddStringToObject(root, "data_sha256", t->data_sha256);
	add_u64(root, "samples", t->samples);
	add_u64(root, "base_correct", t->base_correct);
	cJSON_AddNumberToObject(root, "passes", t->passes);
	a = cJSON_AddArrayToObject(root, "settings");
	for (s = 0; s < t->nsettings; s++)
		cJSON_AddItemToArray(a, cJSON_CreateString(t->settings[s].name));
	a = cJSON_AddArrayToObject(root, "layers");
	for (i = 0; i < t->nlayers; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", t->layers[i]);
		add_u64(o, "bytes", t->layer_bytes[i]);
		add_u64(o, "macs", t->layer_macs[i]);
		cJSON_AddItemToArray(a, o);
	}
	a = cJSON_AddArrayToObject(root, "cells");
	for (i = 0; i < t->nlayers; i++)
		for (s = 0; s < t->nsettings; s++) {
			const struct wh_sens_cell *c =
			    &t->cells[(size_t)i * t->nsettings + s];

			if (c->status == WH_SENS_TODO)
				continue;
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "layer", t->layers[i]);
			cJSON_AddStringToObject(o, "setting",
			    t->settings[s].name);
			cJSON_AddStringToObject(o, "status",
			    status_names[c->status]);
			if (c->status == WH_SENS_SKIPPED) {
				cJSON_AddStringToObject(o, "reason", c->reason);
				cJSON_AddItemToArray(a, o);
				continue;
			}
			add_u64(o, "samples", c->samples);
			add_u64(o, "correct", c->correct);
			add_u64(o, "base_correct", c->base_correct);
			add_u64(o, "flips", c->flips);
			add_u64(o, "loss", c->loss);
			add_u64(o, "gain", c->gain);
			cJSON_AddNumberToObject(o, "drop", c->drop);
			cJSON_AddNumberToObject(o, "drop_lo", c->drop_lo);
			cJSON_AddNumberToObject(o, "drop_hi", c->drop_hi);
			cJSON_AddNumberToObject(o, "kl", c->kl);
			add_u64(o, "bytes", c->bytes);
			add_u64(o, "macs", c->macs);
			cJSON_AddNumberToObject(o, "passes", c->passes);
			cJSON_AddItemToArray(a, o);
		}
	txt = cJSON_Print(root);
	cJSON_Delete(root);
	if (txt == NULL)
		wh_fatal("out of memory");
	{
		char *withnl = xasprintf("%s\n", txt);

		cJSON_free(txt);
		return withnl;
	}
}

static int
get_u64(const cJSON *o, const char *k, uint64_t *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) ||
	    it->valuedouble > 9.007199254740992e15)
		return -1;
	*v = (uint64_t)it->valuedouble;
	return 0;
}

static int
get_num(const cJSON *o, const char *k, double *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(it))
		return -1;
	*v = it->valuedouble;
	return 0;
}

static const char *
get_str(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int
hex64(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

static int
parse_cell(struct wh_sens_table *t, const char *path, const cJSON *o, int n,
    char **err)
{
	const char *ln = get_str(o, "layer"), *sn = get_str(o, "setting"),
	    *st = get_str(o, "status"), *why;
	struct wh_sens_cell *c;
	int li, si, k;

	if (ln == NULL || sn == NULL || st == NULL)
		return wh_error(err, "%s: cell %d lacks its layer, setting or "
		    "status", path, n);
	if ((li = wh_sens_layer_index(t, ln)) < 0 ||
	    (si = wh_sens_setting_index(t, sn)) < 0)
		return wh_error(err, "%s: cell %d names a layer or setting the "
		    "table does not list", path, n);
	c = wh_sens_cell(t, li, si);
	if (c->status != WH_SENS_TODO)
		return wh_error(err, "%s: cell %d repeats layer '%.60s' with "
		    "setting '%s'", path, n, ln, sn);
	for (k = 1; k < 4 && strcmp(status_names[k], st) != 0; k++)
		;
	if (k == 4)
		return wh_error(err, "%s: cell %d has status '%.20s'", path, n,
		    st);
	c->status = k;
	if (k == WH_SENS_SKIPPED) {
		why = get_str(o, "reason");
		snprintf(c->reason, sizeof c->reason, "%s", why ? why : "");
		return 0;
	}
	if (get_u64(o, "samples", &c->samples) || get_u64(o, "correct",
	    &c->correct) || get_u64(o, "base_correct", &c->base_correct) ||
	    get_u64(o, "flips", &c->flips) || get_u64(o, "loss", &c->loss) ||
	    get_u64(o, "gain", &c->gain) || get_num(o, "drop", &c->drop) ||
	    get_num(o, "drop_lo", &c->drop_lo) || get_num(o, "drop_hi",
	    &c->drop_hi) || get_num(o, "kl", &c->kl) || get_u64(o, "bytes",
	    &c->bytes) || get_u64(o, "macs", &c->macs) || get_num(o,
	    "passes", &c->passes))
		return wh_error(err, "%s: cell %d lacks a number or has one out "
		    "of range", path, n);
	if (c->samples == 0 || c->samples > t->samples ||
	    c->correct > c->samples || c->base_correct > c->samples ||
	    c->flips > c->samples || c->loss + c->gain > c->flips)
		return wh_error(err, "%s: cell %d counts more samples than the "
		    "set has", path, n);
	return 0;
}

int
wh_sens_parse(struct wh_sens_table *t, const char *path, const char *json,
    size_t len, char **err)
{
	cJSON *root, *a, *it;
	const char *ms, *ds;
	double ver;
	int i, n, r = -1;

	memset(t, 0, sizeof *t);
	if (path == NULL)
		path = "(table)";
	if (len == 0)
		return wh_error(err, "%s: the file is empty", path);
	if ((root = cJSON_ParseWithLength(json, len)) == NULL)
		return wh_error(err, "%s: not valid JSON", path);
	if (!cJSON_IsObject(root) || get_num(root, "version", &ver) ||
	    ver != TABLE_VERSION) {
		wh_error(err, "%s: not a sensitivity table of version %d", path,
		    TABLE_VERSION);
		goto out;
	}
	ms = get_str(root, "model_sha256");
	ds = get_str(root, "data_sha256");
	if (!hex64(ms) || !hex64(ds)) {
		wh_error(err, "%s: model_sha256 and data_sha256 must be 64 hex "
		    "digits", path);
		goto out;
	}
	strcpy(t->model_sha256, ms);
	strcpy(t->data_sha256, ds);
	if (get_u64(root, "samples", &t->samples) || get_u64(root,
	    "base_correct", &t->base_correct) || t->base_correct > t->samples ||
	    get_num(root, "passes", &t->passes)) {
		wh_error(err, "%s: samples, base_correct or passes is missing or "
		    "out of range", path);
		goto out;
	}
	a = cJSON_GetObjectItemCaseSensitive(root, "settings");
	n = cJSON_GetArraySize(a);
	if (!cJSON_IsArray(a) || n < 1 || n > 4096) {
		wh_error(err, "%s: settings must be a list of 1 to 4096 names",
		    path);
		goto out;
	}
	t->settings = xcalloc(n, sizeof *t->settings);
	i = 0;
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it) || wh_sens_setting_parse(it->valuestring,
		    &t->settings[i].cfg, err) != 0) {
			if (!cJSON_IsString(it))
				wh_error(err, "%s: setting %d is not a string",
				    path, i);
			else {
				char *inner = *err;

				*err = NULL;
				wh_error(err, "%s: %s", path, inner);
				free(inner);
			}
			goto out;
		}
		strcpy(t->settings[i].name, it->valuestring);
		if (wh_sens_setting_index(t, it->valuestring) >= 0 &&
		    wh_sens_setting_index(t, it->valuestring) < i) {
			wh_error(err, "%s: setting '%s' is listed twice", path,
			    it->valuestring);
			goto out;
		}
		t->nsettings = ++i;
	}
	a = cJSON_GetObjectItemCaseSensitive(root, "layers");
	n = cJSON_GetArraySize(a);
	if (!cJSON_IsArray(a) || n < 1 ||
	    (size_t)n * t->nsettings > TABLE_MAX_CELLS) {
		wh_error(err, "%s: layers must be a list of at most %d cells' "
		    "worth", path, TABLE_MAX_CELLS);
		goto out;
	}
	t->layers = xcalloc(n, sizeof *t->layers);
	t->layer_bytes = xcalloc(n, sizeof *t->layer_bytes);
	t->layer_macs = xcalloc(n, sizeof *t->layer_macs);
	i = 0;
	cJSON_ArrayForEach(it, a) {
		const char *name = get_str(it, "name");

		if (name == NULL || get_u64(it, "bytes", &t->layer_bytes[i]) ||
		    get_u64(it, "macs", &t->layer_macs[i])) {
			wh_error(err, "%s: layer %d needs a name, bytes and macs",
			    path, i);
			goto out;
		}
		t->layers[i] = xstrdup(name);
		t->nlayers = ++i;
	}
	/* duplicate layer names would make cells ambiguous */
	for (i = 1; i < t->nlayers; i++)
		if (wh_sens_layer_index(t, t->layers[i]) != i) {
			wh_error(err, "%s: layer '%.60s' is listed twice", path,
			    t->layers[i]);
			goto out;
		}
	t->cells = xcalloc((size_t)t->nlayers * t->nsettings + 1,
	    sizeof *t->cells);
	a = cJSON_GetObjectItemCaseSensitive(root, "cells");
	if (!cJSON_IsArray(a)) {
		wh_error(err, "%s: cells must be a list", path);
		goto out;
	}
	i = 0;
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsObject(it) || parse_cell(t, path, it, i, err) != 0) {
			if (!cJSON_IsObject(it))
				wh_error(err, "%s: cell %d is not an object",
				    path, i);
			goto out;
		}
		i++;
	}
	r = 0;
out:
	cJSON_Delete(root);
	if (r != 0)
		wh_sens_table_release(t);
	return r;
}

int
wh_sens_load(struct wh_sens_table *t, const char *path, char **err)
{
	unsigned char *buf;
	size_t len;
	int r;

	memset(t, 0, sizeof *t);
	if (wh_read_file(path, 0, TABLE_MAX_BYTES, &buf, &len, err) != 0)
		return -1;
	r = wh_sens_parse(t, path, (const char *)buf, len, err);
	free(buf);
	return r;
}

static int
mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;
	int r = 0;

	for (s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				r = -1;
			*s = '/';
		}
	free(p);
	return r;
}

int
wh_sens_save(const struct wh_sens_table *t, const char *path, char **err)
{
	char *txt = wh_sens_to_json(t);
	int r;

	if (mkdirs(path) != 0) {
		free(txt);
		return wh_error(err, "%s: cannot create its folder: %s", path,
		    strerror(errno));
	}
	r = wh_write_atomic(path, txt, strlen(txt), err);
	free(txt);
	return r;
}

int
wh_sens_merge(struct wh_sens_table *dst, const struct wh_sens_table *src,
    char **err)
{
	int i, s, li, si, n = 0;

	if (strcmp(dst->model_sha256, src->model_sha256) != 0 ||
	    strcmp(dst->data_sha256, src->data_sha256) != 0)
		return wh_error(err, "the tables are of different models or "
		    "data (model %.12s vs %.12s, data %.12s vs %.12s)",
		    dst->model_sha256, src->model_sha256, dst->data_sha256,
		    src->data_sha256);
	if (dst->samples == 0) {
		dst->samples = src->samples;
		dst->base_correct = src->base_correct;
	} else if (src->samples != dst->samples ||
	    src->base_correct != dst->base_correct)
		return wh_error(err, "the tables measured different baselines "
		    "(%llu of %llu correct vs %llu of %llu)",
		    (unsigned long long)dst->base_correct,
		    (unsigned long long)dst->samples,
		    (unsigned long long)src->base_correct,
		    (unsigned long long)src->samples);
	for (i = 0; i < src->nlayers; i++) {
		if ((li = wh_sens_layer_index(dst, src->layers[i])) < 0)
			continue;
		for (s = 0; s < src->nsettings; s++) {
			const struct wh_sens_cell *c =
			    &src->cells[(size_t)i * src->nsettings + s];
			struct wh_sens_cell *d;

			if (c->status == WH_SENS_TODO || (si =
			    wh_sens_setting_index(dst, src->settings[s].name)) < 0)
				continue;
			d = wh_sens_cell(dst, li, si);
			if (d->status != WH_SENS_TODO)
				continue;
			*d = *c;
			n++;
		}
	}
	dst->passes += src->passes;
	return n;
}

char *
wh_sens_cache_path(const char *model_sha256, const char *data_sha256)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (x != NULL && x[0] == '/')
		return xasprintf("%s/whittle/sensitivity/%.64s-%.64s.json", x,
		    model_sha256, data_sha256);
	if (h != NULL && h[0] != '\0')
		return xasprintf("%s/.cache/whittle/sensitivity/%.64s-%.64s.json",
		    h, model_sha256, data_sha256);
	return NULL;
}

int
wh_sens_cache_read(struct wh_sens_table *t, const char *model_path,
    const struct wh_dataset *d, int two_part, int nocache, char **cache,
    char **warn, char **err)
{
	struct wh_sens_table part;
	char *why = NULL;
	int i, n;

	*cache = NULL;
	*warn = NULL;
	if (wh_sha256_file(model_path, t->model_sha256, err) != 0 ||
	    wh_sens_dataset_key(d, t->data_sha256, err) != 0)
		return -1;
	if (nocache || (*cache = wh_sens_cache_path(t->model_sha256,
	    t->data_sha256)) == NULL || access(*cache, F_OK) != 0)
		return 0;
	if (wh_sens_load(&part, *cache, &why) != 0) {
		*warn = xasprintf("ignoring the sensitivity cache: %s", why);
		free(why);
		return 0;
	}
	if (two_part)
		for (i = 0; i < part.nsettings; i++)
			if (strchr(part.settings[i].name, '+') != NULL)
				wh_sens_add_setting(t, part.settings[i].name,
				    NULL);
	/* the keys match by construction: only damage makes this fail */
	n = wh_sens_merge(t, &part, &why);
	wh_sens_table_release(&part);
	if (n < 0) {
		*warn = xasprintf("ignoring the sensitivity cache: %s", why);
		free(why);
		return 0;
	}
	return n;
}

void
wh_sens_data_key(const char *images_sha256, const char *labels_sha256,
    char out[65])
{
	char buf[130];

	snprintf(buf, sizeof buf, "%s\n%s", images_sha256, labels_sha256);
	wh_sha256_hex(buf, strlen(buf), out);
}

int
wh_sens_dataset_key(const struct wh_dataset *d, char out[65], char **err)
{
	char im[65], lb[65];
	size_t i, len = 0, cap = 4096;
	char *buf;

	if (d->files == NULL) {
		if (wh_sha256_file(d->images_path, im, err) != 0 ||
		    wh_sha256_file(d->labels_path, lb, err) != 0)
			return -1;
		wh_sens_data_key(im, lb, out);
		return 0;
	}
	buf = xmalloc(cap);
	for (i = 0; i < d->n; i++) {
		struct stat st;
		int need;

		if (stat(d->files[i], &st) != 0) {
			free(buf);
			return wh_error(err, "%s: %s", d->files[i],
			    strerror(errno));
		}
		for (;;) {
			need = snprintf(buf + len, cap - len, "%s\t%lld\t%lld\t%d\n",
			    d->files[i], (long long)st.st_size,
			    (long long)st.st_mtime, (int)d->labels[i]);
			if (need >= 0 && (size_t)need < cap - len)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		len += (size_t)need;
	}
	wh_sha256_hex(buf, len, out);
	free(buf);
	return 0;
}
