/*
 * corpus_set.h - what the corpus tests share: a set of address texts (a
 * .expect file is one, compared as sets), reading a whole file, reading
 * a .expect file and comparing two sets. Defines functions: include it
 * from one .c file per test binary only.
 */
#ifndef POPGATE_CORPUS_SET_H
#define POPGATE_CORPUS_SET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "addr.h"
#include "util.h"

#define SET_MAX 256

struct ipset {
	char v[SET_MAX][ADDR_TEXT_MAX];
	size_t n;
};

static void set_add(struct ipset *s, const char *text)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], text) == 0)
			return;
	assert_true(s->n < SET_MAX);
	copy_string(s->v[s->n++], text, ADDR_TEXT_MAX);
}

static int set_has(const struct ipset *s, const char *text)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], text) == 0)
			return 1;
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc((size_t)size + 1);
	*len = fread(buf, 1, (size_t)size, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void read_expect(const char *path, struct ipset *set)
{
	size_t len;
	char *buf = read_file(path, &len);

	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] != '\0' && line[0] != '#')
			set_add(set, line);
	free(buf);
}

/* compare_sets - print the differences; 1 if equal */
static int compare_sets(const char *name, const struct ipset *got,
			const struct ipset *want)
{
	int same = 1;

	for (size_t i = 0; i < got->n; i++)
		if (!set_has(want, got->v[i])) {
			printf("  %s: authorized %s, not expected\n", name, got->v[i]);
			same = 0;
		}
	for (size_t i = 0; i < want->n; i++)
		if (!set_has(got, want->v[i])) {
			printf("  %s: missed %s\n", name, want->v[i]);
			same = 0;
		}
	return same;
}

#endif
