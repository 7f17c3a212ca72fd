/* cmd-tui.c - whittle [MODEL]: the interactive workbench's command line */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../tui/tui.h"
#include "whittle/plan.h"
#include "whittle/util.h"

enum { OPT_ASCII = 2000, OPT_SETTINGS };

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle [MODEL] [--data IMAGES --labels LABELS] [--plan PLAN]\n"
	    "               [--ascii] [--threads N] [--cache-mb N] [--settings LIST]\n"
	    "\n"
	    "Opens the interactive workbench on MODEL (default: the bundled demo\n"
	    "CNN and its validation set): pick each layer's low-rank, pruning and\n"
	    "quantization settings and watch accuracy and size follow while the\n"
	    "validation set is re-evaluated in the background.  Press ? inside\n"
	    "for the keys.\n"
	    "\n"
	    "  --data FILE|DIR     images: IDX (gzip or plain) or NPY, or an image\n"
	    "                      folder (see whittle eval --help)\n"
	    "  --labels FILE       labels: IDX or NPY\n"
	    "  --input-scale S     pixel scale (default: model metadata, else 1/255)\n"
	    "  --input-mean LIST   per-channel mean, comma separated\n"
	    "  --input-std LIST    per-channel std, comma separated\n"
	    "  --plan FILE         open with the settings of this plan\n"
	    "  --ascii             ASCII plots and symbols (automatic when the\n"
	    "                      locale is not UTF-8)\n"
	    "  --threads N         evaluation threads (default: all CPUs)\n"
	    "  --cache-mb N        activation cache in MiB (default: an eighth of the\n"
	    "                      memory, 256 to 4096; 0: none), so that a change\n"
	    "                      re-evaluates from the changed layer on\n"
	    "  --limit N           evaluate only the first N samples\n"
	    "  --batch N           samples per batch (default 256)\n"
	    "  --settings LIST     the sensitivity pane's candidate settings (see\n"
	    "                      whittle sensitivity --help)\n"
	    "  -h, --help          show this help\n");
}

int
cmd_tui(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DATA_LONGOPTS,
		{ "plan", required_argument, NULL, OPT_PLAN },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "settings", required_argument, NULL, OPT_SETTINGS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_data_opts o = { 0 };
	struct cli_session s;
	struct tui_opts to = { 0 };
	struct wh_layer_cfg *cfg = NULL;
	const char *model = NULL, *plan = NULL, *settings = NULL;
	char *warn = NULL, *serr = NULL;
	struct cli_plan_inputs pi = { 0 };
	int ascii = 0, ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return WH_EXIT_OK;
		case OPT_PLAN:
			plan = optarg;
			break;
		case OPT_ASCII:
			ascii = 1;
			break;
		case OPT_SETTINGS:
			settings = optarg;
			break;
		case ':':
		case '?':
			return cli_bad_option(NULL, ch, argv);
		default:
			if ((r = cli_data_opt(&o, NULL, ch, optarg)) != 0)
				return r;
		}
	}
	if ((r = cli_model_arg(NULL, argc, argv, &model)) != 0)
		return r;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("the workbench needs a terminal; use 'whittle eval' "
		    "for scripts");
		return WH_EXIT_USAGE;
	}
	/* the plan's own model and data, unless others are given */
	if (plan != NULL && (r = cli_plan_inputs(plan, &model, &o, &pi)) != 0)
		return r;
	if ((r = cli_load_model(&s, model, &o)) != 0 ||
	    (r = cli_load_data(&s, &o)) != 0) {
		cli_session_release(&s);
		cli_plan_inputs_release(&pi);
		return r;
	}
	if (plan != NULL) {
		cfg = xcalloc((size_t)wh_graph_nlayers(s.graph) + 1, sizeof *cfg);
		if ((r = cli_load_plan(&s, plan, 0, cfg, &warn)) != 0) {
			free(cfg);
			cli_session_release(&s);
			cli_plan_inputs_release(&pi);
			return r;
		}
	}
	if ((r = wh_sens_settings(settings, &to.settings, &serr)) < 0) {
		r = cli_usage_error(NULL, "--settings: %s", serr);
		free(serr);
		free(warn);
		free(cfg);
		cli_session_release(&s);
		cli_plan_inputs_release(&pi);
		return r;
	}
	to.nsettings = r;
	to.model = s.model;
	to.graph = s.graph;
	to.data = s.data;
	to.pre = s.pre;
	to.scale_set = s.scale_set;
	to.model_path = s.model_path;
	to.images = s.images;
	to.labels = s.labels;
	to.plan_path = plan;
	to.plan_cfg = cfg;
	to.plan_warn = warn;
	to.ascii = ascii;
	to.threads = o.threads;
	to.batch = o.batch;
	to.cache_bytes = cli_cache_bytes(&o);
	to.limit = o.limit;
	r = tui_run(&to);
	free(to.settings);
	free(warn);
	free(cfg);
	cli_session_release(&s);
	cli_plan_inputs_release(&pi);
	return r;
}
