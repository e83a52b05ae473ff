/*
 * prefilter.c - which literals the buffer prefilter looks for, derived
 * from the format table and the configuration: a format's program tags
 * as the tag dispatch (tagset.h) accepts them, the rule literals of a
 * format whose lines may carry no tag, a literal read off each custom
 * pattern. Must never leave out a line that some rule could act on: when
 * a rule has no such literal there is no prefilter at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "litscan.h"
#include "litset.h"
#include "pattern_literal.h"
#include "prefilter.h"
#include "util.h"

struct prefilter {
	struct litscan *scan;
};

struct literals {
	char *v[LITSCAN_MAX];
	size_t n;
	char *why;		/* set when the prefilter is impossible */
	size_t whysize;
	int failed;
};

static void give_up(struct literals *l, const char *fmt, const char *a,
		    const char *b)
{
	if (!l->failed)
		snprintf(l->why, l->whysize, fmt, a, b);
	l->failed = 1;
}

static void add_literal(struct literals *l, const char *text, size_t len,
			const char *what)
{
	if (l->failed)
		return;
	if (len < LITSCAN_MIN_LEN) {
		give_up(l, "%s has no literal of 3 or more bytes%s", what, "");
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && memcmp(l->v[i], text, len) == 0)
			return;
	if (l->n == LITSCAN_MAX) {
		give_up(l, "more than %s literals%s", "64", "");
		return;
	}
	l->v[l->n++] = xstrndup(text, len);
}

/* add_tags - the text each tag of F stands for in a line: "name.*" is
 * "name." then anything, "name[" and "[word]" are themselves */
static void add_tags(struct literals *l, const struct format_def *f)
{
	const char *p = f->tags ? f->tags : "";

	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n >= 2 && p[n - 2] == '.' && p[n - 1] == '*')
			add_literal(l, p, n - 1, f->name);
		else if (n > 0)
			add_literal(l, p, n, f->name);
		p += n + (p[n] == ' ');
	}
}

/* add_rule_literals - a dated format's lines may carry no tag: every
 * rule's own literal instead */
static void add_rule_literals(struct literals *l, const struct format_def *f)
{
	for (size_t i = 0; i < FORMAT_RULES_MAX && f->rules[i].re != NULL; i++) {
		const char *lit = f->rules[i].prefilter;

		if (lit == NULL) {
			give_up(l, "format %s has a rule without a literal%s",
				f->name, "");
			return;
		}
		while (*lit != '\0') {	/* each of its alternatives */
			const char *alt = lit;
			size_t n = litset_alternative(&lit);

			add_literal(l, alt, n, f->name);
		}
	}
}

static void add_format(struct literals *l, const struct format_def *f)
{
	if (f->dated)
		add_rule_literals(l, f);
	else
		add_tags(l, f);
}

static void add_formats(struct literals *l, const struct config *cfg)
{
	int all = cfg->log_formats.n == 0;

	for (size_t i = 0; i < cfg->log_formats.n; i++)
		all |= strcmp(cfg->log_formats.v[i], "auto") == 0;
	for (size_t i = 0; i < format_count; i++) {
		int on = all;

		for (size_t j = 0; !on && j < cfg->log_formats.n; j++)
			on = strcmp(cfg->log_formats.v[j], format_table[i].name) == 0;
		if (on)
			add_format(l, &format_table[i]);
	}
}

static void add_patterns(struct literals *l, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->patterns.n; i++) {
		char lit[PATTERN_LITERAL_MAX + 1], what[64];
		size_t n = pattern_literal(cfg->patterns.v[i].text, lit, sizeof lit);

		snprintf(what, sizeof what, "the pattern on line %u",
			 cfg->patterns.v[i].line);
		add_literal(l, lit, n, what);
	}
}

struct prefilter *prefilter_new(const struct config *cfg, char *why,
				size_t whysize)
{
	struct literals l;
	struct prefilter *p = NULL;
	struct litscan *scan = NULL;

	memset(&l, 0, sizeof l);
	l.why = why;
	l.whysize = whysize;
	add_formats(&l, cfg);
	add_patterns(&l, cfg);
	if (!l.failed && l.n == 0)
		give_up(&l, "no rule to look for%s%s", "", "");
	if (!l.failed && (scan = litscan_new((const char *const *)l.v, l.n)) == NULL)
		give_up(&l, "the literals cannot be scanned for%s%s", "", "");
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	if (scan != NULL) {
		p = xcalloc(1, sizeof *p);
		p->scan = scan;
	}
	return p;
}

void prefilter_free(struct prefilter *p)
{
	if (p == NULL)
		return;
	litscan_free(p->scan);
	free(p);
}

size_t prefilter_scan(const struct prefilter *p, const char *buf, size_t len)
{
	return litscan_first(p->scan, buf, len);
}

void prefilter_describe(const struct prefilter *p, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < litscan_count(p->scan) && used < size; i++) {
		if (i > 0)
			used += copy_string(out + used, ", ", size - used);
		if (used < size)
			used += copy_string(out + used, litscan_literal(p->scan, i),
					    size - used);
	}
}
