/* SPDX-License-Identifier: BSD-3-Clause */
/* libkite internals: device, backend interface, queue and pool layouts. */
#ifndef KITE_LIB_INTERNAL_H
#define KITE_LIB_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kite/hw.h"
#include "kite/kite.h"
#include "kite_hw.h"

#define KITE_HIDDEN __attribute__((visibility("hidden")))

_Static_assert(sizeof(struct kite_pkt) == 64, "one packet's metadata is one cache line");

/*
 * Whether the application holds a buffer (kite_pkt.owner): one byte in the
 * packet's own cache line. Set by kite_pkt_alloc and kite_rx_burst, cleared
 * by kite_pkt_free and kite_tx_burst; a buffer in the pool, an RX ring or a
 * TX ring is not the application's, so freeing or sending it again is
 * refused, and the rings need no store of their own.
 */
enum {
	KITE_OWNER_LIB = 0,	/* free, posted for RX, or queued for TX */
	KITE_OWNER_APP,		/* the application's (alloc, rx_burst) */
};

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* owner and dev_tag as one 16-bit word (little-endian: owner first) */
#define KITE_PKT_HOLDER(owner, tag)	((uint16_t)((owner) | (tag) << 8))
_Static_assert(__builtin_offsetof(struct kite_pkt, dev_tag) ==
	       __builtin_offsetof(struct kite_pkt, owner) + 1, "owner and tag are one word");

/* devtag.c */
KITE_HIDDEN int kite_devtag_get(uint8_t *tag);
KITE_HIDDEN void kite_devtag_put(uint8_t tag);

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* DMA memory: a memfd mapped here and, by the backend, for the card. */
struct kite_dma {
	void *va;
	size_t len;
	int fd;
	uint64_t iova;
	bool huge;
};

struct kite_dev;


/*
 * What a backend provides (ixy's device ops, STYLE.md 1). BAR0 is always
 * mapped readable; changes to the card go through these operations, so a
 * backend whose BAR0 is read-only (kmod) has the kernel check and apply them.
 */
struct kite_backend_ops {
	const char *name;
	int (*open)(struct kite_dev *dev, const char *arg);
	void (*close)(struct kite_dev *dev);
	int (*dma_map)(struct kite_dev *dev, struct kite_dma *m);
	void (*dma_unmap)(struct kite_dev *dev, struct kite_dma *m);
	/* exclusive use of a queue; *db gets its doorbell page */
	int (*queue_claim)(struct kite_dev *dev, unsigned int qid, volatile uint8_t **db);
	void (*queue_release)(struct kite_dev *dev, unsigned int qid);
	int (*queue_start)(struct kite_dev *dev, const struct kite_hw_queue_cfg *cfg);
	int (*queue_stop)(struct kite_dev *dev, unsigned int qid);
	/* a filter entry of this process's, valid until deleted or the process ends */
	int (*filter_add)(struct kite_dev *dev, const struct kite_filter *f, bool copy,
			  unsigned int *index);
	int (*filter_del)(struct kite_dev *dev, unsigned int index);
	/* mtu 0 / default_queue KITE_HW_DEFAULT_LEAVE: unchanged; _DROP: drop */
	int (*port_set)(struct kite_dev *dev, unsigned int port, unsigned int mtu,
			int default_queue);
	int (*reset)(struct kite_dev *dev);
	/* who owns a queue (filter false) or filter entry: pid, 0 none; NULL: cannot tell */
	long (*owner)(struct kite_dev *dev, bool filter, unsigned int index);
	/* diagnostics: one raw BAR0 write */
	int (*reg_write)(struct kite_dev *dev, uint32_t off, uint64_t val, unsigned int bits);
	/* the card clock's PTP device opened with flags (fd or -errno); NULL: drive registers */
	int (*phc_open)(struct kite_dev *dev, int flags);
	bool db_write_combined;	/* doorbell page is WC: flush after doorbells */
	/*
	 * queue_release stops the queue even when queue_stop timed out, and
	 * forgets what steers to it (filters, a port's default): a driver does
	 */
	bool release_stops;
};

struct kite_dev {
	const struct kite_backend_ops *ops;
	void *priv;			/* backend state */
	volatile uint8_t *bar0;
	volatile uint8_t *bar2;		/* all doorbell pages, where the backend maps them */
	struct kite_dev_info info;
	unsigned int flags;		/* KITE_OPEN_* */
	void (*wait_hook)(void *);
	void *wait_arg;
	struct kite_queue *queues[KITE_MAX_QUEUES];
	struct kite_pool *pools;	/* all pools, destroyed by kite_close */
	uint8_t tag;			/* devtag.c */
	unsigned int warned_small_pages;	/* the hugepage fallback was logged */
	struct kite_hw hw;		/* control sequences, for backends with a writable BAR0 */
	FILE *trace;			/* KITE_TRACE (trace.c), or NULL */
	struct kite_clock_map *clock;	/* the published clock state (clock.c), or NULL */
	pthread_mutex_t clock_lock;	/* its mapping, for threads converting timestamps */
	bool clock_servo;		/* kite_clock_servo_open'ed: one per device */
	char ident[96];			/* the card: PCI address, or emu_ + socket path */
	char trace_name[96];
};

struct kite_pool {
	struct kite_dev *dev;
	struct kite_pkt **stack;	/* free buffers */
	uint32_t nfree;
	uint32_t nbufs;
	uint32_t buf_size;
	struct kite_pkt *meta;		/* nbufs entries, ordinary memory */
	/*
	 * Buffers live in 2 MiB chunks, each mapped on its own: without an
	 * IOMMU the card can only be given physically contiguous ranges.
	 */
	struct kite_dma *chunks;
	unsigned int nchunks;
	struct kite_pool *next;
};

#define KITE_CHUNK (2UL << 20)
#define KITE_TX_REPORTS 256

/* Hot fields first, RX then TX: the burst calls touch 2-3 lines of this. */
struct kite_queue {
	/* RX */
	struct kite_cqe *rxcq;
	struct kite_rx_desc *rxr;
	struct kite_pkt **rx_pkts;
	volatile uint32_t *db_rx;
	struct kite_pool *rx_pool;
	uint32_t rx_head, rx_tail, rx_mask, rx_log2;
	uint32_t rx_refill;		/* post buffers when this many slots are free */
	uint32_t rsvd0;
	/* TX */
	struct kite_tx_desc *txr __attribute__((aligned(64)));
	struct kite_cqe *txcq;
	struct kite_pkt **tx_pkts;
	volatile uint32_t *db_tx;
	uint32_t tx_tail, tx_clean, tx_mask, tx_log2;
	uint32_t tx_reap;		/* reap once this many are in flight */
	uint16_t tx_holder;		/* KITE_PKT_HOLDER(APP, this device's tag) */
	bool db_wc;
	/* §6.4 TX write-back (stream.c), when the queue has it */
	const uint64_t *tx_wb;		/* the card's word: finished, failed */
	uint32_t tx_failed_seen;	/* its failed count as last reaped */
	uint32_t tx_bufs;		/* pool buffers in flight (the rest: forwarded) */
	/* PIO */
	uint8_t *pio __attribute__((aligned(64)));
	struct kite_cqe *piocq;
	volatile uint32_t *db_pio;
	uint32_t pio_tail, pio_clean;
	bool pio_direct;		/* §4.4: no doorbell, the header's sequence number */
	uint64_t pio_cookie[KITE_PIO_SLOTS];
	uint16_t pio_flags[KITE_PIO_SLOTS];
	/* RX stream ring (hw-spec §5.4), for a KITE_QUEUE_RX_STREAM queue */
	uint8_t *rxs __attribute__((aligned(64)));
	volatile uint32_t *db_rxs;
	uint32_t rxs_pos;		/* chunk count of the next header (free-running) */
	uint32_t rxs_base;		/* rxs_pos when this run of the queue started */
	uint32_t rxs_mask;		/* chunks - 1 */
	uint32_t rxs_credited;		/* DB_RXS_CREDIT as last written */
	uint32_t rxs_batch;		/* write credits once this many chunks are free */
	uint32_t rxs_due;		/* rxs_credited + rxs_batch: a give-back is due at */
	uint32_t rxs_last;		/* where the latest burst started */
	uint32_t rxs_nholds;
	uint32_t rxs_hold_min;		/* the oldest held record, when rxs_nholds */
	uint32_t rxs_holds[KITE_RX_HOLDS];
	/* frames forwarded in place (kite_tx_forward): their chunks wait for the card */
	uint32_t fwd_next;		/* end of the newest forwarded record */
	uint32_t fwd_left;		/* frames of the latest burst from fwd_next on */
	uint32_t fwd_reap;		/* tx_reap on a forwarding queue, else 0 */
	uint32_t fwd_room_min;		/* TX room at least, while fewer than fwd_reap are in flight */
	uint64_t fwd_base;		/* the bus address of chunk 0's frame */
	bool fwd_ok;			/* a stream queue with TX write-back */
	uint64_t fwd_sum, fwd_sum_done;	/* bytes forwarded: queued, reaped */

	struct kite_queue_stats stats;
	struct kite_tx_report reports[KITE_TX_REPORTS];
	uint32_t rep_w, rep_r;

	/* cold */
	struct kite_dev *dev;
	unsigned int qid, port;
	struct kite_dma rings;
	size_t off_txcq, off_rxr, off_rxcq, off_piocq, off_txwb;
	struct kite_dma rxs_mem;	/* the stream ring's memory, or none */
	unsigned int rxs_log2;		/* 0: a descriptor queue */
};

/* trace.c: KITE_TRACE=FILE, the control path's register writes */
KITE_HIDDEN void kite_trace_open(struct kite_dev *dev, const char *devstr);
KITE_HIDDEN void kite_trace_close(struct kite_dev *dev);
KITE_HIDDEN void kite_trace_write(struct kite_dev *dev, uint32_t off, uint64_t v,
				  unsigned int bits);

/* control.c: the -EEXIST of a key already steered */
/* the public call a filter error belongs to */
#define FILTER_FN(copy)	((copy) ? "kite_filter_copy" : "kite_filter_add")
KITE_HIDDEN int kite_filter_exists(const struct kite_filter *f, bool copy, unsigned int index,
				   long pid);

/* mem.c: a buffer back to its pool from a ring */
KITE_HIDDEN void kite_pkt_recycle(struct kite_pkt *pkt);
/* datapath.c: why tx_burst stopped at pkt (cold) */
KITE_HIDDEN void kite_tx_refuse(const struct kite_queue *q, const struct kite_pkt *pkt);

/* abi.c: structs that travel with their size (kite.h, "ABI") */
enum kite_abi_struct {
	KITE_ABI_DEV_INFO, KITE_ABI_QUEUE_CONF, KITE_ABI_QUEUE_STATS, KITE_ABI_QUEUE_STATE,
	KITE_ABI_LINK, KITE_ABI_FILTER, KITE_ABI_PORT_STATS, KITE_ABI_QUEUE_HW_STATS,
	KITE_ABI_CLOCK_UPDATE, KITE_ABI_QUEUE_OPTS, KITE_ABI_CLOCK_STATUS, KITE_ABI_SERVO_CONF,
};
/* the caller's struct of size bytes into the library's (zeroed) one; -E2BIG
 * for a field the library does not know set, -EINVAL below 0.1's size */
KITE_HIDDEN int kite_abi_in(enum kite_abi_struct t, void *ours, const void *theirs, size_t size);
/* the library's struct to the caller's, fields it does not have zeroed */
KITE_HIDDEN int kite_abi_size_ok(enum kite_abi_struct t, size_t size);
KITE_HIDDEN int kite_abi_out(enum kite_abi_struct t, void *theirs, const void *ours, size_t size);

/* The control-path rule (kite.h): a NULL pointer argument is -EINVAL, named
 * with the public call (fn: the name an application calls, not a *_sz symbol). */
#define KITE_NONNULL_IN(fn, p) do {						\
	if (!(p))								\
		return kite_err(-EINVAL, "%s: %s is NULL", fn, #p);		\
} while (0)
#define KITE_NONNULL(p) KITE_NONNULL_IN(__func__, p)

/*
 * error.c. Every error message starts with the public call that failed
 * ("kite_queue_open: queue 1 is in use by process 4242"): each control-path
 * entry point names itself with KITE_CALL(), and kite_err() puts that name in
 * front of a message that does not start with one. The hot path sets nothing;
 * its few messages name their call themselves.
 */
extern KITE_HIDDEN _Thread_local const char *kite_api_call;
#define KITE_CALL_AS(name)	(kite_api_call = (name))
#define KITE_CALL()		KITE_CALL_AS(__func__)
KITE_HIDDEN int kite_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* a warning, through kite_set_log's callback (default stderr) */
KITE_HIDDEN void kite_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* regnames.c: names of field values, from the register table */
KITE_HIDDEN const char *kite_enum_name(unsigned int field, unsigned int value);

static inline uint32_t kite_rd32(struct kite_dev *dev, uint32_t off)
{
	return __atomic_load_n((volatile uint32_t *)(dev->bar0 + off), __ATOMIC_RELAXED);
}

static inline uint64_t kite_rd64(struct kite_dev *dev, uint32_t off)
{
	return __atomic_load_n((volatile uint64_t *)(dev->bar0 + off), __ATOMIC_RELAXED);
}

/* direct.c: for backends with a writable BAR0 */
KITE_HIDDEN void kite_clock_unmap(struct kite_dev *dev);
/* a PTP device's fd as a clock id (Linux's posix-clock encoding) */
#define KITE_FD_TO_CLOCKID(fd)	((clockid_t)((((unsigned int)~(fd)) << 3) | 3))

/* vfio_iova.c: the IOVAs the vfio backend gives the card */
enum kite_iova_mode { KITE_IOVA_AUTO, KITE_IOVA_VA, KITE_IOVA_ALLOC, KITE_IOVA_PA };
#define KITE_IOVA_RANGES 16
struct kite_iova_used {
	uint64_t start, len;
};
struct kite_iova_space {
	uint64_t range[KITE_IOVA_RANGES][2];	/* usable, first and last address */
	unsigned int nranges;
	struct kite_iova_used *used;		/* what kite_iova_alloc handed out */
	unsigned int nused, cap;
};
KITE_HIDDEN int kite_iova_mode_parse(const char *s, enum kite_iova_mode *mode);
KITE_HIDDEN int kite_iova_query(int container, struct kite_iova_space *s);
struct vfio_iommu_type1_info;
KITE_HIDDEN void kite_iova_parse_info(const struct vfio_iommu_type1_info *info,
				      struct kite_iova_space *s);
KITE_HIDDEN bool kite_iova_fits(const struct kite_iova_space *s, uint64_t start, uint64_t len);
KITE_HIDDEN int kite_iova_alloc(struct kite_iova_space *s, uint64_t len, uint64_t *iova);
KITE_HIDDEN int kite_iova_reserve(struct kite_iova_space *s, uint64_t start, uint64_t len);
KITE_HIDDEN void kite_iova_free(struct kite_iova_space *s, uint64_t iova);
KITE_HIDDEN void kite_iova_space_free(struct kite_iova_space *s);
KITE_HIDDEN void kite_iova_ranges_str(const struct kite_iova_space *s, char *buf, size_t len);
KITE_HIDDEN void kite_direct_init(struct kite_dev *dev, unsigned int slack);
KITE_HIDDEN int kite_direct_queue_start(struct kite_dev *dev,
					const struct kite_hw_queue_cfg *c);
KITE_HIDDEN int kite_direct_queue_stop(struct kite_dev *dev, unsigned int qid);
KITE_HIDDEN int kite_direct_queue_claim(struct kite_dev *dev, unsigned int qid,
					volatile uint8_t **db);
KITE_HIDDEN void kite_direct_queue_release(struct kite_dev *dev, unsigned int qid);
KITE_HIDDEN int kite_direct_port_set(struct kite_dev *dev, unsigned int port, unsigned int mtu,
				     int default_queue);
KITE_HIDDEN int kite_direct_filter_write(struct kite_dev *dev, unsigned int i,
					 const struct kite_filter *f, bool copy);
KITE_HIDDEN int kite_direct_reset(struct kite_dev *dev);
KITE_HIDDEN int kite_direct_filter_add(struct kite_dev *dev, const struct kite_filter *f,
				       bool copy, unsigned int *index);
KITE_HIDDEN int kite_direct_filter_del(struct kite_dev *dev, unsigned int index);
KITE_HIDDEN int kite_direct_reg_write(struct kite_dev *dev, uint32_t off, uint64_t val,
				      unsigned int bits);

/* mem.c */
KITE_HIDDEN int kite_dma_alloc(struct kite_dev *dev, size_t len, struct kite_dma *m);
KITE_HIDDEN void kite_dma_free(struct kite_dev *dev, struct kite_dma *m);
KITE_HIDDEN void kite_pool_free(struct kite_pool *pool);

/* physaddr.c: DMA address = physical address (no IOMMU); who names the path */
KITE_HIDDEN int kite_dma_map_physical(struct kite_dma *m, const char *who);

/* datapath.c */
KITE_HIDDEN void kite_queue_drop_inflight(struct kite_queue *q);
KITE_HIDDEN void kite_rx_fill(struct kite_queue *q);
/* stream.c: TX completions from the write-back count (§6.4) */
KITE_HIDDEN unsigned int kite_tx_reap_wb(struct kite_queue *q);

/* backends */
extern KITE_HIDDEN const struct kite_backend_ops kite_backend_emu;
extern KITE_HIDDEN const struct kite_backend_ops kite_backend_kmod;
extern KITE_HIDDEN const struct kite_backend_ops kite_backend_uio;
extern KITE_HIDDEN const struct kite_backend_ops kite_backend_vfio;

#endif /* KITE_LIB_INTERNAL_H */
