// SPDX-License-Identifier: GPL-2.0
/*
 * kite.ko: pinning user memory for the card (STYLE.md 10). The card sees each
 * mapping as one contiguous IOVA range: with a translating IOMMU any memory
 * works; without one, only physically contiguous memory (a hugepage) does.
 *
 * Locking (as dfl-afu-dma-region.c): the request is listed (not ready) under
 * kd->lock, so overlaps and limits are checked once; the memory is accounted
 * and pinned with no device lock held, because pinning takes the caller's
 * mmap_lock and may fault (userfaultfd, FUSE) for as long as the caller likes;
 * then kd->lock is taken again to DMA-map it and mark it ready. Accounting is
 * mm->pinned_vm (atomic, as RDMA's ib_umem), so unpinning takes no mm lock:
 * a forked child's exit can unpin its parent's memory without waiting for it.
 */
#include <linux/dma-mapping.h>
#include <linux/hugetlb.h>
#include <linux/iommu.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kite_core.h"

struct kite_pinned {
	struct page **pages;
	unsigned long npages;	/* accounted in mm->pinned_vm */
	unsigned long npinned;	/* pinned so far */
	struct sg_table sgt;
	bool sgt_alloc, dma_mapped;
	struct mm_struct *mm;	/* whose pinned_vm we charged */
};

/* RLIMIT_MEMLOCK, counted as pinned_vm (ib_umem_get() does the same). */
static int kite_account(struct mm_struct *mm, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;

	if (atomic64_add_return(npages, &mm->pinned_vm) > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Anonymous, shmem (memfd, MAP_SHARED|MAP_ANONYMOUS) or hugetlb memory only,
 * as io_uring's buffer registration: page cache of a real file could be
 * truncated or written back under the card.
 */
static bool kite_vma_ok(struct vm_area_struct *vma)
{
	struct inode *inode;

	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return false;
	if (vma_is_anonymous(vma) || is_vm_hugetlb_page(vma))
		return true;
	if (!vma->vm_file)
		return false;
	/*
	 * shmem (vma_is_shmem() is not exported): a regular file on tmpfs.
	 * devtmpfs is tmpfs too, but its device nodes are not regular files.
	 */
	inode = file_inode(vma->vm_file);
	return inode->i_sb->s_magic == TMPFS_MAGIC && S_ISREG(inode->i_mode);
}

static int kite_check_vmas(struct mm_struct *mm, u64 start, u64 end)
{
	struct vm_area_struct *vma;
	u64 addr;

	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr)
			return -EFAULT;
		if (!kite_vma_ok(vma))
			return -EOPNOTSUPP;
	}
	return 0;
}

/* Account, then allocate, then pin: no device lock is held here. */
static int kite_pin(struct kite_pinned *p, u64 vaddr, u64 len)
{
	struct mm_struct *mm = current->mm;
	long pinned;
	int err;

	p->npages = len >> PAGE_SHIFT;
	p->mm = mm;
	mmgrab(mm);
	err = kite_account(mm, p->npages);
	if (err) {
		p->npages = 0;
		return err;
	}
	p->pages = kvmalloc_array(p->npages, sizeof(*p->pages), GFP_KERNEL_ACCOUNT);
	if (!p->pages)
		return -ENOMEM;
	err = mmap_read_lock_killable(mm);
	if (err)
		return err;
	err = kite_check_vmas(mm, vaddr, vaddr + len);
	while (!err && p->npinned < p->npages) {
		pinned = pin_user_pages(vaddr + (p->npinned << PAGE_SHIFT),
					p->npages - p->npinned, FOLL_WRITE | FOLL_LONGTERM,
					p->pages + p->npinned, NULL);
		if (pinned <= 0)
			err = pinned ? pinned : -EFAULT;
		else
			p->npinned += pinned;
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	mmap_read_unlock(mm);
	if (err)
		return err;
	p->sgt_alloc = true;
	err = sg_alloc_table_from_pages(&p->sgt, p->pages, p->npages, 0, len, GFP_KERNEL);
	if (err)
		p->sgt_alloc = false;
	return err;
}

/* Undo kite_pin() as far as it got; no device lock held. */
static void kite_unpin(struct kite_pinned *p)
{
	if (p->sgt_alloc)
		sg_free_table(&p->sgt);
	if (p->npinned)
		unpin_user_pages_dirty_lock(p->pages, p->npinned, true);
	if (p->npages)
		atomic64_sub(p->npages, &p->mm->pinned_vm);
	if (p->mm)
		mmdrop(p->mm);
	kvfree(p->pages);
	kfree(p);
}

/*
 * Free a mapping that is detached from its file and the card: unpin it,
 * unless the card may still write it (a queue that would not stop), in
 * which case the pages stay pinned for good. No device lock held.
 */
void kite_dma_release(struct kite_mapping *map)
{
	struct kite_pinned *p = map->priv;

	if (map->leak) {
		pr_err("kite: leaking %llu pinned bytes at iova 0x%llx: the card may still write them\n",
		       map->len, map->iova);
		kfree(map);	/* the pages, their pins and the accounting stay */
		return;
	}
	if (p)
		kite_unpin(p);
	kfree(map);
}

void kite_dma_release_list(struct list_head *list)
{
	struct kite_mapping *map, *tmp;

	list_for_each_entry_safe(map, tmp, list, node) {
		list_del(&map->node);
		kite_dma_release(map);
	}
}

/*
 * Take a mapping away from the card. Caller holds kd->lock. With a lazy
 * (flush-queue) IOMMU domain the unmap leaves the card's IOTLB entries alive
 * for a while: flush them, since the pages are freed right after.
 */
void kite_dma_detach(struct kite_dev *kd, struct kite_mapping *map)
{
	struct kite_pinned *p = map->priv;
	struct iommu_domain *domain;

	if (p->dma_mapped) {
		dma_unmap_sgtable(&kd->pdev->dev, &p->sgt, DMA_BIDIRECTIONAL, 0);
		p->dma_mapped = false;
		domain = iommu_get_domain_for_dev(&kd->pdev->dev);
		if (domain && !kd->no_iommu)
			iommu_flush_iotlb_all(domain);
	}
	if (map->ready && !map->leak)	/* leaked memory stays counted in sysfs */
		atomic64_sub(map->len, &kd->pinned);
	map->ready = false;
}

/*
 * Detach every mapping of a file from the card; the ready ones go onto out,
 * for kite_dma_release_list() once kd->lock is dropped. Pending ones stay
 * listed: their DMA_MAP finds the device dead and undoes itself. Caller
 * holds kd->lock.
 */
void kite_dma_detach_all(struct kite_file *kf, struct list_head *out)
{
	struct kite_mapping *map, *tmp;
	bool ready;

	list_for_each_entry_safe(map, tmp, &kf->maps.list, node) {
		ready = map->ready;
		kite_dma_detach(kf->kd, map);
		if (ready) {
			kite_maps_remove(&kf->maps, map);
			list_add_tail(&map->node, out);
		}
	}
}

/* Under kd->lock: DMA-map a pinned request (not ready until its IOVA reached the caller). */
static int kite_dma_setup(struct kite_dev *kd, struct kite_mapping *map)
{
	struct kite_pinned *p = map->priv;
	int err;

	if (kd->dead)
		return -ENODEV;
	if (kd->wedged)
		return -EIO;
	err = dma_map_sgtable(&kd->pdev->dev, &p->sgt, DMA_BIDIRECTIONAL, 0);
	if (err)
		return err;
	p->dma_mapped = true;
	if (p->sgt.nents != 1) {
		dev_dbg(&kd->pdev->dev, "DMA_MAP: %u segments; the card needs one contiguous range\n",
			p->sgt.nents);
		return -EINVAL;
	}
	map->iova = sg_dma_address(p->sgt.sgl);
	return 0;
}

/*
 * DMA_MAP; the caller holds no lock. req is the copied argument, arg where
 * the answer goes. The mapping becomes usable only once the answer is
 * written; if it cannot be, exactly this mapping is undone (another one may
 * have the same IOVA without an IOMMU).
 */
int kite_dma_map(struct kite_file *kf, struct kite_ioc_dma_map *req, void __user *arg)
{
	struct kite_dev *kd = kf->kd;
	struct kite_mapping *map;
	struct kite_pinned *p;
	int err;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!map || !p) {
		kfree(map);
		kfree(p);
		return -ENOMEM;
	}
	map->priv = p;
	map->vaddr = req->vaddr;
	map->len = req->length;

	err = mutex_lock_killable(&kd->lock);
	if (err)
		goto out_free;
	if (kd->dead)
		err = -ENODEV;
	else if (kd->wedged)
		err = -EIO;
	else
		err = kite_dma_map_check(&kf->maps, req);
	if (!err && kd->no_iommu && !kite_allow_unsafe_noiommu) {
		dev_warn_once(&kd->pdev->dev, "DMA_MAP refused: no translating IOMMU (none, or passthrough) protects this card; load kite with allow_unsafe_noiommu=1 to accept that users can make it access any memory\n");
		err = -EPERM;
	}
	if (!err)
		err = kite_tenant_enter(&kd->owners, kf);
	if (!err) {
		if (kd->no_iommu)	/* as VFIO's no-IOMMU mode */
			add_taint(TAINT_USER, LOCKDEP_STILL_OK);
		kd->tenant_pid = kf->pid;
		kite_maps_add(&kf->maps, map);	/* pending: reserves range and limit */
	}
	mutex_unlock(&kd->lock);
	if (err)
		goto out_free;

	/*
	 * Fault the answer's page in now, while nothing is pinned: the final
	 * write below must not wait (on FUSE, say) with the memory pinned.
	 */
	err = copy_to_user(arg, req, sizeof(*req)) ? -EFAULT : 0;
	if (!err)
		err = kite_pin(p, req->vaddr, req->length);
	if (!err) {
		mutex_lock(&kd->lock);
		err = kite_dma_setup(kd, map);
		mutex_unlock(&kd->lock);
	}
	req->iova = map->iova;
	if (!err) {
		pagefault_disable();	/* fails instead of waiting if the page went */
		if (copy_to_user(arg, req, sizeof(*req)))
			err = -EFAULT;
		pagefault_enable();
	}

	mutex_lock(&kd->lock);	/* not killable: the pending entry must go or be ready */
	if (!err && (kd->dead || kd->wedged))
		err = kd->dead ? -ENODEV : -EIO;
	if (!err) {
		map->ready = true;
		atomic64_add(map->len, &kd->pinned);
	} else {
		kite_dma_detach(kd, map);
		kite_maps_remove(&kf->maps, map);
		kite_tenant_leave_if_idle(&kd->owners, kf, !kite_maps_empty(&kf->maps));
	}
	mutex_unlock(&kd->lock);
	if (err)
		kite_dma_release(map);
	return err;

out_free:
	kfree(p);
	kfree(map);
	return err;
}
