/* plan.c - the plan file: parsing and checking it, writing it, resolving it */
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "graph-int.h"
#include "whittle/plan.h"
#include "whittle/util.h"

/* The largest plan file read (a plan of 100k layers is about 10 MiB). */
#define PLAN_MAX_BYTES ((size_t)64 << 20)

/* Values quoted in messages are cut after this many bytes. */
#define VALUE_MAX 60

/*
 * The settings keys, in the order they are written.  A layer entry
 * overlays the defaults key by key; a zero ("rank": 0, "bits": 0,
 * "act_bits": 0, any pruning amount 0) or "nm": "off" switches its
 * transform off.  A sub-key (spatial, channel_norm, float16, symmetric,
 * granularity, clip, act_calibration, act_percentile) is only allowed
 * where its transform is on once the overlay is done.
 */
enum {
	K_RANK, K_ENERGY, K_SPATIAL,
	K_SPARSITY, K_THRESHOLD, K_CHANNEL_SPARSITY, K_CHANNEL_NORM, K_NM,
	K_BITS, K_FLOAT16, K_SYMMETRIC, K_GRANULARITY, K_CLIP,
	K_ACT_BITS, K_ACT_CALIBRATION, K_ACT_PERCENTILE,
	NSETKEYS
};
static const char *const set_keys[NSETKEYS] = {
	"rank", "energy", "spatial",
	"sparsity", "threshold", "channel_sparsity", "channel_norm", "nm",
	"bits", "float16", "symmetric", "granularity", "clip",
	"act_bits", "act_calibration", "act_percentile"
};

enum { T_VERSION, T_MODEL, T_DATA, T_DEFAULTS, T_LAYERS, T_RESULT, T_SEARCH,
	NTOPKEYS };
static const char *const top_keys[NTOPKEYS] = {
	"whittle_plan", "model", "data", "defaults", "layers", "result",
	"search"
};

enum { X_MAX_DROP, X_OBJECTIVE, X_TARGET_RATIO, X_METHODS, X_TABLE_SHA256,
	X_EVALUATIONS, X_BACKOFFS, X_PASSES, NSEARCHKEYS };
static const char *const search_keys[NSEARCHKEYS] = {
	"max_drop", "objective", "target_ratio", "methods", "table_sha256",
	"evaluations", "backoffs", "passes"
};

enum { M_PATH, M_SHA256, NMODELKEYS };
static const char *const model_keys[NMODELKEYS] = { "path", "sha256" };

enum { D_IMAGES, D_IMAGES_SHA256, D_LABELS, D_LABELS_SHA256, NDATAKEYS };
static const char *const data_keys[NDATAKEYS] = {
	"images", "images_sha256", "labels", "labels_sha256"
};

enum {
	R_SAMPLES, R_BASELINE_ACCURACY, R_ACCURACY, R_ACCURACY_CHANGE,
	R_PRECISION_MACRO, R_RECALL_MACRO, R_F1_MACRO, R_ORIGINAL_BYTES,
	R_BYTES, R_COMPRESSION_RATIO, R_MACS, R_MACS_SPARSE, R_DATE,
	R_WHITTLE_VERSION, NRESULTKEYS
};
static const char *const result_keys[NRESULTKEYS] = {
	"samples", "baseline_accuracy", "accuracy", "accuracy_change",
	"precision_macro", "recall_macro", "f1_macro", "original_bytes",
	"bytes", "compression_ratio", "macs", "macs_sparse", "date",
	"whittle_version"
};

/* ---- the plan in memory -------------------------------------------------- */

void
wh_plan_init(struct wh_plan *p)
{
	memset(p, 0, sizeof *p);
	wh_layer_cfg_init(&p->defaults);
}

void
wh_plan_release(struct wh_plan *p)
{
	int i;

	free(p->path);
	free(p->model_path);
	free(p->images);
	free(p->labels);
	for (i = 0; i < p->nlayers; i++)
		free(p->layers[i].name);
	free(p->layers);
	free(p->index);
	wh_plan_init(p);
}

/* FNV-1a, for the table of layer names. */
static uint64_t
name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * The slot of name in p's table of layer names: the one holding its
 * index, or the free one where it would go.  The table (open addressing,
 * a power of two at least twice the layers) is brought up to date first,
 * so that finding a layer by name costs one probe sequence, not a pass
 * over every layer.
 */
static size_t
index_slot(struct wh_plan *p, const char *name)
{
	size_t h, mask;
	int i;

	if (p->index == NULL || (size_t)p->nlayers * 2 > p->index_size) {
		size_t size = 16;

		while (size < (size_t)p->nlayers * 4)
			size *= 2;
		free(p->index);
		p->index = xreallocarray(NULL, size, sizeof *p->index);
		p->index_size = size;
		for (h = 0; h < size; h++)
			p->index[h] = -1;
		p->nindexed = 0;
	}
	mask = p->index_size - 1;
	for (i = p->nindexed; i < p->nlayers; i++) {
		for (h = name_hash(p->layers[i].name) & mask; p->index[h] != -1;
		    h = (h + 1) & mask)
			;
		p->index[h] = i;
	}
	p->nindexed = p->nlayers;
	for (h = name_hash(name) & mask; p->index[h] != -1; h = (h + 1) & mask)
		if (strcmp(p->layers[p->index[h]].name, name) == 0)
			break;
	return h;
}

/* Appends a layer (name copied) that index_slot() did not find at slot. */
static void
add_layer(struct wh_plan *p, size_t slot, const char *name,
    const struct wh_layer_cfg *cfg)
{
	if (p->nlayers >= p->cap) {
		if (p->nlayers > INT_MAX / 2)
			wh_fatal("a plan of more than %d layers", p->nlayers);
		p->cap = p->nlayers < 8 ? 16 : p->nlayers * 2;
		p->layers = xreallocarray(p->layers, (size_t)p->cap,
		    sizeof *p->layers);
	}
	p->layers[p->nlayers].name = xstrdup(name);
	p->layers[p->nlayers].cfg = *cfg;
	if (p->nindexed == p->nlayers) {
		p->index[slot] = p->nlayers;
		p->nindexed++;
	}
	p->nlayers++;
}

void
wh_plan_set_layer(struct wh_plan *p, const char *name,
    const struct wh_layer_cfg *cfg)
{
	size_t slot = index_slot(p, name);

	if (p->index[slot] != -1)
		p->layers[p->index[slot]].cfg = *cfg;
	else
		add_layer(p, slot, name, cfg);
}

/*
 * The canonical form of settings: fields that the chosen modes do not use
 * hold wh_layer_cfg_init's values, a pruning amount of 0 is no pruning and
 * unknown modes are off.  The parser stores canonical settings, and the
 * writer compares them, so that a plan reads back equal to what was
 * written.
 */
static void
canon(const struct wh_layer_cfg *in, struct wh_layer_cfg *c)
{
	struct wh_layer_cfg d;

	wh_layer_cfg_init(&d);
	*c = *in;
	if (c->lr_mode != WH_LR_RANK && c->lr_mode != WH_LR_ENERGY) {
		c->lr_mode = WH_LR_NONE;
		c->spatial = d.spatial;
	}
	if (c->lr_mode != WH_LR_RANK)
		c->rank = d.rank;
	if (c->lr_mode != WH_LR_ENERGY)
		c->energy = d.energy;

	if ((c->prune_mode == WH_PRUNE_THRESHOLD && c->threshold == 0) ||
	    ((c->prune_mode == WH_PRUNE_SPARSITY ||
	    c->prune_mode == WH_PRUNE_CHANNEL) && c->sparsity == 0) ||
	    (c->prune_mode != WH_PRUNE_THRESHOLD &&
	    c->prune_mode != WH_PRUNE_SPARSITY &&
	    c->prune_mode != WH_PRUNE_CHANNEL))
		c->prune_mode = WH_PRUNE_NONE;
	if (c->prune_mode != WH_PRUNE_THRESHOLD)
		c->threshold = d.threshold;
	if (c->prune_mode != WH_PRUNE_SPARSITY &&
	    c->prune_mode != WH_PRUNE_CHANNEL)
		c->sparsity = d.sparsity;
	if (c->prune_mode != WH_PRUNE_CHANNEL)
		c->channel_norm = d.channel_norm;
	if (c->nm_n == 0 || c->nm_m == 0)
		c->nm_n = c->nm_m = 0;

	if (c->qtype != WH_Q_INT && c->qtype != WH_Q_FP16 &&
	    c->qtype != WH_Q_BF16)
		c->qtype = WH_Q_NONE;
	if (c->qtype != WH_Q_INT) {
		c->bits = d.bits;
		c->symmetric = d.symmetric;
		c->per_channel = d.per_channel;
		c->clip = d.clip;
	}

	if (c->act_bits == 0) {
		c->act_calib = d.act_calib;
		c->act_percentile = d.act_percentile;
	} else if (c->act_calib != WH_ACT_PERCENTILE)
		c->act_percentile = d.act_percentile;
}

/* Per transform, whether two canonical settings agree. */
static int
same_lowrank(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b)
{
	return a->lr_mode == b->lr_mode && a->rank == b->rank &&
	    a->energy == b->energy && a->spatial == b->spatial;
}

static int
same_prune(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b)
{
	return a->prune_mode == b->prune_mode &&
	    a->threshold == b->threshold && a->sparsity == b->sparsity &&
	    a->channel_norm == b->channel_norm;
}

static int
same_nm(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b)
{
	return a->nm_n == b->nm_n && a->nm_m == b->nm_m;
}

static int
same_quant(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b)
{
	return a->qtype == b->qtype && a->bits == b->bits &&
	    a->symmetric == b->symmetric && a->per_channel == b->per_channel &&
	    a->clip == b->clip;
}

static int
same_act(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b)
{
	return a->act_bits == b->act_bits && a->act_calib == b->act_calib &&
	    a->act_percentile == b->act_percentile;
}

/* ---- numbers, whatever the locale ---------------------------------------- */

/* JSON wants '.' as the decimal point: numbers go through the C locale. */
struct cloc {
	locale_t c, old;
};

static void
cloc_push(struct cloc *l)
{
	l->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	l->old = l->c != (locale_t)0 ? uselocale(l->c) : (locale_t)0;
}

static void
cloc_pop(struct cloc *l)
{
	if (l->c != (locale_t)0) {
		uselocale(l->old);
		freelocale(l->c);
	}
}

/*
 * The shortest text that reads back (through a double, as cJSON reads it)
 * as exactly d, or as exactly the float d when is_float: the fewest
 * significant digits, written without an exponent unless it is very large
 * or small.  0.5 and 50, not 0.500000000 and 5e+01.
 */
static void
fmt_num(char *buf, size_t size, double d, int is_float)
{
	char e[40], *x;
	int prec, maxp = is_float ? 9 : 17, exp10;

	for (prec = 1; prec < maxp; prec++) {
		snprintf(e, sizeof e, "%.*e", prec - 1, d);
		if (is_float ? (float)strtod(e, NULL) == (float)d :
		    strtod(e, NULL) == d)
			break;
	}
	snprintf(e, sizeof e, "%.*e", prec - 1, d);
	if (!isfinite(d) || (x = strchr(e, 'e')) == NULL) {
		snprintf(buf, size, "%s", e);
		return;
	}
	exp10 = atoi(x + 1);
	if (exp10 >= -5 && exp10 < 16) {
		snprintf(buf, size, "%.*f",
		    prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, d);
		if (is_float ? (float)strtod(buf, NULL) == (float)d :
		    strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, size, "%.*g", prec, d);
}

static void
fmt_float(char *buf, size_t size, float f)
{
	fmt_num(buf, size, (double)f, 1);
}

static void
fmt_double(char *buf, size_t size, double d)
{
	fmt_num(buf, size, d, 0);
}

/* d as a float, or -1 when it is outside float's range or NaN. */
static int
to_float(double d, float *f)
{
	if (!(fabs(d) <= FLT_MAX))
		return -1;
	*f = (float)d;
	return 0;
}

/* ---- writing --------------------------------------------------------------- */

/* A growing string with the nesting state of the object being written. */
struct out {
	char *s;
	size_t len, cap;
	int depth;
	int items[8];		/* members written so far, per depth */
};

static void
out_put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n + 1 > o->cap) {
		while (o->len + n + 1 > o->cap)
			o->cap = o->cap ? o->cap * 2 : 1024;
		o->s = xrealloc(o->s, o->cap);
	}
	memcpy(o->s + o->len, s, n + 1);
	o->len += n;
}

/* s as a JSON string, quotes and escapes included; a new string. */
static char *
quote(const char *s)
{
	cJSON *it;
	char *q, *r;

	if ((it = cJSON_CreateString(s)) == NULL ||
	    (q = cJSON_PrintUnformatted(it)) == NULL)
		wh_fatal("out of memory");
	cJSON_Delete(it);
	r = xstrdup(q);
	cJSON_free(q);
	return r;
}

static void
out_indent(struct out *o, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		out_put(o, "  ");
}

/* Starts a member of the current object: separator, indent, "key": */
static void
out_key(struct out *o, const char *key)
{
	char *q;

	out_put(o, o->items[o->depth]++ ? ",\n" : "\n");
	out_indent(o, o->depth);
	q = quote(key);
	out_put(o, q);
	out_put(o, ": ");
	free(q);
}

static void
out_open(struct out *o, const char *key)
{
	if (key != NULL)
		out_key(o, key);
	out_put(o, "{");
	o->depth++;
	o->items[o->depth] = 0;
}

static void
out_close(struct out *o)
{
	if (o->items[o->depth] > 0) {
		out_put(o, "\n");
		out_indent(o, o->depth - 1);
	}
	out_put(o, "}");
	o->depth--;
}

static void
out_raw(struct out *o, const char *key, const char *text)
{
	out_key(o, key);
	out_put(o, text);
}

static void
out_str(struct out *o, const char *key, const char *s)
{
	char *q = quote(s);

	out_raw(o, key, q);
	free(q);
}

static void
out_int(struct out *o, const char *key, long long v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", v);
	out_raw(o, key, buf);
}

static void
out_u64(struct out *o, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRIu64, v);
	out_raw(o, key, buf);
}

/* Not finite (which no plan can hold) is written as 0. */
static void
out_float(struct out *o, const char *key, float f)
{
	char buf[40];

	fmt_float(buf, sizeof buf, isfinite(f) ? f : 0);
	out_raw(o, key, buf);
}

static void
out_double(struct out *o, const char *key, double d)
{
	char buf[40];

	fmt_double(buf, sizeof buf, isfinite(d) ? d : 0);
	out_raw(o, key, buf);
}

static void
out_bool(struct out *o, const char *key, int b)
{
	out_raw(o, key, b ? "true" : "false");
}

/* The key that turns pruning off: the one base prunes with. */
static const char *
prune_off_key(const struct wh_layer_cfg *base)
{
	switch (base->prune_mode) {
	case WH_PRUNE_THRESHOLD:
		return "threshold";
	case WH_PRUNE_CHANNEL:
		return "channel_sparsity";
	default:
		return "sparsity";
	}
}

/*
 * Writes every transform of c (canonical) that differs from base
 * (canonical): all its keys when it is on, its off key when it is off.
 */
static void
out_settings(struct out *o, const struct wh_layer_cfg *c,
    const struct wh_layer_cfg *base)
{
	char buf[32];

	if (!same_lowrank(c, base)) {
		if (c->lr_mode == WH_LR_NONE)
			out_int(o, "rank", 0);
		else {
			if (c->lr_mode == WH_LR_RANK)
				out_int(o, "rank", c->rank);
			else
				out_float(o, "energy", c->energy);
			out_bool(o, "spatial", c->spatial);
		}
	}
	if (!same_prune(c, base)) {
		switch (c->prune_mode) {
		case WH_PRUNE_NONE:
			out_int(o, prune_off_key(base), 0);
			break;
		case WH_PRUNE_THRESHOLD:
			out_float(o, "threshold", c->threshold);
			break;
		case WH_PRUNE_SPARSITY:
			out_float(o, "sparsity", c->sparsity);
			break;
		case WH_PRUNE_CHANNEL:
			out_float(o, "channel_sparsity", c->sparsity);
			out_str(o, "channel_norm", c->channel_norm == 1 ? "l1" : "l2");
			break;
		}
	}
	if (!same_nm(c, base)) {
		if (c->nm_n == 0)
			out_str(o, "nm", "off");
		else {
			snprintf(buf, sizeof buf, "%d:%d", c->nm_n, c->nm_m);
			out_str(o, "nm", buf);
		}
	}
	if (!same_quant(c, base)) {
		switch (c->qtype) {
		case WH_Q_NONE:
			out_int(o, "bits", 0);
			break;
		case WH_Q_INT:
			out_int(o, "bits", c->bits);
			out_bool(o, "symmetric", c->symmetric);
			out_str(o, "granularity", c->per_channel ? "channel" : "tensor");
			out_str(o, "clip", c->clip == WH_CLIP_MSE ? "mse" : "minmax");
			break;
		case WH_Q_FP16:
		case WH_Q_BF16:
			out_int(o, "bits", 16);
			out_str(o, "float16", c->qtype == WH_Q_BF16 ? "bf16" : "fp16");
			break;
		}
	}
	if (!same_act(c, base)) {
		out_int(o, "act_bits", c->act_bits);
		if (c->act_bits != 0) {
			out_str(o, "act_calibration",
			    c->act_calib == WH_ACT_PERCENTILE ? "percentile" : "minmax");
			if (c->act_calib == WH_ACT_PERCENTILE)
				out_float(o, "act_percentile", c->act_percentile);
		}
	}
}

char *
wh_plan_to_json(const struct wh_plan *p)
{
	const struct wh_plan_result *r = &p->result;
	struct wh_layer_cfg init, defaults, c;
	struct out o;
	struct cloc loc;
	int i;

	memset(&o, 0, sizeof o);
	cloc_push(&loc);
	wh_layer_cfg_init(&c);
	canon(&c, &init);
	canon(&p->defaults, &defaults);

	out_open(&o, NULL);
	out_int(&o, "whittle_plan", WH_PLAN_VERSION);
	if ((p->model_path != NULL && p->model_path[0] != '\0') ||
	    p->model_sha256[0] != '\0') {
		out_open(&o, "model");
		if (p->model_path != NULL && p->model_path[0] != '\0')
			out_str(&o, "path", p->model_path);
		if (p->model_sha256[0] != '\0')
			out_str(&o, "sha256", p->model_sha256);
		out_close(&o);
	}
	if ((p->images != NULL && p->images[0] != '\0') ||
	    p->images_sha256[0] != '\0' ||
	    (p->labels != NULL && p->labels[0] != '\0') ||
	    p->labels_sha256[0] != '\0') {
		out_open(&o, "data");
		if (p->images != NULL && p->images[0] != '\0')
			out_str(&o, "images", p->images);
		if (p->images_sha256[0] != '\0')
			out_str(&o, "images_sha256", p->images_sha256);
		if (p->labels != NULL && p->labels[0] != '\0')
			out_str(&o, "labels", p->labels);
		if (p->labels_sha256[0] != '\0')
			out_str(&o, "labels_sha256", p->labels_sha256);
		out_close(&o);
	}
	out_open(&o, "defaults");
	out_settings(&o, &defaults, &init);
	out_close(&o);
	out_open(&o, "layers");
	for (i = 0; i < p->nlayers; i++) {
		canon(&p->layers[i].cfg, &c);
		if (wh_layer_cfg_equal(&c, &defaults))
			continue;
		out_open(&o, p->layers[i].name);
		out_settings(&o, &c, &defaults);
		out_close(&o);
	}
	out_close(&o);
	if (r->has) {
		out_open(&o, "result");
		out_u64(&o, "samples", r->samples);
		out_double(&o, "baseline_accuracy", r->base_accuracy);
		out_double(&o, "accuracy", r->accuracy);
		/* derived: rounded to 12 decimals so that it reads -0.0067 */
		out_double(&o, "accuracy_change",
		    round((r->accuracy - r->base_accuracy) * 1e12) / 1e12);
		out_double(&o, "precision_macro", r->precision_macro);
		out_double(&o, "recall_macro", r->recall_macro);
		out_double(&o, "f1_macro", r->f1_macro);
		out_u64(&o, "original_bytes", r->original_bytes);
		out_u64(&o, "bytes", r->bytes);
		out_double(&o, "compression_ratio", r->ratio);
		out_u64(&o, "macs", r->macs);
		out_u64(&o, "macs_sparse", r->macs_sparse);
		out_str(&o, "date", r->date);
		out_str(&o, "whittle_version", r->version);
		out_close(&o);
	}
	if (p->search.has) {
		const struct wh_plan_search *q = &p->search;

		out_open(&o, "search");
		out_double(&o, "max_drop", q->max_drop);
		out_str(&o, "objective", q->objective);
		if (q->target_ratio > 0)
			out_double(&o, "target_ratio", q->target_ratio);
		out_str(&o, "methods", q->methods);
		out_str(&o, "table_sha256", q->table_sha256);
		out_u64(&o, "evaluations", q->evaluations);
		out_u64(&o, "backoffs", q->backoffs);
		out_double(&o, "passes", q->passes);
		out_close(&o);
	}
	out_close(&o);
	out_put(&o, "\n");
	cloc_pop(&loc);
	return o.s;
}

int
wh_plan_save(const struct wh_plan *p, const char *path, char **err)
{
	char *json = wh_plan_to_json(p);
	int rc;

	rc = wh_write_atomic(path, json, strlen(json), err);
	free(json);
	return rc;
}

/* ---- parsing --------------------------------------------------------------- */

struct pctx {
	const char *path;	/* the plan, for messages */
	char **err;
	const char *sect;	/* the section being read, for messages */
};

/*
 * s as a JSON string for a message: quote() of at most VALUE_MAX bytes of
 * it; a longer one is cut on a UTF-8 character boundary and given its
 * length, "aaaa..." (10485760 bytes).  A new string.
 */
static char *
quote_cap(const char *s)
{
	size_t n = strlen(s), cut = 0, w = 0, e;
	unsigned char c;
	char *head, *q, *r;

	if (n <= VALUE_MAX)
		return quote(s);
	/* as many bytes as fit VALUE_MAX - 8 once escaped (\" or \u0001) */
	for (;;) {
		c = (unsigned char)s[cut];
		e = c == '"' || c == '\\' ? 2 : c < 0x20 ? 6 : 1;
		if (w + e > VALUE_MAX - 8)
			break;
		w += e;
		cut++;
	}
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	head = xstrndup(s, cut);
	q = quote(head);
	q[strlen(q) - 1] = '\0';	/* the closing quote */
	r = xasprintf("%s...\" (%zu bytes)", q, n);
	free(q);
	free(head);
	return r;
}

/* A key as a component of a key path: bare when an identifier, else quoted. */
static char *
key_component(const char *key)
{
	const char *s;

	if ((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z') ||
	    key[0] == '_') {
		for (s = key; *s != '\0'; s++) {
			if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || *s == '_'))
				break;
		}
		if (*s == '\0' && s - key <= VALUE_MAX)
			return xstrdup(key);
	}
	return quote_cap(key);
}

/* parent.key, or key at the top (parent NULL); a new string. */
static char *
key_path(const char *parent, const char *key)
{
	char *c = key_component(key != NULL ? key : ""), *r;

	if (parent == NULL)
		return c;
	r = xasprintf("%s.%s", parent, c);
	free(c);
	return r;
}

/* A value as a message quotes it, on one line and cut short; a new string. */
static char *
value_text(const cJSON *v)
{
	char buf[40];

	if (cJSON_IsNumber(v)) {
		fmt_double(buf, sizeof buf, v->valuedouble);
		return xstrdup(buf);
	}
	if (cJSON_IsTrue(v))
		return xstrdup("true");
	if (cJSON_IsFalse(v))
		return xstrdup("false");
	if (cJSON_IsNull(v))
		return xstrdup("null");
	if (cJSON_IsObject(v))
		return xstrdup("an object");
	if (cJSON_IsArray(v))
		return xstrdup("an array");
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return xstrdup("?");
	return quote_cap(v->valuestring);
}

/* "<plan>: <kpath> is <value>, <expect>" */
static int
bad(struct pctx *x, const char *kpath, const cJSON *v, const char *expect)
{
	char *vt = value_text(v);

	wh_error(x->err, "%s: %s is %s, %s", x->path, kpath, vt, expect);
	free(vt);
	return -1;
}

/* bad() for the key named key inside the object at parent. */
static int
bad_key(struct pctx *x, const char *parent, const char *key, const cJSON *v,
    const char *expect)
{
	char *kp = key_path(parent, key);

	bad(x, kp, v, expect);
	free(kp);
	return -1;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Edit distance ignoring ASCII case, for suggestions; large for long
 * strings. */
static int
distance(const char *a, const char *b)
{
	int d[33][33], i, j, la = (int)strlen(a), lb = (int)strlen(b), c;

	if (la > 32 || lb > 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			c = d[i - 1][j - 1] +
			    (ascii_lower(a[i - 1]) != ascii_lower(b[j - 1]));
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	}
	return d[la][lb];
}

/*
 * Walks the members of obj (at kpath, NULL for the top): each must be one
 * of keys[], at most once; slot[k] gets the member of keys[k] or NULL.
 */
static int
walk(struct pctx *x, const char *kpath, const cJSON *obj,
    const char *const *keys, int nkeys, const cJSON **slot)
{
	const cJSON *it;
	const char *name, *best;
	char *kp, *hint;
	int k, d, bestd;

	for (k = 0; k < nkeys; k++)
		slot[k] = NULL;
	for (it = obj->child; it != NULL; it = it->next) {
		name = it->string != NULL ? it->string : "";
		for (k = 0; k < nkeys; k++)
			if (strcmp(name, keys[k]) == 0)
				break;
		if (k == nkeys) {
			best = NULL;
			bestd = 3;
			for (k = 0; k < nkeys; k++) {
				d = distance(name, keys[k]);
				/* one edit for short keys, two for long ones */
				if (d < bestd &&
				    d <= (strlen(keys[k]) >= 6 ? 2 : 1)) {
					bestd = d;
					best = keys[k];
				}
			}
			kp = key_path(kpath, name);
			hint = best != NULL ? xasprintf(" (did you mean %s?)", best) :
			    xstrdup("");
			wh_error(x->err, "%s: unknown key %s%s", x->path, kp, hint);
			free(hint);
			free(kp);
			return -1;
		}
		if (slot[k] != NULL) {
			kp = key_path(kpath, name);
			wh_error(x->err, "%s: %s appears twice, expected each key "
			    "once", x->path, kp);
			free(kp);
			return -1;
		}
		slot[k] = it;
	}
	return 0;
}

/* A string member: enum value index among names[], or -1 with a message. */
static int
enum_value(struct pctx *x, const char *kpath, const char *key,
    const cJSON *v, const char *const *names, int n, const char *expect)
{
	int i;

	if (cJSON_IsString(v) && v->valuestring != NULL) {
		for (i = 0; i < n; i++)
			if (strcmp(v->valuestring, names[i]) == 0)
				return i;
	}
	return bad_key(x, kpath, key, v, expect);
}

/* A number that is an integer in [lo, hi] (both exact in a double). */
static int
is_int(const cJSON *v, double lo, double hi)
{
	return cJSON_IsNumber(v) && v->valuedouble >= lo &&
	    v->valuedouble <= hi && v->valuedouble == floor(v->valuedouble);
}

/* "N:M" with 0 < N < M <= WH_NM_MAX, digits only. */
static int
parse_nm(const char *s, int *n, int *m)
{
	int v[2] = { 0, 0 }, i, digits;

	for (i = 0; i < 2; i++) {
		for (digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits == 2)
				return -1;
			v[i] = v[i] * 10 + (*s - '0');
		}
		if (digits == 0 || (digits > 1 && s[-digits] == '0'))
			return -1;
		if (i == 0 && *s++ != ':')
			return -1;
	}
	if (*s != '\0' || !(v[0] > 0 && v[0] < v[1] && v[1] <= WH_NM_MAX))
		return -1;
	*n = v[0];
	*m = v[1];
	return 0;
}

/* The value of a settings key, once checked. */
struct setval {
	int i, j;
	float f;
};

static const char *const norm_names[] = { "l1", "l2" };
static const char *const float16_names[] = { "fp16", "bf16" };
static const char *const gran_names[] = { "tensor", "channel" };
static const char *const clip_names[] = { "minmax", "mse" };
static const char *const calib_names[] = { "minmax", "percentile" };

/* Checks the type and range of one settings key. */
static int
check_setting(struct pctx *x, const char *kpath, int k, const cJSON *v,
    struct setval *sv)
{
	const char *key = set_keys[k];
	double d;

	memset(sv, 0, sizeof *sv);
	switch (k) {
	case K_SPATIAL:
	case K_SYMMETRIC:
		if (!cJSON_IsBool(v))
			return bad_key(x, kpath, key, v, "expected true or false");
		sv->i = cJSON_IsTrue(v);
		return 0;
	case K_CHANNEL_NORM:
		if ((sv->i = enum_value(x, kpath, key, v, norm_names, 2,
		    "expected \"l1\" or \"l2\"")) == -1)
			return -1;
		sv->i++;
		return 0;
	case K_FLOAT16:
		sv->i = enum_value(x, kpath, key, v, float16_names, 2,
		    "expected \"fp16\" or \"bf16\"");
		return sv->i == -1 ? -1 : 0;
	case K_GRANULARITY:
		sv->i = enum_value(x, kpath, key, v, gran_names, 2,
		    "expected \"tensor\" or \"channel\"");
		return sv->i == -1 ? -1 : 0;
	case K_CLIP:
		sv->i = enum_value(x, kpath, key, v, clip_names, 2,
		    "expected \"minmax\" or \"mse\"");
		return sv->i == -1 ? -1 : 0;
	case K_ACT_CALIBRATION:
		sv->i = enum_value(x, kpath, key, v, calib_names, 2,
		    "expected \"minmax\" or \"percentile\"");
		return sv->i == -1 ? -1 : 0;
	case K_NM:
		if (cJSON_IsString(v) && v->valuestring != NULL &&
		    (strcmp(v->valuestring, "off") == 0 ||
		    parse_nm(v->valuestring, &sv->i, &sv->j) == 0))
			return 0;
		{
			char *e = xasprintf("expected \"N:M\" with 0 < N < M "
			    "<= %d, or \"off\"", WH_NM_MAX);

			bad_key(x, kpath, key, v, e);
			free(e);
		}
		return -1;
	}

	/* the rest are numbers */
	if (!cJSON_IsNumber(v))
		return bad_key(x, kpath, key, v, "expected a number");
	d = v->valuedouble;
	switch (k) {
	case K_RANK:
		if (!is_int(v, 0, INT_MAX))
			return bad_key(x, kpath, key, v,
			    "expected an integer >= 1, or 0 for off");
		sv->i = (int)d;
		return 0;
	case K_BITS:
		if (!is_int(v, 0, 16) || d == 1 || (d > 8 && d < 16))
			return bad_key(x, kpath, key, v,
			    "expected 2..8 or 16, or 0 for off");
		sv->i = (int)d;
		return 0;
	case K_ACT_BITS:
		if (!is_int(v, 0, 8) || (d != 0 && d != 8))
			return bad_key(x, kpath, key, v, "expected 8, or 0 for off");
		sv->i = (int)d;
		return 0;
	case K_ENERGY:
		if (to_float(d, &sv->f) == -1 || !(sv->f > 0 && sv->f <= 1))
			return bad_key(x, kpath, key, v,
			    "expected a number in (0, 1]");
		return 0;
	case K_SPARSITY:
	case K_CHANNEL_SPARSITY:
		if (to_float(d, &sv->f) == -1 || !(sv->f >= 0 && sv->f <= 1))
			return bad_key(x, kpath, key, v,
			    "expected a number in [0, 1] (0 for off)");
		return 0;
	case K_THRESHOLD:
		if (to_float(d, &sv->f) == -1 || !(sv->f >= 0) || isinf(sv->f))
			return bad_key(x, kpath, key, v,
			    "expected a number >= 0 (0 for off)");
		return 0;
	case K_ACT_PERCENTILE:
		if (to_float(d, &sv->f) == -1 || !(sv->f > 50 && sv->f <= 100))
			return bad_key(x, kpath, key, v,
			    "expected a number in (50, 100]");
		return 0;
	}
	return bad_key(x, kpath, key, v, "expected nothing (a bug)");
}

/*
 * Parses the settings object obj at kpath over base (canonical): base
 * overlaid by obj's keys, checked and made canonical, in *out.
 */
static int
parse_settings(struct pctx *x, const char *kpath, const cJSON *obj,
    const struct wh_layer_cfg *base, struct wh_layer_cfg *out)
{
	static const int prune_keys[] = { K_SPARSITY, K_THRESHOLD,
	    K_CHANNEL_SPARSITY };
	const cJSON *slot[NSETKEYS];
	struct setval sv[NSETKEYS];
	struct wh_layer_cfg c = *base;
	const char *off = NULL, *need = NULL;
	int k, i, nprune = 0, bf16 = base->qtype == WH_Q_BF16;

	if (walk(x, kpath, obj, set_keys, NSETKEYS, slot) == -1)
		return -1;
	for (k = 0; k < NSETKEYS; k++)
		if (slot[k] != NULL && check_setting(x, kpath, k, slot[k],
		    &sv[k]) == -1)
			return -1;

	if (slot[K_RANK] != NULL && slot[K_ENERGY] != NULL)
		return wh_error(x->err, "%s: %s sets both rank and energy, but "
		    "low-rank takes only one of them", x->path, kpath);
	for (i = 0; i < 3; i++) {
		k = prune_keys[i];
		if (slot[k] != NULL && nprune++ > 0)
			return wh_error(x->err, "%s: %s sets both %s and %s, but "
			    "a layer is pruned by only one of sparsity, threshold "
			    "and channel_sparsity", x->path, kpath,
			    set_keys[slot[prune_keys[0]] != NULL ? prune_keys[0] :
			    prune_keys[1]], set_keys[k]);
	}

	/* the overlay */
	if (slot[K_RANK] != NULL) {
		c.lr_mode = sv[K_RANK].i ? WH_LR_RANK : WH_LR_NONE;
		c.rank = sv[K_RANK].i;
	}
	if (slot[K_ENERGY] != NULL) {
		c.lr_mode = WH_LR_ENERGY;
		c.energy = sv[K_ENERGY].f;
	}
	if (slot[K_SPATIAL] != NULL)
		c.spatial = sv[K_SPATIAL].i;
	if (slot[K_SPARSITY] != NULL) {
		c.prune_mode = sv[K_SPARSITY].f != 0 ? WH_PRUNE_SPARSITY :
		    WH_PRUNE_NONE;
		c.sparsity = sv[K_SPARSITY].f;
	}
	if (slot[K_THRESHOLD] != NULL) {
		c.prune_mode = sv[K_THRESHOLD].f != 0 ? WH_PRUNE_THRESHOLD :
		    WH_PRUNE_NONE;
		c.threshold = sv[K_THRESHOLD].f;
	}
	if (slot[K_CHANNEL_SPARSITY] != NULL) {
		c.prune_mode = sv[K_CHANNEL_SPARSITY].f != 0 ? WH_PRUNE_CHANNEL :
		    WH_PRUNE_NONE;
		c.sparsity = sv[K_CHANNEL_SPARSITY].f;
	}
	if (slot[K_CHANNEL_NORM] != NULL)
		c.channel_norm = sv[K_CHANNEL_NORM].i;
	if (slot[K_NM] != NULL) {
		c.nm_n = sv[K_NM].i;
		c.nm_m = sv[K_NM].j;
	}
	if (slot[K_BITS] != NULL) {
		if (sv[K_BITS].i == 0)
			c.qtype = WH_Q_NONE;
		else if (sv[K_BITS].i == 16)
			c.qtype = WH_Q_FP16;
		else {
			c.qtype = WH_Q_INT;
			c.bits = sv[K_BITS].i;
		}
	}
	if (slot[K_FLOAT16] != NULL)
		bf16 = sv[K_FLOAT16].i;
	if (c.qtype == WH_Q_FP16 || c.qtype == WH_Q_BF16)
		c.qtype = bf16 ? WH_Q_BF16 : WH_Q_FP16;
	if (slot[K_SYMMETRIC] != NULL)
		c.symmetric = sv[K_SYMMETRIC].i;
	if (slot[K_GRANULARITY] != NULL)
		c.per_channel = sv[K_GRANULARITY].i;
	if (slot[K_CLIP] != NULL)
		c.clip = sv[K_CLIP].i == 1 ? WH_CLIP_MSE : WH_CLIP_MINMAX;
	if (slot[K_ACT_BITS] != NULL)
		c.act_bits = sv[K_ACT_BITS].i;
	if (slot[K_ACT_CALIBRATION] != NULL)
		c.act_calib = sv[K_ACT_CALIBRATION].i == 1 ? WH_ACT_PERCENTILE :
		    WH_ACT_MINMAX;
	if (slot[K_ACT_PERCENTILE] != NULL)
		c.act_percentile = sv[K_ACT_PERCENTILE].f;

	/* sub-keys only where their transform is on */
	for (k = 0; k < NSETKEYS && off == NULL; k++) {
		if (slot[k] == NULL)
			continue;
		switch (k) {
		case K_SPATIAL:
			if (c.lr_mode == WH_LR_NONE) {
				off = "low-rank is off";
				need = "rank or energy";
			}
			break;
		case K_CHANNEL_NORM:
			if (c.prune_mode != WH_PRUNE_CHANNEL) {
				off = "channel pruning is off";
				need = "channel_sparsity above 0";
			}
			break;
		case K_FLOAT16:
			if (c.qtype != WH_Q_FP16 && c.qtype != WH_Q_BF16) {
				off = "the weights are not 16-bit";
				need = "bits 16";
			}
			break;
		case K_SYMMETRIC:
		case K_GRANULARITY:
		case K_CLIP:
			if (c.qtype != WH_Q_INT) {
				off = "integer quantization is off";
				need = "bits 2 to 8";
			}
			break;
		case K_ACT_CALIBRATION:
			if (c.act_bits == 0) {
				off = "activation quantization is off";
				need = "act_bits 8";
			}
			break;
		case K_ACT_PERCENTILE:
			if (c.act_bits == 0 || c.act_calib != WH_ACT_PERCENTILE) {
				off = c.act_bits == 0 ? "activation quantization "
				    "is off" : "the calibration is not percentile";
				need = "act_bits 8 and act_calibration "
				    "\"percentile\"";
			}
			break;
		}
		if (off != NULL) {
			char *kp = key_path(kpath, set_keys[k]), *vt;

			vt = value_text(slot[k]);
			wh_error(x->err, "%s: %s is %s, but %s (%s needs %s)",
			    x->path, kp, vt, off, set_keys[k], need);
			free(vt);
			free(kp);
			return -1;
		}
	}
	canon(&c, out);
	return 0;
}

/* A string member that must not be empty; a new string in *out. */
static int
get_path(struct pctx *x, const char *kpath, const char *key, const cJSON *v,
    char **out)
{
	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    v->valuestring[0] == '\0')
		return bad_key(x, kpath, key, v, "expected a non-empty string");
	*out = xstrdup(v->valuestring);
	return 0;
}

/* A SHA-256 member: "" or 64 hex digits, stored in lower case. */
static int
get_sha(struct pctx *x, const char *kpath, const char *key, const cJSON *v,
    char out[65])
{
	const char *s;
	int i;

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return bad_key(x, kpath, key, v,
		    "expected 64 hexadecimal digits");
	s = v->valuestring;
	for (i = 0; i < 64; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			break;
		out[i] = ch;
	}
	if ((i == 0 && s[0] == '\0') || (i == 64 && s[64] == '\0')) {
		out[i] = '\0';
		return 0;
	}
	out[0] = '\0';
	return bad_key(x, kpath, key, v, "expected 64 hexadecimal digits");
}

static int
parse_model(struct pctx *x, const cJSON *obj, struct wh_plan *p)
{
	const cJSON *s[NMODELKEYS];

	if (walk(x, "model", obj, model_keys, NMODELKEYS, s) == -1)
		return -1;
	if (s[M_PATH] != NULL &&
	    get_path(x, "model", "path", s[M_PATH], &p->model_path) == -1)
		return -1;
	if (s[M_SHA256] != NULL &&
	    get_sha(x, "model", "sha256", s[M_SHA256], p->model_sha256) == -1)
		return -1;
	return 0;
}

static int
parse_data(struct pctx *x, const cJSON *obj, struct wh_plan *p)
{
	const cJSON *s[NDATAKEYS];

	if (walk(x, "data", obj, data_keys, NDATAKEYS, s) == -1)
		return -1;
	if (s[D_IMAGES] != NULL &&
	    get_path(x, "data", "images", s[D_IMAGES], &p->images) == -1)
		return -1;
	if (s[D_IMAGES_SHA256] != NULL && get_sha(x, "data", "images_sha256",
	    s[D_IMAGES_SHA256], p->images_sha256) == -1)
		return -1;
	if (s[D_LABELS] != NULL &&
	    get_path(x, "data", "labels", s[D_LABELS], &p->labels) == -1)
		return -1;
	if (s[D_LABELS_SHA256] != NULL && get_sha(x, "data", "labels_sha256",
	    s[D_LABELS_SHA256], p->labels_sha256) == -1)
		return -1;
	return 0;
}

/* layers."name": layer names are always quoted; a new string. */
static char *
layer_kpath(const char *name)
{
	char *q = quote_cap(name), *r;

	r = xasprintf("layers.%s", q);
	free(q);
	return r;
}

/*
 * Parses the layer entries of obj into p->layers; a name given twice is
 * found through the plan's table of names (index_slot), not by comparing
 * each entry with every one before it.
 */
static int
parse_layers(struct pctx *x, const cJSON *obj, struct wh_plan *p)
{
	const cJSON *it;
	struct wh_layer_cfg cfg;
	size_t slot;
	int rc = 0;
	char *kp;

	for (it = obj->child; it != NULL && rc == 0; it = it->next) {
		const char *name = it->string != NULL ? it->string : "";

		slot = index_slot(p, name);
		kp = layer_kpath(name);
		if (p->index[slot] != -1)
			rc = wh_error(x->err, "%s: %s appears twice, expected "
			    "each layer once", x->path, kp);
		else if (!cJSON_IsObject(it))
			rc = bad(x, kp, it, "expected an object");
		else
			rc = parse_settings(x, kp, it, &p->defaults, &cfg);
		free(kp);
		if (rc == 0)
			add_layer(p, slot, name, &cfg);
	}
	return rc;
}

/* 2^64 as a double: integers below it fit uint64_t. */
#define TWO64 18446744073709551616.0

static int
get_u64(struct pctx *x, const char *key, const cJSON *v, uint64_t *out)
{
	if (!cJSON_IsNumber(v))
		return bad_key(x, x->sect, key, v, "expected a number");
	if (!(v->valuedouble >= 0 && v->valuedouble < TWO64 &&
	    v->valuedouble == floor(v->valuedouble)))
		return bad_key(x, x->sect, key, v, "expected an integer >= 0");
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int
get_num(struct pctx *x, const char *key, const cJSON *v, double lo,
    double hi, const char *expect, double *out)
{
	if (!cJSON_IsNumber(v))
		return bad_key(x, x->sect, key, v, "expected a number");
	if (!(v->valuedouble >= lo && v->valuedouble <= hi))
		return bad_key(x, x->sect, key, v, expect);
	*out = v->valuedouble;
	return 0;
}

static int
get_short(struct pctx *x, const char *key, const cJSON *v, char out[32])
{
	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    strlen(v->valuestring) > 31)
		return bad_key(x, x->sect, key, v,
		    "expected a string of at most 31 bytes");
	strcpy(out, v->valuestring);
	return 0;
}

static int
parse_result(struct pctx *x, const cJSON *obj, struct wh_plan *p)
{
	struct wh_plan_result *r = &p->result;
	const cJSON *s[NRESULTKEYS];
	double change;
	int k, rc = 0;

	if (walk(x, "result", obj, result_keys, NRESULTKEYS, s) == -1)
		return -1;
	r->has = 1;
	for (k = 0; k < NRESULTKEYS && rc == 0; k++) {
		const char *key = result_keys[k];
		const cJSON *v = s[k];

		if (v == NULL)
			continue;
		switch (k) {
		case R_SAMPLES:
			rc = get_u64(x, key, v, &r->samples);
			break;
		case R_BASELINE_ACCURACY:
			rc = get_num(x, key, v, 0, 1, "expected a number in "
			    "[0, 1]", &r->base_accuracy);
			break;
		case R_ACCURACY:
			rc = get_num(x, key, v, 0, 1, "expected a number in "
			    "[0, 1]", &r->accuracy);
			break;
		case R_ACCURACY_CHANGE:
			/* derived from the two accuracies; checked, not kept */
			rc = get_num(x, key, v, -1, 1, "expected a number in "
			    "[-1, 1]", &change);
			break;
		case R_PRECISION_MACRO:
			rc = get_num(x, key, v, 0, 1, "expected a number in "
			    "[0, 1]", &r->precision_macro);
			break;
		case R_RECALL_MACRO:
			rc = get_num(x, key, v, 0, 1, "expected a number in "
			    "[0, 1]", &r->recall_macro);
			break;
		case R_F1_MACRO:
			rc = get_num(x, key, v, 0, 1, "expected a number in "
			    "[0, 1]", &r->f1_macro);
			break;
		case R_ORIGINAL_BYTES:
			rc = get_u64(x, key, v, &r->original_bytes);
			break;
		case R_BYTES:
			rc = get_u64(x, key, v, &r->bytes);
			break;
		case R_COMPRESSION_RATIO:
			rc = get_num(x, key, v, 0, DBL_MAX, "expected a number "
			    ">= 0", &r->ratio);
			break;
		case R_MACS:
			rc = get_u64(x, key, v, &r->macs);
			break;
		case R_MACS_SPARSE:
			rc = get_u64(x, key, v, &r->macs_sparse);
			break;
		case R_DATE:
			rc = get_short(x, key, v, r->date);
			break;
		case R_WHITTLE_VERSION:
			rc = get_short(x, key, v, r->version);
			break;
		}
	}
	return rc;
}

static int
parse_search(struct pctx *x, const cJSON *obj, struct wh_plan *p)
{
	struct wh_plan_search *q = &p->search;
	const cJSON *s[NSEARCHKEYS], *v;
	char buf[32];
	int k, rc = 0;

	if (walk(x, "search", obj, search_keys, NSEARCHKEYS, s) == -1)
		return -1;
	q->has = 1;
	for (k = 0; k < NSEARCHKEYS && rc == 0; k++) {
		const char *key = search_keys[k];

		if ((v = s[k]) == NULL)
			continue;
		switch (k) {
		case X_MAX_DROP:
			rc = get_num(x, key, v, 0, 100, "expected points from 0 "
			    "to 100", &q->max_drop);
			break;
		case X_OBJECTIVE:
			rc = get_short(x, key, v, buf);
			if (rc == 0 && strcmp(buf, "size") && strcmp(buf, "macs"))
				rc = bad_key(x, "search", key, v,
				    "expected \"size\" or \"macs\"");
			if (rc == 0)
				memcpy(q->objective, buf, 5);
			break;
		case X_TARGET_RATIO:
			rc = get_num(x, key, v, 0, DBL_MAX, "expected a number "
			    ">= 0", &q->target_ratio);
			break;
		case X_METHODS:
			rc = get_short(x, key, v, q->methods);
			break;
		case X_TABLE_SHA256:
			if (!cJSON_IsString(v) || strlen(v->valuestring) != 64)
				rc = bad_key(x, "search", key, v,
				    "expected 64 hex digits");
			else
				strcpy(q->table_sha256, v->valuestring);
			break;
		case X_EVALUATIONS:
			rc = get_u64(x, key, v, &q->evaluations);
			break;
		case X_BACKOFFS:
			rc = get_u64(x, key, v, &q->backoffs);
			break;
		case X_PASSES:
			rc = get_num(x, key, v, 0, DBL_MAX, "expected a number "
			    ">= 0", &q->passes);
			break;
		}
	}
	return rc;
}

static int
parse_root(struct pctx *x, const cJSON *root, struct wh_plan *p)
{
	const cJSON *s[NTOPKEYS], *it;
	char vbuf[40];
	int k;

	if (!cJSON_IsObject(root))
		return bad(x, "the plan", root, "expected an object");
	/* the version first: a newer plan may well have other keys */
	for (it = root->child; it != NULL; it = it->next)
		if (it->string != NULL && strcmp(it->string, "whittle_plan") == 0)
			break;
	if (it == NULL)
		return wh_error(x->err, "%s: whittle_plan is missing, expected "
		    "%d (is this a whittle plan?)", x->path, WH_PLAN_VERSION);
	if (!cJSON_IsNumber(it))
		return bad(x, "whittle_plan", it, "expected 1");
	if (it->valuedouble != WH_PLAN_VERSION) {
		fmt_double(vbuf, sizeof vbuf, it->valuedouble);
		return wh_error(x->err, "%s: whittle_plan is %s, this whittle "
		    "reads version %d", x->path, vbuf, WH_PLAN_VERSION);
	}

	if (walk(x, NULL, root, top_keys, NTOPKEYS, s) == -1)
		return -1;
	for (k = T_MODEL; k < NTOPKEYS; k++)
		if (s[k] != NULL && !cJSON_IsObject(s[k]))
			return bad(x, top_keys[k], s[k], "expected an object");
	if (s[T_MODEL] != NULL && parse_model(x, s[T_MODEL], p) == -1)
		return -1;
	if (s[T_DATA] != NULL && parse_data(x, s[T_DATA], p) == -1)
		return -1;
	if (s[T_DEFAULTS] != NULL && parse_settings(x, "defaults",
	    s[T_DEFAULTS], &p->defaults, &p->defaults) == -1)
		return -1;
	if (s[T_LAYERS] != NULL && parse_layers(x, s[T_LAYERS], p) == -1)
		return -1;
	x->sect = "result";
	if (s[T_RESULT] != NULL && parse_result(x, s[T_RESULT], p) == -1)
		return -1;
	x->sect = "search";
	if (s[T_SEARCH] != NULL && parse_search(x, s[T_SEARCH], p) == -1)
		return -1;
	return 0;
}

/* The line (from 1) of offset off in s. */
static int
line_of(const char *s, size_t off)
{
	size_t i;
	int line = 1;

	for (i = 0; i < off; i++)
		if (s[i] == '\n' && line < INT_MAX)
			line++;
	return line;
}

int
wh_plan_parse(struct wh_plan *p, const char *path, const char *json,
    size_t len, char **err)
{
	struct pctx x;
	struct cloc loc;
	const char *end = NULL, *nul;
	cJSON *root;
	char *buf;
	size_t off;
	int rc;

	wh_plan_init(p);
	x.path = path != NULL ? path : "plan";
	x.err = err;
	x.sect = "result";
	if (json == NULL) {
		json = "";
		len = 0;
	}
	if (len == SIZE_MAX)
		return wh_error(err, "%s: too large", x.path);
	for (off = 0; off < len; off++)
		if (!(json[off] == ' ' || json[off] == '\t' ||
		    json[off] == '\n' || json[off] == '\r'))
			break;
	if (off == len)
		return wh_error(err, len == 0 ? "%s: the plan file is empty" :
		    "%s: the plan file holds only white space", x.path);
	if ((nul = memchr(json, '\0', len)) != NULL)
		return wh_error(err, "%s: not valid JSON near line %d (a NUL "
		    "byte)", x.path, line_of(json, (size_t)(nul - json)));

	/* cJSON checks that nothing but white space follows the value
	 * when it is given the terminating NUL as part of the length */
	buf = xmalloc(len + 1);
	memcpy(buf, json, len);
	buf[len] = '\0';
	cloc_push(&loc);
	root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
	if (root == NULL) {
		off = end != NULL && end >= buf && end <= buf + len ?
		    (size_t)(end - buf) : len;
		rc = wh_error(err, "%s: not valid JSON near line %d", x.path,
		    line_of(buf, off));
	} else
		rc = parse_root(&x, root, p);
	cloc_pop(&loc);
	cJSON_Delete(root);
	free(buf);
	if (rc == -1) {
		wh_plan_release(p);
		return -1;
	}
	if (path != NULL)
		p->path = xstrdup(path);
	return 0;
}

int
wh_plan_load(struct wh_plan *p, const char *path, char **err)
{
	unsigned char *buf;
	size_t len;
	int rc;

	wh_plan_init(p);
	if (wh_read_file(path, 1, PLAN_MAX_BYTES, &buf, &len, err) == -1)
		return -1;
	rc = wh_plan_parse(p, path, (const char *)buf, len, err);
	free(buf);
	return rc;
}

/* ---- resolving against a model --------------------------------------------- */

int
wh_plan_resolve(const struct wh_plan *p, const struct wh_graph *g,
    const char *model_sha256, int strict, struct wh_layer_cfg *cfgs,
    char **warn, char **err)
{
	const char *pp = p->path != NULL ? p->path : "plan";
	const char *mp = g->model != NULL && g->model->path != NULL ?
	    g->model->path : "the model";
	char *w = NULL, *e = NULL, *made = NULL;
	int n = wh_graph_nlayers(g), i, j;

	if (warn != NULL)
		*warn = NULL;
	if (p->model_sha256[0] != '\0' && model_sha256 != NULL &&
	    model_sha256[0] != '\0' &&
	    strcasecmp(p->model_sha256, model_sha256) != 0) {
		/* "made for 'm.onnx' (SHA-256 0123456789abcdef...)" */
		made = xasprintf("made for %s%sSHA-256 %.16s...%s",
		    p->model_path != NULL ? WH_QNAME(p->model_path) : "",
		    p->model_path != NULL ? " (" : "a model of ",
		    p->model_sha256, p->model_path != NULL ? ")" : "");
		w = xasprintf("%s: the plan was %s, not for %s (SHA-256 "
		    "%.16s...)", pp, made, mp, model_sha256);
		if (strict) {
			if (err != NULL)
				*err = w;
			else
				free(w);
			free(made);
			return -1;
		}
	}

	for (i = 0; i < n; i++)
		cfgs[i] = p->defaults;
	for (j = 0; j < p->nlayers; j++) {
		if ((i = wh_graph_find_layer(g, p->layers[j].name)) < 0) {
			wh_error(err, "%s: layer %s is not in %s%s%s", pp,
			    WH_QNAME(p->layers[j].name), mp,
			    made != NULL ? "; the plan was " : "",
			    made != NULL ? made : "");
			free(w);
			free(made);
			return -1;
		}
		cfgs[i] = p->layers[j].cfg;
	}
	for (i = 0; i < n; i++) {
		if (wh_layer_cfg_check(&cfgs[i], wh_graph_layer(g, i), &e) == -1) {
			free(w);
			free(made);
			wh_error(err, "%s: %s", pp, e);
			free(e);
			return -1;
		}
	}
	free(made);
	if (warn != NULL)
		*warn = w;
	else
		free(w);
	return 0;
}
