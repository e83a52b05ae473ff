/*
 * litset.c - the distinct prefilter literals of a matcher and what the
 * current line holds of them. A search runs memchr over the literal's
 * rarest byte and compares around each hit: much cheaper per line than a
 * general substring search. Must give exactly memmem's answer.
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

struct litset *litset_new(void)
{
	return xcalloc(1, sizeof(struct litset));
}

void litset_free(struct litset *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}

/* inside - literal A occurs in literal B (and is shorter) */
static int inside(const struct literal *a, const struct literal *b)
{
	return a->len < b->len && memmem(b->text, b->len, a->text, a->len) != NULL;
}

int litset_add(struct litset *s, const char *text)
{
	struct literal *l;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].text, text) == 0)
			return (int)i;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	l = &s->v[s->n];
	*l = (struct literal){ text, strlen(text), 0, -1, 0, 0 };
	l->anchor = rarest_byte(text, l->len);
	for (size_t i = 0; i < s->n; i++) {	/* parts strictly shorter: no cycle */
		if (l->part < 0 && inside(&s->v[i], l))
			l->part = (int)i;
		if (s->v[i].part < 0 && inside(l, &s->v[i]))
			s->v[i].part = (int)s->n;
	}
	return (int)s->n++;
}

void litset_next_line(struct litset *s)
{
	s->line++;
}

int litset_has(struct litset *s, int i, const char *line, size_t len)
{
	struct literal *l = &s->v[i];

	if (l->line != s->line + 1) {	/* +1: a fresh set knows nothing */
		l->found = (l->part < 0 || litset_has(s, l->part, line, len)) &&
		    search(line, len, l->text, l->len, l->anchor);
		l->line = s->line + 1;
	}
	return l->found;
}
