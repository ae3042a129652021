// SPDX-License-Identifier: BSD-3-Clause
/*
 * The clock servo loop (kite_clock_servo_*): read the card clock bracketed
 * by the reference, steer it with the PI servo (clock_servo.c), publish its
 * state. kite-clock-sync runs it as a daemon; a program that keeps the card
 * to itself (VFIO: a group opens once) runs it in process.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "clock_servo.h"
#include "lib_internal.h"

#define HISTORY		16	/* max_error_ns: the worst of the last updates */
#define MAX_FAILURES	20	/* readings failed in a row before giving up */
#define MAX_BRACKET_NS	100000	/* a reading less sure than this is not used */

struct kite_clock_servo {
	struct kite_dev *dev;
	struct kite_clock_servo_conf conf;
	struct clock_servo servo;
	struct kite_clock_status st;
	clockid_t ref_id;	/* CLOCK_REALTIME, CLOCK_TAI, or a PHC */
	int ref_fd;
	int64_t ahead_ns;	/* how far the reference is ahead of UTC */
	double err_hist[HISTORY];
	unsigned long updates;	/* since the servo last started over */
	uint64_t floor_ns;	/* card time before the last backward step: stamps up to it repeat */
	unsigned int failures;
	char why[160];
};

static int reference_open(struct kite_clock_servo *s)
{
	const char *src = s->conf.source;
	struct timespec ts;

	s->ref_fd = -1;
	s->ref_id = CLOCK_REALTIME;
	s->ahead_ns = (int64_t)llround(s->conf.source_offset_s * 1e9);
	if (!src || !strcmp(src, "CLOCK_REALTIME"))
		return 0;
	if (!strcmp(src, "CLOCK_TAI")) {
		s->ref_id = CLOCK_TAI;
	} else {
		s->ref_fd = open(src, O_RDONLY | O_CLOEXEC);
		if (s->ref_fd < 0)
			return kite_err(-errno, "source %s: %s", src, strerror(errno));
		s->ref_id = KITE_FD_TO_CLOCKID(s->ref_fd);
	}
	if (clock_gettime(s->ref_id, &ts) < 0)
		return kite_err(-EINVAL, "source %s: not a clock (%s)", src, strerror(errno));
	return 0;
}

/*
 * The reference's UTC minus CLOCK_REALTIME, from the narrowest of five
 * readings bracketed by CLOCK_REALTIME; *width gets that bracket.
 */
static int64_t reference_skew(const struct kite_clock_servo *s, uint64_t *width)
{
	int64_t best = 0;
	int i;

	*width = 0;
	if (s->ref_id == CLOCK_REALTIME)
		return -s->ahead_ns;
	for (i = 0; i < 5; i++) {
		struct timespec a, ref, b;
		uint64_t w;

		clock_gettime(CLOCK_REALTIME, &a);
		clock_gettime(s->ref_id, &ref);
		clock_gettime(CLOCK_REALTIME, &b);
		w = kite_ts_ns(&b) - kite_ts_ns(&a);
		if (!i || w < *width) {
			*width = w;
			best = (int64_t)(kite_ts_ns(&ref) - (kite_ts_ns(&a) + w / 2)) - s->ahead_ns;
		}
	}
	return best;
}

/*
 * Whether the reference is UTC: CLOCK_REALTIME (or TAI) that NTP or PTP does
 * not keep (adjtimex: unsynchronised) is a clock, not UTC, unless the caller
 * says to trust it. *err_ns gets its own error bound (the kernel's maxerror).
 */
static int reference_synced(struct kite_clock_servo *s, double *err_ns)
{
	struct timex tx = { 0 };
	int state;

	*err_ns = 0;
	if (s->ref_fd >= 0)
		return 1;	/* a PHC: whoever keeps it (ptp4l) knows; we cannot ask */
	state = adjtimex(&tx);
	if (state != TIME_ERROR && !(tx.status & STA_UNSYNC)) {
		*err_ns = (double)tx.maxerror * 1000;	/* us */
		return 1;
	}
	if (!(s->conf.flags & KITE_CLOCK_SERVO_TRUST_UNSYNCED))
		snprintf(s->why, sizeof(s->why), "the system clock is not synchronised (adjtimex): "
			 "the card follows it, but that is not UTC");
	return !!(s->conf.flags & KITE_CLOCK_SERVO_TRUST_UNSYNCED);
}

int kite_clock_servo_open(struct kite_dev *dev, const struct kite_clock_servo_conf *conf,
			  struct kite_clock_servo **out)
{
	struct kite_clock_servo_conf c;
	struct kite_clock_servo *s;
	int err;

	KITE_CALL();
	KITE_NONNULL(dev);
	KITE_NONNULL(conf);
	KITE_NONNULL(out);
	err = kite_abi_in(KITE_ABI_SERVO_CONF, &c, conf, conf->size);
	if (err)
		return err;
	conf = &c;
	if (conf->readings > 25 || conf->interval_s < 0 || conf->lock_ns < 0 ||
	    conf->flags & ~(KITE_CLOCK_SERVO_MONITOR | KITE_CLOCK_SERVO_TRUST_UNSYNCED))
		return kite_err(-EINVAL, "kite_clock_servo_open: readings 0..25, interval and lock "
				"not negative, flags KITE_CLOCK_SERVO_*");
	if (dev->clock_servo)
		return kite_err(-EBUSY, "a clock servo of this process keeps this card already");
	s = calloc(1, sizeof(*s));
	if (!s)
		return kite_err(-ENOMEM, "out of memory");
	s->dev = dev;
	s->conf = *conf;
	if (!s->conf.readings)
		s->conf.readings = 5;
	if (!s->conf.interval_s)
		s->conf.interval_s = 0.25;
	if (!s->conf.lock_ns)
		s->conf.lock_ns = 10000;
	s->st.size = sizeof(s->st);
	s->st.interval_ms = (uint32_t)(1000 * s->conf.interval_s + 0.5);
	snprintf(s->st.source, sizeof(s->st.source), "%s",
		 conf->source ? conf->source : "CLOCK_REALTIME");
	clock_servo_init(&s->servo, 500000);
	err = reference_open(s);
	/* the card is ours: say so (a second servo is refused here), nothing locked yet */
	s->st.updated_ns = kite_realtime_ns();
	if (!err)
		err = kite_clock_publish(dev, &s->st);
	if (!err && !(s->conf.flags & KITE_CLOCK_SERVO_MONITOR))
		err = kite_clock_set_freq(dev, 0);	/* the servo starts from 0 */
	if (err) {
		if (s->ref_fd >= 0)
			close(s->ref_fd);
		free(s);
		return err;
	}
	dev->clock_servo = true;
	*out = s;
	return 0;
}

/* A reading failed: unsync for now, and an error after MAX_FAILURES in a row. */
static int update_failed(struct kite_clock_servo *s, struct kite_clock_update *u)
{
	snprintf(s->why, sizeof(s->why), "%s", kite_last_error());
	u->why = s->why;
	u->flags |= KITE_CLOCK_UPDATE_SKIPPED;
	if (++s->failures >= MAX_FAILURES)
		return kite_err(-EIO, "the card clock could not be read %u times in a row: %s",
				s->failures, s->why);
	s->st.state = KITE_CLOCK_UNSYNC;
	s->st.updated_ns = kite_realtime_ns();
	kite_clock_publish(s->dev, &s->st);
	u->state = s->st.state;
	return 0;
}

static int servo_update(struct kite_clock_servo *s, struct kite_clock_update *u)
{
	enum clock_servo_state ss = SERVO_LOCKED;
	struct kite_clock_sample smp;
	double freq, worst = 0, ref_err;
	uint64_t rt, mid, ref_width, bracket;
	int64_t step = 0, skew;
	uint32_t prev;
	int err, k, ref_ok;

	KITE_NONNULL_IN("kite_clock_servo_update", s);
	memset(u, 0, sizeof(*u));
	s->why[0] = 0;
	err = kite_clock_sample(s->dev, s->conf.readings, &smp);
	if (err)	/* a slow host, another program's command: next time, for a while */
		return update_failed(s, u);
	s->failures = 0;
	bracket = smp.sys_after_ns - smp.sys_before_ns;
	u->bracket_ns = bracket;
	u->state = s->st.state;
	if (bracket > MAX_BRACKET_NS) {	/* the card or host slow just then: says little */
		u->flags |= KITE_CLOCK_UPDATE_SKIPPED;
		snprintf(s->why, sizeof(s->why), "readings bracketed %llu ns at best",
			 (unsigned long long)bracket);
		u->why = s->why;
		return 0;
	}
	/* UTC by the reference at the moment the card latched its clock */
	skew = reference_skew(s, &ref_width);
	rt = smp.sys_before_ns + bracket / 2;
	mid = rt + (uint64_t)skew;
	s->st.offset_ns = (int64_t)(smp.card_ns - mid);
	freq = s->st.freq_ppb;
	if (!(s->conf.flags & KITE_CLOCK_SERVO_MONITOR)) {
		ss = clock_servo_sample(&s->servo, smp.card_ns, mid, &freq, &step);
		if (ss == SERVO_STEP) {
			err = kite_clock_step(s->dev, step);
			/* back: card times up to here come again, and they are not UTC */
			if (!err && step < 0)
				s->floor_ns = smp.card_ns + bracket;
		}
		if (!err && (ss == SERVO_STEP || ss == SERVO_LOCKED))
			err = kite_clock_set_freq(s->dev, freq);
		if (err)
			return update_failed(s, u);
		s->st.freq_ppb = freq;
		s->st.slew_ppb = freq - s->servo.drift_ppb;	/* the P term: the error's growth */
	}
	/* the error bound: the offset seen plus half the bracket, worst of the last few */
	s->err_hist[s->updates % HISTORY] = fabs((double)s->st.offset_ns) + (double)bracket / 2 +
					    (double)ref_width / 2;
	for (k = 0; k < HISTORY && k <= (int)s->updates; k++)
		worst = fmax(worst, s->err_hist[k]);
	ref_ok = reference_synced(s, &ref_err);
	s->st.max_error_ns = (uint64_t)ceil(worst + ref_err);
	prev = s->st.state;
	s->st.state = ss == SERVO_FAULT ? KITE_CLOCK_FAULT :
		      ss == SERVO_LOCKED && s->updates >= HISTORY / 2 && worst <= s->conf.lock_ns &&
		      ref_ok ? KITE_CLOCK_LOCKED : KITE_CLOCK_UNSYNC;
	if (s->st.state == KITE_CLOCK_LOCKED && prev != KITE_CLOCK_LOCKED)	/* older: not UTC */
		s->st.locked_since_ns = (int64_t)(s->floor_ns - smp.card_ns) > 0 ? s->floor_ns :
					smp.card_ns;
	if (ss == SERVO_STEP || ss == SERVO_UNLOCKED) {	/* old errors mean nothing now */
		memset(s->err_hist, 0, sizeof(s->err_hist));
		s->updates = 0;
	}
	s->updates++;
	s->st.updated_ns = rt;	/* readers judge staleness by CLOCK_REALTIME */
	err = kite_clock_publish(s->dev, &s->st);
	if (err)
		return err;
	if (ss == SERVO_FAULT)
		snprintf(s->why, sizeof(s->why), "%s", s->servo.why);
	u->state = s->st.state;
	u->flags |= ss == SERVO_STEP ? KITE_CLOCK_UPDATE_STEPPED : 0;
	u->offset_ns = s->st.offset_ns;
	u->freq_ppb = s->st.freq_ppb;
	u->max_error_ns = s->st.max_error_ns;
	u->why = s->why[0] ? s->why : NULL;
	return 0;
}

int kite_clock_servo_update_sz(struct kite_clock_servo *s, struct kite_clock_update *out,
			       size_t size)
{
	struct kite_clock_update u = { 0 };	/* copied out also when s is NULL */
	int err;

	KITE_CALL_AS("kite_clock_servo_update");
	KITE_NONNULL_IN("kite_clock_servo_update", out);
	err = kite_abi_size_ok(KITE_ABI_CLOCK_UPDATE, size);	/* before the clock is touched */
	if (err)
		return err;
	err = servo_update(s, &u);
	kite_abi_out(KITE_ABI_CLOCK_UPDATE, out, &u, size);	/* the reason, also on error */
	return err;
}

void kite_clock_servo_close(struct kite_clock_servo *s)
{
	if (!s)
		return;
	/* a clock nobody keeps any more is not synchronised: say so at once */
	s->st.state = KITE_CLOCK_UNSYNC;
	s->st.updated_ns = kite_realtime_ns();
	kite_clock_publish(s->dev, &s->st);
	if (s->ref_fd >= 0)
		close(s->ref_fd);
	s->dev->clock_servo = false;
	free(s);
}
