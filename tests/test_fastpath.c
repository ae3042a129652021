// SPDX-License-Identifier: BSD-3-Clause
/*
 * Contract 1.3's fast path through libkite and kite-emu in one process, the
 * model in step mode. RX stream rings (hw-spec §5.4): records in place, pads
 * at the wrap, frames over many chunks, jumbo frames, credits running out
 * (dropped and counted, nothing overwritten), held frames, forged headers and
 * credits, reset mid-stream, stream and descriptor queues side by side.
 * Direct PIO (§4.4): no doorbell, torn and stale slots never sent, slots
 * cleared at start. And a card without either feature.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "lib_fixture.h"
#include "lib_internal.h"
#include "kite/hw.h"
#include "kite/kite.h"

#define TXQ 0	/* sends on port 0; the loopback brings the frames back */
#define SQ 1	/* the stream queue: port 0's default */

/* Send one frame and let the model carry it; the sender's buffer comes back. */
static void send_one(struct fx *f, struct kite_queue *tx, uint16_t len, uint64_t seq)
{
	assert_int_equal(send_seq(f, tx, len, seq), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_tx_reap(tx), 1);
}

static void test_stream_one(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 0);
	struct kite_rx_frame fr[4];
	struct kite_queue_stats st;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	assert_int_equal(kite_rx_stream(q, fr, 4), 0);
	send_one(f, tx, 64, 7);
	assert_int_equal(kite_rx_stream(q, fr, 4), 1);
	assert_int_equal(fr[0].len, 64);
	assert_true(frame_check(fr[0].data, 64, 7));
	assert_int_equal(fr[0].filter, 0xffff);
	assert_true(fr[0].flags & KITE_RX_TS_VALID);
	assert_false(fr[0].flags & KITE_RX_PORT1);
	assert_int_not_equal(fr[0].ts, 0);
	/* the header and the frame's first 48 bytes share one cache line */
	assert_int_equal((uintptr_t)fr[0].data % 64, KITE_RXS_HDR_SIZE);
	assert_int_equal(kite_rx_burst(q, NULL, 4), 0);	/* not a descriptor queue */
	kite_queue_stats(q, &st);
	assert_int_equal(st.rx_pkts, 1);
	assert_int_equal(st.rx_bytes, 64);
	kite_queue_close(q);
	kite_queue_close(tx);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * Thousands of frames of mixed lengths through the smallest ring: it wraps
 * with a pad tens of times, every frame arrives whole and in order.
 */
static void test_stream_wrap(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 1 << 16);
	struct kite_queue_hw_stats hs;
	struct kite_rx_frame fr[8];
	uint64_t seq, got = 0, bytes = 0;
	unsigned int k, pads = 0;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (seq = 0; seq < 6000; seq++) {
		uint32_t before = q->rxs_pos;
		uint16_t n;

		send_one(f, tx, len_for(seq), seq);
		n = kite_rx_stream(q, fr, 8);
		assert_int_equal(n, 1);
		for (k = 0; k < n; k++, got++) {
			assert_int_equal(fr[k].len, len_for(got));
			assert_true(frame_check(fr[k].data, fr[k].len, got));
			/* a record never wraps: it ends inside the ring */
			assert_true(fr[k].data + fr[k].len <= q->rxs + (q->rxs_mask + 1) * 64);
			bytes += fr[k].len;
		}
		if ((q->rxs_pos & ~q->rxs_mask) != (before & ~q->rxs_mask) &&
		    (q->rxs_pos & q->rxs_mask) != 0)
			pads++;
	}
	assert_true(pads > 30);	/* ~7 chunks a frame: 40 laps of 1024 chunks */
	hw_stats(f, SQ, &hs);
	assert_int_equal(hs.rx_pkts, 6000);
	assert_int_equal(hs.rx_bytes, bytes);
	assert_int_equal(hs.rx_drop_nobuf, 0);
	kite_queue_close(q);
	kite_queue_close(tx);
}

/*
 * Records that end exactly at the ring's end: the next one is at chunk 0
 * with no pad (§5.4). 112-byte frames take 2 chunks, so every lap of 1024
 * chunks ends that way, and bursts of 7 put the turn inside a burst. Read as
 * frames and as records (kite_rx_recs, kite_rx_rec_frame) on alternate
 * bursts; every frame whole and in order, the records where the frames are.
 */
static void test_stream_exact_end(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 1 << 16);
	const uint8_t *end = NULL;
	const struct kite_rx_rec *r[8];
	struct kite_rx_frame fr[8], rf;
	uint64_t seq = 0, got = 0;
	unsigned int round, k, turns = 0;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	end = q->rxs + (size_t)(q->rxs_mask + 1) * KITE_RXS_CHUNK;
	for (round = 0; round < 400; round++) {
		uint32_t before = q->rxs_pos;
		bool recs = round & 1;
		uint16_t n;

		for (k = 0; k < 7; k++, seq++)
			assert_int_equal(send_seq(f, tx, 112, seq), 1);
		kite_emu_step(f->emu);
		assert_int_equal(kite_tx_reap(tx), 7);
		n = recs ? kite_rx_recs(q, r, 8) : kite_rx_stream(q, fr, 8);
		assert_int_equal(n, 7);
		for (k = 0; k < n; k++, got++) {
			const uint8_t *data = recs ? kite_rx_rec_data(r[k]) : fr[k].data;

			assert_true(data >= q->rxs && data + 112 <= end);
			assert_true(frame_check(data, 112, got));
			if (!recs)
				continue;
			assert_int_equal(r[k]->len, 112);
			assert_int_equal(r[k]->chunks, 2);
			assert_int_equal(r[k]->filter, 0xffff);
			assert_true(r[k]->flags & KITE_RX_TS_VALID);
			assert_int_equal(kite_rx_rec_frame(q, r[k], &rf), 0);
			assert_ptr_equal(rf.data, data);
			assert_int_equal(rf.len, 112);
			assert_int_equal(rf.ts, r[k]->ts);
		}
		if ((q->rxs_pos & ~q->rxs_mask) != (before & ~q->rxs_mask) &&
		    (q->rxs_pos & q->rxs_mask) != 0)
			turns++;	/* the ring's end inside this burst */
		assert_int_equal(q->rxs_pos - before, 14);	/* no pad: 7 records of 2 chunks */
	}
	assert_true(turns > 4);	/* 400 bursts of 14 chunks: 5 laps */
	kite_queue_close(q);
	kite_queue_close(tx);
}

/*
 * kite_rx_rec_frame takes only the start of a record of the latest burst:
 * not a pointer into a record, not an older burst's record, not a pointer
 * outside the ring; a frame it makes can be held like kite_rx_stream's.
 */
static void test_stream_rec_frame(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 1 << 16);
	struct kite_queue *plain = open_q(f, 2, 0, 64, 64);
	const struct kite_rx_rec *r[4], *old;
	struct kite_rx_frame rf, fr;
	uint8_t junk[64] = { 0 };

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	assert_int_equal(kite_rx_recs(plain, r, 4), 0);	/* not a stream queue */
	send_one(f, tx, 300, 1);
	send_one(f, tx, 60, 2);
	assert_int_equal(kite_rx_recs(q, r, 4), 2);
	assert_int_equal(kite_rx_rec_frame(q, r[1], &rf), 0);
	assert_int_equal(rf.len, 60);
	assert_int_equal(kite_rx_rec_frame(q, (const void *)((const uint8_t *)r[0] + 64), &rf),
			 -EINVAL);	/* inside the first record */
	assert_non_null(strstr(kite_last_error(), "not a record of the latest"));
	assert_int_equal(kite_rx_rec_frame(q, (const void *)junk, &rf), -EINVAL);
	assert_int_equal(kite_rx_rec_frame(plain, r[0], &rf), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "has no stream ring"));
	assert_int_equal(kite_rx_rec_frame(q, r[0], &rf), 0);
	assert_int_equal(kite_rx_hold(q, &rf), 0);
	old = r[0];
	send_one(f, tx, 100, 3);
	assert_int_equal(kite_rx_recs(q, r, 4), 1);
	assert_int_equal(kite_rx_rec_frame(q, old, &fr), -EINVAL);	/* an older burst */
	assert_true(frame_check(rf.data, 300, 1));	/* held */
	assert_int_equal(kite_rx_release(q, &rf), 0);
	kite_queue_close(plain);
	kite_queue_close(q);
	kite_queue_close(tx);
}

/* Jumbo frames (9018 bytes, 142 chunks) through a 64 KiB ring, byte-exact. */
static void test_stream_jumbo(void **state)
{
	struct fx *f = *state;
	struct kite_pool *big;
	struct kite_queue_conf c = { .port = 0, .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_queue *tx, *q = open_stream(f, SQ, 1 << 16);
	struct kite_rx_frame fr;
	uint64_t seq;

	assert_int_equal(kite_pool_create(f->dev, 128, 16384, &big), 0);
	c.rx_pool = big;
	assert_int_equal(kite_queue_open(f->dev, TXQ, &c, &tx), 0);
	assert_int_equal(kite_mtu_set(f->dev, 0, 9000), 0);
	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (seq = 0; seq < 100; seq++) {
		struct kite_pkt *p = kite_pkt_alloc(big);
		uint16_t len = seq % 3 ? KITE_MAX_FRAME : 1514;

		frame_fill(p->data, len, MAC0, MAC0, seq);
		p->len = len;
		assert_int_equal(kite_tx_burst(tx, &p, 1), 1);
		kite_emu_step(f->emu);
		assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
		assert_int_equal(fr.len, len);
		assert_true(frame_check(fr.data, len, seq));
		kite_tx_reap(tx);
	}
	kite_queue_close(q);
	kite_queue_close(tx);
	assert_int_equal(kite_pool_destroy(big), 0);
}

/*
 * The application stops reading: the card fills the ring, then drops and
 * counts; nothing it wrote is overwritten; reading resumes the flow.
 */
static void test_stream_credit_exhaustion(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 1 << 16);
	struct kite_queue_hw_stats hs;
	struct kite_port_stats ps;
	struct kite_rx_frame fr[64];
	uint64_t seq, got = 0, kept;
	uint16_t n, k;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	/* 16 + 1000 bytes take 16 chunks: 1024 chunks hold 63 and the cleared header */
	for (seq = 0; seq < 100; seq++)
		send_one(f, tx, 1000, seq);
	hw_stats(f, SQ, &hs);
	kept = hs.rx_pkts;
	assert_int_equal(kept, 63);
	assert_int_equal(hs.rx_drop_nobuf, 100 - kept);
	assert_int_equal(kite_port_stats(f->dev, 0, &ps), 0);
	assert_int_equal(ps.rx_pkts, 100);	/* every frame counted once, §3.7 */
	while ((n = kite_rx_stream(q, fr, 64)) > 0)
		for (k = 0; k < n; k++, got++) {
			assert_int_equal(fr[k].len, 1000);
			assert_true(frame_check(fr[k].data, 1000, got));	/* the oldest, intact */
		}
	assert_int_equal(got, kept);
	/* the credits went back with that read: the flow resumes, in order */
	for (seq = 1000; seq < 1300; seq++) {
		send_one(f, tx, 1000, seq);
		assert_int_equal(kite_rx_stream(q, fr, 64), 1);
		assert_true(frame_check(fr[0].data, 1000, seq));
	}
	hw_stats(f, SQ, &hs);
	assert_int_equal(hs.rx_drop_nobuf, 100 - kept);
	kite_queue_close(q);
	kite_queue_close(tx);
}

/*
 * A held frame stays intact while later frames are read and the ring laps
 * up to it; then the card drops rather than overwrite it. Released, the
 * space returns.
 */
static void test_stream_hold(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 1 << 16);
	struct kite_queue_hw_stats hs;
	struct kite_rx_frame held, fr;
	uint64_t seq;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 500, 1);
	assert_int_equal(kite_rx_stream(q, &held, 1), 1);
	assert_int_equal(kite_rx_hold(q, &held), 0);
	assert_int_equal(kite_rx_hold(q, &held), -EINVAL);	/* once */
	for (seq = 2; seq < 400; seq++) {
		send_one(f, tx, 500, seq);
		if (kite_rx_stream(q, &fr, 1) == 1)
			assert_true(frame_check(fr.data, 500, seq));
		assert_true(frame_check(held.data, 500, 1));
	}
	/* 16 + 500 bytes take 9 chunks: 113 records fill 1024 chunks behind the held one */
	hw_stats(f, SQ, &hs);
	assert_int_equal(hs.rx_pkts, 113);
	assert_int_equal(hs.rx_drop_nobuf, 399 - 113);
	assert_int_equal(kite_rx_hold(q, &held), -EINVAL);	/* not of the latest burst */
	assert_int_equal(kite_rx_release(q, &held), 0);
	assert_int_equal(kite_rx_release(q, &held), -EINVAL);
	/* one call gives the space back; then frames flow again */
	kite_rx_stream(q, &fr, 1);
	for (seq = 1000; seq < 1200; seq++) {
		send_one(f, tx, 500, seq);
		assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
		assert_true(frame_check(fr.data, 500, seq));
	}
	kite_queue_close(q);
	kite_queue_close(tx);
}

/*
 * A sender controls payload bytes: frames of all-ones (every 16 bytes look
 * like a header with VALID set) fill a lap, then small frames follow in the
 * next. Software must never read the old payload after the newest record as
 * a header (the card clears the next header first, §5.4).
 */
static void test_stream_no_forged_header(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 1 << 16);
	struct kite_rx_frame fr[4];
	unsigned int i;
	uint64_t seq;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (i = 0; i < 60; i++) {	/* 60 x 24 chunks: more than a lap */
		struct kite_pkt *p = kite_pkt_alloc(f->pool);

		memset(p->data, 0xff, 1514);
		p->len = 1514;
		assert_int_equal(kite_tx_burst(tx, &p, 1), 1);
		kite_emu_step(f->emu);
		kite_tx_reap(tx);
		assert_int_equal(kite_rx_stream(q, fr, 4), 1);
		assert_int_equal(fr[0].len, 1514);
	}
	for (seq = 0; seq < 3000; seq++) {
		send_one(f, tx, 60, seq);
		assert_int_equal(kite_rx_stream(q, fr, 4), 1);
		assert_true(frame_check(fr[0].data, 60, seq));
		assert_int_equal(kite_rx_stream(q, fr, 4), 0);	/* nothing forged after it */
	}
	kite_queue_close(q);
	kite_queue_close(tx);
}

/*
 * A client that unmaps its stream ring on the bus while the queue runs: the model stops the queue (DMA_FAULT) rather than write
 * into memory that is gone. As a hostile bus client could, from libkite.
 */
static void test_stream_ring_unmapped(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64);
	struct kite_queue *q = open_opts(f, SQ, KITE_QUEUE_RX_STREAM | KITE_QUEUE_TX_WB, 0);
	struct kite_queue_state qs;
	struct kite_fault flt;
	struct kite_rx_frame fr;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 64, 1);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
	kite_dma_free(f->dev, &q->rxs_mem);
	send_one(f, tx, 64, 2);
	assert_int_equal(kite_queue_state(q, &qs), 0);
	assert_int_equal(qs.state, KITE_QUEUE_ERROR);
	assert_string_equal(qs.cause_name, "DMA_FAULT");
	assert_int_equal(kite_faults(f->dev, &flt, 1), 1);
	assert_string_equal(flt.source_name, "RX_STREAM");
	kite_queue_close(q);
	kite_queue_close(tx);
}

/* At most KITE_RX_HOLDS frames, and only frames of the latest burst. */
static void test_stream_hold_limits(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 0);
	struct kite_queue *plain = open_q(f, 2, 0, 64, 64);
	struct kite_rx_frame fr[KITE_RX_HOLDS + 1], forged;
	unsigned int k;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (k = 0; k <= KITE_RX_HOLDS; k++)
		send_one(f, tx, 64, k);
	assert_int_equal(kite_rx_stream(q, fr, KITE_RX_HOLDS + 1), KITE_RX_HOLDS + 1);
	for (k = 0; k < KITE_RX_HOLDS; k++)
		assert_int_equal(kite_rx_hold(q, &fr[k]), 0);
	assert_int_equal(kite_rx_hold(q, &fr[KITE_RX_HOLDS]), -ENOSPC);
	assert_non_null(strstr(kite_last_error(), "kite_rx_hold: queue 1: 16 frames held"));
	forged = fr[0];
	forged.pos += 1u << 20;	/* not a record of this burst */
	assert_int_equal(kite_rx_release(q, &forged), -EINVAL);
	assert_int_equal(kite_rx_hold(plain, &fr[0]), -EINVAL);	/* no stream ring */
	assert_int_equal(kite_rx_stream(plain, fr, 1), 0);
	for (k = 0; k < KITE_RX_HOLDS; k++)
		assert_int_equal(kite_rx_release(q, &fr[k]), 0);
	kite_queue_close(plain);
	kite_queue_close(q);
	kite_queue_close(tx);
}

/* Credits beyond what the card wrote are a software bug: the queue stops, named. */
static void test_stream_forged_credit(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 0);
	struct kite_queue_state qs;
	struct kite_rx_frame fr;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 64, 1);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
	*q->db_rxs = 1000;	/* the card wrote 2 chunks */
	send_one(f, tx, 64, 2);
	assert_int_equal(kite_queue_state(q, &qs), 0);
	assert_int_equal(qs.state, KITE_QUEUE_ERROR);
	assert_string_equal(qs.cause_name, "RX_OVERFLOW");
	assert_int_equal(kite_rx_stream(q, &fr, 1), 0);	/* nothing was written */
	assert_int_equal(kite_queue_restart(q), 0);
	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 64, 3);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
	assert_true(frame_check(fr.data, 64, 3));
	kite_queue_close(q);
	kite_queue_close(tx);
}

/* A reset mid-stream: the queue stops; restarted, the ring starts over at chunk 0. */
static void test_stream_reset(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 1 << 16);
	struct kite_queue_state qs;
	struct kite_rx_frame fr[4];
	uint64_t seq;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (seq = 0; seq < 30; seq++)
		send_one(f, tx, 700, seq);
	assert_int_equal(kite_rx_stream(q, fr, 4), 4);
	assert_int_equal(kite_rx_hold(q, &fr[3]), 0);
	assert_int_equal(kite_reset(f->dev), 0);
	assert_int_equal(kite_queue_state(q, &qs), 0);
	assert_int_equal(qs.state, KITE_QUEUE_STOPPED);
	assert_int_equal(kite_queue_restart(q), 0);
	assert_int_equal(kite_queue_restart(tx), 0);
	assert_int_equal(kite_rx_release(q, &fr[3]), -EINVAL);	/* the restart ended it */
	assert_int_equal(kite_rx_stream(q, fr, 4), 0);	/* the old records are gone */
	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (seq = 100; seq < 300; seq++) {
		send_one(f, tx, 700, seq);
		assert_int_equal(kite_rx_stream(q, fr, 4), 1);
		assert_true(frame_check(fr[0].data, 700, seq));
	}
	kite_queue_close(q);
	kite_queue_close(tx);
}

/*
 * A descriptor queue and a stream queue on one card, each steered its own
 * UDP port, and a copy of everything into the stream queue.
 */
static void test_stream_mixed_queues(void **state)
{
	struct fx *f = *state;
	struct kite_queue *dq = open_q(f, TXQ, 0, 64, 64), *q = open_stream(f, SQ, 0);
	struct kite_filter a = { .type = KITE_FILTER_UDP_DST, .key = 5001, .queue = TXQ };
	struct kite_filter b = { .type = KITE_FILTER_UDP_DST, .key = 5002, .queue = SQ };
	struct kite_filter all = { .type = KITE_FILTER_ALL, .queue = SQ };
	struct kite_rx_frame fr[4];
	struct kite_pkt *p;
	unsigned int i;
	int fa, fb, fc;

	assert_true((fa = kite_filter_add(f->dev, &a)) >= 0);
	assert_true((fb = kite_filter_add(f->dev, &b)) >= 0);
	assert_true((fc = kite_filter_copy(f->dev, &all)) >= 0);
	for (i = 0; i < 200; i++) {
		uint16_t port = i % 2 ? 5002 : 5001, len = (uint16_t)(60 + i * 7 % 1400);

		p = kite_pkt_alloc(f->pool);
		udp_fill(p->data, len, MAC0, 0xa9fe0001, port, i);
		p->len = len;
		assert_int_equal(kite_tx_burst(dq, &p, 1), 1);
		kite_emu_step(f->emu);
		kite_tx_reap(dq);
		/* the stream queue: a copy of every frame (first, §3.8), and its own */
		assert_int_equal(kite_rx_stream(q, fr, 4), port == 5002 ? 2 : 1);
		assert_true(udp_check(fr[0].data, len, MAC0, 0xa9fe0001, port, i));
		assert_int_equal(fr[0].filter, fc);
		if (port == 5002) {
			assert_true(udp_check(fr[1].data, len, MAC0, 0xa9fe0001, port, i));
			assert_int_equal(fr[1].filter, fb);
		}
		if (port == 5001) {
			assert_int_equal(kite_rx_burst(dq, &p, 1), 1);
			assert_true(udp_check(p->data, len, MAC0, 0xa9fe0001, port, i));
			assert_int_equal(p->filter, fa);
			kite_pkt_free(p);
		} else {
			assert_int_equal(kite_rx_burst(dq, &p, 1), 0);
		}
	}
	kite_queue_close(q);
	kite_queue_close(dq);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

static void test_stream_opts_errors(void **state)
{
	struct fx *f = *state;
	struct kite_queue_conf c = { .port = 0, .tx_ring_size = 64 };
	struct kite_queue_opts o = { .size = sizeof(o), .flags = KITE_QUEUE_RX_STREAM };
	struct kite_queue *q;

	o.size = 8;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EINVAL);
	assert_non_null(strstr(kite_last_error(),
			       "kite_queue_open_opts: struct kite_queue_opts of 8 bytes"));
	/* a newer application's larger opts: refused only if it sets what is new */
	{
		struct { struct kite_queue_opts o; uint64_t more; } big = { .o = o };

		big.o.size = sizeof(big);
		big.more = 1;
		assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &big.o, &q), -E2BIG);
		big.more = 0;
		assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &big.o, &q), 0);
		kite_queue_close(q);
	}
	o.size = sizeof(o);
	o.flags = 0x8;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EINVAL);
	o.flags = KITE_QUEUE_RX_STREAM;
	o.rx_stream_bytes = 100000;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "rx_stream_bytes 100000 must be a power"));
	o.rx_stream_bytes = 1u << 22;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EINVAL);
	o.rx_stream_bytes = 1u << 15;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EINVAL);
	o.flags = 0;
	o.rx_stream_bytes = 1u << 16;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EINVAL);
	/* without the flag it is a descriptor queue, and that needs a pool */
	o.rx_stream_bytes = 0;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "kite_queue_open_opts: RX ring size 0"));
}

/* ---- direct PIO (§4.4) --------------------------------------------------------- */

#define DIRECT (KITE_QUEUE_RX_STREAM | KITE_QUEUE_PIO_DIRECT)

static void pio_frame(uint8_t *buf, uint16_t len, uint64_t seq)
{
	frame_fill(buf, len, MAC0, MAC0, seq);
}

/* Every length 14..248, byte-exact, and DB_PIO_TAIL never written. */
static void test_pio_direct(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_opts(f, SQ, DIRECT, 0);
	struct kite_queue_hw_stats hs;
	struct kite_rx_frame fr;
	uint8_t buf[KITE_PIO_MAX_FRAME];
	uint16_t len;
	uint64_t seq = 0;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (len = KITE_MIN_FRAME; len <= KITE_PIO_MAX_FRAME; len++, seq++) {
		pio_frame(buf, len, seq);
		assert_int_equal(kite_pio_send(q, buf, len, 0, seq), 0);
		kite_emu_step(f->emu);
		assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
		assert_int_equal(fr.len, len);
		assert_memory_equal(fr.data, buf, len);
		kite_tx_reap(q);
	}
	assert_int_equal(*(volatile uint32_t *)q->db_pio, 0);	/* no doorbell */
	hw_stats(f, SQ, &hs);
	assert_int_equal(hs.pio_pkts, seq);
	assert_int_equal(hs.tx_errors, 0);
	kite_queue_close(q);
}

/* Write slot `count` by hand: the header, and only the lines in `lines` (bit k: line k). */
static void slot_write(struct kite_queue *q, uint32_t count, const uint8_t *frame, uint16_t len,
		       uint32_t seq, unsigned int lines)
{
	uint8_t *slot = q->pio + (count % KITE_PIO_SLOTS) * KITE_PIO_SLOT_SIZE;
	unsigned int off;

	for (off = KITE_PIO_HDR_SIZE; off < KITE_PIO_HDR_SIZE + (unsigned int)len; off++)
		if (lines & (1u << (off / KITE_PIO_LINE)))
			slot[off] = frame[off - KITE_PIO_HDR_SIZE];
	__atomic_store_n((uint64_t *)slot, len | (uint64_t)seq << 32, __ATOMIC_RELEASE);
}

/*
 * A slot whose header arrived without all of the frame (a write-combining
 * buffer flushed in pieces) is never sent: it completes TORN, and the next
 * frame goes out normally.
 */
static void test_pio_direct_torn(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_opts(f, SQ, DIRECT, 0);
	struct kite_queue_hw_stats hs;
	struct kite_port_stats ps;
	struct kite_tx_report rep;
	struct kite_rx_frame fr;
	uint8_t buf[KITE_PIO_MAX_FRAME];
	unsigned int k;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	/* a good frame first, so each slot's lines hold an earlier frame's bytes */
	for (k = 0; k < KITE_PIO_SLOTS; k++) {
		pio_frame(buf, 240, k);
		assert_int_equal(kite_pio_send(q, buf, 240, 0, k), 0);
		kite_emu_step(f->emu);
		assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
		kite_tx_reap(q);
	}
	/* header and line 0 only, of a 200-byte frame: lines 1-3 never came */
	pio_frame(buf, 200, 99);
	slot_write(q, q->pio_tail, buf, 200, KITE_PIO_SEQ(q->pio_tail), 0x1);
	q->pio_cookie[q->pio_tail % KITE_PIO_SLOTS] = 99;
	q->pio_tail++;
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 0);	/* nothing went out */
	kite_tx_reap(q);
	assert_int_equal(kite_tx_reports(q, &rep, 1), 1);
	assert_int_equal(rep.status, KITE_CQE_S_TORN);
	assert_int_equal(rep.cookie, 99);
	/* the header alone, the frame's first bytes missing too */
	slot_write(q, q->pio_tail, buf, 40, KITE_PIO_SEQ(q->pio_tail), 0);
	q->pio_tail++;
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 0);
	kite_tx_reap(q);
	assert_int_equal(kite_tx_reports(q, &rep, 1), 1);
	assert_int_equal(rep.status, KITE_CQE_S_TORN);
	hw_stats(f, SQ, &hs);
	assert_int_equal(hs.tx_errors, 2);
	assert_int_equal(kite_port_stats(f->dev, 0, &ps), 0);
	assert_int_equal(ps.tx_pkts, KITE_PIO_SLOTS);
	/* whole again: sent */
	pio_frame(buf, 200, 100);
	assert_int_equal(kite_pio_send(q, buf, 200, 0, 100), 0);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
	assert_memory_equal(fr.data, buf, 200);
	kite_queue_close(q);
}

/* A header with another sequence number (stale, or ahead) is not taken. */
static void test_pio_direct_stale_seq(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_opts(f, SQ, DIRECT, 0);
	struct kite_rx_frame fr;
	uint8_t buf[64];

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	pio_frame(buf, 64, 5);
	slot_write(q, 0, buf, 64, KITE_PIO_SEQ(0) + KITE_PIO_SLOTS, 0xf);	/* a lap ahead */
	kite_emu_step(f->emu);
	slot_write(q, 0, buf, 64, 0, 0xf);	/* what a cleared slot holds */
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 0);
	assert_int_equal(kite_pio_send(q, buf, 64, 0, 5), 0);	/* the right one: once */
	kite_emu_step(f->emu);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_stream(q, &fr, 4), 1);
	assert_memory_equal(fr.data, buf, 64);
	kite_queue_close(q);
}

/*
 * What a stopped queue's slots hold (a process killed after writing one, a
 * reset) is not sent when the queue starts again: the card clears its slots.
 */
static void test_pio_direct_start_clears(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_opts(f, SQ, DIRECT, 0);
	struct kite_queue_hw_stats hs;
	struct kite_rx_frame fr;
	uint8_t buf[64];

	assert_int_equal(kite_reset(f->dev), 0);	/* the queue stops */
	pio_frame(buf, 64, 1);
	slot_write(q, 0, buf, 64, KITE_PIO_SEQ(0), 0xf);	/* whole, for count 0 */
	assert_int_equal(kite_queue_restart(q), 0);
	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	kite_emu_step(f->emu);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 0);
	hw_stats(f, SQ, &hs);
	assert_int_equal(hs.tx_pkts + hs.tx_errors, 0);
	pio_frame(buf, 64, 2);
	assert_int_equal(kite_pio_send(q, buf, 64, 0, 2), 0);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
	assert_true(frame_check(fr.data, 64, 2));
	kite_queue_close(q);
}

/* ---- TX write-back and forwarding in place (§6.4) ----------------------------- */

static struct kite_queue *open_wb(struct fx *f, unsigned int qid)
{
	struct kite_queue_conf c = { .port = 0, .tx_ring_size = 64, .rx_ring_size = 64,
				     .rx_pool = f->pool };
	struct kite_queue_opts o = { .size = sizeof(o), .flags = KITE_QUEUE_TX_WB };
	struct kite_queue *q = NULL;

	if (kite_queue_open_opts(f->dev, qid, &c, &o, &q))
		fail_msg("kite_queue_open_opts(%u): %s", qid, kite_last_error());
	return q;
}

/*
 * A descriptor queue with write-back: buffers come back from the count
 * alone, the card writes completions only for frames that asked for their
 * time, and those are reported with it.
 */
static void test_tx_wb(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_wb(f, TXQ);
	struct kite_queue_stats st;
	struct kite_tx_report rep[64];
	struct kite_pkt *pk[32];
	unsigned int round, i, written = 0, nrep = 0;

	for (round = 0; round < 100; round++) {
		for (i = 0; i < 32; i++) {
			pk[i] = kite_pkt_alloc(f->pool);
			frame_fill(pk[i]->data, 64, MAC0, MAC0, round * 32 + i);
			pk[i]->len = 64;
			pk[i]->cookie = round * 32 + i;
			pk[i]->flags = i == 7 ? KITE_PKT_TX_REPORT : 0;
		}
		assert_int_equal(kite_tx_burst(q, pk, 32), 32);
		if (round == 0)	/* the first pass over the ring: what did the card write? */
			for (i = 0; i < 32; i++)
				written += q->txcq[i].flags != 0;
		kite_emu_step(f->emu);
		if (round == 0)
			for (i = 0; i < 32; i++)
				written += q->txcq[i].flags != 0;
		assert_int_equal(kite_tx_reap(q), 32);	/* no default queue: dropped, counted */
		nrep += kite_tx_reports(q, rep, 64);
	}
	assert_int_equal(written, 1);	/* one completion: frame 7's, asked for */
	assert_int_equal(nrep, 100);
	assert_int_equal(rep[0].status, 0);
	assert_int_not_equal(rep[0].ts, 0);
	assert_int_equal(rep[0].cookie, 99 * 32 + 7);
	kite_queue_stats(q, &st);
	assert_int_equal(st.tx_pkts, 3200);
	assert_int_equal(st.tx_bytes, 3200 * 64);
	assert_int_equal(st.tx_errors, 0);
	kite_queue_close(q);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/* Frames that did not go out are found, counted and reported, never counted as sent. */
static void test_tx_wb_failures(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_wb(f, TXQ);
	struct kite_queue_stats st;
	struct kite_tx_report rep[8];
	struct kite_pkt *pk[8];
	unsigned int i;

	for (i = 0; i < 8; i++) {
		pk[i] = kite_pkt_alloc(f->pool);
		frame_fill(pk[i]->data, 64, MAC0, MAC0, i);
		pk[i]->len = i == 3 || i == 5 ? 10 : 64;	/* under 14 bytes: BAD_LEN */
		pk[i]->cookie = 100 + i;
	}
	assert_int_equal(kite_tx_burst(q, pk, 8), 8);
	kite_emu_step(f->emu);
	assert_int_equal(kite_tx_reap(q), 8);
	assert_int_equal(kite_tx_reports(q, rep, 8), 2);
	assert_int_equal(rep[0].cookie, 103);
	assert_int_equal(rep[0].status, KITE_CQE_S_BAD_LEN);
	assert_int_equal(rep[1].cookie, 105);
	kite_queue_stats(q, &st);
	assert_int_equal(st.tx_pkts, 6);
	assert_int_equal(st.tx_bytes, 6 * 64);
	assert_int_equal(st.tx_errors, 2);
	kite_queue_close(q);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}


/*
 * The card sends what was forwarded out of port 1; queue 0 receives it on
 * port 0: each frame the next in sequence, byte-exact. Returns the count so far.
 */
static uint64_t forwarded_back(struct fx *f, struct kite_queue *q0, uint64_t got)
{
	struct kite_pkt *p;

	kite_emu_step(f->emu);
	kite_tx_reap(q0);
	while (kite_rx_burst(q0, &p, 1)) {
		assert_int_equal(p->len, len_for(got));
		assert_true(frame_check(p->data, p->len, got));
		got++;
		kite_pkt_free(p);
	}
	return got;
}

/*
 * A zero-copy forwarder on the pair wire: queue 0 sends on port 0, port 1
 * takes the frames into queue 1's stream ring, queue 1 forwards them in
 * place back out of port 1, queue 0 gets them on port 0. Thousands of frames
 * over a small ring: its chunks come back only once the card sent them.
 */
static void test_forward(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, TXQ, 0, 64, 64), *fq;
	struct kite_queue_stats st;
	struct kite_rx_frame fr[16];
	uint64_t seq, got = 0, bytes = 0;

	fq = open_forwarder(f, SQ, 64, 1 << 16, TXQ);
	for (seq = 0; seq < 5000; seq++) {
		uint16_t n, len = len_for(seq);

		assert_int_equal(send_seq(f, q0, len, seq), 1);
		bytes += len;
		kite_emu_step(f->emu);	/* into queue 1's ring */
		n = kite_rx_stream(fq, fr, 16);
		assert_int_equal(n, 1);
		assert_int_equal(kite_tx_forward(fq, fr, n), 1);
		/* the next burst gives back what came before; not the unsent record */
		assert_int_equal(kite_rx_stream(fq, &fr[1], 15), 0);
		assert_true((int32_t)(*(volatile uint32_t *)fq->db_rxs + fq->rxs_base - fr[0].pos) <=
			    0);
		got = forwarded_back(f, q0, got);
	}
	assert_int_equal(got, 5000);
	kite_tx_reap(fq);
	kite_queue_stats(fq, &st);
	assert_int_equal(st.tx_pkts, 5000);
	assert_int_equal(st.tx_bytes, bytes);
	assert_int_equal(st.rx_pkts, 5000);
	kite_queue_close(fq);
	kite_queue_close(q0);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * kite_tx_forward_next on the same wire: bursts of 1..7 frames of mixed
 * lengths over a small ring (wraps, pad records, frames over many chunks),
 * each burst's first frame forwarded by kite_tx_forward and the rest by
 * kite_tx_forward_next in two calls; every frame back once, in order,
 * byte-exact, and nothing left to forward after the burst.
 */
static void test_forward_next(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, TXQ, 0, 64, 64), *fq, *plain = open_q(f, 2, 0, 64, 64);
	struct kite_queue_stats st;
	struct kite_rx_frame fr[16];
	uint64_t seq = 0, got = 0;
	unsigned int round, cut = 0;

	fq = open_forwarder(f, SQ, 64, 1 << 16, TXQ);
	assert_int_equal(kite_tx_forward_next(plain, 4), 0);	/* not a forwarding queue */
	assert_non_null(strstr(kite_last_error(), "was not opened with KITE_QUEUE_RX_STREAM"));
	for (round = 0; round < 1500; round++) {
		uint16_t n, k, left, want = (uint16_t)(1 + round % 7);
		unsigned int bursts = 0;

		for (k = 0; k < want; k++, seq++)
			assert_int_equal(send_seq(f, q0, len_for(seq), seq), 1);
		kite_emu_step(f->emu);	/* into queue 1's ring */
		for (left = want; left; left -= n, bursts++) {
			uint16_t sent;

			n = kite_rx_stream(fq, fr, 16);
			assert_true(n >= 1 && n <= left);
			sent = kite_tx_forward(fq, fr, 1);
			sent += kite_tx_forward_next(fq, 2);
			sent += kite_tx_forward_next(fq, 16);
			assert_int_equal(sent, n);
			assert_int_equal(kite_tx_forward_next(fq, 16), 0);	/* each frame once */
			assert_int_equal(kite_tx_forward(fq, &fr[n - 1], 1), 0);
		}
		assert_true(bursts <= 2);	/* cut once at most: where the ring turns */
		cut += bursts - 1;
		got = forwarded_back(f, q0, got);
	}
	assert_true(cut > 20);	/* the pads were met inside bursts */
	assert_int_equal(got, seq);
	kite_tx_reap(fq);
	kite_queue_stats(fq, &st);
	assert_int_equal(st.tx_pkts, seq);
	assert_int_equal(st.rx_pkts, seq);
	kite_queue_close(fq);
	kite_queue_close(plain);
	kite_queue_close(q0);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * The tightest forwarder: kite_rx_recs + kite_tx_forward_next, bursts of 1..9
 * frames of 112 bytes (2 chunks: a lap ends exactly at the ring's end, no
 * pad, often inside a burst) and, every third round, of mixed lengths (pads).
 * Every frame back once, in order, byte-exact; the forward refuses records
 * beyond the burst.
 */
static void test_forward_recs(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, TXQ, 0, 64, 64), *fq;
	const struct kite_rx_rec *r[16];
	struct kite_queue_stats st;
	uint64_t seq = 0, got = 0, bytes = 0;
	unsigned int round;

	fq = open_forwarder(f, SQ, 64, 1 << 16, TXQ);
	for (round = 0; round < 1500; round++) {
		uint16_t n, k, left, want = (uint16_t)(1 + round % 9);

		for (k = 0; k < want; k++, seq++) {
			uint16_t len = round % 3 == 2 ? len_for(seq) : 112;

			assert_int_equal(send_seq(f, q0, len, seq), 1);
			bytes += len;
		}
		kite_emu_step(f->emu);	/* into queue 1's ring */
		for (left = want; left; left -= n) {	/* cut where the ring turns at a pad */
			n = kite_rx_recs(fq, r, 16);
			assert_true(n >= 1 && n <= left);
			for (k = 0; k < n; k++)
				assert_true(frame_check(kite_rx_rec_data(r[k]), r[k]->len,
							seq - left + k));
			assert_int_equal(kite_tx_forward_next(fq, 16), n);
			assert_int_equal(kite_tx_forward_next(fq, 16), 0);	/* each frame once */
		}
		kite_emu_step(f->emu);	/* out of port 1, into queue 0 */
		kite_tx_reap(q0);
		while (got < seq) {
			struct kite_pkt *p;

			assert_int_equal(kite_rx_burst(q0, &p, 1), 1);
			assert_true(frame_check(p->data, p->len, got));
			got++;
			kite_pkt_free(p);
		}
	}
	kite_tx_reap(fq);
	kite_queue_stats(fq, &st);
	assert_int_equal(st.tx_pkts, seq);
	assert_int_equal(st.tx_bytes, bytes);
	assert_int_equal(st.rx_pkts, seq);
	assert_int_equal(st.rx_bytes, bytes);
	kite_queue_close(fq);
	kite_queue_close(q0);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * A failure's completion stays in its slot (the card writes no others), and
 * 2^16 descriptors later the same slot has the same index and phase: it must
 * not be counted again when another failure moves the count.
 */
static void test_tx_wb_old_failure(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_wb(f, TXQ);
	struct kite_queue_stats st;
	struct kite_tx_report rep[8];
	struct kite_pkt *pk[32];
	uint64_t seq = 0;
	unsigned int i, nrep = 0;

	while (seq < 65600) {
		for (i = 0; i < 32; i++, seq++) {
			pk[i] = kite_pkt_alloc(f->pool);
			frame_fill(pk[i]->data, 64, MAC0, MAC0, seq);
			pk[i]->len = seq == 3 || seq == 65540 ? 10 : 64;	/* 10: BAD_LEN */
			pk[i]->cookie = seq;
		}
		assert_int_equal(kite_tx_burst(q, pk, 32), 32);
		kite_emu_step(f->emu);
		assert_int_equal(kite_tx_reap(q), 32);
		nrep += kite_tx_reports(q, rep + nrep, 8 - nrep);
	}
	assert_int_equal(nrep, 2);
	assert_int_equal(rep[0].cookie, 3);
	assert_int_equal(rep[1].cookie, 65540);
	kite_queue_stats(q, &st);
	assert_int_equal(st.tx_errors, 2);
	assert_int_equal(st.tx_pkts, 65600 - 2);
	kite_queue_close(q);
}

/*
 * An app that forwarded a few frames and then only reads: the forwarded
 * frames' chunks come back once sent, without another kite_tx_forward, so
 * reading never stalls.
 */
static void test_forward_then_read(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64);
	struct kite_queue *q = open_opts(f, SQ, FWD_FLAGS, 1 << 16);
	struct kite_queue_hw_stats hs;
	struct kite_rx_frame fr;
	uint64_t seq;

	assert_int_equal(kite_default_queue_set(f->dev, 1, SQ), 0);	/* not port 0 */
	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 500, 0);
	assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
	assert_int_equal(kite_tx_forward(q, &fr, 1), 1);
	kite_emu_step(f->emu);	/* sent, and back into the ring (loopback) */
	assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
	for (seq = 1; seq < 2000; seq++) {
		send_one(f, tx, 500, seq);
		assert_int_equal(kite_rx_stream(q, &fr, 1), 1);
		assert_true(frame_check(fr.data, 500, seq));
	}
	hw_stats(f, SQ, &hs);
	assert_int_equal(hs.rx_drop_nobuf, 0);
	kite_queue_close(q);
	kite_queue_close(tx);
}

/*
 * Pool buffers (kite_tx_burst) and forwarded frames on one forwarding queue,
 * over many laps of its 64-slot TX ring: a slot that held a buffer and then
 * a forwarded frame must never return the old buffer again (the pool would
 * hold it twice). Every frame arrives once, in ring order; the pool is whole
 * after a close with frames still in flight.
 */
static void test_forward_with_buffers(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, TXQ, 0, 64, 64), *fq;
	const struct kite_rx_rec *r[8];
	uint64_t seq = 0, got = 0, expect[4];
	unsigned int round, k, nexp;

	fq = open_forwarder(f, SQ, 64, 1 << 16, TXQ);
	for (round = 0; round < 400; round++) {
		uint16_t n;

		/* one frame in over the wire, forwarded; a buffer of the forwarder's own */
		assert_int_equal(send_seq(f, q0, 100, seq), 1);
		kite_emu_step(f->emu);
		n = kite_rx_recs(fq, r, 8);
		assert_int_equal(n, 1);
		nexp = 0;
		if (round % 3 != 1) {	/* a buffer first, then the forward */
			assert_int_equal(send_seq(f, fq, 200, 1000000 + round), 1);
			expect[nexp++] = 1000000 + round;
		}
		assert_int_equal(kite_tx_forward_next(fq, n), 1);
		expect[nexp++] = seq++;
		if (round % 3 == 1) {	/* the forward first */
			assert_int_equal(send_seq(f, fq, 200, 1000000 + round), 1);
			expect[nexp++] = 1000000 + round;
		}
		kite_emu_step(f->emu);	/* out of port 1, into queue 0 */
		kite_tx_reap(q0);
		if (round % 5 == 0)
			kite_tx_reap(fq);	/* buffers and forwards reaped together */
		for (k = 0; k < nexp; k++, got++) {
			struct kite_pkt *p;

			assert_int_equal(kite_rx_burst(q0, &p, 1), 1);
			assert_true(frame_check(p->data, p->len, expect[k]));
			kite_pkt_free(p);
		}
	}
	/* one of each still in flight when the queue closes */
	assert_int_equal(send_seq(f, q0, 100, seq), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_recs(fq, r, 8), 1);
	assert_int_equal(send_seq(f, fq, 200, 7), 1);
	assert_int_equal(kite_tx_forward_next(fq, 1), 1);
	kite_queue_close(fq);
	kite_queue_close(q0);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * The card's length, never the caller's; and frames from before a restart
 * are neither forwarded nor held.
 */
static void test_forward_stale_or_lying(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64);
	struct kite_queue *q = open_opts(f, SQ, FWD_FLAGS, 0);
	struct kite_rx_frame fr[2], old;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 100, 1);
	assert_int_equal(kite_rx_stream(q, fr, 2), 1);
	fr[0].len = 9000;
	assert_int_equal(kite_tx_forward(q, fr, 1), 1);
	assert_int_equal(q->txr[(q->tx_tail - 1) & q->tx_mask].len, 100);
	kite_emu_step(f->emu);
	send_one(f, tx, 100, 2);
	assert_int_equal(kite_rx_stream(q, fr, 2), 2);	/* the forwarded frame, and 2 */
	old = fr[0];	/* in the ring where this run's second frame will be */
	assert_int_equal(kite_queue_restart(q), 0);
	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 100, 3);
	send_one(f, tx, 100, 4);
	assert_int_equal(kite_rx_stream(q, fr, 2), 2);
	assert_int_equal(kite_rx_hold(q, &old), -EINVAL);
	assert_int_equal(kite_tx_forward(q, &old, 1), 0);
	assert_int_equal(kite_tx_forward(q, fr, 2), 2);	/* this run's are fine */
	kite_queue_close(q);
	kite_queue_close(tx);
}

/* Forward each frame once, only from the latest burst, only on a queue that can. */
static void test_forward_refused(void **state)
{
	struct fx *f = *state;
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64);
	struct kite_queue *fq = open_opts(f, SQ, FWD_FLAGS, 0), *plain = open_stream(f, 2, 0);
	struct kite_rx_frame fr[4], old;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	send_one(f, tx, 64, 1);
	send_one(f, tx, 64, 2);
	assert_int_equal(kite_rx_stream(fq, fr, 4), 2);
	assert_int_equal(kite_tx_forward(fq, &fr[1], 1), 1);
	assert_int_equal(kite_tx_forward(fq, &fr[0], 1), 0);	/* behind one forwarded */
	assert_non_null(strstr(kite_last_error(), "kite_tx_forward: queue 1: not a frame of"));
	assert_int_equal(kite_tx_forward(fq, &fr[1], 1), 0);	/* twice */
	old = fr[1];
	kite_emu_step(f->emu);
	send_one(f, tx, 64, 3);
	assert_int_equal(kite_rx_stream(fq, fr, 4), 2);	/* the forwarded one, and 3 */
	assert_int_equal(kite_tx_forward(fq, &old, 1), 0);	/* an older burst */
	assert_int_equal(kite_tx_forward(plain, fr, 1), 0);
	assert_non_null(strstr(kite_last_error(), "was not opened with KITE_QUEUE_RX_STREAM and"));
	kite_queue_close(plain);
	kite_queue_close(fq);
	kite_queue_close(tx);
}

/* A card of contract 1.2 has no stream rings nor direct PIO: refused, and named. */
static void test_stream_old_card(void **state)
{
	struct fx *f = *state;
	struct kite_queue_conf c = { .port = 0, .tx_ring_size = 64 };
	struct kite_queue_opts o = { .size = sizeof(o), .flags = KITE_QUEUE_RX_STREAM };
	struct kite_dev_info in;
	struct kite_queue *q;

	assert_int_equal(kite_dev_info(f->dev, &in), 0);
	assert_int_equal(in.version_minor, 2);
	assert_false(in.features & KITE_FEATURE_RX_STREAM);
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EOPNOTSUPP);
	assert_non_null(strstr(kite_last_error(), "(contract 1.2) has no RX stream rings"));
	o.flags = KITE_QUEUE_PIO_DIRECT;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EOPNOTSUPP);
	assert_non_null(strstr(kite_last_error(), "(contract 1.2) has no direct PIO"));
	o.flags = KITE_QUEUE_TX_WB;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &q), -EOPNOTSUPP);
	assert_non_null(strstr(kite_last_error(), "(contract 1.2) has no TX write-back"));
	q = open_q(f, SQ, 0, 64, 64);	/* the 1.0 path works */
	kite_queue_close(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_one, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_wrap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_exact_end, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_rec_frame, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_jumbo, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_credit_exhaustion, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_hold, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_no_forged_header, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_ring_unmapped, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_hold_limits, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_forged_credit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_reset, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_mixed_queues, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_opts_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pio_direct, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pio_direct_torn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pio_direct_stale_seq, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pio_direct_start_clears, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tx_wb, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tx_wb_failures, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward, fx_setup_pair, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_next, fx_setup_pair, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_recs, fx_setup_pair, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_with_buffers, fx_setup_pair, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tx_wb_old_failure, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_then_read, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_stale_or_lying, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_old_card, fx_setup_v12, fx_teardown),
	};

	return cmocka_run_group_tests_name("contract 1.3 fast path (libkite+kite-emu, step mode)",
					   tests, NULL, NULL);
}
