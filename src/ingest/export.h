/*
 * export.h - the access-map export: a text file of the current allow-list
 * in the format of one MTA (Postfix, Sendmail, Exim, tcprules) after the
 * site's static rules (export_prepend), replaced atomically, then
 * export_command. Runs in the ingest worker.
 */
#ifndef POPGATE_EXPORT_H
#define POPGATE_EXPORT_H

#include <stddef.h>
#include <time.h>

#include "addr.h"
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

/* one entry in the format an MTA reads (export_format.c) */
#define EXPORT_LINE_MAX (ADDR_TEXT_MAX + 512)
struct export_style {
	enum export_format format;
	const char *value;	/* right-hand side (not for tcprules) */
	unsigned ipv6_prefix;	/* IPv6 entries are networks below 128 */
};
typedef void export_emit_fn(const char *line, void *ctx);

/* export_entry - call EMIT with each line ('\n'-terminated) that allows
 * address or network A: "192.0.2.7 OK", "2001:db8:1:2::/64 OK" (postfix),
 * "Connect:IPv6:2001:db8:0:0:0:0:0:7 RELAY" (sendmail), "\"2001:db8::7\" OK"
 * (exim), "192.0.2.7:allow,RELAYCLIENT=\"\"" (tcprules). Returns the
 * number of lines; 0 when the format cannot express A */
size_t export_entry(const struct export_style *st, const struct addr *a,
		    export_emit_fn *emit, void *ctx);

#endif
