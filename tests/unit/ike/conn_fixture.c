/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "tests/unit/ike/conn_fixture.h"
#include "tests/unit/test.h"

void test_psk_conn(struct ike_conn_cfg *c)
{
	char err[128];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "c");
	c->local.port = c->remote.port = 500;
	c->psk_len = strlen("secret-psk-123");
	memcpy(c->psk, "secret-psk-123", c->psk_len);
	c->n_proposals = 1;
	CU_ASSERT_FATAL(ike_proposal_parse("aes128gcm16-prfsha256-x25519", true, &c->proposals[0],
					   err, sizeof(err)) == 0);
	c->n_children = 1;
	snprintf(c->children[0].name, IKE_NAME_MAX, "net");
	c->children[0].n_proposals = 1;
	CU_ASSERT_FATAL(ike_proposal_parse("aes128gcm16", false, &c->children[0].proposals[0], err,
					   sizeof(err)) == 0);
}
