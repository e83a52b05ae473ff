/*
 * tail_watch.c - inotify (through libinotifytools) on the directories of
 * the log files, and what a change of the file at a configured path
 * means: rotation, a new file, an alias of another path. Dispatches on
 * the event's name against our own table; never trusts the library's
 * wd <-> name maps, which go stale when files are renamed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "log.h"
#include "tail_int.h"
#include "util.h"

#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
		    IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | \
		    IN_MOVE_SELF)
#define PATH_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
		     IN_ATTRIB)
#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 2000

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path);
	char *dir = xstrdup(dirname(copy));

	free(copy);
	return dir;
}

static char *base_of(const char *path)
{
	char *copy = xstrdup(path);
	char *base = xstrdup(basename(copy));

	free(copy);
	return base;
}

/* add_watch - watch directory DIR (stat ST) once, even when reached by
 * two spellings; 1 if it is watched */
static int add_watch(struct tailer *t, const char *dir, const struct stat *st)
{
	char esc[256];
	struct watched_dir *w;

	for (size_t i = 0; i < t->ndirs; i++) {
		w = &t->dirs[i];
		if (w->dev == (uint64_t)st->st_dev &&
		    w->ino == (uint64_t)st->st_ino) {
			w->needed = 1;
			return 1;
		}
	}
	if (!t->inotify_ok)
		return 0;
	if (!inotifytools_watch_file(dir, DIR_EVENTS)) {
		log_limited(&t->rl_watch, LOG_WARNING,
			    "%s: cannot watch: %s (polling every %ds)",
			    log_escape(esc, sizeof esc, dir, strlen(dir)),
			    strerror(inotifytools_error()), TAIL_SCAN_MS / 1000);
		return 0;
	}
	t->dirs = xrealloc(t->dirs, (t->ndirs + 1) * sizeof *t->dirs);
	w = &t->dirs[t->ndirs++];
	w->path = xstrdup(dir);
	w->dev = (uint64_t)st->st_dev;
	w->ino = (uint64_t)st->st_ino;
	w->needed = 1;
	return 1;
}

/* watch_dir_of - watch the directory of PATH, or while it is missing its
 * nearest existing ancestor (rule 6). 1 if the directory itself */
static int watch_dir_of(struct tailer *t, const char *path)
{
	char *dir = dir_of(path);
	int exact = 1, ok = 0;
	struct stat st;

	for (;;) {
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			ok = add_watch(t, dir, &st);
			break;
		}
		if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
			break;
		exact = 0;
		char *parent = dir_of(dir);
		free(dir);
		dir = parent;
	}
	free(dir);
	return exact && ok;
}

/* drop_dir - forget entry I; UNWATCH: also remove the kernel watch */
static void drop_dir(struct tailer *t, size_t i, int unwatch)
{
	struct watched_dir *w = &t->dirs[i];

	if (unwatch && t->inotify_ok) {
		size_t n = strlen(w->path);
		char *slashed = xmalloc(n + 2);

		memcpy(slashed, w->path, n);
		memcpy(slashed + n, "/", 2);	/* how the library names dirs */
		inotifytools_remove_watch_by_filename(slashed);
		free(slashed);
	}
	free(w->path);
	t->dirs[i] = t->dirs[--t->ndirs];
}

void tail_watch_all(struct tailer *t)
{
	t->dirs_missing = 0;
	for (size_t i = 0; i < t->ndirs; i++)
		t->dirs[i].needed = 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i];

		f->dir_watched = watch_dir_of(t, f->path);
		if (f->real_path != NULL && !watch_dir_of(t, f->real_path))
			f->dir_watched = 0;
		if (!f->dir_watched)
			t->dirs_missing = 1;
	}
	for (size_t i = t->ndirs; i-- > 0;)	/* ancestors no longer needed */
		if (!t->dirs[i].needed)
			drop_dir(t, i, 1);
}

/* forget_gone_dirs - a watched directory was deleted or moved (WD: the
 * watch the kernel dropped, or -1): forget entries that are no longer
 * the directory at their path, then watch again */
static void forget_gone_dirs(struct tailer *t, int wd)
{
	const char *lib_name = wd >= 0 && t->inotify_ok ?
		inotifytools_filename_from_wd(wd) : NULL;

	for (size_t i = t->ndirs; i-- > 0;) {
		struct watched_dir *w = &t->dirs[i];
		struct stat st;
		size_t n = strlen(w->path);

		if (lib_name != NULL && strncmp(lib_name, w->path, n) == 0 &&
		    (lib_name[n] == '\0' || strcmp(lib_name + n, "/") == 0))
			drop_dir(t, i, 0);
		else if (stat(w->path, &st) < 0 ||
			 w->dev != (uint64_t)st.st_dev ||
			 w->ino != (uint64_t)st.st_ino)
			drop_dir(t, i, 0);
	}
	tail_watch_all(t);
}

static void rotated_unlink(struct tailer *t, struct stream *s)
{
	for (struct stream **pp = &t->rotated; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->next = NULL;
			return;
		}
}

/* reclaim - the draining file S is back at F's path (renamed back) */
static void reclaim(struct tailer *t, struct tail_file *f, struct stream *s)
{
	rotated_unlink(t, s);
	tail_delete_position_later(t, s->name);
	free(s->name);
	s->name = xstrdup(f->path);
	s->rotated = 0;
	s->source = tail_file_source(t, f);
	s->report = 1;
	s->pending = 1;
	f->cur = s;
	f->del_main = 0;
}

void tail_note_symlink(struct tailer *t, struct tail_file *f)
{
	struct stat st;
	char real[PATH_MAX];

	free(f->real_base);
	free(f->real_path);
	f->real_base = f->real_path = NULL;
	if (lstat(f->path, &st) < 0 || !S_ISLNK(st.st_mode) ||
	    realpath(f->path, real) == NULL)
		return;
	f->real_base = base_of(real);
	f->real_path = xstrdup(real);
	if (!watch_dir_of(t, f->real_path))
		t->dirs_missing = 1;
}

/* open_failed - retry with back-off; say so once per failing spell
 * (the next success logs "following"), and share one limiter among all
 * files for running out of descriptors */
static void open_failed(struct tailer *t, struct tail_file *f, int err)
{
	char esc[256];
	int first = f->backoff_ms == 0;

	f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : RETRY_FIRST_MS;
	if (f->backoff_ms > RETRY_MAX_MS)
		f->backoff_ms = RETRY_MAX_MS;
	f->retry_ms = clock_mono_ms() + f->backoff_ms;
	if (first)
		log_limited(err == EMFILE || err == ENFILE ? &t->rl_watch
			    : &f->rl, LOG_WARNING,
			    "%s: cannot open: %s (will retry)",
			    log_escape(esc, sizeof esc, f->path,
				       strlen(f->path)), strerror(err));
}

/* resume_offset - where to read a file that appears at a followed name:
 * where it stopped if it was followed before (a hard link, a file
 * renamed back after it was retired), else from its start */
static uint64_t resume_offset(struct tailer *t, int fd, const struct stat *st,
			      struct position *p)
{
	if (tail_retired_find(t, (uint64_t)st->st_dev, (uint64_t)st->st_ino,
			      p) && tail_content_matches(fd, NULL, p))
		return p->offset;
	return 0;
}

/* open_new - follow the file now at F's path from its start. Lines it
 * already holds may be of any age (a file renamed or linked into place,
 * one that could not be opened before): they are read as backlog, so
 * their own time stamps decide (rule 8); lines appended later are live */
static void open_new(struct tailer *t, struct tail_file *f)
{
	struct stat st;
	struct position p;
	uint64_t offset;
	char esc[256];
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			open_failed(t, f, errno);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    tail_stream_by_id(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
		close(fd);
		return;
	}
	offset = resume_offset(t, fd, &st, &p);
	f->cur = tail_stream_new(fd, &st, offset, 0, f->path);
	f->cur->source = tail_file_source(t, f);
	if (offset > 0)
		tail_check_seed(f->cur, &p);
	f->del_main = 0;
	f->backoff_ms = 0;
	f->retry_ms = 0;
	f->alias_noted = 0;
	tail_note_symlink(t, f);
	log_escape(esc, sizeof esc, f->path, strlen(f->path));
	if (offset > 0)
		log_msg(LOG_INFO, "%s: a file read before (inode %llu): "
			"going on at offset %llu", esc,
			(unsigned long long)st.st_ino,
			(unsigned long long)offset);
	else
		log_msg(LOG_INFO, "%s: following new file (inode %llu)%s",
			esc, (unsigned long long)st.st_ino, st.st_size > 0 ?
			": the lines it holds are backlog" : "");
}

void tail_note_alias(struct tailer *t, struct tail_file *f,
		     const struct stream *other)
{
	char esc[256], esc2[256];
	const struct tail_file *g = &t->files[other->source - 1];

	if (f->alias_noted)
		return;
	f->alias_noted = 1;
	log_msg(LOG_INFO, "%s: the same file as %s (inode %llu): read once",
		log_escape(esc, sizeof esc, f->path, strlen(f->path)),
		log_escape(esc2, sizeof esc2, g->path, strlen(g->path)),
		(unsigned long long)other->ino);
}

/* hand_over - S left F's path; if another followed name without a file
 * leads to it (a hard link, another spelling), that name takes it over.
 * 1 if so */
static int hand_over(struct tailer *t, struct tail_file *f, struct stream *s)
{
	struct stat st;

	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *g = &t->files[i];

		if (g != f && g->cur == NULL && stat(g->path, &st) == 0 &&
		    (uint64_t)st.st_dev == s->dev &&
		    (uint64_t)st.st_ino == s->ino) {
			reclaim(t, g, s);
			return 1;
		}
	}
	return 0;
}

void tail_rotate_out(struct tailer *t, struct tail_file *f)
{
	struct stream *s = f->cur;
	char esc[256];

	free(s->name);
	s->name = tail_rotated_name(f->path, s->ino);
	s->rotated = 1;
	s->report = 1;
	s->pending = 1;
	s->last_data_ms = clock_mono_ms();
	tail_rotated_append(t, s);
	f->cur = NULL;
	f->del_main = 1;
	t->count.rotations++;
	log_msg(LOG_INFO, "%s: rotated (inode %llu): draining the old file",
		log_escape(esc, sizeof esc, f->path, strlen(f->path)),
		(unsigned long long)s->ino);
	if (!hand_over(t, f, s))
		tail_sibling_after_rotation(t, f, s);
}

void tail_check_path(struct tailer *t, struct tail_file *f, int force)
{
	struct stat st;
	struct stream *other;

	if (stat(f->path, &st) < 0) {
		if ((errno == ENOENT || errno == ENOTDIR) && f->cur != NULL)
			tail_rotate_out(t, f);
		else if (errno != ENOENT && errno != ENOTDIR)
			open_failed(t, f, errno);
		return;
	}
	if (f->cur != NULL && f->cur->dev == (uint64_t)st.st_dev &&
	    f->cur->ino == (uint64_t)st.st_ino)
		return;
	other = tail_stream_by_id(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (other != NULL && !other->rotated) {
		tail_note_alias(t, f, other);	/* another configured path */
		return;
	}
	if (f->cur != NULL)
		tail_rotate_out(t, f);
	if (!S_ISREG(st.st_mode)) {
		char esc[256];

		log_limited(&f->rl, LOG_WARNING, "%s: not a regular file",
			    log_escape(esc, sizeof esc, f->path,
				       strlen(f->path)));
		return;
	}
	if (other != NULL) {
		reclaim(t, f, other);
		return;
	}
	if (force || clock_mono_ms() >= f->retry_ms)
		open_new(t, f);
}

static void mark_rotated_pending(struct tailer *t)
{
	for (struct stream *s = t->rotated; s != NULL; s = s->next)
		s->pending = 1;
}

void tail_scan_all(struct tailer *t)
{
	if (t->dirs_missing)
		tail_watch_all(t);
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i];

		tail_check_path(t, f, 0);
		if (f->cur != NULL) {
			tail_stream_verify(t, f->cur, 1);
			f->cur->pending = 1;
		}
	}
	mark_rotated_pending(t);
	t->next_scan_ms = clock_mono_ms() + TAIL_SCAN_MS;
}

/* dispatch - an event about NAME in one of the watched directories */
static void dispatch(struct tailer *t, const char *name, uint32_t mask)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i];

		if (strcmp(name, f->base) != 0 &&
		    (f->real_base == NULL || strcmp(name, f->real_base) != 0))
			continue;
		if ((mask & PATH_EVENTS) || f->cur == NULL)
			tail_check_path(t, f, (mask & IN_ATTRIB) != 0);
		if (f->cur != NULL)
			f->cur->pending = 1;
	}
}

void tail_handle_event(struct tailer *t, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		t->count.overflows++;
		log_limited(&t->rl_overflow, LOG_WARNING,
			    "inotify queue overflow: re-checking every file");
		tail_scan_all(t);
		return;
	}
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF |
			IN_UNMOUNT)) {
		forget_gone_dirs(t, (ev->mask & IN_IGNORED) ? ev->wd : -1);
		tail_scan_all(t);
		return;
	}
	mark_rotated_pending(t);
	if (t->dirs_missing && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
		tail_watch_all(t);
		for (size_t i = 0; i < t->nfiles; i++)
			if (t->files[i].cur == NULL)
				tail_check_path(t, &t->files[i], 0);
	}
	if (ev->len > 0)
		dispatch(t, ev->name, ev->mask);
}
