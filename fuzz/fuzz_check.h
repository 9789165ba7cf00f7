/* SPDX-License-Identifier: BSD-3-Clause */
/* What the fuzz harnesses share: an invariant that aborts with its place
 * and text when it does not hold (the fuzzer, or make test, reports it). */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                                  \
	do {                                                                                      \
		if (!(c)) {                                                                       \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                                  \
		}                                                                                 \
	} while (0)

#endif
