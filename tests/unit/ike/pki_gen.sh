#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Test PKI for tests/unit/ike/test_pki.c, made with the openssl command line
# into the folder given: a root CA and an intermediate, end entities with
# RSA-3072, ECDSA P-256 and P-384 and Ed25519 keys, one expired, one from
# another CA, and certificates that break one rule each (key usage, path
# length, an issuer that is no CA). Keys in every format the loader reads.
set -euo pipefail
D=$1
cd "$D"
exec 2>gen.log

ext() { # name, extension lines: an extfile section
	printf '[%s]\n%s\n' "$1" "$2" >>ext.cnf
}
: >ext.cnf
ext ca 'basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash'
ext ca0 'basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid'
ext ee 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:gw.example.org,email:admin@example.org,IP:192.0.2.1,IP:2001:db8::1'
ext ee_p256 'keyUsage=critical,digitalSignature
subjectAltName=DNS:p256.example.org'
ext ee_badku 'keyUsage=critical,keyEncipherment
subjectAltName=DNS:badku.example.org'
ext ee_plain 'basicConstraints=CA:FALSE'

# self-signed CA: name, subject, key algorithm options
root() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -subj "$2" -days 3650 -extensions ca -config <(cat ext.cnf \
		<(printf '[req]\ndistinguished_name=dn\n[dn]\n')) -out "$1.crt"
}
# sign: name, issuer, subject, extension section, days
sign() {
	openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
		-days "$5" -extfile ext.cnf -extensions "$4" -out "$1.crt"
}

root root "/C=CH/O=Example/CN=Test Root CA"
root other "/C=CH/O=Other/CN=Other Root CA"
openssl x509 -in other.crt -outform DER -out other.der

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out inter.key
sign inter root "/C=CH/O=Example/CN=Test Intermediate CA" ca0 3650
# a CA below the pathlen:0 intermediate: what it signs exceeds the path length
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sub.key
sign sub inter "/C=CH/O=Example/CN=Test Sub CA" ca 3650

# end entities; key formats: RSA PKCS#1 PEM, P-256 SEC1 PEM, P-384 PKCS#8
# DER, Ed25519 PKCS#8 PEM, P-256 encrypted PKCS#8
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa.p8
openssl pkey -in rsa.p8 -traditional -out rsa.key
sign rsa inter "/C=CH/O=Example/CN=gw.example.org" ee 365
openssl ecparam -name prime256v1 -genkey -noout -out p256.key
sign p256 inter "/C=CH/O=Example/OU=Gateways/CN=p256.example.org" ee_p256 365
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key
sign p384 inter "/C=CH/O=Example/CN=p384.example.org" ee_plain 365
openssl pkey -in p384.key -outform DER -out p384.der
openssl genpkey -algorithm ED25519 -out ed25519.key
sign ed25519 inter "/C=CH/O=Example/CN=ed25519.example.org" ee_plain 365
openssl genpkey -algorithm ED448 -out ed448.key
sign ed448 inter "/C=CH/O=Example/CN=ed448.example.org" ee_plain 365
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.key
sign p521 inter "/C=CH/O=Example/CN=p521.example.org" ee_plain 365
printf 'correct horse battery\n' >pass.txt
openssl pkcs8 -topk8 -v2 aes-256-cbc -in p256.key -passout file:pass.txt -out p256enc.key
openssl pkcs8 -topk8 -v2 aes-256-cbc -in p256.key -passout file:pass.txt -outform DER \
	-out p256enc.der

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out badku.key
sign badku inter "/C=CH/O=Example/CN=badku.example.org" ee_badku 365
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out deep.key
sign deep sub "/C=CH/O=Example/CN=deep.example.org" ee_plain 365
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out notca.key
sign notca p256 "/C=CH/O=Example/CN=notca.example.org" ee_plain 365
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stranger.key
sign stranger other "/C=CH/O=Other/CN=stranger.example.org" ee_plain 365

# expired: openssl ca sets explicit dates (x509 -req cannot before 3.4)
mkdir -p db && : >db/index.txt && echo 1000 >db/serial
cat >ca.cnf <<CNF
[ca]
default_ca=c
[c]
database=db/index.txt
new_certs_dir=db
serial=db/serial
default_md=sha256
policy=p
copy_extensions=none
[p]
countryName=optional
organizationName=optional
commonName=supplied
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out expired.key
openssl req -new -key expired.key -subj "/C=CH/O=Example/CN=expired.example.org" -out expired.csr
openssl ca -batch -config ca.cnf -cert inter.crt -keyfile inter.key -in expired.csr \
	-startdate 20200101000000Z -enddate 20210101000000Z -extfile ext.cnf -extensions ee_plain \
	-notext -out expired.crt

# a bundle (end entity then intermediate) and a CA folder
# The intermediate's CRL: the P-384 certificate revoked (keyCompromise).
openssl ca -batch -config ca.cnf -cert inter.crt -keyfile inter.key -revoke p384.crt \
	-crl_reason keyCompromise
openssl ca -batch -config ca.cnf -cert inter.crt -keyfile inter.key -gencrl -crldays 30 \
	-out inter.crl

cat p256.crt inter.crt >p256chain.crt
mkdir -p cadir && cp root.crt cadir/ && cp other.der cadir/
chmod 600 ./*.key ./*.der ./*.p8 pass.txt
echo ok
