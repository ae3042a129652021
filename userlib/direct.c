// SPDX-License-Identifier: BSD-3-Clause
/*
 * Control operations for backends that own a writable BAR0 (emu; later vfio
 * and uio): libkite programs the registers itself, as hw-spec §3.3 and §6.1
 * describe. The kmod backend asks kite.ko to do the same after its checks.
 */
#include <errno.h>

#include "lib_internal.h"
#include "kite/regtab.h"

static void wr32(struct kite_dev *dev, uint32_t off, uint32_t v)
{
	if (dev->trace)
		kite_trace_write(dev, off, v, 32);
	__atomic_store_n((volatile uint32_t *)(dev->bar0 + off), v, __ATOMIC_RELEASE);
}

static void wr64(struct kite_dev *dev, uint32_t off, uint64_t v)
{
	if (dev->trace)
		kite_trace_write(dev, off, v, 64);
	__atomic_store_n((volatile uint64_t *)(dev->bar0 + off), v, __ATOMIC_RELEASE);
}

static const uint32_t run_or_error = (uint32_t)(KITE_FMASK(KITE_Q_STATUS_RUNNING) |
						KITE_FMASK(KITE_Q_STATUS_ERROR));

int kite_direct_queue_stop(struct kite_dev *dev, unsigned int qid)
{
	wr32(dev, KITE_R_AT(Q_CTRL, qid), 0);
	return kite_wait(dev, KITE_R_AT(Q_STATUS, qid), run_or_error, 0, "queue stop");
}

int kite_direct_queue_start(struct kite_dev *dev, const struct kite_ring_cfg *c)
{
	unsigned int qid = c->qid;
	uint32_t st;
	int err;

	if (kite_rd32(dev, KITE_R_AT(Q_STATUS, qid)) & run_or_error) {
		err = kite_direct_queue_stop(dev, qid);	/* left running by a previous owner */
		if (err)
			return err;
	}
	wr64(dev, KITE_R_AT(Q_TX_RING, qid), c->tx_ring);
	wr64(dev, KITE_R_AT(Q_TX_CQ, qid), c->tx_cq);
	wr64(dev, KITE_R_AT(Q_RX_RING, qid), c->rx_ring);
	wr64(dev, KITE_R_AT(Q_RX_CQ, qid), c->rx_cq);
	wr64(dev, KITE_R_AT(Q_PIO_CQ, qid), c->pio_cq);
	wr32(dev, KITE_R_AT(Q_RX_BUF_SIZE, qid), c->rx_buf_size);
	wr32(dev, KITE_R_AT(Q_CTRL, qid),
	     (uint32_t)(KITE_FPREP(KITE_Q_CTRL_ENABLE, 1) | KITE_FPREP(KITE_Q_CTRL_PORT, c->port) |
			KITE_FPREP(KITE_Q_CTRL_TX_LOG2, c->tx_log2) |
			KITE_FPREP(KITE_Q_CTRL_RX_LOG2, c->rx_log2)));
	err = kite_wait_any(dev, KITE_R_AT(Q_STATUS, qid), run_or_error, "queue start", &st);
	if (err)
		return err;
	if (KITE_FGET(KITE_Q_STATUS_ERROR, st)) {
		wr32(dev, KITE_R_AT(Q_CTRL, qid), 0);
		return kite_err(-EIO, "queue %u: the card refused to start it: %s", qid,
				kite_enum_name(KITE_FI_Q_STATUS_CAUSE,
					       (unsigned int)KITE_FGET(KITE_Q_STATUS_CAUSE, st)));
	}
	return 0;
}

/*
 * §3.3: port and filter writes take effect once CFG_ACK reaches our
 * CFG_COMMIT value. Other processes may commit concurrently: a later
 * sequence number acknowledges ours too.
 */
static int commit(struct kite_dev *dev)
{
	uint32_t seq = kite_rd32(dev, KITE_R_CFG_COMMIT) + 1;

	wr32(dev, KITE_R_CFG_COMMIT, seq);
	return kite_wait_seq(dev, KITE_R_CFG_ACK, seq, "configuration commit");
}

int kite_direct_port_set(struct kite_dev *dev, unsigned int port, unsigned int mtu,
			 int default_queue)
{
	if (mtu)
		wr32(dev, KITE_R_AT(P_MTU, port), mtu);
	if (default_queue != KITE_LEAVE) {
		uint32_t ctrl = kite_rd32(dev, KITE_R_AT(P_CTRL, port));

		ctrl &= ~(uint32_t)(KITE_FMASK(KITE_P_CTRL_DEFAULT_EN) |
				    KITE_FMASK(KITE_P_CTRL_DEFAULT_QUEUE));
		if (default_queue >= 0)
			ctrl |= (uint32_t)(KITE_FPREP(KITE_P_CTRL_DEFAULT_EN, 1) |
					   KITE_FPREP(KITE_P_CTRL_DEFAULT_QUEUE, default_queue));
		wr32(dev, KITE_R_AT(P_CTRL, port), ctrl);
	}
	return commit(dev);
}

int kite_direct_filter_write(struct kite_dev *dev, unsigned int i, const struct kite_filter *f)
{
	wr64(dev, KITE_R_AT(F_KEY, i), f ? f->key : 0);
	wr32(dev, KITE_R_AT(F_CTRL, i),
	     f ? (uint32_t)(KITE_FPREP(KITE_F_CTRL_VALID, 1) | KITE_FPREP(KITE_F_CTRL_TYPE, f->type) |
			    KITE_FPREP(KITE_F_CTRL_PORT, f->port) |
			    KITE_FPREP(KITE_F_CTRL_QUEUE, f->queue)) : 0);
	return commit(dev);
}

/* No arbiter (vfio: the process owns the whole card): every queue is ours. */
int kite_direct_queue_claim(struct kite_dev *dev, unsigned int qid, volatile uint8_t **db)
{
	*db = dev->bar2 + (size_t)qid * KITE_DB_PAGE_SIZE;
	return 0;
}

void kite_direct_queue_release(struct kite_dev *dev, unsigned int qid)
{
	(void)dev;
	(void)qid;
}

/*
 * No arbiter (uio, vfio: one process owns the card): the first free entry,
 * unless the key is already steered on that port (-EEXIST).
 */
int kite_direct_filter_add(struct kite_dev *dev, const struct kite_filter *f, unsigned int *index)
{
	unsigned int i;

	for (i = 0; i < dev->info.num_filters; i++) {
		uint32_t ctrl = kite_rd32(dev, KITE_R_AT(F_CTRL, i));

		if (KITE_FGET(KITE_F_CTRL_VALID, ctrl) &&
		    KITE_FGET(KITE_F_CTRL_TYPE, ctrl) == (uint32_t)f->type &&
		    KITE_FGET(KITE_F_CTRL_PORT, ctrl) == f->port &&
		    kite_rd64(dev, KITE_R_AT(F_KEY, i)) == f->key)
			return kite_filter_exists(f, i, -1);
	}
	for (i = 0; i < dev->info.num_filters; i++) {
		if (!KITE_FGET(KITE_F_CTRL_VALID, kite_rd32(dev, KITE_R_AT(F_CTRL, i)))) {
			*index = i;
			return kite_direct_filter_write(dev, i, f);
		}
	}
	return kite_err(-ENOSPC, "kite_filter_add: all %u filter entries are in use",
			dev->info.num_filters);
}

int kite_direct_filter_del(struct kite_dev *dev, unsigned int index)
{
	return kite_direct_filter_write(dev, index, NULL);
}

int kite_direct_reg_write(struct kite_dev *dev, uint32_t off, uint64_t val, unsigned int bits)
{
	if (bits == 64)
		wr64(dev, off, val);
	else
		wr32(dev, off, (uint32_t)val);
	return 0;
}

int kite_direct_reset(struct kite_dev *dev)
{
	wr32(dev, KITE_R_GCTRL, (uint32_t)KITE_FPREP(KITE_GCTRL_RESET, 1));
	return kite_wait(dev, KITE_R_GCTRL, (uint32_t)KITE_FMASK(KITE_GCTRL_RESET), 0,
			 "card reset");
}
