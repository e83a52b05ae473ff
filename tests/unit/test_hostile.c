/*
 * test_hostile.c - every built-in format attacked through its own text:
 * hostile payloads (each format's markers and success tails, rip=/ip=/
 * oip=, brackets, quotes, status="ok", padding up to 16 KiB) in every
 * client-controlled field of success and failure lines, each line also
 * cut where syslog daemons cut (1, 2, 4, 8 KiB), the padding placed so
 * that the cut falls anywhere in the hostile text. Never may a line, whole
 * or cut, record an address other than the one the server wrote for the
 * client (none at all for a failure line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "match.h"
#include "util.h"

#define T0 1795000000
#define H "Nov 23 11:04:39 mx "	/* syslog header */
#define REAL "192.0.2.23"	/* the address the server wrote */
#define FAIL "198.51.100.9"	/* a failed client: never recorded */
#define EVIL "203.0.113.66"	/* what the attacker injects */
#define LINE_MAX_TEST 16384
#define HOSTILE_PAYLOADS_MAX 128

/* a line as its server writes it; each %s is client-controlled text */
struct template {
	const char *line;
	const char *ip;		/* the only address it may record; NULL = none */
};

static const struct template templates[] = {
	/* Dovecot (syslog): user, SASL method, an element after lip= */
	{ H "dovecot: imap-login: Login: user=<%s>, method=PLAIN, rip=" REAL
	  ", lip=192.0.2.1, mpid=11, TLS, session=<S1>", REAL },
	{ H "dovecot: pop3-login: Login: user=<a>, method=%s, rip=" REAL
	  ", lip=192.0.2.1, mpid=11, session=<S1>", REAL },
	{ H "dovecot: imap-login: Login: user=<a>, method=PLAIN, rip=" REAL
	  ", lip=192.0.2.1, mpid=11, TLS, session=<S1>, sni=%s", REAL },
	{ H "dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 "
	  "secs): user=<%s>, method=PLAIN, rip=" FAIL ", lip=192.0.2.1, TLS, "
	  "session=<S2>", NULL },
	{ H "dovecot: pop3-login: Aborted login (auth failed, 1 attempts in 2 "
	  "secs): user=<%s>, method=%s, rip=" FAIL ", lip=192.0.2.1, session=<S3>",
	  NULL },
	{ H "dovecot: auth: pam(%s," FAIL ",<S4>): unknown user", NULL },
	{ H "dovecot: imap(%s)<11><S1>: Disconnected: Logged out in=1 out=2", NULL },
	/* Dovecot log_path */
	{ "Nov 23 11:03:39 imap-login: Info: Login: user=<%s>, method=PLAIN, "
	  "rip=" REAL ", lip=::1, mpid=20, session=<S5>", REAL },
	{ "Nov 23 11:03:39 imap-login: Info: Disconnected (auth failed, 1 "
	  "attempts in 2 secs): user=<%s>, method=PLAIN, rip=" FAIL ", lip=::1, "
	  "session=<S6>", NULL },
	{ "Nov 23 11:03:39 auth: Info: passwd-file(%s," FAIL "): unknown user",
	  NULL },
	/* Courier */
	{ H "pop3d: LOGIN, user=%s, ip=[::ffff:" REAL "], port=[40135]", REAL },
	{ H "imapd-ssl: LOGIN, user=%s, ip=[::ffff:" REAL "], port=[1], "
	  "protocol=IMAP", REAL },
	{ H "pop3d: LOGIN FAILED, user=%s, ip=[::ffff:" FAIL "], port=[40135]", NULL },
	{ H "imapd: LOGIN FAILED, method=%s, ip=[::ffff:" FAIL "], port=[1]", NULL },
	/* Cyrus: reverse host name, user; logfmt */
	{ H "cyrus/imap[1]: login: %s [" REAL "] alice plaintext User logged in "
	  "SESSIONID=<x-1>", REAL },
	{ H "cyrus/pop3[1]: login: h.example [" REAL "] %s plaintext User logged in",
	  REAL },
	{ H "imap[1]: badlogin: h.example [" FAIL "] plaintext %s SASL(-13): "
	  "authentication failure: checkpass failed", NULL },
	{ H "imap[1]: event=login.good session_id=x r.clienthost=\"h [" REAL "]\" "
	  "u.username=\"%s\" login.mech=PLAIN", REAL },
	{ H "imap[1]: event=login.bad r.clienthost=\"h [" FAIL "]\" "
	  "u.username=\"%s\" login.mech=PLAIN", NULL },
	/* UW */
	{ H "imapd[1]: Login user=%s host=c.example [" REAL "]", REAL },
	{ H "ipop3d[1]: Login user=%s host=[" REAL "] nmsgs=1/1", REAL },
	{ H "imapd[1]: Login failed user=%s auth=%s host=c.example [" FAIL "]", NULL },
	{ H "ipop3d[1]: AUTHENTICATE %s failure host=[" FAIL "]", NULL },
	/* qpopper: its failure lines start with the user's text */
	{ H "qpopper[1]: (v4.1.0) POP login by user \"%s\" at (c.example) " REAL
	  " [pop_log.c:244]", REAL },
	{ H "qpopper[1]: %s at c.example (" FAIL "): -ERR [AUTH] Password supplied "
	  "for \"%s\" is incorrect. [pop_pass.c:1019]", NULL },
	{ H "qpopper[1]: Stats: %s 0 0 0 0 c.example " REAL, REAL },
	/* one-line POP servers */
	{ H "popa3d[1]: Authentication passed for %s -- [" REAL "]", REAL },
	{ H "popa3d[1]: Authentication failed for %s -- [" FAIL "]", NULL },
	{ H "vm-pop3d[1]: User %s logged in from " REAL, REAL },
	{ H "vm-pop3d[1]: Authentication failed for %s from " FAIL, NULL },
	{ H "spop3d[1]: user %s authenticated - " REAL, REAL },
	{ H "spop3d[1]: authentication failed for user %s - " FAIL, NULL },
	{ H "gnu-pop3d[1]: User %s logged in with mailbox /var/mail/a from " REAL,
	  REAL },
	{ H "gnu-pop3d[1]: User '%s': authentication failed", NULL },
	{ H "tpop3d[1]: fork_child: [7]" REAL "/192.0.2.1: began session for `%s' "
	  "with passwd; child PID is 7", REAL },
	{ H "tpop3d[1]: connection_do: client [7]" FAIL ": failed login for `%s' "
	  "with password", NULL },
	{ H "cucipop[1]: %s " REAL " 1, 1234 (0), 0 (0)", REAL },
	{ H "teapop[1]: Successful login for %s from c.example [" REAL "]", REAL },
	{ H "teapop[1]: Failed login for %s from c.example [" FAIL "]", NULL },
	{ H "vpopmail[1]: vchkpw-pop3: (PLAIN) login success %s@example.com:" REAL,
	  REAL },
	{ H "vpopmail[1]: vchkpw-pop3: password fail (pass: '%s') a@example.com:"
	  FAIL, NULL },
	{ H "vpopmail[1]: vchkpw-imap: vpopmail user not found %s@example.com:"
	  FAIL, NULL },
	{ H "bincimap-up[1]: <%s> logged in from " REAL, REAL },
	{ H "bincimap-up[1]: <%s> authentication failed from " FAIL, NULL },
	/* Perdition: both ids are client text, quotes unescaped */
	{ H "perdition[1]: Auth: " REAL ":1234->10.0.0.1:110 client-secure=plaintext "
	  "authorisation_id=NONE authentication_id=\"%s\" server=\"10.0.0.5:110\" "
	  "protocol=POP3 server-secure=plaintext status=\"ok\"", REAL },
	{ H "perdition[1]: Auth: " FAIL ":1234->10.0.0.1:110 client-secure=plaintext "
	  "authorisation_id=NONE authentication_id=\"%s\" server=\"10.0.0.5:110\" "
	  "protocol=POP3 server-secure=plaintext status=\"failed: Re-Authentication "
	  "Failure\"", NULL },
	{ H "perdition.imaps[1]: Auth: " FAIL ":1234->10.0.0.1:993 client-secure=ssl "
	  "authorisation_id=\"%s\" authentication_id=\"b\" server=\"10.0.0.5:143\" "
	  "protocol=IMAP4S server-secure=plaintext status=\"failed: %s\"", NULL },
	{ H "perdition[1]: Auth: " FAIL "->10.0.0.1 user=\"%s\" server=\"mail1\" "
	  "port=\"110\" status=\"failed\"", NULL },
	/* Zimbra: the client's ID (ua=) and the account name */
	{ "2024-05-11 10:23:45,207 INFO  [ImapSSLServer-13] [name=j;ip=10.0.0.5;"
	  "oip=" REAL ";ua=%s;] imap - user j authenticated, mechanism=PLAIN [TLS]",
	  REAL },
	{ "2024-05-11 10:23:45,207 INFO  [Pop3Server-1] [name=%s;ip=" REAL ";] pop - "
	  "user %s authenticated, mechanism=PLAIN", REAL },
	{ "2024-05-11 10:23:45,207 INFO  [ImapSSLServer-13] [name=j;ip=10.0.0.5;"
	  "oip=" FAIL ";ua=%s;] imap - authentication failed for [j] (invalid "
	  "password)", NULL },
	{ H "mailboxlog: 2024-05-11 10:23:45,207 INFO  [ImapServer-1] [name=j;ip="
	  FAIL ";ua=%s;] imap - authentication failed for [j] (invalid password)",
	  NULL },
};
#define N_TEMPLATES (sizeof templates / sizeof templates[0])

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

/* fill - TEMPLATE with every %s replaced by PAD (PADLEN bytes of PADC)
 * followed by PAYLOAD; its length in *LEN; *END where the first payload
 * ends */
static char *fill(const char *template, size_t padlen, char padc,
		  const char *payload, size_t *len, size_t *end)
{
	size_t pl = strlen(payload), n = 0;
	char *out = xmalloc(strlen(template) * 1 + 4 * (padlen + pl) + 1);

	*end = 0;
	for (const char *t = template; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 's') {
			memset(out + n, padc, padlen);
			n += padlen;
			memcpy(out + n, payload, pl);
			n += pl;
			if (*end == 0)
				*end = n;
			t++;
		} else {
			out[n++] = *t;
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
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
	static char *names[] = { "auto" };
	struct config cfg;
	char err[256];
	struct matcher *m;

	memset(&cfg, 0, sizeof cfg);
	cfg.log_formats.v = names;
	cfg.log_formats.n = 1;
	cfg.session_max = 3600;
	m = matcher_new(&cfg, err, sizeof err);
	if (m == NULL)
		fail_msg("matcher_new: %s", err);
	return m;
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
	for (size_t j = 0; j < npayloads; j++)
		free(payloads[j]);
	npayloads = 0;
	matcher_free(run.m);
	assert_int_equal(run.failures, 0);
}

/* two-line formats: the first line carries the server's address; the
 * client's text goes into the login and failure lines */
struct pair {
	const char *open, *login, *fail;
};

static const struct pair pairs[] = {
	{ H "popa3d[7]: Session from " REAL, H "popa3d[7]: Authentication passed "
	  "for %s", H "popa3d[7]: Authentication failed for %s" },
	{ H "vm-pop3d[7]: Connect from " REAL, H "vm-pop3d[7]: User '%s' logged in",
	  H "vm-pop3d[7]: Authentication failed for %s" },
	{ H "spop3d[7]: connect from " REAL, H "spop3d[7]: user %s authenticated",
	  H "spop3d[7]: authentication failed for user %s" },
	{ H "gnu-pop3d[7]: Incoming connection from " REAL, H "gnu-pop3d[7]: User "
	  "'%s' logged in with mailbox '/var/mail/a'", H "gnu-pop3d[7]: User '%s': "
	  "authentication failed" },
};

static void test_two_line_formats(void **state)
{
	struct run run = { auto_matcher(), 1, 0, 0 };
	struct match_result r;
	size_t len, end;

	(void)state;
	make_payloads();
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		for (size_t j = 0; j < npayloads; j++) {
			const char *p = payloads[j];
			char *login = fill(pairs[i].login, 0, ' ', p, &len, &end);
			char *fail = fill(pairs[i].fail, 0, ' ', p, &len, &end);

			/* open, then the login: only the opened address */
			(void)matcher_feed(run.m, run.source, pairs[i].open,
					   strlen(pairs[i].open), T0, &r);
			check(&run, login, strlen(login), REAL);
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
	for (size_t j = 0; j < npayloads; j++)
		free(payloads[j]);
	npayloads = 0;
	matcher_free(run.m);
	assert_int_equal(run.failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line_formats),
		cmocka_unit_test(test_two_line_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
