// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite's contract 1.3 fast path (hw-spec §5.4, §6.4): frames read in place
 * from a queue's RX stream ring, held, forwarded in place out of the same
 * queue, and TX reclaimed from the card's write-back count. Hot path rules
 * as in datapath.c: no system call, lock, allocation, division or register read.
 */
#include <errno.h>
#include <string.h>

#include "ring_ops.h"

/*
 * §5.4 RX stream: records are read in place. Space goes back to the card as
 * a free-running chunk count, coalesced to one doorbell per quarter ring;
 * the previous burst's records are given back when the next burst starts,
 * up to the oldest held one.
 */
#define RXS_VALID	((uint64_t)KITE_RXS_F_VALID << 56)
#define RXS_CHUNKS(w)	((uint32_t)((w) >> 16) & 0xffff)
/* the flags byte tested in memory: a 64-bit mask would take a register */
#define RXS_IS_PAD(rec)	((rec)[15] & KITE_RXS_F_PAD)

static inline uint64_t rxs_word(const uint8_t *rec)
{
	return __atomic_load_n((const uint64_t *)(rec + 8), __ATOMIC_ACQUIRE);
}

/* The record header's second word is the frame's len..flags word (kite.h), less VALID. */
_Static_assert(__builtin_offsetof(struct kite_rx_frame, len) == 16 &&
	       __builtin_offsetof(struct kite_rx_frame, chunks) == 18 &&
	       __builtin_offsetof(struct kite_rx_frame, filter) == 20 &&
	       __builtin_offsetof(struct kite_rx_frame, status) == 22 &&
	       __builtin_offsetof(struct kite_rx_frame, flags) == 23, "frame metadata word");
_Static_assert(KITE_RX_TS_VALID == KITE_RXS_F_TS && KITE_RX_PORT1 == KITE_RXS_F_PORT1,
	       "frame flags are the record's flags");

/*
 * Forwarded frames the card has not sent yet: what is in flight, less pool
 * buffers (counted on a forwarding queue only: elsewhere none is forwarded).
 */
static inline bool fwd_in_flight(const struct kite_queue *q)
{
	return q->fwd_ok && q->tx_tail - q->tx_clean != q->tx_bufs;
}

/*
 * Where the oldest forwarded frame the card has not sent starts, as a
 * free-running chunk count: chunks before it are free of forwarded frames.
 * Its TX descriptor says where it lies in the ring; it is less than a ring
 * before fwd_next (its chunks were never given back, and the card keeps the
 * chunk after its newest record for the cleared header, §5.4). Cold: it
 * walks past pool buffers queued before it.
 */
static __attribute__((cold)) uint32_t fwd_floor(const struct kite_queue *q)
{
	uint32_t k = q->tx_clean;

	while (q->tx_pkts[k & q->tx_mask])	/* fwd_in_flight: one is there */
		k++;
	return q->fwd_next - ((q->fwd_next - (uint32_t)((q->txr[k & q->tx_mask].addr -
							  q->fwd_base) >> KITE_RXS_CHUNK_SHIFT)) &
			      q->rxs_mask);
}

/*
 * Give the card back the chunks software is done with, up to pos: not past
 * the oldest held record, nor past forwarded frames the card has not sent
 * (kite_tx_forward; when those hold the doorbell back, see whether they went:
 * a memory load, or an app that stopped forwarding would stall). Out of
 * line: it runs once per quarter ring, and inlined its registers would cost
 * every kite_rx_stream call.
 */
static __attribute__((noinline, cold)) void rxs_give_back(struct kite_queue *q, uint32_t pos)
{
	uint32_t done = !q->rxs_nholds ? pos : q->rxs_hold_min, cr = q->rxs_credited;

	if (fwd_in_flight(q) && fwd_floor(q) - cr < done - cr) {
		kite_tx_reap_wb(q);
		if (fwd_in_flight(q) && fwd_floor(q) - cr < done - cr)
			done = fwd_floor(q);
	}
	if (done - cr >= q->rxs_batch) {
		q->rxs_credited = done;
		q->rxs_due = done + q->rxs_batch;
		doorbell(q->db_rxs, done - q->rxs_base, q->db_wc);	/* the card counts from 0 */
	}
}

/* What kite_rx_stream hands out for the record at rec (header word w, at pos). */
static inline void rxs_frame(struct kite_rx_frame *f, const uint8_t *rec, uint64_t w,
			     uint32_t pos)
{
	f->data = rec + KITE_RXS_HDR_SIZE;
	f->ts = *(const uint64_t *)rec;
	*(uint64_t *)&f->len = w & ~RXS_VALID;
	f->pos = pos;
}

/* The record at free-running chunk count pos. */
#define RXS_OFF(q, pos)	((size_t)((pos) & (q)->rxs_mask) << KITE_RXS_CHUNK_SHIFT)

/*
 * The burst walk of kite_rx_stream (f) and kite_rx_recs (r): the records
 * from rxs_pos the card marked valid, each once, in ring order (a record
 * that ends at the ring's end is followed by one at chunk 0, with no pad).
 * A burst never spans a pad (it ends before one, and the next skips it), so
 * the forward walks need not look for one.
 */
static inline __attribute__((always_inline)) uint16_t
rxs_walk(struct kite_queue *q, struct kite_rx_frame *f, const struct kite_rx_rec **r, uint16_t n)
{
	const uint8_t *ring = q->rxs;
	uint32_t pos = q->rxs_pos;
	uint64_t bytes = 0;
	unsigned int i;

	q->rxs_last = q->fwd_next = pos;	/* older bursts can never be forwarded */
	for (i = 0; i < n; i++) {
		const uint8_t *rec = ring + RXS_OFF(q, pos);
		uint64_t w = rxs_word(rec);

		if (!(w & RXS_VALID))
			break;
		if (unlikely(RXS_IS_PAD(rec))) {	/* the ring's end: the next record is at 0 */
			if (i)	/* a burst ends there, so no burst has a pad inside */
				break;
			pos += RXS_CHUNKS(w);
			q->rxs_last = q->fwd_next = pos;
			rec = ring;
			w = rxs_word(rec);
			if (!(w & RXS_VALID))
				break;
		}
		if (f)
			rxs_frame(&f[i], rec, w, pos);
		else
			r[i] = (const struct kite_rx_rec *)rec;
		bytes += (uint16_t)w;
		pos += RXS_CHUNKS(w);
	}
	q->rxs_pos = pos;
	q->fwd_left = i;
	q->stats.rx_pkts += i;
	q->stats.rx_bytes += bytes;
	return (uint16_t)i;
}

/*
 * Once per quarter ring (and on every call of a queue without a stream
 * ring, whose rxs_due and rxs_pos are 0): give chunks back, then the walk.
 * Apart, so the common call makes no call and saves no registers.
 */
static __attribute__((noinline, cold)) uint16_t
rxs_walk_after_give_back(struct kite_queue *q, struct kite_rx_frame *f,
			 const struct kite_rx_rec **r, uint16_t n)
{
	if (!q->rxs)
		return 0;
	rxs_give_back(q, q->rxs_pos);
	return rxs_walk(q, f, r, n);
}

static inline bool rxs_give_back_due(const struct kite_queue *q)
{
	return (int32_t)(q->rxs_pos - q->rxs_due) >= 0;
}

uint16_t kite_rx_stream(struct kite_queue *q, struct kite_rx_frame *f, uint16_t n)
{
	if (unlikely(rxs_give_back_due(q)))
		return rxs_walk_after_give_back(q, f, NULL, n);
	return rxs_walk(q, f, NULL, n);
}

uint16_t kite_rx_recs(struct kite_queue *q, const struct kite_rx_rec **r, uint16_t n)
{
	if (unlikely(rxs_give_back_due(q)))
		return rxs_walk_after_give_back(q, NULL, r, n);
	return rxs_walk(q, NULL, r, n);
}

/*
 * Whether a record of the latest burst starts at pos, walking the burst's
 * records from from (a record's start in it, or its end): never a place
 * inside a record, whose "header" would be frame bytes a sender chose.
 * Cold: the hot calls take what kite_rx_stream walked.
 */
static __attribute__((cold)) bool rxs_record_at(const struct kite_queue *q, uint32_t from,
						uint32_t pos)
{
	uint32_t chunks;

	if (!q->rxs || pos - from >= q->rxs_pos - from)
		return false;
	for (; from != pos; from += chunks) {
		chunks = RXS_CHUNKS(rxs_word(q->rxs + RXS_OFF(q, from)));
		if (!chunks || chunks > pos - from)	/* pos is inside this record */
			return false;
	}
	return true;
}

int kite_rx_rec_frame(const struct kite_queue *q, const struct kite_rx_rec *r,
		      struct kite_rx_frame *f)
{
	uintptr_t off;
	uint32_t pos;

	KITE_CALL();
	KITE_NONNULL(q);
	KITE_NONNULL(r);
	KITE_NONNULL(f);
	off = (uintptr_t)r - (uintptr_t)q->rxs;	/* huge when r is before the ring */
	pos = q->rxs_last + (((uint32_t)(off >> KITE_RXS_CHUNK_SHIFT) - q->rxs_last) & q->rxs_mask);
	if (!q->rxs)
		return kite_err(-EINVAL, "queue %u has no stream ring (KITE_QUEUE_RX_STREAM)",
				q->qid);
	if (off % KITE_RXS_CHUNK || off >> KITE_RXS_CHUNK_SHIFT > q->rxs_mask ||
	    !rxs_record_at(q, q->rxs_last, pos))
		return kite_err(-EINVAL, "queue %u: not a record of the latest kite_rx_recs "
				"burst", q->qid);
	rxs_frame(f, (const uint8_t *)r, rxs_word((const uint8_t *)r), pos);
	f->rsvd = 0;
	return 0;
}

/* The oldest held record, in ring order from what the card was last given. */
static void rxs_hold_min(struct kite_queue *q)
{
	uint32_t k, min = q->rxs_pos;

	for (k = 0; k < q->rxs_nholds; k++)
		if (q->rxs_holds[k] - q->rxs_credited < min - q->rxs_credited)
			min = q->rxs_holds[k];
	q->rxs_hold_min = min;
}

int kite_rx_hold(struct kite_queue *q, const struct kite_rx_frame *f)
{
	uint32_t k;

	KITE_CALL();
	KITE_NONNULL(q);
	KITE_NONNULL(f);
	if (!rxs_record_at(q, q->rxs_last, f->pos))
		return kite_err(-EINVAL, "queue %u: not a frame of the latest kite_rx_stream "
				"burst", q->qid);
	for (k = 0; k < q->rxs_nholds; k++)
		if (q->rxs_holds[k] == f->pos)
			return kite_err(-EINVAL, "queue %u: frame held already", q->qid);
	if (q->rxs_nholds == KITE_RX_HOLDS)
		return kite_err(-ENOSPC, "queue %u: %u frames held already; release one or "
				"copy the frame", q->qid, KITE_RX_HOLDS);
	q->rxs_holds[q->rxs_nholds++] = f->pos;
	rxs_hold_min(q);
	return 0;
}

int kite_rx_release(struct kite_queue *q, const struct kite_rx_frame *f)
{
	uint32_t k;

	KITE_CALL();
	KITE_NONNULL(q);
	KITE_NONNULL(f);
	for (k = 0; k < q->rxs_nholds; k++)
		if (q->rxs_holds[k] == f->pos) {
			q->rxs_holds[k] = q->rxs_holds[--q->rxs_nholds];
			rxs_hold_min(q);
			return 0;
		}
	return kite_err(-EINVAL, "queue %u: frame not held (released already, or the "
			"queue restarted)", q->qid);
}


/*
 * §6.4: everything below the card's count is done. Completions are read only
 * for frames that asked for their time, and, when the failed count moved,
 * to find the failures. Buffers go back to their pools; a forwarded frame's
 * chunks go back to the card with the next kite_rx_stream.
 */
static void wb_failures(struct kite_queue *q, uint32_t from, uint32_t to);
static uint64_t fwd_done(struct kite_queue *q, uint32_t head, uint64_t bytes_seen);

unsigned int kite_tx_reap_wb(struct kite_queue *q)
{
	uint64_t w = __atomic_load_n(q->tx_wb, __ATOMIC_ACQUIRE);
	uint32_t head = KITE_TX_WB_HEAD(w), clean = q->tx_clean, start = clean;
	uint32_t mask = q->tx_mask, nfwd = 0, nfree = 0;
	struct kite_pkt **ring = q->tx_pkts;
	struct kite_pool *pool = NULL;
	uint64_t bytes = 0, fwd_bytes = 0;

	if (head == clean || unlikely(head - clean > q->tx_tail - clean))
		return 0;	/* nothing new (or a count the card cannot have written) */
	if (unlikely(KITE_TX_WB_ERRORS(w) != q->tx_failed_seen)) {
		wb_failures(q, clean, head);
		q->tx_failed_seen = KITE_TX_WB_ERRORS(w);
	}
	if (!q->tx_bufs) {	/* only forwarded frames in flight: no per-frame work */
		nfwd = head - clean;
		clean = head;
		fwd_bytes = UINT64_MAX;	/* not counted */
	}
	for (; clean != head; clean++) {
		uint32_t slot = clean & mask;
		struct kite_pkt *p = ring[slot];

		if (!p) {	/* forwarded from the stream ring */
			nfwd++;
			fwd_bytes += q->txr[slot].len;
			continue;
		}
		if (unlikely(p->flags & KITE_PKT_TX_REPORT)) {
			const struct kite_cqe *c = &q->txcq[slot];
			uint64_t cw = cqe_word(c);

			if (!CQE_STATUS(cw))	/* a failure was reported above */
				kite_tx_report_add(q, p->cookie, c->ts, cw, false);
		}
		bytes += p->len;
		if (unlikely(p->pool != pool)) {	/* frames mostly share one pool */
			if (pool)
				pool->nfree = nfree;
			pool = p->pool;
			nfree = pool->nfree;
		}
		pool->stack[nfree++] = p;
		ring[slot] = NULL;	/* a later forwarded frame in this slot stores nothing */
	}
	if (pool)
		pool->nfree = nfree;
	q->tx_bufs -= head - start - nfwd;
	if (nfwd)
		bytes += fwd_done(q, head, fwd_bytes);
	q->stats.tx_pkts += head - start;
	q->stats.tx_bytes += bytes;
	q->tx_clean = head;
	return head - start;
}

/*
 * Forwarded frames up to head finished (tx_clean not moved yet): their
 * chunks are the card's again at the next give-back. Returns their bytes.
 * When none is left in flight (the common case) that is the count kept as
 * they were queued; otherwise the bytes the reap counted among buffers
 * (bytes_seen), or, when it had only forwarded frames, their descriptors'.
 */
static uint64_t fwd_done(struct kite_queue *q, uint32_t head, uint64_t bytes_seen)
{
	uint64_t bytes = 0;
	uint32_t k;

	if (q->tx_tail - head == q->tx_bufs) {	/* all of them: O(1) */
		bytes = q->fwd_sum - q->fwd_sum_done;
		q->fwd_sum_done = q->fwd_sum;
		return bytes;
	}
	if (bytes_seen != UINT64_MAX)
		bytes = bytes_seen;
	else	/* every one from tx_clean to head was forwarded */
		for (k = q->tx_clean; k != head; k++)
			bytes += q->txr[k & q->tx_mask].len;
	q->fwd_sum_done += bytes;
	return bytes;
}

/*
 * The failed ones between from and to: a completion the card wrote in this
 * pass over the ring has the expected phase and index (§6.4). Counted as
 * errors, not as sent, and reported.
 */
__attribute__((cold)) static void wb_failures(struct kite_queue *q, uint32_t from, uint32_t to)
{
	for (; from != to; from++) {
		uint32_t slot = from & q->tx_mask;
		struct kite_cqe *c = &q->txcq[slot];
		uint64_t w = cqe_word(c);
		struct kite_pkt *p = q->tx_pkts[slot];

		if (!cqe_ready(w, from, q->tx_log2) || (uint16_t)(w >> 16) != (uint16_t)from ||
		    !CQE_STATUS(w))
			continue;
		/*
		 * Consumed: its phase flipped (its status kept, so the reap loop
		 * does not report it again as sent), or 2^16 descriptors on (same slot, same
		 * index and phase) it would pass for a new failure (§6.4).
		 */
		__atomic_store_n((uint64_t *)((uint8_t *)c + 8), w ^ CQE_PHASE_BIT, __ATOMIC_RELAXED);
		q->stats.tx_errors++;
		q->stats.tx_pkts--;	/* the caller counts every finished descriptor as sent */
		q->stats.tx_bytes -= CQE_LEN(w);
		if (p)
			kite_tx_report_add(q, p->cookie, c->ts, w, false);
		else
			kite_tx_report_add(q, 0, c->ts, w, false);
	}
}

static uint16_t kite_tx_forward_refuse(const struct kite_queue *q, const struct kite_rx_frame *f,
				      const char *call);

/* Room in the TX ring for n forwarded frames; reaped (when due) by the caller. */
static inline uint16_t fwd_room(const struct kite_queue *q, uint16_t n)
{
	uint32_t room = q->tx_mask + 1 - (q->tx_tail - q->tx_clean);

	return unlikely(room < n) ? (uint16_t)room : n;
}

/* A queue that can forward, reaped when due; false (the error set for call) if not. */
static inline bool fwd_begin(struct kite_queue *q, const char *call)
{
	if (unlikely(!q->fwd_ok)) {
		kite_tx_forward_refuse(q, NULL, call);
		return false;
	}
	if (q->tx_tail - q->tx_clean >= q->fwd_reap)
		kite_tx_reap_wb(q);
	return true;
}

/* n frames queued, the newest record ending at next, sum the bytes so far: the doorbell */
static inline void fwd_queued(struct kite_queue *q, uint32_t n, uint32_t next, uint64_t sum)
{
	q->fwd_next = next;
	q->fwd_sum = sum;
	q->tx_tail += n;
	doorbell(q->db_tx, q->tx_tail, q->db_wc);
}

/* Frames of the latest burst from pos on (none a pad): after a kite_tx_forward that skipped some. */
static __attribute__((cold)) uint32_t fwd_left_from(const struct kite_queue *q, uint32_t pos)
{
	uint32_t left, chunks;

	for (left = 0; (int32_t)(q->rxs_pos - pos) > 0; left++, pos += chunks)
		if (!(chunks = RXS_CHUNKS(rxs_word(q->rxs + RXS_OFF(q, pos)))))
			break;	/* a header the application wrote over */
	return left;
}

/*
 * Send frames of the latest kite_rx_stream burst out of the same queue, in
 * place: a descriptor points into the stream ring, and the record's chunks
 * go back to the card only once the write-back count passes it. A TX slot
 * of a forwarded frame has no packet (tx_pkts NULL: kite_tx_reap_wb keeps
 * the slots of reaped buffers NULL, so nothing is stored here).
 */
uint16_t kite_tx_forward(struct kite_queue *q, const struct kite_rx_frame *f, uint16_t n)
{
	/* rmask a local: the descriptor stores would make q->rxs_mask a load each frame */
	uint32_t tail = q->tx_tail, mask = q->tx_mask, rmask = q->rxs_mask;
	/* records of the latest burst, from the newest forwarded on */
	uint32_t next = q->fwd_next;
	uint64_t base = q->fwd_base, sum = q->fwd_sum;
	struct kite_tx_desc *txr = q->txr;
	const uint8_t *ring0 = q->rxs;
	uint16_t i;

	if (!fwd_begin(q, "kite_tx_forward"))
		return 0;
	n = fwd_room(q, n);
	for (i = 0; i < n; i++) {
		uint32_t pos = f[i].pos, slot = (tail + i) & mask;
		size_t off;
		uint64_t len;

		/*
		 * each record once, in ring order, at a record's start (walked to
		 * from next); next itself only while the burst goes on past it
		 */
		if (unlikely(pos != next || next == q->rxs_pos) && !rxs_record_at(q, next, pos))
			break;
		off = (size_t)(pos & rmask) << KITE_RXS_CHUNK_SHIFT;
		/* the length the card wrote (its line is in cache), not the caller's */
		len = (uint16_t)rxs_word(ring0 + off);
		/* the address from the record's place, never from the caller's pointer */
		txr[slot].addr = base + off;
		*(uint64_t *)&txr[slot].len = len;
		next = pos + KITE_RXS_CHUNKS((uint32_t)len);
		sum += len;
	}
	if (unlikely(i < n)) {	/* no call in the loop: it would cost it registers */
		kite_tx_forward_refuse(q, &f[i], "kite_tx_forward");
		n = i;
	}
	if (likely(n)) {
		fwd_queued(q, n, next, sum);
		q->fwd_left = next == q->rxs_pos ? 0 : fwd_left_from(q, next);
	}
	return n;
}

/*
 * The next k of the burst's fwd_left frames from fwd_next (room checked),
 * walked as kite_rx_stream walked them (it validated them: ring space the
 * card cannot reuse yet, and no pad among them); one bound per frame. The
 * queue's fields are read in the loop, where the descriptor stores make the
 * compiler read them again: memory operands, where locals would take
 * registers the callee saves (a push and a pop each, on every call).
 */
static inline __attribute__((always_inline)) uint16_t fwd_next_walk(struct kite_queue *q,
								     uint32_t k)
{
	uint32_t next = q->fwd_next, tail = q->tx_tail, end = tail + k, t;
	const uint8_t *ring = q->rxs;
	uint64_t sum = q->fwd_sum;

	if (unlikely(!k))
		return 0;	/* no doorbell: on a card each is a bus transaction */
	t = tail;
	do {
		size_t off = RXS_OFF(q, next);
		struct kite_tx_desc *d = &q->txr[t & q->tx_mask];
		uint64_t w = rxs_word(ring + off);

		d->addr = q->fwd_base + off;
		*(uint64_t *)&d->len = (uint16_t)w;
		sum += (uint16_t)w;
		next += RXS_CHUNKS(w);
	} while (++t != end);
	q->fwd_left -= k;
	fwd_queued(q, k, next, sum);
	return (uint16_t)k;
}

/* Not a forwarding queue, a reap due, or k more than the room a reaped ring has. */
static __attribute__((noinline, cold)) uint16_t fwd_next_slow(struct kite_queue *q, uint16_t k)
{
	if (!fwd_begin(q, "kite_tx_forward_next"))
		return 0;
	return fwd_next_walk(q, fwd_room(q, k));
}

uint16_t kite_tx_forward_next(struct kite_queue *q, uint16_t n)
{
	uint32_t k = n < q->fwd_left ? n : q->fwd_left;

	/* fwd_reap is 0 on a queue that cannot forward: always the slow path */
	if (unlikely(q->tx_tail - q->tx_clean >= q->fwd_reap || k > q->fwd_room_min))
		return fwd_next_slow(q, (uint16_t)k);
	return fwd_next_walk(q, k);
}

/* The hot calls set no kite_api_call: the message names the call itself. */
static __attribute__((cold)) uint16_t kite_tx_forward_refuse(const struct kite_queue *q,
							     const struct kite_rx_frame *f,
							     const char *call)
{
	if (!f)
		kite_err(-EINVAL, "%s: queue %u was not opened with KITE_QUEUE_RX_STREAM and "
			 "KITE_QUEUE_TX_WB", call, q->qid);
	else
		kite_err(-EINVAL, "%s: queue %u: not a frame of the latest kite_rx_stream burst "
			 "(or not where a record starts), or forwarded already", call, q->qid);
	return 0;
}
