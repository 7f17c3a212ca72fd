/* sens.c - the sensitivity and search thread of the workbench
 *
 * The thread owns a struct wh_state of its own (the evaluation thread's is
 * busy with the user's settings) and works through the table's empty
 * cells, last layer first, posting each cell as it is measured.  The
 * yield hook, called between batches, waits while the UI has paused it
 * (an evaluation of the user's settings runs) and cancels when a search
 * is asked for or the thread is stopped; a cancelled cell is measured
 * again later.  It runs at a lower priority, as the singular value thread
 * does.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sens.h"
#include "whittle/util.h"

struct tui_sens {
	const struct wh_graph *g;
	struct wh_state *st;
	struct wh_sens_table t;
	const struct wh_dataset *d;
	char *model_path;	/* whose cache to use, or NULL for none */
	char *cache;
	int n;
	unsigned char *posted;	/* (nlayers, posted_ns) sent to the UI */
	int posted_ns;

	pthread_t thr;
	int started;

	/* the inbox, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int paused, quit;
	int search;		/* a search is asked for */
	double max_drop;
	unsigned char *locked;
	struct wh_layer_cfg *locked_cfg;

	/* the outbox, under qmu */
	pthread_mutex_t qmu;
	struct tui_sens_msg *head, *tail;
	int pipe[2];
};

static void
post(struct tui_sens *s, struct tui_sens_msg *m)
{
	int wake;
	char b = 1;

	pthread_mutex_lock(&s->qmu);
	wake = s->head == NULL;
	if (s->tail != NULL)
		s->tail->next = m;
	else
		s->head = m;
	s->tail = m;
	pthread_mutex_unlock(&s->qmu);
	if (wake && write(s->pipe[1], &b, 1) < 0 && errno != EAGAIN)
		return;
}

static struct tui_sens_msg *
msg_new(enum tui_sens_type type)
{
	struct tui_sens_msg *m = xcalloc(1, sizeof *m);

	m->type = type;
	m->chosen = -1;
	return m;
}

static void
post_text(struct tui_sens *s, enum tui_sens_type type, const char *text)
{
	struct tui_sens_msg *m = msg_new(type);

	m->text = xstrdup(text);
	post(s, m);
}

struct tui_sens_msg *
tui_sens_take(struct tui_sens *s)
{
	struct tui_sens_msg *m;
	char buf[64];

	while (read(s->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&s->qmu);
	m = s->head;
	s->head = s->tail = NULL;
	pthread_mutex_unlock(&s->qmu);
	return m;
}

void
tui_sens_msg_free(struct tui_sens_msg *m)
{
	while (m != NULL) {
		struct tui_sens_msg *next = m->next;

		free(m->point.cfgs);
		free(m->text);
		free(m);
		m = next;
	}
}

int
tui_sens_fd(const struct tui_sens *s)
{
	return s->pipe[0];
}

void
tui_sens_pause(struct tui_sens *s, int on)
{
	pthread_mutex_lock(&s->mu);
	s->paused = on;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
tui_sens_search(struct tui_sens *s, double max_drop,
    const unsigned char *locked, const struct wh_layer_cfg *locked_cfg)
{
	pthread_mutex_lock(&s->mu);
	s->search = 1;
	s->max_drop = max_drop;
	free(s->locked);
	free(s->locked_cfg);
	s->locked = NULL;
	s->locked_cfg = NULL;
	if (locked != NULL) {
		s->locked = xmalloc(s->n ? s->n : 1);
		memcpy(s->locked, locked, s->n);
		s->locked_cfg = xmalloc((s->n ? s->n : 1) * sizeof *locked_cfg);
		memcpy(s->locked_cfg, locked_cfg, s->n * sizeof *locked_cfg);
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ---- the thread ------------------------------------------------------- */

/* Between batches: wait while paused; cancel for a (newer) search or to
 * quit. */
static int
yield_measure(void *arg)
{
	struct tui_sens *s = arg;
	int stop;

	pthread_mutex_lock(&s->mu);
	while (s->paused && !s->quit && !s->search)
		pthread_cond_wait(&s->cv, &s->mu);
	stop = s->quit || s->search;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* Posts every measured cell not posted yet (the table is small). */
static int
cell_posted(void *arg, int done, int total, const char *layer,
    const char *setting)
{
	struct tui_sens *s = arg;
	size_t ncell = (size_t)s->t.nlayers * s->t.nsettings;
	int i, k;

	(void)layer;
	(void)setting;
	if (s->posted_ns != s->t.nsettings) {
		/* a search added columns at the end: old cells keep (i, k) */
		unsigned char *p = xcalloc(ncell + 1, 1);

		for (i = 0; i < s->t.nlayers; i++)
			for (k = 0; k < s->posted_ns; k++)
				p[(size_t)i * s->t.nsettings + k] =
				    s->posted[(size_t)i * s->posted_ns + k];
		free(s->posted);
		s->posted = p;
		s->posted_ns = s->t.nsettings;
	}
	for (i = 0; i < s->t.nlayers; i++)
		for (k = 0; k < s->t.nsettings; k++) {
			size_t c = (size_t)i * s->t.nsettings + k;
			struct tui_sens_msg *m;

			if (s->t.cells[c].status == WH_SENS_TODO || s->posted[c])
				continue;
			s->posted[c] = 1;
			m = msg_new(TUI_S_CELL);
			m->layer = i;
			m->setting = k;
			m->cell = s->t.cells[c];
			m->done = done;
			m->total = total;
			post(s, m);
		}
	return 0;
}

static void
note(void *arg, const char *what)
{
	post_text(arg, TUI_S_NOTE, what);
}

static void
run_search(struct tui_sens *s)
{
	struct wh_search_opts o;
	struct wh_search_result r;
	struct tui_sens_msg *m;
	char *err = NULL, buf[160];
	unsigned char *locked;
	struct wh_layer_cfg *lcfg, off;
	int rc, i;

	pthread_mutex_lock(&s->mu);
	s->search = 0;
	wh_search_opts_default(&o);
	o.max_drop = s->max_drop;
	locked = s->locked;
	lcfg = s->locked_cfg;
	s->locked = NULL;
	s->locked_cfg = NULL;
	pthread_mutex_unlock(&s->mu);
	o.locked = locked;
	o.locked_cfg = lcfg;
	o.yield = yield_measure;
	o.note = note;
	o.progress = cell_posted;
	o.arg = s;
	snprintf(buf, sizeof buf, "search: measuring what the table lacks "
	    "(budget %.2f points)", o.max_drop);
	post_text(s, TUI_S_NOTE, buf);
	rc = wh_search_run(s->st, &s->t, &o, &r, &err);
	cell_posted(s, 0, 0, NULL, NULL);
	for (i = 0; i < r.npoints; i++) {
		m = msg_new(TUI_S_POINT);
		m->point = r.points[i];
		m->point.m.confusion = NULL;
		m->point.m.class_acc = NULL;
		r.points[i].cfgs = NULL;	/* moved */
		post(s, m);
	}
	m = msg_new(TUI_S_SEARCHED);
	m->chosen = r.chosen;
	if (rc < 0)
		m->text = xasprintf("search failed: %s", err ? err : "?");
	else if (rc == 2)
		m->text = xstrdup("search cancelled");
	else if (r.chosen < 0)
		m->text = xasprintf("search: no verified plan loses at most "
		    "%.2f points", o.max_drop);
	else
		m->text = xasprintf("search: %.2fx at %+.2f points, %u "
		    "verifications (Tab, then Enter recalls a plan)",
		    r.points[r.chosen].ratio, -r.points[r.chosen].drop,
		    r.evaluations);
	post(s, m);
	wh_search_result_release(&r);
	free(err);
	free(locked);
	free(lcfg);
	/* the search leaves its plan in the state; measuring needs it off */
	wh_layer_cfg_init(&off);
	for (i = 0; i < s->n; i++)
		wh_state_set(s->st, i, &off, NULL);
	if (s->cache != NULL && wh_sens_save(&s->t, s->cache, NULL) != 0)
		post_text(s, TUI_S_ERROR, "the sensitivity cache was not written");
}

static int
todo(const struct wh_sens_table *t)
{
	size_t i, n = (size_t)t->nlayers * t->nsettings;

	for (i = 0; i < n; i++)
		if (t->cells[i].status == WH_SENS_TODO &&
		    strchr(t->settings[i % t->nsettings].name, '+') == NULL)
			return 1;
	return 0;
}

/* Reads what the cache holds of this model and data into the table. */
static void
read_cache(struct tui_sens *s)
{
	char *err = NULL, *warn = NULL;

	if (wh_sens_cache_read(&s->t, s->model_path, s->d, 0, 0, &s->cache,
	    &warn, &err) < 0) {
		free(err);
		return;		/* no cache, the table is measured anew */
	}
	if (warn != NULL) {
		post_text(s, TUI_S_ERROR, warn);
		free(warn);
	}
	cell_posted(s, 0, 0, NULL, NULL);
}

static void *
thread_main(void *arg)
{
	struct tui_sens *s = arg;
	sigset_t all;
	int rc, complete;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	/* below the user's evaluation, like the singular value thread */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	if (s->model_path != NULL)
		read_cache(s);
	complete = !todo(&s->t);
	if (complete)
		post(s, msg_new(TUI_S_TABLE));
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->quit && !s->search && (complete || s->paused))
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->quit) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		pthread_mutex_unlock(&s->mu);
		if (s->search) {
			run_search(s);
			continue;
		}
		{
			struct wh_sens_opts o;
			char *err = NULL;

			memset(&o, 0, sizeof o);
			wh_sens_rule_default(&o.rule);
			/* only the single settings: two-part columns are the
			 * search's */
			o.cell_mask = xcalloc((size_t)s->t.nlayers *
			    s->t.nsettings + 1, 1);
			for (size_t i = 0; i < (size_t)s->t.nlayers *
			    s->t.nsettings; i++)
				((unsigned char *)o.cell_mask)[i] =
				    strchr(s->t.settings[i % s->t.nsettings].name,
				    '+') == NULL;
			o.progress = cell_posted;
			o.yield = yield_measure;
			o.arg = s;
			rc = wh_sens_measure(s->st, &s->t, &o, &err);
			free((void *)o.cell_mask);
			cell_posted(s, 0, 0, NULL, NULL);
			if (rc < 0) {
				char *txt = xasprintf("sensitivity: %s", err);

				post_text(s, TUI_S_ERROR, txt);
				free(txt);
				complete = 1;
			} else if (rc == 0) {
				complete = 1;
				if (s->cache != NULL && wh_sens_save(&s->t,
				    s->cache, NULL) != 0)
					post_text(s, TUI_S_ERROR, "the sensitivity "
					    "cache was not written");
				post(s, msg_new(TUI_S_TABLE));
			}
			free(err);
		}
	}
	return NULL;
}

struct tui_sens *
tui_sens_start(const struct wh_graph *g, const struct wh_dataset *d,
    const struct wh_preproc *pre, int scale_set,
    const struct wh_eval_opts *eo, const struct wh_sens_table *init,
    const char *model_path, char **err)
{
	struct tui_sens *s = xcalloc(1, sizeof *s);
	int i;

	s->g = g;
	s->n = wh_graph_nlayers(g);
	if ((s->st = wh_state_new(g, d, pre, scale_set, eo, err)) == NULL) {
		free(s);
		return NULL;
	}
	wh_sens_table_copy(&s->t, init);
	/* the cells the UI already has are not posted again */
	s->posted_ns = s->t.nsettings;
	s->posted = xcalloc((size_t)s->t.nlayers * s->t.nsettings + 1, 1);
	for (i = 0; i < s->t.nlayers * s->t.nsettings; i++)
		s->posted[i] = s->t.cells[i].status != WH_SENS_TODO;
	s->d = d;
	s->model_path = model_path ? xstrdup(model_path) : NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->qmu, NULL);
	if (pipe(s->pipe) != 0)
		wh_fatal("cannot create a pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		fcntl(s->pipe[i], F_SETFL, fcntl(s->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(s->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	if (pthread_create(&s->thr, NULL, thread_main, s) == 0)
		s->started = 1;
	return s;
}

void
tui_sens_stop(struct tui_sens *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thr, NULL);
	tui_sens_msg_free(s->head);
	close(s->pipe[0]);
	close(s->pipe[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->qmu);
	wh_sens_table_release(&s->t);
	wh_state_free(s->st);
	free(s->locked);
	free(s->locked_cfg);
	free(s->cache);
	free(s->model_path);
	free(s->posted);
	free(s);
}
