/* Helpers shared by esp_outbound.c and esp_inbound.c. Not a public header. */
#ifndef FP_ESP_PRIV_H
#define FP_ESP_PRIV_H

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fastpath/fp_sa.h"

#define ESP_HDR_LEN 8u

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

static inline void wr64(uint8_t *p, uint64_t v)
{
	v = rte_cpu_to_be_64(v);
	memcpy(p, &v, 8);
}

/* IPv4 header checksum over hlen bytes (options included). */
static inline void ip4_cksum(uint8_t *ip, uint32_t hlen)
{
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (uint32_t i = 0; i < hlen; i += 2)
		sum += rd16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(ip + 10, (uint16_t)~sum);
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

/* Stable partition: good packets (reason NONE) first; returns their count. */
static inline uint16_t esp_partition(struct rte_mbuf *mb[], uint16_t n)
{
	struct rte_mbuf *bad[FP_MAX_BURST];
	uint16_t g = 0, b = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (*fp_mbuf_drop(mb[i]) == FP_DROP_NONE)
			mb[g++] = mb[i];
		else
			bad[b++] = mb[i];
	}
	memcpy(mb + g, bad, b * sizeof(mb[0]));
	return g;
}

/* Constant-time compare of ICVs. */
static inline bool icv_equal(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint8_t d = 0;

	for (uint32_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

#endif
