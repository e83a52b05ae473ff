/*
 * rules.c - the operator's per-user exclusion: ignore_users, checked by
 * the login sink for every login and logout, whatever its source
 * (ignore_networks, inline or from files, is the sink's address rule).
 */
#include <string.h>

#include "rules.h"

int rules_user_ignored(const struct config *cfg, const char *user)
{
	if (user == NULL || user[0] == '\0')
		return 0;
	for (size_t i = 0; i < cfg->ignore_users.n; i++)
		if (strcmp(cfg->ignore_users.v[i], user) == 0)
			return 1;
	return 0;
}
