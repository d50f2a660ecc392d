/* start.c: `kubelaunch start`: settle the settings, then bring the cluster up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <jansson.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/config.h"
#include "kubelaunch/home.h"
#include "kubelaunch/image.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kubeadm.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/node.h"
#include "kubelaunch/out.h"
#include "kubelaunch/settings.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "addons_cmd.h"

/* What start does besides its settings (src/cmd/settings.c gives the rest). */
static const struct kl_opt actions[] = {
	{ "addons", 0, KL_OPT_LIST, "NAME,...", "addons to enable (kept in the profile; see 'kubelaunch addons list')", NULL },
	{ "download-only", 0, KL_OPT_BOOL, NULL, "fetch and verify what a start needs, then stop", NULL },
	{ "dry-run", 0, KL_OPT_BOOL, NULL, "print the steps, the settings and kubeadm.yaml; create, download and change nothing", NULL },
	{ "force", 0, KL_OPT_BOOL, NULL, "turn the driver's health check and the resource checks into warnings", NULL },
	{ "delete-on-failure", 0, KL_OPT_BOOL, NULL, "delete a machine that this start created when the start fails", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* The settings that are flags, then the actions: what help, the man page, completion
 * and the parser see. */
static struct kl_opt opts[64];

__attribute__((constructor)) static void
build_opts(void)
{
	kl_settings_opts(opts, KL_ARRAY_SIZE(opts), actions);
}

/* --force: a check that fails is a warning instead. */
static int
forced(struct kl_ctx *ctx, const char *what)
{
	if (!kl_args_bool(&ctx->args, "force"))
		return 0;
	kl_out_warn(ctx->out, "--force: going on although %s", what);
	return 1;
}

/* The driver must be usable; with --force a failed health check is only a warning
 * (a driver for another OS is still refused). */
static const struct kl_driver_ops *
driver_checked(struct kl_ctx *ctx, const struct kl_driver_ops *d, struct kl_err *err)
{
	if (kl_driver_check(d, err) == 0)
		return d;
	return err->reason != KL_R_DRIVER_UNSUPPORTED_OS && forced(ctx, err->msg) ? d : NULL;
}

/* A flag that the existing profile overrides: its machine's shape stays. */
static void
kept(void *data, const struct kl_setting *st)
{
	struct kl_ctx *ctx = data;

	kl_out_warn(ctx->out, "'%s' exists: its %s cannot change; delete it first to change it", ctx->profile,
		    st->name);
}

/* Every setting, once: flags over the profile's record over `config set` defaults over
 * the table's. With home NULL, the flags alone (checked before anything is created). */
static int
decode(struct kl_ctx *ctx, const char *home, json_t *existing, struct kl_settings *set, struct kl_err *err)
{
	struct kl_settings_src src = { .flags = &ctx->args, .profile = existing, .profile_name = ctx->profile,
				       .env = { .home = ctx->home }, .kept = kept, .data = ctx };
	json_t *cfg = NULL;
	int rc;

	if (home && kl_config_load(home, &cfg, err) != 0)
		return -1;
	src.config = cfg;
	src.config_path = home ? kl_config_path(home) : NULL;
	rc = kl_settings_decode(set, &src, err);
	free((char *)src.config_path);
	json_decref(cfg);
	return rc;
}

/* The driver: an existing profile keeps its own (a different --driver is a warning,
 * never a silent switch); else --driver, the config default, or the best healthy one. */
static const struct kl_driver_ops *
choose_driver(struct kl_ctx *ctx, json_t *existing, const char *want, struct kl_err *err)
{
	const char *have = kl_json_str(existing, "Driver");
	const struct kl_driver_ops *d;
	char why[512];

	if (have) {
		d = kl_driver_find(have);
		if (want && d && kl_driver_find(want) != d)
			kl_out_warn(ctx->out, "the existing '%s' cluster was created with the %s driver, not %s; "
				    "using %s. To change it: kubelaunch delete -p %s", ctx->profile, d->name, want,
				    d->name, ctx->profile);
		if (d == NULL) {
			kl_err_set(err, KL_R_CONFIG_CORRUPT, "profile '%s' names an unknown driver '%s'", ctx->profile, have);
			return NULL;
		}
		kl_out_step(ctx->out, 1, 4, "Selecting Driver", "✨", "Using the %s driver based on existing profile",
			    d->name);
		return driver_checked(ctx, d, err);
	}
	if (want) {
		/* The settings table checked the name. */
		d = kl_driver_find(want);
		kl_out_step(ctx->out, 1, 4, "Selecting Driver", "✨", "Using the %s driver based on user configuration",
			    d->name);
		return driver_checked(ctx, d, err);
	}
	if ((d = kl_driver_choose(why, sizeof(why), err)) != NULL)
		kl_out_step(ctx->out, 1, 4, "Selecting Driver", "✨", "Using the %s driver: %s", d->name, why);
	return d;
}

/* --addons names addons there are, each once. */
static int
check_addons(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_addon_set set;
	const struct kl_addon **found = NULL;
	char **names = NULL;
	size_t n = kl_args_list(&ctx->args, "addons", &names);
	int rc = kl_addons_load(&set, err);

	if (rc == 0)
		rc = kl_cmd_addons_resolve(&set, (const char *const *)names, n, &found, err);
	free(found);
	kl_strv_free(names);
	if (set.v)
		kl_addons_release(&set);
	return rc;
}

/* One warning per addon named with --addons whose project asks for more memory or
 * CPUs than the machine gets (istio: Istio's guide for minikube); the none driver's
 * machine is this host. */
static void
warn_recommends(struct kl_ctx *ctx, const struct kl_driver_ops *d, const struct kl_settings *set)
{
	struct kl_addon_set addons;
	char **names = NULL;
	int host = (d->caps & KL_CAP_HOST) != 0;
	long long mem = host ? kl_host_memory_mib() : set->memory_mib;
	int cpus = host ? (int)sysconf(_SC_NPROCESSORS_ONLN) : set->cpus;
	struct kl_err ignored;

	if (kl_args_list(&ctx->args, "addons", &names) == 0 || kl_addons_load(&addons, &ignored) != 0) {
		kl_strv_free(names);
		return;
	}
	for (size_t i = 0; names[i]; i++) {
		const struct kl_addon *a = kl_addons_find(&addons, names[i]);
		struct kl_strbuf why = KL_STRBUF_INIT;

		if (a && kl_addon_short_of(a, mem, cpus, host, &why))
			kl_out_warn(ctx->out, "%s", why.buf);
		kl_strbuf_release(&why);
	}
	kl_addons_release(&addons);
	kl_strv_free(names);
}

/* Every flag's value, before anything is created. */
static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_settings set;

	if (decode(ctx, NULL, NULL, &set, err) != 0)
		return -1;
	kl_settings_release(&set);
	if (kl_args_has(&ctx->args, "addons") && check_addons(ctx, err) != 0)
		return -1;
	return 0;
}

/* --dry-run: what a start would do and with what, and the kubeadm.yaml it would
 * render; nothing is created, downloaded or changed. */
static int
dry_run(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_start_opts *so, const struct kl_settings *set, int existed,
	struct kl_err *err)
{
	const struct kl_driver_ops *d = c->machine->driver;
	const char *want = kl_profile_str(&c->profile, "KubernetesVersion", "stable");
	struct kl_strbuf yaml = KL_STRBUF_INIT, steps = KL_STRBUF_INIT;
	char *waits = kl_wait_names(so->wait == KL_WAIT_NONE ? KL_WAIT_APISERVER : so->wait), *kubeconfig = NULL;
	enum kl_machine_state st = KL_STATE_NONEXISTENT;
	const char *key;
	json_t *v, *j = NULL;
	int guessed = 0, rc = -1;

	/* stable and latest are resolved from the mirror at start: no request here. */
	so->kubernetes_version = kl_xstrdup(want[0] == 'v' ? want : want[0] >= '0' && want[0] <= '9' ?
					    "" : KL_K8S_DEFAULT_VERSION);
	if (so->kubernetes_version[0] == '\0') {
		free(so->kubernetes_version);
		so->kubernetes_version = kl_xasprintf("v%s", want);
	}
	if (kl_driver_state(c->machine, &st, NULL) != 0)
		st = KL_STATE_NONEXISTENT;
	if (d->caps & KL_CAP_VM)
		kl_strbuf_addf(&steps, "Checking Image: %s\n", kl_profile_str(&c->profile, "ISOURL", ""));
	if (!so->no_kubernetes)
		kl_strbuf_addf(&steps, "Downloading Artifacts: kubeadm, kubelet, kubectl %s from %s\n",
			       so->kubernetes_version, so->binary_mirror ? so->binary_mirror : KL_K8S_RELEASE_URL);
	kl_strbuf_addf(&steps, "%s: the %s machine \"%s\" (%s now)\n", st == KL_STATE_NONEXISTENT ? "Creating Machine" :
		       st == KL_STATE_RUNNING ? "Updating Running" : "Restarting", d->name, ctx->profile,
		       kl_machine_state_name(st));
	if (!(d->caps & KL_CAP_HOST))
		kl_strbuf_addstr(&steps, "Waiting for SSH\n");
	if (!so->no_kubernetes) {
		kl_strbuf_addf(&steps, "Preparing Kubernetes: certificates, containerd, kubeadm %s, RBAC, %s\n",
			       json_is_true(json_object_get(c->state, "KubeadmDone")) ? "init phases (restart)" :
			       "init", so->cni && strcmp(so->cni, "auto") && strcmp(so->cni, "bridge") ?
			       "the CNI manifest" : "the bridge CNI");
		kl_strbuf_addf(&steps, "Verifying: waiting for %s (at most %d s)\n", waits, so->wait_timeout_ms / 1000);
		if (kl_kubernetes_plan(c, so, &yaml, &guessed, err) != 0 || kl_kubeconfig_path(&kubeconfig, err) != 0)
			goto out;
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		j = json_pack("{s:b, s:s, s:b, s:s, s:O, s:O, s:s}", "DryRun", 1, "Profile", ctx->profile, "Exists",
			      existed, "Steps", steps.buf, "Settings", c->profile.cfg, "Options", set->values,
			      "KubeadmConfig", yaml.buf);
		json_dumpf(j, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		putchar('\n');
		rc = 0;
		goto out;
	}
	printf("Dry run: nothing was created, downloaded or changed.\n\nSteps a start would take:\n");
	for (char *line = strtok(steps.buf, "\n"); line; line = strtok(NULL, "\n"))
		printf("  %s\n", line);
	printf("\nSettings (profile \"%s\"%s):\n", ctx->profile, existed ? ", existing" : ", new");
	json_object_foreach(c->profile.cfg, key, v) {
		char *text = json_is_string(v) ? kl_xstrdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);

		printf("  %s: %s\n", key, text);
		free(text);
	}
	if (!so->no_kubernetes) {
		printf("  Kubeconfig: %s (context \"%s\"%s)\n", kubeconfig, ctx->profile,
		       so->keep_context ? ", current context kept" : "");
		if (strcmp(want, so->kubernetes_version) != 0)
			printf("  (\"%s\" is resolved from the mirror at start; shown with %s)\n", want,
			       so->kubernetes_version);
		if (guessed)
			printf("  (the node's address is known once the machine boots; shown with a placeholder)\n");
		printf("\nkubeadm.yaml (%s on the machine):\n%s", KL_NODE_KUBEADM_YAML, yaml.buf);
	}
	rc = 0;
out:
	json_decref(j);
	free(kubeconfig);
	free(waits);
	kl_strbuf_release(&steps);
	kl_strbuf_release(&yaml);
	return rc;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_cluster c = { 0 };
	struct kl_profile old = { 0 };
	struct kl_settings set = { 0 };
	json_t *settings = NULL;
	const struct kl_driver_ops *d;
	struct kl_start_opts so = { 0 };
	char **addons = NULL;
	struct kl_cmd_addons_start as = { 0 };
	int rc = -1, existed = kl_profile_exists(ctx->home, ctx->profile);

	if (existed && kl_profile_load(ctx->home, ctx->profile, &old, err) != 0)
		goto out;
	if (decode(ctx, ctx->home, old.cfg, &set, err) != 0)
		goto out;
	if ((d = choose_driver(ctx, old.cfg, set.driver, err)) == NULL)
		goto out;
	warn_recommends(ctx, d, &set);
	/* The profile keeps what it had and records the saved settings. */
	settings = old.cfg ? json_deep_copy(old.cfg) : json_object();
	kl_settings_save(&set, settings);
	if (kl_cluster_init(ctx->home, ctx->profile, settings, d, &c, err) != 0)
		goto out;
	so.out = ctx->out;
	so.wait_timeout_ms = (int)set.wait_timeout_ms; /* at most 24h: the table's range */
	so.no_kubernetes = set.no_kubernetes;
	so.download_only = kl_args_bool(&ctx->args, "download-only");
	so.binary_mirror = set.binary_mirror;
	so.image_bundle = set.image_bundle;
	so.preload = set.preload;
	so.image_repository = set.image_repository;
	so.feature_gates = set.feature_gates;
	so.cert_expiration_ms = set.cert_expiration_ms;
	so.embed_certs = set.embed_certs;
	so.keep_context = set.keep_context;
	kl_args_list(&ctx->args, "addons", &addons);
	as.names = (const char *const *)addons;
	for (as.nnames = 0; addons && addons[as.nnames]; as.nnames++)
		;
	/* The dns addon's upstream: the settled --dns-upstream (flag, config, profile). */
	as.dns_upstream = set.dns_upstream;
	as.timeout_ms = so.wait_timeout_ms;
	as.out = ctx->out;
	as.wait = &so.wait;
	so.addons = kl_cmd_addons_start;
	so.addons_arg = &as;
	so.force = kl_args_bool(&ctx->args, "force");
	so.supervise = kl_supervise_spawn;
	so.cni = set.cni;
	kl_wait_parse((const char *const *)set.wait, &so.wait, NULL); /* the table checked it */
	so.extra_config = (const char *const *)set.extra_config;
	so.apiserver_ips = (const char *const *)set.apiserver_ips;
	so.apiserver_names = (const char *const *)set.apiserver_names;
	if (kl_args_bool(&ctx->args, "dry-run")) {
		rc = dry_run(ctx, &c, &so, &set, existed, err);
		goto out;
	}
	rc = kl_cluster_start(&c, &so, err);
	if (rc != 0 && !existed && kl_args_bool(&ctx->args, "delete-on-failure")) {
		struct kl_err ignored;

		kl_out_warn(ctx->out, "deleting '%s' after the failed start (--delete-on-failure)", ctx->profile);
		kl_cluster_delete(&c, &ignored);
	}
out:
	kl_start_opts_release(&so);
	kl_strv_free(addons);
	kl_cluster_release(&c);
	kl_profile_release(&old);
	kl_settings_release(&set);
	json_decref(settings);
	return rc;
}

const struct kl_cmd kl_cmd_start = {
	.name = "start",
	.summary = "Start a local Kubernetes cluster",
	.usage = "start [--driver NAME] [--kubernetes-version V] [--binary-mirror URL] [--image-bundle DIR] ...",
	.opts = opts,
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NO_ARGS,
	.check = check,
	.run = run,
};
