// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-fwd: a zero-copy reflector on contract 1.3's fast path, as ixy-fwd or
 * DPDK's l2fwd on theirs. Frames arriving on a port land in a queue's RX
 * stream ring (records read in place: kite_rx_recs) and go back out of the
 * same port from where they lie (kite_tx_forward_next): no buffer, no copy,
 * no pool. --swap-mac swaps each frame's Ethernet addresses in place first,
 * so a frame returns to its sender. Frames the TX ring has no room for are
 * dropped and counted (as l2fwd does), never left to stall the ring.
 *   kite-fwd [-d DEV] [-p PORT] [-q QUEUE] [-t SECONDS] [--batch N] [--swap-mac]
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kite/hw.h"	/* KITE_MAX_PORTS, KITE_MAX_QUEUES */
#include "kite/kite.h"
#include "../tools/args.h"
#include "../tools/stop_signal.h"
#include "../tools/port_default.h"

static void usage(FILE *o)
{
	fprintf(o, "usage: kite-fwd [-d DEV] [-p PORT] [-q QUEUE] [-t SECONDS] [--batch N] "
		"[--swap-mac]\n"
		"Sends every frame that arrives on the port back out of it, in place.\n"
		"  -d, --dev DEV      device (default $KITE_DEV)\n"
		"  -p, --port PORT    card port (default 0)\n"
		"  -q, --queue Q      queue to take; it becomes the port's default (default 0)\n"
		"  -t, --time SEC     stop after SEC seconds (default: until interrupted)\n"
		"      --batch N      frames per burst, 1..64 (default 32)\n"
		"      --swap-mac     swap destination and source MAC first (a reflector)\n");
}

/* A frame's Ethernet addresses swapped where it lies: the ring is the application's. */
static void swap_mac(const struct kite_rx_rec *r)
{
	uint8_t *f = (uint8_t *)kite_rx_rec_data(r), t[6];

	if (r->len < 12)
		return;
	memcpy(t, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "port", required_argument, NULL, 'p' },
		{ "queue", required_argument, NULL, 'q' }, { "batch", required_argument, NULL, 'B' },
		{ "time", required_argument, NULL, 't' }, { "swap-mac", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *devstr = getenv("KITE_DEV");
	struct kite_queue_conf qc = { .tx_ring_size = 1024 };
	struct kite_queue_opts o = { .size = sizeof(o),
				     .flags = KITE_QUEUE_RX_STREAM | KITE_QUEUE_TX_WB };
	unsigned long port = 0, qid = 0, batch = 32;
	uint64_t in = 0, out = 0, dropped = 0, polls;
	const struct kite_rx_rec *r[64];
	struct kite_queue_stats st;
	struct port_default saved;
	struct kite_dev *dev;
	struct kite_queue *q;
	double secs = 0, end;
	bool swap = false;
	int c;

	tool_version(argc, argv, "kite-fwd");
	while ((c = getopt_long(argc, argv, "d:p:q:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'p': port = arg_ulong("kite-fwd", 'p', optarg, 0, KITE_MAX_PORTS - 1); break;
		case 'q': qid = arg_ulong("kite-fwd", 'q', optarg, 0, KITE_MAX_QUEUES - 1); break;
		case 'B': batch = arg_ulong("kite-fwd", 'B', optarg, 1, 64); break;
		case 't': secs = arg_double("kite-fwd", 't', optarg, 0.001, 1e9); break;
		case 'S': swap = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !devstr) {
		fprintf(stderr, "kite-fwd: %s\n", optind < argc ? "unexpected argument" :
			"need a device (-d or KITE_DEV)");
		usage(stderr);
		return 2;
	}
	if (kite_open(devstr, &dev)) {
		fprintf(stderr, "kite-fwd: %s\n", kite_last_error());
		return 1;
	}
	qc.port = (unsigned int)port;
	if (kite_queue_open_opts(dev, (unsigned int)qid, &qc, &o, &q)) {
		fprintf(stderr, "kite-fwd: %s\n", kite_last_error());
		kite_close(dev);
		return 1;
	}
	if (port_default_take(dev, (unsigned int)port, (unsigned int)qid, &saved)) {
		fprintf(stderr, "kite-fwd: %s\n", kite_last_error());
		kite_queue_close(q);
		kite_close(dev);
		return 1;
	}
	stop_on_signals(false);
	fprintf(stderr, "kite-fwd: forwarding port %lu, queue %lu, bursts of %lu%s\n", port, qid,
		batch, swap ? ", MACs swapped" : "");
	end = secs ? kite_mono_s() + secs : 0;
	for (polls = 1; !stop_requested; polls++) {
		uint16_t n = kite_rx_recs(q, r, (uint16_t)batch), i, sent;

		/* the clock read when idle, or every 4096 bursts: not on every frame */
		if (end && (!n || !(polls & 4095)) && kite_mono_s() > end)
			break;
		if (!n)
			continue;
		if (swap)
			for (i = 0; i < n; i++)
				swap_mac(r[i]);
		sent = kite_tx_forward_next(q, n);
		in += n;
		out += sent;
		dropped += n - sent;	/* the TX ring is full: the card is behind */
	}
	kite_tx_reap(q);
	kite_queue_stats(q, &st);
	printf("kite-fwd: %llu frames in, %llu forwarded (%llu sent by the card, %llu failed), "
	       "%llu dropped for a full TX ring\n", (unsigned long long)in,
	       (unsigned long long)out, (unsigned long long)st.tx_pkts,
	       (unsigned long long)st.tx_errors, (unsigned long long)dropped);
	port_default_restore(dev, q, &saved);
	kite_close(dev);
	return 0;
}
