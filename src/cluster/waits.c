/*
 * waits.c: what start waits for, in order: the API server, kubelet, node Ready, the
 * default service account, the system pods, DNS. Each is a probe run as root on the
 * machine ($1 is the binaries' directory, $2 the node's name), polled until it
 * succeeds or the deadline passes.
 */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/interrupt.h"
#include "kubelaunch/log.h"
#include "kubelaunch/node.h"
#include "kubelaunch/xalloc.h"

/* A probe's exit status for "cannot be checked on this machine": no point waiting. */
#define PROBE_CANNOT 125
#define STR_(x) #x
#define STR(x) STR_(x)

/* Poll `probe` (a shell line run as root on the machine) until it succeeds. */
static int
wait_for(struct kl_runner *r, const char *bin_dir, const char *node, const char *machine, const char *what,
	 const char *probe, long long deadline, struct kl_err *err)
{
	struct kl_run_result res;
	int rc = -1;

	kl_run_result_init(&res);
	for (;;) {
		const char *argv[] = { "sh", "-c", probe, "sh", bin_dir, node, NULL };
		struct kl_run_opts opts = { .timeout_ms = 30000, .sudo = 1 };
		struct kl_err ignored;

		kl_strbuf_reset(&res.out);
		kl_strbuf_reset(&res.err);
		if (kl_runner_run(r, argv, &opts, &res, &ignored) == 0 && res.status == 0) {
			rc = 0;
			break;
		}
		if (kl_now_ms() >= deadline || res.status == PROBE_CANNOT) {
			kl_strbuf_rtrim(&res.err);
			kl_err_set(err, KL_R_K8S_WAIT, "%s %s on '%s'%s%s",
				   res.status == PROBE_CANNOT ? "cannot check" : "timed out waiting for", what,
				   machine, res.err.len ? ": " : "", res.err.buf);
			break;
		}
		if (kl_interrupted()) {
			kl_interrupt_err(err, "waiting for the cluster");
			break;
		}
		kl_sleep_ms(500);
	}
	kl_run_result_release(&res);
	return rc;
}

#define KUBECTL "\"$1/kubectl\" --kubeconfig=" KL_NODE_ADMIN_CONF " "

/* The wait targets, in the order they are waited for (--wait names them). */
static const struct {
	unsigned bit;
	const char *name, *what, *probe;
} targets[] = {
	{ KL_WAIT_APISERVER, "apiserver", "the API server", KUBECTL "get --raw /readyz >/dev/null" },
	/* The process, whoever keeps it running (systemd, or kubelaunch supervise). */
	{ KL_WAIT_KUBELET, "kubelet", "kubelet to run", "grep -qx kubelet /proc/[0-9]*/comm 2>/dev/null" },
	{ KL_WAIT_NODE_READY, "node_ready", "the node to be Ready", KUBECTL "get node \"$2\" -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True" },
	{ KL_WAIT_DEFAULT_SA, "default_sa", "the default service account", KUBECTL "-n default get serviceaccount default >/dev/null" },
	{ KL_WAIT_SYSTEM_PODS, "system_pods", "the system pods", "out=$(" KUBECTL "-n kube-system get pods --no-headers -o "
			     "custom-columns=P:.status.phase,R:.status.containerStatuses[*].ready) && [ -n \"$out\" ] && "
			     "! printf '%s\\n' \"$out\" | grep -v '^Running *true\\(,true\\)*$' | grep -q ." },
	{ KL_WAIT_DNS, "dns", "DNS to answer", "if command -v dig >/dev/null; then dig +time=1 +tries=1 +short @" KL_NODE_DNS_IP
			   " kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1; elif command -v busybox >/dev/null; "
			   "then busybox nslookup kubernetes.default.svc.cluster.local " KL_NODE_DNS_IP " | grep -q 10.96.0.1; "
			   "else echo 'the machine has neither dig nor busybox to ask the DNS with' >&2; exit " STR(PROBE_CANNOT) "; fi" },
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
kl_cluster_wait(struct kl_runner *r, const char *bin_dir, const char *node, const char *machine, int timeout_ms,
		unsigned mask, struct kl_err *err)
{
	long long deadline = kl_now_ms() + timeout_ms;

	for (size_t i = 0; i < KL_ARRAY_SIZE(targets); i++) {
		long long t0 = kl_now_ms();

		if (!(mask & targets[i].bit))
			continue;
		if (wait_for(r, bin_dir, node, machine, targets[i].what, targets[i].probe, deadline, err) != 0)
			return -1;
		kl_info("waited %lld ms for %s", kl_now_ms() - t0, targets[i].what);
	}
	return 0;
}
