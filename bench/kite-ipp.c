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

#include "inproc.h"

int main(int argc, char **argv)
{
	unsigned int batch = argc > 1 ? (unsigned int)atoi(argv[1]) : 32;
	unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000, r, frames = 0;
	struct kite_pkt *pk[64];
	struct inproc ip;
	unsigned int i;

	if (batch < 1 || batch > 64 || inproc_open(&ip, "kite-ipp"))
		return 2;
	for (i = 0; i < batch; i++) {
		pk[i] = kite_pkt_alloc(ip.pool);
		memset(pk[i]->data, 0, 64);
		pk[i]->len = 64;
	}
	kite_tx_burst(ip.q, pk, (uint16_t)batch);
	kite_emu_step(ip.emu);
	for (r = 0; r < rounds; r++) {
		uint16_t n = kite_rx_burst(ip.q, pk, (uint16_t)batch);

		frames += n;
		kite_tx_burst(ip.q, pk, n);
		kite_emu_step(ip.emu);
	}
	printf("frames %lu\n", frames);
	inproc_close(&ip);
	return 0;
}
