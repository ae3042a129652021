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
	struct kite_mapping existing = { .vaddr = 0x10000000, .iova = 0x1000000, .len = 2 * MB,
					 .ready = true };
	struct kite_ioc_dma_map req = { .size = c->size, .flags = c->flags, .vaddr = c->vaddr,
					.length = c->length };
	struct kite_maps m;

	kite_maps_init(&m, 32 * MB);
	kite_maps_add(&m, &existing);
	KUNIT_EXPECT_EQ(test, kite_dma_map_check(&m, &req), c->want);
}

static void kite_maps_bookkeeping_test(struct kunit *test)
{
	struct kite_mapping a = { .vaddr = 0x10000000, .iova = 0x100000000ULL, .len = 2 * MB,
				  .ready = true };
	struct kite_mapping b = { .vaddr = 0x20000000, .iova = 0x200000000ULL, .len = 4 * MB,
				  .ready = true };
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
	struct kite_mapping a = { .vaddr = 0x10000000, .iova = 0x100000000ULL, .len = 2 * MB,
				  .ready = true };
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

/* A decode's result against a case's expectation (mmap_case and page_case alike). */
static void expect_decoded(struct kunit *test, int err, enum kite_region region, unsigned int qid,
			   int want, enum kite_region want_region, unsigned int want_qid)
{
	KUNIT_EXPECT_EQ(test, err, want);
	if (!err) {
		KUNIT_EXPECT_EQ(test, region, want_region);
		if (region == KITE_REGION_DB)
			KUNIT_EXPECT_EQ(test, qid, want_qid);
	}
}

static void kite_mmap_decode_test(struct kunit *test)
{
	const struct mmap_case *c = test->param_value;
	enum kite_region region = -1;
	unsigned int qid = ~0U;
	int err = kite_mmap_decode(c->offset, c->len, KITE_MAX_QUEUES, &region, &qid);

	expect_decoded(test, err, region, qid, c->want, c->region, c->qid);
}

struct page_case {
	const char *desc;
	u64 offset;
	int want;
	enum kite_region region;
	unsigned int qid;
};

/* one page of a mapping, which munmap or mprotect may have split */
static const struct page_case page_cases[] = {
	{ "BAR0 first page", KITE_MMAP_BAR0, 0, KITE_REGION_BAR0 },
	{ "BAR0 second page (split mapping)", KITE_MMAP_BAR0 + PAGE_SIZE, 0, KITE_REGION_BAR0 },
	{ "BAR0 last page", KITE_BAR_CTRL_SIZE - PAGE_SIZE, 0, KITE_REGION_BAR0 },
	{ "past BAR0", KITE_BAR_CTRL_SIZE, -EINVAL },
	{ "unaligned", PAGE_SIZE + 8, -EINVAL },
	{ "queue 0 doorbells", KITE_MMAP_DB(0), 0, KITE_REGION_DB, 0 },
	{ "queue 15 doorbells", KITE_MMAP_DB(15), 0, KITE_REGION_DB, 15 },
	{ "queue 16: no such queue", KITE_MMAP_DB(16), -EINVAL },
	{ "far beyond", 1ULL << 40, -EINVAL },
};

static void page_case_desc(const struct page_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(page, page_cases, page_case_desc);

static void kite_page_decode_test(struct kunit *test)
{
	const struct page_case *c = test->param_value;
	enum kite_region region = -1;
	unsigned int qid = ~0U;
	int err = kite_page_decode(c->offset, KITE_MAX_QUEUES, &region, &qid);

	expect_decoded(test, err, region, qid, c->want, c->region, c->qid);
}

/* ---- ownership --------------------------------------------------------------- */

/* On the heap: 64 filter entries are too big for a KASAN test's stack frame. */
static struct kite_owners *new_owners(struct kunit *test, unsigned int nq, unsigned int nf)
{
	struct kite_owners *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, o);
	o->nqueues = nq;
	o->nfilters = nf;
	return o;
}

static int file_a, file_b;	/* stand-ins for two open files */

static void kite_queue_ownership_test(struct kunit *test)
{
	struct kite_owners *o = new_owners(test, 4, 2);
	u64 filters;

	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 0, &file_a), 0);
	KUNIT_EXPECT_PTR_EQ(test, o->tenant, (const void *)&file_a);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 0, &file_a), -EALREADY);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 0, &file_b), -EBUSY);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 4, &file_b), -EINVAL);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, ~0U, &file_b), -EINVAL);
	KUNIT_EXPECT_TRUE(test, kite_queue_owned(o, 0, &file_a));
	KUNIT_EXPECT_FALSE(test, kite_queue_owned(o, 0, &file_b));
	KUNIT_EXPECT_FALSE(test, kite_queue_owned(o, 9, &file_a));
	KUNIT_EXPECT_EQ(test, kite_queue_release(o, 0, &file_b, &filters), -EPERM);
	KUNIT_EXPECT_EQ(test, kite_queue_release(o, 0, &file_a, &filters), 0);
	KUNIT_EXPECT_EQ(test, filters, 0);
	/* double release */
	KUNIT_EXPECT_EQ(test, kite_queue_release(o, 0, &file_a, &filters), -EPERM);
	KUNIT_EXPECT_EQ(test, kite_queue_release(o, 7, &file_a, &filters), -EINVAL);
	KUNIT_EXPECT_TRUE(test, kite_tenant_leave_if_idle(o, &file_a, false));
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 0, &file_b), 0);
	KUNIT_EXPECT_PTR_EQ(test, o->tenant, (const void *)&file_b);
}

/* One tenant at a time: a file that holds a queue or memory keeps the card. */
static void kite_tenant_test(struct kunit *test)
{
	struct kite_owners *o = new_owners(test, 4, 2);
	u64 filters;

	KUNIT_EXPECT_EQ(test, kite_tenant_enter(o, &file_a), 0);	/* its DMA_MAP */
	KUNIT_EXPECT_EQ(test, kite_tenant_enter(o, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_tenant_enter(o, &file_b), -EBUSY);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 1, &file_b), -EBUSY);	/* a free queue */
	KUNIT_EXPECT_FALSE(test, o->queue[1]);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 1, &file_a), 0);
	/* holding memory or a queue keeps the tenancy */
	KUNIT_EXPECT_FALSE(test, kite_tenant_leave_if_idle(o, &file_a, true));
	KUNIT_EXPECT_FALSE(test, kite_tenant_leave_if_idle(o, &file_a, false));
	KUNIT_EXPECT_FALSE(test, kite_tenant_leave_if_idle(o, &file_b, false));	/* not it */
	KUNIT_EXPECT_PTR_EQ(test, o->tenant, (const void *)&file_a);
	KUNIT_EXPECT_EQ(test, kite_queue_release(o, 1, &file_a, &filters), 0);
	KUNIT_EXPECT_FALSE(test, kite_tenant_leave_if_idle(o, &file_a, true));
	KUNIT_EXPECT_TRUE(test, kite_tenant_leave_if_idle(o, &file_a, false));
	KUNIT_EXPECT_PTR_EQ(test, o->tenant, NULL);
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 1, &file_b), 0);
}

static struct kite_ioc_filter udp_filter(u32 queue, u64 port)
{
	return (struct kite_ioc_filter){ .size = sizeof(struct kite_ioc_filter),
					 .type = KITE_F_CTRL_TYPE_UDP_DST, .port = 0,
					 .queue = queue, .key = port };
}

static void kite_filter_ownership_test(struct kunit *test)
{
	struct kite_owners *o = new_owners(test, 4, 2);
	struct kite_ioc_filter f1 = udp_filter(0, 5000), f2 = udp_filter(1, 5001);
	unsigned int i, j, k;

	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_a, &f1, &i), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f2, &j), 0);
	KUNIT_EXPECT_NE(test, i, j);
	f1.key = 5002;
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_a, &f1, &k), -ENOSPC);
	KUNIT_EXPECT_EQ(test, kite_filter_release(o, j, &file_a), -EPERM);
	KUNIT_EXPECT_EQ(test, kite_filter_release(o, 2, &file_a), -EINVAL);
	KUNIT_EXPECT_EQ(test, kite_filter_release(o, i, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_release(o, i, &file_a), -EPERM);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f1, &k), 0);
	KUNIT_EXPECT_EQ(test, k, i);
	KUNIT_EXPECT_EQ(test, kite_filters_of(o, &file_b), BIT_ULL(i) | BIT_ULL(j));
	KUNIT_EXPECT_EQ(test, kite_filters_of(o, &file_a), 0);
}

/* A steered key cannot be steered again, by anyone, to any queue. */
static void kite_filter_duplicate_test(struct kunit *test)
{
	struct kite_owners *o = new_owners(test, 4, 8);
	struct kite_ioc_filter f = udp_filter(0, 5000);
	unsigned int i, j;

	KUNIT_ASSERT_EQ(test, kite_filter_claim(o, &file_a, &f, &i), 0);
	f.queue = 1;
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f, &j), -EEXIST);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_a, &f, &j), -EEXIST);
	f.port = 1;	/* the same key on the other port is another flow */
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f, &j), 0);
	f.port = 0;
	f.type = KITE_F_CTRL_TYPE_IPV4_DST;	/* and so is another type */
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f, &j), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_release(o, i, &file_a), 0);
	f = udp_filter(2, 5000);	/* free again once deleted */
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f, &j), 0);
}

/* Releasing a queue drops the filters that steer to it, and only those. */
static void kite_queue_release_filters_test(struct kunit *test)
{
	struct kite_owners *o = new_owners(test, 4, 8);
	struct kite_ioc_filter f;
	unsigned int a0, a1, b0;
	u64 dropped;

	KUNIT_ASSERT_EQ(test, kite_queue_claim(o, 0, &file_a), 0);
	KUNIT_ASSERT_EQ(test, kite_queue_claim(o, 1, &file_a), 0);
	f = udp_filter(0, 1000);
	KUNIT_ASSERT_EQ(test, kite_filter_claim(o, &file_a, &f, &a0), 0);
	f = udp_filter(1, 1001);
	KUNIT_ASSERT_EQ(test, kite_filter_claim(o, &file_a, &f, &a1), 0);
	f = udp_filter(0, 1002);
	KUNIT_ASSERT_EQ(test, kite_filter_claim(o, &file_a, &f, &b0), 0);
	KUNIT_EXPECT_EQ(test, kite_queue_release(o, 0, &file_a, &dropped), 0);
	KUNIT_EXPECT_EQ(test, dropped, BIT_ULL(a0) | BIT_ULL(b0));
	KUNIT_EXPECT_EQ(test, kite_filters_of(o, &file_a), BIT_ULL(a1));
	/* the next owner of queue 0 can steer port 1000 again */
	KUNIT_EXPECT_EQ(test, kite_queue_claim(o, 0, &file_a), 0);
	f = udp_filter(0, 1000);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_a, &f, &a0), 0);
}

/* A pending DMA_MAP (still pinning) reserves its range but cannot be used or unmapped. */
static void kite_maps_pending_test(struct kunit *test)
{
	struct kite_mapping pend = { .vaddr = 0x10000000, .iova = 0x100000000ULL, .len = 2 * MB };
	struct kite_ioc_dma_map req = { .size = sizeof(req), .vaddr = 0x10000000,
					.length = PAGE_SIZE };
	struct kite_maps m;

	kite_maps_init(&m, 8 * MB);
	kite_maps_add(&m, &pend);
	KUNIT_EXPECT_EQ(test, m.pinned, 2 * MB);
	KUNIT_EXPECT_EQ(test, kite_dma_map_check(&m, &req), -EEXIST);
	KUNIT_EXPECT_FALSE(test, kite_maps_cover(&m, pend.iova, 64));
	KUNIT_EXPECT_PTR_EQ(test, kite_maps_take(&m, pend.iova), NULL);
	pend.ready = true;
	KUNIT_EXPECT_TRUE(test, kite_maps_cover(&m, pend.iova, 64));
	kite_maps_remove(&m, &pend);
	KUNIT_EXPECT_EQ(test, m.pinned, 0);
	KUNIT_EXPECT_TRUE(test, kite_maps_empty(&m));
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

/* v1.3 stream queues (hw-spec §5.4): the stream ring is checked, the RX rings are not */
static void qs_stream(struct kite_ioc_queue_start *qs)
{
	qs->flags = KITE_IOC_QUEUE_RX_STREAM;
	qs->rxs_log2 = 20;
	qs->rxs_ring = RING_IOVA + MB;
	qs->rx_ring = 0x5000;	/* outside: unused, so not checked */
	qs->rx_cq = 0;
}

static void qs_v1(struct kite_ioc_queue_start *qs) { qs->size = KITE_IOC_QUEUE_START_SIZE_V1; }
static void qs_flags(struct kite_ioc_queue_start *qs) { qs->flags = 0x8; }
static void qs_wb(struct kite_ioc_queue_start *qs)
{
	qs->flags = KITE_IOC_QUEUE_TX_WB;
	qs->tx_wb = RING_IOVA + 0x5000;
}

static void qs_wb_outside(struct kite_ioc_queue_start *qs)
{
	qs_wb(qs);
	qs->tx_wb = RING_IOVA + 2 * MB;	/* the line just past the mapping */
}

static void qs_wb_align(struct kite_ioc_queue_start *qs)
{
	qs_wb(qs);
	qs->tx_wb += 8;
}

static void qs_wb_noflag(struct kite_ioc_queue_start *qs) { qs->tx_wb = RING_IOVA + 0x5000; }
static void qs_direct(struct kite_ioc_queue_start *qs) { qs->flags = KITE_IOC_QUEUE_PIO_DIRECT; }
static void qs_rxs_nostream(struct kite_ioc_queue_start *qs) { qs->rxs_log2 = 20; }
static void qs_stream_big(struct kite_ioc_queue_start *qs)
{
	qs_stream(qs);
	qs->rxs_log2 = 22;
}

static void qs_stream_small(struct kite_ioc_queue_start *qs)
{
	qs_stream(qs);
	qs->rxs_log2 = 15;
}

static void qs_stream_outside(struct kite_ioc_queue_start *qs)
{
	qs_stream(qs);
	qs->rxs_ring = RING_IOVA + MB + 0x1000;	/* 1 MiB ring, 4 KiB past the mapping */
}

static void qs_stream_align(struct kite_ioc_queue_start *qs)
{
	qs_stream(qs);
	qs->rxs_ring += 32;
}

static const struct start_case start_cases[] = {
	{ "stream queue", qs_stream, 0 },
	{ "1.0 struct size", qs_v1, 0 },
	{ "unknown flag", qs_flags, -EINVAL },
	{ "direct PIO", qs_direct, 0 },
	{ "TX write-back", qs_wb, 0 },
	{ "TX write-back line outside the file's memory", qs_wb_outside, -EFAULT },
	{ "TX write-back line not 64-byte aligned", qs_wb_align, -EFAULT },
	{ "TX write-back address without the flag", qs_wb_noflag, -EINVAL },
	{ "stream ring without the flag", qs_rxs_nostream, -EINVAL },
	{ "stream ring over 2 MiB", qs_stream_big, -EINVAL },
	{ "stream ring under 64 KiB", qs_stream_small, -EINVAL },
	{ "stream ring runs off the mapping", qs_stream_outside, -EFAULT },
	{ "stream ring not 64-byte aligned", qs_stream_align, -EFAULT },
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

/*
 * kite_queue_start_check for file_a, which claimed queue 1 and mapped 2 MiB
 * at RING_IOVA (file_b held queue 2), on a card with these features.
 */
static int start_check(struct kunit *test, const struct kite_ioc_queue_start *qs, u32 features)
{
	struct kite_limits lim = { .nports = 2, .nqueues = 16, .max_ring_log2 = 15,
				   .features = features };
	struct kite_owners *o = new_owners(test, 16, 64);
	struct kite_mapping rings = { .vaddr = 0x7f0000000000ULL, .iova = RING_IOVA,
				      .len = 2 * MB, .ready = true };
	struct kite_maps m;

	kite_maps_init(&m, 64 * MB);
	kite_maps_add(&m, &rings);
	KUNIT_ASSERT_EQ(test, kite_queue_claim(o, 1, &file_a), 0);
	o->queue[2] = &file_b;	/* as if file_b had held it before file_a came */
	return kite_queue_start_check(qs, &lim, o, &m, &file_a);
}

static void kite_queue_start_check_test(struct kunit *test)
{
	const struct start_case *c = test->param_value;
	struct kite_ioc_queue_start qs = good_start();

	c->mangle(&qs);
	KUNIT_EXPECT_EQ(test, start_check(test, &qs, KITE_FEATURES_RESET), c->want);
}

/*
 * A card older than 1.3 would ignore Q_CTRL.RX_STREAM and DMA into the RX
 * rings given, ignore PIO_DIRECT and wait for doorbells, or ignore TX_WB
 */
static void kite_queue_start_feature_test(struct kunit *test)
{
	struct kite_ioc_queue_start qs = good_start();
	static const struct {
		void (*mangle)(struct kite_ioc_queue_start *qs);
		u32 feature;
	} need[] = {
		{ qs_stream, KITE_FMASK(KITE_ID_FEATURES_RX_STREAM) },
		{ qs_direct, KITE_FMASK(KITE_ID_FEATURES_PIO_DIRECT) },
		{ qs_wb, KITE_FMASK(KITE_ID_FEATURES_TX_WB) },
	};
	unsigned int i;

	/* a 1.2 card runs a 1.0 queue */
	KUNIT_EXPECT_EQ(test, start_check(test, &qs, KITE_FEATURES_RESET &
					  ~(KITE_FMASK(KITE_ID_FEATURES_RX_STREAM) |
					    KITE_FMASK(KITE_ID_FEATURES_PIO_DIRECT) |
					    KITE_FMASK(KITE_ID_FEATURES_TX_WB))), 0);
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		qs = good_start();
		need[i].mangle(&qs);
		KUNIT_EXPECT_EQ(test, start_check(test, &qs, KITE_FEATURES_RESET), 0);
		KUNIT_EXPECT_EQ(test,
				start_check(test, &qs, KITE_FEATURES_RESET & ~need[i].feature),
				-EOPNOTSUPP);
	}
}

/* ---- FILTER_ADD and PORT_SET ---------------------------------------------------- */

struct filter_case {
	const char *desc;
	u32 size, type, port, queue, flags;
	u64 key;
	bool copy_feature;	/* the card announces COPY_FILTERS */
	const void *who;
	int want;
};

#define FT_UDP	KITE_F_CTRL_TYPE_UDP_DST
#define FT_IP	KITE_F_CTRL_TYPE_IPV4_DST
#define FT_MAC	KITE_F_CTRL_TYPE_DST_MAC
#define FT_ALL	KITE_F_CTRL_TYPE_ALL
#define F_COPY	KITE_IOC_FILTER_COPY
#define F_SZ	sizeof(struct kite_ioc_filter)

/* Queue 3 belongs to file_a; the card has 2 ports and 16 queues. */
static const struct filter_case filter_cases[] = {
	{ "UDP port", F_SZ, FT_UDP, 1, 3, 0, 5000, false, &file_a, 0 },
	{ "to another file's queue", F_SZ, FT_UDP, 1, 3, 0, 5000, false, &file_b, -EPERM },
	{ "to a queue that does not exist", F_SZ, FT_UDP, 0, 16, 0, 5000, false, &file_a,
	  -EINVAL },
	{ "UDP key over 16 bits", F_SZ, FT_UDP, 1, 3, 0, 1 << 16, false, &file_a, -EINVAL },
	{ "IPv4 address", F_SZ, FT_IP, 1, 3, 0, 0xffffffffULL, false, &file_a, 0 },
	{ "IPv4 key over 32 bits", F_SZ, FT_IP, 1, 3, 0, 1ULL << 32, false, &file_a, -EINVAL },
	{ "MAC", F_SZ, FT_MAC, 1, 3, 0, (1ULL << 48) - 1, false, &file_a, 0 },
	{ "MAC key over 48 bits", F_SZ, FT_MAC, 1, 3, 0, 1ULL << 48, false, &file_a, -EINVAL },
	{ "type 0", F_SZ, 0, 1, 3, 0, 1, false, &file_a, -EINVAL },
	{ "type 5", F_SZ, 5, 1, 3, 0, 1, false, &file_a, -EINVAL },
	{ "port that does not exist", F_SZ, FT_MAC, 2, 3, 0, 1, false, &file_a, -EINVAL },
	{ "wrong struct size", 4, FT_MAC, 0, 3, 0, 1, false, &file_a, -EINVAL },
	{ "unknown flag", F_SZ, FT_MAC, 0, 3, 2, 1, false, &file_a, -EINVAL },
	{ "copy", F_SZ, FT_UDP, 0, 3, F_COPY, 5000, true, &file_a, 0 },
	{ "copy on a card without copies", F_SZ, FT_UDP, 0, 3, F_COPY, 5000, false, &file_a,
	  -EOPNOTSUPP },
	{ "copy of every frame", F_SZ, FT_ALL, 0, 3, F_COPY, 0, true, &file_a, 0 },
	{ "ALL with a key", F_SZ, FT_ALL, 0, 3, F_COPY, 1, true, &file_a, -EINVAL },
	{ "ALL that is not a copy", F_SZ, FT_ALL, 0, 3, 0, 0, true, &file_a, -EINVAL },
	{ "copy to another file's queue", F_SZ, FT_ALL, 0, 3, F_COPY, 0, true, &file_b, -EPERM },
};

static void filter_case_desc(const struct filter_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(filter, filter_cases, filter_case_desc);

static void kite_filter_check_test(struct kunit *test)
{
	const struct filter_case *c = test->param_value;
	struct kite_limits lim = { .nports = 2, .nqueues = 16, .max_ring_log2 = 15,
				   .features = c->copy_feature ?
					KITE_FMASK(KITE_ID_FEATURES_COPY_FILTERS) : 0 };
	struct kite_owners *o = new_owners(test, 16, 64);
	struct kite_ioc_filter f = { .size = c->size, .type = c->type, .port = c->port,
				     .queue = c->queue, .flags = c->flags, .key = c->key };

	KUNIT_ASSERT_EQ(test, kite_queue_claim(o, 3, &file_a), 0);
	KUNIT_EXPECT_EQ(test, kite_filter_check(&f, &lim, o, c->who), c->want);
}

/* A copy takes nothing: it may share a steered key; only a second copy is refused. */
static void kite_filter_copy_duplicate_test(struct kunit *test)
{
	struct kite_owners *o = new_owners(test, 4, 8);
	struct kite_ioc_filter f = udp_filter(0, 5000);
	unsigned int i, j;

	KUNIT_ASSERT_EQ(test, kite_filter_claim(o, &file_a, &f, &i), 0);
	f.queue = 1;
	f.flags = KITE_IOC_FILTER_COPY;
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f, &j), 0);
	f.queue = 2;
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f, &j), -EEXIST);
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_a, &f, &j), -EEXIST);
	f.flags = 0;	/* and the steered key is still steered */
	KUNIT_EXPECT_EQ(test, kite_filter_claim(o, &file_b, &f, &j), -EEXIST);
}

struct port_case {
	const char *desc;
	u32 size, port, mtu;
	s32 default_queue;
	int want;
};

#define P_SZ	sizeof(struct kite_ioc_port)

/* The card has 2 ports and 16 queues. */
static const struct port_case port_cases[] = {
	{ "jumbo MTU, default queue 3", P_SZ, 1, 9000, 3, 0 },
	{ "MTU over the largest frame", P_SZ, 1, 9001, 3, -EINVAL },
	{ "MTU under IPv4's minimum", P_SZ, 1, KITE_MIN_MTU - 1, 3, -EINVAL },
	{ "IPv4's minimum MTU", P_SZ, 1, KITE_MIN_MTU, 3, 0 },
	{ "MTU 0 leaves it", P_SZ, 1, 0, 3, 0 },
	{ "default queue that does not exist", P_SZ, 1, 0, 16, -EINVAL },
	{ "default: drop unmatched frames", P_SZ, 1, 0, KITE_PORT_DEFAULT_DROP, 0 },
	{ "default: leave it", P_SZ, 1, 0, KITE_PORT_DEFAULT_LEAVE, 0 },
	{ "default below the sentinels", P_SZ, 1, 0, KITE_PORT_DEFAULT_LEAVE - 1, -EINVAL },
	{ "port that does not exist", P_SZ, 2, 0, 3, -EINVAL },
	{ "wrong struct size", P_SZ - 4, 1, 0, 3, -EINVAL },
};

static void port_case_desc(const struct port_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(port, port_cases, port_case_desc);

static void kite_port_check_test(struct kunit *test)
{
	const struct port_case *c = test->param_value;
	struct kite_limits lim = { .nports = 2, .nqueues = 16, .max_ring_log2 = 15 };
	struct kite_ioc_port p = { .size = c->size, .port = c->port, .mtu = c->mtu,
				   .default_queue = c->default_queue };

	KUNIT_EXPECT_EQ(test, kite_port_check(&p, &lim), c->want);
}

static struct kunit_case kite_logic_cases[] = {
	KUNIT_CASE_PARAM(kite_dma_map_check_test, dma_gen_params),
	KUNIT_CASE(kite_maps_bookkeeping_test),
	KUNIT_CASE(kite_maps_cover_test),
	KUNIT_CASE_PARAM(kite_mmap_decode_test, mmap_gen_params),
	KUNIT_CASE_PARAM(kite_page_decode_test, page_gen_params),
	KUNIT_CASE(kite_queue_ownership_test),
	KUNIT_CASE(kite_tenant_test),
	KUNIT_CASE(kite_filter_ownership_test),
	KUNIT_CASE(kite_filter_duplicate_test),
	KUNIT_CASE(kite_queue_release_filters_test),
	KUNIT_CASE(kite_maps_pending_test),
	KUNIT_CASE_PARAM(kite_queue_start_check_test, start_gen_params),
	KUNIT_CASE(kite_queue_start_feature_test),
	KUNIT_CASE_PARAM(kite_filter_check_test, filter_gen_params),
	KUNIT_CASE(kite_filter_copy_duplicate_test),
	KUNIT_CASE_PARAM(kite_port_check_test, port_gen_params),
	{}
};

static struct kunit_suite kite_logic_suite = {
	.name = "kite_logic",
	.test_cases = kite_logic_cases,
};

kunit_test_suite(kite_logic_suite);

MODULE_LICENSE("GPL");
