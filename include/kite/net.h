/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * \file net.h
 * \brief kite-net: a user-space UDP/IPv4 layer on libkite (ARP, ICMP, UDP,
 * IGMP multicast). Polled and zero-copy like libkite: no system call, lock or
 * allocation on the receive and send paths.
 *
 * An interface (kn_if) is one card port with an IPv4 address. Its queue
 * becomes the port's default queue: it takes every frame no filter steers
 * elsewhere (ARP, ICMP, IGMP, datagrams for closed ports) and kn_poll()
 * answers them. A UDP socket (kn_udp) owns a queue of its own, and a filter
 * on its local port steers its datagrams there, so kn_udp_recv() polls one
 * ring that holds nothing else. Every received frame is checked (addresses,
 * lengths, checksums); one that fails is dropped and counted by reason
 * (kn_if_stats, kite-stat --net), never delivered or answered. IP fragments
 * are dropped and counted: kite-net does not reassemble.
 *
 * Threads: an interface and its sockets belong to one thread, which calls
 * kn_poll() in its loop (it returns at once when nothing arrived and no timer
 * is due). Addresses and ports are in host byte order (KN_IP(169,254,0,1)).
 *
 * Errors: functions returning int give 0 (or a count) or a negative
 * errno-style code; kn_last_error() then names the cause.
 *
 * API status: static library only (libkite-net.a) until the API settles; no
 * ABI promise yet.
 */
#ifndef KITE_NET_H
#define KITE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "kite/kite.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KN_IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct kn_if;
struct kn_udp;

/* ---- counters: one per outcome, each frame counted once ---------------- */
#define KN_STATS(X)								\
	X(RX_FRAMES, "rx_frames", "frames the interface queue received")	\
	X(RX_DGRAMS, "rx_dgrams", "UDP datagrams delivered to sockets")	\
	X(TX_DGRAMS, "tx_dgrams", "UDP datagrams sent")				\
	X(ARP_REQ_RX, "arp_requests_rx", "ARP requests for our address")	\
	X(ARP_REPLY_TX, "arp_replies_tx", "ARP replies sent")			\
	X(ARP_REQ_TX, "arp_requests_tx", "ARP requests sent (resolution, refresh, gratuitous)") \
	X(ARP_REPLY_RX, "arp_replies_rx", "ARP replies learned")		\
	X(ARP_FAILED, "arp_failed", "next hops that did not answer ARP")	\
	X(ARP_CONFLICT, "arp_conflict", "ARP from another host claiming our address") \
	X(ICMP_ECHO_RX, "icmp_echo_rx", "echo requests answered")		\
	X(ICMP_UNREACH_TX, "icmp_unreach_tx", "port unreachable sent")		\
	X(ICMP_UNREACH_LIMITED, "icmp_unreach_limited", "port unreachable not sent: rate limit") \
	X(IGMP_QUERY_RX, "igmp_queries_rx", "IGMP queries received")		\
	X(IGMP_REPORT_TX, "igmp_reports_tx", "IGMP membership reports and leaves sent") \
	X(IGMP_OTHER_RX, "igmp_other_rx", "IGMP reports and leaves of other hosts (ignored)") \
	X(DROP_NOT_OURS, "drop_not_ours", "not addressed to us (MAC or IPv4)")	\
	X(DROP_RUNT, "drop_runt", "shorter than its headers")			\
	X(DROP_VLAN, "drop_vlan", "VLAN tag with a VLAN id (priority tags are taken)") \
	X(DROP_PROTO, "drop_proto", "ethertype or IP protocol kite-net does not speak") \
	X(DROP_IP_HDR, "drop_ip_hdr", "IPv4 version or header length wrong")	\
	X(DROP_IP_OPTIONS, "drop_ip_options", "IPv4 options (not taken)")	\
	X(DROP_IP_LEN, "drop_ip_len", "IPv4 total length does not fit the frame") \
	X(DROP_IP_CSUM, "drop_ip_csum", "IPv4 header checksum wrong")		\
	X(DROP_IP_SRC, "drop_ip_src", "source address cannot be answered (0, broadcast, multicast, ours)") \
	X(DROP_FRAGMENT, "drop_fragment", "IPv4 fragment (no reassembly)")	\
	X(DROP_UDP_LEN, "drop_udp_len", "UDP length below 8 or beyond the IP payload") \
	X(DROP_UDP_CSUM, "drop_udp_csum", "UDP checksum wrong")			\
	X(DROP_NO_PORT, "drop_no_port", "UDP to a port no socket has")		\
	X(DROP_SOCK_FULL, "drop_sock_full", "socket's backlog full")		\
	X(DROP_ICMP, "drop_icmp", "ICMP malformed, bad checksum, or not an echo request") \
	X(DROP_ARP, "drop_arp", "ARP malformed, or not for us")			\
	X(DROP_IGMP, "drop_igmp", "IGMP malformed or bad checksum")		\
	X(TX_NO_ARP, "tx_no_arp", "sends refused: next hop not resolved")	\
	X(TX_FULL, "tx_full", "sends refused: TX ring or buffers full")

enum kn_stat {
#define KN_STAT_ENUM(id, name, help) KN_##id,
	KN_STATS(KN_STAT_ENUM)
#undef KN_STAT_ENUM
	KN_STAT_COUNT
};

/** \brief Name ("drop_ip_csum") and description of counter i; NULL past the end. */
const char *kn_stat_name(unsigned int i);
const char *kn_stat_help(unsigned int i);

/* ---- interface ---------------------------------------------------------- */
struct kn_if_conf {
	struct kite_dev *dev;
	unsigned int port;		/**< card port */
	unsigned int queue;		/**< its queue; becomes the port's default queue */
	struct kite_pool *pool;		/**< RX buffers of that queue, TX of large replies */
	uint32_t addr;			/**< our IPv4 address */
	unsigned int prefix_len;	/**< 1..30 */
	uint32_t gateway;		/**< next hop off the subnet; 0: none */
	unsigned int mtu;		/**< IP MTU; 0: the port's (kite_link) */
	/**
	 * Counters in this file (created, mode 0644) for kite-stat --net; NULL:
	 * in memory only. Removed by kn_if_close.
	 */
	const char *stats_path;
	/** Time source for ARP and IGMP timers (tests); NULL: CLOCK_MONOTONIC. */
	uint64_t (*clock_ns)(void *arg);
	void *clock_arg;
};

/**
 * \brief Open an interface: claim conf->queue, make it the port's default,
 * announce our address (gratuitous ARP).
 * \return 0, -EINVAL (the message names the field), or a libkite error.
 */
int kn_if_open(const struct kn_if_conf *conf, struct kn_if **out);
/** \brief Close every socket of the interface, leave its groups, free it. */
void kn_if_close(struct kn_if *ifp);
/**
 * \brief Answer what arrived on the interface queue (ARP, ping, IGMP
 * queries, port unreachable), hand datagrams it holds to their sockets, run
 * ARP retries and IGMP reports that are due. \return frames handled.
 */
int kn_poll(struct kn_if *ifp);
/** \brief The interface's MAC (the port's P_MAC). */
void kn_if_mac(const struct kn_if *ifp, uint8_t mac[6]);
/** \brief Copy up to n counters (indexed by enum kn_stat). \return how many. */
unsigned int kn_if_stats(const struct kn_if *ifp, uint64_t *out, unsigned int n);

/**
 * \brief Start resolving addr's next hop now (an application that knows
 * its peers resolves them before the first send).
 * \return 0 resolved, -EAGAIN in progress, -EHOSTUNREACH (no answer),
 * -ENETUNREACH (off-subnet, no gateway).
 */
int kn_arp_resolve(struct kn_if *ifp, uint32_t addr);

/* ---- UDP sockets -------------------------------------------------------- */
struct kn_udp_conf {
	uint16_t port;			/**< local port, 1..65535 */
	/** a queue of its own (a filter on port steers to it); negative: none,
	 * datagrams come through the interface queue (slower; no filter used) */
	int queue;
	struct kite_pool *pool;		/**< its RX buffers and large sends; NULL: the interface's */
	unsigned int ring_size;		/**< its RX/TX rings; 0: 256 */
	uint8_t ttl;			/**< unicast TTL; 0: 64 */
	uint8_t mcast_ttl;		/**< multicast TTL; 0: 1 */
};

/** One received datagram, in place in its frame. */
struct kn_dgram {
	uint8_t *data;			/**< payload (DMA memory; yours until released) */
	uint16_t len;			/**< payload bytes */
	uint16_t src_port;
	uint32_t src_addr;
	uint32_t dst_addr;		/**< our address, a group, or a broadcast */
	uint64_t ts;			/**< card clock (ns) at arrival; 0 none (kite_clock_utc) */
	struct kite_pkt *pkt;		/**< the frame */
};

/**
 * \brief Bind a UDP socket to conf->port.
 * \return 0, -EADDRINUSE (a socket of this interface has the port), -EEXIST
 * (another process steers the port), -EINVAL, or a libkite error.
 */
int kn_udp_open(struct kn_if *ifp, const struct kn_udp_conf *conf, struct kn_udp **out);
/** \brief Leave its groups, remove its filter, close its queue. */
void kn_udp_close(struct kn_udp *s);
/**
 * \brief Up to n datagrams for this socket (checked; bad ones dropped and
 * counted). Each is the application's until kn_udp_release or kn_udp_reply.
 */
uint16_t kn_udp_recv(struct kn_udp *s, struct kn_dgram *d, uint16_t n);
/** \brief Give n received datagrams' frames back. */
void kn_udp_release(struct kn_udp *s, struct kn_dgram *d, uint16_t n);
/**
 * \brief Send len bytes to addr:port (unicast, a group, or a broadcast),
 * header from the socket's template, checksums filled, DF set.
 * \return 0, -EAGAIN (next hop being resolved, or the TX ring full: retry),
 * -EHOSTUNREACH (ARP failed), -ENETUNREACH, -EMSGSIZE (beyond the MTU).
 */
int kn_udp_sendto(struct kn_udp *s, uint32_t addr, uint16_t port, const void *buf, size_t len);
/**
 * \brief Send the first len bytes of d->data (which may have been rewritten)
 * back to the datagram's source, in the same buffer (zero-copy). Consumes d
 * on success; on failure d is still the caller's.
 */
int kn_udp_reply(struct kn_udp *s, struct kn_dgram *d, uint16_t len);
/**
 * \brief Receive datagrams sent to group on this socket's port; announces
 * the membership with IGMP (v3, or v2 when a v2 querier is heard).
 * \return 0, -EINVAL (not a multicast address), -EALREADY, -ENOSPC.
 */
int kn_udp_join(struct kn_udp *s, uint32_t group);
/** \brief Stop receiving group; IGMP leave when no socket has it. */
int kn_udp_leave(struct kn_udp *s, uint32_t group);
/** \brief The socket's queue (for kite_queue_stats), NULL when it has none. */
struct kite_queue *kn_udp_queue(const struct kn_udp *s);

/** \brief The message of the last failed kite-net call on this thread. */
const char *kn_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
