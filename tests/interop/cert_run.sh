#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Certificate authentication against strongSwan: build/ipsecgw-ike and charon
# in the namespaces of tests/interop/lib.sh, with a PKI made at run time by
# tests/interop/cert_pki.sh (root, intermediate, RSA-3072 / P-256 / P-384 /
# Ed25519 end entities, an expired one, one from an untrusted CA, a second
# root, OCSP databases and CRLs). Revocation: `openssl ocsp` responders in
# charon's namespace answer for the configured responders
# (credentials.ocsp_responders); ipsecgw-ctl reload-creds swaps CRL files and
# certificates under a live SA.
#
#   bash tests/interop/cert_run.sh              run every case
#   bash tests/interop/cert_run.sh -l           list the case names
#   bash tests/interop/cert_run.sh REGEX...     run the cases matching any REGEX
#
# Environment: IKE_BIN / CTL_BIN, IPGW_KEEP_LOGS=1, IPGW_LOG_DIR,
# IPGW_TAIL_LINES, IPGW_CHARON_LOGLEVEL. Prints "PASS name" / "FAIL name: why"
# per case and ends with "N passed, M failed"; exits non-zero if any case
# failed. See docs/interop.md.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
US_NS=${US_NS:-ipgw-cus-$$}
SS_NS=${SS_NS:-ipgw-css-$$}
# shellcheck source=tests/interop/lib.sh
source "$HERE/lib.sh"
# shellcheck source=tests/interop/lib_gw.sh
source "$HERE/lib_gw.sh"
# shellcheck source=tests/interop/cert_pki.sh
source "$HERE/cert_pki.sh"

BUDGET_S=${IPGW_CERT_BUDGET_S:-420}   # whole run, wall clock (235 s seen under load)
PKI=""                                # the PKI folder, made once per run
PSK="interop-cert-psk-0123456789"

# DN of our and charon's end entity NAME (cert_pki.sh's subjects)
dn_of() {
	local o=Example
	[ "$1" = us-r2 ] && o=Second
	[[ $1 == *-other ]] && o=Other
	echo "C=CH, O=$o, CN=$1.example.org"
}

# ---------------------------------------------------------------- case list

KEYTYPES=(rsa p256 p384 ed25519)

all_cases() {
	local t w
	for t in "${KEYTYPES[@]}"; do
		for w in us-init ss-init; do echo "key-$t.$w"; done
	done
	for w in us-init ss-init; do
		echo "rsa-pss.$w"
		echo "mixed.us-sig-ss-psk.$w"
		echo "mixed.us-psk-ss-sig.$w"
		echo "certreq.root.$w"
		echo "certreq.root2.$w"
		echo "certreq.root2-in-file.$w"
		echo "ca-constraint.$w"
		echo "refuse.expired.$w"
		echo "refuse.untrusted.$w"
		echo "refuse.id-mismatch.$w"
		echo "refuse.psk.$w"
		echo "refuse.no-cert.$w"
		echo "refuse.ca-constraint.$w"
		echo "ss-refuses.expired.$w"
		echo "ss-refuses.untrusted.$w"
	done
	echo "ocsp-responder.good.us-init"
	echo "ocsp-responder.good.ss-init"
	echo "ocsp-responder.revoked.ss-init"
	echo "ocsp-responder.revoked.us-init"
	echo "reload-creds.crl.ss-init"
	echo "reload-creds.bad-file.ss-init"
	# last: they need the gateway's topology (lib_gw.sh) instead
	echo "gw.p256.ss-init"
	echo "gw.p256.us-init"
}

# ---------------------------------------------------------------- configuration

# Settings per case (cert_defaults resets them). Files are names in $PKI.
cert_defaults() {
	US_METHOD=pubkey          # our auth.method
	US_CERT="us-p256"         # our end entity (NAME.pem holds its chain)
	US_CERTS=""               # several: "NAME NAME" (auth.certs)
	US_PSS=false
	US_LOCAL_ID=""            # empty: left out (the certificate's subject)
	US_REMOTE_ID="$(dn_of ss-p256)"
	US_REMOTE_METHOD=""       # remote_auth.method; empty: remote_auth left out
	US_REMOTE_CA=""
	US_CACERTS="root"         # credentials.cacerts
	US_INTERMEDIATES=""       # credentials.intermediates
	US_CRLS=""                # credentials.crls: NAME.crl in $PKI
	US_OCSP=""                # credentials.ocsp_responders: "CA=PORT ..." (CA.crt, charon's address)
	US_REVOCATION=""          # remote_auth.revocation (with US_REMOTE_METHOD)
	SS_AUTH=pubkey            # charon's local auth
	SS_CERT="ss-p256"
	SS_ID="$(dn_of ss-p256)"
	SS_REMOTE_AUTH=pubkey
	SS_REMOTE_ID="%any"
	SS_CAS="root"             # charon's trust anchors (x509ca)
	SS_IMS="inter"            # other CA certificates it holds (x509)
	SS_SEND_CERT=ifasked
	SS_RSA_PSS=no
	SS_CONNS="c1"             # charon's connections: the same but for the name
	SS_C2_ID=""               # charon's identity in c2 (empty: SS_ID)
}

# us_cert_conf DIR: DIR/us.json from the US_* settings.
us_cert_conf() {
	local dir=$1 auth remote cas=() ims=() crls=() ocsp="" c n
	for c in $US_CACERTS; do cas+=("$PKI/$c.crt"); done
	for c in $US_INTERMEDIATES; do ims+=("$PKI/$c.crt"); done
	for c in $US_CRLS; do crls+=("$PKI/$c.crl"); done
	for c in $US_OCSP; do
		ocsp+="${ocsp:+, }{ \"ca\": \"$PKI/${c%%=*}.crt\", \"uri\": \"http://$SS_IP:${c#*=}/\" }"
	done
	if [ "$US_METHOD" = psk ]; then
		auth="{ \"method\": \"psk\", \"psk\": \"$PSK\" }"
	elif [ -n "$US_CERTS" ]; then
		auth="{ \"method\": \"pubkey\", \"certs\": ["
		n=0
		for c in $US_CERTS; do
			[ $n = 0 ] || auth+=", "
			auth+="{ \"cert\": \"$PKI/$c.pem\", \"key\": \"$PKI/$c.key\" }"
			n=1
		done
		auth+="] }"
	else
		auth="{ \"method\": \"pubkey\", \"cert\": \"$PKI/$US_CERT.pem\", \"key\": \"$PKI/$US_CERT.key\", \"pss\": $US_PSS }"
	fi
	remote=""
	if [ -n "$US_REMOTE_METHOD" ]; then
		remote="\"remote_auth\": { \"method\": \"$US_REMOTE_METHOD\""
		[ "$US_REMOTE_METHOD" = psk ] && remote+=", \"psk\": \"$PSK\""
		[ -n "$US_REMOTE_CA" ] && remote+=", \"ca\": \"$US_REMOTE_CA\""
		[ -n "$US_REVOCATION" ] && remote+=", \"revocation\": \"$US_REVOCATION\""
		remote+=" },"
	fi
	cat >"$dir/us.json" <<EOF
{
  "local": { "addresses": ["$US_IP"] },
  "log": { "level": "debug", "keylog": "$dir/us.keylog" },
  "control": { "socket": "$dir/ctl.sock" },
  "ike": { "retransmit_timeout_ms": 500, "retransmit_tries": 3 },
  "credentials": { "cacerts": $(ipgw_json_list "${cas[@]}"), "intermediates": $(ipgw_json_list "${ims[@]}"),
    "crls": $(ipgw_json_list "${crls[@]}"), "ocsp_responders": [ $ocsp ] },
  "connections": [
    {
      "name": "c1",
      "local_addr": "$US_IP",
      "remote_addr": "$SS_IP",
$( [ -n "$US_LOCAL_ID" ] && echo "      \"local_id\": \"$US_LOCAL_ID\",")
      "remote_id": "$US_REMOTE_ID",
      "auth": $auth,
      $remote
      "ike_proposals": ["aes128gcm16-prfsha256-x25519"],
      "keyingtries": 1,
      "children": [
        {
          "name": "net",
          "local_ts": ["$US_NET"],
          "remote_ts": ["$SS_NET"],
          "esp_proposals": ["aes128gcm16"],
          "mode": "tunnel"
        }
      ]
    }
  ]
}
EOF
}

# ss_auth_lines AUTH CERT ID: one end's section body of swanctl.conf.
ss_auth_lines() {
	echo "      auth = $1"
	echo "      id = \"$3\""
	[ -n "$2" ] && echo "      certs = $2.crt"
}

# ss_cert_conf DIR: lib.sh's strongswan.conf (plus pkcs8, rsa_pss) and a
# swanctl folder in DIR (SWANCTL_DIR): x509ca/ the trust anchors, x509/
# charon's certificate and the intermediate (not a trust anchor: charon
# sends it along), private/ its key.
ss_cert_conf() {
	local dir=$1 c
	ss_gen_conf "$dir" "$SS_IP" "$US_IP" "$SS_NET" "$US_NET"
	sed -i -e 's/^\(  load = .*pkcs1\)/\1 pkcs8/' \
		-e "s/^  uniqueids = .*/&\n  rsa_pss = $SS_RSA_PSS/" "$dir/strongswan.conf"
	mkdir -p "$dir/x509ca" "$dir/x509" "$dir/private"
	for c in $SS_CAS; do cp "$PKI/$c.crt" "$dir/x509ca/"; done
	for c in $SS_IMS; do cp "$PKI/$c.crt" "$dir/x509/"; done
	if [ "$SS_AUTH" != psk ]; then
		cp "$PKI/$SS_CERT.crt" "$dir/x509/"
		cp "$PKI/$SS_CERT.key" "$dir/private/"
	fi
	{
		echo "connections {"
		for c in $SS_CONNS; do ss_conn_lines "$c"; done
		echo "}"
		echo "secrets {"
		echo "  ike-c1 {"
		echo "    secret = \"$PSK\""
		echo "  }"
		echo "}"
	} >"$dir/swanctl.conf"
}

# ss_conn_lines NAME: one connection of charon's swanctl.conf.
ss_conn_lines() {
	{
		echo "  $1 {"
		echo "    version = 2"
		echo "    local_addrs = $SS_IP"
		echo "    remote_addrs = $US_IP"
		echo "    proposals = aes128gcm16-prfsha256-x25519"
		echo "    rekey_time = 0"
		echo "    reauth_time = 0"
		echo "    mobike = no"
		echo "    send_cert = $SS_SEND_CERT"
		echo "    local {"
		ss_auth_lines "$SS_AUTH" "$([ "$SS_AUTH" = psk ] || echo "$SS_CERT")" \
			"$([ "$1" = c2 ] && echo "${SS_C2_ID:-$SS_ID}" || echo "$SS_ID")"
		echo "    }"
		echo "    remote {"
		ss_auth_lines "$SS_REMOTE_AUTH" "" "$SS_REMOTE_ID"
		echo "    }"
		echo "    children {"
		echo "      net {"
		echo "        local_ts = $SS_NET"
		echo "        remote_ts = $US_NET"
		echo "        esp_proposals = aes128gcm16"
		echo "        mode = tunnel"
		echo "        rekey_time = 0"
		echo "        start_action = none"
		echo "      }"
		echo "    }"
		echo "  }"
	}
}

# ---------------------------------------------------------------- case plumbing

WHY=""; NOTES=(); CDIR=""; CASE=""
fail() { WHY=$*; return 1; }
note() { NOTES+=("$*"); }

start_both() {
	us_cert_conf "$CDIR"
	ss_cert_conf "$CDIR"
	export SWANCTL_DIR=$CDIR
	ss_start "$SS_NS" "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	us_start "$US_NS" "$CDIR" || fail "ipsecgw-ike: $(cat "$CDIR/us_error" 2>/dev/null)" || return 1
}

# initiate WHO: "us" (ipsecgw-ctl initiate c1) or "ss" (swanctl).
initiate() {
	if [ "$1" = us ]; then
		us_ctl "$CDIR" initiate c1 >/dev/null 2>&1
	else
		ss_swanctl "$CDIR" --initiate --child net --timeout 15 >"$CDIR/swanctl-initiate.out" 2>&1
	fi
}

ss_child_installed() { [ "$(ss_query "$CDIR" 'sum(1 for sa in sas for c in children(sa) if c.get("state") == "INSTALLED")')" -ge 1 ] 2>/dev/null; }
ss_established() { [ "$(ss_query "$CDIR" 'len([sa for sa in sas if sa.get("state") == "ESTABLISHED"])')" -ge 1 ] 2>/dev/null; }
us_child_listed() { [ "$(us_query "$CDIR" 'sum(len(children(sa)) for sa in sas)')" -ge 1 ] 2>/dev/null; }
both_up() { us_has_event "$CDIR" CHILD_UP && us_child_listed && ss_child_installed; }
ss_log_has() { grep -qF -- "$1" "$CDIR/charon.log" 2>/dev/null; }
us_log_fixed() { grep -qF -- "$1" "$CDIR/us.log" 2>/dev/null; }

# check_tunnel: both ends up with the same IKE SPIs and crosswise CHILD SPIs.
check_tunnel() {
	local us ss
	wait_until 15 both_up || fail "tunnel not up on both ends (our CHILD_UP: $(us_has_event "$CDIR" CHILD_UP && echo yes || echo no), charon's CHILD_SA installed: $(ss_child_installed && echo yes || echo no))" || return 1
	us=$(us_query "$CDIR" '" ".join(spi64(sa.get("spi_i")) + " " + spi64(sa.get("spi_r")) + " " + spi(c.get("spi_in")) + " " + spi(c.get("spi_out")) for sa in sas for c in children(sa))')
	ss=$(ss_query "$CDIR" '" ".join(spi64(sa.get("initiator-spi")) + " " + spi64(sa.get("responder-spi")) + " " + spi(c.get("spi-out")) + " " + spi(c.get("spi-in")) for sa in sas for c in children(sa))')
	[ -n "$us" ] && [ "$us" = "$ss" ] || fail "SPIs differ: ours '$us', charon's (crosswise) '$ss'" || return 1
}

# check_ss_authenticated ID SCHEME: charon's log says it verified our AUTH
# for ID with a signature scheme whose name contains SCHEME.
check_ss_authenticated() {
	local line
	line=$(grep -F "authentication of '$1' with" "$CDIR/charon.log" | grep -v '(myself)' | head -n 1)
	[ -n "$line" ] || fail "charon's log has no \"authentication of '$1' with ... successful\"" || return 1
	[[ $line == *"$2"*successful* ]] || fail "charon: '${line#*] }' (expected a scheme containing $2)" || return 1
	note "charon: ${line#*] }"
}

# check_ss_received_cert DN: charon received our end entity DN.
check_ss_received_cert() {
	ss_log_has "received end entity cert \"$1\"" ||
		fail "charon's log has no 'received end entity cert \"$1\"' ($(grep -o 'received end entity cert.*' "$CDIR/charon.log" | head -n 1))" || return 1
}

# expect_refusal WHO LINE: WHO initiates; our log must contain LINE (fixed
# string) and neither end may have an established SA.
expect_refusal() {
	local who=$1 want=$2
	start_both || return 1
	initiate "$who" && [ "$who" = ss ] && { fail "swanctl --initiate succeeded"; return 1; }
	wait_until 10 us_log_fixed "$want" ||
		fail "our log lacks '$want' (it has: $(grep -m1 -o 'IKE_AUTH failed.*' "$CDIR/us.log"))" || return 1
	us_has_event "$CDIR" IKE_UP && { fail "our log shows IKE_UP"; return 1; }
	note "ours: $(grep -m1 -F "$want" "$CDIR/us.log" | grep -o 'IKE_AUTH failed.*' | head -c 400)"
	if [ "$who" = ss ]; then
		wait_until 5 ss_log_has 'received AUTHENTICATION_FAILED notify error' ||
			fail "charon did not receive our AUTHENTICATION_FAILED" || return 1
	elif ss_established; then
		# RFC 7296 2.21.2 lets the initiator tell the responder in an
		# INFORMATIONAL (MAY; charon does it): we do not, yet
		note "charon keeps its IKE_SA ESTABLISHED: we sent it no INFORMATIONAL with AUTHENTICATION_FAILED"
	fi
	return 0
}

# ---------------------------------------------------------------- cases

# key-TYPE: both ends sign with TYPE keys, chains through the intermediate
# (each end sends it; the trust anchor is the root). Identities vary with
# the type: DN (rsa, ed25519), FQDN from the SAN (p256), IP from the SAN (p384).
case_key() { # TYPE WHO
	local t=$1 who=$2 our_id
	US_CERT="us-$t"; SS_CERT="ss-$t"
	case $t in
	p256) US_LOCAL_ID=us.example.org; US_REMOTE_ID=ss.example.org; SS_ID=ss.example.org ;;
	p384) US_LOCAL_ID=$US_IP; US_REMOTE_ID=$SS_IP; SS_ID=$SS_IP ;;
	ed25519) US_REMOTE_ID="%any"; SS_ID=$(dn_of "ss-$t") ;;
	*) US_REMOTE_ID=$(dn_of "ss-$t"); SS_ID=$US_REMOTE_ID ;;
	esac
	SS_REMOTE_ID=${US_LOCAL_ID:-$(dn_of "us-$t")}
	our_id=$SS_REMOTE_ID
	start_both || return 1
	initiate "$who"
	check_tunnel || return 1
	check_ss_received_cert "$(dn_of "us-$t")" || return 1
	ss_log_has 'received issuer cert "C=CH, O=Example, CN=Intermediate"' ||
		note "charon's log does not show our intermediate as received"
	case $t in
	rsa) check_ss_authenticated "$our_id" RSA ;;
	ed25519) check_ss_authenticated "$our_id" ED25519 ;;
	*) check_ss_authenticated "$our_id" ECDSA ;;
	esac
}

# rsa-pss: both ends RSA-PSS (our "pss": true, charon's rsa_pss = yes); charon
# insists on it from us (remote auth = pubkey-rsa/pss).
case_pss() { # WHO
	US_CERT="us-rsa"; SS_CERT="ss-rsa"; US_PSS=true; SS_RSA_PSS=yes
	US_REMOTE_ID=$(dn_of ss-rsa); SS_ID=$US_REMOTE_ID
	SS_REMOTE_ID=$(dn_of us-rsa); SS_REMOTE_AUTH=pubkey-rsa/pss
	start_both || return 1
	initiate "$1"
	check_tunnel || return 1
	check_ss_authenticated "$SS_REMOTE_ID" RSA_EMSA_PSS || return 1
	note "charon signed with: $(grep -o "authentication of '[^']*' (myself) with [^ ]*" "$CDIR/charon.log" | head -n 1)"
	grep -q "authentication of '[^']*' (myself) with RSA_EMSA_PSS" "$CDIR/charon.log" ||
		fail "charon did not sign with RSASSA-PSS" || return 1
}

# mixed: one end signs, the other uses the PSK.
case_mixed() { # us-sig-ss-psk|us-psk-ss-sig WHO
	US_LOCAL_ID=us.example.org; US_REMOTE_ID=ss.example.org
	SS_ID=ss.example.org; SS_REMOTE_ID=us.example.org
	if [ "$1" = us-sig-ss-psk ]; then
		US_REMOTE_METHOD=psk; SS_AUTH=psk
	else
		US_METHOD=psk; US_REMOTE_METHOD=pubkey; SS_REMOTE_AUTH=psk
	fi
	start_both || return 1
	initiate "$2"
	check_tunnel || return 1
	if [ "$1" = us-sig-ss-psk ]; then
		check_ss_authenticated us.example.org ECDSA || return 1
		ss_log_has "authentication of 'ss.example.org' (myself) with pre-shared key" ||
			fail "charon did not authenticate itself with the PSK" || return 1
	else
		check_ss_authenticated us.example.org "pre-shared key" || return 1
		grep -q "authentication of 'ss.example.org' (myself) with ECDSA" "$CDIR/charon.log" ||
			fail "charon did not sign with ECDSA" || return 1
	fi
}

# certreq.ROOT: we hold two certificates, us-p256 (under Root CA, through
# the intermediate) and us-r2 (under Second Root CA), and trust both roots;
# charon trusts only ROOT and names it in its CERTREQ: the one below ROOT
# must be sent. root2-in-file: we trust Root CA only; the Second Root CA is
# in us-r2's file (us-r2b.pem), which is how the daemon knows that us-r2
# chains to it.
case_certreq() { # root|root2|root2-in-file WHO
	local want="us-p256" other="us-r2" dn
	US_CACERTS="root root2"
	case $1 in
	root2) want="us-r2"; other="us-p256" ;;
	root2-in-file) want="us-r2b"; other="us-p256"; US_CACERTS=root ;;
	esac
	# charon holds no other CA certificate: it would name it in its
	# CERTREQ too (it names every CA it has, the intermediate included)
	SS_CAS=${1%-in-file}
	if [ "$SS_CAS" = root2 ]; then SS_IMS=""; US_INTERMEDIATES=inter; fi
	# the certificate named first is the one the other root needs: a
	# daemon that ignores the CERTREQ sends the wrong one at least once
	US_CERTS="$other $want"
	SS_REMOTE_ID="%any"
	start_both || return 1
	initiate "$2"
	check_tunnel || return 1
	dn=$(dn_of "${want%b}")
	check_ss_received_cert "$dn" || return 1
	ss_log_has "received end entity cert \"$(dn_of "$other")\"" &&
		{ fail "charon received $(dn_of "$other") too"; return 1; }
	ss_log_has 'sending cert request for' ||
		fail "charon's log shows no CERTREQ sent" || return 1
	note "charon: $(grep -o 'sending cert request for .*' "$CDIR/charon.log" | head -n 1); $(grep -o 'received end entity cert .*' "$CDIR/charon.log" | head -n 1)"
}

# ca-constraint: remote_auth.ca names the intermediate charon's chain passes.
case_ca_constraint() { # WHO
	US_REMOTE_METHOD=pubkey; US_REMOTE_CA="C=CH, O=Example, CN=Intermediate"
	start_both || return 1
	initiate "$1"
	check_tunnel
}

# ---- refusals by us: the exact reason in our log

case_refuse_expired() { # WHO
	SS_CERT="ss-expired"; SS_ID=$(dn_of ss-expired); US_REMOTE_ID="%any"
	expect_refusal "$1" "IKE_AUTH failed: AUTHENTICATION_FAILED: certificate of '$SS_ID' not accepted: certificate \"$SS_ID\" expired: valid from 2020-01-01 00:00:00 UTC to 2021-01-01 00:00:00 UTC, now "
}

case_refuse_untrusted() { # WHO
	SS_CERT="ss-other"; SS_ID=$(dn_of ss-other); US_REMOTE_ID="%any"
	expect_refusal "$1" "IKE_AUTH failed: AUTHENTICATION_FAILED: certificate of '$SS_ID' not accepted: unknown CA \"C=CH, O=Other, CN=Other CA\" (issuer of \"$SS_ID\")"
}

# charon claims an identity its certificate does not hold
case_refuse_id() { # WHO
	SS_ID=other.example.org; US_REMOTE_ID="%any"
	expect_refusal "$1" "IKE_AUTH failed: AUTHENTICATION_FAILED: identity 'other.example.org' is not in its certificate (subject \"$(dn_of ss-p256)\", SANs: ss.example.org, 192.0.2.2)"
}

case_refuse_psk() { # WHO
	SS_AUTH=psk; SS_ID=ss.example.org; US_REMOTE_ID="%any"
	US_LOCAL_ID=us.example.org; SS_REMOTE_ID=us.example.org
	expect_refusal "$1" "IKE_AUTH failed: AUTHENTICATION_FAILED: peer 'ss.example.org' authenticates with a pre-shared key (method 2), this connection requires a certificate"
}

case_refuse_no_cert() { # WHO
	SS_SEND_CERT=never; US_REMOTE_ID="%any"
	expect_refusal "$1" "IKE_AUTH failed: AUTHENTICATION_FAILED: no certificate sent, though this connection requires one"
}

# remote_auth.ca names the second root: charon's chain does not pass it
case_refuse_ca() { # WHO
	US_REMOTE_METHOD=pubkey; US_REMOTE_CA="C=CH, O=Second, CN=Second Root CA"
	US_CACERTS="root root2"; US_REMOTE_ID="%any"
	expect_refusal "$1" "IKE_AUTH failed: AUTHENTICATION_FAILED: certificate of '$SS_ID' not accepted: certificate \"$SS_ID\" is not issued through the required CA \"C=CH, O=Second, CN=Second Root CA\""
}

# ---- refusals by charon: what it says, and that we learn of it

case_ss_refuses() { # expired|untrusted WHO
	local who=$2
	US_CERT="us-$1"; [ "$1" = untrusted ] && US_CERT="us-other"
	SS_REMOTE_ID="%any"
	start_both || return 1
	initiate "$who" && [ "$who" = ss ] && { fail "swanctl --initiate succeeded"; return 1; }
	if [ "$who" = us ]; then
		# charon answers IKE_AUTH with AUTHENTICATION_FAILED
		wait_until 10 us_log_fixed "IKE_AUTH failed: peer answered AUTHENTICATION_FAILED" ||
			fail "our log lacks 'IKE_AUTH failed: peer answered AUTHENTICATION_FAILED'" || return 1
	else
		# charon as initiator refuses our IKE_AUTH response afterwards, in
		# an INFORMATIONAL (RFC 7296 2.21.2)
		wait_until 10 us_log_fixed "peer reports AUTHENTICATION_FAILED after IKE_AUTH" ||
			fail "our log lacks 'peer reports AUTHENTICATION_FAILED after IKE_AUTH'" || return 1
		wait_until 5 us_no_sa || fail "our SA is still listed after the peer's AUTHENTICATION_FAILED" || return 1
	fi
	ss_established && { fail "charon shows an ESTABLISHED IKE_SA"; return 1; }
	local why
	why=$(grep -E 'certificate|constraint|trustchain|trusted|authentication of' "$CDIR/charon.log" |
		grep -v -e 'loaded' -e '(myself)' | sed 's/^[^]]*] //' | head -n 4 | tr '\n' '|')
	note "charon: $why"
	case $1 in
	expired) grep -q 'not valid\|expired\|invalid' "$CDIR/charon.log" ;;
	untrusted) grep -q 'no issuer certificate found\|no trusted' "$CDIR/charon.log" ;;
	esac || fail "charon's log gives no $1 reason: $why" || return 1
}
us_no_sa() { [ "$(us_query "$CDIR" 'len(sas)')" = 0 ]; }

# ---- revocation: configured OCSP responders, reload-creds

# ocsp_start DB CA PORT: `openssl ocsp` for CA's database DB (cert_pki.sh)
# in charon's namespace, signing with CA's key.
ocsp_start() {
	local pid
	ip netns exec "$SS_NS" openssl ocsp -index "$PKI/$1/index.txt" -CA "$PKI/$2.crt" \
		-rsigner "$PKI/$2.crt" -rkey "$PKI/$2.key" -port "$3" -nmin 5 \
		>"$CDIR/ocsp-$3.log" 2>&1 </dev/null &
	pid=$!
	ipgw_track_pid "$pid"
	echo "$pid" >>"$CDIR/ocsp.pids"
	wait_until 5 grep -q 'waiting for OCSP client' "$CDIR/ocsp-$3.log" ||
		fail "openssl ocsp on port $3 did not start: $(tail -n 2 "$CDIR/ocsp-$3.log")"
}
ocsp_stop() {
	local pid
	[ -f "$CDIR/ocsp.pids" ] || return 0
	while read -r pid; do ipgw_kill_pid "$pid" 2; done <"$CDIR/ocsp.pids"
	rm -f "$CDIR/ocsp.pids"
}
# ocsp_asked PORT: the responder on PORT received a request
ocsp_asked() { grep -q 'Received request' "$CDIR/ocsp-$1.log" 2>/dev/null; }

# revoked_line NAME DB SOURCE [ID]: our log's reason for charon's revoked
# NAME (claiming ID, its DN by default), the date and serial from the OCSP
# or CRL database DB that revoked it.
revoked_line() {
	local row serial when
	row=$(grep -F "CN=$1.example.org" "$PKI/$2/index.txt" | grep '^R')
	serial=$(echo "$row" | cut -f4)
	when=$(echo "$row" | cut -f3 | cut -d, -f1)
	when="20${when:0:2}-${when:2:2}-${when:4:2} ${when:6:2}:${when:8:2}:${when:10:2} UTC"
	echo "IKE_AUTH failed: AUTHENTICATION_FAILED: certificate of '${4:-$(dn_of "$1")}' not accepted: certificate '/C=CH/O=Example/CN=$1.example.org' serial $serial revoked on $when (keyCompromise) by $3"
}

# ocsp-responder.STATUS: charon's certificate names no OCSP URI (no AIA);
# our connection is strict and its status comes only from the responders
# configured for the intermediate and the root.
case_ocsp_responder() { # good|revoked WHO
	SS_CERT="ss-ocsp-$1"; SS_ID=$(dn_of "$SS_CERT"); US_REMOTE_ID="%any"
	US_REMOTE_METHOD=pubkey; US_REVOCATION=strict
	# a responder's CA is one we hold: the intermediate too
	US_INTERMEDIATES=inter; US_OCSP="inter=8881 root=8882"
	ocsp_start ocsp-inter inter 8881 && ocsp_start ocsp-root root 8882 || return 1
	if [ "$1" = revoked ]; then
		expect_refusal "$2" "$(revoked_line "$SS_CERT" ocsp-inter "OCSP http://$SS_IP:8881/")"
		return
	fi
	start_both || return 1
	initiate "$2"
	check_tunnel || return 1
	ocsp_asked 8881 && ocsp_asked 8882 || fail "a configured responder was not asked" || return 1
	note "strict: good from the configured responders (no AIA in charon's certificate)"
}

ss_initiate_ike() { # IKE: charon starts connection IKE's child
	ss_swanctl "$CDIR" --initiate --ike "$1" --child net --timeout 15 >>"$CDIR/swanctl-initiate.out" 2>&1
}
ss_responses() { grep -c 'generating INFORMATIONAL response' "$CDIR/charon.log" 2>/dev/null; }
ss_responses_over() { [ "$(ss_responses)" -gt "$1" ]; }

# check_sa_kept: c1's SA is listed on both ends and answers a liveness check.
check_sa_kept() {
	local n
	n=$(ss_responses)
	us_ctl "$CDIR" dpd c1 >/dev/null || fail "ipsecgw-ctl dpd c1 failed after reload-creds" || return 1
	wait_until 5 ss_responses_over "$n" || fail "charon did not answer our DPD after reload-creds" || return 1
	us_has_event "$CDIR" IKE_DOWN && { fail "our log shows IKE_DOWN"; return 1; }
	us_child_listed && ss_child_installed || fail "the CHILD SA is gone on one end" || return 1
}

# Charon's c2 claims its FQDN: with an identity of its own it is no
# duplicate of c1, and charon starts a new IKE SA for it.
reload_defaults() { SS_CONNS="c1 c2"; SS_C2_ID=ss.example.org; US_REMOTE_ID="%any"; }

# reload-creds.crl: an SA up, then a CRL file revoking charon's certificate
# loaded by reload-creds: the SA stays (DPD answered), charon's next IKE SA
# is refused for the revocation, and the first one still stays.
case_reload_crl() {
	reload_defaults; US_CRLS="inter-none"; US_INTERMEDIATES=inter
	local out
	start_both || return 1
	ss_initiate_ike c1
	check_tunnel || return 1
	US_CRLS="inter-p256"; us_cert_conf "$CDIR"
	out=$(us_ctl "$CDIR" reload-creds) || fail "reload-creds: $out" || return 1
	[[ $out == *'1 CRL files'* ]] || fail "reload-creds answered: $out" || return 1
	us_ctl "$CDIR" list-crls | grep -q 'inter-p256.crl' || fail "list-crls does not show inter-p256.crl" || return 1
	check_sa_kept || return 1
	ss_initiate_ike c2 && { fail "charon's second IKE SA was accepted"; return 1; }
	local want
	want=$(revoked_line ss-p256 crl-inter "CRL file $PKI/inter-p256.crl" ss.example.org)
	wait_until 10 us_log_fixed "$want" ||
		fail "our log lacks '$want' (it has: $(grep -m1 -o 'IKE_AUTH failed.*' "$CDIR/us.log"))" || return 1
	check_sa_kept || return 1
	note "reload-creds: $(echo "$out" | grep -o '"loaded": *"[^"]*"')"
}

# reload-creds.bad-file: a key that does not match, a syntax error, a
# connection gone: each refused with the file and the reason, and the old
# credentials still serve (list-certs, a new IKE SA of charon's).
case_reload_bad() {
	reload_defaults
	local out f=$CDIR/us.json
	start_both || return 1
	ss_initiate_ike c1
	check_tunnel || return 1
	cp "$f" "$f.good"
	sed "s|us-p256.key|us-rsa.key|" "$f.good" >"$f"
	out=$(us_ctl "$CDIR" reload-creds) && { fail "a key of another certificate was taken"; return 1; }
	[[ $out == *"$f: connections[0].auth: "*us-rsa.key*"; nothing changed"* ]] || fail "reload-creds answered: $out" || return 1
	note "bad key: $out"
	echo '{ "connections": [' >"$f"
	out=$(us_ctl "$CDIR" reload-creds) && { fail "a file that does not parse was taken"; return 1; }
	[[ $out == *"$f: line "*"; nothing changed"* ]] || fail "reload-creds answered: $out" || return 1
	sed 's|"name": "c1"|"name": "c9"|' "$f.good" >"$f"
	out=$(us_ctl "$CDIR" reload-creds) && { fail "a file without connection c1 was taken"; return 1; }
	[[ $out == *"reload-creds changes credentials only; connection 'c1' uses certificates and is not in the new file"* ]] ||
		fail "reload-creds answered: $out" || return 1
	cp "$f.good" "$f"
	us_ctl "$CDIR" list-certs | grep -q "$PKI/us-p256.pem" || fail "list-certs lost us-p256.pem" || return 1
	check_sa_kept || return 1
	ss_initiate_ike c2 || fail "charon's second IKE SA failed with the old credentials" || return 1
	wait_until 5 us_ike_up_twice || fail "no second IKE_UP" || return 1
}
us_ike_up_twice() { [ "$(us_event_count "$CDIR" IKE_UP)" -ge 2 ]; }

# ---- the DPDK gateway (build/ipsecgw) with certificates, traffic through it

# gw_cert_conf DIR: lib_gw.sh's gw.json, its connection signing with
# us-p256 and verifying charon's chain to the root.
gw_cert_conf() {
	gw_gen_conf "$1" debug
	"$PYTHON" - "$1/gw.json" "$PKI" "$(dn_of ss-p256)" <<'PY'
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

# gw.p256: the gateway and charon authenticate with P-256 certificates
# (chain through the intermediate); the LAN host's pings cross the tunnel
# (our ESP encryption and decryption in the fast path, charon's).
case_gw() { # WHO
	local who=$1 n
	SS_REMOTE_ID=$(dn_of us-p256)
	gw_cert_conf "$CDIR"
	ss_cert_conf "$CDIR"
	export SWANCTL_DIR=$CDIR
	ss_start "$SS_NS" "$CDIR" || fail "charon: $(cat "$CDIR/ss_error" 2>/dev/null)" || return 1
	gw_start "$CDIR" || fail "ipsecgw did not start: $(tail -n 2 "$CDIR/us.log")" || return 1
	initiate "$who"
	wait_until 20 gw_tunnel_up "$CDIR" || fail "tunnel not up through the gateway" || return 1
	check_ss_received_cert "$(dn_of us-p256)" || return 1
	check_ss_authenticated "$(dn_of us-p256)" ECDSA || return 1
	us_log_has "$CDIR" "fastpath: CHILD_SA c1/net installed" ||
		fail "the CHILD SA is not installed in the fast path" || return 1
	wait_until 10 first_reply || fail "no echo reply through the tunnel" || return 1
	n=$(replies 5)
	if [ "${n:-0}" != 5 ]; then
		# seen once in ten runs on a loaded machine: one reply of six
		# (the gateway's ESP out 6, in 1); a second batch tells a
		# passing stall from a broken tunnel
		note "only ${n:-0} of 5 echo replies (workers: $(stat_of "$CDIR" workers.0.esp_out) ESP out, $(stat_of "$CDIR" workers.0.esp_in) in); second batch"
		n=$(replies 5)
	fi
	[ "${n:-0}" = 5 ] || fail "${n:-0} of 5 echo replies through the tunnel" || return 1
	[ "$(ss_query "$CDIR" 'sum(1 for sa in sas for c in children(sa) if int(c.get("packets-in", 0)) >= 5 and int(c.get("packets-out", 0)) >= 5)')" -ge 1 ] ||
		fail "charon did not count 5 ESP packets each way" || return 1
	note "5 of 5 echo replies from $SS_INNER through the gateway's tunnel"
	# reload-creds on the gateway: the same store again, the tunnel stays
	local out
	out=$(us_ctl "$CDIR" reload-creds) || fail "reload-creds on the gateway: $out" || return 1
	n=$(replies 5)
	[ "${n:-0}" = 5 ] || n=$(replies 5) # the passing stall above
	[ "${n:-0}" = 5 ] || fail "after reload-creds: ${n:-0} of 5 echo replies" || return 1
	note "reload-creds on the gateway: $(echo "$out" | grep -o '"loaded": *"[^"]*"'); 5 of 5 replies after it"
}

# gw_topology_once: the gateway cases need lib_gw.sh's namespaces; the
# daemon's go first.
GW_TOPO=0
gw_topology_once() {
	[ "$GW_TOPO" = 1 ] && return 0
	GW_TOPO=1
	ipgw_ns_teardown
	ipgw_require_tools cert_run "$GW_BIN" -- ethtool && gw_topology
}

run_case() {
	local name=$1 who=${1##*.}
	who=${who%-init}
	case $name in
	key-*) local t=${name#key-}; case_key "${t%%.*}" "$who" ;;
	rsa-pss.*) case_pss "$who" ;;
	mixed.us-sig-ss-psk.*) case_mixed us-sig-ss-psk "$who" ;;
	mixed.us-psk-ss-sig.*) case_mixed us-psk-ss-sig "$who" ;;
	certreq.root.*) case_certreq root "$who" ;;
	certreq.root2.*) case_certreq root2 "$who" ;;
	certreq.root2-in-file.*) case_certreq root2-in-file "$who" ;;
	ca-constraint.*) case_ca_constraint "$who" ;;
	refuse.expired.*) case_refuse_expired "$who" ;;
	refuse.untrusted.*) case_refuse_untrusted "$who" ;;
	refuse.id-mismatch.*) case_refuse_id "$who" ;;
	refuse.psk.*) case_refuse_psk "$who" ;;
	refuse.no-cert.*) case_refuse_no_cert "$who" ;;
	refuse.ca-constraint.*) case_refuse_ca "$who" ;;
	ss-refuses.expired.*) case_ss_refuses expired "$who" ;;
	ss-refuses.untrusted.*) case_ss_refuses untrusted "$who" ;;
	gw.*) case_gw "$who" ;;
	ocsp-responder.good.*) case_ocsp_responder good "$who" ;;
	ocsp-responder.revoked.*) case_ocsp_responder revoked "$who" ;;
	reload-creds.crl.*) case_reload_crl ;;
	reload-creds.bad-file.*) case_reload_bad ;;
	*) fail "unknown case" ;;
	esac
}

# ---------------------------------------------------------------- main

if [ "${1:-}" = -l ]; then all_cases; exit 0; fi
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,17p' "$0"; exit 0; fi

ipgw_select_cases "$@" || { echo "no case matches: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
ipgw_require_root || { echo "0 passed, 1 failed"; exit 1; }
ipgw_require_tools cert_run "$IKE_BIN" "$CTL_BIN" -- ip swanctl "$CHARON" openssl "$PYTHON" unshare timeout ||
	{ echo "0 passed, 1 failed"; exit 1; }

trap 'ipgw_cleanup' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
ipgw_init || exit 1
RUN_T0=$(ipgw_now_ms)
PKI=$IPGW_WORK/pki
if ! cert_pki_make "$PKI"; then
	echo "FAIL setup: the PKI could not be made: $(tail -n 3 "$PKI/gen.log" | tr '\n' ' ')"
	echo "0 passed, 1 failed"; exit 1
fi
echo "PKI made in $(( ($(ipgw_now_ms) - RUN_T0) / 100 ))00 ms" >&2
ipgw_ns_setup || { echo "FAIL setup: could not create the namespaces"; echo "0 passed, 1 failed"; exit 1; }

PASSED=0; FAILED=0; FAILED_NAMES=()
for CASE in "${SELECTED[@]}"; do
	CDIR=$IPGW_WORK/$CASE
	mkdir -p "$CDIR"
	WHY=""; NOTES=()
	cert_defaults
	t0=$(ipgw_now_ms)
	if (( ($(ipgw_now_ms) - RUN_T0) / 1000 > BUDGET_S )); then
		WHY="not run: time budget of $BUDGET_S s exhausted"; ok=1
	elif [[ $CASE == gw.* ]] && ! gw_topology_once; then
		WHY="the gateway's namespaces could not be set up"; ok=1
	else
		run_case "$CASE"; ok=$?
		if ! us_alive "$CDIR" && [ -f "$CDIR/us.pid" ] && [ ! -s "$CDIR/us_error" ]; then
			wait "$(us_pid "$CDIR")" 2>/dev/null; st=$?
			WHY="ipsecgw-ike died during the case with status $st${WHY:+; first problem: $WHY}"; ok=1
		fi
	fi
	ipgw_mark_logs "$CDIR"
	if [[ $CASE == gw.* ]]; then gw_stop "$(us_pid "$CDIR")"; else us_stop "$CDIR"; fi
	ss_stop "$CDIR"
	ocsp_stop
	san=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$CDIR/us.log" 2>/dev/null)
	[ -n "$san" ] && { WHY="sanitizer report in us.log: $san${WHY:+; also: $WHY}"; ok=1; }
	secs=$(( ($(ipgw_now_ms) - t0) / 100 ))
	if [ "$ok" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "PASS $CASE ($((secs / 10)).$((secs % 10)) s)"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		[ "${IPGW_KEEP_LOGS:-0}" = 1 ] && ipgw_keep_logs "$CDIR" "cert-$CASE"
	else
		FAILED=$((FAILED + 1)); FAILED_NAMES+=("$CASE")
		echo "FAIL $CASE: ${WHY:-unknown reason}"
		for n in "${NOTES[@]}"; do echo "  note: $n"; done
		ipgw_show_logs "$CDIR"; ipgw_keep_logs "$CDIR" "cert-$CASE"
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
