/* SPDX-License-Identifier: BSD-3-Clause */
/* What hw/kite_hw.c takes from the kernel, in userspace (libkite, the fuzzer). */
#ifndef KITE_HW_OSDEP_USER_H
#define KITE_HW_OSDEP_USER_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define __printf(a, b) __attribute__((format(printf, a, b)))

#endif
