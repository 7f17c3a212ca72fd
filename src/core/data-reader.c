/* data-reader.c - batches decoded ahead of evaluation on worker threads,
 * in a bounded ring of buffers */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "whittle/data.h"
#include "whittle/util.h"

enum slot_state { EMPTY, FILLING, READY };

struct slot {
	enum slot_state state;
	size_t start, count;
	unsigned gen;		/* the request order it was read for */
	float *buf;		/* cap samples */
	size_t cap;
	int failed;
	char *err;
};

struct wh_data_reader {
	const struct wh_dataset *d;
	struct wh_preproc pre;
	int scale_set;
	size_t ss;		/* values per sample */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid[16];
	int running, quit;	/* running: worker threads started */
	unsigned gen;		/* bumped when a request breaks the order */
	size_t next, batch;	/* what the worker reads next */
	int depth;
	struct slot *slots;
};

/* A slot the worker may fill, or NULL. */
static struct slot *
free_slot(struct wh_data_reader *r)
{
	int i;

	for (i = 0; i < r->depth; i++)
		if (r->slots[i].state == EMPTY)
			return &r->slots[i];
	return NULL;
}

static void *
reader_main(void *arg)
{
	struct wh_data_reader *r = arg;
	struct slot *s;
	size_t start, count;
	unsigned gen;
	char *err;
	int failed;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->quit && (r->batch == 0 || r->next >= r->d->n ||
		    (s = free_slot(r)) == NULL))
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->quit)
			break;
		start = r->next;
		count = r->d->n - start < r->batch ? r->d->n - start : r->batch;
		gen = r->gen;
		r->next += count;
		s->state = FILLING;
		s->start = start;
		s->count = count;
		s->gen = gen;
		if (s->cap < count) {
			free(s->buf);
			s->buf = xreallocarray(NULL, count, r->ss * sizeof(float));
			s->cap = count;
		}
		pthread_mutex_unlock(&r->mu);

		err = NULL;
		failed = wh_data_read(r->d, start, count, &r->pre,
		    r->scale_set, s->buf, &err) != 0;

		pthread_mutex_lock(&r->mu);
		if (s->gen != r->gen) {
			/* the consumer went elsewhere meanwhile */
			free(err);
			s->state = EMPTY;
		} else {
			s->failed = failed;
			s->err = err;
			s->state = READY;
		}
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

struct wh_data_reader *
wh_data_reader_new(const struct wh_dataset *d, const struct wh_preproc *pre,
    int scale_set, int depth)
{
	struct wh_data_reader *r = xcalloc(1, sizeof *r);

	r->d = d;
	if (pre != NULL)
		r->pre = *pre;
	else
		r->pre.scale = 1.0f;
	r->scale_set = scale_set;
	r->ss = wh_data_sample_size(d);
	r->depth = depth < 1 ? 1 : depth > 16 ? 16 : depth;
	r->slots = xcalloc((size_t)r->depth, sizeof *r->slots);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	/* one worker per buffer: each decodes a batch of its own */
	while (r->running < r->depth && pthread_create(&r->tid[r->running],
	    NULL, reader_main, r) == 0)
		r->running++;
	return r;
}

void
wh_data_reader_free(struct wh_data_reader *r)
{
	int i;

	if (r == NULL)
		return;
	if (r->running) {
		pthread_mutex_lock(&r->mu);
		r->quit = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		for (i = 0; i < r->running; i++)
			pthread_join(r->tid[i], NULL);
	}
	for (i = 0; i < r->depth; i++) {
		free(r->slots[i].buf);
		free(r->slots[i].err);
	}
	free(r->slots);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

/* The slot that holds or will hold [start, start + count), or NULL. */
static struct slot *
find_slot(struct wh_data_reader *r, size_t start, size_t count)
{
	int i;

	for (i = 0; i < r->depth; i++) {
		struct slot *s = &r->slots[i];

		if (s->state != EMPTY && s->gen == r->gen && s->start == start &&
		    s->count == count)
			return s;
	}
	return NULL;
}

int
wh_data_reader_get(struct wh_data_reader *r, size_t start, size_t count,
    float *out, char **err)
{
	struct slot *s;
	int i, ret = 0;

	if (start > r->d->n || count > r->d->n - start)
		return wh_error(err, "%s: samples %zu..%zu are beyond the %zu "
		    "in the set", r->d->images_path, start, start + count,
		    r->d->n);
	if (count == 0)
		return 0;
	if (!r->running)
		return wh_data_read(r->d, start, count, &r->pre, r->scale_set,
		    out, err);
	pthread_mutex_lock(&r->mu);
	if ((s = find_slot(r, start, count)) == NULL &&
	    (r->next != start || r->batch != count)) {
		/* Out of order: drop what was read ahead, start over here. */
		r->gen++;
		for (i = 0; i < r->depth; i++)
			if (r->slots[i].state == READY) {
				free(r->slots[i].err);
				r->slots[i].err = NULL;
				r->slots[i].state = EMPTY;
			}
		r->next = start;
		r->batch = count;
		pthread_cond_broadcast(&r->cv);
	}
	while (s == NULL && (s = find_slot(r, start, count)) == NULL)
		pthread_cond_wait(&r->cv, &r->mu);
	while (s->state != READY)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);

	/* The slot is ours until it is marked empty. */
	if (s->failed) {
		if (err != NULL) {
			*err = s->err;
			s->err = NULL;
		}
		ret = -1;
	} else
		memcpy(out, s->buf, count * r->ss * sizeof *out);

	pthread_mutex_lock(&r->mu);
	free(s->err);
	s->err = NULL;
	s->failed = 0;
	s->state = EMPTY;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return ret;
}
