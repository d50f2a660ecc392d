/* ssh_key.c: `kubelaunch ssh-key`: the path of the machine's private key. */
#include <stdio.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_ssh_endpoint ep = { 0 };
	struct kl_machine *m = ctx->cluster->machine;

	/* The key is known without the machine running: the VM drivers keep it in its dir. */
	if (m->driver->caps & KL_CAP_VM)
		snprintf(ep.key_path, sizeof(ep.key_path), "%s/id_ed25519", m->dir);
	else if (kl_driver_ssh_endpoint(m, &ep, err) != 0)
		return -1;
	printf("%s\n", ep.key_path);
	return 0;
}

const struct kl_cmd kl_cmd_ssh_key = {
	.name = "ssh-key",
	.summary = "Print the path of the machine's SSH private key",
	.usage = "ssh-key",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_CLUSTER,
	.run = run,
};
