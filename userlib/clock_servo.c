// SPDX-License-Identifier: BSD-3-Clause
/*
 * The PI servo of kite-clock-sync (clock_servo.h says what it does). Offsets
 * are card - reference in ns; frequencies are what to set, in ppb.
 */
#include <math.h>

#include "clock_servo.h"

#define FIRST_STEP_NS	20000.0		/* a first offset under this is not stepped */

void clock_servo_init(struct clock_servo *s, double max_ppb)
{
	*s = (struct clock_servo){
		.kp = 0.7, .ki = 0.3,	/* linuxptp's defaults, per update */
		.step_threshold_ns = 1e6, .max_ppb = max_ppb,
	};
}

static double clamp(const struct clock_servo *s, double ppb)
{
	return ppb > s->max_ppb ? s->max_ppb : ppb < -s->max_ppb ? -s->max_ppb : ppb;
}

/* This sample is the first of a new start: the frequency in force stays. */
static enum clock_servo_state start_over(struct clock_servo *s, enum clock_servo_state st)
{
	s->samples = 1;
	s->state = st;
	return st;
}

enum clock_servo_state clock_servo_sample(struct clock_servo *s, uint64_t card_ns,
					  uint64_t ref_ns, double *freq_ppb, int64_t *step_ns)
{
	int64_t offset = (int64_t)(card_ns - ref_ns);
	int64_t card_dt = (int64_t)(card_ns - s->last_card) - s->pending_step;
	int64_t ref_dt = (int64_t)(ref_ns - s->last_ref);
	unsigned int samples = s->samples;
	int64_t last = s->last_offset + s->pending_step;	/* as the step left it */
	double dt, rate;

	*freq_ppb = s->freq_ppb;
	*step_ns = 0;
	s->last_card = card_ns;
	s->last_ref = ref_ns;
	s->last_offset = offset;
	s->pending_step = 0;
	if (!samples)
		return start_over(s, SERVO_UNLOCKED);
	if (ref_dt <= 0)	/* the reference went back (stepped): nothing to compare */
		return start_over(s, SERVO_UNLOCKED);
	/* the card's rate: a jump makes one interval insane, a frozen clock every one */
	if (card_dt < ref_dt / 2 || card_dt > ref_dt + ref_dt / 2) {
		s->why = card_dt < ref_dt / 2 ? "the card clock is not advancing at the reference's rate" :
				   "the card clock is running far faster than the reference";
		if (++s->insane >= 2)
			return start_over(s, SERVO_FAULT);
		return start_over(s, SERVO_UNLOCKED);
	}
	s->insane = 0;
	dt = (double)ref_dt * 1e-9;
	if (samples == 1) {
		/* the offset's rate is the clock's error under the frequency in force */
		rate = (double)(offset - last) / dt;
		s->drift_ppb = clamp(s, s->freq_ppb - rate);
		s->freq_ppb = s->drift_ppb;
		s->samples = 2;
		*freq_ppb = s->freq_ppb;
		if (fabs((double)offset) <= FIRST_STEP_NS)
			return s->state = SERVO_LOCKED;
		*step_ns = -offset;
		s->pending_step = -offset;
		return s->state = SERVO_STEP;
	}
	if (fabs((double)offset) > s->step_threshold_ns)	/* a jump: measure again */
		return start_over(s, SERVO_UNLOCKED);
	s->drift_ppb = clamp(s, s->drift_ppb - s->ki * (double)offset / dt);
	s->freq_ppb = clamp(s, s->drift_ppb - s->kp * (double)offset / dt);
	s->samples++;
	*freq_ppb = s->freq_ppb;
	return s->state = SERVO_LOCKED;
}
