/*
 * tail.c - the tailer's public face: setup, the wait for file events,
 * delivery of lines across all followed files, retirement of drained
 * rotated files, and position reports that match exactly the lines
 * delivered. Must never lose or repeat a line across a rotation.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "log.h"
#include "tail_int.h"
#include "util.h"

#define DELIVER_BUDGET ((size_t)16 << 20)	/* bytes read per delivery */

struct tailer *tail_new(const struct tail_options *o)
{
	struct tailer *t = xcalloc(1, sizeof *t);

	t->opt = *o;
	t->inotify_ok = inotifytools_initialize() != 0;
	if (!t->inotify_ok)
		log_msg(LOG_ERR, "inotify: cannot initialise: %s; polling "
			"the log files every %d s instead",
			strerror(inotifytools_error()), TAIL_SCAN_MS / 1000);
	return t;
}

void tail_free(struct tailer *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i];

		tail_stream_free(f->cur);
		free(f->path);
		free(f->base);
		free(f->real_base);
		free(f->real_path);
	}
	while (t->rotated != NULL) {
		struct stream *s = t->rotated;

		t->rotated = s->next;
		tail_stream_free(s);
	}
	for (size_t i = 0; i < t->ndeleted; i++)
		free(t->deleted[i]);
	for (size_t i = 0; i < t->nsaved; i++)
		free(t->saved[i].name);
	for (size_t i = 0; i < t->ndirs; i++)
		free(t->dirs[i].path);
	free(t->files);
	free(t->deleted);
	free(t->saved);
	free(t->dirs);
	if (t->inotify_ok)
		inotifytools_cleanup();
	free(t);
}

void tail_restore(struct tailer *t, const char *name, const struct position *p)
{
	t->saved = xrealloc(t->saved, (t->nsaved + 1) * sizeof *t->saved);
	t->saved[t->nsaved].name = xstrdup(name);
	t->saved[t->nsaved].pos = *p;
	t->saved[t->nsaved].used = 0;
	t->nsaved++;
}

void tail_add(struct tailer *t, const char *path)
{
	struct tail_file *f;
	const char *slash = strrchr(path, '/');

	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].path, path) == 0)
			return;
	t->files = xrealloc(t->files, (t->nfiles + 1) * sizeof *t->files);
	f = &t->files[t->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->base = xstrdup(slash ? slash + 1 : path);
}

static void mark_all_pending(struct tailer *t)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].cur != NULL)
			t->files[i].cur->pending = 1;
	for (struct stream *s = t->rotated; s != NULL; s = s->next)
		s->pending = 1;
}

void tail_catch_up(struct tailer *t)
{
	mark_all_pending(t);
}

/* wait_without_inotify - inotify is unavailable: sleep, then scan */
static int wait_without_inotify(struct tailer *t, int timeout_s)
{
	if (poll(NULL, 0, timeout_s * 1000) < 0 && errno == EINTR)
		return -1;
	tail_scan_all(t);
	return 0;
}

int tail_wait(struct tailer *t, int timeout_s)
{
	struct inotify_event *ev;
	int err;

	if (timeout_s < 1)
		timeout_s = 1;
	if (clock_mono_ms() >= t->next_scan_ms) {
		tail_scan_all(t);
		return 0;
	}
	if (!t->inotify_ok)
		return wait_without_inotify(t, timeout_s);
	ev = inotifytools_next_events(timeout_s, 1);
	if (ev == NULL) {
		err = inotifytools_error();
		if (err == EINTR)
			return -1;
		if (err != 0) {
			log_limited(&t->rl_watch, LOG_ERR, "inotify: %s",
				    strerror(err));
			poll(NULL, 0, 1000);	/* never spin on an error */
		}
		mark_all_pending(t);
		return 0;
	}
	tail_handle_event(t, ev);
	return 1;
}

/* retire - remember where S ended: met again under a followed name (a
 * hard link, a file renamed back) it goes on from there */
static void retire(struct tailer *t, struct stream *s)
{
	struct retired *r = &t->retired[t->nretired++ % TAIL_RETIRED_MAX];

	r->dev = s->dev;
	r->ino = s->ino;
	tail_stream_position(s, &r->pos);
}

/* retire_quiet - close rotated files drained and quiet for rotate_wait */
static void retire_quiet(struct tailer *t)
{
	long long now = clock_mono_ms();
	struct stream **pp = &t->rotated;
	char esc[256];

	while (*pp != NULL) {
		struct stream *s = *pp;

		if (s->pending ||
		    now - s->last_data_ms < (long long)t->opt.rotate_wait * 1000) {
			pp = &s->next;
			continue;
		}
		retire(t, s);
		log_msg(LOG_INFO, "%s: rotated file done (inode %llu, %llu "
			"bytes)%s", log_escape(esc, sizeof esc, s->name,
					       strcspn(s->name, "\001")),
			(unsigned long long)s->ino,
			(unsigned long long)s->consumed,
			s->end > s->start ? "; unfinished last line dropped" : "");
		tail_delete_position_later(t, s->name);
		*pp = s->next;
		tail_stream_free(s);
	}
}

/* look_for_copy - S was cut back: queue the copy of what it held */
static void look_for_copy(struct tailer *t, struct stream *s)
{
	if (s->cut && s->source >= 1 && s->source <= t->nfiles)
		tail_sibling_copy(t, &t->files[s->source - 1], s);
	else
		s->cut = 0;
}

/* deliver_one - 1 if the delivery must stop here (call again) */
static int deliver_one(struct tailer *t, struct stream *s, tail_line_fn fn,
		       void *ctx, size_t *budget)
{
	int more;

	look_for_copy(t, s);
	if (!s->pending)
		return 0;
	more = tail_stream_deliver(t, s, fn, ctx, budget);
	look_for_copy(t, s);
	return more;
}

int tail_deliver(struct tailer *t, tail_line_fn fn, void *ctx)
{
	size_t budget = DELIVER_BUDGET;

	for (struct stream *s = t->rotated; s != NULL; s = s->next)
		if (deliver_one(t, s, fn, ctx, &budget))
			return 1;
	for (size_t i = 0; i < t->nfiles; i++) {
		struct stream *s = t->files[i].cur;

		if (s != NULL && deliver_one(t, s, fn, ctx, &budget))
			return 1;
	}
	retire_quiet(t);
	return 0;
}

static void report_stream(struct tailer *t, struct stream *s,
			  tail_position_fn fn, void *ctx)
{
	struct position p;

	if (!s->report)
		return;
	tail_stream_position(s, &p);
	p.saved_at = t->swept_ns;	/* what was seen by then is in */
	fn(s->name, &p, ctx);
	s->report = 0;
}

/* anything_to_report - some position changed or is to be deleted, or
 * the last sweep left a sibling undecided */
static int anything_to_report(const struct tailer *t)
{
	if (t->ndeleted > 0 || t->undecided)
		return 1;
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].del_main ||
		    (t->files[i].cur != NULL && t->files[i].cur->report))
			return 1;
	for (const struct stream *s = t->rotated; s != NULL; s = s->next)
		if (s->report)
			return 1;
	return 0;
}

/* sweep_before_save - a save carries a sweep's time (tail_sweep.c), in
 * the position of every file now at a followed path: also a save that
 * only deletes the position of a file read to its end */
static void sweep_before_save(struct tailer *t)
{
	if (!anything_to_report(t))
		return;
	tail_sweep(t);
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].cur != NULL)
			t->files[i].cur->report = 1;
}

void tail_positions(struct tailer *t, tail_position_fn fn, void *ctx)
{
	sweep_before_save(t);
	for (size_t i = 0; i < t->ndeleted; i++) {
		fn(t->deleted[i], NULL, ctx);
		free(t->deleted[i]);
	}
	t->ndeleted = 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i];

		if (f->cur != NULL)
			report_stream(t, f->cur, fn, ctx);
		else if (f->del_main)
			fn(f->path, NULL, ctx);
		f->del_main = 0;
	}
	for (struct stream *s = t->rotated; s != NULL; s = s->next)
		report_stream(t, s, fn, ctx);
}

void tail_set_skip(struct tailer *t, tail_skip_fn fn, void *ctx)
{
	t->skip = fn;
	t->skip_ctx = ctx;
}

void tail_take_counters(struct tailer *t, struct tail_counters *c)
{
	*c = t->count;
	memset(&t->count, 0, sizeof t->count);
}
