/*
 * log.c - syslog (facility and tag from the configuration, mail and the
 * program name by default) with an optional copy on stderr (never when
 * stderr is the journal: JOURNAL_STREAM), Postfix-style severity words
 * ("warning: ", "error: ", "fatal: "), rate limiting for messages that
 * can repeat per input, and escaping of user-supplied text. Never logs raw bytes from outside, and never blocks:
 * messages go to /dev/log on our own non-blocking socket, so a syslog
 * daemon that stops reading costs dropped (and counted) messages, never a
 * stalled worker (syslog(3) would block once the socket queue is full).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define SYSLOG_PATH "/dev/log"
#define SYSLOG_RETRY_MS 1000	/* reconnect at most this often */

static int log_to_stderr;
static int log_level;
static char log_ident[64] = "popgate";
static int log_facility = LOG_MAIL;
static int syslog_fd = -1;
static long long syslog_retry_at;
static unsigned long syslog_dropped;	/* updated with __atomic builtins */

int log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, int to_stderr, int verbosity)
{
	copy_string(log_ident, ident, sizeof log_ident);
	log_level = verbosity;
	log_stderr(to_stderr);
}

void log_stderr(int on)
{
	log_to_stderr = on && !log_stderr_is_journal();
}

void log_syslog(const char *ident, int facility)
{
	copy_string(log_ident, ident, sizeof log_ident);
	log_facility = facility;
}

/* severity - Postfix's words before the message; "" below warning */
static const char *severity(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "fatal: ";
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	default:
		return "";
	}
}

/* syslog_connect - a non-blocking datagram socket connected to /dev/log */
static void syslog_connect(void)
{
	struct sockaddr_un sun;
	int fd;

	if (clock_mono_ms() < syslog_retry_at)
		return;
	syslog_retry_at = clock_mono_ms() + SYSLOG_RETRY_MS;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	copy_string(sun.sun_path, SYSLOG_PATH, sizeof sun.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		fd = -1;
	}
	syslog_fd = fd;
}

/* syslog_datagram - send one RFC 3164 line; 0 sent, -1 dropped */
static int syslog_datagram(int prio, const char *msg)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char line[2300];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (syslog_fd < 0)
		syslog_connect();
	if (syslog_fd < 0 || localtime_r(&now, &tm) == NULL)
		return -1;
	n = snprintf(line, sizeof line,
		     "<%d>%.3s %2d %02d:%02d:%02d %s[%ld]: %s%s",
		     log_facility | prio, months + 3 * tm.tm_mon, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, log_ident,
		     (long)getpid(), severity(prio), msg);
	if (n < 0)
		return -1;
	if (send(syslog_fd, line, (size_t)n < sizeof line ? (size_t)n
			: sizeof line - 1, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
		close(syslog_fd);	/* syslog daemon gone or restarted */
		syslog_fd = -1;
	}
	return -1;
}

/* syslog_send - MSG, then a note of what was dropped before it */
static void syslog_send(int prio, const char *msg)
{
	unsigned long dropped;
	char note[128];

	if (syslog_datagram(prio, msg) != 0) {
		__atomic_fetch_add(&syslog_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	dropped = __atomic_exchange_n(&syslog_dropped, 0, __ATOMIC_RELAXED);
	if (dropped == 0)
		return;
	snprintf(note, sizeof note, "%lu log messages dropped: the syslog "
		 "daemon was not reading", dropped);
	if (syslog_datagram(LOG_WARNING, note) != 0)
		__atomic_fetch_add(&syslog_dropped, dropped, __ATOMIC_RELAXED);
}

int log_verbosity(void)
{
	return log_level;
}

static void log_v(int prio, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof buf, fmt, ap);
	syslog_send(prio, buf);
	if (log_to_stderr)
		fprintf(stderr, "%s: %s%s\n", log_ident, severity(prio), buf);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(prio, fmt, ap);
	va_end(ap);
}

void log_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (log_level < level)
		return;
	va_start(ap, fmt);
	log_v(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

int log_limit_reached(struct ratelimit *rl)
{
	time_t now = clock_now();

	if (now - rl->period_start >= LOG_RATE_PERIOD || now < rl->period_start) {
		rl->period_start = now;
		rl->sent = 0;
	}
	return rl->sent >= LOG_RATE_BURST;
}

void log_limited(struct ratelimit *rl, int prio, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (log_limit_reached(rl)) {
		rl->suppressed++;
		return;
	}
	rl->sent++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (rl->suppressed) {
		log_msg(prio, "%s (%lu similar messages suppressed)", buf,
			rl->suppressed);
		rl->suppressed = 0;
	} else {
		log_msg(prio, "%s", buf);
	}
}

char *log_escape(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (dstsize == 0)
		return dst;
	for (i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (o + need + 3 >= dstsize) {
			if (dstsize >= 4) {
				o = o < dstsize - 4 ? o : dstsize - 4;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}
