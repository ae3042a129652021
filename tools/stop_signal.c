// SPDX-License-Identifier: BSD-3-Clause
/* How a tool or example is asked to stop (stop_signal.h). */
#include <stddef.h>

#include "stop_signal.h"

volatile sig_atomic_t stop_requested;

static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP };
static bool caught[sizeof(stop_sigs) / sizeof(stop_sigs[0])];

/* The first stop signal: every one caught gets its default action back. */
static void on_stop_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	size_t i;

	(void)sig;
	stop_requested = 1;
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		if (caught[i])
			sigaction(stop_sigs[i], &dfl, NULL);	/* async-signal-safe */
}

void stop_on_signals(bool interrupt)
{
	struct sigaction sa = { .sa_handler = on_stop_signal,
				.sa_flags = interrupt ? 0 : SA_RESTART }, old;
	size_t i;

	sigfillset(&sa.sa_mask);	/* one handler at a time */
	/*
	 * SIGHUP stays ignored under nohup. SIGINT is caught even when ignored:
	 * a shell script's background job starts with it ignored, and is still
	 * stopped with kill -INT.
	 */
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++) {
		if (stop_sigs[i] == SIGHUP &&
		    (sigaction(SIGHUP, NULL, &old) || old.sa_handler == SIG_IGN))
			continue;
		caught[i] = sigaction(stop_sigs[i], &sa, NULL) == 0;
	}
}
