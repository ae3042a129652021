// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * The card's control sequences, once for kite.ko, uio_kite.ko and libkite
 * (kite_hw.h says why). Section numbers are docs/hw-spec.md's.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#else
#include "hw_osdep_user.h"
#endif

#include "kite_hw.h"

static __u32 rd32(struct kite_hw *hw, __u32 off)
{
	return hw->os_ops->rd32(hw->os, off);
}

static void wr32(struct kite_hw *hw, __u32 off, __u32 v)
{
	hw->os_ops->wr32(hw->os, off, v);
}

static void wr64(struct kite_hw *hw, __u32 off, __u64 v)
{
	hw->os_ops->wr64(hw->os, off, v);
}

__printf(3, 4)
static int fail(struct kite_hw *hw, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hw->msg, sizeof(hw->msg), fmt, ap);
	va_end(ap);
	return err;
}

void kite_hw_init(struct kite_hw *hw, const struct kite_hw_os *ops, void *os,
		  unsigned int slack)
{
	*hw = (struct kite_hw){ .os_ops = ops, .os = os, .slack = slack ? slack : 1 };
}

/* All-ones from ID_MAGIC: the card is gone from the bus (surprise removal). */
static int gone(struct kite_hw *hw)
{
	return rd32(hw, KITE_R_ID_MAGIC) == ~0U;
}

enum wait_until { UNTIL_EQ, UNTIL_ANY, UNTIL_REACHED };

/*
 * Poll register off until (v & mask) == want (UNTIL_EQ), any bit of mask is
 * set (UNTIL_ANY) or v reaches sequence number want (UNTIL_REACHED), for at
 * most the spec's time us times the slack. *v gets the last value read.
 */
static int wait_reg(struct kite_hw *hw, __u32 off, __u32 mask, __u32 want,
		    enum wait_until until, unsigned int us, __u32 *v)
{
	__u64 deadline = hw->os_ops->now_ns(hw->os) + (__u64)us * 1000 * hw->slack +
			 (hw->slack > 1 ? (__u64)KITE_HW_MODEL_DESCHED_US * 1000 : 0);
	int late = 0;

	for (;;) {
		*v = rd32(hw, off);
		hw->seen = *v;
		/* first: all-ones would satisfy "any bit" or a sequence number */
		if (*v == ~0U && gone(hw))
			return -ENODEV;
		if ((until == UNTIL_EQ && (*v & mask) == want) ||
		    (until == UNTIL_ANY && (*v & mask)) ||
		    (until == UNTIL_REACHED && (__s32)(*v - want) >= 0))
			return 0;
		if (late)
			return -ETIMEDOUT;
		/* past the deadline: one more read, in case we were away, not the card */
		late = hw->os_ops->now_ns(hw->os) > deadline;
		if (!late)
			hw->os_ops->pause(hw->os);
	}
}

/*
 * "within 10 ms", "within 2 s": the budget the wait had (32-bit math; a
 * model's allowance for losing its CPU is not named)
 */
static const char *budget(struct kite_hw *hw, unsigned int us, char *buf, unsigned int len)
{
	unsigned int ms = us / 1000 * hw->slack;

	if (us * hw->slack < 1000)
		snprintf(buf, len, "%u us", us * hw->slack);
	else if (ms >= 1000 && ms % 1000 == 0)
		snprintf(buf, len, "%u s", ms / 1000);
	else
		snprintf(buf, len, "%u ms", us * hw->slack / 1000);
	return buf;
}

static int wait_fail(struct kite_hw *hw, int err, unsigned int us, const char *what,
		     const char *reg, __u32 v)
{
	char b[24];

	if (err == -ENODEV)
		return fail(hw, err, "%s: the card is gone (%s reads 0x%08x)", what, reg, v);
	return fail(hw, err, "%s within %s: %s 0x%08x", what, budget(hw, us, b, sizeof(b)),
		    reg, v);
}

/*
 * §3.3 GCTRL.RESET: every queue stops, filters, counters and the fault log
 * clear. The reset also zeroes CLK_FREQ (§3.4.1), which a PTP servo believes
 * it set: the rate is read before and written back after, whoever set it
 * (this driver, another process's libkite, a register poke).
 */
int kite_hw_reset(struct kite_hw *hw)
{
	__u32 freq = 0, v;
	int err;

	if (rd32(hw, KITE_R_ID_FEATURES) & KITE_FMASK(KITE_ID_FEATURES_CLOCK_CTL))
		freq = rd32(hw, KITE_R_CLK_FREQ);
	wr32(hw, KITE_R_GCTRL, (__u32)KITE_FPREP(KITE_GCTRL_RESET, 1));
	err = wait_reg(hw, KITE_R_GCTRL, (__u32)KITE_FMASK(KITE_GCTRL_RESET), 0, UNTIL_EQ,
		       KITE_T_RESET_US, &v);
	if (err)
		return wait_fail(hw, err, KITE_T_RESET_US, "the card did not finish its reset",
				 "GCTRL", v);
	if (freq)
		wr32(hw, KITE_R_CLK_FREQ, freq);
	return 0;
}

static const __u32 run_or_error = (__u32)(KITE_FMASK(KITE_Q_STATUS_RUNNING) |
					  KITE_FMASK(KITE_Q_STATUS_ERROR));

/* §6.1: clear ENABLE; the queue is stopped once RUNNING and ERROR are both clear. */
int kite_hw_queue_stop(struct kite_hw *hw, unsigned int qid)
{
	char what[40];
	__u32 v;
	int err;

	wr32(hw, KITE_R_AT(Q_CTRL, qid), 0);
	err = wait_reg(hw, KITE_R_AT(Q_STATUS, qid), run_or_error, 0, UNTIL_EQ,
		       KITE_T_QUEUE_STOP_US, &v);
	if (!err)
		return 0;
	snprintf(what, sizeof(what), "queue %u did not stop", qid);
	return wait_fail(hw, err, KITE_T_QUEUE_STOP_US, what, "Q_STATUS", v);
}

/*
 * §6.1: program the rings, then ENABLE; the card answers RUNNING, or ERROR
 * with a CAUSE when it refuses (at once: no waiting out the timeout). A
 * queue a previous owner left running or in error is stopped first.
 */
int kite_hw_queue_start(struct kite_hw *hw, const struct kite_hw_queue_cfg *c)
{
	unsigned int q = c->qid;
	char what[40];
	__u32 v;
	int err;

	hw->may_run = 0;
	if (rd32(hw, KITE_R_AT(Q_STATUS, q)) & run_or_error) {
		err = kite_hw_queue_stop(hw, q);
		if (err)
			return err;
	}
	wr64(hw, KITE_R_AT(Q_TX_RING, q), c->tx_ring);
	wr64(hw, KITE_R_AT(Q_TX_CQ, q), c->tx_cq);
	wr64(hw, KITE_R_AT(Q_RX_RING, q), c->rx_ring);
	wr64(hw, KITE_R_AT(Q_RX_CQ, q), c->rx_cq);
	wr64(hw, KITE_R_AT(Q_PIO_CQ, q), c->pio_cq);
	wr32(hw, KITE_R_AT(Q_RX_BUF_SIZE, q), c->rx_buf_size);
	if (c->rxs_log2) {	/* §5.4, only on a card that announces it */
		wr64(hw, KITE_R_AT(Q_RXS_RING, q), c->rxs_ring);
		wr32(hw, KITE_R_AT(Q_RXS_LOG2, q), c->rxs_log2);
	}
	if (c->tx_wb)		/* §6.4, likewise */
		wr64(hw, KITE_R_AT(Q_TX_WB, q), c->tx_wb);
	wr32(hw, KITE_R_AT(Q_CTRL, q),
	     (__u32)(KITE_FPREP(KITE_Q_CTRL_ENABLE, 1) | KITE_FPREP(KITE_Q_CTRL_PORT, c->port) |
		     KITE_FPREP(KITE_Q_CTRL_TX_LOG2, c->tx_log2) |
		     KITE_FPREP(KITE_Q_CTRL_RX_LOG2, c->rx_log2) |
		     KITE_FPREP(KITE_Q_CTRL_RX_STREAM, !!c->rxs_log2) |
		     KITE_FPREP(KITE_Q_CTRL_PIO_DIRECT, !!c->pio_direct) |
		     KITE_FPREP(KITE_Q_CTRL_TX_WB, !!c->tx_wb)));
	err = wait_reg(hw, KITE_R_AT(Q_STATUS, q), run_or_error, 0, UNTIL_ANY,
		       KITE_T_QUEUE_START_US, &v);
	if (err) {
		snprintf(what, sizeof(what), "queue %u did not start", q);
		wait_fail(hw, err, KITE_T_QUEUE_START_US, what, "Q_STATUS", v);
		/* it may start late: stopped, or the caller must not free its rings */
		if (err != -ENODEV && kite_hw_queue_stop(hw, q))
			hw->may_run = 1;
		return err;
	}
	if (KITE_FGET(KITE_Q_STATUS_ERROR, v)) {
		wr32(hw, KITE_R_AT(Q_CTRL, q), 0);	/* clears the error (§3.6) */
		return fail(hw, -EIO,
			    "queue %u: the card refused to start it: Q_STATUS 0x%08x (CAUSE %u)",
			    q, v, (unsigned int)KITE_FGET(KITE_Q_STATUS_CAUSE, v));
	}
	return 0;
}

/*
 * §3.3: port and filter writes take effect once CFG_ACK reaches our
 * CFG_COMMIT value. Other writers (processes, the kernel) may commit too: a
 * later number acknowledges ours. Our writes must be visible before we read
 * the number, or we could reuse one the card already acknowledged without
 * them (x86 lets a load pass earlier stores).
 */
int kite_hw_commit(struct kite_hw *hw)
{
	__u32 seq, v;
	char b[24];
	int err;

	hw->os_ops->fence(hw->os);
	seq = rd32(hw, KITE_R_CFG_COMMIT) + 1;
	wr32(hw, KITE_R_CFG_COMMIT, seq);
	err = wait_reg(hw, KITE_R_CFG_ACK, 0, seq, UNTIL_REACHED, KITE_T_COMMIT_US, &v);
	if (!err)
		return 0;
	if (err == -ENODEV)
		return wait_fail(hw, err, KITE_T_COMMIT_US, "configuration commit", "CFG_ACK", v);
	return fail(hw, err, "configuration commit %u not acknowledged within %s: CFG_ACK 0x%08x",
		    seq, budget(hw, KITE_T_COMMIT_US, b, sizeof(b)), v);
}

/*
 * §3.4.1: one clock command, acknowledged when CLK_ACK equals it. Its SEQ
 * carries our issuer tag, so another program's command is never taken for
 * ours. Spun on without pausing for a while first (50 us, or 1000 reads if
 * time stands still): a latch's bracket is as wide as this wait.
 */
#define CLOCK_SPIN_NS		50000
#define CLOCK_SPIN_READS	1000

static int clock_cmd(struct kite_hw *hw, unsigned int op, void (*stamp)(void *ctx, int post),
		     void *ctx, __u32 *issued)
{
	__u32 ack = rd32(hw, KITE_R_CLK_ACK), cmd, v;
	unsigned int i = 0;
	__u64 spin_end;
	char b[24];
	int err;

	do {
		hw->clk_count++;
		cmd = (__u32)(KITE_FPREP(KITE_CLK_CMD_OP, op) |
			      KITE_FPREP(KITE_CLK_CMD_SEQ, (hw->clk_tag << 8) | hw->clk_count));
	} while (cmd == ack);	/* new, or the card would take it for done */
	*issued = cmd;
	if (stamp)
		stamp(ctx, 0);
	wr32(hw, KITE_R_CLK_CMD, cmd);
	spin_end = hw->os_ops->now_ns(hw->os) + CLOCK_SPIN_NS;
	do {
		v = rd32(hw, KITE_R_CLK_ACK);
		if (v == cmd) {
			if (stamp)
				stamp(ctx, 1);
			return 0;
		}
	} while (++i < CLOCK_SPIN_READS && hw->os_ops->now_ns(hw->os) < spin_end);
	err = wait_reg(hw, KITE_R_CLK_ACK, ~0U, cmd, UNTIL_EQ, KITE_T_CLOCK_US, &v);
	if (stamp)
		stamp(ctx, 1);
	if (err == -ENODEV)
		return wait_fail(hw, err, KITE_T_CLOCK_US, "clock command", "CLK_ACK", v);
	if (err)
		return fail(hw, err, "clock command 0x%08x unacknowledged within %s: CLK_ACK %#x%s",
			    cmd, budget(hw, KITE_T_CLOCK_US, b, sizeof(b)), v,
			    KITE_FGET(KITE_CLK_CMD_SEQ, v) >> 8 != hw->clk_tag ?
			    " (another program's: only one may drive the clock)" : "");
	return 0;
}

int kite_hw_clock_latch(struct kite_hw *hw, __u64 *ns, void (*stamp)(void *ctx, int post),
			void *ctx)
{
	__u32 cmd;
	int err = clock_cmd(hw, KITE_CLK_CMD_OP_LATCH, stamp, ctx, &cmd);

	if (err)
		return err;
	*ns = rd32(hw, KITE_R_TIME_LATCH) | (__u64)rd32(hw, KITE_R_TIME_LATCH + 4) << 32;
	/* no other command ran since ours: the latch (both halves) is ours */
	if (rd32(hw, KITE_R_CLK_ACK) != cmd)
		return fail(hw, -EAGAIN,
			    "another program's clock command ran during our latch: only one may drive the clock");
	return 0;
}

int kite_hw_clock_set(struct kite_hw *hw, __u64 ns)
{
	__u32 cmd;

	wr64(hw, KITE_R_TIME_SET, ns);
	return clock_cmd(hw, KITE_CLK_CMD_OP_SET, NULL, NULL, &cmd);
}

/* §3.4.1 STEP: acknowledged, and TIME_SET is read only when the card executes it. */
int kite_hw_clock_step(struct kite_hw *hw, __s64 delta)
{
	__u32 cmd;

	wr64(hw, KITE_R_TIME_SET, (__u64)delta);
	return clock_cmd(hw, KITE_CLK_CMD_OP_STEP, NULL, NULL, &cmd);
}

/* §3.4.1: the rate, clamped to what the card honours (no acknowledgment: §3.11). */
void kite_hw_clock_freq(struct kite_hw *hw, long scaled_ppm)
{
	if (scaled_ppm > KITE_CLK_FREQ_MAX)
		scaled_ppm = KITE_CLK_FREQ_MAX;
	if (scaled_ppm < -KITE_CLK_FREQ_MAX)
		scaled_ppm = -KITE_CLK_FREQ_MAX;
	wr32(hw, KITE_R_CLK_FREQ, (__u32)scaled_ppm);
}

/* §3.8: one entry, valid (type != 0) or cleared (type 0), then commit. */
int kite_hw_filter_write(struct kite_hw *hw, unsigned int index, unsigned int type,
			 unsigned int port, unsigned int queue, int copy, __u64 key)
{
	wr64(hw, KITE_R_AT(F_KEY, index), type ? key : 0);
	wr32(hw, KITE_R_AT(F_CTRL, index), type ? kite_f_ctrl(type, port, queue, copy) : 0);
	return kite_hw_commit(hw);
}

/* §3.8: clear the entries in mask (bit i: entry i), then commit. */
int kite_hw_filters_clear(struct kite_hw *hw, __u64 mask)
{
	unsigned int i;

	if (!mask)
		return 0;
	for (i = 0; i < KITE_MAX_FILTERS; i++)
		if (mask & (1ULL << i))
			wr32(hw, KITE_R_AT(F_CTRL, i), 0);
	return kite_hw_commit(hw);
}

static __u32 p_ctrl_default(__u32 ctrl, int default_queue)
{
	ctrl &= ~(__u32)(KITE_FMASK(KITE_P_CTRL_DEFAULT_EN) |
			 KITE_FMASK(KITE_P_CTRL_DEFAULT_QUEUE));
	if (default_queue >= 0)
		ctrl |= (__u32)(KITE_FPREP(KITE_P_CTRL_DEFAULT_EN, 1) |
				KITE_FPREP(KITE_P_CTRL_DEFAULT_QUEUE, default_queue));
	return ctrl;
}

/* §3.5: MTU (0: leave) and the default queue (KITE_HW_DEFAULT_*), then commit. */
int kite_hw_port_set(struct kite_hw *hw, unsigned int port, unsigned int mtu,
		     int default_queue)
{
	if (mtu)
		wr32(hw, KITE_R_AT(P_MTU, port), mtu);
	if (default_queue != KITE_HW_DEFAULT_LEAVE)
		wr32(hw, KITE_R_AT(P_CTRL, port),
		     p_ctrl_default(rd32(hw, KITE_R_AT(P_CTRL, port)), default_queue));
	return kite_hw_commit(hw);
}

/*
 * Queue qid has lost its owner: nothing may keep steering frames to it and
 * feed the next owner. A port whose default it is drops unmatched frames
 * again (§3.5); with filters_too, entries that steer to it are cleared
 * (§3.8; kite.ko tracks its own entries and clears them by mask).
 */
int kite_hw_forget_queue(struct kite_hw *hw, unsigned int qid, unsigned int nports,
			 unsigned int nfilters, int filters_too)
{
	unsigned int i;
	int changed = 0;
	__u32 ctrl;

	for (i = 0; i < nports && i < KITE_MAX_PORTS; i++) {
		ctrl = rd32(hw, KITE_R_AT(P_CTRL, i));
		if (KITE_FGET(KITE_P_CTRL_DEFAULT_EN, ctrl) &&
		    KITE_FGET(KITE_P_CTRL_DEFAULT_QUEUE, ctrl) == qid) {
			wr32(hw, KITE_R_AT(P_CTRL, i), p_ctrl_default(ctrl, KITE_HW_DEFAULT_DROP));
			changed = 1;
		}
	}
	for (i = 0; filters_too && i < nfilters && i < KITE_MAX_FILTERS; i++) {
		ctrl = rd32(hw, KITE_R_AT(F_CTRL, i));
		if (KITE_FGET(KITE_F_CTRL_VALID, ctrl) &&
		    KITE_FGET(KITE_F_CTRL_QUEUE, ctrl) == qid) {
			wr32(hw, KITE_R_AT(F_CTRL, i), 0);
			changed = 1;
		}
	}
	return changed ? kite_hw_commit(hw) : 0;
}
