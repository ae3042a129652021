// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer target over the in-process NIC model (emu/): what a driver, a
 * buggy one included, can do to a card: write any writable register, write
 * rings, buffers and PIO slots, ring doorbells, let the card run. Built with
 * ASan+UBSan (`make fuzz`); the client's DMA memory sits between PROT_NONE
 * guard pages, so a model access outside a region faults here.
 *
 * Oracles, after every step of the model (hw-spec §3.7, "the card never loses
 * a frame silently"), on the loopback wire:
 *   frames received on the ports = frames delivered to queues + every drop
 *   counter (P_RX_DROP_NOMATCH/MTU/NOQ, Q_RX_DROP_NOBUF/BUFSZ);
 *   frames a port sent = frames it received (the cable loses nothing).
 *
 * Input: 16-byte operations { op, a, b(2), off(4), val(8) }, see run_op().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu.h"
#include "emu_internal.h"
#include "kite/regtab.h"

#define MEM_LEN		(1u << 20)
#define PAGE		4096u

struct op {
	uint8_t op, a;
	uint16_t b;
	uint32_t off;
	uint64_t val;
};

static struct kite_emu *emu;
static volatile uint8_t *bar;
static uint8_t *mem;
static uint64_t iova;

static void setup(void)
{
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_LOOPBACK };
	char msg[128];
	uint8_t *area;
	int fd;

	if (kite_emu_create(&cfg, &emu, msg, sizeof(msg))) {
		fprintf(stderr, "fuzz_model: %s\n", msg);
		abort();
	}
	bar = kite_emu_bars(emu);
	fd = memfd_create("fuzz", MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, MEM_LEN) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))
		abort();
	/* the model maps it itself; our view has guard pages on both sides */
	area = mmap(NULL, MEM_LEN + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mem = mmap(area + PAGE, MEM_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (area == MAP_FAILED || mem == MAP_FAILED || emu_dma_map(emu, 0, fd, MEM_LEN, 0, &iova))
		abort();
}

/* The writable register (RW or SC) at off, or NULL: software cannot write counters. */
static const struct kite_reg_info *writable(uint32_t off, unsigned int bits)
{
	unsigned int i, k;

	for (i = 0; i < KITE_NREGS; i++) {
		const struct kite_reg_info *r = &kite_regs[i];

		if (r->access == KITE_ACC_RO || r->bits != bits)
			continue;
		for (k = 0; k < r->count; k++)
			if (r->offset + k * r->stride == off)
				return r;
	}
	return NULL;
}

static uint64_t rd64(uint32_t off)
{
	return *(volatile uint64_t *)(bar + off);
}

static void check_accounting(void)
{
	uint64_t in = 0, out = 0, sent = 0;
	unsigned int p, q;

	for (p = 0; p < KITE_MAX_PORTS; p++) {
		in += rd64(KITE_R_AT(P_RX_PKTS, p));
		sent += rd64(KITE_R_AT(P_TX_PKTS, p));
		out += rd64(KITE_R_AT(P_RX_DROP_NOMATCH, p)) + rd64(KITE_R_AT(P_RX_DROP_MTU, p)) +
		       rd64(KITE_R_AT(P_RX_DROP_NOQ, p));
	}
	for (q = 0; q < KITE_MAX_QUEUES; q++)
		out += rd64(KITE_R_AT(Q_RX_PKTS, q)) + rd64(KITE_R_AT(Q_RX_DROP_NOBUF, q)) +
		       rd64(KITE_R_AT(Q_RX_DROP_BUFSZ, q));
	if (in != out || sent != in) {
		fprintf(stderr, "fuzz_model: frames received %llu, delivered or counted %llu, "
			"sent %llu\n", (unsigned long long)in, (unsigned long long)out,
			(unsigned long long)sent);
		abort();
	}
}

static void run_op(const struct op *o)
{
	uint32_t off = o->off % KITE_BAR_CTRL_SIZE;
	unsigned int q = o->a % KITE_MAX_QUEUES, i;
	volatile uint8_t *db = bar + KITE_BAR_CTRL_SIZE + q * KITE_DB_PAGE_SIZE;

	switch (o->op % 6) {
	case 0:	/* a 32-bit register; ring addresses are made to land near our memory */
		if (writable(off & ~3u, 32))
			*(volatile uint32_t *)(bar + (off & ~3u)) = (uint32_t)o->val;
		break;
	case 1:	/* a 64-bit register: IOVAs relative to our region half the time */
		if (writable(off & ~7u, 64))
			*(volatile uint64_t *)(bar + (off & ~7u)) =
				o->b & 1 ? iova + o->val % (MEM_LEN + PAGE) : o->val;
		break;
	case 2:	/* host memory: rings, buffers, descriptors with near IOVAs */
		memcpy(mem + o->off % (MEM_LEN - 8), &o->val, 8);
		if (o->b & 1)
			*(uint64_t *)(mem + (o->off % (MEM_LEN - 8) & ~7u)) =
				iova + o->val % (MEM_LEN + PAGE);
		break;
	case 3:	/* a doorbell */
		*(volatile uint32_t *)(db + (o->b % 3) * 4) = (uint32_t)o->val;
		break;
	case 4:	/* a PIO slot */
		*(volatile uint64_t *)(db + KITE_PIO_WINDOW +
				       (o->off % (KITE_PIO_SLOTS * KITE_PIO_SLOT_SIZE) & ~7u)) = o->val;
		break;
	case 5:	/* the card runs; queues it starts belong to our client */
		for (i = 0; i < KITE_MAX_QUEUES; i++)
			emu->q[i].owner = 0;
		for (i = 0; i <= o->a % 8u; i++) {
			kite_emu_step(emu);
			check_accounting();
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct op o;
	size_t i;

	if (!emu)
		setup();
	/* every input starts from a reset card and zeroed memory */
	*(volatile uint32_t *)(bar + KITE_R_GCTRL) = KITE_FPREP(KITE_GCTRL_RESET, 1);
	kite_emu_step(emu);
	memset(mem, 0, MEM_LEN);
	for (i = 0; i + sizeof(o) <= size; i += sizeof(o)) {
		memcpy(&o, data + i, sizeof(o));
		run_op(&o);
	}
	kite_emu_step(emu);
	check_accounting();
	return 0;
}
