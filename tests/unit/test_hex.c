/* SPDX-License-Identifier: BSD-3-Clause */
/* Hex helpers shared by the known-answer tests. */
#include <string.h>

#include "tests/unit/test.h"

size_t test_unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < max)
				out[n] = (uint8_t)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	CU_ASSERT_FATAL(n <= max && hi < 0);
	return n;
}

int test_eq_hex(const uint8_t *buf, size_t len, const char *hex)
{
	uint8_t want[512];
	size_t n = test_unhex(hex, want, sizeof(want));

	return n == len && memcmp(buf, want, len) == 0;
}
