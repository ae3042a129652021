// SPDX-License-Identifier: BSD-3-Clause
/*
 * e2e_client: an application process for tests/e2e.sh, run against a kite-emu
 * daemon in another process.
 *   traffic DEV Q N BATCH   send N frames in bursts of BATCH through queue Q,
 *                           steered back by a DST_MAC filter; byte-exact check
 *   hog DEV Q               keep queue Q busy until killed (prints "ready")
 *   hog-fork DEV Q          the same, with a forked child holding the device
 *                           (its files and mappings) for 60 s
 *   expect-busy DEV Q       opening Q must fail with EBUSY
 *   check-idle DEV Q        Q's counters are still and Q can be opened again
 *   udp DEV Q N PORT        send N UDP frames to 169.254.0.2:PORT from queue Q
 *   open DEV [UID]          open (as UID), map DMA memory, start a queue; print
 *                           what happened (the VFIO guest's checks)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int traffic(const char *devstr, unsigned int qid, unsigned long n, unsigned int batch,
		   int forever)
{
	uint64_t mac, seq = 0, expect = 0;
	struct kite_queue *q = open_queue(devstr, qid, &mac);
	struct kite_pkt *pk[64];

	while (forever || seq < n) {
		unsigned int i, got = 0, sent = 0;
		double deadline = now_s() + STALL_S;

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
			if (now_s() > deadline)
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
			if (!k && now_s() > deadline)
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
		double deadline = now_s() + STALL_S;

		if (!p)
			DIE("pool empty");
		udp_fill(p->data, 120, 0x02e2e0000000ULL, 0xa9fe0002, port, i);
		p->len = 120;
		while (kite_tx_burst(q, &p, 1) == 0)
			if (now_s() > deadline)
				DIE("TX ring stayed full");
	}
	for (double end = now_s() + STALL_S; kite_pool_avail(pool) + 64 < 512; kite_tx_reap(q))
		if (now_s() > end)
			DIE("TX completions missing");	/* all sent before we close */
	printf("sent %lu UDP frames to port %u\n", n, port);
	kite_close(dev);
	return 0;
}

static int open_as(const char *devstr, int uid)
{
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_dev_info in;
	struct kite_queue *q;

	if (uid >= 0 && (setgid((gid_t)uid) || setuid((uid_t)uid)))
		DIE("cannot become uid %d", uid);
	if (kite_open(devstr, &dev) || kite_dev_info(dev, &in))
		DIE("open: %s", kite_last_error());
	printf("open: %s backend, contract v%u.%u\n", in.backend, in.version_major,
	       in.version_minor);
	if (kite_pool_create(dev, 2048, 2048, &pool))
		DIE("pool: %s", kite_last_error());
	printf("pool: 4 MiB mapped for DMA\n");
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
	if (argc == 4 && !strcmp(argv[1], "expect-busy"))
		return expect_busy(argv[2], (unsigned int)atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "check-idle"))
		return check_idle(argv[2], (unsigned int)atoi(argv[3]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "open"))
		return open_as(argv[2], argc == 4 ? atoi(argv[3]) : -1);
	if (argc == 6 && !strcmp(argv[1], "udp"))
		return send_udp(argv[2], (unsigned int)atoi(argv[3]), strtoul(argv[4], NULL, 0),
				(uint16_t)atoi(argv[5]));
	fprintf(stderr, "usage: e2e_client traffic DEV Q N BATCH | hog[-fork] DEV Q | expect-busy DEV Q "
		"| check-idle DEV Q | udp DEV Q N PORT | open DEV [UID]\n");
	return 2;
}
