/*
 * log.c - syslog (facility mail) with an optional copy on stderr,
 * rate limiting for messages that can repeat per input, and escaping of
 * user-supplied text. Never logs raw bytes from outside.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util.h"

static int log_to_stderr;
static int log_level;
static const char *log_ident = "popgate";

void log_init(const char *ident, int to_stderr, int verbosity)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	log_level = verbosity;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int log_verbosity(void)
{
	return log_level;
}

static void log_v(int prio, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof buf, fmt, ap);
	syslog(prio, "%s", buf);
	if (log_to_stderr)
		fprintf(stderr, "%s: %s\n", log_ident, buf);
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

void log_limited(struct ratelimit *rl, int prio, const char *fmt, ...)
{
	time_t now = clock_now();
	char buf[2048];
	va_list ap;

	if (now - rl->period_start >= LOG_RATE_PERIOD || now < rl->period_start) {
		rl->period_start = now;
		rl->sent = 0;
	}
	if (rl->sent >= LOG_RATE_BURST) {
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
