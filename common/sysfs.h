/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading small kernel files (sysfs, /proc) for libkite, the tools and the
 * tests alike: one line, a hex attribute, a PCI device's IDs, what a link
 * (driver, iommu_group) points to.
 * Header-only; not installed.
 */
#ifndef KITE_COMMON_SYSFS_H
#define KITE_COMMON_SYSFS_H

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The first line of a small file, without its newline: 0, or -1 (buf "") if unreadable. */
static inline int kite_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* A hex number from a sysfs file ("0x1af4\n"): 0, or -1 if unreadable. */
static inline int kite_sysfs_hex(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "r");
	int ok = f && fscanf(f, "%lx", v) == 1;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

/* ADDR's vendor and device IDs; 0 when unreadable. */
static inline void kite_pci_ids(const char *addr, unsigned int *vendor, unsigned int *device)
{
	char path[PATH_MAX];
	unsigned long v;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", addr);
	*vendor = kite_sysfs_hex(path, &v) ? 0 : (unsigned int)v;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", addr);
	*device = kite_sysfs_hex(path, &v) ? 0 : (unsigned int)v;
}

/*
 * The last component of what ADDR's sysfs link NAME points to ("driver" ->
 * "vfio-pci", "iommu_group" -> "12"), in out; -1 if there is no such link.
 */
static inline int kite_pci_link(const char *addr, const char *name, char *out, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/%s", addr, name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -1;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

#endif
