/*
 * tail_sibling.c - the rotated siblings of a followed file (mail.log.1,
 * mail.log.2.gz, mail.log-20240101, ...), oldest first, and the files
 * among them that must still be read: the copy a copytruncate left of
 * lines not yet read, and every sibling newer than the file last read
 * that was never opened (several rotations while stalled or stopped).
 * Must never read a sibling twice or one older than what was read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tail_int.h"
#include "util.h"

#define COPY_WAIT_MS 10000	/* for a copy being compressed, at most */
#define LIST_TRIES 3		/* listings of a directory changing meanwhile */

/* is_sibling_name - NAME is BASE followed by '.', '-' or '_' and more */
static int is_sibling_name(const char *name, const char *base)
{
	size_t n = strlen(base);

	return strncmp(name, base, n) == 0 && name[n] != '\0' &&
	       strchr(".-_", name[n]) != NULL;
}

/* being_compressed - FULL is named as compressed (.gz, .xz, .zst, ...)
 * but is not yet readable as such, or the file it is made from is still
 * there: it is read once the compressor is done */
static int being_compressed(const char *full, int codec)
{
	const char *dot = strrchr(full, '.');
	static const char *const ext[] = { ".gz", ".xz", ".zst", ".bz2",
					   ".lz4", ".Z", NULL };
	struct stat st;
	char *src;
	int there;

	for (size_t i = 0; dot != NULL && ext[i] != NULL; i++)
		if (strcmp(dot, ext[i]) == 0) {
			if (codec == 0)
				return 1;
			src = xstrndup(full, (size_t)(dot - full));
			there = stat(src, &st) == 0;
			free(src);
			return there;
		}
	return 0;
}

/* configured_name - DIR/NAME is itself a followed path */
static int configured_name(const struct tailer *t, const char *full)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].path, full) == 0)
			return 1;
	return 0;
}

/* name_rank - logrotate's numbering: mail.log.2 is older than .1 */
static long name_rank(const char *name, const char *base)
{
	const char *p = name + strlen(base) + 1;

	return strtol(p, NULL, 10);
}

static int older_first(const void *a, const void *b)
{
	const struct tail_sibling *x = a, *y = b;

	if (x->st.st_mtim.tv_sec != y->st.st_mtim.tv_sec)
		return x->st.st_mtim.tv_sec < y->st.st_mtim.tv_sec ? -1 : 1;
	if (x->st.st_mtim.tv_nsec != y->st.st_mtim.tv_nsec)
		return x->st.st_mtim.tv_nsec < y->st.st_mtim.tv_nsec ? -1 : 1;
	return x->rank > y->rank ? -1 : x->rank < y->rank;
}

static void add_one(struct tailer *t, struct tail_sibling_list *l,
		    const char *dir, const char *name, const char *base)
{
	char *full = xmalloc(strlen(dir) + strlen(name) + 2);
	struct tail_sibling *sb;
	struct stat st;
	int fd, codec;

	strcpy(full, dir);
	strcat(full, "/");
	strcat(full, name);
	if (configured_name(t, full) ||
	    (fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
		       O_NOCTTY)) < 0) {
		l->busy |= !configured_name(t, full) && errno == ENOENT;
		free(full);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		free(full);
		return;
	}
	codec = tail_input_codec(fd);
	if (being_compressed(full, codec)) {
		l->busy = 1;
		close(fd);
		free(full);
		return;
	}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	sb = &l->v[l->n++];
	memset(sb, 0, sizeof *sb);
	sb->path = full;
	sb->st = st;
	sb->fd = fd;
	sb->codec = codec;
	sb->in = tail_input_new(fd, sb->codec);
	sb->rank = name_rank(name, base);
}

/* open_dir_of - the directory of PATH (*DIR: its name, to free; NULL if
 * it cannot be read), *BASE: PATH's last component */
static DIR *open_dir_of(const char *path, const char **base, char **dir)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	*dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	return opendir(slash == path ? "/" : *dir);
}

/* recent - a change at or after T0 (the coarse clock) could carry time
 * TS: TS is at or after T0 (a file time can be a tick ahead of the coarse
 * clock), or in whole seconds (a file system without finer times, FAT:
 * two) and T0 within them; not so far ahead that it can only be a clock
 * set back */
static int recent(const struct timespec *ts, uint64_t t0)
{
	uint64_t t = tail_ns(ts);
	uint64_t end = ts->tv_nsec == 0 ? t + 2000000000u : t;

	return end >= t0 && (t < t0 || t - t0 < TAIL_TICK_SLACK_NS);
}

/* dir_changed - D, whose stat was BEFORE when it was opened at T0 (the
 * coarse clock), changed while it was looked at (1), or may have without
 * showing it: it changed in the clock tick T0 was read in, and a change
 * while listed would carry the same time (2); 0 if neither. A name
 * renamed while a directory is listed can be missed, or lead by the time
 * it is opened to another file (logrotate shifting .1 to .2 ...) */
static int dir_changed(DIR *d, const struct stat *before, uint64_t t0)
{
	struct stat st;

	if (fstat(dirfd(d), &st) < 0 ||
	    tail_ns(&st.st_mtim) != tail_ns(&before->st_mtim) ||
	    tail_ns(&st.st_ctim) != tail_ns(&before->st_ctim))
		return 1;
	return recent(&st.st_mtim, t0) || recent(&st.st_ctim, t0) ? 2 : 0;
}

/* open_dir_at - open_dir_of, with the directory's stat and the coarse
 * clock before it (for dir_changed) */
static DIR *open_dir_at(const char *path, const char **base, char **dir,
			struct stat *before, uint64_t *t0)
{
	DIR *d;

	*t0 = tail_wall_ns();
	d = open_dir_of(path, base, dir);
	if (d != NULL && fstat(dirfd(d), before) < 0) {
		closedir(d);
		d = NULL;
	}
	return d;
}

/* sibling_fn - one sibling NAME of a followed file (BASE) in directory D
 * (named DIR); non-zero ends the walk */
typedef int (*sibling_fn)(struct tailer *t, DIR *d, const char *dir,
			  const char *name, const char *base, void *ctx);

/* walk_dir - FN for each sibling of PATH in its directory, until it says
 * stop; dir_changed's answer, or -1 if the directory cannot be read.
 * *BEFORE: the directory's stat when it was opened */
static int walk_dir(struct tailer *t, const char *path, sibling_fn fn,
		    void *ctx, struct stat *before)
{
	const char *base;
	char *dir;
	uint64_t t0;
	DIR *d = open_dir_at(path, &base, &dir, before, &t0);
	struct dirent *e;
	int changed = -1;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (is_sibling_name(e->d_name, base) &&
		    fn(t, d, dir, e->d_name, base, ctx))
			break;
	if (d != NULL) {
		changed = dir_changed(d, before, t0);
		closedir(d);
	}
	free(dir);
	return changed;
}

static int list_one(struct tailer *t, DIR *d, const char *dir,
		    const char *name, const char *base, void *ctx)
{
	(void)d;
	add_one(t, ctx, dir, name, base);
	return 0;
}

/* scan_dir - the siblings of PATH in its directory; dir_changed's answer */
static int scan_dir(struct tailer *t, struct tail_sibling_list *l,
		    const char *path)
{
	struct stat before;
	int changed = walk_dir(t, path, list_one, l, &before);

	return changed < 0 ? 0 : changed;
}

static void stamp_set(struct dir_stamp *s, const struct stat *st, int valid)
{
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->mtime_ns = tail_ns(&st->st_mtim);
	s->ctime_ns = tail_ns(&st->st_ctim);
	s->valid = valid;
}

/* stamp_holds - S is valid and PATH's directory still has it */
static int stamp_holds(const struct dir_stamp *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
		xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	struct stat st;
	int same = s->valid && stat(dir, &st) == 0 &&
		   (uint64_t)st.st_dev == s->dev &&
		   (uint64_t)st.st_ino == s->ino &&
		   tail_ns(&st.st_mtim) == s->mtime_ns &&
		   tail_ns(&st.st_ctim) == s->ctime_ns;

	free(dir);
	return same;
}

int tail_siblings_quiet(const struct tail_file *f)
{
	return stamp_holds(&f->stamp[0], f->path) &&
	       (f->real_path == NULL || stamp_holds(&f->stamp[1], f->real_path));
}

/* what changed_in looks for, and whether it was found */
struct unseen {
	uint64_t since;
	int found;
};

/* unseen_change - a regular sibling changed at or after CTX's since that
 * is neither followed nor retired: found, the walk ends */
static int unseen_change(struct tailer *t, DIR *d, const char *dir,
			 const char *name, const char *base, void *ctx)
{
	struct unseen *u = ctx;
	struct stat st;

	(void)dir;
	(void)base;
	u->found = fstatat(dirfd(d), name, &st, 0) == 0 &&
		   S_ISREG(st.st_mode) && tail_ns(&st.st_mtim) >= u->since &&
		   tail_stream_by_id(t, (uint64_t)st.st_dev,
				     (uint64_t)st.st_ino) == NULL &&
		   !tail_retired_find(t, (uint64_t)st.st_dev,
				      (uint64_t)st.st_ino, NULL);
	return u->found;
}

/* changed_in - a sibling of PATH (in its directory) that is not followed
 * and not retired changed at or after SINCE, or the directory changed
 * while it was looked at (a sibling may have been missed). *STAMP: the
 * directory, valid if it did not change (a later change shows in its
 * times: they were before the clock was read) */
static int changed_in(struct tailer *t, const char *path, uint64_t since,
		      struct dir_stamp *stamp)
{
	struct unseen u = { since, 0 };
	struct stat before;
	int changed = walk_dir(t, path, unseen_change, &u, &before);

	stamp->valid = 0;
	if (changed >= 0)
		stamp_set(stamp, &before, !changed);
	return u.found || changed > 0;
}

int tail_siblings_changed(struct tailer *t, struct tail_file *f,
			  uint64_t since)
{
	f->stamp[1].valid = 0;
	return changed_in(t, f->path, since, &f->stamp[0]) ||
	       (f->real_path != NULL &&
		changed_in(t, f->real_path, since, &f->stamp[1]));
}

/* list_all - F's siblings in its directory (and beside a symlink's
 * target), listed again while a directory changed as it was listed */
static void list_all(struct tailer *t, const struct tail_file *f,
		     struct tail_sibling_list *l)
{
	for (int tries = 1;; tries++) {
		int changed;

		memset(l, 0, sizeof *l);
		changed = scan_dir(t, l, f->path);
		if (f->real_path != NULL) {	/* rotated beside the target */
			int c = scan_dir(t, l, f->real_path);

			changed = c > changed ? c : changed;
		}
		if (changed != 1 || tries == LIST_TRIES) {
			l->changing = changed != 0;
			return;
		}
		tail_siblings_free(l);
	}
}

void tail_siblings(struct tailer *t, const struct tail_file *f,
		   struct tail_sibling_list *l)
{
	list_all(t, f, l);
	for (size_t i = 0; i < l->n; i++)	/* one entry per inode */
		for (size_t j = i + 1; j < l->n; j++)
			if (l->v[j].fd >= 0 &&
			    l->v[i].st.st_dev == l->v[j].st.st_dev &&
			    l->v[i].st.st_ino == l->v[j].st.st_ino)
				tail_sibling_close(&l->v[j]);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, older_first);
}

void tail_sibling_close(struct tail_sibling *sb)
{
	tail_input_free(sb->in);
	sb->in = NULL;
	if (sb->fd >= 0)
		close(sb->fd);
	sb->fd = -1;
}

void tail_siblings_free(struct tail_sibling_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		tail_sibling_close(&l->v[i]);
		free(l->v[i].path);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

struct stream *tail_sibling_follow(struct tailer *t, struct tail_file *f,
				   struct tail_sibling *sb, uint64_t offset,
				   const char *why)
{
	struct stream *s = tail_stream_new(sb->fd, &sb->st, offset, 0,
					   f->path);
	char esc[256];

	tail_stream_take_input(s, sb->in);
	sb->in = NULL;
	sb->fd = -1;
	free(s->name);
	s->name = tail_rotated_name(f->path, s->ino);
	s->rotated = 1;
	s->source = tail_file_source(t, f);
	tail_rotated_append(t, s);
	log_msg(LOG_NOTICE, "%s: reading %s (inode %llu) from offset %llu "
		"as backlog (%s)", log_escape(esc, sizeof esc, sb->path,
					      strlen(sb->path)),
		tail_input_codec_name(sb->codec), (unsigned long long)s->ino,
		(unsigned long long)offset, why);
	return s;
}

int tail_retired_find(const struct tailer *t, uint64_t dev, uint64_t ino,
		      struct position *p)
{
	size_t n = t->nretired < TAIL_RETIRED_MAX ? t->nretired
						  : TAIL_RETIRED_MAX;

	for (size_t i = 0; i < n; i++)
		if (t->retired[i].dev == dev && t->retired[i].ino == ino) {
			if (p != NULL)
				*p = t->retired[i].pos;
			return 1;
		}
	return 0;
}

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

int tail_sibling_is_copy(struct tailer *t, const struct tail_sibling *sb)
{
	size_t n = t->nretired < TAIL_RETIRED_MAX ? t->nretired
						  : TAIL_RETIRED_MAX;

	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].cur != NULL &&
		    copy_of_stream(t->files[i].cur, sb))
			return 1;
	for (struct stream *s = t->rotated; s != NULL; s = s->next)
		if (copy_of_stream(s, sb))
			return 1;
	for (size_t i = 0; i < n; i++)
		if (tail_copy_of(sb->fd, sb->in, &t->retired[i].pos))
			return 1;
	return 0;
}

/* known - SB is followed, was followed, starts with FP's first line or
 * with what a file followed or retired holds or held (a copy of a file
 * we read, or the same file compressed: also the copy of a file cut
 * back since, compressed at once) */
static int known(struct tailer *t, const struct tail_sibling *sb,
		 const struct position *fp)
{
	if (sb->fd < 0 ||
	    tail_stream_by_id(t, (uint64_t)sb->st.st_dev,
			      (uint64_t)sb->st.st_ino) != NULL ||
	    tail_retired_find(t, (uint64_t)sb->st.st_dev,
			      (uint64_t)sb->st.st_ino, NULL))
		return 1;
	return (fp != NULL && tail_copy_of(sb->fd, sb->in, fp)) ||
	       tail_sibling_is_copy(t, sb);
}

/* newer - A was changed at or after THAN (file times are coarse: two
 * writes a few milliseconds apart can carry the same time) */
static int newer(const struct stat *a, const struct timespec *than)
{
	return a->st_mtim.tv_sec > than->tv_sec ||
	       (a->st_mtim.tv_sec == than->tv_sec &&
		a->st_mtim.tv_nsec >= than->tv_nsec);
}

void tail_sibling_catch_up(struct tailer *t, struct tail_file *f,
			   struct tail_sibling_list *l,
			   const struct timespec *after,
			   const struct position *fp)
{
	for (size_t i = 0; i < l->n; i++) {
		struct tail_sibling *sb = &l->v[i];

		if (!newer(&sb->st, after) || known(t, sb, fp) ||
		    tail_ns(&sb->st.st_mtim) < f->settled_ns)
			continue;
		tail_sibling_follow(t, f, sb, 0, "rotated while not read");
	}
}

/* after_rotation - S left F's path: read the siblings that were never
 * opened and are newer than it (renamed twice before we looked) */
void tail_sibling_after_rotation(struct tailer *t, struct tail_file *f,
				 struct stream *s)
{
	struct tail_sibling_list l;
	struct stat st;
	struct position fp;

	if (s->cut)	/* cut back just before: its copy first */
		tail_sibling_copy(t, f, s);
	if (fstat(s->fd, &st) < 0)
		return;
	tail_stream_position(s, &fp);
	tail_siblings(t, f, &l);
	tail_sibling_catch_up(t, f, &l, &st.st_mtim, &fp);
	tail_siblings_free(&l);
}

/* copy_offset - where SB, if it is the copy of what LOST's file held,
 * goes on: LOST's offset when SB holds the same bytes up to it; else the
 * newest earlier line end of LOST that SB holds, or 0 when none but its
 * first line is LOST's (bytes read after a truncation we had not seen
 * yet were the new content's, not the copy's); -1: not its copy */
static int64_t copy_offset(const struct tail_sibling *sb,
			   const struct position *lost)
{
	if (lost->offset > 0 && tail_content_matches(sb->fd, sb->in, lost))
		return (int64_t)lost->offset;
	if (tail_fp_is_hole(lost->fingerprint, lost->fingerprint_len) ||
	    !tail_first_line_is(sb->fd, sb->in, lost))
		return -1;
	for (uint32_t i = 0; i < lost->nchecks; i++)	/* newest first */
		if (lost->checks[i].end <= lost->offset &&
		    tail_check_matches(sb->fd, sb->in, &lost->checks[i]))
			return (int64_t)lost->checks[i].end;
	return 0;
}

/* tail_sibling_copy - S was cut back (copytruncate) holding S->lost: the
 * rest of that content is in a copy beside it; read it from where we
 * were, then any sibling newer than the copy. While a sibling is being
 * compressed (or vanished as we looked), S->cut stays: looked for again */
void tail_sibling_copy(struct tailer *t, struct tail_file *f,
		       struct stream *s)
{
	struct tail_sibling_list l;
	struct position lost = s->lost;
	char esc[256];
	size_t i, best = 0;
	int64_t at = -1;

	tail_siblings(t, f, &l);
	for (i = 0; i < l.n && at != (int64_t)lost.offset; i++) {
		struct tail_sibling *sb = &l.v[i];
		int64_t o;

		if (sb->fd < 0 || tail_stream_by_id(t, (uint64_t)sb->st.st_dev,
					(uint64_t)sb->st.st_ino) != NULL)
			continue;
		o = copy_offset(sb, &lost);
		if (o > at) {
			at = o;
			best = i;
		}
	}
	if (s->copy_wait_ms == 0) {
		s->copy_wait_ms = clock_mono_ms();
		s->cut_size = s->size_seen;	/* what it had when cut */
	}
	s->size_seen = 0;	/* not cut again while we wait */
	if (at < 0 && (l.busy || l.changing) &&	/* being compressed, or
						 * renamed as we looked */
	    clock_mono_ms() - s->copy_wait_ms < COPY_WAIT_MS) {
		tail_siblings_free(&l);
		return;		/* looked for again at the next delivery */
	}
	s->cut = 0;
	s->copy_wait_ms = 0;
	if (at >= 0) {
		struct timespec when = l.v[best].st.st_mtim;
		struct stream *c = tail_sibling_follow(t, f, &l.v[best],
				(uint64_t)at, "the copy of a truncated file");

		if ((uint64_t)at != lost.offset) {	/* from a checkpoint */
			lost.tail_len = 0;
			for (uint32_t k = 0; k < lost.nchecks; k++)
				if (lost.checks[k].end == (uint64_t)at) {
					lost.tail_fp = lost.checks[k].hash;
					lost.tail_len = lost.checks[k].len;
				}
			lost.offset = (uint64_t)at;
		}
		tail_check_seed(c, &lost);
		tail_sibling_catch_up(t, f, &l, &when, &lost);
	} else if (s->cut_size > lost.offset) {
		t->count.positions_reset++;
		log_msg(LOG_WARNING, "%s: truncated with %llu bytes not yet "
			"read (offset %llu to %llu) and no copy of them found "
			"beside it: not read", log_escape(esc, sizeof esc,
				f->path, strlen(f->path)),
			(unsigned long long)(s->cut_size - lost.offset),
			(unsigned long long)lost.offset,
			(unsigned long long)s->cut_size);
	} else if (s->lost_unknown) {
		t->count.positions_reset++;
		log_msg(LOG_WARNING, "%s: truncated or replaced while popgated "
			"was stopped (inode %llu), no copy of its old content "
			"found beside it: lines written after offset %llu "
			"before that, if any, were not read",
			log_escape(esc, sizeof esc, f->path, strlen(f->path)),
			(unsigned long long)lost.ino,
			(unsigned long long)lost.offset);
	}
	s->lost_unknown = 0;
	tail_siblings_free(&l);
}
