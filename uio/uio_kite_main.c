// SPDX-License-Identifier: GPL-2.0
/*
 * uio_kite.ko: the kite card for UIO users (as dpdk-kmods' igb_uio), without
 * its hazards: no interrupt or config-space games (polling only), the card's
 * identity and version are checked, the card is reset before it may DMA, and
 * queues have owners: a process claims a queue by writing "claim Q" to the
 * PCI device's kite_queues attribute (libkite does), and when its address
 * space goes (exit, a fatal signal, exec) its queues are stopped and their
 * filters dropped before that memory is freed, whoever else keeps /dev/uioN
 * open (a forked child, kite-stat); when the last user of /dev/uioN goes,
 * every queue is stopped. So the card cannot keep DMAing into memory that
 * has been freed. UIO gives no IOMMU protection: root only.
 */
#include <linux/delay.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio_driver.h>

#include <kite/board.h>

/* a dead process's claims are dropped from its mm's release (Debian's kernels have it) */
#if !IS_ENABLED(CONFIG_MMU_NOTIFIER)
#error "uio_kite needs a kernel with CONFIG_MMU_NOTIFIER (selected by KVM, INTEL_IOMMU_SVM, ...)"
#endif

/*
 * A process's claim of a queue. It ends with the process's address space:
 * the notifier's release runs in exit_mmap() (exit, kill, exec) before the
 * memory the queue's rings and buffers live in is freed.
 */
struct uio_kite_claim {
	struct mmu_notifier mn;
	struct uio_kite *u;
	unsigned int q;
	struct pid *pid;		/* shown in kite_queues, in the reader's namespace */
	struct list_head dead;		/* in u->dead once its address space went */
};

struct uio_kite {
	struct uio_info info;
	struct pci_dev *pdev;
	void __iomem *regs;
	unsigned int nqueues;
	struct kite_hw hw;	/* the control sequences (hw/kite_hw.c), under lock */
	struct mutex lock;	/* protects users, claim, dead and hw */
	unsigned int users;
	struct uio_kite_claim *claim[KITE_MAX_QUEUES];
	/* ended claims, still registered: unregistered (never under lock) later */
	struct list_head dead;
};

/* kite_hw's accessors (hw/kite_hw.h). A gone card reads all-ones; kite_hw notices. */
static u32 uio_kite_rd32(void *os, u32 off)
{
	return readl(((struct uio_kite *)os)->regs + off);
}

static void uio_kite_wr32(void *os, u32 off, u32 v)
{
	writel(v, ((struct uio_kite *)os)->regs + off);
}

static void uio_kite_wr64(void *os, u32 off, u64 v)
{
	lo_hi_writeq(v, ((struct uio_kite *)os)->regs + off);
}

static u64 uio_kite_now(void *os)
{
	return ktime_get_ns();
}

static void uio_kite_pause(void *os)
{
	usleep_range(10, 20);
}

static void uio_kite_fence(void *os)
{
	mb();	/* our MMIO writes reach the card before our next read */
}

static const struct kite_hw_os uio_kite_os = {
	.rd32 = uio_kite_rd32, .wr32 = uio_kite_wr32, .wr64 = uio_kite_wr64,
	.now_ns = uio_kite_now, .pause = uio_kite_pause, .fence = uio_kite_fence,
};

/*
 * Stop queue q (hw-spec §6.1) and drop what steers to it: filter entries
 * (§3.8), a port's default (§3.5). Caller holds u->lock.
 */
static void uio_kite_queue_drop(struct uio_kite *u, unsigned int q)
{
	if (kite_hw_queue_stop(&u->hw, q))
		dev_warn(&u->pdev->dev, "%s\n", u->hw.msg);
	if (kite_hw_forget_queue(&u->hw, q, KITE_MAX_PORTS, KITE_MAX_FILTERS, true))
		dev_warn(&u->pdev->dev, "%s\n", u->hw.msg);
}

/* The claiming process's address space is going: its queue must stop now. */
static void uio_kite_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct uio_kite_claim *c = container_of(mn, struct uio_kite_claim, mn);
	struct uio_kite *u = c->u;

	mutex_lock(&u->lock);
	if (u->claim[c->q] == c) {
		uio_kite_queue_drop(u, c->q);
		u->claim[c->q] = NULL;
		list_add(&c->dead, &u->dead);	/* cannot unregister from here */
	}
	mutex_unlock(&u->lock);
}

static const struct mmu_notifier_ops uio_kite_mn_ops = {
	.release = uio_kite_mm_release,
};

/* Unregister and free claims taken out of u (a list of them). No u->lock held. */
static void uio_kite_free_claims(struct list_head *list)
{
	struct uio_kite_claim *c, *tmp;

	list_for_each_entry_safe(c, tmp, list, dead) {
		list_del(&c->dead);
		mmu_notifier_unregister(&c->mn, c->mn.mm);	/* waits for a running release */
		put_pid(c->pid);
		kfree(c);
	}
}

/* Take ended claims out of u, for uio_kite_free_claims(). Caller holds u->lock. */
static void uio_kite_reap(struct uio_kite *u, struct list_head *out)
{
	list_splice_init(&u->dead, out);
}

/* Drop queue q's claim (it stays registered until freed). Caller holds u->lock. */
static void uio_kite_disown(struct uio_kite *u, unsigned int q, struct list_head *out)
{
	if (u->claim[q])
		list_add(&u->claim[q]->dead, out);
	u->claim[q] = NULL;
}

/*
 * Nobody uses the card any more: stop every queue and wait for the card to
 * let go (hw-spec §6.1), and drop what steers to them (filters, port
 * defaults) so nothing stale feeds a queue whose owner is gone.
 */
static void uio_kite_quiesce(struct uio_kite *u, struct list_head *out)
{
	unsigned int q;

	for (q = 0; q < u->nqueues; q++) {
		uio_kite_queue_drop(u, q);
		uio_kite_disown(u, q, out);
	}
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
	LIST_HEAD(gone);

	mutex_lock(&u->lock);
	if (--u->users == 0)
		uio_kite_quiesce(u, &gone);
	uio_kite_reap(u, &gone);
	mutex_unlock(&u->lock);
	uio_kite_free_claims(&gone);
	return 0;
}

/*
 * "claim Q": the writing process owns queue q until it releases it or its
 * memory goes. The notifier is registered before u->lock is taken: register
 * takes mmap_lock, and mmap (mmap_lock, then uio's info_lock) and open (info_lock,
 * then u->lock) already order those locks before ours. The writer's mm cannot
 * be released while it is in this write, so the notifier cannot fire early.
 */
static struct uio_kite_claim *uio_kite_claim_new(struct uio_kite *u, unsigned int q)
{
	struct uio_kite_claim *c = kzalloc(sizeof(*c), GFP_KERNEL);
	int err;

	if (!c)
		return ERR_PTR(-ENOMEM);
	c->mn.ops = &uio_kite_mn_ops;
	c->u = u;
	c->q = q;
	c->pid = get_pid(task_tgid(current));
	err = mmu_notifier_register(&c->mn, current->mm);
	if (err) {
		put_pid(c->pid);
		kfree(c);
		return ERR_PTR(err);
	}
	return c;
}

/* u->lock held: install c as q's owner, unless q has one (c goes to gone) */
static int uio_kite_claim(struct uio_kite *u, struct uio_kite_claim *c, struct list_head *gone)
{
	struct uio_kite_claim *old = u->claim[c->q];

	if (old) {
		list_add(&c->dead, gone);
		return old->mn.mm == current->mm ? -EALREADY : -EBUSY;
	}
	u->claim[c->q] = c;
	return 0;
}

/*
 * /sys/bus/pci/devices/ADDR/kite_queues (root): "claim Q" or "release Q" for
 * the writing process; reading lists "Q PID" per claimed queue.
 */
static ssize_t kite_queues_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct uio_kite *u = dev_get_drvdata(dev);
	struct uio_kite_claim *c = NULL;
	unsigned int q;
	LIST_HEAD(gone);
	char verb[8];
	int err = 0;

	if (sscanf(buf, "%7s %u", verb, &q) != 2 || q >= u->nqueues)
		return -EINVAL;
	if (!strcmp(verb, "claim")) {
		c = uio_kite_claim_new(u, q);
		if (IS_ERR(c))
			return PTR_ERR(c);
	}
	mutex_lock(&u->lock);
	if (c) {
		err = uio_kite_claim(u, c, &gone);
	} else if (strcmp(verb, "release")) {
		err = -EINVAL;
	} else if (u->claim[q] && u->claim[q]->mn.mm == current->mm) {
		uio_kite_queue_drop(u, q);	/* nothing steers to it for the next owner */
		uio_kite_disown(u, q, &gone);
	} else {
		err = -EPERM;
	}
	uio_kite_reap(u, &gone);
	mutex_unlock(&u->lock);
	uio_kite_free_claims(&gone);
	return err ? err : len;
}

static ssize_t kite_queues_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct uio_kite *u = dev_get_drvdata(dev);
	unsigned int q;
	int n = 0;

	mutex_lock(&u->lock);
	for (q = 0; q < u->nqueues; q++)
		if (u->claim[q])
			n += sysfs_emit_at(buf, n, "%u %d\n", q, pid_vnr(u->claim[q]->pid));
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
	INIT_LIST_HEAD(&u->dead);
	kite_hw_init(&u->hw, &uio_kite_os, u, b->slack);
	/* whatever a previous user left running must not DMA: reset before mastering */
	pci_clear_master(pdev);
	if (kite_hw_reset(&u->hw)) {
		dev_err(&pdev->dev, "%s\n", u->hw.msg);
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
	LIST_HEAD(gone);

	mutex_lock(&u->lock);
	uio_kite_quiesce(u, &gone);
	uio_kite_reap(u, &gone);
	mutex_unlock(&u->lock);
	uio_kite_free_claims(&gone);	/* no notifier of ours runs after this */
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
MODULE_VERSION(KITE_VERSION_STRING);	/* VERSION, through Kbuild */
