/* The DPDK gateway's glue (app/gateway/gw.c) and the "fastpath" configuration
 * section (app/common/config_fp.c): IKE CHILD SA -> fast-path SAs and policies,
 * installed through the control core; static SAs and policies from JSON;
 * strict validation with JSON paths. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "ike/ike.h"
#include "app/common/config.h"
#include "app/gateway/gw.h"
#include "app/gateway/gw_icmp.h"
#include "app/gateway/gw_ike.h"
#include "fastpath/ctrl_core.h"
#include "tests/unit/test.h"
#include "tests/unit/test_eal.h"

static void ts(struct ike_ts *t, const char *s)
{
	CU_ASSERT_FATAL(ike_ts_parse(s, t) == 0);
}

/* A CHILD SA as the IKE engine reports it: AES-GCM-128 with ESN, NAT-T. */
static void child(struct ike_child_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->conn = "c";
	ci->child = "lan";
	ci->spi_in = 0xc0000001;
	ci->spi_out = 0xd0000001;
	ike_addr_parse("192.0.2.1", &ci->local);
	ike_addr_parse("192.0.2.2", &ci->remote);
	ci->local.port = 4500;
	ci->remote.port = 4501;
	ci->encap = true;
	ci->mode = IKE_MODE_TUNNEL;
	ci->algs.encr = IKEV2_ENCR_AES_GCM_16;
	ci->algs.encr_keybits = 128;
	ci->algs.esn = IKEV2_ESN_YES;
	ci->enc_key_len = 20;
	for (int i = 0; i < 20; i++) {
		ci->enc_in[i] = (uint8_t)i;
		ci->enc_out[i] = (uint8_t)(0x80 + i);
	}
	ci->n_local_ts = 2;
	ts(&ci->local_ts[0], "198.51.100.0/24");
	ts(&ci->local_ts[1], "2001:db8:1::/48");
	ci->n_remote_ts = 2;
	ts(&ci->remote_ts[0], "203.0.113.0/24[udp/53]");
	ts(&ci->remote_ts[1], "2001:db8:2::/48");
}

static void test_child_params(void)
{
	struct ike_child_info ci;
	struct fp_sa_params in, out;
	struct fp_spd_rule r[16];
	unsigned n;
	char err[160] = "";

	child(&ci);
	CU_ASSERT_FATAL(app_gw_child_params(&ci, &in, &out, r, 16, &n, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(in.spi, 0xc0000001);
	CU_ASSERT_EQUAL(out.spi, 0xd0000001);
	CU_ASSERT_EQUAL(in.dir, FP_DIR_IN);
	CU_ASSERT_EQUAL(out.dir, FP_DIR_OUT);
	CU_ASSERT_EQUAL(in.cipher, FP_CIPHER_AES_GCM);
	CU_ASSERT_EQUAL(in.cipher_key_len, 20);
	CU_ASSERT(memcmp(in.cipher_key, ci.enc_in, 20) == 0);
	CU_ASSERT(memcmp(out.cipher_key, ci.enc_out, 20) == 0);
	CU_ASSERT(in.esn && out.esn);
	CU_ASSERT(in.udp_encap && out.udp_encap);
	CU_ASSERT_EQUAL(out.encap_local_port, 4500);
	CU_ASSERT_EQUAL(out.encap_remote_port, 4501);
	CU_ASSERT_EQUAL(out.outer_family, 4);
	CU_ASSERT(memcmp(out.local, ci.local.a, 4) == 0 && memcmp(out.remote, ci.remote.a, 4) == 0);
	/* Two pairs of one family each (v4 x v4, v6 x v6); mixed pairs dropped. */
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(r[0].action, FP_SPD_PROTECT);
	CU_ASSERT_EQUAL(r[0].spi, 0xd0000001);
	CU_ASSERT_EQUAL(r[0].sel.family, 4);
	CU_ASSERT_EQUAL(r[0].sel.proto, 17);
	CU_ASSERT_EQUAL(r[0].sel.dport_lo, 53);
	CU_ASSERT_EQUAL(r[0].sel.dport_hi, 53);
	CU_ASSERT_EQUAL(r[0].sel.sport_lo, 0);
	CU_ASSERT_EQUAL(r[0].sel.sport_hi, 65535);
	CU_ASSERT_EQUAL(r[0].sel.src_lo[2], 100);
	CU_ASSERT_EQUAL(r[0].sel.dst_hi[3], 255);
	CU_ASSERT_EQUAL(r[1].sel.family, 6);
	/* Inbound inner check: the peer's side is the source. */
	CU_ASSERT_EQUAL(in.n_sel, 2);
	CU_ASSERT_EQUAL(in.sel[0].src_lo[0], 203);
	CU_ASSERT_EQUAL(in.sel[0].sport_lo, 53);
	CU_ASSERT_EQUAL(in.sel[0].dport_hi, 65535);

	/* CBC + HMAC-SHA-256, no ESN. */
	ci.algs.encr = IKEV2_ENCR_AES_CBC;
	ci.algs.encr_keybits = 256;
	ci.algs.integ = IKEV2_INTEG_HMAC_SHA2_256_128;
	ci.algs.esn = IKEV2_ESN_NO;
	ci.enc_key_len = 32;
	ci.integ_key_len = 32;
	CU_ASSERT(app_gw_child_params(&ci, &in, &out, r, 16, &n, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(in.cipher, FP_CIPHER_AES_CBC);
	CU_ASSERT_EQUAL(in.auth, FP_AUTH_HMAC_SHA256_128);
	CU_ASSERT(!in.esn);
	/* Refused: SHA-1 integrity, too many policies. */
	ci.algs.integ = IKEV2_INTEG_HMAC_SHA1_96;
	CU_ASSERT(app_gw_child_params(&ci, &in, &out, r, 16, &n, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "integrity") != NULL);
	ci.algs.integ = IKEV2_INTEG_HMAC_SHA2_256_128;
	CU_ASSERT(app_gw_child_params(&ci, &in, &out, r, 1, &n, err, sizeof(err)) == -E2BIG);
	CU_ASSERT_EQUAL(n, 0);
}

/* Installed on the control core: SAs in the SAD, policies in the SPD; all
 * or nothing, and removed only by the child that installed them. */
static void test_install_child(void)
{
	struct fp_ctrl_cfg cfg = { .name = "gwc", .n_workers = 1, .max_sa = 64 };
	struct ike_child_info ci;
	struct fp_spd_rule bypass;
	char err[160];

	CU_ASSERT_FATAL(test_eal_init() == 0);
	struct fp_ctrl *c = fp_ctrl_create(&cfg, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	memset(&bypass, 0, sizeof(bypass));
	bypass.sel.family = 4;
	memset(bypass.sel.src_hi, 0xff, 4);
	memset(bypass.sel.dst_hi, 0xff, 4);
	bypass.sel.sport_hi = bypass.sel.dport_hi = 65535;
	bypass.action = FP_SPD_BYPASS;
	CU_ASSERT_FATAL(fp_ctrl_replace_spd(c, &bypass, 1, err, sizeof(err)) == 0);
	app_gw_set_ctrl(c);
	child(&ci);
	CU_ASSERT_EQUAL(app_gw_install_child(&ci, err, sizeof(err)), 0);
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0xc0000001));
	int slot = fp_ctrl_out_slot(c, 0xd0000001);
	CU_ASSERT_FATAL(slot >= 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 3);                 /* child's two in front of bypass */
	uint8_t src[4], dst[4];
	inet_pton(AF_INET, "198.51.100.7", src);
	inet_pton(AF_INET, "203.0.113.9", dst);
	uint32_t res = fp_ctrl_spd_result(c, 4, 17, src, dst, 0, 53);
	CU_ASSERT_EQUAL(fp_spd_action(res), FP_SPD_PROTECT);
	CU_ASSERT_EQUAL(fp_spd_slot(res), (uint32_t)slot);
	res = fp_ctrl_spd_result(c, 4, 17, src, dst, 0, 54);
	CU_ASSERT_EQUAL(fp_spd_action(res), FP_SPD_BYPASS);

	/* Another peer chose the same outbound SPI: refused whole, and its
	 * CHILD_DOWN takes nothing of the first child. */
	struct ike_child_info other = ci;
	other.spi_in = 0xc0000002;
	CU_ASSERT_EQUAL(app_gw_install_child(&other, err, sizeof(err)), -EEXIST);
	CU_ASSERT(strstr(err, "outbound SA 0xd0000001: SPI already installed") != NULL);
	CU_ASSERT(!fp_ctrl_has_in_sa(c, 0xc0000002));
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 3);
	CU_ASSERT_EQUAL(app_gw_remove_child(&other, err, sizeof(err)), -ENOENT);
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0xc0000001));
	CU_ASSERT(fp_ctrl_out_slot(c, 0xd0000001) == slot);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 3);
	CU_ASSERT(app_gw_spi_in_use(0xc0000001) && !app_gw_spi_in_use(0xc0000002));
	/* Fast-path events find the installed child, by either SPI. */
	uint32_t in = 0;
	CU_ASSERT(app_gw_child_of(FP_DIR_OUT, 0xd0000001, &in) && in == 0xc0000001);
	CU_ASSERT(app_gw_child_of(FP_DIR_IN, 0xc0000001, &in) && in == 0xc0000001);
	CU_ASSERT(!app_gw_child_of(FP_DIR_IN, 0xd0000001, &in));
	CU_ASSERT(!app_gw_child_of(FP_DIR_IN, 0xc0000002, &in));

	CU_ASSERT_EQUAL(app_gw_remove_child(&ci, err, sizeof(err)), 0);
	CU_ASSERT(!fp_ctrl_has_in_sa(c, 0xc0000001));
	CU_ASSERT(fp_ctrl_out_slot(c, 0xd0000001) < 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 1);
	CU_ASSERT_EQUAL(app_gw_remove_child(&ci, err, sizeof(err)), -ENOENT);   /* once */
	CU_ASSERT(!app_gw_child_of(FP_DIR_OUT, 0xd0000001, &in));
	struct fp_ctrl_stats st;
	fp_ctrl_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.req_failed, 0);
	app_gw_set_ctrl(NULL);
	fp_ctrl_free(c);
}

/* ---- configuration ---- */

static int parse(const char *text, struct app_config *cfg, char *err, size_t len)
{
	return app_config_parse(text, strlen(text), cfg, err, len);
}

static const char *load_file(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_config_fastpath(void)
{
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	struct fp_sa_params p;
	struct fp_spd_rule r;
	char err[256] = "";
	const char *text = load_file("tests/fastpath/gw.json");

	CU_ASSERT_FATAL(cfg != NULL && text != NULL);
	CU_ASSERT_EQUAL_FATAL(parse(text, cfg, err, sizeof(err)), 0);
	const struct app_fp_cfg *f = &cfg->fastpath;
	CU_ASSERT(f->present);
	CU_ASSERT_EQUAL(f->n_ports, 2);
	CU_ASSERT_EQUAL(f->n_sas, 4);
	CU_ASSERT_EQUAL(f->n_policies, 5);
	CU_ASSERT_EQUAL(f->n_routes, 2);
	CU_ASSERT_EQUAL(cfg->n_conns, 0);
	CU_ASSERT_STRING_EQUAL(f->ports[1].device, "net_pcap1");
	CU_ASSERT_EQUAL(f->sas[1].spi, 0x1002);
	CU_ASSERT(f->sas[1].encap && f->sas[1].out);
	CU_ASSERT_EQUAL(f->policies[2].spi, 4098);
	CU_ASSERT_EQUAL(f->policies[1].proto, 17);
	CU_ASSERT_EQUAL(f->routes[0].plen, 24);
	CU_ASSERT_EQUAL(f->routes[1].port, 1);
	CU_ASSERT_EQUAL(f->routes[0].mac[5], 5);
	CU_ASSERT_EQUAL(app_gw_static_sa(&f->sas[1], &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.cipher, FP_CIPHER_AES_CBC);
	CU_ASSERT_EQUAL(p.auth, FP_AUTH_HMAC_SHA256_128);
	CU_ASSERT_EQUAL(p.encap_remote_port, 4500);
	CU_ASSERT_EQUAL(app_gw_static_sa(&f->sas[2], &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.n_sel, 1);
	CU_ASSERT_EQUAL(p.replay_window, 128);
	app_gw_policy(&f->policies[0], &r);
	CU_ASSERT_EQUAL(r.action, FP_SPD_DISCARD);
	CU_ASSERT_EQUAL(r.sel.src_lo[3], 66);
	CU_ASSERT_EQUAL(r.sel.src_hi[3], 66);
	CU_ASSERT_EQUAL(r.sel.dst_hi[0], 255);
	CU_ASSERT_EQUAL(f->crypto.backend, APP_FP_CRYPTO_IMB);     /* default */
	CU_ASSERT_EQUAL(f->ports[0].mtu, 1500);                    /* default */
	CU_ASSERT_EQUAL(f->ports[1].mtu, 1500);                    /* given */
	CU_ASSERT_EQUAL(f->reasm_max, 256);                        /* default */
	CU_ASSERT_EQUAL(f->reasm_timeout_ms, 200);                 /* given */
	app_config_clear(cfg);
	/* Keys wiped. */
	CU_ASSERT_EQUAL(cfg->fastpath.sas[0].key[0], 0);

	/* Crypto backend: a QAT-style device name with ':' and a probe string. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		"\"crypto\":{\"backend\":\"cryptodev\",\"devargs\":\"0000:6b:00.1\","
		"\"device\":\"0000:6b:00.1_qat_sym\",\"profile\":\"qat\",\"qp_desc\":4096,\"timeout_us\":20000}}}",
		cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->crypto.backend, APP_FP_CRYPTO_CRYPTODEV);
	CU_ASSERT_STRING_EQUAL(f->crypto.device, "0000:6b:00.1_qat_sym");
	CU_ASSERT_STRING_EQUAL(f->crypto.devargs, "0000:6b:00.1");
	CU_ASSERT_STRING_EQUAL(f->crypto.profile, "qat");
	CU_ASSERT_EQUAL(f->crypto.qp_desc, 4096);
	CU_ASSERT_EQUAL(f->crypto.timeout_us, 20000);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		"\"crypto\":{\"backend\":\"imb\"}}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->crypto.backend, APP_FP_CRYPTO_IMB);
	CU_ASSERT_EQUAL(f->rx_burst, 0);                      /* the worker's default */
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		"\"crypto\":{\"imb_short_arch\":\"sse\",\"imb_short_max\":1024}}}",
		cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_SSE);
	CU_ASSERT_EQUAL(f->crypto.imb_short_max, 1024);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		"\"crypto\":{\"imb_short_arch\":\"off\"}}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_OFF);
	CU_ASSERT_EQUAL(f->crypto.imb_short_max, 0);          /* the backend's default */
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		"\"crypto\":{\"imb_short_arch\":\"avx2\"}}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_AVX2);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		"\"crypto\":{\"imb_short_arch\":\"auto\"}}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_AUTO);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"rx_burst\":64,\"ports\":[{\"name\":\"a\"}]}}",
		cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->rx_burst, 64);
	CU_ASSERT_EQUAL(f->reasm_timeout_ms, 2000);                /* default */
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"reassembly\":{\"max_datagrams\":0},"
		"\"ports\":[{\"name\":\"a\",\"mtu\":9000}]}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->reasm_max, 0);                          /* reassembly off */
	CU_ASSERT_EQUAL(f->ports[0].mtu, 9000);
	app_config_clear(cfg);
	/* replay_window 0 given: anti-replay off, and the SA accepts it */
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\","
		"\"addresses\":[\"192.0.2.1\"]}],\"static_sas\":[{\"spi\":300,\"dir\":\"in\","
		"\"local\":\"192.0.2.1\",\"remote\":\"192.0.2.2\",\"cipher\":\"null\","
		"\"auth\":\"sha256\",\"auth_key\":"
		"\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
		"\"replay_window\":0}]}}", cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f->sas[0].replay_window, FP_REPLAY_OFF);
	CU_ASSERT_EQUAL(app_gw_static_sa(&f->sas[0], &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_sa_params_check(&p, err, sizeof(err)), 0);
	app_config_clear(cfg);

	static const struct { const char *json, *err; } bad[] = {
		{ "{\"fastpath\":{}}", "fastpath: at least one port" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"x\":1}}", "fastpath.x: unknown key" },
		{ "{\"fastpath\":{\"workers\":0,\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.workers: expected integer 1-16" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}",
		  "fastpath.ports[1].name: duplicate port name" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"mtu\":1000}]}}",
		  "fastpath.ports[0].mtu: expected integer 1280-9216, got 1000" },
		{ "{\"fastpath\":{\"reassembly\":{\"timeout_ms\":5},\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.reassembly.timeout_ms: expected integer 10-60000, got 5" },
		{ "{\"fastpath\":{\"reassembly\":{\"max\":5},\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.reassembly.max: unknown key" },
		{ "{\"fastpath\":{\"crypto\":{\"imb_short_arch\":\"avx512\"},\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.crypto.imb_short_arch: unknown 'avx512' (auto, off, sse, avx, avx2)" },
		{ "{\"fastpath\":{\"crypto\":{\"imb_short_max\":8},\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.crypto.imb_short_max: expected integer 16-9216, got 8" },
		{ "{\"fastpath\":{\"crypto\":{\"backend\":\"cryptodev\",\"device\":\"x\","
		  "\"imb_short_arch\":\"off\"},\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.crypto: 'imb_short_arch' and 'imb_short_max' only with backend 'imb' "
		  "(a cryptodev PMD picks its own code)" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"1.2.3\"]}]}}",
		  "fastpath.ports[0].addresses[0]: invalid address" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}],"
		  "\"static_sas\":[{\"spi\":255,\"dir\":\"in\",\"local\":\"192.0.2.1\","
		  "\"remote\":\"192.0.2.2\",\"cipher\":\"null\"}]}}",
		  "fastpath.static_sas[0].spi: expected SPI" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}],"
		  "\"static_sas\":[{\"spi\":300,\"dir\":\"in\",\"local\":\"192.0.2.1\","
		  "\"remote\":\"192.0.2.2\",\"cipher\":\"aes128gcm16\",\"key\":\"0011\"}]}}",
		  "fastpath.static_sas[0].key: expected 20 bytes in hex" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}],"
		  "\"static_sas\":[{\"spi\":300,\"dir\":\"in\",\"local\":\"192.0.2.1\","
		  "\"remote\":\"192.0.2.2\",\"cipher\":\"aes128\",\"key\":"
		  "\"00112233445566778899aabbccddeeff\"}]}}",
		  "fastpath.static_sas[0]: cipher 'aes128' needs 'auth'" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}],"
		  "\"static_sas\":[{\"spi\":300,\"dir\":\"in\",\"local\":\"192.0.2.9\","
		  "\"remote\":\"192.0.2.2\",\"cipher\":\"null\",\"auth\":\"sha256\",\"auth_key\":"
		  "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}]}}",
		  "fastpath.static_sas[0]: local is not an address of any fastpath port" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"policies\":[{\"src\":\"0.0.0.0/0\","
		  "\"dst\":\"::/0\",\"action\":\"bypass\"}]}}",
		  "fastpath.policies[0]: src and dst of different families" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"policies\":[{\"src\":\"0.0.0.0/0\","
		  "\"dst\":\"0.0.0.0/0\",\"action\":\"protect\",\"sa\":\"0x1000\"}]}}",
		  "fastpath.policies[0]: sa 0x00001000 is not an outbound static SA" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"policies\":[{\"src\":\"0.0.0.0/0\","
		  "\"dst\":\"0.0.0.0/0\",\"action\":\"bypass\",\"dport\":\"9-3\"}]}}",
		  "fastpath.policies[0].dport: expected a port" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"routes\":[{\"dst\":\"192.0.2.1-192.0.2.5\","
		  "\"port\":\"a\"}]}}", "fastpath.routes[0].dst: '192.0.2.1-192.0.2.5' is not a prefix" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"routes\":[{\"dst\":\"192.0.2.0/24\","
		  "\"port\":\"b\"}]}}", "fastpath.routes[0].port: no port named 'b'" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"routes\":[{\"dst\":\"192.0.2.0/24\","
		  "\"port\":\"a\",\"mac\":\"02:00\"}]}}", "fastpath.routes[0].mac: invalid MAC" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}],"
		  "\"static_sas\":[{\"spi\":300,\"dir\":\"in\",\"local\":\"192.0.2.1\","
		  "\"remote\":\"192.0.2.2\",\"cipher\":\"null\",\"auth\":\"sha256\",\"auth_key\":"
		  "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
		  "\"replay_window\":32}]}}",
		  "fastpath.static_sas[0].replay_window: must be 0 (off) or a power of two in [64, 4096]" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}],"
		  "\"static_sas\":[{\"spi\":300,\"dir\":\"in\",\"local\":\"192.0.2.1\","
		  "\"remote\":\"192.0.2.2\",\"cipher\":\"null\",\"auth\":\"sha256\",\"auth_key\":"
		  "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
		  "\"esn\":true,\"replay_window\":0}]}}",
		  "fastpath.static_sas[0].replay_window: 0 (anti-replay off) cannot be used with esn" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"qat\"}}}",
		  "fastpath.crypto.backend: unknown backend 'qat' (imb, cryptodev)" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":1}}}",
		  "fastpath.crypto.backend: expected string" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\"}}}",
		  "fastpath.crypto: backend 'cryptodev' needs 'device' or 'devargs'" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"device\":\"c0\"}}}",
		  "fastpath.crypto: 'device', 'devargs', 'profile', 'qp_desc' and 'timeout_us' only "
		  "with backend 'cryptodev'" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"timeout_us\":10}}}",
		  "fastpath.crypto: 'device', 'devargs', 'profile', 'qp_desc' and 'timeout_us' only "
		  "with backend 'cryptodev'" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"c0\",\"timeout_us\":0}}}",
		  "fastpath.crypto.timeout_us: expected integer 1-1000000" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"a b\"}}}", "fastpath.crypto.device: invalid cryptodev name" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"0123456789012345678901234567890123456789012345678901234567890123\"}}}",
		  "fastpath.crypto.device: too long (at most 63 characters)" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"c0\",\"qp_desc\":100}}}", "fastpath.crypto.qp_desc: must be a power of two" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"c0\",\"qp_desc\":16}}}", "fastpath.crypto.qp_desc: expected integer 32-16384" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"c0\",\"vdev\":\"x\"}}}", "fastpath.crypto.vdev: unknown key" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":\"imb\"}}",
		  "fastpath.crypto: expected object" },
		{ "{\"fastpath\":{\"rx_burst\":65,\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.rx_burst: expected integer 8-64" },
		{ "{\"fastpath\":{\"rx_burst\":4,\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.rx_burst: expected integer 8-64" },
		{ "{\"fastpath\":{\"rx_burst\":36,\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.rx_burst: must be a multiple of 8 (8-64)" },
		{ "{\"local\":{}}", "top level: at least one connection is required" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].json, cfg, err, sizeof(err));

		CU_ASSERT_EQUAL(rc, -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0) {
			fprintf(stderr, "\n  case %zu: got '%s'\n  want '%s...'\n", i, err, bad[i].err);
			CU_FAIL("error message");
		}
	}
	free(cfg);
}

/* n bytes of src into dst (a vector test_unhex() decoded once, fresh
 * again after a test changed it); returns n. */
static size_t put(uint8_t *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	return n;
}

/* An Ethernet frame around IP packet ip. */
static size_t frame(uint8_t *f, const uint8_t *ip, size_t len, uint16_t et)
{
	memset(f, 0, 14);
	f[12] = (uint8_t)(et >> 8);
	f[13] = (uint8_t)et;
	memcpy(f + 14, ip, len);
	return len + 14;
}

/* A gateway's connections must fit its ports and routes (--check and
 * start-up say which does not). */
static void test_check_conns(void)
{
	static const struct {
		const char *local, *remote, *route;
		const char *err;               /* NULL: fits */
	} cases[] = {
		{ "192.0.2.1", "192.0.2.2", "192.0.2.0/24", NULL },
		{ "192.0.2.1", "192.0.2.200", "192.0.2.128/25", NULL },
		{ "192.0.2.1", "192.0.2.2", "192.0.2.128/25",
		  "connection 'c': no route to remote_addr 192.0.2.2" },
		{ "192.0.2.1", "203.0.113.7", "0.0.0.0/0", NULL },
		{ "192.0.2.9", "192.0.2.2", "192.0.2.0/24",
		  "connection 'c': local_addr 192.0.2.9 is not an address of a fastpath port" },
		{ "2001:db8::1", "2001:db8::2", "2001:db8::/64", NULL },
		{ "2001:db8::1", "2001:db8:1::2", "2001:db8::/63",
		  "connection 'c': no route to remote_addr 2001:db8:1::2" },
	};
	struct app_config *cfg = calloc(1, sizeof(*cfg));
	char json[1024], err[256];

	CU_ASSERT_FATAL(cfg != NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json),
			 "{\"connections\":[{\"name\":\"c\",\"local_addr\":\"%s\",\"remote_addr\":\"%s\","
			 "\"auth\":{\"method\":\"psk\",\"psk\":\"0123456789abcdef0123\"},"
			 "\"children\":[{\"name\":\"n\",\"local_ts\":[\"198.51.100.0/24\"],"
			 "\"remote_ts\":[\"203.0.113.0/24\"]}]}],"
			 "\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\","
			 "\"2001:db8::1\"]}],\"routes\":[{\"dst\":\"%s\",\"port\":\"a\"}]}}",
			 cases[i].local, cases[i].remote, cases[i].route);
		memset(cfg, 0, sizeof(*cfg));
		CU_ASSERT_FATAL(parse(json, cfg, err, sizeof(err)) == 0);
		int rc = app_gw_check_conns(cfg, err, sizeof(err));

		if (cases[i].err == NULL) {
			CU_ASSERT_EQUAL(rc, 0);
		} else {
			CU_ASSERT_EQUAL(rc, -EINVAL);
			if (rc != -EINVAL || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0) {
				fprintf(stderr, "\n  case %zu: got '%s'\n", i, rc ? err : "");
				CU_FAIL("error message");
			}
		}
		app_config_clear(cfg);
	}
	free(cfg);
}

/* A correct header checksum again after an edit of an IPv4 header. */
static void ip4_sum(uint8_t *ip)
{
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
	memcpy(ip + 10, &c, 2);
}

/* A mutation of the base bytes of p (1 to edits random bytes changed in
 * place) cut to a random length *len, in a buffer of exactly that size so
 * that ASan sees a read past it; free() it. */
static uint8_t *mutated(uint8_t *p, size_t base, int edits, size_t *len)
{
	uint8_t *g;

	*len = (size_t)rand() % (base + 1);
	for (int k = rand() % edits; k >= 0; k--)
		p[rand() % base] = (uint8_t)rand();
	g = malloc(*len ? *len : 1);
	CU_ASSERT_FATAL(g != NULL);
	memcpy(g, p, *len);
	return g;
}

/* gw_ike_parse() of frame f gives rc, with reason why (NULL: none). */
static bool parse_is(const uint8_t *f, size_t fl, const struct fp_local *loc, int rc,
		     const char *why)
{
	ike_addr_t l, r;
	const uint8_t *pl;
	const char *w = NULL;
	size_t pll;
	int got = gw_ike_parse(f, fl, loc, &l, &r, &pl, &pll, &w);

	if (got != rc || (why == NULL) != (w == NULL) || (why && strcmp(w, why) != 0)) {
		fprintf(stderr, "\n  gw_ike_parse: %d '%s', want %d '%s'\n", got, w ? w : "",
			rc, why ? why : "");
		return false;
	}
	return true;
}

/* IKE datagrams on the gateway's control core (app/gateway/gw_ike.c): the packets
 * it builds are byte for byte what scapy builds (headers, both checksums),
 * and what it accepts from the punt ring is checked like a kernel would. */
static void test_ike_datagrams(void)
{
	/* scapy: IP(src=192.0.2.2, dst=192.0.2.1, id=0x1234, ttl=64) /
	 * UDP(500, 500) / bytes 1..11, and IPv6(2001:db8::2 -> ::1, hlim 64) /
	 * UDP(4500, 4500) / non-ESP marker + bytes 1..11. */
	static const char *const v4 =
		"45000027123400004011e48ec0000202c000020101f401f4001353be0102030405060708090a0b";
	static const char *const v6 =
		"600000000017114020010db800000000000000000000000220010db8000000000000000000000001"
		"1194119400175d05000000000102030405060708090a0b";
	uint8_t b4[64], b6[96], ip[128], f[256], pay[16];
	ike_addr_t peer4, us4, peer6, us6, l, r;
	struct fp_local loc = { .n4 = 1, .n6 = 1, .ike_port = 500, .natt_port = 4500 };
	const uint8_t *pl;
	const char *why;
	size_t n, wn, fl, pll, n4, n6;

	for (unsigned i = 0; i < 11; i++)
		pay[i] = (uint8_t)(i + 1);
	CU_ASSERT_FATAL(ike_addr_parse("192.0.2.2", &peer4) == 0 &&
			ike_addr_parse("192.0.2.1", &us4) == 0 &&
			ike_addr_parse("2001:db8::2", &peer6) == 0 &&
			ike_addr_parse("2001:db8::1", &us6) == 0);
	peer4.port = us4.port = 500;
	peer6.port = us6.port = 4500;
	memcpy(&loc.a4[0], us4.a, 4);
	memcpy(loc.a6[0], us6.a, 16);

	n4 = test_unhex(v4, b4, sizeof(b4));
	n6 = test_unhex(v6, b6, sizeof(b6));
	/* Built: the peer's message, as scapy has it. */
	wn = n4;
	n = gw_ike_build_ip(&peer4, &us4, pay, 11, 0x1234, ip, sizeof(ip));
	CU_ASSERT_EQUAL(n, wn);
	CU_ASSERT(memcmp(ip, b4, wn) == 0);
	CU_ASSERT_EQUAL(gw_ike_build_ip(&peer4, &us4, pay, 11, 0x1234, ip, n - 1), 0);
	CU_ASSERT_EQUAL(gw_ike_build_ip(&peer4, &us6, pay, 11, 0, ip, sizeof(ip)), 0);
	memset(pay, 0, 4);
	for (unsigned i = 0; i < 11; i++)
		pay[4 + i] = (uint8_t)(i + 1);
	wn = n6;
	n = gw_ike_build_ip(&peer6, &us6, pay, 15, 0, ip, sizeof(ip));
	CU_ASSERT_EQUAL(n, wn);
	CU_ASSERT(memcmp(ip, b6, wn) == 0);

	/* Parsed: scapy's packets are IKE for us, payload and addresses out. */
	fl = frame(f, b6, n6, 0x86dd);
	CU_ASSERT_EQUAL(gw_ike_parse(f, fl, &loc, &l, &r, &pl, &pll, &why), 1);
	CU_ASSERT(ike_addr_eq(&l, &us6) && ike_addr_eq(&r, &peer6));
	CU_ASSERT(pll == 15 && pl == f + 14 + 48 && memcmp(pl, pay, 15) == 0);
	fl = frame(f, b4, n4, 0x0800);
	CU_ASSERT_EQUAL(gw_ike_parse(f, fl, &loc, &l, &r, &pl, &pll, &why), 1);
	CU_ASSERT(ike_addr_eq(&l, &us4) && ike_addr_eq(&r, &peer4));
	CU_ASSERT(pll == 11 && pl[0] == 1 && pl[10] == 11);
	CU_ASSERT_EQUAL(gw_ike_parse(f, fl + 6, &loc, &l, &r, &pl, &pll, &why), 1); /* padding */

#define PARSE_IS(rc_, why_) \
	CU_ASSERT(parse_is(f, fl, &loc, rc_, why_))
	/* Kernel-like checks, each a reason of its own. */
	f[14 + 28 + 3] ^= 1;                               /* payload */
	PARSE_IS(-1, "bad UDP checksum");
	f[14 + 28 + 3] ^= 1;
	f[14 + 8] ^= 1;                                    /* TTL: header checksum */
	PARSE_IS(-1, "bad IPv4 header checksum");
	f[14 + 8] ^= 1;
	f[14 + 26] = f[14 + 27] = 0;                       /* no UDP checksum: allowed */
	PARSE_IS(1, NULL);
	f[14 + 25] = 8 + 12;                               /* UDP length past the packet */
	PARSE_IS(-1, "bad UDP length");
	f[14 + 25] = 7;
	PARSE_IS(-1, "bad UDP length");
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 6] = 0x20;                                  /* MF: a fragment */
	PARSE_IS(-1, "bad IPv4 header");
	fl = frame(f, b4, n4, 0x0800);
	PARSE_IS(1, NULL);
	fl -= 1;                                           /* truncated */
	PARSE_IS(-1, "bad IPv4 header");
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 23] = 0xf5;                                 /* port 501: not IKE */
	PARSE_IS(0, NULL);
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 19] = 9;                                    /* not our address */
	PARSE_IS(0, NULL);
	fl = frame(f, b4, n4, 0x0800);
	f[14 + 12] = 224;                                  /* multicast source */
	ip4_sum(f + 14);
	PARSE_IS(-1, "martian IPv4 source");
	fl = frame(f, b4, n4, 0x0800);
	memcpy(f + 14 + 12, f + 14 + 16, 4);               /* our own address */
	ip4_sum(f + 14);
	PARSE_IS(-1, "martian IPv4 source");
	fl = frame(f, b6, n6, 0x86dd);
	memset(f + 14 + 8, 0, 16);                         /* :: */
	PARSE_IS(-1, "martian IPv6 source");
	fl = frame(f, b6, n6, 0x86dd);
	f[14 + 8] = 0xff;                                  /* multicast */
	PARSE_IS(-1, "martian IPv6 source");
	fl = frame(f, b4, n4, 0x0806);      /* ARP */
	PARSE_IS(0, NULL);
	fl = 13;
	PARSE_IS(0, NULL);
	fl = frame(f, b6, n6, 0x86dd);
	f[14 + 46] = f[14 + 47] = 0;                       /* IPv6 must have one */
	PARSE_IS(-1, "IPv6 UDP without checksum");
	fl = frame(f, b6, n6, 0x86dd);
	f[14 + 5] = 0x40;                                  /* payload length past the frame */
	PARSE_IS(-1, "bad IPv6 payload length");
#undef PARSE_IS

	/* Mutations of both: never a read outside the frame (ASan in make
	 * asan), and what is accepted lies inside it. */
	srand(7);
	for (unsigned i = 0; i < 20000; i++) {
		size_t base = i & 1 ? frame(f, b6, n6, 0x86dd)
				    : frame(f, b4, n4, 0x0800);
		uint8_t *g = mutated(f, base, 4, &fl);
		int rc;

		rc = gw_ike_parse(g, fl, &loc, &l, &r, &pl, &pll, &why);
		if (rc == 1)
			CU_ASSERT(pl >= g + 14 && pl + pll <= g + fl);
		CU_ASSERT(rc >= -1 && rc <= 1);
		free(g);
	}
}

/* Echo replies for our addresses: byte for byte what scapy builds (IPv4:
 * identification 0, set by the sender later), and nothing for what is not
 * an echo request to us. */
static void test_echo_reply(void)
{
	static const char *const req4 =
		"45000024000100003c01fad4c0000202c00002010800542f123400076162636465666768";
	static const char *const rep4 =
		"45000024000000004001f6d5c0000201c000020200005c2f123400076162636465666768";
	static const char *const req6 =
		"6000000000103a3c20010db800000000000000000000000220010db8000000000000000000000001"
		"8000806f123400076162636465666768";
	static const char *const rep6 =
		"6000000000103a4020010db800000000000000000000000120010db8000000000000000000000002"
		"81007f6f123400076162636465666768";
	struct fp_local loc = { .n4 = 1, .n6 = 1 };
	uint8_t in[128], out[128], fam, dst[16], q4[64], r4[64], q6[64], r6[64];
	size_t n, wn, nq4, nr4, nq6, nr6;

	inet_pton(AF_INET, "192.0.2.1", &loc.a4[0]);
	inet_pton(AF_INET6, "2001:db8::1", loc.a6[0]);
	nq4 = test_unhex(req4, q4, sizeof(q4));
	nr4 = test_unhex(rep4, r4, sizeof(r4));
	nq6 = test_unhex(req6, q6, sizeof(q6));
	nr6 = test_unhex(rep6, r6, sizeof(r6));
	n = put(in, q4, nq4);
	wn = nr4;
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), wn);
	CU_ASSERT(memcmp(out, r4, wn) == 0 && fam == 4 && memcmp(dst, in + 12, 4) == 0);
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n + 4, &loc, out, sizeof(out), &fam, dst), wn);
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, wn - 1, &fam, dst), 0);
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n - 1, &loc, out, sizeof(out), &fam, dst), 0);
	in[n - 1] ^= 1;                                   /* ICMP checksum */
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	in[n - 1] ^= 1;
	in[19] = 9;                                       /* not ours */
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q4, nq4);
	in[20] = 0;                                       /* a reply, not a request */
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q4, nq4);
	in[12] = 224;                                     /* multicast source */
	ip4_sum(in);
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q4, nq4);
	in[6] = 0x20;                                     /* a fragment */
	ip4_sum(in);
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);

	n = put(in, q6, nq6);
	wn = nr6;
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), wn);
	CU_ASSERT(memcmp(out, r6, wn) == 0 && fam == 6 && memcmp(dst, in + 8, 16) == 0);
	in[n - 1] ^= 1;                                   /* ICMPv6 checksum */
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	in[n - 1] ^= 1;
	in[8] = 0xff;                                     /* multicast source */
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);
	n = put(in, q6, nq6);
	in[5] = 0x40;                                     /* payload past the frame */
	CU_ASSERT_EQUAL(gw_icmp_echo_reply(in, n, &loc, out, sizeof(out), &fam, dst), 0);

	/* mutations: never a read outside the packet (ASan in make asan) */
	srand(11);
	for (unsigned i = 0; i < 20000; i++) {
		size_t base = i & 1 ? put(in, q6, nq6) : put(in, q4, nq4), len;
		uint8_t *g = mutated(in, base, 3, &len);

		n = gw_icmp_echo_reply(g, len, &loc, out, sizeof(out), &fam, dst);
		CU_ASSERT(n == 0 || (n <= len + 20 && n <= sizeof(out)));
		free(g);
	}
}

static const struct test_case cases[] = {
	{ "child_sa_to_fastpath_params", test_child_params },
	{ "install_child_through_ctrl", test_install_child },
	{ "config_fastpath_section", test_config_fastpath },
	{ "ike_datagrams_on_the_control_core", test_ike_datagrams },
	{ "connections_fit_ports_and_routes", test_check_conns },
	{ "echo_replies_for_our_addresses", test_echo_reply },
	{ NULL, NULL },
};
TEST_SUITE(gw, cases)
