/* service.c: `kubelaunch service NAME [-n NS] [--url]`: where the host reaches a
 * service's node ports: one URL per port, through the driver's endpoint (a forward on
 * 127.0.0.1 for qemu, the node's own address on the host and over SSH). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/json.h"
#include "kubelaunch/node.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/strvec.h"

static const struct kl_opt opts[] = {
	{ "namespace", 'n', KL_OPT_STRING, "NS", "the service's namespace", "default" },
	{ "url", 0, KL_OPT_BOOL, NULL, "print the URLs (what this command always does: it opens no browser)", NULL },
	{ "https", 0, KL_OPT_BOOL, NULL, "https:// URLs instead of http://", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* The service as JSON, from the machine's kubectl. */
static int
get_service(struct kl_cluster *c, const char *ns, const char *name, json_t **svc, struct kl_err *err)
{
	const char *version = kl_profile_str(&c->profile, "KubernetesVersion", "");
	struct kl_run_opts ro = { .timeout_ms = 60000, .sudo = 1 };
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_run_result res;
	struct kl_runner *r;
	json_error_t je;
	int rc = -1;

	kl_run_result_init(&res);
	if ((r = kl_cluster_connect(c, 30000, err)) == NULL)
		goto out;
	kl_strvec_pushf(&argv, "%s/%s/kubectl", KL_NODE_BIN_DIR, version);
	kl_strvec_push(&argv, "--kubeconfig=" KL_NODE_ADMIN_CONF);
	kl_strvec_pushf(&argv, "--namespace=%s", ns);
	kl_strvec_push(&argv, "get");
	kl_strvec_push(&argv, "service");
	kl_strvec_push(&argv, name);
	kl_strvec_push(&argv, "--output=json");
	if (kl_runner_run(r, kl_strvec_argv(&argv), &ro, &res, err) != 0)
		goto out;
	if (res.status != 0) {
		kl_strbuf_rtrim(&res.err);
		kl_err_set(err, strstr(res.err.buf, "NotFound") ? KL_R_SVC_NOT_FOUND : KL_R_SVC,
			   "service '%s' in namespace '%s': %s", name, ns, res.err.buf);
		goto out;
	}
	if ((*svc = json_loads(res.out.buf, 0, &je)) == NULL) {
		kl_err_set(err, KL_R_SVC, "kubectl's answer for service '%s' is not JSON: %s", name, je.text);
		goto out;
	}
	rc = 0;
out:
	kl_run_result_release(&res);
	kl_strvec_clear(&argv);
	kl_runner_free(r);
	return rc;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *ns = kl_args_str(&ctx->args, "namespace", "default"), *name = ctx->args.argv[0];
	const char *scheme = kl_args_bool(&ctx->args, "https") ? "https" : "http";
	struct kl_cluster *c = ctx->cluster;
	json_t *svc = NULL, *port;
	size_t i, n = 0;
	int rc = -1;

	if (get_service(c, ns, name, &svc, err) != 0)
		goto out;
	json_array_foreach(json_object_get(json_object_get(svc, "spec"), "ports"), i, port) {
		int node_port = (int)kl_json_int(port, "nodePort", 0);
		struct kl_endpoint ep;

		if (node_port <= 0)
			continue;
		if (kl_driver_endpoint(c->machine, node_port, &ep, err) != 0)
			goto out;
		printf("%s://%s:%d\n", scheme, ep.host, ep.port);
		n++;
	}
	if (n == 0) {
		kl_err_set(err, KL_R_SVC_NO_NODE_PORT, "service '%s' in namespace '%s' has no node port (type %s)",
			   name, ns, kl_json_str(json_object_get(svc, "spec"), "type") ?
				     kl_json_str(json_object_get(svc, "spec"), "type") : "unknown");
		goto out;
	}
	rc = 0;
out:
	json_decref(svc);
	return rc;
}

const struct kl_cmd kl_cmd_service = {
	.name = "service",
	.summary = "Print the URLs the host reaches a service's node ports at",
	.usage = "service NAME [-n NAMESPACE] [--url] [--https]",
	.description = "For each node port of the service (type NodePort or LoadBalancer), the address "
		       "the host reaches it at: the node's address on the none and ssh drivers, a forward on "
		       "127.0.0.1 added while the machine runs for qemu.",
	.opts = opts,
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NEEDS_RUNNING, /* it may add a forward to state.json */
	.min_args = 1,
	.max_args = 1,
	.args = "one service NAME",
	.run = run,
};
