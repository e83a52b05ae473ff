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

struct match_result {
	enum match_kind kind;
	struct addr addr;
	const char *format;		/* name of the format that matched */
	char service[RECORD_SERVICE_MAX];	/* "pop3", "imap", ... */
	char user[RECORD_USER_MAX];	/* escaped/bounded, may be empty */
	const char *time_text;		/* where the line's time stamp is */
	size_t time_len;		/*   (0 = none) */
	int session;			/* MATCH_LOGIN whose logout this matcher
					 * will report: a session may be open */
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
 * a Dovecot logout to its login by (SOURCE, host, pid, session) or, when
 * it names neither, (SOURCE, host, service, user).
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
#define MATCH_SESSIONS_MAX 16384	/* session ids awaiting a logout (a
					 * session known by id and by user
					 * counts once) */

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
	MATCH_NOTE_NO_SESSION,	/* logout of no session this matcher saw */
	MATCH_NOTE_CANCELLED,	/* second line after a failure, or after a
				 * first line without an address */
	MATCH_NOTE_AMBIGUOUS,	/* the address field twice: nothing read */
};

/* matcher_note - why the last feed matched nothing; *FORMAT (may be
 * NULL) names the format whose rule matched, and for MATCH_NOTE_PENDING
 * *ADDR gets the waiting address */
enum match_note matcher_note(const struct matcher *m, const char **format,
			     struct addr *addr);

/* matcher_pending - first lines waiting now; matcher_sessions - session
 * ids waiting for their logout (tests and statistics) */
size_t matcher_pending(const struct matcher *m);
size_t matcher_sessions(const struct matcher *m);
/* matcher_rules_run - regexes tried so far: a line whose program tag
 * belongs to no format (and no custom pattern is set) tries none */
unsigned long long matcher_rules_run(const struct matcher *m);
/* matcher_ambiguous - lines that matched a format but held its address
 * field twice (nothing recorded; also counted as lines_ambiguous) */
unsigned long long matcher_ambiguous(const struct matcher *m);

/* match_format_known - 1 if NAME is a built-in format name or "auto" */
int match_format_known(const char *name);
/* match_check_pattern - 0 if PATTERN compiles and has a group named ip;
 * otherwise -1 and a message (without FILE:LINE) in ERR */
int match_check_pattern(const char *pattern, char *err, size_t errsize);
/* match_format_names - the built-in names joined by ", ", for -n */
const char *match_format_names(void);

#endif
