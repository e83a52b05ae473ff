/*
 * pending.c - bounded table of addresses keyed by short byte strings
 * (hash chains plus an age list). Memory is fixed at creation: a flood
 * of first lines evicts the oldest entries, never grows the table. Never
 * returns an entry older than its TTL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pending.h"
#include "util.h"

#define NONE UINT32_MAX

struct entry {
	unsigned char key[PENDING_KEY_MAX];
	size_t klen;
	struct addr addr;
	time_t since;
	uint32_t chain;		/* next in the hash bucket, or free list */
	uint32_t older, newer;	/* age list */
};

struct pending_table {
	struct entry *v;
	uint32_t *bucket;
	uint32_t nbuckets;	/* a power of two */
	uint32_t cap, count;
	uint32_t oldest, newest, free;
	time_t ttl;
	unsigned long long evicted;
};

static uint32_t hash_key(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < klen; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

struct pending_table *pending_new(size_t cap, time_t ttl)
{
	struct pending_table *t = xcalloc(1, sizeof(*t));

	if (cap < 1)
		cap = 1;
	if (cap > UINT32_MAX / 4)
		cap = UINT32_MAX / 4;
	t->cap = (uint32_t)cap;
	t->nbuckets = 1;
	while (t->nbuckets < 2 * t->cap)
		t->nbuckets <<= 1;
	t->v = xcalloc(cap, sizeof(*t->v));
	t->bucket = xmalloc(t->nbuckets * sizeof(*t->bucket));
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->bucket[i] = NONE;
	for (uint32_t i = 0; i < t->cap; i++)
		t->v[i].chain = i + 1 < t->cap ? i + 1 : NONE;
	t->free = 0;
	t->oldest = t->newest = NONE;
	t->ttl = ttl;
	return t;
}

void pending_free(struct pending_table *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t->bucket);
	free(t);
}

size_t pending_count(const struct pending_table *t)
{
	return t->count;
}

unsigned long long pending_evicted(const struct pending_table *t)
{
	return t->evicted;
}

/* find - index of KEY and the link that points at it, or NONE */
static uint32_t find(struct pending_table *t, const void *key, size_t klen,
		     uint32_t **link)
{
	uint32_t *l = &t->bucket[hash_key(key, klen) & (t->nbuckets - 1)];

	for (; *l != NONE; l = &t->v[*l].chain) {
		struct entry *e = &t->v[*l];
		if (e->klen == klen && memcmp(e->key, key, klen) == 0) {
			*link = l;
			return *l;
		}
	}
	return NONE;
}

static void age_unlink(struct pending_table *t, uint32_t i)
{
	struct entry *e = &t->v[i];

	if (e->older != NONE)
		t->v[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NONE)
		t->v[e->newer].older = e->older;
	else
		t->newest = e->older;
}

static void age_append(struct pending_table *t, uint32_t i)
{
	struct entry *e = &t->v[i];

	e->older = t->newest;
	e->newer = NONE;
	if (t->newest != NONE)
		t->v[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
}

/* drop - remove entry I, whose bucket link is LINK */
static void drop(struct pending_table *t, uint32_t i, uint32_t *link)
{
	*link = t->v[i].chain;
	age_unlink(t, i);
	t->v[i].chain = t->free;
	t->free = i;
	t->count--;
}

static void drop_index(struct pending_table *t, uint32_t i)
{
	uint32_t *link;

	if (find(t, t->v[i].key, t->v[i].klen, &link) == i)
		drop(t, i, link);
}

/* expired - an entry seen at SINCE is gone at NOW (a clock that went
 * back keeps it: log times are not monotonic) */
static int expired(const struct pending_table *t, time_t since, time_t now)
{
	return t->ttl > 0 && now > since && now - since >= t->ttl;
}

/* sweep - drop expired entries from the old end of the age list */
static void sweep(struct pending_table *t, time_t now)
{
	while (t->oldest != NONE && expired(t, t->v[t->oldest].since, now))
		drop_index(t, t->oldest);
}

int pending_put(struct pending_table *t, const void *key, size_t klen,
		const struct addr *addr, time_t now)
{
	uint32_t *link, i;

	if (klen > PENDING_KEY_MAX)
		return -1;
	sweep(t, now);
	i = find(t, key, klen, &link);
	if (i != NONE) {	/* the same key again: replace */
		drop(t, i, link);
	} else if (t->free == NONE) {
		drop_index(t, t->oldest);
		t->evicted++;
	}
	i = t->free;
	t->free = t->v[i].chain;
	memcpy(t->v[i].key, key, klen);
	t->v[i].klen = klen;
	t->v[i].addr = *addr;
	t->v[i].since = now;
	link = &t->bucket[hash_key(key, klen) & (t->nbuckets - 1)];
	t->v[i].chain = *link;
	*link = i;
	age_append(t, i);
	t->count++;
	return 0;
}

int pending_take(struct pending_table *t, const void *key, size_t klen,
		 time_t now, struct addr *addr)
{
	uint32_t *link, i;
	int live;

	if (klen > PENDING_KEY_MAX)
		return 0;
	sweep(t, now);
	i = find(t, key, klen, &link);
	if (i == NONE)
		return 0;
	live = !expired(t, t->v[i].since, now);
	if (live && addr != NULL)
		*addr = t->v[i].addr;
	drop(t, i, link);
	return live;
}
