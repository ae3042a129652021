// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite DMA memory and packet buffer pools. Memory is a memfd (2 MiB
 * hugepages when reserved) so every backend can map it: emu by fd, kmod and
 * vfio by address, uio by physical address.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "lib_internal.h"

#define HUGE_2M (2UL << 20)

static int map_memfd(struct kite_dma *m, size_t len, bool huge)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING |
			     (huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0);
	size_t align = huge ? HUGE_2M : 4096;
	int err;

	m->len = (len + align - 1) & ~(align - 1);
	m->fd = memfd_create("kite-dma", flags);
	if (m->fd < 0)
		return -errno;
	/* sealed: the card's model (kite-emu) maps only memory that cannot shrink */
	if (ftruncate(m->fd, (off_t)m->len) < 0 ||
	    fcntl(m->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		goto fail;
	/* MAP_POPULATE: fault everything in now, never on the hot path. */
	m->va = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, m->fd, 0);
	if (m->va == MAP_FAILED)
		goto fail;
	m->huge = huge;
	return 0;
fail:
	err = -errno;	/* before close() may change it */
	close(m->fd);
	m->fd = -1;
	m->va = NULL;	/* never MAP_FAILED: a later free must not unmap it */
	return err;
}

int kite_dma_alloc(struct kite_dev *dev, size_t len, struct kite_dma *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	err = map_memfd(m, len, true);
	if (err) {
		if (!dev->warned_small_pages++)	/* once per open device */
			kite_log(KITE_LOG_WARNING, "no free 2 MiB hugepages (reserve some: echo 64 "
				"> /proc/sys/vm/nr_hugepages); using 4 KiB pages");
		err = map_memfd(m, len, false);
		if (err)
			return kite_err(err, "cannot allocate %zu bytes of DMA memory: %s",
					len, strerror(-err));
	}
	err = dev->ops->dma_map(dev, m);
	if (err) {
		munmap(m->va, m->len);
		close(m->fd);
		m->va = NULL;
		return err;
	}
	return 0;
}

void kite_dma_free(struct kite_dev *dev, struct kite_dma *m)
{
	if (!m->va)
		return;
	dev->ops->dma_unmap(dev, m);
	munmap(m->va, m->len);
	close(m->fd);
	m->va = NULL;
}

int kite_pool_create(struct kite_dev *dev, unsigned int nbufs, unsigned int buf_size,
		     struct kite_pool **out)
{
	unsigned int i, per_chunk;
	struct kite_pool *p;
	int err;

	KITE_CALL();
	if (!dev || !out)
		return kite_err(-EINVAL, "kite_pool_create: NULL argument");
	if (buf_size < 256 || buf_size > KITE_RX_BUF_MAX || (buf_size & (buf_size - 1)))
		return kite_err(-EINVAL, "kite_pool_create: buffer size %u must be a power "
				"of two from 256 to %u", buf_size, KITE_RX_BUF_MAX);
	if (nbufs == 0 || nbufs > (1u << 20))
		return kite_err(-EINVAL, "kite_pool_create: %u buffers: need 1 to %u",
				nbufs, 1u << 20);
	p = calloc(1, sizeof(*p));
	if (!p)
		return kite_err(-ENOMEM, "kite_pool_create: out of memory");
	p->meta = aligned_alloc(64, sizeof(*p->meta) * nbufs);
	p->stack = malloc(sizeof(*p->stack) * nbufs);
	if (!p->meta || !p->stack) {
		err = kite_err(-ENOMEM, "kite_pool_create: out of memory for %u buffers", nbufs);
		goto fail;
	}
	p->dev = dev;
	p->nbufs = nbufs;
	p->buf_size = buf_size;
	per_chunk = KITE_CHUNK / buf_size;
	p->chunks = calloc((nbufs + per_chunk - 1) / per_chunk, sizeof(*p->chunks));
	if (!p->chunks) {
		err = kite_err(-ENOMEM, "kite_pool_create: out of memory");
		goto fail;
	}
	for (i = 0; i < nbufs; i += per_chunk) {
		unsigned int n = nbufs - i < per_chunk ? nbufs - i : per_chunk;

		err = kite_dma_alloc(dev, (size_t)n * buf_size, &p->chunks[p->nchunks]);
		if (err)
			goto fail;
		p->nchunks++;
	}
	for (i = 0; i < nbufs; i++) {
		struct kite_pkt *k = &p->meta[i];
		const struct kite_dma *c = &p->chunks[i / per_chunk];
		size_t off = (size_t)(i % per_chunk) * buf_size;

		memset(k, 0, sizeof(*k));
		k->data = (uint8_t *)c->va + off;
		k->iova = c->iova + off;
		k->pool = p;
		k->buf_size = buf_size;
		k->index = i;
		k->dev_tag = dev->tag;
		k->filter = KITE_CQE_NO_FILTER;
		p->stack[nbufs - 1 - i] = k;	/* buffer 0 comes out first */
	}
	p->nfree = nbufs;
	p->next = dev->pools;
	dev->pools = p;
	*out = p;
	return 0;
fail:
	while (p->nchunks)
		kite_dma_free(dev, &p->chunks[--p->nchunks]);
	free(p->chunks);
	free(p->meta);
	free(p->stack);
	free(p);
	return err;
}

void kite_pool_free(struct kite_pool *pool)
{
	struct kite_pool **pp;

	for (pp = &pool->dev->pools; *pp; pp = &(*pp)->next) {
		if (*pp == pool) {
			*pp = pool->next;
			break;
		}
	}
	while (pool->nchunks)
		kite_dma_free(pool->dev, &pool->chunks[--pool->nchunks]);
	free(pool->chunks);
	free(pool->meta);
	free(pool->stack);
	free(pool);
}

int kite_pool_destroy(struct kite_pool *pool)
{
	unsigned int i;

	KITE_NONNULL(pool);
	if (pool->nfree != pool->nbufs)
		return kite_err(-EBUSY, "kite_pool_destroy: %u of %u buffers are still out "
				"(in a queue or held by the application)",
				pool->nbufs - pool->nfree, pool->nbufs);
	for (i = 0; i < KITE_MAX_QUEUES; i++)
		if (pool->dev->queues[i] && pool->dev->queues[i]->rx_pool == pool)
			return kite_err(-EBUSY, "kite_pool_destroy: queue %u receives into "
					"this pool", i);
	kite_pool_free(pool);
	return 0;
}

struct kite_pkt *kite_pkt_alloc(struct kite_pool *pool)
{
	struct kite_pkt *p;

	if (__builtin_expect(pool->nfree == 0, 0))
		return NULL;
	p = pool->stack[--pool->nfree];
	p->flags = 0;
	p->owner = KITE_OWNER_APP;
	return p;
}

__attribute__((cold)) static void bad_free(const struct kite_pkt *pkt)
{
	kite_err(-EINVAL, "kite_pkt_free: buffer %u is not the application's: a double free, "
		 "or freed after kite_tx_burst took it", pkt->index);
}

/* Only the application's buffers come back this way: a double free is refused. */
void kite_pkt_free(struct kite_pkt *pkt)
{
	struct kite_pool *pool;

	if (!pkt)
		return;
	if (unlikely(pkt->owner != KITE_OWNER_APP)) {
		bad_free(pkt);
		return;
	}
	pool = pkt->pool;
	pkt->owner = KITE_OWNER_LIB;
	pool->stack[pool->nfree++] = pkt;
}

void kite_pkt_recycle(struct kite_pkt *pkt)
{
	pkt->pool->stack[pkt->pool->nfree++] = pkt;
}

unsigned int kite_pool_avail(const struct kite_pool *pool)
{
	return pool ? pool->nfree : 0;
}
