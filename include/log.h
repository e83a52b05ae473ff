/*
 * log.h - syslog (facility mail unless configured) and optional stderr
 * logging; messages carry Postfix's severity words ("warning: ", ...).
 * User-supplied text goes through log_escape(); anything that can repeat
 * per input line goes through a struct ratelimit.
 */
#ifndef POPGATE_LOG_H
#define POPGATE_LOG_H

#include <stddef.h>
#include <syslog.h>
#include <time.h>

/* log_init - syslog with tag IDENT, facility mail; also copy to stderr
 * when TO_STDERR (see log_stderr) */
void log_init(const char *ident, int to_stderr, int verbosity);
/* log_stderr - copy each message to stderr, unless stderr is the journal
 * (JOURNAL_STREAM names it): the syslog copy already reaches it */
void log_stderr(int on);
/* log_stderr_is_journal - systemd connected stderr to the journal */
int log_stderr_is_journal(void);
/* log_syslog - tag and facility (LOG_MAIL, LOG_LOCAL0, ...) from here on */
void log_syslog(const char *ident, int facility);
int log_verbosity(void);

void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* log_debug - logged only when -v was given at least LEVEL times */
void log_debug(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* at most LOG_RATE_BURST messages per LOG_RATE_PERIOD seconds per limiter;
 * the number suppressed is reported with the next message that passes */
#define LOG_RATE_BURST 5
#define LOG_RATE_PERIOD 60
struct ratelimit {
	time_t period_start;
	unsigned sent;
	unsigned long suppressed;
};
void log_limited(struct ratelimit *rl, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* log_limit_reached - the next log_limited(RL, ...) would be suppressed
 * (then a caller may skip preparing its arguments) */
int log_limit_reached(struct ratelimit *rl);

/* log_escape - copy SRC into DST for logging: printable ASCII kept, other
 * bytes as \xNN, cut at DSTSIZE-1 with "..." at the end; returns DST */
char *log_escape(char *dst, size_t dstsize, const char *src, size_t srclen);

#endif
