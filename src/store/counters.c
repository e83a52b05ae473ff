/*
 * counters.c - the operational counters: the one table of every counter
 * (name, meaning, owner); one shared anonymous mapping, made by the master
 * before it forks, where the serve worker counts with relaxed atomic adds;
 * the ingest worker's own counts; both read into ingest's batch. Must
 * never block or slow a query (no lock, no system call on the serve side)
 * and never count anything twice across an ingest restart.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "counters.h"
#include "log.h"
#include "util.h"

#define FORMAT_NAME_MAX (COUNTER_NAME_MAX - sizeof "matched_")

/* the page the master shares with its workers: VALUE only grows (the
 * workers add), FLUSHED is how much of it ingest has put into a batch */
struct counters_shared {
	uint64_t value[COUNTER_COUNT];
	uint64_t flushed[COUNTER_COUNT];
};

/* one format's matches since the last flush */
struct format_count {
	char name[FORMAT_NAME_MAX];
	uint64_t n;
};

/* the ingest worker's own counts since its last flush (its tailer loop,
 * its journal thread and any other source thread may count: under LOCK) */
struct ingest_pending {
	pthread_mutex_t lock;
	struct format_count formats[COUNTERS_FORMATS_MAX];
	size_t nformats;
	uint64_t value[COUNTER_COUNT];
};

#define INGEST(id, name, meaning, owner) \
	[id] = { name, meaning, owner, 0 }
#define SHARED(id, name, meaning, owner) \
	[id] = { name, meaning, owner, 1 }

/* THE counter table: README's "Counters" table lists the same names and
 * meanings (tests/unit/test_counters.c checks that they agree) */
const struct counter_def counter_table[COUNTER_COUNT] = {
	INGEST(COUNTER_LINES_READ, "lines_read",
	       "complete log lines read (all followed files)", "tail"),
	INGEST(COUNTER_LINES_OVERLONG, "lines_overlong",
	       "lines over 16 KiB, skipped", "tail, journal"),
	INGEST(COUNTER_LINES_MATCHED, "lines_matched",
	       "lines recognised as a login or logout", "ingest/sink.c"),
	INGEST(COUNTER_LINES_AMBIGUOUS, "lines_ambiguous",
	       "lines of a format holding its address field twice (two "
	       "`rip=`, ...): nothing recorded", "match/match.c"),
	INGEST(COUNTER_LOGINS_RECORDED, "logins_recorded",
	       "logins written to the allow-list", "ingest/sink.c"),
	INGEST(COUNTER_BACKLOG_SKIPPED, "backlog_skipped",
	       "catch-up logins older than the window, not recorded",
	       "ingest/sink.c"),
	INGEST(COUNTER_ROTATIONS, "rotations",
	       "renamed or deleted log files (drained, then retired)", "tail"),
	INGEST(COUNTER_TRUNCATIONS, "truncations",
	       "a followed file cut back or rewritten (copytruncate): read on "
	       "from the last line it still holds", "tail"),
	INGEST(COUNTER_OVERFLOWS, "overflows",
	       "inotify queue overflows (every file re-checked)", "tail"),
	INGEST(COUNTER_POSITIONS_RESET, "positions_reset",
	       "positions that could not be reconciled: the saved file gone, "
	       "emptied or replaced while stopped with no copy beside it, or "
	       "rewritten beyond the checkpoints kept (each logged as a "
	       "warning)", "tail"),
	INGEST(COUNTER_NUL_PADDING_SKIPPED, "nul_padding_skipped",
	       "runs of NUL bytes skipped where a line starts (the hole a "
	       "writer without O_APPEND leaves after copytruncate)", "tail"),
	INGEST(COUNTER_JOURNAL_ENTRIES, "journal_entries",
	       "journal entries read (journal source only)", "ingest/journal.c"),
	INGEST(COUNTER_SESSIONS_CLOSED_EVICTED, "sessions_closed_evicted",
	       "open sessions closed because the session table was full",
	       "store/store_write.c (for ingest/sink.c)"),
	INGEST(COUNTER_SHARED_ADDRESSES, "shared_addresses",
	       "addresses that became shared (shared_address_users), once per spell",
	       "store/store_write.c (store/shared.c's rule)"),
	INGEST(COUNTER_ENTRIES_EXPIRED, "entries_expired",
	       "expired entries deleted by the sweep", "ingest/ingest.c"),
	SHARED(COUNTER_POLICY_OK, "policy_ok",
	       "policy answers for a listed client (`action=<policy_action>`)",
	       "serve/conn.c"),
	SHARED(COUNTER_POLICY_DUNNO, "policy_dunno",
	       "policy answers `action=DUNNO`", "serve/conn.c"),
	SHARED(COUNTER_SOCKETMAP_OK, "socketmap_ok",
	       "socketmap answers `OK`", "serve/conn.c"),
	SHARED(COUNTER_SOCKETMAP_NOTFOUND, "socketmap_notfound",
	       "socketmap answers `NOTFOUND`", "serve/conn.c"),
	SHARED(COUNTER_SOCKETMAP_PERM, "socketmap_perm",
	       "socketmap answers `PERM` (malformed query)", "serve/conn.c"),
	SHARED(COUNTER_REFUSED_MAX_CLIENTS, "refused_max_clients",
	       "connections accepted and closed at once because `max_clients` "
	       "were open", "serve/serve.c"),
	SHARED(COUNTER_ACCEPT_PAUSED, "accept_paused",
	       "times accepting paused for lack of file descriptors or memory",
	       "serve/serve.c"),
	SHARED(COUNTER_CLOSED_MALFORMED, "closed_malformed",
	       "connections closed without an answer after malformed input",
	       "serve/conn.c"),
	SHARED(COUNTER_CLOSED_IDLE, "closed_idle",
	       "connections closed after `idle_timeout`", "serve/serve.c"),
	SHARED(COUNTER_CLOSED_SLOW, "closed_slow",
	       "connections closed because a request was not complete within "
	       "`request_timeout` (or to make room at `max_clients`)",
	       "serve (issue 16)"),
	SHARED(COUNTER_LOOKUP_ERRORS, "lookup_errors",
	       "answers that said \"not listed\" because the database could "
	       "not be read", "serve/lookup.c"),
	SHARED(COUNTER_SYNC_WAITS, "sync_waits",
	       "unlisted answers that waited for ingest to catch up "
	       "(`sync_wait`)", "serve (issue 16)"),
	SHARED(COUNTER_SYNC_TURNED_OK, "sync_turned_ok",
	       "answers that waited and then found the client listed",
	       "serve (issue 16)"),
	SHARED(COUNTER_PUSH_REPORTS, "push_reports",
	       "successful logins reported by Dovecot's auth policy",
	       "push listener (issue 16)"),
	SHARED(COUNTER_PUSH_DROPPED, "push_dropped",
	       "of those, dropped because the channel to ingest was full",
	       "push listener (issue 16)"),
	SHARED(COUNTER_PUSH_UNAUTHORIZED, "push_unauthorized",
	       "auth policy requests without the API header (401)",
	       "push listener (issue 16)"),
	SHARED(COUNTER_PUSH_MALFORMED, "push_malformed",
	       "auth policy connections closed after malformed input (400)",
	       "push listener (issue 16)"),
};

/* owned by this file: the mapping (NULL = shared counting off) and the
 * ingest worker's pending counts */
static struct counters_shared *shared;
static struct ingest_pending pending = {
	.lock = PTHREAD_MUTEX_INITIALIZER
};

int counters_create(void)
{
	void *p;

	if (shared != NULL)
		return 0;
	p = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_msg(LOG_ERR, "counters: mmap: %m; serve counters are off");
		return -1;
	}
	memset(p, 0, sizeof *shared);
	shared = p;
	return 0;
}

void counters_destroy(void)
{
	if (shared != NULL)
		munmap(shared, sizeof *shared);
	shared = NULL;
	pthread_mutex_lock(&pending.lock);
	pending.nformats = 0;
	memset(pending.value, 0, sizeof pending.value);
	pthread_mutex_unlock(&pending.lock);
}

void counters_add(enum counter_id id, uint64_t n)
{
	if ((unsigned)id >= COUNTER_COUNT || n == 0)
		return;
	if (counter_table[id].shared) {
		if (shared != NULL)
			__atomic_fetch_add(&shared->value[id], n,
					   __ATOMIC_RELAXED);
		return;
	}
	pthread_mutex_lock(&pending.lock);
	pending.value[id] += n;
	pthread_mutex_unlock(&pending.lock);
}

void counters_inc(enum counter_id id)
{
	counters_add(id, 1);
}

uint64_t counters_value(enum counter_id id)
{
	if (shared == NULL || (unsigned)id >= COUNTER_COUNT)
		return 0;
	return __atomic_load_n(&shared->value[id], __ATOMIC_RELAXED);
}

const char *counters_name(enum counter_id id)
{
	return (unsigned)id < COUNTER_COUNT ? counter_table[id].name : NULL;
}

/* clean_format_name - FORMAT as a key part: [a-z0-9_-] kept, other bytes
 * as '_', bounded; "custom" for a custom pattern */
static void clean_format_name(char *dst, const char *format)
{
	size_t i;

	if (format == NULL || format[0] == '\0')
		format = "custom";
	for (i = 0; format[i] != '\0' && i + 1 < FORMAT_NAME_MAX; i++) {
		char c = format[i];

		dst[i] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '_') ? c : '_';
	}
	dst[i] = '\0';
}

void counters_note_match(const char *format)
{
	char name[FORMAT_NAME_MAX];
	size_t i;

	clean_format_name(name, format);
	pthread_mutex_lock(&pending.lock);
	for (i = 0; i < pending.nformats; i++)
		if (strcmp(pending.formats[i].name, name) == 0)
			break;
	if (i == COUNTERS_FORMATS_MAX) {
		/* more formats than slots (cannot happen: they are few):
		 * the last slot counts the rest */
		i = COUNTERS_FORMATS_MAX - 1;
		copy_string(pending.formats[i].name, "other", FORMAT_NAME_MAX);
	} else if (i == pending.nformats) {
		pending.nformats++;
		copy_string(pending.formats[i].name, name, FORMAT_NAME_MAX);
		pending.formats[i].n = 0;
	}
	pending.formats[i].n++;
	pthread_mutex_unlock(&pending.lock);
}

static size_t add(struct batch *b, const char *name, uint64_t delta)
{
	if (delta == 0)
		return 0;
	batch_counter_add(b, name, delta);
	return 1;
}

/* flush_pending - the ingest worker's own counts */
static size_t flush_pending(struct batch *b)
{
	char name[COUNTER_NAME_MAX];
	size_t i, ops = 0;

	pthread_mutex_lock(&pending.lock);
	for (i = 0; i < pending.nformats; i++) {
		snprintf(name, sizeof name, "matched_%s",
			 pending.formats[i].name);
		ops += add(b, name, pending.formats[i].n);
	}
	for (i = 0; i < COUNTER_COUNT; i++)
		ops += add(b, counter_table[i].name, pending.value[i]);
	pending.nformats = 0;
	memset(pending.value, 0, sizeof pending.value);
	pthread_mutex_unlock(&pending.lock);
	return ops;
}

/* flush_shared - the serve worker's counts since the last flush; a value
 * below what was flushed (cannot happen) restarts from it */
static size_t flush_shared(struct batch *b)
{
	size_t i, ops = 0;

	for (i = 0; shared != NULL && i < COUNTER_COUNT; i++) {
		uint64_t v = __atomic_load_n(&shared->value[i],
					     __ATOMIC_RELAXED);
		uint64_t f = __atomic_load_n(&shared->flushed[i],
					     __ATOMIC_RELAXED);

		if (v > f)
			ops += add(b, counter_table[i].name, v - f);
		__atomic_store_n(&shared->flushed[i], v, __ATOMIC_RELAXED);
	}
	return ops;
}

size_t counters_flush(struct batch *b)
{
	return flush_pending(b) + flush_shared(b);
}
