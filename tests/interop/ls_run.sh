#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Libreswan interoperability: build/ipsecgw-ike against Libreswan's pluto 4.10
# (Debian 12), the second real IKEv2 peer beside strongSwan (tests/interop/run.sh).
#
#   bash tests/interop/ls_run.sh              run every case
#   bash tests/interop/ls_run.sh -l           list the case names
#   bash tests/interop/ls_run.sh REGEX...     run the cases whose name matches
#
# pluto comes from scripts/libreswan.sh (the .deb extracted into
# $LIBRESWAN_ROOT, default /var/cache/ipsecgw/libreswan: the package conflicts
# with strongswan-charon). It runs in its own namespace ($SS_NS of lib.sh, at
# 192.0.2.2 with 203.0.113.0/24 behind it) with a private mount namespace
# that lays the extracted libexec over /usr/libexec (pluto runs addconn from
# there).
#
# The kernel has no ESP, and pluto gives up a CHILD SA it cannot install (as
# initiator it even deletes the IKE SA, without a Delete). So pluto runs with
# build/tests/interop/ls_fakesa.so preloaded, which acknowledges its XFRM
# state requests (new, update, delete, query) itself: pluto then believes its
# CHILD SAs installed and every IKE exchange (CREATE_CHILD_SA rekeys
# included) can be tested. No packet is protected: there is no traffic or key
# check here (strongSwan's run.sh does that with tshark).
#
# cert.us-init / cert.ls-init: certificates (ECDSA P-256 both ends, chains
# through an intermediate; the PKI of cert_pki.sh), pluto's in its NSS
# database.
#
# Environment: IKE_BIN / CTL_BIN, LIBRESWAN_ROOT, IPGW_KEEP_LOGS=1,
# IPGW_LOG_DIR, IPGW_TAIL_LINES. Prints "PASS name" / "FAIL name: why" per
# case and ends with "N passed, M failed"; exits non-zero if any case failed.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
US_NS=${US_NS:-ipgw-lsus-$$}
SS_NS=${SS_NS:-ipgw-ls-$$}
# shellcheck source=tests/interop/lib.sh
source "$HERE/lib.sh"
# shellcheck source=tests/interop/cert_pki.sh
source "$HERE/cert_pki.sh"

LS_ROOT=${LIBRESWAN_ROOT:-/var/cache/ipsecgw/libreswan}
PLUTO=$LS_ROOT/usr/libexec/ipsec/pluto
WHACK=$LS_ROOT/usr/libexec/ipsec/whack
FAKESA=${LS_FAKESA:-$IPGW_ROOT/build/tests/interop/ls_fakesa.so}
LS_IP=$SS_IP
LS_NET=$SS_NET
BUDGET_S=${IPGW_LS_BUDGET_S:-480}   # whole run, wall clock

# ---------------------------------------------------------------- case list

# OURS|PLUTO_IKE|PLUTO_ESP: our ike/esp proposals (space-separated; "-" =
# the daemon's defaults) and pluto's ike=/esp= ("-" = its defaults)
SUITES=(
	"default|-|-|-|-"
	"aes256-sha256-modp2048|aes256-sha256-modp2048|aes256-sha256|aes256-sha2_256-modp2048|aes256-sha2_256"
	"chacha20poly1305-prfsha256-x25519|chacha20poly1305-prfsha256-x25519|chacha20poly1305|chacha20_poly1305-sha2_256-dh31|chacha20_poly1305"
)

all_cases() {
	local s
	for s in "${SUITES[@]}"; do
		echo "${s%%|*}.us-init"
		echo "${s%%|*}.ls-init"
	done
	echo child-rekey.by-us
	echo child-rekey.by-ls
	echo child-rekey.by-us.no-pfs
	echo child-rekey.by-ls.no-pfs
	echo child-rekey.pfs-mismatch
	echo ike-rekey.by-us
	echo ike-rekey.by-ls
	echo delete.by-us
	echo delete.by-ls
	echo dpd.liveness
	echo dpd.ls-killed
	echo dpd.us-killed
	echo restart.ls-killed.initial-contact
	echo restart.ls-killed.dpd-restart
	echo restart.ls-killed.stale-sa
	echo restart.us-killed
	echo restart.us-killed.uniqueids-no
	echo cert.us-init
	echo cert.ls-init
}

# ---------------------------------------------------------------- pluto

ls_defaults() {
	LS_IKE=""              # pluto's ike= ("" = its defaults)
	LS_ESP=""
	LS_PFS=yes             # pluto's default: a CHILD SA rekey carries KE
	LS_AUTO=add
	LS_DPD_DELAY=0
	LS_DPD_ACTION=clear
	LS_INITIAL_CONTACT=no  # pluto's default
	LS_UNIQUEIDS=no        # replace an older IKE SA only on INITIAL_CONTACT
	LS_PSK="interop-test-psk-0123456789"
}
ls_defaults

# ls_gen_conf DIR: DIR/ipsec.conf and DIR/ipsec.secrets for connection c1.
ls_gen_conf() {
	local dir=$1
	{
		echo "config setup"
		echo "    plutodebug=base"
		echo "    uniqueids=$LS_UNIQUEIDS"
		echo "conn c1"
		echo "    keyexchange=ike"
		echo "    ikev2=insist"
		echo "    left=$LS_IP"
		echo "    leftid=$LS_IP"
		echo "    leftsubnet=$LS_NET"
		echo "    right=$US_IP"
		echo "    rightid=$US_IP"
		echo "    rightsubnet=$US_NET"
		echo "    authby=secret"
		echo "    auto=$LS_AUTO"
		echo "    rekey=no"
		echo "    pfs=$LS_PFS"
		echo "    encapsulation=no"
		echo "    mobike=no"
		# no routes or firewall rules: only IKE is under test
		echo "    leftupdown=/bin/true"
		echo "    retransmit-interval=500"
		echo "    retransmit-timeout=8s"
		echo "    initial-contact=$LS_INITIAL_CONTACT"
		[ -n "$LS_IKE" ] && echo "    ike=$LS_IKE"
		[ -n "$LS_ESP" ] && echo "    esp=$LS_ESP"
		if [ "$LS_DPD_DELAY" != 0 ]; then
			echo "    dpddelay=$LS_DPD_DELAY"
			echo "    dpdtimeout=$((LS_DPD_DELAY * 5))"
			echo "    dpdaction=$LS_DPD_ACTION"
		fi
	} >"$dir/ipsec.conf"
	echo "$LS_IP $US_IP : PSK \"$LS_PSK\"" >"$dir/ipsec.secrets"
	chmod 600 "$dir/ipsec.secrets"
}

# ls_nss_template: one empty NSS database per run, copied into each case.
ls_nss_template() {
	mkdir -p "$IPGW_WORK/nss" &&
		certutil -N -d "sql:$IPGW_WORK/nss" --empty-password >/dev/null 2>&1
}

ls_listening() { [ "$(grep -c "adding UDP interface v1 $LS_IP:500" "$1/pluto.log" 2>/dev/null)" -gt "$2" ] && [ -S "$1/run/pluto.ctl" ]; }

# ls_start NS DIR: starts pluto (appending to DIR/pluto.log) and waits until
# it listens on the test link.
ls_start() {
	local ns=$1 dir=$2 pid before
	mkdir -p "$dir/run"
	[ -d "$dir/nss" ] || cp -a "$IPGW_WORK/nss" "$dir/nss"
	# a pluto killed with -9 leaves its lock and socket behind
	rm -f "$dir/run/pluto.pid" "$dir/run/pluto.ctl"
	before=$(grep -c "adding UDP interface v1 $LS_IP:500" "$dir/pluto.log" 2>/dev/null)
	echo "==== ls_run: pluto started $(date +%T.%N)" >>"$dir/pluto.log"
	# shellcheck disable=SC2016  # expanded by the inner sh
	ip netns exec "$ns" unshare -m sh -c \
		'mount -t overlay overlay -o "lowerdir=$1/usr/libexec:/usr/libexec" /usr/libexec &&
		 LD_PRELOAD="$2" exec "$1/usr/libexec/ipsec/pluto" --config "$3/ipsec.conf" --nofork \
		   --stderrlog --rundir "$3/run" --nssdir "$3/nss" --dumpdir "$3/run" \
		   --secretsfile "$3/ipsec.secrets" --ipsecdir "$3" --log-no-time' \
		sh "$LS_ROOT" "$FAKESA" "$dir" >>"$dir/pluto.log" 2>&1 </dev/null &
	pid=$!
	ipgw_track_pid "$pid"
	echo "$pid" >"$dir/pluto.pid"
	if ! wait_until 15 ls_listening "$dir" "${before:-0}"; then
		echo "pluto did not listen on $LS_IP:500 within 15 s: $(grep -v '^|' "$dir/pluto.log" | tail -n 2 | tr '\n' ' ')" >"$dir/ls_error"
		return 1
	fi
}

ls_pid() { cat "$1/pluto.pid" 2>/dev/null; }
ls_stop() { ipgw_kill_pid "$(ls_pid "$1")" 3; }
ls_kill9() {
	local pid; pid=$(ls_pid "$1")
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

ls_whack() {
	local dir=$1; shift
	timeout 20 "$WHACK" --rundir "$dir/run" "$@"
}

# pluto's states: "#N: "c1":500 STATE_V2_ESTABLISHED_IKE_SA ..." and, for a
# CHILD SA, a second line "#N: "c1" esp.SPI@DST esp.SPI@DST ...".
ls_states() { ls_whack "$1" --showstates 2>/dev/null; }
ls_ike_count() { ls_states "$CDIR" | grep -c 'STATE_V2_ESTABLISHED_IKE_SA'; }
ls_child_count() { ls_states "$CDIR" | grep -c 'STATE_V2_ESTABLISHED_CHILD_SA'; }

# "in out" SPIs of each of pluto's CHILD SAs (in: the SA to pluto's address).
ls_child_spis() { ls_states "$CDIR" | ls_spi_pairs; }
ls_spi_pairs() {
	local a b t s in out
	grep -oE 'esp\.[0-9a-f]+@[0-9.]+ esp\.[0-9a-f]+@[0-9.]+' |
		while read -r a b; do
			in=""; out=""
			for t in "$a" "$b"; do
				s=${t%@*}; s=$(norm_spi "${s#esp.}")
				if [ "${t#*@}" = "$LS_IP" ]; then in=$s; else out=$s; fi
			done
			echo "$in $out"
		done
}

# "spi_i spi_r" of each established IKE SA of pluto, from its debug log since
# its last start (the hash-table line that files a state under both SPIs).
ls_ike_spis() {
	local n from log=$CDIR/pluto.log
	from=$(grep -n '^==== ls_run: pluto started' "$log" | tail -n 1 | cut -d: -f1)
	for n in $(ls_states "$CDIR" | grep 'STATE_V2_ESTABLISHED_IKE_SA' | sed -E 's/^[^#]*#([0-9]+):.*/\1/'); do
		tail -n "+${from:-1}" "$log" |
			grep -E "ike_spis@[^ ]* \"c1\" #$n: ([0-9a-f]{2} +){16}added to hash table" | tail -n 1 |
			sed -E 's/.*#[0-9]+: (([0-9a-f]{2} +){16})added.*/\1/' | tr -d ' ' |
			sed -E 's/^(.{16})(.{16})$/\1 \2/'
	done
}

# ls_log_has REGEX: pluto's log (not its debug lines) has a matching line.
ls_log_has() { grep -v '^|' "$CDIR/pluto.log" 2>/dev/null | grep -qE -- "$1"; }

# pluto's names for the algorithms in its "established" lines, in our
# spelling (for algs_match).
ls_alg_alias() {
	local t res=()
	local vals
	# "{cipher=A integ=B prf=C group=D}" or "xfrm=A-B": the values only
	vals=$(tr -s '{} -' '\n' <<<"${1^^}" | sed -n -e 's/^[A-Z]*=//' -e '/^[A-Z0-9_]*$/p' | grep .)
	for t in $vals; do
		case $t in
		N/A|NONE) continue ;;
		AES_GCM_16_128) t=aes128gcm16 ;;
		AES_GCM_16_256) t=aes256gcm16 ;;
		AES_CBC_128) t=aes128 ;;
		AES_CBC_256) t=aes256 ;;
		CHACHA20_POLY1305|CHACHA20_POLY1305_256) t=chacha20poly1305 ;;
		HMAC_SHA2_256_128) t=sha256 ;;
		HMAC_SHA2_384_192) t=sha384 ;;
		HMAC_SHA2_512_256) t=sha512 ;;
		HMAC_SHA2_256) t=prfsha256 ;;
		HMAC_SHA2_384) t=prfsha384 ;;
		HMAC_SHA2_512) t=prfsha512 ;;
		DH19) t=ecp256 ;;
		DH20) t=ecp384 ;;
		DH21) t=ecp521 ;;
		DH31) t=x25519 ;;
		MODP2048) t=modp2048 ;;
		MODP3072) t=modp3072 ;;
		*) t="unmapped-$t" ;;
		esac
		res+=("$t")
	done
	echo "${res[*]}"
}

# ---------------------------------------------------------------- case plumbing

WHY=""
NOTES=()
CDIR=""
CASE=""
fail() { WHY=$*; return 1; }
note() { NOTES+=("$*"); }

start_both() {
	ls_gen_conf "$CDIR"
	us_gen_conf "$CDIR"
	ls_start "$SS_NS" "$CDIR" || fail "pluto: $(cat "$CDIR/ls_error" 2>/dev/null)" || return 1
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
}

initiate() { # us|ls [expect-fail]
	local out rc
	if [ "$1" = us ]; then
		out=$(us_ctl "$CDIR" initiate c1 2>&1); rc=$?
		[ $rc = 0 ] || [ -n "${2:-}" ] || note "ipsecgw-ctl initiate c1 exited $rc: $(printf '%s' "$out" | tail -n 1)"
	else
		ls_whack "$CDIR" --initiate --name c1 >"$CDIR/whack-initiate.out" 2>&1; rc=$?
		[ $rc = 0 ] || [ -n "${2:-}" ] || note "whack --initiate exited $rc: $(tail -n 1 "$CDIR/whack-initiate.out")"
	fi
	return $rc
}

us_no_sa() { [ "$(us_query "$CDIR" 'len(sas)')" = 0 ]; }
us_ike_count() { us_query "$CDIR" 'len(sas)'; }
us_child_listed() { [ "$(us_query "$CDIR" 'sum(len(children(sa)) for sa in sas)')" -ge 1 ] 2>/dev/null; }
us_up() { us_has_event "$CDIR" CHILD_UP && us_child_listed; }
both_up() { us_up && [ "$(ls_child_count)" -ge 1 ]; }
one_each_up() { [ "$(us_ike_count)" = 1 ] && [ "$(ls_ike_count)" = 1 ] && both_up; }
both_no_sa() { us_no_sa && [ "$(ls_ike_count)" = 0 ] && [ "$(ls_child_count)" = 0 ]; }
us_child_spis() { us_query "$CDIR" '"\n".join(spi(c.get("spi_in")) + " " + spi(c.get("spi_out")) for sa in sas for c in children(sa))'; }
us_ike_spis() { us_query "$CDIR" '"\n".join(spi64(sa.get("spi_i")) + " " + spi64(sa.get("spi_r")) for sa in sas)'; }

# check_spis: one CHILD SA a side, our inbound = pluto's outbound and back;
# one IKE SA a side with the same SPIs.
check_spis() {
	local us ls u_in u_out l_in l_out
	us=$(us_child_spis); ls=$(ls_child_spis)
	[ "$(grep -c . <<<"$us")" = 1 ] || fail "our list-sas shows children [${us//$'\n'/; }] (want one)" || return 1
	[ "$(grep -c . <<<"$ls")" = 1 ] || fail "pluto shows CHILD SAs [${ls//$'\n'/; }] (want one)" || return 1
	read -r u_in u_out <<<"$us"; read -r l_in l_out <<<"$ls"
	[ "$u_in $u_out" = "$l_out $l_in" ] || fail "CHILD SPIs differ: ours in=$u_in out=$u_out, pluto's in=$l_in out=$l_out" || return 1
	us=$(us_ike_spis); ls=$(ls_ike_spis)
	[ "$(grep -c . <<<"$us")" = 1 ] || fail "our list-sas shows IKE SAs [${us//$'\n'/; }] (want one)" || return 1
	[ "$us" = "$ls" ] || fail "IKE SPIs differ: ours [$us], pluto's [${ls//$'\n'/; }]" || return 1
}
spis_ok() { check_spis 2>/dev/null; }

# check_up [IKE ESP]: our events name the suite (when given) and agree with
# what pluto logged as established; SPIs agree.
check_up() {
	local ike=${1:-} esp=${2:-} line algs ls_line
	line=$(us_event "$CDIR" IKE_UP) || fail "no 'event IKE_UP' in our log" || return 1
	algs=$(ev_field "$line" algs)
	[ -z "$ike" ] || algs_match "$algs" "$ike" || fail "IKE_UP algs='$algs', expected $ike" || return 1
	ls_line=$(ls_ike_algs)
	[ -n "$ls_line" ] || fail "pluto's log names no IKE algorithms" || return 1
	algs_match "$algs" "$(ls_alg_alias "$ls_line")" || fail "pluto negotiated $ls_line, we $algs" || return 1
	line=$(us_event "$CDIR" CHILD_UP) || fail "no 'event CHILD_UP' in our log" || return 1
	algs=$(ev_field "$line" algs)
	[ -z "$esp" ] || algs_match "$algs" "$esp" || fail "CHILD_UP algs='$algs', expected $esp" || return 1
	ls_line=$(grep -v '^|' "$CDIR/pluto.log" | grep 'established Child SA' | grep -oE 'xfrm=[^ }]*' | tail -n 1)
	[ -n "$ls_line" ] || fail "pluto's log names no CHILD SA algorithms" || return 1
	algs_match "$algs" "$(ls_alg_alias "${ls_line//-/ }")" || fail "pluto's CHILD SA has $ls_line, ours $algs" || return 1
	wait_until 5 spis_ok
	check_spis || return 1
	note "IKE $(ev_field "$(us_event "$CDIR" IKE_UP)" algs), ESP $algs; pluto: $(ls_ike_algs) $ls_line"
}
# pluto names the IKE SA's algorithms when it sends IKE_AUTH (initiator) or
# answers IKE_SA_INIT (responder), and in its rekey lines
ls_ike_algs() {
	grep -v '^|' "$CDIR/pluto.log" | grep -E 'sent IKE_AUTH request|sent IKE_SA_INIT reply|rekeyed IKE SA' |
		grep -oE '\{cipher=[^}]*\}' | tail -n 1
}

# ---------------------------------------------------------------- cases

case_suite() { # NAME WHO
	local name=$1 who=$2 s ours_ike ours_esp ls_ike ls_esp
	for s in "${SUITES[@]}"; do
		[ "${s%%|*}" = "$name" ] && IFS='|' read -r _ ours_ike ours_esp ls_ike ls_esp <<<"$s"
	done
	[ "$ours_ike" = - ] && ours_ike=""; [ "$ours_esp" = - ] && ours_esp=""
	[ "$ls_ike" = - ] && ls_ike=""; [ "$ls_esp" = - ] && ls_esp=""
	US_IKE_PROPS=$ours_ike; US_ESP_PROPS=$ours_esp; LS_IKE=$ls_ike; LS_ESP=$ls_esp
	start_both || return 1
	initiate "$who"
	wait_until 15 both_up || fail "no CHILD SA on both sides within 15 s (ours: $(us_ike_count) IKE SA, pluto: $(ls_child_count) CHILD SA)" || return 1
	check_up "$ours_ike" "$ours_esp"
}

TUNNEL_BY=us
establish() {
	start_both || return 1
	initiate "$TUNNEL_BY"
	wait_until 15 both_up || fail "the tunnel did not come up within 15 s" || return 1
	# a CHILD SA made with IKE_AUTH has no PFS group (no KE payload there)
	check_up "$US_IKE_PROPS" "${US_ESP_PROPS%-x25519}"
}

# CHILD SA rekey. pluto's pfs=yes (its default) demands a KE payload in the
# rekey, so our proposal names the DH group (x25519, the IKE SA's); with
# no-pfs neither side has one.
case_child_rekey() { # BY [no-pfs]
	local by=$1 old_in old_out new_in new_out
	if [ "${2:-}" = no-pfs ]; then
		LS_PFS=no
	else
		US_ESP_PROPS="aes128gcm16-x25519"
	fi
	establish || return 1
	read -r old_in old_out <<<"$(us_child_spis)"
	if [ "$by" = us ]; then
		us_ctl "$CDIR" rekey-child c1 >/dev/null || fail "ipsecgw-ctl rekey-child c1 failed" || return 1
	else
		ls_whack "$CDIR" --rekey-ipsec --name c1 >"$CDIR/whack-rekey.out" 2>&1 ||
			fail "whack --rekey-ipsec failed: $(tail -n 1 "$CDIR/whack-rekey.out")" || return 1
	fi
	wait_until 10 us_has_event "$CDIR" CHILD_REKEYED || fail "no 'event CHILD_REKEYED' in our log" || return 1
	wait_until 10 child_rekey_done "$old_in" "$old_out"
	check_spis || return 1
	read -r new_in new_out <<<"$(us_child_spis)"
	[ "$new_in" != "$old_in" ] && [ "$new_out" != "$old_out" ] || fail "SPIs unchanged: in=$new_in out=$new_out" || return 1
	ls_child_spis | grep -q -e "$old_in" -e "$old_out" && { fail "pluto still lists the old SPIs $old_in/$old_out"; return 1; }
	local algs; algs=$(ev_field "$(us_event "$CDIR" CHILD_REKEYED)" algs)
	if [ "${2:-}" = no-pfs ]; then
		! algs_match "$algs" x25519 || fail "CHILD_REKEYED algs='$algs' name a DH group without PFS" || return 1
	else
		algs_match "$algs" x25519 || fail "CHILD_REKEYED algs='$algs': no PFS group" || return 1
	fi
	note "CHILD SA rekeyed ($algs): ours in $old_in -> $new_in, out $old_out -> $new_out"
}
child_rekey_done() {
	local cur; cur=$(us_child_spis; ls_child_spis)
	! grep -q -e "$1" -e "$2" <<<"$cur" && spis_ok
}

# pluto's pfs=yes against our proposal without a DH group: both sides answer
# the other's rekey with NO_PROPOSAL_CHOSEN (RFC 7296 1.3.1 leaves PFS to
# policy); the IKE SA must survive, and what happens to the CHILD SA is noted.
case_pfs_mismatch() {
	establish || return 1
	us_ctl "$CDIR" rekey-child c1 >/dev/null || fail "ipsecgw-ctl rekey-child c1 failed" || return 1
	wait_until 10 us_log_has "$CDIR" 'NO_PROPOSAL_CHOSEN' || fail "our rekey without KE was not refused by pluto (pfs=yes)" || return 1
	ls_log_has 'no local proposal matches remote proposals' || fail "pluto's log does not say why it refused" || return 1
	# whack would wait for an outcome it is never told of
	ls_whack "$CDIR" --asynchronous --rekey-ipsec --name c1 >"$CDIR/whack-rekey.out" 2>&1
	wait_until 10 ls_log_has 'CREATE_CHILD_SA failed with error notification NO_PROPOSAL_CHOSEN' ||
		fail "we did not refuse pluto's rekey with KE (our proposal has no DH group)" || return 1
	[ "$(us_ike_count)" = 1 ] && [ "$(ls_ike_count)" = 1 ] || fail "the IKE SA did not survive (ours $(us_ike_count), pluto $(ls_ike_count))" || return 1
	us_has_event "$CDIR" CHILD_REKEYED && { fail "CHILD_REKEYED despite the refusals"; return 1; }
	sleep 1
	note "after its failed rekey pluto keeps $(ls_child_count) CHILD SA, we list $(us_query "$CDIR" 'sum(len(children(sa)) for sa in sas)')"
}

case_ike_rekey() { # BY
	local by=$1 old_i child_before downs us ls
	establish || return 1
	read -r old_i _ <<<"$(us_ike_spis)"
	child_before=$(us_child_spis)
	if [ "$by" = us ]; then
		us_ctl "$CDIR" rekey-ike c1 >/dev/null || fail "ipsecgw-ctl rekey-ike c1 failed" || return 1
	else
		ls_whack "$CDIR" --rekey-ike --name c1 >"$CDIR/whack-rekey.out" 2>&1 ||
			fail "whack --rekey-ike failed: $(tail -n 1 "$CDIR/whack-rekey.out")" || return 1
	fi
	wait_until 10 us_has_event "$CDIR" IKE_REKEYED || fail "no 'event IKE_REKEYED' in our log" || return 1
	wait_until 10 ike_rekey_done "$old_i"
	us=$(us_ike_spis); ls=$(ls_ike_spis)
	[ "$(grep -c . <<<"$ls")" = 1 ] || fail "pluto has IKE SAs [${ls//$'\n'/; }] (want one)" || return 1
	[ "$us" = "$ls" ] || fail "IKE SPIs differ after the rekey: ours [$us], pluto's [$ls]" || return 1
	[[ $us != "$old_i "* ]] || fail "IKE SPIs unchanged" || return 1
	check_spis || return 1
	[ "$(us_child_spis)" = "$child_before" ] || fail "CHILD SPIs changed by the IKE rekey" || return 1
	note "IKE SA rekeyed: $old_i -> ${us%% *}"
	# the new IKE SA carries a Delete from the side that did not rekey
	downs=$(us_event_count "$CDIR" IKE_DOWN)
	if [ "$by" = us ]; then
		ls_whack "$CDIR" --terminate --name c1 >"$CDIR/whack-terminate.out" 2>&1
	else
		us_ctl "$CDIR" delete-ike c1 >/dev/null || fail "ipsecgw-ctl delete-ike c1 after the rekey failed" || return 1
	fi
	wait_until 10 both_no_sa || fail "a Delete over the rekeyed IKE SA did not clear both sides (ours $(us_ike_count), pluto $(ls_ike_count) IKE SA)" || return 1
	[ "$(us_event_count "$CDIR" IKE_DOWN)" -gt "$downs" ] || fail "no IKE_DOWN after the delete" || return 1
}
ike_rekey_done() {
	local us ls
	us=$(us_ike_spis); ls=$(ls_ike_spis)
	[ "$(grep -c . <<<"$us")" = 1 ] && [ "$us" = "$ls" ] && ! grep -q "$1" <<<"$us"
}

case_delete() { # BY
	local by=$1
	establish || return 1
	if [ "$by" = us ]; then
		us_ctl "$CDIR" delete-ike c1 >/dev/null || fail "ipsecgw-ctl delete-ike c1 failed" || return 1
	else
		ls_whack "$CDIR" --terminate --name c1 >"$CDIR/whack-terminate.out" 2>&1
	fi
	wait_until 10 us_has_event "$CDIR" IKE_DOWN || fail "no 'event IKE_DOWN' in our log" || return 1
	wait_until 10 both_no_sa || fail "SAs left: ours $(us_ike_count), pluto $(ls_ike_count) IKE / $(ls_child_count) CHILD" || return 1
	if [ "$by" = ls ]; then
		[ "$(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)" = "deleted by peer" ] ||
			fail "IKE_DOWN reason '$(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)', expected 'deleted by peer'" || return 1
	else
		ls_log_has 'deleting state \(STATE_V2_ESTABLISHED_IKE_SA\)' || fail "pluto's log does not show the IKE SA deleted" || return 1
	fi
}

# Both sides probe each other every second: the exchanges are answered and
# nothing goes down (pluto's probes keep our SA busy, but ours go out too:
# we check after a second without inbound IKE traffic).
case_dpd_liveness() {
	US_DPD_DELAY=1; LS_DPD_DELAY=1
	establish || return 1
	local ike sent answered ours
	ike=$(us_ike_spis)
	sleep 4
	[ "$(us_ike_spis)" = "$ike" ] && [ "$(ls_ike_spis)" = "$ike" ] || fail "the IKE SA changed under liveness checks: ours [$(us_ike_spis)], pluto's [$(ls_ike_spis)]" || return 1
	us_has_event "$CDIR" IKE_DOWN && { fail "IKE_DOWN during liveness checks"; return 1; }
	sent=$(grep -c 'queueing liveness probe' "$CDIR/pluto.log")
	answered=$(grep -c 'received an INFORMATIONAL liveness check response' "$CDIR/pluto.log")
	ours=$(grep -c 'received an INFORMATIONAL liveness check request' "$CDIR/pluto.log")
	[ "$answered" -ge 2 ] || fail "we answered $answered of pluto's $sent liveness probes in 4 s (dpddelay=1)" || return 1
	[ "$ours" -ge 1 ] || fail "pluto received none of our liveness checks ($(grep -c 'liveness check' "$CDIR/us.log") in our log)" || return 1
	note "in 4 s we answered $answered of pluto's $sent probes; pluto answered $ours of ours"
}

case_dpd_ls_killed() {
	US_DPD_DELAY=2
	establish || return 1
	local t0 dt
	ls_kill9 "$CDIR"
	t0=$(ipgw_now_ms)
	wait_until 25 us_has_event "$CDIR" IKE_DOWN || fail "no IKE_DOWN within 25 s of killing pluto" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	note "IKE_DOWN $((dt / 10)).$((dt % 10)) s after pluto was killed: $(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)"
	wait_until 5 us_no_sa || fail "our list-sas still lists an SA after IKE_DOWN" || return 1
}

# pluto's liveness check finds our killed daemon dead and clears its SAs.
case_dpd_us_killed() {
	LS_DPD_DELAY=1
	establish || return 1
	local t0 dt
	kill -KILL "$(us_pid "$CDIR")"; wait "$(us_pid "$CDIR")" 2>/dev/null
	t0=$(ipgw_now_ms)
	wait_until 25 ls_none || fail "pluto still has $(ls_ike_count) IKE SA 25 s after our daemon was killed" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	ls_log_has 'liveness action' || fail "pluto's log does not name its liveness action" || return 1
	note "pluto cleared its SAs $((dt / 10)).$((dt % 10)) s after our daemon was killed: $(grep -v '^|' "$CDIR/pluto.log" | grep -m1 -oE 'liveness action.*')"
}
ls_none() { [ "$(ls_ike_count)" = 0 ]; }

# pluto (auto=start, initial-contact=yes) killed and started again: its
# INITIAL_CONTACT makes us drop the stale IKE SA at once.
case_restart_ls_ic() {
	LS_AUTO=start; LS_INITIAL_CONTACT=yes
	start_both || return 1
	wait_until 15 both_up || fail "pluto's auto=start did not bring the tunnel up" || return 1
	ls_kill9 "$CDIR"
	local t0 dt; t0=$(ipgw_now_ms)
	ls_start "$SS_NS" "$CDIR" || fail "pluto did not start again" || return 1
	wait_until 15 one_each_up || fail "after pluto's restart: ours lists $(us_ike_count) IKE SA, pluto $(ls_ike_count)" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	[ "$(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)" = "peer restarted (INITIAL_CONTACT)" ] ||
		fail "stale SA: IKE_DOWN reason '$(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)'" || return 1
	wait_until 5 spis_ok; check_spis || return 1
	note "tunnel back, stale IKE SA gone, $((dt / 10)).$((dt % 10)) s after pluto's restart"
}

# pluto (auto=add) killed and started again: it drops our liveness probes
# for the unknown IKE SA, our DPD declares the SA dead and dpd_action
# restart (initiate true) brings the tunnel back.
case_restart_ls_dpd() {
	US_INITIATE=true; US_DPD_DELAY=1
	start_both || return 1
	wait_until 15 both_up || fail "start_action start did not bring the tunnel up" || return 1
	local old; old=$(us_ike_spis)
	ls_kill9 "$CDIR"
	local t0 dt; t0=$(ipgw_now_ms)
	ls_start "$SS_NS" "$CDIR" || fail "pluto did not start again" || return 1
	wait_until 30 one_each_up_new "$old" || fail "30 s after pluto's restart: ours lists $(us_ike_count) IKE SA, pluto $(ls_ike_count)" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	wait_until 5 spis_ok; check_spis || return 1
	note "tunnel back $((dt / 10)).$((dt % 10)) s after pluto's restart: $(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)"
}
one_each_up_new() { one_each_up && [ "$(us_ike_spis)" != "$1" ]; }

# pluto's default (initial-contact=no) after a restart: it initiates again
# (auto=start) without INITIAL_CONTACT, so we hold the stale IKE SA beside
# the new one until our liveness check finds it dead; that must not restart
# the connection (the new IKE SA is up).
case_restart_ls_stale() {
	LS_AUTO=start; US_DPD_DELAY=1; US_INITIATE=true
	start_both || return 1
	wait_until 15 one_each_up || fail "the tunnel did not come up" || return 1
	local old; old=$(us_ike_spis)
	ls_kill9 "$CDIR"
	ls_start "$SS_NS" "$CDIR" || fail "pluto did not start again" || return 1
	wait_until 30 one_each_up_new "$old" || fail "ours lists $(us_ike_count) IKE SA, pluto $(ls_ike_count) 30 s after the restart" || return 1
	local ups; ups=$(us_event_count "$CDIR" IKE_UP)
	sleep 2
	[ "$(us_event_count "$CDIR" IKE_UP)" = "$ups" ] && [ "$(us_ike_count)" = 1 ] ||
		fail "after the stale SA went: $(us_event_count "$CDIR" IKE_UP) IKE_UP (was $ups), $(us_ike_count) IKE SA" || return 1
	wait_until 5 spis_ok; check_spis || return 1
	note "stale IKE SA: $(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason); $ups IKE_UP in all"
}

# Our daemon (initiate true) killed with -9 and started again: it initiates
# with INITIAL_CONTACT. pluto 4.10 acts on it only with uniqueids=yes (its
# default), and then deletes the old CHILD SA ("Initial Contact received,
# deleting old state #2") but keeps the old IKE SA; with uniqueids=no it
# logs "ignoring initial contact: uniqueIDs disabled" and keeps both (RFC
# 7296 2.4: the recipient MAY delete the other SAs). Either way the new
# CHILD SA is pluto's newest and matches ours. (pluto's liveness check does
# not clear the stale IKE SA either: it probes only for the newest CHILD SA,
# "liveness: #2 was replaced by #4 so not needed".)
case_restart_us() { # yes|no
	LS_UNIQUEIDS=$1; US_INITIATE=true
	start_both || return 1
	wait_until 15 both_up || fail "the tunnel did not come up by itself" || return 1
	local old; old=$(us_ike_spis)
	kill -KILL "$(us_pid "$CDIR")"; wait "$(us_pid "$CDIR")" 2>/dev/null
	mv "$CDIR/us.log" "$CDIR/us.before-kill.log"
	local t0 dt; t0=$(ipgw_now_ms)
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike did not start again" || return 1
	wait_until 15 both_up || fail "no tunnel after our restart" || return 1
	[ "$(us_ike_spis)" != "$old" ] || fail "our IKE SA did not change" || return 1
	if [ "$1" = yes ]; then
		wait_until 5 ls_one_child || fail "pluto has $(ls_child_count) CHILD SAs after our INITIAL_CONTACT (want the new one only)" || return 1
		ls_log_has_debug 'Initial Contact received, deleting old state' ||
			fail "pluto's log does not say it acted on INITIAL_CONTACT" || return 1
	else
		wait_until 5 ls_log_has_debug 'ignoring initial contact: uniqueIDs disabled' ||
			fail "pluto's log does not say it ignored INITIAL_CONTACT" || return 1
	fi
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	wait_until 5 ls_newest_child_ours
	check_child_spis || return 1
	note "new tunnel $((dt / 10)).$((dt % 10)) s after our restart; pluto keeps $(ls_ike_count) IKE SAs (the stale one too), $(ls_child_count) CHILD SAs"
}
ls_log_has_debug() { grep -qE -- "$1" "$CDIR/pluto.log"; }
ls_newest_child_ours() { check_child_spis 2>/dev/null; }
ls_one_child() { [ "$(ls_child_count)" = 1 ]; }
# our one CHILD SA is pluto's newest ("newest" in --showstates), and our
# IKE SA one of pluto's
check_child_spis() {
	local u_in u_out l_in l_out newest
	read -r u_in u_out <<<"$(us_child_spis)"
	newest=$(ls_states "$CDIR" | grep 'STATE_V2_ESTABLISHED_CHILD_SA' | grep 'newest' | sed -E 's/^[^#]*#([0-9]+):.*/\1/')
	read -r l_in l_out <<<"$(ls_states "$CDIR" | grep -E "#$newest: \"c1\" esp" | ls_spi_pairs)"
	[ "$u_in $u_out" = "$l_out $l_in" ] || fail "CHILD SPIs differ: ours in=$u_in out=$u_out, pluto's newest in=$l_in out=$l_out" || return 1
	ls_ike_spis | grep -qx "$(us_ike_spis)" || fail "our IKE SA [$(us_ike_spis)] is not among pluto's [$(ls_ike_spis | tr '\n' ';')]" || return 1
}

# ---- certificates: ECDSA P-256 both ends, chains through the intermediate
# (the PKI of tests/interop/cert_pki.sh, made once, when a cert case runs).
# pluto holds its certificate, key and the intermediate in its NSS database
# (pk12util), the root as a trusted CA (certutil -t CT,,).

LS_PKI=""
ls_pki_once() {
	[ -n "$LS_PKI" ] && return 0
	cert_pki_make "$IPGW_WORK/pki" || { tail -n 2 "$IPGW_WORK/pki/gen.log"; return 1; }
	LS_PKI=$IPGW_WORK/pki
}

ls_cert_nss() { # DIR
	local dir=$1 db=sql:$1/nss
	cp -a "$IPGW_WORK/nss" "$dir/nss" &&
		openssl pkcs12 -export -in "$LS_PKI/ss-p256.crt" -inkey "$LS_PKI/ss-p256.key" \
			-certfile "$LS_PKI/inter.crt" -name ss -passout pass: -out "$dir/ss.p12" &&
		pk12util -i "$dir/ss.p12" -d "$db" -W "" &&
		certutil -A -d "$db" -n root -t "CT,," -i "$LS_PKI/root.crt"
}

# the PSK connection of ls_gen_conf / us_gen_conf turned to certificates
ls_cert_conf() { # DIR
	local dir=$1
	ls_gen_conf "$dir"
	# sendca=all: pluto sends the intermediate too (default: none of it)
	sed -i -e 's/^    authby=secret$/    authby=ecdsa/' -e 's/^    authby=ecdsa$/&\n    sendca=all/' \
		-e 's/^    leftid=.*/    leftid=%fromcert\n    leftcert=ss\n    leftsendcert=always/' \
		-e "s/^    rightid=.*/    rightid=\"$(cert_dn us-p256)\"/" "$dir/ipsec.conf"
	us_gen_conf "$dir"
	"$PYTHON" - "$dir/us.json" "$LS_PKI" "$(cert_dn ss-p256)" <<'PY'
import json, sys
path, pki, peer = sys.argv[1:4]
d = json.load(open(path))
d["credentials"] = {"cacerts": [pki + "/root.crt"]}
c = d["connections"][0]
c.pop("local_id", None)
c["remote_id"] = peer
c["auth"] = {"method": "pubkey", "cert": pki + "/us-p256.pem", "key": pki + "/us-p256.key"}
json.dump(d, open(path, "w"), indent=1)
PY
}
cert_dn() { echo "C=CH, O=Example, CN=$1.example.org"; }

case_cert() { # WHO
	local who=$1 line
	ls_pki_once >"$CDIR/pki_error" 2>&1 || fail "the PKI could not be made: $(cat "$CDIR/pki_error")" || return 1
	ls_cert_nss "$CDIR" >"$CDIR/nss.out" 2>&1 || fail "pluto's NSS database: $(tail -n 2 "$CDIR/nss.out")" || return 1
	ls_cert_conf "$CDIR"
	ls_start "$SS_NS" "$CDIR" || fail "pluto: $(cat "$CDIR/ls_error" 2>/dev/null)" || return 1
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	initiate "$who"
	wait_until 15 one_each_up || fail "no tunnel: $(grep -m1 -o 'IKE_AUTH failed.*' "$CDIR/us.log")" || return 1
	check_up || return 1
	# pluto: "... established IKE SA; authenticated peer using authby=ecdsa
	# and ... certificate 'DN' issued by CA 'DN'"
	line=$(grep -v '^|' "$CDIR/pluto.log" | grep -m1 'established IKE SA; authenticated peer')
	[[ $line == *"$(cert_dn us-p256)"* ]] ||
		fail "pluto's log does not say it authenticated our certificate: '${line:-no such line}'" || return 1
	note "pluto: ${line#*: }"
}

run_case() {
	local name=$1 s
	TUNNEL_BY=us
	case $name in
	cert.us-init)             case_cert us ;;
	cert.ls-init)             case_cert ls ;;
	child-rekey.by-us)        case_child_rekey us ;;
	child-rekey.by-ls)        case_child_rekey ls ;;
	child-rekey.by-us.no-pfs) case_child_rekey us no-pfs ;;
	child-rekey.by-ls.no-pfs) case_child_rekey ls no-pfs ;;
	child-rekey.pfs-mismatch) case_pfs_mismatch ;;
	ike-rekey.by-us)          case_ike_rekey us ;;
	ike-rekey.by-ls)          case_ike_rekey ls ;;
	delete.by-us)             case_delete us ;;
	delete.by-ls)             case_delete ls ;;
	dpd.liveness)             case_dpd_liveness ;;
	dpd.ls-killed)            case_dpd_ls_killed ;;
	dpd.us-killed)            case_dpd_us_killed ;;
	restart.ls-killed.initial-contact) case_restart_ls_ic ;;
	restart.ls-killed.dpd-restart)     case_restart_ls_dpd ;;
	restart.ls-killed.stale-sa)        case_restart_ls_stale ;;
	restart.us-killed)        case_restart_us yes ;;
	restart.us-killed.uniqueids-no) case_restart_us no ;;
	*.us-init)                case_suite "${name%.us-init}" us ;;
	*.ls-init)                case_suite "${name%.ls-init}" ls ;;
	*) fail "unknown case" ;;
	esac
}

show_logs() {
	local dir=$1 n=${IPGW_TAIL_LINES:-25} mark
	ipgw_show_logs "$dir"
	[ -s "$dir/ls_error" ] && sed 's/^/  | /' "$dir/ls_error"
	[ -s "$dir/pluto.log" ] || return 0
	mark=$(cat "$dir/pluto.log.mark" 2>/dev/null || wc -l <"$dir/pluto.log")
	echo "  ---- pluto.log (debug lines left out), last $n lines before the verdict ----"
	head -n "$mark" "$dir/pluto.log" | grep -v -e '^|' -e 'adding UDP interface' -e 'ls_fakesa: GETSA' |
		tail -n "$n" | sed 's/^/  | /'
}

# ---------------------------------------------------------------- main

if [ "${1:-}" = -l ]; then all_cases; exit 0; fi
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,27p' "$0"; exit 0; fi

ipgw_select_cases "$@" || { echo "no case matches: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
ipgw_require_root || { echo "0 passed, 1 failed"; exit 1; }
for f in "$PLUTO" "$WHACK"; do
	[ -x "$f" ] || { echo "ls_run: $f missing (run: make deps, or bash scripts/libreswan.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
[ -f "$FAKESA" ] || { echo "ls_run: $FAKESA not built (run: make)" >&2; echo "0 passed, 1 failed"; exit 1; }
ipgw_require_tools ls_run "$IKE_BIN" "$CTL_BIN" -- ip certutil unshare timeout "$PYTHON" ||
	{ echo "0 passed, 1 failed"; exit 1; }

trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
ipgw_ns_setup || { echo "FAIL setup: could not create the namespaces"; echo "0 passed, 1 failed"; exit 1; }
ls_nss_template || { echo "FAIL setup: certutil could not make an NSS database"; echo "0 passed, 1 failed"; exit 1; }

PASSED=0; FAILED=0; FAILED_NAMES=()
RUN_T0=$(ipgw_now_ms)
for CASE in "${SELECTED[@]}"; do
	CDIR=$IPGW_WORK/$CASE
	mkdir -p "$CDIR"
	WHY=""; NOTES=()
	us_defaults; ls_defaults
	t0=$(ipgw_now_ms)
	if (( ($(ipgw_now_ms) - RUN_T0) / 1000 > BUDGET_S )); then
		WHY="not run: time budget of $BUDGET_S s exhausted"; ok=1
	else
		run_case "$CASE"; ok=$?
		if ! us_alive "$CDIR" && [ -f "$CDIR/us.pid" ] && [ ! -s "$CDIR/us_error" ] && [[ $CASE != dpd.us-killed ]]; then
			wait "$(us_pid "$CDIR")" 2>/dev/null; st=$?
			WHY="ipsecgw-ike died during the case with status $st${WHY:+; first problem: $WHY}"; ok=1
		fi
	fi
	ipgw_mark_logs "$CDIR"
	[ -f "$CDIR/pluto.log" ] && wc -l <"$CDIR/pluto.log" >"$CDIR/pluto.log.mark"
	us_stop "$CDIR"; ls_stop "$CDIR"
	san=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$CDIR/us.log" 2>/dev/null)
	[ -n "$san" ] && { WHY="sanitizer report in us.log: $san${WHY:+; also: $WHY}"; ok=1; }
	secs=$(( ($(ipgw_now_ms) - t0) / 100 ))
	if [ "$ok" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "PASS $CASE ($((secs / 10)).$((secs % 10)) s)"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		[ "${IPGW_KEEP_LOGS:-0}" = 1 ] && ipgw_keep_logs "$CDIR" "ls-$CASE"
	else
		FAILED=$((FAILED + 1)); FAILED_NAMES+=("$CASE")
		echo "FAIL $CASE: ${WHY:-unknown reason}"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		show_logs "$CDIR"
		ipgw_keep_logs "$CDIR" "ls-$CASE"
	fi
done

total=$(( ($(ipgw_now_ms) - RUN_T0) / 1000 ))
if [ "$FAILED" -gt 0 ]; then
	echo "failed cases (${total} s): ${FAILED_NAMES[*]}" >&2
else
	echo "all cases passed in ${total} s" >&2
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
