/* SPDX-License-Identifier: BSD-3-Clause */
/* Big-endian fields of packet headers, read and written byte by byte or
 * through memcpy: headers sit at any alignment in a frame. The one copy
 * for the fast path and the programs built on it. */
#ifndef FP_BYTES_H
#define FP_BYTES_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

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

#endif
