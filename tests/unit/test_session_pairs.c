/*
 * test_session_pairs.c - a keyed session that opens and closes within
 * one batch skips the session table (session_pairs.c): random sequences
 * of logins, keyed opens (replays among them), keyed closes, alias
 * closes and removals, applied as one batch to one database and op by op
 * to another, must leave the same records and the same open sessions
 * (probed by closing every key and alias afterwards), with room in the
 * table and with a table that fills up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "store_fixture.h"

#define T0 1700000000
#define KEYS 6
#define ALIASES 3
#define ADDRS 4
#define OPS 48

struct two {
	struct fixture *one;	/* each sequence as one batch */
	struct fixture *each;	/* each op in its own batch */
};

static int setup_two(void **state)
{
	struct two *t = xcalloc(1, sizeof *t);
	void *a, *b;

	if (setup(&a) != 0 || setup(&b) != 0)
		return -1;
	t->one = a;
	t->each = b;
	*state = t;
	return 0;
}

static int teardown_two(void **state)
{
	struct two *t = *state;
	void *a = t->one, *b = t->each;

	teardown(&a);
	teardown(&b);
	free(t);
	return 0;
}

static struct addr addr_n(unsigned n)
{
	char text[32];

	snprintf(text, sizeof text, "192.0.2.%u", n + 1);
	return ip(text);
}

/* random_op - one op into B at time T: CAP for the opens */
static void random_op(struct batch *b, time_t t, size_t cap)
{
	char key[8], alias[8];
	unsigned r = (unsigned)rand();
	struct addr a = addr_n(r / 7 % ADDRS);

	snprintf(key, sizeof key, "k%u", r / 11 % KEYS);
	snprintf(alias, sizeof alias, "u%u", r / 13 % ALIASES);
	switch (r % 20) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		batch_login(b, &a, t, "imap", alias);
		break;
	case 6: case 7: case 8: case 9: case 10: case 11:
		batch_session_key(b, key, strlen(key), alias, strlen(alias),
				  &a, t, 1, cap);
		break;
	case 12: case 13: case 14: case 15: case 16:
		batch_session_key(b, key, strlen(key), NULL, 0, NULL, t, 0, 0);
		break;
	case 17: case 18:
		batch_session_key(b, NULL, 0, alias, strlen(alias), NULL, t,
				  0, 0);
		break;
	default:
		batch_remove(b, &a);
	}
}

/* apply_both - the ops of B as one batch to ONE, one by one to EACH */
static void apply_both(struct two *t, const struct batch *b)
{
	struct batch single;

	assert_int_equal(store_apply(t->one->s, b), 0);
	batch_init(&single);
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_op *op = &b->ops[i];

		batch_clear(&single);
		if (op->kind == BATCH_LOGIN)
			batch_login(&single, &op->addr, op->time, op->service,
				    op->user);
		else if (op->kind == BATCH_REMOVE)
			batch_remove(&single, &op->addr);
		else
			batch_session_key(&single, op->bytes,
					  op->nbytes - op->nalias,
					  (char *)op->bytes + op->nbytes - op->nalias,
					  op->nalias, &op->addr, op->time,
					  op->kind == BATCH_SESSION_KEY_OPEN,
					  op->value);
		assert_int_equal(store_apply(t->each->s, &single), 0);
	}
	batch_free(&single);
}

static void expect_same_records(struct two *t)
{
	for (unsigned n = 0; n < ADDRS; n++) {
		struct addr a = addr_n(n);
		struct record x, y;
		int hx = store_get(t->one->s, &a, &x), hy = store_get(t->each->s, &a, &y);

		assert_int_equal(hx, hy);
		if (hx != 1)
			continue;
		assert_int_equal(x.count, y.count);
		assert_int_equal(x.last_seen, y.last_seen);
		assert_int_equal(x.session_start, y.session_start);
		assert_int_equal(x.open_sessions, y.open_sessions);
	}
}

/* probe - close every key, then every alias a few times, one batch
 * each: what was open shows in the records */
static void probe(struct two *t, time_t at)
{
	struct batch b;

	batch_init(&b);
	for (unsigned k = 0; k < KEYS + ALIASES * 4; k++) {
		char name[8];

		batch_clear(&b);
		if (k < KEYS) {
			snprintf(name, sizeof name, "k%u", k);
			batch_session_key(&b, name, strlen(name), NULL, 0, NULL,
					  at + k, 0, 0);
		} else {
			snprintf(name, sizeof name, "u%u", (k - KEYS) % ALIASES);
			batch_session_key(&b, NULL, 0, name, strlen(name), NULL,
					  at + k, 0, 0);
		}
		assert_int_equal(store_apply(t->one->s, &b), 0);
		assert_int_equal(store_apply(t->each->s, &b), 0);
		expect_same_records(t);
	}
	batch_free(&b);
}

static void run_rounds(struct two *t, unsigned seed, size_t cap)
{
	struct batch b;
	time_t now = T0;

	srand(seed);
	batch_init(&b);
	for (int round = 0; round < 150; round++) {
		struct store_stats x, y;

		batch_clear(&b);
		for (int i = 0; i < OPS; i++)
			random_op(&b, now += rand() % 3, cap);
		apply_both(t, &b);
		expect_same_records(t);
		assert_int_equal(store_stats(t->one->s, now, &x), 0);
		assert_int_equal(store_stats(t->each->s, now, &y), 0);
		assert_int_equal(x.sessions, y.sessions);
		if (round % 10 == 9)
			probe(t, now += 100);
	}
	batch_free(&b);
}

static void test_room_in_table(void **state)
{
	run_rounds(*state, 1796, 1000);
}

static void test_table_fills(void **state)
{
	run_rounds(*state, 1797, 3);
}

/* the case a catch-up of a Dovecot log is made of: every session opens
 * and closes in the batch and never reaches the table */
static void test_pairs_skip_the_table(void **state)
{
	struct two *t = *state;
	struct batch b;
	struct addr a = addr_n(0);
	struct store_stats st;
	struct record r;

	batch_init(&b);
	batch_login(&b, &a, T0, "imap", "alice");
	batch_session_key(&b, "k1", 2, "alice", 5, &a, T0, 1, 100);
	batch_session_key(&b, "k1", 2, NULL, 0, NULL, T0 + 60, 0, 0);
	assert_int_equal(store_apply(t->one->s, &b), 0);
	assert_int_equal(store_get(t->one->s, &a, &r), 1);
	assert_int_equal(r.open_sessions, 0);
	assert_int_equal(r.last_seen, T0 + 60);	/* the window starts at logout */
	assert_int_equal(store_stats(t->one->s, T0, &st), 0);
	assert_int_equal(st.sessions, 0);
	batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pairs_skip_the_table,
						setup_two, teardown_two),
		cmocka_unit_test_setup_teardown(test_room_in_table, setup_two,
						teardown_two),
		cmocka_unit_test_setup_teardown(test_table_fills, setup_two,
						teardown_two),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
