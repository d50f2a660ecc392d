/*
 * node.h: what kubelaunch puts on the machine before kubeadm runs: containerd's
 * configuration, the bridge CNI configuration, and how kubelet is kept running
 * (a systemd unit, or `kubelaunch supervise` where there is no systemd).
 * Pure generators: golden-tested; the cluster layer copies their output over.
 */
#ifndef KL_NODE_H
#define KL_NODE_H

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

/* Where things live in the guest (REFERENCE.md's layout). */
#define KL_NODE_DIR "/var/lib/kubelaunch"
#define KL_NODE_BIN_DIR KL_NODE_DIR "/binaries"
#define KL_NODE_KUBEADM_YAML KL_NODE_DIR "/kubeadm.yaml"
#define KL_NODE_KUBEADM_PATCHES KL_NODE_DIR "/kubeadm-patches" /* kl_kubeadm_patch's files */
#define KL_NODE_IMAGE_DIR KL_NODE_DIR "/images"
#define KL_NODE_SHARE_DIR "/run/kubelaunch/shares" /* host directories, read-only */
#define KL_NODE_CNI_CONF "/etc/cni/net.d/10-kubelaunch-bridge.conflist"
#define KL_NODE_CNI_BIN "/usr/lib/cni"
#define KL_NODE_POD_SUBNET "10.244.0.0/16"
#define KL_NODE_DNS_IP "10.96.0.10"
#define KL_NODE_ADMIN_CONF "/etc/kubernetes/admin.conf"
#define KL_NODE_SETUP KL_NODE_DIR "/node-setup"  /* kl_node_setup_script, run at start and boot */
#define KL_NODE_BOOT_DIR KL_NODE_DIR "/boot"     /* kl_node_boot_files, restored at boot */
#define KL_NODE_SETUP_UNIT "/etc/systemd/system/kubelaunch-node.service"
#define KL_NODE_KUBELET_UNIT "/etc/systemd/system/kubelet.service"

struct kl_node_runtime {
	const char *pause_image;  /* registry.k8s.io/pause:3.10 */
	int systemd_cgroup;       /* the cgroup driver is systemd (else cgroupfs) */
	const char *root;         /* containerd's root, NULL: its default */
	const char *state;        /* containerd's state, NULL: its default */
	const char *address;      /* the socket, NULL: /run/containerd/containerd.sock */
	int no_cri;               /* images only (the preload): the CRI plugin off */
};

/* containerd's config.toml (format version 2, CRI plugin). */
void kl_node_containerd_config(const struct kl_node_runtime *rt, struct kl_strbuf *out);
/* The bridge CNI conflist for the pod subnet (JSON, with jansson). */
void kl_node_cni_conflist(const char *pod_subnet, struct kl_strbuf *out);
/* kubelet as kubeadm's systemd drop-in expects it. */
void kl_node_kubelet_unit(const char *bin_dir, struct kl_strbuf *out);
/* The argv `kubelaunch supervise` runs for kubelet: a shell that waits for kubeadm's
 * kubelet config, then execs kubelet with kubeadm's flags (systemd's drop-in, in sh). */
extern const char kl_node_kubelet_script[];

/* The node's settings for Kubernetes, $1 its address: the control plane's name in
 * /etc/hosts, br_netfilter and overlay, IP forwarding and bridge netfilter, and an
 * on-link default route where DHCP gave none. Idempotent; run by every start and, on
 * a machine with systemd, at boot (kl_node_setup_unit) before containerd and kubelet. */
extern const char kl_node_setup_script[];
void kl_node_setup_unit(const char *node_ip, struct kl_strbuf *out);
/* What a machine whose root file system is reset at boot (the guest image: a tmpfs
 * over the ISO) must find again before PID 1 to run its cluster without kubelaunch:
 * the units (enabled), containerd's configuration and registry hosts. A start copies
 * them under KL_NODE_BOOT_DIR on the data disk; the image's data-disk script copies
 * them back at boot, so containerd and kubelet start the control plane while the host
 * is still waiting for SSH. NULL-terminated. */
extern const char *const kl_node_boot_files[];
/* The shell script that copies them (absent ones skipped) under KL_NODE_BOOT_DIR,
 * replacing what an earlier start put there at once (a new tree renamed over it). */
extern const char kl_node_boot_save_script[];

/* A shell script that removes what Kubernetes left on a host (none driver's delete). */
extern const char kl_node_host_cleanup_script[];

/* containerd's registry hosts (config_path), and the registry addon's entry in it. */
#define KL_NODE_REGISTRY_HOSTS_DIR "/etc/containerd/certs.d"
extern const char kl_node_registry_hosts_toml[];

/* kubeadm's preflight checks kubelaunch knows to be wrong for its machines. */
extern const char kl_node_preflight_ignores[];

#endif
