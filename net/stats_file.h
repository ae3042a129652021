/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An interface's counters in a file, for kite-stat --net: a header, the
 * counters' names, then their values, which the interface updates in place
 * (a shared mapping: no system call per count). Self-describing, so a
 * kite-stat of another version reads the names it finds.
 */
#ifndef KITE_NET_STATS_FILE_H
#define KITE_NET_STATS_FILE_H

#include <stdint.h>

#define KN_STATS_MAGIC		"KITENET1"
#define KN_STATS_NAME_LEN	32

struct kn_stats_hdr {
	char magic[8];
	uint32_t count;		/* counters */
	uint32_t name_len;	/* KN_STATS_NAME_LEN */
	uint64_t pid;		/* the process that owns the interface */
	uint32_t addr;		/* its IPv4 address, host order */
	uint32_t port;		/* card port */
	uint8_t mac[6];
	uint8_t rsvd[2];
	uint64_t values_off;	/* where the uint64_t values start */
};
/* then count names of name_len bytes (NUL-padded), then count uint64_t values */

struct kn_if;
int kn_stats_file_create(struct kn_if *ifp, const char *path);
void kn_stats_file_remove(struct kn_if *ifp);

#endif
