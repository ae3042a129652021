// SPDX-License-Identifier: BSD-3-Clause
/* kite.h from C++ (tests/e2e.sh): the sized calls are inline functions there. */
#include <kite/kite.h>
#include <cstdio>
int main(int argc, char **argv)
{
	struct kite_dev *d = nullptr;
	struct kite_dev_info di = {};
	struct kite_queue_stats qs{};
	if (argc > 1 && kite_open(argv[1], &d) == 0) {
		kite_dev_info(d, &di);
		kite_queue_stats(nullptr, &qs);
		std::printf("%s %u\n", di.backend, di.num_queues);
		kite_close(d);
	}
	return kite_dev_info(nullptr, nullptr) == -22 ? 0 : 1;
}
