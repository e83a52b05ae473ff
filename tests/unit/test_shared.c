/*
 * test_shared.c - the shared-address rule: the recent distinct users a
 * record keeps (bounded, newest kept), the threshold inside the window,
 * one counted spell per sharing, lookups answering "shared" while it
 * lasts, version 1 records and parameters still read, popgate-dump's
 * per-user match.
 */
#include "unit.h"
#include "store_fixture.h"

#define T0 1700000000

static const struct store_params shared5 = { 1800, 0, 0, 5 };

static void set_params(struct store *s, const struct store_params *p)
{
	struct batch b;

	batch_init(&b);
	batch_set_params(&b, p);
	assert_int_equal(store_apply(s, &b), 0);
	batch_free(&b);
}

static void test_recent_users_bounded(void **state)
{
	struct record r;
	char name[16];

	(void)state;
	memset(&r, 0, sizeof r);
	for (int i = 0; i < 100; i++) {	/* many names: only the newest kept */
		snprintf(name, sizeof name, "u%d", i);
		record_login(&r, i > 0, T0 + i, "pop3", name);
	}
	assert_int_equal(record_recent_users(&r, 1800, T0 + 100),
			 SHARED_USERS_MAX);
	assert_true(record_has_user(&r, "u99"));
	assert_true(record_has_user(&r, "u92"));
	assert_false(record_has_user(&r, "u91"));
	record_login(&r, 1, T0 + 10, "pop3", "old");	/* older than all kept */
	assert_false(record_has_user(&r, "old"));
	assert_int_equal(record_recent_users(&r, 1800, T0 + 92 + 1800), 7);
	assert_int_equal(record_recent_users(&r, 1800, T0 + 99 + 1800), 0);
}

static void test_threshold_and_window(void **state)
{
	struct record r;
	char name[16];

	(void)state;
	memset(&r, 0, sizeof r);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "u%d", i);
		record_login(&r, i > 0, T0 + i, "pop3", name);
		record_login(&r, 1, T0 + i, "pop3", name);	/* again: same */
	}
	record_login(&r, 1, T0 + 5, "pop3", "");	/* no name: not counted */
	assert_false(record_shared(&r, &shared5, T0 + 5));
	assert_int_equal(record_shared_spell(&r, &shared5, T0 + 5), 0);
	record_login(&r, 1, T0 + 6, "pop3", "u4");
	assert_true(record_shared(&r, &shared5, T0 + 6));
	assert_int_equal(record_shared_spell(&r, &shared5, T0 + 6), 1);
	assert_int_equal(record_shared_spell(&r, &shared5, T0 + 7), 0);
	/* u0 leaves the window: no longer shared, the spell ends */
	assert_false(record_shared(&r, &shared5, T0 + 1800));
	assert_int_equal(record_shared_spell(&r, &shared5, T0 + 1800), 0);
	record_login(&r, 1, T0 + 1800, "pop3", "u5");	/* u1..u5: again */
	assert_int_equal(record_shared_spell(&r, &shared5, T0 + 1800), 1);
}

/* ten users at one address, one at another: the first is shared once */
static void test_store_spell_counted_once(void **state)
{
	struct fixture *f = *state;
	struct record r;
	struct addr a = ip("192.0.2.10"), b = ip("192.0.2.20");
	uint64_t n = 0;
	char name[16];

	clock_set(T0 + 20);
	set_params(f->s, &shared5);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "user%d", i);
		login(f->s, "192.0.2.10", T0 + i, name);
		login(f->s, "192.0.2.20", T0 + i, "alice");
	}
	assert_int_equal(store_get_counter(f->s, "shared_addresses", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_lookup(f->s, &a, T0 + 20, &shared5, &r),
			 STORE_SHARED);
	assert_true(r.flags & RECORD_SHARED_NOTED);
	assert_int_equal(store_lookup(f->s, &b, T0 + 20, &shared5, &r),
			 STORE_LISTED);
	/* without the rule the same record is listed */
	assert_int_equal(store_lookup(f->s, &a, T0 + 20, &window30, &r),
			 STORE_LISTED);
	assert_true(store_get_time(f->s, "last_login") >= T0 + 20);
}

/* a version 1 record (116 bytes) and version 1 parameters still read */
static void test_version1_values(void **state)
{
	struct fixture *f = *state;
	unsigned char val[RECORD_VALUE_SIZE], params[16];
	struct addr a = ip("192.0.2.30");
	struct store_params p;
	struct record r;

	memset(&r, 0, sizeof r);
	record_login(&r, 0, T0, "imap", "bob");
	record_encode(&r, val);
	val[0] = 1;
	memset(params, 0, sizeof params);
	params[0] = 1;
	params[4] = 60;		/* window 60 s, little-endian */
	params[12] = 64;
	store_close(f->s);
	f->s = NULL;
	raw_put(f->path, "records", a.b, 16, val, RECORD_V1_SIZE);
	raw_put(f->path, "meta", "params", 6, params, sizeof params);
	assert_int_equal(reopen(f, STORE_READONLY), STORE_OK);
	memset(&r, 0xff, sizeof r);
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_string_equal(r.user, "bob");
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.users[0].hash, 0);
	assert_int_equal(store_read_params(f->s, &p), 1);
	assert_int_equal(p.window, 60);
	assert_int_equal(p.ipv6_prefix, 64);
	assert_int_equal(p.shared_users, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recent_users_bounded),
		cmocka_unit_test(test_threshold_and_window),
		cmocka_unit_test_setup_teardown(test_store_spell_counted_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_version1_values, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
