/*
 * counters.h - operational counters: one table (counters.c) names every
 * counter, says what it counts and which part of popgated counts it.
 * Counts made outside the ingest worker (serve, and any other worker)
 * live in a small shared mapping the master creates before the first
 * fork: one relaxed atomic add, never a lock, never a system call. The
 * ingest worker's own counts wait in its memory. Both reach the "meta"
 * sub-database with the ingest worker's next commit (counters_flush).
 */
#ifndef POPGATE_COUNTERS_H
#define POPGATE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"

/* every counter; name, meaning and owner in counters.c (counter_table) */
enum counter_id {
	/* ingest worker: tail, journal, match, sink, sweep */
	COUNTER_LINES_READ,
	COUNTER_LINES_OVERLONG,
	COUNTER_LINES_MATCHED,
	COUNTER_LINES_AMBIGUOUS,
	COUNTER_LOGINS_RECORDED,
	COUNTER_BACKLOG_SKIPPED,
	COUNTER_ROTATIONS,
	COUNTER_TRUNCATIONS,
	COUNTER_OVERFLOWS,
	COUNTER_POSITIONS_RESET,
	COUNTER_NUL_PADDING_SKIPPED,
	COUNTER_JOURNAL_ENTRIES,
	COUNTER_SESSIONS_CLOSED_EVICTED,
	COUNTER_SHARED_ADDRESSES,
	COUNTER_ENTRIES_EXPIRED,
	/* other workers (shared mapping): serve, push */
	COUNTER_POLICY_OK,
	COUNTER_POLICY_DUNNO,
	COUNTER_SOCKETMAP_OK,
	COUNTER_SOCKETMAP_NOTFOUND,
	COUNTER_SOCKETMAP_PERM,
	COUNTER_REFUSED_MAX_CLIENTS,
	COUNTER_ACCEPT_PAUSED,
	COUNTER_CLOSED_MALFORMED,
	COUNTER_CLOSED_IDLE,
	COUNTER_CLOSED_SLOW,
	COUNTER_LOOKUP_ERRORS,
	COUNTER_SYNC_WAITS,
	COUNTER_SYNC_TURNED_OK,
	COUNTER_PUSH_REPORTS,
	COUNTER_PUSH_DROPPED,
	COUNTER_PUSH_UNAUTHORIZED,
	COUNTER_PUSH_MALFORMED,
	COUNTER_COUNT
};

/* one row of the table: README's counter table says the same */
struct counter_def {
	const char *name;	/* as stored and shown by popgate-dump -s */
	const char *meaning;	/* one line, as in README */
	const char *owner;	/* the file or part that counts it */
	int shared;		/* counted outside ingest: the shared mapping */
};

extern const struct counter_def counter_table[COUNTER_COUNT];

#define COUNTER_NAME_MAX 48	/* longest stored name, with the NUL */
#define COUNTERS_FORMATS_MAX 64	/* formats counted apart between flushes */

/* counters_create - the master, once, before the first fork: map the
 * shared counters (inherited by every worker it forks later). 0 ok; -1
 * when it cannot (logged; shared counting is then off, nothing else
 * changes) */
int counters_create(void);
/* counters_destroy - unmap (tests; the daemon keeps it until exit) */
void counters_destroy(void);

/* counters_inc - one more of ID: counters_add(ID, 1) */
void counters_inc(enum counter_id id);
/* counters_add - N more of ID, from any thread: a shared counter by an
 * atomic add (a no-op without the mapping), an ingest one under a lock */
void counters_add(enum counter_id id, uint64_t n);
/* counters_value - all of shared counter ID counted so far, flushed or
 * not (tests) */
uint64_t counters_value(enum counter_id id);
/* counters_name - "policy_ok", ... ; NULL for an unknown ID */
const char *counters_name(enum counter_id id);

/* counters_note_match - ingest (any thread): one line matched by FORMAT
 * (NULL: custom pattern), counted as "matched_<format>" */
void counters_note_match(const char *format);

/* counters_flush - ingest: add to B everything counted since the last
 * flush (each counter only when it grew) and record in the shared mapping
 * that it was flushed: a restarted ingest worker goes on from there.
 * Returns the ops added */
size_t counters_flush(struct batch *b);

#endif
