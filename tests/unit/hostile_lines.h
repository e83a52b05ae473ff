/*
 * hostile_lines.h - the lines every built-in format's server writes, with
 * each client-controlled field as %s, and the address each may record:
 * shared by the hostile generator (tests/unit/test_hostile.c) and the
 * trust fuzzer (tests/fuzz/fuzz_trust.c). Test code only.
 */
#ifndef POPGATE_HOSTILE_LINES_H
#define POPGATE_HOSTILE_LINES_H

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "match.h"
#include "util.h"

#define H "Nov 23 11:04:39 mx "	/* syslog header */
#define REAL "192.0.2.23"	/* the address the server wrote */
#define FAIL "198.51.100.9"	/* a failed client: never recorded */
#define EVIL "203.0.113.66"	/* what the attacker injects */

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

#define N_PAIRS (sizeof pairs / sizeof pairs[0])

/* fill - TEMPLATE with every %s replaced by PAD (PADLEN bytes of PADC)
 * followed by PAYLOAD; its length in *LEN; *END where the first payload
 * ends */
static inline char *fill(const char *template, size_t padlen, char padc,
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

/* hostile_matcher - every built-in format, sessions tracked; NULL with
 * a message in ERR */
static inline struct matcher *hostile_matcher(char *err, size_t errsize)
{
	static char *names[] = { "auto" };
	struct config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.log_formats.v = names;
	cfg.log_formats.n = 1;
	cfg.session_max = 3600;
	return matcher_new(&cfg, err, errsize);
}

#endif
