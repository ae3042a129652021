// SPDX-License-Identifier: BSD-3-Clause
/*
 * Which IOVA the vfio backend gives the card for a buffer (issue: IOVA = VA
 * breaks on common IOMMUs). The IOMMU's usable ranges come from
 * VFIO_IOMMU_GET_INFO's IOVA-range capability; a user VA (47 bits) does not
 * fit a 39-bit IOMMU, so, as DPDK does, libkite uses IOVA = VA when it fits
 * and otherwise allocates IOVAs inside the ranges. IOVA = PA (root,
 * hugepages) maps each buffer at its physical address, which is what a
 * device model outside the guest's IOMMU can reach. KITE_IOVA_MODE chooses:
 * auto (default), va, alloc, pa.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib_internal.h"

int kite_iova_mode_parse(const char *s, enum kite_iova_mode *mode)
{
	static const char *const names[] = { "auto", "va", "alloc", "pa" };
	unsigned int i;

	*mode = KITE_IOVA_AUTO;
	if (!s || !s[0])
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*mode = (enum kite_iova_mode)i;
			return 0;
		}
	return kite_err(-EINVAL, "KITE_IOVA_MODE '%s': auto, va, alloc or pa", s);
}

/*
 * The ranges in a VFIO_IOMMU_GET_INFO answer of info->argsz bytes. The chain
 * is the kernel's, but it is read as untrusted: inside argsz, forward only.
 */
void kite_iova_parse_info(const struct vfio_iommu_type1_info *info, struct kite_iova_space *s)
{
	typedef struct vfio_iommu_type1_info_cap_iova_range cap_t;
	const char *base = (const char *)info;
	struct vfio_info_cap_header h;
	uint32_t off, nr, i;

	s->nranges = 0;
	off = (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
	/* 4-aligned only (6.1 packs a 12-byte capability before this one): copied out */
	while (off >= sizeof(*info) && off % 4 == 0 && off + sizeof(h) <= info->argsz) {
		memcpy(&h, base + off, sizeof(h));
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			uint64_t room = info->argsz - off;

			if (room < sizeof(cap_t))
				break;
			memcpy(&nr, base + off + offsetof(cap_t, nr_iovas), sizeof(nr));
			if (nr > (room - sizeof(cap_t)) / sizeof(struct vfio_iova_range))
				break;
			for (i = 0; i < nr && s->nranges < KITE_IOVA_RANGES; i++)
				memcpy(s->range[s->nranges++], base + off + sizeof(cap_t) +
				       i * sizeof(struct vfio_iova_range), sizeof(struct vfio_iova_range));
		}
		if (h.next <= off)
			break;
		off = h.next;
	}
	if (!s->nranges) {	/* an old kernel that does not say: the narrowest common IOMMU, */
		s->range[0][0] = 1ULL << 20;		/* without x86's MSI window */
		s->range[0][1] = 0xfee00000ULL - 1;
		s->range[1][0] = 0xfef00000ULL;
		s->range[1][1] = (1ULL << 39) - 1;
		s->nranges = 2;
	}
}

/* The usable IOVA ranges of a type1 container (its IOVA-range capability). */
int kite_iova_query(int container, struct kite_iova_space *s)
{
	struct vfio_iommu_type1_info *info = calloc(1, sizeof(*info));

	s->nranges = 0;
	if (!info)
		return kite_err(-ENOMEM, "out of memory");
	info->argsz = sizeof(*info);
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info) == 0 && info->argsz > sizeof(*info)) {
		uint32_t argsz = info->argsz;
		struct vfio_iommu_type1_info *big = realloc(info, argsz);

		if (!big) {
			free(info);
			return kite_err(-ENOMEM, "out of memory");
		}
		info = big;
		memset(info, 0, argsz);
		info->argsz = argsz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info) < 0 || info->argsz > argsz) {
			info->flags = 0;	/* no caps; never read past what we allocated */
			info->argsz = argsz;
		}
	}
	kite_iova_parse_info(info, s);
	free(info);
	return 0;
}

bool kite_iova_fits(const struct kite_iova_space *s, uint64_t start, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < s->nranges; i++)
		if (len && start >= s->range[i][0] && start + len - 1 >= start &&
		    start + len - 1 <= s->range[i][1])
			return true;
	return false;
}

/* The first in-use interval overlapping [start, start + len), or NULL. */
static const struct kite_iova_used *overlap(const struct kite_iova_space *s, uint64_t start,
					    uint64_t len)
{
	unsigned int i;

	for (i = 0; i < s->nused; i++)
		if (start < s->used[i].start + s->used[i].len && s->used[i].start < start + len)
			return &s->used[i];
	return NULL;
}

static int grow(struct kite_iova_space *s)
{
	unsigned int cap = s->cap ? s->cap * 2 : 16;
	struct kite_iova_used *u;

	if (s->nused < s->cap)
		return 0;
	u = realloc(s->used, cap * sizeof(*u));
	if (!u)
		return kite_err(-ENOMEM, "out of memory");
	s->used = u;
	s->cap = cap;
	return 0;
}

/* Record an IOVA chosen elsewhere (= VA, = PA), so that no allocation overlaps it. */
int kite_iova_reserve(struct kite_iova_space *s, uint64_t start, uint64_t len)
{
	int err = grow(s);

	if (err)
		return err;
	if (overlap(s, start, len))
		return kite_err(-EEXIST, "IOVA 0x%llx is in use by another mapping of this "
				"process", (unsigned long long)start);
	s->used[s->nused++] = (struct kite_iova_used){ start, len };
	return 0;
}

/*
 * First fit, aligned to 2 MiB (the pools' chunks are 2 MiB; smaller mappings
 * take 4 KiB alignment), in each range from its start upwards.
 */
int kite_iova_alloc(struct kite_iova_space *s, uint64_t len, uint64_t *iova)
{
	uint64_t align = len >= (2ULL << 20) ? 2ULL << 20 : 4096;
	unsigned int i;

	int err;

	if (!len)
		return kite_err(-EINVAL, "an empty DMA mapping");
	err = grow(s);
	if (err)
		return err;
	for (i = 0; i < s->nranges; i++) {
		uint64_t a = (s->range[i][0] + align - 1) & ~(align - 1);
		const struct kite_iova_used *u;

		while (a >= s->range[i][0] && kite_iova_fits(s, a, len)) {
			u = overlap(s, a, len);
			if (!u) {
				s->used[s->nused++] = (struct kite_iova_used){ a, len };
				*iova = a;
				return 0;
			}
			a = (u->start + u->len + align - 1) & ~(align - 1);
		}
	}
	return kite_err(-ENOSPC, "no room for %llu bytes in the IOMMU's usable IOVA ranges",
			(unsigned long long)len);
}

/* Forget an IOVA kite_iova_alloc or kite_iova_reserve recorded. */
void kite_iova_free(struct kite_iova_space *s, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < s->nused; i++)
		if (s->used[i].start == iova) {
			s->used[i] = s->used[--s->nused];
			return;
		}
}

void kite_iova_space_free(struct kite_iova_space *s)
{
	free(s->used);
	s->used = NULL;
	s->nused = s->cap = 0;
}

/* "0x1000-0xfedfffff, 0xfef00000-0x7fffffffff": for messages */
void kite_iova_ranges_str(const struct kite_iova_space *s, char *buf, size_t len)
{
	unsigned int i;
	size_t n = 0;

	buf[0] = 0;
	for (i = 0; i < s->nranges && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s0x%llx-0x%llx", i ? ", " : "",
				      (unsigned long long)s->range[i][0],
				      (unsigned long long)s->range[i][1]);
}
