# lib-cluster.sh: the acceptance checks a started cluster must pass, whatever its driver.
# Source after test-lib.sh and lib-testbench.sh; KUBECTL is the real kubectl, and the
# cluster is the current context of $HOME/.kube/config.
#   cluster_is_up            node Ready, every kube-system pod Running, status all Running
#   cluster_config_pod       a ConfigMap and a Secret consumed by a pod (kube-proxy's image
#                            has a shell, and it is in every bundle)
#   cluster_nodeport_dns     CoreDNS exposed as a NodePort; `kubelaunch service --url`
#                            gives the host's address for it, and DNS answers there
#   cluster_dns_on_node CMD  CMD (a shell line, run on the node) asks CoreDNS's service IP
#   cluster_ingress_echo     an agnhost behind the Ingress `echo` (needs the ingress addon)
#   cluster_ingress_answers BASE  BASE routes echo.kubelaunch.test to it, other hosts 404
#   cluster_workload_kept    after a restart: Ready, the ConfigMap still there
#   last_start_log           the newest start's run log (its phases and waits are there)
#   until_ok N CMD...        CMD succeeds within N tries, a second apart

cluster_is_up() {
	test "$(stat -c %a "$HOME/.kube/config")" = 600 &&
	test "$($KUBECTL config current-context)" = kubelaunch &&
	$KUBECTL get nodes -o jsonpath="{.items[0].status.conditions[?(@.type==\"Ready\")].status}" | grep -qx True &&
	$KUBECTL -n kube-system get pods --no-headers >pods && test "$(grep -vc Running pods)" = 0 &&
	kubelaunch status >st && printf "%s\n" kubelaunch "type: Control Plane" "host: Running" \
		"kubelet: Running" "apiserver: Running" "kubeconfig: Configured" >expect && test_cmp expect st
}

cluster_config_pod() {
	$KUBECTL create configmap greeting --from-literal=word=hello &&
	$KUBECTL create secret generic token --from-literal=value=s3cret &&
	cat >pod.yaml <<-EOF2 &&
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
	EOF2
	$KUBECTL apply -f pod.yaml &&
	for _ in $(seq 300); do
		[ "$($KUBECTL get pod reader -o jsonpath={.status.phase})" = Succeeded ] && break; sleep 1
	done &&
	$KUBECTL logs reader >log && printf "hello\ns3cret\n" >expect && test_cmp expect log
}

cluster_nodeport_dns() {
	$KUBECTL -n kube-system expose deployment coredns --name dns-np --type NodePort --port 53 \
		--target-port 53 --protocol TCP &&
	kubelaunch service dns-np -n kube-system --url >url &&
	test "$(wc -l <url)" = 1 &&
	hostport=$(sed -n "s|^http://\(.*\)$|\1|p" url) && host=${hostport%:*} && port=${hostport##*:} &&
	for _ in $(seq 60); do
		dig +tcp +time=2 +tries=1 +short -p "$port" @"$host" kubernetes.default.svc.cluster.local A |
			grep -qx 10.96.0.1 && break
		sleep 1
	done &&
	dig +tcp +short -p "$port" @"$host" kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1 &&
	test_expect_code 113 kubelaunch service kubernetes 2>err && grep -q SVC_NO_NODE_PORT err &&
	test_expect_code 115 kubelaunch service no-such-service 2>err && grep -q SVC_NOT_FOUND err
}

# until_ok N CMD...: CMD succeeds within N tries a second apart (its output hidden until
# the last try).
until_ok() {
	local n=$1
	shift
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
	"$@"
}

# cluster_ingress_echo: an agnhost deployment behind the Service and the Ingress `echo`
# (Host echo.kubelaunch.test), the Ingress taking the default IngressClass (traefik).
cluster_ingress_echo() {
	$KUBECTL create deployment echo --image="$KL_TB_IMG_AGNHOST" -- /agnhost netexec --http-port=8080 &&
	$KUBECTL expose deployment echo --port 80 --target-port 8080 &&
	$KUBECTL create ingress echo --rule="echo.kubelaunch.test/*=echo:80" &&
	$KUBECTL get ingress echo -o jsonpath={.spec.ingressClassName} | grep -qx traefik &&
	$KUBECTL wait --for=condition=Available deployment/echo --timeout=180s
}

# cluster_ingress_answers BASE: from the host, BASE (http://HOST[:PORT]) routes by Host
# header: echo.kubelaunch.test reaches the echo pods, any other host gets Traefik's 404.
cluster_ingress_answers() {
	until_ok 90 curl -fsS --max-time 5 -H "Host: echo.kubelaunch.test" "$1/hostname" &&
	curl -fsS --max-time 5 -H "Host: echo.kubelaunch.test" "$1/hostname" | grep -q "^echo-" &&
	test "$(curl -s -o /dev/null -w %{http_code} --max-time 5 -H "Host: other.test" "$1/")" = 404
}

cluster_workload_kept() {
	$KUBECTL get configmap greeting -o jsonpath={.data.word} | grep -qx hello &&
	$KUBECTL get nodes | grep -q " Ready "
}

# cluster_iso_or_skip: the guest image (cached: seconds); when it cannot be built the
# script ends (skip here, fail in CI), as testbench_or_skip does for the bench.
cluster_iso_or_skip() {
	if ! make -s -C "$KL_SRC" iso >"$TRASH/iso.log" 2>&1; then
		test_skip_or_fail "the guest image could not be built: $(tail -n3 "$TRASH/iso.log")"
		test_done
		exit
	fi
}

last_start_log() {
	ls -t "$KUBELAUNCH_HOME"/logs/start_*.log | head -n1
}
