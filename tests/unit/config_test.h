/*
 * config_test.h - what the popgate.conf unit tests share: the config
 * under test, its error buffer, and parse/print helpers that fail the
 * test with the parser's message. Test programs only.
 */
#ifndef POPGATE_CONFIG_TEST_H
#define POPGATE_CONFIG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "config.h"

static struct config cfg;
static char err[CONFIG_ERR_MAX];

static inline int teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	return 0;
}

static inline int parse_text(const char *text)
{
	return config_parse(&cfg, "t.conf", text, strlen(text), err, sizeof err);
}

static inline void parse_good(const char *text)
{
	if (parse_text(text) != 0)
		fail_msg("unexpected error: %s", err);
}

static inline void expect_error(const char *text, const char *expected)
{
	assert_int_equal(parse_text(text), -1);
	assert_string_equal(err, expected);
	assert_null(cfg.database);	/* nothing is left behind */
}

/* printed - config_print of CFG into a malloc'ed string */
/* (not inline: GCC 12 sees a dangling pointer through open_memstream) */
__attribute__((noinline, unused)) static char *printed(const struct config *c)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	config_print(c, f);
	fclose(f);
	return text;
}

#endif
