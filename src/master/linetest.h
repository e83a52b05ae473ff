/*
 * linetest.h - popgated -T, the line tester (linetest.c), its table per
 * format (linetest_table.c) and its in-memory copy of the shared-address
 * rule (linetest_shared.c). Private to src/master.
 */
#ifndef POPGATE_LINETEST_H
#define POPGATE_LINETEST_H

#include <stdio.h>
#include <time.h>

#include "config.h"
#include "match.h"
#include "store.h"

/* linetest_run - read PATH ("-" = standard input) with CFG's formats and
 * rules, report each line on standard output (VERBOSE: also lines with a
 * known tag that matched nothing) and a table per format. Returns the
 * exit status: 0 something recognised, 1 nothing, 2 error */
int linetest_run(const struct config *cfg, const char *path, int verbose);

/* counts per format and verdict */
struct linetest_row {
	const char *format;		/* a static name */
	unsigned long long *counts;	/* ncolumns */
};

struct linetest_table {
	const char *const *columns;
	size_t ncolumns;
	struct linetest_row *rows;
	size_t n, cap;
	size_t last;			/* row used last */
};

void linetest_table_init(struct linetest_table *t, const char *const *columns,
			 size_t ncolumns);
/* linetest_count - one more line of FORMAT (a static string) in COLUMN */
void linetest_count(struct linetest_table *t, const char *format,
		    unsigned column);
/* linetest_table_print - the rows, a total, only the columns used */
void linetest_table_print(const struct linetest_table *t, FILE *out);
void linetest_table_free(struct linetest_table *t);

/* the shared-address rule over the logins read so far, in memory */
struct shared_sim;
struct shared_sim *shared_sim_new(const struct store_params *p);
/* shared_sim_login - merge R (recorded at T) as the database would; NOTE
 * gets " (...)" when its address is, or just became, shared */
void shared_sim_login(struct shared_sim *s, const struct match_result *r,
		      time_t t, char *note, size_t size);
void shared_sim_free(struct shared_sim *s);

#endif
