/*
 * journal.h - the systemd journal as a login source (sd-journal), read in
 * its own thread of the ingest worker. Only entries of the configured
 * units (the trusted _SYSTEMD_UNIT field) ever reach the matcher.
 */
#ifndef POPGATE_JOURNAL_H
#define POPGATE_JOURNAL_H

#include "config.h"
#include "inbox.h"
#include "sink.h"

#define JOURNAL_CURSOR_META "journal_cursor"	/* meta name of the cursor */
#define JOURNAL_CURSOR_MAX 1024		/* longer saved cursors are ignored */
#define JOURNAL_SOURCE 0		/* matcher_feed source of journal lines */
#define JOURNAL_ENTRIES_PER_TXN 5000	/* entries read per transaction */

struct journal;

/* journal_wanted - 1 if CFG asks for the journal now: yes, or auto when
 * none of log_files exists and a journal is available. Logs why */
int journal_wanted(const struct config *cfg);

/* journal_start - open the journal, seek (saved cursor, else start_at)
 * and start the reader thread, which hands every entry's login or logout
 * to SINK and reads to the end when INBOX (may be NULL) asks for a sync.
 * NULL when it is not used or cannot be opened (logged; "journal support
 * not built" without libsystemd) */
struct journal *journal_start(const struct config *cfg, struct sink *sink,
			      struct inbox *inbox);

/* journal_stop - wake the thread, let it commit what it read, join, free */
void journal_stop(struct journal *j);

#endif
