/*
 * test_prefilter.c - the buffer prefilter: the literal scan (SIMD and
 * table paths against memmem), literals read off custom patterns, which
 * configurations get a prefilter, and the property that matters: every
 * tests/corpus/NAME.log embedded at random offsets in 1 M lines of noise,
 * read by the real tailer with the prefilter skipping lines (and taking
 * runs of them at once), authorizes and counts exactly what it does
 * without the prefilter, NAME.expect among it. Corpus paths as in test_match.c.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "corpus_set.h"

#include "litscan.h"
#include "match.h"
#include "pattern_literal.h"
#include "prefilter.h"
#include "tail.h"
#include "tail_fixture.h"
#include "timeparse.h"
#include "util.h"

#define NOISE_LINES 1000000
#define CORPUS_CLOCK 1795000000	/* as test_match.c: 2026-11-18 */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* first_naive - the first offset where any of LIT starts (memmem) */
static size_t first_naive(const char *const *lit, size_t n, const char *buf,
			  size_t len)
{
	size_t best = len;

	for (size_t i = 0; i < n; i++) {
		const char *p = memmem(buf, len, lit[i], strlen(lit[i]));

		if (p != NULL && (size_t)(p - buf) < best)
			best = (size_t)(p - buf);
	}
	return best;
}

/* random buffers over a small alphabet, so literals occur often, at
 * every alignment and near both ends */
static void test_scan_agrees_with_memmem(void **state)
{
	static const char *const sets[][12] = {
		{ "pop3", "imap", "dovecot", "popper", "cucipop", "teapop",
		  "vpopmail", "vchkpw", "perdition", "mailboxlog", "zimbramon",
		  "ipop2d" },
		{ "abc", "abd", "bca", "cab", "aab", "bba", "ccc", "acb", "bac",
		  "cba", "aaa", "bbb" },
		/* rule literals that start with what most lines hold
		 * (none holds another, as below) */
		{ ", user=", ": login: ", ">: Info: ", "): Info: ", ", while ",
		  "Login user=", "Killed", "imap(", "r=u", "d: (", ">: D",
		  "=us" },
		/* overlapping literals (none holds another: that one
		 * would be dropped, and only its line is promised) */
		{ "e#~ee^&*", "~ee^&*Z", "^&*Ze", "Z#~e^", "&*Z#e", "e^&*Z~",
		  "*Ze#~", "#~eZ", "eee^#", "Zee&", "~Z~e", "ee*e" },
	};
	static const char *const alphabet[] = {
		"pop3imadvecthrlbxzkn ", "abc", ", :>()=userloginInfwhKkd\n",
		"e#~^&*Z",
	};
	char buf[300];
	size_t checks = 0;

	(void)state;
	for (size_t set = 0; set < 4; set++)
		for (int round = 0; round < 20000; round++) {
			size_t n = 1 + next_random() % 12, len = next_random() % sizeof buf;
			const char *alpha = alphabet[set];
			struct litscan *s = litscan_new(sets[set], n);
			size_t want, got, got_scalar;

			assert_non_null(s);
			for (size_t i = 0; i < len; i++)
				buf[i] = alpha[next_random() % strlen(alpha)];
			want = first_naive(sets[set], n, buf, len);
			got = litscan_first(s, buf, len);
			got_scalar = litscan_first_scalar(s, buf, len);
			if (got != want || got_scalar != want)
				fail_msg("set %zu, %zu literals, %zu bytes: memmem %zu, "
					 "scan %zu, table %zu", set, n, len, want, got,
					 got_scalar);
			litscan_free(s);
			checks++;
		}
	printf("%zu random buffers: scan == memmem\n", checks);
}

static void test_scan_limits(void **state)
{
	const char *too_short[] = { "ab" }, *dup[] = { "pop3", "pop3d", "xpop3" };
	struct litscan *s;

	(void)state;
	assert_null(litscan_new(too_short, 1));
	assert_null(litscan_new(dup, 0));
	s = litscan_new(dup, 3);	/* the longer ones hold "pop3" */
	assert_int_equal(litscan_count(s), 1);
	assert_string_equal(litscan_literal(s, 0), "pop3");
	assert_int_equal(litscan_first(s, "xx", 2), 2);
	litscan_free(s);
}

static void test_pattern_literal(void **state)
{
	static const struct {
		const char *pattern, *literal;
	} cases[] = {
		{ "myserver: login ok (?<ip>\\S+)", "myserver: login ok " },
		{ "^\\w+ auth\\[[0-9]+\\]: user \\S+ from (?<ip>[0-9.]+)$", "]: user " },
		{ "a?bcd+e", "bcd" },
		{ "x*yz{2}abc", "abc" },
		{ "abcd{,3}efgh", "efgh" },
		{ "ab(?<ip>.*)|cdef", "" },		/* top-level alternation */
		{ "(?i)Login OK (?<ip>\\S+)", "" },	/* options change bytes */
		{ "\\QLogin|\\E(?<ip>x)", "" },
		{ "ab\\x41cd (?<ip>z)", "ab" },	/* \\x41cd: all alnum dropped */
		{ "ab\\.cd(?#(|)(?<ip>z)", "" },	/* a comment: no guess */
		{ "(*UTF)abc(?<ip>z)", "" },		/* a verb: no guess */
		{ "[|(]login(?<ip>z)", "login" },
		{ "abc{x|yz}(?<ip>q)", "" },		/* "{" is a byte, | counts */
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[PATTERN_LITERAL_MAX + 1];
		size_t n = pattern_literal(cases[i].pattern, out, sizeof out);

		if (strcmp(out, cases[i].literal) != 0 || n != strlen(out))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].pattern, out,
				 cases[i].literal);
	}
}

static struct prefilter *prefilter_from(const char *text, char *why,
					size_t size)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX];
	struct prefilter *p;

	if (config_parse(&cfg, "t.conf", text, strlen(text), err, sizeof err) != 0)
		fail_msg("config: %s", err);
	p = prefilter_new(&cfg, why, size);
	config_free(&cfg);
	return p;
}

static void test_which_configs(void **state)
{
	char why[256], text[1024];
	struct prefilter *p;

	(void)state;
	p = prefilter_from("", why, sizeof why);
	assert_non_null(p);
	prefilter_describe(p, text, sizeof text);
	printf("every format: %s\n", text);
	assert_non_null(strstr(text, "dovecot"));
	prefilter_free(p);
	p = prefilter_from("log_formats = dovecot, courier\n"
			   "pattern = myserver\\[\\d+\\]: OK (?<ip>\\S+)\n", why,
			   sizeof why);
	assert_non_null(p);
	prefilter_describe(p, text, sizeof text);
	printf("dovecot, courier, a pattern: %s\n", text);
	assert_non_null(strstr(text, "myserver["));
	prefilter_free(p);
	assert_null(prefilter_from("pattern = ^\\S+ (?<ip>\\S+)$\n", why,
				   sizeof why));
	printf("literal-less pattern: %s\n", why);
	assert_non_null(strstr(why, "line 1"));
}

/* ---- the corpus in noise, through the real tailer ---- */

/* noise_line - lines of a busy mail log that authorize nothing: Postfix,
 * and lines that hold the literals (tags, "imap", "pop3") in the wrong
 * place or with no login in them */
static void noise_line(FILE *f)
{
	unsigned r = next_random(), a = r % 250 + 1, pid = r % 60000 + 100;

	if (r % 1000 == 7) {		/* NUL padding where a line starts */
		fwrite("\0\0\0\0", 1, 4, f);
	} else if (r % 1000 == 8) {	/* a NUL byte inside a line */
		fwrite("Nov 18 10:00:00 mx kernel: a\0b\n", 1, 31, f);
		return;
	} else if (r % 1000 == 9) {	/* longer than a line may be */
		fputs("Nov 18 10:00:00 mx dovecot: imap-login: Login: user=<", f);
		for (int i = 0; i < 1000; i++)
			fputs("overlong-overlong", f);
		fputs(">\n", f);
		return;
	}
	switch (r % 7) {
	case 0:
		fprintf(f, "Nov 18 10:%02u:%02u mx postfix/smtpd[%u]: connect from "
			"unknown[192.0.2.%u]\n", r % 60, a % 60, pid, a);
		break;
	case 1:
		fprintf(f, "Nov 18 10:%02u:%02u mx postfix/smtp[%u]: %08X: "
			"to=<pop3fan@example.net>, relay=imap.example.net[198.51.100."
			"%u]:25, delay=0.4, dsn=2.0.0, status=sent\n", r % 60,
			a % 60, pid, r, a);
		break;
	case 2:
		fprintf(f, "Nov 18 10:%02u:%02u mx dovecot: imap-login: Disconnected "
			"(no auth attempts in 0 secs): user=<>, rip=203.0.113.%u, "
			"lip=192.0.2.254, session=<n%u>\n", r % 60, a % 60, a, pid);
		break;
	case 3:
		fprintf(f, "2026-11-18T10:%02u:%02u.%06u+00:00 mail amavis[%u]: "
			"(%05u-01) Passed CLEAN {RelayedInbound}, [198.51.100.%u]:%u "
			"<a@example.org> -> <b@example.com>, Hits: -1.2\n", r % 60,
			a % 60, r % 1000000, pid, pid, a, pid);
		break;
	case 4:
		fprintf(f, "Nov 18 10:%02u:%02u mx postfix/qmgr[%u]: %08X: removed\n",
			r % 60, a % 60, pid, r);
		break;
	case 5:
		fprintf(f, "Nov 18 10:%02u:%02u mx postfix/smtpd[%u]: NOQUEUE: "
			"reject: RCPT from unknown[203.0.113.%u]: 554 5.7.1 "
			"<x@example.com>: Relay access denied; from=<popper@example."
			"org>\n", r % 60, a % 60, pid, a);
		break;
	default:
		fprintf(f, "Nov 18 10:%02u:%02u mx opendkim[%u]: %08X: DKIM-"
			"Signature field added (s=mail, d=example.com)\n", r % 60,
			a % 60, pid, r);
	}
}

/* write_noisy - CORPUS's lines, in order, at random places among NOISE
 * noise lines, into PATH; the number of lines written */
static size_t write_noisy(const char *path, const char *corpus, size_t noise)
{
	size_t len, lines = 0;
	char *buf = read_file(corpus, &len), *p = buf, *end = buf + len;
	size_t corpus_lines = 0;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (char *q = buf; q < end; q++)
		corpus_lines += *q == '\n';
	corpus_lines += len > 0 && end[-1] != '\n';
	for (size_t left = noise + corpus_lines; left > 0; left--) {
		if (p < end && next_random() % left < corpus_lines) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			fwrite(p, 1, n, f);
			fputc('\n', f);
			p += n + 1;
			corpus_lines--;
		} else {
			noise_line(f);
		}
		lines++;
	}
	fclose(f);
	free(buf);
	return lines;
}

struct reader {
	struct matcher *m;
	struct tailer *t;
	struct ipset *got;	/* one set per source */
	size_t delivered;
};

static int feed(const char *line, size_t len, int live, unsigned source,
		void *ctx)
{
	struct reader *r = ctx;
	struct match_result res;
	time_t t;
	char text[ADDR_TEXT_MAX];

	(void)live;
	r->delivered++;
	if (!time_parse(line, len, CORPUS_CLOCK, &t))
		t = CORPUS_CLOCK;
	if (matcher_feed(r->m, source, line, len, t, &res) &&
	    res.kind == MATCH_LOGIN) {
		addr_format(&res.addr, text, sizeof text);
		set_add(&r->got[source - 1], text);
	}
	return 0;
}

static size_t skip_lines(const char *buf, size_t len, void *ctx)
{
	return prefilter_scan(ctx, buf, len);
}

/* read_noisy - the N files PATH[i] through a real tailer (the prefilter
 * PF skipping lines, or none) into R: one address set per file */
static void read_noisy(struct reader *r, char **path, size_t n,
		       struct prefilter *pf, struct tail_counters *c)
{
	struct tail_options o = { 5, 1 };
	char err[CONFIG_ERR_MAX];
	struct config cfg;

	config_init(&cfg);
	r->m = matcher_new(&cfg, err, sizeof err);
	assert_non_null(r->m);
	r->got = xcalloc(n, sizeof *r->got);
	r->delivered = 0;
	r->t = tail_new(&o);
	if (pf != NULL)
		tail_set_skip(r->t, skip_lines, pf);
	for (size_t i = 0; i < n; i++)
		tail_add(r->t, path[i]);
	tail_start(r->t);
	while (tail_deliver(r->t, feed, r) == 1)
		;
	tail_take_counters(r->t, c);
	tail_free(r->t);
	matcher_free(r->m);
	config_free(&cfg);
}

/* has_all - every address of the .expect file beside CORPUS is in GOT */
static int has_all(const char *corpus, const struct ipset *got)
{
	static struct ipset want;
	char expect[4200];
	int ok = 1;

	snprintf(expect, sizeof expect, "%.*s.expect",
		 (int)(strlen(corpus) - 4), corpus);
	want.n = 0;
	read_expect(expect, &want);
	for (size_t i = 0; i < want.n; i++)
		if (!set_has(got, want.v[i])) {
			printf("  %s: missed %s\n", corpus, want.v[i]);
			ok = 0;
		}
	return ok;
}

/* every corpus file in noise, read by the tailer with the prefilter and
 * without it: the same addresses, every expected one among them (the
 * tailer may find more than test_match: it drops NUL padding at a
 * line's start, which noise.log holds) */
static void test_corpus_in_noise(void **state)
{
	const char *top = getenv("POPGATE_TOP");
	char pattern[4096], dir[] = "/tmp/popgate-prefilter-XXXXXX",
	     err[CONFIG_ERR_MAX], **path;
	struct config cfg;
	struct reader skip, all;
	struct tail_counters c, c_all;
	struct prefilter *pf;
	size_t total = 0;
	int failures = 0;
	glob_t g;
	long long t0 = clock_mono_ms();

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(pattern, sizeof pattern, "%s/tests/corpus/*.log", top ? top : ".");
	if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0)
		fail_msg("no corpus files match %s", pattern);
	assert_non_null(mkdtemp(dir));
	config_init(&cfg);
	pf = prefilter_new(&cfg, err, sizeof err);
	assert_non_null(pf);
	path = xcalloc(g.gl_pathc, sizeof *path);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		path[i] = xmalloc(sizeof dir + 32);
		snprintf(path[i], sizeof dir + 32, "%s/%zu.log", dir, i);
		total += write_noisy(path[i], g.gl_pathv[i], NOISE_LINES / g.gl_pathc);
	}
	read_noisy(&skip, path, g.gl_pathc, pf, &c);
	read_noisy(&all, path, g.gl_pathc, NULL, &c_all);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;

		if (!compare_sets(base, &skip.got[i], &all.got[i]) ||
		    !has_all(g.gl_pathv[i], &skip.got[i]))
			failures++;
		unlink(path[i]);
		free(path[i]);
	}
	printf("%zu corpus files in %zu lines: %llu read, %zu matched (%zu "
	       "without the prefilter), %d mismatches, %.1f s\n", g.gl_pathc,
	       total, (unsigned long long)c.lines_read, skip.delivered,
	       all.delivered, failures, (double)(clock_mono_ms() - t0) / 1000);
	rmdir(dir);
	free(path);
	free(skip.got);
	free(all.got);
	prefilter_free(pf);
	config_free(&cfg);
	globfree(&g);
	assert_int_equal(c.lines_read + c.lines_overlong, total);
	assert_int_equal(c_all.lines_read, c.lines_read);
	assert_true(c.lines_overlong > 0 && c.nul_padding_skipped > 0);
	/* lines passed over in runs count as the line-by-line path counts */
	assert_int_equal(c.lines_overlong, c_all.lines_overlong);
	assert_int_equal(c.nul_padding_skipped, c_all.nul_padding_skipped);
	assert_true(skip.delivered < all.delivered);	/* noise passed over */
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_agrees_with_memmem),
		cmocka_unit_test(test_scan_limits),
		cmocka_unit_test(test_pattern_literal),
		cmocka_unit_test(test_which_configs),
		cmocka_unit_test(test_corpus_in_noise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
