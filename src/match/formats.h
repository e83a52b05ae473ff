/*
 * formats.h - the table of built-in log formats. Each entry names a
 * server, the syslog program tags its lines carry (the matcher runs a
 * format's rules only on lines with one of its tags) and its rules: an
 * optional literal that every matching line contains, the PCRE2 source
 * (named groups ip, user, svc, time) and what a match means; a format whose
 * login spans two lines ties them by the program's PID. Adding a server is
 * one entry plus one corpus file.
 */
#ifndef POPGATE_FORMATS_H
#define POPGATE_FORMATS_H

#include <stddef.h>

#include "match.h"

/* what a matching line does; groups pid, sid and host key the state */
enum rule_step {
	STEP_LINE,	/* the line alone yields KIND with its own ip */
	STEP_OPEN,	/* first of two lines: keep ip for (source, host, pid);
			 * one whose address does not parse clears the key */
	STEP_CONFIRM,	/* second line: MATCH_LOGIN with the kept ip */
	STEP_DISCARD,	/* failure or exit: forget the kept ip */
	STEP_CLOSE,	/* MATCH_LOGOUT for the session of the line's sid
			 * (session_key; the sink finds its address) */
	STEP_CLOSE_USER,	/* MATCH_LOGOUT for the oldest open session
				 * of (host, svc, user) (session_alias) */
};

/* which logouts a format reports (match_result.session) */
enum session_kind {
	SESSION_NONE,	/* no logout lines known */
	SESSION_IP,	/* logout lines carry the address */
	SESSION_ID,	/* logout lines carry the login's pid and session id,
			 * or (older servers) its service and user */
};

/* one regex of a format: a line matching RE yields KIND */
struct format_rule {
	enum match_kind kind;
	const char *prefilter;	/* literal that must occur in the line
				 * ("a|b": one of them), or NULL (the tag
				 * check is enough) */
	const char *re;		/* PCRE2 source, anchored with ^ */
	const char *service;	/* service when group svc is unset, or NULL */
	enum rule_step step;
	const char *marker;	/* the text that introduces the address field
				 * (not after a letter, digit or '_'): a
				 * matching line holding it twice is
				 * ambiguous and yields nothing; or NULL */
};

#define FORMAT_RULES_MAX 8

/* TAGS: every program tag that any rule of the format accepts at a tag
 * position (see tagset.h), separated by spaces, exactly as the server
 * writes it (case-sensitive); "name.*" accepts "name." and anything after
 * it; "name[" accepts name only when a PID "[" follows (every rule that
 * accepts name there requires the PID). A rule whose regex could match a line with none of these tags at a
 * tag position is a bug in the table: the line would never reach it */
struct format_def {
	const char *name;
	struct format_rule rules[FORMAT_RULES_MAX];	/* ends at re == NULL */
	enum session_kind session;
	const char *tags;
	int dated;	/* lines may also carry no tag at all, but an ISO date
			 * "YYYY-MM-DD " at a tag position (Zimbra) */
};

#define FORMATS_MAX 64	/* a bit each in the matcher's per-line mask */

extern const struct format_def format_table[];
extern const size_t format_count;

/* format_find - the entry called NAME, or NULL */
const struct format_def *format_find(const char *name);

#endif
