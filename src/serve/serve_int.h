/*
 * serve_int.h - internals of the serve worker shared by serve.c (event
 * loop), conn.c (connection buffers and protocols) and lookup.c (the
 * database lookup behind every answer). Not used outside the worker.
 */
#ifndef POPGATE_SERVE_INT_H
#define POPGATE_SERVE_INT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "policy.h"
#include "store.h"

#define CONN_OUT_LIMIT (64 * 1024)	/* stop reading requests above this */
#define SERVE_SEEN_SLOTS 1024	/* "relay allowed" announcements remembered */

/* the database side of the worker: one per process */
struct lookup {
	const struct config *cfg;
	char *db_path;		/* absolute: the worker changes directory */
	struct store *store;	/* NULL while it cannot be opened */
	struct store_params params;
	dev_t dev;		/* identity of the file we opened */
	ino_t ino;
	long long next_open_ms;	/* retry opening at (monotonic) */
	long long next_check_ms;	/* check the file was not replaced at */
	struct seen_slot *seen;	/* SERVE_SEEN_SLOTS entries */
	struct ratelimit rl_open, rl_lookup, rl_client;
};

void lookup_init(struct lookup *a, const struct config *cfg);
void lookup_free(struct lookup *a);
/* lookup_client - 1 when CLIENT is authorized now (logs the first OK
 * after each login), 0 otherwise, including every error */
int lookup_client(struct lookup *a, const struct addr *client);
/* decision_log - with -v: what a lookup of CLIENT found (FOUND: a
 * store_lookup result, -1 also for "no database") and so answered */
void decision_log(const struct addr *client, int found, const struct record *r,
		  const struct store_params *p, time_t now);
/* lookup_maintain - retry a failed open, reopen a replaced file;
 * returns milliseconds until it wants to run again */
long lookup_maintain(struct lookup *a);

enum watch_kind { WATCH_LISTENER, WATCH_CONN, WATCH_PARENT, WATCH_SIGNAL };

struct watch {
	enum watch_kind kind;
};

struct conn {
	struct watch watch;	/* first: epoll data points here */
	int fd;
	int socketmap;		/* protocol of the listener it came from */
	const char *listener;	/* listener name, for logs */
	char *in;
	size_t in_start, in_len, in_cap;	/* unparsed bytes: in[in_start..in_len) */
	char *out;
	size_t out_start, out_len, out_cap;	/* unsent: out[out_start..out_len) */
	struct policy_parser parser;
	int eof;		/* the client has finished sending */
	int dead;		/* close it now */
	int held;		/* complete requests wait for the output to drain */
	unsigned events;	/* epoll events registered */
	long long last_ms;	/* last activity (monotonic) */
	struct conn *prev, *next;	/* idle list, least recently active first */
};

struct conn *conn_new(int fd, int socketmap, const char *listener);
void conn_free(struct conn *c);
/* conn_readable - read once and answer complete requests; returns bytes
 * read (0 when nothing came) */
size_t conn_readable(struct conn *c, struct lookup *a);
/* conn_writable - send what is pending, then answer requests that were
 * held back by a full output buffer; returns bytes sent */
size_t conn_writable(struct conn *c, struct lookup *a);
/* conn_wanted_events - EPOLLIN/EPOLLOUT it needs now */
unsigned conn_wanted_events(const struct conn *c);
/* conn_finished - nothing more to do: close it */
int conn_finished(const struct conn *c);

#endif
