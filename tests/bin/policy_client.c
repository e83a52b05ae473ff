/*
 * policy_client.c - load generator for the policy protocol: CONNS
 * persistent connections, each sending one request and waiting for its
 * answer, COUNT times. Prints requests/s and latency percentiles. A test
 * helper only; never used by the daemon.
 *   policy_client [-c conns] [-n requests-per-conn] [-a ip] unix:PATH|inet:HOST:PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct client {
	int fd;
	long left;
	long long sent_ns;
	char buf[512];
	size_t have;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int connect_to(const char *ep)
{
	int fd;

	if (strncmp(ep, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		strncpy(sun.sun_path, ep + 5, sizeof sun.sun_path - 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
			return -1;
	} else {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		const char *colon = strrchr(ep, ':');
		char host[64];

		if (strncmp(ep, "inet:", 5) != 0 || colon == NULL ||
		    (size_t)(colon - ep - 5) >= sizeof host)
			return -1;
		memcpy(host, ep + 5, (size_t)(colon - ep - 5));
		host[colon - ep - 5] = '\0';
		sin.sin_port = htons((unsigned short)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return -1;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
			return -1;
	}
	return fd;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static char request[1024];
static size_t request_len;

static int send_request(struct client *c)
{
	c->sent_ns = now_ns();
	return send(c->fd, request, request_len, MSG_NOSIGNAL) ==
	       (ssize_t)request_len ? 0 : -1;
}

int main(int argc, char **argv)
{
	int conns = 64, opt, ep, i;
	long per = 1000, done = 0, ok = 0, errors = 0, total;
	const char *ip = "192.0.2.1";
	struct client *cl;
	long long *lat, start, elapsed;

	while ((opt = getopt(argc, argv, "c:n:a:")) != -1) {
		if (opt == 'c')
			conns = atoi(optarg);
		else if (opt == 'n')
			per = atol(optarg);
		else if (opt == 'a')
			ip = optarg;
		else
			return 2;
	}
	if (optind != argc - 1 || conns < 1 || per < 1)
		return 2;
	request_len = (size_t)snprintf(request, sizeof request,
		"request=smtpd_access_policy\nprotocol_state=RCPT\n"
		"protocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\n"
		"helo_name=client.example\nsender=a@example.org\n"
		"recipient=b@example.net\ninstance=1.2.3\n\n", ip);
	total = per * conns;
	cl = calloc((size_t)conns, sizeof *cl);
	lat = calloc((size_t)total, sizeof *lat);
	ep = epoll_create1(0);
	start = now_ns();
	for (i = 0; i < conns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cl[i] };

		cl[i].left = per;
		cl[i].fd = connect_to(argv[optind]);
		if (cl[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev) ||
		    send_request(&cl[i])) {
			fprintf(stderr, "connect %s: %s\n", argv[optind], strerror(errno));
			return 1;
		}
	}
	while (done + errors < total) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 10000);

		if (n <= 0) {
			fprintf(stderr, "timed out\n");
			break;
		}
		for (i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			ssize_t r = recv(c->fd, c->buf + c->have,
					 sizeof c->buf - c->have - 1, 0);
			char *end;

			if (r <= 0) {
				errors += c->left;
				c->left = 0;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			c->have += (size_t)r;
			c->buf[c->have] = '\0';
			while ((end = strstr(c->buf, "\n\n")) != NULL) {
				lat[done++] = now_ns() - c->sent_ns;
				ok += strncmp(c->buf, "action=OK", 9) == 0;
				c->have -= (size_t)(end + 2 - c->buf);
				memmove(c->buf, end + 2, c->have + 1);
				if (--c->left > 0 && send_request(c) != 0) {
					errors += c->left;
					c->left = 0;
				}
			}
		}
	}
	elapsed = now_ns() - start;
	qsort(lat, (size_t)done, sizeof *lat, cmp_ll);
	printf("requests=%ld errors=%ld ok=%ld seconds=%.3f rps=%.0f "
	       "p50_us=%.0f p99_us=%.0f\n", done, errors, ok, elapsed / 1e9,
	       done / (elapsed / 1e9), done ? lat[done / 2] / 1e3 : 0.0,
	       done ? lat[(done * 99) / 100] / 1e3 : 0.0);
	for (i = 0; i < conns; i++)
		close(cl[i].fd);
	close(ep);
	free(cl);
	free(lat);
	return errors ? 1 : 0;
}
