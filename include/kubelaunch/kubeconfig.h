/*
 * kubeconfig.h: our cluster, user and context in the user's kubeconfig, and nothing else.
 *
 * The file is the first entry of $KUBECONFIG (colon-separated), else ~/.kube/config.
 * It is parsed with libyaml into a node tree, only the entries named after the profile
 * (clusters[name=P], users[name=P], contexts[name=P]) and current-context are changed,
 * and the tree is emitted back: every other entry, its order, its unknown fields and
 * the scalar styles survive. YAML comments do not survive (libyaml keeps none).
 * Inside our own entries, keys we do not manage (a context's namespace, say) are kept.
 *
 * Every change runs under `<path>.lock`, writes a temporary file in the same directory,
 * fsyncs and renames it over the file. The file keeps its mode and owner (a new one is
 * 0600; ~/.kube is created 0700). A symlinked kubeconfig is written through to its
 * target. A file that cannot be parsed, a read-only file (no owner write bit) and, for
 * another user than root, a file owned by someone else are never replaced:
 * K8S_KUBECONFIG naming the file.
 */
#ifndef KL_KUBECONFIG_H
#define KL_KUBECONFIG_H

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

struct kl_kubeconfig_entry {
	const char *profile;     /* the cluster, user and context name */
	const char *server;      /* https://IP:PORT */
	const char *ca_path;     /* certificate-authority (by path, or read and embedded) */
	const char *cert_path;   /* client-certificate */
	const char *key_path;    /* client-key */
	int embed;               /* --embed-certs: *-data fields, base64 of the files */
};

/* The path to write: first entry of $KUBECONFIG, else $HOME/.kube/config. */
int kl_kubeconfig_path(char **out, struct kl_err *err);

/* Add or replace our cluster, user and context; set current-context unless keep_context. */
int kl_kubeconfig_merge(const char *path, const struct kl_kubeconfig_entry *e, int keep_context,
			struct kl_err *err);
/* Remove our entries (a missing file or entry is fine); clear current-context if it was ours. */
int kl_kubeconfig_remove(const char *path, const char *profile, struct kl_err *err);
/* Whether kl_kubeconfig_remove would succeed (the file parses; when it holds our
 * entries, it and its directory can be written); changes nothing. */
int kl_kubeconfig_remove_check(const char *path, const char *profile, struct kl_err *err);
/* Point our cluster at a new server (update-context after an IP change). A missing
 * cluster entry is K8S_KUBECONFIG ("run kubelaunch update-context" is the caller's advice). */
int kl_kubeconfig_update_server(const char *path, const char *profile, const char *server,
				struct kl_err *err);

/* For status: what the file says. All fields NULL when the file is missing. */
struct kl_kubeconfig_info {
	char *current_context;
	char *server;    /* our cluster's server, or NULL */
	int has_context; /* a context named after the profile exists */
};
int kl_kubeconfig_read(const char *path, const char *profile, struct kl_kubeconfig_info *info,
		       struct kl_err *err);
void kl_kubeconfig_info_release(struct kl_kubeconfig_info *info);

/* The same edits on a document in memory (the file functions are built on these;
 * unit tests use them directly). `in` may be empty. */
int kl_kubeconfig_merge_buf(const char *in, size_t len, const char *name,
			    const struct kl_kubeconfig_entry *e, int keep_context, struct kl_strbuf *out,
			    struct kl_err *err);
int kl_kubeconfig_remove_buf(const char *in, size_t len, const char *name, const char *profile,
			     struct kl_strbuf *out, struct kl_err *err);

#endif
