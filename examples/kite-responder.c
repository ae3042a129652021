// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-responder: a host on kite-net. It answers ARP and ping for its IPv4
 * address (kn_poll does that) and echoes UDP datagrams on ports FIRST..LAST,
 * each back in the buffer it arrived in (zero-copy).
 *   kite-responder [-d DEV] [-a A.B.C.D/LEN] [--gateway A.B.C.D] [--udp FIRST[-LAST]]
 *                  [-p PORT] [-q QUEUE] [-t SECONDS] [--stats FILE]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kite/net.h"
#include "../tools/args.h"
#include "../tools/stop_signal.h"
#include "example_args.h"

#define MAX_PORTS 8	/* a queue each, after the interface's */

static void usage(FILE *o)
{
	fprintf(o, "usage: kite-responder [-d DEV] [-a A.B.C.D/LEN] [--gateway A.B.C.D]\n"
		"                      [--udp FIRST[-LAST]] [-p PORT] [-q QUEUE] [-t SECONDS]\n"
		"                      [--stats FILE]\n"
		"Answers ARP and ping for the address, and echoes UDP on the ports.\n"
		"  -d, --dev DEV          device (default $KITE_DEV)\n"
		"  -a, --addr A.B.C.D/LEN our address and prefix (default 169.254.77.2/16)\n"
		"      --gateway A.B.C.D  next hop off the subnet (default none)\n"
		"      --udp FIRST[-LAST] UDP ports to echo, at most %d (default 7)\n"
		"  -p, --port PORT        card port (default 0)\n"
		"  -q, --queue Q          the interface's queue; the sockets take the next ones "
		"(default 0)\n"
		"  -t, --time SEC         stop after SEC seconds (default: until interrupted)\n"
		"      --stats FILE       counters for kite-stat --net (default none)\n",
		MAX_PORTS);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "addr", required_argument, NULL, 'a' },
		{ "gateway", required_argument, NULL, EX_OPT_GATEWAY },
		{ "udp", required_argument, NULL, 'U' },
		{ "port", required_argument, NULL, 'p' }, { "queue", required_argument, NULL, 'q' },
		{ "time", required_argument, NULL, 't' },
		{ "stats", required_argument, NULL, EX_OPT_STATS },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *ports = "7";
	struct kn_udp *socks[MAX_PORTS];
	unsigned long first, last, i;
	uint64_t st[KN_STAT_COUNT];
	struct ex_net n;
	time_t start;
	int c;

	tool_version(argc, argv, "kite-responder");
	ex_net_init(&n, "kite-responder", "169.254.77.2/16", 15 - MAX_PORTS);
	while ((c = getopt_long(argc, argv, "d:a:p:q:t:h", lo, NULL)) != -1) {
		if (ex_net_opt(&n, c, optarg))
			continue;
		if (c == 'U') {
			ports = optarg;
			continue;
		}
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	ex_net_args(&n, argc, argv);
	ex_port_range("kite-responder", 'U', ports, MAX_PORTS, &first, &last);
	if (ex_net_open(&n, 4096))
		return 1;
	for (i = first; i <= last; i++) {
		struct kn_udp_conf uc = { .port = (uint16_t)i,
					  .queue = (int)(n.ic.queue + 1 + i - first) };

		if (kn_udp_open(n.ifp, &uc, &socks[i - first])) {
			fprintf(stderr, "kite-responder: %s\n", kn_last_error());
			ex_net_close(&n);
			return 1;
		}
	}
	stop_on_signals(false);
	printf("kite-responder: %s on %s port %u, UDP %lu-%lu\n", n.addr, n.dev, n.ic.port, first,
	       last);
	fflush(stdout);
	start = time(NULL);
	while (!stop_requested && (n.secs <= 0 || difftime(time(NULL), start) < n.secs)) {
		kn_poll(n.ifp);	/* ARP, ping, IGMP, port unreachable */
		for (i = 0; i <= last - first; i++) {
			struct kn_dgram d[32];
			uint16_t got = kn_udp_recv(socks[i], d, 32), k;

			for (k = 0; k < got; k++)
				if (kn_udp_reply(socks[i], &d[k], d[k].len))
					kn_udp_release(socks[i], &d[k], 1);
		}
	}
	kn_if_stats(n.ifp, st, KN_STAT_COUNT);
	printf("kite-responder: answered %llu ARP, %llu ping, %llu UDP; dropped %llu "
	       "(kite-stat --net for why)\n", (unsigned long long)st[KN_ARP_REPLY_TX],
	       (unsigned long long)st[KN_ICMP_ECHO_RX], (unsigned long long)st[KN_TX_DGRAMS],
	       (unsigned long long)ex_drops(st));
	ex_net_close(&n);
	return 0;
}
