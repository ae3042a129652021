// SPDX-License-Identifier: BSD-3-Clause
/* Built by tests/e2e.sh against an installed libkite (pkg-config, shared library). */
#include <stdio.h>
#include <string.h>

#include <kite/kite.h>

int main(int argc, char **argv)
{
	struct kite_dev *dev;
	struct kite_dev_info in;
	int err = kite_open(argc > 1 ? argv[1] : "emu:/nonexistent", &dev);

	/* the headers' version and the library's, which must be the same one */
	printf("libkite %s, built against %s (%d)\n", kite_version(), KITE_LIB_VERSION,
	       KITE_LIB_VERSION_NUM);
	if (err) {
		printf("error %d: %s\n", err, kite_last_error());
		return 1;
	}
	kite_dev_info(dev, &in);
	printf("%s card v%u.%u, %u queues\n", in.backend, in.version_major, in.version_minor,
	       in.num_queues);
	kite_close(dev);
	return 0;
}
