/*
 * kubernetes.c: Kubernetes on a running machine, composed from the bootstrap pieces:
 * binaries (artifacts), certificates, kubeadm's configuration, containerd and CNI
 * configuration, kubelet (systemd or `kubelaunch supervise`), kubeadm itself, RBAC,
 * node labels, the kubeconfig on the host, and the waits.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/artifacts.h"
#include "kubelaunch/certs.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kubeadm.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/log.h"
#include "kubelaunch/node.h"
#include "kubelaunch/out.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"
#include "k8s.h"

int
kl_kubernetes_fetch(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err)
{
	struct kl_artifacts_opts ao = { .home = c->home, .mirror = o->binary_mirror };
	const char *want = kl_profile_str(&c->profile, "KubernetesVersion", "stable");
	struct kl_binaries b = { 0 };
	int rc = -1;

	if (kl_k8s_version_resolve(&ao, want, &o->kubernetes_version, err) != 0)
		return -1;
	STEP(o, "Downloading Artifacts", "💾", "%s Kubernetes %s binaries (kubeadm, kubelet, kubectl) ...",
	     kl_binaries_cached(&ao, o->kubernetes_version) ? "Using cached" : "Downloading",
	     o->kubernetes_version);
	if (kl_binaries_fetch(&ao, o->kubernetes_version, &b, err) != 0)
		goto out;
	for (int i = 0; i < 3; i++)
		o->binaries[i] = kl_xstrdup(b.paths[i]);
	json_object_set_new(c->profile.cfg, "KubernetesVersion", json_string(o->kubernetes_version));
	if (o->image_bundle) {
		struct kl_bundle_archive *a = NULL;
		size_t n = 0;

		if (kl_image_bundle_scan(o->image_bundle, 0, &a, &n, err) != 0)
			goto out;
		kl_image_bundle_free(a, n);
		if (o->preload)
			kl_k8s_preload(c, o);
	}
	kl_k8s_share_inputs(c->machine, o);
	rc = 0;
out:
	kl_binaries_release(&b);
	return rc;
}

void
kl_start_opts_release(struct kl_start_opts *o)
{
	free(o->kubernetes_version);
	for (int i = 0; i < 3; i++)
		free(o->binaries[i]);
	free(o->preload_root);
}

/* cgroup version, systemd, and the node's address. */
static int
facts(struct k8s *k, struct kl_err *err)
{
	struct kl_run_result res;
	struct kl_machine *m = k->c->machine;
	int rc = -1;

	kl_run_result_init(&res);
	if (kl_k8s_run(k, 30000, KL_R_GUEST, &res, err, "sh", "-c",
		     "stat -fc %T /sys/fs/cgroup; if [ -d /run/systemd/system ]; then echo systemd; "
		     "systemctl is-active -q kubelet && echo kubelet-up; else echo none; fi; "
		     "hostname -I 2>/dev/null || echo", NULL) != 0)
		goto out;
	k->cgroup_v1 = strstr(res.out.buf, "cgroup2fs") == NULL;
	k->systemd = strstr(res.out.buf, "\nsystemd") != NULL;
	k->kubelet_up = k->systemd && strstr(res.out.buf, "\nkubelet-up\n") != NULL;
	if ((m->driver->caps & KL_CAP_VM) && !strcmp(m->driver->name, "qemu")) {
		/* User-mode networking: the guest's own address. */
		char *last;

		kl_strbuf_rtrim(&res.out);
		last = strrchr(res.out.buf, '\n');
		sscanf(last ? last + 1 : "", "%63s", k->node_ip);
	} else if (kl_driver_ip(m, k->node_ip, sizeof(k->node_ip), err) != 0) {
		goto out;
	}
	if (k->node_ip[0] == '\0') {
		kl_err_set(err, KL_R_GUEST, "cannot find the address of '%s'", m->name);
		goto out;
	}
	rc = 0;
out:
	kl_run_result_release(&res);
	return rc;
}

static int
certificates(struct k8s *k, struct kl_err *err)
{
	const char *ips[] = { k->node_ip, NULL };
	struct kl_certs_params p = {
		.home = k->c->home, .profile = k->c->machine->name, .node_name = k->node_name,
		.node_ips = ips, .extra_ips = k->o->apiserver_ips, .extra_names = k->o->apiserver_names,
		.expiration_ms = k->o->cert_expiration_ms,
	};

	SUB(k->o, "Generating certificates and keys ...");
	return kl_certs_ensure(&p, &k->certs, err);
}

/* --cni FILE: the pod network comes from a manifest, not from our bridge conflist. */
static int
cni_manifest(const struct kl_start_opts *o)
{
	return o->cni && strcmp(o->cni, "auto") != 0 && strcmp(o->cni, "bridge") != 0;
}

/* The name kubeadm's controlPlaneEndpoint uses, the kernel settings, the CNI config. */
static int
configure_node(struct k8s *k, struct kl_err *err)
{
	struct kl_strbuf cni = KL_STRBUF_INIT;
	int rc;

	/* Under systemd also at every boot, before kubelet (the unit is a boot file). */
	rc = kl_k8s_copy_data(k, kl_node_setup_script, KL_NODE_SETUP, 0644, err);
	if (rc == 0)
		rc = kl_k8s_run(k, 30000, KL_R_GUEST, NULL, err, "sh", KL_NODE_SETUP, k->node_ip, NULL);
	if (rc == 0 && k->systemd) {
		struct kl_strbuf unit = KL_STRBUF_INIT;

		kl_node_setup_unit(k->node_ip, &unit);
		rc = kl_k8s_install_unit(k, unit.buf, KL_NODE_SETUP_UNIT, err);
		kl_strbuf_release(&unit);
	}
	if (rc == 0 && cni_manifest(k->o)) {
		/* A bridge conflist of an earlier start would shadow the manifest's network. */
		rc = kl_k8s_run(k, 30000, KL_R_GUEST, NULL, err, "rm", "-f", KL_NODE_CNI_CONF, NULL);
	} else if (rc == 0) {
		kl_node_cni_conflist(KL_NODE_POD_SUBNET, &cni);
		rc = kl_k8s_copy_data(k, cni.buf, KL_NODE_CNI_CONF, 0644, err);
	}
	kl_strbuf_release(&cni);
	return rc;
}

/* Keep `argv` running on this host (no systemd) through the command layer's supervisor
 * (o->supervise), unless its supervisor runs already. Where: the node's pidfile and log. */
static int
supervise(struct k8s *k, const char *name, const char *const *argv, struct kl_err *err)
{
	char *pidfile = kl_xasprintf(KL_NODE_DIR "/%s.pid", name), *log = kl_xasprintf("/var/log/kubelaunch/%s.log", name);
	int rc = 0;

	if (k->o->supervise == NULL)
		rc = kl_err_set(err, KL_R_PROGRAM, "no supervisor for '%s' on a host without systemd", name);
	else if (!kl_pid_alive(kl_pidfile_read(pidfile), KL_SUPERVISOR_PREFIX))
		rc = k->o->supervise(argv, pidfile, log, err);
	free(log);
	free(pidfile);
	return rc;
}

/* containerd configured for kubeadm (cgroup driver, the bundle's pause image, CNI),
 * restarted under systemd, or started under `kubelaunch supervise` on this host. */
static int
runtime(struct k8s *k, struct kl_err *err)
{
	struct kl_node_runtime rt = { .systemd_cgroup = k->systemd };
	struct kl_strbuf conf = KL_STRBUF_INIT;
	struct kl_run_result res;
	char *kubeadm_bin = kl_xasprintf("%s/kubeadm", k->bin_dir), *pause;
	int rc = -1;

	/* The sandbox image is the pause image kubeadm wants for this version. */
	kl_run_result_init(&res);
	if (kl_k8s_run(k, 60000, KL_R_K8S, &res, err, kubeadm_bin, "config", "images", "list", "--config",
		     KL_NODE_KUBEADM_YAML, NULL) != 0)
		goto out;
	pause = strstr(res.out.buf, "/pause:");
	while (pause && pause > res.out.buf && pause[-1] != '\n')
		pause--;
	if (pause == NULL) {
		kl_err_set(err, KL_R_K8S, "kubeadm names no pause image");
		goto out;
	}
	pause[strcspn(pause, "\n")] = '\0';
	rt.pause_image = pause;
	if (!k->systemd) {
		/* Our own containerd keeps its images and containers under our directory, so
		 * that delete takes them away with everything else it put on this host. */
		rt.root = KL_NODE_DIR "/containerd";
		rt.state = "/run/kubelaunch/containerd";
		if (kl_k8s_preload_install(k, rt.root, err) != 0)
			goto out;
	}
	kl_node_containerd_config(&rt, &conf);
	if (kl_k8s_copy_data(k, kl_node_registry_hosts_toml, KL_NODE_REGISTRY_HOSTS_DIR "/localhost:5000/hosts.toml", 0644,
			     err) != 0)
		goto out;
	if (k->systemd) {
		int copied = 1;

		/* A containerd that runs with this configuration already (started at boot) is
		 * left alone. */
		if (kl_runner_copy_data(k->r, conf.buf, conf.len, "/etc/containerd/config.toml", 0644, 1, &copied, err) != 0 ||
		    kl_k8s_run(k, 120000, KL_R_RUNTIME, NULL, err, "sh", "-c",
			       "[ \"$1\" = 0 ] && systemctl is-active -q containerd || systemctl restart containerd", "sh",
			       copied ? "1" : "0", NULL) != 0)
			goto out;
	} else if (k->c->machine->driver->caps & KL_CAP_HOST) {
		static const char *const argv[] = { "containerd", "--config", "/etc/kubelaunch/containerd.toml", NULL };

		if (kl_k8s_run(k, 10000, KL_R_HOST, NULL, err, "mkdir", "-p", "/etc/kubelaunch", NULL) != 0 ||
		    kl_k8s_copy_data(k, conf.buf, "/etc/kubelaunch/containerd.toml", 0644, err) != 0 ||
		    supervise(k, "containerd", argv, err) != 0)
			goto out;
		kl_out_warn(k->o->out, "this host has no systemd: kubelaunch keeps containerd and kubelet "
			    "running itself (logs in /var/log/kubelaunch)");
	} else {
		kl_err_set(err, KL_R_RUNTIME, "'%s' runs no systemd: kubelaunch cannot manage its services",
			   k->c->machine->name);
		goto out;
	}
	/* containerd answers within a few seconds. */
	rc = kl_k8s_run(k, 60000, KL_R_RUNTIME, NULL, err, "sh", "-c",
		      "for i in $(seq 300); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.1; done; "
		      "echo 'containerd does not answer on /run/containerd/containerd.sock' >&2; exit 1", NULL);
out:
	kl_run_result_release(&res);
	kl_strbuf_release(&conf);
	free(kubeadm_bin);
	return rc;
}

static int
kubelet_service(struct k8s *k, struct kl_err *err)
{
	struct kl_strbuf unit = KL_STRBUF_INIT;
	int rc;

	if (k->systemd) {
		kl_node_kubelet_unit(k->bin_dir, &unit);
		rc = kl_k8s_install_unit(k, unit.buf, KL_NODE_KUBELET_UNIT, err);
	} else {
		const char *argv[] = { "sh", "-c", kl_node_kubelet_script, "kubelet", k->bin_dir, NULL };

		rc = supervise(k, "kubelet", argv, err);
	}
	kl_strbuf_release(&unit);
	return rc;
}

/* kubeadm with the binaries' directory first in PATH; its output goes to the log. */
static int
kubeadm(struct k8s *k, int timeout_ms, struct kl_err *err, const char *const *args)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_run_opts opts = { .timeout_ms = timeout_ms, .sudo = 1 };
	struct kl_run_result res;
	int rc;

	kl_run_result_init(&res);
	kl_strvec_push(&argv, "env");
	kl_strvec_pushf(&argv, "PATH=%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", k->bin_dir);
	kl_strvec_pushf(&argv, "%s/kubeadm", k->bin_dir);
	for (; *args; args++)
		kl_strvec_push(&argv, *args);
	rc = kl_runner_check(k->r, kl_strvec_argv(&argv), &opts, &res, KL_R_K8S_INIT, err);
	kl_strbuf_add(&k->log, res.out.buf, res.out.len);
	kl_strbuf_add(&k->log, res.err.buf, res.err.len);
	kl_run_result_release(&res);
	kl_strvec_clear(&argv);
	return rc;
}

/* What the control plane is made from: kubeadm.yaml, its patches and the certificates
 * kubeadm gets, hashed. A restart with the same inputs has nothing for kubeadm's
 * phases to change. */
static void
control_plane_inputs(struct k8s *k, char hex[KL_SHA256_HEX])
{
	struct kl_strbuf all = KL_STRBUF_INIT;
	struct kl_cert_file *files = NULL;
	size_t n = 0;

	if (kl_k8s_render_kubeadm(k, &all, NULL) != 0)
		kl_strbuf_addstr(&all, "(unrenderable)");
	for (const char *const *t = kl_kubeadm_patch_targets; *t; t++)
		if (kl_kubeadm_patch(*t, &all, NULL) != 0)
			kl_strbuf_addstr(&all, "(unrenderable)");
	kl_certs_kubeadm_files(&k->certs, &files, &n);
	for (size_t i = 0; i < n; i++) {
		kl_strbuf_addf(&all, "\n%s\n", files[i].name);
		if (kl_read_file(files[i].src, &all, NULL) != 0)
			kl_strbuf_addstr(&all, "(unreadable)");
	}
	kl_sha256_buf(all.buf, all.len, hex);
	kl_cert_files_free(files, n);
	OPENSSL_cleanse(all.buf, all.len); /* it held private keys */
	kl_strbuf_release(&all);
}

/* kubeadm reset removes the static pod manifests but does not wait for their containers
 * to go (under a slow CRI it cannot even remove them): kill what runs and wait until the
 * control plane's ports are free, or the retried init fails its preflight on them. */
static int
settle_after_reset(struct k8s *k, struct kl_err *err)
{
	static const char script[] =
		"for t in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do ctr -n k8s.io tasks kill -s SIGKILL \"$t\"; done; "
		"for i in $(seq 600); do "
		"ss -Htln '( sport = :2379 or sport = :2380 or sport = :10257 or sport = :10259 or sport = :'\"$1\"' )' "
		"| grep -q . || exit 0; sleep 0.2; done; "
		"echo \"the control plane's ports are still in use after kubeadm reset:\"; "
		"ss -Htlnp '( sport = :2379 or sport = :10257 or sport = :10259 or sport = :'\"$1\"' )'; exit 1";
	char port[16];

	snprintf(port, sizeof(port), "%d", k->c->machine->spec.apiserver_port);
	return kl_k8s_run(k, 180000, KL_R_K8S_INIT, NULL, err, "sh", "-c", script, "sh", port, NULL);
}

/* containerd answers `ctr version` a moment before its CRI service has recovered its
 * state ("server is not initialized yet"), and kubeadm's preflight asks the CRI: a
 * preflight failure changed nothing, so init runs again as it was, for up to 10 s,
 * instead of a reset and a retry (its output in k->log from `from` on). 0 once init
 * passed; -1 when it failed otherwise. */
static int
cri_not_ready(struct k8s *k, size_t from, struct kl_err *err, const char *const *init)
{
	long long until = kl_now_ms() + 10000;

	for (;;) {
		const char *out = k->log.buf + from;

		if (!strstr(out, "execution phase preflight") || !strstr(out, "server is not initialized yet") ||
		    kl_now_ms() >= until)
			return -1;
		kl_info("kubeadm init: containerd's CRI is not ready yet; running init again");
		kl_sleep_ms(200);
		from = k->log.len;
		if (kubeadm(k, k->o->wait_timeout_ms, err, init) == 0)
			return 0;
	}
}

/* First start: kubeadm init (reset and one retry on failure). Restart: only the
 * phases that rebuild what a stopped machine lost. */
static int
control_plane(struct k8s *k, int restart, struct kl_err *err)
{
	char ignores[1024], inputs[KL_SHA256_HEX];
	const char *last;
	/* CoreDNS is the dns addon's (kubelaunch's manifest, its settings). */
	const char *init[] = { "init", "--config", KL_NODE_KUBEADM_YAML, ignores, "--skip-phases=addon/coredns", NULL };
	static const char *const phases[][6] = {
		{ "init", "phase", "certs", "all", "--config", KL_NODE_KUBEADM_YAML },
		{ "init", "phase", "kubeconfig", "all", "--config", KL_NODE_KUBEADM_YAML },
		{ "init", "phase", "kubelet-start", "--config", KL_NODE_KUBEADM_YAML, NULL },
		{ "init", "phase", "control-plane", "all", "--config", KL_NODE_KUBEADM_YAML },
		{ "init", "phase", "etcd", "local", "--config", KL_NODE_KUBEADM_YAML },
	};
	static const char *const reset[] = { "reset", "--force", "--cri-socket", KL_KUBEADM_CRI_SOCKET, NULL };

	snprintf(ignores, sizeof(ignores), "--ignore-preflight-errors=%s", kl_node_preflight_ignores);
	control_plane_inputs(k, inputs);
	last = kl_json_str(k->c->state, "KubeadmInputs");
	/* Only where a kubelet runs already: supervised by kubelaunch (started just before),
	 * or under systemd started at boot from the boot files (boot_files). It runs the
	 * static pods it has. A systemd kubelet that is not running (a machine of an older
	 * kubelaunch, its unit lost with the guest's root at reboot) is what the phases start. */
	if (restart && (!k->systemd || k->kubelet_up) && last && strcmp(inputs, last) == 0) {
		SUB(k->o, "Restarting the control plane (its configuration and certificates are unchanged) ...");
		return 0;
	}
	if (restart) {
		SUB(k->o, "Restarting the control plane ...");
		for (size_t i = 0; i < KL_ARRAY_SIZE(phases); i++) {
			const char *argv[7] = { 0 };

			memcpy(argv, phases[i], sizeof(phases[i]));
			if (kubeadm(k, k->o->wait_timeout_ms, err, argv) != 0)
				return -1;
		}
	} else {
		size_t mark = k->log.len;

		SUB(k->o, "Booting up control plane ...");
		if (kubeadm(k, k->o->wait_timeout_ms, err, init) != 0 && cri_not_ready(k, mark, err, init) != 0) {
			kl_warn("kubeadm init failed, resetting and trying once more: %s", err->msg);
			SUB(k->o, "kubeadm init failed; resetting and trying once more ...");
			if (kubeadm(k, 300000, err, reset) != 0 || settle_after_reset(k, err) != 0 ||
			    kubeadm(k, k->o->wait_timeout_ms, err, init) != 0)
				return -1;
		}
	}
	/* Saved with KubeadmDone once the API server answers. */
	json_object_set_new(k->c->state, "KubeadmInputs", json_string(inputs));
	return 0;
}

/* What the machine needs at its next boot to start the control plane by itself
 * (kl_node_boot_files), kept on its data disk; the guest image puts it back before PID 1. */
static int
boot_files(struct k8s *k, struct kl_err *err)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	int rc;

	kl_strvec_push(&argv, "sh");
	kl_strvec_push(&argv, "-c");
	kl_strvec_push(&argv, kl_node_boot_save_script);
	kl_strvec_push(&argv, "sh");
	for (const char *const *f = kl_node_boot_files; *f; f++)
		kl_strvec_push(&argv, *f);
	rc = kl_k8s_runv(k, 30000, KL_R_GUEST, NULL, err, kl_strvec_argv(&argv));
	kl_strvec_clear(&argv);
	return rc;
}

/* --cni FILE: the manifest, applied from the host. */
static int
apply_cni(struct k8s *k, struct kl_err *err)
{
	struct kl_strbuf text = KL_STRBUF_INIT;
	json_t *objs = NULL;
	int rc;

	SUB(k->o, "Applying the CNI manifest %s ...", k->o->cni);
	rc = kl_read_file(k->o->cni, &text, err);
	if (rc == 0)
		rc = kl_kube_yaml_objects(text.buf, text.len, k->o->cni, &objs, err);
	if (rc == 0)
		rc = kl_kube_apply_list(k->kube, objs, NULL, NULL, NULL, err); /* "default", as kubectl */
	json_decref(objs);
	kl_strbuf_release(&text);
	return rc;
}

/* What finish_cluster puts in the cluster: the binding and the node's labels. */
static json_t *
cluster_objects(struct k8s *k)
{
	return json_pack("{s:{s:s,s:s,s:{s:s},s:{s:s,s:s,s:s},s:[{s:s,s:s,s:s}]},s:{s:s,s:s,s:s}}",
			 "binding", "apiVersion", "rbac.authorization.k8s.io/v1", "kind", "ClusterRoleBinding",
			 "metadata", "name", "kubelaunch-rbac", "roleRef", "apiGroup", "rbac.authorization.k8s.io", "kind",
			 "ClusterRole", "name", "cluster-admin", "subjects", "kind", "ServiceAccount", "name", "default",
			 "namespace", "kube-system",
			 "labels", "kubelaunch.io/name", k->c->machine->name, "kubelaunch.io/version",
			 k->o->kubernetes_version, "kubelaunch.io/primary", "true");
}

/* Our labels on the node (a merge patch: the node must exist, kubelet registers it). */
static int
label_node(struct k8s *k, json_t *labels, struct kl_err *err)
{
	json_t *patch = json_pack("{s:{s:O}}", "metadata", "labels", labels);
	char *body = json_dumps(patch, JSON_COMPACT), *path = kl_xasprintf("/api/v1/nodes/%s", k->node_name);
	struct kl_kube_resp resp;
	int rc = -1;

	kl_kube_resp_init(&resp);
	for (;;) {
		if (kl_kube_request(k->kube, "PATCH", path, "application/merge-patch+json", body, strlen(body), &resp,
				    err) != 0)
			break;
		if (resp.status == 200) {
			rc = 0;
			break;
		}
		if (resp.status != 404 || kl_now_ms() >= kl_kube_deadline(k->kube)) {
			kl_kube_status_error(&resp, err, "cannot label node '%s'", k->node_name);
			break;
		}
		kl_sleep_ms(200); /* not registered yet */
	}
	kl_kube_resp_release(&resp);
	free(path);
	free(body);
	json_decref(patch);
	return rc;
}

/* RBAC for kube-system's default account (addons use it), and our node labels: from
 * the host through the API. A restart whose objects are the same as the last start's
 * skips them (etcd kept them). */
static int
finish_cluster(struct k8s *k, int restart, struct kl_err *err)
{
	json_t *want = cluster_objects(k);
	char *text = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	const char *had = kl_json_str(k->c->state, "ClusterObjects");
	long long t0 = kl_now_ms();
	int rc = 0;

	kl_kube_set_deadline(k->kube, kl_now_ms() + k->o->wait_timeout_ms);
	if (restart && had && strcmp(had, text) == 0) {
		kl_info("RBAC and node labels unchanged since the last start");
	} else {
		SUB(k->o, cni_manifest(k->o) ? "Configuring RBAC rules ..." : "Configuring RBAC rules and the bridge CNI ...");
		rc = kl_kube_apply(k->kube, json_object_get(want, "binding"), NULL, NULL, err);
		if (rc == 0)
			rc = label_node(k, json_object_get(want, "labels"), err);
		if (rc == 0)
			json_object_set_new(k->c->state, "ClusterObjects", json_string(text));
	}
	kl_info("phase rbac and labels: %lld ms", kl_now_ms() - t0);
	if (rc == 0 && cni_manifest(k->o))
		rc = apply_cni(k, err);
	free(text);
	json_decref(want);
	return rc;
}

static int
write_kubeconfig(struct k8s *k, struct kl_err *err)
{
	struct kl_machine *m = k->c->machine;
	struct kl_endpoint ep = { .port = 0 };
	char *path = NULL, *server = NULL;
	struct kl_kubeconfig_entry e = { 0 };
	int rc = -1;

	if (kl_driver_endpoint(m, m->spec.apiserver_port, &ep, err) != 0 || kl_kubeconfig_path(&path, err) != 0)
		goto out;
	server = kl_xasprintf("https://%s:%d", ep.host, ep.port);
	e.profile = m->name;
	e.server = server;
	e.ca_path = k->certs.ca_crt;
	e.cert_path = k->certs.client_crt;
	e.key_path = k->certs.client_key;
	e.embed = k->o->embed_certs;
	if (kl_kubeconfig_merge(path, &e, k->o->keep_context, err) != 0)
		goto out;
	json_object_set_new(k->c->profile.cfg, "APIServer", json_string(server));
	rc = 0;
out:
	free(server);
	free(path);
	return rc;
}

/* Run one phase and log how long it took (bench/start.sh prints the breakdown). */
static int
phase(const char *name, long long t0, int rc)
{
	kl_info("phase %s: %lld ms", name, kl_now_ms() - t0);
	return rc != 0;
}
#define PHASE(name, call) (t0 = kl_now_ms(), phase(name, t0, (call)))

int
kl_kubernetes_start(struct kl_cluster *c, struct kl_start_opts *o, struct kl_runner *r, struct kl_err *err)
{
	struct k8s k = { .c = c, .o = o, .r = r, .node_name = c->machine->name, .log = KL_STRBUF_INIT };
	int restart = json_is_true(json_object_get(c->state, "KubeadmDone"));
	char *logpath = kl_machine_path(c->machine, "kubeadm.log");
	long long t0;
	int rc = -1;

	snprintf(k.bin_dir, sizeof(k.bin_dir), KL_NODE_BIN_DIR "/%s", o->kubernetes_version);
	STEP(o, "Preparing Kubernetes", "🐳", "Preparing Kubernetes %s on containerd ...", o->kubernetes_version);
	if (PHASE("facts", facts(&k, err)) || PHASE("certificates", certificates(&k, err)) ||
	    PHASE("copy files", kl_k8s_copy_files(&k, err)) || PHASE("node config", configure_node(&k, err)) ||
	    PHASE("containerd", runtime(&k, err)) || PHASE("images", kl_k8s_import_images(&k, err)) ||
	    PHASE("kubelet service", kubelet_service(&k, err)))
		goto out;
	/* The API server answers before anything is applied (after a restart it takes a
	 * while); from here on the host talks to it directly. */
	if (PHASE(restart ? "kubeadm phases" : "kubeadm init", control_plane(&k, restart, err)) ||
	    (k.kube = kl_cluster_kube(c, o->wait_timeout_ms, err)) == NULL ||
	    PHASE("wait apiserver", kl_cluster_wait(k.r, k.kube, k.bin_dir, k.node_name, c->machine->name,
						    o->wait_timeout_ms, KL_WAIT_APISERVER, err)))
		goto out;
	if (k.systemd && PHASE("boot files", boot_files(&k, err)))
		goto out;
	json_object_set_new(c->state, "KubeadmDone", json_true());
	json_object_set_new(c->state, "NodeIP", json_string(k.node_ip));
	if (kl_cluster_save_state(c, err) != 0 || finish_cluster(&k, restart, err) != 0 ||
	    kl_cluster_save_state(c, err) != 0)
		goto out;
	STEP(o, "Verifying", "🔎", "Verifying Kubernetes components ...");
	if (o->wait == KL_WAIT_NONE)
		SUB(o, "Not waiting for the components (--wait=none)");
	if (PHASE("kubeconfig", write_kubeconfig(&k, err)) ||
	    (o->addons && PHASE("addons", o->addons(o->addons_arg, c, err))) ||
	    PHASE("waits", kl_cluster_wait(k.r, k.kube, k.bin_dir, k.node_name, c->machine->name, o->wait_timeout_ms,
					   (o->wait ? o->wait : KL_WAIT_ALL) & ~KL_WAIT_APISERVER, err)))
		goto out;
	rc = kl_profile_save(c->home, &c->profile, err);
out:
	if (k.log.len)
		kl_write_file_atomic(logpath, k.log.buf, k.log.len, 0600, NULL);
	kl_strbuf_release(&k.log);
	kl_certs_release(&k.certs);
	kl_kube_free(k.kube);
	free(logpath);
	return rc;
}

int
kl_kubernetes_plan(struct kl_cluster *c, struct kl_start_opts *o, struct kl_strbuf *yaml, int *ip_guessed,
		   struct kl_err *err)
{
	struct k8s k = { .c = c, .o = o, .node_name = c->machine->name, .systemd = 1 };
	struct kl_machine *m = c->machine;
	int rc;

	*ip_guessed = 0;
	if (m->driver->caps & KL_CAP_HOST) {
		/* This host: the facts a start reads (read-only commands). */
		k.r = kl_runner_local_new();
		rc = facts(&k, err);
		kl_runner_free(k.r);
		if (rc != 0)
			return -1;
	} else if (kl_driver_ip(m, k.node_ip, sizeof(k.node_ip), NULL) != 0 || k.node_ip[0] == '\0' ||
		   strcmp(m->driver->name, "qemu") == 0) {
		/* qemu's user networking gives the guest this address; others learn it at boot. */
		snprintf(k.node_ip, sizeof(k.node_ip), "10.0.2.15");
		*ip_guessed = strcmp(m->driver->name, "qemu") != 0;
	}
	return kl_k8s_render_kubeadm(&k, yaml, err);
}

/* Stop a supervised service on this host by its supervisor's PID. */
static void
unsupervise(const char *name)
{
	char *pidfile = kl_xasprintf(KL_NODE_DIR "/%s.pid", name);
	int pid = kl_pidfile_read(pidfile);

	if (kl_pid_alive(pid, KL_SUPERVISOR_PREFIX)) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 200 && kl_pid_alive(pid, KL_SUPERVISOR_PREFIX); i++)
			kl_sleep_ms(100);
	}
	free(pidfile);
}

int
kl_kubernetes_stop(struct kl_cluster *c, struct kl_runner *r, int reset, struct kl_err *err)
{
	struct k8s k = { .c = c, .r = r, .node_name = c->machine->name };
	const char *version = kl_profile_str(&c->profile, "KubernetesVersion", "");
	int host = c->machine->driver->caps & KL_CAP_HOST;

	snprintf(k.bin_dir, sizeof(k.bin_dir), KL_NODE_BIN_DIR "/%s", version);
	if (host)
		unsupervise("kubelet");
	else
		kl_k8s_run(&k, 60000, KL_R_GUEST, NULL, NULL, "systemctl", "stop", "kubelet", NULL);
	/* The control plane's containers go with the kubelet. */
	kl_k8s_run(&k, 120000, KL_R_RUNTIME, NULL, NULL, "sh", "-c",
		 "for t in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do ctr -n k8s.io tasks kill -s SIGKILL \"$t\"; done; true",
		 NULL);
	if (reset) {
		const char *argv[] = { "env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, "reset", "--force",
				       "--cri-socket", KL_KUBEADM_CRI_SOCKET, NULL };
		char kubeadm_bin[300];

		snprintf(kubeadm_bin, sizeof(kubeadm_bin), "%s/kubeadm", k.bin_dir);
		argv[2] = kubeadm_bin;
		if (kl_path_exists(kubeadm_bin) || !host) {
			struct kl_run_result res;
			struct kl_run_opts opts = { .timeout_ms = 300000, .sudo = 1 };

			kl_run_result_init(&res);
			kl_runner_run(r, argv, &opts, &res, err);
			kl_run_result_release(&res);
		}
	}
	if (host) {
		unsupervise("containerd");
		if (reset)
			kl_k8s_run(&k, 120000, KL_R_HOST, NULL, NULL, "sh", "-c", kl_node_host_cleanup_script, NULL);
	}
	return 0;
}
