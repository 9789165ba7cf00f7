# SPDX-License-Identifier: BSD-3-Clause
# tests/interop/lib_gw.sh - the DPDK gateway (build/ipsecgw) with IKE, in
# network namespaces beside strongSwan; sourced after lib.sh by
# tests/interop/gw_run.sh and scripts/demo.sh.
#
#   [$SS_NS] charon (kernel-libipsec)   [$GW_NS] build/ipsecgw          [$LAN_NS] host
#    v1 192.0.2.2   <---- veth ---->   v0 (net_af_packet) 192.0.2.1
#    lo 203.0.113.1 (protected)         l0 (net_af_packet) 198.51.100.1 <-> l1 198.51.100.10
#
# The gateway's veth ends have no kernel address: every frame, ARP included,
# is the gateway's.

GW_BIN=${GW_BIN:-$IPGW_ROOT/build/ipsecgw}
GW_NS=ipgw-gw-$$
GW_PREFIX=gwike$$            # EAL file prefix: dpdk-telemetry.py -f $GW_PREFIX
GW_LCORES=${GW_LCORES:-0-1}  # EAL core list: the control core and one worker
GW_MEM_MB=${GW_MEM_MB:-512}  # EAL memory (--no-huge -m)
LAN_NS=ipgw-lan-$$
SS_MAC=02:00:00:00:02:02
LAN_MAC=02:00:00:00:03:03
LAN_HOST=198.51.100.10
GW_LAN=198.51.100.1

gw_topology() {
	local ns
	for ns in "$GW_NS" "$SS_NS" "$LAN_NS"; do
		ip netns add "$ns" || return 1
		IPGW_NS_MADE+=("$ns")
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	done
	ip link add name v0 netns "$GW_NS" type veth peer name v1 netns "$SS_NS" || return 1
	ip link add name l0 netns "$GW_NS" type veth peer name l1 netns "$LAN_NS" || return 1
	ip -n "$SS_NS" link set v1 address "$SS_MAC"
	ip -n "$LAN_NS" link set l1 address "$LAN_MAC"
	ip -n "$SS_NS" addr add "$SS_IP/24" dev v1
	ip -n "$SS_NS" addr add "$SS_INNER/24" dev lo
	ip -n "$LAN_NS" addr add "$LAN_HOST/24" dev l1
	for l in "$GW_NS v0" "$GW_NS l0" "$SS_NS v1" "$LAN_NS l1"; do
		set -- $l
		ip -n "$1" link set "$2" up || return 1
	done
	ip -n "$LAN_NS" route add default via "$GW_LAN"
	# A veth leaves UDP/TCP checksums for the receiving kernel to fill
	# in (checksum offload); the gateway reads frames through
	# AF_PACKET, sees them unfinished, and rightly drops IKE with a bad
	# UDP checksum. A NIC's wire carries finished ones: so do these.
	ip netns exec "$SS_NS" ethtool -K v1 tx off >/dev/null || return 1
	ip netns exec "$LAN_NS" ethtool -K l1 tx off >/dev/null || return 1
}

gw_gen_conf() {
	local dir=$1 level=${2:-debug}
	cat >"$dir/gw.json" <<EOF
{
  "log": { "level": "$level", "keylog": "$dir/gw.keylog" },
  "control": { "socket": "$dir/ctl.sock" },
$( [ -n "${GW_METRICS:-}" ] && echo "  \"metrics\": { \"listen\": \"$GW_METRICS\" },")
  "ike": { "retransmit_timeout_ms": 500, "retransmit_tries": 3 },
  "connections": [
    {
      "name": "c1", "local_addr": "$US_IP", "remote_addr": "$SS_IP",
      "local_id": "$US_IP", "remote_id": "$SS_IP",
      "auth": { "method": "psk", "psk": "$SS_PSK" },
      "ike_proposals": ["aes128gcm16-prfsha256-x25519"],
      "children": [
        { "name": "net", "local_ts": ["$US_NET"], "remote_ts": ["$SS_NET"],
          "esp_proposals": ["aes128gcm16"], "mode": "tunnel" }
      ]
    }
  ],
  "fastpath": {
    "workers": 1,
    "ports": [
      { "name": "wan", "devargs": "net_af_packet0,iface=v0,qpairs=2", "profile": "net_af_packet",
        "addresses": ["$US_IP"] },
      { "name": "lan", "devargs": "net_af_packet1,iface=l0,qpairs=2", "profile": "net_af_packet",
        "addresses": ["$GW_LAN"] }
    ],
    "routes": [
      { "dst": "0.0.0.0/0", "port": "wan", "mac": "$SS_MAC" },
      { "dst": "192.0.2.0/24", "port": "wan", "mac": "$SS_MAC" },
      { "dst": "$US_NET", "port": "lan", "mac": "$LAN_MAC" }
    ]
  }
}
EOF
}

# gw_start DIR: build/ipsecgw in $GW_NS with DIR/gw.json (stderr, the IKE
# log, -> DIR/us.log, so that lib.sh's us_* helpers read it); GW_PID is
# set; waits for the control socket. A second gateway is started with
# GW_NS and GW_PREFIX (and GW_LCORES) of its own set for the call.
gw_start() {
	local dir=$1
	rm -f "$dir/ctl.sock" "$dir/stats.json"
	IPGW_RUNDIRS+=("/var/run/dpdk/$GW_PREFIX")
	# No `timeout` in between: GW_PID must be the gateway itself, or the
	# SIGKILL of ipgw_cleanup would leave it running, spinning its worker
	# core in a deleted namespace.
	ip netns exec "$GW_NS" "$GW_BIN" --no-huge -m "$GW_MEM_MB" --no-pci \
		--file-prefix "$GW_PREFIX" -l "$GW_LCORES" --log-level=lib.eal:error \
		-- -c "$dir/gw.json" --stats "$dir/stats.json" \
		>"$dir/gw.stdout" 2>"$dir/us.log" </dev/null &
	GW_PID=$!
	ipgw_track_pid "$GW_PID"
	echo "$GW_PID" >"$dir/us.pid"
	# EAL start takes 1-5 s alone, up to ~20 s on a loaded 2-core machine
	wait_until 60 us_ready_or_dead "$dir" "$GW_PID"
	[ -S "$dir/ctl.sock" ] && kill -0 "$GW_PID" 2>/dev/null
}

# gw_stop PID: SIGTERM, up to 10 s to exit, then SIGKILL; returns the
# gateway's exit status (137 when it had to be killed).
gw_stop() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	wait_until 10 ipgw_pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# ss_child_installed DIR / gw_tunnel_up DIR: strongSwan has an INSTALLED
# CHILD SA / and our log a CHILD_UP event.
ss_child_installed() {
	[ "$(ss_query "$1" 'sum(1 for sa in sas for c in children(sa) if c.get("state") == "INSTALLED")')" -ge 1 ] 2>/dev/null
}
gw_tunnel_up() { us_has_event "$1" CHILD_UP && ss_child_installed "$1"; }
# lan_ping N: N echo requests from the LAN host to the address behind charon
lan_ping() { ip netns exec "$LAN_NS" ping -n -q -c "$1" -i 0.2 -W 1 "$SS_INNER" 2>&1; }
# replies N: how many of N echo requests came back
replies() { lan_ping "$1" | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
first_reply() { [ "$(replies 1)" = 1 ]; }
# stat_of DIR KEY: a counter of DIR/stats.json, KEY like workers.0.esp_in
stat_of() {
	"$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = d
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1/stats.json" "$2" 2>/dev/null
}
child_spi_in() { us_query "$1" '[c["spi_in"] for sa in sas for c in children(sa)]'; }
