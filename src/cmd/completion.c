/* completion.c: `kubelaunch completion bash|zsh|fish`, generated from the command table. */
#include <stdio.h>
#include <string.h>

#include "kubelaunch/cmd.h"
#include "kubelaunch/strbuf.h"

static const char *const shells[] = { "bash", "zsh", "fish", NULL };

/* "--a --b -p ..." for one command, global options included. */
static void
flag_words(const struct kl_cmd *cmd, struct kl_strbuf *sb)
{
	const struct kl_opt *tables[2] = { kl_global_opts, cmd ? cmd->opts : NULL };

	for (size_t t = 0; t < 2; t++)
		for (const struct kl_opt *o = tables[t]; o && o->name; o++) {
			kl_strbuf_addf(sb, "%s--%s", sb->len ? " " : "", o->name);
			if (o->short_name)
				kl_strbuf_addf(sb, " -%c", o->short_name);
		}
}

static void
sub_words(const struct kl_cmd *cmd, struct kl_strbuf *sb)
{
	for (const char *const *s = cmd->subcommands; s && *s; s++)
		kl_strbuf_addf(sb, "%s%s", sb->len ? " " : "", *s);
}

static void
bash(struct kl_strbuf *sb)
{
	kl_strbuf_addstr(sb, "# bash completion for kubelaunch: source <(kubelaunch completion bash)\n"
			     "_kubelaunch() {\n"
			     "\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmd= i\n"
			     "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
			     "\t\tcase ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac\n"
			     "\tdone\n"
			     "\tcase $cmd in\n");
	for (const struct kl_cmd *const *c = kl_commands; *c; c++) {
		struct kl_strbuf flags = KL_STRBUF_INIT, subs = KL_STRBUF_INIT;

		flag_words(*c, &flags);
		sub_words(*c, &subs);
		kl_strbuf_addf(sb, "\t%s) COMPREPLY=($(compgen -W \"%s%s%s\" -- \"$cur\")) ;;\n", (*c)->name,
			       subs.buf, subs.len ? " " : "", flags.buf);
		kl_strbuf_release(&flags);
		kl_strbuf_release(&subs);
	}
	kl_strbuf_addstr(sb, "\t*) COMPREPLY=($(compgen -W \"");
	for (const struct kl_cmd *const *c = kl_commands; *c; c++)
		if (!((*c)->flags & KL_CMD_HIDDEN))
			kl_strbuf_addf(sb, "%s ", (*c)->name);
	kl_strbuf_addstr(sb, "--help --profile -p -o --output -v --no-emoji\" -- \"$cur\")) ;;\n"
			     "\tesac\n}\ncomplete -F _kubelaunch kubelaunch\n");
}

static void
zsh(struct kl_strbuf *sb)
{
	kl_strbuf_addstr(sb, "#compdef kubelaunch\n"
			     "# zsh completion for kubelaunch: kubelaunch completion zsh > \"${fpath[1]}/_kubelaunch\"\n"
			     "_kubelaunch() {\n"
			     "\tlocal -a commands\n"
			     "\tcommands=(\n");
	for (const struct kl_cmd *const *c = kl_commands; *c; c++)
		if (!((*c)->flags & KL_CMD_HIDDEN))
		{
			struct kl_strbuf item = KL_STRBUF_INIT;

			kl_strbuf_addf(&item, "%s:%s", (*c)->name, (*c)->summary);
			kl_strbuf_addstr(sb, "\t\t");
			kl_strbuf_add_shquoted(sb, item.buf);
			kl_strbuf_addch(sb, '\n');
			kl_strbuf_release(&item);
		}
	kl_strbuf_addstr(sb, "\t)\n"
			     "\tif (( CURRENT == 2 )); then\n"
			     "\t\t_describe 'command' commands\n"
			     "\t\treturn\n"
			     "\tfi\n"
			     "\tcase ${words[2]} in\n");
	for (const struct kl_cmd *const *c = kl_commands; *c; c++) {
		struct kl_strbuf words = KL_STRBUF_INIT;

		sub_words(*c, &words);
		flag_words(*c, &words);
		kl_strbuf_addf(sb, "\t%s) compadd -- %s ;;\n", (*c)->name, words.buf);
		kl_strbuf_release(&words);
	}
	kl_strbuf_addstr(sb, "\tesac\n}\ncompdef _kubelaunch kubelaunch\n");
}

static void
fish(struct kl_strbuf *sb)
{
	kl_strbuf_addstr(sb, "# fish completion for kubelaunch: kubelaunch completion fish | source\n"
			     "complete -c kubelaunch -f\n");
	for (const struct kl_opt *o = kl_global_opts; o->name; o++) {
		kl_strbuf_addf(sb, "complete -c kubelaunch -l %s", o->name);
		if (o->short_name)
			kl_strbuf_addf(sb, " -s %c", o->short_name);
		kl_strbuf_addf(sb, "%s -d ", o->type == KL_OPT_BOOL ? "" : " -r");
		kl_strbuf_add_shquoted(sb, o->help);
		kl_strbuf_addch(sb, '\n');
	}
	for (const struct kl_cmd *const *c = kl_commands; *c; c++) {
		if ((*c)->flags & KL_CMD_HIDDEN)
			continue;
		kl_strbuf_addf(sb, "complete -c kubelaunch -n __fish_use_subcommand -a %s -d ", (*c)->name);
		kl_strbuf_add_shquoted(sb, (*c)->summary);
		kl_strbuf_addch(sb, '\n');
		for (const char *const *s = (*c)->subcommands; s && *s; s++)
			kl_strbuf_addf(sb, "complete -c kubelaunch -n '__fish_seen_subcommand_from %s' -a %s\n",
				       (*c)->name, *s);
		for (const struct kl_opt *o = (*c)->opts; o && o->name; o++) {
			kl_strbuf_addf(sb, "complete -c kubelaunch -n '__fish_seen_subcommand_from %s' -l %s",
				       (*c)->name, o->name);
			if (o->short_name)
				kl_strbuf_addf(sb, " -s %c", o->short_name);
			kl_strbuf_addf(sb, "%s -d ", o->type == KL_OPT_BOOL ? "" : " -r");
			kl_strbuf_add_shquoted(sb, o->help);
			kl_strbuf_addch(sb, '\n');
		}
	}
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	const char *shell = ctx->args.argc == 1 ? ctx->args.argv[0] : "";

	if (strcmp(shell, "bash") == 0)
		bash(&sb);
	else if (strcmp(shell, "zsh") == 0)
		zsh(&sb);
	else if (strcmp(shell, "fish") == 0)
		fish(&sb);
	else
		return kl_err_set(err, KL_R_USAGE, "completion needs one shell: bash, zsh or fish");
	fputs(sb.buf, stdout);
	kl_strbuf_release(&sb);
	return 0;
}

const struct kl_cmd kl_cmd_completion = {
	.name = "completion",
	.summary = "Print a shell completion script (bash, zsh or fish)",
	.usage = "completion bash|zsh|fish",
	.subcommands = shells,
	.min_args = 1,
	.max_args = 1,
	.args = "one shell: bash, zsh or fish",
	.run = run,
};
