/*
 * store_read.c - everything that only reads the database: lookups (one
 * cached read transaction, reset and renewed per call), iteration over
 * records, positions and counters, parameters and statistics. It must
 * never trust a value it cannot decode: such values count as absent.
 */
#include <stdio.h>
#include <string.h>

#include "store_priv.h"

/* begin_fresh - a new read transaction, following a map grown by the
 * writer (MDB_MAP_RESIZED) or reopening a failed environment (MDB_PANIC) */
static int begin_fresh(struct store *s, MDB_txn **txn)
{
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);

	if (rc == MDB_MAP_RESIZED && s->rtxn_busy == 0) {
		if ((rc = mdb_env_set_mapsize(s->env, 0)) == 0)
			rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	}
	if (rc == MDB_PANIC && s->rtxn_busy == 0) {
		if (store_reopen(s) < 0)
			return MDB_PANIC;
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	}
	return rc;
}

int store_read_begin(struct store *s, MDB_txn **txn)
{
	int rc;

	if (s->env == NULL)
		return store_fail(s, MDB_PANIC, "read");
	if (s->rtxn_busy) {	/* nested use, e.g. from a store_each callback */
		rc = begin_fresh(s, txn);
		return rc ? store_fail(s, rc, "read") : 0;
	}
	if (s->rtxn) {
		if (mdb_txn_renew(s->rtxn) == 0) {
			*txn = s->rtxn;
			s->rtxn_busy = 1;
			return 0;
		}
		mdb_txn_abort(s->rtxn);	/* then start over below */
		s->rtxn = NULL;
	}
	if ((rc = begin_fresh(s, &s->rtxn)) != 0) {
		s->rtxn = NULL;
		return store_fail(s, rc, "read");
	}
	*txn = s->rtxn;
	s->rtxn_busy = 1;
	return 0;
}

void store_read_end(struct store *s, MDB_txn *txn)
{
	if (txn == s->rtxn) {
		mdb_txn_reset(txn);
		s->rtxn_busy = 0;
	} else {
		mdb_txn_abort(txn);
	}
}

/* read_record - 1 found, 0 absent or undecodable, -1 error */
static int read_record(struct store *s, const struct addr *a,
		       struct record *r)
{
	MDB_val k = { sizeof(a->b), (void *)a->b }, v;
	MDB_txn *txn;
	int rc, found = 0;

	if (store_read_begin(s, &txn) < 0)
		return -1;
	rc = mdb_get(txn, s->records, &k, &v);
	if (rc == 0 && record_decode(v.mv_data, v.mv_size, r) == 0)
		found = 1;
	else if (rc == 0)
		store_skip_invalid(s, "record");
	store_read_end(s, txn);
	if (rc && rc != MDB_NOTFOUND)
		return store_fail(s, rc, "get");
	return found;
}

int store_get(struct store *s, const struct addr *a, struct record *r)
{
	return read_record(s, a, r);
}

int store_lookup(struct store *s, const struct addr *a, time_t now,
		 const struct store_params *p, struct record *r)
{
	struct store_params stored;
	struct record tmp;
	int found;

	if (p == NULL) {
		if (store_read_params(s, &stored) < 0)
			return -1;
		p = &stored;
	}
	if (r == NULL)
		r = &tmp;
	found = read_record(s, a, r);
	if (found <= 0)
		return found;
	if (now >= record_expires(r, p))
		return 0;
	return record_shared(r, p, now) ? STORE_SHARED : STORE_LISTED;
}

/* get_meta - copy meta value K into BUF; its length, 0 absent, -1 error,
 * -2 longer than SIZE */
static long get_meta(struct store *s, MDB_val *k, void *buf, size_t size)
{
	MDB_txn *txn;
	MDB_val v;
	long n;
	int rc;

	if (store_read_begin(s, &txn) < 0)
		return -1;
	rc = mdb_get(txn, s->meta, k, &v);
	if (rc == 0 && v.mv_size <= size) {
		memcpy(buf, v.mv_data, v.mv_size);
		n = (long)v.mv_size;
	} else {
		n = rc == 0 ? -2 : 0;
	}
	store_read_end(s, txn);
	if (rc && rc != MDB_NOTFOUND)
		return store_fail(s, rc, "get meta");
	return n;
}

int store_read_params(struct store *s, struct store_params *p)
{
	char key[POSITION_NAME_MAX + 1];
	unsigned char buf[PARAMS_VALUE_SIZE];
	MDB_val k;
	long n;

	meta_key(key, META_PARAMS_KEY, "", &k);
	n = get_meta(s, &k, buf, sizeof(buf));
	if (n == -1)
		return -1;
	if (n > 0 && params_decode(buf, (size_t)n, p) == 0)
		return 1;
	if (n != 0)
		store_skip_invalid(s, "params");
	memset(p, 0, sizeof(*p));
	p->window = STORE_DEFAULT_WINDOW;
	return 0;
}

int64_t store_get_time(struct store *s, const char *name)
{
	unsigned char buf[8];
	long n = store_get_meta(s, name, buf, sizeof buf);

	if (n == -1)
		return -1;
	if (n != (long)sizeof buf || (int64_t)u64_decode(buf) < 0)
		return 0;	/* unset, or not a time this program wrote */
	return (int64_t)u64_decode(buf);
}

long store_get_meta(struct store *s, const char *name, void *buf, size_t size)
{
	char key[POSITION_NAME_MAX + 1];
	MDB_val k;
	long n;

	if (meta_key(key, META_BLOB_PREFIX, name, &k) < 0)
		return 0;
	n = get_meta(s, &k, buf, size);
	return n == -2 ? -1 : n;
}

int store_get_counter(struct store *s, const char *name, uint64_t *value)
{
	char key[POSITION_NAME_MAX + 1];
	unsigned char buf[8];
	MDB_val k;
	long n;

	*value = 0;
	if (meta_key(key, META_COUNTER_PREFIX, name, &k) < 0)
		return 0;
	n = get_meta(s, &k, buf, sizeof(buf));
	if (n == -1)
		return -1;
	if (n == (long)sizeof(buf))
		*value = u64_decode(buf);
	return 0;
}

/* ---- iteration ---- */

/* a cursor visitor: returns non-zero to stop */
typedef int (*visit_fn)(struct store *s, const MDB_val *k, const MDB_val *v,
			void *ctx);

/* each - visit DBI from key FROM (or the start) while VISIT returns 0 */
static int each(struct store *s, MDB_dbi dbi, const MDB_val *from,
		visit_fn visit, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = { 0, NULL }, v;
	MDB_cursor_op op = from ? MDB_SET_RANGE : MDB_FIRST;
	int rc;

	if (from)
		k = *from;
	if (store_read_begin(s, &txn) < 0)
		return -1;
	s->each_txn = mdb_txn_id(txn);
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) == 0) {
		while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0 &&
		       visit(s, &k, &v, ctx) == 0)
			op = MDB_NEXT;
		mdb_cursor_close(cur);
	}
	store_read_end(s, txn);
	if (rc && rc != MDB_NOTFOUND)
		return store_fail(s, rc, "read");
	return 0;
}

struct each_records {
	store_each_fn fn;
	void *ctx;
};

static int visit_record(struct store *s, const MDB_val *k, const MDB_val *v,
			void *ctx)
{
	struct each_records *e = ctx;
	struct addr a;
	struct record r;

	if (k->mv_size != sizeof(a.b) ||
	    record_decode(v->mv_data, v->mv_size, &r) < 0) {
		store_skip_invalid(s, "record");
		return 0;
	}
	memcpy(a.b, k->mv_data, sizeof(a.b));
	return e->fn(&a, &r, e->ctx);
}

int store_each(struct store *s, store_each_fn fn, void *ctx)
{
	struct each_records e = { fn, ctx };

	return each(s, s->records, NULL, visit_record, &e);
}

/* key_name - an LMDB key as a NUL-terminated name (cut at a NUL byte) */
static void key_name(const MDB_val *k, size_t skip, char *name)
{
	size_t n = k->mv_size - skip;

	if (n > POSITION_NAME_MAX)
		n = POSITION_NAME_MAX;
	memcpy(name, (const char *)k->mv_data + skip, n);
	name[n] = '\0';
}

struct each_positions {
	store_position_fn fn;
	void *ctx;
};

static int visit_position(struct store *s, const MDB_val *k,
			  const MDB_val *v, void *ctx)
{
	struct each_positions *e = ctx;
	char name[POSITION_NAME_MAX + 1];
	struct position p;

	if (position_decode(v->mv_data, v->mv_size, &p) < 0) {
		store_skip_invalid(s, "position");
		return 0;
	}
	key_name(k, 0, name);
	return e->fn(name, &p, e->ctx);
}

int store_each_position(struct store *s, store_position_fn fn, void *ctx)
{
	struct each_positions e = { fn, ctx };

	return each(s, s->positions, NULL, visit_position, &e);
}

int store_get_position(struct store *s, const char *name, struct position *p)
{
	char key[POSITION_NAME_MAX + 1];
	MDB_txn *txn;
	MDB_val k, v;
	int rc, found = 0;

	memset(p, 0, sizeof(*p));
	if (meta_key(key, "", name, &k) < 0)
		return 0;
	if (store_read_begin(s, &txn) < 0)
		return -1;
	rc = mdb_get(txn, s->positions, &k, &v);
	if (rc == 0 && position_decode(v.mv_data, v.mv_size, p) == 0)
		found = 1;
	else if (rc == 0)
		store_skip_invalid(s, "position");
	store_read_end(s, txn);
	if (rc && rc != MDB_NOTFOUND)
		return store_fail(s, rc, "get position");
	return found;
}

struct each_counters {
	store_counter_fn fn;
	void *ctx;
};

static int visit_counter(struct store *s, const MDB_val *k, const MDB_val *v,
			 void *ctx)
{
	struct each_counters *e = ctx;
	size_t lp = sizeof(META_COUNTER_PREFIX) - 1;
	char name[POSITION_NAME_MAX + 1];
	unsigned char buf[8];

	if (k->mv_size < lp || memcmp(k->mv_data, META_COUNTER_PREFIX, lp))
		return 1;	/* past the counters */
	if (v->mv_size != sizeof(buf)) {
		store_skip_invalid(s, "counter");
		return 0;
	}
	memcpy(buf, v->mv_data, sizeof(buf));
	key_name(k, lp, name);
	return e->fn(name, u64_decode(buf), e->ctx);
}

int store_each_counter(struct store *s, store_counter_fn fn, void *ctx)
{
	struct each_counters e = { fn, ctx };
	MDB_val from = { sizeof(META_COUNTER_PREFIX) - 1,
			 (void *)META_COUNTER_PREFIX };

	return each(s, s->meta, &from, visit_counter, &e);
}

/* ---- statistics ---- */

struct count_ctx {
	time_t now;
	struct store_stats *st;
};

static int count_record(const struct addr *a, const struct record *r,
			void *ctx)
{
	struct count_ctx *c = ctx;

	(void)a;
	c->st->entries++;
	if (c->now >= record_expires(r, &c->st->params))
		c->st->expired++;
	else if (record_shared(r, &c->st->params, c->now))
		c->st->shared++;
	return 0;
}

int store_stats(struct store *s, time_t now, struct store_stats *st)
{
	struct count_ctx c = { now, st };
	MDB_envinfo info;
	MDB_stat mst;
	MDB_txn *txn;
	size_t invalid_before = s->invalid;

	memset(st, 0, sizeof(*st));
	if (store_read_params(s, &st->params) < 0 ||
	    store_each(s, count_record, &c) < 0)
		return -1;
	st->invalid = s->invalid - invalid_before;
	if (s->has_sessions && store_read_begin(s, &txn) == 0) {
		st->sessions = store_session_count(s, txn);
		store_read_end(s, txn);
	}
	if (s->env && mdb_env_info(s->env, &info) == 0 &&
	    mdb_env_stat(s->env, &mst) == 0) {
		st->map_size = info.me_mapsize;
		st->map_used = (info.me_last_pgno + 1) * (size_t)mst.ms_psize;
		st->last_txn = info.me_last_txnid;
	}
	return 0;
}
