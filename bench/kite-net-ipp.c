// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-net-ipp: a deterministic UDP echo for instruction counts. kite-emu
 * runs in this process in step mode with its ports cabled to each other; a
 * client on port 0 sends BATCH datagrams of 22 bytes (64-byte frames) with
 * kn_udp_sendto, a server on port 1 takes them with kn_udp_recv and answers
 * each with kn_udp_reply, the client takes the echoes with kn_udp_recv.
 * bench/net-ipp.sh counts one call's instructions with callgrind and divides
 * by the datagrams this prints.
 *   kite-net-ipp BATCH ROUNDS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "kite/net.h"

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "kite-net-ipp: %s: %s\n", what, msg);
	exit(1);
}

static void step(void *arg)
{
	kite_emu_step(arg);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/kite-net-ipp.XXXXXX", sock[64], devstr[80], msg[256];
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_PAIR };
	struct kn_if_conf ic = { .prefix_len = 24 };
	struct kn_udp_conf uc = { 0 };
	struct kn_dgram d[64];
	struct kn_udp *sa, *sb;
	struct kite_pool *pool;
	struct kn_if *ia, *ib;
	struct kite_emu *emu;
	struct kite_dev *dev;
	unsigned long batch, rounds, r, dgrams = 0;
	uint8_t pay[22] = "kite-net ipp";
	unsigned int i;
	uint16_t n, k, got;
	int err;

	if (argc != 3 || (batch = strtoul(argv[1], NULL, 0)) < 1 || batch > 64 ||
	    !(rounds = strtoul(argv[2], NULL, 0))) {
		fprintf(stderr, "usage: kite-net-ipp BATCH(1..64) ROUNDS\n");
		return 2;
	}
	if (!mkdtemp(dir))
		die("mkdtemp", "failed");
	snprintf(sock, sizeof(sock), "%s/emu.sock", dir);
	snprintf(devstr, sizeof(devstr), "emu:%s", sock);
	cfg.socket_path = sock;
	if (kite_emu_create(&cfg, &emu, msg, sizeof(msg)) || kite_emu_serve(emu, msg, sizeof(msg)))
		die("kite-emu", msg);
	if (kite_open(devstr, &dev) || kite_pool_create(dev, 4096, 2048, &pool))
		die(devstr, kite_last_error());
	kite_set_wait_hook(dev, step, emu);
	ic.dev = dev;
	ic.pool = pool;
	ic.addr = KN_IP(10, 77, 0, 1);
	if (kn_if_open(&ic, &ia))
		die("kn_if_open", kn_last_error());
	ic.port = 1;
	ic.queue = 2;
	ic.addr = KN_IP(10, 77, 0, 2);
	if (kn_if_open(&ic, &ib))
		die("kn_if_open", kn_last_error());
	uc.port = 7000;
	uc.queue = 1;
	if (kn_udp_open(ia, &uc, &sa))
		die("kn_udp_open", kn_last_error());
	uc.port = 7001;
	uc.queue = 3;
	if (kn_udp_open(ib, &uc, &sb))
		die("kn_udp_open", kn_last_error());
	for (i = 0; (err = kn_arp_resolve(ia, ic.addr)) == -EAGAIN && i < 1000; i++) {
		kite_emu_step(emu);
		kn_poll(ia);
		kn_poll(ib);
	}
	if (err)
		die("ARP", kn_last_error());
	for (r = 0; r < rounds; r++) {
		/* -EAGAIN: the other TX path still has frames in flight; the card
		 * (this thread) takes them, then the send is retried */
		for (i = 0; i < batch; i++)
			while ((err = kn_udp_sendto(sa, ic.addr, 7001, pay, sizeof(pay))))
				if (err != -EAGAIN)
					die("kn_udp_sendto", kn_last_error());
				else
					kite_emu_step(emu);
		for (n = 0; n < batch; n = (uint16_t)(n + got)) {
			kite_emu_step(emu);
			got = kn_udp_recv(sb, d, (uint16_t)(batch - n));
			for (k = 0; k < got; k++)
				while ((err = kn_udp_reply(sb, &d[k], d[k].len)))
					if (err != -EAGAIN)
						die("kn_udp_reply", kn_last_error());
					else
						kite_emu_step(emu);
		}
		for (n = 0; n < batch; n = (uint16_t)(n + got)) {
			kite_emu_step(emu);
			got = kn_udp_recv(sa, d, (uint16_t)(batch - n));
			kn_udp_release(sa, d, got);
		}
		dgrams += n;
	}
	printf("datagrams %lu\n", dgrams);
	kn_if_close(ia);
	kn_if_close(ib);
	kite_close(dev);
	kite_emu_destroy(emu);
	rmdir(dir);
	return 0;
}
