/*
 * test_dispatch.c - the matcher's per-line dispatch (src/tagset.c,
 * src/litset.c): where a tag may stand, tag lookup (case-sensitive,
 * prefixes, PID-only tags, bracket words, dates, the cheap filters in
 * front of the lookup), literal search against
 * memmem, and through the matcher: foreign tags run no rule, a format's
 * tag runs only its formats' rules, every format matches with and
 * without a syslog header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "formats.h"
#include "litset.h"
#include "match.h"
#include "tagset.h"
#include "util.h"

static void expect_positions(const char *line, size_t n, size_t p1, size_t p2)
{
	size_t pos[TAG_POSITIONS_MAX];
	size_t got = tag_positions(line, strlen(line), pos);

	if (got != n)
		fail_msg("%s: %zu positions, want %zu", line, got, n);
	assert_int_equal(pos[0], 0);
	if (n > 1)
		assert_int_equal(pos[1], p1);
	if (n > 2)
		assert_int_equal(pos[2], p2);
}

static void test_tag_positions(void **state)
{
	(void)state;
	expect_positions("Mar  7 09:01:02 mx dovecot: x", 3, 16, 19);
	expect_positions("Mar 17 09:01:02 mx dovecot: x", 3, 16, 19);
	expect_positions("Mar 7 09:01:02 mx dovecot: x", 3, 15, 18);
	expect_positions("2026-03-07T09:01:02.123456+01:00 mx dovecot: x", 3, 33, 36);
	expect_positions("2026-03-07T09:01:02Z mx dovecot: x", 3, 21, 24);
	expect_positions("2026-03-07T09:01:02+0100 mx dovecot: x", 3, 25, 28);
	expect_positions("2008-11-03 11:03:41 imap-login: Info: x", 2, 20, 0);
	expect_positions("2024-05-11 10:23:45,207 INFO  [x]", 3, 24, 29);
	expect_positions("Nov 23 11:03:39 pop3-login: Info: x", 2, 16, 0);
	expect_positions("Mar  7 09:01:02 mx\tdovecot: x", 2, 16, 0);
	expect_positions("Mar  7 09:01:02 mx", 2, 16, 0);
	expect_positions("Mar  7 09:01:02", 1, 0, 0);
	expect_positions("Mar  7 09:01:0x mx dovecot: x", 1, 0, 0);
	expect_positions("mar  7 09:01:02 mx dovecot: x", 1, 0, 0);
	expect_positions("2026-03-07T09:01:02+01:0 mx dovecot: x", 1, 0, 0);
	expect_positions("dovecot: imap-login: x", 1, 0, 0);
	expect_positions("", 1, 0, 0);
}

static uint64_t line_bits(const struct tagset *s, const char *line)
{
	return tagset_line(s, line, strlen(line));
}

static void test_tag_lookup(void **state)
{
	struct tagset *s = tagset_new();

	(void)state;
	assert_int_equal(tagset_add(s, "dovecot", 7, 1), 0);
	assert_int_equal(tagset_add(s, "imap", 4, 2), 0);
	assert_int_equal(tagset_add(s, "imap", 4, 4), 0);
	assert_int_equal(tagset_add(s, "perdition.*", 11, 8), 0);
	assert_int_equal(tagset_add(s, "pop3d[", 6, 16), 0);
	assert_int_equal(tagset_add(s, "[popper]", 8, 32), 0);
	tagset_add_dated(s, 64);
	assert_int_equal(tagset_add(s, "a b", 3, 1), -1);
	assert_int_equal(tagset_add(s, "a:", 2, 1), -1);
	assert_int_equal(tagset_add(s, "", 0, 1), -1);
	assert_int_equal(tagset_add(s, "x", 1, 0), -1);
	assert_int_equal(tagset_add(s, "abcdefghijklmnopqrstuvwxyz0123456789", 36, 1), -1);

	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx dovecot: x"), 1);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx dovecot[12]: x"), 1);
	assert_int_equal(line_bits(s, "dovecot: x"), 1);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 dovecot: x"), 1);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx Dovecot: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx DOVECOT: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx dovecotx: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx dovecot"), 1);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx postfix/smtpd[1]: dovecot: x"), 0);
	assert_int_equal(line_bits(s, "x dovecot: imap: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx imap(alice)<1><s>: x"), 6);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx perdition.imaps[1]: x"), 8);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx perdition[1]: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx pop3d[1]: x"), 16);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx pop3d: x"), 0);
	assert_int_equal(line_bits(s, "Mar  8 12:53:46 [popper] (v4) x"), 32);
	assert_int_equal(line_bits(s, "Mar  8 12:53:46 [popperx] (v4) x"), 0);
	assert_int_equal(line_bits(s, "2024-05-11 10:23:45,207 INFO x"), 64);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx 2024-05-11 10:23:45,207 x"), 64);
	assert_int_equal(line_bits(s, "2024-05-11T10:23:45Z mx postfix: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx dovecot imap: x"), 1);
	tagset_free(s);
}

/* the cheap filters (first byte, first bytes, word length) never hide
 * a tag: hosts sharing a tag's start, short tags and lines, tags at the
 * very end, control bytes in the host, long words */
static void test_tag_filters(void **state)
{
	struct tagset *s = tagset_new();

	(void)state;
	assert_int_equal(tagset_add(s, "mailboxlog", 10, 1), 0);
	assert_int_equal(tagset_add(s, "ab", 2, 2), 0);
	assert_int_equal(tagset_add(s, "abcdefgh", 8, 4), 0);
	assert_int_equal(tagset_add(s, "abcdefghi[", 10, 8), 0);
	assert_int_equal(tagset_add(s, "q.*", 3, 16), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mail mailboxlog: x"), 1);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mailboxlog mx: x"), 1);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mailstore21 mailboxlo: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mailboxlogs: x"), 0);
	assert_int_equal(line_bits(s, "mailboxlog"), 1);
	assert_int_equal(line_bits(s, "ab"), 2);
	assert_int_equal(line_bits(s, "ab:"), 2);
	assert_int_equal(line_bits(s, "a"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx ab"), 2);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx abcdefgh"), 4);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx abcdefgh(x)"), 4);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx abcdefghi[1]: x"), 8);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx abcdefghi: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx abcdefghijklmnopqrstuvwxyz0123456789: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 m\001x ab: x"), 2);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 m\001x\001longer.host ab: x"), 2);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx\vab: x"), 0);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx q.x"), 16);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx q."), 16);
	assert_int_equal(line_bits(s, "Mar  7 09:01:02 mx q"), 0);
	assert_int_equal(line_bits(s, "Mar 17 09:01:02 mx ab: x"), 2);
	assert_int_equal(line_bits(s, "Mar 7 09:01:02 mx ab: x"), 2);
	assert_int_equal(line_bits(s, "2026-03-07T09:01:02Z mx ab: x"), 2);
	assert_int_equal(line_bits(s, "2026-03-07 09:01:02 ab: x"), 2);
	assert_int_equal(line_bits(s, "2026-03-07T09:01:0x mx ab: x"), 0);
	assert_int_equal(line_bits(s, "2026-03-07T09:01:02"), 0);
	tagset_free(s);
}

/* litset_find must answer exactly what memmem answers */
static void test_literal_search(void **state)
{
	static const char alphabet[] = "ab<>:= ]\0";
	unsigned long long x = 88172645463325252ULL;
	char hay[64], needle[8];

	(void)state;
	for (int round = 0; round < 200000; round++) {
		size_t hl, nl;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hl = x % sizeof(hay);
		nl = 1 + (x >> 8) % (sizeof(needle) - 1);
		for (size_t i = 0; i < hl; i++)
			hay[i] = alphabet[(x >> (i % 50)) % (sizeof(alphabet) - 1)] ^
				 (char)((i * 7 + (size_t)round) % 3 == 0);
		for (size_t i = 0; i < nl; i++)
			needle[i] = hay[hl ? (x >> 20) % hl : 0] ^ (char)(i & 1);
		if (round % 3 == 0 && hl >= nl)	/* a needle the haystack holds */
			memcpy(needle, hay + (x >> 30) % (hl - nl + 1), nl);
		assert_int_equal(litset_find(hay, hl, needle, nl),
				 memmem(hay, hl, needle, nl) != NULL);
	}
}

static void test_literal_set(void **state)
{
	struct litset *s = litset_new();
	const char *line = "Mar  7 mx imapd[1]: Login failed user=a host=b [192.0.2.1]";
	size_t len = strlen(line);
	int host = litset_add(s, " host=");
	int login = litset_add(s, "LOGIN, user=");
	int user = litset_add(s, ", user=");
	int failed = litset_add(s, "Login failed user=");

	(void)state;
	assert_int_equal(litset_add(s, " host="), host);	/* once */
	litset_next_line(s);
	assert_true(litset_has(s, host, line, len));
	assert_false(litset_has(s, login, line, len));
	assert_false(litset_has(s, user, line, len));
	assert_true(litset_has(s, failed, line, len));
	litset_next_line(s);	/* a new line: nothing remembered */
	assert_false(litset_has(s, host, "x", 1));
	assert_true(litset_has(s, user, "LOGIN, user=x", 13));
	assert_true(litset_has(s, login, "LOGIN, user=x", 13));
	litset_free(s);
}

/* "a|b": the line holds one of the alternatives; each alternative is
 * also an ordinary literal of the set, shared with equal ones */
static void test_literal_alternatives(void **state)
{
	struct litset *s = litset_new();
	int either = litset_add(s, "Login user=|Auth user=|APOP user=");
	int auth = litset_add(s, "Auth user=");
	int killed = litset_add(s, "ogout user=|Killed|, while ");
	const char *lines[] = {
		"mx imapd[1]: Login user=a host=b [192.0.2.1]",
		"mx imapd[1]: Auth user=a host=b [192.0.2.1]",
		"mx imapd[1]: APOP user=a host=b [192.0.2.1]",
		"mx imapd[1]: Login failed user=a host=b [192.0.2.1]",
		"mx imapd[1]: Autologout user=a host=b [192.0.2.1]",
		"mx imapd[1]: Killed (lost mailbox lock) user=a host=b [192.0.2.1]",
		"mx imapd[1]: Unexpected client disconnect, while reading line user=a",
		"mx imapd[1]: Login|Auth user=|APOP",
	};
	const int want_either[] = { 1, 1, 1, 0, 0, 0, 0, 1 };
	const int want_killed[] = { 0, 0, 0, 0, 1, 1, 1, 0 };

	(void)state;
	assert_int_equal(litset_add(s, "Auth user="), auth);	/* shared */
	assert_int_equal(litset_add(s, "Login user=|Auth user=|APOP user="), either);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		size_t len = strlen(lines[i]);

		litset_next_line(s);
		assert_int_equal(litset_has(s, either, lines[i], len), want_either[i]);
		assert_int_equal(litset_has(s, killed, lines[i], len), want_killed[i]);
		assert_int_equal(litset_find_any(lines[i], len, "ogout user=|Killed|, while "),
				 want_killed[i]);
		assert_int_equal(litset_has(s, auth, lines[i], len),
				 strstr(lines[i], "Auth user=") != NULL);
	}
	litset_free(s);
}

static struct matcher *auto_matcher(struct pattern_spec *p, size_t np)
{
	static char *names[] = { "auto" };
	struct config cfg;
	char err[CONFIG_ERR_MAX];
	struct matcher *m;

	memset(&cfg, 0, sizeof(cfg));
	cfg.file = "test.conf";
	cfg.log_formats.v = names;
	cfg.log_formats.n = 1;
	cfg.patterns.v = p;
	cfg.patterns.n = np;
	m = matcher_new(&cfg, err, sizeof(err));
	if (m == NULL)
		fail_msg("matcher_new: %s", err);
	return m;
}

/* the message after "STAMP HOST " of one login line per format */
static const struct { const char *format, *body, *ip; } logins[] = {
	{ "dovecot", "dovecot: imap-login: Login: user=<alice>, method=PLAIN, "
	  "rip=192.0.2.1, lip=192.0.2.254", "192.0.2.1" },
	{ "dovecot", "dovecot[7]: pop3-login: Login: user=<al>, method=PLAIN, "
	  "rip=192.0.2.2, lip=192.0.2.254", "192.0.2.2" },
	{ "courier", "imapd-ssl: LOGIN, user=carol, ip=[::ffff:192.0.2.3], port=[1], "
	  "protocol=IMAP", "192.0.2.3" },
	{ "courier", "courierpop3login: LOGIN, user=c, ip=[192.0.2.31]", "192.0.2.31" },
	{ "cyrus", "cyrus/pop3[2]: login: h.example [192.0.2.4] dave plaintext User "
	  "logged in", "192.0.2.4" },
	{ "uw", "ipop3d[3]: Login user=erin host=h [192.0.2.5] nmsgs=1/1", "192.0.2.5" },
	{ "qpopper", "qpopper[4]: (v4.1.0) POP login by user \"frank\" at (h) "
	  "192.0.2.6", "192.0.2.6" },
	{ "popa3d", "popa3d[5]: Authentication passed for gina -- [192.0.2.7]",
	  "192.0.2.7" },
	{ "vm-pop3d", "vm-pop3d[800]: User alice logged in from 192.0.2.120",
	  "192.0.2.120" },
	{ "spop3d", "spop3d[900]: user alice authenticated - 192.0.2.140",
	  "192.0.2.140" },
	{ "gnu-pop3d", "gnu-pop3d[8]: User ivy logged in with mailbox /var/mail/ivy "
	  "from 192.0.2.9", "192.0.2.9" },
	{ "tpop3d", "tpop3d[6]: fork_child: [7]192.0.2.8/192.0.2.1: began session "
	  "for `hank' with passwd; child PID is 7", "192.0.2.8" },
	{ "cucipop", "cucipop[1100]: alice 192.0.2.180 1, 1234 (0), 0 (0)",
	  "192.0.2.180" },
	{ "teapop", "teapop[1201]: Successful login for bob [192.0.2.201]",
	  "192.0.2.201" },
	{ "vchkpw", "vpopmail[1300]: vchkpw-pop3: (PLAIN) login success "
	  "alice@example.com:192.0.2.220", "192.0.2.220" },
	{ "perdition", "perdition.imaps[1400]: Auth: 192.0.2.240->10.0.0.1 "
	  "user=\"alice\" server=\"mail1\" port=\"143\" status=\"ok\"", "192.0.2.240" },
	{ "binc", "bincimap-up[1500]: <alice> logged in from 192.0.2.250",
	  "192.0.2.250" },
	{ "zimbra", "mailboxlog: 2024-05-11 10:23:45,207 INFO  [ImapSSLServer-13] "
	  "[name=j@example.com;ip=10.0.0.5;oip=192.0.2.10;ua=T;] imap - user "
	  "j@example.com authenticated, mechanism=LOGIN [TLS]", "192.0.2.10" },
	{ "zimbra", "2024-05-11 10:23:45,207 INFO  [Pop3Server-1] [name=k;ip=192.0.2.11;] "
	  "pop - user k authenticated, mechanism=PLAIN", "192.0.2.11" },
};

/* the header-less lines of formats that write no host */
static const struct { const char *format, *line, *ip; } hostless[] = {
	{ "dovecot-logpath", "Nov 23 11:03:39 pop3-login: Info: Login: user=<b>, "
	  "method=PLAIN, rip=192.0.2.12, lip=::1", "192.0.2.12" },
	{ "dovecot-logpath", "2008-11-03 11:03:41 imap-login: Info: Login: user=<b>, "
	  "method=PLAIN, rip=192.0.2.13, lip=::1", "192.0.2.13" },
	{ "dovecot-logpath", "dovecot: 2008-11-03 11:03:41 Info: imap-login: Login: "
	  "user=<b>, method=PLAIN, rip=192.0.2.14, lip=::1", "192.0.2.14" },
	{ "qpopper", "Mar  8 12:53:46 [popper] (v4.1.0) POP login by user \"f\" at (h) "
	  "192.0.2.15", "192.0.2.15" },
};

static void expect_login(struct matcher *m, const char *line, const char *format,
			 const char *ip)
{
	struct match_result r;
	char text[ADDR_TEXT_MAX];

	if (!matcher_match(m, line, strlen(line), &r))
		fail_msg("no match: %s", line);
	addr_format(&r.addr, text, sizeof(text));
	assert_string_equal(text, ip);
	assert_string_equal(r.format, format);
	assert_int_equal(r.kind, MATCH_LOGIN);
}

static void test_every_header_form(void **state)
{
	static const char *heads[] = {
		"Mar  7 09:01:02 mx ", "Mar 7 09:01:02 mail.example.org ",
		"2026-03-07T09:01:02.123456+01:00 mx ", "2026-03-07T09:01:02Z h ",
		"Mar  7 09:01:02 2001:db8::1 ",
	};
	struct match_result r;
	struct matcher *m = auto_matcher(NULL, 0);
	char line[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++)
		for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
			snprintf(line, sizeof(line), "%s%s", heads[h], logins[i].body);
			if (strncmp(logins[i].body, "2024-", 5) != 0)
				expect_login(m, line, logins[i].format, logins[i].ip);
		}
	/* a syslog format's line without the syslog header matches nothing
	 * (Zimbra's mailbox.log, a file only Zimbra writes, has none) */
	for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++)
		if (strncmp(logins[i].body, "2024-", 5) == 0)
			expect_login(m, logins[i].body, logins[i].format, logins[i].ip);
		else if (matcher_match(m, logins[i].body, strlen(logins[i].body), &r))
			fail_msg("matched without a header: %s", logins[i].body);
	for (size_t i = 0; i < sizeof(hostless) / sizeof(hostless[0]); i++)
		expect_login(m, hostless[i].line, hostless[i].format, hostless[i].ip);
	matcher_free(m);
}

/* lines that must authorize nothing and try no regex at all */
static void test_foreign_tags_run_nothing(void **state)
{
	static const char *noise[] = {
		"Mar  7 09:01:02 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x"
		"[192.0.2.66]: dovecot: imap-login: Login: user=<a>, method=PLAIN, "
		"rip=192.0.2.9, lip=192.0.2.1",
		"postfix/smtpd[1]: imap-login: Login: user=<a>, method=PLAIN, "
		"rip=192.0.2.9, lip=192.0.2.1",
		"2026-03-07T09:01:02Z mx sshd[7]: pop3d: LOGIN, user=x, ip=[192.0.2.9]",
		"Mar  7 09:01:02 mx amavis[1]: (x) popa3d[5]: Authentication passed "
		"for gina -- [192.0.2.7]",
		"Mar  7 09:01:02 mx DOVECOT: IMAP-LOGIN: Login: user=<a>, method=PLAIN, "
		"rip=192.0.2.9, lip=192.0.2.1",
		"Mar  7 09:01:02 mx Popa3d[5]: Authentication passed for g -- [192.0.2.7]",
		"Mar  7 09:01:02 mx Imapd-SSL: LOGIN, user=c, ip=[192.0.2.3]",
		"Mar  7 09:01:02 mx pop3d: User ivy logged in with mailbox /m from 192.0.2.9",
		"Mar  7 09:01:02 mx x 2024-05-11 10:23:45,207 INFO  [Pop3Server-1] "
		"[name=k;ip=192.0.2.11;] pop - user k authenticated, mechanism=PLAIN",
	};
	struct matcher *m = auto_matcher(NULL, 0);
	struct match_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++) {
		unsigned long long before = matcher_rules_run(m);
		if (matcher_match(m, noise[i], strlen(noise[i]), &r))
			fail_msg("authorized: %s", noise[i]);
		if (matcher_rules_run(m) != before)
			fail_msg("%llu regexes tried on: %s",
				 matcher_rules_run(m) - before, noise[i]);
	}
	matcher_free(m);
}

/* rules_for - the rules of the formats that declare TAG (as "TAG" or,
 * the lines here having a PID, "TAG[") */
static unsigned long long rules_for(const char *tag)
{
	unsigned long long n = 0;
	size_t tl = strlen(tag);

	for (size_t f = 0; f < format_count; f++) {
		const char *t = format_table[f].tags;
		int has = 0;
		while (*t != '\0') {
			size_t w = strcspn(t, " ");
			has |= (w == tl || (w == tl + 1 && t[tl] == '[')) &&
			       memcmp(t, tag, tl) == 0;
			t += w + (t[w] == ' ');
		}
		for (size_t i = 0; has && i < FORMAT_RULES_MAX &&
		     format_table[f].rules[i].re != NULL; i++)
			n++;
	}
	return n;
}

/* a line with a format's tag and every literal of every rule, but no
 * login: only the rules of the formats with that tag may run */
static void test_tag_runs_own_rules(void **state)
{
	static const char *tags[] = {
		"dovecot", "imapd", "pop3d", "popa3d", "tpop3d", "cyrus/imap",
		"mailboxlog", "vm-pop3d", "spop3d", "bincimapd",
	};
	struct matcher *m = auto_matcher(NULL, 0);
	struct match_result r;
	char line[4096];

	(void)state;
	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		size_t n = (size_t)snprintf(line, sizeof(line),
					    "Mar  7 09:01:02 mx %s[1]: nothing", tags[t]);
		for (size_t f = 0; f < format_count; f++)
			for (size_t i = 0; i < FORMAT_RULES_MAX &&
			     format_table[f].rules[i].re != NULL; i++)
				if (format_table[f].rules[i].prefilter != NULL)
					n += (size_t)snprintf(line + n, sizeof(line) - n, " %s",
							      format_table[f].rules[i].prefilter);
		unsigned long long before = matcher_rules_run(m), ran;
		assert_int_equal(matcher_match(m, line, n, &r), 0);
		ran = matcher_rules_run(m) - before;
		printf("tag %-12s %llu of at most %llu rules tried\n", tags[t], ran,
		       rules_for(tags[t]));
		assert_true(ran > 0);
		assert_true(ran <= rules_for(tags[t]));
	}
	matcher_free(m);
}

/* custom patterns still see every line, whatever its tag */
static void test_custom_every_line(void **state)
{
	struct pattern_spec p = { "legacy: accepted (?<ip>\\S+)$", 3 };
	struct matcher *m = auto_matcher(&p, 1);
	const char *line = "Mar  7 09:01:02 mx postfix/x[1]: legacy: accepted 192.0.2.77";

	(void)state;
	expect_login(m, line, "custom", "192.0.2.77");
	matcher_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_positions),
		cmocka_unit_test(test_tag_lookup),
		cmocka_unit_test(test_tag_filters),
		cmocka_unit_test(test_literal_search),
		cmocka_unit_test(test_literal_set),
		cmocka_unit_test(test_literal_alternatives),
		cmocka_unit_test(test_every_header_form),
		cmocka_unit_test(test_foreign_tags_run_nothing),
		cmocka_unit_test(test_tag_runs_own_rules),
		cmocka_unit_test(test_custom_every_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
