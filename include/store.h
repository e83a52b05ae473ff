/*
 * store.h - the LMDB database: allow-list records, tailer positions and
 * meta data (schema version, window, counters). All LMDB quirks
 * (MAP_FULL, MAP_RESIZED, stale readers, PANIC) are hidden in store.c.
 *
 * Writers build a struct batch in memory and apply it with store_apply():
 * one write transaction, redone whole after the map grows.
 */
#ifndef POPGATE_STORE_H
#define POPGATE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

#define STORE_SCHEMA_VERSION 1
#define RECORD_VERSION 2	/* version 1 (no recent users) is still read */
#define RECORD_SERVICE_MAX 16	/* including the NUL */
#define RECORD_USER_MAX 64	/* including the NUL */
#define STORE_DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define STORE_SWEEP_CHUNK 1000	/* deletes per write transaction */
#define POSITION_NAME_MAX 511	/* LMDB's default max key size */
#define SHARED_USERS_MAX 8	/* distinct recent users a record remembers:
				 * the highest shared_address_users */

/* result codes of store_open() and friends */
enum store_status {
	STORE_OK = 0,
	STORE_ENOENT = -1,	/* no such database (and no create) */
	STORE_EACCES = -2,	/* permission denied */
	STORE_EBROKEN = -3,	/* not LMDB, truncated, corrupted, wrong LMDB version */
	STORE_ENEWER = -4,	/* schema version newer than this program */
	STORE_EFAIL = -5,	/* anything else (message in the error buffer) */
};

/* one allow-list entry, decoded (the on-disk value is a fixed layout) */
struct record {
	uint32_t count;		/* logins seen */
	int64_t first_seen;	/* epoch seconds */
	int64_t last_seen;	/* epoch seconds: max of all logins */
	int64_t session_start;	/* login time of the oldest open session, 0 = none */
	uint32_t open_sessions;	/* session tracking: sessions still open */
	char service[RECORD_SERVICE_MAX];	/* "pop3", "imap", "manual", ... */
	char user[RECORD_USER_MAX];		/* may be empty */
	uint32_t flags;		/* RECORD_SHARED_NOTED */
	struct recent_user {	/* distinct users seen last (shared.c) */
		uint64_t hash;	/* of the user name; 0 = free slot */
		int64_t last;	/* their latest login, epoch seconds */
	} users[SHARED_USERS_MAX];
};

#define RECORD_SHARED_NOTED 0x1	/* its shared spell was logged and counted */

/* where the tailer is in one file */
struct position {
	uint64_t dev;
	uint64_t ino;
	uint64_t offset;
	uint64_t fingerprint;	/* hash of the first line (at most 1 KiB) */
	uint32_t fingerprint_len;	/* bytes hashed; 0 = file was empty */
};

struct store_params {
	unsigned window;	/* seconds */
	unsigned session_max;	/* seconds, 0 = no session tracking */
	unsigned ipv6_prefix;	/* keys' IPv6 prefix; 0 = not recorded (128) */
	unsigned shared_users;	/* shared_address_users; 0 = off */
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
};

/* record_expires - first second at which R no longer authorizes */
time_t record_expires(const struct record *r, const struct store_params *p);

/* on-disk value layouts (record.c): fixed size, little-endian, version
 * byte first. decode returns -1 for a wrong size or unknown version and
 * always NUL-terminates the strings */
#define RECORD_VALUE_SIZE 248	/* version 2 */
#define RECORD_V1_SIZE 116
#define POSITION_VALUE_SIZE 40
#define PARAMS_VALUE_SIZE 20	/* version 2; version 1 had 16 bytes */
void record_encode(const struct record *r, unsigned char *buf);
int record_decode(const void *val, size_t len, struct record *r);
void position_encode(const struct position *p, unsigned char *buf);
int position_decode(const void *val, size_t len, struct position *p);
void params_encode(const struct store_params *p, unsigned char *buf);
int params_decode(const void *val, size_t len, struct store_params *p);
void u64_encode(uint64_t v, unsigned char *buf);
uint64_t u64_decode(const unsigned char *buf);
/* record_login / record_session - merge one event into R (in place) */
void record_login(struct record *r, int existed, int64_t t,
		  const char *service, const char *user);
void record_session(struct record *r, int64_t t, int open);

/* ---- shared addresses (shared.c) ---- */

/* record_note_user - USER (non-empty) logged in at T: kept among the
 * SHARED_USERS_MAX distinct users seen last */
void record_note_user(struct record *r, const char *user, int64_t t);
/* record_recent_users - distinct users whose last login at R is inside
 * WINDOW seconds before NOW */
unsigned record_recent_users(const struct record *r, unsigned window,
			     time_t now);
/* record_shared - 1 when P->shared_users is set and R has at least that
 * many recent users at NOW: the address is shared, not authorized */
int record_shared(const struct record *r, const struct store_params *p,
		  time_t now);
/* record_users_next_expiry - the first second after NOW at which one of
 * R's recent users leaves the WINDOW (when a shared address may stop
 * being shared); 0 when none is recent */
time_t record_users_next_expiry(const struct record *r, unsigned window,
				time_t now);
/* record_has_user - USER is R's last user, or among the users it keeps
 * (a hash match: popgate-dump -u) */
int record_has_user(const struct record *r, const char *user);
/* record_shared_spell - after a login at T: 1 when R has just become
 * shared (a spell begins: log and count it once), else 0; a login that
 * finds R no longer shared ends the spell */
int record_shared_spell(struct record *r, const struct store_params *p,
			time_t t);

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

/* store_params - read window/session_max from meta (set by the daemon);
 * returns the defaults (1800, 0) when never set */
int store_get_params(struct store *s, struct store_params *p);
/* store_read_params - the same; 1 when read from meta, 0 defaults, -1 error */
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

/* store_fd_owner - chown/chmod the data file (0640) and the lock file
 * (0660) to UID/GID (-1 = leave) */
int store_set_owner(struct store *s, long uid, long gid);

/* ---- batches: many changes, one transaction ---- */

enum batch_op_kind {
	BATCH_LOGIN,		/* addr, time, service, user: upsert, count++, max() */
	BATCH_REMOVE,		/* addr */
	BATCH_SESSION_OPEN,	/* addr, time: open_sessions++ (session_start set if 0) */
	BATCH_SESSION_CLOSE,	/* addr, time: open_sessions--, last_seen = max(.., time) */
	BATCH_PUT_POSITION,	/* name, position */
	BATCH_DEL_POSITION,	/* name */
	BATCH_COUNTER_ADD,	/* name, value */
	BATCH_SET_PARAMS,	/* params */
	BATCH_PUT_META,		/* name, bytes (e.g. a journal cursor) */
};

struct batch_op {
	enum batch_op_kind kind;
	struct addr addr;
	int64_t time;
	char service[RECORD_SERVICE_MAX];
	char user[RECORD_USER_MAX];
	char *name;		/* owned copy */
	struct position position;
	uint64_t value;
	struct store_params params;
	void *bytes;		/* owned copy */
	size_t nbytes;
};

struct batch {
	struct batch_op *ops;
	size_t n, cap;
	size_t logins;		/* number of BATCH_LOGIN ops */
	int manual;		/* popgate-dump's: not the daemon's last
				 * commit or last login recorded */
};

void batch_init(struct batch *b);
void batch_clear(struct batch *b);	/* empty, keep the memory */
void batch_free(struct batch *b);
void batch_login(struct batch *b, const struct addr *a, time_t t,
		 const char *service, const char *user);
void batch_remove(struct batch *b, const struct addr *a);
void batch_session(struct batch *b, const struct addr *a, time_t t, int open);
void batch_put_position(struct batch *b, const char *name,
			const struct position *p);
void batch_del_position(struct batch *b, const char *name);
void batch_counter_add(struct batch *b, const char *name, uint64_t delta);
void batch_set_params(struct batch *b, const struct store_params *p);
void batch_put_meta(struct batch *b, const char *name, const void *bytes,
		    size_t n);

/* store_get_meta - copy meta NAME into BUF; returns its length, 0 if
 * absent (or longer than SIZE: -1) */
long store_get_meta(struct store *s, const char *name, void *buf, size_t size);

/* store_apply - apply every op of B in one write transaction. Grows the
 * map and redoes the whole batch on MDB_MAP_FULL; reopens the environment
 * after MDB_PANIC. 0 ok (B untouched: caller clears), -1 error */
int store_apply(struct store *s, const struct batch *b);

#endif
