#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Test PKI for tests/unit/ike/test_revocation.c, made with the openssl command
# line in the folder given ($1): a CA, a second CA with the same name but
# another key (a forged CRL or OCSP signer), end entities (good, revoked,
# no revocation URI, URIs of a stalling and of an oversized server), an OCSP
# responder certificate (EKU OCSPSigning), one without the EKU and one from
# the other CA, and the CA's CRL that revokes one certificate.
#   $2: port of the test HTTP server (CRLs), $3: port of the OCSP responder.
set -euo pipefail
D=$1 HP=$2 OP=$3
rm -rf "$D" && mkdir -p "$D" && cd "$D"

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

cat >ext.cnf <<CNF
[ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ee]
basicConstraints = CA:false
keyUsage = digitalSignature
crlDistributionPoints = URI:http://127.0.0.1:$HP/ca.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$OP/ocsp
[ee_nouri]
basicConstraints = CA:false
keyUsage = digitalSignature
[ee_stall]
basicConstraints = CA:false
crlDistributionPoints = URI:http://127.0.0.1:$HP/stall
[ee_big]
basicConstraints = CA:false
crlDistributionPoints = URI:http://127.0.0.1:$HP/big
[ee_crl]
basicConstraints = CA:false
crlDistributionPoints = URI:http://127.0.0.1:$HP/ca.crl
[ee_biglen]
basicConstraints = CA:false
crlDistributionPoints = URI:http://127.0.0.1:$HP/biglen
[ee_ldap]
basicConstraints = CA:false
crlDistributionPoints = URI:ldap://ldap.example/cn=ca?certificateRevocationList
[ocsp]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
[noeku]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
[wrongeku]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
CNF

for ca in ca ca2; do
	ec_key $ca.key
	openssl req -new -x509 -key $ca.key -subj "/O=Test/CN=Test CA" -days 3650 \
		-extensions ca -config ext.cnf -out $ca.pem
done

# issue NAME SERIAL EXT [CA]
issue() {
	ec_key $1.key
	openssl req -new -key $1.key -subj "/O=Test/CN=$1" -out $1.csr
	openssl x509 -req -in $1.csr -CA ${4:-ca}.pem -CAkey ${4:-ca}.key -set_serial $2 \
		-days 365 -extfile ext.cnf -extensions $3 -out $1.pem 2>/dev/null
}
issue good 0x1001 ee
issue revoked 0x1002 ee
issue nouri 0x1003 ee_nouri
issue stall 0x1004 ee_stall
issue big 0x1005 ee_big
issue ldap 0x1006 ee_ldap
issue crlgood 0x1007 ee_crl
issue crlrev 0x1008 ee_crl
issue biglen 0x1009 ee_biglen
issue ocsp 0x2001 ocsp
issue noeku 0x2002 noeku
issue wrongeku 0x2004 wrongeku
issue rogue 0x2003 ocsp ca2

exp=$(date -u -d '+1 year' +%y%m%d%H%M%SZ)
cat >index.txt <<IDX
V	$exp		1001	unknown	/O=Test/CN=good
R	$exp	240102030405Z,keyCompromise	1002	unknown	/O=Test/CN=revoked
V	$exp		1003	unknown	/O=Test/CN=nouri
V	$exp		1004	unknown	/O=Test/CN=stall
V	$exp		1005	unknown	/O=Test/CN=big
V	$exp		1006	unknown	/O=Test/CN=ldap
V	$exp		1007	unknown	/O=Test/CN=crlgood
R	$exp	250304050607Z,superseded	1008	unknown	/O=Test/CN=crlrev
V	$exp		1009	unknown	/O=Test/CN=biglen
IDX
# gencrl CA OUT HOURS [EXTENSIONS]
gencrl() {
	cat >$1-crl.cnf <<CNF
[ca]
default_ca = d
[d]
database = $D/index.txt
default_md = sha256
crlnumber = $D/$1.crlnum
${4:+crl_extensions = ext}
[ext]
${4:-}
[idp]
onlyCA = TRUE
CNF
	[ -f $1.crlnum ] || echo 01 >$1.crlnum
	openssl ca -gencrl -config $1-crl.cnf -cert $1.pem -keyfile $1.key -crlhours $3 \
		-out $2.pem 2>/dev/null
	openssl crl -in $2.pem -outform DER -out $2.der
}
gencrl ca ca.crl 24
gencrl ca ca72.crl 72
gencrl ca2 forged.crl 24
gencrl ca delta.crl 24 "deltaCRL = critical,DER:02:01:01"
gencrl ca onlyca.crl 24 "issuingDistributionPoint = critical,@idp"
cp ca.crl.der www_ca.crl
rm -f *.csr
echo ok
