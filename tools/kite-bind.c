// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-bind: which driver a kite card is bound to, and changing it (as
 * dpdk-devbind does), through sysfs driver_override.
 *   kite-bind [--status]                 cards (libpci), drivers, who uses them
 *   kite-bind ADDR kite|vfio-pci|uio_kite [--board shmem] [--force]
 *   kite-bind --unbind ADDR [--board shmem] [--force]
 * A card in use (an open /dev/kiteN, /dev/uioN or VFIO group) is never unbound,
 * and a device that is not a kite card is never touched without --force: an
 * address typed wrong must not unbind the host's disk.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kite/hw.h"
#include "pci_list.h"
#include "sysfs.h"
#include "args.h"

static char dev_dir[256];	/* /sys/bus/pci/devices/ADDR */
static const char *pci_addr;

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "kite-bind: ");
	fprintf(stderr, msg, arg);
	fputc('\n', stderr);
	exit(1);
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -errno;
	ok = fputs(s, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	return ok ? 0 : -errno;
}

/* The device node through which the card is used under its current driver. */
static bool user_node(const char *drv, char *node, size_t len)
{
	char pattern[PATH_MAX + 16], group[32];
	glob_t g;

	if (!strcmp(drv, "vfio-pci")) {
		if (kite_pci_link(pci_addr, "iommu_group", group, sizeof(group)))
			return false;
		snprintf(node, len, "/dev/vfio/%s", group);
		if (access(node, F_OK))	/* vfio's unsafe no-IOMMU mode names it so */
			snprintf(node, len, "/dev/vfio/noiommu-%s", group);
		return true;
	}
	snprintf(pattern, sizeof(pattern), "%s/%s", dev_dir,
		 !strcmp(drv, "kite") ? "misc/kite*" : "uio/uio*");
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		globfree(&g);
		return false;
	}
	snprintf(node, len, "/dev/%s", strrchr(g.gl_pathv[0], '/') + 1);
	globfree(&g);
	return true;
}

/* A process holding node open, as lsof would find it; 0 if none. */
static long user_of(const char *node)
{
	DIR *proc = opendir("/proc"), *fds;
	struct dirent *p, *f;
	long pid = 0;

	while (proc && !pid && (p = readdir(proc))) {
		char path[PATH_MAX], target[PATH_MAX];

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && !pid && (f = readdir(fds))) {
			char link[PATH_MAX + 300];
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", path, f->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n > 0 && (target[n] = 0, !strcmp(target, node)))
				pid = atol(p->d_name);
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return pid;
}

static int status(void)
{
	char first[64];

	if (pci_list(stdout, first, sizeof(first)) > 0)
		return 0;
	fprintf(stderr, "kite-bind: no kite card found (vendor %04x device %04x, or a device "
		"bound to kite)\n", KITE_PCI_VENDOR_ID, KITE_PCI_DEVICE_ID);
	return 1;
}

/*
 * A kite card: kite's IDs, the board declared with --board (kite-emu's ivshmem
 * device), or a device a kite driver already checked and bound. Anything else
 * is refused unless --force.
 */
static void check_kite_card(const char *addr, bool shmem, bool force)
{
	unsigned int ven, dev;
	char drv[64];

	kite_pci_ids(addr, &ven, &dev);
	pci_driver_of(addr, drv, sizeof(drv));
	if ((ven == KITE_PCI_VENDOR_ID && dev == KITE_PCI_DEVICE_ID) ||
	    (shmem && ven == KITE_SHMEM_VENDOR_ID && dev == KITE_SHMEM_DEVICE_ID) ||
	    !strcmp(drv, "kite") || !strcmp(drv, "uio_kite") || force)
		return;
	fprintf(stderr, "kite-bind: %s (%04x:%04x, driver %s) is not a kite card (%04x:%04x%s); "
		"refusing to touch it. Check the address (kite-bind --status lists the cards), "
		"or add --force if you really mean it.\n", addr, ven, dev, drv,
		KITE_PCI_VENDOR_ID, KITE_PCI_DEVICE_ID,
		shmem ? ", or kite-emu's ivshmem board 1af4:1110" : "");
	exit(1);
}

static void unbind(const char *addr)
{
	char drv[64], node[128], path[PATH_MAX + 16];
	long pid;
	int err;

	pci_driver_of(pci_addr, drv, sizeof(drv));
	if (!strcmp(drv, "none"))
		return;
	if (user_node(drv, node, sizeof(node)) && (pid = user_of(node))) {
		fprintf(stderr, "kite-bind: %s is in use: process %ld has %s open; stop it first\n",
			addr, pid, node);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/driver/unbind", dev_dir);
	err = write_file(path, addr);
	if (err)
		die("cannot unbind: %s (root needed)", strerror(-err));
}

static void bind(const char *addr, const char *driver, bool shmem)
{
	char path[PATH_MAX + 16], drv[64], id[64];
	int err;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", driver);
	if (access(path, F_OK))
		die("driver %s is not loaded (modprobe it, or insmod its .ko)", driver);
	unbind(addr);
	/* kite's drivers learn the ivshmem board's layout from new_id's driver_data */
	if (shmem && strcmp(driver, "vfio-pci")) {
		unsigned int ven, dev;

		kite_pci_ids(addr, &ven, &dev);
		snprintf(id, sizeof(id), "%04x %04x ffffffff ffffffff 0 0 1", ven, dev);
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/new_id", driver);
		err = write_file(path, id);
		if (err && err != -EEXIST)
			die("new_id: %s", strerror(-err));
	} else {
		snprintf(path, sizeof(path), "%s/driver_override", dev_dir);
		err = write_file(path, driver);
		if (err)
			die("cannot set driver_override: %s (root needed)", strerror(-err));
	}
	write_file("/sys/bus/pci/drivers_probe", addr);
	if (shmem && strcmp(driver, "vfio-pci")) {	/* only this device, not every ivshmem */
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/remove_id", driver);
		snprintf(id, sizeof(id), "%04x %04x", KITE_SHMEM_VENDOR_ID, KITE_SHMEM_DEVICE_ID);
		write_file(path, id);
	}
	pci_driver_of(pci_addr, drv, sizeof(drv));
	if (strcmp(drv, driver)) {
		fprintf(stderr, "kite-bind: %s did not take %s (now: %s); the kernel log says "
			"why%s\n", driver, addr, drv, !strcmp(driver, "vfio-pci") ?
			" (vfio-pci needs an IOMMU group: intel_iommu=on, or vfio's "
			"enable_unsafe_noiommu_mode)" : "");
		exit(1);
	}
	printf("%s bound to %s\n", addr, driver);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "status", no_argument, NULL, 's' }, { "unbind", required_argument, NULL, 'u' },
		{ "board", required_argument, NULL, 'b' }, { "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *unbind_addr = NULL;
	bool shmem = false, force = false;
	int c;

	tool_version(argc, argv, "kite-bind");
	while ((c = getopt_long(argc, argv, "u:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': break;
		case 'f': force = true; break;
		case 'u': unbind_addr = optarg; break;
		case 'b':
			if (strcmp(optarg, "shmem"))
				die("unknown board '%s' (shmem: kite-emu behind ivshmem)", optarg);
			shmem = true;
			break;
		case 'h':
			printf("usage: kite-bind [--status]\n"
			       "       kite-bind ADDR kite|vfio-pci|uio_kite [--board shmem] [--force]\n"
			       "       kite-bind --unbind ADDR [--board shmem] [--force]\n"
			       "Binds a kite card to a driver via driver_override (root). Refuses to\n"
			       "unbind a card a process is using, and any device that is not a kite\n"
			       "card unless --force. --board shmem: the ivshmem board of kite-emu\n"
			       "under QEMU, bound by new_id with its layout.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!unbind_addr && optind == argc)
		return status();
	if (unbind_addr ? optind != argc : argc - optind != 2) {
		fprintf(stderr, "kite-bind: say ADDR DRIVER, --unbind ADDR or --status\n");
		return 2;
	}
	if (strlen(unbind_addr ? unbind_addr : argv[optind]) > 32)
		die("'%s' is not a PCI address", unbind_addr ? unbind_addr : argv[optind]);
	snprintf(dev_dir, sizeof(dev_dir), "/sys/bus/pci/devices/%s",
		 unbind_addr ? unbind_addr : argv[optind]);
	pci_addr = unbind_addr ? unbind_addr : argv[optind];
	if (access(dev_dir, F_OK))
		die("no PCI device %s", pci_addr);
	check_kite_card(pci_addr, shmem, force);
	if (unbind_addr) {
		unbind(unbind_addr);
		printf("%s unbound\n", unbind_addr);
		return 0;
	}
	if (strcmp(argv[optind + 1], "kite") && strcmp(argv[optind + 1], "vfio-pci") &&
	    strcmp(argv[optind + 1], "uio_kite"))
		die("unknown driver '%s' (kite, vfio-pci or uio_kite)", argv[optind + 1]);
	bind(argv[optind], argv[optind + 1], shmem);
	return 0;
}
