/* stop.c: `kubelaunch stop`: power the machine down; its disk and the cluster's data stay. */
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/out.h"

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	kl_out_step(ctx->out, 1, 2, "Stopping", "✋", "Stopping node \"%s\" ...", ctx->profile);
	if (kl_cluster_stop(ctx->cluster, err) != 0)
		return -1;
	kl_out_step(ctx->out, 2, 2, "Done", "🛑", "1 node stopped.");
	return 0;
}

const struct kl_cmd kl_cmd_stop = {
	.name = "stop",
	.summary = "Stop the cluster's machine, keeping its data",
	.usage = "stop",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NEEDS_CLUSTER,
	.run = run,
};
