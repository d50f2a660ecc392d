/*
 * addons.c: `kubelaunch addons list|enable|disable|images|configure`.
 *
 * list reads only the profile and the built-in addon tree (no cluster contact: it is
 * meant to answer in a few milliseconds). enable/disable record the choice in the
 * profile and, when the cluster runs, apply it through the API server from the host;
 * a stopped cluster gets it at its next start (start.c calls kl_cmd_addons_start).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/out.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "addons_cmd.h"

static const char *const subcommands[] = { "list", "enable", "disable", "images", "configure", NULL };

static const struct kl_opt opts[] = {
	{ "images", 0, KL_OPT_LIST, "Name=REF", "enable: use this image for the addon's image Name (kept for later starts)", NULL },
	{ "registries", 0, KL_OPT_LIST, "Name=HOST", "enable: pull the addon's image Name from this registry instead", NULL },
	{ "wait-timeout", 0, KL_OPT_DURATION, "DURATION", "enable: how long to wait for the addon's workloads", "6m" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *sub = ctx->args.argc ? ctx->args.argv[0] : NULL;
	struct kl_suggest s;
	size_t i;

	if (sub == NULL)
		return kl_err_set(err, KL_R_USAGE, "'addons' needs a subcommand: list, enable, disable, images or configure");
	for (i = 0; subcommands[i] && strcmp(subcommands[i], sub) != 0; i++)
		;
	if (subcommands[i] == NULL) {
		kl_suggest_init(&s, sub);
		for (i = 0; subcommands[i]; i++)
			kl_suggest_try(&s, subcommands[i]);
		if (s.best)
			return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown addons subcommand '%s'; did you mean '%s'?", sub,
					  s.best);
		return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown addons subcommand '%s'", sub);
	}
	if (strcmp(sub, "list") == 0 && ctx->args.argc != 1)
		return kl_err_set(err, KL_R_USAGE, "'addons list' takes no arguments");
	if ((strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) && ctx->args.argc < 2)
		return kl_err_set(err, KL_R_USAGE, "'addons %s' needs at least one addon name", sub);
	if ((strcmp(sub, "images") == 0 && ctx->args.argc != 2) || (strcmp(sub, "configure") == 0 && ctx->args.argc < 2))
		return kl_err_set(err, KL_R_USAGE, "'addons %s' takes one addon name", sub);
	if (strcmp(sub, "enable") != 0 && (kl_args_has(&ctx->args, "images") || kl_args_has(&ctx->args, "registries")))
		return kl_err_set(err, KL_R_USAGE_FLAG, "--images and --registries go with 'addons enable'");
	return 0;
}

int
kl_cmd_addons_resolve(const struct kl_addon_set *set, const char *const *names, size_t n,
		      const struct kl_addon ***out, struct kl_err *err)
{
	const struct kl_addon **v = kl_xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(names[i], names[j]) == 0) {
				free(v);
				return kl_err_set(err, KL_R_SVC_ADDON_USAGE, "addon '%s' is named twice", names[i]);
			}
		}
		if (kl_addons_lookup(set, names[i], &v[i], err) != 0) {
			free(v);
			return -1;
		}
	}
	*out = v;
	return 0;
}

json_t *
kl_cmd_addons_facts(struct kl_cluster *c)
{
	const char *node_ip = json_string_value(json_object_get(c->machine->state, "NodeIP"));
	const char *driver = c->machine->driver->name;
	char host[64] = "127.0.0.1";

	/* The address the node reaches this host at: qemu's user-mode network has a fixed
	 * one; on this host itself it is the node's own; elsewhere the network's first. */
	if (strcmp(driver, "qemu") == 0) {
		snprintf(host, sizeof(host), "10.0.2.2");
	} else if (node_ip && (c->machine->driver->caps & KL_CAP_HOST)) {
		snprintf(host, sizeof(host), "%s", node_ip);
	} else if (node_ip && strchr(node_ip, '.')) {
		snprintf(host, sizeof(host), "%s", node_ip);
		snprintf(strrchr(host, '.'), sizeof(host) - (size_t)(strrchr(host, '.') - host), ".1");
	}
	return json_pack("{s:s}", "hostIP", host);
}

/* The profile, or SVC_ADDON_CLUSTER when there is none. */
static int
open_cluster(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_err *err)
{
	if (kl_cluster_open(ctx->home, ctx->profile, c, err) == 0)
		return 0;
	if (err->reason == KL_R_GUEST_NOT_FOUND)
		return kl_err_set(err, KL_R_SVC_ADDON_CLUSTER, "profile '%s' does not exist: create it with 'kubelaunch start -p %s'",
				  ctx->profile, ctx->profile);
	return -1;
}

static int
list(struct kl_ctx *ctx, const struct kl_addon_set *set, struct kl_err *err)
{
	static const char *const head[] = { "ADDON NAME", "PROFILE", "STATUS", "MAINTAINER" };
	struct kl_profile p = { 0 };
	size_t w[4];
	json_t *doc;

	if (kl_profile_load(ctx->home, ctx->profile, &p, err) != 0) {
		if (err->reason == KL_R_GUEST_NOT_FOUND)
			kl_err_set(err, KL_R_SVC_ADDON_CLUSTER, "profile '%s' does not exist: create it with 'kubelaunch start -p %s'",
				   ctx->profile, ctx->profile);
		return -1;
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		doc = json_object();
		for (size_t i = 0; i < set->n; i++)
			json_object_set_new(doc, set->v[i].name,
					    json_pack("{s:s, s:s}", "Profile", p.name, "Status",
						      kl_addons_enabled(&set->v[i], p.cfg) ? "enabled" : "disabled"));
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(doc);
		kl_profile_release(&p);
		return 0;
	}
	for (size_t c = 0; c < 4; c++)
		w[c] = strlen(head[c]);
	for (size_t i = 0; i < set->n; i++) {
		size_t l[4] = { strlen(set->v[i].name), strlen(p.name), strlen("disabled"), strlen(set->v[i].maintainer) };

		for (size_t c = 0; c < 4; c++)
			w[c] = l[c] > w[c] ? l[c] : w[c];
	}
	for (int r = -1; r < (int)set->n; r++) {
		const struct kl_addon *a = r < 0 ? NULL : &set->v[r];
		const char *cells[4] = { a ? a->name : head[0], a ? p.name : head[1],
					 a ? (kl_addons_enabled(a, p.cfg) ? "enabled" : "disabled") : head[2],
					 a ? a->maintainer : head[3] };

		for (size_t c = 0; c < 4; c++)
			printf("| %-*s ", (int)w[c], cells[c]);
		puts("|");
		if (r < 0) {
			for (size_t c = 0; c < 4; c++)
				printf("|%.*s", (int)w[c] + 2, "------------------------------------------------------------");
			puts("|");
		}
	}
	kl_profile_release(&p);
	return 0;
}

static int
images(struct kl_ctx *ctx, const struct kl_addon_set *set, struct kl_err *err)
{
	const struct kl_addon *a;
	struct kl_profile p = { 0 };
	json_t *doc = json_object();

	if (kl_addons_lookup(set, ctx->args.argv[1], &a, err) != 0) {
		json_decref(doc);
		return -1;
	}
	/* The profile's overrides count where there is a profile. */
	if (kl_profile_load(ctx->home, ctx->profile, &p, NULL) != 0)
		p.cfg = json_object();
	for (size_t i = 0; i < a->nimages; i++) {
		const char *ov = json_string_value(json_object_get(json_object_get(json_object_get(p.cfg, "AddonImages"),
										   a->name), a->images[i].name));
		const char *reg = json_string_value(json_object_get(
			json_object_get(json_object_get(p.cfg, "AddonRegistries"), a->name), a->images[i].name));
		char *ovs = ov ? kl_xasprintf("%s=%s", a->images[i].name, ov) : NULL;
		char *regs = reg ? kl_xasprintf("%s=%s", a->images[i].name, reg) : NULL;
		const char *ovv[] = { ovs, NULL }, *regv[] = { regs, NULL };
		struct kl_addon_values v = { .images = ovv, .registries = regv };
		char *ref = kl_addon_image_ref(&a->images[i], &v);

		json_object_set_new(doc, a->images[i].name, json_string(ref));
		if (ctx->output != KL_OUTPUT_JSON)
			printf("%-16s %s\n", a->images[i].name, ref);
		free(ref);
		free(ovs);
		free(regs);
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		putchar('\n');
	} else if (a->nimages == 0) {
		printf("addon '%s' runs no images of its own\n", a->name);
	}
	json_decref(doc);
	kl_profile_release(&p);
	return 0;
}

/* The cluster runs (its machine does); else a note that the change waits for start. */
static int
running(struct kl_cluster *c)
{
	enum kl_machine_state st;

	return kl_driver_state(c->machine, &st, NULL) == 0 && st == KL_STATE_RUNNING &&
	       kl_profile_str(&c->profile, "APIServer", NULL) != NULL;
}

/* Apply (on) or remove (!on) `addons` on the running cluster c. */
static int
apply(struct kl_ctx *ctx, struct kl_cluster *c, const struct kl_addon_set *set, const struct kl_addon **addons,
      size_t n, int on, struct kl_err *err)
{
	long long timeout = kl_args_int(&ctx->args, "wait-timeout", 6 * 60 * 1000);
	struct kl_addons_run r = { .set = set, .cfg = c->profile.cfg, .wait = 1, .out = ctx->out };
	int rc = -1;

	if ((r.kube = kl_cluster_kube(c, (int)timeout, err)) == NULL) {
		err->reason = KL_R_SVC_ADDON_CLUSTER;
		return -1;
	}
	r.cluster = kl_cmd_addons_facts(c);
	if (on) {
		rc = kl_addons_apply(&r, addons, n, err);
	} else {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = kl_addons_remove(&r, addons[i], err);
	}
	json_decref(r.cluster);
	kl_kube_free(r.kube);
	return rc;
}

static int
change(struct kl_ctx *ctx, const struct kl_addon_set *set, int on, struct kl_err *err)
{
	const struct kl_addon **addons = NULL;
	size_t n = (size_t)ctx->args.argc - 1;
	char **imgs = NULL, **regs = NULL;
	struct kl_cluster c = { 0 };
	json_t *before = NULL;
	int rc = -1, lock = -1, opened = 0;

	kl_args_list(&ctx->args, "images", &imgs);
	kl_args_list(&ctx->args, "registries", &regs);
	if (kl_cmd_addons_resolve(set, (const char *const *)ctx->args.argv + 1, n, &addons, err) != 0)
		goto out;
	if (on) {
		struct kl_addon_values v = { .images = (const char *const *)imgs, .registries = (const char *const *)regs };

		if (kl_addons_check_overrides(addons, n, &v, err) != 0)
			goto out;
	}
	if ((lock = kl_profile_lock(ctx->home, ctx->profile, 10 * 60 * 1000, err)) < 0 || open_cluster(ctx, &c, err) != 0)
		goto out;
	opened = 1;
	before = json_deep_copy(c.profile.cfg);
	for (size_t i = 0; i < n; i++) {
		kl_addons_record(c.profile.cfg, addons[i]->name, on);
		if (on)
			kl_addons_remember(c.profile.cfg, addons[i], (const char *const *)imgs, (const char *const *)regs);
	}
	if (!running(&c)) {
		if ((rc = kl_profile_save(ctx->home, &c.profile, err)) == 0)
			for (size_t i = 0; i < n; i++)
				kl_out_info(ctx->out, "'%s' is %s in profile '%s'; the cluster is not running: it applies at the next "
					    "start (kubelaunch start -p %s)", addons[i]->name, on ? "enabled" : "disabled",
					    ctx->profile, ctx->profile);
		goto out;
	}
	rc = apply(ctx, &c, set, addons, n, on, err);
	if (rc != 0 && err->reason != KL_R_SVC_UNAVAILABLE && err->reason != KL_R_SVC_IMAGE_PULL) {
		/* Not applied: the profile says what it said before about these addons. */
		for (size_t i = 0; i < n; i++) {
			json_t *was = json_object_get(json_object_get(before, "Addons"), addons[i]->name);
			json_t *now = json_object_get(c.profile.cfg, "Addons");

			if (was)
				json_object_set(now, addons[i]->name, was);
			else
				json_object_del(now, addons[i]->name);
		}
	}
	if (kl_profile_save(ctx->home, &c.profile, rc == 0 ? err : NULL) != 0 && rc == 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		kl_out_info(ctx->out, "🌟  The '%s' addon is %s", addons[i]->name, on ? "enabled" : "disabled");
out:
	json_decref(before);
	if (opened)
		kl_cluster_release(&c);
	if (lock >= 0)
		kl_unlock(lock);
	kl_strv_free(imgs);
	kl_strv_free(regs);
	free(addons);
	return rc;
}

static int
configure(struct kl_ctx *ctx, const struct kl_addon_set *set, struct kl_err *err)
{
	const struct kl_addon *a;
	struct kl_cluster c = { 0 };
	json_t *facts = NULL, *mine;
	int rc = -1, lock = -1, opened = 0;

	if (kl_addons_lookup(set, ctx->args.argv[1], &a, err) != 0)
		return -1;
	if (a->nsettings == 0)
		return kl_err_set(err, KL_R_SVC_ADDON_USAGE, "addon '%s' has no settings", a->name);
	if ((lock = kl_profile_lock(ctx->home, ctx->profile, 10 * 60 * 1000, err)) < 0 || open_cluster(ctx, &c, err) != 0)
		goto out;
	opened = 1;
	mine = json_object_get(json_object_get(c.profile.cfg, "AddonSettings"), a->name);
	for (int i = 2; i < ctx->args.argc; i++) {
		const char *kv = ctx->args.argv[i], *eq = strchr(kv, '=');
		char *key = eq ? kl_xstrndup(kv, (size_t)(eq - kv)) : NULL;
		const struct kl_addon_setting *s = key ? kl_addon_setting(a, key) : NULL;

		if (s == NULL) {
			kl_err_set(err, KL_R_SVC_ADDON_USAGE, "'%s' is not KEY=VALUE for a setting of addon '%s' (see 'kubelaunch addons configure %s')",
				   kv, a->name, a->name);
			free(key);
			goto out;
		}
		if (kl_addon_setting_check(a, s, eq + 1, err) != 0) {
			free(key);
			goto out;
		}
		if (!json_is_object(json_object_get(c.profile.cfg, "AddonSettings")))
			json_object_set_new(c.profile.cfg, "AddonSettings", json_object());
		if (!json_is_object(mine)) {
			mine = json_object();
			json_object_set_new(json_object_get(c.profile.cfg, "AddonSettings"), a->name, mine);
		}
		json_object_set_new(mine, key, json_string(eq + 1));
		free(key);
	}
	facts = kl_cmd_addons_facts(&c);
	if (ctx->args.argc == 2) {
		struct kl_addon_values v = { .settings = mine, .cluster = facts };

		for (size_t i = 0; i < a->nsettings; i++) {
			char *val = kl_addon_setting_value(&a->settings[i], &v);

			printf("%s=%s\n    %s\n", a->settings[i].name, val, a->settings[i].description ? a->settings[i].description : "");
			free(val);
		}
		rc = 0;
		goto out;
	}
	if (kl_profile_save(ctx->home, &c.profile, err) != 0)
		goto out;
	if (kl_addons_enabled(a, c.profile.cfg) && running(&c))
		rc = apply(ctx, &c, set, &a, 1, 1, err) == 0 ? kl_profile_save(ctx->home, &c.profile, err) : -1;
	else
		rc = 0;
	if (rc == 0)
		kl_out_info(ctx->out, "'%s' is configured%s", a->name,
			    kl_addons_enabled(a, c.profile.cfg) && !running(&c) ? "; it applies at the next start" : "");
out:
	json_decref(facts);
	if (opened)
		kl_cluster_release(&c);
	if (lock >= 0)
		kl_unlock(lock);
	return rc;
}

int
kl_cmd_addons_start(void *arg, struct kl_cluster *c, struct kl_err *err)
{
	struct kl_cmd_addons_start *s = arg;
	struct kl_addon_set set;
	const struct kl_addon **named = NULL, **on;
	struct kl_addons_run r = { .set = &set, .cfg = c->profile.cfg, .out = s->out };
	size_t n = 0, non = 0;
	int rc = -1;

	if (kl_addons_load(&set, err) != 0)
		return -1;
	if (kl_cmd_addons_resolve(&set, s->names, s->nnames, &named, err) != 0)
		goto out;
	for (size_t i = 0; i < s->nnames; i++)
		kl_addons_record(c->profile.cfg, named[i]->name, 1);
	if (s->dns_upstream) {
		json_t *all = json_object_get(c->profile.cfg, "AddonSettings");

		if (!json_is_object(all))
			json_object_set_new(c->profile.cfg, "AddonSettings", all = json_object());
		if (!json_is_object(json_object_get(all, "dns")))
			json_object_set_new(all, "dns", json_object());
		json_object_set_new(json_object_get(all, "dns"), "upstream", json_string(s->dns_upstream));
	}
	on = kl_xcalloc(set.n + 1, sizeof(*on));
	/* dns first: the start's DNS wait follows. */
	for (size_t i = 0; i < set.n; i++)
		if (strcmp(set.v[i].name, "dns") == 0 && kl_addons_enabled(&set.v[i], c->profile.cfg))
			on[non++] = &set.v[i];
	for (size_t i = 0; i < set.n; i++)
		if (strcmp(set.v[i].name, "dns") != 0 && kl_addons_enabled(&set.v[i], c->profile.cfg))
			on[non++] = &set.v[i];
	n = non;
	if ((r.kube = kl_cluster_kube(c, s->timeout_ms, err)) == NULL) {
		free(on);
		goto out;
	}
	r.cluster = kl_cmd_addons_facts(c);
	if (s->out) {
		struct kl_strbuf names = KL_STRBUF_INIT;

		for (size_t i = 0; i < n; i++)
			kl_strbuf_addf(&names, "%s%s", i ? ", " : "", on[i]->name);
		kl_out_info(s->out, "Enabled addons: %s", n ? names.buf : "none");
		kl_strbuf_release(&names);
	}
	r.out = NULL;
	rc = kl_addons_apply(&r, on, n, err);
	/* Then wait for the ones this start was asked for by name. */
	if (rc == 0 && s->nnames) {
		r.wait = 1;
		r.out = s->out;
		rc = kl_addons_apply(&r, named, s->nnames, err);
	}
	json_decref(r.cluster);
	kl_kube_free(r.kube);
	free(on);
out:
	free(named);
	kl_addons_release(&set);
	return rc;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *sub = ctx->args.argv[0];
	struct kl_addon_set set;
	int rc;

	if (kl_addons_load(&set, err) != 0)
		return -1;
	if (strcmp(sub, "list") == 0)
		rc = list(ctx, &set, err);
	else if (strcmp(sub, "images") == 0)
		rc = images(ctx, &set, err);
	else if (strcmp(sub, "configure") == 0)
		rc = configure(ctx, &set, err);
	else
		rc = change(ctx, &set, strcmp(sub, "enable") == 0, err);
	kl_addons_release(&set);
	return rc;
}

const struct kl_cmd kl_cmd_addons = {
	.name = "addons",
	.summary = "List, enable, disable and configure the cluster's addons",
	.usage = "addons list [-o json] | enable NAME... [--images Name=REF] [--registries Name=HOST] | disable NAME... | "
		 "images NAME | configure NAME [KEY=VALUE...]",
	.description = "Addons are manifests built into kubelaunch (KUBELAUNCH_ADDONS_DIR replaces them), applied\n"
		       "through the API server. The enabled set is kept in the profile and applied again at every\n"
		       "start; on a stopped cluster enable and disable are recorded for the next start.\n"
		       "enable returns when the addon's workloads are available (or names the pod that is not).",
	.opts = opts,
	.subcommands = subcommands,
	.flags = KL_CMD_NEEDS_HOME,
	.check = check,
	.run = run,
};
