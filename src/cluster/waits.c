/*
 * waits.c: what start waits for: the API server, kubelet, node Ready, the default
 * service account, the system pods, DNS. What the API answers is asked from the host
 * through the API client; kubelet and DNS are probes run as root on the machine ($1 is
 * the binaries' directory, $2 the node's name). All are polled together, each at its
 * own interval, until every one succeeds or the deadline passes.
 */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/interrupt.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/log.h"
#include "kubelaunch/node.h"
#include "kubelaunch/xalloc.h"

/* A probe's exit status for "cannot be checked on this machine": no point waiting. */
#define PROBE_CANNOT 125
#define STR_(x) #x
#define STR(x) STR_(x)

struct waiter {
	struct kl_runner *r;
	struct kl_kube *kube;
	const char *bin_dir, *node, *machine;
	long long deadline;
};

/* A shell probe on the machine: 1 done, 0 not yet (why filled), -1 cannot be checked. */
static int
probe(struct waiter *w, const char *line, struct kl_strbuf *why)
{
	const char *argv[] = { "sh", "-c", line, "sh", w->bin_dir, w->node, NULL };
	struct kl_run_opts opts = { .timeout_ms = 30000, .sudo = 1 };
	struct kl_run_result res;
	struct kl_err ignored;
	int rc = 0;

	kl_run_result_init(&res);
	if (kl_runner_run(w->r, argv, &opts, &res, &ignored) == 0 && res.status == 0)
		rc = 1;
	else if (res.status == PROBE_CANNOT)
		rc = -1;
	kl_strbuf_rtrim(&res.err);
	kl_strbuf_add(why, res.err.buf, res.err.len);
	kl_run_result_release(&res);
	return rc;
}

/* GET path: 1 on 200 (the body in *out when out), 0 otherwise (why filled). */
static int
api_get(struct waiter *w, const char *path, json_t **out, struct kl_strbuf *why)
{
	struct kl_kube_resp resp;
	struct kl_err err;
	int rc = 0;

	kl_kube_resp_init(&resp);
	/* The wait polls on its own: a refused connection is not retried for long (the
	 * client's backoff grows to 2 s, which would only delay seeing the server up). */
	kl_kube_set_deadline(w->kube, kl_now_ms() + 300 < w->deadline ? kl_now_ms() + 300 : w->deadline);
	if (kl_kube_request(w->kube, "GET", path, NULL, NULL, 0, &resp, &err) != 0) {
		kl_strbuf_addstr(why, err.msg);
	} else if (resp.status != 200) {
		kl_kube_status_error(&resp, &err, "%s", path);
		kl_strbuf_addstr(why, err.msg);
	} else {
		if (out)
			*out = json_incref(resp.body);
		rc = 1;
	}
	kl_kube_resp_release(&resp);
	return rc;
}

static int
wait_apiserver(struct waiter *w, struct kl_strbuf *why)
{
	return api_get(w, "/readyz", NULL, why);
}

static int
wait_kubelet(struct waiter *w, struct kl_strbuf *why)
{
	/* The process, whoever keeps it running (systemd, or kubelaunch supervise). */
	return probe(w, "grep -qx kubelet /proc/[0-9]*/comm 2>/dev/null", why);
}

static int
wait_node_ready(struct waiter *w, struct kl_strbuf *why)
{
	char *path = kl_xasprintf("/api/v1/nodes/%s", w->node);
	json_t *node = NULL, *c;
	size_t i;
	int rc = api_get(w, path, &node, why);

	free(path);
	if (rc == 1) {
		rc = 0;
		json_array_foreach(json_object_get(json_object_get(node, "status"), "conditions"), i, c)
			if (strcmp(kl_json_str(c, "type") ?: "", "Ready") == 0) {
				rc = strcmp(kl_json_str(c, "status") ?: "", "True") == 0;
				if (!rc && kl_json_str(c, "message"))
					kl_strbuf_addstr(why, kl_json_str(c, "message"));
			}
	}
	json_decref(node);
	return rc;
}

static int
wait_default_sa(struct waiter *w, struct kl_strbuf *why)
{
	return api_get(w, "/api/v1/namespaces/default/serviceaccounts/default", NULL, why);
}

/* Every kube-system pod Running with all its containers ready. */
static int
wait_system_pods(struct waiter *w, struct kl_strbuf *why)
{
	json_t *list = NULL, *pod;
	size_t i;
	int rc = api_get(w, "/api/v1/namespaces/kube-system/pods", &list, why);

	if (rc != 1)
		return 0;
	json_array_foreach(json_object_get(list, "items"), i, pod) {
		json_t *st = json_object_get(pod, "status"), *cs;
		size_t j;
		int ready = strcmp(kl_json_str(st, "phase") ?: "", "Running") == 0;

		json_array_foreach(json_object_get(st, "containerStatuses"), j, cs)
			ready = ready && json_is_true(json_object_get(cs, "ready"));
		if (!ready) {
			const char *container;
			int crashing;

			kl_strbuf_addf(why, "pod 'kube-system/%s' ", kl_json_str(json_object_get(pod, "metadata"), "name"));
			if (kl_kube_pod_problem(pod, why, &crashing, &container) == KL_R__COUNT)
				kl_strbuf_addstr(why, "is not ready");
			rc = 0;
			break;
		}
	}
	if (rc == 1 && json_array_size(json_object_get(list, "items")) == 0) {
		kl_strbuf_addstr(why, "no pods in kube-system yet");
		rc = 0;
	}
	json_decref(list);
	return rc;
}

static int
wait_dns(struct waiter *w, struct kl_strbuf *why)
{
	return probe(w, "if command -v dig >/dev/null; then dig +time=1 +tries=1 +short @" KL_NODE_DNS_IP
			" kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1; elif command -v busybox >/dev/null; "
			"then busybox nslookup kubernetes.default.svc.cluster.local " KL_NODE_DNS_IP " | grep -q 10.96.0.1; "
			"else echo 'the machine has neither dig nor busybox to ask the DNS with' >&2; exit " STR(PROBE_CANNOT) "; fi",
		     why);
}

/* The wait targets (--wait names them), in the order a timeout names the first missing. */
static const struct {
	unsigned bit;
	const char *name, *what;
	int (*check)(struct waiter *w, struct kl_strbuf *why);
	int poll_ms;
} targets[] = {
	{ KL_WAIT_APISERVER, "apiserver", "the API server", wait_apiserver, 100 },
	{ KL_WAIT_KUBELET, "kubelet", "kubelet to run", wait_kubelet, 200 },
	{ KL_WAIT_NODE_READY, "node_ready", "the node to be Ready", wait_node_ready, 200 },
	{ KL_WAIT_DEFAULT_SA, "default_sa", "the default service account", wait_default_sa, 200 },
	{ KL_WAIT_SYSTEM_PODS, "system_pods", "the system pods", wait_system_pods, 250 },
	{ KL_WAIT_DNS, "dns", "DNS to answer", wait_dns, 200 },
};

int
kl_wait_parse(const char *const *items, unsigned *mask, struct kl_err *err)
{
	char *allowed = kl_wait_names(0);
	unsigned m = 0;
	int none = 0, rc = -1;

	if (items == NULL || items[0] == NULL) {
		kl_err_set(err, KL_R_USAGE_VALUE, "'--wait' needs a value: %s, all or none", allowed);
		goto out;
	}
	for (; *items; items++) {
		unsigned bit = strcmp(*items, "all") == 0 ? KL_WAIT_ALL : 0;

		for (size_t i = 0; i < KL_ARRAY_SIZE(targets) && bit == 0; i++)
			if (strcmp(*items, targets[i].name) == 0)
				bit = targets[i].bit;
		if (strcmp(*items, "none") == 0)
			none = 1;
		else if (bit == 0) {
			kl_err_set(err, KL_R_USAGE_VALUE, "invalid value '%s' for '--wait': use a comma list of %s, "
				   "or all, or none", *items, allowed);
			goto out;
		}
		m |= bit;
	}
	if (none && m) {
		kl_err_set(err, KL_R_USAGE_VALUE, "'--wait=none' cannot be combined with other targets");
		goto out;
	}
	*mask = none ? KL_WAIT_NONE : m;
	rc = 0;
out:
	free(allowed);
	return rc;
}

char *
kl_wait_names(unsigned mask)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;

	for (size_t i = 0; i < KL_ARRAY_SIZE(targets); i++)
		if (mask == 0 || (mask & targets[i].bit))
			kl_strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", targets[i].name);
	return kl_strbuf_detach(&sb, NULL);
}

int
kl_cluster_wait(struct kl_runner *r, struct kl_kube *kube, const char *bin_dir, const char *node, const char *machine,
		int timeout_ms, unsigned mask, struct kl_err *err)
{
	struct waiter w = { .r = r, .kube = kube, .bin_dir = bin_dir, .node = node, .machine = machine,
			    .deadline = kl_now_ms() + timeout_ms };
	struct kl_strbuf why[KL_ARRAY_SIZE(targets)];
	long long t0 = kl_now_ms(), next[KL_ARRAY_SIZE(targets)] = { 0 };
	unsigned pending = 0;
	int rc = 0;

	for (size_t i = 0; i < KL_ARRAY_SIZE(targets); i++) {
		kl_strbuf_init(&why[i], 0);
		pending |= mask & targets[i].bit;
	}
	/* All targets at once, each polled at its own interval: what is ready early (DNS
	 * before the last system pod, say) costs no turn of its own. */
	while (pending && rc == 0) {
		long long soonest = w.deadline + 1;
		size_t first = KL_ARRAY_SIZE(targets);

		for (size_t i = 0; i < KL_ARRAY_SIZE(targets) && rc == 0; i++) {
			int done;

			if (!(pending & targets[i].bit))
				continue;
			if (next[i] <= kl_now_ms()) {
				kl_strbuf_reset(&why[i]);
				done = targets[i].check(&w, &why[i]);
				if (done == 1) {
					pending &= ~targets[i].bit;
					kl_info("waited %lld ms for %s", kl_now_ms() - t0, targets[i].what);
					continue;
				}
				if (done < 0)
					rc = kl_err_set(err, KL_R_K8S_WAIT, "cannot check %s on '%s'%s%s", targets[i].what,
							machine, why[i].len ? ": " : "", why[i].buf);
				next[i] = kl_now_ms() + targets[i].poll_ms;
			}
			if (first == KL_ARRAY_SIZE(targets))
				first = i;
			if (next[i] < soonest)
				soonest = next[i];
		}
		if (rc != 0 || !pending)
			break;
		/* The first target in the fixed order is the one to name: what follows it
		 * usually waits on it (no DNS without Ready). */
		if (soonest >= w.deadline)
			rc = kl_err_set(err, KL_R_K8S_WAIT, "timed out waiting for %s on '%s'%s%s", targets[first].what,
					machine, why[first].len ? ": " : "", why[first].buf);
		else if (kl_interrupted())
			rc = kl_interrupt_err(err, "waiting for the cluster");
		else if (soonest > kl_now_ms())
			kl_sleep_ms(soonest - kl_now_ms());
	}
	for (size_t i = 0; i < KL_ARRAY_SIZE(targets); i++)
		kl_strbuf_release(&why[i]);
	return rc;
}
