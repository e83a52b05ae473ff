/*
 * counters.c - the operational counters: one shared anonymous mapping,
 * made by the master before it forks, where the serve worker counts with
 * relaxed atomic adds and the ingest worker reads the growth into its
 * batch. Must never block or slow a query (no lock, no system call on
 * the serve side) and never count anything twice across an ingest restart.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "counters.h"
#include "log.h"
#include "util.h"

#define FORMAT_NAME_MAX (COUNTER_NAME_MAX - sizeof "matched_")

/* the page the master shares with its workers: VALUE only grows (serve
 * adds), FLUSHED is how much of it ingest has put into a batch */
struct counters_shared {
	uint64_t value[COUNTER_COUNT];
	uint64_t flushed[COUNTER_COUNT];
};

/* one format's matches since the last flush */
struct format_count {
	char name[FORMAT_NAME_MAX];
	uint64_t n;
};

/* the ingest worker's own counts since its last flush (its tailer loop
 * and its journal thread may both count: under LOCK) */
struct ingest_pending {
	pthread_mutex_t lock;
	struct format_count formats[COUNTERS_FORMATS_MAX];
	size_t nformats;
	uint64_t expired;
	uint64_t ambiguous;
};

static const char *const counter_names[COUNTER_COUNT] = {
	[COUNTER_POLICY_OK] = "policy_ok",
	[COUNTER_POLICY_DUNNO] = "policy_dunno",
	[COUNTER_SOCKETMAP_OK] = "socketmap_ok",
	[COUNTER_SOCKETMAP_NOTFOUND] = "socketmap_notfound",
	[COUNTER_SOCKETMAP_PERM] = "socketmap_perm",
	[COUNTER_REFUSED_MAX_CLIENTS] = "refused_max_clients",
	[COUNTER_ACCEPT_PAUSED] = "accept_paused",
	[COUNTER_CLOSED_MALFORMED] = "closed_malformed",
	[COUNTER_CLOSED_IDLE] = "closed_idle",
	[COUNTER_LOOKUP_ERRORS] = "lookup_errors",
};

/* owned by this file: the mapping (NULL = counting off) and the ingest
 * worker's pending counts */
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
	pending.expired = 0;
	pending.ambiguous = 0;
	pthread_mutex_unlock(&pending.lock);
}

void counters_inc(enum counter_id id)
{
	if (shared != NULL && (unsigned)id < COUNTER_COUNT)
		__atomic_fetch_add(&shared->value[id], 1, __ATOMIC_RELAXED);
}

uint64_t counters_value(enum counter_id id)
{
	if (shared == NULL || (unsigned)id >= COUNTER_COUNT)
		return 0;
	return __atomic_load_n(&shared->value[id], __ATOMIC_RELAXED);
}

const char *counters_name(enum counter_id id)
{
	return (unsigned)id < COUNTER_COUNT ? counter_names[id] : NULL;
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

void counters_note_ambiguous(void)
{
	pthread_mutex_lock(&pending.lock);
	pending.ambiguous++;
	pthread_mutex_unlock(&pending.lock);
}

void counters_note_expired(size_t n)
{
	pthread_mutex_lock(&pending.lock);
	pending.expired += n;
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
	ops += add(b, "entries_expired", pending.expired);
	ops += add(b, "lines_ambiguous", pending.ambiguous);
	pending.nformats = 0;
	pending.expired = 0;
	pending.ambiguous = 0;
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
			ops += add(b, counter_names[i], v - f);
		__atomic_store_n(&shared->flushed[i], v, __ATOMIC_RELAXED);
	}
	return ops;
}

size_t counters_flush(struct batch *b)
{
	return flush_pending(b) + flush_shared(b);
}
