// SPDX-License-Identifier: BSD-3-Clause
/* Kite cards as libpci sees them (pciutils' example.c shape). */
#include <limits.h>
#include <pci/pci.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kite/hw.h"
#include "pci_list.h"
#include "sysfs.h"

void pci_driver_of(const char *addr, char *out, size_t len)
{
	if (kite_pci_link(addr, "driver", out, len))
		snprintf(out, len, "none");
}

static void link_of(struct pci_dev *p, char *out, size_t len)
{
	static const char *const gts[] = { "?", "2.5", "5", "8", "16", "32", "64" };
	struct pci_cap *cap = pci_find_cap(p, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	unsigned int sta, speed;

	if (!cap) {
		snprintf(out, len, "not PCIe");
		return;
	}
	sta = pci_read_word(p, cap->addr + PCI_EXP_LNKSTA);
	speed = sta & PCI_EXP_LNKSTA_SPEED;
	snprintf(out, len, "%s GT/s x%u", speed < 7 ? gts[speed] : "?",
		 (sta & PCI_EXP_LNKSTA_WIDTH) >> 4);
}

/* Kite's own IDs, or any device kite.ko has bound (new_id boards). */
int pci_list(FILE *out, char *first, size_t firstlen)
{
	struct pci_access *pacc = pci_alloc();
	struct pci_dev *p;
	int n = 0;

	pci_init(pacc);
	pci_scan_bus(pacc);
	for (p = pacc->devices; p; p = p->next) {
		char addr[32], drv[64], lnk[32];
		int bar;

		pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_BASES | PCI_FILL_SIZES | PCI_FILL_CAPS);
		snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%d", p->domain, p->bus, p->dev,
			 p->func);
		pci_driver_of(addr, drv, sizeof(drv));
		if (!(p->vendor_id == KITE_PCI_VENDOR_ID && p->device_id == KITE_PCI_DEVICE_ID) &&
		    strcmp(drv, "kite"))
			continue;
		if (n++ == 0 && first)
			snprintf(first, firstlen, "%s", addr);
		if (!out)
			continue;
		link_of(p, lnk, sizeof(lnk));
		fprintf(out, "%s  %04x:%04x  driver %-8s  link %s\n", addr, p->vendor_id,
			p->device_id, drv, lnk);
		for (bar = 0; bar < 6; bar++)
			if (p->size[bar])
				fprintf(out, "    BAR%d 0x%llx, %llu KiB\n", bar,
					(unsigned long long)(p->base_addr[bar] & PCI_ADDR_MEM_MASK),
					(unsigned long long)p->size[bar] >> 10);
	}
	pci_cleanup(pacc);
	return n;
}
