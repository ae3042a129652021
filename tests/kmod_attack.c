// SPDX-License-Identifier: BSD-3-Clause
/*
 * kmod_attack: what a member of group kite (or a careless one) tries against
 * kite.ko, run in the QEMU guest by tests/guest-init.sh. Each command is one
 * rule of README's "what a process may do"; each check fails on a kite.ko
 * that breaks the rule.
 *   isolation DEV RAMFS_FILE  one tenant per card; doorbells revoked on release
 *                             (also in a forked child); filters die with their
 *                             queue; duplicate keys; read-only opens; only
 *                             anonymous/shmem/hugetlb memory; DMA_MAP's error
 *                             path undoes exactly its own mapping
 *   hold DEV GO_FILE          map BAR0 and a doorbell, print "ready", wait for
 *                             GO_FILE, then touch both: exit 0 if both SIGBUS
 *                             (the card was unbound meanwhile)
 *   stuck DEV reset|wedge     a queue the card will not stop (kite-emu
 *                             --fault-hooks): kite.ko resets the card, or if
 *                             that fails too, turns bus mastering off and leaks
 *                             the memory instead of freeing it under the card
 *   iommu DEV translating|passthrough   DMA_MAP allowed behind a translating
 *                             IOMMU, refused under passthrough; never tainted
 *   lockdown DEV              under kernel lockdown, no writable BAR0 for root
 *   default DEV               a port's default queue dies with its queue (root:
 *                             PORT_SET needs CAP_NET_ADMIN), also when killed
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmod_util.h"

static const char *path;	/* /dev/kiteN */
static const char *devname;	/* kiteN */

static int open_dev(int flags)
{
	return open(path, flags | O_CLOEXEC);
}

/* ---- one tenant per card -------------------------------------------------- */

static int other_process_is_refused(void *tenant_pid)
{
	int fd = open_dev(O_RDWR);
	uint8_t *mem = hugepage(NULL);
	char want[32];

	snprintf(want, sizeof(want), "%d", *(int *)tenant_pid);
	CHECK(fd >= 0, "a second process opens %s", path);
	CHECK(ioc(fd, KITE_IOC_INFO, &(struct kite_ioc_info){ .size = sizeof(struct kite_ioc_info) }) == 0,
	      "it may read INFO");
	CHECK(map_bar0(fd, false) != NULL, "it may map BAR0 read-only");
	CHECK(dma_map(fd, mem, HUGE_2M, NULL) == -EBUSY, "it cannot pin memory: -EBUSY");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 2) == -EBUSY,
	      "it cannot claim a free queue: -EBUSY");
	CHECK(map_doorbell(fd, 2) == NULL && errno == EACCES, "it cannot map a doorbell");
	CHECK(!strcmp(sysfs_attr(devname, "tenant_pid"), want),
	      "sysfs tenant_pid names the tenant (%s, want %s)",
	      sysfs_attr(devname, "tenant_pid"), want);
	return fail;
}

static int other_process_may(void *unused)
{
	int fd = open_dev(O_RDWR);
	uint8_t *mem = hugepage(NULL);

	(void)unused;
	CHECK(dma_map(fd, mem, HUGE_2M, NULL) == 0, "once the tenant let go, another process pins");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 2) == 0, "and claims a queue");
	return fail;
}

static void tenancy(void)
{
	int fd = open_dev(O_RDWR), pid = getpid();
	uint8_t *mem = hugepage(NULL);
	uint64_t iova;

	CHECK(mem != NULL, "a hugepage");
	CHECK(dma_map(fd, mem, HUGE_2M, &iova) == 0, "the first file pins memory: the tenant");
	CHECK(in_child(other_process_is_refused, &pid) == 0, "a second process is held off");
	CHECK(dma_unmap(fd, iova) == 0, "the tenant unmaps everything");
	CHECK(!strcmp(sysfs_attr(devname, "tenant_pid"), ""), "no tenant any more");
	CHECK(in_child(other_process_may, NULL) == 0, "another process takes the card");
	CHECK(!strcmp(sysfs_attr(devname, "tenant_pid"), ""),
	      "its exit freed the card again");
	close(fd);
}

/* ---- doorbell pages are revoked when their queue is released ----------- */

static int doorbell_gone(void *db)
{
	CHECK(!probe_write((volatile uint32_t *)db + 1, 1),
	      "a forked child's inherited doorbell mapping faults after the release");
	return fail;
}

static int claim_queue_3(void *unused)
{
	int fd = open_dev(O_RDWR);
	uint8_t *mem = hugepage(NULL);
	uint64_t iova;

	(void)unused;
	CHECK(dma_map(fd, mem, HUGE_2M, &iova) == 0 && queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 3) == 0 &&
	      start_queue(fd, 3, iova) == 0, "the next process claims and starts queue 3");
	pause();	/* keep the queue until killed */
	return fail;
}

static void doorbells(void)
{
	int fd = open_dev(O_RDWR), st, go[2];
	volatile uint32_t *db;
	pid_t b, c;
	char x;

	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 3) == 0, "claim queue 3");
	db = map_doorbell(fd, 3);
	CHECK(db != NULL, "map its doorbell page");
	if (!db)
		return;
	CHECK(probe_write(db + 1, 0), "the owner writes its doorbell");
	if (pipe(go))
		return;
	c = fork();
	if (c == 0) {
		/* the mapping is inherited; wait until the parent released the queue */
		close(go[1]);
		if (read(go[0], &x, 1) != 1)
			_exit(1);
		_exit(doorbell_gone((void *)db) & 0x7f);
	}
	close(go[0]);
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_RELEASE, 3) == 0, "release queue 3");
	CHECK(write(go[1], "x", 1) == 1, "tell the child");
	close(go[1]);
	CHECK(!probe_write(db + 1, 0), "after the release the old doorbell mapping faults (SIGBUS)");
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the forked child's copy is revoked too");
	b = fork();
	if (b == 0)
		_exit(claim_queue_3(NULL) & 0x7f);
	for (int i = 0; i < 3000 && !strstr(sysfs_attr(devname, "queues_owned"), "3"); i++)
		usleep(10000);
	CHECK(strstr(sysfs_attr(devname, "queues_owned"), "3") != NULL,
	      "another process owns queue 3 now");
	CHECK(!probe_write(db + 1, 0), "the old owner still cannot ring it");
	CHECK(map_doorbell(fd, 3) == NULL && errno == EACCES, "nor map it again");
	kill(b, SIGKILL);
	waitpid(b, &st, 0);
	close(fd);
}

/* ---- filters go with their queue; one owner per key ------------------------ */

static void filters(void)
{
	struct kite_ioc_filter f = { .size = sizeof(f), .type = KITE_F_CTRL_TYPE_UDP_DST,
				     .queue = 0, .key = 5000 };
	int fd = open_dev(O_RDWR);
	volatile uint32_t *bar0 = map_bar0(fd, false);
	unsigned int first;

	CHECK(bar0 != NULL, "BAR0");
	if (!bar0)
		return;
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 0) == 0, "claim queue 0");
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == 0, "steer UDP 5000 to it");
	first = f.index;
	CHECK(bar0[KITE_R_AT(F_CTRL, first) / 4] & KITE_FMASK(KITE_F_CTRL_VALID),
	      "the card has the entry");
	f.queue = 0;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EEXIST, "the same key twice: -EEXIST");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 1) == 0, "claim queue 1");
	f.queue = 1;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EEXIST,
	      "the same key to another queue: -EEXIST (no silent steal)");
	f.flags = KITE_IOC_FILTER_COPY;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == 0, "a copy of the steered key to queue 1");
	CHECK((bar0[KITE_R_AT(F_CTRL, f.index) / 4] & KITE_FMASK(KITE_F_CTRL_COPY)),
	      "the card has it as a copy entry");
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EEXIST, "a second copy of it: -EEXIST");
	f.type = KITE_F_CTRL_TYPE_ALL;
	f.key = 0;
	f.flags = 0;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EINVAL, "ALL that is not a copy: -EINVAL");
	f.flags = 2;
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EINVAL, "unknown filter flag: -EINVAL");
	f = (struct kite_ioc_filter){ .size = sizeof(f), .type = KITE_F_CTRL_TYPE_UDP_DST,
				      .queue = 1, .key = 5000 };
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_RELEASE, 0) == 0, "release queue 0");
	CHECK(!(bar0[KITE_R_AT(F_CTRL, first) / 4] & KITE_FMASK(KITE_F_CTRL_VALID)),
	      "its filter is gone from the card");
	f.index = first;
	CHECK(ioc(fd, KITE_IOC_FILTER_DEL, &f) == -EPERM, "and from the file");
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == 0, "so UDP 5000 can be steered again");
	munmap((void *)bar0, KITE_BAR_CTRL_SIZE);	/* a mapping keeps the file (and the card) */
	close(fd);
}

/* ---- a read-only open reads, nothing else ----------------------------------- */

static void read_only(void)
{
	struct kite_ioc_filter f = { .size = sizeof(f), .type = KITE_F_CTRL_TYPE_UDP_DST };
	struct kite_ioc_info in = { .size = sizeof(in) };
	int fd = open_dev(O_RDONLY);
	uint8_t *mem = hugepage(NULL);
	volatile uint32_t *bar0 = map_bar0(fd, false);
	uint32_t v = 0;

	CHECK(ioc(fd, KITE_IOC_INFO, &in) == 0, "O_RDONLY: INFO works");
	CHECK(bar0 != NULL, "O_RDONLY: BAR0 read-only mapping works");
	/* a split mapping: its second part still shows BAR0 from its own offset */
	CHECK(bar0 && munmap((void *)bar0, 4096) == 0 &&
	      probe_read(bar0 + KITE_R_AT(Q_CTRL, 0) / 4, &v),
	      "the rest of a BAR0 mapping whose first page was unmapped still reads");
	if (bar0)
		munmap((void *)(bar0 + 1024), KITE_BAR_CTRL_SIZE - 4096);
	CHECK(dma_map(fd, mem, HUGE_2M, NULL) == -EBADF, "O_RDONLY: DMA_MAP -EBADF");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 0) == -EBADF, "O_RDONLY: QUEUE_CLAIM -EBADF");
	CHECK(ioc(fd, KITE_IOC_FILTER_ADD, &f) == -EBADF, "O_RDONLY: FILTER_ADD -EBADF");
	close(fd);
}

/* ---- what may be pinned, and DMA_MAP's own error path ---------------------- */

static void memory_kinds(const char *ramfs_file)
{
	int fd = open_dev(O_RDWR), ffd = open(ramfs_file, O_RDWR), mfd;
	struct kite_ioc_dma_map *m;
	uint8_t *mem, *alias, *file;
	uint64_t iova, iova2;
	void *anon;

	file = ffd < 0 || ftruncate(ffd, 65536) ? MAP_FAILED :
		mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	CHECK(file != MAP_FAILED, "map a file on ramfs (%s)", ramfs_file);
	CHECK(file == MAP_FAILED || dma_map(fd, file, 65536, NULL) == -EOPNOTSUPP,
	      "page cache of a real file cannot be pinned: -EOPNOTSUPP");
	anon = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		    -1, 0);
	CHECK(dma_map(fd, anon, 4096, &iova) == 0 && dma_unmap(fd, iova) == 0,
	      "anonymous memory can");
	CHECK(pinned_by(fd) == 0, "nothing pinned");

	/* Two views of one hugepage: without an IOMMU both map to the same IOVA. */
	mem = hugepage(&mfd);
	alias = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
	CHECK(mem && alias != MAP_FAILED, "one hugepage mapped twice");
	CHECK(dma_map(fd, mem, HUGE_2M, &iova) == 0, "DMA_MAP the first view");
	/* the answer cannot be written back: the request lies in a read-only page */
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*m = (struct kite_ioc_dma_map){ .size = sizeof(*m), .vaddr = (uintptr_t)alias,
					.length = HUGE_2M };
	mprotect(m, 4096, PROT_READ);
	CHECK(ioc(fd, KITE_IOC_DMA_MAP, m) == -EFAULT, "DMA_MAP whose answer cannot be written");
	CHECK(pinned_by(fd) == HUGE_2M, "undone: only one mapping is pinned");
	/* the survivor must be the first view: the undo took exactly the new one */
	CHECK(dma_map(fd, mem, HUGE_2M, NULL) == -EEXIST, "the first view is still mapped");
	CHECK(dma_map(fd, alias, 4096, &iova2) == 0 && dma_unmap(fd, iova2) == 0,
	      "the second view is not");
	CHECK(dma_unmap(fd, iova) == 0, "the first mapping unmaps");
	CHECK(dma_unmap(fd, iova) == -ENOENT, "and nothing else was left behind at its IOVA");
	CHECK(pinned_by(fd) == 0, "nothing pinned at the end");
	close(fd);
}

static int isolation(const char *ramfs_file)
{
	CHECK(become_member() == 0, "drop to uid 1000, a member of group kite");
	tenancy();
	doorbells();
	filters();
	read_only();
	memory_kinds(ramfs_file);
	return report("kmod_attack isolation");
}

/* ---- mappings after unbind ------------------------------------------------- */

static int hold(const char *go)
{
	int fd = open_dev(O_RDWR);
	volatile uint32_t *bar0 = map_bar0(fd, false), *db;
	uint32_t v = 0;

	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 6) == 0, "claim queue 6");
	db = map_doorbell(fd, 6);
	CHECK(bar0 && db && probe_read(bar0, &v) && v == KITE_MAGIC && probe_write(db + 1, 0),
	      "BAR0 and the doorbell work while bound");
	printf("ready\n");
	fflush(stdout);
	while (access(go, F_OK))
		usleep(10000);
	CHECK(bar0 && !probe_read(bar0, &v), "after unbind BAR0 faults (read 0x%08x)", v);
	CHECK(db && !probe_write(db + 1, 0), "after unbind the doorbell faults");
	CHECK(ioc(fd, KITE_IOC_INFO, &(struct kite_ioc_info){ .size = sizeof(struct kite_ioc_info) }) == 0 ||
	      errno == ENODEV, "INFO still answers or says ENODEV");
	CHECK(queue_ioc(fd, KITE_IOC_QUEUE_STOP, 6) == -ENODEV, "other ioctls: -ENODEV");
	close(fd);
	return report("kmod_attack hold");
}

/* ---- what the IOMMU protects ---------------------------------------------- */

static long tainted(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	long t = -1;

	if (f && fscanf(f, "%ld", &t) != 1)
		t = -1;
	if (f)
		fclose(f);
	return t;
}

/* translating: a DMA-API domain, so DMA_MAP works untainted; passthrough: refused. */
static int iommu(const char *mode)
{
	bool translating = !strcmp(mode, "translating");
	struct kite_ioc_info in = { .size = sizeof(in) };
	int fd = open_dev(O_RDWR);
	uint8_t *mem = hugepage(NULL);
	long taint = tainted();
	uint64_t iova;

	CHECK(ioc(fd, KITE_IOC_INFO, &in) == 0, "INFO");
	CHECK(!(in.flags & KITE_INFO_F_NO_IOMMU) == translating,
	      "INFO says %s (flags 0x%x)", translating ? "an IOMMU" : "no IOMMU", in.flags);
	if (translating) {
		CHECK(dma_map(fd, mem, HUGE_2M, &iova) == 0, "DMA_MAP allowed behind the IOMMU");
		CHECK(dma_unmap(fd, iova) == 0, "DMA_UNMAP");
	} else {
		CHECK(dma_map(fd, mem, HUGE_2M, &iova) == -EPERM,
		      "passthrough is no protection: DMA_MAP refused without allow_unsafe_noiommu");
	}
	CHECK(tainted() == taint, "the kernel is not tainted (%ld, was %ld)", tainted(), taint);
	close(fd);
	return report("kmod_attack iommu");
}

/*
 * Under kernel lockdown not even root gets a writable BAR0 (it means any DMA),
 * also through a file opened before lockdown came.
 */
static int lockdown(void)
{
	struct kite_ioc_info in = { .size = sizeof(in) };
	int before = open_dev(O_RDWR), fd, lk = open("/sys/kernel/security/lockdown", O_WRONLY);

	CHECK(map_bar0(before, true) != NULL, "root maps BAR0 writable before lockdown");
	CHECK(lk >= 0 && write(lk, "integrity", 9) == 9, "lockdown=integrity");
	close(lk);
	fd = open_dev(O_RDWR);
	CHECK(ioc(fd, KITE_IOC_INFO, &in) == 0 && !(in.flags & KITE_INFO_F_BAR0_WRITABLE),
	      "INFO: BAR0 not writable (flags 0x%x)", in.flags);
	CHECK(map_bar0(fd, true) == NULL && errno == EPERM, "writable BAR0 mapping refused");
	CHECK(map_bar0(before, true) == NULL && errno == EPERM,
	      "refused too through a file opened before lockdown");
	CHECK(map_bar0(fd, false) != NULL, "read-only still works");
	close(fd);
	close(before);
	return report("kmod_attack lockdown");
}

/* ---- a port's default queue dies with its queue ----------------------------- */

static int take_default(void *killed)
{
	struct kite_ioc_port p = { .size = sizeof(p), .port = 0, .default_queue = 8 };
	int fd = open_dev(O_RDWR);

	if (queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 8) || ioc(fd, KITE_IOC_PORT_SET, &p))
		return 1;
	if (killed)
		raise(SIGKILL);
	return queue_ioc(fd, KITE_IOC_QUEUE_RELEASE, 8) ? 1 : 0;
}

static int port_default(void)
{
	int fd = open_dev(O_RDONLY);
	volatile uint32_t *bar0 = map_bar0(fd, false);
	const uint32_t dflt = KITE_FMASK(KITE_P_CTRL_DEFAULT_EN) |
			      KITE_FMASK(KITE_P_CTRL_DEFAULT_QUEUE);

	CHECK(bar0 != NULL, "BAR0");
	if (!bar0)
		return report("kmod_attack default");
	CHECK(in_child(take_default, NULL) == 0 && !(bar0[KITE_R_AT(P_CTRL, 0) / 4] & dflt),
	      "a released queue is no port's default any more (P_CTRL 0x%x)",
	      bar0[KITE_R_AT(P_CTRL, 0) / 4]);
	CHECK(in_child(take_default, (void *)1) == 100 + SIGKILL &&
	      !(bar0[KITE_R_AT(P_CTRL, 0) / 4] & dflt),
	      "nor a killed process's queue (P_CTRL 0x%x)", bar0[KITE_R_AT(P_CTRL, 0) / 4]);
	close(fd);
	return report("kmod_attack default");
}

/* ---- a queue the card will not stop --------------------------------------- */

static int run_queue(void *unused)
{
	int fd = open_dev(O_RDWR);
	uint8_t *mem = hugepage(NULL);
	uint64_t iova;

	(void)unused;
	if (dma_map(fd, mem, HUGE_2M, &iova) || queue_ioc(fd, KITE_IOC_QUEUE_CLAIM, 7) ||
	    start_queue(fd, 7, iova))
		return 1;
	printf("running\n");
	fflush(stdout);
	pause();
	return 0;
}

static int stuck(const char *mode)
{
	bool wedge = !strcmp(mode, "wedge");
	int fd = open_dev(O_RDWR), st;
	volatile uint32_t *bar0 = map_bar0(fd, true);
	long base = atol(sysfs_attr(devname, "pinned_bytes"));
	uint8_t *mem = hugepage(NULL);
	pid_t app;

	CHECK(bar0 != NULL, "root maps BAR0 writable");
	if (!bar0)
		return report("kmod_attack stuck");
	app = fork();
	if (app == 0)
		_exit(run_queue(NULL));
	for (int i = 0; i < 3000 && !(bar0[KITE_R_AT(Q_STATUS, 7) / 4] & 1); i++)
		usleep(10000);
	CHECK(bar0[KITE_R_AT(Q_STATUS, 7) / 4] & 1, "an app runs queue 7");
	bar0[KITE_R_SCRATCH / 4] = wedge ? 0xfa170002 : 0xfa170001;	/* hw-spec §8 test hooks */
	kill(app, SIGKILL);
	CHECK(waitpid(app, &st, 0) == app, "the app is killed; kite.ko cleans up after it");
	if (!wedge) {
		CHECK(atol(sysfs_attr(devname, "pinned_bytes")) == base,
		      "the card reset stopped the queue, so the memory was unpinned (%s, want %ld)",
		      sysfs_attr(devname, "pinned_bytes"), base);
		CHECK(!(bar0[KITE_R_AT(Q_STATUS, 7) / 4] & 1), "queue 7 is stopped");
		CHECK(dma_map(fd, mem, HUGE_2M, NULL) == 0, "the card is usable again");
	} else {
		CHECK(atol(sysfs_attr(devname, "pinned_bytes")) == base + (long)HUGE_2M,
		      "the card would not stop or reset: the memory stays pinned (%s bytes)",
		      sysfs_attr(devname, "pinned_bytes"));
		CHECK(dma_map(fd, mem, HUGE_2M, NULL) == -EIO, "DMA_MAP refused: -EIO");
		bar0[KITE_R_SCRATCH / 4] = 0;	/* the card recovers; a rebind resets it */
	}
	close(fd);
	return report("kmod_attack stuck");
}

int main(int argc, char **argv)
{
	if (argc >= 3) {
		path = argv[2];
		devname = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		setvbuf(stdout, NULL, _IOLBF, 0);
		if (argc == 4 && !strcmp(argv[1], "isolation"))
			return isolation(argv[3]);
		if (argc == 4 && !strcmp(argv[1], "hold"))
			return hold(argv[3]);
		if (argc == 4 && !strcmp(argv[1], "stuck"))
			return stuck(argv[3]);
		if (argc == 4 && !strcmp(argv[1], "iommu"))
			return iommu(argv[3]);
		if (argc == 3 && !strcmp(argv[1], "lockdown"))
			return lockdown();
		if (argc == 3 && !strcmp(argv[1], "default"))
			return port_default();
	}
	fprintf(stderr, "usage: kmod_attack isolation DEV RAMFS_FILE | hold DEV GO_FILE | "
		"stuck DEV reset|wedge | iommu DEV translating|passthrough | lockdown DEV | "
		"default DEV\n");
	return 2;
}
