/* status.c: host, kubelet, API server and kubeconfig, cheaply: a running cluster answers
 * from the host through the API client, without an SSH round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubelaunch/certs.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/node.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/xalloc.h"

/* An RFC 3339 time ("2026-12-01T10:30:00.123456Z") in seconds since the epoch, or 0. */
static long long
rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	return rest ? (long long)timegm(&tm) : 0;
}

/* kubelet renews its node's Lease every 10 s; the node controller's grace is 40 s. */
#define LEASE_GRACE_S 40

/* From the host through the API, the three questions at once: /readyz, the node's
 * Ready condition, and its kubelet's Lease renewed within the grace period by the API
 * server's own clock. */
static void
api_status(struct kl_cluster *c, const char **apiserver, const char **kubelet)
{
	struct kl_err err;
	struct kl_kube *k = kl_cluster_kube(c, 2000, &err);
	struct kl_kube_resp r[3];
	char *node = kl_xasprintf("/api/v1/nodes/%s", c->machine->name);
	char *lease = kl_xasprintf("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", c->machine->name);
	const char *paths[] = { "/readyz", node, lease };
	json_t *cond;
	size_t i;

	*apiserver = "Stopped";
	*kubelet = NULL;
	if (k == NULL)
		goto out;
	kl_kube_request_many(k, paths, 3, r);
	if (r[0].status == 200) {
		*apiserver = "Running";
		*kubelet = "Stopped";
		json_array_foreach(json_object_get(json_object_get(r[1].body, "status"), "conditions"), i, cond)
			if (r[1].status == 200 && strcmp(kl_json_str(cond, "type") ?: "", "Ready") == 0 &&
			    strcmp(kl_json_str(cond, "status") ?: "", "True") == 0)
				*kubelet = "Running";
		if (strcmp(*kubelet, "Running") == 0 &&
		    (r[2].status != 200 || r[2].date == 0 ||
		     r[2].date - rfc3339(kl_json_str(json_object_get(r[2].body, "spec"), "renewTime")) > LEASE_GRACE_S))
			*kubelet = "Stopped";
	}
	for (i = 0; i < 3; i++)
		kl_kube_resp_release(&r[i]);
out:
	free(node);
	free(lease);
	kl_kube_free(k);
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
		if (kl_pid_alive(kl_pidfile_read(KL_NODE_DIR "/kubelet.pid"), KL_SUPERVISOR_PREFIX))
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
		api_status(c, &st->apiserver, &st->kubelet);
		/* Without the API, ask the machine (kubelaunch's supervisor, or systemd). */
		if (st->kubelet == NULL)
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
