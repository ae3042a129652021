// SPDX-License-Identifier: BSD-3-Clause
/*
 * UDP sockets. A socket with a queue of its own has a UDP_DST filter on its
 * port: kn_udp_recv polls that ring, checks each frame and hands out the
 * payload in place. Datagrams the card steers to the interface queue instead
 * (priority-tagged frames, which the card's filters do not match, or a
 * socket without a queue) wait in the socket's backlog.
 *
 * Sending builds the header from the socket's template; a frame that fits a
 * PIO slot goes through the PIO window (no descriptor, no DMA read), a larger
 * one through a buffer and a descriptor.
 */
#include <errno.h>
#include <stdlib.h>

#include "kite/hw.h"
#include "net_internal.h"

#define KN_UDP_RING	256
#define KN_RECV_BURST	32
#define HDRS		(ETH_HLEN + IP_HLEN + UDP_HLEN)

static struct kn_udp *sock_of(struct kn_if *ifp, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < KN_MAX_SOCKETS; i++)
		if (ifp->socks[i] && ifp->socks[i]->port == port)
			return ifp->socks[i];
	return NULL;
}

static bool sock_joined(const struct kn_udp *s, uint32_t group)
{
	unsigned int i;

	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i] == group)
			return true;
	return false;
}

void kn_udp_input(struct kn_if *ifp, struct kite_pkt *pkt, const struct kn_ip *ip)
{
	const uint8_t *f = pkt->data;
	struct kn_udp *s;
	unsigned int drop;
	uint16_t ulen;

	drop = kn_check_udp(f, ip, &ulen);
	if (!drop) {
		s = sock_of(ifp, rd16(f + ip->l4 + 2));
		if (!s) {
			kn_icmp_port_unreachable(ifp, f, ip);
			drop = KN_DROP_NO_PORT;
		} else if (ip->dst_group && !sock_joined(s, ip->dst)) {
			drop = KN_DROP_NOT_OURS;
		} else if ((uint16_t)(s->bl_tail - s->bl_head) == KN_BACKLOG) {
			drop = KN_DROP_SOCK_FULL;
		} else {
			s->backlog[s->bl_tail++ % KN_BACKLOG] = pkt;
			return;
		}
	}
	kn_count(ifp, drop);
	kite_pkt_free(pkt);
}

/* Every check, each failure counted under its reason; false: dropped. Fills
 * what take_fast fills, and d->data. */
static bool take_checked(struct kn_udp *s, struct kite_pkt *pkt, struct kn_dgram *d)
{
	struct kn_if *ifp = s->ifp;
	const uint8_t *f = pkt->data, *u;
	struct kn_ip ip;
	uint16_t off, type, ulen;
	unsigned int drop;

	drop = kn_check_eth(f, pkt->len, &off, &type);
	if (!drop)
		drop = kn_check_ipv4(ifp, f, pkt->len, off, type, &ip);
	if (!drop && ip.proto != IPPROTO_UDP_)
		drop = KN_DROP_PROTO;
	if (!drop)
		drop = kn_check_udp(f, &ip, &ulen);
	if (!drop && (rd16(f + ip.l4 + 2) != s->port || (ip.dst_group && !sock_joined(s, ip.dst))))
		drop = KN_DROP_NOT_OURS;
	if (drop) {
		kn_count(ifp, drop);
		kite_pkt_free(pkt);
		return false;
	}
	u = f + ip.l4;
	d->data = pkt->data + ip.l4 + UDP_HLEN;
	d->len = (uint16_t)(ulen - UDP_HLEN);
	d->src_port = rd16(u);
	d->src_addr = ip.src;
	d->dst_addr = ip.dst;
	return true;
}

/*
 * The common case in one pass: an untagged IPv4 frame without options, not a
 * fragment, UDP to this socket's port at our unicast address and MAC, from a
 * source we may answer, checksums right. false: take_checked decides (and
 * counts) what it is. Every condition here is one of kn_check_*'s.
 */
static inline bool take_fast(struct kn_udp *s, const uint8_t *f, uint16_t len,
			     struct kn_dgram *d)
{
	const struct kn_if *ifp = s->ifp;
	uint16_t ip_len, ulen;
	uint32_t src;
	uint64_t sum;

	if (len < HDRS || memcmp(f, ifp->mac, 6) || rd16(f + 12) != ETH_P_IP || f[14] != 0x45 ||
	    (rd16(f + 20) & 0x3fff) || f[23] != IPPROTO_UDP_ || rd32(f + 30) != ifp->addr ||
	    rd16(f + 36) != s->port || (f[6] & 1))
		return false;
	ip_len = rd16(f + 16);
	ulen = rd16(f + 38);
	src = rd32(f + 26);
	if (ip_len > len - ETH_HLEN || ulen < UDP_HLEN || ulen > ip_len - IP_HLEN ||
	    !kn_src_answerable(ifp, src) || kn_csum_fold(kn_csum_add(0, f + ETH_HLEN, IP_HLEN)))
		return false;
	/* source, destination, UDP header and payload in one pass: the pseudo
	 * header's addresses are the IP header's last 8 bytes */
	sum = kn_csum_add(IPPROTO_UDP_ + (uint64_t)ulen, f + 26, 8 + (size_t)ulen);
	if (rd16(f + 40) && kn_csum_fold(sum))
		return false;
	d->len = (uint16_t)(ulen - UDP_HLEN);
	d->src_port = rd16(f + 34);
	d->src_addr = src;
	d->dst_addr = ifp->addr;
	return true;
}

/* One frame for socket s described in d; false: dropped and counted. */
static inline bool take(struct kn_udp *s, struct kite_pkt *pkt, struct kn_dgram *d)
{
	if (__builtin_expect(take_fast(s, pkt->data, pkt->len, d), 1))
		d->data = pkt->data + HDRS;
	else if (!take_checked(s, pkt, d))
		return false;
	d->ts = pkt->rx_flags & KITE_RX_TS_VALID ? pkt->ts : 0;
	d->pkt = pkt;
	kn_count(s->ifp, KN_RX_DGRAMS);
	return true;
}

/* datagrams the interface queue left in the backlog first, then the socket's queue */
static uint16_t recv_backlog(struct kn_udp *s, struct kn_dgram *d, uint16_t n)
{
	struct kite_pkt *pk[KN_RECV_BURST];
	uint16_t got = 0, m, i;

	while (got < n && s->bl_head != s->bl_tail)
		got = (uint16_t)(got + take(s, s->backlog[s->bl_head++ % KN_BACKLOG], &d[got]));
	if (!s->q || got == n)
		return got;
	m = kite_rx_burst(s->q, pk, (uint16_t)(n - got < KN_RECV_BURST ? n - got : KN_RECV_BURST));
	for (i = 0; i < m; i++)
		got = (uint16_t)(got + take(s, pk[i], &d[got]));
	return got;
}

uint16_t kn_udp_recv(struct kn_udp *s, struct kn_dgram *d, uint16_t n)
{
	struct kite_pkt *pk[KN_RECV_BURST];
	uint16_t got = 0, m, i;

	if (__builtin_expect(s->bl_head != s->bl_tail || !s->q, 0))
		return recv_backlog(s, d, n);
	m = kite_rx_burst(s->q, pk, n < KN_RECV_BURST ? n : KN_RECV_BURST);
	for (i = 0; i < m; i++)
		got = (uint16_t)(got + take(s, pk[i], &d[got]));
	return got;
}

void kn_udp_release(struct kn_udp *s, struct kn_dgram *d, uint16_t n)
{
	uint16_t i;

	(void)s;
	for (i = 0; i < n; i++) {
		kite_pkt_free(d[i].pkt);
		d[i].pkt = NULL;
	}
}

/* Ethernet, IP and UDP headers for the len payload bytes at f + HDRS, to dst:port via mac */
static uint16_t fill_headers(struct kn_udp *s, uint8_t *f, const uint8_t *mac, uint32_t dst,
			     uint16_t port, uint16_t len)
{
	struct kn_if *ifp = s->ifp;
	uint8_t *ip = f + ETH_HLEN, *u = ip + IP_HLEN;
	uint16_t ulen = (uint16_t)(UDP_HLEN + len), csum;
	uint64_t sum;

	memcpy(f, mac, 6);
	memcpy(f + 6, s->tmpl + 6, HDRS - 6);
	wr16(ip + 2, (uint16_t)(IP_HLEN + ulen));
	wr16(ip + 4, ifp->ip_id++);
	ip[8] = ip_is_multicast(dst) ? s->mcast_ttl : s->ttl;
	wr32(ip + 16, dst);
	wr16(ip + 10, kn_csum_fold(kn_csum_add(0, ip, IP_HLEN)));
	wr16(u + 2, port);
	wr16(u + 4, ulen);
	wr16(u + 6, 0);
	/* the pseudo header's addresses are the IP header's last 8 bytes: one pass */
	sum = kn_csum_add(IPPROTO_UDP_ + (uint64_t)ulen, ip + 12, 8 + (size_t)ulen);
	csum = kn_csum_fold(sum);
	wr16(u + 6, csum ? csum : 0xffff);	/* 0 would mean "no checksum" */
	return (uint16_t)(HDRS + len);
}

static struct kite_queue *tx_queue(const struct kn_udp *s)
{
	return s->q ? s->q : s->ifp->q;
}

/* on the interface's queue a datagram goes behind the control frames waiting there */
static bool tx_line_clear(struct kn_udp *s)
{
	return s->q || kn_if_tx_flush(s->ifp);
}

/* padded to the minimum frame (the card does not pad) */
static uint16_t pad(uint8_t *f, uint16_t flen)
{
	if (flen >= ETH_MIN_FRAME)
		return flen;
	memset(f + flen, 0, ETH_MIN_FRAME - flen);
	return ETH_MIN_FRAME;
}

/*
 * Through the PIO window when it may (tx.c). When all 8 slots are busy (a
 * burst), the next PIO_BACKOFF sends use descriptors once the slots drain,
 * rather than failing on the window each time.
 */
#define PIO_BACKOFF 16
static bool send_pio(struct kn_udp *s, const uint8_t *f, uint16_t flen)
{
	if (s->pio_skip) {
		s->pio_skip--;
		return false;
	}
	if (!tx_line_clear(s))
		return false;
	if (kn_tx_pio(tx_queue(s), f, flen))
		return true;
	if (flen <= KITE_PIO_MAX_FRAME)
		s->pio_skip = PIO_BACKOFF;
	return false;
}

/* the frame built in pkt onto the wire: PIO when it fits, else its buffer */
static int send_frame(struct kn_udp *s, struct kite_pkt *pkt, uint16_t flen)
{
	flen = pad(pkt->data, flen);
	if (send_pio(s, pkt->data, flen)) {
		kite_pkt_free(pkt);
		return 0;
	}
	pkt->len = flen;
	if (tx_line_clear(s) && kn_tx_desc(tx_queue(s), pkt) == 0)
		return 0;
	kn_count(s->ifp, KN_TX_FULL);
	return kn_err_const(-EAGAIN, "kite-net: the queue's TX is busy (frames in flight), retry");
}

static int dest_mac(struct kn_udp *s, uint32_t dst, uint8_t mac[6])
{
	struct kn_if *ifp = s->ifp;
	uint32_t hop;
	int err;

	if (s->cache_ok && dst == s->cache_dst && s->cache_gen == ifp->arp_gen) {
		memcpy(mac, s->cache_mac, 6);
		return 0;
	}
	err = kn_route(ifp, dst, mac, &hop);
	if (err)
		return err;
	s->cache_dst = dst;
	s->cache_gen = ifp->arp_gen;
	s->cache_ok = true;
	memcpy(s->cache_mac, mac, 6);
	return 0;
}

int kn_udp_sendto(struct kn_udp *s, uint32_t addr, uint16_t port, const void *buf, size_t len)
{
	struct kn_if *ifp = s->ifp;
	struct kite_pkt *pkt;
	uint8_t mac[6];
	int err;

	if (len > ifp->mtu - IP_HLEN - UDP_HLEN)
		return kn_err(-EMSGSIZE, "kn_udp_sendto: %zu bytes do not fit the MTU of %u "
			      "(no fragmentation)", len, ifp->mtu);
	if (!port)
		return kn_err(-EINVAL, "kn_udp_sendto: port 0");
	err = dest_mac(s, addr, mac);
	if (err)
		return err;
	if (HDRS + len <= KITE_PIO_MAX_FRAME && !s->pio_skip) {	/* on the stack: no buffer touched */
		uint8_t f[KITE_PIO_MAX_FRAME] __attribute__((aligned(64)));

		memcpy(f + HDRS, buf, len);
		if (send_pio(s, f, pad(f, fill_headers(s, f, mac, addr, port, (uint16_t)len)))) {
			kn_count(ifp, KN_TX_DGRAMS);
			return 0;
		}
	}
	pkt = kite_pkt_alloc(s->pool);	/* larger, or the PIO slots are busy */
	if (!pkt) {
		kn_count(ifp, KN_TX_FULL);
		return kn_err_const(-EAGAIN, "kn_udp_sendto: no free buffer in the socket's pool, retry");
	}
	if (pkt->buf_size < HDRS + len + ETH_MIN_FRAME) {
		kite_pkt_free(pkt);
		return kn_err(-EMSGSIZE, "kn_udp_sendto: %zu bytes do not fit the pool's "
			      "%u-byte buffers", len, pkt->buf_size);
	}
	memcpy(pkt->data + HDRS, buf, len);
	err = send_frame(s, pkt, fill_headers(s, pkt->data, mac, addr, port, (uint16_t)len));
	if (err) {
		kite_pkt_free(pkt);
		return err;
	}
	kn_count(ifp, KN_TX_DGRAMS);
	return 0;
}

int kn_udp_reply(struct kn_udp *s, struct kn_dgram *d, uint16_t len)
{
	struct kite_pkt *pkt = d->pkt;
	uint8_t *f = pkt->data, mac[6];
	int err;

	/* the payload as it sits (42 bytes in, or 46 behind a tag) must hold len bytes */
	if (len > s->ifp->mtu - IP_HLEN - UDP_HLEN || d->data < f + HDRS ||
	    (size_t)(d->data - f) + len > pkt->buf_size)
		return kn_err(-EMSGSIZE, "kn_udp_reply: %u bytes do not fit the MTU or the buffer",
			      len);
	if (!d->src_port)
		return kn_err(-EINVAL, "kn_udp_reply: the datagram came from port 0");
	memcpy(mac, f + 6, 6);	/* back to the hop it came from */
	if (d->data != f + HDRS) {	/* it came behind a priority tag: answer untagged */
		memmove(f + HDRS, d->data, len);
		d->data = f + HDRS;
	}
	err = send_frame(s, pkt, fill_headers(s, f, mac, d->src_addr, d->src_port, len));
	if (err) {
		memcpy(f + 6, mac, 6);	/* a retry answers the same hop */
		return err;
	}
	d->pkt = NULL;
	kn_count(s->ifp, KN_TX_DGRAMS);
	return 0;
}

static void build_template(struct kn_udp *s)
{
	uint8_t *f = s->tmpl, *ip = f + ETH_HLEN, *u = ip + IP_HLEN;

	memset(f, 0, sizeof(s->tmpl));
	memcpy(f + 6, s->ifp->mac, 6);
	wr16(f + 12, ETH_P_IP);
	ip[0] = 0x45;
	wr16(ip + 6, 0x4000);	/* DF: kite-net never fragments */
	ip[9] = IPPROTO_UDP_;
	wr32(ip + 12, s->ifp->addr);
	ip[8] = s->ttl;
	wr16(u, s->port);
}

static int add_sock(struct kn_if *ifp, struct kn_udp *s)
{
	unsigned int i;

	for (i = 0; i < KN_MAX_SOCKETS; i++) {
		if (!ifp->socks[i]) {
			ifp->socks[i] = s;
			return 0;
		}
	}
	return kn_err(-ENOSPC, "kn_udp_open: the interface has %d sockets already",
		      KN_MAX_SOCKETS);
}

int kn_udp_open(struct kn_if *ifp, const struct kn_udp_conf *conf, struct kn_udp **out)
{
	struct kite_queue_conf qc = { 0 };
	struct kite_filter flt = { .type = KITE_FILTER_UDP_DST };
	struct kn_udp *s;
	int err;

	if (!ifp || !conf || !out)
		return kn_err(-EINVAL, "kn_udp_open: %s is NULL",
			      !ifp ? "ifp" : !conf ? "conf" : "out");
	*out = NULL;
	if (!conf->port)
		return kn_err(-EINVAL, "kn_udp_open: port 0");
	if (sock_of(ifp, conf->port))
		return kn_err(-EADDRINUSE, "kn_udp_open: port %u has a socket already",
			      conf->port);
	s = calloc(1, sizeof(*s));
	if (!s)
		return kn_err(-ENOMEM, "kn_udp_open: out of memory");
	s->ifp = ifp;
	s->port = conf->port;
	s->pool = conf->pool ? conf->pool : ifp->pool;
	s->ttl = conf->ttl ? conf->ttl : 64;
	s->mcast_ttl = conf->mcast_ttl ? conf->mcast_ttl : 1;
	s->filter = -1;
	build_template(s);
	err = add_sock(ifp, s);
	if (err)
		goto fail;
	if (conf->queue >= 0) {
		qc.port = ifp->port;
		qc.tx_ring_size = qc.rx_ring_size = conf->ring_size ? conf->ring_size : KN_UDP_RING;
		qc.rx_pool = s->pool;
		err = kite_queue_open(ifp->dev, (unsigned int)conf->queue, &qc, &s->q);
		if (err) {
			err = kn_err(err, "kn_udp_open: %s", kite_last_error());
			goto fail;
		}
		flt.port = ifp->port;
		flt.queue = (unsigned int)conf->queue;
		flt.key = conf->port;
		s->filter = kite_filter_add(ifp->dev, &flt);
		if (s->filter < 0) {
			err = kn_err(s->filter, "kn_udp_open: port %u: %s", conf->port,
				     kite_last_error());
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	kn_udp_close(s);
	return err;
}

int kn_udp_join(struct kn_udp *s, uint32_t group)
{
	int err;

	if (!ip_is_multicast(group))
		return kn_err(-EINVAL, "kn_udp_join: %u.%u.%u.%u is not a multicast address",
			      group >> 24, group >> 16 & 0xff, group >> 8 & 0xff, group & 0xff);
	if (sock_joined(s, group))
		return kn_err(-EALREADY, "kn_udp_join: the socket has joined the group already");
	if (s->ngroups == KN_SOCK_GROUPS)
		return kn_err(-ENOSPC, "kn_udp_join: a socket joins at most %d groups",
			      KN_SOCK_GROUPS);
	err = kn_igmp_join(s->ifp, group);
	if (err)
		return err;
	s->groups[s->ngroups++] = group;
	return 0;
}

int kn_udp_leave(struct kn_udp *s, uint32_t group)
{
	unsigned int i;

	for (i = 0; i < s->ngroups; i++) {
		if (s->groups[i] == group) {
			s->groups[i] = s->groups[--s->ngroups];
			kn_igmp_leave(s->ifp, group);
			return 0;
		}
	}
	return kn_err(-ENOENT, "kn_udp_leave: the socket has not joined %u.%u.%u.%u",
		      group >> 24, group >> 16 & 0xff, group >> 8 & 0xff, group & 0xff);
}

struct kite_queue *kn_udp_queue(const struct kn_udp *s)
{
	return s->q;
}

void kn_udp_close(struct kn_udp *s)
{
	struct kn_if *ifp;
	unsigned int i;

	if (!s)
		return;
	ifp = s->ifp;
	while (s->ngroups)
		kn_udp_leave(s, s->groups[0]);
	if (s->filter >= 0)
		kite_filter_del(ifp->dev, (unsigned int)s->filter);
	kite_queue_close(s->q);
	while (s->bl_head != s->bl_tail)
		kite_pkt_free(s->backlog[s->bl_head++ % KN_BACKLOG]);
	for (i = 0; i < KN_MAX_SOCKETS; i++)
		if (ifp->socks[i] == s)
			ifp->socks[i] = NULL;
	free(s);
}

void kn_udp_close_all(struct kn_if *ifp)
{
	unsigned int i;

	for (i = 0; i < KN_MAX_SOCKETS; i++)
		kn_udp_close(ifp->socks[i]);
}
