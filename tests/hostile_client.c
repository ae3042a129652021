// SPDX-License-Identifier: BSD-3-Clause
/*
 * hostile_client: what a careless or hostile process can send kite-emu's
 * control socket (include/kite/emu_proto.h), run by tests/e2e.sh against the
 * daemon. After each attack a well-behaved client (libkite) must still open
 * the card, map memory and run a queue; at the end the daemon's open fds and
 * RSS are where they started.
 *   hostile_client SOCKET DAEMON_PID
 * Prints "ok"/"FAIL" per check and "hostile_client: N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kite/emu_proto.h"
#include "kite/kite.h"

static int pass, fail;
static const char *sock_path;
static int daemon_pid;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		pass++;							\
		printf("ok - ");					\
	} else {							\
		fail++;							\
		printf("FAIL - ");					\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

static int connect_emu(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send len bytes of m with nfds fds attached; flags as for sendmsg. */
static ssize_t send_raw(int s, const void *m, size_t len, const int *fds, int nfds, int flags)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = (void *)m, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, nfds * sizeof(int));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL | flags);
}

/* The reply (closing any fd it carries); status, or -EPIPE on EOF. */
static int recv_reply(int s, struct kite_emu_msg *r)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	memset(r, 0xa5, sizeof(*r));
	n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -EPIPE;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int f;

		memcpy(&f, CMSG_DATA(c), sizeof(f));
		close(f);
	}
	return r->status;
}

static int request(int s, uint32_t op, uint64_t a, uint64_t b, int fd, struct kite_emu_msg *r)
{
	struct kite_emu_msg m = { .version = KITE_EMU_PROTO_VERSION, .op = op, .a = a, .b = b };

	if (send_raw(s, &m, sizeof(m), &fd, fd >= 0, 0) != sizeof(m))
		return -EPIPE;
	return recv_reply(s, r);
}

/* A memfd of len bytes, sealed against shrinking if asked. */
static int memfd(uint64_t len, bool sealed)
{
	int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		return -1;
	if (sealed)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	return fd;
}

static long daemon_fds(void)
{
	char cmd[64];
	long n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", daemon_pid);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%ld", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static long daemon_rss_kib(void)
{
	char path[64], line[128];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", daemon_pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* The well-behaved client, another process: open, pool, queue, close. */
static bool good_client_here(void)
{
	struct kite_queue_conf c = { .tx_ring_size = 64, .rx_ring_size = 64 };
	char devstr[160];
	struct kite_dev *dev;
	struct kite_pool *pool;
	struct kite_queue *q;
	bool ok;

	snprintf(devstr, sizeof(devstr), "emu:%s", sock_path);
	if (kite_open(devstr, &dev))
		return false;
	ok = !kite_pool_create(dev, 256, 2048, &pool);
	c.rx_pool = pool;
	ok = ok && !kite_queue_open(dev, 12, &c, &q);
	if (ok)
		kite_queue_close(q);
	kite_close(dev);
	return ok;
}

static bool good_client(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		alarm(30);	/* a wedged daemon fails the check, not the run */
		_exit(good_client_here() ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void malformed(void)
{
	struct kite_emu_msg r, m = { .version = KITE_EMU_PROTO_VERSION, .op = KITE_EMU_HELLO };
	int s = connect_emu(), fd = memfd(4096, true);

	CHECK(request(s, KITE_EMU_DMA_MAP, 4096, 0, fd, &r) == 0 && r.a, "a DMA_MAP answered");
	CHECK(send_raw(s, &m, 8, NULL, 0, 0) == 8 && recv_reply(s, &r) == -EPROTO,
	      "a truncated request: -EPROTO");
	CHECK(r.a == 0 && r.b == 0, "and its reply carries nothing of the previous reply "
	      "(a = 0x%llx)", (unsigned long long)r.a);
	m.version = 99;
	CHECK(send_raw(s, &m, sizeof(m), NULL, 0, 0) == sizeof(m) && recv_reply(s, &r) == -EPROTO,
	      "a wrong protocol version: -EPROTO");
	CHECK(request(s, 999, 0, 0, -1, &r) == -EOPNOTSUPP, "an unknown op: -EOPNOTSUPP");
	CHECK(request(s, KITE_EMU_QUEUE_CLAIM, 1ULL << 40, 0, -1, &r) == -EINVAL,
	      "a queue number past 2^32: -EINVAL");
	CHECK(request(s, KITE_EMU_DMA_MAP, 4096, 0, -1, &r) == -EBADF, "DMA_MAP without an fd");
	CHECK(request(s, KITE_EMU_HELLO, 0, 0, -1, &r) == 0 &&
	      request(s, KITE_EMU_HELLO, 0, 0, -1, &r) == -EALREADY,
	      "the BAR fd comes once per connection (a second HELLO: -EALREADY)");
	close(fd);
	close(s);
	CHECK(good_client(), "a good client still works");
}

static void fd_games(void)
{
	struct kite_emu_msg r, m = { .version = KITE_EMU_PROTO_VERSION, .op = KITE_EMU_HELLO };
	int i, s, two[2], ok = 0;

	for (i = 0; i < 500; i++) {
		s = connect_emu();
		two[0] = memfd(4096, true);
		two[1] = memfd(4096, true);
		/* a request with two fds, then an empty message with one */
		if (send_raw(s, &m, sizeof(m), two, 2, 0) == sizeof(m) && recv_reply(s, &r) == 0 &&
		    send_raw(s, &m, 0, two, 1, 0) == 0)
			ok++;
		close(two[0]);
		close(two[1]);
		close(s);
	}
	CHECK(ok == 500, "500 requests with two fds and empty messages with an fd (%d sent)", ok);
	CHECK(good_client(), "a good client still works");
}

static void memory_games(void)
{
	struct kite_emu_msg r;
	int s = connect_emu(), loose = memfd(1 << 20, false), small = memfd(1 << 20, true);

	CHECK(request(s, KITE_EMU_DMA_MAP, 1 << 20, 0, loose, &r) == -EBADF,
	      "DMA_MAP of a memfd that may shrink (no F_SEAL_SHRINK): -EBADF");
	CHECK(request(s, KITE_EMU_DMA_MAP, 2 << 20, 0, small, &r) == -ERANGE,
	      "DMA_MAP past the memfd's end: -ERANGE");
	CHECK(request(s, KITE_EMU_DMA_MAP, 1 << 20, 1 << 20, small, &r) == -ERANGE,
	      "DMA_MAP at an offset past the end: -ERANGE");
	CHECK(request(s, KITE_EMU_DMA_MAP, 4096, ~0ULL & ~4095ULL, small, &r) == -ERANGE,
	      "DMA_MAP where offset + length wraps: -ERANGE");
	CHECK(request(s, KITE_EMU_DMA_MAP, 1 << 20, 0, small, &r) == 0 &&
	      ftruncate(small, 4096) < 0 && errno == EPERM,
	      "a mapped memfd cannot shrink under the model");
	close(loose);
	close(small);
	close(s);
	CHECK(good_client(), "a good client still works");
}

/* IOVAs come from free space: a churning client never lands on another's region. */
static void iova_churn(void)
{
	struct kite_emu_msg r;
	int a = connect_emu(), b = connect_emu(), fa = memfd(4096, true);
	int fb = memfd(1ULL << 40, true), i, overlaps = 0, fresh = 0;
	uint64_t ia, first = 0;

	CHECK(request(a, KITE_EMU_DMA_MAP, 4096, 0, fa, &r) == 0, "client A maps 4 KiB");
	ia = r.a;
	for (i = 0; i < 2000; i++) {
		if (request(b, KITE_EMU_DMA_MAP, 1ULL << 40, 0, fb, &r))
			break;
		if (!first)
			first = r.a;
		fresh += r.a != first;
		overlaps += r.a <= ia && ia < r.a + (1ULL << 40);
		request(b, KITE_EMU_DMA_UNMAP, r.a, 0, -1, &r);
	}
	CHECK(i == 2000 && !overlaps && !fresh,
	      "2000 map/unmap cycles of 1 TiB: the same free IOVA each time, never over A's "
	      "region (%d cycles, %d overlaps, %d moved)", i, overlaps, fresh);
	close(fa);
	close(fb);
	close(a);
	close(b);
}

static void limits(void)
{
	struct kite_emu_msg r;
	int s = connect_emu(), fd = memfd(4096, true), n = 0, conns[8], i, refused = 0;

	int s2 = connect_emu(), big = memfd(1ULL << 40, true), tib = 0;

	while (n < 2000 && request(s, KITE_EMU_DMA_MAP, 4096, 0, fd, &r) == 0)
		n++;
	CHECK(n < 2000 && r.status == -ENOSPC, "one process's regions are limited (%d, then %d)",
	      n, r.status);
	CHECK(request(s2, KITE_EMU_DMA_MAP, 4096, 0, fd, &r) == -ENOSPC,
	      "a second connection of the same process gets no more");
	CHECK(good_client(), "another process can still map memory");
	close(s);
	close(s2);
	pid_t child = fork();	/* a fresh process: its own quota */

	if (child == 0) {
		int c = connect_emu();

		while (tib < 64 && request(c, KITE_EMU_DMA_MAP, 1ULL << 40, 0, big, &r) == 0)
			tib++;
		_exit(tib);
	}
	waitpid(child, &tib, 0);
	CHECK(WIFEXITED(tib) && WEXITSTATUS(tib) == 4,
	      "one process maps at most 4 TiB of the daemon's address space (%d)",
	      WEXITSTATUS(tib));
	CHECK(good_client(), "another process can still map memory");
	close(big);
	close(fd);
	for (i = 0; i < 8; i++) {
		conns[i] = connect_emu();
		refused += request(conns[i], KITE_EMU_HELLO, 0, 0, -1, &r) == -EPIPE;
	}
	/* closed connections may still count for a moment: at most 4, never all slots */
	CHECK(refused >= 4, "one process gets at most 4 connections, not all the slots "
	      "(%d of 8 refused)", refused);
	for (i = 0; i < 8; i++)
		close(conns[i]);
	CHECK(good_client(), "a good client still works");
}

/* A client that pipelines requests and never reads a reply. */
static void slow_reader(void)
{
	struct kite_emu_msg m = { .version = KITE_EMU_PROTO_VERSION, .op = KITE_EMU_HELLO };
	int s = connect_emu(), sent = 0, good = 0, i;

	while (sent < 100000 && send_raw(s, &m, sizeof(m), NULL, 0, MSG_DONTWAIT) == sizeof(m))
		sent++;
	/* the daemon works through the backlog meanwhile: it must never wait on us */
	for (i = 0; i < 5; i++) {
		good += good_client();
		usleep(200000);
	}
	CHECK(good == 5, "while a client sent %d requests and read no reply, good clients keep "
	      "working (%d of 5)", sent, good);
	close(s);
}

int main(int argc, char **argv)
{
	long fds0, rss0, fds1 = -1, rss1;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: hostile_client SOCKET DAEMON_PID\n");
		return 2;
	}
	sock_path = argv[1];
	daemon_pid = atoi(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	CHECK(good_client(), "a good client works (warms the daemon up)");
	fds0 = daemon_fds();
	rss0 = daemon_rss_kib();
	malformed();
	fd_games();
	memory_games();
	iova_churn();
	limits();
	slow_reader();
	/* the daemon closes what it dropped as it notices: give it a moment */
	for (i = 0; i < 100 && (fds1 = daemon_fds()) != fds0; i++)
		usleep(50000);
	rss1 = daemon_rss_kib();
	CHECK(fds1 == fds0, "the daemon's open fds are back to %ld (now %ld)", fds0, fds1);
	CHECK(rss1 - rss0 < 16384, "its RSS stayed flat: %ld KiB, then %ld KiB", rss0, rss1);
	CHECK(kill(daemon_pid, 0) == 0, "the daemon is alive");
	printf("hostile_client: %d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
