#!/usr/bin/env bash
# slow: a real none-driver cluster (as t0700) started with --wait=none and a CNI
# manifest, then logs, kubectl and update-context against it, and a restart with
# --cni=bridge and a --wait list.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"
testbench_or_skip

# One cluster per host: wait for another test's to go away.
for _ in $(seq 600); do [ -e /etc/kubernetes/admin.conf ] || break; sleep 1; done
if [ -e /etc/kubernetes/admin.conf ]; then
	test_skip_or_fail "another cluster runs on this host (/etc/kubernetes/admin.conf) after 10 minutes"
	test_done
	exit
fi

serve_mirror
START="kubelaunch start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR \
	--image-bundle $KL_TB_IMAGES --dns-upstream=none --wait-timeout 8m"
BRIDGE=/etc/cni/net.d/10-kubelaunch-bridge.conflist
test_when_finished "kubelaunch delete"

# A CNI manifest with no DaemonSet: a ConfigMap holding a bridge conflist. Nothing
# installs it on the node, so the node stays NotReady: only --wait=none can return.
cat >cni.yaml <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: t0710-cni
  namespace: kube-system
data:
  marker: applied
  10-bridge.conflist: |
    {"cniVersion": "1.0.0", "name": "t0710", "plugins": [{"type": "bridge", "bridge": "kl-bridge0"}]}
EOF

test_expect_success 'start --wait=none --cni=FILE: returns with the node not Ready, the manifest applied' '
	test -z "$(ls -A /etc/cni/net.d 2>/dev/null)" &&
	$START --wait=none --cni=cni.yaml >out 2>err &&
	grep -q "Applying the CNI manifest $(realpath cni.yaml) " out &&
	grep -q "Not waiting for the components (--wait=none)" out &&
	grep -q "Done! kubectl is now configured" out &&
	log=$(last_start_log) &&
	grep -q "waited [0-9]* ms for the API server" "$log" &&
	! grep -q "waited [0-9]* ms for the node to be Ready" "$log" &&
	! grep -q "waited [0-9]* ms for the system pods" "$log" &&
	test ! -e $BRIDGE &&
	test "$(jq -r .CNI "$KUBELAUNCH_HOME/profiles/kubelaunch/config.json")" = "$(realpath cni.yaml)" &&
	$KUBECTL -n kube-system get configmap t0710-cni -o jsonpath={.data.marker} | grep -qx applied &&
	ready=$($KUBECTL get node kubelaunch -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].status}") &&
	test "$ready" != True
'

test_expect_success 'kubectl: the cached kubectl of the version, on the profile context' '
	kubelaunch kubectl -- version --client -o json >v &&
	jq -e ".clientVersion.gitVersion == \"$KL_TB_VERSION\"" v &&
	$KUBECTL config set current-context nowhere &&
	kubelaunch kubectl -- get node -o name >out && echo node/kubelaunch >expect && test_cmp expect out &&
	$KUBECTL config use-context kubelaunch
'

test_expect_success 'kubectl: stdin, stdout and the exit status pass through' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-stdin}\ndata: {k: v}\n" |
		kubelaunch kubectl -- apply -f - >out &&
	grep -q "configmap/from-stdin created" out &&
	test "$(kubelaunch kubectl -- get configmap from-stdin -o jsonpath={.data.k})" = v &&
	test_expect_code 1 kubelaunch kubectl -- get configmap does-not-exist 2>err &&
	grep -q "NotFound" err
'

test_expect_success 'update-context: a server edited by hand is put back; kubectl works again' '
	server=$(jq -r .APIServer "$KUBELAUNCH_HOME/profiles/kubelaunch/config.json") &&
	case $server in https://*:8443) ;; *) false ;; esac &&
	sed -i "s#server: $server#server: https://127.0.0.1:1#" "$HOME/.kube/config" &&
	grep -q "server: https://127.0.0.1:1$" "$HOME/.kube/config" &&
	test_must_fail kubelaunch kubectl -- get ns default --request-timeout=5s 2>/dev/null &&
	{ kubelaunch status >st || true; } && grep -q "^kubeconfig: Misconfigured$" st &&
	kubelaunch update-context >out &&
	grep -q "\"kubelaunch\" context has been updated to point to $server (it was https://127.0.0.1:1)" out &&
	kubelaunch kubectl -- get ns default -o name | grep -qx namespace/default &&
	{ kubelaunch status >st || true; } && grep -q "^kubeconfig: Configured$" st &&
	kubelaunch update-context >out && grep -q "already pointing to $server: nothing changed" out &&
	test "$(stat -c %a "$HOME/.kube/config")" = 600
'

test_expect_success 'update-context: our entry removed by hand is added again, the current context left alone' '
	$KUBECTL config delete-cluster kubelaunch &&
	$KUBECTL config set current-context nowhere &&
	kubelaunch update-context >out && grep -q "(it was missing)" out &&
	test "$($KUBECTL config current-context)" = nowhere &&
	kubelaunch kubectl -- get ns default -o name | grep -qx namespace/default &&
	$KUBECTL config use-context kubelaunch
'

test_expect_success 'logs: kubeadm, containerd, control-plane containers and kubelet, tokens redacted' '
	kubelaunch logs -n 2000 >out &&
	grep -q "^==> kubeadm (the last start) <==$" out &&
	grep -q "Your Kubernetes control-plane has initialized successfully" out &&
	grep -q -- "--token <redacted>" out &&
	! grep -Eq -- "--token [a-z0-9]{6}\.[a-z0-9]{16}" out &&
	grep -q "^==> containerd <==$" out && grep -q "^==> kubelet <==$" out &&
	for c in etcd kube-apiserver kube-controller-manager kube-scheduler; do
		grep -q "^==> $c ($c-kubelaunch) <==$" out || return 1
	done
'

test_expect_success 'logs -n 5: at most 5 lines in each section' '
	kubelaunch logs -n 5 >out &&
	test "$(grep -c "^==> " out)" -ge 7 &&
	awk "/^==> /{n=0; next} /^\$/{next} {if (++n > 5) bad=1} END{exit bad}" out
'

test_expect_success 'logs --file: written there with mode 0600, nothing on stdout' '
	echo old >logs.txt && chmod 644 logs.txt &&
	kubelaunch logs --file logs.txt -n 3 >out &&
	test ! -s out && test "$(stat -c %a logs.txt)" = 600 &&
	grep -q "^==> kubelet <==$" logs.txt && ! grep -q "^old$" logs.txt
'

test_expect_success 'logs -f follows kubelet until interrupted, and leaves nothing running' '
	{ kubelaunch logs -f -n 1 >follow 2>&1 & pid=$!; } &&
	for i in $(seq 100); do grep -q "^==> kubelet (following" follow && break; sleep 0.2; done &&
	size=$(stat -c %s follow) &&
	for i in $(seq 60); do [ "$(stat -c %s follow)" -gt "$size" ] && break; sleep 1; done &&
	test "$(stat -c %s follow)" -gt "$size" &&
	kill -INT $pid && rc=0 && { wait $pid || rc=$?; } && test "$rc" = 0 &&
	! pgrep -f "tail -n 0 -F /var/log/kubelaunch/kubelet.log" >/dev/null
'

test_expect_success 'start again with --cni=bridge --wait=kubelet,node_ready: waits for those only' '
	$START --cni=bridge --wait=kubelet,node_ready >out 2>err &&
	grep -q "Done!" out &&
	log=$(last_start_log) &&
	grep -q "waited [0-9]* ms for kubelet to run" "$log" &&
	grep -q "waited [0-9]* ms for the node to be Ready" "$log" &&
	! grep -q "waited [0-9]* ms for the system pods" "$log" &&
	! grep -q "waited [0-9]* ms for DNS to answer" "$log" &&
	test -e $BRIDGE &&
	test "$(jq -r .CNI "$KUBELAUNCH_HOME/profiles/kubelaunch/config.json")" = bridge &&
	$KUBECTL get node kubelaunch | grep -q " Ready "
'

test_expect_success 'delete: the cluster is gone' '
	kubelaunch delete >out && test ! -e /etc/kubernetes && test ! -e $BRIDGE &&
	test_expect_code 85 kubelaunch kubectl -- get nodes 2>/dev/null
'

test_done
