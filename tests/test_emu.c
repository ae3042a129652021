// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-emu from the spec's side, without libkite: registers, descriptors and
 * completions written and read by hand as docs/hw-spec.md describes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "emu_internal.h"
#include "kite/regtab.h"

struct mfx {
	struct kite_emu *emu;
	volatile uint8_t *bar;
	uint8_t *mem;		/* client DMA memory */
	uint64_t iova;
	int fd;
};

#define MEM_LEN (1u << 20)

static uint32_t rd(struct mfx *f, uint32_t off)
{
	return *(volatile uint32_t *)(f->bar + off);
}

static uint64_t rd64(struct mfx *f, uint32_t off)
{
	return *(volatile uint64_t *)(f->bar + off);
}

static void wr(struct mfx *f, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(f->bar + off) = v;
}

static void wr64(struct mfx *f, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(f->bar + off) = v;
}

static int setup(void **state)
{
	struct mfx *f = calloc(1, sizeof(*f));
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_LOOPBACK };
	char msg[128];

	assert_int_equal(kite_emu_create(&cfg, &f->emu, msg, sizeof(msg)), 0);
	f->bar = kite_emu_bars(f->emu);
	f->fd = memfd_create("test", MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(f->fd, MEM_LEN), 0);
	assert_int_equal(fcntl(f->fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	f->mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	assert_true(f->mem != MAP_FAILED);
	assert_int_equal(emu_dma_map(f->emu, 0, f->fd, MEM_LEN, 0, &f->iova), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct mfx *f = *state;

	kite_emu_destroy(f->emu);
	munmap(f->mem, MEM_LEN);
	close(f->fd);
	free(f);
	return 0;
}

/* Layout used below: rings at fixed offsets of the client memory. */
enum { TXR = 0x0, TXCQ = 0x1000, RXR = 0x2000, RXCQ = 0x3000, PIOCQ = 0x4000, BUFS = 0x10000 };

static void start_queue(struct mfx *f, unsigned int q, unsigned int log2)
{
	f->emu->q[q].owner = 0;	/* claimed by the client that mapped the memory */
	wr64(f, KITE_R_AT(Q_TX_RING, q), f->iova + TXR);
	wr64(f, KITE_R_AT(Q_TX_CQ, q), f->iova + TXCQ);
	wr64(f, KITE_R_AT(Q_RX_RING, q), f->iova + RXR);
	wr64(f, KITE_R_AT(Q_RX_CQ, q), f->iova + RXCQ);
	wr64(f, KITE_R_AT(Q_PIO_CQ, q), f->iova + PIOCQ);
	wr(f, KITE_R_AT(Q_CTRL, q), 1 | log2 << 16 | log2 << 24);
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_AT(Q_STATUS, q)), 1);
}

static volatile uint32_t *db(struct mfx *f, unsigned int q, unsigned int off)
{
	return (volatile uint32_t *)(f->bar + KITE_BAR_CTRL_SIZE + q * KITE_DB_PAGE_SIZE + off);
}

static void test_power_on_values(void **state)
{
	struct mfx *f = *state;
	unsigned int i, k;

	for (i = 0; i < KITE_NREGS; i++) {
		const struct kite_reg_info *r = &kite_regs[i];

		if (i == KITE_RI_TIME)
			continue;
		for (k = 0; k < r->count; k++) {
			uint32_t off = r->offset + k * r->stride;
			uint64_t v = r->bits == 64 ? rd64(f, off) : rd(f, off);
			uint64_t want = r->reset + (i == KITE_RI_P_MAC ? k : 0);

			if (v != want)
				fail_msg("%s[%u] = 0x%llx after power on, spec says 0x%llx", r->name,
					 k, (unsigned long long)v, (unsigned long long)want);
		}
	}
}

static void test_clock_scratch_commit(void **state)
{
	struct mfx *f = *state;
	uint64_t t0, t1;

	wr(f, KITE_R_SCRATCH, 0xa5a55a5a);
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_SCRATCH), 0xa5a55a5a);
	t0 = rd64(f, KITE_R_TIME);
	wr64(f, KITE_R_TIME_ADJ, 1000000000ULL);
	kite_emu_step(f->emu);
	t1 = rd64(f, KITE_R_TIME);
	assert_true(t1 >= t0 + 1000000000ULL);
	assert_int_equal(rd64(f, KITE_R_TIME_ADJ), 0);
	wr64(f, KITE_R_TIME_ADJ, (uint64_t)-2000000000LL);	/* and back, past where it was */
	kite_emu_step(f->emu);
	assert_true(rd64(f, KITE_R_TIME) < t1 - 900000000ULL);
	wr(f, KITE_R_CFG_COMMIT, 5);
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_CFG_ACK), 5);
}

/* §3.4: TIME_ADJ is modulo 2^64; any sequence of writes is defined (UBSan build too). */
static void test_clock_wraps(void **state)
{
	struct mfx *f = *state;
	uint64_t t0, t1;
	int i;

	kite_emu_step(f->emu);	/* TIME runs from the first scan on */
	t0 = rd64(f, KITE_R_TIME);
	for (i = 0; i < 2; i++) {
		wr64(f, KITE_R_TIME_ADJ, (uint64_t)INT64_MAX);
		kite_emu_step(f->emu);
	}
	wr64(f, KITE_R_TIME_ADJ, 2);	/* 2 * (2^63 - 1) + 2 = 2^64: back where it was */
	kite_emu_step(f->emu);
	t1 = rd64(f, KITE_R_TIME);
	assert_true(t1 - t0 < 10000000000ULL);	/* within the 10 s the test could take */
}

/* §3.7: a frame that finds its queue's RX doorbell overflowed is counted. */
static void test_rx_overflow_counted(void **state)
{
	struct mfx *f = *state;
	struct kite_tx_desc *txr = (void *)(f->mem + TXR);
	uint8_t *tx = f->mem + BUFS;

	wr(f, KITE_R_AT(P_CTRL, 0), 1 | 1 << 1 | 1 << 8);	/* default queue 1 */
	wr(f, KITE_R_CFG_COMMIT, 1);
	start_queue(f, 1, 3);
	*db(f, 1, KITE_DB_RX_TAIL) = 100;	/* 100 buffers in an 8-entry ring */
	memset(tx, 0xff, 64);
	txr[0] = (struct kite_tx_desc){ .addr = f->iova + BUFS, .len = 64 };
	*db(f, 1, KITE_DB_TX_TAIL) = 1;
	kite_emu_step(f->emu);
	assert_int_equal(KITE_FGET(KITE_Q_STATUS_CAUSE, rd(f, KITE_R_AT(Q_STATUS, 1))),
			 KITE_Q_STATUS_CAUSE_RX_OVERFLOW);
	assert_int_equal(rd64(f, KITE_R_AT(P_RX_PKTS, 0)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(P_RX_DROP_NOQ, 0)), 1);
}

/* Client IOVAs never land inside an attached VM's RAM, however large it is. */
static void test_iova_above_guest_ram(void **state)
{
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_LOOPBACK };
	char path[] = "/tmp/kite-guest-ram-XXXXXX", msg[128];
	int ram = mkstemp(path), fd = memfd_create("test", MFD_ALLOW_SEALING);
	struct kite_emu *e;
	uint64_t iova;

	(void)state;
	assert_true(ram >= 0 && ftruncate(ram, 5ULL << 30) == 0);	/* sparse, 5 GiB */
	cfg.guest_ram_file = path;
	assert_int_equal(kite_emu_create(&cfg, &e, msg, sizeof(msg)), 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	assert_int_equal(emu_dma_map(e, 0, fd, 4096, 0, &iova), 0);
	assert_true(iova >= 5ULL << 30);
	kite_emu_destroy(e);
	close(fd);
	close(ram);
	unlink(path);
}

/* ---- hw-spec rules, one row each ------------------------------------------------- */

/* Queue 1 on port 0, 8-entry rings, unmatched frames to queue 1 (default). */
static void rule_setup(struct mfx *f)
{
	wr(f, KITE_R_AT(P_CTRL, 0), 1 | 1 << 1 | 1 << 8);
	wr(f, KITE_R_AT(P_CTRL, 1), 1);
	wr(f, KITE_R_CFG_COMMIT, 1);
	start_queue(f, 1, 3);
}

/* Post one RX buffer at memory offset off (IOVA of our region + off). */
static void post_rx(struct mfx *f, uint32_t slot, uint64_t addr, uint32_t count)
{
	struct kite_rx_desc *rxr = (void *)(f->mem + RXR);

	rxr[slot].addr = addr;
	*db(f, 1, KITE_DB_RX_TAIL) = count;
}

/* Send one frame of len bytes from IOVA addr (broadcast destination). */
static void send_from(struct mfx *f, uint32_t slot, uint64_t addr, uint32_t len, uint32_t count)
{
	struct kite_tx_desc *txr = (void *)(f->mem + TXR);

	txr[slot] = (struct kite_tx_desc){ .addr = addr, .len = (uint16_t)len };
	*db(f, 1, KITE_DB_TX_TAIL) = count;
	kite_emu_step(f->emu);
}

static void prep_frame(struct mfx *f, uint32_t off, uint32_t len)
{
	memset(f->mem + off, 0x5a, len);
	memset(f->mem + off, 0xff, 6);
}

#define TXBUF	(BUFS)
#define RXBUF	(BUFS + 0x8000)

/* §7: a buffer that starts inside the region and runs past its end faults. */
static void rule_dma_range_past_end(struct mfx *f)
{
	struct kite_cqe *txcq = (void *)(f->mem + TXCQ);

	send_from(f, 0, f->iova + MEM_LEN - 32, 64, 1);
	assert_int_equal(txcq[0].status, KITE_CQE_S_DMA_FAULT);
	assert_int_equal(rd64(f, KITE_R_FAULT_COUNT), 1);
	assert_int_equal(rd64(f, KITE_R_AT(FAULT_IOVA, 0)), f->iova + MEM_LEN - 32);
	assert_int_equal(rd64(f, KITE_R_AT(P_TX_PKTS, 0)), 0);
}

/* §5.3: a frame longer than the RX buffer is counted, and no buffer is written. */
static void rule_rx_frame_over_buffer(struct mfx *f)
{
	wr(f, KITE_R_AT(Q_CTRL, 1), 0);
	kite_emu_step(f->emu);
	wr(f, KITE_R_AT(Q_RX_BUF_SIZE, 1), 128);
	start_queue(f, 1, 3);
	memset(f->mem + RXBUF, 0xee, 4096);
	post_rx(f, 0, f->iova + RXBUF, 1);
	prep_frame(f, TXBUF, 200);
	send_from(f, 0, f->iova + TXBUF, 200, 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_DROP_BUFSZ, 1)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_PKTS, 1)), 0);
	assert_int_equal(f->mem[RXBUF], 0xee);
	assert_int_equal(f->mem[RXBUF + 128], 0xee);	/* nor the neighbour */
}

/* §6.1: a ring that is mapped but not 64-byte aligned is refused. */
static void rule_ring_misaligned(struct mfx *f)
{
	wr(f, KITE_R_AT(Q_CTRL, 1), 0);
	kite_emu_step(f->emu);
	wr64(f, KITE_R_AT(Q_RX_CQ, 1), f->iova + RXCQ + 8);
	wr(f, KITE_R_AT(Q_CTRL, 1), 1 | 3 << 16 | 3 << 24);
	kite_emu_step(f->emu);
	assert_int_equal(KITE_FGET(KITE_Q_STATUS_ERROR, rd(f, KITE_R_AT(Q_STATUS, 1))), 1);
	assert_int_equal(KITE_FGET(KITE_Q_STATUS_CAUSE, rd(f, KITE_R_AT(Q_STATUS, 1))),
			 KITE_Q_STATUS_CAUSE_DMA_FAULT);
}

/* §3.8: a filter matches frames received on its own port only. */
static void rule_filter_port(struct mfx *f)
{
	wr64(f, KITE_R_AT(F_KEY, 0), 0xffffffffffffULL);	/* broadcast */
	wr(f, KITE_R_AT(F_CTRL, 0), 1 | KITE_F_CTRL_TYPE_DST_MAC << 4 | 1 << 8 | 2 << 16);
	wr(f, KITE_R_CFG_COMMIT, 2);
	kite_emu_step(f->emu);
	post_rx(f, 0, f->iova + RXBUF, 1);
	prep_frame(f, TXBUF, 64);
	send_from(f, 0, f->iova + TXBUF, 64, 1);	/* loops back on port 0 */
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 0)), 0);
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_PKTS, 1)), 1);	/* the default queue */
}

/* §3.7: a frame that fails counts in tx_errors only, bytes and packets only when sent. */
static void rule_tx_counters(struct mfx *f)
{
	prep_frame(f, TXBUF, 64);
	send_from(f, 0, f->iova + TXBUF, 10, 1);	/* shorter than 14: BAD_LEN */
	assert_int_equal(rd64(f, KITE_R_AT(Q_TX_ERRORS, 1)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_TX_PKTS, 1)), 0);
	assert_int_equal(rd64(f, KITE_R_AT(Q_TX_BYTES, 1)), 0);
	send_from(f, 1, f->iova + TXBUF, 64, 2);
	assert_int_equal(rd64(f, KITE_R_AT(Q_TX_PKTS, 1)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_TX_BYTES, 1)), 64);
	assert_int_equal(rd64(f, KITE_R_AT(Q_TX_ERRORS, 1)), 1);
}

/* §5.3: RX completions carry length, index and PHASE; a frame with no buffer is counted. */
static void rule_rx_no_buffer(struct mfx *f)
{
	prep_frame(f, TXBUF, 64);
	send_from(f, 0, f->iova + TXBUF, 64, 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_DROP_NOBUF, 1)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(P_RX_PKTS, 0)), 1);
}

/* §3.8: a copy entry copies, and the frame still goes where later entries send it. */
static void rule_copy_filter(struct mfx *f)
{
	struct kite_cqe *rxcq = (void *)(f->mem + RXCQ);

	wr64(f, KITE_R_AT(F_KEY, 0), 0xffffffffffffULL);
	wr(f, KITE_R_AT(F_CTRL, 0), kite_f_ctrl(KITE_F_CTRL_TYPE_DST_MAC, 0, 1, 1));
	wr64(f, KITE_R_AT(F_KEY, 1), 0xffffffffffffULL);	/* the same key, steered */
	wr(f, KITE_R_AT(F_CTRL, 1), kite_f_ctrl(KITE_F_CTRL_TYPE_DST_MAC, 0, 1, 0));
	wr(f, KITE_R_CFG_COMMIT, 2);
	kite_emu_step(f->emu);
	post_rx(f, 0, f->iova + RXBUF, 1);
	post_rx(f, 1, f->iova + RXBUF + 2048, 2);
	prep_frame(f, TXBUF, 64);
	send_from(f, 0, f->iova + TXBUF, 64, 1);
	/* the copy (filter 0), then the frame itself (filter 1) */
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_PKTS, 1)), 2);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 0)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 1)), 1);
	assert_int_equal(rxcq[0].filter, 0);
	assert_int_equal(rxcq[1].filter, 1);
	assert_memory_equal(f->mem + RXBUF, f->mem + RXBUF + 2048, 64);
	/* no buffer left: the copy is counted as a copy lost, the frame as a frame */
	send_from(f, 1, f->iova + TXBUF, 64, 2);
	assert_int_equal(rd64(f, KITE_R_AT(P_RX_COPY_DROP, 0)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_DROP_NOBUF, 1)), 2);
	assert_int_equal(rd64(f, KITE_R_AT(P_RX_DROP_NOQ, 0)), 0);
}

/*
 * §3.8: TYPE ALL copies every frame of the port, even one an earlier entry
 * steers; as an ordinary entry it matches nothing.
 */
static void rule_copy_all(struct mfx *f)
{
	wr(f, KITE_R_AT(F_CTRL, 0), kite_f_ctrl(KITE_F_CTRL_TYPE_ALL, 0, 2, 0));
	wr64(f, KITE_R_AT(F_KEY, 1), 0xffffffffffffULL);
	wr(f, KITE_R_AT(F_CTRL, 1), kite_f_ctrl(KITE_F_CTRL_TYPE_DST_MAC, 0, 1, 0));
	wr(f, KITE_R_AT(F_CTRL, 2), kite_f_ctrl(KITE_F_CTRL_TYPE_ALL, 0, 1, 1));
	wr(f, KITE_R_CFG_COMMIT, 2);
	kite_emu_step(f->emu);
	post_rx(f, 0, f->iova + RXBUF, 1);
	post_rx(f, 1, f->iova + RXBUF + 2048, 2);
	prep_frame(f, TXBUF, 64);
	send_from(f, 0, f->iova + TXBUF, 64, 1);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 0)), 0);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 1)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 2)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_PKTS, 1)), 2);	/* the copy and the frame */
	assert_int_equal(rd64(f, KITE_R_AT(P_RX_DROP_NOQ, 0)), 0);	/* nothing to queue 2 */
}

/* §3.8: an entry a commit changes counts its hits afresh; an unchanged one keeps counting. */
static void rule_hits_restart(struct mfx *f)
{
	wr64(f, KITE_R_AT(F_KEY, 0), 0xffffffffffffULL);
	wr(f, KITE_R_AT(F_CTRL, 0), kite_f_ctrl(KITE_F_CTRL_TYPE_DST_MAC, 0, 1, 0));
	wr(f, KITE_R_CFG_COMMIT, 2);
	post_rx(f, 0, f->iova + RXBUF, 1);
	prep_frame(f, TXBUF, 64);
	send_from(f, 0, f->iova + TXBUF, 64, 1);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 0)), 1);
	wr(f, KITE_R_CFG_COMMIT, 3);		/* a commit that changes nothing */
	kite_emu_step(f->emu);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 0)), 1);
	wr(f, KITE_R_AT(F_CTRL, 0), kite_f_ctrl(KITE_F_CTRL_TYPE_DST_MAC, 0, 2, 0));
	wr(f, KITE_R_CFG_COMMIT, 4);		/* the entry now steers elsewhere */
	kite_emu_step(f->emu);
	assert_int_equal(rd64(f, KITE_R_AT(F_HITS, 0)), 0);
}

struct rule {
	const char *desc;
	void (*run)(struct mfx *f);
};

static const struct rule rules[] = {
	{ "§7 a DMA range running past its region's end faults", rule_dma_range_past_end },
	{ "§5.3 a frame over the RX buffer size is counted, no buffer written",
	  rule_rx_frame_over_buffer },
	{ "§6.1 a mapped but misaligned ring is refused", rule_ring_misaligned },
	{ "§3.8 a filter steers frames of its own port only", rule_filter_port },
	{ "§3.7 a failed frame counts in tx_errors only", rule_tx_counters },
	{ "§3.7 a frame without an RX buffer is counted", rule_rx_no_buffer },
	{ "§3.8 a copy filter copies; the frame goes on; a lost copy is counted",
	  rule_copy_filter },
	{ "§3.8 TYPE ALL copies every frame; not a copy, it matches nothing", rule_copy_all },
	{ "§3.8 a changed entry's F_HITS starts again", rule_hits_restart },
};

/* Each rule on a freshly reset card; a failing row names its rule. */
static void test_spec_rules(void **state)
{
	struct mfx *f = *state;
	unsigned int i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		print_message("rule: %s\n", rules[i].desc);
		wr(f, KITE_R_GCTRL, 1);
		kite_emu_step(f->emu);
		memset(f->mem, 0, MEM_LEN);
		rule_setup(f);
		rules[i].run(f);
	}
}

/* kite-emu --contract 1.1: a card without copy filters, as older software and fallbacks see it. */
static void test_older_contract(void **state)
{
	struct kite_emu_config cfg = { .contract_minor = 1 };
	struct kite_emu *e;
	char msg[128];

	(void)state;
	assert_int_equal(kite_emu_create(&cfg, &e, msg, sizeof(msg)), 0);
	assert_int_equal(r32(e, KITE_R_ID_VERSION), 0x00010001);
	assert_int_equal(KITE_FGET(KITE_ID_FEATURES_COPY_FILTERS, r32(e, KITE_R_ID_FEATURES)), 0);
	w32(e, KITE_R_AT(F_CTRL, 0), kite_f_ctrl(KITE_F_CTRL_TYPE_UDP_DST, 0, 1, 1));
	emu_apply_config(e);
	assert_false(e->filter[0].copy);	/* bit 1 means nothing to a v1.1 card */
	kite_emu_destroy(e);
}

static void test_bad_config_and_fault(void **state)
{
	struct mfx *f = *state;
	uint32_t st, info;

	wr(f, KITE_R_AT(Q_CTRL, 2), 1 | 2 << 16 | 3 << 24);	/* TX_LOG2 = 2: too small */
	kite_emu_step(f->emu);
	st = rd(f, KITE_R_AT(Q_STATUS, 2));
	assert_int_equal(KITE_FGET(KITE_Q_STATUS_ERROR, st), 1);
	assert_int_equal(KITE_FGET(KITE_Q_STATUS_CAUSE, st), KITE_Q_STATUS_CAUSE_BAD_CONFIG);
	wr(f, KITE_R_AT(Q_CTRL, 2), 0);
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_AT(Q_STATUS, 2)), 0);	/* error cleared */
	/* rings at IOVA 0x1000: nothing is mapped there */
	wr64(f, KITE_R_AT(Q_TX_RING, 2), 0x1000);
	wr(f, KITE_R_AT(Q_CTRL, 2), 1 | 3 << 16 | 3 << 24);
	kite_emu_step(f->emu);
	st = rd(f, KITE_R_AT(Q_STATUS, 2));
	assert_int_equal(KITE_FGET(KITE_Q_STATUS_CAUSE, st), KITE_Q_STATUS_CAUSE_DMA_FAULT);
	assert_int_equal(rd64(f, KITE_R_FAULT_COUNT), 1);
	assert_int_equal(rd64(f, KITE_R_AT(FAULT_IOVA, 0)), 0x1000);
	info = rd(f, KITE_R_AT(FAULT_INFO, 0));
	assert_int_equal(KITE_FGET(KITE_FAULT_INFO_QUEUE, info), 2);
	assert_int_equal(KITE_FGET(KITE_FAULT_INFO_SOURCE, info), KITE_FAULT_INFO_SOURCE_TX_DESC);
	assert_int_equal(rd(f, KITE_R_AT(FAULT_SEQ, 0)), 1);
}

/* §5: hand-written descriptors through 8-entry rings; phases flip per wrap. */
static void test_descriptors_and_phase(void **state)
{
	struct mfx *f = *state;
	struct kite_tx_desc *txr = (void *)(f->mem + TXR);
	struct kite_rx_desc *rxr = (void *)(f->mem + RXR);
	struct kite_cqe *txcq = (void *)(f->mem + TXCQ), *rxcq = (void *)(f->mem + RXCQ);
	uint32_t i;

	wr(f, KITE_R_AT(P_CTRL, 0), 1 | 1 << 1 | 1 << 8);	/* default queue 1 */
	wr(f, KITE_R_CFG_COMMIT, 1);
	start_queue(f, 1, 3);
	for (i = 0; i < 20; i++) {
		uint8_t *tx = f->mem + BUFS + (i % 8) * 2048, *rx = f->mem + BUFS + 0x8000 + (i % 8) * 2048;

		memset(tx, 0, 64);
		memset(tx, (int)i + 1, 6);
		tx[12] = 0x88;
		tx[13] = 0xb5;
		rxr[i % 8].addr = f->iova + BUFS + 0x8000 + (i % 8) * 2048;
		*db(f, 1, KITE_DB_RX_TAIL) = i + 1;
		txr[i % 8] = (struct kite_tx_desc){ .addr = f->iova + BUFS + (i % 8) * 2048,
						    .len = 60 + i };
		*db(f, 1, KITE_DB_TX_TAIL) = i + 1;
		assert_int_equal(kite_emu_step(f->emu), 1);
		assert_int_equal(txcq[i % 8].flags & KITE_CQE_F_PHASE, KITE_CQE_PHASE(i, 3));
		assert_int_equal(txcq[i % 8].status, 0);
		assert_int_equal(txcq[i % 8].index, i);
		assert_int_equal(rxcq[i % 8].flags & KITE_CQE_F_PHASE, KITE_CQE_PHASE(i, 3));
		assert_int_equal(rxcq[i % 8].len, 60 + i);
		assert_int_equal(rxcq[i % 8].filter, KITE_CQE_NO_FILTER);
		assert_true(rxcq[i % 8].flags & KITE_CQE_F_TS);
		assert_true(rxcq[i % 8].ts >= txcq[i % 8].ts);
		assert_memory_equal(rx, tx, 60 + i);
	}
	assert_int_equal(rd(f, KITE_R_AT(Q_TX_HEAD, 1)), 20);
	assert_int_equal(rd64(f, KITE_R_AT(Q_RX_PKTS, 1)), 20);
	assert_int_equal(rd64(f, KITE_R_AT(P_TX_PKTS, 0)), 20);
	/* tail more than a ring ahead: overflow stops the queue */
	*db(f, 1, KITE_DB_TX_TAIL) = 20 + 9;
	kite_emu_step(f->emu);
	assert_int_equal(KITE_FGET(KITE_Q_STATUS_CAUSE, rd(f, KITE_R_AT(Q_STATUS, 1))),
			 KITE_Q_STATUS_CAUSE_TX_OVERFLOW);
}

static void test_pio_window(void **state)
{
	struct mfx *f = *state;
	struct kite_rx_desc *rxr = (void *)(f->mem + RXR);
	struct kite_cqe *piocq = (void *)(f->mem + PIOCQ), *rxcq = (void *)(f->mem + RXCQ);
	volatile uint8_t *slot = f->bar + KITE_BAR_CTRL_SIZE + KITE_PIO_WINDOW;
	unsigned int i;

	wr(f, KITE_R_AT(P_CTRL, 0), 1 | 1 << 1);	/* default queue 0 */
	wr(f, KITE_R_CFG_COMMIT, 1);
	start_queue(f, 0, 3);
	rxr[0].addr = f->iova + BUFS;
	*db(f, 0, KITE_DB_RX_TAIL) = 1;
	*(volatile uint64_t *)slot = 64;	/* header: len 64, flags 0 */
	for (i = 0; i < 64; i++)
		slot[KITE_PIO_HDR_SIZE + i] = (uint8_t)i;
	*db(f, 0, KITE_DB_PIO_TAIL) = 1;
	assert_int_equal(kite_emu_step(f->emu), 1);
	assert_int_equal(piocq[0].flags & KITE_CQE_F_PHASE, KITE_CQE_F_PHASE);
	assert_int_equal(piocq[0].status, 0);
	assert_int_equal(rxcq[0].len, 64);
	for (i = 0; i < 64; i++)
		assert_int_equal(f->mem[BUFS + i], i);
	/* a header claiming 249 bytes is refused with BAD_LEN, nothing sent */
	*(volatile uint64_t *)(slot + KITE_PIO_SLOT_SIZE) = KITE_PIO_MAX_FRAME + 1;
	*db(f, 0, KITE_DB_PIO_TAIL) = 2;
	kite_emu_step(f->emu);
	assert_int_equal(piocq[1].status, KITE_CQE_S_BAD_LEN);
	assert_int_equal(rd64(f, KITE_R_AT(Q_PIO_PKTS, 0)), 1);
	assert_int_equal(rd64(f, KITE_R_AT(Q_TX_ERRORS, 0)), 1);
}

/*
 * The bus a real card would see (kite_emu_bus_counts): a descriptor round trip
 * costs two non-posted reads (the descriptor's line, the buffer); PIO none.
 */
static void test_bus_counts(void **state)
{
	struct mfx *f = *state;
	struct kite_rx_desc *rxr = (void *)(f->mem + RXR);
	volatile uint8_t *slot = f->bar + KITE_BAR_CTRL_SIZE + KITE_PIO_WINDOW;
	struct kite_emu_bus b;

	wr(f, KITE_R_AT(P_CTRL, 0), 1 | 1 << 1);	/* default queue 0 */
	wr(f, KITE_R_CFG_COMMIT, 1);
	start_queue(f, 0, 3);
	rxr[0].addr = f->iova + BUFS;
	rxr[1].addr = f->iova + BUFS + 2048;
	*db(f, 0, KITE_DB_RX_TAIL) = 2;
	prep_frame(f, TXBUF, 64);
	((struct kite_tx_desc *)(f->mem + TXR))[0] =
		(struct kite_tx_desc){ .addr = f->iova + TXBUF, .len = 64 };
	*db(f, 0, KITE_DB_TX_TAIL) = 1;
	kite_emu_step(f->emu);
	assert_int_equal(kite_emu_bus_counts(f->emu, 0, &b), 0);
	assert_int_equal(b.mmio_writes, 2);		/* the TX and RX doorbells */
	assert_int_equal(b.dma_reads, 2);		/* descriptor line, buffer */
	assert_int_equal(b.dma_read_bytes, 64 + 64);
	assert_int_equal(b.dma_reads_ahead, 1);		/* the RX descriptors' line */
	assert_int_equal(b.dma_writes, 3);		/* TX completion, RX buffer, RX completion */
	assert_int_equal(b.dma_write_bytes, 16 + 64 + 16);
	/* PIO: the 8-byte header and 64-byte frame are two 64-byte bursts, then the doorbell */
	*(volatile uint64_t *)slot = 64;
	*db(f, 0, KITE_DB_PIO_TAIL) = 1;
	kite_emu_step(f->emu);
	assert_int_equal(kite_emu_bus_counts(f->emu, 0, &b), 0);
	assert_int_equal(b.mmio_writes, 2 + 3);
	assert_int_equal(b.dma_reads, 2);		/* none more */
	assert_int_equal(b.dma_writes, 3 + 3);		/* PIO completion, RX buffer, completion */
	assert_int_equal(kite_emu_bus_counts(f->emu, KITE_MAX_QUEUES, &b), -EINVAL);
}

static void test_reset(void **state)
{
	struct mfx *f = *state;

	start_queue(f, 3, 4);
	wr(f, KITE_R_AT(P_MTU, 1), 9000);
	wr(f, KITE_R_AT(F_CTRL, 7), 0x31);
	wr(f, KITE_R_SCRATCH, 7);
	wr(f, KITE_R_CFG_COMMIT, 3);
	kite_emu_step(f->emu);
	wr(f, KITE_R_GCTRL, 1);
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_GCTRL), 0);
	assert_int_equal(rd(f, KITE_R_AT(Q_STATUS, 3)), 0);
	assert_int_equal(rd(f, KITE_R_AT(Q_CTRL, 3)), 0);
	assert_int_equal(rd(f, KITE_R_AT(P_MTU, 1)), 1500);
	assert_int_equal(rd(f, KITE_R_AT(F_CTRL, 7)), 0);
	assert_int_equal(rd(f, KITE_R_SCRATCH), 0);
	assert_int_equal(rd(f, KITE_R_CFG_ACK), 0);
	assert_int_equal(KITE_FGET(KITE_GSTATUS_RESETS, rd(f, KITE_R_GSTATUS)), 1);
	assert_int_equal(KITE_FGET(KITE_GSTATUS_READY, rd(f, KITE_R_GSTATUS)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_on_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_scratch_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_overflow_counted, setup, teardown),
		cmocka_unit_test(test_iova_above_guest_ram),
		cmocka_unit_test(test_older_contract),
		cmocka_unit_test_setup_teardown(test_spec_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config_and_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptors_and_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pio_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests_name("kite-emu model", tests, NULL, NULL);
}
