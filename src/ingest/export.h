/*
 * export.h - the access-map export: a text file of the current allow-list
 * (Postfix "192.0.2.7 OK" or Sendmail "Connect:192.0.2.7 RELAY"),
 * replaced atomically, then export_command. Runs in the ingest worker.
 */
#ifndef POPGATE_EXPORT_H
#define POPGATE_EXPORT_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "store.h"

struct exporter;

/* exporter_new - NULL when CFG->export_map is empty (export off) */
struct exporter *exporter_new(const struct config *cfg);
void exporter_free(struct exporter *e);

/* exporter_tick - call after every commit (CHANGED = the allow-list may
 * have changed) and on every wake-up. Rewrites the file when the set
 * changed (coalesced: at most once a second), when an entry's expiry time
 * has come, or when someone else wrote the database (LMDB txn id).
 * Returns the milliseconds until it next needs a tick, or -1 for none */
long exporter_tick(struct exporter *e, struct store *s, time_t now, int changed);

/* export_replace_file - write DATA to PATH through a temp file in the
 * same directory, fsync, rename, fsync the directory: a reader sees the
 * old or the new content, never a mix. 0 ok; -1 with a message in ERR */
int export_replace_file(const char *path, const char *data, size_t len,
			char *err, size_t errsize);

/* export_format_entry - the line (with '\n') for address A in FORMAT:
 * "192.0.2.7 OK", "2001:db8:1:2::/64 OK" (IPV6_PREFIX < 128),
 * "Connect:192.0.2.7 RELAY", "Connect:IPv6:2001:db8::1 RELAY" */
void export_format_entry(enum export_format format, const char *value,
			 unsigned ipv6_prefix, const struct addr *a,
			 char *line, size_t size);

#endif
