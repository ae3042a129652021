/* SPDX-License-Identifier: BSD-3-Clause */
/* pci_list.c: kite cards on the PCI bus (libpci), for kite-regs and kite-bind. */
#ifndef KITE_TOOLS_PCI_LIST_H
#define KITE_TOOLS_PCI_LIST_H

#include <stddef.h>
#include <stdio.h>

/* kite cards libpci sees; prints them if out != NULL; the first one's address in first */
int pci_list(FILE *out, char *first, size_t firstlen);
/* the name of the driver ADDR is bound to, or "none" */
void pci_driver_of(const char *addr, char *out, size_t len);

#endif
