/*
 * feed.c - one log line of a followed file through the matcher, at the
 * line's time: the arrival time of a live line, the own stamp of a line
 * caught up from a backlog (a repeated BSD stamp is not parsed again).
 * Used by the ingest worker and by popgated -T alike.
 */
#include <string.h>

#include "feed.h"
#include "sink.h"
#include "timeparse.h"
#include "util.h"

/* stamp_time - the stamp at the start of TEXT (0: none), by the sink's
 * rule for stamps ahead of NOW */
static time_t stamp_time(const char *text, size_t len, time_t now)
{
	time_t t;

	return sink_time(time_parse(text, len, now, &t) ? t : 0, now);
}

/* is_bsd_stamp - LINE starts with "Mmm dd hh:mm:ss " */
static int is_bsd_stamp(const char *line, size_t len)
{
	return len > BSD_STAMP_LEN && line[3] == ' ' && line[6] == ' ' &&
		line[BSD_STAMP_LEN] == ' ';
}

/* backlog_line_time - stamp_time of a line read while catching up; a
 * BSD stamp equal to the last one (same second) is not parsed again */
static time_t backlog_line_time(struct stamp_cache *c, const char *line,
				size_t len, time_t now)
{
	int bsd = is_bsd_stamp(line, len);
	time_t t;

	if (bsd && now == c->now && memcmp(line, c->key, BSD_STAMP_LEN) == 0)
		return c->value;
	t = stamp_time(line, len, now);
	if (bsd) {
		memcpy(c->key, line, BSD_STAMP_LEN);
		c->now = now;
		c->value = t;
	}
	return t;
}

int feed_line(struct matcher *m, struct stamp_cache *c, unsigned source,
	      const char *line, size_t len, int live, struct match_result *r,
	      time_t *t)
{
	time_t now = clock_now();

	*t = live ? now : backlog_line_time(c, line, len, now);
	if (!matcher_feed(m, source, line, len, *t, r))
		return 0;
	if (!live && r->time_len > 0 && r->time_text != line)
		*t = stamp_time(r->time_text, r->time_len, now);  /* else parsed */
	return 1;
}
