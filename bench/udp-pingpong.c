// SPDX-License-Identifier: BSD-3-Clause
/*
 * udp-pingpong: the kernel's latency for comparison with kite: 64-byte UDP
 * datagrams over loopback between a client on one core and an echo thread on
 * another, blocking or busy-polling (non-blocking recv in a loop).
 *   udp-pingpong [-n N] [-w N] [-c CPU] [-C CPU] [--busy] [--json FILE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tools/tsc.h"

static bool busy;
static unsigned long total;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static ssize_t rx(int fd, void *buf, size_t len, struct sockaddr_in *from)
{
	socklen_t fl = sizeof(*from);
	ssize_t n;

	do {
		n = recvfrom(fd, buf, len, busy ? MSG_DONTWAIT : 0, (struct sockaddr *)from, &fl);
	} while (n < 0 && (errno == EAGAIN || errno == EINTR));
	return n;
}

struct peer {
	int fd;
	int cpu;
};

static void *echo(void *arg)
{
	struct peer *p = arg;
	struct sockaddr_in from;
	char buf[64];
	unsigned long i;

	pin(p->cpu);
	for (i = 0; i < total; i++) {
		ssize_t n = rx(p->fd, buf, sizeof(buf), &from);

		if (n > 0)
			sendto(p->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from));
	}
	return NULL;
}

static int bind_any(struct sockaddr_in *a)
{
	socklen_t l = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = 0;
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &l) < 0)
		return -1;
	return fd;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "busy", no_argument, NULL, 'b' }, { "json", required_argument, NULL, 'j' },
		{ 0 }
	};
	unsigned long n = 1000000, warm = 10000, i;
	int c, cpu = 0, peer_cpu = 1;
	const char *json = NULL;
	struct sockaddr_in sa, ca, from;
	struct peer p;
	pthread_t t;
	uint64_t *s;
	double tpn;
	char buf[64] = { 0 };
	FILE *j;

	while ((c = getopt_long(argc, argv, "n:w:c:C:", lo, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'w': warm = strtoul(optarg, NULL, 0); break;
		case 'c': cpu = atoi(optarg); break;
		case 'C': peer_cpu = atoi(optarg); break;
		case 'b': busy = true; break;
		case 'j': json = optarg; break;
		default:
			fprintf(stderr, "usage: udp-pingpong [-n N] [-w N] [-c CPU] [-C CPU] [--busy] "
				"[--json FILE]\n");
			return 2;
		}
	}
	total = n + warm;
	s = malloc(sizeof(*s) * n);
	p.fd = bind_any(&sa);
	p.cpu = peer_cpu;
	c = bind_any(&ca);
	if (!s || p.fd < 0 || c < 0) {
		perror("udp-pingpong: socket");
		return 1;
	}
	pin(cpu);
	tpn = tsc_calibrate();
	pthread_create(&t, NULL, echo, &p);
	for (i = 0; i < total; i++) {
		uint64_t t0 = tsc_now();

		sendto(c, buf, sizeof(buf), 0, (struct sockaddr *)&sa, sizeof(sa));
		rx(c, buf, sizeof(buf), &from);
		if (i >= warm)
			s[i - warm] = tsc_now() - t0;
	}
	pthread_join(t, NULL);
	qsort(s, n, sizeof(*s), cmp);
	printf("%-11s %9.0f %9.0f %9.0f %9.0f\n", busy ? "udp-busy" : "udp-block",
	       s[n / 2] / tpn, s[n * 99 / 100] / tpn, s[n * 999 / 1000] / tpn, s[n - 1] / tpn);
	if (json && (j = fopen(json, "w"))) {
		fprintf(j, "{\"path\": \"%s\", \"p50_ns\": %.1f, \"p99_ns\": %.1f, \"p999_ns\": %.1f, "
			"\"max_ns\": %.1f}\n", busy ? "udp-busy" : "udp-block", s[n / 2] / tpn,
			s[n * 99 / 100] / tpn, s[n * 999 / 1000] / tpn, s[n - 1] / tpn);
		fclose(j);
	}
	return 0;
}
