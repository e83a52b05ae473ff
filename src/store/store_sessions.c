/*
 * store_sessions.c - the open-session table in the "sessions"
 * sub-database, changed inside the caller's write transaction: a
 * session's key -> (address, login time, alias), an index by login time
 * so the oldest is found at once, and an index by alias and login time so
 * a logout that names only its user finds that user's oldest session. It
 * must never hold more than the cap the caller gives, and never trust a
 * value it cannot decode.
 *
 * Layout, three entries per open session:
 *         "k" KEY -> version, 3 pad, address (16), login time (8, LE), alias
 *         "t" TIME (8, big-endian) KEY -> "" (oldest first)
 *         "a" ALIAS_LEN (1) ALIAS TIME (8, big-endian) KEY -> "" (an empty
 *             alias for a session that has none)
 */
#include <string.h>

#include "store_priv.h"

#define SESSION_VALUE_SIZE 28	/* without the alias */
#define SESSION_VERSION 1
#define KEY_CAP (1 + 8 + STORE_SESSION_KEY_MAX)
#define ALIAS_CAP (2 + STORE_SESSION_ALIAS_MAX + 8 + STORE_SESSION_KEY_MAX)
#define ENTRIES 3		/* per session */

/* one session as stored: its key, login time and alias */
struct session {
	unsigned char key[STORE_SESSION_KEY_MAX];
	size_t klen;
	unsigned char alias[STORE_SESSION_ALIAS_MAX];
	size_t alen;
	int64_t t;
	struct addr addr;
};

struct session_keys {
	unsigned char k[KEY_CAP], t[KEY_CAP], a[ALIAS_CAP];
	MDB_val kv, tv, av;
};

static void be64(uint64_t v, unsigned char *buf)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		buf[i] = (unsigned char)v;
}

static int64_t be64_decode(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* alias_prefix - "a" ALIAS_LEN ALIAS into BUF; its length */
static size_t alias_prefix(const void *alias, size_t alen, unsigned char *buf)
{
	buf[0] = 'a';
	buf[1] = (unsigned char)alen;
	memcpy(buf + 2, alias, alen);
	return 2 + alen;
}

/* make_keys - the three keys of session SE */
static void make_keys(struct session_keys *sk, const struct session *se)
{
	size_t n;

	sk->k[0] = 'k';
	memcpy(sk->k + 1, se->key, se->klen);
	sk->kv.mv_data = sk->k;
	sk->kv.mv_size = 1 + se->klen;
	sk->t[0] = 't';
	be64((uint64_t)se->t, sk->t + 1);
	memcpy(sk->t + 9, se->key, se->klen);
	sk->tv.mv_data = sk->t;
	sk->tv.mv_size = 9 + se->klen;
	n = alias_prefix(se->alias, se->alen, sk->a);
	be64((uint64_t)se->t, sk->a + n);
	memcpy(sk->a + n + 8, se->key, se->klen);
	sk->av.mv_data = sk->a;
	sk->av.mv_size = n + 8 + se->klen;
}

/* set_key - SE names KEY; 0 when it is no session key */
static int set_key(struct session *se, const void *key, size_t klen)
{
	if (klen == 0 || klen > STORE_SESSION_KEY_MAX)
		return 0;
	memcpy(se->key, key, klen);
	se->klen = klen;
	return 1;
}

/* get - 1 and the rest of *SE (whose key is set); 0 absent or
 * undecodable (then its "k" entry is removed); <0 LMDB */
static int get(struct store *s, MDB_txn *txn, struct session *se)
{
	unsigned char k[KEY_CAP];
	const unsigned char *p;
	MDB_val kv = { 1 + se->klen, k }, v;
	int rc;

	k[0] = 'k';
	memcpy(k + 1, se->key, se->klen);
	rc = mdb_get(txn, s->sessions, &kv, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : -rc;
	p = v.mv_data;
	if (v.mv_size < SESSION_VALUE_SIZE ||
	    v.mv_size > SESSION_VALUE_SIZE + STORE_SESSION_ALIAS_MAX ||
	    p[0] != SESSION_VERSION) {
		store_skip_invalid(s, "session");
		mdb_del(txn, s->sessions, &kv, NULL);
		return 0;
	}
	memcpy(se->addr.b, p + 4, sizeof se->addr.b);
	se->t = (int64_t)u64_decode(p + 20);
	se->alen = v.mv_size - SESSION_VALUE_SIZE;
	memcpy(se->alias, p + SESSION_VALUE_SIZE, se->alen);
	return 1;
}

static int del_entry(struct store *s, MDB_txn *txn, MDB_val *k)
{
	int rc = mdb_del(txn, s->sessions, k, NULL);

	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* del - the three entries of session SE */
static int del(struct store *s, MDB_txn *txn, const struct session *se)
{
	struct session_keys sk;
	int rc;

	make_keys(&sk, se);
	if ((rc = del_entry(s, txn, &sk.kv)) == 0 &&
	    (rc = del_entry(s, txn, &sk.tv)) == 0)
		rc = del_entry(s, txn, &sk.av);
	return rc;
}

/* take - remove session SE (key set) and fill the rest: *FOUND 1 when it
 * was open */
static int take(struct store *s, MDB_txn *txn, struct session *se,
		int *found)
{
	int rc = get(s, txn, se);

	*found = rc > 0;
	return rc <= 0 ? -rc : del(s, txn, se);
}

/* first_after - the first key at or after PREFIX (PLEN bytes) that starts
 * with it and is followed by TIME (8) and a session key: into SE's key
 * and T; MDB_NOTFOUND when there is none */
static int first_after(struct store *s, MDB_txn *txn,
		       const unsigned char *prefix, size_t plen,
		       struct session *se)
{
	MDB_cursor *cur;
	MDB_val k = { plen, (void *)prefix }, v;
	int rc = mdb_cursor_open(txn, s->sessions, &cur);

	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && (k.mv_size < plen + 9 ||
			k.mv_size > plen + 8 + STORE_SESSION_KEY_MAX ||
			memcmp(k.mv_data, prefix, plen) != 0))
		rc = MDB_NOTFOUND;
	if (rc == 0) {
		const unsigned char *p = (const unsigned char *)k.mv_data + plen;

		se->t = be64_decode(p);
		se->klen = k.mv_size - plen - 8;
		memcpy(se->key, p + 8, se->klen);
	}
	mdb_cursor_close(cur);
	return rc;
}

/* take_indexed - remove session SE, found (key and time) in the index
 * PREFIX: *FOUND 1 and its address in SE. An index entry whose session
 * is gone (its "k" was undecodable) is removed alone */
static int take_indexed(struct store *s, MDB_txn *txn,
			const unsigned char *prefix, size_t plen,
			struct session *se, int *found)
{
	struct session_keys sk;
	int64_t t = se->t;
	int rc = take(s, txn, se, found);

	if (rc != 0 || *found)
		return rc;
	se->t = t;
	se->alen = prefix[0] == 'a' ? plen - 2 : 0;
	memcpy(se->alias, prefix + 2, se->alen);
	make_keys(&sk, se);
	return del_entry(s, txn, prefix[0] == 'a' ? &sk.av : &sk.tv);
}

/* take_first - remove the first session of the index PREFIX (the oldest
 * open one, or a user's oldest): *FOUND 1 and its address in *A */
static int take_first(struct store *s, MDB_txn *txn,
		      const unsigned char *prefix, size_t plen,
		      struct addr *a, int *found)
{
	struct session se;
	int rc;

	*found = 0;
	while ((rc = first_after(s, txn, prefix, plen, &se)) == 0) {
		if ((rc = take_indexed(s, txn, prefix, plen, &se, found)) != 0)
			return rc;
		if (*found) {
			*a = se.addr;
			return 0;
		}
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* count - open sessions */
static size_t count(struct store *s, MDB_txn *txn)
{
	MDB_stat st;

	return mdb_stat(txn, s->sessions, &st) == 0 ?
	    st.ms_entries / ENTRIES : 0;
}

int store_session_take_oldest(struct store *s, MDB_txn *txn,
			      struct addr *a, int *found)
{
	return take_first(s, txn, (const unsigned char *)"t", 1, a, found);
}

int store_session_open(struct store *s, MDB_txn *txn, const void *key,
		       size_t klen, const void *alias, size_t alen,
		       const struct addr *a, int64_t t, size_t cap,
		       int *opened, int *full)
{
	struct session se;
	struct session_keys sk;
	unsigned char buf[SESSION_VALUE_SIZE + STORE_SESSION_ALIAS_MAX];
	MDB_val v = { SESSION_VALUE_SIZE + alen, buf }, none = { 0, "" };
	int rc;

	*opened = *full = 0;
	if (!set_key(&se, key, klen) || alen > STORE_SESSION_ALIAS_MAX)
		return 0;
	rc = get(s, txn, &se);
	if (rc != 0)
		return rc < 0 ? -rc : 0;	/* open already (a replay) */
	if (cap > 0 && count(s, txn) >= cap) {
		*full = 1;	/* the caller closes the oldest first */
		return 0;
	}
	se.t = t;
	se.alen = alen;
	memcpy(se.alias, alias, alen);
	make_keys(&sk, &se);
	memset(buf, 0, SESSION_VALUE_SIZE);
	buf[0] = SESSION_VERSION;
	memcpy(buf + 4, a->b, sizeof a->b);
	u64_encode((uint64_t)t, buf + 20);
	memcpy(buf + SESSION_VALUE_SIZE, alias, alen);
	if ((rc = mdb_put(txn, s->sessions, &sk.kv, &v, 0)) != 0 ||
	    (rc = mdb_put(txn, s->sessions, &sk.tv, &none, 0)) != 0 ||
	    (rc = mdb_put(txn, s->sessions, &sk.av, &none, 0)) != 0)
		return rc;
	*opened = 1;
	return 0;
}

int store_session_exists(struct store *s, MDB_txn *txn, const void *key,
			 size_t klen, int *found)
{
	struct session se;
	int rc;

	*found = 0;
	if (!set_key(&se, key, klen))
		return 0;
	rc = get(s, txn, &se);
	*found = rc > 0;
	return rc < 0 ? -rc : 0;
}

int store_session_close(struct store *s, MDB_txn *txn, const void *key,
			size_t klen, struct addr *a, int *found)
{
	struct session se;
	int rc;

	*found = 0;
	if (!set_key(&se, key, klen))
		return 0;
	rc = take(s, txn, &se, found);
	if (rc == 0 && *found)
		*a = se.addr;
	return rc;
}

int store_session_close_alias(struct store *s, MDB_txn *txn,
			      const void *alias, size_t alen, struct addr *a,
			      int *found)
{
	unsigned char prefix[2 + STORE_SESSION_ALIAS_MAX];

	*found = 0;
	if (alen == 0 || alen > STORE_SESSION_ALIAS_MAX)
		return 0;
	return take_first(s, txn, prefix, alias_prefix(alias, alen, prefix),
			  a, found);
}

int store_session_prune(struct store *s, MDB_txn *txn, int64_t before,
			size_t max, size_t *pruned)
{
	const unsigned char *t_index = (const unsigned char *)"t";
	struct session se;
	int rc = 0, found;

	*pruned = 0;
	while (*pruned < max &&
	       (rc = first_after(s, txn, t_index, 1, &se)) == 0 &&
	       se.t < before) {
		if ((rc = take_indexed(s, txn, t_index, 1, &se, &found)) != 0)
			return rc;
		(*pruned)++;
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

size_t store_session_count(struct store *s, MDB_txn *txn)
{
	return count(s, txn);
}
