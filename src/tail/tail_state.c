/*
 * tail_state.c - small helpers over the tailer's shared state (tail_int.h)
 * that every other tail file uses: position names of rotated files,
 * deletions to report, a file's source number, finding an open stream by
 * inode. Calls nothing else in src/tail: the other files build on it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tail_int.h"
#include "util.h"

char *tail_rotated_name(const char *path, uint64_t ino)
{
	size_t size = strlen(path) + sizeof TAIL_ROTATED_TAG + 24;
	char *name = xmalloc(size);

	snprintf(name, size, "%s%s%" PRIu64, path, TAIL_ROTATED_TAG, ino);
	return name;
}

void tail_delete_position_later(struct tailer *t, const char *name)
{
	t->deleted = xrealloc(t->deleted, (t->ndeleted + 1) * sizeof *t->deleted);
	t->deleted[t->ndeleted++] = xstrdup(name);
}

unsigned tail_file_source(const struct tailer *t, const struct tail_file *f)
{
	return (unsigned)(f - t->files) + 1;
}

struct stream *tail_stream_by_id(struct tailer *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		struct stream *s = t->files[i].cur;

		if (s != NULL && s->dev == dev && s->ino == ino)
			return s;
	}
	for (struct stream *s = t->rotated; s != NULL; s = s->next)
		if (s->dev == dev && s->ino == ino)
			return s;
	return NULL;
}

void tail_rotated_append(struct tailer *t, struct stream *s)
{
	struct stream **pp = &t->rotated;

	while (*pp != NULL)
		pp = &(*pp)->next;
	s->next = NULL;
	*pp = s;
}

uint64_t tail_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

uint64_t tail_wall_ns(void)
{
	struct timespec ts;

	/* compared with file mtimes, which the kernel takes from this
	 * coarse clock (or a finer one, never behind it): a file written
	 * after this time is never older */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return tail_ns(&ts);
}
