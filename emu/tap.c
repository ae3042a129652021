// SPDX-License-Identifier: BSD-3-Clause
/* kite-emu's TAP cable: port 0 wired to a Linux TAP device (no packet info). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "emu_internal.h"

/* The TAP's TX drop count (kernel -> model) from this thread's /proc/net/dev, or -1. */
static int64_t tap_tx_drops(const char *name)
{
	char line[512];
	int64_t drops = -1;
	size_t n = strlen(name);
	FILE *f = fopen("/proc/thread-self/net/dev", "r");

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");
		unsigned long long v[12];

		if (strncmp(p, name, n) || p[n] != ':')
			continue;
		if (sscanf(p + n + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
			   &v[10], &v[11]) == 12)
			drops = (int64_t)v[11];	/* TX: bytes packets errs drop ... */
	}
	if (f)
		fclose(f);
	return drops;
}

/*
 * Frames the kernel could not queue to the TAP because the model did not read
 * them in time never reach port 0: hw-spec §3.7 counts them in
 * P_RX_DROP_OVERRUN. The TAP may live in another network namespace (tests move
 * it there), so this thread follows it (TUNGETDEVNETNS) and reads its counter
 * every 100 ms, off the data path.
 */
static void *tap_stats_main(void *arg)
{
	struct kite_emu *e = arg;
	const struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	int64_t last = 0, now;
	int ns;

	while (!atomic_load(&e->tap_stats_stop)) {
		ns = ioctl(e->tap_fd, TUNGETDEVNETNS);
		if (ns >= 0) {
			if (setns(ns, CLONE_NEWNET) < 0)
				perror("kite-emu: TAP statistics: setns");
			close(ns);
		}
		now = tap_tx_drops(e->cfg.tap_name);
		if (now > last) {
			__atomic_fetch_add((uint64_t *)(e->bar + KITE_R_AT(P_RX_DROP_OVERRUN, 0)),
					   (uint64_t)(now - last), __ATOMIC_RELAXED);
			last = now;
		}
		nanosleep(&tick, NULL);
	}
	return NULL;
}

void emu_tap_close(struct kite_emu *e)
{
	if (e->tap_fd < 0)
		return;
	atomic_store(&e->tap_stats_stop, true);
	pthread_join(e->tap_stats, NULL);
	close(e->tap_fd);
	e->tap_fd = -1;
}

int emu_tap_open(struct kite_emu *e, const char *name, char *msg, size_t msglen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd, err;

	if (strlen(name) >= IFNAMSIZ) {
		snprintf(msg, msglen, "TAP name '%s' is longer than %d characters", name,
			 IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, msglen, "cannot open /dev/net/tun: %s", strerror(errno));
		return err;
	}
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		snprintf(msg, msglen, "cannot create TAP %s: %s%s", name, strerror(errno),
			 errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		close(fd);
		return err;
	}
	e->tap_buf = malloc(EMU_TAP_BUF);
	if (!e->tap_buf) {
		close(fd);
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	e->tap_fd = fd;
	err = pthread_create(&e->tap_stats, NULL, tap_stats_main, e);
	if (err) {
		snprintf(msg, msglen, "cannot start the TAP statistics thread: %s", strerror(err));
		close(fd);
		e->tap_fd = -1;
		return -err;
	}
	return 0;
}
