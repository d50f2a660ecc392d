/* config.c: `kubelaunch config set|get|unset|view`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kubelaunch/cmd.h"
#include "kubelaunch/config.h"
#include "kubelaunch/out.h"
#include "kubelaunch/settings.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

static const char *const subcommands[] = { "set", "get", "unset", "view", "keys", NULL };

static int
usage(const char *why, struct kl_err *err)
{
	return kl_err_set(err, KL_R_USAGE, "%s; usage: kubelaunch config set|get|unset|view [KEY] [VALUE]",
			  why);
}

/* A hand-edited file may hold anything: what is printed is printable (in place). */
static const char *
printable(struct kl_strbuf *sb)
{
	struct kl_strbuf out = KL_STRBUF_INIT;

	kl_strbuf_add_printable(&out, sb->buf);
	kl_strbuf_reset(sb);
	kl_strbuf_addstr(sb, out.buf);
	kl_strbuf_release(&out);
	return sb->buf;
}

/* A key `config set` takes: a row of the settings table with KL_SETF_CONFIG. */
static const struct kl_setting *
key_find(const char *name, struct kl_err *err)
{
	const struct kl_setting *s = kl_setting_find(name);

	if (s == NULL || !(s->flags & KL_SETF_CONFIG)) {
		kl_setting_unknown(name, err);
		return NULL;
	}
	return s;
}

static int
set(struct kl_ctx *ctx, const char *name, const char *value, struct kl_err *err)
{
	const struct kl_setting *key = key_find(name, err);
	struct kl_set_env env = { .home = ctx->home };
	char *label;
	json_t *v = NULL;
	int rc;

	if (key == NULL)
		return -1;
	label = kl_xasprintf("'%s'", key->name);
	rc = kl_setting_parse(key, value, label, &env, &v, err);
	free(label);
	if (rc == 0)
		rc = kl_config_update(ctx->home, key->name, v, err);
	json_decref(v);
	return rc;
}

static int
get(struct kl_ctx *ctx, const char *name, struct kl_err *err)
{
	const struct kl_setting *key = key_find(name, err);
	struct kl_strbuf sb = KL_STRBUF_INIT;
	json_t *cfg = NULL, *v;

	if (key == NULL)
		return -1;
	if (kl_config_load(ctx->home, &cfg, err) != 0)
		return -1;
	v = json_object_get(cfg, name);
	if (v == NULL) {
		json_decref(cfg);
		return kl_err_set(err, KL_R_CONFIG_KEY, "config key '%s' is not set", name);
	}
	kl_setting_format(key, v, &sb);
	printf("%s\n", printable(&sb));
	kl_strbuf_release(&sb);
	json_decref(cfg);
	return 0;
}

static int
view(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	json_t *cfg = NULL, *v;
	const char *name;

	if (kl_config_load(ctx->home, &cfg, err) != 0)
		return -1;
	if (ctx->output == KL_OUTPUT_JSON) {
		json_dumpf(cfg, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		json_object_foreach(cfg, name, v) {
			kl_strbuf_reset(&sb);
			kl_strbuf_addf(&sb, "%s: ", name);
			kl_setting_format(kl_setting_find(name), v, &sb);
			printf("- %s\n", printable(&sb));
		}
	}
	kl_strbuf_release(&sb);
	json_decref(cfg);
	return 0;
}

/* The keys, from the settings table; with -o json each with its default and an example. */
static int
keys(struct kl_ctx *ctx)
{
	json_t *all = json_array();

	for (const struct kl_setting *k = kl_settings_table; k->name; k++) {
		if (!(k->flags & KL_SETF_CONFIG))
			continue;
		if (ctx->output == KL_OUTPUT_TEXT)
			printf("%-20s %s\n", k->name, k->help);
		json_array_append_new(all, json_pack("{s:s, s:s, s:s?, s:s?, s:b}", "name", k->name, "example",
						     k->example, "default", k->shown ? k->shown : k->def, "field",
						     k->field, "flag", (k->flags & KL_SETF_FLAG) != 0));
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		json_dumpf(all, stdout, JSON_COMPACT);
		putchar('\n');
	}
	json_decref(all);
	return 0;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	int argc = ctx->args.argc;
	char **argv = ctx->args.argv;
	struct kl_suggest s;

	if (argc == 0)
		return usage("config needs a subcommand", err);
	if (strcmp(argv[0], "set") == 0) {
		if (argc != 3)
			return usage("config set needs a KEY and a VALUE", err);
		if (set(ctx, argv[1], argv[2], err) != 0)
			return -1;
		if (ctx->output == KL_OUTPUT_JSON)
			kl_out_info(ctx->out, "%s set", argv[1]);
		return 0;
	}
	if (strcmp(argv[0], "unset") == 0) {
		if (argc != 2)
			return usage("config unset needs a KEY", err);
		return key_find(argv[1], err) ? kl_config_update(ctx->home, argv[1], NULL, err) : -1;
	}
	if (strcmp(argv[0], "get") == 0) {
		if (argc != 2)
			return usage("config get needs a KEY", err);
		return get(ctx, argv[1], err);
	}
	if (strcmp(argv[0], "view") == 0 && argc == 1)
		return view(ctx, err);
	if (strcmp(argv[0], "keys") == 0 && argc == 1)
		return keys(ctx);
	kl_suggest_init(&s, argv[0]);
	for (const char *const *c = subcommands; *c; c++)
		kl_suggest_try(&s, *c);
	if (s.best)
		return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown config subcommand '%s'; did you mean '%s'?",
				  argv[0], s.best);
	return usage("unknown config subcommand", err);
}

const struct kl_cmd kl_cmd_config = {
	.name = "config",
	.summary = "Set, get, unset or view the default values of start's flags",
	.usage = "config set KEY VALUE | get KEY | unset KEY | view | keys",
	.description = "Values are checked when they are set: 'kubelaunch config keys' lists the keys.\n"
		       "Sizes take 4096 (MiB), 4g or 4GiB; durations take 90s, 6m or 1h30m.",
	.subcommands = subcommands,
	.flags = KL_CMD_NEEDS_HOME,
	.min_args = 1,
	.max_args = 3,
	.args = "a subcommand: set KEY VALUE, get KEY, unset KEY, view or keys",
	.run = run,
};
