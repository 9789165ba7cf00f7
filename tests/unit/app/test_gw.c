/* SPDX-License-Identifier: BSD-3-Clause */
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
#include "app/common/log.h"
#include "app/gateway/gw.h"
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
	CU_ASSERT_EQUAL(r[0].spi, 0xc0000001); /* the outbound SA's key: our inbound SPI */
	CU_ASSERT_EQUAL(out.out_key, 0xc0000001);
	CU_ASSERT_EQUAL(in.out_key, 0);
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

struct activity {
	unsigned n;
	uint64_t spi_i, spi_r;
};

static void on_active(void *arg, uint64_t spi_i, uint64_t spi_r)
{
	struct activity *a = arg;

	a->n++;
	a->spi_i = spi_i;
	a->spi_r = spi_r;
}

/* Inbound packets on an installed child are told once per change, under
 * its IKE SA's SPIs, which follow an IKE rekey. */
static void check_activity(struct app_gw_children *ch, struct fp_ctrl *c,
			   const struct ike_child_info *ci)
{
	struct ike_event ev = { .type = IKE_EV_IKE_REKEYED, .spi_i = 0x1111, .spi_r = 0x2222 };
	struct activity a = { 0 };
	struct fp_sa *sa = fp_ctrl_in_sa(c, ci->spi_in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_EQUAL(app_gw_children_active(ch, on_active, &a), 0);
	sa->stats.packets += 5;
	CU_ASSERT_EQUAL(app_gw_children_active(ch, on_active, &a), 1);
	CU_ASSERT(a.n == 1 && a.spi_i == ci->ike_spi_i && a.spi_r == ci->ike_spi_r);
	CU_ASSERT_EQUAL(app_gw_children_active(ch, on_active, &a), 0);
	ev.old_spi_i = ci->ike_spi_i;
	ev.old_spi_r = ci->ike_spi_r;
	app_gw_children_ike_rekeyed(ch, &ev);
	sa->stats.packets++;
	CU_ASSERT_EQUAL(app_gw_children_active(ch, on_active, &a), 1);
	CU_ASSERT(a.n == 2 && a.spi_i == 0x1111 && a.spi_r == 0x2222);
}

static uint32_t spd_slot(const struct fp_ctrl *c)
{
	uint8_t src[4], dst[4];

	inet_pton(AF_INET, "198.51.100.7", src);
	inet_pton(AF_INET, "203.0.113.9", dst);
	return fp_spd_slot(fp_ctrl_spd_result(c, 4, 17, src, dst, 0, 53));
}

/* A control core for the registry tests, and the registry on it. */
static struct fp_ctrl *gw_ctrl_new(const char *name, struct app_gw_children **ch)
{
	struct fp_ctrl_cfg cfg = { .name = name, .n_workers = 1, .max_sa = 64 };
	char err[160];
	struct fp_ctrl *c;

	CU_ASSERT_FATAL(test_eal_init() == 0);
	c = fp_ctrl_create(&cfg, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	*ch = app_gw_children_new(c);
	CU_ASSERT_FATAL(*ch != NULL);
	return c;
}

/* old's successor after a CHILD rekey: same selectors, SPIs in / out. */
static struct ike_child_info rekeyed(const struct ike_child_info *old, uint32_t in, uint32_t out)
{
	struct ike_child_info n = *old;

	n.spi_in = in;
	n.spi_out = out;
	n.old_spi_in = old->spi_in;
	return n;
}

/* Make before break: a rekeyed child with the same selectors is installed
 * beside the old one, traffic stays on the old SA until the old child's
 * CHILD_DOWN and then moves to the new one in one SPD generation; the old
 * inbound SA stays for late packets. A rekey that changes the selectors
 * puts its policies in front at once. */
static void test_make_before_break(void)
{
	struct ike_child_info a, b, d;
	char err[160];

	struct app_gw_children *ch;
	struct fp_ctrl *c = gw_ctrl_new("gwm", &ch);

	child(&a);
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &a, err, sizeof(err)), 0);
	b = rekeyed(&a, 0xc0000002, 0xd0000002);
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &b, err, sizeof(err)), 0);
	CU_ASSERT(fp_ctrl_has_in_sa(c, b.spi_in) && fp_ctrl_out_slot(c, b.spi_in) >= 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 2); /* a's only */
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, a.spi_in));
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 2);
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, b.spi_in));
	CU_ASSERT(fp_ctrl_out_slot(c, a.spi_in) < 0);
	CU_ASSERT(fp_ctrl_has_in_sa(c, a.spi_in)); /* grace */
	/* b rekeyed into d with other selectors: d's policies win at once. */
	d = rekeyed(&b, 0xc0000003, 0xd0000003);
	d.n_local_ts = 1;
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 3);
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, d.spi_in));
	app_gw_children_free(ch); /* takes the inbound SAs in their grace */
	CU_ASSERT(!fp_ctrl_has_in_sa(c, a.spi_in));
	fp_ctrl_free(c);
}

/* A rekey collision: both ends' new CHILD SAs (e, f) wait for the old one
 * (a). a's CHILD_DOWN hands the policies to e; e, the redundant one, goes
 * next and hands them to f, which must end with them. */
static void test_make_before_break_collision(void)
{
	struct ike_child_info a, e, f;
	char err[160];

	struct app_gw_children *ch;
	struct fp_ctrl *c = gw_ctrl_new("gwk", &ch);

	child(&a);
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &a, err, sizeof(err)), 0);
	e = rekeyed(&a, 0xc0000005, 0xd0000005);
	f = rekeyed(&a, 0xc0000006, 0xd0000006);
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, e.spi_in));
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 2);
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, f.spi_in));
	app_gw_children_free(ch);
	fp_ctrl_free(c);
}

/* The engine says which new SA of a collision is redundant (2.8.1): it
 * never takes the policies. Ours won after the peer's was announced: at
 * the old SA's CHILD_DOWN the policies go to ours, not to the first one
 * waiting (1 s of traffic to charon's redundant SA was lost in the soak
 * that way); if the old one went first, they move to ours at once. */
static void test_collision_redundant(void)
{
	struct ike_child_info a, e, f;
	char err[160];
	struct app_gw_children *ch;
	struct fp_ctrl *c = gw_ctrl_new("gwr", &ch);

	for (uint32_t old_first = 0; old_first < 2; old_first++) {
		child(&a); /* inbound SAs of removed children linger: new SPIs each round */
		a.spi_in += 0x100 * old_first;
		a.spi_out += 0x100 * old_first;
		CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &a, err, sizeof(err)), 0);
		e = rekeyed(&a, 0xc0000015 + 0x100 * old_first, 0xd0000015 + 0x100 * old_first);
		f = rekeyed(&a, 0xc0000016 + 0x100 * old_first, 0xd0000016 + 0x100 * old_first);
		/* e: the peer's, we answered it; f: ours, which won */
		f.redundant_in = e.spi_in;
		CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &e, err, sizeof(err)), 0);
		if (old_first) {
			CU_ASSERT_EQUAL(app_gw_remove_child(ch, &a, err, sizeof(err)), 0);
			CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, e.spi_in));
		}
		CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &f, err, sizeof(err)), 0);
		if (!old_first)
			CU_ASSERT_EQUAL(app_gw_remove_child(ch, &a, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, f.spi_in));
		/* the peer deletes its redundant SA: nothing moves */
		CU_ASSERT_EQUAL(app_gw_remove_child(ch, &e, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, f.spi_in));
		CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 2);
		CU_ASSERT_EQUAL(app_gw_remove_child(ch, &f, err, sizeof(err)), 0);
	}
	/* Ours lost: it never takes the policies, the peer's does. */
	child(&a);
	a.spi_in += 0x1000;
	a.spi_out += 0x1000;
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &a, err, sizeof(err)), 0);
	e = rekeyed(&a, 0xc0000025, 0xd0000025);
	f = rekeyed(&a, 0xc0000026, 0xd0000026);
	f.redundant = true;
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, e.spi_in));
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, e.spi_in));
	/* ... also when the old one is gone before ours is announced: ours
	 * has no predecessor and still takes nothing. */
	f = rekeyed(&e, 0xc0000036, 0xd0000036);
	f.redundant = true;
	f.old_spi_in = 0xc0000999; /* an SA the registry no longer holds */
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spd_slot(c), (uint32_t)fp_ctrl_out_slot(c, e.spi_in));
	app_gw_children_free(ch);
	fp_ctrl_free(c);
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
	struct app_gw_children *ch = app_gw_children_new(c);
	CU_ASSERT_FATAL(ch != NULL);
	child(&ci);
	CU_ASSERT_EQUAL(app_gw_install_child(ch, &ci, err, sizeof(err)), 0);
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0xc0000001));
	int slot = fp_ctrl_out_slot(c, 0xc0000001); /* named by our inbound SPI */
	CU_ASSERT_FATAL(slot >= 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 3); /* child's two in front of bypass */
	uint8_t src[4], dst[4];
	inet_pton(AF_INET, "198.51.100.7", src);
	inet_pton(AF_INET, "203.0.113.9", dst);
	uint32_t res = fp_ctrl_spd_result(c, 4, 17, src, dst, 0, 53);
	CU_ASSERT_EQUAL(fp_spd_action(res), FP_SPD_PROTECT);
	CU_ASSERT_EQUAL(fp_spd_slot(res), (uint32_t)slot);
	res = fp_ctrl_spd_result(c, 4, 17, src, dst, 0, 54);
	CU_ASSERT_EQUAL(fp_spd_action(res), FP_SPD_BYPASS);

	/* Another peer chose the same outbound SPI (its choice, as good as the
	 * first's): installed beside it, each child's traffic on its own SA,
	 * and its removal takes nothing of the first. */
	struct ike_child_info other = ci;
	other.spi_in = 0xc0000002;
	ts(&other.remote_ts[0], "203.0.113.128/25[udp/53]");
	CU_ASSERT_EQUAL(app_gw_install_child(ch, &other, err, sizeof(err)), 0);
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0xc0000002));
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 5);
	int slot2 = fp_ctrl_out_slot(c, 0xc0000002);
	CU_ASSERT(slot2 >= 0 && slot2 != slot);
	CU_ASSERT_EQUAL(fp_ctrl_out_sa(c, 0xc0000002)->spi, 0xd0000001); /* the wire SPI */
	inet_pton(AF_INET, "203.0.113.200", dst);
	CU_ASSERT_EQUAL(fp_spd_slot(fp_ctrl_spd_result(c, 4, 17, src, dst, 0, 53)),
			(uint32_t)slot2);
	inet_pton(AF_INET, "203.0.113.9", dst);
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &other, err, sizeof(err)), 0);
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0xc0000001));
	CU_ASSERT(fp_ctrl_out_slot(c, 0xc0000001) == slot);
	CU_ASSERT(fp_ctrl_out_slot(c, 0xc0000002) < 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 3);
	CU_ASSERT_EQUAL(app_gw_children_reap(ch, UINT64_MAX), 1); /* other's inbound SA */
	CU_ASSERT(app_gw_spi_in_use(ch, 0xc0000001) && !app_gw_spi_in_use(ch, 0xc0000002));
	check_activity(ch, c, &ci);
	/* CHILD_MOVED: the outbound SA moves in place, only for a child of ours. */
	struct ike_child_info moved = ci;
	moved.remote.a[3] = 99;
	CU_ASSERT_EQUAL(app_gw_move_child(ch, &moved, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_out_slot(c, 0xc0000001), slot);
	CU_ASSERT_EQUAL(app_gw_move_child(ch, &other, err, sizeof(err)), -ENOENT);
	/* Fast-path events find the installed child: inbound by its SPI,
	 * outbound by its key. */
	uint32_t in = 0;
	CU_ASSERT(app_gw_child_of(ch, FP_DIR_OUT, 0xc0000001, &in) && in == 0xc0000001);
	CU_ASSERT(app_gw_child_of(ch, FP_DIR_IN, 0xc0000001, &in) && in == 0xc0000001);
	CU_ASSERT(!app_gw_child_of(ch, FP_DIR_IN, 0xd0000001, &in));
	CU_ASSERT(!app_gw_child_of(ch, FP_DIR_IN, 0xc0000002, &in));

	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &ci, err, sizeof(err)), 0);
	/* the inbound SA stays a grace period for late packets */
	CU_ASSERT(fp_ctrl_has_in_sa(c, 0xc0000001));
	CU_ASSERT_EQUAL(app_gw_children_reap(ch, app_mono_ms()), 0);
	CU_ASSERT_EQUAL(app_gw_children_reap(ch, app_mono_ms() + GW_INBOUND_GRACE_MS + 1), 1);
	CU_ASSERT(!fp_ctrl_has_in_sa(c, 0xc0000001));
	CU_ASSERT(fp_ctrl_out_slot(c, 0xc0000001) < 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 1);
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &ci, err, sizeof(err)), -ENOENT); /* once */
	CU_ASSERT(!app_gw_child_of(ch, FP_DIR_OUT, 0xc0000001, &in));
	struct fp_ctrl_stats st;
	fp_ctrl_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.req_failed, 0);
	app_gw_children_free(ch);
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
	CU_ASSERT_EQUAL(f->crypto.backend, APP_FP_CRYPTO_IMB); /* default */
	CU_ASSERT_EQUAL(f->ports[0].mtu, 1500);                /* default */
	CU_ASSERT_EQUAL(f->ports[1].mtu, 1500);                /* given */
	CU_ASSERT_EQUAL(f->reasm_max, 256);                    /* default */
	CU_ASSERT_EQUAL(f->reasm_timeout_ms, 200);             /* given */
	app_config_clear(cfg);
	/* Keys wiped. */
	CU_ASSERT_EQUAL(cfg->fastpath.sas[0].key[0], 0);

	/* Crypto backend: a QAT-style device name with ':' and a probe string. */
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		      "\"crypto\":{\"backend\":\"cryptodev\",\"devargs\":\"0000:6b:00.1\","
		      "\"device\":\"0000:6b:00.1_qat_sym\",\"profile\":\"qat\",\"qp_desc\":4096,\"timeout_us\":20000}}}",
		      cfg, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(f->crypto.backend, APP_FP_CRYPTO_CRYPTODEV);
	CU_ASSERT_STRING_EQUAL(f->crypto.device, "0000:6b:00.1_qat_sym");
	CU_ASSERT_STRING_EQUAL(f->crypto.devargs, "0000:6b:00.1");
	CU_ASSERT_STRING_EQUAL(f->crypto.profile, "qat");
	CU_ASSERT_EQUAL(f->crypto.qp_desc, 4096);
	CU_ASSERT_EQUAL(f->crypto.timeout_us, 20000);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
				    "\"crypto\":{\"backend\":\"imb\"}}}",
				    cfg, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(f->crypto.backend, APP_FP_CRYPTO_IMB);
	CU_ASSERT_EQUAL(f->rx_burst, 0); /* the worker's default */
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
		      "\"crypto\":{\"imb_short_arch\":\"sse\",\"imb_short_max\":1024}}}",
		      cfg, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_SSE);
	CU_ASSERT_EQUAL(f->crypto.imb_short_max, 1024);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
				    "\"crypto\":{\"imb_short_arch\":\"off\"}}}",
				    cfg, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_OFF);
	CU_ASSERT_EQUAL(f->crypto.imb_short_max, 0); /* the backend's default */
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
				    "\"crypto\":{\"imb_short_arch\":\"avx2\"}}}",
				    cfg, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_AVX2);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],"
				    "\"crypto\":{\"imb_short_arch\":\"auto\"}}}",
				    cfg, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(f->crypto.imb_short, APP_FP_IMB_SHORT_AUTO);
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"rx_burst\":64,\"ports\":[{\"name\":\"a\"}]}}",
				    cfg, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(f->rx_burst, 64);
	CU_ASSERT_EQUAL(f->reasm_timeout_ms, 2000); /* default */
	app_config_clear(cfg);
	CU_ASSERT_EQUAL_FATAL(parse("{\"fastpath\":{\"reassembly\":{\"max_datagrams\":0},"
				    "\"ports\":[{\"name\":\"a\",\"mtu\":9000}]}}",
				    cfg, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(f->reasm_max, 0); /* reassembly off */
	CU_ASSERT_EQUAL(f->ports[0].mtu, 9000);
	app_config_clear(cfg);
	/* replay_window 0 given: anti-replay off, and the SA accepts it */
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"fastpath\":{\"ports\":[{\"name\":\"a\","
		      "\"addresses\":[\"192.0.2.1\"]}],\"static_sas\":[{\"spi\":300,\"dir\":\"in\","
		      "\"local\":\"192.0.2.1\",\"remote\":\"192.0.2.2\",\"cipher\":\"null\","
		      "\"auth\":\"sha256\",\"auth_key\":"
		      "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
		      "\"replay_window\":0}]}}",
		      cfg, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(f->sas[0].replay_window, FP_REPLAY_OFF);
	CU_ASSERT_EQUAL(app_gw_static_sa(&f->sas[0], &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_sa_params_check(&p, err, sizeof(err)), 0);
	app_config_clear(cfg);
	/* route-based: a child's if_id, a route into that interface */
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"connections\":[{\"name\":\"c\",\"local_addr\":\"192.0.2.1\","
		      "\"remote_addr\":\"192.0.2.2\",\"auth\":{\"method\":\"psk\",\"psk\":"
		      "\"0123456789abcdef0123\"},\"children\":[{\"name\":\"n\",\"local_ts\":["
		      "\"0.0.0.0/0\"],\"remote_ts\":[\"0.0.0.0/0\"],\"if_id\":7}]}],"
		      "\"fastpath\":{\"ports\":[{\"name\":\"a\",\"addresses\":[\"192.0.2.1\"]}],"
		      "\"routes\":[{\"dst\":\"192.0.2.0/24\",\"port\":\"a\"},"
		      "{\"dst\":\"203.0.113.0/24\",\"tunnel\":7}]}}",
		      cfg, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(cfg->conns[0].children[0].if_id, 7);
	CU_ASSERT_EQUAL(f->routes[1].tunnel, 7);
	CU_ASSERT_EQUAL(f->routes[0].tunnel, 0);
	app_config_clear(cfg);

	static const struct {
		const char *json, *err;
	} bad[] = {
		{ "{\"fastpath\":{}}", "fastpath: at least one port" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"x\":1}}",
		  "fastpath.x: unknown key" },
		{ "{\"fastpath\":{\"workers\":0,\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.workers: expected integer 1-16" },
		{ "{\"fastpath\":{\"max_sas\":63,\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.max_sas: expected integer 64-4194304" },
		{ "{\"fastpath\":{\"max_routes\":2000000,\"ports\":[{\"name\":\"a\"}]}}",
		  "fastpath.max_routes: expected integer 64-1048576" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"routes\":[{\"dst\":"
		  "\"203.0.113.0/24\",\"tunnel\":3,\"port\":\"a\"}]}}",
		  "fastpath.routes[0]: a route into a tunnel takes no port, via or mac" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"routes\":[{\"dst\":"
		  "\"203.0.113.0/24\",\"tunnel\":0}]}}",
		  "fastpath.routes[0].tunnel: expected integer 1-4294967294" },
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
		  "\"port\":\"a\"}]}}",
		  "fastpath.routes[0].dst: '192.0.2.1-192.0.2.5' is not a prefix" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"routes\":[{\"dst\":\"192.0.2.0/24\","
		  "\"port\":\"b\"}]}}",
		  "fastpath.routes[0].port: no port named 'b'" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"routes\":[{\"dst\":\"192.0.2.0/24\","
		  "\"port\":\"a\",\"mac\":\"02:00\"}]}}",
		  "fastpath.routes[0].mac: invalid MAC" },
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
		  "\"device\":\"a b\"}}}",
		  "fastpath.crypto.device: invalid cryptodev name" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"0123456789012345678901234567890123456789012345678901234567890123\"}}}",
		  "fastpath.crypto.device: too long (at most 63 characters)" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"c0\",\"qp_desc\":100}}}",
		  "fastpath.crypto.qp_desc: must be a power of two" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"c0\",\"qp_desc\":16}}}",
		  "fastpath.crypto.qp_desc: expected integer 32-16384" },
		{ "{\"fastpath\":{\"ports\":[{\"name\":\"a\"}],\"crypto\":{\"backend\":\"cryptodev\","
		  "\"device\":\"c0\",\"vdev\":\"x\"}}}",
		  "fastpath.crypto.vdev: unknown key" },
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
			fprintf(stderr, "\n  case %zu: got '%s'\n  want '%s...'\n", i, err,
				bad[i].err);
			CU_FAIL("error message");
		}
	}
	free(cfg);
}

/* A gateway's connections must fit its ports and routes (--check and
 * start-up say which does not). */
static void test_check_conns(void)
{
	static const struct {
		const char *local, *remote, *route;
		const char *err; /* NULL: fits */
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
		snprintf(
			json, sizeof(json),
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
			if (rc != -EINVAL ||
			    strncmp(err, cases[i].err, strlen(cases[i].err)) != 0) {
				fprintf(stderr, "\n  case %zu: got '%s'\n", i, rc ? err : "");
				CU_FAIL("error message");
			}
		}
		app_config_clear(cfg);
	}
	free(cfg);
}

/* Many children installed and removed in random order, new ones coming
 * in between: each found by either SPI while it is there and not after
 * (the registry's indexes follow the entries a removal moves), its
 * policies going with it. */
enum { IDX_N = 300, IDX_FIRST = 200 };

static void idx_child(struct ike_child_info *ci, unsigned i)
{
	child(ci);
	ci->n_local_ts = ci->n_remote_ts = 1;
	ci->remote_ts[0].start[1] = ci->remote_ts[0].end[1] = (uint8_t)(i >> 8);
	ci->remote_ts[0].start[2] = ci->remote_ts[0].end[2] = (uint8_t)i;
	ci->spi_in = 0xc0000100 + i;
	ci->spi_out = 0xd0000100 + i;
}

static unsigned idx_wrong(struct app_gw_children *ch, const struct ike_child_info *ci,
			  const bool *up)
{
	unsigned bad = 0;
	uint32_t in;

	for (unsigned i = 0; i < IDX_N; i++) {
		bool by_in = app_gw_child_of(ch, FP_DIR_IN, ci[i].spi_in, &in) &&
			     in == ci[i].spi_in;
		bool by_out = app_gw_child_of(ch, FP_DIR_OUT, ci[i].spi_in, &in) &&
			      in == ci[i].spi_in;

		bad += by_in != up[i] || by_out != up[i];
	}
	return bad;
}

static void test_children_index(void)
{
	struct fp_ctrl_cfg cfg = { .name = "gwi", .n_workers = 1, .max_sa = 1024 };
	static struct ike_child_info ci[IDX_N];
	bool up[IDX_N] = { false };
	unsigned left = 0, next = IDX_FIRST;
	char err[160];

	CU_ASSERT_FATAL(test_eal_init() == 0);
	struct fp_ctrl *c = fp_ctrl_create(&cfg, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	struct app_gw_children *ch = app_gw_children_new(c);
	CU_ASSERT_FATAL(ch != NULL);
	srand(7);
	for (unsigned i = 0; i < IDX_N; i++)
		idx_child(&ci[i], i);
	for (unsigned i = 0; i < IDX_FIRST; i++, left++) {
		up[i] = app_gw_install_child(ch, &ci[i], err, sizeof(err)) == 0;
		CU_ASSERT(up[i]);
		fp_ctrl_poll(c); /* the old SPD generations freed (no worker: no wait) */
	}
	while (left > 0) {
		unsigned k = (unsigned)rand() % IDX_N;

		if (!up[k])
			continue;
		CU_ASSERT_EQUAL(app_gw_remove_child(ch, &ci[k], err, sizeof(err)), 0);
		up[k] = false;
		left--;
		if (next < IDX_N && rand() % 2) {
			up[next] = app_gw_install_child(ch, &ci[next], err, sizeof(err)) == 0;
			CU_ASSERT(up[next]);
			left += up[next++];
		}
		fp_ctrl_poll(c);
		CU_ASSERT_EQUAL(idx_wrong(ch, ci, up), 0);
		CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), left);
	}
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &ci[0], err, sizeof(err)), -ENOENT);
	/* every removed child's inbound SA waited its grace period, in order */
	CU_ASSERT_EQUAL(app_gw_children_reap(ch, app_mono_ms()), 0);
	CU_ASSERT(fp_ctrl_has_in_sa(c, ci[0].spi_in));
	CU_ASSERT_EQUAL(app_gw_children_reap(ch, app_mono_ms() + GW_INBOUND_GRACE_MS + 1), next);
	CU_ASSERT(!fp_ctrl_has_in_sa(c, ci[0].spi_in));
	app_gw_children_free(ch);
	fp_ctrl_free(c);
}

/* A route-based child (if_id): no policies, its interface sends with its
 * outbound SA; a rekeyed one takes the interface over when the old one
 * goes (make before break), and the last one's removal leaves it empty. */
static void test_route_based_child(void)
{
	struct app_gw_children *ch;
	struct fp_ctrl *c = gw_ctrl_new("gwrb", &ch);
	struct ike_child_info a, b;
	char err[160];

	child(&a);
	a.if_id = 5;
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp_ctrl_if_sa(c, 5));
	CU_ASSERT_EQUAL(fp_ctrl_if_sa(c, 5)->spi, a.spi_out);
	b = rekeyed(&a, 0xc0000002, 0xd0000002);
	CU_ASSERT_EQUAL_FATAL(app_gw_install_child(ch, &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fp_ctrl_if_sa(c, 5)->spi, a.spi_out); /* until a goes */
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &a, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp_ctrl_if_sa(c, 5));
	CU_ASSERT_EQUAL(fp_ctrl_if_sa(c, 5)->spi, b.spi_out);
	CU_ASSERT_EQUAL(fp_ctrl_n_rules(c), 0);
	CU_ASSERT_EQUAL(app_gw_remove_child(ch, &b, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(fp_ctrl_if_sa(c, 5));
	app_gw_children_free(ch);
	fp_ctrl_free(c);
}

static const struct test_case cases[] = {
	{ "route_based_child", test_route_based_child },
	{ "children_index_random_removals", test_children_index },
	{ "child_sa_to_fastpath_params", test_child_params },
	{ "install_child_through_ctrl", test_install_child },
	{ "make_before_break", test_make_before_break },
	{ "make_before_break_collision", test_make_before_break_collision },
	{ "collision: the redundant SA never takes the policies", test_collision_redundant },
	{ "config_fastpath_section", test_config_fastpath },
	{ "connections_fit_ports_and_routes", test_check_conns },
	{ NULL, NULL },
};
TEST_SUITE(gw, cases)
