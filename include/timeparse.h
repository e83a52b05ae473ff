/*
 * timeparse.h - time stamps at the start of log lines: BSD syslog
 * ("Mar  7 09:01:02", local time, year inferred), RFC 3339 / ISO 8601
 * with zone, and Dovecot log_path stamps.
 */
#ifndef POPGATE_TIMEPARSE_H
#define POPGATE_TIMEPARSE_H

#include <stddef.h>
#include <time.h>

/* time_parse - parse the stamp at the start of TEXT (LEN bytes). The year
 * of a BSD stamp is the one that puts it closest to NOW, never more than
 * a day ahead (so December lines read in January get last year).
 * 1 and *OUT on success, 0 if there is no stamp */
int time_parse(const char *text, size_t len, time_t now, time_t *out);

#endif
