/*
 * apply.c: server-side apply of objects and lists of them, delete, and pruning by
 * label: what an addon's enable and disable are made of.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "kube-int.h"

#define APPLY_QUERY "fieldManager=" KL_KUBE_FIELD_MANAGER "&force=true"
#define CRD_API "apiextensions.k8s.io/v1"

/* 0 Namespaces, 1 CRDs, 2 the rest: apply goes up, deletion down. */
static int
rank(const char *api_version, const char *kind)
{
	if (kind && strcmp(kind, "Namespace") == 0 && api_version && strcmp(api_version, "v1") == 0)
		return 0;
	if (kind && strcmp(kind, "CustomResourceDefinition") == 0 && api_version &&
	    strncmp(api_version, "apiextensions.k8s.io/", 21) == 0)
		return 1;
	return 2;
}

static int
obj_rank(json_t *obj)
{
	return rank(kl_json_str(obj, "apiVersion"), kl_json_str(obj, "kind"));
}

int
kl_kube_apply(struct kl_kube *k, json_t *obj, const char *default_ns, json_t **applied, struct kl_err *err)
{
	const struct kl_kube_resource *r;
	struct kl_kube_resp resp;
	char *path = NULL, *query = NULL, *body = NULL, *what = kl_kube_object_name(obj);
	json_t *copy = NULL;
	int rc = -1;

	if (applied)
		*applied = NULL;
	kl_kube_resp_init(&resp);
	if (kl_kube_object_path(k, obj, default_ns, &path, &r, err) != 0) {
		kl_err_wrap(err, "cannot apply %s", what);
		goto out;
	}
	copy = json_deep_copy(obj);
	if (r->namespaced && !kl_kube_meta(copy, "namespace"))
		json_object_set_new(json_object_get(copy, "metadata"), "namespace",
				    json_string(default_ns && *default_ns ? default_ns : "default"));
	free(what);
	what = kl_kube_object_name(copy);
	query = kl_xasprintf("%s%s", path, kl_kube_qsep(path));
	free(path);
	path = kl_xasprintf("%s" APPLY_QUERY, query);
	body = json_dumps(copy, JSON_COMPACT);
	/* JSON is YAML: the apply content type takes it as it is. */
	if (kl_kube_request(k, "PATCH", path, "application/apply-patch+yaml", body, strlen(body), &resp, err) != 0) {
		kl_err_wrap(err, "cannot apply %s", what);
		goto out;
	}
	if (resp.status / 100 != 2) {
		kl_kube_status_error(&resp, err, "cannot apply %s", what);
		goto out;
	}
	if (applied)
		*applied = json_incref(resp.body);
	rc = 0;
out:
	kl_kube_resp_release(&resp);
	json_decref(copy);
	free(body);
	free(query);
	free(path);
	free(what);
	return rc;
}

json_t *
kl_kube_apply_order(json_t *objs)
{
	json_t *out = json_array(), *o;
	size_t i;

	for (int want = 0; want <= 2; want++)
		json_array_foreach(objs, i, o)
			if (obj_rank(o) == want)
				json_array_append(out, o);
	return out;
}

static int
crd_established(json_t *crd)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(json_object_get(crd, "status"), "conditions"), i, c)
		if (strcmp(kl_json_str(c, "type") ?: "", "Established") == 0 &&
		    strcmp(kl_json_str(c, "status") ?: "", "True") == 0)
			return 1;
	return 0;
}

/* The CRD's kinds in discovery: its document is updated a moment after Established. */
static int
wait_discovered(struct kl_kube *k, json_t *crd, long long deadline, struct kl_err *err)
{
	json_t *spec = json_object_get(crd, "spec"), *v;
	const char *group = kl_json_str(spec, "group") ?: "", *kind = kl_json_str(json_object_get(spec, "names"), "kind");
	size_t i;

	json_array_foreach(json_object_get(spec, "versions"), i, v) {
		char *gv = kl_xasprintf("%s/%s", group, kl_json_str(v, "name") ?: "");
		const struct kl_kube_resource *r;
		int rc;

		if (!json_is_true(json_object_get(v, "served"))) {
			free(gv);
			continue;
		}
		while ((rc = kl_kube_resource_for(k, gv, kind, &r, err)) != 0 && err->reason == KL_R_K8S_API_NOT_FOUND &&
		       kl_now_ms() < deadline && kl_kube_sleep(k, 100, err) == 0)
			;
		free(gv);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Each CRD in `crds` (applied objects) until it is Established and discovered. */
static int
wait_crds(struct kl_kube *k, json_t *crds, struct kl_err *err)
{
	long long deadline = kl_kube_request_deadline(k);
	size_t i;
	json_t *crd;

	json_array_foreach(crds, i, crd) {
		const char *name = kl_kube_meta(crd, "name");
		char *path = kl_xasprintf("/apis/" CRD_API "/customresourcedefinitions/%s", name);
		int ok = crd_established(crd);

		while (!ok) {
			json_t *cur = NULL;

			if (kl_kube_get(k, path, &cur, err) != 0) {
				free(path);
				return -1;
			}
			ok = crd_established(cur);
			json_decref(cur);
			if (ok)
				break;
			if (kl_now_ms() >= deadline) {
				free(path);
				return kl_err_set(err, KL_R_K8S_API_REJECTED,
						  "CustomResourceDefinition '%s' is not Established in time", name);
			}
			if (kl_kube_sleep(k, 100, err) != 0) {
				free(path);
				return -1;
			}
		}
		free(path);
		if (wait_discovered(k, crd, deadline, err) != 0)
			return -1;
	}
	return 0;
}

static int
terminating(json_t *ns)
{
	const char *phase = kl_json_str(json_object_get(ns, "status"), "phase");

	return phase && strcmp(phase, "Terminating") == 0;
}

static int
wait_namespace_gone(struct kl_kube *k, json_t *ns, struct kl_err *err)
{
	json_t *one = json_pack("[O]", ns);
	int rc;

	kl_info("namespace '%s' is being deleted: waiting until it is gone to make it again",
		kl_kube_meta(ns, "name"));
	rc = kl_kube_wait_deleted(k, one, NULL, err);
	json_decref(one);
	return rc;
}

int
kl_kube_apply_list(struct kl_kube *k, json_t *objs, const char *default_ns, kl_kube_progress_fn fn, void *arg,
		   struct kl_err *err)
{
	json_t *order = kl_kube_apply_order(objs), *crds = json_array(), *o;
	int total = (int)json_array_size(order), rc = 0, crds_waited = 0;
	size_t i;

	json_array_foreach(order, i, o) {
		json_t *applied = NULL;
		char *what;

		if (obj_rank(o) == 2 && !crds_waited) {
			/* Before the first object that may be of a new kind. */
			crds_waited = 1;
			if (json_array_size(crds) && (rc = wait_crds(k, crds, err)) != 0)
				break;
		}
		if ((rc = kl_kube_apply(k, o, default_ns, &applied, err)) != 0)
			break;
		if (obj_rank(o) == 0 && terminating(applied)) {
			/* A disable a moment ago: nothing can be made in it until it is gone. */
			json_decref(applied);
			applied = NULL;
			if ((rc = wait_namespace_gone(k, o, err)) != 0 ||
			    (rc = kl_kube_apply(k, o, default_ns, &applied, err)) != 0)
				break;
		}
		if (obj_rank(o) == 1)
			json_array_append(crds, applied);
		json_decref(applied);
		what = kl_kube_object_name(o);
		if (fn)
			fn(arg, (int)i + 1, total, what);
		free(what);
	}
	if (rc == 0 && !crds_waited && json_array_size(crds))
		rc = wait_crds(k, crds, err);
	json_decref(crds);
	json_decref(order);
	return rc;
}

static int
delete_path(struct kl_kube *k, const char *path, const char *what, struct kl_err *err)
{
	static const char body[] = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}";
	struct kl_kube_resp resp;
	int rc = -1;

	kl_kube_resp_init(&resp);
	if (kl_kube_request(k, "DELETE", path, "application/json", body, strlen(body), &resp, err) != 0)
		kl_err_wrap(err, "cannot delete %s", what);
	else if (resp.status / 100 != 2 && resp.status != 404)
		kl_kube_status_error(&resp, err, "cannot delete %s", what);
	else
		rc = 0;
	kl_kube_resp_release(&resp);
	return rc;
}

int
kl_kube_delete(struct kl_kube *k, json_t *obj, const char *default_ns, struct kl_err *err)
{
	char *path = NULL, *what = kl_kube_object_name(obj);
	struct kl_err lookup;
	int rc = 0;

	if (kl_kube_object_path(k, obj, default_ns, &path, NULL, &lookup) != 0) {
		/* A kind the server no longer serves has no objects left. */
		if (lookup.reason != KL_R_K8S_API_NOT_FOUND)
			rc = kl_err_set(err, lookup.reason, "cannot delete %s: %s", what, lookup.msg);
	} else {
		rc = delete_path(k, path, what, err);
	}
	free(path);
	free(what);
	return rc;
}

/* An object found by the selector. */
struct found {
	const struct kl_kube_resource *r;
	char *ns, *name;
	int rank;
};

/* `keep` holds an object of this resource with this namespace and name. */
static int
kept(json_t *keep, const struct kl_kube_resource *r, const char *ns, const char *name, const char *default_ns)
{
	char g1[128], g2[128];
	size_t i;
	json_t *o;

	kl_kube_group_of(r->group_version, g1, sizeof(g1));
	json_array_foreach(keep, i, o) {
		const char *kns = kl_kube_meta(o, "namespace");

		kl_kube_group_of(kl_json_str(o, "apiVersion"), g2, sizeof(g2));
		if (!kns || !*kns)
			kns = default_ns && *default_ns ? default_ns : "default";
		if (strcmp(g1, g2) == 0 && strcmp(kl_json_str(o, "kind") ?: "", r->kind) == 0 &&
		    strcmp(kl_kube_meta(o, "name") ?: "", name) == 0 && (!r->namespaced || strcmp(kns, ns ?: "") == 0))
			return 1;
	}
	return 0;
}

static int
by_rank_down(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return y->rank - x->rank;
}

int
kl_kube_prune(struct kl_kube *k, const char *selector, json_t *keep, const char *default_ns, int *deleted,
	      struct kl_err *err)
{
	const struct kl_kube_resource **res = NULL;
	struct found *f = NULL;
	char **paths = NULL, *sel = NULL;
	json_t **lists = NULL;
	size_t nres = 0, nf = 0;
	int rc = -1, count = 0;

	if (deleted)
		*deleted = 0;
	/* Without a selector this would be everything in the cluster. */
	if (selector == NULL || strchr(selector, '=') == NULL)
		return kl_err_set(err, KL_R_PROGRAM, "pruning needs a label selector with a value, not '%s'",
				  selector ? selector : "(none)");
	if (kl_kube_resources(k, &res, &nres, err) != 0)
		goto out;
	/* Every resource listed at once; one that did not answer plainly (an error, more
	 * than a page) is listed again the careful way. */
	sel = kl_kube_escape(selector);
	paths = kl_xcalloc(nres + 1, sizeof(*paths));
	lists = kl_xcalloc(nres + 1, sizeof(*lists));
	for (size_t i = 0; i < nres; i++) {
		char *base = kl_kube_path(res[i], NULL, NULL, NULL);

		paths[i] = kl_xasprintf("%s?limit=500&labelSelector=%s", base, sel);
		free(base);
	}
	kl_kube_get_many(k, (const char *const *)paths, nres, lists);
	for (size_t i = 0; i < nres; i++) {
		json_t *items = NULL, *it;
		size_t j;
		struct kl_err lerr;
		const char *more = kl_json_str(json_object_get(lists[i], "metadata"), "continue");

		if (lists[i] && (more == NULL || *more == '\0')) {
			items = json_incref(json_object_get(lists[i], "items"));
		} else if ((*strchr(paths[i], '?') = '\0', kl_kube_list(k, paths[i], selector, &items, NULL, &lerr)) != 0) {
			/* A resource gone since discovery, or one we may not list. */
			if (lerr.reason == KL_R_K8S_API_NOT_FOUND || lerr.reason == KL_R_K8S_API_REJECTED) {
				kl_debug("kube: prune skips %s: %s", res[i]->name, lerr.msg);
				continue;
			}
			*err = lerr;
			goto out;
		}
		json_array_foreach(items, j, it) {
			const char *ns = kl_kube_meta(it, "namespace"), *name = kl_kube_meta(it, "name");

			if (name == NULL || kept(keep, res[i], ns, name, default_ns))
				continue;
			f = kl_xrealloc(f, (nf + 1) * sizeof(*f));
			f[nf].r = res[i];
			f[nf].ns = ns ? kl_xstrdup(ns) : NULL;
			f[nf].name = kl_xstrdup(name);
			f[nf].rank = rank(res[i]->group_version, res[i]->kind);
			nf++;
		}
		json_decref(items);
	}
	/* Stable enough: qsort may reorder within a rank, which deletion does not mind. */
	qsort(f, nf, sizeof(*f), by_rank_down);
	for (size_t i = 0; i < nf; i++) {
		char *path = kl_kube_path(f[i].r, f[i].ns, f[i].name, NULL);
		char *what = kl_xasprintf("%s '%s%s%s'", f[i].r->kind, f[i].ns ? f[i].ns : "", f[i].ns ? "/" : "",
					  f[i].name);
		int drc = delete_path(k, path, what, err);

		kl_debug("kube: pruned %s", what);
		free(what);
		free(path);
		if (drc != 0)
			goto out;
		count++;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nf; i++) {
		free(f[i].ns);
		free(f[i].name);
	}
	free(f);
	for (size_t i = 0; paths && i < nres; i++) {
		free(paths[i]);
		json_decref(lists[i]);
	}
	free(paths);
	free(lists);
	free(sel);
	free(res);
	if (deleted)
		*deleted = count;
	return rc;
}
