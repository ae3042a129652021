// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer target over kite-net's receive side: each input is up to 8
 * frames (a 2-byte length, then the bytes) that a peer on the cabled port
 * sends to a kite-net host (an interface, a UDP socket on a queue of its own,
 * one on the interface queue, a joined group). Whatever arrives, kite-net
 * must not crash or leak, and:
 *   - a datagram it delivers lies inside its frame, came to our address, a
 *     broadcast or a joined group, from a source that may be answered, and
 *     its UDP checksum (when not 0) verifies;
 *   - every frame it sends comes from our MAC, to a unicast or group MAC as
 *     fits the frame, and an IPv4 one has a correct header checksum;
 *   - once everything is released, the pool holds what it held before.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "kite/net.h"

#define OUR_IP	KN_IP(10, 1, 0, 2)
#define GROUP	KN_IP(239, 1, 2, 3)

static struct kite_emu *emu;
static struct kite_dev *dev;
static struct kite_pool *pool;
static struct kite_queue *peer;
static struct kn_if *ifp;
static struct kn_udp *sock, *shared;
static uint8_t our_mac[6];
static uint64_t now = 1000000000000ULL;

static uint64_t fuzz_clock(void *arg)
{
	(void)arg;
	return now;
}

static void step(void *arg)
{
	kite_emu_step(arg);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_net: %s: %s\n", what, msg);
	abort();
}

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void setup(void)
{
	char dir[] = "/tmp/kite-fuzz-net.XXXXXX", sock_path[64], devstr[80], msg[256];
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_PAIR };
	struct kite_queue_conf qc = { .port = 1, .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kn_if_conf ic = { .addr = OUR_IP, .prefix_len = 24, .gateway = KN_IP(10, 1, 0, 1),
				 .clock_ns = fuzz_clock };
	struct kn_udp_conf uc = { .port = 5000, .queue = 1 };

	if (!mkdtemp(dir))
		die("mkdtemp", "failed");
	snprintf(sock_path, sizeof(sock_path), "%s/emu.sock", dir);
	snprintf(devstr, sizeof(devstr), "emu:%s", sock_path);
	cfg.socket_path = sock_path;
	kite_set_log(NULL, NULL);
	if (kite_emu_create(&cfg, &emu, msg, sizeof(msg)) || kite_emu_serve(emu, msg, sizeof(msg)))
		die("kite-emu", msg);
	if (kite_open(devstr, &dev) || kite_pool_create(dev, 2048, 2048, &pool))
		die("libkite", kite_last_error());
	kite_set_wait_hook(dev, step, emu);
	qc.rx_pool = pool;
	if (kite_queue_open(dev, 8, &qc, &peer) || kite_default_queue_set(dev, 1, 8))
		die("peer", kite_last_error());
	ic.dev = dev;
	ic.pool = pool;
	if (kn_if_open(&ic, &ifp) || kn_udp_open(ifp, &uc, &sock))
		die("kite-net", kn_last_error());
	uc.port = 5001;
	uc.queue = -1;
	if (kn_udp_open(ifp, &uc, &shared) || kn_udp_join(sock, GROUP))
		die("kite-net", kn_last_error());
	kn_if_mac(ifp, our_mac);
}

static void check_dgram(const struct kn_dgram *d)
{
	const uint8_t *f = d->pkt->data, *u = d->data - 8, *ip;

	if (d->data < f + 42 || d->data + d->len > f + d->pkt->len)
		die("oracle", "a datagram outside its frame");
	if (d->dst_addr != OUR_IP && d->dst_addr != GROUP && d->dst_addr != 0xffffffffu &&
	    d->dst_addr != KN_IP(10, 1, 0, 255))
		die("oracle", "a datagram for someone else");
	if (d->src_addr >> 28 >= 0xe || !(d->src_addr >> 24) || d->src_addr >> 24 == 127 ||
	    d->src_addr == OUR_IP)
		die("oracle", "a datagram from a source that cannot be answered");
	ip = u - 20;
	if (u[6] | u[7]) {
		uint8_t ph[12];

		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = 17;
		ph[10] = (uint8_t)((d->len + 8) >> 8);
		ph[11] = (uint8_t)(d->len + 8);
		if (sum16(u, (size_t)d->len + 8, sum16(ph, 12, 0)) != 0xffff)
			die("oracle", "a datagram with a wrong checksum delivered");
	}
}

static void check_sent(const uint8_t *f, uint16_t len)
{
	if (len < 60 || memcmp(f + 6, our_mac, 6))
		die("oracle", "a frame not from our MAC, or a runt");
	if (f[12] == 0x08 && f[13] == 0x00) {
		unsigned int ihl = (f[14] & 0xfu) * 4;

		if (ihl < 20 || 14 + ihl > len || sum16(f + 14, ihl, 0) != 0xffff)
			die("oracle", "an IPv4 header with a wrong checksum sent");
		if ((f[0] & 1) && f[0] != 0xff && f[0] != 0x01)
			die("oracle", "a multicast MAC that is no group's");
	}
}

static void drain(struct kn_udp *s)
{
	struct kn_dgram d[16];
	uint16_t n, i;

	while ((n = kn_udp_recv(s, d, 16)) > 0) {
		for (i = 0; i < n; i++)
			check_dgram(&d[i]);
		/* answer some, to run the reply path on whatever got through */
		if (d[0].len & 1 && kn_udp_reply(s, &d[0], d[0].len) == 0)
			kn_udp_release(s, d + 1, (uint16_t)(n - 1));
		else
			kn_udp_release(s, d, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int base;
	struct kite_pkt *p;
	int frames = 0, i;

	if (!emu) {
		setup();
		base = kite_pool_avail(pool);
	}
	while (size >= 2 && frames < 8) {
		size_t len = (size_t)(data[0] << 8 | data[1]) % 1600;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		p = kite_pkt_alloc(pool);
		if (!p)
			die("peer", "pool empty");
		memcpy(p->data, data, len);
		p->len = (uint16_t)(len < 14 ? 14 : len);	/* the card drops shorter */
		if (len < 14)
			memset(p->data + len, 0, 14 - len);
		if (kite_tx_burst(peer, &p, 1) != 1)
			kite_pkt_free(p);
		data += len;
		size -= len;
		frames++;
	}
	for (i = 0; i < 6; i++) {
		kite_emu_step(emu);
		kn_poll(ifp);
		drain(sock);
		drain(shared);
		now += 300000000;	/* timers run too */
		while (kite_rx_burst(peer, &p, 1) == 1) {
			check_sent(p->data, p->len);
			kite_pkt_free(p);
		}
	}
	for (i = 0; i < 70; i++)	/* past the idle polls between clock reads */
		kn_poll(ifp);
	if (kite_pool_avail(pool) + 64 < base)	/* TX buffers still in flight: a few */
		die("oracle", "buffers leaked");
	return 0;
}
