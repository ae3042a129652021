// SPDX-License-Identifier: BSD-3-Clause
/* cmocka fixture: libkite against kite-emu in one process (lib_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "lib_fixture.h"

void step_hook(void *arg)
{
	kite_emu_step(arg);
}

int fx_setup_cfg(void **state, struct kite_emu_config cfg)
{
	struct fx *f = calloc(1, sizeof(*f));
	char msg[256], sock[128];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/kite-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(sock, sizeof(sock), "%s/emu.sock", f->dir);
	snprintf(f->devstr, sizeof(f->devstr), "emu:%s", sock);
	cfg.socket_path = sock;
	assert_int_equal(kite_emu_create(&cfg, &f->emu, msg, sizeof(msg)), 0);
	assert_int_equal(kite_emu_serve(f->emu, msg, sizeof(msg)), 0);
	assert_int_equal(kite_open(f->devstr, &f->dev), 0);
	kite_set_wait_hook(f->dev, step_hook, f->emu);
	assert_int_equal(kite_pool_create(f->dev, 1024, 2048, &f->pool), 0);
	*state = f;
	return 0;
}

int fx_setup(void **state)
{
	return fx_setup_cfg(state, (struct kite_emu_config){ .wire = KITE_EMU_WIRE_LOOPBACK });
}

int fx_setup_pair(void **state)
{
	return fx_setup_cfg(state, (struct kite_emu_config){ .wire = KITE_EMU_WIRE_PAIR });
}

int fx_setup_v11(void **state)
{
	return fx_setup_cfg(state, (struct kite_emu_config){ .contract_minor = 1 });
}

/* A card of contract v1.2: no RX stream rings. */
int fx_setup_v12(void **state)
{
	return fx_setup_cfg(state, (struct kite_emu_config){ .contract_minor = 2 });
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	kite_close(f->dev);
	kite_emu_destroy(f->emu);
	rmdir(f->dir);
	free(f);
	return 0;
}

struct kite_queue *open_q(struct fx *f, unsigned int qid, unsigned int port,
				 unsigned int tx, unsigned int rx)
{
	struct kite_queue_conf c = { .port = port, .tx_ring_size = tx, .rx_ring_size = rx,
				     .rx_pool = f->pool };
	struct kite_queue *q = NULL;
	int err = kite_queue_open(f->dev, qid, &c, &q);

	if (err)
		fail_msg("kite_queue_open(%u): %s", qid, kite_last_error());
	return q;
}

int send_seq(struct fx *f, struct kite_queue *q, uint16_t len, uint64_t seq)
{
	struct kite_pkt *p = kite_pkt_alloc(f->pool);

	assert_non_null(p);
	frame_fill(p->data, len, MAC0, MAC0, seq);
	p->len = len;
	p->cookie = seq;
	if (kite_tx_burst(q, &p, 1) == 1)
		return 1;
	kite_pkt_free(p);
	return 0;
}

struct kite_queue *open_opts(struct fx *f, unsigned int qid, uint32_t flags, uint32_t bytes)
{
	struct kite_queue_conf c = { .port = 0, .tx_ring_size = 64 };
	struct kite_queue_opts o = { .size = sizeof(o), .flags = flags, .rx_stream_bytes = bytes };
	struct kite_queue *q = NULL;

	if (kite_queue_open_opts(f->dev, qid, &c, &o, &q))
		fail_msg("kite_queue_open_opts(%u): %s", qid, kite_last_error());
	return q;
}

struct kite_queue *open_forwarder(struct fx *f, unsigned int fqid, unsigned int tx,
				  uint32_t bytes, unsigned int sqid)
{
	struct kite_queue_conf c = { .port = 1, .tx_ring_size = tx };
	struct kite_queue_opts o = { .size = sizeof(o), .flags = FWD_FLAGS,
				     .rx_stream_bytes = bytes };
	struct kite_queue *q = NULL;

	if (kite_queue_open_opts(f->dev, fqid, &c, &o, &q))
		fail_msg("kite_queue_open_opts(%u): %s", fqid, kite_last_error());
	assert_int_equal(kite_default_queue_set(f->dev, 1, (int)fqid), 0);
	assert_int_equal(kite_default_queue_set(f->dev, 0, (int)sqid), 0);
	return q;
}

struct kite_queue *open_stream(struct fx *f, unsigned int qid, uint32_t bytes)
{
	return open_opts(f, qid, KITE_QUEUE_RX_STREAM, bytes);
}

uint16_t len_for(uint64_t seq)
{
	static const uint16_t lens[] = { 60, 64, 111, 128, 1514, 200, 1000, 47 + 17, 333 };

	return lens[seq % (sizeof(lens) / sizeof(lens[0]))];
}

void hw_stats(struct fx *f, unsigned int qid, struct kite_queue_hw_stats *st)
{
	assert_int_equal(kite_queue_hw_stats(f->dev, qid, st), 0);
}
