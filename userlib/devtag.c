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
static unsigned int tag_last;	/* round robin: a closed device's tag comes back last */

int kite_devtag_get(uint8_t *tag)
{
	unsigned int t = 0, k;

	pthread_mutex_lock(&tag_lock);
	for (k = 1; k < 256 && !t; k++) {
		unsigned int c = (tag_last + k) % 256;

		if (c && !tag_used[c])
			t = c;
	}
	if (t) {
		tag_used[t] = 1;
		tag_last = t;
	}
	pthread_mutex_unlock(&tag_lock);
	if (!t)
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
