/*
 * bench.h - helpers shared by the benchmark programs in tests/bench:
 * monotonic clock, percentiles, connecting to unix:/inet: endpoints and
 * the Postfix 3.7-shaped policy request. Benchmark code only: never
 * linked into popgated, never run by make test.
 */
#ifndef POPGATE_BENCH_H
#define POPGATE_BENCH_H

#include <stddef.h>

/* bench_ns - monotonic nanoseconds */
long long bench_ns(void);
/* bench_sort - sort N values ascending (for bench_pct) */
void bench_sort(long long *v, size_t n);
/* bench_pct - the PCT-th percentile (0..100) of N sorted values */
long long bench_pct(const long long *v, size_t n, double pct);
/* bench_connect - "unix:PATH" or "inet:HOST:PORT" (IPv4 HOST); -1 on error */
int bench_connect(const char *endpoint);
/* bench_policy_request - a full Postfix 3.7 RCPT request for CLIENT into
 * BUF; SEQ varies the per-request fields. Returns its length */
size_t bench_policy_request(char *buf, size_t size, const char *client,
			    unsigned long seq);
/* bench_write_all - 0 when all N bytes were written */
int bench_write_all(int fd, const void *buf, size_t n);
/* bench_read_answer - read one policy answer (up to "\n\n") into BUF;
 * returns its length, -1 on error or EOF */
long bench_read_answer(int fd, char *buf, size_t size);

#endif
