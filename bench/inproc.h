/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A kite-emu in this process (step mode, loopback wire) and a libkite client
 * of it with queue 0 open and receiving the port's unmatched frames: the
 * deterministic setup kite-ipp and kite-bus measure on.
 */
#ifndef KITE_BENCH_INPROC_H
#define KITE_BENCH_INPROC_H

#include "emu.h"
#include "kite/kite.h"

struct inproc {
	char dir[32];
	struct kite_emu *emu;
	struct kite_dev *dev;
	struct kite_pool *pool;
	struct kite_queue *q;
};

/* 0, or prints "TOOL: why" and returns -1. */
int inproc_open(struct inproc *ip, const char *tool);
void inproc_close(struct inproc *ip);

#endif
