/* pause.c: `kubelaunch pause` and `unpause`: freeze and thaw the machine where the
 * driver can (qemu, kvm2, vfkit). One file: the two are mirror images. */
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/out.h"

static int
toggle(struct kl_ctx *ctx, int pause, struct kl_err *err)
{
	struct kl_machine *m = ctx->cluster->machine;

	if ((pause ? kl_driver_pause(m, err) : kl_driver_unpause(m, err)) != 0)
		return -1;
	kl_out_step(ctx->out, 1, 1, pause ? "Paused" : "Unpaused", pause ? "⏸" : "⏯", "%s \"%s\"",
		    pause ? "Paused" : "Unpaused", ctx->profile);
	return 0;
}

static int
run_pause(struct kl_ctx *ctx, struct kl_err *err)
{
	return toggle(ctx, 1, err);
}

static int
run_unpause(struct kl_ctx *ctx, struct kl_err *err)
{
	return toggle(ctx, 0, err);
}

const struct kl_cmd kl_cmd_pause = {
	.name = "pause",
	.summary = "Freeze the machine (qemu, kvm2 and vfkit drivers)",
	.usage = "pause",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NEEDS_CLUSTER,
	.run = run_pause,
};

const struct kl_cmd kl_cmd_unpause = {
	.name = "unpause",
	.summary = "Thaw a paused machine",
	.usage = "unpause",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NEEDS_CLUSTER,
	.run = run_unpause,
};
