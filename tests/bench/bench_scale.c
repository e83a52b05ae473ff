/*
 * bench_scale.c - the database at scale, through the store API only:
 *   bench_scale build DB N        N entries (every 10th one expired),
 *                                 1000 logins per store_apply
 *   bench_scale lookup DB N COUNT COUNT lookups (half listed, half absent)
 *   bench_scale sweep DB          store_sweep, timing every write txn
 * Linked with -Wl,--wrap=mdb_txn_begin,--wrap=mdb_txn_commit so each
 * write transaction the store opens is timed from begin to commit.
 * Prints one "key=value ..." line. Benchmark code only.
 */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define WINDOW 1800
#define PER_BATCH 1000

/* ---- write transaction timing (linker --wrap) ---- */

int __real_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags,
			 MDB_txn **txn);
int __real_mdb_txn_commit(MDB_txn *txn);
int __wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags,
			 MDB_txn **txn);
int __wrap_mdb_txn_commit(MDB_txn *txn);

static MDB_txn *write_txn;
static long long write_begin_ns, write_max_ns;
static unsigned long write_txns;

int __wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags,
			 MDB_txn **txn)
{
	long long t0 = bench_ns();
	int rc = __real_mdb_txn_begin(env, parent, flags, txn);

	if (rc == 0 && !(flags & MDB_RDONLY) && parent == NULL) {
		write_txn = *txn;
		write_begin_ns = t0;	/* includes waiting for the writer lock */
	}
	return rc;
}

int __wrap_mdb_txn_commit(MDB_txn *txn)
{
	int rc = __real_mdb_txn_commit(txn);

	if (txn == write_txn) {
		long long d = bench_ns() - write_begin_ns;

		if (d > write_max_ns)
			write_max_ns = d;
		write_txns++;
		write_txn = NULL;
	}
	return rc;
}

/* ---- keys: a bijective mix of I, 80 % IPv4 and 20 % IPv6 ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* entry_addr - the key of entry I; SALT 1 gives addresses never built */
static void entry_addr(uint64_t i, int salt, struct addr *a)
{
	uint64_t h = mix64(i * 2 + (uint64_t)salt);

	memset(a, 0, sizeof *a);
	if (i % 5 != 0) {		/* ::ffff:a.b.c.d */
		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, &h, 4);
		a->b[12] = (unsigned char)(10 + (i % 200));
		a->b[13] = (unsigned char)(i >> 16);
		a->b[14] = (unsigned char)(i >> 8);
		a->b[15] = (unsigned char)(salt ? 0 : i);
		if (salt)
			a->b[12] = 250;
	} else {			/* 2001:db8:XXXX:XXXX::/64 + host */
		a->b[0] = 0x20, a->b[1] = 0x01, a->b[2] = 0x0d, a->b[3] = 0xb8;
		memcpy(a->b + 4, &h, 8);
		memcpy(a->b + 12, &i, 4);
		a->b[11] = (unsigned char)salt;
	}
}

static struct store *open_store(const char *path, int flags)
{
	struct store *s;
	char err[512];

	if (store_open(&s, path, flags, 0, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "bench_scale: %s\n", err);
		exit(1);
	}
	return s;
}

static void apply_or_die(struct store *s, struct batch *b)
{
	if (store_apply(s, b) != 0) {
		fprintf(stderr, "bench_scale: store_apply: %s\n", store_error(s));
		exit(1);
	}
	batch_clear(b);
}

static void build(const char *path, uint64_t n)
{
	struct store *s = open_store(path, STORE_CREATE);
	struct store_params p = { WINDOW, 0, 128, 0 };
	time_t now = time(NULL);
	struct batch b;
	struct stat st;
	long long t0 = bench_ns();

	batch_init(&b);
	batch_set_params(&b, &p);
	for (uint64_t i = 0; i < n; i++) {
		struct addr a;
		char user[32];
		time_t t = i % 10 == 3 ? now - WINDOW - 600 : now - (time_t)(i % 600);

		entry_addr(i, 0, &a);
		snprintf(user, sizeof user, "user%llu@example.org",
			 (unsigned long long)(i % 50000));
		batch_login(&b, &a, t, i % 2 ? "imap" : "pop3", user);
		if (b.logins >= PER_BATCH)
			apply_or_die(s, &b);
	}
	apply_or_die(s, &b);
	batch_free(&b);
	store_close(s);
	if (stat(path, &st) != 0)
		st.st_size = 0;
	printf("entries=%llu seconds=%.2f file_bytes=%lld max_txn_ms=%.2f\n",
	       (unsigned long long)n, (bench_ns() - t0) / 1e9,
	       (long long)st.st_size, write_max_ns / 1e6);
}

static void lookup(const char *path, uint64_t n, unsigned long count)
{
	struct store *s = open_store(path, STORE_READONLY);
	struct store_params p;
	long long *lat = xcalloc(count, sizeof *lat);
	unsigned long found = 0;
	time_t now = time(NULL);

	store_read_params(s, &p);
	for (unsigned long k = 0; k < count; k++) {
		uint64_t i = mix64(k + 12345) % n;
		struct addr a;
		struct record r;
		long long t0;
		int rc;

		entry_addr(i, (int)(k & 1), &a);
		t0 = bench_ns();
		rc = store_lookup(s, &a, now, &p, &r);
		lat[k] = bench_ns() - t0;
		if (rc < 0) {
			fprintf(stderr, "bench_scale: lookup failed\n");
			exit(1);
		}
		found += (unsigned long)rc;
	}
	bench_sort(lat, count);
	printf("lookups=%lu found=%lu p50_us=%.2f p99_us=%.2f max_us=%.1f\n",
	       count, found, bench_pct(lat, count, 50) / 1e3,
	       bench_pct(lat, count, 99) / 1e3, lat[count - 1] / 1e3);
	free(lat);
	store_close(s);
}

static void sweep(const char *path)
{
	struct store *s = open_store(path, 0);
	struct store_params p;
	size_t deleted = 0, txns, max_deletes;
	long long t0;

	store_read_params(s, &p);
	write_max_ns = 0;
	write_txns = 0;
	t0 = bench_ns();
	if (store_sweep(s, time(NULL), &p, &deleted) != 0) {
		fprintf(stderr, "bench_scale: sweep: %s\n", store_error(s));
		exit(1);
	}
	store_sweep_chunks(s, &txns, &max_deletes);
	printf("deleted=%zu seconds=%.3f txns=%lu max_txn_ms=%.2f "
	       "max_deletes_per_txn=%zu\n", deleted, (bench_ns() - t0) / 1e9,
	       write_txns, write_max_ns / 1e6, max_deletes);
	store_close(s);
}

int main(int argc, char **argv)
{
	log_init("bench_scale", 1, 0);
	if (argc == 4 && strcmp(argv[1], "build") == 0)
		build(argv[2], strtoull(argv[3], NULL, 10));
	else if (argc == 5 && strcmp(argv[1], "lookup") == 0)
		lookup(argv[2], strtoull(argv[3], NULL, 10),
		       strtoul(argv[4], NULL, 10));
	else if (argc == 3 && strcmp(argv[1], "sweep") == 0)
		sweep(argv[2]);
	else {
		fprintf(stderr, "usage: bench_scale build DB N | lookup DB N COUNT"
			" | sweep DB\n");
		return 2;
	}
	return 0;
}
