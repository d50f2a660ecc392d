/* table.c: the command table; the dispatcher only looks names up here. */
#include <string.h>

#include "kubelaunch/cmd.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/units.h"

extern const struct kl_cmd kl_cmd_addons;
extern const struct kl_cmd kl_cmd_cache;
extern const struct kl_cmd kl_cmd_completion;
extern const struct kl_cmd kl_cmd_config;
extern const struct kl_cmd kl_cmd_dashboard;
extern const struct kl_cmd kl_cmd_delete;
extern const struct kl_cmd kl_cmd_help;
extern const struct kl_cmd kl_cmd_image;
extern const struct kl_cmd kl_cmd_ip;
extern const struct kl_cmd kl_cmd_kubectl;
extern const struct kl_cmd kl_cmd_logs;
extern const struct kl_cmd kl_cmd_pause;
extern const struct kl_cmd kl_cmd_profile;
extern const struct kl_cmd kl_cmd_proxy;
extern const struct kl_cmd kl_cmd_service;
extern const struct kl_cmd kl_cmd_ssh;
extern const struct kl_cmd kl_cmd_ssh_host;
extern const struct kl_cmd kl_cmd_ssh_key;
extern const struct kl_cmd kl_cmd_start;
extern const struct kl_cmd kl_cmd_status;
extern const struct kl_cmd kl_cmd_stop;
extern const struct kl_cmd kl_cmd_supervise;
extern const struct kl_cmd kl_cmd_tunnel;
extern const struct kl_cmd kl_cmd_unpause;
extern const struct kl_cmd kl_cmd_update_context;
extern const struct kl_cmd kl_cmd_version;

/* Sorted by name. Adding a command: one new file and one line here. */
const struct kl_cmd *const kl_commands[] = {
	&kl_cmd_addons,
	&kl_cmd_cache,
	&kl_cmd_completion,
	&kl_cmd_config,
	&kl_cmd_dashboard,
	&kl_cmd_delete,
	&kl_cmd_help,
	&kl_cmd_image,
	&kl_cmd_ip,
	&kl_cmd_kubectl,
	&kl_cmd_logs,
	&kl_cmd_pause,
	&kl_cmd_profile,
	&kl_cmd_proxy,
	&kl_cmd_service,
	&kl_cmd_ssh,
	&kl_cmd_ssh_host,
	&kl_cmd_ssh_key,
	&kl_cmd_start,
	&kl_cmd_status,
	&kl_cmd_stop,
	&kl_cmd_supervise,
	&kl_cmd_tunnel,
	&kl_cmd_unpause,
	&kl_cmd_update_context,
	&kl_cmd_version,
	NULL,
};

const struct kl_opt kl_global_opts[] = {
	{ "profile", 'p', KL_OPT_STRING, "NAME", "the profile to act on", "kubelaunch" },
	{ "v", 'v', KL_OPT_INT, "N", "log verbosity: 1 info, 2 debug, also on stderr", "0" },
	{ "output", 'o', KL_OPT_STRING, "FORMAT", "text or json", "text" },
	{ "no-emoji", 0, KL_OPT_BOOL, NULL, "plain text even on a terminal", NULL },
	{ "help", 'h', KL_OPT_BOOL, NULL, "show help", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

const struct kl_cmd *
kl_command_find(const char *name)
{
	for (const struct kl_cmd *const *c = kl_commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

const char *
kl_command_suggest(const char *name)
{
	struct kl_suggest s;

	kl_suggest_init(&s, name);
	for (const struct kl_cmd *const *c = kl_commands; *c; c++)
		if (!((*c)->flags & KL_CMD_HIDDEN))
			kl_suggest_try(&s, (*c)->name);
	return s.best;
}

static void
opt_lines(const struct kl_opt *opts, struct kl_strbuf *sb)
{
	for (const struct kl_opt *o = opts; o && o->name; o++) {
		struct kl_strbuf left = KL_STRBUF_INIT;

		if (o->short_name)
			kl_strbuf_addf(&left, "-%c, ", o->short_name);
		else
			kl_strbuf_addstr(&left, "    ");
		kl_strbuf_addf(&left, "--%s", o->name);
		if (o->type != KL_OPT_BOOL)
			kl_strbuf_addf(&left, " %s", o->arg ? o->arg : "VALUE");
		kl_strbuf_addf(sb, "  %-30s %s", left.buf, o->help);
		if (o->def)
			kl_strbuf_addf(sb, " (default %s)", o->def);
		kl_strbuf_addch(sb, '\n');
		kl_strbuf_release(&left);
	}
}

void
kl_command_help(const struct kl_cmd *cmd, struct kl_strbuf *sb)
{
	kl_strbuf_addf(sb, "%s\n\nUsage:\n  kubelaunch %s\n", cmd->summary, cmd->usage);
	if (cmd->description)
		kl_strbuf_addf(sb, "\n%s\n", cmd->description);
	if (cmd->opts && cmd->opts->name) {
		kl_strbuf_addstr(sb, "\nOptions:\n");
		opt_lines(cmd->opts, sb);
	}
	kl_strbuf_addstr(sb, "\nGlobal options:\n");
	opt_lines(kl_global_opts, sb);
}
