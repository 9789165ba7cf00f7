/* SPDX-License-Identifier: BSD-3-Clause */
/* Anti-replay window; see replay.h. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "fastpath/fp_sa.h"
#include "fastpath/replay.h"

int fp_replay_init(struct fp_replay *r, uint32_t win, uint64_t top)
{
	uint32_t nb;

	if (win == FP_REPLAY_OFF) {
		memset(r, 0, offsetof(struct fp_replay, bits));
		r->top = top;
		return 0; /* win 0: off */
	}
	if (win == 0)
		win = FP_DEFAULT_REPLAY_WIN;
	if (win < 64 || win > FP_MAX_REPLAY_WIN || !rte_is_power_of_2(win))
		return -EINVAL;
	nb = rte_align32pow2(win / 64 + 1);
	memset(r, 0, sizeof(*r));
	r->win = win;
	r->top = top;
	r->bucket_mask = nb - 1;
	/* Everything at or below an inherited top counts as seen. */
	if (top != 0) {
		uint32_t o = top & 63;

		memset(r->bits, 0xff, nb * sizeof(r->bits[0]));
		r->bits[(top >> 6) & r->bucket_mask] = o == 63 ? UINT64_MAX
							       : (UINT64_C(1) << (o + 1)) - 1;
	}
	return 0;
}

/* RFC 4303 A2.2: the high half is the one that puts seq_lo closest to the
 * window, either inside it or ahead of top. */
static inline uint64_t esn_reconstruct(const struct fp_replay *r, uint32_t sl)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t bottom = tl - r->win + 1; /* mod 2^32 */

	if (tl >= r->win - 1) { /* window within one subspace */
		if (sl >= bottom)
			return (uint64_t)th << 32 | sl;
		return (uint64_t)(th + 1) << 32 | sl;
	}
	if (sl >= bottom) { /* window spans a wrap of seq_lo */
		if (th == 0)
			return 0; /* below sequence number 1: too old */
		return (uint64_t)(th - 1) << 32 | sl;
	}
	return (uint64_t)th << 32 | sl;
}

int fp_replay_check(const struct fp_replay *r, uint32_t seq_lo, bool esn, uint64_t *seq)
{
	uint64_t s, bit;

	if (unlikely(r->win == 0)) { /* anti-replay off */
		*seq = seq_lo;
		return seq_lo ? 0 : -1;
	}
	s = esn ? esn_reconstruct(r, seq_lo) : seq_lo;
	*seq = s;
	if (s == 0)
		return -1;
	if (s > r->top)
		return 0;
	if (s + r->win <= r->top)
		return -1; /* left of the window */
	bit = r->bits[(s >> 6) & r->bucket_mask] >> (s & 63);
	return (bit & 1) ? -1 : 0;
}

int fp_replay_update(struct fp_replay *r, uint64_t seq)
{
	uint64_t *b, m;

	if (unlikely(r->win == 0)) { /* anti-replay off: top for show */
		if (seq > r->top)
			r->top = seq;
		return seq ? 0 : -1;
	}
	if (seq == 0 || (seq <= r->top && seq + r->win <= r->top))
		return -1;
	if (seq > r->top) {
		uint64_t first = (r->top >> 6) + 1;
		uint64_t n = (seq >> 6) - (r->top >> 6);

		if (n > r->bucket_mask + 1)
			n = r->bucket_mask + 1;
		/* Clear the buckets the window slides onto. */
		for (uint64_t i = 0; i < n; i++)
			r->bits[(first + i) & r->bucket_mask] = 0;
		r->top = seq;
	}
	b = &r->bits[(seq >> 6) & r->bucket_mask];
	m = UINT64_C(1) << (seq & 63);
	if (*b & m)
		return -1;
	*b |= m;
	return 0;
}
