#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# perf/secgw_startup.sh - issue 19: DPDK's ipsec-secgw started with N
# outbound SAs and their policies from its configuration file (it parses
# them, initialises every SA and builds its rte_acl SPD before it forwards
# a packet), against our fast path installing the same N (an SA and an
# exact policy each, fp_bench -W -T: what the gateway does for N CHILD
# SAs). Pairs, interleaved; medians into build/bench/secgw_startup.json.
#   bash perf/secgw_startup.sh          # N = 100,000 (SECGW_N), 3 pairs (SECGW_PAIRS)
# The tunnels' destinations are 198.18.0.0 + i (RFC 2544's benchmark
# range); nothing is sent: ipsec-secgw's ports are net_null.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$ROOT/build
N=${SECGW_N:-100000}
PAIRS=${SECGW_PAIRS:-3}
OUT=$B/bench
W=$(mktemp -d /tmp/secgw_startup.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$OUT"

SECGW=$(bash "$ROOT/perf/secgw/build.sh" 2>"$W/build.err") ||
	{ echo "secgw_startup: ipsec-secgw build failed: $(tail -2 "$W/build.err")"; exit 1; }

# N outbound SAs and policies, ep-bench.cfg style (AES-128-GCM)
python3 - "$N" >"$W/secgw.cfg" <<'PY'
import sys
n = int(sys.argv[1])
key = "aead_key 10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f:20:21:22:23"
out = []
for i in range(n):
    d = 0xc6120000 + i
    dst = "%d.%d.%d.%d" % (d >> 24, (d >> 16) & 255, (d >> 8) & 255, d & 255)
    out.append("sp ipv4 out esp protect %d pri 1 src 198.51.100.0/24 dst %s/32 sport 0:65535 dport 0:65535" % (4096 + i, dst))
    out.append("sa out %d aead_algo aes-128-gcm %s mode ipv4-tunnel src 192.0.2.1 dst 192.0.2.2" % (4096 + i, key))
out.append("sp ipv4 in esp protect 2000 pri 1 src 203.0.113.0/24 dst 198.51.100.0/24 sport 0:65535 dport 0:65535")
out.append("sa in 2000 aead_algo aes-128-gcm %s mode ipv4-tunnel src 192.0.2.2 dst 192.0.2.1" % key)
out.append("rt ipv4 dst 192.0.2.2/32 port 1")
out.append("rt ipv4 dst 198.51.100.0/24 port 0")
print("\n".join(out))
PY

secgw_once() { # ms from exec to "entering main loop", or empty
	local t0 t1 pid
	t0=$(date +%s%N)
	timeout -k 5 600 taskset -c 1 "$SECGW" -l 1 -n 1 --no-pci --no-huge -m 4096 \
		--file-prefix "sgs$$" --vdev net_null0 --vdev net_null1 --vdev crypto_aesni_gcm0 \
		--log-level=7 -- -p 0x3 -P -u 0x2 --config "(0,0,1),(1,0,1)" -f "$W/secgw.cfg" \
		>"$W/secgw.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && ! grep -q "entering main loop" "$W/secgw.log"; do
		sleep 0.05
	done
	t1=$(date +%s%N)
	grep -q "entering main loop" "$W/secgw.log" && echo $(((t1 - t0) / 1000000))
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

ours_once() { # ms our control core took to install the N, from fp_bench's JSON
	taskset -c 1 timeout 600 "$B/fp_bench" --no-huge -m 2048 --no-pci -l 1 --file-prefix "sgo$$" \
		--vdev net_ring0 -- -W -N -T "$N:1" -r 2 -t 0.1 2>/dev/null |
		python3 -c 'import json, sys
v = [json.loads(l)["install_ms"] for l in sys.stdin if "install_ms" in l]
print("%.0f" % v[-1] if v else "")' # the second pair: the memory already touched
}

: >"$W/runs"
for p in $(seq 1 "$PAIRS"); do
	if [ $((p % 2)) = 1 ]; then s=$(secgw_once); o=$(ours_once); else o=$(ours_once); s=$(secgw_once); fi
	echo "pair $p: ipsec-secgw ${s:-failed} ms to its main loop, ours ${o:-failed} ms to install $N"
	echo "{\"pair\": $p, \"n\": $N, \"secgw_ms\": ${s:-null}, \"ours_install_ms\": ${o:-null}}" >>"$W/runs"
done
python3 - "$W/runs" "$OUT/secgw_startup.json" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in runs if r["secgw_ms"] and r["ours_install_ms"]]
res = {"n": runs[0]["n"] if runs else 0, "pairs": runs}
if ok:
    res["secgw_ms_median"] = statistics.median(r["secgw_ms"] for r in ok)
    res["ours_install_ms_median"] = statistics.median(r["ours_install_ms"] for r in ok)
    res["ratio_median"] = statistics.median(r["secgw_ms"] / r["ours_install_ms"] for r in ok)
    print("median: ipsec-secgw %(secgw_ms_median).0f ms, ours %(ours_install_ms_median).0f ms: %(ratio_median).1fx" % res)
json.dump(res, open(sys.argv[2], "w"), indent=1)
sys.exit(0 if ok else 1)
PY
