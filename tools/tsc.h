/* SPDX-License-Identifier: BSD-3-Clause */
/* Cheap timing for latency measurements: rdtsc calibrated against CLOCK_MONOTONIC. */
#ifndef KITE_TOOLS_TSC_H
#define KITE_TOOLS_TSC_H

#include <stdint.h>
#include <x86intrin.h>

static inline uint64_t tsc_now(void)
{
	return __rdtsc();
}

/* Ticks per nanosecond, measured over ~100 ms; 0 when the TSC is unusable. */
double tsc_calibrate(void);
/* Average cost of one tsc_now() and of one clock_gettime(), in ns. */
void tsc_read_cost(double ticks_per_ns, double *tsc_ns, double *clock_ns);
/* The kernel's clock source name, e.g. "tsc" or "kvm-clock". */
const char *clock_source(void);

#endif
