// SPDX-License-Identifier: GPL-2.0
/*
 * uio_kite.ko: the kite card for UIO users (as dpdk-kmods' igb_uio), without
 * its hazards: no interrupt or config-space games (polling only), the card's
 * identity and version are checked, and when the last user of /dev/uioN goes
 * away (exit or crash) every queue is stopped, so the card cannot keep DMAing
 * into memory that has been freed. UIO gives no IOMMU protection: root only.
 */
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uio_driver.h>

#include "../kmod/kite_board.h"

struct uio_kite {
	struct uio_info info;
	struct pci_dev *pdev;
	void __iomem *regs;
	unsigned int nqueues;
	struct mutex lock;	/* protects users */
	unsigned int users;
};

/*
 * Nobody uses the card any more: stop every queue and wait for the card to
 * let go (hw-spec §6.1), and drop every filter (§3.8) so no stale entry steers
 * frames to a queue whose owner is gone.
 */
static void uio_kite_quiesce(struct uio_kite *u)
{
	unsigned int q, i;
	u32 st, seq;

	for (q = 0; q < u->nqueues; q++) {
		writel(0, u->regs + KITE_R_AT(Q_CTRL, q));
		if (readl_poll_timeout(u->regs + KITE_R_AT(Q_STATUS, q), st,
				       !(st & (KITE_FMASK(KITE_Q_STATUS_RUNNING) |
					       KITE_FMASK(KITE_Q_STATUS_ERROR))) || st == ~0U,
				       10, 100 * USEC_PER_MSEC))
			dev_warn(&u->pdev->dev, "queue %u did not stop\n", q);
	}
	for (i = 0; i < KITE_MAX_FILTERS; i++)
		writel(0, u->regs + KITE_R_AT(F_CTRL, i));
	seq = readl(u->regs + KITE_R_CFG_COMMIT) + 1;
	writel(seq, u->regs + KITE_R_CFG_COMMIT);
	if (readl_poll_timeout(u->regs + KITE_R_CFG_ACK, st, (s32)(st - seq) >= 0 || st == ~0U,
			       10, 100 * USEC_PER_MSEC))
		dev_warn(&u->pdev->dev, "filter changes not acknowledged\n");
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

	mutex_lock(&u->lock);
	if (--u->users == 0)
		uio_kite_quiesce(u);
	mutex_unlock(&u->lock);
	return 0;
}

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
	pci_set_master(pdev);
	mutex_init(&u->lock);
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
	uio_kite_quiesce(u);	/* whatever a previous user left running */
	pci_set_drvdata(pdev, u);
	return devm_uio_register_device(&pdev->dev, &u->info);
}

static void uio_kite_remove(struct pci_dev *pdev)
{
	uio_kite_quiesce(pci_get_drvdata(pdev));
}

MODULE_DEVICE_TABLE(pci, kite_pci_ids);

static struct pci_driver uio_kite_driver = {
	.name = KBUILD_MODNAME,
	.id_table = kite_pci_ids,
	.probe = uio_kite_probe,
	.remove = uio_kite_remove,
};
module_pci_driver(uio_kite_driver);

MODULE_DESCRIPTION("UIO access to the kite NIC (root only, no IOMMU protection)");
MODULE_AUTHOR("kite developers");
MODULE_LICENSE("GPL");
