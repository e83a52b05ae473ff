/*
 * version.h - the release both programs print with -V/--version.
 */
#ifndef POPGATE_VERSION_H
#define POPGATE_VERSION_H

#define POPGATE_VERSION "0.1.0"

#endif
