/* SPDX-License-Identifier: BSD-3-Clause */
/* Token buckets for log lines that unauthenticated input causes: a flood
 * of forged IKE_SA_INIT requests or garbage must not flood the log (nor
 * cost the time to write it), yet an operator still learns that it
 * happens and how much of it. The clock is the engine's (e->now). */
#include "ike/core/ike_priv.h"

#define LIMIT_UNIT 1000u /* tokens per line */

static void refill(struct ike_log_limit *l, uint32_t rate, uint64_t now)
{
	uint64_t cap = (uint64_t)rate * LIMIT_UNIT, t;

	if (!l->started) {
		l->started = true;
		l->at = now;
		l->tokens = (uint32_t)cap;
		return;
	}
	if (now <= l->at)
		return;
	/* ms * (lines/s) = thousandths of a line */
	t = l->tokens + (now - l->at) * rate;
	l->tokens = (uint32_t)(t > cap ? cap : t);
	l->at = now;
}

bool ike_limit_take(struct ike_log_limit *l, uint32_t rate, uint64_t now)
{
	if (!rate)
		return true;
	refill(l, rate, now);
	if (l->tokens >= LIMIT_UNIT) {
		l->tokens -= LIMIT_UNIT;
		return true;
	}
	if (!l->suppressed++)
		l->since = now;
	return false;
}

uint32_t ike_limit_summary(struct ike_log_limit *l, uint32_t rate, uint64_t now, uint64_t *since)
{
	uint32_t n = l->suppressed;

	if (!n)
		return 0;
	refill(l, rate, now);
	if (rate && l->tokens < LIMIT_UNIT)
		return 0;
	if (rate)
		l->tokens -= LIMIT_UNIT;
	*since = l->since;
	l->suppressed = 0;
	return n;
}

uint64_t ike_limit_next(const struct ike_log_limit *l, uint32_t rate)
{
	if (!l->suppressed)
		return UINT64_MAX;
	if (!rate || l->tokens >= LIMIT_UNIT)
		return l->at;
	return l->at + (LIMIT_UNIT - l->tokens + rate - 1) / rate;
}
