/*
 * formats.h - the table of built-in log formats. Each entry names a
 * server, a cheap literal that every interesting line contains, and the
 * PCRE2 regexes (with named groups) that pick out the client address.
 * Adding a server is one table entry plus one corpus file.
 */
#ifndef POPGATE_FORMATS_H
#define POPGATE_FORMATS_H

#include <stddef.h>

#include "match.h"

/* one regex of a format: a line matching RE yields KIND */
struct format_rule {
	enum match_kind kind;
	const char *prefilter;	/* literal that must occur in the line, or NULL */
	const char *re;		/* PCRE2 source: groups ip, user, svc (optional) */
	const char *service;	/* fixed service, or NULL = derive from svc group */
};

#define FORMAT_RULES_MAX 6

struct format_def {
	const char *name;
	struct format_rule rules[FORMAT_RULES_MAX];	/* ends at re == NULL */
};

extern const struct format_def format_table[];
extern const size_t format_count;

/* format_find - the entry called NAME, or NULL */
const struct format_def *format_find(const char *name);

#endif
