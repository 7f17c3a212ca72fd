/* plan.h - the plan file: chosen compression settings and their result */
#ifndef WHITTLE_PLAN_H
#define WHITTLE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/compress.h"
#include "whittle/graph.h"

#define WH_PLAN_VERSION 1

struct wh_plan_layer {
	char *name;			/* the layer's node name */
	struct wh_layer_cfg cfg;	/* effective: defaults overlaid by the
					 * layer's own keys */
};

struct wh_plan_result {
	int has;			/* the plan records a measurement */
	uint64_t samples;
	double base_accuracy, accuracy;
	double precision_macro, recall_macro, f1_macro;
	uint64_t original_bytes, bytes;
	double ratio;
	uint64_t macs, macs_sparse;
	char date[32];			/* ISO 8601, UTC */
	char version[32];		/* whittle's version */
};

/* How a plan was found, when whittle search wrote it. */
struct wh_plan_search {
	int has;
	double max_drop;		/* points */
	char objective[8];		/* "size" or "macs" */
	double target_ratio;		/* 0 when not asked for */
	char methods[32];		/* e.g. "quant,prune,lowrank" */
	char table_sha256[65];		/* the sensitivity table it used */
	uint64_t evaluations;		/* full verifications */
	uint64_t backoffs;
	double passes;			/* full-pass equivalents, measuring too */
};

struct wh_plan {
	char *path;			/* the file it was parsed from, for
					 * messages; NULL when made in memory */
	char *model_path;
	char model_sha256[65];		/* "" when unknown */
	char *images, *labels;		/* NULL when unknown */
	char images_sha256[65], labels_sha256[65];
	struct wh_layer_cfg defaults;
	struct wh_plan_layer *layers;
	int nlayers;
	struct wh_plan_result result;
	struct wh_plan_search search;

	/* private to plan.c: the capacity of layers, and a hash table of
	 * indices into it (-1 free) over the first nindexed layers */
	int cap;
	int *index;
	size_t index_size;
	int nindexed;
};

void wh_plan_init(struct wh_plan *p);
void wh_plan_release(struct wh_plan *p);

/* Adds or replaces a layer's settings (name copied). */
void wh_plan_set_layer(struct wh_plan *p, const char *name,
    const struct wh_layer_cfg *cfg);

/*
 * The plan as JSON: stable key order, two-space indent, one setting per
 * line; a new string.  Layers whose settings equal the defaults are left
 * out.
 */
char *wh_plan_to_json(const struct wh_plan *p);
/* Writes the plan atomically (temporary file, fsync, rename). */
int wh_plan_save(const struct wh_plan *p, const char *path, char **err);

/*
 * Parses a plan and checks everything that needs no model: the version,
 * unknown or misspelled keys, value types and ranges.  Each problem is one
 * line naming the file, the key and the value; on error the plan is left
 * released.  p is overwritten, not released first; path (may be NULL) is
 * kept in p->path for later messages.  Layers hold canonical settings:
 * fields their modes do not use keep wh_layer_cfg_init's values.
 */
int wh_plan_parse(struct wh_plan *p, const char *path, const char *json,
    size_t len, char **err);
int wh_plan_load(struct wh_plan *p, const char *path, char **err);

/*
 * Resolves the plan against a compiled model: cfgs (one per graph layer)
 * get the defaults overlaid by each layer's entry.  Unknown layer names
 * and settings a layer cannot take (a rank above its maximum, low-rank on
 * a grouped convolution) are errors.  A model whose SHA-256 differs from
 * the plan's gives a warning in *warn (new string), or an error when
 * strict.  On error *warn is NULL.
 */
int wh_plan_resolve(const struct wh_plan *p, const struct wh_graph *g,
    const char *model_sha256, int strict, struct wh_layer_cfg *cfgs,
    char **warn, char **err);

#endif
