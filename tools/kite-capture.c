// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-capture: what one queue receives, written as pcap with the card's
 * nanosecond RX timestamps (libpcap writes the file). The queue is fed by a
 * copy filter (--udp, --ip, --mac, --all: hw-spec §3.8, v1.2), so the
 * application that owns the flow still gets every frame (tcpdump semantics),
 * or as the port's default queue (--default: frames nobody else asked for).
 * On a card without copy filters it steers the flow instead, which a flow
 * another process steers refuses, naming that process.
 *   kite-capture [-d DEV] [-q Q] [-p PORT] (--udp N | --ip A.B.C.D | --mac M | --all |
 *                --default) -w FILE [-n COUNT] [-t SECONDS] [-f 'BPF expression']
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kite/kite.h"
#include "args.h"
#include "stop_signal.h"
#include "kite/hw.h"
#include "port_default.h"

static int parse_mac(const char *s, uint64_t *mac)
{
	unsigned int b[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (*mac = 0, i = 0; i < 6; i++)
		*mac = *mac << 8 | (b[i] & 0xff);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kite-capture [-d DEV] [-q QUEUE] [-p PORT] STEERING -w FILE [-n COUNT]\n"
		"                    [-t SECONDS] [-f 'BPF expression']\n"
		"STEERING (a hardware copy filter to the capture queue; the flow's owner still\n"
		"gets every frame):\n"
		"  --udp PORT | --ip A.B.C.D | --mac AA:BB:CC:DD:EE:FF | --all (every frame)\n"
		"  --default  the frames no filter matches (the port's default queue, given back)\n"
		"  -q QUEUE   queue to capture on (default 15)      -p PORT  card port (default 0)\n"
		"  -n COUNT   stop after COUNT frames written       -t SEC   stop after SEC seconds\n"
		"  -f EXPR    keep only frames matching a pcap filter expression (software)\n"
		"Timestamps are the card's RX timestamps, nanosecond pcap (tshark reads it).\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "queue", required_argument, NULL, 'q' },
		{ "port", required_argument, NULL, 'p' }, { "write", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' }, { "time", required_argument, NULL, 't' },
		{ "filter", required_argument, NULL, 'f' }, { "udp", required_argument, NULL, 'U' },
		{ "ip", required_argument, NULL, 'I' }, { "mac", required_argument, NULL, 'M' },
		{ "default", no_argument, NULL, 'D' }, { "all", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *devstr = getenv("KITE_DEV"), *file = NULL, *bpf = NULL;
	struct kite_queue_conf qc = { .tx_ring_size = 64, .rx_ring_size = 1024 };
	struct kite_filter flt = { .type = 0 };
	unsigned long count = 0, written = 0, dropped_by_bpf = 0, card_time = 0;
	double secs = 0, t0;
	bool dflt = false;
	struct bpf_program prog;
	struct kite_dev *dev = NULL;
	struct kite_pool *pool;
	struct kite_queue *q;
	struct port_default saved;
	struct kite_dev_info info;
	bool copy;
	pcap_dumper_t *out;
	struct in_addr ip;
	unsigned int qid = 15;
	pcap_t *pc;
	int c, rc = 1;

	tool_version(argc, argv, "kite-capture");
	while ((c = getopt_long(argc, argv, "d:q:p:w:n:t:f:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'q': qid = (unsigned int)arg_ulong("kite-capture", 'q', optarg, 0,
							KITE_MAX_QUEUES - 1); break;
		case 'p': qc.port = flt.port = (unsigned int)arg_ulong("kite-capture", 'p', optarg, 0,
								       KITE_MAX_PORTS - 1); break;
		case 'w': file = optarg; break;
		case 'n': count = arg_ulong("kite-capture", 'n', optarg, 1, ~0UL); break;
		case 't': secs = arg_double("kite-capture", 't', optarg, 0, 1e9); break;
		case 'f': bpf = optarg; break;
		case 'U':
			flt.type = KITE_FILTER_UDP_DST;
			flt.key = arg_ulong("kite-capture", 'U', optarg, 0, 65535);
			break;
		case 'I':
			if (inet_pton(AF_INET, optarg, &ip) != 1) {
				fprintf(stderr, "kite-capture: '%s' is not an IPv4 address\n", optarg);
				return 2;
			}
			flt.type = KITE_FILTER_IPV4_DST;
			flt.key = ntohl(ip.s_addr);
			break;
		case 'M':
			if (parse_mac(optarg, &flt.key)) {
				fprintf(stderr, "kite-capture: '%s' is not a MAC address\n", optarg);
				return 2;
			}
			flt.type = KITE_FILTER_DST_MAC;
			break;
		case 'A': flt.type = KITE_FILTER_ALL; flt.key = 0; break;
		case 'D': dflt = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!devstr || !file || (!flt.type && !dflt)) {
		fprintf(stderr, "kite-capture: need %s\n", !devstr ? "a device (-d or KITE_DEV)" :
			!file ? "an output file (-w)" :
			"a steering option (--udp, --ip, --mac, --all, --default)");
		usage(stderr);
		return 2;
	}
	pc = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	if (bpf && pcap_compile(pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, "kite-capture: filter '%s': %s\n", bpf, pcap_geterr(pc));
		return 2;
	}
	if (kite_open(devstr, &dev) || kite_pool_create(dev, 2048, 16384, &pool)) {
		fprintf(stderr, "kite-capture: %s\n", kite_last_error());
		goto done;
	}
	qc.rx_pool = pool;
	flt.queue = qid;
	saved.queue = -1;
	kite_dev_info(dev, &info);
	copy = KITE_FGET(KITE_ID_FEATURES_COPY_FILTERS, info.features);
	if (flt.type && !copy) {
		if (flt.type == KITE_FILTER_ALL) {
			fprintf(stderr, "kite-capture: --all needs copy filters; this card (contract "
				"v%u.%u) has none (they came in v1.2)\n", info.version_major,
				info.version_minor);
			goto done;
		}
		fprintf(stderr, "kite-capture: the card (contract v%u.%u) has no copy filters: "
			"steering the flow to the capture instead\n", info.version_major,
			info.version_minor);
	}
	if (kite_queue_open(dev, qid, &qc, &q) ||
	    (flt.type && (copy ? kite_filter_copy(dev, &flt) : kite_filter_add(dev, &flt)) < 0) ||
	    (dflt && port_default_take(dev, qc.port, qid, &saved))) {
		fprintf(stderr, "kite-capture: %s\n", kite_last_error());
		goto done;
	}
	/* only now: a capture that cannot start leaves no empty file behind */
	out = pcap_dump_open(pc, file);
	if (!out) {
		fprintf(stderr, "kite-capture: %s\n", pcap_geterr(pc));
		goto done;
	}
	stop_on_signals(false);
	fprintf(stderr, "kite-capture: capturing on %s port %u queue %u (%s)\n", devstr, qc.port,
		qid, dflt ? "the port's unmatched frames" : copy ? "a copy" : "the flow itself");
	t0 = kite_mono_s();
	while (!stop_requested && (!count || written < count) &&
	       (secs <= 0 || kite_mono_s() - t0 < secs)) {
		struct kite_pkt *pk[32];
		uint16_t n = kite_rx_burst(q, pk, 32), i;

		for (i = 0; i < n; i++) {
			struct pcap_pkthdr h = { .caplen = pk[i]->len, .len = pk[i]->len };
			struct timespec utc;

			/* UTC while kite-clock-sync keeps the card clock on it; else the card's own */
			if (kite_clock_utc(dev, pk[i]->ts, &utc)) {
				utc.tv_sec = (time_t)(pk[i]->ts / 1000000000ULL);
				utc.tv_nsec = (long)(pk[i]->ts % 1000000000ULL);
				if (!card_time++)
					fprintf(stderr, "kite-capture: timestamps in card time, not UTC: "
						"%s\n", kite_last_error());
			}
			/* nanosecond pcap: tv_usec carries nanoseconds */
			h.ts.tv_sec = utc.tv_sec;
			h.ts.tv_usec = (suseconds_t)utc.tv_nsec;
			if (bpf && !pcap_offline_filter(&prog, &h, pk[i]->data))
				dropped_by_bpf++;
			else if (!count || written < count) {
				pcap_dump((u_char *)out, &h, pk[i]->data);
				written++;
			}
			kite_pkt_free(pk[i]);
		}
	}
	pcap_dump_close(out);
	fprintf(stderr, "kite-capture: %lu frames written to %s (%lu did not match the filter)%s\n",
		written, file, dropped_by_bpf, card_time ? "" : ", UTC timestamps");
	if (card_time)
		fprintf(stderr, "kite-capture: %lu frames have card time, not UTC (run "
			"kite-clock-sync for UTC)\n", card_time);
	if (dflt)	/* the port's default goes back to what it was */
		port_default_restore(dev, q, &saved);
	rc = 0;
done:	/* the device, the compiled filter and the pcap handle, on every way out */
	kite_close(dev);
	if (bpf)
		pcap_freecode(&prog);
	pcap_close(pc);
	return rc;
}
