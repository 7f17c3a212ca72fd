/* cmd-plan.c - whittle plan: a plan from command-line settings, measured */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "whittle/util.h"

enum {
	P_SPARSITY = 2000, P_THRESHOLD, P_CHANNEL, P_NORM, P_GLOBAL, P_NM,
	P_BITS, P_BF16, P_ASYM, P_GRAN, P_CLIP, P_RANK, P_ENERGY, P_SPATIAL,
	P_ACT, P_ACTCAL, P_LAYERS
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle plan [MODEL] [--sparsity S | --threshold T |\n"
	    "                    --channel-sparsity S] [--global] [--nm N:M]\n"
	    "                    [--bits B] [--granularity tensor|channel]\n"
	    "                    [--rank R | --energy E] [--layers GLOB] [-o PLAN]\n"
	    "\n"
	    "Writes a plan (whittle-plan(5)) that applies the given settings to every\n"
	    "layer matching GLOB, evaluates it against the baseline and records the\n"
	    "result.  Without -o the plan is printed on standard output.\n"
	    "\n"
	    "pruning:\n"
	    "  --sparsity S          zero the fraction S of weights of least magnitude\n"
	    "  --threshold T         zero the weights with |w| < T\n"
	    "  --channel-sparsity S  zero the fraction S of output channels of least norm\n"
	    "  --channel-norm l1|l2  the norm that ranks channels (default l2)\n"
	    "  --global              with --sparsity: one magnitude threshold over all\n"
	    "                        chosen layers instead of S in each\n"
	    "  --nm N:M              keep the N largest of every M weights along the input\n"
	    "quantization:\n"
	    "  --bits B              weight bits: 2 to 8 (integers) or 16 (fp16)\n"
	    "  --bf16                with --bits 16: bfloat16 instead of fp16\n"
	    "  --asymmetric          unsigned codes with a zero point (default symmetric)\n"
	    "  --granularity G       tensor or channel (default channel)\n"
	    "  --clip C              minmax or mse (default minmax)\n"
	    "  --act-bits 8          quantize the layers' inputs to uint8 as well\n"
	    "  --act-calibration C   minmax (the default) or percentile (99.99)\n"
	    "low-rank:\n"
	    "  --rank R              truncated SVD to rank R (layers whose maximum rank\n"
	    "                        is not above R are left alone)\n"
	    "  --energy E            the smallest rank keeping the fraction E of energy\n"
	    "  --spatial             factor convolutions spatially, (out*kh) x (in*kw)\n"
	    "selection and output:\n"
	    "  --layers GLOB         comma separated name patterns (default: all)\n"
	    "  -o, --output PLAN     write the plan there (atomically)\n"
	    "  --json                print the measured result as JSON\n"
	    "and the data options of 'whittle eval': --data, --labels, --input-scale,\n"
	    "--input-mean, --input-std, --resize, --crop, --grayscale, --rgb,\n"
	    "--layout, --limit, --threads, --batch, --cache-mb, --quiet.\n"
	    "  -h, --help            show this help\n");
}

static int
parse_float(const char *cmd, const char *opt, const char *arg, float lo,
    float hi, float *out)
{
	float v;

	if (wh_parse_floats(arg, &v, 1) != 1 || !(v >= lo && v <= hi))
		return cli_usage_error(cmd, "%s '%s' must be a number from %g "
		    "to %g", opt, arg, lo, hi);
	*out = v;
	return 0;
}

int
cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DATA_LONGOPTS,
		{ "sparsity", required_argument, NULL, P_SPARSITY },
		{ "threshold", required_argument, NULL, P_THRESHOLD },
		{ "channel-sparsity", required_argument, NULL, P_CHANNEL },
		{ "channel-norm", required_argument, NULL, P_NORM },
		{ "global", no_argument, NULL, P_GLOBAL },
		{ "nm", required_argument, NULL, P_NM },
		{ "bits", required_argument, NULL, P_BITS },
		{ "bf16", no_argument, NULL, P_BF16 },
		{ "asymmetric", no_argument, NULL, P_ASYM },
		{ "granularity", required_argument, NULL, P_GRAN },
		{ "clip", required_argument, NULL, P_CLIP },
		{ "rank", required_argument, NULL, P_RANK },
		{ "energy", required_argument, NULL, P_ENERGY },
		{ "spatial", no_argument, NULL, P_SPATIAL },
		{ "act-bits", required_argument, NULL, P_ACT },
		{ "act-calibration", required_argument, NULL, P_ACTCAL },
		{ "layers", required_argument, NULL, P_LAYERS },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_data_opts o = { 0 };
	struct cli_session s;
	struct wh_eval_opts eo = { 0 };
	struct wh_layer_cfg cfg;
	struct wh_state *st = NULL;
	struct wh_metrics base, m;
	struct wh_plan plan;
	const char *model = NULL, *out = NULL, *globs = NULL;
	int json = 0, global = 0, ch, r, i, n, chosen = 0, prog;
	long v;
	int act_calib = -1;	/* -1: the core's default */
	char *err = NULL, *txt;
	double t0, t1;

	wh_layer_cfg_init(&cfg);
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
		case P_SPARSITY:
		case P_THRESHOLD:
		case P_CHANNEL:
			if (cfg.prune_mode != WH_PRUNE_NONE)
				return cli_usage_error("plan", "--sparsity, "
				    "--threshold and --channel-sparsity exclude "
				    "each other");
			if (ch == P_THRESHOLD) {
				r = parse_float("plan", "--threshold", optarg, 0,
				    1e30f, &cfg.threshold);
				cfg.prune_mode = WH_PRUNE_THRESHOLD;
			} else {
				r = parse_float("plan", ch == P_SPARSITY ?
				    "--sparsity" : "--channel-sparsity", optarg,
				    0, 1, &cfg.sparsity);
				cfg.prune_mode = ch == P_SPARSITY ?
				    WH_PRUNE_SPARSITY : WH_PRUNE_CHANNEL;
			}
			break;
		case P_NORM:
			if (strcmp(optarg, "l1") && strcmp(optarg, "l2"))
				return cli_usage_error("plan", "--channel-norm "
				    "'%s' must be l1 or l2", optarg);
			cfg.channel_norm = optarg[1] - '0';
			break;
		case P_GLOBAL:
			global = 1;
			break;
		case P_NM:
			if (sscanf(optarg, "%d:%d", &cfg.nm_n, &cfg.nm_m) != 2 ||
			    cfg.nm_n < 1 || cfg.nm_n >= cfg.nm_m ||
			    cfg.nm_m > WH_NM_MAX)
				return cli_usage_error("plan", "--nm '%s' must be "
				    "N:M with 0 < N < M <= %d", optarg, WH_NM_MAX);
			break;
		case P_BITS:
			v = cli_parse_count(optarg);
			if (v == 16)
				cfg.qtype = cfg.qtype == WH_Q_BF16 ? WH_Q_BF16 :
				    WH_Q_FP16;
			else if (v >= 2 && v <= 8) {
				cfg.qtype = WH_Q_INT;
				cfg.bits = (int)v;
			} else
				return cli_usage_error("plan", "--bits '%s' must "
				    "be 2 to 8, or 16", optarg);
			break;
		case P_BF16:
			cfg.qtype = WH_Q_BF16;
			break;
		case P_ASYM:
			cfg.symmetric = 0;
			break;
		case P_GRAN:
			if (strcmp(optarg, "tensor") && strcmp(optarg, "channel"))
				return cli_usage_error("plan", "--granularity '%s' "
				    "must be tensor or channel", optarg);
			cfg.per_channel = optarg[0] == 'c';
			break;
		case P_CLIP:
			if (strcmp(optarg, "minmax") && strcmp(optarg, "mse"))
				return cli_usage_error("plan", "--clip '%s' must "
				    "be minmax or mse", optarg);
			cfg.clip = optarg[1] == 's' ? WH_CLIP_MSE : WH_CLIP_MINMAX;
			break;
		case P_RANK:
			if ((v = cli_parse_count(optarg)) < 1 || v > 1 << 24)
				return cli_usage_error("plan", "--rank '%s' must "
				    "be a positive integer", optarg);
			cfg.lr_mode = WH_LR_RANK;
			cfg.rank = (int)v;
			break;
		case P_ENERGY:
			r = parse_float("plan", "--energy", optarg, 1e-6f, 1,
			    &cfg.energy);
			cfg.lr_mode = WH_LR_ENERGY;
			break;
		case P_SPATIAL:
			cfg.spatial = 1;
			break;
		case P_ACT:
			if (strcmp(optarg, "8") != 0)
				return cli_usage_error("plan", "--act-bits '%s': "
				    "only 8 is supported", optarg);
			cfg.act_bits = 8;
			break;
		case P_ACTCAL:
			if (strcmp(optarg, "minmax") && strcmp(optarg, "percentile"))
				return cli_usage_error("plan", "--act-calibration "
				    "'%s' must be minmax or percentile", optarg);
			act_calib = optarg[0] == 'p' ? WH_ACT_PERCENTILE :
			    WH_ACT_MINMAX;
			break;
		case P_LAYERS:
			globs = optarg;
			break;
		case ':':
		case '?':
			return cli_bad_option("plan", ch, argv);
		default:
			r = cli_data_opt(&o, "plan", ch, optarg);
		}
		if (r != 0)
			return r;
	}
	if ((r = cli_model_arg("plan", argc, argv, &model)) != 0)
		return r;
	if (cfg.act_bits && act_calib >= 0)
		cfg.act_calib = act_calib;
	if (global && cfg.prune_mode != WH_PRUNE_SPARSITY)
		return cli_usage_error("plan", "--global goes with --sparsity");
	if (cfg.spatial && cfg.lr_mode == WH_LR_NONE)
		return cli_usage_error("plan", "--spatial goes with --rank or "
		    "--energy");
	if ((r = cli_load_model(&s, model, &o)) != 0 ||
	    (r = cli_load_data(&s, &o)) != 0)
		goto out;
	eo.threads = o.threads;
	eo.batch = o.batch;
	eo.cache_bytes = cli_cache_bytes(&o);
	if ((st = wh_state_new(s.graph, s.data, &s.pre, s.scale_set, &eo,
	    &err)) == NULL) {
		cli_error("%s", err);
		r = WH_EXIT_INPUT;
		goto out;
	}
	prog = cli_show_progress(&o);
	/* the baseline first: its cached activations serve the second run */
	r = wh_state_run(st, o.limit, prog ? cli_progress : NULL,
	    (void *)"baseline", &base, NULL, &err);
	if (r != 0) {
		cli_error("%s", err ? err : "evaluation failed");
		/* what fails with a message is the data (an image file) */
		r = err != NULL ? WH_EXIT_INPUT : WH_EXIT_INTERNAL;
		goto out;
	}
	n = wh_graph_nlayers(s.graph);
	if (global) {
		const float **ws = xcalloc(n, sizeof *ws);
		size_t *ns = xcalloc(n, sizeof *ns);
		int k = 0;

		for (i = 0; i < n; i++) {
			const struct wh_layer *l = wh_graph_layer(s.graph, i);

			if (!cli_name_matches(globs, l->name))
				continue;
			ws[k] = l->w;
			ns[k++] = (size_t)(l->out * l->in);
		}
		cfg.threshold = wh_prune_global_threshold(ws, ns, k, cfg.sparsity);
		cfg.prune_mode = WH_PRUNE_THRESHOLD;
		free(ws);
		free(ns);
	}
	wh_plan_init(&plan);
	for (i = 0; i < n; i++) {
		const struct wh_layer *l = wh_graph_layer(s.graph, i);
		struct wh_layer_cfg c = cfg;

		if (!cli_name_matches(globs, l->name))
			continue;
		chosen++;
		if (c.lr_mode != WH_LR_NONE && (l->max_rank == 0 ||
		    (c.lr_mode == WH_LR_RANK && c.rank >= l->max_rank))) {
			/* a factorization this wide would not be smaller */
			c.lr_mode = WH_LR_NONE;
			c.spatial = 0;
		}
		if (l->kind != WH_LAYER_CONV)
			c.spatial = 0;
		if (wh_state_set(st, i, &c, &err) != 0) {
			cli_error("%s", err);
			r = WH_EXIT_USAGE;
			goto out_plan;
		}
		wh_plan_set_layer(&plan, l->name, &c);
	}
	if (chosen == 0) {
		cli_error("--layers '%s' matches no layer of %s", globs,
		    s.model_path);
		r = WH_EXIT_USAGE;
		goto out_plan;
	}
	t0 = wh_now();
	r = wh_state_run(st, o.limit, prog ? cli_progress : NULL,
	    (void *)"compressed", &m, NULL, &err);
	t1 = wh_now();
	cli_progress_done();
	if (r != 0) {
		cli_error("%s", err ? err : "evaluation failed");
		/* what fails with a message is the data (an image file) */
		r = err != NULL ? WH_EXIT_INPUT : WH_EXIT_INTERNAL;
		goto out_base;
	}
	cli_plan_record(&plan, &s, st, &base, &m);
	if (out != NULL) {
		if (wh_plan_save(&plan, out, &err) != 0) {
			cli_error("%s", err);
			r = WH_EXIT_INTERNAL;
		} else if (json)
			cli_json_compressed(&s, st, &base, &m, out, t1 - t0);
		else
			cli_print_compressed(&s, st, &base, &m, out, t1 - t0);
	} else {
		txt = wh_plan_to_json(&plan);
		fputs(txt, stdout);
		free(txt);
	}
	wh_metrics_release(&m);
out_base:
	wh_metrics_release(&base);
out_plan:
	wh_plan_release(&plan);
out:
	free(err);
	wh_state_free(st);
	cli_session_release(&s);
	return r;
}
