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
#include "kubelaunch/artifacts.h"
#include "kubelaunch/clock.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/out.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "addons_cmd.h"

static const char *const subcommands[] = { "list", "enable", "disable", "images", "configure", NULL };

static const struct kl_opt opts[] = {
	{ "images", 0, KL_OPT_LIST, "Name=REF", "enable: use this image for the addon's image Name (kept for later starts)", NULL },
	{ "registries", 0, KL_OPT_LIST, "Name=HOST", "enable: pull the addon's image Name from this registry instead", NULL },
	{ "wait-timeout", 0, KL_OPT_DURATION, "DURATION", "enable: how long to wait for the addon's workloads", "6m" },
	{ "no-wait", 0, KL_OPT_BOOL, NULL, "enable: return once the objects are applied", NULL },
	{ "dry-run", 0, KL_OPT_BOOL, NULL, "enable: print the rendered manifests (with the profile's settings, if any) and apply nothing", NULL },
	{ "kubeconfig", 0, KL_OPT_STRING, "FILE", "enable/disable: act on the current cluster of this kubeconfig instead of the profile's (nothing is recorded)", NULL },
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
		return kl_err_set(err, KL_R_USAGE, "'addons' takes no arguments after 'list'");
	if ((strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) && ctx->args.argc < 2)
		return kl_err_set(err, KL_R_USAGE, "'addons %s' needs at least one addon name", sub);
	if ((strcmp(sub, "images") == 0 && ctx->args.argc != 2) || (strcmp(sub, "configure") == 0 && ctx->args.argc < 2))
		return kl_err_set(err, KL_R_USAGE, "'addons %s' takes one addon name", sub);
	if (strcmp(sub, "enable") != 0 && (kl_args_has(&ctx->args, "images") || kl_args_has(&ctx->args, "registries")))
		return kl_err_set(err, KL_R_USAGE_FLAG, "--images and --registries go with 'addons enable'");
	if (strcmp(sub, "enable") != 0 && strcmp(sub, "disable") != 0 && kl_args_has(&ctx->args, "kubeconfig"))
		return kl_err_set(err, KL_R_USAGE_FLAG, "--kubeconfig goes with 'addons enable' and 'addons disable'");
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

/* ${cluster.*}: hostIP, and for program addons the kubeconfig (NULL: the one kubelaunch
 * writes) and its context ("": the file's current one). */
static json_t *
facts_new(const char *host, const char *kubeconfig, const char *context)
{
	char *ours = NULL;
	json_t *j;

	if (kubeconfig == NULL && kl_kubeconfig_path(&ours, NULL) != 0)
		ours = kl_xstrdup("");
	j = json_pack("{s:s, s:s, s:s}", "hostIP", host, "kubeconfig", kubeconfig ? kubeconfig : ours, "context", context);
	free(ours);
	return j;
}

/* kl_addons_run's fetch: a program addon's program (istioctl) into the home's cache. */
static int
fetch_program(void *arg, const char *program, const char *version, const char *mirror, char **path,
	      struct kl_err *err)
{
	struct kl_program_opts o = { .home = arg, .name = program, .version = version, .mirror = mirror };

	return kl_program_fetch(&o, path, NULL, err);
}

json_t *
kl_cmd_addons_facts(struct kl_cluster *c)
{
	const char *node_ip = json_string_value(json_object_get(c->state, "NodeIP"));
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
	return facts_new(host, NULL, c->profile.name);
}

/* Where the host reaches what an addon serves on the node's host ports (ingress 80
 * and 443, registry 5000): on qemu each is a forward on 127.0.0.1 added now, on the
 * other drivers the node's address. A port that cannot be had is a warning. */
void
kl_cmd_addons_announce(struct kl_out *out, struct kl_cluster *c, const struct kl_addon *a)
{
	static const struct {
		const char *addon, *scheme;
		int port;
	} ports[] = { { "ingress", "http", 80 }, { "ingress", "https", 443 }, { "registry", "host", 5000 } };

	for (size_t i = 0; i < KL_ARRAY_SIZE(ports); i++) {
		struct kl_endpoint ep = { .port = 0 };
		struct kl_err err;

		if (strcmp(ports[i].addon, a->name) != 0)
			continue;
		if (kl_driver_endpoint(c->machine, ports[i].port, &ep, &err) != 0)
			kl_out_warn(out, "'%s': the host cannot reach port %d: %s", a->name, ports[i].port, err.msg);
		else if (strcmp(ports[i].scheme, "host") == 0)
			kl_out_info(out, "'%s': push to %s:%d from this host; pods pull from localhost:%d", a->name, ep.host,
				    ep.port, ports[i].port);
		else
			kl_out_info(out, "'%s': %s://%s:%d (the node's port %d)", a->name, ports[i].scheme, ep.host, ep.port,
				    ports[i].port);
	}
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
		kl_profile_release(&p);
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
	json_t *doc = json_object(), *cfg;
	struct kl_err ignored;

	if (kl_addons_lookup(set, ctx->args.argv[1], &a, err) != 0) {
		json_decref(doc);
		return -1;
	}
	/* The profile's overrides count where there is a profile. */
	if (kl_profile_load(ctx->home, ctx->profile, &p, &ignored) == 0)
		cfg = json_incref(p.cfg);
	else
		cfg = json_object();
	for (size_t i = 0; i < a->nimages; i++) {
		const char *ov = json_string_value(json_object_get(json_object_get(json_object_get(cfg, "AddonImages"),
										   a->name), a->images[i].name));
		const char *reg = json_string_value(json_object_get(
			json_object_get(json_object_get(cfg, "AddonRegistries"), a->name), a->images[i].name));
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
	} else if (a->nimages == 0 && a->program) {
		printf("addon '%s' is installed by %s, which chooses its images (see 'kubelaunch addons configure %s')\n",
		       a->name, a->program->name, a->name);
	} else if (a->nimages == 0) {
		printf("addon '%s' runs no images of its own\n", a->name);
	}
	json_decref(doc);
	json_decref(cfg);
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

/* Apply (on) or remove (!on) `addons` through `kube` (consumed); cfg is the
 * profile's config (or a scratch object), cluster its facts. */
static int
apply(struct kl_ctx *ctx, struct kl_kube *kube, json_t *cfg, json_t *cluster, const struct kl_addon_set *set,
      const struct kl_addon **addons, size_t n, int on, struct kl_err *err)
{
	struct kl_addons_run r = { .set = set, .kube = kube, .cfg = cfg, .cluster = cluster,
				   .wait = !kl_args_bool(&ctx->args, "no-wait"), .out = ctx->out,
				   .fetch = fetch_program, .fetch_arg = (void *)ctx->home };
	int rc = 0;

	if (on)
		rc = kl_addons_apply(&r, addons, n, err);
	for (size_t i = 0; !on && rc == 0 && i < n; i++)
		rc = kl_addons_remove(&r, addons[i], err);
	kl_kube_free(kube);
	return rc;
}

static long long
wait_timeout(struct kl_ctx *ctx)
{
	return kl_args_int(&ctx->args, "wait-timeout", 6 * 60 * 1000);
}

/* The running cluster c's API client, with the command's deadline. */
static struct kl_kube *
cluster_kube(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_err *err)
{
	struct kl_kube *k = kl_cluster_kube(c, (int)wait_timeout(ctx), err);

	if (k == NULL)
		err->reason = KL_R_SVC_ADDON_CLUSTER;
	return k;
}

/* --kubeconfig: any cluster; nothing is kept (no earlier rendering is known, so
 * nothing is pruned on enable). The node reaches this host at the server's address. */
static int
change_kubeconfig(struct kl_ctx *ctx, const struct kl_addon_set *set, const struct kl_addon **addons, size_t n,
		  int on, char **imgs, char **regs, struct kl_err *err)
{
	struct kl_kube *k = kl_kube_new_kubeconfig(kl_args_str(&ctx->args, "kubeconfig", NULL), NULL, err);
	json_t *cfg = json_object(), *facts;
	char host[64] = "127.0.0.1";
	int rc;

	if (k == NULL) {
		json_decref(cfg);
		err->reason = KL_R_SVC_ADDON_CLUSTER;
		return -1;
	}
	kl_kube_set_deadline(k, kl_now_ms() + wait_timeout(ctx));
	sscanf(kl_kube_server(k), "https://%63[0-9.]", host);
	facts = facts_new(host, kl_args_str(&ctx->args, "kubeconfig", ""), "");
	for (size_t i = 0; i < n; i++)
		kl_addons_remember(cfg, addons[i], (const char *const *)imgs, (const char *const *)regs);
	rc = apply(ctx, k, cfg, facts, set, addons, n, on, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		kl_out_info(ctx->out, "🌟  The '%s' addon is %s", addons[i]->name, on ? "enabled" : "disabled");
	json_decref(facts);
	json_decref(cfg);
	return rc;
}

/* enable --dry-run: the YAML an enable would apply, on stdout. */
static int
print_rendered(struct kl_ctx *ctx, const struct kl_addon_set *set, const struct kl_addon **addons, size_t n,
	       char **imgs, char **regs, struct kl_err *err)
{
	struct kl_cluster c = { 0 };
	json_t *cfg, *facts;
	int rc = 0;

	if (kl_cluster_open(ctx->home, ctx->profile, &c, err) == 0) {
		cfg = json_deep_copy(c.profile.cfg);
		facts = kl_cmd_addons_facts(&c);
	} else {
		cfg = json_object();
		facts = facts_new("127.0.0.1", NULL, ctx->profile);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct kl_strbuf yaml = KL_STRBUF_INIT;

		kl_addons_remember(cfg, addons[i], (const char *const *)imgs, (const char *const *)regs);
		if (addons[i]->program) {
			/* What it would run; the objects are the program's to make. */
			rc = kl_addons_invocation(cfg, facts, addons[i], 1, &yaml, err);
			if (rc == 0)
				printf("---\n# addon: %s\n# runs: %s\n", addons[i]->name, yaml.buf);
		} else {
			rc = kl_addons_render_profile(set, addons[i], cfg, facts, &yaml, err);
			if (rc == 0)
				printf("---\n# addon: %s\n%s", addons[i]->name, yaml.buf);
		}
		kl_strbuf_release(&yaml);
	}
	kl_cluster_release(&c);
	json_decref(cfg);
	json_decref(facts);
	return rc;
}

static int
change(struct kl_ctx *ctx, const struct kl_addon_set *set, int on, struct kl_err *err)
{
	const struct kl_addon **addons = NULL;
	size_t n = (size_t)ctx->args.argc - 1;
	char **imgs = NULL, **regs = NULL;
	struct kl_cluster c = { 0 };
	json_t *before = NULL, *facts = NULL;
	struct kl_kube *k;
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
	if (on && kl_args_bool(&ctx->args, "dry-run")) {
		rc = print_rendered(ctx, set, addons, n, imgs, regs, err);
		goto out;
	}
	if (kl_args_has(&ctx->args, "kubeconfig")) {
		rc = change_kubeconfig(ctx, set, addons, n, on, imgs, regs, err);
		goto out;
	}
	if ((lock = kl_profile_lock(ctx->home, ctx->profile, 10 * 60 * 1000, err)) < 0)
		goto out;
	opened = 1; /* what a failed open allocated is released too */
	if (open_cluster(ctx, &c, err) != 0)
		goto out;
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
	if ((k = cluster_kube(ctx, &c, err)) == NULL)
		goto out;
	facts = kl_cmd_addons_facts(&c);
	rc = apply(ctx, k, c.profile.cfg, facts, set, addons, n, on, err);
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
	for (size_t i = 0; rc == 0 && i < n; i++) {
		kl_out_info(ctx->out, "🌟  The '%s' addon is %s", addons[i]->name, on ? "enabled" : "disabled");
		if (on)
			kl_cmd_addons_announce(ctx->out, &c, addons[i]);
	}
out:
	json_decref(before);
	json_decref(facts);
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
	if ((lock = kl_profile_lock(ctx->home, ctx->profile, 10 * 60 * 1000, err)) < 0)
		goto out;
	opened = 1; /* what a failed open allocated is released too */
	if (open_cluster(ctx, &c, err) != 0)
		goto out;
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
	rc = 0;
	if (kl_addons_enabled(a, c.profile.cfg) && running(&c)) {
		struct kl_kube *k = cluster_kube(ctx, &c, err);

		rc = k && apply(ctx, k, c.profile.cfg, facts, set, &a, 1, 1, err) == 0 ?
			     kl_profile_save(ctx->home, &c.profile, err) : -1;
	}
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
	const struct kl_addon **named = NULL, **on, *dns;
	struct kl_addons_run r = { .set = &set, .cfg = c->profile.cfg, .out = s->out, .fetch = fetch_program,
				   .fetch_arg = (void *)c->home };
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
	dns = kl_addons_find(&set, "dns");
	if (s->wait && (dns == NULL || !kl_addons_enabled(dns, c->profile.cfg))) {
		if (*s->wait == 0)
			*s->wait = KL_WAIT_ALL;
		*s->wait &= ~(unsigned)KL_WAIT_DNS;
		kl_out_warn(s->out, "the dns addon is disabled: the cluster has no DNS, and the start does not wait for it");
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
	for (size_t i = 0; rc == 0 && i < n; i++)
		kl_cmd_addons_announce(s->out, c, on[i]);
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
	.min_args = 1,
	.max_args = KL_ARGS_ANY,
	.args = "a subcommand: list, enable NAME..., disable NAME..., images NAME or configure NAME [KEY=VALUE...]",
	.flags = KL_CMD_NEEDS_HOME,
	.check = check,
	.run = run,
};
