/*
 * store_priv.h - what store.c (environment, write transactions) shares
 * with store_write.c (batches, sweep) and store_read.c (lookups,
 * iteration, statistics). Nothing outside the store may include it:
 * LMDB handles never leave these files.
 */
#ifndef POPGATE_STORE_PRIV_H
#define POPGATE_STORE_PRIV_H

#include <lmdb.h>

#include "log.h"
#include "store.h"

#define STORE_ERR_MAX 512
#define META_SCHEMA_KEY "schema_version"
#define META_PARAMS_KEY "params"
#define META_COUNTER_PREFIX "counter:"
#define META_BLOB_PREFIX "blob:"
#define STORE_DEFAULT_WINDOW 1800
#define STORE_SHARED_NOTES 16	/* newly shared addresses logged per commit */
#define META_LAST_COMMIT "last_commit"	/* blobs: epoch seconds, 8 bytes */
#define META_LAST_LOGIN "last_login"

struct store {
	char *path;
	char *lock_path;
	int flags;		/* STORE_READONLY, STORE_CREATE */
	size_t map_size;	/* asked for at open (0 = default) */
	MDB_env *env;
	MDB_dbi records, positions, meta;
	MDB_dbi sessions;	/* open sessions, when HAS_SESSIONS (an old
				 * file opened read-only may lack them) */
	int has_sessions;
	MDB_txn *rtxn;		/* the cached read transaction, reset when idle */
	int rtxn_busy;
	size_t each_txn;	/* snapshot the last store_each read */
	int created;
	size_t invalid;		/* values skipped: unknown version or size */
	size_t sweep_txns, sweep_max;
	struct store_params params;	/* the last ones a batch set */
	int have_params;
	struct addr shared_new[STORE_SHARED_NOTES];	/* this commit's newly */
	unsigned shared_users[STORE_SHARED_NOTES];	/* shared addresses */
	size_t shared_n;		/* (may exceed STORE_SHARED_NOTES) */
	struct ratelimit invalid_rl;
	char err[STORE_ERR_MAX];
};

/* a unit of work run inside one write transaction: an LMDB code */
typedef int (*store_write_fn)(struct store *s, MDB_txn *txn, void *ctx);
/* store_write_txn - FN in a write transaction, redone whole after the map
 * grows or a panicked environment is reopened. 0 ok, -1 with the error set */
int store_write_txn(struct store *s, store_write_fn fn, void *ctx,
		    const char *what);
/* store_reopen - close and reopen the environment after MDB_PANIC */
int store_reopen(struct store *s);
/* store_fail - set the error message "PATH: WHAT: reason" for RC, return -1 */
int store_fail(struct store *s, int rc, const char *what);
/* read transactions: the cached one when it is free, else a new one */
int store_read_begin(struct store *s, MDB_txn **txn);
void store_read_end(struct store *s, MDB_txn *txn);
/* store_skip_invalid - count and log a value that cannot be decoded */
void store_skip_invalid(struct store *s, const char *what);
/* meta_key - PREFIX NAME into KEY (a buffer of POSITION_NAME_MAX + 1);
 * -1 when it does not fit in an LMDB key */
int meta_key(char *key, const char *prefix, const char *name, MDB_val *k);

/* the open-session table (store_sessions.c), inside the caller's write
 * transaction; each returns an LMDB code */
/* store_session_open - session KEY (also known by ALIAS, ALEN bytes, 0:
 * none) of address A opened at T: *OPENED 1; 0 when it is open already
 * (a replayed login) or the key is too long; *FULL 1 (nothing done) when
 * CAP sessions are open (0: no cap) */
int store_session_open(struct store *s, MDB_txn *txn, const void *key,
		       size_t klen, const void *alias, size_t alen,
		       const struct addr *a, int64_t t, size_t cap,
		       int *opened, int *full);
/* store_session_close - *FOUND 1 and its address in *A when session KEY
 * was open (now removed) */
int store_session_close(struct store *s, MDB_txn *txn, const void *key,
			size_t klen, struct addr *a, int *found);
/* store_session_close_alias - the oldest open session known by ALIAS:
 * likewise */
int store_session_close_alias(struct store *s, MDB_txn *txn,
			      const void *alias, size_t alen, struct addr *a,
			      int *found);
/* store_session_take_oldest - remove the oldest open session: *FOUND 1
 * and its address in *A */
int store_session_take_oldest(struct store *s, MDB_txn *txn,
			      struct addr *a, int *found);
/* store_session_prune - remove at most MAX sessions opened before BEFORE
 * (past session_max: their records expire without them); *PRUNED */
int store_session_prune(struct store *s, MDB_txn *txn, int64_t before,
			size_t max, size_t *pruned);
/* store_session_count - open sessions */
size_t store_session_count(struct store *s, MDB_txn *txn);
/* store_session_exists - *FOUND 1 when session KEY is open */
int store_session_exists(struct store *s, MDB_txn *txn, const void *key,
			 size_t klen, int *found);

/* session_pairs.c */
#define SESSION_UNPAIRED ((size_t)-1)
/* session_pairs - for each op of B (OPENS keyed opens among them): the
 * index of the close a keyed open pairs with and of the open a keyed
 * close pairs with, SESSION_UNPAIRED elsewhere; NULL when B has no keyed
 * session op. Sound only when no open of B can find the table full */
size_t *session_pairs(const struct batch *b, size_t opens);

#endif
