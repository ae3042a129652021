/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * The register map as data, for userspace: names, access, reset values, field
 * decodes. Built from regs.def, so kite-regs, kite-emu's reset logic and the
 * generated tables in docs/hw-spec.md can never disagree with hw.h.
 */
#ifndef KITE_REGTAB_H
#define KITE_REGTAB_H

#include <stddef.h>
#include <stdint.h>
#include "hw.h"

enum kite_access { KITE_ACC_RO, KITE_ACC_RW, KITE_ACC_SC };
enum kite_group {
	KITE_GRP_IDENT, KITE_GRP_GLOBAL, KITE_GRP_CLOCK, KITE_GRP_FAULT,
	KITE_GRP_PORT, KITE_GRP_QUEUE, KITE_GRP_FILTER, KITE_NGROUPS
};

enum kite_reg_index {
#define KITE_REG(n, off, bits, acc, rst, cnt, stride, grp, desc) KITE_RI_##n,
#define KITE_FIELD(r, n, lsb, w, acc, desc)
#define KITE_ENUM(r, f, n, v)
#include "regs.def"
#undef KITE_REG
#undef KITE_FIELD
#undef KITE_ENUM
	KITE_NREGS
};

enum kite_field_index {
#define KITE_REG(n, off, bits, acc, rst, cnt, stride, grp, desc)
#define KITE_FIELD(r, n, lsb, w, acc, desc) KITE_FI_##r##_##n,
#define KITE_ENUM(r, f, n, v)
#include "regs.def"
#undef KITE_REG
#undef KITE_FIELD
#undef KITE_ENUM
	KITE_NFIELDS
};

struct kite_reg_info {
	const char *name;
	const char *desc;
	uint64_t reset;
	uint32_t offset;	/* of instance 0 */
	uint16_t count;		/* instances */
	uint16_t stride;
	uint8_t bits;		/* 32 or 64 */
	uint8_t access;		/* enum kite_access */
	uint8_t group;		/* enum kite_group */
};

struct kite_field_info {
	const char *name;
	const char *desc;
	uint16_t reg;		/* enum kite_reg_index */
	uint8_t lsb;
	uint8_t width;
	uint8_t access;
};

struct kite_enum_info {
	const char *name;
	uint16_t field;		/* enum kite_field_index */
	uint32_t value;
};

static const struct kite_reg_info kite_regs[KITE_NREGS] __attribute__((unused)) = {
#define KITE_REG(n, off, bits_, acc, rst, cnt, stride_, grp, desc_) \
	{ .name = #n, .desc = desc_, .reset = (rst), .offset = (off), .count = (cnt), \
	  .stride = (stride_), .bits = (bits_), .access = KITE_ACC_##acc, \
	  .group = KITE_GRP_##grp },
#define KITE_FIELD(r, n, lsb, w, acc, desc)
#define KITE_ENUM(r, f, n, v)
#include "regs.def"
#undef KITE_REG
#undef KITE_FIELD
#undef KITE_ENUM
};

static const struct kite_field_info kite_fields[KITE_NFIELDS] __attribute__((unused)) = {
#define KITE_REG(n, off, bits, acc, rst, cnt, stride, grp, desc)
#define KITE_FIELD(r, n, lsb_, w, acc, desc_) \
	{ .name = #n, .desc = desc_, .reg = KITE_RI_##r, .lsb = (lsb_), .width = (w), \
	  .access = KITE_ACC_##acc },
#define KITE_ENUM(r, f, n, v)
#include "regs.def"
#undef KITE_REG
#undef KITE_FIELD
#undef KITE_ENUM
};

static const struct kite_enum_info kite_enums[] __attribute__((unused)) = {
#define KITE_REG(n, off, bits, acc, rst, cnt, stride, grp, desc)
#define KITE_FIELD(r, n, lsb, w, acc, desc)
#define KITE_ENUM(r, f, n, v) { .name = #n, .field = KITE_FI_##r##_##f, .value = (v) },
#include "regs.def"
#undef KITE_REG
#undef KITE_FIELD
#undef KITE_ENUM
};
#define KITE_NENUMS (sizeof(kite_enums) / sizeof(kite_enums[0]))

/* The name of value v of field f (KITE_FI_*), from the table; NULL if it has none. */
static inline const char *kite_regtab_enum_name(unsigned int f, unsigned int v)
{
	size_t i;

	for (i = 0; i < KITE_NENUMS; i++)
		if (kite_enums[i].field == f && kite_enums[i].value == v)
			return kite_enums[i].name;
	return NULL;
}

static const char *const kite_group_names[KITE_NGROUPS] __attribute__((unused)) = {
	"Identity", "Global control", "Clock", "DMA fault log", "Ports", "Queues",
	"Flow filters",
};
static const char *const kite_access_names[] __attribute__((unused)) = { "RO", "RW", "SC" };

#endif /* KITE_REGTAB_H */
