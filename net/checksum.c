// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Internet checksum (RFC 1071), eight bytes at a time: the one's
 * complement sum is the same whatever the word size, as long as the carries
 * are folded back in at the end (RFC 1071 §2(B)).
 */
#include "net_internal.h"

uint64_t kn_csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = 0;

	/* 32-bit words into a 64-bit accumulator: no carry can be lost */
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		acc += (uint64_t)a + b;
	}
	for (; len >= 4; p += 4, len -= 4) {
		uint32_t a;

		memcpy(&a, p, 4);
		acc += a;
	}
	for (; len >= 2; p += 2, len -= 2) {
		uint16_t a;

		memcpy(&a, p, 2);
		acc += a;
	}
	if (len) {
		uint16_t a = 0;

		memcpy(&a, p, 1);	/* the odd byte, zero-padded, in memory order */
		acc += a;
	}
	/* acc is a sum of native-order words: on a little-endian CPU, byte-swap
	 * it into network order once, here, rather than per word */
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = (uint16_t)((acc & 0xff) << 8 | acc >> 8);
#endif
	return sum + acc;
}

uint16_t kn_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint64_t kn_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (uint64_t)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}
