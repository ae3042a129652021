// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-emu's control server: the bus side of include/kite/emu_proto.h. Hands
 * out the BAR memfd, maps client DMA memory, tracks queue claims, and cleans
 * up after a client that disconnects or dies (hw-spec §8).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kite/emu_proto.h"
#include "emu_internal.h"

/* Never blocks: a client that does not read its replies loses its connection. */
static int send_reply(int fd, struct kite_emu_msg *m, int pass_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pass_fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof(*m) ? 0 : -1;
}

/*
 * Receive one request and the fd that may come with it. Every other fd a
 * client sends along (a second one, or any with a zero-length message) is
 * closed here, or it would stay open in the daemon for good.
 */
static ssize_t recv_request(int fd, struct kite_emu_msg *m, int *got_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t n;
	size_t k;

	memset(m, 0, sizeof(*m));	/* a short request must not see the last reply */
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	*got_fd = -1;
	for (c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (*got_fd < 0)
				*got_fd = f;
			else
				close(f);
		}
	}
	return n;
}

/* Complain about a client, at most a few times a second for all of them. */
static void client_log(struct kite_emu *e, int slot, const char *what)
{
	static struct timespec last;
	static unsigned int burst;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != last.tv_sec) {
		last = now;
		burst = 0;
	}
	if (burst++ < 5)
		fprintf(stderr, "kite-emu: client %d (pid %d): %s\n", slot, (int)e->client_pid[slot],
			what);
}

/*
 * A released queue: nothing steers frames to it any more, neither a port's
 * default (§3.5) nor a filter entry (§3.8), so its next owner starts clean.
 */
static void queue_forget(struct kite_emu *e, unsigned int qid)
{
	bool changed = false;
	unsigned int p, i;

	for (p = 0; p < KITE_MAX_PORTS; p++) {
		uint32_t ctrl = r32(e, KITE_R_AT(P_CTRL, p));

		if (KITE_FGET(KITE_P_CTRL_DEFAULT_EN, ctrl) &&
		    KITE_FGET(KITE_P_CTRL_DEFAULT_QUEUE, ctrl) == qid) {
			w32(e, KITE_R_AT(P_CTRL, p), ctrl & ~(KITE_FMASK(KITE_P_CTRL_DEFAULT_EN) |
							  KITE_FMASK(KITE_P_CTRL_DEFAULT_QUEUE)));
			changed = true;
		}
	}
	for (i = 0; i < KITE_MAX_FILTERS; i++) {
		uint32_t ctrl = r32(e, KITE_R_AT(F_CTRL, i));

		if (KITE_FGET(KITE_F_CTRL_VALID, ctrl) && KITE_FGET(KITE_F_CTRL_QUEUE, ctrl) == qid) {
			w32(e, KITE_R_AT(F_CTRL, i), 0);
			e->filter_owner[i] = EMU_NO_OWNER;
			changed = true;
		}
	}
	if (changed)
		emu_apply_config(e);
}

/* Invalidate a filter entry now: its owner is gone or gave it back. */
static void filter_drop(struct kite_emu *e, unsigned int i)
{
	e->filter_owner[i] = EMU_NO_OWNER;
	w32(e, KITE_R_AT(F_CTRL, i), 0);
	emu_apply_config(e);
}

/*
 * A free filter entry. A keyed claim is refused if that key is already
 * steered on that port, whether by a claimed entry (its claim recorded the
 * key) or by a valid one on the card: the card's lowest index would win and
 * silently take the other's traffic. Copy entries take nothing from anyone;
 * only a second copy of the same key is refused.
 */
static int filter_claim(struct kite_emu *e, int slot, struct kite_emu_msg *m)
{
	/* a v1.1 card has no copies: such a claim is an ordinary entry's */
	bool keyed = m->a & KITE_EMU_FILTER_KEYED,
	     copy = (m->a & KITE_EMU_FILTER_COPY) && !emu_old_contract(e, 2);
	uint32_t type = m->a & 0xff, port = (m->a >> 8) & 0xff;
	uint64_t key = m->b;
	unsigned int i;

	for (i = 0; keyed && i < KITE_MAX_FILTERS; i++) {
		uint32_t ctrl = r32(e, KITE_R_AT(F_CTRL, i));
		const struct emu_filter_key *k = &e->filter_key[i];
		bool claimed = e->filter_owner[i] != EMU_NO_OWNER && k->keyed;
		bool valid = KITE_FGET(KITE_F_CTRL_VALID, ctrl);

		if ((claimed && k->type == type && k->port == port && k->key == key &&
		     k->copy == copy) ||
		    (valid && KITE_FGET(KITE_F_CTRL_TYPE, ctrl) == type &&
		     KITE_FGET(KITE_F_CTRL_PORT, ctrl) == port &&
		     (KITE_FGET(KITE_F_CTRL_COPY, ctrl) && !emu_old_contract(e, 2)) == copy &&
		     r64(e, KITE_R_AT(F_KEY, i)) == key)) {
			m->a = i;
			m->b = e->filter_owner[i] == EMU_NO_OWNER ? 0 :
			       (uint64_t)e->client_pid[e->filter_owner[i]];
			return -EEXIST;
		}
	}
	for (i = 0; i < KITE_MAX_FILTERS; i++) {
		if (e->filter_owner[i] == EMU_NO_OWNER &&
		    !KITE_FGET(KITE_F_CTRL_VALID, r32(e, KITE_R_AT(F_CTRL, i)))) {
			e->filter_owner[i] = (int8_t)slot;
			e->filter_key[i] = (struct emu_filter_key){ .keyed = keyed, .copy = copy,
								     .type = type,
								     .port = port, .key = key };
			m->a = i;
			return 0;
		}
	}
	return -ENOSPC;
}

static int handle(struct kite_emu *e, int slot, struct kite_emu_msg *m, int fd,
		  int *pass_fd)
{
	struct emu_queue *q = m->a < KITE_MAX_QUEUES ? &e->q[m->a] : NULL;

	switch (m->op) {
	case KITE_EMU_HELLO:
		/* once per connection: unread replies must not pile up fds in flight */
		if (e->client_hello[slot])
			return -EALREADY;
		e->client_hello[slot] = true;
		m->a = KITE_BAR_CTRL_SIZE;
		m->b = KITE_BAR_DB_SIZE;
		*pass_fd = e->bar_fd;
		return 0;
	case KITE_EMU_DMA_MAP:
		if (fd < 0)
			return -EBADF;
		return emu_dma_map(e, slot, fd, m->a, m->b, &m->a);
	case KITE_EMU_DMA_UNMAP:
		return emu_dma_unmap(e, slot, m->a);
	case KITE_EMU_QUEUE_CLAIM:
		if (!q)
			return -EINVAL;
		if (q->owner != EMU_NO_OWNER) {
			m->b = (uint64_t)e->client_pid[q->owner];	/* who has it, for the message */
			return q->owner == slot ? -EALREADY : -EBUSY;
		}
		q->owner = slot;
		return 0;
	case KITE_EMU_QUEUE_RELEASE:
		if (!q)
			return -EINVAL;
		if (q->owner != slot)
			return -EPERM;
		/* stopped: its next owner must not inherit a run that reaches our memory */
		w32(e, KITE_R_AT(Q_CTRL, m->a), 0);
		emu_queue_stop(e, (unsigned int)m->a);
		queue_forget(e, (unsigned int)m->a);
		q->owner = EMU_NO_OWNER;
		return 0;
	case KITE_EMU_FILTER_CLAIM:
		return filter_claim(e, slot, m);
	case KITE_EMU_FILTER_RELEASE:
		if (m->a >= KITE_MAX_FILTERS)
			return -EINVAL;
		if (e->filter_owner[m->a] != slot)
			return -EPERM;
		filter_drop(e, (unsigned int)m->a);
		return 0;
	case KITE_EMU_OWNER: {
		unsigned int i = m->a & 0xffff;
		int owner;

		if (m->a >> 16 > 1 || i >= (m->a >> 16 ? KITE_MAX_FILTERS : KITE_MAX_QUEUES))
			return -EINVAL;
		owner = m->a >> 16 ? e->filter_owner[i] : e->q[i].owner;
		m->b = owner == EMU_NO_OWNER ? 0 : (uint64_t)e->client_pid[owner];
		return 0;
	}
	case KITE_EMU_SET_CARRIER:
		if (m->a >= KITE_MAX_PORTS)
			return -EINVAL;
		emu_set_carrier(e, (unsigned int)m->a, m->b != 0);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* A client went away: stop its queues as a driver's release() would. */
static void client_gone(struct kite_emu *e, int slot)
{
	unsigned int qid;

	emu_ctl_lock(e);
	for (qid = 0; qid < KITE_MAX_QUEUES; qid++) {
		if (e->q[qid].owner != slot)
			continue;
		w32(e, KITE_R_AT(Q_CTRL, qid), 0);
		emu_queue_stop(e, qid);
		queue_forget(e, qid);
		e->q[qid].owner = EMU_NO_OWNER;
	}
	for (qid = 0; qid < KITE_MAX_FILTERS; qid++)
		if (e->filter_owner[qid] == slot)
			filter_drop(e, qid);
	emu_dma_unmap_owner(e, slot);
	emu_ctl_unlock(e);
	close(e->client_fd[slot]);
	e->client_fd[slot] = -1;
}

static void serve_client(struct kite_emu *e, int slot)
{
	struct kite_emu_msg m;
	int fd, pass_fd = -1;
	ssize_t n = recv_request(e->client_fd[slot], &m, &fd);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {	/* EOF (or an empty message, which no request is) */
		if (fd >= 0)
			close(fd);
		client_gone(e, slot);
		return;
	}
	if (n != sizeof(m) || m.version != KITE_EMU_PROTO_VERSION) {
		client_log(e, slot, n != sizeof(m) ? "truncated or oversized request" :
			   "wrong protocol version");
		memset(&m, 0, sizeof(m));
		m.version = KITE_EMU_PROTO_VERSION;
		m.status = -EPROTO;
	} else {
		emu_ctl_lock(e);
		m.status = handle(e, slot, &m, fd, &pass_fd);
		emu_ctl_unlock(e);
		if (m.status == -EBADF || m.status == -ERANGE)
			client_log(e, slot, "DMA_MAP of memory that is not a sealed memfd of that size");
		else if (m.status == -ENOSPC && m.op == KITE_EMU_DMA_MAP)
			client_log(e, slot, "DMA_MAP over its region limit");
	}
	if (fd >= 0)
		close(fd);	/* a DMA mapping holds its own reference */
	if (send_reply(e->client_fd[slot], &m, pass_fd) < 0) {
		client_log(e, slot, "does not read its replies: disconnected");
		client_gone(e, slot);
	}
}

/* A new connection: a free slot, and at most EMU_MAX_CONN_PER_PID per process. */
static void accept_client(struct kite_emu *e)
{
	int fd = accept4(e->listen_fd, NULL, NULL, SOCK_CLOEXEC), slot, free = -1, same = 0;
	struct ucred cred = { .pid = 0 };
	socklen_t len = sizeof(cred);

	if (fd < 0)
		return;
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	for (slot = 0; slot < EMU_MAX_CLIENTS; slot++) {
		if (e->client_fd[slot] < 0 && free < 0)
			free = slot;
		else if (e->client_fd[slot] >= 0 && e->client_pid[slot] == cred.pid)
			same++;
	}
	if (free < 0 || same >= EMU_MAX_CONN_PER_PID) {
		fprintf(stderr, "kite-emu: refused a connection from pid %d: %s\n", (int)cred.pid,
			free < 0 ? "all client slots taken" : "that process has too many");
		close(fd);	/* the client sees EOF on its first request */
		return;
	}
	e->client_fd[free] = fd;
	e->client_pid[free] = cred.pid;
	e->client_hello[free] = false;
}

static void *server_main(void *arg)
{
	struct kite_emu *e = arg;
	struct pollfd pfd[EMU_MAX_CLIENTS + 2];
	int slot_of[EMU_MAX_CLIENTS + 2];

	for (;;) {
		nfds_t n = 0, i;

		pfd[n++] = (struct pollfd){ .fd = e->wake_fd[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = e->listen_fd, .events = POLLIN };
		for (int s = 0; s < EMU_MAX_CLIENTS; s++) {
			if (e->client_fd[s] < 0)
				continue;
			slot_of[n] = s;
			pfd[n++] = (struct pollfd){ .fd = e->client_fd[s], .events = POLLIN };
		}
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			accept_client(e);
		for (i = 2; i < n; i++)
			if (pfd[i].revents)
				serve_client(e, slot_of[i]);
	}
	return NULL;
}

int kite_emu_serve(struct kite_emu *emu, char *msg, size_t msglen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = emu->cfg.socket_path;
	int err;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(msg, msglen, "socket path missing or longer than %zu bytes",
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	emu->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (emu->listen_fd < 0 || pipe2(emu->wake_fd, O_CLOEXEC) < 0)
		goto sys_fail;
	if (bind(emu->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		snprintf(msg, msglen, "cannot bind %s: %s%s", path, strerror(errno),
			 errno == EADDRINUSE ? " (another kite-emu running, or a stale socket?)" : "");
		return err;
	}
	emu->socket_path = strdup(path);
	if (listen(emu->listen_fd, 16) < 0)
		goto sys_fail;
	err = pthread_create(&emu->server, NULL, server_main, emu);
	if (err) {
		snprintf(msg, msglen, "cannot start the server thread: %s", strerror(err));
		return -err;
	}
	emu->serving = true;
	return 0;
sys_fail:
	err = -errno;
	snprintf(msg, msglen, "cannot set up %s: %s", path, strerror(errno));
	return err;
}

void emu_server_stop(struct kite_emu *e)
{
	int s;

	if (e->serving) {
		if (write(e->wake_fd[1], "x", 1) < 0)
			perror("kite-emu: wake server");
		pthread_join(e->server, NULL);
		e->serving = false;
	}
	for (s = 0; s < EMU_MAX_CLIENTS; s++)
		if (e->client_fd[s] >= 0)
			client_gone(e, s);
	if (e->listen_fd >= 0)
		close(e->listen_fd);
	if (e->wake_fd[0] >= 0) {
		close(e->wake_fd[0]);
		close(e->wake_fd[1]);
	}
	if (e->socket_path) {
		unlink(e->socket_path);
		free(e->socket_path);
		e->socket_path = NULL;
	}
}
