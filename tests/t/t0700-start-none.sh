#!/usr/bin/env bash
# slow: a real single-node cluster on this host (the none driver) from the test
# bench's mirror (served over HTTP on loopback) and image archives.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"
testbench_or_skip

serve_mirror
START="kubelaunch start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR \
	--image-bundle $KL_TB_IMAGES --dns-upstream=none --wait-timeout 8m"
test_when_finished "kubelaunch delete"

test_expect_success 'an unknown version is refused before anything is created' '
	test_expect_code 103 kubelaunch -p other start --driver=none --kubernetes-version v1.2.3 \
		--binary-mirror "$MIRROR" 2>err &&
	grep -q "K8S_VERSION_UNKNOWN" err && test ! -e "$KUBELAUNCH_HOME/profiles/other"
'

test_expect_success 'start --download-only fetches and verifies, and starts nothing' '
	kubelaunch start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR \
		--image-bundle $KL_TB_IMAGES --download-only >out &&
	grep -q "Download complete" out &&
	test -x "$KUBELAUNCH_HOME/cache/binaries/$KL_TB_VERSION/linux/amd64/kubeadm" &&
	! pgrep -f "kubelaunch supervise" >/dev/null
'

test_expect_success 'start brings up a cluster; the real kubectl uses the written kubeconfig' '
	$START >out 2>err &&
	grep -q "Done! kubectl is now configured to use \"kubelaunch\"" out &&
	cluster_is_up &&
	jq -e ".KubeadmDone == true and .ServicesStarted == true" "$KUBELAUNCH_HOME/machines/kubelaunch/cluster.json" &&
	jq -e "has(\"KubeadmDone\") or has(\"NodeIP\") | not" "$KUBELAUNCH_HOME/machines/kubelaunch/state.json"
'

test_expect_success 'its containerd started from the preload built by --download-only: nothing imported' '
	grep -q "Using the preloaded images (" out &&
	grep -q "All [0-9]* images of .* are in containerd already" out &&
	! grep -q "Importing" out
'

test_expect_success 'kubeadm init ran once: its preflight waited for containerd'"'"'s CRI, no reset and retry' '
	log=$(last_start_log) &&
	grep -q "phase kubeadm init:" "$log" &&
	! grep -q "resetting and trying once more" "$log"
'

test_expect_success 'a start from another KUBELAUNCH_HOME is refused at once: what runs and whose it is' '
	t0=$(date +%s) &&
	test_expect_code 35 env KUBELAUNCH_HOME="$TRASH/second-home" kubelaunch start --driver=none \
		--kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR 2>err &&
	test $(( $(date +%s) - t0 )) -lt 30 && cat err &&
	grep -q "HOST_CLUSTER_FOREIGN" err && grep -q "kubelet (pid [0-9]*)" err &&
	grep -q "/etc/kubernetes/admin.conf" err &&
	grep -q "belongs to profile .kubelaunch. of KUBELAUNCH_HOME=$KUBELAUNCH_HOME" err &&
	test ! -e "$TRASH/second-home/profiles/kubelaunch" && kubelaunch status
'

test_expect_success 'DNS answers for kubernetes.default.svc.cluster.local' '
	dig +short @10.96.0.10 kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1
'

test_expect_success 'a ConfigMap and a Secret are consumed by a pod' '
	cluster_config_pod
'

test_expect_success 'a NodePort service answers from the host (kubelaunch service --url)' '
	cluster_nodeport_dns &&
	grep -qx "http://$(kubelaunch ip):[0-9]*" url
'

test_expect_success 'stop, then start again: Ready, the workload still there, faster' '
	kubelaunch stop &&
	! pgrep -f "kubelaunch supervise --pidfile=/var/lib/kubelaunch/kubelet.pid" >/dev/null &&
	test_expect_code 2 kubelaunch status >st && grep -q "^kubelet: Stopped$" st &&
	$START >out &&
	grep -q "Restarting the control plane" out &&
	cluster_workload_kept
'

test_expect_success 'the restart: nothing applied again, the static pods probed every second from 1 s' '
	log=$(last_start_log) &&
	grep -q "RBAC and node labels unchanged since the last start" "$log" &&
	grep -o "phase [^:]*: [0-9]* ms\|waited [0-9]* ms for .*" "$log" &&
	for pod in etcd kube-apiserver kube-controller-manager kube-scheduler; do
		probe=$($KUBECTL -n kube-system get pod $pod-kubelaunch \
			-o jsonpath="{.spec.containers[0].startupProbe.initialDelaySeconds} {.spec.containers[0].startupProbe.periodSeconds} {.spec.containers[0].startupProbe.failureThreshold}") &&
		echo "$pod: $probe" && test "$probe" = "1 1 600" || return 1
	done
'

test_expect_success 'kill -9 of kubelaunch in the middle of a start, then start again: it completes' '
	kubelaunch stop &&
	( $START >out2 2>&1 & echo $! >pid ) &&
	sleep 4 && kill -9 "$(cat pid)" &&
	$START >out3 &&
	grep -q "Done!" out3 &&
	$KUBECTL get configmap greeting >/dev/null
'

test_expect_success 'two starts of one profile at once: the second waits for the first, both finish' '
	{ $START >s1 2>&1 & p1=$!; } &&
	# s1 holds the lock once it prints; a start of a running, unchanged cluster can
	# end within a second now, so a fixed sleep may miss it.
	for _ in $(seq 200); do [ -s s1 ] && break; sleep 0.05; done &&
	$START >s2 2>&1 &&
	wait $p1 &&
	grep -q "Done!" s1 && grep -q "Done!" s2 &&
	grep -q "Waiting for another kubelaunch command on \"kubelaunch\"" s2
'

test_expect_success 'delete: no process, file or kubeconfig entry of ours is left' '
	other_clusters=$($KUBECTL config get-clusters | grep -vc "^NAME$\|^kubelaunch$" || true) &&
	kubelaunch delete &&
	! pgrep -f "kubelaunch supervise" >/dev/null &&
	! pgrep -x kubelet >/dev/null &&
	test ! -e /etc/kubernetes && test ! -e /var/lib/kubelet && test ! -e /var/lib/kubelaunch &&
	test ! -e /var/log/pods && test ! -e /var/log/containers &&
	! ip link show kl-bridge0 2>/dev/null &&
	! grep -q control-plane.kubelaunch.internal /etc/hosts &&
	test "$(iptables-save | grep -c "KUBE-")" = 0 &&
	! grep -q "name: kubelaunch" "$HOME/.kube/config" &&
	test ! -e "$KUBELAUNCH_HOME/profiles/kubelaunch"
'

test_done
