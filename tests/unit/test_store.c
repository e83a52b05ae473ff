/*
 * test_store.c - the LMDB store on real files in a temporary directory:
 * upserts and the max() rule, lazy expiry at the exact second, sessions,
 * chunked sweeps, atomic batches (also when the disk fails), map growth
 * under a live reader, keys, meta data and counters.
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_fixture.h"

#define T0 1700000000

/* LMDB writes its meta pages (the first two pages) with pwrite(); this
 * one, found before the C library's, fails them on demand: the disk
 * error that makes LMDB mark its environment unusable (MDB_PANIC) */
static int fail_meta_writes;

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (fail_meta_writes && off < 2 * 4096) {
		errno = ENOSPC;
		return -1;
	}
	return syscall(SYS_pwrite64, fd, buf, n, off);
}

static void test_refresh_and_max_rule(void **state)
{
	struct fixture *f = *state;
	struct record r;
	struct addr a = ip("192.0.2.2");

	login(f->s, "192.0.2.2", T0, "alice");
	login(f->s, "192.0.2.2", T0 + 100, "bob");
	login(f->s, "192.0.2.2", T0 + 50, "mallory");	/* older: no effect */
	login(f->s, "192.0.2.2", T0 - 10, "eve");	/* lowers first_seen */
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_int_equal(r.count, 4);
	assert_int_equal(r.first_seen, T0 - 10);
	assert_int_equal(r.last_seen, T0 + 100);
	assert_string_equal(r.user, "bob");
	login(f->s, "192.0.2.2", T0 + 100, "carol");	/* replay, same time */
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_int_equal(r.last_seen, T0 + 100);
	assert_string_equal(r.user, "carol");
}

static void test_lazy_expiry_boundary(void **state)
{
	struct fixture *f = *state;
	struct record r;
	struct addr a = ip("192.0.2.3");
	struct store_params p;

	clock_set(T0);
	login(f->s, "192.0.2.3", clock_now(), "");
	clock_set(T0 + 1799);
	assert_int_equal(store_lookup(f->s, &a, clock_now(), &window30, &r), 1);
	clock_set(T0 + 1800);
	assert_int_equal(store_lookup(f->s, &a, clock_now(), &window30, &r), 0);
	assert_int_equal(store_get(f->s, &a, &r), 1);	/* not swept yet */
	/* NULL params: the stored ones (defaults: 1800) */
	assert_int_equal(store_read_params(f->s, &p), 0);
	assert_int_equal(p.window, 1800);
	assert_int_equal(store_lookup(f->s, &a, T0 + 1799, NULL, NULL), 1);
	assert_int_equal(store_lookup(f->s, &a, T0 + 1800, NULL, NULL), 0);
	assert_int_equal(record_expires(&r, &window30), T0 + 1800);
}

static void test_sessions(void **state)
{
	struct fixture *f = *state;
	struct store_params p = { 600, 3600, 0, 0 };
	struct addr a = ip("192.0.2.4");
	struct record r;
	struct batch b;

	batch_init(&b);
	batch_login(&b, &a, T0, "imap", "alice");
	batch_session(&b, &a, T0, 1);
	assert_int_equal(store_apply(f->s, &b), 0);
	assert_int_equal(store_lookup(f->s, &a, T0 + 3599, &p, &r), 1);
	assert_int_equal(r.open_sessions, 1);
	assert_int_equal(store_lookup(f->s, &a, T0 + 3600, &p, &r), 0);
	batch_clear(&b);
	batch_session(&b, &a, T0 + 1000, 0);
	assert_int_equal(store_apply(f->s, &b), 0);
	assert_int_equal(store_lookup(f->s, &a, T0 + 1599, &p, &r), 1);
	assert_int_equal(store_lookup(f->s, &a, T0 + 1600, &p, &r), 0);
	assert_int_equal(r.open_sessions, 0);
	batch_clear(&b);
	batch_session(&b, &a, T0 + 5000, 0);	/* no session open: no effect */
	assert_int_equal(store_apply(f->s, &b), 0);
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_int_equal(r.last_seen, T0 + 1000);
	batch_clear(&b);
	batch_remove(&b, &a);
	batch_session(&b, &a, T0, 1);	/* forgotten: ignored */
	assert_int_equal(store_apply(f->s, &b), 0);
	assert_int_equal(store_get(f->s, &a, &r), 0);
	batch_free(&b);
}

static void test_sweep_in_chunks(void **state)
{
	struct fixture *f = *state;
	size_t deleted, txns, max, n = 0;
	struct store_stats st;

	add_range(f->s, 0, 1200, T0 - 5000);
	add_range(f->s, 1200, 7, T0);	/* live, in the middle of the keys */
	add_range(f->s, 1207, 1300, T0 - 5000);
	assert_int_equal(store_stats(f->s, T0, &st), 0);
	assert_int_equal(st.entries, 2507);
	assert_int_equal(st.expired, 2500);
	assert_int_equal(store_sweep(f->s, T0, &window30, &deleted), 0);
	store_sweep_chunks(f->s, &txns, &max);
	print_message("sweep: %zu deleted in %zu transactions, max %zu\n",
		      deleted, txns, max);
	assert_int_equal(deleted, 2500);
	assert_true(max <= STORE_SWEEP_CHUNK);
	assert_true(txns >= 3);
	assert_int_equal(store_each(f->s, count_entries, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(store_sweep(f->s, T0, NULL, &deleted), 0);
	assert_int_equal(deleted, 0);
}

static void test_positions_with_records(void **state)
{
	struct fixture *f = *state;
	struct position p = { .dev = 1, .ino = 2, .offset = 300,
			      .fingerprint = 0xabcdef, .fingerprint_len = 40,
			      .tail_fp = 0x1234, .tail_len = 17, .nchecks = 1,
			      .checks = { { 250, 0x5678, 50 } } }, got;
	struct addr a = ip("192.0.2.5");
	char longname[600];
	struct record r;
	struct batch b;
	uint64_t v;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	batch_init(&b);
	batch_login(&b, &a, T0, "pop3", "alice");
	batch_put_position(&b, "/var/log/mail.log", &p);
	batch_counter_add(&b, "lines_read", 10);
	batch_put_position(&b, longname, &p);	/* fails: key too long */
	assert_int_equal(store_apply(f->s, &b), -1);
	print_message("expected failure: %s\n", store_error(f->s));
	assert_int_equal(store_get(f->s, &a, &r), 0);
	assert_int_equal(store_get_position(f->s, "/var/log/mail.log", &got), 0);
	assert_int_equal(store_get_counter(f->s, "lines_read", &v), 0);
	assert_int_equal(v, 0);
	b.n--;	/* drop the bad op: what batch_free would free of it */
	free(b.ops[b.n].name);
	free(b.ops[b.n].bytes);
	assert_int_equal(store_apply(f->s, &b), 0);
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_int_equal(store_get_position(f->s, "/var/log/mail.log", &got), 1);
	assert_int_equal(got.dev, 1);
	assert_int_equal(got.ino, 2);
	assert_int_equal(got.offset, 300);
	assert_int_equal(got.fingerprint, 0xabcdef);
	assert_int_equal(got.fingerprint_len, 40);
	assert_int_equal(got.tail_fp, 0x1234);
	assert_int_equal(got.tail_len, 17);
	assert_int_equal(got.nchecks, 1);
	assert_int_equal(got.checks[0].end, 250);
	assert_int_equal(got.checks[0].hash, 0x5678);
	assert_int_equal(got.checks[0].len, 50);
	assert_int_equal(store_get_position(f->s, "/var/log/other", &got), 0);
	batch_free(&b);
}

/* with the file size capped, a write fails (EFBIG) and nothing changes;
 * once the cap is lifted the store works again (reopened if it panicked) */
static void test_write_failure_leaves_db_unchanged(void **state)
{
	struct fixture *f = *state;
	struct position p = { .dev = 7, .ino = 8, .offset = 9,
			      .fingerprint = 10, .fingerprint_len = 11 }, got;
	struct rlimit old, cap;
	struct addr a = ip("192.0.2.6");
	struct stat st;
	struct record r;
	struct batch b;
	unsigned i;

	assert_int_equal(stat(f->path, &st), 0);
	batch_init(&b);
	for (i = 0; i < 3000; i++) {
		struct addr x = ip("198.51.100.1");

		x.b[14] = (unsigned char)(i >> 8);
		x.b[15] = (unsigned char)i;
		batch_login(&b, &x, T0, "pop3", "bulk");
	}
	batch_login(&b, &a, T0, "pop3", "alice");
	batch_put_position(&b, "/var/log/mail.log", &p);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	cap = old;
	cap.rlim_cur = (rlim_t)st.st_size;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &cap), 0);
	assert_int_equal(store_apply(f->s, &b), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	print_message("expected failure: %s\n", store_error(f->s));
	assert_int_equal(store_get(f->s, &a, &r), 0);
	assert_int_equal(store_get_position(f->s, "/var/log/mail.log", &got), 0);
	assert_int_equal(store_apply(f->s, &b), 0);
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_int_equal(store_get_position(f->s, "/var/log/mail.log", &got), 1);
	batch_free(&b);
}

/* login_failing - a login whose commit fails writing the meta page */
static void login_failing(struct store *s, const struct addr *a)
{
	struct batch b;

	batch_init(&b);
	batch_login(&b, a, T0, "pop3", "lost");
	fail_meta_writes = 1;
	assert_int_equal(store_apply(s, &b), -1);
	fail_meta_writes = 0;
	batch_free(&b);
}

static void test_panic_reopens(void **state)
{
	struct fixture *f = *state;
	struct addr a = ip("192.0.2.20"), b = ip("192.0.2.21");
	struct addr c = ip("192.0.2.22");
	struct record r;

	login(f->s, "192.0.2.20", T0, "before");
	login_failing(f->s, &b);
	print_message("expected failure: %s\n", store_error(f->s));
	login(f->s, "192.0.2.22", T0, "after");	/* MDB_PANIC: reopened */
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_int_equal(store_get(f->s, &b, &r), 0);
	assert_int_equal(store_get(f->s, &c, &r), 1);
	/* a read after a failure reopens too */
	login_failing(f->s, &b);
	assert_int_equal(store_get(f->s, &c, &r), 1);
	assert_int_equal(store_get(f->s, &b, &r), 0);
}

static void test_map_growth_with_reader(void **state)
{
	struct fixture *f = *state;
	struct store *reader;
	struct store_stats st, rst;
	struct addr last = ip("10.0.78.31");	/* 19999 = 0x4e1f */
	struct record r;
	char err[256];
	size_t n = 0;

	store_close(f->s);
	strcat(f->path, ".small");	/* a new file, created with a tiny map */
	assert_int_equal(store_open(&f->s, f->path, STORE_CREATE, 64 * 1024,
				    err, sizeof(err)), STORE_OK);
	assert_int_equal(store_open(&reader, f->path, STORE_READONLY,
				    64 * 1024, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_lookup(reader, &last, T0, &window30, &r), 0);
	add_range(f->s, 0, 20000, T0);
	assert_int_equal(store_stats(f->s, T0, &st), 0);
	print_message("map grown to %zu bytes, %zu used\n", st.map_size,
		      st.map_used);
	assert_true(st.map_size > 64 * 1024);
	assert_int_equal(st.entries, 20000);
	assert_int_equal(store_lookup(reader, &last, T0, &window30, &r), 1);
	assert_int_equal(store_each(reader, count_entries, &n), 0);
	assert_int_equal(n, 20000);
	assert_int_equal(store_stats(reader, T0, &rst), 0);
	print_message("reader's map followed to %zu bytes\n", rst.map_size);
	assert_int_equal(rst.map_size, st.map_size);	/* MDB_MAP_RESIZED */
	store_close(reader);
}

static void test_ipv6_prefix_and_v4_mapped(void **state)
{
	struct fixture *f = *state;
	struct addr a = ip("2001:db8:1:2::5"), b = ip("2001:db8:1:2:ffff::1");
	struct addr v4 = ip("192.0.2.7"), mapped = ip("::ffff:192.0.2.7");
	struct record r;
	struct batch bt;

	addr_apply_ipv6_prefix(&a, 64);
	addr_apply_ipv6_prefix(&b, 64);
	batch_init(&bt);
	batch_login(&bt, &a, T0, "imap", "v6");
	batch_login(&bt, &mapped, T0, "imap", "v4");
	assert_int_equal(store_apply(f->s, &bt), 0);
	batch_free(&bt);
	assert_int_equal(store_lookup(f->s, &b, T0, &window30, &r), 1);
	assert_string_equal(r.user, "v6");
	assert_int_equal(store_lookup(f->s, &v4, T0, &window30, &r), 1);
	assert_string_equal(r.user, "v4");
	b = ip("2001:db8:1:3::5");
	addr_apply_ipv6_prefix(&b, 64);
	assert_int_equal(store_lookup(f->s, &b, T0, &window30, &r), 0);
}

struct seen {
	char names[4][64];
	uint64_t values[4];
	int n;
};

static int see_counter(const char *name, uint64_t value, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 4) {
		copy_string(s->names[s->n], name, sizeof(s->names[0]));
		s->values[s->n] = value;
	}
	s->n++;
	return 0;
}

static int see_position(const char *name, const struct position *p, void *ctx)
{
	return see_counter(name, p->offset, ctx);
}

static void test_meta_counters_params(void **state)
{
	struct fixture *f = *state;
	struct store_params p = { 600, 7200, 64, 0 }, got;
	struct position pos = { .dev = 1, .ino = 2, .offset = 3,
				.fingerprint = 4, .fingerprint_len = 5 };
	struct seen seen = { .n = 0 };
	char buf[32];
	size_t txn;
	struct batch b;
	uint64_t v;

	txn = store_txn_id(f->s);
	batch_init(&b);
	batch_counter_add(&b, "lines_read", 5);
	batch_counter_add(&b, "lines_read", 7);
	batch_counter_add(&b, "logins", 1);
	batch_set_params(&b, &p);
	batch_put_meta(&b, "journal_cursor", "s=abc;i=1", 9);
	batch_put_position(&b, "/b", &pos);
	pos.offset = 99;
	batch_put_position(&b, "/a", &pos);
	batch_put_position(&b, "/c", &pos);
	batch_del_position(&b, "/c");
	assert_int_equal(store_apply(f->s, &b), 0);
	batch_free(&b);
	assert_true(store_txn_id(f->s) > txn);
	assert_int_equal(store_get_counter(f->s, "lines_read", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(store_each_counter(f->s, see_counter, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "lines_read");
	assert_string_equal(seen.names[1], "logins");
	assert_int_equal(seen.values[1], 1);
	assert_int_equal(store_read_params(f->s, &got), 1);
	assert_memory_equal(&got, &p, sizeof(p));
	assert_int_equal(store_get_meta(f->s, "journal_cursor", buf,
					sizeof(buf)), 9);
	assert_memory_equal(buf, "s=abc;i=1", 9);
	assert_int_equal(store_get_meta(f->s, "journal_cursor", buf, 4), -1);
	assert_int_equal(store_get_meta(f->s, "nothing", buf, sizeof(buf)), 0);
	seen.n = 0;
	assert_int_equal(store_each_position(f->s, see_position, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "/a");
	assert_int_equal(seen.values[0], 99);
	assert_string_equal(seen.names[1], "/b");
	assert_int_equal(seen.values[1], 3);
}

/* a store_each callback may look entries up on the same store */
static int nested_lookup(const struct addr *a, const struct record *r,
			 void *ctx)
{
	struct store *s = ctx;
	struct record again;

	assert_int_equal(store_get(s, a, &again), 1);
	assert_int_equal(again.last_seen, r->last_seen);
	return 0;
}

static void test_nested_and_readonly(void **state)
{
	struct fixture *f = *state;
	struct batch b;
	struct addr a = ip("192.0.2.11");

	login(f->s, "192.0.2.11", T0, "");
	login(f->s, "192.0.2.12", T0, "");
	assert_int_equal(store_each(f->s, nested_lookup, f->s), 0);
	assert_int_equal(reopen(f, STORE_READONLY), STORE_OK);
	assert_int_equal(store_each(f->s, nested_lookup, f->s), 0);
	batch_init(&b);
	batch_remove(&b, &a);
	assert_int_equal(store_apply(f->s, &b), -1);
	batch_free(&b);
	assert_int_equal(store_lookup(f->s, &a, T0, &window30, NULL), 1);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* not a threshold: prints what one synced commit costs on this disk */
static void test_commit_latency(void **state)
{
	struct fixture *f = *state;
	long long us[100];
	struct timespec t1, t2;
	struct addr a = ip("192.0.2.13");
	struct batch b;
	int i;

	batch_init(&b);
	for (i = 0; i < 100; i++) {
		batch_clear(&b);
		batch_login(&b, &a, T0 + i, "pop3", "latency");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_int_equal(store_apply(f->s, &b), 0);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		us[i] = (t2.tv_sec - t1.tv_sec) * 1000000LL +
		    (t2.tv_nsec - t1.tv_nsec) / 1000;
	}
	batch_free(&b);
	qsort(us, 100, sizeof(us[0]), cmp_ll);
	print_message("1-record commit (MDB_NOMETASYNC): p50 %lld us, "
		      "p99 %lld us\n", us[49], us[98]);
}

/* a position saved by an older popgated (version 1, 40 bytes) still
 * reads, with no checkpoints; a value of another size does not */
static void test_position_v1(void **state)
{
	unsigned char v1[POSITION_V1_SIZE] = { 1 };
	struct position p;

	(void)state;
	v1[4] = 12;		/* fingerprint_len */
	v1[24] = 200;		/* offset */
	assert_int_equal(position_decode(v1, sizeof v1, &p), 0);
	assert_int_equal(p.fingerprint_len, 12);
	assert_int_equal(p.offset, 200);
	assert_int_equal(p.tail_len, 0);
	assert_int_equal(p.nchecks, 0);
	assert_int_equal(position_decode(v1, sizeof v1 - 1, &p), -1);
	v1[0] = 2;		/* a version 2 value is longer */
	assert_int_equal(position_decode(v1, sizeof v1, &p), -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_refresh_and_max_rule),
		T(test_lazy_expiry_boundary),
		T(test_sessions),
		T(test_sweep_in_chunks),
		T(test_positions_with_records),
		T(test_write_failure_leaves_db_unchanged),
		T(test_panic_reopens),
		T(test_map_growth_with_reader),
		T(test_ipv6_prefix_and_v4_mapped),
		T(test_meta_counters_params),
		T(test_nested_and_readonly),
		T(test_commit_latency),
		cmocka_unit_test(test_position_v1),
	};

	log_init("test_store", 1, 0);	/* show the store's own messages */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
