/*
 * fuzz_timeparse.c - libFuzzer harness for log time stamps
 * (src/timeparse.c). Byte 0 picks "now" (year ends, leap day, DST
 * changes), the rest is the start of a log line. A parsed BSD stamp must
 * lie within the year before now and at most a day ahead; an RFC 3339
 * stamp must land in the year it names (give or take its zone). Runs in
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
	free(text);
	return 0;
}
