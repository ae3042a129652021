// SPDX-License-Identifier: GPL-2.0
/*
 * kite.ko: pinning user memory for the card (STYLE.md 10): account locked
 * memory, pin with FOLL_LONGTERM, map for DMA, unwind in reverse. The card
 * sees each mapping as one contiguous IOVA range: with an IOMMU any memory
 * works; without one, only physically contiguous memory (a hugepage) does.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kite_core.h"

struct kite_pinned {
	struct page **pages;
	unsigned long npages;
	struct sg_table sgt;
	struct mm_struct *mm;	/* whose locked_vm we charged */
};

static void kite_unpin(struct kite_file *kf, struct kite_mapping *map)
{
	struct kite_pinned *p = map->priv;

	dma_unmap_sgtable(&kf->kd->pdev->dev, &p->sgt, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&p->sgt);
	unpin_user_pages_dirty_lock(p->pages, p->npages, true);
	account_locked_vm(p->mm, p->npages, false);
	mmdrop(p->mm);
	atomic64_sub(map->len, &kf->kd->pinned);
	kvfree(p->pages);
	kfree(p);
	kfree(map);
}

/* Caller holds kd->lock. */
int kite_dma_map(struct kite_file *kf, struct kite_ioc_dma_map *req)
{
	struct kite_dev *kd = kf->kd;
	struct kite_mapping *map;
	struct kite_pinned *p;
	long pinned;
	int err;

	err = kite_dma_map_check(&kf->maps, req);
	if (err)
		return err;
	if (kd->no_iommu && !kite_allow_unsafe_noiommu) {
		dev_warn_once(&kd->pdev->dev, "DMA_MAP refused: no IOMMU protects this card; load kite with allow_unsafe_noiommu=1 to accept that users can make it access any memory\n");
		return -EPERM;
	}
	if (kd->no_iommu)
		add_taint(TAINT_USER, LOCKDEP_STILL_OK);	/* as VFIO's no-IOMMU mode */
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!map || !p) {
		err = -ENOMEM;
		goto err_free;
	}
	p->npages = req->length >> PAGE_SHIFT;
	p->pages = kvmalloc_array(p->npages, sizeof(*p->pages), GFP_KERNEL);
	if (!p->pages) {
		err = -ENOMEM;
		goto err_free;
	}
	p->mm = current->mm;
	mmgrab(p->mm);
	err = account_locked_vm(p->mm, p->npages, true);	/* RLIMIT_MEMLOCK */
	if (err)
		goto err_mmdrop;
	pinned = pin_user_pages_fast(req->vaddr, p->npages, FOLL_WRITE | FOLL_LONGTERM, p->pages);
	if (pinned != p->npages) {
		err = pinned < 0 ? pinned : -EFAULT;
		if (pinned > 0)
			unpin_user_pages(p->pages, pinned);
		goto err_unaccount;
	}
	err = sg_alloc_table_from_pages(&p->sgt, p->pages, p->npages, 0, req->length,
					GFP_KERNEL);
	if (err)
		goto err_unpin;
	err = dma_map_sgtable(&kd->pdev->dev, &p->sgt, DMA_BIDIRECTIONAL, 0);
	if (err)
		goto err_sg;
	if (p->sgt.nents != 1) {
		dev_dbg(&kd->pdev->dev, "DMA_MAP: %u segments; the card needs one contiguous range\n",
			p->sgt.nents);
		err = -EINVAL;
		goto err_unmap;
	}
	map->vaddr = req->vaddr;
	map->len = req->length;
	map->iova = sg_dma_address(p->sgt.sgl);
	map->priv = p;
	kite_maps_add(&kf->maps, map);
	atomic64_add(map->len, &kd->pinned);
	req->iova = map->iova;
	return 0;

err_unmap:
	dma_unmap_sgtable(&kd->pdev->dev, &p->sgt, DMA_BIDIRECTIONAL, 0);
err_sg:
	sg_free_table(&p->sgt);
err_unpin:
	unpin_user_pages(p->pages, p->npages);
err_unaccount:
	account_locked_vm(p->mm, p->npages, false);
err_mmdrop:
	mmdrop(p->mm);
err_free:
	if (p)
		kvfree(p->pages);
	kfree(p);
	kfree(map);
	return err;
}

int kite_dma_unmap(struct kite_file *kf, u64 iova)
{
	struct kite_mapping *map = kite_maps_take(&kf->maps, iova);

	if (!map)
		return -ENOENT;
	kite_unpin(kf, map);
	return 0;
}

void kite_dma_unmap_all(struct kite_file *kf)
{
	struct kite_mapping *map, *tmp;

	list_for_each_entry_safe(map, tmp, &kf->maps.list, node) {
		list_del(&map->node);
		kf->maps.pinned -= map->len;
		kite_unpin(kf, map);
	}
}
