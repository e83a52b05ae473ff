/*
 * journal_priv.h - what journal.c (the reader thread) shares with
 * journal_line.c (one journal entry as a bounded syslog-style line).
 * Only built with libsystemd; nothing outside the journal includes it.
 */
#ifndef POPGATE_JOURNAL_PRIV_H
#define POPGATE_JOURNAL_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-journal.h>

#include "config.h"
#include "tail.h"

#define JLINE_HOST_MAX 255
#define JLINE_IDENT_MAX 64
#define JLINE_PID_DIGITS_MAX 10
#define JLINE_HEADER_MAX (40 + JLINE_HOST_MAX + JLINE_IDENT_MAX + \
			  JLINE_PID_DIGITS_MAX + 8)
/* a MESSAGE of TAIL_LINE_MAX bytes, every byte escaped as #ooo */
#define JLINE_CAP (JLINE_HEADER_MAX + 4 * TAIL_LINE_MAX)

struct jline {
	char buf[JLINE_CAP];
	size_t len;
};

enum jline_status {
	JLINE_OK,
	JLINE_NONE,		/* the entry has no MESSAGE */
	JLINE_OVERLONG,		/* MESSAGE over TAIL_LINE_MAX bytes */
};

/* jline_build - "STAMP HOST IDENT[PID]: MESSAGE" for J's current entry
 * whose time is USEC (microseconds since the epoch) */
enum jline_status jline_build(sd_journal *j, uint64_t usec, struct jline *l);

/* jline_unit_allowed - the entry's trusted _SYSTEMD_UNIT is in UNITS */
int jline_unit_allowed(sd_journal *j, const struct string_list *units);

#endif
