/*
 * store.h - the LMDB database: allow-list records, tailer positions and
 * meta data (schema version, window, counters). All LMDB quirks
 * (MAP_FULL, MAP_RESIZED, stale readers, PANIC) are hidden in store.c.
 * What it holds is in record.h; writers build a batch (batch.h) and apply
 * it with store_apply(): one write transaction, redone whole after the
 * map grows.
 */
#ifndef POPGATE_STORE_H
#define POPGATE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "batch.h"
#include "record.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define STORE_SWEEP_CHUNK 1000	/* deletes per write transaction */


/* result codes of store_open() and friends */
enum store_status {
	STORE_OK = 0,
	STORE_ENOENT = -1,	/* no such database (and no create) */
	STORE_EACCES = -2,	/* permission denied */
	STORE_EBROKEN = -3,	/* not LMDB, truncated, corrupted, wrong LMDB version */
	STORE_ENEWER = -4,	/* schema version newer than this program */
	STORE_EFAIL = -5,	/* anything else (message in the error buffer) */
};

struct store_stats {
	size_t entries;
	size_t expired;		/* entries whose time is up but not yet swept */
	size_t shared;		/* unexpired entries at a shared address */
	size_t map_size;	/* bytes */
	size_t map_used;	/* bytes (last page used * page size) */
	size_t last_txn;	/* LMDB transaction id */
	struct store_params params;
	size_t invalid;		/* values skipped: unknown version or size */
	size_t sessions;	/* open sessions in the session table */
};

struct store;

#define STORE_READONLY 0x1	/* open read-only (serve, dump listing) */
#define STORE_CREATE 0x2	/* create the file if it is missing */

/* store_open - open PATH. MAP_SIZE 0 = default (1 GiB, or the file's own
 * size if larger). On failure returns a store_status and fills ERR with
 * "PATH: reason" */
int store_open(struct store **out, const char *path, int flags,
	       size_t map_size, char *err, size_t errsize);
void store_close(struct store *s);
const char *store_path(const struct store *s);
/* store_created - 1 when store_open created the data file */
int store_created(const struct store *s);
/* store_error - message of the last failed call */
const char *store_error(const struct store *s);

/* store_read_params - the window, session_max and ipv6_prefix in force
 * (written to meta by the daemon): 1 when read from meta, 0 when never set
 * (then the defaults: 1800, 0, 0), -1 on error */
int store_read_params(struct store *s, struct store_params *p);

/* store_lookup - 1 (STORE_LISTED) and *R filled when A is listed and
 * authorized at NOW (lazy expiry), 0 when absent or expired, 2
 * (STORE_SHARED, *R filled) when listed but shared (record_shared), -1
 * on error. Read-only stores keep one read transaction, reset and renewed
 * per call */
#define STORE_LISTED 1
#define STORE_SHARED 2
int store_lookup(struct store *s, const struct addr *a, time_t now,
		 const struct store_params *p, struct record *r);

/* store_get - like store_lookup but returns expired entries too */
int store_get(struct store *s, const struct addr *a, struct record *r);

/* store_each - call FN for every record in key order inside one read
 * transaction; FN returns non-zero to stop. Returns 0, or -1 on error */
typedef int (*store_each_fn)(const struct addr *a, const struct record *r,
			     void *ctx);
int store_each(struct store *s, store_each_fn fn, void *ctx);

/* positions, by name (the configured path, or a name the tailer chose for
 * a rotated file still draining) */
int store_get_position(struct store *s, const char *name, struct position *p);
typedef int (*store_position_fn)(const char *name, const struct position *p,
				 void *ctx);
int store_each_position(struct store *s, store_position_fn fn, void *ctx);

/* counters in meta, by name ("lines_read", ...) */
int store_get_counter(struct store *s, const char *name, uint64_t *value);
typedef int (*store_counter_fn)(const char *name, uint64_t value, void *ctx);
int store_each_counter(struct store *s, store_counter_fn fn, void *ctx);

/* store_sweep - delete entries expired at NOW, at most STORE_SWEEP_CHUNK
 * per write transaction; *DELETED gets the total. 0 ok, -1 error */
int store_sweep(struct store *s, time_t now, const struct store_params *p,
		size_t *deleted);
/* store_sweep_chunks - tests: write transactions used by the last sweep
 * and the most deletes any one of them made */
void store_sweep_chunks(const struct store *s, size_t *txns, size_t *max);

int store_stats(struct store *s, time_t now, struct store_stats *st);

/* store_get_time - the time meta NAME holds ("last_commit": the daemon's
 * last commit, "last_login": its last commit that recorded a login);
 * 0 when never set, -1 on error */
int64_t store_get_time(struct store *s, const char *name);

/* store_txn_id - id of the last committed write transaction; changes when
 * anyone (daemon or popgate-dump) writes */
size_t store_txn_id(struct store *s);
/* store_each_txn_id - id of the snapshot the last store_each (or other
 * iteration) read: it can be older than store_txn_id said just before,
 * when a writer committed in between */
size_t store_each_txn_id(const struct store *s);

/* store_fd_owner - chown/chmod the data file (0640) and the lock file
 * (0660) to UID/GID (-1 = leave) */
int store_set_owner(struct store *s, long uid, long gid);

/* store_get_meta - copy meta NAME into BUF; returns its length, 0 if
 * absent (or longer than SIZE: -1) */
long store_get_meta(struct store *s, const char *name, void *buf, size_t size);

/* store_apply - apply every op of B in one write transaction. Grows the
 * map and redoes the whole batch on MDB_MAP_FULL; reopens the environment
 * after MDB_PANIC. 0 ok (B untouched: caller clears), -1 error */
int store_apply(struct store *s, const struct batch *b);

#endif
