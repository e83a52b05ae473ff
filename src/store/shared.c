/*
 * shared.c - the shared-address rule on one record: the distinct users
 * that logged in at an address last (a hash of each name and its latest
 * login, SHARED_USERS_MAX of them, the oldest replaced), and whether that
 * many of them fall inside the window. Bounded whatever user names the
 * logs carry; never stores a name.
 */
#include <string.h>

#include "store.h"

/* user_hash - 64-bit FNV-1a of NAME; never 0 (0 marks a free slot) */
static uint64_t user_hash(const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ? h : 1;
}

void record_note_user(struct record *r, const char *user, int64_t t)
{
	uint64_t h = user_hash(user);
	int oldest = 0;

	for (int i = 0; i < SHARED_USERS_MAX; i++) {
		if (r->users[i].hash == h) {
			if (t > r->users[i].last)
				r->users[i].last = t;
			return;
		}
		if (r->users[i].hash == 0 ||
		    (r->users[oldest].hash != 0 &&
		     r->users[i].last < r->users[oldest].last))
			oldest = i;
	}
	if (r->users[oldest].hash != 0 && r->users[oldest].last > t)
		return;	/* older than every user kept: the newest matter */
	r->users[oldest].hash = h;
	r->users[oldest].last = t;
}

unsigned record_recent_users(const struct record *r, unsigned window,
			     time_t now)
{
	unsigned n = 0;

	for (int i = 0; i < SHARED_USERS_MAX; i++)
		if (r->users[i].hash != 0 &&
		    (int64_t)now - (int64_t)window < r->users[i].last)
			n++;
	return n;
}

int record_shared(const struct record *r, const struct store_params *p,
		  time_t now)
{
	return p->shared_users > 0 &&
	    record_recent_users(r, p->window, now) >= p->shared_users;
}

int record_shared_spell(struct record *r, const struct store_params *p,
			time_t t)
{
	if (!record_shared(r, p, t)) {
		r->flags &= ~(uint32_t)RECORD_SHARED_NOTED;
		return 0;
	}
	if (r->flags & RECORD_SHARED_NOTED)
		return 0;
	r->flags |= RECORD_SHARED_NOTED;
	return 1;
}

int record_has_user(const struct record *r, const char *user)
{
	uint64_t h = user_hash(user);

	if (strcmp(r->user, user) == 0)
		return 1;
	for (int i = 0; i < SHARED_USERS_MAX; i++)
		if (r->users[i].hash == h)
			return 1;
	return 0;
}

time_t record_users_next_expiry(const struct record *r, unsigned window,
				time_t now)
{
	int64_t next = 0;

	for (int i = 0; i < SHARED_USERS_MAX; i++) {
		int64_t end = r->users[i].last + (int64_t)window;

		if (r->users[i].hash != 0 && end > (int64_t)now &&
		    (next == 0 || end < next))
			next = end;
	}
	return (time_t)next;
}
