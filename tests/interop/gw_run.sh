#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The DPDK gateway (build/ipsecgw) negotiating with strongSwan over its own
# ports and carrying the traffic of the CHILD SAs in its fast path:
#
#   [$SS_NS] charon (kernel-libipsec)   [$GW_NS] build/ipsecgw          [$LAN_NS] host
#    v1 192.0.2.2   <---- veth ---->   v0 (net_af_packet) 192.0.2.1
#    lo 203.0.113.1 (protected)         l0 (net_af_packet) 198.51.100.1 <-> l1 198.51.100.10
#
# The gateway's veth ends have no kernel address: every frame, ARP included,
# is the gateway's. IKE reaches its IKE engine through the workers' punt
# ring and leaves by the control core's TX queue; ESP (UDP-encapsulated,
# as kernel-libipsec always does) is the workers'. The LAN host pings the
# protected address behind charon: the echo crosses our encryption, charon's
# decryption, charon's encryption and our decryption.
#   sudo bash tests/interop/gw_run.sh   (make test runs it)
# Then (5) an outbound SPI the peer chooses that a static SA (to another
# peer) already has: the CHILD SA is installed beside it and carries the
# pings (outbound SAs are named by a key of ours, not the peer's SPI),
# the static SA stays;
# (6) the gateway killed with -9 and started again brings the tunnel back
# by itself (initiate, INITIAL_CONTACT); (7) the same tunnel over IPv6
# outside (NS answered, ESP-in-UDP over IPv6); (8) start_action trap: a
# ping from the LAN host brings the tunnel up, and again after charon
# deleted it; (9) IKE fragmentation (RFC 7383): IKE_AUTH in fragments both
# ways at fragment_size 400, then traffic.
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
ipgw_require_tools gw_run "$GW_BIN" "$CTL_BIN" -- ip ethtool swanctl "$CHARON" || exit 1
trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
DIR=$IPGW_WORK/gw
mkdir -p "$DIR"


echo "== topology and daemons"
gw_topology || { echo "gw_run: namespaces could not be set up" >&2; exit 1; }
ss_gen_conf "$DIR" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
GW_METRICS=127.0.0.1:9460 gw_gen_conf "$DIR"
check "charon starts" ss_start "$SS_NS" "$DIR"
check "ipsecgw starts with IKE on its fast path (control socket up)" gw_start "$DIR"
grep -q "IKE on the fast path: 1 connection" "$DIR/us.log" ||
	fail "start line 'IKE on the fast path' missing"
# the control core keeps only what DPDK may need at run time (IPC_LOCK,
# NET_ADMIN, NET_RAW, SYS_ADMIN: 0x207000), and no new privileges
gw_caps() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$GW_PID/status"; }
check "the control core dropped its capabilities (CapBnd 0000000000207000)" \
	eval 'wait_until 10 grep -q "INFO control: privileges: running as uid 0" "$DIR/us.log" &&
	[ "$(gw_caps CapBnd)" = 0000000000207000 ] && [ "$(gw_caps CapEff)" = 0000000000207000 ] &&
	[ "$(gw_caps NoNewPrivs)" = 1 ]'

echo "== 1. strongSwan initiates; traffic crosses both ESP directions"
ss_swanctl "$DIR" --initiate --child net >"$DIR/ss_initiate.out" 2>&1
check "CHILD SA up on both sides" wait_until 15 gw_tunnel_up "$DIR"
check "the CHILD SA is installed in the fast path" us_log_has "$DIR" "fastpath: CHILD_SA c1/net installed"
check "first echo through the tunnel (ARP answered by the workers)" wait_until 10 first_reply
n=$(replies 5)
check "5 of 5 echo replies from $SS_INNER through the tunnel (got ${n:-0})" [ "${n:-0}" = 5 ]
# The proof that ESP, not clear text, crossed the link: charon counts
# bytes on its CHILD SA in both directions.
check "charon counted ESP in and out on the CHILD SA" \
	[ "$(ss_query "$DIR" 'sum(1 for sa in sas for c in children(sa) if int(c.get("packets-in", 0)) >= 5 and int(c.get("packets-out", 0)) >= 5)')" -ge 1 ]

# The metrics endpoint on the gateway's loopback: promtool accepts it, and
# the tunnel's packets are counted on its child and on the ports.
scrape() { ip netns exec "$GW_NS" curl -sf --max-time 5 http://127.0.0.1:9460/metrics >"$DIR/metrics.txt"; }
metric() { awk -v k="$1" '$1 == k { print $2 }' "$DIR/metrics.txt"; }
check "metrics scraped (GET /metrics)" scrape
check "promtool check metrics accepts them" eval 'promtool check metrics <"$DIR/metrics.txt" >"$DIR/promtool.out" 2>&1'
check "the CHILD SA counted: ipsecgw_ike_child_sas{conn=\"c1\",child=\"net\"} 1" \
	[ "$(metric 'ipsecgw_ike_child_sas{conn="c1",child="net"}')" = 1 ]
fp_child() { metric "ipsecgw_fastpath_child_packets_total{conn=\"c1\",child=\"net\",dir=\"$1\"}"; }
check "the tunnel's packets counted on c1/net (in $(fp_child in), out $(fp_child out))" \
	eval '[ "$(fp_child in)" -ge 5 ] && [ "$(fp_child out)" -ge 5 ]'
# list-sas: the same counters on the CHILD SA's entry (the gateway's hook)
fp_listed() { us_query "$DIR" 'sum(1 for sa in sas for c in children(sa) if (c.get("fp") or {}).get("packets_in", 0) >= 5 and c["fp"].get("packets_out", 0) >= 5)'; }
check "list-sas shows the fast path's packets on c1/net (fp packets_in, packets_out >= 5)" \
	[ "$(fp_listed)" = 1 ]
# every series the Grafana dashboard draws is one the gateway exports
dash_names() { grep -o 'ipsecgw_[a-z_]*' "$ROOT/docs/grafana-ipsecgw.json" | sort -u; }
dash_missing() { local n; for n in $(dash_names); do grep -q "^$n[{ ]" "$DIR/metrics.txt" || echo "$n"; done; }
check "docs/grafana-ipsecgw.json draws only exported series (missing: $(dash_missing | tr '\n' ' '))" \
	eval '[ -z "$(dash_missing)" ] && [ "$(dash_names | wc -l)" -ge 10 ]'
check "the WAN port counted by name (ipsecgw_fastpath_port_rx_packets_total{port=\"wan\"} > 0)" \
	[ "$(metric 'ipsecgw_fastpath_port_rx_packets_total{port="wan"}')" -gt 0 ]

# UDP echo through the tunnel, up to a size that does not fit the link:
# 1472 B of payload is a 1500-byte inner packet whose ESP our workers
# fragment (charon's kernel reassembles it); charon's answer comes back
# as inner fragments (its TUN's MTU is 1400), each in an ESP packet of its
# own, which we decrypt and forward. (Larger datagrams from the LAN would
# arrive in fragments that net_af_packet has the kernel put together
# again, PACKET_FANOUT_FLAG_DEFRAG, into frames longer than its ring's:
# a limit of that driver, see drivers-config/net_af_packet.json.)
ip netns exec "$SS_NS" "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7777))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)' "$SS_INNER" >/dev/null 2>&1 </dev/null &
ipgw_track_pid $!
echo_bound() { ip netns exec "$SS_NS" ss -Hlun 'sport = :7777' | grep -q 7777; }
wait_until 5 echo_bound || fail "the UDP echo server in $SS_NS did not start"
udp_echo() {
	ip netns exec "$LAN_NS" "$PYTHON" -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
ok = bad = 0
for size in (64, 1000, 1472):
    for i in range(3):
        d = os.urandom(size)
        s.sendto(d, (sys.argv[1], 7777))
        try:
            r = s.recv(65535)
        except socket.timeout:
            print("no echo of %d bytes" % size); bad += 1; continue
        if r == d: ok += 1
        else: print("echo of %d bytes differs" % size); bad += 1
print("%d echoed, %d not" % (ok, bad))
sys.exit(0 if bad == 0 else 1)' "$SS_INNER"
}
check "UDP echo of 64 / 1000 / 1472 bytes, 3 each, all intact (our ESP fragmented)" udp_echo

# What an operator sees live through DPDK's telemetry client: the CHILD
# SA's two SAs among the fast path's, labelled with its connection, child
# and id, and IKE's datagram counters.
telemetry_shows_child() {
	local spis
	spis=$(us_query "$DIR" '" ".join(" ".join([c["spi_in"], c["spi_out"], sa["conn"], c["child"], str(c["id"])]) for sa in sas for c in children(sa))')
	printf '/ipsecgw/sa/list\n/ipsecgw/ike\n/ipsecgw/sa/info,0x%s,in\n' "${spis%% *}" |
		timeout 20 "$PYTHON" /usr/bin/dpdk-telemetry.py -f "$GW_PREFIX" 2>/dev/null |
		"$PYTHON" -c 'import json, sys
r = {}
for line in sys.stdin:
    if line.startswith("{"):
        r.update(json.loads(line))
spi_in, spi_out, conn, child, cid = sys.argv[1].split()[:5]
sas, ike = r.get("/ipsecgw/sa/list") or [], r.get("/ipsecgw/ike") or {}
info = r.get("/ipsecgw/sa/info") or {}
print("telemetry: sa/list %s, ike %s, sa/info %s" % (sas, ike, info))
ok = ("in:0x" + spi_in in sas and "out:0x" + spi_out in sas and ike.get("rx", 0) >= 2
      and ike.get("tx", 0) >= 2 and ike.get("rx_bad") == 0
      and info.get("spi") == "0x" + spi_in and info.get("conn") == conn
      and info.get("child") == child and str(info.get("child_id")) == cid)
sys.exit(0 if ok else 1)' "$spis"
}
check "telemetry: the CHILD SA's SAs in /ipsecgw/sa/list, named in sa/info, IKE counters in /ipsecgw/ike" \
	telemetry_shows_child

# The gateway answers pings to its own addresses (from its control core).
ping_gw() {
	local ns=$1 addr=$2
	[ "$(ip netns exec "$ns" ping -n -q -c 3 -i 0.2 -W 1 "$addr" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p')" = 3 ]
}
check "the gateway answers pings to its LAN address $GW_LAN (3 of 3)" ping_gw "$LAN_NS" "$GW_LAN"
check "the gateway answers pings to its WAN address $US_IP (3 of 3)" ping_gw "$SS_NS" "$US_IP"
# ... but not one that came through the tunnel: the answer would leave in
# clear by route (no echo, and the counter below stays at 6).
no_tunnel_echo() {
	[ "$(ip netns exec "$SS_NS" ping -n -q -c 2 -i 0.2 -W 1 -I "$SS_INNER" "$GW_LAN" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p')" = 0 ]
}
check "a ping through the tunnel to $GW_LAN is not answered in clear" no_tunnel_echo

# A control client that connects and says nothing holds the control core
# (SA installs, punted IKE, RCU reclamation) only 100 ms.
stalled_client() {
	"$PYTHON" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t = time.monotonic()
r = s.recv(4096).decode()
dt = time.monotonic() - t
print("answered after %.0f ms: %s" % (dt * 1000, r.strip()))
sys.exit(0 if dt < 0.5 and "timed out" in r else 1)' "$DIR/ctl.sock"
}
check "a silent control client is answered with a time-out within 0.5 s" stalled_client

echo "== 2. we rekey the CHILD SA; traffic moves to the new SAs"
old_spi=$(child_spi_in "$DIR")
us_ctl "$DIR" rekey-child c1 >/dev/null
check "CHILD_REKEYED" wait_until 10 us_has_event "$DIR" CHILD_REKEYED
check "the old CHILD SA is removed after the rekey (CHILD_DOWN)" wait_until 10 us_has_event "$DIR" CHILD_DOWN
n=$(replies 5)
check "5 of 5 echo replies through the rekeyed SA (got ${n:-0})" [ "${n:-0}" = 5 ]
new_spi=$(child_spi_in "$DIR")
spi_changed() { [ "${old_spi:-[]}" != "[]" ] && [ "${new_spi:-[]}" != "[]" ] && [ "$new_spi" != "$old_spi" ]; }
check "a new inbound SPI ($old_spi -> $new_spi)" spi_changed

echo "== 3. strongSwan deletes the IKE SA; we initiate again"
ss_swanctl "$DIR" --terminate --ike c1 >"$DIR/ss_terminate.out" 2>&1
check "IKE_DOWN on our side" wait_until 10 us_has_event "$DIR" IKE_DOWN
n=$(replies 2)
check "no echo reply once the tunnel is gone (got ${n:-0})" [ "${n:-0}" = 0 ]
us_ctl "$DIR" initiate c1 >/dev/null
check "CHILD SA up again, initiated by us" wait_until 15 \
	eval '[ "$(us_event_count "$DIR" CHILD_UP)" -ge 2 ] && ss_child_installed "$DIR"'
check "first echo through the new tunnel" wait_until 10 first_reply
n=$(replies 5)
check "5 of 5 echo replies (got ${n:-0})" [ "${n:-0}" = 5 ]

echo "== 4. we stop: the peer is told, the counters add up"
kill -TERM "$GW_PID" 2>/dev/null
check "ipsecgw exits within 10 s of SIGTERM" wait_until 10 ipgw_pid_gone "$GW_PID"
ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
gw_rc=$?
# (built with ASan, a leak or an error report ends it with a non-zero status)
check "ipsecgw exit status 0 (got $gw_rc)" [ "$gw_rc" = 0 ]
ss_no_sa() {
	kill -0 "$(ss_pid "$DIR")" 2>/dev/null && ss_swanctl "$DIR" --list-sas >/dev/null 2>&1 &&
		[ "$(ss_query "$DIR" "len(sas)")" = 0 ]
}
check "charon (running, answering swanctl) saw the IKE SA deleted" wait_until 5 ss_no_sa
# stat_ge KEY N / stat_is KEY N: a counter of the stats file, compared
stat_ge() { local v; v=$(stat_of "$DIR" "$1"); [ -n "$v" ] && [ "$v" -ge "$2" ]; }
stat_is() { [ "$(stat_of "$DIR" "$1")" = "$2" ]; }
check "stats: ESP out >= 16 ($(stat_of "$DIR" workers.0.esp_out))" stat_ge workers.0.esp_out 16
check "stats: ESP in >= 16 ($(stat_of "$DIR" workers.0.esp_in))" stat_ge workers.0.esp_in 16
check "stats: IKE datagrams in >= 6 ($(stat_of "$DIR" ike.rx))" stat_ge ike.rx 6
check "stats: IKE messages out >= 6 ($(stat_of "$DIR" ike.tx))" stat_ge ike.tx 6
check "stats: no malformed IKE datagram" stat_is ike.rx_bad 0
check "stats: no failed IKE send" stat_is ike.tx_failed 0
check "stats: no auth failure" stat_is drops.auth 0
check "stats: no replay drop" stat_is drops.replay 0
# (CHILD SAs are installed synchronously, not through the request ring:
# a refusal shows as an ERR line, not in control.req_failed)
no_refusal() { ! us_log_has "$DIR" "fastpath: CHILD_SA .* not installed"; }
check "no CHILD SA refused by the fast path" no_refusal
check "stats: our ESP left in fragments ($(stat_of "$DIR" workers.0.frag_out))" stat_ge workers.0.frag_out 6
check "stats: 6 echo replies from the control core ($(stat_of "$DIR" ike.echo_replies))" stat_is ike.echo_replies 6
check "stats: every SA taken out of the fast path at exit" \
	eval 'stat_is control.sa_in 0 && stat_is control.sa_out 0 && stat_is control.spd_rules 0'

echo "== 5. the peer picks an outbound SPI a static SA already has: both work"
# charon draws its inbound SPIs (our outbound) from [spi_min, spi_max]:
# one value, which the gateway's configuration already gives a static SA.
ss_stop "$DIR"
DIR5=$IPGW_WORK/gw5
mkdir -p "$DIR5"
ss_gen_conf "$DIR5" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
sed -i 's/^charon {/charon {\n  spi_min = 0xc0001234\n  spi_max = 0xc0001234/' "$DIR5/strongswan.conf"
gw_gen_conf "$DIR5"
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["fastpath"]["static_sas"] = [{"spi": "0xc0001234", "dir": "out", "local": "192.0.2.1",
    "remote": "192.0.2.9", "cipher": "aes128gcm16",
    "key": "0x101112131415161718191a1b1c1d1e1f20212223"}]
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$DIR5/gw.json"
check "charon restarts with its SPI range pinned" ss_start "$SS_NS" "$DIR5"
check "ipsecgw starts with the static SA" gw_start "$DIR5"
ss_swanctl "$DIR5" --initiate --child net >"$DIR5/ss_initiate.out" 2>&1
check "the CHILD SA with outbound SPI 0xc0001234 is installed beside the static SA" \
	wait_until 10 eval 'us_log_has "$DIR5" "fastpath: CHILD_SA c1/net installed, SAs in 0x[0-9a-f]* out 0xc0001234"'
check "first echo through it" wait_until 10 first_reply
n=$(replies 5)
check "5 of 5 echo replies through the CHILD SA whose SPI a static SA has too (got ${n:-0})" \
	[ "${n:-0}" = 5 ]
ss_swanctl "$DIR5" --terminate --child net >/dev/null 2>&1
ss_child_gone() { [ "$(ss_query "$DIR5" 'sum(1 for sa in sas for c in children(sa))')" = 0 ] 2>/dev/null; }
check "charon deletes the CHILD SA, its IKE SA stays" wait_until 10 \
	eval 'ss_child_gone && [ "$(ss_query "$DIR5" "len(sas)")" = 1 ]'
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
check "stats: the static SA survived the child's end, nothing else is left" \
	eval '[ "$(stat_of "$DIR5" control.sa_out)" = 1 ] && [ "$(stat_of "$DIR5" control.sa_in)" = 0 ] &&
	      [ "$(stat_of "$DIR5" control.spd_rules)" = 0 ]'

echo "== 6. killed with -9 and started again: the tunnel comes back by itself"
# "initiate": true (start_action start); charon replaces an IKE SA of the
# same peer only on INITIAL_CONTACT (uniqueids = no, lib.sh).
ss_stop "$DIR5"
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
DIR7=$IPGW_WORK/gw7
mkdir -p "$DIR7"
ss_gen_conf "$DIR7" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
gw_gen_conf "$DIR7"
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["connections"][0]["initiate"] = True
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$DIR7/gw.json"
check "charon starts" ss_start "$SS_NS" "$DIR7"
check "ipsecgw starts and brings the tunnel up by itself" eval 'gw_start "$DIR7" && wait_until 15 gw_tunnel_up "$DIR7"'
check "first echo through it" wait_until 10 first_reply
kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
mv "$DIR7/us.log" "$DIR7/us.before-kill.log"
t0=$(ipgw_now_ms)
check "ipsecgw starts again after kill -9" gw_start "$DIR7"
one_sa_each() { gw_tunnel_up "$DIR7" && [ "$(ss_query "$DIR7" "len(sas)")" = 1 ]; }
check "the tunnel is back, charon holds one IKE SA (INITIAL_CONTACT)" wait_until 20 one_sa_each
check "echo through the new tunnel" wait_until 10 first_reply
dt=$(( $(ipgw_now_ms) - t0 ))
echo "  note: tunnel and traffic back ${dt} ms after the restart"
n=$(replies 5)
check "5 of 5 echo replies (got ${n:-0})" [ "${n:-0}" = 5 ]
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null

echo "== 7. IPv6 outside at MTU 1280: IKE (in fragments) and ESP-in-UDP over 2001:db8::/64"
ss_stop "$DIR7"
DIR6=$IPGW_WORK/gw6
mkdir -p "$DIR6"
ip netns exec "$SS_NS" sysctl -qw net.ipv6.conf.v1.disable_ipv6=0
ip -n "$SS_NS" addr add 2001:db8::2/64 dev v1 nodad
# One link, one MTU: the gateway sets its end (v0) to the port's 1280.
ip -n "$SS_NS" link set v1 mtu 1280
# At the IPv6 minimum MTU, with eight IKE proposals of eight DH groups
# each and a MODP-4096 key share, our IKE_SA_INIT request (1,576 bytes
# of IKE) leaves in IPv6 fragments made by the control core.
SS_IKE_PROPS=aes128gcm16-prfsha256-modp4096
ss_gen_conf "$DIR6" 2001:db8::2 2001:db8::1 "$SS_NET" "$US_NET"
ss_defaults
gw_gen_conf "$DIR6"
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
k = c["connections"][0]
k["local_addr"] = k["local_id"] = "2001:db8::1"
k["remote_addr"] = k["remote_id"] = "2001:db8::2"
dh = "modp4096-modp3072-modp2048-ecp256-ecp384-ecp521-x25519-x448"
k["ike_proposals"] = [a + "-" + dh for a in (
    "aes128gcm16-prfsha256-prfsha384-prfsha512", "aes256gcm16-prfsha256-prfsha384-prfsha512",
    "aes192gcm16-prfsha256-prfsha384-prfsha512", "chacha20poly1305-prfsha256-prfsha384-prfsha512",
    "aes128-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512",
    "aes256-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512",
    "aes192-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512",
    "aes128gcm128-prfsha256-prfsha384-prfsha512")]
c["fastpath"]["ports"][0]["mtu"] = 1280
c["fastpath"]["ports"][0]["addresses"].append("2001:db8::1")
c["fastpath"]["routes"].append({"dst": "2001:db8::/64", "port": "wan", "mac": sys.argv[2]})
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$DIR6/gw.json" "$SS_MAC"
check "charon starts on 2001:db8::2" ss_start "$SS_NS" "$DIR6"
check "ipsecgw starts with 2001:db8::1 on its WAN port" gw_start "$DIR6"
us_ctl "$DIR6" initiate c1 >/dev/null
check "CHILD SA up over IPv6 (we initiate)" wait_until 15 gw_tunnel_up "$DIR6"
check "our IKE_SA_INIT left in IPv6 fragments and charon took it" \
	eval 'us_log_has "$DIR6" "tx [0-9]+ bytes 2001:db8::1\[500\] -> 2001:db8::2\[500\], port 0, fragmented" &&
	      grep -qE "received packet: from 2001:db8::1\[500\] to 2001:db8::2\[500\] \((1[3-9]|[2-9][0-9])[0-9][0-9] bytes\)" "$DIR6/charon.log"'
check "its outer addresses are IPv6, UDP-encapsulated" \
	us_log_has "$DIR6" "event CHILD_UP .*encap=yes.*local=2001:db8::1\[4500\] remote=2001:db8::2\[4500\]"
check "first echo through the IPv6 tunnel (neighbour solicitation answered)" wait_until 10 first_reply
n=$(replies 5)
check "5 of 5 echo replies over IPv6 outside (got ${n:-0})" [ "${n:-0}" = 5 ]
check "UDP echo of 64 / 1000 / 1472 bytes over IPv6 outside (our ESP in IPv6 fragments)" udp_echo
check "the gateway answers pings to 2001:db8::1 (3 of 3)" ping_gw "$SS_NS" 2001:db8::1
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
check "stats (IPv6): ESP out >= 15 and in >= 15, an NA sent, nothing malformed" \
	eval '[ "$(stat_of "$DIR6" workers.0.esp_out)" -ge 15 ] && [ "$(stat_of "$DIR6" workers.0.esp_in)" -ge 15 ] &&
	      [ "$(stat_of "$DIR6" workers.0.neigh_replies)" -ge 1 ] && [ "$(stat_of "$DIR6" ike.rx_bad)" = 0 ] &&
	      [ "$(stat_of "$DIR6" drops.malformed)" = 0 ] && [ "$(stat_of "$DIR6" workers.0.frag_out)" -ge 6 ] &&
	      [ "$(stat_of "$DIR6" ike.tx_frags)" -ge 2 ] && [ "$(stat_of "$DIR6" ike.tx_failed)" = 0 ]'

echo "== 8. start_action trap: the first packet brings the tunnel up, and back after charon's delete"
# Nothing is initiated at start; the LAN host's pings meet the trap
# policy: the first are dropped (counted as drop "trap") while one acquire
# a second reaches the IKE engine, the later ones pass.
ss_stop "$DIR6"
ip -n "$SS_NS" link set v1 mtu 1500
DIR8=$IPGW_WORK/gw8
mkdir -p "$DIR8"
ss_gen_conf "$DIR8" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
gw_gen_conf "$DIR8"
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
k = c["connections"][0]
k.pop("initiate", None)
k["start_action"] = "trap"
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$DIR8/gw.json"
check "charon starts" ss_start "$SS_NS" "$DIR8"
check "ipsecgw starts and traps c1/net" eval 'gw_start "$DIR8" &&
	wait_until 5 us_log_has "$DIR8" "fastpath: CHILD_SA c1/net trapped: 1 policy"'
sleep 1
check "nothing initiated before traffic" eval '! us_has_event "$DIR8" IKE_UP &&
	[ "$(ss_query "$DIR8" "len(sas)")" = 0 ]'
n=$(replies 10)
echo "  note: ${n:-0} of the first 10 echo requests (0.2 s apart) came back"
check "a ping from the LAN host brings the tunnel up (acquire)" eval 'wait_until 10 gw_tunnel_up "$DIR8" &&
	us_log_has "$DIR8" "acquire for CHILD_SA c1/net: setting it up"'
n=$(replies 5)
check "then 5 of 5 echo replies (got ${n:-0})" [ "${n:-0}" = 5 ]
ss_swanctl "$DIR8" --terminate --ike c1 >"$DIR8/ss_terminate.out" 2>&1
# events DIR TYPE: how many TYPE events our log has
events() { grep -c "event $2 " "$1/us.log"; }
ike_gone() { [ "$(events "$DIR8" IKE_DOWN)" = 1 ] && [ "$(us_query "$DIR8" "len(sas)")" = 0 ]; }
tunnel_again() { [ "$(events "$DIR8" CHILD_UP)" = 2 ] && ss_child_installed "$DIR8"; }
check "charon deletes the IKE SA; we hold none" wait_until 10 ike_gone
n=$(replies 10)
check "the trap is back: pings bring the tunnel up again" wait_until 10 tunnel_again
n=$(replies 5)
check "and 5 of 5 echo replies through it (got ${n:-0})" [ "${n:-0}" = 5 ]
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
echo "  note: drops.trap $(stat_of "$DIR8" drops.trap), acquires $(stat_of "$DIR8" workers.0.acquires)" \
	"(lost $(stat_of "$DIR8" workers.0.acquires_lost)), started $(stat_of "$DIR8" ike.acquires_started)"
check "stats: packets dropped on the trap, two acquires started, none lost" \
	eval '[ "$(stat_of "$DIR8" drops.trap)" -ge 2 ] && [ "$(stat_of "$DIR8" ike.acquires_started)" = 2 ] &&
	      [ "$(stat_of "$DIR8" workers.0.acquires_lost)" = 0 ] &&
	      [ "$(stat_of "$DIR8" workers.0.acquires)" -ge 2 ]'

echo "== 9. IKE fragmentation (RFC 7383): IKE_AUTH in fragments both ways, through the fast path"
# lib.sh's frag_* setup: long identities and, the fast path taking four
# selector pairs, two /27 selectors a side; fragment_size 400 on both ends
# then makes IKE_AUTH fragmented both ways.
FRAG_SIZE=400 FRAG_NETS=2
ss_stop "$DIR8"
DIR9=$IPGW_WORK/gw9
mkdir -p "$DIR9"
ss_gen_conf "$DIR9" "$SS_IP" "$US_IP" "$(frag_nets 203.0.113)" "$(frag_nets 198.51.100)"
gw_gen_conf "$DIR9"
frag_ss_conf "$DIR9" "$(frag_id us)" "$(frag_id ss)"
frag_us_json "$DIR9/gw.json" "$(frag_id us)" "$(frag_id ss)"
frag_ss_addrs add
check "charon starts at fragment_size $FRAG_SIZE" ss_start "$SS_NS" "$DIR9"
check "ipsecgw starts at fragment_size $FRAG_SIZE" gw_start "$DIR9"
ip netns exec "$SS_NS" tcpdump -i v1 -n -U --immediate-mode -s 0 -w "$DIR9/ike.pcap" \
	'udp port 500 or udp port 4500' >"$DIR9/tcpdump.out" 2>&1 </dev/null &
cap_pid=$!
ipgw_track_pid "$cap_pid"
wait_until 5 grep -q 'listening on' "$DIR9/tcpdump.out" || fail "tcpdump did not start"
us_ctl "$DIR9" initiate c1 >/dev/null
check "CHILD SA up (we initiate)" wait_until 15 gw_tunnel_up "$DIR9"
check "first echo through it" wait_until 10 first_reply
sleep 0.3
kill -INT "$cap_pid" 2>/dev/null
wait_until 3 ipgw_pid_gone "$cap_pid"
wait "$cap_pid" 2>/dev/null
read -r f_us f_ss f_big <<<"$(frag_count "$DIR9/ike.pcap")"
check "IKE_AUTH in SKF payloads both ways (from us ${f_us:-?}, from charon ${f_ss:-?}), none over $FRAG_SIZE octets (${f_big:-?})" \
	eval '[ "${f_us:-0}" -ge 2 ] && [ "${f_ss:-0}" -ge 2 ] && [ "${f_big:-99999}" -le "$FRAG_SIZE" ]'
check "our engine put the peer's fragments together" us_log_has "$DIR9" "IKE_AUTH response 1 put together from"
# The same gateway: a log level changed at run time, and a peer whose UDP
# checksums are left to offload again (a lab mistake, docs/deploy.md).
gw_log_level() {
	local out
	out=$(us_ctl "$DIR9" log-level fastpath debug) && grep -q '"fastpath": "debug"' <<<"$out" &&
		wait_until 5 us_log_has "$DIR9" "INFO control: log level of fastpath set to debug" &&
		! us_ctl "$DIR9" log-level dpdk debug >/dev/null &&
		grep -q "unknown subsystem 'dpdk'" "$DIR9/ctl.log"
}
check "ipsecgw-ctl log-level fastpath debug: set at run time, an unknown name refused" gw_log_level
ip netns exec "$SS_NS" ethtool -K v1 tx on >/dev/null
us_ctl "$DIR9" dpd c1 >/dev/null
check "charon's answers with unfinished UDP checksums (offload on): a WARN line naming the peer" \
	wait_until 10 us_log_has "$DIR9" "WARN ike: IKE datagram from $SS_IP dropped: bad UDP checksum"
ip netns exec "$SS_NS" ethtool -K v1 tx off >/dev/null
kill -TERM "$GW_PID" 2>/dev/null
wait_until 10 ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
frag_ss_addrs del

if [ "$FAIL" -gt 0 ]; then
	IPGW_TAIL_LINES=40 ipgw_show_logs "$DIR" >&2
	[ -s "${DIR5:-/nonexistent}/us.log" ] && IPGW_TAIL_LINES=20 ipgw_show_logs "$DIR5" >&2
	[ -s "${DIR6:-/nonexistent}/us.log" ] && IPGW_TAIL_LINES=20 ipgw_show_logs "$DIR6" >&2
	[ -s "${DIR8:-/nonexistent}/us.log" ] && IPGW_TAIL_LINES=30 ipgw_show_logs "$DIR8" >&2
	[ -s "${DIR9:-/nonexistent}/us.log" ] && IPGW_TAIL_LINES=30 ipgw_show_logs "$DIR9" >&2
	tail -n 30 "$DIR/gw.stdout" >&2
	[ -f "$DIR/stats.json" ] && cat "$DIR/stats.json" >&2
fi
echo "gw_run: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
