/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_H
#define TEST_H
#include <CUnit/CUnit.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};
struct test_suite {
	const char *name;
	const struct test_case *cases; /* ends with {NULL, NULL} */
};
void test_suite_add(const struct test_suite *s);

/* TEST_SUITE(crypto, cases) registers the array `cases` as suite "crypto". */
#define TEST_SUITE(sname, arr)                                          \
	static const struct test_suite sname##_suite = { #sname, arr }; \
	__attribute__((constructor)) static void sname##_register(void) \
	{                                                               \
		test_suite_add(&sname##_suite);                         \
	}

#include <stddef.h>
#include <stdint.h>

/* Decodes hex (whitespace ignored) into out; returns the byte count and
 * fails the test on odd digits or overflow. */
size_t test_unhex(const char *s, uint8_t *out, size_t max);
/* True when buf holds exactly the bytes spelled by hex ("" = zero bytes). */
int test_eq_hex(const uint8_t *buf, size_t len, const char *hex);

#endif
