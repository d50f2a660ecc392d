/*
 * fuzz_kubeconfig.c: merging and removing our entries (src/kube/kubeconfig.c,
 * kl_kubeconfig_merge_buf and _remove_buf) in a hostile kubeconfig.
 * Input: a flags byte (1 keep the current context, 2 embed the certificates, 4 take
 * the profile and paths from the input), the kubeconfig text, then NUL-separated:
 * profile, server, CA path, certificate path, key path.
 * Invariants, when the merge succeeds: the output is one YAML mapping; our cluster,
 * context and user are there with the server and files given, once each; the current
 * context is ours (unless kept); every entry and top-level key that is not ours reads
 * as it did; merging again changes nothing; removing then leaves none of ours and the
 * others as they were.
 */
#include <unistd.h>

#include "kubelaunch/err.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/yaml.h"

#include "fuzz.h"
#include "fuzz_tree.h"

static char dir[64], file_ca[96], file_crt[96], file_key[96];

static void
cleanup(void)
{
	kl_remove_tree(dir, NULL);
}

/* The files an embedding merge reads, made once. */
static void
setup(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/kl-fuzz-kubeconfig.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(file_ca, sizeof(file_ca), "%s/ca.crt", dir);
	snprintf(file_crt, sizeof(file_crt), "%s/client.crt", dir);
	snprintf(file_key, sizeof(file_key), "%s/client.key", dir);
	if (kl_write_file_atomic(file_ca, "ca\n", 3, 0600, NULL) || kl_write_file_atomic(file_crt, "crt\n", 4, 0600, NULL) ||
	    kl_write_file_atomic(file_key, "key\n", 4, 0600, NULL))
		abort();
	atexit(cleanup);
}

static int
is_ours_key(const char *k)
{
	return k && (!strcmp(k, "clusters") || !strcmp(k, "contexts") || !strcmp(k, "users") ||
		     !strcmp(k, "current-context"));
}

/* What is not ours: the top-level keys we do not manage, and the entries of the three
 * lists not named `profile`, in order. */
static void
others(yaml_document_t *doc, const char *profile, struct kl_strbuf *sb)
{
	static const char *const lists[] = { "clusters", "contexts", "users" };
	yaml_node_t *root = yaml_document_get_root_node(doc);

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		if (is_ours_key(kl_yaml_node_str(doc, p->key)))
			continue;
		kl_fuzz_tree_text(doc, p->key, 1, sb, 0);
		kl_fuzz_tree_text(doc, p->value, 1, sb, 0);
		kl_strbuf_addstr(sb, "\n");
	}
	for (size_t l = 0; l < 3; l++) {
		int seq = kl_yaml_map_get(doc, 1, lists[l]);

		kl_strbuf_addf(sb, "%s:\n", lists[l]);
		for (size_t i = 0; i < kl_yaml_seq_len(doc, seq); i++) {
			int item = kl_yaml_seq_item(doc, seq, i);
			const char *name = kl_yaml_node_str(doc, kl_yaml_map_get(doc, item, "name"));

			if (name && strcmp(name, profile) == 0)
				continue;
			kl_fuzz_tree_text(doc, item, 1, sb, 0);
			kl_strbuf_addstr(sb, "\n");
		}
	}
}

/* How many entries of `list` are named `profile`; *inner is the last one's inner map. */
static int
ours(yaml_document_t *doc, const char *list, const char *inner_key, const char *profile, int *inner)
{
	int seq = kl_yaml_map_get(doc, 1, list), count = 0;

	*inner = 0;
	for (size_t i = 0; i < kl_yaml_seq_len(doc, seq); i++) {
		int item = kl_yaml_seq_item(doc, seq, i);
		const char *name = kl_yaml_node_str(doc, kl_yaml_map_get(doc, item, "name"));

		if (name && strcmp(name, profile) == 0) {
			count++;
			*inner = kl_yaml_map_get(doc, item, inner_key);
		}
	}
	return count;
}

static const char *
field(yaml_document_t *doc, int map, const char *key)
{
	return kl_yaml_node_str(doc, kl_yaml_map_get(doc, map, key));
}

static int
load(const char *buf, size_t len, yaml_document_t *doc)
{
	char why[256];
	int ndocs = 0;

	if (kl_yaml_load(buf, len, doc, &ndocs, why, sizeof(why)) != 0)
		return -1;
	if (ndocs != 1 || !kl_yaml_is_map(doc, 1)) {
		yaml_document_delete(doc);
		return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s[6] = { "", "", "", "", "", "" }, *buf;
	struct kl_kubeconfig_entry e = { "dev", "https://192.168.39.10:8443", file_ca, file_crt, file_key, 0 };
	struct kl_strbuf out = KL_STRBUF_INIT, again = KL_STRBUF_INIT, removed = KL_STRBUF_INIT;
	struct kl_strbuf before = KL_STRBUF_INIT, after = KL_STRBUF_INIT;
	struct kl_err err = { 0 };
	yaml_document_t in, doc;
	int flags, keep, in_ok, m;

	if (size < 1)
		return 0;
	setup();
	flags = data[0];
	keep = flags & 1;
	e.embed = (flags & 2) != 0;
	kl_fuzz_split(data + 1, size - 1, s, 6, &buf);
	if (flags & 4) {
		if (kl_profile_name_check(s[1], NULL) == 0)
			e.profile = s[1];
		e.server = s[2];
		if (!e.embed) {
			e.ca_path = s[3];
			e.cert_path = s[4];
			e.key_path = s[5];
		}
	}
	in_ok = load(s[0], strlen(s[0]), &in) == 0;
	if (in_ok)
		others(&in, e.profile, &before);

	if (kl_kubeconfig_merge_buf(s[0], strlen(s[0]), "fuzz", &e, keep, &out, &err) != 0) {
		KL_FUZZ_CHECK(err.msg[0] != '\0' && err.reason == KL_R_K8S_KUBECONFIG);
		goto out;
	}
	KL_FUZZ_CHECK(load(out.buf, out.len, &doc) == 0);
	KL_FUZZ_CHECK(ours(&doc, "clusters", "cluster", e.profile, &m) == 1);
	KL_FUZZ_CHECK(field(&doc, m, "server") && strcmp(field(&doc, m, "server"), e.server) == 0);
	KL_FUZZ_CHECK(e.embed ? field(&doc, m, "certificate-authority-data") != NULL :
				(field(&doc, m, "certificate-authority") &&
				 strcmp(field(&doc, m, "certificate-authority"), e.ca_path) == 0));
	KL_FUZZ_CHECK(ours(&doc, "contexts", "context", e.profile, &m) == 1);
	KL_FUZZ_CHECK(field(&doc, m, "cluster") && strcmp(field(&doc, m, "cluster"), e.profile) == 0);
	KL_FUZZ_CHECK(field(&doc, m, "user") && strcmp(field(&doc, m, "user"), e.profile) == 0);
	KL_FUZZ_CHECK(ours(&doc, "users", "user", e.profile, &m) == 1);
	KL_FUZZ_CHECK(e.embed ? field(&doc, m, "client-key-data") != NULL :
				(field(&doc, m, "client-key") && strcmp(field(&doc, m, "client-key"), e.key_path) == 0));
	if (!keep)
		KL_FUZZ_CHECK(field(&doc, 1, "current-context") &&
			      strcmp(field(&doc, 1, "current-context"), e.profile) == 0);
	if (in_ok) {
		others(&doc, e.profile, &after);
		KL_FUZZ_CHECK(strcmp(before.buf, after.buf) == 0);
	}
	yaml_document_delete(&doc);

	/* Merging again changes nothing. */
	KL_FUZZ_CHECK(kl_kubeconfig_merge_buf(out.buf, out.len, "fuzz", &e, keep, &again, &err) == 0);
	KL_FUZZ_CHECK(again.len == out.len && memcmp(again.buf, out.buf, out.len) == 0);

	/* Removing leaves none of ours, and the rest as it was. */
	KL_FUZZ_CHECK(kl_kubeconfig_remove_buf(out.buf, out.len, "fuzz", e.profile, &removed, &err) == 0);
	KL_FUZZ_CHECK(load(removed.buf, removed.len, &doc) == 0);
	KL_FUZZ_CHECK(ours(&doc, "clusters", "cluster", e.profile, &m) == 0);
	KL_FUZZ_CHECK(ours(&doc, "contexts", "context", e.profile, &m) == 0);
	KL_FUZZ_CHECK(ours(&doc, "users", "user", e.profile, &m) == 0);
	KL_FUZZ_CHECK(field(&doc, 1, "current-context") == NULL ||
		      strcmp(field(&doc, 1, "current-context"), e.profile) != 0);
	if (in_ok) {
		kl_strbuf_reset(&after);
		others(&doc, e.profile, &after);
		KL_FUZZ_CHECK(strcmp(before.buf, after.buf) == 0);
	}
	yaml_document_delete(&doc);
out:
	if (in_ok)
		yaml_document_delete(&in);
	kl_strbuf_release(&out);
	kl_strbuf_release(&again);
	kl_strbuf_release(&removed);
	kl_strbuf_release(&before);
	kl_strbuf_release(&after);
	free(buf);
	return 0;
}
