/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a tool or example is asked to stop: SIGINT (Ctrl-C), SIGTERM and SIGHUP
 * set stop_requested, which its main loop polls, so it still gives back its
 * queue and prints its counts. Under nohup, SIGHUP stays ignored. The first
 * signal puts back the default action, so a second one ends a tool stuck in
 * a call that does not return (the kernel and kite-emu free what it held
 * either way).
 */
#ifndef KITE_TOOLS_STOP_SIGNAL_H
#define KITE_TOOLS_STOP_SIGNAL_H

#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t stop_requested;

/*
 * interrupt: a blocking call returns EINTR instead of restarting (for a loop
 * that sleeps, such as kite-clock-sync's); the polling loops pass false.
 */
void stop_on_signals(bool interrupt);

#endif
