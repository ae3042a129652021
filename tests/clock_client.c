// SPDX-License-Identifier: BSD-3-Clause
/*
 * An application's view of card time as UTC (tests/clock.sh):
 *   clock_client DEV LOCKED   a frame's RX timestamp converts to UTC between
 *                             the system times around its send and receipt,
 *                             give or take the servo's published bound
 *   clock_client DEV SERVO    the same with the servo in this process, as a
 *                             VFIO application runs it; refused once closed
 *   clock_client DEV ENOENT|EAGAIN|ESTALE|ERANGE
 *                             kite_clock_utc refuses with that error a stamp
 *                             of long ago, and leaves the result alone
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "kite/kite.h"

#define DIE(...) do { fprintf(stderr, "clock_client: " __VA_ARGS__); fputc('\n', stderr); \
		      exit(1); } while (0)

/* One frame out and back on queue 3 (its own MAC filter): its RX time, bracketed. */
static uint64_t stamped_frame(struct kite_dev *dev, uint64_t *before, uint64_t *after)
{
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	struct kite_filter f = { .type = KITE_FILTER_DST_MAC, .queue = 3, .key = 0x02c10c000003ULL };
	struct kite_pool *pool;
	struct kite_queue *q;
	struct kite_pkt *p;
	double deadline;
	uint64_t ts;

	if (kite_pool_create(dev, 256, 2048, &pool))
		DIE("%s", kite_last_error());
	c.rx_pool = pool;
	if (kite_queue_open(dev, 3, &c, &q) || kite_filter_add(dev, &f) < 0)
		DIE("%s", kite_last_error());
	p = kite_pkt_alloc(pool);
	frame_fill(p->data, 64, f.key, f.key, 0);
	p->len = 64;
	*before = kite_realtime_ns();
	if (kite_tx_burst(q, &p, 1) != 1)
		DIE("the frame was not taken");
	deadline = kite_mono_s() + 60;
	while (kite_rx_burst(q, &p, 1) == 0)
		if (kite_mono_s() > deadline)
			DIE("the frame did not come back");
	*after = kite_realtime_ns();
	if (!(p->rx_flags & KITE_RX_TS_VALID))
		DIE("no RX timestamp");
	ts = p->ts;
	kite_pkt_free(p);
	return ts;
}

/*
 * SERVO: the servo in this process (what a VFIO application does): updates
 * every 0.1 s until LOCKED (a minute at most), then a frame's time as UTC;
 * once closed, conversions are refused.
 */
static int servo_in_process(struct kite_dev *dev)
{
	struct kite_clock_servo_conf conf = { .size = sizeof(conf), .interval_s = 0.1,
					      .flags = KITE_CLOCK_SERVO_TRUST_UNSYNCED };
	struct kite_clock_status st = { .size = sizeof(st) };
	struct kite_clock_servo *servo;
	struct kite_clock_update u = { 0 };
	uint64_t before, after, ts, utc_ns;
	struct timespec utc;
	int i;

	if (kite_clock_servo_open(dev, &conf, &servo))
		DIE("%s", kite_last_error());
	for (i = 0; i < 600 && u.state != KITE_CLOCK_LOCKED; i++) {
		if (kite_clock_servo_update(servo, &u))
			DIE("%s", kite_last_error());
		usleep(100000);
	}
	if (u.state != KITE_CLOCK_LOCKED)
		DIE("the in-process servo did not lock in a minute (last offset %lld ns)",
		    (long long)u.offset_ns);
	printf("locked after %d updates, offset %lld ns, bound %llu ns\n", i,
	       (long long)u.offset_ns, (unsigned long long)u.max_error_ns);
	ts = stamped_frame(dev, &before, &after);
	if (kite_clock_servo_update(servo, &u) || kite_clock_status(dev, &st) ||
	    kite_clock_utc(dev, ts, &utc))
		DIE("%s", kite_last_error());
	utc_ns = (uint64_t)utc.tv_sec * 1000000000ULL + (uint64_t)utc.tv_nsec;
	if (utc_ns + st.max_error_ns < before || utc_ns > after + st.max_error_ns)
		DIE("the frame's UTC time %llu is outside [%llu, %llu] +- %llu ns",
		    (unsigned long long)utc_ns, (unsigned long long)before,
		    (unsigned long long)after, (unsigned long long)st.max_error_ns);
	printf("a frame at UTC %llu, inside its send window\n", (unsigned long long)utc_ns);
	kite_clock_servo_close(servo);
	if (kite_clock_utc(dev, ts, &utc) != -EAGAIN)
		DIE("after the servo closed, a conversion was not refused");
	kite_close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int err; } want[] = {
		{ "ENOENT", -ENOENT }, { "EAGAIN", -EAGAIN }, { "ESTALE", -ESTALE },
		{ "ERANGE", -ERANGE },
	};
	struct timespec utc = { 12345, 6789 };
	struct kite_clock_status st = { .size = sizeof(st) };
	struct kite_dev *dev;
	uint64_t before, after, ts, u;
	unsigned int i;
	int err;

	if (argc != 3)
		DIE("usage: clock_client DEV LOCKED|SERVO|ENOENT|EAGAIN|ESTALE|ERANGE");
	if (kite_open(argv[1], &dev))
		DIE("%s", kite_last_error());
	if (!strcmp(argv[2], "SERVO"))
		return servo_in_process(dev);
	if (strcmp(argv[2], "LOCKED")) {
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (!strcmp(argv[2], want[i].name))
				break;
		if (i == sizeof(want) / sizeof(want[0]))
			DIE("unknown expectation %s", argv[2]);
		err = kite_clock_utc(dev, 1, &utc);
		if (err != want[i].err)
			DIE("kite_clock_utc gave %d (%s), want %d", err, err ? kite_last_error() : "",
			    want[i].err);
		if (utc.tv_sec != 12345 || utc.tv_nsec != 6789)
			DIE("a refused conversion wrote a time");
		printf("refused as it should be: %s\n", kite_last_error());
		kite_close(dev);
		return 0;
	}
	ts = stamped_frame(dev, &before, &after);
	if (kite_clock_status(dev, &st))
		DIE("%s", kite_last_error());
	if (kite_clock_utc(dev, ts, &utc))
		DIE("%s", kite_last_error());
	u = (uint64_t)utc.tv_sec * 1000000000ULL + (uint64_t)utc.tv_nsec;
	printf("frame received at UTC %llu, between %llu and %llu; servo bound %llu ns\n",
	       (unsigned long long)u, (unsigned long long)before, (unsigned long long)after,
	       (unsigned long long)st.max_error_ns);
	if (u + st.max_error_ns < before || u > after + st.max_error_ns)
		DIE("the frame's UTC time is outside [%llu, %llu] +- %llu ns",
		    (unsigned long long)before, (unsigned long long)after,
		    (unsigned long long)st.max_error_ns);
	kite_close(dev);
	return 0;
}
