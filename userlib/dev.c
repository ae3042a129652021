// SPDX-License-Identifier: BSD-3-Clause
/* libkite: opening a device, identity checks (hw-spec §2), waiting for the card. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib_internal.h"
#include "sysfs.h"

/* GSTATUS.READY, waiting out a reset another process may have started (§3.11) */
static bool card_ready(struct kite_dev *dev)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (KITE_FGET(KITE_GSTATUS_READY, kite_rd32(dev, KITE_R_GSTATUS)))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 >
		    (long)KITE_T_RESET_US * dev->hw.slack)
			return false;
		usleep(100);
	}
}

static int identify(struct kite_dev *dev, const char *devstr)
{
	uint32_t magic = kite_rd32(dev, KITE_R_ID_MAGIC);
	uint32_t ver = kite_rd32(dev, KITE_R_ID_VERSION);
	uint32_t caps = kite_rd32(dev, KITE_R_ID_CAPS);
	struct kite_dev_info *in = &dev->info;

	if (magic != KITE_MAGIC)
		return kite_err(-ENODEV, "%s: not a kite card (ID_MAGIC reads 0x%08x, "
				"expected 0x%08x)", devstr, magic, KITE_MAGIC);
	in->version_major = KITE_FGET(KITE_ID_VERSION_MAJOR, ver);
	in->version_minor = KITE_FGET(KITE_ID_VERSION_MINOR, ver);
	if (in->version_major != KITE_VERSION_MAJOR)
		return kite_err(-ENODEV, "%s: card speaks contract v%u.%u, this libkite "
				"speaks v%u.x: update libkite or the card's firmware",
				devstr, in->version_major, in->version_minor,
				KITE_VERSION_MAJOR);
	in->features = kite_rd32(dev, KITE_R_ID_FEATURES);
	in->num_ports = KITE_FGET(KITE_ID_CAPS_NUM_PORTS, caps);
	in->num_queues = KITE_FGET(KITE_ID_CAPS_NUM_QUEUES, caps);
	in->num_filters = KITE_FGET(KITE_ID_CAPS_NUM_FILTERS, caps);
	in->max_ring_size = 1u << KITE_FGET(KITE_ID_CAPS_MAX_RING_LOG2, caps);
	in->max_frame = kite_rd32(dev, KITE_R_ID_MAX_FRAME);
	/* Never trust the card's sizes beyond what this contract allows. */
	if (in->num_ports > KITE_MAX_PORTS || in->num_queues > KITE_MAX_QUEUES ||
	    in->num_filters > KITE_MAX_FILTERS || in->max_ring_size > (1u << KITE_MAX_RING_LOG2))
		return kite_err(-ENODEV, "%s: card reports more ports/queues/filters than "
				"contract v%u allows (ID_CAPS 0x%08x)", devstr,
				KITE_VERSION_MAJOR, caps);
	if (!card_ready(dev))
		return kite_err(-EIO, "%s: card not ready (GSTATUS.READY clear for the %u ms a "
				"reset may take)", devstr, KITE_T_RESET_US / 1000 * dev->hw.slack);
	strncpy(in->backend, dev->ops->name, sizeof(in->backend) - 1);
	return 0;
}

/* The ivshmem board kite-emu uses under QEMU (hw-spec §8): the model, not a card. */
static bool is_model_ids(unsigned int ven, unsigned int dev)
{
	return ven == KITE_SHMEM_VENDOR_ID && dev == KITE_SHMEM_DEVICE_ID;
}

static bool is_model_board(const char *addr)
{
	unsigned int ven, dev;

	kite_pci_ids(addr, &ven, &dev);
	return is_model_ids(ven, dev);
}

/* kite's IDs, or the ivshmem board kite-emu uses under QEMU */
static bool is_kite_card(const char *addr)
{
	unsigned int ven, dev;

	kite_pci_ids(addr, &ven, &dev);
	return (ven == KITE_PCI_VENDOR_ID && dev == KITE_PCI_DEVICE_ID) || is_model_ids(ven, dev);
}

/*
 * A PCI address: whichever driver the card is bound to picks the backend.
 * kite.ko puts /dev/kiteN under the PCI device in sysfs (misc/kiteN).
 */
static int kite_pci_resolve(const char *addr, char *path, size_t len,
			    const struct kite_backend_ops **ops)
{
	char drv[64], pattern[PATH_MAX];
	bool bound;
	glob_t g;

	if (strlen(addr) > 32 || strchr(addr, '/'))
		return kite_err(-EINVAL, "'%s': not a PCI address (like 0000:01:00.0)", addr);
	bound = !kite_pci_link(addr, "driver", drv, sizeof(drv));
	snprintf(pattern, sizeof(pattern), "/sys/bus/pci/devices/%s", addr);
	if (!bound && access(pattern, F_OK))
		return kite_err(-ENODEV, "%s: no such PCI device", addr);
	if (!bound)
		snprintf(drv, sizeof(drv), "none");
	/* never suggest kite-bind for a device that is not a kite card */
	if (strcmp(drv, "kite") && strcmp(drv, "uio_kite") && !is_kite_card(addr))
		return kite_err(-ENODEV, "%s is not a kite card (driver %s)", addr, drv);
	if (!bound)
		return kite_err(-ENODEV, "%s: not bound to any driver (bind it to kite.ko: "
				"kite-bind %s kite)", addr, addr);
	if (!strcmp(drv, "uio_kite") || !strcmp(drv, "vfio-pci")) {
		*ops = strcmp(drv, "uio_kite") ? &kite_backend_vfio : &kite_backend_uio;
		snprintf(path, len, "%s", addr);
		return 0;
	}
	if (strcmp(drv, "kite"))
		return kite_err(-EPROTONOSUPPORT, "%s is bound to %s: libkite reaches cards "
				"through kite, vfio-pci or uio_kite (kite-bind %s kite)", addr,
				drv, addr);
	*ops = &kite_backend_kmod;
	snprintf(pattern, sizeof(pattern), "/sys/bus/pci/devices/%s/misc/kite*", addr);
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		globfree(&g);
		return kite_err(-ENODEV, "%s: bound to kite but no /dev/kiteN found", addr);
	}
	snprintf(path, len, "/dev/%s", strrchr(g.gl_pathv[0], '/') + 1);
	globfree(&g);
	return 0;
}

/*
 * Who the card is, however it was opened (/dev/kiteN, its PCI address,
 * emu:PATH): the clock status file is named after it (clock.c).
 */
static void dev_ident(struct kite_dev *dev, const char *arg)
{
	char link[PATH_MAX], path[PATH_MAX], *p;
	ssize_t n;

	if (dev->ops == &kite_backend_emu) {
		if (!realpath(arg, path))
			snprintf(path, sizeof(path), "%s", arg);
		snprintf(dev->ident, sizeof(dev->ident), "emu%.92s", path);	/* a socket's path */
	} else if (dev->ops == &kite_backend_kmod) {
		snprintf(path, sizeof(path), "/sys/class/misc/%s/device", strrchr(arg, '/') + 1);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		snprintf(dev->ident, sizeof(dev->ident), "%.64s",
			 n > 0 ? strrchr(link, '/') + 1 : strrchr(arg, '/') + 1);
	} else {
		snprintf(dev->ident, sizeof(dev->ident), "%.64s", arg);
	}
	for (p = dev->ident; *p; p++)	/* a file name */
		if (*p == '/')
			*p = '_';
}

int kite_open(const char *devstr, struct kite_dev **out)
{
	return kite_open_flags(devstr, 0, out);
}

int kite_open_flags(const char *devstr, unsigned int flags, struct kite_dev **out)
{
	const struct kite_backend_ops *ops;
	struct kite_dev *dev;
	char kpath[64];
	const char *arg;
	int err;

	KITE_CALL_AS(flags ? "kite_open_flags" : "kite_open");
	if (!devstr || !out)
		return kite_err(-EINVAL, "kite_open: device string and out pointer required");
	if (!strncmp(devstr, "emu:", 4)) {
		ops = &kite_backend_emu;
		arg = devstr + 4;
	} else if (!strncmp(devstr, "/dev/", 5)) {
		ops = &kite_backend_kmod;
		arg = devstr;
	} else if (strchr(devstr, ':')) {
		err = kite_pci_resolve(devstr, kpath, sizeof(kpath), &ops);
		if (err)
			return err;
		arg = kpath;
	} else {
		return kite_err(-EINVAL, "'%s': unknown device; use emu:PATH, /dev/kiteN or "
				"a PCI address", devstr);
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return kite_err(-ENOMEM, "kite_open: out of memory");
	dev->ops = ops;
	dev->flags = flags;
	/* kite-emu shares CPUs with its clients: it gets more time than a card (kite_hw.h) */
	kite_direct_init(dev, ops == &kite_backend_emu ||
			      (ops != &kite_backend_kmod && is_model_board(arg)) ?
			      KITE_HW_SLACK_MODEL : 1);
	err = kite_devtag_get(&dev->tag);
	if (err) {
		free(dev);
		return err;
	}
	err = ops->open(dev, arg);
	if (err) {
		kite_devtag_put(dev->tag);
		free(dev);
		return err;
	}
	err = identify(dev, devstr);
	if (err) {
		ops->close(dev);
		kite_devtag_put(dev->tag);
		free(dev);
		return err;
	}
	kite_trace_open(dev, devstr);
	dev_ident(dev, arg);
	pthread_mutex_init(&dev->clock_lock, NULL);
	*out = dev;
	return 0;
}

void kite_close(struct kite_dev *dev)
{
	unsigned int i;

	KITE_CALL();
	if (!dev)
		return;
	for (i = 0; i < KITE_MAX_QUEUES; i++)
		if (dev->queues[i])
			kite_queue_close(dev->queues[i]);
	while (dev->pools)
		kite_pool_free(dev->pools);
	dev->ops->close(dev);
	kite_clock_unmap(dev);
	pthread_mutex_destroy(&dev->clock_lock);
	kite_trace_close(dev);
	kite_devtag_put(dev->tag);
	free(dev);
}

const char *kite_version(void)
{
	return KITE_LIB_VERSION;	/* version.h, from VERSION */
}

int kite_dev_info_sz(struct kite_dev *dev, struct kite_dev_info *info, size_t size)
{
	KITE_CALL_AS("kite_dev_info");
	if (!dev || !info)
		return kite_err(-EINVAL, "kite_dev_info: NULL argument");
	return kite_abi_out(KITE_ABI_DEV_INFO, info, &dev->info, size);
}

void kite_set_wait_hook(struct kite_dev *dev, void (*fn)(void *), void *arg)
{
	if (!dev)
		return;
	dev->wait_hook = fn;
	dev->wait_arg = arg;
}
