// SPDX-License-Identifier: BSD-3-Clause
/*
 * IGMP host side: membership reports when a group is joined (sent twice, a
 * second apart: the robustness variable of RFC 3376 §8.1), leaves when the
 * last socket leaves it, and answers to queries after a random delay within
 * the query's maximum response time. IGMPv3 (RFC 3376) by default, as Linux;
 * IGMPv2 (RFC 2236) for 260 s after a v2 query is heard, IGMPv1 (RFC 1112:
 * v1 reports, no leaves) after a v1 query (RFC 3376 §7.2.1).
 */
#include <errno.h>

#include "net_internal.h"

#define IGMP_QUERY		0x11
#define IGMP_V1_REPORT		0x12
#define IGMP_V2_REPORT		0x16
#define IGMP_V2_LEAVE		0x17
#define IGMP_V3_REPORT		0x22
#define V3_MODE_IS_EXCLUDE	2
#define V3_TO_INCLUDE		3
#define V3_TO_EXCLUDE		4
#define ALL_HOSTS		KN_IP(224, 0, 0, 1)
#define ALL_ROUTERS		KN_IP(224, 0, 0, 2)
#define V3_ROUTERS		KN_IP(224, 0, 0, 22)
#define REPORT_REPEAT_NS	NS_PER_S
#define V2_QUERIER_NS		(260 * NS_PER_S)
#define ROBUSTNESS		2

static struct kn_group *group_find(struct kn_if *ifp, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < KN_MAX_GROUPS; i++)
		if (ifp->groups[i].addr == addr)
			return &ifp->groups[i];
	return NULL;
}

/* One report (or leave) for g in the version the network speaks. */
static void report(struct kn_if *ifp, const struct kn_group *g, uint8_t v3_type, uint64_t now)
{
	uint8_t *f = ifp->txbuf, *ip = f + ETH_HLEN, *m = ip + IP_HLEN + 4, mac[6];
	bool v1 = now < ifp->igmp_v1_until_ns, v2 = v1 || now < ifp->igmp_v2_until_ns;
	uint32_t dst = V3_ROUTERS;
	uint16_t mlen = 16;

	if (v1 && g->leaving)
		return;	/* IGMPv1 has no leave */
	if (v2) {
		dst = g->leaving ? ALL_ROUTERS : g->addr;
		mlen = 8;
		m[0] = v1 ? IGMP_V1_REPORT : g->leaving ? IGMP_V2_LEAVE : IGMP_V2_REPORT;
		m[1] = 0;
		wr16(m + 2, 0);
		wr32(m + 4, g->addr);
	} else {
		m[0] = IGMP_V3_REPORT;
		m[1] = 0;
		wr16(m + 2, 0);
		wr16(m + 4, 0);
		wr16(m + 6, 1);		/* one group record */
		m[8] = v3_type;
		m[9] = 0;		/* no aux data */
		wr16(m + 10, 0);	/* no sources: exclude {} is "all", include {} is "none" */
		wr32(m + 12, g->addr);
	}
	wr16(m + 2, kn_csum_fold(kn_csum_add(0, m, mlen)));
	ip_mcast_mac(dst, mac);
	kn_eth_hdr(ifp, f, mac, ETH_P_IP);
	/* TTL 1, internetwork control, and Router Alert (RFC 2113), which every
	 * IGMPv2/v3 message carries: a 24-byte header */
	kn_ip_hdr(ifp, ip, 0xc0, (uint16_t)(IP_HLEN + 4 + mlen), 1, IPPROTO_IGMP_, dst, false);
	ip[0] = 0x46;
	ip[20] = 0x94;
	ip[21] = 0x04;
	ip[22] = ip[23] = 0;
	wr16(ip + 10, 0);
	wr16(ip + 10, kn_csum_fold(kn_csum_add(0, ip, IP_HLEN + 4)));
	if (kn_if_tx(ifp, f, (uint16_t)(ETH_HLEN + IP_HLEN + 4 + mlen)) == 0)
		kn_count(ifp, KN_IGMP_REPORT_TX);
}

static void schedule(struct kn_if *ifp, struct kn_group *g, uint64_t at)
{
	if (!g->report_at_ns || at < g->report_at_ns)
		g->report_at_ns = at;
	kn_timer_at(ifp, g->report_at_ns);
}

/* unsolicited: now, then once more a second later */
static void announce(struct kn_if *ifp, struct kn_group *g, uint64_t now)
{
	report(ifp, g, g->leaving ? V3_TO_INCLUDE : V3_TO_EXCLUDE, now);
	g->reports_left = ROBUSTNESS - 1;
	g->report_at_ns = 0;
	schedule(ifp, g, now + REPORT_REPEAT_NS);
}

int kn_igmp_join(struct kn_if *ifp, uint32_t group)
{
	struct kn_group *g = group_find(ifp, group);

	if (g && !g->leaving) {
		g->users++;
		return 0;
	}
	if (!g)
		g = group_find(ifp, 0);
	if (!g)
		return kn_err(-ENOSPC, "kn_udp_join: the interface has %d groups already",
			      KN_MAX_GROUPS);
	memset(g, 0, sizeof(*g));
	g->addr = group;
	g->users = 1;
	if (group != ALL_HOSTS)	/* never reported (RFC 3376 §5) */
		announce(ifp, g, kn_now(ifp));
	return 0;
}

void kn_igmp_leave(struct kn_if *ifp, uint32_t group)
{
	struct kn_group *g = group_find(ifp, group);

	if (!g || g->leaving || --g->users)
		return;
	if (group == ALL_HOSTS) {
		g->addr = 0;
		return;
	}
	g->leaving = true;
	announce(ifp, g, kn_now(ifp));
}

void kn_igmp_timers(struct kn_if *ifp, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < KN_MAX_GROUPS; i++) {
		struct kn_group *g = &ifp->groups[i];

		if (!g->addr || !g->report_at_ns)
			continue;
		if (now < g->report_at_ns) {
			kn_timer_at(ifp, g->report_at_ns);
			continue;
		}
		g->report_at_ns = 0;
		if (g->reports_left) {
			report(ifp, g, g->leaving ? V3_TO_INCLUDE : V3_TO_EXCLUDE, now);
			if (--g->reports_left)
				schedule(ifp, g, now + REPORT_REPEAT_NS);
		} else if (!g->leaving) {
			report(ifp, g, V3_MODE_IS_EXCLUDE, now);	/* a query's answer */
		}
		if (g->leaving && !g->reports_left)
			g->addr = 0;
	}
}

/* RFC 3376 §4.1.1: codes from 128 are a floating point number of 1/10 s; in
 * microseconds (at most 3174.4 s: fits 32 bits) */
static uint32_t max_resp_us(uint8_t code, bool v3)
{
	uint32_t tenths = code;

	if (v3 && code >= 128)
		tenths = ((code & 0x0fu) | 0x10u) << ((code >> 4 & 7) + 3);
	if (!tenths && !v3)	/* IGMPv1: 10 s */
		tenths = 100;
	return tenths * 100000u;
}

void kn_igmp_input(struct kn_if *ifp, const uint8_t *f, const struct kn_ip *ip)
{
	uint16_t mlen = (uint16_t)(ip->len - (ip->l4 - ip->off));
	const uint8_t *m = f + ip->l4;
	uint64_t now, window;
	uint32_t group;
	unsigned int i;
	bool v3;

	if (mlen < 8 || (mlen > 8 && mlen < 12) || kn_csum_fold(kn_csum_add(0, m, mlen))) {
		kn_count(ifp, KN_DROP_IGMP);
		return;
	}
	if (m[0] != IGMP_QUERY) {
		/* other hosts' reports: v3 has no suppression, and v2's is optional */
		kn_count(ifp, KN_IGMP_OTHER_RX);
		return;
	}
	kn_count(ifp, KN_IGMP_QUERY_RX);
	now = kn_now(ifp);
	v3 = mlen >= 12;
	if (!v3 && m[1] == 0)
		ifp->igmp_v1_until_ns = now + V2_QUERIER_NS;
	else if (!v3)
		ifp->igmp_v2_until_ns = now + V2_QUERIER_NS;
	group = rd32(m + 4);
	window = max_resp_us(m[1], v3);
	for (i = 0; i < KN_MAX_GROUPS; i++) {
		struct kn_group *g = &ifp->groups[i];

		if (!g->addr || g->leaving || g->addr == ALL_HOSTS || (group && g->addr != group))
			continue;
		ifp->rand = ifp->rand * 6364136223846793005ULL + 1442695040888963407ULL;
		/* uniform over the whole window (RFC 3376 §5.2): 32 random bits scaled */
		schedule(ifp, g, now + 1 + ((ifp->rand >> 32) * window >> 32) * 1000);
	}
}
