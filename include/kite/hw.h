/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * kite hardware contract: PCI identity, BAR layout, register constants,
 * descriptor and completion layouts. docs/hw-spec.md is the prose; section
 * numbers below (§) refer to it. Shared by kite.ko, libkite, kite-emu and the
 * tools. Builds in the kernel and in userspace (C11).
 */
#ifndef KITE_HW_H
#define KITE_HW_H

#include <linux/types.h>

/* §1 PCI identity (placeholder IDs; other boards bind via new_id) */
#define KITE_PCI_VENDOR_ID	0x1de5	/* placeholder */
#define KITE_PCI_DEVICE_ID	0x4b01	/* placeholder */
/* kite-emu's board under QEMU: an ivshmem-plain device (hw-spec §8), bound with new_id */
#define KITE_SHMEM_VENDOR_ID	0x1af4
#define KITE_SHMEM_DEVICE_ID	0x1110

/* §2 Version rules: software refuses a card whose major differs. */
#define KITE_VERSION_MAJOR	1
/*
 * 1.1: P_RX_DROP_OVERRUN (§3.7); 1.2: copy filters (§3.8); 1.3: RX stream
 * rings (§5.4), direct PIO (§4.4), TX write-back (§6.4); 1.4: clock control
 * (§3.4.1)
 */
#define KITE_VERSION_MINOR	4
#define KITE_MAGIC		0x4b495445	/* "KITE" */

/* §2 Resource limits of this contract version */
#define KITE_MAX_PORTS		2
#define KITE_MAX_QUEUES		16
#define KITE_MAX_FILTERS	64
#define KITE_FAULT_LOG_LEN	16
#define KITE_MAX_RING_LOG2	15
#define KITE_MIN_RING_LOG2	3
#define KITE_MAX_FRAME		9018	/* 9000 MTU + 14 header + 4 VLAN */
#define KITE_MIN_FRAME		14
#define KITE_FRAME_OVERHEAD	18	/* frame may be MTU + this many bytes */
#define KITE_MIN_MTU		68	/* IPv4's minimum */
#define KITE_RX_BUF_MIN		64
#define KITE_RX_BUF_MAX		16384
#define KITE_RING_ALIGN		64

/* §3 BARs */
#define KITE_BAR_CTRL		0
#define KITE_BAR_CTRL_SIZE	0x10000
#define KITE_BAR_DB		2
#define KITE_DB_PAGE_SIZE	0x1000	/* one page per queue, §4 */
#define KITE_BAR_DB_SIZE	(KITE_MAX_QUEUES * KITE_DB_PAGE_SIZE)

/* Reset values the register table refers to */
#define KITE_VERSION_RESET	((KITE_VERSION_MAJOR << 16) | KITE_VERSION_MINOR)
#define KITE_FEATURES_RESET	0x1ff
#define KITE_CAPS_RESET		(KITE_MAX_PORTS | (KITE_MAX_QUEUES << 8) | \
				 (KITE_MAX_RING_LOG2 << 16) | (KITE_MAX_FILTERS << 24))
#define KITE_MAC_RESET		0x026b69746500ULL	/* 02:6b:69:74:65:00 + port */

/*
 * Register offsets and fields, generated from regs.def:
 *   KITE_R_<REG>                offset of instance 0
 *   KITE_R_<REG>_STRIDE         distance between instances
 *   KITE_<REG>_<FIELD>_SHIFT / _WIDTH
 *   KITE_<REG>_<FIELD>_<VALUE>  named field values
 */
enum kite_reg_offsets {
#define KITE_REG(n, off, bits, acc, rst, cnt, stride, grp, desc) \
	KITE_R_##n = (off), KITE_R_##n##_STRIDE = (stride),
#define KITE_FIELD(r, n, lsb, w, acc, desc) \
	KITE_##r##_##n##_SHIFT = (lsb), KITE_##r##_##n##_WIDTH = (w),
#define KITE_ENUM(r, f, n, v) KITE_##r##_##f##_##n = (v),
#include "regs.def"
#undef KITE_REG
#undef KITE_FIELD
#undef KITE_ENUM
};

/* §3.8 significant bits of F_KEY for a valid F_CTRL.TYPE (MAC, IPv4, UDP port, ALL) */
#define KITE_F_KEY_BITS(type)	((unsigned int)(type) == KITE_F_CTRL_TYPE_DST_MAC ? 48 : \
				 (unsigned int)(type) == KITE_F_CTRL_TYPE_IPV4_DST ? 32 : \
				 (unsigned int)(type) == KITE_F_CTRL_TYPE_UDP_DST ? 16 : 0)

/* §3.4.1 CLK_FREQ's range: 500 ppm in ppm x 2^16 (Linux's scaled_ppm) */
#define KITE_CLK_FREQ_MAX	(500 << 16)

/* Offset of instance i of an array register: KITE_R_AT(Q_CTRL, 3) */
#define KITE_R_AT(reg, i)	(KITE_R_##reg + (i) * KITE_R_##reg##_STRIDE)

/* Field helpers: f is KITE_<REG>_<FIELD>, e.g. KITE_FGET(KITE_Q_CTRL_PORT, v) */
#define KITE_FLIM(f)		((1ULL << f##_WIDTH) - 1)
#define KITE_FMASK(f)		(KITE_FLIM(f) << f##_SHIFT)
#define KITE_FGET(f, v)		(((v) >> f##_SHIFT) & KITE_FLIM(f))
#define KITE_FPREP(f, x)	(((__u64)(x) & KITE_FLIM(f)) << f##_SHIFT)

/* §3.8 the F_CTRL value of a valid entry; copy: the COPY bit (v1.2) */
static inline __u32 kite_f_ctrl(unsigned int type, unsigned int port, unsigned int queue,
				int copy)
{
	return (__u32)(KITE_FPREP(KITE_F_CTRL_VALID, 1) | KITE_FPREP(KITE_F_CTRL_COPY, !!copy) |
		       KITE_FPREP(KITE_F_CTRL_TYPE, type) | KITE_FPREP(KITE_F_CTRL_PORT, port) |
		       KITE_FPREP(KITE_F_CTRL_QUEUE, queue));
}

/*
 * §4 BAR2 doorbell page of one queue. Doorbells carry free-running 32-bit
 * producer counts; the card masks them with the ring size.
 */
#define KITE_DB_TX_TAIL		0x000
#define KITE_DB_RX_TAIL		0x004
#define KITE_DB_PIO_TAIL	0x008
#define KITE_DB_RXS_CREDIT	0x00c	/* v1.3: RX stream chunks software is done with */
#define KITE_PIO_WINDOW		0x800
#define KITE_PIO_SLOTS		8
#define KITE_PIO_SLOT_SIZE	256
#define KITE_PIO_HDR_SIZE	8
#define KITE_PIO_MAX_FRAME	(KITE_PIO_SLOT_SIZE - KITE_PIO_HDR_SIZE)

/* §4.3 header at the start of a PIO slot, frame bytes follow */
struct kite_pio_hdr {
	__le16 len;
	__le16 flags;		/* KITE_TXD_F_* */
	__le32 rsvd;		/* 0; with Q_CTRL.PIO_DIRECT (§4.4) the sequence number */
};

/* §4.4 direct PIO: the sequence number that sends the frame of PIO count i */
#define KITE_PIO_SEQ(i)		((__u32)(i) + 1)
#define KITE_PIO_LINE		64	/* a slot's first line: header and 56 frame bytes */

/* §5.1 TX descriptor: 16 bytes, four per cache line */
struct kite_tx_desc {
	__le64 addr;		/* IOVA of the frame */
	__le16 len;		/* frame bytes, no FCS */
	__le16 flags;		/* KITE_TXD_F_* */
	__le32 rsvd;		/* must be zero */
};

#define KITE_TXD_F_TS		0x0001	/* timestamp requested (always given in v1.0) */

/* §6.4 TX write-back word: finished descriptors, and those of them that failed */
#define KITE_TX_WB_HEAD(w)	((__u32)(w))
#define KITE_TX_WB_ERRORS(w)	((__u32)((w) >> 32))
#define KITE_TX_WB_EVERY	64	/* the card writes the word at least this often */

/* §5.2 RX descriptor: 8 bytes, a buffer of Q_RX_BUF_SIZE bytes */
struct kite_rx_desc {
	__le64 addr;
};

/*
 * §5.3 Completion entry, TX, RX and PIO alike: 16 bytes. The card writes
 * ts first and the second 8 bytes (ending with flags) as one 64-bit write, so
 * software that sees the expected PHASE in flags sees the whole entry. PHASE
 * is 1 on the first pass over a zeroed ring and flips each wrap.
 */
struct kite_cqe {
	__le64 ts;		/* card clock, ns, when the frame left / arrived */
	__le16 len;		/* frame bytes */
	__le16 index;		/* ring index (mod 2^16) of the descriptor */
	__le16 filter;		/* RX: filter entry that matched, KITE_CQE_NO_FILTER */
	__u8 status;		/* KITE_CQE_S_* */
	__u8 flags;		/* KITE_CQE_F_* */
};

#define KITE_CQE_NO_FILTER	0xffff
#define KITE_CQE_F_PHASE	0x80
#define KITE_CQE_F_TS		0x01	/* ts valid */
#define KITE_CQE_F_PORT1	0x02	/* RX: received on port 1 */

enum kite_cqe_status {
	KITE_CQE_S_OK = 0,
	KITE_CQE_S_LINK_DOWN = 1,	/* TX: not sent, link down */
	KITE_CQE_S_BAD_LEN = 2,		/* TX: shorter than 14 or over MTU+18 */
	KITE_CQE_S_DMA_FAULT = 3,	/* TX: buffer IOVA refused; queue stops */
	KITE_CQE_S_BAD_DESC = 4,	/* TX: reserved bits set */
	KITE_CQE_S_TORN = 5,		/* direct PIO: the slot was not whole; not sent (§4.4) */
};

/* Phase a completion at free-running index i of a 2^log2 ring carries. */
#define KITE_CQE_PHASE(i, log2)	((((i) >> (log2)) & 1) ? 0 : KITE_CQE_F_PHASE)

/*
 * §5.4 RX stream ring (v1.3): 2^Q_RXS_LOG2 bytes of 64-byte chunks. Each
 * record is this header and the frame right after it, in ceil((16 + len) /
 * 64) consecutive chunks, so the header shares a cache line with the
 * frame's first 48 bytes. The card writes a zero header after the record
 * first, then the frame, then bytes 8-15 of the header (VALID) last, so a
 * header software reads is either this lap's record or not valid: payload
 * of an earlier lap can never pass for one. A record never wraps: a PAD
 * record fills the ring's end and the next record starts at chunk 0.
 */
struct kite_rxs_hdr {
	__le64 ts;		/* card clock, ns, when the frame arrived */
	__le16 len;		/* frame bytes; 0 for PAD */
	__le16 chunks;		/* chunks this record takes; the next header follows */
	__le16 filter;		/* filter entry that matched, KITE_CQE_NO_FILTER */
	__u8 status;		/* 0 */
	__u8 flags;		/* KITE_RXS_F_* */
};

#define KITE_RXS_CHUNK		64
#define KITE_RXS_CHUNK_SHIFT	6
#define KITE_RXS_HDR_SIZE	16
#define KITE_RXS_MIN_LOG2	16	/* 64 KiB: room for several jumbo frames */
#define KITE_RXS_MAX_LOG2	21	/* 2 MiB: one hugepage, contiguous without an IOMMU */
#define KITE_RXS_F_VALID	0x80	/* written by the card in this lap */
#define KITE_RXS_F_TS		KITE_CQE_F_TS
#define KITE_RXS_F_PORT1	KITE_CQE_F_PORT1
#define KITE_RXS_F_PAD		0x04	/* no frame: the next record is at chunk 0 */

/* Chunks a record of a len-byte frame takes */
#define KITE_RXS_CHUNKS(len)	((KITE_RXS_HDR_SIZE + (len) + KITE_RXS_CHUNK - 1) >> \
				 KITE_RXS_CHUNK_SHIFT)

_Static_assert(sizeof(struct kite_rxs_hdr) == KITE_RXS_HDR_SIZE, "stream header is 16 bytes");
_Static_assert(__builtin_offsetof(struct kite_rxs_hdr, flags) == 15, "flags last byte");
_Static_assert(KITE_RXS_CHUNK == 1 << KITE_RXS_CHUNK_SHIFT, "chunk shift");
_Static_assert((1 << KITE_RXS_MIN_LOG2) >= 4 * KITE_RXS_CHUNK * KITE_RXS_CHUNKS(KITE_MAX_FRAME),
	       "the smallest stream ring holds four of the largest records");
_Static_assert(sizeof(struct kite_tx_desc) == 16, "TX descriptor is 16 bytes");
_Static_assert(sizeof(struct kite_rx_desc) == 8, "RX descriptor is 8 bytes");
_Static_assert(sizeof(struct kite_cqe) == 16, "completion is 16 bytes");
_Static_assert(__builtin_offsetof(struct kite_cqe, len) == 8, "cqe word 1 at 8");
_Static_assert(__builtin_offsetof(struct kite_cqe, flags) == 15, "flags last byte");
_Static_assert(sizeof(struct kite_pio_hdr) == KITE_PIO_HDR_SIZE, "PIO header");
_Static_assert(KITE_PIO_WINDOW + KITE_PIO_SLOTS * KITE_PIO_SLOT_SIZE <= KITE_DB_PAGE_SIZE,
	       "PIO window fits the doorbell page");
_Static_assert(KITE_R_FAULT_SEQ + KITE_FAULT_LOG_LEN * KITE_R_FAULT_SEQ_STRIDE <=
	       KITE_BAR_CTRL_SIZE, "register map fits BAR0");

#endif /* KITE_HW_H */
