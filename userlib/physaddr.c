// SPDX-License-Identifier: BSD-3-Clause
/*
 * DMA addresses without an IOMMU (uio_kite, VFIO no-IOMMU mode): the memory's
 * physical address, from /proc/self/pagemap (root only). The memory is locked
 * so it stays where it is, and must be physically contiguous (a hugepage).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib_internal.h"

/* Physical address of one virtual page, from /proc/self/pagemap. */
static int virt_to_phys(int pm, uintptr_t va, uint64_t *pa)
{
	long page = getpagesize();
	uint64_t e;

	if (pread(pm, &e, sizeof(e), (off_t)(va / (uintptr_t)page) * 8) != sizeof(e))
		return -EIO;
	if (!(e & (1ULL << 63)))
		return -EFAULT;			/* not present */
	if (!(e & ((1ULL << 55) - 1)))
		return -EPERM;			/* PFNs hidden: not root */
	*pa = (e & ((1ULL << 55) - 1)) * (uint64_t)page + (va % (uintptr_t)page);
	return 0;
}

int kite_dma_map_physical(struct kite_dma *m, const char *who)
{
	long page = getpagesize();
	uint64_t base, pa;
	size_t off;
	int pm, err = 0;

	if (mlock(m->va, m->len))	/* the card keeps the address: no swapping */
		return kite_err(-errno, "cannot lock %zu bytes of DMA memory: %s (ulimit -l)",
				m->len, strerror(errno));
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		err = -errno;
		munlock(m->va, m->len);
		if (err == -EACCES || err == -EPERM)
			return kite_err(-EPERM, "%s needs physical addresses: /proc/self/pagemap "
					"shows them to root only (%s)", who, strerror(-err));
		return kite_err(err, "/proc/self/pagemap: %s", strerror(-err));
	}
	err = virt_to_phys(pm, (uintptr_t)m->va, &base);
	for (off = (size_t)page; !err && off < m->len; off += (size_t)page) {
		err = virt_to_phys(pm, (uintptr_t)m->va + off, &pa);
		if (!err && pa != base + off)
			err = -EINVAL;
	}
	close(pm);
	if (err) {
		munlock(m->va, m->len);
		if (err == -EPERM)
			return kite_err(err, "%s needs physical addresses: /proc/self/pagemap "
					"shows them to root only", who);
		if (err == -EINVAL)
			return kite_err(err, "%s: %zu bytes of DMA memory are not physically "
					"contiguous; reserve hugepages (echo 64 > "
					"/proc/sys/vm/nr_hugepages)", who, m->len);
		return kite_err(err, "%s: cannot find the physical address of DMA memory", who);
	}
	m->iova = base;
	return 0;
}
