/* certs.c: the shared CAs and each profile's certificates, kept while usable. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubelaunch/certs.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/log.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"
#include "pki.h"

#define CA_VALID_SECS (10LL * 365 * 24 * 3600)
#define RENEW_WINDOW_SECS (30LL * 24 * 3600)
#define CA_LOCK_TIMEOUT_MS (60 * 1000)

struct ca {
	X509 *cert;
	EVP_PKEY *key;
};

static void
ca_release(struct ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}

/* Load the CA `base` from `dir`, or create it when neither file exists. */
static int
ensure_one_ca(const char *dir, const char *base, const char *cn, struct ca *ca, struct kl_err *err)
{
	char *crt = kl_xasprintf("%s/%s.crt", dir, base), *keyp = kl_xasprintf("%s/%s.key", dir, base);
	struct kl_pki_req req = { .cn = cn, .ca = 1, .valid_secs = CA_VALID_SECS };
	int rc = -1, have_key, have_crt;

	/* A file that exists but cannot be read stops everything: never replace a CA. */
	have_key = kl_pki_load_key(keyp, &ca->key, err);
	if (have_key < 0)
		goto out;
	have_crt = kl_pki_load_cert(crt, &ca->cert, err);
	if (have_crt < 0)
		goto out;
	have_key = have_key == 0;
	have_crt = have_crt == 0;
	if (have_crt && !have_key) {
		kl_err_set(err, KL_R_K8S_CERTS, "the CA certificate '%s' has no key: '%s' is missing", crt, keyp);
		goto out;
	}
	if (have_crt) {
		if (X509_check_private_key(ca->cert, ca->key) != 1) {
			kl_err_set(err, KL_R_K8S_CERTS, "the CA certificate '%s' does not match its key '%s'", crt, keyp);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!have_key) {
		kl_debug("certs: creating the CA %s", crt);
		ca->key = kl_pki_keygen(KL_PKI_EC_P256, err);
		if (ca->key == NULL || kl_pki_save_key(keyp, ca->key, err) != 0)
			goto out;
	} else {
		kl_debug("certs: %s is missing; issuing it again for the existing key", crt);
	}
	ca->cert = kl_pki_issue(&req, ca->key, NULL, NULL, err);
	if (ca->cert == NULL || kl_pki_save_cert(crt, ca->cert, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		ca_release(ca);
	free(crt);
	free(keyp);
	return rc;
}

static int
ensure_cas(const char *home, struct ca *ca, struct ca *fp, struct kl_err *err)
{
	char *dir = kl_home_path(home, KL_HOME_CERTS, NULL), *lock = kl_home_path(home, KL_HOME_CERTS, "ca.lock", NULL);
	int fd = -1, rc = -1;

	if (kl_mkdir_p(dir, 0755, err) != 0)
		goto out;
	fd = kl_lock(lock, 1, CA_LOCK_TIMEOUT_MS, err);
	if (fd < 0)
		goto out;
	if (ensure_one_ca(dir, "ca", KL_CERTS_CA_CN, ca, err) != 0 ||
	    ensure_one_ca(dir, "front-proxy-ca", "kubelaunch-front-proxy-ca", fp, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		ca_release(ca);
		ca_release(fp);
	}
	kl_unlock(fd);
	free(dir);
	free(lock);
	return rc;
}

int
kl_certs_ensure_ca(const char *home, struct kl_err *err)
{
	struct ca ca = { 0 }, fp = { 0 };
	int rc = ensure_cas(home, &ca, &fp, err);

	ca_release(&ca);
	ca_release(&fp);
	return rc;
}

/* Same SAN set as wanted? */
static int
same_sans(X509 *cert, const struct kl_pki_req *req, struct kl_err *err)
{
	char **have = NULL, **want = NULL;
	size_t nh, nw;
	int same = -1;

	nh = kl_pki_sans(cert, &have);
	if (kl_pki_sans_want(req->dns, req->ips, &want, &nw, err) != 0)
		goto out;
	same = nh == nw;
	for (size_t i = 0; same && i < nh; i++)
		same = strcmp(have[i], want[i]) == 0;
	if (!same) {
		kl_debug("certs: SANs changed:");
		for (size_t i = 0; i < nh; i++)
			kl_debug("certs:   had %s", have[i]);
		for (size_t i = 0; i < nw; i++)
			kl_debug("certs:   want %s", want[i]);
	}
out:
	kl_strv_free(have);
	kl_strv_free(want);
	return same;
}

/* Keep `dir`/`base`.crt when usable, else issue it again with a new key. */
static int
ensure_leaf(const char *dir, const char *base, const struct kl_pki_req *req, struct ca *ca, time_t renew_before,
	    int check_sans, int *issued, struct kl_err *err)
{
	char *crt = kl_xasprintf("%s/%s.crt", dir, base), *keyp = kl_xasprintf("%s/%s.key", dir, base);
	const char *why = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = -1, same;

	if (kl_pki_load_cert(crt, &cert, NULL) != 0 || kl_pki_load_key(keyp, &key, NULL) != 0) {
		why = kl_path_exists(crt) ? "it cannot be read" : "it does not exist";
	} else if ((why = kl_pki_unusable(cert, key, ca->cert, renew_before,
					  time(NULL) + req->valid_secs + 86400, req)) == NULL &&
		   check_sans) {
		same = same_sans(cert, req, err);
		if (same < 0)
			goto out;
		if (!same)
			why = "its SANs changed";
	}
	if (why == NULL) {
		rc = 0;
		goto out;
	}
	kl_debug("certs: issuing %s: %s", crt, why);
	X509_free(cert);
	EVP_PKEY_free(key);
	cert = NULL;
	key = kl_pki_keygen(KL_PKI_EC_P256, err);
	if (key == NULL || (cert = kl_pki_issue(req, key, ca->cert, ca->key, err)) == NULL)
		goto out;
	/* The key first: a crash in between leaves a mismatch, which is issued again. */
	if (kl_pki_save_key(keyp, key, err) != 0 || kl_pki_save_cert(crt, cert, err) != 0)
		goto out;
	if (issued)
		*issued = 1;
	rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	free(crt);
	free(keyp);
	return rc;
}

static int
ensure_sa(const char *dir, struct kl_err *err)
{
	char *keyp = kl_xasprintf("%s/sa.key", dir), *pub = kl_xasprintf("%s/sa.pub", dir);
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (kl_pki_load_key(keyp, &key, NULL) == 0 && key) {
		rc = kl_path_exists(pub) ? 0 : kl_pki_save_pubkey(pub, key, err);
		goto out;
	}
	kl_debug("certs: creating the service-account key pair %s", keyp);
	key = kl_pki_keygen(KL_PKI_EC_P256, err);
	if (key == NULL || kl_pki_save_key(keyp, key, err) != 0 || kl_pki_save_pubkey(pub, key, err) != 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(key);
	free(keyp);
	free(pub);
	return rc;
}

/* Append `s` to the NULL-terminated `v` (of capacity cap) unless present. */
static void
add_unique(const char **v, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return;
	if (i + 1 < cap)
		v[i] = s;
}

static size_t
count(const char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void
kl_certs_paths(const char *home, const char *profile, struct kl_certs *out)
{
	memset(out, 0, sizeof(*out));
	out->ca_dir = kl_home_path(home, KL_HOME_CERTS, NULL);
	out->dir = kl_home_path(home, KL_HOME_PROFILES, profile, "certs", NULL);
	out->ca_crt = kl_home_path(home, KL_HOME_CERTS, "ca.crt", NULL);
	out->client_crt = kl_home_path(home, KL_HOME_PROFILES, profile, "certs", "client.crt", NULL);
	out->client_key = kl_home_path(home, KL_HOME_PROFILES, profile, "certs", "client.key", NULL);
}

int
kl_certs_ensure(const struct kl_certs_params *p, struct kl_certs *out, struct kl_err *err)
{
	static const char *const fixed_dns[] = { "localhost", "kubernetes", "kubernetes.default",
						 "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
						 KL_CERTS_CONTROL_PLANE_NAME };
	struct kl_pki_req api = { .cn = "kube-apiserver", .server = 1 };
	struct kl_pki_req kubelet = { .cn = "kube-apiserver-kubelet-client", .org = "system:masters", .client = 1 };
	struct kl_pki_req proxy = { .cn = "front-proxy-client", .client = 1 };
	struct kl_pki_req user = { .cn = "kubelaunch-user", .org = "system:masters", .client = 1 };
	struct ca ca = { 0 }, fp = { 0 };
	const char **dns = NULL, **ips = NULL;
	long long valid = p->expiration_ms > 0 ? p->expiration_ms / 1000 : KL_CERTS_DEFAULT_EXPIRATION_MS / 1000;
	time_t renew_before;
	size_t ndns, nips;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; p->extra_names && p->extra_names[i]; i++)
		if (p->extra_names[i][0] == '\0')
			return kl_err_set(err, KL_R_USAGE_VALUE, "an empty name in --apiserver-names");
	kl_certs_paths(p->home, p->profile, out);

	ndns = KL_ARRAY_SIZE(fixed_dns) + count(p->extra_names) + 2;
	nips = count(p->node_ips) + count(p->extra_ips) + 3;
	dns = kl_xcalloc(ndns, sizeof(*dns));
	ips = kl_xcalloc(nips, sizeof(*ips));
	if (p->node_name && *p->node_name)
		add_unique(dns, ndns, p->node_name);
	for (size_t i = 0; i < KL_ARRAY_SIZE(fixed_dns); i++)
		add_unique(dns, ndns, fixed_dns[i]);
	for (size_t i = 0; p->extra_names && p->extra_names[i]; i++)
		add_unique(dns, ndns, p->extra_names[i]);
	for (size_t i = 0; p->node_ips && p->node_ips[i]; i++)
		add_unique(ips, nips, p->node_ips[i]);
	add_unique(ips, nips, "127.0.0.1");
	add_unique(ips, nips, KL_CERTS_SERVICE_IP);
	for (size_t i = 0; p->extra_ips && p->extra_ips[i]; i++)
		add_unique(ips, nips, p->extra_ips[i]);
	api.dns = dns;
	api.ips = ips;
	api.valid_secs = kubelet.valid_secs = proxy.valid_secs = user.valid_secs = valid;
	renew_before = time(NULL) + (valid / 2 < RENEW_WINDOW_SECS ? valid / 2 : RENEW_WINDOW_SECS);

	/* Check the wanted IPs before anything is written. */
	{
		char **want = NULL;
		size_t n;
		int bad = kl_pki_sans_want(dns, ips, &want, &n, err);

		kl_strv_free(want);
		if (bad)
			goto out;
	}
	if (ensure_cas(p->home, &ca, &fp, err) != 0)
		goto out;
	if (kl_mkdir_p(out->dir, 0700, err) != 0)
		goto out;
	if (ensure_leaf(out->dir, "apiserver", &api, &ca, renew_before, 1, &out->apiserver_issued, err) != 0 ||
	    ensure_leaf(out->dir, "apiserver-kubelet-client", &kubelet, &ca, renew_before, 0, NULL, err) != 0 ||
	    ensure_leaf(out->dir, "front-proxy-client", &proxy, &fp, renew_before, 0, NULL, err) != 0 ||
	    ensure_leaf(out->dir, "client", &user, &ca, renew_before, 0, NULL, err) != 0 ||
	    ensure_sa(out->dir, err) != 0)
		goto out;
	rc = 0;
out:
	ca_release(&ca);
	ca_release(&fp);
	free(dns);
	free(ips);
	if (rc != 0)
		kl_certs_release(out);
	return rc;
}

void
kl_certs_release(struct kl_certs *c)
{
	free(c->ca_dir);
	free(c->dir);
	free(c->ca_crt);
	free(c->client_crt);
	free(c->client_key);
	memset(c, 0, sizeof(*c));
}

void
kl_certs_kubeadm_files(const struct kl_certs *c, struct kl_cert_file **files, size_t *n)
{
	static const struct {
		int shared;
		const char *name;
		mode_t mode;
	} table[] = {
		{ 1, "ca.crt", 0644 },
		{ 1, "ca.key", 0600 },
		{ 1, "front-proxy-ca.crt", 0644 },
		{ 1, "front-proxy-ca.key", 0600 },
		{ 0, "sa.key", 0600 },
		{ 0, "sa.pub", 0644 },
		{ 0, "apiserver.crt", 0644 },
		{ 0, "apiserver.key", 0600 },
		{ 0, "apiserver-kubelet-client.crt", 0644 },
		{ 0, "apiserver-kubelet-client.key", 0600 },
		{ 0, "front-proxy-client.crt", 0644 },
		{ 0, "front-proxy-client.key", 0600 },
	};

	*n = KL_ARRAY_SIZE(table);
	*files = kl_xcalloc(*n, sizeof(**files));
	for (size_t i = 0; i < *n; i++) {
		(*files)[i].src = kl_xasprintf("%s/%s", table[i].shared ? c->ca_dir : c->dir, table[i].name);
		(*files)[i].name = table[i].name;
		(*files)[i].mode = table[i].mode;
	}
}

void
kl_cert_files_free(struct kl_cert_file *files, size_t n)
{
	for (size_t i = 0; files && i < n; i++)
		free(files[i].src);
	free(files);
}
