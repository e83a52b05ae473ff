/*
 * match.h - recognise successful POP3/IMAP logins in log lines: the
 * built-in server formats (one table entry each) and custom PCRE2
 * patterns. Lines are bytes (no UTF mode); a match yields only the
 * address from the field its format defines.
 */
#ifndef POPGATE_MATCH_H
#define POPGATE_MATCH_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "store.h"

enum match_kind {
	MATCH_LOGIN,		/* successful login: authorize addr */
	MATCH_LOGOUT,		/* session ended (session tracking) */
};

#define MATCH_SESSION_KEY_MAX 80	/* "sid:" and a session id */
#define MATCH_SESSION_ALIAS_MAX STORE_SESSION_ALIAS_MAX	/* "usr:" ... */

struct match_result {
	enum match_kind kind;
	struct addr addr;
	int has_addr;			/* 0: a logout known by its session key */
	const char *format;		/* name of the format that matched */
	char service[RECORD_SERVICE_MAX];	/* "pop3", "imap", ... */
	char user[RECORD_USER_MAX];	/* escaped/bounded, may be empty */
	const char *time_text;		/* where the line's time stamp is */
	size_t time_len;		/*   (0 = none) */
	int session;			/* MATCH_LOGIN whose logout this matcher
					 * will report: a session may be open */
	unsigned char session_key[MATCH_SESSION_KEY_MAX];	/* the session a
					 * login opens or a logout closes; the
					 * same bytes for both lines, stable
					 * across restarts ("sid:" + Dovecot's
					 * session id) */
	size_t session_key_len;		/* 0: the session is the address's */
	unsigned char session_alias[MATCH_SESSION_ALIAS_MAX];	/* a second
					 * name of the session, for a logout
					 * that names no session id: "usr:" +
					 * host, NUL, service, NUL, user */
	size_t session_alias_len;	/* 0: none (a login of a long name,
					 * a logout with its session key) */
};

struct matcher;

/* matcher_new - compile (and JIT) the formats named in CFG->log_formats
 * ("auto" = all) and CFG->patterns. NULL with "FILE:LINE: msg" in ERR */
struct matcher *matcher_new(const struct config *cfg, char *err, size_t errsize);
void matcher_free(struct matcher *m);

/* matcher_feed - 1 and *R filled when LINE (LEN bytes, no newline, may
 * contain NULs) completes a login or ends a session, 0 otherwise (also
 * for a line holding its address field twice: counted, logged). SOURCE
 * names the file the line came from (a small integer per followed file):
 * the lines of a two-line login are tied by (SOURCE, host, program, PID),
 * a Dovecot logout to its login by its session id (session_key) or, when
 * it names none, by (host, service, user) (session_alias: the sink closes
 * that user's oldest open session).
 * NOW is the line's time: the first line of a two-line login waits
 * MATCH_PENDING_TTL seconds at most. A line read from a user's text never
 * supplies an address. */
int matcher_feed(struct matcher *m, unsigned source, const char *line,
		 size_t len, time_t now, struct match_result *r);
/* matcher_match - matcher_feed(m, 0, line, len, clock_now(), r) */
int matcher_match(struct matcher *m, const char *line, size_t len,
		  struct match_result *r);

#define MATCH_PENDING_TTL 120	/* seconds a first line waits */
#define MATCH_PENDING_MAX 4096	/* first lines waiting, oldest evicted */

/* why the last matcher_feed() returned 0 (popgated -T) */
enum match_note {
	MATCH_NOTE_NONE,	/* it returned 1 */
	MATCH_NOTE_NO_TAG,	/* no format's program tag in the line */
	MATCH_NOTE_UNMATCHED,	/* a known tag, but no rule matched */
	MATCH_NOTE_BAD_ADDR,	/* a rule matched; its address is invalid */
	MATCH_NOTE_PENDING,	/* first line of a two-line login: waiting */
	MATCH_NOTE_DISCARDED,	/* failure or exit: a waiting first line of
				 * that process (if any) is forgotten */
	MATCH_NOTE_NO_FIRST,	/* second line without a waiting first */
	MATCH_NOTE_CANCELLED,	/* second line after a failure, or after a
				 * first line without an address */
	MATCH_NOTE_AMBIGUOUS,	/* the address field twice: nothing read */
};

/* matcher_note - why the last feed matched nothing; *FORMAT (may be
 * NULL) names the format whose rule matched, and for MATCH_NOTE_PENDING
 * *ADDR gets the waiting address */
enum match_note matcher_note(const struct matcher *m, const char **format,
			     struct addr *addr);

/* matcher_pending - first lines waiting now (tests and statistics); open
 * sessions are the sink's (sink.h), kept in the database */
size_t matcher_pending(const struct matcher *m);
/* matcher_rules_run - regexes tried so far: a line whose program tag
 * belongs to no format (and no custom pattern is set) tries none */
unsigned long long matcher_rules_run(const struct matcher *m);
/* matcher_ambiguous - lines that matched a format but held its address
 * field twice (nothing recorded; also counted as lines_ambiguous) */
unsigned long long matcher_ambiguous(const struct matcher *m);

/* match_copy_text - SRC (LEN bytes) into DST (SIZE bytes, NUL-terminated,
 * SIZE > 0): printable ASCII kept, every other byte as '?', bounded */
void match_copy_text(char *dst, size_t size, const char *src, size_t len);

/* match_format_known - 1 if NAME is a built-in format name or "auto" */
int match_format_known(const char *name);
/* match_check_pattern - 0 if PATTERN compiles and has a group named ip;
 * otherwise -1 and a message (without FILE:LINE) in ERR */
int match_check_pattern(const char *pattern, char *err, size_t errsize);
/* match_format_names - the built-in names joined by ", ", for -n */
const char *match_format_names(void);

#endif
