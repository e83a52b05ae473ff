/*
 * test_sink.c - the one login sink on a real database: the window and
 * future-stamp rules, ignore_networks before and after the IPv6 prefix,
 * sessions, commits from two threads at once, and a failing commit that
 * keeps its batch and backs off.
 */
#include "unit.h"

#include <pthread.h>

#include "counters.h"
#include "sink.h"
#include "store_fixture.h"

#define NOW 1700000000

struct sink_fixture {
	struct fixture f;
	struct config cfg;
	struct sink *sink;
};

static int sink_setup(void **state)
{
	struct sink_fixture *x;
	void *fs;

	if (setup(&fs) != 0)
		return -1;
	x = xcalloc(1, sizeof *x);
	x->f = *(struct fixture *)fs;
	free(fs);
	config_init(&x->cfg);	/* ignore_networks: 127.0.0.0/8, ::1/128 */
	x->cfg.session_max = 3600;
	clock_set(NOW);
	x->sink = sink_new(&x->cfg, x->f.s);
	*state = x;
	return 0;
}

static int sink_teardown(void **state)
{
	struct sink_fixture *x = *state;
	struct fixture *f = xcalloc(1, sizeof *f);
	void *fs = f;

	sink_free(x->sink);
	config_free(&x->cfg);
	*f = x->f;
	free(x);
	counters_destroy();
	return teardown(&fs);
}

static struct sink_event event(const char *text, time_t t, int session)
{
	struct sink_event e;

	memset(&e, 0, sizeof e);
	e.addr = ip(text);
	e.has_addr = 1;
	e.user = "alice";
	e.service = "imap";
	e.format = "dovecot";
	e.time = t;
	e.live = 1;
	e.session = session;
	return e;
}

static enum sink_outcome login_at(struct sink_fixture *x, const char *text,
				  time_t t, int session)
{
	struct sink_event e = event(text, t, session);

	return sink_login(x->sink, "test", &e);
}

static enum sink_outcome logout_at(struct sink_fixture *x, const char *text,
				   time_t t)
{
	struct sink_event e = event(text, t, 0);

	return sink_logout(x->sink, "test", &e);
}

/* listed - TEXT authorized at AT by what is committed */
static int listed(struct sink_fixture *x, const char *text, time_t at)
{
	struct addr a = ip(text);
	struct store_params p = { x->cfg.window, x->cfg.session_max,
				  x->cfg.ipv6_prefix };

	return store_lookup(x->f.s, &a, at, &p, NULL);
}

static void test_window_and_future(void **state)
{
	struct sink_fixture *x = *state;
	time_t w = (time_t)x->cfg.window;
	struct record r;
	struct addr a = ip("192.0.2.3");

	assert_int_equal(login_at(x, "192.0.2.1", NOW - 10, 0), SINK_LOGIN);
	assert_int_equal(login_at(x, "192.0.2.2", NOW - w, 0), SINK_TOO_OLD);
	/* a stamp more than a minute ahead counts as now; none is now too */
	assert_int_equal(login_at(x, "192.0.2.3", NOW + 3600, 0), SINK_LOGIN);
	assert_int_equal(login_at(x, "192.0.2.4", 0, 0), SINK_LOGIN);
	assert_int_equal(sink_time(NOW + SINK_FUTURE_SLACK, NOW),
			 NOW + SINK_FUTURE_SLACK);
	assert_int_equal(sink_time(NOW + SINK_FUTURE_SLACK + 1, NOW), NOW);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(sink_take_changed(x->sink), 1);
	assert_int_equal(sink_take_changed(x->sink), 0);
	assert_int_equal(listed(x, "192.0.2.1", NOW), 1);
	assert_int_equal(listed(x, "192.0.2.2", NOW), 0);
	assert_int_equal(store_get(x->f.s, &a, &r), 1);
	assert_int_equal(r.last_seen, NOW);
	assert_int_equal(listed(x, "192.0.2.4", NOW + w - 1), 1);
}

static void test_ignored_and_prefix(void **state)
{
	struct sink_fixture *x = *state;
	struct net n;
	struct record r;
	struct addr want = ip("2001:db8:1:2::");

	assert_int_equal(login_at(x, "127.0.0.5", NOW, 0), SINK_IGNORED);
	assert_int_equal(login_at(x, "::1", NOW, 0), SINK_IGNORED);
	x->cfg.ipv6_prefix = 64;
	assert_int_equal(login_at(x, "2001:db8:1:2:3:4:5:6", NOW, 0),
			 SINK_LOGIN);
	/* an ignored host inside the /64 of another client: not recorded */
	assert_int_equal(net_parse("2001:db8:9:9::25", &n), 0);
	x->cfg.ignore_networks.v = xrealloc(x->cfg.ignore_networks.v,
					    (x->cfg.ignore_networks.n + 1) *
					    sizeof n);
	x->cfg.ignore_networks.v[x->cfg.ignore_networks.n++] = n;
	assert_int_equal(login_at(x, "2001:db8:9:9::26", NOW, 0),
			 SINK_IGNORED);
	assert_int_equal(login_at(x, "2001:db8:9:9::25", NOW, 0),
			 SINK_IGNORED);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(store_get(x->f.s, &want, &r), 1);
	want = ip("2001:db8:9:9::");
	assert_int_equal(store_get(x->f.s, &want, &r), 0);
	want = ip("127.0.0.5");
	assert_int_equal(store_get(x->f.s, &want, &r), 0);
}

static void test_session_by_address(void **state)
{
	struct sink_fixture *x = *state;
	time_t w = (time_t)x->cfg.window;

	assert_int_equal(login_at(x, "192.0.2.9", NOW - 100, 1), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	/* open: authorized past the window */
	assert_int_equal(listed(x, "192.0.2.9", NOW - 100 + w + 50), 1);
	clock_set(NOW + w + 50);
	assert_int_equal(logout_at(x, "192.0.2.9", NOW + w), SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(listed(x, "192.0.2.9", NOW + 2 * w - 1), 1);
	assert_int_equal(listed(x, "192.0.2.9", NOW + 2 * w), 0);
}

/* ---- two threads ---- */

#define PER_THREAD 3000

struct feeder {
	struct sink_fixture *x;
	unsigned base;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	char text[32];

	for (unsigned i = 0; i < PER_THREAD; i++) {
		struct sink_event e;

		snprintf(text, sizeof text, "10.%u.%u.%u", f->base,
			 (i >> 8) & 0xff, i & 0xff);
		e = event(text, NOW, 0);
		e.live = 0;
		sink_login(f->x->sink, "thread", &e);
		if (sink_full(f->x->sink))
			sink_commit(f->x->sink);
	}
	sink_commit(f->x->sink);
	return NULL;
}

static void test_two_sources_at_once(void **state)
{
	struct sink_fixture *x = *state;
	struct feeder f[2] = { { x, 1 }, { x, 2 } };
	pthread_t t[2];
	size_t n = 0;
	uint64_t recorded = 0;

	counters_destroy();	/* start the ingest counts from 0 */
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, feed, &f[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(store_each(x->f.s, count_entries, &n), 0);
	assert_int_equal(n, 2 * PER_THREAD);
	assert_int_equal(store_get_counter(x->f.s, "logins_recorded",
					   &recorded), 0);
	assert_int_equal(recorded, 2 * PER_THREAD);
}

/* a store that cannot be written: the batch is kept, retries back off */
static void test_failed_commit_keeps_the_batch(void **state)
{
	struct sink_fixture *x = *state;
	struct store *ro;
	struct sink *s;
	struct sink_event e = event("192.0.2.50", NOW, 0);
	char err[256];
	long long t0;

	assert_int_equal(store_open(&ro, x->f.path, STORE_READONLY, 0, err,
				    sizeof err), STORE_OK);
	s = sink_new(&x->cfg, ro);
	assert_int_equal(sink_login(s, "test", &e), SINK_LOGIN);
	assert_int_equal(sink_failing(s), 0);
	assert_int_equal(sink_commit(s), -1);
	assert_int_equal(sink_failing(s), 1);
	t0 = clock_mono_ms();
	/* within the first back-off (100 ms) a retry does not even try */
	while (clock_mono_ms() < t0 + SINK_RETRY_FIRST_MS / 2)
		assert_int_equal(sink_commit(s), -1);
	assert_int_equal(sink_failing(s), 1);
	sink_free(s);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window_and_future,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_ignored_and_prefix,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_session_by_address,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_two_sources_at_once,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_keeps_the_batch,
						sink_setup, sink_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
