/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP fast path (fastpath/): known answers from draft-mcgrew-gcm-test-01,
 * cross-checks against scapy (both directions) and tshark, anti-replay,
 * malformed input, sequence number overflow, lifetimes, burst order.
 * The DPDK EAL comes up on the first test of this suite (test_eal.c). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fastpath/crypto_priv.h"
#include "fastpath/fp_sa.h"
#include "tests/unit/test.h"
#include "tests/unit/test_eal.h"

#define SCAPY "/usr/bin/python3 tests/unit/fastpath/esp_scapy.py"

static struct fp_crypto_engine eng;
static char tmpdir[64];

static int setup(void)
{
	static int state;

	if (state == 0) {
		state = -1;
		if (test_eal_init() != 0 || fp_crypto_engine_init(&eng, &fp_crypto_imb) != 0)
			return -1;
		strcpy(tmpdir, "/tmp/esp_test.XXXXXX");
		if (mkdtemp(tmpdir) == NULL)
			return -1;
		state = 1;
	}
	return state > 0 ? 0 : -1;
}
#define SETUP() CU_ASSERT_FATAL(setup() == 0)

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) && n < max; s += 2) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void tohex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static struct rte_mbuf *mk(const uint8_t *d, size_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_eal_pool());

	CU_ASSERT_FATAL(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), d, n);
	return m;
}

static void free_all(struct rte_mbuf **mb, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(mb[i]);
}

static bool mbuf_eq(struct rte_mbuf *m, const uint8_t *d, size_t n)
{
	return m->pkt_len == n && memcmp(rte_pktmbuf_mtod(m, uint8_t *), d, n) == 0;
}

static void addr(int fam, int which, uint8_t *out)
{
	static const char *a[2][2] = { { "192.0.2.1", "192.0.2.2" },
				       { "2001:db8::1", "2001:db8::2" } };
	inet_pton(fam == 4 ? AF_INET : AF_INET6, a[fam == 6][which], out);
}

/* A plain AES-GCM-128 tunnel SA between 192.0.2.1 and 192.0.2.2. */
static void gcm_params(struct fp_sa_params *p, enum fp_dir dir, uint32_t spi)
{
	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->dir = dir;
	p->mode = FP_MODE_TUNNEL;
	p->outer_family = 4;
	addr(4, dir == FP_DIR_OUT ? 0 : 1, p->local);
	addr(4, dir == FP_DIR_OUT ? 1 : 0, p->remote);
	p->cipher = FP_CIPHER_AES_GCM;
	p->cipher_key_len = 20;
	for (int i = 0; i < 20; i++)
		p->cipher_key[i] = (uint8_t)(0xa0 + i);
	p->replay_window = 64;
}

/* Turns p into cipher c (key of klen bytes, left as gcm_params set it)
 * with HMAC-SHA-256-128 under a key of 32 bytes of fill. */
static void with_hmac(struct fp_sa_params *p, enum fp_cipher c, uint8_t klen, uint8_t fill)
{
	p->cipher = c;
	p->cipher_key_len = klen;
	p->auth = FP_AUTH_HMAC_SHA256_128;
	p->auth_key_len = 32;
	memset(p->auth_key, fill, 32);
}

static struct fp_sa *sa_new(const struct fp_sa_params *p)
{
	struct fp_sa *sa = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*sa));
	char err[128] = "";

	CU_ASSERT_FATAL(sa != NULL);
	if (fp_sa_init(sa, p, &fp_crypto_imb, err, sizeof(err)) != 0) {
		fprintf(stderr, "fp_sa_init: %s\n", err);
		CU_FAIL_FATAL("fp_sa_init");
	}
	return sa;
}

static void sa_free(struct fp_sa *sa)
{
	fp_sa_fini(sa);
	free(sa);
}

/* IPv4/ICMP echo from 198.51.100.1 to 203.0.113.1, payload of n bytes. */
static size_t icmp4(uint8_t *b, uint16_t seq, size_t n)
{
	size_t len = 28 + n;
	uint32_t sum = 0;

	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = 1;
	inet_pton(AF_INET, "198.51.100.1", b + 12);
	inet_pton(AF_INET, "203.0.113.1", b + 16);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	b[10] = (uint8_t)(~sum >> 8);
	b[11] = (uint8_t)~sum;
	b[20] = 8;
	b[24] = 0x12;
	b[25] = 0x34;
	b[26] = (uint8_t)(seq >> 8);
	b[27] = (uint8_t)seq;
	for (size_t i = 0; i < n; i++)
		b[28 + i] = (uint8_t)i;
	sum = 0;
	for (size_t i = 20; i < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | (i + 1 < len ? b[i + 1] : 0));
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	b[22] = (uint8_t)(~sum >> 8);
	b[23] = (uint8_t)~sum;
	return len;
}

/* Encrypts one packet with sa; returns the wire bytes in out. */
static size_t encrypt1(struct fp_sa *sa, const uint8_t *in, size_t n, uint8_t *out)
{
	struct rte_mbuf *m = mk(in, n);
	size_t len;

	CU_ASSERT_FATAL(fp_esp_process(sa, &eng, &m, 1) == 1);
	len = m->pkt_len;
	memcpy(out, rte_pktmbuf_mtod(m, uint8_t *), len);
	rte_pktmbuf_free(m);
	return len;
}

/* Runs one packet inbound; returns the drop reason (NONE when accepted). */
static enum fp_drop decrypt1(struct fp_sa *sa, const uint8_t *in, size_t n)
{
	struct rte_mbuf *m = mk(in, n);
	uint16_t ok = fp_esp_process(sa, &eng, &m, 1);
	enum fp_drop r = ok ? FP_DROP_NONE : fp_mbuf_drop_reason(m);

	rte_pktmbuf_free(m);
	return r;
}

/* ---- known answers: draft-mcgrew-gcm-test-01 section 4 ---- */

struct kat {
	const char *key; /* key || salt */
	uint32_t spi;
	uint64_t seq; /* 64-bit when esn */
	bool esn;
	const char *iv, *plain, *ct; /* ct = ciphertext || ICV */
};

static const struct kat kats[] = {
	{ /* test case 1: AES-128, ESN (AAD = SPI || 64-bit seq) */
	  "4c80cdefbb5d10da906ac73c3613a634"
	  "2e443b68",
	  0x4321, 0x8765432100000000ull, true, "4956ed7e3b244cfe",
	  "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
	  "00000000045f736970045f756470037369700963796265726369747902646b00"
	  "0021000101020201",
	  "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
	  "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
	  "61bc17d768fd9732459018148f6cbe722fd04796562dfdb4" },
	{ /* test case 3: AES-256 */
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab"
	  "11223344",
	  0x4a2cbfe3, 2, false, "0102030405060708",
	  "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	  "7002400020bf0000020405b40101040201020201",
	  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	  "748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
	  "15956c96" },
	{ /* test case 5: AES-128, ESN */
	  "3de09874b388e6491988d0c3607eae1f"
	  "57690e43",
	  0x42f67e3f, 0x1010101010101010ull, true, "4e280000a2fca1a3",
	  "4500003c99c300008001cb7c40679318010101010800085c0200430061626364"
	  "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
	  "fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c357917"
	  "65acbd8701ad79845bf9fe3fba487bc91755e6662b4c8d0d1f5e22739530320a"
	  "e0d731cc978ecafaeae88f00e80d6e48" },
};

/* The draft's plaintexts end with next header 1, so they go through a
 * transport-mode SA: the result is the outer header with protocol 1 and
 * the plaintext minus its 4-byte trailer (pad 01 02, pad length 2, nh 1). */
static void test_kat_gcm_draft(void)
{
	SETUP();
	for (unsigned k = 0; k < RTE_DIM(kats); k++) {
		const struct kat *v = &kats[k];
		uint8_t pkt[256], plain[128], want[160];
		struct fp_sa_params p;
		size_t pl, len;

		gcm_params(&p, FP_DIR_IN, v->spi);
		p.mode = FP_MODE_TRANSPORT;
		p.esn = v->esn;
		p.cipher_key_len = (uint8_t)unhex(v->key, p.cipher_key, sizeof(p.cipher_key));
		memset(pkt, 0, 20);
		pkt[0] = 0x45;
		pkt[8] = 64;
		pkt[9] = 50;
		addr(4, 0, pkt + 12);
		addr(4, 1, pkt + 16);
		pkt[20] = (uint8_t)(v->spi >> 24);
		pkt[21] = (uint8_t)(v->spi >> 16);
		pkt[22] = (uint8_t)(v->spi >> 8);
		pkt[23] = (uint8_t)v->spi;
		for (int i = 0; i < 4; i++)
			pkt[24 + i] = (uint8_t)(v->seq >> (24 - 8 * i));
		len = 28 + unhex(v->iv, pkt + 28, 8);
		len += unhex(v->ct, pkt + len, sizeof(pkt) - len);
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		pl = unhex(v->plain, plain, sizeof(plain)) - 4;

		struct fp_sa *sa = sa_new(&p);
		fp_sa_set_seq(sa, v->seq - 1);
		struct rte_mbuf *m = mk(pkt, len);
		CU_ASSERT_EQUAL_FATAL(fp_esp_process(sa, &eng, &m, 1), 1);
		memcpy(want, pkt, 20);
		want[9] = 1;
		memcpy(want + 20, plain, pl);
		CU_ASSERT_EQUAL(m->pkt_len, 20 + pl);
		CU_ASSERT(memcmp(rte_pktmbuf_mtod_offset(m, uint8_t *, 20), plain, pl) == 0);
		CU_ASSERT_EQUAL(rte_pktmbuf_mtod(m, uint8_t *)[9], 1);
		rte_pktmbuf_free(m);
		/* Flipped tag bit: refused as an authentication failure. */
		fp_sa_set_seq(sa, v->seq - 1);
		pkt[len - 1] ^= 1;
		CU_ASSERT_EQUAL(decrypt1(sa, pkt, len), FP_DROP_AUTH);
		/* Wrong ESN high half: the AAD differs, so does the tag. */
		if (v->esn) {
			pkt[len - 1] ^= 1;
			fp_sa_set_seq(sa, (v->seq - 1) + (1ull << 32));
			CU_ASSERT_NOT_EQUAL(decrypt1(sa, pkt, len), FP_DROP_NONE);
		}
		CU_ASSERT_EQUAL(sa->stats.packets, 1);
		sa_free(sa);
	}
}

/* ---- scapy cross-checks ---- */

struct vpkt {
	uint64_t seq;
	uint16_t ilen, elen;
	uint8_t inner[512], esp[640];
};
struct vsa {
	char line[512];
	char name[64];
	struct fp_sa_params p;
	unsigned n;
	struct vpkt pk[4];
};

static const char *kv(const char *line, const char *key)
{
	char pat[32];
	const char *s;

	snprintf(pat, sizeof(pat), " %s=", key);
	s = strstr(line, pat);
	return s ? s + strlen(pat) : "";
}

static void parse_sa(struct vsa *v)
{
	struct fp_sa_params *p = &v->p;
	const char *c = kv(v->line, "cipher"), *a = kv(v->line, "auth");

	memset(p, 0, sizeof(*p));
	sscanf(v->line, "sa %63s", v->name);
	p->spi = (uint32_t)strtoul(kv(v->line, "spi"), NULL, 16);
	p->mode = strncmp(kv(v->line, "mode"), "tunnel", 6) == 0 ? FP_MODE_TUNNEL
								 : FP_MODE_TRANSPORT;
	p->outer_family = (uint8_t)atoi(kv(v->line, "outer"));
	p->udp_encap = atoi(kv(v->line, "udp")) == 1;
	p->encap_local_port = p->encap_remote_port = 4500;
	p->esn = atoi(kv(v->line, "esn")) == 1;
	p->cipher = !strncmp(c, "gcm", 3)      ? FP_CIPHER_AES_GCM
		    : !strncmp(c, "cbc", 3)    ? FP_CIPHER_AES_CBC
		    : !strncmp(c, "chacha", 6) ? FP_CIPHER_CHACHA20_POLY1305
					       : FP_CIPHER_NULL;
	p->auth = !strncmp(a, "sha256", 6)   ? FP_AUTH_HMAC_SHA256_128
		  : !strncmp(a, "sha384", 6) ? FP_AUTH_HMAC_SHA384_192
		  : !strncmp(a, "sha512", 6) ? FP_AUTH_HMAC_SHA512_256
					     : FP_AUTH_NONE;
	p->cipher_key_len = (uint8_t)unhex(kv(v->line, "ckey"), p->cipher_key, FP_MAX_KEY);
	p->auth_key_len = (uint8_t)unhex(kv(v->line, "akey"), p->auth_key, FP_MAX_KEY);
}

/* Per direction: local/remote as the scapy side sees them (src .1, dst .2). */
static void set_dir(struct fp_sa_params *p, enum fp_dir d)
{
	p->dir = d;
	addr(p->outer_family, d == FP_DIR_OUT ? 0 : 1, p->local);
	addr(p->outer_family, d == FP_DIR_OUT ? 1 : 0, p->remote);
}

static unsigned load(const char *path, struct vsa **out)
{
	FILE *f = fopen(path, "r");
	struct vsa *v = calloc(256, sizeof(*v));
	char *line = NULL;
	size_t cap = 0;
	int n = -1;

	CU_ASSERT_FATAL(f != NULL && v != NULL);
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "sa ", 3) == 0 && n < 255) {
			n++;
			snprintf(v[n].line, sizeof(v[n].line), "%s", line);
			v[n].line[strcspn(v[n].line, "\n")] = 0;
			parse_sa(&v[n]);
		} else if (strncmp(line, "pkt ", 4) == 0 && n >= 0 && v[n].n < 4) {
			struct vpkt *k = &v[n].pk[v[n].n++];

			k->seq = strtoull(kv(line, "seq"), NULL, 10);
			k->ilen = (uint16_t)unhex(kv(line, "inner"), k->inner, sizeof(k->inner));
			k->elen = (uint16_t)unhex(kv(line, "esp"), k->esp, sizeof(k->esp));
		}
	}
	free(line);
	fclose(f);
	*out = v;
	return (unsigned)(n + 1);
}

/* Runs cmd, returns its exit status; its output goes to buf. */
static int run(const char *cmd, char *buf, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (f == NULL)
		return -1;
	while (n + 1 < len && fgets(buf + n, (int)(len - n), f) != NULL)
		n += strlen(buf + n);
	buf[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned scapy_gen(struct vsa **v)
{
	char cmd[256], out[4096], path[128];

	snprintf(path, sizeof(path), "%s/scapy_esp.txt", tmpdir);
	snprintf(cmd, sizeof(cmd), SCAPY " gen %s 2>&1", path);
	int st = run(cmd, out, sizeof(out));
	if (st != 0)
		fprintf(stderr, "esp_scapy.py gen (exit %d): %s\n", st, out);
	CU_ASSERT_FATAL(st == 0);
	CU_ASSERT_FATAL(strncmp(out, "OK ", 3) == 0);
	return load(path, v);
}

/* scapy encrypted, we decrypt: every packet must come out as scapy's input. */
static void test_scapy_to_us(void)
{
	struct vsa *v;
	unsigned nsa, npkt = 0;

	SETUP();
	nsa = scapy_gen(&v);
	CU_ASSERT_EQUAL(nsa, 168);
	for (unsigned i = 0; i < nsa; i++) {
		struct rte_mbuf *mb[4];
		struct fp_sa *sa;
		uint16_t ok;

		set_dir(&v[i].p, FP_DIR_IN);
		sa = sa_new(&v[i].p);
		fp_sa_set_seq(sa, v[i].pk[0].seq - 1);
		for (unsigned j = 0; j < v[i].n; j++)
			mb[j] = mk(v[i].pk[j].esp, v[i].pk[j].elen);
		ok = fp_esp_process(sa, &eng, mb, (uint16_t)v[i].n);
		if (ok != v[i].n)
			fprintf(stderr, "%s: %u of %u, first drop %s\n", v[i].name, ok, v[i].n,
				fp_drop_name(fp_mbuf_drop_reason(mb[ok])));
		CU_ASSERT_EQUAL(ok, v[i].n);
		for (unsigned j = 0; j < ok; j++) {
			bool eq = mbuf_eq(mb[j], v[i].pk[j].inner, v[i].pk[j].ilen);

			if (!eq)
				fprintf(stderr, "%s: packet %u differs\n", v[i].name, j);
			CU_ASSERT(eq);
			npkt += eq;
		}
		free_all(mb, v[i].n);
		sa_free(sa);
	}
	CU_ASSERT_EQUAL(npkt, 504);
	free(v);
}

/* We encrypt scapy's plaintexts; scapy decrypts them (and checks our outer
 * header, padding and trailer); we also decrypt our own. */
static void test_us_to_scapy(void)
{
	char path[128], cmd[256], out[8192];
	struct vsa *v;
	unsigned nsa, npkt = 0;
	FILE *f;

	SETUP();
	nsa = scapy_gen(&v);
	snprintf(path, sizeof(path), "%s/ours_esp.txt", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	for (unsigned i = 0; i < nsa; i++) {
		struct rte_mbuf *mb[4];
		struct fp_sa *out_sa, *in_sa;

		set_dir(&v[i].p, FP_DIR_OUT);
		out_sa = sa_new(&v[i].p);
		set_dir(&v[i].p, FP_DIR_IN);
		in_sa = sa_new(&v[i].p);
		fp_sa_set_seq(out_sa, v[i].pk[0].seq - 1);
		fp_sa_set_seq(in_sa, v[i].pk[0].seq - 1);
		for (unsigned j = 0; j < v[i].n; j++)
			mb[j] = mk(v[i].pk[j].inner, v[i].pk[j].ilen);
		CU_ASSERT_EQUAL(fp_esp_process(out_sa, &eng, mb, (uint16_t)v[i].n), v[i].n);
		fprintf(f, "%s\n", v[i].line);
		for (unsigned j = 0; j < v[i].n; j++) {
			fprintf(f, "pkt %s seq=%llu inner=", v[i].name,
				(unsigned long long)v[i].pk[j].seq);
			tohex(f, v[i].pk[j].inner, v[i].pk[j].ilen);
			fprintf(f, " esp=");
			tohex(f, rte_pktmbuf_mtod(mb[j], uint8_t *), mb[j]->pkt_len);
			fprintf(f, "\n");
		}
		CU_ASSERT_EQUAL(fp_esp_process(in_sa, &eng, mb, (uint16_t)v[i].n), v[i].n);
		for (unsigned j = 0; j < v[i].n; j++)
			npkt += mbuf_eq(mb[j], v[i].pk[j].inner, v[i].pk[j].ilen);
		free_all(mb, v[i].n);
		sa_free(out_sa);
		sa_free(in_sa);
	}
	fclose(f);
	CU_ASSERT_EQUAL(npkt, 504);
	snprintf(cmd, sizeof(cmd), SCAPY " check %s 2>&1", path);
	int st = run(cmd, out, sizeof(out));
	if (st != 0)
		fprintf(stderr, "esp_scapy.py check (exit %d):\n%s\n", st, out);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT(strcmp(out, "OK 504\n") == 0);
	free(v);
}

/* ---- tshark decrypts a pcap of our packets ---- */

static void pcap_write(FILE *f, const uint8_t *p, uint32_t n)
{
	uint32_t rec[4] = { 1700000000, 0, n, n };

	fwrite(rec, sizeof(rec), 1, f);
	fwrite(p, n, 1, f);
}

static void hexstr(char *out, const uint8_t *p, size_t n)
{
	out += sprintf(out, "0x");
	for (size_t i = 0; i < n; i++)
		out += sprintf(out, "%02x", p[i]);
}

static void test_tshark(void)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101 /* raw IP */ };
	struct fp_sa_params g, c, u;
	char path[128], cmd[2048], out[4096], gk[80], ck[80], ak[80];
	uint8_t in[256], wire[512];
	FILE *f;

	SETUP();
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		CU_FAIL_FATAL("tshark is not installed (scripts/deps.sh installs it)");
	gcm_params(&g, FP_DIR_OUT, 0x2001);
	gcm_params(&u, FP_DIR_OUT, 0x2003);
	u.udp_encap = true;
	u.encap_local_port = u.encap_remote_port = 4500;
	gcm_params(&c, FP_DIR_OUT, 0x2002);
	c.cipher = FP_CIPHER_AES_CBC;
	c.cipher_key_len = 16;
	c.auth = FP_AUTH_HMAC_SHA256_128;
	c.auth_key_len = 32;
	for (int i = 0; i < 32; i++)
		c.auth_key[i] = (uint8_t)(0x11 * i);
	struct fp_sa *sg = sa_new(&g), *sc = sa_new(&c), *su = sa_new(&u);

	snprintf(path, sizeof(path), "%s/ours.pcap", tmpdir);
	f = fopen(path, "wb");
	CU_ASSERT_FATAL(f != NULL);
	fwrite(hdr, sizeof(hdr), 1, f);
	for (uint16_t s = 1; s <= 6; s++) {
		struct fp_sa *sa = s <= 2 ? sg : s <= 4 ? sc : su;
		size_t n = icmp4(in, s, 10 * s);

		pcap_write(f, wire, (uint32_t)encrypt1(sa, in, n, wire));
	}
	fclose(f);
	hexstr(gk, g.cipher_key, 20);
	hexstr(ck, c.cipher_key, 16);
	hexstr(ak, c.auth_key, 32);
	snprintf(
		cmd, sizeof(cmd),
		"tshark -r %s -o esp.enable_encryption_decode:TRUE "
		"-o 'uat:esp_sa:\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00002001\","
		"\"AES-GCM with 16 octet ICV [RFC4106]\",\"%s\",\"NULL\",\"\"' "
		"-o 'uat:esp_sa:\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00002002\","
		"\"AES-CBC [RFC3602]\",\"%s\",\"HMAC-SHA-256-128 [RFC4868]\",\"%s\"' "
		"-o 'uat:esp_sa:\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00002003\","
		"\"AES-GCM with 16 octet ICV [RFC4106]\",\"%s\",\"NULL\",\"\"' "
		"-Y 'icmp.type == 8 && icmp.checksum.status == 1' -T fields -e esp.spi -e icmp.seq "
		"2>/dev/null",
		path, gk, ck, ak, gk);
	int st = run(cmd, out, sizeof(out));
	const char *want = "0x00002001\t1\n0x00002001\t2\n0x00002002\t3\n0x00002002\t4\n"
			   "0x00002003\t5\n0x00002003\t6\n";
	if (st != 0 || strcmp(out, want) != 0)
		fprintf(stderr, "tshark (exit %d) printed:\n%s\n", st, out);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	sa_free(sg);
	sa_free(sc);
	sa_free(su);
}

/* ---- anti-replay ---- */

static void test_replay_window(void)
{
	struct fp_replay r;
	uint64_t s;

	CU_ASSERT_EQUAL(fp_replay_init(&r, 100, 0), -EINVAL);
	CU_ASSERT_EQUAL(fp_replay_init(&r, 8192, 0), -EINVAL);
	CU_ASSERT_EQUAL(fp_replay_init(&r, 0, 0), 0);
	CU_ASSERT_EQUAL(r.win, 1024);
	CU_ASSERT_EQUAL(fp_replay_init(&r, 4096, 0), 0);
	CU_ASSERT_EQUAL(fp_replay_init(&r, 64, 0), 0);

	CU_ASSERT_EQUAL(fp_replay_check(&r, 0, false, &s), -1); /* seq 0 never */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 1, false, &s), 0);
	CU_ASSERT_EQUAL(fp_replay_update(&r, 1), 0);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 1, false, &s), -1); /* duplicate */
	CU_ASSERT_EQUAL(fp_replay_update(&r, 1), -1);
	CU_ASSERT_EQUAL(fp_replay_update(&r, 100), 0);           /* ahead */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 36, false, &s), -1); /* 100-64: too old */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 37, false, &s), 0);  /* oldest in window */
	CU_ASSERT_EQUAL(fp_replay_update(&r, 40), 0);            /* in window, late */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 40, false, &s), -1);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 99, false, &s), 0);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 100, false, &s), -1);
	CU_ASSERT_EQUAL(fp_replay_update(&r, 100 + 1000), 0); /* far ahead: slides */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 100, false, &s), -1);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 1099, false, &s), 0); /* stale bits cleared */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 1037, false, &s), 0);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 1036, false, &s), -1);
	for (uint32_t q = 1037; q <= 1100; q += 7)
		fp_replay_update(&r, q);
	for (uint32_t q = 1037; q <= 1100; q++)
		CU_ASSERT_EQUAL(fp_replay_check(&r, q, false, &s),
				((q - 1037) % 7 == 0 || q == 1100) ? -1 : 0);

	/* Big window: 4096 packets back is still inside, 4097 is not. */
	fp_replay_init(&r, 4096, 0);
	fp_replay_update(&r, 10000);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 10000 - 4095, false, &s), 0);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 10000 - 4096, false, &s), -1);
	/* Without ESN a low half that wrapped is not ahead: it is old. */
	fp_replay_init(&r, 64, 0xffffffff);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 1, false, &s), -1);

	/* Off: duplicates and old numbers pass, 0 still does not. */
	CU_ASSERT_EQUAL(fp_replay_init(&r, FP_REPLAY_OFF, 0), 0);
	CU_ASSERT_EQUAL(r.win, 0);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0, false, &s), -1);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 5, false, &s), 0);
	CU_ASSERT_EQUAL(s, 5);
	CU_ASSERT_EQUAL(fp_replay_update(&r, 5), 0);
	CU_ASSERT_EQUAL(fp_replay_update(&r, 5), 0);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 5, false, &s), 0);
	CU_ASSERT_EQUAL(fp_replay_update(&r, 100000), 0);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 1, false, &s), 0);
	CU_ASSERT_EQUAL(r.top, 100000);
}

static void test_replay_esn(void)
{
	struct fp_replay r;
	uint64_t s;

	fp_replay_init(&r, 64, 0xfffffff0ull); /* top just below a wrap */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0xfffffff5, true, &s), 0);
	CU_ASSERT_EQUAL(s, 0xfffffff5ull);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 5, true, &s), 0); /* wrapped: hi + 1 */
	CU_ASSERT_EQUAL(s, 0x100000005ull);
	CU_ASSERT_EQUAL(fp_replay_update(&r, s), 0);
	CU_ASSERT_EQUAL(r.top, 0x100000005ull);
	/* Window now spans the wrap (RFC 4303 A2.2 case B). */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0xfffffffa, true, &s), 0);
	CU_ASSERT_EQUAL(s, 0xfffffffaull);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0xfffffff0, true, &s), -1); /* inherited: seen */
	/* Left of the window's bottom: read as the next wrap (A2.2), the ICV
	 * then decides. */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0xffffffc0, true, &s), 0);
	CU_ASSERT_EQUAL(s, 0x1ffffffc0ull);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 5, true, &s), -1); /* duplicate */
	CU_ASSERT_EQUAL(fp_replay_check(&r, 6, true, &s), 0);
	CU_ASSERT_EQUAL(s, 0x100000006ull);
	/* Case B with the high half 0: below sequence number 1. */
	fp_replay_init(&r, 64, 5);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0xfffffff0, true, &s), -1);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 3, true, &s), -1);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 6, true, &s), 0);
	/* Case A: far ahead of top inside the same high half. */
	fp_replay_init(&r, 1024, 0x300000800ull);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0x801, true, &s), 0);
	CU_ASSERT_EQUAL(s, 0x300000801ull);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0x401, true, &s), -1); /* inherited */
	CU_ASSERT_EQUAL(s, 0x300000401ull);
	CU_ASSERT_EQUAL(fp_replay_check(&r, 0x400, true, &s), 0); /* next wrap */
	CU_ASSERT_EQUAL(s, 0x400000400ull);
}

/* Through the ESP path: duplicates in one burst, a replay later, and a
 * forged packet far ahead that must not move the window. */
static void test_replay_packets(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[4][256];
	size_t wl[4];
	struct rte_mbuf *mb[4];

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x3001);
	struct fp_sa *o = sa_new(&p);
	gcm_params(&p, FP_DIR_IN, 0x3001);
	struct fp_sa *i = sa_new(&p);

	for (int k = 0; k < 4; k++)
		wl[k] = encrypt1(o, in, icmp4(in, (uint16_t)k, 8), w[k]);
	mb[0] = mk(w[0], wl[0]);
	mb[1] = mk(w[0], wl[0]);
	mb[2] = mk(w[1], wl[1]);
	CU_ASSERT_EQUAL(fp_esp_process(i, &eng, mb, 3), 2);
	CU_ASSERT_EQUAL(fp_mbuf_drop_reason(mb[2]), FP_DROP_REPLAY);
	free_all(mb, 3);
	CU_ASSERT_EQUAL(decrypt1(i, w[1], wl[1]), FP_DROP_REPLAY);
	CU_ASSERT_EQUAL(i->stats.drops[FP_DROP_REPLAY], 2);
	/* seq 1000 with a bad ICV: dropped as auth, window untouched. */
	fp_sa_set_seq(o, 999);
	uint8_t far[256];
	size_t fl = encrypt1(o, in, icmp4(in, 9, 8), far);
	far[fl - 1] ^= 0x80;
	CU_ASSERT_EQUAL(decrypt1(i, far, fl), FP_DROP_AUTH);
	CU_ASSERT_EQUAL(decrypt1(i, w[3], wl[3]), FP_DROP_NONE); /* seq 4 still fine */
	CU_ASSERT_EQUAL(decrypt1(i, w[2], wl[2]), FP_DROP_NONE); /* seq 3, late */
	CU_ASSERT_EQUAL(i->stats.packets, 4);
	sa_free(o);
	sa_free(i);
}

/* ---- malformed input ---- */

static void ip4_fix(uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[10] = p[11] = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
}

static void test_malformed_outer(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256], b[256];
	size_t wl;

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x4001);
	struct fp_sa *o = sa_new(&p);
	gcm_params(&p, FP_DIR_IN, 0x4001);
	struct fp_sa *i = sa_new(&p);
	wl = encrypt1(o, in, icmp4(in, 1, 20), w);

	/* Truncations, with the IP length kept honest and not. */
	for (size_t n = 0; n < wl; n += (n < 64 ? 1 : 7)) {
		memcpy(b, w, wl);
		CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_MALFORMED);
		if (n >= 20) {
			ip4_fix(b, n);
			enum fp_drop r = decrypt1(i, b, n);
			CU_ASSERT(r == FP_DROP_MALFORMED || r == FP_DROP_AUTH);
		}
	}
#define MUT(stmt, want)                                    \
	do {                                               \
		memcpy(b, w, wl);                          \
		stmt;                                      \
		CU_ASSERT_EQUAL(decrypt1(i, b, wl), want); \
	} while (0)
	MUT(b[0] = 0x65, FP_DROP_MALFORMED); /* version 6 on a v4 SA */
	MUT(b[0] = 0x44, FP_DROP_MALFORMED); /* IHL 4 */
	memcpy(b, w, wl);
	b[0] = 0x4f; /* IHL 60: SPI misread */
	CU_ASSERT_NOT_EQUAL(decrypt1(i, b, wl), FP_DROP_NONE);
	MUT(ip4_fix(b, wl + 1), FP_DROP_MALFORMED); /* total length > packet */
	MUT(ip4_fix(b, 19), FP_DROP_MALFORMED);     /* total length < header */
	MUT(b[9] = 17, FP_DROP_MALFORMED);          /* UDP on a plain ESP SA */
	MUT(b[6] = 0x20, FP_DROP_MALFORMED);        /* more fragments */
	MUT(b[23] ^= 1, FP_DROP_NO_SA);             /* SPI not ours */
	MUT(b[30] ^= 1, FP_DROP_AUTH);              /* IV */
	MUT(b[40] ^= 1, FP_DROP_AUTH);              /* ciphertext */
	MUT(b[wl - 16] ^= 1, FP_DROP_AUTH);         /* ICV */
	MUT(memset(b + 24, 0, 4), FP_DROP_REPLAY);  /* seq 0 */
	/* Ethernet padding after the IP packet is fine. */
	memcpy(b, w, wl);
	memset(b + wl, 0, 6);
	CU_ASSERT_EQUAL(decrypt1(i, b, wl + 6), FP_DROP_NONE);
	CU_ASSERT(i->stats.drops[FP_DROP_MALFORMED] > 60);
	CU_ASSERT(i->stats.drops[FP_DROP_NO_SA] >= 1);
	sa_free(o);
	sa_free(i);

	/* IPv6 outer and UDP encapsulation. */
	gcm_params(&p, FP_DIR_OUT, 0x4002);
	p.outer_family = 6;
	p.udp_encap = true;
	p.encap_local_port = p.encap_remote_port = 4500;
	addr(6, 0, p.local);
	addr(6, 1, p.remote);
	o = sa_new(&p);
	p.dir = FP_DIR_IN;
	addr(6, 1, p.local);
	addr(6, 0, p.remote);
	i = sa_new(&p);
	wl = encrypt1(o, in, icmp4(in, 1, 20), w);
	/* RFC 8200 8.1: no zero UDP checksum over IPv6; the one sent is the
	 * packet's (recomputed here over a copy with the field cleared) */
	CU_ASSERT(w[46] != 0 || w[47] != 0);
	memcpy(b, w, wl);
	b[46] = b[47] = 0;
	uint16_t ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)b, b + 40);
	CU_ASSERT_EQUAL(memcmp(&ck, w + 46, 2), 0);
	b[wl - 1] ^= 1; /* covers the ICV too */
	ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)b, b + 40);
	CU_ASSERT_NOT_EQUAL(memcmp(&ck, w + 46, 2), 0);
	for (size_t n = 0; n < 72; n++) {
		memcpy(b, w, wl);
		CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_MALFORMED);
	}
	MUT(b[0] = 0x45, FP_DROP_MALFORMED);          /* v4 on a v6 SA */
	MUT(b[5] += 1, FP_DROP_MALFORMED);            /* payload length */
	MUT(b[6] = 50, FP_DROP_MALFORMED);            /* ESP without UDP */
	MUT(b[45] += 1, FP_DROP_MALFORMED);           /* UDP length */
	MUT(memset(b + 48, 0, 4), FP_DROP_MALFORMED); /* non-ESP marker (IKE) */
	MUT((void)0, FP_DROP_NONE);
	sa_free(o);
	sa_free(i);
#undef MUT
}

/* NULL cipher + HMAC lets us forge plaintext trailers with a valid ICV. */
static size_t null_esp(uint8_t *b, const uint8_t *key, uint32_t seq, const uint8_t *payload,
		       size_t plen, const uint8_t *trailer, size_t tlen)
{
	unsigned mdlen = 0;
	size_t n;

	memset(b, 0, 20);
	b[0] = 0x45;
	b[8] = 64;
	b[9] = 50;
	addr(4, 0, b + 12);
	addr(4, 1, b + 16);
	b[20] = 0;
	b[21] = 0;
	b[22] = 0x50;
	b[23] = 0x01;
	b[24] = (uint8_t)(seq >> 24);
	b[25] = (uint8_t)(seq >> 16);
	b[26] = (uint8_t)(seq >> 8);
	b[27] = (uint8_t)seq;
	memcpy(b + 28, payload, plen);
	memcpy(b + 28 + plen, trailer, tlen);
	n = 28 + plen + tlen;
	uint8_t md[64];
	HMAC(EVP_sha256(), key, 32, b + 20, n - 20, md, &mdlen);
	memcpy(b + n, md, 16);
	n += 16;
	ip4_fix(b, n);
	return n;
}

static void test_malformed_trailer(void)
{
	struct fp_sa_params p;
	uint8_t in[128], b[256];
	size_t il, n;

	SETUP();
	gcm_params(&p, FP_DIR_IN, 0x5001);
	with_hmac(&p, FP_CIPHER_NULL, 0, 0x42);
	struct fp_sa *i = sa_new(&p);
	il = icmp4(in, 1, 8); /* 36 bytes: + 2 padding + 2 = 40 */

	n = null_esp(b, p.auth_key, 1, in, il, (const uint8_t[]){ 1, 2, 2, 4 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_NONE);
	n = null_esp(b, p.auth_key, 2, in, il, (const uint8_t[]){ 1, 3, 2, 4 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_PAD);
	n = null_esp(b, p.auth_key, 3, in, il, (const uint8_t[]){ 0, 0, 2, 4 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_PAD);
	n = null_esp(b, p.auth_key, 4, in, il, (const uint8_t[]){ 1, 2, 250, 4 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_PAD); /* pad length > payload */
	n = null_esp(b, p.auth_key, 5, in, il, (const uint8_t[]){ 1, 2, 2, 59 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_NEXT_HDR); /* dummy packet */
	n = null_esp(b, p.auth_key, 6, in, il, (const uint8_t[]){ 1, 2, 2, 41 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_MALFORMED); /* says v6, is v4 */
	n = null_esp(b, p.auth_key, 7, (const uint8_t[10]){ 0x45, 0, 0, 10 }, 10,
		     (const uint8_t[]){ 0, 4 }, 2); /* 10-byte "IPv4" */
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_MALFORMED);
	in[3] += 4; /* inner length > data */
	n = null_esp(b, p.auth_key, 8, in, il, (const uint8_t[]){ 1, 2, 2, 4 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_MALFORMED);
	in[3] -= 8; /* shorter: TFC padding */
	n = null_esp(b, p.auth_key, 9, in, il, (const uint8_t[]){ 1, 2, 2, 4 }, 4);
	CU_ASSERT_EQUAL(decrypt1(i, b, n), FP_DROP_NONE);
	CU_ASSERT_EQUAL(i->stats.drops[FP_DROP_PAD], 3);
	CU_ASSERT_EQUAL(i->stats.drops[FP_DROP_NEXT_HDR], 1);
	CU_ASSERT_EQUAL(i->stats.packets, 2);
	sa_free(i);

	/* CBC: ciphertext not a whole number of blocks. */
	gcm_params(&p, FP_DIR_IN, 0x5002);
	with_hmac(&p, FP_CIPHER_AES_CBC, 16, 0);
	i = sa_new(&p);
	gcm_params(&p, FP_DIR_OUT, 0x5002);
	with_hmac(&p, FP_CIPHER_AES_CBC, 16, 0);
	struct fp_sa *o = sa_new(&p);
	uint8_t w[256];
	size_t wl = encrypt1(o, in, icmp4(in, 1, 10), w);
	memmove(w + wl - 20, w + wl - 16, 16); /* drop 4 ciphertext bytes */
	ip4_fix(w, wl - 4);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl - 4), FP_DROP_MALFORMED);
	sa_free(i);
	sa_free(o);
}

static void test_policy(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256];
	size_t wl;

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x6001);
	struct fp_sa *o = sa_new(&p);
	gcm_params(&p, FP_DIR_IN, 0x6001);
	p.n_sel = 1;
	p.sel[0].family = 4;
	inet_pton(AF_INET, "198.51.100.0", p.sel[0].src_lo);
	inet_pton(AF_INET, "198.51.100.255", p.sel[0].src_hi);
	inet_pton(AF_INET, "203.0.113.0", p.sel[0].dst_lo);
	inet_pton(AF_INET, "203.0.113.255", p.sel[0].dst_hi);
	struct fp_sa *i = sa_new(&p);
	wl = encrypt1(o, in, icmp4(in, 1, 4), w);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_NONE);
	icmp4(in, 2, 4);
	in[15] = 7;
	inet_pton(AF_INET, "192.0.2.99", in + 12); /* outside the selector */
	wl = encrypt1(o, in, 32, w);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_POLICY);
	p.sel[0].proto = 17; /* UDP only: ICMP refused */
	sa_free(i);
	i = sa_new(&p);
	wl = encrypt1(o, in, icmp4(in, 3, 4), w);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_POLICY);
	CU_ASSERT_EQUAL(i->stats.drops[FP_DROP_POLICY], 1);
	sa_free(o);
	sa_free(i);
}

/* ---- sequence numbers and lifetimes ---- */

static void test_seq_overflow(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256];
	struct rte_mbuf *mb[3];

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x7001);
	struct fp_sa *o = sa_new(&p);
	fp_sa_set_seq(o, 0xfffffffe);
	size_t il = icmp4(in, 1, 8);
	for (int k = 0; k < 3; k++)
		mb[k] = mk(in, il);
	CU_ASSERT_EQUAL(fp_esp_process(o, &eng, mb, 3), 1);
	CU_ASSERT_EQUAL(rte_pktmbuf_mtod_offset(mb[0], uint8_t *, 24)[0], 0xff); /* seq */
	CU_ASSERT_EQUAL(fp_mbuf_drop_reason(mb[1]), FP_DROP_SEQ_OVERFLOW);
	CU_ASSERT_EQUAL(fp_mbuf_drop_reason(mb[2]), FP_DROP_SEQ_OVERFLOW);
	CU_ASSERT_EQUAL(o->stats.drops[FP_DROP_SEQ_OVERFLOW], 2);
	CU_ASSERT(o->life & FP_SA_F_HARD_EXPIRED);
	CU_ASSERT(o->life & FP_SA_F_SEQ_OVERFLOW);
	CU_ASSERT_EQUAL(o->h.seq, 0xffffffffull); /* no wrap */
	free_all(mb, 3);
	sa_free(o);

	/* With ESN the low half wraps to 0 and the high half carries. */
	gcm_params(&p, FP_DIR_OUT, 0x7002);
	p.esn = true;
	o = sa_new(&p);
	gcm_params(&p, FP_DIR_IN, 0x7002);
	p.esn = true;
	struct fp_sa *i = sa_new(&p);
	fp_sa_set_seq(o, 0xfffffffe);
	fp_sa_set_seq(i, 0xfffffffd);
	for (int k = 0; k < 3; k++) {
		size_t wl = encrypt1(o, in, il, w);
		CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_NONE);
	}
	CU_ASSERT_EQUAL(o->h.seq, 0x100000001ull);
	CU_ASSERT_EQUAL(i->replay.top, 0x100000001ull);
	CU_ASSERT_EQUAL(o->life, 0);
	sa_free(o);
	sa_free(i);
}

static void test_lifetime(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256];

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x7101);
	p.soft_packets = 2;
	p.hard_packets = 3;
	struct fp_sa *o = sa_new(&p);
	size_t il = icmp4(in, 1, 8);
	encrypt1(o, in, il, w);
	CU_ASSERT_EQUAL(o->life, 0);
	encrypt1(o, in, il, w);
	CU_ASSERT_EQUAL(o->life, FP_SA_F_SOFT_EXPIRED);
	encrypt1(o, in, il, w);
	struct rte_mbuf *m = mk(in, il);
	CU_ASSERT_EQUAL(fp_esp_process(o, &eng, &m, 1), 0);
	CU_ASSERT_EQUAL(fp_mbuf_drop_reason(m), FP_DROP_EXPIRED);
	CU_ASSERT(o->life & FP_SA_F_HARD_EXPIRED);
	CU_ASSERT_EQUAL(o->stats.packets, 3);
	rte_pktmbuf_free(m);
	sa_free(o);
}

/* A hard limit without a soft one still ends an outbound SA (the burst's
 * fast check once looked at the soft limits only: every packet went out). */
static void test_lifetime_hard_only(void)
{
	struct fp_sa_params p;
	struct rte_mbuf *mb[10];
	uint8_t in[128];
	size_t il = icmp4(in, 1, 32); /* 60 bytes */

	SETUP();
	for (int t = 0; t < 2; t++) {
		gcm_params(&p, FP_DIR_OUT, 0x7111 + (uint32_t)t);
		if (t == 0) {
			p.hard_packets = 3;
		} else {
			p.soft_packets = 100; /* soft packets, hard bytes only */
			p.hard_bytes = 200;
		}
		struct fp_sa *o = sa_new(&p);
		for (int k = 0; k < 10; k++)
			mb[k] = mk(in, il);
		CU_ASSERT_EQUAL(fp_esp_process(o, &eng, mb, 10), 3);
		for (int k = 3; k < 10; k++)
			CU_ASSERT_EQUAL(fp_mbuf_drop_reason(mb[k]), FP_DROP_EXPIRED);
		CU_ASSERT(o->life & FP_SA_F_HARD_EXPIRED);
		CU_ASSERT_EQUAL(o->stats.packets, 3);
		CU_ASSERT_EQUAL(o->stats.bytes, 3 * il);
		CU_ASSERT_EQUAL(o->stats.drops[FP_DROP_EXPIRED], 7);
		free_all(mb, 10);
		sa_free(o);
	}
}

/* fp_sa_set_seq() on an inbound SA without anti-replay leaves it without:
 * the live window's 0 ("off") once became fp_replay_init()'s 0 ("default"). */
static void test_set_seq_replay_off(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256];

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x7121);
	struct fp_sa *o = sa_new(&p);
	gcm_params(&p, FP_DIR_IN, 0x7121);
	p.replay_window = FP_REPLAY_OFF;
	struct fp_sa *i = sa_new(&p);
	CU_ASSERT_EQUAL(i->replay.win, 0);
	CU_ASSERT_EQUAL(fp_sa_set_seq(i, 100), 0);
	CU_ASSERT_EQUAL(i->replay.win, 0);
	size_t wl = encrypt1(o, in, icmp4(in, 1, 8), w);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_NONE);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_NONE); /* a replay passes: off */
	sa_free(o);
	sa_free(i);
}

/* RFC 4303 2.6: a dummy packet (next header 59) is discarded in transport
 * mode as in tunnel mode. */
static void test_transport_dummy(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256];

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x7131);
	p.mode = FP_MODE_TRANSPORT;
	struct fp_sa *o = sa_new(&p);
	gcm_params(&p, FP_DIR_IN, 0x7131);
	p.mode = FP_MODE_TRANSPORT;
	struct fp_sa *i = sa_new(&p);
	size_t il = icmp4(in, 1, 8);
	addr(4, 0, in + 12);
	addr(4, 1, in + 16);
	size_t wl = encrypt1(o, in, il, w);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_NONE); /* ICMP: delivered */
	in[9] = IPPROTO_NONE;
	wl = encrypt1(o, in, il, w);
	CU_ASSERT_EQUAL(decrypt1(i, w, wl), FP_DROP_NEXT_HDR);
	CU_ASSERT_EQUAL(i->stats.drops[FP_DROP_NEXT_HDR], 1);
	sa_free(o);
	sa_free(i);
}

/* RFC 4301 7: a non-initial IPv4 fragment has no ports; its data where the
 * ports would be (here 80, 80) must not satisfy a port selector. */
static void test_policy_fragments(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256];
	/* ports: 0 = dport 80 only, 1 = ANY as 0-0, 2 = ANY as 0-65535 (what
	 * IKE's traffic selectors and the config give) */
	struct {
		uint16_t frag; /* flags + offset field */
		int ports;
		enum fp_drop want;
	} cases[] = {
		{ 0x0002, 0, FP_DROP_POLICY }, /* offset 16 bytes */
		{ 0x0002, 1, FP_DROP_NONE },   { 0x0002, 2, FP_DROP_NONE },
		{ 0x2000, 0, FP_DROP_NONE }, /* first fragment (MF): has ports */
		{ 0x0000, 0, FP_DROP_NONE },   { 0x0000, 2, FP_DROP_NONE },
	};

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x7141);
	struct fp_sa *o = sa_new(&p);
	for (unsigned c = 0; c < RTE_DIM(cases); c++) {
		gcm_params(&p, FP_DIR_IN, 0x7141);
		p.n_sel = 1;
		p.sel[0].family = 4;
		inet_pton(AF_INET, "0.0.0.0", p.sel[0].src_lo);
		inet_pton(AF_INET, "255.255.255.255", p.sel[0].src_hi);
		inet_pton(AF_INET, "0.0.0.0", p.sel[0].dst_lo);
		inet_pton(AF_INET, "255.255.255.255", p.sel[0].dst_hi);
		p.sel[0].proto = IPPROTO_TCP;
		if (cases[c].ports == 0)
			p.sel[0].dport_lo = p.sel[0].dport_hi = 80;
		if (cases[c].ports == 2)
			p.sel[0].sport_hi = p.sel[0].dport_hi = 65535;
		struct fp_sa *i = sa_new(&p);
		size_t il = icmp4(in, (uint16_t)c, 20);
		in[9] = IPPROTO_TCP;
		in[6] = (uint8_t)(cases[c].frag >> 8);
		in[7] = (uint8_t)cases[c].frag;
		in[20] = 0;
		in[21] = 80;
		in[22] = 0;
		in[23] = 80;
		size_t wl = encrypt1(o, in, il, w);
		CU_ASSERT_EQUAL(decrypt1(i, w, wl), cases[c].want);
		sa_free(i);
	}
	sa_free(o);
}

/* RFC 6040 4.2 on decapsulation, outer ECN x inner ECN -> inner ECN, or
 * a drop; the inner IPv4 checksum must stay right, IPv6 too. */
static uint16_t ip4_sum(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* IPv6/UDP from 2001:db8:1::1 to 2001:db8:2::1, traffic class tc, n bytes. */
static size_t udp6(uint8_t *b, uint8_t tc, size_t n)
{
	size_t len = 48 + n;

	memset(b, 0, len);
	b[0] = (uint8_t)(0x60 | tc >> 4);
	b[1] = (uint8_t)(tc << 4);
	b[4] = (uint8_t)((8 + n) >> 8);
	b[5] = (uint8_t)(8 + n);
	b[6] = IPPROTO_UDP;
	b[7] = 64;
	inet_pton(AF_INET6, "2001:db8:1::1", b + 8);
	inet_pton(AF_INET6, "2001:db8:2::1", b + 24);
	b[40] = 0x30;
	b[41] = 0x39;
	b[42] = 0x30;
	b[43] = 0x3a;
	b[44] = (uint8_t)((8 + n) >> 8);
	b[45] = (uint8_t)(8 + n);
	for (size_t i = 0; i < n; i++)
		b[48 + i] = (uint8_t)i;
	return len;
}

static void test_ecn_decap(void)
{
	/* [outer][inner] -> inner after, 4 = dropped (ecn) */
	static const uint8_t want[4][4] = {
		{ 0, 1, 2, 3 }, /* outer Not-ECT: unchanged */
		{ 0, 1, 1, 3 }, /* outer ECT(1): ECT(0) inside becomes ECT(1) */
		{ 0, 1, 2, 3 }, /* outer ECT(0) */
		{ 4, 3, 3, 3 }, /* outer CE: CE, or a drop over Not-ECT */
	};
	struct fp_sa_params p;
	uint8_t in[128], w[256];
	unsigned checked = 0;

	SETUP();
	for (int fam = 4; fam <= 6; fam += 2) {
		gcm_params(&p, FP_DIR_OUT, 0x7161);
		p.outer_family = (uint8_t)fam;
		addr(fam, 0, p.local);
		addr(fam, 1, p.remote);
		struct fp_sa *o = sa_new(&p);
		gcm_params(&p, FP_DIR_IN, 0x7161);
		p.outer_family = (uint8_t)fam;
		addr(fam, 1, p.local);
		addr(fam, 0, p.remote);
		p.replay_window = FP_REPLAY_OFF;
		struct fp_sa *i = sa_new(&p);
		for (int inner = 4; inner <= 6; inner += 2)
			for (uint8_t oe = 0; oe < 4; oe++)
				for (uint8_t ie = 0; ie < 4; ie++) {
					size_t il;

					if (inner == 6) {
						il = udp6(in, (uint8_t)(0xb8 | ie), 16);
					} else {
						/* TOS 0xb8 (EF) | inner ECN, checksum kept right */
						il = icmp4(in, (uint16_t)(oe * 4 + ie), 16);
						uint16_t old = (uint16_t)(in[0] << 8 | in[1]);
						in[1] = (uint8_t)(0xb8 | ie);
						uint32_t sum = (uint16_t) ~(in[10] << 8 | in[11]) +
							       (uint32_t)(uint16_t)~old +
							       (uint32_t)(in[0] << 8 | in[1]);
						sum = (sum & 0xffff) + (sum >> 16);
						sum = (sum & 0xffff) + (sum >> 16);
						in[10] = (uint8_t)(~sum >> 8);
						in[11] = (uint8_t)~sum;
						CU_ASSERT_EQUAL((uint16_t)~ip4_sum(in), 0);
					}
					size_t wl = encrypt1(o, in, il, w);
					if (fam == 4) /* outer ECN, as the path set it */
						w[1] = (uint8_t)((w[1] & ~3u) | oe);
					else
						w[1] = (uint8_t)((w[1] & ~0x30u) | oe << 4);
					struct rte_mbuf *m = mk(w, wl);
					uint16_t ok = fp_esp_process(i, &eng, &m, 1);
					if (want[oe][ie] == 4) {
						CU_ASSERT_EQUAL(ok, 0);
						CU_ASSERT_EQUAL(fp_mbuf_drop_reason(m),
								FP_DROP_ECN);
					} else {
						const uint8_t *ip =
							rte_pktmbuf_mtod(m, const uint8_t *);
						uint8_t tos = inner == 4 ? ip[1]
									 : (uint8_t)(ip[0] << 4 |
										     ip[1] >> 4);

						CU_ASSERT_EQUAL_FATAL(ok, 1);
						CU_ASSERT_EQUAL(tos, 0xb8 | want[oe][ie]);
						if (inner == 4)
							CU_ASSERT_EQUAL((uint16_t)~ip4_sum(ip), 0);
						CU_ASSERT_EQUAL(m->pkt_len, il);
						/* the rest as sent (IPv4: past the checksum) */
						if (inner == 6)
							CU_ASSERT_EQUAL(
								memcmp(ip + 2, in + 2, il - 2), 0);
						CU_ASSERT_EQUAL(memcmp(ip + 12, in + 12, il - 12),
								0);
					}
					rte_pktmbuf_free(m);
					checked++;
				}
		CU_ASSERT_EQUAL(i->stats.drops[FP_DROP_ECN], 2);
		sa_free(o);
		sa_free(i);
	}
	CU_ASSERT_EQUAL(checked, 64);
}

/* RFC 3948 3.1.2: transport mode under NAT-T. A NAT rewrote the outer
 * (= the packet's own) source address on the way, so the sender's TCP/UDP
 * checksum no longer matches; after decapsulation it must again. Without
 * UDP encapsulation the packet is left as it came. */
static void test_natt_transport_cksum(void)
{
	struct fp_sa_params p;
	uint8_t in[128], w[256], c[128];

	SETUP();
	for (int enc = 0; enc < 2; enc++)
		for (int proto = 0; proto < 2; proto++) {
			const uint8_t pr = proto ? IPPROTO_TCP : IPPROTO_UDP;
			const uint32_t at = 20 + (proto ? 16u : 6u), l4 = proto ? 20u : 8u;

			gcm_params(&p, FP_DIR_OUT, 0x7181);
			p.mode = FP_MODE_TRANSPORT;
			p.udp_encap = enc;
			p.encap_local_port = p.encap_remote_port = 4500;
			struct fp_sa *o = sa_new(&p);
			gcm_params(&p, FP_DIR_IN, 0x7181);
			p.mode = FP_MODE_TRANSPORT;
			p.udp_encap = enc;
			p.encap_local_port = p.encap_remote_port = 4500;
			struct fp_sa *i = sa_new(&p);
			size_t il = icmp4(in, 1, l4 + 24 - 8); /* 20 + l4 + 24 */
			addr(4, 0, in + 12);
			addr(4, 1, in + 16);
			in[9] = pr;
			memset(in + 20, 0, l4);
			in[20] = 0x30;
			in[21] = 0x39;
			in[22] = 0x11;
			in[23] = 0x94;
			if (proto)
				in[32] = 0x50; /* data offset 5 */
			else
				in[25] = (uint8_t)(il - 20); /* UDP length */
			uint16_t ck = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)in,
							    in + 20);
			memcpy(in + at, &ck, 2);
			size_t wl = encrypt1(o, in, il, w);
			inet_pton(AF_INET, "198.51.100.77", w + 12); /* the NAT */
			struct rte_mbuf *m = mk(w, wl);
			CU_ASSERT_EQUAL_FATAL(fp_esp_process(i, &eng, &m, 1), 1);
			uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
			CU_ASSERT_EQUAL(m->pkt_len, il);
			CU_ASSERT_EQUAL(memcmp(ip + 20, in + 20, 2), 0);
			memcpy(c, ip, il);
			c[at] = c[at + 1] = 0;
			ck = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)c, c + 20);
			/* NAT-T: right for the rewritten address; else as sent */
			CU_ASSERT_EQUAL(memcmp(&ck, ip + at, 2) == 0, enc == 1);
			CU_ASSERT_EQUAL(memcmp(in + at, ip + at, 2) == 0, enc == 0);
			rte_pktmbuf_free(m);
			if (!proto) { /* UDP sent without a checksum: kept 0 */
				in[at] = in[at + 1] = 0;
				wl = encrypt1(o, in, il, w);
				inet_pton(AF_INET, "198.51.100.77", w + 12);
				m = mk(w, wl);
				CU_ASSERT_EQUAL_FATAL(fp_esp_process(i, &eng, &m, 1), 1);
				ip = rte_pktmbuf_mtod(m, uint8_t *);
				CU_ASSERT(ip[at] == 0 && ip[at + 1] == 0);
				rte_pktmbuf_free(m);
			}
			sa_free(o);
			sa_free(i);
		}
}

/* fp_sa_fini() leaves no key material in the SA: the backend's session
 * area (expanded keys, HMAC states) and the AEAD salt. */
static void test_fini_wipes_keys(void)
{
	struct fp_sa_params p;

	SETUP();
	for (int t = 0; t < 2; t++) {
		gcm_params(&p, FP_DIR_OUT, 0x7171 + (uint32_t)t);
		if (t == 1)
			with_hmac(&p, FP_CIPHER_AES_CBC, 16, 0x77);
		struct fp_sa *sa = sa_new(&p);
		unsigned nz = 0;

		for (size_t i = 0; i < sizeof(sa->sess); i++)
			nz += sa->sess[i] != 0;
		CU_ASSERT(nz > 32);
		if (t == 0)
			CU_ASSERT_EQUAL(memcmp(sa->h.salt, p.cipher_key + 16, 4), 0);
		fp_sa_fini(sa);
		nz = 0;
		for (size_t i = 0; i < sizeof(sa->sess); i++)
			nz += sa->sess[i] != 0;
		for (size_t i = 0; i < sizeof(sa->h.salt); i++)
			nz += sa->h.salt[i] != 0;
		CU_ASSERT_EQUAL(nz, 0);
		free(sa);
	}
}

/* Inbound bursts of mixed sizes: the job-API backends submit a decryption
 * burst longest first (crypto_imb.c, longest_first()); each packet still
 * gets its own result, in the burst's order, and a bad ICV drops its own
 * packet only. GCM (direct calls, never reordered) alongside. */
static void test_mixed_burst(void)
{
	static const uint16_t sizes[] = { 20, 1400, 0, 700, 64, 1400, 300, 8, 1000, 64, 1200 };
	enum { N = 40, BAD = 13 };
	static uint8_t plain[N][1500];
	size_t plen[N];
	struct rte_mbuf *mb[N];
	struct fp_sa_params p;

	SETUP();
	for (int t = 0; t < 2; t++) {
		gcm_params(&p, FP_DIR_OUT, 0x7151 + (uint32_t)t);
		if (t == 0)
			with_hmac(&p, FP_CIPHER_AES_CBC, 16, 0x3c);
		struct fp_sa *o = sa_new(&p);
		gcm_params(&p, FP_DIR_IN, 0x7151 + (uint32_t)t);
		if (t == 0)
			with_hmac(&p, FP_CIPHER_AES_CBC, 16, 0x3c);
		struct fp_sa *i = sa_new(&p);
		for (unsigned k = 0; k < N; k++) {
			plen[k] = icmp4(plain[k], (uint16_t)k, sizes[k % RTE_DIM(sizes)]);
			mb[k] = mk(plain[k], plen[k]);
		}
		CU_ASSERT_FATAL(fp_esp_process(o, &eng, mb, N) == N);
		rte_pktmbuf_mtod(mb[BAD], uint8_t *)[mb[BAD]->pkt_len - 1] ^= 1; /* its ICV */
		CU_ASSERT_EQUAL(fp_esp_process(i, &eng, mb, N), N - 1);
		for (unsigned k = 0, j = 0; k < N; k++) {
			if (k == BAD)
				continue;
			CU_ASSERT(mbuf_eq(mb[j], plain[k], plen[k]));
			j++;
		}
		CU_ASSERT_EQUAL(fp_mbuf_drop_reason(mb[N - 1]), FP_DROP_AUTH);
		CU_ASSERT_EQUAL(i->stats.drops[FP_DROP_AUTH], 1);
		CU_ASSERT_EQUAL(i->stats.packets, N - 1);
		free_all(mb, N);
		sa_free(o);
		sa_free(i);
	}
}

/* Bad packets move behind the good ones, order kept, also past 64. */
static void test_burst_order(void)
{
	struct fp_sa_params p;
	struct rte_mbuf *mb[150];
	uint8_t in[128];

	SETUP();
	gcm_params(&p, FP_DIR_OUT, 0x7201);
	struct fp_sa *o = sa_new(&p);
	for (unsigned k = 0; k < 150; k++) {
		size_t il = icmp4(in, (uint16_t)k, k % 50);
		if (k % 10 == 3)
			in[0] = 0x75; /* bad version */
		mb[k] = mk(in, il);
	}
	uint16_t g = fp_esp_process(o, &eng, mb, 150);
	CU_ASSERT_EQUAL(g, 135);
	unsigned prev = 0;
	for (unsigned k = 0; k < g; k++) {
		uint8_t *e = rte_pktmbuf_mtod(mb[k], uint8_t *);
		unsigned seq = (unsigned)(e[24] << 24 | e[25] << 16 | e[26] << 8 | e[27]);
		CU_ASSERT_EQUAL(seq, prev + 1);
		prev = seq;
	}
	for (unsigned k = g; k < 150; k++) {
		CU_ASSERT_EQUAL(fp_mbuf_drop_reason(mb[k]), FP_DROP_MALFORMED);
		CU_ASSERT_EQUAL(rte_pktmbuf_mtod(mb[k], uint8_t *)[0], 0x75);
	}
	CU_ASSERT_EQUAL(o->stats.drops[FP_DROP_MALFORMED], 15);
	free_all(mb, 150);
	sa_free(o);
}

/* RFC 3602 2.4: the CBC IV must be unpredictable. Ours is AES under a
 * random per-SA key of the sequence number: every IV differs, two SAs
 * with the same keys give unrelated IV sequences, and neighbours are not
 * a counter (about half their bits differ; a count would flip few). */
static int iv_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void test_cbc_iv(void)
{
	enum { N = 200 };
	static uint8_t iv[2][N][16], all[2 * N][16];
	static const uint8_t zero[16];
	struct fp_sa_params p;
	struct rte_mbuf *mb[50];
	uint8_t in[128];
	unsigned dup = 0, near = 0, same = 0;

	SETUP();
	for (unsigned s = 0; s < 2; s++) {
		gcm_params(&p, FP_DIR_OUT, 0x7301 + s);
		with_hmac(&p, FP_CIPHER_AES_CBC, 16, 0x5a);
		struct fp_sa *o = sa_new(&p);
		for (unsigned k = 0; k < N; k += 50) {
			for (unsigned i = 0; i < 50; i++)
				mb[i] = mk(in, icmp4(in, (uint16_t)(k + i), 20));
			CU_ASSERT_FATAL(fp_esp_process(o, &eng, mb, 50) == 50);
			for (unsigned i = 0; i < 50; i++) /* outer IPv4 20, SPI, seq */
				memcpy(iv[s][k + i], rte_pktmbuf_mtod(mb[i], uint8_t *) + 28, 16);
			free_all(mb, 50);
		}
		sa_free(o);
	}
	memcpy(all, iv, sizeof(all));
	qsort(all, 2 * N, 16, iv_cmp);
	for (unsigned i = 0; i + 1 < 2 * N; i++)
		dup += memcmp(all[i], all[i + 1], 16) == 0;
	for (unsigned s = 0; s < 2; s++)
		for (unsigned k = 0; k < N; k++) {
			unsigned bits = 0;

			same += memcmp(iv[s][k], zero, 16) == 0;
			if (k + 1 < N)
				for (unsigned b = 0; b < 16; b++)
					bits += (unsigned)__builtin_popcount(iv[s][k][b] ^
									     iv[s][k + 1][b]);
			near += k + 1 < N && bits < 20;
		}
	CU_ASSERT_EQUAL(dup, 0);  /* no IV twice, within or across the SAs */
	CU_ASSERT_EQUAL(same, 0); /* none all-zero */
	CU_ASSERT_EQUAL(near, 0);
}

static void test_params_check(void)
{
	struct fp_sa_params p;
	char err[128];

	gcm_params(&p, FP_DIR_IN, 0x8001);
	CU_ASSERT_EQUAL(fp_sa_params_check(&p, err, sizeof(err)), 0);
#define BAD(stmt)                                                                   \
	do {                                                                        \
		gcm_params(&p, FP_DIR_IN, 0x8001);                                  \
		stmt;                                                               \
		CU_ASSERT_EQUAL(fp_sa_params_check(&p, err, sizeof(err)), -EINVAL); \
	} while (0)
	BAD(p.spi = 255);
	BAD(p.cipher_key_len = 16);
	BAD(p.auth = FP_AUTH_HMAC_SHA256_128);
	BAD(p.replay_window = 1000);
	BAD(p.replay_window = 8192);
	BAD(p.outer_family = 5);
	BAD(p.udp_encap = true);
	BAD(p.cipher = FP_CIPHER_AES_CBC); /* 20-byte key, no auth */
	BAD((p.cipher = FP_CIPHER_NULL, p.cipher_key_len = 0));
	BAD((p.cipher = FP_CIPHER_NULL, p.cipher_key_len = 0, p.auth = FP_AUTH_HMAC_SHA384_192,
	     p.auth_key_len = 32));
	BAD((p.soft_packets = 10, p.hard_packets = 5));
	BAD((p.n_sel = 1, p.sel[0].family = 5));
	BAD(p.n_sel = 5);
#undef BAD
}

/* One IV the way the backends made them before fp_cbc_ivs(): intel-ipsec-mb's
 * single-block CFB of a zero block, out = AES(iv_key, be64(seq) || 0). */
static void cbc_iv_one(IMB_MGR *m, const struct fp_cbc_iv_key *k, uint64_t seq, uint8_t out[16])
{
	static const uint8_t zero[16];
	uint64_t blk[2] = { rte_cpu_to_be_64(seq), 0 };

	IMB_AES128_CFB_ONE(m, out, zero, blk, k->ks, 16);
}

/* Outbound CBC IVs of a burst (fp_cbc_ivs, one AES-ECB job) are
 * AES-128(iv_key, seq || 0) of each op, checked against OpenSSL with a
 * known iv_key, and equal to the per-packet cbc_iv_one(). */
static void test_cbc_ivs_burst(void)
{
	static const uint8_t key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
					 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
	static const uint16_t counts[] = { 1, 2, 7, 31, 32, FP_MAX_BURST };
	struct fp_cbc_iv_key k;
	uint8_t dk[16 * 11] __rte_aligned(16), iv[FP_MAX_BURST][16], one[16];
	struct fp_crypto_op *ops = calloc(FP_MAX_BURST, sizeof(*ops));
	IMB_MGR *m = fp_imb_mgr_new();
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned checked = 0;

	CU_ASSERT_FATAL(ops != NULL && m != NULL && c != NULL);
	IMB_AES_KEYEXP_128(m, key, k.ks, dk);
	CU_ASSERT_FATAL(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	for (unsigned t = 0; t < RTE_DIM(counts); t++) {
		uint16_t n = counts[t];

		memset(iv, 0, sizeof(iv));
		for (uint16_t i = 0; i < n; i++) {
			ops[i].seq = (t == 0 ? UINT64_MAX : (uint64_t)t << 32) - i * 3u;
			ops[i].iv = iv[i];
		}
		CU_ASSERT_EQUAL_FATAL(fp_cbc_ivs(m, &k, ops, n), 0);
		for (uint16_t i = 0; i < n; i++) {
			uint8_t blk[16] = { 0 }, want[16];
			int len = 0;

			for (int b = 0; b < 8; b++)
				blk[b] = (uint8_t)(ops[i].seq >> (56 - 8 * b));
			CU_ASSERT_FATAL(EVP_EncryptUpdate(c, want, &len, blk, 16) == 1 &&
					len == 16);
			CU_ASSERT(memcmp(iv[i], want, 16) == 0);
			cbc_iv_one(m, &k, ops[i].seq, one);
			CU_ASSERT(memcmp(iv[i], one, 16) == 0);
			checked++;
		}
		CU_ASSERT(n < 2 || memcmp(iv[0], iv[1], 16) != 0);
	}
	CU_ASSERT_EQUAL(checked, 1 + 2 + 7 + 31 + 32 + FP_MAX_BURST);
	CU_ASSERT_EQUAL(fp_cbc_ivs(m, &k, ops, 0), -EINVAL);
	CU_ASSERT_EQUAL(fp_cbc_ivs(m, &k, ops, FP_MAX_BURST + 1), -EINVAL);
	EVP_CIPHER_CTX_free(c);
	free_mb_mgr(m);
	free(ops);
}

/* One burst of n ops over bufs (ESP header, IV, payload of lens[i] bytes,
 * SPLIT_BUF apart), sequence numbers from 1. */
#define SPLIT_BUF 1536u
static void split_ops(struct fp_crypto_op *ops, uint8_t *bufs, const uint16_t *lens, uint16_t n,
		      bool fill)
{
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *b = bufs + (size_t)i * SPLIT_BUF;

		memset(&ops[i], 0, sizeof(ops[i]));
		if (fill)
			for (uint32_t k = 0; k < SPLIT_BUF; k++)
				b[k] = (uint8_t)(k * 7 + i);
		ops[i].buf = b;
		ops[i].cipher_off = 24;
		ops[i].cipher_len = lens[i];
		ops[i].auth_len = 24u + lens[i];
		ops[i].iv = b + 8;
		ops[i].seq = i + 1u;
		ops[i].digest = ops[i].digest_buf;
	}
}

/* intel-ipsec-mb with a second manager for short HMAC-SHA-256 jobs
 * (fp_imb_configure): bursts of mixed lengths split over two managers
 * give the same bytes as one manager, and both agree with OpenSSL's
 * AES-CBC (or NULL) and HMAC; decryption of the split bursts gets the
 * plaintext and the tags back. The engine's short_jobs counter says which
 * manager ran: jobs up to 256 B on the second one, longer ones there too
 * when fewer than 16 (the wide lanes) of a burst are longer; HMAC-SHA-512
 * never. */
#define SPLIT_MAX 256u
static uint64_t short_jobs(const void *e)
{
	struct fp_crypto_stats st;

	memset(&st, 0, sizeof(st));
	fp_crypto_imb.stats(e, &st);
	return st.short_jobs;
}

/* What the second manager should run of a burst (the rule in crypto.h). */
static uint64_t want_short(const uint16_t *lens, uint16_t n, bool sha256, bool wide)
{
	uint16_t ns = 0;

	for (uint16_t i = 0; i < n; i++)
		ns += lens[i] <= SPLIT_MAX;
	if (!sha256)
		return 0;
	return n - ns >= (wide ? 16 : 1) ? ns : n;
}

static void split_round(const uint16_t *lens, uint16_t n, unsigned *split_engines,
			unsigned *checked)
{
	static const enum fp_imb_short archs[] = { FP_IMB_SHORT_AVX2, FP_IMB_SHORT_SSE };
	uint8_t *ref = malloc((size_t)n * SPLIT_BUF), *got = malloc((size_t)n * SPLIT_BUF);
	uint8_t refdig[FP_MAX_BURST][32], sess_out[FP_CRYPTO_SESS_SIZE] __rte_aligned(64),
		sess_in[FP_CRYPTO_SESS_SIZE] __rte_aligned(64);
	struct fp_crypto_op ops[FP_MAX_BURST];
	struct fp_sa_params p;
	char desc[160], err[128];
	IMB_MGR *probe = fp_imb_mgr_new();
	bool wide;

	CU_ASSERT_FATAL(ref != NULL && got != NULL && probe != NULL && n <= FP_MAX_BURST);
	wide = probe->used_arch == IMB_ARCH_AVX512;
	free_mb_mgr(probe);
	/* 0: AES-CBC + HMAC-SHA-256, 1: AES-CBC + HMAC-SHA-512, 2: NULL + HMAC-SHA-256 */
	for (int v = 0; v < 3; v++) {
		unsigned icv = v == 1 ? 32 : 16;
		void *off;

		gcm_params(&p, FP_DIR_OUT, 0x5000);
		with_hmac(&p, v == 2 ? FP_CIPHER_NULL : FP_CIPHER_AES_CBC, v == 2 ? 0 : 16, 0x3c);
		if (v == 1) {
			p.auth = FP_AUTH_HMAC_SHA512_256;
			p.auth_key_len = 64;
			memset(p.auth_key, 0x3d, 64);
		}
		CU_ASSERT_FATAL(fp_crypto_imb.session_init(sess_out, &p, err, sizeof(err)) == 0);
		p.dir = FP_DIR_IN;
		CU_ASSERT_FATAL(fp_crypto_imb.session_init(sess_in, &p, err, sizeof(err)) == 0);

		/* Reference: one manager. */
		fp_imb_configure(FP_IMB_SHORT_OFF, SPLIT_MAX, desc, sizeof(desc));
		CU_ASSERT(strstr(desc, "jobs up to") == NULL);
		off = fp_crypto_imb.engine_create(0);
		CU_ASSERT_FATAL(off != NULL);
		split_ops(ops, ref, lens, n, true);
		fp_crypto_imb.process(off, sess_out, ops, n, true);
		CU_ASSERT_EQUAL(short_jobs(off), 0);
		for (uint16_t i = 0; i < n; i++) {
			const uint8_t *b = ref + (size_t)i * SPLIT_BUF;
			uint8_t pt[SPLIT_BUF], ct[SPLIT_BUF + 16], mac[64];
			unsigned maclen = 0;
			int l1 = 0, l2 = 0;

			CU_ASSERT_EQUAL(ops[i].status, FP_CRYPTO_OK);
			memcpy(refdig[i], ops[i].digest, icv);
			/* What it encrypted: the fill split_ops() wrote. */
			for (uint32_t k = 0; k < lens[i]; k++)
				pt[k] = (uint8_t)((24 + k) * 7 + i);
			if (v == 2) {
				memcpy(ct, pt, lens[i]);
				l1 = lens[i];
			} else {
				EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

				CU_ASSERT_FATAL(c != NULL);
				CU_ASSERT(EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL,
							     p.cipher_key, b + 8) == 1);
				EVP_CIPHER_CTX_set_padding(c, 0);
				CU_ASSERT(EVP_EncryptUpdate(c, ct, &l1, pt, lens[i]) == 1);
				CU_ASSERT(EVP_EncryptFinal_ex(c, ct + l1, &l2) == 1);
				EVP_CIPHER_CTX_free(c);
			}
			CU_ASSERT(l1 + l2 == lens[i] && memcmp(ct, b + 24, lens[i]) == 0);
			HMAC(v == 1 ? EVP_sha512() : EVP_sha256(), p.auth_key, p.auth_key_len, b,
			     24u + lens[i], mac, &maclen);
			CU_ASSERT(memcmp(mac, refdig[i], icv) == 0);
			(*checked)++;
		}
		fp_crypto_imb.engine_free(off);

		for (unsigned a = 0; a < RTE_DIM(archs); a++) {
			uint64_t want = want_short(lens, n, v != 1, wide);
			void *e;

			fp_imb_configure(archs[a], SPLIT_MAX, desc, sizeof(desc));
			if (strstr(desc, "jobs up to 256 B") == NULL)
				continue; /* no such code on this CPU */
			e = fp_crypto_imb.engine_create(0);
			CU_ASSERT_FATAL(e != NULL);
			(*split_engines)++;
			split_ops(ops, got, lens, n, true);
			fp_crypto_imb.process(e, sess_out, ops, n, true);
			CU_ASSERT_EQUAL(short_jobs(e), want);
			for (uint16_t i = 0; i < n; i++) {
				CU_ASSERT_EQUAL(ops[i].status, FP_CRYPTO_OK);
				CU_ASSERT(memcmp(ops[i].digest, refdig[i], icv) == 0);
			}
			CU_ASSERT(memcmp(got, ref, (size_t)n * SPLIT_BUF) == 0);
			/* Back: same tags, plaintext again; the first and second
			 * buffers damaged give other tags, the rest unchanged. */
			got[24] ^= 1;
			got[(size_t)1 * SPLIT_BUF + 24 + lens[1] - 1] ^= 1;
			split_ops(ops, got, lens, n, false);
			fp_crypto_imb.process(e, sess_in, ops, n, false);
			CU_ASSERT_EQUAL(short_jobs(e), 2 * want);
			for (uint16_t i = 0; i < n; i++) {
				const uint8_t *b = got + (size_t)i * SPLIT_BUF;
				bool bad = i < 2;

				CU_ASSERT_EQUAL(ops[i].status, FP_CRYPTO_OK);
				CU_ASSERT((memcmp(ops[i].digest, refdig[i], icv) != 0) == bad);
				for (uint32_t k = 0; !bad && k < lens[i]; k++)
					if (b[24 + k] != (uint8_t)((24 + k) * 7 + i)) {
						CU_FAIL("plaintext differs");
						break;
					}
			}
			fp_crypto_imb.engine_free(e);
		}
		explicit_bzero(sess_out, sizeof(sess_out));
		explicit_bzero(sess_in, sizeof(sess_in));
	}
	free(ref);
	free(got);
}

static void test_imb_short_split(void)
{
	/* 9 of 20 over 256 bytes: too few for the wide lanes, all on the
	 * second manager where the first is AVX-512. */
	static const uint16_t mixed[] = { 16,  1392, 48, 256, 272, 512, 528, 64,   1024, 32,
					  240, 1408, 16, 96,  768, 112, 496, 1376, 80,   256 };
	uint16_t split[48]; /* 32 long, 16 short: both managers */
	uint16_t longs[20]; /* all long: the first manager only */
	unsigned engines = 0, checked = 0, want = 0;
	IMB_MGR *probe = alloc_mb_mgr(0);
	char desc[160];

	SETUP();
	CU_ASSERT_FATAL(probe != NULL);
	/* Engines that can exist here: the library's own test of the CPU. */
	want += (probe->features & IMB_CPUFLAGS_AVX2) == IMB_CPUFLAGS_AVX2;
	want += (probe->features & IMB_CPUFLAGS_SSE) == IMB_CPUFLAGS_SSE;
	free_mb_mgr(probe);
	for (unsigned i = 0; i < RTE_DIM(split); i++)
		split[i] = (uint16_t)(i % 3 == 1 ? 16 * (1 + i % 16) : 272 + 16 * (i * 7 % 72));
	for (unsigned i = 0; i < RTE_DIM(longs); i++)
		longs[i] = (uint16_t)(272 + 64 * i);
	split_round(mixed, RTE_DIM(mixed), &engines, &checked);
	split_round(split, RTE_DIM(split), &engines, &checked);
	split_round(longs, RTE_DIM(longs), &engines, &checked);
	CU_ASSERT(want > 0);
	CU_ASSERT_EQUAL(engines, 3u * 3u * want);
	CU_ASSERT_EQUAL(checked, 3u * (RTE_DIM(mixed) + RTE_DIM(split) + RTE_DIM(longs)));
	fp_imb_configure(FP_IMB_SHORT_AUTO, FP_IMB_SHORT_MAX_DEFAULT, desc, sizeof(desc));
}

static const struct test_case esp_cases[] = {
	{ "params_check", test_params_check },
	{ "kat_gcm_draft_mcgrew", test_kat_gcm_draft },
	{ "scapy_to_us", test_scapy_to_us },
	{ "us_to_scapy", test_us_to_scapy },
	{ "tshark_decrypts_ours", test_tshark },
	{ "replay_window", test_replay_window },
	{ "replay_esn", test_replay_esn },
	{ "replay_packets", test_replay_packets },
	{ "malformed_outer", test_malformed_outer },
	{ "malformed_trailer", test_malformed_trailer },
	{ "policy", test_policy },
	{ "seq_overflow", test_seq_overflow },
	{ "lifetime", test_lifetime },
	{ "burst_order", test_burst_order },
	{ "lifetime_hard_only", test_lifetime_hard_only },
	{ "set_seq_keeps_replay_off", test_set_seq_replay_off },
	{ "transport_dummy_dropped", test_transport_dummy },
	{ "policy_fragments", test_policy_fragments },
	{ "mixed_size_burst_inbound", test_mixed_burst },
	{ "ecn_decapsulation_rfc6040", test_ecn_decap },
	{ "fini_wipes_keys", test_fini_wipes_keys },
	{ "natt_transport_l4_checksum", test_natt_transport_cksum },
	{ "cbc_iv_unpredictable", test_cbc_iv },
	{ "cbc_ivs_burst_are_aes_of_seq", test_cbc_ivs_burst },
	{ "imb_short_jobs_on_a_second_manager", test_imb_short_split },
	{ NULL, NULL },
};
TEST_SUITE(esp, esp_cases)
