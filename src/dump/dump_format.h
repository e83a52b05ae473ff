/*
 * dump_format.h - how popgate-dump shows the database: the table, one
 * JSON object per line, and the statistics. In the library so that unit
 * tests can compare it with golden files.
 */
#ifndef POPGATE_DUMP_FORMAT_H
#define POPGATE_DUMP_FORMAT_H

#include <stdio.h>
#include <time.h>

#include "store.h"

/* one listed entry */
struct dump_row {
	struct addr addr;
	struct record rec;
	time_t expires;
	unsigned shared_users;	/* > 0: a shared address, this many users */
};

/* the rows of a listing, kept so that the table's columns line up */
struct dump_table {
	struct dump_row *rows;
	size_t n, cap;
};

/* dump_addr_text - "192.0.2.1", "2001:db8::1", or "2001:db8:1:2::/64"
 * for an IPv6 key when IPV6_PREFIX (1..127) masks the keys */
void dump_addr_text(const struct addr *a, unsigned ipv6_prefix, char *buf,
		    size_t size);
/* dump_time_left - "45s", "12m", "12m30s", "1h5m", "2d3h" or "expired" */
void dump_time_left(long long seconds, char *buf, size_t size);
/* dump_local_time - "2026-11-25 12:01:02" in the local time zone */
void dump_local_time(time_t t, char *buf, size_t size);
/* dump_json_string - S quoted, with `"`, `\`, bytes below 0x20 and
 * bytes that are not valid UTF-8 as escapes */
void dump_json_string(FILE *out, const char *s);
/* dump_json_row - one object on one line, DESIGN's keys in order */
void dump_json_row(FILE *out, const struct dump_row *row,
		   unsigned ipv6_prefix);

void dump_table_init(struct dump_table *t);
void dump_table_add(struct dump_table *t, const struct dump_row *row);
void dump_table_print(FILE *out, const struct dump_table *t,
		      unsigned ipv6_prefix, time_t now);
void dump_table_free(struct dump_table *t);

/* dump_stats - entries, expiry, map use, parameters, positions and
 * counters of S at NOW, with P the parameters in force. 0 ok, -1 error */
int dump_stats(FILE *out, struct store *s, time_t now,
	       const struct store_params *p);

/* dump_stats_json - the same as one JSON object on one line (plus the
 * last commit and last login times, the counters as an object) */
int dump_stats_json(FILE *out, struct store *s, time_t now,
		    const struct store_params *p);
/* dump_stats_prometheus - the same in Prometheus' text format */
int dump_stats_prometheus(FILE *out, struct store *s, time_t now,
			  const struct store_params *p);

#endif
