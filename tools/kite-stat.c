// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-stat: the card's per-port and per-queue counters (hw-spec §3.7), as
 * totals or, with -i, as rates. The numbers are the card's own (BAR0), the
 * same libkite's kite_port_stats() / kite_queue_hw_stats() return.
 *   kite-stat [-d DEV] [-i SEC] [-n COUNT] [--all] [-p PORT] [-q QUEUE] [--json]
 *   kite-stat [-d DEV] --info     one screen: identity, ports, queues, filters
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "sysfs.h"
#include "kite/hw.h"
#include "kite/kite.h"
#include "kite/regtab.h"

#define NPORT_CTR 8
#define NQUEUE_CTR 8

static const char *const port_names[NPORT_CTR] = {
	"rx_pkts", "rx_bytes", "tx_pkts", "tx_bytes",
	"rx_drop_nomatch", "rx_drop_mtu", "rx_drop_noq", "tx_drop_link",
};
static const char *const queue_names[NQUEUE_CTR] = {
	"tx_pkts", "tx_bytes", "tx_errors", "pio_pkts",
	"rx_pkts", "rx_bytes", "rx_drop_nobuf", "rx_drop_bufsz",
};

struct sample {
	uint64_t port[2][NPORT_CTR];
	uint64_t queue[16][NQUEUE_CTR];
};

_Static_assert(sizeof(struct kite_port_stats) == NPORT_CTR * 8, "port counters");
_Static_assert(sizeof(struct kite_queue_hw_stats) == NQUEUE_CTR * 8, "queue counters");

static void take(struct kite_dev *dev, const struct kite_dev_info *in, struct sample *s)
{
	unsigned int i;

	for (i = 0; i < in->num_ports && i < 2; i++)
		kite_port_stats(dev, i, (struct kite_port_stats *)s->port[i]);
	for (i = 0; i < in->num_queues && i < 16; i++)
		kite_queue_hw_stats(dev, i, (struct kite_queue_hw_stats *)s->queue[i]);
}

static bool all_zero(const uint64_t *v, int n)
{
	while (n--)
		if (v[n])
			return false;
	return true;
}

/* One port or queue: a text line, and its JSON object added to arr. */
static void show_row(json_object *arr, const char *kind, unsigned int id,
		     const char *const *names, int n, const uint64_t *cur, const uint64_t *prev,
		     double secs, bool json)
{
	json_object *o = json_object_new_object();
	int k;

	json_object_object_add(o, kind, json_object_new_int((int)id));
	if (!json)
		printf("%-5s %-2u", kind, id);
	for (k = 0; k < n; k++) {
		double v = prev ? (double)(cur[k] - prev[k]) / secs : (double)cur[k];

		json_object_object_add(o, names[k], prev ? json_object_new_double(v) :
				       json_object_new_int64((int64_t)cur[k]));
		if (!json)	/* rates carry their unit: bytes or frames per second */
			printf(" %s %.0f%s", names[k], v, !prev ? "" :
			       strstr(names[k], "bytes") ? " B/s" : "/s");
	}
	if (!json)
		printf("\n");
	json_object_array_add(arr, o);
}

/* What to show: every port and active queue, or the one asked for (-1: no choice made). */
static int sel_port = -1, sel_queue = -1;

static void show(const struct kite_dev_info *in, const struct sample *s, const struct sample *prev,
		 double secs, bool json, bool all)
{
	json_object *root = json_object_new_object(), *ports = json_object_new_array(),
		    *queues = json_object_new_array();
	bool one = sel_port >= 0 || sel_queue >= 0;
	struct timeval tv;
	char stamp[32];
	unsigned int i;

	gettimeofday(&tv, NULL);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&tv.tv_sec));
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03ld",
		 (long)tv.tv_usec / 1000);
	if (prev && !json)
		printf("%s\n", stamp);	/* each interval's lines under its time */
	for (i = 0; i < in->num_ports && i < 2; i++)
		if (!one || (int)i == sel_port)
			show_row(ports, "port", i, port_names, NPORT_CTR, s->port[i],
				 prev ? prev->port[i] : NULL, secs, json);
	for (i = 0; i < in->num_queues && i < 16; i++)
		if (one ? (int)i == sel_queue : all || !all_zero(s->queue[i], NQUEUE_CTR))
			show_row(queues, "queue", i, queue_names, NQUEUE_CTR, s->queue[i],
				 prev ? prev->queue[i] : NULL, secs, json);
	json_object_object_add(root, "time", json_object_new_double((double)tv.tv_sec +
								 tv.tv_usec / 1e6));
	json_object_object_add(root, prev ? "rates_per_s" : "totals", json_object_new_boolean(1));
	json_object_object_add(root, "ports", ports);
	json_object_object_add(root, "queues", queues);
	if (json)
		printf("%s\n", json_object_to_json_string(root));
	json_object_put(root);
	fflush(stdout);
}

static uint32_t rd32(const volatile uint8_t *bar0, uint32_t off)
{
	return *(const volatile uint32_t *)(bar0 + off);
}

static uint64_t rd64(const volatile uint8_t *bar0, uint32_t off)
{
	return *(const volatile uint64_t *)(bar0 + off);
}

/* ", process 1234 (kite-capture)": who owns a queue or filter entry, if libkite can tell. */
static void print_owner(long pid)
{
	char path[64], comm[32];

	if (pid <= 0) {
		printf("%s\n", pid ? "" : ", no owner");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	kite_read_line(path, comm, sizeof(comm));
	printf(", process %ld%s%s%s\n", pid, comm[0] ? " (" : "", comm, comm[0] ? ")" : "");
}

/* One screen about the card (as exanic-config): identity, ports, queues, filters. */
static int info(struct kite_dev *dev, const struct kite_dev_info *in)
{
	const volatile uint8_t *bar0 = kite_bar0(dev);
	unsigned int i, shown = 0;
	struct kite_link link;
	int f;

	printf("card      contract v%u.%u through the %s backend; %u ports, %u queues, %u filters\n",
	       in->version_major, in->version_minor, in->backend, in->num_ports, in->num_queues,
	       in->num_filters);
	printf("features ");
	for (f = 0; f < KITE_NFIELDS; f++)
		if (kite_fields[f].reg == KITE_RI_ID_FEATURES &&
		    (in->features >> kite_fields[f].lsb & 1))
			printf(" %s", kite_fields[f].name);
	printf("\n");
	for (i = 0; i < in->num_ports; i++) {
		uint32_t ctrl = rd32(bar0, KITE_R_AT(P_CTRL, i));

		if (kite_link_get(dev, i, &link))
			continue;
		printf("port %u    link %s %uG, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, unmatched "
		       "frames: ", i, link.up ? "up" : "down", link.speed_gbps, link.mac[0],
		       link.mac[1], link.mac[2], link.mac[3], link.mac[4], link.mac[5], link.mtu);
		if (KITE_FGET(KITE_P_CTRL_DEFAULT_EN, ctrl))
			printf("to queue %u", (unsigned int)KITE_FGET(KITE_P_CTRL_DEFAULT_QUEUE, ctrl));
		else
			printf("dropped");
		if (KITE_FGET(KITE_ID_FEATURES_COPY_FILTERS, in->features))	/* v1.2 */
			printf(", copies lost %llu",
			       (unsigned long long)rd64(bar0, KITE_R_AT(P_RX_COPY_DROP, i)));
		printf("\n");
	}
	for (i = 0; i < in->num_queues; i++) {
		struct kite_queue_hw_stats qs;
		uint32_t st = rd32(bar0, KITE_R_AT(Q_STATUS, i));
		uint32_t ctrl = rd32(bar0, KITE_R_AT(Q_CTRL, i));

		if (!st && !KITE_FGET(KITE_Q_CTRL_ENABLE, ctrl))
			continue;
		kite_queue_hw_stats(dev, i, &qs);
		printf("queue %-3u %s, port %u, rings %u/%u, rx %llu tx %llu frames", i,
		       KITE_FGET(KITE_Q_STATUS_ERROR, st) ? "ERROR" :
		       KITE_FGET(KITE_Q_STATUS_RUNNING, st) ? "running" : "stopping",
		       (unsigned int)KITE_FGET(KITE_Q_CTRL_PORT, ctrl),
		       1u << KITE_FGET(KITE_Q_CTRL_TX_LOG2, ctrl),
		       1u << KITE_FGET(KITE_Q_CTRL_RX_LOG2, ctrl),
		       (unsigned long long)qs.rx_pkts, (unsigned long long)qs.tx_pkts);
		print_owner(kite_queue_owner(dev, i));
		shown++;
	}
	if (!shown)
		printf("queues    none running\n");
	for (i = 0, shown = 0; i < in->num_filters; i++) {
		uint32_t ctrl = rd32(bar0, KITE_R_AT(F_CTRL, i));
		unsigned int type = KITE_FGET(KITE_F_CTRL_TYPE, ctrl);

		if (!KITE_FGET(KITE_F_CTRL_VALID, ctrl))
			continue;
		printf("filter %-2u %s 0x%llx on port %u %s queue %u, %llu hits", i,
		       kite_regtab_enum_name(KITE_FI_F_CTRL_TYPE, type) ?
		       kite_regtab_enum_name(KITE_FI_F_CTRL_TYPE, type) : "?",
		       (unsigned long long)rd64(bar0, KITE_R_AT(F_KEY, i)),
		       (unsigned int)KITE_FGET(KITE_F_CTRL_PORT, ctrl),
		       KITE_FGET(KITE_F_CTRL_COPY, ctrl) ? "copied to" : "->",
		       (unsigned int)KITE_FGET(KITE_F_CTRL_QUEUE, ctrl),
		       (unsigned long long)rd64(bar0, KITE_R_AT(F_HITS, i)));
		print_owner(kite_filter_owner(dev, i));
		shown++;
	}
	if (!shown)
		printf("filters   none\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' }, { "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "info", no_argument, NULL, 'I' }, { "port", required_argument, NULL, 'p' },
		{ "queue", required_argument, NULL, 'q' }, { 0 }
	};
	const char *devstr = getenv("KITE_DEV");
	struct sample a, b;
	struct kite_dev_info in;
	struct kite_dev *dev;
	double interval = 0;
	bool json = false, all = false, show_info = false;
	long count = -1, it;
	int c;

	tool_version(argc, argv, "kite-stat");
	while ((c = getopt_long(argc, argv, "d:i:n:jIp:q:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'i': interval = arg_double("kite-stat", 'i', optarg, 0.001, 86400); break;
		case 'n': count = arg_long("kite-stat", 'n', optarg, 1, 1000000000); break;
		case 'a': all = true; break;
		case 'I': show_info = true; break;
		case 'p': sel_port = (int)arg_ulong("kite-stat", 'p', optarg, 0, KITE_MAX_PORTS - 1); break;
		case 'q': sel_queue = (int)arg_ulong("kite-stat", 'q', optarg, 0,
						     KITE_MAX_QUEUES - 1); break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: kite-stat [-d DEV] [-i SEC [-n COUNT]] [--all] [-p PORT] [-q QUEUE] "
			       "[--json]\n"
			       "       kite-stat [-d DEV] --info\n\n"
			       "Counters of every port and of each queue that has counted something\n"
			       "(--all: every queue; -p, -q: only that port or queue). Without -i: totals\n"
			       "since the card's last reset. With -i: rates (frames/s, B/s) over each\n"
			       "interval, each block under its time, COUNT times (default: until\n"
			       "interrupted). --info: one screen about the card: identity, features,\n"
			       "ports (link, MAC, MTU, default queue), running queues, filters.\n"
			       "DEV: emu:PATH, /dev/kiteN or a PCI address (default $KITE_DEV).\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!devstr) {
		fprintf(stderr, "kite-stat: which device? (-d emu:PATH, /dev/kiteN, or set KITE_DEV)\n");
		return 2;
	}
	if (kite_open(devstr, &dev) || kite_dev_info(dev, &in)) {
		fprintf(stderr, "kite-stat: %s\n", kite_last_error());
		return 1;
	}
	if (show_info) {
		c = info(dev, &in);
		kite_close(dev);
		return c;
	}
	take(dev, &in, &a);
	if (interval <= 0) {
		show(&in, &a, NULL, 0, json, all);
	} else {
		for (it = 0; count < 0 || it < count; it++) {
			usleep((useconds_t)(interval * 1e6));
			take(dev, &in, &b);
			show(&in, &b, &a, interval, json, all);
			a = b;
		}
	}
	kite_close(dev);
	return 0;
}
