// SPDX-License-Identifier: GPL-2.0
/*
 * kite.ko: /dev/kiteN. mmap hands out BAR0 (read-only by default) and the
 * doorbell page of a queue the file claimed; ioctls map DMA memory, start and
 * stop queues, manage filters. Closing the file (or the process dying) stops
 * its queues, drops its filters and unpins its memory.
 *
 * User mappings are filled on fault (as vfio_pci_mmap_fault()), so they can
 * be revoked: releasing a queue zaps its doorbell page and remove zaps every
 * mapping; a later access faults again and gets SIGBUS.
 *
 * kd->lock is never held across copy_{from,to}_user or pinning (kite_dma.c):
 * a fault on a user argument (userfaultfd, FUSE) stalls only its caller.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kite_core.h"

static int kite_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct kite_dev *kd = container_of(misc, struct kite_dev, misc);
	struct kite_file *kf;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL);
	if (!kf)
		return -ENOMEM;
	kf->kd = kd;
	kf->file = file;
	kf->pid = get_pid(task_tgid(current));
	/* A writable BAR0 can program any DMA: never under kernel lockdown. */
	kf->bar0_writable = (kite_bar0_writable || capable(CAP_SYS_RAWIO)) &&
			    !security_locked_down(LOCKDOWN_PCI_ACCESS);
	kite_maps_init(&kf->maps, (u64)kite_max_pinned_mb << 20);
	mutex_lock(&kd->lock);
	if (kd->dead) {
		mutex_unlock(&kd->lock);
		put_pid(kf->pid);
		kfree(kf);
		return -ENODEV;
	}
	kref_get(&kd->ref);
	list_add(&kf->node, &kd->files);
	mutex_unlock(&kd->lock);
	file->private_data = kf;
	return 0;
}

/* Zap this file's user mappings of queue q's doorbell page. Caller holds kd->lock. */
static void kite_revoke_db(struct kite_file *kf, unsigned int q)
{
	unmap_mapping_range(kf->file->f_mapping, KITE_MMAP_DB(q), KITE_DB_PAGE_SIZE, 1);
}

/* Every user mapping of the device, for remove. Caller holds kd->lock. */
void kite_revoke_all(struct kite_dev *kd)
{
	struct kite_file *kf;

	list_for_each_entry(kf, &kd->files, node)
		unmap_mapping_range(kf->file->f_mapping, 0, 0, 1);
}

/*
 * Drop a file's queue q: stop it, and what steers to it (filters, a port's
 * default), and its doorbell mapping. Caller holds kd->lock.
 */
static int kite_queue_drop(struct kite_file *kf, unsigned int q)
{
	struct kite_dev *kd = kf->kd;
	int err = kite_queue_quiesce(kd, q);
	u64 filters;

	kite_queue_release(&kd->owners, q, kf, &filters);
	kite_filters_clear(kd, filters);
	kite_ports_forget_queue(kd, q);
	kite_revoke_db(kf, q);
	return err;
}

/* Stop what this file started, in the order that keeps the card off its memory. */
static int kite_release(struct inode *inode, struct file *file)
{
	struct kite_file *kf = file->private_data;
	struct kite_dev *kd = kf->kd;
	LIST_HEAD(gone);
	unsigned int q;

	mutex_lock(&kd->lock);
	for (q = 0; q < kd->owners.nqueues; q++)
		if (kd->owners.queue[q] == kf)
			kite_queue_drop(kf, q);	/* a failure marks the memory leaked */
	kite_filters_clear(kd, kite_filters_of(&kd->owners, kf));
	kite_dma_detach_all(kf, &gone);	/* only now: nothing can DMA into it */
	kite_tenant_leave_if_idle(&kd->owners, kf, false);
	list_del(&kf->node);	/* last: kite_wedge() marks this file's memory too */
	mutex_unlock(&kd->lock);
	kite_dma_release_list(&gone);	/* unpins with no lock held */
	kite_dev_put(kd);
	put_pid(kf->pid);	/* kd->tenant_pid no longer points here: not the tenant */
	kfree(kf);
	return 0;
}

static vm_fault_t kite_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct kite_file *kf = vma->vm_file->private_data;
	struct kite_dev *kd = kf->kd;
	unsigned long addr = vmf->address & PAGE_MASK;
	u64 off = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	vm_fault_t ret = VM_FAULT_SIGBUS;
	enum kite_region region;
	unsigned int qid = 0;
	phys_addr_t phys;

	if (kite_page_decode(off, kd->lim.nqueues, &region, &qid))
		return VM_FAULT_SIGBUS;
	mutex_lock(&kd->lock);
	if (kd->dead)
		goto out;
	if (region == KITE_REGION_BAR0) {
		phys = kd->regs_phys + off - KITE_MMAP_BAR0;
	} else {
		if (!kite_queue_owned(&kd->owners, qid, kf))
			goto out;	/* released since mmap: revoked */
		phys = kd->db_phys + (phys_addr_t)qid * KITE_DB_PAGE_SIZE;
	}
	/*
	 * One page per fault; a page another thread inserted meanwhile is left
	 * as it is. The memory type comes from the kernel's own mapping of the
	 * window (kite_map_windows(): doorbells WC, registers UC): no VM_PAT
	 * reservation per vma, which a zap racing with fork() would trip over.
	 */
	ret = vmf_insert_pfn(vma, addr, phys >> PAGE_SHIFT);
out:
	mutex_unlock(&kd->lock);
	return ret;
}

static const struct vm_operations_struct kite_vm_ops = {
	.fault = kite_fault,
};

/* STYLE.md 11: the checks of vfio_pci_core_mmap, for a char device. */
static int kite_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kite_file *kf = file->private_data;
	struct kite_dev *kd = kf->kd;
	u64 len = vma->vm_end - vma->vm_start;
	enum kite_region region;
	unsigned int qid = 0;
	int err;

	/* MAP_SHARED (VM_SHARED itself is cleared for a read-only open) */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	err = kite_mmap_decode((u64)vma->vm_pgoff << PAGE_SHIFT, len, kd->lim.nqueues,
			       &region, &qid);
	if (err)
		return err;
	if (region == KITE_REGION_BAR0) {
		/* lockdown may have come after the open */
		if ((vma->vm_flags & VM_WRITE) &&
		    (!kf->bar0_writable || security_locked_down(LOCKDOWN_PCI_ACCESS)))
			return -EPERM;
		if (!(vma->vm_flags & VM_WRITE))
			vma->vm_flags &= ~VM_MAYWRITE;	/* no mprotect() upgrade either */
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	} else {
		/* Checked again at every fault: a release revokes the page. */
		err = mutex_lock_killable(&kd->lock);
		if (err)
			return err;
		if (!kite_queue_owned(&kd->owners, qid, kf))
			err = -EACCES;
		mutex_unlock(&kd->lock);
		if (err)
			return err;
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	}
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &kite_vm_ops;
	return 0;
}

/* Copy an ioctl argument that starts with its own size, checking the size. */
static int kite_copy_arg(void *dst, const void __user *arg, size_t size)
{
	if (copy_from_user(dst, arg, size))
		return -EFAULT;
	return *(u32 *)dst == size ? 0 : -EINVAL;
}

/* INFO is the one ioctl a read-only open may use. */
static int ioc_info(struct kite_file *kf, void __user *arg)
{
	struct kite_dev *kd = kf->kd;
	struct kite_ioc_info in;
	int err = kite_copy_arg(&in, arg, sizeof(in));

	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.abi_version = KITE_ABI_VERSION;
	err = mutex_lock_killable(&kd->lock);
	if (err)
		return err;
	in.hw_version = kd->version;
	in.features = kite_rd32(kd, KITE_R_ID_FEATURES);
	in.caps = kite_rd32(kd, KITE_R_ID_CAPS);
	in.flags = (kf->bar0_writable ? KITE_INFO_F_BAR0_WRITABLE : 0) |
		   (kd->no_iommu ? KITE_INFO_F_NO_IOMMU : 0);
	in.pinned_bytes = kf->maps.pinned;
	in.pinned_limit = kf->maps.limit;
	mutex_unlock(&kd->lock);
	return copy_to_user(arg, &in, sizeof(in)) ? -EFAULT : 0;
}

/* Caller holds kd->lock. */
static int ioc_queue(struct kite_file *kf, unsigned int cmd, const struct kite_ioc_queue *q)
{
	struct kite_dev *kd = kf->kd;
	int err;

	if (cmd == KITE_IOC_QUEUE_CLAIM) {
		err = kite_queue_claim(&kd->owners, q->qid, kf);
		if (!err)
			kd->tenant_pid = kf->pid;
		return err;
	}
	if (!kite_queue_owned(&kd->owners, q->qid, kf))
		return q->qid < kd->lim.nqueues ? -EPERM : -EINVAL;
	if (cmd == KITE_IOC_QUEUE_STOP)
		return kite_queue_quiesce(kd, q->qid);
	err = kite_queue_drop(kf, q->qid);
	kite_tenant_leave_if_idle(&kd->owners, kf, !kite_maps_empty(&kf->maps));
	return err;
}

/* Caller holds kd->lock; a mapping to unpin comes back in *gone. */
static int ioc_dma_unmap(struct kite_file *kf, const struct kite_ioc_dma_unmap *req,
			 struct kite_mapping **gone)
{
	struct kite_dev *kd = kf->kd;
	unsigned int q;

	if (req->rsvd)
		return -EINVAL;
	/* A running queue of ours may use this memory: it must stop first. */
	for (q = 0; q < kd->lim.nqueues; q++)
		if (kite_queue_owned(&kd->owners, q, kf) &&
		    (kite_rd32(kd, KITE_R_AT(Q_STATUS, q)) & KITE_FMASK(KITE_Q_STATUS_RUNNING)))
			return -EBUSY;
	*gone = kite_maps_take(&kf->maps, req->iova);
	if (!*gone)
		return -ENOENT;
	kite_dma_detach(kd, *gone);
	kite_tenant_leave_if_idle(&kd->owners, kf, !kite_maps_empty(&kf->maps));
	return 0;
}

/* hw-spec §6.1, with the rings checked against this file's mappings. Caller holds kd->lock. */
static int ioc_queue_start(struct kite_file *kf, const struct kite_ioc_queue_start *qs)
{
	bool stream = qs->flags & KITE_IOC_QUEUE_RX_STREAM;
	/* a stream queue's descriptor RX rings are unchecked: the card gets none */
	const struct kite_hw_queue_cfg hc = {
		.qid = qs->qid, .port = qs->port, .tx_log2 = qs->tx_log2, .rx_log2 = qs->rx_log2,
		.rx_buf_size = qs->rx_buf_size, .tx_ring = qs->tx_ring, .tx_cq = qs->tx_cq,
		.rx_ring = stream ? 0 : qs->rx_ring, .rx_cq = stream ? 0 : qs->rx_cq,
		.pio_cq = qs->pio_cq, .rxs_log2 = stream ? qs->rxs_log2 : 0,
		.rxs_ring = stream ? qs->rxs_ring : 0,
		.pio_direct = !!(qs->flags & KITE_IOC_QUEUE_PIO_DIRECT),
		.tx_wb = qs->flags & KITE_IOC_QUEUE_TX_WB ? qs->tx_wb : 0,
	};
	struct kite_dev *kd = kf->kd;
	unsigned int q = qs->qid;
	int err;

	err = kite_queue_start_check(qs, &kd->lim, &kd->owners, &kf->maps, kf);
	if (err)
		return err;
	if (kd->wedged)
		return -EIO;
	err = kite_queue_quiesce(kd, q);	/* a previous owner's queue may still run */
	if (err)
		return err;
	err = kite_hw_queue_start(&kd->hw, &hc);
	if (err == -EIO)	/* the card refused it (Q_STATUS.CAUSE): say why, in the log */
		dev_info(&kd->pdev->dev, "%s\n", kd->hw.msg);
	if (err) {
		kite_hw_done(kd, err);	/* -ETIMEDOUT, -ENODEV: logged as such */
		kite_queue_quiesce(kd, q);	/* it may have started after the wait */
	}
	return err;
}

/* Caller holds kd->lock. */
static int ioc_filter_add(struct kite_file *kf, struct kite_ioc_filter *f)
{
	struct kite_dev *kd = kf->kd;
	int err;

	err = kite_filter_check(f, &kd->lim, &kd->owners, kf);
	if (!err)
		err = kite_filter_claim(&kd->owners, kf, f, &f->index);
	if (err)
		return err;
	err = kite_hw_done(kd, kite_hw_filter_write(&kd->hw, f->index, f->type, f->port, f->queue,
						    f->flags & KITE_IOC_FILTER_COPY, f->key));
	if (err) {
		kite_filter_release(&kd->owners, f->index, kf);
		kite_filters_clear(kd, BIT_ULL(f->index));
	}
	return err;
}

/* Caller holds kd->lock. */
static int ioc_filter_del(struct kite_file *kf, const struct kite_ioc_filter *f)
{
	struct kite_dev *kd = kf->kd;
	int err = kite_filter_release(&kd->owners, f->index, kf);

	if (err)
		return err;
	kite_filters_clear(kd, BIT_ULL(f->index));
	return 0;
}

/* Caller holds kd->lock. */
static int ioc_port(struct kite_dev *kd, const struct kite_ioc_port *p)
{
	int err = kite_port_check(p, &kd->lim);

	if (err)
		return err;
	return kite_hw_done(kd, kite_hw_port_set(&kd->hw, p->port, p->mtu, p->default_queue));
}

/* Every argument a command takes, copied in before kd->lock is taken. */
union kite_ioc_arg {
	struct kite_ioc_queue q;
	struct kite_ioc_dma_map map;
	struct kite_ioc_dma_unmap unmap;
	struct kite_ioc_queue_start start;
	struct kite_ioc_filter filter;
	struct kite_ioc_port port;
};

static long kite_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct kite_file *kf = file->private_data;
	struct kite_dev *kd = kf->kd;
	void __user *arg = (void __user *)uarg;
	struct kite_mapping *gone = NULL;
	union kite_ioc_arg a;
	long err;

	if (cmd == KITE_IOC_INFO)
		return ioc_info(kf, arg);
	/* Everything else changes the card or pins memory: a read-only open may not. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	switch (cmd) {
	case KITE_IOC_QUEUE_CLAIM:
	case KITE_IOC_QUEUE_RELEASE:
	case KITE_IOC_QUEUE_STOP:
		err = kite_copy_arg(&a.q, arg, sizeof(a.q));
		break;
	case KITE_IOC_DMA_MAP:
		err = kite_copy_arg(&a.map, arg, sizeof(a.map));
		/* takes kd->lock itself, around the pinning */
		return err ? err : kite_dma_map(kf, &a.map, arg);
	case KITE_IOC_DMA_UNMAP:
		err = kite_copy_arg(&a.unmap, arg, sizeof(a.unmap));
		break;
	case KITE_IOC_QUEUE_START_V1:	/* a 1.0 binary: the fields it knows, the rest 0 */
		memset(&a.start, 0, sizeof(a.start));
		err = kite_copy_arg(&a.start, arg, KITE_IOC_QUEUE_START_SIZE_V1);
		break;
	case KITE_IOC_QUEUE_START:
		err = kite_copy_arg(&a.start, arg, sizeof(a.start));
		break;
	case KITE_IOC_FILTER_ADD:
	case KITE_IOC_FILTER_DEL:
		err = kite_copy_arg(&a.filter, arg, sizeof(a.filter));
		break;
	case KITE_IOC_PORT_SET:
		if (!capable(CAP_NET_ADMIN))
			return -EPERM;
		err = kite_copy_arg(&a.port, arg, sizeof(a.port));
		break;
	case KITE_IOC_RESET:
		err = capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
		break;
	default:
		return -ENOTTY;
	}
	if (err)
		return err;

	if (mutex_lock_killable(&kd->lock))
		return -EINTR;
	if (kd->dead) {
		mutex_unlock(&kd->lock);
		return -ENODEV;
	}
	switch (cmd) {
	case KITE_IOC_QUEUE_CLAIM:
	case KITE_IOC_QUEUE_RELEASE:
	case KITE_IOC_QUEUE_STOP:
		err = ioc_queue(kf, cmd, &a.q);
		break;
	case KITE_IOC_DMA_UNMAP:
		err = ioc_dma_unmap(kf, &a.unmap, &gone);
		break;
	case KITE_IOC_QUEUE_START_V1:
	case KITE_IOC_QUEUE_START:
		err = ioc_queue_start(kf, &a.start);
		break;
	case KITE_IOC_FILTER_ADD:
		err = ioc_filter_add(kf, &a.filter);
		break;
	case KITE_IOC_FILTER_DEL:
		err = ioc_filter_del(kf, &a.filter);
		break;
	case KITE_IOC_PORT_SET:
		err = ioc_port(kd, &a.port);
		break;
	case KITE_IOC_RESET:
		err = kite_reset(kd);
		break;
	}
	mutex_unlock(&kd->lock);
	if (gone)
		kite_dma_release(gone);
	if (!err && cmd == KITE_IOC_FILTER_ADD && copy_to_user(arg, &a.filter, sizeof(a.filter)))
		err = -EFAULT;	/* the filter stays: the file can still delete it by index */
	return err;
}

const struct file_operations kite_fops = {
	.owner = THIS_MODULE,	/* rmmod is refused while a file is open */
	.open = kite_open,
	.release = kite_release,
	.mmap = kite_mmap,
	.unlocked_ioctl = kite_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};
