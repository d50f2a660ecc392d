/* profile.c: `kubelaunch profile [NAME]` and `kubelaunch profile list [-o json]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kubelaunch/cmd.h"
#include "kubelaunch/config.h"
#include "kubelaunch/home.h"
#include "kubelaunch/out.h"
#include "kubelaunch/profile.h"
#include "kubelaunch/xalloc.h"

static const char *const subcommands[] = { "list", NULL };

static const char *const columns[] = { "Profile", "Driver", "Runtime", "IP", "Port", "Version",
				       "Nodes", "Active" };
#define NCOLS KL_ARRAY_SIZE(columns)

static void
row_cells(const struct kl_profile *p, int active, char *cells[NCOLS])
{
	cells[0] = kl_xstrdup(p->name);
	cells[1] = kl_xstrdup(kl_profile_str(p, "Driver", ""));
	cells[2] = kl_xstrdup(kl_profile_str(p, "ContainerRuntime", ""));
	cells[3] = kl_xstrdup(kl_profile_str(p, "IP", ""));
	cells[4] = kl_xasprintf("%lld", kl_profile_int(p, "APIServerPort", 8443));
	cells[5] = kl_xstrdup(kl_profile_str(p, "KubernetesVersion", ""));
	cells[6] = kl_xasprintf("%lld", kl_profile_int(p, "Nodes", 1));
	cells[7] = kl_xstrdup(active ? "*" : "");
}

static void
print_rule(const size_t *w)
{
	for (size_t c = 0; c < NCOLS; c++) {
		putchar('|');
		for (size_t i = 0; i < w[c] + 2; i++)
			putchar('-');
	}
	puts("|");
}

static void
print_row(char *const *cells, const size_t *w)
{
	for (size_t c = 0; c < NCOLS; c++)
		printf("| %-*s ", (int)w[c], cells[c]);
	puts("|");
}

static int
list(struct kl_ctx *ctx, struct kl_err *err)
{
	char **names = NULL, *(*rows)[NCOLS] = NULL;
	size_t n = 0, nrows = 0, w[NCOLS];
	json_t *valid = json_array(), *invalid = json_array();
	int rc = -1;

	if (kl_profile_names(ctx->home, &names, &n, err) != 0)
		goto out;
	rows = kl_xcalloc(n ? n : 1, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		struct kl_profile p;
		struct kl_err perr;

		if (kl_profile_load(ctx->home, names[i], &p, &perr) != 0) {
			json_array_append_new(invalid, json_pack("{s:s, s:s}", "Name", names[i], "Error", perr.msg));
			kl_profile_release(&p);
			continue;
		}
		json_array_append_new(valid, json_pack("{s:s, s:b, s:O}", "Name", p.name, "Active",
						       strcmp(p.name, ctx->profile) == 0, "Config", p.cfg));
		row_cells(&p, strcmp(p.name, ctx->profile) == 0, rows[nrows++]);
		kl_profile_release(&p);
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		json_t *doc = json_pack("{s:o, s:o}", "invalid", invalid, "valid", valid);
		valid = invalid = NULL;
		json_dumpf(doc, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(doc);
		rc = 0;
		goto out;
	}
	if (nrows == 0 && json_array_size(invalid) == 0) {
		kl_out_info(ctx->out, "no profiles yet; create one with 'kubelaunch start'");
		rc = 0;
		goto out;
	}
	for (size_t c = 0; c < NCOLS; c++) {
		w[c] = strlen(columns[c]);
		for (size_t r = 0; r < nrows; r++)
			if (strlen(rows[r][c]) > w[c])
				w[c] = strlen(rows[r][c]);
	}
	if (nrows > 0) {
		print_rule(w);
		print_row((char *const *)columns, w);
		print_rule(w);
		for (size_t r = 0; r < nrows; r++)
			print_row(rows[r], w);
		print_rule(w);
	}
	for (size_t i = 0; i < json_array_size(invalid); i++)
		kl_out_warn(ctx->out, "invalid profile '%s': %s",
			    json_string_value(json_object_get(json_array_get(invalid, i), "Name")),
			    json_string_value(json_object_get(json_array_get(invalid, i), "Error")));
	rc = 0;
out:
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < NCOLS; c++)
			free(rows[r][c]);
	free(rows);
	kl_strv_free(names);
	json_decref(valid);
	json_decref(invalid);
	return rc;
}

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	if (ctx->args.argc == 1 && strcmp(ctx->args.argv[0], "list") != 0)
		return kl_profile_name_check(ctx->args.argv[0], err);
	return 0;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *name;
	json_t *v;
	int rc;

	if (ctx->args.argc == 0) {
		printf("%s\n", ctx->profile);
		return 0;
	}
	if (strcmp(ctx->args.argv[0], "list") == 0)
		return list(ctx, err);
	name = ctx->args.argv[0];
	v = json_string(name); /* checked by check() */
	rc = kl_config_update(ctx->home, "profile", v, err);
	json_decref(v);
	if (rc != 0)
		return -1;
	if (!kl_profile_exists(ctx->home, name))
		kl_out_warn(ctx->out, "profile '%s' does not exist yet; 'kubelaunch start' will create it", name);
	kl_out_step(ctx->out, 1, 1, "Profile", "✅", "kubelaunch profile was successfully set to %s", name);
	return 0;
}

const struct kl_cmd kl_cmd_profile = {
	.name = "profile",
	.summary = "Show or set the current profile, or list the profiles",
	.usage = "profile [NAME | list [-o json]]",
	.subcommands = subcommands,
	.flags = KL_CMD_NEEDS_HOME,
	.max_args = 1,
	.args = "a profile NAME or 'list'",
	.check = check,
	.run = run,
};
