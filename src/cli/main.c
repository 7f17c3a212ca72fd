/* main.c - whittle's entry point: dispatches to a command */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "whittle/util.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *what;
} commands[] = {
	{ "inspect", cmd_inspect, "show every layer's weight statistics and spectrum" },
	{ "eval", cmd_eval, "measure accuracy on a validation set, as is or with a plan" },
	{ "plan", cmd_plan, "write a plan from settings given on the command line" },
	{ "apply", cmd_apply, "write the compressed model a plan describes" },
	{ "sensitivity", cmd_sensitivity, "measure what each layer can take, setting by setting" },
	{ "search", cmd_search, "find the smallest verified plan within an accuracy budget" },
	{ "run", cmd_run, "run a model on input files and write its outputs as NPY" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: whittle COMMAND [options] [MODEL]\n"
	    "       whittle [MODEL] [--plan PLAN] [options]   the interactive workbench\n"
	    "\n"
	    "Compress trained neural networks (ONNX) layer by layer and see what\n"
	    "each setting costs in accuracy.  With no MODEL, commands use the\n"
	    "bundled Fashion-MNIST demo CNN and its default validation set.\n"
	    "\n"
	    "commands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
	fprintf(f,
	    "\n"
	    "options:\n"
	    "  -h, --help     show this help, or a command's with 'whittle COMMAND --help'\n"
	    "  -V, --version  show the version\n"
	    "\n"
	    "exit status: 0 success, 2 usage error, 3 bad input file, 4 internal error.\n"
	    "See whittle(1) and whittle-plan(5).\n");
}

/*
 * whittle runs its own worker threads over samples and calls BLAS from each
 * with one thread.  OpenBLAS starts its thread pool when it loads, and idle
 * pool threads compete with the workers for the cores, so unless the user
 * chose OPENBLAS_NUM_THREADS, set it to 1 and start again.
 */
static void
single_threaded_blas(char **argv)
{
	if (getenv("OPENBLAS_NUM_THREADS") != NULL)
		return;
	if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0)
		return;
	execv("/proc/self/exe", argv);
	/* no /proc: carry on with the pool */
}

int
main(int argc, char **argv)
{
	size_t i;

	single_threaded_blas(argv);
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	/* no command: the interactive workbench on the demo */
	if (argc < 2)
		return cmd_tui(argc, argv);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char *sub[] = { argv[2], (char *)"--help", NULL };

			for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
				if (strcmp(argv[2], commands[i].name) == 0)
					return commands[i].run(2, sub);
			return cli_usage_error(NULL, "unknown command %s",
			    WH_QNAME(argv[2]));
		}
		usage(stdout);
		return WH_EXIT_OK;
	}
	/* --version anywhere, for the program and every command */
	for (i = 1; i < (size_t)argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--version") == 0 ||
		    (i == 1 && strcmp(argv[i], "-V") == 0)) {
			printf("whittle %s\n", WH_VERSION);
			return WH_EXIT_OK;
		}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	/* a model file or an option: the interactive workbench */
	if (argv[1][0] == '-' || strchr(argv[1], '/') != NULL ||
	    strchr(argv[1], '.') != NULL || access(argv[1], F_OK) == 0)
		return cmd_tui(argc, argv);
	return cli_usage_error(NULL, "unknown command %s",
	    WH_QNAME(argv[1]));
}
