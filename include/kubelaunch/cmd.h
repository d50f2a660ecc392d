/* cmd.h: the command table, option tables and the context a command runs in. */
#ifndef KL_CMD_H
#define KL_CMD_H

#include <stddef.h>

#include "kubelaunch/err.h"

enum kl_opt_type {
	KL_OPT_BOOL,     /* --flag, --flag=true|false */
	KL_OPT_STRING,   /* --name VALUE or --name=VALUE */
	KL_OPT_INT,      /* a whole number */
	KL_OPT_SIZE,     /* 4096, 4g, 4GiB: stored as MiB */
	KL_OPT_DURATION, /* 90s, 6m: stored as milliseconds */
	KL_OPT_LIST,     /* repeatable, or comma separated */
};

struct kl_opt {
	const char *name; /* long name, without "--"; NULL ends a table */
	char short_name;  /* 0 for none */
	enum kl_opt_type type;
	const char *arg;  /* the value's placeholder in help, e.g. "NAME" */
	const char *help;
	const char *def;  /* the default shown in help, or NULL */
};

/* One parsed option: its table entry and its value as typed (lists joined). */
struct kl_optval {
	const struct kl_opt *opt;
	char *value;
};

struct kl_args {
	struct kl_optval *vals;
	size_t nvals;
	int argc; /* positional arguments after the command name */
	char **argv;
};

/* Parse argv against one or more option tables (NULL-terminated array).
 * Options and positionals may mix; "--" ends options. */
int kl_args_parse(struct kl_args *args, const struct kl_opt *const *tables, int argc,
		  char **argv, struct kl_err *err);
void kl_args_release(struct kl_args *args);
int kl_args_has(const struct kl_args *args, const char *name);
const char *kl_args_str(const struct kl_args *args, const char *name, const char *def);
int kl_args_bool(const struct kl_args *args, const char *name);
long long kl_args_int(const struct kl_args *args, const char *name, long long def);
/* A list option's items (split on commas); returns the count, *items is a new
 * NULL-terminated array the caller frees with kl_strv_free. */
size_t kl_args_list(const struct kl_args *args, const char *name, char ***items);
void kl_strv_free(char **v);

enum kl_output { KL_OUTPUT_TEXT, KL_OUTPUT_JSON };

struct kl_out;

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
};

enum {
	KL_CMD_NEEDS_HOME = 1 << 0,    /* create/check $KUBELAUNCH_HOME and open a log */
	KL_CMD_PROFILE_LOCK = 1 << 1,  /* take the profile's lock before running */
	KL_CMD_HIDDEN = 1 << 2,
	KL_CMD_NO_ARGS = 1 << 3,       /* positional arguments are a usage error */
};

struct kl_cmd {
	const char *name;
	const char *summary;       /* one line, for `help` */
	const char *usage;         /* e.g. "config set|get|unset|view [KEY] [VALUE]" */
	const char *description;   /* a paragraph, or NULL */
	const struct kl_opt *opts; /* NULL or a table ending with { NULL } */
	const char *const *subcommands; /* NULL-terminated, for help and completion */
	unsigned flags;
	/* Optional: validate the arguments before anything is created. */
	int (*check)(struct kl_ctx *ctx, struct kl_err *err);
	/* -1 with err set, or the exit status (0, or status's bitmask). */
	int (*run)(struct kl_ctx *ctx, struct kl_err *err);
};

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
