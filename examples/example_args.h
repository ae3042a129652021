/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line addresses for the kite-net examples: parsed whole, with a
 * message naming the option; a bad value exits with status 2 (as tools/args.h).
 */
#ifndef KITE_EXAMPLE_ARGS_H
#define KITE_EXAMPLE_ARGS_H

#include <stdint.h>

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

#endif
