// SPDX-License-Identifier: BSD-3-Clause
/*
 * net_client: a kite-net application for tests/net-tap.sh (the Linux kernel
 * is its peer, over kite-emu's TAP cable). It answers ARP and ping like any
 * kite-net host (kn_poll) while it runs.
 *   net_client -d DEV -a A.B.C.D/LEN [-s STATS] [-l LPORT] [-t SEC] MODE ...
 *   send ADDR PORT COUNT SIZE  from UDP LPORT (default 5555): COUNT datagrams
 *                              of SIZE bytes to ADDR:PORT, payload byte i of
 *                              datagram k is (k * 13 + i * 7 + 1) & 0xff;
 *                              prints "first send: RC" (the first
 *                              kn_udp_sendto's result: -11 while ARP resolves),
 *                              retries until sent, then "sent COUNT"
 *   join PORT GROUP...         a socket on PORT joins the groups ("joined"),
 *                              prints "rx GROUP SRC:PORT LEN" for each
 *                              datagram and echoes it to its source;
 *                              SIGUSR1 leaves every group ("left")
 * Runs until SIGINT/SIGTERM or -t SEC, then prints "rx N" and closes the
 * interface (which leaves the groups still joined).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kite/net.h"

#define DIE(...) do { fprintf(stderr, "net_client: " __VA_ARGS__); fputc('\n', stderr); \
		      exit(1); } while (0)
#define MAX_GROUPS 8

static volatile sig_atomic_t stop, leave;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_leave(int sig)
{
	(void)sig;
	leave = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t ipv4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		DIE("'%s' is not an IPv4 address", s);
	return ntohl(a.s_addr);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v > max)
		DIE("'%s' is not a number up to %lu", s, max);
	return v;
}

static const char *ipstr(uint32_t a, char *buf)
{
	struct in_addr ia = { .s_addr = htonl(a) };

	return inet_ntop(AF_INET, &ia, buf, INET_ADDRSTRLEN);
}

int main(int argc, char **argv)
{
	const char *devstr = NULL, *addr = NULL, *mode;
	struct kn_if_conf ic = { .stats_path = NULL };
	struct kn_udp_conf uc = { .port = 5555, .queue = 1 };
	uint32_t groups[MAX_GROUPS];
	unsigned int ngroups = 0, i;
	unsigned long long rx = 0;
	double secs = 0, start, deadline;
	struct kite_pool *pool;
	struct kite_dev *dev;
	struct kn_udp *s;
	struct kn_if *ifp;
	char *slash;
	int c;

	while ((c = getopt(argc, argv, "d:a:s:l:t:")) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'a': addr = optarg; break;
		case 's': ic.stats_path = optarg; break;
		case 'l': uc.port = (uint16_t)num(optarg, 65535); break;
		case 't': secs = strtod(optarg, NULL); break;
		default: DIE("usage: net_client -d DEV -a A.B.C.D/LEN [-s STATS] [-l LPORT] "
			     "[-t SEC] send ADDR PORT COUNT SIZE | join PORT GROUP...");
		}
	}
	if (!devstr || !addr || optind >= argc)
		DIE("need -d DEV, -a A.B.C.D/LEN and a mode");
	slash = strchr(addr, '/');
	if (!slash)
		DIE("-a '%s' is not A.B.C.D/LEN", addr);
	*slash = 0;
	ic.addr = ipv4(addr);
	ic.prefix_len = (unsigned int)num(slash + 1, 30);
	mode = argv[optind++];
	if (!strcmp(mode, "join")) {
		if (optind + 2 > argc || argc - optind - 1 > MAX_GROUPS)
			DIE("join PORT GROUP... (1 to %d groups)", MAX_GROUPS);
		uc.port = (uint16_t)num(argv[optind++], 65535);
		while (optind < argc)
			groups[ngroups++] = ipv4(argv[optind++]);
	} else if (strcmp(mode, "send") || optind + 4 != argc) {
		DIE("mode: send ADDR PORT COUNT SIZE | join PORT GROUP...");
	}
	if (kite_open(devstr, &dev) || kite_pool_create(dev, 1024, 2048, &pool))
		DIE("%s", kite_last_error());
	ic.dev = dev;
	ic.pool = pool;
	if (kn_if_open(&ic, &ifp))
		DIE("%s", kn_last_error());
	if (kn_udp_open(ifp, &uc, &s))
		DIE("%s", kn_last_error());
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGUSR1, on_leave);
	start = now_s();
	deadline = secs > 0 ? start + secs : 1e300;
	printf("net_client: %s/%u, UDP %u\n", addr, ic.prefix_len, uc.port);
	fflush(stdout);

	if (!strcmp(mode, "send")) {
		uint32_t dst = ipv4(argv[optind]);
		uint16_t port = (uint16_t)num(argv[optind + 1], 65535);
		unsigned long count = num(argv[optind + 2], 1000000), k;
		size_t size = num(argv[optind + 3], 9000), j;
		static uint8_t buf[9000];

		for (k = 0; k < count && !stop; k++) {
			int rc;

			for (j = 0; j < size; j++)
				buf[j] = (uint8_t)(k * 13 + j * 7 + 1);
			rc = kn_udp_sendto(s, dst, port, buf, size);
			if (k == 0) {
				printf("first send: %d%s\n", rc, rc == -EAGAIN ? " (EAGAIN)" : "");
				fflush(stdout);
			}
			/* -EAGAIN: ARP in progress or the ring full (kn_poll takes the reply) */
			while (rc == -EAGAIN && !stop && now_s() < deadline) {
				kn_poll(ifp);
				rc = kn_udp_sendto(s, dst, port, buf, size);
			}
			if (rc)
				DIE("send %lu: %d: %s", k, rc, kn_last_error());
		}
		printf("sent %lu\n", k);
		fflush(stdout);
	} else {
		for (i = 0; i < ngroups; i++)
			if (kn_udp_join(s, groups[i]))
				DIE("%s", kn_last_error());
		printf("joined %u\n", ngroups);
		fflush(stdout);
	}
	while (!stop && now_s() < deadline) {
		struct kn_dgram d[32];
		uint16_t n, k;

		kn_poll(ifp);
		if (leave) {
			leave = 0;
			for (i = 0; i < ngroups; i++)
				if (kn_udp_leave(s, groups[i]))
					DIE("%s", kn_last_error());
			ngroups = 0;
			printf("left\n");
			fflush(stdout);
		}
		n = kn_udp_recv(s, d, 32);
		for (k = 0; k < n; k++) {
			char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

			rx++;
			printf("rx %s %s:%u %u\n", ipstr(d[k].dst_addr, a), ipstr(d[k].src_addr, b),
			       d[k].src_port, d[k].len);
			fflush(stdout);
			if (kn_udp_reply(s, &d[k], d[k].len))
				kn_udp_release(s, &d[k], 1);
		}
	}
	printf("rx %llu\n", rx);
	fflush(stdout);
	kn_if_close(ifp);
	kite_close(dev);
	return 0;
}
