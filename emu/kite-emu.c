// SPDX-License-Identifier: BSD-3-Clause
/* kite-emu: run the kite NIC model as a daemon. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "kite/hw.h"
#include "../tools/args.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* --clock-ppm: a real oscillator is off by tens of ppm; 1000 is far beyond any */
static int clock_ppm_arg(const char *s, double *ppm)
{
	char *end;

	errno = 0;
	*ppm = strtod(s, &end);
	if (errno || end == s || *end || !(*ppm >= -1000 && *ppm <= 1000)) {
		fprintf(stderr, "kite-emu: --clock-ppm '%s': a number of ppm, -1000 to 1000\n", s);
		return -1;
	}
	return 0;
}

/* --clock-jump NS@S: NS signed nanoseconds, S seconds (fractions allowed) */
static int clock_jump_arg(const char *s, struct kite_emu_config *cfg)
{
	char *end, *at;
	double after;

	errno = 0;
	cfg->clock_jump_ns = strtoll(s, &at, 0);
	if (!errno && at != s && *at == '@' && cfg->clock_jump_ns) {
		after = strtod(at + 1, &end);
		if (!errno && end != at + 1 && !*end && after >= 0 && after <= 86400) {
			cfg->clock_jump_after_ns = (uint64_t)(after * 1e9);
			return 0;
		}
	}
	fprintf(stderr, "kite-emu: --clock-jump '%s': NS@S, a nonzero jump in ns and when, "
		"in seconds (0 to 86400) after start\n", s);
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kite-emu [-s PATH] [--wire loopback|pair] [-c CPU]\n"
		"\n"
		"A software model of the kite NIC (docs/hw-spec.md). Applications reach it\n"
		"with libkite's device string emu:PATH.\n"
		"\n"
		"  -s, --socket PATH  control socket (default /tmp/kite-emu.sock)\n"
		"      --wire WIRE    loopback: each port receives what it sends (default)\n"
		"                     pair: port 0 and port 1 cabled back to back\n"
		"  -c, --cpu CPU      pin the polling thread to CPU\n"
		"      --bar-file F   keep the BARs in file F (QEMU: ivshmem-plain's memdev)\n"
		"      --guest-ram F  DMA into a VM's RAM file F (IOVA = guest physical address)\n"
		"      --tap NAME     cable port 0 to a new TAP device NAME (needs CAP_NET_ADMIN):\n"
		"                     real kernel traffic reaches kite apps on port 0\n"
		"      --fault-hooks  let SCRATCH trigger a stuck card (hw-spec §8; tests only)\n"
		"      --trace FILE   log software's register and doorbell writes, decoded\n"
		"      --contract 1.N act as a card of contract v1.N (ID_VERSION, ID_FEATURES and\n"
		"                     behaviour), to test software's fallbacks; default: newest\n"
		"      --clock-ppm P  the card's oscillator runs P ppm fast (negative: slow);\n"
		"                     a clock servo has to correct it (hw-spec §3.4.1)\n"
		"      --clock-jump NS@S  the card clock jumps by NS ns, once, S s after start\n"
		"  -h, --help         this text\n"
		"\n"
		"The model polls doorbells on its thread without sleeping (one full core).\n"
		"SIGINT or SIGTERM stops it; it removes its socket on the way out.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "wire", required_argument, NULL, 'w' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "bar-file", required_argument, NULL, 'B' },
		{ "guest-ram", required_argument, NULL, 'G' },
		{ "tap", required_argument, NULL, 'T' },
		{ "fault-hooks", no_argument, NULL, 'F' },
		{ "trace", required_argument, NULL, 'R' },
		{ "contract", required_argument, NULL, 'V' },
		{ "clock-ppm", required_argument, NULL, 'P' },
		{ "clock-jump", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct kite_emu_config cfg = { .socket_path = "/tmp/kite-emu.sock" };
	struct sigaction sa = { .sa_handler = on_signal };
	struct kite_emu *emu;
	char msg[256];
	int c, cpu = -1;

	tool_version(argc, argv, "kite-emu");
	while ((c = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.socket_path = optarg;
			break;
		case 'w':
			if (!strcmp(optarg, "loopback")) {
				cfg.wire = KITE_EMU_WIRE_LOOPBACK;
			} else if (!strcmp(optarg, "pair")) {
				cfg.wire = KITE_EMU_WIRE_PAIR;
			} else {
				fprintf(stderr, "kite-emu: unknown wire '%s' (loopback or pair)\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			cpu = (int)arg_ulong("kite-emu", 'c', optarg, 0, 4095);
			break;
		case 'B':
			cfg.bar_file = optarg;
			break;
		case 'G':
			cfg.guest_ram_file = optarg;
			break;
		case 'T':
			cfg.tap_name = optarg;
			break;
		case 'F':
			cfg.fault_hooks = true;
			break;
		case 'R':
			cfg.trace_file = optarg;
			break;
		case 'V':
			if (strncmp(optarg, "1.", 2)) {
				fprintf(stderr, "kite-emu: --contract '%s': this model speaks 1.x\n",
					optarg);
				return 2;
			}
			cfg.contract_minor = (unsigned int)arg_ulong("kite-emu", 'V', optarg + 2, 1,
								     KITE_VERSION_MINOR);
			break;
		case 'P':
			if (clock_ppm_arg(optarg, &cfg.clock_ppm))
				return 2;
			break;
		case 'J':
			if (clock_jump_arg(optarg, &cfg))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			fprintf(stderr, "kite-emu: cannot pin to CPU %d: %m\n", cpu);
	}
	if (kite_emu_create(&cfg, &emu, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "kite-emu: %s\n", msg);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (kite_emu_serve(emu, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "kite-emu: %s\n", msg);
		kite_emu_destroy(emu);
		return 1;
	}
	fprintf(stderr, "kite-emu: listening on %s, wire %s%s%s\n", cfg.socket_path,
		cfg.wire == KITE_EMU_WIRE_PAIR ? "pair" : "loopback",
		cfg.tap_name ? ", port 0 on TAP " : "", cfg.tap_name ? cfg.tap_name : "");
	kite_emu_run(emu, &stop);
	kite_emu_destroy(emu);
	fprintf(stderr, "kite-emu: stopped\n");
	return 0;
}
