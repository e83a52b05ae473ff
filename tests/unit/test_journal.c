/*
 * test_journal.c - what the journal thread shares with ingest: the match
 * rules (ingest_match: window, ignore_networks, prefix, sessions) and the
 * per-file source numbers the tailer gives matcher_feed (the tail_line_fn's source argument),
 * on real files with real inotify. Waits for outcomes, never for times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "tail_fixture.h"

#include "journal.h"
#include "tail.h"
#include "util.h"

#define NOW 1700000000

/* ---- ingest_match ---- */

struct rules {
	struct config cfg;
	struct store_params p;
	struct batch b;
	struct ratelimit rl;
};

static void rules_init(struct rules *x, unsigned session_max)
{
	memset(x, 0, sizeof *x);
	config_init(&x->cfg);	/* ignore_networks: 127.0.0.0/8, ::1/128 */
	x->p.window = x->cfg.window;
	x->p.session_max = session_max;
	batch_init(&x->b);
	clock_set(NOW);
}

static void rules_free(struct rules *x)
{
	batch_free(&x->b);
	config_free(&x->cfg);
	clock_set(0);
}

static struct match_result result(enum match_kind kind, const char *ip,
				  int session)
{
	struct match_result r;

	memset(&r, 0, sizeof r);
	r.kind = kind;
	assert_int_equal(addr_parse(ip, strlen(ip), &r.addr), 0);
	copy_string(r.service, "pop3", sizeof r.service);
	copy_string(r.user, "alice", sizeof r.user);
	r.format = "dovecot";
	r.session = session;
	return r;
}

static void test_rules_login(void **state)
{
	struct rules x;
	struct match_result r = result(MATCH_LOGIN, "192.0.2.1", 1);

	(void)state;
	rules_init(&x, 3600);
	assert_int_equal(ingest_match(&x.cfg, &x.p, &x.b, &r, NOW - 10, 1,
				      &x.rl), INGEST_LOGIN);
	assert_int_equal(x.b.n, 2);	/* login + session open */
	assert_int_equal(x.b.ops[0].kind, BATCH_LOGIN);
	assert_int_equal(x.b.ops[0].time, NOW - 10);
	assert_int_equal(x.b.ops[1].kind, BATCH_SESSION_OPEN);
	/* no session flag from the matcher: no session opened */
	r = result(MATCH_LOGIN, "192.0.2.2", 0);
	assert_int_equal(ingest_match(&x.cfg, &x.p, &x.b, &r, NOW, 1, &x.rl),
			 INGEST_LOGIN);
	assert_int_equal(x.b.n, 3);
	rules_free(&x);
}

static void test_rules_refusals(void **state)
{
	struct rules x;
	struct match_result r = result(MATCH_LOGIN, "192.0.2.1", 1);
	struct match_result lo = result(MATCH_LOGIN, "127.0.0.5", 1);
	struct match_result out = result(MATCH_LOGOUT, "192.0.2.1", 0);

	(void)state;
	rules_init(&x, 0);
	assert_int_equal(ingest_match(&x.cfg, &x.p, &x.b, &r,
				      NOW - (time_t)x.cfg.window, 0, &x.rl),
			 INGEST_TOO_OLD);
	assert_int_equal(ingest_match(&x.cfg, &x.p, &x.b, &lo, NOW, 1, &x.rl),
			 INGEST_IGNORED);
	/* no session tracking: a logout adds nothing */
	assert_int_equal(ingest_match(&x.cfg, &x.p, &x.b, &out, NOW, 1,
				      &x.rl), INGEST_LOGOUT);
	assert_int_equal(x.b.n, 0);
	x.p.session_max = 60;
	assert_int_equal(ingest_match(&x.cfg, &x.p, &x.b, &out, NOW, 1,
				      &x.rl), INGEST_LOGOUT);
	assert_int_equal(x.b.n, 1);
	assert_int_equal(x.b.ops[0].kind, BATCH_SESSION_CLOSE);
	rules_free(&x);
}

static void test_rules_ipv6_prefix(void **state)
{
	struct rules x;
	struct match_result r = result(MATCH_LOGIN, "2001:db8:1:2:3:4:5:6", 0);
	struct addr want;

	(void)state;
	rules_init(&x, 0);
	x.cfg.ipv6_prefix = 64;
	assert_int_equal(ingest_match(&x.cfg, &x.p, &x.b, &r, NOW, 1, &x.rl),
			 INGEST_LOGIN);
	assert_int_equal(addr_parse("2001:db8:1:2::", 14, &want), 0);
	assert_memory_equal(&x.b.ops[0].addr, &want, sizeof want);
	rules_free(&x);
}

/* ---- the source a line comes with ---- */

struct seen {
	char line[64][32];
	unsigned source[64];
	size_t n;
	struct tailer *t;
};

static int note_line(const char *line, size_t len, int live,
		     unsigned source, void *ctx)
{
	struct seen *s = ctx;

	(void)live;
	assert_true(s->n < 64 && len < 32);
	memcpy(s->line[s->n], line, len);
	s->line[s->n][len] = '\0';
	s->source[s->n++] = source;
	return 0;
}

/* source_of - the source LINE came with, waiting for it; 0 if never */
static unsigned source_of(struct seen *s, const char *line)
{
	long long end = clock_mono_ms() + DEADLINE_MS;

	for (;;) {
		while (tail_deliver(s->t, note_line, s))
			;
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->line[i], line) == 0)
				return s->source[i];
		if (clock_mono_ms() >= end)
			return 0;
		tail_wait(s->t, 1);
	}
}

static void write_file(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_tail_source(void **state)
{
	struct tail_options o = { 60, 1 };
	char dir[] = "/tmp/popgate-test-journal-XXXXXX", a[128], b[128],
	     a1[128];
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof a, "%s/a.log", dir);
	snprintf(b, sizeof b, "%s/b.log", dir);
	snprintf(a1, sizeof a1, "%s/a.log.1", dir);
	write_file(a, "a1\n", "w");
	write_file(b, "b1\n", "w");
	s.t = tail_new(&o);
	tail_add(s.t, a);
	tail_add(s.t, b);
	tail_start(s.t);
	assert_int_equal(source_of(&s, "a1"), 1);
	assert_int_equal(source_of(&s, "b1"), 2);
	/* rotation: the draining old file keeps its path's number */
	assert_int_equal(rename(a, a1), 0);
	write_file(a, "a3\n", "w");
	write_file(a1, "a2\n", "a");
	assert_int_equal(source_of(&s, "a3"), 1);
	assert_int_equal(source_of(&s, "a2"), 1);
	write_file(b, "b2\n", "a");
	assert_int_equal(source_of(&s, "b2"), 2);
	tail_free(s.t);
	unlink(a);
	unlink(a1);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_login),
		cmocka_unit_test(test_rules_refusals),
		cmocka_unit_test(test_rules_ipv6_prefix),
		cmocka_unit_test(test_tail_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
