/* SPDX-License-Identifier: BSD-3-Clause */
/* app/common/config.c: JSON configuration parsing and validation. Test documents
 * are written with single quotes, turned into double quotes before parsing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "app/common/config.h"
#include "app/common/ctl_socket.h"
#include "ike/ike_alg.h"
#include "ike/ike_pki.h"
#include "tests/unit/ike/pki_fixture.h"
#include "tests/unit/test.h"

#define PSK  "Sup3r-s3cret-PSK"
#define AUTH "'auth':{'method':'psk','psk':'" PSK "'}"
#define CHILD                                           \
	"{'name':'net','local_ts':['198.51.100.0/24']," \
	"'remote_ts':['203.0.113.0/24']}"
/* A valid connection with extra keys (each followed by a comma). */
#define CONN_BASE(name)                                \
	"{'name':'" name "','local_addr':'192.0.2.1'," \
	"'remote_addr':'192.0.2.2'," AUTH ","
#define CONN_X(name, extra) CONN_BASE(name) extra "'children':[" CHILD "]}"
#define CONN(extra)         CONN_X("a", extra)
/* A connection with the given children and extra keys. */
#define CONN_KIDS(extra, kids) CONN_BASE("a") extra "'children':[" kids "]}"
#define ROOT(conns)            "{'connections':[" conns "]}"

static char err[512];

static int parse_into(struct app_config *cfg, const char *doc)
{
	char *text = strdup(doc);
	int rc;

	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	rc = app_config_parse(text, strlen(text), cfg, err, sizeof err);
	free(text);
	return rc;
}

/* Parses doc, which must succeed; the caller frees the result. */
static struct app_config *parse_ok(const char *doc)
{
	struct app_config *cfg = calloc(1, sizeof *cfg);
	int rc = parse_into(cfg, doc);

	if (rc != 0)
		fprintf(stderr, "\nunexpected error: %s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
	return cfg;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* doc must fail with an error containing want, without the PSK, and leave
 * the struct zeroed. */
static void expect_err(const char *doc, const char *want)
{
	struct app_config *cfg = calloc(1, sizeof *cfg);
	int rc = parse_into(cfg, doc);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	if (!strstr(err, want))
		fprintf(stderr, "\nwanted '%s', got '%s'\n", want, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	CU_ASSERT_PTR_NULL(strstr(err, PSK));
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	CU_ASSERT(all_zero(cfg, sizeof *cfg));
	app_config_clear(cfg);
	free(cfg);
}

static const char full_doc[] =
	"{'local':{'addresses':['192.0.2.1','2001:db8::1'],'ike_port':1500,"
	"  'natt_port':14500},"
	" 'log':{'level':'debug','keylog':'/tmp/keys.log'},"
	" 'control':{'socket':'/run/test.sock'},"
	" 'ike':{'retransmit_timeout_ms':250,'retransmit_tries':3,"
	"  'retransmit_base':1.5,'cookie_threshold':10,'half_open_per_peer':4,"
	"  'force_cookies':true,'liveness_idle':300,'natt_keepalive':25,"
	"  'fragmentation':false,'fragment_size':576},"
	" 'connections':[{'name':'site-b','local_addr':'192.0.2.1',"
	"  'remote_addr':'192.0.2.2','local_id':'gw-a.example.org',"
	"  'remote_id':'%any'," AUTH ","
	"  'ike_proposals':['aes128gcm16-prfsha256-x25519'],"
	"  'rekey_time':7200,'rand_time':100,'dpd_delay':10,'encap':true,"
	"  'allow_weak_groups':false,'initiate':true,"
	"  'children':[{'name':'net','local_ts':['198.51.100.0/24','198.51.100.7'],"
	"   'remote_ts':['203.0.113.0/24[udp/53]'],"
	"   'esp_proposals':['aes256gcm16-esn','aes256-sha256'],"
	"   'mode':'transport','rekey_time':600,'life_time':700,'rand_time':50}]}]}";

static void test_full_globals(void)
{
	struct app_config *cfg = parse_ok(full_doc);

	CU_ASSERT_EQUAL(cfg->ike_port, 1500);
	CU_ASSERT_EQUAL(cfg->natt_port, 14500);
	CU_ASSERT_EQUAL(cfg->n_listen, 2);
	CU_ASSERT_EQUAL(cfg->listen[1].family, 6);
	CU_ASSERT_EQUAL(cfg->listen[0].port, 0);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, "/run/test.sock");
	CU_ASSERT_STRING_EQUAL(cfg->keylog_path, "/tmp/keys.log");
	CU_ASSERT_EQUAL(cfg->log_level, IKE_LOG_DEBUG);
	CU_ASSERT_EQUAL(cfg->engine.retransmit_timeout_ms, 250);
	CU_ASSERT_EQUAL(cfg->engine.retransmit_tries, 3);
	CU_ASSERT_EQUAL(cfg->engine.retransmit_base_pct, 150);
	CU_ASSERT_EQUAL(cfg->engine.cookie_threshold, 10);
	CU_ASSERT_EQUAL(cfg->engine.half_open_per_peer, 4);
	CU_ASSERT_EQUAL(cfg->engine.natt_port, 14500);
	CU_ASSERT(cfg->engine.force_cookies);
	CU_ASSERT_EQUAL(cfg->engine.liveness_idle_s, 300);
	CU_ASSERT_EQUAL(cfg->engine.natt_keepalive_s, 25);
	CU_ASSERT_FALSE(cfg->engine.fragmentation);
	CU_ASSERT_EQUAL(cfg->engine.fragment_size, 576);
	CU_ASSERT(cfg->engine.keylog);
	app_config_clear(cfg);
	free(cfg);
}

static void test_full_conn(void)
{
	struct app_config *cfg = parse_ok(full_doc);
	const struct ike_conn_cfg *c = &cfg->conns[0];
	const uint8_t remote[4] = { 192, 0, 2, 2 };

	CU_ASSERT_EQUAL(cfg->n_conns, 1);
	CU_ASSERT_STRING_EQUAL(c->name, "site-b");
	CU_ASSERT_EQUAL(c->local.family, 4);
	CU_ASSERT_EQUAL(c->local.port, 1500);
	CU_ASSERT_EQUAL(c->remote.port, 1500);
	CU_ASSERT(memcmp(c->remote.a, remote, 4) == 0);
	CU_ASSERT_EQUAL(c->local_id.type, IKEV2_ID_FQDN);
	CU_ASSERT_EQUAL(c->local_id.len, strlen("gw-a.example.org"));
	CU_ASSERT_EQUAL(c->remote_id.type, 0);
	CU_ASSERT_EQUAL(c->psk_len, strlen(PSK));
	CU_ASSERT(memcmp(c->psk, PSK, strlen(PSK)) == 0);
	CU_ASSERT_EQUAL(c->n_proposals, 1);
	CU_ASSERT_EQUAL(c->proposals[0].encr[0].id, IKEV2_ENCR_AES_GCM_16);
	CU_ASSERT_EQUAL(c->proposals[0].dh[0], IKEV2_DH_X25519);
	CU_ASSERT_EQUAL(c->rekey_time_s, 7200);
	CU_ASSERT_EQUAL(c->rand_time_s, 100);
	CU_ASSERT_EQUAL(c->dpd_delay_s, 10);
	CU_ASSERT(c->force_encap && c->initiate && !c->allow_weak_dh);
	app_config_clear(cfg);
	free(cfg);
}

static void test_full_child(void)
{
	struct app_config *cfg = parse_ok(full_doc);
	const struct ike_child_cfg *ch = &cfg->conns[0].children[0];

	CU_ASSERT_EQUAL(cfg->conns[0].n_children, 1);
	CU_ASSERT_STRING_EQUAL(ch->name, "net");
	CU_ASSERT_EQUAL(ch->n_local_ts, 2);
	CU_ASSERT_EQUAL(ch->n_remote_ts, 1);
	CU_ASSERT_EQUAL(ch->remote_ts[0].proto, 17);
	CU_ASSERT_EQUAL(ch->remote_ts[0].sport, 53);
	CU_ASSERT_EQUAL(ch->n_proposals, 2);
	CU_ASSERT_EQUAL(ch->proposals[0].esn[0], IKEV2_ESN_YES);
	CU_ASSERT_EQUAL(ch->proposals[1].encr[0].id, IKEV2_ENCR_AES_CBC);
	CU_ASSERT_EQUAL(ch->mode, IKE_MODE_TRANSPORT);
	CU_ASSERT_EQUAL(ch->rekey_time_s, 600);
	CU_ASSERT_EQUAL(ch->life_time_s, 700);
	CU_ASSERT_EQUAL(ch->rand_time_s, 50);
	app_config_clear(cfg);
	free(cfg);
}

static void test_defaults(void)
{
	struct app_config *cfg = parse_ok(ROOT(CONN("")));
	const struct ike_conn_cfg *c = &cfg->conns[0];
	const struct ike_child_cfg *ch = &c->children[0];

	CU_ASSERT_EQUAL(cfg->ike_port, 500);
	CU_ASSERT_EQUAL(cfg->natt_port, 4500);
	CU_ASSERT_EQUAL(cfg->engine.natt_port, 4500);
	CU_ASSERT_EQUAL(cfg->engine.retransmit_base_pct, 180);
	CU_ASSERT(cfg->engine.fragmentation);
	CU_ASSERT_EQUAL(cfg->engine.fragment_size, 1280);
	CU_ASSERT_FALSE(cfg->engine.keylog);
	CU_ASSERT_EQUAL(cfg->log_level, IKE_LOG_INFO);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, "");
	CU_ASSERT_EQUAL(cfg->n_listen, 1); /* from the connection */
	CU_ASSERT(ike_addr_ip_eq(&cfg->listen[0], &c->local));
	CU_ASSERT_EQUAL(c->local.port, 500);
	CU_ASSERT_EQUAL(c->local_id.type, IKEV2_ID_IPV4_ADDR);
	CU_ASSERT_EQUAL(c->remote_id.type, IKEV2_ID_IPV4_ADDR);
	CU_ASSERT_EQUAL(c->n_proposals, 2);
	CU_ASSERT_EQUAL(c->rekey_time_s, 14400);
	CU_ASSERT_EQUAL(c->rand_time_s, 1440);
	CU_ASSERT_EQUAL(c->dpd_delay_s, 30);
	CU_ASSERT_EQUAL(ch->n_proposals, 2);
	CU_ASSERT_EQUAL(ch->mode, IKE_MODE_TUNNEL);
	CU_ASSERT_EQUAL(ch->rekey_time_s, 3600);
	CU_ASSERT_EQUAL(ch->rand_time_s, 360);
	CU_ASSERT_EQUAL(ch->life_time_s, 0);
	app_config_clear(cfg);
	free(cfg);
}

static void test_example_file(void)
{
	struct app_config *cfg = calloc(1, sizeof *cfg);
	int rc = app_config_load("docs/examples/gateway.json", cfg, err, sizeof err);

	if (rc)
		fprintf(stderr, "\ndocs/examples/gateway.json: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg->n_conns, 2);
	CU_ASSERT_EQUAL(cfg->n_listen, 2);
	CU_ASSERT_EQUAL(cfg->conns[0].n_children, 2);
	CU_ASSERT_EQUAL(cfg->conns[1].local.family, 6);
	CU_ASSERT_EQUAL(cfg->conns[1].psk_len, 16);
	CU_ASSERT_EQUAL(cfg->conns[1].psk[0], 0x8f);
	app_config_clear(cfg);
	free(cfg);
}

/* s with its one occurrence of from replaced by to (a new string), or
 * NULL when from is not in s exactly once. */
static char *replace_single(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(from);
	char *out;

	if (!at || strstr(at + n, from))
		return NULL;
	out = malloc(strlen(s) - n + strlen(to) + 1);
	if (out)
		sprintf(out, "%.*s%s%s", (int)(at - s), s, to, at + n);
	return out;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n = 0;

	if (f && buf)
		n = fread(buf, 1, 65535, f);
	if (f)
		fclose(f);
	if (n == 0 || n == 65535) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* docs/examples/gateway-dpdk.json (docs/deploy.md), with its files in
 * /etc/ipsecgw/pki swapped for the test PKI's: every other line of it
 * as an operator copies it. */
static char *example_dpdk_text(void)
{
	static const char *const map[][2] = {
		{ "/etc/ipsecgw/pki/root.crt", "root.crt" },
		{ "/etc/ipsecgw/pki/inter.crt", "inter.crt" },
		{ "/etc/ipsecgw/pki/gw-a.crt", "p256chain.crt" },
		{ "/etc/ipsecgw/pki/private/gw-a.key", "p256.key" },
	};
	char *text = read_text("docs/examples/gateway-dpdk.json");

	for (unsigned i = 0; text && i < sizeof(map) / sizeof(map[0]); i++) {
		char *next = replace_single(text, map[i][0], pki_fixture_path(map[i][1]));

		if (!next)
			fprintf(stderr, "\ngateway-dpdk.json: no single '%s'\n", map[i][0]);
		free(text);
		text = next;
	}
	return text;
}

static void test_example_dpdk(void)
{
	struct app_config *cfg = calloc(1, sizeof *cfg);
	char *text;
	int rc;

	if (!pki_fixture_dir()) {
		CU_FAIL("the test PKI could not be made");
		app_config_clear(cfg);
		free(cfg);
		return;
	}
	text = example_dpdk_text();
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	rc = app_config_parse(text, strlen(text), cfg, err, sizeof err);
	if (rc)
		fprintf(stderr, "\ndocs/examples/gateway-dpdk.json: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg->n_conns, 2);
	CU_ASSERT_EQUAL(cfg->conns[0].local_auth, IKE_AUTHBY_PUBKEY);
	CU_ASSERT_EQUAL(cfg->conns[0].n_local_creds, 1);
	CU_ASSERT_TRUE(cfg->conns[0].initiate);
	CU_ASSERT_EQUAL(cfg->conns[1].local_auth, IKE_AUTHBY_PSK);
	CU_ASSERT_TRUE(cfg->conns[1].trap);
	CU_ASSERT_TRUE(cfg->fastpath.present);
	CU_ASSERT_EQUAL(cfg->fastpath.workers, 2);
	CU_ASSERT_EQUAL(cfg->fastpath.n_ports, 2);
	CU_ASSERT_EQUAL(cfg->fastpath.n_policies, 1);
	CU_ASSERT_EQUAL(cfg->fastpath.n_routes, 2);
	app_config_clear(cfg);
	free(cfg);
	free(text);
}

static void test_load_missing(void)
{
	struct app_config *cfg = calloc(1, sizeof *cfg);

	CU_ASSERT_EQUAL(app_config_load("/nonexistent/gw.json", cfg, err, sizeof err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/gw.json"));
	app_config_clear(cfg);
	free(cfg);
}

static void test_clear(void)
{
	struct app_config *cfg = parse_ok(ROOT(CONN("")));

	app_config_wipe_secrets(cfg);
	CU_ASSERT_EQUAL(cfg->conns[0].psk_len, 0);
	CU_ASSERT(all_zero(cfg->conns[0].psk, sizeof cfg->conns[0].psk));
	CU_ASSERT_STRING_EQUAL(cfg->conns[0].name, "a");
	CU_ASSERT_EQUAL(app_config_conn(cfg, "a"), 0);
	app_config_clear(cfg);
	CU_ASSERT_PTR_NULL(cfg->conns);
	CU_ASSERT_EQUAL(cfg->n_conns, 0);
	CU_ASSERT_EQUAL(app_config_conn(cfg, "a"), -1);
	app_config_clear(cfg);
	free(cfg);
}

static void test_syntax(void)
{
	expect_err("{\n  'connections': [,]\n}", "line 2, column ");
	expect_err("", "line 1, column ");
	expect_err("{'log':{},'log':{}}", "line 1, column 15: duplicate object key "
					  "near '\"log\"'");
}

static void test_unknown_keys(void)
{
	expect_err("{'foo':1,"
		   "'connections':[" CONN("") "]}",
		   "foo: unknown key");
	expect_err("{'local':{'port':500}}", "local.port: unknown key");
	expect_err(ROOT(CONN("'colour':'red',")), "connections[0].colour: unknown key");
	expect_err(ROOT(CONN_KIDS("", "{'name':'x','local_ts':['192.0.2.0/24'],"
				      "'remote_ts':['192.0.2.0/24'],'bogus':1}")),
		   "connections[0].children[0].bogus: unknown key");
}

static void test_wrong_types(void)
{
	expect_err("{'local':{'ike_port':'500'}}",
		   "local.ike_port: expected integer 1-65535, got string");
	expect_err("{'local':{'ike_port':70000}}",
		   "local.ike_port: expected integer 1-65535, got 70000");
	expect_err("{'ike':{'retransmit_tries':1.5}}", "ike.retransmit_tries: expected integer");
	expect_err("{'ike':{'retransmit_base':20}}", "ike.retransmit_base: expected number");
	expect_err("{'ike':{'fragment_size':255}}",
		   "ike.fragment_size: expected integer 256-65535, got 255");
	expect_err("{'ike':{'fragmentation':'yes'}}", "ike.fragmentation: expected boolean");
	expect_err(ROOT(CONN("'encap':1,")), "connections[0].encap: expected boolean, got integer");
	expect_err("{'connections':{}}", "connections: expected array, got object");
	expect_err("[]", "top level: expected object, got array");
	expect_err("{'log':{'level':'loud'}}", "log.level: expected");
}

static void test_addresses(void)
{
	expect_err(ROOT("{'name':'a','local_addr':'192.0.2.1','remote_addr':'192.0.2.256'}"),
		   "connections[0].remote_addr: invalid address '192.0.2.256'");
	expect_err(ROOT("{'name':'a','local_addr':'192.0.2.1','remote_addr':'2001:db8::2'}"),
		   "connections[0].remote_addr: address family");
	expect_err(ROOT("{'name':'a','local_addr':'192.0.2.1'}"),
		   "connections[0]: missing 'remote_addr'");
	expect_err("{'local':{'addresses':['192.0.2.9']},'connections':[" CONN("") "]}",
		   "connections[0]: local_addr is not one of local.addresses");
	expect_err("{'local':{'addresses':['192.0.2.x']}}",
		   "local.addresses[0]: invalid address '192.0.2.x'");
	expect_err("{'local':{'natt_port':500}}", "local.natt_port: must differ");
}

#define RESP_CONN(remote)                                                       \
	"{'name':'r','local_addr':'192.0.2.1','remote_addr':'" remote "'," AUTH \
	",'children':[" CHILD "]}"

static void test_responder_remotes(void)
{
	struct app_config *cfg = parse_ok(ROOT(RESP_CONN("%any")));

	CU_ASSERT(cfg->conns[0].remote_is_prefix);
	CU_ASSERT_EQUAL(cfg->conns[0].remote_plen, 0);
	CU_ASSERT_EQUAL(cfg->conns[0].remote_id.type, 0); /* any identity */
	app_config_clear(cfg);
	free(cfg);
	cfg = parse_ok(ROOT(RESP_CONN("192.0.2.128/25")));
	CU_ASSERT(cfg->conns[0].remote_is_prefix);
	CU_ASSERT_EQUAL(cfg->conns[0].remote_plen, 25);
	CU_ASSERT_EQUAL(cfg->conns[0].remote.a[3], 128);
	app_config_clear(cfg);
	free(cfg);
	expect_err(ROOT(RESP_CONN("192.0.2.1/24")), "connections[0].remote_addr: invalid address");
}

static void test_traffic_selectors(void)
{
	expect_err(ROOT(CONN_KIDS("", "{'name':'x','local_ts':['198.51.100.0/24',"
				      "'198.51.100.0/33'],'remote_ts':['203.0.113.0/24']}")),
		   "connections[0].children[0].local_ts[1]: invalid traffic selector "
		   "'198.51.100.0/33'");
	expect_err(ROOT(CONN_KIDS("", "{'name':'x','local_ts':[],"
				      "'remote_ts':['203.0.113.0/24']}")),
		   "connections[0].children[0].local_ts: must not be empty");
	expect_err(ROOT(CONN_KIDS("", "{'name':'x','local_ts':['198.51.100.0/24']}")),
		   "connections[0].children[0]: missing 'remote_ts'");
}

static void test_algorithms(void)
{
	expect_err(ROOT(CONN("'ike_proposals':['aes128gcm16-prfsha256-x25519',"
			     "'aes129-sha256-modp2048'],")),
		   "connections[0].ike_proposals[1]: unknown algorithm 'aes129'");
	expect_err(ROOT(CONN("'ike_proposals':[],")),
		   "connections[0].ike_proposals: must not be empty");
	expect_err(ROOT(CONN("'ike_proposals':['aes128gcm16-prfsha256-x25519-esn'],")),
		   "connections[0].ike_proposals[0]: ");
}

#define WEAK_CHILD                                    \
	"{'name':'x','local_ts':['198.51.100.0/24']," \
	"'remote_ts':['203.0.113.0/24'],'esp_proposals':['aes128gcm16-modp1536']}"

static void test_weak_groups(void)
{
	struct app_config *cfg;

	expect_err(ROOT(CONN("'ike_proposals':['aes256-sha256-modp1536'],")),
		   "connections[0].ike_proposals[0]: weak DH group modp1536");
	expect_err(ROOT(CONN("'ike_proposals':['aes256-sha256-modp1536'],")), "allow_weak_groups");
	expect_err(ROOT(CONN_KIDS("", WEAK_CHILD)),
		   "connections[0].children[0].esp_proposals[0]: weak DH group modp1536");
	/* 1024-bit MODP is refused even when weak groups are allowed. */
	expect_err(
		ROOT(CONN("'allow_weak_groups':true,'ike_proposals':['aes256-sha256-modp1024'],")),
		"connections[0].ike_proposals[0]: algorithm 'modp1024' refused");
	cfg = parse_ok(ROOT(CONN_KIDS("'allow_weak_groups':true,"
				      "'ike_proposals':['aes256-sha256-modp1536'],",
				      WEAK_CHILD)));
	CU_ASSERT_EQUAL(cfg->conns[0].proposals[0].dh[0], IKEV2_DH_MODP1536);
	CU_ASSERT_EQUAL(cfg->conns[0].children[0].proposals[0].dh[0], IKEV2_DH_MODP1536);
	CU_ASSERT(cfg->conns[0].allow_weak_dh);
	app_config_clear(cfg);
	free(cfg);
}

#define CONN_AUTH(auth)                              \
	ROOT("{'name':'a','local_addr':'192.0.2.1'," \
	     "'remote_addr':'192.0.2.2','auth':" auth ",'children':[" CHILD "]}")

static void test_auth(void)
{
	struct app_config *cfg;

	expect_err(CONN_AUTH("{'method':'psk'}"), "connections[0].auth: missing 'psk'");
	expect_err(CONN_AUTH("{'method':'psk','psk':'" PSK "','psk_hex':'0x0102030405060708'}"),
		   "connections[0].auth: set only one of 'psk' and 'psk_hex'");
	expect_err(CONN_AUTH("{'method':'psk','psk':''}"),
		   "connections[0].auth.psk: must not be empty");
	expect_err(CONN_AUTH("{'method':'psk','psk':'Zq7x'}"),
		   "connections[0].auth.psk: too short");
	expect_err(CONN_AUTH("{'method':'pubkey','psk':'" PSK "'}"),
		   "connections[0].auth: missing 'cert'");
	expect_err(CONN_AUTH("{'method':'eap','psk':'" PSK "'}"),
		   "connections[0].auth.method: unknown method 'eap' (\"psk\" or \"pubkey\")");
	expect_err(CONN_AUTH("{'method':'psk','psk':'" PSK "','cert':'x.pem'}"),
		   "connections[0].auth: certificates need method \"pubkey\"");
	expect_err(CONN_AUTH("{'psk':'" PSK "'}"), "connections[0].auth: missing 'method'");
	expect_err(CONN_AUTH("{'method':'psk','psk_hex':'0x0102g3'}"),
		   "connections[0].auth.psk_hex: expected 0x");
	expect_err(ROOT("{'name':'a','local_addr':'192.0.2.1','remote_addr':'192.0.2.2',"
			"'children':[" CHILD "]}"),
		   "connections[0]: missing 'auth'");
	cfg = parse_ok(CONN_AUTH("{'method':'psk','psk_hex':'0X00112233445566778899'}"));
	CU_ASSERT_EQUAL(cfg->conns[0].psk_len, 10);
	CU_ASSERT_EQUAL(cfg->conns[0].psk[9], 0x99);
	app_config_clear(cfg);
	free(cfg);
}

/* A connection signing with a certificate of the test PKI; extra is
 * spliced into the connection, auth_extra into its auth object. */
static char *cert_doc(const char *auth_extra, const char *extra, const char *key)
{
	static char doc[2048];
	const char *d = pki_fixture_dir();

	snprintf(doc, sizeof(doc),
		 "{'credentials':{'cacerts':['%s/root.crt'],'intermediates':['%s/inter.crt']},"
		 "'connections':[{'name':'a','local_addr':'192.0.2.1','remote_addr':'192.0.2.2',"
		 "'auth':{'method':'pubkey','cert':'%s/p256chain.crt','key':'%s/%s'%s},%s"
		 "'children':[" CHILD "]}]}",
		 d, d, d, d, key, auth_extra, extra);
	return doc;
}

/* Certificates: the store holds what "credentials" and the connection
 * name; our identity is the certificate's unless given; remote_auth
 * defaults to ours; every error names the file or the key. */
static void test_auth_certs(void)
{
	struct app_config *cfg;

	if (!pki_fixture_dir()) {
		CU_FAIL("the test PKI could not be made");
		return;
	}
	cfg = parse_ok(cert_doc("", "", "p256.key"));
	CU_ASSERT_PTR_NOT_NULL(cfg->creds);
	CU_ASSERT_EQUAL(cfg->conns[0].local_auth, IKE_AUTHBY_PUBKEY);
	CU_ASSERT_EQUAL(cfg->conns[0].remote_auth, IKE_AUTHBY_PUBKEY);
	CU_ASSERT_EQUAL(cfg->conns[0].n_local_creds, 1);
	CU_ASSERT_EQUAL(cfg->conns[0].local_id.type, 0);
	CU_ASSERT_EQUAL(cfg->conns[0].psk_len, 0);
	app_config_clear(cfg);
	free(cfg);
	cfg = parse_ok(cert_doc("",
				"'local_id':'C=CH, O=Example, CN=p256.example.org',"
				"'remote_auth':{'method':'psk','psk':'" PSK "'},",
				"p256.key"));
	CU_ASSERT_EQUAL(cfg->conns[0].local_id.type, IKEV2_ID_DER_ASN1_DN);
	CU_ASSERT_EQUAL(cfg->conns[0].remote_auth, IKE_AUTHBY_PSK);
	CU_ASSERT_EQUAL(cfg->conns[0].psk_len, strlen(PSK));
	app_config_clear(cfg);
	free(cfg);
	expect_err(cert_doc("", "", "rsa.key"), "connections[0].auth: ");
	expect_err(cert_doc("", "", "nonexistent.key"), "nonexistent.key");
	expect_err(cert_doc("", "'remote_auth':{'method':'psk'},", "p256.key"),
		   "connections[0].remote_auth: missing 'psk'");
	expect_err(cert_doc("", "'remote_auth':{'method':'psk','psk':'" PSK "','ca':'CN=x'},",
			    "p256.key"),
		   "connections[0].remote_auth.ca: a CA constraint needs method");
	expect_err(cert_doc(",'psk':'" PSK "'", "'remote_auth':{'method':'any','psk':'" PSK "'},",
			    "p256.key"),
		   "the connection has a PSK already");
	expect_err("{'credentials':{'cacerts':['/nonexistent/ca.pem']},'connections':[]}",
		   "credentials.cacerts[0]: ");
}

/* cert_doc() with extra spliced into its "credentials" object. */
static char *creds_doc(const char *extra)
{
	static char doc[3072];
	char tail[2048];
	char *p;

	snprintf(doc, sizeof(doc), "%s", cert_doc("", "", "p256.key"));
	p = strstr(doc, "]},'connections'");
	snprintf(tail, sizeof(tail), "%s", p + 1);
	snprintf(p + 1, sizeof(doc) - (size_t)(p + 1 - doc), "%s%s", extra, tail);
	return doc;
}

/* credentials.ocsp_responders: a CA of the store (file or DN) and an
 * http:// URL each; CRL files are checked against their CA when parsed. */
static void test_ocsp_responders(void)
{
	const char *d = pki_fixture_dir();
	struct app_config *cfg;
	char x[600];

	if (!d) {
		CU_FAIL("the test PKI could not be made");
		return;
	}
	snprintf(x, sizeof(x),
		 ",'ocsp_responders':[{'ca':'%s/inter.crt','uri':'http://192.0.2.9/ocsp'},"
		 "{'ca':'C=CH, O=Example, CN=Test Root CA','uri':'http://192.0.2.9:8080'}]",
		 d);
	cfg = parse_ok(creds_doc(x));
	CU_ASSERT_EQUAL(cfg->n_ocsp, 2);
	CU_ASSERT_STRING_EQUAL(cfg->ocsp[1].uri, "http://192.0.2.9:8080");
	app_config_clear(cfg);
	free(cfg);
	expect_err(
		creds_doc(",'ocsp_responders':[{'ca':'C=CH, O=Nobody, CN=x','uri':'http://a/'}]"),
		"credentials.ocsp_responders[0].ca: CA 'C=CH, O=Nobody, CN=x' matches none of our "
		"CA certificates");
	expect_err(creds_doc(
			   ",'ocsp_responders':[{'ca':'C=CH, O=Example, CN=*','uri':'http://a/'}]"),
		   "matches 2 of our CA certificates");
	expect_err(creds_doc(",'ocsp_responders':[{'ca':'ca.pem','uri':'http://a/'}]"),
		   "credentials.ocsp_responders[0].ca: CA 'ca.pem': no such file, and not a DN");
	snprintf(x, sizeof(x), ",'ocsp_responders':[{'ca':'%s/other.der','uri':'http://a/'}]", d);
	expect_err(creds_doc(x), "other.der: not one of the CA certificates loaded");
	expect_err(
		creds_doc(",'ocsp_responders':[{'ca':'C=CH, O=Example, CN=Test Root CA',"
			  "'uri':'https://a/'}]"),
		"credentials.ocsp_responders[0].uri: 'https://a/': only http:// URLs are fetched");
	expect_err(creds_doc(",'ocsp_responders':[{'ca':'C=CH, O=Example, CN=Test Root CA'}]"),
		   "credentials.ocsp_responders[0]: missing 'uri'");
	expect_err(creds_doc(",'ocsp_responders':[{'ca':'x=y','uri':'http://a/','url':1}]"),
		   "credentials.ocsp_responders[0].url: unknown key");
	snprintf(x, sizeof(x),
		 "{'credentials':{'cacerts':['%s/root.crt'],'crls':['%s/inter.crl']}}", d, d);
	expect_err(x, "credentials.crls[0]: ");
	expect_err(x, "inter.crl: issued by 'C=CH, O=Example, CN=Test Intermediate CA', which is "
		      "none of our CAs");
}

static void test_duplicates(void)
{
	expect_err(ROOT(CONN_X("x", "") "," CONN_X("y", "") "," CONN_X("x", "")),
		   "connections[2].name: duplicate connection name 'x'");
	expect_err(ROOT(CONN_KIDS("", CHILD "," CHILD)),
		   "connections[0].children[1].name: duplicate child name 'net'");
	expect_err(ROOT(CONN_X("bad name", "")), "connections[0].name: invalid name 'bad name'");
}

static void test_no_connections(void)
{
	expect_err("{}", "at least one connection is required");
	expect_err("{'connections':[]}", "connections: at least one connection is required");
	expect_err(ROOT("{'name':'a','local_addr':'192.0.2.1','remote_addr':'192.0.2.2'," AUTH "}"),
		   "connections[0]: missing 'children'");
	expect_err(ROOT(CONN_KIDS("", "")),
		   "connections[0].children: at least one child is required");
	expect_err(ROOT(CONN_KIDS("", CHILD "," CHILD "," CHILD "," CHILD "," CHILD)),
		   "connections[0].children: too many entries (at most 4)");
}

static void test_timers(void)
{
	expect_err(ROOT(CONN("'rekey_time':100,'rand_time':100,")),
		   "connections[0].rand_time: must be less than rekey_time (100)");
	expect_err(ROOT(CONN_KIDS("", "{'name':'x','local_ts':['198.51.100.0/24'],"
				      "'remote_ts':['203.0.113.0/24'],'life_time':3600}")),
		   "connections[0].children[0].life_time: must be greater than rekey_time");
	expect_err(ROOT(CONN_KIDS("", "{'name':'x','local_ts':['198.51.100.0/24'],"
				      "'remote_ts':['203.0.113.0/24'],'mode':'beet'}")),
		   "connections[0].children[0].mode: expected \"tunnel\" or \"transport\"");
}

/* start_action / dpd_action / close_action / keyingtries and their
 * defaults: a connection we start restarts after DPD and retries forever;
 * one we do not, neither. */
static void test_conn_actions(void)
{
	struct app_config *cfg = parse_ok(ROOT(CONN("'initiate':true,") "," CONN_X("b", "")));
	const struct ike_conn_cfg *a = &cfg->conns[0], *b = &cfg->conns[1];

	CU_ASSERT(a->initiate);
	CU_ASSERT_EQUAL(a->dpd_action, IKE_ACTION_RESTART);
	CU_ASSERT_EQUAL(a->close_action, IKE_ACTION_CLEAR);
	CU_ASSERT_EQUAL(a->keyingtries, IKE_KEYINGTRIES_FOREVER);
	CU_ASSERT(!b->initiate);
	CU_ASSERT_EQUAL(b->dpd_action, IKE_ACTION_CLEAR);
	CU_ASSERT_EQUAL(b->keyingtries, 1);
	app_config_clear(cfg);
	free(cfg);
	cfg = parse_ok(ROOT(CONN("'start_action':'start','dpd_action':'clear',"
				 "'close_action':'restart','keyingtries':3,")));
	CU_ASSERT(cfg->conns[0].initiate);
	CU_ASSERT_EQUAL(cfg->conns[0].dpd_action, IKE_ACTION_CLEAR);
	CU_ASSERT_EQUAL(cfg->conns[0].close_action, IKE_ACTION_RESTART);
	CU_ASSERT_EQUAL(cfg->conns[0].keyingtries, 3);
	app_config_clear(cfg);
	free(cfg);
	cfg = parse_ok(ROOT(CONN("'initiate':true,'start_action':'none','keyingtries':0,")));
	CU_ASSERT(!cfg->conns[0].initiate);
	CU_ASSERT_EQUAL(cfg->conns[0].keyingtries, IKE_KEYINGTRIES_FOREVER);
	app_config_clear(cfg);
	free(cfg);
	cfg = parse_ok(ROOT(CONN("'start_action':'trap','dpd_action':'trap',"
				 "'close_action':'trap',")));
	CU_ASSERT(cfg->conns[0].trap);
	CU_ASSERT(!cfg->conns[0].initiate);
	CU_ASSERT_EQUAL(cfg->conns[0].dpd_action, IKE_ACTION_TRAP);
	CU_ASSERT_EQUAL(cfg->conns[0].close_action, IKE_ACTION_TRAP);
	CU_ASSERT_EQUAL(cfg->conns[0].keyingtries, 1);
	app_config_clear(cfg);
	free(cfg);
	cfg = parse_ok(ROOT(CONN("'start_action':'start',")));
	CU_ASSERT(!cfg->conns[0].trap);
	app_config_clear(cfg);
	free(cfg);
	expect_err(ROOT("{'name':'p','local_addr':'192.0.2.1','remote_addr':'%any'," AUTH
			",'dpd_action':'trap','children':[" CHILD "]}"),
		   "connections[0]: 'trap' needs a single remote_addr");
	expect_err(ROOT(CONN("'start_action':'hold',")),
		   "connections[0].start_action: unknown value 'hold' (expected \"none\", "
		   "\"start\", \"trap\")");
	expect_err(ROOT(CONN("'dpd_action':'hold',")),
		   "connections[0].dpd_action: unknown value 'hold' (expected \"clear\", "
		   "\"restart\", \"trap\")");
	expect_err(ROOT(CONN("'keyingtries':-1,")), "connections[0].keyingtries");
}

/* No error may quote the PSK, whatever went wrong around it. */
static void test_psk_not_leaked(void)
{
	static const char *const docs[] = {
		"{'connections':[{'auth':{'psk':" PSK "}}]}",  /* bare token */
		"{'connections':[{'auth':{'psk':'" PSK "}}]}", /* unterminated */
		"{'connections':[{'auth':{'psk':'" PSK "','psk':'" PSK "'}}]}",
		CONN_AUTH("{'method':'psk','psk_hex':'" PSK "'}"),
		CONN_AUTH("{'method':'psk','psk':['" PSK "']}"),
		CONN_AUTH("{'method':'psk','psk':'" PSK "','x':1}"),
		CONN_AUTH("{'method':'pubkey','psk':'" PSK "'}"),
	};

	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
		expect_err(docs[i], ": ");
}

static unsigned ctl_sent;
static void ctl_send(void *ctx, const ike_addr_t *l, const ike_addr_t *r, const uint8_t *buf,
		     size_t len)
{
	(void)ctx, (void)l, (void)r, (void)buf, (void)len;
	ctl_sent++;
}

/* The reply to req must contain want. */
static void ctl_expect(struct ike_engine *e, struct app_config *cfg, const char *req,
		       const char *want)
{
	char *out = app_ctlsock_handle(e, cfg, req, strlen(req), 1000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	if (!strstr(out, want))
		fprintf(stderr, "\n%s: wanted '%s', got '%s'\n", req, want, out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	free(out);
}

/* ipsecgw-ctl acquire CONN [CHILD]: names checked, the engine's answers
 * told apart; one IKE_SA_INIT for two acquires. */
/* list-certs: each certificate of the store with what an operator needs. */
static void test_ctl_list_certs(void)
{
	struct app_config *cfg;
	struct ike_engine_cfg ec;
	struct ike_engine *e;

	if (!pki_fixture_dir()) {
		CU_FAIL("the test PKI could not be made");
		return;
	}
	cfg = parse_ok(cert_doc("", "", "p256.key"));
	ike_engine_cfg_defaults(&ec);
	e = ike_engine_new(&ec, &(struct ike_ops){ .send = ctl_send }, NULL);
	CU_ASSERT_FATAL(e != NULL);
	ctl_expect(e, cfg, "{\"cmd\":\"list-certs\"}",
		   "{\"kind\":\"local\",\"subject\":\"C=CH, O=Example, OU=Gateways, "
		   "CN=p256.example.org\",\"issuer\":\"C=CH, O=Example, CN=Test Intermediate "
		   "CA\",\"sans\":\"p256.example.org\"");
	ctl_expect(e, cfg, "{\"cmd\":\"list-certs\"}", "\"key\":\"EC 256 bits\"");
	ctl_expect(e, cfg, "{\"cmd\":\"list-certs\"}",
		   "\"kind\":\"ca\",\"subject\":\"C=CH, O=Example, CN=Test Root CA\"");
	ike_engine_free(e);
	app_config_clear(cfg);
	free(cfg);
}

/* list-crls: the CRL files the engine took, with issuer and entries. */
static void test_ctl_list_crls(void)
{
	struct app_config *cfg;
	struct ike_engine_cfg ec;
	struct ike_engine *e;
	char doc[2048], cerr[300];
	const char *d = pki_fixture_dir();

	if (!d) {
		CU_FAIL("the test PKI could not be made");
		return;
	}
	snprintf(doc, sizeof(doc), "%s", cert_doc("", "", "p256.key"));
	{
		char *p = strstr(doc, "]},'connections'");
		char tail[1600], crl[200];

		snprintf(tail, sizeof(tail), "%s", p + 1);
		snprintf(crl, sizeof(crl), ",'crls':['%s/inter.crl']", d);
		snprintf(p + 1, sizeof(doc) - (size_t)(p + 1 - doc), "%s%s", crl, tail);
	}
	cfg = parse_ok(doc);
	ike_engine_cfg_defaults(&ec);
	e = ike_engine_new(&ec, &(struct ike_ops){ .send = ctl_send }, NULL);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(app_config_give_creds(cfg, e, cerr, sizeof(cerr)), 0);
	ctl_expect(e, cfg, "{\"cmd\":\"list-crls\"}",
		   "inter.crl\",\"issuer\":\"/C=CH/O=Example/CN=Test Intermediate CA\"");
	ctl_expect(e, cfg, "{\"cmd\":\"list-crls\"}", "\"revoked\":1");
	ike_engine_free(e);
	app_config_clear(cfg);
	free(cfg);
}

/* Writes doc (single quotes turned double) to path. */
static void write_doc(const char *path, const char *doc)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (const char *p = doc; *p; p++)
		fputc(*p == '\'' ? '"' : *p, f);
	fclose(f);
}

/* doc with the first `from` (a format with one %s: dir) replaced by `to`. */
static char *replace_once(const char *doc, const char *from, const char *to, const char *dir)
{
	static char out[3072];
	char f[400], t[400];
	const char *at;

	snprintf(f, sizeof(f), from, dir);
	snprintf(t, sizeof(t), to, dir);
	at = strstr(doc, f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - doc), doc, t, at + strlen(f));
	return out;
}

/* reload-creds refuses a file where a connection that uses certificates is
 * gone, signs otherwise or has no certificates; PSK connections may go. */
static void test_creds_check(void)
{
	struct app_config *run, *next;
	char e[300];

	if (!pki_fixture_dir()) {
		CU_FAIL("the test PKI could not be made");
		return;
	}
	run = parse_ok(cert_doc("", "", "p256.key"));
	next = parse_ok(cert_doc("", "", "p256.key"));
	CU_ASSERT_EQUAL(app_config_creds_check(run, next, e, sizeof(e)), 0);
	snprintf(next->conns[0].name, sizeof(next->conns[0].name), "b");
	CU_ASSERT_EQUAL(app_config_creds_check(run, next, e, sizeof(e)), -1);
	CU_ASSERT_STRING_EQUAL(e, "reload-creds changes credentials only; connection 'a' uses "
				  "certificates and is not in the new file");
	snprintf(next->conns[0].name, sizeof(next->conns[0].name), "a");
	next->conns[0].n_local_creds = 0;
	CU_ASSERT_EQUAL(app_config_creds_check(run, next, e, sizeof(e)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "connection 'a' has no certificates in the new file"));
	next->conns[0].n_local_creds = 1;
	next->conns[0].remote_auth = IKE_AUTHBY_PSK;
	CU_ASSERT_EQUAL(app_config_creds_check(run, next, e, sizeof(e)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "connection 'a' has other auth methods"));
	/* a PSK connection is not the reload's business */
	run->conns[0].local_auth = run->conns[0].remote_auth = IKE_AUTHBY_PSK;
	snprintf(next->conns[0].name, sizeof(next->conns[0].name), "b");
	CU_ASSERT_EQUAL(app_config_creds_check(run, next, e, sizeof(e)), 0);
	app_config_clear(run);
	app_config_clear(next);
	free(run);
	free(next);
}

static bool has_cert(struct app_config *cfg, struct ike_engine *e, const char *subject)
{
	static const char req[] = "{\"cmd\":\"list-certs\"}";
	char *out = app_ctlsock_handle(e, cfg, req, strlen(req), 0);
	bool r = out && strstr(out, subject);

	free(out);
	return r;
}

/* reload-creds: a file that loads replaces the store and the connection's
 * certificates (list-certs shows them); one that does not (syntax, a key
 * that does not match, a refused change) changes nothing and says why,
 * naming the file. */
static void test_reload_creds(void)
{
	const char *d = pki_fixture_dir();
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	struct ike_creds *first;
	struct ike_engine_cfg ec;
	struct ike_engine *e;
	char path[200], msg[800], crl[200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	if (!d) {
		CU_FAIL("the test PKI could not be made");
		app_config_clear(cfg);
		free(cfg);
		return;
	}
	snprintf(path, sizeof(path), "%s/reload.json", d);
	write_doc(path, cert_doc("", "", "p256.key"));
	CU_ASSERT_EQUAL_FATAL(app_config_load(path, cfg, err, sizeof(err)), 0);
	ike_engine_cfg_defaults(&ec);
	e = ike_engine_new(&ec, &(struct ike_ops){ .send = ctl_send }, NULL);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(app_config_give_creds(cfg, e, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(ike_engine_add_conn(e, &cfg->conns[0]), 0);
	first = cfg->creds;
	/* bad files: nothing changes */
	write_doc(path, "{'connections':[");
	CU_ASSERT_EQUAL(app_config_reload_creds(cfg, e, msg, sizeof(msg)), -1);
	CU_ASSERT(strstr(msg, path) == msg && strstr(msg, "line 1") && strstr(msg, "nothing"));
	write_doc(path, cert_doc("", "", "rsa.key"));
	CU_ASSERT_EQUAL(app_config_reload_creds(cfg, e, msg, sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "rsa.key"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "connections[0].auth"));
	write_doc(path, ROOT(CONN("")));
	CU_ASSERT_EQUAL(app_config_reload_creds(cfg, e, msg, sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(msg, "reload-creds changes credentials only; connection 'a'"));
	CU_ASSERT(cfg->creds == first);
	CU_ASSERT(has_cert(cfg, e, "CN=p256.example.org"));
	/* a good one: the RSA certificate replaces the P-256 one, a CRL */
	snprintf(crl, sizeof(crl), ",'crls':['%s/inter.crl']", d);
	write_doc(path, replace_once(creds_doc(crl), "p256chain.crt','key':'%s/p256.key",
				     "rsa.crt','key':'%s/rsa.key", d));
	CU_ASSERT_EQUAL(app_config_reload_creds(cfg, e, msg, sizeof(msg)), 0);
	if (cfg->creds == first)
		fprintf(stderr, "\nreload: %s\n", msg);
	CU_ASSERT(cfg->creds != first);
	CU_ASSERT(cfg->conns[0].local_creds[0] == ike_creds_local_at(cfg->creds, 0));
	CU_ASSERT(has_cert(cfg, e, "CN=gw.example.org"));
	CU_ASSERT(!has_cert(cfg, e, "CN=p256.example.org"));
	ctl_expect(e, cfg, "{\"cmd\":\"list-crls\"}", "inter.crl");
	ctl_expect(e, cfg, "{\"cmd\":\"reload-creds\"}",
		   "\"loaded\":\"3 certificates, 1 CRL files");
	ike_engine_free(e);
	app_config_clear(cfg);
	free(cfg);
}

/* An engine with cfg's first connection, sending through ctl_send. */
static struct ike_engine *ctl_engine(const struct app_config *cfg)
{
	static const struct ike_ops ops = { .send = ctl_send };
	struct ike_engine_cfg ec;
	struct ike_engine *e;

	ike_engine_cfg_defaults(&ec);
	e = ike_engine_new(&ec, &ops, NULL);
	CU_ASSERT_FATAL(e && ike_engine_add_conn(e, &cfg->conns[0]) == 0);
	return e;
}

static void test_ctl_acquire(void)
{
	struct app_config *cfg = parse_ok(ROOT(CONN_KIDS(
		"'start_action':'trap',", CHILD ",{'name':'net2','local_ts':['198.51.100.0/24'],"
						"'remote_ts':['203.0.113.0/24']}")));
	struct ike_engine *e = ctl_engine(cfg);
	ctl_sent = 0;
	ctl_expect(e, cfg, "{\"cmd\":\"acquire\"}", "needs \\\"conn\\\"");
	ctl_expect(e, cfg, "{\"cmd\":\"acquire\",\"conn\":\"zz\"}", "no such connection 'zz'");
	ctl_expect(e, cfg, "{\"cmd\":\"acquire\",\"conn\":\"a\",\"child\":\"zz\"}",
		   "connection 'a' has no child 'zz'");
	ctl_expect(e, cfg, "{\"cmd\":\"acquire\",\"conn\":\"a\",\"child\":1}",
		   "\\\"child\\\" must be a string");
	CU_ASSERT_EQUAL(ctl_sent, 0);
	ctl_expect(e, cfg, "{\"cmd\":\"acquire\",\"conn\":\"a\",\"child\":\"net2\"}",
		   "{\"ok\":true}");
	CU_ASSERT_EQUAL(ctl_sent, 1);
	ctl_expect(e, cfg, "{\"cmd\":\"acquire\",\"conn\":\"a\"}",
		   "CHILD_SA a/net is already up or being set up");
	CU_ASSERT_EQUAL(ctl_sent, 1);
	/* initiate CONN CHILD: the same, by name */
	ctl_expect(e, cfg, "{\"cmd\":\"initiate\",\"conn\":\"a\",\"child\":\"zz\"}",
		   "connection 'a' has no child 'zz'");
	ctl_expect(e, cfg, "{\"cmd\":\"initiate\",\"conn\":\"a\",\"child\":\"net2\"}",
		   "CHILD_SA a/net2 is already up or being set up");
	CU_ASSERT_EQUAL(ctl_sent, 1);
	ike_engine_free(e);
	app_config_clear(cfg);
	free(cfg);
}

/* initiate on a responder-only connection says why, not an errno text */
static void test_ctl_initiate_any(void)
{
	struct app_config *cfg =
		parse_ok(ROOT("{'name':'a','local_addr':'192.0.2.1','remote_addr':'%any'," AUTH
			      ",'children':[" CHILD "]}"));
	struct ike_engine *e = ctl_engine(cfg);
	ctl_expect(e, cfg, "{\"cmd\":\"initiate\",\"conn\":\"a\"}",
		   "connection 'a' only answers (its remote_addr is %any or a prefix)");
	ike_engine_free(e);
	app_config_clear(cfg);
	free(cfg);
}

static const struct test_case cases[] = {
	{ "full config: global sections", test_full_globals },
	{ "full config: connection", test_full_conn },
	{ "full config: child", test_full_child },
	{ "defaults", test_defaults },
	{ "connection actions and keyingtries", test_conn_actions },
	{ "control socket: acquire CONN [CHILD]", test_ctl_acquire },
	{ "control socket: initiate on a %any connection", test_ctl_initiate_any },
	{ "control socket: list-certs", test_ctl_list_certs },
	{ "control socket: list-crls", test_ctl_list_crls },
	{ "docs/examples/gateway.json loads", test_example_file },
	{ "docs/examples/gateway-dpdk.json loads", test_example_dpdk },
	{ "load: missing file", test_load_missing },
	{ "clear wipes PSKs", test_clear },
	{ "syntax errors", test_syntax },
	{ "unknown keys", test_unknown_keys },
	{ "wrong types and ranges", test_wrong_types },
	{ "responder-only remote prefixes", test_responder_remotes },
	{ "addresses", test_addresses },
	{ "traffic selectors", test_traffic_selectors },
	{ "algorithms", test_algorithms },
	{ "weak DH groups", test_weak_groups },
	{ "authentication", test_auth },
	{ "authentication with certificates", test_auth_certs },
	{ "credentials.ocsp_responders and CRL files", test_ocsp_responders },
	{ "reload-creds: which changes are refused", test_creds_check },
	{ "reload-creds: new file taken, bad ones change nothing", test_reload_creds },
	{ "duplicate and invalid names", test_duplicates },
	{ "connections and children required", test_no_connections },
	{ "timers and mode", test_timers },
	{ "PSK never in an error", test_psk_not_leaked },
	{ NULL, NULL },
};
TEST_SUITE(config, cases)
