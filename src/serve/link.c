/*
 * link.c - the serve worker's end of the channel to ingest. Read your
 * writes: a client about to be answered "not listed" waits (in a FIFO,
 * never blocking the event loop) until ingest has read every source to
 * its end and committed, or until sync_wait is over. Concurrent waiters
 * share one sync; a sync asked for before a request arrived does not
 * count for it. Also hands pushed logins to ingest, dropping (counted)
 * when the channel is full. A listed client never comes here.
 */
#include <stddef.h>
#include <string.h>

#include "counters.h"
#include "serve_int.h"
#include "util.h"

void link_init(struct link *l, int fd, unsigned wait_ms)
{
	memset(l, 0, sizeof *l);
	conn_list_init(&l->waiting, offsetof(struct conn, wait_link));
	l->fd = fd;
	l->wait_ms = fd >= 0 ? wait_ms : 0;
}

/* ask - send sync SENT+1; a full channel still moves on (the waiters
 * then wait out their time) */
static void ask(struct link *l, long long now)
{
	struct channel_msg m;

	memset(&m, 0, sizeof m);
	m.type = CHANNEL_SYNC;
	m.seq = ++l->sent;
	l->sent_ms = now;
	l->want_next = 0;
	if (channel_send(l->fd, &m) != 0)
		log_limited(&l->rl_drop, LOG_WARNING, "serve: the channel to "
			    "ingest is full; answering without waiting for it");
}

/* in_flight - a sync was asked for, is not done and is not lost (a sync
 * unanswered for a whole wait is given up: ingest may have restarted) */
static int in_flight(const struct link *l, long long now)
{
	return l->sent != l->done && now - l->sent_ms < l->wait_ms;
}

int link_wait(struct link *l, struct conn *c, const struct addr *client)
{
	long long now = clock_mono_ms();

	if (l->wait_ms == 0)
		return 0;
	if (in_flight(l, now)) {
		/* it may have read the files before this request was sent */
		l->want_next = 1;
		c->wait_seq = l->sent + 1;
	} else {
		ask(l, now);
		c->wait_seq = l->sent;
	}
	c->waiting = 1;
	c->wait_client = *client;
	c->wait_until = now + l->wait_ms;
	conn_list_append(&l->waiting, c);
	return 1;
}

void link_forget(struct link *l, struct conn *c)
{
	if (!c->waiting)
		return;
	conn_list_remove(&l->waiting, c);
	c->waiting = 0;
}

/* seq_done - sync SEQ (or a later one) has been reported done */
static int seq_done(const struct link *l, uint32_t seq)
{
	return (int32_t)(l->done - seq) >= 0;
}

void link_readable(struct link *l)
{
	struct channel_msg m;

	while (channel_recv(l->fd, &m) == 1)
		if (m.type == CHANNEL_SYNCED && (int32_t)(m.seq - l->done) > 0 &&
		    (int32_t)(l->sent - m.seq) >= 0)
			l->done = m.seq;
	if (l->want_next && l->done == l->sent)
		ask(l, clock_mono_ms());
}

struct conn *link_next_ready(struct link *l, long long now, int force)
{
	struct conn *c = l->waiting.head;

	if (c == NULL || !(force || seq_done(l, c->wait_seq) ||
			   now >= c->wait_until))
		return NULL;
	link_forget(l, c);
	return c;
}

long long link_next_due(const struct link *l)
{
	return l->waiting.head ? l->waiting.head->wait_until : -1;
}

int link_push_login(struct link *l, const struct channel_msg *m)
{
	if (channel_send(l->fd, m) == 0)
		return 0;
	counters_inc(COUNTER_PUSH_DROPPED);
	log_limited(&l->rl_drop, LOG_WARNING, "serve: the channel to ingest "
		    "is full; a login reported by Dovecot was dropped");
	return -1;
}
