// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-clock-sync: keep the card clock on UTC (CLOCK_REALTIME, itself kept by
 * NTP or PTP) with a PI servo, and publish its state so that applications
 * turn card timestamps into UTC (kite_clock_utc) and know when they cannot.
 * For cards reached through uio, vfio or kite-emu, where there is no PTP
 * hardware clock for linuxptp; through kite.ko it drives the card's PHC the
 * same way (or, with --monitor, only watches a PHC that phc2sys drives).
 *   kite-clock-sync [-d DEV] [-i SEC] [-n READINGS] [--monitor] [-t SEC] [--verbose]
 *                   [--source CLOCK_TAI|/dev/ptpN [--source-offset SEC]]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "clock_servo.h"
#include "kite/kite.h"

#define HISTORY 16	/* max_error_ns: the worst of the last updates */
#define MAX_FAILURES 20	/* readings failed in a row before giving up */
#define MAX_BRACKET_NS 100000	/* a reading less sure than this is not used */
#define MAX_UPDATES 100000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *dev;
	double interval;	/* seconds between updates */
	unsigned int readings;	/* per update; the narrowest bracket wins */
	double seconds;		/* 0: until a signal */
	double lock_ns;		/* LOCKED only within this of UTC */
	const char *source;	/* the reference: NULL for CLOCK_REALTIME, CLOCK_TAI, a PHC */
	int trust_unsynced;	/* call an unsynchronised system clock UTC anyway */
	double source_offset;	/* seconds the reference is ahead of UTC (TAI: 37) */
	int monitor, verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kite-clock-sync [-d DEV] [-i SEC] [-n READINGS] [--monitor] [-t SEC]\n"
		"                       [--lock NS] [--source CLOCK [--source-offset S]] [--verbose]\n"
		"\n"
		"Keeps the card clock on UTC (CLOCK_REALTIME) with a PI servo and publishes\n"
		"its state (/run/kite/clock-MAC, or $KITE_CLOCK_STATE) for kite_clock_utc().\n"
		"\n"
		"  -d, --device DEV     emu:PATH, /dev/kiteN or a PCI address (default $KITE_DEV)\n"
		"  -i, --interval SEC   between updates (default 0.25; 0.015 to 10)\n"
		"  -n, --readings N     clock readings per update, the narrowest bracket used\n"
		"                       (default 5; 1 to 25)\n"
		"      --lock NS        call the clock synchronised only within NS of UTC\n"
		"                       (default 10000)\n"
		"      --monitor        adjust nothing: watch a clock phc2sys/ptp4l disciplines\n"
		"      --source CLOCK   follow CLOCK_TAI or a PTP clock (/dev/ptpN, one ptp4l keeps)\n"
		"                       instead of CLOCK_REALTIME\n"
		"      --source-offset S  the source is S seconds ahead of UTC (a PHC in TAI: 37)\n"
		"      --trust-unsynced-reference  call the card UTC even when the system clock\n"
		"                       is not synchronised by NTP or PTP (adjtimex; labs, tests)\n"
		"  -t, --seconds SEC    stop after SEC seconds and print statistics (default: run\n"
		"                       until SIGINT/SIGTERM)\n"
		"      --verbose        print every update\n"
		"\n"
		"Adjusting the clock changes every tenant's timestamps: through kite.ko it needs\n"
		"write access to the card's PTP device (root); uio and vfio are root's anyway.\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "readings", required_argument, NULL, 'n' },
		{ "lock", required_argument, NULL, 'L' },
		{ "monitor", no_argument, NULL, 'M' },
		{ "source", required_argument, NULL, 'S' },
		{ "source-offset", required_argument, NULL, 'O' },
		{ "trust-unsynced-reference", no_argument, NULL, 'U' },
		{ "seconds", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	*o = (struct opts){ .dev = getenv("KITE_DEV"), .interval = 0.25, .readings = 5,
			    .lock_ns = 10000 };
	while ((c = getopt_long(argc, argv, "d:i:n:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 'i':
			o->interval = arg_double("kite-clock-sync", 'i', optarg, 0.015, 10);
			break;
		case 'n':
			o->readings = (unsigned int)arg_ulong("kite-clock-sync", 'n', optarg, 1, 25);
			break;
		case 'L':
			o->lock_ns = arg_double("kite-clock-sync", 'L', optarg, 1, 1e9);
			break;
		case 'M':
			o->monitor = 1;
			break;
		case 'S':
			o->source = strcmp(optarg, "CLOCK_REALTIME") ? optarg : NULL;
			break;
		case 'O':
			o->source_offset = arg_double("kite-clock-sync", 'O', optarg, -1e6, 1e6);
			break;
		case 'U':
			o->trust_unsynced = 1;
			break;
		case 't':
			o->seconds = arg_double("kite-clock-sync", 't', optarg, 0.1, 1e9);
			break;
		case 'V':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (!o->dev) {
		fprintf(stderr, "kite-clock-sync: which device? (-d emu:PATH, /dev/kiteN, or set "
			"KITE_DEV)\n");
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The reference clock: CLOCK_REALTIME itself, CLOCK_TAI, or a PTP clock's device. */
struct reference {
	clockid_t id;
	int fd;
	int64_t ahead_ns;	/* how far it is ahead of UTC (--source-offset) */
};

#define CLOCKFD			3
#define FD_TO_CLOCKID(fd)	((clockid_t)((((unsigned int)~(fd)) << 3) | CLOCKFD))

static int reference_open(const struct opts *o, struct reference *r)
{
	struct timespec ts;

	r->fd = -1;
	r->id = CLOCK_REALTIME;
	r->ahead_ns = (int64_t)llround(o->source_offset * 1e9);
	if (!o->source)
		return 0;
	if (!strcmp(o->source, "CLOCK_TAI")) {
		r->id = CLOCK_TAI;
	} else {
		r->fd = open(o->source, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			fprintf(stderr, "kite-clock-sync: --source %s: %s\n", o->source, strerror(errno));
			return -1;
		}
		r->id = FD_TO_CLOCKID(r->fd);
	}
	if (clock_gettime(r->id, &ts) < 0) {
		fprintf(stderr, "kite-clock-sync: --source %s: not a clock (%s)\n", o->source,
			strerror(errno));
		return -1;
	}
	return 0;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

/*
 * The reference's UTC minus CLOCK_REALTIME, from the narrowest of five
 * readings bracketed by CLOCK_REALTIME; *width gets that bracket.
 */
static int64_t reference_skew(const struct reference *r, uint64_t *width)
{
	int64_t best = 0;
	int i;

	*width = 0;
	if (r->id == CLOCK_REALTIME)
		return -r->ahead_ns;
	for (i = 0; i < 5; i++) {
		struct timespec a, ref, b;
		uint64_t w;

		clock_gettime(CLOCK_REALTIME, &a);
		clock_gettime(r->id, &ref);
		clock_gettime(CLOCK_REALTIME, &b);
		w = ts_ns(&b) - ts_ns(&a);
		if (!i || w < *width) {
			*width = w;
			best = (int64_t)(ts_ns(&ref) - (ts_ns(&a) + w / 2)) - r->ahead_ns;
		}
	}
	return best;
}

/*
 * The next update one interval on; when late (a loaded host), from now: a
 * burst of catch-up updates would feed the servo intervals of microseconds.
 */
static void schedule_next(struct timespec *next, double interval)
{
	struct timespec now;

	next->tv_nsec += (long)(1e9 * interval);
	while (next->tv_nsec >= 1000000000) {
		next->tv_nsec -= 1000000000;
		next->tv_sec++;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > next->tv_sec || (now.tv_sec == next->tv_sec && now.tv_nsec > next->tv_nsec))
		*next = now;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR && !stop)
		;
}

/*
 * Whether the reference is UTC: CLOCK_REALTIME (or TAI) that NTP or PTP does
 * not keep (adjtimex: unsynchronised) is a clock, not UTC, unless the user
 * says to trust it. *err_ns gets its own error bound (the kernel's maxerror).
 */
static int reference_synced(const struct opts *o, const struct reference *r, double *err_ns)
{
	static int said;
	struct timex tx = { 0 };
	int state;

	*err_ns = 0;
	if (r->fd >= 0)
		return 1;	/* a PHC: whoever keeps it (ptp4l) knows; we cannot ask */
	state = adjtimex(&tx);
	if (state != TIME_ERROR && !(tx.status & STA_UNSYNC)) {
		*err_ns = (double)tx.maxerror * 1000;	/* us */
		return 1;
	}
	if (!said++ && !o->trust_unsynced)
		fprintf(stderr, "kite-clock-sync: the system clock is not synchronised (adjtimex): "
			"the card follows it, but that is not UTC; it stays 'unsync' "
			"(--trust-unsynced-reference to call it UTC anyway)\n");
	return o->trust_unsynced;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What a run measured: when it locked, and |offset| from then on. */
struct stats {
	double start, locked_at;	/* monotonic s; locked_at < 0: never */
	double *abs_offset;
	unsigned int n;
};

static void stats_add(struct stats *s, int locked, int64_t offset)
{
	if (!locked) {
		s->n = 0;	/* from the last lock on */
		s->locked_at = -1;
		return;
	}
	if (s->locked_at < 0)
		s->locked_at = now_s();
	if (s->n < MAX_UPDATES)
		s->abs_offset[s->n++] = fabs((double)offset);
}

static void stats_print(struct stats *s)
{
	if (s->locked_at < 0 || !s->n) {
		printf("never locked\n");
		return;
	}
	qsort(s->abs_offset, s->n, sizeof(double), cmp_double);
	printf("locked (the last time) %.2f s after start; then %u updates, |offset| p50 %.0f ns, "
	       "p99 %.0f ns, max %.0f ns\n", s->locked_at - s->start, s->n, s->abs_offset[s->n / 2],
	       s->abs_offset[(unsigned int)((s->n - 1) * 0.99)], s->abs_offset[s->n - 1]);
}

static const char *const state_names[] = { "unsync", "locked", "fault" };

int main(int argc, char **argv)
{
	struct kite_clock_status st = { .size = sizeof(st), .source = "CLOCK_REALTIME" };
	struct stats stats = { .locked_at = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	double err_hist[HISTORY] = { 0 };
	struct clock_servo servo;
	struct reference ref;
	struct timespec next;
	struct kite_dev *dev;
	unsigned long updates = 0;
	struct opts o;
	int rc = 0, failures = 0;

	tool_version(argc, argv, "kite-clock-sync");
	if (parse(argc, argv, &o))
		return 2;
	if (reference_open(&o, &ref))
		return 1;
	if (o.source)
		snprintf(st.source, sizeof(st.source), "%s", o.source);
	if (kite_open(o.dev, &dev)) {
		fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
		return 1;
	}
	stats.abs_offset = calloc(MAX_UPDATES, sizeof(double));
	if (!stats.abs_offset)
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* the card is ours: say so (a second daemon is refused here), nothing locked yet */
	st.updated_ns = (uint64_t)time(NULL) * 1000000000ULL;
	if (kite_clock_publish(dev, &st) ||
	    (!o.monitor && kite_clock_set_freq(dev, 0))) {	/* the servo starts from 0 */
		fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
		kite_close(dev);
		return 1;
	}
	clock_servo_init(&servo, 500000);
	st.interval_ms = (uint32_t)(1000 * o.interval + 0.5);
	stats.start = now_s();
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop && (!o.seconds || now_s() - stats.start < o.seconds)) {
		struct kite_clock_sample smp;
		enum clock_servo_state ss = SERVO_LOCKED;
		double freq = st.freq_ppb, worst = 0, ref_err;
		int64_t step = 0, skew;
		uint64_t rt, mid, ref_width;
		uint32_t prev;
		int err, k, ref_ok;

		err = kite_clock_sample(dev, o.readings, &smp);
		if (err) {	/* a slow host, another program's command: next time, for a while */
			fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
			if (++failures == MAX_FAILURES) {
				rc = 1;
				break;
			}
			st.state = KITE_CLOCK_UNSYNC;
			st.updated_ns = (uint64_t)time(NULL) * 1000000000ULL;
			kite_clock_publish(dev, &st);
			schedule_next(&next, o.interval);
			continue;
		}
		failures = 0;
		/* a wide bracket (the card or host slow just then) says little: not used */
		if (smp.sys_after_ns - smp.sys_before_ns > MAX_BRACKET_NS) {
			if (o.verbose)
				printf("skipped: readings bracketed %llu ns at best\n",
				       (unsigned long long)(smp.sys_after_ns - smp.sys_before_ns));
			schedule_next(&next, o.interval);
			continue;
		}
		/* UTC by the reference at the moment the card latched its clock */
		skew = reference_skew(&ref, &ref_width);
		rt = smp.sys_before_ns + (smp.sys_after_ns - smp.sys_before_ns) / 2;
		mid = rt + (uint64_t)skew;
		st.offset_ns = (int64_t)(smp.card_ns - mid);
		if (!o.monitor) {
			ss = clock_servo_sample(&servo, smp.card_ns, mid, &freq, &step);
			if (ss == SERVO_STEP)
				err = kite_clock_step(dev, step);
			if (!err && (ss == SERVO_STEP || ss == SERVO_LOCKED))
				err = kite_clock_set_freq(dev, freq);
			if (err) {
				fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
				rc = 1;
				break;
			}
			st.freq_ppb = freq;
			st.slew_ppb = freq - servo.drift_ppb;	/* the P term: the error's growth */
		}
		/* the error bound: the offset seen plus half the bracket, worst of the last few */
		err_hist[updates % HISTORY] = fabs((double)st.offset_ns) +
					      (double)(smp.sys_after_ns - smp.sys_before_ns) / 2 +
					      (double)ref_width / 2;
		for (k = 0; k < HISTORY && k <= (int)updates; k++)
			worst = fmax(worst, err_hist[k]);
		ref_ok = reference_synced(&o, &ref, &ref_err);
		st.max_error_ns = (uint64_t)ceil(worst + ref_err);
		prev = st.state;
		st.state = ss == SERVO_FAULT ? KITE_CLOCK_FAULT :
			   ss == SERVO_LOCKED && updates >= HISTORY / 2 && worst <= o.lock_ns &&
			   ref_ok ? KITE_CLOCK_LOCKED : KITE_CLOCK_UNSYNC;
		if (st.state == KITE_CLOCK_LOCKED && prev != KITE_CLOCK_LOCKED)
			st.locked_since_ns = smp.card_ns;	/* older stamps are not UTC */
		if (ss == SERVO_STEP || ss == SERVO_UNLOCKED) {	/* old errors mean nothing now */
			memset(err_hist, 0, sizeof(err_hist));
			updates = 0;
		}
		st.updated_ns = rt;	/* readers judge staleness by CLOCK_REALTIME */
		if (kite_clock_publish(dev, &st)) {
			fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
			rc = 1;
			break;
		}
		stats_add(&stats, st.state == KITE_CLOCK_LOCKED, st.offset_ns);
		if (o.verbose || ss == SERVO_FAULT || ss == SERVO_STEP)
			printf("%s offset %+lld ns freq %+.1f ppb bracket %llu ns%s%s%s\n",
			       state_names[st.state], (long long)st.offset_ns, st.freq_ppb,
			       (unsigned long long)(smp.sys_after_ns - smp.sys_before_ns),
			       ss == SERVO_STEP ? " (stepped)" : "",
			       ss == SERVO_FAULT ? ": " : "", ss == SERVO_FAULT ? servo.why : "");
		fflush(stdout);
		updates++;
		schedule_next(&next, o.interval);
	}
	/* a clock nobody keeps any more is not synchronised: say so at once */
	st.state = KITE_CLOCK_UNSYNC;
	kite_clock_publish(dev, &st);
	if (o.seconds)
		stats_print(&stats);
	kite_close(dev);
	if (ref.fd >= 0)
		close(ref.fd);
	free(stats.abs_offset);
	return rc;
}
