/* cmd-search.c - whittle search: the smallest verified plan within an
 * accuracy budget */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "whittle/search.h"
#include "whittle/util.h"

enum { X_MAX_DROP = 2000, X_OBJECTIVE, X_TARGET, X_LOCK, X_METHODS,
	X_SETTINGS, X_NO_COMBINE, X_NO_CACHE, X_FRONT };

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle search [MODEL] --max-drop D [--objective size|macs]\n"
	    "                      [--target-ratio R] [--lock GLOB [--plan PLAN]]\n"
	    "                      [--methods quant,prune,lowrank] -o PLAN\n"
	    "\n"
	    "Chooses one setting per layer from the sensitivity table (measuring what\n"
	    "the cache lacks) by solving the multiple-choice knapsack exactly, then\n"
	    "verifies the choice by a full evaluation.  When the measured drop exceeds\n"
	    "the budget it backs off the choice that costs the most accuracy per byte\n"
	    "and verifies again.  Writes the chosen plan and the Pareto front of the\n"
	    "verified plans (PLAN's name with .front-N before .json).\n"
	    "\n"
	    "  --max-drop D          points of accuracy the plan may lose (default 1)\n"
	    "  --objective O         size (bytes, the default) or macs (non-zero MACs)\n"
	    "  --target-ratio R      instead: the least predicted drop reaching R times\n"
	    "                        smaller; the budget is then only reported\n"
	    "  --lock GLOB           keep these layers as they are (off, or as --plan\n"
	    "                        sets them) and search around them\n"
	    "  --plan PLAN           the settings of the locked layers\n"
	    "  --methods LIST        of quant, prune, lowrank, act (default the first\n"
	    "                        three)\n"
	    "  --settings LIST       the single settings measured (see sensitivity)\n"
	    "  --no-combine          do not measure two-part settings (e0.9+int4)\n"
	    "  --no-front            write only the chosen plan\n"
	    "  --no-cache            neither read nor write the sensitivity cache\n"
	    "  -o, --output PLAN     the plan to write (atomically)\n"
	    "  --json                print the verified plans as JSON\n"
	    "and the data options of 'whittle eval': --data, --labels, --input-scale,\n"
	    "--input-mean, --input-std, --threads, --batch, --cache-mb, --quiet.\n"
	    "  -h, --help            show this help\n");
}

static int progress_on;

static int
search_progress(void *arg, int done, int total, const char *layer,
    const char *setting)
{
	(void)arg;
	if (!progress_on)
		return 0;
	fprintf(stderr, "\r\033[Kmeasuring %d/%d", done, total);
	if (layer != NULL)
		fprintf(stderr, "  %.40s %s", layer, setting);
	fflush(stderr);
	return 0;
}

static void
search_note(void *arg, const char *what)
{
	(void)arg;
	if (progress_on) {
		fprintf(stderr, "\r\033[K%s\n", what);
		fflush(stderr);
	}
}

/* "out.json" -> "out.front-2.json" */
static char *
front_path(const char *plan, int k)
{
	size_t n = strlen(plan);

	if (n > 5 && strcmp(plan + n - 5, ".json") == 0)
		return xasprintf("%.*s.front-%d.json", (int)(n - 5), plan, k);
	return xasprintf("%s.front-%d.json", plan, k);
}

static int
point_cmp_ratio(const void *a, const void *b)
{
	const struct wh_search_point *x = *(const struct wh_search_point *const *)a;
	const struct wh_search_point *y = *(const struct wh_search_point *const *)b;

	return x->ratio < y->ratio ? -1 : x->ratio > y->ratio;
}

static int
write_point(struct cli_session *s, struct wh_state *st,
    const struct wh_metrics *base, const struct wh_search_point *p,
    const struct wh_search_result *res, const struct wh_search_opts *so,
    const char *methods, const char *path)
{
	struct wh_plan plan;
	char *err = NULL;
	int i, r = 0;

	wh_plan_init(&plan);
	for (i = 0; i < wh_graph_nlayers(s->graph); i++) {
		if (wh_state_set(st, i, &p->cfgs[i], &err) != 0) {
			cli_error("%s", err);
			free(err);
			wh_plan_release(&plan);
			return WH_EXIT_INTERNAL;
		}
		wh_plan_set_layer(&plan, wh_graph_layer(s->graph, i)->name,
		    &p->cfgs[i]);
	}
	cli_plan_record(&plan, s, st, base, &p->m);
	plan.search.has = 1;
	plan.search.max_drop = so->max_drop;
	snprintf(plan.search.objective, sizeof plan.search.objective, "%s",
	    so->objective == WH_OBJ_MACS ? "macs" : "size");
	plan.search.target_ratio = so->target_ratio;
	snprintf(plan.search.methods, sizeof plan.search.methods, "%s",
	    methods);
	memcpy(plan.search.table_sha256, res->table_sha256, 65);
	plan.search.evaluations = res->evaluations;
	plan.search.backoffs = res->backoffs;
	plan.search.passes = res->passes;
	if (wh_plan_save(&plan, path, &err) != 0) {
		cli_error("%s", err);
		free(err);
		r = WH_EXIT_INTERNAL;
	}
	wh_plan_release(&plan);
	return r;
}

int
cmd_search(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DATA_LONGOPTS,
		{ "max-drop", required_argument, NULL, X_MAX_DROP },
		{ "objective", required_argument, NULL, X_OBJECTIVE },
		{ "target-ratio", required_argument, NULL, X_TARGET },
		{ "lock", required_argument, NULL, X_LOCK },
		{ "plan", required_argument, NULL, OPT_PLAN },
		{ "methods", required_argument, NULL, X_METHODS },
		{ "settings", required_argument, NULL, X_SETTINGS },
		{ "no-combine", no_argument, NULL, X_NO_COMBINE },
		{ "no-front", no_argument, NULL, X_FRONT },
		{ "no-cache", no_argument, NULL, X_NO_CACHE },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_data_opts o = { 0 };
	struct cli_session s;
	struct wh_eval_opts eo = { 0 };
	struct wh_search_opts so;
	struct wh_search_result res = { 0 };
	struct wh_sens_table t;
	struct wh_sens_setting *set = NULL;
	struct wh_layer_cfg *lcfg = NULL;
	struct wh_state *st = NULL;
	struct wh_metrics base;
	const char *model = NULL, *out = NULL, *lock = NULL, *planpath = NULL,
	    *list = NULL, *methods = "quant,prune,lowrank";
	unsigned char *locked = NULL;
	char *err = NULL, *cache = NULL, *warn = NULL;
	int json = 0, nocache = 0, nofront = 0, ch, r, i, k, nset, have_t = 0,
	    have_base = 0, drop_set = 0;
	float v;

	wh_search_opts_default(&so);
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
		case X_MAX_DROP:
			if (wh_parse_floats(optarg, &v, 1) != 1 || !(v >= 0 &&
			    v <= 100))
				return cli_usage_error("search", "--max-drop '%s' "
				    "must be points from 0 to 100", optarg);
			so.max_drop = v;
			drop_set = 1;
			break;
		case X_OBJECTIVE:
			if (strcmp(optarg, "size") && strcmp(optarg, "macs"))
				return cli_usage_error("search", "--objective '%s' "
				    "must be size or macs", optarg);
			so.objective = optarg[0] == 'm' ? WH_OBJ_MACS :
			    WH_OBJ_SIZE;
			break;
		case X_TARGET:
			if (wh_parse_floats(optarg, &v, 1) != 1 || !(v >= 1))
				return cli_usage_error("search", "--target-ratio "
				    "'%s' must be a number >= 1", optarg);
			so.target_ratio = v;
			break;
		case X_LOCK:
			lock = optarg;
			break;
		case OPT_PLAN:
			planpath = optarg;
			break;
		case X_METHODS:
			if (wh_search_methods(optarg, &so.methods, &err) != 0) {
				r = cli_usage_error("search", "--methods: %s", err);
				free(err);
				return r;
			}
			methods = optarg;
			break;
		case X_SETTINGS:
			list = optarg;
			break;
		case X_NO_COMBINE:
			so.combine = 0;
			break;
		case X_FRONT:
			nofront = 1;
			break;
		case X_NO_CACHE:
			nocache = 1;
			break;
		case ':':
		case '?':
			return cli_bad_option("search", ch, argv);
		default:
			r = cli_data_opt(&o, "search", ch, optarg);
		}
		if (r != 0)
			return r;
	}
	if ((r = cli_model_arg("search", argc, argv, &model)) != 0)
		return r;
	if (out == NULL)
		return cli_usage_error("search", "give -o PLAN for the chosen "
		    "plan");
	if (!drop_set && so.target_ratio <= 0)
		return cli_usage_error("search", "give --max-drop D (points) or "
		    "--target-ratio R");
	if (planpath != NULL && lock == NULL)
		return cli_usage_error("search", "--plan goes with --lock");
	if ((nset = wh_sens_settings(list, &set, &err)) < 0) {
		r = cli_usage_error("search", "%s", err);
		free(err);
		return r;
	}
	if ((r = cli_load_model(&s, model, &o)) != 0 ||
	    (r = cli_load_data(&s, &o)) != 0)
		goto out;
	k = wh_graph_nlayers(s.graph);
	lcfg = xcalloc(k ? k : 1, sizeof *lcfg);
	for (i = 0; i < k; i++)
		wh_layer_cfg_init(&lcfg[i]);
	if (lock != NULL) {
		int any = 0;

		if (planpath != NULL && (r = cli_load_plan(&s, planpath, 0, lcfg,
		    &err)) != 0)
			goto out;
		if (err != NULL) {
			fprintf(stderr, "whittle: %s\n", err);
			free(err);
			err = NULL;
		}
		locked = xcalloc(k ? k : 1, 1);
		for (i = 0; i < k; i++)
			if (cli_name_matches(lock, wh_graph_layer(s.graph, i)->name))
				locked[i] = any = 1;
		if (!any) {
			cli_error("--lock '%s' matches no layer of %s", lock,
			    s.model_path);
			r = WH_EXIT_USAGE;
			goto out;
		}
		so.locked = locked;
		so.locked_cfg = lcfg;
	}
	eo.threads = o.threads;
	eo.batch = o.batch;
	eo.cache_bytes = cli_cache_bytes(&o);
	if ((st = wh_state_new(s.graph, s.data, &s.pre, s.scale_set, &eo,
	    &err)) == NULL) {
		cli_error("%s", err);
		r = WH_EXIT_INPUT;
		goto out;
	}
	wh_sens_table_init(&t, s.graph, set, nset);
	have_t = 1;
	/* the cache's two-part columns serve this search too */
	if (wh_sens_cache_read(&t, s.model_path, s.data, 1, nocache, &cache,
	    &warn, &err) < 0) {
		cli_error("%s", err);
		r = WH_EXIT_INPUT;
		goto out;
	}
	if (warn != NULL) {
		fprintf(stderr, "whittle: %s\n", warn);
		free(warn);
	}
	if (wh_state_run(st, 0, NULL, NULL, &base, NULL, &err) != 0) {
		cli_error("%s", err ? err : "evaluation failed");
		r = WH_EXIT_INTERNAL;
		goto out;
	}
	have_base = 1;
	progress_on = cli_show_progress(&o);
	so.progress = search_progress;
	so.note = search_note;
	r = wh_search_run(st, &t, &so, &res, &err);
	if (progress_on)
		fputs("\r\033[K", stderr);
	if (cache != NULL) {
		char *e2 = NULL;

		if (wh_sens_save(&t, cache, &e2) != 0) {
			fprintf(stderr, "whittle: the cache was not written: %s\n",
			    e2);
			free(e2);
		}
	}
	if (r < 0) {
		cli_error("%s", err ? err : "the search failed");
		r = WH_EXIT_INTERNAL;
		goto out;
	}
	if (r == 1 || res.chosen < 0) {
		cli_error("no plan of %s loses at most %.2f points (the last "
		    "verified lost %.2f)", s.model_path, so.max_drop,
		    res.npoints ? res.points[res.npoints - 1].drop : 0.0);
		r = WH_EXIT_NOFIT;
		goto out;
	}
	if ((r = write_point(&s, st, &base, &res.points[res.chosen], &res, &so,
	    methods, out)) != 0)
		goto out;
	{
		struct wh_search_point **front = xcalloc(res.npoints,
		    sizeof *front);
		cJSON *jroot = NULL, *jpoints = NULL;
		struct wh_search_point **byratio = xcalloc(res.npoints,
		    sizeof *byratio);
		int nf = 0, j, jj;

		for (j = 0; j < res.npoints; j++)
			if (res.points[j].on_front)
				front[nf++] = &res.points[j];
		qsort(front, nf, sizeof *front, point_cmp_ratio);
		/* printed largest first */
		for (j = 0; j < res.npoints; j++)
			byratio[j] = &res.points[j];
		qsort(byratio, res.npoints, sizeof *byratio, point_cmp_ratio);
		for (j = 0; j < res.npoints / 2; j++) {
			struct wh_search_point *x = byratio[j];

			byratio[j] = byratio[res.npoints - 1 - j];
			byratio[res.npoints - 1 - j] = x;
		}
		if (json) {
			jroot = cJSON_CreateObject();
			cJSON_AddStringToObject(jroot, "chosen", out);
			cJSON_AddNumberToObject(jroot, "baseline_accuracy",
			    base.accuracy);
			cJSON_AddNumberToObject(jroot, "evaluations",
			    res.evaluations);
			cJSON_AddNumberToObject(jroot, "backoffs", res.backoffs);
			cJSON_AddNumberToObject(jroot, "passes", res.passes);
			cJSON_AddStringToObject(jroot, "table_sha256",
			    res.table_sha256);
			jpoints = cJSON_AddArrayToObject(jroot, "points");
		}
		else {
			printf("baseline   %.2f%% (%llu of %llu), %u verifications, "
			    "%u back-offs, %.1f full-pass equivalents\n",
			    100.0 * base.accuracy,
			    (unsigned long long)base.correct,
			    (unsigned long long)base.samples, res.evaluations,
			    res.backoffs, res.passes);
			printf("   ratio  accuracy  change  predicted  plan\n");
		}
		for (jj = 0; jj < res.npoints; jj++) {
			const struct wh_search_point *p = byratio[jj];
			char *path = NULL;
			int fi;

			j = (int)(p - res.points);

			for (fi = 0; fi < nf && front[fi] != p; fi++)
				;
			if (j == res.chosen)
				path = xstrdup(out);
			else if (fi < nf && !nofront) {
				path = front_path(out, fi + 1);
				if ((r = write_point(&s, st, &base, p, &res, &so,
				    methods, path)) != 0) {
					free(path);
					free(front);
					free(byratio);
					cJSON_Delete(jroot);
					goto out;
				}
			}
			if (json) {
				cJSON *jp = cJSON_CreateObject();

				cJSON_AddNumberToObject(jp, "ratio", p->ratio);
				cJSON_AddNumberToObject(jp, "accuracy",
				    p->m.accuracy);
				cJSON_AddNumberToObject(jp, "drop", p->drop);
				cJSON_AddNumberToObject(jp, "predicted_drop",
				    100.0 * (double)p->predicted /
				    (double)t.samples);
				cJSON_AddNumberToObject(jp, "bytes",
				    (double)p->bytes);
				cJSON_AddNumberToObject(jp, "macs",
				    (double)p->macs);
				cJSON_AddBoolToObject(jp, "front", p->on_front);
				cJSON_AddBoolToObject(jp, "chosen",
				    j == res.chosen);
				if (path != NULL)
					cJSON_AddStringToObject(jp, "plan", path);
				else
					cJSON_AddNullToObject(jp, "plan");
				cJSON_AddItemToArray(jpoints, jp);
			}
			else
				printf("%7.2fx  %7.2f%%  %+6.2f  %+8.2f  %s%s\n",
				    p->ratio, 100.0 * p->m.accuracy, -p->drop,
				    -100.0 * (double)p->predicted /
				    (double)t.samples, path ? path : "-",
				    j == res.chosen ? "  (chosen)" : "");
			free(path);
		}
		if (json) {
			char *txt = cJSON_Print(jroot);

			if (txt != NULL)
				printf("%s\n", txt);
			cJSON_free(txt);
			cJSON_Delete(jroot);
		}
		free(front);
		free(byratio);
	}
	r = WH_EXIT_OK;
out:
	free(err);
	free(cache);
	free(set);
	free(lcfg);
	free(locked);
	if (have_base)
		wh_metrics_release(&base);
	wh_search_result_release(&res);
	if (have_t)
		wh_sens_table_release(&t);
	wh_state_free(st);
	cli_session_release(&s);
	return r;
}
