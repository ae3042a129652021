// SPDX-License-Identifier: BSD-3-Clause
/* kite-net errors: errno-style codes plus a per-thread message. */
#include <stdarg.h>
#include <stdio.h>

#include "net_internal.h"

static _Thread_local char last_error[512];

int kn_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

const char *kn_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

static const char *const stat_names[] = {
#define KN_STAT_NAME(id, name, help) name,
	KN_STATS(KN_STAT_NAME)
#undef KN_STAT_NAME
};

static const char *const stat_help[] = {
#define KN_STAT_HELP(id, name, help) help,
	KN_STATS(KN_STAT_HELP)
#undef KN_STAT_HELP
};

const char *kn_stat_name(unsigned int i)
{
	return i < KN_STAT_COUNT ? stat_names[i] : NULL;
}

const char *kn_stat_help(unsigned int i)
{
	return i < KN_STAT_COUNT ? stat_help[i] : NULL;
}
