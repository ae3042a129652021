// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-ipp: a deterministic forwarding loop for instruction counts. The model
 * runs in step mode in this thread; valgrind --tool=callgrind counts only the
 * instructions inside the burst calls (bench/ipp.sh), divided by the frames
 * this prints.
 *   kite-ipp BATCH ROUNDS [desc|stream|next|recs]
 * desc: kite_rx_burst + kite_tx_burst on a descriptor queue (buffers from a
 * pool). stream: kite_rx_stream + kite_tx_forward on a stream queue with TX
 * write-back (contract 1.3: in place, no pool); next: kite_rx_stream +
 * kite_tx_forward_next; recs: kite_rx_recs + kite_tx_forward_next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inproc.h"

static unsigned long forward_desc(struct inproc *ip, unsigned int batch, unsigned long rounds)
{
	struct kite_pkt *pk[64];
	unsigned long r, frames = 0;
	unsigned int i;

	for (i = 0; i < batch; i++) {
		pk[i] = kite_pkt_alloc(ip->pool);
		memset(pk[i]->data, 0, 64);
		pk[i]->len = 64;
	}
	kite_tx_burst(ip->q, pk, (uint16_t)batch);
	kite_emu_step(ip->emu);
	for (r = 0; r < rounds; r++) {
		uint16_t n = kite_rx_burst(ip->q, pk, (uint16_t)batch);

		frames += n;
		kite_tx_burst(ip->q, pk, n);
		kite_emu_step(ip->emu);
	}
	return frames;
}

/*
 * Queue 1: the stream ring in, forwarded in place out of the same queue
 * (loopback): by frame (kite_tx_forward) or the burst's frames in order
 * (next and recs: kite_tx_forward_next), read as frames (kite_rx_stream) or
 * records (recs: kite_rx_recs).
 */
static long forward_stream(struct inproc *ip, unsigned int batch, unsigned long rounds,
			   const char *mode)
{
	struct kite_queue_conf qc = { .tx_ring_size = 256 };
	struct kite_queue_opts o = { .size = sizeof(o),
				     .flags = KITE_QUEUE_RX_STREAM | KITE_QUEUE_TX_WB };
	bool recs = !strcmp(mode, "recs"), next = recs || !strcmp(mode, "next");
	const struct kite_rx_rec *rec[64];
	struct kite_rx_frame fr[64];
	struct kite_pkt *pk[64];
	struct kite_queue *q;
	unsigned long r, frames = 0;
	unsigned int i;

	if (kite_queue_open_opts(ip->dev, 1, &qc, &o, &q) || kite_default_queue_set(ip->dev, 0, 1)) {
		fprintf(stderr, "kite-ipp: %s\n", kite_last_error());
		return -1;
	}
	for (i = 0; i < batch; i++) {
		pk[i] = kite_pkt_alloc(ip->pool);
		memset(pk[i]->data, 0, 64);
		pk[i]->len = 64;
	}
	kite_tx_burst(q, pk, (uint16_t)batch);
	kite_emu_step(ip->emu);
	kite_tx_reap(q);
	for (r = 0; r < rounds; r++) {
		uint16_t n = recs ? kite_rx_recs(q, rec, (uint16_t)batch) :
				    kite_rx_stream(q, fr, (uint16_t)batch);

		frames += n;
		if (next)
			kite_tx_forward_next(q, n);
		else
			kite_tx_forward(q, fr, n);
		kite_emu_step(ip->emu);
	}
	return (long)frames;
}

int main(int argc, char **argv)
{
	unsigned int batch = argc > 1 ? (unsigned int)atoi(argv[1]) : 32;
	unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000;
	const char *mode = argc > 3 ? argv[3] : "desc";
	struct inproc ip;
	long frames;

	if (batch < 1 || batch > 64 ||
	    (strcmp(mode, "desc") && strcmp(mode, "stream") && strcmp(mode, "next") &&
	     strcmp(mode, "recs")) ||
	    inproc_open(&ip, "kite-ipp"))
		return 2;
	frames = strcmp(mode, "desc") ? forward_stream(&ip, batch, rounds, mode) :
					 (long)forward_desc(&ip, batch, rounds);
	if (frames < 0)
		return 1;
	printf("frames %ld\n", frames);
	inproc_close(&ip);
	return 0;
}
