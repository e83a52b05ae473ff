/*
 * bench_common.c - helpers shared by the benchmark programs (see bench.h).
 * Benchmark code only: never linked into popgated.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

long long bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

void bench_sort(long long *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_ll);
}

long long bench_pct(const long long *v, size_t n, double pct)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(pct / 100.0 * (double)n);
	return v[i < n ? i : n - 1];
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path)
		return -1;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int connect_inet(const char *hostport)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *colon = strrchr(hostport, ':');
	char host[64];
	int fd;

	if (colon == NULL || (size_t)(colon - hostport) >= sizeof host)
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	sin.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int bench_connect(const char *endpoint)
{
	if (strncmp(endpoint, "unix:", 5) == 0)
		return connect_unix(endpoint + 5);
	if (strncmp(endpoint, "inet:", 5) == 0)
		return connect_inet(endpoint + 5);
	return -1;
}

size_t bench_policy_request(char *buf, size_t size, const char *client,
			    unsigned long seq)
{
	int n = snprintf(buf, size,
		"request=smtpd_access_policy\n"
		"protocol_state=RCPT\n"
		"protocol_name=ESMTP\n"
		"client_address=%s\n"
		"client_name=client%lu.example.org\n"
		"client_port=%lu\n"
		"reverse_client_name=client%lu.example.org\n"
		"server_address=192.0.2.254\n"
		"server_port=25\n"
		"helo_name=client%lu.example.org\n"
		"sender=user%lu@example.org\n"
		"recipient=rcpt%lu@example.net\n"
		"recipient_count=0\n"
		"queue_id=\n"
		"instance=%lx.6650a1b2.1f2e.0\n"
		"size=0\n"
		"etrn_domain=\n"
		"stress=\n"
		"sasl_method=\n"
		"sasl_username=\n"
		"sasl_sender=\n"
		"ccert_subject=\n"
		"ccert_issuer=\n"
		"ccert_fingerprint=\n"
		"ccert_pubkey_fingerprint=\n"
		"encryption_protocol=TLSv1.3\n"
		"encryption_cipher=TLS_AES_256_GCM_SHA384\n"
		"encryption_keysize=256\n"
		"policy_context=\n"
		"compatibility_level=3.6\n"
		"mail_version=3.7.11\n"
		"\n", client, seq % 1000, 1024 + seq % 60000, seq % 1000,
		seq % 1000, seq, seq, seq);

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

int bench_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

long bench_read_answer(int fd, char *buf, size_t size)
{
	size_t have = 0;

	while (have + 1 < size) {
		ssize_t r = recv(fd, buf + have, size - 1 - have, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		if (have >= 2 && strstr(buf, "\n\n") != NULL)
			return (long)have;
	}
	return -1;
}
