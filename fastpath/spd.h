/* SPDX-License-Identifier: BSD-3-Clause */
/* Security policy database for outbound traffic: 5-tuple (IPv4 and IPv6)
 * -> PROTECT(SA) / BYPASS / DISCARD, first matching rule wins.
 *
 * Built on rte_acl: the control core builds a complete new pair of ACL
 * contexts (IPv4, IPv6) from the whole rule list on every change and swaps
 * one pointer; the old pair is freed after an RCU grace period (ctrl.c).
 * Address ranges (IKE traffic selectors are ranges) are split into prefixes
 * at build time. Workers classify a burst with one rte_acl_classify() call
 * per family. */
#ifndef FP_SPD_H
#define FP_SPD_H

#include <stdint.h>

#include "fastpath/fp_sa.h"

enum fp_spd_action {
	FP_SPD_NONE = 0, /* no rule matched: dropped as no_policy */
	FP_SPD_DISCARD = 1,
	FP_SPD_BYPASS = 2,
	FP_SPD_PROTECT = 3,
	/* A trap policy (strongSwan's start_action trap): an SA is wanted but
	 * not there yet. The packet is dropped (`trap`) and the control core
	 * told (an acquire, rate-limited: ctrl_core.h). Classified as PROTECT
	 * of a slot that never holds an SA, so workers pay nothing for it but
	 * on a packet it catches; fp_spd_action() never returns it. */
	FP_SPD_TRAP = 4,
};

/* Who put a rule in the SPD: classification ignores it; a configuration
 * reload replaces the configured rules as a whole (fp_ctrl_spd_replace_config)
 * and leaves the others, which IKE adds and removes one by one. */
enum fp_spd_origin {
	FP_SPD_DYNAMIC = 0, /* CHILD SA and trap policies */
	FP_SPD_CONFIG = 1,  /* fastpath.policies */
};

/* One policy. sel.src/dst are the packet's source/destination ranges;
 * proto 0 = any; port ranges apply to TCP/UDP/SCTP only. */
struct fp_spd_rule {
	struct fp_selector sel;
	enum fp_spd_action action;
	uint32_t spi;   /* PROTECT: the outbound SA's SPI (host order); TRAP: the
		       * trap's id, non-zero, the caller's choice */
	uint8_t origin; /* enum fp_spd_origin */
};

#define FP_SPD_MAX_RULES 4096u
#define FP_SPD_MAX_SPLIT 64u /* prefixes per address range */

/* A family (IPv4, IPv6) with at most this many policies is classified by
 * a scan of its ranges instead of rte_acl (spd.c says why; `fp_bench -P`
 * measured the scan at 16-30 cycles with 8 policies against 38-48 for
 * rte_acl, the two meeting between 8 and 16). fp_spd_set_linear_max()
 * (control core, before a build; capped at FP_SPD_LINEAR_CAP, 0 = always
 * rte_acl) lets tests and the benchmark compare both. */
#define FP_SPD_LINEAR_DEFAULT 8u
#define FP_SPD_LINEAR_CAP     16u
void fp_spd_set_linear_max(unsigned n);

/* Result of a classification, packed in rte_acl's 32-bit userdata:
 * DISCARD 1, BYPASS 2, PROTECT 3 + slot. */
static inline enum fp_spd_action fp_spd_action(uint32_t res)
{
	return res >= FP_SPD_PROTECT ? FP_SPD_PROTECT : (enum fp_spd_action)res;
}
static inline uint32_t fp_spd_slot(uint32_t res)
{
	return res - FP_SPD_PROTECT;
}

struct fp_spd; /* one built generation: immutable once built */

/* Builds a generation from rules[0..n) (index = priority, 0 highest).
 * slot_of(arg, r) gives the outbound slot of a PROTECT rule's SA or of a
 * TRAP rule's trap (>= 0). NULL with a reason in err on failure. */
typedef int (*fp_spd_slot_fn)(void *arg, const struct fp_spd_rule *r);
struct fp_spd *fp_spd_build(const struct fp_spd_rule *rules, uint32_t n, fp_spd_slot_fn slot_of,
			    void *arg, int socket, char *err, size_t errlen);
void fp_spd_free(struct fp_spd *spd);
uint32_t fp_spd_rule_count(const struct fp_spd *spd); /* ACL rules after splitting */
uint32_t fp_spd_scan_count(const struct fp_spd *spd); /* policies classified by scan */

/* ACL input key, built by the worker from the packet (network order). */
struct fp_spd_key4 {
	uint8_t proto, pad[3];
	uint32_t src, dst;
	uint16_t sport, dport;
};
struct fp_spd_key6 {
	uint8_t proto, pad[3];
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

/* Classifies n keys; res[i] as above, 0 = no match. NULL spd: no match. */
void fp_spd_classify4(const struct fp_spd *spd, const struct fp_spd_key4 *k[], uint32_t res[],
		      uint32_t n);
void fp_spd_classify6(const struct fp_spd *spd, const struct fp_spd_key6 *k[], uint32_t res[],
		      uint32_t n);

/* Reference lookup without ACL (first match in rules[]): tests compare. */
uint32_t fp_spd_match_ref(const struct fp_spd_rule *rules, uint32_t n, uint8_t family,
			  const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t sport,
			  uint16_t dport);

#endif
