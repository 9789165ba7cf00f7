#!/usr/bin/env bash
# perf/fp_bench.sh - fast-path benchmark driver (`make bench` runs it).
#
#   (a) reference: raw intel-ipsec-mb (build/imb_ceiling) and
#       dpdk-test-crypto-perf (crypto_aesni_gcm, crypto_aesni_mb);
#   (b) DPDK's ipsec-secgw (built by perf/secgw/build.sh, config
#       perf/secgw/ep-bench.cfg) on the net_pcap source (rx_pcap=,
#       infinite_rx=1) and on the zero-copy source (build/zc_gen, a secondary
#       process feeding net_ring ports);
#   (c) our gateway (build/ipsecgw) on the same sources when it exists;
#       until then our ESP layer alone (build/fp_bench), labelled so;
# outbound and inbound, inner IP sizes 64/512/1420, AES-128-GCM; A B A B
# interleaved, medians and per-pair ratios. Writes build/bench/fastpath.json
# (every run and the summary) and prints a table.
#
# The gateway under test runs on CPU $FPB_GW_CPU (1); zc_gen, the pcap
# writer and dpdk-test-crypto-perf's main lcore on CPU $FPB_GEN_CPU (0).
# Hugepages: reserves FPB_HUGEPAGES (256 x 2 MiB) and mounts a private
# hugetlbfs for the multi-process runs; both are put back on exit.
# BENCH_QUICK=1: ~3 min (1 s runs, 2 pairs); default ~15 min (3 s, 3 pairs).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$ROOT/build
OUT=${FPB_OUT:-$B/bench}
RUNS=$OUT/fastpath.runs.jsonl
JSON=$OUT/fastpath.json
W=$OUT/fp_work
GW_CPU=${FPB_GW_CPU:-1}
GEN_CPU=${FPB_GEN_CPU:-0}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	SECS=${FPB_SECS:-1}; PAIRS=${FPB_PAIRS:-2}; SIZES=${FPB_SIZES:-"64 512 1420"}
else
	SECS=${FPB_SECS:-3}; PAIRS=${FPB_PAIRS:-3}; SIZES=${FPB_SIZES:-"64 512 1420"}
fi
HUGE_WANT=${FPB_HUGEPAGES:-256}
PY=/usr/bin/python3
LOGQ="--log-level=lib.eal:error"

mkdir -p "$OUT" "$W"
: >"$RUNS"
PIDS=()
HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages)
HUGE_DIR=""
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ -n "$HUGE_DIR" ]; then
		rm -f "$HUGE_DIR"/* 2>/dev/null
		umount "$HUGE_DIR" 2>/dev/null && rmdir "$HUGE_DIR" 2>/dev/null
	fi
	echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "fp_bench: $*" >&2; }
# rec KIND KEY=VALUE... JSON: one run into $RUNS (the JSON is the tool's own line)
rec() {
	local line=$1; shift
	"$PY" -c 'import json,sys
d=json.loads(sys.argv[1]) if sys.argv[1] else {}
for kv in sys.argv[2:]:
    k,v=kv.split("=",1)
    try: v=json.loads(v)
    except Exception: pass
    d[k]=v
print(json.dumps(d))' "$line" "$@" >>"$RUNS"
}

for bin in fp_bench imb_ceiling zc_gen; do
	[ -x "$B/$bin" ] || make -C "$ROOT" --no-print-directory "build/$bin" >/dev/null || { log "cannot build $bin"; exit 1; }
done

# ---------------------------------------------------------------- hugepages
if [ "$(id -u)" -eq 0 ]; then
	[ "$HUGE_OLD" -lt "$HUGE_WANT" ] && echo "$HUGE_WANT" >/proc/sys/vm/nr_hugepages
	HUGE_DIR=$(mktemp -d /tmp/fpb-huge.XXXXXX)
	mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_DIR" || HUGE_DIR=""
fi
HAVE_HUGE=0
if [ -n "$HUGE_DIR" ] && [ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -ge 128 ]; then
	HAVE_HUGE=1
else
	log "no hugepages: the net_ring/zero-copy runs (multi-process) are skipped"
fi

# ---------------------------------------------------------------- (a) + ESP layer
# A B A B: raw intel-ipsec-mb, then our ESP layer, same core, same sizes.
log "(a) raw intel-ipsec-mb vs our ESP layer alone, $PAIRS pairs of ${SECS}s runs"
imb_sizes=$(echo "$SIZES imix" | tr ' ' ',')
for p in $(seq 1 "$PAIRS"); do
	while read -r l; do rec "$l" pair="$p"; done < <(taskset -c "$GW_CPU" "$B/imb_ceiling" -t "$SECS" -s "$imb_sizes" 2>/dev/null)
	while read -r l; do rec "$l" pair="$p"; done < <(taskset -c "$GW_CPU" "$B/fp_bench" -- -t "$SECS" -r 1 -s "$imb_sizes" -N 2>/dev/null)
done
taskset -c "$GW_CPU" "$B/fp_bench" -- -t 1 -L 2>/dev/null | while read -r l; do rec "$l"; done

log "(a) dpdk-test-crypto-perf (worker lcore on CPU $GW_CPU)"
cp_sizes="68,516,1424"          # ESP payload of 64/512/1420-byte inner packets, GCM
for p in $(seq 1 "$PAIRS"); do
	for op in encrypt decrypt; do
		for dev in crypto_aesni_gcm crypto_aesni_mb; do
			timeout 120 dpdk-test-crypto-perf -l "$GEN_CPU,$GW_CPU" --no-huge -m 512 --no-pci --no-shconf \
				--file-prefix "fpbcp$$" --vdev "${dev}0" $LOGQ -- --ptest throughput --devtype "$dev" \
				--optype aead --aead-algo aes-gcm --aead-op "$op" --aead-key-sz 16 --aead-iv-sz 12 \
				--aead-aad-sz 8 --digest-sz 16 --buffer-sz "$cp_sizes" --burst-sz 32 \
				--total-ops $((SECS * 4000000)) --csv-friendly --silent 2>/dev/null |
			awk -F, 'NF == 10 && $1 ~ /^[0-9]+$/ {print $2, $8, $9, $10}' |
			while read -r sz mops gbps cyc; do
				rec "" bench=crypto_perf dev="$dev" op="$op" buffer="$sz" mops="$mops" gbps="$gbps" \
					cycles_per_buf="$cyc" pair="$p"
			done
		done
	done
done

# ---------------------------------------------------------------- traffic files
E1="--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l $GEN_CPU $LOGQ"
for sz in $SIZES; do
	"$B/zc_gen" $E1 -- --pcap "$W/out$sz.pcap" --dir out --size "$sz" --count 1024 2>/dev/null &&
	"$B/zc_gen" $E1 -- --pcap "$W/in$sz.pcap" --dir in --size "$sz" --count 1024 2>/dev/null ||
		{ log "zc_gen could not write the traffic files"; exit 1; }
done

# ---------------------------------------------------------------- gateways
SECGW=$(bash "$ROOT/perf/secgw/build.sh" 2>"$W/secgw-build.err") || { log "ipsec-secgw build failed: $(tail -3 "$W/secgw-build.err")"; SECGW=""; }
OURS=""
[ -x "$B/ipsecgw" ] && OURS=$B/ipsecgw

# port numbers: 0 = the LAN side (plaintext), 1 = the peer side (ESP).
# dir out: traffic enters port 0, leaves port 1; in: enters 1, leaves 0
# In ipsec-secgw's terms port 0 is *protected* and port 1 *unprotected*
# (-u 0x2): it runs inbound (SA by SPI, decrypt, inbound SP) on what it
# receives on unprotected ports and outbound (SP, encrypt) on what it receives
# on protected ports, and drops ESP received on a protected port. With -u 0x1
# (the roles swapped) it dropped every packet in both directions.
in_port()  { [ "$1" = out ] && echo 0 || echo 1; }
out_port() { [ "$1" = out ] && echo 1 || echo 0; }

# cpu_ticks PID: user+system clock ticks of PID's child (timeout -> gateway)
cpu_ticks() {
	local c
	c=$(pgrep -P "$1" | head -1)
	[ -n "$c" ] && awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null
}
# share C0 C1 T0 T1: CPU share from two cpu_ticks samples; null if one is missing
# (the gateway was gone: timed out)
share() {
	awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" -v h="$TCK" \
		'BEGIN { if (a == "" || b == "") print "null"; else printf "%.3f\n", (b - a) / h / (t1 - t0) }'
}
# The machine is shared: gw_cpu_share is the part of CPU $GW_CPU the gateway
# got during the measured window (1.0 = the whole core); mpps / gw_cpu_share
# estimates the rate on a core of its own.
TCK=$(getconf CLK_TCK)

# secgw_run SRC DIR SIZE: one run of ipsec-secgw; prints a JSON line
secgw_run() {
	local src=$1 dir=$2 sz=$3 ip op pfx log vdevs pid c0 c1 t0 t1 share
	ip=$(in_port "$dir"); op=$(out_port "$dir")
	pfx="fpbsg$$"
	log=$W/secgw-$src-$dir-$sz.log
	if [ "$src" = pcap ]; then
		# net_pcap source: rx_pcap replayed from memory (infinite_rx=1) on the
		# input port. The output port is net_null (counts and frees): a
		# tx_pcap=/dev/null port costs an fwrite per packet and a write(2)
		# per burst, which halved ipsec-secgw's 64-byte rate here
		# (FPB_SECGW_SINK=pcap puts that sink back). Ports are numbered in
		# --vdev order.
		local sink="net_null0"
		[ "${FPB_SECGW_SINK:-null}" = pcap ] && sink="net_pcap9,tx_pcap=/dev/null"
		if [ "$dir" = out ]; then
			vdevs="--vdev net_pcap0,rx_pcap=$W/out$sz.pcap,infinite_rx=1 --vdev $sink"
		else
			vdevs="--vdev $sink --vdev net_pcap1,rx_pcap=$W/in$sz.pcap,infinite_rx=1"
		fi
		timeout -k 3 $((SECS + 12)) taskset -c "$GW_CPU" "$SECGW" -l "$GW_CPU" -n 1 --no-pci --no-huge -m 1024 \
			--no-shconf --file-prefix "$pfx" $vdevs --vdev crypto_aesni_gcm0 $LOGQ -- \
			-p 0x3 -P -u 0x2 -t 1 --config "($ip,0,$GW_CPU)" -f "$ROOT/perf/secgw/ep-bench.cfg" \
			>"$log" 2>&1 &
		pid=$!; PIDS+=("$pid")
		sleep 6; c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
		sleep "$SECS"; c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
		kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		share=$(share "$c0" "$c1" "$t0" "$t1")
		# "Total packets sent:" once a second: rate from the last SECS samples
		tr -d '\033' <"$log" | awk -v s="$SECS" -v sh="$share" '
			/Total packets received:/ {r = $4} /Total packets sent:/ {v[n++] = $4} /Total packets dropped:/ {d = $4}
			END { if (n < 3) { print "{\"mpps\":0,\"note\":\"no stats\"}"; exit }
			      k = n - 1; f = k - s; if (f < 1) f = 1
			      note = (v[k] == 0 && r > 0) ? ",\"note\":\"received but sent nothing (ports/-u/SP/SA?)\"" : ""
			      printf "{\"mpps\":%.4f,\"gw_cpu_share\":%s,\"received\":%d,\"sent\":%d,\"dropped\":%d%s}\n",
			             (v[k] - v[f]) / (k - f) / 1e6, sh, r, v[k], d, note }'
	else
		[ "$HAVE_HUGE" = 1 ] || { echo '{"mpps":0,"note":"no hugepages"}'; return; }
		timeout -k 3 $((SECS + 20)) taskset -c "$GW_CPU" "$SECGW" -l "$GW_CPU" -n 1 --no-pci \
			--huge-dir "$HUGE_DIR" --file-prefix "$pfx" --vdev net_ring0 --vdev net_ring1 \
			--vdev crypto_aesni_gcm0 $LOGQ -- -p 0x3 -P -u 0x2 --config "($ip,0,$GW_CPU)" \
			-f "$ROOT/perf/secgw/ep-bench.cfg" >"$log" 2>&1 &
		pid=$!; PIDS+=("$pid")
		for _ in $(seq 1 50); do grep -q "entering main loop" "$log" 2>/dev/null && break; sleep 0.2; done
		c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
		# zc_gen's own share of CPU $GEN_CPU over its measured window: on a
		# shared machine the generator, not the gateway, can be the limit
		( sleep 1.3; g=""
		  for c in $(pgrep -x zc_gen); do grep -qa "$pfx" "/proc/$c/cmdline" 2>/dev/null && g=$c; done
		  [ -n "$g" ] || { echo 0 >"$W/secgw-zc.gen"; exit 0; }
		  a=$(awk '{print $14 + $15}' "/proc/$g/stat"); ta=$(date +%s.%N)
		  sleep "$(awk -v s="$SECS" 'BEGIN {print s - 0.5}')"
		  b=$(awk '{print $14 + $15}' "/proc/$g/stat" 2>/dev/null || echo "$a"); tb=$(date +%s.%N)
		  awk -v a="$a" -v b="$b" -v t0="$ta" -v t1="$tb" -v h="$TCK" 'BEGIN {printf "%.3f\n", (b - a) / h / (t1 - t0)}' \
			>"$W/secgw-zc.gen" ) &
		zc_run "$pfx" "$dir" "$sz" "net_ring$ip" "net_ring$op" >"$W/secgw-zc.json"
		c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
		wait $!
		kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		share=$(share "$c0" "$c1" "$t0" "$t1")
		"$PY" -c 'import json,sys
d=json.loads(open(sys.argv[1]).read()); d["gw_cpu_share"]=json.loads(sys.argv[2])
try: d["gen_cpu_share"]=float(open(sys.argv[3]).read())
except Exception: pass
print(json.dumps(d))' "$W/secgw-zc.json" "$share" "$W/secgw-zc.gen"
		rm -f "$W/secgw-zc.gen"
	fi
}

# zc_run PREFIX DIR SIZE INPORT OUTPORT: zc_gen attached to a running gateway
zc_run() {
	local esp=""
	[ "$2" = in ] && esp=--esp
	timeout -k 3 $((SECS + 20)) taskset -c "$GEN_CPU" "$B/zc_gen" -l "$GEN_CPU" --proc-type=secondary \
		--file-prefix "$1" --huge-dir "$HUGE_DIR" --no-pci $LOGQ -- --run "$W/$2$3.pcap" \
		--in-port "$4" --out-port "$5" -t "$SECS" --warmup 1 $esp 2>>"$W/zc_gen.log" |
		tail -1 | sed 's/"rx_mpps"/"mpps":0,"rx_mpps"/' | "$PY" -c 'import json,sys
try:
    d=json.loads(sys.stdin.read()); d["mpps"]=d["rx_mpps"]; print(json.dumps(d))
except Exception:
    print("{\"mpps\":0,\"note\":\"zc_gen failed\"}")'
}

# ours_run SRC DIR SIZE: our gateway. Its command line is ours_cmd below;
# adjust it there when app/main_gw.c settles (docs/fastpath.md).
ours_cmd() {   # PREFIX VDEVS INPORT CONFIG
	# control lcore 0 shares the generator CPU; worker lcore 1 has CPU $GW_CPU
	echo "$OURS --lcores 0@$GEN_CPU,1@$GW_CPU -n 1 --no-pci --huge-dir $HUGE_DIR --file-prefix $1 $2 $LOGQ -- -c $4"
}
ours_run() {
	local src=$1 dir=$2 sz=$3 ip op pfx log pid
	ip=$(in_port "$dir"); op=$(out_port "$dir")
	pfx="fpbgw$$"; log=$W/ours-$src-$dir-$sz.log
	if [ "$src" != zc ] || [ "$HAVE_HUGE" != 1 ]; then
		echo '{"mpps":0,"note":"pcap source: rate needs the gateway stats interface (to do)"}'
		return
	fi
	# shellcheck disable=SC2046
	timeout -k 3 $((SECS + 20)) taskset -c "$GW_CPU" $(ours_cmd "$pfx" "--vdev net_ring0 --vdev net_ring1" "$ip" "$W/gw-bench.json") \
		>"$log" 2>&1 &
	pid=$!; PIDS+=("$pid")
	sleep 3
	zc_run "$pfx" "$dir" "$sz" "net_ring$ip" "net_ring$op"
	kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

if [ -n "$OURS" ]; then
	# The same SAs and policy as perf/secgw/ep-bench.cfg, static.
	cat >"$W/gw-bench.json" <<'EOF'
{
  "fastpath": {
    "ports": [ { "name": "net_ring0", "role": "unprotected" }, { "name": "net_ring1", "role": "protected" } ],
    "sas": [
      { "spi": 1000, "dir": "out", "mode": "tunnel", "local": "192.0.2.1", "remote": "192.0.2.2",
        "cipher": "aes-128-gcm", "key": "0x101112131415161718191a1b1c1d1e1f20212223" },
      { "spi": 2000, "dir": "in", "mode": "tunnel", "local": "192.0.2.1", "remote": "192.0.2.2",
        "cipher": "aes-128-gcm", "key": "0x101112131415161718191a1b1c1d1e1f20212223" }
    ],
    "policies": [
      { "dir": "out", "src": "198.51.100.0/24", "dst": "203.0.113.0/24", "action": "protect", "spi": 1000 },
      { "dir": "in", "src": "203.0.113.0/24", "dst": "198.51.100.0/24", "action": "protect", "spi": 2000 }
    ],
    "routes": [ { "dst": "192.0.2.2/32", "port": 1 }, { "dst": "198.51.100.0/24", "port": 0 } ]
  }
}
EOF
fi

for src in pcap zc; do
	for dir in out in; do
		for sz in $SIZES; do
			log "(b/c) $src $dir $sz"
			for p in $(seq 1 "$PAIRS"); do
				if [ -n "$SECGW" ]; then
					rec "$(secgw_run "$src" "$dir" "$sz")" bench=gateway gw=ipsec-secgw src="$src" dir="$dir" size="$sz" pair="$p"
				fi
				if [ -n "$OURS" ]; then
					rec "$(ours_run "$src" "$dir" "$sz")" bench=gateway gw=ipsecgw src="$src" dir="$dir" size="$sz" pair="$p"
				fi
			done
		done
	done
done

# ---------------------------------------------------------------- summary
"$PY" - "$RUNS" "$JSON" "$SECS" "$PAIRS" "${OURS:+1}" <<'PYEOF'
import json, statistics, sys, datetime, platform, subprocess
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
secs, pairs, have_ours = float(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
med = lambda xs: statistics.median(xs) if xs else None
def sel(**kw):
    return [r for r in runs if all(r.get(k) == v for k, v in kw.items())]
cpu = "?"
try:
    cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
except Exception:
    pass
ref = {"ipsec-secgw net_pcap (issue)": {"out": {"64": 9.3, "512": 7.2, "1420": 5.3},
                                        "in": {"64": 9.4, "512": 7.0, "1420": 5.2}},
       "crypto-perf (issue) Mops": {"64": 22.6, "512": 16.5, "1420": 8.8}}
S = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
     "machine": {"cpu": cpu, "cores": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
                 "kernel": platform.release()},
     "secs_per_run": secs, "pairs": pairs, "reference_from_issue": ref,
     "ours": "build/ipsecgw" if have_ours else "ESP layer alone (build/fp_bench; build/ipsecgw not built)",
     "esp_vs_imb": [], "sa_lookup": [], "crypto_perf": [], "gateways": []}
dirmap = {"out": "enc", "in": "dec"}
sizes = sorted({r["size"] for r in runs if r.get("bench") == "fp_esp"}, key=lambda s: (s == "imix", int(s) if s.isdigit() else 0))
for alg in ("aes-128-gcm", "aes-128-cbc-hmac-sha256"):
    for d in ("out", "in"):
        for sz in sizes:
            a = {r["pair"]: r for r in sel(bench="imb_ceiling", alg=alg, dir=dirmap[d], size=sz)}
            b = {r["pair"]: r for r in sel(bench="fp_esp", alg=alg, dir=d, size=sz)}
            ps = sorted(set(a) & set(b))
            if not ps:
                continue
            ratios = [b[p]["mpps"] / a[p]["mops"] for p in ps if a[p]["mops"]]
            S["esp_vs_imb"].append({"alg": alg, "dir": d, "size": sz,
                "imb_mops": [a[p]["mops"] for p in ps], "esp_mpps": [b[p]["mpps"] for p in ps],
                "imb_mops_median": med([a[p]["mops"] for p in ps]), "esp_mpps_median": med([b[p]["mpps"] for p in ps]),
                "esp_gbps_median": med([b[p]["gbps_inner"] for p in ps]),
                "esp_cycles_median": med([b[p]["tsc_cycles_per_pkt"] for p in ps]),
                "imb_cycles_median": med([a[p]["tsc_cycles_per_op"] for p in ps]),
                "ratio_per_pair": ratios, "ratio_median": med(ratios)})
S["sa_lookup"] = sel(bench="sa_lookup")
for dev in ("crypto_aesni_gcm", "crypto_aesni_mb"):
    for op in ("encrypt", "decrypt"):
        for buf in sorted({r["buffer"] for r in sel(bench="crypto_perf")}):
            rs = sel(bench="crypto_perf", dev=dev, op=op, buffer=buf)
            if rs:
                S["crypto_perf"].append({"dev": dev, "op": op, "buffer": buf, "mops": [r["mops"] for r in rs],
                                         "mops_median": med([r["mops"] for r in rs])})
for src in ("pcap", "zc"):
    for d in ("out", "in"):
        for sz in ("64", "512", "1420"):
            sg = {r["pair"]: r for r in sel(bench="gateway", gw="ipsec-secgw", src=src, dir=d, size=int(sz))}
            us = {r["pair"]: r for r in sel(bench="gateway", gw="ipsecgw", src=src, dir=d, size=int(sz))}
            if not sg and not us:
                continue
            e = {"src": src, "dir": d, "size": sz,
                 "secgw_mpps": [sg[p]["mpps"] for p in sorted(sg)], "secgw_mpps_median": med([sg[p]["mpps"] for p in sorted(sg)]),
                 "ours_mpps": [us[p]["mpps"] for p in sorted(us)], "ours_mpps_median": med([us[p]["mpps"] for p in sorted(us)])}
            # the share of CPU $GW_CPU the gateway got (shared machine) and the rate per whole core
            sh = [sg[p].get("gw_cpu_share") for p in sorted(sg)]
            e["secgw_cpu_share"] = sh
            e["secgw_mpps_per_core_median"] = med([sg[p]["mpps"] / s for p, s in zip(sorted(sg), sh) if s])
            if src == "zc":   # the generator's share of its CPU: below ~0.9 the source was the limit
                e["zc_gen_cpu_share"] = [sg[p].get("gen_cpu_share") for p in sorted(sg)]
            ps = sorted(set(sg) & set(us))
            rr = [us[p]["mpps"] / sg[p]["mpps"] for p in ps if sg[p]["mpps"]]
            e["ratio_per_pair"] = rr
            e["ratio_median"] = med(rr)
            notes = {r.get("note") for r in list(sg.values()) + list(us.values()) if r.get("note")}
            if any(g is not None and g < 0.9 for g in e.get("zc_gen_cpu_share", [])):
                notes.add("zc_gen got < 90 % of its CPU in some runs: source-limited")
            if notes:
                e["notes"] = sorted(notes)
            S["gateways"].append(e)
json.dump(S, open(sys.argv[2], "w"), indent=1)

f = lambda v, w=7, p=2: (" " * (w - 1) + "-") if v is None else f"{v:{w}.{p}f}"
print(f"\nFast path, one core, {secs:g} s runs, {pairs} pairs (A B A B), medians; {S['date']}, {cpu}")
print("\nOur ESP layer alone (fp_bench) vs raw intel-ipsec-mb (imb_ceiling), same core, interleaved")
print(f"{'alg':24} {'dir':3} {'size':>5} {'imb Mops':>9} {'ESP Mpps':>9} {'ESP Gb/s':>9} {'ESP cyc':>8} {'imb cyc':>8} {'ratio':>6}")
for e in S["esp_vs_imb"]:
    print(f"{e['alg']:24} {e['dir']:3} {e['size']:>5} {f(e['imb_mops_median'],9)} {f(e['esp_mpps_median'],9)} "
          f"{f(e['esp_gbps_median'],9)} {f(e['esp_cycles_median'],8,0)} {f(e['imb_cycles_median'],8,0)} {f(e['ratio_median'],6)}")
print("\nSA lookup by SPI")
for r in S["sa_lookup"]:
    print(f"  {r['table']:8} {r['sas']:>8} SAs: {r['tsc_cycles_per_lookup']:6.1f} cycles, {r['mlookups']:6.1f} Mlookups/s")
print("\ndpdk-test-crypto-perf, AES-128-GCM, burst 32 (buffer = ESP payload of 64/512/1420)")
for e in S["crypto_perf"]:
    print(f"  {e['dev']:18} {e['op']:8} {e['buffer']:>5}: {f(e['mops_median'])} Mops")
print(f"\nGateways, AES-128-GCM tunnel, Mpps out of the gateway (ours = {S['ours']})")
print("(secgw/core = ipsec-secgw Mpps / the share of its CPU it got, median: the machine is shared)")
print(f"{'src':5} {'dir':3} {'size':>5} {'secgw':>8} {'secgw/core':>10} {'ours':>8} {'ratio':>6}  notes")
for e in S["gateways"]:
    print(f"{e['src']:5} {e['dir']:3} {e['size']:>5} {f(e['secgw_mpps_median'],8)} {f(e.get('secgw_mpps_per_core_median'),10)} "
          f"{f(e['ours_mpps_median'],8)} {f(e['ratio_median'],6)}  {'; '.join(e.get('notes', []))}")
print(f"\nall runs: {sys.argv[1]}\nsummary:  {sys.argv[2]}")
PYEOF
