// SPDX-License-Identifier: BSD-3-Clause
/* The register table (regs.def) is self-consistent: the contract's own lint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kite/regtab.h"

static void test_registers_fit_and_align(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < KITE_NREGS; i++) {
		const struct kite_reg_info *r = &kite_regs[i];
		uint32_t last = r->offset + (r->count - 1) * r->stride + r->bits / 8;

		if (r->bits != 32 && r->bits != 64)
			fail_msg("%s: width %u", r->name, r->bits);
		if (r->offset % (r->bits / 8) || r->stride % (r->bits / 8))
			fail_msg("%s: not naturally aligned", r->name);
		if (last > KITE_BAR_CTRL_SIZE)
			fail_msg("%s: ends past BAR0", r->name);
		if (r->count > 1 && r->stride == 0)
			fail_msg("%s: array without stride", r->name);
		if (r->bits == 32 && (r->reset >> 32))
			fail_msg("%s: reset value wider than the register", r->name);
	}
}

/* No two registers (any instance) share a byte. */
static void test_no_overlap(void **state)
{
	static uint16_t owner[KITE_BAR_CTRL_SIZE];
	unsigned int i, k, b;

	(void)state;
	memset(owner, 0, sizeof(owner));
	for (i = 0; i < KITE_NREGS; i++) {
		const struct kite_reg_info *r = &kite_regs[i];

		for (k = 0; k < r->count; k++) {
			for (b = 0; b < r->bits / 8u; b++) {
				uint32_t off = r->offset + k * r->stride + b;

				if (owner[off])
					fail_msg("%s[%u] overlaps %s at 0x%04x", r->name, k,
						 kite_regs[owner[off] - 1].name, off);
				owner[off] = (uint16_t)(i + 1);
			}
		}
	}
}

static void test_names_unique(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < KITE_NREGS; i++)
		for (j = i + 1; j < KITE_NREGS; j++)
			assert_string_not_equal(kite_regs[i].name, kite_regs[j].name);
}

static void test_fields(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < KITE_NFIELDS; i++) {
		const struct kite_field_info *f = &kite_fields[i];
		const struct kite_reg_info *r = &kite_regs[f->reg];
		uint64_t mask = ((f->width == 64 ? 0 : 1ULL << f->width) - 1) << f->lsb;

		if (f->width == 0 || f->lsb + f->width > r->bits)
			fail_msg("%s.%s does not fit its register", r->name, f->name);
		if (r->access == KITE_ACC_RO && f->access != KITE_ACC_RO)
			fail_msg("%s.%s writable in a read-only register", r->name, f->name);
		for (j = i + 1; j < KITE_NFIELDS; j++) {
			const struct kite_field_info *g = &kite_fields[j];
			uint64_t m2 = ((1ULL << g->width) - 1) << g->lsb;

			if (g->reg == f->reg && (mask & m2))
				fail_msg("%s.%s overlaps %s", r->name, f->name, g->name);
			if (g->reg == f->reg && !strcmp(g->name, f->name))
				fail_msg("%s.%s defined twice", r->name, f->name);
		}
	}
}

static void test_enums_fit_fields(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < KITE_NENUMS; i++) {
		const struct kite_enum_info *e = &kite_enums[i];
		const struct kite_field_info *f = &kite_fields[e->field];

		if (e->value >> f->width)
			fail_msg("%s.%s value %s does not fit", kite_regs[f->reg].name, f->name,
				 e->name);
	}
}

/* The generated constants are the table's numbers. */
static void test_constants_match_table(void **state)
{
	(void)state;
	assert_int_equal(KITE_R_Q_CTRL, kite_regs[KITE_RI_Q_CTRL].offset);
	assert_int_equal(KITE_R_AT(Q_RX_CQ, 5), 0x1028 + 5 * 0x100);
	assert_int_equal(KITE_FMASK(KITE_Q_STATUS_CAUSE), 0xff00);
	assert_int_equal(KITE_FGET(KITE_ID_VERSION_MAJOR, KITE_VERSION_RESET), KITE_VERSION_MAJOR);
	assert_int_equal(kite_regs[KITE_RI_ID_MAGIC].reset, 0x4b495445);
	assert_int_equal(kite_fields[KITE_FI_Q_CTRL_RX_LOG2].lsb, 24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers_fit_and_align),
		cmocka_unit_test(test_no_overlap),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_enums_fit_fields),
		cmocka_unit_test(test_constants_match_table),
	};

	return cmocka_run_group_tests_name("register table", tests, NULL, NULL);
}
