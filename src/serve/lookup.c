/*
 * lookup.c - the database behind the serve worker's answers: opens the
 * LMDB file read-only (retrying while it cannot), reopens it when the
 * file is replaced, looks a client up once per request and logs the first
 * OK after each login. Any error means "not authorized", never OK.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counters.h"
#include "serve_int.h"
#include "util.h"

#define OPEN_RETRY_MS 2000
#define FILE_CHECK_MS 5000

/* who was last announced as "relay allowed", per hash slot */
struct seen_slot {
	struct addr addr;
	int64_t first_seen;
	uint32_t count;
	int used;
};

/* absolute_path - PATH made absolute against the current directory */
static char *absolute_path(const char *path)
{
	char cwd[4096];
	size_t clen, plen = strlen(path);
	char *abs;

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return xstrdup(path);
	clen = strlen(cwd);
	abs = xmalloc(clen + plen + 2);
	memcpy(abs, cwd, clen);
	abs[clen] = '/';
	memcpy(abs + clen + 1, path, plen + 1);
	return abs;
}

static void open_store(struct lookup *a)
{
	char err[512];
	struct stat st;

	a->next_open_ms = clock_mono_ms() + OPEN_RETRY_MS;
	if (store_open(&a->store, a->db_path, STORE_READONLY, 0, err,
		       sizeof err) != STORE_OK) {
		a->store = NULL;
		log_limited(&a->rl_open, LOG_ERR,
			    "serve: %s; answering DUNNO until it can be opened",
			    err);
		return;
	}
	if (stat(a->db_path, &st) == 0) {
		a->dev = st.st_dev;
		a->ino = st.st_ino;
	}
	log_debug(1, "serve: database %s open", a->db_path);
}

void lookup_init(struct lookup *a, const struct config *cfg)
{
	memset(a, 0, sizeof *a);
	a->cfg = cfg;
	a->db_path = absolute_path(cfg->database);
	config_store_params(cfg, &a->params);
	a->seen = xcalloc(SERVE_SEEN_SLOTS, sizeof *a->seen);
	a->next_check_ms = clock_mono_ms() + FILE_CHECK_MS;
	open_store(a);
}

void lookup_free(struct lookup *a)
{
	if (a->store)
		store_close(a->store);
	free(a->db_path);
	free(a->seen);
	a->store = NULL;
}

static size_t slot_of(const struct addr *k)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof k->b; i++)
		h = (h ^ k->b[i]) * 16777619u;
	return h % SERVE_SEEN_SLOTS;
}

/* announce - log "relay allowed" once per login of KEY */
static void announce(struct lookup *a, const struct addr *client,
		     const struct addr *key, const struct record *r)
{
	struct seen_slot *s = &a->seen[slot_of(key)];
	char ip[ADDR_TEXT_MAX], user[RECORD_USER_MAX * 4], service[RECORD_SERVICE_MAX * 4];
	char when[64];
	time_t login = (time_t)r->last_seen;
	struct tm tm;

	if (s->used && memcmp(&s->addr, key, sizeof *key) == 0 &&
	    s->first_seen == r->first_seen && s->count == r->count)
		return;
	s->used = 1;
	s->addr = *key;
	s->first_seen = r->first_seen;
	s->count = r->count;
	addr_format(client, ip, sizeof ip);
	log_escape(user, sizeof user, r->user, strnlen(r->user, sizeof r->user));
	log_escape(service, sizeof service, r->service,
		   strnlen(r->service, sizeof r->service));
	if (localtime_r(&login, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof when, "%lld", (long long)r->last_seen);
	log_msg(LOG_INFO, "relay allowed for %s (user=%s, service=%s, login at %s)",
		ip, user, service, when);
}

int lookup_client(struct lookup *a, const struct addr *client)
{
	struct addr key = *client;
	struct record r;
	time_t now = clock_now();
	int found;

	memset(&r, 0, sizeof r);
	a->shared = 0;
	if (a->store == NULL && clock_mono_ms() >= a->next_open_ms)
		open_store(a);
	if (a->store == NULL) {
		counters_inc(COUNTER_LOOKUP_ERRORS);
		decision_log(client, -1, &r, &a->params, now);
		return 0;
	}
	addr_apply_ipv6_prefix(&key, a->cfg->ipv6_prefix);
	found = store_lookup(a->store, &key, now, &a->params, &r);
	decision_log(client, found, &r, &a->params, now);
	if (found < 0) {
		log_limited(&a->rl_lookup, LOG_ERR, "serve: lookup: %s; answering DUNNO",
			    store_error(a->store));
		counters_inc(COUNTER_LOOKUP_ERRORS);
		return 0;
	}
	a->shared = found == STORE_SHARED;
	if (found != STORE_LISTED)
		return 0;
	announce(a, client, &key, &r);
	return 1;
}

/* replaced - the path now names another file than the one we opened */
static int replaced(const struct lookup *a)
{
	struct stat st;

	return stat(a->db_path, &st) == 0 &&
	       (st.st_dev != a->dev || st.st_ino != a->ino);
}

long lookup_maintain(struct lookup *a)
{
	long long now = clock_mono_ms();

	if (a->store == NULL && now >= a->next_open_ms)
		open_store(a);
	if (a->store != NULL && now >= a->next_check_ms) {
		a->next_check_ms = now + FILE_CHECK_MS;
		if (replaced(a)) {
			log_msg(LOG_NOTICE, "serve: %s was replaced; reopening",
				a->db_path);
			store_close(a->store);
			a->store = NULL;
			open_store(a);
		}
	}
	if (a->store == NULL)
		return a->next_open_ms > now ? (long)(a->next_open_ms - now) : 0;
	return a->next_check_ms > now ? (long)(a->next_check_ms - now) : 0;
}
