/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * \file kite.h
 * \brief libkite: kernel-bypass access to the kite NIC.
 *
 * Open a device, make a packet buffer pool, open queues, then move frames
 * with kite_rx_burst() / kite_tx_burst() / kite_pio_send(). The burst calls
 * never make a system call, take a lock, allocate, or read a device
 * register: they write descriptors and doorbells and poll completions the
 * card writes into host memory (docs/hw-spec.md §6).
 *
 * Threads: a queue and a pool belong to one thread at a time. Control calls
 * (filters, stats, reset) may be made from any thread but not concurrently
 * on one device. kite_queue_close() and kite_close() free what the burst
 * calls use: stop every thread polling the device's queues first (a burst
 * running during the close reads freed memory).
 *
 * Errors: functions returning int give 0 (or a count/index) on success and
 * a negative errno-style code on failure; kite_last_error() then holds a
 * message naming the cause. Functions returning a pointer give NULL.
 *
 * NULL arguments: every control call that returns int (open, pools, queue
 * open/state/restart, link, MTU, filters, stats, faults, time, reset,
 * register writes) returns -EINVAL for a NULL device, queue, pool or output
 * pointer, naming it. The void calls (kite_close, kite_queue_close,
 * kite_pkt_free, kite_queue_stats, kite_set_wait_hook) ignore NULL. The hot
 * path (kite_rx_burst, kite_tx_burst, kite_pio_send, kite_tx_reap,
 * kite_tx_reports, kite_pkt_alloc, kite_rx_stream, kite_rx_recs,
 * kite_tx_forward, kite_tx_forward_next) does not check its queue, pool or
 * array pointers: passing NULL there is undefined, as for memcpy.
 */
#ifndef KITE_KITE_H
#define KITE_KITE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kite/version.h"

#ifdef __cplusplus
extern "C" {
#endif


#if defined(KITE_BUILDING_LIB)
#define KITE_API __attribute__((visibility("default")))
#else
#define KITE_API
#endif

struct kite_dev;
struct kite_queue;
struct kite_pool;

/*
 * ABI (libkite.so.0): a struct that may grow travels with its size. The
 * functions taking one are called through macros (kite_dev_info(),
 * kite_queue_open(), ...) that pass sizeof(*ptr) as the application was
 * compiled; the exported *_sz functions never change meaning. Fields are only
 * ever appended. The library fills what both sides know and zeroes the rest
 * of an output struct; an input struct larger than the library's must have
 * its extra bytes zero (else -E2BIG: the application asks for something this
 * libkite does not know). Smaller than the struct was in 0.1 is -EINVAL.
 * kite_clock_status, kite_clock_servo_conf and kite_queue_opts carry their
 * size in their first field instead, under the same rules. A struct grows by
 * whole 8-byte units, padding named (rsvd fields, zero), so that it never has
 * tail padding an application could leave unset. Array elements (kite_pkt,
 * kite_rx_frame, kite_tx_report, kite_fault, kite_clock_sample) never grow.
 */

/**
 * A packet buffer: one cache line of metadata outside DMA memory (the card
 * cannot corrupt it); data points into DMA memory. Bytes 16..23 are the
 * card's RX completion word as it wrote it (hw-spec §5.3), so receiving a
 * frame costs one 8-byte copy.
 */
struct kite_pkt {
	uint8_t *data;		/**< frame bytes (DMA memory) */
	uint64_t iova;		/**< device address of data */
	uint16_t len;		/**< frame length: set before TX, set by RX */
	uint16_t rx_index;	/**< RX: the descriptor's ring count, modulo 2^16 */
	uint16_t filter;	/**< RX: filter entry that matched, 0xffff none */
	uint8_t status;		/**< RX: 0 */
	uint8_t rx_flags;	/**< RX: KITE_RX_TS_VALID, KITE_RX_PORT1 */
	uint64_t ts;		/**< RX: card clock (ns) at arrival */
	uint64_t cookie;	/**< yours: reported back with TX timestamps/errors */
	struct kite_pool *pool;	/**< owner */
	uint32_t buf_size;	/**< capacity of data */
	uint32_t index;		/**< buffer number in its pool */
	uint16_t flags;		/**< TX: KITE_PKT_TX_REPORT; cleared by kite_pkt_alloc */
	uint8_t owner;		/**< libkite's: who holds the buffer now; never write it */
	uint8_t dev_tag;	/**< libkite's: which open device the pool belongs to */
	uint32_t rsvd32;
};

#define KITE_RX_TS_VALID	0x01	/**< rx_flags: ts is valid */
#define KITE_RX_PORT1		0x02	/**< rx_flags: arrived on port 1 (else port 0) */
#define KITE_PKT_TX_REPORT	0x0002	/**< flags: report completion time (kite_tx_reports) */

/** \brief Port a received frame arrived on. */
static inline unsigned int kite_pkt_port(const struct kite_pkt *p)
{
	return (p->rx_flags & KITE_RX_PORT1) ? 1 : 0;
}

/* ---- device ---------------------------------------------------------- */

/**
 * \brief Open a kite device.
 * \param devstr "emu:PATH" (kite-emu's socket), "/dev/kiteN" (kite.ko), or a
 *        PCI address such as "0000:01:00.0": the driver the card is bound to
 *        picks the backend (kite -> kmod, vfio-pci -> vfio, uio_kite -> uio).
 * \param out receives the device.
 * \return 0, or -ENOENT (no such device), -ENODEV (not a kite card, an
 *         incompatible major version, no IOMMU group, not bound to a driver),
 *         -EPROTONOSUPPORT (bound to a driver libkite has no backend for),
 *         -EACCES (permissions: see README), -EBUSY, ...
 */
KITE_API int kite_open(const char *devstr, struct kite_dev **out);

/** Flags of kite_open_flags(). */
#define KITE_OPEN_NO_RESET	0x1	/**< diagnostics: leave the card as it is (no reset on
					     open or close where the backend would do one) */

/** \brief kite_open() with flags (KITE_OPEN_*). */
KITE_API int kite_open_flags(const char *devstr, unsigned int flags, struct kite_dev **out);

/** \brief Close a device; closes its queues and pools first. NULL is a no-op. */
KITE_API void kite_close(struct kite_dev *dev);

/** \brief Message for the last failure of a libkite call on this thread. */
KITE_API const char *kite_last_error(void);

/** \brief Short text for a (negative or positive) error code. */
KITE_API const char *kite_strerror(int err);

/** \brief Severity of a message libkite logs on its own (not an error returned). */
enum kite_log_level { KITE_LOG_WARNING = 1, KITE_LOG_NOTICE = 2 };

/**
 * \brief Where libkite's warnings go (hugepage fallback, VFIO no-IOMMU mode, a
 * queue that would not stop). Default: stderr, one line each, "libkite: ...".
 * \param fn called with the level and the message (no newline); NULL silences them.
 * Process-wide; set it before opening devices.
 */
KITE_API void kite_set_log(void (*fn)(int level, const char *msg, void *arg), void *arg);

/** What the card says about itself (BAR0 identity registers). */
struct kite_dev_info {
	char backend[16];	/**< "emu", "kmod", "vfio", "uio" */
	uint16_t version_major, version_minor;	/**< contract the card speaks */
	uint32_t features;	/**< ID_FEATURES bits */
	unsigned int num_ports, num_queues, num_filters;
	unsigned int max_ring_size;
	unsigned int max_frame;	/**< bytes, without FCS */
};

/**
 * \brief libkite's version at run time, "MAJOR.MINOR.PATCH" (KITE_LIB_VERSION is
 * the one an application was compiled against).
 */
KITE_API const char *kite_version(void);

/** \brief Fill *info. \return 0 or -EINVAL. */
KITE_API int kite_dev_info_sz(struct kite_dev *dev, struct kite_dev_info *info, size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_dev_info(dev, info) kite_dev_info_sz(dev, info, sizeof(*(info)))
#endif

/**
 * \brief Call fn(arg) while libkite waits for the card (queue start, reset,
 * configuration commit). For single-threaded simulation: pass kite-emu's step
 * function. NULL restores plain waiting.
 */
KITE_API void kite_set_wait_hook(struct kite_dev *dev, void (*fn)(void *), void *arg);

/* ---- packet buffers -------------------------------------------------- */

/**
 * \brief Create a pool of nbufs buffers of buf_size bytes in DMA memory.
 * Uses 2 MiB hugepages; without reserved hugepages, falls back to 4 KiB
 * pages with a one-line warning (kite_set_log; stderr by default).
 * \param buf_size power of two, 256..16384.
 * \return 0, -EINVAL (bad sizes), -ENOMEM, or a backend mapping error.
 */
KITE_API int kite_pool_create(struct kite_dev *dev, unsigned int nbufs,
			      unsigned int buf_size, struct kite_pool **out);

/** \brief Destroy a pool. Refuses (-EBUSY) while buffers are out. */
KITE_API int kite_pool_destroy(struct kite_pool *pool);

/** \brief Take one buffer, NULL when the pool is empty. */
KITE_API struct kite_pkt *kite_pkt_alloc(struct kite_pool *pool);

/**
 * \brief Give a buffer back to its pool. Only a buffer the application holds
 * (from kite_pkt_alloc or kite_rx_burst, not yet sent) goes back: a double
 * free, or freeing a buffer kite_tx_burst accepted, is refused (the buffer is
 * left where it is, kite_last_error says why). NULL is ignored.
 */
KITE_API void kite_pkt_free(struct kite_pkt *pkt);

/** \brief Buffers currently in the pool. */
KITE_API unsigned int kite_pool_avail(const struct kite_pool *pool);

/* ---- queues ------------------------------------------------------------ */

struct kite_queue_conf {
	unsigned int port;		/**< port the queue sends on */
	unsigned int tx_ring_size;	/**< power of two, 8..max_ring_size */
	unsigned int rx_ring_size;	/**< power of two, 8..max_ring_size */
	struct kite_pool *rx_pool;	/**< RX buffers come from (and go back to) here */
};

/**
 * \brief Claim queue qid for this process and start it.
 * The RX ring is filled from conf->rx_pool. Frames reach the queue through
 * filters (kite_filter_add) or as a port's default queue.
 * \return 0, -EBUSY (another process owns it), -EINVAL, -ENOMEM, -EIO (the
 *         card refused the configuration; see kite_last_error).
 */
KITE_API int kite_queue_open_sz(struct kite_dev *dev, unsigned int qid,
				const struct kite_queue_conf *conf, struct kite_queue **out,
				size_t conf_size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_queue_open(dev, qid, conf, out) \
	kite_queue_open_sz(dev, qid, conf, out, sizeof(*(conf)))
#endif

/**
 * Options beyond kite_queue_conf (kite_queue_open_opts). It starts with its
 * size so that it can grow: set size = sizeof(struct kite_queue_opts).
 */
struct kite_queue_opts {
	uint32_t size;			/**< sizeof(struct kite_queue_opts) */
	uint32_t flags;			/**< KITE_QUEUE_RX_STREAM, _PIO_DIRECT, _TX_WB */
	uint32_t rx_stream_bytes;	/**< stream ring: power of two, 64 KiB..2 MiB; 0: 1 MiB */
	uint32_t rsvd;			/**< 0 */
};

/**
 * Receive through an RX stream ring (hw-spec §5.4; the card announces
 * KITE_FEATURE_RX_STREAM): frames arrive in place with their metadata in the
 * same cache line, read with kite_rx_stream; no buffers posted, no pool
 * needed (conf->rx_pool and rx_ring_size are ignored). kite_rx_burst returns
 * 0 on such a queue.
 */
#define KITE_QUEUE_RX_STREAM	0x1
#define KITE_FEATURE_RX_STREAM	0x20	/**< kite_dev_info.features: stream rings (v1.3) */
/**
 * kite_pio_send without a doorbell: the card takes a PIO slot when its
 * header's sequence number arrives (hw-spec §4.4; KITE_FEATURE_PIO_DIRECT).
 */
#define KITE_QUEUE_PIO_DIRECT	0x2
#define KITE_FEATURE_PIO_DIRECT	0x40	/**< kite_dev_info.features: direct PIO (v1.3) */
/**
 * TX buffers reclaimed from one count the card writes per batch instead of
 * a completion per frame (hw-spec §6.4; KITE_FEATURE_TX_WB). With
 * KITE_QUEUE_RX_STREAM it allows kite_tx_forward.
 */
#define KITE_QUEUE_TX_WB	0x4
#define KITE_FEATURE_TX_WB	0x80	/**< kite_dev_info.features: TX write-back (v1.3) */

/**
 * \brief kite_queue_open with options (opts may be NULL: kite_queue_open).
 * \return as kite_queue_open; -EOPNOTSUPP when the card (or kite.ko) has
 *         lacks a feature asked for; -EINVAL for a bad size or flag.
 */
KITE_API int kite_queue_open_opts_sz(struct kite_dev *dev, unsigned int qid,
				     const struct kite_queue_conf *conf,
				     const struct kite_queue_opts *opts, struct kite_queue **out,
				     size_t conf_size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_queue_open_opts(dev, qid, conf, opts, out) \
	kite_queue_open_opts_sz(dev, qid, conf, opts, out, sizeof(*(conf)))
#endif

/** A frame in a queue's RX stream ring (kite_rx_stream), read in place. */
struct kite_rx_frame {
	const uint8_t *data;	/**< frame bytes, in the ring */
	uint64_t ts;		/**< card clock (ns) at arrival, if KITE_RX_TS_VALID */
	uint16_t len;		/**< frame bytes */
	uint16_t chunks;	/**< libkite's: ring chunks the record takes */
	uint16_t filter;	/**< filter entry that matched, 0xffff none */
	uint8_t status;		/**< 0 */
	uint8_t flags;		/**< KITE_RX_TS_VALID, KITE_RX_PORT1 */
	uint32_t pos;		/**< libkite's: where the record lies (kite_rx_hold) */
	uint32_t rsvd;
};

/**
 * A record of a queue's RX stream ring as the card wrote it (hw-spec §5.4,
 * struct kite_rxs_hdr in kite/hw.h), read in place (kite_rx_recs): this
 * 16-byte header, then the frame (kite_rx_rec_data). Valid as long as a
 * kite_rx_stream frame.
 */
struct kite_rx_rec {
	uint64_t ts;		/**< card clock (ns) at arrival, if KITE_RX_TS_VALID */
	uint16_t len;		/**< frame bytes */
	uint16_t chunks;	/**< ring chunks the record takes */
	uint16_t filter;	/**< filter entry that matched, 0xffff none */
	uint8_t status;		/**< 0 */
	uint8_t flags;		/**< KITE_RX_TS_VALID, KITE_RX_PORT1; other bits the card's */
};

/** The frame's bytes: right after the record's header, never across the ring's end. */
static inline const uint8_t *kite_rx_rec_data(const struct kite_rx_rec *r)
{
	return (const uint8_t *)(r + 1);
}

/** Frames one queue may hold at once (kite_rx_hold). */
#define KITE_RX_HOLDS		16

/**
 * \brief Receive up to n frames from a stream queue, in place.
 * The frames stay valid until the next kite_rx_stream call on q, which gives
 * their ring space back to the card (coalesced credits), unless held. A
 * burst ends where the ring turns (at a pad record): the next call goes on
 * from the ring's start.
 * \return frames received (0..n); 0 on a queue without a stream ring.
 */
KITE_API uint16_t kite_rx_stream(struct kite_queue *q, struct kite_rx_frame *f, uint16_t n);

/**
 * \brief kite_rx_stream without the frame array: up to n pointers to the
 * records in the ring (one store a frame), for the tightest loops; a
 * forwarder sends them on with kite_tx_forward_next. The same burst as
 * kite_rx_stream's, with the same lifetime; kite_rx_rec_frame makes a
 * record a frame (to hold it, or to forward it by kite_tx_forward). The
 * frame's bytes may be rewritten in place before they are forwarded (the
 * ring is the application's memory); the 16-byte header is the card's and
 * libkite reads it again: writing it breaks this queue (and nothing else).
 * \return frames received (0..n); 0 on a queue without a stream ring.
 */
KITE_API uint16_t kite_rx_recs(struct kite_queue *q, const struct kite_rx_rec **r, uint16_t n);

/**
 * \brief The struct kite_rx_frame of a record of the latest kite_rx_stream
 * or kite_rx_recs burst on q, as kite_rx_stream would have given it.
 * \return 0, -EINVAL (not the start of a record of that burst).
 */
KITE_API int kite_rx_rec_frame(const struct kite_queue *q, const struct kite_rx_rec *r,
			       struct kite_rx_frame *f);

/**
 * \brief Keep a frame of the latest kite_rx_stream burst valid past the next
 * call, until kite_rx_release. Later frames are still received; the card
 * writes on until the ring is full behind the held frame, then drops and
 * counts (Q_RX_DROP_NOBUF), never overwrites it. A queue restart (or reset)
 * ends every hold: the ring starts over.
 * \return 0, -EINVAL (not a frame of the latest burst, or held already),
 *         -ENOSPC (KITE_RX_HOLDS frames held).
 */
KITE_API int kite_rx_hold(struct kite_queue *q, const struct kite_rx_frame *f);

/**
 * \brief Send frames of the latest kite_rx_stream burst out of the same
 * queue (its port), in place: zero copy, no pool. Each frame at most once,
 * in ring order. Their ring space returns to the card once they are sent, so
 * they stay readable until then. The queue needs KITE_QUEUE_RX_STREAM and
 * KITE_QUEUE_TX_WB.
 * \return frames queued (0..n); the burst ends before a frame that is not
 *         of the latest burst or was forwarded already (-EINVAL in
 *         kite_last_error), or where the TX ring is full.
 */
KITE_API uint16_t kite_tx_forward(struct kite_queue *q, const struct kite_rx_frame *f,
				  uint16_t n);

/**
 * \brief kite_tx_forward of the next n frames of the latest kite_rx_stream
 * burst that were not forwarded yet, in ring order, without a frame array:
 * for a forwarder that sends what it received (after rewriting it in place,
 * say). Cheaper per frame than kite_tx_forward: it walks the records the
 * library already read.
 * \return frames queued (0..n): fewer when the burst has fewer left or the
 *         TX ring is full.
 */
KITE_API uint16_t kite_tx_forward_next(struct kite_queue *q, uint16_t n);

/**
 * \brief Done with a held frame: its space returns at the next kite_rx_stream.
 * \return 0, -EINVAL (not held).
 */
KITE_API int kite_rx_release(struct kite_queue *q, const struct kite_rx_frame *f);

/** \brief Stop the queue, return its buffers to their pools, release it. */
KITE_API void kite_queue_close(struct kite_queue *q);

/**
 * \brief Receive up to n frames. Buffers belong to the caller until freed or
 * sent. Refills the RX ring from the pool in batches.
 * \return frames received (0..n).
 */
KITE_API uint16_t kite_rx_burst(struct kite_queue *q, struct kite_pkt **pkts, uint16_t n);

/**
 * \brief Queue up to n frames for transmission with one doorbell. Sent
 * buffers return to their pools once the card completes them.
 * Each packet is checked (O(1), in lines the burst touches anyway): it must be
 * the application's (not free, not already queued: the same packet twice in
 * one burst is caught), from a pool of this device, with len <= buf_size. The
 * burst ends before the first packet that fails, with kite_last_error saying
 * why (-EINVAL, -EXDEV, -EMSGSIZE).
 * \return frames accepted (0..n); the rest stay the caller's (ring full, or
 *         a refused packet).
 */
KITE_API uint16_t kite_tx_burst(struct kite_queue *q, struct kite_pkt **pkts, uint16_t n);

/**
 * \brief Send a small frame through the queue's PIO window: the frame is
 * written straight to the card, no descriptor or DMA read (hw-spec §4.3).
 * On a KITE_QUEUE_PIO_DIRECT queue no doorbell either (§4.4): a frame of up
 * to 56 bytes is one 64-byte write. A slot the card got only in part is
 * never sent: it completes with status KITE_CQE_S_TORN (a TX report).
 * \param len 14..248 bytes.
 * \param cookie reported with the completion when flags has KITE_PKT_TX_REPORT.
 * \return 0, -EAGAIN (all 8 PIO slots in flight), -EMSGSIZE.
 */
KITE_API int kite_pio_send(struct kite_queue *q, const void *frame, uint16_t len,
			   uint16_t flags, uint64_t cookie);

/** \brief Reap TX and PIO completions now. \return completions reaped. */
KITE_API unsigned int kite_tx_reap(struct kite_queue *q);

/**
 * \brief Frames sent and not yet reaped, on each TX path: descriptors and PIO
 * slots (libkite 0.2). The card keeps no order between the two paths
 * (hw-spec §4.3): software that needs a queue's frames in order starts a send
 * on one path only when the other has none in flight (kite_tx_reap first).
 * Memory reads only: fit for the hot path.
 */
KITE_API void kite_tx_inflight(const struct kite_queue *q, unsigned int *desc, unsigned int *pio);

/** A TX completion worth reporting: asked for (KITE_PKT_TX_REPORT) or failed. */
struct kite_tx_report {
	uint64_t cookie;
	uint64_t ts;		/**< card clock (ns) when the frame left */
	uint8_t status;		/**< KITE_CQE_S_* of hw.h: 0 ok */
	uint8_t pio;		/**< 1 if sent with kite_pio_send */
	uint16_t len;
	uint32_t rsvd;
};

/**
 * \brief Take up to n TX reports, oldest first. The queue keeps the newest
 * 256; older unread ones are counted in kite_queue_stats.tx_reports_lost.
 */
KITE_API unsigned int kite_tx_reports(struct kite_queue *q, struct kite_tx_report *out,
				      unsigned int n);

/** Software counters of a queue (what this process saw). */
struct kite_queue_stats {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;	/**< completed OK */
	uint64_t pio_pkts;
	uint64_t tx_errors;		/**< completions with non-zero status */
	uint64_t tx_aborted;		/**< in flight when the queue stopped */
	uint64_t rx_refill_short;	/**< refills cut short by an empty pool */
	uint64_t tx_reports_lost;
};

KITE_API void kite_queue_stats_sz(const struct kite_queue *q, struct kite_queue_stats *out,
				  size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_queue_stats(q, out) kite_queue_stats_sz(q, out, sizeof(*(out)))
#endif

enum kite_queue_run_state { KITE_QUEUE_RUNNING, KITE_QUEUE_STOPPED, KITE_QUEUE_ERROR };

struct kite_queue_state {
	enum kite_queue_run_state state;
	unsigned int cause;	/**< KITE_Q_STATUS_CAUSE_* of hw.h when in error */
	const char *cause_name;	/**< e.g. "DMA_FAULT" */
};

/** \brief Read the queue's state from the card (an MMIO read: not for the hot path). */
KITE_API int kite_queue_state_sz(struct kite_queue *q, struct kite_queue_state *st, size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_queue_state(q, st) kite_queue_state_sz(q, st, sizeof(*(st)))
#endif

/**
 * \brief Restart a queue after an error or a card reset: in-flight TX
 * buffers return to their pools (counted as tx_aborted), RX is refilled.
 */
KITE_API int kite_queue_restart(struct kite_queue *q);

/* ---- control ----------------------------------------------------------- */

struct kite_link {
	int up;
	unsigned int speed_gbps;
	unsigned int mtu;
	uint8_t mac[6];
};

KITE_API int kite_link_get_sz(struct kite_dev *dev, unsigned int port, struct kite_link *out,
			      size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_link_get(dev, port, out) kite_link_get_sz(dev, port, out, sizeof(*(out)))
#endif

/** \brief Set a port's MTU (68..9000). */
KITE_API int kite_mtu_set(struct kite_dev *dev, unsigned int port, unsigned int mtu);

/**
 * \brief Steer unmatched frames of a port to a queue (or drop them, counted,
 * when queue is negative).
 */
KITE_API int kite_default_queue_set(struct kite_dev *dev, unsigned int port, int queue);

enum kite_filter_type {
	KITE_FILTER_DST_MAC = 1,
	KITE_FILTER_IPV4_DST = 2,
	KITE_FILTER_UDP_DST = 3,
	KITE_FILTER_ALL = 4,	/**< every frame of the port; copy filters only (key 0) */
};

struct kite_filter {
	enum kite_filter_type type;
	unsigned int port;	/**< port whose received frames are tested */
	unsigned int queue;	/**< where matches go */
	uint64_t key;		/**< MAC (48 bits, first octet most significant),
				     IPv4 address (host order), UDP port */
};

/**
 * \brief Steer matching frames to f->queue, in the first free entry.
 * \return its index; -EEXIST when the key is already steered on the port
 * (the message names the owner where the backend can tell); -ENOSPC when
 * the table is full. KITE_FILTER_ALL is refused: it would take every frame.
 */
KITE_API int kite_filter_add_sz(struct kite_dev *dev, const struct kite_filter *f, size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_filter_add(dev, f) kite_filter_add_sz(dev, f, sizeof(*(f)))
#endif

/**
 * \brief Copy matching frames to f->queue; they still go where they would
 * have gone, so a capture takes nothing from the application that owns the
 * flow (tcpdump semantics). KITE_FILTER_ALL (key 0) copies every frame of the
 * port. Copies the queue has no room for are counted (P_RX_COPY_DROP and the
 * queue's drop counters). Contract v1.2 (kite_dev_info.features bit
 * KITE_ID_FEATURES_COPY_FILTERS); deleted with kite_filter_del.
 * \return its index; -EEXIST when the key is already copied on the port;
 * -EOPNOTSUPP on a card without copy filters; -ENOSPC when the table is full.
 */
KITE_API int kite_filter_copy_sz(struct kite_dev *dev, const struct kite_filter *f, size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_filter_copy(dev, f) kite_filter_copy_sz(dev, f, sizeof(*(f)))
#endif
KITE_API int kite_filter_del(struct kite_dev *dev, unsigned int index);

struct kite_port_stats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t rx_drop_nomatch, rx_drop_mtu, rx_drop_noq, tx_drop_link;
};

struct kite_queue_hw_stats {
	uint64_t tx_pkts, tx_bytes, tx_errors, pio_pkts;
	uint64_t rx_pkts, rx_bytes, rx_drop_nobuf, rx_drop_bufsz;
};

KITE_API int kite_port_stats_sz(struct kite_dev *dev, unsigned int port,
				struct kite_port_stats *out, size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_port_stats(dev, port, out) kite_port_stats_sz(dev, port, out, sizeof(*(out)))
#endif
KITE_API int kite_queue_hw_stats_sz(struct kite_dev *dev, unsigned int qid,
				    struct kite_queue_hw_stats *out, size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_queue_hw_stats(dev, qid, out) kite_queue_hw_stats_sz(dev, qid, out, sizeof(*(out)))
#endif

/** A DMA fault the card logged (hw-spec §7). */
struct kite_fault {
	uint64_t iova;
	uint64_t seq;
	unsigned int queue, source, len;
	const char *source_name;
};

/** \brief Newest faults first, at most n. \return count. */
KITE_API int kite_faults(struct kite_dev *dev, struct kite_fault *out, unsigned int n);

/** \brief Card clock in ns (the timestamp base), coarse: the TIME register. */
KITE_API int kite_time(struct kite_dev *dev, uint64_t *ns);

/* ---- the card clock and UTC (hw-spec §3.4.1; contract 1.4) ------------------ */

#define KITE_FEATURE_CLOCK_CTL	0x100	/**< kite_dev_info.features: clock control (v1.4) */

/**
 * A reading of the card clock bracketed by CLOCK_REALTIME: the card latched
 * card_ns between sys_before_ns and sys_after_ns (ns since the epoch).
 */
struct kite_clock_sample {
	uint64_t card_ns;
	uint64_t sys_before_ns, sys_after_ns;
};

/**
 * \brief Read the card clock n times (1..25) and keep the reading with the
 * narrowest bracket. Through kite.ko this reads its PTP hardware clock
 * (/dev/ptpN, read access); through uio, vfio and kite-emu, the registers.
 * \return 0, -EOPNOTSUPP (a card or kite.ko without clock control), -EACCES,
 * -EINVAL, or the card's timeout.
 */
KITE_API int kite_clock_sample(struct kite_dev *dev, unsigned int n,
			       struct kite_clock_sample *out);

/**
 * \brief Adjust the card clock, for a clock servo (kite-clock-sync): step it
 * by delta_ns, set it, or set its rate adjustment in ppb (within +-500000).
 * Every tenant's timestamps follow: through kite.ko it needs write access to
 * the PTP device (root). \return 0 or a negative errno (as above; -ERANGE).
 */
KITE_API int kite_clock_step(struct kite_dev *dev, int64_t delta_ns);
KITE_API int kite_clock_set(struct kite_dev *dev, uint64_t ns);
KITE_API int kite_clock_set_freq(struct kite_dev *dev, double ppb);

/** What a clock servo publishes about the card clock (kite-clock-sync). */
enum kite_clock_state {
	KITE_CLOCK_UNSYNC = 0,	/**< not (yet) within max_error_ns of UTC */
	KITE_CLOCK_LOCKED = 1,	/**< card time is UTC within max_error_ns */
	KITE_CLOCK_FAULT = 2,	/**< the card clock misbehaves (frozen, far off rate) */
};

struct kite_clock_status {
	uint32_t size;		/**< sizeof(struct kite_clock_status): set it */
	uint32_t state;		/**< enum kite_clock_state */
	int64_t offset_ns;	/**< last measured card time - UTC */
	uint64_t max_error_ns;	/**< bound on |card time - UTC| while LOCKED (kite_clock_status
				     adds what the clock may have drifted since the update) */
	double freq_ppb;	/**< rate adjustment in force */
	double slew_ppb;	/**< how far that is from the measured drift: the rate at
				     which the error may grow until the next update */
	uint64_t updated_ns;	/**< CLOCK_REALTIME of this status */
	uint64_t locked_since_ns; /**< card time the lock began: older stamps are not UTC */
	uint32_t interval_ms;	/**< the servo's update interval: staler means it stopped */
	uint32_t rsvd;
	char source[32];	/**< what the card follows: "CLOCK_REALTIME", a PHC path */
};

/**
 * \brief Publish the clock's status for this card (the servo's call). The
 * file is KITE_CLOCK_STATE if set, else /run/kite/clock-CARD (CARD: its PCI
 * address, or emu_ and kite-emu's socket path). One publisher per card: the
 * first call takes the file for the process's life (-EBUSY for a second).
 * \return 0 or a negative errno.
 */
KITE_API int kite_clock_publish(struct kite_dev *dev, const struct kite_clock_status *st);

/**
 * \brief The status last published for this card. \return 0, -ENOENT (no
 * servo ever published one), -ESTALE (its servo missed two updates).
 * Thread-safe.
 */
KITE_API int kite_clock_status(struct kite_dev *dev, struct kite_clock_status *st);

/**
 * \brief A card timestamp (RX, TX, stream) as UTC. Only while a servo keeps
 * the card clock LOCKED to UTC, for a stamp taken since the lock began, and
 * while the card's TIME agrees with the status; otherwise an error that says
 * why, never a wrong time. Thread-safe; one TIME register read per call.
 * \return 0, -ENOENT, -ESTALE, -EAGAIN (not synchronised), -ERANGE (a stamp
 * from before the lock, or from the future).
 */
KITE_API int kite_clock_utc(struct kite_dev *dev, uint64_t card_ns, struct timespec *utc);

/**
 * An in-process clock servo: what kite-clock-sync runs, for a program that
 * keeps the card to itself (through VFIO a group opens once, so no daemon can
 * run beside it). Open it, then call kite_clock_servo_update() every
 * interval_s from a control thread (never the data path: it reads the card
 * and the system clock, and writes the status file); kite_clock_utc() then
 * converts, in this process and any other. Close it to say the clock is no
 * longer kept.
 */
struct kite_clock_servo_conf {
	uint32_t size;		/**< sizeof(struct kite_clock_servo_conf): set it */
	uint32_t readings;	/**< clock readings per update, the narrowest used (0: 5) */
	double interval_s;	/**< how often the caller updates (0: 0.25 s) */
	double lock_ns;		/**< LOCKED only within this of UTC (0: 10000) */
	const char *source;	/**< NULL or "CLOCK_REALTIME", "CLOCK_TAI", a PHC's path */
	double source_offset_s;	/**< the source is this far ahead of UTC (TAI: 37) */
	uint32_t flags;		/**< KITE_CLOCK_SERVO_* */
	uint32_t rsvd;
};
#define KITE_CLOCK_SERVO_MONITOR	0x1	/**< measure and publish, adjust nothing */
#define KITE_CLOCK_SERVO_TRUST_UNSYNCED	0x2	/**< an unsynchronised system clock is UTC */

/** What one update did. */
struct kite_clock_update {
	uint32_t state;		/**< enum kite_clock_state, as published */
	uint32_t flags;		/**< KITE_CLOCK_UPDATE_* */
	int64_t offset_ns;	/**< card time - UTC, measured */
	double freq_ppb;	/**< rate adjustment now in force */
	uint64_t bracket_ns;	/**< how sure the reading was */
	uint64_t max_error_ns;	/**< the bound published */
	const char *why;	/**< a fault's, a skip's or a refusal's reason, or NULL */
};
#define KITE_CLOCK_UPDATE_STEPPED	0x1	/**< the clock was stepped */
#define KITE_CLOCK_UPDATE_SKIPPED	0x2	/**< no usable reading this time (why says) */

struct kite_clock_servo;

/** \return 0, -EBUSY (another servo keeps this card), or a clock or file error. */
KITE_API int kite_clock_servo_open(struct kite_dev *dev, const struct kite_clock_servo_conf *conf,
				   struct kite_clock_servo **out);
/** \return 0 (see *u), or an error once the card could not be read 20 times in a row. */
KITE_API int kite_clock_servo_update_sz(struct kite_clock_servo *s, struct kite_clock_update *u,
				       size_t size);
#ifndef __cplusplus	/* C++: inline functions at the end */
#define kite_clock_servo_update(s, u) kite_clock_servo_update_sz(s, u, sizeof(*(u)))
#endif
KITE_API void kite_clock_servo_close(struct kite_clock_servo *s);

/**
 * \brief Reset the card: every queue of every process stops, filters and
 * counters clear. Queues of this process must then kite_queue_restart().
 */
KITE_API int kite_reset(struct kite_dev *dev);

/* ---- diagnostics (kite-regs): not for the data path ------------------------- */

/** \brief BAR0 as the card shows it, read-only (hw-spec §3). */
KITE_API const volatile void *kite_bar0(struct kite_dev *dev);

/**
 * \brief Which process owns queue qid (kite_queue_owner) or filter entry
 * index (kite_filter_owner), for tools such as kite-stat --info.
 * \return its pid; 0 when nobody owns it; -EOPNOTSUPP when the backend cannot
 * tell (VFIO: the one process that opened the card owns everything).
 */
KITE_API long kite_queue_owner(struct kite_dev *dev, unsigned int qid);
KITE_API long kite_filter_owner(struct kite_dev *dev, unsigned int index);

/**
 * \brief Write one BAR0 register, bypassing libkite's bookkeeping: for
 * firmware engineers. \param bits 32 or 64.
 * \return 0, -EINVAL (offset or width), -EPERM (through kite.ko: needs
 *         CAP_SYS_RAWIO or the module's bar0_writable=1).
 */
KITE_API int kite_reg_write(struct kite_dev *dev, uint32_t off, uint64_t val, unsigned int bits);

#ifdef __cplusplus
}

/*
 * C++: the sized calls as inline functions (C++ has no sizeof(*NULL), so the
 * C macros would not compile kite_dev_info(dev, nullptr)). As with stat(),
 * the struct sharing a function's name is then `struct kite_dev_info`.
 */
static inline int kite_dev_info(struct kite_dev *dev, struct kite_dev_info *info)
{ return kite_dev_info_sz(dev, info, sizeof(*info)); }
static inline int kite_queue_open(struct kite_dev *dev, unsigned int qid,
				  const struct kite_queue_conf *conf, struct kite_queue **out)
{ return kite_queue_open_sz(dev, qid, conf, out, sizeof(*conf)); }
static inline int kite_queue_open_opts(struct kite_dev *dev, unsigned int qid,
				       const struct kite_queue_conf *conf,
				       const struct kite_queue_opts *opts, struct kite_queue **out)
{ return kite_queue_open_opts_sz(dev, qid, conf, opts, out, sizeof(*conf)); }
static inline void kite_queue_stats(const struct kite_queue *q, struct kite_queue_stats *out)
{ kite_queue_stats_sz(q, out, sizeof(*out)); }
static inline int kite_queue_state(struct kite_queue *q, struct kite_queue_state *st)
{ return kite_queue_state_sz(q, st, sizeof(*st)); }
static inline int kite_link_get(struct kite_dev *dev, unsigned int port, struct kite_link *out)
{ return kite_link_get_sz(dev, port, out, sizeof(*out)); }
static inline int kite_filter_add(struct kite_dev *dev, const struct kite_filter *f)
{ return kite_filter_add_sz(dev, f, sizeof(*f)); }
static inline int kite_filter_copy(struct kite_dev *dev, const struct kite_filter *f)
{ return kite_filter_copy_sz(dev, f, sizeof(*f)); }
static inline int kite_port_stats(struct kite_dev *dev, unsigned int port,
				  struct kite_port_stats *out)
{ return kite_port_stats_sz(dev, port, out, sizeof(*out)); }
static inline int kite_queue_hw_stats(struct kite_dev *dev, unsigned int qid,
				      struct kite_queue_hw_stats *out)
{ return kite_queue_hw_stats_sz(dev, qid, out, sizeof(*out)); }
static inline int kite_clock_servo_update(struct kite_clock_servo *s, struct kite_clock_update *u)
{ return kite_clock_servo_update_sz(s, u, sizeof(*u)); }
#endif

#endif /* KITE_KITE_H */
