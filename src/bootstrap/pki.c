/* pki.c: keys and certificates with OpenSSL 3: generate, issue, load, save, inspect. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"
#include "pki.h"

/* Certificates start an hour back, so a guest whose clock lags still accepts them. */
#define BACKDATE_SECS 3600

static const char *
ossl_why(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

EVP_PKEY *
kl_pki_keygen(enum kl_pki_key type, struct kl_err *err)
{
	EVP_PKEY *k = type == KL_PKI_RSA_2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");

	if (k == NULL)
		kl_err_set(err, KL_R_K8S_CERTS, "cannot generate a key: %s", ossl_why());
	return k;
}

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* subjectAltName built from values, never from a config string the values could bend. */
static int
add_sans(X509 *cert, const char *const *dns, const char *const *ips)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int ok = 0;

	for (size_t i = 0; dns && dns[i]; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		if (!ASN1_STRING_set(s, dns[i], (int)strlen(dns[i]))) {
			ASN1_IA5STRING_free(s);
			GENERAL_NAME_free(g);
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	for (size_t i = 0; ips && ips[i]; i++) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(ips[i]);
		GENERAL_NAME *g;

		if (ip == NULL)
			goto out;
		g = GENERAL_NAME_new();
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		sk_GENERAL_NAME_push(gens, g);
	}
	ok = sk_GENERAL_NAME_num(gens) == 0 || X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0, 0) == 1;
out:
	GENERAL_NAMES_free(gens);
	return ok;
}

static X509_NAME *
make_name(const char *cn, const char *org)
{
	X509_NAME *n = X509_NAME_new();

	if (org)
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

static int
random_serial(X509 *cert)
{
	unsigned char b[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0;
	b[0] &= 0x7f; /* positive */
	b[0] |= 0x01; /* and 16 bytes long */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok;
}

X509 *
kl_pki_issue(const struct kl_pki_req *req, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
	     struct kl_err *err)
{
	X509 *cert = X509_new();
	X509_NAME *subject = make_name(req->cn, req->org);
	struct kl_strbuf eku = KL_STRBUF_INIT;
	int ok;

	ok = X509_set_version(cert, 2) && random_serial(cert) && X509_set_subject_name(cert, subject) &&
	     X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject) &&
	     X509_gmtime_adj(X509_getm_notBefore(cert), -BACKDATE_SECS) &&
	     X509_gmtime_adj(X509_getm_notAfter(cert), (long)req->valid_secs) && X509_set_pubkey(cert, key);
	if (ok && req->ca)
		ok = add_ext(cert, issuer, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext(cert, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign");
	else if (ok)
		ok = add_ext(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext(cert, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
	if (req->server)
		kl_strbuf_addstr(&eku, "serverAuth");
	if (req->client)
		kl_strbuf_addstr(&eku, eku.len ? ",clientAuth" : "clientAuth");
	if (ok && eku.len)
		ok = add_ext(cert, issuer, NID_ext_key_usage, eku.buf);
	if (ok)
		ok = add_ext(cert, issuer, NID_subject_key_identifier, "hash");
	if (ok && issuer)
		ok = add_ext(cert, issuer, NID_authority_key_identifier, "keyid:always");
	if (ok)
		ok = add_sans(cert, req->dns, req->ips);
	if (ok)
		ok = X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
	if (!ok) {
		kl_err_set(err, KL_R_K8S_CERTS, "cannot issue the certificate '%s': %s", req->cn, ossl_why());
		X509_free(cert);
		cert = NULL;
	}
	kl_strbuf_release(&eku);
	X509_NAME_free(subject);
	return cert;
}

/* ---- files ---- */

/* 0 read, 1 missing, -1 error. */
static int
read_pem(const char *path, struct kl_strbuf *sb, BIO **bio, struct kl_err *err)
{
	if (kl_read_file(path, sb, err) != 0) {
		if (errno == ENOENT)
			return 1;
		if (err)
			err->reason = KL_R_K8S_CERTS;
		return -1;
	}
	*bio = BIO_new_mem_buf(sb->buf, (int)sb->len);
	return 0;
}

/* One PEM object from `path` through `read`, as kl_pki_load_*; the file's bytes are
 * wiped afterwards (it may hold a key). `what` names the object in errors. */
static int
load_pem(const char *path, const char *what, void *(*read)(BIO *), void **out, struct kl_err *err)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	BIO *bio = NULL;
	int rc;

	*out = NULL;
	rc = read_pem(path, &sb, &bio, err);
	if (rc == 0 && (*out = read(bio)) == NULL)
		rc = kl_err_set(err, KL_R_K8S_CERTS, "cannot read the %s '%s': %s", what, path, ossl_why());
	BIO_free(bio);
	if (sb.alloc)
		OPENSSL_cleanse(sb.buf, sb.alloc);
	kl_strbuf_release(&sb);
	return rc;
}

static void *
read_cert(BIO *bio)
{
	return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

static void *
read_key(BIO *bio)
{
	return PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
}

int
kl_pki_load_cert(const char *path, X509 **out, struct kl_err *err)
{
	return load_pem(path, "certificate", read_cert, (void **)out, err);
}

int
kl_pki_load_key(const char *path, EVP_PKEY **out, struct kl_err *err)
{
	return load_pem(path, "private key", read_key, (void **)out, err);
}

/* Write what `bio` holds, then wipe it. */
static int
save_bio(const char *path, BIO *bio, mode_t mode, int secret, struct kl_err *err)
{
	BUF_MEM *bm = NULL;
	int rc;

	BIO_get_mem_ptr(bio, &bm);
	rc = kl_write_file_atomic(path, bm->data, bm->length, mode, err);
	if (secret)
		OPENSSL_cleanse(bm->data, bm->length);
	BIO_free(bio);
	return rc;
}

int
kl_pki_save_cert(const char *path, X509 *cert, struct kl_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (!PEM_write_bio_X509(bio, cert)) {
		BIO_free(bio);
		return kl_err_set(err, KL_R_K8S_CERTS, "cannot encode '%s': %s", path, ossl_why());
	}
	return save_bio(path, bio, 0644, 0, err);
}

int
kl_pki_save_key(const char *path, EVP_PKEY *key, struct kl_err *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());

	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return kl_err_set(err, KL_R_K8S_CERTS, "cannot encode '%s': %s", path, ossl_why());
	}
	return save_bio(path, bio, 0600, 1, err);
}

int
kl_pki_save_pubkey(const char *path, EVP_PKEY *key, struct kl_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (!PEM_write_bio_PUBKEY(bio, key)) {
		BIO_free(bio);
		return kl_err_set(err, KL_R_K8S_CERTS, "cannot encode '%s': %s", path, ossl_why());
	}
	return save_bio(path, bio, 0644, 0, err);
}

/* ---- inspection ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort, drop duplicates, terminate. */
static size_t
normalise(char **v, size_t n)
{
	size_t w = 0;

	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (w > 0 && strcmp(v[w - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[w++] = v[i];
	}
	v[w] = NULL;
	return w;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
}

static char *
ip_text(const unsigned char *b, int len)
{
	char buf[INET6_ADDRSTRLEN];

	if ((len != 4 && len != 16) || inet_ntop(len == 4 ? AF_INET : AF_INET6, b, buf, sizeof(buf)) == NULL)
		return kl_xstrdup("IP:?");
	return kl_xasprintf("IP:%s", buf);
}

size_t
kl_pki_sans(X509 *cert, char ***out)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int num = gens ? sk_GENERAL_NAME_num(gens) : 0;
	size_t n = 0;

	*out = kl_xcalloc((size_t)num + 1, sizeof(char *));
	for (int i = 0; i < num; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int type;
		ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);

		if (type == GEN_DNS)
			(*out)[n++] = kl_xasprintf("DNS:%.*s", ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
		else if (type == GEN_IPADD)
			(*out)[n++] = ip_text(ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
	}
	GENERAL_NAMES_free(gens);
	for (size_t i = 0; i < n; i++)
		lower((*out)[i] + 4);
	return normalise(*out, n);
}

int
kl_pki_sans_want(const char *const *dns, const char *const *ips, char ***out, size_t *n,
		 struct kl_err *err)
{
	size_t cap = 1, k = 0;

	for (size_t i = 0; dns && dns[i]; i++)
		cap++;
	for (size_t i = 0; ips && ips[i]; i++)
		cap++;
	*out = kl_xcalloc(cap, sizeof(char *));
	for (size_t i = 0; dns && dns[i]; i++) {
		char *s = kl_xasprintf("DNS:%s", dns[i]);

		lower(s + 4); /* DNS names compare without case */
		(*out)[k++] = s;
	}
	for (size_t i = 0; ips && ips[i]; i++) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(ips[i]);

		if (ip == NULL) {
			(*out)[k] = NULL;
			*n = k;
			return kl_err_set(err, KL_R_USAGE_VALUE, "invalid IP address '%s' for the API server certificate",
					  ips[i]);
		}
		(*out)[k++] = ip_text(ASN1_STRING_get0_data(ip), ASN1_STRING_length(ip));
		ASN1_OCTET_STRING_free(ip);
	}
	*n = normalise(*out, k);
	return 0;
}

static int
name_matches(X509 *cert, const struct kl_pki_req *req)
{
	X509_NAME *want = make_name(req->cn, req->org);
	int same = X509_NAME_cmp(want, X509_get_subject_name(cert)) == 0;

	X509_NAME_free(want);
	return same;
}

const char *
kl_pki_unusable(X509 *cert, EVP_PKEY *key, X509 *ca, time_t renew_before, time_t latest_end,
		const struct kl_pki_req *req)
{
	EVP_PKEY *ca_pub = X509_get0_pubkey(ca);

	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return "its key does not match";
	}
	if (X509_check_issued(ca, cert) != X509_V_OK || ca_pub == NULL || X509_verify(cert, ca_pub) != 1) {
		ERR_clear_error();
		return "it is not signed by the current CA";
	}
	if (X509_cmp_time(X509_get0_notAfter(cert), &renew_before) < 0)
		return "it expires soon";
	if (X509_cmp_time(X509_get0_notAfter(cert), &latest_end) > 0)
		return "it is valid for longer than wanted";
	if (req && !name_matches(cert, req))
		return "its subject changed";
	return NULL;
}
