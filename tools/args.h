/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line numbers for the tools: parsed whole and range-checked, with a
 * message naming the option and the range (no atoi: "-q abc" is not queue 0).
 * On a bad value they print "TOOL: -OPT 'VALUE': ..." and exit with status 2.
 */
#ifndef KITE_TOOLS_ARGS_H
#define KITE_TOOLS_ARGS_H

unsigned long arg_ulong(const char *tool, char opt, const char *s, unsigned long min,
			unsigned long max);
long arg_long(const char *tool, char opt, const char *s, long min, long max);
double arg_double(const char *tool, char opt, const char *s, double min, double max);

/* "--version" anywhere on the command line: print "TOOL (kite) VERSION", exit 0 */
void tool_version(int argc, char **argv, const char *tool);

#endif
