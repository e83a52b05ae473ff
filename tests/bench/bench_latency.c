/*
 * bench_latency.c - login -> relay latency through the real daemon:
 * append one Dovecot login line (a distinct address each time) to the
 * log file popgated follows, then ask the policy socket until it answers
 * action=OK. Prints percentiles in ms and "timeouts=N".
 *   bench_latency LOGFILE unix:SOCKET|inet:HOST:PORT SAMPLES
 * Benchmark code only; never run by make test.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define POLL_PAUSE_NS 50000L		/* between two policy questions */
#define SAMPLE_PAUSE_NS 2000000L	/* between two logins */
#define SAMPLE_DEADLINE_NS 5000000000LL

static void pause_ns(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

/* sample_address - a distinct documentation address for sample I */
static void sample_address(unsigned i, char *buf, size_t size)
{
	if (i < 254)
		snprintf(buf, size, "198.51.100.%u", i + 1);
	else if (i < 508)
		snprintf(buf, size, "203.0.113.%u", i - 253);
	else
		snprintf(buf, size, "2001:db8::%x", i);
}

static size_t login_line(char *buf, size_t size, const char *ip, unsigned i)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
	return (size_t)snprintf(buf, size,
		"%s mail dovecot: imap-login: Login: user=<user%u>, method=PLAIN, "
		"rip=%s, lip=192.0.2.254, mpid=%u, TLS, session=<bench%u>\n",
		stamp, i, ip, 10000 + i, i);
}

/* ask - 1 for action=OK, 0 for another answer, -1 on a broken connection */
static int ask(int fd, const char *ip, unsigned long seq)
{
	char req[2048], ans[512];
	size_t n = bench_policy_request(req, sizeof req, ip, seq);

	if (bench_write_all(fd, req, n) != 0 ||
	    bench_read_answer(fd, ans, sizeof ans) < 0)
		return -1;
	return strncmp(ans, "action=OK\n", 10) == 0;
}

/* one_sample - ns from the append to the first OK; -1 on time-out */
static long long one_sample(int logfd, int sock, unsigned i,
			    unsigned long *asked)
{
	char ip[64], line[512];
	size_t n;
	long long t0;
	int r;

	sample_address(i, ip, sizeof ip);
	n = login_line(line, sizeof line, ip, i);
	t0 = bench_ns();
	if (write(logfd, line, n) != (ssize_t)n)
		return -1;
	while ((r = ask(sock, ip, ++*asked)) == 0) {
		if (bench_ns() - t0 > SAMPLE_DEADLINE_NS)
			return -1;
		pause_ns(POLL_PAUSE_NS);
	}
	return r == 1 ? bench_ns() - t0 : -2;
}

int main(int argc, char **argv)
{
	unsigned samples, i, timeouts = 0;
	unsigned long asked = 0;
	long long *lat;
	size_t done = 0;
	int logfd, sock;

	if (argc != 4 || (samples = (unsigned)atoi(argv[3])) == 0) {
		fprintf(stderr, "usage: bench_latency LOGFILE ENDPOINT SAMPLES\n");
		return 2;
	}
	logfd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	sock = bench_connect(argv[2]);
	if (logfd < 0 || sock < 0) {
		fprintf(stderr, "bench_latency: cannot open %s or %s\n",
			argv[1], argv[2]);
		return 1;
	}
	lat = calloc(samples, sizeof *lat);
	for (i = 0; i < samples && lat; i++) {
		long long ns = one_sample(logfd, sock, i, &asked);

		if (ns == -2) {
			fprintf(stderr, "bench_latency: connection lost\n");
			return 1;
		}
		if (ns < 0)
			timeouts++;
		else
			lat[done++] = ns;
		pause_ns(SAMPLE_PAUSE_NS);
	}
	bench_sort(lat, done);
	printf("samples=%zu timeouts=%u questions=%lu p50_ms=%.3f p90_ms=%.3f "
	       "p99_ms=%.3f max_ms=%.3f\n", done, timeouts, asked,
	       bench_pct(lat, done, 50) / 1e6, bench_pct(lat, done, 90) / 1e6,
	       bench_pct(lat, done, 99) / 1e6,
	       done ? lat[done - 1] / 1e6 : 0.0);
	free(lat);
	close(sock);
	close(logfd);
	return timeouts ? 1 : 0;
}
