// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the shared control sequences (hw/kite_hw.c) against a fake register
 * file whose card answers as each case says. The fake clock advances 1 ms
 * per poll, so timeouts are exact and cost nothing.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "kite_hw.h"

enum fake_op { OP_START, OP_STOP, OP_COMMIT, OP_RESET, OP_PORT };

struct fake_card {
	u32 regs[KITE_BAR_CTRL_SIZE / 4];
	u32 start_answer;	/* Q_STATUS after ENABLE: RUNNING, ERROR|CAUSE, or 0 (silent) */
	bool stop_stuck;	/* Q_STATUS keeps RUNNING after ENABLE is cleared */
	u32 ack_ahead;		/* CFG_ACK = CFG_COMMIT + this (another writer's later number) */
	bool start_late;	/* runs only once ENABLE is cleared again, and then will not stop */
	bool gone_on_enable;	/* leaves the bus when ENABLE is written */
	bool no_ack, reset_stuck, gone;
	bool clk_no_ack;		/* §3.4.1 commands are never acknowledged */
	bool clk_intruder;		/* another program's command runs after each of ours */
	u64 card_time;			/* what a latch reads */
	u64 now;
	unsigned int pauses;
};

static u32 fake_rd32_intruded(struct fake_card *c, u32 off);

static u32 fake_rd32(void *os, u32 off)
{
	struct fake_card *c = os;

	return c->gone ? ~0U : fake_rd32_intruded(c, off);
}

static void fake_wr32(void *os, u32 off, u32 v)
{
	struct fake_card *c = os;
	u32 q = (off - KITE_R_Q_CTRL) / KITE_R_Q_CTRL_STRIDE;

	if (c->gone)
		return;
	c->regs[off / 4] = v;
	if (off >= KITE_R_Q_CTRL && off < KITE_R_AT(Q_CTRL, KITE_MAX_QUEUES) &&
	    (off - KITE_R_Q_CTRL) % KITE_R_Q_CTRL_STRIDE == 0) {
		u32 *st = &c->regs[KITE_R_AT(Q_STATUS, q) / 4];

		if (v & KITE_FMASK(KITE_Q_CTRL_ENABLE))
			*st = c->start_answer;
		else if (c->start_late)
			*st = KITE_FMASK(KITE_Q_STATUS_RUNNING);
		else if (!c->stop_stuck)
			*st = 0;
		if ((v & KITE_FMASK(KITE_Q_CTRL_ENABLE)) && c->gone_on_enable)
			c->gone = true;
	}
	if (off == KITE_R_CFG_COMMIT && !c->no_ack)
		c->regs[KITE_R_CFG_ACK / 4] = v + c->ack_ahead;
	if (off == KITE_R_GCTRL && !c->reset_stuck) {
		c->regs[KITE_R_GCTRL / 4] = 0;
		c->regs[KITE_R_CLK_FREQ / 4] = 0;	/* §3.4.1 */
	}
	if (off == KITE_R_CLK_CMD && !c->clk_no_ack) {
		u64 operand = c->regs[KITE_R_TIME_SET / 4] |
			      (u64)c->regs[KITE_R_TIME_SET / 4 + 1] << 32;

		c->regs[KITE_R_TIME_LATCH / 4] = lower_32_bits(c->card_time);
		c->regs[KITE_R_TIME_LATCH / 4 + 1] = upper_32_bits(c->card_time);
		if (KITE_FGET(KITE_CLK_CMD_OP, v) == KITE_CLK_CMD_OP_SET)
			c->card_time = operand;
		if (KITE_FGET(KITE_CLK_CMD_OP, v) == KITE_CLK_CMD_OP_STEP)
			c->card_time += operand;
		c->regs[KITE_R_CLK_ACK / 4] = v;
	}
}

/* After we read CLK_ACK once, another program's command completes (clk_intruder). */
static u32 fake_rd32_intruded(struct fake_card *c, u32 off)
{
	u32 v = c->regs[off / 4];

	if (c->clk_intruder && off == KITE_R_TIME_LATCH)
		c->regs[KITE_R_CLK_ACK / 4] = 0x1ff00;	/* tag 0xff's LATCH */
	return v;
}

static void fake_wr64(void *os, u32 off, u64 v)
{
	fake_wr32(os, off, lower_32_bits(v));
	fake_wr32(os, off + 4, upper_32_bits(v));
}

static u64 fake_now(void *os)
{
	return ((struct fake_card *)os)->now;
}

static void fake_pause(void *os)
{
	struct fake_card *c = os;

	c->now += NSEC_PER_MSEC;
	c->pauses++;
}

static void fake_fence(void *os)
{
}

static const struct kite_hw_os fake_ops = {
	.rd32 = fake_rd32, .wr32 = fake_wr32, .wr64 = fake_wr64,
	.now_ns = fake_now, .pause = fake_pause, .fence = fake_fence,
};

struct hw_case {
	const char *desc;
	enum fake_op op;
	struct fake_card card;	/* how the card behaves */
	int want;
	unsigned int pauses;		/* how long the caller must wait (a timeout: all of it) */
	const char *msg;		/* part of hw->msg, for errors */
	bool may_run;			/* the queue may still run: its rings are not safe */
};

#define RUNNING	KITE_FMASK(KITE_Q_STATUS_RUNNING)
#define REFUSED	(KITE_FMASK(KITE_Q_STATUS_ERROR) | \
		 KITE_FPREP(KITE_Q_STATUS_CAUSE, KITE_Q_STATUS_CAUSE_BAD_CONFIG))

static const struct hw_case hw_cases[] = {
	{ "start: RUNNING", OP_START, { .start_answer = RUNNING }, 0, 0, NULL },
	{ "start refused: the error at once, not after the timeout", OP_START,
	  { .start_answer = REFUSED }, -EIO, 0,
	  "queue 3: the card refused to start it: Q_STATUS 0x00000502 (CAUSE 5)" },
	{ "start never answered: timeout", OP_START, { .start_answer = 0 }, -ETIMEDOUT, 11,
	  "queue 3 did not start within 10 ms: Q_STATUS 0x00000000" },
	{ "start never answered, then runs and will not stop: rings not safe",
	  OP_START, { .start_late = true }, -ETIMEDOUT, 22,
	  "queue 3 did not stop within 10 ms: Q_STATUS 0x00000001", true },
	{ "the card leaves during the start: -ENODEV, not a refusal", OP_START,
	  { .start_answer = RUNNING, .gone_on_enable = true }, -ENODEV, 0,
	  "queue 3 did not start: the card is gone (Q_STATUS reads 0xffffffff)" },
	{ "stop", OP_STOP, { .start_answer = RUNNING }, 0, 0, NULL },
	{ "stop timeout: the error, with the state seen", OP_STOP,
	  { .stop_stuck = true }, -ETIMEDOUT, 11,
	  "queue 3 did not stop within 10 ms: Q_STATUS 0x00000001" },
	{ "commit acknowledged by its own number", OP_COMMIT, { }, 0, 0, NULL },
	{ "commit acknowledged by a later number", OP_COMMIT, { .ack_ahead = 5 }, 0, 0, NULL },
	{ "commit never acknowledged", OP_COMMIT, { .no_ack = true }, -ETIMEDOUT, 11,
	  "configuration commit 1 not acknowledged within 10 ms" },
	{ "port change commits", OP_PORT, { }, 0, 0, NULL },
	{ "reset", OP_RESET, { }, 0, 0, NULL },
	{ "reset that never ends", OP_RESET, { .reset_stuck = true }, -ETIMEDOUT, 21,
	  "the card did not finish its reset within 20 ms: GCTRL 0x00000001" },
	{ "surprise removal during start: -ENODEV at once", OP_START, { .gone = true },
	  -ENODEV, 0, "the card is gone" },
	{ "surprise removal during stop", OP_STOP, { .gone = true }, -ENODEV, 0,
	  "queue 3 did not stop: the card is gone (Q_STATUS reads 0xffffffff)" },
	{ "surprise removal during commit", OP_COMMIT, { .gone = true }, -ENODEV, 0, NULL },
	{ "surprise removal during reset", OP_RESET, { .gone = true }, -ENODEV, 0, NULL },
};

static void hw_case_desc(const struct hw_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hw, hw_cases, hw_case_desc);

static void kite_hw_sequence_test(struct kunit *test)
{
	const struct hw_case *c = test->param_value;
	struct kite_hw_queue_cfg qc = { .qid = 3, .tx_log2 = 8, .rx_log2 = 8,
					.rx_buf_size = 2048 };
	struct fake_card *card = kunit_kzalloc(test, sizeof(*card), GFP_KERNEL);
	struct kite_hw hw;
	int got = 0;

	KUNIT_ASSERT_NOT_NULL(test, card);
	*card = c->card;
	if (!card->gone)
		card->regs[KITE_R_ID_MAGIC / 4] = KITE_MAGIC;
	if (c->op == OP_STOP && card->stop_stuck)
		card->regs[KITE_R_AT(Q_STATUS, 3) / 4] = RUNNING;
	kite_hw_init(&hw, &fake_ops, card, 1);
	switch (c->op) {
	case OP_START:
		got = kite_hw_queue_start(&hw, &qc);
		break;
	case OP_STOP:
		got = kite_hw_queue_stop(&hw, 3);
		break;
	case OP_COMMIT:
		got = kite_hw_commit(&hw);
		break;
	case OP_RESET:
		got = kite_hw_reset(&hw);
		break;
	case OP_PORT:
		got = kite_hw_port_set(&hw, 1, 9000, 4);
		KUNIT_EXPECT_EQ(test, card->regs[KITE_R_AT(P_MTU, 1) / 4], 9000);
		KUNIT_EXPECT_EQ(test, card->regs[KITE_R_AT(P_CTRL, 1) / 4],
				(u32)(KITE_FMASK(KITE_P_CTRL_DEFAULT_EN) |
				      KITE_FPREP(KITE_P_CTRL_DEFAULT_QUEUE, 4)));
		break;
	}
	KUNIT_EXPECT_EQ(test, got, c->want);
	KUNIT_EXPECT_EQ(test, card->pauses, c->pauses);
	KUNIT_EXPECT_EQ(test, hw.may_run, c->may_run);
	if (c->msg)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(hw.msg, c->msg), "message: %s", hw.msg);
	if (c->op == OP_START && c->want == -EIO)	/* a refused queue is left disabled */
		KUNIT_EXPECT_EQ(test, card->regs[KITE_R_AT(Q_CTRL, 3) / 4], 0);
}

/* A queue that lost its owner: its port default and (for UIO) its filters go. */
static void kite_hw_forget_queue_test(struct kunit *test)
{
	struct fake_card *card = kunit_kzalloc(test, sizeof(*card), GFP_KERNEL);
	const u32 on = KITE_FMASK(KITE_P_CTRL_ENABLE) | KITE_FMASK(KITE_P_CTRL_DEFAULT_EN);
	const u32 dflt5 = on | KITE_FPREP(KITE_P_CTRL_DEFAULT_QUEUE, 5);
	const u32 dflt6 = on | KITE_FPREP(KITE_P_CTRL_DEFAULT_QUEUE, 6);
	struct kite_hw hw;

	KUNIT_ASSERT_NOT_NULL(test, card);
	card->regs[KITE_R_ID_MAGIC / 4] = KITE_MAGIC;
	card->regs[KITE_R_AT(P_CTRL, 0) / 4] = dflt5;
	card->regs[KITE_R_AT(P_CTRL, 1) / 4] = dflt6;
	card->regs[KITE_R_AT(F_CTRL, 2) / 4] = kite_f_ctrl(KITE_F_CTRL_TYPE_UDP_DST, 0, 5, 0);
	card->regs[KITE_R_AT(F_CTRL, 9) / 4] = kite_f_ctrl(KITE_F_CTRL_TYPE_UDP_DST, 0, 6, 0);
	kite_hw_init(&hw, &fake_ops, card, 1);

	KUNIT_EXPECT_EQ(test, kite_hw_forget_queue(&hw, 5, 2, 64, false), 0);
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_AT(P_CTRL, 0) / 4],
			(u32)KITE_FMASK(KITE_P_CTRL_ENABLE));	/* the link stays up */
	KUNIT_EXPECT_NE(test, card->regs[KITE_R_AT(F_CTRL, 2) / 4], 0);	/* kite.ko's job */
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_CFG_COMMIT / 4], 1);
	KUNIT_EXPECT_EQ(test, kite_hw_forget_queue(&hw, 5, 2, 64, true), 0);
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_AT(F_CTRL, 2) / 4], 0);
	KUNIT_EXPECT_NE(test, card->regs[KITE_R_AT(F_CTRL, 9) / 4], 0);	/* queue 6's */
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_AT(P_CTRL, 1) / 4], dflt6);
	/* nothing left to change: no commit */
	KUNIT_EXPECT_EQ(test, kite_hw_forget_queue(&hw, 5, 2, 64, true), 0);
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_CFG_COMMIT / 4], 2);
}

/* gettimex64's pre and post stamps, in the order they came, around the card's latch */
struct stamps {
	struct fake_card *card;
	char order[4];
	unsigned int n;
	u32 cmd_at_pre;		/* CLK_CMD when the pre stamp was taken: not yet written */
};

static void record_stamp(void *ctx, int post)
{
	struct stamps *s = ctx;

	if (!post)
		s->cmd_at_pre = s->card->regs[KITE_R_CLK_CMD / 4];
	if (s->n < sizeof(s->order) - 1)
		s->order[s->n++] = post ? 'b' : 'a';
}

/* §3.4.1: latch, set, step and rate; timeouts name the register; a card gone is -ENODEV */
static void kite_hw_clock_test(struct kunit *test)
{
	struct fake_card *card = kunit_kzalloc(test, sizeof(*card), GFP_KERNEL);
	struct stamps st = { .card = card };
	struct kite_hw hw;
	u64 ns = 0;

	KUNIT_ASSERT_NOT_NULL(test, card);
	card->regs[KITE_R_ID_MAGIC / 4] = KITE_MAGIC;
	card->regs[KITE_R_CLK_ACK / 4] = 0x12aff;	/* tag 0x2a's last, counter 0xff */
	card->regs[KITE_R_CLK_CMD / 4] = 0x12aff;
	card->card_time = 0x123456789abcdefULL;
	kite_hw_init(&hw, &fake_ops, card, 1);
	hw.clk_tag = 0x2a;
	hw.clk_count = 0xfe;

	KUNIT_EXPECT_EQ(test, kite_hw_clock_latch(&hw, &ns, record_stamp, &st), 0);
	KUNIT_EXPECT_EQ(test, ns, 0x123456789abcdefULL);
	KUNIT_EXPECT_STREQ(test, st.order, "ab");
	KUNIT_EXPECT_EQ(test, st.cmd_at_pre, 0x12aff);	/* pre stamp before the write */
	/* 0x2aff is what CLK_ACK holds: not new, so the counter moves on (wraps) to 0x2a00 */
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_CLK_CMD / 4],
			(u32)KITE_FPREP(KITE_CLK_CMD_OP, KITE_CLK_CMD_OP_LATCH) | 0x2a00);
	KUNIT_EXPECT_EQ(test, kite_hw_clock_latch(&hw, &ns, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_CLK_CMD / 4] & 0xffff, 0x2a01);

	KUNIT_EXPECT_EQ(test, kite_hw_clock_set(&hw, 1700000000123456789ULL), 0);
	KUNIT_EXPECT_EQ(test, kite_hw_clock_latch(&hw, &ns, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, ns, 1700000000123456789ULL);
	KUNIT_EXPECT_EQ(test, kite_hw_clock_step(&hw, -(5LL << 32)), 0);
	KUNIT_EXPECT_EQ(test, kite_hw_clock_latch(&hw, &ns, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, ns, 1700000000123456789ULL - (5ULL << 32));

	kite_hw_clock_freq(&hw, 12345);
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_CLK_FREQ / 4], 12345);
	kite_hw_clock_freq(&hw, -100000000L);
	KUNIT_EXPECT_EQ(test, (s32)card->regs[KITE_R_CLK_FREQ / 4], -KITE_CLK_FREQ_MAX);
	kite_hw_clock_freq(&hw, 100000000L);
	KUNIT_EXPECT_EQ(test, (s32)card->regs[KITE_R_CLK_FREQ / 4], KITE_CLK_FREQ_MAX);
	/* a reset zeroes the card's rate: the rate it had is written back, whoever set it */
	card->regs[KITE_R_ID_FEATURES / 4] = KITE_FMASK(KITE_ID_FEATURES_CLOCK_CTL);
	kite_hw_clock_freq(&hw, -777);
	KUNIT_EXPECT_EQ(test, kite_hw_reset(&hw), 0);
	KUNIT_EXPECT_EQ(test, (s32)card->regs[KITE_R_CLK_FREQ / 4], -777);
	card->regs[KITE_R_CLK_FREQ / 4] = 4242;	/* another program's rate, set since */
	KUNIT_EXPECT_EQ(test, kite_hw_reset(&hw), 0);
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_CLK_FREQ / 4], 4242);
	/* a card without clock control: that register is not its, never written */
	card->regs[KITE_R_ID_FEATURES / 4] = 0;
	KUNIT_EXPECT_EQ(test, kite_hw_reset(&hw), 0);
	KUNIT_EXPECT_EQ(test, card->regs[KITE_R_CLK_FREQ / 4], 0);

	/* another program's command between our acknowledgment and our read: refused */
	card->clk_intruder = true;
	KUNIT_EXPECT_EQ(test, kite_hw_clock_latch(&hw, &ns, NULL, NULL), -EAGAIN);
	KUNIT_EXPECT_NOT_NULL(test, strstr(hw.msg, "only one may drive the clock"));
	card->clk_intruder = false;

	card->clk_no_ack = true;
	st.n = 0;
	KUNIT_EXPECT_EQ(test, kite_hw_clock_latch(&hw, &ns, record_stamp, &st), -ETIMEDOUT);
	KUNIT_EXPECT_STREQ(test, st.order, "ab");
	KUNIT_EXPECT_NOT_NULL(test, strstr(hw.msg, "unacknowledged within 10 us: CLK_ACK 0x"));
	/* the acknowledgment seen is another issuer's: the message says so */
	card->regs[KITE_R_CLK_ACK / 4] = 0x1ff07;
	KUNIT_EXPECT_EQ(test, kite_hw_clock_step(&hw, 1000), -ETIMEDOUT);
	KUNIT_EXPECT_NOT_NULL(test, strstr(hw.msg, "another program's"));
	card->gone = true;
	KUNIT_EXPECT_EQ(test, kite_hw_clock_latch(&hw, &ns, NULL, NULL), -ENODEV);
	KUNIT_EXPECT_EQ(test, kite_hw_clock_set(&hw, 1), -ENODEV);
}

static struct kunit_case kite_hw_cases[] = {
	KUNIT_CASE_PARAM(kite_hw_sequence_test, hw_gen_params),
	KUNIT_CASE(kite_hw_forget_queue_test),
	KUNIT_CASE(kite_hw_clock_test),
	{}
};

static struct kunit_suite kite_hw_suite = {
	.name = "kite_hw",
	.test_cases = kite_hw_cases,
};

kunit_test_suite(kite_hw_suite);

MODULE_LICENSE("GPL");
