/* kubeconfig.c: add, replace or remove our entries in the user's kubeconfig, keeping the rest. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"

#define LOCK_TIMEOUT_MS (30 * 1000)

int
kl_kubeconfig_path(char **out, struct kl_err *err)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");

	*out = NULL;
	if (env && *env) {
		size_t n = strcspn(env, ":");
		/* Skip empty entries ("::a"), as kubectl does. */
		while (n == 0 && *env == ':') {
			env++;
			n = strcspn(env, ":");
		}
		if (n > 0) {
			*out = kl_xstrndup(env, n);
			return 0;
		}
	}
	if (home == NULL || *home == '\0')
		return kl_err_set(err, KL_R_HOST_HOME, "cannot find the kubeconfig: neither KUBECONFIG nor HOME is set");
	*out = kl_xasprintf("%s/.kube/config", home);
	return 0;
}

/* ---- edits on the tree ---- */

struct edit {
	const char *name; /* the file, for messages */
	int changed;
};

/* The list under `key`; a missing or null one is created empty. */
static int
list_of(yaml_document_t *doc, int root, const char *key, const struct edit *ed, int create,
	struct kl_err *err)
{
	int v = kl_yaml_map_get(doc, root, key);
	const char *s = kl_yaml_node_str(doc, v);

	if (kl_yaml_is_seq(doc, v))
		return v;
	if (v == 0 || (s && (*s == '\0' || strcmp(s, "null") == 0 || strcmp(s, "~") == 0))) {
		if (!create)
			return 0;
		v = kl_yaml_new_seq(doc);
		kl_yaml_map_set(doc, root, key, v);
		return v;
	}
	kl_err_set(err, KL_R_K8S_KUBECONFIG, "cannot use kubeconfig '%s': '%s' is not a list", ed->name, key);
	return -1;
}

/* The index of the item named `name` in a list of {name: ...} mappings, or -1. */
static long
find_named(yaml_document_t *doc, int seq, const char *name)
{
	for (size_t i = 0; i < kl_yaml_seq_len(doc, seq); i++) {
		const char *n = kl_yaml_node_str(doc, kl_yaml_map_get(doc, kl_yaml_seq_item(doc, seq, i), "name"));
		if (n && strcmp(n, name) == 0)
			return (long)i;
	}
	return -1;
}

/* Our entry's inner mapping (`inner` is cluster, user or context), created in kubectl's
 * key order when missing. */
static int
our_entry(yaml_document_t *doc, int seq, const char *inner, const char *name)
{
	long i = find_named(doc, seq, name);
	int entry, m;

	if (i < 0) {
		entry = kl_yaml_new_map(doc);
		/* kubectl writes the keys sorted: cluster/context before name, name before user. */
		if (strcmp(inner, "user") == 0)
			kl_yaml_map_set_str(doc, entry, "name", name);
		kl_yaml_map_set(doc, entry, inner, kl_yaml_new_map(doc));
		if (strcmp(inner, "user") != 0)
			kl_yaml_map_set_str(doc, entry, "name", name);
		if (!yaml_document_append_sequence_item(doc, seq, entry))
			abort();
	} else {
		entry = kl_yaml_seq_item(doc, seq, (size_t)i);
	}
	m = kl_yaml_map_get(doc, entry, inner);
	if (!kl_yaml_is_map(doc, m)) {
		m = kl_yaml_new_map(doc);
		kl_yaml_map_set(doc, entry, inner, m);
	}
	return m;
}

/* Base64 of a file, for the *-data fields. The file's bytes are wiped after use. */
static char *
file_base64(const char *path, struct kl_err *err)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	char *b64 = NULL;

	if (kl_read_file(path, &sb, err) != 0)
		goto out;
	b64 = kl_xmalloc(4 * ((sb.len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)sb.buf, (int)sb.len);
out:
	if (sb.alloc)
		OPENSSL_cleanse(sb.buf, sb.alloc);
	kl_strbuf_release(&sb);
	return b64;
}

/* Set `key` to the path, or `key`-data to the file's base64, and drop the other form. */
static int
set_file_field(yaml_document_t *doc, int map, const char *key, const char *path, int embed,
	       struct kl_err *err)
{
	char *data_key = kl_xasprintf("%s-data", key), *b64 = NULL;
	int rc = -1;

	if (embed) {
		b64 = file_base64(path, err);
		if (b64 == NULL)
			goto out;
		kl_yaml_map_remove(doc, map, key);
		kl_yaml_map_set_str(doc, map, data_key, b64);
	} else {
		kl_yaml_map_remove(doc, map, data_key);
		kl_yaml_map_set_str(doc, map, key, path);
	}
	rc = 0;
out:
	if (b64)
		kl_free_secret(b64, strlen(b64));
	free(data_key);
	return rc;
}

static int
do_merge(yaml_document_t *doc, int root, const struct kl_kubeconfig_entry *e, int keep_context,
	 struct edit *ed, struct kl_err *err)
{
	int clusters, users, contexts, m;
	const char *cur;

	if ((clusters = list_of(doc, root, "clusters", ed, 1, err)) < 0 ||
	    (contexts = list_of(doc, root, "contexts", ed, 1, err)) < 0 ||
	    (users = list_of(doc, root, "users", ed, 1, err)) < 0)
		return -1;
	m = our_entry(doc, clusters, "cluster", e->profile);
	if (set_file_field(doc, m, "certificate-authority", e->ca_path, e->embed, err) != 0)
		return -1;
	kl_yaml_map_set_str(doc, m, "server", e->server);

	m = our_entry(doc, contexts, "context", e->profile);
	kl_yaml_map_set_str(doc, m, "cluster", e->profile);
	kl_yaml_map_set_str(doc, m, "user", e->profile);

	m = our_entry(doc, users, "user", e->profile);
	if (set_file_field(doc, m, "client-certificate", e->cert_path, e->embed, err) != 0 ||
	    set_file_field(doc, m, "client-key", e->key_path, e->embed, err) != 0)
		return -1;

	cur = kl_yaml_node_str(doc, kl_yaml_map_get(doc, root, "current-context"));
	if (!keep_context)
		kl_yaml_map_set_str(doc, root, "current-context", e->profile);
	else if (cur == NULL)
		kl_yaml_map_set_str(doc, root, "current-context", "");
	ed->changed = 1;
	return 0;
}

static int
do_remove(yaml_document_t *doc, int root, const char *profile, struct edit *ed, struct kl_err *err)
{
	static const char *const lists[] = { "clusters", "contexts", "users" };
	const char *cur;

	for (size_t i = 0; i < KL_ARRAY_SIZE(lists); i++) {
		int seq = list_of(doc, root, lists[i], ed, 0, err);
		long at;

		if (seq < 0)
			return -1;
		while (seq > 0 && (at = find_named(doc, seq, profile)) >= 0) {
			kl_yaml_seq_remove(doc, seq, (size_t)at);
			ed->changed = 1;
		}
	}
	cur = kl_yaml_node_str(doc, kl_yaml_map_get(doc, root, "current-context"));
	if (cur && strcmp(cur, profile) == 0) {
		kl_yaml_map_set_str(doc, root, "current-context", "");
		ed->changed = 1;
	}
	return 0;
}

static int
do_update_server(yaml_document_t *doc, int root, const char *profile, const char *server,
		 struct edit *ed, struct kl_err *err)
{
	int clusters = list_of(doc, root, "clusters", ed, 0, err), m;
	long at;

	if (clusters < 0)
		return -1;
	at = clusters > 0 ? find_named(doc, clusters, profile) : -1;
	m = at >= 0 ? kl_yaml_map_get(doc, kl_yaml_seq_item(doc, clusters, (size_t)at), "cluster") : 0;
	if (!kl_yaml_is_map(doc, m))
		return kl_err_set(err, KL_R_K8S_KUBECONFIG, "kubeconfig '%s' has no cluster '%s'", ed->name,
				  profile);
	kl_yaml_map_set_str(doc, m, "server", server);
	ed->changed = 1;
	return 0;
}

/* A new file, in kubectl's key order. */
static int
new_root(yaml_document_t *doc)
{
	int root;

	if (!yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1))
		abort();
	root = kl_yaml_new_map(doc);
	kl_yaml_map_set_str(doc, root, "apiVersion", "v1");
	kl_yaml_map_set(doc, root, "clusters", kl_yaml_new_seq(doc));
	kl_yaml_map_set(doc, root, "contexts", kl_yaml_new_seq(doc));
	kl_yaml_map_set_str(doc, root, "current-context", "");
	kl_yaml_map_set_str(doc, root, "kind", "Config");
	kl_yaml_map_set(doc, root, "preferences", kl_yaml_new_map(doc));
	kl_yaml_map_set(doc, root, "users", kl_yaml_new_seq(doc));
	return root;
}

enum op { OP_MERGE, OP_REMOVE, OP_SERVER, OP_READ };

struct request {
	enum op op;
	const struct kl_kubeconfig_entry *entry;
	int keep_context;
	const char *profile;
	const char *server;
	struct kl_kubeconfig_info *info;
};

static void
read_info(yaml_document_t *doc, int root, const struct request *rq)
{
	int clusters = kl_yaml_map_get(doc, root, "clusters"), contexts = kl_yaml_map_get(doc, root, "contexts");
	const char *cur = kl_yaml_node_str(doc, kl_yaml_map_get(doc, root, "current-context"));
	long at;

	if (cur)
		rq->info->current_context = kl_xstrdup(cur);
	at = find_named(doc, clusters, rq->profile);
	if (at >= 0) {
		int m = kl_yaml_map_get(doc, kl_yaml_seq_item(doc, clusters, (size_t)at), "cluster");
		const char *s = kl_yaml_node_str(doc, kl_yaml_map_get(doc, m, "server"));
		if (s)
			rq->info->server = kl_xstrdup(s);
	}
	rq->info->has_context = find_named(doc, contexts, rq->profile) >= 0;
}

/* Parse `in`, apply the request, emit into `out`. ed->changed says whether to write. */
static int
apply(const char *in, size_t len, const struct request *rq, struct edit *ed, struct kl_strbuf *out,
      struct kl_err *err)
{
	yaml_document_t doc;
	char why[256];
	int ndocs = 0, root, rc = -1, loaded = 0;

	if (kl_yaml_load(in, len, &doc, &ndocs, why, sizeof(why)) != 0)
		return kl_err_set(err, KL_R_K8S_KUBECONFIG, "cannot parse kubeconfig '%s': %s", ed->name, why);
	loaded = 1;
	if (ndocs > 1) {
		kl_err_set(err, KL_R_K8S_KUBECONFIG, "cannot use kubeconfig '%s': it holds %d YAML documents, not one",
			   ed->name, ndocs);
		goto out;
	}
	if (ndocs == 0) {
		yaml_document_delete(&doc);
		root = new_root(&doc);
	} else {
		root = 1; /* the loader numbers the root first */
		if (!kl_yaml_is_map(&doc, root)) {
			kl_err_set(err, KL_R_K8S_KUBECONFIG, "cannot use kubeconfig '%s': it is not a YAML mapping",
				   ed->name);
			goto out;
		}
	}
	switch (rq->op) {
	case OP_MERGE:
		rc = do_merge(&doc, root, rq->entry, rq->keep_context, ed, err);
		break;
	case OP_REMOVE:
		rc = do_remove(&doc, root, rq->profile, ed, err);
		break;
	case OP_SERVER:
		rc = do_update_server(&doc, root, rq->profile, rq->server, ed, err);
		break;
	case OP_READ:
		read_info(&doc, root, rq);
		rc = 0;
		break;
	}
	if (rc != 0 || !ed->changed)
		goto out;
	loaded = 0;
	rc = kl_yaml_dump(&doc, out, err);
out:
	if (loaded)
		yaml_document_delete(&doc);
	return rc;
}

int
kl_kubeconfig_merge_buf(const char *in, size_t len, const char *name, const struct kl_kubeconfig_entry *e,
			int keep_context, struct kl_strbuf *out, struct kl_err *err)
{
	struct request rq = { .op = OP_MERGE, .entry = e, .keep_context = keep_context };
	struct edit ed = { name, 0 };

	return apply(in, len, &rq, &ed, out, err);
}

int
kl_kubeconfig_remove_buf(const char *in, size_t len, const char *name, const char *profile,
			 struct kl_strbuf *out, struct kl_err *err)
{
	struct request rq = { .op = OP_REMOVE, .profile = profile };
	struct edit ed = { name, 0 };

	if (apply(in, len, &rq, &ed, out, err) != 0)
		return -1;
	if (!ed.changed)
		kl_strbuf_add(out, in, len);
	return 0;
}

/* ---- the file, under kubectl's lock ---- */

/* client-go locks a kubeconfig by creating `<path>.lock` exclusively and removing it
 * afterwards; taking the same lock keeps kubectl and kubelaunch from losing updates. */
static int
lock_file(const char *lock, struct kl_err *err)
{
	int waited = 0, fd;

	while ((fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		if (errno != EEXIST)
			return kl_err_errno(err, KL_R_K8S_KUBECONFIG, "cannot lock the kubeconfig with '%s'", lock);
		if (waited >= LOCK_TIMEOUT_MS)
			return kl_err_set(err, KL_R_HOST_LOCK,
					  "the kubeconfig is locked by '%s' (waited %d s); remove that file if no "
					  "kubectl or kubelaunch is running",
					  lock, waited / 1000);
		kl_sleep_ms(20);
		waited += 20;
	}
	close(fd);
	return 0;
}

static int
edit_file(const char *path, const struct request *rq, int create, struct kl_err *err)
{
	struct kl_strbuf in = KL_STRBUF_INIT, out = KL_STRBUF_INIT;
	char *real = NULL, *dir = NULL, *lock = NULL;
	struct edit ed = { NULL, 0 };
	int rc = -1, locked = 0;

	/* Write through a symlink to its target, as kubectl does. */
	real = realpath(path, NULL);
	if (real == NULL)
		real = kl_xstrdup(path);
	ed.name = real;
	dir = kl_xstrdup(real);
	if (!kl_is_dir(dirname(dir))) {
		if (!create) {
			rc = 0;
			goto out;
		}
		if (kl_mkdir_p(dir, 0700, err) != 0)
			goto out;
	}
	lock = kl_xasprintf("%s.lock", real);
	if (rq->op != OP_READ) {
		if (lock_file(lock, err) != 0)
			goto out;
		locked = 1;
	}
	if (kl_read_file(real, &in, err) != 0) {
		if (errno != ENOENT)
			goto out;
		if (!create) {
			rc = 0;
			goto out;
		}
		kl_err_clear(err);
	}
	if (apply(in.buf, in.len, rq, &ed, &out, err) != 0)
		goto out;
	if (ed.changed && kl_write_file_atomic(real, out.buf, out.len, 0600, err) != 0)
		goto out;
	if (ed.changed)
		kl_debug("kubeconfig: wrote %s (%zu bytes)", real, out.len);
	rc = 0;
out:
	if (locked && unlink(lock) != 0)
		kl_debug("kubeconfig: cannot remove lock %s", lock);
	/* Other users' tokens and keys pass through these buffers. */
	if (in.alloc)
		OPENSSL_cleanse(in.buf, in.alloc);
	if (out.alloc)
		OPENSSL_cleanse(out.buf, out.alloc);
	kl_strbuf_release(&in);
	kl_strbuf_release(&out);
	free(lock);
	free(dir);
	free(real);
	return rc;
}

int
kl_kubeconfig_merge(const char *path, const struct kl_kubeconfig_entry *e, int keep_context,
		    struct kl_err *err)
{
	struct request rq = { .op = OP_MERGE, .entry = e, .keep_context = keep_context };

	if (!e->profile || !e->server || !e->ca_path || !e->cert_path || !e->key_path)
		return kl_err_set(err, KL_R_PROGRAM, "kubeconfig entry for '%s' is incomplete",
				  e->profile ? e->profile : "");
	return edit_file(path, &rq, 1, err);
}

int
kl_kubeconfig_remove(const char *path, const char *profile, struct kl_err *err)
{
	struct request rq = { .op = OP_REMOVE, .profile = profile };

	return edit_file(path, &rq, 0, err);
}

int
kl_kubeconfig_update_server(const char *path, const char *profile, const char *server,
			    struct kl_err *err)
{
	struct request rq = { .op = OP_SERVER, .profile = profile, .server = server };

	if (!kl_path_exists(path))
		return kl_err_set(err, KL_R_K8S_KUBECONFIG, "kubeconfig '%s' does not exist", path);
	return edit_file(path, &rq, 0, err);
}

int
kl_kubeconfig_read(const char *path, const char *profile, struct kl_kubeconfig_info *info,
		   struct kl_err *err)
{
	struct request rq = { .op = OP_READ, .profile = profile, .info = info };

	memset(info, 0, sizeof(*info));
	return edit_file(path, &rq, 0, err);
}

void
kl_kubeconfig_info_release(struct kl_kubeconfig_info *info)
{
	free(info->current_context);
	free(info->server);
	memset(info, 0, sizeof(*info));
}

/* ---- a client from a kubeconfig ---- */

/* The inner mapping of the entry named `name` in the list `key`, or 0. */
static int
named_inner(yaml_document_t *doc, int root, const char *key, const char *inner, const char *name)
{
	int seq = kl_yaml_map_get(doc, root, key);
	long i = kl_yaml_is_seq(doc, seq) && name ? find_named(doc, seq, name) : -1;

	return i < 0 ? 0 : kl_yaml_map_get(doc, kl_yaml_seq_item(doc, seq, (size_t)i), inner);
}

/* `key` as a path (relative to the file's directory) or `key`-data decoded into pem. */
static void
file_or_data(yaml_document_t *doc, int map, const char *key, const char *dir, char **path, struct kl_strbuf *pem)
{
	char *data_key = kl_xasprintf("%s-data", key);
	const char *data = kl_yaml_node_str(doc, kl_yaml_map_get(doc, map, data_key));
	const char *p = kl_yaml_node_str(doc, kl_yaml_map_get(doc, map, key));

	if (data && *data) {
		size_t n = strlen(data);
		int len;

		kl_strbuf_grow(pem, n);
		len = EVP_DecodeBlock((unsigned char *)pem->buf, (const unsigned char *)data, (int)n);
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		while (len > 0 && n > 0 && data[n - 1] == '=') {
			len--;
			n--;
		}
		kl_strbuf_setlen(pem, len > 0 ? (size_t)len : 0);
	} else if (p && *p) {
		*path = p[0] == '/' ? kl_xstrdup(p) : kl_xasprintf("%s/%s", dir, p);
	}
	free(data_key);
}

struct kl_kube *
kl_kube_new_kubeconfig(const char *path, const char *context, struct kl_err *err)
{
	struct kl_strbuf in = KL_STRBUF_INIT, ca = KL_STRBUF_INIT, crt = KL_STRBUF_INIT, key = KL_STRBUF_INIT;
	char *dir = kl_xstrdup(path), *ca_path = NULL, *crt_path = NULL, *key_path = NULL, why[256];
	struct kl_kube_config cfg = { .name = context };
	struct kl_kube *k = NULL;
	yaml_document_t doc;
	int root, ctx, loaded = 0;

	snprintf(dir, strlen(path) + 1, "%s", dirname(dir));
	if (kl_read_file(path, &in, err) != 0)
		goto out;
	if (kl_yaml_load(in.buf, in.len, &doc, NULL, why, sizeof(why)) != 0) {
		kl_err_set(err, KL_R_K8S_KUBECONFIG, "cannot parse kubeconfig '%s': %s", path, why);
		goto out;
	}
	loaded = 1;
	root = yaml_document_get_root_node(&doc) ? 1 : 0;
	if (context == NULL)
		context = kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, root, "current-context"));
	ctx = named_inner(&doc, root, "contexts", "context", context);
	if (ctx == 0) {
		kl_err_set(err, KL_R_K8S_KUBECONFIG, "kubeconfig '%s' has no context '%s'", path,
			   context ? context : "(current-context is not set)");
		goto out;
	}
	cfg.name = context;
	{
		int cl = named_inner(&doc, root, "clusters", "cluster",
				     kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, ctx, "cluster")));
		int us = named_inner(&doc, root, "users", "user",
				     kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, ctx, "user")));

		cfg.server = kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, cl, "server"));
		file_or_data(&doc, cl, "certificate-authority", dir, &ca_path, &ca);
		file_or_data(&doc, us, "client-certificate", dir, &crt_path, &crt);
		file_or_data(&doc, us, "client-key", dir, &key_path, &key);
	}
	cfg.ca_path = ca_path;
	cfg.ca_data = ca.len ? ca.buf : NULL;
	cfg.cert_path = crt_path;
	cfg.cert_data = crt.len ? crt.buf : NULL;
	cfg.key_path = key_path;
	cfg.key_data = key.len ? key.buf : NULL;
	k = kl_kube_new(&cfg, err);
	if (k == NULL)
		kl_err_wrap(err, "kubeconfig '%s', context '%s'", path, context);
out:
	if (loaded)
		yaml_document_delete(&doc);
	if (in.alloc)
		OPENSSL_cleanse(in.buf, in.alloc);
	if (key.alloc)
		OPENSSL_cleanse(key.buf, key.alloc);
	kl_strbuf_release(&in);
	kl_strbuf_release(&ca);
	kl_strbuf_release(&crt);
	kl_strbuf_release(&key);
	free(ca_path);
	free(crt_path);
	free(key_path);
	free(dir);
	return k;
}
