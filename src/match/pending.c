/*
 * pending.c - bounded table of addresses keyed by short byte strings
 * (hash chains plus an age list). Memory is fixed at creation: a flood
 * of first lines evicts the oldest entries, never grows the table. Never
 * returns an entry older than its TTL. An entry may have a twin filed
 * under a second key (a session known by its id and by its user): taking,
 * evicting or expiring one removes both; a second key may repeat, and the
 * oldest entry under it is taken first.
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
	uint32_t twin;		/* the same entry under its other key, or NONE */
	int primary;		/* counted (a twin filed second is not) */
};

struct pending_table {
	struct entry *v;
	uint32_t *bucket;
	uint32_t nbuckets;	/* a power of two */
	uint32_t cap, count, used;
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
	for (uint32_t i = 0; i < t->cap; i++) {
		t->v[i].chain = i + 1 < t->cap ? i + 1 : NONE;
		t->v[i].twin = NONE;
	}
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

/* find - index of KEY and the link that points at it, or NONE; of
 * several entries under KEY the oldest (new ones go to the chain's head) */
static uint32_t find(struct pending_table *t, const void *key, size_t klen,
		     uint32_t **link)
{
	uint32_t *l = &t->bucket[hash_key(key, klen) & (t->nbuckets - 1)];
	uint32_t found = NONE;

	for (; *l != NONE; l = &t->v[*l].chain) {
		struct entry *e = &t->v[*l];
		if (e->klen == klen && memcmp(e->key, key, klen) == 0) {
			*link = l;
			found = *l;
		}
	}
	return found;
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

static void drop_index(struct pending_table *t, uint32_t i);

/* drop - remove entry I, whose bucket link is LINK, and its twin */
static void drop(struct pending_table *t, uint32_t i, uint32_t *link)
{
	uint32_t twin = t->v[i].twin;

	*link = t->v[i].chain;
	age_unlink(t, i);
	t->v[i].chain = t->free;
	t->v[i].twin = NONE;
	t->free = i;
	t->used--;
	if (t->v[i].primary)
		t->count--;
	if (twin != NONE) {
		t->v[twin].twin = NONE;
		drop_index(t, twin);
	}
}

/* drop_index - remove entry I wherever it is in its chain */
static void drop_index(struct pending_table *t, uint32_t i)
{
	uint32_t *l = &t->bucket[hash_key(t->v[i].key, t->v[i].klen) &
				 (t->nbuckets - 1)];

	while (*l != NONE && *l != i)
		l = &t->v[*l].chain;
	if (*l == i)
		drop(t, i, l);
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

/* make_room - evict the oldest entries until N slots are free */
static void make_room(struct pending_table *t, uint32_t n)
{
	while (t->cap - t->used < n && t->oldest != NONE) {
		uint32_t old = t->oldest;
		int counted = t->v[old].primary || t->v[old].twin != NONE;

		drop_index(t, old);
		t->evicted += counted;
	}
}

/* insert - file ADDR under KEY in a free slot; its index */
static uint32_t insert(struct pending_table *t, const void *key, size_t klen,
		       const struct addr *addr, time_t now, int primary)
{
	uint32_t i = t->free, *link;

	t->free = t->v[i].chain;
	memcpy(t->v[i].key, key, klen);
	t->v[i].klen = klen;
	t->v[i].addr = *addr;
	t->v[i].since = now;
	t->v[i].twin = NONE;
	t->v[i].primary = primary;
	link = &t->bucket[hash_key(key, klen) & (t->nbuckets - 1)];
	t->v[i].chain = *link;
	*link = i;
	age_append(t, i);
	t->used++;
	t->count += primary != 0;
	return i;
}

int pending_put(struct pending_table *t, const void *key, size_t klen,
		const struct addr *addr, time_t now)
{
	return pending_put_pair(t, key, klen, NULL, 0, addr, now);
}

int pending_put_pair(struct pending_table *t, const void *key, size_t klen,
		     const void *alias, size_t alen, const struct addr *addr,
		     time_t now)
{
	uint32_t *link, i, j;

	if (klen > PENDING_KEY_MAX || alen > PENDING_KEY_MAX ||
	    (alias != NULL && t->cap < 2))
		return -1;
	sweep(t, now);
	i = find(t, key, klen, &link);
	if (i != NONE)		/* the same key again: replace */
		drop(t, i, link);
	make_room(t, alias != NULL ? 2 : 1);
	i = insert(t, key, klen, addr, now, 1);
	if (alias != NULL) {
		j = insert(t, alias, alen, addr, now, 0);
		t->v[i].twin = j;
		t->v[j].twin = i;
	}
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
