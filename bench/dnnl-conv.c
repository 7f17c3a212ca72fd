/*
 * dnnl-conv.c - one model's ops timed with the reference kernels and with
 * oneDNN's, the way the evaluator runs them: a batch split into jobs of 64
 * samples that THREADS threads take in turn.
 *
 *   bench/dnnl-conv MODEL [BATCH [THREADS [REPEATS]]]
 *
 * Prints one line: the milliseconds per batch with the reference kernels,
 * with oneDNN as the evaluator runs it (one OpenMP thread inside each of
 * THREADS threads), and with oneDNN on the whole batch at once in one
 * thread with THREADS OpenMP threads (each the mean of three medians of
 * REPEATS batches, the three timed in alternation), and what oneDNN ran
 * for the first op.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl-int.h"
#include "whittle/model.h"
#include "whittle/util.h"

#define JOB 64

struct worker {
	const struct wh_graph *g;
	struct wh_dnnl *d;	/* NULL: the reference */
	int id, threads;
	size_t batch, job;
	float **buf;
	float *scratch;
};

static float **
bufs(const struct wh_graph *g, const struct wh_dnnl *d, size_t job)
{
	float **b = xcalloc(g->nt, sizeof *b);
	int t;

	for (t = 0; t < g->nt; t++)
		if (!g->t[t].is_const && g->t[t].alias < 0)
			b[t] = xcalloc(job * (d ? wh_dnnl_tensor_floats(d, t) :
			    g->t[t].ss) + 16, sizeof **b);
	for (t = 0; t < g->nt; t++)
		if (g->t[t].alias >= 0)
			b[t] = b[g->t[t].alias];
	for (size_t i = 0; i < job * g->t[g->input].ss; i++)
		b[g->input][i] = 0.1f + 2 * cosf((float)i);
	return b;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	size_t start;
	int q;

	for (start = (size_t)w->id * w->job; start < w->batch;
	    start += (size_t)w->threads * w->job) {
		size_t n = w->batch - start < w->job ? w->batch - start : w->job;

		for (q = 0; q < w->g->nops; q++) {
			if (w->d != NULL) {
				q += wh_dnnl_run(w->d, q, NULL, NULL, w->buf, n,
				    w->scratch, w->id);
				continue;
			}
			wh_op_run(w->g, &w->g->ops[q], NULL, NULL, w->buf, n,
			    w->scratch);
			q += wh_op_fused(w->g, &w->g->ops[q], NULL);
		}
	}
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median milliseconds of repeats batches. */
static double
timeit(struct worker *w, int threads, int repeats)
{
	pthread_t tid[64];
	double *ms = xcalloc(repeats + 1, sizeof *ms), med;
	int r, i;

	for (r = -1; r < repeats; r++) {
		double t0 = wh_now();

		for (i = 1; i < threads; i++)
			pthread_create(&tid[i], NULL, work, &w[i]);
		work(&w[0]);
		for (i = 1; i < threads; i++)
			pthread_join(tid[i], NULL);
		if (r >= 0)
			ms[r] = (wh_now() - t0) * 1e3;
	}
	qsort(ms, repeats, sizeof *ms, cmp);
	med = repeats % 2 ? ms[repeats / 2] : (ms[repeats / 2 - 1] +
	    ms[repeats / 2]) / 2;
	free(ms);
	return med;
}

int
main(int argc, char **argv)
{
	char *err = NULL;
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dnnl *d, *domp;
	struct worker w[3][64];
	size_t batch = argc > 2 ? strtoul(argv[2], NULL, 10) : 256, need = 1;
	int threads = argc > 3 ? atoi(argv[3]) : 2;
	int repeats = argc > 4 ? atoi(argv[4]) : 11, i, k, q;
	double ms[3];

	if (argc < 2 || threads < 1 || threads > 64 || repeats < 1 ||
	    batch < 1) {
		fprintf(stderr, "usage: dnnl-conv MODEL [BATCH [THREADS "
		    "[REPEATS]]]\n");
		return 2;
	}
	if ((m = wh_model_load(argv[1], &err)) == NULL ||
	    (g = wh_graph_new(m, &err)) == NULL ||
	    (d = wh_dnnl_new(g, threads, &err)) == NULL ||
	    (domp = wh_dnnl_new(g, 1, &err)) == NULL) {
		fprintf(stderr, "dnnl-conv: %s\n", err);
		return 3;
	}
	wh_dnnl_set_omp(domp, threads);
	for (q = 0; q < g->nops; q++) {
		size_t s = wh_op_scratch(g, &g->ops[q], NULL, batch);

		if (s > need)
			need = s;
	}
	for (k = 0; k < 3; k++)
		for (i = 0; i < (k == 2 ? 1 : threads); i++) {
			struct wh_dnnl *p = k == 0 ? NULL : k == 1 ? d : domp;

			w[k][i].g = g;
			w[k][i].d = p;
			w[k][i].id = i;
			w[k][i].threads = k == 2 ? 1 : threads;
			w[k][i].batch = batch;
			w[k][i].job = k == 2 ? batch : JOB;
			w[k][i].buf = bufs(g, p, w[k][i].job);
			w[k][i].scratch = xmalloc(need * sizeof(float));
		}
	/* in alternation, so that a busy machine slows all alike */
	ms[0] = ms[1] = ms[2] = 0;
	for (k = 0; k < 3; k++) {
		ms[0] += timeit(w[0], threads, repeats) / 3;
		ms[1] += timeit(w[1], threads, repeats) / 3;
		ms[2] += timeit(w[2], 1, repeats) / 3;
	}
	printf("%.4f %.4f %.4f %s\n", ms[0], ms[1], ms[2],
	    wh_dnnl_impl(d, 0, JOB));
	return 0;
}
