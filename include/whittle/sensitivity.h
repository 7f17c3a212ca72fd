/* sensitivity.h - what each layer can take: the measured cost in accuracy
 * of every candidate setting, one layer at a time */
#ifndef WHITTLE_SENSITIVITY_H
#define WHITTLE_SENSITIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/compress.h"
#include "whittle/data.h"
#include "whittle/state.h"

/*
 * A candidate setting has a short name that is also its key in the table
 * and in the on-disk cache.  Names are one or more parts joined by '+':
 *
 *   int8 .. int2   integer weights, symmetric, per channel, MSE clipping
 *   fp16           half-precision weights
 *   sp10 .. sp95   that percentage of the weights of least magnitude zeroed
 *   2:4            N:M pruning (any N:M with 0 < N < M <= 32)
 *   ch10 .. ch75   that percentage of output channels (L2 norm) zeroed
 *   e0.5 .. e0.99  truncated SVD keeping that fraction of the energy
 *   act8           the layer's input quantized to uint8 (the plan default
 *                  calibration)
 *
 * e.g. "int4+sp50" or "e0.9+int8".  Parts combine as the plan file's
 * settings do (low-rank, then pruning, then quantization); two parts of
 * one kind are an error.
 */
#define WH_SENS_NAME_MAX 48

struct wh_sens_setting {
	char name[WH_SENS_NAME_MAX];
	struct wh_layer_cfg cfg;
};

/* Parses one setting name into cfg; -1 and a message on a bad name. */
int wh_sens_setting_parse(const char *name, struct wh_layer_cfg *cfg,
    char **err);

/*
 * The candidates: list is comma-separated names, or NULL for the default
 * set (int8..int2, fp16, sp10..sp95, 2:4, ch10..ch75, e0.5..e0.99, act8).
 * *out is new (free it).  Returns the count, or -1 and a message.
 */
int wh_sens_settings(const char *list, struct wh_sens_setting **out,
    char **err);

enum wh_sens_status {
	WH_SENS_TODO,		/* not measured */
	WH_SENS_DONE,		/* measured on every sample */
	WH_SENS_EARLY,		/* stopped early: clearly negligible or clearly
				 * beyond the range of interest */
	WH_SENS_SKIPPED		/* the layer cannot take it, see reason */
};

/* One layer with one setting. */
struct wh_sens_cell {
	int status;
	char reason[96];	/* WH_SENS_SKIPPED: why */
	uint64_t samples;	/* evaluated, a prefix of the set */
	uint64_t correct;	/* of those, correct with the setting */
	uint64_t base_correct;	/* of those, correct in the baseline */
	uint64_t flips;		/* of those, predicted differently */
	uint64_t loss, gain;	/* of those, turned wrong, and turned right */
	double drop;		/* accuracy change in points, baseline minus
				 * setting, on the samples evaluated */
	double drop_lo, drop_hi;	/* its 95% interval, from the paired
					 * losses and gains */
	double kl;		/* mean KL(baseline || setting) of the outputs'
				 * softmax, nats */
	uint64_t bytes;		/* the layer's stored size with the setting */
	uint64_t macs;		/* its non-zero MACs per sample */
	double passes;		/* full-pass equivalents this cell cost */
};

/*
 * The table: layers x settings, row-major (cell[l * nsettings + s]).
 * Names are owned by the table.
 */
struct wh_sens_table {
	char model_sha256[65];
	char data_sha256[65];	/* SHA-256 of the images' and labels' hashes */
	uint64_t samples;	/* the validation set's size */
	uint64_t base_correct;
	int nlayers;
	char **layers;
	uint64_t *layer_bytes;	/* the uncompressed layer's stored size */
	uint64_t *layer_macs;
	int nsettings;
	struct wh_sens_setting *settings;
	struct wh_sens_cell *cells;
	double passes;		/* full-pass equivalents spent, baseline included */
	uint64_t measured;	/* cells measured by this process */
};

/*
 * The sequential rule: when a cell may stop before the full set.  The
 * table is a screen: a cell is known once it is clearly negligible,
 * clearly out of reach, or within the precision; a search measures the
 * cells it may choose further, to its budget's precision.
 */
struct wh_sens_rule {
	uint64_t min_samples;	/* never decide on fewer (default 512) */
	double negligible;	/* stop when the Wilson upper bound of the
				 * flip rate, or the drop's upper bound, is
				 * below this (points, 0.25) */
	double hopeless;	/* stop when the drop's lower bound exceeds
				 * this (points, 5) */
	double precision;	/* stop when the drop's 95% interval is
				 * narrower than this (points, 2) */
};
void wh_sens_rule_default(struct wh_sens_rule *r);
/* Whether the rule stops a cell that flipped, lost and gained these of n. */
int wh_sens_decided(const struct wh_sens_rule *rule, uint64_t flips,
    uint64_t loss, uint64_t gain, uint64_t n);

/* Allocates the cells for the graph's layers and the settings (copied). */
void wh_sens_table_init(struct wh_sens_table *t, const struct wh_graph *g,
    const struct wh_sens_setting *set, int nset);
void wh_sens_table_release(struct wh_sens_table *t);
/* A deep copy of src into dst, which is overwritten. */
void wh_sens_table_copy(struct wh_sens_table *dst,
    const struct wh_sens_table *src);
struct wh_sens_cell *wh_sens_cell(struct wh_sens_table *t, int layer,
    int setting);
int wh_sens_layer_index(const struct wh_sens_table *t, const char *name);
int wh_sens_setting_index(const struct wh_sens_table *t, const char *name);
/* The column of a setting, added (cells TODO) when the table lacks it;
 * -1 and a message on a bad name. */
int wh_sens_add_setting(struct wh_sens_table *t, const char *name,
    char **err);

/* Progress: cells done of total, and the cell being measured. */
typedef int (*wh_sens_progress_fn)(void *arg, int done, int total,
    const char *layer, const char *setting);

struct wh_sens_opts {
	int shard, nshards;	/* measure the cells with index % nshards ==
				 * shard (0-based); 0, 0 for all */
	const unsigned char *cell_mask;	/* (nlayers * nsettings) 1 to
					 * measure, or NULL for every cell */
	int refine;		/* also go on with cells that stopped early,
				 * under this rule */
	struct wh_sens_rule rule;
	/* (nlayers) the settings the state's layers hold while a cell is
	 * measured, and are left at: the cells are then measured against
	 * that plan rather than the original model.  NULL: every layer off. */
	const struct wh_layer_cfg *base;
	wh_sens_progress_fn progress;	/* may cancel (non-zero) */
	/* Called between batches; may block (to give way to other work) and
	 * cancels with non-zero.  NULL: never. */
	int (*yield)(void *arg);
	void *arg;
};

/* Cell index order of a shard: layer * nsettings + setting. */
int wh_sens_in_shard(const struct wh_sens_opts *o, int cell);

/*
 * Measures every TODO cell of t that the options select, on the state's
 * validation set: the baseline once over the whole set (filling the
 * activation caches), then each cell with only its layer changed,
 * restarting at that layer from the caches, last layer first.  The state's
 * layers must all be off (at o->base when it is given); they are so again
 * on return.  Returns 0, 1 when
 * cancelled (the cells measured so far are kept), -1 and a message.
 */
int wh_sens_measure(struct wh_state *st, struct wh_sens_table *t,
    const struct wh_sens_opts *o, char **err);

/* ---- the table as JSON and in the cache (sens-table.c) ---------------- */

char *wh_sens_to_json(const struct wh_sens_table *t);
/* Parses a table; every count and name is checked.  t is overwritten. */
int wh_sens_parse(struct wh_sens_table *t, const char *path, const char *json,
    size_t len, char **err);
int wh_sens_load(struct wh_sens_table *t, const char *path, char **err);
int wh_sens_save(const struct wh_sens_table *t, const char *path, char **err);

/*
 * Copies into dst every measured cell of src whose layer and setting dst
 * has and that dst has not measured.  -1 and a message when the two
 * tables are of different models or data.  Returns the cells copied.
 */
int wh_sens_merge(struct wh_sens_table *dst, const struct wh_sens_table *src,
    char **err);

/*
 * The cache file of a model and data set: $XDG_CACHE_HOME/whittle/
 * sensitivity/<model sha>-<data sha>.json ($HOME/.cache when
 * XDG_CACHE_HOME is unset).  New string, or NULL when neither is set.
 */
char *wh_sens_cache_path(const char *model_sha256, const char *data_sha256);

/*
 * What the sensitivity commands and the workbench do first: keys t by the
 * model file and the validation set, then copies in what the cache holds
 * of them (with two_part, the cache's two-part columns are added to t
 * first, so a search reuses what an earlier search measured).  *cache gets
 * the cache's path, or NULL when there is no cache directory or nocache.
 * A damaged cache is not trusted: the table is measured again and *warn
 * says why (free it).  Returns the cells read from the cache, -1 and a
 * message when the model or data cannot be read to key them.
 */
int wh_sens_cache_read(struct wh_sens_table *t, const char *model_path,
    const struct wh_dataset *d, int two_part, int nocache, char **cache,
    char **warn, char **err);

/* The data key: SHA-256 over the two files' hex hashes. */
void wh_sens_data_key(const char *images_sha256, const char *labels_sha256,
    char out[65]);

/*
 * The data key of a validation set: the key of its images' and labels'
 * file hashes, or for an image folder the SHA-256 over every image's
 * path, size and modification time and the labels (a changed image of
 * the same size and time is not noticed).  -1 and a message when a file
 * cannot be read.
 */
int wh_sens_dataset_key(const struct wh_dataset *d, char out[65],
    char **err);

#endif
