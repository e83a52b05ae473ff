/*
 * rules.h - per-user exclusion for the login sink (rules.c).
 */
#ifndef POPGATE_RULES_H
#define POPGATE_RULES_H

#include "config.h"

/* rules_user_ignored - USER (NULL or empty: never) is in ignore_users:
 * compared exactly, as the server logged it */
int rules_user_ignored(const struct config *cfg, const char *user);

#endif
