// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-sockperf: a sockperf server on kite-net, so `sockperf ping-pong` (or
 * under-load) can measure a kite host. It answers ARP and ping for its
 * address (kn_poll) and speaks sockperf's UDP protocol on one port: each
 * request is answered in the buffer it arrived in (zero-copy), its header
 * rewritten in place.
 *   kite-sockperf [-d DEV] [-a A.B.C.D/LEN] [--gateway A.B.C.D] [--udp PORT]
 *                 [-p PORT] [-q QUEUE] [-t SECONDS] [--stats FILE]
 *
 * sockperf's message header (its src/message.h, sockperf 3.x), 14 bytes in
 * network byte order at the start of each datagram:
 *   0  u64 sequence number
 *   8  u16 flags: 1 client (the sender is a client), 2 pong request (answer
 *      this one), 4 warm-up (never answered, not counted)
 *   10 u32 length of the whole message, header included
 * Over UDP a message is one datagram. What sockperf's own server does:
 * messages without the client flag (a reply, or a server's) are ignored,
 * warm-up messages are ignored, and a client message with a pong request is
 * sent back to its source with the client flag cleared, everything else as
 * it came. A client drops replies that still carry the client flag, so a
 * plain echo is not a sockperf server.
 *
 * A datagram shorter than the header, or whose length field is not its size
 * (below the header, beyond the datagram, or a partial message), is dropped
 * and counted: sockperf's server would loop on a zero length or read past
 * the datagram; nothing malformed is answered. Nor is a datagram from source
 * port 0 (RFC 768: the sender wants no reply).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kite/net.h"
#include "../tools/args.h"
#include "../tools/stop_signal.h"
#include "example_args.h"

#define SP_HDR_LEN	14	/* sockperf's MsgHeader::EFFECTIVE_SIZE */
#define SP_OFF_FLAGS	8
#define SP_OFF_LEN	10
#define SP_F_CLIENT	0x1
#define SP_F_PONG	0x2
#define SP_F_WARMUP	0x4
#define BURST		32

/* what happened to each datagram the socket received: one outcome each */
struct sp_counts {
	unsigned long long replied;	/* pong requests answered */
	unsigned long long no_pong;	/* client messages that ask for no reply (under-load) */
	unsigned long long warmup;	/* warm-up messages (ignored, as sockperf's server) */
	unsigned long long not_client;	/* no client flag: a reply or a server's (ignored) */
	unsigned long long short_msg;	/* shorter than the header */
	unsigned long long bad_len;	/* length field is not the datagram's size */
	unsigned long long port0;	/* from source port 0: no reply wanted (RFC 768) */
	unsigned long long tx_fail;	/* the reply could not be sent */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One received datagram: answered (consumed) or released, and counted. */
static void handle(struct kn_udp *s, struct kn_dgram *d, struct sp_counts *c)
{
	uint8_t *m = d->data;
	uint16_t flags;
	uint32_t len;

	if (!d->src_port) {	/* sockperf's server cannot answer it either (EINVAL) */
		c->port0++;
		goto release;
	}
	if (d->len < SP_HDR_LEN) {
		c->short_msg++;
		goto release;
	}
	flags = get16(m + SP_OFF_FLAGS);
	len = get32(m + SP_OFF_LEN);
	if (len != d->len) {	/* also covers len < SP_HDR_LEN, since d->len >= it */
		c->bad_len++;
		goto release;
	}
	if (!(flags & SP_F_CLIENT)) {
		c->not_client++;
		goto release;
	}
	if (flags & SP_F_WARMUP) {
		c->warmup++;
		goto release;
	}
	if (!(flags & SP_F_PONG)) {
		c->no_pong++;
		goto release;
	}
	put16(m + SP_OFF_FLAGS, (uint16_t)(flags & ~SP_F_CLIENT));	/* from the server now */
	if (kn_udp_reply(s, d, (uint16_t)len) == 0) {
		c->replied++;
		return;
	}
	c->tx_fail++;
release:
	kn_udp_release(s, d, 1);
}

static void usage(FILE *o)
{
	fprintf(o, "usage: kite-sockperf [-d DEV] [-a A.B.C.D/LEN] [--gateway A.B.C.D]\n"
		"                     [--udp PORT] [-p PORT] [-q QUEUE] [-t SECONDS]\n"
		"                     [--stats FILE]\n"
		"A sockperf server on kite-net: answers sockperf's UDP ping-pong and under-load\n"
		"clients (pong requests back to their source, client flag cleared; warm-up and\n"
		"malformed messages never answered), and ARP and ping for the address.\n"
		"  -d, --dev DEV          device (default $KITE_DEV)\n"
		"  -a, --addr A.B.C.D/LEN our address and prefix (default 169.254.77.2/16)\n"
		"      --gateway A.B.C.D  next hop off the subnet (default none)\n"
		"      --udp PORT         sockperf's UDP port (default 11111, as sockperf's)\n"
		"  -p, --port PORT        card port (default 0)\n"
		"  -q, --queue Q          the interface's queue; the socket takes the next one "
		"(default 0)\n"
		"  -t, --time SEC         stop after SEC seconds (default: until interrupted)\n"
		"      --stats FILE       counters for kite-stat --net (default none)\n"
		"At the end it prints what it answered and what it dropped, and why.\n");
}

int main(int argc, char **argv)
{
	/* --gateway, --udp, --stats: long only (-g, -u, -s mean other things in other tools) */
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "addr", required_argument, NULL, 'a' },
		{ "gateway", required_argument, NULL, EX_OPT_GATEWAY },
		{ "udp", required_argument, NULL, 'U' },
		{ "port", required_argument, NULL, 'p' }, { "queue", required_argument, NULL, 'q' },
		{ "time", required_argument, NULL, 't' },
		{ "stats", required_argument, NULL, EX_OPT_STATS },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct kn_udp_conf uc = { .port = 11111 };
	struct sp_counts cnt = { 0 };
	uint64_t st[KN_STAT_COUNT];
	struct kn_udp *sock;
	struct ex_net net;
	time_t start;
	int c;

	tool_version(argc, argv, "kite-sockperf");
	ex_net_init(&net, "kite-sockperf", "169.254.77.2/16", 14);
	while ((c = getopt_long(argc, argv, "d:a:p:q:t:h", lo, NULL)) != -1) {
		if (ex_net_opt(&net, c, optarg))
			continue;
		if (c == 'U') {
			uc.port = (uint16_t)arg_ulong("kite-sockperf", 'U', optarg, 1, 65535);
			continue;
		}
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	ex_net_args(&net, argc, argv);
	if (ex_net_open(&net, 4096))
		return 1;
	uc.queue = (int)net.ic.queue + 1;
	if (kn_udp_open(net.ifp, &uc, &sock)) {
		fprintf(stderr, "kite-sockperf: %s\n", kn_last_error());
		ex_net_close(&net);
		return 1;
	}
	stop_on_signals(false);
	printf("kite-sockperf: %s on %s port %u, sockperf on UDP %u\n", net.addr, net.dev,
	       net.ic.port, uc.port);
	fflush(stdout);
	start = time(NULL);
	while (!stop_requested && (net.secs <= 0 || difftime(time(NULL), start) < net.secs)) {
		struct kn_dgram d[BURST];
		uint16_t n, k;

		kn_poll(net.ifp);	/* ARP, ping, IGMP, port unreachable */
		n = kn_udp_recv(sock, d, BURST);
		for (k = 0; k < n; k++)
			handle(sock, &d[k], &cnt);
	}
	kn_if_stats(net.ifp, st, KN_STAT_COUNT);
	printf("kite-sockperf: replied %llu; ignored %llu warm-up, %llu without pong request, "
	       "%llu without client flag; malformed %llu (%llu short, %llu bad length, "
	       "%llu from port 0); %llu replies not sent\n", cnt.replied, cnt.warmup, cnt.no_pong,
	       cnt.not_client, cnt.short_msg + cnt.bad_len + cnt.port0, cnt.short_msg, cnt.bad_len,
	       cnt.port0, cnt.tx_fail);
	printf("kite-sockperf: kite-net answered %llu ARP, %llu ping; dropped %llu "
	       "(kite-stat --net for why)\n", (unsigned long long)st[KN_ARP_REPLY_TX],
	       (unsigned long long)st[KN_ICMP_ECHO_RX], (unsigned long long)ex_drops(st));
	ex_net_close(&net);
	return 0;
}
