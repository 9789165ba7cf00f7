#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functional IKE load tests: build/ikeload against build/ipsecgw-ike and
# against strongSwan's charon, in the namespaces of perf/lib_bench.sh.
#
#   bash tests/interop/load.sh           run every case
#   bash tests/interop/load.sh -l        list the case names
#   bash tests/interop/load.sh REGEX...  run the cases matching any REGEX
#
# Cases:
#   load-200.us           200 IKE SAs (own IPv6 selectors each) against our
#                         daemon, all up, all deleted, list-sas empty after
#   load-200.charon       the same against charon (swanctl --list-sas empty)
#   flood.us              an IKE_SA_INIT flood from 192.0.2.3 plus 100
#                         legitimate SAs: >= 90 % complete, cookies switch
#                         on by themselves (stats cookies_sent > 0)
#   cookie.ss-init        charon initiates to our responder with
#                         force_cookies: it comes up, cookies_sent >= 1
#   leak.vanished-peer    500 SAs up from ikeload, which then exits without
#                         a Delete; no dpd_delay: our liveness check of idle
#                         SAs (liveness_idle 5 s here) finds every one dead,
#                         list-sas empty within 60 s
#   leak.busy             LOAD_BUSY_COUNT (default 5000; make interop: 50000)
#                         SAs brought up and deleted by ikeload (one try per
#                         message, 3 % of them dropped, so Deletes are lost
#                         and stay lost) while a flood
#                         of IKE_SA_INIT from 192.0.2.3 and list-sas calls
#                         keep the daemon busy: every SA whose Delete was
#                         lost is found by the liveness check, list-sas 0
#   list.us               LOAD_LIST_COUNT (default 20000) SAs up, listed by
#                         `ipsecgw-ctl list-sas` in pages: every SA once,
#                         with its fields; --limit, --state, --peer,
#                         summary; the metrics endpoint scraped 5 times,
#                         each counting every SA (its time reported, not
#                         asserted); then LOAD_LIST_PROBE (2000) handshakes
#                         twice, quiet and with list-sas in a loop: every
#                         listing taken under load holds each of the
#                         long-lived SAs exactly once; ikeload's p99 of the
#                         two runs is reported (a ratio, not asserted)
#
# Environment: IKELOAD_BIN, IKE_BIN, CTL_BIN (other binaries),
# LOAD_FLOOD_RATE (default 5000 IKE_SA_INIT/s), LOAD_FLOOR_PCT (default 90),
# IPGW_KEEP_LOGS=1 (keep logs of passing cases too; failed ones always go to
# build/interop-logs/load-NAME).
#
# Prints "PASS name" / "FAIL name: why" per case and a last line
# "N passed, M failed"; exits non-zero if a case failed.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=perf/lib_bench.sh
source "$HERE/../../perf/lib_bench.sh"

FLOOD_RATE=${LOAD_FLOOD_RATE:-5000}
FLOOR_PCT=${LOAD_FLOOR_PCT:-90}
LOAD_BUDGET_S=${LOAD_BUDGET_S:-240}     # whole run, wall clock

all_cases() {
	echo load-200.us
	echo load-200.charon
	echo flood.us
	echo cookie.ss-init
	echo leak.vanished-peer
	echo leak.busy
	echo list.us
}

WHY=""; NOTES=(); CDIR=""
fail() { WHY=$*; return 1; }
note() { NOTES+=("$*"); }

# check_json FILE KEY WANT: fails with a reason unless the value is WANT.
check_json() {
	local v; v=$(lb_json "$1" "$2")
	[ "$v" = "$3" ] || fail "ikeload JSON $2=${v:-<none>}, want $3 ($(ikeload_summary))"
}
ikeload_summary() { grep '^ikeload: [0-9]* of' "$CDIR/ikeload.out" 2>/dev/null | tail -n 1; }

case_load_us() {
	lb_us_conf "$CDIR"
	lb_us_start "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	lb_gen "$CDIR" "$CDIR/ikeload.json" --count 200 --inflight 64 --unique-ts --delete --timeout 60
	local rc=$?
	[ -s "$CDIR/ikeload.json" ] || fail "ikeload wrote no JSON (exit $rc): $(tail -n 2 "$CDIR/ikeload.out")" || return 1
	check_json "$CDIR/ikeload.json" established 200 || return 1
	check_json "$CDIR/ikeload.json" deleted 200 || return 1
	check_json "$CDIR/ikeload.json" failed 0 || return 1
	[ "$rc" = 0 ] || fail "ikeload exited $rc: $(ikeload_summary)" || return 1
	wait_until 5 us_empty || fail "ipsecgw-ctl list-sas still lists $(lb_us_nsas "$CDIR") IKE SAs after the deletes" || return 1
	local up; up=$(lb_us_stat "$CDIR" child_up)
	[ "${up:-0}" -ge 200 ] || fail "our stats child_up=$up, want >= 200" || return 1
	[ "$(us_event_count "$CDIR" CHILD_UP)" -ge 200 ] || fail "only $(us_event_count "$CDIR" CHILD_UP) 'event CHILD_UP' lines in our log" || return 1
	# --unique-ts: every CHILD SA got its own /128 (narrowed from 2001:db8:1::/64)
	local distinct
	distinct=$(grep -E 'event CHILD_UP' "$CDIR/us.log" | grep -o 'remote_ts=[^ ]*' | sort -u | grep -c '/128')
	[ "$distinct" -ge 200 ] || fail "only $distinct distinct /128 remote selectors in CHILD_UP events (want 200)" || return 1
	us_alive "$CDIR" || fail "ipsecgw-ike exited" || return 1
	note "$(ikeload_summary)"
}
us_empty() { [ "$(lb_us_nsas "$CDIR")" = 0 ]; }

case_load_charon() {
	lb_ss_conf "$CDIR"
	lb_ss_start "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	lb_gen "$CDIR" "$CDIR/ikeload.json" --count 200 --inflight 64 --unique-ts --delete --timeout 60
	local rc=$?
	[ -s "$CDIR/ikeload.json" ] || fail "ikeload wrote no JSON (exit $rc): $(tail -n 2 "$CDIR/ikeload.out")" || return 1
	check_json "$CDIR/ikeload.json" established 200 || return 1
	check_json "$CDIR/ikeload.json" deleted 200 || return 1
	check_json "$CDIR/ikeload.json" failed 0 || return 1
	[ "$rc" = 0 ] || fail "ikeload exited $rc: $(ikeload_summary)" || return 1
	wait_until 10 ss_empty || fail "swanctl --list-sas still lists $(ss_query "$CDIR" 'len(sas)') IKE SAs after the deletes" || return 1
	note "$(ikeload_summary)"
}
ss_empty() { [ "$(ss_query "$CDIR" 'len(sas)')" = 0 ]; }

case_flood_us() {
	local legit=100 secs=10 cs half est rc
	lb_us_conf "$CDIR"          # cookie_threshold 1000, force_cookies false
	lb_us_start "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	lb_flood_start "$CDIR" "$FLOOD_RATE" "$secs"
	# the flood has filled the half-open table once cookies are being sent
	wait_until 6 us_cookies_on || fail "no cookies sent within 6 s of a $FLOOD_RATE/s flood (stats: cookies_sent=$(lb_us_stat "$CDIR" cookies_sent) half_open=$(lb_us_stat "$CDIR" half_open))" || return 1
	lb_gen "$CDIR" "$CDIR/ikeload.json" --count "$legit" --inflight 16 --timeout $((secs - 5)) --retransmit-ms 500 --tries 4
	rc=$?
	# the flood must still have been running when the legitimate run ended
	kill -0 "$(cat "$CDIR/flood.pid")" 2>/dev/null || note "the flood had ended before the legitimate run did"
	cs=$(lb_us_stat "$CDIR" cookies_sent); half=$(lb_us_stat "$CDIR" half_open)
	lb_flood_wait "$CDIR" 30
	[ -s "$CDIR/ikeload.json" ] || fail "ikeload wrote no JSON (exit $rc): $(tail -n 2 "$CDIR/ikeload.out")" || return 1
	est=$(lb_json "$CDIR/ikeload.json" established)
	[ "${est:-0}" -ge $((legit * FLOOR_PCT / 100)) ] ||
		fail "only ${est:-0} of $legit legitimate SAs established under the flood (floor $FLOOR_PCT %): $(ikeload_summary); failures $(lb_json "$CDIR/ikeload.json" failures)" || return 1
	[ "${cs:-0}" -gt 0 ] || fail "stats cookies_sent=${cs:-none} after the flood" || return 1
	us_alive "$CDIR" || fail "ipsecgw-ike exited under the flood" || return 1
	note "legitimate: $est of $legit up ($(ikeload_summary | sed 's/^ikeload: //')); flood: $(lb_json "$CDIR/flood.json" flood_sent) IKE_SA_INIT sent; responder: cookies_sent=$cs half_open=$half"
}
us_cookies_on() { [ "$(lb_us_stat "$CDIR" cookies_sent)" -gt 0 ] 2>/dev/null; }

case_cookie_ss_init() {
	local cs
	LB_FORCE_COOKIES=true
	lb_us_conf "$CDIR"
	lb_us_start "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	# charon initiator at 192.0.2.2 in the generator namespace
	SS_PSK=$LB_PSK; SS_LOGLEVEL=1
	ss_gen_conf "$CDIR" "$LB_GEN_IP" "$LB_RESP_IP" 198.51.100.0/24 203.0.113.0/24
	ss_start "$LB_GEN_NS" "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	ss_swanctl "$CDIR" --initiate --child net --timeout 15 >"$CDIR/swanctl-initiate.out" 2>&1 ||
		fail "swanctl --initiate failed: $(grep -v '^\[' "$CDIR/swanctl-initiate.out" | tail -n 1) $(grep -m1 -i cookie "$CDIR/swanctl-initiate.out")" || return 1
	cs=$(lb_us_stat "$CDIR" cookies_sent)
	[ "${cs:-0}" -ge 1 ] || fail "our stats cookies_sent=${cs:-none}, want >= 1" || return 1
	wait_until 5 us_has_event "$CDIR" CHILD_UP || fail "no 'event CHILD_UP' in our log" || return 1
	[ "$(ss_query "$CDIR" 'sum(1 for sa in sas if sa.get("state") == "ESTABLISHED")')" = 1 ] ||
		fail "swanctl does not list one ESTABLISHED IKE_SA" || return 1
	grep -q 'COOKIE' "$CDIR/charon.log" && note "charon: $(grep -m1 -i 'cookie' "$CDIR/charon.log" | cut -c1-120)"
	note "cookies_sent=$cs"
}

case_leak() {
	local t0 dt
	LB_LIVENESS_IDLE=5
	lb_us_conf "$CDIR"
	lb_us_start "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	lb_gen "$CDIR" "$CDIR/ikeload.json" --count 500 --inflight 64 --unique-ts --timeout 60
	check_json "$CDIR/ikeload.json" established 500 || return 1
	[ "$(lb_us_nsas "$CDIR")" = 500 ] || fail "list-sas lists $(lb_us_nsas "$CDIR") IKE SAs, want 500 before the peer vanishes" || return 1
	t0=$(ipgw_now_ms)
	wait_until 60 us_empty || fail "$(lb_us_nsas "$CDIR") IKE SAs still listed 60 s after the peer vanished" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	note "500 IKE SAs of a peer gone without a Delete: all freed $((dt / 10)).$((dt % 10)) s later (liveness_idle 5 s, 3 retransmissions)"
}

# The daemon kept busy while ikeload brings COUNT SAs up and deletes them
# with one try per message: what it could not take is lost, Deletes
# included, and the SAs they were for must still go (liveness check).
case_leak_busy() {
	local n=${LOAD_BUSY_COUNT:-5000} t0 dt left est del lister dead
	LB_LIVENESS_IDLE=5
	lb_us_conf "$CDIR"
	lb_us_start "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	lb_flood_start "$CDIR" 2000 $((n / 500 + 20))
	(while kill -0 "$(cat "$CDIR/flood.pid")" 2>/dev/null; do
		us_ctl "$CDIR" list-sas >/dev/null 2>&1
	done) &
	lister=$!
	ipgw_track_pid "$lister"
	# and 3 % of ikeload's datagrams lost on the way in, so that some
	# Deletes are lost for certain, whatever the machine's speed
	ip netns exec "$LB_RESP_NS" nft -f - <<NFT || fail "nft could not install the loss rule" || return 1
table inet ipgw_busy {
	chain in { type filter hook input priority 0; ip saddr $LB_GEN_IP udp dport 500 numgen random mod 100 < 3 drop; }
}
NFT
	lb_gen "$CDIR" "$CDIR/ikeload.json" --count "$n" --inflight 256 --delete --tries 1 \
		--timeout $((n / 100 + 60)) --quiet
	est=$(lb_json "$CDIR/ikeload.json" established)
	del=$(lb_json "$CDIR/ikeload.json" deleted)
	ipgw_kill_pid "$(cat "$CDIR/flood.pid")" 2
	ipgw_kill_pid "$lister" 2
	left=$(us_query "$CDIR" "len([s for s in sas if s.get('state') == 'ESTABLISHED'])")
	[ "${est:-0}" -gt 0 ] || fail "ikeload established no SA: $(ikeload_summary)" || return 1
	t0=$(ipgw_now_ms)
	wait_until 120 us_empty || fail "$(lb_us_nsas "$CDIR") IKE SAs still listed 120 s after ikeload ended ($left right after)" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	us_alive "$CDIR" || fail "ipsecgw-ike exited" || return 1
	# SAs whose Delete was lost, found by the liveness check during the run
	# or after it; none would mean the case tested nothing
	dead=$(grep -c 'declaring the peer dead' "$CDIR/us.log")
	[ "$dead" -gt 0 ] || fail "no SA was found dead: no Delete was lost, the case tests nothing ($(ikeload_summary))" || return 1
	note "$dead IKE SAs found dead by the liveness check; $n SAs asked for under a 2000/s IKE_SA_INIT flood, list-sas in a loop and 3 % of ikeload's datagrams dropped: $est up, $del deleted by ikeload, ${left:-?} established SAs left behind by lost messages; all SAs (half-open ones of the flood too) freed $((dt / 10)).$((dt % 10)) s later (liveness_idle 5 s)"
}

# list_to FILE ARGS...: ipsecgw-ctl list-sas ARGS (JSON: stdout is a file).
list_to() {
	local f=$1; shift
	timeout 60 "$CTL_BIN" -s "$CDIR/ctl.sock" list-sas "$@" >"$f" 2>>"$CDIR/ctl.err"
}

# check_listing FILE N [IDS]: FILE holds N ESTABLISHED SAs, ids unique,
# newest first, each with the listing's fields; with IDS (a file of ids,
# one a line): every one of them exactly once, other SAs allowed.
check_listing() {
	"$PYTHON" - "$@" <<'PY'
import json, sys
sas = json.load(open(sys.argv[1]))["sas"]
n = int(sys.argv[2])
ids = [s["id"] for s in sas]
if len(set(ids)) != len(ids):
    sys.exit("duplicate ids in the listing")
if ids != sorted(ids, reverse=True):
    sys.exit("listing not newest first")
if len(sys.argv) > 3:
    want = [int(x) for x in open(sys.argv[3]).read().split()]
    seen = set(ids)
    missing = [i for i in want if i not in seen]
    if missing:
        sys.exit("%d long-lived SAs missing (first %s) of %d listed" % (len(missing), missing[:3], len(ids)))
    sys.exit(0)
est = [s for s in sas if s.get("state") == "ESTABLISHED"]
if len(est) != n:
    sys.exit("%d ESTABLISHED SAs listed, want %d" % (len(est), n))
for s in est:
    c = s.get("children") or []
    if not s.get("peer_id") or s.get("uptime_s") is None or len(c) != 1 or c[0].get("uptime_s") is None:
        sys.exit("SA %s lacks peer_id, uptime_s or its CHILD SA: %s" % (s["id"], json.dumps(s)[:300]))
PY
}

# page_times SOCKET: every page fetched by hand, each round trip timed
# (the daemon serves one request at a time from its event loop: a page's
# round trip bounds how long IKE waited for it).
page_times() {
	"$PYTHON" - "$1" <<'PY'
import json, socket, sys, time
cur, sizes, ms = None, [], []
while True:
    req = {"cmd": "list-sas"}
    if cur:
        req["cursor"] = cur
    t = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall((json.dumps(req) + "\n").encode())
    buf = b""
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        buf += d
    s.close()
    ms.append((time.monotonic() - t) * 1000)
    r = json.loads(buf)
    sizes.append(len(r["sas"]))
    cur = r.get("next")
    if not cur or len(ms) > 10000:
        break
print("%d pages of %d-%d SAs, round trip %.1f ms mean, %.1f ms max" % (len(ms), min(sizes), max(sizes), sum(ms) / len(ms), max(ms)))
PY
}

# scrape_times DIR N: 5 scrapes of the daemon's metrics endpoint (served
# on its event loop); each must count the N SAs of connection load. Prints
# the median time and the size; the time is reported, not asserted.
scrape_times() {
	local dir=$1 n=$2 t ts=()
	for _ in 1 2 3 4 5; do
		t=$(ip netns exec "$LB_RESP_NS" curl -s -o "$dir/metrics.txt" -w '%{time_total}' \
			http://127.0.0.1:9469/metrics) || { echo "curl failed"; return 1; }
		ts+=("$t")
	done
	grep -qx "ipsecgw_ike_conn_sas{conn=\"load\"} $n" "$dir/metrics.txt" ||
		{ echo "no ipsecgw_ike_conn_sas{conn=\"load\"} $n in the scrape"; return 1; }
	"$PYTHON" -c 'import sys
t = sorted(float(x) * 1000 for x in sys.argv[3:])
print("scrape of %s bytes with %s SAs: median %.1f ms (%s ms)" % (sys.argv[1], sys.argv[2], t[2], " ".join("%.1f" % x for x in t)))' \
		"$(stat -c %s "$dir/metrics.txt")" "$n" "${ts[@]}"
}

# The daemon's SAs listed in pages while ikeload works: complete listings,
# and ikeload's p99 with and without a listing in a loop.
case_list_us() {
	local n=${LOAD_LIST_COUNT:-20000} m=${LOAD_LIST_PROBE:-2000} rss0 rss1 t0 dt why k=0 lister
	local p99q p99b nl pages sdt scrape
	LB_METRICS=127.0.0.1:9469 lb_us_conf "$CDIR"
	lb_us_start "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	rss0=$(lb_rss_kib "$(us_pid "$CDIR")")
	lb_gen "$CDIR" "$CDIR/up.json" --count "$n" --inflight 128 --timeout $((n / 50 + 60)) --quiet
	check_json "$CDIR/up.json" established "$n" || return 1
	rss1=$(lb_rss_kib "$(us_pid "$CDIR")")
	t0=$(ipgw_now_ms)
	list_to "$CDIR/all.json" || fail "list-sas failed: $(tail -n 1 "$CDIR/ctl.err")" || return 1
	dt=$(($(ipgw_now_ms) - t0))
	why=$(check_listing "$CDIR/all.json" "$n" 2>&1) || fail "list-sas of $n SAs: $why" || return 1
	pages=$(page_times "$CDIR/ctl.sock" 2>&1) || fail "pages by hand: $pages" || return 1
	"$PYTHON" -c 'import json,sys; print("\n".join(str(s["id"]) for s in json.load(open(sys.argv[1]))["sas"]))' \
		"$CDIR/all.json" >"$CDIR/ids"
	list_to "$CDIR/lim.json" --limit 10 && why=$(check_listing "$CDIR/lim.json" 10 2>&1) ||
		fail "list-sas --limit 10: ${why:-failed}" || return 1
	list_to "$CDIR/peer.json" --peer "$LB_GEN_IP" --state ESTABLISHED && why=$(check_listing "$CDIR/peer.json" "$n" 2>&1) ||
		fail "list-sas --peer $LB_GEN_IP --state ESTABLISHED: ${why:-failed}" || return 1
	list_to "$CDIR/none.json" --state HALF_OPEN --peer 192.0.2.99 && why=$(check_listing "$CDIR/none.json" 0 2>&1) ||
		fail "list-sas --peer 192.0.2.99: ${why:-failed}" || return 1
	t0=$(ipgw_now_ms)
	timeout 20 "$CTL_BIN" -s "$CDIR/ctl.sock" summary >"$CDIR/summary.json" 2>>"$CDIR/ctl.err"
	sdt=$(($(ipgw_now_ms) - t0))
	[ "$(lb_json "$CDIR/summary.json" conns.load.ESTABLISHED)" = "$n" ] ||
		fail "summary: $(head -c 200 "$CDIR/summary.json"), want $n ESTABLISHED of load" || return 1
	scrape=$(scrape_times "$CDIR" "$n" 2>&1) || fail "metrics with $n SAs: $scrape" || return 1
	lb_gen "$CDIR" "$CDIR/quiet.json" --count "$m" --inflight 64 --delete --timeout 120 --quiet
	check_json "$CDIR/quiet.json" established "$m" || return 1
	# the listing loop beside ikeload, at the lowest priority: ikeload's
	# own CPU is not what is measured
	(while [ ! -e "$CDIR/stop" ]; do
		list_to "$CDIR/loop.tmp" && mv "$CDIR/loop.tmp" "$CDIR/loop.$k.json"
		k=$((k + 1))
	done) &
	lister=$!
	ipgw_track_pid "$lister"
	taskset -a -p -c "$LB_GEN_CPU" "$lister" >/dev/null 2>&1
	renice -n 19 -p "$lister" >/dev/null 2>&1
	lb_gen "$CDIR" "$CDIR/busy.json" --count "$m" --inflight 64 --delete --timeout 120 --quiet
	touch "$CDIR/stop"
	wait_until 60 bash -c "! kill -0 $lister 2>/dev/null" || ipgw_kill_pid "$lister" 2
	check_json "$CDIR/busy.json" established "$m" || return 1
	nl=$(find "$CDIR" -name 'loop.*.json' | wc -l)
	[ "$nl" -gt 0 ] || fail "no listing completed while ikeload ran" || return 1
	for f in $(find "$CDIR" -name 'loop.*.json' | sort | head -n 2); do
		why=$(check_listing "$f" 0 "$CDIR/ids" 2>&1) || fail "a listing under load ($f): $why" || return 1
	done
	p99q=$(lb_json "$CDIR/quiet.json" latency_ms.p99)
	p99b=$(lb_json "$CDIR/busy.json" latency_ms.p99)
	note "$n SAs: RSS $(( (rss1 - rss0) * 1024 / n )) B per SA; whole listing (all pages, the CLI's JSON) $dt ms; $pages; summary $sdt ms (ipsecgw-ctl's whole run); $nl listings under load, each holding all $n long-lived SAs once"
	note "metrics: $scrape"
	note "ikeload p99 of $m handshakes: $p99q ms quiet, $p99b ms with list-sas in a loop (ratio $("$PYTHON" -c "print('%.2f' % ($p99b / max($p99q, 0.1)))"))"
}

run_case() {
	lb_defaults
	ss_defaults
	case $1 in
	load-200.us)     case_load_us ;;
	load-200.charon) case_load_charon ;;
	flood.us)        case_flood_us ;;
	cookie.ss-init)  case_cookie_ss_init ;;
	leak.vanished-peer) case_leak ;;
	leak.busy)          case_leak_busy ;;
	list.us)            case_list_us ;;
	*)               fail "unknown case" ;;
	esac
}

# stop_all: whatever a case started (our daemon, charon, a flood)
stop_all() {
	local pid
	pid=$(cat "$CDIR/flood.pid" 2>/dev/null) && ipgw_kill_pid "$pid" 2
	us_stop "$CDIR"
	ss_stop "$CDIR"
	return 0
}

show_logs() {
	local f
	for f in us_error ss_error; do [ -s "$CDIR/$f" ] && sed 's/^/  | /' "$CDIR/$f"; done
	for f in ikeload.out flood.out us.log charon.log swanctl-initiate.out; do
		[ -s "$CDIR/$f" ] || continue
		echo "  ---- $f (last ${IPGW_TAIL_LINES:-12} lines) ----"
		tail -n "${IPGW_TAIL_LINES:-12}" "$CDIR/$f" | cut -c1-240 | sed 's/^/  | /'
	done
}

# ---------------------------------------------------------------- main

if [ "${1:-}" = -l ]; then all_cases; exit 0; fi
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,26p' "$0"; exit 0; fi

ipgw_select_cases "$@" || { echo "no case matches: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

ipgw_require_root || { echo "0 passed, 1 failed"; exit 1; }
for tool in ip taskset swanctl "$CHARON" "$PYTHON" unshare timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "load: missing tool $tool (run: make deps)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done
for b in "$IKELOAD_BIN" "$IKE_BIN" "$CTL_BIN"; do
	if [ ! -x "$b" ]; then
		echo "load: $b not built (make)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done

trap 'lb_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
lb_init || { echo "0 passed, 1 failed"; exit 1; }
lb_ns_setup || { echo "FAIL setup: could not create the namespaces"; echo "0 passed, 1 failed"; exit 1; }

PASSED=0; FAILED=0
RUN_T0=$(ipgw_now_ms)
for CASE in "${SELECTED[@]}"; do
	CDIR=$(lb_newdir "$CASE")
	WHY=""; NOTES=()
	t0=$(ipgw_now_ms)
	if (( ($(ipgw_now_ms) - RUN_T0) / 1000 > LOAD_BUDGET_S )); then
		WHY="not run: time budget of $LOAD_BUDGET_S s exhausted"; ok=1
	else
		run_case "$CASE"; ok=$?
		if [ -f "$CDIR/us.pid" ] && ! us_alive "$CDIR" && [ ! -s "$CDIR/us_error" ]; then
			wait "$(us_pid "$CDIR")" 2>/dev/null; st=$?
			WHY="ipsecgw-ike died during the case with status $st${WHY:+; first problem: $WHY}"; ok=1
		fi
	fi
	stop_all
	secs=$(( ($(ipgw_now_ms) - t0) / 100 ))
	if [ "$ok" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "PASS $CASE ($((secs / 10)).$((secs % 10)) s)"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		[ "${IPGW_KEEP_LOGS:-0}" = 1 ] && ipgw_keep_logs "$CDIR" "load-$CASE"
	else
		FAILED=$((FAILED + 1))
		echo "FAIL $CASE: ${WHY:-unknown reason}"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		show_logs
		ipgw_keep_logs "$CDIR" "load-$CASE"
	fi
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
