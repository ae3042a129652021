/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmocka fixture for libkite against kite-emu in one process, the model in
 * step mode (test_lib, test_fastpath, test_forward).
 */
#ifndef KITE_TEST_LIB_FIXTURE_H
#define KITE_TEST_LIB_FIXTURE_H

#include <stdint.h>

#include "emu.h"
#include "kite/kite.h"

#define MAC0 0x026b69746500ULL	/* port 0's reset MAC (regs.def) */

struct fx {
	char dir[64];
	char devstr[160];
	struct kite_emu *emu;
	struct kite_dev *dev;
	struct kite_pool *pool;
};

/* kite_set_wait_hook callback: the model steps while libkite waits */
void step_hook(void *arg);
int fx_setup_cfg(void **state, struct kite_emu_config cfg);
int fx_setup(void **state);		/* loopback wire */
int fx_setup_pair(void **state);	/* port 0 and 1 cabled together */
int fx_setup_v11(void **state);		/* a card of contract v1.1 */
int fx_setup_v12(void **state);		/* a card of contract v1.2 */
int fx_teardown(void **state);
/* a descriptor queue with tx/rx ring entries, RX from the fixture's pool */
struct kite_queue *open_q(struct fx *f, unsigned int qid, unsigned int port,
			  unsigned int tx, unsigned int rx);
/* Queue a frame with sequence number seq; returns 1 if the ring took it. */
int send_seq(struct fx *f, struct kite_queue *q, uint16_t len, uint64_t seq);

/* contract 1.3: a stream queue whose frames can be forwarded in place */
#define FWD_FLAGS (KITE_QUEUE_RX_STREAM | KITE_QUEUE_TX_WB)
/* a queue on port 0 with kite_queue_opts flags (a 64-entry TX ring, no RX pool) */
struct kite_queue *open_opts(struct fx *f, unsigned int qid, uint32_t flags, uint32_t bytes);
/*
 * The pair wire's forwarder: queue fqid on port 1 (FWD_FLAGS, a TX ring of
 * tx entries, a stream ring of bytes, 0: the default) takes port 1's frames;
 * queue sqid, the sender's on port 0, takes port 0's (what fqid sent back).
 */
struct kite_queue *open_forwarder(struct fx *f, unsigned int fqid, unsigned int tx,
				  uint32_t bytes, unsigned int sqid);
/* a stream queue (KITE_QUEUE_RX_STREAM) of bytes (0: the default) */
struct kite_queue *open_stream(struct fx *f, unsigned int qid, uint32_t bytes);
/* frame lengths that vary with seq: 60..1514, records of 2..24 chunks */
uint16_t len_for(uint64_t seq);
/* the card's counters of queue qid */
void hw_stats(struct fx *f, unsigned int qid, struct kite_queue_hw_stats *st);

#endif
