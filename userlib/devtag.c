// SPDX-License-Identifier: BSD-3-Clause
/*
 * Device tags: a byte, unique among the devices open in this process, stored
 * in every packet of a device's pools. kite_tx_burst compares the packet's
 * owner and tag bytes with one 16-bit load, so a packet from another device's
 * pool (whose IOVA means nothing on this card) is refused for free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "lib_internal.h"

static pthread_mutex_t tag_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t tag_used[256];	/* tag 0 is never handed out */

int kite_devtag_get(uint8_t *tag)
{
	unsigned int t;

	pthread_mutex_lock(&tag_lock);
	for (t = 1; t < 256 && tag_used[t]; t++)
		;
	if (t < 256)
		tag_used[t] = 1;
	pthread_mutex_unlock(&tag_lock);
	if (t == 256)
		return kite_err(-EMFILE, "kite_open: 255 kite devices are open in this process "
				"already");
	*tag = (uint8_t)t;
	return 0;
}

void kite_devtag_put(uint8_t tag)
{
	pthread_mutex_lock(&tag_lock);
	tag_used[tag] = 0;
	pthread_mutex_unlock(&tag_lock);
}
