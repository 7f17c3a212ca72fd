/* cmd-apply.c - whittle apply: a plan turned into a compressed model file */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "whittle/export.h"
#include "whittle/util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle apply [MODEL] --plan PLAN -o OUT.onnx|OUT.safetensors\n"
	    "                     [--strict] [--qdq] [--float-copy]\n"
	    "                     [--data IMAGES --labels LABELS]\n"
	    "\n"
	    "Compresses MODEL (default: the bundled demo) as PLAN says and writes\n"
	    "it as standard ONNX that any runtime loads (low-rank layers as two\n"
	    "nodes, quantized weights as integer initializers dequantized by\n"
	    "Cast, Sub and Mul, activation quantization as its float arithmetic,\n"
	    "pruned weights in a sparse encoding), or as safetensors with the\n"
	    "naming of whittle-plan(5).  Plans that quantize activations are\n"
	    "calibrated on the validation set, so they need the data.  With no\n"
	    "MODEL, the model the plan was made for is used.\n"
	    "\n"
	    "  --plan PLAN         the plan file (whittle-plan(5))\n"
	    "  -o, --output FILE   the file to write, atomically\n"
	    "  --strict            a plan made for another model file is an error\n"
	    "  --qdq               quantized weights as DequantizeLinear (standard\n"
	    "                      QDQ form) instead of Cast, Sub and Mul; runtimes\n"
	    "                      may then fuse them into integer kernels whose\n"
	    "                      results differ from whittle's in a few predictions\n"
	    "  --float-copy        safetensors: also each compressed weight as dense\n"
	    "                      floats, beside its codes\n"
	    "  --data, --labels, --input-scale, --input-mean, --input-std,\n"
	    "  --threads           as for 'whittle eval'\n"
	    "  -h, --help          show this help\n");
}

/* Options of this command alone, after those of cli.h. */
enum { OPT_FLOAT_COPY = OPT_QDQ + 100 };

int
cmd_apply(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DATA_LONGOPTS,
		{ "plan", required_argument, NULL, OPT_PLAN },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "qdq", no_argument, NULL, OPT_QDQ },
		{ "float-copy", no_argument, NULL, OPT_FLOAT_COPY },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_data_opts o = { 0 };
	struct cli_session s;
	struct wh_eval_opts eo = { 0 };
	struct wh_export_opts xo = { 0 };
	struct wh_state *st = NULL;
	const char *model = NULL, *plan = NULL, *out = NULL;
	int strict = 0, ch, r, safet, have_data;
	char *err = NULL;
	struct stat sb;
	struct cli_plan_inputs pi = { 0 };

	optind = 1;
	while ((ch = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return WH_EXIT_OK;
		case 'o':
			out = optarg;
			break;
		case OPT_PLAN:
			plan = optarg;
			break;
		case OPT_STRICT:
			strict = 1;
			break;
		case OPT_QDQ:
			xo.qdq = 1;
			break;
		case OPT_FLOAT_COPY:
			xo.float_copy = 1;
			break;
		case ':':
		case '?':
			return cli_bad_option("apply", ch, argv);
		default:
			if ((r = cli_data_opt(&o, "apply", ch, optarg)) != 0)
				return r;
		}
	}
	if ((r = cli_model_arg("apply", argc, argv, &model)) != 0)
		return r;
	if (plan == NULL || out == NULL)
		return cli_usage_error("apply", "--plan and -o are required");
	if ((safet = wh_export_format(out, &err)) < 0) {
		r = cli_usage_error("apply", "-o %s", err);
		free(err);
		return r;
	}
	safet = safet == WH_EXPORT_SAFETENSORS;
	memset(&s, 0, sizeof s);
	/* the plan's own model and data, unless others are given */
	if ((r = cli_plan_inputs(plan, &model, &o, &pi)) != 0)
		goto out;
	if ((r = cli_load_model(&s, model, &o)) != 0)
		goto out;
	/* data only calibrates activation ranges: use it when it is there */
	have_data = o.images != NULL;
	if (!have_data && s.model->dataset != NULL) {
		char *im = NULL, *lb = NULL;

		have_data = wh_data_find_default(s.model->dataset, &im, &lb,
		    NULL) == 0;
		free(im);
		free(lb);
	}
	if (have_data && (r = cli_load_data(&s, &o)) != 0)
		goto out;
	eo.threads = o.threads;
	if ((st = wh_state_new(s.graph, s.data, &s.pre, s.scale_set, &eo,
	    &err)) == NULL) {
		cli_error("%s", err);
		r = WH_EXIT_INPUT;
		goto out;
	}
	if ((r = cli_apply_plan(&s, st, plan, strict, 0)) != 0)
		goto out;
	r = safet ? wh_export_safetensors_opts(s.model, s.graph,
	    wh_state_results(st), &xo, out, &err) : wh_export_onnx_opts(s.model,
	    s.graph, wh_state_results(st), &xo, out, &err);
	if (r != 0) {
		cli_error("%s", err);
		r = WH_EXIT_INTERNAL;
		goto out;
	}
	if (!o.quiet && stat(out, &sb) == 0) {
		struct wh_totals t;
		char b1[32], b2[32];

		wh_state_totals(st, &t);
		printf("wrote %s: %s on disk (the model file: %s), %.2fx smaller "
		    "than float32 by whittle's count\n", out,
		    wh_fmt_bytes((double)sb.st_size, b1, sizeof b1),
		    wh_fmt_bytes((double)s.model->file_bytes, b2, sizeof b2),
		    t.ratio);
		/* more than framing: an encoding the model's opset cannot take
		 * (4-bit codes need 21, bitmasks 13) */
		if (!safet && (double)sb.st_size > (double)t.bytes +
		    ((double)sb.st_size / 20 > 6144 ? (double)sb.st_size / 20 :
		    6144))
			printf("note: whittle counts %s for the encodings it "
			    "prefers; at opset %lld this file holds %s\n",
			    wh_fmt_bytes((double)t.bytes, b1, sizeof b1),
			    (long long)s.model->opset,
			    wh_fmt_bytes((double)sb.st_size, b2, sizeof b2));
	}
out:
	free(err);
	wh_state_free(st);
	cli_session_release(&s);
	cli_plan_inputs_release(&pi);
	return r;
}
