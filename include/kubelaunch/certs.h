/*
 * certs.h: the certificates kubelaunch makes before kubeadm runs.
 *
 * Shared by every profile, created once under $KUBELAUNCH_HOME/certs/ca.lock, valid
 * 10 years, ECDSA P-256:
 *     $KUBELAUNCH_HOME/certs/ca.crt, ca.key                  CN kubelaunchCA
 *     $KUBELAUNCH_HOME/certs/front-proxy-ca.crt, .key        CN kubelaunch-front-proxy-ca
 * A CA file that cannot be read is K8S_CERTS naming the file: it is never replaced,
 * since every profile's cluster trusts it.
 *
 * Per profile, in $KUBELAUNCH_HOME/profiles/<profile>/certs/ (the caller holds the
 * profile lock):
 *     apiserver.crt/.key                  CN kube-apiserver, serverAuth, SANs below
 *     apiserver-kubelet-client.crt/.key   CN kube-apiserver-kubelet-client, O system:masters
 *     front-proxy-client.crt/.key         CN front-proxy-client (signed by the front-proxy CA)
 *     client.crt/.key                     CN kubelaunch-user, O system:masters (kubeconfig)
 *     sa.key, sa.pub                      the service-account key pair (ECDSA P-256: an
 *                                         RSA-2048 key costs a second or more to make)
 * The API server's SANs: node name, node IPs, 127.0.0.1, 10.96.0.1, localhost,
 * kubernetes, kubernetes.default, kubernetes.default.svc,
 * kubernetes.default.svc.cluster.local, control-plane.kubelaunch.internal, and the
 * --apiserver-ips / --apiserver-names. kubeadm checks an existing apiserver.crt
 * against its own list (which includes the node name), so the node name must be given.
 *
 * A certificate is kept while it is usable: same SAN set (apiserver), same subject,
 * its key matches, signed by the current CA, and not expiring within min(30 days,
 * half its validity). Otherwise it is issued again. Keys are 0600, certificates
 * 0644, all written atomically; key bytes are wiped after use.
 *
 * For kubeadm, copy kl_certs_kubeadm_files() into certificatesDir
 * (/var/lib/kubelaunch/certs in the guest): ca.crt, ca.key, front-proxy-ca.crt,
 * front-proxy-ca.key, sa.key, sa.pub, apiserver.crt, apiserver.key,
 * apiserver-kubelet-client.crt/.key, front-proxy-client.crt/.key. kubeadm then makes
 * the rest itself (etcd/ca, etcd/server, etcd/peer, etcd/healthcheck-client,
 * apiserver-etcd-client) and the kubeconfig files under /etc/kubernetes, signed by
 * ca.key. The profile's client.crt/.key are for the host's kubeconfig only.
 */
#ifndef KL_CERTS_H
#define KL_CERTS_H

#include <sys/types.h>

#include "kubelaunch/err.h"

#define KL_CERTS_CA_CN "kubelaunchCA"
#define KL_CERTS_CONTROL_PLANE_NAME "control-plane.kubelaunch.internal"
#define KL_CERTS_SERVICE_IP "10.96.0.1"
/* minikube's default: 26280h, three years. */
#define KL_CERTS_DEFAULT_EXPIRATION_MS (26280LL * 3600 * 1000)

struct kl_certs_params {
	const char *home;               /* $KUBELAUNCH_HOME */
	const char *profile;
	const char *node_name;          /* the guest's hostname, as kubeadm's nodeRegistration.name */
	const char *const *node_ips;    /* NULL-terminated; may be NULL before the IP is known */
	const char *const *extra_ips;   /* --apiserver-ips, NULL-terminated or NULL */
	const char *const *extra_names; /* --apiserver-names */
	long long expiration_ms;        /* --cert-expiration; 0: KL_CERTS_DEFAULT_EXPIRATION_MS */
};

struct kl_certs {
	char *ca_dir;      /* $KUBELAUNCH_HOME/certs */
	char *dir;         /* $KUBELAUNCH_HOME/profiles/<p>/certs */
	char *ca_crt;      /* for the kubeconfig's certificate-authority */
	char *client_crt;  /* for the kubeconfig's user */
	char *client_key;
	int apiserver_issued; /* the API server certificate was (re)issued by this call */
};

/* Where the profile's certificates are (nothing is read or created); release with
 * kl_certs_release. */
void kl_certs_paths(const char *home, const char *profile, struct kl_certs *out);
/* Create or reuse the shared CAs and the profile's certificates. */
int kl_certs_ensure(const struct kl_certs_params *p, struct kl_certs *out, struct kl_err *err);
void kl_certs_release(struct kl_certs *c);

/* Only the shared CAs (created if missing). */
int kl_certs_ensure_ca(const char *home, struct kl_err *err);

struct kl_cert_file {
	char *src;        /* on the host */
	const char *name; /* relative to kubeadm's certificatesDir */
	mode_t mode;
};
/* The files kubeadm expects in certificatesDir; *files is a new array of *n entries,
 * free with kl_cert_files_free. */
void kl_certs_kubeadm_files(const struct kl_certs *c, struct kl_cert_file **files, size_t *n);
void kl_cert_files_free(struct kl_cert_file *files, size_t n);

#endif
