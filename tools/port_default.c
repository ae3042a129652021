// SPDX-License-Identifier: BSD-3-Clause
/* Borrowing a port's default queue and giving it back (port_default.h). */
#include <stdint.h>

#include "kite/hw.h"
#include "port_default.h"

int port_default_take(struct kite_dev *dev, unsigned int port, unsigned int queue,
		      struct port_default *saved)
{
	const volatile uint8_t *bar0 = kite_bar0(dev);
	uint32_t ctrl = bar0 ? *(const volatile uint32_t *)(bar0 + KITE_R_AT(P_CTRL, port)) : 0;

	saved->port = port;
	saved->queue = KITE_FGET(KITE_P_CTRL_DEFAULT_EN, ctrl) ?
		       (int)KITE_FGET(KITE_P_CTRL_DEFAULT_QUEUE, ctrl) : -1;
	saved->owner = saved->queue >= 0 ? kite_queue_owner(dev, (unsigned int)saved->queue) : 0;
	return kite_default_queue_set(dev, port, (int)queue);
}

void port_default_restore(struct kite_dev *dev, struct kite_queue *q,
			  const struct port_default *saved)
{
	kite_queue_close(q);	/* the card forgets a default pointing at it */
	if (saved->queue >= 0 &&
	    kite_queue_owner(dev, (unsigned int)saved->queue) == saved->owner)
		kite_default_queue_set(dev, saved->port, saved->queue);
}
