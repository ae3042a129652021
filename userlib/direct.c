// SPDX-License-Identifier: BSD-3-Clause
/*
 * Control operations for backends that own a writable BAR0 (emu, vfio, uio):
 * libkite runs the card's control sequences itself, through the layer
 * kite.ko and uio_kite.ko share (hw/kite_hw.c). The kmod backend asks
 * kite.ko to do the same after its checks.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
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

/* kite_hw's accessors (hw/kite_hw.h): the card's control sequences run on these. */
static __u32 os_rd32(void *os, __u32 off)
{
	return kite_rd32(os, off);
}

static void os_wr32(void *os, __u32 off, __u32 v)
{
	wr32(os, off, v);
}

static void os_wr64(void *os, __u32 off, __u64 v)
{
	wr64(os, off, v);
}

static __u64 os_now(void *os)
{
	(void)os;
	return kite_mono_ns();
}

/* Between two polls: the test's model steps (kite_set_wait_hook), else yield. */
static void os_pause(void *os)
{
	struct kite_dev *dev = os;

	if (dev->wait_hook)
		dev->wait_hook(dev->wait_arg);
	else
		sched_yield();
}

static void os_fence(void *os)
{
	(void)os;
	atomic_thread_fence(memory_order_seq_cst);
}

static const struct kite_hw_os direct_os = {
	.rd32 = os_rd32, .wr32 = os_wr32, .wr64 = os_wr64,
	.now_ns = os_now, .pause = os_pause, .fence = os_fence,
};

void kite_direct_init(struct kite_dev *dev, unsigned int slack)
{
	kite_hw_init(&dev->hw, &direct_os, dev, slack);
	/* §3.4.1 issuer tag: ours, not kite.ko's (0), and likely not another process's */
	dev->hw.clk_tag = (uint8_t)(1 + getpid() % 255);
}

/* A failed control sequence: its message, which names what the card showed. */
static int hw_err(struct kite_dev *dev, int err)
{
	return err ? kite_err(err, "%s", dev->hw.msg) : 0;
}

int kite_direct_queue_stop(struct kite_dev *dev, unsigned int qid)
{
	return hw_err(dev, kite_hw_queue_stop(&dev->hw, qid));
}

int kite_direct_queue_start(struct kite_dev *dev, const struct kite_hw_queue_cfg *c)
{
	int err = kite_hw_queue_start(&dev->hw, c);

	if (err == -EIO)	/* refused: name the cause from the register table */
		return kite_err(-EIO, "queue %u: the card refused to start it: %s (Q_STATUS "
				"0x%08x)", c->qid,
				kite_enum_name(KITE_FI_Q_STATUS_CAUSE,
					       (unsigned int)KITE_FGET(KITE_Q_STATUS_CAUSE,
								       dev->hw.seen)),
				dev->hw.seen);
	return hw_err(dev, err);
}

int kite_direct_port_set(struct kite_dev *dev, unsigned int port, unsigned int mtu,
			 int default_queue)
{
	return hw_err(dev, kite_hw_port_set(&dev->hw, port, mtu, default_queue));
}

int kite_direct_filter_write(struct kite_dev *dev, unsigned int i, const struct kite_filter *f,
			     bool copy)
{
	return hw_err(dev, f ? kite_hw_filter_write(&dev->hw, i, f->type, f->port, f->queue,
						    copy, f->key) :
			       kite_hw_filter_write(&dev->hw, i, 0, 0, 0, 0, 0));
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
 * unless the key is already steered (or copied, for a copy) on that port (-EEXIST).
 */
int kite_direct_filter_add(struct kite_dev *dev, const struct kite_filter *f, bool copy,
			   unsigned int *index)
{
	unsigned int i;

	for (i = 0; i < dev->info.num_filters; i++) {
		uint32_t ctrl = kite_rd32(dev, KITE_R_AT(F_CTRL, i));

		if (KITE_FGET(KITE_F_CTRL_VALID, ctrl) &&
		    KITE_FGET(KITE_F_CTRL_TYPE, ctrl) == (uint32_t)f->type &&
		    KITE_FGET(KITE_F_CTRL_COPY, ctrl) == copy &&
		    KITE_FGET(KITE_F_CTRL_PORT, ctrl) == f->port &&
		    kite_rd64(dev, KITE_R_AT(F_KEY, i)) == f->key)
			return kite_filter_exists(f, copy, i, -1);
	}
	for (i = 0; i < dev->info.num_filters; i++) {
		if (!KITE_FGET(KITE_F_CTRL_VALID, kite_rd32(dev, KITE_R_AT(F_CTRL, i)))) {
			*index = i;
			return kite_direct_filter_write(dev, i, f, copy);
		}
	}
	return kite_err(-ENOSPC, "%s: all %u filter entries are in use", FILTER_FN(copy),
			dev->info.num_filters);
}

int kite_direct_filter_del(struct kite_dev *dev, unsigned int index)
{
	return kite_direct_filter_write(dev, index, NULL, false);
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
	return hw_err(dev, kite_hw_reset(&dev->hw));
}
