// SPDX-License-Identifier: BSD-3-Clause
/* kite-emu: model life cycle, step mode and the polling loop. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_internal.h"

#define SCAN_EVERY	64	/* poll passes between control scans */
#define STEP_MAX_PASSES	4096

int kite_emu_create(const struct kite_emu_config *cfg, struct kite_emu **out,
		    char *msg, size_t msglen)
{
	struct kite_emu *e = calloc(1, sizeof(*e));
	unsigned int i;
	int err;

	if (!e) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	e->cfg = *cfg;
	e->listen_fd = -1;
	e->tap_fd = -1;
	e->wake_fd[0] = e->wake_fd[1] = -1;
	for (i = 0; i < EMU_MAX_CLIENTS; i++)
		e->client_fd[i] = -1;
	e->bar_len = KITE_BAR_CTRL_SIZE + KITE_BAR_DB_SIZE;
	if (cfg->bar_file)
		e->bar_fd = open(cfg->bar_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	else
		e->bar_fd = memfd_create("kite-emu-bars", MFD_CLOEXEC);
	if (e->bar_fd < 0 || ftruncate(e->bar_fd, (off_t)e->bar_len) < 0) {
		err = -errno;
		snprintf(msg, msglen, "cannot create the BAR memory %s: %s",
			 cfg->bar_file ? cfg->bar_file : "(memfd)", strerror(errno));
		goto fail;
	}
	e->bar = mmap(NULL, e->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, e->bar_fd, 0);
	if (e->bar == MAP_FAILED) {
		err = -errno;
		e->bar = NULL;
		snprintf(msg, msglen, "cannot map the BARs: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&e->lock, NULL);
	atomic_init(&e->ctl_wants, 0);
	if (cfg->guest_ram_file) {
		err = emu_dma_attach_guest(e, cfg->guest_ram_file, msg, msglen);
		if (err)
			goto fail_unmap;
	}
	for (i = 0; i < KITE_MAX_QUEUES; i++) {
		e->q[i].db = e->bar + KITE_BAR_CTRL_SIZE + i * KITE_DB_PAGE_SIZE;
		e->q[i].owner = EMU_NO_OWNER;
	}
	memset(e->filter_owner, EMU_NO_OWNER, sizeof(e->filter_owner));
	for (i = 0; i < KITE_MAX_PORTS; i++)
		e->port[i].carrier = true;
	if (cfg->tap_name) {
		err = emu_tap_open(e, cfg->tap_name, msg, msglen);
		if (err)
			goto fail_unmap;
	}
	emu_clock_calibrate(e);
	emu_reset(e);	/* power on */
	w32(e, KITE_R_GSTATUS, KITE_FPREP(KITE_GSTATUS_READY, 1));
	if (cfg->trace_file) {
		err = emu_trace_open(e, cfg->trace_file, msg, msglen);
		if (err)
			goto fail_unmap;
		emu_trace_settle(e);	/* the power-on values are nobody's writes */
	}
	*out = e;
	return 0;
fail_unmap:
	munmap(e->bar, e->bar_len);
fail:
	if (e->bar_fd >= 0)
		close(e->bar_fd);
	free(e);
	return err;
}

volatile uint8_t *kite_emu_bars(struct kite_emu *emu)
{
	return emu->bar;
}

/* Registers and doorbells (control.c), then the TAP cable's frames (datapath.c). */
static void model_scan(struct kite_emu *e)
{
	emu_scan(e);
	emu_poll_tap(e);
}

int kite_emu_bus_counts(struct kite_emu *emu, unsigned int qid, struct kite_emu_bus *out)
{
	if (qid >= KITE_MAX_QUEUES || !out)
		return -EINVAL;
	emu_ctl_lock(emu);
	*out = emu->q[qid].bus;
	emu_ctl_unlock(emu);
	return 0;
}

unsigned int kite_emu_step(struct kite_emu *emu)
{
	unsigned int pass, n, work = 0;

	pthread_mutex_lock(&emu->lock);
	model_scan(emu);
	for (pass = 0; pass < STEP_MAX_PASSES; pass++) {
		n = emu_poll_queues(emu);
		if (!n)
			break;
		work += n;
	}
	pthread_mutex_unlock(&emu->lock);
	return work;
}

void kite_emu_run(struct kite_emu *emu, volatile sig_atomic_t *stop)
{
	unsigned int iter = 0;

	pthread_mutex_lock(&emu->lock);
	model_scan(emu);
	while (!*stop) {
		/* Hand the model to the control server when it asks. */
		if (atomic_load_explicit(&emu->ctl_wants, memory_order_relaxed)) {
			pthread_mutex_unlock(&emu->lock);
			while (atomic_load(&emu->ctl_wants))
				sched_yield();
			pthread_mutex_lock(&emu->lock);
		}
		emu_poll_queues(emu);
		/* §3.4.1: a clock command within a pass (a latch brackets this tightly) */
		if (__builtin_expect(r32(emu, KITE_R_CLK_CMD) != emu->clk_ack, 0))
			emu_clock_cmd(emu);
		if (++iter % SCAN_EVERY == 0)
			model_scan(emu);
	}
	pthread_mutex_unlock(&emu->lock);
}

void kite_emu_destroy(struct kite_emu *emu)
{
	unsigned int i;

	if (!emu)
		return;
	emu_server_stop(emu);
	emu_tap_close(emu);	/* its statistics thread writes BAR0 */
	emu_trace_close(emu);
	for (i = 0; i < EMU_MAX_REGIONS; i++)
		if (emu->region[i].used)
			munmap(emu->region[i].va, emu->region[i].len);
	munmap(emu->bar, emu->bar_len);
	close(emu->bar_fd);
	free(emu->tap_buf);
	pthread_mutex_destroy(&emu->lock);
	free(emu);
}
