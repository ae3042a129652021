/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Time for every userspace part of kite (libkite's control path, kite-emu,
 * the tools, tests and benchmarks): CLOCK_MONOTONIC and CLOCK_REALTIME in ns,
 * and the TSC measured against the first. Header-only; not installed.
 */
#ifndef KITE_COMMON_CLOCK_H
#define KITE_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

static inline uint64_t kite_ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

static inline uint64_t kite_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return kite_ts_ns(&ts);
}

/* UTC as the system keeps it (the card clock's reference, userlib/clock.c) */
static inline uint64_t kite_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return kite_ts_ns(&ts);
}

static inline double kite_mono_s(void)
{
	return (double)kite_mono_ns() / 1e9;
}

/* Spin for at least window_ns; *ns and *ticks get the time and TSC ticks that passed. */
static inline void kite_tsc_measure(uint64_t window_ns, uint64_t *ns, uint64_t *ticks)
{
	uint64_t t0 = kite_mono_ns(), c0 = __rdtsc(), t1;

	do {
		t1 = kite_mono_ns();
	} while (t1 - t0 < window_ns);
	*ticks = __rdtsc() - c0;
	*ns = t1 - t0;
}

#endif
