/*
 * bench_ingest.c - ingest throughput benchmark. Modes:
 *   split FILE      read 64 KiB, split lines with memchr (the limit)
 *   prefilter FILE  split + only the matcher's per-rule memmem prefilters
 *   match FILE      split + matcher_match with every built-in format
 *   bufscan FILE    a proposal for match.c: each distinct prefilter
 *                   literal searched once over every 64 KiB read instead
 *                   of once per line and rule (counts candidate hits)
 *   tagscan FILE    another proposal: split + a look at the syslog program
 *                   tag only (lines with a foreign tag are dropped before
 *                   any search; header-less lines stay candidates)
 *   tagmatch FILE   tagscan, then matcher_match on the candidates only
 *   ingest FILE DB [FORMATS]  the real path: tailer (tail_deliver from
 *                   offset 0, the prefilter passing over lines) ->
 *                   matcher_match -> time_parse -> batch_login, one
 *                   store_apply (with positions) per 100 000 logins or
 *                   100 ms, as popgated while catching up;
 *                   FORMATS: a log_formats value (default auto)
 *                   with the lines matched on a second thread
 *                   (match_thread.h) as popgated does on two CPUs
 *   ingest-inline FILE DB [FORMATS]  the same on one thread
 *   ingest-all FILE DB  one thread, every line matched (no prefilter)
 *   stamps          time_parse cost of a BSD and an RFC 3339 stamp
 *   formats         print every built-in rule as "login|logout TAB regex"
 *                   (for the perl baseline)
 * Prints one line "lines=N logins=M seconds=S". Benchmark code only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "config.h"
#include "formats.h"
#include "litset.h"
#include "log.h"
#include "match.h"
#include "match_thread.h"
#include "feed.h"
#include "prefilter.h"
#include "store.h"
#include "tail.h"
#include "timeparse.h"
#include "util.h"

#define BATCH_LOGINS 100000	/* as ingest.c while catching up: up to */
#define BATCH_MS 100		/* this many logins, or this old */

typedef void (*line_fn)(const char *line, size_t len, void *ctx);

struct counts {
	unsigned long lines, logins;
};

/* split_file - read PATH 64 KiB at a time and call FN for every complete
 * line, carrying a partial tail across reads like the tailer does */
static int split_file(const char *path, line_fn fn, void *ctx)
{
	size_t cap = 2 * TAIL_READ_SIZE + TAIL_LINE_MAX, start = 0, end = 0;
	char *buf = xmalloc(cap);
	int fd = open(path, O_RDONLY), skipping = 0;
	ssize_t n;

	if (fd < 0) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (cap - end < TAIL_READ_SIZE) {	/* move the tail down */
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		if ((n = read(fd, buf + end, TAIL_READ_SIZE)) <= 0)
			break;
		end += (size_t)n;
		for (;;) {
			char *nl = memchr(buf + start, '\n', end - start);

			if (nl == NULL)
				break;
			if (!skipping && nl - (buf + start) <= TAIL_LINE_MAX)
				fn(buf + start, (size_t)(nl - (buf + start)), ctx);
			skipping = 0;
			start = (size_t)(nl - buf) + 1;
		}
		if (end - start > TAIL_LINE_MAX) {	/* overlong: drop */
			start = end;
			skipping = 1;
		}
	}
	close(fd);
	free(buf);
	return n < 0 ? -1 : 0;
}

static void count_line(const char *line, size_t len, void *ctx)
{
	struct counts *c = ctx;

	(void)line;
	(void)len;
	c->lines++;
}

/* the matcher's prefilters alone, every rule's literal on every line (as
 * matcher_match does for a line no rule matches): its memmem share.
 * Counts the lines with at least one hit */
static void prefilter_line(const char *line, size_t len, void *ctx)
{
	struct counts *c = ctx;
	int hit = 0;

	c->lines++;
	for (size_t i = 0; i < format_count; i++)
		for (size_t j = 0; j < FORMAT_RULES_MAX &&
		     format_table[i].rules[j].re != NULL; j++) {
			const char *p = format_table[i].rules[j].prefilter;

			hit |= p == NULL || litset_find_any(line, len, p);
		}
	c->logins += (unsigned long)hit;
}

/* split_alternatives - P's alternatives ("a|b") as separate strings in
 * OUT (kept in a static pool); how many */
static size_t split_alternatives(const char *p, const char **out, size_t max)
{
	static char pool[4096];
	static size_t used;
	size_t n = 0;

	if (strchr(p, '|') == NULL) {
		if (max > 0)
			out[n++] = p;
		return n;
	}
	while (*p != '\0' && n < max) {
		const char *alt = p;
		size_t len = litset_alternative(&p);

		if (used + len + 1 > sizeof pool)
			break;
		memcpy(pool + used, alt, len);
		pool[used + len] = '\0';
		out[n++] = pool + used;
		used += len + 1;
	}
	return n;
}

/* distinct_prefilters - the built-in literals, minus any that contains
 * another one (a line holding the longer also holds the shorter); a rule
 * without a literal counts as "" (every line is a candidate) */
static size_t distinct_prefilters(const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < format_count; i++)
		for (size_t j = 0; j < FORMAT_RULES_MAX &&
		     format_table[i].rules[j].re != NULL && n < max; j++) {
			const char *p = format_table[i].rules[j].prefilter;

			n += split_alternatives(p ? p : "", out + n, max - n);
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j && strstr(out[i], out[j]) != NULL &&
			    (strcmp(out[i], out[j]) != 0 || i > j)) {
				out[i--] = out[--n];	/* drop out[i] */
				break;
			}
	return n;
}

/* bufscan_file - the proposed whole-buffer prefilter: every distinct
 * literal searched once per read; counts the hits (candidate lines) */
static int bufscan_file(const char *path, struct counts *c)
{
	const char *lit[64];
	size_t nlit = distinct_prefilters(lit, 64), carry = 0;
	char *buf = xmalloc(TAIL_READ_SIZE + TAIL_LINE_MAX);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		perror(path);
		return -1;
	}
	while ((n = read(fd, buf + carry, TAIL_READ_SIZE)) > 0) {
		size_t end = carry + (size_t)n;
		char *last = memrchr(buf, '\n', end);
		size_t upto = last ? (size_t)(last - buf) + 1 : 0;

		for (char *p = buf; (p = memchr(p, '\n', upto - (size_t)(p - buf))); p++)
			c->lines++;
		for (size_t i = 0; i < nlit; i++) {
			size_t ll = strlen(lit[i]);

			if (ll == 0) {		/* no literal: every line */
				c->logins += c->lines;
				continue;
			}
			for (char *p = buf; (p = memmem(p, upto - (size_t)(p - buf),
						       lit[i], ll)) != NULL; p += ll)
				c->logins++;
		}
		carry = end - upto;
		if (carry > TAIL_LINE_MAX)
			carry = 0;
		memmove(buf, buf + upto, carry);
	}
	close(fd);
	free(buf);
	return n < 0 ? -1 : 0;
}

/* skip_stamp - past "Mmm [d]d hh:mm:ss " or an RFC 3339 stamp and its
 * space; NULL if the line does not start with either */
static const char *skip_stamp(const char *p, const char *e)
{
	if (e - p > 16 && p[0] >= 'A' && p[0] <= 'Z' && p[3] == ' ') {
		p += 4;
		while (p < e && *p == ' ')
			p++;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		p += 9;			/* " hh:mm:ss" */
	} else if (e - p > 20 && p[4] == '-' && p[10] == 'T') {
		p = memchr(p, ' ', (size_t)(e - p));
	} else {
		return NULL;
	}
	return p != NULL && p < e && *p == ' ' ? p + 1 : NULL;
}

/* tag_candidate - 0 when the syslog program tag names no POP/IMAP
 * server (postfix/..., amavis, ...); 1 otherwise, and for lines without
 * a syslog header (Zimbra mailbox.log, qpopper's own file, ...) */
static int tag_candidate(const char *line, size_t len)
{
	const char *e = line + len, *p = skip_stamp(line, e), *sp, *tag;
	size_t n;

	if (p == NULL || (sp = memchr(p, ' ', (size_t)(e - p))) == NULL)
		return 1;
	tag = p;		/* "pop3-login:" right after the stamp: no host */
	if (sp[-1] != ':') {	/* else p..sp is the host */
		tag = sp + 1;
		if ((sp = memchr(tag, ':', (size_t)(e - tag))) == NULL)
			return 0;
	}
	n = (size_t)(sp - tag);
	return memmem(tag, n, "pop", 3) || memmem(tag, n, "imap", 4) ||
	       memmem(tag, n, "dovecot", 7) || memmem(tag, n, "mailboxlog", 10) ||
	       memmem(tag, n, "zimbramon", 9);
}

static void tagscan_line(const char *line, size_t len, void *ctx)
{
	struct counts *c = ctx;

	c->lines++;
	c->logins += (unsigned long)tag_candidate(line, len);
}

struct match_ctx {
	struct counts c;
	struct matcher *m;
};

static void match_line(const char *line, size_t len, void *ctx)
{
	struct match_ctx *mc = ctx;
	struct match_result r;

	mc->c.lines++;
	if (matcher_match(mc->m, line, len, &r) && r.kind == MATCH_LOGIN)
		mc->c.logins++;
}

/* the tag filter in front of matcher_match: what the proposal would cost */
static void tagmatch_line(const char *line, size_t len, void *ctx)
{
	struct match_ctx *mc = ctx;
	struct match_result r;

	mc->c.lines++;
	if (tag_candidate(line, len) && matcher_match(mc->m, line, len, &r) &&
	    r.kind == MATCH_LOGIN)
		mc->c.logins++;
}

static struct matcher *new_matcher(struct config *cfg)
{
	char err[CONFIG_ERR_MAX];
	struct matcher *m;

	config_init(cfg);
	m = matcher_new(cfg, err, sizeof err);
	if (m == NULL) {
		fprintf(stderr, "matcher_new: %s\n", err);
		exit(1);
	}
	return m;
}

/* ---- the real ingest path ---- */

struct ingest_ctx {
	struct counts c;
	struct matcher *m;
	struct config cfg;
	struct batch b;
	struct store *s;
	unsigned long lines_in_batch;
	unsigned long applies;
	struct match_thread *mt;	/* backlog matcher thread, or NULL */
	struct stamp_cache stamps;
};

static int ignored(const struct config *cfg, const struct addr *a)
{
	for (size_t i = 0; i < cfg->ignore_networks.n; i++)
		if (net_contains(&cfg->ignore_networks.v[i], a))
			return 1;
	return 0;
}

/* record_result - a matched line into the batch, as the sink would */
static void record_result(const struct match_result *res, time_t t, void *ctx)
{
	struct ingest_ctx *ic = ctx;
	struct match_result r = *res;

	if (ignored(&ic->cfg, &r.addr))
		return;
	addr_apply_ipv6_prefix(&r.addr, ic->cfg.ipv6_prefix);
	if (r.kind == MATCH_LOGIN) {
		ic->c.logins++;
		batch_login(&ic->b, &r.addr, t, r.service, r.user);
	} else {
		batch_session(&ic->b, &r.addr, t, 0);
	}
}

static int ingest_line(const char *line, size_t len, int live,
		       unsigned source, void *ctx)
{
	struct ingest_ctx *ic = ctx;
	struct match_result r;
	time_t t;

	(void)live;
	ic->c.lines++;
	ic->lines_in_batch++;
	if (ic->mt != NULL)	/* as popgated with two CPUs */
		return match_thread_push(ic->mt, source, line, len) >= BATCH_LOGINS;
	if (feed_line(ic->m, &ic->stamps, source, line, len, 0, &r, &t))
		record_result(&r, t, ic);
	return ic->b.logins >= BATCH_LOGINS;
}

static void put_position(const char *name, const struct position *p, void *ctx)
{
	struct batch *b = ctx;

	if (p)
		batch_put_position(b, name, p);
	else
		batch_del_position(b, name);
}

static void flush_batch(struct ingest_ctx *ic, struct tailer *t)
{
	if (ic->mt != NULL)
		match_thread_drain(ic->mt, record_result, ic);
	tail_positions(t, put_position, &ic->b);
	batch_counter_add(&ic->b, "lines_read", ic->lines_in_batch);
	if (store_apply(ic->s, &ic->b) != 0) {
		fprintf(stderr, "store_apply: %s\n", store_error(ic->s));
		exit(1);
	}
	ic->applies++;
	ic->lines_in_batch = 0;
	batch_clear(&ic->b);
}

static size_t skip_lines(const char *buf, size_t len, void *ctx)
{
	return prefilter_scan(ctx, buf, len);
}

static int run_ingest(const char *path, const char *db, struct counts *out,
		      unsigned long *applies, int skip, const char *formats,
		      int threaded)
{
	struct prefilter *pf = NULL;
	char text[512];
	struct tail_options o = { .rotate_wait = 5, .start_at_beginning = 1 };
	struct ingest_ctx ic;
	char err[512];
	struct tailer *t = tail_new(&o);
	struct store_params sp;

	memset(&ic, 0, sizeof ic);
	ic.m = new_matcher(&ic.cfg);
	if (formats != NULL) {	/* only these formats */
		matcher_free(ic.m);
		config_free(&ic.cfg);
		snprintf(text, sizeof text, "log_formats = %s\n", formats);
		if (config_parse(&ic.cfg, "bench", text, strlen(text), err,
				 sizeof err) != 0 ||
		    (ic.m = matcher_new(&ic.cfg, err, sizeof err)) == NULL) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
	}
	if (store_open(&ic.s, db, STORE_CREATE, 0, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	batch_init(&ic.b);
	sp = (struct store_params){ ic.cfg.window, 0, ic.cfg.ipv6_prefix, 0 };
	batch_set_params(&ic.b, &sp);
	if (skip && (pf = prefilter_new(&ic.cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "prefilter_new: %s\n", err);
		return -1;
	}
	if (pf != NULL)
		tail_set_skip(t, skip_lines, pf);
	if (threaded && (ic.mt = match_thread_start(ic.m)) == NULL)
		return -1;
	tail_add(t, path);
	tail_start(t);
	long long last = clock_mono_ms();
	while (tail_deliver(t, ingest_line, &ic) == 1)
		if (ic.b.logins >= BATCH_LOGINS ||
		    clock_mono_ms() - last >= BATCH_MS) {
			flush_batch(&ic, t);
			last = clock_mono_ms();
		}
	flush_batch(&ic, t);
	match_thread_stop(ic.mt);
	*out = ic.c;
	*applies = ic.applies;
	tail_free(t);
	batch_free(&ic.b);
	store_close(ic.s);
	matcher_free(ic.m);
	prefilter_free(pf);
	config_free(&ic.cfg);
	return 0;
}

/* stamp_cost - mean ns of time_parse for a BSD and an RFC 3339 stamp
 * (what every backlog login line pays) */
static void stamp_cost(void)
{
	static const char *const stamps[] = {
		"Mar  7 10:00:01 mx dovecot: imap-login: Login: user=<a>",
		"2026-03-07T10:00:01.123456+00:00 mx dovecot: imap-login: Login:",
	};
	time_t now = time(NULL), t;

	for (size_t k = 0; k < 2; k++) {
		size_t len = strlen(stamps[k]);
		long long t0 = bench_ns();

		for (int i = 0; i < 20000; i++)
			time_parse(stamps[k], len, now, &t);
		printf("%s_ns=%.0f ", k ? "rfc3339" : "bsd",
		       (double)(bench_ns() - t0) / 20000);
	}
	printf("seconds=0\n");
}

static void print_formats(void)
{
	for (size_t i = 0; i < format_count; i++)
		for (size_t j = 0; j < FORMAT_RULES_MAX &&
		     format_table[i].rules[j].re != NULL; j++)
			printf("%s\t%s\n", format_table[i].rules[j].kind ==
			       MATCH_LOGIN ? "login" : "logout",
			       format_table[i].rules[j].re);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_ingest split|prefilter|match FILE\n"
		"       bench_ingest ingest|ingest-inline FILE DB [FORMATS]\n"
		"       bench_ingest formats\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct counts c = { 0, 0 };
	unsigned long applies = 0;
	long long t0;
	int rc = -1;

	if (argc == 2 && strcmp(argv[1], "formats") == 0) {
		print_formats();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "stamps") == 0) {
		stamp_cost();
		return 0;
	}
	if (argc < 3)
		usage();
	log_init("bench_ingest", 1, 0);
	t0 = bench_ns();
	if (strcmp(argv[1], "split") == 0) {
		rc = split_file(argv[2], count_line, &c);
	} else if (strcmp(argv[1], "prefilter") == 0) {
		rc = split_file(argv[2], prefilter_line, &c);
	} else if (strcmp(argv[1], "tagscan") == 0) {
		rc = split_file(argv[2], tagscan_line, &c);
	} else if (strcmp(argv[1], "bufscan") == 0) {
		rc = bufscan_file(argv[2], &c);
	} else if (strcmp(argv[1], "match") == 0 ||
		   strcmp(argv[1], "tagmatch") == 0) {
		struct match_ctx mc = { { 0, 0 }, NULL };
		struct config cfg;

		mc.m = new_matcher(&cfg);
		rc = split_file(argv[2], argv[1][0] == 't' ? tagmatch_line :
				match_line, &mc);
		c = mc.c;
		matcher_free(mc.m);
		config_free(&cfg);
	} else if (strcmp(argv[1], "ingest") == 0 && (argc == 4 || argc == 5)) {
		rc = run_ingest(argv[2], argv[3], &c, &applies, 1,
				argc == 5 ? argv[4] : NULL, 1);
	} else if (strcmp(argv[1], "ingest-inline") == 0 && (argc == 4 || argc == 5)) {
		rc = run_ingest(argv[2], argv[3], &c, &applies, 1,
				argc == 5 ? argv[4] : NULL, 0);
	} else if (strcmp(argv[1], "ingest-all") == 0 && argc == 4) {
		rc = run_ingest(argv[2], argv[3], &c, &applies, 0, NULL, 0);
	} else {
		usage();
	}
	if (rc != 0)
		return 1;
	printf("lines=%lu logins=%lu applies=%lu seconds=%.4f\n", c.lines,
	       c.logins, applies, (double)(bench_ns() - t0) / 1e9);
	return 0;
}
