/*
 * test_timeparse.c - log time stamps: BSD syslog in local time with the
 * year inferred from now (December lines read in January, never more than
 * a day ahead), RFC 3339 / ISO 8601 with and without zone, Dovecot
 * log_path stamps, and refusal of out-of-range fields.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"

#include "timeparse.h"
#include "util.h"

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* utc - epoch seconds of a UTC calendar time */
static time_t utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static time_t parse_ok(const char *text, time_t now)
{
	time_t t = 0;

	if (!time_parse(text, strlen(text), now, &t))
		fail_msg("not parsed: \"%s\"", text);
	return t;
}

static void parse_bad(const char *text, time_t now)
{
	time_t t;

	if (time_parse(text, strlen(text), now, &t))
		fail_msg("parsed but should not: \"%s\"", text);
}

static void test_bsd_utc(void **state)
{
	time_t now = utc(2026, 3, 7, 12, 0, 0);

	(void)state;
	set_tz("UTC");
	assert_int_equal(parse_ok("Mar  7 09:01:02 host prog: x", now),
			 utc(2026, 3, 7, 9, 1, 2));
	assert_int_equal(parse_ok("Mar 7 09:01:02 host", now), utc(2026, 3, 7, 9, 1, 2));
	assert_int_equal(parse_ok("Mar 07 09:01:02 pop3-login: Info:", now),
			 utc(2026, 3, 7, 9, 1, 2));
	assert_int_equal(parse_ok("Nov 23 11:03:39", now), utc(2025, 11, 23, 11, 3, 39));
	assert_int_equal(parse_ok("Dec 31 23:59:60 x", now), utc(2025, 12, 31, 23, 59, 59));
}

static void test_bsd_year_inference(void **state)
{
	time_t new_year = utc(2027, 1, 1, 0, 5, 0);
	time_t new_year_eve = utc(2026, 12, 31, 23, 0, 0);
	time_t march = utc(2026, 3, 1, 12, 0, 0);

	(void)state;
	set_tz("UTC");
	/* a December line read on Jan 1 belongs to last year */
	assert_int_equal(parse_ok("Dec 31 23:59:58 h", new_year), utc(2026, 12, 31, 23, 59, 58));
	/* a Jan 1 line read an hour early (clock skew) is next year */
	assert_int_equal(parse_ok("Jan  1 00:30:00 h", new_year_eve), utc(2027, 1, 1, 0, 30, 0));
	/* up to a day ahead is this year; more is last year */
	assert_int_equal(parse_ok("Mar  2 11:00:00 h", march), utc(2026, 3, 2, 11, 0, 0));
	assert_int_equal(parse_ok("Mar  5 12:00:00 h", march), utc(2025, 3, 5, 12, 0, 0));
	/* Feb 29 exists only in leap years: last year's, or none near now */
	assert_int_equal(parse_ok("Feb 29 10:00:00 h", utc(2025, 3, 1, 0, 0, 0)),
			 utc(2024, 2, 29, 10, 0, 0));
	parse_bad("Feb 29 10:00:00 h", march);
}

static void test_bsd_local_time(void **state)
{
	time_t summer = utc(2026, 7, 1, 12, 0, 0);
	time_t winter = utc(2026, 1, 15, 12, 0, 0);

	(void)state;
	set_tz("Europe/Berlin");
	assert_int_equal(parse_ok("Jul  1 09:00:00 h", summer), utc(2026, 7, 1, 7, 0, 0));
	assert_int_equal(parse_ok("Jan 15 09:00:00 h", winter), utc(2026, 1, 15, 8, 0, 0));
	set_tz("America/New_York");
	assert_int_equal(parse_ok("Jan 15 09:00:00 h", winter), utc(2026, 1, 15, 14, 0, 0));
	set_tz("UTC");
}

static void test_bsd_rejects(void **state)
{
	time_t now = utc(2026, 3, 7, 12, 0, 0);

	(void)state;
	set_tz("UTC");
	parse_bad("", now);
	parse_bad("Foo  7 09:01:02 h", now);
	parse_bad("mar  7 09:01:02 h", now);
	parse_bad("Mar 32 09:01:02 h", now);
	parse_bad("Mar  0 09:01:02 h", now);
	parse_bad("Feb 30 09:01:02 h", now);
	parse_bad("Apr 31 09:01:02 h", now);
	parse_bad("Mar  7 25:01:02 h", now);
	parse_bad("Mar  7 09:60:02 h", now);
	parse_bad("Mar  7 09:01:61 h", now);
	parse_bad("Mar  7 9:01:02 h", now);
	parse_bad("Mar   7 09:01:02 h", now);
	parse_bad("Mar  7 09:01:02x", now);
	parse_bad("Mar  7 09:01", now);
	parse_bad("dovecot: pop3-login: Login", now);
	/* LEN is respected: the stamp is cut short */
	assert_int_equal(time_parse("Mar  7 09:01:02", 12, now, &(time_t){ 0 }), 0);
}

static void test_rfc3339(void **state)
{
	time_t want = utc(2026, 11, 23, 11, 6, 24);

	(void)state;
	set_tz("Europe/Berlin");	/* a zone in the stamp wins over TZ */
	assert_int_equal(parse_ok("2026-11-23T11:06:24.256407+00:00 vm pop3d:", 0), want);
	assert_int_equal(parse_ok("2026-11-23T11:06:24Z", 0), want);
	assert_int_equal(parse_ok("2026-11-23T11:06:24z x", 0), want);
	assert_int_equal(parse_ok("2026-11-23T12:06:24+0100 x", 0), want);
	assert_int_equal(parse_ok("2026-11-23T12:06:24+01:00", 0), want);
	assert_int_equal(parse_ok("2026-11-23T06:06:24-05:00", 0), want);
	assert_int_equal(parse_ok("2026-11-23T11:06:24.1234567890123Z", 0), want);
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z", 0), utc(2024, 2, 29, 0, 0, 0));
}

static void test_iso_local(void **state)
{
	(void)state;
	set_tz("Europe/Berlin");
	/* Dovecot log_timestamp "%Y-%m-%d %H:%M:%S ", Zimbra "..,mmm": local */
	assert_int_equal(parse_ok("2026-11-23 12:06:24 imap-login: Info:", 0),
			 utc(2026, 11, 23, 11, 6, 24));
	assert_int_equal(parse_ok("2026-07-23 12:06:24,207 INFO", 0),
			 utc(2026, 7, 23, 10, 6, 24));
	assert_int_equal(parse_ok("2026-07-23T12:06:24.5", 0), utc(2026, 7, 23, 10, 6, 24));
	set_tz("UTC");
}

static void test_iso_rejects(void **state)
{
	(void)state;
	set_tz("UTC");
	parse_bad("2026-13-01T00:00:00Z", 0);
	parse_bad("2026-00-01T00:00:00Z", 0);
	parse_bad("2026-02-29T00:00:00Z", 0);
	parse_bad("2026-02-30T00:00:00Z", 0);
	parse_bad("2026-04-31T00:00:00Z", 0);
	parse_bad("2026-01-32T00:00:00Z", 0);
	parse_bad("2026-01-01T24:00:00Z", 0);
	parse_bad("2026-01-01T23:60:00Z", 0);
	parse_bad("2026-01-01T23:00:00+25:00", 0);
	parse_bad("2026-01-01T23:00:00+01:7", 0);
	parse_bad("2026-01-01T23:00:00.Z", 0);
	parse_bad("2026-01-01X23:00:00Z", 0);
	parse_bad("2026-01-01T23:00:00Zjunk", 0);
	parse_bad("1969-12-31T23:59:59Z", 0);
	parse_bad("20260101T230000Z", 0);
	parse_bad("2026-1-01T23:00:00Z", 0);
	assert_int_equal(time_parse("2026-01-01T23:00:00Z", 15, 0, &(time_t){ 0 }), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bsd_utc),
		cmocka_unit_test(test_bsd_year_inference),
		cmocka_unit_test(test_bsd_local_time),
		cmocka_unit_test(test_bsd_rejects),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_iso_local),
		cmocka_unit_test(test_iso_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
