/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 wire constants (RFC 7296 section 3 and the IANA IKEv2 registries).
 * Only numbers live here; parsing is in ikev2_payload.c. */
#ifndef IKEV2_WIRE_H
#define IKEV2_WIRE_H

#include <stdint.h>

#include "ike/ike_alg.h" /* transform and identification numbers */

#define IKEV2_HDR_LEN        28u
#define IKEV2_PL_HDR_LEN     4u
#define IKEV2_VERSION        0x20u /* major 2, minor 0 */
#define IKEV2_MAX_MSG        65535u
#define IKEV2_NON_ESP_MARKER 4u /* RFC 3948: four zero octets on port 4500 */

/* Header flags (3.1). */
#define IKEV2_FLAG_INITIATOR 0x08u
#define IKEV2_FLAG_VERSION   0x10u
#define IKEV2_FLAG_RESPONSE  0x20u

/* Exchange types (3.1). */
enum ikev2_exchange {
	IKEV2_EXCH_IKE_SA_INIT = 34,
	IKEV2_EXCH_IKE_AUTH = 35,
	IKEV2_EXCH_CREATE_CHILD_SA = 36,
	IKEV2_EXCH_INFORMATIONAL = 37,
};

/* Payload types (3.2). */
enum ikev2_payload_type {
	IKEV2_PL_NONE = 0,
	IKEV2_PL_SA = 33,
	IKEV2_PL_KE = 34,
	IKEV2_PL_IDI = 35,
	IKEV2_PL_IDR = 36,
	IKEV2_PL_CERT = 37,
	IKEV2_PL_CERTREQ = 38,
	IKEV2_PL_AUTH = 39,
	IKEV2_PL_NONCE = 40,
	IKEV2_PL_NOTIFY = 41,
	IKEV2_PL_DELETE = 42,
	IKEV2_PL_VENDOR = 43,
	IKEV2_PL_TSI = 44,
	IKEV2_PL_TSR = 45,
	IKEV2_PL_SK = 46,
	IKEV2_PL_CP = 47,
	IKEV2_PL_EAP = 48,
	IKEV2_PL_SKF = 53,
};

/* Protocol IDs (3.3.1). */
enum ikev2_proto { IKEV2_PROTO_IKE = 1, IKEV2_PROTO_AH = 2, IKEV2_PROTO_ESP = 3 };

/* Transform types (3.3.2). */
enum ikev2_transform_type {
	IKEV2_TRANS_ENCR = 1,
	IKEV2_TRANS_PRF = 2,
	IKEV2_TRANS_INTEG = 3,
	IKEV2_TRANS_DH = 4,
	IKEV2_TRANS_ESN = 5,
};
#define IKEV2_ATTR_KEY_LENGTH 14u
#define IKEV2_ATTR_TV         0x8000u

/* Authentication methods (3.8). */
enum ikev2_auth_method {
	IKEV2_AUTH_RSA_SIG = 1,
	IKEV2_AUTH_PSK = 2,
	IKEV2_AUTH_DSS_SIG = 3,
	IKEV2_AUTH_DIGITAL_SIGNATURE = 14,
};

/* Traffic selector types (3.13.1). */
enum ikev2_ts_type { IKEV2_TS_IPV4_ADDR_RANGE = 7, IKEV2_TS_IPV6_ADDR_RANGE = 8 };

/* Notify message types (3.10.1). Errors are below 16384. */
enum ikev2_notify {
	IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKEV2_N_INVALID_IKE_SPI = 4,
	IKEV2_N_INVALID_MAJOR_VERSION = 5,
	IKEV2_N_INVALID_SYNTAX = 7,
	IKEV2_N_INVALID_MESSAGE_ID = 9,
	IKEV2_N_INVALID_SPI = 11,
	IKEV2_N_NO_PROPOSAL_CHOSEN = 14,
	IKEV2_N_INVALID_KE_PAYLOAD = 17,
	IKEV2_N_AUTHENTICATION_FAILED = 24,
	IKEV2_N_SINGLE_PAIR_REQUIRED = 34,
	IKEV2_N_NO_ADDITIONAL_SAS = 35,
	IKEV2_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKEV2_N_FAILED_CP_REQUIRED = 37,
	IKEV2_N_TS_UNACCEPTABLE = 38,
	IKEV2_N_INVALID_SELECTORS = 39,
	IKEV2_N_TEMPORARY_FAILURE = 43,
	IKEV2_N_CHILD_SA_NOT_FOUND = 44,

	IKEV2_N_INITIAL_CONTACT = 16384,
	IKEV2_N_SET_WINDOW_SIZE = 16385,
	IKEV2_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKEV2_N_IPCOMP_SUPPORTED = 16387,
	IKEV2_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKEV2_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKEV2_N_COOKIE = 16390,
	IKEV2_N_USE_TRANSPORT_MODE = 16391,
	IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKEV2_N_REKEY_SA = 16393,
	IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKEV2_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKEV2_N_MOBIKE_SUPPORTED = 16396,
	IKEV2_N_MULTIPLE_AUTH_SUPPORTED = 16404,
	IKEV2_N_EAP_ONLY_AUTHENTICATION = 16417,
	IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	IKEV2_N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

static inline uint16_t ikev2_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t ikev2_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t ikev2_get64(const uint8_t *p)
{
	return ((uint64_t)ikev2_get32(p) << 32) | ikev2_get32(p + 4);
}
static inline void ikev2_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void ikev2_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void ikev2_put64(uint8_t *p, uint64_t v)
{
	ikev2_put32(p, (uint32_t)(v >> 32));
	ikev2_put32(p + 4, (uint32_t)v);
}

#endif
