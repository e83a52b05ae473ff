/*
 * linetest_table.c - popgated -T's closing table: how many lines of each
 * format ended how. Formats are few (a row each, found by a linear
 * search that starts at the last row used); columns nobody used are left
 * out.
 */
#include <stdlib.h>
#include <string.h>

#include "linetest.h"
#include "util.h"

void linetest_table_init(struct linetest_table *t, const char *const *columns,
			 size_t ncolumns)
{
	memset(t, 0, sizeof *t);
	t->columns = columns;
	t->ncolumns = ncolumns;
}

static struct linetest_row *row_of(struct linetest_table *t, const char *format)
{
	size_t *last = &t->last;

	if (*last < t->n && (t->rows[*last].format == format ||
			     strcmp(t->rows[*last].format, format) == 0))
		return &t->rows[*last];
	for (*last = 0; *last < t->n; (*last)++)	/* the same static name */
		if (t->rows[*last].format == format)
			return &t->rows[*last];
	for (*last = 0; *last < t->n; (*last)++)
		if (strcmp(t->rows[*last].format, format) == 0)
			return &t->rows[*last];
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->rows = xrealloc(t->rows, t->cap * sizeof *t->rows);
	}
	t->rows[t->n].format = format;
	t->rows[t->n].counts = xcalloc(t->ncolumns, sizeof(unsigned long long));
	return &t->rows[t->n++];
}

void linetest_count(struct linetest_table *t, const char *format,
		    unsigned column)
{
	if (column < t->ncolumns)
		row_of(t, format)->counts[column]++;
}

static void print_row(const struct linetest_table *t, FILE *out,
		      const char *name, const unsigned long long *counts,
		      const int *used)
{
	fprintf(out, "%-16s", name);
	for (size_t c = 0; c < t->ncolumns; c++)
		if (used[c])
			fprintf(out, " %*llu", (int)strlen(t->columns[c]) > 9 ?
				(int)strlen(t->columns[c]) : 9, counts[c]);
	fputc('\n', out);
}

void linetest_table_print(const struct linetest_table *t, FILE *out)
{
	unsigned long long *total = xcalloc(t->ncolumns, sizeof *total);
	int *used = xcalloc(t->ncolumns, sizeof *used);

	for (size_t i = 0; i < t->n; i++)
		for (size_t c = 0; c < t->ncolumns; c++)
			total[c] += t->rows[i].counts[c];
	fprintf(out, "\n%-16s", "format");
	for (size_t c = 0; c < t->ncolumns; c++) {
		used[c] = c == 0 || total[c] > 0;
		if (used[c])
			fprintf(out, " %9s", t->columns[c]);
	}
	fputc('\n', out);
	for (size_t i = 0; i < t->n; i++)
		print_row(t, out, t->rows[i].format, t->rows[i].counts, used);
	print_row(t, out, "total", total, used);
	free(total);
	free(used);
}

void linetest_table_free(struct linetest_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->rows[i].counts);
	free(t->rows);
	memset(t, 0, sizeof *t);
}
