/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * The "bus" between a host program and kite-emu (docs/hw-spec.md §8): what a
 * PCI slot and an IOMMU give a real card. One SOCK_SEQPACKET connection per
 * process; every request gets exactly one reply of the same struct.
 */
#ifndef KITE_EMU_PROTO_H
#define KITE_EMU_PROTO_H

#include <stdint.h>

#define KITE_EMU_PROTO_VERSION	1

enum kite_emu_op {
	/* reply: a = BAR0 size, b = BAR2 size; fd: memfd holding BAR0 then BAR2 */
	KITE_EMU_HELLO = 1,
	/* fd: memfd of DMA memory; a = length, b = offset in fd. reply: a = IOVA */
	KITE_EMU_DMA_MAP = 2,
	/* a = IOVA returned by DMA_MAP */
	KITE_EMU_DMA_UNMAP = 3,
	/* a = queue: exclusive use until release or disconnect. -EBUSY: b = the owner's pid */
	KITE_EMU_QUEUE_CLAIM = 4,
	KITE_EMU_QUEUE_RELEASE = 5,
	/* test hook, the cable: a = port, b = 1 plug / 0 pull */
	KITE_EMU_SET_CARRIER = 6,
	/*
	 * a free filter entry for this client. reply: a = index.
	 * With a = KITE_EMU_FILTER_KEYED | type | port << 8 and b = key, a key
	 * already steered on that port is refused with -EEXIST: reply a = the
	 * entry that has it, b = the pid of the process owning it (0: unknown).
	 * With KITE_EMU_FILTER_COPY too, the claim is for a copy entry (hw-spec
	 * §3.8), refused only by another copy entry of the same key.
	 */
	KITE_EMU_FILTER_CLAIM = 7,
	/* a = index; the entry is invalidated */
	KITE_EMU_FILTER_RELEASE = 8,
	/*
	 * Who owns a queue (a = KITE_EMU_OWNER_QUEUE | index) or a filter entry
	 * (a = KITE_EMU_OWNER_FILTER | index): reply b = its process's pid, 0 none.
	 */
	KITE_EMU_OWNER = 9,
};

#define KITE_EMU_OWNER_QUEUE	0x00000u
#define KITE_EMU_OWNER_FILTER	0x10000u

#define KITE_EMU_FILTER_KEYED	0x80000000u
#define KITE_EMU_FILTER_COPY	0x40000000u

struct kite_emu_msg {
	uint32_t version;	/* KITE_EMU_PROTO_VERSION */
	uint32_t op;		/* enum kite_emu_op */
	int32_t status;		/* reply: 0 or a negative errno */
	uint32_t rsvd;
	uint64_t a, b;
};

#endif /* KITE_EMU_PROTO_H */
