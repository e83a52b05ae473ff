/*
 * decision.c - popgated -v: one log line per lookup saying what was
 * answered and why (listed until when, not listed, shared, database
 * unavailable). Logs nothing without -v; never logs raw log-file text.
 */
#include <string.h>

#include "config.h"
#include "serve_int.h"

void decision_log(const struct addr *client, int found, const struct record *r,
		  const struct store_params *p, time_t now)
{
	char ip[ADDR_TEXT_MAX], user[RECORD_USER_MAX * 4], until[40], w[32];
	time_t end;
	struct tm tm;

	if (log_verbosity() < 1)
		return;
	addr_format(client, ip, sizeof ip);
	if (found < 0) {
		log_debug(1, "decision: %s not authorized: database unavailable",
			  ip);
		return;
	}
	if (found == 0) {
		log_debug(1, "decision: %s not listed", ip);
		return;
	}
	if (found == STORE_SHARED) {
		format_duration(p->window, w, sizeof w);
		log_debug(1, "decision: %s not authorized: shared address "
			  "(%u users within %s)", ip,
			  record_recent_users(r, p->window, now), w);
		return;
	}
	end = record_expires(r, p);
	if (localtime_r(&end, &tm) == NULL ||
	    strftime(until, sizeof until, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(until, sizeof until, "@%lld", (long long)end);
	log_escape(user, sizeof user, r->user, strnlen(r->user, sizeof r->user));
	log_debug(1, "decision: %s listed until %s (user=%s%s)", ip, until,
		  user, r->open_sessions ? ", session open" : "");
}
