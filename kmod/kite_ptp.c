// SPDX-License-Identifier: GPL-2.0
/*
 * The card clock as a PTP hardware clock (/dev/ptpN), so that linuxptp's
 * ptp4l, phc2sys and phc_ctl drive it as they drive any NIC's: hw-spec
 * §3.4.1 clock control, through the shared sequences in hw/kite_hw.c. Only
 * a card announcing ID_FEATURES.CLOCK_CTL gets one. Adjusting it needs the
 * PTP device's write permission (root by default): the clock is every
 * tenant's timestamp base.
 */
#include <linux/ptp_clock_kernel.h>

#include "kite_core.h"

static struct kite_dev *ptp_to_kite(struct ptp_clock_info *info)
{
	return container_of(info, struct kite_dev, ptp_info);
}

/* gettimex64's system time just before the latch command and just after its acknowledgment */
static void kite_ptp_stamp(void *ctx, int post)
{
	if (post)
		ptp_read_system_postts(ctx);
	else
		ptp_read_system_prets(ctx);
}

/* Clock operations share kd->lock with everything else that drives the card (a reset too). */
static int kite_ptp_gettimex64(struct ptp_clock_info *info, struct timespec64 *ts,
			       struct ptp_system_timestamp *sts)
{
	struct kite_dev *kd = ptp_to_kite(info);
	u64 ns = 0;
	int err;

	mutex_lock(&kd->lock);
	err = kd->dead ? -ENODEV :
	      kite_hw_done(kd, kite_hw_clock_latch(&kd->hw, &ns, kite_ptp_stamp, sts));
	mutex_unlock(&kd->lock);
	if (!err)
		*ts = ns_to_timespec64((s64)ns);
	return err;
}

static int kite_ptp_settime64(struct ptp_clock_info *info, const struct timespec64 *ts)
{
	struct kite_dev *kd = ptp_to_kite(info);
	int err;

	mutex_lock(&kd->lock);
	err = kd->dead ? -ENODEV :
	      kite_hw_done(kd, kite_hw_clock_set(&kd->hw, (u64)timespec64_to_ns(ts)));
	mutex_unlock(&kd->lock);
	return err;
}

static int kite_ptp_adjtime(struct ptp_clock_info *info, s64 delta)
{
	struct kite_dev *kd = ptp_to_kite(info);
	int err;

	mutex_lock(&kd->lock);
	err = kd->dead ? -ENODEV : kite_hw_done(kd, kite_hw_clock_step(&kd->hw, delta));
	mutex_unlock(&kd->lock);
	return err;
}

/* scaled_ppm is CLK_FREQ's own unit; the PTP core keeps it within max_adj */
static int kite_ptp_adjfine(struct ptp_clock_info *info, long scaled_ppm)
{
	struct kite_dev *kd = ptp_to_kite(info);
	int err = -ENODEV;

	mutex_lock(&kd->lock);
	if (!kd->dead) {
		kite_hw_clock_freq(&kd->hw, scaled_ppm);
		err = 0;
	}
	mutex_unlock(&kd->lock);
	return err;
}

static const struct ptp_clock_info kite_ptp_template = {
	.owner = THIS_MODULE,
	.max_adj = 500000,	/* ppb: KITE_CLK_FREQ_MAX */
	.gettimex64 = kite_ptp_gettimex64,
	.settime64 = kite_ptp_settime64,
	.adjtime = kite_ptp_adjtime,
	.adjfine = kite_ptp_adjfine,
};

static_assert(KITE_CLK_FREQ_MAX == 500 << 16, "max_adj above is 500 ppm");

/* A PHC for a card with clock control; without one (or without PTP support), none. */
void kite_ptp_register(struct kite_dev *kd)
{
	struct ptp_clock *ptp;

	kd->ptp_index = -1;
	if (!(kd->lim.features & KITE_FMASK(KITE_ID_FEATURES_CLOCK_CTL)))
		return;
	kd->ptp_info = kite_ptp_template;
	strscpy(kd->ptp_info.name, kd->name, sizeof(kd->ptp_info.name));
	ptp = ptp_clock_register(&kd->ptp_info, &kd->pdev->dev);
	if (IS_ERR(ptp)) {
		dev_warn(&kd->pdev->dev, "no PTP hardware clock: registration failed (%pe)\n",
			 ptp);
		return;
	}
	kd->ptp = ptp;	/* NULL when the kernel has no PTP clock support */
	WRITE_ONCE(kd->ptp_index, ptp ? ptp_clock_index(ptp) : -1);
}

/*
 * Before the card goes, and without kd->lock (an operation in flight holds
 * it, and unregistering waits for that): none runs after this returns.
 */
void kite_ptp_unregister(struct kite_dev *kd)
{
	if (kd->ptp)
		ptp_clock_unregister(kd->ptp);
	kd->ptp = NULL;
	WRITE_ONCE(kd->ptp_index, -1);
}
