/*
 * test_match.c - the log matcher: every tests/corpus/NAME.log against its
 * NAME.expect (the set of addresses a correct parser authorizes), each
 * built-in format alone, custom patterns, bad configurations, hostile
 * 16 KiB lines. Corpus paths are relative to $POPGATE_TOP (default ".").
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "unit.h"
#include "corpus_set.h"

#include "formats.h"
#include "litset.h"
#include "match.h"
#include "timeparse.h"
#include "util.h"

/* a config with only what the matcher reads */
static struct config make_config(char **formats, size_t nformats,
				 struct pattern_spec *patterns, size_t npatterns)
{
	static char *auto_name[] = { "auto" };
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.file = "test.conf";
	cfg.log_formats.v = formats ? formats : auto_name;
	cfg.log_formats.n = formats ? nformats : 1;
	cfg.patterns.v = patterns;
	cfg.patterns.n = npatterns;
	return cfg;
}

static struct matcher *matcher_for(const char *format)
{
	char *names[1] = { (char *)format };
	char err[CONFIG_ERR_MAX];
	struct config cfg = make_config(format ? names : NULL, 1, NULL, 0);
	struct matcher *m = matcher_new(&cfg, err, sizeof(err));

	if (m == NULL)
		fail_msg("matcher_new(%s): %s", format ? format : "auto", err);
	return m;
}

#define CORPUS_CLOCK 1795000000	/* 2026-11-18: "now" for year inference */

/* match_file - feed every line of PATH as source SOURCE, at the line's
 * own time (or the fixed clock); logins go into SET; returns lines */
static size_t match_file(struct matcher *m, unsigned source, const char *path,
			 struct ipset *set, size_t *logins)
{
	size_t len, lines = 0;
	char *buf = read_file(path, &len);
	char *p = buf, *end = buf + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct match_result r;
		char text[ADDR_TEXT_MAX];

		time_t t;

		lines++;
		if (!time_parse(p, n, CORPUS_CLOCK, &t))
			t = CORPUS_CLOCK;
		if (matcher_feed(m, source, p, n, t, &r) && r.kind == MATCH_LOGIN) {
			addr_format(&r.addr, text, sizeof(text));
			set_add(set, text);
			(*logins)++;
		}
		p += n + 1;
	}
	free(buf);
	return lines;
}

static void corpus_glob(glob_t *g)
{
	const char *top = getenv("POPGATE_TOP");
	char pattern[4096];

	snprintf(pattern, sizeof(pattern), "%s/tests/corpus/*.log", top ? top : ".");
	if (glob(pattern, 0, NULL, g) != 0 || g->gl_pathc == 0)
		fail_msg("no corpus files match %s", pattern);
}

static void test_corpus(void **state)
{
	glob_t g;
	int failures = 0;
	struct matcher *m = matcher_for(NULL);

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	corpus_glob(&g);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		static struct ipset got, want;
		char expect[4096];
		size_t logins = 0, lines;
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;

		got.n = want.n = 0;
		snprintf(expect, sizeof(expect), "%.*s.expect",
			 (int)(strlen(g.gl_pathv[i]) - 4), g.gl_pathv[i]);
		lines = match_file(m, (unsigned)i, g.gl_pathv[i], &got, &logins);
		read_expect(expect, &want);
		int ok = compare_sets(base, &got, &want);
		printf("corpus %-32s %s (%zu lines, %zu logins, %zu addresses)\n",
		       base, ok ? "ok" : "MISMATCH", lines, logins, got.n);
		failures += !ok;
	}
	globfree(&g);
	matcher_free(m);
	assert_int_equal(failures, 0);
}

static void test_every_format_has_corpus_line(void **state)
{
	glob_t g;

	(void)state;
	corpus_glob(&g);
	for (size_t f = 0; f < format_count; f++) {
		struct matcher *m = matcher_for(format_table[f].name);
		static struct ipset got;
		size_t logins = 0;

		got.n = 0;
		for (size_t i = 0; i < g.gl_pathc; i++)
			match_file(m, (unsigned)i, g.gl_pathv[i], &got, &logins);
		printf("format %-16s %zu corpus logins\n", format_table[f].name, logins);
		if (logins == 0)
			fail_msg("format %s matches no corpus line", format_table[f].name);
		matcher_free(m);
	}
	globfree(&g);
}

/* literal_check_file - every line of PATH that rule R's regex (RE)
 * matches holds R's literal: the matcher runs a rule only on lines that
 * hold it, so a literal a line can lack would lose that line */
static size_t literal_check_file(const struct format_rule *r, pcre2_code *re,
				 pcre2_match_data *md, const char *path)
{
	size_t len, hits = 0;
	char *buf = read_file(path, &len);

	for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		if (nl == NULL)
			nl = buf + len;
		if (pcre2_match(re, (PCRE2_SPTR)line, (size_t)(nl - line), 0, 0,
				md, NULL) < 0)
			continue;
		hits++;
		if (!litset_find_any(line, (size_t)(nl - line), r->prefilter))
			fail_msg("%s: a line the rule matches lacks its literal "
				 "\"%s\": %.*s", path, r->prefilter,
				 (int)(nl - line), line);
	}
	free(buf);
	return hits;
}

static void test_rule_literals_in_matched_lines(void **state)
{
	glob_t g;
	size_t checked = 0;

	(void)state;
	corpus_glob(&g);
	for (size_t f = 0; f < format_count; f++)
		for (size_t i = 0; i < FORMAT_RULES_MAX &&
		     format_table[f].rules[i].re != NULL; i++) {
			const struct format_rule *r = &format_table[f].rules[i];
			int err;
			PCRE2_SIZE off;
			pcre2_code *re;
			pcre2_match_data *md;

			if (r->prefilter == NULL)
				continue;
			re = pcre2_compile((PCRE2_SPTR)r->re, PCRE2_ZERO_TERMINATED,
					   0, &err, &off, NULL);
			assert_non_null(re);
			md = pcre2_match_data_create_from_pattern(re, NULL);
			for (size_t k = 0; k < g.gl_pathc; k++)
				checked += literal_check_file(r, re, md, g.gl_pathv[k]);
			pcre2_match_data_free(md);
			pcre2_code_free(re);
		}
	printf("%zu matched corpus lines hold their rule's literal\n", checked);
	assert_true(checked > 0);
	globfree(&g);
}

struct sample {
	const char *format, *line, *ip, *user, *service;
	enum match_kind kind;
};

static const struct sample samples[] = {
	{ "dovecot", "Mar  7 09:01:02 mx dovecot: imap-login: Login: user=<alice>, "
	  "method=PLAIN, rip=192.0.2.1, lip=192.0.2.254, mpid=1, session=<x>",
	  "192.0.2.1", "alice", "imap", MATCH_LOGIN },
	{ "dovecot-logpath", "Nov 23 11:03:39 pop3-login: Info: Login: user=<bob>, "
	  "method=PLAIN, rip=::ffff:192.0.2.2, lip=::1, mpid=2", "192.0.2.2", "bob",
	  "pop3", MATCH_LOGIN },
	{ "courier", "Nov 23 11:06:24 vm imapd-ssl: LOGIN, user=carol, "
	  "ip=[::ffff:192.0.2.3], port=[1], protocol=IMAP", "192.0.2.3", "carol",
	  "imap", MATCH_LOGIN },
	{ "courier", "Nov 23 11:06:24 vm pop3d: LOGOUT, user=carol, ip=[2001:db8::3], "
	  "port=[1], top=0, retr=0, rcvd=12, sent=39, time=0", "2001:db8::3", "carol",
	  "pop3", MATCH_LOGOUT },
	{ "cyrus", "Mar  7 11:00:00 mx cyrus/pop3[2]: login: h.example [192.0.2.4] "
	  "dave plaintext User logged in", "192.0.2.4", "dave", "pop3", MATCH_LOGIN },
	{ "uw", "Mar  7 12:00:00 mx ipop3d[3]: Login user=erin host=h [192.0.2.5] "
	  "nmsgs=1/1", "192.0.2.5", "erin", "pop3", MATCH_LOGIN },
	{ "uw", "Mar  7 12:00:00 mx imapd[3]: Logout user=erin host=[192.0.2.5]",
	  "192.0.2.5", "erin", "imap", MATCH_LOGOUT },
	{ "qpopper", "Mar  8 12:53:46 mx qpopper[4]: (v4.1.0) POP login by user "
	  "\"frank\" at (h) 192.0.2.6", "192.0.2.6", "frank", "pop3", MATCH_LOGIN },
	{ "popa3d", "Mar  9 13:00:00 mx popa3d[5]: Authentication passed for gina "
	  "-- [192.0.2.7]", "192.0.2.7", "gina", "pop3", MATCH_LOGIN },
	{ "tpop3d", "Mar  9 14:00:00 mx tpop3d[6]: fork_child: [7]192.0.2.8/192.0.2.1: "
	  "began session for `hank' with passwd; child PID is 7", "192.0.2.8", "hank",
	  "pop3", MATCH_LOGIN },
	{ "gnu-pop3d", "Mar  9 15:00:00 mx gnu-pop3d[8]: User ivy logged in with "
	  "mailbox /var/mail/ivy from 192.0.2.9", "192.0.2.9", "ivy", "pop3", MATCH_LOGIN },
	{ "zimbra", "2024-05-11 10:23:45,207 INFO  [ImapSSLServer-13] [name=j@example.com;"
	  "ip=10.0.0.5;oip=192.0.2.10;ua=T;] imap - user j@example.com authenticated, "
	  "mechanism=LOGIN [TLS]", "192.0.2.10", "j@example.com", "imap", MATCH_LOGIN },
};

static void assert_sample(struct matcher *m, const struct sample *s)
{
	struct match_result r;
	char text[ADDR_TEXT_MAX];

	if (!matcher_match(m, s->line, strlen(s->line), &r))
		fail_msg("%s: no match: %s", s->format, s->line);
	addr_format(&r.addr, text, sizeof(text));
	assert_string_equal(text, s->ip);
	assert_string_equal(r.user, s->user);
	assert_string_equal(r.service, s->service);
	assert_string_equal(r.format, s->format);
	assert_int_equal(r.kind, s->kind);
}

static void test_each_format_alone(void **state)
{
	(void)state;
	for (size_t f = 0; f < format_count; f++) {
		struct matcher *m = matcher_for(format_table[f].name);
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			struct match_result r;
			const struct sample *s = &samples[i];
			if (strcmp(s->format, format_table[f].name) == 0)
				assert_sample(m, s);
			else if (matcher_match(m, s->line, strlen(s->line), &r))
				fail_msg("format %s matched a %s line", format_table[f].name,
					 s->format);
		}
		matcher_free(m);
	}
}

static void test_auto_matches_samples(void **state)
{
	struct matcher *m = matcher_for(NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		assert_sample(m, &samples[i]);
	matcher_free(m);
}

static struct matcher *matcher_with_patterns(struct pattern_spec *p, size_t n,
					     char *err, size_t errsize)
{
	char *names[1] = { "dovecot" };
	struct config cfg = make_config(names, 1, p, n);
	return matcher_new(&cfg, err, errsize);
}

static void test_custom_patterns(void **state)
{
	struct pattern_spec p[] = {
		{ "^(?<time>\\S+) myserver\\[\\d+\\]: ok (?<user>\\w+) from \\[?(?<ip>[0-9a-f.:]+)\\]?$", 3 },
		{ "legacy: accepted (?<ip>\\S+)$", 4 },
	};
	char err[CONFIG_ERR_MAX];
	struct match_result r;
	char text[ADDR_TEXT_MAX];
	const char *l1 = "2026-03-07T09:01:02Z myserver[9]: ok kim from [2001:db8::5]";
	const char *l2 = "xx legacy: accepted ::ffff:192.0.2.77";
	const char *l3 = "Mar  7 09:01:02 mx dovecot: pop3-login: Login: user=<a>, "
			 "method=PLAIN, rip=192.0.2.78, lip=192.0.2.1";
	struct matcher *m = matcher_with_patterns(p, 2, err, sizeof(err));

	(void)state;
	assert_non_null(m);
	assert_int_equal(matcher_match(m, l1, strlen(l1), &r), 1);
	addr_format(&r.addr, text, sizeof(text));
	assert_string_equal(text, "2001:db8::5");
	assert_string_equal(r.user, "kim");
	assert_string_equal(r.format, "custom");
	assert_int_equal(r.kind, MATCH_LOGIN);
	assert_ptr_equal(r.time_text, l1);
	assert_int_equal(r.time_len, strlen("2026-03-07T09:01:02Z"));
	assert_int_equal(matcher_match(m, l2, strlen(l2), &r), 1);
	addr_format(&r.addr, text, sizeof(text));
	assert_string_equal(text, "192.0.2.77");
	assert_string_equal(r.user, "");
	assert_int_equal(r.time_len, 0);
	assert_int_equal(matcher_match(m, l3, strlen(l3), &r), 1);
	assert_string_equal(r.format, "dovecot");	/* built-ins first */
	assert_int_equal(matcher_match(m, "legacy: accepted nonsense", 25, &r), 0);
	matcher_free(m);
}

static void expect_config_error(struct pattern_spec *p, const char *want)
{
	char err[CONFIG_ERR_MAX] = "";
	struct matcher *m = matcher_with_patterns(p, 1, err, sizeof(err));

	assert_null(m);
	printf("  error: %s\n", err);
	assert_non_null(strstr(err, want));
}

static void test_bad_configs(void **state)
{
	struct pattern_spec no_ip = { "login (?<user>\\w+) from (?<addr>\\S+)", 7 };
	struct pattern_spec broken = { "login (?<ip>\\S+", 8 };
	char *names[2] = { "dovecot", "sendmail" };
	char err[CONFIG_ERR_MAX] = "";
	struct config cfg = make_config(names, 2, NULL, 0);

	(void)state;
	expect_config_error(&no_ip, "test.conf:7: ");
	expect_config_error(&broken, "test.conf:8: ");
	assert_null(matcher_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "sendmail"));
}

static void test_format_names(void **state)
{
	char err[256];

	(void)state;
	assert_true(match_format_known("auto"));
	assert_false(match_format_known("sendmail"));
	assert_false(match_format_known(""));
	for (size_t f = 0; f < format_count; f++) {
		assert_true(match_format_known(format_table[f].name));
		assert_non_null(strstr(match_format_names(), format_table[f].name));
	}
	printf("formats: %s\n", match_format_names());
	assert_int_equal(match_check_pattern("from (?<ip>\\S+)", err, sizeof(err)), 0);
	assert_int_equal(match_check_pattern("from (\\S+)", err, sizeof(err)), -1);
	assert_int_equal(match_check_pattern("from (?<ip>\\S+", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "offset"));
}

static void test_time_text(void **state)
{
	const char *l1 = "Nov 23 11:03:39 vm dovecot: pop3-login: Login: user=<a>, "
			 "method=PLAIN, rip=192.0.2.1, lip=192.0.2.2";
	const char *l2 = "dovecot: 2008-11-03 11:03:41 Info: imap-login: Login: "
			 "user=<a>, method=PLAIN, rip=192.0.2.3, lip=192.0.2.2";
	struct matcher *m = matcher_for(NULL);
	struct match_result r;
	time_t t;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(matcher_match(m, l1, strlen(l1), &r), 1);
	assert_ptr_equal(r.time_text, l1);
	assert_int_equal(time_parse(r.time_text, r.time_len, 1795000000, &t), 1);
	assert_int_equal(matcher_match(m, l2, strlen(l2), &r), 1);
	assert_ptr_equal(r.time_text, l2 + 9);
	assert_int_equal(r.time_len, 19);
	assert_int_equal(time_parse(r.time_text, r.time_len, 0, &t), 1);
	assert_int_equal(t, 1225710221);
	matcher_free(m);
}

static void test_user_made_safe(void **state)
{
	struct pattern_spec p = { "^custom: (?<user>.*) from (?<ip>\\S+)$", 1 };
	char err[CONFIG_ERR_MAX], line[600];
	struct matcher *m = matcher_with_patterns(&p, 1, err, sizeof(err));
	struct match_result r;
	int n;

	(void)state;
	assert_non_null(m);
	n = snprintf(line, sizeof(line), "custom: a\tb\x01");
	memset(line + n, 'x', 300);
	n += 300;
	n += snprintf(line + n, sizeof(line) - (size_t)n, " from 192.0.2.1");
	line[3] = '\0';	/* a NUL before the marker: no longer that line */
	assert_int_equal(matcher_match(m, line, (size_t)n, &r), 0);
	line[3] = 't';
	assert_int_equal(matcher_match(m, line, (size_t)n, &r), 1);
	assert_int_equal(strlen(r.user), RECORD_USER_MAX - 1);
	assert_int_equal(memcmp(r.user, "a?b?xx", 6), 0);
	matcher_free(m);
}

/* a syslog format needs the whole header (stamp, host-shaped host) and
 * the server's own tag, and nothing after the line's last field */
static void test_strict_headers(void **state)
{
	static const struct { const char *line; int hit; } cases[] = {
		{ "Mar  7 09:00:00 mail.example.org dovecot[123]: imap-login: Login: "
		  "user=<a>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2", 1 },
		{ "Mar  7 09:00:00 2001:db8::1 dovecot: imap-login: Login: "
		  "user=<a>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2", 1 },
		{ "Mar  7 09:00:00 imap(x dovecot: imap-login: Login: user=<a>, "
		  "method=PLAIN, rip=192.0.2.1, lip=192.0.2.2", 0 },
		{ "Mar  7 09:00:00 lmtp(\"a dovecot: imap-login: Login: user=<a>, "
		  "method=PLAIN, rip=192.0.2.1, lip=192.0.2.2", 0 },
		{ "Mar  7 09:00:00 mx imap-login: Login: user=<a>, method=PLAIN, "
		  "rip=192.0.2.1, lip=192.0.2.2", 0 },
		{ "dovecot: imap-login: Login: user=<a>, method=PLAIN, "
		  "rip=192.0.2.1, lip=192.0.2.2", 0 },
		{ "mx dovecot: imap-login: Login: user=<a>, method=PLAIN, "
		  "rip=192.0.2.1, lip=192.0.2.2", 0 },
		{ "Mar  7 09:00:00 mx dovecot: imap-login: Login: user=<a>, "
		  "method=PLAIN, rip=192.0.2.1, lip=192.0.2.2   ", 0 },
		{ "Mar  7 09:00:00 mx pop3d: LOGIN, user=a, ip=[192.0.2.1], "
		  "port=[1] ", 0 },
		{ "Mar  7 09:00:00 mx pop3d: LOGIN, user=a, ip=[192.0.2.1], "
		  "port=[1]", 1 },
		{ "pop3d: LOGIN, user=a, ip=[192.0.2.1], port=[1]", 0 },
		{ "Mar  7 09:00:00 mx qpopper[1]: (v4.1.0) POP login by user \"a\" "
		  "at (h) 192.0.2.1\t", 0 },
	};
	struct matcher *m = matcher_for(NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct match_result r;
		int hit = matcher_match(m, cases[i].line, strlen(cases[i].line), &r);
		if (hit != cases[i].hit)
			fail_msg("case %zu: hit %d: %s", i, hit, cases[i].line);
	}
	matcher_free(m);
}

/* 16 KiB lines built to make backtracking regexes work hard: the matcher
 * must answer (no address) in bounded time; the time is printed only */
static void test_hostile_long_lines(void **state)
{
	static const char *units[] = {
		">, method=A, rip=1", ", ip=[1]", " host=[1]", "\" at (h) 1",
		" -- [1]", "' with a; child PID is 1", " from 1", ";oip=1;",
		" user=", "<", "x",
	};
	static const char *heads[] = {
		"Mar  7 09:00:00 mx dovecot: pop3-login: Login: user=<",
		"Mar  7 09:00:00 mx pop3d: LOGIN, user=",
		"Mar  7 09:00:00 mx imapd[1]: Login user=",
		"Mar  7 09:00:00 mx qpopper[1]: (v4) POP login by user \"",
		"Mar  7 09:00:00 mx popa3d[1]: Authentication passed for ",
		"2024-05-11 10:23:45,207 INFO  [ImapServer-1] [ip=1;oip=",
		"",
	};
	static char line[16384];
	struct matcher *m = matcher_for(NULL);
	long long start = clock_mono_ms();
	size_t tried = 0;

	(void)state;
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++)
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
			size_t n = copy_string(line, heads[h], sizeof(line));
			size_t ul = strlen(units[u]);
			struct match_result r;
			while (n + ul < sizeof(line) - 1) {
				memcpy(line + n, units[u], ul);
				n += ul;
			}
			assert_int_equal(matcher_match(m, line, n, &r), 0);
			tried++;
		}
	printf("%zu hostile 16 KiB lines in %lld ms\n", tried, clock_mono_ms() - start);
	matcher_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_rule_literals_in_matched_lines),
		cmocka_unit_test(test_every_format_has_corpus_line),
		cmocka_unit_test(test_each_format_alone),
		cmocka_unit_test(test_auto_matches_samples),
		cmocka_unit_test(test_custom_patterns),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_time_text),
		cmocka_unit_test(test_user_made_safe),
		cmocka_unit_test(test_hostile_long_lines),
		cmocka_unit_test(test_strict_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
