/*
 * tail_resume.c - where to start reading each file at daemon start
 * (rule 5): resume a saved position when inode and fingerprint match,
 * finish rotated files found again under a sibling name, otherwise
 * start_at. Must never replay lines a saved position says were done.
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

/* saved_matches - FD (stat ST) is the file of position P. A device
 * number can change across reboots: inode plus a real fingerprint is
 * enough then */
static int saved_matches(const struct position *p, int fd,
			 const struct stat *st)
{
	if (p->ino != (uint64_t)st->st_ino ||
	    p->offset > (uint64_t)st->st_size)
		return 0;
	if (p->dev != (uint64_t)st->st_dev && p->fingerprint_len == 0)
		return 0;
	return fp_matches(fd, p);
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

	if (fd < 0) {
		f->del_main = sp != NULL;
		return;
	}
	if (stream_by_id(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
		close(fd);	/* the same file as an earlier path */
		return;
	}
	log_escape(esc, sizeof esc, f->path, strlen(f->path));
	if (sp != NULL && saved_matches(&sp->pos, fd, &st)) {
		sp->used = 1;
		offset = sp->pos.offset;
		log_msg(LOG_INFO, "%s: resuming at offset %llu", esc,
			(unsigned long long)offset);
	} else if (sp != NULL) {
		log_msg(LOG_INFO, "%s: not the file of the saved position: "
			"reading it from the start", esc);
	} else if (!t->opt.start_at_beginning) {
		offset = end_offset(fd, (uint64_t)st.st_size, &skip);
		live = 1;
	}
	f->cur = stream_new(fd, &st, offset, live, f->path);
	f->cur->source = file_source(t, f);
	if (skip)
		stream_skip_partial(f->cur);
	note_symlink(t, f);
}

/* find_sibling - a file in PATH's directory whose name starts with
 * PATH's name (mail.log.1, mail.log-20240101) and that is the file of P */
static int find_sibling(const char *path, const struct position *p,
			struct stat *st)
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
		if (fd >= 0 && !saved_matches(p, fd, st)) {
			close(fd);
			fd = -1;
		}
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return fd;
}

/* resume_rotated - finish a rotated file saved as SP if it is found */
static void resume_rotated(struct tailer *t, struct tail_file *f,
			   struct saved_position *sp)
{
	struct stat st;
	struct stream *s;
	int fd = find_sibling(f->path, &sp->pos, &st);
	char esc[256];

	if (fd < 0 && f->real_path != NULL)	/* rotated beside the target */
		fd = find_sibling(f->real_path, &sp->pos, &st);

	sp->used = 1;
	if (fd >= 0 &&
	    stream_by_id(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		if (strcmp(sp->name, f->path) != 0)
			delete_position_later(t, sp->name);
		return;
	}
	s = stream_new(fd, &st, sp->pos.offset, 0, f->path);
	free(s->name);
	s->name = rotated_name(f->path, s->ino);
	s->rotated = 1;
	s->source = file_source(t, f);
	if (strcmp(sp->name, s->name) != 0 && strcmp(sp->name, f->path) != 0)
		delete_position_later(t, sp->name);
	s->next = t->rotated;	/* finished first */
	t->rotated = s;
	log_msg(LOG_INFO, "%s: finishing rotated file (inode %llu) from "
		"offset %llu", log_escape(esc, sizeof esc, f->path,
					  strlen(f->path)),
		(unsigned long long)s->ino,
		(unsigned long long)sp->pos.offset);
}

void tail_start(struct tailer *t)
{
	watch_all(t);
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
			delete_position_later(t, t->saved[j].name);
	watch_all(t);
	t->next_scan_ms = tail_now_ms() + TAIL_SCAN_MS;
}
