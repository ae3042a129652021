// SPDX-License-Identifier: BSD-3-Clause
/*
 * The interface: one card port, one address. Its queue is the port's default
 * queue; kn_poll answers what arrives there and runs the ARP and IGMP timers.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "net_internal.h"
#include "stats_file.h"

#define KN_IF_RING	256
#define KN_POLL_BURST	32
#define KN_IDLE_CLOCK	64	/* idle polls between clock reads */
#define KN_CLOSE_FLUSH_NS	(10 * 1000 * 1000)

static uint64_t monotonic_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t kn_now(struct kn_if *ifp)
{
	return ifp->clock_ns(ifp->clock_arg);
}

void kn_timer_at(struct kn_if *ifp, uint64_t ns)
{
	if (ns < ifp->next_timer_ns)
		ifp->next_timer_ns = ns;
}

void kn_eth_hdr(const struct kn_if *ifp, uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, ifp->mac, 6);
	wr16(f + 12, type);
}

void kn_ip_hdr(struct kn_if *ifp, uint8_t *p, uint8_t tos, uint16_t len, uint8_t ttl,
	       uint8_t proto, uint32_t dst, bool df)
{
	p[0] = 0x45;
	p[1] = tos;
	wr16(p + 2, len);
	wr16(p + 4, ifp->ip_id++);
	wr16(p + 6, df ? 0x4000 : 0);
	p[8] = ttl;
	p[9] = proto;
	wr16(p + 10, 0);
	wr32(p + 12, ifp->addr);
	wr32(p + 16, dst);
	wr16(p + 10, kn_csum_fold(kn_csum_add(0, p, IP_HLEN)));
}

/* control frames waiting for the PIO slots to drain, oldest first; false: some still wait */
bool kn_if_tx_flush(struct kn_if *ifp)
{
	while (ifp->tx_head != ifp->tx_tail) {
		if (kn_tx_desc(ifp->q, ifp->tx_wait[ifp->tx_head % KN_TX_WAIT]))
			return false;
		ifp->tx_head++;
	}
	return true;
}

int kn_if_tx(struct kn_if *ifp, uint8_t *frame, uint16_t len)
{
	struct kite_pkt *pkt;

	if (len < ETH_MIN_FRAME) {
		memset(frame + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	if (kn_if_tx_flush(ifp) && kn_tx_pio(ifp->q, frame, len))
		return 0;
	/* too long for PIO, its slots busy, or frames before it waiting: a buffer */
	pkt = kite_pkt_alloc(ifp->pool);
	if (!pkt || pkt->buf_size < len || (uint16_t)(ifp->tx_tail - ifp->tx_head) == KN_TX_WAIT) {
		kite_pkt_free(pkt);
		kn_count(ifp, KN_TX_FULL);
		return -EAGAIN;
	}
	memcpy(pkt->data, frame, len);
	pkt->len = len;
	/* in line behind any that wait; kn_poll sends them when the path is free */
	ifp->tx_wait[ifp->tx_tail++ % KN_TX_WAIT] = pkt;
	kn_if_tx_flush(ifp);
	return 0;
}

int kn_route(struct kn_if *ifp, uint32_t dst, uint8_t mac[6], uint32_t *hop)
{
	uint8_t top = (uint8_t)(dst >> 24);

	*hop = dst;
	if (ip_is_multicast(dst)) {
		ip_mcast_mac(dst, mac);
		return 0;
	}
	if (dst == 0xffffffffu || dst == ifp->bcast) {
		memset(mac, 0xff, 6);
		return 0;
	}
	if (top == 0 || top == 127 || top >= 240 || dst == ifp->addr)
		return kn_err(-EINVAL, "kite-net: %u.%u.%u.%u is not a destination on the wire",
			      top, dst >> 16 & 0xff, dst >> 8 & 0xff, dst & 0xff);
	if ((dst ^ ifp->addr) & ifp->mask) {
		if (!ifp->gateway)
			return kn_err(-ENETUNREACH, "kite-net: %u.%u.%u.%u is off the subnet and "
				      "the interface has no gateway", top, dst >> 16 & 0xff,
				      dst >> 8 & 0xff, dst & 0xff);
		*hop = ifp->gateway;
	}
	return kn_arp_lookup(ifp, *hop, mac);
}

int kn_arp_resolve(struct kn_if *ifp, uint32_t addr)
{
	uint8_t mac[6];
	uint32_t hop;

	if (!ifp)
		return kn_err(-EINVAL, "kn_arp_resolve: ifp is NULL");
	return kn_route(ifp, addr, mac, &hop);
}

static int check_conf(const struct kn_if_conf *c)
{
	uint32_t mask;
	uint8_t top;

	if (!c || !c->dev || !c->pool)
		return kn_err(-EINVAL, "kn_if_open: %s is NULL",
			      !c ? "conf" : !c->dev ? "conf->dev" : "conf->pool");
	top = (uint8_t)(c->addr >> 24);
	if (top == 0 || top == 127 || top >= 224)
		return kn_err(-EINVAL, "kn_if_open: addr %u.%u.%u.%u is not a unicast address",
			      top, c->addr >> 16 & 0xff, c->addr >> 8 & 0xff, c->addr & 0xff);
	if (c->prefix_len < 1 || c->prefix_len > 30)
		return kn_err(-EINVAL, "kn_if_open: prefix_len %u is not 1..30", c->prefix_len);
	mask = ~0u << (32 - c->prefix_len);
	if ((c->addr & ~mask) == 0 || (c->addr & ~mask) == ~mask)
		return kn_err(-EINVAL, "kn_if_open: addr is the subnet's network or broadcast "
			      "address");
	if (c->gateway && (((c->gateway ^ c->addr) & mask) || c->gateway == c->addr ||
			   (c->gateway & ~mask) == 0 || (c->gateway & ~mask) == ~mask))
		return kn_err(-EINVAL, "kn_if_open: gateway is not another host address on the "
			      "subnet");
	return 0;
}

int kn_if_open(const struct kn_if_conf *conf, struct kn_if **out)
{
	struct kite_queue_conf qc = { .tx_ring_size = KN_IF_RING, .rx_ring_size = KN_IF_RING };
	struct kite_link link;
	struct kn_if *ifp;
	int err;

	if (!out)
		return kn_err(-EINVAL, "kn_if_open: out is NULL");
	*out = NULL;
	err = check_conf(conf);
	if (err)
		return err;
	err = kite_link_get(conf->dev, conf->port, &link);
	if (err)
		return kn_err(err, "kn_if_open: %s", kite_last_error());
	if (conf->mtu > link.mtu || (conf->mtu && conf->mtu < 576))
		return kn_err(-EINVAL, "kn_if_open: mtu %u is not 576..%u (the port's)",
			      conf->mtu, link.mtu);
	ifp = calloc(1, sizeof(*ifp));
	if (!ifp)
		return kn_err(-ENOMEM, "kn_if_open: out of memory");
	ifp->dev = conf->dev;
	ifp->pool = conf->pool;
	ifp->port = conf->port;
	ifp->qid = conf->queue;
	ifp->mtu = conf->mtu ? conf->mtu : link.mtu;
	memcpy(ifp->mac, link.mac, 6);
	ifp->addr = conf->addr;
	ifp->mask = ~0u << (32 - conf->prefix_len);
	ifp->bcast = conf->addr | ~ifp->mask;
	ifp->gateway = conf->gateway;
	ifp->clock_ns = conf->clock_ns ? conf->clock_ns : monotonic_ns;
	ifp->clock_arg = conf->clock_arg;
	ifp->rand = kn_now(ifp) ^ (uint64_t)(uintptr_t)ifp;
	ifp->ip_id = (uint16_t)ifp->rand;
	ifp->next_timer_ns = UINT64_MAX;
	ifp->st = ifp->st_mem;
	qc.port = conf->port;
	qc.rx_pool = conf->pool;
	err = kite_queue_open(conf->dev, conf->queue, &qc, &ifp->q);
	if (err) {
		err = kn_err(err, "kn_if_open: %s", kite_last_error());
		goto fail;
	}
	if (conf->stats_path) {
		err = kn_stats_file_create(ifp, conf->stats_path);
		if (err)
			goto fail;
	}
	err = kite_default_queue_set(conf->dev, conf->port, (int)conf->queue);
	if (err) {
		err = kn_err(err, "kn_if_open: %s", kite_last_error());
		goto fail;
	}
	kn_arp_announce(ifp);
	*out = ifp;
	return 0;
fail:
	kn_stats_file_remove(ifp);
	kite_queue_close(ifp->q);
	free(ifp);
	return err;
}

void kn_if_close(struct kn_if *ifp)
{
	uint64_t deadline;

	if (!ifp)
		return;
	kn_udp_close_all(ifp);	/* their groups' leaves go out now */
	kite_default_queue_set(ifp->dev, ifp->port, -1);
	/* the leaves may wait behind busy PIO slots: give the card a moment (a
	 * card takes a frame within microseconds), then give up on them */
	deadline = monotonic_ns(NULL) + KN_CLOSE_FLUSH_NS;
	while (!kn_if_tx_flush(ifp) && monotonic_ns(NULL) < deadline)
		;
	while (ifp->tx_head != ifp->tx_tail)	/* never sent: the queue stops */
		kite_pkt_free(ifp->tx_wait[ifp->tx_head++ % KN_TX_WAIT]);
	kite_queue_close(ifp->q);
	kn_stats_file_remove(ifp);
	free(ifp);
}

void kn_if_mac(const struct kn_if *ifp, uint8_t mac[6])
{
	memcpy(mac, ifp->mac, 6);
}

unsigned int kn_if_stats(const struct kn_if *ifp, uint64_t *out, unsigned int n)
{
	unsigned int i;

	if (n > KN_STAT_COUNT)
		n = KN_STAT_COUNT;
	for (i = 0; i < n; i++)
		out[i] = ifp->st[i];
	return n;
}

/* One frame from the interface queue: answered, handed to a socket, or dropped and counted. */
static void input(struct kn_if *ifp, struct kite_pkt *pkt)
{
	const uint8_t *f = pkt->data;
	struct kn_ip ip;
	unsigned int drop;
	uint16_t off, type;

	kn_count(ifp, KN_RX_FRAMES);
	drop = kn_check_eth(f, pkt->len, &off, &type);
	if (!drop && type == ETH_P_ARP) {
		kn_arp_input(ifp, f, pkt->len, off);
		kite_pkt_free(pkt);
		return;
	}
	if (!drop)
		drop = kn_check_ipv4(ifp, f, pkt->len, off, type, &ip);
	if (drop) {
		kn_count(ifp, drop);
		kite_pkt_free(pkt);
		return;
	}
	switch (ip.proto) {
	case IPPROTO_UDP_:
		kn_udp_input(ifp, pkt, &ip);	/* takes the frame */
		return;
	case IPPROTO_ICMP_:
		kn_icmp_input(ifp, f, &ip);
		break;
	case IPPROTO_IGMP_:
		kn_igmp_input(ifp, f, &ip);
		break;
	default:
		kn_count(ifp, KN_DROP_PROTO);
		break;
	}
	kite_pkt_free(pkt);
}

int kn_poll(struct kn_if *ifp)
{
	struct kite_pkt *pk[KN_POLL_BURST];
	uint16_t n = kite_rx_burst(ifp->q, pk, KN_POLL_BURST), i;
	uint64_t now;

	for (i = 0; i < n; i++)
		input(ifp, pk[i]);
	/* timers are seconds apart: the clock is read only now and then when idle */
	if (!n && ++ifp->idle_polls < KN_IDLE_CLOCK)
		return 0;
	ifp->idle_polls = 0;
	kn_if_tx_flush(ifp);
	now = kn_now(ifp);
	if (now >= ifp->next_timer_ns) {
		ifp->next_timer_ns = UINT64_MAX;
		kn_arp_timers(ifp, now);
		kn_igmp_timers(ifp, now);
	}
	return n;
}
