/*
 * export.h - the access-map export: a text file of the current allow-list
 * (Postfix "192.0.2.7 OK" or Sendmail "Connect:192.0.2.7 RELAY"),
 * replaced atomically, then export_command. Runs in the ingest worker.
 */
#ifndef POPGATE_EXPORT_H
#define POPGATE_EXPORT_H

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

#endif
