// SPDX-License-Identifier: BSD-3-Clause
/* The counters file kite-stat --net reads (stats_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net_internal.h"
#include "stats_file.h"

int kn_stats_file_create(struct kn_if *ifp, const char *path)
{
	size_t voff = sizeof(struct kn_stats_hdr) + (size_t)KN_STAT_COUNT * KN_STATS_NAME_LEN;
	size_t len;
	struct kn_stats_hdr *h;
	unsigned int i;
	uint8_t *map;
	int fd, err;

	voff = (voff + 7) & ~(size_t)7;
	len = voff + KN_STAT_COUNT * sizeof(uint64_t);
	/* a new file each time: a reader never sees a previous owner's layout */
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return kn_err(-errno, "kn_if_open: stats file %s: %s", path, strerror(errno));
	if (ftruncate(fd, (off_t)len)) {
		err = kn_err(-errno, "kn_if_open: stats file %s: %s", path, strerror(errno));
		goto fail;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = kn_err(-errno, "kn_if_open: stats file %s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	h = (struct kn_stats_hdr *)map;
	h->count = KN_STAT_COUNT;
	h->name_len = KN_STATS_NAME_LEN;
	h->pid = (uint64_t)getpid();
	h->addr = ifp->addr;
	h->port = ifp->port;
	memcpy(h->mac, ifp->mac, 6);
	h->values_off = voff;
	for (i = 0; i < KN_STAT_COUNT; i++)
		strncpy((char *)map + sizeof(*h) + i * KN_STATS_NAME_LEN, kn_stat_name(i),
			KN_STATS_NAME_LEN - 1);
	ifp->st = (uint64_t *)(map + voff);
	memcpy(ifp->st, ifp->st_mem, sizeof(ifp->st_mem));
	ifp->st_map = map;
	ifp->st_map_len = len;
	ifp->stats_path = strdup(path);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(h->magic, KN_STATS_MAGIC, 8);	/* last: a reader sees a whole header */
	return 0;
fail:
	close(fd);
	unlink(path);
	return err;
}

void kn_stats_file_remove(struct kn_if *ifp)
{
	if (!ifp->st_map)
		return;
	if (ifp->stats_path)
		unlink(ifp->stats_path);
	free(ifp->stats_path);
	munmap(ifp->st_map, ifp->st_map_len);
	ifp->st_map = NULL;
	ifp->st = ifp->st_mem;
}
