/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helpers: frames with checkable payloads. */
#ifndef KITE_TEST_HARNESS_H
#define KITE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#define ETH_P_KITE_TEST 0x88b5	/* IEEE local experimental ethertype */

/* Ethernet frame: dst, src, ETH_P_KITE_TEST, 8-byte seq, pattern from seq. */
void frame_fill(uint8_t *buf, uint16_t len, uint64_t dst, uint64_t src, uint64_t seq);
/* true if buf is exactly what frame_fill(len, ..., seq) wrote */
bool frame_check(const uint8_t *buf, uint16_t len, uint64_t seq);
uint64_t frame_seq(const uint8_t *buf);

/* IPv4/UDP frame to ip:port (host order), payload pattern from seq. */
void udp_fill(uint8_t *buf, uint16_t len, uint64_t dst_mac, uint32_t dst_ip, uint16_t dst_port,
	      uint64_t seq);
/* true if buf is exactly what udp_fill(len, dst_mac, dst_ip, dst_port, seq) wrote */
bool udp_check(const uint8_t *buf, uint16_t len, uint64_t dst_mac, uint32_t dst_ip,
	       uint16_t dst_port, uint64_t seq);

#endif
