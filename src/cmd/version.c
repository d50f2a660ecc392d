/* version.c: `kubelaunch version [--short]`, text or JSON. */
#include <stdio.h>

#include <jansson.h>

#include "kubelaunch/cmd.h"
#include "kubelaunch/version.h"

static const struct kl_opt opts[] = {
	{ "short", 0, KL_OPT_BOOL, NULL, "print the version only", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	(void)err;
	if (ctx->output == KL_OUTPUT_JSON) {
		json_t *v = json_pack("{s:s, s:s, s:s}", "kubelaunchVersion", KL_VERSION, "commit",
				      KL_GIT_COMMIT, "isoVersion", KL_ISO_VERSION);
		json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(v);
	} else if (kl_args_bool(&ctx->args, "short")) {
		printf("%s\n", KL_VERSION);
	} else {
		printf("kubelaunch version: %s\ncommit: %s\nguest image: %s\n", KL_VERSION, KL_GIT_COMMIT,
		       KL_ISO_VERSION);
	}
	return 0;
}

const struct kl_cmd kl_cmd_version = {
	.name = "version",
	.summary = "Print the version of kubelaunch",
	.usage = "version [--short] [-o json]",
	.opts = opts,
	.run = run,
};
