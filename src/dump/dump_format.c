/*
 * dump_format.c - popgate-dump's output: the aligned table, JSON lines
 * and statistics. Every string that came from a log (user, service,
 * file names) is escaped before it reaches a terminal or a JSON parser;
 * it must never print raw control bytes or invalid JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dump_format.h"
#include "log.h"
#include "util.h"

#define ESCAPED_MAX 512	/* log_escape of a user or service field */

void dump_addr_text(const struct addr *a, unsigned ipv6_prefix, char *buf,
		    size_t size)
{
	char text[ADDR_TEXT_MAX];

	addr_format(a, text, sizeof(text));
	if (!addr_is_v4(a) && ipv6_prefix > 0 && ipv6_prefix < 128)
		snprintf(buf, size, "%s/%u", text, ipv6_prefix);
	else
		copy_string(buf, text, size);
}

void dump_time_left(long long seconds, char *buf, size_t size)
{
	static const struct {
		long long seconds;
		char suffix;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i;
	long long big, small;

	if (seconds <= 0) {
		copy_string(buf, "expired", size);
		return;
	}
	for (i = 0; units[i].seconds > seconds; i++)
		;
	big = seconds / units[i].seconds;
	if (units[i].seconds == 1) {
		snprintf(buf, size, "%llds", big);
		return;
	}
	small = seconds % units[i].seconds / units[i + 1].seconds;
	if (small)
		snprintf(buf, size, "%lld%c%lld%c", big, units[i].suffix, small,
			 units[i + 1].suffix);
	else
		snprintf(buf, size, "%lld%c", big, units[i].suffix);
}

void dump_local_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

/* utf8_length - bytes of the valid UTF-8 sequence at P (N left), 0 if
 * invalid: no overlong forms, surrogates or code points past U+10FFFF */
static size_t utf8_length(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void dump_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	putc('"', out);
	while (n > 0) {
		len = utf8_length(p, n);
		if (len == 1 && (*p == '"' || *p == '\\'))
			fprintf(out, "\\%c", *p);
		else if (len == 0 || *p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fwrite(p, 1, len, out);
		len = len ? len : 1;
		p += len;
		n -= len;
	}
	putc('"', out);
}

void dump_json_row(FILE *out, const struct dump_row *row,
		   unsigned ipv6_prefix)
{
	char ip[ADDR_TEXT_MAX + 8];

	dump_addr_text(&row->addr, ipv6_prefix, ip, sizeof(ip));
	fprintf(out, "{\"ip\":\"%s\",\"first_seen\":%lld,\"last_seen\":%lld,"
		"\"expires\":%lld,\"count\":%lu,\"service\":", ip,
		(long long)row->rec.first_seen, (long long)row->rec.last_seen,
		(long long)row->expires, (unsigned long)row->rec.count);
	dump_json_string(out, row->rec.service);
	fputs(",\"user\":", out);
	dump_json_string(out, row->rec.user);
	if (row->rec.open_sessions > 0)
		fprintf(out, ",\"open_sessions\":%lu",
			(unsigned long)row->rec.open_sessions);
	if (row->shared_users > 0)
		fprintf(out, ",\"shared\":true,\"shared_users\":%u",
			row->shared_users);
	fputs("}\n", out);
}

void dump_table_init(struct dump_table *t)
{
	memset(t, 0, sizeof(*t));
}

void dump_table_add(struct dump_table *t, const struct dump_row *row)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
	}
	t->rows[t->n++] = *row;
}

void dump_table_free(struct dump_table *t)
{
	free(t->rows);
	dump_table_init(t);
}

/* the cells of one row, as text */
struct cells {
	char ip[ADDR_TEXT_MAX + 8];
	char seen[32];
	char left[32];
	char count[16];
	char service[ESCAPED_MAX];
	char user[ESCAPED_MAX + 32];
};

static void fill_cells(struct cells *c, const struct dump_row *row,
		       unsigned ipv6_prefix, time_t now)
{
	const struct record *r = &row->rec;

	dump_addr_text(&row->addr, ipv6_prefix, c->ip, sizeof(c->ip));
	dump_local_time((time_t)r->last_seen, c->seen, sizeof(c->seen));
	dump_time_left(row->expires > now ? (long long)row->expires -
		       (long long)now : 0, c->left, sizeof(c->left));
	snprintf(c->count, sizeof(c->count), "%lu", (unsigned long)r->count);
	log_escape(c->service, sizeof(c->service), r->service,
		   strlen(r->service));
	log_escape(c->user, sizeof(c->user), r->user, strlen(r->user));
	if (c->service[0] == '\0')
		copy_string(c->service, "-", sizeof(c->service));
	if (c->user[0] == '\0')
		copy_string(c->user, "-", sizeof(c->user));
	if (row->shared_users > 0)
		snprintf(c->user + strlen(c->user), sizeof(c->user) -
			 strlen(c->user), "  [shared: %u users]",
			 row->shared_users);
}

static void widen(int *w, const char *text)
{
	int n = (int)strlen(text);

	if (n > *w)
		*w = n;
}

void dump_table_print(FILE *out, const struct dump_table *t,
		      unsigned ipv6_prefix, time_t now)
{
	int w_ip = 2, w_seen = 9, w_left = 10, w_count = 5, w_service = 7;
	struct cells c;
	size_t i;

	for (i = 0; i < t->n; i++) {
		fill_cells(&c, &t->rows[i], ipv6_prefix, now);
		widen(&w_ip, c.ip);
		widen(&w_seen, c.seen);
		widen(&w_left, c.left);
		widen(&w_count, c.count);
		widen(&w_service, c.service);
	}
	fprintf(out, "%-*s  %-*s  %-*s  %*s  %-*s  %s\n", w_ip, "ip", w_seen,
		"last seen", w_left, "expires in", w_count, "count", w_service,
		"service", "user");
	for (i = 0; i < t->n; i++) {
		fill_cells(&c, &t->rows[i], ipv6_prefix, now);
		fprintf(out, "%-*s  %-*s  %-*s  %*s  %-*s  %s\n", w_ip, c.ip,
			w_seen, c.seen, w_left, c.left, w_count, c.count,
			w_service, c.service, c.user);
	}
}

/* ---- statistics ---- */

static int print_position(const char *name, const struct position *p,
			  void *ctx)
{
	char escaped[4 * POSITION_NAME_MAX + 8];

	log_escape(escaped, sizeof(escaped), name, strlen(name));
	fprintf(ctx, "  %s: dev %llu ino %llu offset %llu\n", escaped,
		(unsigned long long)p->dev, (unsigned long long)p->ino,
		(unsigned long long)p->offset);
	return 0;
}

static int print_counter(const char *name, uint64_t value, void *ctx)
{
	char escaped[4 * POSITION_NAME_MAX + 8];

	log_escape(escaped, sizeof(escaped), name, strlen(name));
	fprintf(ctx, "  %s: %llu\n", escaped, (unsigned long long)value);
	return 0;
}

static void print_duration(FILE *out, const char *name, unsigned seconds)
{
	char buf[32];

	if (seconds == 0) {
		fprintf(out, "%s: off\n", name);
		return;
	}
	format_duration(seconds, buf, sizeof(buf));
	fprintf(out, "%s: %s\n", name, buf);
}

static void print_time(FILE *out, const char *name, int64_t t)
{
	char buf[40];

	if (t <= 0) {
		fprintf(out, "%s: never\n", name);
		return;
	}
	dump_local_time((time_t)t, buf, sizeof(buf));
	fprintf(out, "%s: %s\n", name, buf);
}

int dump_stats(FILE *out, struct store *s, time_t now,
	       const struct store_params *p)
{
	struct store_stats st;
	char escaped[ESCAPED_MAX];

	if (store_stats(s, now, &st) < 0)
		return -1;
	log_escape(escaped, sizeof(escaped), store_path(s),
		   strlen(store_path(s)));
	fprintf(out, "database: %s\nentries: %zu\nexpired: %zu\n"
		"shared: %zu\ninvalid values: %zu\nmap size: %zu\n"
		"map used: %zu\ntransaction: %zu\nopen sessions: %zu\n",
		escaped, st.entries, st.expired, st.shared, st.invalid,
		st.map_size, st.map_used, st.last_txn, st.sessions);
	print_time(out, "last commit", store_get_time(s, "last_commit"));
	print_time(out, "last login recorded", store_get_time(s, "last_login"));
	print_duration(out, "window", p->window);
	print_duration(out, "session_max", p->session_max);
	fprintf(out, "ipv6_prefix: %u\nshared_address_users: %u\npositions:\n",
		p->ipv6_prefix ? p->ipv6_prefix : 128, p->shared_users);
	if (store_each_position(s, print_position, out) < 0)
		return -1;
	fputs("counters:\n", out);
	return store_each_counter(s, print_counter, out);
}
