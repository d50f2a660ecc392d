#!/usr/bin/env bash
# slow: Istio on a real single-node cluster on this host (the none driver) from the
# test bench, with the real programs: kube-apiserver, kubelet, containerd, kubectl and
# istioctl. `istioctl x precheck` on the fresh cluster; `addons enable istio` (istioctl
# fetched by kubelaunch from a loopback mirror laid out as Istio's release site, the
# gateway off) gives a Ready istiod; the injection webhook answers a server-side dry
# run; two of Istio's echo servers injected with the grpc-agent template reach each
# other by service name through xDS from istiod (a proxyless gRPC mesh); `addons
# disable istio` leaves no Istio object, CRD, webhook or namespace.
#
# Why kubelaunch.test/istio images at 1.31-dev: nothing can be pulled here, and the
# module proxy serves Istio only as a development snapshot (the commit of the 1.31.0
# release, eed52eb), so the bench builds istioctl, istiod (pilot), pilot-agent (proxyv2)
# and the echo app from it under that hub and tag (docs/testbench.md). Envoy cannot be
# built here: nothing in this test runs an Envoy sidecar or gateway.
# `make test-istio` runs it under `flock /run/kl-host-cluster.lock`.
. "$(dirname "$0")/test-lib.sh"
. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"
testbench_or_skip
if ! make -s -C "$KL_SRC" testbench-istio >"$TRASH/tb-istio.log" 2>&1 || ! eval "$(tb_env)" ||
	[ ! -x "${KL_TB_ISTIOCTL_BIN:-/nonexistent}" ] || [ ! -e "${KL_TB_ISTIO_IMAGES:-/nonexistent}/images.list" ]; then
	test_skip_or_fail "the bench's Istio images could not be built: $(tail -n3 "$TRASH/tb-istio.log")"
	test_done
	exit
fi
VERSION=1.31-dev
HUB=${KL_TB_IMG_ISTIO_PILOT%/pilot:*}

serve_mirror
# Istio's release layout, made here with Debian's tar and sha256sum:
# VERSION/istioctl-VERSION-linux-amd64.tar.gz and its .sha256.
IMIRROR=$TRASH/istio-release
mkdir -p "$IMIRROR/$VERSION" "$TRASH/istioctl-dir"
cp "$KL_TB_ISTIOCTL_BIN" "$TRASH/istioctl-dir/istioctl"
tar -czf "$IMIRROR/$VERSION/istioctl-$VERSION-linux-amd64.tar.gz" -C "$TRASH/istioctl-dir" istioctl
(cd "$IMIRROR/$VERSION" && sha256sum "istioctl-$VERSION-linux-amd64.tar.gz" >"istioctl-$VERSION-linux-amd64.tar.gz.sha256")
(cd "$IMIRROR" && exec python3 -m http.server --bind 127.0.0.1 0) >"$TRASH/ihttp.log" 2>&1 &
echo $! >"$TRASH/ihttp.pid"
test_when_finished "kill \$(cat $TRASH/ihttp.pid)"
for _ in $(seq 50); do grep -q "port" "$TRASH/ihttp.log" && break; sleep 0.1; done
ISTIO_MIRROR=http://127.0.0.1:$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TRASH/ihttp.log")

START="kubelaunch start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR \
	--image-bundle $KL_TB_ISTIO_IMAGES --dns-upstream=none --wait-timeout 8m"
test_when_finished "kubelaunch delete"
K=$KUBECTL
ISTIOCTL="$KL_TB_ISTIOCTL_BIN --kubeconfig=$HOME/.kube/config --context=kubelaunch"

# For a failure's log: what runs in the mesh's namespaces and why.
mesh_diag() {
	$K get pods -A -o wide; $K -n istio-system describe pods | tail -n 40
	$K -n grpc describe pods | tail -n 60; $K get events -A --sort-by=.lastTimestamp | tail -n 30
	return 1
}

test_expect_success 'start --addons istio warns with the fix when the host is below Istio'"'"'s guide' '
	kubelaunch start --driver=none --addons istio --dry-run >out 2>&1 &&
	cat out &&
	grep -q "istio.* asks for 16384 MiB of memory and 4 CPUs (Istio.s platform setup for minikube); this host (the none driver) has .*--memory=16384 --cpus=4" out &&
	test "$(grep -c "asks for" out)" = 1
'

test_expect_success 'start: a fresh cluster from the bench; istioctl x precheck passes' '
	$START >out 2>err &&
	$K get nodes | grep -q " Ready " &&
	$ISTIOCTL x precheck >pre 2>&1 &&
	cat pre &&
	grep -q "No issues found when checking the cluster" pre
'

test_expect_success 'addons: istio is listed, disabled; its settings; offline without a mirror is one clear error' '
	kubelaunch addons list -o json | jq -e ".istio.Status == \"disabled\"" &&
	kubelaunch addons configure istio >conf &&
	grep -q "^version=1.31.0$" conf && grep -q "^ingress-gateway=on$" conf && grep -q "^profile=default$" conf &&
	kubelaunch addons configure istio mirror=http://127.0.0.1:1/release >out &&
	{ kubelaunch addons enable istio 2>err || rc=$?; } &&
	cat err &&
	test "$rc" = 46 &&
	grep -q "^error: cannot download istioctl 1.31.0 from .http://127.0.0.1:1/release.*\[INET_ADDON_PROGRAM\]$" err &&
	grep -q "^advice: .*addons configure NAME mirror=URL" err &&
	test "$(wc -l <err)" = 2 &&
	kubelaunch addons list -o json | jq -e ".istio.Status == \"disabled\"" &&
	! $K get ns istio-system
'

test_expect_success 'enable with images that cannot be had: the diagnosis names the pod and the image' '
	kubelaunch addons configure istio version=$VERSION mirror=$ISTIO_MIRROR hub=$HUB tag=nosuch \
		ingress-gateway=off >out &&
	{ kubelaunch addons enable istio --wait-timeout 45s 2>err || rc=$?; } &&
	cat err &&
	test "$rc" = 117 &&
	grep -q "^error: cannot enable addon .istio. (.kubelaunch addons disable istio. removes what it made): .istioctl install. failed: pod .istio-system/istiod-[^ ]*. cannot pull image .$HUB/pilot:nosuch.: .*\[SVC_IMAGE_PULL\]$" err &&
	kubelaunch addons disable istio >out 2>&1 &&
	! $K get namespace istio-system
'

test_expect_success 'enable istio (istioctl from the mirror, the bench'"'"'s hub and tag, no gateway): istiod is Ready' '
	kubelaunch addons configure istio version=$VERSION mirror=$ISTIO_MIRROR hub=$HUB tag=$VERSION \
		ingress-gateway=off >out &&
	kubelaunch addons enable istio --dry-run >dry &&
	grep -q "^# runs: istioctl $VERSION from $ISTIO_MIRROR: install -y .* --set=hub=$HUB --set=tag=$VERSION --set=components.ingressGateways\[0\].enabled=false$" dry &&
	t0=$(date +%s.%N) &&
	kubelaunch addons enable istio --wait-timeout 8m >out 2>err &&
	t1=$(date +%s.%N) &&
	cat out &&
	echo "$t1 - $t0" | bc >enable-seconds &&
	grep -q "The .istio. addon is enabled" out &&
	test -x "$KUBELAUNCH_HOME/cache/programs/istioctl/$VERSION/linux-amd64/istioctl" &&
	kubelaunch cache list -o json | jq -e ".programs[] | select(.version == \"$VERSION\" and
		.name == \"linux-amd64/istioctl\")" &&
	$K -n istio-system get deployment istiod -o jsonpath="{.status.availableReplicas}" | grep -qx 1 &&
	$K -n istio-system get pods -l app=istiod -o jsonpath="{.items[0].spec.containers[0].image}" | grep -qx "$HUB/pilot:$VERSION" &&
	$K -n istio-system get pods -l app=istiod -o jsonpath="{.items[0].status.conditions[?(@.type==\"Ready\")].status}" | grep -qx True &&
	! $K -n istio-system get deployment istio-ingressgateway &&
	kubelaunch addons list -o json | jq -e ".istio.Status == \"enabled\"" &&
	$ISTIOCTL version >ver && cat ver && grep -q "control plane version: $VERSION" ver
'

[ -s "$TRASH/enable-seconds" ] &&
	say "# addons enable istio: $(cat "$TRASH/enable-seconds") s (none driver; istioctl from the loopback mirror)"

test_expect_success 'enable again: the same invocation is not run again' '
	kubelaunch -v=2 addons enable istio >out 2>err &&
	grep -q "installed by the same invocation; not run again" err
'

# Istio 1.31 injects its proxy as a native sidecar (an init container that keeps
# running, restartPolicy Always), after istio-init.
test_expect_success 'injection: a pod created with server-side dry run in a labelled namespace comes back injected' '
	$K create namespace inj &&
	$K label namespace inj istio-injection=enabled &&
	$K -n inj run web --image="$KL_TB_IMG_ISTIO_APP" --image-pull-policy=Never --dry-run=client -o json >pod.json &&
	$K -n inj create -f pod.json --dry-run=server -o json >injected.json &&
	jq -r ".spec.containers[].name" injected.json >containers &&
	jq -r ".spec.initContainers[].name" injected.json >inits &&
	cat containers inits &&
	grep -qx web containers && grep -qx istio-init inits &&
	jq -e ".spec.initContainers[] | select(.name == \"istio-proxy\") | .restartPolicy == \"Always\" and
		.image == \"$HUB/proxyv2:$VERSION\"" injected.json &&
	! $K -n inj get pod web
'

# The grpc-agent template puts pilot-agent first (holdApplicationUntilProxyStarts) and
# points the app at its xDS bootstrap. The callers are the echo client in each pod, the only xDS user of its pod's
# pilot-agent: the servers are plain gRPC servers (--grpc, not --xds-grpc-server), since
# pilot-agent keeps one xDS stream per pod and a server holding its own would be cut
# off by the client's ("registered overlapping stream"). Istio's own proxyless tests
# call the source server's ForwardEcho instead, which needs a gRPC client the images
# do not have. A name istiod does not know fails: the resolution is xDS.
test_expect_success 'proxyless gRPC: two echo servers (grpc-agent template) reach each other by name through xDS' '
	$K create namespace grpc &&
	$K label namespace grpc istio-injection=enabled &&
	for app in a b; do
		cat >"$app.yaml" <<-EOF || return 1
		apiVersion: v1
		kind: Service
		metadata: {name: $app, labels: {app: $app}}
		spec:
		  selector: {app: $app}
		  ports: [{name: grpc, port: 7070, targetPort: 7070}]
		---
		apiVersion: apps/v1
		kind: Deployment
		metadata: {name: $app}
		spec:
		  replicas: 1
		  selector: {matchLabels: {app: $app}}
		  template:
		    metadata:
		      labels: {app: $app, version: v1}
		      annotations:
		        inject.istio.io/templates: grpc-agent
		        proxy.istio.io/config: '"'"'{"holdApplicationUntilProxyStarts": true}'"'"'
		    spec:
		      containers:
		      - name: app
		        image: $KL_TB_IMG_ISTIO_APP
		        imagePullPolicy: Never
		        args: [--grpc=7070, --port=8080, --port=3333, --grpc=17171, --bind-localhost=17171,
		               --version=v1, --crt=/cert.crt, --key=/cert.key]
		        ports: [{containerPort: 7070}, {containerPort: 8080}, {containerPort: 3333, name: tcp-health-port}]
		        env:
		        - {name: INSTANCE_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
		        - {name: NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
		        - {name: EXPOSE_GRPC_ADMIN, value: "true"}
		        readinessProbe: {httpGet: {path: /, port: 8080}, initialDelaySeconds: 1, periodSeconds: 2}
		EOF
		$K -n grpc apply -f "$app.yaml" || return 1
	done &&
	{ $K -n grpc wait --for=condition=Available deployment/a deployment/b --timeout=240s || mesh_diag; } &&
	pod_a=$($K -n grpc get pods -l app=a -o jsonpath="{.items[0].metadata.name}") &&
	$K -n grpc get pod "$pod_a" -o json >pod_a.json &&
	jq -e ".spec.containers[0].name == \"istio-proxy\"" pod_a.json &&
	jq -e ".spec.containers[] | select(.name == \"app\") | .env[] | select(.name == \"GRPC_XDS_BOOTSTRAP\")" pod_a.json &&
	{ until_ok 60 $K -n grpc exec "$pod_a" -c app -- client --count 1 xds:///b.grpc.svc.cluster.local:7070 ||
		mesh_diag; } &&
	$K -n grpc exec "$pod_a" -c app -- client --count 2 xds:///b.grpc.svc.cluster.local:7070 >ab &&
	cat ab &&
	grep -q "Hostname=b-" ab && grep -q "StatusCode=200" ab &&
	pod_b=$($K -n grpc get pods -l app=b -o jsonpath="{.items[0].metadata.name}") &&
	$K -n grpc exec "$pod_b" -c app -- client --count 1 xds:///a.grpc.svc.cluster.local:7070 >ba &&
	grep -q "Hostname=a-" ba &&
	test_must_fail $K -n grpc exec "$pod_a" -c app -- client --count 1 --timeout 5s \
		xds:///nosuch.grpc.svc.cluster.local:7070
'

test_expect_success 'disable istio: no Istio object, CRD, webhook or namespace is left' '
	$K delete namespace grpc inj --wait=true --timeout=120s &&
	kubelaunch addons disable istio >out 2>err &&
	cat out &&
	grep -q "The .istio. addon is disabled" out &&
	! $K get namespace istio-system 2>/dev/null &&
	$K get crd -o name >crds && ! grep -q "\.istio\.io$" crds &&
	$K api-resources -o name >res && ! grep -q "istio\.io$" res &&
	$K get validatingwebhookconfigurations,mutatingwebhookconfigurations -o name >hooks &&
	! grep -qi istio hooks &&
	$K get clusterroles,clusterrolebindings -o name >rbac && ! grep -qi istio rbac &&
	kubelaunch addons list -o json | jq -e ".istio.Status == \"disabled\""
'

test_done
