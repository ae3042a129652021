// SPDX-License-Identifier: BSD-3-Clause
/*
 * Built by tests/packages.sh against an installed libkite-dev through
 * `pkg-config --cflags --libs kite-net` (kite-net static, libkite shared):
 * an interface on card port 0 and a UDP socket with its own queue.
 */
#include <stdio.h>

#include <kite/net.h>

int main(int argc, char **argv)
{
	struct kn_if_conf ic = { .addr = KN_IP(169, 254, 78, 9), .prefix_len = 16 };
	struct kn_udp_conf uc = { .port = 5000, .queue = 1 };
	struct kite_pool *pool;
	struct kn_udp *s;
	struct kn_if *ifp;
	uint8_t mac[6];

	if (kite_open(argc > 1 ? argv[1] : "emu:/nonexistent", &ic.dev) ||
	    kite_pool_create(ic.dev, 1024, 2048, &pool)) {
		printf("libkite: %s\n", kite_last_error());
		return 1;
	}
	ic.pool = pool;
	if (kn_if_open(&ic, &ifp) || kn_udp_open(ifp, &uc, &s)) {
		printf("kite-net: %s\n", kn_last_error());
		return 1;
	}
	kn_poll(ifp);
	kn_if_mac(ifp, mac);
	printf("kite-net: 169.254.78.9 on port 0, MAC %02x:%02x:%02x:%02x:%02x:%02x, UDP 5000 on "
	       "queue 1; %u counters, the first %s\n", mac[0], mac[1], mac[2], mac[3], mac[4],
	       mac[5], (unsigned int)KN_STAT_COUNT, kn_stat_name(0));
	kn_if_close(ifp);
	kite_close(ic.dev);
	return 0;
}
