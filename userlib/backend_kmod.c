// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite kmod backend: the card bound to kite.ko, reached through /dev/kiteN
 * (include/kite/uapi.h). BAR0 is mapped read-only; every change to the card is
 * an ioctl that the module checks (rings inside our own DMA mappings, queues
 * and filters ours). Doorbell pages are mapped write-combined, one per queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kite/uapi.h"
#include "lib_internal.h"
#include "sysfs.h"
#include "kite/regtab.h"

struct kmod_priv {
	int fd;
	char path[64];
	void *bar0;
	void *bar0_rw;		/* mapped on the first kite_reg_write */
	void *db[KITE_MAX_QUEUES];
};

static struct kmod_priv *priv(struct kite_dev *dev)
{
	return dev->priv;
}

/* One line of /sys/class/misc/kiteN/ATTR, without its newline: 0, or -1 if unreadable. */
static int sysfs_attr(struct kite_dev *dev, const char *attr, char *buf, size_t len)
{
	const char *name = strrchr(priv(dev)->path, '/');
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/misc/%s/%s", name ? name + 1 : "", attr);
	return kite_read_line(path, buf, len);
}

/*
 * kite.ko: one tenant owns every queue and filter entry it installed
 * (sysfs queues_owned, filters_owned, tenant_pid).
 */
static long kmod_owner(struct kite_dev *dev, bool filter, unsigned int index)
{
	char list[512], pid[32], *tok, *save = NULL;

	if (sysfs_attr(dev, filter ? "filters_owned" : "queues_owned", list, sizeof(list)))
		return kite_err(-EOPNOTSUPP, "%s: this kite.ko does not say (no sysfs %s)",
				filter ? "kite_filter_owner" : "kite_queue_owner",
				filter ? "filters_owned" : "queues_owned");
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (strtoul(tok, NULL, 10) == index) {
			sysfs_attr(dev, "tenant_pid", pid, sizeof(pid));
			return strtol(pid, NULL, 10);
		}
	return 0;
}

/*
 * -EBUSY from kite.ko: another open file holds the card (one tenant at a
 * time, README). Name its process from sysfs.
 */
static int tenant_busy(struct kite_dev *dev, const char *what)
{
	char pid[32];

	sysfs_attr(dev, "tenant_pid", pid, sizeof(pid));
	return kite_err(-EBUSY, "%s: %s is in use by %s%s (kite.ko gives a card's DMA to one "
			"open file at a time)", what, priv(dev)->path,
			pid[0] ? "process " : "another process", pid);
}

static int kmod_open(struct kite_dev *dev, const char *path)
{
	struct kite_ioc_info in = { .size = sizeof(in) };
	struct kmod_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return kite_err(-ENOMEM, "%s: out of memory", path);
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0) {
		err = -errno;
		free(p);
		if (err == -ENOENT)
			return kite_err(err, "%s: no such device (is kite.ko loaded and the card "
					"bound to it? see kite-bind --status)", path);
		if (err == -EACCES)
			return kite_err(err, "%s: permission denied (add the user to group 'kite'; "
					"README: running as a normal user)", path);
		return kite_err(err, "%s: %s", path, strerror(-err));
	}
	if (ioctl(p->fd, KITE_IOC_INFO, &in) < 0 || in.abi_version != KITE_ABI_VERSION) {
		err = kite_err(-EPROTO, "%s: kite.ko speaks ABI v%u, this libkite v%u: update "
			       "one of them", path, in.abi_version, KITE_ABI_VERSION);
		goto fail;
	}
	p->bar0 = mmap(NULL, KITE_BAR_CTRL_SIZE, PROT_READ, MAP_SHARED, p->fd, KITE_MMAP_BAR0);
	if (p->bar0 == MAP_FAILED) {
		err = kite_err(-errno, "%s: cannot map BAR0: %s", path, strerror(errno));
		goto fail;
	}
	dev->priv = p;
	dev->bar0 = p->bar0;
	return 0;
fail:
	close(p->fd);
	free(p);
	return err;
}

static void kmod_close(struct kite_dev *dev)
{
	struct kmod_priv *p = priv(dev);

	munmap(p->bar0, KITE_BAR_CTRL_SIZE);
	if (p->bar0_rw)
		munmap(p->bar0_rw, KITE_BAR_CTRL_SIZE);
	close(p->fd);	/* kite.ko stops our queues, drops our filters, unpins */
	free(p);
}

static int kmod_dma_map(struct kite_dev *dev, struct kite_dma *m)
{
	struct kite_ioc_dma_map req = { .size = sizeof(req), .vaddr = (uintptr_t)m->va,
					.length = m->len };
	int err;

	if (ioctl(priv(dev)->fd, KITE_IOC_DMA_MAP, &req) == 0) {
		m->iova = req.iova;
		return 0;
	}
	err = -errno;
	switch (err) {
	case -EBUSY:
		return tenant_busy(dev, "cannot map DMA memory");
	case -EOPNOTSUPP:
		return kite_err(err, "kite.ko pins only anonymous, shmem (memfd) or hugetlb memory");
	case -EIO:
		return kite_err(err, "kite.ko refuses DMA: the card failed to stop a queue and is "
				"disabled until it is rebound (see the kernel log)");
	case -EPERM:
		return kite_err(err, "kite.ko refuses DMA: no translating IOMMU protects this card "
				"(none, or passthrough); load kite.ko with allow_unsafe_noiommu=1 "
				"if every user of it is trusted");
	case -ENOMEM:
		return kite_err(err, "cannot pin %zu bytes: the memlock limit is too low "
				"(ulimit -l must allow at least %zu KiB more)", m->len, m->len >> 10);
	case -ENOSPC:
		return kite_err(err, "cannot pin %zu bytes: over kite.ko's max_pinned_mb per file",
				m->len);
	case -EINVAL:
		return kite_err(err, "kite.ko cannot give the card one contiguous range for %zu "
				"bytes%s", m->len, m->huge ? "" : ": without an IOMMU, reserve "
				"hugepages (echo 64 > /proc/sys/vm/nr_hugepages)");
	default:
		return kite_err(err, "DMA_MAP of %zu bytes failed: %s", m->len, strerror(-err));
	}
}

static void kmod_dma_unmap(struct kite_dev *dev, struct kite_dma *m)
{
	struct kite_ioc_dma_unmap req = { .size = sizeof(req), .iova = m->iova };

	ioctl(priv(dev)->fd, KITE_IOC_DMA_UNMAP, &req);
}

static int queue_ioctl(struct kite_dev *dev, unsigned long cmd, unsigned int qid)
{
	struct kite_ioc_queue q = { .size = sizeof(q), .qid = qid };

	return ioctl(priv(dev)->fd, cmd, &q) < 0 ? -errno : 0;
}

static int kmod_queue_claim(struct kite_dev *dev, unsigned int qid, volatile uint8_t **db)
{
	struct kmod_priv *p = priv(dev);
	int err = queue_ioctl(dev, KITE_IOC_QUEUE_CLAIM, qid);

	if (err == -EBUSY)	/* a queue of another file, or any queue while it holds the card */
		return tenant_busy(dev, "cannot claim a queue");
	if (err)
		return kite_err(err, "cannot claim queue %u: %s", qid, strerror(-err));
	p->db[qid] = mmap(NULL, KITE_DB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd,
			  (off_t)KITE_MMAP_DB(qid));
	if (p->db[qid] == MAP_FAILED) {
		err = kite_err(-errno, "cannot map queue %u's doorbell page: %s", qid,
			       strerror(errno));
		p->db[qid] = NULL;
		queue_ioctl(dev, KITE_IOC_QUEUE_RELEASE, qid);
		return err;
	}
	*db = p->db[qid];
	return 0;
}

static void kmod_queue_release(struct kite_dev *dev, unsigned int qid)
{
	struct kmod_priv *p = priv(dev);

	if (p->db[qid])
		munmap(p->db[qid], KITE_DB_PAGE_SIZE);
	p->db[qid] = NULL;
	queue_ioctl(dev, KITE_IOC_QUEUE_RELEASE, qid);
}

static int kmod_queue_start(struct kite_dev *dev, const struct kite_hw_queue_cfg *c)
{
	struct kite_ioc_queue_start qs = {
		.size = sizeof(qs), .qid = c->qid, .port = c->port, .tx_log2 = c->tx_log2,
		.rx_log2 = c->rx_log2, .rx_buf_size = c->rx_buf_size, .tx_ring = c->tx_ring,
		.tx_cq = c->tx_cq, .rx_ring = c->rx_ring, .rx_cq = c->rx_cq, .pio_cq = c->pio_cq,
		.flags = (c->rxs_log2 ? KITE_IOC_QUEUE_RX_STREAM : 0) |
			 (c->pio_direct ? KITE_IOC_QUEUE_PIO_DIRECT : 0) |
			 (c->tx_wb ? KITE_IOC_QUEUE_TX_WB : 0),
		.rxs_log2 = c->rxs_log2, .rxs_ring = c->rxs_ring, .tx_wb = c->tx_wb,
	};
	/* a 1.0 queue in the 1.0 layout: a kite.ko that predates contract 1.3 knows it */
	unsigned long cmd = qs.flags ? KITE_IOC_QUEUE_START : KITE_IOC_QUEUE_START_V1;

	if (!qs.flags)
		qs.size = KITE_IOC_QUEUE_START_SIZE_V1;
	if (ioctl(priv(dev)->fd, cmd, &qs) == 0)
		return 0;
	if (errno == ENOTTY)
		return kite_err(-EOPNOTSUPP, "queue %u: this kite.ko predates contract 1.3 "
				"queues (load the kite.ko built with this libkite)", c->qid);
	/* kite.ko has stopped it again, which clears Q_STATUS: the cause is in its log */
	if (errno == EIO)
		return kite_err(-EIO, "queue %u: the card refused to start it (kite.ko logged "
				"its Q_STATUS: dmesg)", c->qid);
	if (errno == ETIMEDOUT)
		return kite_err(-ETIMEDOUT, "queue %u: the card did not answer the start "
				"(kite.ko logged what it read: dmesg)", c->qid);
	return kite_err(-errno, "kite.ko refused to start queue %u: %s", c->qid,
			strerror(errno));
}

static int kmod_queue_stop(struct kite_dev *dev, unsigned int qid)
{
	int err = queue_ioctl(dev, KITE_IOC_QUEUE_STOP, qid);

	return err ? kite_err(err, "cannot stop queue %u: %s", qid, strerror(-err)) : 0;
}

static int kmod_filter_add(struct kite_dev *dev, const struct kite_filter *f, bool copy,
			   unsigned int *index)
{
	struct kite_ioc_filter req = { .size = sizeof(req), .type = f->type, .port = f->port,
				       .queue = f->queue, .key = f->key,
				       .flags = copy ? KITE_IOC_FILTER_COPY : 0 };

	if (ioctl(priv(dev)->fd, KITE_IOC_FILTER_ADD, &req) < 0) {
		if (errno == EEXIST)	/* kite.ko does not say which entry */
			return kite_err(-EEXIST, "%s: that key is already %s on port %u "
					"(kite.ko refuses a second entry for it)", FILTER_FN(copy),
					copy ? "copied" : "steered", f->port);
		if (errno == EPERM)
			return kite_err(-EPERM, "%s: queue %u is not this process's",
					FILTER_FN(copy), f->queue);
		if (errno == ENOSPC)
			return kite_err(-ENOSPC, "%s: all %u filter entries are in use",
					FILTER_FN(copy), dev->info.num_filters);
		return kite_err(-errno, "%s: %s", FILTER_FN(copy), strerror(errno));
	}
	*index = req.index;
	return 0;
}

static int kmod_filter_del(struct kite_dev *dev, unsigned int index)
{
	struct kite_ioc_filter req = { .size = sizeof(req), .index = index };

	if (ioctl(priv(dev)->fd, KITE_IOC_FILTER_DEL, &req) == 0)
		return 0;
	if (errno == EPERM)
		return kite_err(-ENOENT, "filter entry %u is not one of this process's", index);
	return kite_err(-errno, "kite_filter_del: %s", strerror(errno));
}

static int kmod_port_set(struct kite_dev *dev, unsigned int port, unsigned int mtu,
			 int default_queue)
{
	struct kite_ioc_port req = { .size = sizeof(req), .port = port, .mtu = mtu,
				     .default_queue = default_queue };

	if (ioctl(priv(dev)->fd, KITE_IOC_PORT_SET, &req) == 0)
		return 0;
	if (errno == EPERM)
		return kite_err(-EPERM, "changing port %u's MTU or default queue needs "
				"CAP_NET_ADMIN", port);
	return kite_err(-errno, "port %u: %s", port, strerror(errno));
}

static int kmod_reset(struct kite_dev *dev)
{
	if (ioctl(priv(dev)->fd, KITE_IOC_RESET) == 0)
		return 0;
	if (errno == EPERM)
		return kite_err(-EPERM, "resetting the card needs CAP_SYS_ADMIN");
	return kite_err(-errno, "reset: %s", strerror(errno));
}

/* Raw register writes need a writable BAR0 mapping, which kite.ko guards. */
static int kmod_reg_write(struct kite_dev *dev, uint32_t off, uint64_t val, unsigned int bits)
{
	struct kmod_priv *p = priv(dev);

	if (!p->bar0_rw) {
		void *m = mmap(NULL, KITE_BAR_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd,
			       KITE_MMAP_BAR0);

		if (m == MAP_FAILED)
			return kite_err(-errno, "%s: cannot map BAR0 writable: %s", p->path,
					errno == EPERM ? "needs CAP_SYS_RAWIO, or kite.ko loaded "
					"with bar0_writable=1" : strerror(errno));
		p->bar0_rw = m;
	}
	if (bits == 64)
		__atomic_store_n((volatile uint64_t *)((uint8_t *)p->bar0_rw + off), val,
				 __ATOMIC_RELEASE);
	else
		__atomic_store_n((volatile uint32_t *)((uint8_t *)p->bar0_rw + off), (uint32_t)val,
				 __ATOMIC_RELEASE);
	if (dev->trace)
		kite_trace_write(dev, off, val, bits);
	return 0;
}

/* The card clock is kite.ko's PTP hardware clock: sysfs kiteN/ptp names it (clock.c). */
static int kmod_phc_open(struct kite_dev *dev, int flags)
{
	char name[32], path[48];
	int fd;

	if (sysfs_attr(dev, "ptp", name, sizeof(name)))
		return kite_err(-EOPNOTSUPP, "%s: this kite.ko has no PTP clock (no sysfs ptp); "
				"update kite.ko", priv(dev)->path);
	if (!name[0])
		return kite_err(-EOPNOTSUPP, "%s: kite.ko registered no PTP clock for this card",
				priv(dev)->path);
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return kite_err(-errno, "%s (the card's PTP clock): %s%s", path, strerror(errno),
				errno == EACCES && (flags & O_ACCMODE) != O_RDONLY ?
				": adjusting the card clock needs write access (root)" :
				errno == EACCES ? ": reading it needs read access (udev/60-kite.rules "
				"gives group kite)" : "");
	return fd;
}

const struct kite_backend_ops kite_backend_kmod = {
	.name = "kmod",
	.open = kmod_open,
	.close = kmod_close,
	.dma_map = kmod_dma_map,
	.dma_unmap = kmod_dma_unmap,
	.queue_claim = kmod_queue_claim,
	.queue_release = kmod_queue_release,
	.queue_start = kmod_queue_start,
	.queue_stop = kmod_queue_stop,
	.filter_add = kmod_filter_add,
	.filter_del = kmod_filter_del,
	.owner = kmod_owner,
	.port_set = kmod_port_set,
	.reset = kmod_reset,
	.reg_write = kmod_reg_write,
	.phc_open = kmod_phc_open,
	.db_write_combined = true,
	.release_stops = true,
};
