// SPDX-License-Identifier: BSD-3-Clause
/* Checked command-line numbers (args.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

static void bad(const char *tool, char opt, const char *s, const char *why)
{
	fprintf(stderr, "%s: -%c '%s': %s\n", tool, opt, s, why);
	exit(2);
}

unsigned long arg_ulong(const char *tool, char opt, const char *s, unsigned long min,
			unsigned long max)
{
	char *end, why[96];
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	snprintf(why, sizeof(why), "not a number in %lu..%lu", min, max);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		bad(tool, opt, s, why);
	return v;
}

long arg_long(const char *tool, char opt, const char *s, long min, long max)
{
	char *end, why[96];
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	snprintf(why, sizeof(why), "not a number in %ld..%ld", min, max);
	if (errno || end == s || *end || v < min || v > max)
		bad(tool, opt, s, why);
	return v;
}

double arg_double(const char *tool, char opt, const char *s, double min, double max)
{
	char *end, why[96];
	double v;

	errno = 0;
	v = strtod(s, &end);
	snprintf(why, sizeof(why), "not a number in %g..%g", min, max);
	if (errno || end == s || *end || !(v >= min && v <= max))
		bad(tool, opt, s, why);
	return v;
}

void tool_version(int argc, char **argv, const char *tool)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--version")) {
			printf("%s (kite) %s\n", tool, KITE_VERSION_STRING);
			exit(0);
		}
	}
}
