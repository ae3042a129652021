// SPDX-License-Identifier: BSD-3-Clause
/* Command-line addresses for the kite-net examples (example_args.h). */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kite/net.h"
#include "../tools/args.h"
#include "example_args.h"

/* opt: a letter, or (when it is not one) a long option's code: its name */
static void bad(const char *tool, int opt, const char *s, const char *why)
{
	if (opt == EX_OPT_GATEWAY)
		fprintf(stderr, "%s: --gateway '%s': %s\n", tool, s, why);
	else
		fprintf(stderr, "%s: -%c '%s': %s\n", tool, opt, s, why);
	exit(2);
}

static uint32_t ipv4(const char *tool, int opt, const char *s)
{
	struct in_addr ia;

	if (inet_pton(AF_INET, s, &ia) != 1)
		bad(tool, opt, s, "not an IPv4 address A.B.C.D");
	return ntohl(ia.s_addr);
}

uint32_t ex_ipv4(const char *tool, char opt, const char *s)
{
	return ipv4(tool, opt, s);
}

void ex_prefix(const char *tool, char opt, const char *s, uint32_t *addr, unsigned int *len)
{
	const char *slash = strchr(s, '/');
	char a[INET_ADDRSTRLEN];

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		bad(tool, opt, s, "not A.B.C.D/LEN");
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = 0;
	*addr = ex_ipv4(tool, opt, a);
	*len = (unsigned int)arg_ulong(tool, opt, slash + 1, 1, 30);
}

uint32_t ex_group(const char *tool, char opt, const char *s)
{
	uint32_t a = ex_ipv4(tool, opt, s);

	if (a >> 28 != 0xe)
		bad(tool, opt, s, "not a multicast group (224.0.0.0 to 239.255.255.255)");
	return a;
}

void ex_group_port(const char *tool, char opt, const char *s, uint32_t *group, uint16_t *port)
{
	const char *colon = strchr(s, ':');
	char a[INET_ADDRSTRLEN];

	if (!colon || (size_t)(colon - s) >= sizeof(a))
		bad(tool, opt, s, "not GROUP:PORT");
	memcpy(a, s, (size_t)(colon - s));
	a[colon - s] = 0;
	*group = ex_group(tool, opt, a);
	*port = (uint16_t)arg_ulong(tool, opt, colon + 1, 1, 65535);
}

const char *ex_ipv4_str(uint32_t addr, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, addr >> 16 & 0xff, addr >> 8 & 0xff,
		 addr & 0xff);
	return buf;
}

void ex_port_range(const char *tool, char opt, const char *s, unsigned long max,
		   unsigned long *first, unsigned long *last)
{
	const char *dash = strchr(s, '-');
	char a[8];

	if (dash && (size_t)(dash - s) < sizeof(a)) {
		memcpy(a, s, (size_t)(dash - s));
		a[dash - s] = 0;
		*first = arg_ulong(tool, opt, a, 1, 65535);
		*last = arg_ulong(tool, opt, dash + 1, *first, 65535);
	} else if (dash) {
		bad(tool, opt, s, "not FIRST-LAST");
	} else {
		*first = *last = arg_ulong(tool, opt, s, 1, 65535);
	}
	if (*last - *first >= max) {
		char why[64];

		snprintf(why, sizeof(why), "at most %lu ports", max);
		bad(tool, opt, s, why);
	}
}

uint64_t ex_drops(const uint64_t *st)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < KN_STAT_COUNT; i++)
		if (!strncmp(kn_stat_name(i), "drop_", 5))
			sum += st[i];
	return sum;
}

void ex_net_init(struct ex_net *n, const char *tool, const char *addr, unsigned int max_queue)
{
	memset(n, 0, sizeof(*n));
	n->tool = tool;
	n->dev = getenv("KITE_DEV");
	n->addr = addr;
	n->max_queue = max_queue;
}

bool ex_net_opt(struct ex_net *n, int c, const char *arg)
{
	switch (c) {
	case 'd': n->dev = arg; return true;
	case 'a': n->addr = arg; return true;
	case 'p': n->ic.port = (unsigned int)arg_ulong(n->tool, 'p', arg, 0, 1); return true;
	case 'q': n->ic.queue = (unsigned int)arg_ulong(n->tool, 'q', arg, 0, n->max_queue);
		return true;
	case 't': n->secs = arg_double(n->tool, 't', arg, 0, 1e9); return true;
	case EX_OPT_GATEWAY: n->ic.gateway = ipv4(n->tool, EX_OPT_GATEWAY, arg); return true;
	case EX_OPT_STATS: n->ic.stats_path = arg; return true;
	default: return false;
	}
}

void ex_net_args(struct ex_net *n, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", n->tool, argv[optind]);
		exit(2);
	}
	if (!n->dev) {
		fprintf(stderr, "%s: no device: give -d DEV or set KITE_DEV\n", n->tool);
		exit(2);
	}
	ex_prefix(n->tool, 'a', n->addr, &n->ic.addr, &n->ic.prefix_len);
}

int ex_net_open(struct ex_net *n, unsigned int nbufs)
{
	if (kite_open(n->dev, &n->kdev) || kite_pool_create(n->kdev, nbufs, 2048, &n->pool)) {
		fprintf(stderr, "%s: %s\n", n->tool, kite_last_error());
		kite_close(n->kdev);
		n->kdev = NULL;
		return 1;
	}
	n->ic.dev = n->kdev;
	n->ic.pool = n->pool;
	if (kn_if_open(&n->ic, &n->ifp)) {
		fprintf(stderr, "%s: %s\n", n->tool, kn_last_error());
		ex_net_close(n);
		return 1;
	}
	return 0;
}

void ex_net_close(struct ex_net *n)
{
	kn_if_close(n->ifp);	/* its sockets too */
	kite_close(n->kdev);
	n->ifp = NULL;
	n->kdev = NULL;
}
