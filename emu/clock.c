// SPDX-License-Identifier: BSD-3-Clause
/*
 * The card clock (hw-spec §3.4): TIME = anchor_card + (host - anchor_host) *
 * rate, host being CLOCK_MONOTONIC and rate 1 + (oscillator error + CLK_FREQ)
 * / 10^6. The oscillator error (--clock-ppm) and a one-off jump
 * (--clock-jump) make the model a clock that needs disciplining; CLK_FREQ
 * and the commands of §3.4.1 are what a servo disciplines it with.
 */
#include <math.h>

#include "clock.h"
#include "emu_internal.h"

static uint64_t card_at(const struct kite_emu *e, uint64_t host)
{
	return e->anchor_card +
	       (uint64_t)(((unsigned __int128)(host - e->anchor_host) * e->rate_q32) >> 32);
}

/* From now on, count from host time host (where the clock is now). */
static void reanchor(struct kite_emu *e, uint64_t host)
{
	e->anchor_card = card_at(e, host);
	e->anchor_host = host;
}

/* The card clock at host time host, once --clock-jump's jump is due: then with it. */
static uint64_t card_now(struct kite_emu *e, uint64_t host)
{
	if (e->jump_at && host >= e->jump_at) {
		reanchor(e, host);
		e->anchor_card += (uint64_t)e->cfg.clock_jump_ns;
		e->jump_at = 0;
		e->now = e->anchor_card;	/* a jump back is a jump back */
	}
	return card_at(e, host);
}

/* The card clock, from CLOCK_MONOTONIC; re-anchors the TSC fast path. */
uint64_t emu_clock(struct kite_emu *e)
{
	uint64_t host = kite_mono_ns(), ns = card_now(e, host);

	e->base_tsc = __rdtsc();
	e->base_ns = ns;
	return (int64_t)(ns - e->now) > 0 ? ns : e->now;	/* monotonic, across the wrap too */
}

/* The rate from the oscillator's error and CLK_FREQ; both in the TSC fast path's slope. */
static void clock_rate(struct kite_emu *e, int32_t freq)
{
	double ppm = e->cfg.clock_ppm + freq / 65536.0;

	reanchor(e, kite_mono_ns());
	e->rate_q32 = (uint64_t)llround((1.0 + ppm * 1e-6) * 4294967296.0);
	e->card_per_tick_q32 = (uint64_t)(((unsigned __int128)e->ns_per_tick_q32 *
					   e->rate_q32) >> 32);
	e->applied_freq = freq;
}

/* §3.4.1: CLK_FREQ, clamped to what the card honours; a 1.3 card has no such register. */
static void clock_freq(struct kite_emu *e)
{
	int32_t f = (int32_t)r32(e, KITE_R_CLK_FREQ);

	if (emu_old_contract(e, 4))
		f = 0;
	f = f > KITE_CLK_FREQ_MAX ? KITE_CLK_FREQ_MAX : f < -KITE_CLK_FREQ_MAX ?
	    -KITE_CLK_FREQ_MAX : f;
	if (f != e->applied_freq)
		clock_rate(e, f);
}

/* TSC ticks per ns, measured once over 20 ms; the clock starts at CLOCK_MONOTONIC. */
void emu_clock_calibrate(struct kite_emu *e)
{
	uint64_t ns, ticks;

	kite_tsc_measure(20000000ULL, &ns, &ticks);
	e->ns_per_tick_q32 = (ns << 32) / (ticks ? ticks : 1);
	e->anchor_host = e->anchor_card = kite_mono_ns();
	e->rate_q32 = 1ULL << 32;
	clock_rate(e, 0);
	if (e->cfg.clock_jump_ns)
		e->jump_at = e->anchor_host + e->cfg.clock_jump_after_ns;
	e->now = emu_clock(e);
}

/* A step (TIME_ADJ, SET): TIME restarts from it, even backwards. */
static void clock_step(struct kite_emu *e, uint64_t host, uint64_t to)
{
	e->anchor_host = host;
	e->anchor_card = to;
	e->now = to;
	e->now = emu_clock(e);
}

/*
 * §3.4.1: execute CLK_CMD when it differs from CLK_ACK, at one instant; the
 * data path loop calls this between passes (the latch's delay is one pass).
 */
void emu_clock_cmd(struct kite_emu *e)
{
	uint32_t cmd = r32(e, KITE_R_CLK_CMD);
	unsigned int op = (unsigned int)KITE_FGET(KITE_CLK_CMD_OP, cmd);
	uint64_t host, t;

	if (cmd == e->clk_ack || emu_old_contract(e, 4))
		return;
	if (op != KITE_CLK_CMD_OP_NONE) {
		clock_freq(e);	/* a rate written before the command applies first */
		host = kite_mono_ns();
		t = card_now(e, host);
		if ((int64_t)(t - e->now) < 0)
			t = e->now;	/* what the data path stamped last is not in the future */
		w64(e, KITE_R_TIME_LATCH, t);
		if (op == KITE_CLK_CMD_OP_SET)
			clock_step(e, host, r64(e, KITE_R_TIME_SET));
		else if (op == KITE_CLK_CMD_OP_STEP)	/* two's complement, modulo 2^64 */
			clock_step(e, host, t + r64(e, KITE_R_TIME_SET));
		else
			e->now = emu_clock(e);	/* the TSC fast path re-anchored (a jump, say) */
	}
	e->clk_ack = cmd;
	__atomic_store_n((uint32_t *)(e->bar + KITE_R_CLK_ACK), cmd, __ATOMIC_RELEASE);
}

/* The clock's part of a control scan: TIME_ADJ (§3.4), CLK_FREQ, commands, and TIME. */
void emu_clock_scan(struct kite_emu *e)
{
	int64_t adj = (int64_t)r64(e, KITE_R_TIME_ADJ);

	if (adj) {
		uint64_t host = kite_mono_ns();

		/* §3.4: two's complement, modulo 2^64 */
		clock_step(e, host, card_now(e, host) + (uint64_t)adj);
		w64(e, KITE_R_TIME_ADJ, 0);
		emu_trace_card_wrote(e, KITE_R_TIME_ADJ, 64);
	}
	clock_freq(e);
	emu_clock_cmd(e);
	e->now = emu_clock(e);
	w64(e, KITE_R_TIME, e->now);
}

/* After a reset (§3.4.1): CLK_FREQ is 0 again, no command is pending, TIME runs on. */
void emu_clock_reset(struct kite_emu *e)
{
	e->clk_ack = 0;
	clock_freq(e);
}
