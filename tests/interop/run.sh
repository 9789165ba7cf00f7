#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# strongSwan interoperability matrix for build/ipsecgw-ike.
#
#   bash tests/interop/run.sh              run every case
#   bash tests/interop/run.sh -l           list the case names
#   bash tests/interop/run.sh REGEX...     run the cases whose name matches
#                                          any REGEX (grep -E), e.g. 'rekey' or
#                                          '^aes128gcm16-prfsha256-x25519\.us-init$'
#
# Environment: IKE_BIN / CTL_BIN (other binaries, e.g. an ASan build),
# IPGW_KEEP_LOGS=1 (keep logs of passing cases too), IPGW_LOG_DIR (where logs
# are kept; default build/interop-logs), IPGW_TAIL_LINES (log lines shown for
# a failed case, default 25), IPGW_CHARON_LOGLEVEL (charon ike/cfg/chd log
# level, default 2; 4 prints its keys).
#
# Prints "PASS name" or "FAIL name: why" per case and ends with the line
# "N passed, M failed"; exits non-zero if any case failed. See docs/interop.md.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/interop/lib.sh
source "$HERE/lib.sh"

MATRIX_BUDGET_S=${IPGW_MATRIX_BUDGET_S:-480}   # whole run, wall clock (loss.bring-ups: ~5 s a round)

# ---------------------------------------------------------------- case list

PROPOSALS=(
	"aes128gcm16-prfsha256-x25519|aes128gcm16|tshark"
	"aes256-sha256-modp2048|aes256-sha256|tshark"
	"aes256gcm16-prfsha384-ecp384|aes256gcm16|tshark"
	"chacha20poly1305-prfsha256-curve448|chacha20poly1305|no-tshark"
	"aes128-sha256-ecp256|aes128-sha256-esn|esn"
)

all_cases() {
	local p
	for p in "${PROPOSALS[@]}"; do
		echo "${p%%|*}.us-init"
		echo "${p%%|*}.ss-init"
	done
	echo mismatch.us-init
	echo mismatch.ss-init
	echo wrong-psk.us-init
	echo wrong-psk.ss-init
	echo child-rekey.by-us
	echo child-rekey.by-ss
	echo ike-rekey.by-us
	echo ike-rekey.by-ss
	echo ike-rekey.crossed
	echo psk.per-user
	echo select.by-id
	echo sigterm.every-sa
	echo delete.by-us
	echo delete.by-ss
	echo dpd.peer-killed
	echo restart.us-killed
	echo restart.ss-killed
	echo privileges.nobody
	echo initiate.child
	echo metrics.scrape
	echo frag.us-init
	echo frag.ss-init
	echo loss.bring-ups
	# the same on a tunnel strongSwan initiated (our daemon is IKE responder)
	local t
	for t in child-rekey ike-rekey delete; do
		echo "$t.by-us.ss-tunnel"
		echo "$t.by-ss.ss-tunnel"
	done
}

# ---------------------------------------------------------------- case plumbing

WHY=""          # reason of the current case's failure
NOTES=()        # informational lines printed under the case result
CDIR=""         # current case directory
CASE=""

fail() { WHY=$*; return 1; }
note() { NOTES+=("$*"); }

# start_both: generates both configs from US_* / SS_* and starts charon and
# our daemon.
start_both() {
	ss_gen_conf "$CDIR" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
	us_gen_conf "$CDIR"
	ss_start "$SS_NS" "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
}

# initiate WHO [expect-fail]: "us" (ipsecgw-ctl initiate c1) or "ss"
# (swanctl --initiate --child net). A failing command is noted unless
# expect-fail is given.
initiate() {
	local out rc quiet=${2:-}
	if [ "$1" = us ]; then
		out=$(us_ctl "$CDIR" initiate c1 2>&1); rc=$?
		[ $rc = 0 ] || [ -n "$quiet" ] || note "ipsecgw-ctl initiate c1 exited $rc: $(printf '%s' "$out" | tail -n 1)"
	else
		ss_swanctl "$CDIR" --initiate --child net --timeout 15 >"$CDIR/swanctl-initiate.out" 2>&1; rc=$?
		[ $rc = 0 ] || [ -n "$quiet" ] || note "swanctl --initiate exited $rc: $(grep -v '^\[' "$CDIR/swanctl-initiate.out" | tail -n 1)"
	fi
	return $rc
}

# Conditions polled with wait_until.
ss_child_installed() { [ "$(ss_query "$CDIR" 'sum(1 for sa in sas for c in children(sa) if c.get("state") == "INSTALLED")')" -ge 1 ] 2>/dev/null; }
ss_no_sa() { [ "$(ss_query "$CDIR" 'len(sas)')" = 0 ]; }
us_no_sa() { [ "$(us_query "$CDIR" 'len(sas)')" = 0 ]; }
us_child_listed() { [ "$(us_query "$CDIR" 'sum(len(children(sa)) for sa in sas)')" -ge 1 ] 2>/dev/null; }
us_up() { us_has_event "$CDIR" CHILD_UP && us_child_listed; }
both_up() { us_up && ss_child_installed; }

# Current SPIs, normalised: "spi_in spi_out" of every child, one per line.
us_child_spis() { us_query "$CDIR" '"\n".join(spi(c.get("spi_in")) + " " + spi(c.get("spi_out")) for sa in sas for c in children(sa))'; }
ss_child_spis() { ss_query "$CDIR" '"\n".join(spi(c.get("spi-in")) + " " + spi(c.get("spi-out")) + " " + c.get("state","?") for sa in sas for c in children(sa))'; }
us_ike_spis() { us_query "$CDIR" '"\n".join(spi64(sa.get("spi_i")) + " " + spi64(sa.get("spi_r")) for sa in sas)'; }
ss_ike_spis() { ss_query "$CDIR" '"\n".join(spi64(sa.get("initiator-spi")) + " " + spi64(sa.get("responder-spi")) + " " + sa.get("state","?") for sa in sas)'; }

# check_spis_match: exactly one child on each side, their inbound = our
# outbound and vice versa. Sets WHY on mismatch.
check_spis_match() {
	local us ss
	us=$(us_child_spis); ss=$(ss_child_spis)
	[ "$(printf '%s\n' "$us" | grep -c .)" = 1 ] || fail "our list-sas shows children [${us//$'\n'/; }] (want exactly one)" || return 1
	[ "$(printf '%s\n' "$ss" | grep -c .)" = 1 ] || fail "swanctl shows children [${ss//$'\n'/; }] (want exactly one)" || return 1
	local u_in u_out s_in s_out s_state
	read -r u_in u_out <<<"$us"
	read -r s_in s_out s_state <<<"$ss"
	[ "$s_state" = INSTALLED ] || fail "strongSwan's CHILD_SA is $s_state, not INSTALLED" || return 1
	[ "$s_in" = "$u_out" ] && [ "$s_out" = "$u_in" ] ||
		fail "SPI mismatch: ours in=$u_in out=$u_out, strongSwan's in=$s_in out=$s_out" || return 1
}
spis_match() { check_spis_match 2>/dev/null; }

# check_up IKE_PROP ESP_PROP: events, algorithms and SPIs after establishment.
check_up() {
	local ike=$1 esp=$2 line algs st
	line=$(us_event "$CDIR" IKE_UP) || fail "no 'event IKE_UP' in our log" || return 1
	algs=$(ev_field "$line" algs) || algs=""
	algs_match "$algs" "$ike" || fail "IKE_UP algs='$algs', expected $ike" || return 1
	line=$(us_event "$CDIR" CHILD_UP) || fail "no 'event CHILD_UP' in our log" || return 1
	algs=$(ev_field "$line" algs) || algs=""
	algs_match "$algs" "$esp" || fail "CHILD_UP algs='$algs', expected $esp" || return 1
	[ "$(ev_field "$line" mode)" = tunnel ] || fail "CHILD_UP mode='$(ev_field "$line" mode)', expected tunnel" || return 1
	# kernel-libipsec always fakes NAT detection: ESP must be UDP-encapsulated
	[ "$(ev_field "$line" encap)" = yes ] || fail "CHILD_UP encap='$(ev_field "$line" encap)', expected yes (charon's kernel-libipsec forces UDP encapsulation)" || return 1
	st=$(ss_ike_spis)
	[[ $st == *ESTABLISHED* ]] || fail "strongSwan's IKE_SA is not ESTABLISHED: '$st'" || return 1
	# the event's SPIs must agree with list-sas
	local ev_in ev_out
	ev_in=$(norm_spi "$(ev_field "$line" spi_in)"); ev_out=$(norm_spi "$(ev_field "$line" spi_out)")
	wait_until 5 spis_match
	check_spis_match || return 1
	[ "$(us_child_spis)" = "$ev_in $ev_out" ] || fail "CHILD_UP event SPIs in=$ev_in out=$ev_out differ from list-sas '$(us_child_spis)'" || return 1
	# IKE SPIs: ours and theirs identical
	local ui ur si sr
	read -r ui ur <<<"$(us_ike_spis)"; read -r si sr _ <<<"$st"
	[ "$ui $ur" = "$si $sr" ] || fail "IKE SPIs differ: ours $ui/$ur, strongSwan's $si/$sr" || return 1
}

# key_check [SPI]: ping from strongSwan's inner address to ours while
# capturing ESP-in-UDP in our namespace, then decrypt with tshark using OUR
# key log. With SPI, the decrypted packets must have used that (our inbound)
# SPI.
key_check() {
	local want=${1:-}
	[ -s "$CDIR/us.keylog" ] || fail "key log $CDIR/us.keylog is empty (log.keylog)" || return 1
	cap_start "$US_NS" "$CDIR" v0 || fail "tcpdump did not start" || return 1
	timeout 5 ip netns exec "$SS_NS" ping -c 3 -i 0.2 -W 1 -q -I "$SS_INNER" "$US_INNER" >"$CDIR/ping.out" 2>&1
	cap_stop "$CDIR"
	local n
	n=$(tshark_esp_check "$CDIR/esp.pcap" "$CDIR/us.keylog" "$CDIR" c1) ||
		fail "tshark could not decrypt strongSwan's ESP with our keys ($n ICMP decoded with a good ICV; $(grep -v 'Running as' "$CDIR/tshark.err" 2>/dev/null | tail -n 1); see tshark.txt, tshark-all.txt)" || return 1
	if [ -n "$want" ] && ! cut -f2 "$CDIR/tshark.txt" | grep -qi "0x$want"; then
		fail "tshark decrypted ICMP, but not on our inbound SPI $want: $(cut -f2 "$CDIR/tshark.txt" | sort -u | tr '\n' ' ')"
		return 1
	fi
	note "tshark decrypted $n ICMP packets with our key log${want:+ (SPI $want)}"
}

# ---------------------------------------------------------------- cases

case_proposal() { # IKE ESP KIND WHO
	local ike=$1 esp=$2 kind=$3 who=$4
	US_IKE_PROPS=$ike; US_ESP_PROPS=$esp
	SS_IKE_PROPS=$ike; SS_ESP_PROPS=$esp
	start_both || return 1
	if [ "$kind" = esn ]; then
		# strongSwan cannot install the ESN CHILD_SA: its initiate fails
		initiate "$who" expect-fail
		case_esn "$ike" "$esp" "$who"
		return
	fi
	initiate "$who"
	wait_until 15 both_up
	check_up "$ike" "$esp" || return 1
	case $kind in
	tshark) key_check || return 1 ;;
	no-tshark) note "key check skipped: tshark 4.0 has no ChaCha20-Poly1305 ESP decryption" ;;
	esac
}

# ESN: charon's kernel-libipsec refuses ESN SAs ("IPsec SA: ESN not
# supported", "failed to create SAD entry"), so strongSwan never installs the
# CHILD_SA. What is checked is the negotiation: the IKE_SA on both sides, and
#  - us initiating: charon selected our ESN proposal (its log says
#    "selected proposal: ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ") and
#    answered NO_PROPOSAL_CHOSEN only because the install failed;
#  - strongSwan initiating: our CHILD_UP names esn and its algorithms, and
#    charon's log shows it selected EXT_SEQ from our answer.
case_esn() {
	local ike=$1 esp=$2 who=$3 line algs
	wait_until 10 us_has_event "$CDIR" IKE_UP
	wait_until 10 grep -q 'ESN not supported' "$CDIR/charon.log"
	line=$(us_event "$CDIR" IKE_UP) || fail "no 'event IKE_UP' in our log" || return 1
	algs=$(ev_field "$line" algs)
	algs_match "$algs" "$ike" || fail "IKE_UP algs='$algs', expected $ike" || return 1
	[[ $(ss_ike_spis) == *ESTABLISHED* ]] || fail "strongSwan's IKE_SA is not ESTABLISHED" || return 1
	grep -q 'selected proposal: ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ' "$CDIR/charon.log" ||
		fail "charon did not select ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ" || return 1
	if [ "$who" = ss ]; then
		line=$(us_event "$CDIR" CHILD_UP) || fail "no 'event CHILD_UP' in our log" || return 1
		algs=$(ev_field "$line" algs)
		algs_match "$algs" "$esp" || fail "CHILD_UP algs='$algs', expected $esp" || return 1
	fi
	if grep -q 'ESN not supported' "$CDIR/charon.log"; then
		note "ESN negotiated; strongSwan's kernel-libipsec cannot install ESN SAs (no SPI/traffic check)"
	else
		note "charon did not report 'ESN not supported' (newer strongSwan?): ESN SA checked by negotiation only"
	fi
}

case_mismatch() { # WHO
	local who=$1 line
	US_IKE_PROPS="aes128gcm16-prfsha256-x25519"; US_ESP_PROPS="aes128gcm16"
	SS_IKE_PROPS="aes256-sha384-ecp384";          SS_ESP_PROPS="aes256-sha384"
	start_both || return 1
	initiate "$who" expect-fail && [ "$who" = ss ] && { fail "swanctl --initiate succeeded despite the proposal mismatch"; return 1; }
	wait_until 10 us_log_has "$CDIR" NO_PROPOSAL_CHOSEN ||
		fail "no line containing NO_PROPOSAL_CHOSEN in our log" || return 1
	us_has_event "$CDIR" IKE_UP && { fail "our log shows IKE_UP despite the mismatch"; return 1; }
	[ "$(ss_query "$CDIR" 'len([sa for sa in sas if sa.get("state") == "ESTABLISHED"])')" = 0 ] ||
		fail "strongSwan shows an ESTABLISHED IKE_SA despite the mismatch" || return 1
	line=$(grep -m1 NO_PROPOSAL_CHOSEN "$CDIR/us.log")
	if [ "$who" = ss ]; then
		# our answer: both lists (theirs as received, ours as configured)
		if ! { [[ ${line,,} == *ecp384* ]] && [[ ${line,,} == *x25519* ]]; }; then
			note "NO_PROPOSAL_CHOSEN line lacks one of the proposal lists: $line"
		fi
		grep -q 'received NO_PROPOSAL_CHOSEN notify error' "$CDIR/charon.log" ||
			note "charon's log does not say it received NO_PROPOSAL_CHOSEN"
	else
		us_has_event "$CDIR" FAILED || note "no 'event FAILED' line in our log"
	fi
}

case_wrong_psk() { # WHO
	local who=$1
	US_PSK="this-is-not-the-psk-strongswan-has"
	start_both || return 1
	initiate "$who" expect-fail && [ "$who" = ss ] && { fail "swanctl --initiate succeeded with a wrong PSK"; return 1; }
	wait_until 10 us_log_has "$CDIR" AUTHENTICATION_FAILED ||
		fail "no line containing AUTHENTICATION_FAILED in our log" || return 1
	us_has_event "$CDIR" IKE_UP && { fail "our log shows IKE_UP with a wrong PSK"; return 1; }
	us_has_event "$CDIR" CHILD_UP && { fail "our log shows CHILD_UP with a wrong PSK"; return 1; }
	if [ "$who" = ss ]; then
		grep -q 'received AUTHENTICATION_FAILED notify error' "$CDIR/charon.log" ||
			note "charon's log does not say it received AUTHENTICATION_FAILED"
	fi
	wait_until 5 us_no_sa
	[ "$(us_query "$CDIR" 'len(sas)')" = 0 ] || fail "our list-sas still lists an SA after the failure" || return 1
}

# Tunnel for the rekey/delete/dpd cases: initiated by us (TUNNEL_BY=us), or
# by strongSwan for the *.ss-tunnel variants. "by-us" / "by-ss" name the side
# that starts the rekey or delete.
TUNNEL_BY=us
establish_default() {
	start_both || return 1
	initiate "$TUNNEL_BY"
	wait_until 15 both_up
	check_up "$US_IKE_PROPS" "$US_ESP_PROPS"
}

case_child_rekey() { # BY
	local by=$1 old_in old_out new_in new_out
	establish_default || return 1
	read -r old_in old_out <<<"$(us_child_spis)"
	if [ "$by" = us ]; then
		us_ctl "$CDIR" rekey-child c1 >/dev/null || fail "ipsecgw-ctl rekey-child c1 failed: $(tail -n 1 "$CDIR/ctl.log")" || return 1
	else
		ss_swanctl "$CDIR" --rekey --child net >"$CDIR/swanctl-rekey.out" 2>&1 ||
			fail "swanctl --rekey --child net failed: $(tail -n 1 "$CDIR/swanctl-rekey.out")" || return 1
	fi
	wait_until 15 us_has_event "$CDIR" CHILD_REKEYED || fail "no 'event CHILD_REKEYED' in our log" || return 1
	# old SAs gone on both sides (charon keeps the old inbound SA for
	# delete_rekeyed_delay = 2 s), one child each with matching new SPIs
	wait_until 10 child_rekey_done "$old_in" "$old_out"
	check_spis_match || return 1
	read -r new_in new_out <<<"$(us_child_spis)"
	[ "$new_in" != "$old_in" ] && [ "$new_out" != "$old_out" ] ||
		fail "SPIs unchanged after rekey: in=$new_in out=$new_out" || return 1
	if ss_child_spis | grep -q -e "$old_in" -e "$old_out"; then
		fail "strongSwan still lists the old SPIs $old_in/$old_out: $(ss_child_spis | tr '\n' ';')"; return 1
	fi
	note "CHILD_SA rekeyed: ours in $old_in -> $new_in, out $old_out -> $new_out"
	# the new keys (KEYMAT from the CREATE_CHILD_SA nonces) must agree too
	key_check "$new_in" || return 1
}
child_rekey_done() {
	local cur; cur=$(us_child_spis; ss_child_spis)
	! grep -q -e "$1" -e "$2" <<<"$cur" && spis_match
}

case_ike_rekey() { # BY
	local by=$1 old_i old_r new_i new_r child_before
	establish_default || return 1
	read -r old_i old_r <<<"$(us_ike_spis)"
	child_before=$(us_child_spis)
	if [ "$by" = us ]; then
		us_ctl "$CDIR" rekey-ike c1 >/dev/null || fail "ipsecgw-ctl rekey-ike c1 failed: $(tail -n 1 "$CDIR/ctl.log")" || return 1
	else
		ss_swanctl "$CDIR" --rekey --ike c1 >"$CDIR/swanctl-rekey.out" 2>&1 ||
			fail "swanctl --rekey --ike c1 failed: $(tail -n 1 "$CDIR/swanctl-rekey.out")" || return 1
	fi
	wait_until 15 us_has_event "$CDIR" IKE_REKEYED || fail "no 'event IKE_REKEYED' in our log" || return 1
	wait_until 10 ike_rekey_done "$old_i"
	local us ss
	us=$(us_ike_spis); ss=$(ss_ike_spis)
	[ "$(grep -c . <<<"$us")" = 1 ] || fail "our list-sas shows IKE SAs [${us//$'\n'/; }] (want exactly one)" || return 1
	[ "$(grep -c . <<<"$ss")" = 1 ] || fail "swanctl shows IKE SAs [${ss//$'\n'/; }] (want exactly one)" || return 1
	read -r new_i new_r <<<"$us"
	[ "$new_i" != "$old_i" ] || fail "IKE SPIs unchanged after rekey ($new_i)" || return 1
	[[ $ss == "$new_i $new_r ESTABLISHED" ]] || fail "strongSwan's IKE_SA '$ss' differs from ours '$new_i $new_r'" || return 1
	# the CHILD_SA moves to the new IKE_SA unchanged
	check_spis_match || return 1
	[ "$(us_child_spis)" = "$child_before" ] || fail "CHILD_SA SPIs changed by IKE rekey: '$child_before' -> '$(us_child_spis)'" || return 1
	note "IKE_SA rekeyed: $old_i/$old_r -> $new_i/$new_r"
	# the new IKE_SA's keys must work both ways: the side that did not
	# rekey deletes it (request one way, response the other)
	local downs; downs=$(us_event_count "$CDIR" IKE_DOWN)
	if [ "$by" = us ]; then
		ss_swanctl "$CDIR" --terminate --ike c1 --timeout 5 >"$CDIR/swanctl-terminate.out" 2>&1 ||
			fail "swanctl --terminate over the rekeyed IKE_SA failed: $(tail -n 1 "$CDIR/swanctl-terminate.out")" || return 1
	else
		us_ctl "$CDIR" delete-ike c1 >/dev/null || fail "ipsecgw-ctl delete-ike c1 after the rekey failed" || return 1
	fi
	wait_until 5 both_no_sa
	both_no_sa || fail "deleting the rekeyed IKE_SA did not clear both sides within 5 s (ours: $(us_query "$CDIR" 'len(sas)') SA, strongSwan: $(ss_query "$CDIR" 'len(sas)') SA)" || return 1
	[ "$(us_event_count "$CDIR" IKE_DOWN)" -gt "$downs" ] || fail "no 'event IKE_DOWN' after deleting the rekeyed IKE_SA" || return 1
	if [ "$by" = ss ]; then
		grep -q 'received DELETE for IKE_SA' "$CDIR/charon.log" || fail "charon did not receive our DELETE over the rekeyed IKE_SA" || return 1
	fi
}
ike_rekey_done() {
	local us ss
	us=$(us_ike_spis); ss=$(ss_ike_spis)
	[ "$(grep -c . <<<"$us")" = 1 ] && [ "$(grep -c . <<<"$ss")" = 1 ] && ! grep -q "$1" <<<"$us$ss"
}

# 2.8.2 against charon: both ends rekey the IKE SA at once, and each must
# get the other's request while its own is outstanding. Our namespace first
# drops all IKE traffic while both requests leave, then for 2 s only the
# responses (flags bit 0x20; on port 4500 behind the four-zero non-ESP
# marker), so the retransmitted requests cross on both sides; reopened, the
# next retransmissions fetch the answers.
cut_nft() { # TABLE all|responses
	local match="udp sport { 500, 4500 } drop"
	[ "$2" = responses ] && match="udp sport 500 @th,216,8 & 0x20 == 0x20 drop
		udp sport 4500 @th,64,32 == 0 @th,248,8 & 0x20 == 0x20 drop"
	ip netns exec "$US_NS" nft -f - <<NFT
table inet $1 {
	chain in { type filter hook input priority 0; jump cut; }
	chain out { type filter hook output priority 0; jump cut; }
	chain cut {
		$match
	}
}
NFT
}
case_ike_rekey_crossed() {
	local old_i old_r child_before us ss pid t0
	US_RETRANS_TRIES=5
	establish_default || return 1
	read -r old_i old_r <<<"$(us_ike_spis)"
	child_before=$(us_child_spis)
	t0=$(ipgw_now_ms)
	cut_nft ipgw_cut_resp responses && cut_nft ipgw_cut_all all ||
		fail "nft could not cut the link" || return 1
	ss_swanctl "$CDIR" --rekey --ike c1 >"$CDIR/swanctl-rekey.out" 2>&1 &
	pid=$!
	us_ctl "$CDIR" rekey-ike c1 >/dev/null || fail "ipsecgw-ctl rekey-ike c1 failed" || return 1
	sleep 0.6
	ip netns exec "$US_NS" nft delete table inet ipgw_cut_all
	sleep 2
	ip netns exec "$US_NS" nft delete table inet ipgw_cut_resp
	wait "$pid"
	# The loser may never get its answer when the winner deletes the old SA
	# at once (charon does): then the winner drops the redundant SA after
	# 30 s (charon's HALF_OPEN_IKE_SA_TIMEOUT, our parked SA's limit).
	wait_until 40 ike_rekey_done "$old_i"
	us=$(us_ike_spis); ss=$(ss_ike_spis)
	[ "$(grep -c . <<<"$us")" = 1 ] || fail "our list-sas shows IKE SAs [${us//$'\n'/; }] (want exactly one)" || return 1
	[ "$(grep -c . <<<"$ss")" = 1 ] || fail "swanctl shows IKE SAs [${ss//$'\n'/; }] (want exactly one)" || return 1
	grep -q "$old_i" <<<"$us" && fail "the IKE SA was not rekeyed (still $old_i)" && return 1
	[[ $ss == "$us ESTABLISHED" ]] || fail "strongSwan's IKE_SA '$ss' differs from ours '$us'" || return 1
	grep -q "simultaneous IKE SA rekey: answered the peer's" "$CDIR/us.log" ||
		fail "no crossing seen in our log (the rekeys did not cross)" || return 1
	check_spis_match || return 1
	[ "$(us_child_spis)" = "$child_before" ] || fail "CHILD_SA SPIs changed: '$child_before' -> '$(us_child_spis)'" || return 1
	[ "$(us_event_count "$CDIR" IKE_DOWN)" = 0 ] || fail "an IKE SA went down in the crossing" || return 1
	note "settled in $(( ($(ipgw_now_ms) - t0) / 1000 )) s; $(grep -o 'simultaneous IKE SA rekey [a-z]*' "$CDIR/us.log" | sort | uniq -c | tr -s ' ' | paste -sd, -); charon: $(grep -c -i 'collision' "$CDIR/charon.log") collision line(s); now $us"
	# the survivor works: charon deletes it, we answer
	ss_swanctl "$CDIR" --terminate --ike c1 --timeout 5 >"$CDIR/swanctl-terminate.out" 2>&1 ||
		fail "swanctl --terminate over the surviving IKE_SA failed" || return 1
	wait_until 5 both_no_sa || fail "deleting the surviving IKE_SA did not clear both sides" || return 1
}

# Three users on one address of ours, each with its own identity and PSK
# (a concentrator's per-user keys): charon brings up u1, u2 and u3, and our
# responder picks each one's connection by IDi and key, not the first that
# matched the addresses. Then u3 comes with u2's key and is refused, and
# our log says the keys differ.
# ss_user_conns DIR: charon's c1 three times, as u1, u2 and u3, each with
# its own identity and inner address 203.0.113.N.
ss_user_conns() {
	local n
	echo "connections {"
	for n in 1 2 3; do
		sed -n '/^  c1 {/,/^  }$/p' "$1/swanctl.conf" |
			sed "s/^  c1 {/  u$n {/; s/      id = $SS_IP/      id = u$n.example/; s|local_ts = .*|local_ts = 203.0.113.$n/32|"
	done
	echo "}"
}
users_conf() { # DIR U3_SECRET
	local dir=$1 n
	"$PYTHON" - "$dir/us.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
base = doc["connections"][0]
conns = []
for n in (1, 2, 3):
    c = json.loads(json.dumps(base))
    c["name"] = "user%d" % n
    c["remote_addr"] = "%any"
    c["remote_id"] = "u%d.example" % n
    c["auth"] = {"method": "psk", "psk": "psk-of-user-%d" % n}
    c["children"][0]["remote_ts"] = ["203.0.113.%d/32" % n]
    c.pop("initiate", None)
    c.pop("keyingtries", None)
    conns.append(c)
doc["connections"] = conns
json.dump(doc, open(sys.argv[1], "w"), indent=2)
PY
	{
		ss_user_conns "$dir"
		echo "secrets {"
		for n in 1 2; do printf '  ike-u%s {\n    id = u%s.example\n    secret = "psk-of-user-%s"\n  }\n' $n $n $n; done
		printf '  ike-u3 {\n    id = u3.example\n    secret = "%s"\n  }\n' "$2"
		echo "}"
	} >"$dir/swanctl.users"
	cp "$dir/swanctl.users" "$dir/swanctl.conf"
}
case_psk_per_user() {
	local n up
	ss_gen_conf "$CDIR" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
	us_gen_conf "$CDIR"
	users_conf "$CDIR" psk-of-user-3
	# charon routes each user's CHILD SA from its own inner address
	for n in 2 3; do ip -n "$SS_NS" addr replace "203.0.113.$n/32" dev lo; done
	ss_start "$SS_NS" "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	for n in 1 2 3; do
		ss_swanctl "$CDIR" --initiate --child net --ike "u$n" >"$CDIR/swanctl-u$n.out" 2>&1 ||
			fail "swanctl --initiate u$n failed: $(tail -n 1 "$CDIR/swanctl-u$n.out")" || return 1
	done
	up=$(us_query "$CDIR" '" ".join(sorted(sa.get("conn","?") for sa in sas))')
	[ "$up" = "user1 user2 user3" ] || fail "our IKE SAs belong to [$up], want user1 user2 user3" || return 1
	# the three CHILD SAs mirror charon's: our in = its out
	local ours theirs
	ours=$(us_child_spis | awk '{print $2, $1}' | sort)
	theirs=$(ss_child_spis | awk '$3 == "INSTALLED" {print $1, $2}' | sort)
	[ "$(grep -c . <<<"$ours")" = 3 ] && [ "$ours" = "$theirs" ] ||
		fail "CHILD SAs differ: ours (out in) [${ours//$'\n'/; }], charon's [${theirs//$'\n'/; }]" || return 1
	us_log_has "$CDIR" "select connection user2" || fail "no 'select connection user2' line in our log" || return 1
	# u3 with u2's key
	ss_swanctl "$CDIR" --terminate --ike u3 --timeout 5 >/dev/null 2>&1
	users_conf "$CDIR" psk-of-user-2
	ss_swanctl "$CDIR" --load-creds --clear --file "$CDIR/swanctl.conf" >"$CDIR/swanctl-creds.out" 2>&1 ||
		fail "swanctl --load-creds failed: $(tail -n 1 "$CDIR/swanctl-creds.out")" || return 1
	ss_swanctl "$CDIR" --initiate --child net --ike u3 >"$CDIR/swanctl-u3b.out" 2>&1 &&
		fail "u3 came up with u2's key" && return 1
	wait_until 5 us_log_has "$CDIR" "AUTH payload of 'u3.example' does not verify: pre-shared keys differ" ||
		fail "our log does not say that u3's key differs: $(grep 'IKE_AUTH failed' "$CDIR/us.log" | tail -n 1)" || return 1
	for n in 2 3; do ip -n "$SS_NS" addr del "203.0.113.$n/32" dev lo; done
	note "three users on $US_IP selected by IDi and key; u3 with u2's key refused: $(grep -o 'IKE_AUTH failed.*' "$CDIR/us.log" | tail -n 1)"
}

# Three IKE SAs on one responder connection of ours (remote_addr %any, any
# identity, one PSK), all from charon's one address: u1, u2 and u3, each
# with its own identity and inner address.
peers_conf() { # DIR
	local dir=$1 n
	"$PYTHON" - "$dir/us.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
c = doc["connections"][0]
c["remote_addr"] = "%any"
c.pop("remote_id", None)
c.pop("initiate", None)
json.dump(doc, open(sys.argv[1], "w"), indent=2)
PY
	{
		ss_user_conns "$dir"
		printf 'secrets {\n  ike-any {\n    secret = "%s"\n  }\n}\n' "$SS_PSK"
	} >"$dir/swanctl.peers"
	cp "$dir/swanctl.peers" "$dir/swanctl.conf"
}
peers_up() {
	local n
	ss_gen_conf "$CDIR" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
	us_gen_conf "$CDIR"
	peers_conf "$CDIR"
	for n in 2 3; do ip -n "$SS_NS" addr replace "203.0.113.$n/32" dev lo; done
	ss_start "$SS_NS" "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	for n in 1 2 3; do
		ss_swanctl "$CDIR" --initiate --child net --ike "u$n" >"$CDIR/swanctl-u$n.out" 2>&1 ||
			fail "swanctl --initiate u$n failed: $(tail -n 1 "$CDIR/swanctl-u$n.out")" || return 1
	done
	[ "$(us_ike_count)" = 3 ] || fail "we hold $(us_ike_count) IKE SAs, want 3" || return 1
}
peers_addrs_del() { local n; for n in 2 3; do ip -n "$SS_NS" addr del "203.0.113.$n/32" dev lo 2>/dev/null; done; }
# the id of our IKE SA (or with "child" its CHILD SA's inbound SPI) whose
# CHILD SA reaches 203.0.113.N
us_sa_of_user() { # N [child]
	local what='str(sa.get("id"))'
	[ "${2:-}" = child ] && what='c.get("spi_in")'
	us_query "$CDIR" "\" \".join($what for sa in sas for c in children(sa) if c.get(\"remote_ts\") == [\"203.0.113.$1/32\"])"
}
ss_names() { ss_query "$CDIR" '" ".join(sorted(sa.get("name", "?") for sa in sas))'; }

# select.by-id: ipsecgw-ctl names one of three IKE SAs that share the
# connection and the peer address by its id, then a CHILD SA by SPI and
# one by the peer's identity; only those are acted on.
case_select_by_id() {
	local id2 spi3 out rc
	peers_up || { peers_addrs_del; return 1; }
	id2=$(us_sa_of_user 2); spi3=$(us_sa_of_user 3 child)
	[ -n "$id2" ] && [ -n "$spi3" ] || fail "list-sas has no id for u2 or no SPI for u3: $(us_sas_json "$CDIR" | tr -d '\n' | cut -c1-300)" || { peers_addrs_del; return 1; }
	out=$(us_ctl "$CDIR" terminate --id "$id2"); rc=$?
	[ $rc = 0 ] && grep -q "\"id\": $id2\$" <<<"$out" || fail "ipsecgw-ctl terminate --id $id2 exited $rc: $out" || { peers_addrs_del; return 1; }
	wait_until 10 test "$(ss_names)" = "u1 u3"
	[ "$(ss_names)" = "u1 u3" ] || fail "charon holds [$(ss_names)] after terminate --id $id2 (u2's), want u1 u3" || { peers_addrs_del; return 1; }
	[ "$(us_ike_count)" = 2 ] || fail "we hold $(us_ike_count) IKE SAs, want 2" || { peers_addrs_del; return 1; }
	us_ctl "$CDIR" rekey-child --spi "$spi3" >/dev/null || fail "ipsecgw-ctl rekey-child --spi $spi3 failed: $(tail -n 1 "$CDIR/ctl.log")" || { peers_addrs_del; return 1; }
	wait_until 10 us_has_event "$CDIR" CHILD_REKEYED || fail "no CHILD_REKEYED after rekey-child --spi $spi3" || { peers_addrs_del; return 1; }
	us_log_has "$CDIR" "event CHILD_REKEYED .*old_spi_in=$spi3" || fail "the CHILD SA rekeyed is not u3's ($spi3): $(us_event "$CDIR" CHILD_REKEYED)" || { peers_addrs_del; return 1; }
	us_ctl "$CDIR" delete-child c1 --peer-id u1.example >/dev/null || fail "ipsecgw-ctl delete-child --peer-id u1.example failed: $(tail -n 1 "$CDIR/ctl.log")" || { peers_addrs_del; return 1; }
	wait_until 10 test "$(us_sa_of_user 1 child)" = ""
	[ -z "$(us_sa_of_user 1 child)" ] && [ -n "$(us_sa_of_user 3 child)" ] || fail "after delete-child --peer-id u1.example: u1's CHILD SA [$(us_sa_of_user 1 child)], u3's [$(us_sa_of_user 3 child)]" || { peers_addrs_del; return 1; }
	out=$(us_ctl "$CDIR" dpd --id 99999 2>&1) && fail "dpd --id 99999 succeeded: $out" && { peers_addrs_del; return 1; }
	peers_addrs_del
	note "terminate --id $id2 took u2's IKE SA only; rekey-child --spi $spi3 u3's CHILD SA; delete-child --peer-id u1.example u1's"
}

# sigterm.every-sa: SIGTERM on our daemon sends a Delete for each of the
# three IKE SAs of its one responder connection, and exits.
case_sigterm_every_sa() {
	local pid t0 dt
	peers_up || { peers_addrs_del; return 1; }
	pid=$(us_pid "$CDIR"); t0=$(ipgw_now_ms)
	kill -TERM "$pid"
	wait_until 5 ipgw_pid_gone "$pid" || fail "ipsecgw-ike still runs 5 s after SIGTERM" || { peers_addrs_del; return 1; }
	dt=$(( $(ipgw_now_ms) - t0 ))
	wait "$pid" 2>/dev/null
	rm -f "$CDIR/us.pid" # its exit is what this case wants
	wait_until 5 test "$(ss_ike_count)" = 0
	[ "$(ss_ike_count)" = 0 ] || fail "charon still holds [$(ss_names)] after our SIGTERM" || { peers_addrs_del; return 1; }
	[ "$(grep -c 'received DELETE for IKE_SA' "$CDIR/charon.log")" = 3 ] ||
		fail "charon logged $(grep -c 'received DELETE for IKE_SA' "$CDIR/charon.log") 'received DELETE for IKE_SA' lines, want 3" || { peers_addrs_del; return 1; }
	us_log_has "$CDIR" "deleting 3 IKE SAs" || fail "our log does not say 'deleting 3 IKE SAs'" || { peers_addrs_del; return 1; }
	peers_addrs_del
	note "SIGTERM: 3 Deletes received by charon, daemon gone after $dt ms"
}

case_delete() { # BY
	local by=$1
	establish_default || return 1
	if [ "$by" = us ]; then
		us_ctl "$CDIR" delete-ike c1 >/dev/null || fail "ipsecgw-ctl delete-ike c1 failed: $(tail -n 1 "$CDIR/ctl.log")" || return 1
	else
		ss_swanctl "$CDIR" --terminate --ike c1 --timeout 10 >"$CDIR/swanctl-terminate.out" 2>&1 ||
			fail "swanctl --terminate --ike c1 failed: $(tail -n 1 "$CDIR/swanctl-terminate.out")" || return 1
	fi
	wait_until 10 us_has_event "$CDIR" IKE_DOWN || fail "no 'event IKE_DOWN' in our log" || return 1
	wait_until 10 both_no_sa
	us_no_sa || fail "our list-sas still lists: $(us_sas_json "$CDIR" | tr -d '\n' | cut -c1-300)" || return 1
	ss_no_sa || fail "strongSwan still lists: $(ss_ike_spis | tr '\n' ';')" || return 1
	us_alive "$CDIR" || fail "ipsecgw-ike exited after the delete" || return 1
}
both_no_sa() { us_no_sa && ss_no_sa; }

case_dpd() {
	US_DPD_DELAY=2; US_RETRANS_MS=500; US_RETRANS_TRIES=3
	establish_default || return 1
	local t0 dt
	ss_kill9 "$CDIR"
	t0=$(ipgw_now_ms)
	wait_until 25 us_has_event "$CDIR" IKE_DOWN || fail "no 'event IKE_DOWN' within 25 s of killing charon (dpd_delay 2, retransmit 500 ms x 3)" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 100 ))
	note "IKE_DOWN $((dt / 10)).$((dt % 10)) s after charon was killed: $(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)"
	[ "$dt" -le 200 ] || fail "IKE_DOWN took $((dt / 10)).$((dt % 10)) s (limit 20 s)" || return 1
	wait_until 5 us_no_sa
	us_no_sa || fail "our list-sas still lists an SA after IKE_DOWN" || return 1
}

# privileges.nobody: "privileges": {"user": "nobody"}: after set-up the
# daemon runs as nobody with no capability, no bounding set and
# NoNewPrivs, and still negotiates, answers its control socket, writes its
# key log and rekeys.
proc_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
case_privileges() {
	US_USER=nobody
	establish_default || return 1
	local pid uid f
	pid=$(us_pid "$CDIR")
	uid=$(proc_field "$pid" Uid)
	[ "$uid" = "$(id -u nobody)" ] || fail "daemon runs as uid $uid, not nobody's $(id -u nobody)" || return 1
	for f in CapEff CapPrm CapBnd; do
		[ "$(proc_field "$pid" $f)" = 0000000000000000 ] || fail "$f is $(proc_field "$pid" $f), want none" || return 1
	done
	[ "$(proc_field "$pid" NoNewPrivs)" = 1 ] || fail "NoNewPrivs is not set" || return 1
	us_log_has "$CDIR" "privileges: running as uid $uid" || fail "no 'privileges: running as uid $uid' line in our log" || return 1
	key_check || return 1
	local old_in old_out
	read -r old_in old_out <<<"$(us_child_spis)"
	us_ctl "$CDIR" rekey-child c1 >/dev/null || fail "ipsecgw-ctl rekey-child c1 failed as nobody: $(tail -n 1 "$CDIR/ctl.log")" || return 1
	wait_until 15 us_has_event "$CDIR" CHILD_REKEYED || fail "no 'event CHILD_REKEYED' in our log" || return 1
	wait_until 10 child_rekey_done "$old_in" "$old_out"
	check_spis_match || return 1
	note "uid $uid, no capability, NoNewPrivs; key log, control socket and a CHILD rekey work"
}

# initiate.child: `ipsecgw-ctl initiate c1 net` after the CHILD SA was
# deleted brings it back on the same IKE SA (as swanctl --initiate --child).
us_child_count() { us_query "$CDIR" 'sum(len(children(sa)) for sa in sas)'; }
case_initiate_child() {
	establish_default || return 1
	local ike_before ike_after
	ike_before=$(us_ike_spis)
	us_ctl "$CDIR" delete-child c1 >/dev/null || fail "ipsecgw-ctl delete-child c1 failed: $(tail -n 1 "$CDIR/ctl.log")" || return 1
	wait_until 10 eval '[ "$(us_child_count)" = 0 ]' || fail "the CHILD SA is still listed after delete-child" || return 1
	us_ctl "$CDIR" initiate c1 net >/dev/null || fail "ipsecgw-ctl initiate c1 net failed: $(tail -n 1 "$CDIR/ctl.log")" || return 1
	wait_until 15 eval '[ "$(us_child_count)" = 1 ] && ss_child_installed' || fail "no CHILD SA after initiate c1 net" || return 1
	check_spis_match || return 1
	ike_after=$(us_ike_spis)
	[ "$ike_before" = "$ike_after" ] || fail "the IKE SA changed ($ike_before -> $ike_after): the CHILD SA should come on the one established" || return 1
	note "CHILD SA net back on IKE SA $ike_after"
}

# metrics.scrape: "metrics": {"listen": ...}: the endpoint answers in our
# namespace with text promtool accepts, and counts the tunnel that is up.
case_metrics() {
	US_METRICS="$US_IP:9460"
	establish_default || return 1
	local m=$CDIR/metrics.txt want
	ip netns exec "$US_NS" curl -sS --max-time 5 -o "$m" -w '%{http_code} %{content_type}\n' \
		"http://$US_IP:9460/metrics" >"$CDIR/curl.out" 2>&1 ||
		fail "curl: $(tail -n 1 "$CDIR/curl.out")" || return 1
	grep -q '^200 text/plain; version=0.0.4' "$CDIR/curl.out" || fail "answer: $(cat "$CDIR/curl.out")" || return 1
	promtool check metrics <"$m" >"$CDIR/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(head -n 3 "$CDIR/promtool.out" | tr '\n' ' ')" || return 1
	for want in 'ipsecgw_ike_conn_sas{conn="c1"} 1' 'ipsecgw_ike_child_sas{conn="c1",child="net"} 1' \
		'ipsecgw_ike_ike_sa_up_total 1' 'ipsecgw_ike_sas_established 1'; do
		grep -qxF "$want" "$m" || fail "no line '$want' in the metrics (see metrics.txt)" || return 1
	done
	ip netns exec "$US_NS" curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$US_IP:9460/" >"$CDIR/curl404.out" 2>&1
	[ "$(cat "$CDIR/curl404.out")" = 404 ] || fail "GET / answered $(cat "$CDIR/curl404.out"), not 404" || return 1
	note "$(grep -c '^ipsecgw_' "$m") samples, promtool check metrics clean"
}

us_ike_count() { us_query "$CDIR" 'len(sas)'; }
ss_ike_count() { ss_query "$CDIR" 'len(sas)'; }
one_each_up() { [ "$(us_ike_count)" = 1 ] && [ "$(ss_ike_count)" = 1 ] && both_up; }

# restart.us-killed: our daemon (start_action start) is killed with -9 and
# started again: it initiates by itself, with INITIAL_CONTACT, and charon
# (uniqueids=no: it replaces only on INITIAL_CONTACT) drops the stale SA.
case_restart_us() {
	local old t0 dt
	US_INITIATE=true
	start_both || return 1
	wait_until 15 both_up || fail "the tunnel did not come up by itself (start_action start)" || return 1
	old=$(us_ike_spis)
	kill -KILL "$(us_pid "$CDIR")"; wait "$(us_pid "$CDIR")" 2>/dev/null
	mv "$CDIR/us.log" "$CDIR/us.before-kill.log"
	t0=$(ipgw_now_ms)
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike did not start again" || return 1
	wait_until 15 one_each_up || fail "after the restart: ours lists $(us_ike_count) IKE SA(s), charon $(ss_ike_count) ($(ss_ike_spis | tr '\n' ';'))" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 10 ))
	[ "$(us_ike_spis)" != "$old" ] || fail "the IKE SA did not change" || return 1
	grep -q 'INITIAL_CONTACT' "$CDIR/charon.log" || note "charon's log does not name INITIAL_CONTACT"
	note "tunnel back $((dt / 100)).$((dt % 100 / 10)) s after our restart; charon kept one IKE SA: $(ss_ike_spis | tr '\n' ' ')"
}

# restart.ss-killed: charon (start_action start) is killed with -9 and
# started again; its INITIAL_CONTACT makes us drop the stale IKE SA at once
# (no DPD configured on our side).
case_restart_ss() {
	local t0 dt
	SS_START_ACTION=start
	start_both || return 1
	wait_until 15 both_up || fail "charon's start_action did not bring the tunnel up" || return 1
	ss_kill9 "$CDIR"
	t0=$(ipgw_now_ms)
	ss_start "$SS_NS" "$CDIR" || fail "charon did not start again" || return 1
	wait_until 15 one_each_up || fail "after charon's restart: ours lists $(us_ike_count) IKE SA(s), charon $(ss_ike_count)" || return 1
	dt=$(( ($(ipgw_now_ms) - t0) / 10 ))
	us_has_event "$CDIR" IKE_DOWN || fail "no IKE_DOWN for the stale SA" || return 1
	[ "$(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)" = "peer restarted (INITIAL_CONTACT)" ] ||
		fail "stale SA ended for another reason: $(ev_field "$(us_event "$CDIR" IKE_DOWN)" reason)" || return 1
	note "tunnel back and the stale IKE SA gone $((dt / 100)).$((dt % 100 / 10)) s after charon's restart"
}

# loss.bring-ups: nftables in our namespace drops 30 % of the IKE datagrams
# each way (numgen random); 50 times we initiate, wait for the tunnel and
# delete it. Every bring-up must succeed, by retransmission and keyingtries
# (0: forever); the number of failed attempts and the times are noted.
LOSS_ROUNDS=${IPGW_LOSS_ROUNDS:-50}
loss_nft() {
	ip netns exec "$US_NS" nft -f - <<'NFT'
table inet ipgw_loss {
	chain in { type filter hook input priority 0; udp dport { 500, 4500 } numgen random mod 100 < 30 drop; }
	chain out { type filter hook output priority 0; udp sport { 500, 4500 } numgen random mod 100 < 30 drop; }
}
NFT
}
case_loss() {
	local i t0 t dt ok=0 times=() failed
	US_KEYINGTRIES=0
	start_both || return 1
	loss_nft || fail "nft could not install the loss rules" || return 1
	t0=$(ipgw_now_ms)
	for i in $(seq 1 "$LOSS_ROUNDS"); do
		t=$(ipgw_now_ms)
		us_ctl "$CDIR" initiate c1 >/dev/null 2>&1
		wait_until 60 both_up || { note "bring-up $i did not complete within 60 s"; break; }
		times+=($(( $(ipgw_now_ms) - t )))
		ok=$((ok + 1))
		us_ctl "$CDIR" delete-ike c1 >/dev/null 2>&1
		wait_until 20 us_no_sa
	done
	ip netns exec "$US_NS" nft delete table inet ipgw_loss 2>/dev/null
	dt=$(( ($(ipgw_now_ms) - t0) / 1000 ))
	failed=$(grep -c 'event FAILED' "$CDIR/us.log")
	note "$ok of $LOSS_ROUNDS bring-ups with 30 % of IKE datagrams lost each way in $dt s; $failed attempt(s) failed and were retried (keyingtries); per bring-up median $(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms, max $(printf '%s\n' "${times[@]}" | sort -n | tail -1) ms"
	[ "$ok" = "$LOSS_ROUNDS" ] || fail "only $ok of $LOSS_ROUNDS bring-ups succeeded" || return 1
}

# frag.us-init / frag.ss-init: IKE fragmentation (RFC 7383) with charon,
# set up by lib.sh's frag_* helpers: both ends at fragment_size 576, long
# identities and eight selectors a side, so that IKE_AUTH is fragmented
# both ways. The SA must come up, and our capture must show SKF payloads in
# IKE_AUTH from each end, every one within 576 octets of IP datagram.
frag_confs() {
	local us_id ss_id
	us_id=$(frag_id us); ss_id=$(frag_id ss)
	ss_gen_conf "$CDIR" "$SS_IP" "$US_IP" "$(frag_nets 203.0.113)" "$(frag_nets 198.51.100)"
	us_gen_conf "$CDIR"
	frag_ss_conf "$CDIR" "$us_id" "$ss_id"
	frag_us_json "$CDIR/us.json" "$us_id" "$ss_id"
}
case_frag() { # WHO
	local who=$1 pid us ss big st
	frag_confs
	ss_start "$SS_NS" "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
	ip netns exec "$US_NS" tcpdump -i v0 -n -U --immediate-mode -s 0 -w "$CDIR/ike.pcap" \
		'udp port 500 or udp port 4500' >"$CDIR/tcpdump-ike.out" 2>&1 </dev/null &
	pid=$!
	ipgw_track_pid "$pid"
	wait_until 5 grep -q 'listening on' "$CDIR/tcpdump-ike.out" || fail "tcpdump did not start" || return 1
	initiate "$who"
	wait_until 15 both_up
	sleep 0.3
	kill -INT "$pid" 2>/dev/null; wait_until 3 ipgw_pid_gone "$pid"; wait "$pid" 2>/dev/null
	check_up "$US_IKE_PROPS" "$US_ESP_PROPS" || return 1
	read -r us ss big <<<"$(frag_count "$CDIR/ike.pcap")"
	[ "${us:-0}" -ge 2 ] && [ "${ss:-0}" -ge 2 ] ||
		fail "IKE_AUTH not fragmented both ways: SKF datagrams from us ${us:-?}, from charon ${ss:-?}" || return 1
	[ "$big" -le "$FRAG_SIZE" ] || fail "an SKF datagram of $big octets, over fragment_size $FRAG_SIZE" || return 1
	grep -q 'received fragment #' "$CDIR/charon.log" || note "charon's log (level 2) does not show the fragments it received"
	st=$(us_ctl "$CDIR" stats | "$PYTHON" -c 'import sys, json; s = json.load(sys.stdin)["stats"]; print(s["frag_tx"], s["frag_rx"], s["frag_reassembled"])')
	note "IKE_AUTH in SKF datagrams: $us from us, $ss from charon, largest $big octets; our stats frag_tx/frag_rx/reassembled: $st"
	key_check || return 1
}
run_case() {
	local name=$1 p
	TUNNEL_BY=us
	if [[ $name == *.ss-tunnel ]]; then
		TUNNEL_BY=ss
		name=${name%.ss-tunnel}
	fi
	case $name in
	mismatch.us-init)   case_mismatch us ;;
	mismatch.ss-init)   case_mismatch ss ;;
	wrong-psk.us-init)  case_wrong_psk us ;;
	wrong-psk.ss-init)  case_wrong_psk ss ;;
	child-rekey.by-us)  case_child_rekey us ;;
	child-rekey.by-ss)  case_child_rekey ss ;;
	ike-rekey.by-us)    case_ike_rekey us ;;
	ike-rekey.by-ss)    case_ike_rekey ss ;;
	ike-rekey.crossed)  case_ike_rekey_crossed ;;
	psk.per-user)       case_psk_per_user ;;
	select.by-id)       case_select_by_id ;;
	sigterm.every-sa)   case_sigterm_every_sa ;;
	delete.by-us)       case_delete us ;;
	delete.by-ss)       case_delete ss ;;
	dpd.peer-killed)    case_dpd ;;
	restart.us-killed)  case_restart_us ;;
	restart.ss-killed)  case_restart_ss ;;
	loss.bring-ups)     case_loss ;;
	privileges.nobody)  case_privileges ;;
	initiate.child)     case_initiate_child ;;
	metrics.scrape)     case_metrics ;;
	frag.us-init)       frag_ss_addrs add; case_frag us; p=$?; frag_ss_addrs del; return $p ;;
	frag.ss-init)       frag_ss_addrs add; case_frag ss; p=$?; frag_ss_addrs del; return $p ;;
	*)
		for p in "${PROPOSALS[@]}"; do
			IFS='|' read -r ike esp kind <<<"$p"
			if [ "$name" = "$ike.us-init" ]; then case_proposal "$ike" "$esp" "$kind" us; return; fi
			if [ "$name" = "$ike.ss-init" ]; then case_proposal "$ike" "$esp" "$kind" ss; return; fi
		done
		fail "unknown case"
		;;
	esac
}

# ---------------------------------------------------------------- main

if [ "${1:-}" = -l ]; then all_cases; exit 0; fi
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,18p' "$0"; exit 0; fi

ipgw_select_cases "$@" || { echo "no case matches: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

ipgw_require_root || { echo "0 passed, 1 failed"; exit 1; }
for tool in ip tcpdump tshark swanctl "$CHARON" "$PYTHON" unshare timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "interop: missing tool $tool (run: make deps)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done

trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
ipgw_ns_setup || { echo "FAIL setup: could not create the namespaces"; echo "0 passed, 1 failed"; exit 1; }

PASSED=0; FAILED=0; FAILED_NAMES=()
RUN_T0=$(ipgw_now_ms)
for CASE in "${SELECTED[@]}"; do
	CDIR=$IPGW_WORK/$CASE
	mkdir -p "$CDIR"
	WHY=""; NOTES=()
	us_defaults; ss_defaults
	t0=$(ipgw_now_ms)
	if (( ($(ipgw_now_ms) - RUN_T0) / 1000 > MATRIX_BUDGET_S )); then
		WHY="not run: matrix time budget of $MATRIX_BUDGET_S s exhausted"; ok=1
	elif [ ! -x "$IKE_BIN" ] || [ ! -x "$CTL_BIN" ]; then
		WHY="$IKE_BIN or $CTL_BIN not built (make)"; ok=1
	else
		run_case "$CASE"; ok=$?
		# a daemon that died during the case is a failure whatever else held
		if ! us_alive "$CDIR" && [ -f "$CDIR/us.pid" ] && [ ! -s "$CDIR/us_error" ]; then
			wait "$(us_pid "$CDIR")" 2>/dev/null; st=$?
			sig=""; [ "$st" -gt 128 ] && sig=" (signal $((st - 128)))"
			WHY="ipsecgw-ike died during the case with status $st$sig${WHY:+; first problem: $WHY}"; ok=1
		fi
	fi
	ipgw_mark_logs "$CDIR"
	us_stop "$CDIR"; ss_stop "$CDIR"; cap_stop "$CDIR"
	# sanitizer builds (IKE_BIN=...asan...) report at any time, leaks at exit
	san=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$CDIR/us.log" 2>/dev/null)
	if [ -n "$san" ]; then
		WHY="sanitizer report in us.log: $san${WHY:+; also: $WHY}"; ok=1
		NOTES+=("sanitizer report: $(grep -m1 -A14 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$CDIR/us.log" | tr '\n' '~' | sed 's/~/\n    /g')")
	fi
	secs=$(( ($(ipgw_now_ms) - t0) / 100 ))
	if [ "$ok" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "PASS $CASE ($((secs / 10)).$((secs % 10)) s)"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		[ "${IPGW_KEEP_LOGS:-0}" = 1 ] && ipgw_keep_logs "$CDIR" "$CASE"
	else
		FAILED=$((FAILED + 1)); FAILED_NAMES+=("$CASE")
		echo "FAIL $CASE: ${WHY:-unknown reason}"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		[ -d "$CDIR" ] && [ -n "$(ls -A "$CDIR")" ] && { ipgw_show_logs "$CDIR"; ipgw_keep_logs "$CDIR" "$CASE"; }
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
