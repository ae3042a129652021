// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-stat: the card's per-port and per-queue counters (hw-spec §3.7), as
 * totals or, with -i, as rates. The numbers are the card's own (BAR0), the
 * same libkite's kite_port_stats() / kite_queue_hw_stats() return.
 *   kite-stat [-d DEV] [-i SEC] [-n COUNT] [-a] [--json]
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "kite/kite.h"

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
		if (!json)
			printf(" %s %.0f%s", names[k], v, prev ? "/s" : "");
	}
	if (!json)
		printf("\n");
	json_object_array_add(arr, o);
}

static void show(const struct kite_dev_info *in, const struct sample *s, const struct sample *prev,
		 double secs, bool json, bool all)
{
	json_object *root = json_object_new_object(), *ports = json_object_new_array(),
		    *queues = json_object_new_array();
	unsigned int i;

	for (i = 0; i < in->num_ports && i < 2; i++)
		show_row(ports, "port", i, port_names, NPORT_CTR, s->port[i],
			 prev ? prev->port[i] : NULL, secs, json);
	for (i = 0; i < in->num_queues && i < 16; i++)
		if (all || !all_zero(s->queue[i], NQUEUE_CTR))
			show_row(queues, "queue", i, queue_names, NQUEUE_CTR, s->queue[i],
				 prev ? prev->queue[i] : NULL, secs, json);
	json_object_object_add(root, prev ? "rates_per_s" : "totals", json_object_new_boolean(1));
	json_object_object_add(root, "ports", ports);
	json_object_object_add(root, "queues", queues);
	if (json)
		printf("%s\n", json_object_to_json_string(root));
	json_object_put(root);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' }, { "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *devstr = getenv("KITE_DEV");
	struct sample a, b;
	struct kite_dev_info in;
	struct kite_dev *dev;
	double interval = 0;
	bool json = false, all = false;
	long count = -1, it;
	int c;

	tool_version(argc, argv, "kite-stat");
	while ((c = getopt_long(argc, argv, "d:i:n:ajh", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'i': interval = arg_double("kite-stat", 'i', optarg, 0.001, 86400); break;
		case 'n': count = arg_long("kite-stat", 'n', optarg, 1, 1000000000); break;
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: kite-stat [-d DEV] [-i SEC [-n COUNT]] [-a] [--json]\n\n"
			       "Counters of every port and of each queue that has counted something\n"
			       "(-a: every queue). Without -i: totals since the card's last reset.\n"
			       "With -i: rates per second over each interval, COUNT times (default:\n"
			       "until interrupted). DEV: emu:PATH, /dev/kiteN or a PCI address\n"
			       "(default $KITE_DEV).\n");
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
