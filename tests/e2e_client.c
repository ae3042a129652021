// SPDX-License-Identifier: BSD-3-Clause
/*
 * e2e_client: an application process for tests/e2e.sh, run against a kite-emu
 * daemon in another process.
 *   traffic DEV Q N BATCH   send N frames in bursts of BATCH through queue Q,
 *                           steered back by a DST_MAC filter; byte-exact check
 *   hog DEV Q               keep queue Q busy until killed (prints "ready")
 *   hog-fork DEV Q          the same, with a forked child holding the device
 *                           (its files and mappings) for 60 s
 *   stream DEV Q N          contract 1.3's fast path on queue Q: N frames out by
 *                           descriptors and by direct PIO, back into Q's RX
 *                           stream ring (a DST_MAC filter), byte-exact, with
 *                           TX write-back
 *   stream-hog DEV Q        the same until killed (prints "ready")
 *   expect-busy DEV Q       opening Q must fail with EBUSY
 *   check-idle DEV Q        Q's counters are still and Q can be opened again
 *   udp DEV Q N PORT        send N UDP frames to 169.254.0.2:PORT from queue Q
 *   listen DEV Q N PORT     steer UDP PORT to queue Q (prints "ready"), receive
 *                           N frames to that port, byte-exact, and no more
 *   churn DEV Q N           N times: add a MAC filter, send one frame to it and
 *                           receive it, delete the filter (several run at once:
 *                           concurrent commits must not lose a filter)
 *   open DEV [UID]          open (as UID), map DMA memory, start a queue; print
 *                           what happened (the VFIO guest's checks)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "kite/hw.h"
#include "kite/kite.h"

#define DIE(...) do { fprintf(stderr, "e2e_client: " __VA_ARGS__); fputc('\n', stderr); \
		      exit(1); } while (0)

static struct kite_dev *dev;
static struct kite_pool *pool;
static int fork_holder;	/* hog-fork */

static struct kite_queue *open_queue(const char *devstr, unsigned int qid, uint64_t *mac)
{
	struct kite_queue_conf c = { .tx_ring_size = 256, .rx_ring_size = 256 };
	struct kite_filter f = { .type = KITE_FILTER_DST_MAC, .queue = qid };
	struct kite_queue *q;

	if (kite_open(devstr, &dev) || kite_pool_create(dev, 2048, 2048, &pool))
		DIE("%s", kite_last_error());
	c.rx_pool = pool;
	if (kite_queue_open(dev, qid, &c, &q))
		DIE("%s", kite_last_error());
	*mac = 0x02e2e0000000ULL | qid;	/* one MAC per queue keeps clients apart */
	f.key = *mac;
	if (kite_filter_add(dev, &f) < 0)
		DIE("%s", kite_last_error());
	return q;
}

/* How long the device may make no progress before we call frames lost: long,
 * because a loaded CI host running ASan builds side by side is slow, and a
 * real loss still shows up, only later. */
#define STALL_S 60

static int traffic(const char *devstr, unsigned int qid, unsigned long n, unsigned int batch,
		   int forever)
{
	uint64_t mac, seq = 0, expect = 0;
	struct kite_queue *q = open_queue(devstr, qid, &mac);
	struct kite_pkt *pk[64];

	while (forever || seq < n) {
		unsigned int i, got = 0, sent = 0;
		double deadline = kite_mono_s() + STALL_S;

		for (i = 0; i < batch; i++) {
			uint16_t len = (uint16_t)(64 + (seq + i) * 37 % 1400);

			pk[i] = kite_pkt_alloc(pool);
			if (!pk[i])
				DIE("pool empty");
			frame_fill(pk[i]->data, len, mac, mac, seq + i);
			pk[i]->len = len;
		}
		while (sent < batch) {
			sent += kite_tx_burst(q, pk + sent, (uint16_t)(batch - sent));
			if (kite_mono_s() > deadline)
				DIE("TX ring stayed full");
		}
		seq += batch;
		while (got < batch) {
			uint16_t k = kite_rx_burst(q, pk, 64);

			for (i = 0; i < k; i++) {
				if (!frame_check(pk[i]->data, pk[i]->len, expect))
					DIE("queue %u: frame %llu corrupt", qid,
					    (unsigned long long)expect);
				expect++;
				kite_pkt_free(pk[i]);
			}
			got += k;
			if (!k && kite_mono_s() > deadline)
				DIE("queue %u: frames lost after %llu", qid,
				    (unsigned long long)expect);
		}
		if (forever && seq == batch) {
			if (fork_holder && fork() == 0) {
				sleep(60);	/* holds what the parent had open */
				_exit(0);
			}
			printf("ready\n");
			fflush(stdout);
		}
	}
	printf("queue %u: %llu frames ok\n", qid, (unsigned long long)expect);
	kite_close(dev);
	return 0;
}

/*
 * Wait for one frame in the stream ring: the next of seq, whole. Read as a
 * frame (kite_rx_stream) or, for odd seq, as a record (kite_rx_recs).
 */
static void stream_expect(struct kite_queue *q, unsigned int qid, uint64_t seq)
{
	double deadline = kite_mono_s() + STALL_S;
	const struct kite_rx_rec *r;
	struct kite_rx_frame fr;

	while ((seq & 1 ? kite_rx_recs(q, &r, 1) : kite_rx_stream(q, &fr, 1)) == 0)
		if (kite_mono_s() > deadline)
			DIE("queue %u: stream frame %llu lost", qid, (unsigned long long)seq);
	if (seq & 1)
		fr = (struct kite_rx_frame){ .data = kite_rx_rec_data(r), .len = r->len };
	if (!frame_check(fr.data, fr.len, seq))
		DIE("queue %u: stream frame %llu corrupt (len %u)", qid, (unsigned long long)seq,
		    fr.len);
}

static int stream(const char *devstr, unsigned int qid, unsigned long n, int forever)
{
	struct kite_queue_conf c = { .tx_ring_size = 256 };
	struct kite_queue_opts o = { .size = sizeof(o), .rx_stream_bytes = 1 << 16,
				     .flags = KITE_QUEUE_RX_STREAM | KITE_QUEUE_PIO_DIRECT |
					      KITE_QUEUE_TX_WB };
	struct kite_filter f = { .type = KITE_FILTER_DST_MAC, .queue = qid };
	uint64_t mac = 0x02e2e0000000ULL | qid, seq;
	struct kite_queue *q;
	uint8_t buf[KITE_PIO_MAX_FRAME];

	if (kite_open(devstr, &dev) || kite_pool_create(dev, 512, 2048, &pool) ||
	    kite_queue_open_opts(dev, qid, &c, &o, &q))
		DIE("%s", kite_last_error());
	f.key = mac;
	if (kite_filter_add(dev, &f) < 0)
		DIE("%s", kite_last_error());
	for (seq = 0; forever || seq < n; seq++) {
		/* a small ring (64 KiB) wraps every few hundred frames */
		uint16_t len = (uint16_t)(seq % 2 ? 60 + seq * 7 % 180 : 64 + seq * 37 % 1400);
		double deadline = kite_mono_s() + STALL_S;

		if (seq % 2) {	/* direct PIO: no doorbell */
			frame_fill(buf, len, mac, mac, seq);
			while (kite_pio_send(q, buf, len, 0, seq) == -EAGAIN)
				if (kite_mono_s() > deadline)
					DIE("PIO slots stayed busy");
		} else {
			struct kite_pkt *p = kite_pkt_alloc(pool);

			if (!p)
				DIE("pool empty");
			frame_fill(p->data, len, mac, mac, seq);
			p->len = len;
			while (kite_tx_burst(q, &p, 1) == 0)
				if (kite_mono_s() > deadline)
					DIE("TX ring stayed full");
		}
		stream_expect(q, qid, seq);
		if (forever && seq == 100) {
			printf("ready\n");
			fflush(stdout);
		}
	}
	printf("queue %u: %lu stream frames ok\n", qid, n);
	kite_close(dev);
	return 0;
}

static int expect_busy(const char *devstr, unsigned int qid)
{
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_queue *q;
	int err;

	if (kite_open(devstr, &dev) || kite_pool_create(dev, 128, 2048, &pool))
		DIE("%s", kite_last_error());
	c.rx_pool = pool;
	err = kite_queue_open(dev, qid, &c, &q);
	if (err != -EBUSY)
		DIE("opening queue %u gave %d, expected -EBUSY", qid, err);
	printf("queue %u busy: %s\n", qid, kite_last_error());
	kite_close(dev);
	return 0;
}

static int check_idle(const char *devstr, unsigned int qid)
{
	struct kite_queue_hw_stats a, b;

	if (kite_open(devstr, &dev))
		DIE("%s", kite_last_error());
	if (kite_queue_hw_stats(dev, qid, &a))
		DIE("%s", kite_last_error());
	usleep(200000);
	kite_queue_hw_stats(dev, qid, &b);
	if (a.tx_pkts != b.tx_pkts || a.rx_pkts != b.rx_pkts)
		DIE("queue %u still moving frames after its owner died", qid);
	if (a.tx_pkts == 0)
		DIE("queue %u never moved a frame: the test proves nothing", qid);
	kite_close(dev);
	return traffic(devstr, qid, 1000, 16, 0);
}

static int send_udp(const char *devstr, unsigned int qid, unsigned long n, uint16_t port)
{
	struct kite_queue_conf c = { .tx_ring_size = 256, .rx_ring_size = 64 };
	struct kite_queue *q;
	unsigned long i;

	if (kite_open(devstr, &dev) || kite_pool_create(dev, 512, 2048, &pool))
		DIE("%s", kite_last_error());
	c.rx_pool = pool;
	if (kite_queue_open(dev, qid, &c, &q))
		DIE("%s", kite_last_error());
	for (i = 0; i < n; i++) {
		struct kite_pkt *p = kite_pkt_alloc(pool);
		double deadline = kite_mono_s() + STALL_S;

		if (!p)
			DIE("pool empty");
		udp_fill(p->data, 120, 0x02e2e0000000ULL, 0xa9fe0002, port, i);
		p->len = 120;
		while (kite_tx_burst(q, &p, 1) == 0)
			if (kite_mono_s() > deadline)
				DIE("TX ring stayed full");
	}
	for (double end = kite_mono_s() + STALL_S; kite_pool_avail(pool) + 64 < 512; kite_tx_reap(q))
		if (kite_mono_s() > end)
			DIE("TX completions missing");	/* all sent before we close */
	printf("sent %lu UDP frames to port %u\n", n, port);
	kite_close(dev);
	return 0;
}

/* Filters come and go while other processes commit theirs: each must take effect. */
static int churn(const char *devstr, unsigned int qid, unsigned long n)
{
	struct kite_filter f = { .type = KITE_FILTER_DST_MAC, .queue = qid };
	uint64_t mac;
	struct kite_queue *q = open_queue(devstr, qid, &mac);
	struct kite_pkt *p;
	unsigned long i;
	int idx;

	f.key = mac + 0x100;	/* not open_queue's own filter */
	for (i = 0; i < n; i++) {
		double deadline = kite_mono_s() + STALL_S;

		idx = kite_filter_add(dev, &f);
		if (idx < 0)
			DIE("%s", kite_last_error());
		p = kite_pkt_alloc(pool);
		frame_fill(p->data, 64, f.key, mac, i);
		p->len = 64;
		while (kite_tx_burst(q, &p, 1) == 0)
			if (kite_mono_s() > deadline)
				DIE("TX ring stayed full");
		while (kite_rx_burst(q, &p, 1) == 0)
			if (kite_mono_s() > deadline)
				DIE("queue %u: round %lu: the frame to filter entry %d never came "
				    "(F_HITS or P_RX_DROP_NOMATCH tell which)", qid, i, idx);
		if (!frame_check(p->data, 64, i))
			DIE("queue %u: round %lu: wrong frame", qid, i);
		kite_pkt_free(p);
		if (kite_filter_del(dev, (unsigned int)idx))
			DIE("%s", kite_last_error());
	}
	printf("queue %u: %lu filters took effect\n", qid, n);
	kite_close(dev);
	return 0;
}

/* An application that owns a UDP flow: whatever else copies it, it gets every frame. */
static int listen_udp(const char *devstr, unsigned int qid, unsigned long n, uint16_t port)
{
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 512 };
	struct kite_filter f = { .type = KITE_FILTER_UDP_DST, .queue = qid, .key = port };
	unsigned long got = 0;
	struct kite_queue *q;
	double deadline;

	if (kite_open(devstr, &dev) || kite_pool_create(dev, 1024, 2048, &pool))
		DIE("%s", kite_last_error());
	c.rx_pool = pool;
	if (kite_queue_open(dev, qid, &c, &q) || kite_filter_add(dev, &f) < 0)
		DIE("%s", kite_last_error());
	printf("ready\n");
	fflush(stdout);
	for (deadline = kite_mono_s() + STALL_S; got < n; ) {
		struct kite_pkt *pk[32];
		uint16_t k = kite_rx_burst(q, pk, 32), i;

		for (i = 0; i < k; i++, got++) {
			if (pk[i]->len != 120 ||
			    !udp_check(pk[i]->data, 120, 0x02e2e0000000ULL, 0xa9fe0002, port, got))
				DIE("frame %lu to port %u is not the one sent", got, port);
			kite_pkt_free(pk[i]);
		}
		if (k)
			deadline = kite_mono_s() + STALL_S;
		else if (kite_mono_s() > deadline)
			DIE("received %lu of %lu frames to port %u", got, n, port);
	}
	usleep(200000);		/* and nothing more arrives */
	if (kite_rx_burst(q, (struct kite_pkt *[1]){ NULL }, 1))
		DIE("more than %lu frames to port %u", n, port);
	printf("received %lu UDP frames to port %u\n", got, port);
	kite_close(dev);
	return 0;
}

static int open_as(const char *devstr, int uid)
{
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_dev_info in;
	struct kite_queue *q;
	struct kite_pkt *p;

	if (uid >= 0 && (setgid((gid_t)uid) || setuid((uid_t)uid)))
		DIE("cannot become uid %d", uid);
	if (kite_open(devstr, &dev) || kite_dev_info(dev, &in))
		DIE("open: %s", kite_last_error());
	printf("open: %s backend, contract v%u.%u\n", in.backend, in.version_major,
	       in.version_minor);
	if (kite_pool_create(dev, 2048, 2048, &pool))
		DIE("pool: %s", kite_last_error());
	p = kite_pkt_alloc(pool);	/* where the card sees a buffer, and where we do */
	printf("pool: 4 MiB mapped for DMA; a buffer at IOVA 0x%llx, VA 0x%llx\n",
	       (unsigned long long)p->iova, (unsigned long long)(uintptr_t)p->data);
	kite_pkt_free(p);
	c.rx_pool = pool;
	if (kite_queue_open(dev, 0, &c, &q))
		printf("queue: %s\n", kite_last_error());
	else
		printf("queue: started\n");
	kite_close(dev);
	printf("closed\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "traffic") && argc == 6)
		return traffic(argv[2], (unsigned int)atoi(argv[3]), strtoul(argv[4], NULL, 0),
			       (unsigned int)atoi(argv[5]), 0);
	if (argc == 4 && !strcmp(argv[1], "hog"))
		return traffic(argv[2], (unsigned int)atoi(argv[3]), 0, 32, 1);
	if (argc == 4 && !strcmp(argv[1], "hog-fork")) {
		fork_holder = 1;
		return traffic(argv[2], (unsigned int)atoi(argv[3]), 0, 32, 1);
	}
	if (argc == 5 && !strcmp(argv[1], "stream"))
		return stream(argv[2], (unsigned int)atoi(argv[3]), strtoul(argv[4], NULL, 0), 0);
	if (argc == 4 && !strcmp(argv[1], "stream-hog"))
		return stream(argv[2], (unsigned int)atoi(argv[3]), 0, 1);
	if (argc == 4 && !strcmp(argv[1], "expect-busy"))
		return expect_busy(argv[2], (unsigned int)atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "check-idle"))
		return check_idle(argv[2], (unsigned int)atoi(argv[3]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "open"))
		return open_as(argv[2], argc == 4 ? atoi(argv[3]) : -1);
	if (argc == 5 && !strcmp(argv[1], "churn"))
		return churn(argv[2], (unsigned int)atoi(argv[3]), strtoul(argv[4], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "listen"))
		return listen_udp(argv[2], (unsigned int)atoi(argv[3]), strtoul(argv[4], NULL, 0),
				  (uint16_t)atoi(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "udp"))
		return send_udp(argv[2], (unsigned int)atoi(argv[3]), strtoul(argv[4], NULL, 0),
				(uint16_t)atoi(argv[5]));
	fprintf(stderr, "usage: e2e_client traffic DEV Q N BATCH | hog[-fork] DEV Q | stream DEV Q N "
		"| stream-hog DEV Q | expect-busy DEV Q "
		"| check-idle DEV Q | udp DEV Q N PORT | listen DEV Q N PORT | churn DEV Q N "
		"| open DEV [UID]\n");
	return 2;
}
