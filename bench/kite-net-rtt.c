// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-net-rtt: what kite-net's UDP/IPv4 layer costs on a round trip. On a
 * card whose ports are cabled to each other (kite-emu --wire pair), one thread
 * runs a client on port 0 and an echo server on port 1, twice:
 *   raw: 64-byte frames, PIO out, kite_rx_burst in, the server sends the
 *        same bytes back by PIO: libkite alone;
 *   net: 22-byte UDP datagrams (64-byte frames), kn_udp_sendto, the server's
 *        kn_udp_recv + kn_udp_reply (in place, PIO), the client's kn_udp_recv:
 *        every frame checked (addresses, lengths, IP and UDP checksums).
 * kn_poll runs between round trips, untimed, as an application's loop would.
 * The paths alternate in blocks of 1000 round trips, so both see the same noise.
 *   kite-net-rtt -d DEV [-n N] [-W N] [-c CPU] [--json FILE]
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kite/net.h"
#include "../tools/args.h"
#include "../tools/tsc.h"

#define ADDR_A	KN_IP(10, 77, 0, 1)
#define ADDR_B	KN_IP(10, 77, 0, 2)
#define PAYLOAD	22	/* a 64-byte frame */
#define RAW_MAC_A	0x02726177000aULL
#define RAW_MAC_B	0x02726177000bULL
#define BLOCK	1000	/* round trips of one path before the other's */
#define SPIN_LIMIT 100000000UL	/* a round trip this long: the model is gone */

struct result {
	const char *path;
	double p50, p99, p999, max;
};

static double ticks_per_ns;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct result summarize(const char *path, uint64_t *s, unsigned long n)
{
	struct result r = { .path = path };

	qsort(s, n, sizeof(*s), cmp_u64);
	r.p50 = (double)s[n / 2] / ticks_per_ns;
	r.p99 = (double)s[n * 99 / 100] / ticks_per_ns;
	r.p999 = (double)s[n * 999 / 1000] / ticks_per_ns;
	r.max = (double)s[n - 1] / ticks_per_ns;
	return r;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "kite-net-rtt: %s: %s\n", what, msg);
	exit(1);
}

/* Both setups at once, so the two paths alternate in blocks and share the host's noise. */
struct setup {
	struct kite_queue *qa, *qb;	/* raw: steered by MAC filters */
	struct kn_if *ia, *ib;		/* kite-net: the ports' default queues */
	struct kn_udp *sa, *sb;
};

static struct kite_queue *raw_queue(struct kite_dev *dev, struct kite_pool *pool,
				    unsigned int port, unsigned int qid, uint64_t mac)
{
	struct kite_queue_conf qc = { .port = port, .tx_ring_size = 256, .rx_ring_size = 256,
				      .rx_pool = pool };
	struct kite_filter f = { .type = KITE_FILTER_DST_MAC, .port = port, .queue = qid,
				 .key = mac };
	struct kite_queue *q;

	if (kite_queue_open(dev, qid, &qc, &q) || kite_filter_add(dev, &f) < 0)
		die("raw queue", kite_last_error());
	return q;
}

static struct kn_if *net_if(struct kite_dev *dev, struct kite_pool *pool, unsigned int port,
			    unsigned int queue, uint32_t addr)
{
	struct kn_if_conf ic = { .dev = dev, .pool = pool, .port = port, .queue = queue,
				 .addr = addr, .prefix_len = 24 };
	struct kn_if *ifp;

	if (kn_if_open(&ic, &ifp))
		die("kn_if_open", kn_last_error());
	return ifp;
}

static struct kn_udp *net_sock(struct kn_if *ifp, uint16_t port, int queue)
{
	struct kn_udp_conf uc = { .port = port, .queue = queue };
	struct kn_udp *s;

	if (kn_udp_open(ifp, &uc, &s))
		die("kn_udp_open", kn_last_error());
	return s;
}

static void open_all(struct setup *st, struct kite_dev *dev, struct kite_pool *pool)
{
	unsigned long spin;
	int err;

	st->qa = raw_queue(dev, pool, 0, 2, RAW_MAC_A);
	st->qb = raw_queue(dev, pool, 1, 3, RAW_MAC_B);
	st->ia = net_if(dev, pool, 0, 4, ADDR_A);
	st->ib = net_if(dev, pool, 1, 6, ADDR_B);
	st->sa = net_sock(st->ia, 7000, 5);
	st->sb = net_sock(st->ib, 7001, 7);
	/* the client resolves the server once (the server answers the frame's source) */
	for (spin = 0; (err = kn_arp_resolve(st->ia, ADDR_B)) == -EAGAIN; spin++) {
		kn_poll(st->ia);
		kn_poll(st->ib);
		if (spin > SPIN_LIMIT)
			die("ARP", kn_last_error());
	}
	if (err)
		die("ARP", kn_last_error());
}

static uint64_t raw_once(struct setup *st, unsigned long i)
{
	uint8_t frame[64] = { RAW_MAC_B >> 40, RAW_MAC_B >> 32 & 0xff, RAW_MAC_B >> 24 & 0xff,
			      RAW_MAC_B >> 16 & 0xff, RAW_MAC_B >> 8 & 0xff, RAW_MAC_B & 0xff,
			      0x02, 0, 0, 0, 0, 0, 0x88, 0xb5 };
	struct kite_pkt *p;
	unsigned long spin;
	uint64_t t0 = tsc_now();

	memcpy(frame + 14, &i, sizeof(i));
	while (kite_pio_send(st->qa, frame, 64, 0, 0))
		kite_tx_reap(st->qa);
	for (spin = 0; kite_rx_burst(st->qb, &p, 1) != 1; spin++)
		if (spin > SPIN_LIMIT)
			die("raw", "no frame came through port 1");
	/* back to A: the same bytes with A's MAC first */
	memcpy(p->data, (const uint8_t[]){ RAW_MAC_A >> 40, RAW_MAC_A >> 32 & 0xff,
					    RAW_MAC_A >> 24 & 0xff, RAW_MAC_A >> 16 & 0xff,
					    RAW_MAC_A >> 8 & 0xff, RAW_MAC_A & 0xff }, 6);
	while (kite_pio_send(st->qb, p->data, p->len, 0, 0))
		kite_tx_reap(st->qb);
	kite_pkt_free(p);
	for (spin = 0; kite_rx_burst(st->qa, &p, 1) != 1; spin++)
		if (spin > SPIN_LIMIT)
			die("raw", "no echo came back on port 0");
	if (memcmp(p->data + 14, &i, sizeof(i)))
		die("raw", "the echo is not the frame sent");
	kite_pkt_free(p);
	return tsc_now() - t0;
}

static uint64_t net_once(struct setup *st, unsigned long i)
{
	uint8_t pay[PAYLOAD] = "kite-net round trip";
	unsigned long spin;
	struct kn_dgram d;
	uint64_t t0 = tsc_now(), t;
	int err;

	memcpy(pay, &i, sizeof(i));
	while ((err = kn_udp_sendto(st->sa, ADDR_B, 7001, pay, PAYLOAD)) == -EAGAIN)
		;
	if (err)
		die("kn_udp_sendto", kn_last_error());
	for (spin = 0; kn_udp_recv(st->sb, &d, 1) != 1; spin++)
		if (spin > SPIN_LIMIT)
			die("net", "no datagram reached the server");
	while ((err = kn_udp_reply(st->sb, &d, d.len)) == -EAGAIN)
		;
	if (err)
		die("kn_udp_reply", kn_last_error());
	for (spin = 0; kn_udp_recv(st->sa, &d, 1) != 1; spin++)
		if (spin > SPIN_LIMIT)
			die("net", "no echo came back");
	if (d.len != PAYLOAD || memcmp(d.data, &i, sizeof(i)))
		die("net", "the echo is not the datagram sent");
	kn_udp_release(st->sa, &d, 1);
	t = tsc_now() - t0;
	kn_poll(st->ia);	/* between round trips, as an application's loop */
	kn_poll(st->ib);
	return t;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "iters", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'W' }, { "cpu", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *devstr = getenv("KITE_DEV"), *json = NULL;
	unsigned long n = 100000, warm = 10000;
	struct result r[2];
	struct kite_pool *pool;
	struct kite_dev *dev;
	int c, cpu = -1, k;
	uint64_t *s[2];
	struct setup st;
	unsigned long i, b;
	FILE *j;

	while ((c = getopt_long(argc, argv, "d:n:W:c:j:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'n': n = arg_ulong("kite-net-rtt", 'n', optarg, 100, 100000000); break;
		case 'W': warm = arg_ulong("kite-net-rtt", 'W', optarg, 0, 100000000); break;
		case 'c': cpu = (int)arg_long("kite-net-rtt", 'c', optarg, 0, 4095); break;
		case 'j': json = optarg; break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: kite-net-rtt -d DEV [-n N] [-W N] [-c CPU] [--json FILE]\n"
				"UDP echo round trips through kite-net vs raw libkite PIO echoes,\n"
				"port 0 to port 1 and back (kite-emu --wire pair).\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	ticks_per_ns = tsc_calibrate();
	if (ticks_per_ns <= 0)
		die("TSC", "unusable");
	n = (n + BLOCK - 1) / BLOCK * BLOCK;
	s[0] = calloc(n, sizeof(uint64_t));
	s[1] = calloc(n, sizeof(uint64_t));
	if (!s[0] || !s[1] || !devstr)
		die("setup", !devstr ? "no device (-d DEV)" : "out of memory");
	if (kite_open(devstr, &dev) || kite_pool_create(dev, 4096, 2048, &pool))
		die(devstr, kite_last_error());
	open_all(&st, dev, pool);
	for (i = 0; i < warm; i++) {
		raw_once(&st, i);
		net_once(&st, i);
	}
	for (b = 0; b < n; b += BLOCK) {
		for (i = b; i < b + BLOCK; i++)
			s[0][i] = raw_once(&st, i);
		for (i = b; i < b + BLOCK; i++)
			s[1][i] = net_once(&st, i);
	}
	r[0] = summarize("raw-echo", s[0], n);
	r[1] = summarize("kite-net-echo", s[1], n);
	j = json ? fopen(json, "w") : NULL;
	if (json && !j)
		die(json, strerror(errno));
	printf("%-16s %9s %9s %9s %10s\n", "echo, 64 B", "p50 ns", "p99 ns", "p99.9 ns", "max ns");
	for (k = 0; k < 2; k++)
		printf("%-16s %9.0f %9.0f %9.0f %10.0f\n", r[k].path, r[k].p50, r[k].p99, r[k].p999,
		       r[k].max);
	if (j) {
		fprintf(j, "{\"results\": [");
		for (k = 0; k < 2; k++)
			fprintf(j, "%s{\"path\": \"%s\", \"p50_ns\": %.1f, \"p99_ns\": %.1f, "
				"\"p999_ns\": %.1f, \"max_ns\": %.1f, \"n\": %lu}", k ? ", " : "",
				r[k].path, r[k].p50, r[k].p99, r[k].p999, r[k].max, n);
		fprintf(j, "]}\n");
		fclose(j);
	}
	free(s[0]);
	free(s[1]);
	kn_if_close(st.ia);
	kn_if_close(st.ib);
	kite_close(dev);
	return 0;
}
