/*
 * counters.h - operational counters. The serve worker's counts live in a
 * small shared mapping the master creates before the first fork: serve
 * only increments (one relaxed atomic add, never a lock, never a system
 * call); ingest adds the growth since its last flush to its batch, so the
 * counts reach the "meta" sub-database with its next commit. The ingest
 * worker's own counts (per-format matches, expired entries) wait in its
 * memory until that same commit.
 */
#ifndef POPGATE_COUNTERS_H
#define POPGATE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* what the serve worker counts; names in counters.c */
enum counter_id {
	COUNTER_POLICY_OK,		/* policy: listed, answered policy_action */
	COUNTER_POLICY_DUNNO,		/* policy: not listed, answered DUNNO */
	COUNTER_SOCKETMAP_OK,		/* socketmap: OK <socketmap_value> */
	COUNTER_SOCKETMAP_NOTFOUND,	/* socketmap: NOTFOUND */
	COUNTER_SOCKETMAP_PERM,		/* socketmap: PERM (malformed query) */
	COUNTER_REFUSED_MAX_CLIENTS,	/* accepted and closed at max_clients */
	COUNTER_ACCEPT_PAUSED,		/* accept failed (EMFILE...): paused */
	COUNTER_CLOSED_MALFORMED,	/* closed without an answer */
	COUNTER_CLOSED_IDLE,		/* closed after idle_timeout */
	COUNTER_LOOKUP_ERRORS,		/* database unreadable: answered "no" */
	COUNTER_COUNT
};

#define COUNTER_NAME_MAX 48	/* longest stored name, with the NUL */
#define COUNTERS_FORMATS_MAX 64	/* formats counted apart between flushes */

/* counters_create - the master, once, before the first fork: map the
 * shared counters (inherited by every worker it forks later). 0 ok; -1
 * when it cannot (logged; counting is then off, nothing else changes) */
int counters_create(void);
/* counters_destroy - unmap (tests; the daemon keeps it until exit) */
void counters_destroy(void);

/* counters_inc - serve: one more of ID. A no-op without the mapping */
void counters_inc(enum counter_id id);
/* counters_value - all of ID counted so far, flushed or not (tests) */
uint64_t counters_value(enum counter_id id);
/* counters_name - "policy_ok", ... ; NULL for an unknown ID */
const char *counters_name(enum counter_id id);

/* counters_note_match - ingest (any thread): one line matched by FORMAT
 * (NULL: custom pattern) */
void counters_note_match(const char *format);
/* counters_note_ambiguous - ingest (any thread): one line held its
 * format's address field twice and was not recorded ("lines_ambiguous") */
void counters_note_ambiguous(void);
/* counters_note_expired - ingest: N entries deleted by the sweep */
void counters_note_expired(size_t n);

/* counters_flush - ingest: add to B ("matched_<format>", "entries_expired", "lines_ambiguous"
 * and the serve counters, each only when it grew) everything counted since
 * the last flush, and record in the shared mapping that it was flushed: a
 * restarted ingest worker goes on from there. Returns the ops added */
size_t counters_flush(struct batch *b);

#endif
