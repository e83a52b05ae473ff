/*
 * journal_line.c - one journal entry as the syslog-style line the
 * matcher knows: "STAMP HOST IDENT[PID]: MESSAGE" from the entry's time,
 * the trusted _HOSTNAME and _PID, and SYSLOG_IDENTIFIER (or _COMM). Never
 * writes past its buffer, never lets a field end the header early or
 * pose as another tag, never lets one entry become two lines.
 */
#ifdef HAVE_SYSTEMD
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "journal_priv.h"
#include "util.h"

struct field {
	const char *p;
	size_t n;
};

/* get_field - the value of NAME in the current entry; 0 if absent */
static int get_field(sd_journal *j, const char *name, struct field *f)
{
	const void *data;
	size_t n, nl = strlen(name);

	if (sd_journal_get_data(j, name, &data, &n) < 0 || n < nl + 1)
		return 0;
	f->p = (const char *)data + nl + 1;
	f->n = n - nl - 1;
	return 1;
}

static void put_char(struct jline *l, char c)
{
	if (l->len < JLINE_CAP)
		l->buf[l->len++] = c;
}

static void put_text(struct jline *l, const char *s)
{
	while (*s != '\0')
		put_char(l, *s++);
}

/* put_token - a header word: at most MAX bytes, anything that is not a
 * printable non-blank byte (or is one of "[]:") becomes '_', so no field
 * can end the header early or pose as another program's tag */
static void put_token(struct jline *l, const struct field *f, size_t max)
{
	for (size_t i = 0; i < f->n && i < max; i++) {
		unsigned char c = (unsigned char)f->p[i];

		put_char(l, c > ' ' && c < 0x7f && !strchr("[]:", c) ?
			 (char)c : '_');
	}
}

/* put_message - MESSAGE bytes; control bytes (NUL, newline, ...) as #ooo
 * like rsyslog writes them, so one entry stays one line */
static void put_message(struct jline *l, const struct field *f)
{
	char oct[8];

	for (size_t i = 0; i < f->n; i++) {
		unsigned char c = (unsigned char)f->p[i];

		if (c >= ' ' && c != 0x7f) {
			put_char(l, (char)c);
			continue;
		}
		snprintf(oct, sizeof oct, "#%03o", c);
		put_text(l, oct);
	}
}

/* put_stamp - RFC 3339 in UTC with microseconds */
static void put_stamp(struct jline *l, uint64_t usec)
{
	time_t sec = (time_t)(usec / 1000000);
	struct tm tm;
	char buf[64];

	if (gmtime_r(&sec, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		copy_string(buf, "1970-01-01T00:00:00", sizeof buf);
	put_text(l, buf);
	snprintf(buf, sizeof buf, ".%06u+00:00 ", (unsigned)(usec % 1000000));
	put_text(l, buf);
}

/* put_pid - "[PID]" from the trusted _PID when it is a plain number */
static void put_pid(sd_journal *j, struct jline *l)
{
	struct field f;

	if (!get_field(j, "_PID", &f) || f.n == 0 || f.n > JLINE_PID_DIGITS_MAX)
		return;
	for (size_t i = 0; i < f.n; i++)
		if (f.p[i] < '0' || f.p[i] > '9')
			return;
	put_char(l, '[');
	put_token(l, &f, JLINE_PID_DIGITS_MAX);
	put_char(l, ']');
}

enum jline_status jline_build(sd_journal *j, uint64_t usec, struct jline *l)
{
	static const struct field no_host = { "localhost", 9 },
				  no_ident = { "unknown", 7 };
	struct field msg, host, ident;

	if (!get_field(j, "MESSAGE", &msg))
		return JLINE_NONE;
	if (msg.n > TAIL_LINE_MAX)
		return JLINE_OVERLONG;
	if (!get_field(j, "_HOSTNAME", &host) || host.n == 0)
		host = no_host;
	if ((!get_field(j, "SYSLOG_IDENTIFIER", &ident) || ident.n == 0) &&
	    (!get_field(j, "_COMM", &ident) || ident.n == 0))
		ident = no_ident;
	l->len = 0;
	put_stamp(l, usec);
	put_token(l, &host, JLINE_HOST_MAX);
	put_char(l, ' ');
	put_token(l, &ident, JLINE_IDENT_MAX);
	put_pid(j, l);
	put_text(l, ": ");
	put_message(l, &msg);
	return JLINE_OK;
}

/* jline_unit_allowed - the journal's matches select these units already;
 * this is the second lock */
int jline_unit_allowed(sd_journal *j, const struct string_list *u)
{
	struct field f;

	if (!get_field(j, "_SYSTEMD_UNIT", &f))
		return 0;
	for (size_t i = 0; i < u->n; i++)
		if (strlen(u->v[i]) == f.n && memcmp(u->v[i], f.p, f.n) == 0)
			return 1;
	return 0;
}

#else
/* ISO C forbids an empty translation unit */
typedef int journal_line_unused;
#endif
