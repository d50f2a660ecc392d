/* args.h: table-driven option parsing (util: knows nothing of commands). */
#ifndef KL_ARGS_H
#define KL_ARGS_H

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

#endif
