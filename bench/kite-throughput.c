// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-throughput: frames per second app -> model -> app, as ixy measures a
 * forwarder: a few hundred 64-byte frames circulate; each loop receives up to
 * BATCH and sends them straight back (zero-copy): kite_rx_burst +
 * kite_tx_burst on a descriptor queue, or with --stream (contract 1.3)
 * kite_rx_recs + kite_tx_forward_next on a stream queue with TX write-back,
 * the frames forwarded in place out of the ring.
 *   kite-throughput [-d DEV] [-b BATCH] [-t SECONDS] [-c CPU] [--stream] [--json FILE]
 */
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kite/kite.h"

#define IN_FLIGHT 512
#define RUNS 5

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "json", required_argument, NULL, 'j' },
					    { "stream", no_argument, NULL, 's' }, { 0 } };
	struct kite_queue_opts so = { .size = sizeof(so),
				      .flags = KITE_QUEUE_RX_STREAM | KITE_QUEUE_TX_WB };
	const struct kite_rx_rec *rec[64];
	bool stream = false;
	const char *devstr = "emu:/tmp/kite-emu.sock", *json = NULL;
	struct kite_queue_conf qc = { .tx_ring_size = 1024, .rx_ring_size = 1024 };
	struct kite_queue_hw_stats hw;
	struct kite_pkt *pk[IN_FLIGHT];
	unsigned int batch = 32, i, r;
	double mpps[RUNS];
	unsigned long frames = 0;
	double secs = 2, t0, t1;
	struct kite_dev *dev;
	struct kite_pool *pool;
	struct kite_queue *q;
	int c, cpu = -1;
	FILE *j;

	while ((c = getopt_long(argc, argv, "d:b:t:c:", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'b': batch = (unsigned int)atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'j': json = optarg; break;
		case 's': stream = true; break;
		default:
			fprintf(stderr, "usage: kite-throughput [-d DEV] [-b BATCH] [-t SECONDS] "
				"[-c CPU] [--stream] [--json FILE]\n");
			return 2;
		}
	}
	if (batch < 1 || batch > 64)
		batch = 32;
	if (cpu >= 0) {
		cpu_set_t s;

		CPU_ZERO(&s);
		CPU_SET(cpu, &s);
		sched_setaffinity(0, sizeof(s), &s);
	}
	if (kite_open(devstr, &dev) || kite_pool_create(dev, 4096, 2048, &pool)) {
		fprintf(stderr, "kite-throughput: %s\n", kite_last_error());
		return 1;
	}
	qc.rx_pool = stream ? NULL : pool;
	if (kite_queue_open_opts(dev, 0, &qc, stream ? &so : NULL, &q) ||
	    kite_default_queue_set(dev, 0, 0)) {
		fprintf(stderr, "kite-throughput: %s\n", kite_last_error());
		return 1;
	}
	for (i = 0; i < IN_FLIGHT; i++) {
		pk[i] = kite_pkt_alloc(pool);
		memset(pk[i]->data, 0, 64);
		memset(pk[i]->data, 0xff, 6);
		pk[i]->data[12] = 0x88;
		pk[i]->data[13] = 0xb5;
		pk[i]->len = 64;
	}
	for (i = 0; i < IN_FLIGHT; i += kite_tx_burst(q, pk + i, (uint16_t)(IN_FLIGHT - i)))
		;
	/* Timings here are noisy: several intervals, report the median. */
	for (r = 0; r < RUNS; r++) {
		frames = 0;
		t0 = kite_mono_s();
		do {
			for (i = 0; i < 4096; i++) {
				uint16_t n, sent = 0;

				if (stream) {
					n = kite_rx_recs(q, rec, (uint16_t)batch);
					while (sent < n)
						sent += kite_tx_forward_next(q, (uint16_t)(n - sent));
				} else {
					n = kite_rx_burst(q, pk, (uint16_t)batch);
					while (sent < n)
						sent += kite_tx_burst(q, pk + sent, (uint16_t)(n - sent));
				}
				frames += n;
			}
			t1 = kite_mono_s();
		} while (t1 - t0 < secs / RUNS);
		mpps[r] = (double)frames / (t1 - t0) / 1e6;
	}
	qsort(mpps, RUNS, sizeof(double), cmp_double);
	kite_queue_hw_stats(dev, 0, &hw);
	printf("%sbatch %2u: %6.2f Mpps (median of %d runs of %.2f s, range %.2f..%.2f; drops: no "
	       "buffer %llu)\n", stream ? "stream " : "", batch, mpps[RUNS / 2], RUNS, secs / RUNS,
	       mpps[0], mpps[RUNS - 1], (unsigned long long)hw.rx_drop_nobuf);
	if (json && (j = fopen(json, "w"))) {
		fprintf(j, "{\"batch\": %u, \"mpps\": %.3f, \"min\": %.3f, \"max\": %.3f}\n",
			batch, mpps[RUNS / 2], mpps[0], mpps[RUNS - 1]);
		fclose(j);
	}
	kite_close(dev);
	return 0;
}
