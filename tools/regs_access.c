// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kite/hw.h"
#include "kite/kite.h"
#include "pci_list.h"
#include "regs_access.h"

static bool is_pci_addr(const char *s)
{
	unsigned int dom, bus, dev, fn;
	char end;

	return sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &end) == 4;
}

/* kite.ko, vfio-pci and uio_kite: libkite has a backend for each. */
static bool bound_to_kite(const char *addr)
{
	char drv[64];

	pci_driver_of(addr, drv, sizeof(drv));
	return !strcmp(drv, "kite") || !strcmp(drv, "vfio-pci") || !strcmp(drv, "uio_kite");
}

/* Any driver or none: the BAR through sysfs (root), as lspci -vvv would. */
static int open_sysfs(const char *addr, struct regs_dev *d, char *err, size_t errlen)
{
	char path[PATH_MAX];
	void *m;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", addr, KITE_BAR_CTRL);
	d->fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (d->fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == EACCES ? " (reading a BAR through sysfs needs root)" :
			 errno == ENOENT ? " (no such PCI device)" : "");
		return -errno;
	}
	m = mmap(NULL, KITE_BAR_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "%s: cannot map %u bytes: %s", path, KITE_BAR_CTRL_SIZE,
			 strerror(errno));
		close(d->fd);
		return -errno;
	}
	d->sysfs_map = m;
	d->bar0 = m;
	return 0;
}

int regs_open(const char *devstr, struct regs_dev *d, char *err, size_t errlen)
{
	char first[64];
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (!devstr)
		devstr = getenv("KITE_DEV");
	if (!devstr) {
		if (pci_list(NULL, first, sizeof(first)) <= 0) {
			snprintf(err, errlen, "no kite card found (libpci saw none; give -d emu:PATH "
				 "for the model, or set KITE_DEV)");
			return -ENODEV;
		}
		devstr = first;
	}
	snprintf(d->name, sizeof(d->name), "%s", devstr);
	if (is_pci_addr(devstr) && !bound_to_kite(devstr))
		return open_sysfs(devstr, d, err, errlen);
	rc = kite_open_flags(devstr, KITE_OPEN_NO_RESET, &d->dev);	/* look, don't touch */
	if (rc) {
		snprintf(err, errlen, "%s", kite_last_error());
		return rc;
	}
	d->bar0 = kite_bar0(d->dev);
	return 0;
}

void regs_close(struct regs_dev *d)
{
	if (d->dev)
		kite_close(d->dev);
	if (d->sysfs_map) {
		munmap((void *)d->sysfs_map, KITE_BAR_CTRL_SIZE);
		close(d->fd);
	}
}

uint64_t regs_read(const struct regs_dev *d, uint32_t off, unsigned int bits)
{
	if (bits == 64)
		return *(const volatile uint64_t *)(d->bar0 + off);
	return *(const volatile uint32_t *)(d->bar0 + off);
}

int regs_write(struct regs_dev *d, uint32_t off, uint64_t val, unsigned int bits,
	       char *err, size_t errlen)
{
	int rc;

	if (d->sysfs_map) {
		if (bits == 64)
			*(volatile uint64_t *)(d->sysfs_map + off) = val;
		else
			*(volatile uint32_t *)(d->sysfs_map + off) = (uint32_t)val;
		return 0;
	}
	rc = kite_reg_write(d->dev, off, val, bits);
	if (rc)
		snprintf(err, errlen, "%s", kite_last_error());
	return rc;
}
