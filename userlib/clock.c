// SPDX-License-Identifier: BSD-3-Clause
/*
 * The card clock from software (hw-spec §3.4.1): bracketed readings and
 * adjustments for a clock servo, through kite.ko's PTP hardware clock or the
 * registers; and card time to UTC from the status a servo publishes in a
 * small shared file, read with a sequence lock (no system call per
 * conversion but one vDSO clock read for staleness).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ptp_clock.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#include "clock.h"
#include "lib_internal.h"

#define MAX_SAMPLES		25	/* PTP_MAX_SAMPLES */
#define STATE_MAGIC		0x4b434c4bu	/* "KCLK" */

/* A card without clock control, or a backend without a writable BAR0, says so. */
static int direct_ok(struct kite_dev *dev)
{
	if (!(dev->info.features & KITE_FEATURE_CLOCK_CTL))
		return kite_err(-EOPNOTSUPP, "the card has no clock control (contract %u.%u; "
				"1.4 adds it)", dev->info.version_major, dev->info.version_minor);
	return 0;
}

static int hw_err(struct kite_dev *dev, int err)
{
	return err ? kite_err(err, "%s", dev->hw.msg) : 0;
}

static void state_path(struct kite_dev *dev, char *buf, size_t len);

/*
 * hw-spec §3.4.1: one clock command at a time. kite.ko serialises its own;
 * processes driving the registers (a servo, an application sampling the
 * clock) take a lock file next to the status file, which kite-clock-sync
 * creates (readable by all: flock needs no write access). No file: no lock
 * (the issuer tags still keep commands apart). -1: none taken.
 */
static int cmd_lock(struct kite_dev *dev)
{
	uint64_t give_up = kite_mono_ns() + 1000000000ULL;	/* never for ever on a stuck holder */
	char path[280];
	int fd;

	state_path(dev, path, sizeof(path) - 8);
	strcat(path, ".lock");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (kite_mono_ns() > give_up) {	/* a deadline: signals cut usleep short */
			close(fd);
			return -1;
		}
		usleep(1000);
	}
	return fd;
}

static void cmd_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* and the lock with it */
}

struct stamps {
	uint64_t before, after;
};

static void stamp(void *ctx, int post)
{
	struct stamps *s = ctx;

	if (post)
		s->after = kite_realtime_ns();
	else
		s->before = kite_realtime_ns();
}

static uint64_t pct_ns(const struct ptp_clock_time *t)
{
	return (uint64_t)t->sec * 1000000000ULL + t->nsec;
}

/* kite.ko: PTP_SYS_OFFSET_EXTENDED, n readings each bracketed by CLOCK_REALTIME */
static int phc_samples(struct kite_dev *dev, unsigned int n, struct kite_clock_sample *out)
{
	struct ptp_sys_offset_extended x = { .n_samples = n };
	int fd = dev->ops->phc_open(dev, O_RDONLY), err = 0;
	unsigned int i;

	if (fd < 0)
		return fd;
	if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &x) < 0)
		err = kite_err(-errno, "the card's PTP clock: PTP_SYS_OFFSET_EXTENDED: %s",
			       strerror(errno));
	close(fd);
	for (i = 0; !err && i < n; i++) {
		struct kite_clock_sample s = { pct_ns(&x.ts[i][1]), pct_ns(&x.ts[i][0]),
					       pct_ns(&x.ts[i][2]) };

		if (!i || s.sys_after_ns - s.sys_before_ns < out->sys_after_ns - out->sys_before_ns)
			*out = s;
	}
	return err;
}

int kite_clock_sample(struct kite_dev *dev, unsigned int n, struct kite_clock_sample *out)
{
	unsigned int i;
	int err, lock;

	KITE_CALL();
	KITE_NONNULL(dev);
	KITE_NONNULL(out);
	if (n < 1 || n > MAX_SAMPLES)
		return kite_err(-EINVAL, "kite_clock_sample: %u readings (1..%d)", n, MAX_SAMPLES);
	if (dev->ops->phc_open)
		return phc_samples(dev, n, out);
	err = direct_ok(dev);
	lock = err ? -1 : cmd_lock(dev);
	for (i = 0; !err && i < n; i++) {
		struct stamps st;
		__u64 ns;

		err = hw_err(dev, kite_hw_clock_latch(&dev->hw, &ns, stamp, &st));
		if (!err && (!i || st.after - st.before < out->sys_after_ns - out->sys_before_ns))
			*out = (struct kite_clock_sample){ ns, st.before, st.after };
	}
	cmd_unlock(lock);
	return err;
}

/* clock_adjtime/clock_settime on the PTP device, opened for writing */
static int phc_adjust(struct kite_dev *dev, struct timex *tx, const struct timespec *set)
{
	int fd = dev->ops->phc_open(dev, O_RDWR), err = 0;

	if (fd < 0)
		return fd;
	if ((set ? clock_settime(KITE_FD_TO_CLOCKID(fd), set) :
		   clock_adjtime(KITE_FD_TO_CLOCKID(fd), tx)) < 0)
		err = kite_err(-errno, "the card's PTP clock: %s: %s",
			       set ? "clock_settime" : "clock_adjtime", strerror(errno));
	close(fd);
	return err;
}

int kite_clock_step(struct kite_dev *dev, int64_t delta_ns)
{
	struct timex tx = { .modes = ADJ_SETOFFSET | ADJ_NANO };
	int64_t sec = delta_ns / 1000000000, nsec = delta_ns % 1000000000;
	int err;

	KITE_CALL();
	KITE_NONNULL(dev);
	if (dev->ops->phc_open) {
		if (nsec < 0) {	/* the kernel wants 0 <= nsec < 10^9 */
			sec--;
			nsec += 1000000000;
		}
		tx.time.tv_sec = sec;
		tx.time.tv_usec = nsec;	/* ns, with ADJ_NANO */
		return phc_adjust(dev, &tx, NULL);
	}
	err = direct_ok(dev);
	if (!err) {
		int lock = cmd_lock(dev);

		err = hw_err(dev, kite_hw_clock_step(&dev->hw, delta_ns));
		cmd_unlock(lock);
	}
	return err;
}

int kite_clock_set(struct kite_dev *dev, uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
	int err;

	KITE_CALL();
	KITE_NONNULL(dev);
	if (dev->ops->phc_open)
		return phc_adjust(dev, NULL, &ts);
	err = direct_ok(dev);
	if (!err) {
		int lock = cmd_lock(dev);

		err = hw_err(dev, kite_hw_clock_set(&dev->hw, ns));
		cmd_unlock(lock);
	}
	return err;
}

int kite_clock_set_freq(struct kite_dev *dev, double ppb)
{
	/* CLK_FREQ and the PHC's timex.freq are both ppm x 2^16 */
	struct timex tx = { .modes = ADJ_FREQUENCY };
	long scaled;
	int err;

	KITE_CALL();
	KITE_NONNULL(dev);
	if (!(ppb >= -500000 && ppb <= 500000))
		return kite_err(-ERANGE, "kite_clock_set_freq: %g ppb is beyond the card's "
				"+-500000", ppb);
	scaled = lround(ppb * 65.536);
	if (dev->ops->phc_open) {
		tx.freq = scaled;
		return phc_adjust(dev, &tx, NULL);
	}
	err = direct_ok(dev);
	if (!err)
		kite_hw_clock_freq(&dev->hw, scaled);
	return err;
}

/*
 * The published status: a sequence number (odd while the servo writes), then
 * the status. Named after the card (dev->ident: however it was opened, the
 * same file), which it also holds, so a file renamed or reused for another
 * card is refused.
 */
struct clock_file {
	uint32_t magic;
	uint32_t seq;
	char ident[96];
	struct kite_clock_status st;
};

struct kite_clock_map {
	struct clock_file *f;
	struct clock_file *old;	/* the read-only mapping a publisher replaced */
	int writable;
	int fd;			/* the publisher's: its flock keeps a second one out */
	uint64_t failed_at;	/* a reader found no file: not again for a second */
};

#define SEQ_TRIES	10000	/* a writer killed mid-write leaves seq odd */
#define TIME_SLACK_NS	50000000ULL	/* TIME is coarse (§3.4): refreshed every few us */

static void state_path(struct kite_dev *dev, char *buf, size_t len)
{
	const char *env = getenv("KITE_CLOCK_STATE");

	if (env && env[0])
		snprintf(buf, len, "%s", env);
	else
		snprintf(buf, len, "/run/kite/clock-%s", dev->ident);
}

/* Map the status file: readers once (and not again for a second after a miss). */
static int clock_map(struct kite_dev *dev, int writable)
{
	struct kite_clock_map *m = dev->clock;
	char path[256];
	struct stat sb;
	void *p;
	int fd;

	if (m && m->f && (m->writable || !writable))
		return 0;
	if (m && !m->f && !writable && kite_realtime_ns() - m->failed_at < 1000000000ULL)
		return kite_err(-ENOENT, "no clock servo publishes this card's clock (looked "
				"under a second ago)");
	state_path(dev, path, sizeof(path));
	if (writable && !getenv("KITE_CLOCK_STATE"))
		mkdir("/run/kite", 0755);	/* exists already, or the open says why */
	fd = open(path, (writable ? O_RDWR | O_CREAT | O_NOFOLLOW : O_RDONLY) | O_CLOEXEC, 0644);
	if (fd < 0) {
		int err = -errno;

		if (!writable) {
			if (!m)
				m = dev->clock = calloc(1, sizeof(*m));
			if (m)
				m->failed_at = kite_realtime_ns();
		}
		return kite_err(err, "%s: %s%s", path, strerror(-err), err == -ENOENT ?
				" (no clock servo publishes this card's clock: run kite-clock-sync)" :
				"");
	}
	if (writable && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return kite_err(-EBUSY, "%s: another kite-clock-sync publishes this card's "
				"clock already", path);
	}
	if (writable) {	/* the command lock (cmd_lock), readable by every sampler */
		char lock[280];
		int lfd;

		snprintf(lock, sizeof(lock), "%.270s.lock", path);
		lfd = open(lock, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (lfd >= 0)
			close(lfd);
	}
	if (writable && ftruncate(fd, sizeof(struct clock_file)) < 0) {
		close(fd);
		return kite_err(-errno, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) < 0 || sb.st_size < (off_t)sizeof(struct clock_file)) {
		close(fd);	/* a shorter file would SIGBUS the reader */
		return kite_err(-ENOENT, "%s: not a kite clock status file", path);
	}
	p = mmap(NULL, sizeof(struct clock_file), writable ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return kite_err(-errno, "%s: mmap: %s", path, strerror(errno));
	}
	if (!writable)
		close(fd);
	if (!m)
		m = dev->clock = calloc(1, sizeof(*m));
	if (!m) {
		munmap(p, sizeof(struct clock_file));
		if (writable)
			close(fd);
		return kite_err(-ENOMEM, "out of memory");
	}
	/* a reader thread may still read the old mapping: it goes at kite_close only */
	if (m->f)
		m->old = m->f;
	m->f = p;
	m->writable = writable;
	m->fd = writable ? fd : -1;
	return 0;
}

void kite_clock_unmap(struct kite_dev *dev)
{
	if (!dev->clock)
		return;
	if (dev->clock->f)
		munmap(dev->clock->f, sizeof(struct clock_file));
	if (dev->clock->old)
		munmap(dev->clock->old, sizeof(struct clock_file));
	if (dev->clock->fd > 0)
		close(dev->clock->fd);
	free(dev->clock);
	dev->clock = NULL;
}

int kite_clock_publish(struct kite_dev *dev, const struct kite_clock_status *st)
{
	struct clock_file *f;
	uint32_t seq;
	int err;

	KITE_CALL();
	KITE_NONNULL(dev);
	KITE_NONNULL(st);
	if (st->size != sizeof(*st))
		return kite_err(-EINVAL, "kite_clock_publish: status size %u, this libkite's is %zu",
				st->size, sizeof(*st));
	pthread_mutex_lock(&dev->clock_lock);
	err = clock_map(dev, 1);
	if (!err) {
		f = dev->clock->f;
		seq = __atomic_load_n(&f->seq, __ATOMIC_RELAXED) | 1;
		__atomic_store_n(&f->seq, seq, __ATOMIC_RELAXED);	/* odd: being written */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		f->magic = STATE_MAGIC;
		memcpy(f->ident, dev->ident, sizeof(f->ident));
		memcpy(&f->st, st, sizeof(*st));
		__atomic_store_n(&f->seq, seq + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dev->clock_lock);
	return err;
}

/* The status as published, whole (seqlock), and for this card. */
static int status_read(struct kite_dev *dev, struct kite_clock_status *st)
{
	const struct clock_file *f;
	char ident[sizeof(f->ident)];
	uint32_t seq, tries = 0;
	int err;

	pthread_mutex_lock(&dev->clock_lock);
	err = clock_map(dev, 0);
	if (err) {
		pthread_mutex_unlock(&dev->clock_lock);
		return err;
	}
	f = dev->clock->f;
	pthread_mutex_unlock(&dev->clock_lock);	/* mapped for the device's life */
	do {
		if (++tries > SEQ_TRIES)
			return kite_err(-EAGAIN, "the clock status is half written (its servo died "
					"while writing it?)");
		seq = __atomic_load_n(&f->seq, __ATOMIC_ACQUIRE);
		memcpy(st, &f->st, sizeof(*st));
		memcpy(ident, f->ident, sizeof(ident));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != __atomic_load_n(&f->seq, __ATOMIC_RELAXED));
	if (!seq || f->magic != STATE_MAGIC)
		return kite_err(-ENOENT, "no clock status published for this card yet");
	if (st->size != sizeof(*st))
		return kite_err(-ENOENT, "the clock status was written by another libkite "
				"(status size %u, ours %zu)", st->size, sizeof(*st));
	ident[sizeof(ident) - 1] = 0;
	if (strcmp(ident, dev->ident))
		return kite_err(-ENOENT, "the clock status file is another card's (%s, not %s)",
				ident, dev->ident);
	return 0;
}

int kite_clock_status(struct kite_dev *dev, struct kite_clock_status *out)
{
	struct kite_clock_status cur, *st = &cur;
	uint64_t now = kite_realtime_ns();
	int64_t age, stale;
	uint32_t size;
	int err;

	KITE_CALL();
	KITE_NONNULL(dev);
	KITE_NONNULL(out);
	size = out->size;	/* the caller's kite.h (kite.h, "ABI") */
	err = kite_abi_size_ok(KITE_ABI_CLOCK_STATUS, size);
	if (!err)
		err = status_read(dev, st);
	if (err)
		return err;
	/* two missed updates, or a status from the future (the system clock went back) */
	age = (int64_t)(now - st->updated_ns);
	stale = 2LL * st->interval_ms * 1000000 + 250000000;
	if (age > stale || age < -250000000)
		return kite_err(-ESTALE, "the clock servo stopped: its last update is %.2f s %s",
				fabs((double)age) / 1e9, age < 0 ? "in the future" : "old");
	/* the error grows at the slew rate until the next update */
	if (age > 0)
		st->max_error_ns += (uint64_t)ceil(fabs(st->slew_ppb) * (double)age * 1e-9);
	st->size = size;
	return kite_abi_out(KITE_ABI_CLOCK_STATUS, out, st, size);
}

int kite_clock_utc(struct kite_dev *dev, uint64_t card_ns, struct timespec *utc)
{
	struct kite_clock_status st = { .size = sizeof(st) };
	uint64_t card_now, now;
	int64_t skew;
	int err;

	KITE_CALL();
	KITE_NONNULL(dev);
	KITE_NONNULL(utc);
	err = kite_clock_status(dev, &st);
	KITE_CALL();	/* the errors below are kite_clock_utc's */
	if (err)
		return err;
	if (st.state != KITE_CLOCK_LOCKED)
		return kite_err(-EAGAIN, "the card clock is not synchronised to UTC (%s, last "
				"offset %lld ns)", st.state == KITE_CLOCK_FAULT ? "faulty" :
				"not locked", (long long)st.offset_ns);
	/* the card's own clock agrees now (not another card's status; not stepped since) */
	card_now = kite_rd64(dev, KITE_R_TIME);
	now = kite_realtime_ns();
	skew = (int64_t)(card_now - now);
	if ((uint64_t)llabs(skew) > st.max_error_ns + TIME_SLACK_NS)
		return kite_err(-EAGAIN, "the card clock reads %+.3f s from UTC, not within the "
				"published %llu ns: stepped since, or another card's status",
				(double)skew / 1e9, (unsigned long long)st.max_error_ns);
	if ((int64_t)(card_ns - st.locked_since_ns) < 0 ||
	    (int64_t)(card_ns - card_now) > (int64_t)TIME_SLACK_NS)
		return kite_err(-ERANGE, "card time %llu is %s: only stamps taken while the "
				"clock is locked are UTC", (unsigned long long)card_ns,
				(int64_t)(card_ns - st.locked_since_ns) < 0 ?
				"from before the lock began" : "in the future");
	/* the servo keeps card time on UTC: the card's reading is UTC within max_error_ns */
	utc->tv_sec = (time_t)(card_ns / 1000000000);
	utc->tv_nsec = (long)(card_ns % 1000000000);
	return 0;
}
