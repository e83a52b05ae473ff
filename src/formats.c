/*
 * formats.c - THE TABLE of built-in log formats (skeleton; regexes follow).
 * An entry must never let a user-controlled field supply the address.
 */
#include <string.h>

#include "formats.h"

const struct format_def format_table[] = {
	{ "dovecot", { { MATCH_LOGIN, NULL, NULL, NULL } } },
};
const size_t format_count = sizeof(format_table) / sizeof(format_table[0]);

const struct format_def *format_find(const char *name)
{
	for (size_t i = 0; i < format_count; i++)
		if (strcmp(format_table[i].name, name) == 0)
			return &format_table[i];
	return NULL;
}
