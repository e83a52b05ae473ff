/*
 * pattern_literal.c - the longest run of bytes that every match of a
 * custom PCRE2 pattern must contain, read off its top level only (groups,
 * classes and escapes other than an escaped punctuation byte end a run;
 * an optional byte is left out). Anything it does not understand (a top-
 * level alternation, inline options, \Q, verbs) gives no literal: it may
 * miss a literal, never invent one.
 */
#include <ctype.h>
#include <string.h>

#include "pattern_literal.h"

struct run {
	char best[PATTERN_LITERAL_MAX];
	size_t best_len;
	char cur[PATTERN_LITERAL_MAX];
	size_t cur_len;
};

static void end_run(struct run *r)
{
	if (r->cur_len > r->best_len) {
		memcpy(r->best, r->cur, r->cur_len);
		r->best_len = r->cur_len;
	}
	r->cur_len = 0;
}

static void add_byte(struct run *r, char c)
{
	if (r->cur_len == PATTERN_LITERAL_MAX)	/* long enough: keep it */
		end_run(r);
	r->cur[r->cur_len++] = c;
}

/* skip_class - past the "[...]" starting at P; NULL if it never ends */
static const char *skip_class(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')		/* a leading ] is a member */
		p++;
	while (*p != '\0' && *p != ']') {
		if (*p == '\\' && p[1] != '\0')
			p += 2;
		else if (*p == '[' && p[1] == ':' && strstr(p + 2, ":]") != NULL)
			p = strstr(p + 2, ":]") + 2;
		else
			p++;
	}
	return *p == ']' ? p + 1 : NULL;
}

/* skip_group - past the "(...)" starting at P; NULL if unbalanced or
 * it sets options ("(?i)", "(?x:"), which could change what follows */
static const char *skip_group(const char *p)
{
	int depth = 0;

	if (p[1] == '?' && (p[2] == '\0' || strchr(":<=!>|'P", p[2]) == NULL))
		return NULL;
	if (p[1] == '*')
		return NULL;
	while (*p != '\0') {
		if (*p == '\\' && p[1] != '\0') {
			if (p[1] == 'Q')
				return NULL;
			p += 2;
			continue;
		}
		if (*p == '[') {
			if ((p = skip_class(p)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '(' && p[1] == '?' && p[2] == '#')
			return NULL;	/* a comment may hold any ( or ) */
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* braces - length of a "{n}", "{n,}", "{n,m}" or "{,m}" at P, else 0
 * (then PCRE2 reads the brace as a plain byte) */
static size_t braces(const char *p)
{
	size_t i = 1, digits = 0;

	for (; isdigit((unsigned char)p[i]); i++)
		digits++;
	if (p[i] == ',')
		for (i++; isdigit((unsigned char)p[i]); i++)
			digits++;
	return p[i] == '}' && digits > 0 ? i + 1 : 0;
}

/* quantifier - length of a quantifier at P (with its lazy or possessive
 * mark), 0 if none; *OPTIONAL set when it may allow zero repeats (any
 * {..} counts as optional: no need to read its numbers) */
static size_t quantifier(const char *p, int *optional)
{
	size_t n;

	*optional = *p != '+';
	if (*p == '*' || *p == '?' || *p == '+')
		n = 1;
	else if (*p != '{' || (n = braces(p)) == 0)
		return 0;
	if (p[n] == '?' || p[n] == '+')
		n++;
	return n;
}

/* skip_escape - past an escape that is not a plain byte (\d, \x41,
 * \x{41}, \cX, \g{1}): its letter, its braces,
 * then every letter and digit after it (more than it may own, which only
 * shortens a run) */
static const char *skip_escape(const char *p)
{
	if (p[1] == '\0')
		return p + 1;
	if (p[1] == 'c')
		return p[2] != '\0' ? p + 3 : p + 2;
	if (strchr("xogkpPN", p[1]) != NULL && p[2] == '{' &&
	    strchr(p + 2, '}') != NULL)
		return strchr(p + 2, '}') + 1;
	for (p += 2; isalnum((unsigned char)*p); p++)
		;
	return p;
}

/* literal_byte - the byte the item at P stands for and its length, or
 * 0 when it is not a plain byte */
static size_t literal_byte(const char *p, char *c)
{
	if (*p == '\\')
		return p[1] != '\0' && !isalnum((unsigned char)p[1]) ?
			(*c = p[1], 2) : 0;
	if (strchr("^$.|()[]*+?{}", *p) != NULL)
		return 0;
	*c = *p;
	return 1;
}

size_t pattern_literal(const char *pattern, char *out, size_t size)
{
	struct run r;
	const char *p = pattern;

	r.best_len = r.cur_len = 0;
	out[0] = '\0';
	while (*p != '\0') {
		char c;
		size_t n = literal_byte(p, &c), q;
		int optional;

		if (n > 0) {		/* a byte, unless a quantifier drops it */
			p += n;
			q = quantifier(p, &optional);
			if (q == 0 || !optional)
				add_byte(&r, c);
			if (q > 0)
				end_run(&r);
			p += q;
			continue;
		}
		end_run(&r);
		if (*p == '|' || *p == ')' || (*p == '\\' && p[1] == 'Q'))
			return 0;	/* alternation, stray ), quoting */
		if (*p == '(')
			p = skip_group(p);
		else if (*p == '[')
			p = skip_class(p);
		else if (*p == '\\')
			p = skip_escape(p);
		else
			p++;		/* ^ $ . or a quantifier */
		if (p == NULL)
			return 0;
		p += quantifier(p, &optional);
	}
	end_run(&r);
	if (r.best_len >= size)
		r.best_len = size - 1;
	memcpy(out, r.best, r.best_len);
	out[r.best_len] = '\0';
	return r.best_len;
}
