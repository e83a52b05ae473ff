/*
 * match_thread.h - a backlog's lines matched on a second core: the
 * ingest worker's main thread reads, splits and prefilters, this thread
 * runs the candidate lines through the matcher in order and keeps the
 * results until the main thread takes them (before it reports positions
 * and commits). Live lines never go through it.
 */
#ifndef POPGATE_MATCH_THREAD_H
#define POPGATE_MATCH_THREAD_H

#include <stddef.h>
#include <time.h>

#include "match.h"

struct match_thread;

/* match_thread_start - a thread feeding lines to M (which it then shares
 * with the caller: see match_thread_drain); NULL if none could start */
struct match_thread *match_thread_start(struct matcher *m);
/* match_thread_stop - end the thread (lines handed in and not drained
 * are dropped: drain first) and free everything */
void match_thread_stop(struct match_thread *mt);

/* match_thread_push - a copy of backlog LINE (file number SOURCE) for the
 * thread; returns how many results wait to be drained, as far as known */
size_t match_thread_push(struct match_thread *mt, unsigned source,
			 const char *line, size_t len);

typedef void (*match_result_fn)(const struct match_result *r, time_t t,
				void *ctx);

/* match_thread_drain - wait until every line pushed is matched, then call
 * FN with each result, in the order of the lines. Afterwards, until the
 * next push, the caller may use the matcher itself */
void match_thread_drain(struct match_thread *mt, match_result_fn fn,
			void *ctx);

#endif
