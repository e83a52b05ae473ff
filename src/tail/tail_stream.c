/*
 * tail_stream.c - reading one open log file: 64 KiB reads, complete
 * lines only (a partial tail waits for its newline), overlong lines
 * skipped without buffering them, copytruncate detected, fingerprint of
 * the first line. Never delivers a line twice, never delivers bytes that
 * are not yet followed by their newline, never stops at odd bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tail_int.h"
#include "util.h"

#define BUF_CAP (TAIL_LINE_MAX + TAIL_READ_SIZE)
#define SKIP_COUNTED 1		/* an overlong line: count it when it ends */
#define SKIP_SILENT 2		/* started mid-line: drop the fragment */

uint64_t tail_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 14695981039346656037ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 1099511628211ULL;
	}
	return h;
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
	return s;
}

void tail_stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
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

/* deliver_buffered - hand the complete lines in the buffer to FN;
 * 1 if FN asked to stop */
static int deliver_buffered(struct tailer *t, struct stream *s,
			    tail_line_fn fn, void *ctx)
{
	while (s->start < s->end) {
		char *p = s->buf + s->start;
		size_t avail = s->end - s->start;
		char *nl = memchr(p, '\n', avail);
		size_t len;

		if (nl == NULL) {
			if (avail > TAIL_LINE_MAX || s->skipping) {
				if (!s->skipping)
					s->skipping = SKIP_COUNTED;
				s->start = s->end;	/* drop, keep no copy */
			}
			return 0;
		}
		len = (size_t)(nl - p);
		line_done(s, len);
		if (s->skipping || len > TAIL_LINE_MAX) {
			if (s->skipping != SKIP_SILENT)
				t->count.lines_overlong++;
			s->skipping = 0;
			continue;
		}
		t->count.lines_read++;
		if (fn(p, len, s->buf_live, s->source, ctx))
			return 1;
	}
	return 0;
}

/* stream_read - append up to TAIL_READ_SIZE bytes; bytes read or -1 */
static ssize_t stream_read(struct tailer *t, struct stream *s)
{
	size_t want = TAIL_READ_SIZE;
	ssize_t n;
	char label[128];

	if (s->buf == NULL)
		s->buf = xmalloc(BUF_CAP);
	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	if (want > BUF_CAP - s->end)
		want = BUF_CAP - s->end;
	do
		n = pread(s->fd, s->buf + s->end, want, (off_t)s->read_off);
	while (n < 0 && errno == EINTR);
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
	}
	s->at_eof = (size_t)n < want;
	return n;
}

static void stream_rewind(struct tailer *t, struct stream *s,
			  const char *why)
{
	char label[128];

	log_msg(LOG_NOTICE, "%s: %s at offset %llu: reading it from the start",
		stream_label(s, label, sizeof label), why,
		(unsigned long long)s->read_off);
	s->read_off = s->consumed = 0;
	s->start = s->end = 0;
	s->skipping = 0;
	s->fp_final = 0;
	s->fp_len = 0;
	s->report = 1;
	s->pending = 1;
	t->count.truncations++;
}

/* compute_fp - hash the first line (at most TAIL_FP_MAX bytes) */
static void compute_fp(struct stream *s)
{
	char b[TAIL_FP_MAX];
	ssize_t n;
	char *nl;
	size_t len;

	if (s->fp_final)
		return;
	n = pread(s->fd, b, sizeof b, 0);
	if (n < 0)
		n = 0;
	nl = memchr(b, '\n', (size_t)n);
	len = nl ? (size_t)(nl - b) + 1 : (size_t)n;
	s->fp = tail_hash(b, len);
	s->fp_len = (uint32_t)len;
	s->fp_final = nl != NULL || len == TAIL_FP_MAX;
}

int tail_fp_matches(int fd, const struct position *p)
{
	char b[TAIL_FP_MAX];
	ssize_t n;

	if (p->fingerprint_len == 0)
		return 1;
	if (p->fingerprint_len > TAIL_FP_MAX)
		return 0;
	n = pread(fd, b, p->fingerprint_len, 0);
	return n == (ssize_t)p->fingerprint_len &&
	       tail_hash(b, p->fingerprint_len) == p->fingerprint;
}

void tail_stream_position(struct stream *s, struct position *p)
{
	compute_fp(s);
	p->dev = s->dev;
	p->ino = s->ino;
	p->offset = s->consumed;
	p->fingerprint = s->fp;
	p->fingerprint_len = s->fp_len;
}

/* tail_stream_verify - copytruncate: the file is now shorter than what we
 * read, or (when CHECK_FP) its first line changed. 1 if rewound */
int tail_stream_verify(struct tailer *t, struct stream *s, int check_fp)
{
	struct stat st;
	struct position p;

	if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((uint64_t)st.st_size < s->read_off) {
		stream_rewind(t, s, "truncated");
		return 1;
	}
	if (check_fp && s->fp_final && s->read_off > 0) {
		p.fingerprint = s->fp;
		p.fingerprint_len = s->fp_len;
		if (!tail_fp_matches(s->fd, &p)) {
			stream_rewind(t, s, "rewritten");
			return 1;
		}
	}
	return 0;
}

int tail_stream_deliver(struct tailer *t, struct stream *s,
			tail_line_fn fn, void *ctx, size_t *budget)
{
	/* copytruncate refilled past our offset before we looked: only the
	 * first line tells (one fstat and a 1 KiB pread per delivery) */
	tail_stream_verify(t, s, 1);
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
				continue;
			s->pending = 0;
			return 0;
		}
		*budget = (size_t)n >= *budget ? 0 : *budget - (size_t)n;
	}
}
