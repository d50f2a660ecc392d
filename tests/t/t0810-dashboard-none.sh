#!/usr/bin/env bash
# slow: a real --driver=none cluster (run under `flock /run/kl-host-cluster.lock`):
# dashboard (its diagnosis, --url, $BROWSER, headless Chromium), kubectl exec through the
# proxy (an upgrade), service list / --url / --format, and tunnel.
#
# The dashboard's image is the bench's kubelaunch.test/dashboard-standin:v2.7.0 (busybox
# httpd serving a page on port 9090, the real image's port), given with --images: the
# real docker.io/kubernetesui/dashboard cannot be pulled here (no internet, and the
# project is archived), while everything between the browser and the pod is the real
# thing: our proxy, the API server's service proxy, kube-proxy, containerd.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip

STANDIN=${KL_TB_TAR_DASHBOARD_STANDIN:-$(ls "${KL_DEV_CACHE:-/var/cache/kubelaunch-dev}"/testbench/addons/dashboard-standin-*/dashboard-standin_*.tar 2>/dev/null | head -n1)}
STANDIN_REF=${KL_TB_IMG_DASHBOARD_STANDIN:-kubelaunch.test/dashboard-standin:v2.7.0}
# The metrics scraper's stand-in when the bench has it, else the dashboard's (its pod
# runs; only its liveness probe on 8000 would fail, later).
SCRAPER=${KL_TB_TAR_METRICS_SCRAPER_STANDIN:-$STANDIN}
SCRAPER_REF=${KL_TB_IMG_METRICS_SCRAPER_STANDIN:-$STANDIN_REF}
ARTIFACTS=${KL_ARTIFACTS:-$KL_SRC/build/artifacts}/$test_name
if [ -z "$STANDIN" ] || [ ! -e "$STANDIN" ]; then
	test_skip_or_fail "the bench's dashboard stand-in image is missing (make testbench-addons)"
	test_done
	exit
fi
mkdir -p bundle "$ARTIFACTS"
ln -sf "$KL_TB_IMAGES"/*.tar "$STANDIN" "$SCRAPER" bundle/

serve_mirror
test_when_finished "kubelaunch delete"
DPATH=/api/v1/namespaces/kubernetes-dashboard/services/http:kubernetes-dashboard:/proxy/

# bg NAME CMD...: CMD in the background; NAME.pid its PID, NAME.rc its exit status.
bg() {
	local name=$1
	shift
	rm -f "$name.pid" "$name.rc"
	( "$@" >"$name.out" 2>"$name.err" & echo $! >"$name.pid"; wait $!; echo $? >"$name.rc" ) &
	for _ in $(seq 50); do test -s "$name.pid" && break; sleep 0.1; done
	test_track_pid "$(cat "$name.pid")"
}

# stop_bg NAME: SIGINT, then it must end by itself with 0 within 5 s.
stop_bg() {
	kill -INT "$(cat "$1.pid")" &&
	for _ in $(seq 50); do test -s "$1.rc" && break; sleep 0.1; done &&
	echo 0 >expect.rc && test_cmp expect.rc "$1.rc"
}

test_expect_success 'a none cluster starts, with the stand-in image in its bundle' '
	kubelaunch start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR \
		--image-bundle "$PWD/bundle" --dns-upstream=none --wait-timeout 8m >out 2>err &&
	$KUBECTL get nodes | grep -q " Ready "
'

test_expect_success 'dashboard enables the addon; an image that cannot be pulled is named, not a bare timeout' '
	test_must_fail kubelaunch dashboard --url --wait-timeout 30s >url 2>err &&
	cat err &&
	grep -q "SVC_IMAGE_PULL" err &&
	grep -q "docker.io/kubernetesui/dashboard:v2.7.0" err &&
	kubelaunch addons list -o json | jq -e ".dashboard.Status == \"enabled\"" &&
	test ! -s url
'

test_expect_success 'with the stand-in: dashboard --url prints exactly the URL and it answers 200' '
	kubelaunch addons enable dashboard --images=Dashboard=$STANDIN_REF,MetricsScraper=$SCRAPER_REF &&
	bg dash kubelaunch dashboard --url &&
	for _ in $(seq 100); do test -s dash.out && break; sleep 0.1; done &&
	test "$(wc -l <dash.out)" = 1 &&
	grep -qx "http://127\.0\.0\.1:[0-9]*$DPATH" dash.out &&
	curl -fsS "$(cat dash.out)" >page.html &&
	grep -q "stand-in for the Kubernetes Dashboard" page.html &&
	stop_bg dash
'

test_expect_success 'dashboard --url with the addon enabled: under 2 s to the URL' '
	t0=$(date +%s%N) &&
	bg dash2 kubelaunch dashboard --url --port 0 &&
	for _ in $(seq 100); do test -s dash2.out && break; sleep 0.02; done &&
	t1=$(date +%s%N) &&
	ms=$(( (t1 - t0) / 1000000 )) && echo "dashboard --url: $ms ms" | tee "$ARTIFACTS/dashboard-url-ms.txt" &&
	stop_bg dash2 &&
	test "$ms" -lt 2000
'

test_expect_success '$BROWSER gets the URL; headless Chromium loads it (screenshot kept)' '
	cat >browser.sh <<-EOF &&
	#!/bin/sh
	echo "\$1" >"$PWD/browser.url"
	exec chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$PWD/chrome-profile" --window-size=1280,800 \
		--screenshot="$ARTIFACTS/dashboard.png" "\$1"
	EOF
	chmod +x browser.sh &&
	rm -rf chrome-profile "$ARTIFACTS/dashboard.png" &&
	BROWSER=$PWD/browser.sh bg dash3 kubelaunch dashboard &&
	for _ in $(seq 600); do test -s "$ARTIFACTS/dashboard.png" && break; sleep 0.1; done &&
	grep -qx "http://127\.0\.0\.1:[0-9]*$DPATH" browser.url &&
	test "$(head -c 8 "$ARTIFACTS/dashboard.png" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a &&
	test "$(stat -c %s "$ARTIFACTS/dashboard.png")" -gt 5000 &&
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$PWD/chrome-profile2" --dump-dom "$(cat browser.url)" >dom.html 2>/dev/null &&
	grep -q "stand-in for the Kubernetes Dashboard" dom.html &&
	stop_bg dash3
'

test_expect_success 'kubectl exec through the proxy: refused by default, an upgrade passed with --reject-paths=^$' '
	bg px kubelaunch proxy --port 0 &&
	for _ in $(seq 50); do grep -q "^Starting" px.out && break; sleep 0.1; done &&
	port=$(sed -n "s/^Starting to serve on 127\.0\.0\.1://p" px.out) &&
	test_must_fail $KUBECTL --server=http://127.0.0.1:$port -n kubernetes-dashboard exec deploy/kubernetes-dashboard \
		-- cat /www/index.html 2>exec.err &&
	grep -qi "forbidden\|403" exec.err &&
	stop_bg px &&
	bg px2 kubelaunch proxy --port 0 --reject-paths "^$" &&
	for _ in $(seq 50); do grep -q "^Starting" px2.out && break; sleep 0.1; done &&
	port=$(sed -n "s/^Starting to serve on 127\.0\.0\.1://p" px2.out) &&
	$KUBECTL --server=http://127.0.0.1:$port -n kubernetes-dashboard exec deploy/kubernetes-dashboard \
		-- cat /www/index.html >exec.out &&
	grep -q "stand-in for the Kubernetes Dashboard" exec.out &&
	stop_bg px2
'

test_expect_success 'service list and service --url reach a NodePort from the host' '
	$KUBECTL -n kubernetes-dashboard expose deployment kubernetes-dashboard --name web-np --type NodePort \
		--port 80 --target-port 9090 &&
	kubelaunch service list >list &&
	cat list &&
	head -n1 list | grep -q "| NAMESPACE *| NAME *| TARGET PORT *| URL *|" &&
	grep -q "| default *| kubernetes *| No node port" list &&
	url=$(sed -n "s/^| kubernetes-dashboard *| web-np *| [^|]*| \(http[^ ]*\) *|$/\1/p" list) &&
	test -n "$url" &&
	kubelaunch service web-np -n kubernetes-dashboard --url >url1 &&
	echo "$url" >expect && test_cmp expect url1 &&
	for _ in $(seq 50); do curl -fsS -m 2 "$url" >np.html && break; sleep 0.2; done &&
	grep -q "stand-in" np.html &&
	kubelaunch service list -o json >list.json &&
	jq -e ".[] | select(.Name == \"web-np\") | .URLs[0] == \"$url\"" list.json &&
	kubelaunch service web-np -n kubernetes-dashboard --format "{{.IP}} {{.Port}} {{.Service}}" >fmt &&
	echo "${url#http://}" | sed "s/:/ /; s/$/ web-np/" >expect && test_cmp expect fmt &&
	test_expect_code 14 kubelaunch service web-np -n kubernetes-dashboard --format "{{.Nope}}"
'

test_expect_success 'tunnel: LoadBalancer services get an address that answers, new ones too; removed on exit' '
	ingress() { $KUBECTL -n kubernetes-dashboard get service "$1" -o jsonpath="{.status.loadBalancer.ingress[0].ip}"; } &&
	$KUBECTL -n kubernetes-dashboard expose deployment kubernetes-dashboard --name web-lb --type LoadBalancer \
		--port 8088 --target-port 9090 &&
	bg tun kubelaunch tunnel &&
	ip=$(kubelaunch ip) &&
	for _ in $(seq 100); do test "$(ingress web-lb)" = "$ip" && break; sleep 0.1; done &&
	test "$(ingress web-lb)" = "$ip" &&
	for _ in $(seq 50); do curl -fsS -m 2 "http://$ip:8088/" >lb.html && break; sleep 0.2; done &&
	grep -q "stand-in" lb.html &&
	$KUBECTL -n kubernetes-dashboard expose deployment kubernetes-dashboard --name web-lb2 --type LoadBalancer \
		--port 8089 --target-port 9090 &&
	for _ in $(seq 100); do test "$(ingress web-lb2)" = "$ip" && break; sleep 0.1; done &&
	test "$(ingress web-lb2)" = "$ip" &&
	for _ in $(seq 50); do curl -fsS -m 2 "http://$ip:8089/" >lb2.html && break; sleep 0.2; done &&
	grep -q "stand-in" lb2.html &&
	grep -q "stays in the foreground" tun.out &&
	stop_bg tun &&
	test -z "$(ingress web-lb)" && test -z "$(ingress web-lb2)" &&
	grep -q "web-lb: address removed" tun.out
'

test_done
