/* status.c: `kubelaunch status [-o json]`; the exit code is a bitmask:
 * 1 host not running, 2 cluster not running, 4 kubeconfig/Kubernetes not OK. */
#include <stdio.h>

#include <jansson.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_status st;

	if (kl_cluster_status(ctx->cluster, &st, err) != 0)
		return -1;
	if (ctx->output == KL_OUTPUT_JSON) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "Name", ctx->profile, "Driver",
				      ctx->cluster->machine->driver->name, "Host", st.host, "Kubelet", st.kubelet, "APIServer",
				      st.apiserver, "Kubeconfig", st.kubeconfig, "Worker", 0);
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		printf("%s\ntype: Control Plane\nhost: %s\n", ctx->profile, st.host);
		if (*st.kubelet)
			printf("kubelet: %s\napiserver: %s\nkubeconfig: %s\n", st.kubelet, st.apiserver, st.kubeconfig);
	}
	return st.exit_bits;
}

const struct kl_cmd kl_cmd_status = {
	.name = "status",
	.summary = "Show the state of the cluster (exit code: 1 host, 2 cluster, 4 kubeconfig not OK)",
	.usage = "status [-o json]",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_CLUSTER,
	.run = run,
};
