/*
 * prefilter.h - the buffer prefilter in front of the matcher: the
 * literals that every line any enabled rule can act on contains (the
 * formats' program tags, a dated format's rule literals, each custom
 * pattern's literal), found in a whole read at once so that the lines
 * holding none are only split and counted, never matched.
 */
#ifndef POPGATE_PREFILTER_H
#define POPGATE_PREFILTER_H

#include <stddef.h>

#include "config.h"

struct prefilter;

/* prefilter_new - the prefilter for CFG's log_formats and patterns; NULL
 * (and the reason in WHY) when some rule has no literal every matching
 * line holds: then every line must be matched */
struct prefilter *prefilter_new(const struct config *cfg, char *why,
				size_t whysize);
void prefilter_free(struct prefilter *p);

/* prefilter_scan - offset in BUF (LEN bytes) where the first literal
 * starts, LEN if none: a line ending before it concerns no rule */
size_t prefilter_scan(const struct prefilter *p, const char *buf, size_t len);

/* prefilter_describe - the literals, joined by ", " into OUT (logs) */
void prefilter_describe(const struct prefilter *p, char *out, size_t size);

#endif
