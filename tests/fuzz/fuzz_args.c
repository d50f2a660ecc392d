/*
 * fuzz_args.c: the command line (src/util/args.c) against the real tables: the global
 * options and one command's (the first byte picks it), then that command's check().
 * Input: a byte, then the arguments separated by NUL bytes.
 * Invariants: a parse that succeeds keeps every value of a typed option valid (sizes,
 * durations, whole numbers and booleans are validated once, in the parser, and what
 * the accessors read back is that value); positionals are at most the arguments;
 * check() runs, as in main.c, only on the positional count the command declares;
 * every parsed value belongs to one of the tables; a list option yields no empty item.
 */
#include "kubelaunch/cmd.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/units.h"

#include "fuzz.h"

#define MAX_ARGS 32

static int
in_tables(const struct kl_opt *const *tables, const struct kl_opt *o)
{
	for (; *tables; tables++)
		for (const struct kl_opt *t = *tables; t->name; t++)
			if (t == o)
				return 1;
	return 0;
}

static void
check_value(const struct kl_args *a, const struct kl_optval *v)
{
	const struct kl_opt *o = v->opt;
	long long n;
	char **items;
	size_t count;

	switch (o->type) {
	case KL_OPT_BOOL:
		KL_FUZZ_CHECK(strcmp(v->value, "true") == 0 || strcmp(v->value, "false") == 0);
		KL_FUZZ_CHECK(kl_args_bool(a, o->name) == (strcmp(v->value, "true") == 0));
		break;
	case KL_OPT_INT:
		KL_FUZZ_CHECK(kl_parse_int(v->value, -(1LL << 40), 1LL << 40, &n) == 0);
		KL_FUZZ_CHECK(kl_args_int(a, o->name, -1) == n);
		break;
	case KL_OPT_SIZE:
		KL_FUZZ_CHECK(kl_parse_size_mib(v->value, &n, NULL) == 0);
		KL_FUZZ_CHECK(kl_args_int(a, o->name, -1) == n);
		break;
	case KL_OPT_DURATION:
		KL_FUZZ_CHECK(kl_parse_duration_ms(v->value, &n, NULL) == 0);
		KL_FUZZ_CHECK(kl_args_int(a, o->name, -1) == n);
		break;
	case KL_OPT_LIST:
		count = kl_args_list(a, o->name, &items);
		for (size_t i = 0; i < count; i++)
			KL_FUZZ_CHECK(items[i][0] != '\0' && strchr(items[i], ',') == NULL);
		KL_FUZZ_CHECK(items[count] == NULL);
		kl_strv_free(items);
		break;
	case KL_OPT_STRING:
		KL_FUZZ_CHECK(kl_args_str(a, o->name, NULL) == v->value);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ncmds = 0;
	const struct kl_cmd *cmd;
	char *argv[MAX_ARGS], *buf;
	struct kl_err err = { 0 };
	struct kl_ctx ctx = { .home = "/nonexistent/kubelaunch-fuzz", .profile = "kubelaunch", .lock_fd = -1 };
	struct kl_strbuf help = KL_STRBUF_INIT;
	int argc;

	if (size < 1)
		return 0;
	while (kl_commands[ncmds])
		ncmds++;
	cmd = kl_commands[data[0] % ncmds];
	argc = kl_fuzz_split(data + 1, size - 1, argv, MAX_ARGS, &buf);

	const struct kl_opt *const tables[] = { kl_global_opts, cmd->opts ? cmd->opts : kl_global_opts, NULL };
	if (kl_args_parse(&ctx.args, tables, argc, argv, &err) == 0) {
		KL_FUZZ_CHECK(ctx.args.argc <= argc);
		KL_FUZZ_CHECK(ctx.args.argc == 0 || ctx.args.argv[ctx.args.argc] == NULL);
		for (size_t i = 0; i < ctx.args.nvals; i++) {
			KL_FUZZ_CHECK(in_tables(tables, ctx.args.vals[i].opt));
			check_value(&ctx.args, &ctx.args.vals[i]);
		}
		ctx.cmd = cmd;
		/* As main.c: the declared positionals first, then the command's own check. */
		if (kl_command_check_args(cmd, ctx.args.argc, ctx.args.argv, &err) != 0)
			KL_FUZZ_CHECK(err.reason == KL_R_USAGE && err.msg[0] != '\0');
		else if (cmd->check && cmd->check(&ctx, &err) != 0)
			KL_FUZZ_CHECK(err.msg[0] != '\0');
	} else {
		KL_FUZZ_CHECK(err.msg[0] != '\0');
	}
	kl_args_release(&ctx.args);
	/* The words typed are also looked up as a command, with "did you mean". */
	if (argc > 0 && strlen(argv[0]) < 64) {
		kl_command_find(argv[0]);
		kl_command_suggest(argv[0]);
	}
	kl_command_help(cmd, &help);
	KL_FUZZ_CHECK(help.len > 0);
	kl_strbuf_release(&help);
	free(buf);
	return 0;
}
