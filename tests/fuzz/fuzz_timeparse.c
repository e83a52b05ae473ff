/*
 * fuzz_timeparse.c - libFuzzer harness for log time stamps
 * (src/timeparse.c). Byte 0 picks "now" (year ends, leap day, DST
 * changes), the rest is the start of a log line. A parsed BSD stamp must
 * lie within the year before now and at most a day ahead; an RFC 3339
 * stamp must land in the year it names (give or take its zone). A plain
 * zoned RFC 3339 stamp must give exactly the reference instant, and a BSD
 * stamp must read back as the same local month, day and clock. Runs in
 * Europe/Berlin (FUZZ_TZ overrides) so DST gaps are exercised.
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fuzz.h"
#include "timeparse.h"

#define DAY 86400
#define YEAR_MIN 0
#define YEAR_MAX 9999
#define SHOWN(n) (int)((n) < 32 ? (n) : 32)	/* bytes of a stamp in a message */

static const time_t nows[] = {
	FUZZ_CLOCK,		/* 2026-11-23 11:10:00 UTC */
	1798761630,		/* 2027-01-01 00:00:30 UTC */
	1835438400,		/* 2028-02-29 12:00:00 UTC */
	1774747800,		/* 2026-03-29 01:30:00 UTC: DST starts */
	1792891800,		/* 2026-10-25 01:30:00 UTC: DST ends */
	1798761599,		/* 2026-12-31 23:59:59 UTC */
	4102444800,		/* 2100-01-01 00:00:00 UTC */
};
#define N_NOWS (sizeof nows / sizeof nows[0])

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tz = getenv("FUZZ_TZ");

	(void)argc;
	(void)argv;
	setenv("TZ", tz ? tz : "Europe/Berlin", 1);
	tzset();
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* named_year - the year a "YYYY-" stamp starts with, or -1 */
static int named_year(const char *s, size_t n)
{
	if (n < 5 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) ||
	    !is_digit(s[3]) || s[4] != '-')
		return -1;
	return (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
}

struct ref {			/* a reference reader of one stamp */
	const char *s;
	size_t n, i;
};

/* ref_num - exactly DIGITS digits */
static int ref_num(struct ref *r, int digits, int *v)
{
	for (*v = 0; digits > 0; digits--, r->i++) {
		if (r->i >= r->n || !is_digit(r->s[r->i]))
			return 0;
		*v = *v * 10 + (r->s[r->i] - '0');
	}
	return 1;
}

static int ref_char(struct ref *r, char c)
{
	if (r->i >= r->n || r->s[r->i] != c)
		return 0;
	r->i++;
	return 1;
}

/* ref_clock - "hh:mm:ss", ranges not checked */
static int ref_clock(struct ref *r, struct tm *tm)
{
	return ref_num(r, 2, &tm->tm_hour) && ref_char(r, ':') &&
	    ref_num(r, 2, &tm->tm_min) && ref_char(r, ':') &&
	    ref_num(r, 2, &tm->tm_sec);
}

static int ref_ends(const struct ref *r)
{
	return r->i == r->n || r->s[r->i] == ' ';
}

/* ref_zone - "Z", "+hh:mm" or "+hhmm" in seconds east */
static int ref_zone(struct ref *r, long *offset)
{
	int sign = r->i < r->n && r->s[r->i] == '-' ? -1 : 1, hh, mm;

	if (ref_char(r, 'Z')) {
		*offset = 0;
		return 1;
	}
	if (!ref_char(r, '+') && !ref_char(r, '-'))
		return 0;
	if (!ref_num(r, 2, &hh))
		return 0;
	(void)ref_char(r, ':');
	if (!ref_num(r, 2, &mm) || hh > 23 || mm > 59)
		return 0;
	*offset = sign * (hh * 3600L + mm * 60L);
	return 1;
}

static int days_in(int year, int mon)	/* mon 1..12 */
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

/* ref_iso_zoned - the instant of a plain, valid "YYYY-MM-DDThh:mm:ss[.f]Z"
 * (or +hh:mm) stamp; 0 when the text is anything else */
static int ref_iso_zoned(const char *s, size_t n, time_t *out)
{
	struct ref r = { s, n, 0 };
	struct tm tm;
	int year, mon, frac;
	long offset;

	memset(&tm, 0, sizeof tm);
	if (!ref_num(&r, 4, &year) || !ref_char(&r, '-') ||
	    !ref_num(&r, 2, &mon) || !ref_char(&r, '-') ||
	    !ref_num(&r, 2, &tm.tm_mday) ||
	    (!ref_char(&r, 'T') && !ref_char(&r, ' ')) || !ref_clock(&r, &tm))
		return 0;
	if (ref_char(&r, '.')) {
		if (!ref_num(&r, 1, &frac))
			return 0;
		while (r.i < r.n && is_digit(s[r.i]))
			r.i++;
	}
	if (!ref_zone(&r, &offset) || !ref_ends(&r) || year < 1970 ||
	    mon < 1 || mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > days_in(year, mon) || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 59)
		return 0;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	*out = timegm(&tm) - offset;
	return 1;
}

/* ref_bsd - the fields of a "Mmm dd hh:mm:ss" stamp (day "d", " d",
 * "dd" or " dd"); 0 if the text is not one */
static int ref_bsd(const char *s, size_t n, struct tm *tm)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct ref r = { s, n, 3 };
	int digit;

	memset(tm, 0, sizeof *tm);
	if (n < 3)
		return 0;
	for (tm->tm_mon = 0; tm->tm_mon < 12; tm->tm_mon++)
		if (memcmp(s, names + 3 * tm->tm_mon, 3) == 0)
			break;
	if (tm->tm_mon == 12 || !ref_char(&r, ' '))
		return 0;
	(void)ref_char(&r, ' ');
	if (!ref_num(&r, 1, &tm->tm_mday))
		return 0;
	if (r.i < r.n && is_digit(s[r.i]) && ref_num(&r, 1, &digit))
		tm->tm_mday = tm->tm_mday * 10 + digit;
	return ref_char(&r, ' ') && ref_clock(&r, tm) && ref_ends(&r) &&
	    tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 59;
}

/* in_gap - local fields WANT in year YEAR name no instant (DST gap) */
static int in_gap(const struct tm *want, int year)
{
	struct tm probe = *want, back;
	time_t t;

	probe.tm_year = year;
	probe.tm_isdst = -1;
	t = mktime(&probe);
	return localtime_r(&t, &back) == NULL || back.tm_hour != want->tm_hour ||
	    back.tm_min != want->tm_min || back.tm_mday != want->tm_mday ||
	    back.tm_mon != want->tm_mon;
}

/* check_exact - T against the reference readings of TEXT */
static void check_exact(const char *text, size_t n, int parsed, time_t t)
{
	struct tm want, got;
	time_t ref;

	if (ref_iso_zoned(text, n, &ref) && (!parsed || t != ref))
		fuzz_bug("stamp \"%.*s\" gave %d/%lld, reference %lld", SHOWN(n),
			 text, parsed, (long long)t, (long long)ref);
	if (!parsed || !ref_bsd(text, n, &want))
		return;
	if (localtime_r(&t, &got) == NULL ||
	    ((got.tm_mon != want.tm_mon || got.tm_mday != want.tm_mday ||
	      got.tm_hour != want.tm_hour || got.tm_min != want.tm_min ||
	      got.tm_sec != want.tm_sec) && !in_gap(&want, got.tm_year)))
		fuzz_bug("stamp \"%.*s\" gave %lld, local %02d-%02d %02d:%02d:%02d",
			 SHOWN(n), text, (long long)t, got.tm_mon + 1, got.tm_mday,
			 got.tm_hour, got.tm_min, got.tm_sec);
}

/* check_stamp - TEXT parsed to T at NOW */
static void check_stamp(const char *text, size_t n, time_t now, time_t t)
{
	int year = named_year(text, n);
	struct tm tm;

	if (year < 0) {
		if (t > now + DAY || t < now - 368 * (time_t)DAY)
			fuzz_bug("stamp \"%.*s\" read at %lld gave %lld: not within"
				 " the last year", SHOWN(n), text, (long long)now,
				 (long long)t);
		return;
	}
	if (gmtime_r(&t, &tm) == NULL)
		fuzz_bug("stamp \"%.*s\" gave %lld: no calendar date", SHOWN(n),
			 text, (long long)t);
	if (tm.tm_year + 1900 < year - 1 || tm.tm_year + 1900 > year + 1 ||
	    tm.tm_year + 1900 < YEAR_MIN - 1 || tm.tm_year + 1900 > YEAR_MAX + 1)
		fuzz_bug("stamp \"%.*s\" gave year %d", SHOWN(n), text,
			 tm.tm_year + 1900);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	time_t now, t = 0, again = 0;
	char *text;
	size_t n;
	int r;

	if (size < 1)
		return 0;
	now = nows[data[0] % N_NOWS];
	clock_set(now);
	n = size - 1;
	text = fuzz_copy(data + 1, n);
	r = time_parse(text, n, now, &t);
	if (r != 0 && r != 1)
		fuzz_bug("time_parse returned %d", r);
	if (r != time_parse(text, n, now, &again) || (r == 1 && t != again))
		fuzz_bug("time_parse gave two answers for \"%.*s\": %lld, then %lld",
			 SHOWN(n), text, (long long)t, (long long)again);
	if (r == 1)
		check_stamp(text, n, now, t);
	check_exact(text, n, r, t);
	free(text);
	return 0;
}
