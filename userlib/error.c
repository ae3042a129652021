// SPDX-License-Identifier: BSD-3-Clause
/* libkite error reporting: errno-style codes plus a per-thread message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib_internal.h"

static _Thread_local char last_error[512];

int kite_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
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
