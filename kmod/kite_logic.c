// SPDX-License-Identifier: GPL-2.0
/*
 * kite.ko: argument checks and bookkeeping (see kite_logic.h). Every value
 * here comes from userspace: check sizes, ranges, alignment and overflow
 * before anything else looks at it.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/mm.h>

#include "kite_logic.h"

void kite_maps_init(struct kite_maps *m, u64 limit)
{
	INIT_LIST_HEAD(&m->list);
	m->pinned = 0;
	m->limit = limit;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* A DMA_MAP request: page-aligned, non-empty, no wrap, under the limit, new VA. */
int kite_dma_map_check(const struct kite_maps *m, const struct kite_ioc_dma_map *req)
{
	struct kite_mapping *map;

	if (req->size != sizeof(*req) || req->flags)
		return -EINVAL;
	if (!req->length || !PAGE_ALIGNED(req->vaddr) || !PAGE_ALIGNED(req->length))
		return -EINVAL;
	if (req->vaddr + req->length < req->vaddr || req->vaddr + req->length > TASK_SIZE)
		return -EFAULT;
	if (req->length > m->limit || m->pinned > m->limit - req->length)
		return -ENOSPC;
	list_for_each_entry(map, &m->list, node)	/* pending ones too */
		if (ranges_overlap(req->vaddr, req->length, map->vaddr, map->len))
			return -EEXIST;
	return 0;
}

/* List a mapping (ready or still pending) and count it against the limit. */
void kite_maps_add(struct kite_maps *m, struct kite_mapping *map)
{
	list_add_tail(&map->node, &m->list);
	m->pinned += map->len;
}

/* Unlist exactly this mapping: the undo of kite_maps_add(). */
void kite_maps_remove(struct kite_maps *m, struct kite_mapping *map)
{
	list_del(&map->node);
	m->pinned -= map->len;
}

/* Remove and return the ready mapping that starts at iova, or NULL. */
struct kite_mapping *kite_maps_take(struct kite_maps *m, u64 iova)
{
	struct kite_mapping *map;

	list_for_each_entry(map, &m->list, node) {
		if (map->ready && map->iova == iova) {
			kite_maps_remove(m, map);
			return map;
		}
	}
	return NULL;
}

bool kite_maps_empty(const struct kite_maps *m)
{
	return list_empty(&m->list);
}

/* Does [iova, iova + len) lie inside one of the file's mappings? */
bool kite_maps_cover(const struct kite_maps *m, u64 iova, u64 len)
{
	struct kite_mapping *map;

	list_for_each_entry(map, &m->list, node) {
		u64 off = iova - map->iova;	/* wraps when iova < map->iova */

		if (map->ready && off < map->len && len <= map->len - off)
			return true;
	}
	return false;
}

int kite_mmap_decode(u64 offset, u64 len, unsigned int nqueues, enum kite_region *region,
		     unsigned int *qid)
{
	if (!len || !PAGE_ALIGNED(offset))
		return -EINVAL;
	if (offset == KITE_MMAP_BAR0) {
		if (len > KITE_BAR_CTRL_SIZE)
			return -EINVAL;
		*region = KITE_REGION_BAR0;
		return 0;
	}
	if (offset < KITE_MMAP_DB_BASE || (offset - KITE_MMAP_DB_BASE) % KITE_DB_PAGE_SIZE)
		return -EINVAL;
	if ((offset - KITE_MMAP_DB_BASE) / KITE_DB_PAGE_SIZE >= nqueues)
		return -EINVAL;
	if (len > KITE_DB_PAGE_SIZE)
		return -EINVAL;
	*region = KITE_REGION_DB;
	*qid = (offset - KITE_MMAP_DB_BASE) / KITE_DB_PAGE_SIZE;
	return 0;
}

/* Become the card's tenant, or stay it; -EBUSY while another file is. */
int kite_tenant_enter(struct kite_owners *o, const void *who)
{
	if (o->tenant && o->tenant != who)
		return -EBUSY;
	o->tenant = who;
	return 0;
}

/*
 * A tenant that holds no queue and (has_maps false) no DMA mapping gives the
 * card up, so another file may take it. Returns true if it did.
 */
bool kite_tenant_leave_if_idle(struct kite_owners *o, const void *who, bool has_maps)
{
	unsigned int q;

	if (o->tenant != who || has_maps)
		return false;
	for (q = 0; q < o->nqueues; q++)
		if (o->queue[q] == who)
			return false;
	o->tenant = NULL;
	return true;
}

/* Only the tenant claims queues (a file becomes it here if the card is free). */
/*
 * Which region one page of a user mapping shows. A mapping may have been
 * split (munmap or mprotect of a part), so a page is decoded on its own.
 */
int kite_page_decode(u64 offset, unsigned int nqueues, enum kite_region *region,
		     unsigned int *qid)
{
	if (!PAGE_ALIGNED(offset))
		return -EINVAL;
	if (offset - KITE_MMAP_BAR0 < KITE_BAR_CTRL_SIZE) {
		*region = KITE_REGION_BAR0;
		return 0;
	}
	if (offset < KITE_MMAP_DB_BASE ||
	    (offset - KITE_MMAP_DB_BASE) / KITE_DB_PAGE_SIZE >= nqueues)
		return -EINVAL;
	*region = KITE_REGION_DB;
	*qid = (offset - KITE_MMAP_DB_BASE) / KITE_DB_PAGE_SIZE;
	return 0;
}

int kite_queue_claim(struct kite_owners *o, unsigned int qid, const void *who)
{
	if (qid >= o->nqueues)
		return -EINVAL;
	if (o->queue[qid])
		return o->queue[qid] == who ? -EALREADY : -EBUSY;
	if (kite_tenant_enter(o, who))
		return -EBUSY;
	o->queue[qid] = who;
	return 0;
}

/*
 * Release a queue and every filter that steers to it (set in *filters, for
 * the caller to clear on the card): a filter must not outlive its queue and
 * steer frames to the next owner.
 */
int kite_queue_release(struct kite_owners *o, unsigned int qid, const void *who,
		       u64 *filters)
{
	unsigned int i;

	*filters = 0;
	if (qid >= o->nqueues)
		return -EINVAL;
	if (o->queue[qid] != who)
		return -EPERM;
	o->queue[qid] = NULL;
	for (i = 0; i < o->nfilters; i++) {
		if (o->filter[i].who && o->filter[i].queue == qid) {
			o->filter[i].who = NULL;
			*filters |= BIT_ULL(i);
		}
	}
	return 0;
}

/* The filter entries a file installed, as a bit mask of indexes. */
u64 kite_filters_of(const struct kite_owners *o, const void *who)
{
	unsigned int i;
	u64 mask = 0;

	for (i = 0; i < o->nfilters; i++)
		if (o->filter[i].who == who)
			mask |= BIT_ULL(i);
	return mask;
}

bool kite_queue_owned(const struct kite_owners *o, unsigned int qid, const void *who)
{
	return qid < o->nqueues && o->queue[qid] == who;
}

/*
 * Take a free filter entry for f (already checked by kite_filter_check). A key
 * that is already steered (same type, port and key) is refused with -EEXIST,
 * whoever steers it: the card's lowest matching index would win, so a second
 * entry could silently take the first one's traffic. Copy entries take
 * nothing; only a second copy of the same key is refused.
 */
int kite_filter_claim(struct kite_owners *o, const void *who, const struct kite_ioc_filter *f,
		      unsigned int *index)
{
	unsigned int i, free = o->nfilters;

	for (i = 0; i < o->nfilters; i++) {
		const struct kite_filter_owner *e = &o->filter[i];

		if (!e->who) {
			free = min(free, i);
			continue;
		}
		if (e->type == f->type && e->port == f->port && e->key == f->key &&
		    e->flags == f->flags)
			return -EEXIST;
	}
	if (free == o->nfilters)
		return -ENOSPC;
	o->filter[free] = (struct kite_filter_owner){ .who = who, .type = f->type,
						       .port = f->port, .queue = f->queue,
						       .flags = f->flags, .key = f->key };
	*index = free;
	return 0;
}

int kite_filter_release(struct kite_owners *o, unsigned int index, const void *who)
{
	if (index >= o->nfilters)
		return -EINVAL;
	if (o->filter[index].who != who)
		return -EPERM;
	o->filter[index].who = NULL;
	return 0;
}

static bool ring_ok(const struct kite_maps *m, u64 iova, u64 bytes)
{
	return IS_ALIGNED(iova, KITE_RING_ALIGN) && kite_maps_cover(m, iova, bytes);
}

/* hw-spec §6.1: the module programs rings only inside the caller's own memory. */
int kite_queue_start_check(const struct kite_ioc_queue_start *qs, const struct kite_limits *lim,
			   const struct kite_owners *o, const struct kite_maps *m,
			   const void *who)
{
	bool stream = qs->flags & KITE_IOC_QUEUE_RX_STREAM, wb = qs->flags & KITE_IOC_QUEUE_TX_WB;

	if ((qs->size != sizeof(*qs) && qs->size != KITE_IOC_QUEUE_START_SIZE_V1) ||
	    qs->flags & ~KITE_IOC_QUEUE_FLAGS || (!stream && (qs->rxs_log2 || qs->rxs_ring)) ||
	    (!wb && qs->tx_wb))
		return -EINVAL;
	/* a card without the feature would ignore the bit (hw-spec §2) and run another path */
	if ((stream && !KITE_FGET(KITE_ID_FEATURES_RX_STREAM, lim->features)) ||
	    (wb && !KITE_FGET(KITE_ID_FEATURES_TX_WB, lim->features)) ||
	    (qs->flags & KITE_IOC_QUEUE_PIO_DIRECT &&
	     !KITE_FGET(KITE_ID_FEATURES_PIO_DIRECT, lim->features)))
		return -EOPNOTSUPP;
	if (!kite_queue_owned(o, qs->qid, who))
		return qs->qid < lim->nqueues ? -EPERM : -EINVAL;
	if (qs->port >= lim->nports)
		return -EINVAL;
	if (qs->tx_log2 < KITE_MIN_RING_LOG2 || qs->tx_log2 > lim->max_ring_log2 ||
	    qs->rx_log2 < KITE_MIN_RING_LOG2 || qs->rx_log2 > lim->max_ring_log2)
		return -EINVAL;
	if (qs->rx_buf_size < KITE_RX_BUF_MIN || qs->rx_buf_size > KITE_RX_BUF_MAX ||
	    qs->rx_buf_size % 64)
		return -EINVAL;
	if (stream && (qs->rxs_log2 < KITE_RXS_MIN_LOG2 || qs->rxs_log2 > KITE_RXS_MAX_LOG2))
		return -EINVAL;
	if (!ring_ok(m, qs->tx_ring, (u64)sizeof(struct kite_tx_desc) << qs->tx_log2) ||
	    !ring_ok(m, qs->tx_cq, (u64)sizeof(struct kite_cqe) << qs->tx_log2) ||
	    !ring_ok(m, qs->pio_cq, (u64)sizeof(struct kite_cqe) * KITE_PIO_SLOTS) ||
	    (wb && !ring_ok(m, qs->tx_wb, KITE_RING_ALIGN)))
		return -EFAULT;
	if (stream ? !ring_ok(m, qs->rxs_ring, 1ULL << qs->rxs_log2) :
		     !ring_ok(m, qs->rx_ring, (u64)sizeof(struct kite_rx_desc) << qs->rx_log2) ||
		     !ring_ok(m, qs->rx_cq, (u64)sizeof(struct kite_cqe) << qs->rx_log2))
		return -EFAULT;
	return 0;
}

int kite_filter_check(const struct kite_ioc_filter *f, const struct kite_limits *lim,
		      const struct kite_owners *o, const void *who)
{
	if (f->size != sizeof(*f) || f->flags & ~KITE_IOC_FILTER_COPY)
		return -EINVAL;
	if (f->type < KITE_F_CTRL_TYPE_DST_MAC || f->type > KITE_F_CTRL_TYPE_ALL)
		return -EINVAL;
	/* hw-spec §3.8: ALL would take every frame of the port; copies only */
	if (f->type == KITE_F_CTRL_TYPE_ALL && !(f->flags & KITE_IOC_FILTER_COPY))
		return -EINVAL;
	if (f->flags & KITE_IOC_FILTER_COPY &&
	    !KITE_FGET(KITE_ID_FEATURES_COPY_FILTERS, lim->features))
		return -EOPNOTSUPP;
	if (f->key >> KITE_F_KEY_BITS(f->type) || f->port >= lim->nports)
		return -EINVAL;
	/* a file may only steer traffic to its own queues */
	if (!kite_queue_owned(o, f->queue, who))
		return f->queue < lim->nqueues ? -EPERM : -EINVAL;
	return 0;
}

int kite_port_check(const struct kite_ioc_port *p, const struct kite_limits *lim)
{
	if (p->size != sizeof(*p) || p->port >= lim->nports)
		return -EINVAL;
	if (p->mtu && (p->mtu < KITE_MIN_MTU || p->mtu > KITE_MAX_FRAME - KITE_FRAME_OVERHEAD))
		return -EINVAL;
	if (p->default_queue < KITE_PORT_DEFAULT_LEAVE || p->default_queue >= (int)lim->nqueues)
		return -EINVAL;
	return 0;
}
