/*
 * batch.h - an in-memory list of database changes (batch.c) that
 * store_apply() commits in one write transaction: many changes, one
 * transaction. Building a batch never touches the database.
 */
#ifndef POPGATE_BATCH_H
#define POPGATE_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "record.h"

enum batch_op_kind {
	BATCH_LOGIN,		/* addr, time, service, user: upsert, count++, max() */
	BATCH_REMOVE,		/* addr */
	BATCH_SESSION_OPEN,	/* addr, time: open_sessions++ (session_start set if 0) */
	BATCH_SESSION_CLOSE,	/* addr, time: open_sessions--, last_seen = max(.., time) */
	BATCH_PUT_POSITION,	/* name, bytes: a struct position */
	BATCH_DEL_POSITION,	/* name */
	BATCH_COUNTER_ADD,	/* name, value */
	BATCH_SET_PARAMS,	/* params */
	BATCH_PUT_META,		/* name, bytes (e.g. a journal cursor) */
	BATCH_SESSION_KEY_OPEN,	/* bytes (key, alias), addr, time, value
				 * (cap): the table gets KEY -> addr (unless
				 * open already) and the record a session; a
				 * full table first closes its oldest at TIME */
	BATCH_SESSION_KEY_CLOSE,	/* bytes (key, alias), time: closes the
				 * session KEY opened, if any, whatever its
				 * age; with no key the oldest of ALIAS */
};

struct batch_op {
	enum batch_op_kind kind;
	struct addr addr;
	int64_t time;
	char service[RECORD_SERVICE_MAX];
	char user[RECORD_USER_MAX];
	char *name;		/* owned copy */
	uint64_t value;
	struct store_params params;
	void *bytes;		/* owned copy */
	size_t nbytes;
	size_t nalias;		/* a session's alias: the last bytes */
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
/* batch_session_key - open (OPEN 1: address A, at most CAP sessions) or
 * close the session KEY (KLEN bytes, at most STORE_SESSION_KEY_MAX) at T;
 * ALIAS (ALEN bytes, at most STORE_SESSION_ALIAS_MAX; 0: none) is the
 * session's second name; a close with KLEN 0 closes ALIAS's oldest */
void batch_session_key(struct batch *b, const void *key, size_t klen,
		       const void *alias, size_t alen, const struct addr *a,
		       time_t t, int open, size_t cap);
void batch_put_position(struct batch *b, const char *name,
			const struct position *p);
void batch_del_position(struct batch *b, const char *name);
void batch_counter_add(struct batch *b, const char *name, uint64_t delta);
void batch_set_params(struct batch *b, const struct store_params *p);
void batch_put_meta(struct batch *b, const char *name, const void *bytes,
		    size_t n);

#endif
