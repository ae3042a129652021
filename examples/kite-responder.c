// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-responder: a tiny host on libkite. It answers ARP for its IPv4
 * address, ICMP echo (ping) and UDP (echoes the datagram back), rewriting each
 * frame in place and sending the same buffer back: zero-copy.
 *   kite-responder [-d DEV] [-a A.B.C.D] [-p PORT] [-q QUEUE] [-t SECONDS]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kite/kite.h"
#include "kite/hw.h"
#include "../tools/args.h"

static volatile sig_atomic_t stop;
static uint8_t my_mac[6];
static uint32_t my_ip;	/* network order */
static unsigned long answered[3];	/* ARP, ICMP, UDP */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* Turn a request into its answer in place; false: not for us, drop it. */
static bool answer(uint8_t *f, uint16_t len)
{
	uint16_t type;
	unsigned int ihl;

	if (len < 42)
		return false;
	type = (uint16_t)(f[12] << 8 | f[13]);
	if (type == 0x0806) {	/* ARP request for our address */
		if (f[20] != 0 || f[21] != 1 || memcmp(f + 38, &my_ip, 4))
			return false;
		memcpy(f, f + 6, 6);
		memcpy(f + 6, my_mac, 6);
		f[21] = 2;
		memcpy(f + 32, f + 22, 10);	/* target = the asker */
		memcpy(f + 22, my_mac, 6);
		memcpy(f + 28, &my_ip, 4);
		answered[0]++;
		return true;
	}
	if (type != 0x0800 || (f[14] >> 4) != 4 || memcmp(f + 30, &my_ip, 4))
		return false;
	ihl = (f[14] & 0xf) * 4u;
	if (len < 14 + ihl + 8)
		return false;
	swap(f, f + 6, 6);
	swap(f + 26, f + 30, 4);	/* IP checksum is unchanged by the swap */
	if (f[23] == 1 && f[14 + ihl] == 8) {	/* ICMP echo request */
		uint16_t ip_len = (uint16_t)(f[16] << 8 | f[17]), c;

		if (ip_len < ihl + 8 || 14u + ip_len > len)
			return false;
		f[14 + ihl] = 0;
		f[14 + ihl + 2] = f[14 + ihl + 3] = 0;
		c = csum(f + 14 + ihl, ip_len - ihl);
		f[14 + ihl + 2] = (uint8_t)(c >> 8);
		f[14 + ihl + 3] = (uint8_t)c;
		answered[1]++;
		return true;
	}
	if (f[23] == 17) {	/* UDP: ports swapped, checksum still right */
		swap(f + 14 + ihl, f + 14 + ihl + 2, 2);
		answered[2]++;
		return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *devstr = getenv("KITE_DEV"), *addr = "169.254.77.2";
	struct kite_queue_conf qc = { .tx_ring_size = 256, .rx_ring_size = 256 };
	struct kite_filter f = { .type = KITE_FILTER_DST_MAC };
	struct kite_dev *dev;
	struct kite_pool *pool;
	struct kite_queue *q;
	struct kite_link link;
	struct in_addr ia;
	unsigned int qid = 0;
	double secs = 0;
	time_t start;
	int c, i;

	tool_version(argc, argv, "kite-responder");
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' }, { "queue", required_argument, NULL, 'q' },
		{ "time", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};

	while ((c = getopt_long(argc, argv, "d:a:p:q:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'a': addr = optarg; break;
		case 'p': qc.port = (unsigned int)arg_ulong("kite-responder", 'p', optarg, 0,
							    KITE_MAX_PORTS - 1); break;
		case 'q': qid = (unsigned int)arg_ulong("kite-responder", 'q', optarg, 0,
							KITE_MAX_QUEUES - 1); break;
		case 't': secs = arg_double("kite-responder", 't', optarg, 0, 1e9); break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: kite-responder [-d DEV] [-a A.B.C.D] [-p PORT] [-q QUEUE] "
				"[-t SECONDS]\nAnswers ARP, ping and UDP (echo) for address A on "
				"the card's port, with the port's MAC.\n"
				"  -d, --dev DEV      device (default $KITE_DEV)\n"
				"  -a, --addr A.B.C.D our IPv4 address (default 169.254.77.2)\n"
				"  -p, --port PORT    card port (default 0)\n"
				"  -q, --queue Q      queue (default 0)\n"
				"  -t, --time SEC     stop after SEC seconds (default: until interrupted)\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!devstr || inet_pton(AF_INET, addr, &ia) != 1) {
		fprintf(stderr, "kite-responder: need -d DEV and a valid -a address\n");
		return 2;
	}
	my_ip = ia.s_addr;
	if (kite_open(devstr, &dev) || kite_pool_create(dev, 1024, 2048, &pool) ||
	    kite_link_get(dev, qc.port, &link)) {
		fprintf(stderr, "kite-responder: %s\n", kite_last_error());
		return 1;
	}
	memcpy(my_mac, link.mac, 6);
	qc.rx_pool = pool;
	f.port = qc.port;
	f.queue = qid;
	if (kite_queue_open(dev, qid, &qc, &q)) {
		fprintf(stderr, "kite-responder: %s\n", kite_last_error());
		return 1;
	}
	for (i = 0, f.key = 0; i < 6; i++)	/* frames to our MAC, and broadcasts (ARP) */
		f.key = f.key << 8 | my_mac[i];
	if (kite_filter_add(dev, &f) < 0 ||
	    (f.key = 0xffffffffffffULL, kite_filter_add(dev, &f) < 0)) {
		fprintf(stderr, "kite-responder: %s\n", kite_last_error());
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("kite-responder: %s on %s port %u, MAC %02x:%02x:%02x:%02x:%02x:%02x\n", addr,
	       devstr, qc.port, my_mac[0], my_mac[1], my_mac[2], my_mac[3], my_mac[4], my_mac[5]);
	fflush(stdout);
	start = time(NULL);
	while (!stop && (secs <= 0 || difftime(time(NULL), start) < secs)) {
		struct kite_pkt *pk[32], *out[32];
		uint16_t n = kite_rx_burst(q, pk, 32), k = 0, sent;

		for (i = 0; i < n; i++) {
			if (answer(pk[i]->data, pk[i]->len))
				out[k++] = pk[i];
			else
				kite_pkt_free(pk[i]);
		}
		sent = kite_tx_burst(q, out, k);
		while (sent < k)
			kite_pkt_free(out[sent++]);
	}
	printf("kite-responder: answered %lu ARP, %lu ICMP echo, %lu UDP\n", answered[0],
	       answered[1], answered[2]);
	kite_close(dev);
	return 0;
}
