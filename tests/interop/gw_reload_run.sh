#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live reload of the DPDK gateway (build/ipsecgw) against strongSwan
# (issue 18), in lib_gw.sh's topology: three connections to one charon
# (keep, chg, gone), each a /26 of both inner networks, their CHILD SAs in
# the fast path. The LAN host pings through keep all along; the file is
# rewritten with gone removed, chg changed and add added, and SIGHUP:
# keep loses no echo and keeps its SPIs (both ends, fast path), gone's SAs
# leave the fast path and charon, chg is negotiated again, add comes up
# and carries pings. Then `ipsecgw-ctl reload` of a broken file and of a
# "fastpath" change: refused, naming the file / the part, nothing changed.
# Then a configured policy and a static SA added and removed by reload
# (the policy's drops counted, keep's traffic untouched), and a trapped
# connection added (its first packets bring it up), changed (trapped
# again) and removed (no trap left). Last, a route-based tunnel (if_id):
# no policy, traffic only once `route-add ... tunnel 9` leads it in, kept
# across a CHILD SA rekey, gone with route-del.
#   sudo bash tests/interop/gw_reload_run.sh   (make test runs it)
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
ipgw_require_tools gw_reload_run "$GW_BIN" "$CTL_BIN" -- ip ethtool swanctl "$CHARON" || exit 1
trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
D=$IPGW_WORK/gwr
mkdir -p "$D"

# Connection N's selectors are the Nth /26 of 198.51.100.0/24 (LAN host
# address .N*64+10) and of 203.0.113.0/24 (charon's address .N*64+1).
ss_file() { # charon: keep 0, chg 1, gone 2, add 3; identities NAME.example.org
	local n i=0
	{
		echo "connections {"
		for n in keep chg gone add; do
			printf '  %s {\n    local_addrs = %s\n    remote_addrs = %s\n' "$n" "$SS_IP" "$US_IP"
			printf '    proposals = aes128gcm16-prfsha256-x25519\n    encap = yes\n'
			printf '    local {\n      auth = psk\n      id = %s\n    }\n' "$SS_IP"
			printf '    remote {\n      auth = psk\n      id = %s.example.org\n    }\n' "$n"
			printf '    children {\n      net {\n        local_ts = 203.0.113.%d/26\n' $((i * 64))
			printf '        remote_ts = 198.51.100.%d/26\n' $((i * 64))
			printf '        esp_proposals = aes128gcm16\n      }\n    }\n  }\n'
			i=$((i + 1))
		done
		printf '}\nsecrets {\n  ike-any {\n    secret = "%s"\n  }\n}\n' "$SS_PSK"
	} >"$D/swanctl.conf"
}

# gw_file "NAME:N[:EXTRA_JSON]"...: lib_gw.sh's gw.json with these
# connections in place of c1 (EXTRA: more settings of the connection).
gw_file() {
	gw_gen_conf "$D"
	"$PYTHON" - "$D/gw.json" "$@" <<'EOF'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
base = c["connections"][0]
conns = []
for arg in sys.argv[2:]:
    name, n, *extra = arg.split(":", 2)
    k = json.loads(json.dumps(base))
    n = int(n)
    k.update(name=name, local_id=name + ".example.org", initiate=True)
    k["children"][0]["local_ts"] = ["198.51.100.%d/26" % (n * 64)]
    k["children"][0]["remote_ts"] = ["203.0.113.%d/26" % (n * 64)]
    if extra:
        k.update(json.loads(extra[0]))
        if "start_action" in k:
            del k["initiate"]
        if "if_id" in k: # route-based: the child's
            k["children"][0]["if_id"] = k.pop("if_id")
    conns.append(k)
c["connections"] = conns
json.dump(c, open(path, "w"), indent=1)
EOF
}

# ss_conns: charon's established IKE SAs by name, sorted.
ss_conns() { ss_query "$D" "' '.join(sorted(s['name'] for s in sas if s.get('state') == 'ESTABLISHED'))"; }
ss_is() { [ "$(ss_conns)" = "$1" ]; }
# NAME's CHILD SA SPIs: charon's (in/out) and ours (out/in, the same pair)
ss_child_spis() { ss_query "$D" "' '.join(spi(c.get('spi-in')) + '/' + spi(c.get('spi-out')) for s in sas if s['name'] == '$1' for c in children(s))"; }
us_child_spis() { us_query "$D" "' '.join(spi(c['spi_out']) + '/' + spi(c['spi_in']) for s in sas if s['conn'] == '$1' for c in children(s))"; }
# fp_tel CMD [KEY]: DPDK telemetry's /ipsecgw/CMD, its KEY's value, or
# (a list) its elements sorted on one line
fp_tel() {
	printf '/ipsecgw/%s\n' "$1" |
		timeout 20 "$PYTHON" /usr/bin/dpdk-telemetry.py -f "$GW_PREFIX" 2>/dev/null |
		"$PYTHON" -c 'import json, sys
for line in sys.stdin:
    if line.startswith("{"):
        v = json.loads(line).get("/ipsecgw/" + sys.argv[1])
        print(" ".join(sorted(v or [])) if len(sys.argv) < 3 else (v or {}).get(sys.argv[2], "?"))' "$@"
}
# fp_sas: the fast path's SAs ("in:0x..", "out:0x.."); fp_drop NAME: the
# drops of that reason, all workers; fp_stat NAME: a counter of /ipsecgw/stats
fp_sas() { fp_tel sa/list; }
fp_drop() { fp_tel drops "$1"; }
fp_stat() { fp_tel stats "$1"; }
# fp_pairs NAME: the fast path's names of NAME's CHILD SAs (from our listing)
fp_pairs() {
	us_query "$D" "' '.join('in:0x' + spi(c['spi_in']) + ' out:0x' + spi(c['spi_out']) for s in sas if s['conn'] == '$1' for c in children(s))"
}
fp_has_all() { # fp_has_all "SA NAMES": every one of them in the fast path
	local have n
	have=" $(fp_sas) "
	[ -n "$1" ] || return 1
	for n in $1; do [[ $have == *" $n "* ]] || return 1; done
}
fp_has_none() { # fp_has_none "SA NAMES": none of them (and the answer not empty)
	local have n
	have=" $(fp_sas) "
	[ "$have" != "  " ] || return 1
	for n in $1; do [[ $have == *" $n "* ]] && return 1; done
	return 0
}
# fp_file: gw.good with this fast path's policies and static SAs (JSON)
fp_file() {
	cp "$D/gw.good" "$D/gw.json"
	"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["fastpath"]["policies"] = json.loads(sys.argv[2])
c["fastpath"]["static_sas"] = json.loads(sys.argv[3])
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$D/gw.json" "$1" "$2"
}
# pings N SRC DST: echo replies of N requests from the LAN host's SRC
pings() {
	ip netns exec "$LAN_NS" ping -n -q -c "$1" -i 0.2 -W 1 -I "$2" "$3" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

echo "== three tunnels through the gateway"
gw_topology || { echo "gw_reload_run: namespaces could not be set up" >&2; exit 1; }
for n in 0 1 2 3; do
	ip -n "$SS_NS" addr add "203.0.113.$((n * 64 + 1))/32" dev lo 2>/dev/null
	[ "$n" = 0 ] || ip -n "$LAN_NS" addr add "198.51.100.$((n * 64 + 10))/24" dev l1
done
ss_gen_conf "$D" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
ss_file
gw_file keep:0 chg:1 gone:2
check "charon starts" ss_start "$SS_NS" "$D"
check "ipsecgw starts with three connections" gw_start "$D"
check "keep, chg, gone up (charon's side)" wait_until 30 ss_is "chg gone keep"
check "their CHILD SAs in the fast path" wait_until 10 eval \
	'[ "$(us_event_count "$D" CHILD_UP)" = 3 ] && fp_has_all "$(fp_pairs keep) $(fp_pairs chg) $(fp_pairs gone)"'
n=$(pings 3 198.51.100.138 203.0.113.129)
check "3 of 3 echo replies through gone (got ${n:-0})" [ "${n:-0}" = 3 ]
keep_ss=$(ss_child_spis keep) keep_us=$(us_child_spis keep) keep_fp=$(fp_pairs keep)
gone_fp=$(fp_pairs gone) chg_fp=$(fp_pairs chg) chg_ss=$(ss_child_spis chg)
check "keep: both ends agree on its SPIs ($keep_us)" test -n "$keep_ss" -a "$keep_ss" = "$keep_us"

echo "== SIGHUP with gone removed, chg changed, add added; pings through keep all along"
ip netns exec "$LAN_NS" ping -n -q -c 50 -i 0.2 -W 2 -I 198.51.100.10 203.0.113.1 \
	>"$D/ping_keep.out" 2>&1 &
ping_pid=$!
ipgw_track_pid "$ping_pid"
sleep 2
gw_file keep:0 'chg:1:{"dpd_delay": 45}' add:3
kill -HUP "$GW_PID"
check "SIGHUP: 1 added, 1 removed, 1 changed, 1 unchanged" wait_until 10 us_log_has "$D" \
	"SIGHUP: reload: $D/gw.json: 1 added, 1 removed, 1 changed, 1 unchanged"
check "charon: add up, gone deleted, chg again" wait_until 30 ss_is "add chg keep"
check "gone's SAs out of the fast path ($gone_fp)" wait_until 10 fp_has_none "$gone_fp"
check "chg negotiated again: its old SAs out, new ones in" wait_until 10 eval \
	'fp_has_none "$chg_fp" && [ -n "$(ss_child_spis chg)" ] && [ "$(ss_child_spis chg)" != "$chg_ss" ] &&
	 fp_has_all "$(fp_pairs chg)"'
check "add's CHILD SA in the fast path" wait_until 10 eval 'fp_has_all "$(fp_pairs add)"'
n=$(pings 5 198.51.100.202 203.0.113.193)
check "5 of 5 echo replies through add (got ${n:-0})" [ "${n:-0}" = 5 ]
n=$(pings 3 198.51.100.74 203.0.113.65)
check "3 of 3 echo replies through the new chg (got ${n:-0})" [ "${n:-0}" = 3 ]
wait_until 20 ipgw_pid_gone "$ping_pid"
wait "$ping_pid" 2>/dev/null
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$D/ping_keep.out")
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$D/ping_keep.out")
check "keep lost no echo across the reload (sent ${sent:-?}, received ${got:-?})" \
	[ "${sent:-0}" = 50 -a "${got:-0}" = 50 ]
check "keep: same SPIs on charon's side" test "$(ss_child_spis keep)" = "$keep_ss"
check "keep: same SPIs on ours and in the fast path" \
	eval '[ "$(us_child_spis keep)" = "$keep_us" ] && fp_has_all "$keep_fp"'

echo "== refused reloads change nothing"
cp "$D/gw.json" "$D/gw.good"
fp_before=$(fp_sas)
gw_file keep:0 'add:3:{"rekey_time": "soon"}'
out=$(us_ctl "$D" reload); rc=$?
check "a broken file: refused (rc $rc), naming the file and the setting: $out" \
	eval '[ "$rc" -ne 0 ] && [[ $out == *"$D/gw.json"*rekey_time*"nothing changed"* ]]'
cp "$D/gw.good" "$D/gw.json"
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["fastpath"]["workers"] = 2
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$D/gw.json"
out=$(us_ctl "$D" reload); rc=$?
check "a fastpath change: refused (rc $rc), naming the part: $out" \
	eval '[ "$rc" -ne 0 ] && [[ $out == *"$D/gw.json"*"fastpath.workers changed: needs a restart"* ]]'
sleep 1
check "nothing changed: charon's SAs, keep's SPIs, the fast path's SAs" \
	eval 'ss_is "add chg keep" && [ "$(ss_child_spis keep)" = "$keep_ss" ] && [ "$(fp_sas)" = "$fp_before" ]'
cp "$D/gw.good" "$D/gw.json"
out=$(us_ctl "$D" reload); rc=$?
check "the running file again: nothing to do ($out)" \
	eval '[ "$rc" = 0 ] && [[ $out == *"0 added, 0 removed, 0 changed, 3 unchanged"* ]]'
n=$(pings 3 198.51.100.10 203.0.113.1)
check "3 of 3 echo replies through keep (got ${n:-0})" [ "${n:-0}" = 3 ]

echo "== routes: the configured ones follow the file, route-add's stay"
route_origin() { # route_origin PREFIX: "config", "route-add" or nothing
	us_ctl "$D" routes 2>/dev/null | "$PYTHON" -c '
import json, sys
print(" ".join(r["origin"] for r in json.load(sys.stdin)["routes"] if r["dst"] == sys.argv[1]))' "$1"
}
"$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["fastpath"]["routes"].append({"dst": "192.0.2.128/25", "port": c["fastpath"]["routes"][0]["port"],
                                "via": "192.0.2.2"})
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$D/gw.json"
us_ctl "$D" route-add 198.51.100.128/25 via 198.51.100.10 dev lan >/dev/null
out=$(us_ctl "$D" reload); rc=$?
check "a route added to the file: reloaded (rc $rc), listed as config" \
	eval '[ "$rc" = 0 ] && [ "$(route_origin 192.0.2.128/25)" = config ]'
cp "$D/gw.good" "$D/gw.json"
out=$(us_ctl "$D" reload); rc=$?
check "taken out of the file: gone after a reload; route-add's route stays" \
	eval '[ "$rc" = 0 ] && [ -z "$(route_origin 192.0.2.128/25)" ] &&
	      [ "$(route_origin 198.51.100.128/25)" = route-add ]'
n=$(pings 3 198.51.100.10 203.0.113.1)
check "3 of 3 echo replies through keep after the route reloads (got ${n:-0})" [ "${n:-0}" = 3 ]

echo "== configured policies and a static SA, reloaded while keep carries traffic"
# 192.0.2.77 is nobody: the LAN host's pings to it leave by no tunnel.
np0=$(fp_drop no_policy) dc0=$(fp_drop discard)
pings 3 198.51.100.10 192.0.2.77 >/dev/null
np1=$(fp_drop no_policy)
check "no policy for 192.0.2.77: dropped as no_policy ($np0 -> $np1)" eval '[ "$np1" -ge $((np0 + 3)) ]'
fp_file '[{"src": "198.51.100.0/24", "dst": "192.0.2.77", "action": "discard"}]' \
	'[{"spi": "0x3001", "dir": "in", "local": "'"$US_IP"'", "remote": "'"$SS_IP"'",
	   "cipher": "aes128gcm16", "key": "0x606162636465666768696a6b6c6d6e6f70717273"}]'
out=$(us_ctl "$D" reload); rc=$?
check "reload: a policy and a static SA added ($out)" \
	eval '[ "$rc" = 0 ] && [[ $out == *"3 unchanged; static SAs: 1 added, 0 removed, 0 changed; policies replaced (1)"* ]]'
check "the static SA in the fast path, keep's SAs still there" \
	eval 'fp_has_all "in:0x00003001 $keep_fp"'
pings 3 198.51.100.10 192.0.2.77 >/dev/null
np2=$(fp_drop no_policy) dc2=$(fp_drop discard)
check "the new policy discards them ($dc0 -> $dc2 discard, no_policy $np1 -> $np2)" \
	eval '[ "$dc2" -ge $((dc0 + 3)) ] && [ "$np2" = "$np1" ]'
n=$(pings 3 198.51.100.10 203.0.113.1)
check "3 of 3 echo replies through keep, IKE's policies in front (got ${n:-0})" [ "${n:-0}" = 3 ]
cp "$D/gw.good" "$D/gw.json"
out=$(us_ctl "$D" reload); rc=$?
check "reload: both gone again ($out)" \
	eval '[ "$rc" = 0 ] && [[ $out == *"static SAs: 0 added, 1 removed, 0 changed; policies replaced (0)"* ]]'
check "the static SA out of the fast path" fp_has_none "in:0x00003001"

echo "== a connection with a trap policy added, changed and removed by reload"
# gone's selectors again (charon still has it), trapped: nothing up
# until the LAN host's first packet.
gw_file keep:0 'chg:1:{"dpd_delay": 45}' add:3 'gone:2:{"start_action": "trap"}'
out=$(us_ctl "$D" reload); rc=$?
check "reload: gone added, trapped ($out)" eval '[ "$rc" = 0 ] && [[ $out == *"1 added, 0 removed, 0 changed, 3 unchanged"* ]] &&
	wait_until 5 us_log_has "$D" "fastpath: CHILD_SA gone/net trapped: 1 policy"'
pings 6 198.51.100.138 203.0.113.129 >/dev/null
check "its first packets bring it up (acquire)" wait_until 15 ss_is "add chg gone keep"
n=$(pings 3 198.51.100.138 203.0.113.129)
check "3 of 3 echo replies through gone (got ${n:-0})" [ "${n:-0}" = 3 ]
gw_file keep:0 'chg:1:{"dpd_delay": 45}' add:3 'gone:2:{"start_action": "trap", "dpd_delay": 40}'
out=$(us_ctl "$D" reload); rc=$?
check "reload: gone changed, untrapped and trapped again ($out)" eval '[ "$rc" = 0 ] && [[ $out == *"0 added, 0 removed, 1 changed"* ]] &&
	us_log_has "$D" "fastpath: CHILD_SA gone/net untrapped: its connection changed"'
check "gone deleted on charon's side" wait_until 15 ss_is "add chg keep"
pings 6 198.51.100.138 203.0.113.129 >/dev/null
check "the new trap brings it up again" wait_until 15 ss_is "add chg gone keep"
cp "$D/gw.good" "$D/gw.json"
out=$(us_ctl "$D" reload); rc=$?
check "reload: gone removed, untrapped ($out)" eval '[ "$rc" = 0 ] && [[ $out == *"0 added, 1 removed"* ]] &&
	us_log_has "$D" "fastpath: CHILD_SA gone/net untrapped: its connection removed"'
check "gone deleted on charon's side again" wait_until 15 ss_is "add chg keep"
np3=$(fp_drop no_policy)
pings 3 198.51.100.138 203.0.113.129 >/dev/null
check "no trap left: gone's packets meet no policy" eval '[ "$(fp_drop no_policy)" -ge $((np3 + 3)) ] && ss_is "add chg keep"'
n=$(pings 3 198.51.100.10 203.0.113.1)
check "3 of 3 echo replies through keep (got ${n:-0})" [ "${n:-0}" = 3 ]

echo "== a route-based tunnel: no policies, a route into its interface"
# gone again, with if_id 9: its CHILD SA installs no policy; the LAN
# host's packets for charon's /26 meet none until a route leads them into
# tunnel interface 9.
gw_file keep:0 'chg:1:{"dpd_delay": 45}' add:3 'gone:2:{"if_id": 9}'
out=$(us_ctl "$D" reload); rc=$?
check "reload: gone added, route-based ($out)" eval '[ "$rc" = 0 ] && [[ $out == *"1 added, 0 removed"* ]]'
check "gone up and installed" wait_until 20 eval 'ss_is "add chg gone keep" && fp_has_all "$(fp_pairs gone)"'
rules=$(fp_stat spd_rules)
np0=$(fp_drop no_policy)
n=$(pings 3 198.51.100.138 203.0.113.129)
check "no policy and no route into the tunnel: 0 of 3 echo replies (got ${n:-0}), no_policy $np0 -> $(fp_drop no_policy)" \
	eval '[ "${n:-0}" = 0 ] && [ "$(fp_drop no_policy)" -ge $((np0 + 3)) ]'
out=$(us_ctl "$D" route-add 203.0.113.128/26 tunnel 9); rc=$?
check "route-add 203.0.113.128/26 tunnel 9 ($out)" [ "$rc" = 0 ]
n=$(pings 5 198.51.100.138 203.0.113.129)
check "5 of 5 echo replies through the route-based tunnel (got ${n:-0})" [ "${n:-0}" = 5 ]
check "its CHILD SA put no rule in the SPD (spd_rules $rules: keep's, chg's and add's one each)" \
	[ "$rules" = 3 ]
check "routes lists it" eval '[[ "$(us_ctl "$D" routes)" == *"\"tunnel\": 9"* ]]'
old=$(fp_pairs gone)
us_ctl "$D" rekey-child gone >/dev/null
check "rekey-child gone: new SAs in, the old ones out" wait_until 15 eval \
	'[ -n "$(fp_pairs gone)" ] && [ "$(fp_pairs gone)" != "$old" ] && fp_has_none "$old"'
n=$(pings 5 198.51.100.138 203.0.113.129)
check "5 of 5 echo replies after the rekey: the interface moved to the new SA (got ${n:-0})" [ "${n:-0}" = 5 ]
out=$(us_ctl "$D" route-del 203.0.113.128/26); rc=$?
np0=$(fp_drop no_policy)
n=$(pings 3 198.51.100.138 203.0.113.129)
check "route-del: 0 of 3 echo replies again (got ${n:-0}), no_policy $np0 -> $(fp_drop no_policy)" \
	eval '[ "$rc" = 0 ] && [ "${n:-0}" = 0 ] && [ "$(fp_drop no_policy)" -ge $((np0 + 3)) ]'
cp "$D/gw.good" "$D/gw.json"
out=$(us_ctl "$D" reload); rc=$?
check "reload: gone removed ($out)" eval '[ "$rc" = 0 ] && [[ $out == *"0 added, 1 removed"* ]]'

kill -TERM "$GW_PID" 2>/dev/null
check "ipsecgw exits within 10 s of SIGTERM" wait_until 10 ipgw_pid_gone "$GW_PID"
ipgw_pid_gone "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
gw_rc=$?
# (built with ASan, a leak or an error report ends it with a non-zero status)
check "ipsecgw exit status 0 (got $gw_rc)" [ "$gw_rc" = 0 ]
check "stats: every SA taken out of the fast path at exit" eval \
	'[ "$(stat_of "$D" control.sa_in)" = 0 ] && [ "$(stat_of "$D" control.sa_out)" = 0 ] &&
	 [ "$(stat_of "$D" control.spd_rules)" = 0 ]'

if [ "$FAIL" -gt 0 ]; then
	IPGW_TAIL_LINES=60 ipgw_show_logs "$D" >&2
	cat "$D/ping_keep.out" >&2
fi
echo "gw_reload_run: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
