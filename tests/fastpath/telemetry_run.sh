#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The gateway's telemetry, read the way an operator reads it: build/ipsecgw
# (net_pcap ports, no hugepages, one worker) forwards the traffic of
# tests/fastpath/pcap_esp.py and stays up; DPDK's dpdk-telemetry.py asks
# every /ipsecgw/ command (tests/fastpath/telemetry_check.py); then the
# gateway is stopped with SIGINT and must exit cleanly, its --stats file
# agreeing with what telemetry said.
#   bash tests/fastpath/telemetry_run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/telemetry_run.XXXXXX)
PFX=tel$$
GW=""
cleanup() {
	[ -z "$GW" ] || kill -KILL "$GW" 2>/dev/null || true
	rm -rf "$DIR" "/var/run/dpdk/$PFX"
}
trap cleanup EXIT

[ -x /usr/bin/dpdk-telemetry.py ] || { echo "FAIL: /usr/bin/dpdk-telemetry.py missing (dpdk package)"; exit 1; }
$PY tests/fastpath/pcap_esp.py gen "$DIR"
frames=$($PY -c 'import sys
from scapy.all import rdpcap
print(sum(len(rdpcap(f)) for f in sys.argv[1:]))' "$DIR/lan_in.pcap" "$DIR/wan_in.pcap")

"$BUILD/ipsecgw" --no-huge -m 512 --no-pci --file-prefix "$PFX" -l 0-1 \
	--log-level=lib.eal:error \
	--vdev "net_pcap0,rx_pcap=$DIR/lan_in.pcap,tx_pcap=$DIR/lan_out.pcap" \
	--vdev "net_pcap1,rx_pcap=$DIR/wan_in.pcap,tx_pcap=$DIR/wan_out.pcap" \
	-- -c tests/fastpath/gw.json --duration 120 --stats "$DIR/stats.json" > "$DIR/gw.log" 2>&1 &
GW=$!
rc=0
$PY tests/fastpath/telemetry_check.py "$PFX" "$frames" || rc=1
kill -INT "$GW"
if ! timeout 20 tail --pid="$GW" -f /dev/null; then
	echo "FAIL: build/ipsecgw still running 20 s after SIGINT"
	rc=1
fi
wait "$GW" || { echo "FAIL: build/ipsecgw exited with status $?"; rc=1; }
GW=""
$PY - "$DIR/stats.json" "$frames" "$DIR/gw.log" <<'PYEOF' || rc=1
import json, sys
st = json.load(open(sys.argv[1]))
w = st["workers"][0]
ok = w["rx"] == int(sys.argv[2]) and w["crypto_timeouts"] == 0 and sum(st["drops"].values()) == 9
print("%s --stats at exit: rx %d, drops %d, crypto_timeouts %d" %
      ("PASS" if ok else "FAIL", w["rx"], sum(st["drops"].values()), w["crypto_timeouts"]))
# The CBC + HMAC-SHA-256 SA's short packets run on intel-ipsec-mb's second
# manager where the start-up line says there is one (docs/fastpath.md).
split = "HMAC-SHA-256 jobs up to" in open(sys.argv[3]).read()
ok2 = (w["crypto_short_jobs"] > 0) == split
print("%s --stats at exit: crypto_short_jobs %d (second manager %s)" %
      ("PASS" if ok2 else "FAIL", w["crypto_short_jobs"], "on" if split else "off"))
sys.exit(0 if ok and ok2 else 1)
PYEOF
[ "$rc" = 0 ] || cat "$DIR/gw.log"
[ "$rc" = 0 ] && echo "telemetry_run: OK" || echo "telemetry_run: FAILED"
exit "$rc"
