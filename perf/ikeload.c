/* SPDX-License-Identifier: BSD-3-Clause */
/* ikeload: an IKEv2 initiator load generator on the project's own engine.
 * Opens N IKE SAs (one CHILD SA each) against a responder with at most K
 * half-open at a time, from a pool of source ports, and reports the rate,
 * authenticating with a PSK or with a certificate (--cert/--key, verifying
 * the responder's against --ca, as the daemon does: the same ike/pki code;
 * several --cert/--key pairs: SA i uses pair i modulo their count, so the
 * responder sees that many distinct peers),
 * latency percentiles, retransmissions and failures by reason. Optional
 * rekey and delete storms; a flood mode that never completes a handshake.
 * --hold FILE keeps the SAs up after the bring-up until FILE exists
 * (traffic through them meanwhile), then --delete paces its Deletes.
 * Bounded in count and time; meant for loopback or the project's own
 * network namespaces only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike.h"
#include "ike/ike_pki.h"

#define MAX_PORTS   1024
#define MAX_REASONS 32
#define MAX_CERTS   256 /* --cert/--key pairs: one connection each */

enum sa_st { S_FREE, S_PENDING, S_UP, S_FAILED, S_DOWN };

struct slot {
	uint64_t spi;
	uint64_t t_start;
	uint8_t st;
	bool rekeyed;
};

static struct {
	/* options */
	ike_addr_t local, remote;
	unsigned port_base, n_ports, count, inflight, tries, rtx_ms, duration_s, timeout_s;
	double flood_rate;
	bool unique_ts, rekey, del, quiet;
	const char *proposal, *esp, *psk, *local_id, *remote_id, *json, *hold;
	const char *ca, *inter; /* certificate mode */
	const char *certs[MAX_CERTS], *keys[MAX_CERTS];
	unsigned n_certs, n_keys;
	/* state */
	struct ike_engine *e;
	struct ike_creds *creds;
	const struct ike_cred *cred[MAX_CERTS];
	int fds[MAX_PORTS], natt_fd;
	struct slot *slots;
	uint64_t *hash; /* spi -> slot index + 1, open addressing */
	unsigned hmask;
	unsigned launched, up, failed, down, rekeyed, flood_sent, del_sent;
	uint64_t *lat;
	unsigned n_lat;
	struct {
		char text[96];
		unsigned n;
	} reasons[MAX_REASONS];
	unsigned n_reasons;
} g;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned hslot(uint64_t spi)
{
	return (unsigned)((spi * 0x9e3779b97f4a7c15ull) >> 32) & g.hmask;
}

static void map_add(uint64_t spi, unsigned idx)
{
	unsigned h = hslot(spi);

	while (g.hash[2 * h])
		h = (h + 1) & g.hmask;
	g.hash[2 * h] = spi;
	g.hash[2 * h + 1] = idx + 1;
}

static struct slot *map_get(uint64_t spi)
{
	for (unsigned h = hslot(spi); g.hash[2 * h]; h = (h + 1) & g.hmask)
		if (g.hash[2 * h] == spi)
			return &g.slots[g.hash[2 * h + 1] - 1];
	return NULL;
}

static void reason_add(const char *r)
{
	char t[96];

	snprintf(t, sizeof(t), "%s", r ? r : "unknown");
	for (unsigned i = 0; i < g.n_reasons; i++)
		if (strcmp(g.reasons[i].text, t) == 0) {
			g.reasons[i].n++;
			return;
		}
	if (g.n_reasons < MAX_REASONS) {
		snprintf(g.reasons[g.n_reasons].text, sizeof(g.reasons[0].text), "%s", t);
		g.reasons[g.n_reasons++].n = 1;
	}
}

static void to_sockaddr(const ike_addr_t *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->a, 4);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(a->port);
		memcpy(&s->sin6_addr, a->a, 16);
		*len = sizeof(*s);
	}
}

static int open_sock(uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ike_addr_t a = g.local;
	int fd = socket(a.family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int buf = 4 << 20;

	if (fd < 0)
		return -1;
	a.port = port;
	to_sockaddr(&a, &ss, &len);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "ikeload: cannot bind port %u: %s\n", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void op_send(void *ctx, const ike_addr_t *l, const ike_addr_t *r, const uint8_t *buf,
		    size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = l->port == 4500 ? g.natt_fd
		 : (l->port >= g.port_base && l->port < g.port_base + g.n_ports)
			 ? g.fds[l->port - g.port_base]
			 : -1;

	(void)ctx;
	if (fd < 0)
		return;
	to_sockaddr(r, &ss, &sl);
	sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl);
}

static void op_event(void *ctx, const struct ike_event *ev)
{
	struct slot *s = map_get(ev->spi_i);
	uint64_t t = now_ms();

	(void)ctx;
	if (ev->type == IKE_EV_IKE_REKEYED)
		return;
	if (!s)
		return;
	switch (ev->type) {
	case IKE_EV_CHILD_UP:
		if (s->st == S_PENDING) {
			s->st = S_UP;
			g.up++;
			g.lat[g.n_lat++] = t - s->t_start;
		}
		break;
	case IKE_EV_CHILD_REKEYED:
		if (!s->rekeyed) {
			s->rekeyed = true;
			g.rekeyed++;
		}
		break;
	case IKE_EV_FAILED:
		if (s->st == S_PENDING) {
			s->st = S_FAILED;
			g.failed++;
			reason_add(ev->reason);
		}
		break;
	case IKE_EV_IKE_DOWN:
		if (s->st == S_UP) {
			s->st = S_DOWN;
			g.down++;
			if (!g.del)
				reason_add(ev->reason);
		} else if (s->st == S_PENDING) {
			s->st = S_FAILED;
			g.failed++;
			reason_add(ev->reason);
		}
		break;
	default: break;
	}
}

/* Our CHILD SAs' inbound SPIs, distinct (the engine's default draws them
 * at random: two equal ones are likely among 100,000, which a responder
 * holding them all rightly refuses), from a random start. */
static uint32_t op_spi_alloc(void *ctx)
{
	static uint32_t next;

	(void)ctx;
	if (!next && getrandom(&next, sizeof(next), 0) != (ssize_t)sizeof(next))
		next = 0x10000;
	if (++next < 256)
		next = 256;
	return next;
}

static void op_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	(void)ctx;
	if (!g.quiet && lvl <= IKE_LOG_WARN)
		fprintf(stderr, "ikeload: %s\n", line);
}

/* The trust anchors, intermediates and our certificates for --cert, loaded
 * once into the store the engine shares between all SAs. */
static int load_creds(void)
{
	char err[512];

	g.creds = ike_creds_new();
	if (!g.creds || ike_creds_load_ca(g.creds, g.ca, err, sizeof(err)) < 0 ||
	    (g.inter && ike_creds_load_intermediate(g.creds, g.inter, err, sizeof(err)) < 0))
		goto fail;
	for (unsigned i = 0; i < g.n_certs; i++)
		if (ike_creds_load_local(g.creds, g.certs[i], g.keys[i], NULL, &g.cred[i], err,
					 sizeof(err)) < 0)
			goto fail;
	return 0;
fail:
	fprintf(stderr, "ikeload: %s\n", g.creds ? err : "out of memory");
	return -1;
}

/* The connection SA i uses: one per certificate. */
static const char *conn_name(unsigned i, char *buf, size_t len)
{
	if (g.n_certs <= 1)
		snprintf(buf, len, "load");
	else
		snprintf(buf, len, "load%u", i % g.n_certs);
	return buf;
}

/* PSK, or a signature with certificate k (the peer's verified to --ca). */
static int make_auth(struct ike_conn_cfg *c, unsigned k)
{
	if (g.n_certs) {
		c->local_auth = c->remote_auth = IKE_AUTHBY_PUBKEY;
		c->local_creds[0] = g.cred[k];
		c->n_local_creds = 1;
		c->revocation = IKE_REVOCATION_NONE;
		return 0;
	}
	c->psk_len = strlen(g.psk);
	if (c->psk_len == 0 || c->psk_len > sizeof(c->psk))
		return fprintf(stderr, "ikeload: bad --psk\n"), -1;
	memcpy(c->psk, g.psk, c->psk_len);
	return 0;
}

static int make_conn(struct ike_conn_cfg *c, unsigned k)
{
	char err[160];

	memset(c, 0, sizeof(*c));
	conn_name(k, c->name, sizeof(c->name));
	c->local = g.local;
	c->local.port = (uint16_t)g.port_base;
	c->remote = g.remote;
	c->remote.port = 500;
	if (ike_id_parse(g.local_id ? g.local_id : "", &c->local_id) < 0 ||
	    ike_id_parse(g.remote_id ? g.remote_id : "", &c->remote_id) < 0) {
		fprintf(stderr, "ikeload: invalid identity\n");
		return -1;
	}
	if (make_auth(c, k) < 0)
		return -1;
	c->n_proposals = 1;
	if (ike_proposal_parse(g.proposal, true, &c->proposals[0], err, sizeof(err)) < 0)
		return fprintf(stderr, "ikeload: --proposal: %s\n", err), -1;
	c->n_children = 1;
	snprintf(c->children[0].name, IKE_NAME_MAX, "load");
	c->children[0].n_proposals = 1;
	if (ike_proposal_parse(g.esp, false, &c->children[0].proposals[0], err, sizeof(err)) < 0)
		return fprintf(stderr, "ikeload: --esp: %s\n", err), -1;
	c->children[0].n_local_ts = c->children[0].n_remote_ts = 1;
	ike_ts_parse("198.51.100.0/24", &c->children[0].local_ts[0]);
	ike_ts_parse("203.0.113.0/24", &c->children[0].remote_ts[0]);
	return 0;
}

static void launch_one(uint64_t t)
{
	struct ike_initiate_opts o;
	struct ike_ts lts, rts;
	ike_addr_t local = g.local;
	unsigned i = g.launched;
	uint64_t spi = 0;
	char name[IKE_NAME_MAX];

	memset(&o, 0, sizeof(o));
	local.port = (uint16_t)(g.port_base + i % g.n_ports);
	o.local = &local;
	if (g.unique_ts) {
		char a[64];
		snprintf(a, sizeof(a), "2001:db8:1::%x:%x/128", (i >> 16) & 0xffff, i & 0xffff);
		ike_ts_parse(a, &lts);
		ike_ts_parse("2001:db8:2::/64", &rts);
		o.local_ts = &lts;
		o.remote_ts = &rts;
	}
	g.launched++;
	if (ike_engine_initiate_ex(g.e, conn_name(i, name, sizeof(name)), &o, t, &spi) < 0) {
		g.failed++;
		reason_add("could not start IKE_SA_INIT");
		return;
	}
	if (g.flood_rate > 0)
		return; /* nothing completes: no bookkeeping */
	g.slots[i].spi = spi;
	g.slots[i].t_start = t;
	g.slots[i].st = S_PENDING;
	map_add(spi, i);
}

static void drain(int fd, uint16_t port)
{
	uint8_t buf[8192];

	for (int k = 0; k < 256; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		ike_addr_t l = g.local, r;

		if (n < 0)
			return;
		if (g.flood_rate > 0)
			continue; /* a flood never answers */
		memset(&r, 0, sizeof(r));
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)&ss;
			r.family = 4;
			r.port = ntohs(s->sin_port);
			memcpy(r.a, &s->sin_addr, 4);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
			r.family = 6;
			r.port = ntohs(s->sin6_port);
			memcpy(r.a, &s->sin6_addr, 16);
		}
		l.port = port;
		ike_engine_input(g.e, &l, &r, buf, (size_t)n, now_ms());
	}
}

static void poll_once(int timeout)
{
	struct pollfd pfd[MAX_PORTS + 1];
	unsigned n = 0;

	for (unsigned i = 0; i < g.n_ports; i++)
		pfd[n++] = (struct pollfd){ .fd = g.fds[i], .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = g.natt_fd, .events = POLLIN };
	if (poll(pfd, n, timeout) > 0)
		for (unsigned i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				drain(pfd[i].fd,
				      i < g.n_ports ? (uint16_t)(g.port_base + i) : 4500);
	ike_engine_tick(g.e, now_ms());
}

static int next_timeout(void)
{
	uint64_t t = ike_engine_next_timer(g.e), n = now_ms();

	if (t == UINT64_MAX || t > n + 10)
		return 10;
	return t > n ? (int)(t - n) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double pct(double p)
{
	if (!g.n_lat)
		return 0;
	return (double)g.lat[(size_t)((g.n_lat - 1) * p)];
}

/* Runs until cond() or the deadline; returns true when cond() held. */
static bool run_until(bool (*cond)(void), double deadline)
{
	while (!cond()) {
		if (now_s() > deadline)
			return false;
		poll_once(next_timeout());
	}
	return true;
}

static bool all_settled(void)
{
	return g.up + g.failed == g.count;
}
static bool all_rekeyed(void)
{
	return g.rekeyed >= g.up;
}
static bool all_down(void)
{
	return g.down >= g.up;
}

static void establish(double deadline)
{
	while (!all_settled() && now_s() < deadline) {
		uint64_t t = now_ms();
		while (g.launched < g.count && g.launched - g.up - g.failed < g.inflight)
			launch_one(t);
		poll_once(next_timeout());
	}
}

/* --hold: the SAs stay up (their IKE answered) until the file exists or
 * --timeout passes, so that a test can send traffic through them first. */
static void hold(double elapsed)
{
	double deadline = now_s() + g.timeout_s;

	printf("ikeload: holding %u of %u established in %.2f s (%.0f SA/s) until %s exists\n",
	       g.up, g.count, elapsed, elapsed > 0 ? g.up / elapsed : 0.0, g.hold);
	fflush(stdout);
	while (access(g.hold, F_OK) != 0 && now_s() < deadline)
		poll_once(next_timeout());
}

/* Without --hold every Delete leaves at once (a storm); with it at most
 * --inflight are outstanding, so that 100,000 of them are not lost to
 * the sockets' and the responder's queues. */
static bool delete_all(void)
{
	double deadline = now_s() + g.timeout_s;
	unsigned i = 0;

	while (!all_down()) {
		uint64_t t = now_ms();

		for (; i < g.launched && (!g.hold || g.del_sent - g.down < g.inflight); i++)
			if (g.slots[i].st == S_UP) {
				ike_engine_delete_sa(g.e, g.slots[i].spi, t);
				g.del_sent++;
			}
		if (now_s() > deadline)
			return false;
		poll_once(next_timeout());
	}
	return true;
}

static void flood(void)
{
	double start = now_s(), end = start + g.duration_s;

	while (now_s() < end) {
		double due = (now_s() - start) * g.flood_rate;
		uint64_t t = now_ms();
		unsigned burst = 0;

		/* Bounded bursts, so a flooder that cannot keep up still stops
		 * at --duration. */
		while (g.flood_sent < due && g.launched < g.count && burst++ < 64) {
			launch_one(t);
			g.flood_sent++;
			if (g.launched == g.count)
				g.launched = 0; /* slots are reused: nothing completes */
		}
		poll_once(1);
	}
}

static void report(double elapsed)
{
	double rate = elapsed > 0 ? g.up / elapsed : 0;
	struct ike_stats st;
	FILE *f;

	ike_engine_stats(g.e, &st);
	qsort(g.lat, g.n_lat, sizeof(g.lat[0]), cmp_u64);
	printf("ikeload: %u of %u established in %.2f s (%.0f SA/s), latency p50 %.0f ms p99 %.0f ms, "
	       "%llu retransmits, %u failed",
	       g.up, g.count, elapsed, rate, pct(0.5), pct(0.99),
	       (unsigned long long)st.retransmits, g.failed);
	if (g.rekey)
		printf(", %u rekeyed", g.rekeyed);
	if (g.del)
		printf(", %u deleted", g.down);
	if (g.flood_rate > 0)
		printf(", %u flood requests", g.flood_sent);
	printf("\n");
	for (unsigned i = 0; i < g.n_reasons; i++)
		printf("ikeload:   %u x %s\n", g.reasons[i].n, g.reasons[i].text);
	if (!g.json)
		return;
	f = fopen(g.json, "w");
	if (!f) {
		fprintf(stderr, "ikeload: cannot write %s: %s\n", g.json, strerror(errno));
		return;
	}
	fprintf(f,
		"{\"established\":%u,\"failed\":%u,\"count\":%u,\"elapsed_s\":%.3f,\"rate_per_s\":%.1f,"
		"\"latency_ms\":{\"p50\":%.1f,\"p99\":%.1f},\"retransmits\":%llu,\"deleted\":%u,"
		"\"rekeyed\":%u,\"flood_sent\":%u,\"failures\":{",
		g.up, g.failed, g.count, elapsed, rate, pct(0.5), pct(0.99),
		(unsigned long long)st.retransmits, g.down, g.rekeyed, g.flood_sent);
	for (unsigned i = 0; i < g.n_reasons; i++) {
		fprintf(f, "%s\"", i ? "," : "");
		for (const char *p = g.reasons[i].text; *p; p++)
			fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
		fprintf(f, "\":%u", g.reasons[i].n);
	}
	fprintf(f, "}}\n");
	fclose(f);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ikeload --remote ADDR --local ADDR (--psk SECRET | --ca FILE (--cert FILE --key FILE)...\n"
		"  [--intermediate FILE]) [--count N] [--inflight K]\n"
		"  [--port-base 20000] [--ports 64] [--proposal P] [--esp P] [--local-id ID]\n"
		"  [--remote-id ID] [--unique-ts] [--rekey] [--delete] [--flood RATE]\n"
		"  [--duration S] [--timeout S] [--retransmit-ms MS] [--tries N] [--json FILE] [--quiet]\n"
		"  [--hold FILE]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "remote", 1, 0, 'r' },
		{ "local", 1, 0, 'l' },
		{ "port-base", 1, 0, 'b' },
		{ "ports", 1, 0, 'P' },
		{ "count", 1, 0, 'n' },
		{ "inflight", 1, 0, 'k' },
		{ "proposal", 1, 0, 'p' },
		{ "esp", 1, 0, 'e' },
		{ "psk", 1, 0, 's' },
		{ "local-id", 1, 0, 'I' },
		{ "remote-id", 1, 0, 'R' },
		{ "unique-ts", 0, 0, 'u' },
		{ "rekey", 0, 0, 'K' },
		{ "delete", 0, 0, 'D' },
		{ "flood", 1, 0, 'f' },
		{ "duration", 1, 0, 'd' },
		{ "timeout", 1, 0, 't' },
		{ "json", 1, 0, 'j' },
		{ "retransmit-ms", 1, 0, 'm' },
		{ "tries", 1, 0, 'T' },
		{ "quiet", 0, 0, 'q' },
		{ "ca", 1, 0, 'C' },
		{ "cert", 1, 0, 'c' },
		{ "key", 1, 0, 'y' },
		{ "intermediate", 1, 0, 'i' },
		{ "hold", 1, 0, 'H' },
		{ 0, 0, 0, 0 },
	};
	int c;

	g.port_base = 20000;
	g.n_ports = 64;
	g.count = 100;
	g.inflight = 64;
	g.proposal = "aes128gcm16-prfsha256-x25519";
	g.esp = "aes128gcm16";
	g.duration_s = 10;
	g.timeout_s = 120;
	g.rtx_ms = 1000;
	g.tries = 3;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (ike_addr_parse(optarg, &g.remote) < 0)
				usage();
			break;
		case 'l':
			if (ike_addr_parse(optarg, &g.local) < 0)
				usage();
			break;
		case 'b': g.port_base = (unsigned)atoi(optarg); break;
		case 'P': g.n_ports = (unsigned)atoi(optarg); break;
		case 'n': g.count = (unsigned)atoi(optarg); break;
		case 'k': g.inflight = (unsigned)atoi(optarg); break;
		case 'p': g.proposal = optarg; break;
		case 'e': g.esp = optarg; break;
		case 's': g.psk = optarg; break;
		case 'I': g.local_id = optarg; break;
		case 'R': g.remote_id = optarg; break;
		case 'u': g.unique_ts = true; break;
		case 'K': g.rekey = true; break;
		case 'D': g.del = true; break;
		case 'f': g.flood_rate = atof(optarg); break;
		case 'd': g.duration_s = (unsigned)atoi(optarg); break;
		case 't': g.timeout_s = (unsigned)atoi(optarg); break;
		case 'j': g.json = optarg; break;
		case 'm': g.rtx_ms = (unsigned)atoi(optarg); break;
		case 'T': g.tries = (unsigned)atoi(optarg); break;
		case 'q': g.quiet = true; break;
		case 'C': g.ca = optarg; break;
		case 'c':
			if (g.n_certs == MAX_CERTS)
				usage();
			g.certs[g.n_certs++] = optarg;
			break;
		case 'y':
			if (g.n_keys == MAX_CERTS)
				usage();
			g.keys[g.n_keys++] = optarg;
			break;
		case 'i': g.inter = optarg; break;
		case 'H': g.hold = optarg; break;
		default: usage();
		}
	}
	if (!g.remote.family || !g.local.family || g.remote.family != g.local.family)
		usage();
	/* exactly one way to authenticate; a certificate needs all its files */
	if (!g.psk == !g.n_certs || g.n_certs != g.n_keys || (g.n_certs && !g.ca) ||
	    (!g.n_certs && (g.ca || g.inter)))
		usage();
	if (!g.count || g.count > 10000000 || !g.inflight || !g.n_ports || g.n_ports > MAX_PORTS ||
	    g.port_base + g.n_ports > 65536 ||
	    (g.port_base <= 4500 && g.port_base + g.n_ports > 4500))
		usage();
}

int main(int argc, char **argv)
{
	struct ike_engine_cfg ec;
	struct ike_conn_cfg *conn = calloc(1, sizeof(*conn));
	struct ike_ops ops = {
		.send = op_send, .event = op_event, .log = op_log, .spi_alloc = op_spi_alloc
	};
	double start, deadline, elapsed;
	int rc = 1;

	parse_args(argc, argv);
	for (g.hmask = 1; g.hmask < 2 * g.count; g.hmask <<= 1)
		;
	g.hmask -= 1;
	g.slots = calloc(g.count, sizeof(*g.slots));
	g.hash = calloc(2 * ((size_t)g.hmask + 1), sizeof(uint64_t));
	g.lat = calloc(g.count, sizeof(uint64_t));
	if (!conn || !g.slots || !g.hash || !g.lat || (g.n_certs && load_creds() < 0))
		return 1;
	for (unsigned i = 0; i < g.n_ports; i++)
		if ((g.fds[i] = open_sock((uint16_t)(g.port_base + i))) < 0)
			return 1;
	if ((g.natt_fd = open_sock(4500)) < 0)
		return 1;
	ike_engine_cfg_defaults(&ec);
	ec.retransmit_timeout_ms = g.rtx_ms;
	ec.retransmit_tries = g.flood_rate > 0 ? 0 : g.tries;
	g.e = ike_engine_new(&ec, &ops, NULL);
	if (!g.e)
		return 1;
	if (g.creds)
		ike_engine_set_creds(g.e, g.creds);
	for (unsigned k = 0; k < (g.n_certs > 1 ? g.n_certs : 1); k++)
		if (make_conn(conn, k) < 0 || ike_engine_add_conn(g.e, conn) < 0)
			return 1;
	ike_wipe(conn, sizeof(*conn));
	free(conn);

	start = now_s();
	deadline = start + g.timeout_s;
	if (g.flood_rate > 0) {
		flood();
		report(now_s() - start);
		ike_engine_free(g.e);
		return 0;
	}
	establish(deadline);
	elapsed = now_s() - start;
	rc = all_settled() && g.failed == 0 ? 0 : 1;
	if (g.rekey && g.up) {
		for (unsigned i = 0; i < g.launched; i++)
			if (g.slots[i].st == S_UP)
				ike_engine_rekey_child_sa(g.e, g.slots[i].spi, now_ms());
		if (!run_until(all_rekeyed, now_s() + g.timeout_s))
			rc = 1;
	}
	if (g.hold)
		hold(elapsed);
	if (g.del && g.up && !delete_all())
		rc = 1;
	report(elapsed);
	ike_engine_free(g.e);
	ike_creds_unref(g.creds);
	free(g.slots);
	free(g.hash);
	free(g.lat);
	return rc;
}
