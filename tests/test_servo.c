// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-clock-sync's PI servo against a simulated card clock: an oscillator
 * off by some ppm, the servo's frequency and steps applied as the card would,
 * measurement noise, a jump, a frozen clock. Deterministic (seeded noise).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "clock_servo.h"

/* Times are kept relative to BASE: a double near 1.7e18 ns has 256 ns steps. */
#define BASE 1700000000000000000ULL

struct sim {
	double card;		/* card clock, ns after BASE */
	double ref;		/* reference (UTC), ns after BASE */
	double osc_ppb;		/* the oscillator's error */
	double freq_ppb;	/* what the servo set */
	double noise_ns;	/* measurement noise, uniform +- */
	int frozen;
	unsigned int seed;
	struct clock_servo s;
};

static void sim_init(struct sim *m, double card0, double osc_ppb, double noise)
{
	*m = (struct sim){ .card = card0, .ref = 0, .osc_ppb = osc_ppb, .noise_ns = noise,
			   .seed = 1 };
	clock_servo_init(&m->s, 500000);
}

/* dt seconds pass, then one sample; returns the servo's state */
static enum clock_servo_state sim_step(struct sim *m, double dt)
{
	double noise = m->noise_ns * (2.0 * rand_r(&m->seed) / RAND_MAX - 1);
	enum clock_servo_state st;
	double freq;
	int64_t step;

	m->ref += dt * 1e9;
	if (!m->frozen)
		m->card += dt * 1e9 * (1 + (m->osc_ppb + m->freq_ppb) * 1e-9);
	st = clock_servo_sample(&m->s, BASE + (uint64_t)llround(m->card + noise),
				BASE + (uint64_t)llround(m->ref), &freq, &step);
	if (st == SERVO_STEP || st == SERVO_LOCKED) {
		m->freq_ppb = freq;
		m->card += (double)step;
	}
	return st;
}

static double offset(const struct sim *m)
{
	return m->card - m->ref;
}

/* A card 2 s off and 25 ppm fast: one step, then locked within 1 us in 20 updates, held. */
static void test_step_response_and_drift(void **state)
{
	struct sim m;
	int i;

	(void)state;
	sim_init(&m, 2e9, 25000, 20);
	assert_int_equal(sim_step(&m, 1), SERVO_UNLOCKED);
	assert_int_equal(sim_step(&m, 1), SERVO_STEP);
	assert_true(fabs(offset(&m)) < 1000);		/* the step took it */
	assert_true(fabs(m.freq_ppb + 25000) < 100);	/* the drift measured from two samples */
	for (i = 0; i < 20; i++)
		assert_int_equal(sim_step(&m, 1), SERVO_LOCKED);
	for (i = 0; i < 200; i++) {
		assert_int_equal(sim_step(&m, 1), SERVO_LOCKED);
		if (fabs(offset(&m)) > 200)
			fail_msg("update %d: offset %.0f ns", i, offset(&m));
	}
	assert_true(fabs(m.freq_ppb + 25000) < 50);
}

/* The oscillator wanders (temperature): the integral follows it. */
static void test_drift_change(void **state)
{
	struct sim m;
	int i;

	(void)state;
	sim_init(&m, 0, -10000, 0);
	for (i = 0; i < 30; i++)
		sim_step(&m, 0.25);
	m.osc_ppb = 5000;	/* 15 ppm in one go */
	for (i = 0; i < 60; i++)
		assert_int_equal(sim_step(&m, 0.25), SERVO_LOCKED);
	assert_true(fabs(offset(&m)) < 50);
	assert_true(fabs(m.freq_ppb + 5000) < 20);
}

/* A jump of the card clock: the servo starts over, measures again and steps it back. */
static void test_jump(void **state)
{
	struct sim m;
	int i, stepped = 0;

	(void)state;
	sim_init(&m, 0, 25000, 20);
	for (i = 0; i < 30; i++)
		sim_step(&m, 1);
	m.card -= 3e9;
	assert_int_equal(sim_step(&m, 1), SERVO_UNLOCKED);
	for (i = 0; i < 3; i++)
		stepped |= sim_step(&m, 1) == SERVO_STEP;
	assert_true(stepped);
	assert_true(fabs(offset(&m)) < 2000);
	/* and a small one (2 ms: a sane rate, but past the step threshold) */
	for (i = 0; i < 10; i++)
		sim_step(&m, 1);
	m.card += 2e6;
	assert_int_equal(sim_step(&m, 1), SERVO_UNLOCKED);
	assert_int_equal(sim_step(&m, 1), SERVO_STEP);
	assert_true(fabs(offset(&m)) < 2000);
}

/* A frozen clock is a fault, not chased: the frequency is left alone; it recovers when it runs. */
static void test_frozen(void **state)
{
	struct sim m;
	double freq;
	int i;

	(void)state;
	sim_init(&m, 0, 25000, 20);
	for (i = 0; i < 20; i++)
		sim_step(&m, 1);
	freq = m.freq_ppb;
	m.frozen = 1;
	assert_int_equal(sim_step(&m, 1), SERVO_UNLOCKED);
	for (i = 0; i < 10; i++)
		assert_int_equal(sim_step(&m, 1), SERVO_FAULT);
	assert_true(m.freq_ppb == freq);
	assert_non_null(m.s.why);
	m.frozen = 0;
	for (i = 0; i < 30; i++)
		sim_step(&m, 1);
	assert_int_equal(m.s.state, SERVO_LOCKED);
	assert_true(fabs(offset(&m)) < 1000);
}

/* An error beyond what the card can correct: the frequency saturates at the limit. */
static void test_saturation(void **state)
{
	struct sim m;
	int i;

	(void)state;
	sim_init(&m, 0, 900000, 0);
	for (i = 0; i < 20; i++)
		sim_step(&m, 1);
	assert_true(m.freq_ppb == -500000);
}

/* The reference stepping back (an NTP step of CLOCK_REALTIME) is not taken for the card's fault. */
static void test_reference_steps_back(void **state)
{
	struct sim m;
	int i;

	(void)state;
	sim_init(&m, 0, 25000, 0);
	for (i = 0; i < 10; i++)
		sim_step(&m, 1);
	m.ref -= 5e9;
	m.card -= 5e9;	/* the card was disciplined to it: it went with it in this simulation */
	assert_int_equal(sim_step(&m, 1), SERVO_UNLOCKED);
	assert_int_not_equal(sim_step(&m, 1), SERVO_FAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_response_and_drift),
		cmocka_unit_test(test_drift_change),
		cmocka_unit_test(test_jump),
		cmocka_unit_test(test_frozen),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_reference_steps_back),
	};

	return cmocka_run_group_tests_name("clock servo", tests, NULL, NULL);
}
