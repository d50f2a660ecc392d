/* proxy.c: `kubelaunch proxy`: the local API proxy on its own, like `kubectl proxy`:
 * plain HTTP on 127.0.0.1, the profile's identity towards the API server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/out.h"
#include "kubelaunch/proxy.h"
#include "kubelaunch/xalloc.h"

static const struct kl_opt opts[] = {
	{ "port", 0, KL_OPT_INT, "N", "the port to listen on (0: a free one)", "8001" },
	{ "address", 0, KL_OPT_STRING, "IP", "the address to listen on; anything but loopback exposes the cluster", "127.0.0.1" },
	{ "accept-hosts", 0, KL_OPT_STRING, "RE,...", "Host headers to accept (regular expressions)", KL_PROXY_ACCEPT_HOSTS },
	{ "reject-paths", 0, KL_OPT_STRING, "RE,...", "paths to refuse (regular expressions); '^$' allows exec, attach and port-forward", KL_PROXY_REJECT_PATHS },
	{ "accept-paths", 0, KL_OPT_STRING, "RE,...", "paths to accept (regular expressions)", KL_PROXY_ACCEPT_PATHS },
	{ "server", 0, KL_OPT_STRING, "URL", "an API server other than the profile's (with the three files below)", NULL },
	{ "certificate-authority", 0, KL_OPT_STRING, "FILE", "with --server: the CA to verify it with", NULL },
	{ "client-certificate", 0, KL_OPT_STRING, "FILE", "with --server: the client certificate", NULL },
	{ "client-key", 0, KL_OPT_STRING, "FILE", "with --server: the client key", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	static const char *const files[] = { "certificate-authority", "client-certificate", "client-key" };
	long long port = kl_args_int(&ctx->args, "port", 8001);

	if (port < 0 || port > 65535)
		return kl_err_set(err, KL_R_USAGE_VALUE, "--port: %lld is not a port (0-65535)", port);
	for (size_t i = 0; i < KL_ARRAY_SIZE(files); i++)
		if (kl_args_has(&ctx->args, "server") != kl_args_has(&ctx->args, files[i]))
			return kl_err_set(err, KL_R_USAGE, "--server and --%s go together", files[i]);
	return 0;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct kl_cluster_api api = { 0 };
	struct kl_proxy_target t = { 0 };
	struct kl_proxy_opts o = { .target = &t, .handle_signals = 1 };
	struct kl_cluster c = { 0 };
	struct kl_proxy *p = NULL;
	int rc = -1, opened = 0;

	if (kl_args_has(&ctx->args, "server")) {
		t.server = kl_args_str(&ctx->args, "server", "");
		t.ca_path = kl_args_str(&ctx->args, "certificate-authority", "");
		t.cert_path = kl_args_str(&ctx->args, "client-certificate", "");
		t.key_path = kl_args_str(&ctx->args, "client-key", "");
	} else {
		if (kl_cluster_open_running(ctx->home, ctx->profile, &c, err) != 0)
			goto out;
		opened = 1;
		if (kl_cluster_api(&c, &api, err) != 0)
			goto out;
		t = (struct kl_proxy_target){ api.server, api.ca_path, api.cert_path, api.key_path };
	}
	o.address = kl_args_str(&ctx->args, "address", "127.0.0.1");
	o.port = (int)kl_args_int(&ctx->args, "port", 8001);
	o.accept_hosts = kl_args_str(&ctx->args, "accept-hosts", NULL);
	o.reject_paths = kl_args_str(&ctx->args, "reject-paths", NULL);
	o.accept_paths = kl_args_str(&ctx->args, "accept-paths", NULL);
	if ((p = kl_proxy_new(&o, err)) == NULL)
		goto out;
	if (strcmp(o.address, "127.0.0.1") != 0 && strcmp(o.address, "::1") != 0)
		kl_out_warn(ctx->out, "the proxy listens on %s: whoever reaches that address gets the cluster with "
			    "this profile's rights", o.address);
	if (ctx->output == KL_OUTPUT_JSON) {
		json_t *j = json_pack("{s:s, s:i, s:s}", "Address", o.address, "Port", kl_proxy_port(p), "Server", t.server);

		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(j);
	} else {
		printf("Starting to serve on %s:%d\n", o.address, kl_proxy_port(p));
	}
	fflush(stdout);
	kl_proxy_serve(p);
	rc = 0;
out:
	kl_proxy_free(p);
	kl_cluster_api_release(&api);
	if (opened)
		kl_cluster_release(&c);
	return rc;
}

const struct kl_cmd kl_cmd_proxy = {
	.name = "proxy",
	.summary = "Serve the cluster's API on a local port, like kubectl proxy",
	.usage = "proxy [--port N] [--address IP] [--accept-hosts RE] [--reject-paths RE]",
	.description = "Plain HTTP on 127.0.0.1 (or --address) in, TLS with the profile's client certificate out "
		       "to the API server. Requests whose Host header is not localhost, 127.0.0.1 or [::1] get "
		       "403 (a guard against DNS rebinding), so do exec, attach and port-forward unless "
		       "--reject-paths allows them. Watches and large bodies stream; if the API server goes away "
		       "the proxy answers 502 and keeps serving. The first Ctrl-C closes every connection and ends it.",
	.opts = opts,
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NO_ARGS,
	.check = check,
	.run = run,
};
