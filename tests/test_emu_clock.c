// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-emu's clock from the spec's side (hw-spec §3.4, §3.4.1): the rate
 * register, the latch and set commands, the oscillator's error and a jump,
 * measured against CLOCK_MONOTONIC. Rates are judged from bracketed latches
 * over an interval that grows until the brackets are small against it, so a
 * slow or loaded host takes longer but does not fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "emu_internal.h"

struct cfx {
	struct kite_emu *emu;
	volatile uint8_t *bar;
	uint16_t seq;
};

static uint32_t rd(struct cfx *f, uint32_t off)
{
	return *(volatile uint32_t *)(f->bar + off);
}

static uint64_t rd64(struct cfx *f, uint32_t off)
{
	return *(volatile uint64_t *)(f->bar + off);
}

static void wr(struct cfx *f, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(f->bar + off) = v;
}

static void wr64(struct cfx *f, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(f->bar + off) = v;
}

static struct cfx *open_model(const struct kite_emu_config *base)
{
	struct kite_emu_config cfg = *base;
	struct cfx *f = calloc(1, sizeof(*f));
	char msg[128];

	cfg.wire = KITE_EMU_WIRE_LOOPBACK;
	assert_non_null(f);
	assert_int_equal(kite_emu_create(&cfg, &f->emu, msg, sizeof(msg)), 0);
	f->bar = kite_emu_bars(f->emu);
	kite_emu_step(f->emu);
	return f;
}

static void close_model(struct cfx *f)
{
	kite_emu_destroy(f->emu);
	free(f);
}

static int setup(void **state)
{
	struct kite_emu_config cfg = { 0 };

	*state = open_model(&cfg);
	return 0;
}

static int teardown(void **state)
{
	close_model(*state);
	return 0;
}

static uint32_t new_cmd(struct cfx *f, unsigned int op)
{
	return (uint32_t)(KITE_FPREP(KITE_CLK_CMD_OP, op) | KITE_FPREP(KITE_CLK_CMD_SEQ, ++f->seq));
}

/* One clock command, executed by a step of the model; 0, or fails the test. */
static void command(struct cfx *f, unsigned int op)
{
	uint32_t cmd = new_cmd(f, op);

	wr(f, KITE_R_CLK_CMD, cmd);
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_CLK_ACK), cmd);
}

/*
 * A latch bracketed by host time: the card read TIME between *pre and *post.
 * Executed the way the polling loop does between passes (a whole step would
 * widen the bracket with everything else a step does).
 */
static uint64_t latch(struct cfx *f, uint64_t *pre, uint64_t *post)
{
	uint32_t cmd = new_cmd(f, KITE_CLK_CMD_OP_LATCH);

	*pre = kite_mono_ns();
	wr(f, KITE_R_CLK_CMD, cmd);
	emu_clock_cmd(f->emu);
	*post = kite_mono_ns();
	assert_int_equal(rd(f, KITE_R_CLK_ACK), cmd);
	return rd64(f, KITE_R_TIME_LATCH);
}

/*
 * The card's rate against the host's, in ppm, from two latches an interval
 * apart; *err bounds the error the brackets allow. The interval doubles until
 * that is under 1 ppm (a loaded host only makes this take longer).
 */
static double measure_ppm(struct cfx *f, double *err)
{
	uint64_t a0, b0, a1, b1, t0, t1, gap = 20000000;	/* 20 ms */
	double host;

	for (;;) {
		t0 = latch(f, &a0, &b0);
		usleep((useconds_t)(gap / 1000));
		t1 = latch(f, &a1, &b1);
		host = ((double)a1 + (double)b1) / 2 - ((double)a0 + (double)b0) / 2;
		*err = ((double)(b0 - a0) + (double)(b1 - a1)) / 2 / host * 1e6;
		if (*err < 1 || gap > 10000000000ULL)
			break;
		gap *= 2;
	}
	return ((double)(t1 - t0) / host - 1) * 1e6;
}

/* Fails unless the clock runs want ppm off the host's, within the measurement's error. */
static void expect_ppm(struct cfx *f, double want, const char *what)
{
	double err, ppm = measure_ppm(f, &err);

	/* 0.1 ppm more: the TSC slope's calibration (20 ms of a noisy host) */
	if (ppm < want - err - 0.1 || ppm > want + err + 0.1)
		fail_msg("%s: the clock runs %.3f ppm off, want %.3f (+-%.3f)", what, ppm, want,
			 err + 0.1);
}

static void test_clock_ctl_announced(void **state)
{
	struct cfx *f = *state;

	assert_true(rd(f, KITE_R_ID_FEATURES) & KITE_FMASK(KITE_ID_FEATURES_CLOCK_CTL));
	assert_int_equal(KITE_FGET(KITE_ID_VERSION_MINOR, rd(f, KITE_R_ID_VERSION)), 4);
}

/* An undisciplined model clock runs at the host's rate. */
static void test_clock_rate_nominal(void **state)
{
	expect_ppm(*state, 0, "no oscillator error, no CLK_FREQ");
}

/* §3.4.1: CLK_FREQ speeds the clock up or slows it down by that much, clamped at 500 ppm. */
static void test_clock_freq(void **state)
{
	static const struct { int32_t freq; double want; } c[] = {
		{ 100 << 16, 100 }, { -(250 << 16), -250 }, { 2000 << 16, 500 }, { INT32_MIN, -500 },
		{ (100 << 16) + (1 << 15), 100.5 },
	};
	struct cfx *f = *state;
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		wr(f, KITE_R_CLK_FREQ, (uint32_t)c[i].freq);
		expect_ppm(f, c[i].want, "CLK_FREQ");
	}
}

/* A latch is inside its bracket, and latches never go back. */
static void test_clock_latch_brackets(void **state)
{
	struct cfx *f = *state;
	uint64_t pre, post, t, last = 0, off;
	int i;

	t = latch(f, &pre, &post);
	off = t - (pre + post) / 2;	/* the model starts at CLOCK_MONOTONIC, rate 1 */
	for (i = 0; i < 1000; i++) {
		t = latch(f, &pre, &post);
		assert_true(t > last);
		last = t;
		/* inside [pre, post] in host time, give or take the model's TSC slope */
		assert_true(t - off + 2000 >= pre && t - off <= post + 2000);
	}
}

/* SET: TIME takes the value at once (the data path's stamps too); TIME_LATCH has the old one. */
static void test_clock_set(void **state)
{
	struct cfx *f = *state;
	uint64_t pre, post, before, t;

	before = latch(f, &pre, &post);
	wr64(f, KITE_R_TIME_SET, 1800000000000000000ULL);
	command(f, KITE_CLK_CMD_OP_SET);
	assert_true(rd64(f, KITE_R_TIME_LATCH) >= before);
	assert_true(rd64(f, KITE_R_TIME_LATCH) < 1000000000000000000ULL);
	t = latch(f, &pre, &post);
	assert_true(t >= 1800000000000000000ULL && t < 1800000000000000000ULL + 1000000000ULL);
	assert_true(rd64(f, KITE_R_TIME) >= 1800000000000000000ULL);
	assert_true(emu_clock_fast(f->emu) >= 1800000000000000000ULL);
	/* and back: a set to an earlier time is that time, not the old one held */
	wr64(f, KITE_R_TIME_SET, 1000);
	command(f, KITE_CLK_CMD_OP_SET);
	t = latch(f, &pre, &post);
	assert_true(t >= 1000 && t < 1000 + 1000000000ULL);
	assert_true(emu_clock_fast(f->emu) < 1000 + 1000000000ULL);
}

/* STEP: by a signed offset read only at execution (two 32-bit halves are fine), acknowledged. */
static void test_clock_step(void **state)
{
	struct cfx *f = *state;
	uint64_t pre, post, t0, t1;
	int64_t delta = -(7LL << 32) - 12345;

	t0 = latch(f, &pre, &post);
	wr(f, KITE_R_TIME_SET, (uint32_t)delta);	/* low half: nothing happens yet */
	kite_emu_step(f->emu);
	wr(f, KITE_R_TIME_SET + 4, (uint32_t)((uint64_t)delta >> 32));
	command(f, KITE_CLK_CMD_OP_STEP);
	assert_true(rd64(f, KITE_R_TIME_LATCH) >= t0);	/* the value before the step */
	t1 = latch(f, &pre, &post);
	/* back by 30 s and a bit, plus the little time between the latches */
	assert_true((int64_t)(t1 - t0) > delta && (int64_t)(t1 - t0) < delta + 1000000000LL);
	assert_true(emu_clock_fast(f->emu) < t0);	/* the data path's stamps too */
}

/* No command without a new value: CLK_CMD equal to CLK_ACK is idle; NONE only acknowledges. */
static void test_clock_cmd_idle(void **state)
{
	struct cfx *f = *state;
	uint64_t pre, post, t;

	t = latch(f, &pre, &post);
	kite_emu_step(f->emu);
	assert_int_equal(rd64(f, KITE_R_TIME_LATCH), t);
	command(f, KITE_CLK_CMD_OP_NONE);
	assert_int_equal(rd64(f, KITE_R_TIME_LATCH), t);	/* NONE latches nothing */
	wr(f, KITE_R_CLK_CMD, rd(f, KITE_R_CLK_ACK));
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_CLK_ACK), rd(f, KITE_R_CLK_CMD));
}

/* A reset sets CLK_FREQ to 0 and leaves TIME where it was (running). */
static void test_clock_reset(void **state)
{
	struct cfx *f = *state;
	uint64_t pre, post, t;

	wr64(f, KITE_R_TIME_SET, 5000000000000ULL);
	command(f, KITE_CLK_CMD_OP_SET);
	wr(f, KITE_R_CLK_FREQ, 300 << 16);
	kite_emu_step(f->emu);
	wr(f, KITE_R_GCTRL, 1);
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_CLK_FREQ), 0);
	assert_int_equal(rd(f, KITE_R_CLK_ACK), 0);
	f->seq = 0;
	t = latch(f, &pre, &post);
	assert_true(t >= 5000000000000ULL && t < 5000000000000ULL + 10000000000ULL);
	expect_ppm(f, 0, "after a reset");
}

/* --clock-ppm: the oscillator's error, on top of CLK_FREQ (which can cancel it). */
static void test_clock_oscillator_error(void **state)
{
	struct kite_emu_config cfg = { .clock_ppm = -42.5 };
	struct cfx *f = open_model(&cfg);

	(void)state;
	expect_ppm(f, -42.5, "--clock-ppm -42.5");
	wr(f, KITE_R_CLK_FREQ, (uint32_t)(42.5 * 65536));
	expect_ppm(f, 0, "--clock-ppm -42.5 and CLK_FREQ +42.5");
	close_model(f);
}

/* --clock-jump: once, by that much, when it is due. */
static void test_clock_jump(void **state)
{
	struct kite_emu_config cfg = { .clock_jump_ns = -3000000000LL,
				       .clock_jump_after_ns = 500000000 };
	struct cfx *f = open_model(&cfg);
	uint64_t a0, b0, a1, b1, t0, t1, t2;
	double back;

	(void)state;
	t0 = latch(f, &a0, &b0);
	if (kite_mono_ns() - f->emu->anchor_host > 400000000)
		skip();	/* the host was too slow to take the first reading before the jump */
	usleep(1000000);
	t1 = latch(f, &a1, &b1);
	assert_true(emu_clock_fast(f->emu) - t1 < 1000000000ULL);	/* stamps jumped too */
	/* 3 s back, less the host time between the latches (give or take their brackets) */
	back = (double)(int64_t)(t0 - t1) + ((double)(a1 + b1) - (double)(a0 + b0)) / 2;
	if (back < 3e9 - (double)(b0 - a0 + b1 - a1) - 1e5 || back > 3e9 + (double)(b0 - a0 + b1 - a1) + 1e5)
		fail_msg("--clock-jump -3 s: the clock went back %.0f ns", back);
	usleep(50000);
	t2 = latch(f, &a0, &b0);
	assert_true(t2 > t1 && t2 - t1 < 2000000000ULL);	/* once */
	close_model(f);
}

/* A card of contract 1.3 has no clock control: commands are not executed. */
static void test_clock_old_contract(void **state)
{
	struct kite_emu_config cfg = { .contract_minor = 3 };
	struct cfx *f = open_model(&cfg);

	(void)state;
	assert_false(rd(f, KITE_R_ID_FEATURES) & KITE_FMASK(KITE_ID_FEATURES_CLOCK_CTL));
	wr(f, KITE_R_CLK_CMD, new_cmd(f, KITE_CLK_CMD_OP_LATCH));
	kite_emu_step(f->emu);
	assert_int_equal(rd(f, KITE_R_CLK_ACK), 0);
	close_model(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clock_ctl_announced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_rate_nominal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_freq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_latch_brackets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_cmd_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_reset, setup, teardown),
		cmocka_unit_test(test_clock_oscillator_error),
		cmocka_unit_test(test_clock_jump),
		cmocka_unit_test(test_clock_old_contract),
	};

	return cmocka_run_group_tests_name("kite-emu clock", tests, NULL, NULL);
}
