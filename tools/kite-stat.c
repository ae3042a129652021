// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-stat: the card's per-port and per-queue counters (hw-spec §3.7), as
 * totals or, with -i, as rates. The numbers are the card's own (BAR0), the
 * same libkite's kite_port_stats() / kite_queue_hw_stats() return.
 *   kite-stat [-d DEV] [-i SEC] [-n COUNT] [--all] [-p PORT] [-q QUEUE] [--json]
 *   kite-stat [-d DEV] --info     one screen: identity, ports, queues, filters
 *   kite-stat --net FILE [--all] [--json]   a kite-net interface's counters file
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "sysfs.h"
#include "kite/hw.h"
#include "kite/kite.h"
#include "kite/net.h"
#include "kite/regtab.h"
#include "../net/stats_file.h"

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

/* ---- --net FILE: a kite-net interface's counters (net/stats_file.h) ---- */

#define NET_MAX_FILE	(16u << 20)	/* far beyond any kite-net's counters */
#define NET_MAX_COUNT	65536u
#define NET_MAX_NAME	256u

_Static_assert(sizeof(struct kn_stats_hdr) == 48, "kite-net counters file header");

/* what this kite-stat knows of a counter by its name; "" for a newer kite-net's */
static const char *net_help(const char *name)
{
	static const char *const names[] = {
#define KN_NAME(id, name, help) name,
		KN_STATS(KN_NAME)
#undef KN_NAME
	};
	static const char *const helps[] = {
#define KN_HELP(id, name, help) help,
		KN_STATS(KN_HELP)
#undef KN_HELP
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i], name))
			return helps[i];
	return "";
}

/*
 * The whole file, read with read(): never mapped, so a file cut short is a
 * message here, not a SIGBUS. NULL (said why) on failure.
 */
static uint8_t *net_read(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *buf = NULL, *nb;
	struct stat st;
	ssize_t r;
	int fd;

	/* non-blocking: a FIFO planted at the path must not hang the tool (refused below) */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kite-stat: --net %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "kite-stat: --net %s: not a regular file\n", path);
		goto fail;
	}
	for (;;) {
		if (n == cap || !buf) {
			cap = buf ? cap * 2 : cap;
			nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "kite-stat: --net %s: out of memory\n", path);
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "kite-stat: --net %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n > NET_MAX_FILE) {
			fprintf(stderr, "kite-stat: --net %s: over %u bytes: not a kite-net "
				"counters file\n", path, NET_MAX_FILE);
			goto fail;
		}
	}
	close(fd);
	*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* Is the file whole and consistent? 0, or 1 with the problem said. */
static int net_check(const char *path, const uint8_t *b, size_t len, struct kn_stats_hdr *h)
{
	uint64_t names_end, end;
	unsigned int i, k;

	if (len < sizeof(*h)) {
		fprintf(stderr, "kite-stat: --net %s: %zu bytes, shorter than the %zu-byte header: "
			"truncated, or not a kite-net counters file\n", path, len, sizeof(*h));
		return 1;
	}
	memcpy(h, b, sizeof(*h));
	if (memcmp(h->magic, KN_STATS_MAGIC, sizeof(h->magic))) {
		fprintf(stderr, "kite-stat: --net %s: not a kite-net counters file (no %s magic; "
			"or its interface is still being opened)\n", path, KN_STATS_MAGIC);
		return 1;
	}
	if (!h->count || h->count > NET_MAX_COUNT) {
		fprintf(stderr, "kite-stat: --net %s: counter count %u is not 1..%u\n", path,
			h->count, NET_MAX_COUNT);
		return 1;
	}
	if (!h->name_len || h->name_len > NET_MAX_NAME) {
		fprintf(stderr, "kite-stat: --net %s: name length %u is not 1..%u\n", path,
			h->name_len, NET_MAX_NAME);
		return 1;
	}
	names_end = sizeof(*h) + (uint64_t)h->count * h->name_len;
	if (h->values_off < names_end || h->values_off % 8) {
		fprintf(stderr, "kite-stat: --net %s: the values' offset %llu is %s\n", path,
			(unsigned long long)h->values_off, h->values_off % 8 ? "not 8-aligned" :
			"inside the header or the names");
		return 1;
	}
	if (h->values_off > len) {
		fprintf(stderr, "kite-stat: --net %s: the values' offset %llu is past the end of "
			"the file (%zu bytes): truncated\n", path,
			(unsigned long long)h->values_off, len);
		return 1;
	}
	end = h->values_off + (uint64_t)h->count * 8;
	if (end != len) {
		fprintf(stderr, "kite-stat: --net %s: %zu bytes, but its header (%u counters, "
			"values at %llu) says %llu: %s\n", path, len, h->count,
			(unsigned long long)h->values_off, (unsigned long long)end,
			len < end ? "truncated" : "bytes past the end");
		return 1;
	}
	for (i = 0; i < h->count; i++) {
		const char *name = (const char *)b + sizeof(*h) + (size_t)i * h->name_len;

		for (k = 0; k < h->name_len && name[k]; k++)
			if (name[k] < 0x21 || name[k] > 0x7e)
				break;
		if (!k || k == h->name_len || name[k]) {
			fprintf(stderr, "kite-stat: --net %s: counter %u's name is %s\n", path, i,
				!k ? "empty" : k == h->name_len ? "not NUL-terminated" :
				"not printable");
			return 1;
		}
	}
	return 0;
}

static int net_stats(const char *path, bool json, bool all)
{
	struct kn_stats_hdr h;
	char comm[32] = "", mac[18], addr[16];
	bool running, shown = false;
	json_object *root, *ctr;
	unsigned int i;
	uint8_t *b;
	size_t len;

	b = net_read(path, &len);
	if (!b)
		return 1;
	if (net_check(path, b, len, &h)) {
		free(b);
		return 1;
	}
	/* the process that owns the interface; a file left by one that died is stale */
	running = h.pid && h.pid <= INT32_MAX && (kill((pid_t)h.pid, 0) == 0 || errno == EPERM);
	if (running) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/%llu/comm", (unsigned long long)h.pid);
		kite_read_line(p, comm, sizeof(comm));
	}
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", h.mac[0], h.mac[1], h.mac[2],
		 h.mac[3], h.mac[4], h.mac[5]);
	snprintf(addr, sizeof(addr), "%u.%u.%u.%u", h.addr >> 24, h.addr >> 16 & 0xff,
		 h.addr >> 8 & 0xff, h.addr & 0xff);
	root = json_object_new_object();
	ctr = json_object_new_object();
	if (!json)
		printf("kite-net %s: process %llu%s%s%s, %s on card port %u, MAC %s\n", path,
		       (unsigned long long)h.pid, !running ? " (exited: its last counts)" :
		       comm[0] ? " (" : "", running ? comm : "", running && comm[0] ? ")" : "",
		       addr, h.port, mac);
	for (i = 0; i < h.count; i++) {
		const char *name = (const char *)b + sizeof(h) + (size_t)i * h.name_len;
		uint64_t v;

		memcpy(&v, b + h.values_off + (size_t)i * 8, sizeof(v));
		json_object_object_add(ctr, name, json_object_new_int64((int64_t)v));
		if (json || (!v && !all))
			continue;
		printf("  %-22s %20llu  %s\n", name, (unsigned long long)v, net_help(name));
		shown = true;
	}
	if (!json && !shown)
		printf("  every counter is 0 (--all lists them)\n");
	json_object_object_add(root, "file", json_object_new_string(path));
	json_object_object_add(root, "pid", json_object_new_int64((int64_t)h.pid));
	json_object_object_add(root, "running", json_object_new_boolean(running));
	json_object_object_add(root, "addr", json_object_new_string(addr));
	json_object_object_add(root, "port", json_object_new_int((int)h.port));
	json_object_object_add(root, "mac", json_object_new_string(mac));
	json_object_object_add(root, "counters", ctr);
	if (json)
		printf("%s\n", json_object_to_json_string(root));
	json_object_put(root);
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' }, { "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "info", no_argument, NULL, 'I' }, { "port", required_argument, NULL, 'p' },
		{ "queue", required_argument, NULL, 'q' }, { "net", required_argument, NULL, 'N' },
		{ 0 }
	};
	const char *devstr = getenv("KITE_DEV"), *net = NULL;
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
		case 'N': net = optarg; break;
		case 'h':
			printf("usage: kite-stat [-d DEV] [-i SEC [-n COUNT]] [--all] [-p PORT] [-q QUEUE] "
			       "[--json]\n"
			       "       kite-stat [-d DEV] --info\n"
			       "       kite-stat --net FILE [--all] [--json]\n\n"
			       "Counters of every port and of each queue that has counted something\n"
			       "(--all: every queue; -p, -q: only that port or queue). Without -i: totals\n"
			       "since the card's last reset. With -i: rates (frames/s, B/s) over each\n"
			       "interval, each block under its time, COUNT times (default: until\n"
			       "interrupted). --info: one screen about the card: identity, features,\n"
			       "ports (link, MAC, MTU, default queue), running queues, filters.\n"
			       "--net FILE: the counters of a kite-net interface (the file its program\n"
			       "was given for them, e.g. kite-responder's --stats): its process, address,\n"
			       "card port and MAC, then each counter that is not 0 (--all: every one),\n"
			       "with what it counts. --json prints every counter. The file is read, not\n"
			       "mapped: one cut short or not of this format is refused, saying why.\n"
			       "DEV: emu:PATH, /dev/kiteN or a PCI address (default $KITE_DEV).\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kite-stat: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (net) {
		if (show_info || interval > 0 || count >= 0 || sel_port >= 0 || sel_queue >= 0) {
			fprintf(stderr, "kite-stat: --net reads a file: --info, --interval, --count, "
				"--port and --queue do not apply\n");
			return 2;
		}
		return net_stats(net, json, all);
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
