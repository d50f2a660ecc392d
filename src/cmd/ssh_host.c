/* ssh_host.c: `kubelaunch ssh-host`: the machine's pinned host key, in known_hosts form. */
#include <stdio.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_ssh_endpoint ep = { 0 };
	struct kl_strbuf sb = KL_STRBUF_INIT;
	int rc = -1;

	if (kl_driver_ssh_endpoint(ctx->cluster->machine, &ep, err) != 0)
		goto out;
	/* Pinned on first contact: connect once if nothing is recorded yet. */
	if (!kl_path_exists(ep.known_hosts))
		kl_runner_free(kl_cluster_connect(ctx->cluster, 30000, err));
	if (kl_read_file(ep.known_hosts, &sb, err) != 0)
		goto out;
	fputs(sb.buf, stdout);
	rc = 0;
out:
	kl_strbuf_release(&sb);
	return rc;
}

const struct kl_cmd kl_cmd_ssh_host = {
	.name = "ssh-host",
	.summary = "Print the machine's SSH host key (pinned on first contact)",
	.usage = "ssh-host",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_RUNNING,
	.run = run,
};
