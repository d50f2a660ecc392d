/*
 * diagnose.c: why a workload is not ready, told from its pods the way a person
 * would look: an image that cannot be pulled, a pod the scheduler cannot place, a
 * container that keeps crashing (with its last log line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/json.h"
#include "kubelaunch/xalloc.h"
#include "kube-int.h"

static const char *const pull_reasons[] = { "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
					    "InvalidImageName" };

static json_t *
condition(json_t *pod, const char *type)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, c)
		if (strcmp(kl_json_str(c, "type") ?: "", type) == 0)
			return c;
	return NULL;
}

/* The image the pod's spec asks for in container `name` (init containers too). */
static const char *
spec_image(json_t *pod, const char *name, json_t *status)
{
	static const char *const lists[] = { "containers", "initContainers" };
	json_t *spec = json_object_get(pod, "spec"), *c;
	size_t i;

	for (size_t l = 0; l < KL_ARRAY_SIZE(lists); l++)
		json_array_foreach(json_object_get(spec, lists[l]), i, c)
			if (name && strcmp(kl_json_str(c, "name") ?: "", name) == 0 && kl_json_str(c, "image"))
				return kl_json_str(c, "image");
	return kl_json_str(status, "image") ?: "?";
}

/* A container status's problem, or KL_R__COUNT. */
static enum kl_reason
container_problem(json_t *pod, json_t *cs, struct kl_strbuf *why, int *crashing, const char **container)
{
	json_t *waiting = json_object_get(json_object_get(cs, "state"), "waiting");
	json_t *last = json_object_get(json_object_get(cs, "lastState"), "terminated");
	const char *name = kl_json_str(cs, "name"), *reason = kl_json_str(waiting, "reason");
	const char *msg = kl_json_str(waiting, "message");

	if (reason == NULL)
		return KL_R__COUNT;
	for (size_t i = 0; i < KL_ARRAY_SIZE(pull_reasons); i++) {
		if (strcmp(reason, pull_reasons[i]) == 0) {
			kl_strbuf_addf(why, "cannot pull image '%s': %s%s%s", spec_image(pod, name, cs), reason,
				       msg ? ": " : "", msg ? msg : "");
			return KL_R_SVC_IMAGE_PULL;
		}
	}
	if (strcmp(reason, "CrashLoopBackOff") == 0) {
		kl_strbuf_addf(why, "is in CrashLoopBackOff (container '%s', %lld restarts", name ? name : "?",
			       kl_json_int(cs, "restartCount", 0));
		if (last && kl_json_str(last, "reason"))
			kl_strbuf_addf(why, ", last %s with exit code %lld", kl_json_str(last, "reason"),
				       kl_json_int(last, "exitCode", 0));
		kl_strbuf_addch(why, ')');
		*crashing = 1;
		*container = name;
		return KL_R_SVC_UNAVAILABLE;
	}
	if (strcmp(reason, "ContainerCreating") == 0 || strcmp(reason, "PodInitializing") == 0)
		return KL_R__COUNT; /* on its way: the readiness line below says more */
	kl_strbuf_addf(why, "has container '%s' waiting: %s%s%s", name ? name : "?", reason, msg ? ": " : "",
		       msg ? msg : "");
	return KL_R_SVC_UNAVAILABLE;
}

enum kl_reason
kl_kube_pod_problem(json_t *pod, struct kl_strbuf *why, int *crashing, const char **container)
{
	static const char *const lists[] = { "initContainerStatuses", "containerStatuses" };
	json_t *status = json_object_get(pod, "status"), *cs, *c;
	const char *phase = kl_json_str(status, "phase") ?: "Pending";
	size_t i;

	*crashing = 0;
	*container = NULL;
	if (strcmp(phase, "Succeeded") == 0)
		return KL_R__COUNT;
	if (strcmp(phase, "Failed") == 0) {
		kl_strbuf_addf(why, "has failed: %s%s%s", kl_json_str(status, "reason") ?: "",
			       kl_json_str(status, "message") ? ": " : "", kl_json_str(status, "message") ?: "");
		return KL_R_SVC_UNAVAILABLE;
	}
	for (size_t l = 0; l < KL_ARRAY_SIZE(lists); l++) {
		json_array_foreach(json_object_get(status, lists[l]), i, cs) {
			enum kl_reason r = container_problem(pod, cs, why, crashing, container);

			if (r != KL_R__COUNT)
				return r;
		}
	}
	c = condition(pod, "PodScheduled");
	if (strcmp(phase, "Pending") == 0 && (c == NULL || strcmp(kl_json_str(c, "status") ?: "", "True") != 0)) {
		if (c == NULL)
			kl_strbuf_addstr(why, "is Pending: not scheduled yet (no PodScheduled condition: is the scheduler "
					      "running?)");
		else
			kl_strbuf_addf(why, "is Pending: %s%s%s", kl_json_str(c, "reason") ?: "not scheduled",
				       kl_json_str(c, "message") ? ": " : "", kl_json_str(c, "message") ?: "");
		return KL_R_SVC_UNAVAILABLE;
	}
	c = condition(pod, "Ready");
	if (c && strcmp(kl_json_str(c, "status") ?: "", "True") == 0)
		return KL_R__COUNT;
	kl_strbuf_addf(why, "is not ready (%s)", phase);
	if (c && (kl_json_str(c, "message") || kl_json_str(c, "reason")))
		kl_strbuf_addf(why, ": %s", kl_json_str(c, "message") ?: kl_json_str(c, "reason"));
	return KL_R_SVC_UNAVAILABLE;
}

/* Severity, to pick the pod that explains most: pull > crash > the rest. */
static int
weight(enum kl_reason r, int crashing)
{
	return r == KL_R_SVC_IMAGE_PULL ? 3 : crashing ? 2 : r == KL_R__COUNT ? 0 : 1;
}

/* The last line of the container's log (the previous instance when the current has none). */
static void
last_log_line(struct kl_kube *k, const char *ns, const char *pod, const char *container, struct kl_strbuf *why)
{
	static const char *const variants[] = { "", "&previous=true" };
	struct kl_strbuf text = KL_STRBUF_INIT;
	struct kl_err err;
	char *c = kl_kube_escape(container ? container : ""), *p = kl_kube_escape(pod), *n = kl_kube_escape(ns);

	for (size_t i = 0; i < KL_ARRAY_SIZE(variants); i++) {
		char *path = kl_xasprintf("/api/v1/namespaces/%s/pods/%s/log?tailLines=1&container=%s%s", n, p, c,
					  variants[i]);
		int rc = kl_kube_get_text(k, path, &text, &err);

		free(path);
		kl_strbuf_rtrim(&text);
		if (rc == 0 && text.len) {
			const char *line = strrchr(text.buf, '\n');

			kl_strbuf_addf(why, ": its last log line: %s", line ? line + 1 : text.buf);
			break;
		}
		if (i + 1 == KL_ARRAY_SIZE(variants))
			kl_strbuf_addf(why, "; its log cannot be read%s%s", rc ? ": " : " (empty)", rc ? err.msg : "");
		kl_strbuf_reset(&text);
	}
	kl_strbuf_release(&text);
	free(c);
	free(p);
	free(n);
}

/* A workload's own condition message (ReplicaFailure, Progressing), for "no pods". */
static const char *
workload_message(json_t *w)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(json_object_get(w, "status"), "conditions"), i, c)
		if (strcmp(kl_json_str(c, "status") ?: "", "True") != 0 || strcmp(kl_json_str(c, "type") ?: "",
										  "ReplicaFailure") == 0)
			if (kl_json_str(c, "message"))
				return kl_json_str(c, "message");
	return NULL;
}

int
kl_kube_diagnose(struct kl_kube *k, json_t *workload, const char *what, struct kl_err *err)
{
	const char *ns = kl_kube_meta(workload, "namespace") ?: "default", *kind = kl_json_str(workload, "kind") ?: "";
	char *name = kl_kube_object_name(workload), *selector = NULL, *path = NULL;
	json_t *pods = NULL, *pod, *best = NULL;
	struct kl_strbuf why = KL_STRBUF_INIT, best_why = KL_STRBUF_INIT;
	enum kl_reason best_r = KL_R__COUNT;
	int best_crash = 0, best_w = -1;
	const char *best_container = NULL;
	struct kl_err lerr;
	size_t i;

	if (strcmp(kind, "Pod") == 0) {
		pods = json_array();
		json_array_append(pods, workload);
	} else {
		json_t *ml = json_object_get(json_object_get(json_object_get(workload, "spec"), "selector"), "matchLabels");
		char *e = kl_kube_escape(ns);

		selector = ml ? kl_kube_selector(ml) : NULL;
		path = kl_xasprintf("/api/v1/namespaces/%s/pods", e);
		free(e);
		if (selector == NULL || !*selector || kl_kube_list(k, path, selector, &pods, NULL, &lerr) != 0) {
			kl_err_set(err, KL_R_SVC_UNAVAILABLE, "%s: %s is not ready%s%s", what, name,
				   selector && *selector ? "; its pods cannot be listed: " : "",
				   selector && *selector ? lerr.msg : "");
			goto out;
		}
	}
	json_array_foreach(pods, i, pod) {
		int crashing;
		const char *container;
		enum kl_reason r;

		kl_strbuf_reset(&why);
		r = kl_kube_pod_problem(pod, &why, &crashing, &container);
		if (weight(r, crashing) > best_w) {
			best_w = weight(r, crashing);
			best = pod;
			best_r = r;
			best_crash = crashing;
			best_container = container;
			kl_strbuf_reset(&best_why);
			kl_strbuf_add(&best_why, why.buf, why.len);
		}
	}
	if (best == NULL) {
		const char *msg = workload_message(workload);

		kl_err_set(err, KL_R_SVC_UNAVAILABLE, "%s: %s has no pods%s%s", what, name, msg ? ": " : "",
			   msg ? msg : " (is the controller manager running?)");
		goto out;
	}
	if (best_r == KL_R__COUNT) {
		kl_err_set(err, KL_R_SVC_UNAVAILABLE, "%s: %s is not available yet, though its pods are ready", what,
			   name);
		goto out;
	}
	if (best_crash)
		last_log_line(k, kl_kube_meta(best, "namespace") ?: ns, kl_kube_meta(best, "name") ?: "", best_container,
			      &best_why);
	kl_err_set(err, best_r, "%s: pod '%s/%s' %s", what, kl_kube_meta(best, "namespace") ?: ns,
		   kl_kube_meta(best, "name") ?: "?", best_why.buf);
out:
	kl_strbuf_release(&why);
	kl_strbuf_release(&best_why);
	json_decref(pods);
	free(selector);
	free(path);
	free(name);
	return -1;
}
