// SPDX-License-Identifier: BSD-3-Clause
/*
 * The card's control plane: reset (hw-spec §3.3), port and
 * filter configuration applied on CFG_COMMIT (§3.3), queue start and stop
 * (§6.1). Runs from the data path thread between doorbell polls.
 */
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kite/regtab.h"
#include "emu_internal.h"

static void running_list_update(struct kite_emu *e)
{
	unsigned int qid;

	e->nrunning = 0;
	for (qid = 0; qid < KITE_MAX_QUEUES; qid++)
		if (e->q[qid].running)
			e->running[e->nrunning++] = (uint8_t)qid;
}

static void queue_status(struct kite_emu *e, unsigned int qid, bool running,
			 bool error, unsigned int cause)
{
	w32(e, KITE_R_AT(Q_STATUS, qid),
	    KITE_FPREP(KITE_Q_STATUS_RUNNING, running) |
	    KITE_FPREP(KITE_Q_STATUS_ERROR, error) |
	    KITE_FPREP(KITE_Q_STATUS_CAUSE, cause));
}

void emu_queue_stop(struct kite_emu *e, unsigned int qid)
{
	struct emu_queue *q = &e->q[qid];

	q->running = false;
	q->error = false;
	queue_status(e, qid, false, false, KITE_Q_STATUS_CAUSE_NONE);
	running_list_update(e);
}

void emu_queue_error(struct kite_emu *e, unsigned int qid, unsigned int cause)
{
	struct emu_queue *q = &e->q[qid];

	q->running = false;
	q->error = true;
	queue_status(e, qid, false, true, cause);
	running_list_update(e);
}

/* Resolve one ring to host memory; a ring outside client memory faults. */
static void *ring_ptr(struct kite_emu *e, unsigned int qid, unsigned int k,
		      uint64_t bytes, unsigned int source, bool *ok)
{
	uint64_t iova = e->q[qid].ring_iova[k];
	void *p = NULL;

	if (!*ok)
		return NULL;
	if (iova % KITE_RING_ALIGN == 0)
		p = emu_dma_ptr(e, e->q[qid].dma_owner, iova, bytes);
	if (!p) {
		emu_fault(e, qid, source, iova, bytes);
		*ok = false;
	}
	return p;
}

static void queue_start(struct kite_emu *e, unsigned int qid, uint32_t ctrl)
{
	static const unsigned int reg[7] = {
		KITE_R_Q_TX_RING, KITE_R_Q_TX_CQ, KITE_R_Q_RX_RING, KITE_R_Q_RX_CQ,
		KITE_R_Q_PIO_CQ, KITE_R_Q_RXS_RING, KITE_R_Q_TX_WB,
	};
	struct emu_queue *q = &e->q[qid];
	unsigned int k, txl = KITE_FGET(KITE_Q_CTRL_TX_LOG2, ctrl);
	unsigned int rxl = KITE_FGET(KITE_Q_CTRL_RX_LOG2, ctrl);
	uint32_t bufsz = r32(e, KITE_R_AT(Q_RX_BUF_SIZE, qid));
	/* §5.4: a card older than 1.3 ignores the bit (§2, bits it does not define) */
	bool stream = KITE_FGET(KITE_Q_CTRL_RX_STREAM, ctrl) && !emu_old_contract(e, 3);
	bool direct = KITE_FGET(KITE_Q_CTRL_PIO_DIRECT, ctrl) && !emu_old_contract(e, 3);
	bool wb = KITE_FGET(KITE_Q_CTRL_TX_WB, ctrl) && !emu_old_contract(e, 3);
	uint32_t sl = stream ? r32(e, KITE_R_AT(Q_RXS_LOG2, qid)) : 0;
	bool ok = true;

	if (txl < KITE_MIN_RING_LOG2 || txl > KITE_MAX_RING_LOG2 ||
	    rxl < KITE_MIN_RING_LOG2 || rxl > KITE_MAX_RING_LOG2 ||
	    bufsz < KITE_RX_BUF_MIN || bufsz > KITE_RX_BUF_MAX || bufsz % 64 ||
	    KITE_FGET(KITE_Q_CTRL_PORT, ctrl) >= KITE_MAX_PORTS ||
	    (stream && (sl < KITE_RXS_MIN_LOG2 || sl > KITE_RXS_MAX_LOG2))) {
		emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_BAD_CONFIG);
		return;
	}
	/* whose memory this run may reach: the claimer's, or a VM's when unclaimed */
	q->dma_owner = q->owner != EMU_NO_OWNER ? q->owner :
		       e->cfg.guest_ram_file ? EMU_OWNER_GUEST : EMU_NO_OWNER;
	for (k = 0; k < 7; k++)
		q->ring_iova[k] = r64(e, KITE_R_Q_CTRL + qid * KITE_R_Q_CTRL_STRIDE +
				      reg[k] - KITE_R_Q_CTRL);
	q->txr = ring_ptr(e, qid, 0, (16ULL << txl), KITE_FAULT_INFO_SOURCE_TX_DESC, &ok);
	q->txcq = ring_ptr(e, qid, 1, (16ULL << txl), KITE_FAULT_INFO_SOURCE_TX_CQ, &ok);
	if (stream) {	/* §3.6: the descriptor RX rings are unused */
		q->rxr = NULL;
		q->rxcq = NULL;
		q->rxs = ring_ptr(e, qid, 5, 1ULL << sl, KITE_FAULT_INFO_SOURCE_RX_STREAM, &ok);
	} else {
		q->rxs = NULL;
		q->rxr = ring_ptr(e, qid, 2, (8ULL << rxl), KITE_FAULT_INFO_SOURCE_RX_DESC, &ok);
		q->rxcq = ring_ptr(e, qid, 3, (16ULL << rxl), KITE_FAULT_INFO_SOURCE_RX_CQ, &ok);
	}
	q->piocq = ring_ptr(e, qid, 4, 16 * KITE_PIO_SLOTS, KITE_FAULT_INFO_SOURCE_PIO_CQ, &ok);
	q->tx_wb = wb ? ring_ptr(e, qid, 6, KITE_RING_ALIGN, KITE_FAULT_INFO_SOURCE_TX_WB, &ok) :
		   NULL;
	q->tx_failed = 0;
	if (!ok) {
		emu_queue_error(e, qid, KITE_Q_STATUS_CAUSE_DMA_FAULT);
		return;
	}
	q->port = KITE_FGET(KITE_Q_CTRL_PORT, ctrl);
	q->tx_log2 = txl;
	q->rx_log2 = rxl;
	q->tx_mask = (1U << txl) - 1;
	q->rx_mask = (1U << rxl) - 1;
	q->rx_buf_size = bufsz;
	q->tx_head = q->rx_head = q->pio_head = q->rx_tail = 0;
	q->rxs_chunks = stream ? 1U << (sl - KITE_RXS_CHUNK_SHIFT) : 0;
	q->rxs_head = q->rxs_credit = 0;
	q->tx_db_seen = q->pio_db_seen = 0;
	memset(&q->bus, 0, sizeof(q->bus));
	/* §6.1: doorbells count from zero in each run of the queue. */
	memset(q->db, 0, 16);
	/* §4.4: nothing a previous run left in the slots can be sent */
	memset(q->db + KITE_PIO_WINDOW, 0, KITE_PIO_SLOTS * KITE_PIO_SLOT_SIZE);
	q->pio_direct = direct;
	if (direct)
		for (k = 0; k < KITE_PIO_SLOTS; k++)
			emu_pio_mark(q, k);
	w32(e, KITE_R_AT(Q_TX_HEAD, qid), 0);
	w32(e, KITE_R_AT(Q_RX_HEAD, qid), 0);
	w32(e, KITE_R_AT(Q_PIO_HEAD, qid), 0);
	w32(e, KITE_R_AT(Q_RXS_HEAD, qid), 0);
	q->running = true;
	q->error = false;
	queue_status(e, qid, true, false, KITE_Q_STATUS_CAUSE_NONE);
	running_list_update(e);
}

/* The stuck-card test hooks of hw-spec §8, when enabled. */
static bool fault_hook(struct kite_emu *e, uint32_t which)
{
	uint32_t v = r32(e, KITE_R_SCRATCH);

	return e->cfg.fault_hooks &&
	       (v == which || (which == KITE_EMU_FAULT_STUCK_STOP &&
			       v == KITE_EMU_FAULT_STUCK_RESET));
}

static void scan_queues(struct kite_emu *e)
{
	unsigned int qid;
	bool stuck = fault_hook(e, KITE_EMU_FAULT_STUCK_STOP);

	for (qid = 0; qid < KITE_MAX_QUEUES; qid++) {
		struct emu_queue *q = &e->q[qid];
		uint32_t ctrl = r32(e, KITE_R_AT(Q_CTRL, qid));
		bool en = KITE_FGET(KITE_Q_CTRL_ENABLE, ctrl);

		if (en && !q->running && !q->error)
			queue_start(e, qid, ctrl);
		else if (!en && (q->running || q->error) && !stuck)
			emu_queue_stop(e, qid);
	}
}

static void port_status_update(struct kite_emu *e, unsigned int p)
{
	bool up = e->port[p].enabled && e->port[p].carrier;

	w32(e, KITE_R_AT(P_STATUS, p),
	    up ? (KITE_FPREP(KITE_P_STATUS_LINK_UP, 1) |
		  KITE_FPREP(KITE_P_STATUS_SPEED, KITE_P_STATUS_SPEED_10G)) : 0);
}

/*
 * §3.3: port and filter registers take effect on CFG_COMMIT. The sequence
 * number is taken before the registers are read: a commit written while we
 * read them (another process's filter) is not acknowledged by this pass but
 * triggers the next one. Taken after, it would be acknowledged with its
 * writes missed, and that process's frames dropped without a word.
 */
void emu_apply_config(struct kite_emu *e)
{
	uint32_t seq = __atomic_load_n((uint32_t *)(e->bar + KITE_R_CFG_COMMIT),
				       __ATOMIC_ACQUIRE);
	unsigned int p, i;

	for (p = 0; p < KITE_MAX_PORTS; p++) {
		uint32_t ctrl = r32(e, KITE_R_AT(P_CTRL, p));
		uint32_t mtu = r32(e, KITE_R_AT(P_MTU, p));

		e->port[p].enabled = KITE_FGET(KITE_P_CTRL_ENABLE, ctrl);
		e->port[p].default_en = KITE_FGET(KITE_P_CTRL_DEFAULT_EN, ctrl);
		e->port[p].default_queue = KITE_FGET(KITE_P_CTRL_DEFAULT_QUEUE, ctrl);
		if (mtu > KITE_MAX_FRAME - KITE_FRAME_OVERHEAD)
			mtu = KITE_MAX_FRAME - KITE_FRAME_OVERHEAD;
		e->port[p].max_frame = mtu + KITE_FRAME_OVERHEAD;
		port_status_update(e, p);
	}
	e->nfilters = 0;
	e->copy_end = 0;
	for (i = 0; i < KITE_MAX_FILTERS; i++) {
		/* read once: software may write them while we apply (shared BAR) */
		uint32_t ctrl = r32(e, KITE_R_AT(F_CTRL, i));
		uint64_t key = r64(e, KITE_R_AT(F_KEY, i));
		struct emu_filter *f = &e->filter[e->nfilters];

		/* §3.8: an entry a commit changes counts its hits afresh */
		if (ctrl != e->applied_ctrl[i] || key != e->applied_key[i]) {
			e->applied_ctrl[i] = ctrl;
			e->applied_key[i] = key;
			if (KITE_FGET(KITE_F_CTRL_VALID, ctrl) && !emu_old_contract(e, 2))
				w64(e, KITE_R_AT(F_HITS, i), 0);
		}
		if (!KITE_FGET(KITE_F_CTRL_VALID, ctrl))
			continue;
		f->type = KITE_FGET(KITE_F_CTRL_TYPE, ctrl);
		f->port = KITE_FGET(KITE_F_CTRL_PORT, ctrl);
		f->queue = KITE_FGET(KITE_F_CTRL_QUEUE, ctrl);
		/* a v1.1 card has no COPY bit: the entry is an ordinary one */
		f->copy = KITE_FGET(KITE_F_CTRL_COPY, ctrl) && !emu_old_contract(e, 2);
		f->key = key;
		f->index = (uint16_t)i;
		if (f->copy)
			e->copy_end = e->nfilters + 1;
		e->nfilters++;
	}
	e->cfg_commit = seq;
	__atomic_store_n((uint32_t *)(e->bar + KITE_R_CFG_ACK), seq, __ATOMIC_RELEASE);
}

/* §3.3 GCTRL.RESET: every register to its table reset value. */
void emu_reset(struct kite_emu *e)
{
	unsigned int i, k, resets = KITE_FGET(KITE_GSTATUS_RESETS, r32(e, KITE_R_GSTATUS));

	w32(e, KITE_R_GSTATUS, 0);
	for (i = 0; i < KITE_MAX_QUEUES; i++)
		emu_queue_stop(e, i);
	for (i = 0; i < KITE_NREGS; i++) {
		const struct kite_reg_info *r = &kite_regs[i];

		/* GCTRL last: software takes RESET reading 0 for done (§3.11) */
		if (i == KITE_RI_TIME || i == KITE_RI_GSTATUS || i == KITE_RI_GCTRL)
			continue;
		for (k = 0; k < r->count; k++) {
			uint32_t off = r->offset + k * r->stride;
			/* P_MAC's reset value is per port (regs.def) */
			uint64_t v = r->reset + (i == KITE_RI_P_MAC ? k : 0);

			if (i == KITE_RI_ID_VERSION && emu_old_contract(e, KITE_VERSION_MINOR))
				v = (KITE_VERSION_MAJOR << 16) | e->cfg.contract_minor;
			if (i == KITE_RI_ID_FEATURES && emu_old_contract(e, 2))
				v &= ~KITE_FMASK(KITE_ID_FEATURES_COPY_FILTERS);
			if (i == KITE_RI_ID_FEATURES && emu_old_contract(e, 3))
				v &= ~(KITE_FMASK(KITE_ID_FEATURES_RX_STREAM) |
				       KITE_FMASK(KITE_ID_FEATURES_PIO_DIRECT) |
				       KITE_FMASK(KITE_ID_FEATURES_TX_WB));
			if (i == KITE_RI_ID_FEATURES && emu_old_contract(e, 4))
				v &= ~KITE_FMASK(KITE_ID_FEATURES_CLOCK_CTL);
			if (r->bits == 64)
				w64(e, off, v);
			else
				w32(e, off, (uint32_t)v);
		}
	}
	memset(e->bar + KITE_BAR_CTRL_SIZE, 0, KITE_BAR_DB_SIZE);
	/* §3.3: the reset clears every filter, so no claim on one survives it */
	memset(e->filter_owner, EMU_NO_OWNER, sizeof(e->filter_owner));
	memset(e->filter_key, 0, sizeof(e->filter_key));
	emu_clock_reset(e);
	emu_apply_config(e);
	w32(e, KITE_R_GSTATUS, KITE_FPREP(KITE_GSTATUS_READY, 1) |
	    KITE_FPREP(KITE_GSTATUS_RESETS, resets + 1));
	/* done, and only now: READY and every register are in place when RESET reads 0 */
	__atomic_store_n((uint32_t *)(e->bar + KITE_R_GCTRL), 0, __ATOMIC_RELEASE);
	emu_trace_settle(e);	/* the reset values are the card's, not software's */
}

void emu_scan(struct kite_emu *e)
{
	if (e->trace)
		emu_trace_scan(e);

	if (KITE_FGET(KITE_GCTRL_RESET, r32(e, KITE_R_GCTRL)) &&
	    !fault_hook(e, KITE_EMU_FAULT_STUCK_RESET))
		emu_reset(e);
	emu_clock_scan(e);
	if (r32(e, KITE_R_CFG_COMMIT) != e->cfg_commit)
		emu_apply_config(e);
	scan_queues(e);
}

void emu_set_carrier(struct kite_emu *e, unsigned int port, bool up)
{
	e->port[port].carrier = up;
	port_status_update(e, port);
}

void kite_emu_set_carrier(struct kite_emu *emu, unsigned int port, bool up)
{
	if (port >= KITE_MAX_PORTS)
		return;
	emu_ctl_lock(emu);
	emu_set_carrier(emu, port, up);
	emu_ctl_unlock(emu);
}
