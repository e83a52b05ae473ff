/*
 * test_counters.c - the shared counters: increments from several
 * processes add up, flushes put only the growth into a batch, a
 * restarted ingest goes on from the last flush (never counting twice),
 * per-format and expiry counts, and no-ops without the mapping.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counters.h"
#include "store.h"
#include "util.h"

#define INCS_PER_PROCESS 100000

static int teardown_counters(void **state)
{
	(void)state;
	counters_destroy();
	return 0;
}

/* op_value - the delta B adds to counter NAME; 0 when absent */
static uint64_t op_value(const struct batch *b, const char *name)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->ops[i].kind == BATCH_COUNTER_ADD &&
		    strcmp(b->ops[i].name, name) == 0)
			sum += b->ops[i].value;
	return sum;
}

/* in_child - run FN(ARG) in a forked process, wait, return its status */
static int in_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void bump(enum counter_id id, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		counters_inc(id);
}

static void test_no_mapping_is_a_noop(void **state)
{
	struct batch b;

	(void)state;
	batch_init(&b);
	counters_inc(COUNTER_POLICY_OK);
	assert_int_equal(counters_value(COUNTER_POLICY_OK), 0);
	assert_int_equal(counters_flush(&b), 0);
	assert_int_equal(b.n, 0);
	counters_inc(COUNTER_COUNT);	/* out of range: ignored */
	assert_null(counters_name(COUNTER_COUNT));
	assert_string_equal(counters_name(COUNTER_CLOSED_IDLE), "closed_idle");
	batch_free(&b);
}

static void test_two_processes_add_up(void **state)
{
	pid_t pid[2];
	int status;

	(void)state;
	assert_int_equal(counters_create(), 0);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			bump(COUNTER_POLICY_DUNNO, INCS_PER_PROCESS);
			_exit(0);
		}
	}
	bump(COUNTER_POLICY_DUNNO, INCS_PER_PROCESS);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_int_equal(status, 0);
	}
	assert_int_equal(counters_value(COUNTER_POLICY_DUNNO),
			 3 * INCS_PER_PROCESS);
}

static void test_flush_adds_the_growth(void **state)
{
	struct batch b;

	(void)state;
	assert_int_equal(counters_create(), 0);
	batch_init(&b);
	bump(COUNTER_POLICY_OK, 3);
	bump(COUNTER_SOCKETMAP_PERM, 1);
	assert_int_equal(counters_flush(&b), 2);
	assert_int_equal(op_value(&b, "policy_ok"), 3);
	assert_int_equal(op_value(&b, "socketmap_perm"), 1);
	batch_clear(&b);
	assert_int_equal(counters_flush(&b), 0);	/* nothing new */
	bump(COUNTER_POLICY_OK, 5);
	assert_int_equal(counters_flush(&b), 1);
	assert_int_equal(op_value(&b, "policy_ok"), 5);
	assert_int_equal(counters_value(COUNTER_POLICY_OK), 8);
	batch_free(&b);
}

static void test_format_and_expiry_counts(void **state)
{
	struct batch b;
	char name[32];

	(void)state;
	batch_init(&b);
	counters_note_match("dovecot");
	counters_note_match("courier");
	counters_note_match("dovecot");
	counters_note_match(NULL);
	counters_note_match("evil name\n=1");
	counters_add(COUNTER_ENTRIES_EXPIRED, 7);
	counters_add(COUNTER_ENTRIES_EXPIRED, 0);
	assert_int_equal(counters_flush(&b), 5);
	assert_int_equal(op_value(&b, "matched_dovecot"), 2);
	assert_int_equal(op_value(&b, "matched_courier"), 1);
	assert_int_equal(op_value(&b, "matched_custom"), 1);
	assert_int_equal(op_value(&b, "matched_evil_name__1"), 1);
	assert_int_equal(op_value(&b, "entries_expired"), 7);
	batch_clear(&b);
	assert_int_equal(counters_flush(&b), 0);
	counters_note_match("courier");	/* a slot used before starts at 0 */
	counters_note_match("dovecot");
	assert_int_equal(counters_flush(&b), 2);
	assert_int_equal(op_value(&b, "matched_courier"), 1);
	assert_int_equal(op_value(&b, "matched_dovecot"), 1);
	batch_clear(&b);
	for (int i = 0; i < COUNTERS_FORMATS_MAX + 10; i++) {
		snprintf(name, sizeof name, "f%d", i);
		counters_note_match(name);
	}
	assert_int_equal(counters_flush(&b), COUNTERS_FORMATS_MAX);
	assert_int_equal(op_value(&b, "matched_f0"), 1);
	assert_int_equal(op_value(&b, "matched_f62"), 1);
	assert_int_equal(op_value(&b, "matched_other"), 11);
	batch_free(&b);
}

/* ---- restart semantics, with a real database ---- */

struct ingest_sim {
	const char *path;
	int commit;		/* 0: die between flush and commit */
};

/* one ingest worker's life: flush, commit (or be killed before) */
static void ingest_once(void *arg)
{
	struct ingest_sim *sim = arg;
	struct store *s;
	struct batch b;
	char err[256];

	batch_init(&b);
	counters_flush(&b);
	if (!sim->commit)
		_exit(0);
	if (store_open(&s, sim->path, STORE_CREATE, 0, err, sizeof err) != 0 ||
	    store_apply(s, &b) != 0)
		_exit(1);
	store_close(s);
	batch_free(&b);
}

static void serve_bumps(void *arg)
{
	bump(COUNTER_POLICY_OK, *(unsigned *)arg);
}

static uint64_t stored(const char *path, const char *name)
{
	struct store *s;
	char err[256];
	uint64_t v = 0;

	assert_int_equal(store_open(&s, path, STORE_READONLY, 0, err,
				    sizeof err), 0);
	assert_int_equal(store_get_counter(s, name, &v) >= 0, 1);
	store_close(s);
	return v;
}

static void test_restarted_ingest_goes_on(void **state)
{
	char dir[] = "/tmp/test_counters.XXXXXX", path[64], cmd[96];
	struct ingest_sim commits = { path, 1 }, dies = { path, 0 };
	unsigned n100 = 100, n50 = 50, n10 = 10, n7 = 7;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/popgate.lmdb", dir);
	assert_int_equal(counters_create(), 0);
	assert_int_equal(in_child(serve_bumps, &n100), 0);
	assert_int_equal(in_child(ingest_once, &commits), 0);
	assert_int_equal(stored(path, "policy_ok"), 100);
	assert_int_equal(in_child(serve_bumps, &n50), 0);
	assert_int_equal(in_child(ingest_once, &commits), 0);	/* restarted */
	assert_int_equal(stored(path, "policy_ok"), 150);
	assert_int_equal(in_child(ingest_once, &commits), 0);	/* no growth */
	assert_int_equal(stored(path, "policy_ok"), 150);
	/* killed between flush and commit: that flush is lost, no more */
	assert_int_equal(in_child(serve_bumps, &n10), 0);
	assert_int_equal(in_child(ingest_once, &dies), 0);
	assert_int_equal(in_child(serve_bumps, &n7), 0);
	assert_int_equal(in_child(ingest_once, &commits), 0);
	assert_int_equal(stored(path, "policy_ok"), 157);
	assert_int_equal(counters_value(COUNTER_POLICY_OK), 167);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* readme_rows - the "| `name` | meaning |" rows of README's counter
 * table into NAMES/MEANINGS; their number */
static size_t readme_rows(char names[][COUNTER_NAME_MAX],
			  char meanings[][256], size_t max)
{
	const char *top = getenv("POPGATE_TOP");
	char path[4096], line[1024];
	size_t n = 0;
	int in_table = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/README", top ? top : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL && n < max) {
		char *name, *end, *meaning;

		if (strncmp(line, "| counter | counts |", 20) == 0)
			in_table = 1;
		if (!in_table || strncmp(line, "| `", 3) != 0) {
			if (in_table && n > 0 && line[0] != '|')
				break;
			continue;
		}
		name = line + 3;
		end = strstr(name, "` | ");
		assert_non_null(end);
		*end = '\0';
		meaning = end + 4;
		meaning[strcspn(meaning, "\n")] = '\0';
		assert_true(strlen(meaning) > 2);
		meaning[strlen(meaning) - 2] = '\0';	/* " |" */
		copy_string(names[n], name, COUNTER_NAME_MAX);
		copy_string(meanings[n++], meaning, 256);
	}
	fclose(f);
	return n;
}

/* the README table lists every counter of counter_table, in its order,
 * with the same meaning, and nothing else but matched_<format> */
static void test_readme_agrees_with_the_table(void **state)
{
	static char names[COUNTER_COUNT + 8][COUNTER_NAME_MAX];
	static char meanings[COUNTER_COUNT + 8][256];
	size_t n = readme_rows(names, meanings, COUNTER_COUNT + 8), j = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "matched_<format>") == 0)
			continue;
		assert_true(j < COUNTER_COUNT);
		assert_string_equal(names[i], counter_table[j].name);
		assert_string_equal(meanings[i], counter_table[j].meaning);
		assert_non_null(counter_table[j].owner);
		j++;
	}
	assert_int_equal(j, COUNTER_COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_mapping_is_a_noop,
					  teardown_counters),
		cmocka_unit_test_teardown(test_two_processes_add_up,
					  teardown_counters),
		cmocka_unit_test_teardown(test_flush_adds_the_growth,
					  teardown_counters),
		cmocka_unit_test(test_readme_agrees_with_the_table),
		cmocka_unit_test_teardown(test_format_and_expiry_counts,
					  teardown_counters),
		cmocka_unit_test_teardown(test_restarted_ingest_goes_on,
					  teardown_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
