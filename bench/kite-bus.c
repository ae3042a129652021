// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-bus: the PCIe transactions one 64-byte round trip costs on each path
 * (descriptor, PIO, and contract 1.3's stream path: direct PIO out, RX
 * stream ring in),
 * as kite-emu accounts them (struct kite_emu_bus), and what they would add up
 * to on a real card: a figure on paper, from per-transaction costs stated
 * below, not a measurement. The model runs in step mode in this thread, so
 * the counts are exact and the same on every run.
 *   kite-bus [ROUND_TRIPS] [--json FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inproc.h"

/*
 * Per-transaction costs on a PCIe Gen3 x8 host, for the projection. The
 * read is measured (Neugebauer et al., "Understanding PCIe performance for
 * end host networking", SIGCOMM 2018: ~0.5 us median for a 64-byte DMA read
 * round trip). The one-way costs are an assumption, not a measurement: half
 * of that round trip each. A write-combined burst after the first pipelines
 * behind it at the link rate (64 B + ~24 B of TLP overhead at ~7.9 GB/s).
 */
#define T_DMA_READ_NS	500.0	/* non-posted: the card waits for the data */
#define T_POSTED_NS	250.0	/* CPU MMIO write reaching the card, or a DMA write reaching memory */
#define T_BURST_NS	11.0	/* each further 64-byte WC burst of one PIO frame */

struct path_cost {
	const char *name;
	double mmio, reads, ahead, writes, rd_bytes, wr_bytes;
	double projected_ns;
};

static double per(uint64_t after, uint64_t before, unsigned long n)
{
	return (double)(after - before) / (double)n;
}

enum path { PATH_DESC, PATH_PIO, PATH_STREAM };

/*
 * On the critical path of a round trip: the app's writes reaching the card
 * (it acts on the last, the doorbell or a direct PIO slot's first line; those
 * before it pipeline at the link rate), every TX-side DMA read, and the RX
 * buffer and completion (or stream record) reaching memory (pipelined posted
 * writes: one cost). The RX descriptor fetch happens when buffers are
 * posted, ahead of the frame; a stream queue has none.
 */
static double project(double mmio, double reads)
{
	return T_POSTED_NS + (mmio > 1 ? (mmio - 1) * T_BURST_NS : 0) + reads * T_DMA_READ_NS +
	       T_POSTED_NS;
}

static int round_trip(struct kite_emu *emu, struct kite_queue *q, struct kite_pool *pool,
		      enum path path)
{
	uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct kite_rx_frame fr;
	struct kite_pkt *p;

	if (path != PATH_DESC) {
		if (kite_pio_send(q, frame, sizeof(frame), 0, 0))
			return -1;
	} else {
		p = kite_pkt_alloc(pool);
		if (!p)
			return -1;
		memcpy(p->data, frame, sizeof(frame));
		p->len = sizeof(frame);
		if (kite_tx_burst(q, &p, 1) != 1)
			return -1;
	}
	kite_emu_step(emu);
	if (path == PATH_STREAM)
		return kite_rx_stream(q, &fr, 1) == 1 ? 0 : -1;
	if (kite_rx_burst(q, &p, 1) != 1)
		return -1;
	kite_pkt_free(p);
	kite_tx_reap(q);
	return 0;
}

static int run(struct kite_emu *emu, unsigned int qid, struct kite_queue *q,
	       struct kite_pool *pool, enum path path, unsigned long n, struct path_cost *c)
{
	struct kite_emu_bus b0, b1;
	unsigned long i;

	kite_emu_bus_counts(emu, qid, &b0);
	for (i = 0; i < n; i++) {
		if (round_trip(emu, q, pool, path))
			return -1;
		if (path == PATH_STREAM)
			kite_tx_reap(q);
	}
	kite_emu_bus_counts(emu, qid, &b1);
	c->mmio = per(b1.mmio_writes, b0.mmio_writes, n);
	c->reads = per(b1.dma_reads, b0.dma_reads, n);
	c->ahead = per(b1.dma_reads_ahead, b0.dma_reads_ahead, n);
	c->writes = per(b1.dma_writes, b0.dma_writes, n);
	c->rd_bytes = per(b1.dma_read_bytes, b0.dma_read_bytes, n);
	c->wr_bytes = per(b1.dma_write_bytes, b0.dma_write_bytes, n);
	c->projected_ns = project(c->mmio, c->reads);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 && argv[1][0] != '-' ? strtoul(argv[1], NULL, 0) : 10000;
	const char *json = argc > 2 && !strcmp(argv[argc - 2], "--json") ? argv[argc - 1] : NULL;
	struct path_cost c[3] = { { .name = "descriptor" }, { .name = "pio" },
				  { .name = "stream" } };
	struct kite_queue_conf sc = { .tx_ring_size = 256 };
	struct kite_queue_opts so = { .size = sizeof(so),
				      .flags = KITE_QUEUE_RX_STREAM | KITE_QUEUE_PIO_DIRECT };
	struct kite_queue *sq;
	struct inproc ip;
	int i;

	if (!n || inproc_open(&ip, "kite-bus"))
		return 2;
	for (i = 0; i < 2; i++)	/* queue 0: a descriptor queue, the port's default */
		if (run(ip.emu, 0, ip.q, ip.pool, (enum path)i, n, &c[i])) {
			fprintf(stderr, "kite-bus: the %s path lost a frame\n", c[i].name);
			return 1;
		}
	/* the stream path: queue 1, direct PIO out and the stream ring in, the port's default */
	if (kite_queue_open_opts(ip.dev, 1, &sc, &so, &sq) ||
	    kite_default_queue_set(ip.dev, 0, 1)) {
		fprintf(stderr, "kite-bus: stream path: %s\n", kite_last_error());
		return 1;
	}
	if (run(ip.emu, 1, sq, NULL, PATH_STREAM, n, &c[2])) {
		fprintf(stderr, "kite-bus: the stream path lost a frame\n");
		return 1;
	}
	printf("PCIe transactions per 64 B round trip (kite-emu's accounting, %lu each)\n", n);
	printf("%-11s %8s %8s %8s %8s %8s %8s %14s\n", "path", "MMIO wr", "DMA rd", "rd ahead",
	       "DMA wr", "rd B", "wr B", "projected ns");
	for (i = 0; i < 3; i++)
		printf("%-11s %8.2f %8.2f %8.2f %8.2f %8.1f %8.1f %14.0f\n", c[i].name, c[i].mmio,
		       c[i].reads, c[i].ahead, c[i].writes, c[i].rd_bytes, c[i].wr_bytes,
		       c[i].projected_ns);
	printf("projected: a real Gen3 x8 card's PCIe part of the round trip, on paper (DMA read "
	       "%.0f ns, posted write %.0f ns; no MAC, PHY or wire)\n", T_DMA_READ_NS, T_POSTED_NS);
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f)
			return 1;
		fprintf(f, "{\"round_trips\": %lu, \"paths\": [", n);
		for (i = 0; i < 3; i++)
			fprintf(f, "%s{\"path\": \"%s\", \"mmio_writes\": %.3f, \"dma_reads\": %.3f, "
				"\"dma_reads_ahead\": %.3f, \"dma_writes\": %.3f, \"projected_ns\": %.0f}",
				i ? ", " : "", c[i].name, c[i].mmio, c[i].reads, c[i].ahead,
				c[i].writes, c[i].projected_ns);
		fprintf(f, "]}\n");
		fclose(f);
	}
	inproc_close(&ip);
	return 0;
}
