#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The gateway at scale against the standalone daemon: the same ikeload run
# (GW_BENCH_N IKE SAs, default 100,000, one CHILD SA each with its own
# IPv6 selectors, --inflight 128, PSK, aes128gcm16-prfsha256-x25519)
# brings up SAs
#   - at build/ipsecgw-ike (perf/lib_bench.sh: daemon on CPU 0, ikeload on
#     CPU 1), and
#   - at build/ipsecgw through its net_af_packet ports
#     (tests/scale/gw_scale.sh: control core on CPU 0, the worker and
#     ikeload on CPU 1; there it also carries traffic of a sample and
#     deletes every SA),
# in interleaved pairs (daemon first in odd pairs, gateway first in even
# ones). Reports the medians of the bring-up rates, each pair's ratio
# (gateway / daemon; issue 19's target: >= 0.8), the gateway's memory per
# tunnel (RSS of the whole process, and of it the EAL heap: control plus
# fast path) against the daemon's RSS per SA.
#   bash perf/gw_bench.sh        (make bench runs it)
# Environment: GW_BENCH_N, GW_BENCH_PAIRS (3), BENCH_DIR (build/bench).
# Writes BENCH_DIR/gw_scale.json and BENCH_DIR/gw_scale-runs.jsonl.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=perf/lib_bench.sh
source "$HERE/lib_bench.sh"

N=${GW_BENCH_N:-100000}
PAIRS=${GW_BENCH_PAIRS:-3}
OUT=${BENCH_DIR:-$IPGW_ROOT/build/bench}
RUNS=$OUT/gw_scale-runs.jsonl
mkdir -p "$OUT"
: >"$RUNS"

# daemon_run PAIR: one bring-up at the standalone daemon, a line of RUNS.
daemon_run() {
	local d rss0 rss1 rc
	d=$(lb_newdir "daemon-$1")
	LB_US_LOGLEVEL=warn
	lb_us_conf "$d"
	lb_us_start "$d" || { echo "daemon: $(cat "$d/us_error" 2>/dev/null)" >&2; return 1; }
	rss0=$(lb_rss_kib "$(us_pid "$d")")
	lb_gen "$d" "$d/ikeload.json" --count "$N" --inflight 128 --unique-ts --timeout $((N / 200 + 120)) --quiet
	rc=$?
	rss1=$(lb_rss_kib "$(us_pid "$d")")
	lb_us_stop "$d"
	[ "$rc" = 0 ] || { echo "daemon run $1: ikeload exited $rc: $(tail -n 2 "$d/ikeload.out")" >&2; return 1; }
	printf '{"who":"daemon","pair":%s,"n":%s,"up_rate_per_s":%s,"rss_per_tunnel_b":%s}\n' "$1" "$N" \
		"$(lb_json "$d/ikeload.json" rate_per_s)" "$(( (rss1 - rss0) * 1024 / N ))" >>"$RUNS"
}

# gw_run PAIR: tests/scale/gw_scale.sh once, its figures a line of RUNS.
gw_run() {
	local j=$LB_WORK/gw-$1.json
	if ! GW_SCALE_N=$N GW_SCALE_JSON=$j bash "$IPGW_ROOT/tests/scale/gw_scale.sh" >"$LB_WORK/gw-$1.out" 2>&1; then
		echo "gateway run $1 failed:" >&2
		grep -E 'FAIL|passed' "$LB_WORK/gw-$1.out" >&2
		return 1
	fi
	"$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1])); d.update(who="gateway", pair=int(sys.argv[2])); print(json.dumps(d))' "$j" "$1" >>"$RUNS"
}

report() {
	"$PYTHON" - "$RUNS" "$OUT/gw_scale.json" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = lambda who: {r["pair"]: r for r in runs if r["who"] == who}
d, g = by("daemon"), by("gateway")
pairs = sorted(set(d) & set(g))
ratios = [g[p]["up_rate_per_s"] / d[p]["up_rate_per_s"] for p in pairs]
med = lambda rs, k: statistics.median(r[k] for r in rs) if rs else None
res = {
    "n": runs[0]["n"] if runs else None, "pairs": len(pairs),
    "daemon_up_rate_per_s": med(list(d.values()), "up_rate_per_s"),
    "gateway_up_rate_per_s": med(list(g.values()), "up_rate_per_s"),
    "ratios": [round(x, 3) for x in ratios],
    "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
    "gateway_rss_per_tunnel_b": med(list(g.values()), "rss_per_tunnel_b"),
    "gateway_heap_per_tunnel_b": med(list(g.values()), "heap_per_tunnel_b"),
    "daemon_rss_per_tunnel_b": med(list(d.values()), "rss_per_tunnel_b"),
    "gateway_run_s": med(list(g.values()), "elapsed_s"),
}
json.dump(res, open(sys.argv[2], "w"), indent=1)
print("bring-up of %s SAs, %d pairs: daemon %s SA/s, gateway %s SA/s (medians); gateway/daemon per pair %s, median %s (target >= 0.8)"
      % (res["n"], res["pairs"], res["daemon_up_rate_per_s"], res["gateway_up_rate_per_s"], res["ratios"], res["ratio_median"]))
print("memory per tunnel: gateway RSS %s B (EAL heap %s B of it), daemon RSS %s B per SA; a gateway run (bring-up, traffic, deletes) %s s"
      % (res["gateway_rss_per_tunnel_b"], res["gateway_heap_per_tunnel_b"], res["daemon_rss_per_tunnel_b"], res["gateway_run_s"]))
EOF
}

ipgw_require_root || exit 1
trap 'lb_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
lb_init || exit 1
lb_ns_setup || { echo "gw_bench: namespaces could not be set up" >&2; exit 1; }
rc=0
for p in $(seq 1 "$PAIRS"); do
	echo "== pair $p of $PAIRS ($N SAs)"
	if [ $((p % 2)) = 1 ]; then
		daemon_run "$p" && gw_run "$p" || rc=1
	else
		gw_run "$p" && daemon_run "$p" || rc=1
	fi
	tail -n 2 "$RUNS"
done
report || rc=1
exit $rc
