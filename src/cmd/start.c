/* start.c: `kubelaunch start`: settle the settings, then bring the cluster up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

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
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "addons_cmd.h"

static const struct kl_opt opts[] = {
	{ "driver", 'd', KL_OPT_STRING, "NAME", "qemu, kvm2 (libvirt), none, ssh or vfkit; chosen by health when not given", NULL },
	{ "cpus", 0, KL_OPT_INT, "N", "CPUs of the machine", "2" },
	{ "memory", 0, KL_OPT_SIZE, "SIZE", "memory of the machine (4096, 4g, 4GiB)", "a quarter of the host's, 2-6GiB" },
	{ "disk-size", 0, KL_OPT_SIZE, "SIZE", "size of the machine's data disk", "20g" },
	{ "iso-url", 0, KL_OPT_STRING, "URL", "the guest image (file://, http://, https://), verified against URL.sha256", NULL },
	{ "kubernetes-version", 0, KL_OPT_STRING, "VERSION", "stable, latest or vX.Y.Z", "stable" },
	{ "container-runtime", 0, KL_OPT_STRING, "NAME", "the container runtime", "containerd" },
	{ "apiserver-port", 0, KL_OPT_INT, "PORT", "the API server's port in the machine", "8443" },
	{ "libvirt-uri", 0, KL_OPT_STRING, "URI", "the libvirt connection (kvm2)", "qemu:///system" },
	{ "ssh-ip-address", 0, KL_OPT_STRING, "ADDR", "the machine's address (ssh driver)", NULL },
	{ "ssh-user", 0, KL_OPT_STRING, "USER", "the user to log in as (ssh driver)", "root" },
	{ "ssh-key", 0, KL_OPT_STRING, "PATH", "the private key to log in with (ssh driver)", NULL },
	{ "ssh-port", 0, KL_OPT_INT, "PORT", "the SSH port (ssh driver)", "22" },
	{ "binary-mirror", 0, KL_OPT_STRING, "URL", "where kubeadm, kubelet and kubectl come from (the official layout)", "https://dl.k8s.io/release" },
	{ "image-bundle", 0, KL_OPT_STRING, "DIR", "a directory of image archives to import instead of pulling", NULL },
	{ "image-repository", 0, KL_OPT_STRING, "REPO", "where Kubernetes' images come from", "registry.k8s.io" },
	{ "extra-config", 0, KL_OPT_LIST, "COMPONENT.KEY=VALUE", "extra settings for apiserver, controller-manager, scheduler, etcd, kubelet, kube-proxy", NULL },
	{ "feature-gates", 0, KL_OPT_STRING, "A=true,B=false", "Kubernetes feature gates", NULL },
	{ "apiserver-ips", 0, KL_OPT_LIST, "IP,...", "more IPs for the API server's certificate", NULL },
	{ "apiserver-names", 0, KL_OPT_LIST, "NAME,...", "more names for the API server's certificate", NULL },
	{ "cert-expiration", 0, KL_OPT_DURATION, "DURATION", "how long the certificates are valid", "26280h" },
	{ "embed-certs", 0, KL_OPT_BOOL, NULL, "embed the certificates in the kubeconfig", NULL },
	{ "keep-context", 0, KL_OPT_BOOL, NULL, "do not switch the kubeconfig's current context", NULL },
	{ "dns-upstream", 0, KL_OPT_STRING, "host|none", "where CoreDNS forwards other names: the machine's resolver, or nowhere (the dns addon's 'upstream', kept in the profile)", "host" },
	{ "addons", 0, KL_OPT_LIST, "NAME,...", "addons to enable (kept in the profile; see 'kubelaunch addons list')", NULL },
	{ "download-only", 0, KL_OPT_BOOL, NULL, "fetch and verify what a start needs, then stop", NULL },
	{ "no-kubernetes", 0, KL_OPT_BOOL, NULL, "start the machine only, without Kubernetes", NULL },
	{ "wait", 0, KL_OPT_LIST, "TARGET,...", "what to wait for after the API server: apiserver, system_pods, default_sa, node_ready, kubelet, dns, all or none", "all" },
	{ "wait-timeout", 0, KL_OPT_DURATION, "DURATION", "how long to wait for the machine and its components", "6m" },
	{ "network", 0, KL_OPT_STRING, "builtin|isolated", "the qemu driver's user-mode network: builtin lets the machine reach out through the host; isolated keeps all its traffic inside (the forwards still work)", "builtin" },
	{ "cni", 0, KL_OPT_STRING, "auto|bridge|FILE", "the pod network: the bridge CNI, or a manifest applied with kubectl after init", "auto" },
	{ "dry-run", 0, KL_OPT_BOOL, NULL, "print the steps, the settings and kubeadm.yaml; create, download and change nothing", NULL },
	{ "force", 0, KL_OPT_BOOL, NULL, "turn the driver's health check and the resource checks into warnings", NULL },
	{ "delete-on-failure", 0, KL_OPT_BOOL, NULL, "delete a machine that this start created when the start fails", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

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

/* A quarter of the host's memory, within 2-6 GiB. */
static long long
default_memory_mib(void)
{
	struct sysinfo si;
	long long mib = 4096;

	if (sysinfo(&si) == 0)
		mib = (long long)si.totalram * si.mem_unit / (1024 * 1024) / 4;
	return mib < 2048 ? 2048 : mib > 6144 ? 6144 : mib;
}

/* One setting: the flag, else the user's default (config set), else `def`. */
static json_t *
pick(struct kl_ctx *ctx, json_t *cfg, const char *flag, json_t *def, struct kl_err *err)
{
	const char *v = kl_args_str(&ctx->args, flag, NULL);
	const struct kl_config_key *key = kl_config_key_find(flag);
	json_t *j;

	if (v && key) {
		if (kl_config_value_parse(key, v, &j, err) != 0) {
			json_decref(def);
			return NULL;
		}
		json_decref(def);
		return j;
	}
	if (v) {
		json_decref(def);
		/* Flags without a config key: typed by the option table (validated already). */
		for (const struct kl_opt *o = opts; o->name; o++)
			if (strcmp(o->name, flag) == 0 && o->type != KL_OPT_STRING)
				return json_integer(kl_args_int(&ctx->args, flag, 0));
		return json_string(v);
	}
	if ((j = json_object_get(cfg, flag)) != NULL) {
		json_decref(def);
		return json_incref(j);
	}
	return def;
}

/* The first fields of settle's table: the machine's shape. */
#define SHAPE_FIELDS 3

/* The profile's settings: flags over config defaults over built-in defaults. For an
 * existing profile the machine's shape stays as it was (a warning says so). */
static int
settle(struct kl_ctx *ctx, json_t *existing, json_t **out, struct kl_err *err)
{
	static const struct {
		const char *flag, *field;
	} fields[] = {
		{ "cpus", "CPUs" }, { "memory", "MemoryMiB" }, { "disk-size", "DiskSizeMiB" },
		{ "kubernetes-version", "KubernetesVersion" }, { "container-runtime", "ContainerRuntime" },
		{ "apiserver-port", "APIServerPort" }, { "iso-url", "ISOURL" }, { "libvirt-uri", "LibvirtURI" },
		{ "ssh-ip-address", "SSHIPAddress" }, { "ssh-user", "SSHUser" }, { "ssh-key", "SSHKey" },
		{ "ssh-port", "SSHPort" }, { "cni", "CNI" }, { "network", "Network" },
	};
	json_t *cfg = NULL, *s = existing ? json_deep_copy(existing) : json_object();
	int rc = -1;

	if (kl_config_load(ctx->home, &cfg, err) != 0)
		goto out;
	for (size_t i = 0; i < KL_ARRAY_SIZE(fields); i++) {
		const char *f = fields[i].field;
		json_t *def = json_object_get(s, f) ? json_incref(json_object_get(s, f)) :
			      strcmp(f, "CPUs") == 0 ? json_integer(2) :
			      strcmp(f, "MemoryMiB") == 0 ? json_integer(default_memory_mib()) :
			      strcmp(f, "DiskSizeMiB") == 0 ? json_integer(20480) :
			      strcmp(f, "KubernetesVersion") == 0 ? json_string("stable") :
			      strcmp(f, "ContainerRuntime") == 0 ? json_string("containerd") :
			      strcmp(f, "APIServerPort") == 0 ? json_integer(8443) :
			      strcmp(f, "ISOURL") == 0 ? json_string(kl_image_default_url()) : NULL;
		json_t *v;

		/* An existing machine keeps its shape. */
		if (existing && json_object_get(existing, f) && i < SHAPE_FIELDS) {
			if (kl_args_has(&ctx->args, fields[i].flag))
				kl_out_warn(ctx->out, "'%s' exists: its %s cannot change; delete it first to change it",
					    ctx->profile, fields[i].flag);
			json_decref(def);
			continue;
		}
		if ((v = pick(ctx, existing ? NULL : cfg, fields[i].flag, def, err)) == NULL &&
		    kl_args_has(&ctx->args, fields[i].flag))
			goto out;
		if (v)
			json_object_set_new(s, f, v);
	}
	if (kl_args_bool(&ctx->args, "no-kubernetes"))
		json_object_set_new(s, "NoKubernetes", json_true());
	if (json_integer_value(json_object_get(s, "CPUs")) < 2 && !forced(ctx, "'--cpus' is below 2")) {
		kl_err_set(err, KL_R_RSRC_CORES, "'--cpus' must be at least 2");
		goto out;
	}
	if (json_integer_value(json_object_get(s, "MemoryMiB")) < 1800 && !forced(ctx, "'--memory' is below 1800MiB")) {
		kl_err_set(err, KL_R_RSRC_MEMORY, "'--memory' must be at least 1800MiB");
		goto out;
	}
	*out = json_incref(s);
	rc = 0;
out:
	json_decref(cfg);
	json_decref(s);
	return rc;
}

/* The driver: an existing profile keeps its own (a different --driver is a warning,
 * never a silent switch); else --driver, the config default, or the best healthy one. */
static const struct kl_driver_ops *
choose_driver(struct kl_ctx *ctx, json_t *existing, struct kl_err *err)
{
	const char *want = kl_args_str(&ctx->args, "driver", NULL), *have = kl_json_str(existing, "Driver");
	const struct kl_driver_ops *d;
	json_t *cfg = NULL;
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
	if (want == NULL) {
		if (kl_config_load(ctx->home, &cfg, err) != 0)
			return NULL;
		want = kl_json_str(cfg, "driver");
	}
	if (want) {
		d = kl_driver_find(want);
		if (d == NULL) {
			struct kl_suggest s;

			kl_suggest_init(&s, want);
			for (const struct kl_driver_ops *const *x = kl_drivers; *x; x++)
				kl_suggest_try(&s, (*x)->name);
			kl_err_set(err, KL_R_DRIVER_NOT_FOUND, "unknown driver '%s'%s%s%s", want,
				   s.best ? "; did you mean '" : "", s.best ? s.best : "", s.best ? "'?" : "");
		} else {
			kl_out_step(ctx->out, 1, 4, "Selecting Driver", "✨",
				    "Using the %s driver based on user configuration", d->name);
			d = driver_checked(ctx, d, err);
		}
		json_decref(cfg);
		return d;
	}
	json_decref(cfg);
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

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *dns = kl_args_str(&ctx->args, "dns-upstream", "host"), *cni, *net;
	char **extra = NULL, **waits = NULL;
	unsigned mask;
	struct stat sb;
	int rc;

	if (strcmp(dns, "host") != 0 && strcmp(dns, "none") != 0)
		return kl_err_set(err, KL_R_USAGE_VALUE, "invalid value '%s' for '--dns-upstream': use host or none", dns);
	net = kl_args_str(&ctx->args, "network", "builtin");
	if (strcmp(net, "builtin") != 0 && strcmp(net, "isolated") != 0)
		return kl_err_set(err, KL_R_USAGE_VALUE, "invalid value '%s' for '--network': use builtin or isolated", net);
	cni = kl_args_str(&ctx->args, "cni", "auto");
	if (strcmp(cni, "auto") != 0 && strcmp(cni, "bridge") != 0 && (stat(cni, &sb) != 0 || !S_ISREG(sb.st_mode)))
		return kl_err_set(err, KL_R_USAGE_VALUE, "invalid value '%s' for '--cni': use auto, bridge or a "
				  "manifest file that exists", cni);
	if (kl_args_has(&ctx->args, "wait")) {
		kl_args_list(&ctx->args, "wait", &waits);
		rc = kl_wait_parse((const char *const *)waits, &mask, err);
		kl_strv_free(waits);
		if (rc != 0)
			return -1;
	}
	if (kl_args_has(&ctx->args, "addons") && check_addons(ctx, err) != 0)
		return -1;
	kl_args_list(&ctx->args, "extra-config", &extra);
	rc = kl_kubeadm_check_options((const char *const *)extra, kl_args_str(&ctx->args, "feature-gates", NULL), err);
	kl_strv_free(extra);
	return rc;
}

/* --dry-run: what a start would do and with what, and the kubeadm.yaml it would
 * render; nothing is created, downloaded or changed. */
static int
dry_run(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_start_opts *so, int existed, struct kl_err *err)
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
			       json_is_true(json_object_get(c->machine->state, "KubeadmDone")) ? "init phases (restart)" :
			       "init", so->cni && strcmp(so->cni, "auto") && strcmp(so->cni, "bridge") ?
			       "the CNI manifest" : "the bridge CNI");
		kl_strbuf_addf(&steps, "Verifying: waiting for %s (at most %d s)\n", waits, so->wait_timeout_ms / 1000);
		if (kl_kubernetes_plan(c, so, &yaml, &guessed, err) != 0 || kl_kubeconfig_path(&kubeconfig, err) != 0)
			goto out;
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		j = json_pack("{s:b, s:s, s:b, s:s, s:O, s:s}", "DryRun", 1, "Profile", ctx->profile, "Exists", existed,
			      "Steps", steps.buf, "Settings", c->profile.cfg, "KubeadmConfig", yaml.buf);
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
	json_t *settings = NULL;
	const struct kl_driver_ops *d;
	struct kl_start_opts so = { 0 };
	json_t *cfg_defaults = NULL;
	char **extra = NULL, **ips = NULL, **names = NULL, **addons = NULL;
	struct kl_cmd_addons_start as = { 0 };
	int rc = -1, existed = kl_profile_exists(ctx->home, ctx->profile);

	if (existed && kl_profile_load(ctx->home, ctx->profile, &old, err) != 0)
		goto out;
	if (kl_config_load(ctx->home, &cfg_defaults, err) != 0)
		goto out;
	if ((d = choose_driver(ctx, old.cfg, err)) == NULL)
		goto out;
	if (settle(ctx, old.cfg, &settings, err) != 0)
		goto out;
	kl_cluster_init(ctx->home, ctx->profile, settings, d, &c);
	so.out = ctx->out;
	so.wait_timeout_ms = (int)kl_args_int(&ctx->args, "wait-timeout", 6 * 60 * 1000);
	so.no_kubernetes = json_is_true(json_object_get(settings, "NoKubernetes"));
	so.download_only = kl_args_bool(&ctx->args, "download-only");
	so.binary_mirror = kl_args_str(&ctx->args, "binary-mirror", kl_json_str(cfg_defaults, "binary-mirror"));
	so.image_bundle = kl_args_str(&ctx->args, "image-bundle", kl_json_str(cfg_defaults, "image-bundle"));
	so.image_repository = kl_args_str(&ctx->args, "image-repository", kl_json_str(cfg_defaults, "image-repository"));
	so.feature_gates = kl_args_str(&ctx->args, "feature-gates", NULL);
	so.cert_expiration_ms = kl_args_int(&ctx->args, "cert-expiration", kl_json_int(cfg_defaults, "cert-expiration", 0));
	so.embed_certs = kl_args_bool(&ctx->args, "embed-certs") || json_is_true(json_object_get(cfg_defaults, "embed-certs"));
	so.keep_context = kl_args_bool(&ctx->args, "keep-context") || json_is_true(json_object_get(cfg_defaults, "keep-context"));
	kl_args_list(&ctx->args, "addons", &addons);
	as.names = (const char *const *)addons;
	for (as.nnames = 0; addons && addons[as.nnames]; as.nnames++)
		;
	as.dns_upstream = kl_args_has(&ctx->args, "dns-upstream") ? kl_args_str(&ctx->args, "dns-upstream", NULL) : NULL;
	as.timeout_ms = so.wait_timeout_ms;
	as.out = ctx->out;
	so.addons = kl_cmd_addons_start;
	so.addons_arg = &as;
	so.force = kl_args_bool(&ctx->args, "force");
	/* A manifest is recorded by its full path: a restart applies it again from anywhere. */
	if ((so.cni = kl_json_str(settings, "CNI")) && strcmp(so.cni, "auto") != 0 && strcmp(so.cni, "bridge") != 0) {
		char *abs = realpath(so.cni, NULL);

		if (abs)
			json_object_set_new(settings, "CNI", json_string(abs));
		free(abs);
		so.cni = kl_json_str(settings, "CNI");
	}
	if (kl_args_has(&ctx->args, "wait")) {
		char **w = NULL;

		kl_args_list(&ctx->args, "wait", &w);
		kl_wait_parse((const char *const *)w, &so.wait, NULL); /* checked in check() */
		kl_strv_free(w);
	}
	kl_args_list(&ctx->args, "extra-config", &extra);
	kl_args_list(&ctx->args, "apiserver-ips", &ips);
	kl_args_list(&ctx->args, "apiserver-names", &names);
	so.extra_config = (const char *const *)extra;
	so.apiserver_ips = (const char *const *)ips;
	so.apiserver_names = (const char *const *)names;
	if (kl_args_bool(&ctx->args, "dry-run")) {
		rc = dry_run(ctx, &c, &so, existed, err);
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
	kl_strv_free(extra);
	kl_strv_free(ips);
	kl_strv_free(names);
	kl_strv_free(addons);
	json_decref(cfg_defaults);
	kl_cluster_release(&c);
	kl_profile_release(&old);
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
