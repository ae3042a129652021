/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kite-emu: a software model of the kite NIC, written from docs/hw-spec.md.
 * The model is a library (this API) plus the kite-emu daemon around it.
 *
 * Threads: the data path (kite_emu_step or kite_emu_run) runs on one thread;
 * the control server (kite_emu_serve) on another. They share the model under
 * one lock that the data path holds while it runs and hands over on request,
 * so the poll loop itself never takes a lock.
 */
#ifndef KITE_EMU_H
#define KITE_EMU_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kite_emu_wire {
	KITE_EMU_WIRE_LOOPBACK,	/* each port receives what it sends */
	KITE_EMU_WIRE_PAIR,	/* port 0 and port 1 cabled back to back */
};

struct kite_emu_config {
	const char *socket_path;	/* where clients connect (kite_emu_serve) */
	enum kite_emu_wire wire;
	/*
	 * Attached to a virtual machine (QEMU): the BARs live in this file (an
	 * ivshmem-plain device's shared memory: BAR0 window, then the doorbell
	 * pages), and the guest's RAM file is DMA memory with IOVA = guest
	 * physical address = file offset. NULL: a private memfd / no guest.
	 */
	const char *bar_file;
	const char *guest_ram_file;
	/*
	 * Port 0 cabled to a Linux TAP device of this name (created; needs
	 * CAP_NET_ADMIN): what the card sends on port 0 reaches the kernel, and
	 * what the kernel sends on the TAP arrives on port 0. NULL: no TAP.
	 */
	const char *tap_name;
	/*
	 * Test hooks a driver's tests can trigger through the SCRATCH register
	 * (hw-spec §8, test hooks): KITE_EMU_FAULT_STUCK_STOP makes the model ignore queue
	 * stops, KITE_EMU_FAULT_STUCK_RESET ignores stops and resets too, until
	 * SCRATCH changes. A real card has no such thing; off by default.
	 */
	bool fault_hooks;
	/*
	 * Log every change software makes to writable registers and doorbells,
	 * decoded, to this file (emu/trace.c). NULL: no trace.
	 */
	const char *trace_file;
	/*
	 * Behave as a card of an older contract minor version (ID_VERSION,
	 * ID_FEATURES and behaviour), so software's fallbacks can be tested:
	 * 1 = v1.1 (no copy filters). 0: the newest this model implements.
	 */
	unsigned int contract_minor;
	/*
	 * The card's oscillator runs this many ppm fast (negative: slow), and
	 * its clock jumps by clock_jump_ns once, clock_jump_after_ns after
	 * creation (0: never): a clock that needs disciplining (hw-spec §3.4.1).
	 */
	double clock_ppm;
	int64_t clock_jump_ns;
	uint64_t clock_jump_after_ns;
};

#define KITE_EMU_FAULT_STUCK_STOP	0xfa170001u
#define KITE_EMU_FAULT_STUCK_RESET	0xfa170002u

struct kite_emu;

/*
 * What a real card would see and do on PCIe for one queue since it started
 * (bench/kite-bus): the cost model behind the projected latency in
 * bench/README.md. Doorbell updates are those the model observed (each at
 * least one posted write); DMA reads are non-posted (the card waits a full
 * round trip for each); the RX descriptor fetches a card makes when the RX
 * doorbell moves are off the critical path and counted apart.
 */
struct kite_emu_bus {
	uint64_t mmio_writes;		/* doorbell updates + 64-byte WC bursts of PIO frames */
	uint64_t dma_reads;		/* TX descriptor lines, TX buffers */
	uint64_t dma_reads_ahead;	/* RX descriptor lines, fetched when posted */
	uint64_t dma_writes;		/* completions, RX buffers */
	uint64_t dma_read_bytes, dma_write_bytes;
};

/* Queue qid's bus transactions (above). 0, or -EINVAL for a queue that does not exist. */
int kite_emu_bus_counts(struct kite_emu *emu, unsigned int qid, struct kite_emu_bus *out);

/* Create a model in its power-on state. Returns 0 or -errno; msg gets why. */
int kite_emu_create(const struct kite_emu_config *cfg, struct kite_emu **out,
		    char *msg, size_t msglen);
/* Stop the server if any, release every client's memory, remove the socket. */
void kite_emu_destroy(struct kite_emu *emu);

/* Start the control server thread on cfg->socket_path. 0 or -errno. */
int kite_emu_serve(struct kite_emu *emu, char *msg, size_t msglen);

/*
 * Step mode: process everything pending (register changes, doorbells, the
 * frames they produce) once, then return the number of frames moved.
 * Deterministic: tests and instruction counts use it.
 */
unsigned int kite_emu_step(struct kite_emu *emu);

/* Poll doorbells on the calling thread until *stop becomes non-zero. */
void kite_emu_run(struct kite_emu *emu, volatile sig_atomic_t *stop);

/* The cable: plug (up) or pull a port's link. */
void kite_emu_set_carrier(struct kite_emu *emu, unsigned int port, bool up);

/* BAR0 followed by BAR2, as clients see it (for tests of the model). */
volatile uint8_t *kite_emu_bars(struct kite_emu *emu);

#endif /* KITE_EMU_H */
