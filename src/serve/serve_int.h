/*
 * serve_int.h - internals of the serve worker shared by serve.c (event
 * loop), conn.c (connection buffers and protocols), lookup.c (the
 * database lookup behind every answer), link.c (the channel to ingest:
 * waits for a sync, pushed logins) and dovecot.c (the push source's
 * requests). Not used outside the worker.
 */
#ifndef POPGATE_SERVE_INT_H
#define POPGATE_SERVE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"
#include "channel.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "policy.h"
#include "serve.h"
#include "store.h"

#define CONN_OUT_LIMIT (64 * 1024)	/* stop reading requests above this */
#define SERVE_SEEN_SLOTS 1024	/* "relay allowed" announcements remembered */

struct conn;

/* an intrusive list of connections: each list has its own link in every
 * struct conn (idle order, incomplete requests, waits for a sync) */
struct conn_link {
	struct conn *prev, *next;
};

struct conn_list {
	struct conn *head, *tail;	/* oldest first */
	size_t link;		/* offsetof(struct conn, the list's link) */
};

void conn_list_init(struct conn_list *l, size_t link);
void conn_list_append(struct conn_list *l, struct conn *c);
void conn_list_remove(struct conn_list *l, struct conn *c);	/* C is in L */

/* the serve end of the channel to ingest: one per process */
struct link {
	int fd;			/* -1: no channel (nothing waits, pushes dropped) */
	long long wait_ms;	/* sync_wait; 0: never wait */
	uint32_t sent;		/* the last sync asked for (0 = none yet) */
	uint32_t done;		/* the last sync ingest reported done */
	long long sent_ms;	/* when SENT went out */
	int want_next;		/* a waiter needs a sync after SENT */
	struct conn_list waiting;	/* oldest (first due) first */
	struct ratelimit rl_drop;
};

void link_init(struct link *l, int fd, unsigned wait_ms);
/* link_wait - CLIENT of C is not listed: if waiting is on, queue C for
 * the next sync (asking ingest for one unless a fresh one is pending)
 * and return 1; 0 when the answer must go out now */
int link_wait(struct link *l, struct conn *c, const struct addr *client);
/* link_forget - C is closed: take it out of the queue */
void link_forget(struct link *l, struct conn *c);
/* link_readable - read ingest's "synced" messages */
void link_readable(struct link *l);
/* link_next_ready - a waiting conn whose sync is done or whose wait is
 * over (taken out of the queue), or NULL; FORCE: every one (stopping) */
struct conn *link_next_ready(struct link *l, long long now, int force);
/* link_next_due - when the oldest wait ends (monotonic ms), or -1 */
long long link_next_due(const struct link *l);
/* link_push_login - hand a pushed login to ingest; -1 dropped (counted) */
int link_push_login(struct link *l, const struct channel_msg *m);

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
	struct link link;	/* read-your-writes and pushed logins */
	int shared;		/* the last lookup found a shared address:
				 * catching up cannot change that answer */
};

void lookup_init(struct lookup *a, const struct config *cfg);
void lookup_free(struct lookup *a);
/* lookup_client - 1 when CLIENT is authorized now (logs the first OK
 * after each login), 0 otherwise, including every error (A->shared says
 * whether it was a shared address) */
int lookup_client(struct lookup *a, const struct addr *client);
/* decision_log - with -v: what a lookup of CLIENT found (FOUND: a
 * store_lookup result, -1 also for "no database") and so answered */
void decision_log(const struct addr *client, int found, const struct record *r,
		  const struct store_params *p, time_t now);
/* lookup_maintain - retry a failed open, reopen a replaced file;
 * returns milliseconds until it wants to run again */
long lookup_maintain(struct lookup *a);

enum watch_kind { WATCH_LISTENER, WATCH_CONN, WATCH_PARENT, WATCH_SIGNAL,
		  WATCH_CHANNEL };

struct watch {
	enum watch_kind kind;
};

struct conn {
	struct watch watch;	/* first: epoll data points here */
	int fd;
	enum listen_proto proto;	/* of the listener it came from */
	const char *listener;	/* listener name, for logs */
	char *in;
	size_t in_start, in_len, in_cap;	/* unparsed bytes: in[in_start..in_len) */
	char *out;
	size_t out_start, out_len, out_cap;	/* unsent: out[out_start..out_len) */
	struct policy_parser parser;
	int eof;		/* the client has finished sending */
	int dead;		/* close it now */
	int closed;		/* closed: ignore events still queued for it */
	int held;		/* complete requests wait for the output to drain */
	int waiting;		/* the first unanswered request waits for a sync */
	struct addr wait_client;	/* ... about this client */
	size_t covered;		/* input bytes (from in_start) that arrived
				 * before the sync it waited for was asked */
	int req_covered;	/* the request being answered is among them */
	uint32_t wait_seq;	/* ... this sync */
	long long wait_until;	/* ... at most until (monotonic) */
	struct conn_link wait_link;	/* in the link's queue of waiting conns */
	int answered;		/* a request was answered (the first one's time
				 * counts from the connection) */
	int progressed;		/* a request was answered since the clock began */
	long long req_start_ms;	/* an incomplete request began, 0 none */
	struct conn_link slow_link;	/* in the list of incomplete requests */
	unsigned events;	/* epoll events registered */
	long long last_ms;	/* last activity (monotonic) */
	struct conn_link idle_link;	/* in the idle list (least recently
					 * active first), then the graveyard */
};

struct conn *conn_new(int fd, enum listen_proto proto, const char *listener);
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
/* conn_resume - the sync C waited for is done or its wait is over: look
 * its client up again, answer, go on with the requests after it */
void conn_resume(struct conn *c, struct lookup *a);
/* conn_partial - a request has begun (or, before the first answer, the
 * connection was made) but is not complete: request_timeout runs */
int conn_partial(const struct conn *c);

/* dovecot_answer - the push source: answer REQ (an HTTP request from
 * Dovecot) into OUT (SIZE bytes); returns its length. *CLOSE: close the
 * connection after it */
size_t dovecot_answer(struct lookup *a, const struct http_request *req,
		      char *out, size_t size, int *close);

#endif
