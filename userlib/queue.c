// SPDX-License-Identifier: BSD-3-Clause
/* libkite queues: claim, ring memory, start/stop (hw-spec §6.1), state, restart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib_internal.h"
#include "kite/regtab.h"

static unsigned int ring_log2(unsigned int size)
{
	return (unsigned int)__builtin_ctz(size);
}

static int check_ring_size(struct kite_dev *dev, const char *which, unsigned int size)
{
	if (size < (1u << KITE_MIN_RING_LOG2) || size > dev->info.max_ring_size ||
	    (size & (size - 1)))
		return kite_err(-EINVAL, "%s ring size %u must be a power "
				"of two from %u to %u", which, size, 1u << KITE_MIN_RING_LOG2,
				dev->info.max_ring_size);
	return 0;
}

#define QUEUE_FLAGS	(KITE_QUEUE_RX_STREAM | KITE_QUEUE_PIO_DIRECT | KITE_QUEUE_TX_WB)

/* the caller's opts, whatever kite.h it was built with, checked into *o */
static int check_opts(struct kite_dev *dev, const struct kite_queue_opts *theirs,
		      struct kite_queue_opts *o)
{
	uint32_t b;
	int err = kite_abi_in(KITE_ABI_QUEUE_OPTS, o, theirs, theirs->size);

	if (err)
		return err;
	b = o->rx_stream_bytes;
	if (o->flags & ~QUEUE_FLAGS || o->rsvd)
		return kite_err(-EINVAL, "unknown flags 0x%x (or rsvd set)", o->flags & ~QUEUE_FLAGS);
	if (o->flags & KITE_QUEUE_TX_WB && !(dev->info.features & KITE_FEATURE_TX_WB))
		return kite_err(-EOPNOTSUPP, "the card (contract %u.%u) has no TX write-back "
				"(hw-spec §6.4, v1.3)", dev->info.version_major,
				dev->info.version_minor);
	if (o->flags & KITE_QUEUE_PIO_DIRECT && !(dev->info.features & KITE_FEATURE_PIO_DIRECT))
		return kite_err(-EOPNOTSUPP, "the card (contract %u.%u) has no direct PIO "
				"(hw-spec §4.4, v1.3)", dev->info.version_major,
				dev->info.version_minor);
	if (!(o->flags & KITE_QUEUE_RX_STREAM))
		return b ? kite_err(-EINVAL, "rx_stream_bytes without "
				    "KITE_QUEUE_RX_STREAM") : 0;
	if (!(dev->info.features & KITE_FEATURE_RX_STREAM))
		return kite_err(-EOPNOTSUPP, "the card (contract %u.%u) "
				"has no RX stream rings (hw-spec §5.4, v1.3)",
				dev->info.version_major, dev->info.version_minor);
	if (b && (b < 1u << KITE_RXS_MIN_LOG2 || b > 1u << KITE_RXS_MAX_LOG2 || (b & (b - 1))))
		return kite_err(-EINVAL, "rx_stream_bytes %u must be a "
				"power of two from %u to %u", b, 1u << KITE_RXS_MIN_LOG2,
				1u << KITE_RXS_MAX_LOG2);
	return 0;
}

static int check_conf(struct kite_dev *dev, unsigned int qid, const struct kite_queue_conf *c,
		      bool stream)
{
	int err;

	if (qid >= dev->info.num_queues)
		return kite_err(-EINVAL, "queue %u does not exist (card has %u)",
				qid, dev->info.num_queues);
	if (dev->queues[qid])
		return kite_err(-EBUSY, "queue %u is already open here", qid);
	if (c->port >= dev->info.num_ports)
		return kite_err(-EINVAL, "port %u does not exist (card has %u)",
				c->port, dev->info.num_ports);
	err = check_ring_size(dev, "TX", c->tx_ring_size);
	if (!err && !stream)
		err = check_ring_size(dev, "RX", c->rx_ring_size);
	if (err || stream)
		return err;
	if (!c->rx_pool || c->rx_pool->dev != dev)
		return kite_err(-EINVAL, "rx_pool must be a pool of this device");
	return 0;
}

static int queue_stop_hw(struct kite_queue *q)
{
	return q->dev->ops->queue_stop(q->dev, q->qid);
}

/* §6.1: rings zeroed, then the backend programs and enables; RX gets buffers. */
static int queue_start_hw(struct kite_queue *q)
{
	struct kite_hw_queue_cfg c = {
		.qid = q->qid, .port = q->port, .tx_log2 = q->tx_log2, .rx_log2 = q->rx_log2,
		.rx_buf_size = q->rx_pool ? q->rx_pool->buf_size : 2048,	/* unused by a stream queue */
		.tx_ring = q->rings.iova, .tx_cq = q->rings.iova + q->off_txcq,
		.rx_ring = q->rings.iova + q->off_rxr, .rx_cq = q->rings.iova + q->off_rxcq,
		.pio_cq = q->rings.iova + q->off_piocq,
		.rxs_log2 = q->rxs_log2, .rxs_ring = q->rxs_mem.iova,
		.pio_direct = q->pio_direct,
		.tx_wb = q->tx_wb ? q->rings.iova + q->off_txwb : 0,
	};
	int err;

	memset(q->rings.va, 0, q->rings.len);
	q->rx_head = q->rx_tail = q->tx_tail = q->tx_clean = 0;
	q->pio_tail = q->pio_clean = 0;
	if (q->rxs) {	/* §5.4: a zeroed ring reads "not valid" at chunk 0 */
		memset(q->rxs, 0, (size_t)1 << q->rxs_log2);
		c.rx_ring = c.rx_cq = 0;
		/*
		 * The card counts chunks from 0 again; ours go on from a whole
		 * ring further, so a frame of an earlier run (a stale
		 * kite_rx_frame) can never pass for one of this run.
		 */
		q->rxs_base = (q->rxs_pos + 2 * (q->rxs_mask + 1)) & ~q->rxs_mask;
		q->rxs_pos = q->rxs_credited = q->rxs_last = q->rxs_base;
		q->rxs_due = q->rxs_base + q->rxs_batch;
		q->rxs_nholds = 0;
	}
	q->tx_failed_seen = q->tx_bufs = q->fwd_left = 0;
	q->fwd_next = q->rxs_base;
	q->fwd_sum = q->fwd_sum_done = 0;
	err = q->dev->ops->queue_start(q->dev, &c);
	if (err)
		return err;
	if (!q->rxs)
		kite_rx_fill(q);
	return 0;
}

static void queue_free(struct kite_queue *q)
{
	kite_dma_free(q->dev, &q->rings);
	kite_dma_free(q->dev, &q->rxs_mem);
	free(q->rx_pkts);
	free(q->tx_pkts);
	free(q);
}

/* The stream ring (§5.4): its own DMA memory, one hugepage at most. */
static int stream_alloc(struct kite_queue *q, uint32_t bytes)
{
	uint32_t chunks;
	int err;

	q->rxs_log2 = bytes ? (unsigned int)__builtin_ctz(bytes) : 20;
	err = kite_dma_alloc(q->dev, (size_t)1 << q->rxs_log2, &q->rxs_mem);
	if (err)
		return err;
	chunks = 1U << (q->rxs_log2 - KITE_RXS_CHUNK_SHIFT);
	q->rxs = q->rxs_mem.va;
	q->rxs_mask = chunks - 1;
	q->rxs_batch = chunks / 4;	/* credits: one doorbell per quarter ring */
	q->fwd_base = q->rxs_mem.iova + KITE_RXS_HDR_SIZE;
	return 0;
}

static int queue_open(struct kite_dev *dev, unsigned int qid, const struct kite_queue_conf *conf,
		      const struct kite_queue_opts *opts, struct kite_queue **out)
{
	struct kite_queue_opts checked;
	volatile uint8_t *db;
	struct kite_queue *q;
	bool stream, q_direct, wb;
	size_t off;
	int err;

	if (!dev || !conf || !out)
		return kite_err(-EINVAL, "NULL argument");
	err = opts ? check_opts(dev, opts, &checked) : 0;
	if (err)
		return err;
	if (opts)	/* from here on only the checked copy: the caller's may change */
		opts = &checked;
	stream = opts && (opts->flags & KITE_QUEUE_RX_STREAM);
	q_direct = opts && (opts->flags & KITE_QUEUE_PIO_DIRECT);
	wb = opts && (opts->flags & KITE_QUEUE_TX_WB);
	err = check_conf(dev, qid, conf, stream);
	if (err)
		return err;
	q = aligned_alloc(64, sizeof(*q));
	if (!q)
		return kite_err(-ENOMEM, "out of memory");
	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->qid = qid;
	q->port = conf->port;
	q->pio_direct = q_direct;
	q->tx_log2 = ring_log2(conf->tx_ring_size);
	q->tx_mask = conf->tx_ring_size - 1;
	q->tx_reap = conf->tx_ring_size / 2 < 32 ? conf->tx_ring_size / 2 : 32;
	q->tx_pkts = calloc(conf->tx_ring_size, sizeof(*q->tx_pkts));
	if (stream) {
		/* no RX descriptor rings; Q_CTRL.RX_LOG2 must still be valid (§3.6) */
		q->rx_log2 = KITE_MIN_RING_LOG2;
	} else {
		q->rx_pool = conf->rx_pool;
		q->rx_log2 = ring_log2(conf->rx_ring_size);
		q->rx_mask = conf->rx_ring_size - 1;
		q->rx_refill = conf->rx_ring_size / 4 < 32 ? conf->rx_ring_size / 4 : 32;
		q->rx_pkts = calloc(conf->rx_ring_size, sizeof(*q->rx_pkts));
	}
	q->fwd_ok = stream && wb;	/* kite_tx_forward */
	/*
	 * Forwarded frames free no buffer and their chunks go back at the
	 * give-back (which reaps when they hold it up): reaped at half a ring.
	 */
	q->fwd_reap = q->fwd_ok ? conf->tx_ring_size / 2 : 0;
	q->fwd_room_min = conf->tx_ring_size - conf->tx_ring_size / 2 + 1;
	if ((!stream && !q->rx_pkts) || !q->tx_pkts) {
		queue_free(q);
		return kite_err(-ENOMEM, "out of memory for ring state");
	}
	/*
	 * One DMA area: TX ring, TX CQ, RX ring, RX CQ (descriptor queues),
	 * PIO CQ, all 64-byte aligned; a stream ring apart.
	 */
	off = sizeof(struct kite_tx_desc) << q->tx_log2;
	q->off_txcq = off;
	off += sizeof(struct kite_cqe) << q->tx_log2;
	q->off_rxr = off;
	if (!stream)
		off += sizeof(struct kite_rx_desc) << q->rx_log2;
	q->off_rxcq = off;
	if (!stream)
		off += sizeof(struct kite_cqe) << q->rx_log2;
	q->off_piocq = off;
	off += sizeof(struct kite_cqe) * KITE_PIO_SLOTS;
	q->off_txwb = off;		/* §6.4: one 64-byte line */
	if (wb)
		off += KITE_RING_ALIGN;
	err = kite_dma_alloc(dev, off, &q->rings);
	if (!err && stream)
		err = stream_alloc(q, opts->rx_stream_bytes);
	if (err) {
		queue_free(q);
		return err;
	}
	q->txr = q->rings.va;
	q->txcq = (void *)((uint8_t *)q->rings.va + q->off_txcq);
	if (!stream) {
		q->rxr = (void *)((uint8_t *)q->rings.va + q->off_rxr);
		q->rxcq = (void *)((uint8_t *)q->rings.va + q->off_rxcq);
	}
	q->piocq = (void *)((uint8_t *)q->rings.va + q->off_piocq);
	if (wb)
		q->tx_wb = (const uint64_t *)((uint8_t *)q->rings.va + q->off_txwb);
	err = dev->ops->queue_claim(dev, qid, &db);
	if (err) {
		queue_free(q);
		return err;
	}
	q->db_tx = (volatile uint32_t *)(db + KITE_DB_TX_TAIL);
	q->db_rx = (volatile uint32_t *)(db + KITE_DB_RX_TAIL);
	q->db_pio = (volatile uint32_t *)(db + KITE_DB_PIO_TAIL);
	q->db_rxs = (volatile uint32_t *)(db + KITE_DB_RXS_CREDIT);
	q->pio = (uint8_t *)(db + KITE_PIO_WINDOW);
	q->db_wc = dev->ops->db_write_combined;
	q->tx_holder = KITE_PKT_HOLDER(KITE_OWNER_APP, dev->tag);
	err = queue_start_hw(q);
	if (err) {
		dev->ops->queue_release(dev, qid);
		if (dev->hw.may_run && !dev->ops->release_stops)	/* kite_hw.h */
			kite_log(KITE_LOG_WARNING, "queue %u neither started nor stopped; its "
				 "rings stay allocated so the card cannot write into reused "
				 "memory", qid);
		else
			queue_free(q);
		return err;
	}
	dev->queues[qid] = q;
	*out = q;
	return 0;
}

/*
 * No driver does it for us (vfio; uio_kite does it too): nothing steers
 * frames to the queue any more, neither a port's default nor a filter.
 */
static void queue_forget(struct kite_dev *dev, unsigned int qid)
{
	if (kite_hw_forget_queue(&dev->hw, qid, dev->info.num_ports, dev->info.num_filters, 1))
		kite_log(KITE_LOG_WARNING, "queue %u: %s", qid, dev->hw.msg);
}

void kite_queue_close(struct kite_queue *q)
{
	struct kite_dev *dev;

	KITE_CALL();
	if (!q)
		return;
	dev = q->dev;
	if (queue_stop_hw(q) && !dev->ops->release_stops) {
		/*
		 * vfio and uio have no driver to stop it for us: the card may still
		 * write the rings and the posted buffers. Keep them (the buffers stay
		 * out of their pool, the rings mapped) rather than hand them out again.
		 */
		kite_log(KITE_LOG_WARNING, "queue %u did not stop; its rings and %u buffers stay "
			"allocated so the card cannot write into reused memory", q->qid,
			(q->rx_tail - q->rx_head) + (q->tx_tail - q->tx_clean));
		queue_forget(dev, q->qid);	/* nothing steers to it for its next owner */
		dev->ops->queue_release(dev, q->qid);
		dev->queues[q->qid] = NULL;
		return;
	}
	/* stopped, or the release stops it (kite.ko, kite-emu's bus) */
	kite_queue_drop_inflight(q);
	if (!dev->ops->release_stops)
		queue_forget(dev, q->qid);
	dev->ops->queue_release(dev, q->qid);
	dev->queues[q->qid] = NULL;
	queue_free(q);
}

int kite_queue_restart(struct kite_queue *q)
{
	int err;

	KITE_CALL();
	KITE_NONNULL(q);
	err = queue_stop_hw(q);
	if (err)
		return err;
	kite_queue_drop_inflight(q);
	return queue_start_hw(q);
}

int kite_queue_state_sz(struct kite_queue *q, struct kite_queue_state *out, size_t size)
{
	struct kite_queue_state s = { 0 }, *st = &s;
	uint32_t v;

	KITE_CALL_AS("kite_queue_state");
	KITE_NONNULL_IN("kite_queue_state", q);
	KITE_NONNULL_IN("kite_queue_state", out);
	v = kite_rd32(q->dev, KITE_R_AT(Q_STATUS, q->qid));
	st->cause = KITE_FGET(KITE_Q_STATUS_CAUSE, v);
	st->cause_name = kite_enum_name(KITE_FI_Q_STATUS_CAUSE, st->cause);
	if (KITE_FGET(KITE_Q_STATUS_ERROR, v))
		st->state = KITE_QUEUE_ERROR;
	else if (KITE_FGET(KITE_Q_STATUS_RUNNING, v))
		st->state = KITE_QUEUE_RUNNING;
	else
		st->state = KITE_QUEUE_STOPPED;
	return kite_abi_out(KITE_ABI_QUEUE_STATE, out, st, size);
}

void kite_queue_stats_sz(const struct kite_queue *q, struct kite_queue_stats *out, size_t size)
{
	KITE_CALL_AS("kite_queue_stats");
	if (q && out)
		kite_abi_out(KITE_ABI_QUEUE_STATS, out, &q->stats, size);
}

/* the caller's kite_queue_conf, whatever kite.h it was compiled against */
static int open_sized(struct kite_dev *dev, unsigned int qid, const struct kite_queue_conf *conf,
		      size_t conf_size, const struct kite_queue_opts *opts, struct kite_queue **out)
{
	struct kite_queue_conf c;
	int err;

	if (!conf)
		return kite_err(-EINVAL, "NULL argument");
	err = kite_abi_in(KITE_ABI_QUEUE_CONF, &c, conf, conf_size);
	return err ? err : queue_open(dev, qid, &c, opts, out);
}

int kite_queue_open_sz(struct kite_dev *dev, unsigned int qid, const struct kite_queue_conf *conf,
		       struct kite_queue **out, size_t conf_size)
{
	KITE_CALL_AS("kite_queue_open");
	return open_sized(dev, qid, conf, conf_size, NULL, out);
}

int kite_queue_open_opts_sz(struct kite_dev *dev, unsigned int qid,
			    const struct kite_queue_conf *conf, const struct kite_queue_opts *opts,
			    struct kite_queue **out, size_t conf_size)
{
	KITE_CALL_AS("kite_queue_open_opts");
	return open_sized(dev, qid, conf, conf_size, opts, out);
}
