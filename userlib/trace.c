// SPDX-License-Identifier: BSD-3-Clause
/*
 * KITE_TRACE=FILE: every register write libkite makes itself (the control
 * path of the emu, uio and vfio backends, and kite_reg_write), appended to
 * FILE with a CLOCK_MONOTONIC timestamp and decoded by name, so a firmware
 * engineer can see which writes a driver did, in what order:
 *   12.345678901 emu:/tmp/kite-emu.sock Q_CTRL[1] <- 0x08080001 ENABLE=1 PORT=0 ...
 * The hot path (doorbells) is never traced; kite.ko's own writes are its own
 * (kite-emu --trace sees every write the card gets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib_internal.h"
#include "kite/regtab.h"

void kite_trace_open(struct kite_dev *dev, const char *devstr)
{
	const char *path = getenv("KITE_TRACE");

	if (!path || !*path)
		return;
	dev->trace = fopen(path, "ae");
	if (!dev->trace) {
		kite_log(KITE_LOG_WARNING, "KITE_TRACE=%s: cannot open it; not tracing", path);
		return;
	}
	setvbuf(dev->trace, NULL, _IOLBF, 0);
	snprintf(dev->trace_name, sizeof(dev->trace_name), "%s", devstr);
}

void kite_trace_close(struct kite_dev *dev)
{
	if (dev->trace)
		fclose(dev->trace);
	dev->trace = NULL;
}

void kite_trace_write(struct kite_dev *dev, uint32_t off, uint64_t v, unsigned int bits)
{
	char name[64] = "", fields[256] = "";
	struct timespec ts;
	size_t n = 0;
	int i, f;

	for (i = 0; i < KITE_NREGS && !name[0]; i++) {
		const struct kite_reg_info *r = &kite_regs[i];
		uint32_t k = r->stride ? (off - r->offset) / r->stride : 0;

		if (off < r->offset || k >= r->count || off != r->offset + k * r->stride)
			continue;
		if (r->count > 1)
			snprintf(name, sizeof(name), "%s[%u]", r->name, k);
		else
			snprintf(name, sizeof(name), "%s", r->name);
		for (f = 0; f < KITE_NFIELDS && n < sizeof(fields); f++) {
			const struct kite_field_info *x = &kite_fields[f];
			uint64_t val;

			if (x->reg != i)
				continue;
			val = (v >> x->lsb) & ((1ULL << x->width) - 1);
			if (strcmp(kite_enum_name((unsigned int)f, (unsigned int)val), "UNKNOWN"))
				n += (size_t)snprintf(fields + n, sizeof(fields) - n, " %s=%s", x->name,
						      kite_enum_name((unsigned int)f, (unsigned int)val));
			else
				n += (size_t)snprintf(fields + n, sizeof(fields) - n, " %s=%llu",
						      x->name, (unsigned long long)val);
		}
	}
	if (!name[0])
		snprintf(name, sizeof(name), "0x%04x", off);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(dev->trace, "%lld.%09ld %s %s <- 0x%0*llx%s\n", (long long)ts.tv_sec, ts.tv_nsec,
		dev->trace_name, name, (int)bits / 4, (unsigned long long)v, fields);
}
