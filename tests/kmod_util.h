/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the programs that test kite.ko from userspace in the QEMU guest
 * (kmod_client, kmod_attack, kmod_stress): checks that count, raw ioctls, a
 * hugepage, a queue started on it, and probing a mapping for SIGBUS.
 */
#ifndef KITE_TESTS_KMOD_UTIL_H
#define KITE_TESTS_KMOD_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kite/hw.h"
#include "kite/uapi.h"

extern int pass, fail;

#define CHECK(cond, ...) do {							\
	if (cond) {								\
		pass++;								\
	} else {								\
		fail++;								\
		printf("FAIL - ");						\
		printf(__VA_ARGS__);						\
		printf(" (line %d, errno %s)\n", __LINE__, strerror(errno));	\
	}									\
} while (0)

#define HUGE_2M (2UL << 20)

/* ioctl returning -errno, so expectations read as "== -EINVAL" */
int ioc(int fd, unsigned long cmd, void *arg);
int queue_ioc(int fd, unsigned long cmd, unsigned int qid);
int dma_map(int fd, void *va, uint64_t len, uint64_t *iova);
int dma_unmap(int fd, uint64_t iova);
uint64_t pinned_by(int fd);

/* A shared 2 MiB hugepage (memfd); *memfd keeps the file if asked for. */
void *hugepage(int *memfd);

/* Map mem (2 MiB, DMA-mapped at iova) as queue qid's rings and start it. */
int start_queue(int fd, unsigned int qid, uint64_t iova);

volatile uint32_t *map_bar0(int fd, bool writable);
volatile uint32_t *map_doorbell(int fd, unsigned int qid);

/* Write v at p: true if it went through, false if the access raised SIGBUS/SIGSEGV. */
bool probe_write(volatile uint32_t *p, uint32_t v);
bool probe_read(volatile uint32_t *p, uint32_t *v);

/* The text of /sys/class/misc/<dev>/<attr> (first line), or "" */
const char *sysfs_attr(const char *dev, const char *attr);

/* Fork fn(arg) in a child; its exit status is its number of failed checks. */
int in_child(int (*fn)(void *), void *arg);

/* Drop to uid/gid 1000 (a member of group kite in the guest). */
int become_member(void);

int report(const char *what);

#endif
