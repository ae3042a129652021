// SPDX-License-Identifier: BSD-3-Clause
/* libkite error reporting: errno-style codes plus a per-thread message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib_internal.h"

static _Thread_local char last_error[512];
_Thread_local const char *kite_api_call;

static void log_stderr(int level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	fprintf(stderr, "libkite: %s\n", msg);
}

static void (*log_fn)(int, const char *, void *) = log_stderr;
static void *log_arg;

void kite_set_log(void (*fn)(int level, const char *msg, void *arg), void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

void kite_log(int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, msg, log_arg);
}

int kite_err(int code, const char *fmt, ...)
{
	char msg[sizeof(last_error) - 40];	/* room for the call's name */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kite_api_call && strncmp(msg, "kite_", 5))
		snprintf(last_error, sizeof(last_error), "%s: %s", kite_api_call, msg);
	else
		snprintf(last_error, sizeof(last_error), "%s", msg);
	return code;
}

const char *kite_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

const char *kite_strerror(int err)
{
	long code = err < 0 ? -(long)err : err;	/* -INT_MIN does not fit an int */

	switch (code) {
	case 0:
		return "success";
	case ENODEV:
		return "not a kite card, or an incompatible contract version";
	case EPROTONOSUPPORT:
		return "device backend not available in this build";
	case EBUSY:
		return "resource in use by another owner";
	case EIO:
		return "the card refused the request";
	case ETIMEDOUT:
		return "the card did not answer in time";
	case EAGAIN:
		return "no room now, retry after completions";
	default:
		return code > 4095 ? "unknown error" : strerror((int)code);
	}
}
