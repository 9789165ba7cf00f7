/* SPDX-License-Identifier: BSD-3-Clause */
/* The PSK connection the engine tests start from. */
#ifndef TEST_CONN_FIXTURE_H
#define TEST_CONN_FIXTURE_H

#include "ike/ike.h"

/* c zeroed, then: name "c", PSK "secret-psk-123", IKE proposal
 * aes128gcm16-prfsha256-x25519, one child "net" with aes128gcm16.
 * Addresses (port 500), identities and selectors are the caller's. */
void test_psk_conn(struct ike_conn_cfg *c);

#endif
