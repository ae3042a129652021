// SPDX-License-Identifier: BSD-3-Clause
/* How a tool or example is asked to stop (stop_signal.h). */
#include "stop_signal.h"

volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void stop_on_signals(bool interrupt)
{
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = interrupt ? 0 : SA_RESTART };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	unsigned int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
