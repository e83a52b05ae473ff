/*
 * channel.h - the channel between the serve and the ingest worker: a
 * socketpair the master makes once, before the first fork, carrying
 * fixed-size messages. Serve -> ingest: logins pushed by Dovecot and
 * requests to read every source to its end ("sync"); ingest -> serve:
 * "synced up to N". Bounded by the socket buffer; neither side ever
 * blocks on it: a message that does not fit is dropped and counted.
 */
#ifndef POPGATE_CHANNEL_H
#define POPGATE_CHANNEL_H

#include <stdint.h>

#include "addr.h"
#include "store.h"

#define CHANNEL_SESSION_MAX 64	/* Dovecot session ids are ~16 bytes */
#define CHANNEL_BUFFER (512 * 1024)	/* socket buffer: a few hundred messages */

enum channel_type {
	CHANNEL_LOGIN = 1,	/* serve -> ingest: a login to record */
	CHANNEL_SYNC = 2,	/* serve -> ingest: read to the end, commit */
	CHANNEL_SYNCED = 3,	/* ingest -> serve: sync SEQ done */
};

enum channel_side { CHANNEL_SERVE, CHANNEL_INGEST };

struct channel_msg {
	uint32_t type;		/* enum channel_type */
	uint32_t seq;		/* SYNC, SYNCED: which sync */
	int64_t time;		/* LOGIN: epoch seconds */
	struct addr addr;	/* LOGIN: the client */
	char user[RECORD_USER_MAX];	/* LOGIN: NUL-terminated */
	char service[RECORD_SERVICE_MAX];
	char session[CHANNEL_SESSION_MAX];	/* "" = none */
};

/* channel_create - the master, once: make the pair (kept across worker
 * restarts, so a restarted worker finds its end). 0 ok, -1 (logged: the
 * workers then run without it) */
int channel_create(void);
/* channel_take - in a forked worker: close the other side's end and
 * return this side's (-1 when there is no channel) */
int channel_take(enum channel_side side);
/* channel_send - one message without blocking: 0 sent, -1 full or gone */
int channel_send(int fd, const struct channel_msg *m);
/* channel_recv - one message without blocking: 1 got it, 0 none now,
 * -1 the other end is gone for good (never while the master lives) */
int channel_recv(int fd, struct channel_msg *m);

#endif
