/* cmd.h: the command table, option tables and the context a command runs in. */
#ifndef KL_CMD_H
#define KL_CMD_H

#include <stddef.h>

#include "kubelaunch/args.h"
#include "kubelaunch/err.h"

enum kl_output { KL_OUTPUT_TEXT, KL_OUTPUT_JSON };

struct kl_out;
struct kl_cluster;

struct kl_ctx {
	char *home;           /* $KUBELAUNCH_HOME */
	char *profile;        /* -p, else config "profile", else "kubelaunch" */
	int profile_explicit; /* -p was given */
	enum kl_output output;
	int verbosity;
	const struct kl_cmd *cmd;
	struct kl_args args;
	struct kl_out *out;
	int lock_fd;          /* the profile lock, when the command asked for it */
	struct kl_cluster *cluster; /* the profile's cluster, opened for KL_CMD_NEEDS_CLUSTER */
};

/* What a command needs; main.c does the shared opening once, in this order: the
 * positional count (before anything is created), the home, check(), the profile lock,
 * then the cluster. */
enum {
	KL_CMD_NEEDS_HOME = 1 << 0,    /* create/check $KUBELAUNCH_HOME and open a log */
	KL_CMD_PROFILE_LOCK = 1 << 1,  /* take the profile's lock before running */
	KL_CMD_HIDDEN = 1 << 2,
	KL_CMD_NO_ARGS = 0,            /* the default: min_args = max_args = 0 */
	KL_CMD_NEEDS_CLUSTER = 1 << 4, /* open the profile into ctx->cluster (GUEST_NOT_FOUND if none) */
	KL_CMD_NEEDS_RUNNING = 1 << 5, /* ... and its machine must be running (GUEST_NOT_RUNNING) */
};

/* max_args for a command that takes any number of positionals (kubectl, ssh). */
#define KL_ARGS_ANY 1000000

/*
 * One command. Every command declares the positional arguments it takes: 0 and 0 unless
 * set (`kubelaunch stop dev` is a usage error, never `stop` on the default profile), e.g.
 *   .min_args = 1, .max_args = 1, .args = "NAME",
 *   .flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_RUNNING,
 * and run() finds ctx->cluster opened (and released after it) by main.c.
 */
struct kl_cmd {
	const char *name;
	const char *summary;       /* one line, for `help` */
	const char *usage;         /* e.g. "config set|get|unset|view [KEY] [VALUE]" */
	const char *description;   /* a paragraph, or NULL */
	const struct kl_opt *opts; /* NULL or a table ending with { NULL } */
	const char *const *subcommands; /* NULL-terminated, for help and completion */
	unsigned flags;
	int min_args, max_args;    /* positionals taken; KL_ARGS_ANY: no upper bound */
	const char *args;          /* what they are, for the usage error: "NAME", "KEY [VALUE]" */
	/* Optional: validate the arguments before anything is created. */
	int (*check)(struct kl_ctx *ctx, struct kl_err *err);
	/* -1 with err set, or the exit status (0, or status's bitmask). */
	int (*run)(struct kl_ctx *ctx, struct kl_err *err);
};

/* The positional count against what cmd declares: USAGE naming the command, the
 * extra (or missing) argument and the usage line. */
int kl_command_check_args(const struct kl_cmd *cmd, int argc, char *const *argv, struct kl_err *err);

/* The table: every command that works, sorted by name, NULL-terminated. */
extern const struct kl_cmd *const kl_commands[];
/* The global options (-p, -v, -o, --no-emoji, --help). */
extern const struct kl_opt kl_global_opts[];

const struct kl_cmd *kl_command_find(const char *name);
/* The closest command name within a small edit distance, or NULL. */
const char *kl_command_suggest(const char *name);

/* Write `kubelaunch CMD --help` text to a strbuf. */
struct kl_strbuf;
void kl_command_help(const struct kl_cmd *cmd, struct kl_strbuf *sb);

#endif
