// SPDX-License-Identifier: GPL-2.0
/*
 * uio_kite.ko: the kite card for UIO users (as dpdk-kmods' igb_uio), without
 * its hazards: no interrupt or config-space games (polling only), the card's
 * identity and version are checked, the card is reset before it may DMA, and
 * queues have owners: a process claims a queue by writing "claim Q" to the
 * PCI device's kite_queues attribute (libkite does), and when it dies (or
 * exits without releasing) its queues are stopped and their filters dropped
 * at its close of /dev/uioN, even while other processes keep the device open;
 * when the last user goes every queue is stopped. So the card cannot keep
 * DMAing into memory that has been freed. UIO gives no IOMMU protection: root
 * only.
 */
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio_driver.h>

#include "../kmod/kite_board.h"

struct uio_kite {
	struct uio_info info;
	struct pci_dev *pdev;
	void __iomem *regs;
	unsigned int nqueues;
	struct mutex lock;	/* protects users and owner */
	unsigned int users;
	struct pid *owner[KITE_MAX_QUEUES];	/* the claiming process (tgid) */
};

#define UIO_KITE_WAIT_US	(100 * USEC_PER_MSEC)

/* hw-spec §6.1: stop queue q and wait until the card no longer touches it. */
static void uio_kite_queue_stop(struct uio_kite *u, unsigned int q)
{
	u32 st;

	writel(0, u->regs + KITE_R_AT(Q_CTRL, q));
	if (readl_poll_timeout(u->regs + KITE_R_AT(Q_STATUS, q), st,
			       !(st & (KITE_FMASK(KITE_Q_STATUS_RUNNING) |
				       KITE_FMASK(KITE_Q_STATUS_ERROR))) || st == ~0U,
			       10, UIO_KITE_WAIT_US))
		dev_warn(&u->pdev->dev, "queue %u did not stop (Q_STATUS 0x%08x)\n", q, st);
}

/* hw-spec §3.3: apply filter writes. */
static void uio_kite_commit(struct uio_kite *u)
{
	u32 st, seq = readl(u->regs + KITE_R_CFG_COMMIT) + 1;

	writel(seq, u->regs + KITE_R_CFG_COMMIT);
	if (readl_poll_timeout(u->regs + KITE_R_CFG_ACK, st, (s32)(st - seq) >= 0 || st == ~0U,
			       10, UIO_KITE_WAIT_US))
		dev_warn(&u->pdev->dev, "filter changes not acknowledged\n");
}

/* Stop queue q and drop every filter entry that steers to it (§3.8). */
static void uio_kite_queue_drop(struct uio_kite *u, unsigned int q)
{
	unsigned int i;
	u32 ctrl;

	uio_kite_queue_stop(u, q);
	for (i = 0; i < KITE_MAX_FILTERS; i++) {
		ctrl = readl(u->regs + KITE_R_AT(F_CTRL, i));
		if (KITE_FGET(KITE_F_CTRL_VALID, ctrl) && KITE_FGET(KITE_F_CTRL_QUEUE, ctrl) == q)
			writel(0, u->regs + KITE_R_AT(F_CTRL, i));
	}
	uio_kite_commit(u);
}

/*
 * Whether a queue's owner is gone: its process has no task left, or it is
 * the process closing /dev/uioN right now on its way out (exit or a fatal
 * signal). Caller holds u->lock.
 */
static bool uio_kite_owner_gone(struct pid *owner)
{
	return !pid_has_task(owner, PIDTYPE_TGID) ||
	       (owner == task_tgid(current) && (current->flags & PF_EXITING));
}

static void uio_kite_disown(struct uio_kite *u, unsigned int q)
{
	put_pid(u->owner[q]);
	u->owner[q] = NULL;
}

/*
 * Nobody uses the card any more: stop every queue and wait for the card to
 * let go (hw-spec §6.1), and drop every filter (§3.8) so no stale entry steers
 * frames to a queue whose owner is gone.
 */
static void uio_kite_quiesce(struct uio_kite *u)
{
	unsigned int q, i;

	for (q = 0; q < u->nqueues; q++) {
		uio_kite_queue_stop(u, q);
		uio_kite_disown(u, q);
	}
	for (i = 0; i < KITE_MAX_FILTERS; i++)
		writel(0, u->regs + KITE_R_AT(F_CTRL, i));
	uio_kite_commit(u);
}

static int uio_kite_open(struct uio_info *info, struct inode *inode)
{
	struct uio_kite *u = info->priv;

	mutex_lock(&u->lock);
	u->users++;
	mutex_unlock(&u->lock);
	return 0;
}

static int uio_kite_release(struct uio_info *info, struct inode *inode)
{
	struct uio_kite *u = info->priv;

	unsigned int q;

	mutex_lock(&u->lock);
	if (--u->users == 0) {
		uio_kite_quiesce(u);
	} else {
		for (q = 0; q < u->nqueues; q++) {
			if (u->owner[q] && uio_kite_owner_gone(u->owner[q])) {
				uio_kite_queue_drop(u, q);
				uio_kite_disown(u, q);
			}
		}
	}
	mutex_unlock(&u->lock);
	return 0;
}

/*
 * /sys/bus/pci/devices/ADDR/kite_queues (root): "claim Q" or "release Q" for
 * the writing process; reading lists "Q PID" per claimed queue. A claim of a
 * queue whose owner is gone stops that queue first.
 */
static ssize_t kite_queues_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct uio_kite *u = dev_get_drvdata(dev);
	struct pid *me = task_tgid(current);
	unsigned int q;
	char verb[8];
	int err = 0;

	if (sscanf(buf, "%7s %u", verb, &q) != 2 || q >= u->nqueues)
		return -EINVAL;
	mutex_lock(&u->lock);
	if (!strcmp(verb, "claim")) {
		if (u->owner[q] && u->owner[q] != me && uio_kite_owner_gone(u->owner[q])) {
			uio_kite_queue_drop(u, q);
			uio_kite_disown(u, q);
		}
		if (!u->owner[q])
			u->owner[q] = get_pid(me);
		else
			err = u->owner[q] == me ? -EALREADY : -EBUSY;
	} else if (!strcmp(verb, "release")) {
		if (u->owner[q] == me)
			uio_kite_disown(u, q);
		else
			err = -EPERM;
	} else {
		err = -EINVAL;
	}
	mutex_unlock(&u->lock);
	return err ? err : len;
}

static ssize_t kite_queues_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct uio_kite *u = dev_get_drvdata(dev);
	unsigned int q;
	int n = 0;

	mutex_lock(&u->lock);
	for (q = 0; q < u->nqueues; q++)
		if (u->owner[q])
			n += sysfs_emit_at(buf, n, "%u %d\n", q, pid_nr(u->owner[q]));
	mutex_unlock(&u->lock);
	return n;
}
static DEVICE_ATTR_ADMIN_RW(kite_queues);	/* root: UIO is root-only anyway */

static struct attribute *uio_kite_attrs[] = {
	&dev_attr_kite_queues.attr,
	NULL,
};
ATTRIBUTE_GROUPS(uio_kite);

static int uio_kite_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	const struct kite_board *b;
	struct uio_kite *u;
	u32 magic, ver;
	int err;

	if (id->driver_data >= ARRAY_SIZE(kite_boards))
		return -EINVAL;
	b = &kite_boards[id->driver_data];
	err = pcim_enable_device(pdev);
	if (err)
		return err;
	if (!kite_board_fits(pdev, b)) {
		dev_err(&pdev->dev, "BARs too small for the register and doorbell windows\n");
		return -ENODEV;
	}
	err = pcim_iomap_regions(pdev, BIT(b->regs_bar) | BIT(b->db_bar), KBUILD_MODNAME);
	if (err)
		return err;
	u = devm_kzalloc(&pdev->dev, sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	u->pdev = pdev;
	u->regs = pcim_iomap_table(pdev)[b->regs_bar] + b->regs_off;
	magic = readl(u->regs + KITE_R_ID_MAGIC);
	ver = readl(u->regs + KITE_R_ID_VERSION);
	if (magic != KITE_MAGIC || KITE_FGET(KITE_ID_VERSION_MAJOR, ver) != KITE_VERSION_MAJOR) {
		dev_err(&pdev->dev, "not a kite card of contract v%u (magic 0x%08x, version 0x%08x)\n",
			KITE_VERSION_MAJOR, magic, ver);
		return -ENODEV;
	}
	u->nqueues = min_t(u32, KITE_FGET(KITE_ID_CAPS_NUM_QUEUES,
					  readl(u->regs + KITE_R_ID_CAPS)), KITE_MAX_QUEUES);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	mutex_init(&u->lock);
	/* whatever a previous user left running must not DMA: reset before mastering */
	pci_clear_master(pdev);
	writel(KITE_FPREP(KITE_GCTRL_RESET, 1), u->regs + KITE_R_GCTRL);
	if (readl_poll_timeout(u->regs + KITE_R_GCTRL, ver, !(ver & KITE_FMASK(KITE_GCTRL_RESET)),
			       10, UIO_KITE_WAIT_US)) {
		dev_err(&pdev->dev, "the card did not finish its reset (GCTRL 0x%08x)\n", ver);
		return -EIO;
	}
	pci_set_master(pdev);
	u->info.name = "uio_kite";
	u->info.version = "0.1";
	u->info.priv = u;
	u->info.irq = UIO_IRQ_NONE;	/* kite is polled */
	u->info.open = uio_kite_open;
	u->info.release = uio_kite_release;
	u->info.mem[0].name = "regs";
	u->info.mem[0].addr = pci_resource_start(pdev, b->regs_bar) + b->regs_off;
	u->info.mem[0].size = KITE_BAR_CTRL_SIZE;
	u->info.mem[0].memtype = UIO_MEM_PHYS;
	u->info.mem[1].name = "doorbells";
	u->info.mem[1].addr = pci_resource_start(pdev, b->db_bar) + b->db_off;
	u->info.mem[1].size = KITE_BAR_DB_SIZE;
	u->info.mem[1].memtype = UIO_MEM_PHYS;
	pci_set_drvdata(pdev, u);
	return devm_uio_register_device(&pdev->dev, &u->info);
}

static void uio_kite_remove(struct pci_dev *pdev)
{
	struct uio_kite *u = pci_get_drvdata(pdev);

	mutex_lock(&u->lock);
	uio_kite_quiesce(u);
	mutex_unlock(&u->lock);
}

MODULE_DEVICE_TABLE(pci, kite_pci_ids);

static struct pci_driver uio_kite_driver = {
	.name = KBUILD_MODNAME,
	.id_table = kite_pci_ids,
	.probe = uio_kite_probe,
	.remove = uio_kite_remove,
	.dev_groups = uio_kite_groups,
};
module_pci_driver(uio_kite_driver);

MODULE_DESCRIPTION("UIO access to the kite NIC (root only, no IOMMU protection)");
MODULE_AUTHOR("kite developers");
MODULE_LICENSE("GPL");
