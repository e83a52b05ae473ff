/*
 * test_dump.c - popgate-dump's output formats: the table and JSON lines
 * of a real database built with a pinned clock (TZ=UTC), compared with
 * golden files under tests/unit/golden/ (UPDATE_GOLDEN=1 rewrites them),
 * plus JSON escaping of hostile user names and the time-left text.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dump_format.h"
#include "store_fixture.h"

#define T0 1764072062	/* 2025-11-25 12:01:02 UTC */

static const struct store_params params = { 1800, 86400, 64, 0 };

static struct addr ip_key(const char *text, unsigned prefix)
{
	struct addr a = ip(text);

	addr_apply_ipv6_prefix(&a, prefix);
	return a;
}

static void fill(struct store *s)
{
	struct addr a = ip_key("192.0.2.1", 64);
	struct addr v6 = ip_key("2001:db8:1:2::5", 64);
	struct addr old = ip_key("198.51.100.7", 64);
	struct addr evil = ip_key("203.0.113.9", 64);
	struct batch b;

	batch_init(&b);
	batch_set_params(&b, &params);
	batch_login(&b, &a, T0 - 600, "pop3", "alice");
	batch_login(&b, &a, T0 - 300, "pop3", "alice");
	batch_login(&b, &a, T0 - 100, "imap", "alice@example.org");
	batch_login(&b, &v6, T0 - 1795, "imap", "bob");
	batch_login(&b, &old, T0 - 4000, "pop3", "carol");
	batch_login(&b, &evil, T0 - 2000, "imap",
		    "\"q\\b\x01\x1f\xff\xc3\xa9 ok \xe2\x82");
	batch_session(&b, &evil, T0 - 2000, 1);
	assert_int_equal(store_apply(s, &b), 0);
	batch_free(&b);
}

/* dump_setup - the shared store fixture, filled at a pinned time in UTC */
static int dump_setup(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	if (setup(state) < 0)
		return -1;
	clock_set(T0);
	fill(((struct fixture *)*state)->s);
	return 0;
}

/* ---- collecting rows as popgate-dump does ---- */

struct collect {
	struct dump_table table;
	int all;
};

static int collect_row(const struct addr *a, const struct record *r,
		       void *ctx)
{
	struct collect *c = ctx;
	struct dump_row row = { *a, *r, record_expires(r, &params), 0 };

	if (c->all || clock_now() < row.expires)
		dump_table_add(&c->table, &row);
	return 0;
}

static void collect(struct store *s, int all, struct dump_table *t)
{
	struct collect c = { { NULL, 0, 0 }, all };

	assert_int_equal(store_each(s, collect_row, &c), 0);
	*t = c.table;
}

/* check_golden - OUT (LEN bytes) equals tests/unit/golden/NAME */
static void check_golden(const char *name, const char *out, size_t len)
{
	const char *top = getenv("POPGATE_TOP");
	char path[512], want[8192];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/unit/golden/%s",
		 top ? top : ".", name);
	if (getenv("UPDATE_GOLDEN")) {
		assert_non_null(fp = fopen(path, "w"));
		assert_int_equal(fwrite(out, 1, len, fp), len);
		fclose(fp);
	}
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("%s: missing (run with UPDATE_GOLDEN=1 from the top)",
			 path);
	n = fread(want, 1, sizeof(want), fp);
	fclose(fp);
	if (n != len || memcmp(want, out, len) != 0) {
		print_message("got:\n%.*s\nwant (%s):\n%.*s\n", (int)len, out,
			      path, (int)n, want);
		fail();
	}
}

/* render - list the fixture's database as a table or as JSON lines and
 * compare with the golden file */
static void render(void **state, int all, int json, const char *golden)
{
	struct fixture *f = *state;
	struct dump_table t;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *out = open_memstream(&buf, &len);

	collect(f->s, all, &t);
	if (json) {
		for (i = 0; i < t.n; i++)
			dump_json_row(out, &t.rows[i], params.ipv6_prefix);
	} else {
		dump_table_print(out, &t, params.ipv6_prefix, clock_now());
	}
	fclose(out);
	check_golden(golden, buf, len);
	dump_table_free(&t);
	free(buf);
}

static void test_table_live(void **state)
{
	render(state, 0, 0, "dump_table.txt");
}

static void test_table_all(void **state)
{
	render(state, 1, 0, "dump_table_all.txt");
}

static void test_json_all(void **state)
{
	render(state, 1, 1, "dump_json.txt");
}

static void expect_json(const char *in, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	dump_json_string(out, in);
	fclose(out);
	assert_string_equal(buf, want);
	free(buf);
}

static void test_json_escaping(void **state)
{
	(void)state;
	expect_json("alice", "\"alice\"");
	expect_json("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_json("\n\t\x1f\x7f", "\"\\u000a\\u0009\\u001f\x7f\"");
	expect_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	expect_json("\xff\xfe", "\"\\u00ff\\u00fe\"");
	expect_json("\xc0\xaf", "\"\\u00c0\\u00af\"");	/* overlong '/' */
	expect_json("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");	/* surrogate */
	expect_json("\xe2\x82", "\"\\u00e2\\u0082\"");	/* cut short */
	expect_json("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");
	expect_json("x\xc3", "\"x\\u00c3\"");
}

static void expect_left(long long s, const char *want)
{
	char buf[32];

	dump_time_left(s, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_time_left(void **state)
{
	(void)state;
	expect_left(-5, "expired");
	expect_left(0, "expired");
	expect_left(1, "1s");
	expect_left(45, "45s");
	expect_left(60, "1m");
	expect_left(720, "12m");
	expect_left(750, "12m30s");
	expect_left(3900, "1h5m");
	expect_left(3959, "1h5m");
	expect_left(86400 * 2 + 3 * 3600, "2d3h");
}

static void test_addr_text(void **state)
{
	struct addr v6 = ip_key("2001:db8:1:2::5", 64), v4 = ip_key("192.0.2.1", 64);
	char buf[80];

	(void)state;
	dump_addr_text(&v6, 64, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1:2::/64");
	dump_addr_text(&v4, 64, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1");
	v6 = ip_key("2001:db8::5", 128);
	dump_addr_text(&v6, 128, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::5");
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	struct position p = { .dev = 2049, .ino = 1234, .offset = 5678,
			      .fingerprint = 1, .fingerprint_len = 10 };
	struct batch b;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	batch_init(&b);
	batch_put_position(&b, "/var/log/mail.log", &p);
	batch_put_position(&b, "/var/log/\x1b[31mevil", &p);
	batch_counter_add(&b, "lines_read", 42);
	assert_int_equal(store_apply(f->s, &b), 0);
	batch_free(&b);
	out = open_memstream(&buf, &len);
	assert_int_equal(dump_stats(out, f->s, clock_now(), &params), 0);
	fclose(out);
	print_message("%s", buf);
	assert_non_null(strstr(buf, "entries: 4\nexpired: 1\n"));
	assert_non_null(strstr(buf, "window: 30m\nsession_max: 1d\n"));
	assert_non_null(strstr(buf, "positions:\n"));
	assert_non_null(strstr(buf, "  /var/log/mail.log: dev 2049 ino 1234 "
			       "offset 5678\n"));
	assert_non_null(strstr(buf, "/var/log/\\x1b[31mevil"));
	assert_non_null(strstr(buf, "counters:\n  lines_read: 42\n"));
	assert_null(strchr(buf, '\x1b'));
	free(buf);
}

/* times a hostile file may hold: no overflow, no crash */
static void test_extreme_times(void **state)
{
	struct dump_row rows[2];
	struct dump_table t;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	memset(rows, 0, sizeof(rows));
	rows[0].addr = ip_key("192.0.2.1", 128);
	rows[0].rec.last_seen = INT64_MIN;
	rows[0].rec.first_seen = INT64_MAX;
	rows[0].expires = record_expires(&rows[0].rec, &params);
	rows[1].addr = ip_key("192.0.2.2", 128);
	rows[1].rec.last_seen = INT64_MAX;
	rows[1].rec.open_sessions = 1;
	rows[1].rec.session_start = INT64_MAX;
	rows[1].expires = record_expires(&rows[1].rec, &params);
	assert_true(rows[1].expires == (time_t)INT64_MAX);
	dump_table_init(&t);
	dump_table_add(&t, &rows[0]);
	dump_table_add(&t, &rows[1]);
	dump_table_print(out, &t, 128, T0);
	dump_json_row(out, &rows[0], 128);
	dump_json_row(out, &rows[1], 128);
	fclose(out);
	print_message("%s", buf);
	assert_non_null(strstr(buf, "expired"));
	dump_table_free(&t);
	free(buf);
}

#define T(name) cmocka_unit_test_setup_teardown(name, dump_setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_table_live),
		T(test_table_all),
		T(test_json_all),
		T(test_stats),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_time_left),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_extreme_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
