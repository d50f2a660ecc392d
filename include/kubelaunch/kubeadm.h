/*
 * kubeadm.h: the kubeadm configuration file, rendered with libyaml's emitter.
 *
 * Four documents: InitConfiguration, ClusterConfiguration (kubeadm.k8s.io/v1beta3
 * for Kubernetes < 1.31, v1beta4 from 1.31: extraArgs become lists of {name, value}),
 * KubeletConfiguration and KubeProxyConfiguration.
 *
 * Fixed choices: controlPlaneEndpoint is control-plane.kubelaunch.internal:<port>, so
 * the guest must resolve that name to the node IP (/etc/hosts) before kubeadm runs;
 * leader election is off for the controller manager and the scheduler; the node keeps
 * no taints (taints: []); the kubelet does not fail on swap, evicts nothing for disk
 * (evictionHard 0%), never garbage-collects images (imageGCHighThresholdPercent 100);
 * kube-proxy in iptables mode leaves conntrack sysctls alone (works in containers).
 * With patches_dir, kubeadm patches the static pods from that directory: the files of
 * kl_kubeadm_patch, which probe their start every second (kubeadm's own startupProbe
 * first looks after 10 s, then every 10 s: a control plane that comes back in 4 s is
 * not Ready before 10-20 s).
 *
 * --extra-config component.key=value:
 *   apiserver, controller-manager, scheduler, etcd  -> that component's extraArgs
 *   kubelet                                         -> nodeRegistration.kubeletExtraArgs
 *                                                      (kubelet flags, as minikube does)
 *   kube-proxy                                      -> a KubeProxyConfiguration field;
 *                                                      dots nest: conntrack.maxPerCore=5
 * A value given twice keeps the last; a default (leader-elect=false) is replaced.
 */
#ifndef KL_KUBEADM_H
#define KL_KUBEADM_H

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/units.h"

#define KL_KUBEADM_MIN_MINOR 28 /* KubeletConfiguration.containerRuntimeEndpoint */
#define KL_KUBEADM_CONTROL_PLANE_NAME "control-plane.kubelaunch.internal"
#define KL_KUBEADM_CERT_DIR "/var/lib/kubelaunch/certs"
#define KL_KUBEADM_ETCD_DIR "/var/lib/kubelaunch/etcd"
#define KL_KUBEADM_CRI_SOCKET "unix:///run/containerd/containerd.sock"

struct kl_kubeadm_params {
	const char *kubernetes_version;  /* vX.Y.Z */
	const char *node_name;
	const char *node_ip;
	int apiserver_port;              /* 0: 8443 */
	const char *pod_subnet;          /* NULL: 10.244.0.0/16 */
	const char *service_subnet;      /* NULL: 10.96.0.0/12 */
	const char *cert_dir;            /* NULL: KL_KUBEADM_CERT_DIR */
	const char *etcd_dir;            /* NULL: KL_KUBEADM_ETCD_DIR */
	const char *cri_socket;          /* NULL: KL_KUBEADM_CRI_SOCKET */
	const char *cgroup_driver;       /* "systemd" or "cgroupfs"; NULL: systemd */
	const char *image_repository;    /* NULL: registry.k8s.io */
	int pull_never;                  /* images come from --image-bundle: imagePullPolicy Never */
	int cgroup_v1;                   /* the guest runs cgroup v1: failCgroupV1 false (>= 1.31) */
	const char *const *extra_config; /* NULL-terminated component.key=value, or NULL */
	const char *feature_gates;       /* "A=true,B=false", or NULL */
	const char *const *cert_sans;    /* extra apiServer.certSANs (--apiserver-ips/names) */
	const char *patches_dir;         /* NULL: none; else InitConfiguration.patches.directory */
};

/* Render the whole file into out. Bad extra-config or feature gates are USAGE_VALUE;
 * a version below 1.KL_KUBEADM_MIN_MINOR is K8S_VERSION_UNKNOWN. */
int kl_kubeadm_render(const struct kl_kubeadm_params *p, struct kl_strbuf *out, struct kl_err *err);
/* Check --extra-config and --feature-gates alone (for start's check, before anything
 * is created). */
int kl_kubeadm_check_options(const char *const *extra_config, const char *feature_gates,
			     struct kl_err *err);
/* The static pods kubeadm patches (etcd, kube-apiserver, ...), NULL-terminated, and
 * the patch of `target` (a strategic merge patch: its startupProbe every second, for
 * as long in all as kubeadm's own): the file `target`+strategic.yaml of patches_dir. */
extern const char *const kl_kubeadm_patch_targets[];
int kl_kubeadm_patch(const char *target, struct kl_strbuf *out, struct kl_err *err);
/* "kubeadm.k8s.io/v1beta3" or "kubeadm.k8s.io/v1beta4". */
const char *kl_kubeadm_api_version(const struct kl_version *v);

#endif
