/*
 * formats.h - the table of built-in log formats. Each entry names a
 * server and lists its rules: a cheap literal that every matching line
 * contains, the PCRE2 source (named groups ip, user, svc, time) and
 * what a match means. Adding a server is one entry plus one corpus file.
 */
#ifndef POPGATE_FORMATS_H
#define POPGATE_FORMATS_H

#include <stddef.h>

#include "match.h"

/* one regex of a format: a line matching RE yields KIND */
struct format_rule {
	enum match_kind kind;
	const char *prefilter;	/* literal that must occur in the line */
	const char *re;		/* PCRE2 source, anchored with ^ */
	const char *service;	/* fixed service, or NULL = from group svc */
};

#define FORMAT_RULES_MAX 4

struct format_def {
	const char *name;
	struct format_rule rules[FORMAT_RULES_MAX];	/* ends at re == NULL */
};

extern const struct format_def format_table[];
extern const size_t format_count;

/* format_find - the entry called NAME, or NULL */
const struct format_def *format_find(const char *name);

#endif
