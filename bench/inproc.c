// SPDX-License-Identifier: BSD-3-Clause
/* The in-process model and client of kite-ipp and kite-bus (inproc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inproc.h"

static void step(void *emu)
{
	kite_emu_step(emu);
}

int inproc_open(struct inproc *ip, const char *tool)
{
	struct kite_emu_config cfg = { .wire = KITE_EMU_WIRE_LOOPBACK };
	struct kite_queue_conf qc = { .tx_ring_size = 256, .rx_ring_size = 256 };
	char sock[64], devstr[80], msg[128] = "";

	memset(ip, 0, sizeof(*ip));
	snprintf(ip->dir, sizeof(ip->dir), "/tmp/%s-XXXXXX", tool);
	if (!mkdtemp(ip->dir)) {
		fprintf(stderr, "%s: cannot make a directory in /tmp\n", tool);
		return -1;
	}
	snprintf(sock, sizeof(sock), "%s/s", ip->dir);
	snprintf(devstr, sizeof(devstr), "emu:%s", sock);
	cfg.socket_path = sock;
	if (kite_emu_create(&cfg, &ip->emu, msg, sizeof(msg)) ||
	    kite_emu_serve(ip->emu, msg, sizeof(msg))) {
		fprintf(stderr, "%s: %s\n", tool, msg);
		return -1;
	}
	if (kite_open(devstr, &ip->dev)) {
		fprintf(stderr, "%s: %s\n", tool, kite_last_error());
		return -1;
	}
	kite_set_wait_hook(ip->dev, step, ip->emu);
	if (kite_pool_create(ip->dev, 1024, 2048, &ip->pool)) {
		fprintf(stderr, "%s: %s\n", tool, kite_last_error());
		return -1;
	}
	qc.rx_pool = ip->pool;
	if (kite_queue_open(ip->dev, 0, &qc, &ip->q) || kite_default_queue_set(ip->dev, 0, 0)) {
		fprintf(stderr, "%s: %s\n", tool, kite_last_error());
		return -1;
	}
	return 0;
}

void inproc_close(struct inproc *ip)
{
	kite_close(ip->dev);
	kite_emu_destroy(ip->emu);
	rmdir(ip->dir);
}
