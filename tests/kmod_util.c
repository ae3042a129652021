// SPDX-License-Identifier: BSD-3-Clause
/* Helpers for the kite.ko test programs in the QEMU guest (kmod_util.h). */
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "kmod_util.h"
#include "sysfs.h"

int pass, fail;

int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int queue_ioc(int fd, unsigned long cmd, unsigned int qid)
{
	struct kite_ioc_queue q = { .size = sizeof(q), .qid = qid };

	return ioc(fd, cmd, &q);
}

int dma_map(int fd, void *va, uint64_t len, uint64_t *iova)
{
	struct kite_ioc_dma_map m = { .size = sizeof(m), .vaddr = (uintptr_t)va, .length = len };
	int err = ioc(fd, KITE_IOC_DMA_MAP, &m);

	if (iova)
		*iova = m.iova;
	return err;
}

int dma_unmap(int fd, uint64_t iova)
{
	struct kite_ioc_dma_unmap um = { .size = sizeof(um), .iova = iova };

	return ioc(fd, KITE_IOC_DMA_UNMAP, &um);
}

uint64_t pinned_by(int fd)
{
	struct kite_ioc_info in = { .size = sizeof(in) };

	return ioc(fd, KITE_IOC_INFO, &in) ? ~0ULL : in.pinned_bytes;
}

void *hugepage(int *memfd)
{
	int mfd = memfd_create("kmod-test", MFD_HUGETLB | MFD_HUGE_2MB);
	void *p;

	if (mfd < 0 || ftruncate(mfd, HUGE_2M) < 0)
		return NULL;
	p = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
	if (memfd)
		*memfd = mfd;
	else
		close(mfd);
	return p == MAP_FAILED ? NULL : p;
}

int start_queue(int fd, unsigned int qid, uint64_t iova)
{
	struct kite_ioc_queue_start qs = {
		.size = sizeof(qs), .qid = qid, .tx_log2 = 6, .rx_log2 = 6, .rx_buf_size = 2048,
		.tx_ring = iova, .tx_cq = iova + 0x1000, .rx_ring = iova + 0x2000,
		.rx_cq = iova + 0x3000, .pio_cq = iova + 0x4000,
	};

	return ioc(fd, KITE_IOC_QUEUE_START, &qs);
}

volatile uint32_t *map_bar0(int fd, bool writable)
{
	void *p = mmap(NULL, KITE_BAR_CTRL_SIZE, PROT_READ | (writable ? PROT_WRITE : 0),
		       MAP_SHARED, fd, KITE_MMAP_BAR0);

	return p == MAP_FAILED ? NULL : p;
}

volatile uint32_t *map_doorbell(int fd, unsigned int qid)
{
	void *p = mmap(NULL, KITE_DB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)KITE_MMAP_DB(qid));

	return p == MAP_FAILED ? NULL : p;
}

static _Thread_local sigjmp_buf *probe_env;

/* A fault outside a probe is a real one: the default action, as if we were not here. */
static void on_fault(int sig)
{
	if (!probe_env) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(*probe_env, 1);
}

/* Installed once for the process: threads probing at once must not swap handlers. */
static void install_fault_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

static bool probe(volatile uint32_t *p, uint32_t *v, bool write)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	sigjmp_buf env;
	volatile bool ok = false;	/* set after sigsetjmp: must survive the longjmp */

	pthread_once(&once, install_fault_handlers);
	probe_env = &env;
	if (!sigsetjmp(env, 1)) {
		if (write)
			*p = *v;
		else
			*v = *p;
		ok = true;
	}
	probe_env = NULL;
	return ok;
}

bool probe_write(volatile uint32_t *p, uint32_t v)
{
	return probe(p, &v, true);
}

bool probe_read(volatile uint32_t *p, uint32_t *v)
{
	return probe(p, v, false);
}

const char *sysfs_attr(const char *dev, const char *attr)
{
	static char buf[256];
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/misc/%s/%s", dev, attr);
	kite_read_line(path, buf, sizeof(buf));
	return buf;
}

int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		fflush(stdout);
		_exit(fn(arg) & 0x7f);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

int become_member(void)
{
	gid_t g = 1000;

	return setgroups(1, &g) || setgid(1000) || setuid(1000) ? -1 : 0;
}

int report(const char *what)
{
	printf("%s: %d passed, %d failed\n", what, pass, fail);
	return fail ? 1 : 0;
}
