/*
 * latency.c - from a changed setting to the final accuracy, as the
 * workbench's worker does it: compress the changed layer (memoized), then
 * re-evaluate the whole validation set starting at the first changed layer
 * from cached activations.
 *
 *   latency MODEL IMAGES LABELS THREADS CHANGES PLAN_OUT
 *
 * Prints one JSON line with the medians for changes in the first and in
 * the last layer, and writes the final settings as a plan (for timing a
 * full ONNX Runtime pass of the same compressed model).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/data.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/plan.h"
#include "whittle/state.h"
#include "whittle/util.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
die(const char *what, char *err)
{
	fprintf(stderr, "latency: %s: %s\n", what, err ? err : "failed");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dataset *d;
	struct wh_state *s;
	struct wh_eval_opts o = { 0 };
	struct wh_metrics mt;
	struct wh_plan plan;
	char *err = NULL;
	int nl, changes, i, k, nfirst = 0, nlast = 0, nmid = 0;
	double *first, *last, *mid, t0, t1, startup;

	if (argc != 7) {
		fprintf(stderr, "usage: latency MODEL IMAGES LABELS THREADS "
		    "CHANGES PLAN_OUT\n");
		return 2;
	}
	t0 = wh_now();
	if ((m = wh_model_load(argv[1], &err)) == NULL)
		die(argv[1], err);
	if ((g = wh_graph_new(m, &err)) == NULL)
		die(argv[1], err);
	if ((d = wh_data_load(argv[2], argv[3], 0, &err)) == NULL)
		die(argv[2], err);
	o.threads = atoi(argv[4]);
	o.cache_bytes = (size_t)1 << 30;
	changes = atoi(argv[5]);
	if ((s = wh_state_new(g, d, &m->pre, 1, &o, &err)) == NULL)
		die("state", err);
	/* the baseline fills the caches, as when the workbench opens */
	if (wh_state_run(s, 0, NULL, NULL, &mt, NULL, &err) != 0)
		die("baseline", err);
	wh_metrics_release(&mt);
	startup = wh_now() - t0;
	nl = wh_graph_nlayers(g);
	first = calloc(changes, sizeof *first);
	last = calloc(changes, sizeof *last);
	mid = calloc(changes, sizeof *mid);
	/* changes spread over the layers: bit widths 8, 6, 5, 4 in turn */
	for (k = 0; k < changes; k++) {
		int layer = k % nl;
		struct wh_layer_cfg c = *wh_state_cfg(s, layer);

		c.qtype = WH_Q_INT;
		c.bits = 8 - (k / nl) % 4 - ((k / nl) % 4 > 0);
		c.per_channel = 1;
		t0 = wh_now();
		if (wh_state_set(s, layer, &c, &err) != 0 ||
		    wh_state_run(s, 0, NULL, NULL, &mt, NULL, &err) != 0)
			die("change", err);
		t1 = wh_now();
		wh_metrics_release(&mt);
		if (layer == 0)
			first[nfirst++] = t1 - t0;
		else if (layer == nl - 1)
			last[nlast++] = t1 - t0;
		else
			mid[nmid++] = t1 - t0;
	}
	wh_plan_init(&plan);
	for (i = 0; i < nl; i++)
		wh_plan_set_layer(&plan, wh_graph_layer(g, i)->name,
		    wh_state_cfg(s, i));
	if (wh_plan_save(&plan, argv[6], &err) != 0)
		die(argv[6], err);
	printf("{\"changes\": %d, \"first_layer_median\": %.6f, "
	    "\"last_layer_median\": %.6f, \"middle_layers_median\": %.6f, "
	    "\"open_and_baseline\": %.6f}\n", changes,
	    nfirst ? median(first, nfirst) : 0, nlast ? median(last, nlast) : 0,
	    nmid ? median(mid, nmid) : 0, startup);
	wh_plan_release(&plan);
	free(first);
	free(last);
	free(mid);
	wh_state_free(s);
	wh_data_free(d);
	wh_graph_free(g);
	wh_model_free(m);
	return 0;
}
