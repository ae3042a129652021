/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kite.ko's decisions, kept apart from hardware access so KUnit can test them
 * under UML: ioctl argument checks, mmap offset decoding, DMA mapping
 * bookkeeping, queue and filter ownership. Nothing here touches __iomem.
 */
#ifndef KITE_LOGIC_H
#define KITE_LOGIC_H

#include <linux/list.h>
#include <linux/types.h>

#include <kite/hw.h>
#include <kite/uapi.h>

/*
 * One DMA_MAP of one file. It is listed while still being pinned (not ready),
 * so overlapping requests and the pinned limit see it, but nothing can use or
 * unmap it until it is ready.
 */
struct kite_mapping {
	struct list_head node;
	u64 vaddr;
	u64 iova;
	u64 len;
	bool ready;		/* pinned and DMA-mapped: iova is valid */
	bool leak;		/* the card may still write it: never unpin (kite_dma.c) */
	void *priv;		/* pinned pages and DMA state (kite_dma.c) */
};

/* A file's mappings; the caller serialises access. */
struct kite_maps {
	struct list_head list;
	u64 pinned;		/* bytes */
	u64 limit;		/* bytes */
};

void kite_maps_init(struct kite_maps *m, u64 limit);
int kite_dma_map_check(const struct kite_maps *m, const struct kite_ioc_dma_map *req);
void kite_maps_add(struct kite_maps *m, struct kite_mapping *map);
void kite_maps_remove(struct kite_maps *m, struct kite_mapping *map);
struct kite_mapping *kite_maps_take(struct kite_maps *m, u64 iova);
bool kite_maps_empty(const struct kite_maps *m);
bool kite_maps_cover(const struct kite_maps *m, u64 iova, u64 len);

/* Which region an mmap offset selects. */
enum kite_region { KITE_REGION_BAR0, KITE_REGION_DB };
int kite_mmap_decode(u64 offset, u64 len, unsigned int nqueues, enum kite_region *region,
		     unsigned int *qid);
int kite_page_decode(u64 offset, unsigned int nqueues, enum kite_region *region,
		     unsigned int *qid);

/* A filter entry and who installed it (who == NULL: free). */
struct kite_filter_owner {
	const void *who;
	u32 type, port, queue, flags;
	u64 key;
};

/*
 * The card's tenant, and the owners of its queues and filter entries; NULL
 * means free. One open file at a time may be the tenant: only the tenant pins
 * memory and claims queues, so the card reaches no memory but the tenant's
 * (README: what a group member can reach). Caller serialises.
 */
struct kite_owners {
	const void *tenant;
	const void *queue[KITE_MAX_QUEUES];
	struct kite_filter_owner filter[KITE_MAX_FILTERS];
	unsigned int nqueues;
	unsigned int nfilters;
};

int kite_tenant_enter(struct kite_owners *o, const void *who);
bool kite_tenant_leave_if_idle(struct kite_owners *o, const void *who, bool has_maps);
int kite_queue_claim(struct kite_owners *o, unsigned int qid, const void *who);
int kite_queue_release(struct kite_owners *o, unsigned int qid, const void *who,
		       u64 *filters);
bool kite_queue_owned(const struct kite_owners *o, unsigned int qid, const void *who);
u64 kite_filters_of(const struct kite_owners *o, const void *who);
int kite_filter_claim(struct kite_owners *o, const void *who, const struct kite_ioc_filter *f,
		      unsigned int *index);
int kite_filter_release(struct kite_owners *o, unsigned int index, const void *who);

struct kite_limits {
	u32 features;		/* ID_FEATURES */
	unsigned int nports;
	unsigned int nqueues;
	unsigned int max_ring_log2;
};

int kite_queue_start_check(const struct kite_ioc_queue_start *qs, const struct kite_limits *lim,
			   const struct kite_owners *o, const struct kite_maps *m,
			   const void *who);
int kite_filter_check(const struct kite_ioc_filter *f, const struct kite_limits *lim,
		      const struct kite_owners *o, const void *who);
int kite_port_check(const struct kite_ioc_port *p, const struct kite_limits *lim);

#endif /* KITE_LOGIC_H */
