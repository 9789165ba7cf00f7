/* SPDX-License-Identifier: BSD-3-Clause */
/* The public-key ceiling of an IKE responder on one core: one X25519 key
 * generation plus one shared-secret computation per handshake (OpenSSL,
 * through the engine's own ike_dh wrapper). Prints JSON. */
#include <stdio.h>
#include <time.h>

#include "ike/crypto/ike_crypto.h"
#include "ike/v2/ikev2_wire.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	struct ike_dh *peer = ike_dh_new(IKEV2_DH_X25519);
	uint8_t pub[32], sec[64];
	double t0, t_gen = 0, t_der = 0;
	unsigned n = 0;

	if (!peer || ike_dh_pub(peer, pub, sizeof(pub)) < 0)
		return 1;
	t0 = now();
	while (now() - t0 < 2.0) {
		for (int i = 0; i < 200; i++) {
			double a = now(), b, c;
			struct ike_dh *dh = ike_dh_new(IKEV2_DH_X25519);
			size_t sl = sizeof(sec);
			uint8_t mine[32];

			if (!dh || ike_dh_pub(dh, mine, sizeof(mine)) < 0)
				return 1;
			b = now();
			if (ike_dh_shared(dh, pub, sizeof(pub), sec, &sl) < 0)
				return 1;
			c = now();
			ike_dh_free(dh);
			t_gen += b - a;
			t_der += c - b;
			n++;
		}
	}
	ike_dh_free(peer);
	printf("{\"samples\":%u,\"keygen_us\":%.2f,\"derive_us\":%.2f,\"max_handshakes_per_s\":%.0f}\n",
	       n, t_gen / n * 1e6, t_der / n * 1e6, n / (t_gen + t_der));
	return 0;
}
