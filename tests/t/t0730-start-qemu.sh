#!/usr/bin/env bash
# slow: a real single-node cluster in a QEMU VM (software emulation here) from the guest
# image and the test bench's mirror and image archives, with the same checks as the none
# driver's (t0700): Ready, system pods, DNS, a ConfigMap and a Secret in a pod, a
# NodePort from the host, stop/start keeping the workload, delete leaving nothing; and
# `start --addons=ingress`: Traefik, reached from the host through a forward on 127.0.0.1.
# The machine's network is isolated: nothing it sends leaves this host. Its data disk
# starts from the preload (the bench's images as a containerd store, built on the host).
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"
testbench_or_skip

cluster_iso_or_skip

serve_mirror
START="kubelaunch start --driver=qemu --network=isolated --kubernetes-version $KL_TB_VERSION \
	--binary-mirror $MIRROR --image-bundle $KL_TB_IMAGES --dns-upstream=none --wait-timeout 20m --addons=ingress"
MACHINE=$KUBELAUNCH_HOME/machines/kubelaunch
test_when_finished "kubelaunch delete"

qemu_pid() { cat "$MACHINE/qemu.pid"; }

test_expect_success 'start brings up a cluster in a VM; the real kubectl uses the written kubeconfig' '
	t0=$(date +%s) &&
	$START >out 2>err &&
	echo $(( $(date +%s) - t0 )) >"$TRASH/first.s" &&
	grep -q "Done! kubectl is now configured to use \"kubelaunch\"" out &&
	{ grep -q "software emulation" err || grep -qw "vmx\|svm" /proc/cpuinfo; } &&
	cluster_is_up
'

test_expect_success 'the binaries came through the 9p share; the images with the preloaded disk' '
	kubelaunch ssh -- mountpoint -q /run/kubelaunch/shares/kl-binaries &&
	grep -q "the preloaded images (.*) as the data disk.s base" out &&
	grep -q "All .* images of .* are in containerd already" out && ! grep -q "Importing" out &&
	test -e "$MACHINE/disk.qcow2" && test ! -e "$MACHINE/disk.raw" &&
	kubelaunch ssh -- test ! -e /var/lib/kubelaunch/images
'

test_expect_success 'the VM is isolated: user-mode networking with restrict=on' '
	tr "\0" "\n" </proc/$(qemu_pid)/cmdline | grep -q "^user,id=net0,restrict=on,"
'

test_expect_success 'DNS answers for kubernetes.default.svc.cluster.local on the node' '
	kubelaunch ssh -- busybox nslookup kubernetes.default.svc.cluster.local 10.96.0.10 >ns &&
	grep -q "Address: 10.96.0.1$" ns
'

test_expect_success 'a ConfigMap and a Secret are consumed by a pod' '
	cluster_config_pod
'

test_expect_success 'a NodePort service answers from the host through a forward on 127.0.0.1' '
	cluster_nodeport_dns &&
	grep -qx "http://127.0.0.1:[0-9]*" url
'

# ingress_url FILE...: the address start gave for the ingress addon's port 80.
ingress_url() {
	cat "$@" | sed -n "s|.*.ingress.: \(http://127\.0\.0\.1:[0-9]*\) (the node.s port 80).*|\1|p" >ingress.url &&
	test "$(wc -l <ingress.url)" = 1
}

test_expect_success 'start --addons=ingress: Traefik routes by Host header, from the host through 127.0.0.1' '
	ingress_url out err &&
	cluster_ingress_echo &&
	cluster_ingress_answers "$(cat ingress.url)"
'

# The restart finds containerd and kubelet started at boot (the boot files the first
# start kept on the data disk) and runs no kubeadm phase.
test_expect_success 'stop, then start again: Ready, the workload still there' '
	pid=$(qemu_pid) &&
	kubelaunch stop &&
	! test_pid_alive "$pid" &&
	test_expect_code 7 kubelaunch status >st && grep -q "^host: Stopped$" st &&
	t0=$(date +%s) &&
	$START >out 2>err &&
	echo $(( $(date +%s) - t0 )) >"$TRASH/restart.s" &&
	grep -q "Restarting the control plane (its configuration and certificates are unchanged)" out &&
	kubelaunch ssh -- test -s /var/lib/kubelaunch/boot/etc/systemd/system/kubelet.service &&
	grep -q "All .* images of .* are in containerd already" out &&
	cluster_workload_kept &&
	ingress_url out err &&
	cluster_ingress_answers "$(cat ingress.url)"
'

test_expect_success 'delete: no process, file or kubeconfig entry of ours is left' '
	pid=$(qemu_pid) &&
	kubelaunch delete &&
	! test_pid_alive "$pid" &&
	test ! -e "$MACHINE" &&
	! grep -q "name: kubelaunch" "$HOME/.kube/config" &&
	test ! -e "$KUBELAUNCH_HOME/profiles/kubelaunch"
'

say "# first start $(cat "$TRASH/first.s" 2>/dev/null) s, restart $(cat "$TRASH/restart.s" 2>/dev/null) s"
test_done
