// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite hot path (hw-spec §6): no system call, lock, allocation, division
 * or device register read. Descriptors are written to host memory, doorbells
 * are single stores to BAR2, completions are polled by phase bit.
 */
#include <errno.h>
#include <string.h>

#include "ring_ops.h"

void kite_rx_fill(struct kite_queue *q)
{
	struct kite_pool *pool = q->rx_pool;
	struct kite_pkt **ring = q->rx_pkts, **stack;
	struct kite_rx_desc *rxr = q->rxr;
	uint32_t tail = q->rx_tail, mask = q->rx_mask;
	uint32_t want = mask + 1 - (tail - q->rx_head);
	uint32_t n = want < pool->nfree ? want : pool->nfree;
	uint32_t i;

	if (unlikely(n < want))
		q->stats.rx_refill_short++;
	stack = pool->stack + pool->nfree - n;
	pool->nfree -= n;
	for (i = 0; i < n; i++) {
		struct kite_pkt *p = stack[n - 1 - i];
		uint32_t slot = (tail + i) & mask;

		ring[slot] = p;
		rxr[slot].addr = p->iova;
	}
	if (n) {
		q->rx_tail = tail + n;
		doorbell(q->db_rx, q->rx_tail, q->db_wc);
	}
}

/* The RX completion word is the packet's len..rx_flags word (kite.h), less PHASE. */
_Static_assert(__builtin_offsetof(struct kite_pkt, len) == 16 &&
	       __builtin_offsetof(struct kite_pkt, rx_index) == 18 &&
	       __builtin_offsetof(struct kite_pkt, filter) == 20 &&
	       __builtin_offsetof(struct kite_pkt, status) == 22 &&
	       __builtin_offsetof(struct kite_pkt, rx_flags) == 23, "packet metadata word");
_Static_assert(KITE_RX_TS_VALID == KITE_CQE_F_TS && KITE_RX_PORT1 == KITE_CQE_F_PORT1,
	       "rx_flags are the completion's flags");

uint16_t kite_rx_burst(struct kite_queue *q, struct kite_pkt **pkts, uint16_t n)
{
	const struct kite_cqe *cq = q->rxcq;
	struct kite_pkt **ring = q->rx_pkts;
	uint32_t head = q->rx_head, mask = q->rx_mask;
	uint64_t phase = (uint64_t)KITE_CQE_PHASE(head, q->rx_log2) << 56;
	uint64_t bytes = 0;
	uint16_t i;

	if (unlikely(!cq))
		return 0;	/* a stream queue (kite_rx_stream) */
	for (i = 0; i < n; i++) {
		uint32_t slot = head & mask;
		const struct kite_cqe *c = &cq[slot];
		uint64_t w = cqe_word(c);
		struct kite_pkt *p;

		if ((w & CQE_PHASE_BIT) != phase)
			break;
		p = ring[slot];
		*(uint64_t *)&p->len = w & ~CQE_PHASE_BIT;
		p->ts = c->ts;
		p->owner = KITE_OWNER_APP;
		bytes += (uint16_t)w;
		pkts[i] = p;
		head++;
		if (unlikely(!(head & mask)))
			phase ^= CQE_PHASE_BIT;	/* the card flips it each wrap */
	}
	if (i) {
		q->rx_head = head;
		q->stats.rx_pkts += i;
		q->stats.rx_bytes += bytes;
		/* Post buffers in batches: one doorbell per rx_refill frames. */
		if (mask + 1 - (q->rx_tail - head) >= q->rx_refill)
			kite_rx_fill(q);
	} else if (unlikely(q->rx_tail == head) && q->rx_pool->nfree) {
		kite_rx_fill(q);	/* drained while the pool was empty: nothing would wake it */
	}
	return i;
}

void kite_tx_report_add(struct kite_queue *q, uint64_t cookie, uint64_t ts, uint64_t w,
			bool pio)
{
	struct kite_tx_report *r = &q->reports[q->rep_w++ % KITE_TX_REPORTS];

	if (q->rep_w - q->rep_r > KITE_TX_REPORTS) {
		q->rep_r = q->rep_w - KITE_TX_REPORTS;
		q->stats.tx_reports_lost++;
	}
	r->cookie = cookie;
	r->ts = ts;
	r->status = CQE_STATUS(w);
	r->len = CQE_LEN(w);
	r->pio = pio;
}

static unsigned int pio_reap(struct kite_queue *q)
{
	uint32_t clean = q->pio_clean, n = 0;

	while (clean != q->pio_tail) {
		uint32_t slot = clean % KITE_PIO_SLOTS;
		const struct kite_cqe *c = &q->piocq[slot];
		uint64_t w = cqe_word(c);

		if (!cqe_ready(w, clean, 3))
			break;
		if (unlikely(CQE_STATUS(w))) {
			q->stats.tx_errors++;
			kite_tx_report_add(q, q->pio_cookie[slot], c->ts, w, true);
		} else {
			q->stats.pio_pkts++;
			q->stats.tx_bytes += CQE_LEN(w);
			if (q->pio_flags[slot] & KITE_PKT_TX_REPORT)
				kite_tx_report_add(q, q->pio_cookie[slot], c->ts, w, true);
		}
		clean++;
		n++;
	}
	q->pio_clean = clean;
	return n;
}

/* A completion's status byte and PHASE bit: one compare tells "done, OK". */
#define CQE_DONE_OK_MASK	(0xffULL << 48 | CQE_PHASE_BIT)

static unsigned int tx_reap(struct kite_queue *q)
{
	const struct kite_cqe *cq = q->txcq;
	struct kite_pkt **ring = q->tx_pkts;
	uint32_t clean = q->tx_clean, tail = q->tx_tail, mask = q->tx_mask;
	uint64_t phase = (uint64_t)KITE_CQE_PHASE(clean, q->tx_log2) << 56;
	uint32_t start = clean, errors = 0;
	struct kite_pool *pool = NULL;
	uint32_t nfree = 0;
	uint64_t bytes = 0;

	for (; clean != tail; clean++) {
		uint32_t slot = clean & mask;
		const struct kite_cqe *c = &cq[slot];
		uint64_t w = cqe_word(c);
		struct kite_pkt *p = ring[slot];

		/* one compare: done (PHASE) and sent (status 0) */
		if (unlikely((w & CQE_DONE_OK_MASK) != phase || (p->flags & KITE_PKT_TX_REPORT))) {
			if ((w & CQE_PHASE_BIT) != phase)
				break;
			if (CQE_STATUS(w)) {
				errors++;
				bytes -= CQE_LEN(w);	/* not sent: count as error only */
			}
			kite_tx_report_add(q, p->cookie, c->ts, w, false);
		}
		bytes += (uint16_t)w;
		if (unlikely(p->pool != pool)) {	/* frames mostly share one pool */
			if (pool)
				pool->nfree = nfree;
			pool = p->pool;
			nfree = pool->nfree;
		}
		pool->stack[nfree++] = p;
		if (unlikely(!((clean + 1) & mask)))
			phase ^= CQE_PHASE_BIT;
	}
	if (pool)
		pool->nfree = nfree;
	q->stats.tx_pkts += clean - start - errors;
	q->stats.tx_errors += errors;
	q->stats.tx_bytes += bytes;
	q->tx_clean = clean;
	return clean - start;
}

/* §6.4: the write-back count where the queue has it, else a completion each */
static inline unsigned int tx_reap_any(struct kite_queue *q)
{
	return q->tx_wb ? kite_tx_reap_wb(q) : tx_reap(q);
}

unsigned int kite_tx_reap(struct kite_queue *q)
{
	return tx_reap_any(q) + pio_reap(q);
}

void kite_tx_inflight(const struct kite_queue *q, unsigned int *desc, unsigned int *pio)
{
	*desc = q->tx_tail - q->tx_clean;
	*pio = q->pio_tail - q->pio_clean;
}

_Static_assert((uint64_t)KITE_PKT_TX_REPORT << 15 == (uint64_t)KITE_TXD_F_TS << 16,
	       "the packet's report flag shifts onto the descriptor's TS flag");

/*
 * The burst, for a queue with (wb) or without TX write-back: two copies of
 * the loop, so a 1.0 queue pays nothing for the TS flag write-back needs.
 */
static inline __attribute__((always_inline)) uint16_t
tx_burst(struct kite_queue *q, struct kite_pkt **pkts, uint16_t n, bool wb)
{
	uint32_t tail = q->tx_tail, mask = q->tx_mask, room;
	struct kite_tx_desc *txr = q->txr;
	struct kite_pkt **ring = q->tx_pkts;
	uint16_t i;

	if (q->tx_tail - q->tx_clean >= q->tx_reap)
		wb ? kite_tx_reap_wb(q) : tx_reap(q);
	room = mask + 1 - (tail - q->tx_clean);
	if (unlikely(room < n))
		n = (uint16_t)room;
	for (i = 0; i < n; i++) {
		struct kite_pkt *p = pkts[i];
		struct kite_tx_desc *d = &txr[(tail + i) & mask];

		/*
		 * What the release hot path checks, in the packet's own line:
		 * the application holds it (not freed, not already queued), its
		 * pool is this device's (owner and device tag, one compare), and
		 * len fits its buffer. A bad packet ends the burst there.
		 */
		if (unlikely(*(const uint16_t *)&p->owner != q->tx_holder ||
			     p->len > p->buf_size)) {
			kite_tx_refuse(q, p);
			n = i;
			break;
		}
		p->owner = KITE_OWNER_LIB;
		ring[(tail + i) & mask] = p;
		d->addr = p->iova;
		/* len; flags: TS when the app asked for the time (§6.4; a 1.0 card always
		 * stamps); rsvd zero */
		*(uint64_t *)&d->len = wb ? p->len | (uint64_t)(p->flags & KITE_PKT_TX_REPORT) << 15 :
				       p->len;
	}
	if (likely(n)) {
		if (wb)	/* buffers among forwarded frames (stream.c) */
			q->tx_bufs += n;
		q->tx_tail = tail + n;
		doorbell(q->db_tx, q->tx_tail, q->db_wc);
	}
	return n;
}

uint16_t kite_tx_burst(struct kite_queue *q, struct kite_pkt **pkts, uint16_t n)
{
	return q->tx_wb ? tx_burst(q, pkts, n, true) : tx_burst(q, pkts, n, false);
}

__attribute__((cold)) void kite_tx_refuse(const struct kite_queue *q, const struct kite_pkt *p)
{
	if (p->owner != KITE_OWNER_APP)
		kite_err(-EINVAL, "kite_tx_burst: queue %u: buffer %u is not the application's: "
			 "freed, or already sent (twice in one burst?)", q->qid, p->index);
	else if (p->dev_tag != q->dev->tag)
		kite_err(-EXDEV, "kite_tx_burst: queue %u: buffer %u belongs to another device's "
			 "pool (its IOVA means nothing on this card)", q->qid, p->index);
	else
		kite_err(-EMSGSIZE, "kite_tx_burst: queue %u: buffer %u: len %u exceeds its "
			 "buffer size %u", q->qid, p->index, p->len, p->buf_size);
}

/*
 * §4.4: the frame after the slot's first line, a fence, then the first line
 * whole (header with the sequence number, the frame's first 56 bytes, zeros)
 * so a write-combining buffer sends it as one burst; the header last for a
 * plain mapping. No doorbell.
 */
static inline void pio_direct(struct kite_queue *q, uint8_t *dst, const uint8_t *frame,
			      uint16_t len, uint32_t count)
{
	uint64_t line[KITE_PIO_LINE / 8] = { 0 };
	unsigned int head = KITE_PIO_LINE - KITE_PIO_HDR_SIZE, k;

	if (len > head) {	/* whole 8-byte words: the card tracks words (§4.4) */
		unsigned int tail = len - head;

		memcpy(dst + KITE_PIO_LINE, frame + head, tail);
		memset(dst + KITE_PIO_LINE + tail, 0, -tail & 7);
	}
	memcpy(&line[1], frame, len < head ? len : head);
	line[0] = len | (uint64_t)KITE_PIO_SEQ(count) << 32;
	if (q->db_wc)
		__builtin_ia32_sfence();
	for (k = 1; k < KITE_PIO_LINE / 8; k++)
		__atomic_store_n((uint64_t *)dst + k, line[k], __ATOMIC_RELAXED);
	__atomic_store_n((uint64_t *)dst, line[0], __ATOMIC_RELEASE);
	if (q->db_wc)
		__builtin_ia32_sfence();
}

int kite_pio_send(struct kite_queue *q, const void *frame, uint16_t len, uint16_t flags,
		  uint64_t cookie)
{
	uint32_t tail = q->pio_tail, slot = tail % KITE_PIO_SLOTS;
	uint8_t *dst = q->pio + slot * KITE_PIO_SLOT_SIZE;
	uint64_t hdr = len;

	if (unlikely(len < KITE_MIN_FRAME || len > KITE_PIO_MAX_FRAME))
		return kite_err(-EMSGSIZE, "kite_pio_send: %u bytes: PIO frames are %u..%u bytes",
				len, KITE_MIN_FRAME, KITE_PIO_MAX_FRAME);
	if (tail - q->pio_clean >= KITE_PIO_SLOTS && (pio_reap(q) == 0 ||
						      tail - q->pio_clean >= KITE_PIO_SLOTS))
		return -EAGAIN;
	q->pio_cookie[slot] = cookie;
	q->pio_flags[slot] = flags;
	if (q->pio_direct) {
		pio_direct(q, dst, frame, len, tail);
		q->pio_tail = tail + 1;
		return 0;
	}
	/* §4.3: header (len, flags = 0, rsvd = 0) as one store, then the frame. */
	__atomic_store_n((uint64_t *)dst, hdr, __ATOMIC_RELAXED);
	memcpy(dst + KITE_PIO_HDR_SIZE, frame, len);
	q->pio_tail = tail + 1;
	doorbell(q->db_pio, q->pio_tail, q->db_wc);
	return 0;
}

unsigned int kite_tx_reports(struct kite_queue *q, struct kite_tx_report *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && q->rep_r != q->rep_w; i++)
		out[i] = q->reports[q->rep_r++ % KITE_TX_REPORTS];
	return i;
}

/* Queue stopped: what was in flight will never complete. */
void kite_queue_drop_inflight(struct kite_queue *q)
{
	tx_reap_any(q);
	pio_reap(q);
	q->stats.tx_aborted += (q->tx_tail - q->tx_clean) + (q->pio_tail - q->pio_clean);
	for (; q->tx_clean != q->tx_tail; q->tx_clean++) {
		struct kite_pkt **slot = &q->tx_pkts[q->tx_clean & q->tx_mask];

		if (*slot)	/* NULL: a frame forwarded from the stream ring */
			kite_pkt_recycle(*slot);
		*slot = NULL;	/* a free slot is NULL (stream.c's forwards store nothing) */
	}
	q->tx_bufs = 0;
	while (q->rx_head != q->rx_tail)
		kite_pkt_recycle(q->rx_pkts[q->rx_head++ & q->rx_mask]);
	q->pio_clean = q->pio_tail;
}
