/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A PI clock servo, as linuxptp's pi.c: the first two samples measure the
 * frequency error and step the clock once; from then on a proportional and
 * an integral term steer the frequency. An offset beyond the step threshold
 * (a jump) starts over; a clock that does not advance at a sane rate against
 * the reference (frozen, or wildly off) is a fault, never chased.
 */
#ifndef KITE_CLOCK_SERVO_H
#define KITE_CLOCK_SERVO_H

#include <stdint.h>

enum clock_servo_state {
	SERVO_UNLOCKED,		/* no sample, or one: nothing to do yet */
	SERVO_STEP,		/* step the clock by *step, set the frequency */
	SERVO_LOCKED,		/* set the frequency */
	SERVO_FAULT,		/* the clock's rate is not sane: adjust nothing */
};

struct clock_servo {
	/* configuration: gains per second of update interval, limits */
	double kp, ki;
	double step_threshold_ns;	/* an offset beyond this while locked: start over */
	double max_ppb;			/* what the clock can do (hw-spec: 500 ppm) */
	/* state */
	enum clock_servo_state state;
	unsigned int samples;		/* since the last start over */
	double drift_ppb;		/* the integral: the clock's frequency error, negated */
	double freq_ppb;		/* the adjustment in force */
	int64_t last_offset;
	uint64_t last_card, last_ref;
	int64_t pending_step;		/* the step asked for at the last sample */
	unsigned int insane;		/* intervals in a row at an insane rate */
	const char *why;		/* what the last fault was */
};

void clock_servo_init(struct clock_servo *s, double max_ppb);

/*
 * One measurement: the card clock read card_ns when the reference (UTC)
 * read ref_ns. Returns the new state; *freq_ppb gets the frequency to set
 * (for STEP and LOCKED) and *step_ns how far to step the clock (STEP).
 */
enum clock_servo_state clock_servo_sample(struct clock_servo *s, uint64_t card_ns,
					  uint64_t ref_ns, double *freq_ppb, int64_t *step_ns);

#endif /* KITE_CLOCK_SERVO_H */
