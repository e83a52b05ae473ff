/*
 * tail_sweep.c - the look at the directories that goes with every save
 * of positions: a rotated sibling that appeared before inotify told us
 * (a copy, a file renamed twice, one compressed at once) is followed
 * before the positions are saved. So after a restart, a sibling without
 * a saved position that is older than the last save's sweep was seen
 * then and is known to be read, or to be a copy of a file read; one
 * newer than it is read. Must never let a save pass a sibling unseen.
 */
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "tail_int.h"

/* copy_of_stream - SB starts with what S holds, or held before it was
 * found cut back (its copy, if it held unread lines, was looked for
 * then: lost.offset tells where it goes on) */
static int copy_of_stream(struct stream *s, const struct tail_sibling *sb)
{
	struct position p;

	tail_stream_position(s, &p);
	return tail_copy_of(sb->fd, sb->in, &p) ||
	       ((s->lost.fingerprint_len > 0 || s->lost.offset > 0) &&
		tail_copy_of(sb->fd, sb->in, &s->lost));
}

/* copy_of_followed - SB starts with what a followed file holds or held
 * (a copy made before its file was found cut back, a compressed copy) */
static int copy_of_followed(struct tailer *t, const struct tail_sibling *sb)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].cur != NULL &&
		    copy_of_stream(t->files[i].cur, sb))
			return 1;
	for (struct stream *s = t->rotated; s != NULL; s = s->next)
		if (copy_of_stream(s, sb))
			return 1;
	return 0;
}

/* sweep_file - follow F's siblings changed since its last sweep that
 * are not followed, retired or copies */
static void sweep_file(struct tailer *t, struct tail_file *f)
{
	struct tail_sibling_list l;

	if (!tail_siblings_changed(t, f, f->settled_ns))
		return;
	tail_siblings(t, f, &l);
	for (size_t i = 0; i < l.n; i++) {
		struct tail_sibling *sb = &l.v[i];

		if (sb->fd < 0 ||
		    (uint64_t)sb->st.st_mtim.tv_sec * 1000000000u +
		    (uint64_t)sb->st.st_mtim.tv_nsec < f->settled_ns ||
		    tail_stream_by_id(t, (uint64_t)sb->st.st_dev,
				      (uint64_t)sb->st.st_ino) != NULL ||
		    tail_retired_find(t, (uint64_t)sb->st.st_dev,
				      (uint64_t)sb->st.st_ino, NULL) ||
		    copy_of_followed(t, sb))
			continue;
		tail_sibling_follow(t, f, sb, 0, "appeared before it was "
				    "noticed");
	}
	tail_siblings_free(&l);
}

void tail_sweep(struct tailer *t)
{
	uint64_t now = tail_wall_ns();	/* before looking */

	for (size_t i = 0; i < t->nfiles; i++) {
		sweep_file(t, &t->files[i]);
		t->files[i].settled_ns = now;
	}
	t->swept_ns = now;
}
