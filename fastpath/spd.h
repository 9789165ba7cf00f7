/* SPDX-License-Identifier: BSD-3-Clause */
/* Security policy database for outbound traffic: 5-tuple (IPv4 and IPv6)
 * -> PROTECT(SA) / BYPASS / DISCARD, first matching rule wins.
 *
 * Built for concentrators (100,000 tunnels, CHILD SAs coming and going
 * all the time) without giving up the exact first-match order:
 * - Every rule has a rank (spd_db.c): the list order as a number, lower
 *   wins, that does not change when rules are put in front (CHILD SA
 *   policies) or taken out. A lookup returns the lowest-ranked rule that
 *   matches, whatever tier holds it.
 * - Exact tier: a rule whose destination range is one prefix (/8 or
 *   longer for IPv4, /16 or longer for IPv6; the concentrator's remote host
 *   or subnet) goes into an rte_hash keyed by that prefix (lock-free
 *   readers); its value, a small bucket of the rules with that destination
 *   sorted by rank, is replaced by copy and the old one freed after an RCU
 *   grace period. A lookup probes each prefix length in use (a bitmap; a
 *   concentrator uses one or two) and takes the bucket's first match.
 * - Rest tier: every other rule (ranges, 0/0 catch-alls) in rte_acl, or a
 *   scan when there are few; rebuilt from the rest rules only, on a commit
 *   (fp_spd_db_commit: once per batch of requests), into a new immutable
 *   generation swapped with one pointer. A packet whose exact match ranks
 *   above every rest rule skips it.
 * - A family with at most linear_max rules in all is one plain scan.
 * Overlaps between the tiers need no care: both are asked and the lower
 * rank wins. Adding or removing one CHILD SA's policies touches one
 * bucket per rule, O(bucket) (perf/fp_bench -S measures it against a full
 * rte_acl build). Workers never wait: each bucket and each generation
 * switches atomically; a change of several rules is seen rule by rule. */
#ifndef FP_SPD_H
#define FP_SPD_H

#include <stdbool.h>
#include <stddef.h>
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

/* Most rules of one request (the control ring's messages); the SPD itself
 * holds what fp_spd_db_cfg.max_rules says. */
#define FP_SPD_MAX_RULES 4096u
#define FP_SPD_MAX_SPLIT 64u /* prefixes per address range (rest tier) */

/* A family (IPv4, IPv6) with at most this many policies is classified by
 * a scan of its ranges instead of rte_acl (spd.c says why; `fp_bench -P`
 * measured the scan at 16-30 cycles with 8 policies against 38-48 for
 * rte_acl, the two meeting between 8 and 16). fp_spd_set_linear_max()
 * (control core, before a build; capped at FP_SPD_LINEAR_CAP, 0 = always
 * rte_acl) lets tests and the benchmark compare both. */
#define FP_SPD_LINEAR_DEFAULT 8u
#define FP_SPD_LINEAR_CAP     16u
void fp_spd_set_linear_max(unsigned n);
/* Tests and the benchmark: 0 puts every rule in the rest tier (the flat
 * rte_acl of earlier versions); applies to rules added afterwards. */
void fp_spd_set_exact_tier(int on);

/* Result of a classification: DISCARD 1, BYPASS 2, PROTECT 3 + slot. */
static inline enum fp_spd_action fp_spd_action(uint32_t res)
{
	return res >= FP_SPD_PROTECT ? FP_SPD_PROTECT : (enum fp_spd_action)res;
}
static inline uint32_t fp_spd_slot(uint32_t res)
{
	return res - FP_SPD_PROTECT;
}

struct fp_spd; /* what workers read: one generation and the exact tiers */

/* Builds a standalone SPD from rules[0..n) (index = priority, 0 highest).
 * slot_of(arg, r) gives the outbound slot of a PROTECT rule's SA or of a
 * TRAP rule's trap (>= 0). NULL with a reason in err on failure. */
typedef int (*fp_spd_slot_fn)(void *arg, const struct fp_spd_rule *r);
struct fp_spd *fp_spd_build(const struct fp_spd_rule *rules, uint32_t n, fp_spd_slot_fn slot_of,
			    void *arg, int socket, char *err, size_t errlen);
/* Frees what fp_spd_build() made (a database's generations are its own). */
void fp_spd_free(struct fp_spd *spd);
uint32_t fp_spd_rule_count(const struct fp_spd *spd);  /* ACL rules after splitting */
uint32_t fp_spd_scan_count(const struct fp_spd *spd);  /* policies classified by scan */
uint32_t fp_spd_exact_count(const struct fp_spd *spd); /* policies in the exact tier */

/* ---- the rule database (control core): spd_db.c ---- */

struct fp_spd_db_cfg {
	uint32_t max_rules; /* 0 = FP_SPD_MAX_RULES */
	int socket;
	fp_spd_slot_fn slot_of;
	/* Calls free_fn(p) once no worker can hold p any more (an RCU grace
	 * period); NULL: at once (no workers). Non-zero: could not (the
	 * database then leaks p rather than free it under a reader). */
	int (*retire)(void *arg, void (*free_fn)(void *), void *p);
	/* No rule names (action, spi) any more, and no published structure
	 * either: its slot may go. May be NULL. */
	void (*unnamed)(void *arg, enum fp_spd_action a, uint32_t spi);
	void *arg;
	/* Where workers read the current SPD (stored with release order
	 * before anything it replaces is retired). */
	struct fp_spd **publish;
};
struct fp_spd_db;
struct fp_spd_db *fp_spd_db_create(const struct fp_spd_db_cfg *cfg, char *err, size_t errlen);
/* Every retired pointer must have been freed before (the control core
 * runs its deferred frees first). */
void fp_spd_db_free(struct fp_spd_db *db);
/* Changes; each is in effect for workers after fp_spd_db_commit() (exact
 * tier changes at once). 0 or negative errno with a reason in err; a
 * failed change leaves the rules as they were. */
int fp_spd_db_replace(struct fp_spd_db *db, const struct fp_spd_rule *r, uint32_t n, char *err,
		      size_t errlen);
int fp_spd_db_prepend(struct fp_spd_db *db, const struct fp_spd_rule *r, uint32_t n, char *err,
		      size_t errlen);
/* Removes every rule of this action and SPI (PROTECT: SA; TRAP: trap id);
 * the number removed. */
uint32_t fp_spd_db_del(struct fp_spd_db *db, enum fp_spd_action a, uint32_t spi);
/* PROTECT rules of old_spi protect with new_spi instead. */
int fp_spd_db_retarget(struct fp_spd_db *db, uint32_t old_spi, uint32_t new_spi, char *err,
		       size_t errlen);
/* Rebuilds what changed in the rest tiers, publishes, then reports the
 * SPIs no rule names any more. 0, or an error (retried on the next one). */
int fp_spd_db_commit(struct fp_spd_db *db, char *err, size_t errlen);
uint32_t fp_spd_db_count(const struct fp_spd_db *db);
bool fp_spd_db_names(const struct fp_spd_db *db, enum fp_spd_action a, uint32_t spi);
/* Copies up to max rules in priority order; the number copied. */
uint32_t fp_spd_db_list(const struct fp_spd_db *db, struct fp_spd_rule *out, uint32_t max);
const struct fp_spd *fp_spd_db_current(const struct fp_spd_db *db);

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
