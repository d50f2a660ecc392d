#!/usr/bin/env bash
# slow: addons on a real single-node cluster on this host (the none driver) from the
# test bench, checked with the real kubectl: CoreDNS from the dns addon, a PVC whose
# data outlives its pod, an Ingress routed by Host header from the host, the metrics
# API, an image pushed from the host to the registry addon and run as a pod, the
# dashboard Ready, an image that cannot be pulled named with advice, and stop + start
# keeping all of it. The addons' images come from the bench's archives through
# `kubelaunch image load` (KL_TB_TAR_*). Run it under `flock /run/kl-host-cluster.lock`.
. "$(dirname "$0")/test-lib.sh"
. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"
testbench_or_skip
if [ -z "${KL_TB_IMG_BUSYBOX:-}" ] || [ ! -e "${KL_TB_TAR_BUSYBOX:-/nonexistent}" ]; then
	test_skip_or_fail "the test bench has no addon images (make testbench builds them)"
	test_done
	exit
fi

# Traefik is the bench's longest build: without its archive the ingress checks fail
# (they are not skipped) and the rest still runs.
INGRESS=ingress
[ -e "${KL_TB_TAR_TRAEFIK:-/nonexistent}" ] || INGRESS=

serve_mirror
START="kubelaunch start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR \
	--image-bundle $KL_TB_IMAGES --dns-upstream=none --wait-timeout 8m"
test_when_finished "kubelaunch delete"
K=$KUBECTL

# What the storage provisioner did, for a failure's log.
storage_diag() {
	$K get pvc,pv -A -o wide; $K get pods -A -o wide | grep -v kube-system
	$K describe pvc data | tail -n 15
	$K -n local-path-storage logs deployment/local-path-provisioner --tail=30
	$K get events -A --sort-by=.lastTimestamp | tail -n 25
	return 1
}

# phase_is POD PHASE: the pod is in that phase now (until_ok asks again each time).
phase_is() { test "$($K get pod "$1" -o jsonpath={.status.phase})" = "$2"; }

# until SECONDS CMD...: CMD succeeds within SECONDS.
test_expect_success 'start: the default addons, DNS from the dns addon (kubeadm'"'"'s skipped)' '
	$START >out 2>err &&
	grep -q "Enabled addons: dns, default-storageclass, storage-provisioner" out &&
	kubelaunch addons list -o json >list.json &&
	jq -e ".dns.Status == \"enabled\" and .ingress.Status == \"disabled\"" list.json &&
	$K -n kube-system get deployment coredns -o json | jq -e ".metadata.labels[\"kubelaunch.io/addon\"] == \"dns\"" &&
	dig +short @10.96.0.10 kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1 &&
	node_ip=$($K get node -o jsonpath="{.items[0].status.addresses[?(@.type==\"InternalIP\")].address}") &&
	echo "$node_ip" >node_ip &&
	dig +short @10.96.0.10 host.kubelaunch.internal A | grep -qx "$node_ip"
'

test_expect_success 'image load: the addons'"'"' archives into the node'"'"'s containerd; image ls, image rm' '
	for t in ${INGRESS:+TRAEFIK} LOCAL_PATH_PROVISIONER METRICS_SERVER REGISTRY AGNHOST BUSYBOX DASHBOARD_STANDIN METRICS_SCRAPER_STANDIN; do
		tar=KL_TB_TAR_$t && kubelaunch image load "${!tar}" >>load.out || return 1
	done &&
	kubelaunch image ls >images &&
	grep -qx "$KL_TB_IMG_AGNHOST" images && grep -qx "$KL_TB_IMG_DASHBOARD_STANDIN" images &&
	kubelaunch image ls -o json | jq -e "index(\"$KL_TB_IMG_BUSYBOX\")" &&
	ctr -n k8s.io images tag --force "$KL_TB_IMG_BUSYBOX" kubelaunch.test/doomed:1 &&
	kubelaunch image rm kubelaunch.test/doomed:1 &&
	! kubelaunch image ls | grep -q doomed &&
	test_expect_code 14 kubelaunch image load no-such.tar
'

test_expect_success 'enable ingress, metrics-server and registry: returns when they are available' '
	{ test -n "$INGRESS" || say "no Traefik archive from the bench: ingress is left out here"; } &&
	kubelaunch addons enable $INGRESS metrics-server registry --wait-timeout 4m >out &&
	cat out &&
	grep -q "The .registry. addon is enabled" out &&
	{ test -z "$INGRESS" || grep -q "ingress.: http://$(cat node_ip):80" out; } &&
	$K -n kube-system get deployment registry -o jsonpath="{.status.availableReplicas}" | grep -qx 1
'

test_expect_success 'storage: a PVC on the default class is bound and its data outlives the pod' '
	kubelaunch addons enable storage-provisioner --images Helper=$KL_TB_IMG_BUSYBOX >out &&
	cat >pvc.yaml <<-EOF &&
	apiVersion: v1
	kind: PersistentVolumeClaim
	metadata: {name: data}
	spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: writer}
	spec:
	  restartPolicy: Never
	  containers:
	  - {name: w, image: $KL_TB_IMG_BUSYBOX, imagePullPolicy: Never, command: [sh, -c, "echo kept > /data/file"],
	     volumeMounts: [{name: d, mountPath: /data}]}
	  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
	EOF
	$K apply -f pvc.yaml &&
	{ until_ok 180 phase_is writer Succeeded || storage_diag; } &&
	$K get pvc data -o jsonpath={.status.phase} | grep -qx Bound &&
	$K get pvc data -o jsonpath={.spec.storageClassName} | grep -qx standard &&
	$K delete pod writer &&
	sed -e "s/name: writer/name: reader/" -e "s|echo kept > /data/file|cat /data/file|" pvc.yaml >reader.yaml &&
	$K apply -f reader.yaml &&
	until_ok 120 phase_is reader Succeeded &&
	$K logs reader | grep -qx kept
'

test_expect_success 'ingress: Traefik routes by Host header to an agnhost service, from the host' '
	test -n "$INGRESS" &&
	cluster_ingress_echo &&
	cluster_ingress_answers "http://$(cat node_ip)"
'

test_expect_success 'metrics-server: the metrics API answers for the node' '
	node=$($K get node -o jsonpath={.items[0].metadata.name}) &&
	until_ok 120 $K get --raw "/apis/metrics.k8s.io/v1beta1/nodes/$node" &&
	$K get --raw "/apis/metrics.k8s.io/v1beta1/nodes/$node" | jq -e ".usage.cpu and .usage.memory" &&
	$K top node "$node"
'

# The pushed image is one no other pod runs (the Headlamp stand-in is only loaded here):
# containerd 1.6's CRI forgets every name of an image when one of its tags is removed,
# so pushing agnhost under a second name and removing that left the echo pod without
# its image after a restart.
test_expect_success 'registry: an image pushed from the host runs as a pod' '
	kubelaunch image load "$KL_TB_TAR_HEADLAMP_STANDIN" &&
	ctr -n k8s.io images tag --force "$KL_TB_IMG_HEADLAMP_STANDIN" localhost:5000/pushed/standin:1 &&
	until_ok 30 curl -fsS --max-time 3 http://localhost:5000/v2/ &&
	ctr -n k8s.io images push --plain-http localhost:5000/pushed/standin:1 &&
	curl -fsS http://localhost:5000/v2/pushed/standin/tags/list | jq -e ".tags == [\"1\"]" &&
	ctr -n k8s.io images rm localhost:5000/pushed/standin:1 &&
	$K run pushed --image=localhost:5000/pushed/standin:1 --image-pull-policy=Always &&
	$K wait --for=condition=Ready pod/pushed --timeout=120s
'

# The real Dashboard images cannot be pulled (no network here) nor built from source
# in this sandbox: the bench builds stand-ins that serve the same ports (9090, 8000);
# --images puts them in the addon's Deployments. The manifests are the real layout.
test_expect_success 'dashboard: its pods Ready with the bench'"'"'s stand-in images (--images)' '
	kubelaunch addons enable dashboard --images Dashboard=$KL_TB_IMG_DASHBOARD_STANDIN \
		--images MetricsScraper=$KL_TB_IMG_METRICS_SCRAPER_STANDIN --wait-timeout 3m >out &&
	$K -n kubernetes-dashboard get pods -o json >pods.json &&
	jq -e "[.items[] | .status.conditions[] | select(.type == \"Ready\") | .status] | length == 2 and all(. == \"True\")" pods.json &&
	$K -n kubernetes-dashboard get service kubernetes-dashboard -o jsonpath="{.spec.ports[0].targetPort}" | grep -qx 9090
'

test_expect_success 'an image that cannot be pulled: the pod, the image, the advice, in time' '
	test_expect_code 117 kubelaunch addons enable headlamp --wait-timeout 40s 2>err &&
	cat err &&
	grep "^error: " err | grep -q "pod .headlamp/headlamp-" &&
	grep "^error: " err | grep -q "ghcr.io/headlamp-k8s/headlamp" &&
	grep -q "^advice: .*--images.*image load" err &&
	kubelaunch addons disable headlamp
'

test_expect_success 'stop then start keeps every enabled addon working' '
	kubelaunch stop &&
	$START >out 2>err &&
	kubelaunch addons list -o json >list2.json &&
	jq -e ".dashboard.Status == \"enabled\" and .\"storage-provisioner\".Status == \"enabled\" and .headlamp.Status == \"disabled\"" list2.json &&
	dig +short @10.96.0.10 kubernetes.default.svc.cluster.local A | grep -qx 10.96.0.1 &&
	{ test -z "$INGRESS" || until_ok 120 curl -fsS --max-time 5 -H "Host: echo.kubelaunch.test" "http://$(cat node_ip)/hostname"; } &&
	node=$($K get node -o jsonpath={.items[0].metadata.name}) &&
	until_ok 120 $K get --raw "/apis/metrics.k8s.io/v1beta1/nodes/$node" &&
	until_ok 60 curl -fsS --max-time 3 http://localhost:5000/v2/pushed/standin/tags/list &&
	$K delete pod reader && $K apply -f reader.yaml &&
	until_ok 120 phase_is reader Succeeded &&
	$K logs reader | grep -qx kept &&
	$K -n kubernetes-dashboard wait --for=condition=Ready pods --all --timeout=120s &&
	$K -n kubernetes-dashboard get deployment kubernetes-dashboard -o jsonpath="{.spec.template.spec.containers[0].image}" |
		grep -qx "$KL_TB_IMG_DASHBOARD_STANDIN"
'

test_expect_success 'disable then enable at once: the namespace still being deleted is waited for' '
	kubelaunch addons disable dashboard &&
	test "$($K get namespace kubernetes-dashboard -o jsonpath={.status.phase} 2>/dev/null)" != Active &&
	kubelaunch addons enable dashboard &&
	$K -n kubernetes-dashboard wait --for=condition=Ready pods --all --timeout=120s
'

test_done
