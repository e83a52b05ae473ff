/*
 * tail_resume.c - where to start reading each file at daemon start
 * (rule 5): resume a saved position when inode and fingerprint match,
 * finish rotated files found again under a sibling name, read a saved
 * file found truncated or rewritten from 0 as backlog, otherwise
 * start_at. Must never replay lines a saved position says were done,
 * never skip a file a saved position leads to.
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

static struct saved_position *find_saved(struct tailer *t, const char *name)
{
	for (size_t i = 0; i < t->nsaved; i++)
		if (!t->saved[i].used && strcmp(t->saved[i].name, name) == 0)
			return &t->saved[i];
	return NULL;
}

/* is_rotated_of - NAME is "PATH\001rotated:..." */
static int is_rotated_of(const char *name, const char *path)
{
	size_t n = strlen(path);

	return strncmp(name, path, n) == 0 &&
	       strncmp(name + n, TAIL_ROTATED_TAG,
		       sizeof TAIL_ROTATED_TAG - 1) == 0;
}

enum saved_file {
	SAVED_OTHER,		/* not the file of the position */
	SAVED_SAME,		/* its file, unchanged up to the offset */
	SAVED_CHANGED		/* its file, truncated or rewritten since */
};

/* saved_relation - what FD (stat ST) is to position P. Its file: the
 * same (dev, ino); a device number can change across reboots, so inode
 * plus a matching real fingerprint is enough then. Changed: another
 * first line, or shorter than the saved offset (copytruncate) */
static enum saved_file saved_relation(const struct position *p, int fd,
				      const struct stat *st)
{
	int fp_ok;

	if (p->ino != (uint64_t)st->st_ino)
		return SAVED_OTHER;
	fp_ok = tail_fp_matches(fd, p);
	if (p->dev != (uint64_t)st->st_dev &&
	    (p->fingerprint_len == 0 || !fp_ok))
		return SAVED_OTHER;
	if (fp_ok && p->offset <= (uint64_t)st->st_size)
		return SAVED_SAME;
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

static void start_main(struct tailer *t, struct tail_file *f)
{
	struct saved_position *sp = find_saved(t, f->path);
	struct stat st;
	uint64_t offset = 0;
	int live = 0, skip = 0;
	char esc[256];
	int fd = open_regular(f->path, &st);
	enum saved_file rel;

	if (fd < 0) {
		f->del_main = sp != NULL;
		return;
	}
	if (tail_stream_by_id(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
		close(fd);	/* the same file as an earlier path */
		return;
	}
	log_escape(esc, sizeof esc, f->path, strlen(f->path));
	rel = sp != NULL ? saved_relation(&sp->pos, fd, &st) : SAVED_OTHER;
	if (rel != SAVED_OTHER)
		sp->used = 1;
	if (rel == SAVED_SAME) {
		offset = sp->pos.offset;
		log_msg(LOG_INFO, "%s: resuming at offset %llu", esc,
			(unsigned long long)offset);
	} else if (rel == SAVED_CHANGED) {
		log_msg(LOG_NOTICE, "%s: truncated or rewritten since the "
			"saved position: reading it from the start", esc);
	} else if (sp != NULL) {
		log_msg(LOG_INFO, "%s: not the file of the saved position: "
			"reading it from the start", esc);
	} else if (!t->opt.start_at_beginning) {
		offset = end_offset(fd, (uint64_t)st.st_size, &skip);
		live = 1;
	}
	f->cur = tail_stream_new(fd, &st, offset, live, f->path);
	f->cur->source = tail_file_source(t, f);
	if (skip)
		tail_stream_skip_partial(f->cur);
	tail_note_symlink(t, f);
}

/* find_sibling - a file in PATH's directory whose name starts with
 * PATH's name (mail.log.1, mail.log-20240101) and that is the file of P,
 * *REL telling whether it changed since */
static int find_sibling(const char *path, const struct position *p,
			struct stat *st, enum saved_file *rel)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + 1))
			  : xstrdup("./");
	DIR *d = opendir(dir);
	struct dirent *e;
	int fd = -1;

	while (d != NULL && fd < 0 && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, base, strlen(base)) != 0 ||
		    strcmp(e->d_name, base) == 0)
			continue;
		char *full = xmalloc(strlen(dir) + strlen(e->d_name) + 1);
		strcpy(full, dir);
		strcat(full, e->d_name);
		fd = open_regular(full, st);
		free(full);
		if (fd >= 0 &&
		    (*rel = saved_relation(p, fd, st)) == SAVED_OTHER) {
			close(fd);
			fd = -1;
		}
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return fd;
}

/* resume_rotated - finish a rotated file saved as SP if it is found:
 * from the saved offset, or from 0 as backlog if it changed since */
static void resume_rotated(struct tailer *t, struct tail_file *f,
			   struct saved_position *sp)
{
	struct stat st;
	struct stream *s;
	enum saved_file rel = SAVED_OTHER;
	int fd = find_sibling(f->path, &sp->pos, &st, &rel);
	uint64_t offset;
	char esc[256];

	if (fd < 0 && f->real_path != NULL)	/* rotated beside the target */
		fd = find_sibling(f->real_path, &sp->pos, &st, &rel);

	sp->used = 1;
	if (fd >= 0 &&
	    tail_stream_by_id(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		if (strcmp(sp->name, f->path) != 0)
			tail_delete_position_later(t, sp->name);
		return;
	}
	offset = rel == SAVED_SAME ? sp->pos.offset : 0;
	s = tail_stream_new(fd, &st, offset, 0, f->path);
	free(s->name);
	s->name = tail_rotated_name(f->path, s->ino);
	s->rotated = 1;
	s->source = tail_file_source(t, f);
	if (strcmp(sp->name, s->name) != 0 && strcmp(sp->name, f->path) != 0)
		tail_delete_position_later(t, sp->name);
	s->next = t->rotated;	/* finished first */
	t->rotated = s;
	log_msg(rel == SAVED_SAME ? LOG_INFO : LOG_NOTICE, "%s: finishing "
		"rotated file (inode %llu) from offset %llu%s",
		log_escape(esc, sizeof esc, f->path, strlen(f->path)),
		(unsigned long long)s->ino, (unsigned long long)offset,
		rel == SAVED_SAME ? "" : ": truncated or rewritten since the "
		"saved position");
}

void tail_start(struct tailer *t)
{
	tail_watch_all(t);
	for (size_t i = 0; i < t->nfiles; i++)
		start_main(t, &t->files[i]);
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i];

		for (size_t j = 0; j < t->nsaved; j++) {
			struct saved_position *sp = &t->saved[j];

			if (sp->used)
				continue;
			if (strcmp(sp->name, f->path) == 0 ||
			    is_rotated_of(sp->name, f->path))
				resume_rotated(t, f, sp);
		}
	}
	for (size_t j = 0; j < t->nsaved; j++)	/* of paths no longer followed */
		if (!t->saved[j].used &&
		    strstr(t->saved[j].name, TAIL_ROTATED_TAG) != NULL)
			tail_delete_position_later(t, t->saved[j].name);
	tail_watch_all(t);
	t->next_scan_ms = clock_mono_ms() + TAIL_SCAN_MS;
}
