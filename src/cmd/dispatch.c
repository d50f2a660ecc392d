/* dispatch.c: what main.c checks and opens for every command from its declaration. */
#include "kubelaunch/cmd.h"
#include "kubelaunch/strbuf.h"

int
kl_command_check_args(const struct kl_cmd *cmd, int argc, char *const *argv, struct kl_err *err)
{
	const char *what = cmd->args ? cmd->args : "arguments";

	if (argc > cmd->max_args) {
		if (cmd->max_args == 0)
			return kl_err_set(err, KL_R_USAGE,
					  "'%s' takes no arguments (got '%s'); the profile is given with -p NAME; "
					  "usage: kubelaunch %s", cmd->name, argv[0], cmd->usage);
		return kl_err_set(err, KL_R_USAGE, "'%s' takes at most %d argument%s (%s), got '%s' too; usage: kubelaunch %s",
				  cmd->name, cmd->max_args, cmd->max_args == 1 ? "" : "s", what,
				  argv[cmd->max_args], cmd->usage);
	}
	if (argc < cmd->min_args)
		return kl_err_set(err, KL_R_USAGE, "'%s' needs %s; usage: kubelaunch %s", cmd->name, what,
				  cmd->usage);
	return 0;
}
