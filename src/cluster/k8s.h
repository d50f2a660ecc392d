/*
 * k8s.h: what the files of the Kubernetes start (k8s.c, node_files.c, kubernetes.c) share.
 * Private to src/cluster.
 */
#ifndef KL_CLUSTER_K8S_H
#define KL_CLUSTER_K8S_H

#include <sys/types.h>

#include "kubelaunch/certs.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/strbuf.h"

#define STEP(o, name, icon, ...) kl_out_step((o)->out, ++(o)->step, (o)->total, name, icon, __VA_ARGS__)
#define SUB(o, ...) kl_out_info((o)->out, __VA_ARGS__)

/* One start of Kubernetes on one machine. */
struct k8s {
	struct kl_cluster *c;
	struct kl_start_opts *o;
	struct kl_runner *r;
	char node_ip[64];
	const char *node_name;
	int systemd;     /* the machine runs systemd */
	int kubelet_up;  /* ... and its kubelet runs already (started at boot from KL_NODE_BOOT_DIR) */
	int cgroup_v1;
	char bin_dir[256];
	struct kl_certs certs;
	struct kl_strbuf log; /* kubeadm's output, kept in the machine dir for `logs` */
	struct kl_kube *kube; /* the API server from the host, once it is up */
};

/* k8s.c: the primitives; kubernetes.c and node_files.c use them, not each other
 * (node_files.c is used by kubernetes.c only). */
/* Run argv as root; a non-zero status is `reason`. kl_k8s_run takes the words as
 * NULL-terminated varargs. */
int kl_k8s_runv(struct k8s *k, int timeout_ms, enum kl_reason reason, struct kl_run_result *res,
		struct kl_err *err, const char *const *argv);
int kl_k8s_run(struct k8s *k, int timeout_ms, enum kl_reason reason, struct kl_run_result *res,
	       struct kl_err *err, ...);
/* `text` to `dst` on the machine, as root, unless identical. */
int kl_k8s_copy_data(struct k8s *k, const char *text, const char *dst, mode_t mode, struct kl_err *err);
/* A systemd unit `text` as `path`, then daemon-reload and enable when it changed or is
 * not enabled. */
int kl_k8s_install_unit(struct k8s *k, const char *text, const char *path, struct kl_err *err);
/* kubeadm.yaml for this machine and these options. */
int kl_k8s_render_kubeadm(struct k8s *k, struct kl_strbuf *yaml, struct kl_err *err);

/* node_files.c */
/* The binaries' and the bundle's directories are shared with the machine at its next
 * boot where the driver can (a 9p share is much faster than SSH under emulation). */
void kl_k8s_share_inputs(struct kl_machine *m, const struct kl_start_opts *o);
/* Binaries, certificates and kubeadm.yaml to the machine. */
int kl_k8s_copy_files(struct k8s *k, struct kl_err *err);
/* The bundle's archives into containerd's k8s.io namespace, unless all its images are
 * there already (images.list in the bundle names them). */
int kl_k8s_import_images(struct k8s *k, struct kl_err *err);

/* preload.c */
/* The bundle as a preloaded store where the machine can start from it: on this host
 * (o->preload_root), or as a new VM's data disk (spec.disk_base). What cannot is said,
 * and the import does the work instead. */
void kl_k8s_preload(struct kl_cluster *c, struct kl_start_opts *o);
/* On this host, before containerd starts: its root `root` from the preload, when it has
 * no images database yet. */
int kl_k8s_preload_install(struct k8s *k, const char *root, struct kl_err *err);

#endif
