#!/bin/sh
# kubeadm-baseline.sh: a plain `kubeadm init` on this host with the testbench
# binaries and images, no kubelaunch involved. It proves that the path works
# on this (cgroup v1, systemd-less) host, and is the baseline kubelaunch's
# start time is measured against.
#
#   kubeadm-baseline.sh up     start containerd, import images, kubeadm init,
#                              wait for node Ready, system pods and DNS; print
#                              timings
#   kubeadm-baseline.sh down   kubeadm reset -f, stop kubelet and containerd,
#                              remove everything `up` created
#   kubeadm-baseline.sh status exit 0 if a baseline cluster is up
#
# It owns the whole host while up, as kubeadm does (/etc/kubernetes,
# /var/lib/kubelet, /var/lib/etcd, the kubeadm ports); a lock and a state
# directory make a second `up` refuse. Everything else is private: containerd
# runs with its own config, root, state and socket under the state directory,
# the CNI config lives there too, the node IP sits on a dummy interface.
#
# Environment: KL_TB_BIN, KL_TB_K8S_IMAGES (default: this recipe's testbench
# cache), KL_BASELINE_STATE (default /var/lib/kubelaunch-baseline),
# KL_BASELINE_IP (node IP on the dummy interface, default 198.18.0.1, from the
# range RFC 2544 sets aside for tests), KL_BASELINE_TIMEOUT (default 300 s).
set -eu

TB_SRC=$(cd "$(dirname "$0")" && pwd)
. "$TB_SRC/versions.env"

STATE=${KL_BASELINE_STATE:-/var/lib/kubelaunch-baseline}
NODE_IP=${KL_BASELINE_IP:-198.18.0.1}
TIMEOUT=${KL_BASELINE_TIMEOUT:-300}
DUMMY=klbase0
BRIDGE=klbase-cni0
POD_SUBNET=10.244.0.0/16
NODE_POD_SUBNET=10.244.0.0/24
SERVICE_SUBNET=10.96.0.0/12
DNS_IP=10.96.0.10
CNI_BIN=${KL_BASELINE_CNI_BIN:-/usr/lib/cni}
SOCK=$STATE/containerd/containerd.sock
KUBECONFIG_ADMIN=/etc/kubernetes/admin.conf
# Host paths kubeadm and kubelet use; `down` removes those that `up` created.
HOST_DIRS="/etc/kubernetes /var/lib/kubelet /var/lib/etcd"
# Where the kubelet keeps container logs. kubeadm reset leaves them; left
# behind, a static pod (same UID every run) resumes its restart count.
LOG_DIRS="/var/log/pods /var/log/containers"
# Kernel settings kubelet, kube-proxy or this script change; restored by down.
SYSCTLS="net.ipv4.ip_forward net.ipv4.conf.all.route_localnet
net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.netfilter.nf_conntrack_max"

log() { printf 'kubeadm-baseline: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.1f\", $(now) - $1}"; }

find_testbench() {
	local d
	if [ -z "${KL_TB_BIN:-}" ] || [ -z "${KL_TB_K8S_IMAGES:-}" ]; then
		d=$("$TB_SRC/build.sh" dir)
		KL_TB_BIN=${KL_TB_BIN:-$d/bin}
		KL_TB_K8S_IMAGES=${KL_TB_K8S_IMAGES:-$d/images}
	fi
	for b in kubeadm kubelet kubectl kube-proxy; do
		[ -x "$KL_TB_BIN/$b" ] || die "'$KL_TB_BIN/$b' is missing: run 'make testbench'"
	done
	# kubeadm runs `kubelet --version` from PATH.
	PATH=$KL_TB_BIN:$PATH
	[ -s "$KL_TB_K8S_IMAGES/images.list" ] || die "no images in '$KL_TB_K8S_IMAGES': run 'make testbench'"
}

need_tools() {
	local t
	for t in containerd containerd-shim-runc-v2 runc ctr iptables iptables-save nft ip; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' is missing (apt-get install containerd runc iptables nftables iproute2)"
	done
	# dig and curl where they are (a host), else busybox's nslookup and kubectl (the
	# kubelaunch guest image, where bench/start-qemu.sh runs this script, has neither).
	for t in dig curl; do
		command -v "$t" >/dev/null 2>&1 || command -v busybox >/dev/null 2>&1 ||
			die "'$t' is missing (apt-get install bind9-dnsutils curl)"
	done
	for t in bridge host-local loopback; do
		[ -x "$CNI_BIN/$t" ] ||
			die "CNI plugin '$CNI_BIN/$t' is missing (apt-get install containernetworking-plugins)"
	done
}

kubectl() { "$KL_TB_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# --- processes we start, recorded by PID -----------------------------------

# alive NAME: the process recorded in $STATE/NAME.pid runs and is ours (its
# command line mentions the state directory or the testbench binary).
alive() {
	local pid
	pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -e "$STATE" -e "$KL_TB_BIN"
}

# stop NAME: TERM the recorded process, KILL it after 15 s.
stop() {
	local name=$1 pid i=0
	if ! alive "$name"; then
		rm -f "$STATE/$name.pid"
		return 0
	fi
	pid=$(cat "$STATE/$name.pid")
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$name" && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$name"; then
		log "$name ($pid) ignored SIGTERM, killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$STATE/$name.pid"
}

# --- host state: sysctls, interfaces, directories ---------------------------

save_sysctls() {
	local s
	: >"$STATE/sysctl.before"
	for s in $SYSCTLS; do
		if v=$(sysctl -n "$s" 2>/dev/null); then
			printf '%s=%s\n' "$s" "$v" >>"$STATE/sysctl.before"
		fi
	done
}

restore_sysctls() {
	local line
	[ -f "$STATE/sysctl.before" ] || return 0
	while IFS= read -r line; do
		sysctl -q -w "$line" >/dev/null 2>&1 || log "cannot restore sysctl $line"
	done <"$STATE/sysctl.before"
}

check_host_dirs() {
	local d
	for d in $HOST_DIRS; do
		# Empty directories are no one's (the kubelaunch guest image has /etc/kubernetes/manifests).
		if [ -e "$d" ] && [ -n "$(find "$d" -mindepth 1 ! -type d 2>/dev/null | head -n1)" ]; then
			die "'$d' exists and is not empty: not ours to use (a kubeadm cluster already here?)"
		fi
	done
}

record_host_dirs() {
	local d
	: >"$STATE/created-dirs"
	for d in $HOST_DIRS $LOG_DIRS; do
		[ -e "$d" ] || printf '%s\n' "$d" >>"$STATE/created-dirs"
	done
	for d in $LOG_DIRS; do
		[ -d "$d" ] && ls -A "$d" >"$STATE/logs-before.$(basename "$d")"
	done
	return 0
}

# clean_logs: remove the entries of the kubelet's log dirs that appeared
# while we were up (the dirs themselves go with created-dirs).
clean_logs() {
	local d e
	for d in $LOG_DIRS; do
		[ -f "$STATE/logs-before.$(basename "$d")" ] && [ -d "$d" ] || continue
		ls -A "$d" | while IFS= read -r e; do
			grep -qxF -- "$e" "$STATE/logs-before.$(basename "$d")" || rm -rf "${d:?}/$e"
		done
	done
}

# The node IP lives on an interface of its own. This kernel has no `dummy`
# driver (and no modules to load): a bridge without ports serves as well.
setup_net() {
	ip link add "$DUMMY" type dummy 2>/dev/null ||
		ip link add "$DUMMY" type bridge ||
		die "cannot create interface '$DUMMY'"
	echo "link $DUMMY" >>"$STATE/created"
	ip addr add "$NODE_IP/32" dev "$DUMMY" || die "cannot add $NODE_IP to '$DUMMY'"
	ip link set "$DUMMY" up
	# Service IPs are routed before kube-proxy's NAT sees them: without a default route
	# (an isolated VM, where bench/start-qemu.sh runs this) an on-link one on our
	# interface, as kubelaunch's node setup adds; it goes with the interface.
	ip route show default | grep -q . || ip route add default dev "$DUMMY"
	sysctl -q -w net.ipv4.ip_forward=1
	sysctl -q -w net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
	sysctl -q -w net.bridge.bridge-nf-call-ip6tables=1 2>/dev/null || true
}

# netfilter objects whose names mark them as Kubernetes' or CNI's.
ours_re='(KUBE|CNI)-'

check_netfilter() {
	if iptables-save 2>/dev/null | grep -Eq "^:$ours_re" ||
		ip6tables-save 2>/dev/null | grep -Eq "^:$ours_re"; then
		die "KUBE-/CNI- iptables chains exist already: another cluster runs here, or a baseline was left behind ('$0 down')"
	fi
}

snapshot_netfilter() {
	nft list tables 2>/dev/null | sort >"$STATE/nft-tables.before" || true
}

# clean_iptables CMD: remove the KUBE-*/CNI-* chains and the rules jumping to them.
clean_iptables() {
	local ipt=$1 t rule chain
	for t in raw mangle nat filter security; do
		"$ipt-save" -t "$t" >/dev/null 2>&1 || continue
		"$ipt-save" -t "$t" | grep -E "^-A " | grep -Ev "^-A $ours_re" |
			grep -E -- "-j $ours_re" | while IFS= read -r rule; do
			eval "\"\$ipt\" -w -t \"\$t\" -D ${rule#-A }" || true
		done
		for chain in $("$ipt-save" -t "$t" | sed -nE "s/^:($ours_re[^ ]*) .*/\\1/p"); do
			"$ipt" -w -t "$t" -F "$chain" 2>/dev/null || true
		done
		for chain in $("$ipt-save" -t "$t" | sed -nE "s/^:($ours_re[^ ]*) .*/\\1/p"); do
			"$ipt" -w -t "$t" -X "$chain" 2>/dev/null || true
		done
	done
}

# Tables that iptables-nft or kube-proxy created and that are empty again.
clean_nft_tables() {
	local fam name
	[ -f "$STATE/nft-tables.before" ] || return 0
	nft list tables 2>/dev/null | sort | comm -13 "$STATE/nft-tables.before" - |
		while read -r _ fam name; do
			case "$name" in
			kube-proxy) nft delete table "$fam" "$name" || true ;;
			filter | nat | mangle | raw | security)
				if ! nft list table "$fam" "$name" | grep -Ev '^\s*(table |chain |type |\}|$)' | grep -q .; then
					nft delete table "$fam" "$name" || true
				fi ;;
			esac
		done
}

# --- containerd --------------------------------------------------------------

write_containerd_config() {
	local c=$STATE/containerd
	mkdir -p "$c/root" "$c/state" "$c/runc" "$c/opt" "$STATE/cni/net.d" "$STATE/cni/ipam"
	cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:$PAUSE_VERSION"
  enable_selinux = false
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$c/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$STATE/cni/net.d"
EOF
}

start_containerd() {
	local i=0
	write_containerd_config
	setsid containerd --config "$STATE/containerd/config.toml" \
		</dev/null >"$STATE/containerd.log" 2>&1 &
	printf '%s\n' "$!" >"$STATE/containerd.pid"
	while ! ctr -a "$SOCK" version >/dev/null 2>&1; do
		alive containerd || die "containerd exited: $(tail -n 5 "$STATE/containerd.log")"
		[ $i -lt 300 ] || die "containerd did not answer on '$SOCK'"
		sleep 0.1
		i=$((i + 1))
	done
}

import_images() {
	local f
	for f in "$KL_TB_K8S_IMAGES"/*.tar; do
		ctr -a "$SOCK" -n k8s.io images import "$f" >/dev/null ||
			die "cannot import '$f'"
	done
}

write_cni_config() {
	cat >"$STATE/cni/net.d/10-kl-baseline.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kl-baseline",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$NODE_POD_SUBNET"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
}

# --- kubelet, supervised here since the host has no systemd ----------------

# The supervisor: waits for kubeadm's kubelet config, runs kubelet, restarts
# it when it exits (as systemd's Restart=always would), until $STATE/stop.
supervise_kubelet() {
	local args
	while [ ! -e "$STATE/stop" ]; do
		if [ -s /var/lib/kubelet/config.yaml ] && [ -f /var/lib/kubelet/kubeadm-flags.env ]; then
			args=$(sed -n 's/^KUBELET_KUBEADM_ARGS="\(.*\)"$/\1/p' /var/lib/kubelet/kubeadm-flags.env)
			# shellcheck disable=SC2086
			"$KL_TB_BIN/kubelet" --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \
				--kubeconfig=/etc/kubernetes/kubelet.conf \
				--config=/var/lib/kubelet/config.yaml $args \
				>>"$STATE/kubelet.log" 2>&1 &
			printf '%s\n' "$!" >"$STATE/kubelet.pid"
			wait "$!" || true
		fi
		sleep 0.5
	done
}

start_kubelet_supervisor() {
	rm -f "$STATE/stop"
	setsid "$0" _supervise "$STATE" </dev/null >>"$STATE/supervisor.log" 2>&1 &
	printf '%s\n' "$!" >"$STATE/supervisor.pid"
}

stop_kubelet() {
	touch "$STATE/stop"
	stop supervisor
	stop kubelet
}

# --- kubeadm -----------------------------------------------------------------

write_kubeadm_config() {
	cat >"$STATE/kubeadm.yaml" <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: $NODE_IP
  bindPort: 6443
nodeRegistration:
  name: $(hostname | tr 'A-Z' 'a-z')
  criSocket: unix://$SOCK
  imagePullPolicy: Never
  kubeletExtraArgs:
  - name: node-ip
    value: $NODE_IP
# As kubelaunch's: under software emulation (bench/start-qemu.sh runs this in a VM) the
# defaults (1m for API calls, 4m for the control plane) are too short.
timeouts:
  controlPlaneComponentHealthCheck: 10m0s
  kubeletHealthCheck: 10m0s
  kubernetesAPICall: 5m0s
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $K8S_VERSION
networking:
  podSubnet: $POD_SUBNET
  serviceSubnet: $SERVICE_SUBNET
  dnsDomain: cluster.local
controllerManager:
  extraArgs:
  - name: leader-elect
    value: "false"
scheduler:
  extraArgs:
  - name: leader-elect
    value: "false"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$SOCK
imageGCHighThresholdPercent: 100
evictionHard:
  memory.available: "0%"
  nodefs.available: "0%"
  nodefs.inodesFree: "0%"
  imagefs.available: "0%"
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

# CoreDNS as kubeadm deploys it, less `forward` and `loop`: nothing here may
# send queries beyond this host, and `loop` would query the upstream.
apply_coredns() {
	"$KL_TB_BIN/kubeadm" init phase addon coredns --config "$STATE/kubeadm.yaml" \
		--kubeconfig "$KUBECONFIG_ADMIN" --print-manifest >"$STATE/coredns.yaml"
	sed -i -e '/^ *forward \. /,/^ *}/d' -e '/^ *loop$/d' "$STATE/coredns.yaml"
	kubectl apply -f "$STATE/coredns.yaml" >/dev/null
}

# A background probe that notes when the API server first answers /healthz;
# it gives up after the timeout, so a failed `up` leaves no loop behind.
probe_apiserver() {
	local t0=$1 deadline
	deadline=$(($(date +%s) + TIMEOUT))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if apiserver_healthy; then
			since "$t0" >"$STATE/t.apiserver"
			return 0
		fi
		sleep 0.1
	done
}

apiserver_healthy() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsk --max-time 1 "https://$NODE_IP:6443/healthz" >/dev/null 2>&1
	else
		[ -s "$KUBECONFIG_ADMIN" ] && kubectl get --raw /healthz --request-timeout=1s >/dev/null 2>&1
	fi
}

wait_for() {
	local what=$1 t0=$2 i=0 limit
	shift 2
	limit=$(awk "BEGIN{print int(($TIMEOUT) * 5)}")
	until "$@" >/dev/null 2>&1; do
		[ $i -lt "$limit" ] || die "timed out waiting for $what"
		sleep 0.2
		i=$((i + 1))
	done
}

node_ready() {
	kubectl get nodes -o jsonpath='{.items[0].status.conditions[?(@.type=="Ready")].status}' |
		grep -qx True
}

system_pods_running() {
	local out
	out=$(kubectl -n kube-system get pods --no-headers \
		-o custom-columns=P:.status.phase,R:.status.containerStatuses[*].ready)
	[ -n "$out" ] && ! printf '%s\n' "$out" | grep -v '^Running *true\(,true\)*$' | grep -q .
}

dns_answers() {
	if command -v dig >/dev/null 2>&1; then
		dig +time=1 +tries=1 +short "@$DNS_IP" kubernetes.default.svc.cluster.local A |
			grep -qx 10.96.0.1
	else
		busybox timeout 2 busybox nslookup kubernetes.default.svc.cluster.local "$DNS_IP" 2>/dev/null |
			grep -q 'Address: 10\.96\.0\.1$'
	fi
}

preflight_ignores() {
	# SystemVerification: cgroup v1, no kernel config or modules directory in
	# this VM; Swap, Mem, NumCPU: a dev box; Service-Kubelet: no systemd.
	echo SystemVerification,Swap,Service-Kubelet,FileExisting-crictl,FileExisting-socat,FileExisting-ethtool,FileExisting-conntrack
}

cmd_up() {
	local t0 tinit ti
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	find_testbench
	need_tools
	[ ! -e "$STATE/up" ] || die "a baseline is up already (state in '$STATE'); run '$0 down'"
	[ ! -e "$STATE" ] || [ -z "$(ls -A "$STATE")" ] ||
		die "'$STATE' is left from an earlier run: run '$0 down'"
	check_host_dirs
	check_netfilter
	mkdir -p "$STATE"
	touch "$STATE/up"
	: >"$STATE/created"
	record_host_dirs
	save_sysctls
	snapshot_netfilter
	t0=$(now)
	setup_net
	start_containerd
	log "containerd ready in $(since "$t0") s"
	ti=$(now)
	import_images
	log "images imported in $(since "$ti") s"
	write_cni_config
	write_kubeadm_config
	start_kubelet_supervisor
	tinit=$(now)
	probe_apiserver "$tinit" </dev/null >/dev/null 2>&1 &
	printf '%s\n' "$!" >"$STATE/probe.pid"
	"$KL_TB_BIN/kubeadm" init --config "$STATE/kubeadm.yaml" --skip-phases=addon/coredns \
		--ignore-preflight-errors="$(preflight_ignores)" >"$STATE/kubeadm-init.log" 2>&1 ||
		die "kubeadm init failed: $(tail -n 20 "$STATE/kubeadm-init.log")"
	log "kubeadm init returned after $(since "$tinit") s"
	apply_coredns
	wait_for "node Ready" "$tinit" node_ready
	log "node Ready $(since "$tinit") s after kubeadm init started"
	since "$tinit" >"$STATE/t.ready"
	wait_for "system pods Running" "$tinit" system_pods_running
	since "$tinit" >"$STATE/t.pods"
	log "system pods Running $(since "$tinit") s after kubeadm init started"
	wait_for "DNS" "$tinit" dns_answers
	since "$tinit" >"$STATE/t.dns"
	kill "$(cat "$STATE/probe.pid")" 2>/dev/null || true
	printf 'apiserver healthy: %s s\nnode Ready: %s s\nsystem pods Running: %s s\nDNS answering: %s s\n' \
		"$(cat "$STATE/t.apiserver" 2>/dev/null || echo '?')" "$(cat "$STATE/t.ready")" \
		"$(cat "$STATE/t.pods")" "$(cat "$STATE/t.dns")" | tee "$STATE/timings"
	log "(times from the start of kubeadm init; containerd start and image import before it took $(awk "BEGIN{printf \"%.1f\", $tinit - $t0}") s)"
}

umount_under() {
	local m
	for m in $(awk '{print $2}' /proc/mounts | grep -E "^($1)(/|$)" | sort -r); do
		umount -l "$m" 2>/dev/null || log "cannot unmount '$m'"
	done
}

cmd_down() {
	local d
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	find_testbench
	[ -d "$STATE" ] || { log "nothing to tear down"; return 0; }
	if [ -f "$STATE/probe.pid" ]; then
		kill "$(cat "$STATE/probe.pid")" 2>/dev/null || true
	fi
	stop_kubelet
	if alive containerd; then
		"$KL_TB_BIN/kubeadm" reset -f --cri-socket "unix://$SOCK" \
			>"$STATE/kubeadm-reset.log" 2>&1 || log "kubeadm reset failed, cleaning up by hand"
	fi
	stop containerd
	# Shims of our containerd outlive it only if containers were left.
	for d in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do
		kill -KILL "$d" 2>/dev/null || true
	done
	"$KL_TB_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
	clean_iptables iptables
	clean_iptables ip6tables
	clean_nft_tables
	ip link del "$BRIDGE" 2>/dev/null || true
	ip link del "$DUMMY" 2>/dev/null || true
	umount_under "/var/lib/kubelet|$STATE|/run/netns/cni-[^/]*"
	clean_logs
	if [ -f "$STATE/created-dirs" ]; then
		while IFS= read -r d; do
			rm -rf "$d"
		done <"$STATE/created-dirs"
	fi
	restore_sysctls
	rm -rf "$STATE"
	log "down"
}

cmd_status() {
	[ -e "$STATE/up" ] && find_testbench && node_ready
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
_supervise)
	find_testbench
	supervise_kubelet ;;
*) die "usage: kubeadm-baseline.sh up|down|status" ;;
esac
