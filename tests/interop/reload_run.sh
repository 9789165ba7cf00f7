#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live reload of build/ipsecgw-ike against strongSwan (issue 18):
#   three connections up (keep, chg, gone), the file rewritten with one
#   added (add), one changed (chg), one removed (gone), SIGHUP: add comes
#   up, gone is deleted on charon's side, chg is negotiated again, keep
#   keeps its SPIs on both ends; then `ipsecgw-ctl reload` with a broken
#   file: the reply names the file and the problem, and nothing changes;
#   SIGTERM, exit status 0 (IKE_BIN=build/asan/ipsecgw-ike: no ASan report).
# Prints PASS/FAIL per check and "N passed, M failed".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
source "$HERE/lib.sh"

PASS=0; FAIL=0
ok() { echo "PASS $1"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $1"; FAIL=$((FAIL + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

ipgw_require_root reload_run || exit 1
ipgw_require_tools reload_run "$IKE_BIN" "$CTL_BIN" "$CHARON" -- ip "$SWANCTL" "$PYTHON" || exit 1
trap 'ipgw_cleanup' EXIT
ipgw_init || exit 1
D=$IPGW_WORK
ipgw_ns_setup || exit 1

# us_conn NAME N EXTRA: one of our connections; its selectors are the Nth
# /26 of both inner networks; identities NAME.example.org / charon's address.
us_conn() {
	cat <<EOF
    { "name": "$1", "local_addr": "$US_IP", "remote_addr": "$SS_IP",
      "local_id": "$1.example.org", "remote_id": "$SS_IP",
      "auth": { "method": "psk", "psk": "$US_PSK" }, "initiate": true, $3
      "ike_proposals": ["aes128gcm16-prfsha256-x25519"],
      "children": [ { "name": "net", "local_ts": ["198.51.100.$(($2 * 64))/26"],
                      "remote_ts": ["203.0.113.$(($2 * 64))/26"],
                      "esp_proposals": ["aes128gcm16"] } ] }
EOF
}

us_file() { # us_file CONN_JSON...
	local IFS=, all
	all="$*"
	cat >"$D/us.json" <<EOF
{ "local": { "addresses": ["$US_IP"] }, "log": { "level": "debug" },
  "control": { "socket": "$D/ctl.sock" },
  "connections": [ $all ] }
EOF
}

ss_file() {
	local n c i=0
	{
		echo "connections {"
		for n in keep chg gone add; do
			cat <<EOF
  $n {
    local_addrs = $SS_IP
    remote_addrs = $US_IP
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = $SS_IP
    }
    remote {
      auth = psk
      id = $n.example.org
    }
    children {
      net {
        local_ts = 203.0.113.$((i * 64))/26
        remote_ts = 198.51.100.$((i * 64))/26
        esp_proposals = aes128gcm16
      }
    }
  }
EOF
			i=$((i + 1))
		done
		echo "}"
		echo "secrets {"
		echo "  ike-any {"
		echo "    secret = \"$US_PSK\""
		echo "  }"
		echo "}"
	} >"$D/swanctl.conf"
}

# ss_conns: charon's IKE SAs by name, sorted, established only.
ss_conns() { ss_query "$D" "' '.join(sorted(s['name'] for s in sas if s.get('state') == 'ESTABLISHED'))"; }
ss_child_spis() { ss_query "$D" "' '.join(spi(c.get('spi-in')) + '/' + spi(c.get('spi-out')) for s in sas if s['name'] == '$1' for c in s.get('child-sas', {}).values())"; }
us_child_spis() { us_query "$D" "' '.join(spi(c['spi_out']) + '/' + spi(c['spi_in']) for s in sas if s['conn'] == '$1' for c in children(s))"; }
ss_is() { [ "$(ss_conns)" = "$1" ]; }

ss_gen_conf "$D" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
# charon routes each /26 through an address of its own in it
for h in 65 129 193; do ip -n "$SS_NS" addr add "203.0.113.$h/32" dev lo; done
ss_file
ss_start "$SS_NS" "$D" || { cat "$D/ss_error"; exit 1; }
us_file "$(us_conn keep 0 '')" "$(us_conn chg 1 '')" "$(us_conn gone 2 '')"
us_start "$US_NS" "$D" || { cat "$D/us_error" "$D/us.log"; exit 1; }

check "three connections up" wait_until 20 ss_is "chg gone keep"
keep_ss=$(ss_child_spis keep); keep_us=$(us_child_spis keep)
check "keep: both ends agree on its SPIs" test -n "$keep_ss" -a "$keep_ss" = "$keep_us"
chg_before=$(ss_child_spis chg)

us_file "$(us_conn keep 0 '')" "$(us_conn chg 1 '"dpd_delay": 45,')" "$(us_conn add 3 '')"
kill -HUP "$(us_pid "$D")"
check "SIGHUP: log line counts 1 added, 1 removed, 1 changed, 1 unchanged" \
	wait_until 10 us_log_has "$D" "SIGHUP: reload: .*1 added, 1 removed, 1 changed, 1 unchanged"
check "added up, removed deleted on charon's side" wait_until 20 ss_is "add chg keep"
check "changed: negotiated again (new SPIs)" \
	test -n "$(ss_child_spis chg)" -a "$(ss_child_spis chg)" != "$chg_before"
check "untouched: same SPIs on charon's side" test "$(ss_child_spis keep)" = "$keep_ss"
check "untouched: same SPIs on ours" test "$(us_child_spis keep)" = "$keep_us"
check "daemon still running" us_alive "$D"

cp "$D/us.json" "$D/us.good"
us_file "$(us_conn keep 0 '"rekey_time": "soon",')"
out=$(us_ctl "$D" reload); rc=$?
check "reload of a broken file: refused (rc $rc)" test "$rc" -ne 0
check "reply names the file and the problem: $out" \
	bash -c '[[ $1 == *"$2"* && $1 == *rekey_time* && $1 == *"nothing changed"* ]]' _ "$out" "$D/us.json"
sleep 2
check "nothing changed on charon's side" ss_is "add chg keep"
check "untouched SPIs still the same" test "$(ss_child_spis keep)" = "$keep_ss"
cp "$D/us.good" "$D/us.json"
out=$(us_ctl "$D" reload); rc=$?
check "reload of the same file: nothing to do ($out)" \
	bash -c '[[ $1 == *"0 added, 0 removed, 0 changed, 3 unchanged"* ]]' _ "$out"

# (IKE_BIN built with ASan, make asan: an error report or a leak ends it
# with a non-zero status)
us_pid_now=$(us_pid "$D")
kill -TERM "$us_pid_now" 2>/dev/null
wait_until 10 ipgw_pid_gone "$us_pid_now" || kill -KILL "$us_pid_now" 2>/dev/null
wait "$us_pid_now" 2>/dev/null
rc=$?
check "daemon exits with status 0 on SIGTERM (got $rc)" test "$rc" = 0

if [ "$FAIL" -ne 0 ]; then
	echo "--- our log (tail)"; tail -n 40 "$D/us.log"
	echo "--- charon log (tail)"; tail -n 20 "$D/charon.log"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
