#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# IKE control-plane benchmark: build/ipsecgw-ike against strongSwan's charon
# as IKEv2 responders, loaded by build/ikeload (see docs/performance.md).
#
#   bash perf/ike_bench.sh            full run (about 15-20 minutes)
#   BENCH_QUICK=1 bash perf/ike_bench.sh   short run (about 3 minutes)
#
# Topology and responders: perf/lib_bench.sh (responder pinned to CPU 0,
# generators to CPU 1). Proposal aes128gcm16-prfsha256-x25519, ESP
# aes128gcm16, PSK, one CHILD SA per IKE SA.
#
# Measures, each responder started fresh for every run, runs interleaved
# ours/charon/ours/charon..., figures are medians over the pairs:
#   1. handshakes per second bringing up BENCH_COUNT (10000) SAs with
#      BENCH_INFLIGHT (256) half-open at most; also per CPU-second of the
#      responder, and the same for BENCH_SMALL (1000) SAs
#   2. RSS per established SA (VmRSS after - before, / SAs up) at
#      BENCH_COUNT and at BENCH_BIG (100000) SAs
#   3. time to bring up BENCH_BIG SAs (charon bounded by BENCH_BIG_SS_LIMIT
#      seconds, default 420: how many came up is recorded)
#   4. legitimate completions during an IKE_SA_INIT flood from 192.0.2.3
#      (BENCH_FLOOD_RATE/s for BENCH_FLOOD_S s), against a no-flood baseline
#   5. the X25519 ceiling (build/x25519_ceiling on the responder's CPU)
#   6. certificates (issue 17): the same bring-up of BENCH_CERT_COUNT (10000)
#      SAs authenticated with ECDSA P-256 certificates, a chain of two (end
#      entity + intermediate, root trusted; a PKI made by openssl at the
#      start, the same files for both responders), per responder
#      CPU-second, RSS per SA, against the public-key ceiling of one
#      handshake on the responder (one ECDSA sign, the AUTH verify, a
#      certificate signature verify, one X25519: build/ecdsa_ceiling + build/x25519_ceiling,
#      once per pair); then the same with BENCH_CERT_PEERS (128) distinct
#      generator certificates in turn (more than ike/pki's 64 parsed
#      certificates, so the responder parses each peer's certificate anew),
#      and with one certificate again for BENCH_CERT_SMALL (1000) SAs
#      (charon's CHILD SA backend slows down with the SAs it holds)
#
# Writes build/bench/ike.json (BENCH_OUT) and build/bench/ike-runs.jsonl (one
# line per run), prints a summary with the ratios and the targets.
# BENCH_REPORT_ONLY=1 rebuilds ike.json and the summary from an existing
# ike-runs.jsonl without running anything.
# Environment: BENCH_PAIRS (3), BENCH_COUNT, BENCH_SMALL, BENCH_BIG,
# BENCH_BIG_RUNS (ours, 3), BENCH_BIG_SS_LIMIT, BENCH_INFLIGHT,
# BENCH_FLOOD_RATE (8000), BENCH_FLOOD_S (20), BENCH_FLOOD_LEGIT (2000),
# BENCH_SKIP_CHARON=1, BENCH_UNIQUE_TS=1 (distinct IPv6 selectors per SA),
# BENCH_CERT=0 (no certificate runs), BENCH_CERT_ONLY=1 (only those),
# BENCH_CERT_COUNT, BENCH_CERT_PEERS (0: no distinct-peer runs), BENCH_CERT_SMALL,
# BENCH_KEEP_LOGS=1 (copy run directories to build/bench/logs).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=perf/lib_bench.sh
source "$HERE/lib_bench.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_PAIRS:=1}" "${BENCH_COUNT:=2000}" "${BENCH_SMALL:=500}" "${BENCH_BIG:=20000}"
	: "${BENCH_BIG_RUNS:=1}" "${BENCH_BIG_SS_LIMIT:=60}" "${BENCH_FLOOD_S:=8}" "${BENCH_FLOOD_LEGIT:=500}"
	: "${BENCH_CERT_COUNT:=2000}" "${BENCH_CERT_SMALL:=500}"
fi
PAIRS=${BENCH_PAIRS:-3}
COUNT=${BENCH_COUNT:-10000}
SMALL=${BENCH_SMALL:-1000}
BIG=${BENCH_BIG:-100000}
BIG_RUNS=${BENCH_BIG_RUNS:-3}
BIG_SS_LIMIT=${BENCH_BIG_SS_LIMIT:-420}
INFLIGHT=${BENCH_INFLIGHT:-256}
FLOOD_RATE=${BENCH_FLOOD_RATE:-8000}
FLOOD_S=${BENCH_FLOOD_S:-20}
FLOOD_LEGIT=${BENCH_FLOOD_LEGIT:-2000}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-300}      # one bring-up of COUNT SAs
CERT_COUNT=${BENCH_CERT_COUNT:-10000}
CERT_PEERS=${BENCH_CERT_PEERS:-128}
CERT_SMALL=${BENCH_CERT_SMALL:-1000}
DO_CERT=${BENCH_CERT:-1}
DO_PSK=1
[ "${BENCH_CERT_ONLY:-0}" = 1 ] && { DO_CERT=1; DO_PSK=0; }
ECDSA_CEIL_BIN=${ECDSA_CEIL_BIN:-$IPGW_ROOT/build/ecdsa_ceiling}
# generator retransmission: strongSwan-like, so a busy responder is not
# buried under its own retransmissions
GEN_RTX=(--retransmit-ms 3000 --tries 5)
# BENCH_UNIQUE_TS=1: every SA gets its own IPv6 selector pair, so charon's
# kernel-libipsec installs one policy pair and one route per SA
[ "${BENCH_UNIQUE_TS:-0}" = 1 ] && GEN_RTX+=(--unique-ts)
OUT=${BENCH_OUT:-$IPGW_ROOT/build/bench/ike.json}
OUTDIR=$(dirname "$OUT")
RUNS=$OUTDIR/ike-runs.jsonl
WHO_LIST=(ours charon)
[ "${BENCH_SKIP_CHARON:-0}" = 1 ] && WHO_LIST=(ours)

say() { echo "bench: $*" >&2; }

# record KEY=VALUE...: one JSON line into $RUNS (values that parse as JSON
# stay JSON, others become strings; "@FILE" embeds a JSON file).
record() {
	"$PYTHON" - "$@" >>"$RUNS" <<'EOF'
import sys, json
d = {}
for a in sys.argv[1:]:
    k, _, v = a.partition("=")
    if v.startswith("@"):
        try:
            v = json.load(open(v[1:]))
        except Exception:
            v = None
    else:
        try:
            v = json.loads(v)
        except Exception:
            pass
    d[k] = v
print(json.dumps(d))
EOF
}

resp_start() { # WHO DIR
	if [ "$1" = ours ]; then
		lb_us_conf "$2" && lb_us_start "$2"
	else
		lb_ss_conf "$2" && lb_ss_start "$2"
	fi
}
resp_stop() { # WHO DIR
	# (stderr: bash's "Killed" notice for a charon that needed SIGKILL)
	if [ "$1" = ours ]; then lb_us_stop "$2" 2>/dev/null; else lb_ss_stop "$2" 2>/dev/null; fi
	if [ "${BENCH_KEEP_LOGS:-0}" = 1 ]; then
		mkdir -p "$OUTDIR/logs/$(basename "$2")"
		find "$2" -maxdepth 1 -type f ! -name '*.sock' ! -name '*.vici' -exec cp -- {} "$OUTDIR/logs/$(basename "$2")/" \;
	fi
}
resp_pid() { if [ "$1" = ours ]; then us_pid "$2"; else ss_pid "$2"; fi; }
resp_nsas() { if [ "$1" = ours ]; then lb_us_stat "$2" established; else lb_ss_nsas "$2"; fi; }

# gen_timed DIR JSON ARGS...: lb_gen, with the generator's CPU seconds in
# DIR/gen_cpu (bash's time: user + sys of the child).
gen_timed() {
	local dir=$1 TIMEFORMAT='%3U %3S' t rc
	t=$( { time lb_gen "$@" >/dev/null 2>&1; } 2>&1 ); rc=$?
	awk '{ printf "%.3f\n", $1 + $2 }' <<<"$t" >"$dir/gen_cpu"
	return $rc
}

# ticks_s T0 T1: clock ticks -> seconds
ticks_s() { awk -v a="${1:-0}" -v b="${2:-0}" -v hz="$LB_HZ" 'BEGIN { printf "%.3f", (b - a) / hz }'; }
# busy_now: "RESP_CPU_TICKS GEN_CPU_TICKS" busy so far (all processes)
busy_now() { echo "$(lb_cpu_busy "$LB_RESP_CPU") $(lb_cpu_busy "$LB_GEN_CPU")"; }

# bringup TEST WHO PAIR N TIMEOUT: fresh responder, N SAs, one JSON line.
bringup() {
	local test=$1 who=$2 pair=$3 n=$4 tmo=$5 d pid rss0 rss1 c0 c1 b0 b1 w0 w1 nsas
	d=$(lb_newdir "$test-$who-$pair")
	if ! resp_start "$who" "$d"; then
		say "$who did not start: $(cat "$d/us_error" "$d/ss_error" 2>/dev/null)"
		record test="$test" who="$who" pair="$pair" count="$n" error="responder did not start"
		return 1
	fi
	pid=$(resp_pid "$who" "$d")
	rss0=$(lb_rss_kib "$pid"); c0=$(lb_cpu_ticks "$pid")
	b0=$(busy_now); w0=$(ipgw_now_ms)
	LB_GEN_LIMIT=$((tmo + 120)) gen_timed "$d" "$d/ikeload.json" --count "$n" --inflight "$INFLIGHT" \
		--timeout "$tmo" --quiet "${GEN_RTX[@]}"
	b1=$(busy_now); w1=$(ipgw_now_ms)
	rss1=$(lb_rss_kib "$pid"); c1=$(lb_cpu_ticks "$pid")
	nsas=$(resp_nsas "$who" "$d")
	record test="$test" who="$who" pair="$pair" count="$n" inflight="$INFLIGHT" \
		rss0_kib="${rss0:-null}" rss1_kib="${rss1:-null}" \
		resp_cpu_s="$(ticks_s "$c0" "$c1")" \
		gen_cpu_s="$(cat "$d/gen_cpu" 2>/dev/null || echo null)" responder_sas="${nsas:-null}" \
		resp_core_busy_s="$(ticks_s "${b0% *}" "${b1% *}")" gen_core_busy_s="$(ticks_s "${b0#* }" "${b1#* }")" \
		span_s="$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')" \
		loadavg="\"$(cut -d' ' -f1-3 /proc/loadavg)\"" \
		ikeload="@$d/ikeload.json"
	say "$test $who #$pair: $(grep '^ikeload: [0-9]* of' "$d/ikeload.out" | tail -n 1 | sed 's/^ikeload: //'); RSS ${rss0:-?} -> ${rss1:-?} KiB"
	resp_stop "$who" "$d"
}

# flood_run TEST WHO PAIR: fresh responder; TEST=flood: flooder + legitimate
# run; TEST=noflood: the legitimate run alone.
flood_run() {
	local test=$1 who=$2 pair=$3 d pid c0 c1 tmo cs=null
	d=$(lb_newdir "$test-$who-$pair")
	LB_SS_DOS=cookies
	if ! resp_start "$who" "$d"; then
		LB_SS_DOS=off
		record test="$test" who="$who" pair="$pair" error="responder did not start"
		return 1
	fi
	LB_SS_DOS=off
	pid=$(resp_pid "$who" "$d")
	tmo=$((FLOOD_S - 4))
	if [ "$test" = flood ]; then
		lb_flood_start "$d" "$FLOOD_RATE" "$FLOOD_S"
		sleep 2
	fi
	c0=$(lb_cpu_ticks "$pid")
	LB_GEN_LIMIT=$((tmo + 60)) gen_timed "$d" "$d/ikeload.json" --count "$FLOOD_LEGIT" --inflight 32 \
		--timeout "$tmo" --quiet "${GEN_RTX[@]}"
	c1=$(lb_cpu_ticks "$pid")
	[ "$who" = ours ] && cs=$(lb_us_stat "$d" cookies_sent)
	[ "$test" = flood ] && lb_flood_wait "$d" $((FLOOD_S + 60))
	record test="$test" who="$who" pair="$pair" count="$FLOOD_LEGIT" flood_rate="$FLOOD_RATE" \
		flood_s="$FLOOD_S" cookies_sent="${cs:-null}" \
		resp_cpu_s="$(ticks_s "$c0" "$c1")" \
		gen_cpu_s="$(cat "$d/gen_cpu" 2>/dev/null || echo null)" \
		ikeload="@$d/ikeload.json" flood="@$d/flood.json"
	say "$test $who #$pair: legitimate $(grep '^ikeload: [0-9]* of' "$d/ikeload.out" | tail -n 1 | sed 's/^ikeload: //')$( [ "$test" = flood ] && echo "; flood $(lb_json "$d/flood.json" flood_sent) sent in $(lb_json "$d/flood.json" elapsed_s) s")"
	resp_stop "$who" "$d"
}

# ---------------------------------------------------------------- main

if [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
	ipgw_require_root || exit 1
	for b in "$IKELOAD_BIN" "$IKE_BIN" "$CTL_BIN" "$CEILING_BIN" "$ECDSA_CEIL_BIN"; do
		[ -x "$b" ] || { echo "bench: $b not built (make)" >&2; exit 1; }
	done
	for tool in ip taskset swanctl "$CHARON" "$PYTHON" unshare timeout openssl; do
		command -v "$tool" >/dev/null 2>&1 || { echo "bench: missing tool $tool (make deps)" >&2; exit 1; }
	done
	trap 'lb_cleanup' EXIT
	trap 'echo "interrupted" >&2; exit 130' INT TERM
	lb_init || exit 1
	lb_ns_setup || exit 1
	mkdir -p "$OUTDIR"
	: >"$RUNS"
	T0=$(ipgw_now_ms)
	START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)

	# the ceiling is measured once per pair, next to the runs it is compared
	# with (other load on the machine moves it too); its CPU time is taken
	# as well: samples per CPU-second is immune to being preempted
	# ceiling PAIR [TEST]: X25519 (TEST ceiling, or x25519_cert)
	ceiling() {
		local TIMEFORMAT='%3U %3S' t test=${2:-ceiling}
		t=$( { time taskset -c "$LB_RESP_CPU" "$CEILING_BIN" >"$LB_WORK/$test-$1.json" 2>/dev/null; } 2>&1 )
		record test="$test" pair="$1" cpu_s="$(awk '{ printf "%.3f", $1 + $2 }' <<<"$t")" result="@$LB_WORK/$test-$1.json"
		say "X25519 ceiling #$1 (CPU $LB_RESP_CPU): $(cat "$LB_WORK/$test-$1.json"), CPU $t s"
	}
	# ECDSA P-256 sign, AUTH verify, certificate signature verify per CPU-second
	ecdsa_ceiling() {
		taskset -c "$LB_RESP_CPU" "$ECDSA_CEIL_BIN" >"$LB_WORK/ecdsa-$1.json" 2>/dev/null
		record test=ecdsa_cert pair="$1" result="@$LB_WORK/ecdsa-$1.json"
		say "ECDSA ceiling #$1 (CPU $LB_RESP_CPU): $(cat "$LB_WORK/ecdsa-$1.json")"
	}

	if [ "$DO_PSK" = 1 ]; then
		say "1/2/5. bring-up of $COUNT SAs (inflight $INFLIGHT) and the X25519 ceiling, $PAIRS pairs"
		for p in $(seq 1 "$PAIRS"); do
			ceiling "$p"
			for who in "${WHO_LIST[@]}"; do bringup hs "$who" "$p" "$COUNT" "$RUN_TIMEOUT"; done
		done
		say "1b. bring-up of $SMALL SAs, $PAIRS pairs"
		for p in $(seq 1 "$PAIRS"); do
			for who in "${WHO_LIST[@]}"; do bringup hs_small "$who" "$p" "$SMALL" 120; done
		done
		say "4. flood: $FLOOD_RATE IKE_SA_INIT/s for $FLOOD_S s from $LB_FLOOD_IP, $FLOOD_LEGIT legitimate SAs, $PAIRS pairs"
		for p in $(seq 1 "$PAIRS"); do
			for who in "${WHO_LIST[@]}"; do flood_run noflood "$who" "$p"; flood_run flood "$who" "$p"; done
		done
		say "2/3. bring-up of $BIG SAs: ours x $BIG_RUNS, charon once within $BIG_SS_LIMIT s"
		for p in $(seq 1 "$BIG_RUNS"); do bringup big ours "$p" "$BIG" 900; done
		[ "${BENCH_SKIP_CHARON:-0}" = 1 ] || bringup big charon 1 "$BIG" "$BIG_SS_LIMIT"
	fi
	if [ "$DO_CERT" = 1 ]; then
		say "6. certificates (ECDSA P-256, chain of two): bring-up of $CERT_COUNT SAs and the public-key ceilings, $PAIRS pairs"
		LB_PKI=$LB_WORK/pki
		lb_pki_make "$LB_PKI" || exit 1
		[ "$CERT_PEERS" -gt 1 ] && { lb_pki_peers "$LB_PKI" "$CERT_PEERS" || exit 1; }
		LB_AUTH=cert
		for p in $(seq 1 "$PAIRS"); do
			ecdsa_ceiling "$p"
			ceiling "$p" x25519_cert
			for who in "${WHO_LIST[@]}"; do bringup cert "$who" "$p" "$CERT_COUNT" "$RUN_TIMEOUT"; done
			for who in "${WHO_LIST[@]}"; do bringup cert_small "$who" "$p" "$CERT_SMALL" 120; done
			[ "$CERT_PEERS" -gt 1 ] || continue
			LB_CERT_PEERS=$CERT_PEERS
			for who in "${WHO_LIST[@]}"; do bringup cert_peers "$who" "$p" "$CERT_COUNT" "$RUN_TIMEOUT"; done
			LB_CERT_PEERS=1
		done
		LB_AUTH=psk
	fi

	WALL=$(( ($(ipgw_now_ms) - T0) / 1000 ))
	record test=meta date="\"$START_DATE\"" unique_ts="${BENCH_UNIQUE_TS:-0}" wall_s="$WALL" count="$COUNT" big="$BIG" big_ss_limit="$BIG_SS_LIMIT" pairs="$PAIRS" \
		psk_runs="$DO_PSK" cert_runs="$DO_CERT" cert_count="$CERT_COUNT" cert_peers="$CERT_PEERS" cert_small="$CERT_SMALL" \
		inflight="$INFLIGHT" small="$SMALL" flood_rate="$FLOOD_RATE" flood_s="$FLOOD_S" flood_legit="$FLOOD_LEGIT" \
		loadavg="\"$(cut -d' ' -f1-3 /proc/loadavg)\""
else
	[ -s "$RUNS" ] || { echo "bench: no $RUNS to report on" >&2; exit 1; }
fi
"$PYTHON" - "$RUNS" "$OUT" "$IPGW_ROOT" <<'EOF'
import sys, json, statistics, platform, subprocess, datetime, os
runs_f, out_f, root = sys.argv[1], sys.argv[2], sys.argv[3]
runs = [json.loads(l) for l in open(runs_f) if l.strip()]
meta = ([r for r in runs if r.get("test") == "meta"] or [{}])[-1]
wall, count, big, ss_limit = meta.get("wall_s"), meta.get("count"), meta.get("big"), meta.get("big_ss_limit")

def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None

def sel(test, who=None):
    return [r for r in runs if r.get("test") == test and (who is None or r.get("who") == who)]

def est(r):
    return (r.get("ikeload") or {}).get("established") or 0

def rate(r):
    return (r.get("ikeload") or {}).get("rate_per_s")

def per_cpu(r):
    c = r.get("resp_cpu_s")
    return round(est(r) / c, 1) if c else None

def rss_per_sa(r):
    if r.get("rss0_kib") is None or r.get("rss1_kib") is None or not est(r):
        return None
    return round((r["rss1_kib"] - r["rss0_kib"]) * 1024 / est(r), 1)

def summary(test, who):
    rs = sel(test, who)
    if not rs:
        return None
    il = [r.get("ikeload") or {} for r in rs]
    return {
        "runs": len(rs),
        "count": rs[0].get("count"),
        "established_min": min(est(r) for r in rs),
        "rate_per_s": med([rate(r) for r in rs]),
        "per_resp_cpu_s": med([per_cpu(r) for r in rs]),
        "elapsed_s": med([i.get("elapsed_s") for i in il]),
        "resp_cpu_s": med([r.get("resp_cpu_s") for r in rs]),
        "other_load_resp_core": med([max(0.0, (r["resp_core_busy_s"] - r["resp_cpu_s"]) / r["span_s"]) if r.get("resp_core_busy_s") is not None and r.get("resp_cpu_s") is not None and r.get("span_s") else None for r in rs]),
        "other_load_gen_core": med([max(0.0, (r["gen_core_busy_s"] - r["gen_cpu_s"]) / r["span_s"]) if r.get("gen_core_busy_s") is not None and r.get("gen_cpu_s") is not None and r.get("span_s") else None for r in rs]),
        "loadavg": [r.get("loadavg") for r in rs],
        "gen_cpu_share": med([(r["gen_cpu_s"] / i["elapsed_s"]) if r.get("gen_cpu_s") and i.get("elapsed_s") else None for r, i in zip(rs, il)]),
        "latency_ms_p50": med([(i.get("latency_ms") or {}).get("p50") for i in il]),
        "latency_ms_p99": med([(i.get("latency_ms") or {}).get("p99") for i in il]),
        "retransmits": med([i.get("retransmits") for i in il]),
        "rss_bytes_per_sa": med([rss_per_sa(r) for r in rs]),
        "rss0_kib": med([r.get("rss0_kib") for r in rs]),
        "rss1_kib": med([r.get("rss1_kib") for r in rs]),
        "failures": [i.get("failures") for i in il if i.get("failures")],
        "values": {"rate_per_s": [rate(r) for r in rs], "per_resp_cpu_s": [per_cpu(r) for r in rs],
                   "rss_bytes_per_sa": [rss_per_sa(r) for r in rs]},
    }

def ratios(test):
    by = {}
    for r in sel(test):
        by.setdefault(r["pair"], {})[r["who"]] = r
    wall, cpu = [], []
    for p, d in sorted(by.items()):
        if "ours" in d and "charon" in d:
            a, b = rate(d["ours"]), rate(d["charon"])
            if a and b:
                wall.append(round(a / b, 2))
            a, b = per_cpu(d["ours"]), per_cpu(d["charon"])
            if a and b:
                cpu.append(round(a / b, 2))
    return {"per_pair_wall": wall, "median_wall": med(wall), "per_pair_per_cpu": cpu, "median_per_cpu": med(cpu)}

def flood_summary(who):
    out = {}
    for test in ("noflood", "flood"):
        rs = sel(test, who)
        if not rs:
            continue
        il = [r.get("ikeload") or {} for r in rs]
        fl = [r.get("flood") or {} for r in rs]
        out[test] = {
            "runs": len(rs),
            "legit_count": rs[0].get("count"),
            "legit_established": med([est(r) for r in rs]),
            "legit_fraction": med([est(r) / r["count"] for r in rs if r.get("count")]),
            "legit_rate_per_s": med([rate(r) for r in rs]),
            "legit_latency_ms_p99": med([(i.get("latency_ms") or {}).get("p99") for i in il]),
            "resp_cpu_s": med([r.get("resp_cpu_s") for r in rs]),
            "resp_busy_share": med([r["resp_cpu_s"] / i["elapsed_s"] for r, i in zip(rs, il) if r.get("resp_cpu_s") is not None and i.get("elapsed_s")]),
            "gen_cpu_s": med([r.get("gen_cpu_s") for r in rs]),
        }
        if test == "flood":
            out[test]["flood_sent"] = med([f.get("flood_sent") for f in fl])
            out[test]["flood_rate_achieved_per_s"] = med([f["flood_sent"] / f["elapsed_s"] for f in fl if f.get("elapsed_s")])
            out[test]["cookies_sent"] = med([r.get("cookies_sent") for r in rs])
    if "flood" in out and "noflood" in out and out["noflood"]["legit_rate_per_s"]:
        out["rate_under_flood_vs_baseline"] = round(out["flood"]["legit_rate_per_s"] / out["noflood"]["legit_rate_per_s"], 3)
    return out

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return ""

crs = sel("ceiling")
cs = [r.get("result") or {} for r in crs]
# x25519_ceiling times its loop by the wall clock, so other load on the
# machine lowers its figure; samples per CPU-second of the process does not
# move with preemption: that is the ceiling compared against (the wall-clock
# figures are kept: best and all values)
def ceil_cpu(r):
    c, n = r.get("cpu_s"), (r.get("result") or {}).get("samples")
    return round(n / c) if c and n else None
best = max(cs, key=lambda c: c.get("max_handshakes_per_s") or 0) if cs else {}
ceil = {k: best.get(k) for k in ("keygen_us", "derive_us")}
ceil["max_handshakes_per_s_wall_best"] = best.get("max_handshakes_per_s")
ceil["values_wall"] = [c.get("max_handshakes_per_s") for c in cs]
ceil["values_per_cpu_s"] = [ceil_cpu(r) for r in crs]
ceil["max_handshakes_per_cpu_s"] = med(ceil["values_per_cpu_s"])
ceil["max_handshakes_per_s"] = ceil["max_handshakes_per_cpu_s"] or ceil["max_handshakes_per_s_wall_best"]
ceil["runs"] = len(cs)
res = {
    "date": meta.get("date") or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "machine": {
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-"),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": sh(". /etc/os-release; echo $PRETTY_NAME"),
        "strongswan": sh("dpkg-query -W -f='${Version}' strongswan-charon"),
        "openssl": sh("openssl version"),
        "git": sh("git -C '%s' describe --always --dirty" % root),
        "loadavg_end": open("/proc/loadavg").read().split()[:3],
    },
    "setup": {
        "proposal": "aes128gcm16-prfsha256-x25519", "esp": "aes128gcm16", "auth": "psk",
        "responder_cpu": 0, "generator_cpu": 1,
        "charon": "5.9.8, kernel-libipsec, default thread pool, DoS limits raised (flood: cookie_threshold as ours)",
        "wall_s": wall,
        "unique_ts": bool(meta.get("unique_ts")),
        "params": {k: meta.get(k) for k in ("pairs", "inflight", "small", "flood_rate", "flood_s", "flood_legit")},
    },
    "x25519_ceiling": ceil,
    "handshake": {
        "count": count,
        "ours": summary("hs", "ours"), "charon": summary("hs", "charon"), "ratio": ratios("hs"),
    },
    "handshake_small": {
        "ours": summary("hs_small", "ours"), "charon": summary("hs_small", "charon"), "ratio": ratios("hs_small"),
    },
    "big": {
        "count": big, "charon_time_limit_s": ss_limit,
        "ours": summary("big", "ours"), "charon": summary("big", "charon"),
    },
    "flood": {"ours": flood_summary("ours"), "charon": flood_summary("charon")},
}
def pair_fractions():
    c = {r.get("pair"): ceil_cpu(r) for r in sel("ceiling")}
    out = []
    for r in sel("hs", "ours"):
        pc = per_cpu(r)
        if pc and c.get(r.get("pair")):
            out.append(round(pc / c[r["pair"]], 3))
    return out

# Certificates: the public-key ceiling of one responder handshake, per pair
# (ECDSA figures per CPU-second of ecdsa_ceiling's thread, X25519 per
# CPU-second of x25519_ceiling): one sign, the AUTH verify, a certificate
# signature verify (X509_verify of a leaf with its CA's key; the path
# building around it is not public-key work), one X25519. A chain of two as the peers send it costs a second certificate
# signature (the intermediate's, under the root): "with_intermediate".
def cert_ceilings():
    xs = {r.get("pair"): ceil_cpu(r) for r in sel("x25519_cert")}
    out = {}
    for r in sel("ecdsa_cert"):
        e, x = r.get("result") or {}, xs.get(r.get("pair"))
        if not (e.get("sign_per_s") and e.get("verify_per_s") and e.get("cert_verify_per_s") and x):
            continue
        us = {"sign": 1e6 / e["sign_per_s"], "auth_verify": 1e6 / e["verify_per_s"],
              "cert_verify": 1e6 / e["cert_verify_per_s"], "x25519": 1e6 / x}
        t = sum(us.values())
        out[r["pair"]] = {"us": {k: round(v, 1) for k, v in us.items()}, "handshakes_per_cpu_s": round(1e6 / t),
                          "with_intermediate_per_cpu_s": round(1e6 / (t + us["auth_verify"])),
                          "ecdsa": e, "x25519_per_cpu_s": x}
    return out
cc = cert_ceilings()
def cert_block(test, peers):
    fr = []
    for r in sel(test, "ours"):
        pc = per_cpu(r)
        if pc and r.get("pair") in cc:
            fr.append(round(pc / cc[r["pair"]]["handshakes_per_cpu_s"], 3))
    return {
        "setup": "ECDSA P-256 everywhere; the generator and the responder each send end entity + intermediate, the root is trusted; "
                 "ours: credentials.cacerts root, intermediates inter; charon: x509ca root, x509 end entity + intermediate; "
                 "the generator is %s" % ("one peer (one certificate)" if peers == 1 else "%s distinct peers in turn" % peers),
        "count": meta.get("cert_count"), "peers": peers,
        "ours": summary(test, "ours"), "charon": summary(test, "charon"), "ratio": ratios(test),
        "ceiling": {"per_pair": cc, "handshakes_per_cpu_s": med([c["handshakes_per_cpu_s"] for c in cc.values()]),
                    "with_intermediate_per_cpu_s": med([c["with_intermediate_per_cpu_s"] for c in cc.values()])},
        "fraction_of_ceiling": {"per_pair": fr, "median": med(fr)},
    }
res["cert"] = cert_block("cert", 1)
if sel("cert_peers"):
    res["cert_peers"] = cert_block("cert_peers", meta.get("cert_peers"))
if sel("cert_small"):
    res["cert_small"] = cert_block("cert_small", 1)
    res["cert_small"]["count"] = meta.get("cert_small")
cert_o = res["cert"]["ours"]
cert_fr = res["cert"]["fraction_of_ceiling"]["per_pair"]
hs_o = res["handshake"]["ours"] or {}
hs_c = res["handshake"]["charon"] or {}
big_o = res["big"]["ours"] or {}
mh = ceil.get("max_handshakes_per_s")
res["targets"] = {
    "handshake_rate_vs_charon_per_core": {"target": 5.0, "measured": res["handshake"]["ratio"]["median_per_cpu"],
                                          "measured_wall": res["handshake"]["ratio"]["median_wall"],
                                          "measured_small_per_cpu": res["handshake_small"]["ratio"]["median_per_cpu"],
                                          "measured_small_wall": res["handshake_small"]["ratio"]["median_wall"]},
    "fraction_of_x25519_ceiling": {"target": 0.6,
                                   "per_pair_vs_own_ceiling": pair_fractions(),
                                   "measured_per_cpu": round(hs_o["per_resp_cpu_s"] / mh, 3) if mh and hs_o.get("per_resp_cpu_s") else None,
                                   "measured_wall": round(hs_o["rate_per_s"] / mh, 3) if mh and hs_o.get("rate_per_s") else None},
    "rss_per_sa_bytes": {"target": 4096, "measured_10k": hs_o.get("rss_bytes_per_sa"), "measured_100k": big_o.get("rss_bytes_per_sa")},
}
if sel("cert"):
    res["targets"]["cert_rate_vs_charon_per_core"] = {"target": 5.0, "measured": res["cert"]["ratio"]["median_per_cpu"],
                                                     "per_pair": res["cert"]["ratio"]["per_pair_per_cpu"]}
    res["targets"]["cert_fraction_of_pubkey_ceiling"] = {"target": 0.6, "measured_per_cpu": res["cert"]["fraction_of_ceiling"]["median"],
                                                        "per_pair": cert_fr}
    res["targets"]["cert_rss_per_sa_bytes"] = {"target": 4096, "measured": (cert_o or {}).get("rss_bytes_per_sa"),
                                              "values": ((cert_o or {}).get("values") or {}).get("rss_bytes_per_sa")}
if sel("cert_small"):
    res["targets"]["cert_small_rate_vs_charon_per_core"] = {"target": 5.0, "measured": res["cert_small"]["ratio"]["median_per_cpu"],
                                                           "per_pair": res["cert_small"]["ratio"]["per_pair_per_cpu"]}
if sel("cert_peers"):
    cp = res["cert_peers"]
    res["targets"]["cert_peers_rate_vs_charon_per_core"] = {"target": 5.0, "measured": cp["ratio"]["median_per_cpu"],
                                                           "per_pair": cp["ratio"]["per_pair_per_cpu"]}
    res["targets"]["cert_peers_fraction_of_pubkey_ceiling"] = {"target": 0.6, "measured_per_cpu": cp["fraction_of_ceiling"]["median"],
                                                              "per_pair": cp["fraction_of_ceiling"]["per_pair"]}
if not meta.get("psk_runs", 1):
    for k in ("handshake_rate_vs_charon_per_core", "fraction_of_x25519_ceiling", "rss_per_sa_bytes"):
        del res["targets"][k]
for k, t in res["targets"].items():
    m = t.get("measured_per_cpu", t.get("measured"))
    if k == "rss_per_sa_bytes":
        ms = [x for x in (t["measured_10k"], t["measured_100k"]) if x is not None]
        t["met"] = bool(ms) and max(ms) <= t["target"]
    elif k == "cert_rss_per_sa_bytes":
        t["met"] = t["measured"] is not None and t["measured"] <= t["target"]
    else:
        t["met"] = m is not None and m >= t["target"]
problems = []
for r in runs:
    if r.get("error"):
        problems.append("%s %s #%s: %s" % (r.get("test"), r.get("who"), r.get("pair"), r["error"]))
for r in sel("hs", "ours") + sel("hs_small", "ours") + sel("big", "ours") + sel("noflood") + sel("hs_small", "charon") + sel("hs", "charon") + sel("cert") + sel("cert_peers") + sel("cert_small"):
    if r.get("count") and est(r) < r["count"]:
        problems.append("%s %s #%s: %s of %s SAs up" % (r["test"], r["who"], r.get("pair"), est(r), r["count"]))
for r in sel("flood"):
    if r.get("count") and est(r) < 0.9 * r["count"]:
        problems.append("flood %s #%s: only %s of %s legitimate SAs up" % (r["who"], r.get("pair"), est(r), r["count"]))
if meta.get("psk_runs", 1) and (not cs or not ceil.get("max_handshakes_per_s")):
    problems.append("no X25519 ceiling")
if sel("cert") and not cc:
    problems.append("no public-key ceiling for the certificate runs")
res["problems"] = problems
json.dump(res, open(out_f, "w"), indent=2)

# the same as a Markdown table, for docs/performance.md
def g(d, *ks):
    for k in ks:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d
def n0(x):
    return "-" if x is None else "{:,.0f}".format(x)
def n1(x):
    return "-" if x is None else "{:,.1f}".format(x)
def pct(x):
    return "-" if x is None else "{:.0f} %".format(x * 100)
m = res["machine"]
H, S, B, F = res["handshake"], res["handshake_small"], res["big"], res["flood"]
small_n = g(S, "ours", "count") or g(S, "charon", "count")
L = []
L.append("Measured %s on %s, %s cores, %s, kernel %s, strongSwan %s, %s; git %s; %s pairs, %s s in all; load average at the end %s." % (
    res["date"], m["cpu"], m["cores"], m["os"], m["kernel"], m["strongswan"], m["openssl"].split(" (")[0], m["git"] or "?",
    meta.get("pairs"), wall, " ".join(m["loadavg_end"])))
L.append("")
if meta.get("psk_runs", 1):
    L.append("| measurement | ours | charon | ours / charon |")
    L.append("|---|---|---|---|")
    L.append("| handshakes/s, %s SAs, wall (median) | %s | %s | %s (pairs: %s) |" % (n0(count), n0(g(H, "ours", "rate_per_s")), n0(g(H, "charon", "rate_per_s")), g(H, "ratio", "median_wall") or "-", ", ".join(map(str, g(H, "ratio", "per_pair_wall") or []))))
    L.append("| handshakes per responder CPU-second, %s SAs | %s | %s | **%s** (pairs: %s) |" % (n0(count), n0(g(H, "ours", "per_resp_cpu_s")), n0(g(H, "charon", "per_resp_cpu_s")), g(H, "ratio", "median_per_cpu") or "-", ", ".join(map(str, g(H, "ratio", "per_pair_per_cpu") or []))))
    L.append("| handshakes/s, %s SAs, wall | %s | %s | %s (pairs: %s) |" % (n0(small_n), n0(g(S, "ours", "rate_per_s")), n0(g(S, "charon", "rate_per_s")), g(S, "ratio", "median_wall") or "-", ", ".join(map(str, g(S, "ratio", "per_pair_wall") or []))))
    L.append("| handshakes per responder CPU-second, %s SAs | %s | %s | **%s** (pairs: %s) |" % (n0(small_n), n0(g(S, "ours", "per_resp_cpu_s")), n0(g(S, "charon", "per_resp_cpu_s")), g(S, "ratio", "median_per_cpu") or "-", ", ".join(map(str, g(S, "ratio", "per_pair_per_cpu") or []))))
    L.append("| latency p50 / p99, %s SAs, %s in flight | %s / %s ms | %s / %s ms | |" % (n0(count), meta.get("inflight"), n0(g(H, "ours", "latency_ms_p50")), n0(g(H, "ours", "latency_ms_p99")), n0(g(H, "charon", "latency_ms_p50")), n0(g(H, "charon", "latency_ms_p99"))))
    L.append("| generator retransmissions, %s SAs (median) | %s | %s | |" % (n0(count), n0(g(H, "ours", "retransmits")), n0(g(H, "charon", "retransmits"))))
    L.append("| RSS per SA, %s SAs | %s B | %s B | %s |" % (n0(count), n0(g(H, "ours", "rss_bytes_per_sa")), n0(g(H, "charon", "rss_bytes_per_sa")),
             n1(g(H, "charon", "rss_bytes_per_sa") / g(H, "ours", "rss_bytes_per_sa")) + "x less" if g(H, "ours", "rss_bytes_per_sa") and g(H, "charon", "rss_bytes_per_sa") else "-"))
    bc = g(B, "charon") or {}
    L.append("| RSS per SA, %s SAs | %s B | %s B (at %s SAs) | |" % (n0(big), n0(g(B, "ours", "rss_bytes_per_sa")), n0(bc.get("rss_bytes_per_sa")), n0(bc.get("established_min"))))
    L.append("| RSS with %s SAs up | %s MiB | %s MiB (at %s SAs) | |" % (n0(big), n1((g(B, "ours", "rss1_kib") or 0) / 1024), n1((bc.get("rss1_kib") or 0) / 1024), n0(bc.get("established_min"))))
    L.append("| %s SAs from scratch | %s s (%s SA/s; %s runs: %s SA/s) | %s of %s up in %s s (%s SA/s) | |" % (
        n0(big), n1(g(B, "ours", "elapsed_s")), n0(g(B, "ours", "rate_per_s")), g(B, "ours", "runs"), ", ".join(n0(x) for x in (g(B, "ours", "values", "rate_per_s") or [])),
        n0(bc.get("established_min")), n0(big), n0(bc.get("elapsed_s")), n0(bc.get("rate_per_s"))))
    for who_label in ("legit_established",):
        pass
    fo, fc = g(F, "ours") or {}, g(F, "charon") or {}
    L.append("| flood: legitimate SAs up of %s | %s | %s | |" % (g(fo, "flood", "legit_count"), n0(g(fo, "flood", "legit_established")), n0(g(fc, "flood", "legit_established"))))
    L.append("| flood: legitimate SA/s (without flood) | %s (%s) | %s (%s) | %s |" % (n0(g(fo, "flood", "legit_rate_per_s")), n0(g(fo, "noflood", "legit_rate_per_s")), n0(g(fc, "flood", "legit_rate_per_s")), n0(g(fc, "noflood", "legit_rate_per_s")),
             n1(g(fo, "flood", "legit_rate_per_s") / g(fc, "flood", "legit_rate_per_s")) if g(fo, "flood", "legit_rate_per_s") and g(fc, "flood", "legit_rate_per_s") else "-"))
    L.append("| flood: responder CPU share during the legitimate run (without flood) | %s (%s) | %s (%s) | |" % (pct(g(fo, "flood", "resp_busy_share")), pct(g(fo, "noflood", "resp_busy_share")), pct(g(fc, "flood", "resp_busy_share")), pct(g(fc, "noflood", "resp_busy_share"))))
    L.append("| flood: IKE_SA_INIT/s the flooder achieved (aimed: %s) | %s | %s | |" % (meta.get("flood_rate"), n0(g(fo, "flood", "flood_rate_achieved_per_s")), n0(g(fc, "flood", "flood_rate_achieved_per_s"))))
    L.append("| flood: cookies sent (ours: `ipsecgw-ctl stats`) | %s | not counted | |" % n0(g(fo, "flood", "cookies_sent")))
    L.append("")
    L.append("X25519 ceiling (`build/x25519_ceiling`, CPU 0): **%s handshakes per %s** (median of %s; wall-clock figures %s, keygen %s us + derive %s us in the best)." % (
        n0(ceil.get("max_handshakes_per_s")), "CPU-second" if ceil.get("max_handshakes_per_cpu_s") else "second (best wall-clock run)", ", ".join(n0(x) for x in ceil["values_per_cpu_s"]), ", ".join(n0(x) for x in ceil["values_wall"]), ceil.get("keygen_us"), ceil.get("derive_us")))
    L.append("")
    T = res["targets"]
    L.append("| target | measured | met |")
    L.append("|---|---|---|")
    t = T["handshake_rate_vs_charon_per_core"]
    L.append("| >= 5x charon's handshakes per core | %sx at %s SAs, %sx at %s SAs (wall: %sx, %sx) | %s |" % (t["measured"], n0(count), t["measured_small_per_cpu"], n0(small_n), t["measured_wall"], t["measured_small_wall"],
             "yes" if t["met"] and (t["measured_small_per_cpu"] or 0) >= 5 else ("at %s SAs only" % n0(count) if t["met"] else "no")))
    t = T["fraction_of_x25519_ceiling"]
    L.append("| >= 60 %% of the X25519 ceiling | %s per responder CPU-second (pairs against their own ceiling: %s); wall %s | %s |" % (pct(t["measured_per_cpu"]), ", ".join(pct(x) for x in t["per_pair_vs_own_ceiling"]), pct(t["measured_wall"]), "yes" if t["met"] else "no"))
    t = T["rss_per_sa_bytes"]
    L.append("| <= 4 KiB RSS per SA | %s B at %s, %s B at %s | %s |" % (n0(t["measured_10k"]), n0(count), n0(t["measured_100k"]), n0(big), "yes" if t["met"] else "no"))
def cert_rows(C, title):
    co, ccn = C["ours"] or {}, C["charon"] or {}
    cl = C["ceiling"]
    L.append("")
    L.append("Certificates (ECDSA P-256, chain of two), %s SAs, %s:" % (n0(C["count"]), title))
    L.append("")
    L.append("| measurement | ours | charon | ours / charon |")
    L.append("|---|---|---|---|")
    L.append("| handshakes per responder CPU-second | %s | %s | **%s** (pairs: %s) |" % (n0(co.get("per_resp_cpu_s")), n0(ccn.get("per_resp_cpu_s")), g(C, "ratio", "median_per_cpu") or "-", ", ".join(map(str, g(C, "ratio", "per_pair_per_cpu") or []))))
    L.append("| handshakes/s, wall | %s | %s | %s (pairs: %s) |" % (n0(co.get("rate_per_s")), n0(ccn.get("rate_per_s")), g(C, "ratio", "median_wall") or "-", ", ".join(map(str, g(C, "ratio", "per_pair_wall") or []))))
    L.append("| latency p50 / p99 | %s / %s ms | %s / %s ms | |" % (n0(co.get("latency_ms_p50")), n0(co.get("latency_ms_p99")), n0(ccn.get("latency_ms_p50")), n0(ccn.get("latency_ms_p99"))))
    L.append("| generator retransmissions (median) | %s | %s | |" % (n0(co.get("retransmits")), n0(ccn.get("retransmits"))))
    L.append("| RSS per SA | %s B (runs: %s) | %s B | |" % (n0(co.get("rss_bytes_per_sa")), ", ".join(n0(x) for x in (g(co, "values", "rss_bytes_per_sa") or [])), n0(ccn.get("rss_bytes_per_sa"))))
    L.append("| ours against the public-key ceiling | **%s** (pairs: %s) | | |" % (pct(g(C, "fraction_of_ceiling", "median")), ", ".join(pct(x) for x in C["fraction_of_ceiling"]["per_pair"])))
if sel("cert"):
    C = res["cert"]
    cl = C["ceiling"]
    cert_rows(C, "one generator certificate")
    if res.get("cert_peers"):
        cert_rows(res["cert_peers"], "%s distinct generator certificates in turn" % res["cert_peers"]["peers"])
    if res.get("cert_small"):
        cert_rows(res["cert_small"], "one generator certificate")
    L.append("")
    L.append("Public-key ceiling of one responder handshake (1 ECDSA sign + AUTH verify + a certificate signature verify + 1 X25519, per CPU-second; `build/ecdsa_ceiling`, `build/x25519_ceiling`, CPU 0, once per pair): **%s** (pairs: %s); with the intermediate's signature as well (what a chain of two costs without a cache of verified CAs): %s." % (
        n0(cl.get("handshakes_per_cpu_s")), ", ".join(n0(c["handshakes_per_cpu_s"]) for _, c in sorted(cl["per_pair"].items())), n0(cl.get("with_intermediate_per_cpu_s"))))
    for p, c in sorted(cl["per_pair"].items()):
        L.append("Pair %s: sign %s us, AUTH verify %s us, certificate verify %s us, X25519 %s us." % (p, c["us"]["sign"], c["us"]["auth_verify"], c["us"]["cert_verify"], c["us"]["x25519"]))
    TC = res["targets"]
    yn = lambda k: "yes" if TC[k]["met"] else "no"
    L.append("")
    L.append("| target (certificates) | measured | met |")
    L.append("|---|---|---|")
    L.append("| >= 5x charon's handshakes per responder CPU-second, one peer | %sx (pairs: %s) | %s |" % (TC["cert_rate_vs_charon_per_core"]["measured"], ", ".join(map(str, TC["cert_rate_vs_charon_per_core"]["per_pair"])), yn("cert_rate_vs_charon_per_core")))
    if "cert_small_rate_vs_charon_per_core" in TC:
        L.append("| >= 5x charon's, one peer, %s SAs | %sx (pairs: %s) | %s |" % (n0(res["cert_small"]["count"]), TC["cert_small_rate_vs_charon_per_core"]["measured"], ", ".join(map(str, TC["cert_small_rate_vs_charon_per_core"]["per_pair"])), yn("cert_small_rate_vs_charon_per_core")))
    if "cert_peers_rate_vs_charon_per_core" in TC:
        L.append("| >= 5x charon's, %s distinct peers | %sx (pairs: %s) | %s |" % (res["cert_peers"]["peers"], TC["cert_peers_rate_vs_charon_per_core"]["measured"], ", ".join(map(str, TC["cert_peers_rate_vs_charon_per_core"]["per_pair"])), yn("cert_peers_rate_vs_charon_per_core")))
    L.append("| >= 60 %% of the public-key ceiling, one peer | %s | %s |" % (pct(TC["cert_fraction_of_pubkey_ceiling"]["measured_per_cpu"]), yn("cert_fraction_of_pubkey_ceiling")))
    if "cert_peers_fraction_of_pubkey_ceiling" in TC:
        L.append("| >= 60 %% of the public-key ceiling, %s distinct peers | %s | %s |" % (res["cert_peers"]["peers"], pct(TC["cert_peers_fraction_of_pubkey_ceiling"]["measured_per_cpu"]), yn("cert_peers_fraction_of_pubkey_ceiling")))
    L.append("| <= 4 KiB RSS per SA, %s SAs | %s B (runs: %s) | %s |" % (n0(C["count"]), n0(TC["cert_rss_per_sa_bytes"]["measured"]), ", ".join(n0(x) for x in TC["cert_rss_per_sa_bytes"]["values"] or []), yn("cert_rss_per_sa_bytes")))
if problems:
    L.append("")
    L.append("Problems: " + "; ".join(problems))
open(os.path.splitext(out_f)[0] + ".md", "w").write("\n".join(L) + "\n")

def f(x, spec="{:.0f}"):
    return "-" if x is None else spec.format(x)
print("== IKE benchmark (%s, %s) ==" % (res["date"], res["machine"]["cpu"]))
if meta.get("psk_runs", 1):
  print("X25519 ceiling: %s handshakes per CPU-second (median of %s: %s); by wall clock best %s (all %s), keygen %s us, derive %s us" % (
    ceil.get("max_handshakes_per_s"), ceil["runs"], ceil["values_per_cpu_s"], ceil["max_handshakes_per_s_wall_best"], ceil["values_wall"], ceil.get("keygen_us"), ceil.get("derive_us")))
for key, label in (("handshake", "%d SAs" % count), ("handshake_small", "small")):
    h = res[key]
    for who in ("ours", "charon"):
        s = h.get(who)
        if s:
            print("%-8s %-7s %6s SA/s wall, %6s SA per responder CPU-s, p50 %s ms p99 %s ms, %s rtx, RSS %s B/SA, up %s/%s; generator CPU %s%%, other load on cores 0/1 %s%%/%s%%" % (
                label, who, f(s["rate_per_s"]), f(s["per_resp_cpu_s"]), f(s["latency_ms_p50"]), f(s["latency_ms_p99"]), f(s["retransmits"]),
                f(s["rss_bytes_per_sa"]), s["established_min"], s["count"], f(s["gen_cpu_share"] and s["gen_cpu_share"] * 100),
                f(s["other_load_resp_core"] is not None and s["other_load_resp_core"] * 100 or 0), f(s["other_load_gen_core"] is not None and s["other_load_gen_core"] * 100 or 0)))
    r = h["ratio"]
    if r["per_pair_wall"]:
        print("%-8s ratio ours/charon: wall %s (median %s), per CPU-s %s (median %s)" % (label, r["per_pair_wall"], r["median_wall"], r["per_pair_per_cpu"], r["median_per_cpu"]))
for who in ("ours", "charon"):
    s = res["big"].get(who)
    if s:
        print("big      %-9s %s of %s up in %s s (%s SA/s), RSS %s B/SA (%s -> %s KiB)" % (
            who, s["established_min"], s["count"], f(s["elapsed_s"], "{:.1f}"), f(s["rate_per_s"]), f(s["rss_bytes_per_sa"]), f(s["rss0_kib"]), f(s["rss1_kib"])))
for who in ("ours", "charon"):
    fs = res["flood"].get(who) or {}
    if "flood" in fs:
        fl, nf = fs["flood"], fs.get("noflood") or {}
        print("flood    %-7s legit %s/%s up, %s SA/s (no flood: %s SA/s, ratio %s); responder busy %s%% (no flood %s%%); flood %s/s achieved; cookies_sent %s" % (
            who, f(fl["legit_established"]), fl["legit_count"], f(fl["legit_rate_per_s"]), f(nf.get("legit_rate_per_s")),
            fs.get("rate_under_flood_vs_baseline"), f(fl["resp_busy_share"] and fl["resp_busy_share"] * 100),
            f(nf.get("resp_busy_share") and nf["resp_busy_share"] * 100), f(fl["flood_rate_achieved_per_s"]), f(fl.get("cookies_sent"))))
for key in ("cert", "cert_peers", "cert_small"):
    C = res.get(key) if sel(key) else None
    if not C:
        continue
    for who in ("ours", "charon"):
        s = C.get(who)
        if s:
            print("%-10s %-7s %6s SA/s wall, %6s SA per responder CPU-s, p50 %s ms p99 %s ms, RSS %s B/SA, up %s/%s" % (
                key, who, f(s["rate_per_s"]), f(s["per_resp_cpu_s"]), f(s["latency_ms_p50"]), f(s["latency_ms_p99"]),
                f(s["rss_bytes_per_sa"]), s["established_min"], s["count"]))
    print("%-10s ratio ours/charon per CPU-s %s (median %s); public-key ceiling %s/CPU-s (pairs %s), ours at %s of it" % (
        key, C["ratio"]["per_pair_per_cpu"], C["ratio"]["median_per_cpu"], C["ceiling"]["handshakes_per_cpu_s"],
        [c["handshakes_per_cpu_s"] for c in C["ceiling"]["per_pair"].values()], C["fraction_of_ceiling"]["per_pair"]))
print("targets:")
for k, t in res["targets"].items():
    print("  %-36s %s" % (k, json.dumps(t)))
for p in problems:
    print("PROBLEM: " + p)
print("wrote %s and %s (%s s)" % (out_f, os.path.splitext(out_f)[0] + ".md", wall))
sys.exit(1 if problems else 0)
EOF
