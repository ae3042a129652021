/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a board keeps the register and doorbell windows, shared by kite.ko
 * and uio_kite.ko (kernel only: `make install` leaves it out). A real kite
 * has them in BAR0 and BAR2; kite-emu behind QEMU's ivshmem has both in the
 * shared BAR2, and is bound with new_id, e.g.
 *   echo "1af4 1110 ffffffff ffffffff 0 0 1" > /sys/bus/pci/drivers/kite/new_id
 */
#ifndef KITE_BOARD_H
#define KITE_BOARD_H

#include <linux/pci.h>
#include <kite/hw.h>
#include "kite_hw.h"

struct kite_board {
	int regs_bar, db_bar;
	resource_size_t regs_off, db_off;
	unsigned int slack;	/* kite_hw waits this many times the spec's times */
};

enum { KITE_BOARD_NATIVE, KITE_BOARD_SHMEM };

static const struct kite_board kite_boards[] = {
	[KITE_BOARD_NATIVE] = { .regs_bar = 0, .db_bar = 2, .slack = 1 },
	/* the software model, on CPUs it shares with its clients */
	[KITE_BOARD_SHMEM] = { .regs_bar = 2, .db_bar = 2, .db_off = KITE_BAR_CTRL_SIZE,
			       .slack = KITE_HW_SLACK_MODEL },
};

#define KITE_PCI_DEVICE_ID_SHMEM 0x4b0e	/* placeholder: layout entry for new_id */

/* Both kite.ko and uio_kite.ko bind these (each names it in MODULE_DEVICE_TABLE). */
static const struct pci_device_id kite_pci_ids[] = {
	{ PCI_DEVICE(KITE_PCI_VENDOR_ID, KITE_PCI_DEVICE_ID), .driver_data = KITE_BOARD_NATIVE },
	{ PCI_DEVICE(KITE_PCI_VENDOR_ID, KITE_PCI_DEVICE_ID_SHMEM),
	  .driver_data = KITE_BOARD_SHMEM },
	{ }
};

/* Both windows must fit their BARs. */
static inline bool kite_board_fits(struct pci_dev *pdev, const struct kite_board *b)
{
	return pci_resource_len(pdev, b->regs_bar) >= b->regs_off + KITE_BAR_CTRL_SIZE &&
	       pci_resource_len(pdev, b->db_bar) >= b->db_off + KITE_BAR_DB_SIZE;
}

#endif /* KITE_BOARD_H */
