/*
 * tail_stream.c - reading one open log file: 64 KiB reads, complete
 * lines only (a partial tail waits for its newline), overlong lines
 * skipped without buffering them, NUL padding skipped, a file cut back
 * or rewritten detected and resumed at the last line it still holds.
 * Never delivers a line twice, never delivers bytes that are not yet
 * followed by their newline, never stops at odd bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tail_int.h"
#include "util.h"

#define BUF_CAP (TAIL_LINE_MAX + TAIL_READ_SIZE)
#define SKIP_COUNTED 1		/* an overlong line: count it when it ends */
#define SKIP_SILENT 2		/* started mid-line: drop the fragment */
#define RUN_MIN 128		/* bytes before the next hit worth a run */

/* compute_fp - hash the first line (at most TAIL_FP_MAX bytes) */
static void compute_fp(struct stream *s)
{
	char b[TAIL_FP_MAX];
	ssize_t n;
	char *nl;
	size_t len;

	if (s->fp_final)
		return;
	n = tail_pread(s->fd, s->in, b, sizeof b, 0);
	if (n < 0)
		n = 0;
	nl = memchr(b, '\n', (size_t)n);
	len = nl ? (size_t)(nl - b) + 1 : (size_t)n;
	s->fp = tail_hash(b, len);
	s->fp_len = (uint32_t)len;
	s->fp_final = nl != NULL || len == TAIL_FP_MAX;
}

struct stream *tail_stream_new(int fd, const struct stat *st,
			       uint64_t offset, int live, const char *name)
{
	struct stream *s = xcalloc(1, sizeof *s);

	s->fd = fd;
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->read_off = s->consumed = offset;
	s->at_eof = s->buf_live = live;
	s->pending = 1;
	s->report = 1;
	s->name = xstrdup(name);
	s->last_data_ms = clock_mono_ms();
	s->size_seen = (uint64_t)st->st_size;
	compute_fp(s);	/* known before a copytruncate can hide it */
	return s;
}

void tail_stream_take_input(struct stream *s, struct tail_input *in)
{
	s->in = in;
	s->fp_final = 0;
	compute_fp(s);
}

void tail_stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	tail_input_free(s->in);
	if (s->fd >= 0)
		close(s->fd);
	free(s->ck);
	free(s->buf);
	free(s->name);
	free(s);
}

void tail_stream_skip_partial(struct stream *s)
{
	s->skipping = SKIP_SILENT;
}

static const char *stream_label(const struct stream *s, char *buf,
				size_t size)
{
	return log_escape(buf, size, s->name, strlen(s->name));
}

/* line_done - LEN bytes and their newline were taken from the buffer */
static void line_done(struct stream *s, size_t len)
{
	s->start += len + 1;
	s->consumed = s->read_off - (s->end - s->start);
	s->report = 1;
}

/* the end of the last line taken whose checkpoint is not taken yet.
 * Checkpoints go to the ends of wanted lines and of the last line taken
 * from the buffer, not to each line the skip function passes over: a
 * file cut back inside a run of such lines is read again from the end
 * of the wanted line before the run, which delivers nothing twice, and
 * a backlog is not hashed line by line */
struct held_check {
	int set;
	uint64_t end;		/* file offset of the line end */
	size_t at;		/* buffer offset just past its newline */
	size_t len;		/* line length with its newline */
};

/* check_flush - the held line end's checkpoint, now */
static void check_flush(struct stream *s, struct held_check *h)
{
	if (h->set && s->in == NULL)	/* a compressed file is never cut back */
		tail_check_add(s, h->end, s->buf + h->at, h->len);
	h->set = 0;
}

/* check_line - the line just taken (LEN bytes and a newline): its
 * checkpoint now when it is WANTED, else held */
static void check_line(struct stream *s, struct held_check *h, size_t len,
		       int wanted)
{
	h->set = 1;
	h->end = s->consumed;
	h->at = s->start;
	h->len = len + 1;
	if (wanted)
		check_flush(s, h);
}

/* skip_nul - a run of NUL bytes where a line starts is padding (a writer
 * without O_APPEND after a copytruncate left a hole): drop it, count
 * the run once. 1 if bytes remain in the buffer */
static int skip_nul(struct tailer *t, struct stream *s)
{
	size_t from = s->start;

	while (s->start < s->end && s->buf[s->start] == '\0')
		s->start++;
	if (s->start > from) {
		if (!s->nul_run)
			t->count.nul_padding_skipped++;
		s->nul_run = 1;
		s->consumed = s->read_off - (s->end - s->start);
		s->report = 1;
	}
	if (s->start < s->end)
		s->nul_run = 0;
	return s->start < s->end;
}

/* next_hit - where the skip function finds something at or after
 * s->start (asked again once its last hit is behind) */
static size_t next_hit(struct tailer *t, struct stream *s)
{
	if (!s->hit_known || s->hit < s->start) {
		s->hit = s->start + t->skip(s->buf + s->start,
					    s->end - s->start, t->skip_ctx);
		s->hit_known = 1;
	}
	return s->hit;
}

/* wanted - the line from s->start to buffer offset NL (its newline)
 * may concern the line function */
static int wanted(struct tailer *t, struct stream *s, size_t nl)
{
	return t->skip == NULL || next_hit(t, s) < nl;
}

/* take_run - the whole lines before the skip function's next hit, taken
 * at once unless one of them needs the line-by-line path: counted, the
 * last one's checkpoint held. 1 if it took any */
static int take_run(struct tailer *t, struct stream *s, struct held_check *h)
{
	struct tail_run r;
	const char *base = s->buf + s->start, *nl;
	size_t from, len;

	if (t->skip == NULL || next_hit(t, s) - s->start < RUN_MIN ||
	    !tail_run_scan(base, s->hit - s->start, &r) || r.lines == 0)
		return 0;
	/* the last line's length, as far as its checkpoint looks back */
	from = r.last > TAIL_CHECK_MAX ? r.last - TAIL_CHECK_MAX : 0;
	nl = memrchr(base + from, '\n', r.last - from);
	len = nl != NULL ? r.last - (size_t)(nl - base) - 1 : r.last - from;
	line_done(s, r.last);
	check_line(s, h, len, 0);
	t->count.lines_read += r.lines;
	return 1;
}

/* deliver_buffered - hand the complete lines in the buffer to FN;
 * 1 if FN asked to stop */
static int deliver_buffered(struct tailer *t, struct stream *s,
			    tail_line_fn fn, void *ctx)
{
	struct held_check held = { 0, 0, 0, 0 };

	while (s->start < s->end) {
		char *p;
		size_t avail;
		char *nl;
		size_t len;
		int keep;

		if (!s->skipping && !skip_nul(t, s))
			break;
		if (!s->skipping && take_run(t, s, &held))
			continue;
		p = s->buf + s->start;
		avail = s->end - s->start;
		nl = memchr(p, '\n', avail);

		if (nl == NULL) {
			check_flush(s, &held);	/* before the bytes go */
			if (avail > TAIL_LINE_MAX || s->skipping) {
				if (!s->skipping)
					s->skipping = SKIP_COUNTED;
				s->start = s->end;	/* drop, keep no copy */
			}
			return 0;
		}
		len = (size_t)(nl - p);
		keep = wanted(t, s, (size_t)(nl - s->buf));
		line_done(s, len);
		check_line(s, &held, len, keep);
		if (s->skipping || len > TAIL_LINE_MAX) {
			if (s->skipping != SKIP_SILENT)
				t->count.lines_overlong++;
			s->skipping = 0;
			continue;
		}
		t->count.lines_read++;
		if (keep && fn(p, len, s->buf_live, s->source, ctx))
			return 1;
	}
	check_flush(s, &held);
	return 0;
}

/* fp_from_buffer - the buffer holds the file from offset 0: the first
 * line is fingerprinted as it was read, not as the file holds it when a
 * position is next reported (a copytruncate in between would give the
 * lines read the fingerprint of lines not read). A first line taken
 * when the file was opened that is not the one read: the file was cut
 * back and refilled before we read it, what it held is looked for in a
 * copy (from its start: none of it was read) */
static void fp_from_buffer(struct stream *s)
{
	size_t n = s->end < TAIL_FP_MAX ? s->end : TAIL_FP_MAX;
	const char *nl;
	uint64_t fp;
	char label[128];

	if (s->start != 0 || s->read_off != s->end || s->in != NULL)
		return;
	nl = memchr(s->buf, '\n', n);
	if (nl != NULL)
		n = (size_t)(nl - s->buf) + 1;
	fp = tail_hash(s->buf, n);
	if (s->fp_final && (fp != s->fp || n != s->fp_len)) {
		tail_stream_position(s, &s->lost);
		s->cut = 1;
		log_msg(LOG_NOTICE, "%s: rewritten before it was read: looking "
			"for a copy of what it held", stream_label(s, label,
								   sizeof label));
	} else if (s->fp_final) {
		return;
	}
	s->fp = fp;
	s->fp_len = (uint32_t)n;
	s->fp_final = nl != NULL || n == TAIL_FP_MAX;
}

/* stream_read - append up to TAIL_READ_SIZE bytes; bytes read or -1 */
static ssize_t stream_read(struct tailer *t, struct stream *s)
{
	size_t want = TAIL_READ_SIZE;
	ssize_t n;
	char label[128];

	if (s->buf == NULL)
		s->buf = xmalloc(BUF_CAP);
	s->hit_known = 0;	/* the bytes move or grow: scan again */
	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	if (want > BUF_CAP - s->end)
		want = BUF_CAP - s->end;
	n = tail_pread(s->fd, s->in, s->buf + s->end, want, s->read_off);
	if (n < 0) {
		log_limited(&t->rl_read, LOG_ERR, "%s: read: %s",
			    stream_label(s, label, sizeof label),
			    strerror(errno));
		return -1;
	}
	if (n > 0) {
		s->buf_live = s->at_eof;
		s->end += (size_t)n;
		s->read_off += (uint64_t)n;
		s->last_data_ms = clock_mono_ms();
		fp_from_buffer(s);
	}
	s->at_eof = (size_t)n < want;
	return n;
}

/* first_line - 1: the first line we fingerprinted is still there, 0: it
 * changed, -1: nothing to tell by (not complete yet, or a NUL hole) */
static int first_line(struct stream *s)
{
	struct position p;

	if (!s->fp_final || s->fp_len == 0 || tail_fp_is_hole(s->fp, s->fp_len))
		return -1;
	p.fingerprint = s->fp;
	p.fingerprint_len = s->fp_len;
	return tail_fp_matches(s->fd, s->in, &p);
}

/* go_back - read on from FROM as backlog (the bytes there are not where
 * the last read ended), forgetting what was buffered */
static void go_back(struct stream *s, uint64_t from)
{
	s->read_off = s->consumed = from;
	s->start = s->end = 0;
	s->hit_known = 0;
	s->skipping = 0;
	s->nul_run = 0;
	s->at_eof = s->buf_live = 0;	/* backlog: their own time stamps */
	if (from == 0) {
		s->fp_final = 0;
		s->fp_len = 0;
	}
	s->report = 1;
	s->pending = 1;
}

/* reconcile - S's file (now SIZE bytes) no longer holds what was read
 * up to s->consumed: go on at the last line end it still holds (the
 * first line changed: at 0). S->lost keeps what it held, so the caller
 * can look for a copy (copytruncate) holding the rest */
static void reconcile(struct tailer *t, struct stream *s, uint64_t size,
		      const char *why)
{
	char label[128];
	uint64_t from = 0, was = s->consumed;
	int kept = first_line(s);

	stream_label(s, label, sizeof label);
	tail_stream_position(s, &s->lost);
	if (kept != 0)		/* checkpoints tell, also after a NUL hole */
		from = tail_check_find(s, size);
	else
		tail_check_clear(s);
	if (kept == 1 && from == 0) {
		from = s->fp_len;
		t->count.positions_reset++;
		log_msg(LOG_WARNING, "%s: %s after its first line (offset %llu "
			"no longer holds what was read): reading from offset "
			"%llu as backlog; lines up to %llu may be read twice",
			label, why, (unsigned long long)was,
			(unsigned long long)from, (unsigned long long)size);
	}
	s->cut = 1;
	log_msg(LOG_NOTICE, "%s: %s at offset %llu: reading on from offset "
		"%llu as backlog", label, why, (unsigned long long)was,
		(unsigned long long)from);
	go_back(s, from);
	t->count.truncations++;
}

/* tail_fp - the checkpoint at the offset reached: the last line's, or
 * read back when bytes were skipped since */
static void tail_fp(struct stream *s, struct position *p)
{
	const struct position_check *c = tail_check_last(s);
	char b[TAIL_CHECK_MAX];
	uint64_t len = s->consumed < TAIL_CHECK_MAX ? s->consumed
						     : TAIL_CHECK_MAX;

	if (c != NULL && c->end == s->consumed) {
		p->tail_fp = c->hash;
		p->tail_len = c->len;
		return;
	}
	p->tail_len = 0;
	p->tail_fp = 0;
	if (len > 0 && tail_pread(s->fd, s->in, b, (size_t)len,
				  s->consumed - len) == (ssize_t)len) {
		p->tail_fp = tail_check_hash(b, (size_t)len);
		p->tail_len = (uint32_t)len;
	}
}

void tail_stream_position(struct stream *s, struct position *p)
{
	compute_fp(s);
	p->dev = s->dev;
	p->ino = s->ino;
	p->offset = s->consumed;
	p->fingerprint = s->fp;
	p->fingerprint_len = s->fp_len;
	tail_fp(s, p);
	tail_check_save(s, p);
	p->saved_at = tail_wall_ns();
}

int tail_stream_verify(struct tailer *t, struct stream *s, int check_fp)
{
	struct stat st;
	const struct position_check *c;

	if (s->in != NULL || fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((uint64_t)st.st_size < s->read_off ||
	    (uint64_t)st.st_size < s->size_seen) {	/* unread bytes too */
		reconcile(t, s, (uint64_t)st.st_size, "cut back");
		return 1;
	}
	c = tail_check_last(s);
	if (check_fp && s->consumed > 0 &&
	    (first_line(s) == 0 ||
	     (c != NULL && !tail_check_matches(s->fd, s->in, c)))) {
		reconcile(t, s, (uint64_t)st.st_size, "rewritten");
		return 1;
	}
	if ((uint64_t)st.st_size > s->size_seen)
		s->size_seen = (uint64_t)st.st_size;
	return 0;
}

int tail_stream_deliver(struct tailer *t, struct stream *s,
			tail_line_fn fn, void *ctx, size_t *budget)
{
	/* copytruncate refilled past our offset before we looked: only the
	 * first line tells (one fstat and a 1 KiB pread per delivery) */
	if (tail_stream_verify(t, s, 1))
		return 1;	/* the caller looks for a copy first */
	for (;;) {
		ssize_t n;

		if (deliver_buffered(t, s, fn, ctx))
			return 1;
		if (*budget == 0)
			return 1;
		n = stream_read(t, s);
		if (n < 0) {
			s->pending = 0;
			return 0;
		}
		if (n == 0) {
			if (tail_stream_verify(t, s, 0))
				return 1;
			s->pending = 0;
			return 0;
		}
		/* cut back and refilled past our offset while we read: the
		 * bytes just read belong to the new content, drop them */
		if (s->consumed > 0 && tail_stream_verify(t, s, 1))
			return 1;
		*budget = (size_t)n >= *budget ? 0 : *budget - (size_t)n;
	}
}
