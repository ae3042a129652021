// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-ipp: a deterministic forwarding loop for instruction counts. The model
 * runs in step mode in this thread; valgrind --tool=callgrind counts only the
 * instructions inside kite_rx_burst and kite_tx_burst (bench/run.sh), divided
 * by the frames this prints.
 *   kite-ipp BATCH ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "kite/kite.h"

static void step(void *emu)
{
	kite_emu_step(emu);
}

int main(int argc, char **argv)
{
	unsigned int batch = argc > 1 ? (unsigned int)atoi(argv[1]) : 32;
	unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000, r, frames = 0;
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_LOOPBACK };
	struct kite_queue_conf qc = { .tx_ring_size = 256, .rx_ring_size = 256 };
	struct kite_pkt *pk[64];
	char dir[] = "/tmp/kite-ipp-XXXXXX", sock[64], devstr[80], msg[128];
	struct kite_emu *emu;
	struct kite_dev *dev;
	struct kite_pool *pool;
	struct kite_queue *q;
	unsigned int i;

	if (batch < 1 || batch > 64 || !mkdtemp(dir))
		return 2;
	snprintf(sock, sizeof(sock), "%s/s", dir);
	snprintf(devstr, sizeof(devstr), "emu:%s", sock);
	cfg.socket_path = sock;
	if (kite_emu_create(&cfg, &emu, msg, sizeof(msg)) || kite_emu_serve(emu, msg, sizeof(msg)) ||
	    kite_open(devstr, &dev)) {
		fprintf(stderr, "kite-ipp: %s %s\n", msg, kite_last_error());
		return 1;
	}
	kite_set_wait_hook(dev, step, emu);
	kite_pool_create(dev, 1024, 2048, &pool);
	qc.rx_pool = pool;
	if (kite_queue_open(dev, 0, &qc, &q) || kite_default_queue_set(dev, 0, 0)) {
		fprintf(stderr, "kite-ipp: %s\n", kite_last_error());
		return 1;
	}
	for (i = 0; i < batch; i++) {
		pk[i] = kite_pkt_alloc(pool);
		memset(pk[i]->data, 0, 64);
		pk[i]->len = 64;
	}
	kite_tx_burst(q, pk, (uint16_t)batch);
	kite_emu_step(emu);
	for (r = 0; r < rounds; r++) {
		uint16_t n = kite_rx_burst(q, pk, (uint16_t)batch);

		frames += n;
		kite_tx_burst(q, pk, n);
		kite_emu_step(emu);
	}
	printf("frames %lu\n", frames);
	kite_close(dev);
	kite_emu_destroy(emu);
	rmdir(dir);
	return 0;
}
