/*
 * main.c: parse the global options, find the command, run it, print the error, exit.
 * Only this file prints an error and exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/config.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/out.h"
#include "kubelaunch/settings.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"

/* The index of the command name: the first argument that is neither a global
 * option nor a global option's value. 0 when there is none. */
static int
find_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct kl_opt *o = NULL;

		if (strcmp(a, "--") == 0)
			return 0;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		for (const struct kl_opt *g = kl_global_opts; g->name; g++) {
			if (a[1] == '-' && strcmp(a + 2, g->name) == 0)
				o = g;
			else if (a[1] != '-' && a[1] == g->short_name && a[2] == '\0')
				o = g;
		}
		if (o && o->type != KL_OPT_BOOL)
			i++; /* skip the value */
	}
	return 0;
}

static void
open_run_log(struct kl_ctx *ctx)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	char *path;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	path = kl_xasprintf("%s/logs/%s_%s_%d.log", ctx->home, ctx->cmd->name, stamp, (int)getpid());
	kl_log_open(path);
	free(path);
}

/* The profile: -p, else the "profile" config key, else the default. */
static int
choose_profile(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *p = kl_args_str(&ctx->args, "profile", NULL);
	json_t *cfg = NULL;

	if (p) {
		ctx->profile_explicit = 1;
		ctx->profile = kl_xstrdup(p);
	} else if (ctx->home && kl_config_load(ctx->home, &cfg, err) == 0) {
		/* The "profile" key, checked by its row of the settings table like any other. */
		char *path = kl_config_path(ctx->home), *label = kl_xasprintf("'profile' in '%s'", path);
		const struct kl_set_env env = { .home = ctx->home };
		json_t *v = NULL;
		int rc = json_object_get(cfg, "profile") ?
				 kl_setting_check(kl_setting_find("profile"), json_object_get(cfg, "profile"), label,
						  &env, &v, err) : 0;

		ctx->profile = kl_xstrdup(v ? json_string_value(v) : KL_DEFAULT_PROFILE);
		json_decref(v);
		json_decref(cfg);
		free(label);
		free(path);
		/* `config` itself still runs: it is how the value is fixed (config unset profile). */
		if (rc != 0 && strcmp(ctx->cmd->name, "config") != 0) {
			err->reason = KL_R_CONFIG_CORRUPT;
			return -1;
		}
	} else if (ctx->home) {
		return -1;
	} else {
		ctx->profile = kl_xstrdup(KL_DEFAULT_PROFILE);
	}
	return kl_profile_name_check(ctx->profile, err);
}

static int
setup(struct kl_ctx *ctx, int argc, char **argv, struct kl_err *err)
{
	const struct kl_opt *tables[3] = { kl_global_opts, NULL, NULL };
	struct kl_strbuf help = KL_STRBUF_INIT;
	const char *output;
	int at = find_command(argc, argv);

	if (at == 0) {
		ctx->cmd = kl_command_find("help");
	} else {
		ctx->cmd = kl_command_find(argv[at]);
		if (ctx->cmd == NULL) {
			const char *s = kl_command_suggest(argv[at]);
			if (s)
				return kl_err_set(err, KL_R_USAGE_COMMAND,
						  "unknown command '%s'; did you mean '%s'?", argv[at], s);
			return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown command '%s'", argv[at]);
		}
		ctx->out->command = ctx->cmd->name;
		memmove(&argv[at], &argv[at + 1], (size_t)(argc - at) * sizeof(*argv));
		argc--;
	}
	tables[1] = ctx->cmd->opts;
	if (kl_args_parse(&ctx->args, tables, argc - 1, argv + 1, err) != 0)
		return -1;
	/* `kubelaunch --help` is `kubelaunch help`: the list of commands, not help's own usage. */
	if (at != 0 && kl_args_bool(&ctx->args, "help")) {
		kl_command_help(ctx->cmd, &help);
		fputs(help.buf, stdout);
		kl_strbuf_release(&help);
		ctx->cmd = NULL;
		return 0;
	}
	output = kl_args_str(&ctx->args, "output", "text");
	if (strcmp(output, "json") == 0)
		ctx->output = KL_OUTPUT_JSON;
	else if (strcmp(output, "text") != 0)
		return kl_err_set(err, KL_R_USAGE_VALUE, "invalid value '%s' for '--output': use text or json",
				  output);
	ctx->verbosity = (int)kl_args_int(&ctx->args, "v", 0);
	kl_log_set_stderr_level(ctx->verbosity >= 2 ? KL_LOG_DEBUG : ctx->verbosity >= 1 ? KL_LOG_INFO : -1);
	kl_out_init(ctx->out, stdout, stderr, ctx->output == KL_OUTPUT_JSON,
		    kl_args_bool(&ctx->args, "no-emoji"));

	if (kl_command_check_args(ctx->cmd, ctx->args.argc, ctx->args.argv, err) != 0)
		return -1;
	if (ctx->cmd->flags & KL_CMD_NEEDS_HOME) {
		ctx->home = kl_home_resolve(err);
		if (ctx->home == NULL)
			return -1;
		/* Validate before anything is created. */
		if (kl_args_has(&ctx->args, "profile") &&
		    kl_profile_name_check(kl_args_str(&ctx->args, "profile", ""), err) != 0)
			return -1;
		if (ctx->cmd->check && ctx->cmd->check(ctx, err) != 0)
			return -1;
		if (kl_home_ensure(ctx->home, err) != 0)
			return -1;
		open_run_log(ctx);
	}
	if (choose_profile(ctx, err) != 0)
		return -1;
	if (ctx->cmd->flags & KL_CMD_PROFILE_LOCK) {
		/* Another command holds the profile (a start takes minutes): say so, then wait.
		 * A lock that cannot even be opened is that error, not a wait. */
		ctx->lock_fd = kl_profile_lock(ctx->home, ctx->profile, 0, err);
		if (ctx->lock_fd < 0 && errno != EWOULDBLOCK)
			return -1;
		if (ctx->lock_fd < 0) {
			kl_out_info(ctx->out, "Waiting for another kubelaunch command on \"%s\" to finish (up to 10m) ...",
				    ctx->profile);
			ctx->lock_fd = kl_profile_lock(ctx->home, ctx->profile, 10 * 60 * 1000, err);
		}
		if (ctx->lock_fd < 0)
			return -1;
	}
	if (ctx->cmd->flags & (KL_CMD_NEEDS_CLUSTER | KL_CMD_NEEDS_RUNNING)) {
		ctx->cluster = kl_xmalloc(sizeof(*ctx->cluster));
		if ((ctx->cmd->flags & KL_CMD_NEEDS_RUNNING ? kl_cluster_open_running : kl_cluster_open)(
			    ctx->home, ctx->profile, ctx->cluster, err) != 0)
			return -1;
	}
	return 0;
}

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
	/* Let the default action end the process the second time. */
	signal(sig, SIG_DFL);
}

int
main(int argc, char **argv)
{
	struct kl_out out = { 0 };
	struct kl_ctx ctx = { .lock_fd = -1, .out = &out };
	struct kl_err err = { KL_R_GENERIC, "" };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	kl_out_init(&out, stdout, stderr, 0, 0);
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) /* -o json shapes even a usage error */
		if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc)
			out.json = strcmp(argv[i + 1], "json") == 0;
		else if (strcmp(argv[i], "--output=json") == 0 || strcmp(argv[i], "-o=json") == 0 ||
			 strcmp(argv[i], "-ojson") == 0)
			out.json = 1;

	/* run returns -1 with err set, or the exit status (status's bitmask). */
	rc = setup(&ctx, argc, argv, &err);
	if (rc == 0 && ctx.cmd)
		rc = ctx.cmd->run(&ctx, &err);
	if (rc < 0) {
		if (interrupted && err.reason != KL_R_INTERRUPTED)
			kl_err_set(&err, KL_R_INTERRUPTED, "interrupted by signal %d", (int)interrupted);
		kl_log(KL_LOG_ERROR, "%s: %s", kl_reason_id(err.reason), err.msg);
		kl_out_error(&out, &err);
		rc = kl_reason_exit(err.reason);
	}
	fflush(stdout);
	if (ctx.cluster)
		kl_cluster_release(ctx.cluster);
	free(ctx.cluster);
	kl_unlock(ctx.lock_fd);
	kl_log_close();
	kl_args_release(&ctx.args);
	free(ctx.home);
	free(ctx.profile);
	return rc;
}
