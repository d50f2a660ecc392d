/* status.c: host, kubelet, API server and kubeconfig, cheaply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "kubelaunch/certs.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/node.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/xalloc.h"

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* GET <server>/livez with the profile's CA and client certificate (TLS verified). */
static int
apiserver_live(const struct kl_cluster *c, const char *server)
{
	char *url = kl_xasprintf("%s/livez", server);
	struct kl_certs certs;
	CURL *h = curl_easy_init();
	long code = 0;

	kl_certs_paths(c->home, c->machine->name, &certs);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, certs.ca_crt);
	curl_easy_setopt(h, CURLOPT_SSLCERT, certs.client_crt);
	curl_easy_setopt(h, CURLOPT_SSLKEY, certs.client_key);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	kl_certs_release(&certs);
	free(url);
	return code == 200;
}

static const char *
kubelet_state(struct kl_cluster *c)
{
	struct kl_run_result res;
	struct kl_runner *r;
	struct kl_err err;
	const char *argv[] = { "systemctl", "is-active", "kubelet", NULL };
	struct kl_run_opts opts = { .timeout_ms = 10000 };
	const char *st = "Error";

	/* This host: kubelaunch's supervisor, or systemd's unit. */
	if (c->machine->driver->caps & KL_CAP_HOST) {
		if (kl_pid_alive(kl_pidfile_read(KL_NODE_DIR "/kubelet.pid"), "kubelaunch"))
			return "Running";
	}
	if ((r = kl_cluster_connect(c, 5000, &err)) == NULL)
		return "Error";
	kl_run_result_init(&res);
	if (kl_runner_run(r, argv, &opts, &res, &err) == 0)
		st = res.status == 0 ? "Running" : "Stopped";
	kl_run_result_release(&res);
	kl_runner_free(r);
	return st;
}

int
kl_cluster_status(struct kl_cluster *c, struct kl_status *st, struct kl_err *err)
{
	enum kl_machine_state ms;
	const char *server = kl_profile_str(&c->profile, "APIServer", NULL);
	struct kl_kubeconfig_info info = { 0 };
	char *path = NULL;

	memset(st, 0, sizeof(*st));
	if (kl_driver_state(c->machine, &ms, err) != 0)
		return -1;
	st->host = kl_machine_state_name(ms);
	st->kubelet = st->apiserver = st->kubeconfig = "";
	if (ms != KL_STATE_RUNNING)
		st->exit_bits |= 1;
	if (json_is_true(json_object_get(c->profile.cfg, "NoKubernetes")))
		return 0;
	if (ms == KL_STATE_RUNNING) {
		st->apiserver = server && apiserver_live(c, server) ? "Running" : "Stopped";
		st->kubelet = kubelet_state(c);
	} else {
		st->apiserver = st->kubelet = "Stopped";
	}
	if (strcmp(st->apiserver, "Running") != 0 || strcmp(st->kubelet, "Running") != 0)
		st->exit_bits |= 2;
	st->kubeconfig = "Misconfigured";
	if (kl_kubeconfig_path(&path, NULL) == 0 && kl_kubeconfig_read(path, c->machine->name, &info, NULL) == 0 &&
	    info.has_context && info.server && server && strcmp(info.server, server) == 0)
		st->kubeconfig = "Configured";
	if (strcmp(st->kubeconfig, "Configured") != 0 || ms != KL_STATE_RUNNING)
		st->exit_bits |= 4;
	kl_kubeconfig_info_release(&info);
	free(path);
	return 0;
}
