/*
 * test_hostile.c - every built-in format attacked through its own text:
 * hostile payloads (each format's markers and success tails, rip=/ip=/
 * oip=, brackets, quotes, status="ok", padding up to 16 KiB) in every
 * client-controlled field of success and failure lines, each line also
 * cut where syslog daemons cut (1, 2, 4, 8 KiB), the padding placed so
 * that the cut falls anywhere in the hostile text, and the text ending at
 * every length past each rule's field bound. Never may a line, whole
 * or cut, record an address other than the one the server wrote for the
 * client (none at all for a failure line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "hostile_lines.h"
#include "match.h"

#define T0 1795000000
#define LINE_MAX_TEST 16384
#define HOSTILE_PAYLOADS_MAX 128
#define PAIR_PAD_MAX 300	/* past every two-line rule's user bound */
#define FIELD_PAD_MAX 600	/* past every rule's longest field (512) */

/* text every format treats as its own, plus brackets and quotes */
static const char *const extra_payloads[] = {
	"alice", "", " ", "\"", "'", "`", "<", ">", "[", "]", "(", ")", ";", ",",
	"rip=" EVIL, ", rip=" EVIL ", lip=1.1.1.1", "ip=[" EVIL "]",
	", ip=[" EVIL "], port=[1]", ";oip=" EVIL ";", ";ip=" EVIL ";",
	" host=[" EVIL "]", "[" EVIL "]", "(" EVIL ")", " " EVIL, EVIL,
	"\" status=\"ok\"", "x\" status=\"ok", " status=\"ok\"",
	"x\" server=\"a:1\" protocol=POP3 server-secure=plaintext status=\"ok",
	"(v4.1.0) POP login by user \"x\" at (h) " EVIL,
	"x\" at (h) " EVIL, "x -- [" EVIL "]", "x logged in from " EVIL,
	"x authenticated - " EVIL, "x' with passwd; child PID is 1",
	"x r.clienthost=\"[" EVIL "]\"", "x\" r.clienthost=\"[" EVIL "]",
	"x;] imap - user x authenticated, mechanism=PLAIN",
	"x)<1><S1>: Disconnected: Logged out",
};
#define N_EXTRA (sizeof extra_payloads / sizeof extra_payloads[0])

static char *payloads[HOSTILE_PAYLOADS_MAX];
static size_t npayloads;

/* replace - S with every FROM replaced by TO (new string) */
static char *replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	char *out = xmalloc(strlen(s) * (tl + 1) + 1);

	while (*s != '\0') {
		if (strncmp(s, from, fl) == 0) {
			memcpy(out + n, to, tl);
			n += tl;
			s += fl;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return out;
}

static void add_payload(char *p)
{
	assert_true(npayloads < HOSTILE_PAYLOADS_MAX);
	payloads[npayloads++] = p;
}

/* make_payloads - the extras, and of every success line the text after
 * its first client field (its success tail) and the whole message, both
 * with the attacker's address for the server's */
static void make_payloads(void)
{
	for (size_t i = 0; i < N_EXTRA; i++)
		add_payload(xstrdup(extra_payloads[i]));
	for (size_t i = 0; i < N_TEMPLATES; i++) {
		const char *t = templates[i].line, *u = strstr(t, "%s");
		char *evil, *tail;

		if (templates[i].ip == NULL)
			continue;
		evil = replace(t, REAL, EVIL);
		tail = replace(strstr(evil, "%s") + 2, "%s", "x");
		add_payload(replace(tail, "\n", ""));
		free(tail);
		if (strncmp(t, H, strlen(H)) == 0 && u != NULL) {
			tail = replace(evil + strlen(H), "%s", "x");
			add_payload(tail);
		}
		free(evil);
	}
}

struct run {
	struct matcher *m;
	unsigned source;
	size_t lines, failures;
};

/* check - feed LINE[0..LEN); a login must be WANT (NULL: no login) */
static void check(struct run *run, const char *line, size_t len,
		  const char *want)
{
	struct match_result r;
	char got[ADDR_TEXT_MAX];

	run->lines++;
	memset(&r, 0, sizeof r);
	if (!matcher_feed(run->m, run->source++, line, len, T0, &r) ||
	    r.kind != MATCH_LOGIN)
		return;
	addr_format(&r.addr, got, sizeof got);
	if (want != NULL && strcmp(got, want) == 0)
		return;
	if (run->failures++ < 20)
		printf("  format %s recorded %s (want %s) from %zu bytes: %.300s\n",
		       r.format, got, want ? want : "nothing", len, line);
}

static const size_t cuts[] = { 1024, 2048, 4096, 8192 };

/* attack - template T with payload P: whole, padded to 16 KiB, and cut
 * at each syslog limit with the cut falling anywhere in P (padding
 * before P moves it) and just after it */
static void attack(struct run *run, const struct template *t, const char *p)
{
	size_t len, end, pl = strlen(p);
	char *line = fill(t->line, 0, ' ', p, &len, &end);

	check(run, line, len, t->ip);
	free(line);
	for (int c = 0; c < 2; c++) {
		char padc = c ? 'x' : ' ';
		size_t e0;

		/* 16 KiB: padding before, then after the payload */
		line = fill(t->line, 0, padc, p, &len, &e0);
		free(line);
		if (len < LINE_MAX_TEST) {
			size_t pad = (LINE_MAX_TEST - len) / 2;
			line = fill(t->line, pad, padc, p, &len, &end);
			check(run, line, len, t->ip);
			free(line);
		}
		for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
			size_t every = k == 0 ? pl + 2 : 3;

			for (size_t d = 0; d < every; d++) {
				/* the cut falls D bytes before the payload's
				 * end (D = PL+1: one byte after it) */
				size_t back = d <= pl ? d : 0, fwd = d > pl;
				if (cuts[k] + back < e0 + fwd)
					continue;
				size_t pad = cuts[k] + back - e0 - fwd;
				line = fill(t->line, pad, padc, p, &len, &end);
				check(run, line, len < cuts[k] ? len : cuts[k], t->ip);
				free(line);
			}
		}
	}
}

static struct matcher *auto_matcher(void)
{
	char err[256];
	struct matcher *m = hostile_matcher(err, sizeof err);

	if (m == NULL)
		fail_msg("matcher_new: %s", err);
	return m;
}

/* end_run - the payloads and the matcher freed; no foreign address */
static void end_run(struct run *run)
{
	for (size_t j = 0; j < npayloads; j++)
		free(payloads[j]);
	npayloads = 0;
	matcher_free(run->m);
	assert_int_equal(run->failures, 0);
}

static void test_one_line_formats(void **state)
{
	struct run run = { auto_matcher(), 1, 0, 0 };
	long long start = clock_mono_ms();

	(void)state;
	make_payloads();
	for (size_t i = 0; i < N_TEMPLATES; i++)
		for (size_t j = 0; j < npayloads; j++)
			attack(&run, &templates[i], payloads[j]);
	printf("%zu templates x %zu payloads: %zu lines in %lld ms, %zu "
	       "foreign addresses, %llu ambiguous\n", N_TEMPLATES, npayloads,
	       run.lines, clock_mono_ms() - start, run.failures,
	       matcher_ambiguous(run.m));
	end_run(&run);
}

/* check_padded - TEMPLATE with 1 to PAD_MAX bytes of padding (blanks
 * and 'x' by turns) before P, so that the client's text ends at every
 * length up to past the longest field a rule takes: a field too long
 * for one rule must not become another rule's reading of the line.
 * OPEN (NULL: none), a pair's first line, is fed before each */
static void check_padded(struct run *run, const char *open,
			 const char *template, const char *p, size_t pad_max,
			 const char *want)
{
	struct match_result r;
	size_t len, end;

	for (size_t pad = 1; pad <= pad_max; pad++) {
		char *line = fill(template, pad, pad % 2 ? ' ' : 'x', p,
				  &len, &end);

		if (open != NULL)
			(void)matcher_feed(run->m, run->source, open,
					   strlen(open), T0, &r);
		check(run, line, len, want);
		free(line);
	}
}

/* test_field_lengths - every template with each payload that carries
 * the attacker's address, padded across every field bound */
static void test_field_lengths(void **state)
{
	struct run run = { auto_matcher(), 1, 0, 0 };
	long long start = clock_mono_ms();

	(void)state;
	make_payloads();
	for (size_t i = 0; i < N_TEMPLATES; i++)
		for (size_t j = 0; j < npayloads; j++)
			if (strstr(payloads[j], EVIL) != NULL)
				check_padded(&run, NULL, templates[i].line,
					     payloads[j], FIELD_PAD_MAX,
					     templates[i].ip);
	printf("%zu padded lines in %lld ms, %zu foreign addresses\n",
	       run.lines, clock_mono_ms() - start, run.failures);
	end_run(&run);
}

static void test_two_line_formats(void **state)
{
	struct run run = { auto_matcher(), 1, 0, 0 };
	struct match_result r;
	size_t len, end;

	(void)state;
	make_payloads();
	for (size_t i = 0; i < N_PAIRS; i++)
		for (size_t j = 0; j < npayloads; j++) {
			const char *p = payloads[j];
			char *login = fill(pairs[i].login, 0, ' ', p, &len, &end);
			char *fail = fill(pairs[i].fail, 0, ' ', p, &len, &end);

			/* open, then the login: only the opened address */
			(void)matcher_feed(run.m, run.source, pairs[i].open,
					   strlen(pairs[i].open), T0, &r);
			check(&run, login, strlen(login), REAL);
			check_padded(&run, pairs[i].open, pairs[i].login, p,
				     PAIR_PAD_MAX, REAL);
			/* open, failure, login: nothing (the source stays) */
			run.source--;
			(void)matcher_feed(run.m, run.source, pairs[i].open,
					   strlen(pairs[i].open), T0, &r);
			run.source--;
			check(&run, fail, strlen(fail), NULL);
			run.source--;
			check(&run, login, strlen(login), NULL);
			free(login);
			free(fail);
		}
	printf("%zu two-line checks, %zu foreign or stale addresses\n", run.lines,
	       run.failures);
	end_run(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line_formats),
		cmocka_unit_test(test_field_lengths),
		cmocka_unit_test(test_two_line_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
