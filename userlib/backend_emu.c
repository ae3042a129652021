// SPDX-License-Identifier: BSD-3-Clause
/*
 * libkite emu backend: the device is kite-emu behind a UNIX socket
 * (include/kite/emu_proto.h). BARs arrive as a memfd; DMA memory is passed to
 * the model by fd and comes back with an IOVA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kite/emu_proto.h"
#include "lib_internal.h"

struct emu_priv {
	int sock;
	void *bars;
	size_t bars_len;
	char path[108];
};

static int rpc(struct kite_dev *dev, struct kite_emu_msg *m, int send_fd, int *recv_fd)
{
	struct emu_priv *p = dev->priv;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	m->version = KITE_EMU_PROTO_VERSION;
	if (send_fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &send_fd, sizeof(int));
	}
	/* a signal handler without SA_RESTART must not cost the request or its reply */
	do
		n = sendmsg(p->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		return kite_err(-EPIPE, "emu:%s: kite-emu went away (%s)", p->path, strerror(errno));
	memset(&u, 0, sizeof(u));
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(p->sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		return kite_err(-EPIPE, "emu:%s: no answer from kite-emu (it stopped, or "
				"has too many clients)", p->path);
	if (recv_fd) {
		*recv_fd = -1;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(recv_fd, CMSG_DATA(c), sizeof(int));
	}
	return m->status;
}

static int emu_open(struct kite_dev *dev, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct kite_emu_msg m = { .op = KITE_EMU_HELLO };
	struct emu_priv *p;
	int fd = -1, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return kite_err(-ENAMETOOLONG, "emu:%s: socket path longer than %zu bytes", path,
				sizeof(sa.sun_path) - 1);
	p = calloc(1, sizeof(*p));
	if (!p)
		return kite_err(-ENOMEM, "emu:%s: out of memory", path);
	strcpy(p->path, path);
	strcpy(sa.sun_path, path);
	dev->priv = p;
	p->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	err = p->sock < 0 ? -1 : connect(p->sock, (struct sockaddr *)&sa, sizeof(sa));
	while (err < 0 && errno == EINTR)	/* a unix socket stays unconnected: try again */
		err = connect(p->sock, (struct sockaddr *)&sa, sizeof(sa));
	if (err < 0) {
		err = kite_err(-errno, "emu:%s: cannot connect to kite-emu: %s%s", path,
			       strerror(errno), errno == ENOENT || errno == ECONNREFUSED ?
			       " (is kite-emu running with -s on this path?)" : "");
		goto fail;
	}
	err = rpc(dev, &m, -1, &fd);
	if (err || fd < 0) {
		err = kite_err(err ? err : -EPROTO, "emu:%s: handshake with kite-emu failed",
			       path);
		goto fail;
	}
	if (m.a != KITE_BAR_CTRL_SIZE || m.b != KITE_BAR_DB_SIZE) {
		err = kite_err(-ENODEV, "emu:%s: BAR sizes 0x%llx/0x%llx differ from the "
			       "contract's", path, (unsigned long long)m.a, (unsigned long long)m.b);
		goto fail;
	}
	p->bars_len = m.a + m.b;
	p->bars = mmap(NULL, p->bars_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->bars == MAP_FAILED) {
		err = kite_err(-errno, "emu:%s: cannot map the BARs: %s", path, strerror(errno));
		p->bars = NULL;
		goto fail;
	}
	close(fd);
	dev->bar0 = p->bars;
	dev->bar2 = (uint8_t *)p->bars + KITE_BAR_CTRL_SIZE;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (p->sock >= 0)
		close(p->sock);
	free(p);
	dev->priv = NULL;
	return err;
}

static void emu_close(struct kite_dev *dev)
{
	struct emu_priv *p = dev->priv;

	if (p->bars)
		munmap(p->bars, p->bars_len);
	close(p->sock);	/* kite-emu stops our queues and unmaps our memory */
	free(p);
}

static int emu_dma_map(struct kite_dev *dev, struct kite_dma *d)
{
	struct kite_emu_msg m = { .op = KITE_EMU_DMA_MAP, .a = d->len, .b = 0 };
	int err = rpc(dev, &m, d->fd, NULL);

	if (err)
		return kite_err(err, "kite-emu refused to map %zu bytes of DMA memory: %s",
				d->len, kite_strerror(err));
	d->iova = m.a;
	return 0;
}

static void emu_dma_unmap(struct kite_dev *dev, struct kite_dma *d)
{
	struct kite_emu_msg m = { .op = KITE_EMU_DMA_UNMAP, .a = d->iova };

	rpc(dev, &m, -1, NULL);
}

static int emu_queue_claim(struct kite_dev *dev, unsigned int qid, volatile uint8_t **db)
{
	struct kite_emu_msg m = { .op = KITE_EMU_QUEUE_CLAIM, .a = qid };
	int err = rpc(dev, &m, -1, NULL);

	if (err == -EBUSY)
		return kite_err(err, "queue %u is in use by process %llu", qid,
				(unsigned long long)m.b);
	if (err)
		return kite_err(err, "cannot claim queue %u: %s", qid, kite_strerror(err));
	*db = dev->bar2 + (size_t)qid * KITE_DB_PAGE_SIZE;
	return 0;
}

static void emu_queue_release(struct kite_dev *dev, unsigned int qid)
{
	struct kite_emu_msg m = { .op = KITE_EMU_QUEUE_RELEASE, .a = qid };

	rpc(dev, &m, -1, NULL);
}

/* kite-emu's bus arbitrates filter entries between processes; we write them. */
static int emu_filter_add(struct kite_dev *dev, const struct kite_filter *f, bool copy,
			  unsigned int *index)
{
	struct kite_emu_msg m = { .op = KITE_EMU_FILTER_CLAIM, .b = f->key,
				  .a = KITE_EMU_FILTER_KEYED | (uint32_t)f->type | f->port << 8 |
				       (copy ? KITE_EMU_FILTER_COPY : 0) };
	int err = rpc(dev, &m, -1, NULL);

	if (err == -EEXIST)
		return kite_filter_exists(f, copy, (unsigned int)m.a, (long)m.b);
	if (err == -ENOSPC)
		return kite_err(err, "%s: all %u filter entries are in use", FILTER_FN(copy),
				dev->info.num_filters);
	if (err)
		return kite_err(err, "%s: %s", FILTER_FN(copy), kite_strerror(err));
	*index = (unsigned int)m.a;
	err = kite_direct_filter_write(dev, *index, f, copy);
	if (err) {
		m = (struct kite_emu_msg){ .op = KITE_EMU_FILTER_RELEASE, .a = *index };
		rpc(dev, &m, -1, NULL);
	}
	return err;
}

static long emu_owner(struct kite_dev *dev, bool filter, unsigned int index)
{
	struct kite_emu_msg m = { .op = KITE_EMU_OWNER,
				  .a = (filter ? KITE_EMU_OWNER_FILTER : KITE_EMU_OWNER_QUEUE) | index };
	int err = rpc(dev, &m, -1, NULL);

	if (err)	/* -EOPNOTSUPP: a kite-emu older than the question */
		return kite_err(err, "%s: kite-emu: %s", filter ? "kite_filter_owner" :
				"kite_queue_owner", kite_strerror(err));
	return (long)m.b;
}

static int emu_filter_del(struct kite_dev *dev, unsigned int index)
{
	struct kite_emu_msg m = { .op = KITE_EMU_FILTER_RELEASE, .a = index };
	int err = rpc(dev, &m, -1, NULL);

	if (err == -EPERM)
		return kite_err(-ENOENT, "filter entry %u is not one of this process's", index);
	if (err)
		return kite_err(err, "cannot release filter entry %u: %s", index,
				kite_strerror(err));
	return 0;	/* the bus invalidated the entry and applied that */
}

const struct kite_backend_ops kite_backend_emu = {
	.name = "emu",
	.open = emu_open,
	.close = emu_close,
	.dma_map = emu_dma_map,
	.dma_unmap = emu_dma_unmap,
	.queue_claim = emu_queue_claim,
	.queue_release = emu_queue_release,
	.queue_start = kite_direct_queue_start,
	.queue_stop = kite_direct_queue_stop,
	.filter_add = emu_filter_add,
	.filter_del = emu_filter_del,
	.port_set = kite_direct_port_set,
	.reset = kite_direct_reset,
	.owner = emu_owner,
	.reg_write = kite_direct_reg_write,
	.db_write_combined = false,
	.release_stops = true,
};
