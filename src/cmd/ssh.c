/* ssh.c: `kubelaunch ssh [-- CMD ...]`: a shell on the machine, or one command whose
 * output streams back and whose exit status becomes ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/strvec.h"

static void
relay(void *arg, int fd, const char *buf, size_t len)
{
	(void)arg;
	fwrite(buf, 1, len, fd == 2 ? stderr : stdout);
	fflush(fd == 2 ? stderr : stdout);
}

/* An interactive session through OpenSSH's client, pinned to the recorded host key. */
static int
interactive(struct kl_cluster *c, struct kl_err *err)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_ssh_endpoint ep = { 0 };
	char *ssh = kl_find_program("ssh");

	if (kl_driver_ssh_endpoint(c->machine, &ep, err) != 0) {
		free(ssh);
		return -1;
	}
	if (ssh == NULL)
		return kl_err_set(err, KL_R_HOST, "an interactive session needs OpenSSH's client (ssh); "
				  "install it, or run one command: kubelaunch ssh -- CMD");
	/* Connect once through the runner so that the host key is pinned. */
	kl_runner_free(kl_cluster_connect(c, 30000, err));
	kl_strvec_push(&argv, ssh);
	kl_strvec_push(&argv, "-t");
	kl_strvec_pushf(&argv, "-oUserKnownHostsFile=%s", ep.known_hosts);
	kl_strvec_push(&argv, "-oStrictHostKeyChecking=yes");
	kl_strvec_push(&argv, "-oIdentitiesOnly=yes");
	kl_strvec_push(&argv, "-oLogLevel=ERROR");
	kl_strvec_push(&argv, "-i");
	kl_strvec_push(&argv, ep.key_path);
	kl_strvec_push(&argv, "-p");
	kl_strvec_pushf(&argv, "%d", ep.addr.port);
	kl_strvec_pushf(&argv, "%s@%s", ep.user, ep.addr.host);
	fflush(NULL);
	execv(ssh, argv.v);
	kl_err_errno(err, KL_R_HOST, "cannot run '%s'", ssh);
	kl_strvec_clear(&argv);
	free(ssh);
	return -1;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_run_opts opts = { .on_output = relay };
	struct kl_run_result res;
	struct kl_runner *r = NULL;
	struct kl_cluster *c = ctx->cluster;
	int rc = -1;

	kl_run_result_init(&res);
	if (ctx->args.argc == 0) {
		if (c->machine->driver->caps & KL_CAP_HOST) {
			kl_err_set(err, KL_R_UNSUPPORTED, "'%s' is this host (the none driver): there is nothing to ssh to",
				   ctx->profile);
			goto out;
		}
		rc = interactive(c, err);
		goto out;
	}
	if ((r = kl_cluster_connect(c, 30000, err)) == NULL)
		goto out;
	if (kl_runner_run(r, (const char *const *)ctx->args.argv, &opts, &res, err) != 0)
		goto out;
	rc = res.status;
out:
	kl_runner_free(r);
	kl_run_result_release(&res);
	return rc;
}

const struct kl_cmd kl_cmd_ssh = {
	.name = "ssh",
	.summary = "Log in to the machine, or run one command there",
	.usage = "ssh [-- COMMAND [ARG...]]",
	.description = "With no command, opens an interactive shell with OpenSSH's client, pinned to the\n"
		       "machine's recorded host key. With a command, runs it and exits with its status.",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_RUNNING,
	.max_args = KL_ARGS_ANY,
	.args = "COMMAND [ARG...]",
	.run = run,
};
