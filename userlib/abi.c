// SPDX-License-Identifier: BSD-3-Clause
/*
 * Structs that travel with their size (kite.h, "ABI"): what an application
 * compiled against an older or newer kite.h passes is converted here, so each
 * entry point works on the library's own, complete struct.
 */
#include <errno.h>
#include <string.h>

#include "lib_internal.h"

/* the most bytes any struct may ever have (as Linux's sched_setattr: a page) */
#define ABI_SIZE_MAX	4096u

/* the sizes in libkite 0.1, the first ABI: no caller can pass less (and a
 * struct only grows: the array size below is negative if one shrank) */
#define SIZE_0_1(type, size) \
	{ #type, sizeof(struct type) + 0 * sizeof(char[sizeof(struct type) >= (size) ? 1 : -1]), \
	  size }
static const struct {
	const char *name;
	size_t now, v0_1;
} sizes[] = {
	[KITE_ABI_DEV_INFO] = SIZE_0_1(kite_dev_info, 44),
	[KITE_ABI_QUEUE_CONF] = SIZE_0_1(kite_queue_conf, 24),
	[KITE_ABI_QUEUE_STATS] = SIZE_0_1(kite_queue_stats, 72),
	[KITE_ABI_QUEUE_STATE] = SIZE_0_1(kite_queue_state, 16),
	[KITE_ABI_LINK] = SIZE_0_1(kite_link, 20),
	[KITE_ABI_FILTER] = SIZE_0_1(kite_filter, 24),
	[KITE_ABI_PORT_STATS] = SIZE_0_1(kite_port_stats, 64),
	[KITE_ABI_QUEUE_HW_STATS] = SIZE_0_1(kite_queue_hw_stats, 64),
	[KITE_ABI_CLOCK_UPDATE] = SIZE_0_1(kite_clock_update, 48),
	[KITE_ABI_QUEUE_OPTS] = SIZE_0_1(kite_queue_opts, 16),
	[KITE_ABI_CLOCK_STATUS] = SIZE_0_1(kite_clock_status, 96),
	[KITE_ABI_SERVO_CONF] = SIZE_0_1(kite_clock_servo_conf, 48),
};

int kite_abi_size_ok(enum kite_abi_struct t, size_t size)
{
	if (size < sizes[t].v0_1)
		return kite_err(-EINVAL, "struct %s of %zu bytes: smaller than any kite.h had "
				"(%zu); compile against kite.h, call through its macros, and "
				"set .size = sizeof where the struct has one",
				sizes[t].name, size, sizes[t].v0_1);
	if (size > ABI_SIZE_MAX)	/* no kite.h will have such a struct: a garbage size */
		return kite_err(-E2BIG, "struct %s of %zu bytes: larger than any kite.h can "
				"make it (%u); is its size field set?", sizes[t].name, size,
				ABI_SIZE_MAX);
	return 0;
}

int kite_abi_in(enum kite_abi_struct t, void *ours, const void *theirs, size_t size)
{
	const unsigned char *extra = (const unsigned char *)theirs + sizes[t].now;
	size_t i;
	int err = kite_abi_size_ok(t, size);

	if (err)
		return err;
	memset(ours, 0, sizes[t].now);
	memcpy(ours, theirs, size < sizes[t].now ? size : sizes[t].now);
	for (i = 0; sizes[t].now + i < size; i++)
		if (extra[i])
			return kite_err(-E2BIG, "struct %s: the application sets byte %zu of %zu, a "
					"field this libkite (%s, %zu bytes) does not know; "
					"upgrade libkite", sizes[t].name, sizes[t].now + i, size,
					KITE_LIB_VERSION, sizes[t].now);
	return 0;
}

int kite_abi_out(enum kite_abi_struct t, void *theirs, const void *ours, size_t size)
{
	int err = kite_abi_size_ok(t, size);

	if (err)
		return err;
	memcpy(theirs, ours, size < sizes[t].now ? size : sizes[t].now);
	if (size > sizes[t].now)	/* fields this libkite does not fill: zero */
		memset((unsigned char *)theirs + sizes[t].now, 0, size - sizes[t].now);
	return 0;
}
