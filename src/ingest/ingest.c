/*
 * ingest.c - the ingest worker's loop: the file source (tailer ->
 * matcher -> sink, one commit per wake-up, records and file positions
 * together), the journal thread's start and stop, the expiry sweep and
 * the export ticks. Reads no further while the sink cannot commit and
 * never exits on a recoverable condition.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "control.h"
#include "counters.h"
#include "export.h"
#include "feed.h"
#include "inbox.h"
#include "ingest.h"
#include "journal.h"
#include "log.h"
#include "match.h"
#include "match_thread.h"
#include "prefilter.h"
#include "sink.h"
#include "store.h"
#include "tail.h"
#include "util.h"

/* matched backlog lines held by the backlog thread before a commit takes
 * them (about 0.5 KiB each) */
#define BACKLOG_RESULTS_MAX 16384
/* a start that had at least this many lines to catch up on says when
 * it is done */
#define CATCHUP_NOTE_LINES 100000

struct ingest {
	const struct config *cfg;
	struct store *store;
	struct matcher *matcher;
	struct match_thread *backlog;	/* matches backlog lines, or NULL */
	struct prefilter *prefilter;	/* lines it passes over: counted only */
	struct exporter *exporter;
	struct tailer *tailer;
	struct sink *sink;	/* where every source's logins go */
	long long next_sweep_ms;
	int full;		/* on_line stopped the tailer: commit now */
	int export_due;		/* the allow-list may have changed */
	struct stamp_cache stamps;	/* the last BSD stamp parsed */
	struct ratelimit rl_store, rl_name;
	struct journal *journal;	/* the journal thread, or NULL */
	struct inbox *inbox;	/* the channel from serve, or NULL */
	int catching_up;	/* the files not yet read to their end once */
	long long catchup_from_ms;	/* since the start */
	uint64_t catchup_lines;	/* lines read until then */
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_wake_signal(int sig)
{
	(void)sig;		/* only interrupts the wait: a sync is asked */
}

/* catch_signals - TERM/INT stop, USR1 (from the inbox thread) wakes;
 * both interrupt the wait (no SA_RESTART) */
static void catch_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_wake_signal;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* parent_gone - the master asked us to stop, or hung up (control.h) */
static int parent_gone(int fd)
{
	enum control_event ev = control_read(fd);

	return ev == CONTROL_GOT_STOP || ev == CONTROL_GONE;
}

/* to_sink - a matched line into the sink, full when SINK_FULL says */
static int to_sink(struct ingest *in, const struct match_result *r, time_t t,
		   int live)
{
	sink_match(in->sink, "file", r, t, live);
	in->full = live ? sink_full(in->sink) : sink_backlog_full(in->sink);
	return in->full;
}

static void backlog_result(const struct match_result *r, time_t t, void *ctx)
{
	(void)to_sink(ctx, r, t, 0);
}

/* take_backlog - the backlog thread's results into the sink, in line
 * order; afterwards this thread may use the matcher */
static void take_backlog(struct ingest *in)
{
	if (in->backlog != NULL)
		match_thread_drain(in->backlog, backlog_result, in);
}

/* on_line - one complete log line; non-zero when the batch is full. The
 * matcher gets the line's time (arrival, or its stamp in a backlog) and
 * the number of the file it came from (feed.h). Backlog lines go to the
 * backlog thread; a live line waits until the lines before it are in */
static int on_line(const char *line, size_t len, int live,
		   unsigned source, void *ctx)
{
	struct ingest *in = ctx;
	struct match_result r;
	time_t t;

	if (!live && in->backlog != NULL) {
		in->full = match_thread_push(in->backlog, source, line, len) >=
			BACKLOG_RESULTS_MAX;
		return in->full;
	}
	take_backlog(in);
	if (!feed_line(in->matcher, &in->stamps, source, line, len, live, &r,
		       &t))
		return 0;
	return to_sink(in, &r, t, live);
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
		sink_put_position(in->sink, name, p);
	else
		sink_del_position(in->sink, name);
}

/* take_tail_counters - the tailer's counts into the counter table */
static void take_tail_counters(struct ingest *in)
{
	struct tail_counters c;

	tail_take_counters(in->tailer, &c);
	if (in->catching_up)
		in->catchup_lines += c.lines_read + c.lines_overlong;
	counters_add(COUNTER_LINES_READ, c.lines_read);
	counters_add(COUNTER_LINES_OVERLONG, c.lines_overlong);
	counters_add(COUNTER_ROTATIONS, c.rotations);
	counters_add(COUNTER_TRUNCATIONS, c.truncations);
	counters_add(COUNTER_OVERFLOWS, c.overflows);
	counters_add(COUNTER_POSITIONS_RESET, c.positions_reset);
	counters_add(COUNTER_NUL_PADDING_SKIPPED, c.nul_padding_skipped);
}

/* commit - the lines read so far, the positions they reach and the
 * counters in one transaction (the sink keeps them after a failure).
 * While a backlog is read (not FORCE) the positions go in with the
 * lines, and the commit waits until the sink says it is due */
static void commit(struct ingest *in, int force)
{
	sink_hold(in->sink);	/* no other source commits in between */
	take_backlog(in);	/* every line before the positions */
	tail_positions(in->tailer, put_position, in);
	take_tail_counters(in);
	if (force || in->full || sink_commit_due(in->sink))
		sink_commit(in->sink);
	in->full = 0;
	sink_release(in->sink);
}

/* note_caught_up - the files were read to their end for the first time
 * since the start: after a large backlog, one line says so */
static void note_caught_up(struct ingest *in)
{
	long long ms;

	if (!in->catching_up)
		return;
	in->catching_up = 0;
	if (in->catchup_lines < CATCHUP_NOTE_LINES)
		return;
	ms = clock_mono_ms() - in->catchup_from_ms;
	log_msg(LOG_INFO, "caught up: %llu backlog lines read in %lld.%03lld s "
		"(%llu lines/s)", (unsigned long long)in->catchup_lines,
		ms / 1000, ms % 1000, (unsigned long long)
		(in->catchup_lines * 1000 / (uint64_t)(ms > 0 ? ms : 1)));
}

/* sweep - under the sink's lock: the expiry sweep */
static int sweep(struct store *store, const struct store_params *params,
		 void *ctx)
{
	struct ingest *in = ctx;
	size_t deleted = 0;

	if (store_sweep(store, clock_now(), params, &deleted) != 0)
		log_limited(&in->rl_store, LOG_ERR, "%s: sweep: %s",
			    in->cfg->database, store_error(store));
	else if (deleted > 0)
		log_debug(1, "sweep: %zu expired entries deleted", deleted);
	counters_add(COUNTER_ENTRIES_EXPIRED, deleted);	/* even on error */
	return deleted > 0;
}

/* export - under the sink's lock: the exporter's tick */
static int export(struct store *store, const struct store_params *params,
		  void *ctx)
{
	struct ingest *in = ctx;

	(void)params;
	exporter_tick(in->exporter, store, clock_now(), in->export_due);
	return 0;
}

/* periodic - the expiry sweep when due, and the exporter after any
 * commit (either source's) and on its own timers */
static void periodic(struct ingest *in)
{
	long long now_ms = clock_mono_ms();

	in->export_due = sink_take_changed(in->sink);
	if (now_ms >= in->next_sweep_ms) {
		in->next_sweep_ms = now_ms + (long long)in->cfg->sweep_interval *
			1000;
		in->export_due |= sink_with_store(in->sink, sweep, in);
	}
	if (in->exporter != NULL)
		sink_with_store(in->sink, export, in);
}

/* start_inbox - the inbox thread (pushed logins, syncs). A pushed login
 * opens a session only when a log source is followed too: only a log
 * says when it ends */
static void start_inbox(struct ingest *in)
{
	in->inbox = inbox_start(in->cfg, in->sink, in->cfg->log_files.n > 0 ||
				in->cfg->journal != JOURNAL_NO,
				channel_take(CHANNEL_INGEST));
}

/* start_journal - the journal thread, when the config wants it */
static void start_journal(struct ingest *in)
{
	if (journal_wanted(in->cfg))
		in->journal = journal_start(in->cfg, in->sink, in->inbox);
	if (in->journal != NULL)
		inbox_source(in->inbox, SYNC_JOURNAL, 1);
}

/* skip_lines - tail_skip_fn: the first literal of the prefilter */
static size_t skip_lines(const char *buf, size_t len, void *ctx)
{
	return prefilter_scan(ctx, buf, len);
}

/* start_backlog - with a second CPU, backlog lines are matched on it
 * while this thread reads on */
static void start_backlog(struct ingest *in)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	in->backlog = match_thread_start(in->matcher);
	if (in->backlog != NULL)
		log_debug(1, "backlog lines are matched on a thread of their own");
}

/* setup_prefilter - lines holding none of the enabled rules' literals
 * are counted, never matched; without such literals every line is */
static void setup_prefilter(struct ingest *in)
{
	char text[1024];

	in->prefilter = prefilter_new(in->cfg, text, sizeof text);
	if (in->prefilter == NULL) {
		log_debug(1, "prefilter off, every line is matched: %s", text);
		return;
	}
	prefilter_describe(in->prefilter, text, sizeof text);
	log_debug(1, "prefilter: lines holding none of %s are only counted",
		  text);
	tail_set_skip(in->tailer, skip_lines, in->prefilter);
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
	setup_prefilter(in);
	start_backlog(in);
	in->exporter = exporter_new(cfg);
	if (store_each_position(in->store, restore_one, in->tailer) != 0)
		log_msg(LOG_ERR, "%s: cannot read saved positions: %s",
			cfg->database, store_error(in->store));
	in->sink = sink_new(cfg, in->store);
	start_inbox(in);	/* before the files take every descriptor */
	for (size_t i = 0; i < cfg->log_files.n; i++)
		tail_add(in->tailer, cfg->log_files.v[i]);
	tail_start(in->tailer);
	start_journal(in);
	in->next_sweep_ms = clock_mono_ms() +
		(long long)cfg->sweep_interval * 1000;
	in->catching_up = 1;
	in->catchup_from_ms = clock_mono_ms();
	return 0;
}

static void teardown(struct ingest *in)
{
	tail_free(in->tailer);
	sink_free(in->sink);
	if (in->exporter != NULL)
		exporter_free(in->exporter);
	match_thread_stop(in->backlog);	/* before the matcher it uses */
	if (in->matcher != NULL)
		matcher_free(in->matcher);
	prefilter_free(in->prefilter);
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
	catch_signals();
	if (setup(&in, cfg) != 0) {
		teardown(&in);
		return 1;
	}
	signal_ready(ready_fd);
	while (!stop_requested && !parent_gone(parent_fd)) {
		uint32_t gen;
		int syncing = inbox_sync_wanted(in.inbox, SYNC_FILES, &gen);

		if (syncing)
			tail_catch_up(in.tailer);
		if (!sink_failing(in.sink)) {
			int more;

			sink_hold(in.sink);	/* lines and positions together */
			more = tail_deliver(in.tailer, on_line, &in);
			commit(&in, !more);
			sink_release(in.sink);
			if (!more && !sink_failing(in.sink))
				note_caught_up(&in);
			periodic(&in);
			if (more && !sink_failing(in.sink))
				continue;	/* backlog: no waiting */
		} else {
			sink_commit(in.sink);	/* when the back-off allows */
		}
		if (syncing)	/* read to the end (or the commit failed) */
			inbox_synced(in.inbox, SYNC_FILES, gen);
		else
			tail_wait(in.tailer, 1);
	}
	inbox_source(in.inbox, SYNC_JOURNAL, 0);	/* no sync waits for it */
	journal_stop(in.journal);	/* hands in what it read */
	inbox_stop(in.inbox);	/* hands in what was pushed */
	sink_counters_due(in.sink);
	commit(&in, 1);
	log_debug(1, "ingest: exiting");
	teardown(&in);
	return 0;
}
