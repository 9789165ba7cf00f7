#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A/B of the whole gateway between two revisions, for changes that
# perf/ab.sh's in-binary switch cannot express (moved code, a new file
# layout, a different inlining).
#
#   bash perf/ab_rev.sh BASE_REV [ROUNDS] [CASES] [SECS]
#        (default ROUNDS 5, CASES "gcm:out:64 gcm:in:64 gcm:out:512 gcm:in:512
#         gcm:out:1420 gcm:in:1420 cbc:out:64 cbc:in:64", SECS 3)
#
# Builds BASE_REV's build/ipsecgw in a temporary worktree and this tree's
# build/ipsecgw, then runs perf/fp_bench.sh on the zero-copy source for one
# binary and then the other, case by case, the order swapped every round so
# that neither always runs first after a pause. Prints per case the median
# Mpps of each, the median of the per-round ratios new/base and their range.
# Root (hugepages), like fp_bench.sh; takes ~ROUNDS x cases x 2 x (SECS + 6) s.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${1:?usage: perf/ab_rev.sh BASE_REV [ROUNDS] [CASES] [SECS]}
ROUNDS=${2:-5}
CASES=${3:-"gcm:out:64 gcm:in:64 gcm:out:512 gcm:in:512 gcm:out:1420 gcm:in:1420 cbc:out:64 cbc:in:64"}
SECS=${4:-3}
OUT=$ROOT/build/ab_rev
WT=$(mktemp -d /tmp/ab_rev.XXXXXX)
trap 'git -C "$ROOT" worktree remove --force "$WT" >/dev/null 2>&1 || rm -rf "$WT"' EXIT

mkdir -p "$OUT"
git -C "$ROOT" worktree add --detach "$WT" "$BASE" >/dev/null
make -s -C "$WT" build/ipsecgw
make -s -C "$ROOT" all
cp "$WT/build/ipsecgw" "$OUT/ipsecgw.base"
cp "$ROOT/build/ipsecgw" "$OUT/ipsecgw.new"
: >"$OUT/runs.txt"

# one RUN: prints the gateway's Mpps for one case with one binary
one() {
	local bin=$1 alg=$2 dir=$3 size=$4 o=$OUT/fpb
	rm -rf "$o"
	FPB_OURS_BIN=$bin FPB_GWS=ours FPB_PARTS=gw FPB_SRCS=zc FPB_DIRS="$dir" \
		FPB_ALGS="$alg" FPB_SIZES="$size" FPB_PAIRS=1 FPB_SECS="$SECS" \
		FPB_OUT="$o" bash "$ROOT/perf/fp_bench.sh" >/dev/null 2>&1 || true
	python3 - "$o/fastpath.runs.jsonl" <<'EOF'
import json, sys
m = 0.0
try:
    for line in open(sys.argv[1]):
        d = json.loads(line)
        if d.get("bench") == "gateway" and d.get("valid"):
            m = d.get("mpps") or 0.0
except OSError:
    pass
print("%.4f" % m)
EOF
}

for r in $(seq 1 "$ROUNDS"); do
	for c in $CASES; do
		IFS=: read -r alg dir size <<<"$c"
		order="base new"; [ $((r % 2)) = 0 ] && order="new base"
		for v in $order; do
			echo "$r $c $v $(one "$OUT/ipsecgw.$v" "$alg" "$dir" "$size")" | tee -a "$OUT/runs.txt"
		done
	done
done

python3 - "$OUT/runs.txt" "$BASE" "$(git -C "$ROOT" rev-parse --short HEAD)" <<'EOF'
import statistics as st, sys
runs = {}
for line in open(sys.argv[1]):
    r, case, v, mpps = line.split()
    runs.setdefault(case, {}).setdefault(r, {})[v] = float(mpps)
print("A/B %s (base) vs %s (new), Mpps medians, ratio new/base per round:" % (sys.argv[2], sys.argv[3]))
for case, rounds in runs.items():
    pairs = [(d["base"], d["new"]) for d in rounds.values()
             if d.get("base", 0) > 0 and d.get("new", 0) > 0]
    if not pairs:
        print("%-14s no valid pair" % case)
        continue
    ratios = sorted(n / b for b, n in pairs)
    print("%-14s base %.3f  new %.3f  ratio median %.3f  range %.3f-%.3f  (%d pairs)" % (
        case, st.median(b for b, _ in pairs), st.median(n for _, n in pairs),
        st.median(ratios), ratios[0], ratios[-1], len(pairs)))
EOF
