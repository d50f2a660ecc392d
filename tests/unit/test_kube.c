/* The API client's pure parts: YAML typing, apply order, selectors, retries, paths,
 * and the diagnosis of a pod from its status. */
#include <curl/curl.h>
#include <stdlib.h>

#include "kubelaunch/kube.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static json_t *
objs_of(const char *yaml)
{
	struct kl_err err;
	json_t *objs = NULL;

	if (kl_kube_yaml_objects(yaml, strlen(yaml), "t.yaml", &objs, &err) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
		json_decref(objs);
		return NULL;
	}
	return objs;
}

KL_TEST(kube_yaml_objects_typed_as_kubernetes_reads_them)
{
	static const struct {
		const char *value;
		const char *json; /* the value as JSON */
	} cases[] = {
		{ "8443", "8443" },     { "-5", "-5" },         { "0x1f", "31" },         { "0o17", "15" },
		{ "1.5", "1.5" },       { "1e3", "1000.0" },    { "true", "true" },       { "yes", "true" },
		{ "off", "false" },     { "~", "null" },        { "null", "null" },       { "", "null" },
		{ "\"8443\"", "\"8443\"" }, { "'true'", "\"true\"" }, { "v1.2", "\"v1.2\"" }, { ".inf", "\".inf\"" },
		{ "1:20", "\"1:20\"" }, { "hello world", "\"hello world\"" }, { "1_000", "1000" },
	};

	for (size_t i = 0; i < KL_ARRAY_SIZE(cases); i++) {
		char *doc = kl_xasprintf("kind: X\nv: %s\n", cases[i].value);
		json_t *objs = objs_of(doc), *v = json_object_get(json_array_get(objs, 0), "v");
		char *got = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

		CHECK_STR(got, cases[i].json);
		free(got);
		json_decref(objs);
		free(doc);
	}
}

KL_TEST(kube_yaml_objects_documents_and_errors)
{
	static const char stream[] = "---\n# nothing\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
				     "---\n---\nkind: ConfigMap\ndata:\n  k: |\n    line\n";
	static const char broken[] = "kind: A\n---\nkind: B\n  bad: [\n";
	json_t *objs = objs_of(stream);
	struct kl_err err;

	CHECK_INT(json_array_size(objs), 2);
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(objs, 1), "data"), "k")), "line\n");
	json_decref(objs);
	objs = NULL;
	CHECK_INT(kl_kube_yaml_objects(broken, strlen(broken), "addons/x/a.yaml", &objs, &err), -1);
	CHECK_INT(err.reason, KL_R_USAGE_VALUE);
	CHECK(strncmp(err.msg, "addons/x/a.yaml:4:", 18) == 0);
	json_decref(objs);
	objs = NULL;
	CHECK_INT(kl_kube_yaml_objects("- a\n- b\n", 8, "list.yaml", &objs, &err), -1);
	CHECK_STR(err.msg, "list.yaml:1: a document that is not a mapping");
	json_decref(objs);
}

KL_TEST(kube_apply_order_namespaces_then_crds_then_the_rest)
{
	json_t *objs = objs_of("kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n---\n"
			       "kind: CustomResourceDefinition\napiVersion: apiextensions.k8s.io/v1\nmetadata: {name: d}\n---\n"
			       "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: e}\n---\n"
			       "kind: Namespace\napiVersion: v1\nmetadata: {name: a}\n---\n"
			       "kind: Namespace\napiVersion: example.com/v1\nmetadata: {name: f}\n");
	json_t *order = kl_kube_apply_order(objs);
	const char *want[] = { "a", "d", "c", "e", "f" };

	CHECK_INT(json_array_size(order), 5);
	for (size_t i = 0; i < KL_ARRAY_SIZE(want); i++) {
		char *got = kl_kube_object_name(json_array_get(order, i));
		const char *name = strchr(got, '\'');

		CHECK(name && name[1] == want[i][0]);
		free(got);
	}
	json_decref(order);
	json_decref(objs);
}

KL_TEST(kube_selector_sorted)
{
	json_t *ml = json_pack("{s:s,s:s,s:i}", "k8s-app", "kube-dns", "app", "x", "n", 1);
	char *s = kl_kube_selector(ml);

	CHECK_STR(s, "app=x,k8s-app=kube-dns");
	free(s);
	json_decref(ml);
}

KL_TEST(kube_retryable)
{
	CHECK(kl_kube_retryable(0, CURLE_COULDNT_CONNECT, NULL));
	CHECK(kl_kube_retryable(0, CURLE_GOT_NOTHING, NULL));
	/* A server stopping with the HTTP/2 connection open (seen in t0820's restart). */
	CHECK(kl_kube_retryable(0, CURLE_HTTP2, NULL));
	CHECK(kl_kube_retryable(0, CURLE_HTTP2_STREAM, NULL));
	CHECK(!kl_kube_retryable(0, CURLE_PEER_FAILED_VERIFICATION, NULL));
	CHECK(kl_kube_retryable(429, 0, ""));
	CHECK(kl_kube_retryable(503, 0, ""));
	CHECK(kl_kube_retryable(500, 0, "{\"message\":\"etcdserver: leader changed\"}"));
	CHECK(!kl_kube_retryable(500, 0, "{\"message\":\"internal error\"}"));
	CHECK(!kl_kube_retryable(422, 0, ""));
	CHECK(!kl_kube_retryable(404, 0, ""));
}

KL_TEST(kube_paths)
{
	struct kl_kube_resource deploy = { "apps/v1", "Deployment", "deployments", 1, 1 };
	struct kl_kube_resource ns = { "v1", "Namespace", "namespaces", 0, 1 };
	char *p;

	p = kl_kube_path(&deploy, "kube-system", "coredns", NULL);
	CHECK_STR(p, "/apis/apps/v1/namespaces/kube-system/deployments/coredns");
	free(p);
	p = kl_kube_path(&deploy, NULL, NULL, "labelSelector=a%3Db");
	CHECK_STR(p, "/apis/apps/v1/deployments?labelSelector=a%3Db");
	free(p);
	p = kl_kube_path(&ns, "ignored", "x", NULL);
	CHECK_STR(p, "/api/v1/namespaces/x");
	free(p);
}

static void
check_pod(const char *yaml, enum kl_reason want, const char *want_why, int want_crash)
{
	json_t *objs = objs_of(yaml);
	struct kl_strbuf why = KL_STRBUF_INIT;
	const char *container = NULL;
	int crashing = -1;

	CHECK_INT(kl_kube_pod_problem(json_array_get(objs, 0), &why, &crashing, &container), want);
	CHECK_STR(why.buf, want_why);
	CHECK_INT(crashing, want_crash);
	kl_strbuf_release(&why);
	json_decref(objs);
}

KL_TEST(kube_pod_problem)
{
	check_pod("kind: Pod\nspec: {containers: [{name: c, image: 'reg/x:1'}]}\nstatus:\n  phase: Pending\n"
		  "  conditions: [{type: PodScheduled, status: 'True'}]\n"
		  "  containerStatuses: [{name: c, image: 'reg/x:1', state: {waiting: {reason: ImagePullBackOff, "
		  "message: 'Back-off pulling image \"reg/x:1\"'}}}]\n",
		  KL_R_SVC_IMAGE_PULL, "cannot pull image 'reg/x:1': ImagePullBackOff: Back-off pulling image \"reg/x:1\"", 0);
	check_pod("kind: Pod\nspec: {containers: [{name: c, image: 'reg/y'}]}\nstatus:\n  phase: Pending\n"
		  "  containerStatuses: [{name: c, state: {waiting: {reason: ErrImageNeverPull}}}]\n",
		  KL_R_SVC_IMAGE_PULL, "cannot pull image 'reg/y': ErrImageNeverPull", 0);
	check_pod("kind: Pod\nstatus:\n  phase: Pending\n  conditions: [{type: PodScheduled, status: 'False', "
		  "reason: Unschedulable, message: '0/1 nodes are available: 1 Insufficient cpu.'}]\n",
		  KL_R_SVC_UNAVAILABLE, "is Pending: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.", 0);
	check_pod("kind: Pod\nstatus: {phase: Pending}\n", KL_R_SVC_UNAVAILABLE,
		  "is Pending: not scheduled yet (no PodScheduled condition: is the scheduler running?)", 0);
	check_pod("kind: Pod\nstatus:\n  phase: Running\n  containerStatuses: [{name: app, restartCount: 4, "
		  "state: {waiting: {reason: CrashLoopBackOff}}, lastState: {terminated: {reason: Error, exitCode: 2}}}]\n",
		  KL_R_SVC_UNAVAILABLE, "is in CrashLoopBackOff (container 'app', 4 restarts, last Error with exit code 2)", 1);
	check_pod("kind: Pod\nstatus:\n  phase: Running\n  conditions: [{type: PodScheduled, status: 'True'}, "
		  "{type: Ready, status: 'False', reason: ContainersNotReady, message: 'containers with unready status: [a]'}]\n",
		  KL_R_SVC_UNAVAILABLE, "is not ready (Running): containers with unready status: [a]", 0);
	check_pod("kind: Pod\nstatus:\n  phase: Running\n  conditions: [{type: Ready, status: 'True'}]\n", KL_R__COUNT, "",
		  0);
	check_pod("kind: Pod\nstatus: {phase: Succeeded}\n", KL_R__COUNT, "", 0);
}

KL_TEST(kube_new_refuses_what_it_cannot_verify)
{
	struct kl_kube_config plain = { .server = "http://127.0.0.1:1", .ca_path = "/x" };
	struct kl_kube_config no_ca = { .server = "https://127.0.0.1:1" };
	struct kl_err err;

	CHECK(kl_kube_new(&plain, &err) == NULL);
	CHECK_INT(err.reason, KL_R_K8S_APISERVER);
	CHECK(kl_kube_new(&no_ca, &err) == NULL);
	CHECK_INT(err.reason, KL_R_K8S_APISERVER_TLS);
}
