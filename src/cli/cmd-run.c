/* cmd-run.c - whittle run: a model's raw outputs on given inputs, as NPY */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "whittle/run.h"
#include "whittle/util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: whittle run MODEL [NAME=]FILE... -o DIR\n"
	    "\n"
	    "Runs MODEL on the given inputs and writes every graph output as\n"
	    "DIR/<output name>.npy.  Each FILE is NPY or a serialized ONNX\n"
	    "TensorProto (.pb) in float32, int64, int32 or bool; files go to the\n"
	    "graph inputs in order, or to the input NAME=FILE names.  The first\n"
	    "float input of two or more dims is batched along its first dim and\n"
	    "the others are constants; a graph that cannot run that way is folded\n"
	    "with every input a constant.\n"
	    "\n"
	    "  -o, --output DIR  where the outputs go (created when missing)\n"
	    "  -q, --quiet       print nothing on success\n"
	    "  -h, --help        show this help\n");
}

/* The model input NAME=FILE names, or -1 when arg is a plain FILE. */
static int
named_input(const struct wh_model *m, const char *arg, const char **file)
{
	const char *eq = strchr(arg, '=');
	size_t i;

	*file = arg;
	if (eq == NULL)
		return -1;
	for (i = 0; i < m->ninputs; i++)
		if (strlen(m->inputs[i].name) == (size_t)(eq - arg) &&
		    strncmp(m->inputs[i].name, arg, eq - arg) == 0) {
			*file = eq + 1;
			return (int)i;
		}
	return -1;
}

/* DIR/<name>.npy, with what a file name cannot hold made '_'. */
static char *
output_path(const char *dir, const char *name)
{
	char *s = xasprintf("%s/%s.npy", dir, name[0] ? name : "output");
	char *p = s + strlen(dir) + 1;

	for (; *p != '\0'; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 32)
			*p = '_';
	if (s[strlen(dir) + 1] == '.')
		s[strlen(dir) + 1] = '_';
	return s;
}

static const char *
type_name(int elem_type)
{
	switch (elem_type) {
	case 7: return "int64";
	case 6: return "int32";
	case 9: return "bool";
	default: return "float32";
	}
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct wh_model *m = NULL;
	struct wh_tensor *in = NULL, *out = NULL;
	const char *dir = NULL, *how, **files = NULL;
	char *err = NULL, dims[160];
	int ch, quiet = 0, rc = WH_EXIT_INPUT, next = 0, k, nfiles;
	size_t i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+ho:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return WH_EXIT_OK;
		case 'o':
			dir = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cli_usage_error("run", "bad option");
		}
	}
	/* options may follow the operands too */
	for (k = optind; k < argc; k++)
		if (strcmp(argv[k], "-o") == 0 || strcmp(argv[k], "--output") == 0) {
			if (k + 1 >= argc)
				return cli_usage_error("run", "-o needs a DIR");
			dir = argv[k + 1];
			memmove(argv + k, argv + k + 2, (argc - k - 2) *
			    sizeof *argv);
			argc -= 2;
			k--;
		} else if (strcmp(argv[k], "-q") == 0 ||
		    strcmp(argv[k], "--quiet") == 0) {
			quiet = 1;
			memmove(argv + k, argv + k + 1, (argc - k - 1) *
			    sizeof *argv);
			argc--;
			k--;
		}
	if (optind >= argc)
		return cli_usage_error("run", "no MODEL given");
	if (dir == NULL)
		return cli_usage_error("run", "no output directory given (-o DIR)");
	if ((m = wh_model_load(argv[optind], &err)) == NULL) {
		cli_error("%s", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	nfiles = argc - optind - 1;
	if ((size_t)nfiles > m->ninputs) {
		rc = cli_usage_error("run", "%s has %zu inputs, %d files given",
		    argv[optind], m->ninputs, nfiles);
		goto done;
	}
	files = xcalloc(m->ninputs ? m->ninputs : 1, sizeof *files);
	for (k = 0; k < nfiles; k++) {
		const char *arg = argv[optind + 1 + k], *file;
		int ix = named_input(m, arg, &file);

		if (ix < 0) {
			while ((size_t)next < m->ninputs && files[next] != NULL)
				next++;
			ix = next;
		}
		if ((size_t)ix >= m->ninputs || files[ix] != NULL) {
			rc = cli_usage_error("run", "'%s': input '%s' is given "
			    "twice", arg, (size_t)ix < m->ninputs ?
			    m->inputs[ix].name : "?");
			goto done;
		}
		files[ix] = file;
	}
	in = xcalloc(m->ninputs ? m->ninputs : 1, sizeof *in);
	for (i = 0; i < m->ninputs; i++) {
		if (files[i] == NULL) {
			cli_error("%s: input '%s' is not given", argv[optind],
			    m->inputs[i].name);
			goto done;
		}
		if (wh_tensor_read(files[i], &in[i], &err) != 0) {
			cli_error("%s", err);
			goto done;
		}
	}
	out = xcalloc(m->noutputs ? m->noutputs : 1, sizeof *out);
	if (wh_run(m, in, out, &how, &err) != 0) {
		cli_error("%s", err);
		goto done;
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		cli_error("%s: %s", dir, strerror(errno));
		rc = WH_EXIT_INTERNAL;
		goto done;
	}
	for (i = 0; i < m->noutputs; i++) {
		char *path = output_path(dir, m->outputs[i].name);

		if (wh_npy_write(path, &out[i], out[i].elem_type, &err) != 0) {
			cli_error("%s", err);
			free(path);
			rc = WH_EXIT_INTERNAL;
			goto done;
		}
		if (!quiet)
			printf("%s  %s %s\n", path, type_name(out[i].elem_type),
			    wh_dims_str(out[i].dims, out[i].ndim, dims,
			    sizeof dims));
		free(path);
	}
	if (!quiet)
		printf("(%s)\n", how);
	rc = WH_EXIT_OK;
done:
	free(err);
	for (i = 0; in != NULL && i < m->ninputs; i++)
		wh_tensor_release(&in[i]);
	for (i = 0; out != NULL && i < m->noutputs; i++)
		wh_tensor_release(&out[i]);
	free(in);
	free(out);
	free(files);
	wh_model_free(m);
	return rc;
}
