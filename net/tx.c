// SPDX-License-Identifier: BSD-3-Clause
/*
 * Sending on a queue in order. A frame goes out through a PIO slot (no
 * descriptor, no DMA read) or through a buffer and a descriptor; the card
 * keeps no order between the two paths (hw-spec §4.3), so a queue starts a
 * send on one path only when the other has nothing in flight. Without that a
 * burst that overflowed the 8 PIO slots into descriptors came out reordered.
 */
#include <errno.h>

#include "kite/hw.h"
#include "net_internal.h"

bool kn_tx_pio(struct kite_queue *q, const uint8_t *f, uint16_t flen)
{
	unsigned int desc, pio;

	if (flen > KITE_PIO_MAX_FRAME)
		return false;
	kite_tx_inflight(q, &desc, &pio);
	if (desc) {
		kite_tx_reap(q);
		kite_tx_inflight(q, &desc, &pio);
		if (desc)
			return false;
	}
	return kite_pio_send(q, f, flen, 0, 0) == 0 ||
	       (kite_tx_reap(q), kite_pio_send(q, f, flen, 0, 0) == 0);
}

int kn_tx_desc(struct kite_queue *q, struct kite_pkt *pkt)
{
	unsigned int desc, pio;

	kite_tx_inflight(q, &desc, &pio);
	if (pio) {
		kite_tx_reap(q);
		kite_tx_inflight(q, &desc, &pio);
		if (pio)
			return -EAGAIN;	/* PIO frames ahead of it: wait for them */
	}
	if (kite_tx_burst(q, &pkt, 1) == 1)
		return 0;
	kite_tx_reap(q);
	return kite_tx_burst(q, &pkt, 1) == 1 ? 0 : -EAGAIN;
}
