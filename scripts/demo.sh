#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Demo: an IKEv2 tunnel between our daemon (build/ipsecgw-ike) and
# strongSwan's charon, each in its own network namespace; then the same
# tunnel negotiated by the DPDK gateway (build/ipsecgw), whose fast path
# carries a LAN host's pings through it (step 8).
#   make demo        (or: sudo bash scripts/demo.sh)
# Exits non-zero with a message if the tunnel does not come up.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/interop/lib.sh
source "$ROOT/tests/interop/lib.sh"
# shellcheck source=tests/interop/lib_gw.sh
source "$ROOT/tests/interop/lib_gw.sh"

PROPOSAL=aes128gcm16-prfsha256-x25519
ESP=aes128gcm16

banner() { printf '\n==== %s ====\n' "$*"; }
die() {
	echo
	echo "DEMO FAILED: $*" >&2
	[ -n "${DIR:-}" ] && IPGW_TAIL_LINES=30 ipgw_show_logs "$DIR" >&2
	exit 1
}

ipgw_require_root || exit 1
ipgw_require_tools "DEMO FAILED" "$IKE_BIN" "$CTL_BIN" "$GW_BIN" -- \
	ip tcpdump tshark ethtool swanctl "$CHARON" || exit 1

trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
DIR=$IPGW_WORK/demo
mkdir -p "$DIR"

banner "1. Topology: two network namespaces joined by a veth pair"
cat <<EOF
  [$US_NS] ipsecgw-ike              [$SS_NS] strongSwan charon
    v0 $US_IP  <---- veth ---->  v1 $SS_IP
    lo $US_INNER (protected net)    lo $SS_INNER (protected net)
  Tunnel: $US_NET <==> $SS_NET, PSK, IKE $PROPOSAL, ESP $ESP
EOF
ipgw_ns_setup || die "could not create the namespaces"

banner "2. Starting strongSwan (charon + kernel-libipsec) and our daemon"
SS_IKE_PROPS=$PROPOSAL SS_ESP_PROPS=$ESP
US_IKE_PROPS=$PROPOSAL US_ESP_PROPS=$ESP US_LOGLEVEL=info
ss_gen_conf "$DIR" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
us_gen_conf "$DIR"
ss_start "$SS_NS" "$DIR" || die "charon did not start: $(cat "$DIR/ss_error" 2>/dev/null)"
echo "  charon running in $SS_NS (vici $(ss_uri "$DIR"))"
us_start "$US_NS" "$DIR" || die "ipsecgw-ike did not start: $(cat "$DIR/us_error" 2>/dev/null)"
echo "  ipsecgw-ike running in $US_NS (control socket $DIR/ctl.sock)"

banner "3. Our side initiates: ipsecgw-ctl initiate c1"
us_ctl "$DIR" initiate c1 | sed 's/^/  /'
tunnel_up() {
	us_has_event "$DIR" CHILD_UP &&
		[ "$(ss_query "$DIR" 'sum(1 for sa in sas for c in children(sa) if c.get("state") == "INSTALLED")')" -ge 1 ] 2>/dev/null
}
if ! wait_until 15 tunnel_up; then
	us_has_event "$DIR" CHILD_UP || die "the tunnel did not come up within 15 s: no CHILD_UP event from ipsecgw-ike"
	die "the tunnel did not come up within 15 s: strongSwan has no INSTALLED CHILD_SA"
fi
echo "  tunnel is up. Events from our log:"
grep -E 'event (IKE_UP|CHILD_UP)' "$DIR/us.log" | sed 's/^[^ ]* [A-Z]* /    /'

banner "4. Our view: ipsecgw-ctl list-sas"
us_ctl "$DIR" list-sas | sed 's/^/  /'

banner "5. strongSwan's view: swanctl --list-sas"
ss_swanctl "$DIR" --list-sas 2>&1 | sed 's/^/  /'

read -r u_in u_out <<<"$(us_query "$DIR" '" ".join(spi(c.get(k)) for sa in sas for c in children(sa)[:1] for k in ("spi_in", "spi_out"))')"
read -r s_in s_out <<<"$(ss_query "$DIR" '" ".join(spi(c.get(k)) for sa in sas for c in children(sa)[:1] for k in ("spi-in", "spi-out"))')"
echo
echo "  SPIs: ours in=$u_in out=$u_out | strongSwan's in=$s_in out=$s_out"
if [ -n "$u_in" ] && [ "$u_in" = "$s_out" ] && [ "$u_out" = "$s_in" ]; then
	echo "  -> they agree (their inbound is our outbound and vice versa)"
else
	die "SPIs do not agree between the two sides"
fi

banner "6. Traffic: ping $US_INNER from strongSwan's $SS_INNER through the tunnel"
echo "  charon encrypts the pings into ESP-in-UDP (port 4500) towards us. The IKE"
echo "  daemon has no data plane, so no replies are expected; instead the captured"
echo "  ESP is decrypted with the keys from OUR key log to show both sides agree."
cap_start "$US_NS" "$DIR" v0 || die "tcpdump did not start"
timeout 5 ip netns exec "$SS_NS" ping -c 3 -i 0.3 -W 1 -I "$SS_INNER" "$US_INNER" 2>&1 | sed 's/^/  /'
cap_stop "$DIR"
echo
echo "  on the wire (tcpdump in $US_NS):"
tcpdump -n -r "$DIR/esp.pcap" 2>/dev/null | sed 's/^/    /'
echo
echo "  decrypted by tshark with our keys:"
if n=$(tshark_esp_check "$DIR/esp.pcap" "$DIR/us.keylog" "$DIR" c1); then
	mapfile -t opts <"$DIR/tshark.opts"
	tshark -n -r "$DIR/esp.pcap" "${opts[@]}" -Y icmp 2>/dev/null | sed 's/^/    /'
	echo "  -> $n ICMP packets decrypted"
else
	echo "  -> tshark could not decrypt the ESP with our keys (see $DIR/tshark.err)"
	DEMO_KEYS_OK=0
fi

banner "7. Teardown: ipsecgw-ctl delete-ike c1"
us_ctl "$DIR" delete-ike c1 >/dev/null 2>&1
both_gone() { [ "$(us_query "$DIR" 'len(sas)')" = 0 ] && [ "$(ss_query "$DIR" 'len(sas)')" = 0 ]; }
if wait_until 10 both_gone; then
	echo "  both sides report no SA"
else
	echo "  warning: SAs remain after delete-ike (ours: $(us_query "$DIR" 'len(sas)'), strongSwan: $(ss_query "$DIR" 'len(sas)'))"
fi
grep -E 'event (CHILD_DOWN|IKE_DOWN)' "$DIR/us.log" | sed 's/^[^ ]* [A-Z]* /    /'
us_stop "$DIR"
ss_stop "$DIR"
[ "${DEMO_KEYS_OK:-1}" = 1 ] || die "the key check failed (see step 6)"

banner "8. The DPDK gateway: the same tunnel, now carrying traffic"
cat <<EOF
  build/ipsecgw runs the same IKE engine on its control core, over DPDK ports
  (net_af_packet on veth ends that have no kernel address), and installs the
  CHILD SA in its fast path; a LAN host behind it pings strongSwan's side.
  [$SS_NS] charon            [$GW_NS] build/ipsecgw         [$LAN_NS] host
    v1 $SS_IP <-- veth --> v0 $US_IP (wan)
    lo $SS_INNER            l0 $GW_LAN (lan) <-- veth --> l1 $LAN_HOST
EOF
ipgw_ns_teardown
DIR=$IPGW_WORK/demo_gw
mkdir -p "$DIR"
gw_topology || die "could not create the namespaces for the gateway"
ss_gen_conf "$DIR" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
gw_gen_conf "$DIR" info
ss_start "$SS_NS" "$DIR" || die "charon did not start: $(cat "$DIR/ss_error" 2>/dev/null)"
gw_start "$DIR" || die "build/ipsecgw did not start (log: $DIR/us.log, $DIR/gw.stdout)"
sed 's/^/  /' "$DIR/gw.stdout"
echo
echo "  $ ipsecgw-ctl initiate c1"
us_ctl "$DIR" initiate c1 | sed 's/^/  /'
wait_until 15 gw_tunnel_up "$DIR" || die "the gateway's tunnel did not come up within 15 s"
grep -E 'event (IKE_UP|CHILD_UP)|fastpath: CHILD_SA' "$DIR/us.log" | sed 's/^[^ ]* [A-Z]* /    /'
wait_until 10 first_reply || die "no echo reply through the gateway's tunnel within 10 s"
echo
echo "  $ ping -c 5 $SS_INNER   (in $LAN_NS)"
out=$(ip netns exec "$LAN_NS" ping -n -c 5 -i 0.2 -W 1 "$SS_INNER" 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
printf '%s\n' "$out" | grep -q ' 5 received' || die "not every echo came back through the gateway"
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || die "build/ipsecgw did not stop within 10 s of SIGTERM"
echo
echo "  the gateway's counters (--stats), after SIGTERM (its IKE SA deleted first):"
"$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
w = d["workers"][0]
print("    ESP packets out %d, in %d; IKE datagrams in %d, out %d; ARP requests answered %d"
      % (w["esp_out"], w["esp_in"], d["ike"]["rx"], d["ike"]["tx"], w["neigh_replies"]))
print("    drops: " + (", ".join("%s %d" % kv for kv in d["drops"].items() if kv[1]) or "none"))' \
	"$DIR/stats.json" 2>/dev/null || die "no counters from the gateway"
ss_stop "$DIR"
echo
echo "Demo complete: tunnel established with strongSwan, SPIs and keys agree, torn down"
echo "cleanly; on the DPDK gateway the tunnel carried the LAN's pings both ways."
