// SPDX-License-Identifier: BSD-3-Clause
/* libkite control plane: link, MTU, filters (hw-spec §3.8), stats, faults, reset. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kite/regtab.h"
#include "lib_internal.h"

static int check_port(struct kite_dev *dev, const char *fn, unsigned int port)
{
	if (!dev)
		return kite_err(-EINVAL, "%s: dev is NULL", fn);
	if (port >= dev->info.num_ports)
		return kite_err(-EINVAL, "%s: port %u does not exist (card has %u)", fn, port,
				dev->info.num_ports);
	return 0;
}

int kite_link_get_sz(struct kite_dev *dev, unsigned int port, struct kite_link *out, size_t size)
{
	static const unsigned int gbps[] = { 0, 10, 25, 100 };
	struct kite_link l = { 0 };
	uint32_t st;
	uint64_t mac;
	int i, err;

	KITE_CALL_AS("kite_link_get");
	err = check_port(dev, "kite_link_get", port);
	if (err)
		return err;
	KITE_NONNULL_IN("kite_link_get", out);
	st = kite_rd32(dev, KITE_R_AT(P_STATUS, port));
	mac = kite_rd64(dev, KITE_R_AT(P_MAC, port));
	l.up = (int)KITE_FGET(KITE_P_STATUS_LINK_UP, st);
	l.speed_gbps = KITE_FGET(KITE_P_STATUS_SPEED, st) < 4 ?
		       gbps[KITE_FGET(KITE_P_STATUS_SPEED, st)] : 0;
	l.mtu = kite_rd32(dev, KITE_R_AT(P_MTU, port));
	for (i = 0; i < 6; i++)
		l.mac[i] = (uint8_t)(mac >> (40 - 8 * i));
	return kite_abi_out(KITE_ABI_LINK, out, &l, size);
}

int kite_mtu_set(struct kite_dev *dev, unsigned int port, unsigned int mtu)
{
	int err = check_port(dev, "kite_mtu_set", port);

	KITE_CALL();
	if (err)
		return err;
	if (mtu < KITE_MIN_MTU || mtu > dev->info.max_frame - KITE_FRAME_OVERHEAD)	/* no wrap */
		return kite_err(-EINVAL, "kite_mtu_set: MTU %u outside 68..%u", mtu,
				dev->info.max_frame - KITE_FRAME_OVERHEAD);
	return dev->ops->port_set(dev, port, mtu, KITE_HW_DEFAULT_LEAVE);
}

int kite_default_queue_set(struct kite_dev *dev, unsigned int port, int queue)
{
	int err = check_port(dev, "kite_default_queue_set", port);

	KITE_CALL();
	if (err)
		return err;
	if (queue >= (int)dev->info.num_queues)
		return kite_err(-EINVAL, "kite_default_queue_set: queue %d does not exist", queue);
	return dev->ops->port_set(dev, port, 0, queue < 0 ? -1 : queue);
}

/*
 * -EEXIST: the key is steered already (entry index, by process pid: 0 unknown,
 * -1 this process). Two entries for one key would let the lower index take
 * the other's traffic without a word.
 */
int kite_filter_exists(const struct kite_filter *f, bool copy, unsigned int index, long pid)
{
	char owner[48];

	if (pid == (long)getpid())
		pid = -1;
	if (pid > 0)
		snprintf(owner, sizeof(owner), "process %ld", pid);
	else
		snprintf(owner, sizeof(owner), pid < 0 ? "this process" : "another process");
	return kite_err(-EEXIST, "%s: %s 0x%llx on port %u is already %s by %s (filter entry %u)",
			copy ? "kite_filter_copy" : "kite_filter_add",
			kite_enum_name(KITE_FI_F_CTRL_TYPE, f->type), (unsigned long long)f->key,
			f->port, copy ? "copied" : "steered", owner, index);
}

static int check_filter(struct kite_dev *dev, const struct kite_filter *f, bool copy,
			const char *fn)
{
	if (!dev)
		return kite_err(-EINVAL, "%s: dev is NULL", fn);
	if (!f)
		return kite_err(-EINVAL, "%s: NULL filter", fn);
	if (f->type < KITE_FILTER_DST_MAC || f->type > KITE_FILTER_ALL)
		return kite_err(-EINVAL, "%s: unknown filter type %d", fn, f->type);
	if (f->type == KITE_FILTER_ALL && !copy)
		return kite_err(-EINVAL, "kite_filter_add: KITE_FILTER_ALL would take every frame "
				"of the port; use kite_filter_copy for a copy of them");
	if (f->key >> KITE_F_KEY_BITS(f->type))
		return kite_err(-EINVAL, "%s: key 0x%llx wider than %u bits", fn,
				(unsigned long long)f->key, KITE_F_KEY_BITS(f->type));
	if (f->queue >= dev->info.num_queues)
		return kite_err(-EINVAL, "%s: queue %u does not exist", fn, f->queue);
	/* nobody's release would remove an entry aimed at a queue we do not hold */
	if (!dev->queues[f->queue])
		return kite_err(-EPERM, "%s: queue %u is not open in this process "
				"(kite_queue_open it first)", fn, f->queue);
	if (copy && !KITE_FGET(KITE_ID_FEATURES_COPY_FILTERS, dev->info.features))
		return kite_err(-EOPNOTSUPP, "kite_filter_copy: the card has no copy filters "
				"(contract v%u.%u, ID_FEATURES 0x%x; they came in v1.2)",
				dev->info.version_major, dev->info.version_minor,
				dev->info.features);
	return check_port(dev, fn, f->port);
}

static int filter_add(struct kite_dev *dev, const struct kite_filter *theirs, size_t size,
		      bool copy, const char *fn)
{
	struct kite_filter f;
	unsigned int i;
	int err;

	KITE_CALL_AS(fn);
	if (!theirs)
		return kite_err(-EINVAL, "%s: NULL filter", fn);
	err = kite_abi_in(KITE_ABI_FILTER, &f, theirs, size);
	if (!err)
		err = check_filter(dev, &f, copy, fn);
	if (!err)
		err = dev->ops->filter_add(dev, &f, copy, &i);
	return err ? err : (int)i;
}

int kite_filter_add_sz(struct kite_dev *dev, const struct kite_filter *f, size_t size)
{
	return filter_add(dev, f, size, false, "kite_filter_add");
}

int kite_filter_copy_sz(struct kite_dev *dev, const struct kite_filter *f, size_t size)
{
	return filter_add(dev, f, size, true, "kite_filter_copy");
}

int kite_filter_del(struct kite_dev *dev, unsigned int index)
{
	KITE_CALL();
	KITE_NONNULL(dev);
	if (index >= dev->info.num_filters)
		return kite_err(-EINVAL, "kite_filter_del: entry %u does not exist", index);
	return dev->ops->filter_del(dev, index);
}

int kite_port_stats_sz(struct kite_dev *dev, unsigned int port, struct kite_port_stats *out,
		       size_t size)
{
	struct kite_port_stats s, *o = &s;
	int err;

	KITE_CALL_AS("kite_port_stats");
	err = check_port(dev, "kite_port_stats", port);
	if (err)
		return err;
	KITE_NONNULL_IN("kite_port_stats", out);
	o->rx_pkts = kite_rd64(dev, KITE_R_AT(P_RX_PKTS, port));
	o->rx_bytes = kite_rd64(dev, KITE_R_AT(P_RX_BYTES, port));
	o->tx_pkts = kite_rd64(dev, KITE_R_AT(P_TX_PKTS, port));
	o->tx_bytes = kite_rd64(dev, KITE_R_AT(P_TX_BYTES, port));
	o->rx_drop_nomatch = kite_rd64(dev, KITE_R_AT(P_RX_DROP_NOMATCH, port));
	o->rx_drop_mtu = kite_rd64(dev, KITE_R_AT(P_RX_DROP_MTU, port));
	o->rx_drop_noq = kite_rd64(dev, KITE_R_AT(P_RX_DROP_NOQ, port));
	o->tx_drop_link = kite_rd64(dev, KITE_R_AT(P_TX_DROP_LINK, port));
	return kite_abi_out(KITE_ABI_PORT_STATS, out, o, size);
}

int kite_queue_hw_stats_sz(struct kite_dev *dev, unsigned int qid,
			   struct kite_queue_hw_stats *out, size_t size)
{
	struct kite_queue_hw_stats s, *o = &s;

	KITE_CALL_AS("kite_queue_hw_stats");
	KITE_NONNULL_IN("kite_queue_hw_stats", dev);
	KITE_NONNULL_IN("kite_queue_hw_stats", out);
	if (qid >= dev->info.num_queues)
		return kite_err(-EINVAL, "kite_queue_hw_stats: queue %u does not exist", qid);
	o->tx_pkts = kite_rd64(dev, KITE_R_AT(Q_TX_PKTS, qid));
	o->tx_bytes = kite_rd64(dev, KITE_R_AT(Q_TX_BYTES, qid));
	o->tx_errors = kite_rd64(dev, KITE_R_AT(Q_TX_ERRORS, qid));
	o->pio_pkts = kite_rd64(dev, KITE_R_AT(Q_PIO_PKTS, qid));
	o->rx_pkts = kite_rd64(dev, KITE_R_AT(Q_RX_PKTS, qid));
	o->rx_bytes = kite_rd64(dev, KITE_R_AT(Q_RX_BYTES, qid));
	o->rx_drop_nobuf = kite_rd64(dev, KITE_R_AT(Q_RX_DROP_NOBUF, qid));
	o->rx_drop_bufsz = kite_rd64(dev, KITE_R_AT(Q_RX_DROP_BUFSZ, qid));
	return kite_abi_out(KITE_ABI_QUEUE_HW_STATS, out, o, size);
}

int kite_faults(struct kite_dev *dev, struct kite_fault *out, unsigned int n)
{
	uint64_t count;
	unsigned int i;

	KITE_NONNULL(dev);
	if (n)
		KITE_NONNULL(out);
	count = kite_rd64(dev, KITE_R_FAULT_COUNT);
	for (i = 0; i < n && i < count && i < KITE_FAULT_LOG_LEN; i++) {
		unsigned int slot = (unsigned int)((count - 1 - i) % KITE_FAULT_LOG_LEN);
		uint32_t info = kite_rd32(dev, KITE_R_AT(FAULT_INFO, slot));

		out[i].iova = kite_rd64(dev, KITE_R_AT(FAULT_IOVA, slot));
		out[i].seq = count - i;
		out[i].queue = KITE_FGET(KITE_FAULT_INFO_QUEUE, info);
		out[i].source = KITE_FGET(KITE_FAULT_INFO_SOURCE, info);
		out[i].len = KITE_FGET(KITE_FAULT_INFO_LEN, info);
		out[i].source_name = kite_enum_name(KITE_FI_FAULT_INFO_SOURCE, out[i].source);
	}
	return (int)i;
}

int kite_time(struct kite_dev *dev, uint64_t *ns)
{
	KITE_NONNULL(dev);
	KITE_NONNULL(ns);
	*ns = kite_rd64(dev, KITE_R_TIME);
	return 0;
}

const volatile void *kite_bar0(struct kite_dev *dev)
{
	return dev ? dev->bar0 : NULL;
}

int kite_reg_write(struct kite_dev *dev, uint32_t off, uint64_t val, unsigned int bits)
{
	KITE_CALL();
	KITE_NONNULL(dev);
	if ((bits != 32 && bits != 64) || off % (bits / 8) || off > KITE_BAR_CTRL_SIZE - bits / 8)
		return kite_err(-EINVAL, "kite_reg_write: %u-bit access at 0x%x is outside BAR0 "
				"or unaligned", bits, off);
	return dev->ops->reg_write(dev, off, val, bits);
}

int kite_reset(struct kite_dev *dev)
{
	KITE_CALL();
	KITE_NONNULL(dev);
	return dev->ops->reset(dev);
}

static long owner(struct kite_dev *dev, bool filter, unsigned int index, const char *fn)
{
	KITE_CALL_AS(fn);
	if (!dev)
		return kite_err(-EINVAL, "%s: dev is NULL", fn);
	if (index >= (filter ? dev->info.num_filters : dev->info.num_queues))
		return kite_err(-EINVAL, "%s: %s %u does not exist", fn,
				filter ? "filter entry" : "queue", index);
	if (!dev->ops->owner)
		return kite_err(-EOPNOTSUPP, "%s: the %s backend cannot tell (one process owns "
				"the whole card)", fn, dev->ops->name);
	return dev->ops->owner(dev, filter, index);
}

long kite_queue_owner(struct kite_dev *dev, unsigned int qid)
{
	return owner(dev, false, qid, "kite_queue_owner");
}

long kite_filter_owner(struct kite_dev *dev, unsigned int index)
{
	return owner(dev, true, index, "kite_filter_owner");
}
