// SPDX-License-Identifier: BSD-3-Clause
/*
 * The checks every received IPv4 frame passes before kite-net delivers or
 * answers it. Each failure returns the one counter it is dropped under.
 */
#include "net_internal.h"

unsigned int kn_check_eth(const uint8_t *f, uint16_t len, uint16_t *off, uint16_t *type)
{
	if (len < ETH_HLEN)
		return KN_DROP_RUNT;
	*off = ETH_HLEN;
	*type = rd16(f + 12);
	if (*type == ETH_P_8021Q) {	/* a priority tag (VLAN id 0) is taken */
		if (len < ETH_HLEN + 4)
			return KN_DROP_RUNT;
		if (rd16(f + 14) & 0x0fff)
			return KN_DROP_VLAN;
		*type = rd16(f + 16);
		*off += 4;
	}
	return 0;
}

unsigned int kn_check_ipv4(const struct kn_if *ifp, const uint8_t *f, uint16_t len,
			   uint16_t off, uint16_t type, struct kn_ip *ip)
{
	static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t frag, ihl;
	const uint8_t *h;

	ip->off = off;
	if (type != ETH_P_IP)
		return KN_DROP_PROTO;
	if (len < ip->off + IP_HLEN)
		return KN_DROP_RUNT;
	h = f + ip->off;
	ihl = (uint16_t)((h[0] & 0xf) * 4);
	if (h[0] >> 4 != 4 || ihl < IP_HLEN)
		return KN_DROP_IP_HDR;
	ip->len = rd16(h + 2);
	if (ip->len < ihl || ip->len > len - ip->off || ihl > len - ip->off)
		return KN_DROP_IP_LEN;
	if (kn_csum_fold(kn_csum_add(0, h, ihl)))
		return KN_DROP_IP_CSUM;
	frag = rd16(h + 6);
	if (frag & 0x3fff)	/* MF or an offset: a fragment */
		return KN_DROP_FRAGMENT;
	ip->proto = h[9];
	ip->src = rd32(h + 12);
	ip->dst = rd32(h + 16);
	ip->l4 = (uint16_t)(ip->off + ihl);
	ip->dst_group = ip_is_multicast(ip->dst);
	ip->dst_bcast = ip->dst == 0xffffffffu || ip->dst == ifp->bcast;
	/* the MAC must fit the address (RFC 1122 §3.3.6: a unicast datagram
	 * that came as a link-layer broadcast is not ours) */
	if (ip->dst_group) {
		uint8_t m[6];

		ip_mcast_mac(ip->dst, m);
		if (memcmp(f, m, 6))
			return KN_DROP_NOT_OURS;
	} else if (ip->dst_bcast) {
		if (memcmp(f, bcast_mac, 6) && memcmp(f, ifp->mac, 6))
			return KN_DROP_NOT_OURS;
	} else if (ip->dst != ifp->addr || memcmp(f, ifp->mac, 6)) {
		return KN_DROP_NOT_OURS;
	}
	/* queriers may send from 0.0.0.0 (RFC 3376 §4.1.12; the Linux bridge does) */
	if (mac_is_multicast(f + 6) ||
	    (!kn_src_answerable(ifp, ip->src) && !(ip->proto == IPPROTO_IGMP_ && ip->src == 0)))
		return KN_DROP_IP_SRC;
	if (ihl > IP_HLEN && ip->proto != IPPROTO_IGMP_)	/* IGMP carries Router Alert */
		return KN_DROP_IP_OPTIONS;
	return 0;
}

unsigned int kn_check_udp(const uint8_t *f, const struct kn_ip *ip, uint16_t *ulen)
{
	const uint8_t *u = f + ip->l4;
	uint16_t room = (uint16_t)(ip->len - (ip->l4 - ip->off));
	uint64_t sum;

	if (room < UDP_HLEN)
		return KN_DROP_UDP_LEN;
	*ulen = rd16(u + 4);
	if (*ulen < UDP_HLEN || *ulen > room)
		return KN_DROP_UDP_LEN;
	if (rd16(u + 6) == 0)	/* no checksum (allowed in IPv4) */
		return 0;
	sum = kn_csum_pseudo(ip->src, ip->dst, IPPROTO_UDP_, *ulen);
	if (kn_csum_fold(kn_csum_add(sum, u, *ulen)))
		return KN_DROP_UDP_CSUM;
	return 0;
}
