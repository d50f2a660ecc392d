/* delete.c: `kubelaunch delete [--all] [--purge]`: the machine, the profile, and
 * with --all --purge what kubelaunch made in $KUBELAUNCH_HOME (a home it created,
 * never another directory). Deleting what does not exist is not an error. */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/out.h"
#include "kubelaunch/xalloc.h"

static const struct kl_opt opts[] = {
	{ "all", 0, KL_OPT_BOOL, NULL, "delete every profile", NULL },
	{ "purge", 0, KL_OPT_BOOL, NULL, "with --all, also remove $KUBELAUNCH_HOME (cache, certificates, logs) if kubelaunch created it", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static int
delete_one(struct kl_ctx *ctx, const char *name, struct kl_err *err)
{
	struct kl_cluster c;
	struct kl_err why;
	int rc;

	if (kl_cluster_open(ctx->home, name, &c, &why) != 0) {
		char *mdir = kl_machine_dir(ctx->home, name), *pdir = kl_profile_dir(ctx->home, name);
		int leftovers = kl_path_exists(mdir) || kl_path_exists(pdir);

		kl_cluster_release(&c);
		free(mdir);
		free(pdir);
		if (why.reason != KL_R_GUEST_NOT_FOUND && why.reason != KL_R_CONFIG_CORRUPT) {
			*err = why;
			return -1;
		}
		if (!leftovers) {
			kl_out_info(ctx->out, "\"%s\" does not exist: nothing to delete", name);
			return 0;
		}
		/* A damaged profile: what still runs is found and stopped without its files. */
		kl_out_warn(ctx->out, "%s: deleting what is left of \"%s\"", why.msg, name);
		if (kl_cluster_delete_damaged(ctx->home, name, &why, err) != 0)
			return -1;
		kl_out_step(ctx->out, 2, 2, "Done", "💀", "Removed all traces of the \"%s\" cluster.", name);
		return 0;
	}
	kl_out_step(ctx->out, 1, 2, "Deleting", "🔥", "Deleting \"%s\" in %s ...", name, c.machine->driver->name);
	rc = kl_cluster_delete(&c, err);
	if (rc == 0)
		kl_out_step(ctx->out, 2, 2, "Done", "💀", "Removed all traces of the \"%s\" cluster.", name);
	kl_cluster_release(&c);
	return rc;
}

static int
delete_all(struct kl_ctx *ctx, struct kl_err *err)
{
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (kl_profile_names(ctx->home, &names, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* main holds the current profile's lock already. */
		int fd = strcmp(names[i], ctx->profile) == 0 ? -1 : kl_profile_lock(ctx->home, names[i], 60000, err);

		if (fd < 0 && strcmp(names[i], ctx->profile) != 0) {
			rc = -1;
			break;
		}
		rc = delete_one(ctx, names[i], err);
		kl_unlock(fd);
	}
	kl_strv_free(names);
	if (rc == 0 && kl_args_bool(&ctx->args, "purge")) {
		int kept = 0;

		kl_out_step(ctx->out, 1, 1, "Purging", "🔥", "Removing %s", ctx->home);
		rc = kl_home_purge(ctx->home, &kept, err);
		if (rc == 0 && kept)
			kl_out_info(ctx->out, "kept '%s' itself: it holds files kubelaunch did not make", ctx->home);
	}
	return rc;
}

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	if (kl_args_bool(&ctx->args, "purge") && !kl_args_bool(&ctx->args, "all"))
		return kl_err_set(err, KL_R_USAGE, "--purge removes everything: use it with --all");
	/* Before anything is created or deleted: a home that is not ours is not purged. */
	if (kl_args_bool(&ctx->args, "purge"))
		return kl_home_purge_check(ctx->home, err);
	return 0;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	return kl_args_bool(&ctx->args, "all") ? delete_all(ctx, err) : delete_one(ctx, ctx->profile, err);
}

const struct kl_cmd kl_cmd_delete = {
	.name = "delete",
	.summary = "Delete the cluster: its machine, profile and kubeconfig entries",
	.usage = "delete [--all] [--purge]",
	.opts = opts,
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NO_ARGS,
	.check = check,
	.run = run,
};
