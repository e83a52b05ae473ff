/*
 * match_thread.c - a backlog's lines matched on a second core. The main
 * thread copies candidate lines into a chunk; a full chunk is handed over
 * (one may wait while the thread works on another: two in flight at
 * most) and the thread runs its lines through feed_line, keeping the
 * results in line order. match_thread_drain hands in the last partial
 * chunk, waits until the thread is idle and gives the results out: the
 * caller passes them to the sink together with the positions the lines
 * reach, so a commit never holds a line without its position or the
 * reverse. Only this thread touches the matcher between a push and the
 * drain that follows it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "match_thread.h"
#include "util.h"
#include "worker_thread.h"

#define CHUNK_BYTES ((size_t)64 << 10)	/* handed over when this full */

struct line_ref {
	unsigned source;
	size_t off, len;
};

struct chunk {
	char *bytes;
	size_t used, cap;
	struct line_ref *lines;
	size_t n, lcap;
};

struct result {
	struct match_result r;
	time_t t;
};

struct results {
	struct result *v;
	size_t n, cap;
};

struct match_thread {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* a chunk was handed over, or stop */
	pthread_cond_t idle;	/* the thread took a chunk or finished one */
	struct matcher *m;
	struct stamp_cache stamps;	/* the thread's own */
	struct chunk filling;	/* the main thread's, unlocked */
	struct chunk queued;	/* under lock: handed over, not yet taken */
	struct chunk work;	/* the thread's */
	int has_queued, busy, stop;
	struct results done;	/* under lock: matched, not yet drained */
	struct results mine;	/* the thread's, for the chunk at hand */
	size_t ndone;		/* results known at the last hand-over */
};

static void chunk_add(struct chunk *c, unsigned source, const char *line,
		      size_t len)
{
	if (c->used + len > c->cap) {
		c->cap = c->used + len > 2 * c->cap ? c->used + len : 2 * c->cap;
		c->bytes = xrealloc(c->bytes, c->cap);
	}
	if (c->n == c->lcap) {
		c->lcap = c->lcap ? 2 * c->lcap : 1024;
		c->lines = xrealloc(c->lines, c->lcap * sizeof *c->lines);
	}
	memcpy(c->bytes + c->used, line, len);
	c->lines[c->n++] = (struct line_ref){ source, c->used, len };
	c->used += len;
}

static void chunk_swap(struct chunk *a, struct chunk *b)
{
	struct chunk t = *a;

	*a = *b;
	*b = t;
}

static void chunk_free(struct chunk *c)
{
	free(c->bytes);
	free(c->lines);
}

/* results_room - room in RS for EXTRA more results (at least 256,
 * doubling) */
static void results_room(struct results *rs, size_t extra)
{
	size_t need = rs->n + extra;

	if (need <= rs->cap)
		return;
	rs->cap = need > 2 * rs->cap ? need : 2 * rs->cap;
	if (rs->cap < 256)
		rs->cap = 256;
	rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
}

static void results_add(struct results *rs, const struct match_result *r,
			time_t t)
{
	results_room(rs, 1);
	rs->v[rs->n].r = *r;
	rs->v[rs->n++].t = t;
}

/* results_append - FROM's results after TO's, in one copy; FROM left
 * empty */
static void results_append(struct results *to, struct results *from)
{
	if (from->n == 0)
		return;
	results_room(to, from->n);
	memcpy(to->v + to->n, from->v, from->n * sizeof *from->v);
	to->n += from->n;
	from->n = 0;
}

/* match_chunk - the thread's chunk through the matcher, unlocked */
static void match_chunk(struct match_thread *mt)
{
	struct match_result r;
	time_t t;

	for (size_t i = 0; i < mt->work.n; i++) {
		const struct line_ref *l = &mt->work.lines[i];

		if (feed_line(mt->m, &mt->stamps, l->source,
			      mt->work.bytes + l->off, l->len, 0, &r, &t))
			results_add(&mt->mine, &r, t);
	}
	mt->work.n = mt->work.used = 0;
}

static void *run(void *arg)
{
	struct match_thread *mt = arg;

	pthread_mutex_lock(&mt->lock);
	for (;;) {
		while (!mt->has_queued && !mt->stop)
			pthread_cond_wait(&mt->wake, &mt->lock);
		if (!mt->has_queued)
			break;	/* stop, nothing left */
		chunk_swap(&mt->work, &mt->queued);
		mt->has_queued = 0;
		mt->busy = 1;
		pthread_cond_broadcast(&mt->idle);	/* a slot is free */
		pthread_mutex_unlock(&mt->lock);
		match_chunk(mt);
		pthread_mutex_lock(&mt->lock);
		results_append(&mt->done, &mt->mine);
		mt->busy = 0;
		pthread_cond_broadcast(&mt->idle);
	}
	pthread_mutex_unlock(&mt->lock);
	return NULL;
}

/* release - everything but the thread itself */
static void release(struct match_thread *mt)
{
	chunk_free(&mt->filling);
	chunk_free(&mt->queued);
	chunk_free(&mt->work);
	free(mt->done.v);
	free(mt->mine.v);
	pthread_cond_destroy(&mt->idle);
	pthread_cond_destroy(&mt->wake);
	pthread_mutex_destroy(&mt->lock);
	free(mt);
}

struct match_thread *match_thread_start(struct matcher *m)
{
	struct match_thread *mt = xcalloc(1, sizeof *mt);

	mt->m = m;
	pthread_mutex_init(&mt->lock, NULL);
	pthread_cond_init(&mt->wake, NULL);
	pthread_cond_init(&mt->idle, NULL);
	if (worker_thread_start(&mt->thread, run, mt, "backlog matcher") != 0) {
		release(mt);
		return NULL;
	}
	return mt;
}

void match_thread_stop(struct match_thread *mt)
{
	if (mt == NULL)
		return;
	pthread_mutex_lock(&mt->lock);
	mt->stop = 1;
	pthread_cond_broadcast(&mt->wake);
	pthread_mutex_unlock(&mt->lock);
	pthread_join(mt->thread, NULL);
	release(mt);
}

/* hand_over - the filling chunk to the thread, once its slot is free */
static void hand_over(struct match_thread *mt)
{
	pthread_mutex_lock(&mt->lock);
	while (mt->has_queued)
		pthread_cond_wait(&mt->idle, &mt->lock);
	chunk_swap(&mt->filling, &mt->queued);
	mt->has_queued = 1;
	mt->ndone = mt->done.n;
	pthread_cond_signal(&mt->wake);
	pthread_mutex_unlock(&mt->lock);
	mt->filling.n = mt->filling.used = 0;
}

size_t match_thread_push(struct match_thread *mt, unsigned source,
			 const char *line, size_t len)
{
	chunk_add(&mt->filling, source, line, len);
	if (mt->filling.used >= CHUNK_BYTES)
		hand_over(mt);
	return mt->ndone;
}

void match_thread_drain(struct match_thread *mt, match_result_fn fn,
			void *ctx)
{
	struct results taken;

	if (mt->filling.n > 0)
		hand_over(mt);
	pthread_mutex_lock(&mt->lock);
	while (mt->has_queued || mt->busy)
		pthread_cond_wait(&mt->idle, &mt->lock);
	taken = mt->done;
	mt->done.v = NULL;
	mt->done.n = mt->done.cap = 0;
	mt->ndone = 0;
	pthread_mutex_unlock(&mt->lock);
	for (size_t i = 0; i < taken.n; i++)
		fn(&taken.v[i].r, taken.v[i].t, ctx);
	free(taken.v);
}
