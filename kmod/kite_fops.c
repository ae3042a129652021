// SPDX-License-Identifier: GPL-2.0
/*
 * kite.ko: /dev/kiteN. mmap hands out BAR0 (read-only by default) and the
 * doorbell page of a queue the file claimed; ioctls map DMA memory, start and
 * stop queues, manage filters. Closing the file (or the process dying) stops
 * its queues, drops its filters and unpins its memory.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
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
	kf->bar0_writable = kite_bar0_writable || capable(CAP_SYS_RAWIO);
	kite_maps_init(&kf->maps, (u64)kite_max_pinned_mb << 20);
	kref_get(&kd->ref);
	file->private_data = kf;
	return 0;
}

/* Stop what this file started, in the order that keeps the card off its memory. */
static int kite_release(struct inode *inode, struct file *file)
{
	struct kite_file *kf = file->private_data;
	struct kite_dev *kd = kf->kd;
	bool filters = false;
	unsigned int i;

	mutex_lock(&kd->lock);
	for (i = 0; i < kd->owners.nqueues; i++) {
		if (kd->owners.queue[i] != kf)
			continue;
		kite_hw_queue_stop(kd, i);	/* waits for the card to quiesce */
		kd->owners.queue[i] = NULL;
	}
	for (i = 0; i < kd->owners.nfilters; i++) {
		if (kd->owners.filter[i] != kf)
			continue;
		kite_wr32(kd, KITE_R_AT(F_CTRL, i), 0);
		kd->owners.filter[i] = NULL;
		filters = true;
	}
	if (filters)
		kite_commit(kd);
	kite_dma_unmap_all(kf);		/* only now: nothing can DMA into it */
	mutex_unlock(&kd->lock);
	kite_dev_put(kd);
	kfree(kf);
	return 0;
}

/* STYLE.md 11: the checks of vfio_pci_core_mmap, for a char device. */
static int kite_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kite_file *kf = file->private_data;
	struct kite_dev *kd = kf->kd;
	u64 len = vma->vm_end - vma->vm_start;
	enum kite_region region;
	unsigned int qid = 0;
	phys_addr_t phys;
	int err;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	err = kite_mmap_decode((u64)vma->vm_pgoff << PAGE_SHIFT, len, kd->lim.nqueues,
			       &region, &qid);
	if (err)
		return err;
	mutex_lock(&kd->lock);
	if (kd->dead) {
		err = -ENODEV;
	} else if (region == KITE_REGION_BAR0) {
		if ((vma->vm_flags & VM_WRITE) && !kf->bar0_writable)
			err = -EPERM;
		if (!kf->bar0_writable)
			vma->vm_flags &= ~VM_MAYWRITE;	/* no mprotect() upgrade either */
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		phys = kd->regs_phys;
	} else {
		if (!kite_queue_owned(&kd->owners, qid, kf))
			err = -EACCES;
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
		phys = kd->db_phys + (phys_addr_t)qid * KITE_DB_PAGE_SIZE;
	}
	mutex_unlock(&kd->lock);
	if (err)
		return err;
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	return io_remap_pfn_range(vma, vma->vm_start, phys >> PAGE_SHIFT, len,
				  vma->vm_page_prot);
}

static int ioc_info(struct kite_file *kf, void __user *arg)
{
	struct kite_dev *kd = kf->kd;
	struct kite_ioc_info in;

	if (copy_from_user(&in, arg, sizeof(in)))
		return -EFAULT;
	if (in.size != sizeof(in))
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.abi_version = KITE_ABI_VERSION;
	in.hw_version = kd->version;
	in.features = kite_rd32(kd, KITE_R_ID_FEATURES);
	in.caps = kite_rd32(kd, KITE_R_ID_CAPS);
	in.flags = (kf->bar0_writable ? KITE_INFO_F_BAR0_WRITABLE : 0) |
		   (kd->no_iommu ? KITE_INFO_F_NO_IOMMU : 0);
	in.pinned_bytes = kf->maps.pinned;
	in.pinned_limit = kf->maps.limit;
	return copy_to_user(arg, &in, sizeof(in)) ? -EFAULT : 0;
}

static int ioc_queue(struct kite_file *kf, unsigned int cmd, void __user *arg)
{
	struct kite_dev *kd = kf->kd;
	struct kite_ioc_queue q;

	if (copy_from_user(&q, arg, sizeof(q)))
		return -EFAULT;
	if (q.size != sizeof(q))
		return -EINVAL;
	if (cmd == KITE_IOC_QUEUE_CLAIM)
		return kite_queue_claim(&kd->owners, q.qid, kf);
	if (!kite_queue_owned(&kd->owners, q.qid, kf))
		return q.qid < kd->lim.nqueues ? -EPERM : -EINVAL;
	kite_hw_queue_stop(kd, q.qid);
	if (cmd == KITE_IOC_QUEUE_RELEASE)
		return kite_queue_release(&kd->owners, q.qid, kf);
	return 0;
}

static int ioc_dma_map(struct kite_file *kf, void __user *arg)
{
	struct kite_ioc_dma_map req;
	int err;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	err = kite_dma_map(kf, &req);
	if (err)
		return err;
	if (copy_to_user(arg, &req, sizeof(req))) {
		kite_dma_unmap(kf, req.iova);
		return -EFAULT;
	}
	return 0;
}

static int ioc_dma_unmap(struct kite_file *kf, void __user *arg)
{
	struct kite_ioc_dma_unmap req;
	unsigned int q;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || req.rsvd)
		return -EINVAL;
	/* A running queue of ours may use this memory: it must stop first. */
	for (q = 0; q < kf->kd->lim.nqueues; q++)
		if (kite_queue_owned(&kf->kd->owners, q, kf) &&
		    (kite_rd32(kf->kd, KITE_R_AT(Q_STATUS, q)) & KITE_FMASK(KITE_Q_STATUS_RUNNING)))
			return -EBUSY;
	return kite_dma_unmap(kf, req.iova);
}

/* hw-spec §6.1, with the rings checked against this file's mappings. */
static int ioc_queue_start(struct kite_file *kf, void __user *arg)
{
	struct kite_dev *kd = kf->kd;
	struct kite_ioc_queue_start qs;
	unsigned int q;
	u32 st;
	int err;

	if (copy_from_user(&qs, arg, sizeof(qs)))
		return -EFAULT;
	err = kite_queue_start_check(&qs, &kd->lim, &kd->owners, &kf->maps, kf);
	if (err)
		return err;
	q = qs.qid;
	kite_hw_queue_stop(kd, q);
	kite_wr64(kd, KITE_R_AT(Q_TX_RING, q), qs.tx_ring);
	kite_wr64(kd, KITE_R_AT(Q_TX_CQ, q), qs.tx_cq);
	kite_wr64(kd, KITE_R_AT(Q_RX_RING, q), qs.rx_ring);
	kite_wr64(kd, KITE_R_AT(Q_RX_CQ, q), qs.rx_cq);
	kite_wr64(kd, KITE_R_AT(Q_PIO_CQ, q), qs.pio_cq);
	kite_wr32(kd, KITE_R_AT(Q_RX_BUF_SIZE, q), qs.rx_buf_size);
	kite_wr32(kd, KITE_R_AT(Q_CTRL, q),
		  KITE_FPREP(KITE_Q_CTRL_ENABLE, 1) | KITE_FPREP(KITE_Q_CTRL_PORT, qs.port) |
		  KITE_FPREP(KITE_Q_CTRL_TX_LOG2, qs.tx_log2) |
		  KITE_FPREP(KITE_Q_CTRL_RX_LOG2, qs.rx_log2));
	err = kite_wait_reg(kd, KITE_R_AT(Q_STATUS, q), KITE_FMASK(KITE_Q_STATUS_RUNNING),
			    KITE_FMASK(KITE_Q_STATUS_RUNNING), "queue start");
	if (err) {
		st = kite_rd32(kd, KITE_R_AT(Q_STATUS, q));
		kite_wr32(kd, KITE_R_AT(Q_CTRL, q), 0);
		dev_dbg(&kd->pdev->dev, "queue %u refused to start: status 0x%08x\n", q, st);
		return -EIO;
	}
	return 0;
}

static int ioc_filter(struct kite_file *kf, unsigned int cmd, void __user *arg)
{
	struct kite_dev *kd = kf->kd;
	struct kite_ioc_filter f;
	int err;

	if (copy_from_user(&f, arg, sizeof(f)))
		return -EFAULT;
	if (cmd == KITE_IOC_FILTER_DEL) {
		if (f.size != sizeof(f))
			return -EINVAL;
		err = kite_filter_release(&kd->owners, f.index, kf);
		if (err)
			return err;
		kite_wr32(kd, KITE_R_AT(F_CTRL, f.index), 0);
		return kite_commit(kd);
	}
	err = kite_filter_check(&f, &kd->lim, &kd->owners, kf);
	if (!err)
		err = kite_filter_claim(&kd->owners, kf, &f.index);
	if (err)
		return err;
	kite_wr64(kd, KITE_R_AT(F_KEY, f.index), f.key);
	kite_wr32(kd, KITE_R_AT(F_CTRL, f.index),
		  KITE_FPREP(KITE_F_CTRL_VALID, 1) | KITE_FPREP(KITE_F_CTRL_TYPE, f.type) |
		  KITE_FPREP(KITE_F_CTRL_PORT, f.port) | KITE_FPREP(KITE_F_CTRL_QUEUE, f.queue));
	err = kite_commit(kd);
	if (!err && copy_to_user(arg, &f, sizeof(f)))
		err = -EFAULT;
	if (err) {
		kite_wr32(kd, KITE_R_AT(F_CTRL, f.index), 0);
		kite_filter_release(&kd->owners, f.index, kf);
	}
	return err;
}

static int ioc_port(struct kite_file *kf, void __user *arg)
{
	struct kite_dev *kd = kf->kd;
	struct kite_ioc_port p;
	u32 ctrl;
	int err;

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	err = kite_port_check(&p, &kd->lim);
	if (err)
		return err;
	if (p.mtu)
		kite_wr32(kd, KITE_R_AT(P_MTU, p.port), p.mtu);
	if (p.default_queue != -2) {
		ctrl = kite_rd32(kd, KITE_R_AT(P_CTRL, p.port));
		ctrl &= ~(KITE_FMASK(KITE_P_CTRL_DEFAULT_EN) |
			  KITE_FMASK(KITE_P_CTRL_DEFAULT_QUEUE));
		if (p.default_queue >= 0)
			ctrl |= KITE_FPREP(KITE_P_CTRL_DEFAULT_EN, 1) |
				KITE_FPREP(KITE_P_CTRL_DEFAULT_QUEUE, p.default_queue);
		kite_wr32(kd, KITE_R_AT(P_CTRL, p.port), ctrl);
	}
	return kite_commit(kd);
}

static int ioc_reset(struct kite_dev *kd)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return kite_reset(kd);
}

static long kite_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct kite_file *kf = file->private_data;
	struct kite_dev *kd = kf->kd;
	void __user *arg = (void __user *)uarg;
	long err;

	mutex_lock(&kd->lock);
	if (kd->dead) {
		mutex_unlock(&kd->lock);
		return -ENODEV;
	}
	switch (cmd) {
	case KITE_IOC_INFO:
		err = ioc_info(kf, arg);
		break;
	case KITE_IOC_QUEUE_CLAIM:
	case KITE_IOC_QUEUE_RELEASE:
	case KITE_IOC_QUEUE_STOP:
		err = ioc_queue(kf, cmd, arg);
		break;
	case KITE_IOC_DMA_MAP:
		err = ioc_dma_map(kf, arg);
		break;
	case KITE_IOC_DMA_UNMAP:
		err = ioc_dma_unmap(kf, arg);
		break;
	case KITE_IOC_QUEUE_START:
		err = ioc_queue_start(kf, arg);
		break;
	case KITE_IOC_FILTER_ADD:
	case KITE_IOC_FILTER_DEL:
		err = ioc_filter(kf, cmd, arg);
		break;
	case KITE_IOC_PORT_SET:
		err = ioc_port(kf, arg);
		break;
	case KITE_IOC_RESET:
		err = ioc_reset(kd);
		break;
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&kd->lock);
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
