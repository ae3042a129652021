/* SPDX-License-Identifier: BSD-3-Clause */
/* kite-net internals: the interface, sockets, and the frame checks they share. */
#ifndef KITE_NET_INTERNAL_H
#define KITE_NET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kite/net.h"

#define ETH_HLEN	14
#define ETH_MIN_FRAME	60	/* without FCS: shorter frames are padded */
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ETH_P_8021Q	0x8100
#define IP_HLEN		20
#define UDP_HLEN	8
#define IPPROTO_ICMP_	1
#define IPPROTO_IGMP_	2
#define IPPROTO_UDP_	17
#define KN_MAX_FRAME	9018	/* 9000-byte MTU, header and a tag */

#define KN_ARP_SLOTS	256	/* power of two */
#define KN_ARP_PROBES	8	/* slots tried from an address's hash */
#define KN_MAX_SOCKETS	64
#define KN_MAX_GROUPS	64	/* per interface */
#define KN_SOCK_GROUPS	16
#define KN_BACKLOG	64	/* datagrams the interface queue holds for a socket */
#define KN_TX_WAIT	64	/* control frames waiting for the interface's TX */

#define NS_PER_S	1000000000ULL

enum kn_arp_state { ARP_FREE, ARP_INCOMPLETE, ARP_REACHABLE, ARP_STALE, ARP_PROBE, ARP_FAILED };

struct kn_arp_entry {
	uint32_t addr;
	uint8_t mac[6];
	uint8_t state;		/* enum kn_arp_state */
	uint8_t tries;		/* requests sent in this resolution */
	uint64_t until_ns;	/* REACHABLE: fresh until; FAILED: refused until */
	uint64_t next_try_ns;	/* INCOMPLETE/PROBE: next request or give up */
};

struct kn_group {
	uint32_t addr;		/* 0: free slot */
	unsigned int users;	/* sockets joined */
	uint8_t reports_left;	/* unsolicited reports (joins and leaves) still to send */
	bool leaving;
	uint64_t report_at_ns;	/* next report (unsolicited repeat or query answer) */
};

struct kn_if {
	struct kite_dev *dev;
	struct kite_queue *q;
	struct kite_pool *pool;
	unsigned int port, qid, mtu;
	uint8_t mac[6];
	uint32_t addr, mask, gateway, bcast;
	uint16_t ip_id;
	uint32_t arp_gen;	/* bumped when an entry changes: sockets' caches check it */
	uint64_t *st;		/* counters: st_mem or the stats file's mapping */
	uint64_t st_mem[KN_STAT_COUNT];
	void *st_map;
	size_t st_map_len;
	char *stats_path;
	uint64_t stats_dev, stats_ino;	/* the file it made (removed only if still there) */
	uint64_t (*clock_ns)(void *arg);
	void *clock_arg;
	uint64_t next_timer_ns;	/* kn_poll runs timers only from this time */
	unsigned int idle_polls;
	uint64_t icmp_tokens_ns;	/* rate limit: time the bucket was full at */
	uint64_t igmp_v2_until_ns;	/* a v2 querier was heard: speak v2 until */
	uint64_t igmp_v1_until_ns;	/* a v1 querier was heard: speak v1 until */
	uint64_t rand;
	struct kn_arp_entry arp[KN_ARP_SLOTS];
	struct kn_group groups[KN_MAX_GROUPS];
	struct kn_udp *socks[KN_MAX_SOCKETS];
	uint16_t tx_head, tx_tail;
	struct kite_pkt *tx_wait[KN_TX_WAIT];
	uint8_t txbuf[KN_MAX_FRAME];	/* control frames are built here */
};

struct kn_udp {
	struct kn_if *ifp;
	struct kite_queue *q;	/* its own queue, or NULL */
	struct kite_pool *pool;
	int filter;		/* its filter entry, -1 none */
	uint16_t port;
	uint8_t ttl, mcast_ttl;
	uint8_t pio_skip;	/* sends left that skip the PIO window (send_pio) */
	uint16_t bl_head, bl_tail;	/* backlog from the interface queue */
	unsigned int ngroups;
	uint32_t groups[KN_SOCK_GROUPS];
	/* the last destination's MAC, valid while arp_gen is unchanged */
	uint32_t cache_dst;
	uint32_t cache_gen;
	bool cache_ok;	/* cache_dst/cache_mac hold a lookup */
	uint8_t cache_mac[6];
	uint8_t tmpl[ETH_HLEN + IP_HLEN + UDP_HLEN];	/* header template */
	struct kite_pkt *backlog[KN_BACKLOG];
};

/* A received IPv4 packet that passed the checks of kn_check_ipv4. */
struct kn_ip {
	uint16_t off;		/* IP header offset in the frame: 14, or 18 behind a tag */
	uint16_t len;		/* IP total length */
	uint16_t l4;		/* offset of the payload in the frame */
	uint8_t proto;
	uint32_t src, dst;
	bool dst_group;		/* dst is a multicast address (group checked by the caller) */
	bool dst_bcast;		/* dst is a broadcast address */
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static inline bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;	/* broadcast too */
}

static inline bool ip_is_multicast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

/* the group's MAC: 01:00:5e and its low 23 bits (RFC 1112) */
static inline void ip_mcast_mac(uint32_t group, uint8_t mac[6])
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)(group >> 16 & 0x7f);
	mac[4] = (uint8_t)(group >> 8);
	mac[5] = (uint8_t)group;
}

/* a source we may deliver from and answer to (RFC 1122 §3.2.1.3: no
 * 0.0.0.0/8, loopback, multicast, class E or broadcast; not ourselves) */
static inline bool kn_src_answerable(const struct kn_if *ifp, uint32_t src)
{
	uint8_t top = (uint8_t)(src >> 24);

	return top != 0 && top != 127 && top < 224 && src != ifp->bcast && src != ifp->addr;
}

static inline void kn_count(struct kn_if *ifp, unsigned int stat)
{
	ifp->st[stat]++;
}

/*
 * The Internet checksum (RFC 1071), eight bytes at a time: the one's
 * complement sum is the same whatever the word size, as long as the carries
 * are folded back in (RFC 1071 §2(B)), and the same in either byte order,
 * swapped once at the end (§2(B) too). Inline: the header sums have
 * constant lengths and unroll.
 */
static inline __attribute__((always_inline)) uint64_t kn_csum_add(uint64_t sum, const void *buf,
								  size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = 0, v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, 8);
		acc += v;
		acc += acc < v;	/* end-around carry */
	}
	v = 0;	/* the tail, zero-padded, in memory order */
	if (len & 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		v = w;
		p += 4;
	}
	if (len & 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		v |= (uint64_t)w << (len & 4) * 8;
		p += 2;
	}
	if (len & 1)
		v |= (uint64_t)*p << (len & 6) * 8;
	acc += v;
	acc += acc < v;
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = (uint16_t)((acc & 0xff) << 8 | acc >> 8);
#else
#error "kn_csum_add: the tail's placement assumes a little-endian CPU"
#endif
	return sum + acc;
}

/* the complemented 16-bit result */
static inline __attribute__((always_inline)) uint16_t kn_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline uint64_t kn_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (uint64_t)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/* error.c */
int kn_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* no formatting on the paths an application retries in a loop */
int kn_err_const(int code, const char *msg);
int kn_err_resolving(uint32_t hop);	/* -EAGAIN */

/* check.c: 0, or the KN_DROP_* counter the frame fails */
/* the ethertype and where its header starts, behind a priority tag if any */
unsigned int kn_check_eth(const uint8_t *f, uint16_t len, uint16_t *off, uint16_t *type);
unsigned int kn_check_ipv4(const struct kn_if *ifp, const uint8_t *f, uint16_t len,
			   uint16_t off, uint16_t type, struct kn_ip *ip);
unsigned int kn_check_udp(const uint8_t *f, const struct kn_ip *ip, uint16_t *ulen);

/* iface.c */
uint64_t kn_now(struct kn_if *ifp);
void kn_timer_at(struct kn_if *ifp, uint64_t ns);
/* send a control frame (padded to the minimum) on the interface queue */
int kn_if_tx(struct kn_if *ifp, uint8_t *frame, uint16_t len);
/* the interface's waiting control frames sent; false: some still wait */
bool kn_if_tx_flush(struct kn_if *ifp);
void kn_eth_hdr(const struct kn_if *ifp, uint8_t *f, const uint8_t *dst, uint16_t type);
/* an IPv4 header without options at p; checksum filled */
void kn_ip_hdr(struct kn_if *ifp, uint8_t *p, uint8_t tos, uint16_t len, uint8_t ttl,
	       uint8_t proto, uint32_t dst, bool df);
/* where a datagram to dst goes: its next hop's MAC; 0, -EAGAIN, -E*UNREACH */
int kn_route(struct kn_if *ifp, uint32_t dst, uint8_t mac[6], uint32_t *hop);

/* tx.c: a queue's frames in order, PIO or descriptor; true / 0: sent */
bool kn_tx_pio(struct kite_queue *q, const uint8_t *f, uint16_t flen);
int kn_tx_desc(struct kite_queue *q, struct kite_pkt *pkt);

/* arp.c */
void kn_arp_input(struct kn_if *ifp, const uint8_t *f, uint16_t len, uint16_t off);
int kn_arp_lookup(struct kn_if *ifp, uint32_t hop, uint8_t mac[6]);
void kn_arp_timers(struct kn_if *ifp, uint64_t now);
void kn_arp_announce(struct kn_if *ifp);

/* icmp.c */
void kn_icmp_input(struct kn_if *ifp, const uint8_t *f, const struct kn_ip *ip);
void kn_icmp_port_unreachable(struct kn_if *ifp, const uint8_t *f, const struct kn_ip *ip);

/* igmp.c */
void kn_igmp_input(struct kn_if *ifp, const uint8_t *f, const struct kn_ip *ip);
int kn_igmp_join(struct kn_if *ifp, uint32_t group);
void kn_igmp_leave(struct kn_if *ifp, uint32_t group);
void kn_igmp_timers(struct kn_if *ifp, uint64_t now);

/* udp.c */
void kn_udp_input(struct kn_if *ifp, struct kite_pkt *pkt, const struct kn_ip *ip);
void kn_udp_close_all(struct kn_if *ifp);

#endif
