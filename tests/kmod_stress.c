// SPDX-License-Identifier: BSD-3-Clause
/*
 * kmod_stress: try to wedge kite.ko or make it leak, in the QEMU guest.
 *   kmod_stress DEV SEED SECONDS
 * First three sequences that deadlocked the old module (each in a worker
 * process under a watchdog), then SECONDS of random ioctl / mmap / munmap /
 * mremap / fork / close from several threads on shared and private files.
 * Oracles: no worker outlives its deadline (then "echo w > sysrq-trigger"
 * puts the blocked tasks in the kernel log and the check fails); a doorbell
 * page never works for a file that released its queue; after everything is
 * closed, pinned bytes, owned queues, the tenant and free hugepages are back
 * to where they started. Same SEED, same sequence of choices.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "kmod_util.h"

static const char *path, *devname;
static unsigned int seed;
static double seconds;

static long hugepages_free(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/*
 * Run fn in a worker process; fail if it is not done within limit seconds.
 * A hung worker is left where it is (it may be unkillable in D state) after
 * its kernel stacks went to the log.
 */
static void watchdog(const char *what, int (*fn)(void *), void *arg, double limit)
{
	double end = kite_mono_s() + limit;
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(fn(arg) & 0x7f);
	while (kite_mono_s() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (exit status 0x%x)",
			      what, st);
			return;
		}
		usleep(20000);
	}
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	if (fd >= 0 && write(fd, "w", 1) != 1)
		perror("sysrq");
	close(fd);
	kill(pid, SIGKILL);
	CHECK(0, "%s: HUNG for %.0f s (blocked tasks are in the kernel log)", what, limit);
}

/* ---- 1. DMA_UNMAP against mmap() on one file (mmap_lock vs the device lock) ---- */

struct two {
	int fd;
	uint8_t *mem;
	double until;
};

static void *unmap_loop(void *p)
{
	struct two *t = p;
	uint64_t iova;

	while (kite_mono_s() < t->until)
		if (dma_map(t->fd, t->mem, HUGE_2M, &iova) == 0)
			dma_unmap(t->fd, iova);
	return NULL;
}

static void *mmap_loop(void *p)
{
	struct two *t = p;
	volatile uint32_t *db;

	while (kite_mono_s() < t->until) {
		db = map_doorbell(t->fd, 0);
		if (db) {
			probe_write(db + 1, 0);	/* the fault takes the device lock too */
			munmap((void *)db, KITE_DB_PAGE_SIZE);
		}
	}
	return NULL;
}

static int unmap_vs_mmap(void *unused)
{
	struct two t = { .fd = open(path, O_RDWR), .mem = hugepage(NULL), .until = kite_mono_s() + 3 };
	pthread_t a, b;

	(void)unused;
	if (t.fd < 0 || !t.mem || queue_ioc(t.fd, KITE_IOC_QUEUE_CLAIM, 0))
		return 1;
	pthread_create(&a, NULL, unmap_loop, &t);
	pthread_create(&b, NULL, mmap_loop, &t);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	close(t.fd);
	return 0;
}

/* ---- 2. an ioctl argument whose page never arrives (userfaultfd) ----------- */

static void *stuck_ioctl(void *arg)
{
	int fd = open(path, O_RDWR);

	/* blocks in copy_from_user until the userfaultfd goes away */
	ioctl(fd, KITE_IOC_DMA_MAP, arg);
	close(fd);
	return NULL;
}

static int others_get_through(void *unused)
{
	int fd = open(path, O_RDWR);

	(void)unused;
	if (fd < 0 || pinned_by(fd) == ~0ULL || !map_bar0(fd, false))
		return 1;
	queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 9);
	close(fd);
	return 0;
}

static int uffd_argument(void *unused)
{
	long pagesz = sysconf(_SC_PAGESIZE);
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	pthread_t t;
	void *page;

	(void)unused;
	page = mmap(NULL, pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg = (struct uffdio_register){ .range = { .start = (uintptr_t)page, .len = pagesz },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("FAIL - userfaultfd: %s\n", strerror(errno));
		return 1;
	}
	pthread_create(&t, NULL, stuck_ioctl, page);
	/* wait for its fault to reach us: the ioctl is now stuck in copy_from_user */
	poll(&(struct pollfd){ .fd = uffd, .events = POLLIN }, 1, 60000);
	watchdog("another process's open, INFO, mmap and ioctl while an ioctl argument never "
		 "arrives", others_get_through, NULL, 60);
	close(uffd);	/* the stuck fault is resolved with a zero page */
	pthread_join(t, NULL);
	return fail;
}

/* ---- 3. a forked child's exit releases memory its parent pinned ------------- */

static int fork_exit(void *unused)
{
	uint8_t *mem = hugepage(NULL);
	int i, fd, fd2 = open(path, O_RDWR), st;
	pid_t child;

	(void)unused;
	for (i = 0; i < 40; i++) {
		fd = open(path, O_RDWR);
		if (dma_map(fd, mem, HUGE_2M, NULL))
			return 1;
		child = fork();
		if (child == 0) {
			usleep((unsigned int)(rand() % 3000));
			_exit(0);	/* drops the last reference: release unpins our memory */
		}
		close(fd);
		while (waitpid(child, &st, WNOHANG) == 0) {
			volatile void *p = map_doorbell(fd2, 1);	/* mmap_lock, then the device lock */

			if (p)
				munmap((void *)p, KITE_DB_PAGE_SIZE);
		}
	}
	close(fd2);
	return 0;
}

/* ---- 4. random operations -------------------------------------------------- */

struct worker {
	int fd;			/* the file this thread uses */
	bool private;		/* nobody else uses it: oracles hold exactly */
	unsigned int rnd;
	uint8_t *mem;
	uint64_t iova[4];
	unsigned int niova;
	void *maps[8];
	size_t maplen[8];
	unsigned int nmaps;
	int checks_failed;
};

static unsigned int pick(struct worker *w, unsigned int n)
{
	return (unsigned int)rand_r(&w->rnd) % n;
}

static void random_op(struct worker *w)
{
	static const size_t lens[] = { 0, 4096, 8192, 65536, 1 << 20, 2 << 20, 4 << 20, 3 };
	struct kite_ioc_filter f = { .size = sizeof(f), .type = 1 + pick(w, 3) };
	unsigned int q = pick(w, 18), i;
	uint64_t iova;
	void *p;

	switch (pick(w, 10)) {
	case 0:
		queue_ioc(w->fd, KITE_IOC_QUEUE_CLAIM, q);
		break;
	case 1:
		/* oracle: a released queue's doorbell stops working for this file */
		p = (void *)map_doorbell(w->fd, q);
		if (queue_ioc(w->fd, KITE_IOC_QUEUE_RELEASE, q) == 0 && p && w->private &&
		    probe_write((volatile uint32_t *)p + 1, 0)) {
			printf("FAIL - queue %u's doorbell still works after its release\n", q);
			w->checks_failed++;
		}
		if (p)
			munmap(p, KITE_DB_PAGE_SIZE);
		break;
	case 2:
		queue_ioc(w->fd, KITE_IOC_QUEUE_STOP, q);
		break;
	case 3:
		if (dma_map(w->fd, w->mem + (pick(w, 2) << 20), lens[pick(w, 8)], &iova) == 0 &&
		    w->niova < 4)
			w->iova[w->niova++] = iova;
		break;
	case 4:
		if (w->niova && dma_unmap(w->fd, w->iova[w->niova - 1]) == 0)
			w->niova--;
		else
			dma_unmap(w->fd, (uint64_t)rand_r(&w->rnd) << 12);
		break;
	case 5:
		if (w->niova)
			start_queue(w->fd, q, w->iova[0] + (pick(w, 4) ? 0 : 64 * pick(w, 64)));
		break;
	case 6:
		f.queue = q;
		f.key = pick(w, 4);
		f.index = pick(w, 70);
		ioc(w->fd, pick(w, 2) ? KITE_IOC_FILTER_ADD : KITE_IOC_FILTER_DEL, &f);
		break;
	case 7:
		if (w->nmaps < 8) {
			size_t len = pick(w, 3) ? 4096 : 4096 * (1 + pick(w, 20));
			off_t off = pick(w, 2) ? (off_t)KITE_MMAP_BAR0 : (off_t)KITE_MMAP_DB(q);

			p = mmap(NULL, len, PROT_READ | (pick(w, 2) ? PROT_WRITE : 0), MAP_SHARED,
				 w->fd, off);
			if (p != MAP_FAILED) {
				w->maps[w->nmaps] = p;
				w->maplen[w->nmaps++] = len;
			}
		}
		break;
	case 8:
		if (w->nmaps) {
			i = pick(w, w->nmaps);
			if (pick(w, 2)) {
				uint32_t v;

				probe_read(w->maps[i], &v);
			} else {
				/* growing is refused (VM_DONTEXPAND); moving is allowed */
				p = mremap(w->maps[i], w->maplen[i], w->maplen[i] * (1 + pick(w, 2)),
					   MREMAP_MAYMOVE);
				if (p != MAP_FAILED)
					w->maps[i] = p;
			}
		}
		break;
	case 9:
		if (w->nmaps) {
			i = --w->nmaps;
			munmap(w->maps[i], w->maplen[i]);
		}
		break;
	}
}

static void *random_thread(void *arg)
{
	struct worker *w = arg;
	double until = kite_mono_s() + seconds;
	pid_t child;

	while (kite_mono_s() < until) {
		random_op(w);
		if (pick(w, 200) == 0) {
			/* a child inherits our mappings and file, does a little, dies */
			child = fork();
			if (child == 0) {
				for (int i = 0; i < 20; i++)
					random_op(w);
				if (pick(w, 2))
					raise(SIGKILL);
				_exit(0);
			}
			waitpid(child, NULL, 0);
		}
		if (w->private && pick(w, 300) == 0) {
			close(w->fd);	/* close with whatever is still mapped and pinned */
			w->fd = open(path, O_RDWR);
			w->niova = 0;
		}
	}
	while (w->nmaps) {
		w->nmaps--;
		munmap(w->maps[w->nmaps], w->maplen[w->nmaps]);
	}
	return NULL;
}

static int random_ops(void *unused)
{
	int shared = open(path, O_RDWR);
	struct worker w[4] = {
		{ .fd = shared }, { .fd = dup(shared) }, { .fd = open(path, O_RDWR), .private = true },
		{ .fd = open(path, O_RDWR | (seed & 1 ? 0 : O_NONBLOCK)), .private = true },
	};
	pthread_t t[4];
	int i, failed = 0;

	(void)unused;
	for (i = 0; i < 4; i++) {
		w[i].rnd = seed * 4 + (unsigned int)i;
		/* hugepages (one segment without an IOMMU) and 4 KiB pages (not) */
		w[i].mem = i % 2 ? mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) :
			   hugepage(NULL);
		pthread_create(&t[i], NULL, random_thread, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		failed += w[i].checks_failed;
		close(w[i].fd);
	}
	return failed;
}

int main(int argc, char **argv)
{
	long hp;
	char pinned[64], owned[64];

	if (argc != 4) {
		fprintf(stderr, "usage: kmod_stress DEV SEED SECONDS\n");
		return 2;
	}
	path = argv[1];
	devname = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	seed = (unsigned int)strtoul(argv[2], NULL, 0);
	seconds = atof(argv[3]);
	srand(seed);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(pinned, sizeof(pinned), "%s", sysfs_attr(devname, "pinned_bytes"));
	snprintf(owned, sizeof(owned), "%s", sysfs_attr(devname, "queues_owned"));
	hp = hugepages_free();

	/* generous limits: a loaded host may be slow, only a hang may fail */
	watchdog("DMA_MAP/UNMAP in one thread, mmap+fault of a doorbell in another, 3 s",
		 unmap_vs_mmap, NULL, 120);
	watchdog("ioctl argument behind userfaultfd", uffd_argument, NULL, 180);
	watchdog("forked children's exit unpins while the parent mmaps", fork_exit, NULL, 120);
	watchdog("random ioctl/mmap/mremap/fork/close from 4 threads", random_ops, NULL,
		 seconds + 120);

	CHECK(!strcmp(sysfs_attr(devname, "pinned_bytes"), pinned),
	      "pinned bytes back to %s (now %s)", pinned, sysfs_attr(devname, "pinned_bytes"));
	CHECK(!strcmp(sysfs_attr(devname, "queues_owned"), owned),
	      "owned queues back to '%s' (now '%s')", owned, sysfs_attr(devname, "queues_owned"));
	CHECK(!strcmp(sysfs_attr(devname, "tenant_pid"), ""), "no tenant left");
	CHECK(hugepages_free() == hp, "free hugepages back to %ld (now %ld)", hp, hugepages_free());
	return report("kmod_stress");
}
