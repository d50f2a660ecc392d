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
 *
 * A program addon (addon.yaml's `program:`, istio) renders its invocation instead (the
 * program, its version and mirror, the words after it); AddonsApplied keeps its hash.
 * Enabling fetches the program through kl_addons_run.fetch and runs it with the local
 * runner, unless the same invocation ran before and what it names as `available` is
 * still there, then waits for those workloads; a failed run is diagnosed from the first
 * of them that exists and is not available. Disabling runs the uninstall words, deletes
 * what `remove` names and waits until it is gone.
 */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/clock.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/log.h"
#include "kubelaunch/out.h"
#include "kubelaunch/runner.h"
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

/* What the profile keeps for `a` as rendering values; release with values_release. */
static void
values_init(json_t *cfg, const struct kl_addon *a, json_t *cluster, struct kl_addon_values *v,
	    struct kl_strvec *images, struct kl_strvec *regs)
{
	overrides_vec(cfg, "AddonImages", a->name, images);
	overrides_vec(cfg, "AddonRegistries", a->name, regs);
	memset(v, 0, sizeof(*v));
	v->settings = json_object_get(json_object_get(cfg, "AddonSettings"), a->name);
	v->cluster = cluster;
	v->images = images->n ? kl_strvec_argv(images) : NULL;
	v->registries = regs->n ? kl_strvec_argv(regs) : NULL;
}

int
kl_addons_render_profile(const struct kl_addon_set *set, const struct kl_addon *a, json_t *cfg, json_t *cluster,
			 struct kl_strbuf *yaml, struct kl_err *err)
{
	struct kl_strvec images = KL_STRVEC_INIT, regs = KL_STRVEC_INIT;
	struct kl_addon_values v;
	int rc;

	values_init(cfg, a, cluster, &v, &images, &regs);
	rc = kl_addon_render(set, a, &v, yaml, err);
	kl_strvec_clear(&images);
	kl_strvec_clear(&regs);
	return rc;
}

/* A program addon's invocation: the program, its version and mirror, and the words
 * (install or uninstall) after it, rendered with what the profile keeps. */
struct invocation {
	char *version, *mirror;
	struct kl_strvec words;
};

static int
invocation_render(json_t *cfg, json_t *cluster, const struct kl_addon *a, char *const *words, struct invocation *inv,
		  struct kl_err *err)
{
	struct kl_strvec images = KL_STRVEC_INIT, regs = KL_STRVEC_INIT;
	struct kl_addon_values v;
	int rc;

	memset(inv, 0, sizeof(*inv));
	values_init(cfg, a, cluster, &v, &images, &regs);
	rc = kl_addon_program_text(a, a->program->version, &v, &inv->version, err) == 0 &&
	     kl_addon_program_text(a, a->program->mirror, &v, &inv->mirror, err) == 0 &&
	     kl_addon_program_words(a, words, &v, &inv->words, err) == 0 ? 0 : -1;
	kl_strvec_clear(&images);
	kl_strvec_clear(&regs);
	return rc;
}

static void
invocation_release(struct invocation *inv)
{
	free(inv->version);
	free(inv->mirror);
	kl_strvec_clear(&inv->words);
}

/* "istioctl 1.31.0 from MIRROR: WORD WORD ...", what the rendering's hash covers. */
static void
invocation_text(const struct kl_addon *a, const struct invocation *inv, struct kl_strbuf *sb)
{
	kl_strbuf_addf(sb, "%s %s from %s:", a->program->name, inv->version, inv->mirror);
	for (size_t i = 0; i < inv->words.n; i++)
		kl_strbuf_addf(sb, " %s", inv->words.v[i]);
}

int
kl_addons_invocation(json_t *cfg, json_t *cluster, const struct kl_addon *a, int install, struct kl_strbuf *text,
		     struct kl_err *err)
{
	struct invocation inv;
	int rc;

	if (a->program == NULL)
		return kl_err_set(err, KL_R_PROGRAM, "addon '%s' is installed by its manifests, not by a program", a->name);
	rc = invocation_render(cfg, cluster, a, install ? a->program->install : a->program->uninstall, &inv, err);
	if (rc == 0)
		invocation_text(a, &inv, text);
	invocation_release(&inv);
	return rc;
}

static void
on_program_output(void *arg, int fd, const char *buf, size_t len)
{
	(void)fd;
	kl_debug("addon '%s': %.*s", (const char *)arg, (int)(len && buf[len - 1] == '\n' ? len - 1 : len), buf);
}

/* The program of a program addon (fetched, or from the cache): a new string. */
static char *
program_path(struct kl_addons_run *r, const struct kl_addon *a, const struct invocation *inv, struct kl_err *err)
{
	char *path = NULL;

	if (r->fetch == NULL)
		kl_err_set(err, KL_R_SVC_ADDON_PROGRAM, "addon '%s' needs %s, and nothing here fetches it", a->name,
			   a->program->name);
	else if (r->fetch(r->fetch_arg, a->program->name, inv->version, inv->mirror, &path, err) != 0)
		path = NULL;
	return path;
}

/* The last line of a program's output that says something: istioctl ends with its
 * "Error: ..." after a banner. */
static void
last_line(const struct kl_strbuf *text, char *out, size_t n)
{
	const char *end = text->buf + text->len, *start;

	while (end > text->buf && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		end--;
	for (start = end; start > text->buf && start[-1] != '\n'; start--)
		;
	while (start < end && *start == ' ')
		start++;
	snprintf(out, n, "%.*s", (int)(end - start), start);
}

/* Run `path` with a program addon's words through the local runner (its output goes
 * to the log), as long as the client's deadline allows. A failure is
 * SVC_ADDON_PROGRAM, one line: the program, its verb, its status and its last line. */
static int
run_program(struct kl_addons_run *r, const struct kl_addon *a, const char *path, const struct invocation *inv,
	    struct kl_err *err)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_run_opts opts = { .on_output = on_program_output, .arg = (void *)a->name };
	struct kl_run_result res;
	struct kl_runner *run = NULL;
	long long left = kl_kube_deadline(r->kube) - kl_now_ms();
	const char *verb = inv->words.n ? inv->words.v[0] : "";
	char last[400];
	int rc = -1;

	kl_run_result_init(&res);
	kl_strvec_push(&argv, path);
	for (size_t i = 0; i < inv->words.n; i++)
		kl_strvec_push(&argv, inv->words.v[i]);
	opts.timeout_ms = left > 1000 ? (int)(left > 24LL * 3600 * 1000 ? 24LL * 3600 * 1000 : left) : 1000;
	run = kl_runner_local_new();
	if (kl_runner_run(run, kl_strvec_argv(&argv), &opts, &res, err) != 0) {
		if (err->reason != KL_R_INTERRUPTED)
			kl_err_set(err, KL_R_SVC_ADDON_PROGRAM, "'%s %s' did not finish in time (the wait timeout)",
				   a->program->name, verb);
		goto out;
	}
	if (res.status != 0) {
		last_line(res.err.len ? &res.err : &res.out, last, sizeof(last));
		kl_err_set(err, KL_R_SVC_ADDON_PROGRAM, "'%s %s' %s %d%s%s", a->program->name, verb,
			   res.status > 128 ? "was killed by signal" : "exited with status",
			   res.status > 128 ? res.status - 128 : res.status, last[0] ? ": " : "", last);
		goto out;
	}
	rc = 0;
out:
	kl_run_result_release(&res);
	kl_runner_free(run);
	kl_strvec_clear(&argv);
	return rc;
}

/* The object `o` names as the API server has it now, or NULL (none, or no answer). */
static json_t *
live(struct kl_kube *k, json_t *o)
{
	char *path = NULL;
	json_t *cur = NULL;
	struct kl_err ignored;

	if (kl_kube_object_path(k, o, NULL, &path, NULL, &ignored) != 0 || kl_kube_get(k, path, &cur, &ignored) != 0)
		cur = NULL;
	free(path);
	return cur;
}

/* After a failed program: the first of the workloads it was to make that exists but
 * is not available, diagnosed from its pods (an image that cannot be pulled ...), the
 * program's own message in the log. Else err stays the program's. */
static void
program_diagnosis(struct kl_addons_run *r, const struct kl_addon *a, const struct invocation *inv, json_t *available,
		  struct kl_err *err)
{
	struct kl_err prog = *err;
	json_t *o;
	size_t i;

	json_array_foreach(available, i, o) {
		json_t *cur = live(r->kube, o);
		char *what;

		if (cur == NULL || kl_kube_workload_available(cur)) {
			json_decref(cur);
			continue;
		}
		what = kl_xasprintf("'%s %s' failed", a->program->name, inv->words.n ? inv->words.v[0] : "");
		kl_kube_diagnose(r->kube, cur, what, err);
		kl_debug("addon '%s': the program said: %s", a->name, prog.msg);
		free(what);
		json_decref(cur);
		return;
	}
}

/* 1 when every object in objs exists. */
static int
all_exist(struct kl_kube *k, json_t *objs)
{
	json_t *o, *cur;
	size_t i;

	json_array_foreach(objs, i, o) {
		if ((cur = live(k, o)) == NULL)
			return 0;
		json_decref(cur);
	}
	return 1;
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
	struct invocation *inv = kl_xcalloc(n ? n : 1, sizeof(*inv));
	char *path = NULL;
	int rc = -1;

	/* Everything is rendered and parsed before anything is applied. */
	for (size_t i = 0; i < n; i++) {
		struct kl_strbuf yaml = KL_STRBUF_INIT;
		char *name = kl_xasprintf("addon '%s'", addons[i]->name);
		int ok;

		/* A program addon's rendering is its invocation; it waits for what it names. */
		if (addons[i]->program) {
			ok = invocation_render(r->cfg, r->cluster, addons[i], addons[i]->program->install, &inv[i], err) == 0 &&
			     kl_addon_object_refs(addons[i]->name, addons[i]->program->available, &objs[i], err) == 0;
			if (ok)
				invocation_text(addons[i], &inv[i], &yaml);
		} else {
			ok = kl_addons_render_profile(r->set, addons[i], r->cfg, r->cluster, &yaml, err) == 0 &&
			     kl_kube_yaml_objects(yaml.buf, yaml.len, name, &objs[i], err) == 0;
		}

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

		if (addons[i]->program) {
			/* Run again only when the invocation changed or what it made is gone. */
			if (before && strcmp(before, hash[i]) == 0 && all_exist(r->kube, objs[i])) {
				kl_debug("addon '%s': installed by the same invocation; not run again", name);
				continue;
			}
			if ((path = program_path(r, addons[i], &inv[i], err)) == NULL)
				goto out;
			if (r->out)
				kl_out_info(r->out, "Enabling '%s' (%s %s %s) ...", name, addons[i]->program->name,
					    inv[i].version, inv[i].words.n ? inv[i].words.v[0] : "");
			if (run_program(r, addons[i], path, &inv[i], err) != 0) {
				program_diagnosis(r, addons[i], &inv[i], objs[i], err);
				kl_err_wrap(err, "cannot enable addon '%s' ('kubelaunch addons disable %s' removes what it "
					    "made)", name, name);
				goto out;
			}
			free(path);
			path = NULL;
			json_object_set_new(top(r->cfg, "AddonsApplied"), name, json_string(hash[i]));
			continue;
		}
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
	for (size_t i = 0; i < n; i++) {
		json_decref(objs[i]);
		invocation_release(&inv[i]);
	}
	free(inv);
	free(path);
	free(objs);
	free(hash);
	return rc;
}

/* A program addon's uninstall, then what it names under `remove` deleted and gone. */
static int
remove_program(struct kl_addons_run *r, const struct kl_addon *a, struct kl_err *err)
{
	struct invocation inv;
	json_t *objs = NULL, *o;
	char *path = NULL;
	size_t i;
	int rc = -1;

	if (invocation_render(r->cfg, r->cluster, a, a->program->uninstall, &inv, err) != 0 ||
	    kl_addon_object_refs(a->name, a->program->remove, &objs, err) != 0)
		goto out;
	if ((path = program_path(r, a, &inv, err)) == NULL)
		goto out;
	if (r->out)
		kl_out_info(r->out, "'%s': %s %s %s ...", a->name, a->program->name, inv.version,
			    inv.words.n ? inv.words.v[0] : "");
	if (run_program(r, a, path, &inv, err) != 0)
		goto out;
	json_array_foreach(objs, i, o)
		if (kl_kube_delete(r->kube, o, NULL, err) != 0)
			goto out;
	if (kl_kube_wait_deleted(r->kube, objs, NULL, err) != 0)
		goto out;
	rc = 0;
out:
	invocation_release(&inv);
	json_decref(objs);
	free(path);
	return rc;
}

int
kl_addons_remove(struct kl_addons_run *r, const struct kl_addon *a, struct kl_err *err)
{
	char *sel = kl_xasprintf(KL_ADDON_LABEL "=%s", a->name);
	int deleted = 0, rc;

	if (r->out)
		kl_out_info(r->out, "Disabling '%s' ...", a->name);
	if (a->program && remove_program(r, a, err) != 0) {
		free(sel);
		addon_reason(err);
		return kl_err_wrap(err, "cannot disable addon '%s'", a->name);
	}
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
