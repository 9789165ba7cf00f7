/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
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

void test_psk_conn_trio(struct ike_conn_cfg *c, unsigned me)
{
	char a[32], id[32];

	test_psk_conn(c);
	snprintf(a, sizeof(a), "192.0.2.%u", me);
	ike_addr_parse(a, &c->local);
	ike_addr_parse(me == 2 ? "192.0.2.0" : "192.0.2.2", &c->remote);
	c->remote_is_prefix = me == 2;
	c->remote_plen = me == 2 ? 24 : 0;
	c->local.port = c->remote.port = 500;
	snprintf(id, sizeof(id), "a%u.example", me);
	ike_id_parse(id, &c->local_id);
	c->children[0].n_local_ts = c->children[0].n_remote_ts = 1;
	ike_ts_parse(me == 2 ? "203.0.113.0/24" : "198.51.100.0/24", &c->children[0].local_ts[0]);
	ike_ts_parse(me == 2 ? "198.51.100.0/24" : "203.0.113.0/24", &c->children[0].remote_ts[0]);
}
