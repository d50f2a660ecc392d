/*
 * enable.c: addons on a cluster through its API server (kube.h), and what the profile
 * remembers about them.
 *
 * The profile (its config.json) keeps:
 *   "Addons":          {"ingress": true, "dns": false}   what the user asked (absent: the default)
 *   "AddonSettings":   {"dns": {"upstream": "none"}}
 *   "AddonImages":     {"dashboard": {"Dashboard": "ref"}}   --images, kept for later starts
 *   "AddonRegistries": {"dashboard": {"Dashboard": "host"}}
 *   "AddonsApplied":   {"ingress": "<sha256 of the rendering>"}
 *
 * Enabling renders every addon asked for before anything is applied (a broken
 * manifest applies nothing), applies each one server-side (a no-op for what did not
 * change: no resourceVersion moves), deletes what carries its label but is no longer
 * rendered when the rendering changed since the last apply, then waits for its
 * workloads.
 */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/log.h"
#include "kubelaunch/out.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"

/* cfg[key], created as an object when missing. */
static json_t *
top(json_t *cfg, const char *key)
{
	json_t *o = json_object_get(cfg, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(cfg, key, o);
	}
	return o;
}

/* cfg[key][name], likewise. */
static json_t *
sub(json_t *cfg, const char *key, const char *name)
{
	json_t *t = top(cfg, key), *o = json_object_get(t, name);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(t, name, o);
	}
	return o;
}

int
kl_addons_enabled(const struct kl_addon *a, json_t *cfg)
{
	json_t *v = json_object_get(json_object_get(cfg, "Addons"), a->name);

	return json_is_boolean(v) ? json_is_true(v) : a->default_on;
}

void
kl_addons_record(json_t *cfg, const char *name, int on)
{
	json_object_set_new(top(cfg, "Addons"), name, json_boolean(on));
	if (!on)
		json_object_del(json_object_get(cfg, "AddonsApplied"), name);
}

/* "Name=value" overrides: the profile's for the addon's images, replaced by `given`'s. */
static void
store_overrides(json_t *cfg, const char *key, const struct kl_addon *a, const char *const *given)
{
	for (; given && *given; given++) {
		const char *eq = strchr(*given, '=');

		for (size_t i = 0; eq && i < a->nimages; i++) {
			if (strlen(a->images[i].name) == (size_t)(eq - *given) &&
			    strncmp(a->images[i].name, *given, (size_t)(eq - *given)) == 0)
				json_object_set_new(sub(cfg, key, a->name), a->images[i].name, json_string(eq + 1));
		}
	}
}

static void
overrides_vec(json_t *cfg, const char *key, const char *name, struct kl_strvec *out)
{
	json_t *o = json_object_get(json_object_get(cfg, key), name), *v;
	const char *k;

	json_object_foreach(o, k, v)
		if (json_is_string(v))
			kl_strvec_pushf(out, "%s=%s", k, json_string_value(v));
}

void
kl_addons_remember(json_t *cfg, const struct kl_addon *a, const char *const *images, const char *const *registries)
{
	store_overrides(cfg, "AddonImages", a, images);
	store_overrides(cfg, "AddonRegistries", a, registries);
}

int
kl_addons_render_profile(const struct kl_addon_set *set, const struct kl_addon *a, json_t *cfg, json_t *cluster,
			 struct kl_strbuf *yaml, struct kl_err *err)
{
	struct kl_strvec images = KL_STRVEC_INIT, regs = KL_STRVEC_INIT;
	struct kl_addon_values v = { .settings = json_object_get(json_object_get(cfg, "AddonSettings"), a->name),
				     .cluster = cluster };
	int rc;

	overrides_vec(cfg, "AddonImages", a->name, &images);
	overrides_vec(cfg, "AddonRegistries", a->name, &regs);
	v.images = images.n ? kl_strvec_argv(&images) : NULL;
	v.registries = regs.n ? kl_strvec_argv(&regs) : NULL;
	rc = kl_addon_render(set, a, &v, yaml, err);
	kl_strvec_clear(&images);
	kl_strvec_clear(&regs);
	return rc;
}

/* Errors of the API client as the addon command's reasons (the 110s). */
static int
addon_reason(struct kl_err *err)
{
	switch (err->reason) {
	case KL_R_K8S_API_REJECTED:
	case KL_R_K8S_API_NOT_FOUND:
		err->reason = KL_R_SVC_ADDON_MANIFEST;
		break;
	case KL_R_K8S_APISERVER:
	case KL_R_K8S_APISERVER_TLS:
		err->reason = KL_R_SVC_ADDON_CLUSTER;
		break;
	default:
		break;
	}
	return -1;
}

struct progress {
	struct kl_addons_run *run;
	const char *addon;
	int done, total;
};

static void
on_progress(void *arg, int done, int total, const char *what)
{
	struct progress *p = arg;

	p->done = done;
	p->total = total;
	kl_debug("addon '%s': %d/%d %s", p->addon, done, total, what);
}

static void
on_wait(void *arg, int done, int total, const char *what)
{
	struct progress *p = arg;

	(void)done;
	(void)total;
	if (p->run->out)
		kl_out_info(p->run->out, "'%s': %s", p->addon, what);
}

int
kl_addons_apply(struct kl_addons_run *r, const struct kl_addon *const *addons, size_t n, struct kl_err *err)
{
	json_t **objs = kl_xcalloc(n ? n : 1, sizeof(json_t *));
	char (*hash)[KL_SHA256_HEX] = kl_xcalloc(n ? n : 1, sizeof(*hash));
	int rc = -1;

	/* Everything is rendered and parsed before anything is applied. */
	for (size_t i = 0; i < n; i++) {
		struct kl_strbuf yaml = KL_STRBUF_INIT;
		char *name = kl_xasprintf("addon '%s'", addons[i]->name);
		int ok = kl_addons_render_profile(r->set, addons[i], r->cfg, r->cluster, &yaml, err) == 0 &&
			 kl_kube_yaml_objects(yaml.buf, yaml.len, name, &objs[i], err) == 0;

		kl_sha256_buf(yaml.buf, yaml.len, hash[i]);
		kl_strbuf_release(&yaml);
		free(name);
		if (!ok) {
			if (err->reason == KL_R_USAGE_VALUE)
				err->reason = KL_R_SVC_ADDON_MANIFEST;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = addons[i]->name;
		const char *before = json_string_value(json_object_get(json_object_get(r->cfg, "AddonsApplied"), name));
		struct progress p = { .run = r, .addon = name };

		if (r->out)
			kl_out_info(r->out, "Enabling '%s' (%zu objects) ...", name, json_array_size(objs[i]));
		if (kl_kube_apply_list(r->kube, objs[i], NULL, on_progress, &p, err) != 0) {
			addon_reason(err);
			if (p.done > 0)
				kl_err_wrap(err, "addon '%s' is half applied (%d of %zu objects; 'kubelaunch addons disable %s' "
					    "removes them)", name, p.done, json_array_size(objs[i]), name);
			else
				kl_err_wrap(err, "cannot enable addon '%s'", name);
			goto out;
		}
		/* What an earlier rendering made and this one does not: gone. */
		if (before && strcmp(before, hash[i]) != 0) {
			char *sel = kl_xasprintf(KL_ADDON_LABEL "=%s", name);
			int deleted = 0, prc = kl_kube_prune(r->kube, sel, objs[i], NULL, &deleted, err);

			free(sel);
			if (prc != 0) {
				addon_reason(err);
				kl_err_wrap(err, "addon '%s' is applied, but what its earlier version made is not all removed",
					    name);
				goto out;
			}
			if (deleted && r->out)
				kl_out_info(r->out, "'%s': removed %d objects its earlier version made", name, deleted);
		}
		json_object_set_new(top(r->cfg, "AddonsApplied"), name, json_string(hash[i]));
	}
	if (r->wait) {
		for (size_t i = 0; i < n; i++) {
			struct progress p = { .run = r, .addon = addons[i]->name };

			if (kl_kube_wait_available(r->kube, objs[i], NULL, on_wait, &p, err) != 0) {
				addon_reason(err);
				kl_err_wrap(err, "addon '%s' is applied but not available", addons[i]->name);
				goto out;
			}
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		json_decref(objs[i]);
	free(objs);
	free(hash);
	return rc;
}

int
kl_addons_remove(struct kl_addons_run *r, const struct kl_addon *a, struct kl_err *err)
{
	char *sel = kl_xasprintf(KL_ADDON_LABEL "=%s", a->name);
	int deleted = 0, rc;

	if (r->out)
		kl_out_info(r->out, "Disabling '%s' ...", a->name);
	rc = kl_kube_prune(r->kube, sel, NULL, NULL, &deleted, err);
	free(sel);
	if (rc != 0) {
		addon_reason(err);
		return kl_err_wrap(err, "cannot disable addon '%s' (what was deleted before the failure stays deleted)",
				   a->name);
	}
	json_object_del(json_object_get(r->cfg, "AddonsApplied"), a->name);
	if (r->out)
		kl_out_info(r->out, "'%s': %d objects deleted", a->name, deleted);
	return 0;
}
