/* cmd-sensitivity.c - whittle sensitivity: every layer against every
 * candidate setting, measured, cached, shardable */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "whittle/sensitivity.h"
#include "whittle/stats.h"
#include "whittle/util.h"

enum { S_SETTINGS = 2000, S_LAYERS, S_SHARD, S_MERGE, S_NO_CACHE,
	S_NEGLIGIBLE, S_HOPELESS, S_PRECISION, S_MIN_SAMPLES };

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle sensitivity [MODEL] [--settings LIST] [--layers GLOB]\n"
	    "                           [--shard K/N -o FILE] [--json] [--no-cache]\n"
	    "       whittle sensitivity [MODEL] --merge FILE...\n"
	    "\n"
	    "Measures, for every layer and every candidate setting, the change in\n"
	    "accuracy and the mean KL divergence from the baseline's outputs with only\n"
	    "that layer changed.  Each cell restarts at its layer from cached\n"
	    "activations and stops early once its 95%% Wilson interval says it is\n"
	    "clearly negligible or clearly beyond the range of interest.  The table\n"
	    "is cached by the SHA-256 of the model and the data.\n"
	    "\n"
	    "  --settings LIST       comma separated settings (default: int8..int2, fp16,\n"
	    "                        sp10..sp95, 2:4, ch10..ch75, e0.5..e0.99, act8);\n"
	    "                        parts join with '+', e.g. e0.9+int4\n"
	    "  --layers GLOB         comma separated name patterns (default: all)\n"
	    "  --shard K/N           measure the K-th of N deterministic parts of the\n"
	    "                        cells (1 <= K <= N) and write them with -o\n"
	    "  --merge FILE...       join partial tables into the cache, then print\n"
	    "  -o, --output FILE     write the table there (atomically)\n"
	    "  --no-cache            neither read nor write the cache\n"
	    "  --negligible P        stop a cell when its flip rate or its loss is\n"
	    "                        surely below P points (default 0.25)\n"
	    "  --hopeless P          stop a cell when it surely loses more than P\n"
	    "                        points (default 5)\n"
	    "  --precision P         stop a cell when its 95%% interval is narrower\n"
	    "                        than P points (default 2; search refines the\n"
	    "                        cells it may choose to its budget)\n"
	    "  --min-samples N       decide no cell on fewer samples (default 512)\n"
	    "  --json                print the table as JSON\n"
	    "and the data options of 'whittle eval': --data, --labels, --input-scale,\n"
	    "--input-mean, --input-std, --threads, --batch, --cache-mb, --quiet.\n"
	    "  -h, --help            show this help\n");
}

struct progress {
	int on;
	double t0;
};

static int
sens_progress(void *arg, int done, int total, const char *layer,
    const char *setting)
{
	struct progress *p = arg;
	int width = 24, fill = total ? width * done / total : width, i;

	if (!p->on)
		return 0;
	fprintf(stderr, "\r\033[Ksensitivity [");
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %d/%d cells", done, total);
	if (layer != NULL)
		fprintf(stderr, "  %.40s %s", layer, setting);
	fflush(stderr);
	return 0;
}

/* The table on standard output: a row per layer, a column per setting,
 * the accuracy change in points; the data-free view at the end. */
static void
print_table(const struct cli_session *s, const struct wh_sens_table *t)
{
	int i, k, w = 12;
	char buf[32];

	for (i = 0; i < t->nlayers; i++)
		if ((int)strlen(t->layers[i]) > w)
			w = (int)strlen(t->layers[i]) > 40 ? 40 :
			    (int)strlen(t->layers[i]);
	printf("accuracy change in points with one layer changed (baseline "
	    "%.2f%%, %llu samples);\n~ stopped early (estimate), - the layer "
	    "cannot take it\n", t->samples ? 100.0 * t->base_correct /
	    t->samples : 0.0, (unsigned long long)t->samples);
	printf("%-*s", w, "layer");
	for (k = 0; k < t->nsettings; k++)
		printf(" %7.7s", t->settings[k].name);
	printf("   alpha  srank  erank\n");
	for (i = 0; i < t->nlayers; i++) {
		int li = wh_graph_find_layer(s->graph, t->layers[i]);
		const struct wh_layer *l = li >= 0 ? wh_graph_layer(s->graph,
		    li) : NULL;

		printf("%-*.*s", w, w, t->layers[i]);
		for (k = 0; k < t->nsettings; k++) {
			const struct wh_sens_cell *c =
			    &t->cells[(size_t)i * t->nsettings + k];

			if (c->status == WH_SENS_TODO)
				buf[0] = '\0';
			else if (c->status == WH_SENS_SKIPPED)
				snprintf(buf, sizeof buf, "-");
			else
				snprintf(buf, sizeof buf, "%s%+.2f",
				    c->status == WH_SENS_EARLY ? "~" : "",
				    -c->drop);
			printf(" %7s", buf);
		}
		if (l != NULL && l->max_rank > 0) {
			float *sv = xmalloc(l->max_rank * sizeof *sv);
			struct wh_powerlaw pl;
			char *err = NULL;

			if (wh_svals(l->w, l->out, l->in, sv, &err) == 0) {
				if (wh_powerlaw_fit(sv, l->max_rank, &pl) == 0)
					printf("  %6.2f", pl.alpha);
				else
					printf("  %6s", "-");
				printf(" %6.1f %6.1f", wh_stable_rank(sv,
				    l->max_rank), wh_effective_rank(sv,
				    l->max_rank));
			}
			free(err);
			free(sv);
		}
		putchar('\n');
	}
	printf("%.1f full-pass equivalents spent on %d cells (%d layers x %d "
	    "settings)\n", t->passes, t->nlayers * t->nsettings, t->nlayers,
	    t->nsettings);
}

static int
parse_shard(const char *arg, int *k, int *n)
{
	char tail;

	return sscanf(arg, "%d/%d%c", k, n, &tail) == 2 && *n >= 1 &&
	    *n <= 100000 && *k >= 1 && *k <= *n ? 0 : -1;
}

int
cmd_sensitivity(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DATA_LONGOPTS,
		{ "settings", required_argument, NULL, S_SETTINGS },
		{ "layers", required_argument, NULL, S_LAYERS },
		{ "shard", required_argument, NULL, S_SHARD },
		{ "merge", no_argument, NULL, S_MERGE },
		{ "no-cache", no_argument, NULL, S_NO_CACHE },
		{ "negligible", required_argument, NULL, S_NEGLIGIBLE },
		{ "hopeless", required_argument, NULL, S_HOPELESS },
		{ "precision", required_argument, NULL, S_PRECISION },
		{ "min-samples", required_argument, NULL, S_MIN_SAMPLES },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_data_opts o = { 0 };
	struct cli_session s;
	struct wh_eval_opts eo = { 0 };
	struct wh_sens_table t, part;
	struct wh_sens_setting *set = NULL;
	struct wh_sens_opts so;
	struct wh_state *st = NULL;
	struct progress pr = { 0 };
	const char *model = NULL, *out = NULL, *globs = NULL, *list = NULL;
	char *err = NULL, *cache = NULL, *warn = NULL, *txt;
	unsigned char *mask = NULL;
	int json = 0, merge = 0, nocache = 0, ch, r, i, k, nset, shard = 0,
	    nshards = 0, have_table = 0, from_cache = 0;
	float v;
	long cnt;

	memset(&so, 0, sizeof so);
	wh_sens_rule_default(&so.rule);
	memset(&s, 0, sizeof s);
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		r = 0;
		switch (ch) {
		case 'h':
			usage(stdout);
			return WH_EXIT_OK;
		case 'o':
			out = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case S_SETTINGS:
			list = optarg;
			break;
		case S_LAYERS:
			globs = optarg;
			break;
		case S_SHARD:
			if (parse_shard(optarg, &shard, &nshards) != 0)
				return cli_usage_error("sensitivity", "--shard "
				    "'%s' must be K/N with 1 <= K <= N", optarg);
			break;
		case S_MERGE:
			merge = 1;
			break;
		case S_NO_CACHE:
			nocache = 1;
			break;
		case S_NEGLIGIBLE:
		case S_HOPELESS:
		case S_PRECISION:
			if (wh_parse_floats(optarg, &v, 1) != 1 || !(v >= 0 &&
			    v <= 100))
				return cli_usage_error("sensitivity", "%s '%s' "
				    "must be points from 0 to 100", ch ==
				    S_HOPELESS ? "--hopeless" : ch == S_PRECISION ?
				    "--precision" : "--negligible", optarg);
			if (ch == S_HOPELESS)
				so.rule.hopeless = v;
			else if (ch == S_PRECISION)
				so.rule.precision = v;
			else
				so.rule.negligible = v;
			break;
		case S_MIN_SAMPLES:
			if ((cnt = cli_parse_count(optarg)) < 0)
				return cli_usage_error("sensitivity",
				    "--min-samples '%s' must be a whole number",
				    optarg);
			so.rule.min_samples = (uint64_t)cnt;
			break;
		case ':':
		case '?':
			return cli_bad_option("sensitivity", ch, argv);
		default:
			r = cli_data_opt(&o, "sensitivity", ch, optarg);
		}
		if (r != 0)
			return r;
	}
	if (merge) {
		/* the operands: tables (*.json) and at most one MODEL */
		int ntab = 0;

		for (i = optind; i < argc; i++) {
			size_t len = strlen(argv[i]);

			if (len > 5 && strcmp(argv[i] + len - 5, ".json") == 0)
				ntab++;
			else if (model == NULL)
				model = argv[i];
			else
				return cli_usage_error("sensitivity", "--merge "
				    "takes one MODEL and tables ending in .json; "
				    "'%.60s' is neither", argv[i]);
		}
		if (ntab == 0)
			return cli_usage_error("sensitivity", "--merge needs "
			    "the partial tables (*.json) to join");
	} else if ((r = cli_model_arg("sensitivity", argc, argv, &model)) != 0)
		return r;
	if (nshards > 0 && out == NULL)
		return cli_usage_error("sensitivity", "--shard writes a partial "
		    "table: give -o FILE");
	if ((nset = wh_sens_settings(list, &set, &err)) < 0) {
		r = cli_usage_error("sensitivity", "%s", err);
		free(err);
		return r;
	}
	if ((r = cli_load_model(&s, model, &o)) != 0 ||
	    (r = cli_load_data(&s, &o)) != 0)
		goto out;
	wh_sens_table_init(&t, s.graph, set, nset);
	have_table = 1;
	if (wh_sens_cache_read(&t, s.model_path, s.data, 0, nocache, &cache,
	    &warn, &err) < 0) {
		cli_error("%s", err);
		r = WH_EXIT_INPUT;
		goto out;
	}
	if (warn != NULL) {
		/* a damaged cache is measured again, not trusted */
		fprintf(stderr, "whittle: %s\n", warn);
		free(warn);
	}
	for (i = 0; i < t.nlayers * t.nsettings; i++)
		from_cache += t.cells[i].status != WH_SENS_TODO;
	if (merge) {
		for (; optind < argc; optind++) {
			if (argv[optind] == model)
				continue;
			if (wh_sens_load(&part, argv[optind], &err) != 0) {
				cli_error("%s", err);
				r = WH_EXIT_INPUT;
				goto out;
			}
			k = wh_sens_merge(&t, &part, &err);
			wh_sens_table_release(&part);
			if (k < 0) {
				cli_error("%s: %s", argv[optind], err);
				r = WH_EXIT_INPUT;
				goto out;
			}
		}
	} else {
		eo.threads = o.threads;
		eo.batch = o.batch;
		eo.cache_bytes = cli_cache_bytes(&o);
		if ((st = wh_state_new(s.graph, s.data, &s.pre, s.scale_set,
		    &eo, &err)) == NULL) {
			cli_error("%s", err);
			r = WH_EXIT_INPUT;
			goto out;
		}
		if (globs != NULL) {
			int any = 0;

			mask = xcalloc((size_t)t.nlayers * t.nsettings + 1, 1);
			for (i = 0; i < t.nlayers; i++)
				if (cli_name_matches(globs, t.layers[i]))
					for (any = 1, k = 0; k < t.nsettings; k++)
						mask[(size_t)i * t.nsettings + k] = 1;
			if (!any) {
				cli_error("--layers '%s' matches no layer of %s",
				    globs, s.model_path);
				r = WH_EXIT_USAGE;
				goto out;
			}
			so.cell_mask = mask;
		}
		so.shard = shard - 1;
		so.nshards = nshards;
		pr.on = cli_show_progress(&o);
		so.progress = sens_progress;
		so.arg = &pr;
		r = wh_sens_measure(st, &t, &so, &err);
		if (pr.on)
			fputs("\r\033[K", stderr);
		if (r != 0) {
			cli_error("%s", err ? err : "measuring failed");
			r = WH_EXIT_INTERNAL;
			goto out;
		}
	}
	if (!o.quiet && !merge)
		fprintf(stderr, "whittle: measured %llu cells, %d from the "
		    "cache\n", (unsigned long long)t.measured, from_cache);
	/* shards write only their part, never the shared cache */
	if (cache != NULL && nshards == 0 && wh_sens_save(&t, cache, &err) != 0) {
		fprintf(stderr, "whittle: the cache was not written: %s\n", err);
		free(err);
		err = NULL;
	}
	if (out != NULL && wh_sens_save(&t, out, &err) != 0) {
		cli_error("%s", err);
		r = WH_EXIT_INTERNAL;
		goto out;
	}
	if (json) {
		txt = wh_sens_to_json(&t);
		fputs(txt, stdout);
		free(txt);
	} else if (out == NULL || !nshards)
		print_table(&s, &t);
	r = WH_EXIT_OK;
out:
	free(err);
	free(cache);
	free(mask);
	free(set);
	if (have_table)
		wh_sens_table_release(&t);
	wh_state_free(st);
	cli_session_release(&s);
	return r;
}
