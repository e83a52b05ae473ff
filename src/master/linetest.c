/*
 * linetest.c - popgated -T: reads log lines (a file, or standard input)
 * and says for each what popgated would do with it and why, through the
 * daemon's own code (feed_line, the login sink with its rules, the
 * shared-address rule) with a dry sink that never reaches a database;
 * ends with a table per format. Lines are read like a backlog:
 * each at its own time stamp. Writes nothing but its report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "linetest.h"
#include "log.h"
#include "sink.h"
#include "tail.h"
#include "util.h"

#define READ_CHUNK (4 * 1024 * 1024)

/* what became of one line, and the table's columns */
enum verdict {
	V_RECORDED, V_CLOSED, V_TOO_OLD, V_IGNORED_NET, V_IGNORED_USER,
	V_WAITING, V_DISCARDED, V_NO_FIRST, V_BAD_ADDR,
	V_CANCELLED, V_AMBIGUOUS, V_UNMATCHED, V_COUNT
};

static const char *const verdict_text[V_COUNT] = {
	"recorded", "session closed", "not recorded, too old for the window",
	"not recorded, ignored network", "not recorded, ignored user",
	"waiting, first line of a two-line login",
	"not recorded, failure line (a waiting first line is discarded)",
	"not recorded, second line without a waiting first line",
	"not recorded, no valid client address or process id",
	"not recorded, its first line was a failure or had no address",
	"not recorded, ambiguous (the address field twice)",
	"no match, a server's tag but no rule matched",
};
static const char *const verdict_column[V_COUNT] = {
	"recorded", "closed", "too_old", "ign_net", "ign_user", "waiting",
	"discarded", "no_first", "bad_addr", "cancelled",
	"ambiguous", "unmatched",
};

struct linetest {
	const struct config *cfg;
	struct store_params params;
	struct matcher *m;
	struct stamp_cache stamps;
	struct sink *sink;		/* dry: decides, never commits */
	struct linetest_table table;
	struct shared_sim *shared;	/* NULL: shared_address_users off */
	int verbose;
	FILE *out;
	time_t shown_t;			/* the last time printed ... */
	char shown[40];			/* ... as text */
	unsigned long long lineno, overlong, recognised;
};

/* print_line - "N: verdict[ note]: format address fields" (a verdict
 * never holds a colon) */
static void print_line(struct linetest *lt, enum verdict v, const char *note,
		       const char *format, const struct match_result *r,
		       time_t t)
{
	char ip[ADDR_TEXT_MAX], user[RECORD_USER_MAX * 4];
	struct tm tm;

	fprintf(lt->out, "%llu: %s%s: %s", lt->lineno, verdict_text[v], note,
		format ? format : "-");
	if (r == NULL) {
		fputc('\n', lt->out);
		return;
	}
	if (r->has_addr)
		addr_format(&r->addr, ip, sizeof ip);
	else		/* a logout known by its session */
		copy_string(ip, "-", sizeof ip);
	if (t != lt->shown_t || lt->shown[0] == '\0') {	/* lines share seconds */
		lt->shown_t = t;
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(lt->shown, sizeof lt->shown, "%Y-%m-%dT%H:%M:%S%z",
			     &tm) == 0)
			snprintf(lt->shown, sizeof lt->shown, "@%lld",
				 (long long)t);
	}
	log_escape(user, sizeof user, r->user, strlen(r->user));
	fprintf(lt->out, " %s service=%s time=%s user=%s\n", ip,
		r->service[0] ? r->service : "-", lt->shown, user);
}

/* verdict_of - the daemon's decision on a match, without a database */
static enum verdict verdict_of(struct linetest *lt, struct match_result *r,
			       time_t t)
{
	enum sink_outcome o = sink_match(lt->sink, "test", r, t, 0);

	sink_discard(lt->sink);
	switch (o) {
	case SINK_LOGIN:
		return V_RECORDED;
	case SINK_LOGOUT:
		return V_CLOSED;
	case SINK_TOO_OLD:
		return V_TOO_OLD;
	case SINK_IGNORED:
		return V_IGNORED_NET;
	case SINK_IGNORED_USER:
		return V_IGNORED_USER;
	}
	return V_RECORDED;
}

/* matched - a login or logout line */
static void matched(struct linetest *lt, struct match_result *r, time_t t)
{
	enum verdict v = verdict_of(lt, r, t);
	struct match_result key = *r;	/* as the database keys it */
	char note[96] = "";

	lt->recognised++;
	addr_apply_ipv6_prefix(&key.addr, lt->cfg->ipv6_prefix);
	if (v == V_RECORDED && lt->shared != NULL)
		shared_sim_login(lt->shared, &key, sink_time(t, clock_now()),
				 note, sizeof note);
	if (v == V_TOO_OLD) {
		char w[32];

		format_duration(lt->cfg->window, w, sizeof w);
		snprintf(note, sizeof note, " (%s)", w);
	}
	if (v == V_CLOSED && lt->params.session_max == 0)
		copy_string(note, " (session_tracking is off: noted only)",
			    sizeof note);
	linetest_count(&lt->table, r->format, v);
	print_line(lt, v, note, r->format, r, t);
}

/* unmatched - say why a line with a known tag did not count */
static void unmatched(struct linetest *lt, time_t t)
{
	static const enum verdict of_note[] = {
		[MATCH_NOTE_UNMATCHED] = V_UNMATCHED,
		[MATCH_NOTE_BAD_ADDR] = V_BAD_ADDR,
		[MATCH_NOTE_PENDING] = V_WAITING,
		[MATCH_NOTE_DISCARDED] = V_DISCARDED,
		[MATCH_NOTE_NO_FIRST] = V_NO_FIRST,
		[MATCH_NOTE_CANCELLED] = V_CANCELLED,
		[MATCH_NOTE_AMBIGUOUS] = V_AMBIGUOUS,
	};
	struct match_result r;
	const char *format;
	enum match_note n;

	memset(&r, 0, sizeof r);
	r.has_addr = 1;
	n = matcher_note(lt->m, &format, &r.addr);
	if (n == MATCH_NOTE_NONE || n == MATCH_NOTE_NO_TAG)
		return;
	linetest_count(&lt->table, format ? format : "custom", of_note[n]);
	if (n == MATCH_NOTE_UNMATCHED && !lt->verbose)
		return;
	print_line(lt, of_note[n], "", format, n == MATCH_NOTE_PENDING ? &r :
		   NULL, t);
}

static void one_line(struct linetest *lt, const char *line, size_t len)
{
	struct match_result r;
	time_t t;

	lt->lineno++;
	if (len > TAIL_LINE_MAX) {	/* the tailer skips these too */
		lt->overlong++;
		return;
	}
	if (feed_line(lt->m, &lt->stamps, 0, line, len, 0, &r, &t))
		matched(lt, &r, t);
	else
		unmatched(lt, t);
}

/* read_all - every complete line of FD; a line that fills the whole
 * buffer is over TAIL_LINE_MAX anyway and is skipped up to its newline,
 * so memory stays bounded; a last line without its newline is reported,
 * not read (the daemon waits for the newline) */
static int read_all(struct linetest *lt, int fd, const char *name)
{
	char *buf = xmalloc(READ_CHUNK);
	size_t used = 0;
	int skipping = 0;
	ssize_t n;

	while ((n = read(fd, buf + used, READ_CHUNK - used)) != 0) {
		size_t start = 0;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "popgated: %s: %s\n", name,
				strerror(errno));
			free(buf);
			return -1;
		}
		used += (size_t)n;
		while ((nl = memchr(buf + start, '\n', used - start)) != NULL) {
			if (skipping) {	/* the end of an overlong line */
				lt->lineno++;
				lt->overlong++;
				skipping = 0;
			} else {
				one_line(lt, buf + start,
					 (size_t)(nl - buf) - start);
			}
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, used - start);
		used -= start;
		if (used == READ_CHUNK) {	/* drop it, find its end */
			skipping = 1;
			used = 0;
		}
	}
	if (used > 0 || skipping)
		fprintf(stderr, "popgated: %s: last line has no newline: not "
			"read (popgated waits for its end)\n", name);
	free(buf);
	return 0;
}

static void setup(struct linetest *lt, const struct config *cfg, int verbose)
{
	memset(lt, 0, sizeof *lt);
	lt->cfg = cfg;
	lt->verbose = verbose;
	lt->out = stdout;
	config_store_params(cfg, &lt->params);
	lt->sink = sink_new(cfg, NULL);
	linetest_table_init(&lt->table, verdict_column, V_COUNT);
	if (cfg->shared_address_users > 0)
		lt->shared = shared_sim_new(&lt->params);
}

int linetest_run(const struct config *cfg, const char *path, int verbose)
{
	static char outbuf[1 << 16];
	struct linetest lt;
	char err[CONFIG_ERR_MAX];
	long long start = clock_mono_ms();
	double seconds;
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		fprintf(stderr, "popgated: %s: %s\n", path, strerror(errno));
		return 2;
	}
	setup(&lt, cfg, verbose);
	if ((lt.m = matcher_new(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	rc = read_all(&lt, fd, path);
	linetest_table_print(&lt.table, lt.out);
	fflush(lt.out);
	seconds = (double)(clock_mono_ms() - start) / 1000.0;
	fprintf(stderr, "popgated: %llu lines (%llu over %d bytes, skipped), "
		"%llu logins and logouts recognised, in %.3f s (%.0f lines/s)\n",
		lt.lineno, lt.overlong, TAIL_LINE_MAX, lt.recognised, seconds,
		seconds > 0 ? (double)lt.lineno / seconds : 0.0);
	if (fd > 0)
		close(fd);
	matcher_free(lt.m);
	sink_free(lt.sink);
	linetest_table_free(&lt.table);
	shared_sim_free(lt.shared);
	if (rc != 0)
		return 2;
	return lt.recognised > 0 ? 0 : 1;
}
