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

/* One DMA_MAP of one file. */
struct kite_mapping {
	struct list_head node;
	u64 vaddr;
	u64 iova;
	u64 len;
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
struct kite_mapping *kite_maps_take(struct kite_maps *m, u64 iova);
bool kite_maps_cover(const struct kite_maps *m, u64 iova, u64 len);

/* Which region an mmap offset selects. */
enum kite_region { KITE_REGION_BAR0, KITE_REGION_DB };
int kite_mmap_decode(u64 offset, u64 len, unsigned int nqueues, enum kite_region *region,
		     unsigned int *qid);

/* Owners of queues and filter entries; NULL means free. Caller serialises. */
struct kite_owners {
	const void *queue[KITE_MAX_QUEUES];
	const void *filter[KITE_MAX_FILTERS];
	unsigned int nqueues;
	unsigned int nfilters;
};

int kite_queue_claim(struct kite_owners *o, unsigned int qid, const void *who);
int kite_queue_release(struct kite_owners *o, unsigned int qid, const void *who);
bool kite_queue_owned(const struct kite_owners *o, unsigned int qid, const void *who);
int kite_filter_claim(struct kite_owners *o, const void *who, unsigned int *index);
int kite_filter_release(struct kite_owners *o, unsigned int index, const void *who);

struct kite_limits {
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
