/*
 * journal.h - the systemd journal as a login source (sd-journal), read in
 * its own thread of the ingest worker, and the match rules that every
 * source shares with ingest.c. Only entries of the configured units (the
 * trusted _SYSTEMD_UNIT field) ever reach the matcher.
 */
#ifndef POPGATE_JOURNAL_H
#define POPGATE_JOURNAL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "match.h"
#include "store.h"

#define JOURNAL_CURSOR_META "journal_cursor"	/* meta name of the cursor */
#define JOURNAL_CURSOR_MAX 1024		/* longer saved cursors are ignored */
#define JOURNAL_SOURCE 0		/* matcher_feed source of journal lines */
#define JOURNAL_ENTRIES_PER_TXN 5000	/* entries read per transaction */

/* what the journal thread shares with the ingest main loop */
struct journal_env {
	const struct config *cfg;
	const struct store_params *params;
	struct store *store;
	pthread_mutex_t *store_lock;	/* held around every use of STORE */
	int *changed;		/* set under STORE_LOCK after a commit that may
				 * have changed the allow-list (export tick) */
};

struct journal;

/* journal_wanted - 1 if CFG asks for the journal now: yes, or auto when
 * none of log_files exists and a journal is available. Logs why */
int journal_wanted(const struct config *cfg);

/* journal_start - open the journal, seek (saved cursor, else start_at)
 * and start the reader thread. NULL when it is not used or cannot be
 * opened (logged; "journal support not built" without libsystemd) */
struct journal *journal_start(const struct journal_env *env);

/* journal_stop - wake the thread, let it commit what it read, join, free */
void journal_stop(struct journal *j);

/* ---- ingest.c: the rules every source follows for one match ---- */

enum ingest_outcome {
	INGEST_LOGIN,		/* login recorded in the batch */
	INGEST_LOGOUT,		/* logout added (session tracking) or noted */
	INGEST_IGNORED,		/* address in ignore_networks */
	INGEST_TOO_OLD,		/* line time outside the window */
};

/* ingest_match - add match R of a line whose time is T to B: the window,
 * ignore_networks, ipv6_prefix, session open/close, the login's log line
 * (lines not LIVE are rate-limited through RL) */
enum ingest_outcome ingest_match(const struct config *cfg,
				 const struct store_params *p, struct batch *b,
				 struct match_result *r, time_t t, int live,
				 struct ratelimit *rl);

/* ingest_tally - count outcome O in *RECORDED or *SKIPPED (too old); 1
 * when it added to the batch (a login or a logout), else 0 */
int ingest_tally(enum ingest_outcome o, uint64_t *recorded,
		 uint64_t *skipped);

#endif
