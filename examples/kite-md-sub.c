// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-md-sub: a market-data subscriber on kite-net. It joins one or more
 * multicast groups on a UDP port, checks each publisher's sequence (a
 * publisher is its address, port and session) for gaps, duplicates and
 * reordering, and prints a summary; with the card's RX timestamps it gives
 * the latency from the publisher's send time.
 *   kite-md-sub [-d DEV] [-a A.B.C.D/LEN] [-p PORT] [-q QUEUE] [-n COUNT]
 *               [-t SECONDS] [--stats FILE] --join GROUP [--join GROUP]...
 *               [--udp PORT] [--ring N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kite/net.h"
#include "../tools/args.h"
#include "../tools/stop_signal.h"
#include "example_args.h"
#include "md_msg.h"

#define TOOL		"kite-md-sub"
#define MAX_JOIN	16		/* groups a kite-net socket joins at most */
#define MAX_PUBS	64		/* publishers tracked; more are counted, not checked */
#define MAX_HOLES	1024		/* runs of missing seqs remembered per publisher */
#define MAX_EVENTS	20		/* gap/duplicate/reorder lines printed */
#define MAX_SAMPLES	(1u << 20)	/* latency samples kept */
#define BURST		32

static void usage(FILE *o)
{
	fprintf(o, "usage: " TOOL " [-d DEV] [-a A.B.C.D/LEN] [-p PORT] [-q QUEUE] [-n COUNT]\n"
		"                   [-t SECONDS] [--stats FILE] --join GROUP [--join GROUP]...\n"
		"                   [--udp PORT] [--ring N]\n"
		"Joins multicast groups and checks kite-md-pub's messages: per publisher\n"
		"(address, port, session) gaps, duplicates and reordering, reported as they\n"
		"happen (the first %d) and in a summary, with the publisher's end message\n"
		"showing a loss at the tail. Latency: the card's RX timestamp minus the send\n"
		"time, when both are on one clock (--card-time on a publisher on this card, or\n"
		"this card kept on UTC by kite-clock-sync).\n"
		"  -d, --dev DEV          device (default $KITE_DEV)\n"
		"  -a, --addr A.B.C.D/LEN our address and prefix (default 169.254.78.2/16)\n"
		"  -p, --port PORT        card port (default 0)\n"
		"  -q, --queue Q          the interface's queue; the socket takes Q+1 (default 0)\n"
		"  -n, --count N          stop after N messages (default: no limit)\n"
		"  -t, --time SEC         stop after SEC seconds (default: no limit)\n"
		"      --stats FILE       counters for kite-stat --net (default none)\n"
		"      --join GROUP       a multicast group to receive, up to %d (at least one)\n"
		"      --udp PORT         the UDP port (default 5000)\n"
		"      --ring N           the socket's ring, a power of two 64..16384 (default\n"
		"                         4096): what it holds while this program is not running\n",
		MAX_EVENTS, MAX_JOIN);
}

/*
 * A publisher's sequence: the seqs not received yet below next are kept as
 * holes (ranges, oldest first), so a late arrival is told from a duplicate
 * exactly, however late. At most MAX_HOLES: beyond that the oldest is
 * forgotten (still missing; an arrival from it is counted as "too late").
 */
struct hole {
	uint64_t lo, hi;
};

struct pubstate {
	uint32_t addr, session;
	uint16_t port;
	uint64_t first, next;		/* first seq seen; next expected (highest seen + 1) */
	uint64_t received, missing, dups, reordered, too_late, forgotten, end_seq;
	uint64_t forgot_below;		/* holes below this were forgotten */
	int ended;
	unsigned int nholes;
	struct hole holes[MAX_HOLES];
};

struct sub {
	struct kite_dev *dev;
	struct pubstate *pubs[MAX_PUBS];
	unsigned int npubs;
	uint64_t dgrams, received, malformed, untracked, events;
	/* latency */
	int64_t *lat;
	unsigned int nlat;
	int clock_err;			/* the last UTC conversion refused */
	uint64_t clock_retry_ns;	/* then the next try */
	char clock_why[160];
};

static void event(struct sub *sb, const struct pubstate *p, const char *fmt,
		  unsigned long long a, unsigned long long b)
{
	char as[16];

	if (sb->events++ >= MAX_EVENTS) {
		if (sb->events == MAX_EVENTS + 1)
			printf(TOOL ": more events: counted in the summary only\n");
		return;
	}
	printf(TOOL ": %s:%u session 0x%08x: ", ex_ipv4_str(p->addr, as), p->port, p->session);
	printf(fmt, a, b);
	printf("\n");
	fflush(stdout);
}

static struct pubstate *pub_of(struct sub *sb, uint32_t addr, uint16_t port, uint32_t session)
{
	struct pubstate *p;
	unsigned int i;

	for (i = 0; i < sb->npubs; i++) {
		p = sb->pubs[i];
		if (p->addr == addr && p->port == port && p->session == session)
			return p;
	}
	if (sb->npubs == MAX_PUBS)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->addr = addr;
	p->port = port;
	p->session = session;
	sb->pubs[sb->npubs++] = p;
	return p;
}

/* a new hole [lo, hi] at index i (holes stay sorted); full: the oldest is forgotten */
static void hole_insert(struct pubstate *p, unsigned int i, uint64_t lo, uint64_t hi)
{
	if (p->nholes == MAX_HOLES) {
		if (!i)
			return;		/* older than every hole kept: forgotten at once */
		p->forgot_below = p->holes[0].hi + 1;
		p->forgotten++;
		memmove(&p->holes[0], &p->holes[1], (p->nholes - 1) * sizeof(p->holes[0]));
		p->nholes--;
		i--;
	}
	memmove(&p->holes[i + 1], &p->holes[i], (p->nholes - i) * sizeof(p->holes[0]));
	p->holes[i] = (struct hole){ lo, hi };
	p->nholes++;
}

/* the first hole whose hi >= seq */
static unsigned int hole_find(const struct pubstate *p, uint64_t seq)
{
	unsigned int lo = 0, hi = p->nholes;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (p->holes[mid].hi < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* seq, not yet seen and inside hole i, arrived: the hole shrinks or splits */
static void hole_fill(struct pubstate *p, unsigned int i, uint64_t seq)
{
	struct hole *h = &p->holes[i];

	if (h->lo == h->hi) {
		memmove(h, h + 1, (p->nholes - i - 1) * sizeof(*h));
		p->nholes--;
	} else if (seq == h->lo) {
		h->lo++;
	} else if (seq == h->hi) {
		h->hi--;
	} else {
		uint64_t hi = h->hi;

		h->hi = seq - 1;
		hole_insert(p, i + 1, seq + 1, hi);
	}
}

static void sequence(struct sub *sb, struct pubstate *p, uint64_t seq)
{
	unsigned int i;

	if (!p->next) {		/* the first: the sequence starts here */
		p->first = seq;
		p->next = seq;
	}
	if (seq >= p->next) {
		if (seq > p->next) {
			p->missing += seq - p->next;
			hole_insert(p, p->nholes, p->next, seq - 1);
			event(sb, p, "gap: expected seq %llu, got %llu", p->next, seq);
		}
		p->next = seq + 1;
	} else if (seq < p->first) {	/* before the first one seen: those between missing */
		if (p->first - seq > 1) {
			p->missing += p->first - seq - 1;
			hole_insert(p, 0, seq + 1, p->first - 1);
		}
		p->first = seq;
		p->reordered++;
		event(sb, p, "reordered: seq %llu arrived after %llu, before the first one seen",
		      seq, p->next - 1);
	} else if ((i = hole_find(p, seq)) < p->nholes && p->holes[i].lo <= seq) {
		hole_fill(p, i, seq);
		p->missing--;
		p->reordered++;
		event(sb, p, "reordered: seq %llu arrived after %llu", seq, p->next - 1);
	} else if (seq < p->forgot_below) {
		p->too_late++;
		event(sb, p, "seq %llu arrived after %llu: too late to tell a duplicate from a "
		      "late one", seq, p->next - 1);
	} else {
		p->dups++;
		event(sb, p, "duplicate: seq %llu (newest %llu)", seq, p->next - 1);
	}
}

static void latency(struct sub *sb, const struct md_msg *m, uint64_t rx_ts)
{
	int64_t l;

	if (!rx_ts || sb->nlat == MAX_SAMPLES)
		return;
	if (m->flags & MD_F_CARD_TIME) {
		l = (int64_t)(rx_ts - m->send_ns);
	} else {
		struct timespec utc;

		/* the status file may not exist: after a refusal, ask again a second later */
		if (sb->clock_err && kite_mono_ns() < sb->clock_retry_ns)
			return;
		sb->clock_err = kite_clock_utc(sb->dev, rx_ts, &utc);
		if (sb->clock_err) {
			snprintf(sb->clock_why, sizeof(sb->clock_why), "%s", kite_last_error());
			sb->clock_retry_ns = kite_mono_ns() + 1000000000ULL;
			return;
		}
		l = (int64_t)((uint64_t)utc.tv_sec * 1000000000ULL + (uint64_t)utc.tv_nsec -
			      m->send_ns);
	}
	if (!sb->lat) {
		sb->lat = malloc(MAX_SAMPLES * sizeof(*sb->lat));
		if (!sb->lat) {
			sb->nlat = MAX_SAMPLES;	/* no room: stop trying */
			return;
		}
	}
	sb->lat[sb->nlat++] = l;
}

static void input(struct sub *sb, const struct kn_dgram *d)
{
	struct pubstate *p;
	struct md_msg m;

	sb->dgrams++;
	if (!md_decode(d->data, d->len, &m)) {
		sb->malformed++;
		return;
	}
	p = pub_of(sb, d->src_addr, d->src_port, m.session);
	if (m.type == MD_END) {
		if (!p || p->ended)
			return;
		p->ended = 1;
		p->end_seq = m.seq;
		if (!p->next) {		/* none of its messages arrived */
			p->first = m.seq ? 1 : 0;
			p->next = 1;
		}
		if (m.seq >= p->next) {	/* lost at the tail */
			p->missing += m.seq + 1 - p->next;
			hole_insert(p, p->nholes, p->next, m.seq);
			event(sb, p, "end after seq %llu, the last received %llu", m.seq,
			      p->next - 1);
			p->next = m.seq + 1;
		}
		return;
	}
	sb->received++;
	if (!p) {
		sb->untracked++;
		return;
	}
	p->received++;
	sequence(sb, p, m.seq);
	latency(sb, &m, d->ts);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void summary(struct sub *sb, uint64_t drops)
{
	uint64_t gaps = 0, missing = 0, dups = 0, reordered = 0;
	unsigned int i;
	char as[16];

	for (i = 0; i < sb->npubs; i++) {
		const struct pubstate *p = sb->pubs[i];

		gaps += p->nholes + p->forgotten;
		missing += p->missing;
		dups += p->dups;
		reordered += p->reordered + p->too_late;
	}
	/* gaps: runs of seqs still missing at the end (a hole filled late is reordering) */
	printf(TOOL ": received %llu messages from %u publishers: %llu gaps (%llu missing), "
	       "%llu duplicates, %llu reordered; %llu datagrams in all, %llu malformed, %llu from "
	       "untracked publishers; dropped %llu (kite-stat --net for why)\n",
	       (unsigned long long)sb->received, sb->npubs, (unsigned long long)gaps,
	       (unsigned long long)missing, (unsigned long long)dups,
	       (unsigned long long)reordered, (unsigned long long)sb->dgrams,
	       (unsigned long long)sb->malformed, (unsigned long long)sb->untracked,
	       (unsigned long long)drops);
	for (i = 0; i < sb->npubs; i++) {
		const struct pubstate *p = sb->pubs[i];

		printf(TOOL ": publisher %s:%u session 0x%08x: received %llu, seq %llu..%llu, "
		       "%llu gaps (%llu missing), %llu duplicates, %llu reordered",
		       ex_ipv4_str(p->addr, as), p->port, p->session,
		       (unsigned long long)p->received, (unsigned long long)p->first,
		       (unsigned long long)(p->next ? p->next - 1 : 0),
		       (unsigned long long)(p->nholes + p->forgotten),
		       (unsigned long long)p->missing, (unsigned long long)p->dups,
		       (unsigned long long)(p->reordered + p->too_late));
		if (p->ended)
			printf(", ended after %llu\n", (unsigned long long)p->end_seq);
		else
			printf(", no end message\n");
	}
	if (sb->nlat && sb->lat) {
		qsort(sb->lat, sb->nlat, sizeof(*sb->lat), cmp64);
		printf(TOOL ": latency (card RX timestamp - send time) over %u messages: min %lld "
		       "p50 %lld p99 %lld p99.9 %lld max %lld ns\n", sb->nlat,
		       (long long)sb->lat[0], (long long)sb->lat[sb->nlat / 2],
		       (long long)sb->lat[(uint64_t)sb->nlat * 99 / 100],
		       (long long)sb->lat[(uint64_t)sb->nlat * 999 / 1000],
		       (long long)sb->lat[sb->nlat - 1]);
	} else if (sb->clock_err) {
		printf(TOOL ": latency not measured (card RX timestamps as UTC: %s)\n",
		       sb->clock_why);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' }, { "queue", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'n' }, { "time", required_argument, NULL, 't' },
		{ "stats", required_argument, NULL, EX_OPT_STATS },
		{ "join", required_argument, NULL, 'J' },
		{ "udp", required_argument, NULL, 'U' }, { "ring", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	unsigned long count = 0, ring = 4096;
	uint32_t groups[MAX_JOIN];
	unsigned int ngroups = 0, i;
	uint64_t st[KN_STAT_COUNT], start;
	uint16_t port = 5000;
	struct ex_net net;
	struct kn_udp *s;
	struct sub *sb;
	char gs[16];
	int c, rc = 0;

	tool_version(argc, argv, TOOL);
	ex_net_init(&net, TOOL, "169.254.78.2/16", 14);
	while ((c = getopt_long(argc, argv, "d:a:p:q:n:t:h", lo, NULL)) != -1) {
		if (ex_net_opt(&net, c, optarg))
			continue;
		switch (c) {
		case 'n': count = arg_ulong(TOOL, 'n', optarg, 1, ~0UL >> 1); break;
		case 'J':
			if (ngroups == MAX_JOIN) {
				fprintf(stderr, TOOL ": --join: at most %d groups\n", MAX_JOIN);
				return 2;
			}
			groups[ngroups++] = ex_group(TOOL, 'J', optarg);
			break;
		case 'U': port = (uint16_t)arg_ulong(TOOL, 'U', optarg, 1, 65535); break;
		case 'R':
			ring = arg_ulong(TOOL, 'R', optarg, 64, 16384);
			if (ring & (ring - 1)) {
				fprintf(stderr, TOOL ": --ring %lu: not a power of two\n", ring);
				return 2;
			}
			break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	ex_net_args(&net, argc, argv);
	if (!ngroups) {
		fprintf(stderr, TOOL ": no group: give --join GROUP (repeatable)\n");
		return 2;
	}
	sb = calloc(1, sizeof(*sb));
	if (!sb) {
		fprintf(stderr, TOOL ": out of memory\n");
		return 1;
	}
	/* the interface's ring (256), the socket's, and room for a burst in hand */
	if (ex_net_open(&net, (unsigned int)(ring + 256 + 1024))) {
		free(sb);
		return 1;
	}
	sb->dev = net.kdev;
	{
		struct kn_udp_conf uc = { .port = port, .queue = (int)net.ic.queue + 1,
					  .ring_size = (unsigned int)ring };

		if (kn_udp_open(net.ifp, &uc, &s)) {
			fprintf(stderr, TOOL ": %s\n", kn_last_error());
			rc = 1;
			goto out;
		}
	}
	for (i = 0; i < ngroups; i++) {
		if (kn_udp_join(s, groups[i])) {
			fprintf(stderr, TOOL ": %s: %s\n", ex_ipv4_str(groups[i], gs),
				kn_last_error());
			rc = 1;
			goto out;
		}
	}
	stop_on_signals(false);
	printf(TOOL ": %s on %s port %u, UDP %u, joined", net.addr, net.dev, net.ic.port, port);
	for (i = 0; i < ngroups; i++)
		printf(" %s", ex_ipv4_str(groups[i], gs));
	printf("\n");
	fflush(stdout);
	start = kite_mono_ns();
	while (!stop_requested && (!count || sb->received < count) &&
	       (net.secs <= 0 || kite_mono_ns() - start < (uint64_t)(net.secs * 1e9))) {
		struct kn_dgram d[BURST];
		uint16_t n, k;

		kn_poll(net.ifp);	/* ARP, IGMP queries and reports: the interface queue */
		n = kn_udp_recv(s, d, BURST);
		for (k = 0; k < n; k++)
			input(sb, &d[k]);
		kn_udp_release(s, d, n);
	}
	kn_if_stats(net.ifp, st, KN_STAT_COUNT);
	summary(sb, ex_drops(st));
out:
	ex_net_close(&net);
	for (i = 0; i < sb->npubs; i++)
		free(sb->pubs[i]);
	free(sb->lat);
	free(sb);
	return rc;
}
