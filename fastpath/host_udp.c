/* SPDX-License-Identifier: BSD-3-Clause */
/* UDP datagrams of the control core's host stack: those punted to us,
 * checked layer by layer, and those we build. See host.h. */
#include <stdbool.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "fastpath/bytes.h"
#include "fastpath/host.h"

#define ETH_LEN 14u

/* The network layer of a datagram to us, as its UDP layer needs it. */
struct l3 {
	const uint8_t *src, *dst; /* addresses, alen bytes each */
	const uint8_t *udp;       /* 8 bytes at least are the packet's */
	size_t alen;              /* 4 or 16 */
	size_t left;              /* bytes of IP payload from udp on */
};

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/* One's-complement sum of the UDP pseudo-header (RFC 768, RFC 8200 8.1)
 * and the datagram, folded: 0xffff when the checksum in it is right. */
static uint16_t udp_sum(const uint8_t *src, const uint8_t *dst, size_t alen, const uint8_t *udp,
			uint16_t ulen)
{
	uint8_t tail[4] = { 0, IPPROTO_UDP, (uint8_t)(ulen >> 8), (uint8_t)ulen };
	uint32_t s = __rte_raw_cksum(src, alen, 0);

	s = __rte_raw_cksum(dst, alen, s);
	s = __rte_raw_cksum(tail, sizeof(tail), s);
	s = __rte_raw_cksum(udp, ulen, s);
	return __rte_raw_cksum_reduce(s);
}

/* IPv4 carrying UDP to one of l's addresses (len bytes from ip). */
static int parse_ip4(const uint8_t *ip, size_t len, const struct fp_local *l, struct l3 *p,
		     const char **why)
{
	size_t hl, tot;
	uint32_t d4;

	if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP)
		return 0;
	memcpy(&d4, ip + 16, 4);
	if (!fp_local4(l, d4))
		return 0;
	hl = (ip[0] & 0xfu) * 4u;
	tot = rd16(ip + 2);
	/* Fragments were put together by the worker; one that is still
	 * here did not come from there. */
	if (hl < 20 || tot > len || tot < hl + 8 || (rd16(ip + 6) & 0x3fff))
		return fail(why, "bad IPv4 header");
	if (rte_raw_cksum(ip, hl) != 0xffff)
		return fail(why, "bad IPv4 header checksum");
	if (fp_martian4(l, ip + 12))
		return fail(why, "martian IPv4 source");
	*p = (struct l3){
		.src = ip + 12, .dst = ip + 16, .udp = ip + hl, .alen = 4, .left = tot - hl
	};
	return 1;
}

/* IPv6 with UDP right after the fixed header, to one of l's addresses.
 * Extension headers in front of UDP are not IKE's habit: such a packet
 * is left to the punt count. */
static int parse_ip6(const uint8_t *ip, size_t len, const struct fp_local *l, struct l3 *p,
		     const char **why)
{
	size_t plen;

	if (len < 40 || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_UDP || !fp_local6(l, ip + 24))
		return 0;
	if (fp_martian6(l, ip + 8))
		return fail(why, "martian IPv6 source");
	plen = rd16(ip + 4);
	if (plen > len - 40 || plen < 8)
		return fail(why, "bad IPv6 payload length");
	*p = (struct l3){ .src = ip + 8, .dst = ip + 24, .udp = ip + 40, .alen = 16, .left = plen };
	return 1;
}

static void endpoint(struct fp_host_addr *a, size_t alen, const uint8_t *addr, uint16_t port)
{
	a->family = alen == 4 ? 4 : 6;
	a->port = port;
	memset(a->a, 0, sizeof(a->a));
	memcpy(a->a, addr, alen);
}

/* The UDP layer: to the IKE or NAT-T port, length and checksum. */
static int parse_udp(const struct l3 *p, const struct fp_local *l, struct fp_host_udp *d,
		     const char **why)
{
	const uint8_t *udp = p->udp;
	const uint16_t dport = rd16(udp + 2), ulen = rd16(udp + 4), sum = rd16(udp + 6);
	const bool v6 = p->alen == 16;

	if (dport != l->ike_port && dport != l->natt_port)
		return 0;
	if (ulen < 8 || ulen > p->left)
		return fail(why, "bad UDP length");
	/* IPv4 may leave the checksum out (0); IPv6 may not (RFC 8200 8.1). */
	if ((v6 || sum != 0) && udp_sum(p->src, p->dst, p->alen, udp, ulen) != 0xffff)
		return fail(why, v6 && sum == 0 ? "IPv6 UDP without checksum" : "bad UDP checksum");
	endpoint(&d->local, p->alen, p->dst, dport);
	endpoint(&d->remote, p->alen, p->src, rd16(udp));
	d->payload = udp + 8;
	d->len = ulen - 8u;
	return 1;
}

int fp_host_parse_udp(const uint8_t *f, size_t len, const struct fp_local *l, struct fp_host_udp *d,
		      const char **why)
{
	struct l3 p;
	uint16_t et;
	int rc = 0;

	*why = NULL;
	if (len < ETH_LEN)
		return 0;
	et = rd16(f + 12);
	if (et == RTE_ETHER_TYPE_IPV4)
		rc = parse_ip4(f + ETH_LEN, len - ETH_LEN, l, &p, why);
	else if (et == RTE_ETHER_TYPE_IPV6)
		rc = parse_ip6(f + ETH_LEN, len - ETH_LEN, l, &p, why);
	return rc == 1 ? parse_udp(&p, l, d, why) : rc;
}

/* The IP header of a UDP datagram of tot bytes (header included). */
static void ip_header(uint8_t *out, const struct fp_host_addr *local,
		      const struct fp_host_addr *remote, size_t tot, uint16_t ip_id)
{
	uint16_t sum;

	if (local->family == 6) {
		memset(out, 0, 40);
		out[0] = 0x60;
		wr16(out + 4, (uint16_t)(tot - 40));
		out[6] = IPPROTO_UDP;
		out[7] = 64;
		memcpy(out + 8, local->a, 16);
		memcpy(out + 24, remote->a, 16);
		return;
	}
	memset(out, 0, 20);
	out[0] = 0x45;
	wr16(out + 2, (uint16_t)tot);
	wr16(out + 4, ip_id);
	/* DF clear: a router on the way may fragment a message that
	 * outgrows its link, as for kernel UDP sockets without PMTU
	 * discovery. */
	out[8] = 64;
	out[9] = IPPROTO_UDP;
	memcpy(out + 12, local->a, 4);
	memcpy(out + 16, remote->a, 4);
	sum = (uint16_t)~rte_raw_cksum(out, 20);
	memcpy(out + 10, &sum, 2);
}

size_t fp_host_build_udp(const struct fp_host_addr *local, const struct fp_host_addr *remote,
			 const uint8_t *pl, size_t len, uint16_t ip_id, uint8_t *out, size_t cap)
{
	const size_t hl = local->family == 4 ? 20 : 40, alen = local->family == 4 ? 4 : 16;
	const size_t tot = hl + 8 + len;
	uint8_t *udp = out + hl;
	uint16_t sum;

	if (local->family != remote->family || tot > cap || tot > 65535 ||
	    (local->family == 6 && tot - hl > 65535))
		return 0;
	ip_header(out, local, remote, tot, ip_id);
	wr16(udp, local->port);
	wr16(udp + 2, remote->port);
	wr16(udp + 4, (uint16_t)(8 + len));
	memset(udp + 6, 0, 2);
	memcpy(udp + 8, pl, len);
	sum = (uint16_t)~udp_sum(local->a, remote->a, alen, udp, (uint16_t)(8 + len));
	if (sum == 0)
		sum = 0xffff; /* 0 means "no checksum" */
	memcpy(udp + 6, &sum, 2);
	return tot;
}
