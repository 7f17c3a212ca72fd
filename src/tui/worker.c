/* worker.c - the evaluation and singular value threads (the cmus pattern)
 *
 * Two threads work for the UI:
 *
 *   the evaluation thread owns the struct wh_state.  It takes the newest
 *   snapshot of the settings (older ones are dropped unseen), applies the
 *   layers that differ from what the state holds with wh_state_set
 *   (compression is memoized per layer, so unchanged layers cost
 *   nothing), queues what each changed layer became, then evaluates.  The
 *   progress callback queues progress and returns non-zero as soon as a
 *   newer snapshot, an export or quitting is asked for, which cancels the
 *   run between batches.  The evaluator keeps activation caches, so the
 *   next run restarts at the first changed layer.  When it has nothing
 *   else to do and the baseline (every layer off) is not known yet, it
 *   evaluates that.
 *
 *   the singular value thread computes every layer's singular values once,
 *   with its own per-layer caches (caches are independent of each other),
 *   the layer the UI shows first.  It runs at a lower priority so that it
 *   takes what the evaluator leaves of the CPUs.
 *
 * Messages go onto one mutex-protected queue; the thread that makes the
 * queue non-empty writes a byte to a pipe, which the UI poll()s with the
 * terminal.  Signals are blocked in both threads (and so in the
 * evaluator's own threads, which inherit the mask): only the UI thread
 * handles them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker.h"
#include "whittle/export.h"
#include "whittle/stats.h"
#include "whittle/util.h"

struct tui_worker {
	const struct wh_model *m;
	const struct wh_graph *g;
	struct wh_state *s;
	int n;
	size_t limit;
	double *lo, *hi;

	pthread_t eval_thr, svd_thr;
	int eval_started, svd_started;

	/* the inbox, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wh_layer_cfg *want;	/* the newest snapshot not yet taken */
	unsigned long want_gen;
	int want_eval;			/* evaluate it, or only apply it */
	struct wh_layer_cfg *xcfg;	/* an export asked for */
	char *xpath;
	int svd_want;
	int quit;

	/* the outbox, under qmu */
	pthread_mutex_t qmu;
	struct tui_msg *head, *tail;
	int pipe[2];
};

/* ---- the outbox ------------------------------------------------------- */

static void
post(struct tui_worker *w, struct tui_msg *m)
{
	int wake;
	char b = 1;

	pthread_mutex_lock(&w->qmu);
	wake = w->head == NULL;
	/* progress replaces progress of the same run still queued */
	if (m->type == TUI_M_PROGRESS && w->tail != NULL &&
	    w->tail->type == TUI_M_PROGRESS && w->tail->gen == m->gen &&
	    w->tail->baseline == m->baseline) {
		w->tail->done = m->done;
		w->tail->total = m->total;
		w->tail->correct = m->correct;
		free(m);
		m = NULL;
	} else {
		m->next = NULL;
		if (w->tail != NULL)
			w->tail->next = m;
		else
			w->head = m;
		w->tail = m;
	}
	pthread_mutex_unlock(&w->qmu);
	/* the pipe is non-blocking: when it is full the UI is awake anyway */
	if (wake && write(w->pipe[1], &b, 1) < 0 && errno != EAGAIN)
		return;
}

static struct tui_msg *
msg_new(enum tui_msg_type type, unsigned long gen)
{
	struct tui_msg *m = xcalloc(1, sizeof *m);

	m->type = type;
	m->gen = gen;
	m->layer = -1;
	return m;
}

static void
post_error(struct tui_worker *w, unsigned long gen, int layer, char *err)
{
	struct tui_msg *m = msg_new(TUI_M_ERROR, gen);

	m->layer = layer;
	m->text = err != NULL ? err : xstrdup("unknown error");
	post(w, m);
}

struct tui_msg *
tui_worker_take(struct tui_worker *w)
{
	struct tui_msg *m;
	char buf[256];

	/* empty the pipe first: a byte written after this is for messages
	 * queued after the take below */
	while (read(w->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&w->qmu);
	m = w->head;
	w->head = w->tail = NULL;
	pthread_mutex_unlock(&w->qmu);
	return m;
}

void
tui_msg_free(struct tui_msg *m)
{
	if (m == NULL)
		return;
	free(m->info);
	free(m->res.cfg);
	free(m->sv);
	free(m->text);
	free(m);
}

int
tui_worker_fd(const struct tui_worker *w)
{
	return w->pipe[0];
}

/* ---- the inbox -------------------------------------------------------- */

static struct wh_layer_cfg *
cfg_dup(const struct wh_layer_cfg *cfg, int n)
{
	struct wh_layer_cfg *c = xreallocarray(NULL, n ? (size_t)n : 1,
	    sizeof *c);

	memcpy(c, cfg, (size_t)n * sizeof *c);
	return c;
}

void
tui_worker_post(struct tui_worker *w, unsigned long gen,
    const struct wh_layer_cfg *cfg, int evaluate)
{
	struct wh_layer_cfg *c = cfg_dup(cfg, w->n), *old;

	pthread_mutex_lock(&w->mu);
	old = w->want;
	w->want = c;
	w->want_gen = gen;
	w->want_eval = evaluate;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	free(old);
}

void
tui_worker_export(struct tui_worker *w, const struct wh_layer_cfg *cfg,
    const char *path)
{
	struct wh_layer_cfg *c = cfg_dup(cfg, w->n), *oldc;
	char *p = xstrdup(path), *oldp;

	pthread_mutex_lock(&w->mu);
	oldc = w->xcfg;
	oldp = w->xpath;
	w->xcfg = c;
	w->xpath = p;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	free(oldc);
	free(oldp);
}

void
tui_worker_want_svals(struct tui_worker *w, int i)
{
	pthread_mutex_lock(&w->mu);
	w->svd_want = i;
	pthread_mutex_unlock(&w->mu);
}

/* Whether the evaluation thread should drop what it does. */
static int
interrupted(struct tui_worker *w)
{
	int r;

	pthread_mutex_lock(&w->mu);
	r = w->quit || w->want != NULL || w->xpath != NULL;
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* ---- the evaluation thread -------------------------------------------- */

static int
cfg_off(const struct wh_layer_cfg *c)
{
	return c->lr_mode == WH_LR_NONE && c->prune_mode == WH_PRUNE_NONE &&
	    c->nm_n == 0 && c->qtype == WH_Q_NONE && c->act_bits == 0;
}

/* What layer i became, from the state's result for it. */
static struct tui_linfo *
layer_info(struct tui_worker *w, int i)
{
	const struct wh_layer *l = wh_graph_layer(w->g, i);
	const struct wh_compressed *res = wh_state_result(w->s, i);
	struct tui_linfo *info = xcalloc(1, sizeof *info);
	const struct wh_layer_cfg *c = wh_state_cfg(w->s, i);
	size_t n = (size_t)(l->out * l->in);
	float *prod = NULL;
	const float *ew;

	info->cfg = *c;
	info->level_row = -1;
	if (res == NULL) {
		wh_cost_layer_orig(l, &info->cost);
		wh_histogram(l->w, n, w->lo[i], w->hi[i], TUI_NBINS, info->hist);
		return info;
	}
	info->cost = res->cost;
	info->rank = res->rank;
	info->spatial = res->spatial;
	info->energy = res->energy;
	if (res->nfactors == 2) {
		/* u: (m, r), vt: (r, k) -> the weight as the layer runs it
		 * (for the spatial view a permutation of it, which bins the
		 * same) */
		const struct wh_cfactor *u = &res->f[0], *vt = &res->f[1];

		n = (size_t)(u->rows * vt->cols);
		prod = xmalloc(n * sizeof *prod);
		wh_lowrank_product(u->w, vt->w, u->rows, vt->cols, (int)u->cols,
		    prod);
		ew = prod;
		info->factored = 1;
	} else {
		ew = res->f[0].w;
		n = (size_t)(res->f[0].rows * res->f[0].cols);
	}
	wh_histogram(ew, n, w->lo[i], w->hi[i], TUI_NBINS, info->hist);
	free(prod);
	if (res->nfactors != 1)
		return info;

	/* the pruning threshold, for magnitude pruning of w itself */
	if (c->prune_mode == WH_PRUNE_THRESHOLD && c->threshold > 0) {
		info->marks[info->nmarks++] = -c->threshold;
		info->marks[info->nmarks++] = c->threshold;
		info->mark_kind = TUI_MARK_THRESHOLD;
	} else if (c->prune_mode == WH_PRUNE_SPARSITY) {
		size_t nw = (size_t)(l->out * l->in);
		size_t k = (size_t)(c->sparsity * (double)nw + 0.5);

		if (k > 0 && k <= nw) {
			/* the largest magnitude pruned */
			float t = tui_mag_select(l->w, nw, k - 1);

			info->marks[info->nmarks++] = -t;
			info->marks[info->nmarks++] = t;
			info->mark_kind = TUI_MARK_THRESHOLD;
		}
	}
	info->nthreshold = info->nmarks;

	/* the quantization levels at low bit widths: per tensor all of
	 * them, per channel those of the row with the largest scale */
	if (res->f[0].qtype == WH_Q_INT && res->f[0].q.bits <= 4) {
		const struct wh_qtensor *q = &res->f[0].q;
		int64_t row = 0, r;
		int qmin, qmax, v;

		for (r = 1; r < q->nscale; r++)
			if (q->scale[r] > q->scale[row])
				row = r;
		wh_quant_range(q->bits, q->symmetric, &qmin, &qmax);
		for (v = qmin; v <= qmax && info->nmarks < TUI_MAXMARKS; v++)
			info->marks[info->nmarks++] =
			    (double)((float)(v - q->zero[row]) * q->scale[row]);
		info->mark_kind = TUI_MARK_LEVELS;
		info->level_row = q->per_channel ? (int)row : -1;
	}
	return info;
}

/*
 * Brings the state to cfg: (n).  Returns 0, 1 when interrupted by a
 * newer request (only when interruptible), -1 after posting an error.
 */
static int
apply(struct tui_worker *w, const struct wh_layer_cfg *cfg, unsigned long gen,
    int interruptible)
{
	char *err = NULL;
	int i;

	for (i = 0; i < w->n; i++) {
		struct tui_msg *m;

		if (wh_layer_cfg_equal(wh_state_cfg(w->s, i), &cfg[i]))
			continue;
		if (interruptible && interrupted(w))
			return 1;
		if (wh_state_set(w->s, i, &cfg[i], &err) != 0) {
			post_error(w, gen, i, err);
			return -1;
		}
		if (cfg_off(&cfg[i]))
			continue;
		m = msg_new(TUI_M_LAYER, gen);
		m->layer = i;
		m->info = layer_info(w, i);
		post(w, m);
	}
	return 0;
}

struct run {
	struct tui_worker *w;
	unsigned long gen;
	int baseline;
};

/* Called by the evaluator between batches, on this thread. */
static int
progress(void *arg, size_t done, size_t total, size_t correct)
{
	struct run *r = arg;
	struct tui_msg *m = msg_new(TUI_M_PROGRESS, r->gen);

	m->baseline = r->baseline;
	m->done = done;
	m->total = total;
	m->correct = correct;
	post(r->w, m);
	return interrupted(r->w);
}

/* Evaluates what the state holds: 0 done, 1 cancelled, -1 error. */
static int
evaluate(struct tui_worker *w, unsigned long gen, int baseline)
{
	struct run r = { w, gen, baseline };
	struct wh_metrics mt;
	struct tui_msg *m;
	char *err = NULL;
	double t0 = wh_now();
	int st, i;

	/*
	 * The evaluator spreads each batch over opts.threads threads (BLAS
	 * single-threaded in each), this thread being one of them: it takes
	 * its share of the batch and then waits for the others.  A run so
	 * occupies opts.threads cores and the worker adds none; the
	 * evaluator's threads inherit this thread's blocked signals.
	 */
	st = wh_state_run(w->s, w->limit, progress, &r, &mt, NULL, &err);
	if (st == 1)
		return 1;
	if (st != 0) {
		post_error(w, gen, -1, err);
		return -1;
	}
	m = msg_new(TUI_M_RESULT, gen);
	m->res.baseline = baseline;
	m->res.samples = mt.samples;
	m->res.correct = mt.correct;
	m->res.accuracy = mt.accuracy;
	m->res.precision = mt.precision_macro;
	m->res.recall = mt.recall_macro;
	m->res.f1 = mt.f1_macro;
	m->res.seconds = wh_now() - t0;
	m->res.start_layer = wh_eval_last_start(wh_state_eval(w->s));
	wh_state_totals(w->s, &m->res.totals);
	m->res.cfg = xreallocarray(NULL, w->n ? (size_t)w->n : 1,
	    sizeof *m->res.cfg);
	for (i = 0; i < w->n; i++)
		m->res.cfg[i] = *wh_state_cfg(w->s, i);
	wh_metrics_release(&mt);
	post(w, m);
	return 0;
}

static void *
eval_main(void *arg)
{
	struct tui_worker *w = arg;
	struct wh_layer_cfg *cur = NULL, *off, *xcfg;
	unsigned long gen = 0;
	int need_apply = 0, need_eval = 0, job_eval = 0, base_done = 0, i, r;
	char *xpath, *err;

	off = xreallocarray(NULL, w->n ? (size_t)w->n : 1, sizeof *off);
	for (i = 0; i < w->n; i++)
		wh_layer_cfg_init(&off[i]);
	for (;;) {
		struct wh_layer_cfg *job;

		pthread_mutex_lock(&w->mu);
		while (!w->quit && w->want == NULL && w->xpath == NULL &&
		    !need_apply && base_done)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		job = w->want;
		w->want = NULL;
		if (job != NULL) {
			gen = w->want_gen;
			job_eval = w->want_eval;
		}
		xcfg = w->xcfg;
		xpath = w->xpath;
		w->xcfg = NULL;
		w->xpath = NULL;
		pthread_mutex_unlock(&w->mu);

		if (job != NULL) {
			free(cur);
			cur = job;
			need_apply = 1;
			need_eval = job_eval;
		}
		if (xpath != NULL) {
			struct tui_msg *m = msg_new(TUI_M_EXPORT, gen);

			err = NULL;
			if (apply(w, xcfg, gen, 0) == 0 &&
			    (wh_export_format(xpath, NULL) ==
			    WH_EXPORT_SAFETENSORS ? wh_export_safetensors(w->m,
			    w->g, wh_state_results(w->s), xpath, &err) :
			    wh_export_onnx(w->m, w->g, wh_state_results(w->s),
			    xpath, &err)) == 0) {
				m->ok = 1;
				m->text = xpath;
			} else {
				m->text = err != NULL ? err :
				    xasprintf("%s: the settings could not be "
				    "applied", xpath);
				free(xpath);
			}
			free(xcfg);
			post(w, m);
			continue;
		}
		if (need_apply) {
			if ((r = apply(w, cur, gen, 1)) == 1)
				continue;
			if (r == 0 && need_eval &&
			    (r = evaluate(w, gen, 0)) == 1)
				continue;
			need_apply = need_eval = 0;
			continue;
		}
		if (!base_done) {
			if ((r = apply(w, off, 0, 1)) == 1)
				continue;
			if (r == 0 && (r = evaluate(w, 0, 1)) == 1)
				continue;
			base_done = 1;
		}
	}
	free(cur);
	free(off);
	return NULL;
}

/* ---- the singular value thread ---------------------------------------- */

static void *
svd_main(void *arg)
{
	struct tui_worker *w = arg;
	char *done = xcalloc(w->n ? (size_t)w->n : 1, 1);
	int left = w->n, pass;

	/* a nice value is per thread on Linux; elsewhere this may do nothing */
#ifdef SYS_gettid
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
	/* pass 0: the matrix view of every layer; pass 1: the spatial view
	 * of the Conv layers that have one */
	for (pass = 0; pass < 2; pass++) {
		memset(done, 0, w->n ? (size_t)w->n : 1);
		left = w->n;
		while (left > 0) {
			const struct wh_layer *l;
			struct wh_lcache *c;
			const float *s;
			char *err = NULL;
			int k, pick;

			pthread_mutex_lock(&w->mu);
			pick = w->quit ? -2 : w->svd_want;
			pthread_mutex_unlock(&w->mu);
			if (pick == -2)
				goto out;
			if (pick < 0 || pick >= w->n || done[pick])
				for (pick = 0; done[pick]; pick++)
					;
			done[pick] = 1;
			left--;
			l = wh_graph_layer(w->g, pick);
			if (l->max_rank == 0 ||
			    (pass == 1 && wh_lowrank_max_rank(l, 1) == 0))
				continue;
			c = wh_lcache_new(l);
			if ((pass == 0 ? wh_lcache_svals(c, &s, &k, &err) :
			    wh_lcache_svals_spatial(c, &s, &k, &err)) == 0) {
				struct tui_msg *m = msg_new(TUI_M_SVALS, 0);

				m->layer = pick;
				m->spatial = pass;
				m->k = k;
				m->sv = xmalloc((k ? (size_t)k : 1) * sizeof *m->sv);
				memcpy(m->sv, s, (size_t)k * sizeof *m->sv);
				post(w, m);
			} else {
				struct tui_msg *m = msg_new(TUI_M_SVALS, 0);

				m->layer = pick;
				m->spatial = pass;
				m->text = err != NULL ? err : xstrdup("LAPACK failed");
				post(w, m);
			}
			wh_lcache_free(c);
		}
	}
out:
	free(done);
	return NULL;
}

/* ---- start and stop --------------------------------------------------- */

struct tui_worker *
tui_worker_start(const struct wh_model *m, const struct wh_graph *g,
    struct wh_state *s, size_t limit, const double *lo, const double *hi)
{
	struct tui_worker *w = xcalloc(1, sizeof *w);
	sigset_t all, old;
	int i;

	w->m = m;
	w->g = g;
	w->s = s;
	w->n = wh_graph_nlayers(g);
	w->limit = limit;
	w->svd_want = -1;
	w->lo = xcalloc(w->n ? (size_t)w->n : 1, sizeof *w->lo);
	w->hi = xcalloc(w->n ? (size_t)w->n : 1, sizeof *w->hi);
	for (i = 0; i < w->n; i++) {
		w->lo[i] = lo[i];
		w->hi[i] = hi[i];
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->qmu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pipe(w->pipe) != 0)
		wh_fatal("cannot create a pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		fcntl(w->pipe[i], F_SETFL, fcntl(w->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(w->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	/* the threads start with every signal blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	w->eval_started = pthread_create(&w->eval_thr, NULL, eval_main, w) == 0;
	w->svd_started = pthread_create(&w->svd_thr, NULL, svd_main, w) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!w->eval_started)
		wh_fatal("cannot start the evaluation thread");
	return w;
}

void
tui_worker_stop(struct tui_worker *w)
{
	struct tui_msg *m, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->eval_started)
		pthread_join(w->eval_thr, NULL);
	if (w->svd_started)
		pthread_join(w->svd_thr, NULL);
	for (m = w->head; m != NULL; m = next) {
		next = m->next;
		tui_msg_free(m);
	}
	free(w->want);
	free(w->xcfg);
	free(w->xpath);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->qmu);
	pthread_cond_destroy(&w->cv);
	wh_state_free(w->s);
	free(w->lo);
	free(w->hi);
	free(w);
}
