/*
 * listeners.h - the master's listening sockets (src/master/listen.c):
 * bound before it forks the serve worker, which only accepts on them.
 */
#ifndef POPGATE_LISTENERS_H
#define POPGATE_LISTENERS_H

#include <stddef.h>

#include "config.h"

enum listen_proto {
	PROTO_POLICY,		/* Postfix policy delegation */
	PROTO_SOCKETMAP,	/* socketmap netstrings */
	PROTO_DOVECOT,		/* Dovecot auth-policy HTTP (push source) */
};

struct listener {
	int fd;
	enum listen_proto proto;
	char *name;		/* "unix:/path" or "inet:host:port", for logs */
};

struct listeners {
	struct listener *v;
	size_t n;
};

/* listeners_open - bind and listen on every endpoint of policy_listen,
 * socketmap_listen and dovecot_policy_listen. Unix sockets: stale socket removed, mode
 * CFG->socket_mode, group GID (-1 = leave). 0 ok; -1 with a message */
int listeners_open(const struct config *cfg, long gid, struct listeners *l,
		   char *err, size_t errsize);
void listeners_close(struct listeners *l);	/* close fds, unlink unix paths */

#endif
