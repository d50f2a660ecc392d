#!/usr/bin/env bash
# slow: a real single-node cluster on this host (the none driver) from the test
# bench's mirror (served over HTTP on loopback) and image archives.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip
KUBECTL=$KL_TB_BIN/kubectl
export PATH=$KL_TB_BIN:$PATH

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
	test "$(stat -c %a "$HOME/.kube/config")" = 600 &&
	test "$($KUBECTL config current-context)" = kubelaunch &&
	$KUBECTL get nodes -o jsonpath="{.items[0].status.conditions[?(@.type==\"Ready\")].status}" | grep -qx True &&
	$KUBECTL -n kube-system get pods --no-headers >pods && test "$(grep -vc Running pods)" = 0 &&
	kubelaunch status >st && printf "%s\n" kubelaunch "type: Control Plane" "host: Running" \
		"kubelet: Running" "apiserver: Running" "kubeconfig: Configured" >expect && test_cmp expect st
'

test_expect_success 'DNS answers for kubernetes.default.svc.cluster.local' '
	dig +short @10.96.0.10 kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1
'

test_expect_success 'a ConfigMap and a Secret are consumed by a pod' '
	$KUBECTL create configmap greeting --from-literal=word=hello &&
	$KUBECTL create secret generic token --from-literal=value=s3cret &&
	cat >pod.yaml <<-EOF &&
	apiVersion: v1
	kind: Pod
	metadata: {name: reader}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: reader
	    image: registry.k8s.io/kube-proxy:$KL_TB_VERSION
	    imagePullPolicy: Never
	    command: ["sh", "-c", "cat /cfg/word; echo; echo \$TOKEN"]
	    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: token, key: value}}}]
	    volumeMounts: [{name: cfg, mountPath: /cfg}]
	  volumes: [{name: cfg, configMap: {name: greeting}}]
	EOF
	$KUBECTL apply -f pod.yaml &&
	for i in $(seq 120); do
		[ "$($KUBECTL get pod reader -o jsonpath={.status.phase})" = Succeeded ] && break; sleep 1
	done &&
	$KUBECTL logs reader >log && printf "hello\ns3cret\n" >expect && test_cmp expect log
'

test_expect_success 'a NodePort service answers from the host' '
	$KUBECTL -n kube-system expose deployment coredns --name dns-np --type NodePort --port 53 \
		--target-port 53 --protocol TCP &&
	port=$($KUBECTL -n kube-system get svc dns-np -o jsonpath={.spec.ports[0].nodePort}) &&
	ip=$(kubelaunch ip) &&
	for i in $(seq 30); do
		dig +tcp +time=1 +tries=1 +short -p "$port" @"$ip" kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1 && break
		sleep 1
	done &&
	dig +tcp +short -p "$port" @"$ip" kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1
'

test_expect_success 'stop, then start again: Ready, the workload still there, faster' '
	kubelaunch stop &&
	! pgrep -f "kubelaunch supervise --pidfile=/var/lib/kubelaunch/kubelet.pid" >/dev/null &&
	test_expect_code 2 kubelaunch status >st && grep -q "^kubelet: Stopped$" st &&
	$START >out &&
	grep -q "Restarting the control plane" out &&
	$KUBECTL get configmap greeting -o jsonpath={.data.word} | grep -qx hello &&
	$KUBECTL get nodes | grep -q " Ready "
'

test_expect_success 'kill -9 of kubelaunch in the middle of a start, then start again: it completes' '
	kubelaunch stop &&
	( $START >out2 2>&1 & echo $! >pid ) &&
	sleep 4 && kill -9 "$(cat pid)" &&
	$START >out3 &&
	grep -q "Done!" out3 &&
	$KUBECTL get configmap greeting >/dev/null
'

test_expect_success 'delete: no process, file or kubeconfig entry of ours is left' '
	other_clusters=$($KUBECTL config get-clusters | grep -vc "^NAME$\|^kubelaunch$" || true) &&
	kubelaunch delete &&
	! pgrep -f "kubelaunch supervise" >/dev/null &&
	! pgrep -x kubelet >/dev/null &&
	test ! -e /etc/kubernetes && test ! -e /var/lib/kubelet && test ! -e /var/lib/kubelaunch &&
	! ip link show kl-bridge0 2>/dev/null &&
	! grep -q control-plane.kubelaunch.internal /etc/hosts &&
	test "$(iptables-save | grep -c "KUBE-")" = 0 &&
	! grep -q "name: kubelaunch" "$HOME/.kube/config" &&
	test ! -e "$KUBELAUNCH_HOME/profiles/kubelaunch"
'

test_done
