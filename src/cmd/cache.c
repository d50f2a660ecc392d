/* cache.c: `kubelaunch cache list|delete|fetch`: the binary cache, seen and managed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/artifacts.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/config.h"
#include "kubelaunch/json.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/out.h"
#include "kubelaunch/preload.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

static const char *const subcommands[] = { "list", "delete", "fetch", NULL };

static const struct kl_opt opts[] = {
	{ "kubernetes-version", 0, KL_OPT_STRING, "VERSION", "fetch: stable, latest or vX.Y.Z", "stable" },
	{ "binary-mirror", 0, KL_OPT_STRING, "URL", "fetch: where the binaries come from",
	  KL_K8S_RELEASE_URL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static void
human(long long bytes, char *buf, size_t len)
{
	if (bytes >= 1024LL * 1024 * 1024)
		snprintf(buf, len, "%.1f GiB", (double)bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)bytes / (1024.0 * 1024));
	else if (bytes >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)bytes / 1024.0);
	else
		snprintf(buf, len, "%lld B", bytes);
}

static int
list(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_cache_file *files = NULL, *progs = NULL;
	struct kl_preload_entry *pre = NULL;
	long long total = 0;
	size_t n = 0, npre = 0, nprogs = 0;
	char size[32];

	long long stale_bytes = 0;
	int stale = kl_cache_clean(ctx->home, &stale_bytes);

	if (stale > 0) {
		human(stale_bytes, size, sizeof(size));
		kl_out_info(ctx->out, "removed %d partial download%s left by killed runs (%s)", stale,
			    stale == 1 ? "" : "s", size);
	}
	if (kl_cache_list(ctx->home, &files, &n, err) != 0 || kl_preload_list(ctx->home, &pre, &npre, err) != 0)
		return -1;
	kl_program_cache_list(ctx->home, &progs, &nprogs);
	for (size_t i = 0; i < n; i++)
		total += files[i].size;
	for (size_t i = 0; i < nprogs; i++)
		total += progs[i].size;
	for (size_t i = 0; i < npre; i++)
		total += pre[i].bytes;
	if (ctx->output == KL_OUTPUT_JSON) {
		json_t *arr = json_array(), *doc;

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:b}", "version", files[i].version,
							     "name", files[i].name, "path", files[i].path, "size",
							     (json_int_t)files[i].size, "partial",
							     files[i].partial_pid > 0));
		json_t *parr = json_array();

		for (size_t i = 0; i < npre; i++)
			json_array_append_new(parr, json_pack("{s:s, s:s, s:i, s:i, s:I}", "key", pre[i].key, "path",
							      pre[i].path, "archives", pre[i].archives, "disks",
							      pre[i].disks, "size", (json_int_t)pre[i].bytes));
		json_t *prarr = json_array();

		for (size_t i = 0; i < nprogs; i++)
			json_array_append_new(prarr, json_pack("{s:s, s:s, s:s, s:I}", "version", progs[i].version, "name",
							       progs[i].name, "path", progs[i].path, "size",
							       (json_int_t)progs[i].size));
		doc = json_pack("{s:o, s:o, s:o, s:I}", "files", arr, "programs", prarr, "preload", parr, "total",
				(json_int_t)total);
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	} else if (n == 0 && npre == 0 && nprogs == 0) {
		kl_out_info(ctx->out, "the cache is empty; 'kubelaunch cache fetch' or 'kubelaunch start' fills it");
	} else {
		printf("%-10s %-24s %10s\n", "VERSION", "FILE", "SIZE");
		for (size_t i = 0; i < n; i++) {
			human(files[i].size, size, sizeof(size));
			if (files[i].partial_pid > 0)
				printf("%-10s %-24s %10s  (partial: being downloaded by pid %d)\n", files[i].version,
				       files[i].name, size, files[i].partial_pid);
			else
				printf("%-10s %-24s %10s\n", files[i].version, files[i].name, size);
		}
		for (size_t i = 0; i < nprogs; i++) {
			human(progs[i].size, size, sizeof(size));
			printf("%-10s %-24s %10s  (an addon's program)\n", progs[i].version, progs[i].name, size);
		}
		for (size_t i = 0; i < npre; i++) {
			human(pre[i].bytes, size, sizeof(size));
			printf("%-10s %-24s %10s  (%d images, %d disk image%s)\n", "preload", pre[i].key, size,
			       pre[i].archives, pre[i].disks, pre[i].disks == 1 ? "" : "s");
		}
		human(total, size, sizeof(size));
		printf("total: %zu file%s, %zu preload%s, %s in %s/" KL_HOME_CACHE "\n", n + nprogs,
		       n + nprogs == 1 ? "" : "s", npre, npre == 1 ? "" : "s", size, ctx->home);
	}
	kl_preload_entries_free(pre, npre);
	kl_cache_files_free(files, n);
	kl_cache_files_free(progs, nprogs);
	return 0;
}

static int
delete(struct kl_ctx *ctx, const char *version, struct kl_err *err)
{
	long long freed = 0;
	char size[32];

	if (kl_cache_delete(ctx->home, version, &freed, err) != 0)
		return -1;
	human(freed, size, sizeof(size));
	kl_out_info(ctx->out, "removed %s from the cache (%s freed)", version ? version : "every version", size);
	return 0;
}

/* ---- fetch, with a progress line on a terminal and events with -o json ---- */

struct progress {
	struct kl_ctx *ctx;
	int tty;
	long long last_ms;
	curl_off_t now[KL_BINARY_COUNT], total[KL_BINARY_COUNT];
	int reported_done[KL_BINARY_COUNT];
};

/* At most four updates a second, plus one when each file is complete. */
static void
on_progress(void *arg, const char *name, curl_off_t now, curl_off_t total)
{
	struct progress *p = arg;
	long long t = kl_now_ms(), sum_now = 0, sum_total = 0;
	int just_done = 0;

	for (size_t i = 0; i < KL_BINARY_COUNT; i++) {
		if (strcmp(name, kl_binary_names[i]) == 0) {
			p->now[i] = now;
			p->total[i] = total;
			if (total > 0 && now == total && !p->reported_done[i])
				just_done = p->reported_done[i] = 1;
		}
		sum_now += p->now[i];
		sum_total += p->total[i];
	}
	if (t - p->last_ms < 250 && !just_done)
		return;
	p->last_ms = t;
	if (p->ctx->output == KL_OUTPUT_JSON) {
		json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:I, s:I}}", "specversion", "1.0", "type",
				       "io.kubelaunch.download", "data", "name", name, "current", (json_int_t)now,
				       "total", (json_int_t)total);
		json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		fflush(stdout);
		json_decref(ev);
	} else if (p->tty) {
		char a[32], b[32];
		int width = 30, fill = sum_total > 0 ? (int)(sum_now * width / sum_total) : 0;

		human(sum_now, a, sizeof(a));
		human(sum_total, b, sizeof(b));
		fprintf(stderr, "\r    > kubeadm, kubelet, kubectl: [%.*s%*s] %s / %s ", fill,
			"##############################", width - fill, "", a, b);
		fflush(stderr);
	}
}

/* A flag, else the user's config default, else `def`. */
static char *
option(struct kl_ctx *ctx, const char *name, const char *def)
{
	const char *v = kl_args_str(&ctx->args, name, NULL);
	json_t *cfg = NULL;
	char *out;

	if (v)
		return kl_xstrdup(v);
	if (kl_config_load(ctx->home, &cfg, NULL) == 0 && kl_json_str(cfg, name))
		out = kl_xstrdup(kl_json_str(cfg, name));
	else
		out = def ? kl_xstrdup(def) : NULL;
	json_decref(cfg);
	return out;
}

static int
fetch(struct kl_ctx *ctx, struct kl_err *err)
{
	struct progress prog = { .ctx = ctx, .tty = isatty(fileno(stderr)) };
	char *want = option(ctx, "kubernetes-version", "stable"), *mirror = option(ctx, "binary-mirror", NULL);
	struct kl_artifacts_opts o = { ctx->home, mirror, NULL, on_progress, &prog };
	struct kl_binaries bins;
	char *version = NULL;
	int rc = -1;

	if (kl_k8s_version_resolve(&o, want, &version, err) != 0)
		goto out;
	if (kl_binaries_fetch(&o, version, &bins, err) != 0) {
		if (prog.tty && prog.last_ms)
			fputc('\n', stderr);
		goto out;
	}
	if (prog.tty && prog.last_ms)
		fputc('\n', stderr);
	if (ctx->output == KL_OUTPUT_JSON || bins.downloaded == 0)
		kl_out_info(ctx->out, "Kubernetes %s: kubeadm, kubelet and kubectl %s in %s", bins.version,
			    bins.downloaded ? "downloaded" : "already cached", bins.dir);
	else
		kl_out_step(ctx->out, 1, 1, "Downloading", "💾", "Downloaded Kubernetes %s binaries to %s",
			    bins.version, bins.dir);
	kl_binaries_release(&bins);
	rc = 0;
out:
	free(version);
	free(want);
	free(mirror);
	return rc;
}

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	int argc = ctx->args.argc;
	char **argv = ctx->args.argv;
	const char *mirror = kl_args_str(&ctx->args, "binary-mirror", NULL);

	if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "fetch") == 0) {
		if (argc != 1)
			return kl_err_set(err, KL_R_USAGE, "cache %s takes no argument", argv[0]);
	} else if (strcmp(argv[0], "delete") == 0) {
		if (argc > 2)
			return kl_err_set(err, KL_R_USAGE, "cache delete takes at most one VERSION");
	} else {
		struct kl_suggest s;

		kl_suggest_init(&s, argv[0]);
		for (const char *const *c = subcommands; *c; c++)
			kl_suggest_try(&s, *c);
		if (s.best)
			return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown cache subcommand '%s'; did you mean '%s'?",
					  argv[0], s.best);
		return kl_err_set(err, KL_R_USAGE_COMMAND, "unknown cache subcommand '%s'", argv[0]);
	}
	if (mirror && strncmp(mirror, "http://", 7) != 0 && strncmp(mirror, "https://", 8) != 0 &&
	    strncmp(mirror, "file://", 7) != 0)
		return kl_err_set(err, KL_R_USAGE_VALUE,
				  "invalid value '%s' for '--binary-mirror': use an http://, https:// or file:// URL", mirror);
	return 0;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *sub = ctx->args.argv[0];

	if (strcmp(sub, "list") == 0)
		return list(ctx, err);
	if (strcmp(sub, "delete") == 0)
		return delete(ctx, ctx->args.argc == 2 ? ctx->args.argv[1] : NULL, err);
	return fetch(ctx, err);
}

const struct kl_cmd kl_cmd_cache = {
	.name = "cache",
	.summary = "List, delete or pre-download the cached Kubernetes binaries",
	.usage = "cache list [-o json] | delete [VERSION] | fetch [--kubernetes-version V] [--binary-mirror URL]",
	.description = "kubeadm, kubelet and kubectl are cached per version under $KUBELAUNCH_HOME/cache/binaries.\n"
		       "'cache list' shows the files and their sizes, 'cache delete' removes one version, or all\n"
		       "of them and the addons' programs (istioctl),\n"
		       "'cache fetch' downloads a version ahead of 'start' (for a later offline start).",
	.opts = opts,
	.subcommands = subcommands,
	.flags = KL_CMD_NEEDS_HOME,
	.min_args = 1,
	.max_args = 2,
	.args = "a subcommand: list, delete [VERSION] or fetch",
	.check = check,
	.run = run,
};
