// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite vfio backend (STYLE.md 6, as ixy's libixy-vfio.c walks it): group
 * -> viability -> container -> type1 IOMMU -> device fd -> region mmap -> DMA
 * mapped at IOVAs vfio_iova.c chooses (IOVA = VA where the IOMMU's ranges
 * allow it). The process owns the whole device; the card is reset
 * on open and close (a function reset where VFIO offers one, else the card's
 * own GCTRL.RESET). Every failure a user meets gets its own message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib_internal.h"
#include "sysfs.h"

struct vfio_priv {
	int container, group, device;
	char addr[32];
	int group_id;
	void *bar[2];		/* mappings of the register and doorbell BARs */
	size_t bar_len[2];
	int bar_index[2];
	bool can_reset;
	bool noiommu;		/* VFIO's unsafe no-IOMMU mode: physical addresses */
	enum kite_iova_mode iova_mode;	/* KITE_IOVA_MODE */
	struct kite_iova_space iova;	/* the IOMMU's usable ranges, allocated IOVAs */
};

/* Where the windows sit: kite's own BARs, or kite-emu's ivshmem board (BAR2). */
static void board_layout(const char *addr, int bars[2], size_t offs[2])
{
	unsigned int ven, dev;

	kite_pci_ids(addr, &ven, &dev);
	if (ven == KITE_PCI_VENDOR_ID) {
		bars[0] = KITE_BAR_CTRL;
		bars[1] = KITE_BAR_DB;
		offs[0] = offs[1] = 0;
	} else {	/* the ivshmem board (include/kite/board.h, KITE_BOARD_SHMEM) */
		bars[0] = bars[1] = 2;
		offs[0] = 0;
		offs[1] = KITE_BAR_CTRL_SIZE;
	}
}

static int map_bar(struct vfio_priv *p, int k, int bar, size_t off, size_t want)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = (uint32_t)bar };

	if (ioctl(p->device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return kite_err(-errno, "%s: BAR%d info: %s", p->addr, bar, strerror(errno));
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size < off + want)
		return kite_err(-ENODEV, "%s: BAR%d is %s", p->addr, bar,
				ri.size < off + want ? "too small for kite's windows" :
				"not mappable through VFIO");
	p->bar[k] = mmap(NULL, (size_t)ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, p->device,
			 (off_t)ri.offset);
	if (p->bar[k] == MAP_FAILED) {
		p->bar[k] = NULL;
		return kite_err(-errno, "%s: cannot map BAR%d: %s", p->addr, bar, strerror(errno));
	}
	p->bar_len[k] = (size_t)ri.size;
	p->bar_index[k] = bar;
	return 0;
}

static int open_group(struct vfio_priv *p)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char group[32], path[64];

	if (kite_pci_link(p->addr, "iommu_group", group, sizeof(group)))
		return kite_err(-ENODEV, "%s has no IOMMU group: boot with intel_iommu=on (or "
				"amd_iommu=on); without an IOMMU use uio_kite", p->addr);
	p->group_id = atoi(group);
	snprintf(path, sizeof(path), "/dev/vfio/%d", p->group_id);
	if (access(path, F_OK)) {	/* vfio's enable_unsafe_noiommu_mode names it so */
		snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", p->group_id);
		p->noiommu = access(path, F_OK) == 0;
		if (p->noiommu)
			kite_log(KITE_LOG_WARNING, "%s in VFIO no-IOMMU mode: nothing checks the "
				 "addresses the card is given (root only)", p->addr);
	}
	p->group = open(path, O_RDWR | O_CLOEXEC);
	if (p->group < 0) {
		if (errno == EACCES)
			return kite_err(-EACCES, "%s: permission denied (udev/60-kite.rules gives "
					"group 'kite' the VFIO group of kite cards)", path);
		if (errno == EPERM && p->noiommu)
			return kite_err(-EPERM, "%s: VFIO's no-IOMMU mode is for processes with "
					"CAP_SYS_RAWIO (root) only", path);
		if (errno == EBUSY)
			return kite_err(-EBUSY, "%s is in use by another process", path);
		return kite_err(-errno, "%s: %s", path, strerror(errno));
	}
	if (ioctl(p->group, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return kite_err(-EBUSY, "IOMMU group %d is not viable: another device in it is "
				"bound to a host driver; bind every device in "
				"/sys/kernel/iommu_groups/%d/devices to vfio-pci", p->group_id,
				p->group_id);
	return 0;
}

static int vfio_open(struct kite_dev *dev, const char *addr)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_priv *p = calloc(1, sizeof(*p));
	size_t offs[2];
	int bars[2], err, k;
	unsigned long type;

	if (!p)
		return kite_err(-ENOMEM, "%s: out of memory", addr);
	p->container = p->group = p->device = -1;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	dev->priv = p;
	err = kite_iova_mode_parse(getenv("KITE_IOVA_MODE"), &p->iova_mode);
	if (!err)
		err = open_group(p);
	if (err)
		goto fail;
	p->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	type = p->noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU;
	if (p->container < 0 || ioctl(p->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(p->container, VFIO_CHECK_EXTENSION, type)) {
		err = kite_err(-ENODEV, "/dev/vfio/vfio: no %s support (%s)", p->noiommu ?
			       "no-IOMMU" : "type1 IOMMU", p->noiommu ?
			       "vfio enable_unsafe_noiommu_mode=1" : "modprobe vfio_iommu_type1");
		goto fail;
	}
	if (ioctl(p->group, VFIO_GROUP_SET_CONTAINER, &p->container) < 0 ||
	    ioctl(p->container, VFIO_SET_IOMMU, type) < 0) {
		err = kite_err(-errno, "IOMMU group %d: cannot set up the container: %s",
			       p->group_id, strerror(errno));
		goto fail;
	}
	if (!p->noiommu) {
		err = kite_iova_query(p->container, &p->iova);
		if (err)
			goto fail;
	}
	p->device = ioctl(p->group, VFIO_GROUP_GET_DEVICE_FD, addr);
	if (p->device < 0 || ioctl(p->device, VFIO_DEVICE_GET_INFO, &di) < 0) {
		err = kite_err(-ENODEV, "%s: VFIO would not hand out the device: %s", addr,
			       strerror(errno));
		goto fail;
	}
	p->can_reset = di.flags & VFIO_DEVICE_FLAGS_RESET;
	board_layout(addr, bars, offs);
	err = map_bar(p, 0, bars[0], offs[0], KITE_BAR_CTRL_SIZE);
	if (!err && bars[1] != bars[0])
		err = map_bar(p, 1, bars[1], offs[1], KITE_BAR_DB_SIZE);
	if (err)
		goto fail;
	dev->bar0 = (uint8_t *)p->bar[0] + offs[0];
	dev->bar2 = (uint8_t *)(p->bar[1] ? p->bar[1] : p->bar[0]) + offs[1];
	/* we own the whole card now: start from a clean one (not when diagnosing it) */
	if (!(dev->flags & KITE_OPEN_NO_RESET) &&
	    !(p->can_reset && ioctl(p->device, VFIO_DEVICE_RESET) == 0) &&
	    kite_rd32(dev, KITE_R_ID_MAGIC) == KITE_MAGIC)
		kite_direct_reset(dev);
	return 0;
fail:
	for (k = 0; k < 2; k++)
		if (p->bar[k])
			munmap(p->bar[k], p->bar_len[k]);
	if (p->device >= 0)
		close(p->device);
	if (p->group >= 0)
		close(p->group);
	if (p->container >= 0)
		close(p->container);
	kite_iova_space_free(&p->iova);
	free(p);
	dev->priv = NULL;
	return err;
}

static void vfio_close(struct kite_dev *dev)
{
	struct vfio_priv *p = dev->priv;
	int k;

	if (!(dev->flags & KITE_OPEN_NO_RESET) &&
	    !(p->can_reset && ioctl(p->device, VFIO_DEVICE_RESET) == 0))
		kite_direct_reset(dev);	/* no queue may outlive us */
	for (k = 0; k < 2; k++)
		if (p->bar[k])
			munmap(p->bar[k], p->bar_len[k]);
	close(p->device);
	close(p->group);
	close(p->container);	/* drops every DMA mapping */
	kite_iova_space_free(&p->iova);
	free(p);
}

/*
 * The IOVA for a buffer (KITE_IOVA_MODE): its address when the IOMMU's ranges
 * hold it (auto, va), one allocated inside them (auto when the address does
 * not fit, alloc), or its physical address (pa: root, contiguous memory).
 */
static int choose_iova(struct vfio_priv *p, struct kite_dma *m, uint64_t *iova)
{
	uint64_t va = (uintptr_t)m->va;
	char ranges[256];
	int err;

	switch (p->iova_mode) {
	case KITE_IOVA_PA:
		err = kite_dma_map_physical(m, "KITE_IOVA_MODE=pa");
		*iova = m->iova;
		if (!err && !kite_iova_fits(&p->iova, *iova, m->len)) {
			kite_iova_ranges_str(&p->iova, ranges, sizeof(ranges));
			err = kite_err(-EINVAL, "KITE_IOVA_MODE=pa: physical address 0x%llx is "
				       "outside the IOMMU's usable ranges (%s)",
				       (unsigned long long)*iova, ranges);
		}
		if (!err)
			err = kite_iova_reserve(&p->iova, *iova, m->len);
		if (err && *iova == m->iova)
			munlock(m->va, m->len);
		return err;
	case KITE_IOVA_AUTO:
	case KITE_IOVA_VA:
		if (kite_iova_fits(&p->iova, va, m->len)) {
			*iova = va;
			return kite_iova_reserve(&p->iova, va, m->len);
		}
		if (p->iova_mode == KITE_IOVA_VA) {
			kite_iova_ranges_str(&p->iova, ranges, sizeof(ranges));
			return kite_err(-EINVAL, "KITE_IOVA_MODE=va: the buffer's address 0x%llx "
					"is outside the IOMMU's usable IOVA ranges (%s); unset "
					"KITE_IOVA_MODE to have libkite allocate IOVAs",
					(unsigned long long)va, ranges);
		}
		/* fall through: a 39-bit IOMMU cannot take a 47-bit address */
	case KITE_IOVA_ALLOC:
		break;
	}
	return kite_iova_alloc(&p->iova, m->len, iova);
}

static int vfio_dma_map(struct kite_dev *dev, struct kite_dma *m)
{
	struct vfio_priv *p = dev->priv;
	struct vfio_iommu_type1_dma_map dm = {
		.argsz = sizeof(dm), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)m->va, .size = m->len,
	};
	struct rlimit rl;
	uint64_t iova;
	int err;

	if (p->noiommu)
		return kite_dma_map_physical(m, "VFIO no-IOMMU mode");
	err = choose_iova(p, m, &iova);
	if (err)
		return err;
	dm.iova = iova;
	if (ioctl(p->container, VFIO_IOMMU_MAP_DMA, &dm) == 0) {
		m->iova = dm.iova;
		return 0;
	}
	err = -errno;
	kite_iova_free(&p->iova, dm.iova);
	if (p->iova_mode == KITE_IOVA_PA)
		munlock(m->va, m->len);
	if (err == -ENOMEM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
		return kite_err(-ENOMEM, "VFIO cannot pin %zu bytes: the memlock limit is %llu "
				"KiB; raise it (ulimit -l, or memlock in limits.conf) to at least "
				"the DMA memory the application uses", m->len,
				(unsigned long long)rl.rlim_cur >> 10);
	if (err == -EEXIST)
		return kite_err(-EEXIST, "VFIO_IOMMU_MAP_DMA: IOVA 0x%llx is mapped already "
				"(KITE_IOVA_MODE=pa and memory shared by two mappings?)",
				(unsigned long long)dm.iova);
	return kite_err(err, "VFIO_IOMMU_MAP_DMA of %zu bytes at IOVA 0x%llx: %s", m->len,
			(unsigned long long)dm.iova, strerror(-err));
}

static void vfio_dma_unmap(struct kite_dev *dev, struct kite_dma *m)
{
	struct vfio_priv *p = dev->priv;
	struct vfio_iommu_type1_dma_unmap du = { .argsz = sizeof(du), .iova = m->iova,
						 .size = m->len };

	if (p->noiommu) {
		munlock(m->va, m->len);
		return;
	}
	ioctl(p->container, VFIO_IOMMU_UNMAP_DMA, &du);
	kite_iova_free(&p->iova, m->iova);
	if (p->iova_mode == KITE_IOVA_PA)
		munlock(m->va, m->len);
}

const struct kite_backend_ops kite_backend_vfio = {
	.name = "vfio",
	.open = vfio_open,
	.close = vfio_close,
	.dma_map = vfio_dma_map,
	.dma_unmap = vfio_dma_unmap,
	.queue_claim = kite_direct_queue_claim,	/* the process owns the whole card */
	.queue_release = kite_direct_queue_release,
	.queue_start = kite_direct_queue_start,
	.queue_stop = kite_direct_queue_stop,
	.filter_add = kite_direct_filter_add,
	.filter_del = kite_direct_filter_del,
	.port_set = kite_direct_port_set,
	.reset = kite_direct_reset,
	.reg_write = kite_direct_reg_write,
	.db_write_combined = false,
	.release_stops = false,
};
