/*
 * conn.c - one client connection of the serve worker: bounded input and
 * output buffers, partial reads and writes, and the answers to policy,
 * socketmap and Dovecot auth-policy requests, in order (an unlisted
 * client's answer may wait for a sync; the requests after it wait with
 * it). Never answers a malformed request (the connection is closed
 * instead) and never holds more than about 64 KiB of answers for a
 * client that does not read them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "counters.h"
#include "serve_int.h"
#include "socketmap.h"
#include "util.h"

#define CONN_IN_FIRST 1024
#define POLICY_IN_MAX (2 * POLICY_LINE_MAX)	/* a partial line always fits */
#define SOCKETMAP_IN_MAX (SOCKETMAP_NETSTRING_MAX + 4096)
#define HTTP_IN_MAX (HTTP_HEAD_MAX + HTTP_BODY_MAX)
#define HTTP_OUT_MAX 512	/* one Dovecot answer */
#define EXCERPT_MAX 80		/* bytes of bad input quoted in a log line */
#define HTTP_400 "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

void conn_list_init(struct conn_list *l, size_t link)
{
	l->head = l->tail = NULL;
	l->link = link;
}

static struct conn_link *link_of(const struct conn_list *l, struct conn *c)
{
	return (struct conn_link *)((char *)c + l->link);
}

void conn_list_append(struct conn_list *l, struct conn *c)
{
	struct conn_link *k = link_of(l, c);

	k->prev = l->tail;
	k->next = NULL;
	if (l->tail)
		link_of(l, l->tail)->next = c;
	else
		l->head = c;
	l->tail = c;
}

void conn_list_remove(struct conn_list *l, struct conn *c)
{
	struct conn_link *k = link_of(l, c);

	if (k->prev)
		link_of(l, k->prev)->next = k->next;
	else
		l->head = k->next;
	if (k->next)
		link_of(l, k->next)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = NULL;
}

struct conn *conn_new(int fd, enum listen_proto proto, const char *listener)
{
	struct conn *c = xcalloc(1, sizeof *c);

	c->watch.kind = WATCH_CONN;
	c->fd = fd;
	c->proto = proto;
	c->listener = listener;
	c->in_cap = CONN_IN_FIRST;
	c->in = xmalloc(c->in_cap);
	policy_init(&c->parser);
	return c;
}

void conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static size_t in_max(const struct conn *c)
{
	switch (c->proto) {
	case PROTO_SOCKETMAP:
		return SOCKETMAP_IN_MAX;
	case PROTO_DOVECOT:
		return HTTP_IN_MAX;
	default:
		return POLICY_IN_MAX;
	}
}

static size_t out_pending(const struct conn *c)
{
	return c->out_len - c->out_start;
}

static void out_append(struct conn *c, const char *data, size_t n)
{
	if (c->out_start == c->out_len)
		c->out_start = c->out_len = 0;
	if (c->out_len + n > c->out_cap) {
		if (c->out_start > 0) {
			memmove(c->out, c->out + c->out_start, out_pending(c));
			c->out_len -= c->out_start;
			c->out_start = 0;
		}
		while (c->out_len + n > c->out_cap)
			c->out_cap = c->out_cap ? 2 * c->out_cap : 256;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
}

static size_t flush(struct conn *c);

/* reject - log malformed input (escaped, rate-limited) and close; the
 * answers to the well-formed requests before it still go out (best
 * effort), however the bytes were split into reads */
static void reject(struct conn *c, struct lookup *a, const char *why,
		   size_t line)
{
	char excerpt[EXCERPT_MAX * 4 + 4];
	size_t n = c->in_len - c->in_start;

	log_escape(excerpt, sizeof excerpt, c->in + c->in_start,
		   n < EXCERPT_MAX ? n : EXCERPT_MAX);
	if (c->proto == PROTO_DOVECOT)
		log_limited(&a->rl_client, LOG_WARNING,
			    "%s: malformed Dovecot request (%s, near \"%s\"); "
			    "answering 400 and closing", c->listener, why,
			    excerpt);
	else if (line)
		log_limited(&a->rl_client, LOG_WARNING,
			    "%s: malformed policy request (%s at line %zu, "
			    "near \"%s\"); closing without an answer",
			    c->listener, why, line, excerpt);
	else
		log_limited(&a->rl_client, LOG_WARNING,
			    "%s: malformed socketmap request (%s, near \"%s\"); "
			    "closing without an answer", c->listener, why,
			    excerpt);
	counters_inc(c->proto == PROTO_DOVECOT ? COUNTER_PUSH_MALFORMED :
		     COUNTER_CLOSED_MALFORMED);
	if (c->proto == PROTO_DOVECOT)
		out_append(c, HTTP_400, sizeof HTTP_400 - 1);
	flush(c);
	c->dead = 1;
}

static void reply_policy(struct conn *c, struct lookup *a, int listed)
{
	const char *action = listed ? a->cfg->policy_action : "DUNNO";
	char reply[1024];
	int n;

	if (!listed && a->cfg->unlisted_action == UNLISTED_DEFER_IF_REJECT)
		n = snprintf(reply, sizeof reply, "action=DEFER_IF_REJECT "
			     "4.7.1 %s\n\n", a->cfg->unlisted_text);
	else
		n = snprintf(reply, sizeof reply, "action=%s\n\n", action);
	if (n < 0 || (size_t)n >= sizeof reply) {
		listed = 0;
		n = snprintf(reply, sizeof reply, "action=DUNNO\n\n");
	}
	counters_inc(listed ? COUNTER_POLICY_OK : COUNTER_POLICY_DUNNO);
	out_append(c, reply, (size_t)n);
}

static void reply_socketmap(struct conn *c, struct lookup *a, int listed)
{
	char reply[512];
	size_t n = 0;

	if (listed)
		n = socketmap_format(reply, sizeof reply, "OK",
				     a->cfg->socketmap_value);
	if (n > 0) {
		counters_inc(COUNTER_SOCKETMAP_OK);
	} else {
		n = socketmap_format(reply, sizeof reply, "NOTFOUND", "");
		counters_inc(COUNTER_SOCKETMAP_NOTFOUND);
	}
	out_append(c, reply, n);
}

/* consume - USED bytes of the input make up the request about to be
 * answered; 1 when all of them had arrived before the last sync this
 * connection waited for was asked (that sync covers it: no new wait) */
static int consume(struct conn *c, size_t used)
{
	int covered = c->covered >= used;

	c->in_start += used;
	c->covered = covered ? c->covered - used : 0;
	return covered;
}

/* answer_lookup - answer for CLIENT, or queue C to wait for a sync when
 * it is not listed (unless a sync since its arrival is done); 1
 * answered, 0 waiting */
static int answer_lookup(struct conn *c, struct lookup *a,
			 const struct addr *client)
{
	int listed = lookup_client(a, client);

	if (!listed && !a->shared && !c->req_covered &&
	    link_wait(&a->link, c, client)) {
		c->covered = c->in_len - c->in_start;
		return 0;
	}
	if (c->proto == PROTO_SOCKETMAP)
		reply_socketmap(c, a, listed);
	else
		reply_policy(c, a, listed);
	return 1;
}

static int answer_policy(struct conn *c, struct lookup *a,
			 const struct policy_request *req)
{
	struct addr client;

	if (req->client_address != NULL &&
	    addr_parse(req->client_address, req->client_address_len,
		       &client) == 0)
		return answer_lookup(c, a, &client);
	reply_policy(c, a, 0);
	return 1;
}

static int answer_socketmap(struct conn *c, struct lookup *a,
			    const char *data, size_t len)
{
	char reply[512], excerpt[EXCERPT_MAX * 4 + 4];
	const char *why = NULL;
	struct addr client;
	size_t n;

	switch (socketmap_query(data, len, &client, &why)) {
	case SOCKETMAP_LOOKUP:
		return answer_lookup(c, a, &client);
	case SOCKETMAP_NOTFOUND:
		reply_socketmap(c, a, 0);
		return 1;
	default:
		log_escape(excerpt, sizeof excerpt, data,
			   len < EXCERPT_MAX ? len : EXCERPT_MAX);
		log_limited(&a->rl_client, LOG_WARNING,
			    "%s: socketmap request \"%s\": %s", c->listener,
			    excerpt, why);
		n = socketmap_format(reply, sizeof reply, "PERM", why);
		counters_inc(COUNTER_SOCKETMAP_PERM);
		out_append(c, reply, n);
		return 1;
	}
}

/* next_policy - answer one request; 0 when none is complete */
static int next_policy(struct conn *c, struct lookup *a)
{
	struct policy_request req;
	size_t used = 0;
	enum policy_result r = policy_feed(&c->parser, c->in + c->in_start,
					   c->in_len - c->in_start, &used, &req);

	c->req_covered = consume(c, used);
	if (r == POLICY_ERROR) {
		reject(c, a, c->parser.error, c->parser.error_line);
		return 0;
	}
	if (r == POLICY_MORE)
		return 0;
	return answer_policy(c, a, &req);
}

static int next_socketmap(struct conn *c, struct lookup *a)
{
	const char *data = NULL, *why = NULL;
	size_t used = 0, len = 0;
	enum socketmap_result r = socketmap_next(c->in + c->in_start,
						 c->in_len - c->in_start,
						 &used, &data, &len, &why);

	if (r == SOCKETMAP_BROKEN) {
		reject(c, a, why, 0);
		return 0;
	}
	if (r == SOCKETMAP_MORE)
		return 0;
	c->req_covered = consume(c, used);
	return answer_socketmap(c, a, data, len);
}

/* next_dovecot - one HTTP request of the push source */
static int next_dovecot(struct conn *c, struct lookup *a)
{
	struct http_request req;
	const char *why = NULL;
	char reply[HTTP_OUT_MAX];
	size_t used = 0, n;
	int close = 0;
	enum http_result r = http_parse(c->in + c->in_start,
					c->in_len - c->in_start,
					a->cfg->dovecot_policy_api_header,
					&used, &req, &why);

	if (r == HTTP_ERROR) {
		reject(c, a, why, 0);
		return 0;
	}
	if (r == HTTP_MORE)
		return 0;
	n = dovecot_answer(a, &req, reply, sizeof reply, &close);
	c->in_start += used;
	out_append(c, reply, n);
	if (close) {
		flush(c);
		c->dead = 1;
		return 0;
	}
	return 1;
}

static int next_request(struct conn *c, struct lookup *a)
{
	switch (c->proto) {
	case PROTO_SOCKETMAP:
		return next_socketmap(c, a);
	case PROTO_DOVECOT:
		return next_dovecot(c, a);
	default:
		return next_policy(c, a);
	}
}

/* answer_all - answer complete requests in order until the input runs
 * out, or hold the rest back while the output is over its limit */
static void answer_all(struct conn *c, struct lookup *a)
{
	c->held = 0;
	while (!c->dead && !c->waiting) {
		if (out_pending(c) > CONN_OUT_LIMIT) {
			c->held = 1;
			break;
		}
		if (!next_request(c, a))
			break;
		c->answered = c->progressed = 1;
	}
	if (c->in_start > 0) {
		memmove(c->in, c->in + c->in_start, c->in_len - c->in_start);
		c->in_len -= c->in_start;
		c->in_start = 0;
	}
}

static size_t flush(struct conn *c)
{
	size_t sent = 0;

	while (!c->dead && out_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_start, out_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = 1;
			break;
		}
		c->out_start += (size_t)n;
		sent += (size_t)n;
	}
	return sent;
}

size_t conn_readable(struct conn *c, struct lookup *a)
{
	ssize_t n;

	if (c->in_len == c->in_cap && c->in_cap < in_max(c)) {
		c->in_cap = 2 * c->in_cap < in_max(c) ? 2 * c->in_cap : in_max(c);
		c->in = xrealloc(c->in, c->in_cap);
	}
	if (c->dead || c->eof || c->waiting || c->in_len == c->in_cap)
		return 0;
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			c->dead = 1;
		return 0;
	}
	if (n == 0)
		c->eof = 1;
	c->in_len += (size_t)n;
	answer_all(c, a);
	conn_writable(c, a);
	return (size_t)n;
}

size_t conn_writable(struct conn *c, struct lookup *a)
{
	size_t sent = 0;

	for (;;) {
		sent += flush(c);
		if (c->dead || !c->held || c->waiting ||
		    out_pending(c) > CONN_OUT_LIMIT)
			return sent;
		answer_all(c, a);
	}
}

unsigned conn_wanted_events(const struct conn *c)
{
	unsigned ev = 0;

	if (!c->eof && !c->held && !c->waiting &&
	    out_pending(c) <= CONN_OUT_LIMIT &&
	    (c->in_len < c->in_cap || c->in_cap < in_max(c)))
		ev |= EPOLLIN;
	if (out_pending(c) > 0)
		ev |= EPOLLOUT;
	return ev;
}

int conn_finished(const struct conn *c)
{
	if (c->dead)
		return 1;
	/* after EOF: done once every complete request has been answered;
	 * a partial request left at EOF gets no answer */
	return c->eof && !c->held && !c->waiting && out_pending(c) == 0;
}

void conn_resume(struct conn *c, struct lookup *a)
{
	int listed = lookup_client(a, &c->wait_client);

	counters_inc(COUNTER_SYNC_WAITS);
	if (listed)
		counters_inc(COUNTER_SYNC_TURNED_OK);
	if (c->proto == PROTO_SOCKETMAP)
		reply_socketmap(c, a, listed);
	else
		reply_policy(c, a, listed);
	c->answered = c->progressed = 1;
	answer_all(c, a);
	conn_writable(c, a);
}

int conn_partial(const struct conn *c)
{
	if (c->dead || c->held || c->waiting)
		return 0;
	return !c->answered || c->in_len > c->in_start ||
		(c->proto == PROTO_POLICY && c->parser.request_len > 0);
}
