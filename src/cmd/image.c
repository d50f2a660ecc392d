/*
 * image.c: `kubelaunch image load FILE... | ls | rm REF...`: images in the node's
 * containerd (namespace k8s.io, the one the kubelet uses), through the machine's
 * runner: this host's own ctr on the none driver, SSH on a VM. This is how an offline
 * user brings an addon's images (then `addons enable NAME --images Name=REF`).
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/node.h"
#include "kubelaunch/out.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

static const char *const subcommands[] = { "load", "ls", "list", "rm", NULL };

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *sub = ctx->args.argc ? ctx->args.argv[0] : NULL;
	struct kl_suggest s;

	if (sub == NULL)
		return kl_err_set(err, KL_R_USAGE, "'image' needs a subcommand: load, ls or rm");
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) /* list: minikube's alias */
		return ctx->args.argc == 1 ? 0 : kl_err_set(err, KL_R_USAGE, "'image' takes no arguments after '%s'", sub);
	if (strcmp(sub, "load") == 0 || strcmp(sub, "rm") == 0) {
		if (ctx->args.argc < 2)
			return kl_err_set(err, KL_R_USAGE, "'image %s' needs at least one %s", sub,
					  strcmp(sub, "load") == 0 ? "archive file" : "image reference");
		for (int i = 1; strcmp(sub, "load") == 0 && i < ctx->args.argc; i++)
			if (!kl_path_exists(ctx->args.argv[i]) || kl_is_dir(ctx->args.argv[i]))
				return kl_err_set(err, KL_R_USAGE_VALUE, "'%s' is not an image archive file (docker save or OCI)",
						  ctx->args.argv[i]);
		return 0;
	}
	kl_suggest_init(&s, sub);
	for (size_t i = 0; subcommands[i]; i++)
		kl_suggest_try(&s, subcommands[i]);
	if (s.best)
		return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown image subcommand '%s'; did you mean '%s'?", sub, s.best);
	return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown image subcommand '%s'", sub);
}

/* `ctr -n k8s.io ARGS...` on the machine as root; a failure is RUNTIME_IMAGE. */
static int
ctr(struct kl_runner *r, struct kl_run_result *res, struct kl_err *err, const char *const *args)
{
	const char *argv[16] = { "ctr", "-n", "k8s.io" };
	struct kl_run_opts o = { .timeout_ms = 10 * 60 * 1000, .sudo = 1 };
	size_t n = 3;

	for (; *args && n < KL_ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	return kl_runner_check(r, argv, &o, res, KL_R_RUNTIME_IMAGE, err);
}

static int
load(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_runner *r, struct kl_err *err)
{
	int local = (c->machine->driver->caps & KL_CAP_HOST) != 0;

	for (int i = 1; i < ctx->args.argc; i++) {
		char *src = realpath(ctx->args.argv[i], NULL), *copy = kl_xstrdup(ctx->args.argv[i]);
		char *dst = local ? NULL : kl_xasprintf(KL_NODE_DIR "/image-load/%s", basename(copy));
		const char *import[] = { "images", "import", "--digests", NULL, NULL };
		struct kl_run_result res;
		int rc;

		kl_run_result_init(&res);
		kl_out_info(ctx->out, "Loading %s into '%s' ...", ctx->args.argv[i], ctx->profile);
		/* On this host the node reads the file in place; a VM gets a copy first. */
		rc = src ? 0 : kl_err_errno(err, KL_R_USAGE_VALUE, "cannot read '%s'", ctx->args.argv[i]);
		if (rc == 0 && dst)
			rc = kl_runner_copy_file(r, src, dst, 0600, 1, NULL, err);
		import[3] = dst ? dst : src;
		if (rc == 0)
			rc = ctr(r, &res, err, import);
		if (dst) {
			const char *rm[] = { "rm", "-f", dst, NULL };
			struct kl_run_opts o = { .timeout_ms = 60000, .sudo = 1 };
			struct kl_run_result ignored;

			kl_run_result_init(&ignored);
			kl_runner_run(r, rm, &o, &ignored, NULL);
			kl_run_result_release(&ignored);
		}
		if (rc == 0) {
			kl_strbuf_rtrim(&res.out);
			kl_out_info(ctx->out, "%s", res.out.len ? res.out.buf : "imported");
		}
		kl_run_result_release(&res);
		free(src);
		free(copy);
		free(dst);
		if (rc != 0)
			return kl_err_wrap(err, "cannot load '%s' into '%s'", ctx->args.argv[i], ctx->profile);
	}
	return 0;
}

static int
list(struct kl_ctx *ctx, struct kl_runner *r, struct kl_err *err)
{
	static const char *const ls[] = { "images", "ls", "-q", NULL };
	struct kl_run_result res;
	json_t *doc = json_array();
	char *save = NULL, *line;
	int rc;

	kl_run_result_init(&res);
	rc = ctr(r, &res, err, ls);
	for (line = rc == 0 ? strtok_r(res.out.buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "sha256:", 7) == 0)
			continue;
		if (ctx->output == KL_OUTPUT_JSON)
			json_array_append_new(doc, json_string(line));
		else
			printf("%s\n", line);
	}
	if (rc == 0 && ctx->output == KL_OUTPUT_JSON) {
		json_dumpf(doc, stdout, JSON_COMPACT);
		putchar('\n');
	}
	json_decref(doc);
	kl_run_result_release(&res);
	return rc;
}

static int
remove_images(struct kl_ctx *ctx, struct kl_runner *r, struct kl_err *err)
{
	for (int i = 1; i < ctx->args.argc; i++) {
		const char *rm[] = { "images", "rm", ctx->args.argv[i], NULL };
		struct kl_run_result res;
		int rc;

		kl_run_result_init(&res);
		rc = ctr(r, &res, err, rm);
		kl_run_result_release(&res);
		if (rc != 0)
			return kl_err_wrap(err, "cannot remove image '%s' from '%s'", ctx->args.argv[i], ctx->profile);
		kl_out_info(ctx->out, "Removed %s", ctx->args.argv[i]);
	}
	return 0;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *sub = ctx->args.argv[0];
	struct kl_runner *r;
	int rc;

	if ((r = kl_cluster_connect(ctx->cluster, 30000, err)) == NULL)
		return -1;
	if (strcmp(sub, "load") == 0)
		rc = load(ctx, ctx->cluster, r, err);
	else if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		rc = list(ctx, r, err);
	else
		rc = remove_images(ctx, r, err);
	kl_runner_free(r);
	return rc;
}

const struct kl_cmd kl_cmd_image = {
	.name = "image",
	.summary = "Load, list and remove images in the node's container runtime",
	.usage = "image load FILE... | ls|list [-o json] | rm REF...",
	.description = "load imports docker-save or OCI archives (the image's name in the archive) into the\n"
		       "node's containerd, where the kubelet finds them without pulling: how an offline cluster\n"
		       "gets an addon's images.",
	.subcommands = subcommands,
	.min_args = 1,
	.max_args = KL_ARGS_ANY,
	.args = "a subcommand: load FILE..., ls or rm REF...",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_RUNNING,
	.check = check,
	.run = run,
};
