/*
 * test_sink.c - the one login sink on a real database: the window and
 * future-stamp rules, ignore_networks before and after the IPv6 prefix,
 * sessions by address and by key (kept across a new sink on the reopened
 * store, closed by old logouts, by a logout that names only the user
 * (its oldest), the oldest closed when the table is full, pruned by the
 * sweep), commits from two threads at once, a backlog's large batch
 * (one address thousands of times, through the held records, with its
 * sessions) and a failing commit that keeps its batch and backs off.
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
				  x->cfg.ipv6_prefix, 0 };

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

/* a backlog fills one batch far past SINK_LOGINS_PER_TXN: the same few
 * addresses thousands of times, some sessions opened and closed, all
 * counted exactly as one login at a time would be */
static void test_backlog_batch(void **state)
{
	struct sink_fixture *x = *state;
	struct sink_event e;
	struct record r;
	struct addr a = ip("192.0.2.7"), b = ip("192.0.2.8");
	unsigned n = 0, opened = 0;

	assert_int_equal(sink_commit_due(x->sink), 1);	/* never committed */
	while (!sink_backlog_full(x->sink)) {
		e = event(n % 3 ? "192.0.2.7" : "192.0.2.8", NOW - 100 + n % 50,
			  n % 1000 == 0);
		e.live = 0;
		opened += e.session && n % 3 == 0;	/* on 192.0.2.8 */
		assert_int_equal(sink_login(x->sink, "test", &e), SINK_LOGIN);
		n++;
		if (n == SINK_LOGINS_PER_TXN)
			assert_int_equal(sink_full(x->sink), 1);
	}
	e = event("192.0.2.8", NOW - 1, 0);	/* closes one of its sessions */
	assert_int_equal(sink_logout(x->sink, "test", &e), SINK_LOGOUT);
	assert_int_equal(n, SINK_BACKLOG_LOGINS_PER_TXN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(store_get(x->f.s, &a, &r), 1);
	assert_int_equal(r.count, n - (n + 2) / 3);
	assert_int_equal(r.last_seen, NOW - 100 + 49);
	assert_int_equal(r.first_seen, NOW - 100);
	assert_int_equal(store_get(x->f.s, &b, &r), 1);
	assert_int_equal(r.count, (n + 2) / 3);
	assert_int_equal(r.open_sessions, opened - 1);
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

/* ignore_users: a login and a logout of such a user change nothing; a
 * dry sink (popgated -T) decides alike and never commits */
static void test_ignored_users_and_dry(void **state)
{
	struct sink_fixture *x = *state;
	struct sink_event e = event("192.0.2.9", NOW, 1);
	struct addr a = ip("192.0.2.9");
	struct record r;
	struct sink *dry;

	x->cfg.ignore_users.v = xcalloc(1, sizeof(char *));
	x->cfg.ignore_users.v[0] = xstrdup("alice");
	x->cfg.ignore_users.n = 1;
	assert_int_equal(sink_login(x->sink, "test", &e), SINK_IGNORED_USER);
	assert_int_equal(sink_logout(x->sink, "test", &e), SINK_IGNORED_USER);
	e.user = "Alice";	/* compared exactly */
	assert_int_equal(sink_login(x->sink, "test", &e), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(store_get(x->f.s, &a, &r), 1);
	assert_string_equal(r.user, "Alice");
	assert_int_equal(r.count, 1);
	dry = sink_new(&x->cfg, NULL);
	e.addr = ip("192.0.2.10");
	assert_int_equal(sink_login(dry, "test", &e), SINK_LOGIN);
	e.user = "alice";
	assert_int_equal(sink_login(dry, "test", &e), SINK_IGNORED_USER);
	assert_int_equal(sink_commit(dry), 0);
	sink_discard(dry);
	sink_free(dry);
	a = ip("192.0.2.10");
	assert_int_equal(store_get(x->f.s, &a, &r), 0);
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

/* ---- keyed sessions, kept in the database ---- */

static enum sink_outcome keyed(struct sink_fixture *x, int login,
			       const char *text, const char *key, time_t t)
{
	struct sink_event e = event(text ? text : "0.0.0.0", t, login);

	e.session_key = key;
	e.session_key_len = strlen(key);
	if (login)
		return sink_login(x->sink, "test", &e);
	e.has_addr = 0;
	return sink_logout(x->sink, "test", &e);
}

static uint32_t open_sessions(struct sink_fixture *x, const char *text)
{
	struct addr a = ip(text);
	struct record r;

	return store_get(x->f.s, &a, &r) == 1 ? r.open_sessions : 0;
}

/* restart - a new sink on the store reopened, as after HUP or a restart */
static void restart(struct sink_fixture *x)
{
	sink_free(x->sink);
	assert_int_equal(reopen(&x->f, 0), STORE_OK);
	x->sink = sink_new(&x->cfg, x->f.s);
}

static void test_session_survives_restart(void **state)
{
	struct sink_fixture *x = *state;
	time_t w = (time_t)x->cfg.window;

	assert_int_equal(keyed(x, 1, "192.0.2.20", "sid:AAAA", NOW - 100),
			 SINK_LOGIN);
	/* a replayed login line opens nothing more */
	assert_int_equal(keyed(x, 1, "192.0.2.20", "sid:AAAA", NOW - 100),
			 SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.20"), 1);
	restart(x);
	clock_set(NOW + w + 50);
	assert_int_equal(listed(x, "192.0.2.20", NOW + w + 50), 1);
	/* a key no session has closes nothing */
	assert_int_equal(keyed(x, 0, NULL, "sid:OTHER", NOW + w), SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.20"), 1);
	assert_int_equal(keyed(x, 0, NULL, "sid:AAAA", NOW + w), SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.20"), 0);
	assert_int_equal(listed(x, "192.0.2.20", NOW + 2 * w - 1), 1);
	assert_int_equal(listed(x, "192.0.2.20", NOW + 2 * w), 0);
}

/* a logout read from a backlog closes its session however old it is */
static void test_old_logout_closes(void **state)
{
	struct sink_fixture *x = *state;
	time_t w = (time_t)x->cfg.window;	/* 1800 < session_max 3600 */
	struct sink_event e = event("192.0.2.21", NOW + 500, 0);

	assert_int_equal(keyed(x, 1, "192.0.2.21", "sid:BBBB", NOW - 100),
			 SINK_LOGIN);
	assert_int_equal(login_at(x, "192.0.2.22", NOW - 100, 1), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	restart(x);
	clock_set(NOW + 3000);
	assert_int_equal(listed(x, "192.0.2.21", NOW + 3000), 1);
	assert_int_equal(listed(x, "192.0.2.22", NOW + 3000), 1);
	assert_int_equal(keyed(x, 0, NULL, "sid:BBBB", NOW + 500), SINK_LOGOUT);
	e.live = 0;
	assert_int_equal(sink_logout(x->sink, "test", &e), SINK_LOGOUT);
	e = event("192.0.2.22", NOW + 500, 0);
	assert_int_equal(sink_logout(x->sink, "test", &e), SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_true(NOW + 500 + w < NOW + 3000);
	assert_int_equal(listed(x, "192.0.2.21", NOW + 3000), 0);
	assert_int_equal(listed(x, "192.0.2.22", NOW + 3000), 0);
}

/* a full table closes its oldest session at the new login's time */
static void test_full_table_closes_the_oldest(void **state)
{
	struct sink_fixture *x = *state;
	time_t w = (time_t)x->cfg.window;
	uint64_t evicted = 0;

	sink_set_sessions_max(x->sink, 3);
	assert_int_equal(keyed(x, 1, "192.0.2.31", "sid:1", NOW - 40), SINK_LOGIN);
	assert_int_equal(keyed(x, 1, "192.0.2.32", "sid:2", NOW - 30), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(keyed(x, 1, "192.0.2.33", "sid:3", NOW - 20), SINK_LOGIN);
	assert_int_equal(keyed(x, 1, "192.0.2.34", "sid:4", NOW - 10), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.31"), 0);
	assert_int_equal(open_sessions(x, "192.0.2.32"), 1);
	assert_int_equal(open_sessions(x, "192.0.2.34"), 1);
	/* its window started at the evicting login, not at session_max */
	assert_int_equal(listed(x, "192.0.2.31", NOW - 10 + w - 1), 1);
	assert_int_equal(listed(x, "192.0.2.31", NOW - 10 + w), 0);
	assert_int_equal(listed(x, "192.0.2.32", NOW - 10 + w), 1);
	assert_int_equal(store_get_counter(x->f.s, "sessions_closed_evicted",
					   &evicted), 0);
	assert_int_equal(evicted, 1);
	/* the evicted session's logout closes nothing else */
	assert_int_equal(keyed(x, 0, NULL, "sid:1", NOW), SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.32"), 1);
}

/* the default cap: SINK_SESSIONS_MAX sessions, then the oldest closes */
static void test_default_cap(void **state)
{
	struct sink_fixture *x = *state;
	char text[32], key[32];
	uint64_t evicted = 0;

	for (unsigned i = 0; i <= SINK_SESSIONS_MAX; i++) {
		snprintf(text, sizeof text, "10.9.%u.%u", i >> 8, i & 0xff);
		snprintf(key, sizeof key, "sid:%u", i);
		assert_int_equal(keyed(x, 1, text, key, NOW - 600 + i / 64),
				 SINK_LOGIN);
		if (sink_full(x->sink))
			assert_int_equal(sink_commit(x->sink), 0);
	}
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(store_get_counter(x->f.s, "sessions_closed_evicted",
					   &evicted), 0);
	assert_int_equal(evicted, 1);
	assert_int_equal(open_sessions(x, "10.9.0.0"), 0);
	assert_int_equal(open_sessions(x, "10.9.0.1"), 1);
}

/* sessions past session_max are forgotten by the sweep */
static void test_sweep_prunes_sessions(void **state)
{
	struct sink_fixture *x = *state;
	struct store_params p = { x->cfg.window, 3600, 0, 0 };
	size_t deleted;

	assert_int_equal(keyed(x, 1, "192.0.2.40", "sid:OLD", NOW - 100),
			 SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(store_sweep(x->f.s, NOW + 3600, &p, &deleted), 0);
	assert_int_equal(deleted, 1);	/* its record expired at session_max */
	/* a login of the same session id later opens it afresh */
	clock_set(NOW + 3600);
	assert_int_equal(keyed(x, 1, "192.0.2.40", "sid:OLD", NOW + 3600),
			 SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.40"), 1);
}

/* user - a session event with alias "usr:mx" NUL SVC NUL USER: a login
 * (key KEY) or a logout that names only the user (KEY NULL) */
static enum sink_outcome user(struct sink_fixture *x, const char *text,
			      const char *key, const char *svc,
			      const char *name, time_t t)
{
	struct sink_event e = event(text ? text : "0.0.0.0", t, text != NULL);
	static char alias[64];
	int n = snprintf(alias, sizeof alias, "usr:mx%c%s%c%s", 0, svc, 0,
			 name);

	e.session_alias = alias;
	e.session_alias_len = (size_t)n;
	if (key != NULL) {
		e.session_key = key;
		e.session_key_len = strlen(key);
	}
	if (text != NULL)
		return sink_login(x->sink, "test", &e);
	e.has_addr = 0;
	return sink_logout(x->sink, "test", &e);
}

static size_t sessions_open(struct sink_fixture *x)
{
	struct store_stats st;

	assert_int_equal(store_stats(x->f.s, NOW, &st), 0);
	return st.sessions;
}

/* a logout that names only its user (Dovecot 2.2) closes that user's
 * oldest open session of the service, after a restart too; a logout by
 * session id, the sweep and eviction take the alias with the session */
static void test_user_logout_closes_the_oldest(void **state)
{
	struct sink_fixture *x = *state;
	time_t w = (time_t)x->cfg.window;

	assert_int_equal(user(x, "192.0.2.51", "sid:A1", "imap", "alice",
			      NOW - 100), SINK_LOGIN);
	assert_int_equal(user(x, "192.0.2.52", "sid:A2", "imap", "alice",
			      NOW - 90), SINK_LOGIN);
	assert_int_equal(user(x, "192.0.2.53", "sid:B1", "imap", "bob",
			      NOW - 95), SINK_LOGIN);
	assert_int_equal(user(x, "192.0.2.54", "sid:A3", "pop3", "alice",
			      NOW - 99), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(sessions_open(x), 4);
	restart(x);
	clock_set(NOW + 10);
	assert_int_equal(user(x, NULL, NULL, "imap", "alice", NOW), SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.51"), 0);	/* the oldest */
	assert_int_equal(open_sessions(x, "192.0.2.52"), 1);
	assert_int_equal(open_sessions(x, "192.0.2.53"), 1);	/* other user */
	assert_int_equal(open_sessions(x, "192.0.2.54"), 1);	/* other service */
	assert_int_equal(listed(x, "192.0.2.51", NOW + w - 1), 1);
	assert_int_equal(listed(x, "192.0.2.51", NOW + w), 0);
	assert_int_equal(sessions_open(x), 3);
	/* the session id closes A2 and its alias: no alias entry is left */
	assert_int_equal(keyed(x, 0, NULL, "sid:A2", NOW), SINK_LOGOUT);
	assert_int_equal(user(x, NULL, NULL, "imap", "alice", NOW), SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.52"), 0);
	assert_int_equal(open_sessions(x, "192.0.2.53"), 1);
	assert_int_equal(open_sessions(x, "192.0.2.54"), 1);
	assert_int_equal(sessions_open(x), 2);
	/* eviction takes the alias with the oldest session (A3) */
	sink_set_sessions_max(x->sink, 2);
	assert_int_equal(user(x, "192.0.2.55", "sid:A4", "pop3", "alice",
			      NOW), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.54"), 0);
	assert_int_equal(user(x, NULL, NULL, "pop3", "alice", NOW + 1),
			 SINK_LOGOUT);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(open_sessions(x, "192.0.2.55"), 0);
	assert_int_equal(sessions_open(x), 1);
	assert_int_equal(open_sessions(x, "192.0.2.53"), 1);
}

/* drop_sessions - the file as an older popgated left it: no "sessions" */
static void drop_sessions(const char *path)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "sessions", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* a file from before the session table: readable as it is, given the
 * table when the daemon opens it to write */
static void test_file_without_sessions(void **state)
{
	struct sink_fixture *x = *state;
	struct store_stats st;

	login_at(x, "192.0.2.70", NOW, 0);
	assert_int_equal(sink_commit(x->sink), 0);
	sink_free(x->sink);
	x->sink = NULL;
	store_close(x->f.s);
	x->f.s = NULL;
	drop_sessions(x->f.path);
	assert_int_equal(reopen(&x->f, STORE_READONLY), STORE_OK);
	assert_int_equal(store_stats(x->f.s, NOW, &st), 0);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.sessions, 0);
	restart(x);
	assert_int_equal(keyed(x, 1, "192.0.2.71", "sid:NEW", NOW), SINK_LOGIN);
	assert_int_equal(sink_commit(x->sink), 0);
	assert_int_equal(store_stats(x->f.s, NOW, &st), 0);
	assert_int_equal(st.sessions, 1);
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
		cmocka_unit_test_setup_teardown(test_backlog_batch,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_ignored_and_prefix,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_ignored_users_and_dry,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_session_by_address,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_session_survives_restart,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_old_logout_closes,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_full_table_closes_the_oldest,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_default_cap,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_user_logout_closes_the_oldest,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_sweep_prunes_sessions,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_file_without_sessions,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_two_sources_at_once,
						sink_setup, sink_teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_keeps_the_batch,
						sink_setup, sink_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
