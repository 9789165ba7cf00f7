/* SPDX-License-Identifier: BSD-3-Clause */
/* Traffic selector narrowing (RFC 7296 2.9): the result is the intersection
 * of what each side allows, pair by pair. */
#include <stdio.h>
#include <string.h>

#include "ike/core/ike_priv.h"

static bool intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	size_t n = a->family == 4 ? 4 : 16;

	if (a->family != b->family)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = a->family;
	out->proto = a->proto ? a->proto : b->proto;
	out->sport = a->sport > b->sport ? a->sport : b->sport;
	out->eport = a->eport < b->eport ? a->eport : b->eport;
	if (out->sport > out->eport)
		return false;
	memcpy(out->start, memcmp(a->start, b->start, n) > 0 ? a->start : b->start, n);
	memcpy(out->end, memcmp(a->end, b->end, n) < 0 ? a->end : b->end, n);
	return memcmp(out->start, out->end, n) <= 0;
}

unsigned ikev2_ts_narrow(const struct ike_ts *ours, unsigned n_ours, const struct ike_ts *theirs,
			 unsigned n_theirs, struct ike_ts *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_theirs; i++)
		for (unsigned k = 0; k < n_ours && n < IKE_MAX_TS; k++) {
			struct ike_ts t;
			bool dup = false;

			if (!intersect(&theirs[i], &ours[k], &t))
				continue;
			for (unsigned j = 0; j < n; j++)
				dup |= memcmp(&out[j], &t, sizeof(t)) == 0;
			if (!dup)
				out[n++] = t;
		}
	return n;
}

const char *ikev2_ts_list_str(const struct ike_ts *ts, unsigned n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off + 1 < len; i++) {
		char one[128];
		off = ike_str_cat(buf, len, off, i ? "," : "",
				  ike_ts_str(&ts[i], one, sizeof(one)));
	}
	return buf;
}
