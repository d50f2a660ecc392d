/* pki.h (private to src/bootstrap): OpenSSL helpers for keys and certificates. */
#ifndef KL_BOOTSTRAP_PKI_H
#define KL_BOOTSTRAP_PKI_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kubelaunch/err.h"

enum kl_pki_key { KL_PKI_EC_P256, KL_PKI_RSA_2048 };

/* What to issue. */
struct kl_pki_req {
	const char *cn;
	const char *org;              /* NULL for none */
	int ca;                       /* a CA: keyCertSign, CA:TRUE */
	int server, client;           /* extended key usages */
	const char *const *dns;       /* subjectAltName DNS names, NULL-terminated, may be NULL */
	const char *const *ips;       /* subjectAltName IPs */
	long long valid_secs;
};

EVP_PKEY *kl_pki_keygen(enum kl_pki_key type, struct kl_err *err);
/* Self-signed when issuer is NULL (then issuer_key is the key itself). */
X509 *kl_pki_issue(const struct kl_pki_req *req, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		   struct kl_err *err);

/* Files. Loading returns 0, 1 when the file is missing, or -1: anything unreadable as
 * PEM is K8S_CERTS naming the file. Keys pass through memory that is wiped afterwards. */
int kl_pki_load_cert(const char *path, X509 **out, struct kl_err *err);
int kl_pki_load_key(const char *path, EVP_PKEY **out, struct kl_err *err);
int kl_pki_save_cert(const char *path, X509 *cert, struct kl_err *err);       /* 0644 */
int kl_pki_save_key(const char *path, EVP_PKEY *key, struct kl_err *err);     /* 0600 */
int kl_pki_save_pubkey(const char *path, EVP_PKEY *key, struct kl_err *err);  /* 0644 */

/* The subjectAltNames as sorted "DNS:x" / "IP:x" strings (canonical IP text);
 * returns the count, *out is NULL-terminated, free with kl_strv_free. */
size_t kl_pki_sans(X509 *cert, char ***out);
/* The same normal form for wanted names (duplicates dropped). Invalid IPs: -1. */
int kl_pki_sans_want(const char *const *dns, const char *const *ips, char ***out, size_t *n,
		     struct kl_err *err);

/* Why `cert` cannot be kept, or NULL: wrong key, not issued by ca, expires before
 * `renew_before` or after `latest_end` (a shorter --cert-expiration), different subject
 * than `req`'s CN/O. */
const char *kl_pki_unusable(X509 *cert, EVP_PKEY *key, X509 *ca, time_t renew_before, time_t latest_end,
			    const struct kl_pki_req *req);

#endif
