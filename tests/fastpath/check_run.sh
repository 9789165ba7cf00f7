#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# build/ipsecgw without a working EAL: --check validates the configuration
# (profiles, files, folders, connections) and starts no EAL, with or without
# EAL options; an EAL that cannot start names the likely cause (no
# hugepages, another process on the --file-prefix, an absent PCI device);
# log.format "json" makes every line of the gateway one JSON object, DPDK's
# own lines included.
#   bash tests/fastpath/check_run.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
GW="$BUILD/ipsecgw"
DIR=$(mktemp -d /tmp/check_run.XXXXXX)
PFX=chk$$
A=""
cleanup() {
	[ -z "$A" ] || kill -KILL "$A" 2>/dev/null || true
	rm -rf "$DIR" "/var/run/dpdk/$PFX" "/var/run/dpdk/${PFX}b" "/var/run/dpdk/${PFX}c"
}
trap cleanup EXIT
pass=0
fail=0
check() { # check WHAT CMD...: counts a pass or a failure
	local what=$1
	shift
	if "$@"; then
		echo "PASS $what"
		pass=$((pass + 1))
	else
		echo "FAIL $what"
		fail=$((fail + 1))
	fi
}

# variant NAME JQ: tests/fastpath/gw.json changed by a jq filter
variant() { jq "$2" tests/fastpath/gw.json >"$DIR/$1.json"; }
# run_check NAME [EAL options...]: rc, stdout and stderr of --check
run_check() {
	local name=$1
	shift
	"$GW" "$@" -c "$DIR/$name.json" --check >"$DIR/$name.out" 2>"$DIR/$name.err"
	echo $? >"$DIR/$name.rc"
}
rc_is() { [ "$(cat "$DIR/$1.rc")" = "$2" ]; }
err_has() { grep -qF -- "$2" "$DIR/$1.err"; }

echo "== --check without an EAL"
variant ok '.'
run_check ok
check "valid file, no EAL options: exit 0, 'config OK: 2 port(s), 4 static SA(s)...'" \
	eval 'rc_is ok 0 && grep -q "^config OK: 2 port(s), 4 static SA(s), 5 policies, 2 route(s), 0 IKE connection(s), 1 worker(s)$" "$DIR/ok.out"'
"$GW" --file-prefix "${PFX}c" -l 0-3 -a 0000:ff:1f.7 -- -c "$DIR/ok.json" --check \
	>"$DIR/eal.out" 2>"$DIR/eal.err"
echo $? >"$DIR/eal.rc"
check "with EAL options that could not start an EAL: exit 0, no runtime folder made" \
	eval 'rc_is eal 0 && grep -q "^config OK" "$DIR/eal.out" && [ ! -e "/var/run/dpdk/${PFX}c" ]'
variant prof '.fastpath.ports[1].profile = "nosuch"'
run_check prof
check "a missing driver profile: exit 1, naming drivers-config/nosuch.json" \
	eval 'rc_is prof 1 && err_has prof "profile drivers-config/nosuch.json"'
"$GW" -c "$DIR/ok.json" --profiles "$DIR/none" --check >/dev/null 2>"$DIR/pdir.err"
check "--profiles naming a missing folder: the profile path in the error" \
	err_has pdir "profile $DIR/none/net_pcap.json"
variant keylog ".log = {keylog: \"$DIR/no/such/keys.log\"}"
run_check keylog
check "log.keylog in a missing folder: exit 1, naming it" \
	eval 'rc_is keylog 1 && err_has keylog "log.keylog $DIR/no/such/keys.log: folder $DIR/no/such"'
variant ctl ".control = {socket: \"$DIR/ok.json/ctl.sock\"}"
run_check ctl
check "control.socket in a folder that is a file: exit 1, naming it" \
	eval 'rc_is ctl 1 && err_has ctl "control.socket $DIR/ok.json/ctl.sock: $DIR/ok.json is not a folder"'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=check CA" \
	-keyout "$DIR/ca.key" -out "$DIR/ca.crt" >/dev/null 2>&1
echo "not a CRL" >"$DIR/bad.crl"
variant crl ".credentials = {cacerts: [\"$DIR/ca.crt\"], crls: [\"$DIR/bad.crl\"]}"
run_check crl
check "a CRL file that is no CRL: exit 1, naming it" \
	eval 'rc_is crl 1 && err_has crl "$DIR/bad.crl"'
variant conn '.connections = [{name: "c1", local_addr: "192.0.2.9", remote_addr: "192.0.2.2",
	auth: {method: "psk", psk: "check-run-psk-0123456789"},
	children: [{name: "net", local_ts: ["198.51.100.0/24"], remote_ts: ["203.0.113.0/24"]}]}]'
run_check conn
check "a connection on no port's address: exit 1, naming it" \
	eval 'rc_is conn 1 && err_has conn "connection '"'c1'"': local_addr 192.0.2.9 is not an address"'
echo '{ "fastpath": ' >"$DIR/syntax.json"
run_check syntax
check "a file that is no JSON: exit 1, naming the file and line" \
	eval 'rc_is syntax 1 && err_has syntax "$DIR/syntax.json: line"'
"$GW" --check >/dev/null 2>&1
check "--check without -c: usage, exit 2" [ $? = 2 ]

echo "== EAL start failures"
free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
if [ "${free:-0}" = 0 ]; then
	"$GW" --no-pci --file-prefix "${PFX}b" -l 0 -- -c "$DIR/ok.json" >/dev/null 2>"$DIR/huge.err"
	echo $? >"$DIR/huge.rc"
	check "no hugepages and no --no-huge: exit 1, 'likely cause: no free hugepages ... --no-huge'" \
		eval 'rc_is huge 1 && grep -q "ERR eal: rte_eal_init: .*likely cause: no free hugepages (HugePages_Total [0-9]*, HugePages_Free 0 in /proc/meminfo) and no --no-huge" "$DIR/huge.err"'
else
	echo "SKIP no hugepages case: $free hugepages free on this machine (not counted)"
fi
# A gateway that stays up (net_null ports that receive nothing), its lines
# in JSON.
jq '.fastpath.ports[0].device = "net_null0" | .fastpath.ports[1].device = "net_null1"
	| .fastpath.ports[].profile = "net_null" | .log = {format: "json"}' \
	tests/fastpath/gw.json >"$DIR/null.json"
"$GW" --no-huge -m 256 --no-pci --no-telemetry --file-prefix "$PFX" -l 0-1 \
	--vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1 -- -c "$DIR/null.json" --duration 60 \
	>"$DIR/a.out" 2>"$DIR/a.err" </dev/null &
A=$!
for _ in $(seq 1 200); do
	grep -q '"msg":"running: ipsecgw' "$DIR/a.err" 2>/dev/null && break
	kill -0 "$A" 2>/dev/null || break
	sleep 0.1
done
check "the first gateway runs (its 'running:' line)" grep -q '"msg":"running: ipsecgw' "$DIR/a.err"
"$GW" --no-huge -m 256 --no-pci --no-telemetry --file-prefix "$PFX" -l 0-1 \
	-- -c "$DIR/ok.json" >/dev/null 2>"$DIR/busy.err"
echo $? >"$DIR/busy.rc"
check "a second one on the same --file-prefix: exit 1, naming the first's pid" \
	eval 'rc_is busy 1 && grep -q "likely cause: runtime folder /var/run/dpdk/$PFX is held by process $A (another DPDK program with --file-prefix $PFX)" "$DIR/busy.err"'
check "log.format json: every line of the gateway is a JSON object with time, level, subsys" \
	python3 -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
subs = set()
for l in lines:
    o = json.loads(l)
    assert set(o) == {"time", "level", "subsys", "msg"}, o
    subs.add(o["subsys"])
print("  %d lines, subsystems %s" % (len(lines), sorted(subs)))
sys.exit(0 if {"eal", "fastpath", "control"} <= subs else 1)' "$DIR/a.err"
kill -INT "$A"
wait "$A"
check "the first gateway exits 0 at SIGINT" [ $? = 0 ]
A=""
jq '.fastpath.ports[1] = {name: "wan", devargs: "0000:ff:1f.7", addresses: ["192.0.2.1"]}
	| del(.log)' "$DIR/null.json" >"$DIR/pci.json"
"$GW" --no-huge -m 256 --no-telemetry --file-prefix "${PFX}b" -l 0-1 --vdev net_null0,no-rx=1 \
	-- -c "$DIR/pci.json" >/dev/null 2>"$DIR/pci.err"
check "a port on an absent PCI device: 'likely cause: no PCI device 0000:ff:1f.7'" \
	grep -q "port wan: cannot probe '0000:ff:1f.7': likely cause: no PCI device 0000:ff:1f.7" "$DIR/pci.err"

[ "$fail" = 0 ] || for f in "$DIR"/*.err; do echo "--- $f"; tail -n 5 "$f"; done
echo "$pass passed, $fail failed"
exit $((fail > 0))
