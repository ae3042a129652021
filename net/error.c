// SPDX-License-Identifier: BSD-3-Clause
/* kite-net errors: errno-style codes plus a per-thread message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "net_internal.h"

static _Thread_local char last_error[512];
/* the retry paths' messages are made when asked for, not on each -EAGAIN */
static _Thread_local const char *last_const;
static _Thread_local uint32_t last_resolving;

int kn_err(int code, const char *fmt, ...)
{
	va_list ap;

	last_const = NULL;
	last_resolving = 0;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

int kn_err_const(int code, const char *msg)
{
	last_const = msg;
	last_resolving = 0;
	return code;
}

int kn_err_resolving(uint32_t hop)
{
	last_const = NULL;
	last_resolving = hop;
	return -EAGAIN;
}

const char *kn_last_error(void)
{
	if (last_const)
		return last_const;
	if (last_resolving) {
		uint32_t a = last_resolving;

		snprintf(last_error, sizeof(last_error),
			 "kite-net: resolving %u.%u.%u.%u (ARP), retry", a >> 24, a >> 16 & 0xff,
			 a >> 8 & 0xff, a & 0xff);
		last_resolving = 0;
	}
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
