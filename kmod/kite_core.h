/* SPDX-License-Identifier: GPL-2.0 */
/* kite.ko: the device, an open file, and the register accessors. */
#ifndef KITE_CORE_H
#define KITE_CORE_H

#include <linux/io.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>

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
	/* Serialises ioctls, release and remove; protects owners and dead. */
	struct mutex lock;
	struct kite_owners owners;
	struct kite_limits lim;
	u32 version;
	u32 cfg_seq;
	bool dead;			/* unbound or surprise-removed */
	bool no_iommu;
	atomic64_t pinned;		/* bytes pinned by all files */
};

struct kite_file {
	struct kite_dev *kd;
	struct kite_maps maps;		/* under kd->lock */
	bool bar0_writable;
};

/*
 * All MMIO goes through these two (STYLE.md 8): an all-ones read means the
 * card is gone, and then we stop touching it.
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

int kite_wait_reg(struct kite_dev *kd, u32 off, u32 mask, u32 want, const char *what);
int kite_commit(struct kite_dev *kd);
int kite_reset(struct kite_dev *kd);
void kite_hw_queue_stop(struct kite_dev *kd, unsigned int qid);
void kite_dev_put(struct kite_dev *kd);

/* kite_fops.c */
extern const struct file_operations kite_fops;

/* kite_dma.c */
int kite_dma_map(struct kite_file *kf, struct kite_ioc_dma_map *req);
int kite_dma_unmap(struct kite_file *kf, u64 iova);
void kite_dma_unmap_all(struct kite_file *kf);

#endif /* KITE_CORE_H */
