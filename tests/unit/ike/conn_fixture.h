/* SPDX-License-Identifier: BSD-3-Clause */
/* The PSK connection the engine tests start from. */
#ifndef TEST_CONN_FIXTURE_H
#define TEST_CONN_FIXTURE_H

#include "ike/ike.h"

/* c zeroed, then: name "c", PSK "secret-psk-123", IKE proposal
 * aes128gcm16-prfsha256-x25519, one child "net" with aes128gcm16.
 * Addresses (port 500), identities and selectors are the caller's. */
void test_psk_conn(struct ike_conn_cfg *c);
/* The same for three engines on 192.0.2.0/24: engine 2 answers the whole
 * prefix, 1 and 3 initiate to 192.0.2.2; identity "aME.example", one
 * selector pair 198.51.100.0/24 <-> 203.0.113.0/24. */
void test_psk_conn_trio(struct ike_conn_cfg *c, unsigned me);

#endif
