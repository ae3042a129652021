// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-md-pub: a market-data publisher on kite-net. It sends sequenced
 * messages (md_msg.h: sequence number, send time, instrument, price, quantity)
 * to a multicast group at a steady rate, for N messages or T seconds, then an
 * end message saying how many it sent, so a subscriber sees a loss at the tail.
 *   kite-md-pub [-d DEV] [-a A.B.C.D/LEN] [-p PORT] [-q QUEUE] [-n COUNT]
 *               [-t SECONDS] [--stats FILE] [--group GROUP:PORT] [--rate N]
 *               [--instruments N] [--card-time]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "kite/net.h"
#include "../tools/args.h"
#include "../tools/stop_signal.h"
#include "example_args.h"
#include "md_msg.h"

#define TOOL		"kite-md-pub"
#define MAX_BEHIND	64		/* messages sent at once to catch up, at most */
#define EAGAIN_LIMIT_NS	5000000000ULL	/* sends refused this long: give up */
#define END_COPIES	3		/* the end message, sent this many times */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void usage(FILE *o)
{
	fprintf(o, "usage: " TOOL " [-d DEV] [-a A.B.C.D/LEN] [-p PORT] [-q QUEUE] [-n COUNT]\n"
		"                   [-t SECONDS] [--stats FILE] [--group GROUP:PORT] [--rate N]\n"
		"                   [--instruments N] [--card-time]\n"
		"Sends sequenced market-data messages to a multicast group: each has a sequence\n"
		"number, a send timestamp, an instrument id, a price and a quantity (48 bytes,\n"
		"little-endian). After the last one, an end message carries the count sent.\n"
		"  -d, --dev DEV          device (default $KITE_DEV)\n"
		"  -a, --addr A.B.C.D/LEN our address and prefix (default 169.254.78.1/16)\n"
		"  -p, --port PORT        card port (default 0)\n"
		"  -q, --queue Q          the interface's queue; the socket takes Q+1 (default 0)\n"
		"  -n, --count N          send N messages (default: until -t or interrupted)\n"
		"  -t, --time SEC         stop after SEC seconds (default: no limit)\n"
		"      --stats FILE       counters for kite-stat --net (default none)\n"
		"      --group GROUP:PORT where to send (default 239.77.0.1:5000); the socket's\n"
		"                         local port is PORT too\n"
		"      --rate N           messages per second (default 10000; 0: as fast as the\n"
		"                         card takes them). Behind schedule, at most %d are sent\n"
		"                         at once to catch up, then the schedule slips (counted)\n"
		"      --instruments N    instrument ids 1..N, in turn (default 16)\n"
		"      --card-time        stamp messages with the card clock, not CLOCK_REALTIME\n"
		"                         (a subscriber on the same card then measures latency\n"
		"                         from its RX timestamps without a clock servo)\n",
		MAX_BEHIND);
}

struct pub {
	struct kn_if *ifp;
	struct kn_udp *s;
	struct kite_dev *dev;
	uint32_t group;
	uint16_t port;
	uint32_t session;
	uint16_t flags;
	unsigned long retries;		/* -EAGAIN, sent again after kn_poll */
};

/*
 * Send one message, retrying after kn_poll while the card's ring is full
 * (-EAGAIN). 0, or 1 with the error printed.
 */
static int send_msg(struct pub *p, struct md_msg *m)
{
	uint64_t first_refusal = 0;
	uint8_t buf[MD_MSG_LEN];
	int err;

	for (;;) {
		if (p->flags & MD_F_CARD_TIME) {
			if (kite_time(p->dev, &m->send_ns)) {
				fprintf(stderr, TOOL ": %s\n", kite_last_error());
				return 1;
			}
		} else {
			m->send_ns = kite_realtime_ns();
		}
		md_encode(buf, m);
		err = kn_udp_sendto(p->s, p->group, p->port, buf, sizeof(buf));
		if (!err)
			return 0;
		if (err != -EAGAIN) {
			fprintf(stderr, TOOL ": message %llu: %s\n", (unsigned long long)m->seq,
				kn_last_error());
			return 1;
		}
		p->retries++;
		if (!first_refusal) {
			first_refusal = kite_mono_ns();
		} else if (kite_mono_ns() - first_refusal > EAGAIN_LIMIT_NS) {
			fprintf(stderr, TOOL ": message %llu: sends refused for %llu s: %s\n",
				(unsigned long long)m->seq, EAGAIN_LIMIT_NS / 1000000000ULL,
				kn_last_error());
			return 1;
		}
		kn_poll(p->ifp);	/* lets the card drain the ring; answers ARP, IGMP */
		if (stop_requested)
			return 1;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' }, { "queue", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'n' }, { "time", required_argument, NULL, 't' },
		{ "stats", required_argument, NULL, EX_OPT_STATS },
		{ "group", required_argument, NULL, 'G' }, { "rate", required_argument, NULL, 'R' },
		{ "instruments", required_argument, NULL, 'N' },
		{ "card-time", no_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *group_str = "239.77.0.1:5000";
	unsigned long count = 0, instruments = 16, slipped = 0, sent = 0, i;
	int64_t price[256];
	uint64_t st[KN_STAT_COUNT], t0, due, rnd, start, elapsed;
	double rate = 10000, period;
	struct pub p = { .flags = 0 };
	struct ex_net net;
	struct md_msg m;
	char gs[16];
	int c, rc = 0;

	tool_version(argc, argv, TOOL);
	ex_net_init(&net, TOOL, "169.254.78.1/16", 14);
	while ((c = getopt_long(argc, argv, "d:a:p:q:n:t:h", lo, NULL)) != -1) {
		if (ex_net_opt(&net, c, optarg))
			continue;
		switch (c) {
		case 'n': count = arg_ulong(TOOL, 'n', optarg, 1, ~0UL >> 1); break;
		case 'G': group_str = optarg; break;
		case 'R': rate = arg_double(TOOL, 'R', optarg, 0, 1e9); break;
		case 'N': instruments = arg_ulong(TOOL, 'N', optarg, 1, 256); break;
		case 'C': p.flags |= MD_F_CARD_TIME; break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	ex_net_args(&net, argc, argv);
	ex_group_port(TOOL, 'G', group_str, &p.group, &p.port);
	if (ex_net_open(&net, 4096))
		return 1;
	p.dev = net.kdev;
	p.ifp = net.ifp;
	{
		struct kn_udp_conf uc = { .port = p.port, .queue = (int)net.ic.queue + 1 };

		if (kn_udp_open(p.ifp, &uc, &p.s)) {
			fprintf(stderr, TOOL ": %s\n", kn_last_error());
			ex_net_close(&net);
			return 1;
		}
	}
	stop_on_signals(false);
	rnd = kite_realtime_ns() ^ (uint64_t)getpid() << 32;
	rnd = rnd ? rnd : 1;
	p.session = (uint32_t)xorshift(&rnd) | 1;
	for (i = 0; i < instruments; i++)
		price[i] = 1000000 + (int64_t)(xorshift(&rnd) % 9000000);	/* 100.0000.. */
	printf(TOOL ": %s on %s port %u, sending to %s:%u, session 0x%08x\n", net.addr, net.dev,
	       net.ic.port, ex_ipv4_str(p.group, gs), p.port, p.session);
	fflush(stdout);

	period = rate > 0 ? 1e9 / rate : 0;
	start = t0 = kite_mono_ns();
	i = 0;	/* messages since t0 */
	memset(&m, 0, sizeof(m));
	m.type = MD_DATA;
	m.flags = p.flags;
	m.session = p.session;
	while (!stop_requested && (!count || sent < count)) {
		uint64_t now = kite_mono_ns();
		unsigned int k;

		if (net.secs > 0 && now - start >= (uint64_t)(net.secs * 1e9))
			break;
		if (period > 0) {
			due = t0 + (uint64_t)((double)i * period);
			if (now < due) {
				kn_poll(p.ifp);
				continue;
			}
			if (now - due > (uint64_t)(MAX_BEHIND * period)) {
				t0 = now;	/* too far behind: the schedule slips */
				i = 0;
				slipped++;
			}
		}
		k = (unsigned int)(sent % instruments);
		price[k] += (int64_t)(xorshift(&rnd) % 201) - 100;
		if (price[k] < 100)
			price[k] = 100;
		m.seq = sent + 1;
		m.instrument = k + 1;
		m.price = price[k];
		m.qty = (uint32_t)(1 + xorshift(&rnd) % 1000);
		m.side = xorshift(&rnd) & 1 ? 'B' : 'S';
		if (send_msg(&p, &m)) {
			rc = !stop_requested;
			break;
		}
		sent++;
		i++;
		kn_poll(p.ifp);
	}
	elapsed = kite_mono_ns() - start;
	if (!rc) {	/* the end: how many there were, a few times over */
		m.type = MD_END;
		m.seq = sent;
		m.instrument = 0;
		m.price = 0;
		m.qty = 0;
		m.side = 0;
		stop_requested = 0;
		for (i = 0; i < END_COPIES && !rc; i++)
			rc = send_msg(&p, &m);
	}
	kn_if_stats(p.ifp, st, KN_STAT_COUNT);
	printf(TOOL ": sent %lu messages to %s:%u in %.3f s (%.0f/s), %lu sends retried after "
	       "-EAGAIN, schedule slipped %lu times; dropped %llu (kite-stat --net for why)\n",
	       sent, gs, p.port, elapsed / 1e9, elapsed ? sent * 1e9 / elapsed : 0.0, p.retries,
	       slipped, (unsigned long long)ex_drops(st));
	ex_net_close(&net);
	return rc;
}
