// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer target over libkite's public API, against the in-process model
 * (kite-emu's server on a thread, the model stepped by libkite's wait hook):
 * sequences of alloc, free (double frees included), tx_burst (the same packet
 * twice, bad lengths, another device's packets), rx_burst, reap, queue close
 * and reopen, pool destroy; and contract 1.3's calls on a second queue (RX
 * stream ring fed by a copy of everything, direct PIO, TX write-back):
 * kite_rx_stream, holds and releases, kite_tx_forward of frames as read,
 * forged or stale (from before a restart), direct PIO of any length.
 *
 * Oracle (buffer ownership, issue 18): a shadow set of the packets the
 * application holds. The library never hands out a packet the application
 * already holds; a refused free or send changes nothing; at the end, once the
 * queues are closed and everything held is freed, each pool is full again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"
#include "kite/hw.h"
#include "kite/kite.h"

#define NBUFS	64
#define HELD_MAX (2 * NBUFS)

static struct kite_emu *emu;
static char devstr[96];

struct app {
	struct kite_dev *dev, *other;
	struct kite_pool *pool, *opool;
	struct kite_queue *q;
	struct kite_pkt *held[HELD_MAX];	/* the shadow: what the app holds */
	unsigned int nheld;
	struct kite_queue *sq;			/* a contract 1.3 queue */
	struct kite_rx_frame fr[8];		/* its latest burst (or older ones) */
	unsigned int nfr;
	const struct kite_rx_rec *rec[8];	/* the same, read as records */
	unsigned int nrec;
};

static void step(void *arg)
{
	kite_emu_step(arg);
}

static char clock_state[64];

static void setup(void)
{
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_LOOPBACK };
	char msg[128];

	snprintf(devstr + 4, sizeof(devstr) - 4, "/tmp/kite-fuzz-api-%d.sock", (int)getpid());
	memcpy(devstr, "emu:", 4);
	cfg.socket_path = devstr + 4;
	snprintf(clock_state, sizeof(clock_state), "/tmp/kite-fuzz-api-%d.clock", (int)getpid());
	setenv("KITE_CLOCK_STATE", clock_state, 1);
	unlink(cfg.socket_path);
	if (kite_emu_create(&cfg, &emu, msg, sizeof(msg)) || kite_emu_serve(emu, msg, sizeof(msg))) {
		fprintf(stderr, "fuzz_api: %s\n", msg);
		abort();
	}
}

static void fail(const char *what, const struct kite_pkt *p)
{
	fprintf(stderr, "fuzz_api: %s (buffer %u)\n", what, p ? p->index : 0);
	abort();
}

static int held_at(const struct app *a, const struct kite_pkt *p)
{
	unsigned int i;

	for (i = 0; i < a->nheld; i++)
		if (a->held[i] == p)
			return (int)i;
	return -1;
}

/* The library gave us p: we must not hold it already. */
static void got(struct app *a, struct kite_pkt *p)
{
	if (held_at(a, p) >= 0)
		fail("a buffer the application holds was handed out again", p);
	if (a->nheld == HELD_MAX)
		fail("more buffers out than exist", p);
	a->held[a->nheld++] = p;
}

static void gone(struct app *a, int i)
{
	a->held[i] = a->held[--a->nheld];
}

static struct kite_queue *open_queue(struct app *a)
{
	struct kite_queue_conf c = { .tx_ring_size = 16, .rx_ring_size = 16, .rx_pool = a->pool };
	struct kite_queue *q = NULL;

	if (kite_queue_open(a->dev, 0, &c, &q))
		return NULL;
	kite_default_queue_set(a->dev, 0, 0);
	return q;
}

/* Queue 1: stream ring, direct PIO, write-back; a copy of every frame of port 0. */
static struct kite_queue *open_stream_queue(struct app *a)
{
	struct kite_queue_conf c = { .tx_ring_size = 16 };
	struct kite_queue_opts o = { .size = sizeof(o), .rx_stream_bytes = 1 << 16,
				     .flags = KITE_QUEUE_RX_STREAM | KITE_QUEUE_PIO_DIRECT |
					      KITE_QUEUE_TX_WB };
	struct kite_filter all = { .type = KITE_FILTER_ALL, .queue = 1 };
	struct kite_queue *q = NULL;

	if (kite_queue_open_opts(a->dev, 1, &c, &o, &q))
		return NULL;
	kite_filter_copy(a->dev, &all);
	return q;
}

/* The 1.3 operations: nothing may crash, every frame handed out is whole. */
static void run_stream(struct app *a, uint8_t op, uint8_t arg)
{
	unsigned int n = arg % 8 + 1, i;
	uint8_t frame[KITE_PIO_MAX_FRAME] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct kite_rx_frame f;

	if (!a->sq)
		return;
	switch (op % 7) {
	case 0:	/* read; keep the burst (a later op may use it when it is stale) */
		n = kite_rx_stream(a->sq, a->fr, (uint16_t)n);
		for (i = 0; i < n; i++) {
			volatile const uint8_t *d = a->fr[i].data;

			if (a->fr[i].len < 14 || a->fr[i].len > 9018)
				fail("kite_rx_stream gave a frame of an impossible length", NULL);
			(void)d[0];
			(void)d[a->fr[i].len - 1];
		}
		if (n)
			a->nfr = n;
		break;
	case 1:	/* forward some, as read or forged */
		if (!a->nfr)
			break;
		f = a->fr[arg % a->nfr];
		if (arg & 0x40)	/* a chunk or a few on (inside a record), or far */
			f.pos += arg & 0x20 ? arg : arg & 7;
		if (arg & 0x80)
			f.len = (uint16_t)(arg * 97);
		kite_tx_forward(a->sq, &f, 1);
		break;
	case 2:	/* hold or release */
		if (!a->nfr)
			break;
		if (arg & 1)
			kite_rx_hold(a->sq, &a->fr[arg % a->nfr]);
		else
			kite_rx_release(a->sq, &a->fr[arg % a->nfr]);
		break;
	case 3:	/* direct PIO of any length, 0..255 */
		if (kite_pio_send(a->sq, frame, arg, 0, arg) == -EAGAIN)
			kite_tx_reap(a->sq);
		break;
	case 4:	/* restart: what was read before is stale now */
		kite_queue_restart(a->sq);
		break;
	case 5:	/* read as records; forward the next few of the burst */
		n = kite_rx_recs(a->sq, a->rec, (uint16_t)n);
		for (i = 0; i < n; i++) {
			volatile const uint8_t *d = kite_rx_rec_data(a->rec[i]);

			if (a->rec[i]->len < 14 || a->rec[i]->len > 9018)
				fail("kite_rx_recs gave a frame of an impossible length", NULL);
			(void)d[0];
			(void)d[a->rec[i]->len - 1];
		}
		if (n)
			a->nrec = n;
		if (kite_tx_forward_next(a->sq, arg % 4) > n)
			fail("kite_tx_forward_next sent more than the burst had", NULL);
		break;
	case 6:	/* a record as read or shifted (maybe stale) made a frame, then held or sent */
		if (!a->nrec)
			break;
		if (kite_rx_rec_frame(a->sq, (const struct kite_rx_rec *)
				      ((const uint8_t *)a->rec[arg % a->nrec] + (arg & 0xc0)), &f))
			break;
		if (arg & 1)
			kite_rx_hold(a->sq, &f);
		else
			kite_tx_forward(a->sq, &f, 1);
		break;
	}
}

/*
 * Contract 1.4's clock calls with any argument: refused or done, never a
 * crash; and kite_clock_utc converts only what kite_clock_status calls LOCKED.
 */
static void run_clock(struct app *a, uint8_t op, uint8_t arg)
{
	struct kite_clock_status st = { .size = sizeof(st), .interval_ms = 250 };
	struct kite_clock_sample smp;
	struct timespec utc;
	int err;

	switch (op % 2 ? arg % 6 : 5) {
	case 0:
		err = kite_clock_sample(a->dev, arg % 30, &smp);
		if ((arg % 30 >= 1 && arg % 30 <= 25) != !err)
			fail("kite_clock_sample: readings count judged wrongly", NULL);
		if (!err && smp.sys_after_ns < smp.sys_before_ns)
			fail("kite_clock_sample: a bracket that ends before it starts", NULL);
		break;
	case 1:
		kite_clock_step(a->dev, (int64_t)(int8_t)arg * 1000003);
		break;
	case 2:
		err = kite_clock_set_freq(a->dev, (double)(int8_t)arg * 5000);
		if ((err == -ERANGE) != ((int8_t)arg * 5000 > 500000 || (int8_t)arg * 5000 < -500000))
			fail("kite_clock_set_freq: range judged wrongly", NULL);
		break;
	case 3:
		kite_clock_set(a->dev, (uint64_t)arg << 56 | arg);
		break;
	case 4:	/* publish something, true or not, or with a wrong size */
		st.size = arg & 0x80 ? 7 : sizeof(st);
		st.state = arg % 4;
		st.updated_ns = arg & 0x40 ? 1 : (uint64_t)time(NULL) * 1000000000ULL;
		if (arg & 0x20)	/* from the future: a dead daemon's status must not live on */
			st.updated_ns += 3600ULL * 1000000000ULL;
		st.locked_since_ns = arg & 0x10 ? 0 : UINT64_MAX / 2;
		kite_clock_publish(a->dev, &st);
		break;
	case 5:
		err = kite_clock_utc(a->other, (uint64_t)arg << 40, &utc);
		if (!err && (kite_clock_status(a->other, &st) || st.state != KITE_CLOCK_LOCKED))
			fail("kite_clock_utc converted while the status is not LOCKED and fresh", NULL);
		break;
	}
}

static void run(struct app *a, uint8_t op, uint8_t arg)
{
	struct kite_pkt *pk[8];
	unsigned int n = arg % 8 + 1, i, k, avail;
	int h;

	if (op % 16 >= 14) {
		run_clock(a, op, arg);
		return;
	}
	if (op % 16 >= 9) {
		run_stream(a, (uint8_t)(op % 16 - 9), arg);
		return;
	}
	switch (op % 9) {
	case 0:	/* alloc, from our pool or the other device's */
		pk[0] = kite_pkt_alloc(arg & 1 ? a->opool : a->pool);
		if (pk[0]) {
			pk[0]->len = 64;
			got(a, pk[0]);
		}
		break;
	case 1:	/* free a held one, or one we no longer hold (a double free) */
		if (!a->nheld)
			break;
		h = arg % a->nheld;
		pk[0] = a->held[h];
		kite_pkt_free(pk[0]);
		gone(a, h);
		if (arg & 0x80) {	/* again: must be refused, the pool unchanged */
			avail = kite_pool_avail(pk[0]->pool);
			kite_pkt_free(pk[0]);
			if (kite_pool_avail(pk[0]->pool) != avail)
				fail("a double free changed the pool", pk[0]);
		}
		break;
	case 2:	/* send n held packets, the same one twice sometimes, odd lengths */
		if (!a->q || !a->nheld)
			break;
		for (i = 0; i < n; i++) {
			pk[i] = a->held[(arg + i * (arg & 1 ? 0 : 1)) % a->nheld];
			pk[i]->len = (uint16_t)(arg & 0x40 ? 4000 : 14 + (arg * 7 + i) % 200);
		}
		k = kite_tx_burst(a->q, pk, (uint16_t)n);
		for (i = 0; i < k; i++) {
			h = held_at(a, pk[i]);
			if (h < 0)
				fail("kite_tx_burst took a packet the application did not hold", pk[i]);
			gone(a, h);
		}
		break;
	case 3:	/* receive */
		if (!a->q)
			break;
		k = kite_rx_burst(a->q, pk, (uint16_t)n);
		for (i = 0; i < k; i++)
			got(a, pk[i]);
		break;
	case 4:
		if (a->q)
			kite_tx_reap(a->q);
		break;
	case 5:
		kite_emu_step(emu);
		break;
	case 6:	/* close and reopen the queue */
		kite_queue_close(a->q);
		a->q = open_queue(a);
		break;
	case 7:	/* send a packet we do not hold (freed, or never ours) */
		if (!a->q)
			break;
		pk[0] = kite_pkt_alloc(a->pool);
		if (!pk[0])
			break;
		kite_pkt_free(pk[0]);
		if (kite_tx_burst(a->q, pk, 1))
			fail("kite_tx_burst sent a freed packet", pk[0]);
		break;
	case 8:	/* destroy must refuse while anything is out */
		if (kite_pool_destroy(a->pool) == 0)
			fail("kite_pool_destroy succeeded with buffers out", NULL);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app a = { 0 };
	size_t i;

	if (!emu)
		setup();
	if (kite_open(devstr, &a.dev) || kite_open(devstr, &a.other) ||
	    kite_pool_create(a.dev, NBUFS, 2048, &a.pool) ||
	    kite_pool_create(a.other, NBUFS, 2048, &a.opool)) {
		fprintf(stderr, "fuzz_api: %s\n", kite_last_error());
		abort();
	}
	kite_set_wait_hook(a.dev, step, emu);
	kite_set_wait_hook(a.other, step, emu);
	a.q = open_queue(&a);
	a.sq = open_stream_queue(&a);
	for (i = 0; i + 1 < size && i < 2000; i += 2)
		run(&a, data[i], data[i + 1]);
	/* everything back: close the queue, free what we hold, pools full again */
	kite_queue_close(a.sq);
	kite_queue_close(a.q);
	while (a.nheld)
		kite_pkt_free(a.held[--a.nheld]);
	if (kite_pool_avail(a.pool) != NBUFS || kite_pool_avail(a.opool) != NBUFS) {
		fprintf(stderr, "fuzz_api: pools hold %u and %u of %u buffers at the end\n",
			kite_pool_avail(a.pool), kite_pool_avail(a.opool), NBUFS);
		abort();
	}
	kite_close(a.other);
	kite_close(a.dev);
	return 0;
}
