// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of kite.ko's logic (kmod/kite_logic.c): every ioctl's bad
 * arguments, mmap offsets, DMA mapping bookkeeping, queue and filter ownership.
 * Run by tests/kunit.sh under UML.
 */
#include <kunit/test.h>
#include <linux/mm.h>

#include "kite_logic.h"

#define MB BIT_ULL(20)

/* ---- DMA_MAP arguments ---------------------------------------------------- */

struct dma_case {
	const char *desc;
	u32 size, flags;
	u64 vaddr, length;
	int want;
};

static const struct dma_case dma_cases[] = {
	{ "valid 2 MiB", sizeof(struct kite_ioc_dma_map), 0, 0x40000000, 2 * MB, 0 },
	{ "wrong struct size", sizeof(struct kite_ioc_dma_map) - 8, 0, 0x40000000, 2 * MB,
	  -EINVAL },
	{ "unknown flags", sizeof(struct kite_ioc_dma_map), 1, 0x40000000, 2 * MB, -EINVAL },
	{ "zero length", sizeof(struct kite_ioc_dma_map), 0, 0x40000000, 0, -EINVAL },
	{ "unaligned address", sizeof(struct kite_ioc_dma_map), 0, 0x40000100, 2 * MB, -EINVAL },
	{ "unaligned length", sizeof(struct kite_ioc_dma_map), 0, 0x40000000, 2 * MB + 1,
	  -EINVAL },
	{ "address + length wraps", sizeof(struct kite_ioc_dma_map), 0, ~0ULL & PAGE_MASK,
	  2 * PAGE_SIZE, -EFAULT },
	{ "over the pinned limit", sizeof(struct kite_ioc_dma_map), 0, 0x40000000, 64 * MB,
	  -ENOSPC },
	{ "overlaps a mapping", sizeof(struct kite_ioc_dma_map), 0, 0x10100000, 2 * MB,
	  -EEXIST },
	{ "touches a mapping's end", sizeof(struct kite_ioc_dma_map), 0, 0x10200000 - PAGE_SIZE,
	  PAGE_SIZE, -EEXIST },
	{ "right after a mapping", sizeof(struct kite_ioc_dma_map), 0, 0x10200000, PAGE_SIZE, 0 },
};

static void dma_case_desc(const struct dma_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dma, dma_cases, dma_case_desc);

static void kite_dma_map_check_test(struct kunit *test)
{
	const struct dma_case *c = test->param_value;
	struct kite_mapping existing = { .vaddr = 0x10000000, .iova = 0x1000000, .len = 2 * MB };
	struct kite_ioc_dma_map req = { .size = c->size, .flags = c->flags, .vaddr = c->vaddr,
					.length = c->length };
	struct kite_maps m;

	kite_maps_init(&m, 32 * MB);
	kite_maps_add(&m, &existing);
	KUNIT_EXPECT_EQ(test, kite_dma_map_check(&m, &req), c->want);
}

static void kite_maps_bookkeeping_test(struct kunit *test)
{
	struct kite_mapping a = { .vaddr = 0x10000000, .iova = 0x100000000ULL, .len = 2 * MB };
	struct kite_mapping b = { .vaddr = 0x20000000, .iova = 0x200000000ULL, .len = 4 * MB };
	struct kite_ioc_dma_map req = { .size = sizeof(req), .vaddr = 0x30000000,
					.length = 3 * MB };
	struct kite_maps m;

	kite_maps_init(&m, 8 * MB);
	kite_maps_add(&m, &a);
	kite_maps_add(&m, &b);
	KUNIT_EXPECT_EQ(test, m.pinned, 6 * MB);
	/* 6 + 3 > 8 MiB: the limit counts what is already pinned */
	KUNIT_EXPECT_EQ(test, kite_dma_map_check(&m, &req), -ENOSPC);
	/* unmapping needs the exact IOVA DMA_MAP returned */
	KUNIT_EXPECT_PTR_EQ(test, kite_maps_take(&m, a.iova + PAGE_SIZE), NULL);
	KUNIT_EXPECT_PTR_EQ(test, kite_maps_take(&m, a.iova), &a);
	KUNIT_EXPECT_PTR_EQ(test, kite_maps_take(&m, a.iova), NULL);	/* double unmap */
	KUNIT_EXPECT_EQ(test, m.pinned, 4 * MB);
	KUNIT_EXPECT_EQ(test, kite_dma_map_check(&m, &req), 0);
	KUNIT_EXPECT_PTR_EQ(test, kite_maps_take(&m, b.iova), &b);
	KUNIT_EXPECT_EQ(test, m.pinned, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&m.list));
}

static void kite_maps_cover_test(struct kunit *test)
{
	struct kite_mapping a = { .vaddr = 0x10000000, .iova = 0x100000000ULL, .len = 2 * MB };
	struct kite_maps m;

	kite_maps_init(&m, 8 * MB);
	KUNIT_EXPECT_FALSE(test, kite_maps_cover(&m, a.iova, 64));	/* nothing mapped */
	kite_maps_add(&m, &a);
	KUNIT_EXPECT_TRUE(test, kite_maps_cover(&m, a.iova, 64));
	KUNIT_EXPECT_TRUE(test, kite_maps_cover(&m, a.iova + 2 * MB - 64, 64));
	KUNIT_EXPECT_FALSE(test, kite_maps_cover(&m, a.iova + 2 * MB - 64, 65));
	KUNIT_EXPECT_FALSE(test, kite_maps_cover(&m, a.iova - 64, 128));
	KUNIT_EXPECT_FALSE(test, kite_maps_cover(&m, a.iova + 2 * MB, 1));
	KUNIT_EXPECT_FALSE(test, kite_maps_cover(&m, a.iova + 64, ~0ULL));	/* wraps */
	KUNIT_EXPECT_FALSE(test, kite_maps_cover(&m, 0, 64));
}

/* ---- mmap offsets ------------------------------------------------------------ */

struct mmap_case {
	const char *desc;
	u64 offset, len;
	int want;
	enum kite_region region;
	unsigned int qid;
};

static const struct mmap_case mmap_cases[] = {
	{ "BAR0", KITE_MMAP_BAR0, KITE_BAR_CTRL_SIZE, 0, KITE_REGION_BAR0, 0 },
	{ "BAR0 first page", KITE_MMAP_BAR0, PAGE_SIZE, 0, KITE_REGION_BAR0, 0 },
	{ "BAR0 too long", KITE_MMAP_BAR0, KITE_BAR_CTRL_SIZE + PAGE_SIZE, -EINVAL },
	{ "zero length", KITE_MMAP_BAR0, 0, -EINVAL },
	{ "inside BAR0", PAGE_SIZE, PAGE_SIZE, -EINVAL },
	{ "queue 0 doorbells", KITE_MMAP_DB(0), PAGE_SIZE, 0, KITE_REGION_DB, 0 },
	{ "queue 15 doorbells", KITE_MMAP_DB(15), PAGE_SIZE, 0, KITE_REGION_DB, 15 },
	{ "queue 16: no such queue", KITE_MMAP_DB(16), PAGE_SIZE, -EINVAL },
	{ "two doorbell pages at once", KITE_MMAP_DB(3), 2 * PAGE_SIZE, -EINVAL },
	{ "unaligned offset", KITE_MMAP_DB(1) + 8, PAGE_SIZE, -EINVAL },
	{ "between the regions", KITE_MMAP_DB_BASE - PAGE_SIZE, PAGE_SIZE, -EINVAL },
	{ "far beyond", 1ULL << 40, PAGE_SIZE, -EINVAL },
};

static void mmap_case_desc(const struct mmap_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mmap, mmap_cases, mmap_case_desc);

static void kite_mmap_decode_test(struct kunit *test)
{
	const struct mmap_case *c = test->param_value;
	enum kite_region region = -1;
	unsigned int qid = ~0U;
	int err = kite_mmap_decode(c->offset, c->len, KITE_MAX_QUEUES, &region, &qid);

	KUNIT_EXPECT_EQ(test, err, c->want);
	if (!err) {
		KUNIT_EXPECT_EQ(test, region, c->region);
		if (region == KITE_REGION_DB)
			KUNIT_EXPECT_EQ(test, qid, c->qid);
	}
}

/* ---- ownership --------------------------------------------------------------- */

static int file_a, file_b;	/* stand-ins for two open files */

static void kite_queue_ownership_test(struct kunit *test)
{
	struct kite_owners o = { .nqueues = 4, .nfilters = 2 };

	KUNIT_EXPECT_EQ(test, kite_queue_claim(&o, 0, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(&o, 0, &file_a), -EALREADY);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(&o, 0, &file_b), -EBUSY);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(&o, 4, &file_b), -EINVAL);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(&o, ~0U, &file_b), -EINVAL);
	KUNIT_EXPECT_TRUE(test, kite_queue_owned(&o, 0, &file_a));
	KUNIT_EXPECT_FALSE(test, kite_queue_owned(&o, 0, &file_b));
	KUNIT_EXPECT_FALSE(test, kite_queue_owned(&o, 9, &file_a));
	KUNIT_EXPECT_EQ(test, kite_queue_release(&o, 0, &file_b), -EPERM);
	KUNIT_EXPECT_EQ(test, kite_queue_release(&o, 0, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_queue_release(&o, 0, &file_a), -EPERM);	/* double release */
	KUNIT_EXPECT_EQ(test, kite_queue_release(&o, 7, &file_a), -EINVAL);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(&o, 0, &file_b), 0);
}

static void kite_filter_ownership_test(struct kunit *test)
{
	struct kite_owners o = { .nqueues = 4, .nfilters = 2 };
	unsigned int i, j, k;

	KUNIT_EXPECT_EQ(test, kite_filter_claim(&o, &file_a, &i), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(&o, &file_b, &j), 0);
	KUNIT_EXPECT_NE(test, i, j);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(&o, &file_a, &k), -ENOSPC);
	KUNIT_EXPECT_EQ(test, kite_filter_release(&o, j, &file_a), -EPERM);
	KUNIT_EXPECT_EQ(test, kite_filter_release(&o, 2, &file_a), -EINVAL);
	KUNIT_EXPECT_EQ(test, kite_filter_release(&o, i, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_release(&o, i, &file_a), -EPERM);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(&o, &file_b, &k), 0);
	KUNIT_EXPECT_EQ(test, k, i);
}

/* ---- QUEUE_START ------------------------------------------------------------- */

#define RING_IOVA 0x100000000ULL

static struct kite_ioc_queue_start good_start(void)
{
	return (struct kite_ioc_queue_start){
		.size = sizeof(struct kite_ioc_queue_start), .qid = 1, .port = 0,
		.tx_log2 = 8, .rx_log2 = 8, .rx_buf_size = 2048,
		.tx_ring = RING_IOVA, .tx_cq = RING_IOVA + 0x1000,
		.rx_ring = RING_IOVA + 0x2000, .rx_cq = RING_IOVA + 0x3000,
		.pio_cq = RING_IOVA + 0x4000,
	};
}

struct start_case {
	const char *desc;
	void (*mangle)(struct kite_ioc_queue_start *qs);
	int want;
};

static void qs_none(struct kite_ioc_queue_start *qs) { }
static void qs_size(struct kite_ioc_queue_start *qs) { qs->size = 8; }
static void qs_unowned(struct kite_ioc_queue_start *qs) { qs->qid = 2; }
static void qs_noqueue(struct kite_ioc_queue_start *qs) { qs->qid = 99; }
static void qs_port(struct kite_ioc_queue_start *qs) { qs->port = 2; }
static void qs_small(struct kite_ioc_queue_start *qs) { qs->tx_log2 = 2; }
static void qs_big(struct kite_ioc_queue_start *qs) { qs->rx_log2 = 16; }
static void qs_buf(struct kite_ioc_queue_start *qs) { qs->rx_buf_size = 2000; }
static void qs_buf0(struct kite_ioc_queue_start *qs) { qs->rx_buf_size = 32; }
static void qs_align(struct kite_ioc_queue_start *qs) { qs->rx_cq += 8; }
static void qs_outside(struct kite_ioc_queue_start *qs) { qs->tx_ring = 0x5000; }
static void qs_straddle(struct kite_ioc_queue_start *qs)
{
	qs->rx_cq = RING_IOVA + 2 * MB - 0x800;	/* 4 KiB ring, 2 KiB inside */
}

static void qs_huge(struct kite_ioc_queue_start *qs)
{
	qs->tx_log2 = 15;	/* 512 KiB of descriptors at tx_ring overlaps... fine */
	qs->tx_cq = RING_IOVA + 2 * MB - 0x1000;	/* but its 512 KiB CQ runs off the end */
}

static const struct start_case start_cases[] = {
	{ "valid", qs_none, 0 },
	{ "wrong struct size", qs_size, -EINVAL },
	{ "queue owned by another file", qs_unowned, -EPERM },
	{ "queue does not exist", qs_noqueue, -EINVAL },
	{ "port does not exist", qs_port, -EINVAL },
	{ "ring smaller than 8", qs_small, -EINVAL },
	{ "ring larger than the card's", qs_big, -EINVAL },
	{ "RX buffer not a multiple of 64", qs_buf, -EINVAL },
	{ "RX buffer under 64 bytes", qs_buf0, -EINVAL },
	{ "ring not 64-byte aligned", qs_align, -EFAULT },
	{ "ring outside the file's memory", qs_outside, -EFAULT },
	{ "ring straddles the end of a mapping", qs_straddle, -EFAULT },
	{ "big ring runs off a mapping", qs_huge, -EFAULT },
};

static void start_case_desc(const struct start_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(start, start_cases, start_case_desc);

static void kite_queue_start_check_test(struct kunit *test)
{
	const struct start_case *c = test->param_value;
	struct kite_limits lim = { .nports = 2, .nqueues = 16, .max_ring_log2 = 15 };
	struct kite_owners o = { .nqueues = 16, .nfilters = 64 };
	struct kite_mapping rings = { .vaddr = 0x7f0000000000ULL, .iova = RING_IOVA,
				      .len = 2 * MB };
	struct kite_ioc_queue_start qs = good_start();
	struct kite_maps m;

	kite_maps_init(&m, 64 * MB);
	kite_maps_add(&m, &rings);
	KUNIT_ASSERT_EQ(test, kite_queue_claim(&o, 1, &file_a), 0);
	KUNIT_ASSERT_EQ(test, kite_queue_claim(&o, 2, &file_b), 0);
	c->mangle(&qs);
	KUNIT_EXPECT_EQ(test, kite_queue_start_check(&qs, &lim, &o, &m, &file_a), c->want);
}

/* ---- FILTER_ADD and PORT_SET ---------------------------------------------------- */

static void kite_filter_check_test(struct kunit *test)
{
	struct kite_limits lim = { .nports = 2, .nqueues = 16, .max_ring_log2 = 15 };
	struct kite_owners o = { .nqueues = 16, .nfilters = 64 };
	struct kite_ioc_filter f = { .size = sizeof(f), .type = KITE_F_CTRL_TYPE_UDP_DST,
				     .port = 1, .queue = 3, .key = 5000 };

	KUNIT_ASSERT_EQ(test, kite_queue_claim(&o, 3, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_b), -EPERM);
	f.key = 1 << 16;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.type = KITE_F_CTRL_TYPE_IPV4_DST;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), 0);
	f.key = 1ULL << 32;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.type = KITE_F_CTRL_TYPE_DST_MAC;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), 0);
	f.key = 1ULL << 48;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.key = 1;
	f.type = 0;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.type = 4;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.type = KITE_F_CTRL_TYPE_DST_MAC;
	f.port = 2;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.port = 0;
	f.queue = 16;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.queue = 3;
	f.rsvd = 1;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
	f.rsvd = 0;
	f.size = 4;
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, &o, &file_a), -EINVAL);
}

static void kite_port_check_test(struct kunit *test)
{
	struct kite_limits lim = { .nports = 2, .nqueues = 16, .max_ring_log2 = 15 };
	struct kite_ioc_port p = { .size = sizeof(p), .port = 1, .mtu = 9000, .default_queue = 3 };

	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), 0);
	p.mtu = 9001;
	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), -EINVAL);
	p.mtu = 67;
	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), -EINVAL);
	p.mtu = 0;	/* leave as is */
	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), 0);
	p.default_queue = 16;
	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), -EINVAL);
	p.default_queue = -3;
	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), -EINVAL);
	p.default_queue = -1;
	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), 0);
	p.port = 2;
	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), -EINVAL);
}

static struct kunit_case kite_logic_cases[] = {
	KUNIT_CASE_PARAM(kite_dma_map_check_test, dma_gen_params),
	KUNIT_CASE(kite_maps_bookkeeping_test),
	KUNIT_CASE(kite_maps_cover_test),
	KUNIT_CASE_PARAM(kite_mmap_decode_test, mmap_gen_params),
	KUNIT_CASE(kite_queue_ownership_test),
	KUNIT_CASE(kite_filter_ownership_test),
	KUNIT_CASE_PARAM(kite_queue_start_check_test, start_gen_params),
	KUNIT_CASE(kite_filter_check_test),
	KUNIT_CASE(kite_port_check_test),
	{}
};

static struct kunit_suite kite_logic_suite = {
	.name = "kite_logic",
	.test_cases = kite_logic_cases,
};

kunit_test_suite(kite_logic_suite);

MODULE_LICENSE("GPL");
