/*
 * pending.h - a bounded table of client addresses keyed by short byte
 * strings, for log formats that spread a login over several lines: the
 * first line of a (source, program, PID) session waits here for its
 * confirmation, and a login's session id waits here for its logout.
 */
#ifndef POPGATE_PENDING_H
#define POPGATE_PENDING_H

#include <stddef.h>
#include <time.h>

#include "addr.h"

#define PENDING_KEY_MAX 128	/* longer keys are never stored */

struct pending_table;

/* pending_new - a table of at most CAP entries (oldest evicted first);
 * an entry older than TTL seconds is gone (TTL 0: no expiry) */
struct pending_table *pending_new(size_t cap, time_t ttl);
void pending_free(struct pending_table *t);

/* pending_put - remember ADDR under KEY at time NOW, replacing an entry
 * with the same key; 0, or -1 if the key is too long */
int pending_put(struct pending_table *t, const void *key, size_t klen,
		const struct addr *addr, time_t now);
/* pending_take - 1 and *ADDR (if not NULL) if KEY is present and not
 * expired at NOW; the entry is removed either way */
int pending_take(struct pending_table *t, const void *key, size_t klen,
		 time_t now, struct addr *addr);

size_t pending_count(const struct pending_table *t);
/* pending_evicted - entries pushed out by the cap so far */
unsigned long long pending_evicted(const struct pending_table *t);

#endif
