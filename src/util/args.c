/* args.c: table-driven option parsing; values are validated here, once. */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/args.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

static const struct kl_opt *
find_long(const struct kl_opt *const *tables, const char *name, size_t len)
{
	for (; *tables; tables++)
		for (const struct kl_opt *o = *tables; o->name; o++)
			if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
				return o;
	return NULL;
}

static const struct kl_opt *
find_short(const struct kl_opt *const *tables, char c)
{
	for (; *tables; tables++)
		for (const struct kl_opt *o = *tables; o->name; o++)
			if (o->short_name == c)
				return o;
	return NULL;
}

static int
unknown_flag(const struct kl_opt *const *tables, const char *flag, struct kl_err *err)
{
	const char *name = flag + strspn(flag, "-");
	char *bare = kl_xstrndup(name, strcspn(name, "="));
	struct kl_suggest s;
	int rc;

	kl_suggest_init(&s, bare);
	for (; *tables; tables++)
		for (const struct kl_opt *o = *tables; o->name; o++)
			kl_suggest_try(&s, o->name);
	if (s.best)
		rc = kl_err_set(err, KL_R_USAGE_FLAG, "unknown flag '%s'; did you mean '--%s'?", flag,
				s.best);
	else
		rc = kl_err_set(err, KL_R_USAGE_FLAG, "unknown flag '%s'", flag);
	free(bare);
	return rc;
}

static int
check_value(const struct kl_opt *o, const char *value, struct kl_err *err)
{
	long long n;

	switch (o->type) {
	case KL_OPT_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false"))
			return kl_err_set(err, KL_R_USAGE_VALUE,
					  "invalid value '%s' for '--%s': use true or false", value, o->name);
		return 0;
	case KL_OPT_INT:
		if (kl_parse_int(value, -(1LL << 40), 1LL << 40, &n) != 0)
			return kl_err_set(err, KL_R_USAGE_VALUE,
					  "invalid value '%s' for '--%s': use a whole number", value, o->name);
		return 0;
	case KL_OPT_SIZE:
		if (kl_parse_size_mib(value, &n, err) != 0)
			return kl_err_wrap(err, "'--%s'", o->name);
		return 0;
	case KL_OPT_DURATION:
		if (kl_parse_duration_ms(value, &n, err) != 0)
			return kl_err_wrap(err, "'--%s'", o->name);
		return 0;
	case KL_OPT_STRING:
	case KL_OPT_LIST:
		return 0;
	}
	return 0;
}

static void
set_value(struct kl_args *args, const struct kl_opt *o, const char *value)
{
	for (size_t i = 0; i < args->nvals; i++) {
		struct kl_optval *v = &args->vals[i];
		if (v->opt != o)
			continue;
		if (o->type == KL_OPT_LIST) {
			char *joined = kl_xasprintf("%s,%s", v->value, value);
			free(v->value);
			v->value = joined;
		} else {
			free(v->value);
			v->value = kl_xstrdup(value);
		}
		return;
	}
	args->vals = kl_xrealloc(args->vals, (args->nvals + 1) * sizeof(*args->vals));
	args->vals[args->nvals].opt = o;
	args->vals[args->nvals].value = kl_xstrdup(value);
	args->nvals++;
}

static void
add_positional(struct kl_args *args, const char *arg)
{
	args->argv = kl_xrealloc(args->argv, (size_t)(args->argc + 2) * sizeof(*args->argv));
	args->argv[args->argc++] = kl_xstrdup(arg);
	args->argv[args->argc] = NULL;
}

int
kl_args_parse(struct kl_args *args, const struct kl_opt *const *tables, int argc, char **argv,
	      struct kl_err *err)
{
	int i, only_positional = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *value = NULL;
		const struct kl_opt *o;

		if (only_positional || a[0] != '-' || a[1] == '\0') {
			add_positional(args, a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');

			o = find_long(tables, name, eq ? (size_t)(eq - name) : strlen(name));
			if (o == NULL)
				return unknown_flag(tables, a, err);
			if (eq)
				value = eq + 1;
		} else {
			o = find_short(tables, a[1]);
			if (o == NULL)
				return unknown_flag(tables, a, err);
			if (a[2] == '=')
				value = a + 3;
			else if (a[2] != '\0')
				value = a + 2;
		}
		if (value == NULL) {
			if (o->type == KL_OPT_BOOL)
				value = "true";
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return kl_err_set(err, KL_R_USAGE_VALUE, "flag '%s' needs a value%s%s", a,
						  o->arg ? ": " : "", o->arg ? o->arg : "");
		}
		if (check_value(o, value, err) != 0)
			return -1;
		set_value(args, o, value);
	}
	return 0;
}

void
kl_args_release(struct kl_args *args)
{
	for (size_t i = 0; i < args->nvals; i++)
		free(args->vals[i].value);
	free(args->vals);
	kl_strv_free(args->argv);
	memset(args, 0, sizeof(*args));
}

static const char *
lookup(const struct kl_args *args, const char *name)
{
	for (size_t i = 0; i < args->nvals; i++)
		if (strcmp(args->vals[i].opt->name, name) == 0)
			return args->vals[i].value;
	return NULL;
}

int
kl_args_has(const struct kl_args *args, const char *name)
{
	return lookup(args, name) != NULL;
}

const char *
kl_args_str(const struct kl_args *args, const char *name, const char *def)
{
	const char *v = lookup(args, name);

	return v ? v : def;
}

int
kl_args_bool(const struct kl_args *args, const char *name)
{
	const char *v = lookup(args, name);

	return v != NULL && strcmp(v, "true") == 0;
}

long long
kl_args_int(const struct kl_args *args, const char *name, long long def)
{
	const char *v = lookup(args, name);
	long long n;

	if (v == NULL)
		return def;
	for (size_t i = 0; i < args->nvals; i++) {
		const struct kl_opt *o = args->vals[i].opt;
		if (strcmp(o->name, name) != 0)
			continue;
		if (o->type == KL_OPT_SIZE && kl_parse_size_mib(v, &n, NULL) == 0)
			return n;
		if (o->type == KL_OPT_DURATION && kl_parse_duration_ms(v, &n, NULL) == 0)
			return n;
	}
	return kl_parse_int(v, -(1LL << 40), 1LL << 40, &n) == 0 ? n : def;
}

size_t
kl_args_list(const struct kl_args *args, const char *name, char ***items)
{
	const char *v = lookup(args, name);
	size_t n = 0;

	*items = kl_xcalloc(1, sizeof(**items));
	while (v && *v) {
		size_t len = strcspn(v, ",");
		if (len > 0) {
			*items = kl_xrealloc(*items, (n + 2) * sizeof(**items));
			(*items)[n++] = kl_xstrndup(v, len);
			(*items)[n] = NULL;
		}
		v += len;
		if (*v == ',')
			v++;
	}
	return n;
}

void
kl_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
