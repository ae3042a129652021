/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * The card's control sequences (hw-spec §3 and §6.1), written once and
 * compiled unchanged into kite.ko, uio_kite.ko and libkite, the way Intel's
 * ixgbe/i40e "base" code builds into both Linux and DPDK. Each environment
 * supplies only the accessors in struct kite_hw_os: register access, time,
 * a pause between polls, and where messages go. Control path only: the data
 * path never comes here. kite-emu stays an independent implementation of
 * the spec, so that it tests this code rather than mirrors it.
 *
 * Every wait is bounded by the time hw-spec §3.11 gives the card, times the
 * environment's slack (1 for a card; the software model shares CPUs with
 * its clients and gets more). Errors are negative errnos; hw->msg then says
 * what was seen, e.g. "queue 3 did not stop within 10 ms: Q_STATUS 0x00000101".
 * -ENODEV: the card left the bus (all-ones reads); it cannot DMA any more.
 * A failed kite_hw_queue_start that leaves hw->may_run set: the queue neither
 * started nor stopped, so the card may still use its rings; the caller must
 * reset the card or keep the memory.
 */
#ifndef KITE_HW_LAYER_H
#define KITE_HW_LAYER_H

#include "kite/hw.h"

struct kite_hw_os {
	__u32 (*rd32)(void *os, __u32 off);
	void (*wr32)(void *os, __u32 off, __u32 v);
	void (*wr64)(void *os, __u32 off, __u64 v);
	__u64 (*now_ns)(void *os);		/* monotonic */
	void (*pause)(void *os);		/* between two polls: sleep, yield or step */
	void (*fence)(void *os);		/* our writes visible before our next read */
};

struct kite_hw {
	const struct kite_hw_os *os_ops;
	void *os;
	unsigned int slack;		/* the spec's times are multiplied by this */
	__u32 seen;			/* the register value the last wait ended on */
	int may_run;			/* the last queue start failed and the queue may run */
	__u8 clk_tag, clk_count;	/* §3.4.1 SEQ: our issuer tag, and a counter */
	char msg[160];			/* why the last call failed */
};

/* hw-spec §3.11: the longest a card may take, in microseconds */
#define KITE_T_RESET_US		20000
#define KITE_T_QUEUE_START_US	10000
#define KITE_T_QUEUE_STOP_US	10000
#define KITE_T_COMMIT_US	10000
#define KITE_T_CLOCK_US		10	/* a clock command, §3.4.1 */

/*
 * The software model (kite-emu) runs on shared, possibly loaded CPUs: its
 * times are the spec's times this many times over, and it may also lose its
 * CPU for a few scheduler ticks (4 ms each at HZ=250) in any wait.
 */
#define KITE_HW_SLACK_MODEL	200
#define KITE_HW_MODEL_DESCHED_US	20000

/* What a queue start programs (hw-spec §3.6, §6.1). */
struct kite_hw_queue_cfg {
	unsigned int qid, port, tx_log2, rx_log2, rx_buf_size;
	__u64 tx_ring, tx_cq, rx_ring, rx_cq, pio_cq;
	unsigned int rxs_log2;	/* v1.3 RX stream ring (§5.4): log2 bytes, 0 for none */
	__u64 rxs_ring;
	unsigned int pio_direct;	/* v1.3 direct PIO (§4.4) */
	__u64 tx_wb;			/* v1.3 TX write-back line (§6.4), 0 for none */
};

/* kite_hw_port_set's default_queue: a queue, or one of these (uapi.h's values) */
#define KITE_HW_DEFAULT_DROP	(-1)	/* unmatched frames dropped, counted */
#define KITE_HW_DEFAULT_LEAVE	(-2)	/* as it is */

void kite_hw_init(struct kite_hw *hw, const struct kite_hw_os *ops, void *os,
		  unsigned int slack);
int kite_hw_reset(struct kite_hw *hw);
int kite_hw_queue_start(struct kite_hw *hw, const struct kite_hw_queue_cfg *c);
int kite_hw_queue_stop(struct kite_hw *hw, unsigned int qid);
int kite_hw_commit(struct kite_hw *hw);
int kite_hw_filter_write(struct kite_hw *hw, unsigned int index, unsigned int type,
			 unsigned int port, unsigned int queue, int copy, __u64 key);
int kite_hw_filters_clear(struct kite_hw *hw, __u64 mask);
int kite_hw_port_set(struct kite_hw *hw, unsigned int port, unsigned int mtu,
		     int default_queue);
/*
 * §3.4.1 clock control (a card announcing ID_FEATURES.CLOCK_CTL). The caller
 * serialises them (one command at a time) and sets hw->clk_tag (kite.ko 0,
 * user space its own, so that a command of another program is never taken
 * for ours; -EAGAIN when one ran during a latch). kite_hw_clock_latch calls
 * stamp(ctx, 0) just before the command goes out and stamp(ctx, 1) just
 * after its acknowledgment is seen: the latch lies between the two (Linux's
 * gettimex64 pre and post system timestamps). stamp may be NULL.
 */
int kite_hw_clock_latch(struct kite_hw *hw, __u64 *ns, void (*stamp)(void *ctx, int post),
			void *ctx);
int kite_hw_clock_set(struct kite_hw *hw, __u64 ns);
int kite_hw_clock_step(struct kite_hw *hw, __s64 delta);
void kite_hw_clock_freq(struct kite_hw *hw, long scaled_ppm);

int kite_hw_forget_queue(struct kite_hw *hw, unsigned int qid, unsigned int nports,
			 unsigned int nfilters, int filters_too);

#endif /* KITE_HW_LAYER_H */
