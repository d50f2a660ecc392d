/*
 * wait.c: waiting for Deployments, DaemonSets and StatefulSets to be available, the
 * way `kubectl rollout status` judges them; at the deadline, the diagnosis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "kube-int.h"

#define POLL_MS 250

static int
is_workload(json_t *o)
{
	const char *kind = kl_json_str(o, "kind") ?: "", *api = kl_json_str(o, "apiVersion") ?: "";

	return strncmp(api, "apps/", 5) == 0 &&
	       (!strcmp(kind, "Deployment") || !strcmp(kind, "DaemonSet") || !strcmp(kind, "StatefulSet"));
}

/* Ready replicas and wanted ones; 1 when available. */
static int
available(json_t *w, long long *ready, long long *want)
{
	const char *kind = kl_json_str(w, "kind") ?: "";
	json_t *st = json_object_get(w, "status"), *spec = json_object_get(w, "spec");
	long long gen = kl_json_int(json_object_get(w, "metadata"), "generation", 0);
	int current = kl_json_int(st, "observedGeneration", -1) >= gen;

	if (strcmp(kind, "DaemonSet") == 0) {
		*want = kl_json_int(st, "desiredNumberScheduled", 0);
		*ready = kl_json_int(st, "numberAvailable", 0);
		return current && kl_json_int(st, "updatedNumberScheduled", 0) >= *want && *ready >= *want;
	}
	*want = kl_json_int(spec, "replicas", 1);
	*ready = kl_json_int(st, strcmp(kind, "Deployment") == 0 ? "availableReplicas" : "readyReplicas", 0);
	if (strcmp(kind, "Deployment") == 0)
		/* No old replicas left over from a rollout. */
		return current && kl_json_int(st, "updatedReplicas", 0) >= *want && *ready >= *want &&
		       kl_json_int(st, "replicas", 0) <= *want;
	return current && kl_json_int(st, "updatedReplicas", 0) >= *want && *ready >= *want &&
	       kl_json_int(st, "availableReplicas", *ready) >= *want;
}

int
kl_kube_workload_available(json_t *w)
{
	long long ready = 0, want = 0;

	return is_workload(w) && available(w, &ready, &want);
}

int
kl_kube_wait_deleted(struct kl_kube *k, json_t *objs, const char *default_ns, struct kl_err *err)
{
	long long deadline = kl_kube_request_deadline(k), t0 = kl_now_ms();
	json_t *o;
	size_t i;

	json_array_foreach(objs, i, o) {
		char *path = NULL;

		if (kl_kube_object_path(k, o, default_ns, &path, NULL, err) != 0)
			return -1;
		for (;;) {
			json_t *cur = NULL;
			struct kl_err gerr;

			if (kl_kube_get(k, path, &cur, &gerr) != 0) {
				if (gerr.reason == KL_R_K8S_API_NOT_FOUND)
					break;
				*err = gerr;
				free(path);
				return -1;
			}
			json_decref(cur);
			if (kl_now_ms() + POLL_MS >= deadline) {
				char *name = kl_kube_object_name(o);

				kl_err_set(err, KL_R_K8S_WAIT, "%s is still there %.0f s after its deletion (its finalizers "
					   "have not run)", name, (kl_now_ms() - t0) / 1000.0);
				free(name);
				free(path);
				return -1;
			}
			if (kl_kube_sleep(k, POLL_MS, err) != 0) {
				free(path);
				return -1;
			}
		}
		free(path);
	}
	kl_debug("kube: %zu objects gone in %lld ms", json_array_size(objs), kl_now_ms() - t0);
	return 0;
}

int
kl_kube_wait_available(struct kl_kube *k, json_t *objs, const char *default_ns, kl_kube_progress_fn fn, void *arg,
		       struct kl_err *err)
{
	long long deadline = kl_kube_request_deadline(k), t0 = kl_now_ms();
	json_t *todo = json_array(), *o;
	char **paths = NULL, *last = NULL;
	int total = 0, done = 0, rc = -1;
	size_t i, n;

	json_array_foreach(objs, i, o)
		if (is_workload(o))
			json_array_append(todo, o);
	n = json_array_size(todo);
	total = (int)n;
	paths = kl_xcalloc(n + 1, sizeof(*paths));
	for (i = 0; i < n; i++)
		if (kl_kube_object_path(k, json_array_get(todo, i), default_ns, &paths[i], NULL, err) != 0)
			goto out;
	for (;;) {
		struct kl_strbuf line = KL_STRBUF_INIT;
		json_t *stuck = NULL;

		done = 0;
		for (i = 0; i < n; i++) {
			json_t *cur = NULL;
			long long ready = 0, want = 0;

			if (paths[i] == NULL) {
				done++;
				continue;
			}
			if (kl_kube_get(k, paths[i], &cur, err) != 0) {
				kl_strbuf_release(&line);
				json_decref(stuck);
				goto out;
			}
			if (available(cur, &ready, &want)) {
				free(paths[i]);
				paths[i] = NULL;
				done++;
				json_decref(cur);
				continue;
			}
			if (stuck == NULL) {
				char *name = kl_kube_object_name(cur);

				kl_strbuf_addf(&line, "%s: %lld/%lld ready", name, ready, want);
				free(name);
				stuck = cur;
			} else {
				json_decref(cur);
			}
		}
		if (done == total) {
			kl_strbuf_release(&line);
			break;
		}
		if (fn && (last == NULL || strcmp(last, line.buf) != 0)) {
			fn(arg, done, total, line.buf);
			free(last);
			last = kl_xstrdup(line.buf);
		}
		kl_strbuf_release(&line);
		if (kl_now_ms() + POLL_MS >= deadline) {
			char *name = kl_kube_object_name(stuck);
			char *what = kl_xasprintf("%s is not available after %.0f s", name, (kl_now_ms() - t0) / 1000.0);

			kl_kube_diagnose(k, stuck, what, err);
			free(what);
			free(name);
			json_decref(stuck);
			goto out;
		}
		json_decref(stuck);
		if (kl_kube_sleep(k, POLL_MS, err) != 0)
			goto out;
	}
	if (fn && total)
		fn(arg, total, total, "available");
	kl_debug("kube: %d workloads available in %lld ms", total, kl_now_ms() - t0);
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(last);
	json_decref(todo);
	return rc;
}
