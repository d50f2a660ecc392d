/* stop.c: `kubelaunch stop`: power the machine down; its disk and the cluster's data stay. */
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/out.h"

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_cluster c;
	int rc = -1;

	if (kl_cluster_open(ctx->home, ctx->profile, &c, err) != 0)
		goto out;
	kl_out_step(ctx->out, 1, 2, "Stopping", "✋", "Stopping node \"%s\" ...", ctx->profile);
	if (kl_cluster_stop(&c, err) != 0)
		goto out;
	kl_out_step(ctx->out, 2, 2, "Done", "🛑", "1 node stopped.");
	rc = 0;
out:
	kl_cluster_release(&c);
	return rc;
}

const struct kl_cmd kl_cmd_stop = {
	.name = "stop",
	.summary = "Stop the cluster's machine, keeping its data",
	.usage = "stop",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK,
	.run = run,
};
