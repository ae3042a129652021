/* SPDX-License-Identifier: GPL-2.0 */
/* kite.ko: the device, an open file, and the register accessors. */
#ifndef KITE_CORE_H
#define KITE_CORE_H

#include <linux/io.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/ptp_clock_kernel.h>

#include "kite_hw.h"
#include "kite_logic.h"

struct kite_dev {
	struct pci_dev *pdev;
	void __iomem *regs;		/* BAR0 window (hw-spec §3) */
	void __iomem *db;		/* doorbell pages (hw-spec §4) */
	phys_addr_t regs_phys, db_phys;
	struct miscdevice misc;
	char name[16];
	int id;
	struct kref ref;		/* the PCI binding and each open file */
	/*
	 * Serialises ioctls, page faults, release and remove; protects owners,
	 * files, every file's maps, dead and wedged. Lock order: mmap_lock ->
	 * lock -> i_mmap_rwsem. So it is never held while touching user memory
	 * (copy_*_user, pinning) or any mm's lock (kite_fops.c, kite_dma.c).
	 */
	struct mutex lock;
	struct kite_owners owners;
	struct list_head files;		/* open files, to revoke their mappings */
	struct pid *tenant_pid;		/* who opened the tenant file (its file's ref), for sysfs */
	struct kite_limits lim;
	struct kite_hw hw;		/* the control sequences (hw/kite_hw.c), under lock */
	u32 version;
	bool dead;			/* unbound or surprise-removed */
	bool wedged;			/* a queue would not stop: bus mastering is off */
	bool no_iommu;			/* no translating IOMMU (none, or passthrough) */
	atomic64_t pinned;		/* bytes pinned by all files */
	struct ptp_clock_info ptp_info;	/* the card clock (kite_ptp.c) */
	struct ptp_clock *ptp;		/* its /dev/ptpN, or NULL */
	int ptp_index;			/* N, or -1 (sysfs: read without the lock) */
};

struct kite_file {
	struct kite_dev *kd;
	struct file *file;		/* its f_mapping holds the file's user mappings */
	struct list_head node;		/* in kd->files */
	struct kite_maps maps;		/* under kd->lock */
	struct pid *pid;		/* the opener; shown in the reader's pid namespace */
	bool bar0_writable;
};

/*
 * All MMIO after probe goes through these (STYLE.md 8): an all-ones read
 * means the card is gone, and then we stop touching it.
 */
static inline u32 kite_rd32(struct kite_dev *kd, u32 off)
{
	u32 v;

	if (kd->dead)
		return ~0U;
	v = readl(kd->regs + off);
	if (v == ~0U && readl(kd->regs + KITE_R_ID_MAGIC) == ~0U) {
		kd->dead = true;
		dev_err(&kd->pdev->dev, "card not responding (all-ones reads): surprise removal?\n");
	}
	return v;
}

static inline void kite_wr32(struct kite_dev *kd, u32 off, u32 v)
{
	if (!kd->dead)
		writel(v, kd->regs + off);
}

void kite_wr64(struct kite_dev *kd, u32 off, u64 v);

/* kite_main.c: module parameters, device helpers */
extern bool kite_bar0_writable;
extern bool kite_allow_unsafe_noiommu;
extern unsigned int kite_max_pinned_mb;

int kite_hw_done(struct kite_dev *kd, int err);
int kite_reset(struct kite_dev *kd);
int kite_queue_quiesce(struct kite_dev *kd, unsigned int qid);
void kite_filters_clear(struct kite_dev *kd, u64 mask);
void kite_ports_forget_queue(struct kite_dev *kd, unsigned int qid);
void kite_dev_put(struct kite_dev *kd);

/* kite_ptp.c */
void kite_ptp_register(struct kite_dev *kd);
void kite_ptp_unregister(struct kite_dev *kd);

/* kite_fops.c */
extern const struct file_operations kite_fops;
void kite_revoke_all(struct kite_dev *kd);

/* kite_dma.c: the caller holds kd->lock for detach, and not for release */
int kite_dma_map(struct kite_file *kf, struct kite_ioc_dma_map *req, void __user *arg);
void kite_dma_detach(struct kite_dev *kd, struct kite_mapping *map);
void kite_dma_detach_all(struct kite_file *kf, struct list_head *out);
void kite_dma_release(struct kite_mapping *map);
void kite_dma_release_list(struct list_head *list);

#endif /* KITE_CORE_H */
