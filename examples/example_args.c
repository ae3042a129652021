// SPDX-License-Identifier: BSD-3-Clause
/* Command-line addresses for the kite-net examples (example_args.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kite/net.h"
#include "../tools/args.h"
#include "example_args.h"

static void bad(const char *tool, char opt, const char *s, const char *why)
{
	fprintf(stderr, "%s: -%c '%s': %s\n", tool, opt, s, why);
	exit(2);
}

uint32_t ex_ipv4(const char *tool, char opt, const char *s)
{
	struct in_addr ia;

	if (inet_pton(AF_INET, s, &ia) != 1)
		bad(tool, opt, s, "not an IPv4 address A.B.C.D");
	return ntohl(ia.s_addr);
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
