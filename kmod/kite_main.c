// SPDX-License-Identifier: GPL-2.0
/*
 * kite.ko: PCI driver for the kite NIC. Binds the card, checks and resets it,
 * and exposes it as /dev/kiteN for libkite (kite_fops.c). The data path runs
 * entirely in userspace; this module only hands out mappings and guards them.
 */
#include <linux/delay.h>
#include <linux/idr.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/timekeeping.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <kite/board.h>
#include "kite_core.h"

bool kite_bar0_writable;
/* Not writable at run time: files opened before a change would keep the old rule. */
module_param_named(bar0_writable, kite_bar0_writable, bool, 0444);
MODULE_PARM_DESC(bar0_writable, "Let every user of /dev/kiteN map BAR0 writable, which means any DMA (default: CAP_SYS_RAWIO only; never under lockdown)");

bool kite_allow_unsafe_noiommu;
module_param_named(allow_unsafe_noiommu, kite_allow_unsafe_noiommu, bool, 0444);
MODULE_PARM_DESC(allow_unsafe_noiommu, "Allow DMA mapping without an IOMMU: users can then make the card access any memory (taints the kernel)");

unsigned int kite_max_pinned_mb = 4096;
module_param_named(max_pinned_mb, kite_max_pinned_mb, uint, 0644);
MODULE_PARM_DESC(max_pinned_mb, "Most memory one open file may pin for DMA, in MiB (default 4096)");

MODULE_DEVICE_TABLE(pci, kite_pci_ids);

static DEFINE_IDA(kite_ida);

void kite_wr64(struct kite_dev *kd, u32 off, u64 v)
{
	if (!kd->dead)
		lo_hi_writeq(v, kd->regs + off);
}

/* kite_hw's accessors (hw/kite_hw.h): the card's control sequences run on these. */
static u32 kite_os_rd32(void *os, u32 off)
{
	return kite_rd32(os, off);
}

static void kite_os_wr32(void *os, u32 off, u32 v)
{
	kite_wr32(os, off, v);
}

static void kite_os_wr64(void *os, u32 off, u64 v)
{
	kite_wr64(os, off, v);
}

static u64 kite_os_now(void *os)
{
	return ktime_get_ns();
}

static void kite_os_pause(void *os)
{
	usleep_range(10, 20);	/* slow path: process context, kd->lock held */
}

static void kite_os_fence(void *os)
{
	mb();	/* our MMIO writes reach the card before our next read */
}

static const struct kite_hw_os kite_os = {
	.rd32 = kite_os_rd32, .wr32 = kite_os_wr32, .wr64 = kite_os_wr64,
	.now_ns = kite_os_now, .pause = kite_os_pause, .fence = kite_os_fence,
};

/* Log what a failed control sequence saw (kd->hw.msg names it); returns err. */
int kite_hw_done(struct kite_dev *kd, int err)
{
	/* -EIO: the card refused, the caller's answer; a dead card was logged once */
	if (err && err != -EIO && !kd->dead)
		dev_warn(&kd->pdev->dev, "%s\n", kd->hw.msg);
	return err;
}

/*
 * A port whose unmatched frames go to queue qid stops sending them there
 * (DEFAULT_EN cleared, hw-spec §3.5): like a filter, a default queue must not
 * outlive its queue and feed the next owner. Caller holds kd->lock.
 */
void kite_ports_forget_queue(struct kite_dev *kd, unsigned int qid)
{
	kite_hw_done(kd, kite_hw_forget_queue(&kd->hw, qid, kd->lim.nports,
					      kd->owners.nfilters, false));
}

/* Clear the filter entries in mask on the card (hw-spec §3.8) and commit. */
void kite_filters_clear(struct kite_dev *kd, u64 mask)
{
	kite_hw_done(kd, kite_hw_filters_clear(&kd->hw, mask));
}

/*
 * The card would not stop a queue and would not reset: it may still write
 * any memory it was given. Turn bus mastering off, and never unpin what any
 * file has mapped (kite_dma_release() leaks it) until the card is rebound.
 */
static void kite_wedge(struct kite_dev *kd)
{
	struct kite_mapping *map;
	struct kite_file *kf;

	kd->wedged = true;
	pci_clear_master(kd->pdev);
	/* Behind a translating IOMMU the unmap (and IOTLB flush) fences the card off. */
	list_for_each_entry(kf, &kd->files, node)
		list_for_each_entry(map, &kf->maps.list, node)
			map->leak = kd->no_iommu;
	dev_err(&kd->pdev->dev,
		"card did not stop or reset: bus mastering off%s; rebind to use it again\n",
		kd->no_iommu ? ", its users' DMA memory stays pinned (no IOMMU fences it off)" :
		"");
}

/*
 * hw-spec §6.1: stop a queue and wait until the card no longer touches it.
 * If it does not stop, reset the card (which stops every queue); if that
 * fails too, wedge it. Returns 0 once the queue's memory is safe to free.
 * Caller holds kd->lock.
 */
int kite_queue_quiesce(struct kite_dev *kd, unsigned int qid)
{
	if (kd->wedged)
		return -EIO;
	if (!kite_hw_queue_stop(&kd->hw, qid) || kd->dead)
		return 0;	/* stopped, or the card is gone and cannot DMA */
	dev_err(&kd->pdev->dev, "%s: resetting the card\n", kd->hw.msg);
	if (!kite_reset(kd))
		return 0;
	kite_wedge(kd);
	return -EIO;
}

static void kite_dev_free(struct kref *ref)
{
	struct kite_dev *kd = container_of(ref, struct kite_dev, ref);

	pci_dev_put(kd->pdev);
	kfree(kd);
}

void kite_dev_put(struct kite_dev *kd)
{
	kref_put(&kd->ref, kite_dev_free);
}

/* ---- sysfs: /sys/class/misc/kiteN/ ---------------------------------------- */

static struct kite_dev *to_kite(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct kite_dev, misc);
}

static ssize_t fw_version_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct kite_dev *kd = to_kite(dev);

	return sysfs_emit(buf, "%u.%u\n", (u32)KITE_FGET(KITE_ID_VERSION_MAJOR, kd->version),
			  (u32)KITE_FGET(KITE_ID_VERSION_MINOR, kd->version));
}
static DEVICE_ATTR_RO(fw_version);

static ssize_t link_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	static const char * const speed[] = { "none", "10G", "25G", "100G" };
	struct kite_dev *kd = to_kite(dev);
	unsigned int p;
	int n = 0;

	for (p = 0; p < kd->lim.nports; p++) {
		u32 st = kite_rd32(kd, KITE_R_AT(P_STATUS, p));
		unsigned int s = KITE_FGET(KITE_P_STATUS_SPEED, st);

		n += sysfs_emit_at(buf, n, "port%u %s %s\n", p,
				   KITE_FGET(KITE_P_STATUS_LINK_UP, st) ? "up" : "down",
				   s < ARRAY_SIZE(speed) ? speed[s] : "?");
	}
	return n;
}
static DEVICE_ATTR_RO(link);

static ssize_t mac_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct kite_dev *kd = to_kite(dev);
	unsigned int p;
	int n = 0;

	for (p = 0; p < kd->lim.nports; p++) {
		u64 mac = lo_hi_readq(kd->regs + KITE_R_AT(P_MAC, p));
		u8 b[6];
		int i;

		for (i = 0; i < 6; i++)
			b[i] = mac >> (40 - 8 * i);
		n += sysfs_emit_at(buf, n, "port%u %pM\n", p, b);
	}
	return n;
}
static DEVICE_ATTR_RO(mac);

static ssize_t num_queues_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_kite(dev)->lim.nqueues);
}
static DEVICE_ATTR_RO(num_queues);

static ssize_t pinned_bytes_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&to_kite(dev)->pinned));
}
static DEVICE_ATTR_RO(pinned_bytes);

/* "0 3 7": the indexes of n entries that have an owner (kite_owners) */
static ssize_t owned_list(struct kite_dev *kd, char *buf, unsigned int n,
			  bool (*owned)(const struct kite_owners *o, unsigned int i))
{
	unsigned int i;
	int len = 0;

	mutex_lock(&kd->lock);
	for (i = 0; i < n; i++)
		if (owned(&kd->owners, i))
			len += sysfs_emit_at(buf, len, "%s%u", len ? " " : "", i);
	mutex_unlock(&kd->lock);
	return len + sysfs_emit_at(buf, len, "\n");
}

static bool queue_has_owner(const struct kite_owners *o, unsigned int i)
{
	return o->queue[i];
}

static bool filter_has_owner(const struct kite_owners *o, unsigned int i)
{
	return o->filter[i].who;
}

static ssize_t queues_owned_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct kite_dev *kd = to_kite(dev);

	return owned_list(kd, buf, kd->lim.nqueues, queue_has_owner);
}
static DEVICE_ATTR_RO(queues_owned);

/* The filter entries installed through this driver (all the tenant's). */
static ssize_t filters_owned_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct kite_dev *kd = to_kite(dev);

	return owned_list(kd, buf, kd->owners.nfilters, filter_has_owner);
}
static DEVICE_ATTR_RO(filters_owned);

/* The process that opened the file holding the card's DMA, if any (README). */
static ssize_t tenant_pid_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct kite_dev *kd = to_kite(dev);
	int n;

	mutex_lock(&kd->lock);
	/* in the reader's pid namespace (0: the tenant is not visible from there) */
	n = kd->owners.tenant ? sysfs_emit(buf, "%d\n", pid_vnr(kd->tenant_pid)) :
				sysfs_emit(buf, "\n");
	mutex_unlock(&kd->lock);
	return n;
}
static DEVICE_ATTR_RO(tenant_pid);

/* The card clock's PTP device (kite_ptp.c): "ptp3", or empty when it has none */
static ssize_t ptp_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	int index = READ_ONCE(to_kite(dev)->ptp_index);

	return index < 0 ? sysfs_emit(buf, "\n") : sysfs_emit(buf, "ptp%d\n", index);
}
static DEVICE_ATTR_RO(ptp);

static struct attribute *kite_attrs[] = {
	&dev_attr_fw_version.attr,
	&dev_attr_link.attr,
	&dev_attr_mac.attr,
	&dev_attr_num_queues.attr,
	&dev_attr_pinned_bytes.attr,
	&dev_attr_queues_owned.attr,
	&dev_attr_filters_owned.attr,
	&dev_attr_tenant_pid.attr,
	&dev_attr_ptp.attr,
	NULL,
};
ATTRIBUTE_GROUPS(kite);

/* ---- probe and remove ---------------------------------------------------- */

/* hw-spec §2: magic, then major version; never trust sizes beyond the contract. */
static int kite_identify(struct kite_dev *kd)
{
	struct device *dev = &kd->pdev->dev;
	u32 magic = readl(kd->regs + KITE_R_ID_MAGIC);
	u32 caps = readl(kd->regs + KITE_R_ID_CAPS);
	unsigned int major;

	if (magic != KITE_MAGIC) {
		dev_err(dev, "not a kite card: ID_MAGIC reads 0x%08x, expected 0x%08x\n",
			magic, KITE_MAGIC);
		return -ENODEV;
	}
	kd->version = readl(kd->regs + KITE_R_ID_VERSION);
	major = KITE_FGET(KITE_ID_VERSION_MAJOR, kd->version);
	if (major != KITE_VERSION_MAJOR) {
		dev_err(dev, "card speaks contract v%u.%u; this driver speaks v%u.x: refusing it\n",
			major, (u32)KITE_FGET(KITE_ID_VERSION_MINOR, kd->version),
			KITE_VERSION_MAJOR);
		return -ENODEV;
	}
	kd->lim.features = readl(kd->regs + KITE_R_ID_FEATURES);
	kd->lim.nports = min_t(u32, KITE_FGET(KITE_ID_CAPS_NUM_PORTS, caps), KITE_MAX_PORTS);
	kd->lim.nqueues = min_t(u32, KITE_FGET(KITE_ID_CAPS_NUM_QUEUES, caps), KITE_MAX_QUEUES);
	kd->lim.max_ring_log2 = min_t(u32, KITE_FGET(KITE_ID_CAPS_MAX_RING_LOG2, caps),
				      KITE_MAX_RING_LOG2);
	kd->owners.nqueues = kd->lim.nqueues;
	kd->owners.nfilters = min_t(u32, KITE_FGET(KITE_ID_CAPS_NUM_FILTERS, caps),
				    KITE_MAX_FILTERS);
	return 0;
}

/* hw-spec §3.3: the reset clears every filter, so nobody owns one afterwards. */
int kite_reset(struct kite_dev *kd)
{
	memset(kd->owners.filter, 0, sizeof(kd->owners.filter));
	/* Queues keep their owners but are stopped: owners see it in Q_STATUS. */
	return kite_hw_done(kd, kite_hw_reset(&kd->hw));
}

/*
 * Only a DMA-API domain translates: none, or an identity (passthrough,
 * iommu=pt) domain, lets the card reach any physical address.
 */
static int kite_count_peer(struct device *dev, void *data)
{
	struct kite_dev *kd = data;

	if (dev != &kd->pdev->dev && !(dev_is_pci(dev) && pci_is_bridge(to_pci_dev(dev)))) {
		dev_warn(&kd->pdev->dev, "shares its IOMMU group with %s: no isolation\n",
			 dev_name(dev));
		return 1;
	}
	return 0;
}

/*
 * Whether the IOMMU fences the card off from all memory but what DMA_MAP
 * gives it. Only a DMA-API domain translates: none, or an identity
 * (passthrough, iommu=pt) domain, lets the card reach any physical address;
 * so does a group shared with another device (no ACS), whose DMA addresses
 * live in the same domain.
 */
static bool kite_iommu_translates(struct kite_dev *kd)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(&kd->pdev->dev);
	struct iommu_group *group;
	bool alone;

	if (!domain || !iommu_is_dma_domain(domain))
		return false;
	group = iommu_group_get(&kd->pdev->dev);
	if (!group)
		return false;
	alone = !iommu_group_for_each_dev(group, kd, kite_count_peer);
	iommu_group_put(group);
	return alone;
}

static int kite_map_windows(struct kite_dev *kd, const struct kite_board *b)
{
	struct pci_dev *pdev = kd->pdev;
	int err;

	if (!kite_board_fits(pdev, b)) {
		dev_err(&pdev->dev, "BARs too small for the register and doorbell windows\n");
		return -ENODEV;
	}
	/* managed: pcim_enable_device() releases what is requested here */
	err = pci_request_selected_regions(pdev, BIT(b->regs_bar) | BIT(b->db_bar),
					   KBUILD_MODNAME);
	if (err)
		return err;
	kd->regs_phys = pci_resource_start(pdev, b->regs_bar) + b->regs_off;
	kd->db_phys = pci_resource_start(pdev, b->db_bar) + b->db_off;
	/*
	 * The doorbell pages are write-combined (hw-spec §4.2): mapping them WC
	 * here records that memory type, which the user mappings then inherit
	 * (kite_fault()); the registers stay uncached.
	 */
	kd->regs = devm_ioremap(&pdev->dev, kd->regs_phys, KITE_BAR_CTRL_SIZE);
	kd->db = devm_ioremap_wc(&pdev->dev, kd->db_phys, KITE_BAR_DB_SIZE);
	return kd->regs && kd->db ? 0 : -ENOMEM;
}

/**
 * kite_probe() - bind a kite card
 * @pdev: the PCI device
 * @id: its entry in kite_pci_ids; driver_data selects the board layout
 *
 * Enables the device, maps its windows, checks identity and version, resets
 * it and creates /dev/kiteN. Managed resources undo themselves on failure.
 *
 * Return: 0 or a negative errno.
 */
static int kite_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct kite_dev *kd;
	int err;

	if (id->driver_data >= ARRAY_SIZE(kite_boards))
		return -EINVAL;
	err = pcim_enable_device(pdev);
	if (err)
		return err;
	kd = kzalloc(sizeof(*kd), GFP_KERNEL);
	if (!kd)
		return -ENOMEM;
	kd->pdev = pci_dev_get(pdev);
	kd->ptp_index = -1;
	kref_init(&kd->ref);
	mutex_init(&kd->lock);
	INIT_LIST_HEAD(&kd->files);
	err = kite_map_windows(kd, &kite_boards[id->driver_data]);
	if (err)
		goto err_put;
	kite_hw_init(&kd->hw, &kite_os, kd, kite_boards[id->driver_data].slack);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (err)
		goto err_put;
	/* A mapping of many 4 KiB pages must come back as one IOVA range. */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	/* A card left running by its last driver must not DMA before the reset. */
	pci_clear_master(pdev);
	err = kite_identify(kd);
	if (!err)
		err = kite_reset(kd);
	if (err)
		goto err_put;
	pci_set_master(pdev);
	kd->no_iommu = !kite_iommu_translates(kd);
	kd->id = ida_alloc(&kite_ida, GFP_KERNEL);
	if (kd->id < 0) {
		err = kd->id;
		goto err_put;
	}
	snprintf(kd->name, sizeof(kd->name), "kite%d", kd->id);
	kd->misc.minor = MISC_DYNAMIC_MINOR;
	kd->misc.name = kd->name;
	kd->misc.fops = &kite_fops;
	kd->misc.groups = kite_groups;
	kd->misc.parent = &pdev->dev;
	kd->misc.mode = 0660;
	pci_set_drvdata(pdev, kd);
	kite_ptp_register(kd);	/* first: kiteN/ptp is right when /dev/kiteN appears */
	err = misc_register(&kd->misc);
	if (err)
		goto err_ptp;
	dev_info(&pdev->dev, "%s: kite v%u.%u, %u ports, %u queues%s\n", kd->name,
		 (u32)KITE_FGET(KITE_ID_VERSION_MAJOR, kd->version),
		 (u32)KITE_FGET(KITE_ID_VERSION_MINOR, kd->version), kd->lim.nports,
		 kd->lim.nqueues, kd->no_iommu ? ", no IOMMU" : "");
	return 0;

err_ptp:
	kite_ptp_unregister(kd);
	ida_free(&kite_ida, kd->id);
err_put:
	kite_dev_put(kd);
	return err;
}

/**
 * kite_remove() - unbind a kite card
 * @pdev: the PCI device
 *
 * The reverse of kite_probe(). Open files keep the device structure alive but
 * find it dead: every queue is stopped, every user mapping of the card is
 * revoked (a later access gets SIGBUS, as with vfio-pci), and every file's
 * memory is DMA-unmapped and unpinned here, while the device still exists;
 * their later close finds nothing to undo. (rmmod is refused while a file is
 * open.)
 */
static void kite_remove(struct pci_dev *pdev)
{
	struct kite_dev *kd = pci_get_drvdata(pdev);
	struct kite_file *kf;
	LIST_HEAD(gone);
	unsigned int q;

	kite_ptp_unregister(kd);
	misc_deregister(&kd->misc);
	mutex_lock(&kd->lock);
	for (q = 0; q < kd->lim.nqueues; q++)
		kite_queue_quiesce(kd, q);
	kd->dead = true;
	kite_revoke_all(kd);
	list_for_each_entry(kf, &kd->files, node)
		kite_dma_detach_all(kf, &gone);
	mutex_unlock(&kd->lock);
	kite_dma_release_list(&gone);
	ida_free(&kite_ida, kd->id);
	kite_dev_put(kd);
}

static struct pci_driver kite_driver = {
	.name = KBUILD_MODNAME,
	.id_table = kite_pci_ids,
	.probe = kite_probe,
	.remove = kite_remove,
};
module_pci_driver(kite_driver);

MODULE_DESCRIPTION("kite low-latency NIC: kernel-bypass access for libkite");
MODULE_AUTHOR("kite developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KITE_VERSION_STRING);	/* VERSION, through Kbuild */
