/* SPDX-License-Identifier: BSD-3-Clause */
/* Echo replies for the gateway's own addresses (ICMP echo, RFC 792;
 * ICMPv6 echo, RFC 4443 4.1-4.2). See host.h. */
#include <string.h>

#include <rte_ip.h>

#include "fastpath/bytes.h"
#include "fastpath/host.h"

static size_t reply4(const uint8_t *ip, size_t len, const struct fp_local *l, uint8_t *out,
		     size_t cap, uint8_t dst[16])
{
	size_t hl = (ip[0] & 0xfu) * 4u, tot, icmp;
	uint32_t a;
	uint16_t c;

	if (len < 20 || hl < 20 || ip[9] != IPPROTO_ICMP || (tot = rd16(ip + 2)) > len ||
	    tot < hl + 8 || (rd16(ip + 6) & 0x3fff) || rte_raw_cksum(ip, hl) != 0xffff)
		return 0;
	memcpy(&a, ip + 16, 4);
	if (!fp_local4(l, a) || fp_martian4(l, ip + 12))
		return 0;
	icmp = tot - hl;
	if (ip[hl] != 8 || ip[hl + 1] != 0 || rte_raw_cksum(ip + hl, icmp) != 0xffff ||
	    20 + icmp > cap)
		return 0;
	/* A header of our own (no options: RFC 1122 3.2.2.6 lets a reply
	 * carry the request's record-route and such, none of it needed). */
	memset(out, 0, 20);
	out[0] = 0x45;
	wr16(out + 2, (uint16_t)(20 + icmp));
	out[8] = 64;
	out[9] = IPPROTO_ICMP;
	memcpy(out + 12, ip + 16, 4);
	memcpy(out + 16, ip + 12, 4);
	c = (uint16_t)~rte_raw_cksum(out, 20);
	memcpy(out + 10, &c, 2);
	memcpy(out + 20, ip + hl, icmp);
	out[20] = 0; /* echo reply */
	out[22] = out[23] = 0;
	c = (uint16_t)~rte_raw_cksum(out + 20, icmp);
	memcpy(out + 22, &c, 2);
	memcpy(dst, ip + 12, 4);
	return 20 + icmp;
}

static size_t reply6(const uint8_t *ip, size_t len, const struct fp_local *l, uint8_t *out,
		     size_t cap, uint8_t dst[16])
{
	size_t plen;
	uint16_t c;

	if (len < 48 || ip[6] != IPPROTO_ICMPV6 || (plen = rd16(ip + 4)) > len - 40 || plen < 8 ||
	    !fp_local6(l, ip + 24))
		return 0;
	/* A link-local source is no martian, but no route leads back to it. */
	if (fp_martian6(l, ip + 8) || (ip[8] == 0xfe && (ip[9] & 0xc0) == 0x80))
		return 0;
	/* DPDK's upper-layer checksum takes the pseudo-header's length and
	 * next header from the IPv6 header: ICMPv6 right after it here. */
	if (ip[40] != 128 || ip[41] != 0 || 40 + plen > cap ||
	    __rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ip + 40) != 0xffff)
		return 0;
	memset(out, 0, 40);
	out[0] = 0x60;
	out[4] = ip[4];
	out[5] = ip[5];
	out[6] = IPPROTO_ICMPV6;
	out[7] = 64;
	memcpy(out + 8, ip + 24, 16);
	memcpy(out + 24, ip + 8, 16);
	memcpy(out + 40, ip + 40, plen);
	out[40] = 129; /* echo reply */
	out[42] = out[43] = 0;
	c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)out, out + 40);
	memcpy(out + 42, &c, 2);
	memcpy(dst, ip + 8, 16);
	return 40 + plen;
}

size_t fp_host_echo_reply(const uint8_t *ip, size_t len, const struct fp_local *l, uint8_t *out,
			  size_t cap, uint8_t *family, uint8_t dst[16])
{
	if (len < 1)
		return 0;
	if ((ip[0] >> 4) == 4) {
		*family = 4;
		return reply4(ip, len, l, out, cap, dst);
	}
	if ((ip[0] >> 4) == 6) {
		*family = 6;
		return reply6(ip, len, l, out, cap, dst);
	}
	return 0;
}
