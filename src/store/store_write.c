/*
 * store_write.c - the changes made inside write transactions: applying a
 * batch (logins merged with max(), removals, sessions with the session
 * table, or without it when one opens and closes in the batch,
 * positions, counters, meta) and the expiry sweep in bounded
 * chunks. It must never
 * hold the writer for more than STORE_SWEEP_CHUNK deletes, and never
 * trust a stored value it cannot decode.
 */
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "store_priv.h"
#include "config.h"
#include "util.h"

#define SWEEP_SCAN_MAX 20000	/* entries looked at per sweep transaction */
#define HELD_SLOTS_MIN 1024	/* records held in a large batch: powers of 2, */
#define HELD_SLOTS_MAX 16384	/* a slot a login (4 MiB at most) */
#define HELD_MIN_LOGINS 64	/* smaller batches hold one record at a time */

/* a record held while a batch is applied: every change to it goes
 * through here, so the ops on one address (a backlog repeats a few
 * addresses thousands of times) cost one read and one write per
 * transaction, not one of each per op */
struct held {
	int used;
	int exists;		/* the record is there, as the ops left it */
	int dirty;		/* an op changed it: write it back */
	struct addr addr;
	struct record r;
};

struct held_set {
	struct held *v;
	size_t n;		/* a power of 2 */
};

/* ---- batches ---- */

/* get_record - *FOUND = 1 and R filled, or 0 when absent or undecodable;
 * returns an LMDB code */
static int get_record(struct store *s, MDB_txn *txn, const struct addr *a,
		      struct record *r, int *found)
{
	MDB_val k = { sizeof(a->b), (void *)a->b }, v;
	int rc = mdb_get(txn, s->records, &k, &v);

	*found = 0;
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (record_decode(v.mv_data, v.mv_size, r) < 0)
		store_skip_invalid(s, "record");
	else
		*found = 1;
	return 0;
}

static int put_record(struct store *s, MDB_txn *txn, const struct addr *a,
		      const struct record *r)
{
	unsigned char buf[RECORD_VALUE_SIZE];
	MDB_val k = { sizeof(a->b), (void *)a->b }, v = { sizeof(buf), buf };

	record_encode(r, buf);
	return mdb_put(txn, s->records, &k, &v, 0);
}

/* held_flush - write H back if an op changed it; then the slot is free */
static int held_flush(struct store *s, MDB_txn *txn, struct held *h)
{
	int rc = h->used && h->dirty ? put_record(s, txn, &h->addr, &h->r) : 0;

	h->used = 0;
	return rc;
}

/* held_slot - the slot of A in HS (flushing another address out of it) */
static struct held *held_slot(struct store *s, MDB_txn *txn,
			      struct held_set *hs, const struct addr *a,
			      int *rc)
{
	uint32_t x = 2166136261u;	/* FNV-1a */
	struct held *h;

	for (size_t i = 0; i < sizeof(a->b); i++)
		x = (x ^ a->b[i]) * 16777619u;
	h = &hs->v[x & (hs->n - 1)];
	*rc = 0;
	if (h->used && memcmp(h->addr.b, a->b, sizeof(a->b)) != 0)
		*rc = held_flush(s, txn, h);
	return h;
}

/* held_record - A's record, read once into its slot; NULL on error */
static struct held *held_record(struct store *s, MDB_txn *txn,
				struct held_set *hs, const struct addr *a,
				int *rc)
{
	struct held *h = held_slot(s, txn, hs, a, rc);

	if (*rc == 0 && !h->used) {
		if ((*rc = get_record(s, txn, a, &h->r, &h->exists)) != 0)
			return NULL;
		h->used = 1;
		h->dirty = 0;
		h->addr = *a;
	}
	return *rc == 0 ? h : NULL;
}

/* session_on_record - one session of A's record opened or closed at T
 * (nothing when A was forgotten) */
static int session_on_record(struct store *s, MDB_txn *txn,
			     struct held_set *hs, const struct addr *a,
			     int64_t t, int open)
{
	int rc;
	struct held *h = held_record(s, txn, hs, a, &rc);

	if (h == NULL || !h->exists)
		return rc;
	record_session(&h->r, t, open);
	h->dirty = 1;
	return 0;
}

static int apply_counter(struct store *s, MDB_txn *txn, MDB_val *k,
			 uint64_t delta);

/* note_shared - R (a login just merged) is shared: count and remember
 * it once per spell; a login that finds it no longer shared ends the
 * spell. Returns an LMDB code */
static int note_shared(struct store *s, MDB_txn *txn, const struct addr *a,
		       struct record *r, int64_t t)
{
	char key[POSITION_NAME_MAX + 1];
	MDB_val k;

	if (!s->have_params || !record_shared_spell(r, &s->params, (time_t)t))
		return 0;
	if (s->shared_n < STORE_SHARED_NOTES) {
		s->shared_new[s->shared_n] = *a;
		s->shared_users[s->shared_n] =
		    record_recent_users(r, s->params.window, (time_t)t);
	}
	s->shared_n++;
	meta_key(key, META_COUNTER_PREFIX,
		 counters_name(COUNTER_SHARED_ADDRESSES), &k);
	return apply_counter(s, txn, &k, 1);
}

static int apply_record_op(struct store *s, MDB_txn *txn,
			   struct held_set *hs, const struct batch_op *op)
{
	MDB_val k = { sizeof(op->addr.b), (void *)op->addr.b };
	struct held *h;
	int rc;

	if (op->kind == BATCH_REMOVE) {
		h = held_slot(s, txn, hs, &op->addr, &rc);
		h->used = 0;	/* whatever it held is deleted */
		if (rc == 0)
			rc = mdb_del(txn, s->records, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	if (op->kind != BATCH_LOGIN)
		return session_on_record(s, txn, hs, &op->addr, op->time,
					 op->kind == BATCH_SESSION_OPEN);
	if ((h = held_record(s, txn, hs, &op->addr, &rc)) == NULL)
		return rc;
	record_login(&h->r, h->exists, op->time, op->service, op->user);
	h->exists = h->dirty = 1;
	return note_shared(s, txn, &op->addr, &h->r, op->time);
}

static int apply_counter(struct store *s, MDB_txn *txn, MDB_val *k,
			 uint64_t delta)
{
	unsigned char buf[8];
	MDB_val v;
	uint64_t value = 0;
	int rc = mdb_get(txn, s->meta, k, &v);

	if (rc == 0 && v.mv_size == sizeof(buf)) {
		memcpy(buf, v.mv_data, sizeof(buf));
		value = u64_decode(buf);
	} else if (rc && rc != MDB_NOTFOUND) {
		return rc;
	}
	u64_encode(value + delta, buf);
	v.mv_data = buf;
	v.mv_size = sizeof(buf);
	return mdb_put(txn, s->meta, k, &v, 0);
}

/* evict_oldest - a full table: its oldest session closes at T (its
 * window starts then), counted; *FOUND 0 when there was none */
static int evict_oldest(struct store *s, MDB_txn *txn, struct held_set *hs,
			int64_t t, int *found)
{
	char key[POSITION_NAME_MAX + 1];
	struct addr a;
	MDB_val k;
	int rc = store_session_take_oldest(s, txn, &a, found);

	if (rc || !*found)
		return rc;
	if ((rc = session_on_record(s, txn, hs, &a, t, 0)) != 0)
		return rc;
	meta_key(key, META_COUNTER_PREFIX,
		 counters_name(COUNTER_SESSIONS_CLOSED_EVICTED), &k);
	return apply_counter(s, txn, &k, 1);
}

/* apply_session_key_op - a keyed session opened or closed (by its key,
 * or by its alias: that name's oldest): the table and the record's count
 * change together */
static int apply_session_key_op(struct store *s, MDB_txn *txn,
				struct held_set *hs, const struct batch_op *op)
{
	size_t klen = op->nbytes - op->nalias;
	const char *alias = (const char *)op->bytes + klen;
	struct addr a;
	int rc, found = 1, opened = 0, full = 1;

	if (!s->has_sessions)
		return 0;
	if (op->kind == BATCH_SESSION_KEY_CLOSE) {
		rc = klen > 0 ?
		    store_session_close(s, txn, op->bytes, klen, &a, &found) :
		    store_session_close_alias(s, txn, alias, op->nalias, &a,
					      &found);
		return rc || !found ? rc : session_on_record(s, txn, hs, &a,
							      op->time, 0);
	}
	while (full && found) {
		rc = store_session_open(s, txn, op->bytes, klen, alias,
					op->nalias, &op->addr, op->time,
					op->value, &opened, &full);
		if (rc == 0 && full)
			rc = evict_oldest(s, txn, hs, op->time, &found);
		if (rc)
			return rc;
	}
	return opened ? session_on_record(s, txn, hs, &op->addr, op->time,
					  1) : 0;
}

/* pairs_for - the session pairs of B (session_pairs.c), when it has any
 * and none of its opens can find the session table full */
static size_t *pairs_for(struct store *s, MDB_txn *txn, const struct batch *b)
{
	size_t opens = 0, cap = 0;

	if (!s->has_sessions)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->ops[i].kind == BATCH_SESSION_KEY_OPEN &&
		    b->ops[i].nbytes > b->ops[i].nalias) {
			opens++;
			if (b->ops[i].value > 0 &&
			    (cap == 0 || b->ops[i].value < cap))
				cap = b->ops[i].value;
		}
	if (opens == 0 ||
	    (cap > 0 && store_session_count(s, txn) + opens > cap))
		return NULL;
	return session_pairs(b, opens);
}

/* apply_paired_op - op I of B opens or closes a session that also closes
 * or opens in B: only its record changes, unless the key is in the table
 * already at the open (then both go the table's way) */
static int apply_paired_op(struct store *s, MDB_txn *txn, struct held_set *hs,
			   const struct batch *b, size_t *pair, size_t i)
{
	const struct batch_op *op = &b->ops[i];
	int rc, in_table;

	if (op->kind == BATCH_SESSION_KEY_CLOSE)
		return session_on_record(s, txn, hs, &b->ops[pair[i]].addr,
					 op->time, 0);
	rc = store_session_exists(s, txn, op->bytes, op->nbytes - op->nalias,
				  &in_table);
	if (rc != 0)
		return rc;
	if (in_table) {
		pair[pair[i]] = SESSION_UNPAIRED;
		return apply_session_key_op(s, txn, hs, op);
	}
	return session_on_record(s, txn, hs, &op->addr, op->time, 1);
}

static int apply_meta_op(struct store *s, MDB_txn *txn,
			 const struct batch_op *op)
{
	char key[POSITION_NAME_MAX + 1];
	unsigned char buf[PARAMS_VALUE_SIZE];
	MDB_val k, v;

	if (op->kind == BATCH_SET_PARAMS) {
		s->params = op->params;
		s->have_params = 1;
		meta_key(key, META_PARAMS_KEY, "", &k);
		params_encode(&op->params, buf);
		v.mv_data = buf;
		v.mv_size = sizeof(buf);
		return mdb_put(txn, s->meta, &k, &v, 0);
	}
	if (meta_key(key, op->kind == BATCH_COUNTER_ADD ? META_COUNTER_PREFIX :
		     META_BLOB_PREFIX, op->name, &k) < 0)
		return MDB_BAD_VALSIZE;
	if (op->kind == BATCH_COUNTER_ADD)
		return apply_counter(s, txn, &k, op->value);
	v.mv_data = op->bytes;
	v.mv_size = op->nbytes;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

static int apply_position_op(struct store *s, MDB_txn *txn,
			     const struct batch_op *op)
{
	char key[POSITION_NAME_MAX + 1];
	unsigned char buf[POSITION_VALUE_SIZE];
	MDB_val k, v = { sizeof(buf), buf };
	int rc;

	if (meta_key(key, "", op->name, &k) < 0)
		return MDB_BAD_VALSIZE;
	if (op->kind == BATCH_DEL_POSITION) {
		rc = mdb_del(txn, s->positions, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	position_encode((const struct position *)op->bytes, buf);
	return mdb_put(txn, s->positions, &k, &v, 0);
}

/* put_time - meta blob NAME = T (8 bytes) */
static int put_time(struct store *s, MDB_txn *txn, const char *name,
		    int64_t t)
{
	char key[POSITION_NAME_MAX + 1];
	unsigned char buf[8];
	MDB_val k, v = { sizeof buf, buf };

	meta_key(key, META_BLOB_PREFIX, name, &k);
	u64_encode((uint64_t)t, buf);
	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* note_commit - the daemon's commits say when they happened, and when
 * one last recorded a login (what monitoring alarms on) */
static int note_commit(struct store *s, MDB_txn *txn, const struct batch *b)
{
	int64_t now = (int64_t)clock_now();
	int rc;

	if (b->manual)
		return 0;
	if ((rc = put_time(s, txn, META_LAST_COMMIT, now)) != 0)
		return rc;
	return b->logins > 0 ? put_time(s, txn, META_LAST_LOGIN, now) : 0;
}

static int apply_ops(struct store *s, MDB_txn *txn, void *ctx)
{
	const struct batch *b = ctx;
	struct held one;
	struct held_set hs = { &one, 1 };
	size_t i, *pair;
	int rc = note_commit(s, txn, b);

	s->shared_n = 0;	/* a redone transaction notes them again */
	memset(&one, 0, sizeof one);
	if (b->logins >= HELD_MIN_LOGINS) {
		for (hs.n = HELD_SLOTS_MIN; hs.n < b->logins &&
		     hs.n < HELD_SLOTS_MAX; hs.n *= 2)
			;
		hs.v = xcalloc(hs.n, sizeof *hs.v);
	}
	pair = pairs_for(s, txn, b);
	for (i = 0; i < b->n && rc == 0; i++) {
		const struct batch_op *op = &b->ops[i];

		switch (op->kind) {
		case BATCH_LOGIN:
		case BATCH_REMOVE:
		case BATCH_SESSION_OPEN:
		case BATCH_SESSION_CLOSE:
			rc = apply_record_op(s, txn, &hs, op);
			break;
		case BATCH_PUT_POSITION:
		case BATCH_DEL_POSITION:
			rc = apply_position_op(s, txn, op);
			break;
		case BATCH_SESSION_KEY_OPEN:
		case BATCH_SESSION_KEY_CLOSE:
			rc = pair != NULL && pair[i] != SESSION_UNPAIRED ?
			    apply_paired_op(s, txn, &hs, b, pair, i) :
			    apply_session_key_op(s, txn, &hs, op);
			break;
		default:
			rc = apply_meta_op(s, txn, op);
			break;
		}
	}
	for (i = 0; i < hs.n; i++)
		if (rc == 0)
			rc = held_flush(s, txn, &hs.v[i]);
	if (hs.v != &one)
		free(hs.v);
	free(pair);
	return rc;
}

/* log_shared - the addresses this commit found newly shared */
static void log_shared(struct store *s)
{
	char ip[ADDR_TEXT_MAX], window[32];

	format_duration(s->params.window, window, sizeof window);
	for (size_t i = 0; i < s->shared_n && i < STORE_SHARED_NOTES; i++) {
		addr_format(&s->shared_new[i], ip, sizeof ip);
		log_msg(LOG_NOTICE, "%s is shared: %u distinct users logged in "
			"within %s; not authorized while it stays so", ip,
			s->shared_users[i], window);
	}
	if (s->shared_n > STORE_SHARED_NOTES)
		log_msg(LOG_NOTICE, "%zu more addresses are shared",
			s->shared_n - STORE_SHARED_NOTES);
	s->shared_n = 0;
}

int store_apply(struct store *s, const struct batch *b)
{
	if (b->n == 0)
		return 0;
	if (store_write_txn(s, apply_ops, (void *)b, "apply") != 0)
		return -1;
	log_shared(s);
	return 0;
}

/* ---- sweep ---- */

struct sweep_chunk {
	time_t now;
	struct store_params params;
	struct addr from;	/* start here (in: valid when has_from) */
	int has_from;
	struct addr next;	/* out: where the next chunk starts */
	int done;		/* out: reached the end */
	size_t deleted;		/* out */
};

static int sweep_ops(struct store *s, MDB_txn *txn, void *ctx)
{
	struct sweep_chunk *c = ctx;
	MDB_cursor *cur;
	MDB_val k = { sizeof(c->from.b), c->from.b }, v;
	MDB_cursor_op op = c->has_from ? MDB_SET_RANGE : MDB_FIRST;
	size_t seen = 0;
	struct record r;
	int rc;

	c->deleted = 0;
	c->done = 0;
	if ((rc = mdb_cursor_open(txn, s->records, &cur)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (k.mv_size != sizeof(c->next.b))
			continue;
		memcpy(c->next.b, k.mv_data, sizeof(c->next.b));
		if (c->deleted == STORE_SWEEP_CHUNK || seen++ == SWEEP_SCAN_MAX)
			break;	/* the next chunk starts at this key */
		if (record_decode(v.mv_data, v.mv_size, &r) < 0) {
			store_skip_invalid(s, "record");
			continue;
		}
		if (c->now < record_expires(&r, &c->params))
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		c->deleted++;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		c->done = 1;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct prune_chunk {
	int64_t before;		/* sessions opened before this go */
	size_t pruned;		/* out */
};

static int prune_ops(struct store *s, MDB_txn *txn, void *ctx)
{
	struct prune_chunk *c = ctx;

	return store_session_prune(s, txn, c->before, STORE_SWEEP_CHUNK,
				   &c->pruned);
}

/* prune_sessions - forget open sessions older than session_max (all of
 * them without session tracking): their records expire without them */
static int prune_sessions(struct store *s, time_t now,
			  const struct store_params *p)
{
	struct prune_chunk c = { p->session_max ? (int64_t)now -
				 (int64_t)p->session_max : INT64_MAX,
				 STORE_SWEEP_CHUNK };

	while (s->has_sessions && c.pruned == STORE_SWEEP_CHUNK)
		if (store_write_txn(s, prune_ops, &c, "sweep sessions") < 0)
			return -1;
	return 0;
}

int store_sweep(struct store *s, time_t now, const struct store_params *p,
		size_t *deleted)
{
	struct sweep_chunk c;
	int dead;

	memset(&c, 0, sizeof(c));
	c.now = now;
	if (p)
		c.params = *p;
	else if (store_read_params(s, &c.params) < 0)
		return -1;
	if (deleted)
		*deleted = 0;
	s->sweep_txns = s->sweep_max = 0;
	if (s->env && mdb_reader_check(s->env, &dead) == 0 && dead)
		log_msg(LOG_NOTICE, "%s: cleared %d stale reader slots",
			s->path, dead);
	while (!c.done) {
		if (store_write_txn(s, sweep_ops, &c, "sweep") < 0)
			return -1;
		s->sweep_txns++;
		if (c.deleted > s->sweep_max)
			s->sweep_max = c.deleted;
		if (deleted)
			*deleted += c.deleted;
		c.from = c.next;
		c.has_from = 1;
	}
	return prune_sessions(s, now, &c.params);
}

void store_sweep_chunks(const struct store *s, size_t *txns, size_t *max)
{
	*txns = s->sweep_txns;
	*max = s->sweep_max;
}
