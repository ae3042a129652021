// SPDX-License-Identifier: BSD-3-Clause
/*
 * Contract 1.3 forwarding under attack, libkite and kite-emu in one process,
 * the model in step mode: a random mix of every stream and forward call
 * (bursts read as frames and as records, forwards by list with gaps and
 * in order, pool buffers, holds, restarts) checked frame by frame and
 * counter by counter; failed forwards counted as the card counts them;
 * places inside a record refused; a stream queue without write-back that
 * also sends. Each test here failed (or hung) on a version of libkite.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
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
#include "kite/kite.h"

#define TXQ 0	/* sends on port 0 */
#define SQ 1	/* the forwarding queue */

/*
 * A call that never returns (libkite once looped for ever on a forged
 * frame) ends the suite with a message instead of hanging it. Each call is
 * instant; a loaded host is far below the bound.
 */
static void on_alarm(int sig)
{
	static const char msg[] = "test_forward: a libkite call never returned (60 s)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

static void bounded(void (*fn)(struct fx *), struct fx *f)
{
	signal(SIGALRM, on_alarm);
	alarm(60);
	fn(f);
	alarm(0);
}

/* A random mix, seeded (FWD_SEED, FWD_ITERS override for longer runs). */
static uint64_t rv_state;

static uint32_t rv_rand(void)
{
	rv_state ^= rv_state << 13;
	rv_state ^= rv_state >> 7;
	rv_state ^= rv_state << 17;
	return (uint32_t)(rv_state >> 11);
}

#define BUF_SEQ (1ULL << 40)	/* the forwarder's own pool buffers */

static uint16_t rv_len(uint64_t seq)
{
	return seq >= BUF_SEQ ? (uint16_t)(60 + seq % 300) : len_for(seq);
}

struct rv_out {
	uint64_t seq;
	uint16_t len;
};

#define RV_OUT (1u << 16)

/* The model of the forwarder: what it was handed and what it must send, in order. */
struct rv {
	struct fx *f;
	struct kite_queue *q0, *fq;
	struct kite_rx_frame cur[16], prev[16];
	uint64_t cur_seq[16];
	unsigned int cur_n, prev_n, fwd_idx;
	struct kite_rx_frame held[6];
	uint64_t held_seq[6];
	unsigned int nheld;
	struct rv_out out[RV_OUT];	/* sent by fq, not yet seen by q0 */
	uint32_t out_h, out_t;
	uint64_t wire_seq, buf_seq, last_rx;
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
};

static void rv_expect(struct rv *v, uint64_t seq, uint16_t len)
{
	v->out[v->out_t % RV_OUT] = (struct rv_out){ .seq = seq, .len = len };
	v->out_t++;
}

/* The card runs; queue 0 must get exactly what fq sent, in TX order. */
static void rv_step(struct rv *v, unsigned long it)
{
	struct kite_queue_stats st;
	struct kite_pkt *p;

	kite_emu_step(v->f->emu);
	kite_tx_reap(v->q0);
	while (kite_rx_burst(v->q0, &p, 1)) {
		struct rv_out *o = &v->out[v->out_h % RV_OUT];

		if (v->out_h == v->out_t || p->len != o->len || !frame_check(p->data, p->len, o->seq))
			fail_msg("it %lu: queue 0 got seq %llu len %u, expected seq %llu len %u", it,
				 (unsigned long long)frame_seq(p->data), p->len,
				 (unsigned long long)o->seq, o->len);
		v->tx_pkts++;
		v->tx_bytes += p->len;
		v->out_h++;
		kite_pkt_free(p);
	}
	if (rv_rand() & 1)	/* else reaped later, by whatever call reaps */
		kite_tx_reap(v->fq);
	kite_queue_stats(v->fq, &st);
	if (v->fq->tx_tail == v->fq->tx_clean && (st.tx_pkts != v->tx_pkts ||
						  st.tx_bytes != v->tx_bytes))
		fail_msg("it %lu: tx %llu frames %llu bytes counted, %llu / %llu sent", it,
			 (unsigned long long)st.tx_pkts, (unsigned long long)st.tx_bytes,
			 (unsigned long long)v->tx_pkts, (unsigned long long)v->tx_bytes);
}

/* A burst, as frames or as records made frames: each the next on the wire, whole. */
static void rv_burst(struct rv *v, unsigned long it)
{
	uint16_t want = (uint16_t)(rv_rand() % 17), n, k;
	const struct kite_rx_rec *r[16];
	struct kite_queue_stats st;
	bool recs = rv_rand() & 1;

	memcpy(v->prev, v->cur, sizeof(v->cur));
	v->prev_n = v->cur_n;
	if (recs) {
		n = kite_rx_recs(v->fq, r, want);
		for (k = 0; k < n; k++) {
			assert_int_equal(kite_rx_rec_frame(v->fq, r[k], &v->cur[k]), 0);
			assert_ptr_equal(kite_rx_rec_data(r[k]), v->cur[k].data);
		}
	} else {
		n = kite_rx_stream(v->fq, v->cur, want);
	}
	assert_true(n <= want);
	v->cur_n = n;
	v->fwd_idx = 0;
	for (k = 0; k < n; k++) {
		uint64_t s = frame_seq(v->cur[k].data);

		if ((v->last_rx != UINT64_MAX && s <= v->last_rx) || s >= v->wire_seq ||
		    v->cur[k].len != rv_len(s) || !frame_check(v->cur[k].data, v->cur[k].len, s))
			fail_msg("it %lu: frame %u of %u: seq %llu len %u after %llu", it, k, n,
				 (unsigned long long)s, v->cur[k].len,
				 (unsigned long long)v->last_rx);
		v->last_rx = v->cur_seq[k] = s;
		v->rx_pkts++;
		v->rx_bytes += v->cur[k].len;
	}
	kite_queue_stats(v->fq, &st);
	assert_int_equal(st.rx_pkts, v->rx_pkts);
	assert_int_equal(st.rx_bytes, v->rx_bytes);
}

/* Forward a list with gaps; then the last one again and an older burst's: refused. */
static void rv_forward_list(struct rv *v, unsigned long it)
{
	struct kite_rx_frame list[16];
	unsigned int m = 0, i, k;
	uint32_t room;
	uint16_t got;

	for (i = v->fwd_idx; i < v->cur_n; i++)
		if (rv_rand() % 3)
			list[m++] = v->cur[i];
	kite_tx_reap(v->fq);
	room = v->fq->tx_mask + 1 - (v->fq->tx_tail - v->fq->tx_clean);
	got = kite_tx_forward(v->fq, list, (uint16_t)m);
	if (got != (m < room ? m : room))
		fail_msg("it %lu: kite_tx_forward %u of %u, room %u: %s", it, got, m, room,
			 kite_last_error());
	for (k = 0; k < got; k++)
		rv_expect(v, frame_seq(list[k].data), list[k].len);
	if (!got)
		return;
	for (i = v->fwd_idx; i < v->cur_n && v->cur[i].pos != list[got - 1].pos; i++)
		;
	v->fwd_idx = i + 1;
	if (kite_tx_forward(v->fq, &list[got - 1], 1))
		fail_msg("it %lu: a frame forwarded twice", it);
	if (v->prev_n && kite_tx_forward(v->fq, &v->prev[v->prev_n - 1], 1))
		fail_msg("it %lu: a frame of an older burst forwarded", it);
}

/* kite_tx_forward_next: min(asked, left, room), the burst's next ones in order. */
static void rv_forward_next(struct rv *v, unsigned long it)
{
	uint16_t want = (uint16_t)(rv_rand() % 20), left = (uint16_t)(v->cur_n - v->fwd_idx), got;
	unsigned int k, exp = want < left ? want : left;

	got = kite_tx_forward_next(v->fq, want);
	if (got > exp || (got < exp && v->fq->tx_tail - v->fq->tx_clean != v->fq->tx_mask + 1))
		fail_msg("it %lu: kite_tx_forward_next(%u) = %u with %u left", it, want, got, left);
	for (k = 0; k < got; k++)
		rv_expect(v, v->cur_seq[v->fwd_idx + k], v->cur[v->fwd_idx + k].len);
	v->fwd_idx += got;
}

/* Restart with frames in flight: they never go, counted as aborted; holds end. */
static void rv_restart(struct rv *v)
{
	struct kite_queue_stats st;
	uint64_t aborted;
	uint32_t inflight;

	kite_tx_reap(v->fq);
	kite_queue_stats(v->fq, &st);
	aborted = st.tx_aborted;
	inflight = v->fq->tx_tail - v->fq->tx_clean;
	assert_int_equal(kite_queue_restart(v->fq), 0);
	assert_int_equal(kite_default_queue_set(v->f->dev, 1, SQ), 0);
	kite_queue_stats(v->fq, &st);
	assert_int_equal(st.tx_aborted - aborted, inflight);
	assert_int_equal(v->out_t - v->out_h, inflight);
	v->out_t = v->out_h;
	v->nheld = v->cur_n = v->prev_n = v->fwd_idx = 0;
}

static void random_forwarder(struct fx *f, unsigned int tx_ring, uint64_t seed)
{
	unsigned long iters = getenv("FWD_ITERS") ? strtoul(getenv("FWD_ITERS"), NULL, 0) : 20000;
	struct rv *v = calloc(1, sizeof(*v));
	unsigned long it;
	unsigned int k;

	assert_non_null(v);
	rv_state = getenv("FWD_SEED") ? strtoull(getenv("FWD_SEED"), NULL, 0) : seed;
	v->f = f;
	v->buf_seq = BUF_SEQ;
	v->last_rx = UINT64_MAX;
	v->q0 = open_q(f, TXQ, 0, 256, 256);
	v->fq = open_forwarder(f, SQ, tx_ring, 1 << 16, TXQ);
	for (it = 0; it < iters; it++) {
		unsigned int a = rv_rand() % 100;

		if (a < 12) {	/* frames onto the wire, into fq */
			for (k = 1 + rv_rand() % 8; k && send_seq(f, v->q0, rv_len(v->wire_seq),
								   v->wire_seq); k--)
				v->wire_seq++;
		} else if (a < 30) {
			rv_step(v, it);
		} else if (a < 50) {
			rv_burst(v, it);
		} else if (a < 62) {
			rv_forward_list(v, it);
		} else if (a < 74) {
			rv_forward_next(v, it);
		} else if (a < 82) {	/* a pool buffer of fq's own */
			if (send_seq(f, v->fq, rv_len(v->buf_seq), v->buf_seq))
				rv_expect(v, v->buf_seq, rv_len(v->buf_seq));
			v->buf_seq++;
		} else if (a < 90) {	/* hold one of the burst */
			k = v->cur_n ? rv_rand() % v->cur_n : 0;
			if (v->cur_n && v->nheld < 6 && !kite_rx_hold(v->fq, &v->cur[k])) {
				v->held[v->nheld] = v->cur[k];
				v->held_seq[v->nheld++] = v->cur_seq[k];
			}
		} else if (a < 98) {	/* release one */
			if (v->nheld) {
				k = rv_rand() % v->nheld;
				assert_int_equal(kite_rx_release(v->fq, &v->held[k]), 0);
				v->held[k] = v->held[--v->nheld];
				v->held_seq[k] = v->held_seq[v->nheld];
			}
		} else if (rv_rand() % 8 == 0) {
			rv_restart(v);
		}
		for (k = 0; k < v->nheld; k++)	/* never overwritten while held */
			if (!frame_check(v->held[k].data, v->held[k].len, v->held_seq[k]))
				fail_msg("it %lu: held frame %llu overwritten", it,
					 (unsigned long long)v->held_seq[k]);
	}
	assert_true(v->tx_pkts > iters / 4);	/* it did forward */
	kite_queue_close(v->fq);
	kite_queue_close(v->q0);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
	free(v);
}

/* The smallest TX ring (full often: forwards cut short) and a roomy one. */
static void test_random_forwarder_ring8(void **state)
{
	random_forwarder(*state, 8, 88172645463325252ULL);
}

static void test_random_forwarder_ring64(void **state)
{
	random_forwarder(*state, 64, 2463534242ULL);
}

/*
 * A forwarded frame and a pool buffer reaped together while a later
 * forwarded frame is in flight: each byte counted once (the buffer's were
 * counted twice, as a buffer and as a forwarded frame), also after a restart
 * aborts the one in flight.
 */
static void test_forward_bytes_with_buffer(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, TXQ, 0, 64, 64), *fq;
	const struct kite_rx_rec *r[8];
	struct kite_queue_stats st;
	struct kite_pkt *p;
	unsigned int got = 0;

	fq = open_forwarder(f, SQ, 64, 0, TXQ);
	assert_int_equal(send_seq(f, q0, 100, 0), 1);
	assert_int_equal(send_seq(f, q0, 100, 1), 1);
	kite_emu_step(f->emu);
	kite_tx_reap(q0);
	assert_int_equal(kite_rx_recs(fq, r, 8), 2);
	assert_int_equal(kite_tx_forward_next(fq, 1), 1);	/* 100 bytes */
	assert_int_equal(send_seq(f, fq, 200, 77), 1);		/* a buffer, 200 bytes */
	kite_emu_step(f->emu);					/* both go */
	assert_int_equal(kite_tx_forward_next(fq, 1), 1);	/* in flight */
	assert_int_equal(kite_tx_reap(fq), 2);
	kite_queue_stats(fq, &st);
	assert_int_equal(st.tx_pkts, 2);
	assert_int_equal(st.tx_bytes, 300);
	kite_tx_reap(q0);
	while (kite_rx_burst(q0, &p, 1)) {
		got++;
		kite_pkt_free(p);
	}
	assert_int_equal(got, 2);
	assert_int_equal(kite_queue_restart(fq), 0);
	kite_queue_stats(fq, &st);
	assert_int_equal(st.tx_pkts, 2);
	assert_int_equal(st.tx_bytes, 300);
	assert_int_equal(st.tx_aborted, 1);
	kite_queue_close(fq);
	kite_queue_close(q0);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * Forwarded frames that fail (port 1's MTU below some of them: BAD_LEN)
 * among sent ones and pool buffers, reaped at random points: libkite's
 * sent, bytes and errors are the card's own counters.
 */
static void test_forward_failures_counted(void **state)
{
	struct fx *f = *state;
	struct kite_queue_conf c = { .port = 1, .tx_ring_size = 16 };
	struct kite_queue_opts o = { .size = sizeof(o), .flags = FWD_FLAGS,
				     .rx_stream_bytes = 1 << 16 };
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64), *fq;
	struct kite_queue_hw_stats hs;
	struct kite_queue_stats st;
	struct kite_tx_report rep[64];
	const struct kite_rx_rec *r[16];
	uint64_t seq = 0;
	unsigned int round, k;

	rv_state = 12345;
	assert_int_equal(kite_queue_open_opts(f->dev, SQ, &c, &o, &fq), 0);
	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	assert_int_equal(kite_mtu_set(f->dev, 1, 300), 0);	/* longer ones fail on port 1 */
	for (round = 0; round < 3000; round++) {
		uint16_t n;

		for (k = 1 + rv_rand() % 6; k && send_seq(f, tx, len_for(seq), seq); k--)
			seq++;
		kite_emu_step(f->emu);
		kite_tx_reap(tx);
		n = kite_rx_recs(fq, r, 16);
		if (rv_rand() % 3 == 0)
			send_seq(f, fq, (uint16_t)(100 + rv_rand() % 400), BUF_SEQ | round);
		kite_tx_forward_next(fq, (uint16_t)(rv_rand() % (n + 2u)));
		if (rv_rand() % 3 == 0)
			send_seq(f, fq, (uint16_t)(100 + rv_rand() % 400), BUF_SEQ << 1 | round);
		if (rv_rand() % 4 == 0)
			kite_tx_reap(fq);
		kite_tx_reports(fq, rep, 64);
	}
	kite_emu_step(f->emu);
	kite_tx_reap(fq);
	assert_int_equal(fq->tx_tail, fq->tx_clean);
	kite_queue_stats(fq, &st);
	hw_stats(f, SQ, &hs);
	assert_true(hs.tx_errors > 100);
	assert_int_equal(st.tx_errors, hs.tx_errors);
	assert_int_equal(st.tx_pkts, hs.tx_pkts);
	assert_int_equal(st.tx_bytes, hs.tx_bytes);
	kite_queue_close(fq);
	kite_queue_close(tx);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * A frame whose pos lies inside a record (a caller's forgery: its "header"
 * would be payload a sender chose): kite_tx_forward and kite_rx_hold refuse
 * it, for every chunk of the record, payload of zeros or of a pattern. It
 * was queued with a length read from the payload, then libkite looped for
 * ever walking zero-chunk "records".
 */
static void forge_inside_record(struct fx *f)
{
	struct kite_queue *tx = open_q(f, TXQ, 0, 64, 64);
	struct kite_queue *q = open_opts(f, SQ, FWD_FLAGS, 1 << 16);
	struct kite_rx_frame fr[2], bad;
	unsigned int zeros, shift;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (zeros = 0; zeros < 2; zeros++) {
		struct kite_pkt *p = kite_pkt_alloc(f->pool);

		memset(p->data, 0, 300);
		frame_fill(p->data, zeros ? 22 : 300, MAC0, MAC0, 5);
		p->len = 300;	/* 5 chunks */
		assert_int_equal(kite_tx_burst(tx, &p, 1), 1);
		kite_emu_step(f->emu);
		kite_tx_reap(tx);
		assert_int_equal(kite_rx_stream(q, fr, 2), 1);
		for (shift = 1; shift < 5; shift++) {
			bad = fr[0];
			bad.pos += shift;
			assert_int_equal(kite_tx_forward(q, &bad, 1), 0);
			assert_non_null(strstr(kite_last_error(), "not where a record starts"));
			assert_int_equal(kite_rx_hold(q, &bad), -EINVAL);
		}
		assert_int_equal(kite_tx_forward(q, fr, 1), 1);	/* the record itself goes */
		kite_emu_step(f->emu);
		kite_tx_reap(q);
		assert_int_equal(kite_rx_stream(q, fr, 2), 1);	/* back over the loopback */
	}
	kite_queue_close(q);
	kite_queue_close(tx);
}

static void test_forward_inside_record(void **state)
{
	bounded(forge_inside_record, *state);
}

/*
 * Where the latest burst ends (all of it forwarded, nothing received yet, a
 * fresh or restarted queue) no record of it starts: a frame placed there is
 * refused. It was taken: the card's next record went out before it was
 * handed out (then a second time with kite_tx_forward_next), and a chain of
 * such frames sent stale headers and payload as descriptors.
 */
static void test_forward_at_burst_end(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, TXQ, 0, 64, 64), *fq;
	struct kite_rx_frame fr[4], forged;
	struct kite_queue_stats st;
	struct kite_pkt *p;
	unsigned int k;

	fq = open_forwarder(f, SQ, 64, 0, TXQ);
	forged = (struct kite_rx_frame){ .pos = fq->rxs_pos };	/* nothing received yet */
	assert_int_equal(kite_tx_forward(fq, &forged, 1), 0);
	assert_int_equal(send_seq(f, q0, 100, 0), 1);
	kite_emu_step(f->emu);
	kite_tx_reap(q0);
	assert_int_equal(kite_rx_stream(fq, fr, 4), 1);
	assert_int_equal(kite_tx_forward_next(fq, 1), 1);
	assert_int_equal(send_seq(f, q0, 100, 1), 1);	/* the card's next record, not handed out */
	kite_emu_step(f->emu);
	forged = fr[0];
	forged.pos = fr[0].pos + fr[0].chunks;	/* where the burst ends */
	assert_int_equal(kite_tx_forward(fq, &forged, 1), 0);
	assert_non_null(strstr(kite_last_error(), "not where a record starts"));
	assert_int_equal(kite_rx_stream(fq, fr, 4), 1);
	assert_int_equal(kite_tx_forward_next(fq, 4), 1);
	kite_emu_step(f->emu);
	kite_emu_step(f->emu);
	kite_tx_reap(q0);
	for (k = 0; kite_rx_burst(q0, &p, 1); k++) {	/* each once, in order */
		assert_true(frame_check(p->data, p->len, k));
		kite_pkt_free(p);
	}
	assert_int_equal(k, 2);
	assert_int_equal(kite_queue_restart(fq), 0);	/* and after a restart */
	forged = (struct kite_rx_frame){ .pos = fq->rxs_pos };
	assert_int_equal(kite_tx_forward(fq, &forged, 1), 0);
	kite_tx_reap(fq);
	kite_queue_stats(fq, &st);
	assert_int_equal(st.tx_pkts, 2);
	assert_int_equal(st.tx_errors, 0);
	kite_queue_close(fq);
	kite_queue_close(q0);
}

/*
 * A stream queue without TX write-back that also sends pool buffers (it has
 * a TX ring): the give-back took an unreaped buffer for a forwarded frame,
 * then walked the TX slots for ever or reaped a write-back line it has not.
 * Every frame must come back whole.
 */
static void stream_queue_sends(struct fx *f)
{
	struct kite_queue *q = open_stream(f, SQ, 1 << 16), *plain = open_stream(f, 2, 0);
	struct kite_rx_frame fr[8];
	uint64_t seq, got = 0;

	assert_int_equal(kite_default_queue_set(f->dev, 0, SQ), 0);
	for (seq = 0; seq < 3000; seq++) {
		uint16_t n, k;

		/* out of its own port, back over the loopback; the buffer not reaped yet */
		assert_int_equal(send_seq(f, q, seq % 2 ? 1514 : 500, seq), 1);
		kite_emu_step(f->emu);
		n = kite_rx_stream(q, fr, 8);
		for (k = 0; k < n; k++, got++)
			assert_true(frame_check(fr[k].data, fr[k].len, got));
	}
	assert_int_equal(got, 3000);
	/* and it cannot forward: the error names the call */
	assert_int_equal(kite_tx_forward_next(plain, 4), 0);
	assert_int_equal(strncmp(kite_last_error(), "kite_tx_forward_next: ", 22), 0);
	kite_queue_close(plain);
	kite_queue_close(q);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

static void test_stream_queue_sends(void **state)
{
	bounded(stream_queue_sends, *state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_forwarder_ring8, fx_setup_pair,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_random_forwarder_ring64, fx_setup_pair,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_bytes_with_buffer, fx_setup_pair,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_failures_counted, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_inside_record, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_at_burst_end, fx_setup_pair, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_queue_sends, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
