/*
 * sink.h - the one login sink of the ingest worker. Every source of
 * logins (followed log files, the systemd journal, logins pushed by
 * Dovecot) hands the sink what it recognised; the sink alone applies the
 * rules (window, backlog, future stamps, ignore_networks, ipv6_prefix,
 * sessions), fills the one batch and commits it with back-off. Sources
 * keep no copy of any of that. Every call is thread-safe: each source may
 * run in its own thread.
 */
#ifndef POPGATE_SINK_H
#define POPGATE_SINK_H

#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "match.h"
#include "store.h"

#define SINK_FUTURE_SLACK 60	/* a stamp further ahead counts as now */
#define SINK_LOGINS_PER_TXN 1000	/* a fuller batch asks for a commit */
#define SINK_BACKLOG_LOGINS_PER_TXN 100000	/* catching up: larger ... */
#define SINK_BACKLOG_COMMIT_MS 100	/* ... batches, committed this often */
#define SINK_COUNTERS_ALONE_MS 1000	/* counters with nothing else: this often */
#define SINK_RETRY_FIRST_MS 100	/* back-off after a failed commit ... */
#define SINK_RETRY_MAX_MS 5000	/* ... doubling up to this */
#define SINK_SESSIONS_MAX 16384	/* open sessions kept; the oldest closes */
#define SINK_SESSION_KEY_MAX STORE_SESSION_KEY_MAX	/* longer keys are not kept */
#define SINK_SESSION_ALIAS_MAX STORE_SESSION_ALIAS_MAX	/* nor aliases */
#define SINK_META_MAX 4		/* meta names whose latest value waits */

/* one recognised login or logout */
struct sink_event {
	struct addr addr;	/* the client, as the source saw it */
	int has_addr;		/* 0: a logout known only by its session key */
	const char *user;	/* may be NULL or empty */
	const char *service;	/* "pop3", "imap", ...; may be NULL */
	const char *format;	/* what recognised it, for the log line */
	time_t time;		/* the event's own time stamp; 0: none (now) */
	int live;		/* seen as it happened, not caught up from a
				 * backlog (only the log line differs) */
	int session;		/* a login whose logout will be reported: it
				 * opens a session (session tracking) */
	const void *session_key;	/* the session's key: a login opens it, a
					 * logout closes it (and then needs no
					 * address); NULL: the session is the
					 * client address's (Courier, UW) */
	size_t session_key_len;	/* 1..SINK_SESSION_KEY_MAX bytes */
	const void *session_alias;	/* the session's second name (NULL:
					 * none): a login files its session
					 * under it too; a logout without a
					 * key closes its oldest session */
	size_t session_alias_len;	/* 1..SINK_SESSION_ALIAS_MAX bytes */
};

/* Session keys are bytes that the login and the logout of one session
 * both carry and that mean the same after a restart. Dovecot: "sid:"
 * followed by its session id (the log's session=<ID> and <pid><ID>, the
 * auth policy's "session_id"), whatever source reports it.
 *
 * A session may also have an alias, for logouts that name no session
 * (Dovecot 2.2 and older: "imap(USER): Logged out", also in a log_path
 * file): "usr:" followed by the log line's host name (empty in a
 * header-less log_path file), NUL, the service ("imap", "pop3"), NUL and
 * the user name. Several sessions may share one alias; both names are
 * kept in the database with the session (store_sessions.c), so:
 *  - a logout by key closes that session and drops its alias entry;
 *  - a logout by alias (no key) closes the OLDEST open session filed
 *    under that alias (the alias index sorts by login time);
 * restarts and reloads keep both. */
#define SINK_DOVECOT_KEY_PREFIX "sid:"
#define SINK_USER_ALIAS_PREFIX "usr:"

enum sink_outcome {
	SINK_LOGIN,		/* login in the batch */
	SINK_LOGOUT,		/* logout in the batch (or nothing to close) */
	SINK_IGNORED,		/* address in ignore_networks */
	SINK_TOO_OLD,		/* a login older than the window (backlog) */
	SINK_IGNORED_USER,	/* user in ignore_users (rules.c) */
};

struct sink;

/* sink_new - the sink of the ingest worker: CFG's rules, writing to
 * STORE (which the sink then owns: every later use of STORE goes through
 * sink_with_store). Writes the parameters in force with the first commit.
 * STORE NULL: a dry sink (popgated -T) that decides alike but logs no
 * login, never commits, and whose batch sink_discard empties */
struct sink *sink_new(const struct config *cfg, struct store *store);
/* sink_discard - empty a dry sink's batch */
void sink_discard(struct sink *s);
/* sink_free - frees the sink (not the store); commit first */
void sink_free(struct sink *s);

/* sink_set_sessions_max - keep at most MAX open keyed sessions (default
 * SINK_SESSIONS_MAX; tests): a login beyond closes the oldest first */
void sink_set_sessions_max(struct sink *s, size_t max);

/* sink_time - the time of an event stamped STAMP that arrives at NOW: the
 * stamp, or NOW when there is none (0) or it is more than
 * SINK_FUTURE_SLACK seconds ahead. Sources use it for their own needs
 * (a matcher's clock); the sink applies it to every event */
time_t sink_time(time_t stamp, time_t now);

/* sink_login - record a login from SOURCE ("file", "journal", "push": the
 * log line names it). Ignored networks are checked on the address as
 * given, before the IPv6 prefix; a login older than the window counts as
 * backlog_skipped; a live login is logged, a backlog rate-limited; one
 * without an address (HAS_ADDR 0) is ignored. With
 * session tracking, E->session opens a session, kept in the database
 * with the login (reloads and restarts keep it); when the table is full
 * its oldest session is closed at this login's time */
enum sink_outcome sink_login(struct sink *s, const char *source,
			     const struct sink_event *e);
/* sink_logout - close the session E names (by key, else by alias: its
 * oldest, else by address), at E's time, however old: the address stays
 * authorized one window from then. A key or alias that no open session
 * has closes nothing. Nothing without session tracking */
enum sink_outcome sink_logout(struct sink *s, const char *source,
			      const struct sink_event *e);
/* sink_match - a matcher's result R for a line whose time is T (0: now):
 * counts the match and hands it to sink_login or sink_logout */
enum sink_outcome sink_match(struct sink *s, const char *source,
			     const struct match_result *r, time_t t, int live);

/* sink_hold / sink_release - no other source commits in between: a
 * source that hands in logins and then the position they reach holds the
 * sink across both, so a crash can neither lose nor replay them. Calls
 * may nest; hold it briefly (one entry, one delivery) */
void sink_hold(struct sink *s);
void sink_release(struct sink *s);

/* sink_put_position / sink_del_position - a tailer position, committed
 * with the logins handed in before it; sink_put_meta - a meta value (the
 * journal cursor) likewise: only the latest value of each name is written
 * (at most SINK_META_MAX names wait; more go in as they come) */
void sink_put_position(struct sink *s, const char *name,
		       const struct position *p);
void sink_del_position(struct sink *s, const char *name);
void sink_put_meta(struct sink *s, const char *name, const void *bytes,
		   size_t n);

/* sink_full - the batch holds SINK_LOGINS_PER_TXN logins: commit now */
int sink_full(struct sink *s);
/* sink_backlog_full - the batch holds SINK_BACKLOG_LOGINS_PER_TXN logins:
 * a source reading a backlog stops and commits */
int sink_backlog_full(struct sink *s);
/* sink_commit_due - while a source reads a backlog: commit now (the
 * batch is backlog-full, or the last commit is SINK_BACKLOG_COMMIT_MS
 * old); until then it only puts its positions in */
int sink_commit_due(struct sink *s);
/* sink_commit - the batch, the counters and what sources put in one
 * write transaction. After a failure the batch is kept (logged once) and
 * retried no sooner than the back-off allows (100 ms doubling to 5 s):
 * an earlier call returns -1 at once. 0 committed (or nothing to do) */
int sink_commit(struct sink *s);
/* sink_counters_due - the next sink_commit writes the counters even with
 * nothing else to write (at stop). Otherwise counters that changed alone
 * (a read-your-writes sync that found nothing new) are written at most
 * once every SINK_COUNTERS_ALONE_MS: a sync costs no write transaction */
void sink_counters_due(struct sink *s);
/* sink_failing - the last commit failed: sources should stop reading
 * until a sink_commit succeeds */
int sink_failing(struct sink *s);
/* sink_take_changed - 1 when a commit since the last call may have
 * changed the allow-list (the exporter's cue) */
int sink_take_changed(struct sink *s);

/* sink_with_store - FN(STORE, PARAMS, CTX) while no source can commit
 * (the sweep, the exporter, reading saved positions); its result */
typedef int (*sink_store_fn)(struct store *store,
			     const struct store_params *params, void *ctx);
int sink_with_store(struct sink *s, sink_store_fn fn, void *ctx);

#endif
