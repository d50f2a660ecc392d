/* kubectl.c: `kubelaunch kubectl -- ARGS`: the kubectl of the profile's Kubernetes
 * version, on the profile's context, in place of this process (stdin, stdout and the
 * exit status are kubectl's own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/config.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"

/* The cached kubectl of `version` (kl_binary_names: kubeadm, kubelet, kubectl), fetched
 * from the configured mirror when it is missing. A new string. */
static char *
kubectl_path(const char *home, const char *version, struct kl_err *err)
{
	struct kl_artifacts_opts ao = { .home = home };
	struct kl_binaries b = { 0 };
	json_t *cfg = NULL;
	char *path = NULL;

	if (kl_config_load(home, &cfg, err) != 0)
		return NULL;
	ao.mirror = kl_json_str(cfg, "binary-mirror");
	if (kl_binaries_fetch(&ao, version, &b, err) == 0)
		for (int i = 0; i < KL_BINARY_COUNT; i++)
			if (strcmp(kl_binary_names[i], "kubectl") == 0)
				path = kl_xstrdup(b.paths[i]);
	kl_binaries_release(&b);
	json_decref(cfg);
	return path;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_cluster *c = ctx->cluster;
	const char *version;
	char *kubectl = NULL, *kubeconfig = NULL;
	int rc = -1;

	version = kl_profile_str(&c->profile, "KubernetesVersion", NULL);
	if (json_is_true(json_object_get(c->profile.cfg, "NoKubernetes")) || version == NULL || version[0] != 'v') {
		kl_err_set(err, KL_R_K8S, "'%s' runs no Kubernetes (it was started with --no-kubernetes, or "
			   "never finished a start): start it with Kubernetes first, 'kubelaunch delete -p %s' then "
			   "'kubelaunch start -p %s'", ctx->profile, ctx->profile, ctx->profile);
		goto out;
	}
	if ((kubectl = kubectl_path(ctx->home, version, err)) == NULL || kl_kubeconfig_path(&kubeconfig, err) != 0)
		goto out;
	kl_strvec_push(&argv, kubectl);
	/* Ours first: a --context or --kubeconfig the user gives comes later and wins. */
	kl_strvec_pushf(&argv, "--kubeconfig=%s", kubeconfig);
	kl_strvec_pushf(&argv, "--context=%s", ctx->profile);
	for (int i = 0; i < ctx->args.argc; i++)
		kl_strvec_push(&argv, ctx->args.argv[i]);
	fflush(NULL);
	execv(kubectl, argv.v);
	kl_err_errno(err, KL_R_HOST, "cannot run '%s'", kubectl);
out:
	kl_strvec_clear(&argv);
	free(kubeconfig);
	free(kubectl);
	return rc;
}

const struct kl_cmd kl_cmd_kubectl = {
	.name = "kubectl",
	.summary = "Run the cluster's own kubectl on its context",
	.usage = "kubectl -- [ARG...]",
	.description = "Runs the kubectl of the profile's Kubernetes version (from the cache, fetched when\n"
		       "missing) with --context=<profile> and the kubeconfig kubelaunch writes. Put the\n"
		       "arguments after '--' so that kubectl's flags are not taken for kubelaunch's:\n"
		       "  kubelaunch kubectl -- get pods -A -o wide",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_CLUSTER,
	.max_args = KL_ARGS_ANY,
	.args = "kubectl's arguments",
	.run = run,
};
