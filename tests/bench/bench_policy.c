/*
 * bench_policy.c - policy load client: CONNS persistent connections in
 * one epoll loop, each sending a full Postfix 3.7 RCPT request and waiting
 * for its answer, for SECONDS (after a 0.5 s warm-up). Even requests ask
 * about listed addresses 192.0.2.1-200, odd ones about unlisted
 * 198.51.100.1-200. Prints rps, latency percentiles, and how many answers
 * were action=OK for each half (an OK for the unlisted half is wrong).
 * With "unlisted" every request asks about an unlisted address (the
 * answers that wait for ingest when sync_wait is on).
 *   bench_policy unix:PATH|inet:HOST:PORT CONNS SECONDS [unlisted]
 * Benchmark code only; never run by make test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define DISTINCT 400		/* requests prepared: 200 listed, 200 not */
#define WARMUP_NS 500000000LL

struct req {
	char text[2048];
	size_t len;
};

struct client {
	int fd;
	unsigned long seq;	/* request in flight */
	long long sent_ns;
	char buf[1024];
	size_t have;
};

struct run {
	struct req *reqs;
	long long warm_end, end;
	long long *lat;
	size_t nlat, caplat;
	unsigned long ok_listed, ok_unlisted, errors, outstanding;
	int only_unlisted;
};

static void prepare(struct req *reqs, int only_unlisted)
{
	for (unsigned i = 0; i < DISTINCT; i++) {
		char ip[32];

		snprintf(ip, sizeof ip, "%s.%u", i % 2 || only_unlisted ?
			 "198.51.100" : "192.0.2", i / 2 + 1);
		reqs[i].len = bench_policy_request(reqs[i].text,
						   sizeof reqs[i].text, ip, i);
	}
}

static int send_next(struct run *r, struct client *c)
{
	const struct req *q;

	c->seq++;
	q = &r->reqs[c->seq % DISTINCT];
	c->sent_ns = bench_ns();
	if (c->sent_ns >= r->end)
		return 0;
	if (bench_write_all(c->fd, q->text, q->len) != 0)
		return -1;
	r->outstanding++;
	return 0;
}

static void record(struct run *r, struct client *c, long long now)
{
	int ok = strncmp(c->buf, "action=OK", 9) == 0;

	r->outstanding--;
	if (c->sent_ns < r->warm_end)
		return;
	if (r->nlat == r->caplat) {
		r->caplat = r->caplat ? 2 * r->caplat : 65536;
		r->lat = realloc(r->lat, r->caplat * sizeof *r->lat);
		if (r->lat == NULL)
			exit(1);
	}
	r->lat[r->nlat++] = now - c->sent_ns;
	if (ok && c->seq % 2 == 0 && !r->only_unlisted)
		r->ok_listed++;
	else if (ok)
		r->ok_unlisted++;
}

/* on_readable - consume answers; -1 when the connection is gone */
static int on_readable(struct run *r, struct client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have, 0);
	char *end;

	if (n <= 0 && !(n < 0 && errno == EINTR))
		return -1;
	if (n < 0)
		return 0;
	c->have += (size_t)n;
	c->buf[c->have] = '\0';
	while ((end = strstr(c->buf, "\n\n")) != NULL) {
		record(r, c, bench_ns());
		c->have -= (size_t)(end + 2 - c->buf);
		memmove(c->buf, end + 2, c->have + 1);
		if (send_next(r, c) != 0)
			return -1;
	}
	if (c->have >= sizeof c->buf - 1)
		return -1;
	return 0;
}

static int start_clients(struct run *r, struct client *cl, int conns,
			 const char *endpoint, int ep)
{
	for (int i = 0; i < conns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cl[i] };

		cl[i].seq = (unsigned long)i * 7;
		cl[i].fd = bench_connect(endpoint);
		if (cl[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev) ||
		    send_next(r, &cl[i]) != 0) {
			fprintf(stderr, "bench_policy: connect %s: %s\n", endpoint,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void loop(struct run *r, int ep)
{
	while (r->outstanding > 0) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 10000);

		if (n <= 0) {
			fprintf(stderr, "bench_policy: no answer for 10 s\n");
			r->errors += r->outstanding;
			return;
		}
		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;

			if (on_readable(r, c) != 0) {
				r->errors++;
				r->outstanding--;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct run r;
	struct client *cl;
	int conns, ep;
	double secs;

	if (argc < 4 || argc > 5 || (conns = atoi(argv[2])) < 1 ||
	    (secs = atof(argv[3])) <= 0 ||
	    (argc == 5 && strcmp(argv[4], "unlisted") != 0)) {
		fprintf(stderr, "usage: bench_policy ENDPOINT CONNS SECONDS "
			"[unlisted]\n");
		return 2;
	}
	memset(&r, 0, sizeof r);
	r.only_unlisted = argc == 5;
	r.reqs = calloc(DISTINCT, sizeof *r.reqs);
	cl = calloc((size_t)conns, sizeof *cl);
	ep = epoll_create1(0);
	if (r.reqs == NULL || cl == NULL || ep < 0)
		return 1;
	prepare(r.reqs, r.only_unlisted);
	r.warm_end = bench_ns() + WARMUP_NS;
	r.end = r.warm_end + (long long)(secs * 1e9);
	if (start_clients(&r, cl, conns, argv[1], ep) != 0)
		return 1;
	loop(&r, ep);
	bench_sort(r.lat, r.nlat);
	printf("requests=%zu errors=%lu rps=%.0f p50_us=%.1f p99_us=%.1f "
	       "max_us=%.1f ok_listed=%lu ok_unlisted=%lu\n", r.nlat, r.errors,
	       (double)r.nlat / secs, bench_pct(r.lat, r.nlat, 50) / 1e3,
	       bench_pct(r.lat, r.nlat, 99) / 1e3,
	       r.nlat ? r.lat[r.nlat - 1] / 1e3 : 0.0, r.ok_listed, r.ok_unlisted);
	for (int i = 0; i < conns; i++)
		close(cl[i].fd);
	close(ep);
	free(r.lat);
	free(cl);
	free(r.reqs);
	return r.errors ? 1 : 0;
}
