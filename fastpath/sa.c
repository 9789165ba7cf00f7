/* SPDX-License-Identifier: BSD-3-Clause */
/* Runtime SA: parameter checks, key expansion, handler choice.
 *
 * Everything that can be decided per SA is decided here, once, on the
 * control core: the worker's burst makes a single indirect call through
 * sa->h.process to a handler specialised for this SA's direction, mode,
 * outer family, encapsulation and cipher kind (DPDK lib/ipsec, VPP). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "fastpath/fp_sa.h"

_Static_assert(sizeof(struct fp_sa_hot) <= RTE_CACHE_LINE_SIZE,
	       "hot part of the runtime SA must fit one cache line");
_Static_assert(offsetof(struct fp_sa, h) == 0, "hot part first");

int fp_mbuf_drop_off = -1;

static const char *const drop_names[FP_DROP_MAX] = {
	[FP_DROP_NONE] = "none",
	[FP_DROP_NO_SA] = "no_sa",
	[FP_DROP_REPLAY] = "replay",
	[FP_DROP_AUTH] = "auth",
	[FP_DROP_PAD] = "bad_padding",
	[FP_DROP_MALFORMED] = "malformed",
	[FP_DROP_NEXT_HDR] = "next_header",
	[FP_DROP_POLICY] = "policy",
	[FP_DROP_SEQ_OVERFLOW] = "seq_overflow",
	[FP_DROP_EXPIRED] = "expired",
	[FP_DROP_NO_ROOM] = "no_room",
	[FP_DROP_CRYPTO] = "crypto",
	[FP_DROP_ECN] = "ecn",
};

const char *fp_drop_name(enum fp_drop r)
{
	return (unsigned)r < FP_DROP_MAX ? drop_names[r] : "?";
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

static int check_crypto(const struct fp_sa_params *p, char *err, size_t errlen)
{
	bool aead = p->cipher == FP_CIPHER_AES_GCM || p->cipher == FP_CIPHER_CHACHA20_POLY1305;

	switch (p->cipher) {
	case FP_CIPHER_NULL:
		if (p->cipher_key_len != 0)
			FAIL("NULL cipher takes no key");
		break;
	case FP_CIPHER_AES_CBC:
		if (p->cipher_key_len != 16 && p->cipher_key_len != 32)
			FAIL("AES-CBC key must be 16 or 32 bytes, not %u", p->cipher_key_len);
		break;
	case FP_CIPHER_AES_GCM:
		if (p->cipher_key_len != 20 && p->cipher_key_len != 36)
			FAIL("AES-GCM key must be 16 or 32 bytes plus 4 of salt, not %u",
			     p->cipher_key_len);
		break;
	case FP_CIPHER_CHACHA20_POLY1305:
		if (p->cipher_key_len != 36)
			FAIL("ChaCha20-Poly1305 key must be 32 bytes plus 4 of salt");
		break;
	default: FAIL("unknown cipher %d", (int)p->cipher);
	}
	if (aead) {
		if (p->auth != FP_AUTH_NONE)
			FAIL("AEAD cipher with a separate integrity algorithm");
		return 0;
	}
	switch (p->auth) {
	case FP_AUTH_HMAC_SHA256_128:
	case FP_AUTH_HMAC_SHA384_192:
	case FP_AUTH_HMAC_SHA512_256: {
		/* RFC 4868 2.1.1: the key is as long as the hash output. */
		unsigned want = p->auth == FP_AUTH_HMAC_SHA256_128   ? 32
				: p->auth == FP_AUTH_HMAC_SHA384_192 ? 48
								     : 64;
		if (p->auth_key_len != want)
			FAIL("HMAC key must be %u bytes, not %u", want, p->auth_key_len);
		return 0;
	}
	case FP_AUTH_NONE: FAIL("non-AEAD cipher without integrity");
	default: FAIL("unknown integrity algorithm %d", (int)p->auth);
	}
}

static int check_selectors(const struct fp_sa_params *p, char *err, size_t errlen)
{
	if (p->n_sel > RTE_DIM(p->sel))
		FAIL("%u selectors, at most %zu", p->n_sel, RTE_DIM(p->sel));
	for (unsigned i = 0; i < p->n_sel; i++) {
		const struct fp_selector *s = &p->sel[i];
		size_t alen = s->family == 4 ? 4 : 16;

		if (s->family != 4 && s->family != 6)
			FAIL("selector %u: family %u", i, s->family);
		if (s->sport_lo > s->sport_hi || s->dport_lo > s->dport_hi)
			FAIL("selector %u: empty port range", i);
		if (memcmp(s->src_lo, s->src_hi, alen) > 0 ||
		    memcmp(s->dst_lo, s->dst_hi, alen) > 0)
			FAIL("selector %u: empty address range", i);
	}
	return 0;
}

int fp_sa_params_check(const struct fp_sa_params *p, char *err, size_t errlen)
{
	uint32_t w = p->replay_window;

	if (p->spi < 256)
		FAIL("SPI %u is reserved (RFC 4303 2.1)", p->spi);
	if (p->dir != FP_DIR_IN && p->dir != FP_DIR_OUT)
		FAIL("bad direction");
	if (p->mode != FP_MODE_TUNNEL && p->mode != FP_MODE_TRANSPORT)
		FAIL("bad mode");
	if (p->outer_family != 4 && p->outer_family != 6)
		FAIL("outer family %u", p->outer_family);
	if (p->udp_encap && (p->encap_local_port == 0 || p->encap_remote_port == 0))
		FAIL("UDP encapsulation needs both ports");
	if (w != 0 && w != FP_REPLAY_OFF &&
	    (w < 64 || w > FP_MAX_REPLAY_WIN || !rte_is_power_of_2(w)))
		FAIL("replay window %u: power of two in [64, %u]", w, FP_MAX_REPLAY_WIN);
	/* ESN needs the window to infer the high half of the sequence number */
	if (w == FP_REPLAY_OFF && p->esn)
		FAIL("anti-replay cannot be off with ESN");
	if ((p->soft_bytes && p->hard_bytes && p->soft_bytes > p->hard_bytes) ||
	    (p->soft_packets && p->hard_packets && p->soft_packets > p->hard_packets))
		FAIL("soft lifetime beyond the hard one");
	if (check_crypto(p, err, errlen) != 0 || check_selectors(p, err, errlen) != 0)
		return -EINVAL;
	return 0;
}

static int drop_field_init(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "ipsecgw_fp_drop",
		.size = sizeof(uint8_t),
		.align = 1,
	};
	int off;

	if (fp_mbuf_drop_off >= 0)
		return 0;
	off = rte_mbuf_dynfield_register(&desc);
	if (off < 0)
		return -rte_errno;
	fp_mbuf_drop_off = off;
	return 0;
}

/* Outbound: the outer IPv4/IPv6 header (tunnel) and the UDP header (NAT-T),
 * with everything but lengths and checksum filled in. */
static void build_template(struct fp_sa *sa, const struct fp_sa_params *p)
{
	uint8_t *t = sa->tmpl, proto = p->udp_encap ? IPPROTO_UDP : IPPROTO_ESP;
	uint8_t len = 0;

	if (p->mode == FP_MODE_TUNNEL && p->outer_family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)t;

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->time_to_live = 64;
		ip->next_proto_id = proto;
		memcpy(&ip->src_addr, p->local, 4);
		memcpy(&ip->dst_addr, p->remote, 4);
		len = sizeof(*ip);
	} else if (p->mode == FP_MODE_TUNNEL) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)t;

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->proto = proto;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, p->local, 16);
		memcpy(ip6->dst_addr, p->remote, 16);
		len = sizeof(*ip6);
	}
	if (p->udp_encap) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(t + len);

		u->src_port = rte_cpu_to_be_16(p->encap_local_port);
		u->dst_port = rte_cpu_to_be_16(p->encap_remote_port);
		len += sizeof(*u);
	}
	sa->h.tmpl_len = len;
}

static uint64_t limit(uint64_t v)
{
	return v == 0 ? UINT64_MAX : v;
}

int fp_sa_init(struct fp_sa *sa, const struct fp_sa_params *p, const struct fp_crypto_backend *be,
	       char *err, size_t errlen)
{
	int rc = fp_sa_params_check(p, err, errlen);
	uint8_t f = 0;

	if (rc != 0)
		return rc;
	if ((rc = drop_field_init()) != 0) {
		snprintf(err, errlen, "mbuf dynamic field: %s", rte_strerror(-rc));
		return rc;
	}
	memset(sa, 0, sizeof(*sa));
	if ((rc = be->session_init(sa->sess, p, err, errlen)) != 0) {
		fp_sa_fini(sa); /* sa->be is NULL: only the wipe */
		return rc;
	}
	sa->be = be;
	sa->spi = p->spi;
	sa->h.spi_be = rte_cpu_to_be_32(p->spi);
	if (p->cipher == FP_CIPHER_AES_GCM || p->cipher == FP_CIPHER_CHACHA20_POLY1305)
		memcpy(sa->h.salt, p->cipher_key + p->cipher_key_len - 4, 4);
	sa->h.soft_packets = limit(p->soft_packets);
	sa->h.hard_packets = limit(p->hard_packets);
	sa->h.soft_bytes = limit(p->soft_bytes);
	sa->h.hard_bytes = limit(p->hard_bytes);
	switch (p->cipher) {
	case FP_CIPHER_NULL:
		sa->h.iv_len = 0;
		sa->h.pad_align = 4;
		break;
	case FP_CIPHER_AES_CBC:
		sa->h.iv_len = 16;
		sa->h.pad_align = 16;
		break;
	default:
		sa->h.iv_len = 8;
		sa->h.pad_align = 4;
		f |= FP_SAF_AEAD;
	}
	sa->h.icv_len = (f & FP_SAF_AEAD)                    ? 16
			: p->auth == FP_AUTH_HMAC_SHA256_128 ? 16
			: p->auth == FP_AUTH_HMAC_SHA384_192 ? 24
							     : 32;
	if (p->mode == FP_MODE_TUNNEL)
		f |= FP_SAF_TUNNEL;
	if (p->outer_family == 6)
		f |= FP_SAF_OUTER6;
	if (p->udp_encap)
		f |= FP_SAF_UDP;
	if (p->esn)
		f |= FP_SAF_ESN;
	if (p->dir == FP_DIR_OUT)
		f |= FP_SAF_OUTBOUND;
	sa->h.flags = f;
	fp_replay_init(&sa->replay, p->replay_window, 0);
	sa->n_sel = p->n_sel;
	memcpy(sa->sel, p->sel, sizeof(sa->sel));
	if (p->dir == FP_DIR_OUT) {
		build_template(sa, p);
		sa->h.process = fp_esp_outbound_handler(f);
	} else {
		sa->h.process = fp_esp_inbound_handler(f);
	}
	return 0;
}

void fp_sa_fini(struct fp_sa *sa)
{
	volatile uint8_t *k = sa->sess;

	/* A device session holds keys too (and a pool slot): the backend
	 * gives it back before the area is wiped. */
	if (sa->be != NULL && sa->be->session_free != NULL)
		sa->be->session_free(sa->sess);
	sa->be = NULL;
	for (size_t i = 0; i < sizeof(sa->sess); i++)
		k[i] = 0;
	/* The AEAD salt is key material too (the KEYMAT's last 4 bytes). */
	k = sa->h.salt;
	for (size_t i = 0; i < sizeof(sa->h.salt); i++)
		k[i] = 0;
}

int fp_sa_set_seq(struct fp_sa *sa, uint64_t seq)
{
	if (sa->h.flags & FP_SAF_OUTBOUND) {
		sa->h.seq = seq;
		return 0;
	}
	/* win 0 is "off" in a live window, "default" to fp_replay_init() */
	return fp_replay_init(&sa->replay, sa->replay.win != 0 ? sa->replay.win : FP_REPLAY_OFF,
			      seq);
}

uint16_t fp_esp_process(struct fp_sa *sa, struct fp_crypto_engine *eng, struct rte_mbuf *mb[],
			uint16_t n)
{
	struct rte_mbuf *tmp[FP_MAX_BURST];
	uint16_t good = 0, done = 0;

	if (likely(n <= FP_MAX_BURST))
		return sa->h.process(sa, eng, mb, n);
	/* Layout after each chunk: [good | bad | not yet processed]. */
	while (done < n) {
		uint16_t cn = RTE_MIN(n - done, (int)FP_MAX_BURST);
		uint16_t g = sa->h.process(sa, eng, mb + done, cn);
		uint16_t nbad = done - good;

		if (nbad != 0 && g != 0) {
			memcpy(tmp, mb + done, g * sizeof(mb[0]));
			memmove(mb + good + g, mb + good, nbad * sizeof(mb[0]));
			memcpy(mb + good, tmp, g * sizeof(mb[0]));
		}
		good += g;
		done += cn;
	}
	return good;
}
