/* kubeconfig merge/remove/update on documents in memory and on files; the YAML helpers. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"
#include "unit.h"

static const char rich[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster:\n"
	"    certificate-authority-data: QUJD\n"
	"    server: https://10.0.0.1:6443\n"
	"    extensions:\n"
	"    - extension:\n"
	"        last-update: Mon, 01 Jan 2024 00:00:00 UTC\n"
	"        provider: someone\n"
	"      name: cluster_info\n"
	"  name: prod\n"
	"- cluster:\n"
	"    insecure-skip-tls-verify: true\n"
	"    server: 'https://127.0.0.1:8080'\n"
	"  name: \"8443\"\n"
	"contexts:\n"
	"- context: {cluster: prod, user: admin, namespace: kube-system}\n"
	"  name: prod\n"
	"current-context: prod\n"
	"kind: Config\n"
	"preferences: {colors: true}\n"
	"users:\n"
	"- name: admin\n"
	"  user:\n"
	"    token: abc.def\n"
	"- name: exec-user\n"
	"  user:\n"
	"    exec:\n"
	"      apiVersion: client.authentication.k8s.io/v1\n"
	"      command: gke-gcloud-auth-plugin\n"
	"      args: [--verbose, \"on\"]\n"
	"      interactiveMode: IfAvailable\n"
	"      provideClusterInfo: true\n"
	"x-unknown-top-level: {a: 1, b: [yes, 'no']}\n";

static const struct kl_kubeconfig_entry entry = {
	"dev", "https://192.168.39.10:8443", "/h/.kubelaunch/certs/ca.crt",
	"/h/.kubelaunch/profiles/dev/certs/client.crt", "/h/.kubelaunch/profiles/dev/certs/client.key", 0,
};

/* What our emitter makes of a document untouched. */
static void
normalise(const char *in, struct kl_strbuf *out)
{
	yaml_document_t doc;
	char why[128];

	CHECK_INT(kl_yaml_load(in, strlen(in), &doc, NULL, why, sizeof(why)), 0);
	CHECK_INT(kl_yaml_dump(&doc, out, NULL), 0);
}

KL_TEST(yaml_plain_scalars_table)
{
	static const struct {
		const char *s;
		int is_string;
	} cases[] = {
		{ "hello", 1 }, { "0%", 1 }, { "0s", 1 }, { "10.96.0.10", 1 }, { "v1.34.2", 1 },
		{ "unix:///run/containerd/containerd.sock", 1 }, { "registry.k8s.io", 1 },
		{ "true", 0 }, { "False", 0 }, { "yes", 0 }, { "on", 0 }, { "y", 0 }, { "N", 0 },
		{ "8443", 0 }, { "-1", 0 }, { "0x1F", 0 }, { "0o17", 0 }, { "017", 0 }, { "1_000", 0 },
		{ "1.5", 0 }, { ".5", 0 }, { "1e3", 0 }, { ".inf", 0 }, { "-.Inf", 0 }, { ".NaN", 0 },
		{ "1:30", 0 }, { "~", 0 }, { "null", 0 }, { "", 0 }, { "2001-12-14", 0 }, { "<<", 0 },
	};

	for (size_t i = 0; i < KL_ARRAY_SIZE(cases); i++)
		if (kl_yaml_plain_is_string(cases[i].s) != cases[i].is_string)
			kl_unit_fail(__FILE__, __LINE__, "'%s': want is_string=%d", cases[i].s, cases[i].is_string);
}

KL_TEST(yaml_emitter_quotes_what_needs_it)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	struct kl_yaml_out y;
	yaml_document_t doc;
	char why[128];
	int root;

	kl_yaml_out_init(&y, &sb);
	kl_yaml_doc_begin(&y);
	kl_yaml_map_begin(&y);
	kl_yaml_kv(&y, "s", "true");
	kl_yaml_kv(&y, "num", "8443");
	kl_yaml_kv_int(&y, "i", 8443);
	kl_yaml_kv_bool(&y, "b", 0);
	kl_yaml_kv(&y, "inject", "x\n- evil: 1\n");
	kl_yaml_kv(&y, "colon", "a: b");
	kl_yaml_str(&y, "empty");
	kl_yaml_empty_seq(&y);
	kl_yaml_map_end(&y);
	kl_yaml_doc_end(&y);
	CHECK_INT(kl_yaml_out_finish(&y, NULL), 0);
	CHECK(strstr(sb.buf, "s: \"true\"\n") != NULL);
	CHECK(strstr(sb.buf, "num: \"8443\"\n") != NULL);
	CHECK(strstr(sb.buf, "i: 8443\n") != NULL);
	CHECK(strstr(sb.buf, "b: false\n") != NULL);
	CHECK(strstr(sb.buf, "empty: []\n") != NULL);
	CHECK_INT(kl_yaml_load(sb.buf, sb.len, &doc, NULL, why, sizeof(why)), 0);
	root = 1;
	CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, root, "inject")), "x\n- evil: 1\n");
	CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, root, "colon")), "a: b");
	CHECK(kl_yaml_map_get(&doc, root, "evil") == 0);
	yaml_document_delete(&doc);
	kl_strbuf_release(&sb);
}

KL_TEST(kubeconfig_merge_into_empty)
{
	struct kl_strbuf out = KL_STRBUF_INIT;
	struct kl_err err;

	CHECK_INT(kl_kubeconfig_merge_buf("", 0, "cfg", &entry, 0, &out, &err), 0);
	CHECK_STR(out.buf, "apiVersion: v1\n"
			   "clusters:\n"
			   "- cluster:\n"
			   "    certificate-authority: /h/.kubelaunch/certs/ca.crt\n"
			   "    server: https://192.168.39.10:8443\n"
			   "  name: dev\n"
			   "contexts:\n"
			   "- context:\n"
			   "    cluster: dev\n"
			   "    user: dev\n"
			   "  name: dev\n"
			   "current-context: dev\n"
			   "kind: Config\n"
			   "preferences: {}\n"
			   "users:\n"
			   "- name: dev\n"
			   "  user:\n"
			   "    client-certificate: /h/.kubelaunch/profiles/dev/certs/client.crt\n"
			   "    client-key: /h/.kubelaunch/profiles/dev/certs/client.key\n");
	kl_strbuf_release(&out);
}

KL_TEST(kubeconfig_merge_then_remove_keeps_the_rest)
{
	struct kl_strbuf norm = KL_STRBUF_INIT, merged = KL_STRBUF_INIT, again = KL_STRBUF_INIT,
			 removed = KL_STRBUF_INIT;
	struct kl_err err;

	normalise(rich, &norm);
	/* keep_context: the only difference left after remove would be current-context. */
	CHECK_INT(kl_kubeconfig_merge_buf(rich, strlen(rich), "cfg", &entry, 1, &merged, &err), 0);
	CHECK(strstr(merged.buf, "current-context: prod\n") != NULL);
	CHECK(strstr(merged.buf, "name: dev\n") != NULL);
	/* Merging twice changes nothing. */
	CHECK_INT(kl_kubeconfig_merge_buf(merged.buf, merged.len, "cfg", &entry, 1, &again, &err), 0);
	CHECK_STR(again.buf, merged.buf);
	CHECK_INT(kl_kubeconfig_remove_buf(merged.buf, merged.len, "cfg", "dev", &removed, &err), 0);
	CHECK_STR(removed.buf, norm.buf);
	/* Types survive: quoted "8443" stays a string, "on" stays quoted. */
	CHECK(strstr(norm.buf, "name: \"8443\"") != NULL);
	CHECK(strstr(norm.buf, "\"on\"") != NULL);
	kl_strbuf_release(&norm);
	kl_strbuf_release(&merged);
	kl_strbuf_release(&again);
	kl_strbuf_release(&removed);
}

KL_TEST(kubeconfig_replace_keeps_position_and_our_extra_keys)
{
	static const char in[] = "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
				 "clusters:\n- name: dev\n  cluster: {server: https://old:1, certificate-authority-data: Zm9v}\n"
				 "- name: z\n  cluster: {server: https://z}\n"
				 "contexts:\n- name: dev\n  context: {cluster: old, user: old, namespace: mine}\n"
				 "users:\n- name: dev\n  user: {token: t}\n";
	struct kl_strbuf out = KL_STRBUF_INIT;
	struct kl_err err;

	CHECK_INT(kl_kubeconfig_merge_buf(in, strlen(in), "cfg", &entry, 0, &out, &err), 0);
	CHECK(strstr(out.buf, "https://old") == NULL);
	CHECK(strstr(out.buf, "certificate-authority-data") == NULL);
	CHECK(strstr(out.buf, "namespace: mine") != NULL);
	CHECK(strstr(out.buf, "current-context: dev") != NULL);
	/* dev is still first, z second. */
	CHECK(strstr(out.buf, "name: dev") < strstr(out.buf, "name: z"));
	kl_strbuf_release(&out);
}

KL_TEST(kubeconfig_remove_clears_our_current_context)
{
	static const char in[] = "current-context: dev\nclusters:\n- name: dev\n  cluster: {}\n";
	struct kl_strbuf out = KL_STRBUF_INIT;
	struct kl_err err;

	CHECK_INT(kl_kubeconfig_remove_buf(in, strlen(in), "cfg", "dev", &out, &err), 0);
	CHECK_STR(out.buf, "current-context: \"\"\nclusters: []\n");
	kl_strbuf_release(&out);
}

KL_TEST(kubeconfig_bad_documents_are_errors_naming_the_file)
{
	static const char *const bad[] = {
		"clusters: [\n", "- a\n- b\n", "a: 1\n---\nb: 2\n", "clusters: 5\n", "\tfoo: bar\n",
	};
	for (size_t i = 0; i < KL_ARRAY_SIZE(bad); i++) {
		struct kl_strbuf out = KL_STRBUF_INIT;
		struct kl_err err;

		if (kl_kubeconfig_merge_buf(bad[i], strlen(bad[i]), "/x/config", &entry, 0, &out, &err) == 0) {
			kl_unit_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
		} else {
			CHECK_INT(err.reason, KL_R_K8S_KUBECONFIG);
			CHECK(strstr(err.msg, "'/x/config'") != NULL);
		}
		kl_strbuf_release(&out);
	}
}

static char *
write_tmp(const char *name, const char *data)
{
	char *p = kl_xasprintf("%s/%s", kl_unit_tmpdir(), name);

	kl_write_file_atomic(p, data, strlen(data), 0644, NULL);
	return p;
}

KL_TEST(kubeconfig_embed_certs)
{
	char *ca = write_tmp("ca.crt", "CA"), *crt = write_tmp("c.crt", "CRT"), *key = write_tmp("c.key", "KEY!");
	struct kl_kubeconfig_entry e = { "dev", "https://1.2.3.4:8443", ca, crt, key, 1 };
	struct kl_strbuf out = KL_STRBUF_INIT, out2 = KL_STRBUF_INIT;
	struct kl_err err;

	CHECK_INT(kl_kubeconfig_merge_buf("", 0, "cfg", &e, 0, &out, &err), 0);
	CHECK(strstr(out.buf, "certificate-authority-data: Q0E=\n") != NULL);
	CHECK(strstr(out.buf, "client-certificate-data: Q1JU\n") != NULL);
	CHECK(strstr(out.buf, "client-key-data: S0VZIQ==\n") != NULL);
	CHECK(strstr(out.buf, "client-key:") == NULL);
	/* Back to paths. */
	e.embed = 0;
	CHECK_INT(kl_kubeconfig_merge_buf(out.buf, out.len, "cfg", &e, 0, &out2, &err), 0);
	CHECK(strstr(out2.buf, "-data") == NULL);
	CHECK(strstr(out2.buf, "client-key: ") != NULL);
	kl_strbuf_release(&out);
	kl_strbuf_release(&out2);
	free(ca);
	free(crt);
	free(key);
}

KL_TEST(kubeconfig_file_mode_lock_and_untouched_on_error)
{
	char *dir = kl_xasprintf("%s/kc/.kube", kl_unit_tmpdir()), *path = kl_xasprintf("%s/config", dir);
	struct kl_strbuf sb = KL_STRBUF_INIT;
	struct kl_kubeconfig_info info;
	struct kl_err err;
	struct stat st;

	CHECK_INT(kl_kubeconfig_merge(path, &entry, 0, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(stat(dir, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	{
		char *lock = kl_xasprintf("%s.lock", path); /* kubectl's lock is removed after use */
		CHECK(!kl_path_exists(lock));
		free(lock);
	}
	CHECK_INT(kl_kubeconfig_update_server(path, "dev", "https://10.0.0.9:8443", &err), 0);
	CHECK_INT(kl_kubeconfig_read(path, "dev", &info, &err), 0);
	CHECK_STR(info.current_context, "dev");
	CHECK_STR(info.server, "https://10.0.0.9:8443");
	CHECK_INT(info.has_context, 1);
	kl_kubeconfig_info_release(&info);
	CHECK_INT(kl_kubeconfig_update_server(path, "nope", "https://x", &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_KUBECONFIG);

	/* A broken file is never overwritten. */
	kl_write_file_atomic(path, "clusters: [\n", 12, 0644, NULL);
	CHECK_INT(kl_kubeconfig_merge(path, &entry, 0, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_KUBECONFIG);
	CHECK(strstr(err.msg, path) != NULL);
	kl_read_file(path, &sb, NULL);
	CHECK_STR(sb.buf, "clusters: [\n");
	CHECK_INT(kl_kubeconfig_remove(path, "dev", &err), -1);

	/* Removing from a missing file is fine and creates nothing. */
	unlink(path);
	CHECK_INT(kl_kubeconfig_remove(path, "dev", &err), 0);
	CHECK(!kl_path_exists(path));
	kl_strbuf_release(&sb);
	free(dir);
	free(path);
}

KL_TEST(kubeconfig_path_from_env)
{
	char *old = getenv("KUBECONFIG") ? kl_xstrdup(getenv("KUBECONFIG")) : NULL, *p = NULL;
	char *oldhome = kl_xstrdup(getenv("HOME") ? getenv("HOME") : "/");

	setenv("KUBECONFIG", "/a/one:/b/two", 1);
	CHECK_INT(kl_kubeconfig_path(&p, NULL), 0);
	CHECK_STR(p, "/a/one");
	free(p);
	setenv("KUBECONFIG", "::/b/two", 1);
	CHECK_INT(kl_kubeconfig_path(&p, NULL), 0);
	CHECK_STR(p, "/b/two");
	free(p);
	setenv("KUBECONFIG", "", 1);
	setenv("HOME", "/home/u", 1);
	CHECK_INT(kl_kubeconfig_path(&p, NULL), 0);
	CHECK_STR(p, "/home/u/.kube/config");
	free(p);
	setenv("HOME", oldhome, 1);
	if (old)
		setenv("KUBECONFIG", old, 1);
	else
		unsetenv("KUBECONFIG");
	free(old);
	free(oldhome);
}

KL_TEST(kubeconfig_concurrent_merges_lose_nothing)
{
	char *path = kl_xasprintf("%s/concurrent-config", kl_unit_tmpdir());
	struct kl_strbuf sb = KL_STRBUF_INIT;
	enum { N = 12 };
	pid_t pids[N];

	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char name[16];
			struct kl_kubeconfig_entry e = entry;

			snprintf(name, sizeof(name), "p%d", i);
			e.profile = name;
			_exit(kl_kubeconfig_merge(path, &e, 0, NULL) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int st = 0;
		waitpid(pids[i], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	kl_read_file(path, &sb, NULL);
	for (int i = 0; i < N; i++) {
		char want[32];
		snprintf(want, sizeof(want), "- name: p%d\n", i);
		if (strstr(sb.buf, want) == NULL)
			kl_unit_fail(__FILE__, __LINE__, "lost user p%d", i);
	}
	kl_strbuf_release(&sb);
	free(path);
}

KL_TEST(kubeconfig_symlink_is_written_through)
{
	char *target = kl_xasprintf("%s/real-config", kl_unit_tmpdir());
	char *link = kl_xasprintf("%s/link-config", kl_unit_tmpdir());
	struct kl_err err;
	struct stat st;

	kl_write_file_atomic(target, "", 0, 0600, NULL);
	CHECK_INT(symlink(target, link), 0);
	CHECK_INT(kl_kubeconfig_merge(link, &entry, 0, &err), 0);
	CHECK_INT(lstat(link, &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_INT(stat(target, &st), 0);
	CHECK(st.st_size > 0);
	free(target);
	free(link);
}

/* A hook for tests/t/t0630-kubeconfig.sh: with KL_KC_OP set, run one operation on
 * the file KL_KC_PATH (else the kubeconfig path rules), and fail the test on error. */
KL_TEST(kubeconfig_helper_from_env)
{
	const char *op = getenv("KL_KC_OP"), *profile = getenv("KL_KC_PROFILE");
	struct kl_kubeconfig_entry e = { profile, getenv("KL_KC_SERVER"), getenv("KL_KC_CA"),
					 getenv("KL_KC_CERT"), getenv("KL_KC_KEY"), getenv("KL_KC_EMBED") != NULL };
	struct kl_err err = { KL_R_GENERIC, "" };
	char *path = NULL;
	int rc = -1;

	if (op == NULL)
		return;
	if (getenv("KL_KC_PATH"))
		path = kl_xstrdup(getenv("KL_KC_PATH"));
	else if (kl_kubeconfig_path(&path, &err) != 0)
		goto out;
	if (strcmp(op, "merge") == 0)
		rc = kl_kubeconfig_merge(path, &e, getenv("KL_KC_KEEP_CONTEXT") != NULL, &err);
	else if (strcmp(op, "remove") == 0)
		rc = kl_kubeconfig_remove(path, profile, &err);
	else if (strcmp(op, "update") == 0)
		rc = kl_kubeconfig_update_server(path, profile, e.server, &err);
out:
	if (rc != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s: %s: %s", op, kl_reason_id(err.reason), err.msg);
	free(path);
}

/* A user's file keeps its mode and owner when rewritten (root with sudo is the usual
 * case); a read-only one is refused and left as it was; remove_check changes nothing. */
KL_TEST(kubeconfig_keeps_mode_and_owner_refuses_read_only)
{
	char *path = kl_xasprintf("%s/owned-config", kl_unit_tmpdir());
	struct kl_strbuf sb = KL_STRBUF_INIT, before = KL_STRBUF_INIT;
	struct kl_err err;
	struct stat st;

	CHECK_INT(kl_write_file_atomic(path, rich, strlen(rich), 0644, NULL), 0);
	if (geteuid() == 0)
		CHECK_INT(chown(path, 4321, 4322), 0);
	CHECK_INT(kl_kubeconfig_merge(path, &entry, 0, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0644);
	if (geteuid() == 0) {
		CHECK_INT(st.st_uid, 4321);
		CHECK_INT(st.st_gid, 4322);
	}

	/* The check sees what the removal would do, and does nothing. */
	kl_read_file(path, &before, NULL);
	CHECK_INT(kl_kubeconfig_remove_check(path, "dev", &err), 0);
	kl_read_file(path, &sb, NULL);
	CHECK_STR(sb.buf, before.buf);

	CHECK_INT(chmod(path, 0400), 0);
	CHECK_INT(kl_kubeconfig_remove_check(path, "dev", &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_KUBECONFIG);
	CHECK(strstr(err.msg, "read-only") != NULL);
	CHECK_INT(kl_kubeconfig_remove(path, "dev", &err), -1);
	CHECK(strstr(err.msg, "chmod u+w") != NULL);
	CHECK_INT(kl_kubeconfig_merge(path, &entry, 0, &err), -1);
	kl_strbuf_reset(&sb);
	kl_read_file(path, &sb, NULL);
	CHECK_STR(sb.buf, before.buf);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0400);
	/* Without our entries there is nothing to write: a read-only file is fine. */
	CHECK_INT(kl_kubeconfig_remove_check(path, "other", &err), 0);
	kl_strbuf_release(&sb);
	kl_strbuf_release(&before);
	free(path);
}

/* Entries that share nodes through anchors and aliases: our edits never reach into
 * another entry, and the other entries come out as they went in, anchors and all. */
static const char aliased[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster: &shared\n"
	"    certificate-authority-data: QUJD\n"
	"    server: https://10.0.0.1:6443\n"
	"  name: prod\n"
	"- cluster: *shared\n"
	"  name: dev\n"
	"- cluster: *shared\n"
	"  name: staging\n"
	"contexts: &ctxs\n"
	"- context: &ctx\n"
	"    cluster: prod\n"
	"    user: admin\n"
	"  name: prod\n"
	"- context: *ctx\n"
	"  name: dev\n"
	"current-context: prod\n"
	"kind: Config\n"
	"users:\n"
	"- &admin\n"
	"  name: admin\n"
	"  user:\n"
	"    token: abc.def\n"
	"- name: dev\n"
	"  user: &u\n"
	"    token: ours\n"
	"- name: other\n"
	"  user: *u\n"
	"x-copy-of-contexts: *ctxs\n";

/* The value of `key` (a flow path "list/name/inner/field") in a parsed document. */
static const char *
lookup(yaml_document_t *doc, const char *list, const char *name, const char *inner, const char *field)
{
	int seq = kl_yaml_map_get(doc, 1, list);

	for (size_t i = 0; i < kl_yaml_seq_len(doc, seq); i++) {
		int item = kl_yaml_seq_item(doc, seq, i);
		const char *n = kl_yaml_node_str(doc, kl_yaml_map_get(doc, item, "name"));

		if (n && strcmp(n, name) == 0)
			return kl_yaml_node_str(doc, kl_yaml_map_get(doc, kl_yaml_map_get(doc, item, inner), field));
	}
	return NULL;
}

KL_TEST(kubeconfig_edits_never_follow_aliases)
{
	struct kl_strbuf norm = KL_STRBUF_INIT, merged = KL_STRBUF_INIT, removed = KL_STRBUF_INIT;
	char *path = kl_xasprintf("%s/aliased-config", kl_unit_tmpdir());
	struct kl_strbuf updated = KL_STRBUF_INIT;
	yaml_document_t doc;
	struct kl_err err;
	char why[128];

	/* Untouched, the text survives a round trip with its anchor names. */
	{
		struct kl_yaml_anchors a;

		CHECK_INT(kl_yaml_load(aliased, strlen(aliased), &doc, NULL, why, sizeof(why)), 0);
		kl_yaml_anchors_read(aliased, strlen(aliased), &a);
		CHECK_INT(kl_yaml_dump_anchored(&doc, &a, &norm, NULL), 0);
		kl_yaml_anchors_release(&a);
		CHECK_STR(norm.buf, aliased);
	}

	CHECK_INT(kl_kubeconfig_merge_buf(aliased, strlen(aliased), "t", &entry, 0, &merged, &err), 0);
	CHECK_INT(kl_yaml_load(merged.buf, merged.len, &doc, NULL, why, sizeof(why)), 0);
	CHECK_STR(lookup(&doc, "clusters", "dev", "cluster", "server"), entry.server);
	CHECK_STR(lookup(&doc, "clusters", "prod", "cluster", "server"), "https://10.0.0.1:6443");
	CHECK_STR(lookup(&doc, "clusters", "staging", "cluster", "server"), "https://10.0.0.1:6443");
	CHECK_STR(lookup(&doc, "clusters", "prod", "cluster", "certificate-authority"), NULL);
	CHECK_STR(lookup(&doc, "contexts", "prod", "context", "user"), "admin");
	CHECK_STR(lookup(&doc, "contexts", "dev", "context", "user"), "dev");
	CHECK_STR(lookup(&doc, "users", "other", "user", "token"), "ours");
	CHECK_STR(lookup(&doc, "users", "dev", "user", "client-key"), entry.key_path);
	CHECK_STR(lookup(&doc, "users", "other", "user", "client-key"), NULL);
	/* The alias to the whole list of contexts still reads as the list before. */
	{
		int copy = kl_yaml_map_get(&doc, 1, "x-copy-of-contexts");

		CHECK_INT(kl_yaml_seq_len(&doc, copy), 2);
		CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, kl_yaml_map_get(&doc,
			  kl_yaml_seq_item(&doc, copy, 1), "context"), "user")), "admin");
	}
	yaml_document_delete(&doc);
	/* The other entries are byte for byte what they were: anchors kept, aliases too. */
	CHECK(strstr(merged.buf, "- cluster: &shared\n    certificate-authority-data: QUJD\n"
				 "    server: https://10.0.0.1:6443\n  name: prod\n") != NULL);
	CHECK(strstr(merged.buf, "- cluster: *shared\n  name: staging\n") != NULL);
	CHECK(strstr(merged.buf, "- &admin\n  name: admin\n") != NULL);

	/* update-context on the file: only our server moves. */
	CHECK_INT(kl_write_file_atomic(path, aliased, strlen(aliased), 0600, NULL), 0);
	CHECK_INT(kl_kubeconfig_update_server(path, "dev", "https://10.9.9.9:8443", &err), 0);
	CHECK_INT(kl_read_file(path, &updated, NULL), 0);
	CHECK_INT(kl_yaml_load(updated.buf, updated.len, &doc, NULL, why, sizeof(why)), 0);
	CHECK_STR(lookup(&doc, "clusters", "dev", "cluster", "server"), "https://10.9.9.9:8443");
	CHECK_STR(lookup(&doc, "clusters", "prod", "cluster", "server"), "https://10.0.0.1:6443");
	CHECK_STR(lookup(&doc, "clusters", "staging", "cluster", "server"), "https://10.0.0.1:6443");
	yaml_document_delete(&doc);

	/* Removing ours: the rest is the input without our entries, byte for byte (the
	 * anchor our user defined moves to the one entry that still refers to it). */
	CHECK_INT(kl_kubeconfig_remove_buf(merged.buf, merged.len, "t", "dev", &removed, &err), 0);
	CHECK_STR(removed.buf,
		  "apiVersion: v1\n"
		  "clusters:\n"
		  "- cluster: &shared\n"
		  "    certificate-authority-data: QUJD\n"
		  "    server: https://10.0.0.1:6443\n"
		  "  name: prod\n"
		  "- cluster: *shared\n"
		  "  name: staging\n"
		  "contexts:\n"
		  "- context: &ctx\n"
		  "    cluster: prod\n"
		  "    user: admin\n"
		  "  name: prod\n"
		  "current-context: \"\"\n"
		  "kind: Config\n"
		  "users:\n"
		  "- &admin\n"
		  "  name: admin\n"
		  "  user:\n"
		  "    token: abc.def\n"
		  "- name: other\n"
		  "  user: &u\n"
		  "    token: ours\n"
		  /* An alias to a whole list we changed cannot stay one: it keeps the old list. */
		  "x-copy-of-contexts: &ctxs\n"
		  "- context: *ctx\n"
		  "  name: prod\n"
		  "- context: *ctx\n"
		  "  name: dev\n");
	kl_strbuf_release(&norm);
	kl_strbuf_release(&merged);
	kl_strbuf_release(&removed);
	kl_strbuf_release(&updated);
	free(path);
}
