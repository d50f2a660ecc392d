#!/usr/bin/env bash
# slow: t0730's checks through the kvm2 driver: a real libvirtd (started here with
# virtlogd) runs the guest image under software emulation on this host, a cluster from
# the test bench's mirror and images in it. --network=isolated: the machine has only its
# own libvirt network, which forwards nothing, so nothing it sends leaves this host.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"
. "$KL_SRC/tests/t/lib-libvirt.sh"
testbench_or_skip
cluster_iso_or_skip
if ! command -v dnsmasq >/dev/null && [ ! -x /usr/sbin/dnsmasq ]; then
	test_skip_or_fail "dnsmasq is missing: libvirt cannot run DHCP on the machine's network (make deps)"
	test_done
	exit
fi
libvirtd_up

serve_mirror
START="kubelaunch start --driver=kvm2 --network=isolated --kubernetes-version $KL_TB_VERSION \
	--binary-mirror $MIRROR --image-bundle $KL_TB_IMAGES --dns-upstream=none --wait-timeout 20m"
MACHINE=$KUBELAUNCH_HOME/machines/kubelaunch
test_when_finished "kubelaunch delete"

test_expect_success 'start brings up a cluster in a libvirt VM; the real kubectl uses the kubeconfig' '
	t0=$(date +%s) &&
	$START >out 2>err &&
	echo $(( $(date +%s) - t0 )) >"$TRASH/first.s" &&
	grep -q "Done! kubectl is now configured to use \"kubelaunch\"" out &&
	virsh domstate kl-kubelaunch | grep -q running &&
	cluster_is_up
'

test_expect_success 'the images came with the preloaded disk: nothing imported' '
	grep -q "the preloaded images (.*) as the data disk.s base" out &&
	grep -q "All .* images of .* are in containerd already" out && ! grep -q "Importing" out &&
	virsh domblklist kl-kubelaunch | grep -q "$MACHINE/disk.qcow2"
'

test_expect_success 'the VM is isolated: one interface, on its own network, no NAT' '
	virsh domiflist kl-kubelaunch >ifs &&
	test "$(grep -c " network " ifs)" = 1 && ! grep -q " default " ifs &&
	! virsh net-dumpxml kl-kubelaunch | grep -q "<forward"
'

test_expect_success 'DNS answers for kubernetes.default.svc.cluster.local on the node' '
	kubelaunch ssh -- busybox nslookup kubernetes.default.svc.cluster.local 10.96.0.10 >ns &&
	grep -q "Address: 10.96.0.1$" ns
'

test_expect_success 'a ConfigMap and a Secret are consumed by a pod' '
	cluster_config_pod
'

test_expect_success 'a NodePort service answers from the host at the node address' '
	cluster_nodeport_dns &&
	grep -qx "http://$(kubelaunch ip):[0-9]*" url
'

test_expect_success 'stop, then start again: Ready, the workload still there' '
	kubelaunch stop &&
	virsh domstate kl-kubelaunch | grep -q "shut off" &&
	t0=$(date +%s) &&
	$START >out &&
	echo $(( $(date +%s) - t0 )) >"$TRASH/restart.s" &&
	grep -q "Restarting the control plane" out &&
	cluster_workload_kept
'

test_expect_success 'delete: no domain, network, file or kubeconfig entry of ours is left' '
	kubelaunch delete &&
	! virsh dominfo kl-kubelaunch >/dev/null 2>&1 &&
	! virsh net-info kl-kubelaunch >/dev/null 2>&1 &&
	test ! -e "$MACHINE" &&
	! grep -q "name: kubelaunch" "$HOME/.kube/config" &&
	test ! -e "$KUBELAUNCH_HOME/profiles/kubelaunch"
'

say "# first start $(cat "$TRASH/first.s" 2>/dev/null) s, restart $(cat "$TRASH/restart.s" 2>/dev/null) s"
test_done
