/*
 * test_match_thread.c - the backlog matcher thread gives exactly what
 * matching the same lines inline gives, in the same order: every corpus
 * file (two-line formats, sessions, logouts) shuffled by file into one
 * stream with noise, pushed and drained at random points, with inline
 * (live) lines in between, compared result by result with feed_line on
 * a matcher of its own.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "config.h"
#include "feed.h"
#include "match.h"
#include "match_thread.h"
#include "util.h"

#define MAX_RESULTS 200000
#define REPEAT 20

struct got {
	struct match_result *v;
	time_t *t;
	size_t n;
};

static struct matcher *auto_matcher(void)
{
	static char *names[] = { "auto" };
	struct config cfg;
	char err[CONFIG_ERR_MAX];
	struct matcher *m;

	memset(&cfg, 0, sizeof cfg);
	cfg.file = "test.conf";
	cfg.log_formats.v = names;
	cfg.log_formats.n = 1;
	m = matcher_new(&cfg, err, sizeof err);
	if (m == NULL)
		fail_msg("matcher_new: %s", err);
	return m;
}

static void got_add(struct got *g, const struct match_result *r, time_t t)
{
	assert_true(g->n < MAX_RESULTS);
	g->v[g->n] = *r;
	g->t[g->n++] = t;
}

static void collect(const struct match_result *r, time_t t, void *ctx)
{
	got_add(ctx, r, t);
}

/* the lines: every corpus line and a noise line after each, the whole
 * corpus REPEAT times (many chunks of the thread's) */
static char **corpus_lines(size_t *n)
{
	const char *top = getenv("POPGATE_TOP");
	char pattern[4096], buf[8192];
	glob_t g;
	char **v = NULL;
	size_t cap = 0;

	snprintf(pattern, sizeof pattern, "%s/tests/corpus/*.log", top ? top : ".");
	if (glob(pattern, 0, NULL, &g) != 0)
		fail_msg("no corpus files match %s", pattern);
	*n = 0;
	for (size_t k = 0; k < REPEAT * g.gl_pathc; k++) {
		size_t i = k % g.gl_pathc;
		FILE *f = fopen(g.gl_pathv[i], "r");

		assert_non_null(f);
		while (fgets(buf, sizeof buf, f) != NULL) {
			if (*n + 2 > cap) {
				cap = cap ? 2 * cap : 1024;
				v = xrealloc(v, cap * sizeof *v);
			}
			buf[strcspn(buf, "\n")] = '\0';
			v[(*n)++] = xstrdup(buf);
			v[(*n)++] = xstrdup("Mar  7 09:01:02 mx postfix/smtpd[1]: "
					    "connect from unknown[192.0.2.9]");
		}
		fclose(f);
	}
	globfree(&g);
	return v;
}

static void same(const struct got *a, const struct got *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct match_result *x = &a->v[i], *y = &b->v[i];

		/* a line without a usable stamp (or one ahead of the clock)
		 * takes the clock when it is matched: a second may pass */
		assert_true(a->t[i] - b->t[i] <= 2 && b->t[i] - a->t[i] <= 2);
		assert_int_equal(x->kind, y->kind);
		assert_memory_equal(&x->addr, &y->addr, sizeof x->addr);
		assert_string_equal(x->user, y->user);
		assert_string_equal(x->service, y->service);
		assert_int_equal(x->session_key_len, y->session_key_len);
		assert_memory_equal(x->session_key, y->session_key,
				    x->session_key_len);
		assert_int_equal(x->session_alias_len, y->session_alias_len);
	}
}

/* one pass: lines of file number LINE % 3, so two-line formats see their
 * pairs from several sources; every LIVE_EVERY-th line inline */
static void run_pass(char **lines, size_t n, unsigned seed, struct got *inl,
		     struct got *thr)
{
	struct matcher *mi = auto_matcher(), *mt_m = auto_matcher();
	struct match_thread *mt = match_thread_start(mt_m);
	struct stamp_cache ci, ct;
	struct match_result r;
	time_t t;

	assert_non_null(mt);
	memset(&ci, 0, sizeof ci);
	memset(&ct, 0, sizeof ct);
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);
		unsigned source = (unsigned)(i / 2 % 3);
		int live = rand() % (seed % 2 ? 50 : 3000) == 0;

		if (feed_line(mi, &ci, source, lines[i], len, live, &r, &t))
			got_add(inl, &r, live ? 0 : t);
		if (live) {	/* as ingest.c: drain, then inline */
			match_thread_drain(mt, collect, thr);
			if (feed_line(mt_m, &ct, source, lines[i], len, 1, &r, &t))
				got_add(thr, &r, 0);
		} else {
			(void)match_thread_push(mt, source, lines[i], len);
		}
		if (rand() % (seed % 2 ? 200 : 5000) == 0)	/* often, or after */
			match_thread_drain(mt, collect, thr);	/* several chunks */
	}
	match_thread_drain(mt, collect, thr);
	match_thread_stop(mt);
	matcher_free(mi);
	matcher_free(mt_m);
}

static void test_same_as_inline(void **state)
{
	size_t n;
	char **lines = corpus_lines(&n);
	struct got inl, thr;

	(void)state;
	inl.v = xcalloc(MAX_RESULTS, sizeof *inl.v);
	inl.t = xcalloc(MAX_RESULTS, sizeof *inl.t);
	thr.v = xcalloc(MAX_RESULTS, sizeof *thr.v);
	thr.t = xcalloc(MAX_RESULTS, sizeof *thr.t);
	for (unsigned seed = 1; seed <= 20; seed++) {
		inl.n = thr.n = 0;
		run_pass(lines, n, seed, &inl, &thr);
		same(&inl, &thr);
	}
	printf("%zu lines, %zu results a pass, 20 passes: the same in order\n",
	       n, inl.n);
	assert_true(inl.n > 100);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(inl.v);
	free(inl.t);
	free(thr.v);
	free(thr.t);
}

/* a drain with nothing pushed, a stop with lines not drained: no hang,
 * no leak */
static void test_empty_and_undrained(void **state)
{
	struct matcher *m = auto_matcher();
	struct match_thread *mt = match_thread_start(m);
	struct got g;
	struct match_result r;
	const char *line = "Mar  7 09:01:02 mx dovecot: imap-login: Login: "
		"user=<a>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1";

	(void)state;
	memset(&r, 0, sizeof r);
	g.v = &r;
	g.t = xcalloc(1, sizeof *g.t);
	g.n = 0;
	match_thread_drain(mt, collect, &g);
	assert_int_equal(g.n, 0);
	for (int i = 0; i < 100000; i++)	/* several chunks */
		(void)match_thread_push(mt, 0, line, strlen(line));
	match_thread_stop(mt);
	matcher_free(m);
	free(g.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_inline),
		cmocka_unit_test(test_empty_and_undrained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
