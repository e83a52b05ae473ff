/*
 * ingest.h - the ingest worker: tailer + matcher + store writer, and the
 * match rules every login source shares.
 */
#ifndef POPGATE_INGEST_H
#define POPGATE_INGEST_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "match.h"
#include "store.h"

/* ingest_run - runs in the forked ingest child until SIGTERM/SIGINT (then
 * commits and returns 0) or until PARENT_FD (read end of a pipe from the
 * master) hangs up. Writes one byte to READY_FD (then closes it) once the
 * database is open and the watches are set. Returns the exit status */
int ingest_run(const struct config *cfg, int ready_fd, int parent_fd);

/* ---- the rules every source (log files, journal) follows for one match ---- */

enum ingest_outcome {
	INGEST_LOGIN,		/* login recorded in the batch */
	INGEST_LOGOUT,		/* logout added (session tracking) or noted */
	INGEST_IGNORED,		/* address in ignore_networks */
	INGEST_TOO_OLD,		/* line time outside the window */
	INGEST_IGNORED_USER,	/* user in ignore_users */
};

/* ingest_rules - R against ignore_networks and ignore_users (rules.c):
 * INGEST_IGNORED, INGEST_IGNORED_USER, or INGEST_LOGIN / INGEST_LOGOUT
 * (by R's kind) when it may be recorded */
enum ingest_outcome ingest_rules(const struct config *cfg,
				 const struct match_result *r);

/* ingest_stamp_time - rule 8: the stamp at the start of TEXT; none, or
 * one more than a minute ahead, counts as NOW */
time_t ingest_stamp_time(const char *text, size_t len, time_t now);

/* the last BSD stamp parsed, at which now, and its time */
#define BSD_STAMP_LEN 15	/* "Mar  7 09:01:02" */
struct stamp_cache {
	char key[BSD_STAMP_LEN];
	time_t now, value;
};
/* ingest_backlog_time - ingest_stamp_time of a line read while catching
 * up; a BSD stamp equal to the last one (same second) is not parsed again */
time_t ingest_backlog_time(struct stamp_cache *c, const char *line,
			   size_t len, time_t now);

/* ingest_feed_line - LINE (from file number SOURCE) through M at its
 * time: NOW when LIVE, else its stamp (C caches BSD stamps), or the
 * stamp the matching rule points at. 1 with *R and *T when it matched */
int ingest_feed_line(struct matcher *m, struct stamp_cache *c,
		     unsigned source, const char *line, size_t len, int live,
		     struct match_result *r, time_t *t);

/* ingest_match - add match R of a line whose time is T to B: the window,
 * ingest_rules, ipv6_prefix, session open/close, the login's log line
 * (lines not LIVE are rate-limited through RL; none with RL NULL) */
enum ingest_outcome ingest_match(const struct config *cfg,
				 const struct store_params *p, struct batch *b,
				 struct match_result *r, time_t t, int live,
				 struct ratelimit *rl);

/* ingest_tally - count outcome O in *RECORDED or *SKIPPED (too old); 1
 * when it added to the batch (a login or a logout), else 0 */
int ingest_tally(enum ingest_outcome o, uint64_t *recorded,
		 uint64_t *skipped);

#endif
