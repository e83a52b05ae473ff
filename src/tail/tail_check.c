/*
 * tail_check.c - fingerprints that tell "same file, appended" from "same
 * inode, rewritten": the first line, and checkpoints (a hash of the last
 * bytes before a line end) kept for the recent lines of each open file,
 * so a file cut back to any of them is resumed exactly there. Reads the
 * file only through tail_pread; never changes a stream's offsets.
 */
#include <stdlib.h>
#include <string.h>

#include "tail_int.h"
#include "util.h"

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

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* mix - one 8-byte word into a lane of the checkpoint hash */
static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

/* tail_check_hash - the checkpoint hash, taken on every line read: four
 * independent lanes of eight bytes a step, so the multiplications
 * overlap, and the last word read where it ends (overlapping the one
 * before it) instead of byte by byte: the byte-wise tail_hash, then one
 * lane, were each the largest single cost of a catch-up. Host byte
 * order, like the database file itself */
uint64_t tail_check_hash(const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len;
	uint64_t a = 0x9e3779b97f4a7c15ULL ^ len, b = 0xc2b2ae3d27d4eb4fULL,
		 c = 0x165667b19e3779f9ULL, d = 0x27d4eb2f165667c5ULL, w = 0;

	if (len < 8) {
		memcpy(&w, p, len);
		a = mix(a, w);
	} else {
		for (; end - p > 32; p += 32) {
			a = mix(a, load64(p));
			b = mix(b, load64(p + 8));
			c = mix(c, load64(p + 16));
			d = mix(d, load64(p + 24));
		}
		for (; end - p > 8; p += 8)
			a = mix(a, load64(p));
		b = mix(b, load64(end - 8));
	}
	a = mix(mix(mix(a, b), c), d) * 0xc4ceb9fe1a85ec53ULL;
	return a ^ (a >> 29);
}

int tail_fp_is_hole(uint64_t fp, uint32_t len)
{
	static const char zero[TAIL_FP_MAX];

	return len <= TAIL_FP_MAX && fp == tail_hash(zero, len);
}

int tail_fp_matches(int fd, struct tail_input *in, const struct position *p)
{
	char b[TAIL_FP_MAX];

	if (p->fingerprint_len == 0)
		return 1;
	if (p->fingerprint_len > TAIL_FP_MAX)
		return 0;
	return tail_pread(fd, in, b, p->fingerprint_len, 0) ==
	       (ssize_t)p->fingerprint_len &&
	       tail_hash(b, p->fingerprint_len) == p->fingerprint;
}

int tail_check_matches(int fd, struct tail_input *in,
		       const struct position_check *c)
{
	char b[TAIL_CHECK_MAX];

	if (c->len == 0 || c->len > TAIL_CHECK_MAX || c->end < c->len)
		return c->len == 0;
	return tail_pread(fd, in, b, c->len, c->end - c->len) ==
	       (ssize_t)c->len && tail_check_hash(b, c->len) == c->hash;
}

/* whole_first_line - FD's first LEN bytes (those of a fingerprint) are
 * a whole line: a fingerprint of part of one is shared by many files */
static int whole_first_line(int fd, struct tail_input *in, uint32_t len)
{
	char last;

	return len == TAIL_FP_MAX ||
	       (tail_pread(fd, in, &last, 1, len - 1) == 1 && last == '\n');
}

int tail_first_line_is(int fd, struct tail_input *in,
		       const struct position *p)
{
	return p->fingerprint_len > 0 && tail_fp_matches(fd, in, p) &&
	       whole_first_line(fd, in, p->fingerprint_len);
}

/* tail_content_matches - FD holds what P was saved on, up to P's offset:
 * its first line and the bytes before the offset (both known); at
 * offset 0, its whole first line */
int tail_content_matches(int fd, struct tail_input *in,
			 const struct position *p)
{
	struct position_check c = { p->offset, p->tail_fp, p->tail_len };

	if (p->offset == 0)
		return tail_first_line_is(fd, in, p);
	if (p->fingerprint_len == 0 || !tail_fp_matches(fd, in, p))
		return 0;
	return p->tail_len > 0 && tail_check_matches(fd, in, &c);
}

static void check_push(struct stream *s, uint64_t end, uint64_t hash,
		       uint32_t len)
{
	struct position_check *c;

	if (s->ck == NULL)
		s->ck = xcalloc(TAIL_CHECKS, sizeof *s->ck);
	c = &s->ck[(s->ck_first + s->ck_n) % TAIL_CHECKS];
	if (s->ck_n < TAIL_CHECKS)
		s->ck_n++;
	else
		s->ck_first = (s->ck_first + 1) % TAIL_CHECKS;
	c->end = end;
	c->hash = hash;
	c->len = len;
}

int tail_copy_of(int fd, struct tail_input *in, const struct position *p)
{
	if (p->fingerprint_len > 0 &&
	    !tail_fp_is_hole(p->fingerprint, p->fingerprint_len))
		return tail_first_line_is(fd, in, p);
	return p->offset > 0 && tail_content_matches(fd, in, p);
}

void tail_check_add(struct stream *s, uint64_t end, const char *bytes_end,
		    size_t avail)
{
	size_t len = avail < TAIL_CHECK_MAX ? avail : TAIL_CHECK_MAX;

	check_push(s, end, tail_check_hash(bytes_end - len, len), (uint32_t)len);
}

void tail_check_seed(struct stream *s, const struct position *p)
{
	s->fp = p->fingerprint;	/* final once a line was read past it */
	s->fp_len = p->fingerprint_len;
	s->fp_final = p->fingerprint_len > 0 &&
		(p->offset > p->fingerprint_len ||
		 p->fingerprint_len == TAIL_FP_MAX);
	tail_check_clear(s);
	for (uint32_t i = p->nchecks; i-- > 0;)	/* oldest first */
		if (p->checks[i].end < p->offset && p->checks[i].len > 0)
			check_push(s, p->checks[i].end, p->checks[i].hash,
				   p->checks[i].len);
	if (p->tail_len > 0 && p->offset > 0)
		check_push(s, p->offset, p->tail_fp, p->tail_len);
}

void tail_check_save(const struct stream *s, struct position *p)
{
	size_t back = 0, step = 1;

	p->nchecks = 0;
	while (p->nchecks < POSITION_CHECKS && back < s->ck_n) {
		const struct position_check *c =
			&s->ck[(s->ck_first + s->ck_n - 1 - back) % TAIL_CHECKS];

		if (c->end < p->offset)
			p->checks[p->nchecks++] = *c;
		if (p->nchecks >= POSITION_CHECKS / 2)
			step *= 2;	/* the last lines, then farther back */
		back += step;
	}
}

const struct position_check *tail_check_last(const struct stream *s)
{
	if (s->ck_n == 0)
		return NULL;
	return &s->ck[(s->ck_first + s->ck_n - 1) % TAIL_CHECKS];
}

static const struct position_check *check_at(const struct stream *s, size_t i)
{
	return &s->ck[(s->ck_first + i) % TAIL_CHECKS];
}

/* tail_check_find - the largest checkpoint at or below SIZE that the file
 * still holds (binary search: a cut file holds a prefix of them), and
 * forget those after it. 0 if none */
uint64_t tail_check_find(struct stream *s, uint64_t size)
{
	size_t lo = 0, hi = s->ck_n;	/* answer in [lo, hi): count kept */

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;	/* keep mid checks? */
		const struct position_check *c = check_at(s, mid - 1);

		if (c->end <= size && tail_check_matches(s->fd, s->in, c))
			lo = mid;
		else
			hi = mid - 1;
	}
	s->ck_n = lo;
	return lo > 0 ? check_at(s, lo - 1)->end : 0;
}

void tail_check_clear(struct stream *s)
{
	s->ck_n = 0;
	s->ck_first = 0;
}
