/*
 * tail.h - the log file tailer: follows configured files through
 * rotation (rename, delete, copytruncate), delivers complete lines only,
 * and reports positions (dev, ino, offset, fingerprint) that exactly
 * match the lines delivered so far. Uses libinotifytools; one thread only.
 */
#ifndef POPGATE_TAIL_H
#define POPGATE_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TAIL_LINE_MAX 16384	/* longer lines are skipped and counted */
#define TAIL_READ_SIZE 65536	/* bytes per read() */
#define TAIL_FP_MAX 1024	/* fingerprint: first line, at most this */
#define TAIL_SCAN_MS 2000	/* stat-and-drain safety net period */
#define TAIL_ROTATED_TAG "\001rotated:"	/* "PATH\001rotated:INO" */

struct tail_options {
	unsigned rotate_wait;		/* seconds to drain a rotated file */
	int start_at_beginning;		/* for a file with no saved position */
};

struct tail_counters {
	uint64_t lines_read;
	uint64_t lines_overlong;
	uint64_t rotations;
	uint64_t truncations;
	uint64_t overflows;
	uint64_t positions_reset;	/* saved/current position not reconciled */
	uint64_t nul_padding_skipped;	/* runs of NUL bytes skipped */
};

/* tail_line_fn - one complete line (LEN bytes, no newline, may contain
 * NULs). LIVE: the read that produced it started at the previous end of
 * the file. SOURCE: the number of the configured path the line came from
 * (1, 2, ... in tail_add order; a rotated file still draining keeps its
 * path's number), for matcher_feed. Return 0 to go on, non-zero to stop
 * delivering after it */
typedef int (*tail_line_fn)(const char *line, size_t len, int live,
			    unsigned source, void *ctx);
/* tail_skip_fn - offset in BUF (LEN bytes) of the first byte that a
 * line worth delivering may hold, LEN if none: the lines ending before
 * it are counted, not delivered (the matcher's buffer prefilter) */
typedef size_t (*tail_skip_fn)(const char *buf, size_t len, void *ctx);
/* tail_position_fn - P NULL means: delete the position NAME */
typedef void (*tail_position_fn)(const char *name, const struct position *p,
				 void *ctx);

struct tailer;

/* tail_new - initialise libinotifytools (call before opening other files:
 * its fd must stay below 1024). Never NULL: without inotify (logged) the
 * files are polled every second instead */
struct tailer *tail_new(const struct tail_options *o);
/* tail_free - close everything and clean up libinotifytools */
void tail_free(struct tailer *t);

/* tail_restore - a position saved by an earlier run (before tail_start) */
void tail_restore(struct tailer *t, const char *name,
		  const struct position *p);
/* tail_set_skip - let FN pass over lines no one wants (NULL: deliver
 * every line) */
void tail_set_skip(struct tailer *t, tail_skip_fn fn, void *ctx);
/* tail_add - follow PATH (before tail_start); duplicates are ignored */
void tail_add(struct tailer *t, const char *path);
/* tail_start - open the files (resuming saved positions), set watches */
void tail_start(struct tailer *t);

/* tail_wait - wait up to TIMEOUT_S (>= 1) seconds for a file event and
 * handle it (rotation, new file, ...). 1 = event, 0 = timeout,
 * -1 = interrupted by a signal */
int tail_wait(struct tailer *t, int timeout_s);
/* tail_deliver - read files that may have new data and call FN for every
 * complete line. 1 = stopped early (FN asked, or a read budget was used
 * up): call again; 0 = every file is caught up */
int tail_deliver(struct tailer *t, tail_line_fn fn, void *ctx);
/* tail_catch_up - the next tail_deliver reads every file to its end,
 * event or not (read-your-writes) */
void tail_catch_up(struct tailer *t);
/* tail_positions - report every position that changed since the last
 * call (and deletions of retired files) */
void tail_positions(struct tailer *t, tail_position_fn fn, void *ctx);
/* tail_take_counters - counts since the last call (then zeroed) */
void tail_take_counters(struct tailer *t, struct tail_counters *c);

/* tail_hash - the fingerprint hash (FNV-1a 64) of LEN bytes */
uint64_t tail_hash(const void *data, size_t len);

#endif
