#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT rebinding through a real NAT: the DPDK gateway (build/ipsecgw) and
# strongSwan with nftables masquerade in a namespace between them, whose
# mapping changes while a LAN host pings through the tunnel.
#
# A. strongSwan behind the NAT (the gateway sees the peer move):
#
#   [$LAN_NS] host      [$GW_NS] build/ipsecgw         [$NAT_NS] nft masquerade     [$SS_NS] charon
#   l1 198.51.100.10 -- l0 198.51.100.1  v0 192.0.2.1 -- n0 192.0.2.2 | n1 203.0.113.129 -- v1 203.0.113.130
#                                                          (then .3)                       lo 203.0.113.1/25
#
# B. the gateway behind the NAT (strongSwan sees us move):
#
#   [$LAN_NS] host      [$GW_NS] build/ipsecgw              [$NAT_NS] nft masquerade    [$SS_NS] charon
#   l1 198.51.100.10 -- l0 198.51.100.1  v0 203.0.113.130 -- n0 203.0.113.129 | n1 192.0.2.2 -- v1 192.0.2.10
#                                                                    (then .3)                lo 203.0.113.1/25
#
# The mapping changes the way a NAT's does: its public address is replaced
# (the kernel's masquerade drops the conntrack entries of an address that
# goes away), or the rule is replaced by one with another port range and
# the address removed and added again (the same flush, the same address:
# only the port changes). A ping flow from the LAN host runs across each
# change; the script prints how many echoes were lost and when replies came
# back (the recovery time). The side that sees no NAT in front of it
# follows only an authenticated IKE message from the new address (RFC 7296
# 2.23): in A, strongSwan's DPD (dpd_delay 1 s) brings it; in B, ours.
#   sudo bash tests/interop/nat_run.sh   (make test runs it)
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
ipgw_require_tools nat_run "$GW_BIN" "$CTL_BIN" -- ip ethtool nft tcpdump swanctl "$CHARON" || exit 1
trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1

NAT_NS=ipgw-nat-$$
NAT_MAC=02:00:00:00:04:04
PRIV_NAT=203.0.113.129     # the NAT's inside address
PRIV_HOST=203.0.113.130    # the host behind it (charon in A, the gateway in B)
PUB1=192.0.2.2             # the NAT's public address, and the one that replaces it
PUB2=192.0.2.3
SS_NET=203.0.113.0/25      # behind charon; 203.0.113.128/25 is the NAT's inside
SS_INNER=203.0.113.1

# nat_topology INSIDE_NS OUTSIDE_NS: the four namespaces; the NAT's inside
# (n0) faces INSIDE_NS's v0/v1, its outside (n1) OUTSIDE_NS's. Which of the
# gateway and charon is inside is the caller's choice (A or B).
nat_make_ns() {
	local ns
	for ns in "$GW_NS" "$NAT_NS" "$SS_NS" "$LAN_NS"; do
		ip netns add "$ns" || return 1
		IPGW_NS_MADE+=("$ns")
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	done
	ip link add name l0 netns "$GW_NS" type veth peer name l1 netns "$LAN_NS" || return 1
	ip -n "$LAN_NS" link set l1 address "$LAN_MAC"
	ip -n "$LAN_NS" addr add "$LAN_HOST/24" dev l1
	ip -n "$GW_NS" link set l0 up && ip -n "$LAN_NS" link set l1 up || return 1
	ip -n "$LAN_NS" route add default via "$GW_LAN"
	ip netns exec "$LAN_NS" ethtool -K l1 tx off >/dev/null || return 1
	ip -n "$SS_NS" addr add "$SS_INNER/25" dev lo
	ip netns exec "$NAT_NS" sysctl -qw net.ipv4.ip_forward=1
	# a secondary address survives the removal of the primary one
	ip netns exec "$NAT_NS" sysctl -qw net.ipv4.conf.all.promote_secondaries=1
}

# nat_link NS IF NATIF MAC: a veth from NS's IF to the NAT's NATIF (whose
# MAC is MAC), both up; the kernel ends compute their UDP checksums (the
# gateway's AF_PACKET ports see what a wire would carry).
nat_link() {
	local ns=$1 ifc=$2 natif=$3 mac=$4
	ip link add name "$ifc" netns "$ns" type veth peer name "$natif" netns "$NAT_NS" || return 1
	ip -n "$NAT_NS" link set "$natif" address "$mac"
	ip -n "$ns" link set "$ifc" up && ip -n "$NAT_NS" link set "$natif" up || return 1
	ip netns exec "$NAT_NS" ethtool -K "$natif" tx off >/dev/null || return 1
	[ "$ns" = "$GW_NS" ] || ip netns exec "$ns" ethtool -K "$ifc" tx off >/dev/null
}

# nat_rule OUTIF [PORTS]: the NAT's rules, replaced at once: masquerade
# what leaves by OUTIF (UDP to source ports PORTS, "40000-40999", when
# given).
nat_rule() {
	local udp=
	[ -n "${2:-}" ] && udp="oifname \"$1\" meta l4proto udp masquerade to :$2"
	ip netns exec "$NAT_NS" nft -f - <<EOF
table ip ipgwnat
delete table ip ipgwnat
table ip ipgwnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		$udp
		oifname "$1" masquerade
	}
}
EOF
}

# nat_pub_swap IF FROM TO: the NAT's public address FROM replaced by TO;
# masquerade forgets every mapping on FROM. With FROM = TO the address goes
# and comes back: the mappings are gone, the address is the same.
nat_pub_swap() {
	local ifc=$1 from=$2 to=$3
	if [ "$from" = "$to" ]; then
		ip -n "$NAT_NS" addr del "$from/24" dev "$ifc" && ip -n "$NAT_NS" addr add "$to/24" dev "$ifc"
	else
		ip -n "$NAT_NS" addr add "$to/24" dev "$ifc" && ip -n "$NAT_NS" addr del "$from/24" dev "$ifc"
	fi
}

nat_conntrack_udp() { ip netns exec "$NAT_NS" cat /proc/net/nf_conntrack 2>/dev/null | grep -c '^ipv4 .* udp '; }

# nat_cap_start IF DIR: tcpdump of IKE and ESP-in-UDP on the NAT's IF.
nat_cap_start() {
	ip netns exec "$NAT_NS" tcpdump -i "$1" -n -U -s 128 -w "$2/nat.pcap" udp port 4500 or udp port 500 \
		>"$2/tcpdump.out" 2>&1 </dev/null &
	ipgw_track_pid $!
	echo $! >"$2/tcpdump.pid"
	wait_until 5 grep -q 'listening on' "$2/tcpdump.out"
}
nat_cap_stop() {
	local pid; pid=$(cat "$1/tcpdump.pid" 2>/dev/null)
	sleep 0.3
	kill -INT "$pid" 2>/dev/null
	wait_until 3 ipgw_pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
# nat_keepalives DIR FILTER: NAT keepalives (UDP payload of one octet,
# RFC 3948 2.3) in the capture that match the tcpdump FILTER
nat_keepalives() {
	tcpdump -r "$1/nat.pcap" -n "udp[4:2] = 9 and udp[8] = 0xff and ($2)" 2>/dev/null | grep -c .
}

# pcap_times DIR FILTER: when the NAT saw the packets that match the
# tcpdump FILTER (epoch seconds, one a line). ESP-in-UDP is
# "udp[4:2] > 9 and udp[8:4] != 0", IKE on the NAT-T port "udp[8:4] = 0".
ESP='udp[4:2] > 9 and udp[8:4] != 0'
IKE4500='udp[4:2] > 9 and udp[8:4] = 0'
pcap_times() { tcpdump -r "$1/nat.pcap" -n -tt "$2" 2>/dev/null | awk '{ print $1 }'; }
# pcap_count DIR FILTER FROM [TO]: packets matching FILTER in (FROM, TO)
pcap_count() {
	pcap_times "$1" "$2" | awk -v a="$3" -v b="${4:-1e12}" '$1 > a && $1 < b { n++ } END { print n + 0 }'
}
pcap_first() { pcap_times "$1" "$2" | head -n 1; }
t_plus() { awk -v t="$1" -v d="$2" 'BEGIN { printf "%.6f", t + d }'; }

# late_replies N: how many of N echo requests came back, each given 5 s (on
# the shared 2-core test machine the gateway's busy-polling threads were
# seen held off the CPU for up to 3.6 s; lib_gw.sh's replies gives 1 s)
late_replies() {
	ip netns exec "$LAN_NS" ping -n -q -c "$1" -i 0.2 -W 5 "$SS_INNER" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# flow_start DIR: a ping flow from the LAN host (10 a second, timestamps,
# unanswered ones reported) into DIR/flow.txt; flow_stop ends it.
flow_start() {
	ip netns exec "$LAN_NS" ping -n -D -O -i 0.1 -W 1 -w 60 "$SS_INNER" >"$1/flow.txt" 2>&1 </dev/null &
	FLOW_PID=$!
	ipgw_track_pid "$FLOW_PID"
}
flow_stop() {
	kill -INT "$FLOW_PID" 2>/dev/null
	wait_until 3 ipgw_pid_gone "$FLOW_PID" || kill -KILL "$FLOW_PID" 2>/dev/null
	wait "$FLOW_PID" 2>/dev/null
}
# flow_replies_since DIR T_MS: echo replies received after T_MS
flow_replies_since() {
	awk -v t="$2" -F'[][]' '/bytes from/ { split($2, a, "."); ms = a[1] * 1000 + substr(a[2], 1, 3); if (ms > t) n++ }
		END { print n + 0 }' "$1/flow.txt"
}
# flow_recovered DIR T_MS: 10 replies since T_MS
flow_recovered() { [ "$(flow_replies_since "$1" "$2")" -ge 10 ]; }
# flow_gap DIR T_MS: "LOST RECOVERY_MS" for the change at T_MS: the echo
# requests lost, and the time from T_MS to the first reply after the last
# lost one (0 0 without a loss).
flow_gap() {
	"$PYTHON" - "$1/flow.txt" "$2" <<'EOF'
import re, sys
rep = {}
for line in open(sys.argv[1]):
    m = re.match(r"\[(\d+\.\d+)\] .*(bytes from|no answer yet for).* icmp_seq=(\d+)", line)
    if not m:
        continue
    seq = int(m.group(3))
    if m.group(2) == "bytes from":
        rep.setdefault(seq, float(m.group(1)) * 1000)
# (one still unanswered when the flow stopped is not lost)
lost = [s for s in range(1, max(rep, default=0)) if s not in rep]
if not lost:
    print(0, 0)
else:
    after = [t for s, t in rep.items() if s > max(lost)]
    print(len(lost), int(min(after) - int(sys.argv[2])) if after else -1)
EOF
}

# rebind TAG WHAT DIR CMD...: runs CMD (the NAT's change) inside a ping
# flow and waits for the flow to be back; REBIND_OK, LOST, RECOVERY_MS say
# how it went, DIR/flow-TAG.txt keeps the flow.
rebind() {
	local tag=$1 what=$2 dir=$3 t0 gap
	shift 3
	flow_start "$dir"
	wait_until 5 flow_recovered "$dir" 0 || fail "$what: no ping flow before the change"
	t0=$(ipgw_now_ms)
	"$@" || fail "$what: the NAT change failed"
	REBIND_OK=0
	wait_until 20 flow_recovered "$dir" "$t0" && REBIND_OK=1
	flow_stop
	gap=$(flow_gap "$dir" "$t0")
	# shellcheck disable=SC2086 # two numbers, split on purpose
	set -- $gap
	LOST=$1 RECOVERY_MS=$2
	if [ "$REBIND_OK" = 1 ]; then
		echo "  note: $what: $LOST echo requests lost, replies back ${RECOVERY_MS} ms after the change"
	else
		echo "  note: $what: the flow was not back 20 s after the change"
	fi
	cp "$dir/flow.txt" "$dir/flow-$tag.txt"
}

# stall_proof DIR: more retransmissions on both sides than lib.sh's (6
# and 5 tries: each side waits over 15 s before it gives up), so that a
# liveness check every second survives the seconds (up to 6.4 s) the
# gateway's busy-polling worker was seen held off a loaded 2-core machine
stall_proof() { sed -i 's/^  retransmit_tries = .*/  retransmit_tries = 5/' "$1/strongswan.conf"; }

# ===================================================================== A
echo "== A. strongSwan behind the NAT: the gateway follows the peer"
DIRA=$IPGW_WORK/a
mkdir -p "$DIRA"
setup_a() {
	nat_make_ns || return 1
	nat_link "$GW_NS" v0 n0 "$NAT_MAC" && nat_link "$SS_NS" v1 n1 "$SS_MAC" || return 1
	ip -n "$NAT_NS" addr add "$PUB1/24" dev n0
	ip -n "$NAT_NS" addr add "$PRIV_NAT/25" dev n1
	ip -n "$SS_NS" addr add "$PRIV_HOST/25" dev v1
	ip -n "$SS_NS" route add default via "$PRIV_NAT"
	nat_rule n0
}
check "namespaces with the NAT between (nft masquerade on $PUB1)" setup_a
# charon: DPD after a second without inbound traffic; its liveness check
# is what tells us where it is now
SS_DPD_DELAY=1
ss_gen_conf "$DIRA" "$PRIV_HOST" "$US_IP" "$SS_NET" "$US_NET"
stall_proof "$DIRA"
SS_DPD_DELAY=0
# the gateway: the peer is the NAT's public address; charon's ID is its own
SS_MAC=$NAT_MAC SS_IP=$PUB1 SS_NET=$SS_NET gw_gen_conf "$DIRA"
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["connections"][0]["remote_id"] = sys.argv[2]
c["ike"]["retransmit_tries"] = 6
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$DIRA/gw.json" "$PRIV_HOST"
check "charon starts behind the NAT" ss_start "$SS_NS" "$DIRA"
check "ipsecgw starts" gw_start "$DIRA"
nat_cap_start n0 "$DIRA" || fail "tcpdump in the NAT namespace did not start"

ss_swanctl "$DIRA" --initiate --child net >"$DIRA/ss_initiate.out" 2>&1
check "CHILD SA up through the NAT" wait_until 15 gw_tunnel_up "$DIRA"
check "we see the NAT in front of the peer (log, list-sas nat_remote)" eval \
	'us_log_has "$DIRA" "NAT detected: in front of the peer" &&
	 [ "$(us_query "$DIRA" "[sa[\"nat_remote\"] for sa in sas]")" = "[true]" ]'
check "charon sees itself behind the NAT (its log)" \
	grep -q "local host is behind NAT" "$DIRA/charon.log"
check "the CHILD SA is UDP-encapsulated, peer at ${PUB1}[4500]" \
	us_log_has "$DIRA" "event CHILD_UP .*encap=yes.*remote=$PUB1\[4500\]"
check "first echo through the tunnel" wait_until 10 first_reply

MOVED_A1="fastpath: CHILD_SA c1/net: outbound SA 0x[0-9a-f]+ now to $PUB2\[4500\]"
rebind a1 "A1 new public address $PUB1 -> $PUB2" "$DIRA" nat_pub_swap n0 "$PUB1" "$PUB2"
check "A1: the flow is back through the new mapping (10 replies)" [ "$REBIND_OK" = 1 ]
check "A1: the IKE SA moved to $PUB2 (log)" us_log_has "$DIRA" "peer moved from $PUB1\[4500\] to $PUB2\[4500\]"
check "A1: CHILD_MOVED, the fast path's outbound SA now to ${PUB2}[4500]" eval \
	'us_log_has "$DIRA" "event CHILD_MOVED .*remote=$PUB2\[4500\]" && us_log_has "$DIRA" "$MOVED_A1"'
A1_LOST=$LOST A1_MS=$RECOVERY_MS
# our first IKE message to the new mapping (the answer to charon's DPD):
# from then on no ESP of ours may go to the old one
A1_T=$(pcap_first "$DIRA" "src host $US_IP and dst host $PUB2 and $IKE4500")

# the same address, a new port: the rule now maps to 40000-40999
rebind_port_a() { nat_rule n0 40000-40999 && nat_pub_swap n0 "$PUB2" "$PUB2"; }
rebind a2 "A2 new public port on $PUB2" "$DIRA" rebind_port_a
check "A2: the flow is back through the new mapping (10 replies)" [ "$REBIND_OK" = 1 ]
check "A2: the IKE SA moved to a port of 40000-40999" \
	us_log_has "$DIRA" "peer moved from $PUB2\[4500\] to $PUB2\[40[0-9]{3}\]"
check "A2: CHILD_MOVED, the fast path's outbound SA moved too" \
	us_log_has "$DIRA" "fastpath: CHILD_SA c1/net: outbound SA 0x[0-9a-f]+ now to $PUB2\[40[0-9]{3}\]"
A2_LOST=$LOST A2_MS=$RECOVERY_MS
nat_cap_stop "$DIRA"
A2_T=$(pcap_first "$DIRA" "src host $US_IP and dst host $PUB2 and dst portrange 40000-40999 and $IKE4500")
# (50 ms for the bursts a worker had in hand with the old SA)
check "A1: ESP to the old mapping until the move, none after it" eval \
	'[ -n "$A1_T" ] && [ "$(pcap_count "$DIRA" "src host $US_IP and dst host $PUB1 and $ESP" 0 "$A1_T")" -ge 1 ] &&
	 [ "$(pcap_count "$DIRA" "src host $US_IP and dst host $PUB1 and $ESP" "$(t_plus "$A1_T" 0.05)")" = 0 ]'
check "A2: ESP to ${PUB2}[4500] until the move, none after it" eval \
	'[ -n "$A2_T" ] && [ "$(pcap_count "$DIRA" "src host $US_IP and dst host $PUB2 and dst port 4500 and $ESP" "$A1_T" "$A2_T")" -ge 1 ] &&
	 [ "$(pcap_count "$DIRA" "src host $US_IP and dst host $PUB2 and dst port 4500 and $ESP" "$(t_plus "$A2_T" 0.05)")" = 0 ]'
n=$(late_replies 5)
check "5 of 5 echo replies at the end (got ${n:-0})" [ "${n:-0}" = 5 ]
check "charon kept its one IKE SA and CHILD SA" \
	eval '[ "$(ss_query "$DIRA" "len(sas)")" = 1 ] && ss_child_installed "$DIRA"'
check "no NAT keepalive from us (no NAT in front of us)" [ "$(nat_keepalives "$DIRA" "src host $US_IP")" = 0 ]
check "no CHILD SA move failed" eval '! us_log_has "$DIRA" "not moved"'
ipgw_mark_logs "$DIRA"
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
ss_stop "$DIRA"
for ns in "$GW_NS" "$NAT_NS" "$SS_NS" "$LAN_NS"; do ip netns del "$ns"; done

# ===================================================================== B
echo "== B. the gateway behind the NAT: strongSwan follows us"
GW_NS=$GW_NS-b NAT_NS=$NAT_NS-b SS_NS=$SS_NS-b LAN_NS=$LAN_NS-b GW_PREFIX=${GW_PREFIX}b
SS_OUT=192.0.2.10
DIRB=$IPGW_WORK/b
mkdir -p "$DIRB"
setup_b() {
	nat_make_ns || return 1
	nat_link "$GW_NS" v0 n0 "$NAT_MAC" && nat_link "$SS_NS" v1 n1 "$SS_MAC" || return 1
	ip -n "$NAT_NS" addr add "$PRIV_NAT/25" dev n0
	ip -n "$NAT_NS" addr add "$PUB1/24" dev n1
	ip -n "$SS_NS" addr add "$SS_OUT/24" dev v1
	nat_rule n1
}
check "namespaces with the gateway behind the NAT" setup_b
ss_gen_conf "$DIRB" "$SS_OUT" "$PRIV_HOST" "$SS_NET" "$US_NET"
stall_proof "$DIRB"
# charon answers whichever address the NAT gives us
sed -i 's/^    remote_addrs = .*/    remote_addrs = %any/' "$DIRB/swanctl.conf"
SS_MAC=$NAT_MAC US_IP=$PRIV_HOST SS_IP=$SS_OUT SS_NET=$SS_NET gw_gen_conf "$DIRB"
# our liveness check every second, NAT keepalives every second
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["connections"][0]["dpd_delay"] = 1
c["ike"]["natt_keepalive"] = 1
c["ike"]["retransmit_tries"] = 6
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$DIRB/gw.json"
check "charon starts" ss_start "$SS_NS" "$DIRB"
check "ipsecgw starts behind the NAT" gw_start "$DIRB"
nat_cap_start n1 "$DIRB" || fail "tcpdump in the NAT namespace did not start"
us_ctl "$DIRB" initiate c1 >/dev/null
check "CHILD SA up through the NAT (we initiate)" wait_until 15 gw_tunnel_up "$DIRB"
check "we see the NAT in front of us (log, list-sas nat_local)" eval \
	'us_log_has "$DIRB" "NAT detected: in front of us" &&
	 [ "$(us_query "$DIRB" "[sa[\"nat_local\"] for sa in sas]")" = "[true]" ]'
check "charon sees us behind the NAT (its log)" grep -q "remote host is behind NAT" "$DIRB/charon.log"
check "first echo through the tunnel" wait_until 10 first_reply
rebind b1 "B1 new public address $PUB1 -> $PUB2" "$DIRB" nat_pub_swap n1 "$PUB1" "$PUB2"
check "B1: the flow is back through the new mapping (10 replies)" [ "$REBIND_OK" = 1 ]
B1_LOST=$LOST B1_MS=$RECOVERY_MS
check "B1: charon moved its IKE SA on an IKE message of ours from $PUB2" \
	grep -q "remote endpoint changed from $PUB1\[4500\] to $PUB2\[4500\]" "$DIRB/charon.log"
check "B1: charon holds its one IKE SA, now to ${PUB2}[4500]" \
	eval '[ "$(ss_query "$DIRB" "[sa.get(\"remote-host\") + \":\" + sa.get(\"remote-port\") for sa in sas]")" = "[\"$PUB2:4500\"]" ]'
n=$(late_replies 5)
check "5 of 5 echo replies at the end (got ${n:-0})" [ "${n:-0}" = 5 ]
nat_cap_stop "$DIRB"
check "our NAT keepalives on the wire from $PUB1 and from $PUB2 (1 s apart)" eval \
	'[ "$(nat_keepalives "$DIRB" "src host $PUB1 and dst host $SS_OUT")" -ge 1 ] &&
	 [ "$(nat_keepalives "$DIRB" "src host $PUB2 and dst host $SS_OUT")" -ge 1 ]'
# What moved charon: our ESP and keepalives from the new mapping, or IKE
T_IKE=$(pcap_first "$DIRB" "src host $PUB2 and dst host $SS_OUT and $IKE4500")
T_ESP=$(pcap_first "$DIRB" "src host $PUB2 and dst host $SS_OUT and $ESP")
if [ -n "$T_IKE" ] && [ -n "$T_ESP" ]; then
	echo "  note: B1: before our first IKE message from $PUB2 charon had $(pcap_count "$DIRB" \
		"src host $PUB2 and dst host $SS_OUT and $ESP" 0 "$T_IKE") ESP packets and $(pcap_count "$DIRB" \
		"src host $PUB2 and dst host $SS_OUT and udp[4:2] = 9" 0 "$T_IKE") keepalives from there," \
		"and sent $(pcap_count "$DIRB" "src host $SS_OUT and dst host $PUB1 and $ESP" "$T_ESP" "$T_IKE") ESP" \
		"packets to the old $PUB1 after the first; $(pcap_count "$DIRB" "src host $SS_OUT and dst host $PUB1 and $ESP" \
		"$(t_plus "$T_IKE" 0.05)") after the IKE message"
fi
ipgw_mark_logs "$DIRB"
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null

echo "  summary: lost/recovery A1 ${A1_LOST}/${A1_MS} ms, A2 ${A2_LOST}/${A2_MS} ms, B1 ${B1_LOST:-?}/${B1_MS:-?} ms"
if [ "$FAIL" -gt 0 ]; then
	IPGW_TAIL_LINES=40 ipgw_show_logs "$DIRA" >&2
	[ -s "$DIRB/us.log" ] && IPGW_TAIL_LINES=40 ipgw_show_logs "$DIRB" >&2
fi
# logs, captures and ping flows kept in build/interop-logs/nat-* after a
# failure, or always with IPGW_KEEP=1
if [ -n "${IPGW_KEEP:-}" ] || [ "$FAIL" -gt 0 ]; then
	ipgw_keep_logs "$DIRA" nat-a
	ipgw_keep_logs "$DIRB" nat-b
fi
echo "nat_run: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
