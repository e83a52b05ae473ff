/*
 * journal.c - the systemd journal as a login source: a thread of the
 * ingest worker reads the entries of journal_units (matched on the
 * trusted _SYSTEMD_UNIT field), feeds each to its own matcher as a
 * syslog-style line and commits the records together with the journal
 * cursor. Never lets another unit's entry, or text inside MESSAGE, supply
 * an address; never touches the store without the store lock.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counters.h"
#include "journal.h"
#include "log.h"
#include "tail.h"
#include "util.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>

#include "journal_priv.h"

/*
 * Why a thread: the file tailer sleeps inside libinotifytools' select()
 * with whole-second timeouts and no way to add a descriptor, so the
 * journal's fd cannot join that wait without rewriting the tailer. A
 * thread that polls sd_journal_get_fd() (plus a stop pipe) wakes at
 * once for either source. LMDB allows one write transaction at a time
 * and struct store keeps a cached read transaction and an error buffer,
 * so every store call of either thread holds env.store_lock (the
 * environment is opened with MDB_NOTLS). The thread has its own matcher
 * and batch; it blocks every signal, so TERM interrupts the main thread.
 */

#define WAIT_MAX_MS 1000	/* safety-net wake-up */
/* journald tells readers about new entries through a timer (250 ms after
 * the first write of a quiet spell), but its entries are in the mapped
 * file at once: for a while after an entry of our units, look for more
 * this often instead of waiting for the notice; idle, only the notice */
#define EAGER_MS 20
#define EAGER_FOR_MS 30000
#define FUTURE_SLACK 60		/* an entry further ahead counts as now */
#define UNIT_MAX 256

struct journal {
	struct journal_env env;
	struct matcher *matcher;
	sd_journal *j;
	int fd;			/* sd_journal_get_fd(), -1: poll every second */
	int stop_pipe[2];
	pthread_t thread;
	struct batch batch;
	char cursor[JOURNAL_CURSOR_MAX];	/* last entry read */
	int cursor_new;		/* not yet in the batch */
	int changed;		/* the batch may change the allow-list */
	int failed;		/* the batch failed to commit: retry it */
	int caught_up;		/* reached the end once: entries are live */
	long long eager_until;	/* look for entries every EAGER_MS until */
	uint64_t entries, matched, recorded, skipped, overlong;
	struct ratelimit rl_store, rl_read, rl_backlog;
	struct jline line;
};

/* entry_time - the entry's realtime stamp; one more than a minute ahead
 * counts as now */
static time_t entry_time(uint64_t usec, time_t now)
{
	time_t t = (time_t)(usec / 1000000);

	return t <= now + FUTURE_SLACK ? t : now;
}

/* handle_entry - match the current entry and record what it says */
static void handle_entry(struct journal *jr)
{
	struct match_result r;
	uint64_t usec;
	time_t t;

	jr->entries++;
	if (!jline_unit_allowed(jr->j, &jr->env.cfg->journal_units) ||
	    sd_journal_get_realtime_usec(jr->j, &usec) < 0)
		return;
	switch (jline_build(jr->j, usec, &jr->line)) {
	case JLINE_OK:
		break;
	case JLINE_OVERLONG:
		jr->overlong++;
		return;
	case JLINE_NONE:
		return;
	}
	t = entry_time(usec, clock_now());
	if (!matcher_feed(jr->matcher, JOURNAL_SOURCE, jr->line.buf,
			  jr->line.len, t, &r))
		return;
	jr->matched++;
	counters_note_match(r.format);	/* flushed by the main thread */
	if (ingest_tally(ingest_match(jr->env.cfg, jr->env.params, &jr->batch,
				      &r, t, jr->caught_up, &jr->rl_backlog),
			 &jr->recorded, &jr->skipped))
		jr->changed = 1;
}

/* note_cursor - remember where the entry just handled is */
static void note_cursor(struct journal *jr)
{
	char *c = NULL;

	if (sd_journal_get_cursor(jr->j, &c) < 0 || c == NULL)
		return;
	if (strlen(c) < sizeof jr->cursor) {
		copy_string(jr->cursor, c, sizeof jr->cursor);
		jr->cursor_new = 1;
	}
	free(c);
}

/* drain - read entries until the end or a transaction's worth; 1 when
 * there may be more */
static int drain(struct journal *jr)
{
	for (size_t n = 0; n < JOURNAL_ENTRIES_PER_TXN; n++) {
		int rc = sd_journal_next(jr->j);

		if (rc < 0) {
			log_limited(&jr->rl_read, LOG_ERR, "journal: cannot read "
				    "the next entry: %s", strerror(-rc));
			return 0;
		}
		if (rc == 0) {
			jr->caught_up = 1;
			return 0;
		}
		jr->eager_until = clock_mono_ms() + EAGER_FOR_MS;
		handle_entry(jr);
		note_cursor(jr);
	}
	return 1;
}

/* ---- committing ---- */

static void add_counter(struct batch *b, const char *name, uint64_t *v)
{
	if (*v != 0)
		batch_counter_add(b, name, *v);
	*v = 0;
}

/* commit - the records read so far and the cursor of the last entry in
 * one transaction; on failure the batch is kept (and no more is read) */
static void commit(struct journal *jr)
{
	char err[CONFIG_ERR_MAX];
	int rc;

	if (jr->cursor_new)
		batch_put_meta(&jr->batch, JOURNAL_CURSOR_META, jr->cursor,
			       strlen(jr->cursor));
	jr->cursor_new = 0;
	add_counter(&jr->batch, "journal_entries", &jr->entries);
	add_counter(&jr->batch, "lines_matched", &jr->matched);
	add_counter(&jr->batch, "logins_recorded", &jr->recorded);
	add_counter(&jr->batch, "backlog_skipped", &jr->skipped);
	add_counter(&jr->batch, "lines_overlong", &jr->overlong);
	if (jr->batch.n == 0)
		return;
	pthread_mutex_lock(jr->env.store_lock);
	rc = store_apply(jr->env.store, &jr->batch);
	if (rc != 0)
		copy_string(err, store_error(jr->env.store), sizeof err);
	else if (jr->changed)
		*jr->env.changed = 1;
	pthread_mutex_unlock(jr->env.store_lock);
	if (rc != 0) {
		if (!jr->failed)
			log_limited(&jr->rl_store, LOG_ERR, "journal: cannot "
				    "commit %zu changes: %s; keeping them, "
				    "retrying", jr->batch.n, err);
		jr->failed = 1;
		return;
	}
	if (jr->failed)
		log_msg(LOG_NOTICE, "journal: commit works again");
	batch_clear(&jr->batch);
	jr->failed = 0;
	jr->changed = 0;
}

/* ---- the thread ---- */

static int stop_requested(struct journal *jr)
{
	struct pollfd p = { jr->stop_pipe[0], POLLIN, 0 };

	return poll(&p, 1, 0) > 0;
}

/* wait_ms - sd-journal's own timeout, at most WAIT_MAX_MS */
static int wait_ms(sd_journal *j)
{
	uint64_t until, now;
	struct timespec ts;

	if (sd_journal_get_timeout(j, &until) < 0 || until == UINT64_MAX)
		return WAIT_MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (until <= now)
		return 0;
	return until - now >= (uint64_t)WAIT_MAX_MS * 1000 ? WAIT_MAX_MS :
		(int)((until - now + 999) / 1000);
}

/* wait_for_entries - until the journal changes, a sync request, a stop,
 * or a second; JOURNAL_TOO 0: no journal fd (a failed commit waits to
 * retry) */
static void wait_for_entries(struct journal *jr, int journal_too)
{
	struct pollfd p[3] = { { jr->stop_pipe[0], POLLIN, 0 },
			       { inbox_wake_fd(jr->env.inbox), POLLIN, 0 },
			       { -1, 0, 0 } };
	int timeout = WAIT_MAX_MS;
	char buf[64];

	if (journal_too && jr->fd >= 0) {
		int ev = sd_journal_get_events(jr->j);

		p[2].fd = jr->fd;
		p[2].events = (short)(ev > 0 ? ev : POLLIN);
		timeout = wait_ms(jr->j);
	}
	if (journal_too && clock_mono_ms() < jr->eager_until &&
	    timeout > EAGER_MS)
		timeout = EAGER_MS;
	if (poll(p, 3, timeout) < 0 && errno != EINTR)
		log_limited(&jr->rl_read, LOG_ERR, "journal: poll: %s",
			    strerror(errno));
	if (p[1].fd >= 0 && (p[1].revents & POLLIN))
		while (read(p[1].fd, buf, sizeof buf) > 0)
			;
	if (p[2].fd >= 0)
		sd_journal_process(jr->j);
}

/* read_all - drain and commit until the end (or a failed commit) */
static void read_all(struct journal *jr)
{
	while (!jr->failed && drain(jr))
		commit(jr);
	commit(jr);
}

static void *reader_main(void *arg)
{
	struct journal *jr = arg;
	uint32_t gen;

	while (!stop_requested(jr)) {
		if (inbox_sync_wanted(jr->env.inbox, SYNC_JOURNAL, &gen)) {
			read_all(jr);
			inbox_synced(jr->env.inbox, SYNC_JOURNAL, gen);
		}
		if (!jr->failed) {
			int more = drain(jr);

			commit(jr);
			if (more && !jr->failed)
				continue;	/* backlog: no waiting */
		} else {
			commit(jr);
		}
		wait_for_entries(jr, !jr->failed);
	}
	commit(jr);
	return NULL;
}

/* ---- opening and positioning ---- */

/* open_journal - the directory of journal_directory, or the local
 * system journal; matches on the trusted unit field. 0 ok */
static int open_journal(struct journal *jr)
{
	const struct config *cfg = jr->env.cfg;
	char match[UNIT_MAX + 32];
	int rc = cfg->journal_directory[0] != '\0' ?
		sd_journal_open_directory(&jr->j, cfg->journal_directory, 0) :
		sd_journal_open(&jr->j, SD_JOURNAL_LOCAL_ONLY |
				SD_JOURNAL_SYSTEM);

	if (rc < 0) {
		log_msg(LOG_ERR, "journal: cannot open %s: %s",
			cfg->journal_directory[0] ? cfg->journal_directory :
			"the system journal", strerror(-rc));
		jr->j = NULL;
		return -1;
	}
	sd_journal_set_data_threshold(jr->j, TAIL_LINE_MAX + 64);
	for (size_t i = 0; i < cfg->journal_units.n; i++) {
		const char *unit = cfg->journal_units.v[i];

		if (strlen(unit) > UNIT_MAX)
			continue;
		snprintf(match, sizeof match, "_SYSTEMD_UNIT=%s", unit);
		rc = sd_journal_add_match(jr->j, match, 0);
		if (rc < 0) {
			log_msg(LOG_ERR, "journal: bad unit %s: %s", unit,
				strerror(-rc));
			return -1;
		}
	}
	jr->fd = sd_journal_get_fd(jr->j);
	if (jr->fd < 0)
		log_msg(LOG_WARNING, "journal: no change notification (%s): "
			"polling every second", strerror(-jr->fd));
	return 0;
}

/* saved_cursor - the cursor committed by an earlier run into BUF */
static int saved_cursor(struct journal *jr, char *buf, size_t size)
{
	long n;

	pthread_mutex_lock(jr->env.store_lock);
	n = store_get_meta(jr->env.store, JOURNAL_CURSOR_META, buf, size - 1);
	pthread_mutex_unlock(jr->env.store_lock);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strlen(buf) == (size_t)n;
}

/* resume_at - on the entry of CURSOR itself (the next read is the entry
 * after it); 0 when that entry is gone (rotated, vacuumed) */
static int resume_at(sd_journal *j, const char *cursor)
{
	return sd_journal_seek_cursor(j, cursor) >= 0 &&
		sd_journal_next(j) > 0 && sd_journal_test_cursor(j, cursor) > 0;
}

/* seek_start - after the saved cursor; without one at the end (start_at
 * = end) or a window ago; when its entry is gone, a window ago */
static void seek_start(struct journal *jr)
{
	const struct config *cfg = jr->env.cfg;
	char cursor[JOURNAL_CURSOR_MAX];
	int have = saved_cursor(jr, cursor, sizeof cursor);
	time_t now = clock_now();

	if (have && resume_at(jr->j, cursor)) {
		log_msg(LOG_INFO, "journal: resuming after the saved cursor");
		return;
	}
	if (!have && cfg->start_at == START_AT_END) {
		sd_journal_seek_tail(jr->j);
		sd_journal_previous(jr->j);	/* the next read is a new entry */
		log_msg(LOG_INFO, "journal: reading new entries");
		return;
	}
	if (have)
		log_msg(LOG_WARNING, "journal: the saved cursor's entry is gone "
			"(journal rotated or vacuumed): reading the entries of "
			"the last %u seconds", cfg->window);
	sd_journal_seek_realtime_usec(jr->j, now > (time_t)cfg->window ?
				      (uint64_t)(now - cfg->window) * 1000000 :
				      0);
}

static void journal_free(struct journal *jr)
{
	if (jr->j != NULL)
		sd_journal_close(jr->j);
	if (jr->matcher != NULL)
		matcher_free(jr->matcher);
	if (jr->stop_pipe[0] >= 0) {
		close(jr->stop_pipe[0]);
		close(jr->stop_pipe[1]);
	}
	batch_free(&jr->batch);
	free(jr);
}

/* start_thread - with every signal blocked (inherited by the thread) */
static int start_thread(struct journal *jr)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&jr->thread, NULL, reader_main, jr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		log_msg(LOG_ERR, "journal: cannot start a thread: %s",
			strerror(rc));
	return rc == 0 ? 0 : -1;
}

struct journal *journal_start(const struct journal_env *env)
{
	struct journal *jr = xcalloc(1, sizeof *jr);
	char err[CONFIG_ERR_MAX];

	jr->env = *env;
	jr->fd = -1;
	jr->stop_pipe[0] = jr->stop_pipe[1] = -1;
	batch_init(&jr->batch);
	jr->matcher = matcher_new(env->cfg, err, sizeof err);
	if (jr->matcher == NULL) {
		log_msg(LOG_ERR, "journal: %s", err);
		journal_free(jr);
		return NULL;
	}
	if (pipe(jr->stop_pipe) < 0) {
		log_msg(LOG_ERR, "journal: pipe: %s", strerror(errno));
		jr->stop_pipe[0] = jr->stop_pipe[1] = -1;
		journal_free(jr);
		return NULL;
	}
	if (open_journal(jr) != 0) {
		journal_free(jr);
		return NULL;
	}
	seek_start(jr);
	if (start_thread(jr) != 0) {
		journal_free(jr);
		return NULL;
	}
	return jr;
}

void journal_stop(struct journal *jr)
{
	if (jr == NULL)
		return;
	while (write(jr->stop_pipe[1], "s", 1) < 0 && errno == EINTR)
		;
	pthread_join(jr->thread, NULL);
	journal_free(jr);
}

/* journal_available - a journal directory to read exists */
static int journal_available(const struct config *cfg)
{
	struct stat st;

	if (cfg->journal_directory[0] != '\0')
		return stat(cfg->journal_directory, &st) == 0 &&
			S_ISDIR(st.st_mode);
	return (stat("/run/log/journal", &st) == 0 && S_ISDIR(st.st_mode)) ||
		(stat("/var/log/journal", &st) == 0 && S_ISDIR(st.st_mode));
}

#else	/* !HAVE_SYSTEMD */

struct journal *journal_start(const struct journal_env *env)
{
	(void)env;
	log_msg(LOG_ERR, "journal support not built");
	return NULL;
}

void journal_stop(struct journal *jr)
{
	(void)jr;
}

static int journal_available(const struct config *cfg)
{
	(void)cfg;
	return 0;
}

#endif

/* some_log_file_exists - for journal = auto */
static int some_log_file_exists(const struct config *cfg)
{
	struct stat st;

	for (size_t i = 0; i < cfg->log_files.n; i++)
		if (stat(cfg->log_files.v[i], &st) == 0)
			return 1;
	return 0;
}

int journal_wanted(const struct config *cfg)
{
	if (cfg->journal == JOURNAL_NO)
		return 0;
	if (cfg->journal_units.n == 0) {
		log_msg(LOG_WARNING, "journal_units is empty: the journal is "
			"not read");
		return 0;
	}
	if (cfg->journal == JOURNAL_YES)
		return 1;
	if (some_log_file_exists(cfg)) {
		log_debug(1, "journal = auto: a log file exists, journal not "
			  "read");
		return 0;
	}
	if (!journal_available(cfg)) {
		log_debug(1, "journal = auto: no log file and no journal");
		return 0;
	}
	log_msg(LOG_INFO, "journal = auto: none of log_files exists, reading "
		"the journal");
	return 1;
}
