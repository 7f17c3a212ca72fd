/* common.c - loading models and data for the commands, errors, progress */
#include <sys/stat.h>

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "whittle/util.h"

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("whittle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("whittle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'whittle%s%s --help')\n", cmd != NULL ? " " : "",
	    cmd != NULL ? cmd : "");
	return WH_EXIT_USAGE;
}

int
cli_bad_option(const char *cmd, int ch, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	char shortopt[3] = { '-', (char)optopt, '\0' };
	size_t n;

	/* a short option (optopt a character) or a long one (arg) */
	if (optopt > 0 && optopt < 128 && (arg == NULL || arg[0] != '-' ||
	    arg[1] != '-'))
		arg = shortopt;
	if (arg == NULL)
		arg = "?";
	n = strcspn(arg, "=");
	if (ch == ':')
		return cli_usage_error(cmd, "option %.*s needs a value",
		    (int)(n < 64 ? n : 64), arg);
	if (optopt != 0 && arg[0] == '-' && arg[1] == '-' && arg[n] == '=')
		return cli_usage_error(cmd, "option %.*s takes no value",
		    (int)(n < 64 ? n : 64), arg);
	return cli_usage_error(cmd, "unknown option %s", WH_QNAME(arg));
}

int
cli_model_arg(const char *cmd, int argc, char **argv, const char **model)
{
	if (optind < argc)
		*model = argv[optind++];
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument %s",
		    WH_QNAME(argv[optind]));
	return 0;
}

long
cli_parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	return v;
}

/*
 * Parses --input-shape's [NAME=]D1,D2,...: the sizes into d, the name (or
 * NULL) into *name (new string; name may be NULL).  The count, -1 when bad.
 */
static int
parse_shape(const char *arg, char **name, int64_t *d)
{
	const char *eq = strchr(arg, '='), *p = eq != NULL ? eq + 1 : arg;
	int n = 0;

	if (name != NULL)
		*name = eq != NULL ? xstrndup(arg, (size_t)(eq - arg)) : NULL;
	for (;;) {
		char *end;
		long long v;

		if (*p < '0' || *p > '9' || n == WH_MAX_DIMS - 1)
			return -1;
		v = strtoll(p, &end, 10);
		if (v < 1 || v > (1ll << 30))
			return -1;
		d[n++] = v;
		if (*end == '\0')
			return n;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
}

/* Whether the model's first input has a symbolic dim after the batch. */
static int
symbolic_input(const struct wh_model *m)
{
	int i;

	if (m->ninputs < 1)
		return 0;
	for (i = 1; i < m->inputs[0].ndim; i++)
		if (m->inputs[0].dims[i] <= 0)
			return 1;
	return 0;
}

static int load_set(struct cli_session *s, const struct cli_data_opts *o,
    int max_class);

/*
 * Compiles with the input dims given (--input-shape) or, for symbolic
 * ones, taken from the validation set, which is then loaded here.
 */
static int
compile_shaped(struct cli_session *s, const struct cli_data_opts *o,
    char **err)
{
	const struct wh_value *in = &s->model->inputs[0];
	struct wh_graph_opts go = { 0 };
	char *name = NULL;
	int r;

	if (o->input_shape != NULL) {
		go.ndim = parse_shape(o->input_shape, &name, go.dims);
		if (name != NULL && strcmp(name, in->name) != 0) {
			cli_error("%s: --input-shape names '%s'; the batched "
			    "input is '%s'", s->model_path, name, in->name);
			free(name);
			return WH_EXIT_INPUT;
		}
		free(name);
	} else {
		const struct wh_dataset *d;
		int nd = in->ndim - 1;

		if ((r = load_set(s, o, 0)) != 0)
			return r;
		d = s->data;
		if (nd == 3) {
			go.dims[0] = d->sample_ndim == 3 ? d->c : 1;
			go.dims[1] = d->h;
			go.dims[2] = d->w;
		} else if (nd == 2) {
			go.dims[0] = d->sample_ndim == 3 ? (int64_t)d->c * d->h :
			    d->h;
			go.dims[1] = d->w;
		} else
			go.dims[0] = (int64_t)wh_data_sample_size(d);
		go.ndim = nd > 0 ? nd : 1;
	}
	if ((s->graph = wh_graph_new_opts(s->model, &go, err)) == NULL) {
		cli_error("%s", *err);
		free(*err);
		return WH_EXIT_INPUT;
	}
	return 0;
}

int
cli_data_opt(struct cli_data_opts *o, const char *cmd, int id, const char *arg)
{
	long v;
	float f[16];

	switch (id) {
	case OPT_DATA:
		o->images = arg;
		break;
	case OPT_LABELS:
		o->labels = arg;
		break;
	case OPT_SCALE:
		if (wh_parse_floats(arg, f, 1) != 1 || !(f[0] > 0))
			return cli_usage_error(cmd, "--input-scale '%s' is not a "
			    "positive number", arg);
		o->scale = arg;
		break;
	case OPT_MEAN:
		if (wh_parse_floats(arg, f, 16) < 1)
			return cli_usage_error(cmd, "--input-mean '%s' is not a "
			    "comma list of up to 16 numbers", arg);
		o->mean = arg;
		break;
	case OPT_STD:
		if (wh_parse_floats(arg, f, 16) < 1)
			return cli_usage_error(cmd, "--input-std '%s' is not a "
			    "comma list of up to 16 numbers", arg);
		o->std = arg;
		break;
	case OPT_THREADS:
		if ((v = cli_parse_count(arg)) < 1 || v > 256)
			return cli_usage_error(cmd, "--threads '%s' must be 1 to "
			    "256", arg);
		o->threads = (int)v;
		break;
	case OPT_BATCH:
		if ((v = cli_parse_count(arg)) < 1 || v > 65536)
			return cli_usage_error(cmd, "--batch '%s' must be 1 to "
			    "65536", arg);
		o->batch = (int)v;
		break;
	case OPT_LIMIT:
		if ((v = cli_parse_count(arg)) < 1)
			return cli_usage_error(cmd, "--limit '%s' must be a "
			    "positive count", arg);
		o->limit = (size_t)v;
		break;
	case OPT_QUIET:
		o->quiet = 1;
		break;
	case OPT_RESIZE:
		if ((v = cli_parse_count(arg)) < 1 || v > 65536)
			return cli_usage_error(cmd, "--resize '%s' must be 1 to "
			    "65536 pixels", arg);
		o->resize = (int)v;
		break;
	case OPT_CROP:
		if (wh_image_parse_size(arg, &o->crop_h, &o->crop_w) != 0)
			return cli_usage_error(cmd, "--crop '%s' is not N or HxW "
			    "in pixels (1 to 65536)", arg);
		break;
	case OPT_GRAY:
	case OPT_RGB:
		o->channels = id == OPT_GRAY ? 1 : 3;
		break;
	case OPT_LAYOUT:
		if (strcmp(arg, "nchw") != 0 && strcmp(arg, "nhwc") != 0)
			return cli_usage_error(cmd, "--layout '%s' is not nchw or "
			    "nhwc", arg);
		o->nhwc = strcmp(arg, "nhwc") == 0;
		break;
	case OPT_CACHE_MB:
		if ((v = cli_parse_count(arg)) < 0 || v > (1L << 24))
			return cli_usage_error(cmd, "--cache-mb '%s' must be 0 "
			    "to 16777216", arg);
		o->cache_mb = v > 0 ? v : -1;	/* -1: no cache */
		break;
	case OPT_INPUT_SHAPE: {
		int64_t d[WH_MAX_DIMS];

		if (parse_shape(arg, NULL, d) < 1)
			return cli_usage_error(cmd, "--input-shape '%s' is not "
			    "[NAME=]D1,D2,... (up to %d positive sizes)", arg,
			    WH_MAX_DIMS - 1);
		o->input_shape = arg;
		break;
	}
	default:
		return WH_EXIT_USAGE;
	}
	return 0;
}

size_t
cli_cache_bytes(const struct cli_data_opts *o)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t b = (uint64_t)1 << 30;

	if (o != NULL && o->cache_mb < 0)
		return 0;
	if (o != NULL && o->cache_mb > 0)
		return (size_t)o->cache_mb << 20;
	if (pages > 0 && psize > 0)
		b = (uint64_t)pages * (uint64_t)psize / 8;
	if (b < (uint64_t)256 << 20)
		b = (uint64_t)256 << 20;
	if (b > (uint64_t)4 << 30)
		b = (uint64_t)4 << 30;
	return (size_t)b;
}

static char *
exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return NULL;
	*slash = '\0';
	return xstrdup(buf);
}

char *
cli_share_path(const char *rel)
{
	const char *env = getenv("WHITTLE_SHARE_DIR");
	char *dir, *p;

	if (env != NULL && *env != '\0') {
		p = xasprintf("%s/%s", env, rel);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	/* run from the build tree: share/ beside the program or in srcdir */
	if ((dir = exe_dir()) != NULL) {
		/* the build tree, then an installation moved as a whole */
		const char *cands[] = { "%s/share/%s", "%s/../share/%s",
		    "%s/../share/whittle/%s" };
		size_t i;

		for (i = 0; i < sizeof cands / sizeof cands[0]; i++) {
			p = xasprintf(cands[i], dir, rel);
			if (access(p, R_OK) == 0) {
				free(dir);
				return p;
			}
			free(p);
		}
		free(dir);
	}
	p = xasprintf("%s/%s", WH_PKGDATADIR, rel);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

const char *
cli_demo_model(void)
{
	static char *path;

	if (path == NULL)
		path = cli_share_path("models/fashion-cnn.onnx");
	return path;
}

/* dir of path ("." when it has no slash), new string */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * The first of the places a plan may have meant by rec (as recorded,
 * relative to the plan's directory, beside the plan, and with bundled a
 * subdirectory of share/, there) that is a readable file whose SHA-256 is
 * sha (any file when sha is "").  *found (may be NULL) is set when some
 * file was there at all, and *first to the first such (new string).
 */
static char *
find_recorded(const char *plan, const char *rec, const char *sha,
    const char *bundled, int *found, char **first)
{
	char *cands[4], *dir = dir_of(plan), *hit = NULL, digest[65];
	int n = 0, i;

	if (found != NULL)
		*found = 0;
	if (first != NULL)
		*first = NULL;
	cands[n++] = xstrdup(rec);
	if (rec[0] != '/')
		cands[n++] = xasprintf("%s/%s", dir, rec);
	cands[n++] = xasprintf("%s/%s", dir, base_of(rec));
	if (bundled != NULL) {
		char *rel = xasprintf("%s/%s", bundled, base_of(rec));

		if ((cands[n] = cli_share_path(rel)) != NULL)
			n++;
		free(rel);
	}
	for (i = 0; i < n && hit == NULL; i++) {
		if (access(cands[i], R_OK) != 0 ||
		    wh_sha256_file(cands[i], digest, NULL) != 0)
			continue;
		if (found != NULL)
			*found = 1;
		if (first != NULL && *first == NULL)
			*first = xstrdup(cands[i]);
		if (sha[0] == '\0' || strcasecmp(digest, sha) == 0)
			hit = xstrdup(cands[i]);
	}
	for (i = 0; i < n; i++)
		free(cands[i]);
	free(dir);
	return hit;
}

int
cli_plan_inputs(const char *plan, const char **model,
    struct cli_data_opts *o, struct cli_plan_inputs *f)
{
	struct wh_plan p;
	char *err = NULL, *first = NULL;
	int found_i = 0, found_l = 0;

	memset(f, 0, sizeof *f);
	if (*model != NULL && o->images != NULL)
		return 0;
	if (wh_plan_load(&p, plan, &err) != 0) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	if (*model == NULL && p.model_path != NULL) {
		f->model = find_recorded(plan, p.model_path, p.model_sha256,
		    "models", NULL, &first);
		if (f->model == NULL)
			f->model = first;	/* resolving will say it differs */
		else
			free(first);
		if (f->model == NULL) {
			cli_error("%s: the model it was made for, %s, is not "
			    "there, beside the plan or among the bundled models; "
			    "give MODEL", plan, WH_QNAME(p.model_path));
			wh_plan_release(&p);
			return WH_EXIT_INPUT;
		}
		*model = f->model;
	}
	if (o->images == NULL && o->labels == NULL && p.images != NULL &&
	    p.labels != NULL) {
		f->images = find_recorded(plan, p.images, p.images_sha256, NULL,
		    &found_i, NULL);
		f->labels = find_recorded(plan, p.labels, p.labels_sha256, NULL,
		    &found_l, NULL);
		if (f->images != NULL && f->labels != NULL) {
			o->images = f->images;
			o->labels = f->labels;
		} else {
			if ((found_i && f->images == NULL) ||
			    (found_l && f->labels == NULL))
				fprintf(stderr, "whittle: warning: %s: the %s it "
				    "was measured on have changed (another "
				    "SHA-256); using the model's validation set\n",
				    plan, found_i && f->images == NULL ?
				    "images" : "labels");
			free(f->images);
			free(f->labels);
			f->images = f->labels = NULL;
		}
	}
	wh_plan_release(&p);
	return 0;
}

void
cli_plan_inputs_release(struct cli_plan_inputs *f)
{
	free(f->model);
	free(f->images);
	free(f->labels);
	memset(f, 0, sizeof *f);
}

int
cli_load_model(struct cli_session *s, const char *path,
    const struct cli_data_opts *o)
{
	char *err = NULL;
	float v[16];

	memset(s, 0, sizeof *s);
	if (path == NULL) {
		if ((path = cli_demo_model()) == NULL) {
			cli_error("the bundled demo model was not found (looked "
			    "in $WHITTLE_SHARE_DIR, beside the program and in %s)",
			    WH_PKGDATADIR);
			return WH_EXIT_INPUT;
		}
	}
	s->model_path = path;
	if ((s->model = wh_model_load(path, &err)) == NULL) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	if (o != NULL && (o->input_shape != NULL ||
	    (symbolic_input(s->model) && (o->images != NULL ||
	    s->model->dataset != NULL)))) {
		int r = compile_shaped(s, o, &err);

		if (r != 0)
			return r;
	} else if ((s->graph = wh_graph_new(s->model, &err)) == NULL) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	s->pre = s->model->pre;
	s->scale_set = wh_model_meta(s->model, "whittle.input.scale") != NULL;
	if (o != NULL && o->scale != NULL) {
		wh_parse_floats(o->scale, v, 1);
		s->pre.scale = v[0];
		s->scale_set = 1;
	}
	if (o != NULL && o->mean != NULL) {
		s->pre.nmean = wh_parse_floats(o->mean, s->pre.mean, 16);
	}
	if (o != NULL && o->std != NULL) {
		int i;

		s->pre.nstd = wh_parse_floats(o->std, s->pre.std, 16);
		for (i = 0; i < s->pre.nstd; i++)
			if (s->pre.std[i] == 0) {
				cli_error("--input-std '%s' holds a zero", o->std);
				return WH_EXIT_USAGE;
			}
	}
	return 0;
}

/* Loads the set (the default one when o names none) into s->data, labels
 * below max_class when it is not 0. */
static int
load_set(struct cli_session *s, const struct cli_data_opts *o, int max_class)
{
	char *err = NULL;
	int64_t dims[WH_MAX_DIMS];
	int nd;
	struct wh_data_opts dopt = { 0 };
	struct stat st;
	int folder = o->images != NULL && stat(o->images, &st) == 0 &&
	    S_ISDIR(st.st_mode);

	if (folder && o->labels != NULL) {
		cli_error("%s: an image folder takes its labels from its class "
		    "folders; --labels goes with an images file", o->images);
		return WH_EXIT_USAGE;
	}
	if (!folder && (o->resize || o->crop_h || o->channels)) {
		cli_error("--resize, --crop, --grayscale and --rgb go with an "
		    "image folder (--data DIR)");
		return WH_EXIT_USAGE;
	}
	if (folder && o->nhwc) {
		cli_error("--layout goes with IDX and NPY images, not with an "
		    "image folder");
		return WH_EXIT_USAGE;
	}
	if (!folder && (o->images == NULL) != (o->labels == NULL)) {
		cli_error("--data and --labels go together");
		return WH_EXIT_USAGE;
	}
	if (o->images != NULL) {
		s->images = xstrdup(o->images);
		s->labels = folder ? NULL : xstrdup(o->labels);
	} else {
		if (s->model->dataset == NULL) {
			cli_error("%s: the model names no default validation set "
			    "(metadata whittle.dataset); give --data and --labels",
			    s->model_path);
			return WH_EXIT_USAGE;
		}
		if (wh_data_find_default(s->model->dataset, &s->images,
		    &s->labels, &err) != 0) {
			cli_error("%s", err);
			free(err);
			return WH_EXIT_INPUT;
		}
	}
	/* Image transforms: the options, else the metadata, else the
	 * model's input (C, H, W) decides channels and size. */
	if (wh_image_pre_from_model(s->model, &dopt.img, &err) != 0) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	if (o->resize > 0)
		dopt.img.resize = o->resize;
	if (o->crop_h > 0) {
		dopt.img.crop_h = o->crop_h;
		dopt.img.crop_w = o->crop_w;
	}
	/* a crop asked for pads as torchvision's does; the model's size
	 * alone does not pad an image that is too small */
	dopt.img.pad = dopt.img.crop_h > 0;
	if (o->channels > 0)
		dopt.img.channels = o->channels;
	/* the compiled input's dims; before compiling (symbolic dims bound
	 * from the data), the images decide */
	nd = s->graph != NULL ? wh_graph_input_dims(s->graph, dims) : 0;
	if (nd == 3 && dopt.img.channels == 0 && (dims[0] == 1 ||
	    dims[0] == 3))
		dopt.img.channels = (int)dims[0];
	if (nd == 3 && dopt.img.crop_h == 0 && dims[1] > 0 && dims[2] > 0 &&
	    dims[1] <= 65536 && dims[2] <= 65536) {
		dopt.img.crop_h = (int)dims[1];
		dopt.img.crop_w = (int)dims[2];
	}
	dopt.nhwc = o->nhwc;
	s->data = wh_data_load_opts(s->images, s->labels, max_class, &dopt,
	    &err);
	if (s->data == NULL) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	return 0;
}

int
cli_load_data(struct cli_session *s, const struct cli_data_opts *o)
{
	char *err = NULL;
	int64_t dims[WH_MAX_DIMS];
	int nd, channels, r;

	if (s->data == NULL) {
		if ((r = load_set(s, o, (int)wh_graph_output_size(s->graph))) != 0)
			return r;
	} else if ((size_t)s->data->nclasses > wh_graph_output_size(s->graph)) {
		/* loaded before the graph knew its output size */
		cli_error("%s: labels reach class %d; the model has %zu "
		    "outputs", s->labels, s->data->nclasses - 1,
		    wh_graph_output_size(s->graph));
		return WH_EXIT_INPUT;
	}
	if (s->model->ninputs > 0 &&
	    wh_data_check_shape(s->data, &s->model->inputs[0], &err) != 0) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	nd = wh_graph_input_dims(s->graph, dims);
	channels = nd == 3 ? (int)dims[0] : 1;
	if ((s->pre.nmean > 1 && s->pre.nmean != channels) ||
	    (s->pre.nstd > 1 && s->pre.nstd != channels)) {
		cli_error("%s: the input mean or std has %d values, the input "
		    "has %d channels", s->model_path,
		    s->pre.nmean > 1 ? s->pre.nmean : s->pre.nstd, channels);
		return WH_EXIT_INPUT;
	}
	return 0;
}

void
cli_session_release(struct cli_session *s)
{
	wh_data_free(s->data);
	wh_graph_free(s->graph);
	wh_model_free(s->model);
	free(s->images);
	free(s->labels);
	memset(s, 0, sizeof *s);
}

int
cli_show_progress(const struct cli_data_opts *o)
{
	return !o->quiet && isatty(STDERR_FILENO);
}

static int progress_drawn;

int
cli_progress(void *arg, size_t done, size_t total, size_t correct)
{
	const char *label = arg;
	int width = 30, fill = total ? (int)(width * done / total) : width, i;

	fprintf(stderr, "\r%s [", label ? label : "evaluating");
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %zu/%zu  accuracy so far %.2f%%", done, total,
	    done ? 100.0 * correct / done : 0.0);
	fflush(stderr);
	progress_drawn = 1;
	return 0;
}

void
cli_progress_done(void)
{
	if (progress_drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_drawn = 0;
	}
}



int
cli_name_matches(const char *globs, const char *name)
{
	char *copy, *tok, *save = NULL;
	int hit = 0;

	if (globs == NULL)
		return 1;
	copy = xstrdup(globs);
	for (tok = strtok_r(copy, ",", &save); tok && !hit;
	    tok = strtok_r(NULL, ",", &save))
		hit = fnmatch(tok, name, 0) == 0;
	free(copy);
	return hit;
}
