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

#define RECORD_VERSION 1
#define RECORD_SERVICE_MAX 16	/* including the NUL */
#define RECORD_USER_MAX 64	/* including the NUL */
#define POSITION_NAME_MAX 511	/* LMDB's default max key size */
#define STORE_SESSION_KEY_MAX 128	/* a session's key, in bytes */
#define STORE_SESSION_ALIAS_MAX 255	/* a session's alias (user logouts) */

/* one allow-list entry, decoded (the on-disk value is a fixed layout) */
struct record {
	uint32_t count;		/* logins seen */
	int64_t first_seen;	/* epoch seconds */
	int64_t last_seen;	/* epoch seconds: max of all logins */
	int64_t session_start;	/* login time of the oldest open session, 0 = none */
	uint32_t open_sessions;	/* session tracking: sessions still open */
	char service[RECORD_SERVICE_MAX];	/* "pop3", "imap", "manual", ... */
	char user[RECORD_USER_MAX];		/* may be empty */
};

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
};

/* record_expires - first second at which R no longer authorizes */
time_t record_expires(const struct record *r, const struct store_params *p);

/* on-disk value layouts (record.c): fixed size, little-endian, version
 * byte first. decode returns -1 for a wrong size or unknown version and
 * always NUL-terminates the strings */
#define RECORD_VALUE_SIZE 116
#define POSITION_VALUE_SIZE (72 + POSITION_CHECKS * 20)
#define POSITION_V1_SIZE 40	/* before tail_fp: still read */
#define PARAMS_VALUE_SIZE 16
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

#endif
