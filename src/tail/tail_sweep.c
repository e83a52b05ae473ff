/*
 * tail_sweep.c - the look at the directories that goes with every save
 * of positions: a rotated sibling that appeared before inotify told us
 * (a copy, a file renamed twice, one compressed at once) is followed
 * before the positions are saved. So after a restart, a sibling without
 * a saved position that is older than the last save's sweep was seen
 * then and is known to be read, or to be a copy of a file read; one
 * newer than it is read. A directory none of whose entries was added,
 * removed or renamed since it was last listed unchanged (its times, a
 * stat) is not listed again: the look costs one stat a save while only
 * the followed file grows. Must never let a save pass a sibling unseen.
 */
#include <string.h>
#include <sys/stat.h>

#define TAIL_QUIET_NS 1000000000ull	/* a sibling changed since: in the making */

#include "log.h"
#include "tail_int.h"

/* sweep_file - follow F's siblings changed since its last sweep that
 * are not followed, retired or copies. One changed within the last
 * TAIL_QUIET_NS may be a copy still being made: decided at a later sweep;
 * the time of the oldest such (else NOW) is returned, or the last
 * sweep's when the directory changed as it was listed (one may be
 * missing: looked for again at the next sweep). *AGAIN is set when
 * one seen carries a time at or after NOW: a file time can be finer than
 * the coarse clock NOW is read from, so a save with NOW would not show it
 * seen (a restart would read a copy of what was read again): the next
 * save sweeps again */
static uint64_t sweep_file(struct tailer *t, struct tail_file *f,
			   uint64_t now, int *again)
{
	struct tail_sibling_list l;
	uint64_t hold = now;

	if ((!t->undecided && tail_siblings_quiet(f)) ||
	    !tail_siblings_changed(t, f, f->settled_ns))
		return now;
	tail_siblings(t, f, &l);
	if (l.changing && f->settled_ns < hold)	/* one may be missing */
		hold = f->settled_ns;
	for (size_t i = 0; i < l.n; i++) {
		struct tail_sibling *sb = &l.v[i];
		uint64_t m = tail_ns(&sb->st.st_mtim);

		*again |= m >= now && m - now < TAIL_TICK_SLACK_NS;
		if (sb->fd < 0 || m < f->settled_ns ||
		    tail_stream_by_id(t, (uint64_t)sb->st.st_dev,
				      (uint64_t)sb->st.st_ino) != NULL ||
		    tail_retired_find(t, (uint64_t)sb->st.st_dev,
				      (uint64_t)sb->st.st_ino, NULL) ||
		    tail_sibling_is_copy(t, sb))
			continue;
		if (m + TAIL_QUIET_NS > now) {	/* maybe a copy being made */
			if (m < hold)
				hold = m;
			continue;
		}
		tail_sibling_follow(t, f, sb, 0, "appeared before it was "
				    "noticed");
	}
	tail_siblings_free(&l);
	return hold;
}

void tail_sweep(struct tailer *t)
{
	uint64_t now = tail_wall_ns();	/* before looking */
	uint64_t hold = now;
	int again = 0;

	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i];

		f->settled_ns = sweep_file(t, f, now, &again);
		if (f->settled_ns < hold)
			hold = f->settled_ns;
	}
	t->swept_ns = hold;
	t->undecided = hold < now || again;
}
