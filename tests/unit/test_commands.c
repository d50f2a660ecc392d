/* The command table: every command declares the positionals it takes, and the
 * dispatcher's check refuses one more (and one fewer) with USAGE. */
#include "kubelaunch/cmd.h"
#include "unit.h"

KL_TEST(commands_declare_their_arguments)
{
	char *argv[] = { "a", "b", "c", "d", "e", NULL };
	struct kl_err err;

	for (const struct kl_cmd *const *c = kl_commands; *c; c++) {
		const struct kl_cmd *cmd = *c;

		CHECK(cmd->min_args >= 0 && cmd->min_args <= cmd->max_args);
		/* What takes arguments says what they are, for the usage error. */
		if (cmd->max_args > 0 && cmd->args == NULL)
			kl_unit_fail(__FILE__, __LINE__, "'%s' takes arguments but does not name them", cmd->name);
		if (cmd->min_args <= 4)
			CHECK_INT(kl_command_check_args(cmd, cmd->min_args, argv, &err), 0);
		if (cmd->max_args < 4) {
			err.reason = KL_R_GENERIC;
			CHECK_INT(kl_command_check_args(cmd, cmd->max_args + 1, argv, &err), -1);
			CHECK_INT(err.reason, KL_R_USAGE);
			CHECK(strstr(err.msg, cmd->name) != NULL);
			CHECK(strstr(err.msg, argv[cmd->max_args]) != NULL);
		}
		if (cmd->min_args > 0) {
			err.reason = KL_R_GENERIC;
			CHECK_INT(kl_command_check_args(cmd, cmd->min_args - 1, argv, &err), -1);
			CHECK_INT(err.reason, KL_R_USAGE);
		}
		/* A command that needs a running machine opens it: it needs the home too. */
		if (cmd->flags & (KL_CMD_NEEDS_CLUSTER | KL_CMD_NEEDS_RUNNING))
			CHECK(cmd->flags & KL_CMD_NEEDS_HOME);
	}
}

KL_TEST(commands_machine_commands_take_no_profile_argument)
{
	static const char *const names[] = { "stop", "status", "ip", "pause", "unpause", "start", "delete",
					     "ssh-key", "ssh-host", "update-context", "logs", "version", NULL };
	char *argv[] = { "dev", NULL };
	struct kl_err err;

	for (const char *const *n = names; *n; n++) {
		const struct kl_cmd *cmd = kl_command_find(*n);

		CHECK(cmd != NULL);
		if (cmd == NULL)
			continue;
		CHECK_INT(kl_command_check_args(cmd, 1, argv, &err), -1);
		CHECK(strstr(err.msg, "-p NAME") != NULL);
	}
}
