/* Echo replies for the DPDK gateway's own addresses, on the control core:
 * an operator pings a gateway (ICMP echo, RFC 792; ICMPv6 echo, RFC 4443
 * 4.1-4.2) before anything else. The workers punt echo requests to our
 * addresses with every other packet for us; app/gateway/gw_ike.c, which owns the
 * control core's TX queue, asks this for a reply. */
#ifndef APP_GW_ICMP_H
#define APP_GW_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "fastpath/worker.h"

/* Replies the control core sends a second at most (RFC 1812 4.3.2.8
 * allows limiting them; a flood of requests must not become a flood of
 * work or of traffic). */
#define GW_ICMP_ECHO_PER_S 100u

/* The IP packet (starting at its header, len bytes of frame from there)
 * is an echo request to one of l's addresses: builds the reply, from that
 * address to the sender, with the request's identifier, sequence number
 * and data, into out (cap bytes); returns its length, with the reply's
 * family and destination (4 or 16 bytes) in *family and dst. 0: not an
 * echo request to us, or malformed (lengths, checksum, a fragment, a
 * multicast or unspecified source), or the reply does not fit. */
size_t gw_icmp_echo_reply(const uint8_t *ip, size_t len, const struct fp_local *l,
			  uint8_t *out, size_t cap, uint8_t *family, uint8_t dst[16]);

#endif
