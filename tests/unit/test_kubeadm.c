/* kubeadm config: golden files per version and option set, parsed back with libyaml.
 * KL_TEST_REGENERATE=1 rewrites tests/golden/kubeadm/ (review the diff before committing). */
#include <stdlib.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/kubeadm.h"
#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"
#include "unit.h"

static const char *const extra[] = {
	"apiserver.enable-admission-plugins=NamespaceLifecycle,LimitRanger",
	"apiserver.v=4",
	"controller-manager.leader-elect=true",
	"scheduler.bind-address=0.0.0.0",
	"etcd.quota-backend-bytes=8589934592",
	"kubelet.max-pods=150",
	"kubelet.node-labels=tier=dev,zone=a b",
	"kube-proxy.mode=ipvs",
	"kube-proxy.conntrack.maxPerCore=8",
	"kube-proxy.ipvs.strictARP=true",
	NULL,
};
static const char *const sans[] = { "10.0.0.5", "api.example.com", NULL };

static const struct {
	const char *golden;
	struct kl_kubeadm_params p;
} cases[] = {
	{ "v1.30.14-default", { .kubernetes_version = "v1.30.14", .node_name = "kubelaunch", .node_ip = "192.168.39.10" } },
	{ "v1.30.14-options",
	  { .kubernetes_version = "v1.30.14", .node_name = "dev", .node_ip = "192.168.39.11", .apiserver_port = 9443,
	    .image_repository = "mirror.local:5000/k8s", .pull_never = 1, .cgroup_driver = "cgroupfs", .cgroup_v1 = 1,
	    .extra_config = extra, .feature_gates = "SidecarContainers=true,InPlacePodVerticalScaling=false",
	    .cert_sans = sans, .patches_dir = "/var/lib/kubelaunch/kubeadm-patches" } },
	{ "v1.34.2-default", { .kubernetes_version = "v1.34.2", .node_name = "kubelaunch", .node_ip = "192.168.39.10" } },
	{ "v1.36.4-default", { .kubernetes_version = "v1.36.4", .node_name = "kubelaunch", .node_ip = "192.168.39.10" } },
	{ "v1.37.2-default", { .kubernetes_version = "v1.37.2", .node_name = "kubelaunch", .node_ip = "192.168.39.10" } },
	{ "v1.37.2-options",
	  { .kubernetes_version = "v1.37.2", .node_name = "dev", .node_ip = "192.168.39.11", .apiserver_port = 9443,
	    .image_repository = "mirror.local:5000/k8s", .pull_never = 1, .cgroup_driver = "cgroupfs", .cgroup_v1 = 1,
	    .extra_config = extra, .feature_gates = "InPlacePodVerticalScaling=false", .cert_sans = sans,
	    .patches_dir = "/var/lib/kubelaunch/kubeadm-patches" } },
};

static char *
golden_path(const char *name)
{
	const char *src = getenv("KL_SRC");

	return kl_xasprintf("%s/tests/golden/kubeadm/%s.yaml", src ? src : ".", name);
}

/* The kinds of the documents, in order, joined by spaces. */
static void
kinds(const char *yaml, size_t len, struct kl_strbuf *out)
{
	yaml_parser_t parser;
	yaml_document_t doc;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	while (yaml_parser_load(&parser, &doc)) {
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		kl_strbuf_addf(out, "%s%s/%s", out->len ? " " : "",
			       kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, 1, "apiVersion")),
			       kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, 1, "kind")));
		yaml_document_delete(&doc);
	}
	if (parser.error != YAML_NO_ERROR)
		kl_strbuf_addstr(out, " PARSE-ERROR");
	yaml_parser_delete(&parser);
}

KL_TEST(kubeadm_goldens)
{
	int regen = getenv("KL_TEST_REGENERATE") && strcmp(getenv("KL_TEST_REGENERATE"), "1") == 0;

	for (size_t i = 0; i < KL_ARRAY_SIZE(cases); i++) {
		struct kl_strbuf got = KL_STRBUF_INIT, want = KL_STRBUF_INIT, k = KL_STRBUF_INIT;
		char *path = golden_path(cases[i].golden);
		struct kl_err err;

		if (kl_kubeadm_render(&cases[i].p, &got, &err) != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s: %s", cases[i].golden, err.msg);
		} else if (regen) {
			if (kl_write_file_atomic(path, got.buf, got.len, 0644, &err) != 0)
				kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
		} else if (kl_read_file(path, &want, &err) != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s (KL_TEST_REGENERATE=1 writes it)", err.msg);
		} else if (strcmp(got.buf, want.buf) != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s differs from the rendering; KL_TEST_REGENERATE=1 rewrites it",
				     path);
		}
		kinds(got.buf, got.len, &k);
		if (strstr(k.buf, "PARSE-ERROR") || strstr(k.buf, "/InitConfiguration ") == NULL ||
		    strstr(k.buf, "/ClusterConfiguration ") == NULL ||
		    strstr(k.buf, "kubelet.config.k8s.io/v1beta1/KubeletConfiguration ") == NULL ||
		    strstr(k.buf, "kubeproxy.config.k8s.io/v1alpha1/KubeProxyConfiguration") == NULL)
			kl_unit_fail(__FILE__, __LINE__, "%s: documents: %s", cases[i].golden, k.buf);
		kl_strbuf_release(&got);
		kl_strbuf_release(&want);
		kl_strbuf_release(&k);
		free(path);
	}
}

/* The static pods' patches: kube-apiserver's is a golden file; each names its own
 * container and parses back. */
KL_TEST(kubeadm_patches)
{
	int regen = getenv("KL_TEST_REGENERATE") && strcmp(getenv("KL_TEST_REGENERATE"), "1") == 0;
	size_t n = 0;

	for (const char *const *t = kl_kubeadm_patch_targets; *t; t++, n++) {
		struct kl_strbuf got = KL_STRBUF_INIT, want = KL_STRBUF_INIT;
		yaml_document_t doc;
		int ndocs = 0, containers, c;
		char why[256];
		struct kl_err err;

		CHECK_INT(kl_kubeadm_patch(*t, &got, &err), 0);
		if (strcmp(*t, "kube-apiserver") == 0) {
			char *path = golden_path("patch-kube-apiserver");

			if (regen)
				CHECK_INT(kl_write_file_atomic(path, got.buf, got.len, 0644, &err), 0);
			else if (kl_read_file(path, &want, &err) != 0 || strcmp(got.buf, want.buf) != 0)
				kl_unit_fail(__FILE__, __LINE__, "%s differs from the rendering; KL_TEST_REGENERATE=1 "
					     "rewrites it", path);
			free(path);
		}
		if (kl_yaml_load(got.buf, got.len, &doc, &ndocs, why, sizeof(why)) != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s: %s", *t, why);
		} else {
			containers = kl_yaml_map_get(&doc, kl_yaml_map_get(&doc, 1, "spec"), "containers");
			c = containers ? yaml_document_get_node(&doc, containers)->data.sequence.items.start[0] : 0;
			CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, c, "name")), *t);
			CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, kl_yaml_map_get(&doc, c, "startupProbe"),
									 "periodSeconds")), "1");
			yaml_document_delete(&doc);
		}
		kl_strbuf_release(&got);
		kl_strbuf_release(&want);
	}
	CHECK_INT(n, 4);
}

KL_TEST(kubeadm_api_versions_and_extra_args_shape)
{
	struct kl_strbuf a = KL_STRBUF_INIT, b = KL_STRBUF_INIT;
	struct kl_err err;

	CHECK_INT(kl_kubeadm_render(&cases[1].p, &a, &err), 0);
	CHECK_INT(kl_kubeadm_render(&cases[5].p, &b, &err), 0);
	CHECK(strstr(a.buf, "apiVersion: kubeadm.k8s.io/v1beta3\n") != NULL);
	CHECK(strstr(b.buf, "apiVersion: kubeadm.k8s.io/v1beta4\n") != NULL);
	/* v1beta3: a map; v1beta4: a list of name/value. The user's leader-elect wins. */
	CHECK(strstr(a.buf, "    leader-elect: \"true\"\n") != NULL);
	CHECK(strstr(b.buf, "  - name: leader-elect\n    value: \"true\"\n") != NULL);
	CHECK(strstr(b.buf, "  - name: node-ip\n    value: 192.168.39.11\n") != NULL);
	CHECK(strstr(b.buf, "leader-elect: false") == NULL);
	/* failCgroupV1 from 1.31 only. */
	CHECK(strstr(a.buf, "failCgroupV1") == NULL);
	CHECK(strstr(b.buf, "failCgroupV1: false\n") != NULL);
	/* kube-proxy fields nest; values typed. */
	CHECK(strstr(b.buf, "mode: ipvs\n") != NULL);
	CHECK(strstr(b.buf, "conntrack:\n  maxPerCore: 8\n") != NULL);
	CHECK(strstr(b.buf, "ipvs:\n  strictARP: true\n") != NULL);
	CHECK(strstr(b.buf, "imagePullPolicy: Never\n") != NULL);
	CHECK(strstr(b.buf, "controlPlaneEndpoint: control-plane.kubelaunch.internal:9443\n") != NULL);
	kl_strbuf_release(&a);
	kl_strbuf_release(&b);
}

KL_TEST(kubeadm_bad_options)
{
	static const char *const bad_extra[][2] = {
		{ "apiserver", NULL }, { "apiserver=x", NULL }, { ".x=1", NULL }, { "kubeadm.x=1", NULL },
		{ "apiserver.=1", NULL }, { "kube-proxy.kind=x", NULL }, { "kube-proxy.a..b=1", NULL },
	};
	static const char *const bad_gates[] = { "A", "A=yes", "=true", "A=true,B" };
	struct kl_err err;

	for (size_t i = 0; i < KL_ARRAY_SIZE(bad_extra); i++) {
		if (kl_kubeadm_check_options(bad_extra[i], NULL, &err) == 0)
			kl_unit_fail(__FILE__, __LINE__, "accepted --extra-config %s", bad_extra[i][0]);
		else
			CHECK_INT(err.reason, KL_R_USAGE_VALUE);
	}
	for (size_t i = 0; i < KL_ARRAY_SIZE(bad_gates); i++) {
		if (kl_kubeadm_check_options(NULL, bad_gates[i], &err) == 0)
			kl_unit_fail(__FILE__, __LINE__, "accepted --feature-gates %s", bad_gates[i]);
	}
	CHECK_INT(kl_kubeadm_check_options(extra, "A=true, B=false", &err), 0);
	{
		struct kl_kubeadm_params p = cases[0].p;
		struct kl_strbuf sb = KL_STRBUF_INIT;

		p.kubernetes_version = "v1.27.9";
		CHECK_INT(kl_kubeadm_render(&p, &sb, &err), -1);
		CHECK_INT(err.reason, KL_R_K8S_VERSION);
		kl_strbuf_release(&sb);
	}
}

/* With KL_KUBEADM_OUT set, render the golden case named KL_KUBEADM_CASE there (for t0610). */
KL_TEST(kubeadm_helper_from_env)
{
	const char *out = getenv("KL_KUBEADM_OUT"), *name = getenv("KL_KUBEADM_CASE");
	struct kl_strbuf sb = KL_STRBUF_INIT;
	struct kl_err err;

	if (out == NULL || name == NULL) {
		kl_unit_skip("a hook: tests/t/t0610-kubeadm-validate.sh drives it",
			     "KL_KUBEADM_OUT or KL_KUBEADM_CASE is not set");
		return;
	}
	for (size_t i = 0; i < KL_ARRAY_SIZE(cases); i++) {
		struct kl_kubeadm_params p = cases[i].p;

		if (strcmp(cases[i].golden, name) != 0)
			continue;
		if (getenv("KL_KUBEADM_VERSION"))
			p.kubernetes_version = getenv("KL_KUBEADM_VERSION");
		if (getenv("KL_KUBEADM_CERT_DIR"))
			p.cert_dir = getenv("KL_KUBEADM_CERT_DIR");
		if (kl_kubeadm_render(&p, &sb, &err) != 0 || kl_write_file_atomic(out, sb.buf, sb.len, 0644, &err) != 0)
			kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	}
	kl_strbuf_release(&sb);
}
