/* SPDX-License-Identifier: BSD-3-Clause */
/* kite-regs' view of a card: BAR0 through libkite (emu, kite.ko) or sysfs. */
#ifndef KITE_TOOLS_REGS_ACCESS_H
#define KITE_TOOLS_REGS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct kite_dev;

struct regs_dev {
	char name[128];
	const volatile uint8_t *bar0;
	struct kite_dev *dev;		/* libkite, or NULL for sysfs */
	volatile uint8_t *sysfs_map;	/* resource0 mapping, read/write */
	int fd;
};

/*
 * DEV: emu:PATH, /dev/kiteN, or a PCI address (through kite.ko when bound to
 * it, else sysfs resource0 as root, whatever the driver). NULL: $KITE_DEV,
 * then the first kite card libpci finds. 0 or -errno, err says why.
 */
int regs_open(const char *devstr, struct regs_dev *d, char *err, size_t errlen);
void regs_close(struct regs_dev *d);
uint64_t regs_read(const struct regs_dev *d, uint32_t off, unsigned int bits);
int regs_write(struct regs_dev *d, uint32_t off, uint64_t val, unsigned int bits,
	       char *err, size_t errlen);


#endif
