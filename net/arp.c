// SPDX-License-Identifier: BSD-3-Clause
/*
 * ARP (RFC 826): answer requests for our address, resolve next hops into a
 * bounded cache with retries and timeouts. A frame is never sent to a MAC
 * the cache does not hold: an unresolved next hop is refused with -EAGAIN
 * (resolving) or -EHOSTUNREACH (it did not answer), and the caller retries.
 *
 * Entry life: INCOMPLETE (requests every second, 3 tries) -> REACHABLE
 * (30 s) -> STALE (still used; the next use probes it) -> PROBE (3 tries)
 * -> REACHABLE again, or FAILED (refused for 5 s, then forgotten).
 */
#include <errno.h>

#include "net_internal.h"

#define ARP_LEN		28
#define ARP_REACHABLE_NS	(30 * NS_PER_S)
#define ARP_RETRY_NS		NS_PER_S
#define ARP_TRIES		3
#define ARP_FAILED_NS		(5 * NS_PER_S)

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static unsigned int slot_of(uint32_t addr)
{
	return (addr * 2654435761u) >> 24 & (KN_ARP_SLOTS - 1);	/* Knuth's multiplicative hash */
}

static struct kn_arp_entry *arp_find(struct kn_if *ifp, uint32_t addr)
{
	unsigned int h = slot_of(addr), i;

	for (i = 0; i < KN_ARP_PROBES; i++) {
		struct kn_arp_entry *e = &ifp->arp[(h + i) & (KN_ARP_SLOTS - 1)];

		if (e->state != ARP_FREE && e->addr == addr)
			return e;
	}
	return NULL;
}

/* A slot for a new entry: a free one near its hash, else the one least worth keeping. */
static struct kn_arp_entry *arp_new(struct kn_if *ifp, uint32_t addr)
{
	unsigned int h = slot_of(addr), i;
	struct kn_arp_entry *victim = NULL;

	for (i = 0; i < KN_ARP_PROBES; i++) {
		struct kn_arp_entry *e = &ifp->arp[(h + i) & (KN_ARP_SLOTS - 1)];

		if (e->state == ARP_FREE) {
			victim = e;
			break;
		}
		/* FAILED first, then the entry that became fresh longest ago */
		if (!victim || (e->state == ARP_FAILED && victim->state != ARP_FAILED) ||
		    (victim->state != ARP_FAILED && e->until_ns < victim->until_ns))
			victim = e;
	}
	memset(victim, 0, sizeof(*victim));
	victim->addr = addr;
	ifp->arp_gen++;	/* an entry a socket cached may have been evicted */
	return victim;
}

static void arp_send(struct kn_if *ifp, uint16_t op, const uint8_t *dst_mac,
		     const uint8_t *tha, uint32_t tpa)
{
	uint8_t *f = ifp->txbuf, *a = f + ETH_HLEN;

	kn_eth_hdr(ifp, f, dst_mac, ETH_P_ARP);
	wr16(a, 1);		/* Ethernet */
	wr16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, ifp->mac, 6);
	wr32(a + 14, ifp->addr);
	memcpy(a + 18, tha, 6);
	wr32(a + 24, tpa);
	if (kn_if_tx(ifp, f, ETH_HLEN + ARP_LEN) == 0)
		kn_count(ifp, op == 1 ? KN_ARP_REQ_TX : KN_ARP_REPLY_TX);
}

/* a request for e's address: broadcast, or unicast to the MAC it had (a probe) */
static void arp_request(struct kn_if *ifp, struct kn_arp_entry *e, uint64_t now)
{
	static const uint8_t zero[6];

	arp_send(ifp, 1, e->state == ARP_PROBE ? e->mac : bcast_mac, zero, e->addr);
	e->tries++;
	e->next_try_ns = now + ARP_RETRY_NS;
	kn_timer_at(ifp, e->next_try_ns);
}

void kn_arp_announce(struct kn_if *ifp)
{
	static const uint8_t zero[6];

	arp_send(ifp, 1, bcast_mac, zero, ifp->addr);	/* gratuitous: who-has ourselves */
}

int kn_arp_lookup(struct kn_if *ifp, uint32_t hop, uint8_t mac[6])
{
	struct kn_arp_entry *e = arp_find(ifp, hop);

	if (e && e->state == ARP_FAILED)
		return kn_err(-EHOSTUNREACH, "kite-net: %u.%u.%u.%u did not answer ARP",
			      hop >> 24, hop >> 16 & 0xff, hop >> 8 & 0xff, hop & 0xff);
	if (e && e->state != ARP_INCOMPLETE) {
		if (e->state == ARP_STALE) {	/* used again: make sure it is still there */
			e->state = ARP_PROBE;
			e->tries = 0;
			arp_request(ifp, e, kn_now(ifp));
		}
		memcpy(mac, e->mac, 6);
		return 0;
	}
	if (!e) {
		e = arp_new(ifp, hop);
		e->state = ARP_INCOMPLETE;
		arp_request(ifp, e, kn_now(ifp));
	}
	kn_count(ifp, KN_TX_NO_ARP);
	return kn_err_resolving(hop);
}

void kn_arp_timers(struct kn_if *ifp, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < KN_ARP_SLOTS; i++) {
		struct kn_arp_entry *e = &ifp->arp[i];

		switch (e->state) {
		case ARP_REACHABLE:
			if (now >= e->until_ns) {
				e->state = ARP_STALE;
				ifp->arp_gen++;	/* sockets look again, which probes it */
			} else {
				kn_timer_at(ifp, e->until_ns);
			}
			break;
		case ARP_INCOMPLETE:
		case ARP_PROBE:
			if (now < e->next_try_ns) {
				kn_timer_at(ifp, e->next_try_ns);
			} else if (e->tries >= ARP_TRIES) {
				e->state = ARP_FAILED;
				e->until_ns = now + ARP_FAILED_NS;
				kn_timer_at(ifp, e->until_ns);
				ifp->arp_gen++;
				kn_count(ifp, KN_ARP_FAILED);
			} else {
				arp_request(ifp, e, now);
			}
			break;
		case ARP_FAILED:
			if (now >= e->until_ns)
				e->state = ARP_FREE;
			else
				kn_timer_at(ifp, e->until_ns);
			break;
		default:
			break;
		}
	}
}

static void arp_learn(struct kn_if *ifp, struct kn_arp_entry *e, const uint8_t *mac)
{
	uint64_t now = kn_now(ifp);

	if (e->state != ARP_REACHABLE || memcmp(e->mac, mac, 6))
		ifp->arp_gen++;
	memcpy(e->mac, mac, 6);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->until_ns = now + ARP_REACHABLE_NS;
	kn_timer_at(ifp, e->until_ns);
}

void kn_arp_input(struct kn_if *ifp, const uint8_t *f, uint16_t len, uint16_t off)
{
	const uint8_t *a = f + off, *sha;
	struct kn_arp_entry *e;
	uint32_t spa, tpa;
	uint16_t op;

	if (len < off + ARP_LEN || rd16(a) != 1 || rd16(a + 2) != ETH_P_IP || a[4] != 6 ||
	    a[5] != 4) {
		kn_count(ifp, KN_DROP_ARP);
		return;
	}
	op = rd16(a + 6);
	sha = a + 8;
	spa = rd32(a + 14);
	tpa = rd32(a + 24);
	if ((op != 1 && op != 2) || mac_is_multicast(sha) || !memcmp(sha, "\0\0\0\0\0\0", 6) ||
	    mac_is_multicast(f + 6)) {
		kn_count(ifp, KN_DROP_ARP);
		return;
	}
	if (memcmp(f, ifp->mac, 6) && memcmp(f, bcast_mac, 6)) {
		kn_count(ifp, KN_DROP_NOT_OURS);	/* another host's unicast ARP */
		return;
	}
	if (spa == ifp->addr) {
		kn_count(ifp, KN_ARP_CONFLICT);
		return;
	}
	/* RFC 826: update the sender if we know it; add it if it asked us */
	e = spa && kn_src_answerable(ifp, spa) ? arp_find(ifp, spa) : NULL;
	if (e)
		arp_learn(ifp, e, sha);
	if (tpa != ifp->addr) {
		kn_count(ifp, KN_DROP_NOT_OURS);
		return;
	}
	if (op == 2) {	/* a reply only updates an entry we have (no unsolicited ones) */
		kn_count(ifp, KN_ARP_REPLY_RX);
		return;
	}
	if (spa && !kn_src_answerable(ifp, spa)) {	/* a martian asks (a probe's 0 may) */
		kn_count(ifp, KN_DROP_ARP);
		return;
	}
	if (!e && spa && !((spa ^ ifp->addr) & ifp->mask))
		arp_learn(ifp, arp_new(ifp, spa), sha);
	kn_count(ifp, KN_ARP_REQ_RX);
	arp_send(ifp, 2, sha, sha, spa);	/* to the asker (an address probe's spa is 0) */
}
