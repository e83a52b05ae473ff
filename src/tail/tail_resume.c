/*
 * tail_resume.c - where to start reading each file at daemon start
 * (rule 5): find the file of each saved position at the path or among
 * its rotated siblings (renamed, copied, compressed), resume it where
 * its content still matches, then read every sibling rotated since,
 * oldest first, and the file now at the path; otherwise start_at. Must
 * never replay lines a saved position says were done, never skip a
 * file a saved position leads to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tail_int.h"
#include "util.h"

/* is_rotated_of - NAME is "PATH\001rotated:..." */
static int is_rotated_of(const char *name, const char *path)
{
	size_t n = strlen(path);

	return strncmp(name, path, n) == 0 &&
	       strncmp(name + n, TAIL_ROTATED_TAG,
		       sizeof TAIL_ROTATED_TAG - 1) == 0;
}

/* what a file is to a saved position, from worst to best match: the
 * content found intact beats an inode that changed (a copytruncate's
 * original, or an inode number reused after a delete) */
enum saved_file {
	SAVED_OTHER,		/* not the file of the position */
	SAVED_CHANGED,		/* its inode, truncated or rewritten since */
	SAVED_CONTENT,		/* another inode holding the same content
				 * (a copy, the file compressed) */
	SAVED_SAME		/* its file, unchanged up to the offset */
};

/* saved_relation - what FD (stat ST, decoder IN) is to position P. Its
 * inode: the same (dev, ino); a device number can change across
 * reboots, so inode plus a matching real fingerprint is enough then.
 * Unchanged: first line, size and the bytes before the offset */
static enum saved_file saved_relation(const struct position *p, int fd,
				      struct tail_input *in,
				      const struct stat *st)
{
	struct position_check c = { p->offset, p->tail_fp, p->tail_len };
	int fp_ok = tail_fp_matches(fd, in, p);

	if (p->ino != (uint64_t)st->st_ino ||
	    (p->dev != (uint64_t)st->st_dev &&
	     (p->fingerprint_len == 0 || !fp_ok)))
		return tail_content_matches(fd, in, p) ? SAVED_CONTENT
						       : SAVED_OTHER;
	if (fp_ok && (in != NULL || p->offset <= (uint64_t)st->st_size) &&
	    tail_check_matches(fd, in, &c))
		return SAVED_SAME;
	if (in != NULL)		/* compressed files do not change: another */
		return SAVED_OTHER;	/* file on a reused inode */
	return SAVED_CHANGED;
}

/* end_offset - start_at = end: just past the last complete line, so a
 * line being written as we start is read whole. *SKIP when that line is
 * already too long to keep */
static uint64_t end_offset(int fd, uint64_t size, int *skip)
{
	char b[TAIL_LINE_MAX + 1];
	uint64_t from = size > sizeof b ? size - sizeof b : 0;
	ssize_t n = pread(fd, b, (size_t)(size - from), (off_t)from);

	*skip = 0;
	if (n <= 0)
		return size;
	for (ssize_t i = n; i > 0; i--)
		if (b[i - 1] == '\n')
			return from + (uint64_t)i;
	if (from == 0)
		return 0;
	*skip = 1;
	return size;
}

/* open_regular - open PATH read-only if it is a regular file; -1 if not */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the file now at a followed path, while deciding where to start */
struct current {
	int fd;
	struct stat st;
	const struct position *from;	/* the saved position it holds */
};

/* one saved position of a followed path, and where its file is */
struct anchor {
	struct saved_position *sp;
	enum saved_file rel;	/* of the best file found */
	long where;		/* sibling index, -1: the current file */
};

/* relation_at - what candidate W (-1: the current file) is to A */
static enum saved_file relation_at(const struct anchor *a,
				   const struct current *cur,
				   const struct tail_sibling_list *l, long w)
{
	if (w < 0)
		return cur->fd >= 0 && cur->from == NULL ?
			saved_relation(&a->sp->pos, cur->fd, NULL, &cur->st) :
			SAVED_OTHER;
	return saved_relation(&a->sp->pos, l->v[w].fd, l->v[w].in,
			      &l->v[w].st);
}

/* take - candidate W (-1: the current file) resumes from A's position */
static void take(const struct anchor *a, struct current *cur,
		 const struct position **from, long w)
{
	if (w < 0)
		cur->from = &a->sp->pos;
	else
		from[w] = &a->sp->pos;
}

/* find_anchor - the file of A among the current file and L: the one
 * unchanged, else its content found intact (a copy, the file
 * compressed), else its inode found changed. Its inode found changed
 * with the same first line besides an intact copy is a file cut back
 * after the copy: read on too (its checkpoints find where) */
static void find_anchor(struct anchor *a, struct current *cur,
			struct tail_sibling_list *l,
			const struct position **from)
{
	long changed = -2;
	char esc[256];

	a->rel = SAVED_OTHER;
	a->where = -2;
	for (long w = -1; w < (long)l->n && a->rel != SAVED_SAME; w++) {
		enum saved_file r;

		if (w >= 0 && (l->v[w].fd < 0 || from[w] != NULL))
			continue;
		r = relation_at(a, cur, l, w);
		if (r == SAVED_CHANGED && changed == -2)
			changed = w;
		if (r > a->rel) {
			a->rel = r;
			a->where = w;
		}
	}
	if (a->rel != SAVED_OTHER)
		take(a, cur, from, a->where);
	if (a->rel > SAVED_CHANGED && changed != -2 &&
	    !tail_fp_is_hole(a->sp->pos.fingerprint,
			     a->sp->pos.fingerprint_len) &&
	    tail_fp_matches(changed < 0 ? cur->fd : l->v[changed].fd,
			    changed < 0 ? NULL : l->v[changed].in,
			    &a->sp->pos))
		take(a, cur, from, changed);
	if (a->rel == SAVED_OTHER)
		log_msg(LOG_WARNING, "%s: the file of the saved position "
			"(inode %llu, offset %llu) is gone: what it held "
			"after that offset was not read",
			log_escape(esc, sizeof esc, a->sp->name,
				   strcspn(a->sp->name, "\001")),
			(unsigned long long)a->sp->pos.ino,
			(unsigned long long)a->sp->pos.offset);
}

/* resume_at - open stream S goes on from the saved position P: at its
 * offset (a file cut back since is reconciled at the first read, from
 * P's checkpoints), or at 0 as backlog if its first line changed, P then
 * telling what it held so that a copy of the rest can be found */
static void resume_at(struct stream *s, const struct position *p)
{
	tail_check_seed(s, p);
	s->size_seen = p->offset;
	if (p->fingerprint_len > 0 && !tail_fp_matches(s->fd, s->in, p)) {
		s->read_off = s->consumed = 0;
		s->at_eof = s->buf_live = 0;
		s->fp_final = 0;
		s->fp_len = 0;
		tail_check_clear(s);
		s->lost = *p;
		s->lost_unknown = 1;
		s->cut = 1;
	}
}

/* changed_since - when the positions were last saved (ns; 0 for
 * positions saved by an older version), or else the mtime of the oldest
 * sibling holding one: a sibling changed since (file times are coarse:
 * at that time too) may hold unread lines */
static uint64_t changed_since(const struct tailer *t,
			      const struct tail_sibling_list *l,
			      const struct position **from)
{
	uint64_t after = t->saved_at_max;

	for (size_t i = 0; i < l->n && after == 0; i++)
		if (from[i] != NULL)
			after = tail_ns(&l->v[i].st.st_mtim);
	return after;
}

/* saved_elsewhere - SB is the file of a saved position, maybe another
 * path's (a hard link): that path reads it */
static int saved_elsewhere(const struct tailer *t,
			   const struct tail_sibling *sb)
{
	for (size_t j = 0; j < t->nsaved; j++) {
		const struct position *p = &t->saved[j].pos;
		struct position_check c = { p->offset, p->tail_fp, p->tail_len };

		if (p->ino == (uint64_t)sb->st.st_ino &&
		    p->dev == (uint64_t)sb->st.st_dev && p->tail_len > 0 &&
		    tail_check_matches(sb->fd, sb->in, &c))
			return 1;
	}
	return 0;
}

/* queue_siblings - follow, oldest first, every sibling holding a saved
 * position, and every one changed since the positions were saved that
 * is not a copy of a file they name (a copytruncate's copy is found when
 * its file turns out truncated) */
static void queue_siblings(struct tailer *t, struct tail_file *f,
			   struct tail_sibling_list *l,
			   const struct position **from,
			   const struct anchor *a, size_t na)
{
	uint64_t after = changed_since(t, l, from);

	for (size_t i = 0; i < l->n && na > 0 && after > 0; i++) {
		struct tail_sibling *sb = &l->v[i];
		struct stream *s;
		int copy = 0;

		if (sb->fd < 0 || tail_stream_by_id(t, (uint64_t)sb->st.st_dev,
					(uint64_t)sb->st.st_ino) != NULL ||
		    (from[i] == NULL && tail_ns(&sb->st.st_mtim) < after))
			continue;
		for (size_t j = 0; j < na && from[i] == NULL; j++)
			copy |= tail_copy_of(sb->fd, sb->in, &a[j].sp->pos);
		copy |= from[i] == NULL && saved_elsewhere(t, sb);
		if (copy)
			continue;	/* a copy of a file read */
		s = tail_sibling_follow(t, f, sb, from[i] ? from[i]->offset : 0,
					from[i] ? "rotated since the saved "
					"position" : "rotated while stopped");
		if (from[i] != NULL)
			resume_at(s, from[i]);
	}
}

/* start_current - follow the file now at F's path */
static void start_current(struct tailer *t, struct tail_file *f,
			  struct current *cur, int had_saved)
{
	uint64_t offset = cur->from ? cur->from->offset : 0;
	int live = 0, skip = 0;
	char esc[256];

	if (cur->fd < 0) {
		f->del_main = had_saved;
		return;
	}
	log_escape(esc, sizeof esc, f->path, strlen(f->path));
	if (cur->from != NULL) {
		log_msg(LOG_INFO, "%s: resuming at offset %llu", esc,
			(unsigned long long)offset);
	} else if (had_saved) {
		log_msg(LOG_INFO, "%s: not the file of the saved position: "
			"reading it from the start as backlog", esc);
	} else if (!t->opt.start_at_beginning) {
		offset = end_offset(cur->fd, (uint64_t)cur->st.st_size, &skip);
		live = 1;
	}
	f->cur = tail_stream_new(cur->fd, &cur->st, offset, live, f->path);
	f->cur->source = tail_file_source(t, f);
	if (cur->from != NULL)
		resume_at(f->cur, cur->from);
	if (skip)
		tail_stream_skip_partial(f->cur);
}

/* saved_of - the unused saved positions of F (its path's, and those of
 * its rotated files still draining at the stop) */
static size_t saved_of(struct tailer *t, struct tail_file *f,
		       struct anchor **out)
{
	size_t n = 0;

	*out = xcalloc(t->nsaved + 1, sizeof **out);
	for (size_t j = 0; j < t->nsaved; j++) {
		struct saved_position *sp = &t->saved[j];

		if (sp->used || (strcmp(sp->name, f->path) != 0 &&
				 !is_rotated_of(sp->name, f->path)))
			continue;
		sp->used = 1;
		(*out)[n++].sp = sp;
		if (strcmp(sp->name, f->path) != 0)	/* renamed on follow */
			tail_delete_position_later(t, sp->name);
	}
	return n;
}

static uint64_t count_gone(const struct anchor *a, size_t na)
{
	uint64_t n = 0;

	for (size_t i = 0; i < na; i++)
		n += a[i].rel == SAVED_OTHER;
	return n;
}

/* start_file - where to read F and its rotated siblings (rule 5) */
static void start_file(struct tailer *t, struct tail_file *f)
{
	struct current cur;
	struct tail_sibling_list l;
	struct anchor *a;
	size_t na = saved_of(t, f, &a);
	const struct position **from;
	struct stream *other;

	memset(&cur, 0, sizeof cur);
	cur.fd = open_regular(f->path, &cur.st);
	other = cur.fd < 0 ? NULL : tail_stream_by_id(t,
			(uint64_t)cur.st.st_dev, (uint64_t)cur.st.st_ino);
	if (other != NULL) {
		tail_note_alias(t, f, other);	/* as an earlier path */
		close(cur.fd);
		cur.fd = -1;
	}
	tail_note_symlink(t, f);
	f->settled_ns = tail_wall_ns();	/* each sibling there is decided */
	tail_siblings(t, f, &l);
	from = xcalloc(l.n + 1, sizeof *from);
	for (size_t i = 0; i < na; i++)
		find_anchor(&a[i], &cur, &l, from);
	t->count.positions_reset += count_gone(a, na);
	queue_siblings(t, f, &l, from, a, na);
	start_current(t, f, &cur, na > 0);
	tail_siblings_free(&l);
	free(from);
	free(a);
}

void tail_start(struct tailer *t)
{
	for (size_t j = 0; j < t->nsaved; j++)	/* the last commit */
		if (t->saved[j].pos.saved_at > t->saved_at_max)
			t->saved_at_max = t->saved[j].pos.saved_at;
	tail_watch_all(t);
	for (size_t i = 0; i < t->nfiles; i++)
		start_file(t, &t->files[i]);
	for (size_t j = 0; j < t->nsaved; j++)	/* of paths no longer followed */
		if (!t->saved[j].used &&
		    strstr(t->saved[j].name, TAIL_ROTATED_TAG) != NULL)
			tail_delete_position_later(t, t->saved[j].name);
	tail_watch_all(t);
	t->next_scan_ms = clock_mono_ms() + TAIL_SCAN_MS;
}
