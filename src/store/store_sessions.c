/*
 * store_sessions.c - the open-session table in the "sessions"
 * sub-database, changed inside the caller's write transaction: a
 * session's key -> (address, login time), plus an index by login time so
 * the oldest is found at once. It must never hold more than the cap the
 * caller gives, and never trust a value it cannot decode.
 *
 * Layout: "k" KEY -> version, 3 pad, address (16), login time (8, LE);
 *         "t" TIME (8, big-endian) KEY -> "" (the index, oldest first)
 */
#include <string.h>

#include "store_priv.h"

#define SESSION_VALUE_SIZE 28
#define SESSION_VERSION 1
#define KEY_CAP (1 + 8 + STORE_SESSION_KEY_MAX)

struct session_keys {
	unsigned char k[KEY_CAP], t[KEY_CAP];
	MDB_val kv, tv;
};

static void be64(uint64_t v, unsigned char *buf)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		buf[i] = (unsigned char)v;
}

/* make_keys - both keys of the session KEY logged in at T */
static void make_keys(struct session_keys *sk, const void *key, size_t klen,
		      int64_t t)
{
	sk->k[0] = 'k';
	memcpy(sk->k + 1, key, klen);
	sk->kv.mv_data = sk->k;
	sk->kv.mv_size = 1 + klen;
	sk->t[0] = 't';
	be64((uint64_t)t, sk->t + 1);
	memcpy(sk->t + 9, key, klen);
	sk->tv.mv_data = sk->t;
	sk->tv.mv_size = 9 + klen;
}

static void encode(const struct addr *a, int64_t t, unsigned char *buf)
{
	memset(buf, 0, SESSION_VALUE_SIZE);
	buf[0] = SESSION_VERSION;
	memcpy(buf + 4, a->b, sizeof a->b);
	u64_encode((uint64_t)t, buf + 20);
}

/* get - 1 and *A, *T of session KEY; 0 absent or undecodable; <0 LMDB */
static int get(struct store *s, MDB_txn *txn, const void *key, size_t klen,
	       struct addr *a, int64_t *t)
{
	struct session_keys sk;
	unsigned char buf[SESSION_VALUE_SIZE];
	MDB_val v;
	int rc;

	make_keys(&sk, key, klen, 0);
	rc = mdb_get(txn, s->sessions, &sk.kv, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : -rc;
	if (v.mv_size != SESSION_VALUE_SIZE ||
	    ((const unsigned char *)v.mv_data)[0] != SESSION_VERSION) {
		store_skip_invalid(s, "session");
		mdb_del(txn, s->sessions, &sk.kv, NULL);
		return 0;
	}
	memcpy(buf, v.mv_data, sizeof buf);
	memcpy(a->b, buf + 4, sizeof a->b);
	*t = (int64_t)u64_decode(buf + 20);
	return 1;
}

/* del - both entries of session KEY logged in at T */
static int del(struct store *s, MDB_txn *txn, const void *key, size_t klen,
	       int64_t t)
{
	struct session_keys sk;
	int rc;

	make_keys(&sk, key, klen, t);
	rc = mdb_del(txn, s->sessions, &sk.kv, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_del(txn, s->sessions, &sk.tv, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* oldest - the key (into KEY, *KLEN) and login time of the oldest open
 * session; MDB_NOTFOUND when there is none */
static int oldest(struct store *s, MDB_txn *txn, unsigned char *key,
		  size_t *klen, int64_t *t)
{
	MDB_cursor *cur;
	MDB_val k = { 1, "t" }, v;
	int rc = mdb_cursor_open(txn, s->sessions, &cur);

	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && (k.mv_size < 9 || k.mv_size > 9 + STORE_SESSION_KEY_MAX ||
			((const unsigned char *)k.mv_data)[0] != 't'))
		rc = MDB_NOTFOUND;
	if (rc == 0) {
		const unsigned char *p = k.mv_data;

		*t = (int64_t)(((uint64_t)p[1] << 56) | ((uint64_t)p[2] << 48) |
			       ((uint64_t)p[3] << 40) | ((uint64_t)p[4] << 32) |
			       ((uint64_t)p[5] << 24) | ((uint64_t)p[6] << 16) |
			       ((uint64_t)p[7] << 8) | (uint64_t)p[8]);
		*klen = k.mv_size - 9;
		memcpy(key, p + 9, *klen);
	}
	mdb_cursor_close(cur);
	return rc;
}

/* count - open sessions (two entries each) */
static size_t count(struct store *s, MDB_txn *txn)
{
	MDB_stat st;

	return mdb_stat(txn, s->sessions, &st) == 0 ? st.ms_entries / 2 : 0;
}

int store_session_take_oldest(struct store *s, MDB_txn *txn,
			      struct addr *a, int *found)
{
	unsigned char key[STORE_SESSION_KEY_MAX];
	size_t klen;
	int64_t t, login;
	int rc;

	*found = 0;
	rc = oldest(s, txn, key, &klen, &t);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	rc = get(s, txn, key, klen, a, &login);
	if (rc < 0)
		return -rc;
	*found = rc;
	return del(s, txn, key, klen, t);
}

int store_session_open(struct store *s, MDB_txn *txn, const void *key,
		       size_t klen, const struct addr *a, int64_t t,
		       size_t cap, int *opened, int *full)
{
	struct session_keys sk;
	unsigned char buf[SESSION_VALUE_SIZE];
	MDB_val v = { sizeof buf, buf }, none = { 0, "" };
	struct addr old;
	int64_t old_t;
	int rc;

	*opened = *full = 0;
	if (klen == 0 || klen > STORE_SESSION_KEY_MAX)
		return 0;
	rc = get(s, txn, key, klen, &old, &old_t);
	if (rc != 0)
		return rc < 0 ? -rc : 0;	/* open already (a replay) */
	if (cap > 0 && count(s, txn) >= cap) {
		*full = 1;	/* the caller closes the oldest first */
		return 0;
	}
	make_keys(&sk, key, klen, t);
	encode(a, t, buf);
	if ((rc = mdb_put(txn, s->sessions, &sk.kv, &v, 0)) != 0 ||
	    (rc = mdb_put(txn, s->sessions, &sk.tv, &none, 0)) != 0)
		return rc;
	*opened = 1;
	return 0;
}

int store_session_close(struct store *s, MDB_txn *txn, const void *key,
			size_t klen, struct addr *a, int *found)
{
	int64_t t;
	int rc;

	*found = 0;
	if (klen == 0 || klen > STORE_SESSION_KEY_MAX)
		return 0;
	rc = get(s, txn, key, klen, a, &t);
	if (rc <= 0)
		return -rc;
	*found = 1;
	return del(s, txn, key, klen, t);
}

int store_session_prune(struct store *s, MDB_txn *txn, int64_t before,
			size_t max, size_t *pruned)
{
	unsigned char key[STORE_SESSION_KEY_MAX];
	size_t klen;
	int64_t t;
	int rc = 0;

	*pruned = 0;
	while (*pruned < max &&
	       (rc = oldest(s, txn, key, &klen, &t)) == 0 && t < before) {
		struct session_keys sk;

		make_keys(&sk, key, klen, t);
		if ((rc = mdb_del(txn, s->sessions, &sk.kv, NULL)) != 0 &&
		    rc != MDB_NOTFOUND)
			return rc;
		if ((rc = mdb_del(txn, s->sessions, &sk.tv, NULL)) != 0)
			return rc;
		(*pruned)++;
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

size_t store_session_count(struct store *s, MDB_txn *txn)
{
	return count(s, txn);
}
