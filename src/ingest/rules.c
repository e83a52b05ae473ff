/*
 * rules.c - the operator's exclusions a recognised login or logout must
 * pass before it reaches the database: ignore_networks (inline networks
 * and the files they name) and ignore_users. Called by the login sink
 * for every source and by popgated -T, so both decide alike.
 */
#include <string.h>

#include "ingest.h"

static int network_ignored(const struct config *cfg, const struct addr *a)
{
	for (size_t i = 0; i < cfg->ignore_networks.n; i++)
		if (net_contains(&cfg->ignore_networks.v[i], a))
			return 1;
	return 0;
}

/* user_ignored - exact, case-sensitive: the name as the server logged it */
static int user_ignored(const struct config *cfg, const char *user)
{
	if (user[0] == '\0')
		return 0;
	for (size_t i = 0; i < cfg->ignore_users.n; i++)
		if (strcmp(cfg->ignore_users.v[i], user) == 0)
			return 1;
	return 0;
}

enum ingest_outcome ingest_rules(const struct config *cfg,
				 const struct match_result *r)
{
	if (network_ignored(cfg, &r->addr))
		return INGEST_IGNORED;
	if (user_ignored(cfg, r->user))
		return INGEST_IGNORED_USER;
	return r->kind == MATCH_LOGOUT ? INGEST_LOGOUT : INGEST_LOGIN;
}
