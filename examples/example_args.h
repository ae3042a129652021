/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line addresses for the kite-net examples: parsed whole, with a
 * message naming the option; a bad value exits with status 2 (as tools/args.h).
 */
#ifndef KITE_EXAMPLE_ARGS_H
#define KITE_EXAMPLE_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "kite/net.h"

/* "A.B.C.D", host order */
uint32_t ex_ipv4(const char *tool, char opt, const char *s);
/* "A.B.C.D/LEN" (LEN 1..30) */
void ex_prefix(const char *tool, char opt, const char *s, uint32_t *addr, unsigned int *len);
/* "P" or "FIRST-LAST", at most max ports, none 0 */
void ex_port_range(const char *tool, char opt, const char *s, unsigned long max,
		   unsigned long *first, unsigned long *last);
/* "A.B.C.D", a multicast group (224.0.0.0/4), host order */
uint32_t ex_group(const char *tool, char opt, const char *s);
/* "GROUP:PORT": a multicast group and a UDP port (1..65535) */
void ex_group_port(const char *tool, char opt, const char *s, uint32_t *group, uint16_t *port);
/* "A.B.C.D" of a host-order address, in buf (at least 16 bytes) */
const char *ex_ipv4_str(uint32_t addr, char *buf);
/* the sum of kite-net's drop_* counters */
uint64_t ex_drops(const uint64_t *st);

/*
 * What every kite-net program takes and opens: -d DEV, -a A.B.C.D/LEN,
 * -p PORT, -q QUEUE, -t SEC, --gateway A.B.C.D, --stats FILE (long options
 * whose codes, EX_OPT_*, no letter takes), then the card, a pool and the
 * interface.
 */
enum { EX_OPT_GATEWAY = 0x100, EX_OPT_STATS };
struct ex_net {
	const char *tool, *dev, *addr;	/* dev: $KITE_DEV until -d */
	double secs;			/* -t; 0: until interrupted */
	unsigned int max_queue;		/* the interface's -q; the programs' sockets take the next */
	struct kn_if_conf ic;
	struct kite_dev *kdev;
	struct kite_pool *pool;
	struct kn_if *ifp;
};
void ex_net_init(struct ex_net *n, const char *tool, const char *addr, unsigned int max_queue);
/* true: c was one of the shared options (parsed, or exit 2 on a bad value) */
bool ex_net_opt(struct ex_net *n, int c, const char *arg);
/* after getopt: no stray argument, a device, the address; exit 2 otherwise */
void ex_net_args(struct ex_net *n, int argc, char **argv);
/* the card, nbufs 2 KiB buffers, the interface: 0, or 1 after printing why
 * (and closing what it opened) */
int ex_net_open(struct ex_net *n, unsigned int nbufs);
void ex_net_close(struct ex_net *n);

#endif
