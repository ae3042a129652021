// SPDX-License-Identifier: BSD-3-Clause
/* The counters file kite-stat --net reads (stats_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net_internal.h"
#include "stats_file.h"

/*
 * What is at path already may be replaced only if it is a kite-net counters
 * file of ours whose process has gone: never another file (a typo in the path
 * would delete it), never a live interface's counters, never through a link.
 */
static int check_existing(const char *path)
{
	struct kn_stats_hdr h;
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return kn_err(-errno, "kn_if_open: stats file %s: %s", path,
			      errno == ELOOP ? "a symbolic link (refused)" : strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) || memcmp(h.magic, KN_STATS_MAGIC, 8))
		err = kn_err(-EEXIST, "kn_if_open: stats file %s exists and is not a kite-net "
			     "counters file of this user: refusing to replace it", path);
	else if (h.pid && h.pid <= INT32_MAX && (kill((pid_t)h.pid, 0) == 0 || errno == EPERM))
		err = kn_err(-EBUSY, "kn_if_open: stats file %s is in use by process %llu", path,
			     (unsigned long long)h.pid);
	close(fd);
	return err;
}

int kn_stats_file_create(struct kn_if *ifp, const char *path)
{
	size_t voff = sizeof(struct kn_stats_hdr) + (size_t)KN_STAT_COUNT * KN_STATS_NAME_LEN;
	size_t len, plen = strlen(path);
	struct kn_stats_hdr *h;
	struct stat st;
	unsigned int i;
	uint8_t *map;
	char *tmp;
	int fd, err;

	voff = (voff + 7) & ~(size_t)7;
	len = voff + KN_STAT_COUNT * sizeof(uint64_t);
	err = check_existing(path);
	if (err)
		return err;
	/* filled under a temporary name, then renamed: a reader sees a whole file */
	tmp = malloc(plen + 8);
	if (!tmp)
		return kn_err(-ENOMEM, "kn_if_open: out of memory");
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", 8);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = kn_err(-errno, "kn_if_open: stats file %s: %s", path, strerror(errno));
		free(tmp);
		return err;
	}
	if (fchmod(fd, 0644) || ftruncate(fd, (off_t)len) || fstat(fd, &st)) {
		err = kn_err(-errno, "kn_if_open: stats file %s: %s", path, strerror(errno));
		goto fail;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = kn_err(-errno, "kn_if_open: stats file %s: %s", path, strerror(errno));
		goto fail;
	}
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
	memcpy(h->magic, KN_STATS_MAGIC, 8);
	if (rename(tmp, path)) {
		err = kn_err(-errno, "kn_if_open: stats file %s: %s", path, strerror(errno));
		munmap(map, len);
		goto fail;
	}
	close(fd);
	free(tmp);
	ifp->st = (uint64_t *)(map + voff);
	memcpy(ifp->st, ifp->st_mem, sizeof(ifp->st_mem));
	ifp->st_map = map;
	ifp->st_map_len = len;
	ifp->stats_path = strdup(path);
	ifp->stats_dev = st.st_dev;
	ifp->stats_ino = st.st_ino;
	return 0;
fail:
	close(fd);
	unlink(tmp);
	free(tmp);
	return err;
}

void kn_stats_file_remove(struct kn_if *ifp)
{
	struct stat st;

	if (!ifp->st_map)
		return;
	/* only the file this interface made: another may have taken the path since */
	if (ifp->stats_path && !stat(ifp->stats_path, &st) && st.st_dev == ifp->stats_dev &&
	    st.st_ino == ifp->stats_ino)
		unlink(ifp->stats_path);
	free(ifp->stats_path);
	munmap(ifp->st_map, ifp->st_map_len);
	ifp->st_map = NULL;
	ifp->st = ifp->st_mem;
}
