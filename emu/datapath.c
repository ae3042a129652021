// SPDX-License-Identifier: BSD-3-Clause
/*
 * The card's data path (hw-spec §6): TX descriptors and PIO slots go out on a
 * port, the wire carries them to a port, filters steer them to a queue, RX
 * descriptors say where they land. Completions are written last, phase last.
 */
#include <string.h>
#include <unistd.h>

#include "emu_internal.h"

static inline uint32_t db_load(const struct emu_queue *q, unsigned int off)
{
	return __atomic_load_n((uint32_t *)(q->db + off), __ATOMIC_ACQUIRE);
}

/* A doorbell the model sees moved was written at least once. */
static inline void bus_doorbell(struct emu_queue *q, uint32_t *seen, uint32_t now)
{
	if (now != *seen) {
		q->bus.mmio_writes++;
		*seen = now;
	}
}

/* Bus accounting (emu.h struct kite_emu_bus): what a real card would move. */
static inline void bus_read(struct emu_queue *q, uint32_t bytes)
{
	q->bus.dma_reads++;
	q->bus.dma_read_bytes += bytes;
}

static inline void bus_write(struct emu_queue *q, uint32_t bytes)
{
	q->bus.dma_writes++;
	q->bus.dma_write_bytes += bytes;
}

/* §5.3: ts first, then the word holding PHASE, released; one posted write of q's. */
static inline void cqe_write(struct emu_queue *q, struct kite_cqe *c, uint64_t ts, uint32_t len,
			     uint32_t index, uint32_t filter, uint32_t status, uint32_t flags)
{
	uint64_t w = (uint64_t)(len & 0xffff) | (uint64_t)(index & 0xffff) << 16 |
		     (uint64_t)(filter & 0xffff) << 32 | (uint64_t)(status & 0xff) << 48 |
		     (uint64_t)(flags & 0xff) << 56;

	__atomic_store_n(&c->ts, ts, __ATOMIC_RELAXED);
	__atomic_store_n((uint64_t *)((uint8_t *)c + 8), w, __ATOMIC_RELEASE);
	bus_write(q, sizeof(*c));
}

static inline uint32_t rd_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint64_t rd_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* §3.8: does frame f match filter entry fl? */
static bool filter_match(const struct emu_filter *fl, const uint8_t *f, uint32_t len)
{
	uint32_t ihl;

	if (fl->type == KITE_F_CTRL_TYPE_ALL)	/* copies only; §3.8 */
		return fl->copy;
	if (fl->type == KITE_F_CTRL_TYPE_DST_MAC)
		return rd_be(f, 6) == (fl->key & 0xffffffffffffULL);
	if (len < 34 || rd_be16(f + 12) != 0x0800 || (f[14] >> 4) != 4)
		return false;
	if (fl->type == KITE_F_CTRL_TYPE_IPV4_DST)
		return rd_be(f + 30, 4) == (fl->key & 0xffffffffULL);
	ihl = (f[14] & 0xf) * 4u;
	if (fl->type != KITE_F_CTRL_TYPE_UDP_DST || f[23] != 17 || ihl < 20 ||
	    len < 14 + ihl + 4)
		return false;
	return rd_be16(f + 14 + ihl + 2) == (fl->key & 0xffff);
}

/*
 * §5.4: one record into the stream ring at chunk off: the next header
 * cleared first, the frame, then the header, VALID released last.
 */
static inline void rxs_record(struct emu_queue *q, uint32_t off, uint32_t chunks, uint64_t ts,
			      const uint8_t *f, uint32_t len, uint32_t filter, uint32_t flags)
{
	uint8_t *rec = q->rxs + ((size_t)off << KITE_RXS_CHUNK_SHIFT);
	uint8_t *next = q->rxs + ((size_t)((off + chunks) & (q->rxs_chunks - 1)) <<
				  KITE_RXS_CHUNK_SHIFT);
	uint64_t w = (uint64_t)(len & 0xffff) | (uint64_t)(chunks & 0xffff) << 16 |
		     (uint64_t)(filter & 0xffff) << 32 | (uint64_t)(flags & 0xff) << 56;

	__atomic_store_n((uint64_t *)(next + 8), 0, __ATOMIC_RELAXED);
	__atomic_store_n((uint64_t *)next, 0, __ATOMIC_RELEASE);
	if (len)
		memmove(rec + KITE_RXS_HDR_SIZE, f, len);
	__atomic_store_n((uint64_t *)rec, ts, __ATOMIC_RELAXED);
	__atomic_store_n((uint64_t *)(rec + 8), w, __ATOMIC_RELEASE);
	/* a real card: the frame's later chunks and the cleared header, then chunk 0 */
	if (chunks > 1)
		bus_write(q, len + KITE_RXS_HDR_SIZE - KITE_RXS_CHUNK + KITE_RXS_HDR_SIZE);
	else
		bus_write(q, KITE_RXS_HDR_SIZE);
	bus_write(q, KITE_RXS_CHUNK);
}

/*
 * §5.4: frame f into queue qid's stream ring, if the credits software
 * returned leave room for it, its pad and the cleared header after it.
 */
static inline __attribute__((always_inline)) bool
stream_deliver(struct kite_emu *e, struct emu_queue *q, unsigned int qid, unsigned int p,
	       uint32_t filter, const uint8_t *f, uint32_t len)
{
	uint32_t n = KITE_RXS_CHUNKS(len), off = q->rxs_head & (q->rxs_chunks - 1);
	uint32_t pad = off + n > q->rxs_chunks ? q->rxs_chunks - off : 0;
	uint32_t credit = db_load(q, KITE_DB_RXS_CREDIT);

	if (credit != q->rxs_credit) {
		q->bus.mmio_writes++;
		if ((int32_t)(credit - q->rxs_head) > 0) {	/* chunks not written yet */
			emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_RX_OVERFLOW);
			return false;
		}
		q->rxs_credit = credit;
	}
	if (q->rxs_head + pad + n + 1 - q->rxs_credit > q->rxs_chunks) {
		add64(e, KITE_R_AT(Q_RX_DROP_NOBUF, qid), 1);
		return false;
	}
	if (pad) {
		rxs_record(q, off, pad, e->now, NULL, 0, KITE_CQE_NO_FILTER,
			   KITE_RXS_F_VALID | KITE_RXS_F_PAD);
		off = 0;
	}
	rxs_record(q, off, n, e->now, f, len, filter,
		   KITE_RXS_F_VALID | KITE_RXS_F_TS | (p ? KITE_RXS_F_PORT1 : 0));
	q->rxs_head += pad + n;
	w32(e, KITE_R_AT(Q_RXS_HEAD, qid), q->rxs_head);
	add64(e, KITE_R_AT(Q_RX_PKTS, qid), 1);
	add64(e, KITE_R_AT(Q_RX_BYTES, qid), len);
	return true;
}

/*
 * Write frame f, received on port p and steered by filter (or none), into
 * queue qid's next RX buffer. Returns false, counted in the queue's or the
 * port's drop counters, if it could not. Always inlined: it runs for every
 * frame, and as a call it cost port_receive 16% more instructions (callgrind).
 */
static inline __attribute__((always_inline)) bool
queue_deliver(struct kite_emu *e, unsigned int p, unsigned int qid, uint32_t filter,
	      const uint8_t *f, uint32_t len)
{
	struct emu_queue *q = &e->q[qid % KITE_MAX_QUEUES];
	uint32_t i, flags;
	uint8_t *buf;

	if (qid >= KITE_MAX_QUEUES || !q->running)
		return false;
	if (q->rxs)
		return stream_deliver(e, q, qid, p, filter, f, len);
	if (q->rx_head == q->rx_tail) {
		uint32_t old = q->rx_tail;

		q->rx_tail = db_load(q, KITE_DB_RX_TAIL);
		if (q->rx_tail != old) {	/* a doorbell write; the card fetches the new lines */
			q->bus.mmio_writes++;
			q->bus.dma_reads_ahead += (q->rx_tail - old + 3) / 4;
		}
		if (q->rx_tail - q->rx_head > q->rx_mask + 1) {
			/* §3.7: the frame this found is counted by the caller */
			emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_RX_OVERFLOW);
			return false;
		}
		if (q->rx_head == q->rx_tail) {
			add64(e, KITE_R_AT(Q_RX_DROP_NOBUF, qid), 1);
			return false;
		}
	}
	if (len > q->rx_buf_size) {
		add64(e, KITE_R_AT(Q_RX_DROP_BUFSZ, qid), 1);
		return false;
	}
	i = q->rx_head & q->rx_mask;
	buf = emu_dma_ptr(e, q->dma_owner, q->rxr[i].addr, q->rx_buf_size);
	if (!buf) {
		emu_fault(e, qid, KITE_FAULT_INFO_SOURCE_RX_BUF, q->rxr[i].addr, q->rx_buf_size);
		emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_DMA_FAULT);
		return false;	/* §3.7: the fault stopped it; the caller counts the frame */
	}
	/* on the loopback the frame may come from a TX buffer overlapping this one */
	memmove(buf, f, len);
	bus_write(q, len);
	flags = KITE_CQE_F_TS | (p ? KITE_CQE_F_PORT1 : 0) |
		KITE_CQE_PHASE(q->rx_head, q->rx_log2);
	cqe_write(q, &q->rxcq[i], e->now, len, q->rx_head, filter, KITE_CQE_S_OK, flags);
	q->rx_head++;
	w32(e, KITE_R_AT(Q_RX_HEAD, qid), q->rx_head);
	add64(e, KITE_R_AT(Q_RX_PKTS, qid), 1);
	add64(e, KITE_R_AT(Q_RX_BYTES, qid), len);
	return true;
}

/* Did the queue refuse a frame for a reason the port counts (not running, stopped by it)? */
static bool queue_refused(const struct kite_emu *e, unsigned int qid)
{
	return qid >= KITE_MAX_QUEUES || !e->q[qid].running;
}

/* A frame arrives on port p from the wire. */
static void port_receive(struct kite_emu *e, unsigned int p, const uint8_t *f, uint32_t len)
{
	struct emu_port *port = &e->port[p];
	uint32_t filter = KITE_CQE_NO_FILTER, qid;
	unsigned int i;

	add64(e, KITE_R_AT(P_RX_PKTS, p), 1);
	add64(e, KITE_R_AT(P_RX_BYTES, p), len);
	if (len > port->max_frame || len < KITE_MIN_FRAME) {
		add64(e, KITE_R_AT(P_RX_DROP_MTU, p), 1);
		return;
	}
	/*
	 * §3.8: the first ordinary entry that matches steers the frame; every
	 * copy entry that matches, before or after it, gets a copy.
	 */
	qid = port->default_queue;
	for (i = 0; i < e->nfilters && (filter == KITE_CQE_NO_FILTER || i < e->copy_end); i++) {
		const struct emu_filter *fl = &e->filter[i];

		if (fl->port != p || (!fl->copy && filter != KITE_CQE_NO_FILTER) ||
		    !filter_match(fl, f, len))
			continue;
		add64(e, KITE_R_AT(F_HITS, fl->index), 1);
		if (fl->copy) {
			if (!queue_deliver(e, p, fl->queue, fl->index, f, len))
				add64(e, KITE_R_AT(P_RX_COPY_DROP, p), 1);
			continue;
		}
		filter = fl->index;
		qid = fl->queue;
	}
	if (filter == KITE_CQE_NO_FILTER && !port->default_en) {
		add64(e, KITE_R_AT(P_RX_DROP_NOMATCH, p), 1);
		return;
	}
	if (!queue_deliver(e, p, qid, filter, f, len) && queue_refused(e, qid))
		add64(e, KITE_R_AT(P_RX_DROP_NOQ, p), 1);
}

/* Queue q sends frame f on its port; returns the completion status. */
static unsigned int port_send(struct kite_emu *e, struct emu_queue *q, const uint8_t *f,
			      uint32_t len)
{
	unsigned int p = q->port;

	if (len < KITE_MIN_FRAME || len > e->port[p].max_frame)
		return KITE_CQE_S_BAD_LEN;
	if (!e->port[p].enabled || !e->port[p].carrier) {
		add64(e, KITE_R_AT(P_TX_DROP_LINK, p), 1);
		return KITE_CQE_S_LINK_DOWN;
	}
	add64(e, KITE_R_AT(P_TX_PKTS, p), 1);
	add64(e, KITE_R_AT(P_TX_BYTES, p), len);
	if (p == 0 && e->tap_fd >= 0) {	/* out on the TAP cable, to the kernel */
		if (write(e->tap_fd, f, len) < 0)
			add64(e, KITE_R_AT(P_TX_DROP_LINK, p), 1);
		return KITE_CQE_S_OK;
	}
	port_receive(e, e->cfg.wire == KITE_EMU_WIRE_PAIR ? p ^ 1 : p, f, len);
	return KITE_CQE_S_OK;
}

static void queue_count_tx(struct kite_emu *e, unsigned int qid, unsigned int status,
			   uint32_t len)
{
	if (status != KITE_CQE_S_OK) {
		add64(e, KITE_R_AT(Q_TX_ERRORS, qid), 1);
		return;
	}
	add64(e, KITE_R_AT(Q_TX_PKTS, qid), 1);
	add64(e, KITE_R_AT(Q_TX_BYTES, qid), len);
}

static unsigned int process_tx(struct kite_emu *e, unsigned int qid, uint32_t tail)
{
	struct emu_queue *q = &e->q[qid];
	uint32_t n = tail - q->tx_head, done;

	if (n > q->tx_mask + 1) {
		emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_TX_OVERFLOW);
		return 0;
	}
	if (n > EMU_TX_BUDGET)
		n = EMU_TX_BUDGET;
	for (done = 0; done < n && q->running; done++) {
		uint32_t i = q->tx_head & q->tx_mask;
		const struct kite_tx_desc *d = &q->txr[i];
		uint64_t addr = __atomic_load_n(&d->addr, __ATOMIC_RELAXED);
		/*
		 * The descriptor is read once: software writes the next ones in
		 * the same line meanwhile, and a second read would wait for it.
		 */
		uint64_t w = __atomic_load_n((const uint64_t *)&d->len, __ATOMIC_RELAXED);
		uint32_t len = (uint16_t)w, dflags = (uint16_t)(w >> 16), status;
		const uint8_t *f = NULL;

		if (done == 0 || (i & 3) == 0)	/* one read per 64-byte line of descriptors */
			bus_read(q, 64);
		if ((w >> 32) || (dflags & ~KITE_TXD_F_TS)) {
			status = KITE_CQE_S_BAD_DESC;
		} else {
			f = emu_dma_ptr(e, q->dma_owner, addr, len);
			if (f)
				bus_read(q, len);
			status = f ? port_send(e, q, f, len) : KITE_CQE_S_DMA_FAULT;
		}
		queue_count_tx(e, qid, status, len);
		/* §6.4: with write-back, a completion only when asked for or failed */
		if (!q->tx_wb || status != KITE_CQE_S_OK || (dflags & KITE_TXD_F_TS))
			cqe_write(q, &q->txcq[i], e->now, len, q->tx_head, KITE_CQE_NO_FILTER,
				  status, KITE_CQE_F_TS | KITE_CQE_PHASE(q->tx_head, q->tx_log2));
		q->tx_failed += status != KITE_CQE_S_OK;
		q->tx_head++;
		if (!f && status == KITE_CQE_S_DMA_FAULT) {
			emu_fault(e, qid, KITE_FAULT_INFO_SOURCE_TX_BUF, addr, len);
			emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_DMA_FAULT);
		}
	}
	w32(e, KITE_R_AT(Q_TX_HEAD, qid), q->tx_head);
	if (q->tx_wb && done) {	/* §6.4: after the completions it counts */
		__atomic_store_n(q->tx_wb, q->tx_head | (uint64_t)q->tx_failed << 32,
				 __ATOMIC_RELEASE);
		bus_write(q, 8);
	}
	return done;
}

static inline uint8_t *pio_slot(const struct emu_queue *q, unsigned int slot)
{
	return q->db + KITE_PIO_WINDOW + slot * KITE_PIO_SLOT_SIZE;
}

/* §4.4: mark every word after the header: each must arrive again before it is sent. */
void emu_pio_mark(struct emu_queue *q, unsigned int slot)
{
	uint8_t *p = pio_slot(q, slot);
	unsigned int off;

	for (off = KITE_PIO_HDR_SIZE; off < KITE_PIO_SLOT_SIZE; off += 8)
		__atomic_store_n((uint64_t *)(p + off), EMU_PIO_MARK, __ATOMIC_RELAXED);
}

/* §4.4: did every word the frame needs arrive since the card last took the slot? */
static bool pio_whole(const uint8_t *slot, uint32_t len)
{
	unsigned int off;

	for (off = KITE_PIO_HDR_SIZE; off < KITE_PIO_HDR_SIZE + len; off += 8)
		if (*(const uint64_t *)(slot + off) == EMU_PIO_MARK)
			return false;
	return true;
}

/* §4.3, §4.4: send the frame in slot i's PIO count, complete it. */
static void pio_take(struct kite_emu *e, unsigned int qid, struct emu_queue *q, uint64_t hdr)
{
	uint32_t i = q->pio_head % KITE_PIO_SLOTS, len = (uint16_t)hdr, status;
	uint32_t flags = (uint16_t)(hdr >> 16), rsvd = q->pio_direct ? 0 : (uint32_t)(hdr >> 32);
	const uint8_t *slot = pio_slot(q, i);

	/* the header and frame arrived as posted 64-byte write-combined bursts */
	q->bus.mmio_writes += (KITE_PIO_HDR_SIZE + (len > KITE_PIO_MAX_FRAME ? 0 : len) + 63) / 64;
	if (rsvd || (flags & ~KITE_TXD_F_TS))
		status = KITE_CQE_S_BAD_DESC;
	else if (len > KITE_PIO_MAX_FRAME)
		status = KITE_CQE_S_BAD_LEN;
	else if (q->pio_direct && !pio_whole(slot, len))
		status = KITE_CQE_S_TORN;
	else
		status = port_send(e, q, slot + KITE_PIO_HDR_SIZE, len);
	queue_count_tx(e, qid, status, len);
	if (status == KITE_CQE_S_OK)
		add64(e, KITE_R_AT(Q_PIO_PKTS, qid), 1);
	if (q->pio_direct)
		emu_pio_mark(q, i);
	cqe_write(q, &q->piocq[i], e->now, len, q->pio_head, KITE_CQE_NO_FILTER, status,
		  KITE_CQE_F_TS | KITE_CQE_PHASE(q->pio_head, 3));
	q->pio_head++;
}

/* §4.3: frames written straight into the doorbell page, then DB_PIO_TAIL. */
static unsigned int process_pio(struct kite_emu *e, unsigned int qid, uint32_t tail)
{
	struct emu_queue *q = &e->q[qid];
	uint32_t n = tail - q->pio_head, done;

	if (n > KITE_PIO_SLOTS) {
		emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_PIO_OVERFLOW);
		return 0;
	}
	for (done = 0; done < n && q->running; done++)
		pio_take(e, qid, q, *(const uint64_t *)pio_slot(q, q->pio_head % KITE_PIO_SLOTS));
	w32(e, KITE_R_AT(Q_PIO_HEAD, qid), q->pio_head);
	return done;
}

/* §4.4: the next slot's header says it is there; no doorbell. */
static inline uint64_t pio_direct_hdr(const struct emu_queue *q)
{
	return __atomic_load_n((const uint64_t *)pio_slot(q, q->pio_head % KITE_PIO_SLOTS),
			       __ATOMIC_ACQUIRE);
}

static inline bool pio_direct_ready(const struct emu_queue *q, uint64_t hdr)
{
	return (uint32_t)(hdr >> 32) == KITE_PIO_SEQ(q->pio_head);
}

static unsigned int process_pio_direct(struct kite_emu *e, unsigned int qid, uint64_t hdr)
{
	struct emu_queue *q = &e->q[qid];
	unsigned int done = 0;

	do {
		pio_take(e, qid, q, hdr);
		done++;
		hdr = pio_direct_hdr(q);
	} while (done < KITE_PIO_SLOTS && q->running && pio_direct_ready(q, hdr));
	w32(e, KITE_R_AT(Q_PIO_HEAD, qid), q->pio_head);
	return done;
}

/* Frames the kernel sent on the TAP arrive on port 0; a bounded batch per call. */
unsigned int emu_poll_tap(struct kite_emu *e)
{
	unsigned int n;

	if (e->tap_fd < 0)
		return 0;
	/*
	 * Room for any frame the kernel may send: one longer than the port's MTU
	 * allows is counted as such (P_RX_DROP_MTU, with its real length in
	 * P_RX_BYTES), never cut down to a frame that looks valid.
	 */
	for (n = 0; n < EMU_TAP_BUDGET; n++) {
		ssize_t len = read(e->tap_fd, e->tap_buf, EMU_TAP_BUF);

		if (len <= 0)
			break;
		if (e->port[0].enabled && e->port[0].carrier)
			port_receive(e, 0, e->tap_buf, (uint32_t)len);
	}
	return n;
}

/* One pass over the running queues' doorbells. */
unsigned int emu_poll_queues(struct kite_emu *e)
{
	unsigned int k, work = 0;
	bool stamped = false;

	for (k = 0; k < e->nrunning; k++) {
		unsigned int qid = e->running[k];
		struct emu_queue *q = &e->q[qid];
		uint32_t pio = db_load(q, KITE_DB_PIO_TAIL);
		uint32_t tx = db_load(q, KITE_DB_TX_TAIL);
		uint64_t hdr = 0;
		bool direct = false;

		if (q->pio_direct) {	/* §4.4: DB_PIO_TAIL is ignored */
			hdr = pio_direct_hdr(q);
			direct = pio_direct_ready(q, hdr);
			pio = q->pio_head;
		}
		if (!direct && pio == q->pio_head && tx == q->tx_head)
			continue;
		if (!stamped) {	/* one clock read per pass, not per frame */
			e->now = emu_clock_fast(e);
			stamped = true;
		}
		if (direct)
			work += process_pio_direct(e, qid, hdr);
		else if (pio != q->pio_head) {
			bus_doorbell(q, &q->pio_db_seen, pio);
			work += process_pio(e, qid, pio);
		}
		if (q->running && tx != q->tx_head) {
			bus_doorbell(q, &q->tx_db_seen, tx);
			work += process_tx(e, qid, tx);
		}
	}
	return work;
}
