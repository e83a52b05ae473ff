/*
 * feed.h - one log line through the matcher at the line's time (feed.c):
 * the file source's step before the sink, shared with popgated -T.
 */
#ifndef POPGATE_FEED_H
#define POPGATE_FEED_H

#include <stddef.h>
#include <time.h>

#include "match.h"

#define BSD_STAMP_LEN 15	/* "Mar  7 09:01:02" */

/* the last BSD stamp parsed, at which now, and its time */
struct stamp_cache {
	char key[BSD_STAMP_LEN];
	time_t now, value;
};

/* feed_line - LINE (from file number SOURCE) through M at its time: NOW
 * when LIVE, else its own stamp (C caches BSD stamps), or the stamp the
 * matching rule points at; stamps ahead of NOW follow sink_time(). 1 with
 * *R and *T when it matched */
int feed_line(struct matcher *m, struct stamp_cache *c, unsigned source,
	      const char *line, size_t len, int live, struct match_result *r,
	      time_t *t);

#endif
