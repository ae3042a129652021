// SPDX-License-Identifier: BSD-3-Clause
/*
 * The model's IOMMU: client memory registered as IOVA ranges, every device
 * access bounds-checked (hw-spec §7). A refused access is a DMA fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_internal.h"

#define IOVA_BASE	0x100000000ULL	/* 4 GiB: IOVA 0 is never valid */
#define IOVA_LIMIT	(1ULL << 48)	/* what a 48-bit IOMMU gives a card */
#define IOVA_ALIGN	0x200000ULL	/* 2 MiB, a hugepage */

static inline bool region_has(const struct emu_region *r, uint64_t iova, uint64_t len)
{
	uint64_t off = iova - r->iova;	/* wraps when iova < r->iova */

	return off < r->len && len <= r->len - off;
}

/*
 * A queue reaches only the regions of the client that claimed it (or, for a
 * VM, the guest's RAM): one client's descriptors cannot name another's IOVAs,
 * as an IOMMU domain per process would enforce.
 */
void *emu_dma_ptr(struct kite_emu *e, int owner, uint64_t iova, uint64_t len)
{
	unsigned int i;

	/* Most accesses hit the region of the previous one. */
	if (e->hint && e->hint->owner == owner && region_has(e->hint, iova, len))
		return e->hint->va + (iova - e->hint->iova);
	for (i = 0; i < e->nactive; i++) {
		struct emu_region *r = e->active[i];

		if (r->owner == owner && region_has(r, iova, len)) {
			e->hint = r;
			return r->va + (iova - r->iova);
		}
	}
	return NULL;
}

/* Rebuild the lookup list after a map or unmap. */
static void regions_changed(struct kite_emu *e)
{
	unsigned int i;

	e->nactive = 0;
	e->hint = NULL;
	for (i = 0; i < EMU_MAX_REGIONS; i++)
		if (e->region[i].used)
			e->active[e->nactive++] = &e->region[i];
}

static uint64_t iova_span(uint64_t len)
{
	return (len + IOVA_ALIGN - 1) & ~(IOVA_ALIGN - 1);
}

static int by_iova(const void *a, const void *b)
{
	const struct emu_region *x = *(const struct emu_region * const *)a;
	const struct emu_region *y = *(const struct emu_region * const *)b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/*
 * Place a region of len bytes at the lowest free IOVA, with an unmapped guard
 * of IOVA_ALIGN after it and after each neighbour, so overruns fault and no
 * two regions ever overlap however often clients map and unmap.
 */
static int iova_alloc(struct kite_emu *e, uint64_t len, uint64_t *iova)
{
	struct emu_region *sorted[EMU_MAX_REGIONS];
	uint64_t at = IOVA_BASE, size = iova_span(len);
	unsigned int i, n = 0;

	for (i = 0; i < e->nactive; i++)	/* a VM's RAM too: IOVAs never overlap it */
		sorted[n++] = e->active[i];
	qsort(sorted, n, sizeof(*sorted), by_iova);
	for (i = 0; i < n && sorted[i]->iova < at + size + IOVA_ALIGN; i++)
		if (sorted[i]->iova + iova_span(sorted[i]->len) + IOVA_ALIGN > at)
			at = sorted[i]->iova + iova_span(sorted[i]->len) + IOVA_ALIGN;
	if (at + size > IOVA_LIMIT)
		return -ENOSPC;
	*iova = at;
	return 0;
}

/*
 * DMA_MAP of a client's memfd. The memory must stay there while the model
 * may touch it: a sealed memfd (F_SEAL_SHRINK), and offset + length inside
 * its size, or a client could make the model take SIGBUS.
 */
int emu_dma_map(struct kite_emu *e, int owner, int fd, uint64_t len, uint64_t off,
		uint64_t *iova)
{
	struct emu_region *r = NULL;
	unsigned int i, mine = 0;
	uint64_t bytes = 0;
	struct stat st;
	int seals;
	void *va;
	int err;

	if (len == 0 || len > (1ULL << 40) || off % 4096)
		return -EINVAL;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) < 0)
		return -EBADF;
	if (off > (uint64_t)st.st_size || len > (uint64_t)st.st_size - off)
		return -ERANGE;
	for (i = 0; i < EMU_MAX_REGIONS; i++) {
		const struct emu_region *x = &e->region[i];

		if (!x->used && !r)
			r = &e->region[i];
		else if (x->used && x->owner >= 0 && e->client_pid[x->owner] == e->client_pid[owner]) {
			mine++;
			bytes += x->len;
		}
	}
	/* one process gets a quarter of the regions and a bounded address space */
	if (!r || mine >= EMU_MAX_REGIONS_PER_PROC || len > EMU_MAX_BYTES_PER_PROC - bytes)
		return -ENOSPC;
	err = iova_alloc(e, len, iova);
	if (err)
		return err;
	va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (va == MAP_FAILED)
		return -errno;
	r->va = va;
	r->len = len;
	r->iova = *iova;
	r->owner = owner;
	r->used = true;
	regions_changed(e);
	return 0;
}

/* Does queue q use ring k (emu_queue.ring_iova) in the way it was started? */
static bool ring_used(const struct emu_queue *q, unsigned int k)
{
	switch (k) {
	case 2: case 3:	return !q->rxs;		/* RX descriptors and completions */
	case 5:		return q->rxs;		/* §5.4 stream ring */
	case 6:		return q->tx_wb;	/* §6.4 write-back line */
	default:	return true;
	}
}

/* A queue whose rings sit in a region that goes away cannot run on. */
static void stop_queues_using(struct kite_emu *e, struct emu_region *r)
{
	static const uint8_t source[7] = {
		KITE_FAULT_INFO_SOURCE_TX_DESC, KITE_FAULT_INFO_SOURCE_TX_CQ,
		KITE_FAULT_INFO_SOURCE_RX_DESC, KITE_FAULT_INFO_SOURCE_RX_CQ,
		KITE_FAULT_INFO_SOURCE_PIO_CQ, KITE_FAULT_INFO_SOURCE_RX_STREAM,
		KITE_FAULT_INFO_SOURCE_TX_WB,
	};
	unsigned int qid, k;

	for (qid = 0; qid < KITE_MAX_QUEUES; qid++) {
		struct emu_queue *q = &e->q[qid];

		if (!q->running)
			continue;
		for (k = 0; k < 7; k++) {
			if (ring_used(q, k) && q->ring_iova[k] - r->iova < r->len) {
				emu_fault(e, qid, source[k], q->ring_iova[k], 0);
				emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_DMA_FAULT);
				break;
			}
		}
	}
}

static void region_release(struct kite_emu *e, struct emu_region *r)
{
	stop_queues_using(e, r);
	munmap(r->va, r->len);
	r->used = false;
	regions_changed(e);
}

int emu_dma_unmap(struct kite_emu *e, int owner, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < EMU_MAX_REGIONS; i++) {
		struct emu_region *r = &e->region[i];

		if (r->used && r->iova == iova && r->owner == owner) {
			region_release(e, r);
			return 0;
		}
	}
	return -ENOENT;
}

void emu_dma_unmap_owner(struct kite_emu *e, int owner)
{
	unsigned int i;

	for (i = 0; i < EMU_MAX_REGIONS; i++)
		if (e->region[i].used && e->region[i].owner == owner)
			region_release(e, &e->region[i]);
}

/*
 * A VM's RAM file as one region at IOVA 0: without an IOMMU in the guest a
 * DMA address is a guest physical address, which is the file offset for RAM
 * below the PCI hole (QEMU -machine pc with under 3 GiB).
 */
int emu_dma_attach_guest(struct kite_emu *e, const char *path, char *msg, size_t msglen)
{
	struct emu_region *r = &e->region[0];
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		snprintf(msg, msglen, "guest RAM file %s: %s", path,
			 fd < 0 ? strerror(errno) : "empty");
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	r->va = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (r->va == MAP_FAILED) {
		snprintf(msg, msglen, "cannot map guest RAM %s: %s", path, strerror(errno));
		return -errno;
	}
	r->iova = 0;
	r->len = (uint64_t)st.st_size;
	r->owner = EMU_OWNER_GUEST;
	r->used = true;
	regions_changed(e);
	return 0;
}

/* hw-spec §7: log the refused access in BAR0's fault ring. */
void emu_fault(struct kite_emu *e, unsigned int qid, unsigned int source,
	       uint64_t iova, uint64_t len)
{
	uint64_t count = r64(e, KITE_R_FAULT_COUNT) + 1;
	unsigned int slot = (count - 1) % KITE_FAULT_LOG_LEN;

	w64(e, KITE_R_AT(FAULT_IOVA, slot), iova);
	w32(e, KITE_R_AT(FAULT_INFO, slot),
	    KITE_FPREP(KITE_FAULT_INFO_QUEUE, qid) |
	    KITE_FPREP(KITE_FAULT_INFO_SOURCE, source) |
	    KITE_FPREP(KITE_FAULT_INFO_LEN, len > 0xffff ? 0xffff : len));
	w32(e, KITE_R_AT(FAULT_SEQ, slot), (uint32_t)count);
	w64(e, KITE_R_FAULT_COUNT, count);
}
