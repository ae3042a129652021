// SPDX-License-Identifier: BSD-3-Clause
/*
 * ICMP: echo replies for our own address (not broadcasts or groups, as Linux
 * with icmp_echo_ignore_broadcasts), and port unreachable for datagrams to
 * closed ports, rate-limited. Everything else ICMP is counted and dropped.
 */
#include <errno.h>

#include "net_internal.h"

#define ICMP_HLEN		8
#define ICMP_ECHO_REPLY		0
#define ICMP_UNREACH		3
#define ICMP_PORT_UNREACH	3
#define ICMP_ECHO		8
/* a bucket of 10 messages refilled at 100 a second (GCRA) */
#define UNREACH_COST_NS		(NS_PER_S / 100)
#define UNREACH_BURST_NS	(10 * UNREACH_COST_NS)
/* RFC 1812 §4.3.2.3: the error and what it quotes within 576 bytes */
#define ICMP_ERR_MAX		576

void kn_icmp_input(struct kn_if *ifp, const uint8_t *f, const struct kn_ip *ip)
{
	uint16_t ilen = (uint16_t)(ip->len - (ip->l4 - ip->off));
	const uint8_t *req = f + ip->l4;
	uint8_t *out = ifp->txbuf, *icmp = out + ETH_HLEN + IP_HLEN;

	if (ilen < ICMP_HLEN || kn_csum_fold(kn_csum_add(0, req, ilen)) ||
	    req[0] != ICMP_ECHO || req[1] != 0) {
		kn_count(ifp, KN_DROP_ICMP);
		return;
	}
	if (ip->dst != ifp->addr) {	/* an echo to a broadcast or a group */
		kn_count(ifp, KN_DROP_NOT_OURS);
		return;
	}
	if ((unsigned int)IP_HLEN + ilen > ifp->mtu) {	/* its answer would not fit our MTU */
		kn_count(ifp, KN_DROP_ICMP);
		return;
	}
	kn_eth_hdr(ifp, out, f + 6, ETH_P_IP);
	kn_ip_hdr(ifp, out + ETH_HLEN, f[ip->off + 1], (uint16_t)(IP_HLEN + ilen), 64,
		  IPPROTO_ICMP_, ip->src, false);
	memcpy(icmp, req, ilen);
	icmp[0] = ICMP_ECHO_REPLY;
	wr16(icmp + 2, 0);
	wr16(icmp + 2, kn_csum_fold(kn_csum_add(0, icmp, ilen)));
	if (kn_if_tx(ifp, out, (uint16_t)(ETH_HLEN + IP_HLEN + ilen)) == 0)
		kn_count(ifp, KN_ICMP_ECHO_RX);
}

static bool unreach_allowed(struct kn_if *ifp)
{
	uint64_t now = kn_now(ifp);

	if (ifp->icmp_tokens_ns < now)
		ifp->icmp_tokens_ns = now;
	if (ifp->icmp_tokens_ns + UNREACH_COST_NS - now > UNREACH_BURST_NS)
		return false;
	ifp->icmp_tokens_ns += UNREACH_COST_NS;
	return true;
}

void kn_icmp_port_unreachable(struct kn_if *ifp, const uint8_t *f, const struct kn_ip *ip)
{
	uint16_t quote = ip->len;
	uint8_t *out = ifp->txbuf, *icmp = out + ETH_HLEN + IP_HLEN;

	/* never for a broadcast or a group (RFC 1122 §3.2.2) */
	if (ip->dst != ifp->addr)
		return;
	if (!unreach_allowed(ifp)) {
		kn_count(ifp, KN_ICMP_UNREACH_LIMITED);
		return;
	}
	if (quote > ICMP_ERR_MAX - IP_HLEN - ICMP_HLEN)
		quote = ICMP_ERR_MAX - IP_HLEN - ICMP_HLEN;
	if (quote > ifp->mtu - IP_HLEN - ICMP_HLEN)
		quote = (uint16_t)(ifp->mtu - IP_HLEN - ICMP_HLEN);
	kn_eth_hdr(ifp, out, f + 6, ETH_P_IP);
	kn_ip_hdr(ifp, out + ETH_HLEN, 0xc0, (uint16_t)(IP_HLEN + ICMP_HLEN + quote), 64,
		  IPPROTO_ICMP_, ip->src, false);
	memset(icmp, 0, ICMP_HLEN);
	icmp[0] = ICMP_UNREACH;
	icmp[1] = ICMP_PORT_UNREACH;
	memcpy(icmp + ICMP_HLEN, f + ip->off, quote);
	wr16(icmp + 2, kn_csum_fold(kn_csum_add(0, icmp, ICMP_HLEN + quote)));
	if (kn_if_tx(ifp, out, (uint16_t)(ETH_HLEN + IP_HLEN + ICMP_HLEN + quote)) == 0)
		kn_count(ifp, KN_ICMP_UNREACH_TX);
}
