/*
 * fuzz_config.c - libFuzzer harness for the popgate.conf parser
 * (src/config*.c): the input is a whole config file. A failure must leave
 * a "fuzz.conf:LINE: ..." message (also in a tiny buffer) and an all-zero
 * config; a success must print (popgated -n) text that parses again to
 * the same settings. Must never exit, leak or read past the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz.h"

#define NAME "fuzz.conf"
#define SMALL_ERR 7

/* printed - config_print output as a heap string */
static char *printed(const struct config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		fuzz_bug("open_memstream failed");
	config_print(cfg, f);
	fclose(f);
	return text;
}

static void check_zero(const struct config *cfg)
{
	static const struct config zero;

	if (memcmp(cfg, &zero, sizeof zero) != 0)
		fuzz_bug("config not all zero after a failed parse");
}

/* check_failure - the message of a failed parse, and a tiny buffer */
static void check_failure(struct config *cfg, const char *buf, size_t size,
			  const char *err)
{
	char *small = xmalloc(SMALL_ERR);

	check_zero(cfg);
	if (strncmp(err, NAME ":", sizeof NAME) != 0 ||
	    !fuzz_is_terminated(err, CONFIG_ERR_MAX))
		fuzz_bug("config error without \"" NAME ":LINE:\": %.80s", err);
	if (config_parse(cfg, NAME, buf, size, small, SMALL_ERR) == 0 ||
	    !fuzz_is_terminated(small, SMALL_ERR) ||
	    strncmp(small, err, SMALL_ERR - 1) != 0)
		fuzz_bug("config error differs with a small buffer");
	free(small);
	config_free(cfg);
}

/* check_round_trip - the printed settings parse to the same print */
static void check_round_trip(const struct config *cfg)
{
	struct config again;
	char err[CONFIG_ERR_MAX];
	size_t len1, len2;
	char *first = printed(cfg, &len1), *second;

	if (config_parse(&again, NAME, first, len1, err, sizeof err) != 0)
		fuzz_bug("printed config does not parse: %s\n%s", err, first);
	second = printed(&again, &len2);
	if (len1 != len2 || memcmp(first, second, len1) != 0)
		fuzz_bug("printed config changes when parsed again:\n%s---\n%s",
			 first, second);
	config_free(&again);
	free(first);
	free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX];
	char *buf = fuzz_copy(data, size);

	clock_set(FUZZ_CLOCK);
	if (config_parse(&cfg, NAME, buf, size, err, sizeof err) != 0) {
		check_failure(&cfg, buf, size, err);
	} else {
		check_round_trip(&cfg);
		config_free(&cfg);
	}
	config_free(&cfg);	/* harmless twice */
	free(buf);
	return 0;
}
