/* SPDX-License-Identifier: BSD-3-Clause */
/* Authentication with a pre-shared key (RFC 7296 2.15): the AUTH payload's
 * value, computed to send and to compare with what the peer sent.
 *   AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 *   SignedOctets = RealMessage | NonceData | prf(SK_p, RestOfIDPayload)
 * where the initiator signs its IKE_SA_INIT request and Nr, the responder
 * its IKE_SA_INIT response and Ni. */
#include <errno.h>

#include "ike/core/ike_priv.h"

/* The padded key depends only on the PSK and the PRF: kept in the
 * connection for every SA that negotiates the same PRF. */
static const uint8_t *psk_pad(struct ike_conn *c, uint16_t prf)
{
	static const char pad[] = "Key Pad for IKEv2";

	if (c->psk_pad_prf != prf) {
		if (ike_prf(prf, c->cfg.psk, c->cfg.psk_len, (const uint8_t *)pad, sizeof(pad) - 1,
			    c->psk_pad) < 0)
			return NULL;
		c->psk_pad_prf = prf;
	}
	return c->psk_pad;
}

int ikev2_psk_auth(const struct ike_sa *sa, bool for_initiator, const uint8_t *id_body,
		   size_t id_len, uint8_t *out, size_t *outlen)
{
	const uint8_t *key = psk_pad(sa->conn, sa->algs.prf);
	uint8_t macid[IKE_MAX_PRF_LEN];
	unsigned idx = for_initiator ? 0 : 1;
	const uint8_t *d[3];
	size_t l[3];
	int r;

	*outlen = sa->prf_len;
	if (!key || !sa->init_msg[idx])
		return -EINVAL;
	r = ike_prf(sa->algs.prf, for_initiator ? sa->sk_pi : sa->sk_pr, sa->prf_len, id_body,
		    id_len, macid);
	d[0] = sa->init_msg[idx];
	l[0] = sa->init_len[idx];
	d[1] = for_initiator ? sa->nr : sa->ni;
	l[1] = for_initiator ? sa->nr_len : sa->ni_len;
	d[2] = macid;
	l[2] = sa->prf_len;
	if (r == 0)
		r = ike_prf_v(sa->algs.prf, key, sa->prf_len, d, l, 3, out);
	return r;
}
