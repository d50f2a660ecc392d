/*
 * k8s.c: the primitives of one Kubernetes start on a machine (run as root, copy a
 * file, render kubeadm.yaml) that kubernetes.c and node_files.c both use; neither of
 * those uses the other's insides.
 */
#include <stdarg.h>
#include <string.h>

#include "kubelaunch/kubeadm.h"
#include "kubelaunch/node.h"
#include "kubelaunch/strvec.h"
#include "k8s.h"

int
kl_k8s_runv(struct k8s *k, int timeout_ms, enum kl_reason reason, struct kl_run_result *res, struct kl_err *err,
	    const char *const *argv)
{
	struct kl_run_result own;
	struct kl_run_opts opts = { .timeout_ms = timeout_ms, .sudo = 1 };
	int rc;

	if (res == NULL)
		kl_run_result_init(res = &own);
	rc = kl_runner_check(k->r, argv, &opts, res, reason, err);
	if (res == &own)
		kl_run_result_release(&own);
	return rc;
}

int
kl_k8s_run(struct k8s *k, int timeout_ms, enum kl_reason reason, struct kl_run_result *res, struct kl_err *err, ...)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	const char *a;
	va_list ap;
	int rc;

	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) != NULL)
		kl_strvec_push(&argv, a);
	va_end(ap);
	rc = kl_k8s_runv(k, timeout_ms, reason, res, err, kl_strvec_argv(&argv));
	kl_strvec_clear(&argv);
	return rc;
}

int
kl_k8s_copy_data(struct k8s *k, const char *text, const char *dst, mode_t mode, struct kl_err *err)
{
	return kl_runner_copy_data(k->r, text, strlen(text), dst, mode, 1, NULL, err);
}

int
kl_k8s_install_unit(struct k8s *k, const char *text, const char *path, struct kl_err *err)
{
	static const char script[] = "[ \"$1\" = 0 ] && [ -L \"/etc/systemd/system/multi-user.target.wants/${2##*/}\" ] || "
				     "{ systemctl daemon-reload && systemctl enable -q \"${2##*/}\"; }";
	int copied = 1;

	if (kl_runner_copy_data(k->r, text, strlen(text), path, 0644, 1, &copied, err) != 0)
		return -1;
	return kl_k8s_run(k, 60000, KL_R_GUEST, NULL, err, "sh", "-c", script, "sh", copied ? "1" : "0", path, NULL);
}

int
kl_k8s_render_kubeadm(struct k8s *k, struct kl_strbuf *yaml, struct kl_err *err)
{
	struct kl_kubeadm_params kp = {
		.kubernetes_version = k->o->kubernetes_version, .node_name = k->node_name,
		.node_ip = k->node_ip, .apiserver_port = k->c->machine->spec.apiserver_port,
		.cgroup_driver = k->systemd ? "systemd" : "cgroupfs", .cgroup_v1 = k->cgroup_v1,
		.image_repository = k->o->image_repository, .pull_never = k->o->image_bundle != NULL,
		.extra_config = k->o->extra_config, .feature_gates = k->o->feature_gates,
		.patches_dir = KL_NODE_KUBEADM_PATCHES,
	};

	return kl_kubeadm_render(&kp, yaml, err);
}
