/* node.c: containerd, CNI and kubelet configuration for the machine. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "kubelaunch/kubeadm.h"
#include "kubelaunch/node.h"

/* TOML basic strings: our values are paths and image names, but escape anyway. */
static void
toml_str(struct kl_strbuf *out, const char *key, const char *value)
{
	kl_strbuf_addf(out, "%s = \"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			kl_strbuf_addch(out, '\\');
		if ((unsigned char)*p >= 0x20)
			kl_strbuf_addch(out, *p);
	}
	kl_strbuf_addstr(out, "\"\n");
}

void
kl_node_containerd_config(const struct kl_node_runtime *rt, struct kl_strbuf *out)
{
	kl_strbuf_addstr(out, "# Written by kubelaunch.\nversion = 2\n");
	if (rt->root)
		toml_str(out, "root", rt->root);
	if (rt->state)
		toml_str(out, "state", rt->state);
	if (rt->no_cri)
		kl_strbuf_addstr(out, "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n");
	kl_strbuf_addstr(out, "\n[grpc]\n  ");
	toml_str(out, "address", rt->address ? rt->address : "/run/containerd/containerd.sock");
	if (rt->no_cri)
		return;
	kl_strbuf_addstr(out, "\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  ");
	toml_str(out, "sandbox_image", rt->pause_image);
	kl_strbuf_addstr(out, "  enable_selinux = false\n  restrict_oom_score_adj = true\n"
			      "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
			      "    snapshotter = \"overlayfs\"\n    default_runtime_name = \"runc\"\n"
			      "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
			      "      runtime_type = \"io.containerd.runc.v2\"\n"
			      "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n");
	kl_strbuf_addf(out, "        SystemdCgroup = %s\n", rt->systemd_cgroup ? "true" : "false");
	kl_strbuf_addstr(out, "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n    ");
	toml_str(out, "bin_dir", KL_NODE_CNI_BIN);
	kl_strbuf_addstr(out, "    ");
	toml_str(out, "conf_dir", "/etc/cni/net.d");
	/* Registries by host (certs.d/<host>/hosts.toml): the registry addon's localhost:5000. */
	kl_strbuf_addstr(out, "  [plugins.\"io.containerd.grpc.v1.cri\".registry]\n    ");
	toml_str(out, "config_path", KL_NODE_REGISTRY_HOSTS_DIR);
}

/* The registry addon listens on the node's port 5000 over plain HTTP. */
const char kl_node_registry_hosts_toml[] =
	"# Written by kubelaunch: the registry addon (plain HTTP on the node itself).\n"
	"server = \"http://localhost:5000\"\n\n"
	"[host.\"http://localhost:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n";

void
kl_node_cni_conflist(const char *pod_subnet, struct kl_strbuf *out)
{
	json_t *conf = json_pack(
		"{s:s, s:s, s:[{s:s, s:s, s:b, s:b, s:b, s:{s:s, s:[[{s:s}]], s:[{s:s}]}}, {s:s, s:{s:b}}]}",
		"cniVersion", "1.0.0", "name", "kubelaunch-bridge", "plugins",
		"type", "bridge", "bridge", "kl-bridge0", "isGateway", 1, "ipMasq", 1, "hairpinMode", 1,
		"ipam", "type", "host-local", "ranges", "subnet", pod_subnet, "routes", "dst", "0.0.0.0/0",
		"type", "portmap", "capabilities", "portMappings", 1);
	char *text = json_dumps(conf, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	kl_strbuf_addstr(out, text);
	kl_strbuf_addch(out, '\n');
	free(text);
	json_decref(conf);
}

void
kl_node_kubelet_unit(const char *bin_dir, struct kl_strbuf *out)
{
	kl_strbuf_addstr(out, "# Written by kubelaunch.\n[Unit]\nDescription=kubelet: The Kubernetes Node Agent\n"
			      "Wants=containerd.service\nAfter=containerd.service kubelaunch-node.service\n\n[Service]\n"
			      "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n");
	kl_strbuf_addf(out, "ExecStart=%s/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "
			    "--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml "
			    "$KUBELET_KUBEADM_ARGS\n", bin_dir);
	kl_strbuf_addstr(out, "Restart=always\nRestartSec=1\nStartLimitInterval=0\n\n[Install]\n"
			      "WantedBy=multi-user.target\n");
}

const char kl_node_setup_script[] =
	"# Written by kubelaunch: the node's settings for Kubernetes; $1 is its address.\n"
	/* /etc/hosts may be a bind mount (containers): rewrite it in place. */
	"{ grep -v ' " KL_KUBEADM_CONTROL_PLANE_NAME "$' /etc/hosts; printf '%s " KL_KUBEADM_CONTROL_PLANE_NAME "\\n' \"$1\"; } "
	">/etc/hosts.kubelaunch && cat /etc/hosts.kubelaunch >/etc/hosts && rm -f /etc/hosts.kubelaunch\n"
	"modprobe br_netfilter 2>/dev/null; modprobe overlay 2>/dev/null\n"
	"sysctl -qw net.ipv4.ip_forward=1\n"
	"sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null\n"
	/* Service IPs are routed before kube-proxy's NAT sees them: a machine whose DHCP
	 * gave no router (qemu --network=isolated) gets an on-link default route on the
	 * node's interface, where nothing answers. */
	"ip route show default | grep -q . || { set -- $(ip -o -4 addr show to \"$1\"); "
	"[ -z \"${2:-}\" ] || ip route add default dev \"$2\"; }\n"
	"true\n";

void
kl_node_setup_unit(const char *node_ip, struct kl_strbuf *out)
{
	kl_strbuf_addstr(out, "# Written by kubelaunch.\n[Unit]\nDescription=kubelaunch: the node's settings for Kubernetes\n"
			      "Wants=network-online.target\nAfter=network-online.target\n"
			      "Before=kubelet.service\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n");
	kl_strbuf_addf(out, "ExecStart=/bin/sh " KL_NODE_SETUP " %s\n\n[Install]\nWantedBy=multi-user.target\n", node_ip);
}

const char *const kl_node_boot_files[] = {
	KL_NODE_SETUP_UNIT,
	"/etc/systemd/system/multi-user.target.wants/kubelaunch-node.service",
	KL_NODE_KUBELET_UNIT,
	"/etc/systemd/system/multi-user.target.wants/kubelet.service",
	"/etc/containerd/config.toml",
	KL_NODE_REGISTRY_HOSTS_DIR,
	NULL,
};

const char kl_node_boot_save_script[] =
	"set -e; d=" KL_NODE_BOOT_DIR "; rm -rf \"$d.new\"; mkdir -p \"$d.new\"\n"
	"for f; do [ -e \"$f\" ] || [ -L \"$f\" ] || continue; mkdir -p \"$d.new${f%/*}\"; cp -a \"$f\" \"$d.new$f\"; done\n"
	"rm -rf \"$d.old\"; [ ! -e \"$d\" ] || mv \"$d\" \"$d.old\"; mv \"$d.new\" \"$d\"; rm -rf \"$d.old\"\n";

/* $1: the directory of the kubelet binary. */
const char kl_node_kubelet_script[] =
	"while [ ! -s /var/lib/kubelet/config.yaml ]; do sleep 0.5; done\n"
	"KUBELET_KUBEADM_ARGS=\n"
	"[ -f /var/lib/kubelet/kubeadm-flags.env ] && . /var/lib/kubelet/kubeadm-flags.env\n"
	"exec \"$1/kubelet\" --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "
	"--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml $KUBELET_KUBEADM_ARGS\n";

/* SystemVerification: cgroup v1 hosts and kernels without a config file; Swap, NumCPU,
 * Mem: a dev box; Service-Kubelet: no systemd (kubelet is supervised); the FileExisting
 * checks are for tools kubeadm only needs for features kubelaunch does not use;
 * DirAvailable/FileAvailable: a restart after a kill reuses what is there. */
const char kl_node_preflight_ignores[] =
	"SystemVerification,Swap,NumCPU,Mem,Service-Kubelet,FileExisting-crictl,FileExisting-socat,"
	"FileExisting-ethtool,FileExisting-conntrack,Port-10250,DirAvailable--var-lib-kubelaunch-etcd,"
	"DirAvailable--etc-kubernetes-manifests,FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml,"
	"FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml,"
	"FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml,FileAvailable--etc-kubernetes-manifests-etcd.yaml";

/* What `delete` removes from a host it ran Kubernetes on (the none driver), after
 * kubeadm reset: the kubelet's and kubeadm's directories, the pods' logs (the kubelet
 * counts a pod's restarts from them, so a new cluster would inherit them), our bridge,
 * the name in /etc/hosts, and the KUBE-/CNI- netfilter chains with the rules that jump
 * to them. */
const char kl_node_host_cleanup_script[] =
	"for m in $(awk '{print $2}' /proc/mounts | grep -E '^(/var/lib/kubelet|" KL_NODE_DIR "|/run/kubelaunch)(/|$)' |"
	" sort -r); do umount -l \"$m\"; done\n"
	"rm -rf /etc/kubernetes /var/lib/kubelet " KL_NODE_DIR " /run/kubelaunch /etc/kubelaunch /var/log/kubelaunch "
	"/var/log/pods /var/log/containers " KL_NODE_CNI_CONF "\n"
	"ip link del kl-bridge0 2>/dev/null\n"
	"grep -v ' " "control-plane.kubelaunch.internal" "$' /etc/hosts >/etc/hosts.kubelaunch && "
	"cat /etc/hosts.kubelaunch >/etc/hosts; rm -f /etc/hosts.kubelaunch\n"
	"for ipt in iptables ip6tables; do\n"
	"  command -v $ipt-save >/dev/null || continue\n"
	"  for t in raw mangle nat filter; do\n"
	"    $ipt-save -t $t 2>/dev/null | grep -E '^-A ' | grep -Ev '^-A (KUBE|CNI)-' | grep -E -- '-j (KUBE|CNI)-' |\n"
	"      while read -r rule; do eval \"$ipt -w -t $t -D ${rule#-A }\" 2>/dev/null; done\n"
	"    for c in $($ipt-save -t $t 2>/dev/null | sed -nE 's/^:((KUBE|CNI)-[^ ]*) .*/\\1/p'); do $ipt -w -t $t -F $c 2>/dev/null; done\n"
	"    for c in $($ipt-save -t $t 2>/dev/null | sed -nE 's/^:((KUBE|CNI)-[^ ]*) .*/\\1/p'); do $ipt -w -t $t -X $c 2>/dev/null; done\n"
	"  done\n"
	"done\n"
	"true\n";
