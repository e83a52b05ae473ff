/*
 * journal.c - the systemd journal as a login source: a thread of the
 * ingest worker reads the entries of journal_units (matched on the
 * trusted _SYSTEMD_UNIT field), feeds each to its own matcher as a
 * syslog-style line and hands what it recognises, then the journal
 * cursor, to the login sink. Never lets another unit's entry, or text
 * inside MESSAGE, supply an address; keeps no rule, batch or retry of its
 * own (the sink has them).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
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
#include "sink.h"
#include "tail.h"
#include "util.h"
#include "worker_thread.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>

#include "journal_priv.h"

/*
 * Why a thread: the file tailer sleeps inside libinotifytools' select()
 * with whole-second timeouts and no way to add a descriptor, so the
 * journal's fd cannot join that wait without rewriting the tailer. A
 * thread that polls sd_journal_get_fd() (plus a stop pipe) wakes at
 * once for either source. The thread has its own matcher; the sink it
 * shares is thread-safe (and guards the store). It blocks every signal,
 * so TERM interrupts the main thread.
 */

#define WAIT_MAX_MS 1000	/* safety-net wake-up */
/* journald tells readers about new entries through a timer (250 ms after
 * the first write of a quiet spell), but its entries are in the mapped
 * file at once: for a while after an entry of our units, look for more
 * this often instead of waiting for the notice; idle, only the notice */
#define EAGER_MS 20
#define EAGER_FOR_MS 30000
#define UNIT_MAX 256

struct journal {
	const struct config *cfg;
	struct sink *sink;
	struct inbox *inbox;	/* sync requests from serve, or NULL */
	struct matcher *matcher;
	sd_journal *j;
	int fd;			/* sd_journal_get_fd(), -1: poll every second */
	int stop_pipe[2];
	pthread_t thread;
	int caught_up;		/* reached the end once: entries are live */
	long long eager_until;	/* look for entries every EAGER_MS until */
	struct ratelimit rl_read;
	struct jline line;
};

/* handle_entry - match the current entry and record what it says */
static void handle_entry(struct journal *jr)
{
	struct match_result r;
	uint64_t usec;
	time_t t;

	counters_inc(COUNTER_JOURNAL_ENTRIES);
	if (!jline_unit_allowed(jr->j, &jr->cfg->journal_units) ||
	    sd_journal_get_realtime_usec(jr->j, &usec) < 0)
		return;
	switch (jline_build(jr->j, usec, &jr->line)) {
	case JLINE_OK:
		break;
	case JLINE_OVERLONG:
		counters_inc(COUNTER_LINES_OVERLONG);
		return;
	case JLINE_NONE:
		return;
	}
	t = sink_time((time_t)(usec / 1000000), clock_now());
	if (matcher_feed(jr->matcher, JOURNAL_SOURCE, jr->line.buf,
			 jr->line.len, t, &r))
		sink_match(jr->sink, "journal", &r, t, jr->caught_up);
}

/* note_cursor - where the entry just handled is, for the next commit */
static void note_cursor(struct journal *jr)
{
	char *c = NULL;

	if (sd_journal_get_cursor(jr->j, &c) < 0 || c == NULL)
		return;
	if (strlen(c) < JOURNAL_CURSOR_MAX)
		sink_put_meta(jr->sink, JOURNAL_CURSOR_META, c, strlen(c));
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
		sink_hold(jr->sink);	/* the entry and its cursor together */
		handle_entry(jr);
		note_cursor(jr);
		sink_release(jr->sink);
	}
	return 1;
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
 * or a second (EAGER_MS after recent entries); JOURNAL_TOO 0: no journal
 * fd (a failed commit waits to retry) */
static void wait_for_entries(struct journal *jr, int journal_too)
{
	struct pollfd p[3] = { { jr->stop_pipe[0], POLLIN, 0 },
			       { inbox_wake_fd(jr->inbox), POLLIN, 0 },
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

/* read_all - every entry up to the end, committed (a sync request) */
static void read_all(struct journal *jr)
{
	while (!sink_failing(jr->sink) && drain(jr))
		sink_commit(jr->sink);
	sink_commit(jr->sink);
}

static void *reader_main(void *arg)
{
	struct journal *jr = arg;
	uint32_t gen;

	while (!stop_requested(jr)) {
		int failing;

		if (inbox_sync_wanted(jr->inbox, SYNC_JOURNAL, &gen)) {
			read_all(jr);
			inbox_synced(jr->inbox, SYNC_JOURNAL, gen);
		}
		failing = sink_failing(jr->sink);
		if (!failing) {
			int more = drain(jr);

			sink_commit(jr->sink);
			if (more && !sink_failing(jr->sink))
				continue;	/* backlog: no waiting */
		} else {
			sink_commit(jr->sink);	/* when the back-off allows */
		}
		wait_for_entries(jr, !failing);
	}
	sink_commit(jr->sink);
	return NULL;
}

/* ---- opening and positioning ---- */

/* open_journal - the directory of journal_directory, or the local
 * system journal; matches on the trusted unit field. 0 ok */
static int open_journal(struct journal *jr)
{
	const struct config *cfg = jr->cfg;
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

struct cursor_buf {
	char *buf;
	size_t size;
};

/* read_cursor - under the sink's lock: the saved cursor's length */
static int read_cursor(struct store *store, const struct store_params *p,
		       void *ctx)
{
	struct cursor_buf *c = ctx;

	(void)p;
	return (int)store_get_meta(store, JOURNAL_CURSOR_META, c->buf,
				   c->size - 1);
}

/* saved_cursor - the cursor committed by an earlier run into BUF */
static int saved_cursor(struct journal *jr, char *buf, size_t size)
{
	struct cursor_buf c = { buf, size };
	long n = sink_with_store(jr->sink, read_cursor, &c);

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
	const struct config *cfg = jr->cfg;
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
	free(jr);
}

/* start_thread - with every signal blocked (inherited by the thread) */
struct journal *journal_start(const struct config *cfg, struct sink *sink,
			      struct inbox *inbox)
{
	struct journal *jr = xcalloc(1, sizeof *jr);
	char err[CONFIG_ERR_MAX];

	jr->cfg = cfg;
	jr->sink = sink;
	jr->inbox = inbox;
	jr->fd = -1;
	jr->stop_pipe[0] = jr->stop_pipe[1] = -1;
	jr->matcher = matcher_new(cfg, err, sizeof err);
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
	if (worker_thread_start(&jr->thread, reader_main, jr, "journal") != 0) {
		journal_free(jr);
		return NULL;
	}
	return jr;
}

void journal_stop(struct journal *jr)
{
	if (jr == NULL)
		return;
	worker_thread_stop(jr->thread, jr->stop_pipe[1]);
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

struct journal *journal_start(const struct config *cfg, struct sink *sink,
			      struct inbox *inbox)
{
	(void)cfg;
	(void)sink;
	(void)inbox;
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
