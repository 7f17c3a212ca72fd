/* cli.h - what the command files share: loading, errors, options */
#ifndef WHITTLE_CLI_H
#define WHITTLE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "whittle/data.h"
#include "whittle/eval.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/plan.h"
#include "whittle/state.h"

/* A model compiled and, when asked for, its validation set. */
struct cli_session {
	const char *model_path;
	struct wh_model *model;
	struct wh_graph *graph;
	struct wh_dataset *data;
	struct wh_preproc pre;
	int scale_set;		/* the scale applies to float data too */
	char *images, *labels;	/* the data's paths, owned */
};

/* Options every evaluating command takes. */
struct cli_data_opts {
	const char *images, *labels;
	const char *scale, *mean, *std;
	int threads;
	int batch;
	size_t limit;
	int quiet;
	/* image folders and NHWC arrays (0: from the model) */
	int resize, crop_h, crop_w, channels, nhwc;
	const char *input_shape;	/* [NAME=]d1,d2,...: the input's dims
					 * after the batch */
	long cache_mb;		/* activation cache in MiB; 0: the
				 * default, -1: none */
};

/* Long options shared by the evaluating commands (ids from 1000 up). */
enum {
	OPT_DATA = 1000, OPT_LABELS, OPT_SCALE, OPT_MEAN, OPT_STD, OPT_THREADS,
	OPT_BATCH, OPT_LIMIT, OPT_JSON, OPT_PREDICTIONS, OPT_PLAN, OPT_STRICT,
	OPT_HELP, OPT_VERSION, OPT_QUIET, OPT_QDQ,
	OPT_RESIZE = 1100, OPT_CROP, OPT_GRAY, OPT_RGB, OPT_LAYOUT,
	OPT_INPUT_SHAPE, OPT_CACHE_MB
};
#define CLI_DATA_LONGOPTS \
	{ "data", required_argument, NULL, OPT_DATA }, \
	{ "labels", required_argument, NULL, OPT_LABELS }, \
	{ "input-scale", required_argument, NULL, OPT_SCALE }, \
	{ "input-mean", required_argument, NULL, OPT_MEAN }, \
	{ "input-std", required_argument, NULL, OPT_STD }, \
	{ "threads", required_argument, NULL, OPT_THREADS }, \
	{ "batch", required_argument, NULL, OPT_BATCH }, \
	{ "limit", required_argument, NULL, OPT_LIMIT }, \
	{ "quiet", no_argument, NULL, OPT_QUIET }, \
	{ "resize", required_argument, NULL, OPT_RESIZE }, \
	{ "crop", required_argument, NULL, OPT_CROP }, \
	{ "grayscale", no_argument, NULL, OPT_GRAY }, \
	{ "rgb", no_argument, NULL, OPT_RGB }, \
	{ "layout", required_argument, NULL, OPT_LAYOUT }, \
	{ "input-shape", required_argument, NULL, OPT_INPUT_SHAPE }, \
	{ "cache-mb", required_argument, NULL, OPT_CACHE_MB }

/* Prints "whittle: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the error and "(see 'whittle CMD --help')" on one line; returns
 * WH_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* After getopt_long returned ch ':' or '?' (the option string starts with
 * ':', so getopt itself prints nothing): one line naming the option. */
int cli_bad_option(const char *cmd, int ch, char **argv);

/* Handles one of the shared options; returns 0, or an exit code on a bad value. */
int cli_data_opt(struct cli_data_opts *o, const char *cmd, int id,
    const char *arg);

/* The bundled demo model (the CNN), or NULL when it cannot be found. */
const char *cli_demo_model(void);
/* A bundled file under share/ (e.g. "models/fashion-cnn.onnx"), new string. */
char *cli_share_path(const char *rel);

/* The model and validation set a plan records, where they were found. */
struct cli_plan_inputs {
	char *model;		/* NULL: MODEL was given, or the plan names none */
	char *images, *labels;	/* NULL: data options given, or not found */
};

/*
 * For a command given --plan: with no MODEL (*model NULL), the model the
 * plan was made for, and with no --data and --labels, the validation set
 * it was measured on.  Each is looked for where the plan recorded it, then
 * beside the plan file (then, for the model, among the bundled models),
 * and taken where its SHA-256 is the plan's.  A model found only with
 * another digest is taken too (resolving the plan then says so); no model
 * found at all is an error.  Data not found, or found changed, leaves
 * the model's default set (with a warning when it was changed).  Sets
 * *model and o->images, o->labels to strings that f owns; returns an exit
 * code.
 */
int cli_plan_inputs(const char *plan, const char **model,
    struct cli_data_opts *o, struct cli_plan_inputs *f);
void cli_plan_inputs_release(struct cli_plan_inputs *f);

/* Loads and compiles the model; returns an exit code (0 on success). */
int cli_load_model(struct cli_session *s, const char *path,
    const struct cli_data_opts *o);
/* Loads the validation set (the default one when o names none). */
int cli_load_data(struct cli_session *s, const struct cli_data_opts *o);
void cli_session_release(struct cli_session *s);

/* After getopt: takes the optional MODEL operand into *model; anything
 * further is a usage error (cmd names the command, NULL the workbench).
 * Returns an exit code. */
int cli_model_arg(const char *cmd, int argc, char **argv, const char **model);

/* Whether name matches one of the comma separated glob patterns (all
 * names match NULL): --layers and --lock. */
int cli_name_matches(const char *globs, const char *name);

/* Parses a non-negative integer option value; -1 on a bad value. */
long cli_parse_count(const char *s);

/* Whether to draw progress on stderr. */
int cli_show_progress(const struct cli_data_opts *o);
/* A progress callback drawing a bar on stderr (arg: a label string). */
int cli_progress(void *arg, size_t done, size_t total, size_t correct);
void cli_progress_done(void);


/*
 * The activation cache's budget: --cache-mb (0 for none), or by default
 * an eighth of the machine's memory, at least 256 MiB and at most 4 GiB.
 */
size_t cli_cache_bytes(const struct cli_data_opts *o);

/* "rank 32, sparsity 0.5, int4 sym channel" (report.c). */
const char *cli_settings_str(const struct wh_layer_cfg *c, char *buf,
    size_t size);
void cli_iso_date(char *buf, size_t size);
/* Adds class_accuracy and confusion to a JSON object (a cJSON *). */
struct cJSON;
void cli_json_metrics(struct cJSON *o, const struct wh_metrics *m);
/* The report and the JSON object of a compressed evaluation. */
void cli_print_compressed(const struct cli_session *s, struct wh_state *st,
    const struct wh_metrics *base, const struct wh_metrics *m,
    const char *plan, double seconds);
void cli_json_compressed(const struct cli_session *s, struct wh_state *st,
    const struct wh_metrics *base, const struct wh_metrics *m,
    const char *plan, double seconds);
/* Records model, data and measured result in a plan. */
void cli_plan_record(struct wh_plan *p, const struct cli_session *s,
    struct wh_state *st, const struct wh_metrics *base,
    const struct wh_metrics *m);
/* Loads a plan and resolves it against the model into cfgs (one per
 * layer); a SHA-256 mismatch warning goes to *warn.  Returns an exit code. */
int cli_load_plan(struct cli_session *s, const char *path, int strict,
    struct wh_layer_cfg *cfgs, char **warn);
/* Loads a plan, resolves it against the model and sets every layer;
 * returns an exit code. */
int cli_apply_plan(struct cli_session *s, struct wh_state *st,
    const char *path, int strict, int quiet);
/* Writes predictions one per line, atomically; returns an exit code. */
int cli_write_predictions(const char *path, const int32_t *preds, size_t n);

int cmd_inspect(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_sensitivity(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_run(int argc, char **argv);
/* The interactive workbench (cmd-tui.c): argv[0] is the program. */
int cmd_tui(int argc, char **argv);

#endif
