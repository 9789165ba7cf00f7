/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by esp_outbound.c and esp_inbound.c. Not a public header. */
#ifndef FP_ESP_PRIV_H
#define FP_ESP_PRIV_H

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fastpath/bytes.h"
#include "fastpath/fp_sa.h"

#define ESP_HDR_LEN 8u

/* Ones' complement fold of a 32-bit sum to 16 bits. */
static inline uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* IPv4 header checksum over hlen bytes (options included): 32-bit loads,
 * 64-bit accumulator (RFC 1071 4.1); the result is in network order. */
static inline void ip4_cksum(uint8_t *ip, uint32_t hlen)
{
	uint64_t sum = 0;
	uint32_t w;

	ip[10] = ip[11] = 0;
	for (uint32_t i = 0; i < hlen; i += 4) {
		memcpy(&w, ip + i, 4);
		sum += w;
	}
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	uint16_t c = (uint16_t)~csum_fold((uint32_t)sum);
	memcpy(ip + 10, &c, 2);
}

/* Records a drop: per-SA counter and the reason in the mbuf. */
static inline void esp_drop(struct fp_sa *sa, struct rte_mbuf *m, enum fp_drop r)
{
	sa->stats.drops[r]++;
	*fp_mbuf_drop(m) = (uint8_t)r;
}

/* Counts a good packet against the lifetimes; false (and the SA ends) when
 * it would cross the hard limit. */
static inline bool esp_life_ok(struct fp_sa *sa, uint32_t bytes)
{
	uint64_t p = sa->stats.packets + 1, b = sa->stats.bytes + bytes;

	if (unlikely(p > sa->h.hard_packets || b > sa->h.hard_bytes)) {
		sa->life |= FP_SA_F_HARD_EXPIRED;
		return false;
	}
	if (unlikely(p >= sa->h.soft_packets || b >= sa->h.soft_bytes))
		sa->life |= FP_SA_F_SOFT_EXPIRED;
	sa->stats.packets = p;
	sa->stats.bytes = b;
	return true;
}

/* Stable partition by the burst's own reasons r[] (FP_DROP_NONE = good):
 * good packets first; returns their count. Only called when something was
 * dropped. */
static inline uint16_t esp_partition(struct rte_mbuf *mb[], const uint8_t r[], uint16_t n)
{
	struct rte_mbuf *bad[FP_MAX_BURST];
	uint16_t g = 0, b = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (r[i] == FP_DROP_NONE)
			mb[g++] = mb[i];
		else
			bad[b++] = mb[i];
	}
	memcpy(mb + g, bad, b * sizeof(mb[0]));
	return g;
}

/* Single-segment mbuf: grows the data by head bytes in front and tail at the
 * end, room already checked (rte_pktmbuf_prepend/append without the checks). */
static inline uint8_t *mbuf_grow(struct rte_mbuf *m, uint32_t head, uint32_t tail)
{
	m->data_off = (uint16_t)(m->data_off - head);
	m->data_len = (uint16_t)(m->data_len + head + tail);
	m->pkt_len += head + tail;
	return rte_pktmbuf_mtod(m, uint8_t *);
}

/* Single-segment mbuf: keeps len bytes starting off bytes in. */
static inline uint8_t *mbuf_cut(struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	m->data_off = (uint16_t)(m->data_off + off);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return rte_pktmbuf_mtod(m, uint8_t *);
}

/* Constant-time compare of ICVs; n is a constant 16 for AEAD. */
static inline bool icv_equal(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t d = 0, x, y;

	for (uint32_t i = 0; i < n; i += 8) { /* ICVs are 16, 24 or 32 bytes */
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= x ^ y;
	}
	return d == 0;
}

/* A direction's always-inline burst body fn(sa, e, mb, n, tunnel, outer6,
 * udp, aead) in 16 thin copies, each with the flags constant so that the
 * compiler drops the others' branches, and their table name##_fns indexed by
 * esp_variant(). The copies are named name_<tunnel><outer6><udp><aead>
 * (inb_1001: what profiles show). Kept as written: clang-format would not
 * format these macros the same way twice. */
/* clang-format off */
#define ESP_VARIANT(name, fn, t, o6, u, a)                                     \
	static uint16_t name##_##t##o6##u##a(struct fp_sa *sa,                 \
		struct fp_crypto_engine *e, struct rte_mbuf *mb[], uint16_t n) \
	{ return fn(sa, e, mb, n, t, o6, u, a); }
#define ESP_VARIANTS4(name, fn, t, o6)                                         \
	ESP_VARIANT(name, fn, t, o6, 0, 0) ESP_VARIANT(name, fn, t, o6, 0, 1)   \
	ESP_VARIANT(name, fn, t, o6, 1, 0) ESP_VARIANT(name, fn, t, o6, 1, 1)
#define ESP_VARIANTS(name, fn)                                                 \
	ESP_VARIANTS4(name, fn, 0, 0) ESP_VARIANTS4(name, fn, 0, 1)             \
	ESP_VARIANTS4(name, fn, 1, 0) ESP_VARIANTS4(name, fn, 1, 1)             \
	static const fp_esp_fn name##_fns[16] = {                              \
		name##_0000, name##_1000, name##_0100, name##_1100,             \
		name##_0010, name##_1010, name##_0110, name##_1110,             \
		name##_0001, name##_1001, name##_0101, name##_1101,             \
		name##_0011, name##_1011, name##_0111, name##_1111,             \
	}
/* clang-format on */

/* The ESP_VARIANTS table index of an SA's flags:
 * tunnel | outer6 << 1 | udp << 2 | aead << 3. */
static inline unsigned esp_variant(uint8_t f)
{
	return (unsigned)!!(f & FP_SAF_TUNNEL) | (unsigned)!!(f & FP_SAF_OUTER6) << 1 |
	       (unsigned)!!(f & FP_SAF_UDP) << 2 | (unsigned)!!(f & FP_SAF_AEAD) << 3;
}

#endif
