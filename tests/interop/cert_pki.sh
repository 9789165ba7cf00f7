#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The PKI for tests/interop/cert_run.sh, made with the openssl command line
# into the folder given (the run's temp folder). Sourced: cert_pki_make DIR.
#
#   Root CA (P-256)  C=CH, O=Example, CN=Root CA
#     Intermediate   C=CH, O=Example, CN=Intermediate
#       {us,ss}-{rsa,p256,p384,ed25519}   end entities of both ends
#       {us,ss}-expired                   valid 2020-2021 only
#   Second Root CA   C=CH, O=Second, CN=Second Root CA
#     us-r2                               our second certificate (CERTREQ)
#   Other CA         C=CH, O=Other, CN=Other CA (trusted by no one)
#     {us,ss}-other
#
# Our end entities hold SAN DNS:us.example.org and IP:192.0.2.1, charon's
# DNS:ss.example.org and IP:192.0.2.2; subjects are
# C=CH, O=Example, CN=<name>.example.org. NAME.crt is the certificate alone,
# NAME.pem the certificate followed by its intermediate (what is sent), and
# NAME.key the key (mode 0600: the daemon refuses group-readable keys).
# us-r2b.pem is us-r2 followed by the Second Root CA.
#
# Revocation (reload-creds and configured OCSP responder cases; no
# certificate here names a CRL or OCSP URI of its own):
#   ss-ocsp-good, ss-ocsp-revoked         charon's, under the intermediate
#   ocsp-inter/index.txt                  the intermediate's database for
#                                         `openssl ocsp`: ss-ocsp-good valid,
#                                         ss-ocsp-revoked revoked (keyCompromise)
#   ocsp-root/index.txt                   the root's: the intermediate valid
#   inter-none.crl, inter-p256.crl        the intermediate's CRLs: nothing
#                                         revoked; ss-p256 revoked (keyCompromise)

cert_pki_ext() {
	cat <<'EOF'
[req]
distinguished_name=dn
[dn]
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[im]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[ee_us]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:us.example.org,IP:192.0.2.1
[ee_ss]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:ss.example.org,IP:192.0.2.2
EOF
}

# cert_pki_key NAME TYPE: a new key of TYPE (rsa, p256, p384, ed25519).
cert_pki_key() {
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$1.key" ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1.key" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" ;;
	*) return 1 ;;
	esac
}

# cert_pki_root NAME SUBJECT
cert_pki_root() {
	cert_pki_key "$1" p256 &&
		openssl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -config ext.cnf \
			-extensions ca -out "$1.crt"
}

# cert_pki_sign NAME ISSUER SUBJECT SECTION: NAME.crt from NAME.key.
cert_pki_sign() {
	openssl req -new -key "$1.key" -subj "$3" -config ext.cnf -out "$1.csr" &&
		openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
			-days 365 -extfile ext.cnf -extensions "$4" -out "$1.crt"
}

# cert_pki_ee SIDE NAME TYPE ISSUER: an end entity of SIDE (us or ss).
cert_pki_ee() {
	local o=Example
	[ "$4" = root2 ] && o=Second
	[ "$4" = other ] && o=Other
	cert_pki_key "$2" "$3" &&
		cert_pki_sign "$2" "$4" "/C=CH/O=$o/CN=$2.example.org" "ee_$1" &&
		cat "$2.crt" >"$2.pem" &&
		{ [ "$4" != inter ] || cat inter.crt >>"$2.pem"; }
}

# cert_pki_expired SIDE: SIDE-expired, valid 2020-01-01 to 2021-01-01
# (openssl x509 -req cannot set past dates before 3.4; openssl ca can).
cert_pki_expired() {
	local n=$1-expired
	mkdir -p db && { [ -f db/index.txt ] || : >db/index.txt; } &&
		{ [ -f db/serial ] || echo 1000 >db/serial; }
	cat >ca.cnf <<'EOF'
[ca]
default_ca=c
[c]
database=db/index.txt
new_certs_dir=db
serial=db/serial
default_md=sha256
policy=p
unique_subject=no
[p]
countryName=optional
organizationName=optional
commonName=supplied
EOF
	cert_pki_key "$n" p256 &&
		openssl req -new -key "$n.key" -subj "/C=CH/O=Example/CN=$n.example.org" \
			-config ext.cnf -out "$n.csr" &&
		openssl ca -batch -config ca.cnf -cert inter.crt -keyfile inter.key -in "$n.csr" \
			-startdate 20200101000000Z -enddate 20210101000000Z -extfile ext.cnf \
			-extensions "ee_$1" -notext -out "$n.crt" &&
		cat "$n.crt" inter.crt >"$n.pem"
}

# cert_pki_db DIR: an `openssl ca` database in DIR (DIR/ca.cnf).
cert_pki_db() {
	mkdir -p "$1" && : >"$1/index.txt" && echo 1000 >"$1/crlnumber" && cat >"$1/ca.cnf" <<EOF
[ca]
default_ca=c
[c]
database=$1/index.txt
crlnumber=$1/crlnumber
new_certs_dir=$1
default_md=sha256
default_crl_days=30
policy=p
[p]
commonName=supplied
EOF
}

# cert_pki_db_add DIR CA valid|revoked CERT: CERT (issued by CA) in DIR.
cert_pki_db_add() {
	local how=(-valid "$4.crt")
	[ "$3" = revoked ] && how=(-revoke "$4.crt" -crl_reason keyCompromise)
	openssl ca -batch -config "$1/ca.cnf" -cert "$2.crt" -keyfile "$2.key" "${how[@]}"
}

# cert_pki_revocation: what the revocation cases use (see the top).
cert_pki_revocation() {
	cert_pki_ee ss ss-ocsp-good p256 inter &&
		cert_pki_ee ss ss-ocsp-revoked p256 inter || return 1
	cert_pki_db ocsp-inter && cert_pki_db_add ocsp-inter inter valid ss-ocsp-good &&
		cert_pki_db_add ocsp-inter inter revoked ss-ocsp-revoked || return 1
	cert_pki_db ocsp-root && cert_pki_db_add ocsp-root root valid inter || return 1
	cert_pki_db crl-inter &&
		openssl ca -batch -config crl-inter/ca.cnf -cert inter.crt -keyfile inter.key \
			-gencrl -out inter-none.crl &&
		cert_pki_db_add crl-inter inter revoked ss-p256 &&
		openssl ca -batch -config crl-inter/ca.cnf -cert inter.crt -keyfile inter.key \
			-gencrl -out inter-p256.crl
}

cert_pki_all() {
	local side t
	cert_pki_ext >ext.cnf
	cert_pki_root root "/C=CH/O=Example/CN=Root CA" || return 1
	cert_pki_root root2 "/C=CH/O=Second/CN=Second Root CA" || return 1
	cert_pki_root other "/C=CH/O=Other/CN=Other CA" || return 1
	cert_pki_key inter p256 &&
		cert_pki_sign inter root "/C=CH/O=Example/CN=Intermediate" im || return 1
	for side in us ss; do
		for t in rsa p256 p384 ed25519; do
			cert_pki_ee "$side" "$side-$t" "$t" inter || return 1
		done
		cert_pki_expired "$side" || return 1
		cert_pki_ee "$side" "$side-other" p256 other || return 1
	done
	cert_pki_ee us us-r2 p256 root2 || return 1
	# the same with its root in the file: the root is not sent, but it
	# lets the daemon match a CERTREQ for it without trusting it
	cat us-r2.crt root2.crt >us-r2b.pem && cp us-r2.key us-r2b.key || return 1
	cert_pki_revocation || return 1
	chmod 600 ./*.key
}

# cert_pki_make DIR: the whole PKI into DIR; its log in DIR/gen.log.
cert_pki_make() {
	mkdir -p "$1" && (cd "$1" && cert_pki_all >gen.log 2>&1)
}
