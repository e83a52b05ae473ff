/*
 * record.h - what the database holds, decoded: allow-list records,
 * tailer positions and the parameters in force, with their fixed-size
 * on-disk layouts (record.c) and the expiry rule. No LMDB here.
 */
#ifndef POPGATE_RECORD_H
#define POPGATE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

#define RECORD_VERSION 2	/* version 1 (no recent users) is still read */
#define RECORD_SERVICE_MAX 16	/* including the NUL */
#define RECORD_USER_MAX 64	/* including the NUL */
#define POSITION_NAME_MAX 511	/* LMDB's default max key size */
#define STORE_SESSION_KEY_MAX 128	/* a session's key, in bytes */
#define STORE_SESSION_ALIAS_MAX 255	/* a session's alias (user logouts) */
#define SHARED_USERS_MAX 8	/* distinct recent users a record remembers:
				 * the highest shared_address_users */

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

/* a line end a file must still hold: hash of the LEN bytes before END */
struct position_check {
	uint64_t end;
	uint64_t hash;
	uint32_t len;
};
#define POSITION_CHECKS 24	/* earlier line ends kept in a position */

/* where the tailer is in one file */
struct position {
	uint64_t dev;
	uint64_t ino;
	uint64_t offset;
	uint64_t fingerprint;	/* hash of the first line (at most 1 KiB) */
	uint32_t fingerprint_len;	/* bytes hashed; 0 = file was empty */
	uint64_t tail_fp;	/* hash of the bytes just before offset ... */
	uint32_t tail_len;	/* ... this many; 0 = not known (older save) */
	uint64_t saved_at;	/* wall clock (ns) when reported: a rotated
				 * file changed later holds unread lines */
	uint32_t nchecks;	/* earlier line ends, newest first: a file */
	struct position_check checks[POSITION_CHECKS];	/* cut back to one
				 * of them is resumed exactly there */
};

struct store_params {
	unsigned window;	/* seconds */
	unsigned session_max;	/* seconds, 0 = no session tracking */
	unsigned ipv6_prefix;	/* keys' IPv6 prefix; 0 = not recorded (128) */
	unsigned shared_users;	/* shared_address_users; 0 = off */
};

/* record_expires - first second at which R no longer authorizes */
time_t record_expires(const struct record *r, const struct store_params *p);

/* on-disk value layouts (record.c): fixed size, little-endian, version
 * byte first. decode returns -1 for a wrong size or unknown version and
 * always NUL-terminates the strings */
#define RECORD_VALUE_SIZE 248	/* version 2 */
#define RECORD_V1_SIZE 116
#define POSITION_VALUE_SIZE (72 + POSITION_CHECKS * 20)
#define POSITION_V1_SIZE 40	/* before tail_fp: still read */
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

#endif
