// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite against kite-emu in one process, model in step mode: every frame's
 * journey is deterministic. Covers rings wrapping thousands of times, full and
 * empty rings, batch sizes 1..64, multi-queue, filters, PIO, timestamps, link
 * down, reset during traffic, DMA faults, byte-exact payloads.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "emu.h"
#include "harness.h"
#include "lib_fixture.h"
#include "lib_internal.h"
#include "kite/hw.h"
#include "kite/kite.h"

/* ---- device and argument checks ------------------------------------------ */

static void test_open_errors(void **state)
{
	struct kite_dev *d = NULL;

	(void)state;
	assert_int_equal(kite_open(NULL, &d), -EINVAL);
	assert_int_equal(kite_open("bogus", &d), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "unknown device"));
	assert_true(kite_open("emu:/nonexistent/kite.sock", &d) < 0);
	assert_non_null(strstr(kite_last_error(), "cannot connect to kite-emu"));
	/* every message starts with the call that failed, whichever layer said it */
	assert_int_equal(strncmp(kite_last_error(), "kite_open: emu:/nonexistent", 27), 0);
	assert_int_equal(kite_open("/dev/kite-nosuch", &d), -ENOENT);
	assert_non_null(strstr(kite_last_error(), "is kite.ko loaded"));
	assert_int_equal(strncmp(kite_last_error(), "kite_open: /dev/kite-nosuch", 27), 0);
	assert_int_equal(kite_open("0000:7f:1f.7", &d), -ENODEV);
	assert_non_null(strstr(kite_last_error(), "no such PCI device"));
	assert_int_equal(kite_open("0000:7f:1f.7/../x", &d), -EINVAL);
	assert_null(d);
	assert_string_equal(kite_strerror(-EBUSY), "resource in use by another owner");
}

static void test_dev_info(void **state)
{
	struct fx *f = *state;
	struct kite_dev_info in;
	struct kite_link l;

	assert_int_equal(kite_dev_info(f->dev, &in), 0);
	assert_string_equal(in.backend, "emu");
	assert_int_equal(in.version_major, KITE_VERSION_MAJOR);
	assert_int_equal(in.num_ports, 2);
	assert_int_equal(in.num_queues, 16);
	assert_int_equal(in.num_filters, 64);
	assert_int_equal(in.max_ring_size, 1u << 15);
	assert_int_equal(kite_link_get(f->dev, 1, &l), 0);
	assert_true(l.up);
	assert_int_equal(l.speed_gbps, 10);
	assert_int_equal(l.mtu, 1500);
	assert_int_equal(l.mac[0], 0x02);
	assert_int_equal(l.mac[5], 0x01);
	assert_int_equal(kite_link_get(f->dev, 2, &l), -EINVAL);
}

/*
 * The ABI rule (kite.h): an application built against another kite.h passes
 * its own struct sizes. A newer one's output structs get their unknown tail
 * zeroed; its input structs are refused (-E2BIG) when they set a field this
 * libkite does not know; anything smaller than 0.1's struct is -EINVAL.
 */
static void test_abi_struct_sizes(void **state)
{
	struct fx *f = *state;
	struct { struct kite_dev_info i; unsigned char tail[16]; } big;
	struct { struct kite_filter f; unsigned char tail[8]; } newer = {
		.f = { .type = KITE_FILTER_UDP_DST, .port = 0, .queue = 0, .key = 7001 } };
	struct { struct kite_queue_conf c; unsigned char tail[8]; } conf = {
		.c = { .tx_ring_size = 64, .rx_ring_size = 64 } };
	struct kite_queue *q0 = open_q(f, 0, 0, 64, 64), *q1 = NULL;
	struct kite_dev_info in;
	struct kite_link link;
	struct kite_port_stats ps;
	struct kite_clock_update upd;
	struct kite_clock_status st;
	unsigned int i;
	int idx;

	assert_int_equal(kite_dev_info(f->dev, &in), 0);
	memset(&big, 0xa5, sizeof(big));
	assert_int_equal(kite_dev_info_sz(f->dev, &big.i, sizeof(big)), 0);
	assert_memory_equal(&big.i, &in, sizeof(in));
	for (i = 0; i < sizeof(big.tail); i++)
		assert_int_equal(big.tail[i], 0);
	assert_int_equal(kite_dev_info_sz(f->dev, &in, 1u << 20), -E2BIG);	/* a garbage size */
	assert_int_equal(kite_dev_info_sz(f->dev, &in, 8), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "kite_dev_info: struct kite_dev_info of 8 bytes"));
	/* each message names the call the application made, not the previous one */
	assert_int_equal(kite_link_get_sz(f->dev, 0, &link, 8), -EINVAL);
	assert_int_equal(strncmp(kite_last_error(), "kite_link_get: struct kite_link of 8", 36), 0);
	assert_int_equal(kite_port_stats_sz(f->dev, 0, &ps, 8), -EINVAL);
	assert_int_equal(strncmp(kite_last_error(), "kite_port_stats: struct kite_port_stats", 39),
			 0);
	/* an update's reason is defined also when the call fails */
	memset(&upd, 0xa5, sizeof(upd));
	assert_int_equal(kite_clock_servo_update(NULL, &upd), -EINVAL);
	assert_null(upd.why);
	st.size = 8;
	assert_int_equal(kite_clock_status(f->dev, &st), -EINVAL);
	/* a newer application's filter: fine while its new fields are zero */
	idx = kite_filter_add_sz(f->dev, &newer.f, sizeof(newer));
	assert_true(idx >= 0);
	assert_int_equal(kite_filter_del(f->dev, (unsigned int)idx), 0);
	newer.tail[5] = 1;
	assert_int_equal(kite_filter_add_sz(f->dev, &newer.f, sizeof(newer)), -E2BIG);
	assert_non_null(strstr(kite_last_error(), "kite_filter_add: struct kite_filter: the "
			       "application sets byte"));
	assert_non_null(strstr(kite_last_error(), "upgrade libkite"));
	assert_int_equal(kite_filter_copy_sz(f->dev, &newer.f, 4), -EINVAL);
	/* ... and its queue configuration */
	conf.c.rx_pool = f->pool;
	conf.tail[0] = 1;
	assert_int_equal(kite_queue_open_sz(f->dev, 1, &conf.c, &q1, sizeof(conf)), -E2BIG);
	assert_null(q1);
	conf.tail[0] = 0;
	assert_int_equal(kite_queue_open_sz(f->dev, 1, &conf.c, &q1, sizeof(conf)), 0);
	kite_queue_close(q1);
	kite_queue_close(q0);
}

static long hugepages_free(void)
{
	FILE *m = fopen("/proc/meminfo", "r");
	char line[128];
	long n = 0;

	while (m && fgets(line, sizeof(line), m))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	if (m)
		fclose(m);
	return n;
}

static void test_pool(void **state)
{
	struct fx *f = *state;
	struct kite_pool *p;
	struct kite_pkt *a, *b;

	assert_int_equal(kite_pool_create(f->dev, 16, 1000, &p), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "power of two"));
	assert_int_equal(kite_pool_create(f->dev, 0, 2048, &p), -EINVAL);
	bool huge = hugepages_free() > 0;

	assert_int_equal(kite_pool_create(f->dev, 2, 4096, &p), 0);
	/* 2 MiB pages when the system has some free, 4 KiB pages otherwise */
	assert_int_equal(p->nchunks, 1);
	assert_int_equal(p->chunks[0].huge, huge);
	assert_int_equal(p->chunks[0].len, huge ? 2u << 20 : 8192);
	a = kite_pkt_alloc(p);
	b = kite_pkt_alloc(p);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(kite_pkt_alloc(p));
	assert_int_equal(b->iova - a->iova, 4096);
	assert_int_equal(kite_pool_destroy(p), -EBUSY);
	assert_non_null(strstr(kite_last_error(), "still out"));
	kite_pkt_free(a);
	kite_pkt_free(b);
	kite_pkt_free(b);	/* a double free is refused, not a corruption */
	assert_non_null(strstr(kite_last_error(), "double free"));
	assert_int_equal(kite_pool_avail(p), 2);
	assert_int_equal(kite_pool_destroy(p), 0);
	/* 5 MiB of buffers: three chunks, each contiguous for the card */
	assert_int_equal(kite_pool_create(f->dev, 2560, 2048, &p), 0);
	assert_int_equal(p->nchunks, 3);
	assert_int_equal(p->meta[1023].iova + 2048, p->chunks[0].iova + (2u << 20));
	assert_int_equal(p->meta[1024].iova, p->chunks[1].iova);
	assert_int_equal(p->meta[2559].data, (uint8_t *)p->chunks[2].va + 511 * 2048);
	assert_int_equal(kite_pool_destroy(p), 0);
}

/*
 * Buffer ownership with a queue open (its RX ring holds most of the pool, so
 * a full pool can never be what stops a double free): every way of giving a
 * buffer back twice is refused, and the pool never hands one out twice.
 */
static void test_buffer_ownership(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_pkt *a, *b, *x, *y, *twice[2], *rx[4];
	unsigned int avail;

	a = kite_pkt_alloc(f->pool);
	b = kite_pkt_alloc(f->pool);
	avail = kite_pool_avail(f->pool);
	kite_pkt_free(a);
	kite_pkt_free(a);	/* double free */
	assert_non_null(strstr(kite_last_error(), "double free"));
	assert_int_equal(kite_pool_avail(f->pool), avail + 1);
	x = kite_pkt_alloc(f->pool);
	y = kite_pkt_alloc(f->pool);
	assert_ptr_not_equal(x, y);
	kite_pkt_free(x);
	kite_pkt_free(y);

	/* the same packet twice in one burst: the second is refused */
	b->len = 64;
	frame_fill(b->data, 64, MAC0, MAC0, 1);
	twice[0] = twice[1] = b;
	assert_int_equal(kite_tx_burst(q, twice, 2), 1);
	assert_non_null(strstr(kite_last_error(), "not the application's"));
	/* a packet the ring took cannot be freed (nor sent again) */
	avail = kite_pool_avail(f->pool);
	kite_pkt_free(b);
	assert_int_equal(kite_pool_avail(f->pool), avail);
	assert_int_equal(kite_tx_burst(q, &b, 1), 0);
	assert_int_equal(kite_emu_step(f->emu), 1);
	kite_tx_reap(q);
	assert_int_equal(kite_rx_burst(q, rx, 4), 0);	/* no filter, no default: dropped */

	/* len larger than the buffer: refused, not the neighbour's bytes on the wire */
	a = kite_pkt_alloc(f->pool);
	a->len = 4000;
	assert_int_equal(kite_tx_burst(q, &a, 1), 0);
	assert_non_null(strstr(kite_last_error(), "exceeds its buffer size 2048"));
	kite_pkt_free(a);

	/* destroy refuses while a buffer is held, even after a refused double free */
	kite_queue_close(q);
	a = kite_pkt_alloc(f->pool);
	kite_pkt_free(a);
	kite_pkt_free(a);
	b = kite_pkt_alloc(f->pool);
	assert_int_equal(kite_pool_destroy(f->pool), -EBUSY);
	kite_pkt_free(b);
	kite_pkt_free(NULL);	/* ignored */
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/* A packet from another device's pool: its IOVA means nothing on this card. */
static void test_foreign_pool(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_dev *other;
	struct kite_pool *op;
	struct kite_pkt *p;

	assert_int_equal(kite_open(f->devstr, &other), 0);
	assert_int_equal(kite_pool_create(other, 16, 2048, &op), 0);
	p = kite_pkt_alloc(op);
	p->len = 128;
	assert_int_equal(kite_tx_burst(q, &p, 1), 0);
	assert_non_null(strstr(kite_last_error(), "another device's pool"));
	kite_pkt_free(p);
	assert_int_equal(kite_pool_avail(op), 16);
	kite_close(other);
	kite_queue_close(q);
}

/* kite.h's rule: a NULL device, queue or output pointer is -EINVAL, named; no crash. */
static void test_null_arguments(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_link link;
	struct kite_port_stats ps;
	struct kite_queue_hw_stats qs;
	struct kite_queue_state st;
	struct kite_filter flt = { .type = KITE_FILTER_UDP_DST, .key = 1 };
	uint64_t ns;

	assert_int_equal(kite_link_get(NULL, 0, &link), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "kite_link_get: dev is NULL"));
	assert_int_equal(kite_link_get(f->dev, 0, NULL), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "kite_link_get: out is NULL"));
	assert_int_equal(kite_mtu_set(NULL, 0, 1500), -EINVAL);
	assert_int_equal(kite_default_queue_set(NULL, 0, 0), -EINVAL);
	assert_int_equal(kite_filter_add(NULL, &flt), -EINVAL);
	assert_int_equal(kite_filter_add(f->dev, NULL), -EINVAL);
	assert_int_equal(kite_filter_del(NULL, 0), -EINVAL);
	assert_int_equal(kite_port_stats(NULL, 0, &ps), -EINVAL);
	assert_int_equal(kite_port_stats(f->dev, 0, NULL), -EINVAL);
	assert_int_equal(kite_queue_hw_stats(NULL, 0, &qs), -EINVAL);
	assert_int_equal(kite_queue_hw_stats(f->dev, 0, NULL), -EINVAL);
	assert_int_equal(kite_faults(NULL, NULL, 0), -EINVAL);
	assert_int_equal(kite_faults(f->dev, NULL, 4), -EINVAL);
	assert_int_equal(kite_faults(f->dev, NULL, 0), 0);
	assert_int_equal(kite_time(NULL, &ns), -EINVAL);
	assert_int_equal(kite_time(f->dev, NULL), -EINVAL);
	assert_int_equal(kite_reset(NULL), -EINVAL);
	assert_int_equal(kite_reg_write(NULL, KITE_R_SCRATCH, 1, 32), -EINVAL);
	assert_int_equal(kite_queue_state(NULL, &st), -EINVAL);
	assert_int_equal(kite_queue_state(q, NULL), -EINVAL);
	assert_int_equal(kite_queue_restart(NULL), -EINVAL);
	assert_int_equal(kite_dev_info(NULL, NULL), -EINVAL);
	assert_null(kite_bar0(NULL));
	assert_int_equal(kite_pool_avail(NULL), 0);
	assert_int_equal(kite_pool_destroy(NULL), -EINVAL);
	kite_queue_stats(NULL, NULL);
	kite_queue_stats(q, NULL);
	kite_set_wait_hook(NULL, NULL, NULL);
	kite_queue_close(NULL);
	kite_close(NULL);
	/* an MTU whose frame size would wrap around */
	assert_int_equal(kite_mtu_set(f->dev, 0, 4294967295u), -EINVAL);
	assert_int_equal(kite_mtu_set(f->dev, 0, 4294967278u), -EINVAL);
	assert_non_null(kite_strerror(-2147483647 - 1));	/* INT_MIN */
	assert_non_null(kite_strerror(2147483647));
	kite_queue_close(q);
}

/* One owner per key: a second entry for a steered key is refused, naming the owner. */
static void test_filter_duplicate_key(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, 0, 0, 64, 64), *q1;
	struct kite_filter udp = { .type = KITE_FILTER_UDP_DST, .port = 0, .queue = 0, .key = 5001 };
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_dev *other;
	struct kite_pool *op;
	char want[64];
	int idx;

	idx = kite_filter_add(f->dev, &udp);
	assert_true(idx >= 0);
	assert_int_equal(kite_filter_add(f->dev, &udp), -EEXIST);
	assert_non_null(strstr(kite_last_error(), "UDP_DST 0x1389 on port 0 is already steered"));
	/* another process (client of the card) on another queue: refused, named */
	assert_int_equal(kite_open(f->devstr, &other), 0);
	kite_set_wait_hook(other, step_hook, f->emu);
	assert_int_equal(kite_pool_create(other, 128, 2048, &op), 0);
	c.rx_pool = op;
	assert_int_equal(kite_queue_open(other, 1, &c, &q1), 0);
	udp.queue = 1;
	assert_int_equal(kite_filter_add(other, &udp), -EEXIST);
	/* the bus names the owner's pid; ours reads as "this process" */
	snprintf(want, sizeof(want), "by this process (filter entry %d)", idx);
	assert_non_null(strstr(kite_last_error(), want));
	udp.port = 1;	/* the same key on the other port is another flow */
	assert_true(kite_filter_add(other, &udp) >= 0);
	udp.port = 0;
	assert_int_equal(kite_filter_del(f->dev, (unsigned int)idx), 0);
	assert_true(kite_filter_add(other, &udp) >= 0);	/* free again once deleted */
	kite_close(other);
	kite_queue_close(q0);
}

/* A copy filter shares a steered key; only a second copy of it is refused. */
static void test_copy_filter(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, 0, 0, 64, 64), *q1 = open_q(f, 1, 0, 64, 64);
	struct kite_filter udp = { .type = KITE_FILTER_UDP_DST, .queue = 0, .key = 5001 };
	struct kite_filter all = { .type = KITE_FILTER_ALL, .queue = 1 };

	assert_true(kite_filter_add(f->dev, &udp) >= 0);
	udp.queue = 1;
	assert_true(kite_filter_copy(f->dev, &udp) >= 0);
	assert_int_equal(kite_filter_copy(f->dev, &udp), -EEXIST);
	assert_non_null(strstr(kite_last_error(),
			       "kite_filter_copy: UDP_DST 0x1389 on port 0 is already copied by this"));
	/* the steered key is still taken */
	assert_int_equal(kite_filter_add(f->dev, &udp), -EEXIST);
	assert_non_null(strstr(kite_last_error(), "already steered"));
	assert_int_equal(kite_filter_add(f->dev, &all), -EINVAL);	/* ALL steals all */
	assert_non_null(strstr(kite_last_error(), "use kite_filter_copy"));
	all.key = 1;
	assert_int_equal(kite_filter_copy(f->dev, &all), -EINVAL);
	all.key = 0;
	assert_true(kite_filter_copy(f->dev, &all) >= 0);
	kite_queue_close(q1);
	kite_queue_close(q0);
}

/* A filter (or copy) dies with its queue: the queue's next owner inherits no traffic. */
static void test_filter_dies_with_queue(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q0 = open_q(f, 0, 0, 64, 64), *q1;
	struct kite_filter udp = { .type = KITE_FILTER_UDP_DST, .queue = 0, .key = 5001 };
	struct kite_filter all = { .type = KITE_FILTER_ALL, .queue = 0 };
	int a = kite_filter_add(f->dev, &udp), b = kite_filter_copy(f->dev, &all);
	const volatile uint8_t *bar0 = kite_bar0(f->dev);

	assert_true(a >= 0 && b >= 0);
	kite_queue_close(q0);
	assert_int_equal(*(const volatile uint32_t *)(bar0 + KITE_R_AT(F_CTRL, a)), 0);
	assert_int_equal(*(const volatile uint32_t *)(bar0 + KITE_R_AT(F_CTRL, b)), 0);
	udp.queue = 0;		/* and no new entry can aim at a queue we do not hold */
	assert_int_equal(kite_filter_add(f->dev, &udp), -EPERM);
	assert_non_null(strstr(kite_last_error(), "queue 0 is not open in this process"));
	q1 = open_q(f, 1, 0, 64, 64);
	udp.queue = all.queue = 1;
	assert_true(kite_filter_add(f->dev, &udp) >= 0);	/* free again */
	assert_true(kite_filter_copy(f->dev, &all) >= 0);
	kite_queue_close(q1);
}

/* A card without copy filters says so; nothing is written. */
static void test_copy_filter_old_card(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_filter udp = { .type = KITE_FILTER_UDP_DST, .key = 5001 };
	struct kite_dev_info in;

	assert_int_equal(kite_dev_info(f->dev, &in), 0);
	assert_int_equal(in.version_minor, 1);
	assert_int_equal(kite_filter_copy(f->dev, &udp), -EOPNOTSUPP);
	assert_non_null(strstr(kite_last_error(), "no copy filters (contract v1.1"));
	assert_int_equal(kite_filter_add(f->dev, &udp), 0);	/* entry 0: none was taken */
	kite_queue_close(q);
}

/*
 * One client's descriptors cannot reach another client's memory: the model
 * gives each queue only its claimer's regions (an IOMMU domain per process).
 */
static void test_no_cross_client_dma(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_dev *victim;
	struct kite_pool *vp;
	struct kite_pkt *secret, *x, *rx[8];
	struct kite_queue_state st;
	unsigned int i, n;

	assert_int_equal(kite_open(f->devstr, &victim), 0);
	assert_int_equal(kite_pool_create(victim, 16, 2048, &vp), 0);
	secret = kite_pkt_alloc(vp);
	memset(secret->data, 0, 128);
	memcpy(secret->data + 14, "VICTIM SECRET", 13);
	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	x = kite_pkt_alloc(f->pool);
	x->iova = secret->iova;	/* aim our descriptor at the victim's buffer */
	x->len = 128;
	assert_int_equal(kite_tx_burst(q, &x, 1), 1);
	for (i = 0; i < 4; i++)
		kite_emu_step(f->emu);
	n = kite_rx_burst(q, rx, 8);
	for (i = 0; i < n; i++) {
		assert_null(memmem(rx[i]->data, rx[i]->len, "VICTIM SECRET", 13));
		kite_pkt_free(rx[i]);
	}
	assert_int_equal(kite_queue_state(q, &st), 0);
	assert_int_equal(st.state, KITE_QUEUE_ERROR);	/* a DMA fault, logged */
	assert_string_equal(st.cause_name, "DMA_FAULT");
	kite_pkt_free(secret);
	kite_close(victim);
	kite_queue_close(q);
}

/*
 * A signal that interrupts a control call must not fail it: libFuzzer's
 * SIGALRM (no SA_RESTART) once broke a DMA map half way through its request.
 * A thread signals the test's thread without pause while it opens, maps,
 * starts and closes; every call must succeed.
 */
static volatile sig_atomic_t interrupts;

static void count_interrupt(int sig)
{
	(void)sig;
	interrupts++;
}

struct pester {
	pthread_t target;
	atomic_bool stop;
};

static void *pester_main(void *arg)
{
	struct pester *p = arg;

	while (!atomic_load(&p->stop)) {
		pthread_kill(p->target, SIGUSR1);
		sched_yield();
	}
	return NULL;
}

static void test_control_calls_survive_signals(void **state)
{
	struct sigaction sa = { .sa_handler = count_interrupt }, old;	/* no SA_RESTART */
	struct pester p = { .target = pthread_self() };
	struct fx *f = *state;
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_dev *d;
	struct kite_queue *q;
	pthread_t t;
	int i, err = 0;

	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	interrupts = 0;
	assert_int_equal(pthread_create(&t, NULL, pester_main, &p), 0);
	for (i = 0; i < 200 && !err; i++) {
		err = kite_open(f->devstr, &d);
		if (err)
			break;
		kite_set_wait_hook(d, step_hook, f->emu);
		err = kite_pool_create(d, 64, 2048, &c.rx_pool);
		if (!err) {
			err = kite_queue_open(d, 1, &c, &q);
			if (!err)
				kite_queue_close(q);
			kite_pool_destroy(c.rx_pool);
		}
		kite_close(d);
	}
	atomic_store(&p.stop, true);	/* stop it before an assert can leave */
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	if (err)
		fail_msg("call %d: %s", i, kite_last_error());
	assert_true(interrupts > 0);
}

/* A card reset clears every filter, and every claim on one. */
static void test_filter_claims_after_reset(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_filter udp = { .type = KITE_FILTER_UDP_DST, .queue = 0, .key = 5000 };
	int i;

	for (i = 0; i < 70; i++) {	/* more rounds than the card has entries */
		assert_true(kite_filter_add(f->dev, &udp) >= 0);
		assert_int_equal(kite_reset(f->dev), 0);
	}
	kite_queue_close(q);
}

/*
 * §3.4.1: a reset zeroes CLK_FREQ. The rate the card had is written back,
 * whoever set it: not one a handle remembers (another may have set one since).
 */
static void test_reset_keeps_clock_rate(void **state)
{
	struct fx *f = *state;
	const volatile uint32_t *freq =
		(const volatile uint32_t *)(kite_bar0(f->dev) + KITE_R_CLK_FREQ);
	struct kite_dev *other;

	assert_int_equal(kite_reset(f->dev), 0);	/* never set: stays 0 */
	assert_int_equal(*freq, 0);
	assert_int_equal(kite_open(f->devstr, &other), 0);
	kite_set_wait_hook(other, step_hook, f->emu);
	assert_int_equal(kite_clock_set_freq(f->dev, 100000), 0);	/* ppb */
	assert_int_equal(*freq, 100 << 16);
	assert_int_equal(kite_reset(f->dev), 0);
	assert_int_equal(*freq, 100 << 16);
	assert_int_equal(kite_clock_set_freq(other, -2.5), 0);	/* the servo's, since */
	assert_int_equal(kite_reset(f->dev), 0);
	assert_int_equal((int32_t)*freq, -164);	/* -2.5 ppb x 65.536, rounded */
	assert_int_equal(kite_reg_write(other, KITE_R_CLK_FREQ, 77, 32), 0);	/* a poke */
	assert_int_equal(kite_reset(other), 0);
	assert_int_equal(*freq, 77);
	kite_close(other);
}

/* An RX ring drained while its pool was empty is refilled once buffers come back. */
static void test_rx_refill_after_drain(void **state)
{
	struct fx *f = *state;
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_pkt *held[64], *rx[8];
	struct kite_queue *q;
	struct kite_pool *small;
	unsigned int got = 0, i;

	assert_int_equal(kite_pool_create(f->dev, 64, 2048, &small), 0);
	c.rx_pool = small;
	assert_int_equal(kite_queue_open(f->dev, 0, &c, &q), 0);
	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	for (i = 0; i < 64; i++)
		assert_int_equal(send_seq(f, q, 64, i), 1);
	for (i = 0; i < 200 && got < 64; i++) {
		kite_emu_step(f->emu);
		got += kite_rx_burst(q, held + got, (uint16_t)(64 - got));
	}
	assert_int_equal(got, 64);	/* every buffer is ours, the ring is empty */
	for (i = 0; i < 64; i++)
		kite_pkt_free(held[i]);
	kite_tx_reap(q);
	assert_int_equal(kite_rx_burst(q, rx, 8), 0);	/* this poll posts buffers again */
	for (i = 0; i < 4; i++)
		assert_int_equal(send_seq(f, q, 64, 100 + i), 1);
	for (i = 0, got = 0; i < 50 && got < 4; i++) {
		unsigned int k, n;

		kite_emu_step(f->emu);
		n = kite_rx_burst(q, rx, 8);
		for (k = 0; k < n; k++)
			kite_pkt_free(rx[k]);
		got += n;
	}
	assert_int_equal(got, 4);
	kite_queue_close(q);
	assert_int_equal(kite_pool_destroy(small), 0);
}

/* RX buffers are posted again in batches: exactly when rx_refill slots are free. */
static void test_rx_refill_threshold(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	uint32_t tail0 = q->rx_tail, got = 0, i;
	struct kite_pkt *rx[1];

	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	assert_true(q->rx_refill > 1 && q->rx_refill <= 64);
	for (i = 0; i < q->rx_refill; i++) {
		assert_int_equal(send_seq(f, q, 64, i), 1);
		kite_emu_step(f->emu);
		got = kite_rx_burst(q, rx, 1);
		assert_int_equal(got, 1);
		kite_pkt_free(rx[0]);
		/* free slots: i + 1; posted again only once they reach rx_refill */
		assert_int_equal(q->rx_tail - tail0, i + 1 < q->rx_refill ? 0 : q->rx_refill);
	}
	kite_queue_close(q);
}

static char logged[512];

static void capture_log(int level, const char *msg, void *arg)
{
	(void)arg;
	snprintf(logged, sizeof(logged), "%d %s", level, msg);
}

/* Warnings go to the application's log callback, not to stderr. */
static void test_log_callback(void **state)
{
	struct fx *f = *state;
	long hp_free = 0;
	char line[128];
	FILE *mi = fopen("/proc/meminfo", "r");
	int err_pipe[2], status;
	pid_t pid;

	while (mi && fgets(line, sizeof(line), mi))
		sscanf(line, "HugePages_Free: %ld", &hp_free);
	if (mi)
		fclose(mi);
	assert_int_equal(pipe(err_pipe), 0);
	pid = fork();
	if (pid == 0) {	/* stderr is ours to watch here */
		struct kite_pool *big;
		struct kite_dev *dev;

		dup2(err_pipe[1], STDERR_FILENO);
		kite_set_log(capture_log, NULL);
		/* a new device (the warning comes once per device), and more 2 MiB chunks
		 * than there are free hugepages: the 4 KiB fallback */
		if (kite_open(f->devstr, &dev) ||
		    kite_pool_create(dev, (unsigned int)(hp_free + 1) * 1024, 2048, &big))
			_exit(2);
		_exit(strstr(logged, "1 no free 2 MiB hugepages") ? 0 : 3);
	}
	close(err_pipe[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(read(err_pipe[0], line, sizeof(line)), 0);	/* nothing on stderr */
	close(err_pipe[0]);
}

static void test_queue_open_errors(void **state)
{
	struct fx *f = *state;
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64, .rx_pool = f->pool };
	struct kite_queue *q, *q0;
	struct kite_dev *other;
	char who[64];

	assert_int_equal(kite_queue_open(f->dev, 16, &c, &q), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "queue 16 does not exist"));
	c.port = 2;
	assert_int_equal(kite_queue_open(f->dev, 0, &c, &q), -EINVAL);
	c.port = 0;
	c.tx_ring_size = 1000;
	assert_int_equal(kite_queue_open(f->dev, 0, &c, &q), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "TX ring size 1000"));
	c.tx_ring_size = 4;
	assert_int_equal(kite_queue_open(f->dev, 0, &c, &q), -EINVAL);
	c.tx_ring_size = 1u << 16;
	assert_int_equal(kite_queue_open(f->dev, 0, &c, &q), -EINVAL);
	c.tx_ring_size = 64;
	c.rx_pool = NULL;
	assert_int_equal(kite_queue_open(f->dev, 0, &c, &q), -EINVAL);
	c.rx_pool = f->pool;
	q0 = open_q(f, 0, 0, 64, 64);
	assert_int_equal(kite_queue_open(f->dev, 0, &c, &q), -EBUSY);
	/* another process (here: another connection) cannot take it */
	assert_int_equal(kite_open(f->devstr, &other), 0);
	kite_set_wait_hook(other, step_hook, f->emu);
	assert_int_equal(kite_pool_create(other, 64, 2048, &c.rx_pool), 0);
	assert_int_equal(kite_queue_open(other, 0, &c, &q), -EBUSY);
	snprintf(who, sizeof(who), "queue 0 is in use by process %d", (int)getpid());
	assert_non_null(strstr(kite_last_error(), who));	/* named, not "another" */
	assert_int_equal(kite_queue_open(other, 1, &c, &q), 0);
	kite_close(other);
	kite_queue_close(q0);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/* ---- data path ------------------------------------------------------------ */

static void test_loopback_one(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_pkt *rx[4];
	struct kite_queue_stats st;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	assert_int_equal(kite_rx_burst(q, rx, 4), 0);		/* empty ring */
	assert_int_equal(send_seq(f, q, 64, 42), 1);
	assert_int_equal(kite_emu_step(f->emu), 1);
	assert_int_equal(kite_rx_burst(q, rx, 4), 1);
	assert_int_equal(rx[0]->len, 64);
	assert_true(frame_check(rx[0]->data, 64, 42));
	assert_true(rx[0]->rx_flags & KITE_RX_TS_VALID);
	assert_int_equal(rx[0]->filter, 0xffff);
	assert_int_equal(kite_pkt_port(rx[0]), 0);
	assert_int_equal(rx[0]->rx_index, 0);
	kite_pkt_free(rx[0]);
	assert_int_equal(kite_tx_reap(q), 1);
	kite_queue_stats(q, &st);
	assert_int_equal(st.tx_pkts, 1);
	assert_int_equal(st.rx_pkts, 1);
	assert_int_equal(st.rx_bytes, 64);
	kite_queue_close(q);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/* Every batch size 1..64 over small rings: the rings wrap thousands of times. */
static void test_wrap_all_batches(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 3, 0, 64, 64);
	struct kite_queue_hw_stats hw;
	struct kite_queue_stats st;
	uint64_t seq = 0, expect = 0, bytes = 0;
	unsigned int batch, round;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 3), 0);
	for (batch = 1; batch <= 64; batch++) {
		for (round = 0; round < 100; round++) {
			struct kite_pkt *pk[64];
			uint16_t i, n, got = 0;

			for (i = 0; i < batch; i++) {
				uint16_t len = (uint16_t)(60 + (seq + i) % 1400);

				pk[i] = kite_pkt_alloc(f->pool);
				assert_non_null(pk[i]);
				frame_fill(pk[i]->data, len, MAC0, MAC0, seq + i);
				pk[i]->len = len;
				bytes += len;
			}
			assert_int_equal(kite_tx_burst(q, pk, batch), batch);
			seq += batch;
			kite_emu_step(f->emu);
			while (got < batch) {
				n = kite_rx_burst(q, pk, 64);
				assert_true(n > 0);
				for (i = 0; i < n; i++) {
					if (!frame_check(pk[i]->data, pk[i]->len, expect))
						fail_msg("frame %llu corrupt or out of order",
							 (unsigned long long)expect);
					expect++;
					kite_pkt_free(pk[i]);
				}
				got += n;
			}
		}
	}
	kite_tx_reap(q);
	kite_queue_stats(q, &st);
	assert_int_equal(st.tx_pkts, seq);
	assert_int_equal(st.rx_pkts, seq);
	assert_int_equal(st.rx_bytes, bytes);
	assert_true(seq / 64 > 3000);	/* wraps of the 64-entry rings */
	assert_int_equal(kite_queue_hw_stats(f->dev, 3, &hw), 0);
	assert_int_equal(hw.tx_pkts, seq);
	assert_int_equal(hw.rx_pkts, seq);
	assert_int_equal(hw.rx_bytes, bytes);
	assert_int_equal(hw.rx_drop_nobuf, 0);
	kite_queue_close(q);
}

static void test_full_rings(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 8, 8);
	struct kite_pkt *pk[32];
	struct kite_queue_hw_stats hw;
	uint16_t i, n;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	for (i = 0; i < 16; i++) {
		pk[i] = kite_pkt_alloc(f->pool);
		frame_fill(pk[i]->data, 64, MAC0, MAC0, i);
		pk[i]->len = 64;
	}
	/* TX ring of 8 takes 8, the rest stay ours */
	assert_int_equal(kite_tx_burst(q, pk, 16), 8);
	assert_int_equal(kite_tx_burst(q, pk + 8, 8), 0);
	kite_emu_step(f->emu);	/* 8 frames land in the 8 posted RX buffers */
	assert_int_equal(kite_tx_burst(q, pk + 8, 8), 8);	/* reaped: room again */
	kite_emu_step(f->emu);	/* no RX buffer free: all 8 dropped, counted */
	assert_int_equal(kite_queue_hw_stats(f->dev, 0, &hw), 0);
	assert_int_equal(hw.rx_drop_nobuf, 8);
	assert_int_equal(hw.rx_pkts, 8);
	n = kite_rx_burst(q, pk, 32);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++) {
		assert_true(frame_check(pk[i]->data, 64, i));
		kite_pkt_free(pk[i]);
	}
	kite_queue_close(q);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/* Filters steer frames to four queues; unmatched frames are dropped, counted. */
static void test_multi_queue_filters(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q[4];
	struct kite_filter flt = { .type = KITE_FILTER_UDP_DST, .port = 0 };
	struct kite_port_stats ps;
	struct kite_pkt *pk[64];
	uint8_t frame[128];
	unsigned int i, k, seq = 0;
	int idx[4];

	for (i = 0; i < 4; i++) {
		q[i] = open_q(f, 4 + i, 0, 256, 64);
		flt.queue = 4 + i;
		flt.key = 5000 + i;
		flt.type = i == 3 ? KITE_FILTER_IPV4_DST : KITE_FILTER_UDP_DST;
		if (i == 3)
			flt.key = 0xa9fe0063;	/* 169.254.0.99 */
		idx[i] = kite_filter_add(f->dev, &flt);
		assert_int_equal(idx[i], i);
	}
	flt.type = KITE_FILTER_UDP_DST;
	flt.key = 1ULL << 20;
	assert_int_equal(kite_filter_add(f->dev, &flt), -EINVAL);	/* key too wide */
	assert_int_equal(kite_default_queue_set(f->dev, 0, -1), 0);
	for (k = 0; k < 200; k++) {
		for (i = 0; i < 5; i++) {	/* i == 4: matches nothing */
			struct kite_pkt *p = kite_pkt_alloc(f->pool);
			uint32_t ip = i == 3 ? 0xa9fe0063 : 0xa9fe0002;

			udp_fill(p->data, 100, MAC0, ip, (uint16_t)(5000 + i), seq++);
			p->len = 100;
			assert_int_equal(kite_tx_burst(q[0], &p, 1), 1);
		}
		kite_emu_step(f->emu);
		for (i = 0; i < 4; i++) {
			assert_int_equal(kite_rx_burst(q[i], pk, 64), 1);
			assert_int_equal(pk[0]->filter, idx[i]);
			udp_fill(frame, 100, MAC0, i == 3 ? 0xa9fe0063 : 0xa9fe0002,
				 (uint16_t)(5000 + i), seq - 5 + i);
			assert_memory_equal(pk[0]->data, frame, 100);
			kite_pkt_free(pk[0]);
		}
	}
	assert_int_equal(kite_port_stats(f->dev, 0, &ps), 0);
	assert_int_equal(ps.rx_drop_nomatch, 200);
	assert_int_equal(ps.rx_pkts, 1000);
	assert_int_equal(kite_filter_del(f->dev, idx[1]), 0);
	assert_int_equal(kite_filter_del(f->dev, idx[1]), -ENOENT);
	for (i = 0; i < 4; i++)
		kite_queue_close(q[i]);
}

static void test_mac_filter_pair_wire(void **state)
{
	struct fx *f = *state;
	struct kite_queue *a = open_q(f, 0, 0, 64, 64), *b = open_q(f, 1, 1, 64, 64);
	struct kite_filter flt = { .type = KITE_FILTER_DST_MAC, .port = 1, .queue = 1,
				   .key = MAC0 + 1 };
	struct kite_pkt *p = kite_pkt_alloc(f->pool);

	assert_true(kite_filter_add(f->dev, &flt) >= 0);
	frame_fill(p->data, 200, MAC0 + 1, MAC0, 7);
	p->len = 200;
	assert_int_equal(kite_tx_burst(a, &p, 1), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_burst(a, &p, 1), 0);	/* pair: not back to port 0 */
	assert_int_equal(kite_rx_burst(b, &p, 1), 1);
	assert_int_equal(kite_pkt_port(p), 1);
	assert_true(frame_check(p->data, 200, 7));
	kite_pkt_free(p);
	kite_queue_close(a);
	kite_queue_close(b);
}

static void test_pio(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 2, 0, 64, 256);
	struct kite_queue_hw_stats hw;
	struct kite_tx_report rep[8];
	struct kite_queue_stats st;
	struct kite_pkt *p;
	uint8_t frame[256];
	unsigned int i, k;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 2), 0);
	assert_int_equal(kite_pio_send(q, frame, KITE_PIO_MAX_FRAME + 1, 0, 0), -EMSGSIZE);
	assert_non_null(strstr(kite_last_error(), "PIO frames are 14..248"));
	assert_int_equal(kite_pio_send(q, frame, 13, 0, 0), -EMSGSIZE);
	for (i = 0; i < 8; i++) {
		frame_fill(frame, 64, MAC0, MAC0, i);
		assert_int_equal(kite_pio_send(q, frame, 64, 0, i), 0);
	}
	assert_int_equal(kite_pio_send(q, frame, 64, 0, 8), -EAGAIN);	/* 8 slots in flight */
	kite_emu_step(f->emu);
	for (i = 0; i < 8; i++) {
		assert_int_equal(kite_rx_burst(q, &p, 1), 1);
		assert_true(frame_check(p->data, 64, i));
		kite_pkt_free(p);
	}
	/* thousands more, all sizes, with completion reports */
	for (k = 0; k < 3000; k++) {
		uint16_t len = (uint16_t)(22 + k % (KITE_PIO_MAX_FRAME - 21));

		frame_fill(frame, len, MAC0, MAC0, 100 + k);
		assert_int_equal(kite_pio_send(q, frame, len, KITE_PKT_TX_REPORT, 100 + k), 0);
		kite_emu_step(f->emu);
		assert_int_equal(kite_rx_burst(q, &p, 1), 1);
		assert_int_equal(p->len, len);
		assert_true(frame_check(p->data, len, 100 + k));
		kite_pkt_free(p);
	}
	kite_tx_reap(q);
	assert_int_equal(kite_tx_reports(q, rep, 8), 8);
	assert_true(rep[0].pio);
	assert_int_equal(rep[0].status, 0);
	kite_queue_stats(q, &st);
	assert_int_equal(st.pio_pkts, 3008);
	assert_int_equal(kite_queue_hw_stats(f->dev, 2, &hw), 0);
	assert_int_equal(hw.pio_pkts, 3008);
	kite_queue_close(q);
}

static void test_timestamps(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_tx_report rep[64];
	uint64_t last_rx = 0, t0, t1;
	struct kite_pkt *p;
	unsigned int i, n;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	kite_emu_step(f->emu);
	assert_int_equal(kite_time(f->dev, &t0), 0);
	for (i = 0; i < 500; i++) {
		p = kite_pkt_alloc(f->pool);
		frame_fill(p->data, 64, MAC0, MAC0, i);
		p->len = 64;
		p->flags = KITE_PKT_TX_REPORT;
		p->cookie = i;
		assert_int_equal(kite_tx_burst(q, &p, 1), 1);
		kite_emu_step(f->emu);
		assert_int_equal(kite_rx_burst(q, &p, 1), 1);
		assert_true(p->rx_flags & KITE_RX_TS_VALID);
		assert_true(p->ts >= last_rx);	/* monotonic */
		assert_true(p->ts >= t0);
		last_rx = p->ts;
		kite_pkt_free(p);
		kite_tx_reap(q);
		n = kite_tx_reports(q, rep, 64);
		assert_int_equal(n, 1);
		assert_int_equal(rep[0].cookie, i);
		assert_true(rep[0].ts <= last_rx);	/* left before it arrived */
	}
	kite_emu_step(f->emu);
	assert_int_equal(kite_time(f->dev, &t1), 0);
	assert_true(t1 >= last_rx);
	kite_queue_close(q);
}

static void test_link_down(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_tx_report rep[8];
	struct kite_port_stats ps;
	struct kite_queue_stats st;
	struct kite_link l;
	struct kite_pkt *p;
	unsigned int i;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	kite_emu_set_carrier(f->emu, 0, false);
	assert_int_equal(kite_link_get(f->dev, 0, &l), 0);
	assert_false(l.up);
	for (i = 0; i < 5; i++)
		assert_int_equal(send_seq(f, q, 64, i), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_burst(q, &p, 1), 0);
	kite_tx_reap(q);
	kite_queue_stats(q, &st);
	assert_int_equal(st.tx_errors, 5);	/* not silent: reported and counted */
	assert_int_equal(kite_tx_reports(q, rep, 8), 5);
	assert_int_equal(rep[4].status, KITE_CQE_S_LINK_DOWN);
	assert_int_equal(rep[4].cookie, 4);
	assert_int_equal(kite_port_stats(f->dev, 0, &ps), 0);
	assert_int_equal(ps.tx_drop_link, 5);
	kite_emu_set_carrier(f->emu, 0, true);
	assert_int_equal(send_seq(f, q, 64, 9), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_burst(q, &p, 1), 1);
	assert_true(frame_check(p->data, 64, 9));
	kite_pkt_free(p);
	kite_queue_close(q);
}

static void test_mtu(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 0, 0, 64, 64);
	struct kite_tx_report rep[2];
	struct kite_pkt *p;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 0), 0);
	assert_int_equal(kite_mtu_set(f->dev, 0, 20000), -EINVAL);
	assert_int_equal(kite_mtu_set(f->dev, 0, 1000), 0);
	assert_int_equal(send_seq(f, q, 1019, 1), 1);	/* over MTU + 18 */
	assert_int_equal(send_seq(f, q, 1018, 2), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_burst(q, &p, 1), 1);
	assert_true(frame_check(p->data, 1018, 2));
	kite_pkt_free(p);
	kite_tx_reap(q);
	assert_int_equal(kite_tx_reports(q, rep, 2), 1);
	assert_int_equal(rep[0].status, KITE_CQE_S_BAD_LEN);
	assert_int_equal(rep[0].cookie, 1);
	kite_queue_close(q);
}

static void test_reset_during_traffic(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 5, 0, 64, 64);
	struct kite_queue_state qs;
	struct kite_queue_stats st;
	struct kite_pkt *p;
	unsigned int i;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 5), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(send_seq(f, q, 64, i), 1);
	assert_int_equal(kite_reset(f->dev), 0);	/* frames still in flight */
	assert_int_equal(kite_queue_state(q, &qs), 0);
	assert_int_equal(qs.state, KITE_QUEUE_STOPPED);
	assert_int_equal(kite_queue_restart(q), 0);
	kite_queue_stats(q, &st);
	assert_int_equal(st.tx_aborted, 20);	/* accounted, buffers back */
	assert_int_equal(kite_pool_avail(f->pool), 1024 - 64);
	/* reset cleared the default queue: traffic needs it again */
	assert_int_equal(kite_default_queue_set(f->dev, 0, 5), 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(send_seq(f, q, 64, 1000 + i), 1);
		kite_emu_step(f->emu);
		assert_int_equal(kite_rx_burst(q, &p, 1), 1);
		assert_true(frame_check(p->data, 64, 1000 + i));
		kite_pkt_free(p);
	}
	kite_queue_close(q);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

static void test_dma_fault(void **state)
{
	struct fx *f = *state;
	struct kite_queue *q = open_q(f, 6, 0, 64, 64), *other = open_q(f, 7, 0, 64, 64);
	struct kite_pkt *p = kite_pkt_alloc(f->pool), *good;
	struct kite_queue_state qs;
	struct kite_tx_report rep;
	struct kite_fault flt[2];
	uint64_t real_iova = p->iova;

	assert_int_equal(kite_default_queue_set(f->dev, 0, 7), 0);
	p->len = 64;
	p->iova = 0xdead0000;	/* not mapped for the card */
	assert_int_equal(kite_tx_burst(q, &p, 1), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_queue_state(q, &qs), 0);
	assert_int_equal(qs.state, KITE_QUEUE_ERROR);
	assert_string_equal(qs.cause_name, "DMA_FAULT");
	kite_tx_reap(q);
	assert_int_equal(kite_tx_reports(q, &rep, 1), 1);
	assert_int_equal(rep.status, KITE_CQE_S_DMA_FAULT);
	assert_int_equal(kite_faults(f->dev, flt, 2), 1);
	assert_int_equal(flt[0].iova, 0xdead0000);
	assert_int_equal(flt[0].queue, 6);
	assert_string_equal(flt[0].source_name, "TX_BUF");
	p->iova = real_iova;
	/* the model and the other queue carry on */
	assert_int_equal(send_seq(f, other, 64, 5), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_burst(other, &good, 1), 1);
	assert_true(frame_check(good->data, 64, 5));
	kite_pkt_free(good);
	/* and the faulted queue restarts */
	assert_int_equal(kite_queue_restart(q), 0);
	assert_int_equal(kite_queue_state(q, &qs), 0);
	assert_int_equal(qs.state, KITE_QUEUE_RUNNING);
	assert_int_equal(send_seq(f, q, 64, 6), 1);
	kite_emu_step(f->emu);
	assert_int_equal(kite_rx_burst(other, &good, 1), 1);
	assert_true(frame_check(good->data, 64, 6));
	kite_pkt_free(good);
	kite_queue_close(q);
	kite_queue_close(other);
	assert_int_equal(kite_pool_avail(f->pool), 1024);
}

/*
 * The hot path's promise, enforced: with the model polling on its own
 * thread, this thread loses all access to BAR0 (any register read or write
 * faults) and enters seccomp strict mode (any system call but read/write/exit
 * kills it), then moves frames on the descriptor and PIO paths.
 */
struct hot_args {
	struct fx *f;
	struct kite_queue *q;
	int pipe;
};

static void *hot_thread(void *arg)
{
	struct hot_args *a = arg;
	struct kite_pkt *p;
	unsigned int i, ok = 0;
	uint8_t frame[64];

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
		return NULL;
	for (i = 0; i < 20000; i++) {
		if (i % 2) {
			frame_fill(frame, 64, MAC0, MAC0, i);
			while (kite_pio_send(a->q, frame, 64, 0, i) == -EAGAIN)
				kite_tx_reap(a->q);
		} else {
			p = kite_pkt_alloc(a->f->pool);
			frame_fill(p->data, 64, MAC0, MAC0, i);
			p->len = 64;
			while (kite_tx_burst(a->q, &p, 1) == 0)
				;
		}
		while (kite_rx_burst(a->q, &p, 1) == 0)
			;
		ok += frame_check(p->data, 64, i);
		kite_pkt_free(p);
	}
	if (write(a->pipe, &ok, sizeof(ok)) != sizeof(ok))
		ok = 0;
	syscall(SYS_exit, 0);	/* strict mode allows exit, not exit_group */
	return NULL;
}

static void *model_thread(void *emu)
{
	static volatile sig_atomic_t never;

	kite_emu_run(emu, &never);
	return NULL;
}

/* In a child process of its own: fixture, model thread, then the hot thread. */
static void hot_path_child(int out)
{
	struct hot_args a = { .pipe = out };
	pthread_t model, hot;
	char sock[128];
	void *st;

	if (fx_setup(&st))
		_exit(2);
	a.f = st;
	kite_set_wait_hook(a.f->dev, NULL, NULL);	/* the model runs by itself */
	if (pthread_create(&model, NULL, model_thread, a.f->emu))
		_exit(3);
	a.q = open_q(a.f, 0, 0, 256, 256);
	if (kite_default_queue_set(a.f->dev, 0, 0))
		_exit(4);
	if (mprotect((void *)a.f->dev->bar0, KITE_BAR_CTRL_SIZE, PROT_NONE))
		_exit(5);
	if (pthread_create(&hot, NULL, hot_thread, &a))
		_exit(6);
	pthread_join(hot, NULL);
	snprintf(sock, sizeof(sock), "%s/emu.sock", a.f->dir);	/* _exit skips teardown */
	unlink(sock);
	rmdir(a.f->dir);
	_exit(0);
}

static void test_hot_path_no_syscall_no_register_access(void **state)
{
	unsigned int ok = 0;
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		hot_path_child(fds[1]);
	close(fds[1]);
	/* EOF without a count: the child was killed (syscall or BAR0 access) */
	assert_int_equal(read(fds[0], &ok, sizeof(ok)), sizeof(ok));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	assert_int_equal(ok, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_dev_info, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_abi_struct_sizes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pool, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_buffer_ownership, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_pool, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_null_arguments, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_filter_duplicate_key, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_filter, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_filter_old_card, fx_setup_v11, fx_teardown),
		cmocka_unit_test_setup_teardown(test_filter_dies_with_queue, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_cross_client_dma, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_control_calls_survive_signals, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_filter_claims_after_reset, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reset_keeps_clock_rate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rx_refill_after_drain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rx_refill_threshold, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_callback, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_queue_open_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_loopback_one, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_wrap_all_batches, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_full_rings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_multi_queue_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mac_filter_pair_wire, fx_setup_pair, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pio, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_timestamps, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_link_down, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mtu, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reset_during_traffic, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dma_fault, fx_setup, fx_teardown),
		cmocka_unit_test(test_hot_path_no_syscall_no_register_access),
	};

	return cmocka_run_group_tests_name("libkite+kite-emu (step mode)", tests, NULL, NULL);
}
