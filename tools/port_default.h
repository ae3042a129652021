/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tool that points a port's unmatched frames at its own queue puts back
 * what was there when it is done (issue: tools must leave the card as they
 * found it). Closing the queue alone would only switch the default off.
 */
#ifndef KITE_TOOLS_PORT_DEFAULT_H
#define KITE_TOOLS_PORT_DEFAULT_H

#include "kite/kite.h"

struct port_default {
	unsigned int port;
	int queue;		/* -1: unmatched frames were dropped */
	long owner;		/* who owned that queue then (kite_queue_owner), 0 none */
};

/* Remember port's default queue, then point it at queue. 0 or -errno. */
int port_default_take(struct kite_dev *dev, unsigned int port, unsigned int queue,
		      struct port_default *saved);
/*
 * Close q, then give the port back its remembered default, if the queue still
 * has the owner it had (else unmatched frames are dropped: a queue whose owner
 * left must not feed the next one).
 */
void port_default_restore(struct kite_dev *dev, struct kite_queue *q,
			  const struct port_default *saved);

#endif
