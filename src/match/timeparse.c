/*
 * timeparse.c - time stamps at the start of log lines: BSD syslog
 * ("Mar  7 09:01:02", local time, year inferred from now), RFC 3339 /
 * ISO 8601 (zone or local) and Dovecot log_path stamps ("Nov 03 ...").
 * Never accepts an out-of-range field and never reads past LEN.
 */
#include <string.h>

#include "timeparse.h"

#define MAX_FUTURE 86400	/* a BSD stamp is never more than a day ahead */

struct cursor {
	const char *p;
	const char *end;
};

static int at_end(const struct cursor *c)
{
	return c->p >= c->end;
}

static int take_char(struct cursor *c, char ch)
{
	if (at_end(c) || *c->p != ch)
		return 0;
	c->p++;
	return 1;
}

/* take_digits - between MIN and MAX decimal digits into *V */
static int take_digits(struct cursor *c, int min, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (n < max && !at_end(c) && *c->p >= '0' && *c->p <= '9') {
		*v = *v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	return n >= min;
}

static int is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int mon)	/* mon 0..11 */
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return mon == 1 && is_leap(year) ? 29 : days[mon];
}

/* take_clock - "hh:mm:ss" with fields in range; a leap second counts as :59 */
static int take_clock(struct cursor *c, struct tm *tm)
{
	if (!take_digits(c, 2, 2, &tm->tm_hour) || !take_char(c, ':') ||
	    !take_digits(c, 2, 2, &tm->tm_min) || !take_char(c, ':') ||
	    !take_digits(c, 2, 2, &tm->tm_sec))
		return 0;
	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return 0;
	if (tm->tm_sec == 60)
		tm->tm_sec = 59;
	return 1;
}

/* stamp_ends - a stamp is followed by the end of the text or a space */
static int stamp_ends(const struct cursor *c)
{
	return at_end(c) || *c->p == ' ' || *c->p == '\t';
}

/* wall_seconds - FIELDS (in range, as the parsers check them) as
 * seconds since the epoch read as UTC: timegm's answer, by the civil-
 * from-days arithmetic instead of its normalising loop */
static time_t wall_seconds(const struct tm *fields)
{
	long long y = fields->tm_year + 1900LL, m = fields->tm_mon + 1;
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + fields->tm_mday - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (time_t)((era * 146097 + doe - 719468) * 86400 +
			fields->tm_hour * 3600LL + fields->tm_min * 60LL +
			fields->tm_sec);
}

/* what localtime_r says of one minute of one zone */
struct zone_memo {
	time_t minute;
	const char *zone[2];	/* tzname[] when it was taken: a tzset()
				 * for another zone changes them */
	long offset;		/* seconds east of UTC */
	int year;		/* local year, as tm_year */
	int used;
};

/* zone_at - the UTC offset and local year in force at instant T
 * (localtime_r does not re-read the zone file on every call, mktime
 * does); 0 if T cannot be shown. The last three answers are kept per
 * thread: in the years around now zones change only on whole minutes,
 * and a backlog asks about the same minutes (now, and a day either side
 * of each stamp) again and again */
static int zone_at(time_t t, long *offset, int *year)
{
	static __thread struct zone_memo memo[3];
	static __thread unsigned next;
	time_t minute = t / 60 - (t % 60 < 0);
	struct zone_memo *m = NULL;
	struct tm tm;

	for (unsigned i = 0; i < 3 && m == NULL; i++)
		if (memo[i].used && memo[i].minute == minute &&
		    memo[i].zone[0] == tzname[0] && memo[i].zone[1] == tzname[1])
			m = &memo[i];
	if (m == NULL) {
		if (localtime_r(&t, &tm) == NULL)
			return 0;
		m = &memo[next++ % 3];
		m->offset = tm.tm_gmtoff;
		m->year = tm.tm_year;
		m->minute = minute;
		m->zone[0] = tzname[0];	/* as localtime_r left them */
		m->zone[1] = tzname[1];
		m->used = 1;
	}
	*offset = m->offset;
	*year = m->year;
	return 1;
}

/* utc_offset - seconds east of UTC in force at instant T */
static long utc_offset(time_t t)
{
	long offset;
	int year;

	return zone_at(t, &offset, &year) ? offset : 0;
}

/* reads_back - does instant T show the wall-clock time FIELDS? */
static int reads_back(time_t t, const struct tm *fields)
{
	struct tm back;

	return localtime_r(&t, &back) != NULL &&
	       back.tm_year == fields->tm_year && back.tm_mon == fields->tm_mon &&
	       back.tm_mday == fields->tm_mday && back.tm_hour == fields->tm_hour &&
	       back.tm_min == fields->tm_min && back.tm_sec == fields->tm_sec;
}

/* local_time - the instant of a local wall-clock time. The offsets a day
 * before and after are the only candidates (zones change at most once a
 * day); in the repeated hour after a DST change the earlier instant wins
 * (an older stamp never extends an authorization); in the skipped hour of
 * a spring-forward change the offset from before the change is used */
static time_t local_time(const struct tm *fields)
{
	time_t wall = wall_seconds(fields), before, after;

	before = wall - utc_offset(wall - 86400);
	after = wall - utc_offset(wall + 86400);
	if (before == after)	/* every branch below answers it */
		return before;
	if (reads_back(before, fields) && reads_back(after, fields))
		return before < after ? before : after;
	if (reads_back(after, fields))
		return after;
	return before;
}

static int take_month_name(struct cursor *c, int *mon)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	if (c->end - c->p < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(c->p, names + 3 * i, 3) == 0) {
			*mon = i;
			c->p += 3;
			return 1;
		}
	return 0;
}

/* pick_year - of last, this and next year, the one whose wall-clock time
 * is closest to NOW's without being more than MAX_FUTURE ahead (compared
 * as wall-clock seconds: no time-zone work per candidate) */
static int pick_year(struct tm *tm, time_t now, time_t *out)
{
	time_t now_wall, best_dist = 0;
	int found = 0, best_year = 0, this_year;
	long offset;

	if (!zone_at(now, &offset, &this_year))
		return 0;
	now_wall = now + offset;
	for (int y = this_year - 1; y <= this_year + 1; y++) {
		struct tm candidate = *tm;
		time_t wall, dist;

		if (tm->tm_mday > days_in_month(y + 1900, tm->tm_mon))
			continue;	/* Feb 29 in a common year */
		candidate.tm_year = y;
		wall = wall_seconds(&candidate);
		if (wall > now_wall + MAX_FUTURE)
			continue;
		dist = wall > now_wall ? wall - now_wall : now_wall - wall;
		if (!found || dist < best_dist) {
			best_dist = dist;
			best_year = y;
			found = 1;
		}
	}
	if (!found)
		return 0;
	tm->tm_year = best_year;
	*out = local_time(tm);
	return *out != (time_t)-1;
}

/* parse_bsd - "Mmm dd hh:mm:ss", "Mmm  d ...", "Mmm d ...", "Mmm 03 ..." */
static int parse_bsd(struct cursor c, time_t now, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!take_month_name(&c, &tm.tm_mon) || !take_char(&c, ' '))
		return 0;
	(void)take_char(&c, ' ');	/* space-padded day */
	if (!take_digits(&c, 1, 2, &tm.tm_mday) || !take_char(&c, ' ') ||
	    !take_clock(&c, &tm) || !stamp_ends(&c))
		return 0;
	if (tm.tm_mday < 1 || tm.tm_mday > days_in_month(2000, tm.tm_mon))
		return 0;	/* 2000 was leap: Feb 29 may still be valid */
	return pick_year(&tm, now, out);
}

/* take_zone - "Z", "+hh:mm", "+hhmm", "+hh"; *OFFSET in seconds east */
static int take_zone(struct cursor *c, long *offset)
{
	int sign, hh, mm = 0;

	if (take_char(c, 'Z') || take_char(c, 'z')) {
		*offset = 0;
		return 1;
	}
	if (take_char(c, '+'))
		sign = 1;
	else if (take_char(c, '-'))
		sign = -1;
	else
		return 0;
	if (!take_digits(c, 2, 2, &hh))
		return -1;
	if (take_char(c, ':')) {
		if (!take_digits(c, 2, 2, &mm))
			return -1;
	} else if (!at_end(c) && *c->p >= '0' && *c->p <= '9') {
		if (!take_digits(c, 2, 2, &mm))
			return -1;
	}
	if (hh > 23 || mm > 59)
		return -1;
	*offset = sign * (hh * 3600L + mm * 60L);
	return 1;
}

/* parse_iso - "YYYY-MM-DD[T ]hh:mm:ss[.frac|,frac][zone]"; no zone = local */
static int parse_iso(struct cursor c, time_t *out)
{
	struct tm tm;
	int year, mon, frac;
	long offset = 0;

	memset(&tm, 0, sizeof(tm));
	if (!take_digits(&c, 4, 4, &year) || !take_char(&c, '-') ||
	    !take_digits(&c, 2, 2, &mon) || !take_char(&c, '-') ||
	    !take_digits(&c, 2, 2, &tm.tm_mday))
		return 0;
	if (!take_char(&c, 'T') && !take_char(&c, ' '))
		return 0;
	if (!take_clock(&c, &tm))
		return 0;
	if ((take_char(&c, '.') || take_char(&c, ',')) && !take_digits(&c, 1, 9, &frac))
		return 0;
	while (!at_end(&c) && *c.p >= '0' && *c.p <= '9')
		c.p++;		/* sub-nanosecond digits */
	int zone = take_zone(&c, &offset);
	if (zone < 0 || !stamp_ends(&c))
		return 0;
	if (year < 1970 || mon < 1 || mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > days_in_month(year, mon - 1))
		return 0;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	if (zone == 0) {
		time_t t = local_time(&tm);
		if (t == (time_t)-1)
			return 0;
		*out = t;
	} else {
		*out = wall_seconds(&tm) - offset;
	}
	return 1;
}

int time_parse(const char *text, size_t len, time_t now, time_t *out)
{
	struct cursor c;

	if (text == NULL || len == 0)
		return 0;
	c.p = text;
	c.end = text + len;
	if (text[0] >= '0' && text[0] <= '9')
		return parse_iso(c, out);
	return parse_bsd(c, now, out);
}
