#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The DPDK gateway (build/ipsecgw) at concentrator scale: build/ikeload
# brings up GW_SCALE_N IKE SAs (default 100,000), one CHILD SA each with a
# selector pair of its own (--unique-ts: 2001:db8:1::X/128 <->
# 2001:db8:2::/64), through the gateway's own ports; then ESP for a random
# sample of them (GW_SCALE_SAMPLE, default 100) is sent into the WAN port
# and must leave the LAN port decrypted, and clear traffic from the LAN to
# each sampled remote selector must leave the WAN port in ESP that opens
# with that CHILD SA's outbound key (from the gateway's key log); then
# ikeload deletes every SA and the fast path must be empty again.
#
#   [$GEN_NS] ikeload, scapy          [$GW_NS] build/ipsecgw              [$LAN_NS] scapy
#    v1 192.0.2.2  <---- veth ---->   v0 (net_af_packet) 192.0.2.1
#                                     l0 (net_af_packet) 2001:db8:2::1 <-> l1 (2001:db8:2::10)
#
# Checks: every tunnel up (ikeload, `ipsecgw-ctl summary`, `list-sas`: N
# ESTABLISHED with N distinct remote /128s, telemetry /ipsecgw/stats
# sa_in = sa_out = N); the sample decrypted both ways; at the end ikeload
# deleted N, the summary is empty, sa_in = sa_out = 0 and spd_rules what it
# was before. Reports the bring-up rate, the gateway's RSS and its EAL heap
# per tunnel, the listing's time.
#   sudo bash tests/scale/gw_scale.sh      (make interop runs it)
# Environment: GW_SCALE_N, GW_SCALE_SAMPLE, GW_SCALE_INFLIGHT (ikeload
# --inflight, default 128), GW_MEM_MB (EAL memory, default 3072),
# GW_SCALE_JSON (a file that receives the figures as JSON).
# Prints "N passed, N failed"; exits 1 on any failure.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GW_MEM_MB=${GW_MEM_MB:-3072}   # before lib_gw.sh, which has its own default
# shellcheck source=tests/interop/lib.sh
source "$ROOT/tests/interop/lib.sh"
# shellcheck source=tests/interop/lib_gw.sh
source "$ROOT/tests/interop/lib_gw.sh"

N=${GW_SCALE_N:-100000}
SAMPLE=${GW_SCALE_SAMPLE:-100}
INFLIGHT=${GW_SCALE_INFLIGHT:-128}
IKELOAD_BIN=${IKELOAD_BIN:-$ROOT/build/ikeload}
HELPER="$PYTHON $ROOT/tests/scale/gw_scale.py"
GEN_NS=ipgw-gen-$$
GEN_IP=192.0.2.2 GW_IP=192.0.2.1
GW_WAN_MAC=02:00:00:00:01:01 GW_LAN_MAC=02:00:00:00:01:02
GEN_MAC=02:00:00:00:02:02 LAN_MAC=02:00:00:00:03:03
PSK=scale-test-psk-0123456789abcdef
# one ikeload phase (bring-up, hold, deletes) may take this long
PHASE_S=$((N / 200 + 120))

PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); echo "  ok: $*"; }
fail() { FAIL=$((FAIL + 1)); echo "  FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
note() { echo "  note: $*"; }

scale_topology() {
	local ns
	for ns in "$GW_NS" "$GEN_NS" "$LAN_NS"; do
		ip netns add "$ns" || return 1
		IPGW_NS_MADE+=("$ns")
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	done
	ip link add name v0 netns "$GW_NS" address "$GW_WAN_MAC" type veth \
		peer name v1 netns "$GEN_NS" address "$GEN_MAC" || return 1
	ip link add name l0 netns "$GW_NS" address "$GW_LAN_MAC" type veth \
		peer name l1 netns "$LAN_NS" address "$LAN_MAC" || return 1
	ip -n "$GEN_NS" addr add "$GEN_IP/24" dev v1
	for l in "$GW_NS v0" "$GW_NS l0" "$GEN_NS v1" "$LAN_NS l1"; do
		set -- $l
		ip -n "$1" link set "$2" up || return 1
	done
	# ikeload's UDP checksums finished on the veth (the gateway checks them)
	ip netns exec "$GEN_NS" ethtool -K v1 tx off >/dev/null
}

scale_conf() {
	cat >"$DIR/gw.json" <<EOF
{
  "log": { "level": "warn", "keylog": "$DIR/gw.keylog" },
  "control": { "socket": "$DIR/ctl.sock" },
  "ike": { "retransmit_timeout_ms": 1000, "retransmit_tries": 3,
           "cookie_threshold": 100000, "liveness_idle": 0 },
  "connections": [
    {
      "name": "load", "local_addr": "$GW_IP", "remote_addr": "192.0.2.0/24",
      "local_id": "$GW_IP", "remote_id": "%any",
      "auth": { "method": "psk", "psk": "$PSK" },
      "ike_proposals": ["aes128gcm16-prfsha256-x25519"],
      "rekey_time": 0, "dpd_delay": 0,
      "children": [
        { "name": "net", "local_ts": ["2001:db8:2::/64"], "remote_ts": ["2001:db8:1::/64"],
          "esp_proposals": ["aes128gcm16"], "rekey_time": 0 }
      ]
    }
  ],
  "fastpath": {
    "workers": 1,
    "max_sas": $((N + N / 4 + 1024)),
    "ports": [
      { "name": "wan", "devargs": "net_af_packet0,iface=v0,qpairs=2", "profile": "net_af_packet",
        "addresses": ["$GW_IP"] },
      { "name": "lan", "devargs": "net_af_packet1,iface=l0,qpairs=2", "profile": "net_af_packet",
        "addresses": ["2001:db8:2::1"] }
    ],
    "routes": [
      { "dst": "192.0.2.0/24", "port": "wan", "mac": "$GEN_MAC" },
      { "dst": "2001:db8:2::/64", "port": "lan", "mac": "$LAN_MAC" }
    ]
  }
}
EOF
}

# tel KEY: one field of telemetry /ipsecgw/stats; heap KEY: of /eal/heap_info,0
tel() { $HELPER tel "$GW_PREFIX" /ipsecgw/stats 2>/dev/null | jget "$1"; }
heap() { $HELPER tel "$GW_PREFIX" /eal/heap_info,0 2>/dev/null | jget "$1"; }
jget() { "$PYTHON" -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1" 2>/dev/null; }
ctl() { timeout 120 "$CTL_BIN" -s "$DIR/ctl.sock" "$@" 2>>"$DIR/ctl.err"; }
established() { ctl summary | jget conns.load.ESTABLISHED; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status" 2>/dev/null; }
holding() { grep -q '^ikeload: holding' "$DIR/ikeload.out" 2>/dev/null || ! kill -0 "$GEN_PID" 2>/dev/null; }
fp_empty() { [ "$(tel sa_in)" = 0 ] && [ "$(tel sa_out)" = 0 ] && [ "$(tel spd_rules)" = "$SPD0" ]; }
n_listed() { ctl list-sas | "$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)["sas"]))' 2>/dev/null; }
none_listed() { [ "$(n_listed)" = 0 ]; }
per_tunnel() { echo $(( ($2 - $1) / N )); }

# The sample through the fast path, both ways (captures on the far sides).
traffic() {
	local c1 c2
	$HELPER gen "$DIR/sample.json" "$DIR" || return 1
	ip netns exec "$LAN_NS" tcpdump -i l1 -U -n -w "$DIR/lan_cap.pcap" ip6 >"$DIR/tcpdump-lan.log" 2>&1 &
	c1=$!
	ip netns exec "$GEN_NS" tcpdump -i v1 -U -n -w "$DIR/wan_cap.pcap" esp >"$DIR/tcpdump-wan.log" 2>&1 &
	c2=$!
	ipgw_track_pid "$c1"
	ipgw_track_pid "$c2"
	wait_until 10 grep -q listening "$DIR/tcpdump-lan.log" && wait_until 10 grep -q listening "$DIR/tcpdump-wan.log"
	ip netns exec "$GEN_NS" $HELPER send "$DIR/wan_in.pcap" v1 &&
		ip netns exec "$LAN_NS" $HELPER send "$DIR/lan_in.pcap" l1
	sleep 1
	kill -INT "$c1" "$c2" 2>/dev/null
	wait "$c1" "$c2" 2>/dev/null
	$HELPER check "$DIR/sample.json" "$DIR" >"$DIR/traffic.out" 2>&1
}

ipgw_require_root || exit 1
ipgw_require_tools gw_scale "$GW_BIN" "$CTL_BIN" "$IKELOAD_BIN" -- ip ethtool tcpdump || exit 1
trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
DIR=$IPGW_WORK/scale
mkdir -p "$DIR"
T0=$(ipgw_now_ms)

echo "== $N tunnels through the gateway"
scale_topology || { echo "gw_scale: namespaces could not be set up" >&2; echo "0 passed, 1 failed"; exit 1; }
scale_conf
if ! gw_start "$DIR"; then
	fail "ipsecgw starts ($(tail -n 3 "$DIR/us.log" | tr '\n' ' '))"
	echo "$PASS passed, $FAIL failed"
	exit 1
fi
pass "ipsecgw starts (fastpath.max_sas $((N + N / 4 + 1024)), EAL -m $GW_MEM_MB)"
SPD0=$(tel spd_rules); RSS0=$(rss_kib); HEAP0=$(heap Alloc_size)
check "telemetry answers (spd_rules=$SPD0, heap Alloc_size=$HEAP0)" eval '[ -n "$SPD0" ] && [ -n "$HEAP0" ]'

echo "== bring-up"
ip netns exec "$GEN_NS" timeout -k 5 $((3 * PHASE_S + 60)) taskset -c "${GW_SCALE_GEN_CPU:-1}" \
	"$IKELOAD_BIN" --local "$GEN_IP" --remote "$GW_IP" --psk "$PSK" --remote-id "$GW_IP" \
	--count "$N" --inflight "$INFLIGHT" --unique-ts --hold "$DIR/release" --delete \
	--timeout "$PHASE_S" --quiet --json "$DIR/ikeload.json" >"$DIR/ikeload.out" 2>&1 </dev/null &
GEN_PID=$!
ipgw_track_pid "$GEN_PID"
wait_until $((PHASE_S + 30)) holding
UP_LINE=$(grep '^ikeload: holding' "$DIR/ikeload.out")
check "ikeload: all $N established (${UP_LINE#ikeload: })" \
	eval '[ -n "$UP_LINE" ] && [ "$(echo "$UP_LINE" | cut -d" " -f3)" = "$N" ]'
UP=$(established)
check "ipsecgw-ctl summary: $N ESTABLISHED of load (got ${UP:-none})" [ "${UP:-0}" = "$N" ]
SA_IN=$(tel sa_in); SA_OUT=$(tel sa_out); SPD1=$(tel spd_rules)
check "fast path: sa_in=$SA_IN sa_out=$SA_OUT, want $N each (spd_rules $SPD0 -> $SPD1)" \
	eval '[ "$SA_IN" = "$N" ] && [ "$SA_OUT" = "$N" ]'
RSS1=$(rss_kib); HEAP1=$(heap Alloc_size)
note "memory per tunnel: RSS $(per_tunnel "$((RSS0 * 1024))" "$((RSS1 * 1024))") B (the whole process: $((RSS0 / 1024)) -> $((RSS1 / 1024)) MiB), of it EAL heap $(per_tunnel "$HEAP0" "$HEAP1") B ($((HEAP0 >> 20)) -> $((HEAP1 >> 20)) MiB)"
t=$(ipgw_now_ms)
ctl list-sas >"$DIR/list.json"
LIST_MS=$(($(ipgw_now_ms) - t))
check "list-sas (all pages, $LIST_MS ms): $($HELPER listing "$DIR/list.json" "$N" 2>&1 | tr '\n' ' ')" \
	eval '$HELPER listing "$DIR/list.json" "$N" >/dev/null 2>&1'

echo "== traffic through a sample of $SAMPLE tunnels"
check "sample drawn with keys from the key log ($($HELPER sample "$DIR/list.json" "$DIR/gw.keylog" "$SAMPLE" "$DIR/sample.json" 2>&1 | tail -n 1))" [ -s "$DIR/sample.json" ]
traffic; TRC=$?
check "sample decrypted both ways: $(tail -n 1 "$DIR/traffic.out")" [ "$TRC" = 0 ]
check "the gateway counted no worker drops on the sample's SAs (dropped=$(tel dropped))" [ "$(tel dropped)" = 0 ]

echo "== deletes"
touch "$DIR/release"
wait_until $((PHASE_S + 30)) ipgw_pid_gone "$GEN_PID"
wait "$GEN_PID" 2>/dev/null
GEN_RC=$?
note "$(grep '^ikeload: [0-9]* of' "$DIR/ikeload.out" | tail -n 1)"
check "ikeload exited 0 with $N deleted, 0 failed (rc $GEN_RC, deleted $(jget deleted <"$DIR/ikeload.json"))" \
	eval '[ "$GEN_RC" = 0 ] && [ "$(jget deleted <"$DIR/ikeload.json")" = "$N" ] && [ "$(jget failed <"$DIR/ikeload.json")" = 0 ]'
check "no IKE SA left on the gateway" wait_until 30 none_listed
# inbound SAs stay 2 s after removal for late packets
wait_until 30 fp_empty
check "fast path empty: sa_in=0 sa_out=0 spd_rules=$SPD0 (got $(tel sa_in)/$(tel sa_out)/$(tel spd_rules))" fp_empty
check "ipsecgw still running" kill -0 "$GW_PID"
note "after the deletes: RSS $(( $(rss_kib) / 1024 )) MiB, EAL heap $(( $(heap Alloc_size) >> 20 )) MiB"
gw_stop "$GW_PID"
check "ipsecgw exits 0 at SIGTERM" [ "$?" = 0 ]
ELAPSED=$(( ($(ipgw_now_ms) - T0) / 1000 ))
note "whole run $ELAPSED s"
if [ -n "${GW_SCALE_JSON:-}" ]; then
	printf '{"n":%s,"up_rate_per_s":%s,"elapsed_s":%s,"rss_per_tunnel_b":%s,"heap_per_tunnel_b":%s,"list_ms":%s}\n' \
		"$N" "$(echo "$UP_LINE" | sed -n 's/.*(\([0-9]*\) SA\/s).*/\1/p')" "$ELAPSED" \
		"$(per_tunnel "$((RSS0 * 1024))" "$((RSS1 * 1024))")" "$(per_tunnel "$HEAP0" "$HEAP1")" "$LIST_MS" >"$GW_SCALE_JSON"
fi
[ "$FAIL" = 0 ] || ipgw_keep_logs "$DIR" gw-scale
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
