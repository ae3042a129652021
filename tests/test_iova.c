// SPDX-License-Identifier: BSD-3-Clause
/*
 * The vfio backend's IOVA choice (userlib/vfio_iova.c) without a kernel: the
 * usable ranges of a 39-bit Intel IOMMU (with its MSI hole), first-fit
 * allocation, alignment, reuse, exhaustion, and KITE_IOVA_MODE's values.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <linux/vfio.h>

#include "lib_internal.h"

#define MB (1ULL << 20)

/* what Linux reports for a 39-bit VT-d: everything but 0xfee00000-0xfeefffff (MSIs) */
static void vtd39(struct kite_iova_space *s)
{
	*s = (struct kite_iova_space){ .nranges = 2 };
	s->range[0][0] = 0;
	s->range[0][1] = 0xfedfffff;
	s->range[1][0] = 0xfef00000;
	s->range[1][1] = (1ULL << 39) - 1;
}

static void test_fits(void **state)
{
	struct kite_iova_space s;

	(void)state;
	vtd39(&s);
	assert_true(kite_iova_fits(&s, 0x1000, 4096));
	assert_false(kite_iova_fits(&s, 0x7f0000000000ULL, 2 * MB));	/* a user VA: 47 bits */
	assert_false(kite_iova_fits(&s, 0xfed00000, 2 * MB));		/* across the MSI hole */
	assert_false(kite_iova_fits(&s, (1ULL << 39) - 4096, 8192));	/* past the top */
	assert_false(kite_iova_fits(&s, UINT64_MAX - 4095, 8192));	/* wraps */
	assert_false(kite_iova_fits(&s, 0x1000, 0));
}

static void test_alloc_aligned_first_fit_reuse(void **state)
{
	struct kite_iova_space s;
	uint64_t a, b, c, d;

	(void)state;
	vtd39(&s);
	assert_int_equal(kite_iova_alloc(&s, 2 * MB, &a), 0);
	assert_int_equal(kite_iova_alloc(&s, 4096, &b), 0);
	assert_int_equal(kite_iova_alloc(&s, 2 * MB, &c), 0);
	assert_int_equal(a % (2 * MB), 0);
	assert_int_equal(c % (2 * MB), 0);
	assert_true(b >= a + 2 * MB && b % 4096 == 0);
	assert_true(c >= b + 4096);
	kite_iova_free(&s, a);
	assert_int_equal(kite_iova_alloc(&s, 2 * MB, &d), 0);
	assert_int_equal(d, a);		/* the freed one, first */
	kite_iova_space_free(&s);
}

/* a mapping never straddles the MSI hole: the allocator moves past it */
static void test_alloc_skips_hole(void **state)
{
	struct kite_iova_space s;
	uint64_t iova;

	(void)state;
	vtd39(&s);
	assert_int_equal(kite_iova_alloc(&s, 0xfec00000, &iova), 0);	/* most of the low range */
	assert_int_equal(kite_iova_alloc(&s, 4 * MB, &iova), 0);
	assert_true(iova >= 0xfef00000);
	assert_true(kite_iova_fits(&s, iova, 4 * MB));
	kite_iova_space_free(&s);
}

static void test_alloc_exhausted(void **state)
{
	struct kite_iova_space s = { .nranges = 1 };
	uint64_t iova;
	int i;

	(void)state;
	s.range[0][0] = 0x200000;
	s.range[0][1] = 0x200000 + 8 * MB - 1;
	for (i = 0; i < 4; i++)
		assert_int_equal(kite_iova_alloc(&s, 2 * MB, &iova), 0);
	assert_int_equal(kite_iova_alloc(&s, 4096, &iova), -ENOSPC);
	assert_non_null(strstr(kite_last_error(), "no room for 4096 bytes"));
	assert_int_equal(kite_iova_alloc(&s, 0, &iova), -EINVAL);
	kite_iova_space_free(&s);
}

/* IOVA = VA mappings are recorded too: no allocation lands on one, and none is mapped twice */
static void test_reserve(void **state)
{
	struct kite_iova_space s = { .nranges = 1 };
	uint64_t iova;

	(void)state;
	s.range[0][0] = 0;
	s.range[0][1] = 16 * MB - 1;
	assert_int_equal(kite_iova_reserve(&s, 0, 2 * MB), 0);
	assert_int_equal(kite_iova_alloc(&s, 2 * MB, &iova), 0);
	assert_int_equal(iova, 2 * MB);
	assert_int_equal(kite_iova_reserve(&s, 3 * MB, 4096), -EEXIST);
	kite_iova_free(&s, 0);
	assert_int_equal(kite_iova_alloc(&s, 2 * MB, &iova), 0);
	assert_int_equal(iova, 0);
	kite_iova_space_free(&s);
}

/* VFIO_IOMMU_GET_INFO's capability chain read as untrusted input */
static void test_parse_info(void **state)
{
	union {
		struct vfio_iommu_type1_info info;
		unsigned char raw[256];
	} b;
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct kite_iova_space s;
	size_t off = sizeof(b.info);

	(void)state;
	memset(&b, 0, sizeof(b));
	b.info.argsz = sizeof(b);
	b.info.flags = VFIO_IOMMU_INFO_CAPS;
	b.info.cap_offset = (uint32_t)off;
	r = (void *)(b.raw + off);
	r->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	r->nr_iovas = 2;
	r->iova_ranges[0].start = 0;
	r->iova_ranges[0].end = 0xfedfffff;
	r->iova_ranges[1].start = 0xfef00000;
	r->iova_ranges[1].end = (1ULL << 39) - 1;
	kite_iova_parse_info(&b.info, &s);
	assert_int_equal(s.nranges, 2);
	assert_int_equal(s.range[1][0], 0xfef00000);
	/* a chain that points back at itself ends; the ranges read once */
	r->header.next = (uint32_t)off;
	kite_iova_parse_info(&b.info, &s);
	assert_int_equal(s.nranges, 2);
	/* more ranges than the answer holds: none taken, the fallback used */
	r->header.next = 0;
	r->nr_iovas = 0x10000001;
	kite_iova_parse_info(&b.info, &s);
	assert_int_equal(s.nranges, 2);
	assert_int_equal(s.range[0][0], 1 * MB);
	assert_false(kite_iova_fits(&s, 0xfee00000, 4096));	/* the MSI window stays out */
	/* a capability offset past the answer */
	r->nr_iovas = 2;
	b.info.cap_offset = 4096;
	kite_iova_parse_info(&b.info, &s);
	assert_int_equal(s.range[0][0], 1 * MB);
	/*
	 * A well-formed range capability placed where no capability may be:
	 * misaligned, then inside the fixed part (at 8, where its nr_iovas
	 * overlays cap_offset, so both read 8). Taken, it would give range 0 at
	 * 0x5000; refused, the fallback starts at 1 MiB.
	 */
	memset(&b, 0, sizeof(b));
	b.info.argsz = sizeof(b);
	b.info.flags = VFIO_IOMMU_INFO_CAPS;
	b.info.cap_offset = (uint32_t)off + 2;
	r = (void *)(b.raw + off);	/* built aligned, then moved (no misaligned store here) */
	r->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	r->nr_iovas = 1;
	r->iova_ranges[0].start = 0x5000;
	r->iova_ranges[0].end = 0x8fff;
	memmove(b.raw + off + 2, r, sizeof(*r) + sizeof(r->iova_ranges[0]));
	kite_iova_parse_info(&b.info, &s);
	assert_int_equal(s.range[0][0], 1 * MB);
	/* 4-aligned, not 8, is what 6.1 writes (a 12-byte capability before it): taken */
	b.info.cap_offset = (uint32_t)off + 4;
	memmove(b.raw + off + 4, b.raw + off + 2, sizeof(*r) + sizeof(r->iova_ranges[0]));
	kite_iova_parse_info(&b.info, &s);
	assert_int_equal(s.nranges, 1);
	assert_int_equal(s.range[0][0], 0x5000);
	assert_int_equal(s.range[0][1], 0x8fff);
	memset(&b, 0, sizeof(b));
	b.info.argsz = sizeof(b);
	b.info.flags = VFIO_IOMMU_INFO_CAPS;
	r = (void *)(b.raw + 8);
	r->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	r->nr_iovas = 8;
	assert_int_equal(b.info.cap_offset, 8);
	r->iova_ranges[0].start = 0x5000;
	r->iova_ranges[0].end = 0x8fff;
	kite_iova_parse_info(&b.info, &s);
	assert_int_equal(s.range[0][0], 1 * MB);
	assert_int_equal(s.range[1][1], (1ULL << 39) - 1);
}

static void test_mode_parse(void **state)
{
	enum kite_iova_mode m;

	(void)state;
	assert_int_equal(kite_iova_mode_parse(NULL, &m), 0);
	assert_int_equal(m, KITE_IOVA_AUTO);
	assert_int_equal(kite_iova_mode_parse("pa", &m), 0);
	assert_int_equal(m, KITE_IOVA_PA);
	assert_int_equal(kite_iova_mode_parse("alloc", &m), 0);
	assert_int_equal(m, KITE_IOVA_ALLOC);
	assert_int_equal(kite_iova_mode_parse("PA", &m), -EINVAL);
	assert_non_null(strstr(kite_last_error(), "auto, va, alloc or pa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_parse_info),
		cmocka_unit_test(test_alloc_aligned_first_fit_reuse),
		cmocka_unit_test(test_alloc_skips_hole),
		cmocka_unit_test(test_alloc_exhausted),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_mode_parse),
	};

	return cmocka_run_group_tests_name("vfio IOVAs", tests, NULL, NULL);
}
