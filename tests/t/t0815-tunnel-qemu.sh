#!/usr/bin/env bash
# slow: tunnel on the qemu driver (a cluster in a VM, software emulation here, its
# network isolated): a LoadBalancer service gets 127.0.0.1, each of its ports relayed to
# a forward of its node port; new services follow; Ctrl-C takes it all away. The
# backend is the bench's dashboard stand-in image (busybox httpd on 9090).
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"
testbench_or_skip

# The stand-in is one of the bench's bundle (KL_TB_IMAGES), which the data disk's
# preload holds already: start imports nothing.
STANDIN_REF=${KL_TB_IMG_DASHBOARD_STANDIN:-kubelaunch.test/dashboard-standin:v2.7.0}
if [ ! -e "${KL_TB_TAR_DASHBOARD_STANDIN:-}" ]; then
	test_skip_or_fail "the bench's dashboard stand-in image is missing (make testbench-addons)"
	test_done
	exit
fi
cluster_iso_or_skip
serve_mirror
test_when_finished "kubelaunch delete"

test_expect_success 'a cluster in a VM runs the stand-in behind two LoadBalancer services' '
	kubelaunch start --driver=qemu --network=isolated --kubernetes-version $KL_TB_VERSION \
		--binary-mirror $MIRROR --image-bundle "$KL_TB_IMAGES" --dns-upstream=none --wait-timeout 25m >out 2>err &&
	! grep -q "Importing" out &&
	$KUBECTL create deployment web --image=$STANDIN_REF --port 9090 &&
	$KUBECTL rollout status deployment web --timeout 10m &&
	p1=$(free_port) && echo $p1 >p1 &&
	$KUBECTL expose deployment web --name web-lb --type LoadBalancer --port $p1 --target-port 9090
'

ingress() { $KUBECTL get service "$1" -o jsonpath="{.status.loadBalancer.ingress[0].ip}"; }

test_expect_success 'tunnel: 127.0.0.1 that answers, new services too, all removed on Ctrl-C' '
	p1=$(cat p1) &&
	{ ( kubelaunch tunnel >tun.out 2>tun.err & echo $! >tun.pid; wait $!; echo $? >tun.rc ) & } &&
	for _ in $(seq 50); do test -s tun.pid && break; sleep 0.1; done &&
	test_track_pid "$(cat tun.pid)" &&
	for _ in $(seq 300); do test "$(ingress web-lb)" = 127.0.0.1 && break; sleep 0.2; done &&
	test "$(ingress web-lb)" = 127.0.0.1 &&
	for _ in $(seq 150); do curl -fsS -m 5 "http://127.0.0.1:$p1/" >lb.html && break; sleep 1; done &&
	grep -q "stand-in" lb.html &&
	p2=$(free_port) &&
	$KUBECTL expose deployment web --name web-lb2 --type LoadBalancer --port $p2 --target-port 9090 &&
	for _ in $(seq 300); do test "$(ingress web-lb2)" = 127.0.0.1 && break; sleep 0.2; done &&
	for _ in $(seq 150); do curl -fsS -m 5 "http://127.0.0.1:$p2/" >lb2.html && break; sleep 1; done &&
	grep -q "stand-in" lb2.html &&
	kill -INT "$(cat tun.pid)" &&
	for _ in $(seq 100); do test -s tun.rc && break; sleep 0.1; done &&
	echo 0 >expect && test_cmp expect tun.rc &&
	test -z "$(ingress web-lb)" && test -z "$(ingress web-lb2)" &&
	test_must_fail curl -fsS -m 2 "http://127.0.0.1:$p1/" &&
	cat tun.out
'

test_done
