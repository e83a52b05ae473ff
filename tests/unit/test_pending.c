/*
 * test_pending.c - the bounded table behind two-line logins
 * (src/match/pending.c), and the matcher's use of it: PID reuse, TTL by
 * the time passed in, a flood that must not grow memory; MATCH_LOGOUT
 * with the session key of Dovecot session ids, the session alias of
 * logouts that name only the user, ip-bearing logouts, the session flag
 * (the session table itself is the sink's: test_sink); first lines that
 * clear, failures that discard, ambiguous lines.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"

#include "match.h"
#include "pending.h"
#include "util.h"

#define T0 1795000000

static struct addr addr_of(const char *text)
{
	struct addr a;

	assert_int_equal(addr_parse(text, strlen(text), &a), 0);
	return a;
}

static void assert_addr(const struct addr *a, const char *text)
{
	char buf[ADDR_TEXT_MAX];

	addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

static void test_put_take(void **state)
{
	struct pending_table *t = pending_new(8, 120);
	struct addr a = addr_of("192.0.2.1"), b = addr_of("192.0.2.2"), out;
	char long_key[PENDING_KEY_MAX + 1];

	(void)state;
	assert_int_equal(pending_put(t, "k1", 2, &a, T0), 0);
	assert_int_equal(pending_put(t, "k1", 2, &b, T0 + 1), 0);	/* reuse */
	assert_int_equal(pending_count(t), 1);
	assert_int_equal(pending_take(t, "k1", 2, T0 + 2, &out), 1);
	assert_addr(&out, "192.0.2.2");
	assert_int_equal(pending_take(t, "k1", 2, T0 + 2, &out), 0);	/* gone */
	assert_int_equal(pending_take(t, "k", 1, T0 + 2, &out), 0);
	memset(long_key, 'x', sizeof(long_key));
	assert_int_equal(pending_put(t, long_key, sizeof(long_key), &a, T0), -1);
	assert_int_equal(pending_take(t, long_key, sizeof(long_key), T0, &out), 0);
	assert_int_equal(pending_count(t), 0);
	pending_free(t);
}

static void test_ttl(void **state)
{
	struct pending_table *t = pending_new(8, 120);
	struct addr a = addr_of("192.0.2.1"), out;

	(void)state;
	pending_put(t, "a", 1, &a, T0);
	pending_put(t, "b", 1, &a, T0);
	assert_int_equal(pending_take(t, "a", 1, T0 + 119, &out), 1);
	assert_int_equal(pending_take(t, "b", 1, T0 + 120, &out), 0);	/* expired */
	pending_put(t, "c", 1, &a, T0);
	assert_int_equal(pending_take(t, "c", 1, T0 - 50, &out), 1);	/* clock back */
	pending_put(t, "d", 1, &a, T0);
	pending_put(t, "e", 1, &a, T0 + 500);	/* sweeps d */
	assert_int_equal(pending_count(t), 1);
	pending_free(t);
}

static void test_cap_evicts_oldest(void **state)
{
	struct pending_table *t = pending_new(4, 0);
	struct addr a = addr_of("192.0.2.1"), out;
	char key[16];

	(void)state;
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "%d", i);
		pending_put(t, key, (size_t)n, &a, T0 + i);
		assert_true(pending_count(t) <= 4);
	}
	assert_int_equal(pending_evicted(t), 100000 - 4);
	assert_int_equal(pending_take(t, "99995", 5, T0, &out), 0);
	assert_int_equal(pending_take(t, "99996", 5, T0, &out), 1);
	assert_int_equal(pending_take(t, "99999", 5, T0, &out), 1);
	pending_free(t);
}

static struct matcher *matcher_auto(void)
{
	static char *names[] = { "auto" };
	struct config cfg;
	char err[256];
	struct matcher *m;

	memset(&cfg, 0, sizeof(cfg));
	cfg.log_formats.v = names;
	cfg.log_formats.n = 1;
	cfg.session_max = 3600;
	m = matcher_new(&cfg, err, sizeof(err));
	if (m == NULL)
		fail_msg("matcher_new: %s", err);
	return m;
}

static int feed(struct matcher *m, unsigned source, const char *line, time_t now,
		struct match_result *r)
{
	memset(r, 0, sizeof(*r));
	return matcher_feed(m, source, line, strlen(line), now, r);
}

/* a flood of first lines never grows past the cap; a later login of an
 * evicted PID authorizes nothing, one of a recent PID still works */
static void test_flood(void **state)
{
	struct matcher *m = matcher_auto();
	struct match_result r;
	char line[128];
	long long start = clock_mono_ms();

	(void)state;
	for (int pid = 1; pid <= 50000; pid++) {
		snprintf(line, sizeof(line), "Mar  9 14:00:00 mx popa3d[%d]: "
			 "Session from 198.51.100.%d", pid, pid % 250 + 1);
		assert_int_equal(feed(m, 1, line, T0, &r), 0);
		assert_true(matcher_pending(m) <= MATCH_PENDING_MAX);
	}
	printf("50000 first lines in %lld ms, %zu pending\n",
	       clock_mono_ms() - start, matcher_pending(m));
	assert_int_equal(matcher_pending(m), MATCH_PENDING_MAX);
	assert_int_equal(feed(m, 1, "Mar  9 14:00:01 mx popa3d[1]: Authentication "
			      "passed for a", T0 + 1, &r), 0);
	assert_int_equal(feed(m, 1, "Mar  9 14:00:01 mx popa3d[50000]: Authentication "
			      "passed for a", T0 + 1, &r), 1);
	assert_int_equal(r.kind, MATCH_LOGIN);
	assert_addr(&r.addr, "198.51.100.1");
	assert_int_equal(r.session, 0);
	matcher_free(m);
}

/* the TTL counts from the first line, by the time passed in */
static void test_two_line_ttl_and_source(void **state)
{
	struct matcher *m = matcher_auto();
	struct match_result r;
	const char *open = "Mar 10 09:00:00 mx vm-pop3d[7]: Connect from 192.0.2.7";
	const char *login = "Mar 10 09:00:00 mx vm-pop3d[7]: User 'a' logged in";

	(void)state;
	feed(m, 3, open, T0, &r);
	assert_int_equal(feed(m, 4, login, T0 + 1, &r), 0);	/* other file */
	assert_int_equal(feed(m, 3, login, T0 + MATCH_PENDING_TTL, &r), 0);
	feed(m, 3, open, T0, &r);
	assert_int_equal(feed(m, 3, login, T0 + MATCH_PENDING_TTL - 1, &r), 1);
	assert_addr(&r.addr, "192.0.2.7");
	assert_string_equal(r.user, "a");
	assert_string_equal(r.format, "vm-pop3d");
	assert_string_equal(r.service, "pop3");
	assert_int_equal(feed(m, 3, login, T0 + 2, &r), 0);	/* used up */
	matcher_free(m);
}

static const char dovecot_login[] = "Nov 23 11:04:39 vm dovecot: imap-login: Login: "
	"user=<bob>, method=PLAIN, rip=192.0.2.24, lip=127.0.0.1, mpid=22749, TLS, "
	"session=<QHRmj+9gW5t/AAAY>";
static const char dovecot_logout[] = "Nov 23 11:05:39 vm dovecot: imap(bob)<22749>"
	"<QHRmj+9gW5t/AAAY>: Disconnected: Logged out in=26 out=801";

/* assert_key - R carries session key KEY */
static void assert_key(const struct match_result *r, const char *key)
{
	assert_int_equal(r->session_key_len, strlen(key));
	assert_memory_equal(r->session_key, key, strlen(key));
}

/* assert_alias - R carries session alias ALIAS (N bytes) */
static void assert_alias(const struct match_result *r, const char *alias,
			 size_t n)
{
	assert_int_equal(r->session_alias_len, n);
	assert_memory_equal(r->session_alias, alias, n);
}

static void test_dovecot_session_ids(void **state)
{
	struct matcher *m = matcher_auto();
	struct match_result r;
	const char *logpath_login = "Nov 23 11:03:40 imap-login: Info: Login: user=<b>, "
		"method=PLAIN, rip=2001:db8::24, lip=::1, mpid=20135, session=<TWnei+9gu7t/AAAY>";
	const char *logpath_logout = "Nov 23 11:03:40 imap(b)<20135><TWnei+9gu7t/AAAY>: "
		"Info: Disconnected: Connection closed (SELECT finished 0.000 secs ago)";
	const char *no_session = "Nov 23 11:04:39 vm dovecot: imap-login: Login: "
		"user=<c>, method=PLAIN, rip=192.0.2.25, lip=127.0.0.1";
	const char *prelogin = "Nov 23 11:04:49 vm dovecot: pop3-login: Disconnected: "
		"Aborted login by logging out (no auth attempts in 0 secs): user=<>, "
		"rip=192.0.2.24, lip=127.0.0.1, session=<QHRmj+9gW5t/AAAY>";
	const char *wrong_pid = "Nov 23 11:05:39 vm dovecot: imap(bob)<1>"
		"<QHRmj+9gW5t/AAAY>: Disconnected: Logged out in=26 out=801";

	(void)state;
	assert_int_equal(feed(m, 1, dovecot_login, T0, &r), 1);
	assert_int_equal(r.kind, MATCH_LOGIN);
	assert_int_equal(r.has_addr, 1);
	assert_int_equal(r.session, 1);
	assert_key(&r, "sid:QHRmj+9gW5t/AAAY");
	assert_int_equal(feed(m, 1, prelogin, T0, &r), 0);
	/* a logout names its session by id alone: from another file, with
	 * another pid, an hour later: the sink (which keeps the table in
	 * the database) decides whether it closes anything */
	assert_int_equal(feed(m, 2, wrong_pid, T0 + 3600, &r), 1);
	assert_int_equal(r.kind, MATCH_LOGOUT);
	assert_int_equal(r.has_addr, 0);
	assert_key(&r, "sid:QHRmj+9gW5t/AAAY");
	assert_int_equal(feed(m, 1, dovecot_logout, T0 + 60, &r), 1);
	assert_int_equal(r.kind, MATCH_LOGOUT);
	assert_int_equal(r.has_addr, 0);
	assert_key(&r, "sid:QHRmj+9gW5t/AAAY");
	assert_string_equal(r.user, "bob");
	assert_string_equal(r.service, "imap");
	assert_int_equal(feed(m, 1, logpath_login, T0, &r), 1);
	assert_int_equal(r.session, 1);
	assert_key(&r, "sid:TWnei+9gu7t/AAAY");
	assert_int_equal(feed(m, 1, logpath_logout, T0, &r), 1);
	assert_int_equal(r.kind, MATCH_LOGOUT);
	assert_key(&r, "sid:TWnei+9gu7t/AAAY");
	assert_int_equal(feed(m, 1, no_session, T0, &r), 1);
	assert_int_equal(r.session, 0);	/* no logout can be tied to it */
	assert_int_equal(r.session_key_len, 0);
	matcher_free(m);
}

struct expect {
	const char *line;
	int hit;
	enum match_kind kind;
	const char *ip;
	int session;
};

/* logout lines carry their address (Courier, UW): MATCH_LOGOUT only */
static void test_ip_logouts(void **state)
{
	static const struct expect cases[] = {
		{ "Nov 23 11:06:24 vm pop3d: LOGIN, user=alice, ip=[::ffff:192.0.2.23], "
		  "port=[40135]", 1, MATCH_LOGIN, "192.0.2.23", 1 },
		{ "Nov 23 11:06:24 vm pop3d: LOGOUT, user=alice, ip=[::ffff:192.0.2.23], "
		  "port=[40135], top=0, retr=0, rcvd=12, sent=39, time=0", 1,
		  MATCH_LOGOUT, "192.0.2.23", 0 },
		{ "Nov 23 11:06:25 vm imapd: DISCONNECTED, user=alice, "
		  "ip=[::ffff:192.0.2.27], port=[43045], headers=0, body=0, rcvd=17, "
		  "sent=266, time=0", 1, MATCH_LOGOUT, "192.0.2.27", 0 },
		{ "Jul  5 00:30:34 vk pop3d: Disconnected, ip=[::ffff:192.0.2.28]", 0,
		  MATCH_LOGIN, NULL, 0 },
		{ "Mar  7 12:00:00 mx ipop3d[3]: Login user=erin host=h [192.0.2.5] "
		  "nmsgs=1/1", 1, MATCH_LOGIN, "192.0.2.5", 1 },
		{ "Mar  7 12:00:03 mx imapd[3]: Logout user=erin host=[192.0.2.5]", 1,
		  MATCH_LOGOUT, "192.0.2.5", 0 },
		{ "Mar  7 12:00:03 mx imapd[3]: Autologout user=erin host=h [192.0.2.5]",
		  1, MATCH_LOGOUT, "192.0.2.5", 0 },
		{ "Mar  7 12:00:03 mx imapd[3]: Command stream end of file, while "
		  "reading line user=erin host=h [192.0.2.5]", 1, MATCH_LOGOUT,
		  "192.0.2.5", 0 },
		{ "Mar  9 14:00:00 mx popa3d[5]: Authentication passed for a -- "
		  "[192.0.2.8]", 1, MATCH_LOGIN, "192.0.2.8", 0 },
		/* Courier: idle timeout, and the wording of courier-imap's
		 * pop3d since 2022 ("disc"); imapd and pop3d counters */
		{ "Nov 23 11:06:24 vm imapd-ssl: TIMEOUT, user=alice, "
		  "ip=[::ffff:192.0.2.29], port=[40135], headers=0, body=0, "
		  "rcvd=12, sent=39, time=1800, starttls=1", 1, MATCH_LOGOUT,
		  "192.0.2.29", 0 },
		{ "Nov 23 11:06:24 vm pop3d: disc, user=alice, ip=[::ffff:192.0.2.30], "
		  "port=[40135], top=0, retr=0, rcvd=12, sent=39, time=0", 1,
		  MATCH_LOGOUT, "192.0.2.30", 0 },
		{ "Nov 23 11:06:24 vm pop3d: TIMEOUT, user=alice, ip=[::ffff:192.0.2.31], "
		  "port=[40135], top=0, retr=0, rcvd=12, sent=39, time=600, stls=1", 1,
		  MATCH_LOGOUT, "192.0.2.31", 0 },
		/* UW: ioerror() and the other sayonara() reasons */
		{ "Mar  7 12:00:03 mx imapd[3]: Unexpected client disconnect, while "
		  "reading line user=erin host=h [192.0.2.32]", 1, MATCH_LOGOUT,
		  "192.0.2.32", 0 },
		{ "Mar  7 12:00:03 mx imapd[3]: Connection reset by peer, while "
		  "reading line user=erin host=[192.0.2.33]", 1, MATCH_LOGOUT,
		  "192.0.2.33", 0 },
		{ "Mar  7 12:00:03 mx imapd[3]: Killed (lost mailbox lock) user=erin "
		  "host=[192.0.2.34]", 1, MATCH_LOGOUT, "192.0.2.34", 0 },
		{ "Mar  7 12:00:03 mx ipop3d[3]: Hangup user=erin host=[192.0.2.35]",
		  1, MATCH_LOGOUT, "192.0.2.35", 0 },
		{ "Mar  7 12:00:03 mx imapd[3]: Authenticated user=erin "
		  "host=h [192.0.2.36] mech=PLAIN", 1, MATCH_LOGIN, "192.0.2.36", 1 },
	};
	struct matcher *m = matcher_auto();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct match_result r;
		int hit = feed(m, 1, cases[i].line, T0, &r);

		if (hit != cases[i].hit)
			fail_msg("case %zu: hit %d: %s", i, hit, cases[i].line);
		if (!hit)
			continue;
		assert_int_equal(r.kind, cases[i].kind);
		assert_addr(&r.addr, cases[i].ip);
		assert_int_equal(r.session, cases[i].session);
	}
	matcher_free(m);
}

/* logouts that name only the service and user (Dovecot 2.2 and older,
 * syslog and log_path): the user's oldest open session closes */
static void test_user_logouts(void **state)
{
	struct matcher *m = matcher_auto();
	struct match_result r;
	const char *login1 = "Nov 23 11:04:39 vm dovecot: imap-login: Login: "
		"user=<alice>, method=PLAIN, rip=192.0.2.41, lip=192.0.2.1, mpid=11, "
		"TLS, session=<S1>";
	const char *login2 = "Nov 23 11:04:40 vm dovecot: imap-login: Login: "
		"user=<alice>, method=PLAIN, rip=192.0.2.42, lip=192.0.2.1, mpid=12, "
		"TLS, session=<S2>";
	const char *bye22 = "Nov 23 11:05:39 vm dovecot: imap(alice): "
		"Disconnected: Logged out in=26 out=801";
	const char *bye23 = "Nov 23 11:05:39 vm dovecot: imap(alice)<11><S1>: "
		"Disconnected: Logged out in=26 out=801";
	const char *pop22 = "Nov 23 11:05:39 vm dovecot: pop3(alice): "
		"Disconnected: Logged out top=0/0, retr=0/0, del=0/1, size=162";
	const char *other_host = "Nov 23 11:05:39 vx dovecot: imap(alice): "
		"Disconnected: Logged out in=26 out=801";
	const char *lp_login = "Nov 23 11:03:40 imap-login: Info: Login: user=<b>, "
		"method=PLAIN, rip=192.0.2.43, lip=::1, mpid=20, session=<S3>";
	const char *lp_bye = "Nov 23 11:03:41 imap(b): Info: Disconnected: "
		"Disconnected for inactivity";
	const char *lp_nostamp = "imap(b): Info: Connection closed (IDLE running "
		"for 0.001 + waiting input for 29.004 secs)";

	(void)state;
	assert_int_equal(feed(m, 1, login1, T0, &r), 1);
	assert_int_equal(r.session, 1);
	assert_key(&r, "sid:S1");
	assert_alias(&r, "usr:vm\0imap\0alice", 17);
	assert_int_equal(feed(m, 1, login2, T0 + 1, &r), 1);
	assert_alias(&r, "usr:vm\0imap\0alice", 17);
	/* a 2.2 logout names the user's session by the same alias, from any
	 * file; the sink closes that alias's oldest session */
	assert_int_equal(feed(m, 2, bye22, T0 + 2, &r), 1);
	assert_int_equal(r.kind, MATCH_LOGOUT);
	assert_int_equal(r.has_addr, 0);
	assert_int_equal(r.session_key_len, 0);
	assert_alias(&r, "usr:vm\0imap\0alice", 17);
	assert_string_equal(r.user, "alice");
	assert_int_equal(feed(m, 1, pop22, T0 + 2, &r), 1);	/* other service */
	assert_alias(&r, "usr:vm\0pop3\0alice", 17);
	assert_int_equal(feed(m, 1, other_host, T0 + 2, &r), 1);
	assert_alias(&r, "usr:vx\0imap\0alice", 17);
	/* a 2.3 logout names its session by id (the sink drops its alias) */
	assert_int_equal(feed(m, 1, bye23, T0 + 3, &r), 1);
	assert_key(&r, "sid:S1");
	assert_int_equal(r.session_alias_len, 0);
	/* header-less log_path lines, with and without log_timestamp: no
	 * host */
	assert_int_equal(feed(m, 1, lp_login, T0, &r), 1);
	assert_int_equal(r.session, 1);
	assert_alias(&r, "usr:\0imap\0b", 11);
	assert_int_equal(feed(m, 1, lp_bye, T0 + 1, &r), 1);
	assert_int_equal(r.kind, MATCH_LOGOUT);
	assert_alias(&r, "usr:\0imap\0b", 11);
	assert_int_equal(feed(m, 1, lp_nostamp, T0 + 1, &r), 1);
	assert_alias(&r, "usr:\0imap\0b", 11);
	matcher_free(m);
}

/* the first line of a pair clears its PID's entry even when it carries
 * no address (tcp_wrappers logs a host name when the client has a PTR);
 * every two-line format's failure and exit lines discard; the login line
 * after either is not taken for a one-line login */
static void test_first_line_clears(void **state)
{
	static const struct { const char *open, *clear, *login; } pairs[] = {
		{ "Mar 11 10:00:00 mx spop3d[900]: connect from 192.0.2.50",
		  "Mar 11 10:00:05 mx spop3d[900]: connect from client.example.org",
		  "Mar 11 10:00:06 mx spop3d[900]: user alice authenticated" },
		{ "Mar 11 10:00:00 mx spop3d[900]: connect from 192.0.2.50",
		  "Mar 11 10:00:05 mx spop3d[900]: authentication failed for alice",
		  "Mar 11 10:00:06 mx spop3d[900]: user alice authenticated" },
		{ "Mar 11 10:00:00 mx popa3d[901]: Session from 192.0.2.51",
		  "Mar 11 10:00:05 mx popa3d[901]: Session from unknown",
		  "Mar 11 10:00:06 mx popa3d[901]: Authentication passed for alice" },
		{ "Mar 11 10:00:00 mx popa3d[901]: Session from 192.0.2.51",
		  "Mar 11 10:00:05 mx popa3d[901]: Authentication failed for alice",
		  "Mar 11 10:00:06 mx popa3d[901]: Authentication passed for alice" },
		{ "Mar 11 10:00:00 mx vm-pop3d[902]: Connect from 192.0.2.52",
		  "Mar 11 10:00:05 mx vm-pop3d[902]: Connect from c.example.org",
		  "Mar 11 10:00:06 mx vm-pop3d[902]: User 'alice' logged in" },
		{ "Mar 11 10:00:00 mx vm-pop3d[902]: Connect from 192.0.2.52",
		  "Mar 11 10:00:05 mx vm-pop3d[902]: Authentication failed for alice",
		  "Mar 11 10:00:06 mx vm-pop3d[902]: User 'alice' logged in" },
		{ "Mar 11 10:00:00 mx gnu-pop3d[903]: Incoming connection from 192.0.2.53",
		  "Mar 11 10:00:05 mx gnu-pop3d[903]: Incoming connection from [unknown]",
		  "Mar 11 10:00:06 mx gnu-pop3d[903]: User 'alice' logged in with "
		  "mailbox '/var/mail/alice'" },
		{ "Mar 11 10:00:00 mx gnu-pop3d[903]: Incoming connection from 192.0.2.53",
		  "Mar 11 10:00:05 mx gnu-pop3d[903]: Session timed out for no user",
		  "Mar 11 10:00:06 mx gnu-pop3d[903]: User 'alice' logged in with "
		  "mailbox '/var/mail/alice'" },
	};
	struct matcher *m = matcher_auto();
	struct match_result r;

	(void)state;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		assert_int_equal(feed(m, 1, pairs[i].open, T0, &r), 0);
		assert_int_equal(matcher_pending(m), 1);
		assert_int_equal(feed(m, 1, pairs[i].clear, T0 + 5, &r), 0);
		if (feed(m, 1, pairs[i].login, T0 + 6, &r))
			fail_msg("pair %zu: a cleared first line authorized", i);
		/* without the clearing line the pair works */
		assert_int_equal(feed(m, 1, pairs[i].open, T0, &r), 0);
		assert_int_equal(feed(m, 1, pairs[i].login, T0 + 6, &r), 1);
	}
	matcher_free(m);
}

/* a line holding its format's address field twice records nothing and
 * is counted */
static void test_ambiguous_counted(void **state)
{
	static const char *lines[] = {
		"Mar  7 09:01:02 mx dovecot: imap-login: Login: user=<x, rip=203.0.113.66>, "
		"method=PLAIN, rip=192.0.2.60, lip=192.0.2.254, mpid=1, session=<a>",
		"Mar  7 09:01:02 mx dovecot: imap-login: Login: user=<x>, method=PLAIN, "
		"rip=192.0.2.60, lip=192.0.2.254, mpid=1, TLS, session=<a>, "
		"sni=x, rip=203.0.113.66",
		"Mar  7 09:01:02 mx pop3d: LOGIN, user=x, ip=[203.0.113.66], "
		"ip=[::ffff:192.0.2.61], port=[1]",
		"Mar  7 12:00:04 mx imapd[1]: Login user=x host=[203.0.113.66] "
		"host=[192.0.2.62]",
		"2024-05-11 10:23:46,001 INFO  [ImapServer-5] [name=b;ip=10.0.0.5;"
		"oip=192.0.2.63;ua=x;oip=203.0.113.66;] imap - user b authenticated, "
		"mechanism=LOGIN",
	};
	struct matcher *m = matcher_auto();
	struct match_result r;

	(void)state;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (feed(m, 1, lines[i], T0, &r))
			fail_msg("ambiguous line %zu recorded", i);
		assert_int_equal(matcher_ambiguous(m), i + 1);
	}
	/* a field that merely ends in the marker's text is no second copy */
	assert_int_equal(feed(m, 1, "Mar  7 09:01:02 mx dovecot: imap-login: Login: "
			      "user=<x>, method=PLAIN, rip=192.0.2.64, lip=192.0.2.254, "
			      "real_rip=192.0.2.1", T0, &r), 1);
	assert_int_equal(matcher_ambiguous(m), sizeof lines / sizeof lines[0]);
	matcher_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_take),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_cap_evicts_oldest),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_two_line_ttl_and_source),
		cmocka_unit_test(test_dovecot_session_ids),
		cmocka_unit_test(test_ip_logouts),
		cmocka_unit_test(test_user_logouts),
		cmocka_unit_test(test_first_line_clears),
		cmocka_unit_test(test_ambiguous_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
