// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-pingpong: round-trip latency of small frames through a kite device
 * (the model's loopback wire, or a cable looped back on a real card), on the
 * descriptor path, the PIO path and the stream path (direct PIO out, RX
 * stream ring in: contract v1.3); optionally the floor, a raw cache-line ping-pong
 * between two cores, measured the same way.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kite/kite.h"
#include "args.h"
#include "kite/hw.h"
#include "port_default.h"
#include "clock.h"
#include "tsc.h"

struct opts {
	const char *dev;
	const char *json;
	unsigned long iters, warmup;
	unsigned int queue, size;
	int cpu, peer_cpu;
	bool desc, pio, stream, floor, breakdown;
	bool stream_auto;	/* the stream path if the card has it (the default mode) */
};

enum path { PATH_DESC, PATH_PIO, PATH_STREAM };

static const char *const path_name[] = { "descriptor", "pio", "stream" };

/* A frame that came back: a buffer (descriptor paths) or a record in place (stream). */
struct rx_seen {
	const uint8_t *data;
	uint16_t len;
	uint64_t ts;
	struct kite_pkt *pkt;
};

struct result {
	const char *name;
	double p50, p99, p999, max, mean;
	unsigned long n;
};

static double ticks_per_ns;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct result summarize(const char *name, uint64_t *s, unsigned long n)
{
	struct result r = { .name = name, .n = n };
	double sum = 0;
	unsigned long i;

	qsort(s, n, sizeof(*s), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)s[i];
	r.p50 = (double)s[n / 2] / ticks_per_ns;
	r.p99 = (double)s[(n * 99) / 100] / ticks_per_ns;
	r.p999 = (double)s[(n * 999) / 1000] / ticks_per_ns;
	r.max = (double)s[n - 1] / ticks_per_ns;
	r.mean = sum / (double)n / ticks_per_ns;
	return r;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "kite-pingpong: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

/* ---- the floor: one cache line each way between two cores ------------------ */

struct pingpong_line {
	_Alignas(64) volatile uint64_t ping;
	_Alignas(64) volatile uint64_t pong;
	unsigned long n;
	int cpu;
};

static void *floor_peer(void *arg)
{
	struct pingpong_line *l = arg;
	uint64_t i;

	pin(l->cpu);
	for (i = 1; i <= l->n; i++) {
		while (l->ping != i)
			;
		l->pong = i;
	}
	return NULL;
}

static int run_floor(const struct opts *o, uint64_t *s, struct result *r)
{
	static struct pingpong_line line;
	unsigned long total = o->iters + o->warmup, i;
	pthread_t t;

	line.n = total;
	line.cpu = o->peer_cpu;
	if (pthread_create(&t, NULL, floor_peer, &line))
		return -1;
	for (i = 1; i <= total; i++) {
		uint64_t t0 = tsc_now();

		line.ping = i;
		while (line.pong != i)
			;
		if (i > o->warmup)
			s[i - 1 - o->warmup] = tsc_now() - t0;
	}
	pthread_join(t, NULL);
	*r = summarize("floor", s, o->iters);
	return 0;
}

/* ---- kite ------------------------------------------------------------------ */

static void build_frame(uint8_t *f, unsigned int size, const uint8_t mac[6])
{
	unsigned int i;

	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x88;		/* IEEE local experimental ethertype */
	f[13] = 0xb5;
	for (i = 14; i < size; i++)
		f[i] = (uint8_t)i;
}

/* How long a frame may take to come back (-T): 1 s, or longer through a slow path. */
static double rx_timeout_s = 1;

static int wait_rx(struct kite_queue *q, enum path path, struct rx_seen *rx)
{
	uint64_t start = tsc_now(), limit = (uint64_t)(ticks_per_ns * 1e9 * rx_timeout_s);
	const struct kite_rx_rec *r;

	if (path == PATH_STREAM) {	/* the record in place: the cheapest read */
		while (kite_rx_recs(q, &r, 1) == 0)
			if (tsc_now() - start > limit)
				return -1;
		*rx = (struct rx_seen){ .data = kite_rx_rec_data(r), .len = r->len, .ts = r->ts };
		return 0;
	}
	while (kite_rx_burst(q, &rx->pkt, 1) == 0)
		if (tsc_now() - start > limit)
			return -1;
	rx->data = rx->pkt->data;
	rx->len = rx->pkt->len;
	rx->ts = rx->pkt->ts;
	return 0;
}

/* Done with a frame: a buffer goes back to its pool; a record at the next kite_rx_stream. */
static void rx_done(struct rx_seen *rx)
{
	if (rx->pkt)
		kite_pkt_free(rx->pkt);
	rx->pkt = NULL;
}

static int lost(struct kite_queue *q, unsigned long i)
{
	struct kite_queue_state st;

	kite_queue_state(q, &st);
	fprintf(stderr, "kite-pingpong: frame %lu did not come back within %g s (queue %s%s%s)\n",
		i, rx_timeout_s, st.state == KITE_QUEUE_RUNNING ? "running" :
		st.state == KITE_QUEUE_ERROR ? "in error: " : "stopped",
		st.state == KITE_QUEUE_ERROR ? st.cause_name : "", "");
	return -1;
}

static int run_kite(const struct opts *o, struct kite_queue *q, struct kite_pool *pool,
		    const uint8_t *frame, enum path path, uint64_t *s, struct result *r)
{
	unsigned long total = o->iters + o->warmup, i;

	for (i = 0; i < total; i++) {
		struct rx_seen rx = { 0 };
		struct kite_pkt *p;
		uint64_t t0 = tsc_now(), seq = i;

		if (path != PATH_DESC) {
			uint8_t f[256];

			memcpy(f, frame, o->size);
			memcpy(f + 14, &seq, sizeof(seq));
			while (kite_pio_send(q, f, (uint16_t)o->size, 0, i) == -EAGAIN)
				kite_tx_reap(q);
		} else {
			p = kite_pkt_alloc(pool);
			if (!p) {
				fprintf(stderr, "kite-pingpong: buffer pool empty\n");
				return -1;
			}
			memcpy(p->data, frame, o->size);
			memcpy(p->data + 14, &seq, sizeof(seq));
			p->len = (uint16_t)o->size;
			while (kite_tx_burst(q, &p, 1) == 0)
				kite_tx_reap(q);
		}
		if (wait_rx(q, path, &rx))
			return lost(q, i);
		if (i >= o->warmup)
			s[i - o->warmup] = tsc_now() - t0;
		if (rx.len != o->size || memcmp(rx.data + 14, &seq, sizeof(seq))) {
			fprintf(stderr, "kite-pingpong: frame %lu came back wrong (len %u)\n", i,
				rx.len);
			return -1;
		}
		rx_done(&rx);
	}
	*r = summarize(path_name[path], s, o->iters);
	return 0;
}

/* ---- --breakdown: one round trip split by the card's own timestamps ------- */

/*
 * card clock - CLOCK_MONOTONIC. A TIME read may be older than the moment it
 * returns (the model refreshes it between polls), so every sample is a lower
 * bound: keep the largest, sampling for 20 ms so one stall cannot hide them all.
 */
static int64_t card_offset(struct kite_dev *dev)
{
	int64_t best = INT64_MIN, end = (int64_t)kite_mono_ns() + 20000000;
	uint64_t card;

	do {
		int64_t est;

		kite_time(dev, &card);
		est = (int64_t)card - (int64_t)kite_mono_ns();
		if (est > best)
			best = est;
	} while ((int64_t)kite_mono_ns() < end);
	return best;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int run_breakdown(const struct opts *o, struct kite_dev *dev, struct kite_queue *q,
			 struct kite_pool *pool, const uint8_t *frame, enum path path)
{
	static const char *const part[4] = {
		"software to doorbell", "doorbell to wire (TX ts)", "wire (TX ts to RX ts)",
		"RX ts to the app seeing it",
	};
	unsigned long n = o->iters < 100000 ? o->iters : 100000, i, k;
	int64_t *d[4], off = card_offset(dev);
	struct kite_tx_report rep;
	int err = 0;

	for (k = 0; k < 4; k++)
		d[k] = malloc(sizeof(int64_t) * n);
	for (i = 0; i < n && !err; i++) {
		int64_t t0 = (int64_t)kite_mono_ns(), tdb, t1;
		struct rx_seen rx = { 0 };
		struct kite_pkt *p;
		int late;

		if (path != PATH_DESC) {
			while (kite_pio_send(q, frame, (uint16_t)o->size, KITE_PKT_TX_REPORT, i) ==
			       -EAGAIN)
				kite_tx_reap(q);
		} else {
			p = kite_pkt_alloc(pool);
			memcpy(p->data, frame, o->size);
			p->len = (uint16_t)o->size;
			p->flags = KITE_PKT_TX_REPORT;
			while (kite_tx_burst(q, &p, 1) == 0)
				kite_tx_reap(q);
		}
		tdb = (int64_t)kite_mono_ns();
		late = wait_rx(q, path, &rx);
		t1 = (int64_t)kite_mono_ns();
		if (late)
			return lost(q, i);
		for (k = 0; k < 1000000 && !kite_tx_reports(q, &rep, 1); k++)
			kite_tx_reap(q);
		if (k == 1000000) {
			fprintf(stderr, "kite-pingpong: no TX completion for frame %lu\n", i);
			err = -1;
		}
		d[0][i] = tdb - t0;
		d[1][i] = (int64_t)rep.ts - off - tdb;
		d[2][i] = (int64_t)rx.ts - (int64_t)rep.ts;
		d[3][i] = t1 - ((int64_t)rx.ts - off);
		rx_done(&rx);
	}
	printf("breakdown, %s path (p50 / p99 ns over %lu round trips; card clock offset %lld ns):\n",
	       path_name[path], n, (long long)off);
	for (k = 0; k < 4; k++) {
		qsort(d[k], n, sizeof(int64_t), cmp_i64);
		printf("  %-28s %8lld %8lld\n", part[k], (long long)d[k][n / 2],
		       (long long)d[k][n * 99 / 100]);
		free(d[k]);
	}
	return err;
}

/*
 * The stream path (hw-spec §5.4): a second queue (half the card's queues
 * away from -q) sends by direct PIO and receives in its RX stream ring, as
 * the port's default while it runs (the caller puts the default back).
 */
static int run_stream(const struct opts *o, struct kite_dev *dev, const uint8_t *frame,
		      uint64_t *s, struct result *res, int *nres)
{
	struct kite_queue_conf qc = { .tx_ring_size = 256 };
	struct kite_queue_opts so = { .size = sizeof(so), .flags = KITE_QUEUE_RX_STREAM };
	struct kite_dev_info info;
	struct kite_queue *sq = NULL;
	unsigned int qid;
	int err;

	kite_dev_info(dev, &info);
	if (!(info.features & KITE_FEATURE_RX_STREAM)) {
		if (o->stream_auto)
			return 0;
		fprintf(stderr, "kite-pingpong: the card (contract %u.%u) has no RX stream rings\n",
			info.version_major, info.version_minor);
		return -1;
	}
	if (info.features & KITE_FEATURE_PIO_DIRECT)	/* no doorbell either (§4.4) */
		so.flags |= KITE_QUEUE_PIO_DIRECT;
	qid = (o->queue + info.num_queues / 2) % info.num_queues;	/* away from -q's neighbours */
	err = kite_queue_open_opts(dev, qid, &qc, &so, &sq);
	if (!err)
		err = kite_default_queue_set(dev, 0, qid);
	if (err) {
		fprintf(stderr, "kite-pingpong: stream path: %s\n", kite_last_error());
		if (sq)
			kite_queue_close(sq);
		return -1;
	}
	err = run_kite(o, sq, NULL, frame, PATH_STREAM, s, res);
	if (!err)
		(*nres)++;
	if (o->breakdown && !err)
		err = run_breakdown(o, dev, sq, NULL, frame, PATH_STREAM);
	kite_queue_close(sq);
	return err;
}

static int run_device(const struct opts *o, uint64_t *s, struct result *res, int *nres)
{
	struct kite_queue_conf qc = { .tx_ring_size = 256, .rx_ring_size = 256 };
	struct kite_dev *dev;
	struct kite_pool *pool;
	struct kite_queue *q;
	struct kite_link link;
	struct port_default saved;
	uint8_t frame[256];
	int err;

	err = kite_open(o->dev, &dev);
	if (err) {
		fprintf(stderr, "kite-pingpong: %s\n", kite_last_error());
		return -1;
	}
	err = kite_pool_create(dev, 1024, 2048, &pool);
	if (!err) {
		qc.rx_pool = pool;
		err = kite_queue_open(dev, o->queue, &qc, &q);
	}
	if (!err)
		err = port_default_take(dev, 0, o->queue, &saved);
	if (!err)
		err = kite_link_get(dev, 0, &link);
	if (err) {
		fprintf(stderr, "kite-pingpong: %s\n", kite_last_error());
		kite_close(dev);
		return -1;
	}
	if (!link.up)
		fprintf(stderr, "kite-pingpong: warning: port 0 link is down\n");
	build_frame(frame, o->size, link.mac);
	if (o->desc && !err)
		err = run_kite(o, q, pool, frame, PATH_DESC, s, &res[(*nres)++]);
	if (o->pio && !err)
		err = run_kite(o, q, pool, frame, PATH_PIO, s, &res[(*nres)++]);
	if (o->breakdown && o->desc && !err)
		err = run_breakdown(o, dev, q, pool, frame, PATH_DESC);
	if (o->breakdown && o->pio && !err)
		err = run_breakdown(o, dev, q, pool, frame, PATH_PIO);
	if (o->stream && !err)
		err = run_stream(o, dev, frame, s, &res[*nres], nres);
	port_default_restore(dev, q, &saved);
	kite_close(dev);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kite-pingpong [-d DEV] [-n N] [-W N] [-T SEC] [-m MODES] [-l BYTES]\n"
		"                     [-q QUEUE] [-c CPU] [--floor [-C CPU]] [--no-device]\n"
		"                     [--json FILE]\n"
		"\n"
		"Round-trip latency of frames sent on port 0 and received back (kite-emu's\n"
		"loopback wire, or a looped-back cable), timed with rdtsc.\n"
		"\n"
		"  -d, --dev DEV      device (default $KITE_DEV, else emu:/tmp/kite-emu.sock)\n"
		"  -n, --iters N      timed round trips per path (default 1000000)\n"
		"  -W, --warmup N     untimed round trips first (default 10000)\n"
		"  -T, --timeout SEC  a frame not back within SEC is lost (default 1)\n"
		"  -m, --mode MODES   paths, comma-separated: desc, pio, stream (direct PIO\n"
		"                     out, RX stream ring in; contract v1.3), both (desc,pio),\n"
		"                     all\n"
		"                     (default: all the card has)\n"
		"  -l, --length BYTES frame length, 60..248 (default 64)\n"
		"  -q, --queue Q      queue to use (default 0)\n"
		"  -c, --cpu CPU      pin this thread\n"
		"      --floor        also measure a raw cache-line ping-pong with CPU -C\n"
		"  -C, --peer-cpu CPU peer core of --floor (default 1)\n"
		"      --no-device    only the floor\n"
		"      --json FILE    also write the results as JSON\n"
		"      --breakdown    split round trips by the card's TX and RX timestamps:\n"
		"                     software to doorbell, doorbell to wire, wire, RX to app\n");
}

static int parse_modes(char *arg, struct opts *o)
{
	char *save = NULL, *m;

	o->desc = o->pio = o->stream = o->stream_auto = false;
	for (m = strtok_r(arg, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		bool all = !strcmp(m, "all"), both = !strcmp(m, "both");

		if (!all && !both && strcmp(m, "desc") && strcmp(m, "pio") && strcmp(m, "stream")) {
			fprintf(stderr, "kite-pingpong: -m: unknown path '%s' (desc, pio, stream, "
				"both, all)\n", m);
			return -1;
		}
		o->desc |= all || both || !strcmp(m, "desc");
		o->pio |= all || both || !strcmp(m, "pio");
		o->stream |= all || !strcmp(m, "stream");
	}
	if (!o->desc && !o->pio && !o->stream) {
		fprintf(stderr, "kite-pingpong: -m: no path given\n");
		return -1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct opts *o, bool *device)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "iters", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'W' }, { "mode", required_argument, NULL, 'm' },
		{ "length", required_argument, NULL, 'l' }, { "size", required_argument, NULL, 'l' },
		{ "queue", required_argument, NULL, 'q' },
		{ "cpu", required_argument, NULL, 'c' }, { "peer-cpu", required_argument, NULL, 'C' },
		{ "floor", no_argument, NULL, 'F' }, { "no-device", no_argument, NULL, 'N' },
		{ "json", required_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "breakdown", no_argument, NULL, 'b' }, { "timeout", required_argument, NULL, 'T' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:n:W:m:l:q:c:C:T:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->dev = optarg; break;
		case 'n': o->iters = arg_ulong("kite-pingpong", 'n', optarg, 1, 1000000000); break;
		case 'W': o->warmup = arg_ulong("kite-pingpong", 'W', optarg, 0, 1000000000); break;
		case 'm':
			if (parse_modes(optarg, o))
				return -1;
			break;
		case 'l': o->size = (unsigned int)arg_ulong("kite-pingpong", 'l', optarg, 60, 248); break;
		case 'q': o->queue = (unsigned int)arg_ulong("kite-pingpong", 'q', optarg, 0,
							      KITE_MAX_QUEUES - 1); break;
		case 'c': o->cpu = (int)arg_long("kite-pingpong", 'c', optarg, -1, 4095); break;
		case 'C': o->peer_cpu = (int)arg_long("kite-pingpong", 'C', optarg, -1, 4095); break;
		case 'F': o->floor = true; break;
		case 'N': *device = false; break;
		case 'j': o->json = optarg; break;
		case 'b': o->breakdown = true; break;
		case 'T': rx_timeout_s = arg_double("kite-pingpong", 'T', optarg, 0.001, 3600); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || o->iters == 0 || o->size < 60 || o->size > 248) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static void print_results(const struct opts *o, const struct result *r, int n)
{
	FILE *j = o->json ? fopen(o->json, "w") : NULL;
	int i;

	printf("%-11s %9s %9s %9s %9s %9s\n", "path", "p50 ns", "p99 ns", "p99.9 ns",
	       "max ns", "mean ns");
	for (i = 0; i < n; i++)
		printf("%-11s %9.0f %9.0f %9.0f %9.0f %9.0f\n", r[i].name, r[i].p50, r[i].p99,
		       r[i].p999, r[i].max, r[i].mean);
	if (o->json && !j)
		fprintf(stderr, "kite-pingpong: cannot write %s: %s\n", o->json, strerror(errno));
	if (!j)
		return;
	fprintf(j, "{\"dev\": \"%s\", \"size\": %u, \"iters\": %lu, \"results\": [", o->dev,
		o->size, o->iters);
	for (i = 0; i < n; i++)
		fprintf(j, "%s{\"path\": \"%s\", \"p50_ns\": %.1f, \"p99_ns\": %.1f, "
			"\"p999_ns\": %.1f, \"max_ns\": %.1f, \"mean_ns\": %.1f}", i ? ", " : "",
			r[i].name, r[i].p50, r[i].p99, r[i].p999, r[i].max, r[i].mean);
	fprintf(j, "]}\n");
	fclose(j);
}

int main(int argc, char **argv)
{
	const char *env_dev = getenv("KITE_DEV");
	struct opts o = { .dev = env_dev ? env_dev : "emu:/tmp/kite-emu.sock",
			  .iters = 1000000, .warmup = 10000,
			  .size = 64, .cpu = -1, .peer_cpu = 1, .desc = true, .pio = true,
			  .stream = true, .stream_auto = true };
	struct result res[4];
	bool device = true;
	double tsc_ns, clk_ns;
	uint64_t *s;
	int n = 0, err = 0;

	tool_version(argc, argv, "kite-pingpong");
	if (parse(argc, argv, &o, &device))
		return 2;
	pin(o.cpu);
	ticks_per_ns = tsc_calibrate();
	tsc_read_cost(ticks_per_ns, &tsc_ns, &clk_ns);
	s = malloc(sizeof(*s) * o.iters);
	if (!s)
		return 1;
	printf("kite-pingpong: %s, queue %u, %u-byte frames, %lu round trips per path after "
	       "%lu warm-up, CPU %d\n", device ? o.dev : "(no device)", o.queue, o.size, o.iters,
	       o.warmup, o.cpu);
	printf("timing: rdtsc at %.3f ticks/ns, clock source %s; one rdtsc %.1f ns, one "
	       "clock_gettime %.1f ns\n", ticks_per_ns, clock_source(), tsc_ns, clk_ns);
	if (o.floor && run_floor(&o, s, &res[n]) == 0)
		n++;
	if (device)
		err = run_device(&o, s, res, &n);
	print_results(&o, res, n);
	free(s);
	return err ? 1 : 0;
}
