#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Next hops found by ARP and neighbour discovery, and routes changed at run
# time, on the DPDK gateway (build/ipsecgw) with strongSwan as the peer:
# the topology of gw_run.sh (tests/interop/lib_gw.sh), but no MAC in the
# configuration: every route names its next hop by address ("via").
#
#   [$SS_NS] charon 192.0.2.2 <-> v0 [$GW_NS] ipsecgw l0 <-> l1 [$LAN_NS]
#                                               198.51.100.10, .20 (added)
#                                               2001:db8:1::10
#
# (1) the tunnel comes up and the LAN host's pings cross it: IKE's first
# message waited for charon's MAC (ARP), the LAN host's replies for its
# (ARP); `neighbours` shows both reachable; (2) an echo request to the
# gateway's IPv6 address is answered once the LAN host's MAC is found by
# neighbour discovery; (3) pings from a second LAN address, 198.51.100.20,
# which no route covers, fail; `route-add 198.51.100.20/32 via
# 198.51.100.20 dev lan` while they flow makes them succeed; `route-del`
# makes them fail again, the drops counted as `no_route`; (4) a next hop
# that never answers: its packets wait, then are dropped and counted.
#   sudo bash tests/interop/gw_nbr_run.sh   (make test runs it)
# Prints "N passed, N failed"; exits 1 on any failure.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
source "$ROOT/tests/interop/lib.sh"
# shellcheck source=tests/interop/lib_gw.sh
source "$ROOT/tests/interop/lib_gw.sh"

PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); echo "  ok: $*"; }
fail() { FAIL=$((FAIL + 1)); echo "  FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

ipgw_require_root || exit 1
ipgw_require_tools gw_nbr_run "$GW_BIN" "$CTL_BIN" -- ip ethtool swanctl "$CHARON" || exit 1
trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
DIR=$IPGW_WORK/gwnbr
mkdir -p "$DIR"
LAN6=2001:db8:1::10
GW_LAN6=2001:db8:1::1
LAN2=198.51.100.20
DEAD=198.51.100.99 # no host has it

# gw_gen_conf's configuration without a MAC: next hops by address.
gen_conf() {
	gw_gen_conf "$DIR" &&
		"$PYTHON" - "$DIR/gw.json" "$SS_IP" "$LAN_HOST" "$LAN6" "$GW_LAN6" "$DEAD" <<'EOF'
import json, sys
p, ss, lan, lan6, gw6, dead = sys.argv[1:]
c = json.load(open(p))
f = c["fastpath"]
f["ports"][1]["addresses"].append(gw6)
f["routes"] = [
    {"dst": "192.0.2.0/24", "port": "wan", "via": ss},
    {"dst": lan + "/32", "port": "lan", "via": lan},
    {"dst": "2001:db8:1::/64", "port": "lan", "via": lan6},
    {"dst": "198.51.100.96/30", "port": "lan", "via": dead},
]
json.dump(c, open(p, "w"), indent=1)
EOF
}

echo "== topology and daemons"
gw_topology || { echo "gw_nbr_run: namespaces could not be set up" >&2; exit 1; }
ip netns exec "$LAN_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.l1.disable_ipv6=0
ip -n "$LAN_NS" addr add "$LAN6/64" dev l1 nodad
ip -n "$LAN_NS" addr add "$LAN2/24" dev l1
ss_gen_conf "$DIR" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
check "configuration without any MAC" eval 'gen_conf && ! grep -q "\"mac\"" "$DIR/gw.json"'
check "charon starts" ss_start "$SS_NS" "$DIR"
check "ipsecgw starts (control socket up)" gw_start "$DIR"

nbr_state() { # nbr_state ADDR: the state `neighbours` gives the next hop
	us_ctl "$DIR" neighbours 2>/dev/null | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(n["state"] for n in d["neighbours"] if n.get("via") == sys.argv[1]))' "$1"
}
nbr_stat() {
	us_ctl "$DIR" neighbours 2>/dev/null | "$PYTHON" -c '
import json, sys; print(json.load(sys.stdin)["stats"][sys.argv[1]])' "$1"
}

echo "== 1. the tunnel through next hops found by ARP"
ss_swanctl "$DIR" --initiate --child net >"$DIR/ss_initiate.out" 2>&1
check "CHILD SA up on both sides (IKE waited for charon's MAC)" wait_until 20 gw_tunnel_up "$DIR"
check "first echo through the tunnel" wait_until 10 first_reply
n=$(replies 5)
check "5 of 5 echo replies through the tunnel (got ${n:-0})" [ "${n:-0}" = 5 ]
check "charon's MAC learned by ARP: reachable (got '$(nbr_state "$SS_IP")')" \
	eval '[ "$(nbr_state "$SS_IP")" = reachable ]'
check "the LAN host's MAC learned by ARP: reachable" eval '[ "$(nbr_state "$LAN_HOST")" = reachable ]'
check "learned MACs are the peers' own" eval 'us_ctl "$DIR" neighbours | grep -qi "$SS_MAC" &&
	us_ctl "$DIR" neighbours | grep -qi "$LAN_MAC"'

echo "== 2. neighbour discovery"
ping6_gw() { ip netns exec "$LAN_NS" ping -6 -n -q -c 1 -W 1 "$GW_LAN6" >/dev/null 2>&1; }
check "echo request to $GW_LAN6 answered (the reply waited for ND)" wait_until 10 ping6_gw
check "the LAN host's IPv6 MAC learned by ND: reachable or stale" \
	eval '[[ "$(nbr_state "$LAN6")" =~ ^(reachable|stale)$ ]]'

echo "== 3. a route added and removed while pings flow"
ping_from2() { ip netns exec "$LAN_NS" ping -n -q -c "$1" -i 0.2 -W 1 -I "$LAN2" "$SS_INNER" 2>&1 |
	sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
n=$(ping_from2 3)
check "from $LAN2 without a route back: 0 of 3 replies (got ${n:-?})" [ "${n:-x}" = 0 ]
# pings flow in the background while the route comes and goes
ip netns exec "$LAN_NS" ping -n -i 0.2 -W 1 -I "$LAN2" "$SS_INNER" >"$DIR/flow.out" 2>&1 </dev/null &
FLOW=$!
ipgw_track_pid "$FLOW"
sleep 1
check "route-add $LAN2/32 via $LAN2 dev lan" eval 'us_ctl "$DIR" route-add "$LAN2/32" via "$LAN2" dev lan >/dev/null'
check "routes lists it (origin route-add)" eval 'us_ctl "$DIR" routes | grep -q "route-add"'
n=$(ping_from2 5)
check "after route-add: 5 of 5 replies (got ${n:-0})" [ "${n:-0}" = 5 ]
check "route-del $LAN2/32" eval 'us_ctl "$DIR" route-del "$LAN2/32" >/dev/null'
n=$(ping_from2 3)
check "after route-del: 0 of 3 replies (got ${n:-?})" [ "${n:-x}" = 0 ]
check "route-del of a route not there is refused" eval '! us_ctl "$DIR" route-del "$LAN2/32" >/dev/null'
check "route-add without a next hop is refused" eval '! us_ctl "$DIR" route-add 198.51.100.64/26 dev lan >/dev/null'
kill -INT "$FLOW" 2>/dev/null
wait "$FLOW" 2>/dev/null
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$DIR/flow.out")
echo "  note: background flow: ${got:-?} replies, $(grep -c 'bytes from' "$DIR/flow.out") echoed"
check "the background flow got replies while the route was there" eval '[ "${got:-0}" -ge 3 ]'

echo "== 4. a next hop that never answers"
# charon's protected address pings into the /30 routed via $DEAD: the
# decrypted packets wait for an ARP answer that never comes.
ss_ping_dead() { ip netns exec "$SS_NS" ping -n -q -c 6 -i 0.2 -W 1 -I "$SS_INNER" 198.51.100.97 >/dev/null 2>&1; }
ss_ping_dead
check "the dead next hop ends FAILED" \
	wait_until 10 eval '[ "$(nbr_state "$DEAD")" = failed ]'
check "its waiting packets dropped and counted (dropped $(nbr_stat dropped), failed $(nbr_stat failed))" \
	eval '[ "$(nbr_stat dropped)" -ge 1 ] && [ "$(nbr_stat failed)" -ge 1 ]'

echo "== stop"
gw_stop "$GW_PID"
check "the gateway exits 0" [ "$?" = 0 ]
check "stats: drops of the removed route counted as no_route ($(stat_of "$DIR" drops.no_route))" \
	eval '[ "$(stat_of "$DIR" drops.no_route)" -ge 3 ]'
check "stats: packets waited for a next hop ($(stat_of "$DIR" workers.0.unresolved_queued))" \
	eval '[ "$(stat_of "$DIR" workers.0.unresolved_queued)" -ge 1 ]'
echo "  note: drops.unresolved $(stat_of "$DIR" drops.unresolved)"

echo "gw_nbr_run: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
