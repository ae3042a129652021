// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite uio backend: a card bound to uio_kite.ko. BAR windows are UIO maps
 * (/sys/class/uio/uioN/maps); DMA addresses are physical, read from
 * /proc/self/pagemap (root only). No IOMMU checks anything the card is told:
 * root only, and DMA memory must be hugepages (the kernel may move 4 KiB
 * pages, locked or not, while the card holds their old address). Memory is
 * memfd-backed, so nothing is left in a filesystem if the process dies. Queues
 * are claimed through uio_kite's kite_queues attribute, so uio_kite stops a
 * dead process's queues when it closes /dev/uioN.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib_internal.h"
#include "sysfs.h"

struct uio_priv {
	int fd;
	char path[64];
	char claims[PATH_MAX];	/* uio_kite's kite_queues attribute */
	void *map[2];
};

/* map N of /dev/uioN is at mmap offset N pages (Documentation/driver-api/uio-howto). */
static int uio_map(struct uio_priv *p, const char *sysdir, unsigned int n, size_t want)
{
	char path[PATH_MAX];
	unsigned long size;

	snprintf(path, sizeof(path), "%s/maps/map%u/size", sysdir, n);
	if (kite_sysfs_hex(path, &size) || size != want)
		return kite_err(-ENODEV, "%s: UIO map %u is %s, expected 0x%zx bytes (is it bound "
				"to uio_kite?)", p->path, n, size ? "the wrong size" : "missing", want);
	p->map[n] = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd,
			 (off_t)n * getpagesize());
	if (p->map[n] == MAP_FAILED) {
		p->map[n] = NULL;
		return kite_err(-errno, "%s: cannot map UIO map %u: %s", p->path, n, strerror(errno));
	}
	return 0;
}

static int uio_open(struct kite_dev *dev, const char *addr)
{
	char pattern[PATH_MAX];
	struct uio_priv *p;
	glob_t g;
	int err;

	snprintf(pattern, sizeof(pattern), "/sys/bus/pci/devices/%s/uio/uio*", addr);
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		globfree(&g);
		return kite_err(-ENODEV, "%s: bound to uio_kite but no /dev/uioN found", addr);
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		globfree(&g);
		return kite_err(-ENOMEM, "%s: out of memory", addr);
	}
	snprintf(p->path, sizeof(p->path), "/dev/%s", strrchr(g.gl_pathv[0], '/') + 1);
	snprintf(p->claims, sizeof(p->claims), "/sys/bus/pci/devices/%s/kite_queues", addr);
	p->fd = open(p->path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0) {
		err = kite_err(-errno, "%s: %s%s", p->path, strerror(errno),
			       errno == EACCES ? " (UIO gives the card access to all memory: root "
			       "only)" : "");
		goto fail;
	}
	err = uio_map(p, g.gl_pathv[0], 0, KITE_BAR_CTRL_SIZE);
	if (!err)
		err = uio_map(p, g.gl_pathv[0], 1, KITE_BAR_DB_SIZE);
	if (err)
		goto fail;
	globfree(&g);
	dev->priv = p;
	dev->bar0 = p->map[0];
	dev->bar2 = p->map[1];
	return 0;
fail:
	globfree(&g);
	if (p->map[0])
		munmap(p->map[0], KITE_BAR_CTRL_SIZE);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
	return err;
}

static void uio_close(struct kite_dev *dev)
{
	struct uio_priv *p = dev->priv;

	munmap(p->map[0], KITE_BAR_CTRL_SIZE);
	munmap(p->map[1], KITE_BAR_DB_SIZE);
	close(p->fd);	/* the last close: uio_kite stops every queue */
	free(p);
}

static int uio_dma_map(struct kite_dev *dev, struct kite_dma *m)
{
	(void)dev;
	if (!m->huge)
		return kite_err(-EINVAL, "UIO: DMA memory must be hugepages (the kernel may move "
				"4 KiB pages while the card holds their address); reserve some: "
				"echo 64 > /proc/sys/vm/nr_hugepages");
	return kite_dma_map_physical(m, "UIO");
}

static void uio_dma_unmap(struct kite_dev *dev, struct kite_dma *m)
{
	(void)dev;
	munlock(m->va, m->len);
}

/* "claim Q" / "release Q" to uio_kite (its kite_queues attribute): 0 or -errno */
static int uio_claim_write(struct uio_priv *p, const char *verb, unsigned int qid)
{
	int fd = open(p->claims, O_WRONLY | O_CLOEXEC), err = 0;
	char cmd[32];
	int n = snprintf(cmd, sizeof(cmd), "%s %u", verb, qid);

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* uio_kite lists "Q PID" per claimed queue; a filter entry is its queue's owner's. */
static long uio_owner(struct kite_dev *dev, bool filter, unsigned int index)
{
	struct uio_priv *p = dev->priv;
	unsigned int q = index, cq;
	long pid;
	FILE *f;

	if (filter) {
		uint32_t ctrl = kite_rd32(dev, KITE_R_AT(F_CTRL, index));

		if (!KITE_FGET(KITE_F_CTRL_VALID, ctrl))
			return 0;
		q = KITE_FGET(KITE_F_CTRL_QUEUE, ctrl);
	}
	f = fopen(p->claims, "r");
	if (!f)
		return kite_err(-errno, "%s: %s", p->claims, strerror(errno));
	while (fscanf(f, "%u %ld", &cq, &pid) == 2)
		if (cq == q) {
			fclose(f);
			return pid;
		}
	fclose(f);
	return 0;
}

static int uio_queue_claim(struct kite_dev *dev, unsigned int qid, volatile uint8_t **db)
{
	struct uio_priv *p = dev->priv;
	int err = uio_claim_write(p, "claim", qid);

	if (err == -EBUSY) {
		long pid = uio_owner(dev, false, qid);
		char who[40] = "another process";

		if (pid > 0)
			snprintf(who, sizeof(who), "process %ld", pid);
		return kite_err(err, "queue %u is in use by %s (%s)", qid, who, p->claims);
	}
	if (err == -ENOENT)
		return kite_err(err, "%s is missing: uio_kite is older than this libkite",
				p->claims);
	if (err && err != -EALREADY)
		return kite_err(err, "cannot claim queue %u through %s: %s", qid, p->claims,
				strerror(-err));
	err = kite_direct_queue_claim(dev, qid, db);
	if (err)
		uio_claim_write(p, "release", qid);
	return err;
}

static void uio_queue_release(struct kite_dev *dev, unsigned int qid)
{
	kite_direct_queue_release(dev, qid);
	uio_claim_write(dev->priv, "release", qid);
}

const struct kite_backend_ops kite_backend_uio = {
	.name = "uio",
	.open = uio_open,
	.close = uio_close,
	.dma_map = uio_dma_map,
	.dma_unmap = uio_dma_unmap,
	.queue_claim = uio_queue_claim,
	.queue_release = uio_queue_release,
	.queue_start = kite_direct_queue_start,
	.queue_stop = kite_direct_queue_stop,
	.filter_add = kite_direct_filter_add,
	.filter_del = kite_direct_filter_del,
	.port_set = kite_direct_port_set,
	.reset = kite_direct_reset,
	.reg_write = kite_direct_reg_write,
	.owner = uio_owner,
	.db_write_combined = false,
	.release_stops = false,
};
