/*
 * The API client against a real kube-apiserver (the test bench's fixture, started by
 * tests/t/t0650-kube-client.sh, which sets KL_FX_KUBECONFIG). Without it these say
 * "skipped" and check nothing. No controllers run in the fixture: the tests write the
 * status a controller or kubelet would write themselves, through the status
 * subresources.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static struct kl_kube *
fixture(const char *test, int deadline_ms)
{
	const char *kc = getenv("KL_FX_KUBECONFIG");
	struct kl_err err;
	struct kl_kube *k;

	if (kc == NULL || *kc == '\0') {
		printf("# skipped: %s: KL_FX_KUBECONFIG is not set (tests/t/t0650-kube-client.sh sets it)\n", test);
		return NULL;
	}
	k = kl_kube_new_kubeconfig(kc, NULL, &err);
	if (k == NULL)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	else
		kl_kube_set_deadline(k, kl_now_ms() + deadline_ms);
	return k;
}

static json_t *
yaml(const char *text)
{
	struct kl_err err;
	json_t *objs = NULL;

	if (kl_kube_yaml_objects(text, strlen(text), "test", &objs, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	return objs;
}

/* The object's resourceVersion on the server, or "" when it is not there. */
static char *
server_rv(struct kl_kube *k, json_t *obj)
{
	char *path = NULL, *rv;
	json_t *cur = NULL;
	struct kl_err err;

	if (kl_kube_object_path(k, obj, NULL, &path, NULL, &err) != 0 || kl_kube_get(k, path, &cur, &err) != 0) {
		free(path);
		return kl_xstrdup("");
	}
	rv = kl_xstrdup(json_string_value(json_object_get(json_object_get(cur, "metadata"), "resourceVersion")));
	json_decref(cur);
	free(path);
	return rv;
}

/* The object exists on the server. */
static void
check_exists(struct kl_kube *k, json_t *obj, int line)
{
	char *rv = server_rv(k, obj);

	if (rv[0] == '\0')
		kl_unit_fail(__FILE__, line, "%s", "the object is not on the server");
	free(rv);
}

#define ADDON_OBJECTS                                                                                  \
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: fx-apply, labels: "       \
	"{kubelaunch.io/addon: fx}}\ndata: {port: '53', on: 'yes'}\n---\n"                                 \
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: fx-apply, labels: "       \
	"{kubelaunch.io/addon: fx}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n"       \
	"  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: "   \
	"'registry.invalid/web:1', ports: [{containerPort: 8080}]}]}\n---\n"                               \
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: fx-apply, labels: {kubelaunch.io/addon: fx}}\n"

KL_TEST(kube_fx_apply_creates_and_twice_changes_nothing)
{
	struct kl_kube *k = fixture("kube_fx_apply", 30000);
	json_t *objs;
	struct kl_err err;
	char *rv[3];
	size_t i;

	if (k == NULL)
		return;
	objs = yaml(ADDON_OBJECTS);
	if (kl_kube_apply_list(k, objs, NULL, NULL, NULL, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	for (i = 0; i < 3; i++) {
		rv[i] = server_rv(k, json_array_get(objs, i));
		CHECK(rv[i][0] != '\0');
	}
	if (kl_kube_apply_list(k, objs, NULL, NULL, NULL, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	for (i = 0; i < 3; i++) {
		char *again = server_rv(k, json_array_get(objs, i));

		CHECK_STR(again, rv[i]);
		free(again);
		free(rv[i]);
	}
	json_decref(objs);
	kl_kube_free(k);
}

KL_TEST(kube_fx_crd_discovered_once_established)
{
	struct kl_kube *k = fixture("kube_fx_crd", 30000);
	const struct kl_kube_resource *r = NULL;
	struct kl_err err;
	json_t *objs;

	if (k == NULL)
		return;
	/* The cache is filled before the CRD exists. */
	CHECK_INT(kl_kube_resource_for(k, "fx.kubelaunch.io/v1", "Widget", &r, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_API_NOT_FOUND);
	/* The custom object comes first in the list: apply_list puts the CRD before it. */
	objs = yaml("apiVersion: fx.kubelaunch.io/v1\nkind: Widget\nmetadata: {name: w1, namespace: default, labels: "
		    "{kubelaunch.io/addon: fx-crd}}\nspec: {size: 3}\n---\n"
		    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
		    "metadata: {name: widgets.fx.kubelaunch.io, labels: {kubelaunch.io/addon: fx-crd}}\n"
		    "spec:\n  group: fx.kubelaunch.io\n  scope: Namespaced\n"
		    "  names: {plural: widgets, singular: widget, kind: Widget}\n"
		    "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
		    "    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n");
	if (kl_kube_apply_list(k, objs, NULL, NULL, NULL, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	CHECK_INT(kl_kube_resource_for(k, "fx.kubelaunch.io/v1", "Widget", &r, &err), 0);
	CHECK(r && r->namespaced && strcmp(r->name, "widgets") == 0);
	check_exists(k, json_array_get(objs, 0), __LINE__);
	json_decref(objs);
	kl_kube_free(k);
}

/* How many objects carry the selector, in every listable resource, not counting
 * Namespaces being deleted (no namespace controller runs in the fixture). */
static int
count_labelled(struct kl_kube *k, const char *selector)
{
	const struct kl_kube_resource **res = NULL;
	struct kl_err err;
	size_t n = 0;
	int count = 0;

	kl_kube_discovery_reset(k);
	if (kl_kube_resources(k, &res, &n, &err) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = kl_kube_path(res[i], NULL, NULL, NULL);
		json_t *items = NULL, *it;
		size_t j;

		if (kl_kube_list(k, path, selector, &items, NULL, &err) == 0)
			json_array_foreach(items, j, it)
				if (!json_object_get(json_object_get(it, "metadata"), "deletionTimestamp"))
					count++;
		json_decref(items);
		free(path);
	}
	free(res);
	return count;
}

KL_TEST(kube_fx_prune_by_label_keeps_the_rendered_and_leaves_none)
{
	struct kl_kube *k = fixture("kube_fx_prune", 30000);
	json_t *objs, *keep;
	struct kl_err err;
	int deleted = -1;
	long long t0;

	if (k == NULL)
		return;
	objs = yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: fx-prune, labels: {kubelaunch.io/addon: fx-prune}}\n"
		    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: fx-prune, labels: "
		    "{kubelaunch.io/addon: fx-prune}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, "
		    "namespace: fx-prune, labels: {kubelaunch.io/addon: fx-prune}}\n---\napiVersion: v1\nkind: Secret\n"
		    "metadata: {name: s, namespace: fx-prune, labels: {kubelaunch.io/addon: fx-prune}}\n---\n"
		    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: fx-prune, labels: "
		    "{kubelaunch.io/addon: fx-prune}}\nrules: []\n");
	if (kl_kube_apply_list(k, objs, NULL, NULL, NULL, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	CHECK_INT(count_labelled(k, "kubelaunch.io/addon=fx-prune"), 5);
	/* An upgrade that no longer renders b, s and the ClusterRole. */
	keep = json_array();
	json_array_append(keep, json_array_get(objs, 0));
	json_array_append(keep, json_array_get(objs, 1));
	CHECK_INT(kl_kube_prune(k, "kubelaunch.io/addon=fx-prune", keep, NULL, &deleted, &err), 0);
	CHECK_INT(deleted, 3);
	CHECK_INT(count_labelled(k, "kubelaunch.io/addon=fx-prune"), 2);
	check_exists(k, json_array_get(objs, 1), __LINE__);
	/* Disable: nothing kept. */
	t0 = kl_now_ms();
	CHECK_INT(kl_kube_prune(k, "kubelaunch.io/addon=fx-prune", NULL, NULL, &deleted, &err), 0);
	printf("# prune of 2 objects, every resource listed: %lld ms\n", kl_now_ms() - t0);
	CHECK_INT(deleted, 2);
	CHECK_INT(count_labelled(k, "kubelaunch.io/addon=fx-prune"), 0);
	/* Again: nothing to do, no error. */
	CHECK_INT(kl_kube_prune(k, "kubelaunch.io/addon=fx-prune", NULL, NULL, &deleted, &err), 0);
	CHECK_INT(kl_kube_delete(k, json_array_get(objs, 2), NULL, &err), 0);
	json_decref(keep);
	json_decref(objs);
	kl_kube_free(k);
}

KL_TEST(kube_fx_rejected_object_names_it_with_the_servers_message)
{
	struct kl_kube *k = fixture("kube_fx_rejected", 30000);
	json_t *objs;
	struct kl_err err;
	long long t0 = kl_now_ms();

	if (k == NULL)
		return;
	objs = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name, namespace: default}\n");
	CHECK_INT(kl_kube_apply(k, json_array_get(objs, 0), NULL, NULL, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_API_REJECTED);
	CHECK(strstr(err.msg, "cannot apply ConfigMap 'default/Bad_Name': the server said: ConfigMap \"Bad_Name\" is invalid"));
	CHECK(strstr(err.msg, "(422 Invalid)") != NULL);
	CHECK(kl_now_ms() - t0 < 2000); /* not retried */
	json_decref(objs);
	objs = yaml("apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n");
	CHECK_INT(kl_kube_apply(k, json_array_get(objs, 0), NULL, NULL, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_API_NOT_FOUND);
	CHECK(strstr(err.msg, "cannot apply Gadget 'g'") && strstr(err.msg, "kind 'Gadget'"));
	json_decref(objs);
	kl_kube_free(k);
}

KL_TEST(kube_fx_bad_ca_is_refused)
{
	const char *kc = getenv("KL_FX_KUBECONFIG"), *ca = getenv("KL_FX_OTHER_CA"), *server = getenv("KL_FX_SERVER");
	struct kl_kube_config cfg = { .name = "fixture", .server = server, .ca_path = ca };
	struct kl_kube *k;
	struct kl_err err;
	json_t *out = NULL;
	long long t0 = kl_now_ms();

	if (kc == NULL || ca == NULL || server == NULL) {
		printf("# skipped: kube_fx_bad_ca: KL_FX_OTHER_CA is not set (t0650 sets it)\n");
		return;
	}
	k = kl_kube_new(&cfg, &err);
	CHECK(k != NULL);
	if (k == NULL)
		return;
	kl_kube_set_deadline(k, kl_now_ms() + 20000);
	CHECK_INT(kl_kube_get(k, "/api", &out, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_APISERVER_TLS);
	CHECK(strstr(err.msg, server) != NULL);
	CHECK(kl_now_ms() - t0 < 3000); /* a certificate that fails never passes later */
	kl_kube_free(k);
}

/* Started while the API server is down (t0650 kills it, starts this, then the server). */
KL_TEST(kube_fx_restarted_server_is_waited_for)
{
	struct kl_kube *k;
	json_t *objs;
	struct kl_err err;
	long long t0 = kl_now_ms();

	if (getenv("KL_FX_DOWN") == NULL) {
		printf("# skipped: kube_fx_restarted: KL_FX_DOWN is not set (t0650 sets it)\n");
		return;
	}
	if ((k = fixture("kube_fx_restarted", 60000)) == NULL)
		return;
	objs = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after-restart, namespace: default}\ndata: {a: b}\n");
	if (kl_kube_apply(k, json_array_get(objs, 0), NULL, NULL, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	printf("# applied after %lld ms\n", kl_now_ms() - t0);
	CHECK(kl_now_ms() - t0 > 1000);
	json_decref(objs);
	kl_kube_free(k);
}

KL_TEST(kube_fx_down_server_fails_within_the_deadline)
{
	const char *server = getenv("KL_FX_DEAD_SERVER"), *ca = getenv("KL_FX_CA");
	struct kl_kube_config cfg = { .server = server, .ca_path = ca, .name = "profile 'gone'" };
	struct kl_kube *k;
	struct kl_err err;
	json_t *out = NULL;
	long long t0 = kl_now_ms();

	if (server == NULL || ca == NULL) {
		printf("# skipped: kube_fx_down: KL_FX_DEAD_SERVER is not set (t0650 sets it)\n");
		return;
	}
	k = kl_kube_new(&cfg, &err);
	kl_kube_set_deadline(k, kl_now_ms() + 1500);
	CHECK_INT(kl_kube_get(k, "/readyz", &out, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_APISERVER);
	CHECK(strstr(err.msg, "cannot reach the API server of profile 'gone'") != NULL);
	CHECK(kl_now_ms() - t0 < 4000);
	kl_kube_free(k);
}

struct watch_seen {
	struct kl_kube *k;
	struct kl_strbuf log;
};

static int
on_event(void *arg, const char *type, json_t *obj, struct kl_err *err)
{
	struct watch_seen *w = arg;
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	json_t *objs = NULL;
	int rc = 0;

	kl_strbuf_addf(&w->log, "%s %s\n", type, name);
	/* Each event causes the next, through the same client (the watch has its own). */
	if (strcmp(type, "ADDED") == 0 && strcmp(name, "w1") == 0)
		objs = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w2, namespace: fx-watch, labels: {w: 'y'}}\n");
	else if (strcmp(type, "ADDED") == 0 && strcmp(name, "w2") == 0)
		objs = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w2, namespace: fx-watch, labels: {w: 'y'}}\n"
			    "data: {changed: 'yes'}\n");
	else if (strcmp(type, "MODIFIED") == 0) {
		objs = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w2, namespace: fx-watch}\n");
		rc = kl_kube_delete(w->k, json_array_get(objs, 0), NULL, err);
		json_decref(objs);
		return rc;
	} else if (strcmp(type, "DELETED") == 0)
		return 1;
	if (objs)
		rc = kl_kube_apply(w->k, json_array_get(objs, 0), NULL, NULL, err);
	json_decref(objs);
	return rc;
}

KL_TEST(kube_fx_watch_streams_events)
{
	struct watch_seen w = { fixture("kube_fx_watch", 30000), KL_STRBUF_INIT };
	json_t *objs;
	struct kl_err err;

	if (w.k == NULL)
		return;
	objs = yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: fx-watch}\n---\n"
		    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w1, namespace: fx-watch, labels: {w: 'y'}}\n---\n"
		    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: fx-watch}\n");
	if (kl_kube_apply_list(w.k, objs, NULL, NULL, NULL, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	if (kl_kube_watch(w.k, "/api/v1/namespaces/fx-watch/configmaps", "w=y", kl_now_ms() + 20000, on_event, &w,
			  &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	CHECK_STR(w.log.buf, "ADDED w1\nADDED w2\nMODIFIED w2\nDELETED w2\n");
	kl_strbuf_release(&w.log);
	json_decref(objs);
	kl_kube_free(w.k);
}

static int
patch_status(struct kl_kube *k, const char *path, const char *status_json)
{
	struct kl_kube_resp resp;
	struct kl_err err;
	int rc;

	kl_kube_resp_init(&resp);
	rc = kl_kube_request(k, "PATCH", path, "application/merge-patch+json", status_json, strlen(status_json), &resp,
			     &err);
	if (rc != 0 || resp.status != 200) {
		kl_unit_fail(__FILE__, __LINE__, "status of %s: %ld %s %s", path, resp.status, rc ? err.msg : "",
			     resp.raw.buf);
		rc = -1;
	}
	kl_kube_resp_release(&resp);
	return rc;
}

struct progress {
	int calls;
	char last[256];
};

static void
on_progress(void *arg, int done, int total, const char *what)
{
	struct progress *p = arg;

	(void)done, (void)total;
	p->calls++;
	snprintf(p->last, sizeof(p->last), "%s", what);
}

KL_TEST(kube_fx_wait_available_and_diagnose)
{
	struct kl_kube *k = fixture("kube_fx_wait", 30000);
	struct progress prog = { 0 };
	json_t *ns, *dep, *pod, *pods;
	struct kl_err err;

	if (k == NULL)
		return;
	/* No controller manager makes the namespace's default service account. */
	ns = yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: fx-wait}\n---\n"
		  "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: fx-wait}\n");
	dep = yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ok, namespace: fx-wait}\nspec:\n  replicas: 1\n"
		   "  selector: {matchLabels: {app: ok}}\n  template:\n    metadata: {labels: {app: ok}}\n"
		   "    spec: {containers: [{name: c, image: 'example.test/ok:1'}]}\n---\n"
		   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stuck, namespace: fx-wait}\nspec:\n  replicas: 1\n"
		   "  selector: {matchLabels: {app: stuck}}\n  template:\n    metadata: {labels: {app: stuck}}\n"
		   "    spec: {containers: [{name: c, image: 'example.test/missing:1'}]}\n");
	pods = yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: stuck-1, namespace: fx-wait, labels: {app: stuck}}\n"
		    "spec: {containers: [{name: c, image: 'example.test/missing:1'}]}\n---\n"
		    "apiVersion: v1\nkind: Pod\nmetadata: {name: pending-1, namespace: fx-wait, labels: {app: pending}}\n"
		    "spec: {containers: [{name: c, image: 'example.test/p:1'}]}\n");
	if (kl_kube_apply_list(k, ns, NULL, NULL, NULL, &err) != 0 || kl_kube_apply_list(k, dep, NULL, NULL, NULL, &err) != 0 ||
	    kl_kube_apply_list(k, pods, NULL, NULL, NULL, &err) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
		goto out;
	}
	/* What the controller manager would write for a healthy rollout. */
	patch_status(k, "/apis/apps/v1/namespaces/fx-wait/deployments/ok/status",
		     "{\"status\":{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,\"readyReplicas\":1,"
		     "\"availableReplicas\":1}}");
	/* And what a kubelet says of an image it cannot pull. */
	patch_status(k, "/api/v1/namespaces/fx-wait/pods/stuck-1/status",
		     "{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\"}],"
		     "\"containerStatuses\":[{\"name\":\"c\",\"image\":\"example.test/missing:1\",\"imageID\":\"\","
		     "\"ready\":false,\"restartCount\":0,\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\","
		     "\"message\":\"Back-off pulling image\"}}}]}}");
	patch_status(k, "/api/v1/namespaces/fx-wait/pods/pending-1/status",
		     "{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
		     "\"reason\":\"Unschedulable\",\"message\":\"0/1 nodes are available: 1 Insufficient memory.\"}]}}");
	json_t *ok = json_array();
	json_array_append(ok, json_array_get(dep, 0));
	if (kl_kube_wait_available(k, ok, NULL, on_progress, &prog, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	json_decref(ok);
	kl_kube_set_deadline(k, kl_now_ms() + 1500);
	CHECK_INT(kl_kube_wait_available(k, dep, NULL, on_progress, &prog, &err), -1);
	CHECK_INT(err.reason, KL_R_SVC_IMAGE_PULL);
	CHECK(strstr(err.msg, "Deployment 'fx-wait/stuck' is not available after") == err.msg);
	CHECK(strstr(err.msg, "pod 'fx-wait/stuck-1' cannot pull image 'example.test/missing:1': ImagePullBackOff") != NULL);
	CHECK_STR(prog.last, "Deployment 'fx-wait/stuck': 0/1 ready");
	pod = json_array_get(pods, 1);
	kl_kube_set_deadline(k, kl_now_ms() + 10000);
	{
		char *path = NULL;
		json_t *cur = NULL;

		if (kl_kube_object_path(k, pod, NULL, &path, NULL, &err) == 0 && kl_kube_get(k, path, &cur, &err) == 0) {
			CHECK_INT(kl_kube_diagnose(k, cur, "'fx' is not available", &err), -1);
			CHECK_INT(err.reason, KL_R_SVC_UNAVAILABLE);
			CHECK_STR(err.msg, "'fx' is not available: pod 'fx-wait/pending-1' is Pending: Unschedulable: "
					   "0/1 nodes are available: 1 Insufficient memory.");
		}
		json_decref(cur);
		free(path);
	}
out:
	json_decref(ns);
	json_decref(dep);
	json_decref(pods);
	kl_kube_free(k);
}
