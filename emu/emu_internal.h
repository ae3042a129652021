/* SPDX-License-Identifier: BSD-3-Clause */
/* kite-emu internals: the model's state, shared by its source files. */
#ifndef KITE_EMU_INTERNAL_H
#define KITE_EMU_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <x86intrin.h>

#include "kite/hw.h"
#include "emu.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the model reads descriptors in host order: little-endian hosts only");

#define EMU_MAX_REGIONS		1024
#define EMU_MAX_CLIENTS		32
/* what one process may hold: regions, bytes of them, connections */
#define EMU_MAX_REGIONS_PER_PROC	(EMU_MAX_REGIONS / 4)
#define EMU_MAX_BYTES_PER_PROC		(1ULL << 42)	/* 4 TiB of the daemon's address space */
#define EMU_MAX_CONN_PER_PID		4
#define EMU_NO_OWNER		(-1)
/* A TAP read sees a frame's real length, up to the largest an interface sends */
#define EMU_TAP_BUF		65536
/* TAP frames taken per control scan: enough to keep up with the kernel's burst */
#define EMU_TAP_BUDGET		4096
#define EMU_OWNER_GUEST		(-2)	/* the attached VM's RAM: never unmapped */
#define EMU_TX_BUDGET		64	/* descriptors per queue per step: fairness */
/*
 * §4.4: what the model writes into every word of a direct PIO slot after the
 * header once it took the slot: a word software did not write again reads as
 * missing, as a card's per-word tracking would.
 */
#define EMU_PIO_MARK		0x6b2d74696c6b6f6eULL

/* The key a bus client claimed a filter entry for (emu_proto.h FILTER_CLAIM). */
struct emu_filter_key {
	bool keyed, copy;
	uint32_t type, port;
	uint64_t key;
};

/* A client's DMA memory: what an IOMMU mapping is to a real card. */
struct emu_region {
	uint64_t iova;
	uint64_t len;
	uint8_t *va;
	int owner;		/* client slot */
	bool used;
};

/* The data path's fields first; each queue starts a cache line of its own. */
struct emu_queue {
	bool running;
	bool error;
	bool pio_direct;	/* §4.4: slots taken by their header's sequence number */
	uint8_t port;
	uint8_t tx_log2, rx_log2;
	uint32_t tx_mask, rx_mask;
	uint32_t rx_buf_size;
	uint32_t tx_head, rx_head, pio_head;
	uint32_t rx_tail;	/* last RX doorbell value seen */
	uint32_t tx_db_seen, pio_db_seen;	/* doorbell values last counted */
	uint32_t tx_failed;	/* descriptors finished with a non-zero status (write-back) */
	int dma_owner;		/* whose regions it may reach, fixed at start (dma.c) */
	struct kite_tx_desc *txr;
	struct kite_cqe *txcq;
	struct kite_rx_desc *rxr;
	struct kite_cqe *rxcq;
	struct kite_cqe *piocq;
	uint8_t *db;		/* this queue's BAR2 page */
	uint64_t *tx_wb;	/* §6.4 TX write-back word, or NULL: a completion each */
	uint8_t *rxs;		/* §5.4 RX stream ring, or NULL: a descriptor queue */
	uint32_t rxs_chunks;	/* its size in 64-byte chunks */
	uint32_t rxs_head;	/* chunks written, pads included (free-running) */
	uint32_t rxs_credit;	/* DB_RXS_CREDIT as last read */
	struct kite_emu_bus bus;	/* since the queue started (emu.h) */
	/* control only */
	uint64_t ring_iova[7];	/* TX ring, TX CQ, RX ring, RX CQ, PIO CQ, RX stream, TX WB */
	int owner;		/* client slot that claimed it, or EMU_NO_OWNER */
} __attribute__((aligned(64)));

struct emu_port {
	bool carrier;		/* cable state (kite_emu_set_carrier) */
	bool enabled;		/* P_CTRL.ENABLE as last committed */
	bool default_en;
	uint8_t default_queue;
	uint32_t max_frame;	/* MTU + KITE_FRAME_OVERHEAD */
};

struct emu_filter {
	uint8_t type, port, queue;
	bool copy;		/* F_CTRL.COPY (v1.2): a copy to queue, matching goes on */
	uint16_t index;		/* entry number, reported in RX completions */
	uint64_t key;
};

struct kite_emu {
	struct kite_emu_config cfg;
	char *socket_path;
	int bar_fd;
	uint8_t *bar;		/* BAR0 then BAR2 */
	size_t bar_len;

	struct emu_queue q[KITE_MAX_QUEUES];
	uint8_t running[KITE_MAX_QUEUES];	/* indices of running queues */
	unsigned int nrunning;
	struct emu_port port[KITE_MAX_PORTS];
	struct emu_filter filter[KITE_MAX_FILTERS];	/* valid entries, by index */
	int8_t filter_owner[KITE_MAX_FILTERS];		/* client slot or EMU_NO_OWNER */
	struct emu_filter_key filter_key[KITE_MAX_FILTERS];	/* what each claim steers */
	unsigned int nfilters;
	unsigned int copy_end;	/* filter[] past the last copy entry: the search may stop */
	uint32_t applied_ctrl[KITE_MAX_FILTERS];	/* F_CTRL and F_KEY as last committed, */
	uint64_t applied_key[KITE_MAX_FILTERS];		/* to clear F_HITS of a changed entry */
	uint32_t cfg_commit;

	unsigned int nactive;
	struct emu_region *hint;			/* last region a lookup hit */
	uint64_t now;		/* card clock at the start of this step */
	/*
	 * The data path stamps frames from the TSC (a clock_gettime on the
	 * critical path cost ~60 ns of a ~270 ns round trip): ns = base_ns +
	 * (tsc - base_tsc) * card_per_tick, re-anchored on CLOCK_MONOTONIC at
	 * every control scan.
	 */
	uint64_t base_ns, base_tsc;
	uint64_t card_per_tick_q32;	/* card ns per TSC tick, 32.32 fixed point */
	uint32_t clk_ack;		/* CLK_ACK as last written (§3.4.1) */
	/* clock.c: TIME = anchor_card + (CLOCK_MONOTONIC - anchor_host) * rate */
	uint64_t anchor_host, anchor_card;
	uint64_t rate_q32;		/* card ns per host ns, 32.32 */
	uint64_t ns_per_tick_q32;	/* host ns per TSC tick, 32.32 */
	int32_t applied_freq;		/* CLK_FREQ in effect */
	uint64_t jump_at;		/* host time of --clock-jump, 0 when done */

	/*
	 * The data path holds lock while it polls; ctl_wants > 0 asks it to
	 * hand the model over (emu_ctl_lock below, kite_emu_run in model.c).
	 */
	pthread_mutex_t lock;
	atomic_int ctl_wants;

	int tap_fd;		/* port 0's cable to a TAP device, or -1 */
	uint8_t *tap_buf;
	pthread_t tap_stats;		/* P_RX_DROP_OVERRUN from the TAP's drops (tap.c) */
	struct emu_trace *trace;	/* --trace (trace.c), or NULL */
	atomic_bool tap_stats_stop;

	/* control server */
	pthread_t server;
	bool serving;
	int listen_fd;
	int wake_fd[2];
	int client_fd[EMU_MAX_CLIENTS];

	/* cold and large: DMA regions (dma.c), after everything the data path reads */
	struct emu_region region[EMU_MAX_REGIONS];
	struct emu_region *active[EMU_MAX_REGIONS];	/* the used ones, for lookups */
	pid_t client_pid[EMU_MAX_CLIENTS];	/* SO_PEERCRED, for limits and logs */
	bool client_hello[EMU_MAX_CLIENTS];	/* got the BAR fd already */
};

/* Does the model play a card older than contract 1.minor (kite-emu --contract)? */
static inline bool emu_old_contract(const struct kite_emu *e, unsigned int minor)
{
	return e->cfg.contract_minor && e->cfg.contract_minor < minor;
}

/* BAR0 access: the model is the only writer of RO registers. */
static inline uint32_t r32(struct kite_emu *e, uint32_t off)
{
	return __atomic_load_n((uint32_t *)(e->bar + off), __ATOMIC_RELAXED);
}

static inline uint64_t r64(struct kite_emu *e, uint32_t off)
{
	return __atomic_load_n((uint64_t *)(e->bar + off), __ATOMIC_RELAXED);
}

static inline void w32(struct kite_emu *e, uint32_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(e->bar + off), v, __ATOMIC_RELAXED);
}

static inline void w64(struct kite_emu *e, uint32_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(e->bar + off), v, __ATOMIC_RELAXED);
}

static inline void add64(struct kite_emu *e, uint32_t off, uint64_t n)
{
	w64(e, off, r64(e, off) + n);
}

/* dma.c */
void *emu_dma_ptr(struct kite_emu *e, int owner, uint64_t iova, uint64_t len);
int emu_dma_map(struct kite_emu *e, int owner, int fd, uint64_t len, uint64_t off,
		uint64_t *iova);
int emu_dma_unmap(struct kite_emu *e, int owner, uint64_t iova);
void emu_dma_unmap_owner(struct kite_emu *e, int owner);
int emu_dma_attach_guest(struct kite_emu *e, const char *path, char *msg, size_t msglen);
void emu_fault(struct kite_emu *e, unsigned int qid, unsigned int source,
	       uint64_t iova, uint64_t len);

/* control.c */
void emu_reset(struct kite_emu *e);
void emu_scan(struct kite_emu *e);
void emu_queue_stop(struct kite_emu *e, unsigned int qid);
void emu_queue_error(struct kite_emu *e, unsigned int qid, unsigned int cause);
/* clock.c */
uint64_t emu_clock(struct kite_emu *e);
void emu_clock_calibrate(struct kite_emu *e);
void emu_clock_cmd(struct kite_emu *e);
void emu_clock_scan(struct kite_emu *e);
void emu_clock_reset(struct kite_emu *e);

/* The card clock for the data path: a TSC read, no system call. */
static inline uint64_t emu_clock_fast(struct kite_emu *e)
{
	uint64_t t = e->base_ns +
		     (uint64_t)(((unsigned __int128)(__rdtsc() - e->base_tsc) * e->card_per_tick_q32) >> 32);

	return (int64_t)(t - e->now) > 0 ? t : e->now;	/* never backwards, across the wrap */
}
void emu_set_carrier(struct kite_emu *e, unsigned int port, bool up);
void emu_apply_config(struct kite_emu *e);

/* server.c: take the model from the data path thread */
/*
 * The control side (server, carrier) takes the model from the data path: it
 * says it wants the lock, and the polling loop hands it over (model.c).
 */
static inline void emu_ctl_lock(struct kite_emu *e)
{
	atomic_fetch_add(&e->ctl_wants, 1);
	pthread_mutex_lock(&e->lock);
}

static inline void emu_ctl_unlock(struct kite_emu *e)
{
	pthread_mutex_unlock(&e->lock);
	atomic_fetch_sub(&e->ctl_wants, 1);
}
void emu_server_stop(struct kite_emu *e);

/* datapath.c */
unsigned int emu_poll_queues(struct kite_emu *e);
void emu_pio_mark(struct emu_queue *q, unsigned int slot);
unsigned int emu_poll_tap(struct kite_emu *e);

/* tap.c */
void emu_tap_close(struct kite_emu *e);
int emu_trace_open(struct kite_emu *e, const char *path, char *msg, size_t msglen);
void emu_trace_close(struct kite_emu *e);
void emu_trace_scan(struct kite_emu *e);
void emu_trace_settle(struct kite_emu *e);
void emu_trace_card_wrote(struct kite_emu *e, uint32_t off, unsigned int bits);
int emu_tap_open(struct kite_emu *e, const char *name, char *msg, size_t msglen);

#endif /* KITE_EMU_INTERNAL_H */
