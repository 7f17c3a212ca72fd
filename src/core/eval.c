/* eval.c - batched, threaded evaluation with per-layer overrides and
 * activation caches so that a change in layer k restarts at layer k */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "dnnl-int.h"
#include "graph-int.h"
#include "whittle/util.h"

#define DEFAULT_BATCH 256
/*
 * Samples per job: a quarter of the batch in multiples of 16 (the kernels'
 * vector width), at most 64.  Threads take jobs from a batch as they finish
 * the last, so that a thread slowed down by the machine holds up no other;
 * the split depends only on the batch, never on the thread count, so a
 * sample's result does not either.
 */
#define JOB_SAMPLES 64
/*
 * And fewer where a job's buffers would outgrow the caches: every tensor
 * of a job has a buffer of its own, so a job's working set is its samples
 * times the floats of all the graph's tensors.  Measured at 3x224x224,
 * MobileNetV2 (53 MB a sample) ran a pass in half the time with one
 * sample per job than with 16.
 */
#define JOB_BYTES ((size_t)40 << 20)
/*
 * But a job reads every weight once, so where the weights outweigh a
 * sample's buffers a job may hold up to WEIGHT_TIMES times the weights,
 * up to 16 samples (at 3x32x32 EfficientNet-B0 and MobileNetV2 went 20%
 * and 8% slower with 64 a job than with the 16 and 32 that JOB_BYTES
 * gives them).  ResNet-18 at 3x224x224 (47 MB of weights, 30 MB of
 * buffers a sample) ran a pass in 2.83 s with 16 samples a job, 2.89 s
 * with 8, 2.93 s with 4 and 3.10 s with 2 (medians of 7).  MobileNetV2 there (14 MB, 53 MB)
 * keeps one: 0.79 s, against 0.88 s with two.
 */
#define WEIGHT_TIMES 12

struct lstate {
	struct wh_layer_weights lw;
	int set;
	float *aux;		/* spatial low-rank: second conv (oc, r * kh) */
};

struct workspace {
	float *mem;		/* one block for every root activation */
	float **own;		/* per tensor: its place in mem */
	float **buf;		/* per tensor: what the ops use this batch */
	float *scratch;
	size_t nscratch;
};

/* Tensors live across op q, kept for every sample. */
struct cpoint {
	int op;
	int n;
	int *tens;
	float **data;		/* per tensor: nsamples x ss, or NULL */
	int enabled;		/* within the memory budget */
	int valid;
};

struct wh_eval {
	const struct wh_graph *g;
	const struct wh_dataset *d;
	struct wh_preproc pre;
	int scale_set;
	int batch, threads, chunk;	/* chunk: samples per job */
	struct pool *pool;	/* threads beyond the caller's, or NULL */
	struct lstate *ls;
	struct workspace *ws;
	struct cpoint *cp;
	int ncp;
	int32_t *preds;
	int last_from;		/* op the last full run started at */
	int last_range_from;	/* op the last wh_eval_range started at */
	struct wh_dnnl *dnnl;	/* oneDNN's kernels and layouts, or NULL */
	/* image folders: batches decoded ahead into input, from input_start */
	struct wh_data_reader *reader;
	float *input;
	size_t input_start;
};

/* One thread's share of a batch. */
struct job {
	struct wh_eval *e;
	struct workspace *w;
	size_t start, count;	/* sample rows */
	int from;		/* first op to run */
	int fill;		/* write the enabled caches after from */
	float *outputs;		/* copy raw outputs here (count x out), or NULL */
	int upto;		/* stop before this op (capture), or -1 */
	int original;		/* ignore the overrides */
	float *capture;		/* with upto: the op's first input goes here */
};

static void pool_stop(struct wh_eval *e);

int
wh_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static int
troot(const struct wh_graph *g, int t)
{
	return g->t[t].alias >= 0 ? g->t[t].alias : t;
}

/* Floats per sample tensor t takes in the buffers and caches (oneDNN's
 * blocked layouts pad the channels). */
static size_t
tsize(const struct wh_eval *e, int t)
{
	return e->dnnl != NULL ? wh_dnnl_tensor_floats(e->dnnl, t) :
	    e->g->t[t].ss;
}

/* Whether tensor t has a buffer of its own in a job's workspace. */
static int
rooted(const struct wh_graph *g, int t)
{
	return !g->t[t].is_const && g->t[t].alias < 0 && g->t[t].prod != -2;
}

/* The samples per job that keep a job's buffers within JOB_BYTES, or up
 * to 16 within WEIGHT_TIMES the weights where they outweigh a sample's
 * buffers: at most e->chunk, at least 1, a multiple of 16 from 16 on and
 * a power of two below, so that a batch's jobs are of one size and the
 * threads finish together. */
static int
fit_chunk(const struct wh_eval *e)
{
	size_t per = 0, fit, p, wfit;
	size_t wb = (size_t)wh_graph_params(e->g) * sizeof(float);
	int t;

	for (t = 0; t < e->g->nt; t++)
		if (rooted(e->g, t))
			per += tsize(e, t) * sizeof(float);
	fit = per ? JOB_BYTES / per : (size_t)e->chunk;
	if (per > 0 && wb > per && fit < 16) {
		wfit = wb * WEIGHT_TIMES / per;
		wfit = wfit < 16 ? wfit : 16;
		fit = wfit > fit ? wfit : fit;
	}
	if (fit >= 16)
		fit -= fit % 16;
	for (p = 1; fit < 16 && p * 2 <= fit; p *= 2)
		;
	if (fit < 16)
		fit = p;
	if (fit < 1)
		fit = 1;
	return fit < (size_t)e->chunk ? (int)fit : e->chunk;
}

/*
 * Touches every page of the n bytes at p, so that the kernel maps them
 * now rather than in the first batch: the buffers of ResNet-18 at
 * 224x224 cost a cold pass 3% in page faults.  The pages hold zeros
 * (calloc's) before and after.
 */
static void
prefault(void *p, size_t n)
{
	volatile unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i += 4096)
		b[i] = 0;
}

static int
ws_init(struct wh_eval *e, struct workspace *w)
{
	const struct wh_graph *g = e->g;
	size_t total = 0, off = 0;
	int t;

	w->own = xcalloc(g->nt, sizeof *w->own);
	w->buf = xcalloc(g->nt, sizeof *w->buf);
	for (t = 0; t < g->nt; t++) {
		size_t sz;

		if (!rooted(g, t))
			continue;
		if (wh_mul_size(tsize(e, t), (size_t)e->chunk, &sz) != 0 ||
		    wh_add_size(total, sz, &total) != 0)
			return -1;
	}
	w->mem = xcalloc(total ? total : 1, sizeof *w->mem);
	for (t = 0; t < g->nt; t++) {
		if (!rooted(g, t))
			continue;
		w->own[t] = w->mem + off;
		off += tsize(e, t) * (size_t)e->chunk;
		/* what the ops leave unwritten stays unmapped */
		prefault(w->own[t], tsize(e, t) * sizeof(float) *
		    (e->dnnl != NULL ? wh_dnnl_written(e->dnnl, t,
		    (size_t)e->chunk) : (size_t)e->chunk));
	}
	return 0;
}

static void
ws_release(struct workspace *w)
{
	free(w->mem);
	free(w->own);
	free(w->buf);
	free(w->scratch);
}

/* Lists the restart points (one per layer) and what is live at each. */
static void
cache_plan(struct wh_eval *e, size_t budget)
{
	const struct wh_graph *g = e->g;
	int i, t;

	e->cp = xcalloc(g->nlayers ? g->nlayers : 1, sizeof *e->cp);
	for (i = 0; i < g->nlayers; i++) {
		struct cpoint *c = &e->cp[e->ncp];
		int q = g->layers[i].op, dup = 0, k;

		if (q == 0)
			continue;
		for (k = 0; k < e->ncp; k++)
			if (e->cp[k].op == q)
				dup = 1;
		if (dup)
			continue;
		c->op = q;
		c->tens = xcalloc(g->nt, sizeof *c->tens);
		for (t = 0; t < g->nt; t++)
			if (!g->t[t].is_const && g->t[t].alias < 0 &&
			    g->t[t].prod != -2 && g->t[t].prod < q &&
			    g->t[t].last >= q)
				c->tens[c->n++] = t;
		c->data = xcalloc(c->n ? c->n : 1, sizeof *c->data);
		e->ncp++;
	}
	/* later points save the most work per byte: fill the budget from
	 * the end */
	for (i = e->ncp - 1; i >= 0; i--) {
		struct cpoint *c = &e->cp[i];
		size_t need = 0, sz;
		int k, okay = 1;

		for (k = 0; k < c->n; k++) {
			if (wh_mul_size(tsize(e, c->tens[k]) * sizeof(float),
			    e->d->n, &sz) != 0 || wh_add_size(need, sz, &need) != 0)
				okay = 0;
		}
		if (okay && need <= budget) {
			c->enabled = 1;
			budget -= need;
		}
	}
}

struct wh_eval *
wh_eval_new(const struct wh_graph *g, const struct wh_dataset *d,
    const struct wh_preproc *pre, int scale_set,
    const struct wh_eval_opts *opts, char **err)
{
	struct wh_eval *e;
	size_t budget = opts ? opts->cache_bytes : 0;
	int i;

	if (wh_data_sample_size(d) != wh_graph_input_size(g)) {
		wh_error(err, "%s: samples hold %zu values, the model input "
		    "needs %zu", d->images_path, wh_data_sample_size(d),
		    wh_graph_input_size(g));
		return NULL;
	}
	e = xcalloc(1, sizeof *e);
	e->g = g;
	e->d = d;
	e->pre = *pre;
	e->scale_set = scale_set;
	e->batch = opts && opts->batch > 0 ? opts->batch : DEFAULT_BATCH;
	e->threads = opts && opts->threads > 0 ? opts->threads : wh_cpu_count();
	e->chunk = (e->batch + 63) / 64 * 16;
	if (e->chunk > JOB_SAMPLES)
		e->chunk = JOB_SAMPLES;
	if (e->chunk > e->batch)
		e->chunk = e->batch;
	if (e->threads > (e->batch + e->chunk - 1) / e->chunk)
		e->threads = (e->batch + e->chunk - 1) / e->chunk;
	/* the evaluator parallelizes over samples; BLAS runs in each thread */
	openblas_set_num_threads(1);
	if ((i = wh_dnnl_wanted(err)) < 0 ||
	    (i == 1 && (e->dnnl = wh_dnnl_new(g, e->threads, err)) == NULL)) {
		free(e);
		return NULL;
	}
	e->chunk = fit_chunk(e);
	if (e->dnnl != NULL)
		wh_dnnl_prepare(e->dnnl, (size_t)e->chunk);
	e->ls = xcalloc(g->nlayers ? g->nlayers : 1, sizeof *e->ls);
	e->ws = xcalloc(e->threads, sizeof *e->ws);
	for (i = 0; i < e->threads; i++)
		if (ws_init(e, &e->ws[i]) != 0) {
			wh_error(err, "%s: activations too large for a batch of "
			    "%d", g->model->path, e->batch);
			wh_eval_free(e);
			return NULL;
		}
	cache_plan(e, budget);
	e->preds = xcalloc(d->n ? d->n : 1, sizeof *e->preds);
	if (d->files != NULL) {
		e->reader = wh_data_reader_new(d, &e->pre, scale_set, 2);
		e->input = xreallocarray(NULL, (size_t)e->batch,
		    wh_data_sample_size(d) * sizeof *e->input);
	}
	return e;
}

void
wh_eval_free(struct wh_eval *e)
{
	int i, k;

	if (e == NULL)
		return;
	pool_stop(e);
	wh_data_reader_free(e->reader);
	free(e->input);
	for (i = 0; i < e->g->nlayers; i++)
		free(e->ls[i].aux);
	for (i = 0; i < e->threads; i++)
		ws_release(&e->ws[i]);
	for (i = 0; i < e->ncp; i++) {
		for (k = 0; k < e->cp[i].n; k++)
			free(e->cp[i].data[k]);
		free(e->cp[i].data);
		free(e->cp[i].tens);
	}
	free(e->cp);
	free(e->ws);
	free(e->ls);
	free(e->preds);
	wh_dnnl_free(e->dnnl);
	free(e);
}

void
wh_eval_set_layer(struct wh_eval *e, int i, const struct wh_layer_weights *lw)
{
	const struct wh_layer *l = &e->g->layers[i];
	struct lstate *s = &e->ls[i];
	int k;

	free(s->aux);
	s->aux = NULL;
	s->set = lw != NULL;
	if (lw != NULL) {
		s->lw = *lw;
		if (lw->rank > 0 && lw->spatial) {
			int64_t r = lw->rank, o, rr, y;

			/* u: (oc * kh, r) -> aux: (oc, r, kh), the weight of
			 * the kh x 1 conv */
			s->aux = xmalloc((size_t)(l->out * r * l->kh) *
			    sizeof *s->aux);
			for (o = 0; o < l->out; o++)
				for (rr = 0; rr < r; rr++)
					for (y = 0; y < l->kh; y++)
						s->aux[(o * r + rr) * l->kh + y] =
						    lw->u[(o * l->kh + y) * r + rr];
		}
	} else
		memset(&s->lw, 0, sizeof s->lw);
	for (k = 0; k < e->ncp; k++)
		if (e->cp[k].op > l->op)
			e->cp[k].valid = 0;
	if (e->dnnl != NULL)
		wh_dnnl_set_layer(e->dnnl, i);
}

static void *
job_run(void *arg)
{
	struct job *j = arg;
	struct wh_eval *e = j->e;
	const struct wh_graph *g = e->g;
	struct workspace *w = j->w;
	int t, q, k, c;

	if (j->count == 0)
		return NULL;
	for (t = 0; t < g->nt; t++)
		w->buf[t] = w->own[t];
	/* the tensors the caches after from hold are written there as they
	 * are made, each into the first cache that holds it, rather than
	 * copied in when the run gets to it: the demo's first layer spent a
	 * fifth of a pass copying */
	for (c = 0; j->fill && c < e->ncp; c++)
		if (e->cp[c].enabled && e->cp[c].op > j->from)
			for (k = 0; k < e->cp[c].n; k++) {
				t = e->cp[c].tens[k];
				if (w->buf[t] == w->own[t] &&
				    e->cp[c].data[k] != NULL)
					w->buf[t] = e->cp[c].data[k] +
					    j->start * tsize(e, t);
			}
	if (j->from == 0 && e->input != NULL) {
		size_t ss = wh_data_sample_size(e->d);

		memcpy(w->buf[g->input], e->input + (j->start - e->input_start) *
		    ss, j->count * ss * sizeof *e->input);
	} else if (j->from == 0) {
		wh_data_batch(e->d, j->start, j->count, &e->pre, e->scale_set,
		    w->buf[g->input]);
	} else {
		for (c = 0; c < e->ncp && e->cp[c].op != j->from; c++)
			;
		for (k = 0; k < e->cp[c].n; k++) {
			t = e->cp[c].tens[k];
			w->buf[t] = e->cp[c].data[k] + j->start * tsize(e, t);
		}
	}
	for (t = 0; t < g->nt; t++)
		if (g->t[t].alias >= 0)
			w->buf[t] = w->buf[troot(g, t)];
	for (q = j->from, c = 0; q < g->nops; q++) {
		const struct wh_op *o = &g->ops[q];
		const struct lstate *ls = o->layer >= 0 && e->ls[o->layer].set &&
		    !j->original ? &e->ls[o->layer] : NULL;

		if (q == j->upto) {
			t = o->in[0];
			if (e->dnnl != NULL)
				wh_dnnl_to_plain(e->dnnl, t, w->buf[t],
				    j->capture, j->count, (int)(w - e->ws), NULL);
			else
				memcpy(j->capture, w->buf[t], j->count *
				    g->t[t].ss * sizeof(float));
			return NULL;
		}
		if (j->fill) {
			while (c < e->ncp && e->cp[c].op < q)
				c++;
			if (c < e->ncp && e->cp[c].op == q && q > j->from &&
			    e->cp[c].enabled)
				for (k = 0; k < e->cp[c].n; k++) {
					float *to;

					t = e->cp[c].tens[k];
					to = e->cp[c].data[k] + j->start *
					    tsize(e, t);
					if (to != w->buf[t])
						memcpy(to, w->buf[t], j->count *
						    tsize(e, t) * sizeof(float));
				}
		}
		if (e->dnnl != NULL) {
			q += wh_dnnl_run(e->dnnl, q, ls ? &ls->lw : NULL,
			    ls ? ls->aux : NULL, w->buf, j->count, w->scratch,
			    (int)(w - e->ws));
			continue;
		}
		wh_op_run(g, o, ls ? &ls->lw : NULL, ls ? ls->aux : NULL, w->buf,
		    j->count, w->scratch);
		q += wh_op_fused(g, o, ls ? &ls->lw : NULL);
	}
	{
		const float *out = w->buf[g->output];
		size_t os = g->t[g->output].ss, s, i;

		if (j->outputs != NULL)
			memcpy(j->outputs, out, j->count * os * sizeof *out);
		for (s = 0; s < j->count; s++) {
			const float *r = out + s * os;
			size_t best = 0;

			for (i = 1; i < os; i++)
				if (r[i] > r[best])
					best = i;
			e->preds[j->start + s] = (int32_t)best;
		}
	}
	return NULL;
}

static void
ensure_scratch(struct wh_eval *e)
{
	const struct wh_graph *g = e->g;
	size_t need = 0;
	int q, i;

	for (q = 0; q < g->nops; q++) {
		const struct wh_op *o = &g->ops[q];
		const struct lstate *ls = o->layer >= 0 && e->ls[o->layer].set ?
		    &e->ls[o->layer] : NULL;
		size_t s = wh_op_scratch(g, o, ls ? &ls->lw : NULL,
		    (size_t)e->chunk);

		if (s > need)
			need = s;
	}
	for (i = 0; i < e->threads; i++)
		if (e->ws[i].nscratch < need) {
			free(e->ws[i].scratch);
			e->ws[i].scratch = xmalloc(need * sizeof(float));
			e->ws[i].nscratch = need;
		}
}

static void
run_jobs(struct wh_eval *e, size_t start, size_t count, int from, int fill,
    float *outputs, int upto, float *capture);

/* Image folders: samples [start, start + count) into e->input first. */
static int
fetch_input(struct wh_eval *e, size_t start, size_t count, char **err)
{
	if (e->reader == NULL)
		return 0;
	e->input_start = start;
	return wh_data_reader_get(e->reader, start, count, e->input, err);
}

static void
run_batch(struct wh_eval *e, size_t start, size_t count, int from, int fill,
    float *outputs)
{
	run_jobs(e, start, count, from, fill, outputs, -1, NULL);
}

/*
 * Threads that live as long as the evaluator.  The caller posts a batch's
 * jobs and bumps gen; every thread, the caller included, takes the next job
 * until none is left; the caller returns once no worker is busy.  Workers
 * spin a little before they sleep, as the next batch follows at once.
 */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	struct wh_eval *e;
	pthread_t tid[256];
	struct worker {
		struct pool *p;
		int id;		/* its workspace */
	} wk[256];
	int n;			/* workers running */
	atomic_uint gen;	/* batches posted */
	atomic_int busy;	/* workers not done with the batch */
	int quit;
	struct job *jobs;
	int njobs;
	atomic_int next;	/* the first job nobody took */
};

#define POOL_SPIN 4000

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Runs the posted jobs nobody took yet, in workspace ws. */
static void
pool_take(struct pool *p, struct workspace *ws)
{
	int i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->njobs) {
		struct job j = p->jobs[i];

		j.w = ws;
		job_run(&j);
	}
}

static void *
pool_worker(void *arg)
{
	struct worker *wk = arg;
	struct pool *p = wk->p;
	unsigned seen = 0;
	int spin;

	for (;;) {
		for (spin = 0; spin < POOL_SPIN &&
		    atomic_load(&p->gen) == seen; spin++)
			cpu_relax();
		pthread_mutex_lock(&p->mu);
		while (atomic_load(&p->gen) == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		seen = atomic_load(&p->gen);
		pthread_mutex_unlock(&p->mu);
		pool_take(p, &p->e->ws[wk->id]);
		if (atomic_fetch_sub(&p->busy, 1) == 1) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

static void
pool_start(struct wh_eval *e)
{
	struct pool *p = xcalloc(1, sizeof *p);
	int i;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->e = e;
	for (i = 1; i < e->threads && p->n < 256; i++) {
		p->wk[p->n].p = p;
		p->wk[p->n].id = i;
		if (pthread_create(&p->tid[p->n], NULL, pool_worker,
		    &p->wk[p->n]) == 0)
			p->n++;
	}
	e->pool = p;
}

static void
pool_stop(struct wh_eval *e)
{
	struct pool *p = e->pool;
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->n; i++)
		pthread_join(p->tid[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p);
	e->pool = NULL;
}

/* Runs jobs[0 .. n) on all threads and returns when all are done. */
static void
pool_run(struct wh_eval *e, struct job *jobs, int n)
{
	struct pool *p;
	int spin;

	if (e->threads > 1 && n > 1 && e->pool == NULL)
		pool_start(e);
	p = e->pool;
	if (p == NULL || p->n == 0 || n == 1) {
		int i;

		for (i = 0; i < n; i++) {
			jobs[i].w = &e->ws[0];
			job_run(&jobs[i]);
		}
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->jobs = jobs;
	p->njobs = n;
	atomic_store(&p->next, 0);
	atomic_store(&p->busy, p->n);
	atomic_fetch_add(&p->gen, 1);
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	pool_take(p, &e->ws[0]);
	for (spin = 0; spin < POOL_SPIN && atomic_load(&p->busy) > 0; spin++)
		cpu_relax();
	pthread_mutex_lock(&p->mu);
	while (atomic_load(&p->busy) > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Runs samples [start, start + count) from op `from` as jobs of e->chunk. */
static void
run_jobs(struct wh_eval *e, size_t start, size_t count, int from, int fill,
    float *outputs, int upto, float *capture)
{
	size_t per = (size_t)e->chunk, off;
	int n = (int)((count + per - 1) / per), i;
	struct job *jobs = xcalloc(n ? n : 1, sizeof *jobs);

	for (i = 0, off = 0; i < n; i++, off += per) {
		jobs[i].e = e;
		jobs[i].start = start + off;
		jobs[i].count = count - off < per ? count - off : per;
		jobs[i].from = from;
		jobs[i].fill = fill;
		jobs[i].outputs = outputs ? outputs + off *
		    e->g->t[e->g->output].ss : NULL;
		jobs[i].upto = upto;
		jobs[i].original = upto >= 0;
		jobs[i].capture = capture ? capture + off *
		    e->g->t[e->g->ops[upto].in[0]].ss : NULL;
	}
	pool_run(e, jobs, n);
	free(jobs);
}

int
wh_eval_run(struct wh_eval *e, size_t limit, wh_progress_fn progress,
    void *arg, struct wh_metrics *m, int32_t *preds, char **err)
{
	const struct wh_dataset *d = e->d;
	size_t total = limit == 0 || limit > d->n ? d->n : limit, done = 0;
	size_t correct = 0, i;
	int from = 0, full = total == d->n, c, k;

	if (full)
		for (c = 0; c < e->ncp; c++)
			if (e->cp[c].enabled && e->cp[c].valid)
				from = e->cp[c].op;
	if (full)
		for (c = 0; c < e->ncp; c++) {
			struct cpoint *p = &e->cp[c];

			if (!p->enabled || p->op <= from)
				continue;
			p->valid = 0;
			for (k = 0; k < p->n; k++)
				if (p->data[k] == NULL)
					p->data[k] = xmalloc(d->n *
					    tsize(e, p->tens[k]) * sizeof(float));
		}
	ensure_scratch(e);
	while (done < total) {
		size_t n = total - done < (size_t)e->batch ? total - done :
		    (size_t)e->batch;

		if (from == 0 && fetch_input(e, done, n, err) != 0)
			return -1;
		run_batch(e, done, n, from, full, NULL);
		for (i = done; i < done + n; i++)
			if (e->preds[i] == d->labels[i])
				correct++;
		done += n;
		if (progress != NULL && progress(arg, done, total, correct) &&
		    done < total)
			return 1;
	}
	if (full)
		for (c = 0; c < e->ncp; c++)
			if (e->cp[c].enabled && e->cp[c].op > from)
				e->cp[c].valid = 1;
	e->last_from = from;
	if (preds != NULL)
		memcpy(preds, e->preds, total * sizeof *preds);
	if (m != NULL)
		wh_metrics_compute(m, e->preds, d->labels, total,
		    (int)wh_graph_output_size(e->g));
	return 0;
}

int
wh_eval_range(struct wh_eval *e, size_t start, size_t count, int32_t *preds,
    float *outputs, char **err)
{
	size_t os = wh_graph_output_size(e->g), done = 0;
	int from = 0, c;

	if (start > e->d->n || count > e->d->n - start)
		return wh_error(err, "%s: samples %zu..%zu are beyond the %zu "
		    "in the set", e->d->images_path, start, start + count,
		    e->d->n);
	/* a valid cache holds every sample, so any range may resume there */
	for (c = 0; c < e->ncp; c++)
		if (e->cp[c].enabled && e->cp[c].valid)
			from = e->cp[c].op;
	ensure_scratch(e);
	while (done < count) {
		size_t n = count - done < (size_t)e->batch ? count - done :
		    (size_t)e->batch;

		if (from == 0 && fetch_input(e, start + done, n, err) != 0)
			return -1;
		run_batch(e, start + done, n, from, 0,
		    outputs ? outputs + done * os : NULL);
		done += n;
	}
	if (preds != NULL)
		memcpy(preds, e->preds + start, count * sizeof *preds);
	e->last_range_from = from;
	return 0;
}

int
wh_eval_range_start(const struct wh_eval *e)
{
	return e->last_range_from;
}

int
wh_eval_outputs(struct wh_eval *e, size_t start, size_t count, float *out,
    char **err)
{
	size_t os = wh_graph_output_size(e->g), done = 0;

	if (start > e->d->n || count > e->d->n - start)
		return wh_error(err, "%s: samples %zu..%zu are beyond the %zu "
		    "in the set", e->d->images_path, start, start + count,
		    e->d->n);
	ensure_scratch(e);
	while (done < count) {
		size_t n = count - done < (size_t)e->batch ? count - done :
		    (size_t)e->batch;

		if (fetch_input(e, start + done, n, err) != 0)
			return -1;
		run_batch(e, start + done, n, 0, 0, out + done * os);
		done += n;
	}
	return 0;
}

int
wh_eval_last_start(const struct wh_eval *e)
{
	int i;

	if (e->last_from == 0)
		return -1;
	for (i = 0; i < e->g->nlayers; i++)
		if (e->g->layers[i].op == e->last_from)
			return i;
	return -1;
}

int
wh_eval_capture(struct wh_eval *e, int i, size_t count, float **out,
    size_t *size, char **err)
{
	const struct wh_graph *g = e->g;
	int op = g->layers[i].op;
	size_t ss = g->t[g->ops[op].in[0]].ss, done = 0;

	if (count > e->d->n)
		count = e->d->n;
	if (count == 0)
		return wh_error(err, "%s: no samples to calibrate on",
		    e->d->images_path);
	*size = ss;
	*out = xmalloc(count * ss * sizeof **out);
	ensure_scratch(e);
	while (done < count) {
		size_t n = count - done < (size_t)e->batch ? count - done :
		    (size_t)e->batch;

		if (fetch_input(e, done, n, err) != 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		run_jobs(e, done, n, 0, 0, NULL, op, *out + done * ss);
		done += n;
	}
	return 0;
}
