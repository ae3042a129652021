/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause */
/*
 * kite.ko's user interface: ioctls on /dev/kiteN and its mmap offsets.
 * Fixed-size structs, no pointers (a user address travels as __u64), the same
 * layout for 32- and 64-bit processes. Every struct starts with its size so
 * the ABI can grow: the module refuses a size it does not know.
 */
#ifndef KITE_UAPI_H
#define KITE_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KITE_ABI_VERSION	1
#define KITE_IOC_MAGIC		0xb7

/*
 * mmap offsets (in bytes; page aligned):
 *   KITE_MMAP_BAR0           BAR0, 64 KiB. Read-only, unless the opener has
 *                            CAP_SYS_RAWIO or the module's bar0_writable=1.
 *   KITE_MMAP_DB(q)          queue q's doorbell/PIO page (4 KiB, write-combined),
 *                            only for the file that claimed queue q.
 */
#define KITE_MMAP_BAR0		0x0ULL
#define KITE_MMAP_DB_BASE	0x100000ULL
#define KITE_MMAP_DB(q)		(KITE_MMAP_DB_BASE + (__u64)(q) * 0x1000)

struct kite_ioc_info {
	__u32 size;		/* in: sizeof(struct kite_ioc_info) */
	__u32 abi_version;	/* out: KITE_ABI_VERSION */
	__u32 hw_version;	/* ID_VERSION */
	__u32 features;		/* ID_FEATURES */
	__u32 caps;		/* ID_CAPS */
	__u32 flags;		/* KITE_INFO_F_* */
	__u64 pinned_bytes;	/* pinned by this file */
	__u64 pinned_limit;	/* per-file limit */
};

#define KITE_INFO_F_BAR0_WRITABLE	0x1	/* this file may map BAR0 writable */
#define KITE_INFO_F_NO_IOMMU		0x2	/* DMA addresses are physical */

struct kite_ioc_queue {
	__u32 size;
	__u32 qid;
};

struct kite_ioc_dma_map {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 vaddr;		/* in: page-aligned user address */
	__u64 length;		/* in: page multiple */
	__u64 iova;		/* out: device address of vaddr */
};

struct kite_ioc_dma_unmap {
	__u32 size;
	__u32 rsvd;
	__u64 iova;		/* as returned by DMA_MAP */
};

struct kite_ioc_queue_start {
	__u32 size;
	__u32 qid;
	__u32 port;
	__u32 tx_log2;
	__u32 rx_log2;
	__u32 rx_buf_size;
	__u64 tx_ring, tx_cq, rx_ring, rx_cq, pio_cq;	/* IOVAs in this file's mappings */
	/* from here on: size KITE_IOC_QUEUE_START_SIZE (the first 64 bytes are ABI 1.0's) */
	__u32 flags;		/* KITE_IOC_QUEUE_* */
	__u32 rxs_log2;		/* RX_STREAM: log2 of the stream ring's bytes */
	__u64 rxs_ring;		/* RX_STREAM: IOVA in this file's mappings */
	__u64 tx_wb;		/* TX_WB: IOVA of a 64-byte line in this file's mappings */
};

/* hw-spec §5.4 (card feature RX_STREAM): receive into a stream ring; rx_ring and rx_cq unused */
#define KITE_IOC_QUEUE_RX_STREAM	0x1
/* hw-spec §4.4 (card feature PIO_DIRECT): PIO slots sent by their sequence number */
#define KITE_IOC_QUEUE_PIO_DIRECT	0x2
/* hw-spec §6.4 (card feature TX_WB): one TX consumer count at tx_wb */
#define KITE_IOC_QUEUE_TX_WB		0x4
#define KITE_IOC_QUEUE_FLAGS		0x7	/* all of them */
#define KITE_IOC_QUEUE_START_SIZE_V1	64	/* the 1.0 layout, still accepted */

struct kite_ioc_filter {
	__u32 size;
	__u32 index;		/* out for FILTER_ADD; in for FILTER_DEL */
	__u32 type;		/* KITE_F_CTRL_TYPE_* */
	__u32 port;
	__u32 queue;		/* a queue this file claimed */
	__u32 flags;		/* KITE_IOC_FILTER_COPY (card feature COPY_FILTERS), else 0 */
	__u64 key;
};

#define KITE_IOC_FILTER_COPY	0x1	/* hw-spec §3.8 F_CTRL.COPY */

struct kite_ioc_port {
	__u32 size;
	__u32 port;
	__u32 mtu;		/* 0: leave */
	__s32 default_queue;	/* a queue, or KITE_PORT_DEFAULT_* */
};

#define KITE_PORT_DEFAULT_DROP	(-1)	/* unmatched frames dropped (and counted) */
#define KITE_PORT_DEFAULT_LEAVE	(-2)	/* as it is */

#define KITE_IOC_INFO		_IOWR(KITE_IOC_MAGIC, 0, struct kite_ioc_info)
#define KITE_IOC_QUEUE_CLAIM	_IOW(KITE_IOC_MAGIC, 1, struct kite_ioc_queue)
#define KITE_IOC_QUEUE_RELEASE	_IOW(KITE_IOC_MAGIC, 2, struct kite_ioc_queue)
#define KITE_IOC_DMA_MAP	_IOWR(KITE_IOC_MAGIC, 3, struct kite_ioc_dma_map)
#define KITE_IOC_DMA_UNMAP	_IOW(KITE_IOC_MAGIC, 4, struct kite_ioc_dma_unmap)
#define KITE_IOC_QUEUE_START	_IOW(KITE_IOC_MAGIC, 5, struct kite_ioc_queue_start)
#define KITE_IOC_QUEUE_START_V1	_IOC(_IOC_WRITE, KITE_IOC_MAGIC, 5, KITE_IOC_QUEUE_START_SIZE_V1)
#define KITE_IOC_QUEUE_STOP	_IOW(KITE_IOC_MAGIC, 6, struct kite_ioc_queue)
#define KITE_IOC_FILTER_ADD	_IOWR(KITE_IOC_MAGIC, 7, struct kite_ioc_filter)
#define KITE_IOC_FILTER_DEL	_IOW(KITE_IOC_MAGIC, 8, struct kite_ioc_filter)
#define KITE_IOC_PORT_SET	_IOW(KITE_IOC_MAGIC, 9, struct kite_ioc_port)	/* CAP_NET_ADMIN */
#define KITE_IOC_RESET		_IO(KITE_IOC_MAGIC, 10)				/* CAP_SYS_ADMIN */

#endif /* KITE_UAPI_H */
