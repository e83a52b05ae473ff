/*
 * test_store_open.c - opening the store: file modes, values of unknown
 * version or size (skipped, never trusted), a newer schema, and files
 * that are missing, garbage, empty, truncated or not files at all.
 */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_fixture.h"

#define T0 1700000000

static void test_insert_and_modes(void **state)
{
	struct fixture *f = *state;
	struct record r;
	struct addr a = ip("192.0.2.1");
	char lock[160];
	struct stat st;

	assert_true(store_created(f->s));
	login(f->s, "192.0.2.1", T0, "alice");
	assert_int_equal(store_lookup(f->s, &a, T0 + 1, &window30, &r), 1);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.first_seen, T0);
	assert_int_equal(r.last_seen, T0);
	assert_string_equal(r.service, "pop3");
	assert_string_equal(r.user, "alice");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	snprintf(lock, sizeof(lock), "%s-lock", f->path);
	assert_int_equal(stat(lock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(reopen(f, 0), STORE_OK);
	assert_false(store_created(f->s));
	assert_int_equal(store_get(f->s, &a, &r), 1);
}

static void test_undecodable_values(void **state)
{
	struct fixture *f = *state;
	struct addr a = ip("192.0.2.8"), b = ip("192.0.2.9"), c = ip("192.0.2.10");
	unsigned char val[RECORD_VALUE_SIZE + 1];
	struct store_stats st;
	struct record r;
	size_t n = 0, deleted;

	store_close(f->s);
	f->s = NULL;
	memset(val, 'A', sizeof(val));	/* no NUL anywhere */
	val[0] = RECORD_VERSION + 1;
	raw_put(f->path, "records", a.b, 16, val, RECORD_VALUE_SIZE);
	val[0] = RECORD_VERSION;
	raw_put(f->path, "records", b.b, 16, val, RECORD_VALUE_SIZE + 1);
	raw_put(f->path, "records", c.b, 16, val, RECORD_VALUE_SIZE);
	assert_int_equal(reopen(f, STORE_READONLY), STORE_OK);
	assert_int_equal(store_get(f->s, &a, &r), 0);
	assert_int_equal(store_get(f->s, &b, &r), 0);
	assert_int_equal(store_get(f->s, &c, &r), 1);	/* hostile but valid */
	assert_int_equal(strlen(r.service), RECORD_SERVICE_MAX - 1);
	assert_int_equal(strlen(r.user), RECORD_USER_MAX - 1);
	assert_int_equal(store_each(f->s, count_entries, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_stats(f->s, T0, &st), 0);
	assert_int_equal(st.invalid, 2);
	assert_int_equal(reopen(f, 0), STORE_OK);
	assert_int_equal(store_sweep(f->s, T0, &window30, &deleted), 0);
	login(f->s, "192.0.2.8", T0, "fresh");	/* replaces the bad value */
	assert_int_equal(store_get(f->s, &a, &r), 1);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.user, "fresh");
}

static void test_newer_schema(void **state)
{
	struct fixture *f = *state;
	unsigned char v[8] = { STORE_SCHEMA_VERSION + 1 };
	struct store *s;
	char err[256];

	store_close(f->s);
	f->s = NULL;
	raw_put(f->path, "meta", "schema_version", 14, v, sizeof(v));
	assert_int_equal(store_open(&s, f->path, STORE_READONLY, 0, err,
				    sizeof(err)), STORE_ENEWER);
	assert_non_null(strstr(err, "schema version 2 is newer than this "
			       "program (1)"));
	assert_int_equal(store_open(&s, f->path, STORE_CREATE, 0, err,
				    sizeof(err)), STORE_ENEWER);
}

static void write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void expect_open(const char *path, int flags, int status,
			const char *text)
{
	struct store *s = NULL;
	char err[256] = "";

	assert_int_equal(store_open(&s, path, flags, 0, err, sizeof(err)),
			 status);
	assert_null(s);
	print_message("%s\n", err);
	assert_non_null(strstr(err, path));
	if (text)
		assert_non_null(strstr(err, text));
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	char path[192], lock[200];
	unsigned char junk[20000];
	size_t i;

	snprintf(path, sizeof(path), "%s/missing.lmdb", f->dir);
	expect_open(path, 0, STORE_ENOENT, ": no such database");
	expect_open(path, STORE_READONLY, STORE_ENOENT, "no such database");
	snprintf(path, sizeof(path), "%s/garbage.lmdb", f->dir);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 7919 + 13);
	write_file(path, junk, sizeof(junk));
	expect_open(path, STORE_READONLY, STORE_EBROKEN, NULL);
	expect_open(path, STORE_CREATE, STORE_EBROKEN, NULL);
	write_file(path, junk, 100);
	expect_open(path, STORE_CREATE, STORE_EBROKEN, NULL);
	snprintf(path, sizeof(path), "%s/empty.lmdb", f->dir);
	write_file(path, "", 0);
	expect_open(path, STORE_READONLY, STORE_EBROKEN, "empty");
	expect_open(path, STORE_CREATE, STORE_EBROKEN, "empty");
	snprintf(lock, sizeof(lock), "%s-lock", path);
	assert_int_equal(access(lock, F_OK), -1);	/* never touched */
	expect_open(f->dir, STORE_READONLY, STORE_EBROKEN, NULL);
	/* the lock file only holds the reader table: the first opener
	 * rebuilds it, whatever it contains */
	store_close(f->s);
	f->s = NULL;
	snprintf(lock, sizeof(lock), "%s-lock", f->path);
	write_file(lock, junk, 9000);
	assert_int_equal(reopen(f, STORE_READONLY), STORE_OK);
}

static void test_truncated_file(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	add_range(f->s, 0, 5000, T0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(truncate(f->path, st.st_size / 2), 0);
	expect_open(f->path, STORE_READONLY, STORE_EBROKEN, "truncated");
	expect_open(f->path, STORE_CREATE, STORE_EBROKEN, "truncated");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_insert_and_modes),
		T(test_undecodable_values),
		T(test_newer_schema),
		T(test_open_errors),
		T(test_truncated_file),
	};

	log_init("test_store_open", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
