/*
 * dump_metrics.c - popgate-dump -s -j and -s -P: the statistics as one
 * JSON object, or in Prometheus' text format for node_exporter's textfile
 * collector (every counter, entries, map use, the daemon's last commit
 * and last recorded login, per-format matches, log positions). Names and
 * label values from the database are escaped; a metric family is never
 * written twice.
 */
#include <string.h>

#include "dump_format.h"
#include "util.h"

#define MATCHED_PREFIX "matched_"	/* per-format counters */

struct metrics {
	struct store_stats st;
	int64_t last_commit, last_login;
};

static int gather(struct store *s, time_t now, struct metrics *m)
{
	if (store_stats(s, now, &m->st) < 0)
		return -1;
	m->last_commit = store_get_time(s, "last_commit");
	m->last_login = store_get_time(s, "last_login");
	return m->last_commit < 0 || m->last_login < 0 ? -1 : 0;
}

/* ---- JSON ---- */

struct json_list {
	FILE *out;
	int n;
};

static int json_position(const char *name, const struct position *p, void *ctx)
{
	struct json_list *l = ctx;

	fputs(l->n++ ? ",{\"file\":" : "{\"file\":", l->out);
	dump_json_string(l->out, name);
	fprintf(l->out, ",\"dev\":%llu,\"ino\":%llu,\"offset\":%llu}",
		(unsigned long long)p->dev, (unsigned long long)p->ino,
		(unsigned long long)p->offset);
	return 0;
}

static int json_counter(const char *name, uint64_t value, void *ctx)
{
	struct json_list *l = ctx;

	if (l->n++)
		fputc(',', l->out);
	dump_json_string(l->out, name);
	fprintf(l->out, ":%llu", (unsigned long long)value);
	return 0;
}

int dump_stats_json(FILE *out, struct store *s, time_t now,
		    const struct store_params *p)
{
	struct metrics m;
	struct json_list l = { out, 0 };

	if (gather(s, now, &m) < 0)
		return -1;
	fputs("{\"database\":", out);
	dump_json_string(out, store_path(s));
	fprintf(out, ",\"entries\":%zu,\"expired\":%zu,\"shared\":%zu,"
		"\"invalid\":%zu,\"map_size\":%zu,\"map_used\":%zu,"
		"\"transaction\":%zu,\"window\":%u,\"session_max\":%u,"
		"\"ipv6_prefix\":%u,\"shared_address_users\":%u,"
		"\"last_commit\":%lld,\"last_login\":%lld,\"positions\":[",
		m.st.entries, m.st.expired, m.st.shared, m.st.invalid,
		m.st.map_size, m.st.map_used, m.st.last_txn, p->window,
		p->session_max, p->ipv6_prefix ? p->ipv6_prefix : 128,
		p->shared_users, (long long)m.last_commit,
		(long long)m.last_login);
	if (store_each_position(s, json_position, &l) < 0)
		return -1;
	fputs("],\"counters\":{", out);
	l.n = 0;
	if (store_each_counter(s, json_counter, &l) < 0)
		return -1;
	fputs("}}\n", out);
	return 0;
}

/* ---- Prometheus text format ---- */

/* prom_label - VALUE as a label value: \\, \" and \n escaped, other
 * control bytes as '?' (the format has no other escapes) */
static void prom_label(FILE *out, const char *value)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if (*c == '\\' || *c == '"')
			fprintf(out, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", out);
		else
			fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, out);
	}
	fputc('"', out);
}

static void prom_family(FILE *out, const char *name, const char *type,
			const char *help)
{
	fprintf(out, "# HELP popgate_%s %s\n# TYPE popgate_%s %s\n", name, help,
		name, type);
}

static void prom_gauge(FILE *out, const char *name, const char *help,
		       unsigned long long value)
{
	prom_family(out, name, "gauge", help);
	fprintf(out, "popgate_%s %llu\n", name, value);
}

/* prom_name_ok - a counter name that makes a valid metric name */
static int prom_name_ok(const char *name)
{
	if (*name == '\0' || strlen(name) > 100)
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '_'))
			return 0;
	return 1;
}

static int prom_counter(const char *name, uint64_t value, void *ctx)
{
	FILE *out = ctx;

	if (strncmp(name, MATCHED_PREFIX, strlen(MATCHED_PREFIX)) == 0 ||
	    !prom_name_ok(name))
		return 0;	/* per format below; odd names skipped */
	fprintf(out, "# HELP popgate_%s_total popgate counter %s\n"
		"# TYPE popgate_%s_total counter\npopgate_%s_total %llu\n",
		name, name, name, name, (unsigned long long)value);
	return 0;
}

static int prom_matched(const char *name, uint64_t value, void *ctx)
{
	FILE *out = ctx;

	if (strncmp(name, MATCHED_PREFIX, strlen(MATCHED_PREFIX)) != 0)
		return 0;
	fputs("popgate_matched_lines_total{format=", out);
	prom_label(out, name + strlen(MATCHED_PREFIX));
	fprintf(out, "} %llu\n", (unsigned long long)value);
	return 0;
}

static int prom_position(const char *name, const struct position *p,
			 void *ctx)
{
	FILE *out = ctx;

	fputs("popgate_log_position_bytes{file=", out);
	prom_label(out, name);
	fprintf(out, "} %llu\n", (unsigned long long)p->offset);
	return 0;
}

int dump_stats_prometheus(FILE *out, struct store *s, time_t now,
			  const struct store_params *p)
{
	struct metrics m;

	if (gather(s, now, &m) < 0)
		return -1;
	prom_gauge(out, "entries", "Entries in the database.", m.st.entries);
	prom_gauge(out, "expired_entries", "Entries expired, not yet swept.",
		   m.st.expired);
	prom_gauge(out, "shared_entries", "Unexpired entries at a shared "
		   "address (not authorized).", m.st.shared);
	prom_gauge(out, "invalid_values", "Values of unknown version or size.",
		   m.st.invalid);
	prom_gauge(out, "map_size_bytes", "LMDB map size.", m.st.map_size);
	prom_gauge(out, "map_used_bytes", "LMDB map bytes in use.",
		   m.st.map_used);
	prom_gauge(out, "window_seconds", "How long a login authorizes.",
		   p->window);
	prom_gauge(out, "last_commit_timestamp_seconds", "When popgated last "
		   "committed (0: never).", (unsigned long long)m.last_commit);
	prom_gauge(out, "last_login_timestamp_seconds", "When popgated last "
		   "recorded a login (0: never).",
		   (unsigned long long)m.last_login);
	if (store_each_counter(s, prom_counter, out) < 0)
		return -1;
	prom_family(out, "matched_lines_total", "counter",
		    "Log lines matched, per format.");
	if (store_each_counter(s, prom_matched, out) < 0)
		return -1;
	prom_family(out, "log_position_bytes", "gauge",
		    "Saved read offset in each followed file.");
	return store_each_position(s, prom_position, out);
}
