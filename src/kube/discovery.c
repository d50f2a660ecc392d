/*
 * discovery.c: which resource serves a kind, and where. The whole map comes from
 * aggregated discovery (two requests: /api and /apis), with the older per-group
 * documents as the fallback; a kind not found fetches its group version again once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "kube-int.h"

#define AGGREGATED_ACCEPT                                                                     \
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"               \
	"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

static int
has_verb(json_t *verbs, const char *verb)
{
	size_t i;
	json_t *v;

	json_array_foreach(verbs, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), verb) == 0)
			return 1;
	return 0;
}

static void
add(struct kl_kube *k, const char *gv, const char *kind, const char *name, int namespaced, json_t *verbs,
    int preferred)
{
	struct kl_kube_cache_entry *e;

	if (kind == NULL || name == NULL || strchr(name, '/'))
		return; /* subresources (pods/log) */
	k->res = kl_xrealloc(k->res, (k->nres + 1) * sizeof(*k->res));
	e = &k->res[k->nres++];
	e->r.group_version = kl_xstrdup(gv);
	e->r.kind = kl_xstrdup(kind);
	e->r.name = kl_xstrdup(name);
	e->r.namespaced = namespaced;
	e->r.deletable = has_verb(verbs, "list") && has_verb(verbs, "delete");
	e->preferred = preferred;
}

static void
drop_entry(struct kl_kube_cache_entry *e)
{
	free(e->r.group_version);
	free(e->r.kind);
	free(e->r.name);
}

void
kl_kube_discovery_reset(struct kl_kube *k)
{
	for (size_t i = 0; i < k->nres; i++)
		drop_entry(&k->res[i]);
	free(k->res);
	k->res = NULL;
	k->nres = 0;
	k->discovered = 0;
}

/* An APIGroupDiscoveryList: 1 when `doc` was one (and is now in the cache). */
static int
add_aggregated(struct kl_kube *k, json_t *doc)
{
	size_t i, j, l;
	json_t *g, *v, *r;

	if (!json_is_array(json_object_get(doc, "items")) || strcmp(kl_json_str(doc, "kind") ?: "", "APIGroupDiscoveryList"))
		return 0;
	json_array_foreach(json_object_get(doc, "items"), i, g) {
		const char *group = kl_json_str(json_object_get(g, "metadata"), "name");

		json_array_foreach(json_object_get(g, "versions"), j, v) {
			const char *ver = kl_json_str(v, "version");
			char *gv;

			/* A version whose aggregated backend is down (metrics-server not
			 * running): listing it would only answer 503. */
			if (ver == NULL || strcmp(kl_json_str(v, "freshness") ?: "Current", "Stale") == 0)
				continue;
			gv = group && *group ? kl_xasprintf("%s/%s", group, ver) : kl_xstrdup(ver);
			json_array_foreach(json_object_get(v, "resources"), l, r) {
				json_t *rk = json_object_get(r, "responseKind");

				add(k, gv, kl_json_str(rk, "kind"), kl_json_str(r, "resource"),
				    strcmp(kl_json_str(r, "scope") ?: "", "Namespaced") == 0, json_object_get(r, "verbs"),
				    j == 0);
			}
			free(gv);
		}
	}
	return 1;
}

/* An APIResourceList (/api/v1, /apis/G/V). */
static void
add_resource_list(struct kl_kube *k, const char *gv, json_t *doc, int preferred)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "resources"), i, r)
		add(k, gv, kl_json_str(r, "kind"), kl_json_str(r, "name"), json_is_true(json_object_get(r, "namespaced")),
		    json_object_get(r, "verbs"), preferred);
}

static char *
gv_path(const char *gv)
{
	return strchr(gv, '/') ? kl_xasprintf("/apis/%s", gv) : kl_xasprintf("/api/%s", gv);
}

/* One group version, again: its old entries go. */
static int
load_group_version(struct kl_kube *k, const char *gv, int preferred, struct kl_err *err)
{
	char *path = gv_path(gv);
	json_t *doc = NULL;
	size_t w = 0;
	int rc;

	rc = kl_kube_get(k, path, &doc, err);
	free(path);
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < k->nres; i++) {
		if (strcmp(k->res[i].r.group_version, gv) == 0) {
			preferred = preferred || k->res[i].preferred;
			drop_entry(&k->res[i]);
		} else {
			k->res[w++] = k->res[i];
		}
	}
	k->nres = w;
	add_resource_list(k, gv, doc, preferred);
	json_decref(doc);
	return 0;
}

/* The pre-1.26 way: every group version's own document. */
static int
load_legacy(struct kl_kube *k, json_t *apis, struct kl_err *err)
{
	size_t i, j;
	json_t *g, *v;

	if (load_group_version(k, "v1", 1, err) != 0)
		return -1;
	json_array_foreach(json_object_get(apis, "groups"), i, g) {
		const char *pref = kl_json_str(json_object_get(g, "preferredVersion"), "groupVersion");

		json_array_foreach(json_object_get(g, "versions"), j, v) {
			const char *gv = kl_json_str(v, "groupVersion");

			if (gv && load_group_version(k, gv, pref && strcmp(pref, gv) == 0, err) != 0)
				return -1;
		}
	}
	return 0;
}

static int
discover(struct kl_kube *k, struct kl_err *err)
{
	struct kl_kube_resp core, apis;
	int rc = -1;

	if (k->discovered)
		return 0;
	kl_kube_resp_init(&core);
	kl_kube_resp_init(&apis);
	kl_kube_discovery_reset(k);
	if (kl_kube_do(k, "GET", "/api", NULL, AGGREGATED_ACCEPT, NULL, 0, &core, err) != 0 ||
	    kl_kube_do(k, "GET", "/apis", NULL, AGGREGATED_ACCEPT, NULL, 0, &apis, err) != 0)
		goto out;
	if (core.status != 200 || apis.status != 200) {
		kl_kube_status_error(core.status != 200 ? &core : &apis, err, "cannot discover the API of %s",
				     kl_kube_label(k));
		goto out;
	}
	if (add_aggregated(k, core.body) && add_aggregated(k, apis.body))
		rc = 0;
	else
		rc = load_legacy(k, apis.body, err);
	if (rc == 0) {
		k->discovered = 1;
		kl_debug("kube: discovered %zu resources on %s", k->nres, k->server);
	}
out:
	kl_kube_resp_release(&core);
	kl_kube_resp_release(&apis);
	return rc;
}

static const struct kl_kube_resource *
lookup(struct kl_kube *k, const char *gv, const char *kind)
{
	for (size_t i = 0; i < k->nres; i++)
		if (strcmp(k->res[i].r.group_version, gv) == 0 && strcmp(k->res[i].r.kind, kind) == 0)
			return &k->res[i].r;
	return NULL;
}

int
kl_kube_resource_for(struct kl_kube *k, const char *api_version, const char *kind, const struct kl_kube_resource **out,
		     struct kl_err *err)
{
	struct kl_err ignored;

	*out = NULL;
	if (api_version == NULL || kind == NULL || !*api_version || !*kind)
		return kl_err_set(err, KL_R_K8S_API_REJECTED, "an object without %s", api_version && *api_version ?
				  "kind" : "apiVersion");
	if (discover(k, err) != 0)
		return -1;
	if ((*out = lookup(k, api_version, kind)) != NULL)
		return 0;
	/* A CRD Established since the cache was filled. */
	if (load_group_version(k, api_version, 0, &ignored) == 0 && (*out = lookup(k, api_version, kind)) != NULL)
		return 0;
	return kl_err_set(err, KL_R_K8S_API_NOT_FOUND, "%s does not serve kind '%s' of '%s'", kl_kube_label(k), kind,
			  api_version);
}

int
kl_kube_resources(struct kl_kube *k, const struct kl_kube_resource ***out, size_t *n, struct kl_err *err)
{
	*out = NULL;
	*n = 0;
	if (discover(k, err) != 0)
		return -1;
	*out = kl_xcalloc(k->nres + 1, sizeof(**out));
	for (size_t i = 0; i < k->nres; i++)
		if (k->res[i].preferred && k->res[i].r.deletable)
			(*out)[(*n)++] = &k->res[i].r;
	return 0;
}

char *
kl_kube_path(const struct kl_kube_resource *r, const char *ns, const char *name, const char *query)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	char *base = gv_path(r->group_version);

	kl_strbuf_addstr(&sb, base);
	free(base);
	if (r->namespaced && ns && *ns) {
		char *e = kl_kube_escape(ns);
		kl_strbuf_addf(&sb, "/namespaces/%s", e);
		free(e);
	}
	kl_strbuf_addf(&sb, "/%s", r->name);
	if (name) {
		char *e = kl_kube_escape(name);
		kl_strbuf_addf(&sb, "/%s", e);
		free(e);
	}
	if (query && *query)
		kl_strbuf_addf(&sb, "?%s", query);
	return kl_strbuf_detach(&sb, NULL);
}

int
kl_kube_object_path(struct kl_kube *k, json_t *obj, const char *default_ns, char **path,
		    const struct kl_kube_resource **res, struct kl_err *err)
{
	const struct kl_kube_resource *r;
	const char *name = kl_kube_meta(obj, "name"), *ns = kl_kube_meta(obj, "namespace");

	*path = NULL;
	if (kl_kube_resource_for(k, kl_json_str(obj, "apiVersion"), kl_json_str(obj, "kind"), &r, err) != 0)
		return -1;
	if (name == NULL || !*name) {
		char *what = kl_kube_object_name(obj);
		kl_err_set(err, KL_R_K8S_API_REJECTED, "%s has no metadata.name", what);
		free(what);
		return -1;
	}
	*path = kl_kube_path(r, ns && *ns ? ns : default_ns && *default_ns ? default_ns : "default", name, NULL);
	if (res)
		*res = r;
	return 0;
}

char *
kl_kube_object_name(json_t *obj)
{
	const char *kind = kl_json_str(obj, "kind"), *name = kl_kube_meta(obj, "name");
	const char *ns = kl_kube_meta(obj, "namespace");

	return kl_xasprintf("%s '%s%s%s'", kind ? kind : "object", ns ? ns : "", ns ? "/" : "", name ? name : "?");
}
