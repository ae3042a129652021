// SPDX-License-Identifier: BSD-3-Clause
/* kite-emu's TAP cable: port 0 wired to a Linux TAP device (no packet info). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "emu_internal.h"

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
	return 0;
}
