/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libkite hot path helpers shared by the 1.0 paths (datapath.c) and
 * contract 1.3's (stream.c): completion words (hw-spec §5.3) and doorbells
 * (§4.2). Everything here is inline: no call on the hot path.
 */
#ifndef KITE_RING_OPS_H
#define KITE_RING_OPS_H

#include "lib_internal.h"

/* The second 8 bytes of a completion: len, index, filter, status, flags. */
static inline uint64_t cqe_word(const struct kite_cqe *c)
{
	return __atomic_load_n((const uint64_t *)((const uint8_t *)c + 8), __ATOMIC_ACQUIRE);
}

#define CQE_LEN(w)	((uint16_t)(w))
#define CQE_FILTER(w)	((uint16_t)((w) >> 32))
#define CQE_STATUS(w)	((uint8_t)((w) >> 48))
#define CQE_FLAGS(w)	((uint8_t)((w) >> 56))

static inline bool cqe_ready(uint64_t w, uint32_t i, uint32_t log2)
{
	return (CQE_FLAGS(w) & KITE_CQE_F_PHASE) == KITE_CQE_PHASE(i, log2);
}

/*
 * §4.2: descriptors (or the PIO slot) before the doorbell. A write-combined
 * doorbell page needs a store fence on both sides: WC stores pass earlier
 * stores, and sit in the WC buffer until flushed.
 */
static inline void doorbell(volatile uint32_t *db, uint32_t tail, bool wc)
{
	if (wc)
		__builtin_ia32_sfence();
	__atomic_store_n(db, tail, __ATOMIC_RELEASE);
	if (wc)
		__builtin_ia32_sfence();
}

#define CQE_PHASE_BIT	((uint64_t)KITE_CQE_F_PHASE << 56)

/* A TX report for the application (kite_tx_reports), from a completion word */
KITE_HIDDEN void kite_tx_report_add(struct kite_queue *q, uint64_t cookie, uint64_t ts,
				    uint64_t w, bool pio);

#endif
