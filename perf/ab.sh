#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# In-process A/B of a fast-path change on the zero-copy source.
#
#   bash perf/ab.sh [DIRS] [SIZES] [SECS] [ALG]     (default: "out in" "64 512 1420" 20 gcm)
#
# Separate runs of the same gateway on the shared 2-vCPU machines differ by
# up to 2x (the host moves the vCPUs; perf/fastpath_results.md), which
# hides any change worth less than that unless many runs are interleaved.
# Here one gateway runs both variants: write the change as
#
#   #ifdef FP_AB
#       if (fp_ab_mode) { variant B } else { variant A }
#   #endif
#
# (fastpath/worker.h declares fp_ab_mode), and this script builds
# build/ab/ipsecgw with -DFP_AB, in which the worker flips fp_ab_mode every
# 2^26 TSC cycles and reports the packets per second of each mode when it
# stops. It runs the gateway with perf/fp_bench.sh (ours only, zero-copy
# source, one run per case) and prints one line per case: the rates of A
# (mode 0) and B (mode 1) and B / A. Identical variants give 1.000 +- 0.004
# in 20 s runs. Root (hugepages), like fp_bench.sh. Never part of `make`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIRS=${1:-"out in"}
SIZES=${2:-"64 512 1420"}
SECS=${3:-20}
ALG=${4:-gcm}
OUT=$ROOT/build/ab/bench

make -s -C "$ROOT" BUILD=build/ab OPT="-O2 -DFP_AB" build/ab/ipsecgw
for d in $DIRS; do
	for s in $SIZES; do
		FPB_OURS_BIN=$ROOT/build/ab/ipsecgw FPB_GWS=ours FPB_PARTS=gw FPB_SRCS=zc \
			FPB_DIRS="$d" FPB_ALGS="$ALG" FPB_SIZES="$s" FPB_PAIRS=1 FPB_SECS="$SECS" \
			FPB_OUT="$OUT" bash "$ROOT/perf/fp_bench.sh" >/dev/null 2>&1 || true
		line=$(grep -h '^fp_ab:' "$OUT/fp_work/ours-zc-$ALG-$d-$s.log" 2>/dev/null || true)
		echo "$ALG $d $s ${line:-no fp_ab line (see $OUT/fp_work/ours-zc-$ALG-$d-$s.log)}"
	done
done
