// SPDX-License-Identifier: BSD-3-Clause
/*
 * kmod_client: kite.ko's ioctls and mmap rules from userspace, run inside the
 * QEMU guest by tests/qemu.sh.
 *   kmod_client ioctls /dev/kiteN   every ioctl with bad arguments, as root
 *   kmod_client perms /dev/kiteN    what an unprivileged member of the device's
 *                                   group may and may not do (drops to uid 1000)
 *   kmod_client reset /dev/kiteN    an operator's card reset, as root
 * Prints "ok"/"FAIL" per check and "kmod_client: N passed, N failed".
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmod_util.h"

static void ioctls(const char *path)
{
	int fd = open(path, O_RDWR), fd2 = open(path, O_RDWR);
	struct kite_ioc_info in = { .size = sizeof(in) };
	struct kite_ioc_dma_map m = { .size = sizeof(m) };
	struct kite_ioc_dma_unmap um = { .size = sizeof(um) };
	struct kite_ioc_queue_start qs = { .size = sizeof(qs), .qid = 0, .tx_log2 = 6,
					   .rx_log2 = 6, .rx_buf_size = 2048 };
	struct kite_ioc_filter f = { .size = sizeof(f), .type = KITE_F_CTRL_TYPE_UDP_DST,
				     .queue = 0, .key = 5000 };
	volatile uint32_t *bar0;
	uint8_t *mem = hugepage(NULL), *mem2 = hugepage(NULL);
	uint64_t iova = 0, iova2;
	void *p;

	CHECK(fd >= 0 && fd2 >= 0, "open %s", path);
	CHECK(mem != NULL, "a 2 MiB hugepage for DMA (hugepages=N on the kernel command line)");
	if (fd < 0 || fd2 < 0 || !mem)
		return;
	in.size = 4;
	CHECK(ioc(fd, KITE_IOC_INFO, &in) == -EINVAL, "INFO with a wrong struct size");
	in.size = sizeof(in);
	CHECK(ioc(fd, KITE_IOC_INFO, &in) == 0 && in.abi_version == KITE_ABI_VERSION,
	      "INFO: ABI version");
	CHECK(in.flags & KITE_INFO_F_NO_IOMMU, "INFO: no IOMMU in this guest");
	CHECK(ioc(fd, KITE_IOC_INFO, (void *)16) == -EFAULT, "INFO at a bad address");
	CHECK(ioc(fd, _IO(KITE_IOC_MAGIC, 99), NULL) == -ENOTTY, "unknown ioctl");

	/* queue ownership */
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 99) == -EINVAL, "claim queue 99");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 0) == 0, "claim queue 0");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 0) == -EALREADY, "claim queue 0 twice");
	CHECK(queue_ioc(fd2, KITE_IOC_QUEUE_CLAIM, 0) == -EBUSY, "claim another file's queue");
	CHECK(queue_ioc(fd2, KITE_IOC_QUEUE_RELEASE, 0) == -EPERM, "release another file's queue");
	CHECK(queue_ioc(fd2, KITE_IOC_QUEUE_STOP, 0) == -EPERM, "stop another file's queue");

	/* DMA_MAP / DMA_UNMAP */
	m.vaddr = (uintptr_t)mem + 100;
	m.length = 4096;
	CHECK(ioc(fd, KITE_IOC_DMA_MAP, &m) == -EINVAL, "DMA_MAP unaligned address");
	m.vaddr = (uintptr_t)mem;
	m.length = 0;
	CHECK(ioc(fd, KITE_IOC_DMA_MAP, &m) == -EINVAL, "DMA_MAP zero length");
	m.length = 4096;
	m.flags = 1;
	CHECK(ioc(fd, KITE_IOC_DMA_MAP, &m) == -EINVAL, "DMA_MAP unknown flags");
	m.flags = 0;
	m.size = 8;
	CHECK(ioc(fd, KITE_IOC_DMA_MAP, &m) == -EINVAL, "DMA_MAP wrong struct size");
	m.size = sizeof(m);
	m.vaddr = ~0ULL & ~4095ULL;
	m.length = 8192;
	CHECK(ioc(fd, KITE_IOC_DMA_MAP, &m) == -EFAULT, "DMA_MAP range wraps");
	p = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, 8192);
	CHECK(dma_map(fd, p, 8192, NULL) == -EFAULT, "DMA_MAP of unmapped memory");
	CHECK(dma_map(fd, mem, 2 << 20, &iova) == 0 && iova, "DMA_MAP a hugepage");
	CHECK(dma_map(fd, mem + 4096, 4096, NULL) == -EEXIST, "DMA_MAP overlapping");
	CHECK(ioc(fd, KITE_IOC_INFO, &in) == 0 && in.pinned_bytes == 2 << 20,
	      "INFO: 2 MiB pinned");
	CHECK(dma_map(fd2, mem, 2 << 20, &iova2) == -EBUSY,
	      "another file cannot map memory while this one holds the card");
	CHECK(mem2 && dma_map(fd, mem2, 2 << 20, &iova2) == 0, "DMA_MAP a second hugepage");
	um.iova = iova2 + 4096;
	CHECK(ioc(fd, KITE_IOC_DMA_UNMAP, &um) == -ENOENT, "DMA_UNMAP not a mapping's start");
	um.iova = iova2;
	CHECK(ioc(fd, KITE_IOC_DMA_UNMAP, &um) == 0, "DMA_UNMAP");
	CHECK(ioc(fd, KITE_IOC_DMA_UNMAP, &um) == -ENOENT, "DMA_UNMAP twice");

	/* QUEUE_START: rings must lie in this file's mappings */
	qs.tx_ring = iova;
	qs.tx_cq = iova + 0x1000;
	qs.rx_ring = iova + 0x2000;
	qs.rx_cq = iova + 0x3000;
	qs.pio_cq = iova + 0x4000;
	qs.qid = 1;
	CHECK(ioc(fd, KITE_IOC_QUEUE_START, &qs) == -EPERM, "start an unclaimed queue");
	qs.qid = 0;
	qs.tx_log2 = 2;
	CHECK(ioc(fd, KITE_IOC_QUEUE_START, &qs) == -EINVAL, "start with a 4-entry ring");
	qs.tx_log2 = 6;
	qs.rx_cq = iova + (2 << 20) - 512;
	CHECK(ioc(fd, KITE_IOC_QUEUE_START, &qs) == -EFAULT, "ring runs past the mapping");
	qs.rx_cq = 0x1000;
	CHECK(ioc(fd, KITE_IOC_QUEUE_START, &qs) == -EFAULT, "ring at an unmapped IOVA");
	CHECK(ioc(fd2, KITE_IOC_QUEUE_START, &qs) == -EPERM, "start through another file");
	qs.rx_cq = iova + 0x3000;
	CHECK(ioc(fd, KITE_IOC_QUEUE_START, &qs) == 0, "start queue 0");
	bar0 = mmap(NULL, KITE_BAR_CTRL_SIZE, PROT_READ, MAP_SHARED, fd, KITE_MMAP_BAR0);
	CHECK(bar0 != MAP_FAILED, "mmap BAR0 read-only");
	if (bar0 != MAP_FAILED) {
		CHECK(bar0[KITE_R_ID_MAGIC / 4] == KITE_MAGIC, "BAR0 magic through mmap");
		CHECK(bar0[KITE_R_AT(Q_STATUS, 0) / 4] & 1, "queue 0 running");
	}
	um.iova = iova;
	CHECK(ioc(fd, KITE_IOC_DMA_UNMAP, &um) == -EBUSY, "unmap memory of a running queue");

	/* mmap rules */
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, KITE_MMAP_DB(1)) ==
	      MAP_FAILED && errno == EACCES, "map another queue's doorbells");
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, KITE_MMAP_DB(0)) !=
	      MAP_FAILED, "map our queue's doorbells");
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, KITE_MMAP_BAR0) == MAP_FAILED &&
	      errno == EINVAL, "private mapping refused");
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0x5000) == MAP_FAILED &&
	      errno == EINVAL, "mmap offset inside BAR0");
	CHECK(mmap(NULL, 2 * KITE_BAR_CTRL_SIZE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED,
	      "mmap beyond BAR0");

	/* filters */
	f.queue = 1;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EPERM, "filter to a queue not ours");
	f.queue = 0;
	f.type = 9;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EINVAL, "filter of unknown type");
	f.type = KITE_F_CTRL_TYPE_UDP_DST;
	f.key = 1 << 20;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EINVAL, "UDP port over 16 bits");
	f.key = 5000;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == 0, "filter added");
	CHECK(ioc(fd2, KITE_IOC_FILTER_DEL, &f) == -EPERM, "delete another file's filter");
	CHECK(ioc(fd, KITE_IOC_FILTER_DEL, &f) == 0, "filter deleted");
	CHECK(ioc(fd, KITE_IOC_FILTER_DEL, &f) == -EPERM, "filter deleted twice");

	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_STOP, 0) == 0, "stop queue 0");
	if (bar0 != MAP_FAILED)
		CHECK((bar0[KITE_R_AT(Q_STATUS, 0) / 4] & 1) == 0, "queue 0 stopped");
	CHECK(ioc(fd, KITE_IOC_DMA_UNMAP, &um) == 0, "unmap once the queue stopped");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_RELEASE, 0) == 0, "release queue 0");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_RELEASE, 0) == -EPERM, "release queue 0 twice");
	CHECK(queue_ioc(fd2, KITE_IOC_QUEUE_CLAIM, 0) == 0, "the other file claims it now");
	close(fd2);
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 0) == 0, "closing a file releases its queues");
	close(fd);
}

static void reset(const char *path)
{
	int fd = open(path, O_RDWR);

	CHECK(fd >= 0 && ioc(fd, KITE_IOC_RESET, NULL) == 0, "RESET %s as root", path);
	if (fd >= 0)
		close(fd);
}

static void perms(const char *path)
{
	struct kite_ioc_port port = { .size = sizeof(port), .mtu = 9000, .default_queue = -2 };
	void *bar0;
	int fd;

	CHECK(become_member() == 0, "drop to uid/gid 1000");
	fd = open(path, O_RDWR);
	CHECK(fd >= 0, "group member opens %s", path);
	if (fd < 0)
		return;
	CHECK(mmap(NULL, KITE_BAR_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	      MAP_FAILED && errno == EPERM, "BAR0 writable mapping refused without CAP_SYS_RAWIO");
	bar0 = mmap(NULL, KITE_BAR_CTRL_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(bar0 != MAP_FAILED, "BAR0 read-only mapping");
	CHECK(bar0 == MAP_FAILED || mprotect(bar0, 4096, PROT_READ | PROT_WRITE) < 0,
	      "mprotect cannot make BAR0 writable");
	CHECK(ioc(fd, KITE_IOC_PORT_SET, &port) == -EPERM, "PORT_SET needs CAP_NET_ADMIN");
	CHECK(ioc(fd, KITE_IOC_RESET, NULL) == -EPERM, "RESET needs CAP_SYS_ADMIN");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 5) == 0, "unprivileged queue claim");
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, KITE_MMAP_DB(5)) !=
	      MAP_FAILED, "unprivileged doorbell mapping of its own queue");
	close(fd);
}

static void denied(const char *path)
{
	CHECK(setgid(2000) == 0 && setuid(2000) == 0, "drop to uid/gid 2000");
	CHECK(open(path, O_RDWR) < 0 && errno == EACCES, "outsider cannot open %s", path);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: kmod_client ioctls|perms|denied|reset /dev/kiteN\n");
		return 2;
	}
	if (!strcmp(argv[1], "ioctls"))
		ioctls(argv[2]);
	else if (!strcmp(argv[1], "perms"))
		perms(argv[2]);
	else if (!strcmp(argv[1], "denied"))
		denied(argv[2]);
	else if (!strcmp(argv[1], "reset"))
		reset(argv[2]);
	return report(argv[1]);
}
