// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-net against kite-emu in one process: port 0 is the kite-net host,
 * port 1 (cabled to it) a raw peer that sends hand-built frames and checks
 * every frame kite-net sends. Checksums here are computed by a plain 16-bit
 * loop of the test's own, not the library's. Time is the test's clock.
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

#include "kite/net.h"
#include "lib_fixture.h"

#define OUR_IP	KN_IP(10, 1, 0, 2)
#define PEER_IP	KN_IP(10, 1, 0, 9)
#define GW_IP	KN_IP(10, 1, 0, 1)
#define GROUP	KN_IP(239, 1, 2, 3)
#define UPORT	5000
#define PEER_Q	8
#define SOCK_Q	1
#define S	1000000000ULL

static const uint8_t peer_mac[6] = { 0x02, 0x50, 0x45, 0x45, 0x52, 0x01 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint8_t our_mac[6];

struct nt {
	struct fx *f;
	struct kite_queue *peer;
	struct kn_if *ifp;
	struct kn_udp *s;
	uint64_t now;
	char stats[96];
};

static uint64_t test_clock(void *arg)
{
	return ((struct nt *)arg)->now;
}

/* ---- frames, built independently of the library --------------------------- */
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

static uint16_t csum(const uint8_t *p, size_t n)
{
	return (uint16_t)~sum16(p, n, 0);
}

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)g16(p) << 16 | g16(p + 2);
}

static void p16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void p32(uint8_t *p, uint32_t v)
{
	p16(p, (uint16_t)(v >> 16));
	p16(p + 2, (uint16_t)v);
}

static uint16_t udp_csum(const uint8_t *ip, const uint8_t *u, uint16_t ulen)
{
	uint8_t ph[12];
	uint16_t c;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	p16(ph + 10, ulen);
	c = (uint16_t)~sum16(u, ulen, sum16(ph, 12, 0));
	return c ? c : 0xffff;
}

/* Ethernet + IPv4 (no options) header at f; returns the IP header */
static uint8_t *ip_frame(uint8_t *f, const uint8_t *dmac, uint32_t src, uint32_t dst,
			 uint8_t proto, uint16_t l4len)
{
	uint8_t *ip = f + 14;

	memcpy(f, dmac, 6);
	memcpy(f + 6, peer_mac, 6);
	p16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	p16(ip + 2, (uint16_t)(20 + l4len));
	p16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	p32(ip + 12, src);
	p32(ip + 16, dst);
	p16(ip + 10, csum(ip, 20));
	return ip;
}

static uint16_t udp_frame(uint8_t *f, uint32_t dst, uint16_t dport, const void *pay,
			  uint16_t len)
{
	uint8_t *ip = ip_frame(f, our_mac, PEER_IP, dst, 17, (uint16_t)(8 + len)), *u = ip + 20;

	if (dst >> 28 == 0xe) {
		f[0] = 0x01, f[1] = 0, f[2] = 0x5e;
		f[3] = (uint8_t)(dst >> 16 & 0x7f), f[4] = (uint8_t)(dst >> 8), f[5] = (uint8_t)dst;
	}
	p16(u, 4444);
	p16(u + 2, dport);
	p16(u + 4, (uint16_t)(8 + len));
	p16(u + 6, 0);
	memcpy(u + 8, pay, len);
	p16(u + 6, udp_csum(ip, u, (uint16_t)(8 + len)));
	return (uint16_t)(42 + len);
}

static uint16_t echo_frame(uint8_t *f, uint32_t src, uint16_t seq, uint16_t datalen)
{
	uint8_t *ip = ip_frame(f, our_mac, src, OUR_IP, 1, (uint16_t)(8 + datalen)), *ic = ip + 20;
	uint16_t i;

	ic[0] = 8;
	ic[1] = 0;
	p16(ic + 2, 0);
	p16(ic + 4, 0x4242);
	p16(ic + 6, seq);
	for (i = 0; i < datalen; i++)
		ic[8 + i] = (uint8_t)(i * 7 + seq);
	p16(ic + 2, csum(ic, (size_t)8 + datalen));
	return (uint16_t)(42 + datalen);
}

static uint16_t arp_frame(uint8_t *f, const uint8_t *dmac, uint16_t op, uint32_t spa,
			  uint32_t tpa)
{
	uint8_t *a = f + 14;

	memcpy(f, dmac, 6);
	memcpy(f + 6, peer_mac, 6);
	p16(f + 12, 0x0806);
	p16(a, 1);
	p16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	p16(a + 6, op);
	memcpy(a + 8, peer_mac, 6);
	p32(a + 14, spa);
	memset(a + 18, 0, 6);
	p32(a + 24, tpa);
	memset(f + 42, 0, 18);
	return 60;
}

/* ---- the wire -------------------------------------------------------------- */
static void peer_send(struct nt *t, const uint8_t *frame, uint16_t len)
{
	struct kite_pkt *p = kite_pkt_alloc(t->f->pool);

	assert_non_null(p);
	memcpy(p->data, frame, len);
	p->len = len;
	assert_int_equal(kite_tx_burst(t->peer, &p, 1), 1);
}

/* let the model and kite-net run a while */
static void pump(struct nt *t)
{
	int i;

	for (i = 0; i < 8; i++) {
		int n;

		kite_emu_step(t->f->emu);
		for (n = 0; n < 70; n++)	/* past kn_poll's idle polls between clock reads */
			kn_poll(t->ifp);
	}
}

/* the next frame kite-net sent, copied into buf; its length, 0 for none */
static uint16_t peer_recv(struct nt *t, uint8_t *buf)
{
	struct kite_pkt *p;
	uint16_t len;
	int i;

	for (i = 0; i < 64; i++) {
		if (kite_rx_burst(t->peer, &p, 1) == 1) {
			len = p->len;
			memcpy(buf, p->data, len);
			kite_pkt_free(p);
			return len;
		}
		kite_emu_step(t->f->emu);
		kn_poll(t->ifp);
	}
	return 0;
}

static void peer_drain(struct nt *t)
{
	uint8_t buf[2048];

	pump(t);
	while (peer_recv(t, buf))
		;
}

static uint64_t ctr(struct nt *t, enum kn_stat i)
{
	uint64_t st[KN_STAT_COUNT];

	kn_if_stats(t->ifp, st, KN_STAT_COUNT);
	return st[i];
}

static uint16_t recv_all(struct nt *t, struct kn_dgram *d, uint16_t n)
{
	uint16_t got = 0;
	int i;

	for (i = 0; i < 32 && got < n; i++) {
		kite_emu_step(t->f->emu);
		kn_poll(t->ifp);
		got = (uint16_t)(got + kn_udp_recv(t->s, d + got, (uint16_t)(n - got)));
	}
	return got;
}

/* the peer answers an ARP request kite-net sent for spa */
static void peer_arp_answer(struct nt *t, uint32_t spa)
{
	uint8_t f[64];

	arp_frame(f, our_mac, 2, spa, OUR_IP);
	memcpy(f + 32, our_mac, 6);
	peer_send(t, f, 60);
	pump(t);
}

/* kite-net asks for spa (PEER_IP or GW_IP) and the peer answers: a reply
 * nobody asked for teaches kite-net nothing */
static void peer_arp_reply(struct nt *t, uint32_t spa)
{
	uint8_t r[2048];

	assert_int_equal(kn_arp_resolve(t->ifp, spa), -EAGAIN);
	pump(t);
	assert_int_equal(peer_recv(t, r), 60);	/* who-has spa */
	assert_int_equal(g32(r + 38), spa);
	peer_arp_answer(t, spa);
	assert_int_equal(kn_arp_resolve(t->ifp, spa), 0);
}

static int setup_with(void **state, const char *stats)
{
	struct kn_if_conf ic = { .port = 0, .queue = 0, .addr = OUR_IP, .prefix_len = 24,
				 .gateway = GW_IP, .clock_ns = test_clock };
	struct kn_udp_conf uc = { .port = UPORT, .queue = SOCK_Q };
	struct nt *t = calloc(1, sizeof(*t));
	uint8_t buf[2048];

	assert_non_null(t);
	fx_setup_pair((void **)&t->f);
	t->now = 1000 * S;
	t->peer = open_q(t->f, PEER_Q, 1, 64, 64);
	assert_int_equal(kite_default_queue_set(t->f->dev, 1, PEER_Q), 0);
	ic.dev = t->f->dev;
	ic.pool = t->f->pool;
	ic.clock_arg = t;
	if (stats) {
		snprintf(t->stats, sizeof(t->stats), "%s/%s", t->f->dir, stats);
		ic.stats_path = t->stats;
	}
	if (kn_if_open(&ic, &t->ifp))
		fail_msg("kn_if_open: %s", kn_last_error());
	kn_if_mac(t->ifp, our_mac);
	if (kn_udp_open(t->ifp, &uc, &t->s))
		fail_msg("kn_udp_open: %s", kn_last_error());
	/* the gratuitous ARP on open: who-has our address, from our MAC */
	assert_int_equal(peer_recv(t, buf), 60);
	assert_memory_equal(buf, bcast, 6);
	assert_memory_equal(buf + 6, our_mac, 6);
	assert_int_equal(g16(buf + 20), 1);
	assert_int_equal(g32(buf + 28), OUR_IP);
	assert_int_equal(g32(buf + 38), OUR_IP);
	*state = t;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

static int teardown(void **state)
{
	struct nt *t = *state;
	struct fx *f = t->f;

	kn_if_close(t->ifp);
	kite_queue_close(t->peer);
	/* every buffer kite-net held went back */
	assert_int_equal(kite_pool_avail(f->pool), 1024);
	fx_teardown((void **)&f);
	free(t);
	return 0;
}

/* ---- ARP ------------------------------------------------------------------- */
static void check_arp_reply(const uint8_t *r, uint16_t len, uint32_t tpa)
{
	assert_int_equal(len, 60);
	assert_memory_equal(r, peer_mac, 6);	/* to the asker, never broadcast */
	assert_memory_equal(r + 6, our_mac, 6);	/* from us, whatever the request's dst */
	assert_int_equal(g16(r + 12), 0x0806);
	assert_int_equal(g16(r + 20), 2);
	assert_memory_equal(r + 22, our_mac, 6);
	assert_int_equal(g32(r + 28), OUR_IP);
	assert_memory_equal(r + 32, peer_mac, 6);
	assert_int_equal(g32(r + 38), tpa);
}

static void test_arp_answers(void **state)
{
	struct nt *t = *state;
	uint8_t f[64], r[2048];

	arp_frame(f, bcast, 1, PEER_IP, OUR_IP);
	peer_send(t, f, 60);
	pump(t);
	check_arp_reply(r, peer_recv(t, r), PEER_IP);
	arp_frame(f, our_mac, 1, PEER_IP, OUR_IP);	/* unicast request */
	peer_send(t, f, 60);
	pump(t);
	check_arp_reply(r, peer_recv(t, r), PEER_IP);
	arp_frame(f, bcast, 1, 0, OUR_IP);	/* an address probe (RFC 5227) */
	peer_send(t, f, 60);
	pump(t);
	check_arp_reply(r, peer_recv(t, r), 0);
	assert_int_equal(ctr(t, KN_ARP_REQ_RX), 3);
	assert_int_equal(ctr(t, KN_ARP_REPLY_TX), 3);
	/* the asker was learned: a send to it needs no resolution */
	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "x", 1), 0);
}

static void test_arp_refuses_bad(void **state)
{
	struct nt *t = *state;
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	uint8_t f[64], r[2048];
	uint64_t arp0 = ctr(t, KN_DROP_ARP), no0 = ctr(t, KN_DROP_NOT_OURS);

	arp_frame(f, bcast, 1, PEER_IP, KN_IP(10, 1, 0, 3));	/* for another host */
	peer_send(t, f, 60);
	arp_frame(f, other, 1, PEER_IP, OUR_IP);	/* another MAC's unicast */
	peer_send(t, f, 60);
	arp_frame(f, bcast, 1, PEER_IP, OUR_IP);
	f[18] = 5;	/* hlen 5 */
	peer_send(t, f, 60);
	arp_frame(f, bcast, 3, PEER_IP, OUR_IP);	/* op 3 */
	peer_send(t, f, 60);
	arp_frame(f, bcast, 1, PEER_IP, OUR_IP);
	memset(f + 22, 0xff, 6);	/* a broadcast sender MAC */
	peer_send(t, f, 60);
	arp_frame(f, bcast, 1, PEER_IP, OUR_IP);
	peer_send(t, f, 41);	/* truncated */
	arp_frame(f, bcast, 2, OUR_IP, OUR_IP);	/* someone claims our address */
	peer_send(t, f, 60);
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);
	assert_int_equal(ctr(t, KN_DROP_NOT_OURS) - no0, 2);
	assert_int_equal(ctr(t, KN_DROP_ARP) - arp0, 4);
	assert_int_equal(ctr(t, KN_ARP_CONFLICT), 1);
	assert_int_equal(ctr(t, KN_ARP_REPLY_TX), 0);
}

static void test_arp_resolution(void **state)
{
	struct nt *t = *state;
	uint8_t r[2048];
	int i;

	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "hello", 5), -EAGAIN);
	assert_non_null(strstr(kn_last_error(), "resolving 10.1.0.9"));
	pump(t);
	assert_int_equal(peer_recv(t, r), 60);	/* who-has PEER_IP, broadcast */
	assert_memory_equal(r, bcast, 6);
	assert_int_equal(g16(r + 20), 1);
	assert_int_equal(g32(r + 38), PEER_IP);
	/* unanswered: two more a second apart, then it fails */
	for (i = 0; i < 2; i++) {
		t->now += S;
		pump(t);
		assert_int_equal(peer_recv(t, r), 60);
		assert_int_equal(g32(r + 38), PEER_IP);
		assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "hello", 5), -EAGAIN);
	}
	t->now += S;
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);
	assert_int_equal(ctr(t, KN_ARP_FAILED), 1);
	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "hello", 5), -EHOSTUNREACH);
	assert_non_null(strstr(kn_last_error(), "did not answer"));
	/* forgotten after a while: a new resolution, answered this time */
	t->now += 6 * S;
	pump(t);
	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "hello", 5), -EAGAIN);
	pump(t);
	assert_int_equal(peer_recv(t, r), 60);
	peer_arp_answer(t, PEER_IP);
	assert_int_equal(ctr(t, KN_ARP_REPLY_RX), 1);
	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "hello", 5), 0);
	pump(t);
	assert_int_equal(peer_recv(t, r), 60);
	assert_memory_equal(r, peer_mac, 6);
	assert_memory_equal(r + 42, "hello", 5);
	/* 30 s later the entry is stale: still used, and probed (unicast) */
	t->now += 31 * S;
	pump(t);
	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "again", 5), 0);
	pump(t);
	assert_int_equal(peer_recv(t, r), 60);	/* the probe */
	assert_memory_equal(r, peer_mac, 6);
	assert_int_equal(g16(r + 12), 0x0806);
	assert_int_equal(peer_recv(t, r), 60);
	assert_memory_equal(r + 42, "again", 5);
	/* off the subnet: the gateway is resolved, not the destination */
	assert_int_equal(kn_udp_sendto(t->s, KN_IP(8, 8, 8, 8), 53, "q", 1), -EAGAIN);
	pump(t);
	assert_int_equal(peer_recv(t, r), 60);
	assert_int_equal(g32(r + 38), GW_IP);
}

/* ---- UDP --------------------------------------------------------------------- */
static void check_udp_out(const uint8_t *r, uint16_t rlen, const uint8_t *dmac, uint32_t dst,
			  uint16_t dport, const uint8_t *pay, uint16_t len, uint8_t ttl)
{
	const uint8_t *ip = r + 14, *u = ip + 20;

	assert_true(rlen >= 60 && rlen >= 42 + len);
	assert_memory_equal(r, dmac, 6);
	assert_memory_equal(r + 6, our_mac, 6);
	assert_int_equal(g16(r + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(g16(ip + 2), 28 + len);
	assert_int_equal(g16(ip + 6), 0x4000);	/* DF, no fragment */
	assert_int_equal(ip[8], ttl);
	assert_int_equal(ip[9], 17);
	assert_int_equal(csum(ip, 20), 0);
	assert_int_equal(g32(ip + 12), OUR_IP);
	assert_int_equal(g32(ip + 16), dst);
	assert_int_equal(g16(u), UPORT);
	assert_int_equal(g16(u + 2), dport);
	assert_int_equal(g16(u + 4), 8 + len);
	assert_int_not_equal(g16(u + 6), 0);
	{
		uint8_t copy[2048];

		memcpy(copy, u, (size_t)8 + len);
		p16(copy + 6, 0);
		assert_int_equal(g16(u + 6), udp_csum(ip, copy, (uint16_t)(8 + len)));
	}
	assert_memory_equal(u + 8, pay, len);
}

static void test_udp_roundtrip(void **state)
{
	static const uint16_t sizes[] = { 0, 1, 17, 18, 205, 206, 207, 1000, 1472 };
	struct nt *t = *state;
	uint8_t f[2048], r[2048], pay[1472];
	struct kn_dgram d[4];
	unsigned int i, k;

	peer_arp_reply(t, PEER_IP);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (k = 0; k < sizes[i]; k++)
			pay[k] = (uint8_t)(k * 13 + i);
		peer_send(t, f, udp_frame(f, OUR_IP, UPORT, pay, sizes[i]));
		assert_int_equal(recv_all(t, d, 1), 1);
		assert_int_equal(d[0].len, sizes[i]);
		assert_memory_equal(d[0].data, pay, sizes[i]);
		assert_int_equal(d[0].src_addr, PEER_IP);
		assert_int_equal(d[0].src_port, 4444);
		assert_int_equal(d[0].dst_addr, OUR_IP);
		assert_true(d[0].ts != 0);
		for (k = 0; k < sizes[i]; k++)	/* answer with something else, in place */
			d[0].data[k] ^= 0x5a;
		assert_int_equal(kn_udp_reply(t->s, &d[0], d[0].len), 0);
		assert_null(d[0].pkt);
		for (k = 0; k < sizes[i]; k++)
			pay[k] ^= 0x5a;
		pump(t);
		check_udp_out(r, peer_recv(t, r), peer_mac, PEER_IP, 4444, pay, sizes[i], 64);
		/* and sendto, a copy */
		assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 7, pay, sizes[i]), 0);
		pump(t);
		check_udp_out(r, peer_recv(t, r), peer_mac, PEER_IP, 7, pay, sizes[i], 64);
	}
	/* no checksum (0) is allowed in IPv4 */
	udp_frame(f, OUR_IP, UPORT, "abc", 3);
	p16(f + 40, 0);
	peer_send(t, f, 60);
	assert_int_equal(recv_all(t, d, 1), 1);
	assert_memory_equal(d[0].data, "abc", 3);
	kn_udp_release(t->s, d, 1);
	assert_int_equal(ctr(t, KN_RX_DGRAMS), 10);
	assert_int_equal(ctr(t, KN_TX_DGRAMS), 18);
	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 7, pay, 1473), -EMSGSIZE);
	assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 0, pay, 1), -EINVAL);
}

/*
 * A burst larger than the 8 PIO slots leaves in order: the card keeps no
 * order between PIO and descriptors, so a queue switches path only when the
 * other is empty, and says -EAGAIN meanwhile. A reply refused that way is
 * still the caller's, and its retry goes to the same hop.
 */
static void test_reply_retry(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048];
	struct kn_dgram d[4];
	unsigned int i, again;
	int err;

	peer_arp_reply(t, PEER_IP);
	/* 8 sends fill the PIO slots; a reply then has to wait */
	peer_send(t, f, udp_frame(f, OUR_IP, UPORT, "again", 5));
	assert_int_equal(recv_all(t, d, 1), 1);
	for (i = 0; i < 8; i++)
		assert_int_equal(kn_udp_sendto(t->s, PEER_IP, 9, "fill", 4), 0);
	for (again = 0; (err = kn_udp_reply(t->s, &d[0], 5)) == -EAGAIN; again++) {
		assert_non_null(d[0].pkt);
		kite_emu_step(t->f->emu);
	}
	assert_int_equal(err, 0);
	assert_true(again > 0);
	pump(t);
	for (i = 0; i < 8; i++)
		assert_int_equal(peer_recv(t, r), 60);
	check_udp_out(r, peer_recv(t, r), peer_mac, PEER_IP, 4444, (const uint8_t *)"again", 5,
		      64);
}

static void test_tx_order(void **state)
{
	struct nt *t = *state;
	uint8_t r[2048], pay[300];
	unsigned int i, again = 0;
	uint16_t len;
	int err;

	peer_arp_reply(t, PEER_IP);
	for (i = 0; i < 40; i++) {
		uint16_t n = i % 3 == 2 ? 300 : 20;	/* PIO and descriptor sizes mixed */

		memset(pay, (int)i, n);
		while ((err = kn_udp_sendto(t->s, PEER_IP, 9, pay, n)) == -EAGAIN) {
			assert_true(++again < 1000);
			kite_emu_step(t->f->emu);
		}
		assert_int_equal(err, 0);
	}
	assert_true(again > 0);	/* the burst did overflow the slots */
	pump(t);
	for (i = 0; i < 40; i++) {
		len = peer_recv(t, r);
		assert_int_equal(len, i % 3 == 2 ? 342 : 62);
		assert_int_equal(r[42], (uint8_t)i);
	}
}

/* A priority-tagged datagram is taken (as Linux does), through the
 * interface queue (the card's filters match untagged frames only), and
 * answered untagged. */
static void test_udp_priority_tag(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048];
	struct kn_dgram d[1];
	uint16_t len = udp_frame(f + 4, OUR_IP, UPORT, "tagged", 6);

	memmove(f, f + 4, 12);
	p16(f + 12, 0x8100);
	p16(f + 14, 0x6000);	/* priority 3, VLAN 0 */
	peer_arp_reply(t, PEER_IP);
	peer_send(t, f, (uint16_t)(len + 4));
	assert_int_equal(recv_all(t, d, 1), 1);
	assert_int_equal(d[0].len, 6);
	assert_memory_equal(d[0].data, "tagged", 6);
	assert_int_equal(kn_udp_reply(t->s, &d[0], 6), 0);
	pump(t);
	check_udp_out(r, peer_recv(t, r), peer_mac, PEER_IP, 4444, (const uint8_t *)"tagged", 6,
		      64);
}

/* A socket without a queue of its own gets its datagrams through the interface. */
static void test_udp_shared_queue(void **state)
{
	struct nt *t = *state;
	struct kn_udp_conf uc = { .port = 6000, .queue = -1 };
	struct kn_udp *s2;
	struct kn_dgram d[4];
	uint8_t f[2048];
	int i, got = 0;

	assert_int_equal(kn_udp_open(t->ifp, &uc, &s2), 0);
	assert_null(kn_udp_queue(s2));
	peer_send(t, f, udp_frame(f, OUR_IP, 6000, "shared", 6));
	for (i = 0; i < 32 && !got; i++) {
		kite_emu_step(t->f->emu);
		kn_poll(t->ifp);
		got = kn_udp_recv(s2, d, 4);
	}
	assert_int_equal(got, 1);
	assert_memory_equal(d[0].data, "shared", 6);
	kn_udp_release(s2, d, 1);
	/* closing with datagrams still held in its backlog frees them */
	peer_send(t, f, udp_frame(f, OUR_IP, 6000, "left", 4));
	pump(t);
	kn_udp_close(s2);
}

struct bad {
	const char *what;
	enum kn_stat counter;
	void (*mutate)(uint8_t *f, uint16_t *len);
};

static void fix_ip(uint8_t *f)
{
	p16(f + 24, 0);
	p16(f + 24, csum(f + 14, (size_t)(f[14] & 0xf) * 4));
}

static void m_runt(uint8_t *f, uint16_t *len) { (void)f; *len = 30; }
static void m_ihl4(uint8_t *f, uint16_t *len) { (void)len; f[14] = 0x44; fix_ip(f); }
static void m_ver6(uint8_t *f, uint16_t *len) { (void)len; f[14] = 0x65; fix_ip(f); }
static void m_totlong(uint8_t *f, uint16_t *len) { (void)len; p16(f + 16, 1000); fix_ip(f); }
static void m_totshort(uint8_t *f, uint16_t *len) { (void)len; p16(f + 16, 19); fix_ip(f); }
static void m_ipcsum(uint8_t *f, uint16_t *len) { (void)len; f[24] ^= 1; }
static void m_udpcsum(uint8_t *f, uint16_t *len) { (void)len; f[40] ^= 1; }
static void m_udplen0(uint8_t *f, uint16_t *len) { (void)len; p16(f + 38, 0); }
static void m_udplen7(uint8_t *f, uint16_t *len) { (void)len; p16(f + 38, 7); }
static void m_udplong(uint8_t *f, uint16_t *len) { (void)len; p16(f + 38, 200); }
static void m_mf(uint8_t *f, uint16_t *len) { (void)len; p16(f + 20, 0x2000); fix_ip(f); }
static void m_fragoff(uint8_t *f, uint16_t *len) { (void)len; p16(f + 20, 185); fix_ip(f); }
static void m_dstip(uint8_t *f, uint16_t *len) { (void)len; f[33] = 3; fix_ip(f); }
static void m_dstmac(uint8_t *f, uint16_t *len) { (void)len; f[5] ^= 0x10; }
static void m_bcastmac(uint8_t *f, uint16_t *len) { (void)len; memset(f, 0xff, 6); }
static void m_srcbcast(uint8_t *f, uint16_t *len) { (void)len; p32(f + 26, 0xffffffff); fix_ip(f); }
static void m_srcmcast(uint8_t *f, uint16_t *len) { (void)len; p32(f + 26, GROUP); fix_ip(f); }
static void m_srczero(uint8_t *f, uint16_t *len) { (void)len; p32(f + 26, 0); fix_ip(f); }
static void m_srcmacmc(uint8_t *f, uint16_t *len) { (void)len; f[6] |= 1; }
static void m_tcp(uint8_t *f, uint16_t *len) { (void)len; f[23] = 6; fix_ip(f); }
static void m_ipv6(uint8_t *f, uint16_t *len) { (void)len; p16(f + 12, 0x86dd); }
static void m_closed(uint8_t *f, uint16_t *len)
{
	(void)len;
	p16(f + 36, 5001);
	p16(f + 40, 0);
}

static void m_vlan(uint8_t *f, uint16_t *len)
{
	memmove(f + 16, f + 12, *len - 12);
	p16(f + 12, 0x8100);
	p16(f + 14, 5);	/* VLAN 5 */
	*len = (uint16_t)(*len + 4);
}

static void m_options(uint8_t *f, uint16_t *len)
{
	memmove(f + 38, f + 34, *len - 34);	/* a 4-byte NOP option */
	memset(f + 34, 1, 4);
	f[14] = 0x46;
	p16(f + 16, (uint16_t)(g16(f + 16) + 4));
	fix_ip(f);
	*len = (uint16_t)(*len + 4);
}

static const struct bad bad_frames[] = {
	{ "runt", KN_DROP_RUNT, m_runt },
	{ "ihl 4", KN_DROP_IP_HDR, m_ihl4 },
	{ "version 6 in an IPv4 frame", KN_DROP_IP_HDR, m_ver6 },
	{ "total length beyond the frame", KN_DROP_IP_LEN, m_totlong },
	{ "total length below the header", KN_DROP_IP_LEN, m_totshort },
	{ "IP checksum", KN_DROP_IP_CSUM, m_ipcsum },
	{ "UDP checksum", KN_DROP_UDP_CSUM, m_udpcsum },
	{ "UDP length 0", KN_DROP_UDP_LEN, m_udplen0 },
	{ "UDP length 7", KN_DROP_UDP_LEN, m_udplen7 },
	{ "UDP length beyond the IP payload", KN_DROP_UDP_LEN, m_udplong },
	{ "first fragment (MF)", KN_DROP_FRAGMENT, m_mf },
	{ "non-first fragment", KN_DROP_FRAGMENT, m_fragoff },
	{ "another IP", KN_DROP_NOT_OURS, m_dstip },
	{ "another MAC", KN_DROP_NOT_OURS, m_dstmac },
	{ "our IP in a link broadcast", KN_DROP_NOT_OURS, m_bcastmac },
	{ "from 255.255.255.255", KN_DROP_IP_SRC, m_srcbcast },
	{ "from a group", KN_DROP_IP_SRC, m_srcmcast },
	{ "from 0.0.0.0", KN_DROP_IP_SRC, m_srczero },
	{ "from a multicast MAC", KN_DROP_IP_SRC, m_srcmacmc },
	{ "TCP", KN_DROP_PROTO, m_tcp },
	{ "IPv6 ethertype", KN_DROP_PROTO, m_ipv6 },
	{ "closed port", KN_DROP_NO_PORT, m_closed },
	{ "VLAN 5", KN_DROP_VLAN, m_vlan },
	{ "IP options", KN_DROP_IP_OPTIONS, m_options },
};

/* Every malformed frame is dropped under its own counter: nothing delivered,
 * nothing answered (but the closed port's unreachable). */
static void test_udp_drops(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048];
	struct kn_dgram d[4];
	unsigned int i;

	peer_arp_reply(t, PEER_IP);
	for (i = 0; i < sizeof(bad_frames) / sizeof(bad_frames[0]); i++) {
		const struct bad *b = &bad_frames[i];
		uint64_t before[KN_STAT_COUNT], after[KN_STAT_COUNT];
		uint16_t len = udp_frame(f, OUR_IP, UPORT, "0123456789abcdefghij", 20);
		unsigned int k;

		print_message("  %s\n", b->what);
		b->mutate(f, &len);
		kn_if_stats(t->ifp, before, KN_STAT_COUNT);
		peer_send(t, f, len);
		assert_int_equal(recv_all(t, d, 4), 0);
		pump(t);
		kn_if_stats(t->ifp, after, KN_STAT_COUNT);
		for (k = KN_DROP_NOT_OURS; k < KN_STAT_COUNT; k++)
			if (after[k] - before[k] != (k == b->counter))
				fail_msg("%s: %s went %llu -> %llu", b->what, kn_stat_name(k),
					 (unsigned long long)before[k],
					 (unsigned long long)after[k]);
		len = peer_recv(t, r);
		if (b->counter == KN_DROP_NO_PORT) {	/* port unreachable, quoting it */
			assert_int_equal(r[23], 1);
			assert_int_equal(r[34], 3);
			assert_int_equal(r[35], 3);
			assert_int_equal(csum(r + 34, len - 34u), 0);
			assert_memory_equal(r + 42, f + 14, 28);
			len = peer_recv(t, r);
		}
		assert_int_equal(len, 0);
	}
	/* none of that spoilt the next good datagram */
	peer_send(t, f, udp_frame(f, OUR_IP, UPORT, "fine", 4));
	assert_int_equal(recv_all(t, d, 4), 1);
	kn_udp_release(t->s, d, 1);
}

static void test_port_unreachable_limited(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048];
	int i, n = 0;

	udp_frame(f, OUR_IP, 5001, "x", 1);
	for (i = 0; i < 50; i++)
		peer_send(t, f, 60);
	pump(t);
	while (peer_recv(t, r))
		n++;
	assert_int_equal(n, 10);	/* a burst of 10 */
	assert_int_equal(ctr(t, KN_ICMP_UNREACH_LIMITED), 40);
	assert_int_equal(ctr(t, KN_DROP_NO_PORT), 50);
	t->now += S / 10;	/* 100 a second */
	for (i = 0; i < 20; i++)
		peer_send(t, f, 60);
	pump(t);
	for (n = 0; peer_recv(t, r);)
		n++;
	assert_int_equal(n, 10);
	/* to a broadcast: never */
	t->now += S;
	udp_frame(f, KN_IP(10, 1, 0, 255), 5001, "x", 1);
	memset(f, 0xff, 6);
	peer_send(t, f, 60);
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);
}

/* ---- ICMP ------------------------------------------------------------------ */
static void test_icmp_echo(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048], t2[2048];
	uint16_t len, rl;

	len = echo_frame(f, PEER_IP, 1, 56);
	peer_send(t, f, len);
	pump(t);
	rl = peer_recv(t, r);
	assert_int_equal(rl, len);
	assert_memory_equal(r, peer_mac, 6);
	assert_memory_equal(r + 6, our_mac, 6);
	assert_int_equal(csum(r + 14, 20), 0);
	assert_int_equal(g32(r + 26), OUR_IP);
	assert_int_equal(g32(r + 30), PEER_IP);
	assert_int_equal(r[34], 0);
	assert_int_equal(csum(r + 34, (size_t)8 + 56), 0);
	assert_memory_equal(r + 38, f + 38, 4 + 56);	/* id, seq and data */
	/* 1400 bytes of data: the reply goes through a buffer, not PIO */
	len = echo_frame(f, PEER_IP, 2, 1400);
	peer_send(t, f, len);
	pump(t);
	assert_int_equal(peer_recv(t, r), len);
	assert_memory_equal(r + 38, f + 38, 4 + 1400);
	/* priority-tagged: answered (untagged) */
	len = echo_frame(t2 + 4, PEER_IP, 3, 8);
	memmove(t2, t2 + 4, 12);
	p16(t2 + 12, 0x8100);
	p16(t2 + 14, 0x2000);
	peer_send(t, t2, (uint16_t)(len + 4));
	pump(t);
	assert_int_equal(peer_recv(t, r), 60);
	assert_int_equal(g16(r + 12), 0x0800);
	assert_int_equal(g16(r + 40), 3);
	assert_int_equal(ctr(t, KN_ICMP_ECHO_RX), 3);
	/* not answered: from 255.255.255.255, to a broadcast, bad checksum, a reply */
	len = echo_frame(f, 0xffffffffu, 4, 8);
	peer_send(t, f, len);
	len = echo_frame(f, PEER_IP, 5, 8);
	p32(f + 30, KN_IP(10, 1, 0, 255));
	memset(f, 0xff, 6);
	fix_ip(f);
	peer_send(t, f, len);
	len = echo_frame(f, PEER_IP, 6, 8);
	f[36] ^= 1;
	peer_send(t, f, len);
	len = echo_frame(f, PEER_IP, 7, 8);
	f[34] = 0;
	p16(f + 36, 0);
	p16(f + 36, csum(f + 34, 16));
	peer_send(t, f, len);
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);
	assert_int_equal(ctr(t, KN_DROP_IP_SRC), 1);
	assert_int_equal(ctr(t, KN_DROP_NOT_OURS), 1);
	assert_int_equal(ctr(t, KN_DROP_ICMP), 2);
	assert_int_equal(ctr(t, KN_ICMP_ECHO_RX), 3);
}

/* ---- multicast ------------------------------------------------------------- */
/* the next IGMP frame kite-net sent: checks its IP header; returns its IGMP message */
static const uint8_t *igmp_out(struct nt *t, uint8_t *r, uint32_t dst)
{
	uint16_t len = peer_recv(t, r);
	const uint8_t *ip = r + 14;

	assert_true(len >= 60);
	assert_int_equal(g16(r + 12), 0x0800);
	assert_memory_equal(r + 6, our_mac, 6);
	assert_int_equal(r[0], 0x01);	/* the destination group's MAC */
	assert_int_equal(g32(r + 2), 0x5e000000 | (dst & 0x7fffff));
	assert_int_equal(ip[0], 0x46);	/* Router Alert */
	assert_int_equal(g32(ip + 20), 0x94040000);
	assert_int_equal(ip[8], 1);
	assert_int_equal(ip[9], 2);
	assert_int_equal(csum(ip, 24), 0);
	assert_int_equal(g32(ip + 16), dst);
	assert_int_equal(csum(ip + 24, g16(ip + 2) - 24u), 0);
	return ip + 24;
}

static void check_v3_record(const uint8_t *m, uint8_t type, uint32_t group)
{
	assert_int_equal(m[0], 0x22);
	assert_int_equal(g16(m + 6), 1);
	assert_int_equal(m[8], type);
	assert_int_equal(g16(m + 10), 0);
	assert_int_equal(g32(m + 12), group);
}

static uint16_t igmp_query(uint8_t *f, uint32_t group, uint8_t max_resp, bool v3)
{
	static const uint8_t all_hosts[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	uint16_t mlen = v3 ? 12 : 8;
	uint8_t *ip = ip_frame(f, all_hosts, 0, KN_IP(224, 0, 0, 1), 2, mlen), *m = ip + 20;

	ip[8] = 1;
	p16(ip + 10, 0);
	p16(ip + 10, csum(ip, 20));
	memset(m, 0, mlen);
	m[0] = 0x11;
	m[1] = max_resp;
	p32(m + 4, group);
	p16(m + 2, csum(m, mlen));
	return (uint16_t)(34 + mlen);
}

static void test_multicast(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048];
	struct kn_dgram d[4];
	uint64_t no0;

	assert_int_equal(kn_udp_join(t->s, GROUP), 0);
	pump(t);
	check_v3_record(igmp_out(t, r, KN_IP(224, 0, 0, 22)), 4, GROUP);	/* TO_EX {} */
	assert_int_equal(peer_recv(t, r), 0);
	t->now += S;	/* robustness: once more a second later */
	pump(t);
	check_v3_record(igmp_out(t, r, KN_IP(224, 0, 0, 22)), 4, GROUP);
	t->now += 5 * S;
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);	/* and no more */
	/* datagrams to the group arrive; to another group they do not */
	peer_send(t, f, udp_frame(f, GROUP, UPORT, "tick", 4));
	assert_int_equal(recv_all(t, d, 4), 1);
	assert_int_equal(d[0].dst_addr, GROUP);
	assert_memory_equal(d[0].data, "tick", 4);
	kn_udp_release(t->s, d, 1);
	no0 = ctr(t, KN_DROP_NOT_OURS);
	peer_send(t, f, udp_frame(f, KN_IP(239, 9, 9, 9), UPORT, "tock", 4));
	assert_int_equal(recv_all(t, d, 4), 0);
	assert_int_equal(ctr(t, KN_DROP_NOT_OURS) - no0, 1);
	/* a v3 general query (max response 1 s): one report within it */
	peer_send(t, f, igmp_query(f, 0, 10, true));
	pump(t);
	assert_int_equal(ctr(t, KN_IGMP_QUERY_RX), 1);
	t->now += S;
	pump(t);
	check_v3_record(igmp_out(t, r, KN_IP(224, 0, 0, 22)), 2, GROUP);	/* IS_EX {} */
	assert_int_equal(peer_recv(t, r), 0);
	/* a v2 querier: v2 reports to the group from now on */
	peer_send(t, f, igmp_query(f, 0, 10, false));
	pump(t);
	t->now += S;
	pump(t);
	{
		const uint8_t *m = igmp_out(t, r, GROUP);

		assert_int_equal(m[0], 0x16);
		assert_int_equal(g32(m + 4), GROUP);
	}
	/* a query with a bad checksum is dropped and counted */
	igmp_query(f, 0, 10, true);
	f[35] ^= 1;
	peer_send(t, f, 46);
	pump(t);
	assert_int_equal(ctr(t, KN_DROP_IGMP), 1);
	/* leaving (v2 mode): a leave to all-routers, twice */
	assert_int_equal(kn_udp_leave(t->s, GROUP), 0);
	pump(t);
	assert_int_equal(igmp_out(t, r, KN_IP(224, 0, 0, 2))[0], 0x17);
	t->now += S;
	pump(t);
	assert_int_equal(igmp_out(t, r, KN_IP(224, 0, 0, 2))[0], 0x17);
	peer_send(t, f, udp_frame(f, GROUP, UPORT, "late", 4));
	assert_int_equal(recv_all(t, d, 4), 0);
	/* v3 again once the v2 querier is gone (260 s): a leave is TO_IN {} */
	assert_int_equal(kn_udp_join(t->s, GROUP), 0);
	t->now += 300 * S;
	pump(t);
	peer_drain(t);
	assert_int_equal(kn_udp_leave(t->s, GROUP), 0);
	pump(t);
	check_v3_record(igmp_out(t, r, KN_IP(224, 0, 0, 22)), 3, GROUP);
}

/* Two sockets in one group: the interface reports it once, and leaves only
 * when the last socket does; closing a socket leaves its groups. */
static void test_multicast_shared(void **state)
{
	struct nt *t = *state;
	struct kn_udp_conf uc = { .port = 6001, .queue = 2 };
	struct kn_udp *s2;
	uint8_t r[2048];

	assert_int_equal(kn_udp_open(t->ifp, &uc, &s2), 0);
	assert_int_equal(kn_udp_join(t->s, GROUP), 0);
	assert_int_equal(kn_udp_join(s2, GROUP), 0);
	assert_int_equal(kn_udp_join(s2, GROUP), -EALREADY);
	assert_int_equal(kn_udp_join(s2, KN_IP(10, 0, 0, 1)), -EINVAL);
	assert_int_equal(kn_udp_leave(s2, KN_IP(239, 0, 0, 7)), -ENOENT);
	t->now += 2 * S;
	pump(t);
	peer_drain(t);
	assert_int_equal(ctr(t, KN_IGMP_REPORT_TX), 2);
	assert_int_equal(kn_udp_leave(t->s, GROUP), 0);
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);	/* s2 is still in it */
	kn_udp_close(s2);
	pump(t);
	check_v3_record(igmp_out(t, r, KN_IP(224, 0, 0, 22)), 3, GROUP);
}

/* ---- API rules --------------------------------------------------------------- */
static void test_api_errors(void **state)
{
	struct nt *t = *state;
	struct kn_if_conf ic = { .dev = t->f->dev, .pool = t->f->pool, .port = 1, .queue = 3,
				 .addr = KN_IP(10, 2, 0, 1), .prefix_len = 24 };
	struct kn_udp_conf uc = { .port = UPORT, .queue = 4 };
	struct kn_udp *s2;
	struct kn_if *if2;

	assert_int_equal(kn_if_open(NULL, &if2), -EINVAL);
	ic.addr = 0;
	assert_int_equal(kn_if_open(&ic, &if2), -EINVAL);
	assert_non_null(strstr(kn_last_error(), "not a unicast address"));
	ic.addr = KN_IP(10, 2, 0, 255);
	assert_int_equal(kn_if_open(&ic, &if2), -EINVAL);
	assert_non_null(strstr(kn_last_error(), "broadcast"));
	ic.addr = KN_IP(10, 2, 0, 1);
	ic.prefix_len = 31;
	assert_int_equal(kn_if_open(&ic, &if2), -EINVAL);
	assert_non_null(strstr(kn_last_error(), "prefix_len"));
	ic.prefix_len = 24;
	ic.gateway = KN_IP(10, 3, 0, 1);
	assert_int_equal(kn_if_open(&ic, &if2), -EINVAL);
	assert_non_null(strstr(kn_last_error(), "gateway"));
	ic.gateway = KN_IP(10, 2, 0, 255);	/* the subnet's broadcast */
	assert_int_equal(kn_if_open(&ic, &if2), -EINVAL);
	ic.gateway = 0;
	ic.queue = SOCK_Q;	/* taken by the socket */
	assert_true(kn_if_open(&ic, &if2) < 0);
	assert_non_null(strstr(kn_last_error(), "kn_if_open"));
	ic.queue = 3;
	ic.mtu = 100;
	assert_int_equal(kn_if_open(&ic, &if2), -EINVAL);
	assert_non_null(strstr(kn_last_error(), "mtu"));
	/* a second socket on a port */
	assert_int_equal(kn_udp_open(t->ifp, &uc, &s2), -EADDRINUSE);
	uc.port = 0;
	assert_int_equal(kn_udp_open(t->ifp, &uc, &s2), -EINVAL);
	/* a port another owner steers: the filter is refused, the queue given back */
	uc.port = 7777;
	{
		struct kite_filter flt = { .type = KITE_FILTER_UDP_DST, .port = 0,
					   .queue = PEER_Q, .key = 7777 };
		int idx = kite_filter_add(t->f->dev, &flt);

		assert_true(idx >= 0);
		assert_int_equal(kn_udp_open(t->ifp, &uc, &s2), -EEXIST);
		assert_non_null(strstr(kn_last_error(), "7777"));
		kite_filter_del(t->f->dev, (unsigned int)idx);
		assert_int_equal(kn_udp_open(t->ifp, &uc, &s2), 0);	/* queue 4 was released */
		kn_udp_close(s2);
	}
	/* where a datagram cannot go */
	assert_int_equal(kn_udp_sendto(t->s, KN_IP(127, 0, 0, 1), 9, "x", 1), -EINVAL);
	assert_int_equal(kn_udp_sendto(t->s, OUR_IP, 9, "x", 1), -EINVAL);
	assert_int_equal(kn_arp_resolve(t->ifp, 0), -EINVAL);
}

static void test_no_gateway(void **state)
{
	struct nt *t = *state;
	struct kn_if_conf ic = { .dev = t->f->dev, .pool = t->f->pool, .port = 1, .queue = 3,
				 .addr = KN_IP(10, 2, 0, 1), .prefix_len = 24 };
	struct kn_udp_conf uc = { .port = 1, .queue = -1 };
	struct kn_if *if2;
	struct kn_udp *s2;

	kite_queue_close(t->peer);	/* port 1 is the second interface's now */
	t->peer = NULL;
	assert_int_equal(kn_if_open(&ic, &if2), 0);
	assert_int_equal(kn_udp_open(if2, &uc, &s2), 0);
	assert_int_equal(kn_udp_sendto(s2, KN_IP(8, 8, 8, 8), 9, "x", 1), -ENETUNREACH);
	assert_non_null(strstr(kn_last_error(), "no gateway"));
	/* broadcast and multicast need no ARP */
	assert_int_equal(kn_udp_sendto(s2, 0xffffffffu, 9, "x", 1), 0);
	assert_int_equal(kn_udp_sendto(s2, KN_IP(10, 2, 0, 255), 9, "x", 1), 0);
	assert_int_equal(kn_udp_sendto(s2, GROUP, 9, "x", 1), 0);
	kn_if_close(if2);	/* closes s2 too */
	t->peer = open_q(t->f, PEER_Q, 1, 64, 64);
	assert_int_equal(kite_default_queue_set(t->f->dev, 1, PEER_Q), 0);
}

static int setup_stats(void **state)
{
	return setup_with(state, "net.stats");
}

static void test_stats_file(void **state)
{
	struct nt *t = *state;
	uint8_t f[64], buf[8192];
	unsigned int i, voff, count, nlen;
	uint64_t v;
	FILE *fp;
	size_t n;

	arp_frame(f, bcast, 1, PEER_IP, OUR_IP);
	peer_send(t, f, 60);
	pump(t);
	fp = fopen(t->stats, "rb");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_memory_equal(buf, "KITENET1", 8);
	memcpy(&count, buf + 8, 4);
	memcpy(&nlen, buf + 12, 4);
	assert_int_equal(count, KN_STAT_COUNT);
	memcpy(&voff, buf + 40, 4);
	assert_true(voff + count * 8 <= n);
	for (i = 0; i < count; i++) {
		assert_string_equal((char *)buf + 48 + i * nlen, kn_stat_name(i));
		memcpy(&v, buf + voff + i * 8, 8);
		assert_int_equal(v, ctr(t, (enum kn_stat)i));
	}
	memcpy(&v, buf + voff + KN_ARP_REQ_RX * 8, 8);
	assert_int_equal(v, 1);
	kn_if_close(t->ifp);
	t->ifp = NULL;
	assert_int_equal(access(t->stats, F_OK), -1);	/* removed with the interface */
	{
		struct kn_if_conf ic = { .dev = t->f->dev, .pool = t->f->pool, .queue = 0,
					 .addr = OUR_IP, .prefix_len = 24,
					 .stats_path = "/nonexistent/dir/x.stats" };

		assert_int_equal(kn_if_open(&ic, &t->ifp), -ENOENT);
		assert_non_null(strstr(kn_last_error(), "/nonexistent/dir/x.stats"));
		ic.stats_path = t->stats;
		assert_int_equal(kn_if_open(&ic, &t->ifp), 0);	/* the queue was given back */
	}
}

/* ---- what a review found --------------------------------------------------- */
/* 0.0.0.0 is no destination, even before any ARP happened (an empty cache
 * once matched it); a datagram from port 0 cannot be answered */
static void test_send_edges(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048];
	struct kn_dgram d[1];

	assert_int_equal(kn_udp_sendto(t->s, 0, 7, "zero", 4), -EINVAL);
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);
	udp_frame(f, OUR_IP, UPORT, "from 0", 6);
	p16(f + 34, 0);
	p16(f + 40, 0);	/* no checksum: still valid */
	peer_send(t, f, 60);
	assert_int_equal(recv_all(t, d, 1), 1);
	assert_int_equal(kn_udp_reply(t->s, &d[0], d[0].len), -EINVAL);
	assert_non_null(strstr(kn_last_error(), "port 0"));
	kn_udp_release(t->s, d, 1);
}

/* requests from sources that cannot be answered get no answer; a reply
 * nobody asked for makes no entry */
static void test_arp_martians(void **state)
{
	static const uint32_t martians[] = { KN_IP(127, 0, 0, 1), 0xffffffffu, KN_IP(224, 0, 0, 5),
					     KN_IP(10, 1, 0, 255), KN_IP(240, 0, 0, 1) };
	struct nt *t = *state;
	uint8_t f[64], r[2048];
	unsigned int i;

	for (i = 0; i < 5; i++) {
		arp_frame(f, bcast, 1, martians[i], OUR_IP);
		peer_send(t, f, 60);
	}
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);
	assert_int_equal(ctr(t, KN_DROP_ARP), 5);
	peer_arp_answer(t, KN_IP(10, 1, 0, 7));	/* unsolicited */
	assert_int_equal(kn_arp_resolve(t->ifp, KN_IP(10, 1, 0, 7)), -EAGAIN);
}

/* query answers spread over the whole response time; a v1 querier gets v1
 * reports and no leaves */
static void test_igmp_spread_v1(void **state)
{
	struct nt *t = *state;
	uint8_t f[2048], r[2048];
	uint64_t start, last = 0;
	unsigned int i, got = 0;

	for (i = 0; i < 16; i++)
		assert_int_equal(kn_udp_join(t->s, GROUP + i), 0);
	t->now += 2 * S;
	pump(t);
	peer_drain(t);
	peer_send(t, f, igmp_query(f, 0, 100, true));	/* 10 s */
	pump(t);
	start = t->now;
	for (i = 0; i < 110; i++) {
		t->now += S / 10;
		pump(t);
		while (peer_recv(t, r)) {
			got++;
			last = t->now - start;
		}
	}
	assert_int_equal(got, 16);
	assert_true(last > 3 * S);	/* P(all 16 within 3 s of 10) = 0.3^16 */
	assert_true(last <= 10 * S + S / 10);
	peer_send(t, f, igmp_query(f, 0, 0, false));	/* IGMPv1 */
	pump(t);
	t->now += 11 * S;
	pump(t);
	for (i = 0; i < 16; i++) {	/* a v1 report to each group */
		assert_true(peer_recv(t, r) >= 60);
		assert_int_equal(r[38], 0x12);
		assert_true(g32(r + 30) >= GROUP && g32(r + 30) < GROUP + 16);
		assert_int_equal(g32(r + 42), g32(r + 30));
		assert_int_equal(csum(r + 38, 8), 0);
	}
	assert_int_equal(kn_udp_leave(t->s, GROUP), 0);
	t->now += 2 * S;
	pump(t);
	assert_int_equal(peer_recv(t, r), 0);	/* v1 has no leave */
}

/* a socket without a queue sends on the interface's, behind the control
 * frames waiting there */
static void test_shared_queue_order(void **state)
{
	struct nt *t = *state;
	struct kn_udp_conf uc = { .port = 6000, .queue = -1 };
	uint8_t f[2048], r[2048], big[300];
	struct kn_udp *s2;
	unsigned int i;
	int err;

	peer_arp_reply(t, PEER_IP);
	assert_int_equal(kn_udp_open(t->ifp, &uc, &s2), 0);
	peer_send(t, f, echo_frame(f, PEER_IP, 9, 8));
	kite_emu_step(t->f->emu);	/* the echo request is in the interface's ring */
	for (i = 0; i < 8; i++)
		assert_int_equal(kn_udp_sendto(s2, PEER_IP, 9, "fill", 4), 0);
	kn_poll(t->ifp);	/* the echo reply waits: the slots are busy */
	assert_int_equal(ctr(t, KN_ICMP_ECHO_RX), 1);
	kite_emu_step(t->f->emu);	/* now they drain */
	memset(big, 7, sizeof(big));
	for (i = 0; (err = kn_udp_sendto(s2, PEER_IP, 9, big, sizeof(big))) == -EAGAIN; i++) {
		assert_true(i < 100);
		kite_emu_step(t->f->emu);
	}
	assert_int_equal(err, 0);
	pump(t);
	for (i = 0; i < 8; i++)
		assert_int_equal(peer_recv(t, r), 60);
	assert_int_equal(peer_recv(t, r), 60);	/* the echo reply first */
	assert_int_equal(r[23], 1);
	assert_int_equal(peer_recv(t, r), 342);
	kn_udp_close(s2);
}

/* the counters file never replaces what is not a dead interface's */
static void test_stats_file_safety(void **state)
{
	struct nt *t = *state;
	struct kn_if_conf ic = { .dev = t->f->dev, .pool = t->f->pool, .queue = 3,
				 .addr = OUR_IP, .prefix_len = 24 };
	struct kn_if *if2;
	char other[128], link[128];
	uint8_t hdr[48] = "KITENET1";
	uint64_t dead = 0x7ffffff0;
	FILE *fp;

	snprintf(other, sizeof(other), "%s/precious.txt", t->f->dir);
	fp = fopen(other, "w");
	assert_non_null(fp);
	fputs("keep me", fp);
	fclose(fp);
	ic.stats_path = other;
	assert_int_equal(kn_if_open(&ic, &if2), -EEXIST);
	assert_int_equal(access(other, F_OK), 0);
	ic.stats_path = t->stats;	/* the live interface's */
	assert_int_equal(kn_if_open(&ic, &if2), -EBUSY);
	assert_non_null(strstr(kn_last_error(), "in use by process"));
	snprintf(link, sizeof(link), "%s/link.stats", t->f->dir);
	assert_int_equal(symlink(other, link), 0);
	ic.stats_path = link;
	assert_true(kn_if_open(&ic, &if2) < 0);
	assert_non_null(strstr(kn_last_error(), "symbolic link"));
	unlink(link);
	unlink(other);
	/* a dead process's file is replaced, and removed with its interface */
	fp = fopen(other, "w");
	memcpy(hdr + 16, &dead, 8);
	fwrite(hdr, 1, sizeof(hdr), fp);
	fclose(fp);
	ic.stats_path = other;
	assert_int_equal(kn_if_open(&ic, &if2), 0);
	kn_if_close(if2);
	assert_int_equal(access(other, F_OK), -1);
	assert_int_equal(kite_default_queue_set(t->f->dev, 0, 0), 0);	/* back to the fixture's */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_refuses_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_resolution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_priority_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_shared_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_unreachable_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multicast_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_file, setup_stats, teardown),
		cmocka_unit_test_setup_teardown(test_send_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_martians, setup, teardown),
		cmocka_unit_test_setup_teardown(test_igmp_spread_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_queue_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_file_safety, setup_stats, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
