// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "sysfs.h"
#include "tsc.h"

double tsc_calibrate(void)
{
	uint64_t ns, ticks;

	kite_tsc_measure(100000000ULL, &ns, &ticks);
	return (double)ticks / (double)ns;
}

void tsc_read_cost(double ticks_per_ns, double *tsc_ns, double *clock_ns)
{
	enum { N = 100000 };
	volatile uint64_t sink = 0;
	uint64_t c0, c1;
	int i;

	c0 = tsc_now();
	for (i = 0; i < N; i++)
		sink += tsc_now();
	c1 = tsc_now();
	*tsc_ns = (double)(c1 - c0) / ticks_per_ns / N;
	c0 = tsc_now();
	for (i = 0; i < N; i++)
		sink += kite_mono_ns();
	c1 = tsc_now();
	*clock_ns = (double)(c1 - c0) / ticks_per_ns / N;
	(void)sink;
}

const char *clock_source(void)
{
	static char name[64];

	if (kite_read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			   name, sizeof(name)) || !name[0])
		strcpy(name, "unknown");
	return name;
}
