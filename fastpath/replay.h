/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP anti-replay window, RFC 4303 3.4.3 and appendix A2 (ESN).
 *
 * The window is a ring of 64-bit buckets (DPDK lib/ipsec style): sliding
 * right clears whole buckets instead of shifting bits. fp_replay_check() is
 * called before any crypto; fp_replay_update() only after the ICV verified,
 * and it checks again because two copies of a packet may sit in one burst. */
#ifndef FP_REPLAY_H
#define FP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define FP_REPLAY_MAX_BUCKETS 128u /* pow2 >= 4096 / 64 + 1 */

struct fp_replay {
	uint64_t top;         /* highest sequence number accepted */
	uint32_t win;         /* packets, power of two, 64..4096; 0 = off */
	uint32_t bucket_mask; /* number of buckets - 1 */
	uint64_t bits[FP_REPLAY_MAX_BUCKETS];
};

/* win: power of two in [64, 4096] (0 = default, FP_REPLAY_OFF = no
 * checks: every sequence number but 0 passes, and the ESN high half is
 * taken as 0); top: highest sequence number already seen (0 for a new SA).
 * -EINVAL on a bad window. */
int fp_replay_init(struct fp_replay *r, uint32_t win, uint64_t top);

/* Reconstructs the 64-bit sequence number of a packet that carries seq_lo
 * (RFC 4303 A2.2 when esn, else the high half is zero) into *seq. Returns 0
 * when it may be new, -1 when it is a duplicate, too old, or 0. */
int fp_replay_check(const struct fp_replay *r, uint32_t seq_lo, bool esn, uint64_t *seq);

/* Marks seq as received, sliding the window when it is ahead. -1 when it
 * was already marked (a duplicate inside one burst) or fell out meanwhile. */
int fp_replay_update(struct fp_replay *r, uint64_t seq);

#endif
