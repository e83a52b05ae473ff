/*
 * sink.c - the one login sink: what happens to a recognised login or
 * logout, whatever its source (file, journal, push): the time rules,
 * ignore_networks, the IPv6 prefix, sessions, the batch, the commit with
 * back-off and its counters. Every entry point holds the sink's lock,
 * which also guards the store. It never drops a batch that failed to
 * commit and never lets a prefix cover an ignored network.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "log.h"
#include "rules.h"
#include "sink.h"
#include "util.h"

/* a meta value waiting for the next commit */
struct meta_slot {
	char *name;		/* NULL: free */
	void *bytes;
	size_t n;
};

struct sink {
	const struct config *cfg;
	struct store *store;
	struct store_params params;
	pthread_mutex_t lock;	/* everything below, and every store call;
				 * recursive: sink_hold */
	struct batch batch;
	struct meta_slot meta[SINK_META_MAX];
	int changed;		/* the batch may change the allow-list */
	int committed_change;	/* a commit changed it: sink_take_changed */
	int failed;		/* the batch failed to commit: retry it */
	long long retry_ms;	/* not before (monotonic) */
	long long last_commit_ms;	/* monotonic: sink_commit_due */
	long long counters_due_ms;	/* counters alone commit from then */
	unsigned backoff_ms;
	size_t sessions_max;	/* open keyed sessions kept */
	struct ratelimit rl_store, rl_backlog, rl_covers;
};

struct sink *sink_new(const struct config *cfg, struct store *store)
{
	struct sink *s = xcalloc(1, sizeof *s);
	pthread_mutexattr_t attr;

	s->cfg = cfg;
	s->store = store;
	config_store_params(cfg, &s->params);
	s->sessions_max = SINK_SESSIONS_MAX;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	batch_init(&s->batch);
	batch_set_params(&s->batch, &s->params);
	return s;
}

void sink_discard(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
	batch_clear(&s->batch);
	pthread_mutex_unlock(&s->lock);
}

void sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < SINK_META_MAX; i++) {
		free(s->meta[i].name);
		free(s->meta[i].bytes);
	}
	batch_free(&s->batch);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void sink_set_sessions_max(struct sink *s, size_t max)
{
	pthread_mutex_lock(&s->lock);
	s->sessions_max = max;
	pthread_mutex_unlock(&s->lock);
}

time_t sink_time(time_t stamp, time_t now)
{
	return stamp != 0 && stamp <= now + SINK_FUTURE_SLACK ? stamp : now;
}

/* ---- the rules ---- */

/* ignored - A (as the client had it) is in ignore_networks */
static int ignored(const struct config *cfg, const struct addr *a)
{
	for (size_t i = 0; i < cfg->ignore_networks.n; i++)
		if (net_contains(&cfg->ignore_networks.v[i], a))
			return 1;
	return 0;
}

/* covers_ignored - KEY, masked to PREFIX bits (128-bit space), would
 * also authorize part of an ignored network narrower than the prefix */
static int covers_ignored(const struct config *cfg, const struct addr *key,
			  unsigned prefix)
{
	for (size_t i = 0; i < cfg->ignore_networks.n; i++) {
		const struct net *n = &cfg->ignore_networks.v[i];
		struct addr a = n->addr;

		if (n->prefix <= prefix)
			continue;	/* then KEY is in N only if A was */
		addr_mask(&a, prefix);
		if (memcmp(a.b, key->b, sizeof a.b) == 0)
			return 1;
	}
	return 0;
}

/* record_key - the key E's address is recorded under; 0 when the address
 * must not be recorded (ignored, or its prefix would cover an ignored
 * network) */
static int record_key(struct sink *s, const struct addr *a, struct addr *key)
{
	char text[ADDR_TEXT_MAX];

	if (ignored(s->cfg, a))
		return 0;
	*key = *a;
	addr_apply_ipv6_prefix(key, s->cfg->ipv6_prefix);
	if (!addr_is_v4(a) && s->cfg->ipv6_prefix < 128 &&
	    covers_ignored(s->cfg, key, s->cfg->ipv6_prefix)) {
		addr_format(a, text, sizeof text);
		log_limited(&s->rl_covers, LOG_NOTICE, "%s: not recorded: its "
			    "/%u would cover an ignored network", text,
			    s->cfg->ipv6_prefix);
		return 0;
	}
	return 1;
}

/* log_login - one line per live login; a backlog being caught up (maybe
 * millions of lines) is rate-limited instead of flooding the log */
static void log_login(struct sink *s, const char *source,
		      const struct sink_event *e)
{
	char ip[ADDR_TEXT_MAX], user[RECORD_USER_MAX * 4],
	     svc[RECORD_SERVICE_MAX * 4];
	const char *fmt = "%slogin from %s user=%s service=%s format=%s "
		"source=%s";
	const char *u = e->user ? e->user : "", *v = e->service ?
		e->service : "";

	if (s->store == NULL)
		return;		/* a dry sink (popgated -T) */
	if (!e->live && log_limit_reached(&s->rl_backlog)) {
		log_limited(&s->rl_backlog, LOG_INFO, "backlog: login");
		return;		/* counted as suppressed, not formatted */
	}
	addr_format(&e->addr, ip, sizeof ip);
	log_escape(user, sizeof user, u, strnlen(u, RECORD_USER_MAX));
	log_escape(svc, sizeof svc, v, strnlen(v, RECORD_SERVICE_MAX));
	if (e->live)
		log_msg(LOG_INFO, fmt, "", ip, user, svc,
			e->format ? e->format : "pattern", source);
	else
		log_limited(&s->rl_backlog, LOG_INFO, fmt, "backlog: ", ip,
			    user, svc, e->format ? e->format : "pattern",
			    source);
}

/* alias_len - the length of E's alias; 0 when it has none it may use */
static size_t alias_len(const struct sink_event *e)
{
	return e->session_alias != NULL &&
	    e->session_alias_len <= SINK_SESSION_ALIAS_MAX ?
	    e->session_alias_len : 0;
}

/* open_session - E's login opens a session (session tracking) */
static void open_session(struct sink *s, const struct addr *key, time_t t,
			 const struct sink_event *e)
{
	if (s->params.session_max == 0 || !e->session)
		return;
	if (e->session_key == NULL)
		batch_session(&s->batch, key, t, 1);
	else if (e->session_key_len > 0 &&
		 e->session_key_len <= SINK_SESSION_KEY_MAX)
		batch_session_key(&s->batch, e->session_key,
				  e->session_key_len, e->session_alias,
				  alias_len(e), key, t, 1, s->sessions_max);
}

enum sink_outcome sink_login(struct sink *s, const char *source,
			     const struct sink_event *e)
{
	time_t now = clock_now(), t = sink_time(e->time, now);
	struct addr key;

	if (!e->has_addr)
		return SINK_IGNORED;	/* a login must name its client */
	pthread_mutex_lock(&s->lock);
	if (t + (time_t)s->params.window <= now) {
		pthread_mutex_unlock(&s->lock);
		counters_inc(COUNTER_BACKLOG_SKIPPED);
		return SINK_TOO_OLD;
	}
	if (!record_key(s, &e->addr, &key)) {
		pthread_mutex_unlock(&s->lock);
		return SINK_IGNORED;
	}
	if (rules_user_ignored(s->cfg, e->user)) {
		pthread_mutex_unlock(&s->lock);
		return SINK_IGNORED_USER;
	}
	batch_login(&s->batch, &key, t, e->service, e->user);
	open_session(s, &key, t, e);
	s->changed = 1;
	log_login(s, source, e);
	pthread_mutex_unlock(&s->lock);
	counters_inc(COUNTER_LOGINS_RECORDED);
	return SINK_LOGIN;
}

enum sink_outcome sink_logout(struct sink *s, const char *source,
			      const struct sink_event *e)
{
	time_t t = sink_time(e->time, clock_now());
	struct addr key;
	size_t klen = e->session_key != NULL ? e->session_key_len : 0;
	int keyed = e->session_key != NULL || alias_len(e) > 0;

	(void)source;
	if (keyed ? klen > SINK_SESSION_KEY_MAX ||
	    (klen == 0 && alias_len(e) == 0) : !e->has_addr)
		return SINK_LOGOUT;	/* names no session it could close */
	pthread_mutex_lock(&s->lock);
	if (!keyed && !record_key(s, &e->addr, &key)) {
		pthread_mutex_unlock(&s->lock);
		return SINK_IGNORED;
	}
	if (rules_user_ignored(s->cfg, e->user)) {	/* it opened nothing */
		pthread_mutex_unlock(&s->lock);
		return SINK_IGNORED_USER;
	}
	if (s->params.session_max == 0) {
		pthread_mutex_unlock(&s->lock);
		return SINK_LOGOUT;
	}
	if (keyed)	/* by key; without one, the alias's oldest */
		batch_session_key(&s->batch, e->session_key, klen,
				  klen ? NULL : e->session_alias,
				  klen ? 0 : alias_len(e), NULL, t, 0, 0);
	else
		batch_session(&s->batch, &key, t, 0);
	s->changed = 1;
	pthread_mutex_unlock(&s->lock);
	return SINK_LOGOUT;
}

enum sink_outcome sink_match(struct sink *s, const char *source,
			     const struct match_result *r, time_t t, int live)
{
	struct sink_event e;

	counters_inc(COUNTER_LINES_MATCHED);
	counters_note_match(r->format);
	memset(&e, 0, sizeof e);
	e.addr = r->addr;
	e.has_addr = r->has_addr;
	e.user = r->user;
	e.service = r->service;
	e.format = r->format;
	e.time = t;
	e.live = live;
	e.session = r->session;
	if (r->session_key_len > 0) {
		e.session_key = r->session_key;
		e.session_key_len = r->session_key_len;
	}
	if (r->session_alias_len > 0) {
		e.session_alias = r->session_alias;
		e.session_alias_len = r->session_alias_len;
	}
	if (r->kind == MATCH_LOGOUT)
		return sink_logout(s, source, &e);
	return sink_login(s, source, &e);
}

/* ---- positions and meta: committed with what came before them ---- */

void sink_hold(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
}

void sink_release(struct sink *s)
{
	pthread_mutex_unlock(&s->lock);
}

void sink_put_position(struct sink *s, const char *name,
		       const struct position *p)
{
	pthread_mutex_lock(&s->lock);
	batch_put_position(&s->batch, name, p);
	pthread_mutex_unlock(&s->lock);
}

void sink_del_position(struct sink *s, const char *name)
{
	pthread_mutex_lock(&s->lock);
	batch_del_position(&s->batch, name);
	pthread_mutex_unlock(&s->lock);
}

/* meta_slot - the slot of NAME, else a free one, else NULL */
static struct meta_slot *meta_slot(struct sink *s, const char *name)
{
	struct meta_slot *free_slot = NULL;

	for (size_t i = 0; i < SINK_META_MAX; i++) {
		if (s->meta[i].name == NULL)
			free_slot = free_slot ? free_slot : &s->meta[i];
		else if (strcmp(s->meta[i].name, name) == 0)
			return &s->meta[i];
	}
	if (free_slot != NULL)
		free_slot->name = xstrdup(name);
	return free_slot;
}

void sink_put_meta(struct sink *s, const char *name, const void *bytes,
		   size_t n)
{
	struct meta_slot *m;

	pthread_mutex_lock(&s->lock);
	m = meta_slot(s, name);
	if (m == NULL) {
		batch_put_meta(&s->batch, name, bytes, n);
	} else {
		m->bytes = xrealloc(m->bytes, n ? n : 1);
		if (n)
			memcpy(m->bytes, bytes, n);
		m->n = n;
	}
	pthread_mutex_unlock(&s->lock);
}

/* flush_meta - the waiting meta values into the batch */
static void flush_meta(struct sink *s)
{
	for (size_t i = 0; i < SINK_META_MAX; i++) {
		struct meta_slot *m = &s->meta[i];

		if (m->name == NULL)
			continue;
		batch_put_meta(&s->batch, m->name, m->bytes, m->n);
		free(m->name);
		free(m->bytes);
		memset(m, 0, sizeof *m);
	}
}

/* ---- committing ---- */

/* logins_reach - the batch holds at least N logins */
static int logins_reach(struct sink *s, size_t n)
{
	int full;

	pthread_mutex_lock(&s->lock);
	full = s->batch.logins >= n;
	pthread_mutex_unlock(&s->lock);
	return full;
}

int sink_full(struct sink *s)
{
	return logins_reach(s, SINK_LOGINS_PER_TXN);
}

int sink_backlog_full(struct sink *s)
{
	return logins_reach(s, SINK_BACKLOG_LOGINS_PER_TXN);
}

int sink_commit_due(struct sink *s)
{
	int due;

	pthread_mutex_lock(&s->lock);
	due = s->batch.logins >= SINK_BACKLOG_LOGINS_PER_TXN ||
	    clock_mono_ms() - s->last_commit_ms >= SINK_BACKLOG_COMMIT_MS;
	pthread_mutex_unlock(&s->lock);
	return due;
}

/* failed_commit - keep the batch, double the back-off, log once */
static void failed_commit(struct sink *s)
{
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : SINK_RETRY_FIRST_MS;
	if (s->backoff_ms > SINK_RETRY_MAX_MS)
		s->backoff_ms = SINK_RETRY_MAX_MS;
	s->retry_ms = clock_mono_ms() + s->backoff_ms;
	if (!s->failed)
		log_limited(&s->rl_store, LOG_ERR, "%s: cannot commit %zu "
			    "changes: %s; keeping them, retrying",
			    s->cfg->database, s->batch.n,
			    store_error(s->store));
	s->failed = 1;
}

/* commit_locked - the batch and the counters in one transaction */
static int commit_locked(struct sink *s)
{
	if (s->failed && clock_mono_ms() < s->retry_ms)
		return -1;
	s->last_commit_ms = clock_mono_ms();
	if (s->store == NULL)
		return 0;	/* dry */
	flush_meta(s);
	if (s->batch.n > 0 || s->last_commit_ms >= s->counters_due_ms) {
		counters_flush(&s->batch);	/* alone: once a second */
		s->counters_due_ms = s->last_commit_ms + SINK_COUNTERS_ALONE_MS;
	}
	if (s->batch.n == 0)
		return 0;
	if (store_apply(s->store, &s->batch) != 0) {
		failed_commit(s);
		return -1;
	}
	if (s->failed)
		log_msg(LOG_NOTICE, "%s: commit works again", s->cfg->database);
	batch_clear(&s->batch);
	s->failed = 0;
	s->backoff_ms = 0;
	s->committed_change |= s->changed;
	s->changed = 0;
	return 0;
}

void sink_counters_due(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->counters_due_ms = 0;
	pthread_mutex_unlock(&s->lock);
}

int sink_commit(struct sink *s)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = commit_locked(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int sink_failing(struct sink *s)
{
	int failed;

	pthread_mutex_lock(&s->lock);
	failed = s->failed;
	pthread_mutex_unlock(&s->lock);
	return failed;
}

int sink_take_changed(struct sink *s)
{
	int changed;

	pthread_mutex_lock(&s->lock);
	changed = s->committed_change;
	s->committed_change = 0;
	pthread_mutex_unlock(&s->lock);
	return changed;
}

int sink_with_store(struct sink *s, sink_store_fn fn, void *ctx)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = fn(s->store, &s->params, ctx);
	pthread_mutex_unlock(&s->lock);
	return rc;
}
