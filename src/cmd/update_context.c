/* update_context.c: `kubelaunch update-context`: point our kubeconfig cluster (and the
 * profile's record) at the API server's address as the driver gives it now, after the
 * machine's IP or forwarded port changed. Says whether anything changed. */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/out.h"
#include "kubelaunch/xalloc.h"

/* Our entry is gone from the kubeconfig: add it again from the profile's certificates
 * (by path), leaving the current context alone. */
static int
readd_entry(struct kl_ctx *ctx, const char *path, const char *server, struct kl_err *err)
{
	struct kl_kubeconfig_entry e = { .profile = ctx->profile, .server = server };
	char *ca = kl_xasprintf("%s/certs/ca.crt", ctx->home);
	char *crt = kl_xasprintf("%s/profiles/%s/certs/client.crt", ctx->home, ctx->profile);
	char *key = kl_xasprintf("%s/profiles/%s/certs/client.key", ctx->home, ctx->profile);
	int rc = -1;

	if (!kl_path_exists(ca) || !kl_path_exists(crt) || !kl_path_exists(key)) {
		kl_err_set(err, KL_R_K8S_KUBECONFIG, "'%s' has no cluster '%s' and the profile's certificates are "
			   "missing: run 'kubelaunch start -p %s'", path, ctx->profile, ctx->profile);
		goto out;
	}
	e.ca_path = ca;
	e.cert_path = crt;
	e.key_path = key;
	rc = kl_kubeconfig_merge(path, &e, 1, err);
out:
	free(key);
	free(crt);
	free(ca);
	return rc;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_kubeconfig_info info = { 0 };
	struct kl_endpoint ep = { .port = 0 };
	struct kl_cluster *c = ctx->cluster;
	const char *recorded;
	char *path = NULL, *server = NULL;
	int rc = -1, kubeconfig_ok, profile_ok;

	if (json_is_true(json_object_get(c->profile.cfg, "NoKubernetes"))) {
		kl_err_set(err, KL_R_K8S, "'%s' runs no Kubernetes (--no-kubernetes): there is no context to "
			   "update", ctx->profile);
		goto out;
	}
	if (kl_driver_endpoint(c->machine, c->machine->spec.apiserver_port, &ep, err) != 0 ||
	    kl_kubeconfig_path(&path, err) != 0)
		goto out;
	server = kl_xasprintf("https://%s:%d", ep.host, ep.port);
	if (kl_path_exists(path) && kl_kubeconfig_read(path, ctx->profile, &info, err) != 0)
		goto out;
	recorded = kl_profile_str(&c->profile, "APIServer", NULL);
	kubeconfig_ok = info.server && strcmp(info.server, server) == 0;
	profile_ok = recorded && strcmp(recorded, server) == 0;
	if (!kubeconfig_ok) {
		if (info.server ? kl_kubeconfig_update_server(path, ctx->profile, server, err) != 0 :
				  readd_entry(ctx, path, server, err) != 0)
			goto out;
	}
	if (!profile_ok) {
		json_object_set_new(c->profile.cfg, "APIServer", json_string(server));
		if (kl_profile_save(ctx->home, &c->profile, err) != 0)
			goto out;
	}
	if (kubeconfig_ok && profile_ok)
		kl_out_info(ctx->out, "\"%s\" context is already pointing to %s: nothing changed", ctx->profile, server);
	else if (!kubeconfig_ok)
		kl_out_info(ctx->out, "\"%s\" context has been updated to point to %s (it was %s)", ctx->profile, server,
			    info.server ? info.server : "missing");
	else
		kl_out_info(ctx->out, "\"%s\" profile has been updated to record %s (the context was right)",
			    ctx->profile, server);
	rc = 0;
out:
	kl_kubeconfig_info_release(&info);
	free(server);
	free(path);
	return rc;
}

const struct kl_cmd kl_cmd_update_context = {
	.name = "update-context",
	.summary = "Point the kubeconfig's context at the cluster's current address",
	.usage = "update-context",
	.description = "After the machine's IP or forwarded port changed, sets the profile's cluster\n"
		       "server in the kubeconfig (and the profile's record) to the API server's address\n"
		       "as the driver reports it now. Only our cluster entry changes.",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NEEDS_RUNNING,
	.run = run,
};
