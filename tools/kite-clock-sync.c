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
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "stop_signal.h"
#include "clock.h"
#include "kite/kite.h"

#define MAX_UPDATES 100000	/* statistics kept */

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

/* The next update one interval on; when late (a loaded host), from now, not a burst. */
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
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR && !stop_requested)
		;
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
		s->locked_at = kite_mono_s();
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
	struct kite_clock_servo_conf conf = { .size = sizeof(conf) };
	struct stats stats = { .locked_at = -1 };
	struct kite_clock_servo *servo;
	struct kite_clock_update u;
	struct timespec next;
	struct kite_dev *dev;
	struct opts o;
	int rc = 0, said = 0;

	tool_version(argc, argv, "kite-clock-sync");
	if (parse(argc, argv, &o))
		return 2;
	if (kite_open(o.dev, &dev)) {
		fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
		return 1;
	}
	stats.abs_offset = calloc(MAX_UPDATES, sizeof(double));
	if (!stats.abs_offset)
		return 1;
	conf.readings = o.readings;
	conf.interval_s = o.interval;
	conf.lock_ns = o.lock_ns;
	conf.source = o.source;
	conf.source_offset_s = o.source_offset;
	conf.flags = (o.monitor ? KITE_CLOCK_SERVO_MONITOR : 0) |
		     (o.trust_unsynced ? KITE_CLOCK_SERVO_TRUST_UNSYNCED : 0);
	if (kite_clock_servo_open(dev, &conf, &servo)) {
		fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
		kite_close(dev);
		return 1;
	}
	stop_on_signals(true);
	stats.start = kite_mono_s();
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop_requested && (!o.seconds || kite_mono_s() - stats.start < o.seconds)) {
		if (kite_clock_servo_update(servo, &u)) {
			fprintf(stderr, "kite-clock-sync: %s\n", kite_last_error());
			rc = 1;
			break;
		}
		if (u.flags & KITE_CLOCK_UPDATE_SKIPPED) {
			if (o.verbose)
				printf("skipped: %s\n", u.why);
		} else {
			stats_add(&stats, u.state == KITE_CLOCK_LOCKED, u.offset_ns);
			if (o.verbose || u.state == KITE_CLOCK_FAULT ||
			    (u.flags & KITE_CLOCK_UPDATE_STEPPED))
				printf("%s offset %+lld ns freq %+.1f ppb bracket %llu ns%s%s%s\n",
				       state_names[u.state], (long long)u.offset_ns, u.freq_ppb,
				       (unsigned long long)u.bracket_ns,
				       u.flags & KITE_CLOCK_UPDATE_STEPPED ? " (stepped)" : "",
				       u.state == KITE_CLOCK_FAULT && u.why ? ": " : "",
				       u.state == KITE_CLOCK_FAULT && u.why ? u.why : "");
			if (u.why && u.state != KITE_CLOCK_FAULT && !said++)
				fprintf(stderr, "kite-clock-sync: %s; it stays 'unsync' "
					"(--trust-unsynced-reference to call it UTC anyway)\n", u.why);
		}
		fflush(stdout);
		schedule_next(&next, o.interval);
	}
	kite_clock_servo_close(servo);
	if (o.seconds)
		stats_print(&stats);
	kite_close(dev);
	free(stats.abs_offset);
	return rc;
}
