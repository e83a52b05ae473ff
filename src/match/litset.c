/*
 * litset.c - the distinct prefilter literals of a matcher and what the
 * current line holds of them. A search runs memchr over the literal's
 * rarest byte and compares around each hit: much cheaper per line than a
 * general substring search. Must give exactly memmem's answer. A literal
 * "a|b|c" stands for its alternatives: the line holds it when it holds
 * any of them.
 */
#include <stdlib.h>
#include <string.h>

#include "litset.h"
#include "util.h"

/* bytes by how often they occur in log text, most common first; any
 * other byte is rarer than all of them */
static const char common[] = " eatoinsrlhdcmupgfywbkv0123456789.:-=,/"
	"ETAOINSRLHDCMUPGFYWBKVxjqzXJQZ[]()<>_@'\"";

struct literal {
	const char *text;
	size_t len;
	size_t anchor;		/* offset of the rarest byte */
	int part;		/* a shorter literal inside this one, or -1 */
	unsigned long long line;	/* serial of the line last searched */
	int found;
	int alt[LITSET_ALTS_MAX];	/* alternatives ("a|b"): their indices */
	size_t nalt;
	char *copy;		/* an alternative's own text, or NULL */
};

struct litset {
	struct literal *v;
	size_t n;
	unsigned long long line;
};

static size_t commonness(unsigned char c)
{
	const char *p = c != '\0' ? strchr(common, c) : NULL;

	return p != NULL ? sizeof(common) - (size_t)(p - common) : 0;
}

static size_t rarest_byte(const char *text, size_t len)
{
	size_t best = 0;

	for (size_t i = 1; i < len; i++)
		if (commonness((unsigned char)text[i]) <
		    commonness((unsigned char)text[best]))
			best = i;
	return best;
}

/* search - TEXT in LINE, trying only where TEXT[ANCHOR] occurs */
static int search(const char *line, size_t len, const char *text, size_t tlen,
		  size_t anchor)
{
	const char *p, *end;

	if (tlen == 0)
		return 1;
	if (len < tlen)
		return 0;
	p = line + anchor;
	end = line + (len - tlen) + anchor + 1;	/* last anchor place + 1 */
	while (p < end && (p = memchr(p, text[anchor], (size_t)(end - p))) != NULL) {
		if (memcmp(p - anchor, text, tlen) == 0)
			return 1;
		p++;
	}
	return 0;
}

int litset_find(const char *line, size_t len, const char *text, size_t tlen)
{
	return search(line, len, text, tlen, rarest_byte(text, tlen));
}

size_t litset_alternative(const char **text)
{
	size_t n = strcspn(*text, "|");

	*text += n + ((*text)[n] == '|');
	return n;
}

int litset_find_any(const char *line, size_t len, const char *text)
{
	while (*text != '\0') {
		const char *alt = text;
		size_t n = litset_alternative(&text);

		if (n > 0 && litset_find(line, len, alt, n))
			return 1;
	}
	return 0;
}

struct litset *litset_new(void)
{
	return xcalloc(1, sizeof(struct litset));
}

void litset_free(struct litset *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].copy);
	free(s->v);
	free(s);
}

/* inside - literal A occurs in literal B (and is shorter) */
static int inside(const struct literal *a, const struct literal *b)
{
	return a->len < b->len && memmem(b->text, b->len, a->text, a->len) != NULL;
}

static int add_plain(struct litset *s, const char *text, char *copy)
{
	struct literal *l;

	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	l = &s->v[s->n];
	memset(l, 0, sizeof *l);
	l->text = text;
	l->len = strlen(text);
	l->part = -1;
	l->copy = copy;
	l->anchor = rarest_byte(text, l->len);
	for (size_t i = 0; i < s->n; i++) {	/* parts strictly shorter: no cycle */
		if (s->v[i].nalt > 0)
			continue;
		if (l->part < 0 && inside(&s->v[i], l))
			l->part = (int)i;
		if (s->v[i].part < 0 && inside(l, &s->v[i]))
			s->v[i].part = (int)s->n;
	}
	return (int)s->n++;
}

static int find(const struct litset *s, const char *text)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].text, text) == 0)
			return (int)i;
	return -1;
}

/* add_copy - an alternative: COPY is the set's to keep or free */
static int add_copy(struct litset *s, char *copy)
{
	int i = find(s, copy);

	if (i >= 0) {
		free(copy);
		return i;
	}
	return add_plain(s, copy, copy);
}

/* add_alternatives - TEXT is "a|b|...": each alternative once, then the
 * entry that stands for them */
static int add_alternatives(struct litset *s, const char *text)
{
	int alt[LITSET_ALTS_MAX];
	size_t n = 0;
	struct literal *l;

	for (const char *p = text; *p != '\0' && n < LITSET_ALTS_MAX;) {
		const char *a = p;
		size_t len = litset_alternative(&p);

		if (len > 0)
			alt[n++] = add_copy(s, xstrndup(a, len));
	}
	add_plain(s, text, NULL);
	l = &s->v[s->n - 1];
	memcpy(l->alt, alt, n * sizeof alt[0]);
	l->nalt = n;
	return (int)s->n - 1;
}

int litset_add(struct litset *s, const char *text)
{
	int i = find(s, text);

	if (i >= 0)
		return i;
	if (strchr(text, '|') != NULL)
		return add_alternatives(s, text);
	return add_plain(s, text, NULL);
}

void litset_next_line(struct litset *s)
{
	s->line++;
}

int litset_has(struct litset *s, int i, const char *line, size_t len)
{
	struct literal *l = &s->v[i];

	if (l->line != s->line + 1) {	/* +1: a fresh set knows nothing */
		if (l->nalt > 0) {
			l->found = 0;
			for (size_t k = 0; k < l->nalt && !l->found; k++)
				l->found = litset_has(s, l->alt[k], line, len);
		} else {
			l->found = (l->part < 0 || litset_has(s, l->part, line, len)) &&
			    search(line, len, l->text, l->len, l->anchor);
		}
		l->line = s->line + 1;
	}
	return l->found;
}
