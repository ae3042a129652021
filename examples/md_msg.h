/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The market-data message kite-md-pub sends and kite-md-sub checks: 48 bytes,
 * every field little-endian at a fixed offset (as most exchange feeds are),
 * encoded byte by byte so the layout does not depend on the host:
 *
 *   0  magic       u32  MD_MAGIC ("KMD1")
 *   4  type        u16  MD_DATA, or MD_END (seq: the last data seq sent)
 *   6  flags       u16  MD_F_CARD_TIME: send_ns is the card clock, not UTC
 *   8  session     u32  the publisher's run: a restart starts a new sequence
 *  12  instrument  u32
 *  16  seq         u64  1, 2, 3, ... per session
 *  24  send_ns     u64  when it was sent (CLOCK_REALTIME, or the card clock)
 *  32  price       i64  in 1/10000
 *  40  qty         u32
 *  44  side        u8   'B' or 'S'
 *  45  (zero)      3 bytes
 */
#ifndef KITE_MD_MSG_H
#define KITE_MD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_MAGIC	0x31444d4bu	/* "KMD1" as little-endian bytes */
#define MD_MSG_LEN	48
#define MD_DATA		1
#define MD_END		2
#define MD_F_CARD_TIME	1

struct md_msg {
	uint16_t type, flags;
	uint32_t session;
	uint32_t instrument;
	uint32_t qty;
	uint64_t seq;
	uint64_t send_ns;
	int64_t price;
	uint8_t side;
};

static inline void md_put(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t md_get(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void md_encode(uint8_t b[MD_MSG_LEN], const struct md_msg *m)
{
	md_put(b, MD_MAGIC, 4);
	md_put(b + 4, m->type, 2);
	md_put(b + 6, m->flags, 2);
	md_put(b + 8, m->session, 4);
	md_put(b + 12, m->instrument, 4);
	md_put(b + 16, m->seq, 8);
	md_put(b + 24, m->send_ns, 8);
	md_put(b + 32, (uint64_t)m->price, 8);
	md_put(b + 40, m->qty, 4);
	md_put(b + 44, m->side, 4);	/* and the three zero bytes */
}

/* false: not a message of this format (too short, another magic or type, seq 0) */
static inline bool md_decode(const uint8_t *b, size_t len, struct md_msg *m)
{
	if (len < MD_MSG_LEN || md_get(b, 4) != MD_MAGIC)
		return false;
	m->type = (uint16_t)md_get(b + 4, 2);
	m->flags = (uint16_t)md_get(b + 6, 2);
	m->session = (uint32_t)md_get(b + 8, 4);
	m->instrument = (uint32_t)md_get(b + 12, 4);
	m->seq = md_get(b + 16, 8);
	m->send_ns = md_get(b + 24, 8);
	m->price = (int64_t)md_get(b + 32, 8);
	m->qty = (uint32_t)md_get(b + 40, 4);
	m->side = b[44];
	return (m->type == MD_DATA && m->seq) || m->type == MD_END;
}

#endif
