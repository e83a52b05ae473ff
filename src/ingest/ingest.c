/*
 * ingest.c - the ingest worker: tailer -> matcher -> batch -> LMDB, one
 * write transaction per wake-up (records and file positions together),
 * plus the expiry sweep, the export ticks and the counters. Never loses
 * a line on a failed commit (the batch is kept and retried, no further
 * reading meanwhile) and never exits on a recoverable condition.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "counters.h"
#include "export.h"
#include "ingest.h"
#include "journal.h"
#include "log.h"
#include "match.h"
#include "store.h"
#include "tail.h"
#include "timeparse.h"
#include "util.h"

#define LOGINS_PER_TXN 1000
#define FUTURE_SLACK 60		/* a stamp further ahead counts as now */
#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

struct ingest {
	const struct config *cfg;
	struct store *store;
	struct matcher *matcher;
	struct exporter *exporter;
	struct tailer *tailer;
	struct store_params params;
	struct batch batch;
	int changed;		/* the batch may change the allow-list */
	int failed;		/* the batch failed to commit: retry it */
	long long retry_ms;
	unsigned backoff_ms;
	long long next_sweep_ms;
	uint64_t matched, recorded, backlog_skipped;
	struct stamp_cache stamps;
	struct ratelimit rl_store, rl_name, rl_backlog;
	struct journal *journal;	/* the journal thread, or NULL */
	pthread_mutex_t store_lock;	/* every store call, either thread */
	int journal_changed;	/* under store_lock: export tick needed */
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* catch_signals - TERM/INT interrupt the wait (no SA_RESTART) */
static void catch_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* parent_gone - the master asked us to stop, or hung up (control.h) */
static int parent_gone(int fd)
{
	enum control_event ev = control_read(fd);

	return ev == CONTROL_GOT_STOP || ev == CONTROL_GONE;
}

time_t ingest_stamp_time(const char *text, size_t len, time_t now)
{
	time_t t;

	return time_parse(text, len, now, &t) && t <= now + FUTURE_SLACK ?
		t : now;
}

/* is_bsd_stamp - LINE starts with "Mmm dd hh:mm:ss " */
static int is_bsd_stamp(const char *line, size_t len)
{
	return len > BSD_STAMP_LEN && line[3] == ' ' && line[6] == ' ' &&
		line[BSD_STAMP_LEN] == ' ';
}

time_t ingest_backlog_time(struct stamp_cache *c, const char *line,
			   size_t len, time_t now)
{
	int bsd = is_bsd_stamp(line, len);
	time_t t;

	if (bsd && now == c->now && memcmp(line, c->key, BSD_STAMP_LEN) == 0)
		return c->value;
	t = ingest_stamp_time(line, len, now);
	if (bsd) {
		memcpy(c->key, line, BSD_STAMP_LEN);
		c->now = now;
		c->value = t;
	}
	return t;
}

/* log_login - one line per live login; a backlog being caught up (maybe
 * millions of lines) is rate-limited instead of flooding the log */
static void log_login(struct ratelimit *rl, const struct match_result *r,
		      int live)
{
	char ip[ADDR_TEXT_MAX], user[RECORD_USER_MAX * 4],
	     svc[RECORD_SERVICE_MAX * 4];
	const char *fmt = "%slogin from %s user=%s service=%s format=%s";

	addr_format(&r->addr, ip, sizeof ip);
	log_escape(user, sizeof user, r->user, strlen(r->user));
	log_escape(svc, sizeof svc, r->service, strlen(r->service));
	if (live)
		log_msg(LOG_INFO, fmt, "", ip, user, svc,
			r->format ? r->format : "pattern");
	else
		log_limited(rl, LOG_INFO, fmt, "backlog: ", ip,
			    user, svc, r->format ? r->format : "pattern");
}

enum ingest_outcome ingest_match(const struct config *cfg,
				 const struct store_params *p, struct batch *b,
				 struct match_result *r, time_t t, int live,
				 struct ratelimit *rl)
{
	enum ingest_outcome o;

	if (t + (time_t)cfg->window <= clock_now())
		return INGEST_TOO_OLD;
	if ((o = ingest_rules(cfg, r)) != INGEST_LOGIN && o != INGEST_LOGOUT)
		return o;
	addr_apply_ipv6_prefix(&r->addr, cfg->ipv6_prefix);
	if (r->kind == MATCH_LOGOUT) {
		if (p->session_max)
			batch_session(b, &r->addr, t, 0);
		return INGEST_LOGOUT;
	}
	batch_login(b, &r->addr, t, r->service, r->user);
	if (p->session_max && r->session)
		batch_session(b, &r->addr, t, 1);
	if (rl != NULL)
		log_login(rl, r, live);
	return INGEST_LOGIN;
}

int ingest_tally(enum ingest_outcome o, uint64_t *recorded,
		 uint64_t *skipped)
{
	switch (o) {
	case INGEST_TOO_OLD:
		(*skipped)++;
		return 0;
	case INGEST_IGNORED:
	case INGEST_IGNORED_USER:
		return 0;
	case INGEST_LOGIN:
		(*recorded)++;
		return 1;
	case INGEST_LOGOUT:
		return 1;
	}
	return 0;
}

int ingest_feed_line(struct matcher *m, struct stamp_cache *c,
		     unsigned source, const char *line, size_t len, int live,
		     struct match_result *r, time_t *t)
{
	time_t now = clock_now();

	*t = live ? now : ingest_backlog_time(c, line, len, now);
	if (!matcher_feed(m, source, line, len, *t, r))
		return 0;
	if (!live && r->time_len > 0)
		*t = ingest_stamp_time(r->time_text, r->time_len, now);
	return 1;
}

/* on_line - one complete log line; non-zero when the batch is full */
static int on_line(const char *line, size_t len, int live, void *ctx)
{
	struct ingest *in = ctx;
	struct match_result r;
	time_t t;

	if (!ingest_feed_line(in->matcher, &in->stamps,
			      tail_source(in->tailer), line, len, live, &r, &t))
		return 0;
	in->matched++;
	counters_note_match(r.format);
	if (!ingest_tally(ingest_match(in->cfg, &in->params, &in->batch, &r, t,
				       live, &in->rl_backlog),
			  &in->recorded, &in->backlog_skipped))
		return 0;
	in->changed = 1;
	return in->batch.logins >= LOGINS_PER_TXN;
}

static void put_position(const char *name, const struct position *p,
			 void *ctx)
{
	struct ingest *in = ctx;
	char esc[128];

	if (strlen(name) > POSITION_NAME_MAX) {
		log_limited(&in->rl_name, LOG_WARNING, "%s: path too long to "
			    "save its position", log_escape(esc, sizeof esc,
							    name, strlen(name)));
		return;
	}
	if (p != NULL)
		batch_put_position(&in->batch, name, p);
	else
		batch_del_position(&in->batch, name);
}

static void add_counter(struct batch *b, const char *name, uint64_t *v)
{
	if (*v != 0)
		batch_counter_add(b, name, *v);
	*v = 0;
}

static void add_counters(struct ingest *in)
{
	struct tail_counters c;

	tail_take_counters(in->tailer, &c);
	add_counter(&in->batch, "lines_read", &c.lines_read);
	add_counter(&in->batch, "lines_matched", &in->matched);
	add_counter(&in->batch, "logins_recorded", &in->recorded);
	add_counter(&in->batch, "lines_overlong", &c.lines_overlong);
	add_counter(&in->batch, "rotations", &c.rotations);
	add_counter(&in->batch, "truncations", &c.truncations);
	add_counter(&in->batch, "overflows", &c.overflows);
	add_counter(&in->batch, "backlog_skipped", &in->backlog_skipped);
	counters_flush(&in->batch);	/* serve's, per format, expired */
}

/* commit_locked - the records so far, the positions they reach and the
 * counters in one transaction. On failure the batch is kept for a retry */
static void commit_locked(struct ingest *in)
{
	tail_positions(in->tailer, put_position, in);
	add_counters(in);
	if (in->batch.n == 0)
		return;
	if (store_apply(in->store, &in->batch) != 0) {
		in->backoff_ms = in->backoff_ms ? in->backoff_ms * 2 :
			RETRY_FIRST_MS;
		if (in->backoff_ms > RETRY_MAX_MS)
			in->backoff_ms = RETRY_MAX_MS;
		in->retry_ms = clock_mono_ms() + in->backoff_ms;
		if (!in->failed)
			log_limited(&in->rl_store, LOG_ERR, "%s: cannot commit "
				    "%zu changes: %s; keeping them, retrying",
				    in->cfg->database, in->batch.n,
				    store_error(in->store));
		in->failed = 1;
		return;
	}
	if (in->failed)
		log_msg(LOG_NOTICE, "%s: commit works again",
			in->cfg->database);
	batch_clear(&in->batch);
	in->failed = 0;
	in->backoff_ms = 0;
	if (in->exporter != NULL)
		exporter_tick(in->exporter, in->store, clock_now(), in->changed);
	in->changed = 0;
}

static void commit(struct ingest *in)
{
	pthread_mutex_lock(&in->store_lock);
	commit_locked(in);
	pthread_mutex_unlock(&in->store_lock);
}

/* periodic_locked - the expiry sweep and the exporter's own timers (also
 * for what the journal thread committed) */
static void periodic_locked(struct ingest *in)
{
	long long now_ms = clock_mono_ms();
	size_t deleted = 0;

	if (now_ms >= in->next_sweep_ms) {
		in->next_sweep_ms = now_ms + (long long)in->cfg->sweep_interval *
			1000;
		if (store_sweep(in->store, clock_now(), &in->params,
				&deleted) != 0)
			log_limited(&in->rl_store, LOG_ERR, "%s: sweep: %s",
				    in->cfg->database, store_error(in->store));
		else if (deleted > 0)
			log_debug(1, "sweep: %zu expired entries deleted",
				  deleted);
		counters_note_expired(deleted);	/* committed ones, even on error */
	}
	if (in->exporter != NULL)
		exporter_tick(in->exporter, in->store, clock_now(),
			      deleted > 0 || in->journal_changed);
	in->journal_changed = 0;
}

static void periodic(struct ingest *in)
{
	pthread_mutex_lock(&in->store_lock);
	periodic_locked(in);
	pthread_mutex_unlock(&in->store_lock);
}

/* start_journal - the journal thread, when the config wants it */
static void start_journal(struct ingest *in)
{
	struct journal_env env = { in->cfg, &in->params, in->store,
				   &in->store_lock, &in->journal_changed };

	if (journal_wanted(in->cfg))
		in->journal = journal_start(&env);
}

static int restore_one(const char *name, const struct position *p,
		       void *ctx)
{
	tail_restore(ctx, name, p);
	return 0;
}

/* setup - tailer first (inotify's fd must stay low), then the store, the
 * matcher, the saved positions and the watches. 0 ok */
static int setup(struct ingest *in, const struct config *cfg)
{
	struct tail_options o = { cfg->rotate_wait,
				  cfg->start_at == START_AT_BEGINNING };
	char err[CONFIG_ERR_MAX];

	in->cfg = cfg;
	in->tailer = tail_new(&o);
	if (store_open(&in->store, cfg->database, 0, 0, err, sizeof err) !=
	    STORE_OK) {
		log_msg(LOG_ERR, "%s", err);
		return -1;
	}
	in->matcher = matcher_new(cfg, err, sizeof err);
	if (in->matcher == NULL) {
		log_msg(LOG_ERR, "%s", err);
		return -1;
	}
	in->exporter = exporter_new(cfg);
	in->params.window = cfg->window;
	in->params.session_max = cfg->session_tracking ? cfg->session_max : 0;
	in->params.ipv6_prefix = cfg->ipv6_prefix;
	in->params.shared_users = cfg->shared_address_users;
	batch_init(&in->batch);
	batch_set_params(&in->batch, &in->params);
	if (store_each_position(in->store, restore_one, in->tailer) != 0)
		log_msg(LOG_ERR, "%s: cannot read saved positions: %s",
			cfg->database, store_error(in->store));
	for (size_t i = 0; i < cfg->log_files.n; i++)
		tail_add(in->tailer, cfg->log_files.v[i]);
	tail_start(in->tailer);
	start_journal(in);
	in->next_sweep_ms = clock_mono_ms() +
		(long long)cfg->sweep_interval * 1000;
	return 0;
}

static void teardown(struct ingest *in)
{
	tail_free(in->tailer);
	batch_free(&in->batch);
	if (in->exporter != NULL)
		exporter_free(in->exporter);
	if (in->matcher != NULL)
		matcher_free(in->matcher);
	if (in->store != NULL)
		store_close(in->store);
}

static void signal_ready(int fd)
{
	if (fd < 0)
		return;
	while (write(fd, "r", 1) < 0 && errno == EINTR)
		;
	close(fd);
}

int ingest_run(const struct config *cfg, int ready_fd, int parent_fd)
{
	struct ingest in;

	memset(&in, 0, sizeof in);
	pthread_mutex_init(&in.store_lock, NULL);
	catch_signals();
	if (setup(&in, cfg) != 0) {
		teardown(&in);
		pthread_mutex_destroy(&in.store_lock);
		return 1;
	}
	signal_ready(ready_fd);
	while (!stop_requested && !parent_gone(parent_fd)) {
		if (!in.failed) {
			int more = tail_deliver(in.tailer, on_line, &in);

			commit(&in);
			periodic(&in);
			if (more && !in.failed)
				continue;	/* backlog: no waiting */
		} else if (clock_mono_ms() >= in.retry_ms) {
			commit(&in);
		}
		tail_wait(in.tailer, 1);
	}
	journal_stop(in.journal);	/* commits what it read */
	commit(&in);
	log_debug(1, "ingest: exiting");
	teardown(&in);
	pthread_mutex_destroy(&in.store_lock);
	return 0;
}
