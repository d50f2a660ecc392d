/* ip.c: `kubelaunch ip`: the address the host reaches the machine at. */
#include <stdio.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	char ip[256];

	if (kl_driver_ip(ctx->cluster->machine, ip, sizeof(ip), err) != 0)
		return -1;
	printf("%s\n", ip);
	return 0;
}

const struct kl_cmd kl_cmd_ip = {
	.name = "ip",
	.summary = "Print the address the host reaches the machine at",
	.usage = "ip",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_RUNNING,
	.run = run,
};
