// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-emu --trace FILE: every change software makes to the card's writable
 * registers and doorbells, as the card sees it, timestamped and decoded by
 * name (for firmware debugging: which write did the driver do, in what
 * order). The model reads its BARs at each control scan, so what is logged is
 * the state each scan found, in register order within a scan: two writes of
 * one register between two scans show as the last one, and doorbells as
 * their newest count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_internal.h"
#include "kite/regtab.h"

/* what the registers and doorbells held after the last scan */
struct emu_trace {
	FILE *f;
	uint8_t shadow[KITE_BAR_CTRL_SIZE + KITE_BAR_DB_SIZE];
};

int emu_trace_open(struct kite_emu *e, const char *path, char *msg, size_t msglen)
{
	struct emu_trace *t = calloc(1, sizeof(*t));

	if (!t || !(t->f = fopen(path, "we"))) {
		snprintf(msg, msglen, "cannot write the trace %s", path);
		free(t);
		return -1;
	}
	setvbuf(t->f, NULL, _IOLBF, 0);
	e->trace = t;
	return 0;
}

void emu_trace_close(struct kite_emu *e)
{
	if (!e->trace)
		return;
	fclose(e->trace->f);
	free(e->trace);
	e->trace = NULL;
}

static void line(struct emu_trace *t, const char *name, uint64_t v, unsigned int bits, int reg)
{
	struct timespec ts;
	int f;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(t->f, "%lld.%09ld %s <- 0x%0*llx", (long long)ts.tv_sec, ts.tv_nsec, name,
		(int)bits / 4, (unsigned long long)v);
	for (f = 0; reg >= 0 && f < KITE_NFIELDS; f++) {
		const struct kite_field_info *x = &kite_fields[f];
		uint64_t val;
		size_t i;
		const char *e = NULL;

		if (x->reg != reg)
			continue;
		val = (v >> x->lsb) & ((1ULL << x->width) - 1);
		for (i = 0; i < KITE_NENUMS && !e; i++)
			if (kite_enums[i].field == f && kite_enums[i].value == val)
				e = kite_enums[i].name;
		if (e)
			fprintf(t->f, " %s=%s", x->name, e);
		else
			fprintf(t->f, " %s=%llu", x->name, (unsigned long long)val);
	}
	fputc('\n', t->f);
}

/* At the start of a scan: log what software changed since the last one. */
void emu_trace_scan(struct kite_emu *e)
{
	/* §4, at offsets 0, 4, 8, 12 of each doorbell page */
	static const char *const dbs[4] = { "TX_TAIL", "RX_TAIL", "PIO_TAIL", "RXS_CREDIT" };
	struct emu_trace *t = e->trace;
	char name[64];
	unsigned int i, k;

	for (i = 0; i < KITE_NREGS; i++) {
		const struct kite_reg_info *r = &kite_regs[i];

		if (r->access == KITE_ACC_RO)
			continue;
		for (k = 0; k < r->count; k++) {
			uint32_t off = r->offset + k * r->stride;
			size_t n = r->bits / 8;

			uint64_t v = n == 8 ? r64(e, off) : r32(e, off);

			if (!memcmp(&v, t->shadow + off, n))
				continue;
			memcpy(t->shadow + off, &v, n);	/* exactly what was logged */
			snprintf(name, sizeof(name), r->count > 1 ? "%s[%u]" : "%s", r->name, k);
			line(t, name, v, r->bits, (int)i);
		}
	}
	for (k = 0; k < KITE_MAX_QUEUES; k++) {
		for (i = 0; i < 4; i++) {
			uint32_t off = KITE_BAR_CTRL_SIZE + k * KITE_DB_PAGE_SIZE + i * 4;

			uint32_t v = *(volatile uint32_t *)(e->bar + off);

			if (!memcmp(&v, t->shadow + off, 4))
				continue;
			memcpy(t->shadow + off, &v, 4);
			snprintf(name, sizeof(name), "DB[%u].%s", k, dbs[i]);
			line(t, name, v, 32, -1);
		}
	}
}

/*
 * What the card itself writes is not software's doing: after a reset (every
 * register) and for the registers the card writes back (TIME_ADJ, GCTRL).
 * Copying only then, not after every scan, keeps a write that lands during a
 * scan for the next one.
 */
void emu_trace_settle(struct kite_emu *e)
{
	if (e->trace)
		memcpy(e->trace->shadow, e->bar, sizeof(e->trace->shadow));
}

void emu_trace_card_wrote(struct kite_emu *e, uint32_t off, unsigned int bits)
{
	if (e->trace)
		memcpy(e->trace->shadow + off, e->bar + off, bits / 8);
}
