/*
 * linetest_shared.c - popgated -T's stand-in for the database under the
 * shared-address rule: one record per address, in an open-addressing
 * table, merged with the store's own record_login() and judged with
 * record_shared_spell(), so the tester says what the daemon would.
 */
#include <stdlib.h>
#include <string.h>

#include "linetest.h"
#include "util.h"

struct sim_slot {
	int used;
	struct addr addr;
	struct record rec;
};

struct shared_sim {
	struct store_params params;
	struct sim_slot *v;
	size_t n, cap;		/* cap: a power of two */
};

struct shared_sim *shared_sim_new(const struct store_params *p)
{
	struct shared_sim *s = xcalloc(1, sizeof *s);

	s->params = *p;
	s->cap = 1024;
	s->v = xcalloc(s->cap, sizeof *s->v);
	return s;
}

void shared_sim_free(struct shared_sim *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}

static size_t hash_addr(const struct addr *a)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < sizeof a->b; i++)
		h = (h ^ a->b[i]) * 1099511628211ULL;
	return (size_t)h;
}

/* find - the slot of A, or the free slot where it goes */
static struct sim_slot *find(struct sim_slot *v, size_t cap,
			     const struct addr *a)
{
	size_t i = hash_addr(a) & (cap - 1);

	while (v[i].used && memcmp(&v[i].addr, a, sizeof *a) != 0)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static void grow(struct shared_sim *s)
{
	size_t cap = s->cap * 2;
	struct sim_slot *v = xcalloc(cap, sizeof *v);

	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].used)
			*find(v, cap, &s->v[i].addr) = s->v[i];
	free(s->v);
	s->v = v;
	s->cap = cap;
}

void shared_sim_login(struct shared_sim *s, const struct match_result *r,
		      time_t t, char *note, size_t size)
{
	struct sim_slot *slot;
	char w[32];
	int existed;

	if (2 * (s->n + 1) > s->cap)
		grow(s);
	slot = find(s->v, s->cap, &r->addr);
	existed = slot->used;
	if (!existed) {
		slot->used = 1;
		slot->addr = r->addr;
		s->n++;
	}
	record_login(&slot->rec, existed, t, r->service, r->user);
	format_duration(s->params.window, w, sizeof w);
	if (record_shared_spell(&slot->rec, &s->params, t))
		snprintf(note, size, " (address now shared: %u users within "
			 "%s, not authorized while it stays so)",
			 record_recent_users(&slot->rec, s->params.window, t), w);
	else if (record_shared(&slot->rec, &s->params, t))
		snprintf(note, size, " (address shared: not authorized)");
}
