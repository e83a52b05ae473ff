/*
 * inbox.h - the ingest end of the channel from serve: a thread that
 * records logins pushed by Dovecot and answers sync requests once every
 * source (the file tailer in the main loop, the journal thread) has read
 * to its end and committed. Private to the ingest worker.
 */
#ifndef POPGATE_INBOX_H
#define POPGATE_INBOX_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "sink.h"

/* the sources a sync waits for */
enum sync_source { SYNC_FILES, SYNC_JOURNAL, SYNC_SOURCES };

struct inbox;

/* inbox_start - start the thread on channel end FD (-1: NULL, nothing to
 * do); pushed logins go to SINK, opening a session (its key: Dovecot's
 * session_id) when SESSIONS (a log that reports the logout is followed).
 * The calling thread is the main loop: it is woken for syncs by SIGUSR1,
 * whose handler the caller installs without SA_RESTART */
struct inbox *inbox_start(const struct config *cfg, struct sink *sink,
			  int sessions, int fd);
/* inbox_stop - commit, join, free (NULL is fine) */
void inbox_stop(struct inbox *ib);

/* inbox_source - SRC takes part in syncs (ON 1: the journal, when it
 * runs) or no longer (ON 0: before it stops) */
void inbox_source(struct inbox *ib, enum sync_source src, int on);
/* inbox_sync_wanted - SRC should read to its end and commit, then call
 * inbox_synced with *GEN. 0: nothing asked (also for a NULL inbox) */
int inbox_sync_wanted(struct inbox *ib, enum sync_source src, uint32_t *gen);
void inbox_synced(struct inbox *ib, enum sync_source src, uint32_t gen);
/* inbox_wake_fd - readable when a sync is asked for (for poll) or -1 */
int inbox_wake_fd(struct inbox *ib);

#endif
