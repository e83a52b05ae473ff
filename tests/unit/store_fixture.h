/*
 * store_fixture.h - what the store's unit tests share: a database in a
 * fresh temporary directory, address and login helpers, and raw LMDB
 * writes that bypass the store (to plant hostile values).
 */
#ifndef POPGATE_STORE_FIXTURE_H
#define POPGATE_STORE_FIXTURE_H

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"



struct fixture {
	char dir[64];
	char path[128];
	struct store *s;
};

static inline int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char err[256];

	strcpy(f->dir, "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/popgate.lmdb", f->dir);
	if (store_open(&f->s, f->path, STORE_CREATE, 0, err, sizeof(err)))
		return -1;
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	clock_set(0);
	return 0;
}

static inline struct addr ip(const char *text)
{
	struct addr a;

	assert_int_equal(addr_parse(text, strlen(text), &a), 0);
	return a;
}

static inline void login(struct store *s, const char *text, time_t t,
		  const char *user)
{
	struct batch b;
	struct addr a = ip(text);

	batch_init(&b);
	batch_login(&b, &a, t, "pop3", user);
	assert_int_equal(store_apply(s, &b), 0);
	batch_free(&b);
}

static const struct store_params window30 = { 1800, 0, 0, 0 };


/* raw_put - write KEY/VAL into sub-database DB bypassing the store */
static inline void raw_put(const char *path, const char *db, const void *key,
		    size_t klen, const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 3), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static inline int reopen(struct fixture *f, int flags)
{
	char err[256];

	store_close(f->s);
	f->s = NULL;
	return store_open(&f->s, f->path, flags, 0, err, sizeof(err));
}


static inline int count_entries(const struct addr *a, const struct record *r,
			 void *ctx)
{
	(void)a;
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

static inline void add_range(struct store *s, unsigned from, unsigned n,
			     time_t t)
{
	struct batch b;
	struct addr a;
	unsigned i;

	batch_init(&b);
	for (i = from; i < from + n; i++) {
		memset(&a, 0, sizeof(a));
		a.b[10] = a.b[11] = 0xff;
		a.b[12] = 10;
		a.b[13] = (unsigned char)(i >> 16);
		a.b[14] = (unsigned char)(i >> 8);
		a.b[15] = (unsigned char)i;
		batch_login(&b, &a, t, "pop3", "u");
		if (b.n == 1000) {
			assert_int_equal(store_apply(s, &b), 0);
			batch_clear(&b);
		}
	}
	assert_int_equal(store_apply(s, &b), 0);
	batch_free(&b);
}

#endif
