/* ip.c: `kubelaunch ip`: the address the host reaches the machine at. */
#include <stdio.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_cluster c;
	char ip[256];
	int rc = -1;

	if (kl_cluster_open_running(ctx->home, ctx->profile, &c, err) != 0)
		goto out;
	if (kl_driver_ip(c.machine, ip, sizeof(ip), err) != 0)
		goto out;
	printf("%s\n", ip);
	rc = 0;
out:
	kl_cluster_release(&c);
	return rc;
}

const struct kl_cmd kl_cmd_ip = {
	.name = "ip",
	.summary = "Print the address the host reaches the machine at",
	.usage = "ip",
	.flags = KL_CMD_NEEDS_HOME,
	.run = run,
};
