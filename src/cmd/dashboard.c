/* dashboard.c: `kubelaunch dashboard [--url] [--port N]`: the dashboard addon (enabled
 * first when it is not), its workload waited for (with the pods' diagnosis when it does
 * not come up: an image that cannot be pulled, Pending's reason, a crash's last log
 * line), the local API proxy started, the dashboard's URL through it checked for 200,
 * then the browser opened or the URL printed; the proxy serves until Ctrl-C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/home.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/log.h"
#include "kubelaunch/out.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/proxy.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "addons_cmd.h"

#define DASHBOARD_NS "kubernetes-dashboard"
#define DASHBOARD_PATH "/api/v1/namespaces/" DASHBOARD_NS "/services/http:kubernetes-dashboard:/proxy/"

static const struct kl_opt opts[] = {
	{ "url", 0, KL_OPT_BOOL, NULL, "print the URL instead of opening a browser", NULL },
	{ "port", 0, KL_OPT_INT, "N", "the local proxy's port (0: a free one)", "0" },
	{ "wait-timeout", 0, KL_OPT_DURATION, "DURATION", "how long to wait for the dashboard to answer", "5m" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static volatile sig_atomic_t stopping;

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	long long port = kl_args_int(&ctx->args, "port", 0);

	if (port < 0 || port > 65535)
		return kl_err_set(err, KL_R_USAGE_VALUE, "--port: %lld is not a port (0-65535)", port);
	return 0;
}

/* The addon on the cluster: applied when the profile does not have it enabled. */
static int
ensure_addon(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_kube *k, struct kl_out *o, struct kl_err *err)
{
	struct kl_addon_set set = { 0 };
	const struct kl_addon *a;
	struct kl_profile prof = { 0 };
	struct kl_addons_run r = { .set = &set, .kube = k, .out = o };
	int rc = -1, lock = -1;

	if (kl_addons_load(&set, err) != 0 || kl_addons_lookup(&set, "dashboard", &a, err) != 0)
		goto out;
	if (kl_addons_enabled(a, c->profile.cfg)) {
		rc = 0;
		goto out;
	}
	kl_out_info(o, "The 'dashboard' addon is not enabled: enabling it");
	if ((lock = kl_profile_lock(ctx->home, ctx->profile, 10 * 60 * 1000, err)) < 0 ||
	    kl_profile_load(ctx->home, ctx->profile, &prof, err) != 0)
		goto out;
	r.cfg = prof.cfg;
	r.cluster = kl_cmd_addons_facts(c);
	kl_addons_record(prof.cfg, a->name, 1);
	if (kl_addons_apply(&r, &a, 1, err) == 0 && kl_profile_save(ctx->home, &prof, err) == 0)
		rc = 0;
	json_decref(r.cluster);
out:
	kl_profile_release(&prof);
	if (lock >= 0)
		kl_unlock(lock);
	kl_addons_release(&set);
	return rc;
}

static size_t
keep_text(char *data, size_t size, size_t n, void *arg)
{
	struct kl_strbuf *sb = arg;

	if (sb->len < 512)
		kl_strbuf_add(sb, data, size * n < 512 ? size * n : 512);
	return size * n;
}

/* GET url until it answers 200 or the deadline passes: the last status and text. */
static long
wait_200(const char *url, long long deadline, struct kl_strbuf *text)
{
	CURL *h = curl_easy_init();
	long code = 0;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* loopback: never through $http_proxy */
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_text);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, text);
	for (;;) {
		kl_strbuf_reset(text);
		code = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200 || stopping || kl_now_ms() >= deadline)
			break;
		usleep(250 * 1000);
	}
	curl_easy_cleanup(h);
	kl_strbuf_rtrim(text);
	return code;
}

/* $BROWSER, else xdg-open when there is a display; NULL with *why when neither. */
static const char *
browser(const char **why)
{
	const char *b = getenv("BROWSER");

	if (b && *b)
		return b;
	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
		*why = "there is no display (DISPLAY and WAYLAND_DISPLAY are unset) and BROWSER is not set";
		return NULL;
	}
	for (const char *path = getenv("PATH"); path && *path;) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		char *exe = kl_xasprintf("%.*s/xdg-open", (int)len, path);
		int ok = access(exe, X_OK) == 0;

		free(exe);
		if (ok)
			return "xdg-open";
		path = end ? end + 1 : path + len;
	}
	*why = "xdg-open is not installed and BROWSER is not set";
	return NULL;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	long long timeout = kl_args_int(&ctx->args, "wait-timeout", 5 * 60 * 1000), t0 = kl_now_ms();
	json_t *deploy = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "apps/v1", "kind", "Deployment", "metadata",
				   "name", "kubernetes-dashboard", "namespace", DASHBOARD_NS);
	json_t *objs = json_pack("[O]", deploy);
	struct kl_cluster_api api = { 0 };
	struct kl_proxy_target t;
	struct kl_proxy_opts po = { .target = &t, .handle_signals = 1, .stop_flag = &stopping };
	struct kl_strbuf text = KL_STRBUF_INIT;
	struct kl_cluster *c = ctx->cluster;
	struct kl_out o = *ctx->out;
	struct kl_proxy *p = NULL;
	struct kl_kube *k = NULL;
	const char *open_with, *why = NULL;
	char *url = NULL;
	int rc = -1;
	long code;

	o.fp = o.errfp; /* stdout is for the URL alone */
	if (kl_cluster_api(c, &api, err) != 0 || (k = kl_cluster_kube(c, (int)timeout, err)) == NULL)
		goto out;
	t = (struct kl_proxy_target){ api.server, api.ca_path, api.cert_path, api.key_path };
	po.port = (int)kl_args_int(&ctx->args, "port", 0);
	/* The proxy first: its signal handles make the first Ctrl-C end every wait below. */
	if ((p = kl_proxy_new(&po, err)) == NULL || kl_proxy_start(p, err) != 0)
		goto out;
	kl_kube_set_stop(k, &stopping);
	if (ensure_addon(ctx, c, k, &o, err) != 0)
		goto out;
	kl_out_info(&o, "Verifying dashboard health ...");
	if (kl_kube_wait_available(k, objs, NULL, NULL, NULL, err) != 0)
		goto out;
	url = kl_xasprintf("http://127.0.0.1:%d" DASHBOARD_PATH, kl_proxy_port(p));
	kl_out_info(&o, "Verifying proxy health ...");
	code = wait_200(url, t0 + timeout, &text);
	if (stopping) {
		kl_err_set(err, KL_R_INTERRUPTED, "interrupted while waiting for the dashboard");
		goto out;
	}
	if (code != 200) {
		char *what = code ? kl_xasprintf("the dashboard answers %ld through the proxy (%.200s)", code, text.buf)
				  : kl_xstrdup("the dashboard does not answer through the proxy");

		kl_kube_set_deadline(k, kl_now_ms() + 10000);
		kl_kube_diagnose(k, deploy, what, err);
		if (err->reason == KL_R_GENERIC || err->reason == KL_R_K8S_API_NOT_FOUND)
			err->reason = KL_R_SVC_TIMEOUT;
		free(what);
		goto out;
	}
	kl_debug("dashboard: 200 at %s after %lld ms", url, kl_now_ms() - t0);
	if (kl_args_bool(&ctx->args, "url") || (open_with = browser(&why)) == NULL) {
		if (why)
			kl_out_info(&o, "Not opening a browser: %s; open the URL yourself", why);
		printf("%s\n", url);
		fflush(stdout);
	} else {
		const char *argv[] = { open_with, url, NULL };
		pid_t pid;

		kl_out_info(&o, "Opening %s in your default browser ...", url);
		if (kl_spawn_detached(argv, NULL, &pid, err) != 0)
			goto out;
	}
	kl_out_info(&o, "Serving the dashboard until interrupted (Ctrl-C)");
	kl_proxy_join(p);
	while (waitpid(-1, NULL, WNOHANG) > 0) /* a browser launcher that ended */
		;
	rc = 0;
out:
	kl_proxy_free(p);
	kl_kube_free(k);
	kl_cluster_api_release(&api);
	kl_strbuf_release(&text);
	json_decref(objs);
	json_decref(deploy);
	free(url);
	return rc;
}

const struct kl_cmd kl_cmd_dashboard = {
	.name = "dashboard",
	.summary = "Open the Kubernetes Dashboard through a local API proxy",
	.usage = "dashboard [--url] [--port N]",
	.description = "Enables the dashboard addon when it is not, waits for it (saying why when it does not come "
		       "up: the pod, the image that cannot be pulled, why it is Pending, a crash's last log line), "
		       "starts a proxy on 127.0.0.1 (see 'kubelaunch proxy'), waits for the dashboard to answer 200 "
		       "through it, then opens $BROWSER (else xdg-open) or, with --url or without a browser, prints the "
		       "URL. It serves until interrupted.",
	.opts = opts,
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_RUNNING,
	.check = check,
	.run = run,
};
