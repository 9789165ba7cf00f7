/* SPDX-License-Identifier: BSD-3-Clause */
/* Identities and certificates: does a certificate carry the identity a peer
 * claims (subject DN or a subjectAltName), and strongSwan-style DN patterns
 * for configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ike/pki/pki_priv.h"

/* IKEv1 (RFC 2407 4.6.2.1) adds ID types that are rows of this table:
 * ID_IPV4_ADDR_SUBNET 4, ID_IPV6_ADDR_SUBNET 6 and the ranges 7, 8 would
 * match GEN_IPADD with a function that tests the address against the
 * subnet or range in id->data. */
struct id_rule {
	uint8_t id_type;
	int gen_type; /* GENERAL_NAME type of the subjectAltName it matches */
	bool (*match)(const struct ike_id *id, const GENERAL_NAME *gn);
};

static bool match_ia5_nocase(const struct ike_id *id, const GENERAL_NAME *gn)
{
	const ASN1_IA5STRING *s = gn->d.ia5;

	return s && (size_t)ASN1_STRING_length(s) == id->len &&
	       strncasecmp((const char *)ASN1_STRING_get0_data(s), (const char *)id->data,
			   id->len) == 0 &&
	       !memchr(id->data, 0, id->len);
}

static bool match_ip(const struct ike_id *id, const GENERAL_NAME *gn)
{
	const ASN1_OCTET_STRING *s = gn->d.iPAddress;

	return s && (size_t)ASN1_STRING_length(s) == id->len &&
	       memcmp(ASN1_STRING_get0_data(s), id->data, id->len) == 0;
}

static bool name_eq_der(const X509_NAME *n, const struct ike_id *id)
{
	const unsigned char *der, *p = id->data;
	size_t len;
	X509_NAME *other;
	bool eq;

	if (X509_NAME_get0_der(n, &der, &len) && len == id->len && memcmp(der, id->data, len) == 0)
		return true;
	/* the same name, encoded otherwise (string types, case) */
	other = d2i_X509_NAME(NULL, &p, id->len);
	eq = other && p == id->data + id->len && X509_NAME_cmp(n, other) == 0;
	X509_NAME_free(other);
	return eq;
}

static bool match_dirname(const struct ike_id *id, const GENERAL_NAME *gn)
{
	return gn->d.directoryName && name_eq_der(gn->d.directoryName, id);
}

static const struct id_rule id_rules[] = {
	{ IKEV2_ID_FQDN, GEN_DNS, match_ia5_nocase },
	{ IKEV2_ID_RFC822_ADDR, GEN_EMAIL, match_ia5_nocase },
	{ IKEV2_ID_IPV4_ADDR, GEN_IPADD, match_ip },
	{ IKEV2_ID_IPV6_ADDR, GEN_IPADD, match_ip },
	{ IKEV2_ID_DER_ASN1_DN, GEN_DIRNAME, match_dirname },
};

static const struct id_rule *rule_for(uint8_t type)
{
	for (size_t i = 0; i < sizeof(id_rules) / sizeof(id_rules[0]); i++)
		if (id_rules[i].id_type == type)
			return &id_rules[i];
	return NULL;
}

static bool san_matches(X509 *cert, const struct ike_id *id)
{
	const struct id_rule *rule = rule_for(id->type);
	GENERAL_NAMES *sans;
	bool hit = false;

	if (!rule)
		return false;
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; !hit && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		hit = gn->type == rule->gen_type && rule->match(id, gn);
	}
	GENERAL_NAMES_free(sans);
	return hit;
}

static bool key_id_matches(X509 *cert, const struct ike_id *id)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);

	return ski && (size_t)ASN1_STRING_length(ski) == id->len &&
	       memcmp(ASN1_STRING_get0_data(ski), id->data, id->len) == 0;
}

bool ike_pki_id_matches(X509 *cert, const struct ike_id *id)
{
	if (!cert || !id || id->len == 0)
		return false;
	if (id->type == IKEV2_ID_DER_ASN1_DN && name_eq_der(X509_get_subject_name(cert), id))
		return true;
	if (id->type == IKEV2_ID_KEY_ID)
		return key_id_matches(cert, id);
	return san_matches(cert, id);
}

/* ---- DN text ---- */

#define DN_FLAGS \
	((XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT)

const char *ike_pki_dn_str(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	snprintf(buf, len, "(no name)");
	if (b && X509_NAME_print_ex(b, name, 0, DN_FLAGS) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n >= 0 && len)
			snprintf(buf, len, "%.*s", (int)n, p);
	}
	BIO_free(b);
	return buf;
}

/* Attribute names as strongSwan spells them, in any case ("SN" is
 * serialNumber there, surname in OpenSSL); then OpenSSL's names and OIDs. */
static int attr_nid(const char *name)
{
	static const struct {
		const char *name;
		int nid;
	} alias[] = {
		{ "C", NID_countryName },
		{ "ST", NID_stateOrProvinceName },
		{ "L", NID_localityName },
		{ "O", NID_organizationName },
		{ "OU", NID_organizationalUnitName },
		{ "CN", NID_commonName },
		{ "DC", NID_domainComponent },
		{ "UID", NID_userId },
		{ "emailAddress", NID_pkcs9_emailAddress },
		{ "serialNumber", NID_serialNumber },
		{ "E", NID_pkcs9_emailAddress },
		{ "Email", NID_pkcs9_emailAddress },
		{ "SN", NID_serialNumber },
		{ "S", NID_surname },
		{ "G", NID_givenName },
		{ "T", NID_title },
		{ "ID", NID_x500UniqueIdentifier },
	};
	ASN1_OBJECT *o;
	int nid;

	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcasecmp(name, alias[i].name) == 0)
			return alias[i].nid;
	o = OBJ_txt2obj(name, 0);
	nid = o ? OBJ_obj2nid(o) : NID_undef;
	ASN1_OBJECT_free(o);
	return nid;
}

/* One "key=value" of a DN text into type and value; separators are ','
 * (strongSwan, RFC 4514 order as written) or '/' (OpenSSL's one-line form),
 * a backslash escapes the next character. Returns the rest or NULL. */
static const char *dn_next(const char *s, char sep, int *nid, char *val, size_t vcap)
{
	char key[64];
	size_t k = 0, v = 0;

	while (*s == ' ' || *s == sep)
		s++;
	while (*s && *s != '=' && k + 1 < sizeof(key))
		key[k++] = *s++;
	while (k && key[k - 1] == ' ')
		k--;
	key[k] = 0;
	if (*s++ != '=' || (*nid = attr_nid(key)) == NID_undef)
		return NULL;
	while (*s == ' ')
		s++;
	for (; *s && *s != sep && v + 1 < vcap; s++)
		val[v++] = *s == '\\' && s[1] ? *++s : *s;
	while (v && val[v - 1] == ' ' && !(v >= 2 && val[v - 2] == '\\'))
		v--;
	val[v] = 0;
	return *s && *s != sep ? NULL : s;
}

static char dn_sep(const char **s)
{
	while (**s == ' ')
		(*s)++;
	if (**s == '/') {
		(*s)++;
		return '/';
	}
	return ',';
}

static bool entry_matches(const X509_NAME_ENTRY *e, int nid, const char *val)
{
	unsigned char *u = NULL;
	int n;
	bool eq;

	if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != nid)
		return false;
	if (strcmp(val, "*") == 0)
		return true;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
	eq = n >= 0 && (size_t)n == strlen(val) && strncasecmp((char *)u, val, (size_t)n) == 0;
	OPENSSL_free(u);
	return eq;
}

bool ike_pki_dn_match(const char *pattern, const X509_NAME *name)
{
	char val[256];
	int nid, i = 0, n = X509_NAME_entry_count(name);
	char sep;

	if (!pattern || !name)
		return false;
	sep = dn_sep(&pattern);
	while (*pattern) {
		pattern = dn_next(pattern, sep, &nid, val, sizeof(val));
		if (!pattern || i >= n || !entry_matches(X509_NAME_get_entry(name, i), nid, val))
			return false;
		i++;
		while (*pattern == ' ' || *pattern == sep)
			pattern++;
	}
	return i == n && n > 0;
}

int ike_pki_id_from_dn(const char *text, struct ike_id *id)
{
	X509_NAME *name = X509_NAME_new();
	const char *s = text;
	char val[256], sep = dn_sep(&s);
	const unsigned char *der;
	size_t len;
	int nid, r = -EINVAL;

	while (name && *s) {
		s = dn_next(s, sep, &nid, val, sizeof(val));
		if (!s || !X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
						      (const unsigned char *)val, -1, -1, 0))
			break;
		while (*s == ' ' || *s == sep)
			s++;
	}
	if (name && s && !*s && X509_NAME_entry_count(name) > 0 &&
	    X509_NAME_get0_der(name, &der, &len)) {
		r = len <= IKE_MAX_ID ? 0 : -E2BIG;
		if (r == 0) {
			id->type = IKEV2_ID_DER_ASN1_DN;
			id->len = (uint8_t)len;
			memcpy(id->data, der, len);
		}
	}
	X509_NAME_free(name);
	return r;
}

/* Peers encode the same DN differently: strongSwan writes a DN identity
 * given as text with PrintableString values, openssl's certificates and
 * our configuration UTF8String. Byte equality would refuse the peer. */
static bool dn_ids_eq(const struct ike_id *a, const struct ike_id *b)
{
	const unsigned char *pa = a->data, *pb = b->data;
	X509_NAME *na = d2i_X509_NAME(NULL, &pa, a->len);
	X509_NAME *nb = d2i_X509_NAME(NULL, &pb, b->len);
	bool eq = na && nb && pa == a->data + a->len && pb == b->data + b->len &&
		  X509_NAME_cmp(na, nb) == 0;

	X509_NAME_free(na);
	X509_NAME_free(nb);
	return eq;
}

bool ike_pki_id_eq(const struct ike_id *a, const struct ike_id *b)
{
	if (a->type != b->type)
		return false;
	if (a->len == b->len && memcmp(a->data, b->data, a->len) == 0)
		return true;
	return a->type == IKEV2_ID_DER_ASN1_DN && dn_ids_eq(a, b);
}

const char *ike_pki_id_dn_str(const struct ike_id *id, char *buf, size_t len)
{
	const unsigned char *p = id->data;
	X509_NAME *n = d2i_X509_NAME(NULL, &p, id->len);

	if (n && p == id->data + id->len)
		ike_pki_dn_str(n, buf, len);
	else
		snprintf(buf, len, "(bad DN)");
	X509_NAME_free(n);
	return buf;
}

static size_t san_str(const GENERAL_NAME *gn, char *buf, size_t len)
{
	const ASN1_STRING *s = gn->d.ia5;
	char ip[64];

	switch (gn->type) {
	case GEN_DNS:
	case GEN_EMAIL:
		return (size_t)snprintf(buf, len, "%s%.*s",
					gn->type == GEN_DNS ? "" : "email:", ASN1_STRING_length(s),
					ASN1_STRING_get0_data(s));
	case GEN_IPADD:
		if (ASN1_STRING_length(gn->d.iPAddress) != 4 &&
		    ASN1_STRING_length(gn->d.iPAddress) != 16)
			return 0;
		inet_ntop(ASN1_STRING_length(gn->d.iPAddress) == 4 ? AF_INET : AF_INET6,
			  ASN1_STRING_get0_data(gn->d.iPAddress), ip, sizeof(ip));
		return (size_t)snprintf(buf, len, "%s", ip);
	case GEN_DIRNAME: return strlen(ike_pki_dn_str(gn->d.directoryName, buf, len));
	default: return 0;
	}
}

const char *ike_pki_cert_ids_str(X509 *cert, char *buf, size_t len)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	char dn[256];
	size_t off = (size_t)snprintf(buf, len, "subject \"%s\"",
				      ike_pki_dn_str(X509_get_subject_name(cert), dn, sizeof(dn)));

	for (int i = 0; off < len && i < sk_GENERAL_NAME_num(sans); i++) {
		off += (size_t)snprintf(buf + off, len - off, "%s", i ? ", " : ", SANs: ");
		if (off < len)
			off += san_str(sk_GENERAL_NAME_value(sans, i), buf + off, len - off);
	}
	GENERAL_NAMES_free(sans);
	/* SAN strings come from the peer: keep logs printable */
	for (char *p = buf; *p; p++)
		if (*p < ' ' || *p > '~')
			*p = '?';
	return buf;
}
