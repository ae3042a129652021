// SPDX-License-Identifier: BSD-3-Clause
#include <string.h>

#include "harness.h"

static void put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint8_t pattern(uint64_t seq, unsigned int i)
{
	return (uint8_t)(seq * 131 + i * 7 + (i >> 8));
}

void frame_fill(uint8_t *buf, uint16_t len, uint64_t dst, uint64_t src, uint64_t seq)
{
	unsigned int i;

	put_be(buf, dst, 6);
	put_be(buf + 6, src, 6);
	put_be(buf + 12, ETH_P_KITE_TEST, 2);
	memcpy(buf + 14, &seq, 8);
	for (i = 22; i < len; i++)
		buf[i] = pattern(seq, i);
}

uint64_t frame_seq(const uint8_t *buf)
{
	uint64_t seq;

	memcpy(&seq, buf + 14, 8);
	return seq;
}

bool frame_check(const uint8_t *buf, uint16_t len, uint64_t seq)
{
	unsigned int i;

	if (len < 22 || frame_seq(buf) != seq || buf[12] != 0x88 || buf[13] != 0xb5)
		return false;
	for (i = 22; i < len; i++)
		if (buf[i] != pattern(seq, i))
			return false;
	return true;
}

void udp_fill(uint8_t *buf, uint16_t len, uint64_t dst_mac, uint32_t dst_ip, uint16_t dst_port,
	      uint64_t seq)
{
	unsigned int i;

	memset(buf, 0, 42);
	put_be(buf, dst_mac, 6);
	put_be(buf + 6, 0x020000000001ULL, 6);
	put_be(buf + 12, 0x0800, 2);
	buf[14] = 0x45;				/* IPv4, 20-byte header */
	put_be(buf + 16, len - 14u, 2);
	buf[22] = 64;				/* TTL */
	buf[23] = 17;				/* UDP */
	put_be(buf + 26, 0xa9fe0001, 4);	/* 169.254.0.1 */
	put_be(buf + 30, dst_ip, 4);
	put_be(buf + 34, 4000, 2);
	put_be(buf + 36, dst_port, 2);
	put_be(buf + 38, len - 34u, 2);
	memcpy(buf + 42, &seq, 8);
	for (i = 50; i < len; i++)
		buf[i] = (uint8_t)(seq + i);
}

bool udp_check(const uint8_t *buf, uint16_t len, uint64_t dst_mac, uint32_t dst_ip,
	       uint16_t dst_port, uint64_t seq)
{
	uint8_t want[2048];

	if (len > sizeof(want))
		return false;
	udp_fill(want, len, dst_mac, dst_ip, dst_port, seq);
	return !memcmp(buf, want, len);
}
